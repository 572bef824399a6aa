//! The local runner's app: every API router merged, as API Gateway routes them in AWS.

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
