//! "Connect Amazon Ads": Login with Amazon's consent for the Ads API (scope
//! `advertising::campaign_management`), which is separate from the SP-API consent a seller
//! gave when connecting Amazon.
//!
//! 1. `GET /api/ppc/ads/authorize?amazonAccountId=&redirectUri=` (bearer, `accounts.write`)
//!    stores a single-use state bound to the caller, their tenant, the connection and the exact
//!    redirect URI (`shared::connections::consent`, as "Connect Amazon" does) and answers the
//!    consent URL. `redirectUri` is a frontend page (checked against the frontend's origins);
//!    without one Amazon returns to `ADS_RETURN_URL` (this API's callback).
//! 2. `GET /api/ppc/ads/callback?code=&state=` (the state authenticates it; no bearer) takes
//!    the state once, exchanges the code, checks that the advertiser has a profile of the
//!    connection's seller in its region, stores the Ads refresh token in the connection's own
//!    Ads secret and starts the Ads datasets (a 95-day backfill). A refused consent, a bad or
//!    used state and a refused code answer 4xx and store nothing.
//! 3. `GET /api/ppc/ads/status` says whether Ads can be connected and which connections have.

use crate::{context, some, Ads};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Duration;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use shared::amazon::{AmazonError, Context as CallContext};
use shared::connections::consent::{self, Consents, Redirects, StateError};
use shared::connections::{AmazonAccount, Connections};
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::identity::tenancy::Context;
use shared::ports::store::rfc3339;
use shared::sync::ads::{self, AdsAccess};
use std::sync::Arc;

/// A non-2xx answer the frontend can show: `{success:false, error, message, code}`.
fn failure(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    (
        status,
        Json(json!({"success": false, "error": message, "message": message, "code": code})),
    )
        .into_response()
}

fn not_configured() -> Response {
    failure(
        StatusCode::SERVICE_UNAVAILABLE,
        "ads_not_configured",
        "Connecting Amazon Ads is not configured on this server (adsClientId and adsClientSecret are not in the app secret)",
    )
}

const RETRY: &str =
    "Nothing was saved. Start \"Connect Amazon Ads\" again: each consent can be used only once.";

