//! The ground truth: every money figure of the seller, summed straight from the generated
//! records, keyed as Amazon's settlement file keys them. Tests sum what the APIs and report
//! files return and compare with this, to the cent.

use crate::generator::Seller;
use crate::model::{Transaction, TxKind};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// One figure's key: marketplace, SKU (empty for account-level lines), the marketplace-local
/// day the money was posted, the settlement it was released into (none while deferred or in
/// the open group), and the settlement file's three columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Key {
    pub marketplace_id: String,
    pub sku: String,
    pub date: NaiveDate,
    pub settlement_id: Option<String>,
    pub transaction_type: String,
    pub amount_type: String,
    pub amount_description: String,
}

/// Units per marketplace, SKU, local day and transaction type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnitKey {
    pub marketplace_id: String,
    pub sku: String,
    pub date: NaiveDate,
    pub transaction_type: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Payout {
    pub settlement_id: String,
    pub group_id: String,
    pub marketplace_id: String,
    pub currency: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub closed: bool,
    pub total: Decimal,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct GroundTruth {
    pub amounts: BTreeMap<Key, Decimal>,
    pub units: BTreeMap<UnitKey, i64>,
    pub payouts: Vec<Payout>,
}

/// The settlement file's `transaction-type` of a transaction.
pub fn transaction_type(kind: TxKind) -> &'static str {
    match kind {
        TxKind::Shipment => "Order",
        TxKind::Refund => "Refund",
        _ => "other-transaction",
    }
}

/// The marketplace-local calendar day of an instant (Amazon buckets days this way).
pub fn local_day(marketplace_id: &str, at: DateTime<Utc>) -> NaiveDate {
    let tz: chrono_tz::Tz = shared::marketplaces::by_id(marketplace_id)
        .and_then(|m| m.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    at.with_timezone(&tz).date_naive()
}

impl GroundTruth {
    pub fn of(seller: &Seller) -> Self {
        let mut gt = GroundTruth::default();
        for t in &seller.transactions {
            gt.add(seller, t);
        }
        gt.payouts = seller
            .settlements
            .iter()
            .map(|s| Payout {
                settlement_id: s.id.clone(),
                group_id: s.group_id.clone(),
                marketplace_id: s.marketplace_id.to_string(),
                currency: s.currency.to_string(),
                start: s.start,
                end: s.end,
                closed: s.closed,
                total: s.total,
            })
            .collect();
        gt
    }

    fn add(&mut self, seller: &Seller, t: &Transaction) {
        let date = local_day(t.marketplace_id, t.posted);
        let settlement_id = t.settlement.map(|i| seller.settlements[i].id.clone());
        let tt = transaction_type(t.kind);
        for item in &t.items {
            let sku = item
                .product
                .map(|p| seller.products[p].sku.clone())
                .unwrap_or_default();
            for l in &item.lines {
                let key = Key {
                    marketplace_id: t.marketplace_id.to_string(),
                    sku: sku.clone(),
                    date,
                    settlement_id: settlement_id.clone(),
                    transaction_type: tt.to_string(),
                    amount_type: l.category.to_string(),
                    amount_description: l.kind.to_string(),
                };
                *self.amounts.entry(key).or_default() += l.amount;
            }
            if item.quantity != 0 {
                let key = UnitKey {
                    marketplace_id: t.marketplace_id.to_string(),
                    sku: sku.clone(),
                    date,
                    transaction_type: tt.to_string(),
                };
                *self.units.entry(key).or_default() += item.quantity;
            }
        }
    }

    /// The amounts with the settlement dimension dropped (what the Finances API returns).
    pub fn by_day(&self) -> BTreeMap<Key, Decimal> {
        let mut out: BTreeMap<Key, Decimal> = BTreeMap::new();
        for (k, v) in &self.amounts {
            *out.entry(Key {
                settlement_id: None,
                ..k.clone()
            })
            .or_default() += *v;
        }
        out.retain(|_, v| !v.is_zero());
        out
    }

    /// Flat JSON lines for export (`/_stand-in/ground-truth`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "amounts": self.amounts.iter().map(|(k, v)| serde_json::json!({
                "marketplaceId": k.marketplace_id, "sku": k.sku, "date": k.date, "settlementId": k.settlement_id,
                "transactionType": k.transaction_type, "amountType": k.amount_type, "amountDescription": k.amount_description,
                "amount": v.to_string(),
            })).collect::<Vec<_>>(),
            "units": self.units.iter().map(|(k, v)| serde_json::json!({
                "marketplaceId": k.marketplace_id, "sku": k.sku, "date": k.date, "transactionType": k.transaction_type, "units": v,
            })).collect::<Vec<_>>(),
            "payouts": self.payouts.iter().map(|p| serde_json::json!({
                "settlementId": p.settlement_id, "groupId": p.group_id, "marketplaceId": p.marketplace_id, "currency": p.currency,
                "start": p.start, "end": p.end, "closed": p.closed, "total": p.total.to_string(),
            })).collect::<Vec<_>>(),
        })
    }
}
