//! The SP-API as typed methods: one per catalogued operation, grouped by API
//! (`api.orders().search_orders(&ctx, &params)`), each taking its parameters as a struct and
//! answering its model. Paged operations have an `_all` twin that walks every page. No path or
//! usage plan is written here: both come from the [`super::catalogue`].

use super::catalogue::{self as cat, Operation, TokenIn};
use super::client::{json_body, query_of, Bucket, Context, Executor, Request};
use super::error::AmazonError;
use super::limiter::RateLimiter;
use super::lwa::TokenProvider;
use super::models::{
    catalog, fba_inventory, fees, finances, finances_v0, listings, notifications, orders,
    orders_v0, pricing, reports, sellers, solicitations, tokens, Paged,
};
use crate::ports::Pacer;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

/// The SP-API client of one process.
pub struct SpApi {
    exec: Arc<Executor>,
    base_url: String,
}

/// Parameters of an operation without query parameters.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NoParams {}

impl SpApi {
    /// `base_url` is a region's host (`endpoints::SpApiEndpoint::base_url`) or any other,
    /// such as the stand-in's.
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        tokens: Arc<TokenProvider>,
        limiter: Arc<RateLimiter>,
        pacer: Arc<dyn Pacer>,
    ) -> Self {
        Self::with_executor(
            Arc::new(Executor::new(http, tokens, limiter, pacer)),
            base_url,
        )
    }

    /// An SP-API client sharing an executor (and so its tokens, limits and time).
    pub fn with_executor(exec: Arc<Executor>, base_url: impl Into<String>) -> Self {
        Self {
            exec,
            base_url: base_url.into().trim_end_matches('/').to_string(),
        }
    }

    pub fn pacer(&self) -> &Arc<dyn Pacer> {
        self.exec.pacer()
    }

    /// Calls `op` and decodes its answer into `R`, which must be the catalogue's model.
    async fn call<R: DeserializeOwned>(
        &self,
        ctx: &Context,
        op: &'static Operation,
        path: &[(&str, &str)],
        query: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Result<R, AmazonError> {
        debug_assert_eq!(
            std::any::type_name::<R>(),
            (op.response)(),
            "{} answers the catalogue's model",
            op.name
        );
        let req = Request {
            op,
            base_url: &self.base_url,
            path: op.render(path)?,
            query,
            body: body.map(|b| (b, "application/json")),
            accept: "application/json",
            headers: vec![],
            bucket: Bucket {
                // Grantless operations are limited per application, not per seller.
                key: match op.auth {
                    cat::Auth::Grantless(_) => "application".to_string(),
                    cat::Auth::Connection => ctx.partner.clone(),
                },
                name: op.key(),
                plan: op.plan,
            },
        };
        self.exec.send(ctx, &req).await
    }

    /// Every page of a paged operation, in order. A page token that comes back twice is an
    /// error rather than a loop.
    async fn all<R: DeserializeOwned + Paged>(
        &self,
        ctx: &Context,
        op: &'static Operation,
        path: &[(&str, &str)],
        query: Vec<(String, String)>,
    ) -> Result<Vec<R>, AmazonError> {
        let pages = op.pagination.expect("a paged operation");
        debug_assert_eq!(pages.sent_in, TokenIn::Query);
        let mut out: Vec<R> = vec![];
        let mut seen = std::collections::HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = query.clone();
            if let Some(t) = &token {
                q.retain(|(k, _)| k != pages.param);
                q.push((pages.param.to_string(), t.clone()));
            }
            let page: R = self.call(ctx, op, path, q, None).await?;
            token = page.next_token().map(str::to_string);
            out.push(page);
            match &token {
                None => return Ok(out),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(AmazonError::Dependency(format!(
                        "{} sent the same page token twice",
                        op.name
                    )))
                }
                Some(_) => {}
            }
        }
    }

    pub fn sellers(&self) -> Sellers<'_> {
        Sellers(self)
    }
    pub fn orders(&self) -> Orders<'_> {
        Orders(self)
    }
    pub fn orders_v0(&self) -> OrdersV0<'_> {
        OrdersV0(self)
    }
    pub fn finances(&self) -> Finances<'_> {
        Finances(self)
    }
    pub fn finances_v0(&self) -> FinancesV0<'_> {
        FinancesV0(self)
    }
    pub fn reports(&self) -> Reports<'_> {
        Reports(self)
    }
    pub fn inventory(&self) -> Inventory<'_> {
        Inventory(self)
    }
    pub fn tokens(&self) -> Tokens<'_> {
        Tokens(self)
    }
    pub fn solicitations(&self) -> Solicitations<'_> {
        Solicitations(self)
    }
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog(self)
    }
    pub fn pricing(&self) -> Pricing<'_> {
        Pricing(self)
    }
    pub fn fees(&self) -> Fees<'_> {
        Fees(self)
    }
    pub fn listings(&self) -> Listings<'_> {
        Listings(self)
    }
    pub fn notifications(&self) -> Notifications<'_> {
        Notifications(self)
    }
}

