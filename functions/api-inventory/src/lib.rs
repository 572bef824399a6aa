//! The inventory endpoint group: stock per SKU and marketplace, forecasts and restock plans,
//! alerts and KPIs, the planner, suppliers, purchase orders (with receipts that become FIFO
//! COGS batches), FBA shipment drafts and the reseller workflow.
//!
//! Literal segments are routed before parameters: `/api/inventory/forecast`, `/kpis`,
//! `/alerts`, `/products` and `/planner/*` never reach `/api/inventory/{sku}`, and
//! `/api/purchase-orders/summary` never reaches `/api/purchase-orders/{id}` (the original's
//! route-order trap, contract §5.1).

mod docs;
pub mod forecasts;
mod history;
pub mod job;
mod links;
mod purchasing;
mod stock;
mod workflow;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, Endpoint};
use shared::identity::tenancy::{self, Context};

pub fn router(state: AppState) -> Router {
    shared::http::finish(routes(), state)
}

pub fn routes() -> Router<AppState> {
    shared::http::route_all(endpoints())
}

/// Every endpoint of the group.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        // Stock, alerts, forecasts, KPIs (literal segments before `{sku}`).
        (M::GET, "/api/inventory", get(stock::list)),
        (
            M::GET,
            "/api/inventory/alerts",
            get(stock::low_stock_alerts),
        ),
        (M::GET, "/api/inventory/alerts/all", get(stock::all_alerts)),
        (M::GET, "/api/inventory/forecast", get(stock::forecasts)),
        (
            M::GET,
            "/api/inventory/forecast/alerts",
            get(stock::restock_alerts),
        ),
        (
            M::GET,
            "/api/inventory/forecast/{sku}",
            get(stock::forecast_of),
        ),
        (
            M::PATCH,
            "/api/inventory/forecast/{sku}",
            patch(stock::update_forecast),
        ),
        (M::GET, "/api/inventory/kpis", get(stock::kpis)),
        (
            M::POST,
            "/api/inventory/kpis/calculate",
            post(stock::kpis_calculate),
        ),
        (M::GET, "/api/inventory/kpis/{sku}", get(stock::kpi_of)),
        (M::GET, "/api/inventory/products", get(stock::products)),
        (
            M::GET,
            "/api/inventory/products/low-stock",
            get(stock::low_stock_products),
        ),
        (M::GET, "/api/inventory/products/{id}", get(stock::product)),
        (
            M::PATCH,
            "/api/inventory/products/{id}",
            patch(stock::update_product),
        ),
        // Planner.
        (
            M::GET,
            "/api/inventory/planner/summary",
            get(workflow::planner_summary),
        ),
        (
            M::GET,
            "/api/inventory/planner/products",
            get(workflow::planner_products),
        ),
        (
            M::PATCH,
            "/api/inventory/planner/products/{product_id}",
            patch(workflow::planner_update),
        ),
        (
            M::POST,
            "/api/inventory/planner/shipment-plan",
            post(workflow::shipment_plan),
        ),
        (
            M::POST,
            "/api/inventory/planner/purchase-order",
            post(purchasing::planner_purchase_order),
        ),
        (
            M::POST,
            "/api/inventory/planner/export",
            post(workflow::planner_export),
        ),
        (
            M::POST,
            "/api/inventory/planner/import",
            post(workflow::planner_import),
        ),
        (M::GET, "/api/inventory/{sku}", get(stock::one)),
        (M::GET, "/api/inventory/{sku}/ledger", get(history::ledger)),
        (M::PATCH, "/api/inventory/{sku}", patch(stock::update)),
        // Suppliers.
        (M::GET, "/api/suppliers", get(purchasing::suppliers)),
        (M::POST, "/api/suppliers", post(purchasing::create_supplier)),
        (M::GET, "/api/suppliers/{id}", get(purchasing::supplier)),
        (
            M::PATCH,
            "/api/suppliers/{id}",
            patch(purchasing::update_supplier),
        ),
        (
            M::DELETE,
            "/api/suppliers/{id}",
            delete(purchasing::delete_supplier),
        ),
        // Purchase orders.
        (
            M::GET,
            "/api/purchase-orders",
            get(purchasing::purchase_orders),
        ),
        (
            M::POST,
            "/api/purchase-orders",
            post(purchasing::create_purchase_order),
        ),
        (
            M::GET,
            "/api/purchase-orders/summary",
            get(purchasing::po_summary),
        ),
        (
            M::GET,
            "/api/purchase-orders/{id}",
            get(purchasing::purchase_order),
        ),
        (
            M::PATCH,
            "/api/purchase-orders/{id}",
            patch(purchasing::update_purchase_order),
        ),
        (
            M::DELETE,
            "/api/purchase-orders/{id}",
            delete(purchasing::delete_purchase_order),
        ),
        (
            M::PATCH,
            "/api/purchase-orders/{id}/status",
            patch(purchasing::update_po_status),
        ),
        (
            M::POST,
            "/api/purchase-orders/{id}/receipts",
            post(purchasing::receive),
        ),
        (
            M::POST,
            "/api/purchase-orders/{id}/shipments",
            post(links::attach_shipment),
        ),
        // FBA shipments.
        (M::GET, "/api/fba-shipments", get(workflow::shipments)),
        (
            M::POST,
            "/api/fba-shipments",
            post(workflow::create_shipment),
        ),
        (
            M::GET,
            "/api/fba-shipments/summary",
            get(workflow::shipment_summary),
        ),
        (M::GET, "/api/fba-shipments/{id}", get(workflow::shipment)),
        (
            M::PATCH,
            "/api/fba-shipments/{id}",
            patch(workflow::update_shipment),
        ),
        (
            M::DELETE,
            "/api/fba-shipments/{id}",
            delete(workflow::delete_shipment),
        ),
        (
            M::PATCH,
            "/api/fba-shipments/{id}/status",
            patch(workflow::shipment_status),
        ),
        (
            M::POST,
            "/api/fba-shipments/{id}/purchase-orders",
            post(workflow::link_purchase_order),
        ),
        // Reseller workflow.
        (
            M::GET,
            "/api/reseller-workflow/summary",
            get(workflow::batch_summary),
        ),
        (
            M::GET,
            "/api/reseller-workflow/batches",
            get(workflow::batches),
        ),
        (
            M::POST,
            "/api/reseller-workflow/batches",
            post(workflow::create_batch),
        ),
        (
            M::GET,
            "/api/reseller-workflow/batches/{id}",
            get(workflow::batch),
        ),
        (
            M::PATCH,
            "/api/reseller-workflow/batches/{id}",
            patch(workflow::update_batch),
        ),
        (
            M::DELETE,
            "/api/reseller-workflow/batches/{id}",
            delete(workflow::delete_batch),
        ),
        (
            M::PATCH,
            "/api/reseller-workflow/batches/{id}/status",
            patch(workflow::batch_status),
        ),
        (
            M::POST,
            "/api/reseller-workflow/batches/{id}/products",
            post(workflow::add_batch_product),
        ),
        (
            M::PATCH,
            "/api/reseller-workflow/batches/{id}/products/{product_id}",
            patch(workflow::update_batch_product),
        ),
        (
            M::DELETE,
            "/api/reseller-workflow/batches/{id}/products/{product_id}",
            delete(workflow::remove_batch_product),
        ),
        (
            M::POST,
            "/api/reseller-workflow/batches/{id}/generate-labels",
            post(workflow::generate_labels),
        ),
        (
            M::POST,
            "/api/reseller-workflow/create-fba-shipment",
            post(workflow::shipment_from_batch),
        ),
    ]
}

