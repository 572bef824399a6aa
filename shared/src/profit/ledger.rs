//! The ledger: Amazon's money, one normalised line per money line of a synced transaction
//! (`records::transactions`), classified into a P&L [`Category`].
//!
//! A transaction's lines are the leaves of each item's breakdowns (outer `breakdownType` =
//! amount type, inner = description), with the item's SKU and quantity; an item without
//! breakdowns is one line; a transaction without items is its own breakdowns, or one line of
//! its total. If the leaves of an item (or of the transaction) do not add up to its total,
//! the difference is one more line, `Unclassified` with description `BreakdownRemainder`: the
//! lines of a transaction always sum to Amazon's total, so nothing is ever dropped.
//!
//! Stored as one item per transaction (its lines inside, written whole):
//! `ACCT#<t>` / `LEDGER#<transactionId>`; gsi1 `ACCT#<t>#LSTL#<settlementId>` /
//! `<posted>#<transactionId>` (a settlement's lines, for the payout reconciliation; `-` before
//! the transaction is in one); gsi2 `ACCT#<t>#LORD#<orderId>` / `<transactionId>` (an order's
//! transactions, for the order-date view). Newer-wins by the transaction's stage and the
//! table's version ([`TABLE_VERSION`]): replays write nothing.

use super::classify::{classify, Category};
use super::ACCOUNT_LEVEL;
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, Item, ItemBuilder, ItemExt, Key, Query, SortKey, Store, StoreError,
};
use crate::records::transactions::{Breakdown, TransactionRecord};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Bumped when the classification table changes, so stored ledgers are rewritten.
pub const TABLE_VERSION: u32 = 1;

/// One money line, with every Amazon id behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerLine {
    /// Amazon's transaction id (Finances 2024-06-19).
    pub transaction_id: String,
    /// Position of the line in its transaction, from 1.
    pub line: u32,
    /// Which item of the transaction it belongs to, from 1 (0: the transaction itself).
    pub item: u32,
    /// Amazon's settlement id, once the money is in a settlement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_id: Option<String>,
    /// Amazon's financial event group id (the payout), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The seller SKU; empty for an account-level line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    /// The item's related ids (order item id, …) and the transaction's other related ids
    /// (refund id, invoice id, …), as Amazon named them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<(String, String)>,
    pub marketplace_id: String,
    pub posted: DateTime<Utc>,
    /// The marketplace-local day of `posted`.
    pub posted_day: NaiveDate,
    /// Amazon's transaction type (`Shipment`, `Refund`, `ServiceFee`, …).
    pub transaction_type: String,
    /// Amazon's transaction status (`DEFERRED`, `RELEASED`, `DEFERRED_RELEASED`).
    pub status: String,
    /// Amazon's amount type (outer breakdown type), empty when there is none.
    pub amount_type: String,
    /// Amazon's description (inner breakdown type, or the item's / transaction's description).
    pub description: String,
    pub category: Category,
    /// The item's quantity (shipped, refunded, reimbursed), on every line of the item.
    #[serde(default)]
    pub quantity: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
}

/// The ledger of one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionLedger {
    pub transaction_id: String,
    pub marketplace_id: String,
    pub transaction_type: String,
    pub posted: DateTime<Utc>,
    pub posted_day: NaiveDate,
    pub order_id: Option<String>,
    pub settlement_id: Option<String>,
    pub total: Decimal,
    pub currency: String,
    pub lines: Vec<LedgerLine>,
    /// The transaction's stage (`records::transactions` source version).
    pub stage: String,
}

fn leaves<'a>(list: &'a [Breakdown], parent: &'a str, out: &mut Vec<(&'a str, &'a Breakdown)>) {
    for b in list {
        if b.breakdowns.is_empty() {
            out.push((parent, b));
        } else {
            leaves(&b.breakdowns, &b.breakdown_type, out);
        }
    }
}

