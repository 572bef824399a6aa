//! The secrets port: seller refresh tokens and app keys. Values travel as `SecretString`
//! so they can never be `Debug`-printed into a log by accident.

use async_trait::async_trait;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("secret name is invalid: {0}")]
    InvalidName(String),
    #[error("secrets backend unavailable: {0}")]
    Unavailable(String),
}

/// Named secrets, each holding one string value (often JSON).
#[async_trait]
pub trait Secrets: Send + Sync {
    /// The current value, or `None` when no such secret exists (or it was deleted).
    async fn get(&self, name: &str) -> Result<Option<SecretString>, SecretsError>;
    /// Creates the secret or replaces its current value.
    async fn put(&self, name: &str, value: SecretString) -> Result<(), SecretsError>;
    /// Deletes the secret; deleting a missing secret is not an error.
    async fn delete(&self, name: &str) -> Result<(), SecretsError>;
}

/// Secret names: letters, digits and `/_+=.@-`, 1 to 512 characters, as Secrets Manager allows.
pub fn validate_name(name: &str) -> Result<(), SecretsError> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SecretsError::InvalidName(name.to_string()))
    }
}
