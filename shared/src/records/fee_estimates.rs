//! Amazon's fee estimates (Product Fees v0 `getMyFeesEstimates`) for a listing at a price:
//! what Amazon expects to charge on a sale that is not settled yet, so profit can be shown
//! before the settlement says what was really charged.
//!
//! Keys: `ACCT#<t>` / `FEE#<marketplaceId>#<AFN|MFN>#<sku>#<price>`; newer-wins by the time
//! Amazon made the estimate (`TimeOfFeesEstimation`).

use crate::amazon::models::fees as amazon;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Key, Store, StoreError};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What to estimate: a listing of a marketplace at a unit price, fulfilled by Amazon (`AFN`)
/// or by the merchant (`MFN`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeQuery {
    pub marketplace_id: String,
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    pub currency: String,
    pub channel: String,
}

impl FeeQuery {
    pub fn key(&self, tenant: &Tenant) -> Key {
        keys::tenant(tenant).fee_estimate(
            &self.marketplace_id,
            &self.channel,
            &self.sku,
            &self.price.normalize().to_string(),
        )
    }

    pub fn amazon_fulfilled(&self) -> bool {
        self.channel == "AFN"
    }
}

/// One fee of an estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fee {
    pub fee_type: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub final_fee: Decimal,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub promotion: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub tax: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included: Vec<Fee>,
}

/// A stored estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeEstimateRecord {
    pub query: FeeQuery,
    pub connection: String,
    /// When Amazon made it, and the text it sent for that.
    pub estimated_at: DateTime<Utc>,
    pub time_of_estimation: String,
    pub total: Decimal,
    pub currency: String,
    pub fees: Vec<Fee>,
}

/// Amazon's `TimeOfFeesEstimation`: documented as a date-time, also sent as
/// `Mon Oct 28 18:49:32 UTC 2019`.
pub fn estimation_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text.trim(), "%a %b %d %H:%M:%S UTC %Y")
                .ok()
                .map(|t| t.and_utc())
        })
}

fn amount(m: &amazon::MoneyType, what: &str) -> Result<Decimal, String> {
    m.amount.ok_or_else(|| format!("{what} has no Amount"))
}

fn fee(d: &amazon::FeeDetail) -> Result<Fee, String> {
    Ok(Fee {
        fee_type: d.fee_type.clone(),
        amount: amount(&d.fee_amount, &format!("{}.FeeAmount", d.fee_type))?,
        final_fee: amount(&d.final_fee, &format!("{}.FinalFee", d.fee_type))?,
        promotion: d.fee_promotion.as_ref().and_then(|m| m.amount),
        tax: d.tax_amount.as_ref().and_then(|m| m.amount),
        included: d
            .included_fee_detail_list
            .iter()
            .map(|i| {
                Ok(Fee {
                    fee_type: i.fee_type.clone(),
                    amount: amount(&i.fee_amount, &format!("{}.FeeAmount", i.fee_type))?,
                    final_fee: amount(&i.final_fee, &format!("{}.FinalFee", i.fee_type))?,
                    promotion: i.fee_promotion.as_ref().and_then(|m| m.amount),
                    tax: i.tax_amount.as_ref().and_then(|m| m.amount),
                    included: vec![],
                })
            })
            .collect::<Result<_, String>>()?,
    })
}

impl FeeEstimateRecord {
    /// Reads Amazon's estimate for `query`; `now` stands in for an estimation time Amazon
    /// sent in no form we read. An estimate without its total is an error, never a zero.
    pub fn from_amazon(
        connection: &str,
        query: &FeeQuery,
        e: &amazon::FeesEstimate,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        let total = e
            .total_fees_estimate
            .as_ref()
            .ok_or_else(|| format!("fee estimate of {}: no TotalFeesEstimate", query.sku))?;
        Ok(Self {
            query: query.clone(),
            connection: connection.to_string(),
            estimated_at: estimation_time(&e.time_of_fees_estimation).unwrap_or(now),
            time_of_estimation: e.time_of_fees_estimation.clone(),
            total: amount(total, "TotalFeesEstimate")?,
            currency: total
                .currency_code
                .clone()
                .unwrap_or_else(|| query.currency.clone()),
            fees: e
                .fee_detail_list
                .iter()
                .map(fee)
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let q = &self.query;
        ItemBuilder::at(q.key(tenant))
            .s("marketplaceId", q.marketplace_id.clone())
            .s("sku", q.sku.clone())
            .opt_s("asin", q.asin.clone())
            .s("channel", q.channel.clone())
            .decimal("price", q.price)
            .s("priceText", q.price.to_string())
            .s("priceCurrency", q.currency.clone())
            .s("connection", self.connection.clone())
            .time("estimatedAt", self.estimated_at)
            .s("timeOfFeesEstimation", self.time_of_estimation.clone())
            .decimal("totalFees", self.total)
            .s("totalFeesText", self.total.to_string())
            .s("currency", self.currency.clone())
            .s(
                "fees",
                serde_json::to_string(&self.fees).unwrap_or_default(),
            )
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(f.to_string());
        let dec =
            |f: &str| -> Result<Decimal, StoreError> { i.s(f)?.parse().map_err(|_| corrupt(f)) };
        Ok(Self {
            query: FeeQuery {
                marketplace_id: i.s("marketplaceId")?,
                sku: i.s("sku")?,
                asin: i.opt_s("asin"),
                price: dec("priceText")?,
                currency: i.s("priceCurrency")?,
                channel: i.s("channel")?,
            },
            connection: i.s("connection")?,
            estimated_at: i.time("estimatedAt")?,
            time_of_estimation: i.s("timeOfFeesEstimation")?,
            total: dec("totalFeesText")?,
            currency: i.s("currency")?,
            fees: serde_json::from_str(&i.s("fees")?).map_err(|_| corrupt("fees"))?,
        })
    }
}

/// Writes an estimate unless the stored one was made at the same time or later.
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    record: &FeeEstimateRecord,
) -> Result<Written, StoreError> {
    put_newer(
        store,
        record.to_item(tenant),
        &version_at(record.estimated_at),
    )
    .await
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    query: &FeeQuery,
) -> Result<Option<FeeEstimateRecord>, StoreError> {
    store
        .get(&query.key(tenant))
        .await?
        .map(|i| FeeEstimateRecord::from_item(&i))
        .transpose()
}

/// The stored estimates of these listings (missing ones left out).
pub async fn many(
    store: &dyn Store,
    tenant: &Tenant,
    queries: &[FeeQuery],
) -> Result<Vec<FeeEstimateRecord>, StoreError> {
    let keys: Vec<Key> = queries.iter().map(|q| q.key(tenant)).collect();
    store
        .batch_get(&keys)
        .await?
        .iter()
        .map(FeeEstimateRecord::from_item)
        .collect()
}

/// Every stored estimate of the tenant.
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<FeeEstimateRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).fee_estimates())
        .await?
        .iter()
        .map(FeeEstimateRecord::from_item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimation_times_read_in_both_forms_amazon_sends() {
        let t = estimation_time("2019-10-28T18:49:32Z").unwrap();
        assert_eq!(estimation_time("Mon Oct 28 18:49:32 UTC 2019"), Some(t));
        assert_eq!(estimation_time("yesterday"), None);
    }
}
