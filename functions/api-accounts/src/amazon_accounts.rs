//! Connected Amazon seller accounts of a tenant (`/api/accounts/linked`, `/link`, `/{id}`).
//! Credentials go to the secrets port (one secret per connection), never to the table.
//!
//! The connections themselves live in `shared::connections`; this module keeps the routes and
//! the request and response shapes.

use crate::accounts::{parse_marketplaces, valid_seller_id};
use crate::{context, AccountQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::amazon::subscriptions;
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::users;
use shared::keys::Tenant;
use shared::marketplaces;
use shared::ports::store::{apply, rfc3339};
use shared::sync;

/// The connections repository on the request's ports.
pub fn connections(state: &AppState) -> Connections<'_> {
    Connections::new(
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
    )
}

/// The response shape of a connection.
pub fn to_json(a: &AmazonAccount) -> Json_ {
    json!({
        "id": a.id,
        "accountId": a.tenant,
        "marketplace": a.marketplace,
        "sellerId": a.seller_id,
        "amazonSellerId": a.seller_id,
        "region": a.region,
        "marketplaceIds": a.marketplace_ids,
        "isActive": a.is_active,
        "lastTokenRefreshAt": a.last_token_refresh_at.map(rfc3339),
        "createdAt": rfc3339(a.created_at),
        "updatedAt": rfc3339(a.updated_at),
    })
}

/// The connection with this id in this tenant; 404 for a malformed id, a missing one and one
/// of another tenant alike.
pub async fn find(state: &AppState, t: &Tenant, raw_id: &str) -> Result<AmazonAccount> {
    let not_found = || Error::NotFound("Amazon account not found".into());
    let id = AmazonAccountId::parse(raw_id).map_err(|_| not_found())?;
    connections(state).find(t, &id).await?.ok_or_else(not_found)
}

/// `GET /api/accounts/linked`: active first, then newest.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("accounts.read")?;
    let mut all = connections(&state).all(ctx.tenant()).await?;
    all.sort_by(|a, b| {
        b.is_active
            .cmp(&a.is_active)
            .then(b.created_at.cmp(&a.created_at))
    });
    // Connections whose jobs stopped because Amazon refused their authorisation.
    let refused: Vec<String> = sync::all(state.store.as_ref(), ctx.tenant())
        .await?
        .into_iter()
        .filter(|s| s.status == sync::Status::NeedsReauthorization)
        .map(|s| s.connection)
        .collect();
    let now = state.clock.now();
    let items: Vec<Json_> = all
        .iter()
        .map(|a| {
            let mut j = to_json(a);
            j["authorizedAt"] = json!(a.authorized_at.map(rfc3339));
            j["reauthorizeBy"] = json!(a.reauthorize_by().map(rfc3339));
            j["needsReauthorization"] =
                json!(a.consent_expired(now) || refused.iter().any(|c| c == a.id.as_str()));
            // The 30-day warning before Amazon's yearly re-consent.
            j["reauthorizeSoon"] = json!(a.consent_expires_soon(now));
            j
        })
        .collect();
    Ok(Json(items).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    account_id: Option<String>,
    marketplace: Option<String>,
    seller_id: Option<String>,
    refresh_token: Option<String>,
    lwa_client_id: Option<String>,
    lwa_client_secret: Option<String>,
    /// IAM keys of the pre-2023 signing scheme: accepted for compatibility, never stored.
    #[allow(dead_code)]
    access_key: Option<String>,
    #[allow(dead_code)]
    secret_key: Option<String>,
    marketplace_ids: Option<Vec<String>>,
}

fn valid_refresh_token(t: &str) -> bool {
    (20..=2048).contains(&t.len()) && t.chars().all(|c| c.is_ascii_graphic())
}