/// Sellers v1.
pub struct Sellers<'a>(&'a SpApi);

impl Sellers<'_> {
    pub async fn get_marketplace_participations(
        &self,
        ctx: &Context,
    ) -> Result<sellers::GetMarketplaceParticipationsResponse, AmazonError> {
        self.0
            .call(ctx, &cat::GET_MARKETPLACE_PARTICIPATIONS, &[], vec![], None)
            .await
    }
}

/// Query parameters of `searchOrders` (Orders 2026-01-01).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchOrdersParams {
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub last_updated_after: Option<DateTime<Utc>>,
    pub last_updated_before: Option<DateTime<Utc>>,
    pub fulfillment_statuses: Vec<String>,
    pub marketplace_ids: Vec<String>,
    pub fulfilled_by: Vec<String>,
    pub max_results_per_page: Option<u32>,
    /// `BUYER`, `RECIPIENT`, `FULFILLMENT`, `PROCEEDS`, `EXPENSE`, `PROMOTION`, `CANCELLATION`,
    /// `TAX`, `PACKAGES`.
    pub included_data: Vec<String>,
    pub pagination_token: Option<String>,
}

/// Query parameters of `getOrder` (Orders 2026-01-01).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderParams {
    pub included_data: Vec<String>,
}

/// Orders 2026-01-01.
pub struct Orders<'a>(&'a SpApi);

impl Orders<'_> {
    pub async fn search_orders(
        &self,
        ctx: &Context,
        params: &SearchOrdersParams,
    ) -> Result<orders::SearchOrdersResponse, AmazonError> {
        self.0
            .call(ctx, &cat::SEARCH_ORDERS, &[], query_of(params)?, None)
            .await
    }

    /// Every page of `searchOrders`.
    pub async fn search_orders_all(
        &self,
        ctx: &Context,
        params: &SearchOrdersParams,
    ) -> Result<Vec<orders::SearchOrdersResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::SEARCH_ORDERS, &[], query_of(params)?)
            .await
    }

    pub async fn get_order(
        &self,
        ctx: &Context,
        order_id: &str,
        params: &GetOrderParams,
    ) -> Result<orders::GetOrderResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_ORDER,
                &[("orderId", order_id)],
                query_of(params)?,
                None,
            )
            .await
    }
}

/// Query parameters of `getOrders` (Orders v0).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetOrdersParams {
    pub marketplace_ids: Vec<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub last_updated_after: Option<DateTime<Utc>>,
    pub last_updated_before: Option<DateTime<Utc>>,
    pub order_statuses: Vec<String>,
    pub fulfillment_channels: Vec<String>,
    pub max_results_per_page: Option<u32>,
    pub amazon_order_ids: Vec<String>,
    pub next_token: Option<String>,
}

/// Orders v0.
pub struct OrdersV0<'a>(&'a SpApi);

