//! Stock, forecasts, restock plans, alerts and KPIs per SKU and marketplace.
//!
//! Read on each request: FBA stock (`records::inventory`: the inventory summaries and
//! availability notifications), the listing's title and the catalog's title and main image
//! (`records::listings`), the seller's settings per SKU (thresholds, supplier) and the
//! supplier's lead time, MOQ and case pack, COGS batches from received purchase orders; and
//! each SKU's forecast as the forecasts job stored it (`crate::forecasts`, computed from the
//! orders and the daily ledger). The restock plan is derived here from the stored forecast and
//! the current stock, so it follows every stock change at once.

use crate::docs::{self, Doc};
use crate::forecasts::{self, StoredForecast};
use crate::purchasing::{self, Supplier};
use crate::{context, marketplace_json, money, ok, units, Filters};
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::error::{Error, Result, Validator};
use shared::forecast::{self, Forecast, Inbound, Plan, Supply};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::keys::Tenant;
use shared::ports::Store;
use shared::records::{inventory, listings};
use std::collections::{BTreeMap, HashMap};

pub const DEFAULT_LOW_STOCK: i64 = 10;
pub const DEFAULT_LEAD_DAYS: u32 = 30;
pub const DEFAULT_FBA_INBOUND_DAYS: u32 = 14;
pub const DEFAULT_COVER_DAYS: u32 = 60;
pub const DEFAULT_SERVICE_LEVEL: f64 = 0.95;
/// Days of cover above which stock risks long-term storage fees.
pub const OVERSTOCK_DAYS: u32 = 180;
/// Days of stock left from which the KPIs flag an overstock risk (the original's threshold).
pub const KPI_OVERSTOCK_DAYS: f64 = 90.0;

/// The seller's settings of one SKU in one marketplace (`STOCKPLAN#sku#<mkt>#<sku>`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuSettings {
    pub marketplace_id: String,
    pub sku: String,
    pub low_stock_threshold: Option<i64>,
    pub restock_threshold: Option<i64>,
    pub supplier_id: Option<String>,
    pub recommended_quantity: Option<i64>,
    pub days_until_next_order: Option<i64>,
    pub comment: Option<String>,
}

impl Doc for SkuSettings {
    const KIND: &'static str = "sku";
    fn id(&self) -> String {
        format!("{}#{}", self.marketplace_id, self.sku)
    }
}

/// Everything the inventory screens show about one SKU in one marketplace.
pub struct SkuView {
    pub marketplace_id: String,
    pub sku: String,
    pub asin: Option<String>,
    pub title: Option<String>,
    /// The catalog's main image.
    pub image_url: Option<String>,
    pub stock: Option<inventory::InventoryRecord>,
    /// The job's stored result; `None` before its first run.
    pub computed: Option<StoredForecast>,
    pub settings: SkuSettings,
    pub forecast: Forecast,
    pub plan: Plan,
    pub sold_30: f64,
    pub sold_365: f64,
    pub in_stock_rate_90: f64,
    pub now: DateTime<Utc>,
}

