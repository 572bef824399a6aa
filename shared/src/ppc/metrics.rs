//! PPC metrics from the synced daily report rows (`crate::records::ads`): impressions,
//! clicks, spend, sales and orders, and the ratios the UI shows (CTR, CPC, CVR, ACOS, ROAS,
//! ROI, TACoS), per account, campaign, ad group, keyword/target, SKU and day.
//!
//! Sales and orders are Sponsored Products' **7-day attribution** (`sales7d`,
//! `purchases7d`): what Amazon credits to an ad within 7 days of its click. Figures of the
//! last 14 days still change as Amazon settles them (the sync re-pulls them every day).
//!
//! TACoS divides ad spend by the marketplace's total sales. Until the profit ledger's daily
//! rollups are merged, total sales are summed from the synced orders (item prices of orders
//! purchased in the range that were not cancelled), on the marketplace's business days.

use crate::keys::Tenant;
use crate::marketplaces;
use crate::ports::store::{Store, StoreError};
use crate::records::ads::{self as records, AdsDay, AdsEntity, EntityKind, Level};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Which rows to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// One connection (`amazonAccountId`), or every one of the tenant.
    pub connection: Option<String>,
    /// One marketplace; without it, see [`main_marketplace`].
    pub marketplace_id: Option<String>,
    /// The home marketplace of the connection asked for (or of the tenant's first one): the
    /// marketplace figures are read in when none is asked for and it has rows.
    pub home_marketplace: Option<String>,
    /// Campaigns advertising this SKU (SKU-level rows: this SKU).
    pub sku: Option<String>,
    pub campaign_id: Option<String>,
    pub ad_group_id: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Summed figures and their ratios.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub impressions: i64,
    pub clicks: i64,
    pub spend: Decimal,
    /// 7-day attributed sales and orders.
    pub sales: Decimal,
    pub orders: i64,
    pub units: i64,
}

fn ratio(n: Decimal, d: Decimal, scale: Decimal) -> Option<Decimal> {
    (!d.is_zero()).then(|| (n * scale / d).round_dp(2))
}

impl Totals {
    pub fn add(&mut self, d: &AdsDay) {
        self.impressions += d.impressions;
        self.clicks += d.clicks;
        self.spend += d.cost;
        self.sales += d.sales7d();
        self.orders += d.purchases7d();
        self.units += d.units7d;
    }

    /// Click-through rate, percent of impressions.
    pub fn ctr(&self) -> Option<Decimal> {
        ratio(
            self.clicks.into(),
            self.impressions.into(),
            Decimal::ONE_HUNDRED,
        )
    }

    /// Cost per click.
    pub fn cpc(&self) -> Option<Decimal> {
        ratio(self.spend, self.clicks.into(), Decimal::ONE)
    }

    /// Conversion rate, percent of clicks that ordered.
    pub fn cvr(&self) -> Option<Decimal> {
        ratio(self.orders.into(), self.clicks.into(), Decimal::ONE_HUNDRED)
    }

    /// Advertising cost of sales, percent.
    pub fn acos(&self) -> Option<Decimal> {
        ratio(self.spend, self.sales, Decimal::ONE_HUNDRED)
    }

    /// Return on ad spend (sales per unit of spend).
    pub fn roas(&self) -> Option<Decimal> {
        ratio(self.sales, self.spend, Decimal::ONE)
    }

    /// Return on investment, percent: (sales − spend) / spend.
    pub fn roi(&self) -> Option<Decimal> {
        ratio(self.sales - self.spend, self.spend, Decimal::ONE_HUNDRED)
    }

    /// The figures as JSON numbers the UI formats (ratios `null` when undefined).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "impressions": self.impressions,
            "clicks": self.clicks,
            "spend": self.spend,
            "sales": self.sales,
            "orders": self.orders,
            "units": self.units,
            "ctr": self.ctr(),
            "cpc": self.cpc(),
            "cvr": self.cvr(),
            "acos": self.acos().unwrap_or_default(),
            "roas": self.roas(),
            "roi": self.roi().unwrap_or_default(),
            "attributionWindow": "7d",
        })
    }
}

