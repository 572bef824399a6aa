//! Amazon Ads (Sponsored Products) records: the entities as Amazon lists them, and the daily
//! report rows of every level (campaign, ad group, keyword/target, advertised product, search
//! term), one record per entity and profile-local day.
//!
//! Keys (`crate::keys`):
//! - `ACCT#<t>` / `ADSENT#<kind>#<profileId>#<id>`: an entity; newer-wins by the time it was
//!   listed (every sweep rewrites what it listed; a bid we changed is written at once);
//! - `ACCT#<t>` / `ADSDAY#<level>#<date>#<profileId>#<entity>`: a report row; newer-wins by the
//!   time Amazon made the report, so the daily re-pull of the last 14 days replaces the figures
//!   that settled late and a replayed older report changes nothing: one row per entity and
//!   day, never a sum of two pulls.
//!
//! **Ad cost per SKU and day (for the profit engine)**: [`sku_costs`] gives, for a date range,
//! the spend of every advertised SKU per marketplace and profile-local day, summed over the
//! product ads advertising it (level `sku`, from `spAdvertisedProduct` rows). Sales figures are
//! Sponsored Products' 7-day attribution (`sales7d`, `purchases7d`); the 1, 14 and 30-day
//! windows are kept beside them.

use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an entity record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    Profile,
    Campaign,
    AdGroup,
    Keyword,
    Target,
    ProductAd,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Profile => "profile",
            EntityKind::Campaign => "campaign",
            EntityKind::AdGroup => "adgroup",
            EntityKind::Keyword => "keyword",
            EntityKind::Target => "target",
            EntityKind::ProductAd => "productad",
        }
    }
}

/// One Ads entity as Amazon listed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdsEntity {
    pub kind: EntityKind,
    pub profile_id: i64,
    /// Amazon's id (the profile id for a profile).
    pub id: String,
    /// The connection (`AmazonAccountId`) it was synced through.
    pub connection: String,
    pub marketplace_id: String,
    pub currency: String,
    #[serde(default)]
    pub campaign_id: Option<String>,
    #[serde(default)]
    pub ad_group_id: Option<String>,
    /// Campaign or ad group name, keyword text, target expression, or the ad's SKU.
    pub name: String,
    /// `EXACT`, `PHRASE`, `BROAD` (keywords), `TARGETING_EXPRESSION` (targets).
    #[serde(default)]
    pub match_type: Option<String>,
    pub state: String,
    /// The keyword's or target's own bid (`None`: the ad group's default).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub bid: Option<Decimal>,
    /// An ad group's default bid, or a campaign's daily budget.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub asin: Option<String>,
    /// A profile's time zone (report dates are its local dates).
    #[serde(default)]
    pub timezone: Option<String>,
    pub synced_at: DateTime<Utc>,
}

impl AdsEntity {
    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).ads_entity(
            self.kind.as_str(),
            self.profile_id,
            &self.id,
        ))
        .s("connection", self.connection.clone())
        .s("data", serde_json::to_string(self).unwrap_or_default())
        .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("data")?).map_err(|_| StoreError::Corrupt("data".into()))
    }

    /// The bid the entity bids: its own, or for a keyword or target without one, `fallback`.
    pub fn effective_bid(&self, fallback: Option<Decimal>) -> Option<Decimal> {
        self.bid.or(fallback)
    }
}

/// Writes an entity unless a later listing is stored.
pub async fn put_entity(
    store: &dyn Store,
    tenant: &Tenant,
    e: &AdsEntity,
) -> Result<Written, StoreError> {
    put_newer(store, e.to_item(tenant), &version_at(e.synced_at)).await
}

/// Every stored entity of one kind.
pub async fn entities(
    store: &dyn Store,
    tenant: &Tenant,
    kind: EntityKind,
) -> Result<Vec<AdsEntity>, StoreError> {
    query_all(store, keys::tenant(tenant).ads_entities(kind.as_str()))
        .await?
        .iter()
        .map(AdsEntity::from_item)
        .collect()
}

pub async fn entity(
    store: &dyn Store,
    tenant: &Tenant,
    kind: EntityKind,
    profile_id: i64,
    id: &str,
) -> Result<Option<AdsEntity>, StoreError> {
    store
        .get(&keys::tenant(tenant).ads_entity(kind.as_str(), profile_id, id))
        .await?
        .map(|i| AdsEntity::from_item(&i))
        .transpose()
}

/// The level of a report row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    Campaign,
    AdGroup,
    /// A keyword or product target (`spTargeting`).
    Target,
    /// An advertised product (`spAdvertisedProduct`): ad cost per SKU.
    Sku,
    SearchTerm,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Campaign,
        Level::AdGroup,
        Level::Target,
        Level::Sku,
        Level::SearchTerm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Campaign => "campaign",
            Level::AdGroup => "adgroup",
            Level::Target => "target",
            Level::Sku => "sku",
            Level::SearchTerm => "searchterm",
        }
    }
}

/// Attributed purchases and sales by window: 1, 7, 14 and 30 days.
pub const WINDOWS: [u32; 4] = [1, 7, 14, 30];

