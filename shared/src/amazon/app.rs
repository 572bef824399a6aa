//! Our Amazon application as one process sees it: where Amazon lives (each region's SP-API
//! host and Seller Central's consent page, or one base URL for all of them: the stand-in), the
//! LWA credentials from the app secret, and one executor (token cache, shared limiter, time)
//! behind every client it hands out.
//!
//! Variables (all optional; without `AMAZON_APP_ID` and the LWA credentials the connect flow
//! is off and `GET /api/amazon/oauth/status` says so):
//! - `AMAZON_APP_ID`: the SP-API application id the consent page asks about;
//! - `AMAZON_BASE_URL`: one base URL for SP-API, LWA and consent (the stand-in);
//! - `AMAZON_SANDBOX`: `true` for Amazon's sandbox hosts;
//! - `NOTIFICATIONS_QUEUE_ARN`: the SQS queue Amazon delivers notifications to (our one
//!   destination per region); without it sellers connect without notification subscriptions.
//!
//! The app secret carries `lwaClientId` and `lwaClientSecret` beside its other keys.

use super::client::{Context, Executor};
use super::endpoints::{SpApiEndpoint, LWA_TOKEN_URL};
use super::error::AmazonError;
use super::limiter::RateLimiter;
use super::lwa::{Credentials, TokenProvider};
use super::operations::SpApi;
use crate::connections::AmazonAccount;
use crate::marketplaces::Region;
use crate::ports::{Pacer, Secrets, Store};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Where our Amazon application lives and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmazonSettings {
    /// The SP-API application id (`amzn1.sp.solution.…`); `None` turns connecting off.
    pub application_id: Option<String>,
    /// One base URL for everything (the stand-in), instead of Amazon's hosts.
    pub base_url: Option<String>,
    pub sandbox: bool,
    /// The SQS queue ARN of our notification destination (`NOTIFICATIONS_QUEUE_ARN`).
    pub notifications_queue_arn: Option<String>,
    /// `AMAZON_RETURN_URL`: the public URL of `/api/amazon/oauth/return`, registered with
    /// Amazon as the app's redirect URI. When set, Amazon sends the seller back there and the
    /// return hop forwards the browser to the frontend's callback page as that page reads it
    /// (its real path, `code` for `spapi_oauth_code`). Unset: Amazon redirects straight to the
    /// `redirectUri` the frontend gave.
    pub return_url: Option<String>,
    /// `FRONTEND_OAUTH_PAGE`: the path of the frontend's callback page the return hop forwards
    /// to (default `/settings/amazon/callback`, where the frontend serves it).
    pub frontend_oauth_page: String,
}

impl Default for AmazonSettings {
    fn default() -> Self {
        Self {
            application_id: None,
            base_url: None,
            sandbox: false,
            notifications_queue_arn: None,
            return_url: None,
            frontend_oauth_page: "/settings/amazon/callback".into(),
        }
    }
}

impl AmazonSettings {
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, crate::config::ConfigError> {
        let get = |n: &str| {
            vars.get(n)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let sandbox = match get("AMAZON_SANDBOX").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(v) => {
                return Err(crate::config::ConfigError::Invalid {
                    name: "AMAZON_SANDBOX",
                    reason: format!("{v:?} is not true or false"),
                })
            }
        };
        if let Some(url) = get("AMAZON_BASE_URL") {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(crate::config::ConfigError::Invalid {
                    name: "AMAZON_BASE_URL",
                    reason: format!("{url:?} is not an http(s) URL"),
                });
            }
        }
        if let Some(arn) = get("NOTIFICATIONS_QUEUE_ARN") {
            if !arn.starts_with("arn:aws:sqs:") {
                return Err(crate::config::ConfigError::Invalid {
                    name: "NOTIFICATIONS_QUEUE_ARN",
                    reason: format!("{arn:?} is not an SQS queue ARN"),
                });
            }
        }
        let return_url = get("AMAZON_RETURN_URL");
        if let Some(url) = &return_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(crate::config::ConfigError::Invalid {
                    name: "AMAZON_RETURN_URL",
                    reason: format!("{url:?} is not an http(s) URL"),
                });
            }
        }
        let frontend_oauth_page =
            get("FRONTEND_OAUTH_PAGE").unwrap_or_else(|| "/settings/amazon/callback".into());
        if !frontend_oauth_page.starts_with('/') {
            return Err(crate::config::ConfigError::Invalid {
                name: "FRONTEND_OAUTH_PAGE",
                reason: format!("{frontend_oauth_page:?} is not a path starting with /"),
            });
        }
        Ok(Self {
            return_url,
            frontend_oauth_page,
            notifications_queue_arn: get("NOTIFICATIONS_QUEUE_ARN"),
            application_id: get("AMAZON_APP_ID"),
            base_url: get("AMAZON_BASE_URL").map(|u| u.trim_end_matches('/').to_string()),
            sandbox,
        })
    }

    /// The SP-API host of a region.
    pub fn sp_api_endpoint(&self, region: Region) -> SpApiEndpoint {
        match (&self.base_url, self.sandbox) {
            (Some(url), _) => SpApiEndpoint::Custom(url.clone()),
            (None, true) => SpApiEndpoint::Sandbox(region),
            (None, false) => SpApiEndpoint::Production(region),
        }
    }

    /// LWA's token endpoint.
    pub fn token_url(&self) -> String {
        match &self.base_url {
            Some(url) => format!("{url}/auth/o2/token"),
            None => LWA_TOKEN_URL.to_string(),
        }
    }

    /// The consent page a seller of `region` is sent to, with our `state` and redirect.
    pub fn consent_url(&self, region: Region, state: &str, redirect_uri: &str) -> Option<String> {
        let app = self.application_id.as_ref()?;
        let host = match (&self.base_url, region) {
            (Some(url), _) => url.clone(),
            (None, Region::NorthAmerica) => "https://sellercentral.amazon.com".into(),
            (None, Region::Europe) => "https://sellercentral-europe.amazon.com".into(),
            (None, Region::FarEast) => "https://sellercentral.amazon.co.jp".into(),
        };
        let query = serde_urlencoded::to_string([
            ("application_id", app.as_str()),
            ("state", state),
            ("redirect_uri", redirect_uri),
        ])
        .ok()?;
        let mut url = format!("{host}/apps/authorize/consent?{query}");
        // An app still in draft is authorised with `version=beta`, as Amazon documents.
        if self.sandbox {
            url.push_str("&version=beta");
        }
        Some(url)
    }
}