/// The campaigns whose product ads advertise `sku`.
pub async fn campaigns_of_sku(
    store: &dyn Store,
    tenant: &Tenant,
    sku: &str,
) -> Result<BTreeSet<String>, StoreError> {
    Ok(records::entities(store, tenant, EntityKind::ProductAd)
        .await?
        .into_iter()
        .filter(|a| a.sku.as_deref() == Some(sku))
        .filter_map(|a| a.campaign_id)
        .collect())
}

/// How finely rows are summed: per entity and day, per entity and period (`day`, `week`,
/// `month`), or per entity over the whole range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain<'a> {
    Period(&'a str),
    Range,
}

/// The spans `[from, to]` of a range at a grain: its periods (clipped to it), or itself.
pub fn spans(from: NaiveDate, to: NaiveDate, grain: Grain<'_>) -> Vec<(NaiveDate, NaiveDate)> {
    match grain {
        Grain::Range => vec![(from, to)],
        Grain::Period(p) => {
            let mut out = vec![];
            let mut a = from;
            while a <= to {
                let mut b = a;
                while b < to && period_start(b + Duration::days(1), p) == period_start(a, p) {
                    b += Duration::days(1);
                }
                out.push((a, b));
                a = b + Duration::days(1);
            }
            out
        }
    }
}

/// The rows of `level` that `filter` selects, one per entity and day.
pub async fn rows(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    filter: &Filter,
) -> Result<Vec<AdsDay>, StoreError> {
    rows_at(store, tenant, level, filter, Grain::Period("day")).await
}

/// The rows of `level` that `filter` selects, summed per entity and span of `grain` (each
/// row dated its span's first day), from the per-entity rollups (`super::blocks`) when they
/// are built, else from the day rows. Either way the sums are the same: only the 7-day
/// figures are summed (the other windows are zero when read from the rollups), and an
/// entity's labels are those of its earliest row in the span.
pub async fn rows_at(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    filter: &Filter,
    grain: Grain<'_>,
) -> Result<Vec<AdsDay>, StoreError> {
    let campaigns = match (&filter.sku, level) {
        (Some(sku), l) if l != Level::Sku => Some(campaigns_of_sku(store, tenant, sku).await?),
        _ => None,
    };
    let spans = spans(filter.from, filter.to, grain);
    let rows = match super::blocks::read_spans(store, tenant, level, &spans).await? {
        Some(rows) => rows,
        None => {
            let days = records::days(store, tenant, level, filter.from, filter.to).await?;
            if grain == Grain::Period("day") {
                days
            } else {
                sum_spans(days, &spans)
            }
        }
    };
    Ok(rows
        .into_iter()
        .filter(|d| {
            filter
                .connection
                .as_ref()
                .is_none_or(|c| *c == d.connection)
                && filter
                    .marketplace_id
                    .as_ref()
                    .is_none_or(|m| *m == d.marketplace_id)
                && filter
                    .campaign_id
                    .as_ref()
                    .is_none_or(|c| *c == d.campaign_id)
                && filter
                    .ad_group_id
                    .as_ref()
                    .is_none_or(|g| d.ad_group_id.as_ref() == Some(g))
                && campaigns
                    .as_ref()
                    .is_none_or(|set| set.contains(&d.campaign_id))
                && match (&filter.sku, level) {
                    (Some(sku), Level::Sku) => d.sku.as_ref() == Some(sku),
                    _ => true,
                }
        })
        .collect())
}

/// Day rows summed per (span, profile, entity), as [`super::blocks::read_spans`] sums them.
fn sum_spans(days: Vec<AdsDay>, spans: &[(NaiveDate, NaiveDate)]) -> Vec<AdsDay> {
    let mut out: BTreeMap<(NaiveDate, i64, String), AdsDay> = BTreeMap::new();
    for d in days {
        let i = spans.partition_point(|(_, to)| *to < d.date);
        let Some((from, _)) = spans.get(i) else {
            continue;
        };
        match out.get_mut(&(*from, d.profile_id, d.entity.clone())) {
            Some(s) => {
                s.impressions += d.impressions;
                s.clicks += d.clicks;
                s.cost += d.cost;
                s.purchases[1] += d.purchases7d();
                s.sales[1] += d.sales7d();
                s.units7d += d.units7d;
            }
            None => {
                let zero = Decimal::ZERO;
                let key = (*from, d.profile_id, d.entity.clone());
                out.insert(
                    key,
                    AdsDay {
                        date: *from,
                        purchases: [0, d.purchases7d(), 0, 0],
                        sales: [zero, d.sales7d(), zero, zero],
                        ..d
                    },
                );
            }
        }
    }
    out.into_values().collect()
}

