//! The profit endpoint group: every Profit call of the frontend contract (§7), the COGS,
//! batch, expense, return and KPI calls, the payout reconciliation, and `/api/expenses` and
//! `/api/cashflow`.
//!
//! Figures come from the ledger's daily rollups (`shared::profit`), the seller's costs
//! (`shared::costs`: COGS by FIFO batch or effective-dated unit cost, expenses), in the
//! marketplace's local days. The definitions every call shares are in `report` and in the
//! README's "Profit figures" section. Literal path segments are routed before parameters
//! (`/cogs/history` and `/cogs/batch/…` never reach `/cogs/{key}`).

mod cashflow;
mod cogs;
mod expenses;
mod json;
mod orderitems;
mod payouts;
mod reports;
mod returns;
mod scope;
mod settings;

pub mod report;

use axum::http::Method;
use axum::routing::{delete, get, patch, post, put};
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
        // Figures.
        (M::GET, "/api/profit/summary", get(reports::summary)),
        (M::GET, "/api/profit/report", get(reports::summary)),
        (
            M::GET,
            "/api/profit/summary/multiple-periods",
            get(reports::multiple_periods),
        ),
        (M::GET, "/api/profit/by-product", get(reports::by_product)),
        (
            M::GET,
            "/api/profit/by-marketplace",
            get(reports::by_marketplace),
        ),
        (
            M::GET,
            "/api/profit/by-order-items",
            get(reports::by_order_items),
        ),
        (M::GET, "/api/profit/trends", get(reports::trends)),
        (
            M::GET,
            "/api/profit/trends/simple",
            get(reports::trends_simple),
        ),
        (
            M::GET,
            "/api/profit/trends/products",
            get(reports::product_trends),
        ),
        (M::GET, "/api/profit/pl", get(reports::pl)),
        (M::GET, "/api/profit/map", get(reports::map)),
        (
            M::GET,
            "/api/profit/charts/dashboard",
            get(reports::chart_dashboard),
        ),
        (
            M::GET,
            "/api/profit/charts/profit",
            get(reports::chart_profit),
        ),
        (
            M::GET,
            "/api/profit/charts/sales",
            get(reports::chart_sales),
        ),
        (M::GET, "/api/profit/charts/ppc", get(reports::chart_ppc)),
        (
            M::GET,
            "/api/profit/charts/returns",
            get(reports::chart_returns),
        ),
        (
            M::GET,
            "/api/profit/charts/comparison",
            get(reports::chart_comparison),
        ),
        (
            M::GET,
            "/api/profit/kpis/units-sold",
            get(reports::kpi_units),
        ),
        (
            M::GET,
            "/api/profit/kpis/returns-cost",
            get(reports::kpi_returns_cost),
        ),
        (
            M::GET,
            "/api/profit/kpis/advertising-cost",
            get(reports::kpi_advertising),
        ),
        (
            M::GET,
            "/api/profit/kpis/fba-fees",
            get(reports::kpi_fba_fees),
        ),
        (
            M::GET,
            "/api/profit/kpis/payout-estimate",
            get(reports::kpi_payout_estimate),
        ),
        // Payout reconciliation.
        (M::GET, "/api/profit/payouts", get(payouts::list)),
        (
            M::GET,
            "/api/profit/payouts/{settlement_id}",
            get(payouts::detail),
        ),
        // COGS: literal segments first.
        (M::GET, "/api/profit/cogs", get(cogs::list)),
        (M::POST, "/api/profit/cogs", post(cogs::create)),
        (M::GET, "/api/profit/cogs/history", get(cogs::history)),
        (M::GET, "/api/profit/cogs/batch", get(cogs::list_batches)),
        (M::POST, "/api/profit/cogs/batch", post(cogs::create_batch)),
        (
            M::GET,
            "/api/profit/cogs/batch/{batch_id}",
            get(cogs::batch_details),
        ),
        (
            M::PATCH,
            "/api/profit/cogs/batch/{batch_id}",
            patch(cogs::update_batch),
        ),
        (
            M::DELETE,
            "/api/profit/cogs/batch/{batch_id}",
            delete(cogs::delete_batch),
        ),
        (M::GET, "/api/profit/cogs/{key}", get(cogs::by_sku)),
        (M::PATCH, "/api/profit/cogs/{key}", patch(cogs::update)),
        (M::DELETE, "/api/profit/cogs/{key}", delete(cogs::remove)),
        // Expenses (the profit screens' and the top-level group's).
        (M::GET, "/api/profit/expenses", get(expenses::list)),
        (M::POST, "/api/profit/expenses", post(expenses::create)),
        (M::POST, "/api/profit/expenses/bulk", post(expenses::bulk)),
        (M::GET, "/api/profit/expenses/{id}", get(expenses::get_one)),
        (
            M::PATCH,
            "/api/profit/expenses/{id}",
            patch(expenses::update),
        ),
        (
            M::DELETE,
            "/api/profit/expenses/{id}",
            delete(expenses::remove),
        ),
        (M::GET, "/api/expenses", get(expenses::list_plain)),
        (M::POST, "/api/expenses", post(expenses::create_plain)),
        (M::GET, "/api/expenses/{id}", get(expenses::get_plain)),
        (M::PUT, "/api/expenses/{id}", put(expenses::update_plain)),
        (
            M::PATCH,
            "/api/expenses/{id}",
            patch(expenses::update_plain),
        ),
        (
            M::DELETE,
            "/api/expenses/{id}",
            delete(expenses::remove_plain),
        ),
        // Returns.
        (M::GET, "/api/profit/returns", get(returns::list)),
        (M::POST, "/api/profit/returns", post(returns::create)),
        (M::GET, "/api/profit/returns/summary", get(returns::summary)),
        (M::PATCH, "/api/profit/returns/{id}", patch(returns::update)),
        (
            M::DELETE,
            "/api/profit/returns/{id}",
            delete(returns::remove),
        ),
        // The account's reporting currency.
        (M::GET, "/api/profit/settings", get(settings::get_settings)),
        (M::PUT, "/api/profit/settings", put(settings::put_settings)),
        // Cashflow.
        (M::GET, "/api/cashflow", get(cashflow::view)),
        (M::POST, "/api/cashflow", post(cashflow::create)),
        (M::DELETE, "/api/cashflow/{id}", delete(cashflow::remove)),
    ]
}

/// The account the request acts on (the requested one if the caller belongs to it, else the
/// caller's default), with `permission` required.
async fn context(
    state: &AppState,
    auth: &AuthUser,
    requested: Option<&str>,
    permission: &str,
) -> Result<Context> {
    let ctx = tenancy::resolve(state.store.as_ref(), &auth.user, requested).await?;
    ctx.require(permission)?;
    Ok(ctx)
}

const READ: &str = "profit.read";
const WRITE: &str = "profit.write";
