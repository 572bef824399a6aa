//! Refresh-token sessions. A session is one login on one device (`SESSION#<id>/SESSION`,
//! listed per user on gsi1). Its refresh token is `<sessionId>.<secret>`; only the secret's
//! hash is stored. Every refresh rotates the secret; presenting an already-rotated secret is
//! reuse (a stolen token) and revokes the session, ending every token of that family.

use super::{token_hash, ItemBuilder, ItemExt};
use crate::domain::UserId;
use crate::error::{Error, Result};
use crate::ports::store::{Condition, Key, Store, StoreError, Value};
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub user_id: UserId,
    pub secret_hash: String,
    pub token_version: i64,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub rotations: i64,
}

pub fn key(id: &str) -> Key {
    Key::new(format!("SESSION#{id}"), "SESSION")
}

impl Session {
    fn to_item(&self) -> crate::ports::store::Item {
        let k = key(&self.id);
        ItemBuilder::new(k.pk, k.sk)
            .s("type", "session")
            .s("id", self.id.clone())
            .s("userId", self.user_id.as_str())
            .s("secretHash", self.secret_hash.clone())
            .n("tokenVersion", self.token_version)
            .flag("revoked", self.revoked)
            .time("createdAt", self.created_at)
            .time("expiresAt", self.expires_at)
            .n("rotations", self.rotations)
            .s("gsi1pk", format!("USER#{}", self.user_id))
            .s("gsi1sk", format!("SESSION#{}", self.id))
            .ttl(self.expires_at)
            .build()
    }

    pub fn from_item(i: &crate::ports::store::Item) -> Result<Self> {
        Ok(Self {
            id: i.s("id")?,
            user_id: UserId::parse(&i.s("userId")?)?,
            secret_hash: i.s("secretHash")?,
            token_version: i.n_i64("tokenVersion")?,
            revoked: i.flag("revoked"),
            created_at: i.time("createdAt")?,
            expires_at: i.time("expiresAt")?,
            rotations: i.n_i64("rotations")?,
        })
    }

    /// Usable: not revoked, not expired, and issued under the user's current token version.
    pub fn is_live(&self, now: DateTime<Utc>, user_token_version: i64) -> bool {
        !self.revoked && self.expires_at > now && self.token_version == user_token_version
    }
}

fn split(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    (uuid::Uuid::parse_str(id).is_ok() && !secret.is_empty()).then_some((id, secret))
}

/// Starts a session; returns it with its refresh token.
pub async fn create(
    store: &dyn Store,
    user_id: &UserId,
    token_version: i64,
    now: DateTime<Utc>,
    ttl_days: i64,
) -> Result<(Session, String)> {
    let id = uuid::Uuid::new_v4().to_string();
    let secret = super::random_token();
    let session = Session {
        id: id.clone(),
        user_id: user_id.clone(),
        secret_hash: token_hash(&secret),
        token_version,
        revoked: false,
        created_at: now,
        expires_at: now + Duration::days(ttl_days),
        rotations: 0,
    };
    store
        .put(session.to_item(), Some(Condition::NotExists))
        .await?;
    Ok((session, format!("{id}.{secret}")))
}

pub async fn get(store: &dyn Store, id: &str) -> Result<Option<Session>> {
    store
        .get(&key(id))
        .await?
        .as_ref()
        .map(Session::from_item)
        .transpose()
}

fn invalid() -> Error {
    Error::Unauthorized("Invalid or expired refresh token".into())
}

/// Checks a presented refresh token and returns its session. Reuse of a rotated token
/// revokes the session and fails. The caller still checks the user's token version.
pub async fn verify(store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<Session> {
    let (id, secret) = split(token).ok_or_else(invalid)?;
    let session = get(store, id).await?.ok_or_else(invalid)?;
    if session.revoked || session.expires_at <= now {
        return Err(invalid());
    }
    if session.secret_hash != token_hash(secret) {
        tracing::warn!(session_id = %session.id, user_id = %session.user_id, "refresh token reuse detected; revoking the session");
        revoke(store, id).await?;
        return Err(reused());
    }
    Ok(session)
}

fn reused() -> Error {
    Error::Unauthorized("Refresh token was already used; please log in again".into())
}

/// Replaces the session's secret (after `verify`); returns the new refresh token.
pub async fn rotate(
    store: &dyn Store,
    mut session: Session,
    now: DateTime<Utc>,
    ttl_days: i64,
) -> Result<(Session, String)> {
    let new_secret = super::random_token();
    let read_hash = std::mem::replace(&mut session.secret_hash, token_hash(&new_secret));
    session.rotations += 1;
    session.expires_at = now + Duration::days(ttl_days);
    let id = session.id.clone();
    match store
        .put(
            session.to_item(),
            Some(Condition::All(vec![
                Condition::Equals("secretHash".into(), Value::S(read_hash)),
                Condition::Equals("revoked".into(), Value::Bool(false)),
            ])),
        )
        .await
    {
        Ok(()) => Ok((session, format!("{id}.{new_secret}"))),
        // Another request rotated the same token first: that is reuse too.
        Err(StoreError::ConditionFailed) => {
            revoke(store, &id).await?;
            Err(reused())
        }
        Err(e) => Err(e.into()),
    }
}

/// Moves a live session to the user's new token version (after a password change on it).
pub async fn rebind(store: &dyn Store, mut session: Session, token_version: i64) -> Result<()> {
    session.token_version = token_version;
    store
        .put(
            session.to_item(),
            Some(Condition::Equals("revoked".into(), Value::Bool(false))),
        )
        .await?;
    Ok(())
}

/// Ends a session (idempotent).
pub async fn revoke(store: &dyn Store, id: &str) -> Result<()> {
    if let Some(mut s) = get(store, id).await? {
        s.revoked = true;
        store.put(s.to_item(), None).await?;
    }
    Ok(())
}

/// The session id a refresh token names, if it is well formed.
pub fn session_id_of(token: &str) -> Option<&str> {
    split(token).map(|(id, _)| id)
}
