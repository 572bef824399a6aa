//! The auth endpoint group (`/api/auth/*`, `/health`): registration, email verification,
//! login, refresh-token rotation, logout, password reset and the current user.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use shared::domain::{check_password_strength, Email, TenantId, UserId};
use shared::error::{Error, Result, Validator};
use shared::http::{cookie, AppState, AuthUser, ClientIp, JsonBody, QueryParams};
use shared::identity::tokens::{self, Kind};
use shared::identity::{passwords, rfc3339, sessions, tenancy, throttle, users};
use shared::ports::mail::Mail;
use shared::ports::store::{Key, StoreError, TxOp};

const COOKIE: &str = "refreshToken";

/// Every route of the group, with the shared layers.
pub fn router(state: AppState) -> Router {
    shared::http::finish(routes(), state)
}

/// The group's routes without layers, for merging (the local runner).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/forgot-password", post(forgot_password))
        .route("/api/auth/reset-password", post(reset_password))
        .route("/api/auth/verify-email", get(verify_email))
        .route("/api/auth/resend-verification", post(resend_verification))
        .route("/api/auth/me", get(me))
}

fn set_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/api/auth; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie header is ASCII")
}

fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(state, token, state.config.refresh_token_ttl_days * 86_400)
}

fn cleared_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, "", 0)
}

async fn health(State(state): State<AppState>) -> Response {
    let now = state.clock.now();
    let store_ok = state.store.get(&Key::new("HEALTH", "HEALTH")).await.is_ok();
    let status = if store_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if store_ok { "ok" } else { "degraded" },
        "timestamp": rfc3339(now),
        "services": {"store": if store_ok { "ok" } else { "error" }},
    });
    (status, Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    email: Option<String>,
    password: Option<String>,
    name: Option<String>,
    accept_terms: Option<bool>,
    accept_privacy: Option<bool>,
}

async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Result<Response> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let email = match body.email.as_deref().map(Email::parse) {
        Some(Ok(e)) => Some(e),
        Some(Err(_)) => {
            v.push("email", "must be a valid email address");
            None
        }
        None => {
            v.push("email", "is required");
            None
        }
    };
    match body.password.as_deref() {
        None => v.push("password", "is required"),
        Some(p) => {
            if let Err(Error::Validation { details, .. }) = check_password_strength("password", p) {
                for d in details {
                    v.push(&d.field, d.message);
                }
            }
        }
    }
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    v.check(
        name.as_ref().is_none_or(|n| n.chars().count() <= 100),
        "name",
        "must be at most 100 characters",
    );
    v.check(
        body.accept_terms == Some(true),
        "acceptTerms",
        "the terms of service must be accepted",
    );
    v.check(
        body.accept_privacy == Some(true),
        "acceptPrivacy",
        "the privacy policy must be accepted",
    );
    v.finish()?;
    let (email, password) = (email.expect("validated"), body.password.expect("validated"));
    throttle::take(state.store.as_ref(), &throttle::REGISTER, &ip, now).await?;

    let tenant = TenantId::new();
    let user = users::User {
        id: UserId::new(),
        email: email.clone(),
        name: name.clone(),
        password_hash: passwords::hash(&password)?,
        is_active: true,
        is_verified: false,
        verified_at: None,
        terms_accepted_at: Some(now),
        token_version: 0,
        default_account: Some(tenant.clone()),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let account = tenancy::Account {
        id: tenant,
        name: match &name {
            Some(n) => format!("{n}'s account"),
            None => "My account".into(),
        },
        seller_id: None,
        region: None,
        is_active: true,
        created_at: now,
    };
    let mut ops = users::create_ops(&user);
    ops.extend(tenancy::create_account_ops(&account, &user.id, now));
    match state.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { reasons })
            if reasons.first().is_some_and(Option::is_some) =>
        {
            return Err(Error::Conflict(
                "An account with this email already exists".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %user.id, account_id = %account.id, "user registered");
    state.mails().send_verification(&user).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message": "Registration successful. Check your email to verify your account.",
            "user": {"id": user.id, "email": user.email, "name": user.name, "isVerified": false},
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    email: Option<String>,
    password: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response> {
    let now = state.clock.now();
    let mut v = Validator::new();
    v.check(
        body.email.as_deref().is_some_and(|e| !e.trim().is_empty()),
        "email",
        "is required",
    );
    v.check(
        body.password.as_deref().is_some_and(|p| !p.is_empty()),
        "password",
        "is required",
    );
    v.finish()?;
    let email_text = body.email.unwrap_or_default().trim().to_lowercase();
    let password = body.password.unwrap_or_default();
    let subject = format!("{email_text}|{ip}");
    let store = state.store.as_ref();
    throttle::check(store, &throttle::LOGIN, &subject, now).await?;
    let user = match Email::parse(&email_text) {
        Ok(e) => users::find_by_email(store, &e).await?,
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(passwords::dummy_hash());
    let password_ok = passwords::verify(&password, hash) && user.is_some();
    let Some(user) = user.filter(|_| password_ok) else {
        throttle::hit(store, &throttle::LOGIN, &subject, now).await?;
        tracing::info!("login refused: bad credentials");
        return Err(Error::Unauthorized("Invalid email or password".into()));
    };
    if !user.is_active {
        return Err(Error::Forbidden("Account is deactivated".into()));
    }
    if !user.is_verified {
        return Err(Error::Forbidden(
            "Please verify your email before logging in".into(),
        ));
    }
    throttle::reset(store, &throttle::LOGIN, &subject).await?;
    let (session, refresh_token) = sessions::create(
        store,
        &user.id,
        user.token_version,
        now,
        state.config.refresh_token_ttl_days,
    )
    .await?;
    let access = state.issue_access_token(&user, &session.id)?;
    let ctx = match tenancy::resolve(store, &user, None).await {
        Ok(c) => Some(c),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    tracing::info!(user_id = %user.id, session_id = %session.id, "login");
    let body = json!({
        "message": "Login successful",
        "user": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "isVerified": user.is_verified,
            "roles": ctx.as_ref().map(|c| c.role_names()).unwrap_or_default(),
        },
        "accessToken": access,
        "accountId": ctx.as_ref().map(|c| c.tenant().to_string()),
    });
    let mut res = Json(body).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state, &refresh_token));
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    refresh_token: Option<String>,
}

async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RefreshBody>,
) -> Response {
    match do_refresh(&state, &headers, body).await {
        Ok(res) => res,
        Err(e) => {
            let mut res = e.into_response();
            if res.status() == StatusCode::UNAUTHORIZED {
                res.headers_mut()
                    .append(header::SET_COOKIE, cleared_cookie(&state));
            }
            res
        }
    }
}

