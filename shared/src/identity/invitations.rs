//! Invitations to join an account: mailed, single-use, expiring. An ADMIN (or anyone with
//! `users.write`) invites an address with a role; whoever controls that mailbox and signs in
//! with that address accepts. The inviter never learns whether the address is registered,
//! and nobody is put into an account without accepting.
//!
//! Key: `INVITE#<sha256(token)>/INVITE` (only the token's hash is stored), expiring by TTL.

use super::tenancy::Membership;
use super::{random_token, token_hash, ItemBuilder, ItemExt};
use crate::domain::{Email, TenantId, UserId};
use crate::error::{Error, Result};
use crate::ports::store::{Condition, Key, Store, TxOp};
use chrono::{DateTime, Duration, Utc};

/// How long an invitation can be accepted.
pub const TTL: Duration = Duration::days(7);

fn key(token: &str) -> Key {
    Key::new(format!("INVITE#{}", token_hash(token)), "INVITE")
}

#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: String,
    pub tenant: TenantId,
    pub email: Email,
    pub role: String,
    pub invited_by: UserId,
    pub expires_at: DateTime<Utc>,
    key: Key,
}

/// Stores a new invitation; returns it with the raw token (to mail, never to store).
pub async fn create(
    store: &dyn Store,
    tenant: &TenantId,
    email: &Email,
    role: &str,
    invited_by: &UserId,
    now: DateTime<Utc>,
) -> Result<(Invitation, String)> {
    let token = random_token();
    let k = key(&token);
    let inv = Invitation {
        id: uuid::Uuid::new_v4().to_string(),
        tenant: tenant.clone(),
        email: email.clone(),
        role: role.to_string(),
        invited_by: invited_by.clone(),
        expires_at: now + TTL,
        key: k.clone(),
    };
    let item = ItemBuilder::new(k.pk, k.sk)
        .s("type", "invitation")
        .s("id", inv.id.clone())
        .s("accountId", tenant.as_str())
        .s("email", email.as_str())
        .s("role", role)
        .s("invitedBy", invited_by.as_str())
        .time("createdAt", now)
        .time("expiresAt", inv.expires_at)
        .ttl(inv.expires_at)
        .build();
    store.put(item, Some(Condition::NotExists)).await?;
    Ok((inv, token))
}

fn unusable() -> Error {
    Error::bad_request("Invalid, expired or already used invitation")
}

/// Looks a presented invitation token up; unknown, used and expired ones are a 400.
pub async fn find(store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<Invitation> {
    let token = token.trim();
    if token.is_empty() || token.len() > 256 {
        return Err(Error::validation(
            "token",
            "an invitation token is required",
        ));
    }
    let k = key(token);
    let item = store.get(&k).await?.ok_or_else(unusable)?;
    let expires_at = item.time("expiresAt")?;
    if expires_at <= now {
        return Err(unusable());
    }
    Ok(Invitation {
        id: item.s("id")?,
        tenant: TenantId::parse(&item.s("accountId")?)?,
        email: Email::parse(&item.s("email")?)?,
        role: item.s("role")?,
        invited_by: UserId::parse(&item.s("invitedBy")?)?,
        expires_at,
        key: k,
    })
}

impl Invitation {
    /// The writes that accept it: the invitation is consumed with the new membership, so it
    /// works once.
    pub fn accept_ops(&self, user: &UserId, now: DateTime<Utc>) -> Vec<TxOp> {
        let mut ops = vec![TxOp::Delete {
            key: self.key.clone(),
            condition: Some(Condition::Exists),
        }];
        ops.extend(
            // The invitation, read from the store, proves the tenant: an ADMIN of it wrote it.
            Membership::new(
                crate::keys::Tenant::verified(self.tenant.clone()),
                user.clone(),
                vec![self.role.clone()],
                now,
            )
            .create_ops(),
        );
        ops
    }
}
