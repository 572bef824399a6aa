//! The planner, FBA shipment drafts and the reseller workflow.
//!
//! FBA shipments here are the seller's own drafts (name, destination, SKUs, linked purchase
//! orders); the shipments synced from the Fulfillment Inbound API are another branch's work
//! and are not read yet.

use crate::docs::{self, Doc};
use crate::purchasing::{self, PurchaseOrder};
use crate::stock::{self, SkuSettings, SkuView};
use crate::{bare, context, created, money, new_id, units, Filters};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::ports::store::rfc3339;

fn product_id(v: &SkuView) -> String {
    format!("{}:{}", v.marketplace_id, v.sku)
}

/// Landed unit cost per SKU: the newest COGS batch's.
async fn unit_costs(
    state: &AppState,
    t: &shared::keys::Tenant,
) -> Result<std::collections::HashMap<String, Decimal>> {
    let mut all: Vec<shared::costs::cogs::Batch> =
        shared::costs::all(state.store.as_ref(), t).await?;
    all.sort_by_key(|b| b.received_at);
    Ok(all
        .into_iter()
        .map(|b| (b.sku.clone(), b.landed_unit_cost()))
        .collect())
}

/// `GET /api/inventory/planner/summary`: bare `[{location, units, costOfGoods, potentialSales,
/// potentialProfit}]` for FBA (fulfillable + reserved), inbound to FBA and ordered from
/// suppliers. Sales are valued at the SKU's average selling price of the last year.
pub async fn planner_summary(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let t = ctx.tenant();
    let all = stock::analyse(&state, t).await?;
    let costs = unit_costs(&state, t).await?;
    let prices = average_prices(&all);
    let open = purchasing::open_units(state.store.as_ref(), t).await?;
    let q = f.search_text();
    let rows: Vec<&SkuView> = all
        .iter()
        .filter(|v| q.as_ref().is_none_or(|q| v.sku.to_lowercase().contains(q)))
        .collect();
    // The locations the UI knows (`fba`, `prep`, `ordered`; `fbm`, `awd` have no source yet),
    // plus `inbound` (on its way to FBA), which the UI counts in the total. Units ordered from
    // suppliers are per SKU, not per marketplace: they count once, on the SKU's first row.
    let mut seen = std::collections::HashSet::new();
    let mut totals = [(0i64, Decimal::ZERO, Decimal::ZERO); 3];
    for v in &rows {
        let ordered = if seen.insert(v.sku.as_str()) {
            open.get(&v.sku).copied().unwrap_or(0)
        } else {
            0
        };
        let cost = costs.get(&v.sku).copied().unwrap_or_default();
        let price = prices.get(&v.sku).copied().unwrap_or_default();
        for (i, n) in [v.available() + v.reserved(), v.inbound(), ordered]
            .into_iter()
            .enumerate()
        {
            totals[i].0 += n;
            totals[i].1 += cost * Decimal::from(n);
            totals[i].2 += price * Decimal::from(n);
        }
    }
    let out: Vec<Value> = ["fba", "inbound", "ordered"]
        .iter()
        .zip(totals)
        .map(|(location, (units_n, cogs, sales))| {
            json!({"location": location, "units": units_n, "costOfGoods": money(cogs),
            "potentialSales": money(sales), "potentialProfit": money(sales - cogs)})
        })
        .collect();
    Ok(bare(json!(out)))
}

/// Average item price per unit of each SKU over the last year's orders (item price /
/// quantity), from what the forecasts job summed.
fn average_prices(all: &[SkuView]) -> std::collections::HashMap<String, Decimal> {
    let mut sums: std::collections::HashMap<String, (Decimal, i64)> = Default::default();
    for c in all.iter().filter_map(|v| v.computed.as_ref()) {
        let e = sums.entry(c.sku.clone()).or_default();
        e.0 += c.price_total;
        e.1 += c.price_units;
    }
    sums.into_iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(k, (s, n))| (k, s / Decimal::from(n)))
        .collect()
}

