//! Financial transactions (Finances 2024-06-19 `listTransactions`), one record per Amazon
//! transaction id, with every amount as Amazon sent it (exact decimals with their currency),
//! its breakdowns and items, the related identifiers (order, settlement, event group, refund…),
//! marketplace, posted time and status.
//!
//! Keys: `ACCT#<t>` / `FTX#<transactionId>`; gsi1 `ACCT#<t>#FTX#<marketplaceId>` /
//! `<posted RFC 3339>#<transactionId>` (a marketplace's transactions by posted time, for the
//! profit ledger's recomputation of the days an event names).
//!
//! Deferred money: Amazon lists a transaction whose payout is held (delivery-date policy `DD7`,
//! B2B invoices…) with `transactionStatus` `DEFERRED` and a `DeferredContext` (reason, maturity
//! date). When the money is released Amazon changes the status of the same transaction id (to
//! `DEFERRED_RELEASED` since the 2025-04-30 change, `RELEASED` for money never held); its
//! `postedDate` stays the posting date. Later the transaction gains its `SETTLEMENT_ID` and
//! `FINANCIAL_EVENT_GROUP_ID` once the money is in a settlement.
//!
//! Source version: Amazon gives transactions no last-update time, but their life only moves
//! one way: deferred, then released, then settled. The version is that stage (`1` deferred,
//! `2` released, `3` released into a settlement), so a released record is never overwritten
//! by a deferred one from a replay or a late page, and the same data read again is the same
//! version and writes nothing: replays leave the store byte for byte as it was.

use crate::amazon::models::finances as amazon;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use crate::records::{put_newer, Written};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount breakdown (`breakdownType` and its signed amount), nested as Amazon nests them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    pub breakdown_type: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<Breakdown>,
}

/// One item of a transaction (a SKU of an order, or the line of an account-level fee).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_network: Option<String>,
    /// `itemRelatedIdentifierName` → value (order item ids and the like).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<(String, String)>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<Breakdown>,
}

/// A stored transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionRecord {
    pub transaction_id: String,
    /// Our connection it was read through.
    pub connection: String,
    pub seller_id: Option<String>,
    pub account_type: Option<String>,
    pub marketplace_id: String,
    pub marketplace_name: Option<String>,
    /// `Shipment`, `Refund`, `ServiceFee`, `Adjustment`, `ProductAdsPayment`, …
    pub transaction_type: String,
    pub description: Option<String>,
    /// As Amazon sent it: `DEFERRED`, `RELEASED`, `DEFERRED_RELEASED`.
    pub status: String,
    pub posted: DateTime<Utc>,
    /// The marketplace-local day of `posted` (Amazon's days are the marketplace's).
    pub posted_day: NaiveDate,
    pub total: Decimal,
    pub currency: String,
    /// Every `relatedIdentifierName` → value, as sent.
    pub related: Vec<(String, String)>,
    pub deferral_reason: Option<String>,
    pub maturity: Option<DateTime<Utc>>,
    pub breakdowns: Vec<Breakdown>,
    pub items: Vec<TransactionItem>,
}

/// Why a transaction could not be read; names the transaction and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("transaction {transaction}: {field} {problem}")]
pub struct Unreadable {
    pub transaction: String,
    pub field: String,
    pub problem: &'static str,
}

/// The marketplace-local calendar day of an instant (UTC for an unknown marketplace).
pub fn local_day(marketplace_id: &str, at: DateTime<Utc>) -> NaiveDate {
    let tz: chrono_tz::Tz = crate::marketplaces::by_id(marketplace_id)
        .and_then(|m| m.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    at.with_timezone(&tz).date_naive()
}

fn money(
    id: &str,
    field: &str,
    c: Option<&amazon::Currency>,
) -> Result<(Decimal, String), Unreadable> {
    let missing = |problem| Unreadable {
        transaction: id.to_string(),
        field: field.to_string(),
        problem,
    };
    let c = c.ok_or_else(|| missing("is missing"))?;
    let amount = c
        .currency_amount
        .ok_or_else(|| missing("has no currencyAmount"))?;
    let currency = c
        .currency_code
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| missing("has no currencyCode"))?;
    Ok((amount, currency))
}

