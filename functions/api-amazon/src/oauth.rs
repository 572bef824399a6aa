//! "Connect Amazon": the Login-with-Amazon website authorization workflow.
//!
//! 1. `GET /api/amazon/oauth/authorize` (bearer) stores a single-use `state` bound to the
//!    caller, their tenant, the marketplace's region and the exact redirect URI, and answers
//!    Seller Central's consent URL.
//! 2. Amazon sends the browser back to the frontend's callback page, which calls
//!    `GET /api/amazon/oauth/callback?code=&state=` with cookies only: the state is what
//!    authenticates it. The callback takes the state (once), exchanges the code with LWA,
//!    reads the seller's marketplaces with the new refresh token, subscribes the seller's
//!    notifications, stores the connection (its refresh token in the secrets port only) and
//!    starts the backfill. The same seller connecting again replaces its token instead of
//!    making a second connection.

use crate::context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use shared::amazon::operations::{ListTransactionsParams, SearchListingsItemsParams};
use shared::amazon::{subscriptions, AmazonApp, AmazonError, Context as CallContext};
use shared::connections::consent::{origin_of, Consents, Redirects, StateError};
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::keys::Tenant;
use shared::marketplaces::{self, Marketplace, Region};
use shared::ports::store::rfc3339;
use shared::sync::{self, Dataset, Status};
use std::sync::Arc;

/// A non-2xx answer the frontend can show: `{success:false, error, message, code}`.
pub(crate) fn failure(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    (
        status,
        Json(json!({"success": false, "error": message, "message": message, "code": code})),
    )
        .into_response()
}

/// Connecting is off: no application id or LWA credentials.
pub(crate) fn not_configured() -> Response {
    failure(
        StatusCode::SERVICE_UNAVAILABLE,
        "amazon_not_configured",
        "Connecting Amazon is not configured on this server (AMAZON_APP_ID and the LWA client credentials are missing)",
    )
}