async fn do_refresh(state: &AppState, headers: &HeaderMap, body: RefreshBody) -> Result<Response> {
    let now = state.clock.now();
    let token = cookie(headers, COOKIE)
        .or(body.refresh_token)
        .ok_or_else(|| Error::Unauthorized("Refresh token not found".into()))?;
    let store = state.store.as_ref();
    let session = sessions::verify(store, &token, now).await?;
    let user = users::get(store, &session.user_id)
        .await?
        .ok_or_else(|| Error::Unauthorized("Invalid or expired refresh token".into()))?;
    if !user.is_active || !user.is_verified || user.token_version != session.token_version {
        return Err(Error::Unauthorized(
            "Invalid or expired refresh token".into(),
        ));
    }
    let (session, new_token) =
        sessions::rotate(store, session, now, state.config.refresh_token_ttl_days).await?;
    let access = state.issue_access_token(&user, &session.id)?;
    let mut res = Json(json!({"accessToken": access})).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(state, &new_token));
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RefreshBody>,
) -> Result<Response> {
    let store = state.store.as_ref();
    sessions::revoke(store, &auth.session_id).await?;
    // A refresh token presented alongside, if it is the caller's, ends too.
    if let Some(id) = cookie(&headers, COOKIE)
        .or(body.refresh_token)
        .as_deref()
        .and_then(sessions::session_id_of)
    {
        if let Some(s) = sessions::get(store, id).await? {
            if s.user_id == auth.user.id {
                sessions::revoke(store, id).await?;
            }
        }
    }
    tracing::info!(user_id = %auth.user.id, session_id = %auth.session_id, "logout");
    let mut res = Json(json!({"message": "Logged out successfully"})).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, cleared_cookie(&state));
    Ok(res)
}

#[derive(Deserialize)]
struct EmailBody {
    email: Option<String>,
}

fn parse_email_body(body: EmailBody) -> Result<Email> {
    match body.email {
        None => Err(Error::validation("email", "is required")),
        Some(e) => Email::parse(&e),
    }
}