impl TransactionLedger {
    /// The ledger of a transaction: its lines always sum to its total.
    pub fn of(t: &TransactionRecord) -> Self {
        let mut lines = vec![];
        let base_related: Vec<(String, String)> = t
            .related
            .iter()
            .filter(|(n, _)| {
                !matches!(
                    n.as_str(),
                    "ORDER_ID" | "SETTLEMENT_ID" | "FINANCIAL_EVENT_GROUP_ID"
                )
            })
            .cloned()
            .collect();
        let make = |lines: &mut Vec<LedgerLine>,
                    item: u32,
                    sku: &str,
                    asin: Option<&String>,
                    related: &[(String, String)],
                    quantity: i64,
                    amount_type: &str,
                    description: &str,
                    amount: Decimal,
                    currency: &str,
                    category: Option<Category>| {
            let n = lines.len() as u32 + 1;
            lines.push(LedgerLine {
                transaction_id: t.transaction_id.clone(),
                line: n,
                item,
                settlement_id: t.settlement_id().map(str::to_string),
                group_id: t.related("FINANCIAL_EVENT_GROUP_ID").map(str::to_string),
                order_id: t.order_id().map(str::to_string),
                sku: sku.to_string(),
                asin: asin.cloned(),
                related: related.iter().chain(&base_related).cloned().collect(),
                marketplace_id: t.marketplace_id.clone(),
                posted: t.posted,
                posted_day: t.posted_day,
                transaction_type: t.transaction_type.clone(),
                status: t.status.clone(),
                amount_type: amount_type.to_string(),
                description: description.to_string(),
                category: category
                    .unwrap_or_else(|| classify(&t.transaction_type, amount_type, description)),
                quantity,
                amount,
                currency: currency.to_string(),
            });
        };
        let tx_description = t.description.clone().unwrap_or_default();
        let mut covered = Decimal::ZERO;
        if t.items.is_empty() {
            let mut l = vec![];
            leaves(&t.breakdowns, "", &mut l);
            for (parent, b) in &l {
                make(
                    &mut lines,
                    0,
                    ACCOUNT_LEVEL,
                    None,
                    &[],
                    0,
                    parent,
                    &b.breakdown_type,
                    b.amount,
                    &b.currency,
                    None,
                );
                covered += b.amount;
            }
            if l.is_empty() {
                make(
                    &mut lines,
                    0,
                    ACCOUNT_LEVEL,
                    None,
                    &[],
                    0,
                    "",
                    &tx_description,
                    t.total,
                    &t.currency,
                    None,
                );
                covered += t.total;
            }
        } else {
            for (i, it) in t.items.iter().enumerate() {
                let item = i as u32 + 1;
                let sku = it.sku.as_deref().unwrap_or(ACCOUNT_LEVEL);
                let quantity = it.quantity.unwrap_or(0) as i64;
                let mut l = vec![];
                leaves(&it.breakdowns, "", &mut l);
                let mut sum = Decimal::ZERO;
                for (parent, b) in &l {
                    make(
                        &mut lines,
                        item,
                        sku,
                        it.asin.as_ref(),
                        &it.related,
                        quantity,
                        parent,
                        &b.breakdown_type,
                        b.amount,
                        &b.currency,
                        None,
                    );
                    sum += b.amount;
                }
                if l.is_empty() {
                    // An item without breakdowns: its total, described as the transaction is
                    // (the item's own description is the product title).
                    make(
                        &mut lines,
                        item,
                        sku,
                        it.asin.as_ref(),
                        &it.related,
                        quantity,
                        "",
                        &tx_description,
                        it.total,
                        &it.currency,
                        None,
                    );
                    sum = it.total;
                } else if sum != it.total {
                    make(
                        &mut lines,
                        item,
                        sku,
                        it.asin.as_ref(),
                        &it.related,
                        quantity,
                        "",
                        "BreakdownRemainder",
                        it.total - sum,
                        &it.currency,
                        Some(Category::Unclassified),
                    );
                    sum = it.total;
                }
                covered += sum;
            }
        }
        if covered != t.total {
            make(
                &mut lines,
                0,
                ACCOUNT_LEVEL,
                None,
                &[],
                0,
                "",
                "BreakdownRemainder",
                t.total - covered,
                &t.currency,
                Some(Category::Unclassified),
            );
        }
        Self {
            transaction_id: t.transaction_id.clone(),
            marketplace_id: t.marketplace_id.clone(),
            transaction_type: t.transaction_type.clone(),
            posted: t.posted,
            posted_day: t.posted_day,
            order_id: t.order_id().map(str::to_string),
            settlement_id: t.settlement_id().map(str::to_string),
            total: t.total,
            currency: t.currency.clone(),
            lines,
            stage: t.source_version(),
        }
    }

