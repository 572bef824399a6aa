//! The Amazon Ads side of a seller connection: the Ads LWA application (its own client id and
//! secret, `adsClientId`/`adsClientSecret` in the app secret), the advertiser's Ads refresh
//! token (its own consent, kept in its own secret `<connection secret>/ads`), and the Ads
//! client of the connection's region on one executor (token cache, shared limiter, time).
//!
//! Amazon's Ads consent is separate from the SP-API's: a seller who connected Amazon has not
//! yet allowed Beddora to read their advertising. The seller gives it on Login with Amazon's
//! consent page ([`AdsAccess::consent_url`], scope `advertising::campaign_management`); the
//! code it returns is exchanged ([`AdsAccess::exchange_code`]), [`AdsAccess::connect`] stores
//! the Ads refresh token of the connection and [`start`] makes its Ads datasets backfill now.
//! Until then the Ads datasets of the connection finish at once with nothing to do.
//! A refused Ads authorisation fails the Ads datasets alone, never the connection's SP-API
//! datasets.

use crate::amazon::ads::{AdsApi, AdsRegion, Profile};
use crate::amazon::endpoints::LWA_TOKEN_URL;
use crate::amazon::{AmazonError, Context, Credentials, Executor, RateLimiter, TokenProvider};
use crate::connections::{self, AmazonAccount};
use crate::keys::Tenant;
use crate::marketplaces;
use crate::ports::store::StoreError;
use crate::ports::{Pacer, Secrets, Store};
use crate::records::ads::{self as records, AdsEntity, EntityKind};
use crate::sync::Dataset;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::sync::Arc;

/// The Ads application of one process.
pub struct AdsAccess {
    /// Per region (`AdsRegion::ALL` order): the executor and token provider of the region's
    /// Login with Amazon endpoint, over one shared limiter.
    regions: Vec<Regional>,
    http: reqwest::Client,
    creds: Credentials,
    store: Arc<dyn Store>,
    pacer: Arc<dyn Pacer>,
    cache_key: SecretString,
    limiter: Arc<RateLimiter>,
    client_id: String,
    /// `ADS_RETURN_URL`: where Login with Amazon sends the advertiser back when the caller
    /// names no page of its own (the public URL of `/api/ppc/ads/callback`).
    return_url: Option<String>,
    /// One base URL for every region (the stand-in); `None` for Amazon's regional hosts.
    base_url: Option<String>,
    secrets: Arc<dyn Secrets>,
    secret_prefix: String,
    page_size: Option<usize>,
}

/// The Ads client parts of one region.
struct Regional {
    region: AdsRegion,
    token_url: String,
    exec: Arc<Executor>,
    tokens: Arc<TokenProvider>,
}

