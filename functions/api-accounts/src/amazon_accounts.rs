//! Connected Amazon seller accounts of a tenant (`/api/accounts/linked`, `/link`, `/{id}`).
//! Credentials go to the secrets port (one secret per connection), never to the table.
//!
//! Keys: `ACCT#<t>/AMZ#<id>` and the uniqueness marker `ACCT#<t>/AMZMKT#<country>`.

use crate::accounts::{parse_marketplaces, valid_seller_id};
use crate::{context, AccountQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value as Json_};
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::{rfc3339, users, ItemBuilder, ItemExt};
use shared::keys::{self, Tenant};
use shared::marketplaces;
use shared::ports::store::{
    apply, query_all, Condition, Item, Key, Store, StoreError, TxOp, Value,
};

#[derive(Debug, Clone)]
pub struct AmazonAccount {
    pub id: AmazonAccountId,
    pub tenant: Tenant,
    pub marketplace: String,
    pub seller_id: String,
    pub region: String,
    pub marketplace_ids: Vec<String>,
    pub is_active: bool,
    pub last_token_refresh_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

pub fn key(t: &Tenant, id: &AmazonAccountId) -> Key {
    keys::tenant(t).amazon_account(id)
}

fn marker_key(t: &Tenant, country: &str) -> Key {
    keys::tenant(t).amazon_marker(country)
}

/// Where a connection's credentials live.
pub fn secret_name(state: &AppState, t: &Tenant, id: &AmazonAccountId) -> String {
    format!("{}tenants/{t}/amazon/{id}", state.config.secret_prefix)
}

impl AmazonAccount {
    fn to_item(&self) -> Item {
        let k = key(&self.tenant, &self.id);
        ItemBuilder::new(k.pk, k.sk)
            .s("type", "amazon-account")
            .s("id", self.id.as_str())
            .s("accountId", self.tenant.as_str())
            .s("marketplace", self.marketplace.clone())
            .s("sellerId", self.seller_id.clone())
            .s("region", self.region.clone())
            .list_s("marketplaceIds", &self.marketplace_ids)
            .flag("isActive", self.is_active)
            .opt_time("lastTokenRefreshAt", self.last_token_refresh_at)
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
            created_at: i.time("createdAt")?,
            updated_at: i.time("updatedAt")?,
            version: i.n_i64("version")?,
        })
    }

    pub fn to_json(&self) -> Json_ {
        json!({
            "id": self.id,
            "accountId": self.tenant,
            "marketplace": self.marketplace,
            "sellerId": self.seller_id,
            "amazonSellerId": self.seller_id,
            "region": self.region,
            "marketplaceIds": self.marketplace_ids,
            "isActive": self.is_active,
            "lastTokenRefreshAt": self.last_token_refresh_at.map(rfc3339),
            "createdAt": rfc3339(self.created_at),
            "updatedAt": rfc3339(self.updated_at),
        })
    }

    fn update_op(&mut self, now: DateTime<Utc>) -> TxOp {
        let read_at = self.version;
        self.version += 1;
        self.updated_at = now;
        TxOp::Put {
            item: self.to_item(),
            condition: Some(Condition::Equals(
                "version".into(),
                Value::N(read_at.to_string()),
            )),
        }
    }
}

/// The connection with this id in this tenant; 404 for a malformed id, a missing one and one
/// of another tenant alike.
pub async fn find(store: &dyn Store, t: &Tenant, raw_id: &str) -> Result<AmazonAccount> {
    let not_found = || Error::NotFound("Amazon account not found".into());
    let id = AmazonAccountId::parse(raw_id).map_err(|_| not_found())?;
    store
        .get(&key(t, &id))
        .await?
        .as_ref()
        .map(|i| AmazonAccount::from_item(t, i))
        .transpose()?
        .ok_or_else(not_found)
}