/// `GET /api/inventory/planner/products`: bare array, one row per SKU and marketplace.
pub async fn planner_products(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let t = ctx.tenant();
    let all = stock::analyse(&state, t).await?;
    let costs = unit_costs(&state, t).await?;
    let prices = average_prices(&all);
    let open = purchasing::open_units(state.store.as_ref(), t).await?;
    let q = f.search_text();
    let today = state.clock.now().date_naive();
    let rows: Vec<Value> = all
        .iter()
        .filter(|v| q.as_ref().is_none_or(|q| v.sku.to_lowercase().contains(q) || v.title.as_deref().unwrap_or("").to_lowercase().contains(q)))
        .map(|v| {
            let cost = costs.get(&v.sku).copied();
            let price = prices.get(&v.sku).copied();
            let stock_units = v.available() + v.reserved();
            let roi = match (cost, price) {
                (Some(c), Some(p)) if c > Decimal::ZERO => money((p - c) / c * Decimal::from(100)),
                _ => Value::Null,
            };
            json!({
                "id": product_id(v), "sku": v.sku, "asin": v.asin, "title": v.title, "imageUrl": Value::Null,
                "marketplaceId": v.marketplace_id,
                "fbaFbmStock": v.available(), "reserved": v.reserved(),
                "salesVelocity": units(v.forecast.level),
                "daysOfStockLeft": v.plan.days_of_cover,
                "sentToFba": v.inbound(), "prepCenterStock": 0,
                "ordered": open.get(&v.sku).copied().unwrap_or(0),
                "daysUntilNextOrder": v.settings.days_until_next_order.or(v.plan.reorder_date.map(|d| (d - today).num_days())),
                "recommendedQuantity": v.settings.recommended_quantity.unwrap_or(v.plan.order_quantity),
                "reorderDate": v.plan.reorder_date.map(|d| d.to_string()),
                "stockValue": money(cost.unwrap_or_default() * Decimal::from(stock_units)),
                "roi": roi, "comment": v.settings.comment,
            })
        })
        .collect();
    Ok(bare(json!(rows)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannerBody {
    account_id: Option<String>,
    recommended_quantity: Option<i64>,
    days_until_next_order: Option<i64>,
    comment: Option<String>,
}

/// `PATCH /api/inventory/planner/products/{productId}` (`<marketplaceId>:<sku>`): the seller's
/// overrides; bare `{id, recommendedQuantity, daysUntilNextOrder, comment}`.
pub async fn planner_update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<PlannerBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), "inventory.write").await?;
    let t = ctx.tenant();
    let (m, sku) = id
        .split_once(':')
        .ok_or_else(|| Error::NotFound("Product not found".into()))?;
    let mut v = Validator::new();
    v.check(
        b.recommended_quantity
            .is_none_or(|q| (0..=10_000_000).contains(&q)),
        "recommendedQuantity",
        "must be 0 to 10,000,000",
    );
    v.check(
        b.days_until_next_order
            .is_none_or(|q| (0..=3650).contains(&q)),
        "daysUntilNextOrder",
        "must be 0 to 3,650",
    );
    v.check(
        b.comment.as_ref().is_none_or(|c| c.len() <= 2000),
        "comment",
        "must be at most 2,000 characters",
    );
    v.finish()?;
    let store = state.store.as_ref();
    if shared::records::inventory::get(store, t, m, sku)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("Product not found".into()));
    }
    let key = format!("{m}#{sku}");
    let (mut s, rev) = match docs::get::<SkuSettings>(store, t, &key).await? {
        Some(s) => (s.doc, s.rev),
        None => (
            SkuSettings {
                marketplace_id: m.into(),
                sku: sku.into(),
                ..Default::default()
            },
            0,
        ),
    };
    if b.recommended_quantity.is_some() {
        s.recommended_quantity = b.recommended_quantity;
    }
    if b.days_until_next_order.is_some() {
        s.days_until_next_order = b.days_until_next_order;
    }
    if b.comment.is_some() {
        s.comment = b.comment.clone();
    }
    docs::replace(store, t, &s, rev).await?;
    Ok(bare(
        json!({"id": id, "recommendedQuantity": s.recommended_quantity, "daysUntilNextOrder": s.days_until_next_order, "comment": s.comment}),
    ))
}

