//! `/api/profit/expenses*` and `/api/expenses*`: indirect expenses, one-off or recurring, with
//! their allocation; bulk import from CSV (multipart `file`).

use crate::json::{self, created, ok};
use crate::{context, READ, WRITE};
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use shared::costs::expenses::{
    self as x, parse_allocations, Allocation, Expense, ExpenseType, Recurrence,
};
use shared::costs::periods::{parse_day, Period};
use shared::costs::{self as store};
use shared::error::{Error, FieldError, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::ports::store::rfc3339;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    account_id: Option<String>,
    marketplace_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    category: Option<String>,
    sku: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    page: Option<String>,
    limit: Option<String>,
}

pub fn expense_json(e: &Expense, account: &str) -> Value {
    json!({
        "id": e.id, "accountId": account, "marketplaceId": e.marketplace_id,
        "type": e.kind.as_str(), "recurrence": e.recurrence(),
        "category": e.category, "amount": json::number(e.amount), "currency": e.currency,
        "allocatedProducts": if e.allocated_products.is_empty() { Value::Null } else {
            json!(e.allocated_products.iter().map(|a| json!({"sku": a.sku, "percentage": json::number(a.percentage)})).collect::<Vec<_>>())
        },
        "allocation": if !e.allocated_products.is_empty() { "skus" } else if e.marketplace_id.is_some() { "marketplace" } else { "account" },
        "description": e.description,
        "incurredAt": e.incurred_at.to_string(), "endsAt": e.ends_at.map(|d| d.to_string()),
        "createdAt": rfc3339(e.created_at), "updatedAt": rfc3339(e.updated_at),
    })
}

fn page_of(v: &mut Validator, page: &Option<String>, limit: &Option<String>) -> (usize, usize) {
    let p = page
        .as_deref()
        .map(|p| p.trim().parse::<usize>().ok().filter(|n| *n >= 1));
    let l = limit.as_deref().map(|l| {
        l.trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
    });
    if matches!(p, Some(None)) {
        v.push("page", "must be a whole number of at least 1");
    }
    if matches!(l, Some(None)) {
        v.push("limit", "must be a whole number from 1 to 500");
    }
    (p.flatten().unwrap_or(1), l.flatten().unwrap_or(100))
}

/// The expenses a list shows, with the amounts they incur in the range (every occurrence;
/// with `sku`, that SKU's share only). Newest first.
async fn listing(
    state: &AppState,
    auth: &AuthUser,
    q: &ListQuery,
) -> Result<(Value, usize, Value, usize, usize)> {
    let ctx = context(state, auth, q.account_id.as_deref(), READ).await?;
    let mut v = Validator::new();
    let kind = q.kind.as_deref().map(|k| {
        let t = ExpenseType::parse(k);
        v.check(t.is_some(), "type", "must be one-time, recurring or fixed");
        t
    });
    let (page, limit) = page_of(&mut v, &q.page, &q.limit);
    v.finish()?;
    let range = match Period::from_query(
        None,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::Today,
    ) {
        Ok(Period::Custom(s, e)) if q.start_date.is_some() => Some((s, e)),
        Ok(_) => None,
        Err(e) => return Err(e),
    };
    let mut all: Vec<Expense> = store::all(state.store.as_ref(), ctx.tenant()).await?;
    all.retain(|e| {
        q.marketplace_id
            .as_ref()
            .is_none_or(|m| e.marketplace_id.as_ref() == Some(m))
            && kind.flatten().is_none_or(|k| e.kind == k)
            && q.category
                .as_ref()
                .is_none_or(|c| c.eq_ignore_ascii_case(&e.category))
            && q.sku
                .as_ref()
                .is_none_or(|s| e.allocated_products.iter().any(|a| &a.sku == s))
            && range.is_none_or(|(s, t)| !e.occurrences(s, t).is_empty())
    });
    all.sort_by(|a, b| {
        (b.incurred_at, b.created_at, &b.id).cmp(&(a.incurred_at, a.created_at, &a.id))
    });
    let incurred = |e: &Expense| {
        let base = match range {
            Some((s, t)) => e.amount_in(s, t),
            None => e.amount,
        };
        match &q.sku {
            Some(s) => base * e.share_of(s),
            None => base,
        }
    };
    let mut total = Decimal::ZERO;
    let mut by_type: BTreeMap<&str, Decimal> = [
        ("fixed", Decimal::ZERO),
        ("recurring", Decimal::ZERO),
        ("one-time", Decimal::ZERO),
    ]
    .into();
    let mut by_category: BTreeMap<String, Decimal> = BTreeMap::new();
    for e in &all {
        let a = incurred(e);
        total += a;
        *by_type.entry(e.kind.as_str()).or_default() += a;
        *by_category.entry(e.category.clone()).or_default() += a;
    }
    let count = all.len();
    let account = ctx.tenant().as_str().to_string();
    let rows: Vec<Value> = all
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|e| {
            let mut j = expense_json(e, &account);
            j["amountInPeriod"] = json::money(incurred(e));
            j
        })
        .collect();
    let summary = json!({
        "totalAmount": json::money(total),
        "byType": by_type.iter().map(|(k, v)| (k.to_string(), json::money(*v))).collect::<Map<_, _>>(),
        "byCategory": by_category.iter().map(|(k, v)| (k.clone(), json::money(*v))).collect::<Map<_, _>>(),
        "count": count,
    });
    Ok((json!(rows), count, summary, page, limit))
}

