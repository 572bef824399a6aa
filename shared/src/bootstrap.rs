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
use crate::ports::{Clock, Store, SystemClock};
use async_trait::async_trait;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The state of an API function in AWS. Fails (and so fails the cold start) with a message
/// naming what is missing.
pub async fn aws_state() -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::from_env()?;
    let sdk = sdk_loader().load().await;
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
    let (keys, warm) = tokio::join!(
        TokenKeys::load(secrets.as_ref(), &config.app_secret_name),
        store.get(&warm_key),
    );
    let keys = keys?;
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
    Ok(AppState {
        config: Arc::new(config),
        store,
        secrets,
        mailer,
        clock,
        keys: Arc::new(keys),
    })
}

/// The SDK configuration loader every AWS client of ours starts from: the environment's region,
/// credentials and endpoint, and one HTTPS client (hyper 1, rustls on ring).
pub fn sdk_loader() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http)
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
