//! The auth endpoint group (`/api/auth/*`, `/health`): registration, email verification,
//! login, refresh-token rotation, logout, password reset and the current user.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use shared::domain::{check_password_strength, Email, TenantId, UserId};
use shared::error::{Error, Result, Validator};
use shared::http::{
    cookie as read_cookie, AppState, AuthUser, ClientIp, Endpoint, JsonBody, QueryParams,
};
use shared::identity::sessions::Presented;
use shared::identity::tokens::{self, Kind};
use shared::identity::{mails, passwords, rfc3339, sessions, tenancy, throttle, users};
use shared::ports::store::{apply, Key, StoreError, TxOp};

const COOKIE: &str = "refreshToken";

/// Every route of the group, with the shared layers.
pub fn router(state: AppState) -> Router {
    shared::http::finish(routes(), state)
}

/// The group's routes without layers, for merging (the local runner).
pub fn routes() -> Router<AppState> {
    shared::http::route_all(endpoints())
}

/// Every endpoint of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        (Method::GET, "/health", get(health)),
        (Method::POST, "/api/auth/register", post(register)),
        (Method::POST, "/api/auth/login", post(login)),
        (Method::POST, "/api/auth/sign-in", post(sign_in_with_link)),
        (Method::POST, "/api/auth/refresh", post(refresh)),
        (Method::POST, "/api/auth/logout", post(logout)),
        (
            Method::POST,
            "/api/auth/forgot-password",
            post(forgot_password),
        ),
        (
            Method::POST,
            "/api/auth/reset-password",
            post(reset_password),
        ),
        (Method::GET, "/api/auth/verify-email", get(verify_email)),
        (
            Method::POST,
            "/api/auth/resend-verification",
            post(resend_verification),
        ),
        (Method::GET, "/api/auth/me", get(me)),
    ]
}

