//! Lambda entry point of the PPC endpoint group.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::bootstrap::aws_state().await?;
    // The Ads application (`adsClientId`/`adsClientSecret` in the app secret), when there:
    // without it the PPC pages read what is synced and applying changes answers 503.
    let ads = match (
        &state.amazon,
        state.secrets.get(&state.config.app_secret_name).await?,
    ) {
        (Some(app), Some(raw)) => shared::sync::ads::AdsAccess::from_app_secret(
            &raw,
            app.settings.token_url(),
            app.settings.base_url.clone(),
            state.store.clone(),
            Arc::new(shared::ports::SystemClock),
            state.secrets.clone(),
            &state.config.secret_prefix,
        )
        // Where Login with Amazon returns an advertiser whose page named none.
        .map(|a| a.with_return_url(std::env::var("ADS_RETURN_URL").ok()))
        .map(Arc::new),
        _ => None,
    };
    lambda_http::run(api_ppc::router_with(state, ads)).await
}
