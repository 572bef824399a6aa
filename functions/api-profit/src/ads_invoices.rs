//! `GET /api/profit/ads-invoices?marketplaceId=` and `/ads-invoices/{transactionId}`: each
//! "Cost of Advertising" invoice Amazon posted beside the daily Sponsored Products spend of
//! the period it bills (the month before it was posted) and the difference (0.00 when it
//! bills exactly the spend we hold), newest first; the detail adds the spend per SKU and day
//! behind it (`shared::profit::ads`).

use crate::json::ok;
use crate::{context, READ};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, QueryParams};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceQuery {
    account_id: Option<String>,
    marketplace_id: Option<String>,
}

/// `{data: [{transactionId, marketplaceId, currency, postedDay, periodStart, periodEnd,
/// amount, invoiced, spend, difference, covered, spendDays}]}`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<InvoiceQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let m = match q
        .marketplace_id
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => Some(
            shared::marketplaces::by_id(m)
                .or_else(|| shared::marketplaces::by_country(m))
                .ok_or_else(|| {
                    Error::validation("marketplaceId", "must be an Amazon marketplace id")
                })?
                .id,
        ),
        None => None,
    };
    let all = shared::profit::ads::reconcile(state.store.as_ref(), ctx.tenant(), m).await?;
    Ok(ok(json!(all)))
}

/// One invoice with `days: [{sku, date, spend}]`; 404 when we hold no such invoice.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<InvoiceQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let not_found = || Error::NotFound("Advertising invoice not found".into());
    if id.is_empty() || id.len() > 128 {
        return Err(not_found());
    }
    let (r, days) = shared::profit::ads::invoice_detail(state.store.as_ref(), ctx.tenant(), &id)
        .await?
        .ok_or_else(not_found)?;
    let mut body = json!(r);
    body["days"] = json!(days
        .iter()
        .map(|(sku, d, c)| json!({"sku": sku, "date": d, "spend": c.to_string()}))
        .collect::<Vec<_>>());
    Ok(ok(body))
}
