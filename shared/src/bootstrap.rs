//! Cold-start wiring for the Lambda functions: typed config, one `SdkConfig`, the AWS
//! adapters, the app secret. Mains call this once and hand the state to their router.
//!
//! Init also opens the connections the first request would otherwise pay for: the secret read
//! opens Secrets Manager's, and one key lookup opens DynamoDB's (both run concurrently).

use crate::adapters::{DynamoStore, SecretsManager, SmtpMailer};
use crate::config::Config;
use crate::http::{AppState, TokenKeys};
use crate::ports::mail::{Mail, MailError, Mailer};
use crate::ports::store::Key;
use crate::ports::{Clock, Secrets, Store, SystemClock};
use async_trait::async_trait;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The state of an API function in AWS. Fails (and so fails the cold start) with a message
/// naming what is missing.
pub async fn aws_state() -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    let sdk = sdk_config()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        &config.table_name,
        clock.clone(),
    ));
    let secrets = Arc::new(SecretsManager::new(aws_sdk_secretsmanager::Client::new(
        &sdk,
    )));
    let warm_key = Key::new("WARMUP", "WARMUP");
    // The app secret is read once: the signing key, SMTP and the LWA client all come from it.
    let (raw, warm) = tokio::join!(secrets.get(&config.app_secret_name), store.get(&warm_key),);
    let raw = raw?.ok_or_else(|| {
        crate::error::Error::Unavailable(format!(
            "app secret {} does not exist",
            config.app_secret_name
        ))
    })?;
    let keys = TokenKeys::from_secret(&config.app_secret_name, &raw)?;
    if let Err(e) = warm {
        // Not fatal: the first request will open the connection (and report the failure).
        tracing::warn!(error = %e, "could not reach the table during init");
    }
    let mailer: Arc<dyn Mailer> = match &keys.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url.expose_secret(), &config.mail_from)?),
        None => {
            tracing::warn!(secret = %config.app_secret_name, "smtpUrl is empty in the app secret: mail cannot be sent until it is set");
            Arc::new(Unconfigured)
        }
    };
    let amazon = crate::amazon::AmazonApp::from_secret(
        config.amazon.clone(),
        &config.app_secret_name,
        &raw,
        store.clone(),
        Arc::new(SystemClock),
    )?
    .map(Arc::new);
    Ok(AppState {
        amazon,
        config: Arc::new(config),
        store,
        secrets,
        mailer,
        clock,
        keys: Arc::new(keys),
        background: Default::default(),
    })
}

/// The SDK configuration of a Lambda, from the variables the Lambda service sets: `AWS_REGION`
/// and the execution role's `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`,
/// plus `AWS_ENDPOINT_URL` when set (the emulator in benchmarks).
///
/// Not `aws_config::load_defaults`: its provider chain (profiles, SSO, web identity through STS,
/// ECS, IMDS) is code a Lambda never runs, and about a tenth of each binary.
pub fn sdk_config() -> Result<aws_config::SdkConfig, Box<dyn std::error::Error + Send + Sync>> {
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .map_err(|_| "AWS_REGION is not set")?;
    Ok(sdk_config_with(
        aws_config::Region::new(region),
        aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        std::env::var("AWS_ENDPOINT_URL").ok(),
    ))
}

/// The SDK configuration every AWS client of ours uses, with its region, credentials and
/// (optional) endpoint given: one HTTPS client (hyper 1, rustls on ring) and the SDK's defaults
/// for retries, timeouts and sleeping.
pub fn sdk_config_with(
    region: aws_config::Region,
    credentials: impl aws_credential_types::provider::ProvideCredentials + 'static,
    endpoint_url: Option<String>,
) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut b = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .http_client(http);
    if let Some(url) = endpoint_url {
        b = b.endpoint_url(url);
    }
    b.build()
}

/// Mail while SMTP is not configured: every send fails, and the failure is logged where it
/// happens (registration still succeeds; the user can ask for the mail again later).
struct Unconfigured;

#[async_trait]
impl Mailer for Unconfigured {
    async fn send(&self, _: Mail) -> Result<(), MailError> {
        Err(MailError::Transport(
            "SMTP is not configured (smtpUrl in the app secret)".into(),
        ))
    }
}

/// What a job function needs in AWS: the table and the queues, from one `SdkConfig`.
pub struct JobPorts {
    pub config: crate::config::JobConfig,
    pub store: Arc<dyn crate::ports::Store>,
    pub queues: Arc<dyn crate::ports::Queue>,
    pub clock: Arc<dyn Clock>,
}

/// The ports of a job function in AWS; fails the cold start naming what is missing.
pub async fn aws_jobs() -> Result<JobPorts, Box<dyn std::error::Error + Send + Sync>> {
    let sdk = sdk_config()?;
    jobs_on(&sdk)
}

fn jobs_on(
    sdk: &aws_config::SdkConfig,
) -> Result<JobPorts, Box<dyn std::error::Error + Send + Sync>> {
    let config = crate::config::JobConfig::from_env()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Ok(JobPorts {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.table_name,
            clock.clone(),
        )),
        queues: Arc::new(crate::adapters::SqsQueue::new(aws_sdk_sqs::Client::new(
            sdk,
        ))),
        clock,
        config,
    })
}

/// What the sync worker needs in AWS besides [`JobPorts`]: the secrets, the event bus and our
/// Amazon application. Fails the cold start naming what is missing (`APP_SECRET_NAME`,
/// `EVENT_BUS_NAME`, `AMAZON_APP_ID` or the LWA credentials in the app secret).
pub struct SyncPorts {
    pub jobs: JobPorts,
    pub secrets: Arc<dyn crate::ports::Secrets>,
    pub bus: Arc<dyn crate::ports::bus::EventBus>,
    pub amazon: Arc<crate::amazon::AmazonApp>,
    pub pacer: Arc<dyn crate::ports::Pacer>,
}

/// The ports of the sync worker in AWS.
pub async fn aws_sync() -> Result<SyncPorts, Box<dyn std::error::Error + Send + Sync>> {
    let sdk = sdk_config()?;
    let jobs = jobs_on(&sdk)?;
    let app_secret = jobs
        .config
        .app_secret_name
        .clone()
        .ok_or(crate::config::ConfigError::Missing("APP_SECRET_NAME"))?;
    let bus_name = jobs
        .config
        .event_bus_name
        .clone()
        .ok_or(crate::config::ConfigError::Missing("EVENT_BUS_NAME"))?;
    let secrets: Arc<dyn crate::ports::Secrets> = Arc::new(SecretsManager::new(
        aws_sdk_secretsmanager::Client::new(&sdk),
    ));
    let bus: Arc<dyn crate::ports::bus::EventBus> = Arc::new(crate::adapters::EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        bus_name,
    ));
    let pacer: Arc<dyn crate::ports::Pacer> = Arc::new(SystemClock);
    let amazon = crate::amazon::AmazonApp::load(
        jobs.config.amazon.clone(),
        secrets.as_ref(),
        &app_secret,
        jobs.store.clone(),
        pacer.clone(),
    )
    .await?
    .ok_or(
        "the sync worker needs AMAZON_APP_ID and lwaClientId/lwaClientSecret in the app secret",
    )?;
    Ok(SyncPorts {
        jobs,
        secrets,
        bus,
        amazon: Arc::new(amazon),
        pacer,
    })
}