/// `POST /api/inventory/planner/shipment-plan`: `{productIds[], destinationFulfillmentCenter?,
/// shippingMethod?, notes?}`: a draft FBA shipment of each product's recommended quantity.
pub async fn shipment_plan(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let t = ctx.tenant();
    let ids: Vec<&str> = b["productIds"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(Error::validation(
            "productIds",
            "must name at least one product",
        ));
    }
    let all = stock::analyse(&state, t).await?;
    let mut products = vec![];
    for id in &ids {
        let v = all.iter().find(|v| product_id(v) == *id).ok_or_else(|| {
            Error::validation(
                "productIds",
                format!("{id} is not a product of this account"),
            )
        })?;
        products.push(ShipmentLine {
            sku: v.sku.clone(),
            title: v.title.clone(),
            quantity: v
                .settings
                .recommended_quantity
                .unwrap_or(v.plan.order_quantity)
                .max(1),
            received: 0,
        });
    }
    let now = state.clock.now();
    let s = Shipment {
        id: new_id(),
        shipment_id: None,
        shipment_name: format!("Plan {}", now.format("%Y-%m-%d %H:%M")),
        destination: b["destinationFulfillmentCenter"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        status: "WORKING".into(),
        products,
        purchase_order_ids: vec![],
        comment: b["notes"].as_str().map(str::to_string),
        tracking_number: None,
        carrier: b["shippingMethod"].as_str().map(str::to_string),
        estimated_arrival: None,
        created_at: now,
        updated_at: now,
    };
    docs::create(state.store.as_ref(), t, &s).await?;
    Ok(created(shipment_json(&s)))
}

/// `POST /api/inventory/planner/export`: `{filters{search?}, format: "csv"|"json"}`: the planner rows
/// as CSV text (`{format, filename, content}`) or JSON.
pub async fn planner_export(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let f = Filters {
        account_id: b["accountId"].as_str().map(str::to_string),
        search: b["filters"]["search"].as_str().map(str::to_string),
        ..Default::default()
    };
    let format = b["format"].as_str().unwrap_or("csv").to_string();
    if !matches!(format.as_str(), "csv" | "json") {
        return Err(Error::validation("format", "must be csv or json"));
    }
    let res = planner_products(State(state), auth, QueryParams(f)).await?;
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let rows: Vec<Value> =
        serde_json::from_slice(&bytes).map_err(|e| Error::Internal(e.to_string()))?;
    if format == "json" {
        return Ok(bare(json!({"format": "json", "rows": rows})));
    }
    let cols = [
        "id",
        "sku",
        "asin",
        "title",
        "fbaFbmStock",
        "reserved",
        "salesVelocity",
        "daysOfStockLeft",
        "sentToFba",
        "ordered",
        "daysUntilNextOrder",
        "recommendedQuantity",
        "reorderDate",
        "stockValue",
        "roi",
        "comment",
    ];
    let cell = |v: &Value| -> String {
        let s = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            o => o.to_string(),
        };
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut csv = cols.join(",") + "\n";
    for r in &rows {
        csv += &cols
            .iter()
            .map(|c| cell(&r[*c]))
            .collect::<Vec<_>>()
            .join(",");
        csv += "\n";
    }
    Ok(bare(
        json!({"format": "csv", "filename": "inventory-planner.csv", "content": csv}),
    ))
}

/// `POST /api/inventory/planner/import`: CSV text (a multipart `file` or the raw body) with
/// `id` (`<marketplaceId>:<sku>`) and any of `recommendedQuantity`, `daysUntilNextOrder`,
/// `comment`: applies each row; bare `{imported, errors[]{row, error}}`.
pub async fn planner_import(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let text = String::from_utf8_lossy(&body).to_string();
    let csv = if headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/"))
    {
        // The file part: after the first blank line of the part, before the closing boundary.
        let start = text.find("\r\n\r\n").map(|i| i + 4).unwrap_or(0);
        let end = text[start..]
            .find("\r\n--")
            .map(|i| start + i)
            .unwrap_or(text.len());
        text[start..end].to_string()
    } else {
        text
    };
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let id_col = col("id").ok_or_else(|| Error::validation("file", "needs an id column"))?;
    let (mut imported, mut errors) = (0, vec![]);
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let parse = |c: &str| -> std::result::Result<Option<i64>, String> {
            get(col(c))
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| format!("{c} is not a whole number"))
                })
                .transpose()
        };
        let body = match (parse("recommendedQuantity"), parse("daysUntilNextOrder")) {
            (Ok(r), Ok(d)) => PlannerBody {
                account_id: None,
                recommended_quantity: r,
                days_until_next_order: d,
                comment: get(col("comment")).map(str::to_string),
            },
            (Err(e), _) | (_, Err(e)) => {
                errors.push(json!({"row": n + 2, "error": e}));
                continue;
            }
        };
        let id = get(Some(id_col)).unwrap_or_default().to_string();
        match planner_update(State(state.clone()), auth.clone(), Path(id), JsonBody(body)).await {
            Ok(_) => imported += 1,
            Err(e) => errors.push(json!({"row": n + 2, "error": e.to_string()})),
        }
    }
    Ok(bare(json!({"imported": imported, "errors": errors})))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentLine {
    pub sku: String,
    pub title: Option<String>,
    pub quantity: i64,
    pub received: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    pub id: String,
    pub shipment_id: Option<String>,
    pub shipment_name: String,
    pub destination: String,
    pub status: String,
    pub products: Vec<ShipmentLine>,
    pub purchase_order_ids: Vec<String>,
    pub comment: Option<String>,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub estimated_arrival: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Doc for Shipment {
    const KIND: &'static str = "shipment";
    fn id(&self) -> String {
        self.id.clone()
    }
}

const SHIPMENT_STATUSES: [&str; 8] = [
    "WORKING",
    "READY_TO_SHIP",
    "SHIPPED",
    "IN_TRANSIT",
    "DELIVERED",
    "CHECKED_IN",
    "RECEIVING",
    "CLOSED",
];

/// The status the UI knows (`working`, `ready_to_ship`, `shipped`, `in_transit`, `receiving`,
/// `received`, `cancelled`, `deleted`, `error`) of a shipment status as Amazon's Fulfillment
/// Inbound API writes it (what is stored, for drafts too). Delivered and checked-in shipments
/// are at the fulfilment centre waiting to be received: `receiving`.
pub fn ui_shipment_status(amazon: &str) -> &'static str {
    match amazon {
        "WORKING" | "UNCONFIRMED" => "working",
        "READY_TO_SHIP" => "ready_to_ship",
        "SHIPPED" => "shipped",
        "IN_TRANSIT" => "in_transit",
        "DELIVERED" | "CHECKED_IN" | "RECEIVING" | "MIXED" => "receiving",
        "CLOSED" => "received",
        "CANCELLED" | "ABANDONED" => "cancelled",
        "DELETED" => "deleted",
        _ => "error",
    }
}