/// The LWA part of the app secret.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LwaSecret {
    #[serde(default)]
    lwa_client_id: Option<String>,
    #[serde(default)]
    lwa_client_secret: Option<String>,
    jwt_signing_key: String,
}

/// Our application with its clients: one per process.
pub struct AmazonApp {
    pub settings: AmazonSettings,
    pub tokens: Arc<TokenProvider>,
    exec: Arc<Executor>,
}

impl AmazonApp {
    /// Reads the LWA credentials from the app secret; `Ok(None)` when they or the application
    /// id are not configured (connecting is off; the rest of the product works).
    pub async fn load(
        settings: AmazonSettings,
        secrets: &dyn Secrets,
        app_secret_name: &str,
        store: Arc<dyn Store>,
        pacer: Arc<dyn Pacer>,
    ) -> Result<Option<Self>, AmazonError> {
        let raw = secrets
            .get(app_secret_name)
            .await
            .map_err(|e| AmazonError::Dependency(e.to_string()))?
            .ok_or_else(|| {
                AmazonError::Configuration(format!("app secret {app_secret_name} does not exist"))
            })?;
        Self::from_secret(settings, app_secret_name, &raw, store, pacer)
    }

    /// The same from the app secret already read (a cold start reads it once for everything).
    pub fn from_secret(
        settings: AmazonSettings,
        app_secret_name: &str,
        raw: &SecretString,
        store: Arc<dyn Store>,
        pacer: Arc<dyn Pacer>,
    ) -> Result<Option<Self>, AmazonError> {
        let parsed: LwaSecret = serde_json::from_str(raw.expose_secret()).map_err(|e| {
            AmazonError::Configuration(format!("app secret {app_secret_name}: {e}"))
        })?;
        let (Some(client_id), Some(client_secret)) = (
            parsed.lwa_client_id.filter(|s| !s.is_empty()),
            parsed.lwa_client_secret.filter(|s| !s.is_empty()),
        ) else {
            tracing::info!(
                "lwaClientId/lwaClientSecret not in the app secret: connecting Amazon is off"
            );
            return Ok(None);
        };
        if settings.application_id.is_none() {
            tracing::info!("AMAZON_APP_ID is not set: connecting Amazon is off");
            return Ok(None);
        }
        let creds = Credentials {
            client_id,
            client_secret: SecretString::from(client_secret),
            token_url: settings.token_url(),
        };
        // The token cache key is derived from the signing key, for this use only.
        let cache_key = SecretString::from(format!("lwa-cache:{}", parsed.jwt_signing_key));
        Ok(Some(Self::new(settings, creds, store, pacer, &cache_key)))
    }

    pub fn new(
        settings: AmazonSettings,
        creds: Credentials,
        store: Arc<dyn Store>,
        pacer: Arc<dyn Pacer>,
        cache_key: &SecretString,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        let tokens = Arc::new(TokenProvider::new(
            http.clone(),
            creds,
            store.clone(),
            pacer.clone(),
            cache_key,
        ));
        let limiter = Arc::new(RateLimiter::new(store, pacer.clone()));
        let exec = Arc::new(Executor::new(http, tokens.clone(), limiter, pacer));
        Self {
            settings,
            tokens,
            exec,
        }
    }

    /// The SP-API of a region, on this process's executor.
    pub fn sp_api(&self, region: Region) -> SpApi {
        SpApi::with_executor(
            self.exec.clone(),
            self.settings.sp_api_endpoint(region).base_url(),
        )
    }

    pub fn executor(&self) -> &Arc<Executor> {
        &self.exec
    }

    /// The call context of a connection, its refresh token read from its secret.
    pub async fn context(
        &self,
        secrets: &dyn Secrets,
        secret_name: &str,
        account: &AmazonAccount,
        deadline: DateTime<Utc>,
    ) -> Result<Context, AmazonError> {
        let refresh = super::connection::refresh_token(secrets, secret_name).await?;
        Ok(Context::new(
            account.id.as_str(),
            account.seller_id.clone(),
            refresh,
            deadline,
        ))
    }
}

/// The region of a connection (its stored code: `NA`, `EU`, `FE`).
pub fn region_of(account: &AmazonAccount) -> Region {
    match account.region.as_str() {
        "EU" => Region::Europe,
        "FE" => Region::FarEast,
        _ => Region::NorthAmerica,
    }
}