impl OrdersV0<'_> {
    pub async fn get_orders(
        &self,
        ctx: &Context,
        params: &GetOrdersParams,
    ) -> Result<orders_v0::GetOrdersResponse, AmazonError> {
        self.0
            .call(ctx, &cat::GET_ORDERS_V0, &[], query_of(params)?, None)
            .await
    }

    /// Every page of `getOrders`.
    pub async fn get_orders_all(
        &self,
        ctx: &Context,
        params: &GetOrdersParams,
    ) -> Result<Vec<orders_v0::GetOrdersResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::GET_ORDERS_V0, &[], query_of(params)?)
            .await
    }

    pub async fn get_order(
        &self,
        ctx: &Context,
        order_id: &str,
    ) -> Result<orders_v0::GetOrderResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_ORDER_V0,
                &[("orderId", order_id)],
                vec![],
                None,
            )
            .await
    }

    /// Every page of `getOrderItems`.
    pub async fn get_order_items_all(
        &self,
        ctx: &Context,
        order_id: &str,
    ) -> Result<Vec<orders_v0::GetOrderItemsResponse>, AmazonError> {
        self.0
            .all(
                ctx,
                &cat::GET_ORDER_ITEMS_V0,
                &[("orderId", order_id)],
                vec![],
            )
            .await
    }

    /// `getOrderItems`, one page (`next_token` from the previous page's `payload.NextToken`).
    pub async fn get_order_items(
        &self,
        ctx: &Context,
        order_id: &str,
        next_token: Option<&str>,
    ) -> Result<orders_v0::GetOrderItemsResponse, AmazonError> {
        let query = next_token
            .map(|t| vec![("NextToken".to_string(), t.to_string())])
            .unwrap_or_default();
        self.0
            .call(
                ctx,
                &cat::GET_ORDER_ITEMS_V0,
                &[("orderId", order_id)],
                query,
                None,
            )
            .await
    }
}

/// Query parameters of `listTransactions` (Finances 2024-06-19).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTransactionsParams {
    pub posted_after: Option<DateTime<Utc>>,
    pub posted_before: Option<DateTime<Utc>>,
    pub marketplace_id: Option<String>,
    /// `DEFERRED`, `RELEASED`, ...
    pub transaction_status: Option<String>,
    /// `ORDER_ID`, `FINANCIAL_EVENT_GROUP_ID`, ...
    pub related_identifier_name: Option<String>,
    pub related_identifier_value: Option<String>,
    pub next_token: Option<String>,
}

/// Finances 2024-06-19.
pub struct Finances<'a>(&'a SpApi);

impl Finances<'_> {
    pub async fn list_transactions(
        &self,
        ctx: &Context,
        params: &ListTransactionsParams,
    ) -> Result<finances::ListTransactionsResponse, AmazonError> {
        self.0
            .call(ctx, &cat::LIST_TRANSACTIONS, &[], query_of(params)?, None)
            .await
    }

    /// Every page of `listTransactions`.
    pub async fn list_transactions_all(
        &self,
        ctx: &Context,
        params: &ListTransactionsParams,
    ) -> Result<Vec<finances::ListTransactionsResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::LIST_TRANSACTIONS, &[], query_of(params)?)
            .await
    }
}

/// Query parameters of `listFinancialEventGroups` (Finances v0).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFinancialEventGroupsParams {
    pub max_results_per_page: Option<u32>,
    pub financial_event_group_started_before: Option<DateTime<Utc>>,
    pub financial_event_group_started_after: Option<DateTime<Utc>>,
    pub next_token: Option<String>,
}

/// Query parameters of the `listFinancialEvents*` operations (Finances v0).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFinancialEventsParams {
    pub max_results_per_page: Option<u32>,
    pub posted_after: Option<DateTime<Utc>>,
    pub posted_before: Option<DateTime<Utc>>,
    pub next_token: Option<String>,
}

/// Finances v0.
pub struct FinancesV0<'a>(&'a SpApi);