impl AdsAccess {
    /// `creds` are the Ads LWA application's; `cache_key` encrypts the cached Ads tokens.
    ///
    /// Token endpoints: when `creds.token_url` is Login with Amazon's own
    /// ([`LWA_TOKEN_URL`], what `AmazonSettings::token_url` gives without a base URL), each
    /// region gets its tokens from its own endpoint ([`AdsRegion::token_url`]); any other URL
    /// (the stand-in's) serves every region. [`Self::with_token_url`] sets one region's.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        http: reqwest::Client,
        creds: Credentials,
        base_url: Option<String>,
        store: Arc<dyn Store>,
        pacer: Arc<dyn Pacer>,
        cache_key: &SecretString,
        secrets: Arc<dyn Secrets>,
        secret_prefix: impl Into<String>,
    ) -> Self {
        let client_id = creds.client_id.clone();
        let limiter = Arc::new(RateLimiter::new(store.clone(), pacer.clone()));
        let mut this = Self {
            regions: vec![],
            http,
            creds,
            store,
            pacer,
            cache_key: cache_key.clone(),
            limiter,
            client_id,
            return_url: None,
            base_url: base_url.map(|u| u.trim_end_matches('/').to_string()),
            secrets,
            secret_prefix: secret_prefix.into(),
            page_size: None,
        };
        let amazon = this.creds.token_url.trim_end_matches('/') == LWA_TOKEN_URL;
        for region in AdsRegion::ALL {
            let url = if amazon {
                region.token_url().to_string()
            } else {
                this.creds.token_url.clone()
            };
            let r = this.regional(region, url);
            this.regions.push(r);
        }
        this
    }

    fn regional(&self, region: AdsRegion, token_url: String) -> Regional {
        let tokens = Arc::new(TokenProvider::new(
            self.http.clone(),
            Credentials {
                token_url: token_url.clone(),
                ..self.creds.clone()
            },
            self.store.clone(),
            self.pacer.clone(),
            &self.cache_key,
        ));
        Regional {
            region,
            token_url,
            exec: Arc::new(Executor::new(
                self.http.clone(),
                tokens.clone(),
                self.limiter.clone(),
                self.pacer.clone(),
            )),
            tokens,
        }
    }

    /// Gets `region`'s Ads tokens from `token_url` (a test's or the stand-in's endpoint).
    pub fn with_token_url(mut self, region: AdsRegion, token_url: impl Into<String>) -> Self {
        let r = self.regional(region, token_url.into());
        if let Some(slot) = self.regions.iter_mut().find(|x| x.region == region) {
            *slot = r;
        }
        self
    }

    /// The Login with Amazon token endpoint of the connection's region.
    pub fn token_url(&self, account: &AmazonAccount) -> &str {
        &self.of(account).token_url
    }

    fn of(&self, account: &AmazonAccount) -> &Regional {
        let region = AdsRegion::of_code(&account.region);
        self.regions
            .iter()
            .find(|r| r.region == region)
            .expect("every region")
    }

    /// From the app secret's `adsClientId`/`adsClientSecret` (and its `jwtSigningKey` for the
    /// token cache key); `None` when they are not there (Ads sync is off).
    #[allow(clippy::too_many_arguments)]
    pub fn from_app_secret(
        raw: &SecretString,
        token_url: String,
        base_url: Option<String>,
        store: Arc<dyn Store>,
        pacer: Arc<dyn Pacer>,
        secrets: Arc<dyn Secrets>,
        secret_prefix: &str,
    ) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(raw.expose_secret()).ok()?;
        let text = |k: &str| {
            v.get(k)
                .and_then(|s| s.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (id, secret) = (text("adsClientId")?, text("adsClientSecret")?);
        let cache_key = SecretString::from(format!(
            "ads-lwa-cache:{}",
            text("jwtSigningKey").unwrap_or_default()
        ));
        Some(Self::new(
            reqwest::Client::new(),
            Credentials {
                client_id: id,
                client_secret: SecretString::from(secret),
                token_url,
            },
            base_url,
            store,
            pacer,
            &cache_key,
            secrets,
            secret_prefix,
        ))
    }

    /// Lists pages of this size (tests walk pages with a small one).
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Where Login with Amazon returns the advertiser by default (`ADS_RETURN_URL`).
    pub fn with_return_url(mut self, url: Option<String>) -> Self {
        self.return_url = url.filter(|u| !u.trim().is_empty());
        self
    }

    pub fn return_url(&self) -> Option<&str> {
        self.return_url.as_deref()
    }

    /// Login with Amazon's consent page for the Ads API of the connection's region, carrying
    /// our `state` and the exact `redirect_uri` the code exchange repeats.
    pub fn consent_url(&self, account: &AmazonAccount, state: &str, redirect_uri: &str) -> String {
        let host = match &self.base_url {
            Some(u) => format!("{u}/ap/oa"),
            None => match account.region.to_ascii_uppercase().as_str() {
                "EU" => "https://eu.account.amazon.com/ap/oa".to_string(),
                "FE" => "https://apac.account.amazon.com/ap/oa".to_string(),
                _ => "https://www.amazon.com/ap/oa".to_string(),
            },
        };
        let query = serde_urlencoded::to_string([
            ("client_id", self.client_id.as_str()),
            ("scope", ADS_SCOPE),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
            ("state", state),
        ])
        .unwrap_or_default();
        format!("{host}?{query}")
    }

    /// Exchanges the consent's authorization code for the advertiser's Ads refresh token,
    /// at the token endpoint of the connection's region (where the code was given).
    pub async fn exchange_code(
        &self,
        account: &AmazonAccount,
        code: &str,
        redirect_uri: &str,
    ) -> Result<SecretString, AmazonError> {
        Ok(self
            .of(account)
            .tokens
            .exchange_code(code, redirect_uri)
            .await?
            .1)
    }

    /// Whether the connection has an Ads refresh token stored.
    pub async fn connected(&self, account: &AmazonAccount) -> Result<bool, AmazonError> {
        Ok(self
            .context(account, chrono::DateTime::<Utc>::MIN_UTC)
            .await?
            .is_some())
    }

    /// The Ads client of the connection's region.
    pub fn api(&self, account: &AmazonAccount) -> AdsApi {
        let regional = self.of(account);
        let base = match &self.base_url {
            Some(u) => u.clone(),
            None => regional.region.base_url().to_string(),
        };
        let api = AdsApi::with_executor(regional.exec.clone(), base, self.client_id.clone());
        match self.page_size {
            Some(n) => api.with_page_size(n),
            None => api,
        }
    }

    /// The secret holding the connection's Ads refresh token.
    pub fn secret_name(&self, account: &AmazonAccount) -> String {
        format!(
            "{}/ads",
            connections::secret_name(&self.secret_prefix, &account.tenant, &account.id)
        )
    }

    /// Stores the advertiser's Ads refresh token for the connection (after Ads consent),
    /// replacing an earlier one; the cached Ads access token of the old one is dropped.
    pub async fn connect(
        &self,
        account: &AmazonAccount,
        refresh_token: &SecretString,
    ) -> Result<(), AmazonError> {
        if let Err(e) = self
            .of(account)
            .tokens
            .invalidate(&format!("{}-ads", account.id))
            .await
        {
            tracing::warn!(connection = %account.id, error = %e, "cached Ads access token not dropped");
        }
        let body = json!({"refreshToken": refresh_token.expose_secret()}).to_string();
        self.secrets
            .put(&self.secret_name(account), SecretString::from(body))
            .await
            .map_err(|e| AmazonError::Dependency(e.to_string()))
    }

    /// The Ads call context of the connection; `None` when it has no Ads consent.
    pub async fn context(
        &self,
        account: &AmazonAccount,
        deadline: DateTime<Utc>,
    ) -> Result<Option<Context>, AmazonError> {
        let Some(raw) = self
            .secrets
            .get(&self.secret_name(account))
            .await
            .map_err(|e| AmazonError::Dependency(e.to_string()))?
        else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_str(raw.expose_secret())
            .map_err(|_| AmazonError::Dependency("the Ads secret is not JSON".into()))?;
        let Some(token) = v["refreshToken"].as_str().filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        // Its own token cache entry: the SP-API token of the connection is another.
        Ok(Some(Context::new(
            format!("{}-ads", account.id),
            "",
            SecretString::from(token.to_string()),
            deadline,
        )))
    }
}

