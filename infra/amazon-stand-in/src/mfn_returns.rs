//! Returns of merchant-fulfilled orders, as Amazon's returns report
//! (`GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`) lists them. They are derived from the seller's
//! records without a random draw (so nothing else of the generated seller moves): every refund
//! of a merchant-fulfilled order follows a return of its item, requested two days before the
//! refund, authorised by an Amazon RMA id taken from the refund's id.

use crate::generator::Seller;
use crate::model::{Fulfillment, TxKind};
use crate::render::{file_locale, tsv, FlatFile};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

const REASONS: [&str; 5] = [
    "CR-UNWANTED_ITEM",
    "CR-DEFECTIVE",
    "CR-NOT_AS_DESCRIBED",
    "CR-DAMAGED_BY_CARRIER",
    "CR-ORDERED_WRONG_ITEM",
];

/// One merchant-fulfilled return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MfnReturn {
    pub order_id: String,
    pub marketplace_id: &'static str,
    pub order_date: DateTime<Utc>,
    pub request_date: DateTime<Utc>,
    pub rma_id: String,
    pub product: usize,
    pub quantity: i64,
    pub reason: &'static str,
    pub currency: &'static str,
    /// What the buyer got back for the item (positive).
    pub refunded: Decimal,
}

/// Every merchant-fulfilled return of the seller, by request date.
pub fn mfn_returns(s: &Seller) -> Vec<MfnReturn> {
    let mut out = vec![];
    for t in s.transactions.iter().filter(|t| t.kind == TxKind::Refund) {
        let Some(o) = t.order_id.as_deref().and_then(|id| s.order(id)) else {
            continue;
        };
        if o.fulfillment != Fulfillment::Mfn {
            continue;
        }
        let n: u64 = t.id.trim_start_matches("TX").parse().unwrap_or(0);
        for item in t.items.iter() {
            let Some(product) = item.product else {
                continue;
            };
            let refunded: Decimal = -item
                .lines
                .iter()
                .filter(|l| l.category == "ItemPrice" && l.kind == "Principal")
                .map(|l| l.amount)
                .sum::<Decimal>();
            out.push(MfnReturn {
                order_id: o.id.clone(),
                marketplace_id: o.marketplace_id,
                order_date: o.purchase_date,
                request_date: (t.posted - Duration::days(2)).max(o.purchase_date),
                rma_id: format!("D{n:09}"),
                product,
                quantity: item.quantity,
                reason: REASONS[(n % REASONS.len() as u64) as usize],
                currency: t.currency,
                refunded,
            });
        }
    }
    out.sort_by(|a, b| {
        a.request_date
            .cmp(&b.request_date)
            .then(a.rma_id.cmp(&b.rma_id))
    });
    out
}

/// The returns report of merchant-fulfilled orders requested in `[from, to)`.
pub fn mfn_returns_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "Order ID",
        "Order date",
        "Return request date",
        "Return request status",
        "Amazon RMA ID",
        "Seller RMA ID",
        "Label type",
        "Label cost",
        "Currency code",
        "Return carrier",
        "Tracking ID",
        "Label to be paid by",
        "A-to-z claim",
        "Is prime",
        "ASIN",
        "Merchant SKU",
        "Item Name",
        "Return quantity",
        "Return reason",
        "In policy",
        "Return type",
        "Resolution",
        "Invoice number",
        "Return delivery date",
        "Order Amount",
        "Order quantity",
        "Refunded Amount",
        "Category",
    ];
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let rows = mfn_returns(s)
        .into_iter()
        .filter(|r| {
            r.marketplace_id == marketplace_id && r.request_date >= from && r.request_date < to
        })
        .map(|r| {
            let p = &s.products[r.product];
            vec![
                r.order_id.clone(),
                time(r.order_date),
                time(r.request_date),
                "Approved".into(),
                r.rma_id.clone(),
                String::new(),
                "AmazonUnPaidLabel".into(),
                String::new(),
                r.currency.to_string(),
                String::new(),
                String::new(),
                "Customer".into(),
                "N".into(),
                "N".into(),
                p.asin.clone(),
                p.sku.clone(),
                p.title.clone(),
                r.quantity.to_string(),
                r.reason.to_string(),
                "Y".into(),
                "C-Returns".into(),
                "StandardRefund".into(),
                String::new(),
                String::new(),
                r.refunded.to_string(),
                r.quantity.to_string(),
                r.refunded.to_string(),
                String::new(),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}
