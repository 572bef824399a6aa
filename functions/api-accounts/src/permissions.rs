//! Roles and permissions within an account. Nobody grants more than they hold, and an
//! account always keeps an ADMIN.

use crate::users::{ensure_outranks, ensure_within, last_admin_guard, raced};
use crate::{context, AccountQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::domain::UserId;
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::tenancy::{self, Context, Role};
use shared::identity::{display_name, is_hidden_char, skeleton, ItemBuilder};
use shared::ports::store::Condition;
use std::collections::BTreeSet;

fn permissions_map(perms: &BTreeSet<String>) -> Json_ {
    Json_::Object(
        perms
            .iter()
            .map(|p| (p.clone(), Json_::String(p.clone())))
            .collect(),
    )
}

fn role_json(r: &Role) -> Json_ {
    json!({"id": r.id, "name": r.name, "description": r.description, "isBuiltin": r.builtin, "permissions": r.permissions})
}

/// `GET /api/permissions/me`: `{permissions, roles}` in the requested or default account.
pub async fn me(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    Ok(Json(json!({"permissions": permissions_map(&ctx.grants.permissions), "roles": ctx.role_names(), "accountId": ctx.tenant()})).into_response())
}

/// `GET /api/permissions/roles`: a bare array.
pub async fn list_roles(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("permissions.read")?;
    Ok(Json(ctx.all_roles.iter().map(role_json).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleBody {
    account_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

async fn known_permissions(state: &AppState, ctx: &Context) -> Result<BTreeSet<String>> {
    Ok(tenancy::catalog(state.store.as_ref(), ctx.tenant())
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect())
}

/// `POST /api/permissions/roles`: a custom role of the account.
pub async fn create_role(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<RoleBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("permissions.write")?;
    let mut v = Validator::new();
    let name = match display_name(body.name.as_deref().unwrap_or_default(), 50) {
        Ok(n) => n,
        Err(why) => {
            v.push("name", format!("is required: {why}"));
            String::new()
        }
    };
    check_description(&mut v, body.description.as_deref());
    let known = known_permissions(&state, &ctx).await?;
    let perms: BTreeSet<String> = body.permissions.unwrap_or_default().into_iter().collect();
    for p in &perms {
        v.check(
            known.contains(p),
            "permissions",
            &format!("unknown permission {p:?}"),
        );
    }
    v.finish()?;
    // Names that read the same (case, spacing, look-alike letters) would let a custom role
    // pass for a built-in one, or for another custom role, on the admin page.
    let looks = skeleton(&name);
    if let Some(r) = ctx.all_roles.iter().find(|r| skeleton(&r.name) == looks) {
        return Err(Error::Conflict(format!(
            "A role named {:?} already exists; choose a name that reads differently",
            r.name
        )));
    }
    ensure_within(&ctx, perms.iter().cloned())?;
    let role = Role {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        description: body.description,
        permissions: perms,
        builtin: false,
    };
    state
        .store
        .put(
            tenancy::custom_role_item(ctx.tenant(), &role),
            Some(Condition::NotExists),
        )
        .await?;
    tracing::info!(account_id = %ctx.tenant(), role_id = %role.id, "role created");
    Ok((StatusCode::CREATED, Json(role_json(&role))).into_response())
}

/// `GET /api/permissions/permissions`: the account's permission catalog.
pub async fn list_permissions(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("permissions.read")?;
    let all = tenancy::catalog(state.store.as_ref(), ctx.tenant()).await?;
    Ok(Json(all.iter().map(|p| json!({"id": p.name, "name": p.name, "resource": p.resource, "action": p.action, "scope": p.scope, "description": p.description, "isBuiltin": p.builtin})).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionBody {
    account_id: Option<String>,
    name: Option<String>,
    resource: Option<String>,
    action: Option<String>,
    scope: Option<String>,
    description: Option<String>,
}

/// A description: at most 500 characters, line breaks allowed, no other hidden characters.
fn check_description(v: &mut Validator, d: Option<&str>) {
    if let Some(d) = d {
        v.check(
            d.chars().count() <= 500,
            "description",
            "must be at most 500 characters",
        );
        v.check(
            !d.chars().any(|c| is_hidden_char(c) && c != '\n'),
            "description",
            "must not contain control, invisible or text-direction characters",
        );
    }
}

fn word(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `POST /api/permissions/permissions`: a custom `resource.action` permission of the account.
pub async fn create_permission(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<PermissionBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("permissions.write")?;
    let mut v = Validator::new();
    let resource = body.resource.unwrap_or_default();
    let action = body.action.unwrap_or_default();
    v.check(
        word(&resource),
        "resource",
        "is required: lower-case letters, digits, '_' or '-'",
    );
    v.check(
        word(&action),
        "action",
        "is required: lower-case letters, digits, '_' or '-'",
    );
    let name = format!("{resource}.{action}");
    v.check(
        body.name.as_ref().is_none_or(|n| n == &name),
        "name",
        "must be resource.action",
    );
    let scope = body.scope.unwrap_or_else(|| "GLOBAL".into());
    v.check(
        ["GLOBAL", "MARKETPLACE", "PRODUCT"].contains(&scope.as_str()),
        "scope",
        "must be GLOBAL, MARKETPLACE or PRODUCT",
    );
    check_description(&mut v, body.description.as_deref());
    v.finish()?;
    if known_permissions(&state, &ctx).await?.contains(&name) {
        return Err(Error::Conflict(format!("Permission {name} already exists")));
    }
    let k = tenancy::permission_key(ctx.tenant(), &name);
    let item = ItemBuilder::new(k.pk, k.sk)
        .s("type", "permission")
        .s("name", name.clone())
        .s("resource", resource.clone())
        .s("action", action.clone())
        .s("scope", scope.clone())
        .opt_s("description", body.description.clone())
        .build();
    state
        .store
        .put(item, Some(Condition::NotExists))
        .await
        .map_err(|_| Error::Conflict(format!("Permission {name} already exists")))?;
    Ok((StatusCode::CREATED, Json(json!({"id": name, "name": name, "resource": resource, "action": action, "scope": scope, "description": body.description}))).into_response())
}

fn parse_target(raw: &str) -> Result<UserId> {
    UserId::parse(raw).map_err(|_| Error::NotFound("User not found".into()))
}

/// `GET /api/permissions/{userId}`: a member's grants in the account.
pub async fn get_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(user_id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    let target = parse_target(&user_id)?;
    if &target != auth.id() {
        ctx.require("permissions.read")?;
    }
    let m = tenancy::membership(state.store.as_ref(), ctx.tenant(), &target)
        .await?
        .ok_or_else(|| Error::NotFound("User not found".into()))?;
    let g = tenancy::grants_of(&m, &ctx.all_roles);
    Ok(Json(json!({"userId": target, "accountId": ctx.tenant(), "permissions": permissions_map(&g.permissions), "roles": g.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>()})).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    role_id: String,
    account_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum PermissionRef {
    Name(String),
    Parts {
        resource: String,
        action: String,
        #[serde(rename = "accountId")]
        account_id: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBody {
    account_id: Option<String>,
    roles: Option<Vec<RoleRef>>,
    permissions: Option<Vec<PermissionRef>>,
}

/// `PATCH /api/permissions/{userId}`: replaces the member's roles and/or direct permissions.
pub async fn update_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("permissions.write")?;
    let target = parse_target(&user_id)?;
    let tenant = ctx.tenant().to_string();
    let mut v = Validator::new();
    let known = known_permissions(&state, &ctx).await?;
    let roles: Option<Vec<Role>> = body.roles.as_ref().map(|rs| {
        rs.iter()
            .filter_map(|r| {
                if r.account_id.as_ref().is_some_and(|a| a != &tenant) {
                    v.push("roles", "accountId must be the account being edited");
                    return None;
                }
                let found = ctx
                    .all_roles
                    .iter()
                    .find(|x| x.id == r.role_id || x.name == r.role_id)
                    .cloned();
                if found.is_none() {
                    v.push("roles", format!("unknown role {:?}", r.role_id));
                }
                found
            })
            .collect()
    });
    let perms: Option<Vec<String>> = body.permissions.as_ref().map(|ps| {
        ps.iter()
            .filter_map(|p| {
                let (name, acct) = match p {
                    PermissionRef::Name(n) => (n.clone(), None),
                    PermissionRef::Parts {
                        resource,
                        action,
                        account_id,
                    } => (format!("{resource}.{action}"), account_id.clone()),
                };
                if acct.is_some_and(|a| a != tenant) {
                    v.push("permissions", "accountId must be the account being edited");
                    return None;
                }
                if !known.contains(&name) {
                    v.push("permissions", format!("unknown permission {name:?}"));
                    return None;
                }
                Some(name)
            })
            .collect()
    });
    v.check(
        roles.is_some() || perms.is_some(),
        "roles",
        "give roles, permissions or both",
    );
    v.finish()?;
    let store = state.store.as_ref();
    let mut m = tenancy::membership(store, ctx.tenant(), &target)
        .await?
        .ok_or_else(|| Error::NotFound("User not found".into()))?;
    // The caller must hold everything the member has and everything they get.
    ensure_outranks(&ctx, &m)?;
    let before = m.clone();
    let mut granted: BTreeSet<String> = BTreeSet::new();
    if let Some(rs) = &roles {
        granted.extend(rs.iter().flat_map(|r| r.permissions.iter().cloned()));
        let mut ids: Vec<String> = Vec::new();
        for r in rs {
            if !ids.contains(&r.id) {
                ids.push(r.id.clone());
            }
        }
        m.roles = ids;
    }
    if let Some(ps) = perms {
        granted.extend(ps.iter().cloned());
        m.extra_permissions = ps
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
    }
    ensure_within(&ctx, granted)?;
    let demoted = tenancy::is_admin(&before) && !tenancy::is_admin(&m);
    let mut ops = vec![m.update_op()];
    if demoted {
        ops.extend(last_admin_guard(&state, &before).await?);
    }
    store.transact(ops).await.map_err(raced)?;
    let g = tenancy::grants_of(&m, &ctx.all_roles);
    tracing::info!(account_id = %ctx.tenant(), user_id = %target, by = %auth.id(), "permissions updated");
    Ok(Json(json!({"message": "Permissions updated successfully", "roles": g.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>(), "permissions": permissions_map(&g.permissions)})).into_response())
}
