//! The accounts endpoint group: accounts (tenants) and switching, users within an account,
//! roles and permissions, connected Amazon seller accounts, user-marketplace links,
//! marketplaces and currencies.

mod accounts;
mod amazon_accounts;
mod currencies;
mod permissions;
mod user_marketplaces;
mod users;

use axum::http::Method;
use axum::routing::{delete, get, patch, post};
use axum::Router;
use serde::Deserialize;
use shared::error::Result;
use shared::http::{AppState, AuthUser, Endpoint};
use shared::identity::tenancy::{self, Context};

/// Every route of the group, with the shared layers. Literal segments are routed before
/// parameters (`/accounts/linked` never reaches `/accounts/{id}`).
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
        (M::GET, "/api/accounts", get(accounts::list)),
        (M::POST, "/api/accounts", post(accounts::create)),
        (M::POST, "/api/accounts/switch", post(accounts::switch)),
        (M::POST, "/api/accounts/leave", post(users::leave)),
        (M::GET, "/api/accounts/linked", get(amazon_accounts::list)),
        (M::POST, "/api/accounts/link", post(amazon_accounts::link)),
        (
            M::POST,
            "/api/accounts/switch/{id}",
            post(amazon_accounts::switch),
        ),
        (
            M::DELETE,
            "/api/accounts/linked/{id}",
            delete(amazon_accounts::remove),
        ),
        (
            M::PATCH,
            "/api/accounts/{id}",
            patch(amazon_accounts::update),
        ),
        (
            M::DELETE,
            "/api/accounts/{id}",
            delete(amazon_accounts::remove),
        ),
        (
            M::GET,
            "/api/accounts/{id}/marketplaces",
            get(accounts::marketplaces),
        ),
        (M::GET, "/api/users", get(users::list)),
        (M::POST, "/api/users", post(users::add)),
        (
            M::POST,
            "/api/users/invitations/accept",
            post(users::accept),
        ),
        (M::GET, "/api/users/me", get(users::me)),
        (M::PATCH, "/api/users/me", patch(users::update_me)),
        (
            M::POST,
            "/api/users/me/change-password",
            post(users::change_password),
        ),
        (M::DELETE, "/api/users/{user_id}", delete(users::remove)),
        (
            M::GET,
            "/api/users/{user_id}/marketplaces",
            get(user_marketplaces::list),
        ),
        (
            M::POST,
            "/api/users/{user_id}/marketplaces",
            post(user_marketplaces::create),
        ),
        (
            M::PATCH,
            "/api/users/{user_id}/marketplaces/{id}",
            patch(user_marketplaces::update),
        ),
        (
            M::DELETE,
            "/api/users/{user_id}/marketplaces/{id}",
            delete(user_marketplaces::remove),
        ),
        (M::GET, "/api/permissions/me", get(permissions::me)),
        (
            M::GET,
            "/api/permissions/roles",
            get(permissions::list_roles),
        ),
        (
            M::POST,
            "/api/permissions/roles",
            post(permissions::create_role),
        ),
        (
            M::GET,
            "/api/permissions/permissions",
            get(permissions::list_permissions),
        ),
        (
            M::POST,
            "/api/permissions/permissions",
            post(permissions::create_permission),
        ),
        (
            M::GET,
            "/api/permissions/{user_id}",
            get(permissions::get_user),
        ),
        (
            M::PATCH,
            "/api/permissions/{user_id}",
            patch(permissions::update_user),
        ),
        (M::GET, "/api/marketplaces", get(currencies::marketplaces)),
        (
            M::GET,
            "/api/marketplaces/{id}",
            get(currencies::marketplace),
        ),
        (M::GET, "/api/currencies", get(currencies::list)),
        (
            M::GET,
            "/api/currencies/exchange-rate",
            get(currencies::exchange_rate),
        ),
        (
            M::POST,
            "/api/currencies/update-rates",
            post(currencies::update_rates),
        ),
    ]
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
