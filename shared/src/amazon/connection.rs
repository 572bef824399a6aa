//! A seller connection's credentials, read from the secrets port where the connections
//! repository (`crate::connections`) stores them as a [`ConnectionSecret`], one per connection.

use super::error::AmazonError;
use crate::connections::{ConnectionSecret, ConnectionSecretError};
use crate::ports::Secrets;
use secrecy::SecretString;

/// The stored credentials of a connection. A missing secret or one without a refresh token
/// means the seller has to authorise again.
pub async fn credentials(
    secrets: &dyn Secrets,
    secret_name: &str,
) -> Result<ConnectionSecret, AmazonError> {
    let raw = secrets
        .get(secret_name)
        .await
        .map_err(|e| AmazonError::Dependency(e.to_string()))?
        .ok_or_else(|| {
            AmazonError::NeedsReauthorization("the connection has no stored credentials".into())
        })?;
    ConnectionSecret::parse(&raw).map_err(|e| match e {
        ConnectionSecretError::NotJson => {
            AmazonError::Dependency(format!("secret {secret_name} is not JSON"))
        }
        ConnectionSecretError::NoRefreshToken => AmazonError::NeedsReauthorization(e.to_string()),
    })
}

/// The refresh token of a connection (see [`credentials`]).
pub async fn refresh_token(
    secrets: &dyn Secrets,
    secret_name: &str,
) -> Result<SecretString, AmazonError> {
    Ok(credentials(secrets, secret_name).await?.refresh_token)
}