impl SkuView {
    /// The marketplace's today.
    pub fn today(&self) -> NaiveDate {
        forecasts::local_today(&self.marketplace_id, self.now)
    }
    pub fn available(&self) -> i64 {
        self.stock.as_ref().map(|s| s.fulfillable).unwrap_or(0)
    }
    pub fn reserved(&self) -> i64 {
        self.stock.as_ref().map(|s| s.reserved).unwrap_or(0)
    }
    pub fn inbound(&self) -> i64 {
        self.stock
            .as_ref()
            .map(|s| s.inbound_working + s.inbound_shipped + s.inbound_receiving)
            .unwrap_or(0)
    }
    pub fn low_threshold(&self) -> i64 {
        self.settings
            .low_stock_threshold
            .unwrap_or(DEFAULT_LOW_STOCK)
    }
    pub fn restock_threshold(&self) -> i64 {
        self.settings
            .restock_threshold
            .unwrap_or(self.plan.reorder_point)
    }
    /// The stock status the UI knows (the original's rule): `out_of_stock` when nothing is
    /// available, `low` at or under the SKU's low-stock threshold, else `normal`.
    pub fn status(&self) -> &'static str {
        let a = self.available();
        if a <= 0 {
            "out_of_stock"
        } else if a <= self.low_threshold() {
            "low"
        } else {
            "normal"
        }
    }
    /// Days the available stock lasts: the forecast's days of cover when its stock-out falls
    /// within the plan's horizon, else available ÷ the forecast's daily demand (or the last 30
    /// days' sales when the forecast has none yet). With no demand at all the original's
    /// convention holds: 90 when something is available, 0 when nothing is.
    pub fn days_of_stock_left(&self) -> f64 {
        let avail = self.available().max(0) as f64;
        if let Some(d) = self.plan.days_of_cover {
            return d as f64;
        }
        let velocity = if self.forecast.level > 0.0 {
            self.forecast.level
        } else {
            self.sold_30 / 30.0
        };
        if velocity > 0.0 {
            (avail / velocity * 100.0).round() / 100.0
        } else if avail > 0.0 {
            90.0
        } else {
            0.0
        }
    }
    /// The KPI status the UI knows: `overstock` with 90 days or more of stock left, `low` with
    /// 7 or fewer, else `normal`.
    pub fn kpi_status(&self) -> &'static str {
        let days = self.days_of_stock_left();
        if self.available() > 0 && days >= KPI_OVERSTOCK_DAYS {
            "overstock"
        } else if days <= 7.0 {
            "low"
        } else {
            "normal"
        }
    }
    pub fn overstock(&self) -> bool {
        self.available() > 0 && self.plan.days_of_cover.is_none_or(|d| d > OVERSTOCK_DAYS)
    }
}

fn marks(f: &Filters, v: &SkuView) -> bool {
    f.marketplace_id
        .as_deref()
        .is_none_or(|m| m == v.marketplace_id)
        && f.sku
            .as_deref()
            .is_none_or(|s| v.sku.to_lowercase().contains(&s.to_lowercase()))
        && f.search_text().is_none_or(|s| {
            v.sku.to_lowercase().contains(&s)
                || v.title.as_deref().unwrap_or("").to_lowercase().contains(&s)
                || v.asin.as_deref().unwrap_or("").to_lowercase().contains(&s)
        })
}

/// A forecast of nothing, for a SKU the job has not computed yet.
fn no_forecast(today: NaiveDate) -> Forecast {
    Forecast {
        start: today,
        daily: vec![0.0; forecasts::HORIZON],
        lower: vec![0.0; forecasts::HORIZON],
        upper: vec![0.0; forecasts::HORIZON],
        level: 0.0,
        weekly: [1.0; 7],
        yearly: false,
        trend_per_day: 0.0,
        sigma: 0.0,
        in_stock_days: 0,
    }
}

/// Every SKU of the tenant with its stock, its stored forecast and the plan from both.
pub async fn analyse(state: &AppState, t: &Tenant) -> Result<Vec<SkuView>> {
    let store = state.store.as_ref();
    let stored = forecasts::stored(store, t).await?;
    views_of(store, t, state.clock.now(), stored).await
}

