//! `GET /api/profit/payouts?amazonAccountId=` and `/payouts/{settlementId}`: per settlement,
//! Amazon's payout beside the sum of our ledger lines and the difference (0.00 when every line
//! is in), and the lines behind it with their Amazon ids (`shared::profit::payouts`).

use crate::json::ok;
use crate::{context, READ};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use shared::connections::Connections;
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, QueryParams};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutQuery {
    account_id: Option<String>,
    amazon_account_id: Option<String>,
    marketplace_id: Option<String>,
}

/// `{data: [{settlementId, marketplaceId, currency, start, end, closed, amazonTotal, ourTotal,
/// difference, lines}]}`, newest first; `lines` counts the ledger lines.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<PayoutQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let s = state.store.as_ref();
    let markets: Option<Vec<String>> = match q.amazon_account_id.as_deref() {
        Some(a) => {
            let not_found = || Error::NotFound("Amazon account not found".into());
            let id = AmazonAccountId::parse(a).map_err(|_| not_found())?;
            let conn = Connections::new(s, state.secrets.as_ref(), &state.config.secret_prefix)
                .find(ctx.tenant(), &id)
                .await?
                .ok_or_else(not_found)?;
            Some(conn.marketplace_ids)
        }
        None => None,
    };
    let mut all = shared::profit::payouts::list(s, ctx.tenant()).await?;
    all.retain(|p| {
        markets
            .as_ref()
            .is_none_or(|m| m.contains(&p.marketplace_id))
            && q.marketplace_id
                .as_ref()
                .is_none_or(|m| m == &p.marketplace_id)
    });
    Ok(ok(json!(all)))
}

/// One settlement with every line behind our total; 404 when we know nothing of it.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<PayoutQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref(), READ).await?;
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let not_found = || Error::NotFound("Settlement not found".into());
    if !valid {
        return Err(not_found());
    }
    let p = shared::profit::payouts::lines(state.store.as_ref(), ctx.tenant(), &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(ok(json!(p)))
}
