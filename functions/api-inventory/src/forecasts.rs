//! Stored forecasts: each SKU's demand forecast, sales figures and storage cost, computed by
//! the forecasts job from the synced orders, daily stock and money, and read by the API.
//!
//! One document per marketplace and SKU, `ACCT#<t>/STOCKPLAN#forecast#<mkt>#<sku>`, written
//! only when its content changed (a replayed event recomputes the same figures and writes
//! nothing) and newer-wins by the computation time (a slow older run never overwrites a newer
//! one). The restock plan is not stored: the API derives it on each read from the stored
//! forecast and the current stock and supplier terms, so a new stock figure or lead time shows
//! at once.
//!
//! Days are the marketplace's local calendar days: an order belongs to the day it was bought
//! in the marketplace's time zone, and "today" is the marketplace's today.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shared::error::{Error, Result};
use shared::forecast::{self, DailyHistory, Forecast};
use shared::keys::{self, Tenant};
use shared::ports::store::{query_all, ItemBuilder, ItemExt, Store};
use shared::profit::classify::Category;
use shared::profit::ledger::TransactionLedger;
use shared::records::{inventory, ledger, put_newer, transactions, version_at};
use std::collections::{BTreeMap, HashMap};

/// The document kind of a stored forecast.
pub const KIND: &str = "forecast";
/// History read for a forecast (two years).
pub const HISTORY_DAYS: i64 = 730;
/// Days forecast (and stored).
pub const HORIZON: usize = 365;
/// Days of the band stored (the per-SKU view shows 90).
const BAND_DAYS: usize = 90;
/// The storage-cost window.
const STORAGE_DAYS: i64 = 90;

/// A SKU's storage cost per unit and month: the storage fees Amazon charged the SKU (profit
/// ledger category `storageFees`) over the last 90 days, over the average units it held over
/// those days (the ledger's daily stock), per 30 days. `None` with the reason when it cannot
/// be computed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageCost {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub per_unit_month: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The fees charged over the window (positive: a cost).
    #[serde(with = "rust_decimal::serde::str")]
    pub fees: Decimal,
    /// Average units held per day over the window.
    pub average_units: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the forecasts job stores for one SKU in one marketplace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredForecast {
    pub marketplace_id: String,
    pub sku: String,
    #[serde(default)]
    pub asin: Option<String>,
    /// The first forecast day: the marketplace's today when it was computed.
    pub start: NaiveDate,
    /// Expected units per day, [`HORIZON`] days (packed: f32, base64).
    #[serde(with = "packed")]
    pub daily: Vec<f64>,
    #[serde(with = "packed")]
    pub lower: Vec<f64>,
    #[serde(with = "packed")]
    pub upper: Vec<f64>,
    pub level: f64,
    pub weekly: [f64; 7],
    pub yearly: bool,
    pub trend_per_day: f64,
    pub sigma: f64,
    pub in_stock_days: usize,
    pub sold_30: f64,
    pub sold_365: f64,
    pub in_stock_rate_90: f64,
    pub storage: StorageCost,
    /// Item price totals and their units over the last 365 days (the planner values stock at
    /// the average).
    #[serde(default, with = "rust_decimal::serde::str")]
    pub price_total: Decimal,
    #[serde(default)]
    pub price_units: i64,
    pub computed_at: DateTime<Utc>,
}

impl StoredForecast {
    pub fn id(&self) -> String {
        format!("{}#{}", self.marketplace_id, self.sku)
    }

    /// The forecast the restock plan reads.
    pub fn forecast(&self) -> Forecast {
        Forecast {
            start: self.start,
            daily: self.daily.clone(),
            lower: self.lower.clone(),
            upper: self.upper.clone(),
            level: self.level,
            weekly: self.weekly,
            yearly: self.yearly,
            trend_per_day: self.trend_per_day,
            sigma: self.sigma,
            in_stock_days: self.in_stock_days,
        }
    }

    fn same_content(&self, other: &StoredForecast) -> bool {
        let mut a = self.clone();
        a.computed_at = other.computed_at;
        &a == other
    }
}

/// A unit figure as stored: 3 decimals, single precision (what reading it back gives).
fn round3(x: f64) -> f64 {
    ((x * 1000.0).round() / 1000.0) as f32 as f64
}