async fn forgot_password(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<Response> {
    let email = parse_email_body(body)?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    let subject = format!("reset|{email}");
    throttle::take(store, &throttle::MAIL, &subject, now).await?;
    if let Some(user) = users::find_by_email(store, &email)
        .await?
        .filter(|u| u.is_active)
    {
        let ttl = Duration::minutes(state.config.password_reset_ttl_minutes);
        let token = tokens::issue(
            store,
            Kind::ResetPassword,
            &user.id,
            user.email.as_str(),
            now,
            ttl,
        )
        .await?;
        let link = format!("{}/reset-password?token={token}", state.config.frontend_url);
        let mail = Mail {
            to: user.email.to_string(),
            subject: "Reset your Beddora password".into(),
            text: format!(
                "Someone asked to reset the password of your Beddora account.\n\nOpen this link within {} minutes to choose a new one:\n\n{link}\n\nIf it was not you, ignore this message: your password stays as it is.\n",
                state.config.password_reset_ttl_minutes
            ),
        };
        if let Err(e) = state.mailer.send(mail).await {
            tracing::error!(user_id = %user.id, error = %e, "reset mail not sent");
        }
    }
    Ok(Json(json!({"message": "If the email exists, a reset link has been sent"})).into_response())
}

#[derive(Deserialize)]
struct ResetBody {
    token: Option<String>,
    password: Option<String>,
}

async fn reset_password(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ResetBody>,
) -> Result<Response> {
    let mut v = Validator::new();
    v.check(
        body.token.as_deref().is_some_and(|t| !t.trim().is_empty()),
        "token",
        "is required",
    );
    match body.password.as_deref() {
        None => v.push("password", "is required"),
        Some(p) => {
            if check_password_strength("password", p).is_err() {
                v.push("password", "must be 10-128 characters with upper- and lower-case letters, a digit and a symbol");
            }
        }
    }
    v.finish()?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    let token = tokens::find(
        store,
        Kind::ResetPassword,
        body.token.as_deref().unwrap_or_default(),
        now,
    )
    .await?;
    let mut user = users::get(store, &token.user_id)
        .await?
        .ok_or_else(|| Error::bad_request("Invalid, expired or already used reset token"))?;
    user.password_hash = passwords::hash(body.password.as_deref().unwrap_or_default())?;
    // Every session and access token of the user ends.
    user.token_version += 1;
    if user.email.as_str() == token.email && !user.is_verified {
        // The link reached the mailbox: that proves the address.
        user.is_verified = true;
        user.verified_at = Some(now);
    }
    let ops: Vec<TxOp> = vec![token.consume_op(), user.update_op(now)];
    state
        .store
        .transact(ops)
        .await
        .map_err(|_| Error::bad_request("Invalid, expired or already used reset token"))?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(Json(json!({"message": "Password reset successfully"})).into_response())
}

#[derive(Deserialize)]
struct VerifyQuery {
    token: Option<String>,
}

async fn verify_email(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<VerifyQuery>,
) -> Result<Response> {
    let raw = q
        .token
        .ok_or_else(|| Error::validation("token", "a verification token is required"))?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    let token = tokens::find(store, Kind::VerifyEmail, &raw, now).await?;
    let mut user = users::get(store, &token.user_id)
        .await?
        .ok_or_else(|| Error::bad_request("Invalid, expired or already used verification token"))?;
    if user.email.as_str() != token.email {
        return Err(Error::bad_request(
            "This link was sent to a previous email address; request a new one",
        ));
    }
    if !user.is_verified {
        user.is_verified = true;
        user.verified_at = Some(now);
    }
    let ops = vec![token.consume_op(), user.update_op(now)];
    state
        .store
        .transact(ops)
        .await
        .map_err(|_| Error::bad_request("Invalid, expired or already used verification token"))?;
    tracing::info!(user_id = %user.id, "email verified");
    Ok(Json(json!({"message": "Email verified successfully"})).into_response())
}

async fn resend_verification(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<Response> {
    let email = parse_email_body(body)?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    let subject = format!("verify|{email}");
    throttle::take(store, &throttle::MAIL, &subject, now).await?;
    if let Some(user) = users::find_by_email(store, &email)
        .await?
        .filter(|u| u.is_active && !u.is_verified)
    {
        state.mails().send_verification(&user).await;
    }
    Ok(
        Json(json!({"message": "If the address needs verifying, a new link has been sent"}))
            .into_response(),
    )
}

async fn me(State(state): State<AppState>, auth: AuthUser) -> Result<Response> {
    let roles = tenancy::default_roles(state.store.as_ref(), &auth.user).await?;
    Ok(Json(auth.user.profile_json(&roles)).into_response())
}