/// The marketplace figures are read in when none is asked for (one currency per answer): the
/// connection's home marketplace when it has rows, so every call of a page agrees and amounts
/// in different currencies are never compared; else the one with most spend (`None` without
/// rows).
pub fn main_marketplace(rows: &[AdsDay], home: Option<&str>) -> Option<String> {
    if let Some(h) = home.filter(|h| rows.iter().any(|d| d.marketplace_id == *h)) {
        return Some(h.to_string());
    }
    let mut spend: BTreeMap<&str, Decimal> = BTreeMap::new();
    for d in rows {
        *spend.entry(&d.marketplace_id).or_default() += d.cost;
    }
    spend
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(m, _)| m.to_string())
}

/// One entity's totals over the range.
#[derive(Debug, Clone, Serialize)]
pub struct EntityTotals {
    pub id: String,
    pub name: String,
    pub campaign_id: String,
    pub ad_group_id: Option<String>,
    pub match_type: Option<String>,
    pub currency: String,
    /// The Ads profile of its first row.
    #[serde(skip)]
    pub profile_id: i64,
    #[serde(skip)]
    pub totals: Totals,
}

/// Rows summed per entity, by spend (largest first), names from the stored entities.
pub fn by_entity(rows: &[AdsDay], names: &BTreeMap<String, String>) -> Vec<EntityTotals> {
    let mut out: BTreeMap<String, EntityTotals> = BTreeMap::new();
    for d in rows {
        let e = out.entry(d.entity.clone()).or_insert_with(|| EntityTotals {
            id: d.entity.clone(),
            name: names
                .get(&d.entity)
                .cloned()
                .or(d.name.clone())
                .unwrap_or_else(|| d.entity.clone()),
            campaign_id: d.campaign_id.clone(),
            ad_group_id: d.ad_group_id.clone(),
            match_type: d.match_type.clone(),
            currency: d.currency.clone(),
            profile_id: d.profile_id,
            totals: Totals::default(),
        });
        e.totals.add(d);
    }
    let mut v: Vec<EntityTotals> = out.into_values().collect();
    v.sort_by(|a, b| b.totals.spend.cmp(&a.totals.spend).then(a.id.cmp(&b.id)));
    v
}

/// The first day of `date`'s period (`day`, `week` from Monday, `month`).
pub fn period_start(date: NaiveDate, period: &str) -> NaiveDate {
    match period {
        "week" => date - Duration::days(date.weekday().num_days_from_monday() as i64),
        "month" => date.with_day(1).unwrap_or(date),
        _ => date,
    }
}

/// Rows summed per period, oldest first.
pub fn by_period(rows: &[AdsDay], period: &str) -> BTreeMap<NaiveDate, Totals> {
    let mut out: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
    for d in rows {
        out.entry(period_start(d.date, period)).or_default().add(d);
    }
    out
}

/// Sum of rows.
pub fn total(rows: &[AdsDay]) -> Totals {
    let mut t = Totals::default();
    for d in rows {
        t.add(d);
    }
    t
}

/// The stored entities of `list` (of kinds `kinds`), by id, read by key: a page of a long
/// list reads only its own. Of two kinds with one id, the later kind's.
pub async fn stored_of(
    store: &dyn Store,
    tenant: &Tenant,
    kinds: &[EntityKind],
    list: &[EntityTotals],
) -> Result<BTreeMap<String, AdsEntity>, StoreError> {
    let keys: Vec<crate::ports::store::Key> = kinds
        .iter()
        .flat_map(|k| {
            list.iter().map(move |e| {
                crate::keys::tenant(tenant).ads_entity(k.as_str(), e.profile_id, &e.id)
            })
        })
        .collect();
    let mut found = vec![];
    for chunk in keys.chunks(crate::ports::store::BATCH_GET_CHUNK) {
        for i in store.batch_get(chunk).await? {
            found.push(AdsEntity::from_item(&i)?);
        }
    }
    let rank = |k: EntityKind| kinds.iter().position(|x| *x == k).unwrap_or(0);
    found.sort_by_key(|e| rank(e.kind));
    Ok(found.into_iter().map(|e| (e.id.clone(), e)).collect())
}

