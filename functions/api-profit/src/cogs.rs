//! `/api/profit/cogs*`: effective-dated unit costs and FIFO batches with landed cost, and the
//! views of them (by SKU, history with the method that priced each unit, batch details with
//! what is left).

use crate::json::{self, created, ok};
use crate::{context, READ, WRITE};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use shared::costs::cogs::{self as c, Batch, Method, UnitCost};
use shared::costs::periods::{self, parse_day};
use shared::costs::{self as store};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::ports::store::rfc3339;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CogsQuery {
    account_id: Option<String>,
    sku: Option<String>,
    marketplace_id: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

fn cost_json(u: &UnitCost, account: &str) -> Value {
    json!({
        "id": u.id, "sku": u.sku, "accountId": account, "marketplaceId": u.marketplace_id,
        "batchId": u.batch_id, "quantity": u.quantity,
        "unitCost": json::number(u.purchase_unit_cost),
        "landedUnitCost": json::number(u.unit_cost),
        "shipmentCost": u.shipment_cost.map(json::number),
        "totalCost": json::number(u.purchase_unit_cost * Decimal::from(u.quantity) + u.shipment_cost.unwrap_or_default()),
        "costMethod": u.cost_method, "effectiveFrom": u.effective_from.to_string(),
        "purchaseDate": u.effective_from.to_string(),
        "createdAt": rfc3339(u.created_at), "updatedAt": rfc3339(u.updated_at),
    })
}

fn batch_json(b: &Batch, account: &str, remaining: Option<i64>) -> Value {
    let mut v = json!({
        "id": b.id, "sku": b.sku, "accountId": account, "marketplaceId": b.marketplace_id,
        "quantity": b.quantity, "unitCost": json::number(b.unit_cost),
        "shippingCost": json::number(b.shipping_cost), "dutyCost": json::number(b.duty_cost),
        "otherCost": json::number(b.other_cost),
        "totalCost": json::number(b.landed_total()),
        "landedUnitCost": json::money_dp(b.landed_unit_cost(), 4),
        "receivedAt": rfc3339(b.received_at), "notes": b.notes,
        "createdAt": rfc3339(b.created_at), "updatedAt": rfc3339(b.updated_at),
    });
    if let Some(r) = remaining {
        v["remainingQuantity"] = json!(r);
        v["usedQuantity"] = json!(b.quantity - r);
    }
    v
}

fn check_marketplace(v: &mut Validator, m: &Option<String>) {
    if let Some(m) = m {
        v.check(
            shared::marketplaces::by_id(m).is_some(),
            "marketplaceId",
            "must be an Amazon marketplace id",
        );
    }
}

fn check_sku(v: &mut Validator, sku: &str) {
    v.check(
        !sku.is_empty() && sku.len() <= 100,
        "sku",
        "must be 1 to 100 characters",
    );
}

fn blank(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostBody {
    account_id: Option<String>,
    sku: Option<String>,
    marketplace_id: Option<String>,
    batch_id: Option<String>,
    quantity: Option<Value>,
    unit_cost: Option<Value>,
    cost_method: Option<String>,
    shipment_cost: Option<Value>,
    purchase_date: Option<String>,
    effective_from: Option<String>,
}

const METHODS: [&str; 3] = ["BATCH", "TIME_PERIOD", "WEIGHTED_AVERAGE"];

/// `POST /api/profit/cogs`: a unit cost in force from `effectiveFrom` (or `purchaseDate`,
/// else today). `unitCost` is the purchase price of one unit; a `shipmentCost` is spread over
/// `quantity` units into the landed unit cost.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<CostBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), WRITE).await?;
    let mut v = Validator::new();
    let sku = blank(b.sku.clone()).unwrap_or_default();
    check_sku(&mut v, &sku);
    let marketplace_id = blank(b.marketplace_id.clone());
    check_marketplace(&mut v, &marketplace_id);
    let quantity = json::whole(&mut v, "quantity", b.quantity.as_ref()).unwrap_or(1);
    let unit_cost = json::decimal(&mut v, "unitCost", b.unit_cost.as_ref());
    v.check(
        unit_cost.is_some() || b.unit_cost.is_some(),
        "unitCost",
        "is required",
    );
    let shipment = json::decimal(&mut v, "shipmentCost", b.shipment_cost.as_ref());
    c::validate_amounts(
        &mut v,
        quantity,
        &[("unitCost", unit_cost), ("shipmentCost", shipment)],
    );
    let method = b
        .cost_method
        .clone()
        .map(|m| m.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "WEIGHTED_AVERAGE".into());
    v.check(
        METHODS.contains(&method.as_str()),
        "costMethod",
        "must be BATCH, TIME_PERIOD or WEIGHTED_AVERAGE",
    );
    let day = day_field(&mut v, &b.effective_from, "effectiveFrom")
        .or_else(|| day_field(&mut v, &b.purchase_date, "purchaseDate"));
    v.finish()?;
    let batch_id = blank(b.batch_id.clone());
    if let Some(id) = &batch_id {
        let batch: Batch = store::get(state.store.as_ref(), ctx.tenant(), id).await?;
        if batch.sku != sku {
            return Err(Error::validation("batchId", "belongs to another SKU"));
        }
    }
    let now = state.clock.now();
    let unit_cost = unit_cost.unwrap_or_default();
    let entry = UnitCost {
        id: uuid::Uuid::new_v4().to_string(),
        sku,
        effective_from: day.unwrap_or_else(|| today(marketplace_id.as_deref(), now)),
        marketplace_id,
        unit_cost: UnitCost::landed(unit_cost, quantity, shipment),
        purchase_unit_cost: unit_cost,
        quantity,
        shipment_cost: shipment,
        cost_method: method,
        batch_id,
        created_at: now,
        updated_at: now,
    };
    store::create(state.store.as_ref(), ctx.tenant(), &entry).await?;
    Ok(created(cost_json(&entry, ctx.tenant().as_str())))
}

fn day_field(v: &mut Validator, raw: &Option<String>, field: &str) -> Option<NaiveDate> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match parse_day(field, raw) {
        Ok(d) => Some(d),
        Err(_) => {
            v.push(field, "must be a date (YYYY-MM-DD)");
            None
        }
    }
}

