//! User-marketplace links: which marketplaces a member works on, optionally through one of the
//! tenant's own Amazon connections, with optional credentials in the secrets port.
//!
//! Keys (built by `crate::keys`): `ACCT#<t>/UMKT#<userId>#<marketplaceId>` (one link per user
//! and marketplace). Secrets: `<prefix>tenants/<t>/user-marketplaces/<linkId>`.

use crate::domain::{AmazonAccountId, UserId};
use crate::error::{Error, Result};
use crate::identity::users::conflict_on_race;
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, rfc3339, Condition, Item, ItemBuilder, ItemExt, Store, Value,
};
use crate::ports::Secrets;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::collections::BTreeMap;

/// Free-form credentials a member stores with a link.
pub type LinkCredentials = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct MarketplaceLink {
    pub id: String,
    pub user_id: UserId,
    pub marketplace_id: String,
    pub amazon_account_id: Option<AmazonAccountId>,
    /// `active` or `inactive`.
    pub status: String,
    pub has_credentials: bool,
    pub linked_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MarketplaceLink {
    /// A new link made now.
    pub fn new(user_id: UserId, marketplace_id: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id,
            marketplace_id: marketplace_id.to_string(),
            amazon_account_id: None,
            status: "active".into(),
            has_credentials: false,
            linked_at: now,
            created_at: now,
            updated_at: now,
        }
    }

    fn to_item(&self, t: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(t).user_marketplace(&self.user_id, &self.marketplace_id))
            .s("type", "user-marketplace")
            .s("id", self.id.clone())
            .s("userId", self.user_id.as_str())
            .s("marketplaceId", self.marketplace_id.clone())
            .opt_s(
                "amazonAccountId",
                self.amazon_account_id
                    .as_ref()
                    .map(AmazonAccountId::to_string),
            )
            .s("status", self.status.clone())
            .flag("hasCredentials", self.has_credentials)
            .time("linkedAt", self.linked_at)
            .time("createdAt", self.created_at)
            .time("updatedAt", self.updated_at)
            .build()
    }

    fn from_item(i: &Item) -> Result<Self> {
        Ok(Self {
            id: i.s("id")?,
            user_id: UserId::parse(&i.s("userId")?)?,
            marketplace_id: i.s("marketplaceId")?,
            amazon_account_id: i
                .opt_s("amazonAccountId")
                .map(|s| AmazonAccountId::parse(&s))
                .transpose()?,
            status: i.s("status")?,
            has_credentials: i.flag("hasCredentials"),
            linked_at: i.time("linkedAt")?,
            created_at: i.time("createdAt")?,
            updated_at: i.time("updatedAt")?,
        })
    }
}

/// The links repository: table items and their optional credentials.
#[derive(Clone, Copy)]
pub struct MarketplaceLinks<'a> {
    store: &'a dyn Store,
    secrets: &'a dyn Secrets,
    secret_prefix: &'a str,
}

impl<'a> MarketplaceLinks<'a> {
    pub fn new(store: &'a dyn Store, secrets: &'a dyn Secrets, secret_prefix: &'a str) -> Self {
        Self {
            store,
            secrets,
            secret_prefix,
        }
    }

    fn secret_name(&self, t: &Tenant, link_id: &str) -> String {
        format!(
            "{}tenants/{t}/user-marketplaces/{link_id}",
            self.secret_prefix
        )
    }

    /// Every link of one member.
    pub async fn of_user(&self, t: &Tenant, u: &UserId) -> Result<Vec<MarketplaceLink>> {
        query_all(self.store, keys::tenant(t).user_marketplaces_of(u))
            .await?
            .iter()
            .map(MarketplaceLink::from_item)
            .collect()
    }

    /// One link of a member, by its id.
    pub async fn find(&self, t: &Tenant, u: &UserId, id: &str) -> Result<Option<MarketplaceLink>> {
        Ok(self.of_user(t, u).await?.into_iter().find(|l| l.id == id))
    }

    /// Stores a new link (409 when the member already links that marketplace) and its
    /// credentials; a link whose credentials cannot be stored is removed again.
    pub async fn create(
        &self,
        t: &Tenant,
        link: &mut MarketplaceLink,
        credentials: Option<&LinkCredentials>,
    ) -> Result<()> {
        link.has_credentials = credentials.is_some();
        self.store
            .put(link.to_item(t), Some(Condition::NotExists))
            .await
            .map_err(|_| Error::Conflict("Marketplace already linked".into()))?;
        if let Some(c) = credentials {
            if let Err(e) = self.put_credentials(t, &link.id, c).await {
                self.store
                    .delete(
                        &keys::tenant(t).user_marketplace(&link.user_id, &link.marketplace_id),
                        None,
                    )
                    .await?;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Replaces (`Some`) or removes (`None`) the link's credentials.
    pub async fn set_credentials(
        &self,
        t: &Tenant,
        link: &mut MarketplaceLink,
        credentials: Option<&LinkCredentials>,
    ) -> Result<()> {
        match credentials {
            Some(c) => self.put_credentials(t, &link.id, c).await?,
            None => self.secrets.delete(&self.secret_name(t, &link.id)).await?,
        }
        link.has_credentials = credentials.is_some();
        Ok(())
    }

    async fn put_credentials(&self, t: &Tenant, link_id: &str, c: &LinkCredentials) -> Result<()> {
        let value = serde_json::to_string(c).expect("a string map serialises");
        self.secrets
            .put(&self.secret_name(t, link_id), SecretString::from(value))
            .await?;
        Ok(())
    }

    /// Writes a change, guarded by the `updatedAt` the link was read with (409 if it changed).
    pub async fn save(
        &self,
        t: &Tenant,
        link: &mut MarketplaceLink,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let read_at = Value::S(rfc3339(link.updated_at));
        link.updated_at = now;
        self.store
            .put(
                link.to_item(t),
                Some(Condition::Equals("updatedAt".into(), read_at)),
            )
            .await
            .map_err(conflict_on_race)
    }

    /// Removes the link and its credentials.
    pub async fn remove(&self, t: &Tenant, link: &MarketplaceLink) -> Result<()> {
        self.store
            .delete(
                &keys::tenant(t).user_marketplace(&link.user_id, &link.marketplace_id),
                Some(Condition::Exists),
            )
            .await
            .map_err(conflict_on_race)?;
        self.secrets.delete(&self.secret_name(t, &link.id)).await?;
        Ok(())
    }

    /// Unlinks a deleted Amazon connection from every link of the tenant.
    pub async fn detach_amazon_account(
        &self,
        t: &Tenant,
        id: &AmazonAccountId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let all = query_all(self.store, keys::tenant(t).user_marketplaces()).await?;
        for mut item in all
            .into_iter()
            .filter(|i| i.opt_s("amazonAccountId").as_deref() == Some(id.as_str()))
        {
            item.remove("amazonAccountId");
            item.insert("updatedAt".into(), Value::S(rfc3339(now)));
            self.store.put(item, None).await?;
        }
        Ok(())
    }
}