/// The names of stored entities of a kind, by id.
pub async fn names(
    store: &dyn Store,
    tenant: &Tenant,
    kind: EntityKind,
) -> Result<BTreeMap<String, String>, StoreError> {
    Ok(records::entities(store, tenant, kind)
        .await?
        .into_iter()
        .map(|e: AdsEntity| (e.id, e.name))
        .collect())
}

/// Total sales of a marketplace over its business days `[from, to]` from the synced orders
/// (item prices of orders not cancelled), for TACoS.
pub async fn total_sales(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Decimal, StoreError> {
    let tz: chrono_tz::Tz = marketplaces::by_id(marketplace_id)
        .and_then(|m| m.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    };
    let (from, to) = (
        start(from),
        start(to + Duration::days(1)) - Duration::milliseconds(1),
    );
    Ok(
        crate::records::orders::purchased(store, tenant, marketplace_id, from, to)
            .await?
            .iter()
            .filter(|o| o.status != "CANCELLED")
            .flat_map(|o| o.items.iter())
            .filter_map(|i| i.item_price)
            .sum(),
    )
}

/// TACoS, percent: ad spend over total sales.
pub fn tacos(spend: Decimal, total_sales: Decimal) -> Option<Decimal> {
    ratio(spend, total_sales, Decimal::ONE_HUNDRED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_undefined_without_a_divisor() {
        let t = Totals {
            impressions: 1000,
            clicks: 20,
            spend: "10.00".parse().unwrap(),
            sales: "40.00".parse().unwrap(),
            orders: 2,
            units: 2,
        };
        assert_eq!(t.ctr(), Some("2".parse().unwrap()));
        assert_eq!(t.cpc(), Some("0.5".parse().unwrap()));
        assert_eq!(t.cvr(), Some("10".parse().unwrap()));
        assert_eq!(t.acos(), Some("25".parse().unwrap()));
        assert_eq!(t.roas(), Some("4".parse().unwrap()));
        assert_eq!(t.roi(), Some("300".parse().unwrap()));
        assert_eq!(Totals::default().acos(), None);
    }

    fn day(marketplace: &str, currency: &str, cost: &str) -> AdsDay {
        AdsDay {
            level: Level::Campaign,
            profile_id: 1,
            connection: "c".into(),
            marketplace_id: marketplace.into(),
            currency: currency.into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
            entity: "1".into(),
            campaign_id: "1".into(),
            ad_group_id: None,
            target_id: None,
            sku: None,
            asin: None,
            name: None,
            match_type: None,
            impressions: 0,
            clicks: 0,
            cost: cost.parse().unwrap(),
            purchases: [0; 4],
            sales: [Decimal::ZERO; 4],
            units7d: 0,
            report_id: "r".into(),
            reported_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_home_marketplace_is_read_when_it_has_rows_whatever_the_others_spent() {
        // 1,472 CAD is not more than 1,318 USD: amounts in two currencies are never compared.
        let rows = [
            day("ATVPDKIKX0DER", "USD", "1317.99"),
            day("A2EUQ1WTGCTBG2", "CAD", "1472.42"),
        ];
        assert_eq!(
            main_marketplace(&rows, Some("ATVPDKIKX0DER")).as_deref(),
            Some("ATVPDKIKX0DER")
        );
        // A home marketplace without ads: the one with most spend.
        assert_eq!(
            main_marketplace(&rows, Some("A1AM78C64UM0Y8")).as_deref(),
            Some("A2EUQ1WTGCTBG2")
        );
        assert_eq!(main_marketplace(&[], Some("ATVPDKIKX0DER")), None);
    }

    #[test]
    fn periods_start_on_monday_and_the_first() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(); // a Thursday
        assert_eq!(
            period_start(d, "week"),
            NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()
        );
        assert_eq!(
            period_start(d, "month"),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert_eq!(period_start(d, "day"), d);
    }
}
