//! A seller connection's credentials, read from the secrets port where the accounts API stores
//! them (`{"refreshToken": "Atzr|...", ...}`, one secret per connection).

use super::error::AmazonError;
use crate::ports::Secrets;
use secrecy::{ExposeSecret, SecretString};

/// The refresh token of a connection. A missing secret or one without a refresh token means
/// the seller has to authorise again.
pub async fn refresh_token(
    secrets: &dyn Secrets,
    secret_name: &str,
) -> Result<SecretString, AmazonError> {
    let raw = secrets
        .get(secret_name)
        .await
        .map_err(|e| AmazonError::Dependency(e.to_string()))?
        .ok_or_else(|| {
            AmazonError::NeedsReauthorization("the connection has no stored credentials".into())
        })?;
    let parsed: serde_json::Value = serde_json::from_str(raw.expose_secret())
        .map_err(|_| AmazonError::Dependency(format!("secret {secret_name} is not JSON")))?;
    parsed["refreshToken"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(|t| SecretString::from(t.to_string()))
        .ok_or_else(|| {
            AmazonError::NeedsReauthorization("the stored credentials hold no refresh token".into())
        })
}