/// `GET /api/profit/expenses`: `{success, data, summary, totalRecords, page, limit}`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    let (rows, count, summary, page, limit) = listing(&state, &auth, &q).await?;
    Ok(Json(json!({"success": true, "data": rows, "summary": summary, "totalRecords": count, "page": page, "limit": limit})).into_response())
}

/// `GET /api/expenses`: `{success, data, total, page, limit}`.
pub async fn list_plain(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    let (rows, count, summary, page, limit) = listing(&state, &auth, &q).await?;
    Ok(Json(json!({"success": true, "data": rows, "summary": summary, "total": count, "page": page, "limit": limit})).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpenseBody {
    account_id: Option<String>,
    marketplace_id: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<String>,
    recurrence: Option<Value>,
    category: Option<String>,
    amount: Option<Value>,
    currency: Option<String>,
    allocated_products: Option<Value>,
    description: Option<Value>,
    incurred_at: Option<String>,
    ends_at: Option<Value>,
}

fn opt_text(v: &mut Validator, field: &str, raw: &Option<Value>) -> Option<Option<String>> {
    match raw {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => {
            v.push(field, "must be text");
            None
        }
    }
}

fn allocations(v: &mut Validator, raw: &Option<Value>) -> Option<Vec<Allocation>> {
    match raw {
        None => None,
        Some(Value::Null) => Some(vec![]),
        Some(Value::Array(items)) => {
            let mut out = vec![];
            for (i, it) in items.iter().enumerate() {
                let sku = it
                    .get("sku")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let pct = json::decimal(
                    v,
                    &format!("allocatedProducts.{i}.percentage"),
                    it.get("percentage"),
                );
                if it.get("percentage").is_none() {
                    v.push(&format!("allocatedProducts.{i}.percentage"), "is required");
                }
                out.push(Allocation {
                    sku,
                    percentage: pct.unwrap_or_default(),
                });
            }
            Some(out)
        }
        Some(Value::String(s)) => match parse_allocations(s) {
            Ok(a) => Some(a),
            Err(_) => {
                v.push(
                    "allocatedProducts",
                    "must be a list of {sku, percentage} or SKU:percentage pairs",
                );
                None
            }
        },
        Some(_) => {
            v.push("allocatedProducts", "must be a list of {sku, percentage}");
            None
        }
    }
}

/// Applies a body to an expense (all fields for a new one, the given ones for a change).
fn apply(v: &mut Validator, e: &mut Expense, b: &ExpenseBody, creating: bool) {
    if let Some(k) = &b.kind {
        match ExpenseType::parse(k) {
            Some(k) => e.kind = k,
            None => v.push("type", "must be one-time, recurring or fixed"),
        }
    } else if creating {
        v.push("type", "is required");
    }
    match &b.recurrence {
        None => {}
        Some(Value::Null) => e.recurrence = None,
        Some(Value::String(r)) => match Recurrence::parse(r) {
            Some(r) => e.recurrence = Some(r),
            None => v.push("recurrence", "must be weekly, monthly or yearly"),
        },
        Some(_) => v.push("recurrence", "must be weekly, monthly or yearly"),
    }
    if let Some(c) = &b.category {
        e.category = c.clone();
    } else if creating {
        v.push("category", "is required");
    }
    if b.amount.is_some() {
        if let Some(a) = json::decimal(v, "amount", b.amount.as_ref()) {
            e.amount = a;
        }
    } else if creating {
        v.push("amount", "is required");
    }
    if let Some(c) = &b.currency {
        e.currency = c.clone();
    }
    if let Some(m) = opt_text(v, "marketplaceId", &b.marketplace_id) {
        e.marketplace_id = m;
    }
    if let Some(d) = opt_text(v, "description", &b.description) {
        e.description = d;
    }
    if let Some(a) = allocations(v, &b.allocated_products) {
        e.allocated_products = a;
    }
    match b
        .incurred_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => match parse_day("incurredAt", raw) {
            Ok(d) => e.incurred_at = d,
            Err(_) => v.push("incurredAt", "must be a date (YYYY-MM-DD)"),
        },
        None if creating => v.push("incurredAt", "is required"),
        None => {}
    }
    match &b.ends_at {
        None => {}
        Some(Value::Null) => e.ends_at = None,
        Some(Value::String(s)) if s.trim().is_empty() => e.ends_at = None,
        Some(Value::String(s)) => match parse_day("endsAt", s) {
            Ok(d) => e.ends_at = Some(d),
            Err(_) => v.push("endsAt", "must be a date (YYYY-MM-DD)"),
        },
        Some(_) => v.push("endsAt", "must be a date (YYYY-MM-DD)"),
    }
    x::validate(v, e);
}

fn blank_expense(state: &AppState) -> Expense {
    let now = state.clock.now();
    Expense {
        id: uuid::Uuid::new_v4().to_string(),
        kind: ExpenseType::OneTime,
        recurrence: None,
        category: String::new(),
        amount: Decimal::ZERO,
        currency: "USD".into(),
        marketplace_id: None,
        allocated_products: vec![],
        description: None,
        incurred_at: now.date_naive(),
        ends_at: None,
        created_at: now,
        updated_at: now,
    }
}

async fn create_expense(state: &AppState, auth: &AuthUser, b: ExpenseBody) -> Result<Value> {
    let ctx = context(state, auth, b.account_id.as_deref(), WRITE).await?;
    let mut e = blank_expense(state);
    if b.currency.is_none() {
        e.currency =
            shared::profit::settings::reporting_currency(state.store.as_ref(), ctx.tenant())
                .await?;
    }
    let mut v = Validator::new();
    apply(&mut v, &mut e, &b, true);
    v.finish()?;
    store::create(state.store.as_ref(), ctx.tenant(), &e).await?;
    Ok(expense_json(&e, ctx.tenant().as_str()))
}

/// `POST /api/profit/expenses`: 201 `{success, data}`.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<ExpenseBody>,
) -> Result<Response> {
    Ok(created(create_expense(&state, &auth, b).await?))
}

