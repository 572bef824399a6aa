//! Users: the caller's own profile and password, and the members of an account.

use crate::{context, AccountQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::domain::{check_password_strength, Email, UserId};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::tenancy::{self, Context, Membership, Role, ADMIN};
use shared::identity::{passwords, rfc3339, sessions, users};
use shared::ports::store::TxOp;

fn role_refs(roles: &[Role]) -> Vec<Json_> {
    roles
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "description": r.description}))
        .collect()
}

pub fn member_json(u: &users::User, roles: &[Role]) -> Json_ {
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "isActive": u.is_active,
        "isVerified": u.is_verified,
        "verifiedAt": u.verified_at.map(rfc3339),
        "createdAt": rfc3339(u.created_at),
        "roles": role_refs(roles),
    })
}

/// `GET /api/users`: the members of the current account (needs `users.read`), newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("users.read")?;
    let store = state.store.as_ref();
    let members: Vec<Membership> = tenancy::members(store, ctx.tenant())
        .await?
        .into_iter()
        .filter(|m| m.is_active)
        .collect();
    let keys: Vec<_> = members.iter().map(|m| users::key(&m.user_id)).collect();
    let found = store.batch_get(&keys).await?;
    let mut out = Vec::new();
    for item in &found {
        let u = users::User::from_item(item)?;
        if let Some(m) = members.iter().find(|m| m.user_id == u.id) {
            out.push((
                u.created_at,
                member_json(&u, &tenancy::grants_of(m, &ctx.all_roles).roles),
            ));
        }
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.0));
    Ok(Json(out.into_iter().map(|(_, j)| j).collect::<Vec<_>>()).into_response())
}

/// `GET /api/users/me`.
pub async fn me(State(state): State<AppState>, auth: AuthUser) -> Result<Response> {
    let roles = tenancy::default_roles(state.store.as_ref(), &auth.user).await?;
    Ok(Json(auth.user.profile_json(&roles)).into_response())
}

#[derive(Deserialize)]
pub struct UpdateMeBody {
    name: Option<String>,
    email: Option<String>,
}

