//! Cold-start wiring for the Lambda functions: typed config, one `SdkConfig`, the AWS
//! adapters, the app secret. Mains call this once and hand the state to their router.

use crate::adapters::{DynamoStore, SecretsManager, SmtpMailer};
use crate::config::Config;
use crate::http::{AppState, TokenKeys};
use crate::ports::mail::{Mail, MailError, Mailer};
use crate::ports::{Clock, SystemClock};
use async_trait::async_trait;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The state of an API function in AWS. Fails (and so fails the cold start) with a message
/// naming what is missing.
pub async fn aws_state() -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        &config.table_name,
        clock.clone(),
    ));
    let secrets = Arc::new(SecretsManager::new(aws_sdk_secretsmanager::Client::new(
        &sdk,
    )));
    let keys = TokenKeys::load(secrets.as_ref(), &config.app_secret_name).await?;
    let mailer: Arc<dyn Mailer> = match &keys.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url.expose_secret(), &config.mail_from)?),
        None => {
            tracing::warn!(secret = %config.app_secret_name, "smtpUrl is empty in the app secret: mail cannot be sent until it is set");
            Arc::new(Unconfigured)
        }
    };
    Ok(AppState {
        config: Arc::new(config),
        store,
        secrets,
        mailer,
        clock,
        keys: Arc::new(keys),
        background: Default::default(),
    })
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
    let config = crate::config::JobConfig::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Ok(JobPorts {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            &config.table_name,
            clock.clone(),
        )),
        queues: Arc::new(crate::adapters::SqsQueue::new(aws_sdk_sqs::Client::new(
            &sdk,
        ))),
        clock,
        config,
    })
}