/// The views from these forecasts and the stored stock, listings, settings and suppliers.
pub async fn views_of(
    store: &dyn Store,
    t: &Tenant,
    now: DateTime<Utc>,
    stored: Vec<StoredForecast>,
) -> Result<Vec<SkuView>> {
    let stock = inventory::all(store, t).await?;
    let settings: HashMap<String, SkuSettings> = docs::list::<SkuSettings>(store, t)
        .await?
        .into_iter()
        .map(|s| (s.id(), s))
        .collect();
    let suppliers: HashMap<String, Supplier> = docs::list::<Supplier>(store, t)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let listed: HashMap<(String, String), listings::ListingRecord> = listings::all(store, t)
        .await?
        .into_iter()
        .map(|l| ((l.marketplace_id.clone(), l.sku.clone()), l))
        .collect();
    let catalog: HashMap<(String, String), listings::CatalogRecord> =
        listings::all_catalog(store, t)
            .await?
            .into_iter()
            .map(|c| ((c.marketplace_id.clone(), c.asin.clone()), c))
            .collect();
    type Row = (Option<inventory::InventoryRecord>, Option<StoredForecast>);
    let mut keys: BTreeMap<(String, String), Row> = BTreeMap::new();
    for s in stock {
        let k = (s.marketplace_id.clone(), s.sku.clone());
        keys.entry(k).or_default().0 = Some(s);
    }
    for f in stored {
        let k = (f.marketplace_id.clone(), f.sku.clone());
        keys.entry(k).or_default().1 = Some(f);
    }
    let mut out = Vec::with_capacity(keys.len());
    for ((m, sku), (stock, computed)) in keys {
        let today = forecasts::local_today(&m, now);
        let f = computed
            .as_ref()
            .map(StoredForecast::forecast)
            .unwrap_or_else(|| no_forecast(today));
        let s = settings
            .get(&format!("{m}#{sku}"))
            .cloned()
            .unwrap_or_else(|| SkuSettings {
                marketplace_id: m.clone(),
                sku: sku.clone(),
                ..Default::default()
            });
        let sup = s.supplier_id.as_ref().and_then(|id| suppliers.get(id));
        let supply = supply_of(stock.as_ref(), sup, today);
        let plan = forecast::plan_forecast(&f, &supply);
        let listing = listed.get(&(m.clone(), sku.clone()));
        let asin = stock
            .as_ref()
            .and_then(|s| s.asin.clone())
            .or_else(|| listing.and_then(|l| l.asin.clone()))
            .or_else(|| computed.as_ref().and_then(|c| c.asin.clone()));
        let cat = asin
            .as_ref()
            .and_then(|a| catalog.get(&(m.clone(), a.clone())));
        let title = listing
            .and_then(|l| l.title.clone())
            .or_else(|| cat.and_then(|c| c.title.clone()))
            .or_else(|| stock.as_ref().and_then(|s| s.product_name.clone()));
        out.push(SkuView {
            image_url: cat.and_then(|c| c.images.first().cloned()),
            title,
            asin,
            marketplace_id: m,
            sku,
            stock,
            settings: s,
            sold_30: computed.as_ref().map_or(0.0, |c| c.sold_30),
            sold_365: computed.as_ref().map_or(0.0, |c| c.sold_365),
            in_stock_rate_90: computed.as_ref().map_or(0.0, |c| c.in_stock_rate_90),
            computed,
            forecast: f,
            plan,
            now,
        });
    }
    Ok(out)
}

/// The restock inputs of a SKU: FBA stock as on hand, its inbound quantities arriving over the
/// FBA inbound time (receiving first, working last), the supplier's terms or the defaults.
pub fn supply_of(
    stock: Option<&inventory::InventoryRecord>,
    supplier: Option<&Supplier>,
    today: NaiveDate,
) -> Supply {
    let fba = supplier
        .and_then(|s| s.fba_inbound_days)
        .unwrap_or(DEFAULT_FBA_INBOUND_DAYS);
    let mut inbound = vec![];
    if let Some(s) = stock {
        for (units, days) in [
            (s.inbound_receiving, 3),
            (s.inbound_shipped, fba / 2),
            (s.inbound_working, fba),
        ] {
            if units > 0 {
                inbound.push(Inbound {
                    units,
                    arrives: today + Duration::days(days as i64),
                });
            }
        }
    }
    Supply {
        on_hand: stock.map(|s| s.fulfillable).unwrap_or(0),
        inbound,
        supplier_lead_days: supplier
            .and_then(|s| s.lead_time_days)
            .unwrap_or(DEFAULT_LEAD_DAYS),
        fba_inbound_days: fba,
        service_level: DEFAULT_SERVICE_LEVEL,
        moq: supplier.and_then(|s| s.moq).unwrap_or(1),
        case_pack: supplier.and_then(|s| s.case_pack).unwrap_or(1),
        cover_days: DEFAULT_COVER_DAYS,
    }
}

fn date(d: Option<NaiveDate>) -> Value {
    d.map(|d| Value::from(d.to_string())).unwrap_or(Value::Null)
}

