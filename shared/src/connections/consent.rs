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
    /// The frontend's callback page the user started from (its origin gets the browser back).
    pub redirect_uri: String,
    /// The exact redirect URI sent to Amazon, which the code exchange must repeat: the return
    /// hop's URL when one is configured, else `redirect_uri`.
    pub amazon_redirect_uri: String,
    /// The connection an Amazon Ads consent is for (`None`: a "Connect Amazon" SP-API
    /// consent). A state is only ever taken by the callback of its own kind.
    pub ads_connection: Option<String>,
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

fn pending(item: &crate::ports::store::Item) -> Result<PendingConsent> {
    let redirect_uri = item.s("redirectUri")?;
    Ok(PendingConsent {
        user_id: UserId::parse(&item.s("userId")?)?,
        tenant_id: crate::domain::TenantId::parse(&item.s("accountId")?)?,
        region: item.s("region")?,
        marketplace: item.s("marketplace")?,
        amazon_redirect_uri: item
            .opt_s("amazonRedirectUri")
            .unwrap_or_else(|| redirect_uri.clone()),
        ads_connection: item.opt_s("adsConnection"),
        redirect_uri,
        created_at: item.time("createdAt")?,
        expires_at: item.time("expiresAt")?,
    })
}

/// Where a consent returns: the frontend's page, and the URL Amazon is given (the same, or
/// the return hop that forwards to the page).
#[derive(Debug, Clone, Copy)]
pub struct Redirects<'a> {
    pub page: &'a str,
    pub amazon: &'a str,
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
        (region, marketplace): (&str, &str),
        redirects: Redirects<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        self.create_of(user_id, tenant, (region, marketplace), redirects, None, now)
            .await
    }

    /// Stores a new pending Amazon Ads consent for `connection` (of `tenant`) and returns its
    /// state; only [`Consents::consume_ads`] takes it.
    pub async fn create_ads(
        &self,
        user_id: &UserId,
        tenant: &Tenant,
        (region, marketplace): (&str, &str),
        connection: &str,
        redirects: Redirects<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        self.create_of(
            user_id,
            tenant,
            (region, marketplace),
            redirects,
            Some(connection),
            now,
        )
        .await
    }

    async fn create_of(
        &self,
        user_id: &UserId,
        tenant: &Tenant,
        (region, marketplace): (&str, &str),
        redirects: Redirects<'_>,
        ads_connection: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let Redirects {
            page: redirect_uri,
            amazon: amazon_redirect_uri,
        } = redirects;
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
            .s("amazonRedirectUri", amazon_redirect_uri)
            .time("createdAt", now)
            .time("expiresAt", expires_at)
            .opt_s("adsConnection", ads_connection)
            .ttl(expires_at)
            .build();
        self.store.put(item, Some(Condition::NotExists)).await?;
        Ok(state)
    }

    /// Reads a pending consent without taking it (the return hop, which only forwards the
    /// browser): `None` when unknown or expired.
    pub async fn peek(&self, state: &str, now: DateTime<Utc>) -> Result<Option<PendingConsent>> {
        if state.is_empty() || state.len() > 128 {
            return Ok(None);
        }
        let Some(item) = self.store.get(&keys::oauth_state(&digest(state))).await? else {
            return Ok(None);
        };
        Ok(Some(pending(&item)?).filter(|c| c.expires_at > now))
    }

    /// Takes the state: at most one caller ever gets it. Expired, unknown and used states
    /// are refused; so is one whose tenant or membership is gone, and an Ads consent's.
    pub async fn consume(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Consumed, StateError>> {
        self.take(state, now, false).await
    }

    /// The same for an Amazon Ads consent's state (the connection is
    /// `consent.ads_connection`); a "Connect Amazon" state is refused.
    pub async fn consume_ads(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Consumed, StateError>> {
        self.take(state, now, true).await
    }

    async fn take(
        &self,
        state: &str,
        now: DateTime<Utc>,
        ads: bool,
    ) -> Result<std::result::Result<Consumed, StateError>> {
        if state.is_empty() || state.len() > 128 {
            return Ok(Err(StateError::Unknown));
        }
        let key = keys::oauth_state(&digest(state));
        let Some(item) = self.store.get(&key).await? else {
            return Ok(Err(StateError::Unknown));
        };
        // A state of the other kind is not this callback's to take (nor to spend).
        if item.opt_s("adsConnection").is_some() != ads {
            return Ok(Err(StateError::Unknown));
        }
        // The conditional delete is the single use: a second caller finds nothing to delete.
        match self.store.delete(&key, Some(Condition::Exists)).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(Err(StateError::Unknown)),
            Err(e) => return Err(e.into()),
        }
        let consent = pending(&item)?;
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

/// The origin of an absolute http(s) URL (`scheme://host[:port]`), lower-cased as browsers
/// serialise it; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    Some(u.origin().ascii_serialization())
}

/// Checks a consent's redirect URI (`field`): an absolute http(s) URL without credentials or
/// fragment, on one of the `allowed` origins (the frontend's and the CORS origins).
pub fn check_redirect<'a>(
    allowed: impl IntoIterator<Item = &'a String>,
    field: &str,
    raw: &str,
    v: &mut crate::error::Validator,
) {
    let Ok(u) = reqwest::Url::parse(raw) else {
        v.push(field, "must be an absolute http(s) URL");
        return;
    };
    if raw.len() > 2048 || !u.username().is_empty() || u.password().is_some() {
        v.push(
            field,
            "must be a plain http(s) URL of at most 2048 characters",
        );
        return;
    }
    if u.fragment().is_some() {
        v.push(field, "must not carry a fragment");
        return;
    }
    let allowed: Vec<String> = allowed.into_iter().filter_map(|o| origin_of(o)).collect();
    match origin_of(raw) {
        Some(o) if allowed.contains(&o) => {}
        Some(o) => v.push(
            field,
            format!(
                "{o} is not this application's frontend (allowed: {})",
                allowed.join(", ")
            ),
        ),
        None => v.push(field, "must be an absolute http(s) URL"),
    }
}
