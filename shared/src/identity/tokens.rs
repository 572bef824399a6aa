//! Single-use, short-lived tokens mailed to users (email verification, password reset,
//! sign-in links).
//! Stored as `OTT#<kind>#<sha256>/TOKEN`; using one deletes it in the same transaction as
//! its effect, so it works exactly once.

use super::{random_token, token_hash, ItemBuilder, ItemExt};
use crate::domain::UserId;
use crate::error::{Error, Result};
use crate::ports::store::{Condition, Key, Store, TxOp};
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    VerifyEmail,
    ResetPassword,
    /// A mailed sign-in link (past a login throttle).
    SignIn,
    /// Confirms a new address for an existing user (the token's email is the new address).
    ChangeEmail,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "VERIFY",
            Kind::ResetPassword => "RESET",
            Kind::SignIn => "SIGNIN",
            Kind::ChangeEmail => "CHANGE",
        }
    }
}

fn key(kind: Kind, token: &str) -> Key {
    Key::new(format!("OTT#{}#{}", kind.tag(), token_hash(token)), "TOKEN")
}

/// Issues a token for the user; returns the raw token (to mail, never to store).
pub async fn issue(
    store: &dyn Store,
    kind: Kind,
    user: &UserId,
    email: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<String> {
    let token = random_token();
    let k = key(kind, &token);
    let expires = now + ttl;
    let item = ItemBuilder::new(k.pk, k.sk)
        .s("type", "token")
        .s("userId", user.as_str())
        .s("email", email)
        .time("expiresAt", expires)
        .ttl(expires)
        .build();
    store.put(item, Some(Condition::NotExists)).await?;
    Ok(token)
}

/// A token that was found and is still valid.
#[derive(Debug, Clone)]
pub struct Redeemable {
    pub user_id: UserId,
    /// The address it was sent to (a verification is for that address only).
    pub email: String,
    key: Key,
}

impl Redeemable {
    /// Consumes the token; put it in the transaction that applies its effect.
    pub fn consume_op(&self) -> TxOp {
        TxOp::Delete {
            key: self.key.clone(),
            condition: Some(Condition::Exists),
        }
    }
}

/// Looks a presented token up. Unknown, used and expired tokens give a 400 that says which.
pub async fn find(
    store: &dyn Store,
    kind: Kind,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Redeemable> {
    let what = match kind {
        Kind::VerifyEmail => "verification",
        Kind::ResetPassword => "reset",
        Kind::SignIn => "sign-in",
        Kind::ChangeEmail => "verification",
    };
    if token.trim().is_empty() || token.len() > 256 {
        return Err(Error::validation(
            "token",
            format!("a {what} token is required"),
        ));
    }
    let k = key(kind, token.trim());
    // Expired items are invisible to `get`, so an expired token reads as unknown or used.
    let item = store.get(&k).await?.ok_or_else(|| {
        Error::bad_request(format!("Invalid, expired or already used {what} token"))
    })?;
    if item.time("expiresAt")? <= now {
        return Err(Error::bad_request(format!("The {what} token has expired")));
    }
    Ok(Redeemable {
        user_id: UserId::parse(&item.s("userId")?)?,
        email: item.s("email")?,
        key: k,
    })
}
