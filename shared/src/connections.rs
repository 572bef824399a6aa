//! Seller connections: the Amazon seller accounts a tenant connected, their credentials in the
//! secrets port (one secret per connection, never in the table), and the members' links to
//! marketplaces (`user_marketplaces`). The accounts API writes them; the job Lambdas read them.
//!
//! Keys (built by `crate::keys`): `ACCT#<t>/AMZ#<id>` and the uniqueness marker
//! `ACCT#<t>/AMZMKT#<country>`; the connection item is also in the seller index, gsi2
//! `SELLER#<sellerId>` / `<t>#<id>`.

pub mod consent;
pub mod user_marketplaces;

use crate::domain::{AmazonAccountId, TenantId};
use crate::error::{Error, Result};
use crate::identity::users::conflict_on_race;
use crate::keys::{self, Tenant};
use crate::ports::store::{
    apply, query_all, Condition, Item, ItemBuilder, ItemExt, Store, StoreError, TxOp, Value,
    GSI2PK, GSI2SK,
};
use crate::ports::Secrets;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use user_marketplaces::MarketplaceLinks;

/// A connected Amazon seller account: one per marketplace country in a tenant.
#[derive(Debug, Clone)]
pub struct AmazonAccount {
    pub id: AmazonAccountId,
    pub tenant: Tenant,
    /// The country code of the home marketplace (`US`, `DE`, …).
    pub marketplace: String,
    pub seller_id: String,
    pub region: String,
    pub marketplace_ids: Vec<String>,
    pub is_active: bool,
    pub last_token_refresh_at: Option<DateTime<Utc>>,
    /// When the seller last consented through "Connect Amazon" (Amazon asks again after
    /// [`CONSENT_DAYS`]); `None` for a connection linked with a pasted refresh token.
    pub authorized_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version of the stored item.
    pub version: i64,
}

impl AmazonAccount {
    /// A new, active connection of `tenant`.
    pub fn new(
        tenant: &Tenant,
        marketplace: &str,
        seller_id: String,
        region: &str,
        marketplace_ids: Vec<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: AmazonAccountId::new(),
            tenant: tenant.clone(),
            marketplace: marketplace.to_string(),
            seller_id,
            region: region.to_string(),
            marketplace_ids,
            is_active: true,
            last_token_refresh_at: None,
            authorized_at: None,
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    fn to_item(&self) -> Item {
        let mut b = ItemBuilder::at(keys::tenant(&self.tenant).amazon_account(&self.id));
        // The seller index (gsi2): a notification names only the seller.
        if !self.seller_id.is_empty() {
            b = b
                .s(GSI2PK, keys::seller_connections_pk(&self.seller_id))
                .s(GSI2SK, keys::seller_connection_sk(&self.tenant, &self.id));
        }
        b.s("type", "amazon-account")
            .s("id", self.id.as_str())
            .s("accountId", self.tenant.as_str())
            .s("marketplace", self.marketplace.clone())
            .s("sellerId", self.seller_id.clone())
            .s("region", self.region.clone())
            .list_s("marketplaceIds", &self.marketplace_ids)
            .flag("isActive", self.is_active)
            .opt_time("lastTokenRefreshAt", self.last_token_refresh_at)
            .opt_time("authorizedAt", self.authorized_at)
            .time("createdAt", self.created_at)
            .time("updatedAt", self.updated_at)
            .n("version", self.version)
            .build()
    }

    fn from_item(t: &Tenant, i: &Item) -> Result<Self> {
        Ok(Self {
            id: AmazonAccountId::parse(&i.s("id")?)?,
            tenant: t.clone(),
            marketplace: i.s("marketplace")?,
            seller_id: i.s("sellerId")?,
            region: i.s("region")?,
            marketplace_ids: i.list_s("marketplaceIds"),
            is_active: i.flag("isActive"),
            last_token_refresh_at: i.opt_time("lastTokenRefreshAt"),
            authorized_at: i.opt_time("authorizedAt"),
            created_at: i.time("createdAt")?,
            updated_at: i.time("updatedAt")?,
            version: i.n_i64("version")?,
        })
    }
}

/// A seller's consent lasts this long; then they must authorise the app again.
pub const CONSENT_DAYS: i64 = 365;
/// Users are warned this many days before their consent runs out.
pub const CONSENT_WARNING_DAYS: i64 = 30;

impl AmazonAccount {
    /// When the seller must consent again (`None` when we do not know when they consented).
    pub fn reauthorize_by(&self) -> Option<DateTime<Utc>> {
        self.authorized_at
            .map(|t| t + chrono::Duration::days(CONSENT_DAYS))
    }

    /// Whether the yearly consent has run out.
    pub fn consent_expired(&self, now: DateTime<Utc>) -> bool {
        self.reauthorize_by().is_some_and(|by| by <= now)
    }

