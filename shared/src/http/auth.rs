//! Access tokens and the auth extractor. Access tokens are HS256 JWTs signed with the key
//! from the app secret; each names the user, the session and the user's token version, and
//! is checked on every request against the stored user (active) and session (live).

use super::AppState;
use crate::domain::UserId;
use crate::error::{Error, Result};
use crate::identity::{sessions, users};
use crate::ports::secrets::Secrets;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "beddora";
const AUDIENCE: &str = "beddora-api";

/// The JWT signing key, and the SMTP URL, read from the app secret at cold start.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub smtp_url: Option<SecretString>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppSecret {
    jwt_signing_key: String,
    #[serde(default)]
    smtp_url: Option<String>,
}

impl TokenKeys {
    pub fn from_key(key: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            smtp_url: None,
        }
    }

    /// Loads the app secret (`{"jwtSigningKey": "...", "smtpUrl": "..."}`); a missing secret or
    /// a key shorter than 32 bytes fails the cold start.
    pub async fn load(secrets: &dyn Secrets, name: &str) -> Result<Self> {
        let raw = secrets
            .get(name)
            .await?
            .ok_or_else(|| Error::Unavailable(format!("app secret {name} does not exist")))?;
        Self::from_secret(name, &raw)
    }

    /// The same from the app secret `name` already read.
    pub fn from_secret(name: &str, raw: &SecretString) -> Result<Self> {
        let parsed: AppSecret = serde_json::from_str(raw.expose_secret()).map_err(|e| {
            Error::Unavailable(format!(
                "app secret {name} is not the expected JSON: {}",
                e.classify() as u8
            ))
        })?;
        if parsed.jwt_signing_key.len() < 32 {
            return Err(Error::Unavailable(format!(
                "jwtSigningKey in {name} must be at least 32 bytes"
            )));
        }
        let mut keys = Self::from_key(parsed.jwt_signing_key.as_bytes());
        keys.smtp_url = parsed
            .smtp_url
            .filter(|s| !s.trim().is_empty())
            .map(SecretString::from);
        Ok(keys)
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Session (refresh-token family) the token belongs to.
    pub sid: String,
    /// The user's token version when issued.
    pub tv: i64,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

impl AppState {
    /// Signs an access token for a session.
    pub fn issue_access_token(&self, user: &users::User, session_id: &str) -> Result<String> {
        let now = self.clock.now().timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            sid: session_id.to_string(),
            tv: user.token_version,
            email: user.email.to_string(),
            iat: now,
            exp: now + self.config.access_token_ttl_secs,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.keys.encoding)
            .map_err(|e| Error::Internal(format!("signing failed: {e}")))
    }

    /// Verifies signature (HS256 only: `alg: none` and other algorithms are refused), issuer,
    /// audience and expiry (by the clock port).
    pub fn verify_access_token(&self, token: &str) -> Result<Claims> {
        let claims = self.verify_access_token_signature(token)?;
        if claims.exp <= self.clock.now().timestamp() {
            return Err(invalid_token());
        }
        Ok(claims)
    }

    /// Verifies everything but expiry: for logout, which ends the session an expired token
    /// names.
    pub fn verify_access_token_signature(&self, token: &str) -> Result<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        let data = decode::<Claims>(token, &self.keys.decoding, &v).map_err(|_| invalid_token())?;
        Ok(data.claims)
    }
}

fn invalid_token() -> Error {
    Error::Unauthorized("Invalid or expired access token".into())
}

/// The authenticated caller: a verified, active user with a live session.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: users::User,
    pub session_id: String,
    pub issued_at: DateTime<Utc>,
}

impl AuthUser {
    pub fn id(&self) -> &UserId {
        &self.user.id
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Unauthorized("Authentication required".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Unauthorized("Authorization must be a Bearer token".into()))?;
        let claims = state.verify_access_token(token)?;
        let user_id = UserId::parse(&claims.sub).map_err(|_| invalid_token())?;
        let keys = [users::key(&user_id), sessions::key(&claims.sid)];
        let items = state.store.batch_get(&keys).await?;
        let user = items
            .iter()
            .find(|i| i.get("sk").and_then(|v| v.as_s()) == Some("PROFILE"))
            .map(users::User::from_item)
            .transpose()?
            .ok_or_else(invalid_token)?;
        let session = items
            .iter()
            .find(|i| i.get("sk").and_then(|v| v.as_s()) == Some("SESSION"))
            .map(sessions::Session::from_item)
            .transpose()?
            .ok_or_else(invalid_token)?;
        let now = state.clock.now();
        if !user.is_active {
            return Err(Error::Unauthorized("Account is deactivated".into()));
        }
        if claims.tv != user.token_version
            || session.user_id != user.id
            || !session.is_live(now, user.token_version)
        {
            return Err(invalid_token());
        }
        Ok(AuthUser {
            user,
            session_id: session.id,
            issued_at: DateTime::from_timestamp(claims.iat, 0).unwrap_or(now),
        })
    }
}