fn breakdowns(
    id: &str,
    path: &str,
    list: &[amazon::Breakdown],
) -> Result<Vec<Breakdown>, Unreadable> {
    list.iter()
        .enumerate()
        .map(|(i, b)| {
            let here = format!("{path}[{i}]");
            let (amount, currency) = money(
                id,
                &format!("{here}.breakdownAmount"),
                b.breakdown_amount.as_ref(),
            )?;
            Ok(Breakdown {
                breakdown_type: b.breakdown_type.clone().unwrap_or_default(),
                amount,
                currency,
                breakdowns: breakdowns(id, &format!("{here}.breakdowns"), &b.breakdowns)?,
            })
        })
        .collect()
}

impl TransactionRecord {
    /// Reads Amazon's transaction. Money that is missing or unreadable is an error naming the
    /// field, never a zero.
    pub fn from_amazon(connection: &str, t: &amazon::Transaction) -> Result<Self, Unreadable> {
        let id = t
            .transaction_id
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Unreadable {
                transaction: "?".into(),
                field: "transactionId".into(),
                problem: "is missing",
            })?;
        let missing = |field: &str| Unreadable {
            transaction: id.clone(),
            field: field.to_string(),
            problem: "is missing",
        };
        let posted = t.posted_date.ok_or_else(|| missing("postedDate"))?;
        let marketplace_id = t
            .marketplace_details
            .as_ref()
            .and_then(|m| m.marketplace_id.clone())
            .or_else(|| {
                t.selling_partner_metadata
                    .as_ref()
                    .and_then(|m| m.marketplace_id.clone())
            })
            .filter(|m| !m.is_empty())
            .ok_or_else(|| missing("marketplaceDetails.marketplaceId"))?;
        let (total, currency) = money(&id, "totalAmount", t.total_amount.as_ref())?;
        let related = t
            .related_identifiers
            .iter()
            .filter_map(|r| {
                Some((
                    r.related_identifier_name.clone()?,
                    r.related_identifier_value.clone()?,
                ))
            })
            .collect();
        let deferred = t
            .contexts
            .iter()
            .find(|c| c.context_type == "DeferredContext");
        let items = t
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let product = it
                    .contexts
                    .iter()
                    .find(|c| c.context_type == "ProductContext");
                let (total, currency) = money(
                    &id,
                    &format!("items[{i}].totalAmount"),
                    it.total_amount.as_ref(),
                )?;
                Ok(TransactionItem {
                    description: it.description.clone(),
                    sku: product.and_then(|p| p.sku.clone()),
                    asin: product.and_then(|p| p.asin.clone()),
                    quantity: product.and_then(|p| p.quantity_shipped),
                    fulfillment_network: product.and_then(|p| p.fulfillment_network.clone()),
                    related: it
                        .related_identifiers
                        .iter()
                        .filter_map(|r| {
                            Some((
                                r.item_related_identifier_name.clone()?,
                                r.item_related_identifier_value.clone()?,
                            ))
                        })
                        .collect(),
                    total,
                    currency,
                    breakdowns: breakdowns(&id, &format!("items[{i}].breakdowns"), &it.breakdowns)?,
                })
            })
            .collect::<Result<Vec<_>, Unreadable>>()?;
        Ok(Self {
            connection: connection.to_string(),
            seller_id: t
                .selling_partner_metadata
                .as_ref()
                .and_then(|m| m.selling_partner_id.clone()),
            account_type: t
                .selling_partner_metadata
                .as_ref()
                .and_then(|m| m.account_type.clone()),
            marketplace_name: t
                .marketplace_details
                .as_ref()
                .and_then(|m| m.marketplace_name.clone()),
            transaction_type: t.transaction_type.clone().unwrap_or_default(),
            description: t.description.clone(),
            status: t
                .transaction_status
                .clone()
                .ok_or_else(|| missing("transactionStatus"))?,
            posted_day: local_day(&marketplace_id, posted),
            posted,
            total,
            currency,
            related,
            deferral_reason: deferred.and_then(|c| c.deferral_reason.clone()),
            maturity: deferred.and_then(|c| c.maturity_date),
            breakdowns: breakdowns(&id, "breakdowns", &t.breakdowns)?,
            items,
            marketplace_id,
            transaction_id: id,
        })
    }

    /// The value of a related identifier (`ORDER_ID`, `SETTLEMENT_ID`, …).
    pub fn related(&self, name: &str) -> Option<&str> {
        self.related
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn order_id(&self) -> Option<&str> {
        self.related("ORDER_ID")
    }

    pub fn settlement_id(&self) -> Option<&str> {
        self.related("SETTLEMENT_ID")
    }

    pub fn is_deferred(&self) -> bool {
        self.status == "DEFERRED"
    }

    /// The SKUs of its items.
    pub fn skus(&self) -> Vec<String> {
        let mut s: Vec<String> = self.items.iter().filter_map(|i| i.sku.clone()).collect();
        s.sort();
        s.dedup();
        s
    }

    /// The source version: its stage in the one-way life deferred → released → settled.
    pub fn source_version(&self) -> String {
        let stage = if self.is_deferred() {
            1
        } else if self.settlement_id().is_some() {
            3
        } else {
            2
        };
        stage.to_string()
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let k = keys::tenant(tenant);
        ItemBuilder::at(k.transaction(&self.transaction_id))
            .s("gsi1pk", k.transactions_posted_pk(&self.marketplace_id))
            .s(
                "gsi1sk",
                format!(
                    "{}#{}",
                    crate::records::version_at(self.posted),
                    self.transaction_id
                ),
            )
            .s("transactionId", self.transaction_id.clone())
            .s("connection", self.connection.clone())
            .opt_s("sellerId", self.seller_id.clone())
            .opt_s("accountType", self.account_type.clone())
            .s("marketplaceId", self.marketplace_id.clone())
            .opt_s("marketplaceName", self.marketplace_name.clone())
            .s("transactionType", self.transaction_type.clone())
            .opt_s("description", self.description.clone())
            .s("status", self.status.clone())
            .s("postedDate", crate::records::version_at(self.posted))
            .s("postedDay", self.posted_day.to_string())
            .decimal("totalAmount", self.total)
            .s("totalAmountText", self.total.to_string())
            .s("currency", self.currency.clone())
            .s("related", json(&self.related))
            .opt_s("orderId", self.order_id().map(str::to_string))
            .opt_s("settlementId", self.settlement_id().map(str::to_string))
            .opt_s(
                "groupId",
                self.related("FINANCIAL_EVENT_GROUP_ID").map(str::to_string),
            )
            .list_s("skus", &self.skus())
            .opt_s("deferralReason", self.deferral_reason.clone())
            .opt_time("maturityDate", self.maturity)
            .s("breakdowns", json(&self.breakdowns))
            .s("items", json(&self.items))
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(f.to_string());
        let parse = |f: &str| -> Result<serde_json::Value, StoreError> {
            serde_json::from_str(&i.s(f)?).map_err(|_| corrupt(f))
        };
        Ok(Self {
            transaction_id: i.s("transactionId")?,
            connection: i.s("connection")?,
            seller_id: i.opt_s("sellerId"),
            account_type: i.opt_s("accountType"),
            marketplace_id: i.s("marketplaceId")?,
            marketplace_name: i.opt_s("marketplaceName"),
            transaction_type: i.s("transactionType")?,
            description: i.opt_s("description"),
            status: i.s("status")?,
            posted: i.time("postedDate")?,
            posted_day: i
                .s("postedDay")?
                .parse()
                .map_err(|_| corrupt("postedDay"))?,
            total: i
                .s("totalAmountText")?
                .parse()
                .map_err(|_| corrupt("totalAmountText"))?,
            currency: i.s("currency")?,
            related: serde_json::from_value(parse("related")?).map_err(|_| corrupt("related"))?,
            deferral_reason: i.opt_s("deferralReason"),
            maturity: i.opt_time("maturityDate"),
            breakdowns: serde_json::from_value(parse("breakdowns")?)
                .map_err(|_| corrupt("breakdowns"))?,
            items: serde_json::from_value(parse("items")?).map_err(|_| corrupt("items"))?,
        })
    }
}

