//! The dashboard's "sandbox" tab: a live check of a connection against the configured Amazon
//! endpoint (Amazon's sandbox hosts when `AMAZON_SANDBOX` is on, the stand-in locally), and
//! its recent orders straight from the Orders API (2026-01-01). Only the caller's own
//! connections: another tenant's id is a 404.

use crate::context;
use crate::oauth::not_configured;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::amazon::app::region_of;
use shared::amazon::operations::SearchOrdersParams;
use shared::amazon::{AmazonApp, AmazonError, Context as CallContext};
use shared::connections::{AmazonAccount, Connections};
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::ports::store::rfc3339;

fn connections(state: &AppState) -> Connections<'_> {
    Connections::new(
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
    )
}

/// The connection the query names (in the caller's tenant), else the caller's first
/// active one.
async fn account(
    state: &AppState,
    auth: &AuthUser,
    amazon_account_id: Option<&str>,
) -> Result<AmazonAccount> {
    let ctx = context(state, auth).await?;
    ctx.require("accounts.read")?;
    let repo = connections(state);
    let not_found = || Error::NotFound("Amazon account not found".into());
    match amazon_account_id {
        Some(raw) => {
            let id = AmazonAccountId::parse(raw).map_err(|_| not_found())?;
            repo.find(ctx.tenant(), &id).await?.ok_or_else(not_found)
        }
        None => {
            let mut all = repo.all(ctx.tenant()).await?;
            all.retain(|a| a.is_active);
            all.sort_by_key(|a| a.created_at);
            all.into_iter().next().ok_or_else(|| {
                Error::NotFound("No Amazon account is connected; connect one in Settings".into())
            })
        }
    }
}

/// The call context of a connection, with a deadline inside API Gateway's 29 s.
async fn call_context(
    state: &AppState,
    amazon: &AmazonApp,
    a: &AmazonAccount,
) -> std::result::Result<CallContext, AmazonError> {
    let deadline = amazon.executor().pacer().now() + Duration::seconds(20);
    amazon
        .context(
            state.secrets.as_ref(),
            &connections(state).secret_name(a),
            a,
            deadline,
        )
        .await
}