fn stock_json(v: &SkuView) -> Value {
    let s = v.stock.as_ref();
    json!({
        "id": format!("{}#{}", v.marketplace_id, v.sku),
        "sku": v.sku, "asin": v.asin, "title": v.title, "imageUrl": v.image_url,
        "marketplaceId": v.marketplace_id, "marketplace": marketplace_json(&v.marketplace_id),
        "quantityAvailable": v.available(), "quantityReserved": v.reserved(),
        "quantityInbound": v.inbound(),
        "inboundWorking": s.map(|s| s.inbound_working).unwrap_or(0),
        "inboundShipped": s.map(|s| s.inbound_shipped).unwrap_or(0),
        "inboundReceiving": s.map(|s| s.inbound_receiving).unwrap_or(0),
        "unfulfillable": s.map(|s| s.unfulfillable).unwrap_or(0),
        "researching": s.map(|s| s.researching).unwrap_or(0),
        "lowStockThreshold": v.low_threshold(),
        "lastSyncedAt": s.map(|s| Value::from(shared::ports::store::rfc3339(s.observed_at))).unwrap_or(Value::Null),
        "status": v.status(),
    })
}

fn forecast_json(v: &SkuView) -> Value {
    let f = &v.forecast;
    let sum = |xs: &[f64], n: usize| xs.iter().take(n).sum::<f64>();
    json!({
        "sku": v.sku, "marketplaceId": v.marketplace_id,
        "marketplace": marketplace_json(&v.marketplace_id),
        "salesVelocity": units(f.level),
        "forecast3Day": units(f.total(3)), "forecast7Day": units(f.total(7)),
        "forecast30Day": units(f.total(30)),
        "forecast30DayLower": units(sum(&f.lower, 30)), "forecast30DayUpper": units(sum(&f.upper, 30)),
        "restockThreshold": v.restock_threshold(),
        "suggestedReorderQty": v.plan.order_quantity,
        "reorderPoint": v.plan.reorder_point, "safetyStock": v.plan.safety_stock,
        "reorderDate": date(v.plan.reorder_date), "reorderOverdue": v.plan.overdue,
        "daysOfCover": v.plan.days_of_cover, "stockoutDate": date(v.plan.stockout_date),
        "leadTimeDays": v.plan.lead_time_days,
        "seasonal": f.yearly, "trendPerDay": units(f.trend_per_day),
        "lastCalculatedAt": v.computed.as_ref().map(|c| Value::from(shared::ports::store::rfc3339(c.computed_at))).unwrap_or(Value::Null),
    })
}

fn kpi_json(v: &SkuView, batches: &[purchasing::BatchRef]) -> Value {
    let storage = v.computed.as_ref().map(|c| &c.storage);
    let avail = v.available();
    // Sell-through over 30 days: units sold / (units sold + units left).
    let sell_through = if v.sold_30 + avail as f64 > 0.0 {
        v.sold_30 / (v.sold_30 + avail as f64)
    } else {
        0.0
    };
    let daily = v.sold_365 / 365.0;
    let days_of_inventory = if daily > 0.0 {
        Some(avail as f64 / daily)
    } else {
        None
    };
    let turnover = if avail > 0 {
        v.sold_365 / avail as f64
    } else {
        0.0
    };
    // What is on hand is the newest stock (FIFO sells the oldest first).
    let mut left = avail;
    let mut assigned = vec![];
    for b in batches.iter().rev() {
        if left <= 0 {
            break;
        }
        let q = b.quantity.min(left);
        left -= q;
        assigned.push(json!({"batchId": b.id, "receivedAt": b.received_at, "quantityAssigned": q}));
    }
    assigned.reverse();
    let risk = match v.plan.days_of_cover {
        _ if avail == 0 => "none",
        None => "high",
        Some(d) if d > OVERSTOCK_DAYS => "high",
        Some(d) if d > 90 => "medium",
        _ => "low",
    };
    json!({
        "sku": v.sku, "marketplaceId": v.marketplace_id,
        "marketplace": marketplace_json(&v.marketplace_id),
        "daysOfStockLeft": units(v.days_of_stock_left()),
        "overstockRisk": v.kpi_status() == "overstock",
        "overstockLevel": risk,
        "status": v.kpi_status(),
        "stockStatus": v.status(),
        "sellThrough": units(sell_through), "daysOfInventory": days_of_inventory.map(units),
        "turnover": units(turnover), "inStockRate": units(v.in_stock_rate_90),
        "unitsSold30": units(v.sold_30), "unitsSold365": units(v.sold_365),
        "storageCostPerUnit": storage.and_then(|s| s.per_unit_month).map(money).unwrap_or(Value::Null),
        "storageCostCurrency": storage.and_then(|s| s.currency.clone()),
        "storageFees90Days": storage.filter(|s| s.currency.is_some()).map(|s| money(s.fees)),
        "storageCostReason": match storage {
            Some(s) => s.reason.clone().map(Value::from).unwrap_or(Value::Null),
            None => Value::from("Not calculated yet: the forecasts job has not run for this SKU"),
        },
        "fifoBatchAssignments": assigned,
    })
}

