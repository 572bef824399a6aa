//! User-marketplace links (`/api/users/{userId}/marketplaces`): which marketplaces a member
//! works on, optionally through one of the account's own Amazon connections. The links live in
//! `shared::connections::user_marketplaces`; this module keeps the routes and the shapes.

use crate::amazon_accounts::{self, connections};
use crate::{context, AccountQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::connections::user_marketplaces::{LinkCredentials, MarketplaceLink};
use shared::domain::{AmazonAccountId, UserId};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::tenancy::{self, Context};
use shared::keys::Tenant;
use shared::marketplaces;
use shared::ports::store::rfc3339;

/// Self, or someone who manages users; and the target must be a member of this account.
async fn authorize(
    state: &AppState,
    auth: &AuthUser,
    raw_user: &str,
    q: Option<&str>,
    write: bool,
) -> Result<(Context, UserId)> {
    let ctx = context(state, auth, q).await?;
    ctx.require(if write {
        "accounts.write"
    } else {
        "accounts.read"
    })?;
    let not_found = || Error::NotFound("User not found".into());
    let target = UserId::parse(raw_user).map_err(|_| not_found())?;
    if &target != auth.id() {
        ctx.require(if write { "users.write" } else { "users.read" })
            .map_err(|_| Error::Forbidden("Access denied".into()))?;
    }
    tenancy::membership(state.store.as_ref(), ctx.tenant(), &target)
        .await?
        .filter(|m| m.is_active)
        .ok_or_else(not_found)?;
    Ok((ctx, target))
}

/// A link's response shape, with its Amazon connection; a store failure is the request's
/// failure, not a link shown without its connection.
async fn to_json(state: &AppState, t: &Tenant, l: &MarketplaceLink) -> Result<Json_> {
    let amazon = match &l.amazon_account_id {
        Some(id) => connections(state)
            .find(t, id)
            .await?
            .map(|a| amazon_accounts::to_json(&a)),
        None => None,
    };
    Ok(json!({
        "id": l.id,
        "userId": l.user_id,
        "marketplaceId": l.marketplace_id,
        "amazonAccountId": l.amazon_account_id,
        "status": l.status,
        "hasCredentials": l.has_credentials,
        "linkedAt": rfc3339(l.linked_at),
        "createdAt": rfc3339(l.created_at),
        "updatedAt": rfc3339(l.updated_at),
        "marketplace": marketplaces::by_id(&l.marketplace_id),
        "amazonAccount": amazon,
    }))
}

/// `GET`: `{data: [...]}`, newest link first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(user_id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let (ctx, target) = authorize(&state, &auth, &user_id, q.account_id.as_deref(), false).await?;
    let mut links = connections(&state)
        .links()
        .of_user(ctx.tenant(), &target)
        .await?;
    links.sort_by_key(|l| std::cmp::Reverse(l.linked_at));
    let mut data = Vec::new();
    for l in &links {
        data.push(to_json(&state, ctx.tenant(), l).await?);
    }
    Ok(Json(json!({"data": data})).into_response())
}

/// `credentials`: absent (keep), `null` (clear) or an object of strings (replace).
#[derive(Debug, Default)]
enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: serde::Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Clear,
            Some(v) => Patch::Set(v),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    account_id: Option<String>,
    marketplace_id: Option<String>,
    #[serde(default)]
    amazon_account_id: Patch<String>,
    #[serde(default)]
    credentials: Patch<LinkCredentials>,
    status: Option<String>,
}

fn check_status(v: &mut Validator, s: &Option<String>) {
    v.check(
        s.as_deref()
            .is_none_or(|s| s == "active" || s == "inactive"),
        "status",
        "must be active or inactive",
    );
}

fn check_credentials(v: &mut Validator, c: &Patch<LinkCredentials>) {
    if let Patch::Set(m) = c {
        v.check(
            m.len() <= 20 && m.iter().all(|(k, x)| k.len() <= 100 && x.len() <= 4096),
            "credentials",
            "at most 20 string entries",
        );
    }
}

async fn resolve_amazon(state: &AppState, t: &Tenant, id: &str) -> Result<AmazonAccountId> {
    // Only a connection of this very tenant can be linked.
    Ok(amazon_accounts::find(state, t, id).await?.id)
}

/// `POST`: `{data}` with 201; 409 when the user already links that marketplace.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Response> {
    let (ctx, target) =
        authorize(&state, &auth, &user_id, body.account_id.as_deref(), true).await?;
    let mut v = Validator::new();
    check_status(&mut v, &body.status);
    check_credentials(&mut v, &body.credentials);
    v.check(
        body.marketplace_id.is_some(),
        "marketplaceId",
        "is required",
    );
    v.finish()?;
    let mkt = body
        .marketplace_id
        .as_deref()
        .and_then(|m| marketplaces::by_id(m).or_else(|| marketplaces::by_country(m)))
        .ok_or_else(|| Error::NotFound("Marketplace not found".into()))?;
    let mut link = MarketplaceLink::new(target, mkt.id, state.clock.now());
    if let Patch::Set(id) = &body.amazon_account_id {
        link.amazon_account_id = Some(resolve_amazon(&state, ctx.tenant(), id).await?);
    }
    if let Some(s) = body.status {
        link.status = s;
    }
    let credentials = match &body.credentials {
        Patch::Set(c) => Some(c),
        _ => None,
    };
    connections(&state)
        .links()
        .create(ctx.tenant(), &mut link, credentials)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"data": to_json(&state, ctx.tenant(), &link).await?})),
    )
        .into_response())
}

async fn find_link(state: &AppState, t: &Tenant, u: &UserId, id: &str) -> Result<MarketplaceLink> {
    connections(state)
        .links()
        .find(t, u, id)
        .await?
        .ok_or_else(|| Error::NotFound("Linked marketplace not found".into()))
}

/// `PATCH`: omitted fields keep their value, `null` clears.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((user_id, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Response> {
    let (ctx, target) =
        authorize(&state, &auth, &user_id, body.account_id.as_deref(), true).await?;
    let mut v = Validator::new();
    check_status(&mut v, &body.status);
    check_credentials(&mut v, &body.credentials);
    v.finish()?;
    let mut link = find_link(&state, ctx.tenant(), &target, &id).await?;
    match &body.amazon_account_id {
        Patch::Keep => {}
        Patch::Clear => link.amazon_account_id = None,
        Patch::Set(a) => {
            link.amazon_account_id = Some(resolve_amazon(&state, ctx.tenant(), a).await?);
        }
    }
    if let Some(s) = &body.status {
        link.status = s.clone();
    }
    let links = connections(&state).links();
    match &body.credentials {
        Patch::Keep => {}
        Patch::Clear => links.set_credentials(ctx.tenant(), &mut link, None).await?,
        Patch::Set(c) => {
            links
                .set_credentials(ctx.tenant(), &mut link, Some(c))
                .await?
        }
    }
    links
        .save(ctx.tenant(), &mut link, state.clock.now())
        .await?;
    Ok(Json(json!({"data": to_json(&state, ctx.tenant(), &link).await?})).into_response())
}

/// `DELETE`: `{success: true}`.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((user_id, id)): Path<(String, String)>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let (ctx, target) = authorize(&state, &auth, &user_id, q.account_id.as_deref(), true).await?;
    let link = find_link(&state, ctx.tenant(), &target, &id).await?;
    connections(&state)
        .links()
        .remove(ctx.tenant(), &link)
        .await?;
    Ok(Json(json!({"success": true})).into_response())
}