/// Daily series stored as the base64 of their little-endian `f32`s: a year of a SKU is 2 KB
/// that decodes at memory speed (thousands of SKUs are read on every forecast GET).
mod packed {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v.iter().flat_map(|x| (*x as f32).to_le_bytes()).collect();
        s.serialize_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(text)
            .map_err(serde::de::Error::custom)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            .collect())
    }
}

/// The time zone of a marketplace (UTC for an unknown one).
pub fn zone(marketplace_id: &str) -> Tz {
    shared::marketplaces::by_id(marketplace_id)
        .and_then(|m| m.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

/// The marketplace's today.
pub fn local_today(marketplace_id: &str, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&zone(marketplace_id)).date_naive()
}

/// What the forecast reads of a stored order.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SoldOrder {
    marketplace_id: String,
    purchase_date: DateTime<Utc>,
    status: String,
    items: Vec<SoldItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SoldItem {
    sku: String,
    #[serde(default)]
    asin: Option<String>,
    quantity: i64,
    #[serde(default)]
    item_price: Option<Decimal>,
}

/// Units per (marketplace, SKU) and marketplace-local purchase day over the `days` days before
/// each marketplace's today, and the SKU's ASIN; cancelled orders left out.
#[derive(Default)]
pub struct Sales {
    days: usize,
    now: DateTime<Utc>,
    zones: HashMap<String, (Tz, NaiveDate)>,
    pub by_sku: HashMap<(String, String), (Vec<f64>, Option<String>)>,
    /// Item price totals and their units over the last 365 days, per (marketplace, SKU).
    pub prices: HashMap<(String, String), (Decimal, i64)>,
}

impl Sales {
    pub fn new(now: DateTime<Utc>, days: usize) -> Self {
        Self {
            days,
            now,
            ..Default::default()
        }
    }

    fn add(&mut self, o: &SoldOrder) {
        if o.status == "CANCELLED" {
            return;
        }
        let (days, now) = (self.days, self.now);
        let (tz, from) = *self
            .zones
            .entry(o.marketplace_id.clone())
            .or_insert_with(|| {
                let tz = zone(&o.marketplace_id);
                let today = now.with_timezone(&tz).date_naive();
                (tz, today - Duration::days(days as i64))
            });
        let d = (o.purchase_date.with_timezone(&tz).date_naive() - from).num_days();
        if d < 0 || d >= days as i64 {
            return;
        }
        for i in &o.items {
            let e = self
                .by_sku
                .entry((o.marketplace_id.clone(), i.sku.clone()))
                .or_insert_with(|| (vec![0.0; days], None));
            e.0[d as usize] += i.quantity as f64;
            if e.1.is_none() {
                e.1 = i.asin.clone();
            }
            if let Some(p) = i
                .item_price
                .filter(|_| i.quantity > 0 && d >= days as i64 - 365)
            {
                let e = self
                    .prices
                    .entry((o.marketplace_id.clone(), i.sku.clone()))
                    .or_default();
                e.0 += p;
                e.1 += i.quantity;
            }
        }
    }

    /// Every order of the tenant, a page at a time (only the sums are kept).
    pub async fn read(
        store: &dyn Store,
        t: &Tenant,
        now: DateTime<Utc>,
        days: usize,
    ) -> Result<Self> {
        let mut sales = Self::new(now, days);
        let mut q = keys::tenant(t).orders();
        loop {
            let page = store.query(q.clone()).await?;
            for i in &page.items {
                let o: SoldOrder = serde_json::from_str(&i.s("order")?)
                    .map_err(|e| Error::Internal(format!("stored order: {e}")))?;
                sales.add(&o);
            }
            match page.cursor {
                Some(c) => q.cursor = Some(c),
                None => return Ok(sales),
            }
        }
    }
}

/// Out-of-stock days from the ledger's daily rows: a day whose sellable ending balance (the
/// newest row before it) is 0 after the SKU's first row.
fn in_stock_days(rows: &[&ledger::LedgerDay], from: NaiveDate, days: usize) -> Vec<bool> {
    let mut sellable: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.disposition.eq_ignore_ascii_case("SELLABLE"))
    {
        *sellable.entry(r.date).or_default() += r.ending_balance;
    }
    (0..days)
        .map(|i| {
            let day = from + Duration::days(i as i64);
            match sellable.range(..day).next_back() {
                Some((_, bal)) => *bal > 0,
                None => true,
            }
        })
        .collect()
}