    /// A shipment of an order (its sale), as opposed to a refund or any other transaction.
    pub fn is_shipment(&self) -> bool {
        self.order_id.is_some() && matches!(self.transaction_type.as_str(), "Shipment" | "Order")
    }

    fn version(&self) -> String {
        format!("{TABLE_VERSION:04}#{}", self.stage)
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let pk = keys::pk(tenant);
        let mut b = ItemBuilder::new(pk.clone(), format!("LEDGER#{}", self.transaction_id))
            .s(
                "gsi1pk",
                format!("{pk}#LSTL#{}", self.settlement_id.as_deref().unwrap_or("-")),
            )
            .s(
                "gsi1sk",
                format!("{}#{}", version_at(self.posted), self.transaction_id),
            )
            .s("transactionId", self.transaction_id.clone())
            .s("marketplaceId", self.marketplace_id.clone())
            .s("transactionType", self.transaction_type.clone())
            .s("posted", version_at(self.posted))
            .s("postedDay", self.posted_day.to_string())
            .opt_s("orderId", self.order_id.clone())
            .opt_s("settlementId", self.settlement_id.clone())
            .s("totalText", self.total.to_string())
            .s("currency", self.currency.clone())
            .s("stage", self.stage.clone())
            .s(
                "lines",
                serde_json::to_string(&self.lines).unwrap_or_default(),
            );
        if let Some(o) = &self.order_id {
            b = b
                .s("gsi2pk", format!("{pk}#LORD#{o}"))
                .s("gsi2sk", self.transaction_id.clone());
        }
        b.build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(format!("ledger {f}"));
        Ok(Self {
            transaction_id: i.s("transactionId")?,
            marketplace_id: i.s("marketplaceId")?,
            transaction_type: i.s("transactionType")?,
            posted: i.time("posted")?,
            posted_day: i
                .s("postedDay")?
                .parse()
                .map_err(|_| corrupt("postedDay"))?,
            order_id: i.opt_s("orderId"),
            settlement_id: i.opt_s("settlementId"),
            total: i
                .s("totalText")?
                .parse()
                .map_err(|_| corrupt("totalText"))?,
            currency: i.s("currency")?,
            lines: serde_json::from_str(&i.s("lines")?).map_err(|_| corrupt("lines"))?,
            stage: i.s("stage")?,
        })
    }
}

/// Writes a transaction's ledger unless the stored one is as new (same stage and table).
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    ledger: &TransactionLedger,
) -> Result<Written, StoreError> {
    put_newer(store, ledger.to_item(tenant), &ledger.version()).await
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    transaction_id: &str,
) -> Result<Option<TransactionLedger>, StoreError> {
    store
        .get(&Key::new(
            keys::pk(tenant),
            format!("LEDGER#{transaction_id}"),
        ))
        .await?
        .map(|i| TransactionLedger::from_item(&i))
        .transpose()
}

/// The ledgers of an order's transactions (shipments, refunds), by transaction id.
pub async fn of_order(
    store: &dyn Store,
    tenant: &Tenant,
    order_id: &str,
) -> Result<Vec<TransactionLedger>, StoreError> {
    let q = Query::partition(Index::Gsi2, format!("{}#LORD#{order_id}", keys::pk(tenant)));
    query_all(store, q)
        .await?
        .iter()
        .map(TransactionLedger::from_item)
        .collect()
}

