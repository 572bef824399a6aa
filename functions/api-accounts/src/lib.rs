//! The accounts endpoint group: accounts (tenants) and switching, users within an account,
//! roles and permissions, connected Amazon seller accounts, user-marketplace links,
//! marketplaces and currencies.

mod accounts;
mod amazon_accounts;
mod currencies;
mod permissions;
mod user_marketplaces;
mod users;

use axum::routing::{delete, get, patch, post};
use axum::Router;
use serde::Deserialize;
use shared::error::Result;
use shared::http::{AppState, AuthUser};
use shared::identity::tenancy::{self, Context};

/// Every route of the group, with the shared layers. Literal segments are routed before
/// parameters (`/accounts/linked` never reaches `/accounts/{id}`).
pub fn router(state: AppState) -> Router {
    shared::http::finish(routes(), state)
}

/// The group's routes without layers, for merging (the local runner).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/accounts", get(accounts::list).post(accounts::create))
        .route("/api/accounts/switch", post(accounts::switch))
        .route("/api/accounts/leave", post(users::leave))
        .route("/api/accounts/linked", get(amazon_accounts::list))
        .route("/api/accounts/link", post(amazon_accounts::link))
        .route("/api/accounts/switch/{id}", post(amazon_accounts::switch))
        .route("/api/accounts/linked/{id}", delete(amazon_accounts::remove))
        .route(
            "/api/accounts/{id}",
            patch(amazon_accounts::update).delete(amazon_accounts::remove),
        )
        .route(
            "/api/accounts/{id}/marketplaces",
            get(accounts::marketplaces),
        )
        .route("/api/users", get(users::list).post(users::add))
        .route("/api/users/invitations/accept", post(users::accept))
        .route("/api/users/me", get(users::me).patch(users::update_me))
        .route(
            "/api/users/me/change-password",
            post(users::change_password),
        )
        .route("/api/users/{user_id}", delete(users::remove))
        .route(
            "/api/users/{user_id}/marketplaces",
            get(user_marketplaces::list).post(user_marketplaces::create),
        )
        .route(
            "/api/users/{user_id}/marketplaces/{id}",
            patch(user_marketplaces::update).delete(user_marketplaces::remove),
        )
        .route("/api/permissions/me", get(permissions::me))
        .route(
            "/api/permissions/roles",
            get(permissions::list_roles).post(permissions::create_role),
        )
        .route(
            "/api/permissions/permissions",
            get(permissions::list_permissions).post(permissions::create_permission),
        )
        .route(
            "/api/permissions/{user_id}",
            get(permissions::get_user).patch(permissions::update_user),
        )
        .route("/api/marketplaces", get(currencies::marketplaces))
        .route("/api/marketplaces/{id}", get(currencies::marketplace))
        .route("/api/currencies", get(currencies::list))
        .route(
            "/api/currencies/exchange-rate",
            get(currencies::exchange_rate),
        )
        .route(
            "/api/currencies/update-rates",
            post(currencies::update_rates),
        )
}

/// The optional `accountId` the frontend sends on most calls.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountQuery {
    account_id: Option<String>,
}

/// The account the request acts on: the requested one if the caller belongs to it, else the
/// caller's default.
async fn context(state: &AppState, auth: &AuthUser, requested: Option<&str>) -> Result<Context> {
    tenancy::resolve(state.store.as_ref(), &auth.user, requested).await
}
