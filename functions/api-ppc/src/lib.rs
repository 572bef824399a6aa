//! The PPC endpoint group (`/api/ppc*`): Sponsored Products metrics and profit from the
//! synced Ads data, bid optimisation (status, rules, history, manual bids) and bulk actions
//! (bid and status changes, applying recommendations: preview, then apply through the Ads
//! API with per-item results, history and revert). Every call is scoped to the caller's
//! tenant, from the verified token and membership (`accountId` picks one of the caller's
//! accounts); reads need `ppc.read`, changes `ppc.write`.
//!
//! Envelopes as the frontend reads them: `{success: true, data: X}`.

mod actions;
mod consent;
mod figures;

use axum::http::Method;
use axum::routing::{get, patch, post};
use axum::{Extension, Router};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use shared::connections::Connections;
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, Endpoint};
use shared::identity::tenancy::{self, Context};
use shared::ppc::metrics::Filter;
use shared::sync::ads::AdsAccess;
use std::sync::Arc;

/// The Ads application applying changes; `None` when it is not configured.
#[derive(Clone, Default)]
pub struct Ads(pub Option<Arc<AdsAccess>>);

/// Every route of the group, with the shared layers (no Ads application: changes answer 503).
pub fn router(state: AppState) -> Router {
    router_with(state, None)
}

pub fn router_with(state: AppState, ads: Option<Arc<AdsAccess>>) -> Router {
    shared::http::finish(routes_with(ads), state)
}

/// The group's routes without the shared layers, for merging (the local runner).
pub fn routes() -> Router<AppState> {
    routes_with(None)
}

pub fn routes_with(ads: Option<Arc<AdsAccess>>) -> Router<AppState> {
    shared::http::route_all(endpoints()).layer(Extension(Ads(ads)))
}

/// Every endpoint of the group. Literal segments before parameters.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        (M::GET, "/api/ppc", get(figures::dashboard)),
        (M::GET, "/api/ppc/ads/status", get(consent::status)),
        (M::GET, "/api/ppc/ads/authorize", get(consent::authorize)),
        (M::GET, "/api/ppc/ads/callback", get(consent::callback)),
        (M::GET, "/api/ppc/campaigns", get(figures::campaign_list)),
        (M::GET, "/api/ppc/campaigns/{id}", get(figures::campaign)),
        (
            M::PATCH,
            "/api/ppc/campaigns/{id}",
            patch(actions::update_campaign),
        ),
        (M::GET, "/api/ppc/performance", get(figures::performance)),
        (M::GET, "/api/ppc/ad-groups", get(figures::ad_group_list)),
        (M::GET, "/api/ppc/keywords", get(figures::keyword_list)),
        (M::GET, "/api/ppc/metrics", get(figures::metrics)),
        (
            M::GET,
            "/api/ppc/metrics/campaigns",
            get(figures::metrics_campaigns),
        ),
        (
            M::GET,
            "/api/ppc/metrics/ad-groups",
            get(figures::metrics_ad_groups),
        ),
        (
            M::GET,
            "/api/ppc/metrics/keywords",
            get(figures::metrics_keywords),
        ),
        (M::GET, "/api/ppc/optimization", get(actions::status)),
        (M::POST, "/api/ppc/optimization/run", post(actions::run)),
        (
            M::GET,
            "/api/ppc/optimization/history",
            get(actions::history),
        ),
        (
            M::PATCH,
            "/api/ppc/optimization/{keyword_id}",
            patch(actions::manual_bid),
        ),
        (M::POST, "/api/ppc/bulk/bid-update", post(actions::bulk_bid)),
        (
            M::POST,
            "/api/ppc/bulk/status-change",
            post(actions::bulk_status),
        ),
        (
            M::POST,
            "/api/ppc/bulk/apply-recommendations",
            post(actions::apply_recommendations),
        ),
        (M::GET, "/api/ppc/bulk/history", get(actions::bulk_history)),
        (M::POST, "/api/ppc/bulk/revert", post(actions::revert)),
        (M::GET, "/api/ppc/profit", get(figures::profit)),
        (
            M::GET,
            "/api/ppc/profit/campaigns",
            get(figures::profit_campaigns),
        ),
        (
            M::GET,
            "/api/ppc/profit/ad-groups",
            get(figures::profit_ad_groups),
        ),
        (
            M::GET,
            "/api/ppc/profit/keywords",
            get(figures::profit_keywords),
        ),
    ]
}

