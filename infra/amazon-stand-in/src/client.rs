//! Our Amazon application pointed at a stand-in: its application id, LWA client and base URL,
//! as an operator configures them for Amazon. For tests, benchmarks and the local runner.

use crate::server::StandIn;
use secrecy::SecretString;
use shared::amazon::{AmazonApp, AmazonSettings, Credentials};
use shared::ports::{Pacer, Store};
use std::sync::Arc;

/// Our application on the stand-in at `base` (its URL), the other `settings` as given.
pub fn our_app(
    st: &StandIn,
    base: &str,
    store: Arc<dyn Store>,
    pacer: Arc<dyn Pacer>,
    settings: AmazonSettings,
) -> Arc<AmazonApp> {
    let settings = AmazonSettings {
        application_id: Some(st.apps.application_id.clone()),
        base_url: Some(base.trim_end_matches('/').to_string()),
        ..settings
    };
    let creds = Credentials {
        client_id: st.apps.client_id.clone(),
        client_secret: SecretString::from(st.apps.client_secret.clone()),
        token_url: settings.token_url(),
    };
    Arc::new(AmazonApp::new(
        settings,
        creds,
        store,
        pacer,
        &SecretString::from("a-token-cache-key-of-32-bytes-or-more".to_string()),
    ))
}