impl FinancesV0<'_> {
    pub async fn list_financial_event_groups(
        &self,
        ctx: &Context,
        params: &ListFinancialEventGroupsParams,
    ) -> Result<finances_v0::ListFinancialEventGroupsResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::LIST_FINANCIAL_EVENT_GROUPS,
                &[],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every page of `listFinancialEventGroups`.
    pub async fn list_financial_event_groups_all(
        &self,
        ctx: &Context,
        params: &ListFinancialEventGroupsParams,
    ) -> Result<Vec<finances_v0::ListFinancialEventGroupsResponse>, AmazonError> {
        self.0
            .all(
                ctx,
                &cat::LIST_FINANCIAL_EVENT_GROUPS,
                &[],
                query_of(params)?,
            )
            .await
    }

    pub async fn list_financial_events(
        &self,
        ctx: &Context,
        params: &ListFinancialEventsParams,
    ) -> Result<finances_v0::ListFinancialEventsResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::LIST_FINANCIAL_EVENTS,
                &[],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every page of `listFinancialEvents`.
    pub async fn list_financial_events_all(
        &self,
        ctx: &Context,
        params: &ListFinancialEventsParams,
    ) -> Result<Vec<finances_v0::ListFinancialEventsResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::LIST_FINANCIAL_EVENTS, &[], query_of(params)?)
            .await
    }

    pub async fn list_financial_events_by_group_id(
        &self,
        ctx: &Context,
        event_group_id: &str,
        params: &ListFinancialEventsParams,
    ) -> Result<finances_v0::ListFinancialEventsResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::LIST_FINANCIAL_EVENTS_BY_GROUP_ID,
                &[("eventGroupId", event_group_id)],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every page of `listFinancialEventsByGroupId`.
    pub async fn list_financial_events_by_group_id_all(
        &self,
        ctx: &Context,
        event_group_id: &str,
        params: &ListFinancialEventsParams,
    ) -> Result<Vec<finances_v0::ListFinancialEventsResponse>, AmazonError> {
        self.0
            .all(
                ctx,
                &cat::LIST_FINANCIAL_EVENTS_BY_GROUP_ID,
                &[("eventGroupId", event_group_id)],
                query_of(params)?,
            )
            .await
    }

    pub async fn list_financial_events_by_order_id(
        &self,
        ctx: &Context,
        order_id: &str,
        params: &ListFinancialEventsParams,
    ) -> Result<finances_v0::ListFinancialEventsResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::LIST_FINANCIAL_EVENTS_BY_ORDER_ID,
                &[("orderId", order_id)],
                query_of(params)?,
                None,
            )
            .await
    }
}

/// Query parameters of `getReports`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetReportsParams {
    pub report_types: Vec<String>,
    pub processing_statuses: Vec<String>,
    pub marketplace_ids: Vec<String>,
    pub page_size: Option<u32>,
    pub created_since: Option<DateTime<Utc>>,
    pub created_until: Option<DateTime<Utc>>,
    pub next_token: Option<String>,
}

/// Reports 2021-06-30 (the report lifecycle is in [`super::reports::Reports`]).
pub struct Reports<'a>(&'a SpApi);

impl Reports<'_> {
    pub async fn create_report(
        &self,
        ctx: &Context,
        spec: &reports::CreateReportSpecification,
    ) -> Result<reports::CreateReportResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::CREATE_REPORT,
                &[],
                vec![],
                Some(json_body(spec)?),
            )
            .await
    }

    pub async fn get_reports(
        &self,
        ctx: &Context,
        params: &GetReportsParams,
    ) -> Result<reports::GetReportsResponse, AmazonError> {
        self.0
            .call(ctx, &cat::GET_REPORTS, &[], query_of(params)?, None)
            .await
    }

    /// Every page of `getReports`.
    pub async fn get_reports_all(
        &self,
        ctx: &Context,
        params: &GetReportsParams,
    ) -> Result<Vec<reports::GetReportsResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::GET_REPORTS, &[], query_of(params)?)
            .await
    }

    pub async fn get_report(
        &self,
        ctx: &Context,
        report_id: &str,
    ) -> Result<reports::Report, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_REPORT,
                &[("reportId", report_id)],
                vec![],
                None,
            )
            .await
    }

    pub async fn cancel_report(&self, ctx: &Context, report_id: &str) -> Result<(), AmazonError> {
        self.0
            .call::<serde::de::IgnoredAny>(
                ctx,
                &cat::CANCEL_REPORT,
                &[("reportId", report_id)],
                vec![],
                None,
            )
            .await
            .map(|_| ())
    }

    pub async fn get_report_document(
        &self,
        ctx: &Context,
        report_document_id: &str,
    ) -> Result<reports::ReportDocument, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_REPORT_DOCUMENT,
                &[("reportDocumentId", report_document_id)],
                vec![],
                None,
            )
            .await
    }
}