/// A shipment status as sent by the UI (lower case) or in Amazon's words, as stored: `None`
/// for anything a draft cannot be set to.
fn stored_shipment_status(sent: &str) -> Option<&'static str> {
    let upper = match sent {
        "received" => "CLOSED".to_string(),
        s => s.to_uppercase(),
    };
    SHIPMENT_STATUSES.iter().copied().find(|s| *s == upper)
}

fn shipment_json(s: &Shipment) -> Value {
    let total: i64 = s.products.iter().map(|p| p.quantity).sum();
    let received: i64 = s.products.iter().map(|p| p.received).sum();
    json!({
        "id": s.id, "shipmentId": s.shipment_id.clone().unwrap_or_else(|| s.id.clone()), "shipmentName": s.shipment_name,
        "date": rfc3339(s.created_at), "destination": s.destination,
        "products": s.products.iter().map(|p| json!({"sku": p.sku, "title": p.title, "imageUrl": Value::Null, "quantity": p.quantity, "received": p.received})).collect::<Vec<_>>(),
        "totalUnits": total, "percentReceived": if total > 0 { received * 100 / total } else { 0 },
        "status": ui_shipment_status(&s.status), "amazonStatus": s.status, "lastUpdate": rfc3339(s.updated_at), "purchaseOrderIds": s.purchase_order_ids,
        "comment": s.comment, "trackingNumber": s.tracking_number, "carrier": s.carrier, "estimatedArrival": s.estimated_arrival,
    })
}

/// `GET /api/fba-shipments`: bare array, newest first.
pub async fn shipments(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let mut all = docs::list::<Shipment>(state.store.as_ref(), ctx.tenant()).await?;
    all.sort_by_key(|b| std::cmp::Reverse(b.created_at));
    let q = f.search_text();
    let mut rows: Vec<Value> = all
        .iter()
        .filter(|s| {
            f.status
                .as_deref()
                .is_none_or(|x| x == ui_shipment_status(&s.status) || x == s.status)
        })
        .filter(|s| {
            q.as_ref()
                .is_none_or(|q| s.shipment_name.to_lowercase().contains(q))
        })
        .map(shipment_json)
        .collect();
    // Then the shipments Amazon has (synced from the Fulfillment Inbound API), newest first.
    let mut synced = crate::links::synced_rows(state.store.as_ref(), ctx.tenant()).await?;
    synced.sort_by(|a, b| b["lastUpdate"].as_str().cmp(&a["lastUpdate"].as_str()));
    rows.extend(synced.into_iter().filter(|r| {
        f.status
            .as_deref()
            .is_none_or(|x| r["status"] == x || r["amazonStatus"] == x)
            && q.as_ref().is_none_or(|q| {
                r["shipmentName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
                    .contains(q)
                    || r["shipmentId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase()
                        .contains(q)
            })
    }));
    Ok(bare(json!(rows)))
}

/// `GET /api/fba-shipments/summary`: bare `[{status, count, totalUnits}]`.
pub async fn shipment_summary(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let all = docs::list::<Shipment>(state.store.as_ref(), ctx.tenant()).await?;
    Ok(bare(json!(SHIPMENT_STATUSES.iter().map(|st| {
        let of: Vec<&Shipment> = all.iter().filter(|s| s.status == *st).collect();
        json!({"status": ui_shipment_status(st), "amazonStatus": st, "count": of.len(), "totalUnits": of.iter().flat_map(|s| &s.products).map(|p| p.quantity).sum::<i64>()})
    }).collect::<Vec<_>>())))
}

pub async fn shipment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    Ok(bare(shipment_json(
        &docs::found::<Shipment>(state.store.as_ref(), ctx.tenant(), &id, "Shipment")
            .await?
            .doc,
    )))
}

fn shipment_lines(v: &mut Validator, b: &Value) -> Vec<ShipmentLine> {
    let lines: Vec<ShipmentLine> = b["products"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| ShipmentLine {
                    sku: p["sku"].as_str().unwrap_or_default().to_string(),
                    title: None,
                    quantity: p["quantity"].as_i64().unwrap_or(0),
                    received: 0,
                })
                .collect()
        })
        .unwrap_or_default();
    v.check(
        !lines.is_empty(),
        "products",
        "must hold at least one product",
    );
    v.check(
        lines
            .iter()
            .all(|l| !l.sku.is_empty() && (1..=1_000_000).contains(&l.quantity)),
        "products",
        "each needs a sku and a quantity of 1 to 1,000,000",
    );
    lines
}