fn set_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let c = cookie::Cookie::build((COOKIE, value.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/api/auth")
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .secure(state.config.cookie_secure)
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie header is ASCII")
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

/// The one answer to a registration, whether or not the address was already registered: the
/// owner of a known address gets a mail saying so instead.
const REGISTERED: &str = "Registration received. Check your email to verify your account.";

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
    let name = match body.name.as_deref().filter(|n| !n.trim().is_empty()) {
        None => None,
        Some(n) => match shared::identity::display_name(n, 100) {
            Ok(n) => Some(n),
            Err(why) => {
                v.push("name", why);
                None
            }
        },
    };
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
        // Hashed for known addresses too, so both take the same time.
        password_hash: passwords::hash(&password).await?,
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
        Ok(()) => {
            tracing::info!(user_id = %user.id, account_id = %account.id, "user registered");
            mails::send_verification(&state, &user);
        }
        Err(StoreError::TransactionCanceled { reasons })
            if reasons.first().is_some_and(Option::is_some) =>
        {
            tracing::info!("registration for an address already registered");
            mails::send_already_registered(&state, &email);
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::CREATED, Json(json!({"message": REGISTERED}))).into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    email: Option<String>,
    password: Option<String>,
}

/// Longest password a login accepts (registration allows 128 characters).
const MAX_LOGIN_PASSWORD: usize = 1024;

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response> {
    let now = state.clock.now();
    let mut v = Validator::new();
    v.check(
        body.email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty() && e.len() <= 254),
        "email",
        "is required, at most 254 characters",
    );
    v.check(
        body.password
            .as_deref()
            .is_some_and(|p| !p.is_empty() && p.len() <= MAX_LOGIN_PASSWORD),
        "password",
        "is required, at most 1024 characters",
    );
    v.finish()?;
    let email_text = body.email.unwrap_or_default().trim().to_lowercase();
    let password = body.password.unwrap_or_default();
    let per_ip = format!("{email_text}|{ip}");
    let store = state.store.as_ref();
    let mut limits: Vec<(&throttle::Limit, &str)> = vec![(&throttle::LOGIN, per_ip.as_str())];
    limits.extend(
        throttle::LOGIN_ACCOUNT
            .iter()
            .map(|l| (l, email_text.as_str())),
    );
    // Each attempt is counted before the password is checked; a correct one is uncounted.
    let claims = match throttle::take_all(store, &limits, now).await {
        Ok(c) => c,
        Err(e @ Error::TooManyRequests { .. }) => {
            offer_sign_in_link(&state, &email_text).await;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let user = match Email::parse(&email_text) {
        Ok(e) => users::find_by_email(store, &e).await?,
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(passwords::dummy_hash());
    let password_ok = passwords::verify(&password, hash).await && user.is_some();
    let Some(user) = user.filter(|_| password_ok) else {
        tracing::info!("login refused: bad credentials");
        return Err(Error::Unauthorized("Invalid email or password".into()));
    };
    for c in claims {
        throttle::release(store, c).await?;
    }
    if !user.is_active {
        return Err(Error::Forbidden("Account is deactivated".into()));
    }
    if !user.is_verified {
        return Err(Error::Forbidden(
            "Please verify your email before logging in".into(),
        ));
    }
    signed_in(&state, &user).await
}

/// A throttled login mails the address's owner a single-use sign-in link (at most a few an
/// hour), so guessing by others slows them down but never locks them out. The throttled
/// answer is the same whether or not the address is registered.
async fn offer_sign_in_link(state: &AppState, email_text: &str) {
    let Ok(email) = Email::parse(email_text) else {
        return;
    };
    let store = state.store.as_ref();
    let now = state.clock.now();
    if throttle::take(store, &throttle::MAIL, &format!("signin|{email}"), now)
        .await
        .is_err()
    {
        return;
    }
    match users::find_by_email(store, &email).await {
        Ok(Some(user)) if user.is_active && user.is_verified => {
            mails::send_sign_in_link(state, &user)
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sign-in link not offered"),
    }
}

/// Starts a session for a user who proved who they are; the login body and cookie.
async fn signed_in(state: &AppState, user: &users::User) -> Result<Response> {
    let store = state.store.as_ref();
    let (session, refresh_token) = sessions::create(
        store,
        &user.id,
        user.token_version,
        state.clock.now(),
        state.config.refresh_token_ttl_days,
    )
    .await?;
    let access = state.issue_access_token(user, &session.id)?;
    let ctx = match tenancy::resolve(store, user, None).await {
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
        .append(header::SET_COOKIE, session_cookie(state, &refresh_token));
    Ok(res)
}

#[derive(Deserialize)]
struct TokenBody {
    token: Option<String>,
}

/// `POST /api/auth/sign-in` `{token}`: signs in with a mailed sign-in link, past any login
/// throttle (the link proves control of the mailbox). Single use.
async fn sign_in_with_link(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response> {
    let now = state.clock.now();
    let store = state.store.as_ref();
    let raw = body
        .token
        .ok_or_else(|| Error::validation("token", "a sign-in token is required"))?;
    let token = tokens::find(store, Kind::SignIn, &raw, now).await?;
    let user = users::get(store, &token.user_id)
        .await?
        .filter(|u| u.is_active && u.is_verified && u.email.as_str() == token.email)
        .ok_or_else(|| Error::bad_request("Invalid, expired or already used sign-in token"))?;
    apply(store, token.consume_op())
        .await
        .map_err(|_| Error::bad_request("Invalid, expired or already used sign-in token"))?;
    signed_in(&state, &user).await
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
    let token = read_cookie(headers, COOKIE)
        .or(body.refresh_token)
        .filter(|t| t.len() <= 512)
        .ok_or_else(|| Error::Unauthorized("Refresh token not found".into()))?;
    let store = state.store.as_ref();
    let presented = sessions::verify(store, &token, now).await?;
    let session = presented.session();
    let user = users::get(store, &session.user_id)
        .await?
        .ok_or_else(|| Error::Unauthorized("Invalid or expired refresh token".into()))?;
    if !user.is_active || !user.is_verified || user.token_version != session.token_version {
        return Err(Error::Unauthorized(
            "Invalid or expired refresh token".into(),
        ));
    }
    let (session, new_token) = match presented {
        Presented::Current(s) => {
            sessions::rotate(store, s, &token, now, state.config.refresh_token_ttl_days).await?
        }
        // A second tab within the grace window: the same successor the first one got.
        Presented::JustRotated(s, successor) => (s, successor),
    };
    let access = state.issue_access_token(&user, &session.id)?;
    let mut res = Json(json!({"accessToken": access})).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(state, &new_token));
    Ok(res)
}

/// `POST /api/auth/logout`: ends the session named by the refresh token (cookie, then body)
/// and clears the cookie, whether or not the access token is still valid. An access token,
/// even an expired one, ends its own session too; a refresh token of another user than the
/// access token's is left alone.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RefreshBody>,
) -> Result<Response> {
    let store = state.store.as_ref();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .and_then(|t| state.verify_access_token_signature(t.trim()).ok());
    if let Some(claims) = &bearer {
        if let Some(s) = sessions::get(store, &claims.sid).await? {
            if s.user_id.as_str() == claims.sub {
                sessions::revoke(store, &s.id).await?;
            }
        }
    }
    if let Some(token) = read_cookie(&headers, COOKIE)
        .or(body.refresh_token)
        .filter(|t| t.len() <= 512)
    {
        let owner = bearer.as_ref().map(|c| c.sub.as_str());
        if let Some(s) = sessions::end(store, &token, owner).await? {
            tracing::info!(user_id = %s.user_id, session_id = %s.id, "logout");
        }
    }
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

/// `POST /api/auth/forgot-password`: the same answer for every address; a link is mailed
/// (off the request path) only to an active account's.
async fn forgot_password(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<Response> {
    let email = parse_email_body(body)?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    throttle::take(store, &throttle::MAIL, &format!("reset|{email}"), now).await?;
    if let Some(user) = users::find_by_email(store, &email)
        .await?
        .filter(|u| u.is_active)
    {
        mails::send_reset(&state, &user);
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
    user.password_hash = passwords::hash(body.password.as_deref().unwrap_or_default()).await?;
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

/// `GET /api/auth/verify-email?token=`: verifies the address a registration link was sent
/// to, or moves the account to the new address a change link was sent to.
async fn verify_email(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<VerifyQuery>,
) -> Result<Response> {
    let raw = q
        .token
        .ok_or_else(|| Error::validation("token", "a verification token is required"))?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    let used = || Error::bad_request("Invalid, expired or already used verification token");
    let token = match tokens::find(store, Kind::VerifyEmail, &raw, now).await {
        Ok(t) => t,
        Err(Error::Validation { .. }) => {
            let change = tokens::find(store, Kind::ChangeEmail, &raw, now).await?;
            let mut user = users::get(store, &change.user_id).await?.ok_or_else(used)?;
            let new = Email::parse(&change.email)?;
            users::change_email(store, &mut user, new, now, vec![change.consume_op()]).await?;
            tracing::info!(user_id = %user.id, "email changed");
            return Ok(Json(json!({"message": "Email verified successfully"})).into_response());
        }
        Err(e) => return Err(e),
    };
    let mut user = users::get(store, &token.user_id).await?.ok_or_else(used)?;
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
    state.store.transact(ops).await.map_err(|_| used())?;
    tracing::info!(user_id = %user.id, "email verified");
    Ok(Json(json!({"message": "Email verified successfully"})).into_response())
}

/// `POST /api/auth/resend-verification`: the same answer for every address.
async fn resend_verification(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<Response> {
    let email = parse_email_body(body)?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    throttle::take(store, &throttle::MAIL, &format!("verify|{email}"), now).await?;
    if let Some(user) = users::find_by_email(store, &email)
        .await?
        .filter(|u| u.is_active && !u.is_verified)
    {
        mails::send_verification(&state, &user);
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