    /// Whether the yearly consent runs out within [`CONSENT_WARNING_DAYS`] (and has not yet).
    pub fn consent_expires_soon(&self, now: DateTime<Utc>) -> bool {
        self.reauthorize_by()
            .is_some_and(|by| by > now && by - now <= chrono::Duration::days(CONSENT_WARNING_DAYS))
    }
}

/// The credentials of a connection, as stored in its secret:
/// `{"refreshToken": "Atzr|…", "lwaClientId": …, "lwaClientSecret": …}`.
#[derive(Debug, Clone)]
pub struct ConnectionSecret {
    pub refresh_token: SecretString,
    /// The seller's own LWA app, when it does not use Beddora's.
    pub lwa_client_id: Option<String>,
    pub lwa_client_secret: Option<SecretString>,
}

/// Why a stored connection secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionSecretError {
    #[error("the connection secret is not JSON")]
    NotJson,
    #[error("the stored credentials hold no refresh token")]
    NoRefreshToken,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretWire {
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    lwa_client_id: Option<String>,
    #[serde(default)]
    lwa_client_secret: Option<String>,
}

impl ConnectionSecret {
    pub fn new(refresh_token: SecretString) -> Self {
        Self {
            refresh_token,
            lwa_client_id: None,
            lwa_client_secret: None,
        }
    }

    /// Reads the stored form. An empty refresh token counts as none.
    pub fn parse(raw: &SecretString) -> std::result::Result<Self, ConnectionSecretError> {
        let w: SecretWire = serde_json::from_str(raw.expose_secret())
            .map_err(|_| ConnectionSecretError::NotJson)?;
        let refresh_token = w
            .refresh_token
            .filter(|t| !t.is_empty())
            .ok_or(ConnectionSecretError::NoRefreshToken)?;
        Ok(Self {
            refresh_token: SecretString::from(refresh_token),
            lwa_client_id: w.lwa_client_id.filter(|s| !s.is_empty()),
            lwa_client_secret: w
                .lwa_client_secret
                .filter(|s| !s.is_empty())
                .map(SecretString::from),
        })
    }

    /// The stored form.
    pub fn to_secret(&self) -> SecretString {
        let w = SecretWire {
            refresh_token: Some(self.refresh_token.expose_secret().to_string()),
            lwa_client_id: self.lwa_client_id.clone(),
            lwa_client_secret: self
                .lwa_client_secret
                .as_ref()
                .map(|s| s.expose_secret().to_string()),
        };
        SecretString::from(serde_json::to_string(&w).expect("strings serialise"))
    }
}

/// Where a connection's credentials live: `<prefix>tenants/<t>/amazon/<id>`.
pub fn secret_name(secret_prefix: &str, t: &Tenant, id: &AmazonAccountId) -> String {
    format!("{secret_prefix}tenants/{t}/amazon/{id}")
}

/// The connections repository: table items and their secrets, kept consistent.
#[derive(Clone, Copy)]
pub struct Connections<'a> {
    store: &'a dyn Store,
    secrets: &'a dyn Secrets,
    secret_prefix: &'a str,
}

impl<'a> Connections<'a> {
    pub fn new(store: &'a dyn Store, secrets: &'a dyn Secrets, secret_prefix: &'a str) -> Self {
        Self {
            store,
            secrets,
            secret_prefix,
        }
    }

