//! `/api/cashflow`: money in and out by day or month: Amazon's payouts (the settlements'
//! totals, on their end day), the expenses as they occur, and manual entries (a loan, a
//! supplier payment). `POST` records a manual entry.

use crate::json::{self, created, money, ok};
use crate::report::ExpenseBook;
use crate::{context, READ, WRITE};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::costs::cashflow::{CashEntry, Direction};
use shared::costs::periods::{parse_day, Bucket, Period};
use shared::costs::{self as store};
use shared::error::{Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::ports::store::rfc3339;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashQuery {
    account_id: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    period: Option<String>,
    currency: Option<String>,
}

#[derive(Default)]
struct Flow {
    payouts: Decimal,
    expenses: Decimal,
    manual_in: Decimal,
    manual_out: Decimal,
}

/// `GET /api/cashflow?startDate&endDate&period=day|week|month&currency=`: one currency at a
/// time (default the account's reporting currency; payouts and expenses in other currencies are
/// counted under `otherCurrencies`).
pub async fn view(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<CashQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let bucket = Bucket::parse(q.period.as_deref(), Bucket::Month)?;
    let now = state.clock.now();
    let days = Period::from_query(
        None,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(90),
    )?
    .days(now.date_naive());
    let s = state.store.as_ref();
    let t = ctx.tenant();
    let currency = match &q.currency {
        Some(c) => c.trim().to_ascii_uppercase(),
        None => shared::profit::settings::reporting_currency(s, t).await?,
    };
    let mut flows: BTreeMap<String, Flow> = days
        .iter()
        .map(|d| (bucket.key(d), Flow::default()))
        .collect();
    let mut other: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in shared::profit::payouts::list(s, t).await? {
        let (Some(end), Some(total)) = (p.end, p.amazon_total.or(Some(p.our_total))) else {
            continue;
        };
        let day = shared::costs::periods::marketplace_day(&p.marketplace_id, end);
        if !p.closed || !days.contains(day) {
            continue;
        }
        if p.currency == currency {
            flows.entry(bucket.key(day)).or_default().payouts += total;
        } else {
            *other.entry(p.currency.clone()).or_default() += total;
        }
    }
    for e in ExpenseBook::load(s, t).await?.all {
        for day in e.occurrences(days.start, days.end) {
            if e.currency == currency {
                flows.entry(bucket.key(day)).or_default().expenses += e.amount;
            } else {
                *other.entry(e.currency.clone()).or_default() -= e.amount;
            }
        }
    }
    let entries: Vec<CashEntry> = store::all(s, t).await?;
    for c in entries.iter().filter(|c| days.contains(c.date)) {
        if c.currency != currency {
            let sign = if c.direction == Direction::Inflow {
                Decimal::ONE
            } else {
                -Decimal::ONE
            };
            *other.entry(c.currency.clone()).or_default() += sign * c.amount;
            continue;
        }
        let f = flows.entry(bucket.key(c.date)).or_default();
        match c.direction {
            Direction::Inflow => f.manual_in += c.amount,
            Direction::Outflow => f.manual_out += c.amount,
        }
    }
    let mut running = Decimal::ZERO;
    let series: Vec<Value> = flows
        .iter()
        .map(|(k, f)| {
            let net = f.payouts + f.manual_in - f.expenses - f.manual_out;
            running += net;
            json!({"period": k, "amazonPayouts": money(f.payouts), "expenses": money(f.expenses), "manualIn": money(f.manual_in), "manualOut": money(f.manual_out), "net": money(net), "cumulative": money(running)})
        })
        .collect();
    let sum = |f: fn(&Flow) -> Decimal| flows.values().map(f).sum::<Decimal>();
    Ok(ok(json!({
        "currency": currency, "startDate": days.start.to_string(), "endDate": days.end.to_string(),
        "series": series,
        "totals": {"amazonPayouts": money(sum(|f| f.payouts)), "expenses": money(sum(|f| f.expenses)), "manualIn": money(sum(|f| f.manual_in)), "manualOut": money(sum(|f| f.manual_out)), "net": money(running)},
        "otherCurrencies": other.iter().map(|(c, a)| (c.clone(), money(*a))).collect::<serde_json::Map<_, _>>(),
        "entries": entries.iter().filter(|c| days.contains(c.date)).map(entry_json).collect::<Vec<_>>(),
    })))
}

fn entry_json(c: &CashEntry) -> Value {
    json!({"id": c.id, "type": c.direction, "amount": json::number(c.amount), "currency": c.currency, "category": c.category, "description": c.description, "date": c.date.to_string(), "createdAt": rfc3339(c.created_at)})
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashBody {
    account_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    amount: Option<Value>,
    currency: Option<String>,
    category: Option<String>,
    description: Option<String>,
    date: Option<String>,
}

/// `POST /api/cashflow`: `{type: inflow|outflow, amount > 0, currency, category?, description?,
/// date}` → 201.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<CashBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), WRITE).await?;
    let mut v = Validator::new();
    let direction = match b.kind.as_deref().map(|k| k.trim().to_ascii_lowercase()) {
        Some(k) if k == "inflow" || k == "in" || k == "income" => Some(Direction::Inflow),
        Some(k) if k == "outflow" || k == "out" || k == "expense" => Some(Direction::Outflow),
        _ => {
            v.push("type", "must be inflow or outflow");
            None
        }
    };
    v.check(b.amount.is_some(), "amount", "is required");
    let amount = json::decimal(&mut v, "amount", b.amount.as_ref()).unwrap_or_default();
    v.check(
        amount > Decimal::ZERO && amount < Decimal::from(1_000_000_000),
        "amount",
        "must be above 0 and below 1,000,000,000",
    );
    let currency = match &b.currency {
        Some(c) => c.trim().to_ascii_uppercase(),
        None => {
            shared::profit::settings::reporting_currency(state.store.as_ref(), ctx.tenant()).await?
        }
    };
    v.check(
        shared::domain::Currency::parse(&currency).is_ok(),
        "currency",
        "must be a supported ISO currency code",
    );
    let date: Option<NaiveDate> = match b.date.as_deref() {
        Some(d) => parse_day("date", d)
            .map_err(|_| v.push("date", "must be a date (YYYY-MM-DD)"))
            .ok(),
        None => {
            v.push("date", "is required");
            None
        }
    };
    for (field, text) in [("category", &b.category), ("description", &b.description)] {
        if let Some(t) = text {
            v.check(t.len() <= 500, field, "must be at most 500 characters");
        }
    }
    v.finish()?;
    let e = CashEntry {
        id: uuid::Uuid::new_v4().to_string(),
        direction: direction.expect("checked"),
        amount,
        currency,
        category: b.category.clone(),
        description: b.description.clone(),
        date: date.expect("checked"),
        created_at: state.clock.now(),
    };
    store::create(state.store.as_ref(), ctx.tenant(), &e).await?;
    Ok(created(entry_json(&e)))
}

/// `DELETE /api/cashflow/{id}`.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<CashQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), WRITE).await?;
    store::delete::<CashEntry>(state.store.as_ref(), ctx.tenant(), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