/// Query parameters of `getInventorySummaries`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetInventorySummariesParams {
    pub details: Option<bool>,
    /// `Marketplace`.
    pub granularity_type: String,
    pub granularity_id: String,
    pub start_date_time: Option<DateTime<Utc>>,
    pub seller_skus: Vec<String>,
    pub seller_sku: Option<String>,
    pub marketplace_ids: Vec<String>,
    pub next_token: Option<String>,
}

/// FBA Inventory v1.
pub struct Inventory<'a>(&'a SpApi);

impl Inventory<'_> {
    pub async fn get_inventory_summaries(
        &self,
        ctx: &Context,
        params: &GetInventorySummariesParams,
    ) -> Result<fba_inventory::GetInventorySummariesResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_INVENTORY_SUMMARIES,
                &[],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every page of `getInventorySummaries`.
    pub async fn get_inventory_summaries_all(
        &self,
        ctx: &Context,
        params: &GetInventorySummariesParams,
    ) -> Result<Vec<fba_inventory::GetInventorySummariesResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::GET_INVENTORY_SUMMARIES, &[], query_of(params)?)
            .await
    }
}

/// Tokens 2021-03-01.
pub struct Tokens<'a>(&'a SpApi);

impl Tokens<'_> {
    /// A Restricted Data Token for operations that return PII; use it as the access token of
    /// those calls, within `expiresIn`.
    pub async fn create_restricted_data_token(
        &self,
        ctx: &Context,
        request: &tokens::CreateRestrictedDataTokenRequest,
    ) -> Result<tokens::CreateRestrictedDataTokenResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::CREATE_RESTRICTED_DATA_TOKEN,
                &[],
                vec![],
                Some(json_body(request)?),
            )
            .await
    }
}

/// Query parameters of the solicitations operations.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SolicitationParams {
    pub marketplace_ids: Vec<String>,
}

/// Solicitations v1.
pub struct Solicitations<'a>(&'a SpApi);

impl Solicitations<'_> {
    pub async fn get_solicitation_actions_for_order(
        &self,
        ctx: &Context,
        order_id: &str,
        params: &SolicitationParams,
    ) -> Result<solicitations::GetSolicitationActionsForOrderResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_SOLICITATION_ACTIONS_FOR_ORDER,
                &[("amazonOrderId", order_id)],
                query_of(params)?,
                None,
            )
            .await
    }

    pub async fn create_product_review_and_seller_feedback_solicitation(
        &self,
        ctx: &Context,
        order_id: &str,
        params: &SolicitationParams,
    ) -> Result<solicitations::CreateProductReviewAndSellerFeedbackSolicitationResponse, AmazonError>
    {
        self.0
            .call(
                ctx,
                &cat::CREATE_PRODUCT_REVIEW_AND_SELLER_FEEDBACK_SOLICITATION,
                &[("amazonOrderId", order_id)],
                query_of(params)?,
                None,
            )
            .await
    }
}

/// Query parameters of `searchCatalogItems`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchCatalogItemsParams {
    pub marketplace_ids: Vec<String>,
    pub identifiers: Vec<String>,
    /// `ASIN`, `EAN`, `GTIN`, `ISBN`, `JAN`, `MINSAN`, `SKU`, `UPC`.
    pub identifiers_type: Option<String>,
    pub included_data: Vec<String>,
    pub locale: Option<String>,
    pub seller_id: Option<String>,
    pub keywords: Vec<String>,
    pub brand_names: Vec<String>,
    pub classification_ids: Vec<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

/// Query parameters of `getCatalogItem`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCatalogItemParams {
    pub marketplace_ids: Vec<String>,
    pub included_data: Vec<String>,
    pub locale: Option<String>,
}

/// Catalog Items 2022-04-01.
pub struct Catalog<'a>(&'a SpApi);

impl Catalog<'_> {
    pub async fn search_catalog_items(
        &self,
        ctx: &Context,
        params: &SearchCatalogItemsParams,
    ) -> Result<catalog::ItemSearchResults, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::SEARCH_CATALOG_ITEMS,
                &[],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every page of `searchCatalogItems`.
    pub async fn search_catalog_items_all(
        &self,
        ctx: &Context,
        params: &SearchCatalogItemsParams,
    ) -> Result<Vec<catalog::ItemSearchResults>, AmazonError> {
        self.0
            .all(ctx, &cat::SEARCH_CATALOG_ITEMS, &[], query_of(params)?)
            .await
    }

    pub async fn get_catalog_item(
        &self,
        ctx: &Context,
        asin: &str,
        params: &GetCatalogItemParams,
    ) -> Result<catalog::Item, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_CATALOG_ITEM,
                &[("asin", asin)],
                query_of(params)?,
                None,
            )
            .await
    }
}