/// The query parameters the inventory screens send (empty values count as absent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filters {
    pub account_id: Option<String>,
    pub marketplace_id: Option<String>,
    pub sku: Option<String>,
    pub status: Option<String>,
    pub search: Option<String>,
    pub supplier_id: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    #[serde(flatten)]
    pub rest: std::collections::HashMap<String, String>,
}

impl Filters {
    /// The `status` filter, which must be one of `allowed` (an empty value is no filter).
    pub fn status_in(&self, allowed: &[&str]) -> Result<Option<&str>> {
        match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) if allowed.contains(&s) => Ok(Some(s)),
            Some(_) => Err(Error::validation(
                "status",
                format!("must be one of {}", allowed.join(", ")),
            )),
        }
    }

    /// `page` (from 1) and `limit` (1..=200), 400 on anything else.
    pub fn paging(&self, default_limit: usize) -> Result<(usize, usize)> {
        let parse = |v: &Option<String>,
                     field: &str,
                     max: usize,
                     default: usize|
         -> Result<usize> {
            match v {
                None => Ok(default),
                Some(s) => s
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1 && *n <= max)
                    .ok_or_else(|| {
                        Error::validation(field, format!("must be a whole number from 1 to {max}"))
                    }),
            }
        };
        Ok((
            parse(&self.page, "page", 1_000_000, 1)?,
            parse(&self.limit, "limit", 200, default_limit)?,
        ))
    }

    pub fn search_text(&self) -> Option<String> {
        self.search
            .as_ref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
    }
}

/// The account a request acts on: the requested one if the caller belongs to it, else the
/// caller's default; with the permission it needs.
pub(crate) async fn context(
    state: &AppState,
    auth: &AuthUser,
    requested: Option<&str>,
    permission: &str,
) -> Result<Context> {
    let ctx = tenancy::resolve(state.store.as_ref(), &auth.user, requested).await?;
    ctx.require(permission)?;
    Ok(ctx)
}

/// `{success: true, data}` (convention A).
pub(crate) fn ok(data: Value) -> Response {
    Json(json!({"success": true, "data": data})).into_response()
}

/// A bare body (convention C).
pub(crate) fn bare(body: Value) -> Response {
    Json(body).into_response()
}

/// 201 with a bare body.
pub(crate) fn created(body: Value) -> Response {
    (axum::http::StatusCode::CREATED, Json(body)).into_response()
}

/// A money amount as a JSON number, rounded half away from zero to cents; exact until here.
pub(crate) fn money(d: Decimal) -> Value {
    let r = d
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    if r.scale() == 0 {
        if let Some(i) = r.to_i64() {
            return Value::from(i);
        }
    }
    serde_json::Number::from_f64(r.to_f64().unwrap_or(0.0))
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A unit figure (forecast units, days) rounded to 2 decimals.
pub(crate) fn units(x: f64) -> Value {
    let r = (x * 100.0).round() / 100.0;
    serde_json::Number::from_f64(r)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub(crate) fn marketplace_json(id: &str) -> Value {
    let name = shared::marketplaces::by_id(id)
        .map(|m| m.name)
        .unwrap_or(id);
    json!({"id": id, "name": name})
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