fn connections(state: &AppState) -> Connections<'_> {
    Connections::new(
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusQuery {
    account_id: Option<String>,
}

/// `GET /api/ppc/ads/status`: `{adsEnabled, connections[]{amazonAccountId, marketplace,
/// region, adsConnected}}`.
pub async fn status(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    QueryParams(q): QueryParams<StatusQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &q.account_id, "ppc.read").await?;
    let mut list = vec![];
    for a in connections(&state).all(ctx.tenant()).await? {
        let connected = match &ads.0 {
            Some(access) => access
                .connected(&a)
                .await
                .map_err(|e| Error::Unavailable(e.to_string()))?,
            None => false,
        };
        list.push(json!({
            "amazonAccountId": a.id,
            "marketplace": a.marketplace,
            "region": a.region,
            "adsConnected": connected,
        }));
    }
    Ok(crate::ok(json!({
        "adsEnabled": ads.0.is_some(),
        "connections": list,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeQuery {
    account_id: Option<String>,
    amazon_account_id: Option<String>,
    redirect_uri: Option<String>,
}

/// The connection the request names, or the tenant's only one.
async fn named_connection(
    state: &AppState,
    ctx: &Context,
    raw: Option<String>,
    v: &mut Validator,
) -> Result<Option<AmazonAccount>> {
    let all = connections(state).all(ctx.tenant()).await?;
    match raw {
        Some(raw) => {
            let not_found = || Error::NotFound("Amazon account not found".into());
            let id = AmazonAccountId::parse(&raw).map_err(|_| not_found())?;
            Ok(Some(
                all.into_iter().find(|a| a.id == id).ok_or_else(not_found)?,
            ))
        }
        None if all.len() == 1 => Ok(all.into_iter().next()),
        None if all.is_empty() => Err(Error::Conflict(
            "Connect Amazon first: Ads access is given for a connected seller account".into(),
        )),
        None => {
            v.push(
                "amazonAccountId",
                "is required: the tenant has several Amazon accounts",
            );
            Ok(None)
        }
    }
}

/// `GET /api/ppc/ads/authorize?amazonAccountId=&redirectUri=`: `{authorizationUrl,
/// amazonAccountId, expiresAt}`.
pub async fn authorize(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AuthorizeQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &q.account_id, "accounts.write").await?;
    let mut v = Validator::new();
    let account = named_connection(&state, &ctx, some(&q.amazon_account_id), &mut v).await?;
    let redirect = some(&q.redirect_uri);
    if let Some(r) = &redirect {
        let allowed = std::iter::once(&state.config.frontend_url).chain(&state.config.cors_origins);
        consent::check_redirect(allowed, "redirectUri", r, &mut v);
    }
    v.finish()?;
    let account = account.expect("validated");
    let Some(access) = ads.0.as_ref() else {
        return Ok(not_configured());
    };
    let Some(redirect) = redirect.or_else(|| access.return_url().map(str::to_string)) else {
        return Err(Error::validation(
            "redirectUri",
            "is required (no ADS_RETURN_URL is configured): the frontend page Amazon returns to",
        ));
    };
    let now = state.clock.now();
    let token = Consents::new(state.store.as_ref())
        .create_ads(
            &auth.user.id,
            ctx.tenant(),
            (&account.region, &account.marketplace),
            account.id.as_str(),
            Redirects {
                page: &redirect,
                amazon: &redirect,
            },
            now,
        )
        .await?;
    tracing::info!(tenant = %ctx.tenant(), connection = %account.id, "amazon ads consent started");
    Ok(crate::ok(json!({
        "authorizationUrl": access.consent_url(&account, &token, &redirect),
        "amazonAccountId": account.id,
        "scope": ads::ADS_SCOPE,
        "expiresAt": rfc3339(now + consent::STATE_TTL),
    })))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /api/ppc/ads/callback?code=&state=` (or `error=&state=`): authenticated by the state
/// alone.
pub async fn callback(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    QueryParams(q): QueryParams<CallbackQuery>,
) -> Result<Response> {
    let now = state.clock.now();
    let consents = Consents::new(state.store.as_ref());
    if let Some(error) = q.error.as_deref() {
        // The consent is over either way: its state must not be usable afterwards.
        if let Some(s) = q.state.as_deref() {
            let _ = consents.consume_ads(s, now).await?;
        }
        let (code, message) = if error == "access_denied" {
            (
                "access_denied",
                "Amazon Ads authorization was cancelled or denied; nothing was connected"
                    .to_string(),
            )
        } else {
            (
                "authorization_failed",
                format!(
                    "Amazon Ads authorization failed ({error}{}); nothing was connected",
                    q.error_description
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            )
        };
        return Ok(failure(StatusCode::BAD_REQUEST, code, message));
    }
    let (Some(token), Some(code)) = (some(&q.state), some(&q.code)) else {
        return Ok(failure(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "The authorization response is incomplete: state and code are required",
        ));
    };
    if q.scope
        .as_deref()
        .is_some_and(|s| !s.split_whitespace().any(|s| s == ads::ADS_SCOPE))
    {
        let _ = consents.consume_ads(&token, now).await?;
        return Ok(failure(
            StatusCode::BAD_REQUEST,
            "scope_refused",
            format!("Amazon did not grant {}. {RETRY}", ads::ADS_SCOPE),
        ));
    }
    let Some(access) = ads.0.clone() else {
        return Ok(not_configured());
    };
    let consumed = match consents.consume_ads(&token, now).await? {
        Ok(c) => c,
        Err(e) => {
            let code = match e {
                StateError::Expired => "state_expired",
                StateError::Unknown => "state_invalid",
                StateError::Orphaned => "state_orphaned",
            };
            return Ok(failure(StatusCode::BAD_REQUEST, code, e.to_string()));
        }
    };
    let connection = consumed
        .consent
        .ads_connection
        .as_deref()
        .and_then(|c| AmazonAccountId::parse(c).ok());
    let account = match connection {
        Some(id) => connections(&state).find(&consumed.tenant, &id).await?,
        None => None,
    };
    let Some(account) = account.filter(|a| a.is_active) else {
        return Ok(failure(
            StatusCode::CONFLICT,
            "connection_gone",
            format!("The Amazon account this Ads consent was for is no longer connected. {RETRY}"),
        ));
    };
    let run = tokio::time::timeout(
        std::time::Duration::from_secs(25),
        connect(
            &state,
            &access,
            &account,
            &code,
            &consumed.consent.amazon_redirect_uri,
        ),
    );
    let outcome = run.await.unwrap_or_else(|_| {
        Err(Box::new(failure(
            StatusCode::GATEWAY_TIMEOUT,
            "amazon_timeout",
            format!("Amazon did not answer in time. {RETRY}"),
        )))
    });
    match outcome {
        Ok(profiles) => {
            tracing::info!(tenant = %consumed.tenant, connection = %account.id, profiles = profiles.len(), "amazon ads connected");
            Ok(Json(json!({
                "success": true,
                "message": "Amazon Ads connected",
                "data": {
                    "amazonAccountId": account.id,
                    "profiles": profiles,
                    "syncStarted": ["ads-entities", "ads-reports"],
                },
            }))
            .into_response())
        }
        Err(r) => Ok(*r),
    }
}

/// An Amazon failure during the callback, as an answer the user can act on.
fn amazon_failed(step: &str, e: &AmazonError) -> Box<Response> {
    tracing::warn!(step, error = %e, "amazon ads connect failed");
    let (status, code, what) = match e {
        AmazonError::NeedsReauthorization(_) => (
            StatusCode::BAD_REQUEST,
            "authorization_code_refused",
            "Amazon refused the authorization code (it expired or was already used)".to_string(),
        ),
        AmazonError::Configuration(_) => (
            StatusCode::BAD_GATEWAY,
            "amazon_app_rejected",
            "Amazon rejected this application's Ads credentials".to_string(),
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "amazon_unavailable",
            format!("Amazon did not answer properly while {step}"),
        ),
    };
    Box::new(failure(status, code, format!("{what}. {RETRY}")))
}

/// The callback's work after its state was taken: the code exchanged, the advertiser's
/// profiles of the seller read with the new token (none: the consent was given for another
/// Amazon account, and nothing is stored), the token stored and the Ads datasets started.
async fn connect(
    state: &AppState,
    access: &Arc<AdsAccess>,
    account: &AmazonAccount,
    code: &str,
    redirect_uri: &str,
) -> std::result::Result<Vec<serde_json::Value>, Box<Response>> {
    let refresh: SecretString = access
        .exchange_code(account, code, redirect_uri)
        .await
        .map_err(|e| amazon_failed("exchanging the authorization code", &e))?;
    // The new token's calls are cached under a key of their own until it is the connection's.
    let probe = CallContext::new(
        format!("ads-consent-{}", uuid::Uuid::new_v4()),
        "",
        refresh.clone(),
        state.clock.now() + Duration::seconds(25),
    );
    let profiles: Vec<_> = access
        .api(account)
        .profiles(&probe)
        .await
        .map_err(|e| amazon_failed("reading the advertiser's profiles", &e))?
        .into_iter()
        .filter(|p| ads::of_connection(p, account))
        .collect();
    if profiles.is_empty() {
        return Err(Box::new(failure(
            StatusCode::BAD_REQUEST,
            "ads_account_mismatch",
            format!(
                "The Amazon Ads account that consented has no advertising profile of seller {} in region {}. {RETRY}",
                account.seller_id, account.region
            ),
        )));
    }
    access
        .connect(account, &refresh)
        .await
        .map_err(|e| amazon_failed("storing the Ads consent", &e))?;
    ads::start(
        state.store.as_ref(),
        &account.tenant,
        account.id.as_str(),
        state.clock.now(),
    )
    .await
    .map_err(|e| Box::new(Error::from(e).into_response()))?;
    Ok(profiles
        .iter()
        .map(|p| {
            json!({
                "profileId": p.profile_id.to_string(),
                "countryCode": p.country_code,
                "marketplaceId": p.account_info.marketplace_string_id,
            })
        })
        .collect())
}
