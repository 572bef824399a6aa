//! `GET /api/profit/settings` and `PUT /api/profit/settings`: the account's reporting
//! currency (`{data: {reportingCurrency, latestRateDay}}`). Every figure asked for without
//! `currency=native` is converted to it at the ECB rate of its day (the native amount is
//! kept); `latestRateDay` is the newest day with a loaded rate (none: nothing loaded yet, and
//! a converted figure answers 409 naming the day it lacks).

use crate::json::ok;
use crate::{context, READ, WRITE};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::profit::{rates, settings};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsQuery {
    account_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsBody {
    account_id: Option<String>,
    reporting_currency: Option<String>,
}

async fn body(state: &AppState, tenant: &shared::keys::Tenant) -> Result<Response> {
    let s = state.store.as_ref();
    Ok(ok(json!({
        "reportingCurrency": settings::reporting_currency(s, tenant).await?,
        "latestRateDay": rates::latest_day(s).await?,
    })))
}

pub async fn get_settings(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<SettingsQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    body(&state, ctx.tenant()).await
}

pub async fn put_settings(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<SettingsBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), WRITE).await?;
    let code = b
        .reporting_currency
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| shared::marketplaces::CURRENCIES.iter().any(|x| x.code == c))
        .ok_or_else(|| {
            Error::validation("reportingCurrency", "must be a marketplace currency code")
        })?;
    settings::set_reporting_currency(state.store.as_ref(), ctx.tenant(), &code).await?;
    body(&state, ctx.tenant()).await
}