/// `PATCH /api/users/me`: a new address must be verified again (a link is mailed to it).
pub async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<UpdateMeBody>,
) -> Result<Response> {
    let mut v = Validator::new();
    let name = body.name.as_deref().map(str::trim).map(str::to_string);
    if let Some(n) = &name {
        v.check(
            !n.is_empty() && n.chars().count() <= 100,
            "name",
            "must be 1-100 characters",
        );
    }
    let email = match body.email.as_deref().map(Email::parse) {
        Some(Ok(e)) => Some(e),
        Some(Err(_)) => {
            v.push("email", "must be a valid email address");
            None
        }
        None => None,
    };
    v.finish()?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let mut user = auth.user.clone();
    if let Some(n) = name {
        user.name = Some(n);
    }
    let email_changed = email.as_ref().is_some_and(|e| e != &user.email);
    if let (true, Some(e)) = (email_changed, email) {
        users::change_email(store, &mut user, e, now).await?;
        state.mails().send_verification(&user).await;
    } else {
        users::save(store, &mut user, now).await?;
    }
    Ok(Json(json!({
        "id": user.id, "email": user.email, "name": user.name, "isActive": user.is_active,
        "isVerified": user.is_verified, "updatedAt": rfc3339(user.updated_at),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordBody {
    current_password: Option<String>,
    new_password: Option<String>,
}

/// `POST /api/users/me/change-password`: every other session ends; this one continues with
/// the fresh access token returned.
pub async fn change_password(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<ChangePasswordBody>,
) -> Result<Response> {
    let mut v = Validator::new();
    v.check(
        body.current_password
            .as_deref()
            .is_some_and(|p| !p.is_empty()),
        "currentPassword",
        "is required",
    );
    match body.new_password.as_deref() {
        None => v.push("newPassword", "is required"),
        Some(p) => {
            if check_password_strength("newPassword", p).is_err() {
                v.push("newPassword", "must be 10-128 characters with upper- and lower-case letters, a digit and a symbol");
            }
        }
    }
    v.finish()?;
    let (current, new) = (
        body.current_password.unwrap_or_default(),
        body.new_password.unwrap_or_default(),
    );
    if !passwords::verify(&current, &auth.user.password_hash) {
        return Err(Error::bad_request("Current password is incorrect"));
    }
    if current == new {
        return Err(Error::validation(
            "newPassword",
            "must differ from the current password",
        ));
    }
    let store = state.store.as_ref();
    let now = state.clock.now();
    let mut user = auth.user.clone();
    user.password_hash = passwords::hash(&new)?;
    user.token_version += 1;
    users::save(store, &mut user, now).await?;
    if let Some(s) = sessions::get(store, &auth.session_id).await? {
        sessions::rebind(store, s, user.token_version).await?;
    }
    let access = state.issue_access_token(&user, &auth.session_id)?;
    tracing::info!(user_id = %user.id, "password changed; other sessions ended");
    Ok(
        Json(json!({"message": "Password changed successfully", "accessToken": access}))
            .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddBody {
    account_id: Option<String>,
    email: Option<String>,
    role: Option<String>,
}

/// Refuses a grant beyond what the caller holds.
pub fn ensure_within(ctx: &Context, granted: impl IntoIterator<Item = String>) -> Result<()> {
    let over: Vec<String> = granted.into_iter().filter(|p| !ctx.can(p)).collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "You cannot grant permissions you do not hold: {}",
            over.join(", ")
        )))
    }
}

/// `POST /api/users`: adds a registered user to the current account with a role.
pub async fn add(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<AddBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("users.write")?;
    let email = Email::parse(
        body.email
            .as_deref()
            .ok_or_else(|| Error::validation("email", "is required"))?,
    )?;
    let role_id = body.role.unwrap_or_else(|| tenancy::VIEWER.to_string());
    let role = ctx
        .all_roles
        .iter()
        .find(|r| r.id == role_id || r.name.eq_ignore_ascii_case(&role_id))
        .cloned()
        .ok_or_else(|| Error::validation("role", format!("unknown role {role_id:?}")))?;
    ensure_within(&ctx, role.permissions.iter().cloned())?;
    let store = state.store.as_ref();
    let user = users::find_by_email(store, &email)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(|| Error::NotFound("No active user is registered with this email".into()))?;
    let m = Membership::new(
        ctx.tenant().clone(),
        user.id.clone(),
        vec![role.id.clone()],
        state.clock.now(),
    );
    store
        .transact(m.create_ops())
        .await
        .map_err(|_| Error::Conflict("This user is already a member of the account".into()))?;
    tracing::info!(account_id = %ctx.tenant(), user_id = %user.id, role = %role.id, "member added");
    Ok((
        StatusCode::CREATED,
        Json(member_json(&user, std::slice::from_ref(&role))),
    )
        .into_response())
}

/// Whether, after replacing `target`'s roles with `new_roles`, the account still has an ADMIN.
pub async fn keeps_an_admin(
    state: &AppState,
    ctx: &Context,
    target: &UserId,
    new_roles: &[String],
) -> Result<bool> {
    if new_roles.iter().any(|r| r == ADMIN) {
        return Ok(true);
    }
    Ok(tenancy::members(state.store.as_ref(), ctx.tenant())
        .await?
        .iter()
        .any(|m| &m.user_id != target && m.is_active && m.roles.iter().any(|r| r == ADMIN)))
}

/// `DELETE /api/users/{userId}`: removes a member from the current account.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(user_id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("users.delete")?;
    let not_found = || Error::NotFound("User not found".into());
    let target = UserId::parse(&user_id).map_err(|_| not_found())?;
    let store = state.store.as_ref();
    let m = tenancy::membership(store, ctx.tenant(), &target)
        .await?
        .ok_or_else(not_found)?;
    if !keeps_an_admin(&state, &ctx, &target, &[]).await? {
        return Err(Error::Conflict(
            "The last ADMIN of an account cannot be removed".into(),
        ));
    }
    let ops: Vec<TxOp> = m.delete_ops();
    store.transact(ops).await.map_err(users::conflict_on_race)?;
    tracing::info!(account_id = %ctx.tenant(), user_id = %target, "member removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