/// Query parameters of `getItemOffers`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOffersParams {
    pub marketplace_id: String,
    /// `New`, `Used`, `Collectible`, `Refurbished`, `Club`.
    pub item_condition: String,
    /// `Consumer` or `Business`.
    pub customer_type: Option<String>,
}

/// Query parameters of `getCompetitivePricing`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCompetitivePricingParams {
    pub marketplace_id: String,
    pub asins: Vec<String>,
    pub skus: Vec<String>,
    /// `Asin` or `Sku`.
    pub item_type: String,
    pub customer_type: Option<String>,
}

/// Product Pricing v0.
pub struct Pricing<'a>(&'a SpApi);

impl Pricing<'_> {
    pub async fn get_item_offers(
        &self,
        ctx: &Context,
        asin: &str,
        params: &GetItemOffersParams,
    ) -> Result<pricing::GetOffersResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_ITEM_OFFERS,
                &[("Asin", asin)],
                query_of(params)?,
                None,
            )
            .await
    }

    pub async fn get_competitive_pricing(
        &self,
        ctx: &Context,
        params: &GetCompetitivePricingParams,
    ) -> Result<pricing::GetPricingResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_COMPETITIVE_PRICING,
                &[],
                query_of(params)?,
                None,
            )
            .await
    }
}

/// Product Fees v0.
pub struct Fees<'a>(&'a SpApi);

impl Fees<'_> {
    pub async fn get_my_fees_estimate_for_sku(
        &self,
        ctx: &Context,
        seller_sku: &str,
        request: &fees::GetMyFeesEstimateRequest,
    ) -> Result<fees::GetMyFeesEstimateResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_MY_FEES_ESTIMATE_FOR_SKU,
                &[("SellerSKU", seller_sku)],
                vec![],
                Some(json_body(request)?),
            )
            .await
    }

    /// `getMyFeesEstimates`: up to 20 products in one request, one result each.
    pub async fn get_my_fees_estimates(
        &self,
        ctx: &Context,
        requests: &[fees::FeesEstimateByIdRequest],
    ) -> Result<fees::GetMyFeesEstimatesResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_MY_FEES_ESTIMATES,
                &[],
                vec![],
                Some(json_body(&requests)?),
            )
            .await
    }
}

/// Query parameters of `getListingsItem`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetListingsItemParams {
    pub marketplace_ids: Vec<String>,
    pub issue_locale: Option<String>,
    pub included_data: Vec<String>,
}

/// Query parameters of `searchListingsItems`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchListingsItemsParams {
    pub marketplace_ids: Vec<String>,
    pub issue_locale: Option<String>,
    pub included_data: Vec<String>,
    pub identifiers: Vec<String>,
    pub identifiers_type: Option<String>,
    pub variation_parent_sku: Option<String>,
    pub package_hierarchy_sku: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub last_updated_after: Option<DateTime<Utc>>,
    pub last_updated_before: Option<DateTime<Utc>>,
    pub with_issue_severity: Vec<String>,
    pub with_status: Vec<String>,
    pub without_status: Vec<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

/// Listings Items 2021-08-01.
pub struct Listings<'a>(&'a SpApi);

impl Listings<'_> {
    pub async fn get_listings_item(
        &self,
        ctx: &Context,
        seller_id: &str,
        sku: &str,
        params: &GetListingsItemParams,
    ) -> Result<listings::Item, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_LISTINGS_ITEM,
                &[("sellerId", seller_id), ("sku", sku)],
                query_of(params)?,
                None,
            )
            .await
    }

    pub async fn search_listings_items(
        &self,
        ctx: &Context,
        seller_id: &str,
        params: &SearchListingsItemsParams,
    ) -> Result<listings::ItemSearchResults, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::SEARCH_LISTINGS_ITEMS,
                &[("sellerId", seller_id)],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every page of `searchListingsItems`.
    pub async fn search_listings_items_all(
        &self,
        ctx: &Context,
        seller_id: &str,
        params: &SearchListingsItemsParams,
    ) -> Result<Vec<listings::ItemSearchResults>, AmazonError> {
        self.0
            .all(
                ctx,
                &cat::SEARCH_LISTINGS_ITEMS,
                &[("sellerId", seller_id)],
                query_of(params)?,
            )
            .await
    }
}

