//! HTTP plumbing shared by every router: state, the error body, a JSON extractor with clear
//! 400s, the auth extractor, cookies, CORS and the common layers.

mod auth;
mod background;
mod error;
mod extract;

pub use auth::{AuthUser, Claims, TokenKeys};
pub use background::Background;
pub use error::error_response;
pub use extract::{cookie, ClientIp, JsonBody, QueryParams};

use crate::config::Config;
use crate::ports::{Clock, Mailer, Secrets, Store};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::Router;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// What every handler can reach: config and the ports, built once per cold start.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn Secrets>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<TokenKeys>,
    /// Our Amazon application; `None` while it is not configured (connecting is off).
    pub amazon: Option<Arc<crate::amazon::AmazonApp>>,
    /// Work started by requests and not awaited by them (mail).
    pub background: Background,
}

/// CORS for the configured exact origins, with credentials, as the frontend needs.
pub fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// One endpoint of a router: method, path template and handler. Each `api-*` crate lists
/// its endpoints in one table and builds its router from it, so tests can enumerate every
/// route (the tenant-isolation test covers each one).
pub type Endpoint = (Method, &'static str, axum::routing::MethodRouter<AppState>);

/// A router serving every endpoint of the table.
pub fn route_all(endpoints: Vec<Endpoint>) -> Router<AppState> {
    endpoints
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        })
}

/// The layers every API router gets: body limit, CORS, JSON 404/405.
pub fn finish(router: Router<AppState>, state: AppState) -> Router {
    let cors = cors(&state.config);
    let limit = state.config.max_body_bytes;
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(cors)
        .with_state(state)
}

async fn not_found() -> axum::response::Response {
    error_response(&crate::Error::NotFound("No such endpoint".into()))
}

async fn method_not_allowed() -> axum::response::Response {
    error::status_response(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed on this endpoint",
    )
}