/// The filters the PPC pages send (query or body); empty values count as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Params {
    account_id: Option<String>,
    amazon_account_id: Option<String>,
    marketplace_id: Option<String>,
    sku: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    period: Option<String>,
    campaign_id: Option<String>,
    ad_group_id: Option<String>,
    keyword: Option<String>,
    keyword_id: Option<String>,
    /// Page of a list (by spend, largest first): at most `limit` items from `offset`.
    limit: Option<String>,
    offset: Option<String>,
}

/// Items of a list page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 1_000;
/// The largest page.
pub const MAX_PAGE: usize = 10_000;

/// The page of `list` the request asks (`limit`, default [`DEFAULT_PAGE`], at most
/// [`MAX_PAGE`]; `offset`, default 0), and the list's length.
pub(crate) fn paged<'a, T>(p: &Params, list: &'a [T]) -> Result<(&'a [T], usize)> {
    let number = |v: &Option<String>, field: &str, default: usize| -> Result<usize> {
        some(v)
            .map(|s| {
                s.parse::<usize>()
                    .map_err(|_| Error::validation(field, "must be a whole number from 0"))
            })
            .transpose()
            .map(|n| n.unwrap_or(default))
    };
    let limit = number(&p.limit, "limit", DEFAULT_PAGE)?;
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::validation(
            "limit",
            format!("must be from 1 to {MAX_PAGE}"),
        ));
    }
    let offset = number(&p.offset, "offset", 0)?.min(list.len());
    let end = offset.saturating_add(limit).min(list.len());
    Ok((&list[offset..end], list.len()))
}

/// `{success: true, data}` of a list page, the whole list's length in `X-Total-Count`.
pub(crate) fn ok_list(data: Value, total: usize) -> axum::response::Response {
    let mut r = ok(data);
    r.headers_mut()
        .insert("x-total-count", axum::http::HeaderValue::from(total as u64));
    r
}

pub(crate) fn some(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A decimal from a JSON number or text (`null`/absent: `None`).
pub(crate) fn decimal(v: &Option<Value>, field: &str) -> Result<Option<Decimal>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map(Some)
            .map_err(|_| Error::validation(field, "must be a number")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| Error::validation(field, "must be a number")),
        Some(_) => Err(Error::validation(field, "must be a number")),
    }
}

fn date(v: &Option<String>, field: &str) -> Result<Option<NaiveDate>> {
    some(v)
        .map(|s| {
            NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d")
                .map_err(|_| Error::validation(field, "must be YYYY-MM-DD"))
        })
        .transpose()
}

/// The caller's account the request names (`accountId`), with `permission`.
pub(crate) async fn context(
    state: &AppState,
    auth: &AuthUser,
    account_id: &Option<String>,
    permission: &str,
) -> Result<Context> {
    let ctx = tenancy::resolve(
        state.store.as_ref(),
        &auth.user,
        some(account_id).as_deref(),
    )
    .await?;
    ctx.require(permission)?;
    Ok(ctx)
}

/// The metrics filter of the request, its connection checked to be the tenant's (404 for
/// another tenant's, as for a missing one). Dates default to the last 30 days.
pub(crate) async fn filter(state: &AppState, ctx: &Context, p: &Params) -> Result<Filter> {
    let connections = Connections::new(
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
    );
    let (connection, home) = match some(&p.amazon_account_id) {
        None => {
            let first = connections
                .all(ctx.tenant())
                .await?
                .into_iter()
                .min_by_key(|a| a.created_at);
            (None, first.map(|a| a.marketplace))
        }
        Some(raw) => {
            let not_found = || Error::NotFound("Amazon account not found".into());
            let id = AmazonAccountId::parse(&raw).map_err(|_| not_found())?;
            let a = connections
                .find(ctx.tenant(), &id)
                .await?
                .ok_or_else(not_found)?;
            (Some(id.to_string()), Some(a.marketplace))
        }
    };
    let home_marketplace = home
        .and_then(|c| shared::marketplaces::by_country(&c))
        .map(|m| m.id.to_string());
    let today = state.clock.now().date_naive();
    let to = date(&p.end_date, "endDate")?.unwrap_or(today);
    let from = date(&p.start_date, "startDate")?.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(Error::validation("startDate", "must not be after endDate"));
    }
    if (to - from).num_days() > 366 * 3 {
        return Err(Error::validation(
            "startDate",
            "the range is at most 3 years",
        ));
    }
    Ok(Filter {
        connection,
        marketplace_id: some(&p.marketplace_id),
        home_marketplace,
        sku: some(&p.sku),
        campaign_id: some(&p.campaign_id),
        ad_group_id: some(&p.ad_group_id),
        from,
        to,
    })
}

/// `{success: true, data}`.
pub(crate) fn ok(data: Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::Json(serde_json::json!({"success": true, "data": data})).into_response()
}