/// Notifications v1. Destinations and subscriptions by id are grantless: for those `ctx` only
/// carries the deadline; creating a subscription and reading it by type act for the seller.
pub struct Notifications<'a>(&'a SpApi);

/// Query parameters of `getSubscription`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSubscriptionParams {
    pub payload_version: Option<String>,
}

impl Notifications<'_> {
    pub async fn create_destination(
        &self,
        ctx: &Context,
        request: &notifications::CreateDestinationRequest,
    ) -> Result<notifications::CreateDestinationResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::CREATE_DESTINATION,
                &[],
                vec![],
                Some(json_body(request)?),
            )
            .await
    }

    pub async fn get_destinations(
        &self,
        ctx: &Context,
    ) -> Result<notifications::GetDestinationsResponse, AmazonError> {
        self.0
            .call(ctx, &cat::GET_DESTINATIONS, &[], vec![], None)
            .await
    }

    pub async fn get_destination(
        &self,
        ctx: &Context,
        destination_id: &str,
    ) -> Result<notifications::GetDestinationResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_DESTINATION,
                &[("destinationId", destination_id)],
                vec![],
                None,
            )
            .await
    }

    pub async fn delete_destination(
        &self,
        ctx: &Context,
        destination_id: &str,
    ) -> Result<notifications::DeleteDestinationResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::DELETE_DESTINATION,
                &[("destinationId", destination_id)],
                vec![],
                None,
            )
            .await
    }

    pub async fn create_subscription(
        &self,
        ctx: &Context,
        notification_type: &str,
        request: &notifications::CreateSubscriptionRequest,
    ) -> Result<notifications::CreateSubscriptionResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::CREATE_SUBSCRIPTION,
                &[("notificationType", notification_type)],
                vec![],
                Some(json_body(request)?),
            )
            .await
    }

    pub async fn get_subscription(
        &self,
        ctx: &Context,
        notification_type: &str,
        params: &GetSubscriptionParams,
    ) -> Result<notifications::GetSubscriptionResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_SUBSCRIPTION,
                &[("notificationType", notification_type)],
                query_of(params)?,
                None,
            )
            .await
    }

    pub async fn get_subscription_by_id(
        &self,
        ctx: &Context,
        notification_type: &str,
        subscription_id: &str,
    ) -> Result<notifications::GetSubscriptionByIdResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_SUBSCRIPTION_BY_ID,
                &[
                    ("notificationType", notification_type),
                    ("subscriptionId", subscription_id),
                ],
                vec![],
                None,
            )
            .await
    }

    pub async fn delete_subscription_by_id(
        &self,
        ctx: &Context,
        notification_type: &str,
        subscription_id: &str,
    ) -> Result<notifications::DeleteSubscriptionByIdResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::DELETE_SUBSCRIPTION_BY_ID,
                &[
                    ("notificationType", notification_type),
                    ("subscriptionId", subscription_id),
                ],
                vec![],
                None,
            )
            .await
    }
}

// ------------------------------------------------------------ Fulfillment Inbound 2024-03-20

use super::models::fulfillment_inbound;

impl SpApi {
    pub fn inbound(&self) -> Inbound<'_> {
        Inbound(self)
    }
}

/// Query parameters of `listInboundPlans`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInboundPlansParams {
    /// 1 to 30 (Amazon's default is 10).
    pub page_size: Option<u32>,
    pub pagination_token: Option<String>,
    /// `ACTIVE`, `VOIDED`, `SHIPPED`.
    pub status: Option<String>,
    /// `LAST_UPDATED_TIME`, `CREATION_TIME`.
    pub sort_by: Option<String>,
    /// `ASC`, `DESC`.
    pub sort_order: Option<String>,
}

