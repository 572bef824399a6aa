//! The Amazon endpoint group (`/api/amazon/*`): what the sync page reads and does. A "job" here
//! is one dataset of one connected seller account (`<amazonAccountId>.<dataset>`), whose state
//! the sync workers keep (`shared::sync`); failures come from the job runtime's records
//! (`shared::jobs`). Connecting a seller is `oauth`; the dashboard's live check is `sandbox`.
//! Everything is scoped to the caller's tenant (the OAuth callback's by its single-use state).

mod oauth;
mod recovery;
mod sandbox;
mod sync;

use axum::http::Method;
use axum::routing::{delete, get, post};
use axum::Router;
use shared::error::Result;
use shared::http::{AppState, AuthUser, Endpoint};
use shared::identity::tenancy::{self, Context};

pub fn router(state: AppState) -> Router {
    shared::http::finish(routes(), state)
}

/// The group's routes without layers, for merging (the local runner).
pub fn routes() -> Router<AppState> {
    shared::http::route_all(endpoints())
}

/// Every endpoint of the group.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        (M::GET, "/api/amazon/oauth/status", get(oauth::status)),
        (M::GET, "/api/amazon/oauth/authorize", get(oauth::authorize)),
        (M::GET, "/api/amazon/oauth/callback", get(oauth::callback)),
        (M::GET, "/api/amazon/sandbox/test", get(sandbox::test)),
        (M::GET, "/api/amazon/sandbox/orders", get(sandbox::orders)),
        (M::POST, "/api/amazon/sync/trigger", post(sync::trigger)),
        (M::GET, "/api/amazon/sync/status", get(sync::status)),
        (
            M::GET,
            "/api/amazon/sync/status/{job_id}",
            get(sync::job_status),
        ),
        (
            M::DELETE,
            "/api/amazon/sync/cancel/{job_id}",
            delete(sync::cancel),
        ),
        (
            M::GET,
            "/api/amazon/sync/queue-stats",
            get(sync::queue_stats),
        ),
        (M::GET, "/api/amazon/sync-logs", get(sync::logs)),
        (
            M::GET,
            "/api/amazon/error-recovery/retryable",
            get(recovery::retryable),
        ),
        (
            M::GET,
            "/api/amazon/error-recovery/permanent",
            get(recovery::permanent),
        ),
        (
            M::POST,
            "/api/amazon/error-recovery/retry/{job_id}",
            post(recovery::retry),
        ),
        (
            M::POST,
            "/api/amazon/error-recovery/bulk-retry",
            post(recovery::bulk_retry),
        ),
        (
            M::GET,
            "/api/amazon/error-recovery/statistics",
            get(recovery::statistics),
        ),
    ]
}

/// The caller's tenant (their default account; these calls carry no account id).
async fn context(state: &AppState, auth: &AuthUser) -> Result<Context> {
    tenancy::resolve(state.store.as_ref(), &auth.user, None).await
}