/// `GET /api/amazon/oauth/status`: whether "Connect Amazon" can be used.
pub async fn status(State(state): State<AppState>, _signed_in: AuthUser) -> Result<Response> {
    let enabled = state.amazon.is_some();
    let mut data = json!({"oauthEnabled": enabled});
    if !enabled {
        data["message"] = json!("Connecting Amazon is not configured on this server");
    }
    Ok(Json(json!({"success": true, "data": data})).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeQuery {
    redirect_uri: Option<String>,
    marketplace: Option<String>,
    /// Sent by the frontend for a seller's own LWA app; connecting uses ours.
    #[allow(dead_code)]
    client_id: Option<String>,
}

/// Checks a redirect URI: an absolute http(s) URL without credentials or fragment, on the
/// frontend's origin or one of the CORS origins.
fn check_redirect(state: &AppState, raw: &str, v: &mut Validator) {
    let allowed = std::iter::once(&state.config.frontend_url).chain(&state.config.cors_origins);
    shared::connections::consent::check_redirect(allowed, "redirectUri", raw, v);
}

/// `GET /api/amazon/oauth/authorize?redirectUri=&marketplace=`: the consent URL of the
/// marketplace's region, carrying a new single-use state.
pub async fn authorize(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AuthorizeQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.write")?;
    let mut v = Validator::new();
    let market = match q.marketplace.as_deref() {
        None => {
            v.push(
                "marketplace",
                "is required: a country code such as US, CA, UK, DE",
            );
            None
        }
        Some(m) => {
            let found = marketplaces::by_country(m).or_else(|| marketplaces::by_id(m));
            if found.is_none() {
                v.push(
                    "marketplace",
                    format!(
                        "{m:?} is not an Amazon marketplace country code such as US, CA, UK, DE"
                    ),
                );
            }
            found
        }
    };
    match q.redirect_uri.as_deref() {
        None => v.push(
            "redirectUri",
            "is required: <frontend origin>/dashboard/settings/amazon/callback",
        ),
        Some(r) => check_redirect(&state, r, &mut v),
    }
    v.finish()?;
    let (market, redirect) = (
        market.expect("validated"),
        q.redirect_uri.expect("validated"),
    );
    let Some(amazon) = state.amazon.as_ref() else {
        return Ok(not_configured());
    };
    let now = state.clock.now();
    // Amazon sends the seller to our return hop when one is configured, else straight to the
    // page the frontend named.
    let amazon_redirect = amazon.settings.return_url.as_deref().unwrap_or(&redirect);
    let token = Consents::new(state.store.as_ref())
        .create(
            &auth.user.id,
            ctx.tenant(),
            (market.region.code(), market.country_code),
            Redirects {
                page: &redirect,
                amazon: amazon_redirect,
            },
            now,
        )
        .await?;
    let url = amazon
        .settings
        .consent_url(market.region, &token, amazon_redirect)
        .ok_or_else(|| Error::Internal("consent URL without an application id".into()))?;
    tracing::info!(tenant = %ctx.tenant(), user = %auth.user.id, marketplace = market.country_code, region = market.region.code(), "amazon consent started");
    Ok(Json(json!({
        "success": true,
        "data": {
            "authorizationUrl": url,
            "marketplace": market.country_code,
            "region": market.region.code(),
            "expiresAt": rfc3339(now + shared::connections::consent::STATE_TTL),
        },
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    /// What the frontend's callback page forwards.
    code: Option<String>,
    /// What Amazon sends.
    spapi_oauth_code: Option<String>,
    #[serde(alias = "sellingPartnerId")]
    selling_partner_id: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// How a failed connect is answered.
struct Failed(Box<Response>);

impl Failed {
    fn of(r: Response) -> Self {
        Failed(Box::new(r))
    }
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::of(e.into_response())
    }
}

const RETRY: &str =
    "Nothing was saved. Start \"Connect Amazon\" again: each consent can be used only once.";

/// An Amazon failure during the callback, as a 502 the user can act on.
fn amazon_failed(step: &str, e: &AmazonError) -> Failed {
    tracing::warn!(step, error = %e, "amazon connect failed");
    let (status, code, what) = match e {
        AmazonError::NeedsReauthorization(_) => (
            StatusCode::BAD_REQUEST,
            "authorization_code_refused",
            "Amazon refused the authorization code (it expired or was already used)".to_string(),
        ),
        AmazonError::Configuration(_) => (
            StatusCode::BAD_GATEWAY,
            "amazon_app_rejected",
            "Amazon rejected this application's credentials".to_string(),
        ),
        AmazonError::Forbidden(_) => (
            StatusCode::BAD_GATEWAY,
            "amazon_access_denied",
            format!("Amazon denied access while {step}"),
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "amazon_unavailable",
            format!("Amazon did not answer properly while {step}"),
        ),
    };
    Failed::of(failure(status, code, format!("{what}. {RETRY}")))
}

/// `GET /api/amazon/oauth/callback?state=&code=|spapi_oauth_code=&selling_partner_id=`:
/// authenticated by the state alone (no bearer: the frontend's page sends cookies only).
pub async fn callback(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<CallbackQuery>,
) -> Result<Response> {
    let now = state.clock.now();
    let consents = Consents::new(state.store.as_ref());
    if let Some(error) = q.error.as_deref() {
        // The consent is over either way: its state must not be usable afterwards.
        if let Some(s) = q.state.as_deref() {
            let _ = consents.consume(s, now).await?;
        }
        let message = if error == "access_denied" {
            "Amazon authorization was cancelled or denied; nothing was connected".to_string()
        } else {
            format!(
                "Amazon authorization failed ({error}{}); nothing was connected",
                q.error_description
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        };
        return Ok(failure(StatusCode::BAD_REQUEST, error_code(error), message));
    }
    let (Some(token), Some(code)) = (
        q.state.as_deref(),
        q.code.as_deref().or(q.spapi_oauth_code.as_deref()),
    ) else {
        return Ok(failure(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "The authorization response is incomplete: state and code are required",
        ));
    };
    let Some(amazon) = state.amazon.clone() else {
        return Ok(not_configured());
    };
    let consumed = match consents.consume(token, now).await? {
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
    let request = Connect {
        state: &state,
        amazon,
        tenant: consumed.tenant,
        region: region_code(&consumed.consent.region),
        market: marketplaces::by_country(&consumed.consent.marketplace)
            .ok_or_else(|| Error::Internal("stored consent of an unknown marketplace".into()))?,
        redirect_uri: consumed.consent.amazon_redirect_uri,
        seller_hint: q.selling_partner_id.filter(|s| valid_seller_id(s)),
    };
    // Inside API Gateway's 30 s, however long Amazon takes to answer.
    let run = tokio::time::timeout(std::time::Duration::from_secs(27), request.run(code));
    let outcome = run.await.unwrap_or_else(|_| {
        tracing::warn!("amazon connect timed out");
        Err(Failed::of(failure(
            StatusCode::GATEWAY_TIMEOUT,
            "amazon_timeout",
            format!("Amazon did not answer in time. {RETRY}"),
        )))
    });
    match outcome {
        Ok(done) => Ok(Json(json!({
            "success": true,
            "message": if done.reconnected { "Amazon account reconnected" } else { "Amazon account connected" },
            "data": {
                "amazonAccountId": done.account.id,
                "sellerId": done.account.seller_id,
                "amazonSellerId": done.account.seller_id,
                "marketplace": done.account.marketplace,
                "region": done.account.region,
                "marketplaceIds": done.account.marketplace_ids,
                "reconnected": done.reconnected,
                "notifications": done.notifications,
            },
        }))
        .into_response()),
        Err(Failed(r)) => Ok(*r),
    }
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    state: Option<String>,
    spapi_oauth_code: Option<String>,
    selling_partner_id: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /api/amazon/oauth/return` (Amazon's redirect when `AMAZON_RETURN_URL` is set): a
/// browser hop, no bearer and nothing stored or taken. It forwards the seller to the
/// frontend's callback page on the origin they started from, with the parameters as that
/// page reads them (`code`, `state`, `selling_partner_id`, or `error`), where the page's call
/// to `/api/amazon/oauth/callback` finishes the connection. An unknown or expired state goes
/// to the settings page with an error instead.
pub async fn return_hop(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ReturnQuery>,
) -> Result<Response> {
    let now = state.clock.now();
    let page = state
        .amazon
        .as_ref()
        .map(|a| a.settings.frontend_oauth_page.clone())
        .unwrap_or_else(|| "/settings/amazon/callback".into());
    let pending = match q.state.as_deref() {
        Some(s) => Consents::new(state.store.as_ref()).peek(s, now).await?,
        None => None,
    };
    let location = match pending.as_ref().and_then(|p| origin_of(&p.redirect_uri)) {
        Some(origin) => {
            let mut params: Vec<(&str, &str)> = vec![("state", q.state.as_deref().unwrap_or(""))];
            match (&q.error, &q.spapi_oauth_code) {
                (Some(e), _) => {
                    params.push(("error", e));
                    if let Some(d) = &q.error_description {
                        params.push(("error_description", d));
                    }
                }
                (None, Some(code)) => params.push(("code", code)),
                (None, None) => params.push(("error", "invalid_request")),
            }
            if let Some(s) = &q.selling_partner_id {
                params.push(("selling_partner_id", s));
            }
            let query = serde_urlencoded::to_string(&params)
                .map_err(|e| Error::Internal(format!("return query: {e}")))?;
            format!("{origin}{page}?{query}")
        }
        None => {
            tracing::info!("amazon return with an unknown or expired state");
            format!(
                "{}/dashboard/settings?tab=amazon&error=state_invalid",
                state.config.frontend_url
            )
        }
    };
    Ok((
        StatusCode::FOUND,
        [
            (axum::http::header::LOCATION, location),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response())
}

fn error_code(error: &str) -> &'static str {
    match error {
        "access_denied" => "access_denied",
        _ => "authorization_failed",
    }
}

fn region_code(code: &str) -> Region {
    match code {
        "EU" => Region::Europe,
        "FE" => Region::FarEast,
        _ => Region::NorthAmerica,
    }
}

fn valid_seller_id(s: &str) -> bool {
    (1..=50).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// One callback's work after its state was taken.
struct Connect<'a> {
    state: &'a AppState,
    amazon: Arc<AmazonApp>,
    tenant: Tenant,
    region: Region,
    market: &'static Marketplace,
    redirect_uri: String,
    /// The `selling_partner_id` Amazon sent, when the frontend forwarded it.
    seller_hint: Option<String>,
}

struct Connected {
    account: AmazonAccount,
    reconnected: bool,
    /// How many notification subscriptions the seller has (0 when no queue is configured).
    notifications: usize,
}

impl Connect<'_> {
    fn connections(&self) -> Connections<'_> {
        Connections::new(
            self.state.store.as_ref(),
            self.state.secrets.as_ref(),
            &self.state.config.secret_prefix,
        )
    }

    async fn run(self, code: &str) -> std::result::Result<Connected, Failed> {
        let pacer_now = self.amazon.executor().pacer().now();
        // API Gateway gives a request 29 s.
        let deadline = pacer_now + Duration::seconds(25);
        let (_, refresh) = self
            .amazon
            .tokens
            .exchange_code(code, &self.redirect_uri)
            .await
            .map_err(|e| amazon_failed("exchanging the authorization code", &e))?;
        // Until the seller is known, its calls are keyed by a fresh id of their own.
        let provisional = AmazonAccountId::new();
        let mut call = CallContext::new(
            provisional.as_str(),
            provisional.as_str(),
            refresh.clone(),
            deadline,
        );
        let api = self.amazon.sp_api(self.region);
        let participations = api
            .sellers()
            .get_marketplace_participations(&call)
            .await
            .map_err(|e| amazon_failed("reading the seller's marketplaces", &e))?;
        let mut ids: Vec<String> = vec![];
        for p in &participations.payload {
            let known = marketplaces::by_id(&p.marketplace.id);
            if p.participation.is_participating
                && known.is_some_and(|m| m.region == self.region)
                && !ids.contains(&p.marketplace.id)
            {
                ids.push(p.marketplace.id.clone());
            }
        }
        // The marketplace the user chose leads; one the seller does not sell in gives way
        // to the first they do.
        let home = if ids.iter().any(|i| i == self.market.id) || ids.is_empty() {
            self.market
        } else {
            marketplaces::by_id(&ids[0]).expect("a known marketplace")
        };
        ids.retain(|i| i != home.id);
        ids.insert(0, home.id.to_string());
        let seller = self.seller(&call, pacer_now, home).await?;
        call.partner = seller.clone();
        let repo = self.connections();
        let existing = repo
            .all(&self.tenant)
            .await?
            .into_iter()
            .find(|a| a.seller_id == seller && a.region == self.region.code());
        if existing.is_none() {
            let taken = repo
                .all(&self.tenant)
                .await?
                .into_iter()
                .any(|a| a.marketplace == home.country_code);
            if taken {
                return Err(Failed::of(failure(
                    StatusCode::CONFLICT,
                    "marketplace_taken",
                    format!(
                        "Another Amazon seller account is already connected for {}; disconnect it first, then connect again",
                        home.country_code
                    ),
                )));
            }
        }
        let subs = self.subscribe(&call, deadline).await?;
        let now = self.state.clock.now();
        let secret = ConnectionSecret::new(refresh);
        let store = self.state.store.as_ref();
        let (account, reconnected) = match existing {
            Some(mut a) => {
                repo.set_credentials(&a, &secret).await?;
                // The old access token belongs to the old consent.
                if let Err(e) = self.amazon.tokens.invalidate(a.id.as_str()).await {
                    tracing::warn!(connection = %a.id, error = %e, "cached access token not dropped");
                }
                a.is_active = true;
                a.authorized_at = Some(now);
                a.last_token_refresh_at = Some(now);
                a.marketplace_ids = ids;
                repo.save(&mut a, now).await?;
                (a, true)
            }
            None => {
                let mut a = AmazonAccount::new(
                    &self.tenant,
                    home.country_code,
                    seller.clone(),
                    self.region.code(),
                    ids,
                    now,
                );
                a.authorized_at = Some(now);
                a.last_token_refresh_at = Some(now);
                if let Err(e) = repo.create(&a, &secret).await {
                    // The seller's subscriptions stay harmless: a later connect finds them.
                    return Err(e.into());
                }
                (a, false)
            }
        };
        if let Some(s) = &subs {
            subscriptions::remember(store, &self.tenant, &account.id, s)
                .await
                .map_err(Error::from)?;
        }
        sync::register(store, &self.tenant, account.id.as_str(), now)
            .await
            .map_err(Error::from)?;
        if reconnected {
            // Everything that waited for the seller (or was stopped) runs again now.
            for d in Dataset::ALL {
                sync::modify(store, &self.tenant, account.id.as_str(), d, |s| {
                    (s.status != Status::Running).then(|| s.due_now(now))
                })
                .await
                .map_err(Error::from)?;
            }
        }
        tracing::info!(tenant = %self.tenant, connection = %account.id, seller = %account.seller_id, region = %account.region, reconnected, "amazon account connected");
        Ok(Connected {
            notifications: subs.as_ref().map_or(0, Vec::len),
            account,
            reconnected,
        })
    }

    /// Which seller consented. The `selling_partner_id` of the redirect is only a claim (the
    /// query is the browser's to edit), so Amazon confirms it: listings are addressed by
    /// seller id and only that seller's token may read them; failing that (an app without the
    /// listings role), the seller id on the seller's own recent transactions must match. The
    /// frontend's page forwards no claim at all: then the transactions say who it is.
    async fn seller(
        &self,
        call: &CallContext,
        now: DateTime<Utc>,
        home: &Marketplace,
    ) -> std::result::Result<String, Failed> {
        let mismatch = || {
            Failed::of(failure(
                StatusCode::BAD_REQUEST,
                "seller_mismatch",
                format!("The seller account named in the authorization response is not the one that consented. {RETRY}"),
            ))
        };
        let Some(claim) = self.seller_hint.clone() else {
            return self.seller_from_transactions(call, now).await?.ok_or_else(|| {
                Failed::of(failure(
                    StatusCode::BAD_GATEWAY,
                    "seller_unknown",
                    format!("Amazon did not say which seller account was authorised (no selling_partner_id, and no recent transactions to read it from). {RETRY}"),
                ))
            });
        };
        let params = SearchListingsItemsParams {
            marketplace_ids: vec![home.id.to_string()],
            page_size: Some(1),
            ..Default::default()
        };
        match self
            .amazon
            .sp_api(self.region)
            .listings()
            .search_listings_items(call, &claim, &params)
            .await
        {
            Ok(_) => Ok(claim),
            Err(AmazonError::Forbidden(_)) => {
                match self.seller_from_transactions(call, now).await? {
                    Some(known) if known == claim => Ok(claim),
                    _ => Err(mismatch()),
                }
            }
            Err(e) => Err(amazon_failed("identifying the seller account", &e)),
        }
    }

    /// The seller id on the seller's own recent transactions, if any.
    async fn seller_from_transactions(
        &self,
        call: &CallContext,
        now: DateTime<Utc>,
    ) -> std::result::Result<Option<String>, Failed> {
        let params = ListTransactionsParams {
            posted_after: Some(now - Duration::days(179)),
            posted_before: Some(now - Duration::minutes(5)),
            ..Default::default()
        };
        let page = self
            .amazon
            .sp_api(self.region)
            .finances()
            .list_transactions(call, &params)
            .await
            .map_err(|e| amazon_failed("identifying the seller account", &e))?;
        Ok(page
            .payload
            .into_iter()
            .flat_map(|p| p.transactions)
            .find_map(|t| {
                t.selling_partner_metadata
                    .and_then(|m| m.selling_partner_id)
            })
            .filter(|s| valid_seller_id(s)))
    }

    /// The seller's notification subscriptions on our destination of the region; `None`
    /// when no notification queue is configured.
    async fn subscribe(
        &self,
        call: &CallContext,
        deadline: DateTime<Utc>,
    ) -> std::result::Result<Option<Vec<(String, String)>>, Failed> {
        let Some(arn) = self.amazon.settings.notifications_queue_arn.as_deref() else {
            tracing::warn!(
                "NOTIFICATIONS_QUEUE_ARN is not set: the seller is connected without notifications (sweeps still keep the data current)"
            );
            return Ok(None);
        };
        let destination = subscriptions::destination(
            &self.amazon,
            self.state.store.as_ref(),
            self.region,
            arn,
            deadline,
        )
        .await
        .map_err(|e| amazon_failed("setting up notifications", &e))?;
        let subs = subscriptions::subscribe(&self.amazon, self.region, call, &destination)
            .await
            .map_err(|e| amazon_failed("subscribing to notifications", &e))?;
        Ok(Some(subs))
    }
}
