//! The local runner's app: every API router merged, as API Gateway routes them in AWS, and
//! its jobs (`jobs`).

pub mod jobs;

use shared::amazon::AmazonApp;
use shared::config::Config;
use shared::error::Result;
use shared::http::{AppState, TokenKeys};
use shared::ports::queue::QueueRef;
use shared::ports::{Pacer, Secrets, Store};
use shared::sync::ads::AdsAccess;
use std::collections::HashMap;
use std::sync::Arc;

/// All routers of the deployed functions, merged.
pub fn app(state: AppState) -> axum::Router {
    app_with(state, None)
}

/// The same, the PPC group with this Ads application (connecting Ads, applying changes).
pub fn app_with(state: AppState, ads: Option<Arc<AdsAccess>>) -> axum::Router {
    shared::http::finish(
        api_auth::routes()
            .merge(api_accounts::routes())
            .merge(api_amazon::routes())
            .merge(api_profit::routes())
            .merge(api_ppc::routes_with(ads))
            .merge(api_inventory::routes()),
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

/// The variables the local runner sets when its stand-in is Amazon (before the environment,
/// which wins): the stand-in's URL and application, and the fake ARN of the embedded
/// notifications queue as the destination Amazon delivers to.
pub fn stand_in_defaults(
    st: &amazon_stand_in::StandIn,
    base_url: &str,
    notifications: &QueueRef,
) -> Vec<(&'static str, String)> {
    vec![
        ("AMAZON_BASE_URL", base_url.to_string()),
        ("AMAZON_APP_ID", st.apps.application_id.clone()),
        ("NOTIFICATIONS_QUEUE_ARN", jobs::arn_of(notifications)),
    ]
}

/// The Lambdas' configuration from `vars`, with the local runner's defaults for those not
/// set: fixed ones, then `defaults`.
pub fn local_config(
    defaults: &[(&str, String)],
    vars: impl IntoIterator<Item = (String, String)>,
) -> std::result::Result<Config, shared::config::ConfigError> {
    let mut all: HashMap<String, String> = [
        ("TABLE_NAME", "beddora-local"),
        ("APP_SECRET_NAME", "beddora/local/app"),
        ("SECRET_PREFIX", "beddora/local/"),
        ("CORS_ORIGINS", "http://localhost:5100"),
        ("FRONTEND_URL", "http://localhost:5100"),
        ("MAIL_FROM", "Beddora <no-reply@beddora.local>"),
        ("COOKIE_SECURE", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    all.extend(defaults.iter().map(|(k, v)| (k.to_string(), v.clone())));
    all.extend(vars.into_iter().filter(|(_, v)| !v.trim().is_empty()));
    Config::from_vars(&all)
}

/// Our Amazon application as the local runner configures it: when the configured Amazon is
/// the stand-in (`stand_in`: it and its URL), its LWA client goes into the app secret first,
/// as an operator puts ours there in AWS. `None` when connecting is off.
pub async fn amazon_app(
    config: &Config,
    secrets: &dyn Secrets,
    store: Arc<dyn Store>,
    pacer: Arc<dyn Pacer>,
    stand_in: Option<(&amazon_stand_in::StandIn, &str)>,
) -> std::result::Result<Option<Arc<AmazonApp>>, String> {
    if let Some((st, url)) = stand_in {
        if config.amazon.base_url.as_deref() == Some(url) {
            lwa_credentials(
                secrets,
                &config.app_secret_name,
                &st.apps.client_id,
                &st.apps.client_secret,
            )
            .await
            .map_err(|e| format!("the app secret: {e}"))?;
        }
    }
    Ok(AmazonApp::load(
        config.amazon.clone(),
        secrets,
        &config.app_secret_name,
        store,
        pacer,
    )
    .await
    .map_err(|e| format!("Amazon application: {e}"))?
    .map(Arc::new))
}

/// Our Amazon Ads application as the local runner configures it: with the stand-in as
/// Amazon, its Ads LWA client goes into the app secret (`adsClientId`/`adsClientSecret`) as an
/// operator puts ours there in AWS; Login with Amazon returns advertisers to `return_url`
/// (`ADS_RETURN_URL`). `None` when the app secret has no Ads client (connecting Ads is off).
pub async fn ads_access(
    config: &Config,
    secrets: Arc<dyn Secrets>,
    store: Arc<dyn Store>,
    pacer: Arc<dyn Pacer>,
    stand_in: Option<(&amazon_stand_in::StandIn, &str)>,
    return_url: String,
) -> std::result::Result<Option<Arc<AdsAccess>>, String> {
    use secrecy::ExposeSecret;
    let name = &config.app_secret_name;
    let read =
        |raw: Option<secrecy::SecretString>| -> std::result::Result<serde_json::Value, String> {
            let raw = raw.ok_or_else(|| format!("the app secret {name} does not exist"))?;
            serde_json::from_str(raw.expose_secret())
                .map_err(|e| format!("the app secret {name}: {e}"))
        };
    if let Some((st, url)) = stand_in {
        if config.amazon.base_url.as_deref() == Some(url) {
            let mut body = read(secrets.get(name).await.map_err(|e| e.to_string())?)?;
            if body["adsClientId"] != st.apps.ads_client_id.as_str()
                || body["adsClientSecret"] != st.apps.ads_client_secret.as_str()
            {
                body["adsClientId"] = serde_json::json!(st.apps.ads_client_id);
                body["adsClientSecret"] = serde_json::json!(st.apps.ads_client_secret);
                secrets
                    .put(name, secrecy::SecretString::from(body.to_string()))
                    .await
                    .map_err(|e| format!("the app secret: {e}"))?;
            }
        }
    }
    let Some(raw) = secrets.get(name).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    Ok(AdsAccess::from_app_secret(
        &raw,
        config.amazon.token_url(),
        config.amazon.base_url.clone(),
        store,
        pacer,
        secrets,
        &config.secret_prefix,
    )
    .map(|a| Arc::new(a.with_return_url(Some(return_url)))))
}
