//! Pending "Connect Amazon" consents: the single-use `state` the authorize call hands to
//! Amazon's consent page, bound to the user, tenant, region, marketplace and exact redirect
//! URI that asked for it. The OAuth callback carries no bearer token: the state is what
//! authenticates it, so it is random (256 bits), short-lived, stored only as its SHA-256
//! digest, and consumed by a conditional delete: of two callbacks with one state, exactly one
//! proceeds.
//!
//! Key: `OAUTHSTATE#<digest>/STATE` (`crate::keys::oauth_state`), with a TTL.

use crate::domain::UserId;
use crate::error::Result;
use crate::identity::tenancy;
use crate::keys::{self, Tenant};
use crate::ports::store::{Condition, ItemBuilder, ItemExt, Store, StoreError};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a consent may take, from the authorize call to the callback.
pub const STATE_TTL: Duration = Duration::minutes(10);

/// What a state was created for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConsent {
    pub user_id: UserId,
    /// The tenant's id as stored; [`Consents::consume`] checks it still exists.
    pub tenant_id: crate::domain::TenantId,
    /// `NA`, `EU` or `FE`.
    pub region: String,
    /// The marketplace country the user chose (`US`, `DE`, …).
    pub marketplace: String,
    /// The exact redirect URI sent to Amazon (the code exchange must repeat it).
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A consumed state: the consent it was for, its tenant checked.
#[derive(Debug, Clone)]
pub struct Consumed {
    pub consent: PendingConsent,
    pub tenant: Tenant,
}

/// Why a callback's state is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error(
        "The authorization request is unknown or was already used; start \"Connect Amazon\" again"
    )]
    Unknown,
    #[error("The authorization request expired (it is valid for 10 minutes); start \"Connect Amazon\" again")]
    Expired,
    #[error("The account or membership that started this authorization no longer exists")]
    Orphaned,
}

fn digest(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// The consents repository.
#[derive(Clone, Copy)]
pub struct Consents<'a> {
    store: &'a dyn Store,
}

impl<'a> Consents<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    /// Stores a new pending consent and returns its state (URL-safe, 43 characters).
    pub async fn create(
        &self,
        user_id: &UserId,
        tenant: &Tenant,
        region: &str,
        marketplace: &str,
        redirect_uri: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let state = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let expires_at = now + STATE_TTL;
        let item = ItemBuilder::at(keys::oauth_state(&digest(&state)))
            .s("type", "oauth-state")
            .s("userId", user_id.to_string())
            .s("accountId", tenant.to_string())
            .s("region", region)
            .s("marketplace", marketplace)
            .s("redirectUri", redirect_uri)
            .time("createdAt", now)
            .time("expiresAt", expires_at)
            .ttl(expires_at)
            .build();
        self.store.put(item, Some(Condition::NotExists)).await?;
        Ok(state)
    }

    /// Takes the state: at most one caller ever gets it. Expired, unknown and used states
    /// are refused; so is one whose tenant or membership is gone.
    pub async fn consume(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Consumed, StateError>> {
        if state.is_empty() || state.len() > 128 {
            return Ok(Err(StateError::Unknown));
        }
        let key = keys::oauth_state(&digest(state));
        let Some(item) = self.store.get(&key).await? else {
            return Ok(Err(StateError::Unknown));
        };
        // The conditional delete is the single use: a second caller finds nothing to delete.
        match self.store.delete(&key, Some(Condition::Exists)).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(Err(StateError::Unknown)),
            Err(e) => return Err(e.into()),
        }
        let consent = PendingConsent {
            user_id: UserId::parse(&item.s("userId")?)?,
            tenant_id: crate::domain::TenantId::parse(&item.s("accountId")?)?,
            region: item.s("region")?,
            marketplace: item.s("marketplace")?,
            redirect_uri: item.s("redirectUri")?,
            created_at: item.time("createdAt")?,
            expires_at: item.time("expiresAt")?,
        };
        if consent.expires_at <= now {
            return Ok(Err(StateError::Expired));
        }
        let Some(tenant) = tenancy::existing(self.store, &consent.tenant_id).await? else {
            return Ok(Err(StateError::Orphaned));
        };
        if tenancy::membership(self.store, &tenant, &consent.user_id)
            .await?
            .is_none()
        {
            return Ok(Err(StateError::Orphaned));
        }
        Ok(Ok(Consumed { consent, tenant }))
    }
}