/// The SKU's stock at the end of each of `days` days from `from` (every disposition and
/// location, each carried from its newest row), in one pass. Before its first row a
/// disposition and location holds that row's starting balance: the stock Amazon says was
/// there when the history begins.
pub fn daily_stock(rows: &[&ledger::LedgerDay], from: NaiveDate, days: usize) -> Vec<i64> {
    let mut sorted: Vec<&ledger::LedgerDay> = rows.to_vec();
    sorted.sort_by_key(|r| r.date);
    let mut last: HashMap<(&str, &str), i64> = HashMap::new();
    for r in &sorted {
        last.entry((r.disposition.as_str(), r.location.as_str()))
            .or_insert(r.starting_balance);
    }
    let mut total: i64 = last.values().sum();
    let mut next = 0;
    let mut out = Vec::with_capacity(days);
    for i in 0..days {
        let day = from + Duration::days(i as i64);
        while next < sorted.len() && sorted[next].date <= day {
            let r = sorted[next];
            let slot = last
                .entry((r.disposition.as_str(), r.location.as_str()))
                .or_insert(0);
            total += r.ending_balance - *slot;
            *slot = r.ending_balance;
            next += 1;
        }
        out.push(total);
    }
    out
}

/// Storage fees per (marketplace, SKU) posted in the marketplace-local window, with the
/// currency: the transactions of the window classified as the profit ledger classifies them.
async fn storage_fees(
    store: &dyn Store,
    t: &Tenant,
    marketplaces: &[String],
    now: DateTime<Utc>,
) -> Result<HashMap<(String, String), (Decimal, String)>> {
    let mut out: HashMap<(String, String), (Decimal, String)> = HashMap::new();
    for m in marketplaces {
        let from = now - Duration::days(STORAGE_DAYS + 1);
        let list = transactions::posted_between(store, t, m, from, now).await?;
        let first = local_today(m, now) - Duration::days(STORAGE_DAYS);
        for tx in &list {
            let l = TransactionLedger::of(tx);
            if l.posted_day < first {
                continue;
            }
            for line in l
                .lines
                .iter()
                .filter(|x| x.category == Category::StorageFees && !x.sku.is_empty())
            {
                let e = out
                    .entry((line.marketplace_id.clone(), line.sku.clone()))
                    .or_insert((Decimal::ZERO, line.currency.clone()));
                e.0 -= line.amount;
            }
        }
    }
    Ok(out)
}

fn storage_cost(fees: Option<&(Decimal, String)>, stock: &[i64]) -> StorageCost {
    let average = if stock.is_empty() {
        0.0
    } else {
        stock.iter().sum::<i64>() as f64 / stock.len() as f64
    };
    let Some((fees, currency)) = fees else {
        return StorageCost {
            average_units: average,
            reason: Some(
                "No storage fee was charged to this SKU in the last 90 days (none synced)".into(),
            ),
            ..Default::default()
        };
    };
    if average <= 0.0 {
        return StorageCost {
            fees: *fees,
            currency: Some(currency.clone()),
            average_units: 0.0,
            reason: Some("The ledger shows no units stored in the last 90 days".into()),
            ..Default::default()
        };
    }
    let units = Decimal::from_f64_retain(average).unwrap_or(Decimal::ONE);
    let per = *fees / units / Decimal::from(STORAGE_DAYS) * Decimal::from(30);
    StorageCost {
        per_unit_month: Some(per.round_dp(4)),
        currency: Some(currency.clone()),
        fees: *fees,
        average_units: (average * 100.0).round() / 100.0,
        reason: None,
    }
}

