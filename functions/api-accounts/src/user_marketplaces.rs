//! User-marketplace links (`/api/users/{userId}/marketplaces`): which marketplaces a member
//! works on, optionally through one of the account's own Amazon connections. Optional
//! credentials go to the secrets port.
//!
//! Keys: `ACCT#<t>/UMKT#<userId>#<marketplaceId>` (one link per user and marketplace).

use crate::amazon_accounts::{self, AmazonAccount};
use crate::{context, AccountQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::domain::{AmazonAccountId, UserId};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::tenancy::{self, Context};
use shared::identity::{rfc3339, users, ItemBuilder, ItemExt};
use shared::keys::{self, Tenant};
use shared::marketplaces;
use shared::ports::store::{query_all, Condition, Item, Key, Value};
use std::collections::BTreeMap;

fn key(t: &Tenant, u: &UserId, marketplace: &str) -> Key {
    keys::tenant(t).user_marketplace(u, marketplace)
}

fn secret_name(state: &AppState, t: &Tenant, link_id: &str) -> String {
    format!(
        "{}tenants/{t}/user-marketplaces/{link_id}",
        state.config.secret_prefix
    )
}

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

async fn links(state: &AppState, t: &Tenant, u: &UserId) -> Result<Vec<Item>> {
    Ok(query_all(
        state.store.as_ref(),
        keys::tenant(t).user_marketplaces_of(u),
    )
    .await?)
}

async fn to_json(state: &AppState, t: &Tenant, i: &Item) -> Result<Json_> {
    let amazon = match i.opt_s("amazonAccountId") {
        Some(id) => amazon_accounts::find(state.store.as_ref(), t, &id)
            .await
            .ok()
            .map(|a| a.to_json()),
        None => None,
    };
    let mkt = i.s("marketplaceId")?;
    Ok(json!({
        "id": i.s("id")?,
        "userId": i.s("userId")?,
        "marketplaceId": mkt,
        "amazonAccountId": i.opt_s("amazonAccountId"),
        "status": i.s("status")?,
        "hasCredentials": i.flag("hasCredentials"),
        "linkedAt": i.s("linkedAt")?,
        "createdAt": i.s("createdAt")?,
        "updatedAt": i.s("updatedAt")?,
        "marketplace": marketplaces::by_id(&mkt),
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
    let mut items = links(&state, ctx.tenant(), &target).await?;
    items.sort_by_key(|i| std::cmp::Reverse(i.opt_s("linkedAt")));
    let mut data = Vec::new();
    for i in &items {
        data.push(to_json(&state, ctx.tenant(), i).await?);
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
    credentials: Patch<BTreeMap<String, String>>,
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

fn check_credentials(v: &mut Validator, c: &Patch<BTreeMap<String, String>>) {
    if let Patch::Set(m) = c {
        v.check(
            m.len() <= 20 && m.iter().all(|(k, x)| k.len() <= 100 && x.len() <= 4096),
            "credentials",
            "at most 20 string entries",
        );
    }
}

async fn resolve_amazon(state: &AppState, t: &Tenant, id: &str) -> Result<AmazonAccount> {
    // Only a connection of this very tenant can be linked.
    amazon_accounts::find(state.store.as_ref(), t, id).await
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
    let amazon = match &body.amazon_account_id {
        Patch::Set(id) => Some(resolve_amazon(&state, ctx.tenant(), id).await?.id),
        _ => None,
    };
    let now = state.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let has_credentials = matches!(body.credentials, Patch::Set(_));
    let k = key(ctx.tenant(), &target, mkt.id);
    let item = ItemBuilder::new(k.pk, k.sk)
        .s("type", "user-marketplace")
        .s("id", id.clone())
        .s("userId", target.as_str())
        .s("marketplaceId", mkt.id)
        .opt_s(
            "amazonAccountId",
            amazon.as_ref().map(AmazonAccountId::to_string),
        )
        .s(
            "status",
            body.status.clone().unwrap_or_else(|| "active".into()),
        )
        .flag("hasCredentials", has_credentials)
        .time("linkedAt", now)
        .time("createdAt", now)
        .time("updatedAt", now)
        .build();
    state
        .store
        .put(item.clone(), Some(Condition::NotExists))
        .await
        .map_err(|_| Error::Conflict("Marketplace already linked".into()))?;
    if let Patch::Set(c) = &body.credentials {
        if let Err(e) = state
            .secrets
            .put(
                &secret_name(&state, ctx.tenant(), &id),
                SecretString::from(serde_json::to_string(c).unwrap_or_default()),
            )
            .await
        {
            state
                .store
                .delete(&key(ctx.tenant(), &target, mkt.id), None)
                .await?;
            return Err(e.into());
        }
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({"data": to_json(&state, ctx.tenant(), &item).await?})),
    )
        .into_response())
}

async fn find_link(state: &AppState, t: &Tenant, u: &UserId, id: &str) -> Result<Item> {
    links(state, t, u)
        .await?
        .into_iter()
        .find(|i| i.opt_s("id").as_deref() == Some(id))
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
    let mut item = find_link(&state, ctx.tenant(), &target, &id).await?;
    match &body.amazon_account_id {
        Patch::Keep => {}
        Patch::Clear => {
            item.remove("amazonAccountId");
        }
        Patch::Set(a) => {
            let found = resolve_amazon(&state, ctx.tenant(), a).await?;
            item.insert("amazonAccountId".into(), Value::S(found.id.to_string()));
        }
    }
    if let Some(s) = &body.status {
        item.insert("status".into(), Value::S(s.clone()));
    }
    let name = secret_name(&state, ctx.tenant(), &id);
    match &body.credentials {
        Patch::Keep => {}
        Patch::Clear => {
            state.secrets.delete(&name).await?;
            item.insert("hasCredentials".into(), Value::Bool(false));
        }
        Patch::Set(c) => {
            state
                .secrets
                .put(
                    &name,
                    SecretString::from(serde_json::to_string(c).unwrap_or_default()),
                )
                .await?;
            item.insert("hasCredentials".into(), Value::Bool(true));
        }
    }
    let read_at = item.get("updatedAt").cloned();
    item.insert("updatedAt".into(), Value::S(rfc3339(state.clock.now())));
    let cond = read_at.map(|v| Condition::Equals("updatedAt".into(), v));
    state
        .store
        .put(item.clone(), cond)
        .await
        .map_err(users::conflict_on_race)?;
    Ok(Json(json!({"data": to_json(&state, ctx.tenant(), &item).await?})).into_response())
}

/// `DELETE`: `{success: true}`.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((user_id, id)): Path<(String, String)>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let (ctx, target) = authorize(&state, &auth, &user_id, q.account_id.as_deref(), true).await?;
    let item = find_link(&state, ctx.tenant(), &target, &id).await?;
    let k = Key::of(&item).ok_or_else(|| Error::Internal("link without key".into()))?;
    state
        .store
        .delete(&k, Some(Condition::Exists))
        .await
        .map_err(users::conflict_on_race)?;
    state
        .secrets
        .delete(&secret_name(&state, ctx.tenant(), &id))
        .await?;
    Ok(Json(json!({"success": true})).into_response())
}

/// Unlinks a deleted Amazon connection from every user-marketplace link of the tenant.
pub async fn detach_amazon_account(
    state: &AppState,
    t: &Tenant,
    id: &AmazonAccountId,
) -> Result<()> {
    let all = query_all(state.store.as_ref(), keys::tenant(t).user_marketplaces()).await?;
    for mut item in all
        .into_iter()
        .filter(|i| i.opt_s("amazonAccountId").as_deref() == Some(id.as_str()))
    {
        item.remove("amazonAccountId");
        item.insert("updatedAt".into(), Value::S(rfc3339(state.clock.now())));
        state.store.put(item, None).await?;
    }
    Ok(())
}