async fn views(state: &AppState, auth: &AuthUser, f: &Filters) -> Result<(Tenant, Vec<SkuView>)> {
    let ctx = context(state, auth, f.account_id.as_deref(), "inventory.read").await?;
    let t = ctx.tenant().clone();
    let all = analyse(state, &t).await?;
    Ok((t, all.into_iter().filter(|v| marks(f, v)).collect()))
}

/// The views of the stock screens, which show no forecast: the stored forecasts are not read
/// (their plans are those of no demand), which keeps the list the UI polls cheap.
async fn stock_views(
    state: &AppState,
    auth: &AuthUser,
    f: &Filters,
) -> Result<(Tenant, Vec<SkuView>)> {
    let ctx = context(state, auth, f.account_id.as_deref(), "inventory.read").await?;
    let t = ctx.tenant().clone();
    let all = views_of(state.store.as_ref(), &t, state.clock.now(), vec![]).await?;
    Ok((t, all.into_iter().filter(|v| marks(f, v)).collect()))
}

/// `GET /api/inventory`: `{data: {data[], summary, total, page, limit}}`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (page, limit) = f.paging(25)?;
    let status = f.status_in(&["normal", "low", "out_of_stock"])?;
    let (_, all) = stock_views(&state, &auth, &f).await?;
    let pending = f
        .rest
        .get("includePendingShipments")
        .is_none_or(|v| v != "false");
    let summary = json!({
        "totalStock": all.iter().map(|v| v.available()).sum::<i64>(),
        "totalReserved": all.iter().map(|v| v.reserved()).sum::<i64>(),
        "lowStockCount": all.iter().filter(|v| v.status() == "low").count(),
        "outOfStockCount": all.iter().filter(|v| v.status() == "out_of_stock").count(),
        "pendingShipments": if pending { all.iter().map(|v| v.inbound()).sum::<i64>() } else { 0 },
    });
    let rows: Vec<&SkuView> = all
        .iter()
        .filter(|v| status.is_none_or(|s| s == v.status()))
        .collect();
    let total = rows.len();
    let data: Vec<Value> = rows
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(stock_json)
        .collect();
    Ok(ok(
        json!({"data": data, "summary": summary, "total": total, "page": page, "limit": limit}),
    ))
}

/// `GET /api/inventory/alerts`: SKUs at or below their low-stock threshold.
pub async fn low_stock_alerts(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (_, all) = stock_views(&state, &auth, &f).await?;
    let alerts: Vec<Value> = all
        .iter()
        .filter(|v| v.stock.is_some() && v.status() != "normal")
        .map(stock_json)
        .collect();
    Ok(ok(json!({"alerts": alerts, "total": alerts.len()})))
}