fn today(marketplace_id: Option<&str>, now: DateTime<Utc>) -> NaiveDate {
    match marketplace_id {
        Some(m) => periods::marketplace_day(m, now),
        None => now.date_naive(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostPatch {
    account_id: Option<String>,
    quantity: Option<Value>,
    unit_cost: Option<Value>,
    shipment_cost: Option<Value>,
    cost_method: Option<String>,
    purchase_date: Option<String>,
    effective_from: Option<String>,
}

/// `PATCH /api/profit/cogs/{id}`: changes a unit cost entry (its landed cost is recomputed).
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<CogsQuery>,
    JsonBody(b): JsonBody<CostPatch>,
) -> Result<Response> {
    let requested = b.account_id.clone().or(q.account_id);
    let ctx = context(&state, &auth, requested.as_deref(), WRITE).await?;
    let now = state.clock.now();
    let e = store::edit(
        state.store.as_ref(),
        ctx.tenant(),
        &id,
        |e: &mut UnitCost| {
            let mut v = Validator::new();
            if let Some(q) = json::whole(&mut v, "quantity", b.quantity.as_ref()) {
                e.quantity = q;
            }
            if let Some(u) = json::decimal(&mut v, "unitCost", b.unit_cost.as_ref()) {
                e.purchase_unit_cost = u;
            }
            if b.shipment_cost.is_some() {
                e.shipment_cost = json::decimal(&mut v, "shipmentCost", b.shipment_cost.as_ref());
            }
            if let Some(m) = &b.cost_method {
                let m = m.trim().to_ascii_uppercase();
                v.check(
                    METHODS.contains(&m.as_str()),
                    "costMethod",
                    "must be BATCH, TIME_PERIOD or WEIGHTED_AVERAGE",
                );
                e.cost_method = m;
            }
            if let Some(d) = day_field(&mut v, &b.effective_from, "effectiveFrom")
                .or_else(|| day_field(&mut v, &b.purchase_date, "purchaseDate"))
            {
                e.effective_from = d;
            }
            c::validate_amounts(
                &mut v,
                e.quantity,
                &[
                    ("unitCost", Some(e.purchase_unit_cost)),
                    ("shipmentCost", e.shipment_cost),
                ],
            );
            v.finish()?;
            e.unit_cost = UnitCost::landed(e.purchase_unit_cost, e.quantity, e.shipment_cost);
            e.updated_at = now;
            Ok(())
        },
    )
    .await?;
    Ok(ok(cost_json(&e, ctx.tenant().as_str())))
}

/// `DELETE /api/profit/cogs/{id}`.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), WRITE).await?;
    store::delete::<UnitCost>(state.store.as_ref(), ctx.tenant(), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/profit/cogs?sku=&marketplaceId=`: every unit cost entry, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let mut all: Vec<UnitCost> = store::all(state.store.as_ref(), ctx.tenant()).await?;
    all.retain(|u| {
        q.sku.as_ref().is_none_or(|s| &u.sku == s)
            && q.marketplace_id
                .as_ref()
                .is_none_or(|m| u.marketplace_id.as_ref() == Some(m))
    });
    all.sort_by_key(|b| std::cmp::Reverse((b.effective_from, b.created_at)));
    let a = ctx.tenant().as_str();
    Ok(ok(json!(all
        .iter()
        .map(|u| cost_json(u, a))
        .collect::<Vec<_>>())))
}

/// `GET /api/profit/cogs/{sku}`: a SKU's unit cost entries and batches, the cost in force
/// today, and per marketplace the quantity and average landed cost entered.
pub async fn by_sku(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let sku = sku.trim().to_string();
    let mut v = Validator::new();
    check_sku(&mut v, &sku);
    v.finish()?;
    let s = state.store.as_ref();
    let mut costs: Vec<UnitCost> = store::all(s, ctx.tenant()).await?;
    costs.retain(|u| u.sku == sku);
    costs.sort_by_key(|b| std::cmp::Reverse((b.effective_from, b.created_at)));
    let mut batches: Vec<Batch> = store::all(s, ctx.tenant()).await?;
    batches.retain(|b| b.sku == sku);
    batches.sort_by_key(|b| b.received_at);
    let a = ctx.tenant().as_str();
    let total_qty: i64 = costs.iter().map(|u| u.quantity).sum::<i64>()
        + batches.iter().map(|b| b.quantity).sum::<i64>();
    let total_cost: Decimal = costs
        .iter()
        .map(|u| u.unit_cost * Decimal::from(u.quantity))
        .sum::<Decimal>()
        + batches.iter().map(Batch::landed_total).sum::<Decimal>();
    let mut by_market: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
    for u in &costs {
        let e = by_market
            .entry(u.marketplace_id.clone().unwrap_or_else(|| "all".into()))
            .or_default();
        e.0 += u.quantity;
        e.1 += u.unit_cost * Decimal::from(u.quantity);
    }
    for b in &batches {
        let e = by_market
            .entry(b.marketplace_id.clone().unwrap_or_else(|| "all".into()))
            .or_default();
        e.0 += b.quantity;
        e.1 += b.landed_total();
    }
    let now = state.clock.now();
    let current = costs
        .iter()
        .filter(|u| u.effective_from <= now.date_naive())
        .max_by_key(|u| (u.effective_from, u.created_at));
    Ok(ok(json!({
        "sku": sku, "accountId": a,
        "totalQuantity": total_qty,
        "totalCost": json::money(total_cost),
        "averageUnitCost": if total_qty > 0 { json::money_dp(total_cost / Decimal::from(total_qty), 4) } else { json!(0) },
        "currentUnitCost": current.map(|u| json::number(u.unit_cost)),
        "entries": costs.iter().map(|u| cost_json(u, a)).collect::<Vec<_>>(),
        "batches": batches.iter().map(|b| batch_json(b, a, None)).collect::<Vec<_>>(),
        "byMarketplace": by_market.iter().map(|(m, (qty, cost))| json!({
            "marketplaceId": if m == "all" { Value::Null } else { json!(m) },
            "marketplaceName": shared::marketplaces::by_id(m).map(|x| x.name),
            "quantity": qty, "totalCost": json::money(*cost),
            "averageUnitCost": if *qty > 0 { json::money_dp(*cost / Decimal::from(*qty), 4) } else { json!(0) },
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchBody {
    account_id: Option<String>,
    sku: Option<String>,
    marketplace_id: Option<String>,
    quantity: Option<Value>,
    unit_cost: Option<Value>,
    shipping_cost: Option<Value>,
    duty_cost: Option<Value>,
    other_cost: Option<Value>,
    notes: Option<String>,
    received_at: Option<String>,
}

fn instant_field(v: &mut Validator, raw: &Option<String>, field: &str) -> Option<DateTime<Utc>> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    match parse_day(field, raw) {
        Ok(d) if raw.len() == 10 => Some(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()),
        _ => {
            v.push(field, "must be an ISO 8601 date or timestamp");
            None
        }
    }
}

/// `POST /api/profit/cogs/batch`: units received at a landed cost (purchase `unitCost` per
/// unit; `shippingCost`, `dutyCost`, `otherCost` for the whole batch).
pub async fn create_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<BatchBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), WRITE).await?;
    let mut v = Validator::new();
    let sku = blank(b.sku.clone()).unwrap_or_default();
    check_sku(&mut v, &sku);
    let marketplace_id = blank(b.marketplace_id.clone());
    check_marketplace(&mut v, &marketplace_id);
    v.check(b.quantity.is_some(), "quantity", "is required");
    v.check(b.unit_cost.is_some(), "unitCost", "is required");
    let quantity = json::whole(&mut v, "quantity", b.quantity.as_ref()).unwrap_or(1);
    let unit = json::decimal(&mut v, "unitCost", b.unit_cost.as_ref());
    let ship = json::decimal(&mut v, "shippingCost", b.shipping_cost.as_ref());
    let duty = json::decimal(&mut v, "dutyCost", b.duty_cost.as_ref());
    let other = json::decimal(&mut v, "otherCost", b.other_cost.as_ref());
    c::validate_amounts(
        &mut v,
        quantity,
        &[
            ("unitCost", unit),
            ("shippingCost", ship),
            ("dutyCost", duty),
            ("otherCost", other),
        ],
    );
    if let Some(n) = &b.notes {
        v.check(n.len() <= 500, "notes", "must be at most 500 characters");
    }
    let received = instant_field(&mut v, &b.received_at, "receivedAt");
    v.finish()?;
    let now = state.clock.now();
    let batch = Batch {
        id: uuid::Uuid::new_v4().to_string(),
        sku,
        marketplace_id,
        quantity,
        unit_cost: unit.unwrap_or_default(),
        shipping_cost: ship.unwrap_or_default(),
        duty_cost: duty.unwrap_or_default(),
        other_cost: other.unwrap_or_default(),
        received_at: received.unwrap_or(now),
        notes: b.notes.clone(),
        created_at: now,
        updated_at: now,
    };
    store::create(state.store.as_ref(), ctx.tenant(), &batch).await?;
    Ok(created(batch_json(
        &batch,
        ctx.tenant().as_str(),
        Some(batch.quantity),
    )))
}

/// `PATCH /api/profit/cogs/batch/{batchId}`.
pub async fn update_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<CogsQuery>,
    JsonBody(b): JsonBody<BatchBody>,
) -> Result<Response> {
    let requested = b.account_id.clone().or(q.account_id);
    let ctx = context(&state, &auth, requested.as_deref(), WRITE).await?;
    let now = state.clock.now();
    let batch = store::edit(
        state.store.as_ref(),
        ctx.tenant(),
        &id,
        |batch: &mut Batch| {
            let mut v = Validator::new();
            if let Some(x) = json::whole(&mut v, "quantity", b.quantity.as_ref()) {
                batch.quantity = x;
            }
            for (field, raw, slot) in [
                ("unitCost", &b.unit_cost, &mut batch.unit_cost),
                ("shippingCost", &b.shipping_cost, &mut batch.shipping_cost),
                ("dutyCost", &b.duty_cost, &mut batch.duty_cost),
                ("otherCost", &b.other_cost, &mut batch.other_cost),
            ] {
                if let Some(x) = json::decimal(&mut v, field, raw.as_ref()) {
                    *slot = x;
                }
            }
            if let Some(t) = instant_field(&mut v, &b.received_at, "receivedAt") {
                batch.received_at = t;
            }
            if b.notes.is_some() {
                batch.notes = b.notes.clone();
            }
            c::validate_amounts(
                &mut v,
                batch.quantity,
                &[
                    ("unitCost", Some(batch.unit_cost)),
                    ("shippingCost", Some(batch.shipping_cost)),
                    ("dutyCost", Some(batch.duty_cost)),
                    ("otherCost", Some(batch.other_cost)),
                ],
            );
            v.finish()?;
            batch.updated_at = now;
            Ok(())
        },
    )
    .await?;
    Ok(ok(batch_json(&batch, ctx.tenant().as_str(), None)))
}

/// `DELETE /api/profit/cogs/batch/{batchId}`.
pub async fn delete_batch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), WRITE).await?;
    store::delete::<Batch>(state.store.as_ref(), ctx.tenant(), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/profit/cogs/batch?sku=`: batches, oldest first.
pub async fn list_batches(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let mut all: Vec<Batch> = store::all(state.store.as_ref(), ctx.tenant()).await?;
    all.retain(|b| q.sku.as_ref().is_none_or(|s| &b.sku == s));
    all.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
    let a = ctx.tenant().as_str();
    Ok(ok(json!(all
        .iter()
        .map(|b| batch_json(b, a, None))
        .collect::<Vec<_>>())))
}

/// `GET /api/profit/cogs/batch/{batchId}`: the batch, the units sold from it (FIFO over every
/// order synced so far, sellable returns back in) and what is left.
pub async fn batch_details(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let s = state.store.as_ref();
    let batch: Batch = store::get(s, ctx.tenant(), &id).await?;
    let book = crate::report::CostBook::load(s, ctx.tenant(), state.clock.now()).await?;
    let left = c::remaining(&book.priced, &book.batches);
    let mut consumed: Vec<Value> = vec![];
    for p in &book.priced {
        for part in p
            .parts
            .iter()
            .filter(|x| x.batch_id.as_deref() == Some(id.as_str()))
        {
            consumed.push(json!({
                "orderId": p.order_id, "marketplaceId": p.marketplace_id, "date": p.day.to_string(),
                "units": if p.restock { -part.units } else { part.units },
                "unitCost": json::money_dp(part.unit_cost, 4),
            }));
        }
    }
    let a = ctx.tenant().as_str();
    let mut v = batch_json(&batch, a, left.get(&id).copied());
    v["movements"] = json!(consumed);
    Ok(ok(v))
}

/// Units, cost and units per method of a SKU's day.
type DayCost = (i64, Decimal, BTreeMap<&'static str, i64>);

/// `GET /api/profit/cogs/history?sku=&marketplaceId=&startDate=&endDate=`: the units sold in
/// the days (marketplace-local, by order date) with the cost and the method that priced them,
/// by day, and the breakdown by method.
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<CogsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let now = state.clock.now();
    let period = periods::Period::from_query(
        None,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        periods::Period::LastDays(365),
    )?;
    let s = state.store.as_ref();
    let book = crate::report::CostBook::load(s, ctx.tenant(), now).await?;
    let mut days: BTreeMap<(NaiveDate, String), DayCost> = BTreeMap::new();
    let mut methods: BTreeMap<&'static str, (i64, Decimal)> = BTreeMap::new();
    for p in &book.priced {
        if q.sku.as_ref().is_some_and(|x| x != &p.sku)
            || q.marketplace_id
                .as_ref()
                .is_some_and(|m| m != &p.marketplace_id)
        {
            continue;
        }
        let range = period.days_in(periods::zone_of(&p.marketplace_id).name(), now);
        if !range.contains(p.day) {
            continue;
        }
        let sign = if p.restock { -1 } else { 1 };
        let e = days.entry((p.day, p.sku.clone())).or_default();
        e.0 += sign * p.units;
        e.1 += p.cost();
        for part in &p.parts {
            *e.2.entry(part.method.as_str()).or_default() += sign * part.units;
            let m = methods.entry(part.method.as_str()).or_default();
            m.0 += sign * part.units;
            m.1 += Decimal::from(sign) * part.cost();
        }
    }
    let total_units: i64 = days.values().map(|d| d.0).sum();
    let total_cost: Decimal = days.values().map(|d| d.1).sum();
    let mut breakdown = Map::new();
    for m in [Method::Fifo, Method::UnitCost, Method::None] {
        let (u, c) = methods.get(m.as_str()).copied().unwrap_or_default();
        breakdown.insert(
            m.as_str().into(),
            json!({"units": u, "cost": json::money(c)}),
        );
    }
    Ok(ok(json!({
        "sku": q.sku, "accountId": ctx.tenant().as_str(), "marketplaceId": q.marketplace_id,
        "data": days.iter().map(|((d, sku), (u, c, m))| json!({
            "date": d.to_string(), "sku": sku, "quantity": u, "totalCost": json::money(*c),
            "unitCost": if *u != 0 { json::money_dp(*c / Decimal::from(*u), 4) } else { json!(0) },
            "methods": m,
        })).collect::<Vec<_>>(),
        "summary": {
            "totalQuantity": total_units, "totalCost": json::money(total_cost),
            "averageUnitCost": if total_units != 0 { json::money_dp(total_cost / Decimal::from(total_units), 4) } else { json!(0) },
            "methodBreakdown": breakdown,
        },
    })))
}
