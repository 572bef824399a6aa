//! Typed configuration, read once from the environment at cold start. A missing or malformed
//! value fails the start with a message naming the variable.

use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Settings shared by every API function and the local runner.
#[derive(Debug, Clone)]
pub struct Config {
    /// DynamoDB table (Lambda) or unused (local runner).
    pub table_name: String,
    /// Name of the app secret: JSON `{"jwtSigningKey": "...", "smtpUrl": "..."}`.
    pub app_secret_name: String,
    /// Prefix of every secret this deployment writes (seller credentials).
    pub secret_prefix: String,
    /// Exact origins allowed by CORS, with credentials.
    pub cors_origins: Vec<String>,
    /// Base URL of the frontend, for the links in mails.
    pub frontend_url: String,
    pub mail_from: String,
    /// Whether the refresh cookie is `Secure` (true everywhere but plain-http local runs).
    pub cookie_secure: bool,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    pub email_verify_ttl_hours: i64,
    pub password_reset_ttl_minutes: i64,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Source of exchange rates (Frankfurter-style JSON); none disables `update-rates`.
    pub exchange_rates_url: Option<String>,
    /// Addresses of the service's operators (`OPERATOR_EMAILS`, comma-separated): the only
    /// users who may trigger global actions such as fetching exchange rates. No tenant role
    /// grants this.
    pub operator_emails: Vec<String>,
    /// Our Amazon application (`AMAZON_*`, see `crate::amazon::app`).
    pub amazon: crate::amazon::AmazonSettings,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads the given variables (tests pass their own).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |n: &'static str| vars.get(n).map(|s| s.trim()).filter(|s| !s.is_empty());
        let req = |n: &'static str| get(n).map(str::to_string).ok_or(ConfigError::Missing(n));
        fn num<T: std::str::FromStr>(
            v: Option<&str>,
            name: &'static str,
            default: T,
        ) -> Result<T, ConfigError> {
            match v {
                None => Ok(default),
                Some(s) => s.parse().map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("{s:?} is not a number"),
                }),
            }
        }
        let cors_origins: Vec<String> = req("CORS_ORIGINS")?
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .collect();
        for o in &cors_origins {
            if o == "*" || !(o.starts_with("http://") || o.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    name: "CORS_ORIGINS",
                    reason: format!("{o:?} must be an exact http(s) origin (no wildcard)"),
                });
            }
        }
        let cookie_secure = match get("COOKIE_SECURE") {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "COOKIE_SECURE",
                    reason: format!("{other:?} is not true or false"),
                })
            }
        };
        Ok(Self {
            table_name: req("TABLE_NAME")?,
            app_secret_name: req("APP_SECRET_NAME")?,
            secret_prefix: get("SECRET_PREFIX").unwrap_or("beddora/").to_string(),
            cors_origins,
            frontend_url: req("FRONTEND_URL")?.trim_end_matches('/').to_string(),
            mail_from: req("MAIL_FROM")?,
            cookie_secure,
            access_token_ttl_secs: num(
                get("ACCESS_TOKEN_TTL_SECONDS"),
                "ACCESS_TOKEN_TTL_SECONDS",
                12 * 3600,
            )?,
            refresh_token_ttl_days: num(
                get("REFRESH_TOKEN_TTL_DAYS"),
                "REFRESH_TOKEN_TTL_DAYS",
                14,
            )?,
            email_verify_ttl_hours: num(
                get("EMAIL_VERIFY_TTL_HOURS"),
                "EMAIL_VERIFY_TTL_HOURS",
                24,
            )?,
            password_reset_ttl_minutes: num(
                get("PASSWORD_RESET_TTL_MINUTES"),
                "PASSWORD_RESET_TTL_MINUTES",
                30,
            )?,
            max_body_bytes: num(get("MAX_BODY_BYTES"), "MAX_BODY_BYTES", 1024 * 1024)?,
            exchange_rates_url: get("EXCHANGE_RATES_URL").map(str::to_string),
            operator_emails: get("OPERATOR_EMAILS")
                .unwrap_or_default()
                .split(',')
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .collect(),
            amazon: crate::amazon::AmazonSettings::from_vars(vars)?,
        })
    }

    /// Settings for tests and the local runner, before any environment overrides.
    pub fn local_defaults() -> Self {
        Self {
            table_name: "beddora-local".into(),
            app_secret_name: "beddora/local/app".into(),
            secret_prefix: "beddora/local/".into(),
            // One host name end to end (see the README): the refresh cookie is SameSite=Lax,
            // so a frontend on 127.0.0.1 talking to an API on localhost (or the reverse) is
            // cross-site and loses its session on every reload.
            cors_origins: vec!["http://localhost:5100".into()],
            frontend_url: "http://localhost:5100".into(),
            mail_from: "Beddora <no-reply@beddora.local>".into(),
            cookie_secure: false,
            access_token_ttl_secs: 12 * 3600,
            refresh_token_ttl_days: 14,
            email_verify_ttl_hours: 24,
            password_reset_ttl_minutes: 30,
            max_body_bytes: 1024 * 1024,
            exchange_rates_url: None,
            operator_emails: vec![],
            amazon: Default::default(),
        }
    }
}

/// Settings of the job functions (SQS-triggered), from their environment.
#[derive(Debug, Clone)]
pub struct JobConfig {
    pub table_name: String,
    /// The queue of sync steps (`job-sync-worker`'s).
    pub sync_queue_url: String,
    /// Runs the dispatcher starts per batch of its query (it repeats while time is left).
    pub dispatch_batch: usize,
    /// The app secret (`APP_SECRET_NAME`): the LWA client of our Amazon application. Required
    /// by the jobs that call Amazon.
    pub app_secret_name: Option<String>,
    /// Prefix of the seller connections' secrets (`SECRET_PREFIX`, as the API functions).
    pub secret_prefix: String,
    /// The EventBridge bus of domain events (`EVENT_BUS_NAME`). Required by the jobs that
    /// publish them.
    pub event_bus_name: Option<String>,
    /// Our Amazon application (`AMAZON_*`, see `crate::amazon::app`).
    pub amazon: crate::amazon::AmazonSettings,
    /// The Amazon notifications queue (`NOTIFICATIONS_QUEUE_URL`, `job-notifications`' own).
    pub notifications_queue_url: Option<String>,
}

impl JobConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |n: &'static str| vars.get(n).map(|s| s.trim()).filter(|s| !s.is_empty());
        let req = |n: &'static str| get(n).map(str::to_string).ok_or(ConfigError::Missing(n));
        let dispatch_batch = match get("DISPATCH_BATCH") {
            None => 100,
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "DISPATCH_BATCH",
                    reason: format!("{v:?} is not a number from 1 to 1000"),
                })?,
        };
        Ok(Self {
            table_name: req("TABLE_NAME")?,
            sync_queue_url: req("SYNC_QUEUE_URL")?,
            dispatch_batch,
            app_secret_name: get("APP_SECRET_NAME").map(str::to_string),
            secret_prefix: get("SECRET_PREFIX").unwrap_or("beddora/").to_string(),
            event_bus_name: get("EVENT_BUS_NAME").map(str::to_string),
            amazon: crate::amazon::AmazonSettings::from_vars(vars)?,
            notifications_queue_url: get("NOTIFICATIONS_QUEUE_URL").map(str::to_string),
        })
    }
}