/// The four alert families, each with the figures behind it.
pub fn alerts_of(v: &SkuView) -> Vec<Value> {
    let mut out = vec![];
    let base = |kind: &str, severity: &str, message: String| {
        json!({"type": kind, "severity": severity, "sku": v.sku, "marketplaceId": v.marketplace_id,
            "marketplace": marketplace_json(&v.marketplace_id), "message": message,
            "quantityAvailable": v.available()})
    };
    if v.stock.is_some() && v.status() != "normal" {
        out.push(base(
            "low_stock",
            if v.available() == 0 {
                "critical"
            } else {
                "warning"
            },
            format!(
                "{} units left (threshold {})",
                v.available(),
                v.low_threshold()
            ),
        ));
    }
    if let Some(d) = v.plan.reorder_date {
        if (d - v.today()).num_days() <= 14 {
            let mut a = base(
                "restock_by",
                if v.plan.overdue {
                    "critical"
                } else {
                    "warning"
                },
                format!("Order {} units by {d}", v.plan.order_quantity),
            );
            a["reorderDate"] = json!(d.to_string());
            a["orderQuantity"] = json!(v.plan.order_quantity);
            a["stockoutDate"] = date(v.plan.stockout_date);
            out.push(a);
        }
    }
    if let Some(s) = &v.stock {
        if s.unfulfillable > 0 || (s.fulfillable > 0 && v.sold_30 == 0.0 && v.sold_365 > 0.0) {
            let mut a = base(
                "stranded_unfulfillable",
                "warning",
                format!(
                    "{} unfulfillable units, {} sold in 30 days",
                    s.unfulfillable, v.sold_30
                ),
            );
            a["unfulfillable"] = json!(s.unfulfillable);
            out.push(a);
        }
    }
    if v.overstock() {
        out.push(base(
            "overstock",
            "info",
            format!("More than {OVERSTOCK_DAYS} days of cover: long-term storage fees risk"),
        ));
    }
    out
}

/// `GET /api/inventory/alerts/all`: low stock, restock-by, stranded/unfulfillable and
/// over-stock alerts.
pub async fn all_alerts(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (_, all) = views(&state, &auth, &f).await?;
    let alerts: Vec<Value> = all
        .iter()
        .flat_map(alerts_of)
        .filter(|a| f.status.as_deref().is_none_or(|s| a["type"] == s))
        .collect();
    Ok(ok(json!({"alerts": alerts, "total": alerts.len()})))
}

/// `GET /api/inventory/forecast`: `{data: {data[], total}}`.
pub async fn forecasts(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (page, limit) = f.paging(200)?;
    let (_, all) = views(&state, &auth, &f).await?;
    let data: Vec<Value> = all
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(forecast_json)
        .collect();
    Ok(ok(
        json!({"data": data, "total": all.len(), "page": page, "limit": limit}),
    ))
}

/// `GET /api/inventory/forecast/alerts`: SKUs whose stock and inbound are at or below their
/// restock threshold, or whose reorder date is within a week.
pub async fn restock_alerts(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (_, all) = views(&state, &auth, &f).await?;
    let alerts: Vec<Value> = all
        .iter()
        .filter(|v| {
            v.forecast.level > 0.0
                && (v.available() + v.inbound() <= v.restock_threshold()
                    || v.plan
                        .reorder_date
                        .is_some_and(|d| (d - v.today()).num_days() <= 7))
        })
        .map(forecast_json)
        .collect();
    Ok(ok(json!({"alerts": alerts, "total": alerts.len()})))
}

async fn one_view(
    state: &AppState,
    auth: &AuthUser,
    sku: &str,
    f: &Filters,
) -> Result<(Tenant, SkuView)> {
    let (t, all) = views(state, auth, f).await?;
    all.into_iter()
        .find(|v| v.sku == sku)
        .map(|v| (t, v))
        .ok_or_else(|| Error::NotFound("SKU not found".into()))
}

