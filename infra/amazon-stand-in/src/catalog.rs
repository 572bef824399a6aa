//! Catalog items 2022-04-01, product pricing v0, product fees v0 and listings items 2021-08-01.

use crate::server::Shared;
use axum::Router;

/// The catalog, pricing, fees and listings routes.
pub fn routes() -> Router<Shared> {
    Router::new()
}