pub async fn all(store: &dyn Store, t: &Tenant) -> Result<Vec<AmazonAccount>> {
    query_all(store, keys::tenant(t).amazon_accounts())
        .await?
        .iter()
        .map(|i| AmazonAccount::from_item(t, i))
        .collect()
}

/// `GET /api/accounts/linked`: active first, then newest.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("accounts.read")?;
    let mut all = all(state.store.as_ref(), ctx.tenant()).await?;
    all.sort_by(|a, b| {
        b.is_active
            .cmp(&a.is_active)
            .then(b.created_at.cmp(&a.created_at))
    });
    Ok(Json(all.iter().map(AmazonAccount::to_json).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    account_id: Option<String>,
    marketplace: Option<String>,
    seller_id: Option<String>,
    refresh_token: Option<String>,
    lwa_client_id: Option<String>,
    lwa_client_secret: Option<String>,
    /// IAM keys of the pre-2023 signing scheme: accepted for compatibility, never stored.
    #[allow(dead_code)]
    access_key: Option<String>,
    #[allow(dead_code)]
    secret_key: Option<String>,
    marketplace_ids: Option<Vec<String>>,
}

fn credentials_json(
    refresh_token: &str,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> SecretString {
    SecretString::from(json!({"refreshToken": refresh_token, "lwaClientId": client_id, "lwaClientSecret": client_secret}).to_string())
}

fn valid_refresh_token(t: &str) -> bool {
    (20..=2048).contains(&t.len()) && t.chars().all(|c| c.is_ascii_graphic())
}

/// `POST /api/accounts/link`: one connection per marketplace country per account.
pub async fn link(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("accounts.write")?;
    let mut v = Validator::new();
    let market = body
        .marketplace
        .as_deref()
        .and_then(marketplaces::by_country);
    v.check(
        market.is_some(),
        "marketplace",
        "must be a supported Amazon country code such as US, CA, UK, DE",
    );
    v.check(
        body.seller_id.as_deref().is_some_and(valid_seller_id),
        "sellerId",
        "is required: 1-50 letters, digits, '_' or '-'",
    );
    v.check(
        body.refresh_token
            .as_deref()
            .is_some_and(valid_refresh_token),
        "refreshToken",
        "is required: the LWA refresh token (20-2048 printable characters)",
    );
    let extra = parse_marketplaces(
        "marketplaceIds",
        body.marketplace_ids.as_deref().unwrap_or_default(),
        &mut v,
    );
    if let Some(m) = market {
        for e in &extra {
            v.check(
                e.region == m.region,
                "marketplaceIds",
                &format!("{} is not in the {} region", e.id, m.region.code()),
            );
        }
    }
    v.finish()?;
    let market = market.expect("validated");
    let mut ids: Vec<String> = vec![market.id.to_string()];
    ids.extend(
        extra
            .iter()
            .map(|m| m.id.to_string())
            .filter(|id| id != market.id),
    );
    let now = state.clock.now();
    let account = AmazonAccount {
        id: AmazonAccountId::new(),
        tenant: ctx.tenant().clone(),
        marketplace: market.country_code.to_string(),
        seller_id: body.seller_id.expect("validated"),
        region: market.region.code().to_string(),
        marketplace_ids: ids,
        is_active: true,
        last_token_refresh_at: None,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let store = state.store.as_ref();
    if store
        .get(&marker_key(ctx.tenant(), &account.marketplace))
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "An Amazon account for {} is already linked",
            account.marketplace
        )));
    }
    let name = secret_name(&state, ctx.tenant(), &account.id);
    state
        .secrets
        .put(
            &name,
            credentials_json(
                body.refresh_token.as_deref().unwrap_or_default(),
                body.lwa_client_id.as_deref(),
                body.lwa_client_secret.as_deref(),
            ),
        )
        .await?;
    let mk = marker_key(ctx.tenant(), &account.marketplace);
    let ops = vec![
        TxOp::Put {
            item: ItemBuilder::new(mk.pk, mk.sk)
                .s("amazonAccountId", account.id.as_str())
                .build(),
            condition: Some(Condition::NotExists),
        },
        TxOp::Put {
            item: account.to_item(),
            condition: Some(Condition::NotExists),
        },
    ];
    if let Err(e) = store.transact(ops).await {
        // Nothing of a refused link may stay behind.
        state.secrets.delete(&name).await?;
        return Err(match e {
            StoreError::TransactionCanceled { .. } => Error::Conflict(format!(
                "An Amazon account for {} is already linked",
                account.marketplace
            )),
            other => other.into(),
        });
    }
    tracing::info!(account_id = %ctx.tenant(), amazon_account_id = %account.id, marketplace = %account.marketplace, "amazon account linked");
    Ok((StatusCode::CREATED, Json(account.to_json())).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBody {
    account_id: Option<String>,
    seller_id: Option<String>,
    refresh_token: Option<String>,
    is_active: Option<bool>,
    #[allow(dead_code)]
    access_key: Option<String>,
    #[allow(dead_code)]
    secret_key: Option<String>,
}

/// `PATCH /api/accounts/{id}`.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, body.account_id.as_deref()).await?;
    ctx.require("accounts.write")?;
    let mut v = Validator::new();
    if let Some(s) = &body.seller_id {
        v.check(
            valid_seller_id(s),
            "sellerId",
            "must be 1-50 letters, digits, '_' or '-'",
        );
    }
    if let Some(t) = &body.refresh_token {
        v.check(
            valid_refresh_token(t),
            "refreshToken",
            "must be 20-2048 printable characters",
        );
    }
    v.finish()?;
    let store = state.store.as_ref();
    let mut account = find(store, ctx.tenant(), &id).await?;
    if let Some(t) = &body.refresh_token {
        state
            .secrets
            .put(
                &secret_name(&state, ctx.tenant(), &account.id),
                credentials_json(t, None, None),
            )
            .await?;
    }
    if let Some(s) = body.seller_id {
        account.seller_id = s;
    }
    if let Some(a) = body.is_active {
        account.is_active = a;
    }
    let now = state.clock.now();
    apply(store, account.update_op(now))
        .await
        .map_err(users::conflict_on_race)?;
    tracing::info!(account_id = %ctx.tenant(), amazon_account_id = %account.id, "amazon account updated");
    Ok(Json(account.to_json()).into_response())
}