/// `GET /api/inventory/forecast/{sku}`.
pub async fn forecast_of(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (_, v) = one_view(&state, &auth, &sku, &f).await?;
    let mut j = forecast_json(&v);
    j["daily"] = json!(v
        .forecast
        .daily
        .iter()
        .take(90)
        .map(|x| units(*x))
        .collect::<Vec<_>>());
    j["lower"] = json!(v
        .forecast
        .lower
        .iter()
        .take(90)
        .map(|x| units(*x))
        .collect::<Vec<_>>());
    j["upper"] = json!(v
        .forecast
        .upper
        .iter()
        .take(90)
        .map(|x| units(*x))
        .collect::<Vec<_>>());
    Ok(ok(j))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsBody {
    account_id: Option<String>,
    marketplace_id: Option<String>,
    restock_threshold: Option<i64>,
    low_stock_threshold: Option<i64>,
    quantity_available: Option<i64>,
    quantity_reserved: Option<i64>,
    supplier_id: Option<String>,
}

async fn save_settings(
    state: &AppState,
    auth: &AuthUser,
    sku: &str,
    b: &SettingsBody,
) -> Result<()> {
    let ctx = context(state, auth, b.account_id.as_deref(), "inventory.write").await?;
    let t = ctx.tenant();
    let mut v = Validator::new();
    v.check(b.marketplace_id.is_some(), "marketplaceId", "is required");
    v.check(
        b.restock_threshold
            .is_none_or(|x| (0..=10_000_000).contains(&x)),
        "restockThreshold",
        "must be 0 to 10,000,000",
    );
    v.check(
        b.low_stock_threshold
            .is_none_or(|x| (0..=10_000_000).contains(&x)),
        "lowStockThreshold",
        "must be 0 to 10,000,000",
    );
    v.check(
        b.quantity_available.is_none() && b.quantity_reserved.is_none(),
        "quantityAvailable",
        "stock quantities come from Amazon and cannot be set",
    );
    v.finish()?;
    let m = b.marketplace_id.clone().unwrap_or_default();
    let store = state.store.as_ref();
    if inventory::get(store, t, &m, sku).await?.is_none() {
        return Err(Error::NotFound("SKU not found".into()));
    }
    if let Some(id) = &b.supplier_id {
        docs::found::<Supplier>(store, t, id, "Supplier").await?;
    }
    let id = format!("{m}#{sku}");
    let (mut s, rev) = match docs::get::<SkuSettings>(store, t, &id).await? {
        Some(st) => (st.doc, st.rev),
        None => (
            SkuSettings {
                marketplace_id: m,
                sku: sku.to_string(),
                ..Default::default()
            },
            0,
        ),
    };
    if b.restock_threshold.is_some() {
        s.restock_threshold = b.restock_threshold;
    }
    if b.low_stock_threshold.is_some() {
        s.low_stock_threshold = b.low_stock_threshold;
    }
    if b.supplier_id.is_some() {
        s.supplier_id = b.supplier_id.clone();
    }
    docs::replace(store, t, &s, rev).await
}

/// `PATCH /api/inventory/forecast/{sku}`: the restock threshold (and supplier) of a SKU.
pub async fn update_forecast(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    JsonBody(b): JsonBody<SettingsBody>,
) -> Result<Response> {
    save_settings(&state, &auth, &sku, &b).await?;
    let f = Filters {
        account_id: b.account_id.clone(),
        marketplace_id: b.marketplace_id.clone(),
        ..Default::default()
    };
    let (_, v) = one_view(&state, &auth, &sku, &f).await?;
    Ok(ok(forecast_json(&v)))
}

/// `GET /api/inventory/kpis`: `{data: {data[]}}`.
pub async fn kpis(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let status = f.status_in(&["normal", "low", "overstock"])?;
    let (t, all) = views(&state, &auth, &f).await?;
    let batches = purchasing::batches_by_sku(state.store.as_ref(), &t).await?;
    let data: Vec<Value> = all
        .iter()
        .filter(|v| status.is_none_or(|s| s == v.kpi_status()))
        .map(|v| kpi_json(v, batches.get(&v.sku).map(|b| b.as_slice()).unwrap_or(&[])))
        .collect();
    let n = all.len().max(1) as f64;
    let totals = json!({
        "skus": all.len(),
        "inStockRate": units(all.iter().map(|v| v.in_stock_rate_90).sum::<f64>() / n),
        "unitsOnHand": all.iter().map(|v| v.available()).sum::<i64>(),
        "unitsSold30": units(all.iter().map(|v| v.sold_30).sum::<f64>()),
    });
    Ok(ok(
        json!({"data": data, "total": data.len(), "summary": totals}),
    ))
}

/// `POST /api/inventory/kpis/calculate`: the KPIs as of now (stock read now, forecasts as the
/// forecasts job last stored them: it recomputes them on the sync's events and daily).
pub async fn kpis_calculate(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let f = Filters {
        account_id: b["accountId"].as_str().map(str::to_string),
        marketplace_id: b["marketplaceId"].as_str().map(str::to_string),
        sku: b["sku"].as_str().map(str::to_string),
        status: b["status"].as_str().map(str::to_string),
        ..Default::default()
    };
    kpis(State(state), auth, QueryParams(f)).await
}

/// `GET /api/inventory/kpis/{sku}`.
pub async fn kpi_of(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (t, v) = one_view(&state, &auth, &sku, &f).await?;
    let batches = purchasing::batches_by_sku(state.store.as_ref(), &t).await?;
    Ok(ok(kpi_json(
        &v,
        batches.get(&sku).map(|b| b.as_slice()).unwrap_or(&[]),
    )))
}

/// `GET /api/inventory/{sku}`: the SKU's stock in each marketplace (or the one asked for).
pub async fn one(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (_, all) = stock_views(&state, &auth, &f).await?;
    let rows: Vec<Value> = all
        .iter()
        .filter(|v| v.sku == sku && v.stock.is_some())
        .map(stock_json)
        .collect();
    match rows.len() {
        0 => Err(Error::NotFound("SKU not found".into())),
        1 => Ok(ok(rows.into_iter().next().unwrap_or_default())),
        _ => Ok(ok(json!(rows))),
    }
}

/// `PATCH /api/inventory/{sku}`: the low-stock threshold (quantities are Amazon's).
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    JsonBody(b): JsonBody<SettingsBody>,
) -> Result<Response> {
    save_settings(&state, &auth, &sku, &b).await?;
    let f = Filters {
        account_id: b.account_id.clone(),
        marketplace_id: b.marketplace_id.clone(),
        ..Default::default()
    };
    let (_, v) = one_view(&state, &auth, &sku, &f).await?;
    Ok(ok(stock_json(&v)))
}

