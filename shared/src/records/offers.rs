//! Offers and the buy box of the seller's ASINs, as ANY_OFFER_CHANGED tells them: a time series
//! per ASIN and marketplace (who holds the buy box, at what landed price, how many offers),
//! and the latest point of each; and the PRICING_HEALTH facts (our offer not eligible for the
//! featured offer, with the reference prices Amazon compared it to).
//!
//! Keys: `ACCT#<t>` / `OFFERPT#<marketplaceId>#<asin>#<time of change>` (a point is written once:
//! duplicates write nothing, and points arriving out of order land in their place), the latest
//! at `BUYBOX#<marketplaceId>#<asin>` newer-wins by Amazon's time of the change;
//! `PRICEHEALTH#<marketplaceId>#<asin>#<time of change>#<issueType>` written once.

use crate::amazon::models::notification_payloads::AnyOfferChangedNotification;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Condition, Item, ItemBuilder, ItemExt, Store, StoreError};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One point of an ASIN's offers series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferPoint {
    pub marketplace_id: String,
    pub asin: String,
    /// Amazon's time of the change.
    pub at: DateTime<Utc>,
    pub condition: String,
    /// `External`, `Internal`, `Featured Offer`.
    pub change_type: String,
    /// The seller holding the buy box, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buy_box_seller: Option<String>,
    /// Whether it is our seller.
    pub ours: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub buy_box_landed_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Offers of every channel in the notification's condition.
    pub offer_count: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub lowest_landed_price: Option<Decimal>,
    /// Our own listing price, when our offer is among the top 20.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub our_price: Option<Decimal>,
}

impl OfferPoint {
    /// The point an ANY_OFFER_CHANGED notification makes.
    pub fn from_notification(n: &AnyOfferChangedNotification) -> Self {
        let t = &n.offer_change_trigger;
        let winner = n.offers.iter().find(|o| o.is_buy_box_winner == Some(true));
        let buy_box = n.summary.buy_box_prices.first();
        let lowest = n
            .summary
            .lowest_prices
            .iter()
            .map(|p| &p.landed_price)
            .min_by_key(|m| m.amount);
        let counted: i64 = n
            .summary
            .number_of_offers
            .iter()
            .map(|c| c.offer_count)
            .sum();
        let landed_of_winner = winner.map(|w| {
            w.listing_price.amount + w.shipping.as_ref().map_or(Decimal::ZERO, |s| s.amount)
        });
        OfferPoint {
            marketplace_id: t.marketplace_id.clone(),
            asin: t.asin.clone(),
            at: t.time_of_offer_change,
            condition: t.item_condition.clone(),
            change_type: t.offer_change_type.clone(),
            buy_box_seller: winner.map(|w| w.seller_id.clone()),
            ours: winner.is_some_and(|w| w.seller_id == n.seller_id),
            buy_box_landed_price: buy_box.map(|b| b.landed_price.amount).or(landed_of_winner),
            currency: buy_box
                .map(|b| b.landed_price.currency_code.clone())
                .or_else(|| lowest.map(|l| l.currency_code.clone())),
            offer_count: if counted > 0 {
                counted
            } else {
                n.offers.len() as i64
            },
            lowest_landed_price: lowest.map(|l| l.amount),
            our_price: n
                .offers
                .iter()
                .find(|o| o.seller_id == n.seller_id)
                .map(|o| o.listing_price.amount),
        }
    }

    fn at_key(&self) -> String {
        version_at(self.at)
    }

    fn to_item(&self, key: crate::ports::store::Key) -> Item {
        ItemBuilder::at(key)
            .s("marketplaceId", self.marketplace_id.clone())
            .s("asin", self.asin.clone())
            .time("at", self.at)
            .s("point", serde_json::to_string(self).unwrap_or_default())
            .build()
    }

    fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("point")?).map_err(|_| StoreError::Corrupt("point".into()))
    }
}

/// What keeping a point did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// A new point of the series (not a duplicate).
    pub new_point: bool,
    /// The latest changed (the point is the newest one so far).
    pub latest: Written,
}

/// Keeps a point: in the series once, and as the latest when it is the newest.
pub async fn keep(store: &dyn Store, tenant: &Tenant, p: &OfferPoint) -> Result<Kept, StoreError> {
    let k = keys::tenant(tenant);
    let new_point = match store
        .put(
            p.to_item(k.offer_point(&p.marketplace_id, &p.asin, &p.at_key())),
            Some(Condition::NotExists),
        )
        .await
    {
        Ok(()) => true,
        Err(StoreError::ConditionFailed) => false,
        Err(e) => return Err(e),
    };
    let latest = put_newer(
        store,
        p.to_item(k.buy_box(&p.marketplace_id, &p.asin)),
        &p.at_key(),
    )
    .await?;
    Ok(Kept { new_point, latest })
}

/// The series of an ASIN in a marketplace, oldest first.
pub async fn series(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    asin: &str,
) -> Result<Vec<OfferPoint>, StoreError> {
    query_all(
        store,
        keys::tenant(tenant).offer_points(marketplace_id, asin),
    )
    .await?
    .iter()
    .map(OfferPoint::from_item)
    .collect()
}

/// Every point of the tenant.
pub async fn all_points(store: &dyn Store, tenant: &Tenant) -> Result<Vec<OfferPoint>, StoreError> {
    query_all(store, keys::tenant(tenant).all_offer_points())
        .await?
        .iter()
        .map(OfferPoint::from_item)
        .collect()
}

/// The latest point of an ASIN in a marketplace.
pub async fn latest(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    asin: &str,
) -> Result<Option<OfferPoint>, StoreError> {
    store
        .get(&keys::tenant(tenant).buy_box(marketplace_id, asin))
        .await?
        .map(|i| OfferPoint::from_item(&i))
        .transpose()
}

/// A PRICING_HEALTH fact: our offer is not eligible for the featured offer because of its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricingHealthRecord {
    pub marketplace_id: String,
    pub asin: String,
    pub at: DateTime<Utc>,
    /// e.g. `BuyBoxEligibility`.
    pub issue_type: String,
    pub condition: String,
    pub fulfillment_type: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub our_landed_price: Decimal,
    pub currency: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub buy_box_landed_price: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub competitive_price_threshold: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub average_selling_price: Option<Decimal>,
}

/// Keeps a PRICING_HEALTH fact once; `true` when it was new.
pub async fn keep_pricing_health(
    store: &dyn Store,
    tenant: &Tenant,
    r: &PricingHealthRecord,
) -> Result<bool, StoreError> {
    let key = keys::tenant(tenant).pricing_health(
        &r.marketplace_id,
        &r.asin,
        &version_at(r.at),
        &r.issue_type,
    );
    let item = ItemBuilder::at(key)
        .s("marketplaceId", r.marketplace_id.clone())
        .s("asin", r.asin.clone())
        .time("at", r.at)
        .s("fact", serde_json::to_string(r).unwrap_or_default())
        .build();
    match store.put(item, Some(Condition::NotExists)).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Every PRICING_HEALTH fact of the tenant, oldest first per ASIN.
pub async fn pricing_health(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Vec<PricingHealthRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).pricing_health_all())
        .await?
        .iter()
        .map(|i| {
            serde_json::from_str(&i.s("fact")?).map_err(|_| StoreError::Corrupt("fact".into()))
        })
        .collect()
}