/// The ledgers of the transactions in a settlement, by posted time.
pub async fn of_settlement(
    store: &dyn Store,
    tenant: &Tenant,
    settlement_id: &str,
) -> Result<Vec<TransactionLedger>, StoreError> {
    let q = Query::partition(
        Index::Gsi1,
        format!("{}#LSTL#{settlement_id}", keys::pk(tenant)),
    )
    .sk(SortKey::Any);
    query_all(store, q)
        .await?
        .iter()
        .map(TransactionLedger::from_item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amazon::models::finances as amazon;

    fn tx(v: serde_json::Value) -> TransactionRecord {
        let t: amazon::Transaction = serde_json::from_value(v).unwrap();
        TransactionRecord::from_amazon("conn", &t).unwrap()
    }

    fn shipment() -> serde_json::Value {
        serde_json::json!({
            "relatedIdentifiers": [
                {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "111-1"},
                {"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": "S9"}],
            "transactionType": "Shipment", "transactionId": "TX1", "transactionStatus": "RELEASED",
            "description": "Order", "postedDate": "2026-03-08T09:30:00Z",
            "totalAmount": {"currencyCode": "USD", "currencyAmount": 20.00},
            "marketplaceDetails": {"marketplaceId": "ATVPDKIKX0DER"},
            "items": [{
                "description": "Yoga mat",
                "totalAmount": {"currencyCode": "USD", "currencyAmount": 20.00},
                "contexts": [{"contextType": "ProductContext", "asin": "B1", "sku": "SKU-1", "quantityShipped": 2}],
                "relatedIdentifiers": [{"itemRelatedIdentifierName": "TRANSACTION_ID", "itemRelatedIdentifierValue": "OI-1"}],
                "breakdowns": [
                    {"breakdownType": "ItemPrice", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": 27.00},
                     "breakdowns": [
                        {"breakdownType": "Principal", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": 25.00}},
                        {"breakdownType": "Tax", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": 2.00}}]},
                    {"breakdownType": "ItemWithheldTax", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -2.00},
                     "breakdowns": [{"breakdownType": "MarketplaceFacilitatorTax-Principal", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -2.00}}]},
                    {"breakdownType": "ItemFees", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -4.50},
                     "breakdowns": [{"breakdownType": "Commission", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -3.75}},
                                    {"breakdownType": "NewFee", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -0.75}}]}
                ]
            }]
        })
    }

    #[test]
    fn every_leaf_is_a_classified_line_with_its_amazon_ids_and_they_sum_to_the_total() {
        let l = TransactionLedger::of(&tx(shipment()));
        let got: Vec<(&str, &str, Category, String)> = l
            .lines
            .iter()
            .map(|x| {
                (
                    x.amount_type.as_str(),
                    x.description.as_str(),
                    x.category,
                    x.amount.to_string(),
                )
            })
            .collect();
        // 27 + -2 + -4.50 = 20.50, but Amazon says 20.00: the remainder is shown.
        assert_eq!(
            got,
            vec![
                ("ItemPrice", "Principal", Category::Principal, "25.0".into()),
                ("ItemPrice", "Tax", Category::TaxCollected, "2.0".into()),
                (
                    "ItemWithheldTax",
                    "MarketplaceFacilitatorTax-Principal",
                    Category::TaxWithheld,
                    "-2.0".into()
                ),
                (
                    "ItemFees",
                    "Commission",
                    Category::ReferralFees,
                    "-3.75".into()
                ),
                ("ItemFees", "NewFee", Category::Unclassified, "-0.75".into()),
                (
                    "",
                    "BreakdownRemainder",
                    Category::Unclassified,
                    "-0.50".into()
                ),
            ]
        );
        assert_eq!(l.lines.iter().map(|x| x.amount).sum::<Decimal>(), l.total);
        let first = &l.lines[0];
        assert_eq!(first.transaction_id, "TX1");
        assert_eq!(first.order_id.as_deref(), Some("111-1"));
        assert_eq!(first.settlement_id.as_deref(), Some("S9"));
        assert_eq!(first.sku, "SKU-1");
        assert_eq!(first.quantity, 2);
        assert_eq!(
            first.related,
            vec![("TRANSACTION_ID".to_string(), "OI-1".to_string())]
        );
        assert!(l.is_shipment());
        let t = Tenant::create();
        assert_eq!(TransactionLedger::from_item(&l.to_item(&t)).unwrap(), l);
    }

    #[test]
    fn a_transaction_without_items_or_breakdowns_is_one_line_of_its_total() {
        let l = TransactionLedger::of(&tx(serde_json::json!({
            "transactionType": "ServiceFee", "transactionId": "TX2", "transactionStatus": "RELEASED",
            "description": "Subscription Fee", "postedDate": "2026-03-01T09:30:00Z",
            "totalAmount": {"currencyCode": "USD", "currencyAmount": -39.99},
            "marketplaceDetails": {"marketplaceId": "ATVPDKIKX0DER"}
        })));
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.lines[0].category, Category::OtherAmazonFees);
        assert_eq!(l.lines[0].sku, ACCOUNT_LEVEL);
        assert_eq!(l.lines[0].amount.to_string(), "-39.99");
    }
}
