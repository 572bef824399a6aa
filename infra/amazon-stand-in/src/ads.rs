//! The Amazon Ads API: profiles, Sponsored Products v3 campaigns, ad groups and keywords,
//! and async reporting v3.

use crate::server::Shared;
use axum::Router;

/// The Ads API routes.
pub fn routes() -> Router<Shared> {
    Router::new()
}
