//! Refresh-token sessions. A session is one login on one device (`SESSION#<id>/SESSION`,
//! listed per user on gsi1). Its refresh token is `<sessionId>.<secret>`; only the secret's
//! hash is stored. Every refresh rotates the secret; presenting an already-rotated secret is
//! reuse (a stolen token) and revokes the session, ending every token of that family.
//!
//! Two exceptions keep real users signed in: within [`GRACE`] of a rotation the secret just
//! rotated away still answers, with the same successor (several tabs refresh at once on page
//! load); the successor is stored sealed with the old secret, so only its holder can unseal
//! it. And a secret the session never issued (a guessed or garbled one) revokes nothing: a
//! session id alone, readable in every access token, must not be enough to end a session.

use super::{token_hash, ItemBuilder, ItemExt};
use crate::domain::UserId;
use crate::error::{Error, Result};
use crate::ports::store::{Condition, Key, Store, StoreError, Value};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// How long a just-rotated refresh token still answers with its successor.
pub const GRACE: Duration = Duration::seconds(30);
/// How many rotated-away secrets a session remembers to recognise reuse.
const REMEMBERED: usize = 16;

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
    /// Hashes of the secrets rotated away, newest first.
    pub previous_hashes: Vec<String>,
    pub rotated_at: Option<DateTime<Utc>>,
    /// The current secret sealed with the previous one (for the grace window).
    pub successor_sealed: Option<String>,
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
            .list_s("previousHashes", &self.previous_hashes)
            .opt_time("rotatedAt", self.rotated_at)
            .opt_s("successorSealed", self.successor_sealed.clone())
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
            previous_hashes: i.list_s("previousHashes"),
            rotated_at: i.opt_time("rotatedAt"),
            successor_sealed: i.opt_s("successorSealed"),
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
        previous_hashes: vec![],
        rotated_at: None,
        successor_sealed: None,
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

fn reused() -> Error {
    Error::Unauthorized("Refresh token was already used; please log in again".into())
}

/// The keystream that seals a successor secret: only the holder of the old secret has it.
fn seal_key(old_secret: &str) -> [u8; 32] {
    Sha256::digest(format!("beddora-successor|{old_secret}").as_bytes()).into()
}

fn seal(successor: &str, old_secret: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(successor)
        .ok()?;
    let key = seal_key(old_secret);
    (raw.len() == key.len())
        .then(|| hex::encode(raw.iter().zip(key).map(|(a, b)| a ^ b).collect::<Vec<u8>>()))
}

fn unseal(sealed: &str, old_secret: &str) -> Option<String> {
    let raw = hex::decode(sealed).ok()?;
    let key = seal_key(old_secret);
    (raw.len() == key.len()).then(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(raw.iter().zip(key).map(|(a, b)| a ^ b).collect::<Vec<u8>>())
    })
}

/// What a presented refresh token turned out to be.
#[derive(Debug, Clone)]
pub enum Presented {
    /// The session's current secret: rotate it.
    Current(Session),
    /// The secret rotated away less than [`GRACE`] ago: answer with this successor token.
    JustRotated(Session, String),
}

impl Presented {
    pub fn session(&self) -> &Session {
        match self {
            Presented::Current(s) | Presented::JustRotated(s, _) => s,
        }
    }
}

/// Reads a presented token against its session without changing anything. `Ok(None)` means a
/// secret this session never issued: refused, and nothing is revoked.
fn classify(session: Session, secret: &str, now: DateTime<Utc>) -> Result<Option<Presented>> {
    let presented = token_hash(secret);
    if session.secret_hash == presented {
        return Ok(Some(Presented::Current(session)));
    }
    let just_rotated = session.previous_hashes.first() == Some(&presented)
        && session.rotated_at.is_some_and(|t| now - t <= GRACE);
    if just_rotated {
        if let Some(next) = session
            .successor_sealed
            .as_deref()
            .and_then(|s| unseal(s, secret))
            .filter(|next| token_hash(next) == session.secret_hash)
        {
            let token = format!("{}.{next}", session.id);
            return Ok(Some(Presented::JustRotated(session, token)));
        }
    }
    if session.previous_hashes.contains(&presented) {
        return Err(reused());
    }
    Ok(None)
}

/// Checks a presented refresh token. Reuse of a rotated token (after the grace window)
/// revokes the session and fails; a secret the session never issued fails and revokes
/// nothing. The caller still checks the user's token version.
pub async fn verify(store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<Presented> {
    let (id, secret) = split(token).ok_or_else(invalid)?;
    let session = get(store, id).await?.ok_or_else(invalid)?;
    if session.revoked || session.expires_at <= now {
        return Err(invalid());
    }
    let (sid, uid) = (session.id.clone(), session.user_id.clone());
    match classify(session, secret, now) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => {
            tracing::info!(session_id = %sid, "refresh token with a wrong secret refused");
            Err(invalid())
        }
        Err(e) => {
            tracing::warn!(session_id = %sid, user_id = %uid, "refresh token reuse detected; revoking the session");
            revoke(store, id).await?;
            Err(e)
        }
    }
}

/// Replaces the session's secret (after `verify` said `Current`); returns the session and the
/// new refresh token. A request that lost the race to rotate the same token gets the winner's
/// successor, within the grace window.
pub async fn rotate(
    store: &dyn Store,
    mut session: Session,
    presented: &str,
    now: DateTime<Utc>,
    ttl_days: i64,
) -> Result<(Session, String)> {
    let (_, old_secret) = split(presented).ok_or_else(invalid)?;
    let new_secret = super::random_token();
    let read_hash = std::mem::replace(&mut session.secret_hash, token_hash(&new_secret));
    session.previous_hashes.insert(0, read_hash.clone());
    session.previous_hashes.truncate(REMEMBERED);
    session.rotated_at = Some(now);
    session.successor_sealed = seal(&new_secret, old_secret);
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
        // Another request rotated the same token first: within the grace window that is a
        // second tab, and it gets the same successor.
        Err(StoreError::ConditionFailed) => match verify(store, presented, now).await? {
            Presented::JustRotated(s, token) => Ok((s, token)),
            Presented::Current(_) => Err(Error::Conflict(
                "The session changed while refreshing; please retry".into(),
            )),
        },
        Err(e) => Err(e.into()),
    }
}

/// Ends the session a refresh token names, if the token is one the session issued (current
/// or rotated) and, when `owner` (a user id) is given, the session is theirs; a wrong secret
/// ends nothing. Returns the session that ended.
pub async fn end(store: &dyn Store, token: &str, owner: Option<&str>) -> Result<Option<Session>> {
    let Some((id, secret)) = split(token) else {
        return Ok(None);
    };
    let Some(session) = get(store, id).await? else {
        return Ok(None);
    };
    let presented = token_hash(secret);
    let issued = session.secret_hash == presented || session.previous_hashes.contains(&presented);
    if !issued || owner.is_some_and(|o| o != session.user_id.as_str()) {
        return Ok(None);
    }
    revoke(store, id).await?;
    Ok(Some(session))
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
