//! The Secrets Manager adapter of the secrets port.

use crate::ports::secrets::{validate_name, Secrets, SecretsError};
use async_trait::async_trait;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone)]
pub struct SecretsManager {
    client: Client,
}

impl SecretsManager {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    e.as_service_error().and_then(|s| s.code())
}

fn unavailable<E, R>(e: SdkError<E, R>) -> SecretsError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    SecretsError::Unavailable(DisplayErrorContext(&e).to_string())
}

#[async_trait]
impl Secrets for SecretsManager {
    async fn get(&self, name: &str) -> Result<Option<SecretString>, SecretsError> {
        validate_name(name)?;
        match self.client.get_secret_value().secret_id(name).send().await {
            Ok(out) => Ok(out
                .secret_string()
                .map(|s| SecretString::from(s.to_string()))),
            Err(e) if matches!(code(&e), Some("ResourceNotFoundException")) => Ok(None),
            // A secret scheduled for deletion reads as gone.
            Err(e) if matches!(code(&e), Some("InvalidRequestException")) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn put(&self, name: &str, value: SecretString) -> Result<(), SecretsError> {
        validate_name(name)?;
        match self
            .client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value.expose_secret())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(code(&e), Some("ResourceNotFoundException")) => {
                match self
                    .client
                    .create_secret()
                    .name(name)
                    .secret_string(value.expose_secret())
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    // Lost a race with another writer that created it: write the value again.
                    Err(e) if matches!(code(&e), Some("ResourceExistsException")) => self
                        .client
                        .put_secret_value()
                        .secret_id(name)
                        .secret_string(value.expose_secret())
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(unavailable),
                    Err(e) => Err(unavailable(e)),
                }
            }
            // Deleted but still in its recovery window: restore, then write.
            Err(e) if matches!(code(&e), Some("InvalidRequestException")) => {
                self.client
                    .restore_secret()
                    .secret_id(name)
                    .send()
                    .await
                    .map_err(unavailable)?;
                self.client
                    .put_secret_value()
                    .secret_id(name)
                    .secret_string(value.expose_secret())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(unavailable)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), SecretsError> {
        validate_name(name)?;
        match self
            .client
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(code(&e), Some("ResourceNotFoundException")) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}