    /// The user-marketplace links on the same ports.
    pub fn links(&self) -> MarketplaceLinks<'a> {
        MarketplaceLinks::new(self.store, self.secrets, self.secret_prefix)
    }

    pub fn secret_name(&self, a: &AmazonAccount) -> String {
        secret_name(self.secret_prefix, &a.tenant, &a.id)
    }

    /// The connection with this id in this tenant.
    pub async fn find(&self, t: &Tenant, id: &AmazonAccountId) -> Result<Option<AmazonAccount>> {
        self.store
            .get(&keys::tenant(t).amazon_account(id))
            .await?
            .as_ref()
            .map(|i| AmazonAccount::from_item(t, i))
            .transpose()
    }

    /// Every connection of one Amazon seller, in every tenant that connected it (a seller may
    /// be connected in more than one): the tenants an Amazon notification is for.
    pub async fn by_seller(&self, seller_id: &str) -> Result<Vec<AmazonAccount>> {
        if seller_id.is_empty() {
            return Ok(vec![]);
        }
        let items = query_all(self.store, keys::seller_connections(seller_id)).await?;
        items
            .iter()
            .map(|i| {
                let tenant = TenantId::parse(&i.s("accountId")?)
                    .map_err(|_| StoreError::Corrupt("accountId".into()))?;
                // The stored connection is the proof of the tenant, as a membership is.
                AmazonAccount::from_item(&Tenant::verified(tenant), i)
            })
            .collect()
    }

    /// Every connection of the tenant.
    pub async fn all(&self, t: &Tenant) -> Result<Vec<AmazonAccount>> {
        query_all(self.store, keys::tenant(t).amazon_accounts())
            .await?
            .iter()
            .map(|i| AmazonAccount::from_item(t, i))
            .collect()
    }

    /// Stores a new connection and its credentials; 409 when the tenant already has one for
    /// that marketplace country. Nothing of a refused connection stays behind.
    pub async fn create(&self, a: &AmazonAccount, secret: &ConnectionSecret) -> Result<()> {
        let taken = || {
            Error::Conflict(format!(
                "An Amazon account for {} is already linked",
                a.marketplace
            ))
        };
        let marker = keys::tenant(&a.tenant).amazon_marker(&a.marketplace);
        if self.store.get(&marker).await?.is_some() {
            return Err(taken());
        }
        let name = self.secret_name(a);
        self.secrets.put(&name, secret.to_secret()).await?;
        let ops = vec![
            TxOp::Put {
                item: ItemBuilder::at(marker)
                    .s("amazonAccountId", a.id.as_str())
                    .build(),
                condition: Some(Condition::NotExists),
            },
            TxOp::Put {
                item: a.to_item(),
                condition: Some(Condition::NotExists),
            },
        ];
        if let Err(e) = self.store.transact(ops).await {
            self.secrets.delete(&name).await?;
            return Err(match e {
                StoreError::TransactionCanceled { .. } => taken(),
                other => other.into(),
            });
        }
        Ok(())
    }

    /// The stored credentials; `None` when the connection has none.
    pub async fn credentials(&self, a: &AmazonAccount) -> Result<Option<ConnectionSecret>> {
        match self.secrets.get(&self.secret_name(a)).await? {
            None => Ok(None),
            Some(raw) => ConnectionSecret::parse(&raw)
                .map(Some)
                .map_err(|e| Error::Internal(format!("connection {}: {e}", a.id))),
        }
    }

    /// Replaces the refresh token, keeping the LWA client the seller stored with it.
    pub async fn set_refresh_token(&self, a: &AmazonAccount, token: SecretString) -> Result<()> {
        let secret = match self.credentials(a).await.ok().flatten() {
            Some(mut s) => {
                s.refresh_token = token;
                s
            }
            None => ConnectionSecret::new(token),
        };
        self.secrets
            .put(&self.secret_name(a), secret.to_secret())
            .await?;
        Ok(())
    }

    /// Replaces the stored credentials as a whole (a new consent through our own app).
    pub async fn set_credentials(
        &self,
        a: &AmazonAccount,
        secret: &ConnectionSecret,
    ) -> Result<()> {
        self.secrets
            .put(&self.secret_name(a), secret.to_secret())
            .await?;
        Ok(())
    }

    /// Writes a change to the connection, guarded by the version it was read at (409 if it
    /// changed in between).
    pub async fn save(&self, a: &mut AmazonAccount, now: DateTime<Utc>) -> Result<()> {
        let read_at = a.version;
        a.version += 1;
        a.updated_at = now;
        apply(
            self.store,
            TxOp::Put {
                item: a.to_item(),
                condition: Some(Condition::Equals(
                    "version".into(),
                    Value::N(read_at.to_string()),
                )),
            },
        )
        .await
        .map_err(conflict_on_race)
    }

    /// Removes the connection, its marker, the links members had to it and its credentials.
    pub async fn remove(&self, a: &AmazonAccount, now: DateTime<Utc>) -> Result<()> {
        let k = keys::tenant(&a.tenant);
        let ops = vec![
            TxOp::Delete {
                key: k.amazon_account(&a.id),
                condition: Some(Condition::Exists),
            },
            TxOp::Delete {
                key: k.amazon_marker(&a.marketplace),
                condition: None,
            },
        ];
        self.store.transact(ops).await.map_err(conflict_on_race)?;
        self.links()
            .detach_amazon_account(&a.tenant, &a.id, now)
            .await?;
        self.secrets.delete(&self.secret_name(a)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_round_trips_and_refuses_what_cannot_authorise() {
        let s = ConnectionSecret {
            refresh_token: SecretString::from("Atzr|abc".to_string()),
            lwa_client_id: Some("amzn1.application-oa2-client.x".into()),
            lwa_client_secret: Some(SecretString::from("shh".to_string())),
        };
        let back = ConnectionSecret::parse(&s.to_secret()).unwrap();
        assert_eq!(back.refresh_token.expose_secret(), "Atzr|abc");
        assert_eq!(back.lwa_client_id, s.lwa_client_id);
        assert_eq!(back.lwa_client_secret.unwrap().expose_secret(), "shh");
        let parse = |raw: &str| ConnectionSecret::parse(&SecretString::from(raw.to_string()));
        assert_eq!(
            parse(r#"{"refreshToken":""}"#).unwrap_err(),
            ConnectionSecretError::NoRefreshToken
        );
        assert_eq!(
            parse("not json").unwrap_err(),
            ConnectionSecretError::NotJson
        );
        assert!(parse(r#"{"refreshToken":"Atzr|x","lwaClientId":null}"#)
            .unwrap()
            .lwa_client_id
            .is_none());
    }
}
