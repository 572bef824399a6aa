//! The local runner's app: every API router merged, as API Gateway routes them in AWS, and
//! its jobs (`jobs`).

pub mod jobs;

use shared::error::Result;
use shared::http::{AppState, TokenKeys};
use shared::ports::Secrets;

/// All routers of the deployed functions, merged.
pub fn app(state: AppState) -> axum::Router {
    shared::http::finish(
        api_auth::routes()
            .merge(api_accounts::routes())
            .merge(api_amazon::routes()),
        state,
    )
}

/// The app secret of the local runner, created with a random signing key on first start.
pub async fn app_keys(secrets: &dyn Secrets, name: &str) -> Result<TokenKeys> {
    if secrets.get(name).await?.is_none() {
        let key = format!(
            "{}{}",
            shared::identity::random_token(),
            shared::identity::random_token()
        );
        let body = serde_json::json!({"jwtSigningKey": key, "smtpUrl": ""}).to_string();
        secrets.put(name, secrecy::SecretString::from(body)).await?;
    }
    TokenKeys::load(secrets, name).await
}

/// Puts our LWA application's credentials (the stand-in's) into the app secret, beside the
/// keys already there, so `AmazonApp::load` finds them as it does in AWS.
pub async fn lwa_credentials(
    secrets: &dyn Secrets,
    name: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<()> {
    use secrecy::ExposeSecret;
    let current = secrets.get(name).await?.ok_or_else(|| {
        shared::error::Error::Internal(format!("the app secret {name} does not exist"))
    })?;
    let mut body: serde_json::Value = serde_json::from_str(current.expose_secret())
        .map_err(|e| shared::error::Error::Internal(format!("the app secret {name}: {e}")))?;
    if body["lwaClientId"] == client_id && body["lwaClientSecret"] == client_secret {
        return Ok(());
    }
    body["lwaClientId"] = serde_json::json!(client_id);
    body["lwaClientSecret"] = serde_json::json!(client_secret);
    secrets
        .put(name, secrecy::SecretString::from(body.to_string()))
        .await?;
    Ok(())
}