/// The Login with Amazon scope of the Ads API.
pub const ADS_SCOPE: &str = "advertising::campaign_management";

/// The Ads datasets of a connection.
pub const DATASETS: [Dataset; 2] = [Dataset::AdsEntities, Dataset::AdsReports];

/// Makes the connection's Ads datasets run now, the reports from a fresh 95-day backfill
/// (a new Ads consent: what ran before it found nothing to pull). A run in progress is taken
/// over: its next checkpoint finds the state changed and stops.
pub async fn start(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::sync::register(store, tenant, connection, now).await?;
    for d in DATASETS {
        crate::sync::modify(store, tenant, connection, d, |s| {
            Some(crate::sync::SyncState {
                cursor: serde_json::Value::Null,
                progress: crate::sync::Progress::default(),
                backfilled: false,
                run_started_at: None,
                ..s.due_now(now)
            })
        })
        .await?;
    }
    Ok(())
}

/// The connection's region code of a marketplace (`NA`, `EU`, `FE`).
fn region_of_marketplace(id: &str) -> Option<&'static str> {
    marketplaces::by_id(id).map(|m| m.region.code())
}

/// Whether a profile is the connection's: the seller's own, in the connection's region.
pub fn of_connection(p: &Profile, account: &AmazonAccount) -> bool {
    p.account_info.kind == "seller"
        && p.account_info.id == account.seller_id
        && region_of_marketplace(&p.account_info.marketplace_string_id)
            .is_some_and(|r| r.eq_ignore_ascii_case(&account.region))
}

/// The advertiser's seller profiles of the connection's region (the seller's own, in the
/// region the connection is for), stored as entities.
pub async fn sync_profiles(
    api: &AdsApi,
    ctx: &Context,
    store: &dyn Store,
    account: &AmazonAccount,
    now: DateTime<Utc>,
) -> Result<Vec<Profile>, crate::sync::step::StepError> {
    let profiles: Vec<Profile> = api
        .profiles(ctx)
        .await
        .map_err(ads_error)?
        .into_iter()
        .filter(|p| of_connection(p, account))
        .collect();
    for p in &profiles {
        records::put_entity(store, &account.tenant, &profile_entity(p, account, now)).await?;
    }
    Ok(profiles)
}

pub(crate) fn profile_entity(
    p: &Profile,
    account: &AmazonAccount,
    now: DateTime<Utc>,
) -> AdsEntity {
    AdsEntity {
        kind: EntityKind::Profile,
        profile_id: p.profile_id,
        id: p.profile_id.to_string(),
        connection: account.id.to_string(),
        marketplace_id: p.account_info.marketplace_string_id.clone(),
        currency: p.currency_code.clone(),
        campaign_id: None,
        ad_group_id: None,
        name: p.country_code.clone(),
        match_type: None,
        state: "ENABLED".into(),
        bid: None,
        amount: p.daily_budget,
        sku: None,
        asin: None,
        timezone: Some(p.timezone.clone()),
        synced_at: now,
    }
}

/// An Ads failure as a step failure: a refused Ads authorisation fails the Ads dataset alone
/// (the worker would otherwise stop every dataset of the connection, SP-API ones included).
pub fn ads_error(e: AmazonError) -> crate::sync::step::StepError {
    match e {
        AmazonError::NeedsReauthorization(m) => crate::sync::step::StepError::Permanent(format!(
            "Amazon Ads refused the authorisation ({m}): connect Ads again"
        )),
        other => crate::sync::step::StepError::Amazon(other),
    }
}