/// One report row: one entity on one profile-local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdsDay {
    pub level: Level,
    pub profile_id: i64,
    pub connection: String,
    pub marketplace_id: String,
    pub currency: String,
    pub date: NaiveDate,
    /// The row's entity: campaign, ad group, target or ad id; `<targetId>#<term>` for a
    /// search term.
    pub entity: String,
    pub campaign_id: String,
    #[serde(default)]
    pub ad_group_id: Option<String>,
    /// Keyword or product target id.
    #[serde(default)]
    pub target_id: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub asin: Option<String>,
    /// Campaign name, keyword text or target expression, or the search term.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub match_type: Option<String>,
    pub impressions: i64,
    pub clicks: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// By window ([`WINDOWS`]).
    pub purchases: [i64; 4],
    pub sales: [Decimal; 4],
    /// Units of the 7-day window.
    pub units7d: i64,
    pub report_id: String,
    /// When Amazon made the report (the row's version).
    pub reported_at: DateTime<Utc>,
}

impl AdsDay {
    /// Sponsored Products' 7-day attributed sales and purchases.
    pub fn sales7d(&self) -> Decimal {
        self.sales[1]
    }

    pub fn purchases7d(&self) -> i64 {
        self.purchases[1]
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).ads_day(
            self.level.as_str(),
            &self.date.to_string(),
            self.profile_id,
            &self.entity,
        ))
        .s("connection", self.connection.clone())
        .s("data", serde_json::to_string(self).unwrap_or_default())
        .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("data")?).map_err(|_| StoreError::Corrupt("data".into()))
    }
}

/// Writes a row unless one from a report made at the same time or later is stored.
pub async fn put_day(
    store: &dyn Store,
    tenant: &Tenant,
    d: &AdsDay,
) -> Result<Written, StoreError> {
    put_newer(store, d.to_item(tenant), &version_at(d.reported_at)).await
}

/// Writes a batch of rows, each newer-wins as [`put_day`], in transactions of up to 100:
/// one round trip per 100 rows when nothing as new is stored (a backfill, the daily
/// re-pull). A transaction a stored row cancels (a report made at the same time or later:
/// a step re-run after it died halfway) is written row by row. The outcome of each row, in
/// order.
pub async fn put_days(
    store: &dyn Store,
    tenant: &Tenant,
    days: &[AdsDay],
) -> Result<Vec<Written>, StoreError> {
    use crate::ports::store::{Condition, Key, TxOp, Value, MAX_TRANSACT_ITEMS};
    let mut out = Vec::with_capacity(days.len());
    for chunk in days.chunks(MAX_TRANSACT_ITEMS) {
        let items: Vec<(Item, String)> = chunk
            .iter()
            .map(|d| (d.to_item(tenant), version_at(d.reported_at)))
            .collect();
        let keys: std::collections::HashSet<Key> =
            items.iter().filter_map(|(i, _)| Key::of(i)).collect();
        if keys.len() == items.len() {
            let ops = items
                .iter()
                .map(|(item, version)| {
                    let mut item = item.clone();
                    item.insert(
                        crate::records::SOURCE_VERSION.into(),
                        Value::S(version.clone()),
                    );
                    TxOp::Put {
                        item,
                        condition: Some(Condition::Any(vec![
                            Condition::NotExists,
                            Condition::Below(
                                crate::records::SOURCE_VERSION.into(),
                                Value::S(version.clone()),
                            ),
                        ])),
                    }
                })
                .collect();
            match store.transact(ops).await {
                Ok(()) => {
                    out.extend(std::iter::repeat_n(Written::Stored, items.len()));
                    continue;
                }
                Err(StoreError::TransactionCanceled { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        for (item, version) in items {
            out.push(put_newer(store, item, &version).await?);
        }
    }
    Ok(out)
}

/// The stored rows of a level from `from` to `to` (inclusive).
pub async fn days(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AdsDay>, StoreError> {
    query_all(
        store,
        keys::tenant(tenant).ads_days(level.as_str(), &from.to_string(), &to.to_string()),
    )
    .await?
    .iter()
    .map(AdsDay::from_item)
    .collect()
}

/// Ad spend of one SKU on one day in one marketplace (the profit engine subtracts it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuAdCost {
    pub marketplace_id: String,
    pub sku: String,
    /// The Ads profile's local day (the marketplace's business day).
    pub date: NaiveDate,
    pub currency: String,
    pub cost: Decimal,
    /// 7-day attributed sales of the SKU's ads that day.
    pub sales7d: Decimal,
}

/// Ad spend per SKU, marketplace and day from `from` to `to`, summed over the product ads
/// that advertise each SKU.
pub async fn sku_costs(
    store: &dyn Store,
    tenant: &Tenant,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SkuAdCost>, StoreError> {
    let mut out: BTreeMap<(String, String, NaiveDate), SkuAdCost> = BTreeMap::new();
    for d in days(store, tenant, Level::Sku, from, to).await? {
        let sku = d.sku.clone().unwrap_or_default();
        let e = out
            .entry((d.marketplace_id.clone(), sku.clone(), d.date))
            .or_insert_with(|| SkuAdCost {
                marketplace_id: d.marketplace_id.clone(),
                sku,
                date: d.date,
                currency: d.currency.clone(),
                cost: Decimal::ZERO,
                sales7d: Decimal::ZERO,
            });
        e.cost += d.cost;
        e.sales7d += d.sales7d();
    }
    Ok(out.into_values().collect())
}