/// A value as JSON text (amounts are decimal strings, never floats).
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Writes a transaction unless the stored one is at the same stage or later.
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    record: &TransactionRecord,
) -> Result<Written, StoreError> {
    put_newer(store, record.to_item(tenant), &record.source_version()).await
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    transaction_id: &str,
) -> Result<Option<TransactionRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).transaction(transaction_id))
        .await?
        .map(|i| TransactionRecord::from_item(&i))
        .transpose()
}

/// Every stored transaction of the tenant (tests and small tenants; the ledger reads by day).
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<TransactionRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).transactions())
        .await?
        .iter()
        .map(TransactionRecord::from_item)
        .collect()
}

/// A marketplace's transactions posted in `[from, to)`, by posted time.
pub async fn posted_between(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TransactionRecord>, StoreError> {
    let items = query_all(
        store,
        keys::tenant(tenant).transactions_posted(
            marketplace_id,
            &crate::records::version_at(from),
            &crate::records::version_at(to),
        ),
    )
    .await?;
    items.iter().map(TransactionRecord::from_item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> amazon::Transaction {
        serde_json::from_value(serde_json::json!({
            "sellingPartnerMetadata": {"sellingPartnerId": "A1", "accountType": "Standard Orders", "marketplaceId": "ATVPDKIKX0DER"},
            "relatedIdentifiers": [{"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "111-1"}],
            "transactionType": "Shipment",
            "transactionId": "TX1",
            "transactionStatus": "DEFERRED",
            "description": "Order",
            "postedDate": "2026-03-01T07:30:00Z",
            "totalAmount": {"currencyCode": "USD", "currencyAmount": 17.49},
            "marketplaceDetails": {"marketplaceId": "ATVPDKIKX0DER", "marketplaceName": "Amazon.com"},
            "contexts": [{"contextType": "DeferredContext", "deferralReason": "DD7", "maturityDate": "2026-03-10T00:00:00Z"}],
            "items": [{
                "description": "Yoga mat",
                "totalAmount": {"currencyCode": "USD", "currencyAmount": 17.49},
                "contexts": [{"contextType": "ProductContext", "asin": "B0001", "sku": "SKU-1", "quantityShipped": 1, "fulfillmentNetwork": "AFN"}],
                "breakdowns": [
                    {"breakdownType": "ItemPrice", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": 24.99},
                     "breakdowns": [{"breakdownType": "Principal", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": 24.99}}]},
                    {"breakdownType": "ItemFees", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -7.50},
                     "breakdowns": [{"breakdownType": "Commission", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -3.75}},
                                    {"breakdownType": "FBAPerUnitFulfillmentFee", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -3.75}}]}
                ]
            }]
        }))
        .unwrap()
    }

    #[test]
    fn a_transaction_keeps_its_ids_amounts_and_local_day_and_round_trips() {
        let r = TransactionRecord::from_amazon("conn", &sample()).unwrap();
        assert_eq!(r.total, Decimal::new(1749, 2));
        assert_eq!(r.order_id(), Some("111-1"));
        assert_eq!(r.skus(), ["SKU-1"]);
        assert_eq!(r.deferral_reason.as_deref(), Some("DD7"));
        // 07:30 UTC is still the day before in Pacific time.
        assert_eq!(r.posted_day.to_string(), "2026-02-28");
        assert_eq!(r.source_version(), "1");
        let t = Tenant::create();
        assert_eq!(TransactionRecord::from_item(&r.to_item(&t)).unwrap(), r);
    }

    #[test]
    fn the_version_orders_deferred_before_released_before_settled() {
        let mut t = sample();
        let deferred = TransactionRecord::from_amazon("c", &t)
            .unwrap()
            .source_version();
        t.transaction_status = Some("DEFERRED_RELEASED".into());
        let released = TransactionRecord::from_amazon("c", &t)
            .unwrap()
            .source_version();
        t.related_identifiers.push(amazon::RelatedIdentifier {
            related_identifier_name: Some("SETTLEMENT_ID".into()),
            related_identifier_value: Some("123".into()),
        });
        let settled = TransactionRecord::from_amazon("c", &t)
            .unwrap()
            .source_version();
        assert!(deferred < released && released < settled);
    }

    #[test]
    fn missing_money_is_an_error_naming_the_field_never_a_zero() {
        let mut t = sample();
        t.items[0].breakdowns[1].breakdowns[0].breakdown_amount = None;
        let e = TransactionRecord::from_amazon("c", &t).unwrap_err();
        assert_eq!(e.transaction, "TX1");
        assert_eq!(
            e.field,
            "items[0].breakdowns[1].breakdowns[0].breakdownAmount"
        );
    }
}