fn product_json(v: &SkuView) -> Value {
    let mut j = stock_json(v);
    j["id"] = json!(format!("{}:{}", v.marketplace_id, v.sku));
    j["name"] = json!(v.title);
    j
}

/// `GET /api/inventory/products`: `{data[], total, page, limit}` (bare).
pub async fn products(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (page, limit) = f.paging(25)?;
    let (_, all) = stock_views(&state, &auth, &f).await?;
    let rows: Vec<&SkuView> = all
        .iter()
        .filter(|v| f.status.as_deref().is_none_or(|s| s == v.status()))
        .collect();
    let data: Vec<Value> = rows
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|v| product_json(v))
        .collect();
    Ok(crate::bare(
        json!({"data": data, "total": rows.len(), "page": page, "limit": limit}),
    ))
}

/// `GET /api/inventory/products/low-stock`: bare array.
pub async fn low_stock_products(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (_, all) = stock_views(&state, &auth, &f).await?;
    Ok(crate::bare(json!(all
        .iter()
        .filter(|v| v.stock.is_some() && v.status() != "normal")
        .map(product_json)
        .collect::<Vec<_>>())))
}

fn split_product(id: &str) -> Result<(String, String)> {
    id.split_once(':')
        .map(|(m, s)| (m.to_string(), s.to_string()))
        .ok_or_else(|| Error::NotFound("Product not found".into()))
}

/// `GET /api/inventory/products/{id}` (`<marketplaceId>:<sku>`): bare object.
pub async fn product(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let (m, sku) = split_product(&id)?;
    let (_, all) = stock_views(&state, &auth, &f).await?;
    all.iter()
        .find(|v| v.marketplace_id == m && v.sku == sku)
        .map(|v| crate::bare(product_json(v)))
        .ok_or_else(|| Error::NotFound("Product not found".into()))
}

/// `PATCH /api/inventory/products/{id}`: the SKU's thresholds; bare object.
pub async fn update_product(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(mut b): JsonBody<SettingsBody>,
) -> Result<Response> {
    let (m, sku) = split_product(&id)?;
    b.marketplace_id = Some(m.clone());
    save_settings(&state, &auth, &sku, &b).await?;
    let f = Filters {
        account_id: b.account_id.clone(),
        marketplace_id: Some(m),
        ..Default::default()
    };
    let (_, v) = one_view(&state, &auth, &sku, &f).await?;
    Ok(crate::bare(product_json(&v)))
}