/// `POST /api/fba-shipments`: `{shipmentName, destination, products[]{sku, quantity}, estimatedArrival?, comment?}`.
pub async fn create_shipment(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let mut v = Validator::new();
    let name = b["shipmentName"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    v.check(
        !name.is_empty() && name.len() <= 200,
        "shipmentName",
        "is required (at most 200 characters)",
    );
    let products = shipment_lines(&mut v, &b);
    v.finish()?;
    let now = state.clock.now();
    let s = Shipment {
        id: new_id(),
        shipment_id: None,
        shipment_name: name,
        destination: b["destination"].as_str().unwrap_or_default().to_string(),
        status: "WORKING".into(),
        products,
        purchase_order_ids: vec![],
        comment: b["comment"].as_str().map(str::to_string),
        tracking_number: None,
        carrier: None,
        estimated_arrival: b["estimatedArrival"].as_str().map(str::to_string),
        created_at: now,
        updated_at: now,
    };
    docs::create(state.store.as_ref(), ctx.tenant(), &s).await?;
    Ok(created(shipment_json(&s)))
}

/// `PATCH /api/fba-shipments/{id}`.
pub async fn update_shipment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let store = state.store.as_ref();
    let mut s = docs::found::<Shipment>(store, ctx.tenant(), &id, "Shipment").await?;
    let mut v = Validator::new();
    let text = |k: &str| b[k].as_str().map(str::to_string);
    if let Some(n) = text("shipmentName") {
        v.check(!n.trim().is_empty(), "shipmentName", "must not be empty");
        s.doc.shipment_name = n;
    }
    if let Some(d) = text("destination") {
        s.doc.destination = d;
    }
    if let Some(st) = text("status") {
        let stored = stored_shipment_status(&st);
        v.check(stored.is_some(), "status", "is not a shipment status");
        if let Some(stored) = stored {
            s.doc.status = stored.into();
        }
    }
    if text("trackingNumber").is_some() {
        s.doc.tracking_number = text("trackingNumber");
    }
    if text("carrier").is_some() {
        s.doc.carrier = text("carrier");
    }
    if text("estimatedArrival").is_some() {
        s.doc.estimated_arrival = text("estimatedArrival");
    }
    if text("comment").is_some() {
        s.doc.comment = text("comment");
    }
    v.finish()?;
    s.doc.updated_at = state.clock.now();
    docs::replace(store, ctx.tenant(), &s.doc, s.rev).await?;
    Ok(bare(shipment_json(&s.doc)))
}

/// `PATCH /api/fba-shipments/{id}/status`: `{status}`.
pub async fn shipment_status(
    state: State<AppState>,
    auth: AuthUser,
    id: Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let body = json!({"accountId": b["accountId"], "status": b["status"].as_str().unwrap_or("")});
    update_shipment(state, auth, id, JsonBody(body)).await
}