/// What the user reads about a failed call (the cause goes to the log).
fn explain(e: &AmazonError) -> String {
    match e {
        AmazonError::NeedsReauthorization(_) => {
            "Amazon no longer accepts this connection's authorisation; reconnect the account in Settings".into()
        }
        AmazonError::Configuration(_) => "Amazon rejected this application's credentials".into(),
        AmazonError::Forbidden(_) => "Amazon denied access to this seller account".into(),
        AmazonError::Throttled { .. } | AmazonError::RetryLater { .. } => {
            "Amazon is throttling requests; try again in a minute".into()
        }
        _ => "Amazon did not answer properly; try again shortly".into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestQuery {
    amazon_account_id: Option<String>,
}

/// `GET /api/amazon/sandbox/test?amazonAccountId=`: reads the seller's marketplace
/// participations; 200 `{success:true,message}` or 500 `{success:false,message}`.
pub async fn test(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<TestQuery>,
) -> Result<Response> {
    let a = account(&state, &auth, q.amazon_account_id.as_deref()).await?;
    let Some(amazon) = state.amazon.clone() else {
        return Ok(not_configured());
    };
    let endpoint = amazon.settings.sp_api_endpoint(region_of(&a)).base_url();
    let result = async {
        let ctx = call_context(&state, &amazon, &a).await?;
        amazon
            .sp_api(region_of(&a))
            .sellers()
            .get_marketplace_participations(&ctx)
            .await
    }
    .await;
    let base = json!({
        "amazonAccountId": a.id,
        "amazonSellerId": a.seller_id,
        "marketplace": a.marketplace,
        "endpoint": endpoint,
        "timestamp": rfc3339(state.clock.now()),
    });
    Ok(match result {
        Ok(p) => {
            let names: Vec<String> = p
                .payload
                .iter()
                .filter(|m| m.participation.is_participating)
                .map(|m| m.marketplace.country_code.clone())
                .collect();
            let mut body = base;
            body["success"] = json!(true);
            body["tokenValid"] = json!(true);
            body["marketplaces"] = json!(names);
            body["message"] = json!(format!(
                "Connected to Amazon as seller {}: participating in {} marketplace(s) ({})",
                a.seller_id,
                names.len(),
                names.join(", ")
            ));
            Json(body).into_response()
        }
        Err(e) => {
            tracing::warn!(connection = %a.id, error = %e, "sandbox connection test failed");
            let mut body = base;
            body["success"] = json!(false);
            body["tokenValid"] = json!(!matches!(e, AmazonError::NeedsReauthorization(_)));
            body["message"] = json!(explain(&e));
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersQuery {
    amazon_account_id: Option<String>,
    marketplace_id: Option<String>,
    created_after: Option<String>,
}

fn order_json(o: &shared::amazon::models::orders::Order) -> Value {
    let total = o.proceeds.as_ref().and_then(|p| p.grand_total.as_ref());
    json!({
        "orderId": o.order_id,
        "orderDate": rfc3339(o.created_time),
        "lastUpdatedDate": rfc3339(o.last_updated_time),
        "marketplace": o.sales_channel.marketplace_id,
        "marketplaceName": o.sales_channel.marketplace_name,
        // Exact decimal text, as Amazon sends it (never a float).
        "totalAmount": total.map(|m| m.amount.to_string()),
        "currency": total.map(|m| m.currency_code.clone()),
        "orderStatus": o.fulfillment.as_ref().map(|f| {
            serde_json::to_value(f.fulfillment_status).unwrap_or(Value::Null)
        }),
        "itemCount": o.order_items.len(),
    })
}

/// `GET /api/amazon/sandbox/orders?amazonAccountId=&marketplaceId=&createdAfter=`: one page
/// (up to 100) of the seller's orders created after `createdAfter` (default: 30 days ago).
pub async fn orders(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<OrdersQuery>,
) -> Result<Response> {
    let a = account(&state, &auth, q.amazon_account_id.as_deref()).await?;
    let created_after = match q.created_after.as_deref() {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
                })
                .map_err(|_| {
                    Error::validation(
                        "createdAfter",
                        "must be a date (YYYY-MM-DD) or an ISO 8601 time",
                    )
                })?,
        ),
    };
    let marketplace_ids = match q.marketplace_id {
        Some(m) if a.marketplace_ids.contains(&m) => vec![m],
        Some(_) => {
            return Err(Error::validation(
                "marketplaceId",
                "is not a marketplace of this Amazon account",
            ))
        }
        None => a.marketplace_ids.clone(),
    };
    let Some(amazon) = state.amazon.clone() else {
        return Ok(not_configured());
    };
    let result = async {
        let ctx = call_context(&state, &amazon, &a).await?;
        let now = amazon.executor().pacer().now();
        let params = SearchOrdersParams {
            created_after: Some(created_after.unwrap_or(now - Duration::days(30))),
            marketplace_ids,
            max_results_per_page: Some(100),
            included_data: vec!["PROCEEDS".into(), "FULFILLMENT".into()],
            ..Default::default()
        };
        amazon
            .sp_api(region_of(&a))
            .orders()
            .search_orders(&ctx, &params)
            .await
    }
    .await;
    Ok(match result {
        Ok(page) => {
            let data: Vec<Value> = page.orders.iter().map(order_json).collect();
            Json(json!({
                "success": true,
                "data": data,
                "message": format!("Retrieved {} order(s)", data.len()),
                "timestamp": rfc3339(state.clock.now()),
            }))
            .into_response()
        }
        Err(e) => {
            tracing::warn!(connection = %a.id, error = %e, "sandbox orders failed");
            crate::oauth::failure(StatusCode::BAD_GATEWAY, "amazon_failed", explain(&e))
        }
    })
}