/// `DELETE /api/accounts/{id}` and `/api/accounts/linked/{id}`: removes the connection, its
/// credentials and the links users had to it.
pub async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("accounts.delete")?;
    let store = state.store.as_ref();
    let account = find(store, ctx.tenant(), &id).await?;
    let ops = vec![
        TxOp::Delete {
            key: key(ctx.tenant(), &account.id),
            condition: Some(Condition::Exists),
        },
        TxOp::Delete {
            key: marker_key(ctx.tenant(), &account.marketplace),
            condition: None,
        },
    ];
    store.transact(ops).await.map_err(users::conflict_on_race)?;
    crate::user_marketplaces::detach_amazon_account(&state, ctx.tenant(), &account.id).await?;
    state
        .secrets
        .delete(&secret_name(&state, ctx.tenant(), &account.id))
        .await?;
    tracing::info!(account_id = %ctx.tenant(), amazon_account_id = %account.id, "amazon account deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/accounts/switch/{id}`: remembers the active seller account for the caller.
pub async fn switch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, q.account_id.as_deref()).await?;
    ctx.require("accounts.read")?;
    let store = state.store.as_ref();
    let account = find(store, ctx.tenant(), &id).await?;
    if !account.is_active {
        return Err(Error::NotFound(
            "Amazon account not found or inactive".into(),
        ));
    }
    let mut m = ctx.membership.clone();
    m.active_amazon_account = Some(account.id.to_string());
    apply(store, m.update_op())
        .await
        .map_err(users::conflict_on_race)?;
    Ok(Json(account.to_json()).into_response())
}