pub async fn delete_shipment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.delete").await?;
    docs::delete::<Shipment>(state.store.as_ref(), ctx.tenant(), &id, "Shipment").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/fba-shipments/{id}/purchase-orders`: `{purchaseOrderId}`: links both ways.
pub async fn link_purchase_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let (store, t) = (state.store.as_ref(), ctx.tenant());
    let po_id = b["purchaseOrderId"]
        .as_str()
        .ok_or_else(|| Error::validation("purchaseOrderId", "is required"))?;
    let Some(mut s) = docs::get::<Shipment>(store, t, &id).await? else {
        // A shipment Amazon has (synced), by its shipment or `FBA…` id.
        docs::found::<PurchaseOrder>(store, t, po_id, "Purchase order").await?;
        let index = crate::links::ShipmentIndex::load(store, t).await?;
        crate::links::attach(store, t, po_id, &id, &index).await?;
        let row = crate::links::synced_rows(store, t)
            .await?
            .into_iter()
            .find(|r| r["shipmentId"] == id.as_str() || r["confirmationId"] == id.as_str());
        return Ok(bare(row.unwrap_or_default()));
    };
    let mut p = docs::found::<PurchaseOrder>(store, t, po_id, "Purchase order").await?;
    if !p.doc.fba_shipment_ids.contains(&id) {
        p.doc.fba_shipment_ids.push(id.clone());
        docs::replace(store, t, &p.doc, p.rev).await?;
    }
    if !s.doc.purchase_order_ids.iter().any(|x| x == po_id) {
        s.doc.purchase_order_ids.push(po_id.to_string());
        s.doc.updated_at = state.clock.now();
        docs::replace(store, t, &s.doc, s.rev).await?;
    }
    Ok(bare(shipment_json(&s.doc)))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchProduct {
    pub id: String,
    pub asin: Option<String>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub title: Option<String>,
    pub condition: String,
    pub quantity: i64,
    pub cost_of_goods: Decimal,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResellerBatch {
    pub id: String,
    pub batch_number: String,
    pub name: String,
    pub status: String,
    pub fulfillment_type: String,
    pub notes: Option<String>,
    pub products: Vec<BatchProduct>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Doc for ResellerBatch {
    const KIND: &'static str = "batch";
    fn id(&self) -> String {
        self.id.clone()
    }
}

const BATCH_STATUSES: [&str; 5] = ["draft", "sourcing", "ready", "shipped", "completed"];
const CONDITIONS: [&str; 6] = [
    "new",
    "used_like_new",
    "used_very_good",
    "used_good",
    "used_acceptable",
    "collectible",
];

fn batch_json(b: &ResellerBatch) -> Value {
    json!({
        "id": b.id, "batchNumber": b.batch_number, "name": b.name, "status": b.status, "fulfillmentType": b.fulfillment_type,
        "totalProducts": b.products.len(), "totalUnits": b.products.iter().map(|p| p.quantity).sum::<i64>(),
        "totalCOGS": money(b.products.iter().map(|p| p.cost_of_goods * Decimal::from(p.quantity)).sum()),
        "notes": b.notes, "createdAt": rfc3339(b.created_at), "updatedAt": rfc3339(b.updated_at),
        "products": b.products.iter().map(|p| json!({"id": p.id, "asin": p.asin, "sku": p.sku, "barcode": p.barcode,
            "title": p.title, "imageUrl": Value::Null, "condition": p.condition, "quantity": p.quantity,
            "costOfGoods": money(p.cost_of_goods), "notes": p.notes})).collect::<Vec<_>>(),
    })
}

/// `GET /api/reseller-workflow/batches`: bare array, newest first.
pub async fn batches(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let mut all = docs::list::<ResellerBatch>(state.store.as_ref(), ctx.tenant()).await?;
    all.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.batch_number.cmp(&a.batch_number))
    });
    Ok(bare(json!(all
        .iter()
        .filter(|b| f.status.as_deref().is_none_or(|s| s == b.status))
        .map(batch_json)
        .collect::<Vec<_>>())))
}

/// `GET /api/reseller-workflow/summary`: bare `{totalBatches, totalProducts, totalUnits, totalCOGS, byStatus[]}`.
pub async fn batch_summary(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let all: Vec<ResellerBatch> = docs::list::<ResellerBatch>(state.store.as_ref(), ctx.tenant())
        .await?
        .into_iter()
        .filter(|b| {
            f.rest
                .get("fulfillmentType")
                .is_none_or(|t| *t == b.fulfillment_type)
        })
        .collect();
    let cogs = |bs: &[&ResellerBatch]| {
        money(
            bs.iter()
                .flat_map(|b| &b.products)
                .map(|p| p.cost_of_goods * Decimal::from(p.quantity))
                .sum(),
        )
    };
    let refs: Vec<&ResellerBatch> = all.iter().collect();
    Ok(bare(json!({
        "totalBatches": all.len(), "totalProducts": all.iter().map(|b| b.products.len()).sum::<usize>(),
        "totalUnits": all.iter().flat_map(|b| &b.products).map(|p| p.quantity).sum::<i64>(), "totalCOGS": cogs(&refs),
        "byStatus": BATCH_STATUSES.iter().map(|s| { let of: Vec<&ResellerBatch> = all.iter().filter(|b| b.status == *s).collect(); json!({"status": s, "count": of.len(), "totalCOGS": cogs(&of)}) }).collect::<Vec<_>>(),
    })))
}

/// `POST /api/reseller-workflow/batches`: `{name, fulfillmentType: FBA|FBM, notes}`; 201 with `id`.
pub async fn create_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let mut v = Validator::new();
    let name = b["name"].as_str().unwrap_or_default().trim().to_string();
    v.check(
        !name.is_empty() && name.len() <= 200,
        "name",
        "is required (at most 200 characters)",
    );
    let ft = b["fulfillmentType"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    v.check(
        ft == "FBA" || ft == "FBM",
        "fulfillmentType",
        "must be FBA or FBM",
    );
    v.finish()?;
    let now = state.clock.now();
    let id = new_id();
    let batch = ResellerBatch {
        batch_number: format!("B-{}-{}", now.format("%Y%m%d"), &id[..8].to_uppercase()),
        id,
        name,
        status: "draft".into(),
        fulfillment_type: ft,
        notes: b["notes"].as_str().map(str::to_string),
        products: vec![],
        created_at: now,
        updated_at: now,
    };
    docs::create(state.store.as_ref(), ctx.tenant(), &batch).await?;
    Ok(created(batch_json(&batch)))
}

pub async fn batch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    Ok(bare(batch_json(
        &docs::found::<ResellerBatch>(state.store.as_ref(), ctx.tenant(), &id, "Batch")
            .await?
            .doc,
    )))
}

/// Applies a change to a stored batch under its revision (retried on a concurrent change).
async fn edit_batch(
    state: &AppState,
    auth: &AuthUser,
    account: Option<&str>,
    id: &str,
    change: impl Fn(&mut ResellerBatch, &mut Validator),
) -> Result<ResellerBatch> {
    let ctx = context(state, auth, account, "inventory.write").await?;
    let store = state.store.as_ref();
    for attempt in 1.. {
        let mut b = docs::found::<ResellerBatch>(store, ctx.tenant(), id, "Batch").await?;
        let mut v = Validator::new();
        change(&mut b.doc, &mut v);
        v.finish()?;
        b.doc.updated_at = state.clock.now();
        match docs::replace(store, ctx.tenant(), &b.doc, b.rev).await {
            Ok(()) => return Ok(b.doc),
            Err(Error::Conflict(_)) if attempt < docs::EDIT_ATTEMPTS => {
                docs::pause_after_conflict(attempt).await
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!()
}

pub async fn update_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let batch = edit_batch(&state, &auth, b["accountId"].as_str(), &id, |x, v| {
        if let Some(n) = b["name"].as_str() {
            v.check(!n.trim().is_empty(), "name", "must not be empty");
            x.name = n.trim().into();
        }
        if let Some(f) = b["fulfillmentType"].as_str() {
            v.check(
                f == "FBA" || f == "FBM",
                "fulfillmentType",
                "must be FBA or FBM",
            );
            x.fulfillment_type = f.into();
        }
        if let Some(n) = b["notes"].as_str() {
            x.notes = Some(n.into());
        }
    })
    .await?;
    Ok(bare(batch_json(&batch)))
}

pub async fn batch_status(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let batch = edit_batch(&state, &auth, b["accountId"].as_str(), &id, |x, v| {
        let s = b["status"].as_str().unwrap_or_default();
        v.check(
            BATCH_STATUSES.contains(&s),
            "status",
            "must be draft, sourcing, ready, shipped or completed",
        );
        x.status = s.into();
    })
    .await?;
    Ok(bare(batch_json(&batch)))
}

pub async fn delete_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.delete").await?;
    docs::delete::<ResellerBatch>(state.store.as_ref(), ctx.tenant(), &id, "Batch").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn product_fields(p: &mut BatchProduct, b: &Value, v: &mut Validator) {
    if let Some(c) = b["condition"].as_str() {
        v.check(
            CONDITIONS.contains(&c),
            "condition",
            "is not a condition Amazon knows",
        );
        p.condition = c.into();
    }
    if !b["quantity"].is_null() {
        let q = b["quantity"].as_i64().unwrap_or(0);
        v.check(
            (1..=1_000_000).contains(&q),
            "quantity",
            "must be 1 to 1,000,000",
        );
        p.quantity = q;
    }
    if !b["costOfGoods"].is_null() {
        let c = b["costOfGoods"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| b["costOfGoods"].to_string())
            .parse::<Decimal>()
            .unwrap_or(Decimal::NEGATIVE_ONE);
        v.check(
            c >= Decimal::ZERO && c < Decimal::from(1_000_000),
            "costOfGoods",
            "must be 0 to 1,000,000",
        );
        p.cost_of_goods = c;
    }
    if let Some(n) = b["notes"].as_str() {
        p.notes = Some(n.into());
    }
}

/// `POST /api/reseller-workflow/batches/{id}/products`: `{condition, quantity, costOfGoods, notes?,
/// one of barcode|asin|sku}`; 201 with the batch.
pub async fn add_batch_product(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let pid = new_id();
    let batch = edit_batch(&state, &auth, b["accountId"].as_str(), &id, |x, v| {
        let text = |k: &str| {
            b[k].as_str()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let mut p = BatchProduct {
            id: pid.clone(),
            asin: text("asin"),
            sku: text("sku"),
            barcode: text("barcode"),
            title: text("title"),
            condition: String::new(),
            quantity: 0,
            cost_of_goods: Decimal::ZERO,
            notes: None,
        };
        v.check(
            p.asin.is_some() || p.sku.is_some() || p.barcode.is_some(),
            "asin",
            "one of barcode, asin or sku is required",
        );
        v.check(b["condition"].is_string(), "condition", "is required");
        v.check(!b["quantity"].is_null(), "quantity", "is required");
        v.check(!b["costOfGoods"].is_null(), "costOfGoods", "is required");
        product_fields(&mut p, &b, v);
        v.check(
            x.products.len() < 1000,
            "products",
            "a batch holds at most 1,000 products",
        );
        x.products.push(p);
    })
    .await?;
    Ok(created(batch_json(&batch)))
}

pub async fn update_batch_product(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, product)): Path<(String, String)>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let batch = edit_batch(&state, &auth, b["accountId"].as_str(), &id, |x, v| match x
        .products
        .iter_mut()
        .find(|p| p.id == product)
    {
        Some(p) => product_fields(p, &b, v),
        None => v.push("productId", "is not a product of this batch"),
    })
    .await?;
    Ok(bare(batch_json(&batch)))
}