/// Every SKU's forecast, from the synced records (what the job stores).
pub async fn compute_all(
    store: &dyn Store,
    t: &Tenant,
    now: DateTime<Utc>,
) -> Result<Vec<StoredForecast>> {
    let days = HISTORY_DAYS as usize;
    let stock = inventory::all(store, t).await?;
    let Sales {
        by_sku: sales,
        prices,
        ..
    } = Sales::read(store, t, now, days).await?;
    let ledger_days = ledger::days(store, t).await?;
    let mut ledger_by: HashMap<(String, String), Vec<&ledger::LedgerDay>> = HashMap::new();
    for r in &ledger_days {
        ledger_by
            .entry((r.marketplace_id.clone(), r.sku.clone()))
            .or_default()
            .push(r);
    }
    let mut keys: BTreeMap<(String, String), Option<&inventory::InventoryRecord>> = BTreeMap::new();
    for s in &stock {
        keys.insert((s.marketplace_id.clone(), s.sku.clone()), Some(s));
    }
    for k in sales.keys() {
        keys.entry(k.clone()).or_insert(None);
    }
    let mut marketplaces: Vec<String> = keys.keys().map(|k| k.0.clone()).collect();
    marketplaces.dedup();
    let fees = storage_fees(store, t, &marketplaces, now).await?;
    let mut out = Vec::with_capacity(keys.len());
    for ((m, sku), stock) in keys {
        let today = local_today(&m, now);
        let from = today - Duration::days(HISTORY_DAYS);
        let key = (m.clone(), sku.clone());
        let empty = (vec![0.0; days], None);
        let (units, asin) = sales.get(&key).unwrap_or(&empty);
        let rows = ledger_by.get(&key).map(Vec::as_slice).unwrap_or_default();
        let in_stock = if rows.is_empty() {
            vec![true; days]
        } else {
            in_stock_days(rows, from, days)
        };
        // The history starts at the SKU's first sale (a launch), at most two years back.
        let first = units.iter().position(|u| *u > 0.0).unwrap_or(days);
        let h = DailyHistory {
            start: from + Duration::days(first as i64),
            units: units[first..].to_vec(),
            in_stock: in_stock[first..].to_vec(),
        };
        let f = forecast::forecast(&h, HORIZON);
        let recent = |n: usize| units[days - n.min(days)..].iter().sum::<f64>();
        let last90 = &in_stock[days - 90..];
        let window = STORAGE_DAYS as usize;
        let held = daily_stock(rows, today - Duration::days(STORAGE_DAYS), window);
        out.push(StoredForecast {
            asin: stock.and_then(|s| s.asin.clone()).or(asin.clone()),
            start: f.start,
            daily: f.daily.iter().map(|x| round3(*x)).collect(),
            lower: f.lower.iter().take(BAND_DAYS).map(|x| round3(*x)).collect(),
            upper: f.upper.iter().take(BAND_DAYS).map(|x| round3(*x)).collect(),
            level: f.level,
            weekly: f.weekly,
            yearly: f.yearly,
            trend_per_day: f.trend_per_day,
            sigma: f.sigma,
            in_stock_days: f.in_stock_days,
            sold_30: recent(30),
            sold_365: recent(365),
            in_stock_rate_90: last90.iter().filter(|x| **x).count() as f64 / 90.0,
            storage: storage_cost(fees.get(&key), &held),
            price_total: prices.get(&key).map_or(Decimal::ZERO, |p| p.0),
            price_units: prices.get(&key).map_or(0, |p| p.1),
            computed_at: now,
            marketplace_id: m,
            sku,
        });
    }
    Ok(out)
}

/// Every stored forecast of the tenant.
pub async fn stored(store: &dyn Store, t: &Tenant) -> Result<Vec<StoredForecast>> {
    query_all(store, keys::tenant(t).stock_plans(KIND))
        .await?
        .iter()
        .map(|i| {
            serde_json::from_str(&i.s("doc")?)
                .map_err(|e| Error::Internal(format!("stored forecast: {e}")))
        })
        .collect()
}

/// Writes the forecasts that changed; returns how many were written.
pub async fn save(
    store: &dyn Store,
    t: &Tenant,
    list: &[StoredForecast],
    before: &[StoredForecast],
) -> Result<usize> {
    let old: HashMap<String, &StoredForecast> = before.iter().map(|f| (f.id(), f)).collect();
    let mut written = 0;
    for f in list {
        if old.get(&f.id()).is_some_and(|o| f.same_content(o)) {
            continue;
        }
        let doc = serde_json::to_string(f).map_err(|e| Error::Internal(e.to_string()))?;
        let item = ItemBuilder::at(keys::tenant(t).stock_plan(KIND, &f.id()))
            .s("type", KIND)
            .s("doc", doc)
            .build();
        put_newer(store, item, &version_at(f.computed_at)).await?;
        written += 1;
    }
    Ok(written)
}