/// Query parameters of the item listings (`listInboundPlanItems`, `listShipmentItems`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListItemsParams {
    /// 1 to 1000 (Amazon's default is 10).
    pub page_size: Option<u32>,
    pub pagination_token: Option<String>,
}

/// Fulfillment Inbound 2024-03-20 (reads).
pub struct Inbound<'a>(&'a SpApi);

impl Inbound<'_> {
    /// One page of the seller's inbound plans.
    pub async fn list_inbound_plans(
        &self,
        ctx: &Context,
        params: &ListInboundPlansParams,
    ) -> Result<fulfillment_inbound::ListInboundPlansResponse, AmazonError> {
        self.0
            .call(ctx, &cat::LIST_INBOUND_PLANS, &[], query_of(params)?, None)
            .await
    }

    /// Every page of `listInboundPlans`.
    pub async fn list_inbound_plans_all(
        &self,
        ctx: &Context,
        params: &ListInboundPlansParams,
    ) -> Result<Vec<fulfillment_inbound::ListInboundPlansResponse>, AmazonError> {
        self.0
            .all(ctx, &cat::LIST_INBOUND_PLANS, &[], query_of(params)?)
            .await
    }

    pub async fn get_inbound_plan(
        &self,
        ctx: &Context,
        inbound_plan_id: &str,
    ) -> Result<fulfillment_inbound::InboundPlan, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_INBOUND_PLAN,
                &[("inboundPlanId", inbound_plan_id)],
                vec![],
                None,
            )
            .await
    }

    /// One page of a plan's items.
    pub async fn list_inbound_plan_items(
        &self,
        ctx: &Context,
        inbound_plan_id: &str,
        params: &ListItemsParams,
    ) -> Result<fulfillment_inbound::ListItemsResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::LIST_INBOUND_PLAN_ITEMS,
                &[("inboundPlanId", inbound_plan_id)],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every item of a plan, page after page.
    pub async fn list_inbound_plan_items_all(
        &self,
        ctx: &Context,
        inbound_plan_id: &str,
        params: &ListItemsParams,
    ) -> Result<Vec<fulfillment_inbound::Item>, AmazonError> {
        let pages: Vec<fulfillment_inbound::ListItemsResponse> = self
            .0
            .all(
                ctx,
                &cat::LIST_INBOUND_PLAN_ITEMS,
                &[("inboundPlanId", inbound_plan_id)],
                query_of(params)?,
            )
            .await?;
        Ok(pages.into_iter().flat_map(|p| p.items).collect())
    }

    pub async fn get_shipment(
        &self,
        ctx: &Context,
        inbound_plan_id: &str,
        shipment_id: &str,
    ) -> Result<fulfillment_inbound::Shipment, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::GET_SHIPMENT,
                &[
                    ("inboundPlanId", inbound_plan_id),
                    ("shipmentId", shipment_id),
                ],
                vec![],
                None,
            )
            .await
    }

    /// One page of a shipment's items.
    pub async fn list_shipment_items(
        &self,
        ctx: &Context,
        inbound_plan_id: &str,
        shipment_id: &str,
        params: &ListItemsParams,
    ) -> Result<fulfillment_inbound::ListItemsResponse, AmazonError> {
        self.0
            .call(
                ctx,
                &cat::LIST_SHIPMENT_ITEMS,
                &[
                    ("inboundPlanId", inbound_plan_id),
                    ("shipmentId", shipment_id),
                ],
                query_of(params)?,
                None,
            )
            .await
    }

    /// Every item of a shipment, page after page.
    pub async fn list_shipment_items_all(
        &self,
        ctx: &Context,
        inbound_plan_id: &str,
        shipment_id: &str,
        params: &ListItemsParams,
    ) -> Result<Vec<fulfillment_inbound::Item>, AmazonError> {
        let pages: Vec<fulfillment_inbound::ListItemsResponse> = self
            .0
            .all(
                ctx,
                &cat::LIST_SHIPMENT_ITEMS,
                &[
                    ("inboundPlanId", inbound_plan_id),
                    ("shipmentId", shipment_id),
                ],
                query_of(params)?,
            )
            .await?;
        Ok(pages.into_iter().flat_map(|p| p.items).collect())
    }
}