pub async fn create_plain(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<ExpenseBody>,
) -> Result<Response> {
    Ok(created(create_expense(&state, &auth, b).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountQuery {
    account_id: Option<String>,
}

async fn update_expense(
    state: &AppState,
    auth: &AuthUser,
    id: &str,
    q: AccountQuery,
    b: ExpenseBody,
) -> Result<Value> {
    let requested = b.account_id.clone().or(q.account_id);
    let ctx = context(state, auth, requested.as_deref(), WRITE).await?;
    let now = state.clock.now();
    let e = store::edit(state.store.as_ref(), ctx.tenant(), id, |e: &mut Expense| {
        let mut v = Validator::new();
        apply(&mut v, e, &b, false);
        v.finish()?;
        e.updated_at = now;
        Ok(())
    })
    .await?;
    Ok(expense_json(&e, ctx.tenant().as_str()))
}

/// `PATCH /api/profit/expenses/{id}`.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
    JsonBody(b): JsonBody<ExpenseBody>,
) -> Result<Response> {
    Ok(ok(update_expense(&state, &auth, &id, q, b).await?))
}

/// `PUT|PATCH /api/expenses/{id}`.
pub async fn update_plain(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
    JsonBody(b): JsonBody<ExpenseBody>,
) -> Result<Response> {
    Ok(ok(update_expense(&state, &auth, &id, q, b).await?))
}

async fn one(state: &AppState, auth: &AuthUser, id: &str, q: AccountQuery) -> Result<Value> {
    let ctx = context(state, auth, q.account_id.as_deref(), READ).await?;
    let e: Expense = store::get(state.store.as_ref(), ctx.tenant(), id).await?;
    Ok(expense_json(&e, ctx.tenant().as_str()))
}

pub async fn get_one(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    Ok(ok(one(&state, &auth, &id, q).await?))
}

pub async fn get_plain(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    Ok(ok(one(&state, &auth, &id, q).await?))
}

async fn delete_expense(
    state: &AppState,
    auth: &AuthUser,
    id: &str,
    q: AccountQuery,
) -> Result<Response> {
    let ctx = context(state, auth, q.account_id.as_deref(), WRITE).await?;
    store::delete::<Expense>(state.store.as_ref(), ctx.tenant(), id).await?;
    Ok(Json(json!({"success": true, "message": "Expense deleted successfully"})).into_response())
}

/// `DELETE /api/profit/expenses/{id}`: `{success, message}`.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    delete_expense(&state, &auth, &id, q).await
}

pub async fn remove_plain(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    delete_expense(&state, &auth, &id, q).await
}

/// The largest CSV accepted, and its most rows.
const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;
const MAX_ROWS: usize = 5_000;

/// `POST /api/profit/expenses/bulk` (multipart: `file`, `accountId`): imports a CSV with a
/// header row (`type, category, amount, currency, description, incurredAt` or `date`,
/// `marketplaceId`, `recurrence`, `endsAt`, `allocatedProducts` as JSON or `SKU:pct,…`; names
/// in any case). All or nothing: any bad row answers 400 naming each row (`rows.<n>.<field>`,
/// n counting data rows from 1) and nothing is stored. Each row's id comes from its content,
/// so importing the same file again adds nothing (`skipped`).
pub async fn bulk(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
    mut form: Multipart,
) -> Result<Response> {
    let mut account = q.account_id.clone();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| Error::bad_request("The upload is not valid multipart form data"))?
    {
        match field.name().unwrap_or_default() {
            "file" => {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| Error::bad_request("The file could not be read"))?;
                if bytes.len() > MAX_CSV_BYTES {
                    return Err(Error::PayloadTooLarge(format!(
                        "The file is over {} MB",
                        MAX_CSV_BYTES / 1024 / 1024
                    )));
                }
                file = Some(bytes.to_vec());
            }
            "accountId" => {
                let t = field
                    .text()
                    .await
                    .map_err(|_| Error::bad_request("accountId could not be read"))?;
                if !t.trim().is_empty() {
                    account = Some(t.trim().to_string());
                }
            }
            _ => {}
        }
    }
    let ctx = context(&state, &auth, account.as_deref(), WRITE).await?;
    let bytes = file.ok_or_else(|| Error::validation("file", "is required (a CSV file)"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::validation("file", "must be a UTF-8 CSV file"))?;
    let rows = x::csv_rows(&text);
    let Some((header, data)) = rows.split_first() else {
        return Err(Error::validation("file", "is empty"));
    };
    if data.len() > MAX_ROWS {
        return Err(Error::validation(
            "file",
            format!("holds more than {MAX_ROWS} rows"),
        ));
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase().replace([' ', '_', '-'], ""))
        .collect();
    let col = |row: &Vec<String>, keys: &[&str]| -> Option<String> {
        keys.iter()
            .find_map(|k| names.iter().position(|n| n == k))
            .and_then(|i| row.get(i))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    };
    for required in [
        &["type"][..],
        &["category"],
        &["amount"],
        &["incurredat", "date"],
    ] {
        if !required.iter().any(|k| names.iter().any(|n| n == k)) {
            return Err(Error::validation(
                "file",
                format!("the header lacks the column {}", required[0]),
            ));
        }
    }
    let reporting =
        shared::profit::settings::reporting_currency(state.store.as_ref(), ctx.tenant()).await?;
    let mut errors: Vec<FieldError> = vec![];
    let mut expenses: Vec<Expense> = vec![];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, row) in data.iter().enumerate() {
        let n = i + 1;
        let b = ExpenseBody {
            account_id: None,
            kind: col(row, &["type"]),
            category: col(row, &["category"]),
            amount: col(row, &["amount"]).map(Value::String),
            currency: col(row, &["currency"]).or_else(|| Some(reporting.clone())),
            description: col(row, &["description"]).map(Value::String),
            incurred_at: col(row, &["incurredat", "date"]),
            marketplace_id: col(row, &["marketplaceid", "marketplace"]).map(Value::String),
            recurrence: col(row, &["recurrence", "frequency"]).map(Value::String),
            ends_at: col(row, &["endsat", "enddate"]).map(Value::String),
            allocated_products: col(row, &["allocatedproducts", "allocation"]).map(Value::String),
        };
        let mut e = blank_expense(&state);
        let mut v = Validator::new();
        apply(&mut v, &mut e, &b, true);
        if let Err(Error::Validation { details, .. }) = v.finish() {
            errors.extend(details.into_iter().map(|d| FieldError {
                field: format!("rows.{n}.{}", d.field),
                message: d.message,
            }));
            continue;
        }
        let content = row.join("\u{1f}");
        let k = seen.entry(content.clone()).or_default();
        *k += 1;
        let digest = Sha256::digest(format!("{}|{content}|{k}", ctx.tenant().as_str()).as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        e.id = uuid::Builder::from_random_bytes(id).into_uuid().to_string();
        expenses.push(e);
    }
    if !errors.is_empty() {
        let message = format!(
            "{} row(s) of the file are invalid; nothing was imported",
            errors
                .iter()
                .map(|e| e.field.split('.').nth(1).unwrap_or_default())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
        return Err(Error::Validation {
            message,
            details: errors,
        });
    }
    let (mut imported, mut skipped) = (0, 0);
    for e in &expenses {
        match store::create(state.store.as_ref(), ctx.tenant(), e).await {
            Ok(()) => imported += 1,
            Err(Error::Conflict(_)) => skipped += 1,
            Err(other) => return Err(other),
        }
    }
    Ok(created(
        json!({"created": imported, "skipped": skipped, "failed": 0, "errors": []}),
    ))
}
