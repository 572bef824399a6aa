//! Accounts (tenants): list, create, switch the default, their marketplaces.

use crate::context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::domain::TenantId;
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody};
use shared::identity::tenancy::{self, Account};
use shared::identity::users;
use shared::keys::{self, Tenant};
use shared::marketplaces;
use shared::ports::store::{query_all, rfc3339, Condition, ItemBuilder, ItemExt, Store, TxOp};

/// Most accounts one user may create (a guard against runaway scripts).
const MAX_ACCOUNTS_PER_USER: usize = 50;

fn marketplace_json(id: &str, active: bool) -> Json_ {
    match marketplaces::by_id(id) {
        Some(m) => {
            json!({"id": m.id, "name": m.name, "code": m.country_code, "region": m.region.code(), "currency": m.currency, "isActive": active})
        }
        None => json!({"id": id, "name": id, "code": null, "region": null, "isActive": active}),
    }
}

async fn account_marketplaces(store: &dyn Store, t: &Tenant) -> Result<Vec<Json_>> {
    Ok(query_all(store, keys::tenant(t).marketplaces())
        .await?
        .iter()
        .filter(|i| i.flag("isActive"))
        .filter_map(|i| i.opt_s("marketplaceId"))
        .map(|id| marketplace_json(&id, true))
        .collect())
}

fn account_json(a: &Account, is_default: bool, mkts: Vec<Json_>) -> Json_ {
    json!({
        "id": a.id,
        "name": a.name,
        "sellerId": a.seller_id,
        "region": a.region,
        "isDefault": is_default,
        "isActive": a.is_active,
        "marketplaces": mkts,
        "createdAt": rfc3339(a.created_at),
    })
}

/// `GET /api/accounts`: a bare array, the default account first, then newest.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> Result<Response> {
    let store = state.store.as_ref();
    let all: Vec<_> = tenancy::accounts_of(store, auth.id())
        .await?
        .into_iter()
        .filter(|(a, m)| m.is_active && a.is_active)
        .collect();
    let default = auth
        .user
        .default_account
        .clone()
        .filter(|d| all.iter().any(|(a, _)| &a.id == d))
        .or_else(|| all.first().map(|(a, _)| a.id.clone()));
    let mut out = Vec::with_capacity(all.len());
    for (a, m) in &all {
        out.push((
            Some(&a.id) == default.as_ref(),
            a.created_at,
            account_json(
                a,
                Some(&a.id) == default.as_ref(),
                account_marketplaces(store, &m.tenant).await?,
            ),
        ));
    }
    out.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)));
    Ok(Json(out.into_iter().map(|(_, _, j)| j).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    name: Option<String>,
    seller_id: Option<String>,
    region: Option<String>,
    marketplace_ids: Option<Vec<String>>,
}

/// Accepts Amazon marketplace ids or country codes; reports every unknown one.
pub fn parse_marketplaces(
    field: &str,
    raw: &[String],
    v: &mut Validator,
) -> Vec<&'static marketplaces::Marketplace> {
    let mut out: Vec<&'static marketplaces::Marketplace> = Vec::new();
    for id in raw {
        match marketplaces::by_id(id.trim()).or_else(|| marketplaces::by_country(id)) {
            Some(m) if !out.iter().any(|o| o.id == m.id) => out.push(m),
            Some(_) => {}
            None => v.push(field, format!("unknown marketplace {id:?}")),
        }
    }
    out
}

pub fn valid_seller_id(s: &str) -> bool {
    (1..=50).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `POST /api/accounts`: the caller becomes its ADMIN; all or nothing.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<Response> {
    let mut v = Validator::new();
    let name = match shared::identity::display_name(body.name.as_deref().unwrap_or_default(), 100) {
        Ok(n) => n,
        Err(why) => {
            v.push("name", format!("is required: {why}"));
            String::new()
        }
    };
    if let Some(s) = &body.seller_id {
        v.check(
            valid_seller_id(s),
            "sellerId",
            "must be 1-50 letters, digits, '_' or '-'",
        );
    }
    if let Some(r) = &body.region {
        v.check(r.len() <= 10, "region", "must be at most 10 characters");
    }
    let mkts = parse_marketplaces(
        "marketplaceIds",
        body.marketplace_ids.as_deref().unwrap_or_default(),
        &mut v,
    );
    v.finish()?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let existing = tenancy::accounts_of(store, auth.id()).await?;
    if existing.len() >= MAX_ACCOUNTS_PER_USER {
        return Err(Error::Conflict(format!(
            "A user can belong to at most {MAX_ACCOUNTS_PER_USER} accounts"
        )));
    }
    let tenant = Tenant::create();
    let account = Account {
        id: tenant.id().clone(),
        name,
        seller_id: body.seller_id,
        region: body.region,
        is_active: true,
        created_at: now,
    };
    let mut ops = tenancy::create_account_ops(&account, auth.id(), now);
    for m in &mkts {
        ops.push(TxOp::Put {
            item: ItemBuilder::at(keys::tenant(&tenant).marketplace(m.id))
                .s("type", "account-marketplace")
                .s("marketplaceId", m.id)
                .flag("isActive", true)
                .time("linkedAt", now)
                .build(),
            condition: Some(Condition::NotExists),
        });
    }
    let first = existing.iter().all(|(_, m)| !m.is_active);
    let mut user = auth.user.clone();
    if first || user.default_account.is_none() {
        user.default_account = Some(account.id.clone());
        ops.push(user.update_op(now));
    }
    store.transact(ops).await.map_err(users::conflict_on_race)?;
    tracing::info!(account_id = %account.id, user_id = %auth.id(), "account created");
    let body = account_json(
        &account,
        user.default_account.as_ref() == Some(&account.id),
        mkts.iter().map(|m| marketplace_json(m.id, true)).collect(),
    );
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchBody {
    account_id: Option<String>,
}

/// `POST /api/accounts/switch`: makes an account the caller's default.
pub async fn switch(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<SwitchBody>,
) -> Result<Response> {
    let raw = body
        .account_id
        .ok_or_else(|| Error::validation("accountId", "is required"))?;
    let t = TenantId::parse(&raw)?;
    let ctx = context(&state, &auth, Some(t.as_str()))
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound("Account not found or access denied".into()),
            other => other,
        })?;
    let mut user = auth.user.clone();
    user.default_account = Some(ctx.tenant().id().clone());
    users::save(state.store.as_ref(), &mut user, state.clock.now()).await?;
    tracing::info!(account_id = %t, user_id = %auth.id(), "account switched");
    Ok(Json(json!({"accountId": t, "message": "Account switched successfully"})).into_response())
}

/// `GET /api/accounts/{id}/marketplaces`: a bare array.
pub async fn marketplaces(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Response> {
    let ctx = context(&state, &auth, Some(&id)).await?;
    Ok(Json(account_marketplaces(state.store.as_ref(), ctx.tenant()).await?).into_response())
}
