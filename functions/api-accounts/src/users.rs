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
use shared::identity::tenancy::{self, Context, Membership, Role};
use shared::identity::{invitations, mails, passwords, rfc3339, sessions, users};
use shared::ports::store::{StoreError, TxOp};

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

/// `PATCH /api/users/me`: a new address takes effect once the link mailed to it is followed
/// (`pendingEmail` until then); the answer is the same whether or not the address is taken.
pub async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<UpdateMeBody>,
) -> Result<Response> {
    let mut v = Validator::new();
    let name = match body.name.as_deref() {
        None => None,
        Some(n) => match shared::identity::display_name(n, 100) {
            Ok(n) => Some(n),
            Err(why) => {
                v.push("name", why);
                None
            }
        },
    };
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
        users::save(store, &mut user, now).await?;
    }
    let pending = email.filter(|e| e != &user.email);
    if let Some(e) = &pending {
        shared::identity::throttle::take(
            store,
            &shared::identity::throttle::MAIL,
            &format!("change|{}", user.id),
            now,
        )
        .await?;
        mails::send_email_change(&state, &user, e);
    }
    Ok(Json(json!({
        "id": user.id, "email": user.email, "name": user.name, "isActive": user.is_active,
        "isVerified": user.is_verified, "updatedAt": rfc3339(user.updated_at),
        "pendingEmail": pending,
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
    if !passwords::verify(&current, &auth.user.password_hash).await {
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
    user.password_hash = passwords::hash(&new).await?;
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

/// `POST /api/users` `{email, role?, accountId?}`: invites an address into the current
/// account with a role (mailed, single use, expiring). The answer is the same whether or not
/// the address is registered or already a member; nobody joins without accepting.
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
    let now = state.clock.now();
    shared::identity::throttle::take(
        store,
        &shared::identity::throttle::MAIL,
        &format!("invite|{}|{email}", ctx.tenant()),
        now,
    )
    .await?;
    let (inv, token) =
        invitations::create(store, ctx.tenant(), &email, &role.id, auth.id(), now).await?;
    mails::send_invitation(&state, &email, &ctx.account.name, &role.name, &token);
    tracing::info!(account_id = %ctx.tenant(), invitation_id = %inv.id, role = %role.id, "member invited");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message": "Invitation sent",
            "invitation": {
                "id": inv.id,
                "email": inv.email,
                "role": {"id": role.id, "name": role.name},
                "expiresAt": rfc3339(inv.expires_at),
            },
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct AcceptBody {
    token: Option<String>,
}

/// `POST /api/users/invitations/accept` `{token}`: the signed-in user joins the account they
/// were invited to, if the invitation was sent to their (verified) address.
pub async fn accept(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<AcceptBody>,
) -> Result<Response> {
    let raw = body
        .token
        .ok_or_else(|| Error::validation("token", "an invitation token is required"))?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let inv = invitations::find(store, &raw, now).await?;
    if inv.email != auth.user.email || !auth.user.is_verified {
        return Err(Error::Forbidden(
            "This invitation was sent to another address; sign in with that address to accept it"
                .into(),
        ));
    }
    match store.transact(inv.accept_ops(auth.id(), now)).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { reasons })
            if reasons.get(1).is_some_and(Option::is_some) =>
        {
            return Err(Error::Conflict(
                "You are already a member of this account".into(),
            ))
        }
        Err(StoreError::TransactionCanceled { .. }) => {
            return Err(Error::bad_request(
                "Invalid, expired or already used invitation",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(account_id = %inv.tenant, user_id = %auth.id(), "invitation accepted");
    Ok(Json(
        json!({"message": "Invitation accepted", "accountId": inv.tenant, "roles": [inv.role]}),
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveBody {
    account_id: Option<String>,
}

/// `POST /api/accounts/leave` `{accountId}`: the caller leaves an account; always allowed,
/// except for its last ADMIN.
pub async fn leave(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<LeaveBody>,
) -> Result<Response> {
    let raw = body
        .account_id
        .ok_or_else(|| Error::validation("accountId", "is required"))?;
    let ctx = context(&state, &auth, Some(&raw)).await?;
    let store = state.store.as_ref();
    let mut ops: Vec<TxOp> = ctx.membership.delete_ops();
    ops.extend(last_admin_guard(&state, &ctx.membership).await?);
    let mut user = auth.user.clone();
    if user.default_account.as_ref() == Some(ctx.tenant()) {
        user.default_account = None;
        ops.push(user.update_op(state.clock.now()));
    }
    store.transact(ops).await.map_err(raced)?;
    tracing::info!(account_id = %ctx.tenant(), user_id = %auth.id(), "member left");
    Ok(Json(json!({"message": "You left the account", "accountId": ctx.tenant()})).into_response())
}

/// Refuses to change a member who holds something the caller does not: the caller must hold
/// every permission the target has now.
pub fn ensure_outranks(ctx: &Context, target: &Membership) -> Result<()> {
    let held = tenancy::grants_of(target, &ctx.all_roles).permissions;
    let over: Vec<String> = held.into_iter().filter(|p| !ctx.can(p)).collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "You cannot change a member who holds permissions you do not: {}",
            over.join(", ")
        )))
    }
}

/// The check that keeps an ADMIN when `m` loses its ADMIN role or leaves: `Ok(None)` when
/// `m` is no ADMIN (nothing to guard), 409 when it is the last one.
pub async fn last_admin_guard(state: &AppState, m: &Membership) -> Result<Option<TxOp>> {
    if !tenancy::is_admin(m) {
        return Ok(None);
    }
    match tenancy::other_admin_guard(state.store.as_ref(), &m.tenant, &m.user_id).await? {
        Some(op) => Ok(Some(op)),
        None => Err(Error::Conflict(
            "The account must keep at least one ADMIN".into(),
        )),
    }
}

/// Maps a cancelled removal or role change: a changed guard means another admin change won.
pub fn raced(e: shared::ports::store::StoreError) -> Error {
    users::conflict_on_race(e)
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
    ensure_outranks(&ctx, &m)?;
    let mut ops: Vec<TxOp> = m.delete_ops();
    ops.extend(last_admin_guard(&state, &m).await?);
    store.transact(ops).await.map_err(raced)?;
    tracing::info!(account_id = %ctx.tenant(), user_id = %target, "member removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