pub async fn remove_batch_product(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, product)): Path<(String, String)>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.delete").await?;
    let b = docs::found::<ResellerBatch>(state.store.as_ref(), ctx.tenant(), &id, "Batch").await?;
    if !b.doc.products.iter().any(|p| p.id == product) {
        return Err(Error::NotFound("Product not found".into()));
    }
    edit_batch(&state, &auth, f.account_id.as_deref(), &id, |x, _| {
        x.products.retain(|p| p.id != product)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/reseller-workflow/batches/{id}/generate-labels`: `{productIds[]}`: the label lines
/// (FNSKU from the synced stock when known, else the SKU or ASIN) as bare `{labels[]}`.
pub async fn generate_labels(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.read").await?;
    let batch = docs::found::<ResellerBatch>(state.store.as_ref(), ctx.tenant(), &id, "Batch")
        .await?
        .doc;
    let stock = shared::records::inventory::all(state.store.as_ref(), ctx.tenant()).await?;
    let wanted: Vec<&str> = b["productIds"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let labels: Vec<Value> = batch.products.iter().filter(|p| wanted.is_empty() || wanted.contains(&p.id.as_str())).map(|p| {
        let fnsku = stock.iter().find(|s| Some(&s.sku) == p.sku.as_ref() || (s.asin.is_some() && s.asin == p.asin)).and_then(|s| s.fnsku.clone());
        let barcode = fnsku.clone().or(p.sku.clone()).or(p.asin.clone());
        json!({"productId": p.id, "fnsku": fnsku, "barcode": barcode, "title": p.title, "condition": p.condition, "copies": p.quantity})
    }).collect();
    Ok(bare(json!({"batchId": id, "labels": labels})))
}

/// `POST /api/reseller-workflow/create-fba-shipment`: `{batchId, productIds[], destinationCenter?,
/// shipmentName?}`: a draft FBA shipment of the batch's products; the batch becomes `shipped`.
pub async fn shipment_from_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let id = b["batchId"]
        .as_str()
        .ok_or_else(|| Error::validation("batchId", "is required"))?
        .to_string();
    let batch = docs::found::<ResellerBatch>(state.store.as_ref(), ctx.tenant(), &id, "Batch")
        .await?
        .doc;
    let wanted: Vec<&str> = b["productIds"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let products: Vec<ShipmentLine> = batch
        .products
        .iter()
        .filter(|p| wanted.is_empty() || wanted.contains(&p.id.as_str()))
        .map(|p| ShipmentLine {
            sku: p
                .sku
                .clone()
                .or(p.asin.clone())
                .or(p.barcode.clone())
                .unwrap_or_default(),
            title: p.title.clone(),
            quantity: p.quantity,
            received: 0,
        })
        .collect();
    if products.is_empty() {
        return Err(Error::validation(
            "productIds",
            "must name products of the batch",
        ));
    }
    let now = state.clock.now();
    let s = Shipment {
        id: format!("{}-shipment", batch.id),
        shipment_id: None,
        shipment_name: b["shipmentName"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} ({})", batch.name, batch.batch_number)),
        destination: b["destinationCenter"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        status: "WORKING".into(),
        products,
        purchase_order_ids: vec![],
        comment: None,
        tracking_number: None,
        carrier: None,
        estimated_arrival: None,
        created_at: now,
        updated_at: now,
    };
    docs::create(state.store.as_ref(), ctx.tenant(), &s)
        .await
        .map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict("This batch already has a shipment".into()),
            e => e,
        })?;
    edit_batch(&state, &auth, b["accountId"].as_str(), &id, |x, _| {
        x.status = "shipped".into()
    })
    .await?;
    Ok(created(shipment_json(&s)))
}
