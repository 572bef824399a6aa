//! `/api/profit/returns*`: returns the seller records against a synced order line. A sellable
//! return puts its units back into stock for COGS (their cost comes off on the day they are
//! back).

use crate::json::{self, created, ok};
use crate::{context, READ, WRITE};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use shared::costs::periods::{self, Bucket, Period};
use shared::costs::returns::Return;
use shared::costs::{self as store};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::ports::store::rfc3339;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    account_id: Option<String>,
    marketplace_id: Option<String>,
    sku: Option<String>,
    reason_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    period: Option<String>,
    page: Option<String>,
    limit: Option<String>,
}

fn return_json(r: &Return, account: &str) -> Value {
    json!({
        "id": r.id, "accountId": account, "orderId": r.order_id, "sku": r.sku,
        "marketplaceId": r.marketplace_id, "quantityReturned": r.quantity_returned,
        "reasonCode": r.reason_code, "refundAmount": json::number(r.refund_amount),
        "feeAmount": json::number(r.fee_amount), "isSellable": r.is_sellable,
        "returnedAt": rfc3339(r.returned_at), "createdAt": rfc3339(r.created_at),
        "updatedAt": rfc3339(r.updated_at),
    })
}

/// The returns of the query: filters, and local days of their marketplace by `returnedAt`.
async fn matching(
    state: &AppState,
    auth: &AuthUser,
    q: &ListQuery,
) -> Result<(String, Vec<Return>)> {
    let ctx = context(state, auth, q.account_id.as_deref(), READ).await?;
    let period = Period::from_query(
        None,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(periods::MAX_DAYS as u32),
    )?;
    let now = state.clock.now();
    let mut all: Vec<Return> = store::all(state.store.as_ref(), ctx.tenant()).await?;
    all.retain(|r| {
        q.marketplace_id
            .as_ref()
            .is_none_or(|m| &r.marketplace_id == m)
            && q.sku.as_ref().is_none_or(|s| &r.sku == s)
            && q.reason_code
                .as_ref()
                .is_none_or(|c| c.eq_ignore_ascii_case(&r.reason_code))
            && period
                .days_in(periods::zone_of(&r.marketplace_id).name(), now)
                .contains(periods::marketplace_day(&r.marketplace_id, r.returned_at))
    });
    all.sort_by(|a, b| (b.returned_at, &b.id).cmp(&(a.returned_at, &a.id)));
    Ok((ctx.tenant().as_str().to_string(), all))
}

/// `GET /api/profit/returns`: `{success, data, totalRecords, page, limit}`, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    let mut v = Validator::new();
    let page = q
        .page
        .as_deref()
        .map(|p| p.parse::<usize>().ok().filter(|n| *n >= 1));
    let limit = q
        .limit
        .as_deref()
        .map(|p| p.parse::<usize>().ok().filter(|n| (1..=500).contains(n)));
    v.check(
        !matches!(page, Some(None)),
        "page",
        "must be a whole number of at least 1",
    );
    v.check(
        !matches!(limit, Some(None)),
        "limit",
        "must be a whole number from 1 to 500",
    );
    v.finish()?;
    let (page, limit) = (page.flatten().unwrap_or(1), limit.flatten().unwrap_or(100));
    let (account, all) = matching(&state, &auth, &q).await?;
    let rows: Vec<Value> = all
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|r| return_json(r, &account))
        .collect();
    Ok(Json(json!({"success": true, "data": rows, "totalRecords": all.len(), "page": page, "limit": limit})).into_response())
}

