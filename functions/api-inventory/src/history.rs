//! `GET /api/inventory/{sku}/ledger`: a SKU's inventory history from Amazon's ledger, per
//! marketplace: its stock at the start and end of every day of the range (carried over days
//! without a movement) with the day's movements by kind, and every ledger event of the range.

use crate::forecasts::{daily_stock, local_today};
use crate::{context, marketplace_json, ok, Filters};
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::records::{inventory, ledger};
use std::collections::BTreeMap;

/// The longest range one call returns.
pub const MAX_DAYS: i64 = 800;
/// The range when none is asked for.
const DEFAULT_DAYS: i64 = 90;

fn day(v: &mut Validator, field: &str, s: Option<&str>) -> Option<NaiveDate> {
    let s = s.filter(|s| !s.is_empty())?;
    let d = NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok();
    v.check(d.is_some(), field, "must be a date (YYYY-MM-DD)");
    d
}

fn movements(rows: &[&ledger::LedgerDay]) -> [i64; 12] {
    let mut m = [0i64; 12];
    for r in rows {
        for (i, x) in [
            r.receipts,
            r.customer_shipments,
            r.customer_returns,
            r.vendor_returns,
            r.warehouse_transfers,
            r.found,
            r.lost,
            r.damaged,
            r.disposed,
            r.other_events,
            r.unknown_events,
            r.in_transit,
        ]
        .into_iter()
        .enumerate()
        {
            m[i] += x;
        }
    }
    m
}

/// `GET /api/inventory/{sku}/ledger?marketplaceId&startDate&endDate`:
/// `{data: {sku, days[], events[], total}}`, days oldest first, at most [`MAX_DAYS`].
pub async fn ledger(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(sku): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let (store, t) = (state.store.as_ref(), ctx.tenant());
    let now = state.clock.now();
    let mut v = Validator::new();
    let start = day(&mut v, "startDate", f.start_date.as_deref());
    let end = day(&mut v, "endDate", f.end_date.as_deref());
    if let (Some(s), Some(e)) = (start, end) {
        v.check(s <= e, "endDate", "must not be before startDate");
        v.check(
            (e - s).num_days() < MAX_DAYS,
            "endDate",
            "the range is at most 800 days",
        );
    }
    v.finish()?;
    let marketplaces: Vec<String> = match f.marketplace_id.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => vec![m.to_string()],
        None => {
            let mut ms: Vec<String> = inventory::all(store, t)
                .await?
                .into_iter()
                .filter(|r| r.sku == sku)
                .map(|r| r.marketplace_id)
                .collect();
            ms.sort();
            ms.dedup();
            ms
        }
    };
    let mut days_out: Vec<Value> = vec![];
    let mut events_out: Vec<Value> = vec![];
    let mut found = false;
    for m in &marketplaces {
        let rows = ledger::days_of(store, t, m, &sku).await?;
        let end = end.unwrap_or_else(|| local_today(m, now));
        let start = start.unwrap_or(end - Duration::days(DEFAULT_DAYS - 1));
        let n = (end - start).num_days() + 1;
        let refs: Vec<&ledger::LedgerDay> = rows.iter().collect();
        // Balances from the day before the range to its last day.
        let balances = daily_stock(&refs, start - Duration::days(1), n as usize + 1);
        let mut by_day: BTreeMap<NaiveDate, Vec<&ledger::LedgerDay>> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.date >= start && r.date <= end) {
            by_day.entry(r.date).or_default().push(r);
        }
        found |= !rows.is_empty();
        for i in 0..n {
            let d = start + Duration::days(i);
            let mv = by_day.get(&d).map(|r| movements(r)).unwrap_or_default();
            days_out.push(json!({
                "marketplaceId": m, "marketplace": marketplace_json(m), "date": d.to_string(),
                "startingBalance": balances[i as usize], "endingBalance": balances[i as usize + 1],
                "receipts": mv[0], "customerShipments": mv[1], "customerReturns": mv[2],
                "vendorReturns": mv[3], "warehouseTransfers": mv[4], "found": mv[5], "lost": mv[6],
                "damaged": mv[7], "disposed": mv[8], "otherEvents": mv[9], "unknownEvents": mv[10],
                "inTransit": mv[11],
            }));
        }
        let to = (end + Duration::days(1)).to_string();
        for e in ledger::events_between(store, t, m, &start.to_string(), &to)
            .await?
            .into_iter()
            .filter(|e| e.sku == sku)
        {
            found = true;
            events_out.push(json!({
                "marketplaceId": m, "date": e.date.to_string(),
                "at": e.at.map(shared::ports::store::rfc3339),
                "fnsku": e.fnsku, "eventType": e.event_type, "referenceId": e.reference_id,
                "quantity": e.quantity, "fulfillmentCenter": e.fulfillment_center,
                "disposition": e.disposition, "reason": e.reason,
            }));
        }
    }
    if !found {
        return Err(Error::NotFound("SKU not found".into()));
    }
    Ok(ok(json!({
        "sku": sku, "days": days_out, "events": events_out, "total": days_out.len(),
    })))
}