/// `POST /api/accounts/link`: one connection per marketplace country per account.
pub async fn link(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("accounts.write")?;
    let mut v = Validator::new();
    let market = body
        .marketplace
        .as_deref()
        .and_then(marketplaces::by_country);
    v.check(
        market.is_some(),
        "marketplace",
        "must be a supported Amazon country code such as US, CA, UK, DE",
    );
    v.check(
        body.seller_id.as_deref().is_some_and(valid_seller_id),
        "sellerId",
        "is required: 1-50 letters, digits, '_' or '-'",
    );
    v.check(
        body.refresh_token
            .as_deref()
            .is_some_and(valid_refresh_token),
        "refreshToken",
        "is required: the LWA refresh token (20-2048 printable characters)",
    );
    let extra = parse_marketplaces(
        "marketplaceIds",
        body.marketplace_ids.as_deref().unwrap_or_default(),
        &mut v,
    );
    if let Some(m) = market {
        for e in &extra {
            v.check(
                e.region == m.region,
                "marketplaceIds",
                &format!("{} is not in the {} region", e.id, m.region.code()),
            );
        }
    }
    v.finish()?;
    let market = market.expect("validated");
    let mut ids: Vec<String> = vec![market.id.to_string()];
    ids.extend(
        extra
            .iter()
            .map(|m| m.id.to_string())
            .filter(|id| id != market.id),
    );
    let account = AmazonAccount::new(
        ctx.tenant(),
        market.country_code,
        body.seller_id.expect("validated"),
        market.region.code(),
        ids,
        state.clock.now(),
    );
    let secret = ConnectionSecret {
        refresh_token: SecretString::from(body.refresh_token.unwrap_or_default()),
        lwa_client_id: body.lwa_client_id,
        lwa_client_secret: body.lwa_client_secret.map(SecretString::from),
    };
    connections(&state).create(&account, &secret).await?;
    tracing::info!(account_id = %ctx.tenant(), amazon_account_id = %account.id, marketplace = %account.marketplace, "amazon account linked");
    Ok((StatusCode::CREATED, Json(to_json(&account))).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBody {
    account_id: Option<String>,
    seller_id: Option<String>,
    refresh_token: Option<String>,
    is_active: Option<bool>,
    #[allow(dead_code)]
    access_key: Option<String>,
    #[allow(dead_code)]
    secret_key: Option<String>,
}

/// `PATCH /api/accounts/{id}`.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("accounts.write")?;
    let mut v = Validator::new();
    if let Some(s) = &body.seller_id {
        v.check(
            valid_seller_id(s),
            "sellerId",
            "must be 1-50 letters, digits, '_' or '-'",
        );
    }
    if let Some(t) = &body.refresh_token {
        v.check(
            valid_refresh_token(t),
            "refreshToken",
            "must be 20-2048 printable characters",
        );
    }
    v.finish()?;
    let repo = connections(&state);
    let mut account = find(&state, ctx.tenant(), &id).await?;
    if let Some(t) = body.refresh_token {
        repo.set_refresh_token(&account, SecretString::from(t))
            .await?;
    }
    if let Some(s) = body.seller_id {
        account.seller_id = s;
    }
    if let Some(a) = body.is_active {
        account.is_active = a;
    }
    repo.save(&mut account, state.clock.now()).await?;
    tracing::info!(account_id = %ctx.tenant(), amazon_account_id = %account.id, "amazon account updated");
    Ok(Json(to_json(&account)).into_response())
}

/// `DELETE /api/accounts/{id}` and `/api/accounts/linked/{id}`: removes the connection, its
/// credentials and the links users had to it.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("accounts.delete")?;
    let account = find(&state, ctx.tenant(), &id).await?;
    // No job runs for it any more, and Amazon stops notifying about it (best effort: a
    // subscription left behind only sends notifications nobody matches).
    sync::remove_connection(state.store.as_ref(), ctx.tenant(), account.id.as_str()).await?;
    // Amazon keeps one subscription per seller and type: while another connection of the
    // seller (another tenant's) still uses them, they stay at Amazon.
    let shared_with_others = connections(&state)
        .by_seller(&account.seller_id)
        .await?
        .iter()
        .any(|a| a.id != account.id && a.region == account.region);
    if shared_with_others {
        subscriptions::forget(state.store.as_ref(), ctx.tenant(), &account.id).await?;
        tracing::info!(amazon_account_id = %account.id, "notification subscriptions kept: another connection of the seller uses them");
    }
    if let Some(amazon) = state.amazon.as_ref().filter(|_| !shared_with_others) {
        // Within this function's few seconds, however Amazon answers (deleteSubscriptionById
        // allows a burst of 5, then one a second: ten types take five seconds).
        let deadline = amazon.executor().pacer().now() + chrono::Duration::seconds(6);
        let unsubscribe =
            subscriptions::unsubscribe(amazon, state.store.as_ref(), &account, deadline);
        match tokio::time::timeout(std::time::Duration::from_secs(7), unsubscribe).await {
            Ok(Ok(n)) => {
                tracing::info!(amazon_account_id = %account.id, deleted = n, "notification subscriptions deleted")
            }
            Ok(Err(e)) => {
                tracing::warn!(amazon_account_id = %account.id, error = %e, "notification subscriptions not deleted")
            }
            Err(_) => {
                tracing::warn!(amazon_account_id = %account.id, "notification subscriptions not deleted: Amazon did not answer in time")
            }
        }
    }
    if let Some(amazon) = &state.amazon {
        if let Err(e) = amazon.tokens.invalidate(account.id.as_str()).await {
            tracing::warn!(amazon_account_id = %account.id, error = %e, "cached access token not dropped");
        }
    }
    connections(&state)
        .remove(&account, state.clock.now())
        .await?;
    tracing::info!(account_id = %ctx.tenant(), amazon_account_id = %account.id, "amazon account deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/accounts/switch/{id}`: remembers the active seller account for the caller.
pub async fn switch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("accounts.read")?;
    let account = find(&state, ctx.tenant(), &id).await?;
    if !account.is_active {
        return Err(Error::NotFound(
            "Amazon account not found or inactive".into(),
        ));
    }
    let mut m = ctx.membership.clone();
    m.active_amazon_account = Some(account.id.to_string());
    apply(state.store.as_ref(), m.update_op())
        .await
        .map_err(users::conflict_on_race)?;
    Ok(Json(to_json(&account)).into_response())
}