/// `GET /api/profit/returns/summary`: totals, sellable and unsellable units, by reason, by
/// marketplace, and a series by `period` (day, week, month) of the return's local day.
pub async fn summary(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    let bucket = Bucket::parse(q.period.as_deref(), Bucket::Day)?;
    let (_, all) = matching(&state, &auth, &q).await?;
    #[derive(Default)]
    struct Sum {
        units: i64,
        refund: Decimal,
        fee: Decimal,
    }
    let add = |s: &mut Sum, r: &Return| {
        s.units += r.quantity_returned;
        s.refund += r.refund_amount;
        s.fee += r.fee_amount;
    };
    let (mut total, mut sellable, mut unsellable) = (Sum::default(), 0, 0);
    let mut by_reason: BTreeMap<String, Sum> = BTreeMap::new();
    let mut by_market: BTreeMap<String, Sum> = BTreeMap::new();
    let mut trend: BTreeMap<String, Sum> = BTreeMap::new();
    for r in &all {
        add(&mut total, r);
        if r.is_sellable {
            sellable += r.quantity_returned
        } else {
            unsellable += r.quantity_returned
        }
        add(by_reason.entry(r.reason_code.clone()).or_default(), r);
        add(by_market.entry(r.marketplace_id.clone()).or_default(), r);
        add(
            trend
                .entry(bucket.key(periods::marketplace_day(&r.marketplace_id, r.returned_at)))
                .or_default(),
            r,
        );
    }
    let sum_json = |s: &Sum| json!({"units": s.units, "refundAmount": json::money(s.refund), "feeAmount": json::money(s.fee)});
    Ok(ok(json!({
        "totalReturnedUnits": total.units, "totalRefundAmount": json::money(total.refund),
        "totalFeeAmount": json::money(total.fee), "sellableUnits": sellable, "unsellableUnits": unsellable,
        "lostUnits": unsellable,
        "byReasonCode": by_reason.iter().map(|(k, s)| (k.clone(), sum_json(s))).collect::<Map<_, _>>(),
        "byMarketplace": by_market.iter().map(|(k, s)| (k.clone(), sum_json(s))).collect::<Map<_, _>>(),
        "trends": trend.iter().map(|(k, s)| { let mut j = sum_json(s); j["period"] = json!(k); j }).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnBody {
    account_id: Option<String>,
    order_id: Option<String>,
    sku: Option<String>,
    marketplace_id: Option<String>,
    quantity_returned: Option<Value>,
    reason_code: Option<String>,
    refund_amount: Option<Value>,
    fee_amount: Option<Value>,
    is_sellable: Option<bool>,
    returned_at: Option<String>,
}

fn instant(v: &mut Validator, raw: &Option<String>) -> Option<DateTime<Utc>> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            v.push("returnedAt", "must be an ISO 8601 timestamp");
            None
        }
    }
}

fn apply(v: &mut Validator, r: &mut Return, b: &ReturnBody) {
    if let Some(q) = json::whole(v, "quantityReturned", b.quantity_returned.as_ref()) {
        r.quantity_returned = q;
    }
    v.check(
        r.quantity_returned >= 1,
        "quantityReturned",
        "must be a whole number of at least 1",
    );
    if let Some(c) = &b.reason_code {
        r.reason_code = c.trim().to_string();
    }
    v.check(
        !r.reason_code.is_empty() && r.reason_code.len() <= 100,
        "reasonCode",
        "must be 1 to 100 characters",
    );
    for (field, raw, slot) in [
        ("refundAmount", &b.refund_amount, &mut r.refund_amount),
        ("feeAmount", &b.fee_amount, &mut r.fee_amount),
    ] {
        if let Some(a) = json::decimal(v, field, raw.as_ref()) {
            v.check(!a.is_sign_negative(), field, "must not be negative");
            *slot = a;
        }
    }
    if let Some(s) = b.is_sellable {
        r.is_sellable = s;
    }
    if let Some(t) = instant(v, &b.returned_at) {
        r.returned_at = t;
    }
}

/// `POST /api/profit/returns`: the order must be synced (404) and hold the SKU (400); the
/// quantity may not exceed what the order line shipped.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<ReturnBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), WRITE).await?;
    let mut v = Validator::new();
    let order_id = b
        .order_id
        .clone()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let sku = b
        .sku
        .clone()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    v.check(
        !order_id.is_empty() && order_id.len() <= 50,
        "orderId",
        "is required (Amazon's order id)",
    );
    v.check(!sku.is_empty() && sku.len() <= 100, "sku", "is required");
    v.check(
        b.quantity_returned.is_some(),
        "quantityReturned",
        "is required",
    );
    v.check(b.reason_code.is_some(), "reasonCode", "is required");
    v.check(b.is_sellable.is_some(), "isSellable", "is required");
    let now = state.clock.now();
    let mut r = Return {
        id: uuid::Uuid::new_v4().to_string(),
        order_id: order_id.clone(),
        sku: sku.clone(),
        marketplace_id: String::new(),
        quantity_returned: 0,
        reason_code: String::new(),
        refund_amount: Decimal::ZERO,
        fee_amount: Decimal::ZERO,
        is_sellable: false,
        returned_at: now,
        created_at: now,
        updated_at: now,
    };
    apply(&mut v, &mut r, &b);
    v.finish()?;
    let order = shared::records::orders::get(state.store.as_ref(), ctx.tenant(), &order_id)
        .await?
        .ok_or_else(|| Error::NotFound("Order not found".into()))?;
    let item = order
        .item(&sku)
        .ok_or_else(|| Error::validation("sku", "is not on the order"))?;
    if r.quantity_returned > item.quantity {
        return Err(Error::validation(
            "quantityReturned",
            format!("is more than the {} unit(s) ordered", item.quantity),
        ));
    }
    if let Some(m) = &b.marketplace_id {
        if m != &order.marketplace_id {
            return Err(Error::validation(
                "marketplaceId",
                "is not the order's marketplace",
            ));
        }
    }
    r.marketplace_id = order.marketplace_id.clone();
    store::create(state.store.as_ref(), ctx.tenant(), &r).await?;
    Ok(created(return_json(&r, ctx.tenant().as_str())))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountQuery {
    account_id: Option<String>,
}

/// `PATCH /api/profit/returns/{id}` (order and SKU stay; quantity, reason, amounts, sellable,
/// time may change).
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
    JsonBody(b): JsonBody<ReturnBody>,
) -> Result<Response> {
    let requested = b.account_id.clone().or(q.account_id);
    let ctx = context(&state, &auth, requested.as_deref(), WRITE).await?;
    let now = state.clock.now();
    let r = store::edit(state.store.as_ref(), ctx.tenant(), &id, |r: &mut Return| {
        let mut v = Validator::new();
        if b.sku.as_ref().is_some_and(|s| s.trim() != r.sku) {
            v.push("sku", "cannot change; record a new return instead");
        }
        apply(&mut v, r, &b);
        v.finish()?;
        r.updated_at = now;
        Ok(())
    })
    .await?;
    Ok(
        Json(json!({"success": true, "data": return_json(&r, ctx.tenant().as_str())}))
            .into_response(),
    )
}

/// `DELETE /api/profit/returns/{id}`: `{success, message}`.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), WRITE).await?;
    store::delete::<Return>(state.store.as_ref(), ctx.tenant(), &id).await?;
    Ok(Json(json!({"success": true, "message": "Return deleted successfully"})).into_response())
}
