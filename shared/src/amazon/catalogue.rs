//! Every Amazon operation the client calls, in one table: its name, method, path template,
//! documented usage plan, how it pages, and its request and response models. Nothing else in
//! the client writes a path or a rate: the typed methods in [`super::operations`] and
//! [`super::ads`] take their operation from here.
//!
//! The stand-in keeps its own copy of the usage plans (`infra/amazon-stand-in/src/limits.rs`);
//! a test proves the two agree, so a typo in either shows.

use super::models::fulfillment_inbound;
use super::models::{
    catalog, fba_inventory, fees, finances, finances_v0, listings, notifications, orders,
    orders_v0, pricing, reports, sellers, solicitations, tokens,
};
use std::any::type_name;

/// Which Amazon API serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Selling Partner API (`x-amz-access-token`, per-seller usage plans).
    SellingPartner,
    /// The Amazon Ads API (bearer token, client id and profile scope, limits per profile).
    Ads,
}

/// Whose token authorises an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The seller's (or advertiser's) refresh token.
    Connection,
    /// An application token without a seller (`client_credentials` with this scope).
    Grantless(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// A usage plan: a token bucket of `burst` requests, refilled at `rate` a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsagePlan {
    pub rate: f64,
    pub burst: u32,
}

/// Where a page token goes back to Amazon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenIn {
    Query,
    Body,
}

/// How an operation pages: the request parameter that carries the token back, and the
/// response field the next token comes from (a dotted path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub param: &'static str,
    pub sent_in: TokenIn,
    pub next_token_at: &'static str,
}

/// One operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub api: Api,
    /// The API's module in [`super::models`] (`orders_v0`), which tells apart two versions'
    /// operations of one name.
    pub module: &'static str,
    /// The model's `operationId`.
    pub name: &'static str,
    pub method: Method,
    /// The path with `{placeholders}` for its parameters.
    pub path: &'static str,
    pub plan: UsagePlan,
    pub auth: Auth,
    pub pagination: Option<Pagination>,
    /// The body model's type name, if the operation takes a body.
    pub request: Option<fn() -> &'static str>,
    /// The response model's type name.
    pub response: fn() -> &'static str,
}

impl Operation {
    /// `module.name`, unique across the catalogue (the rate-limit bucket's name).
    pub fn key(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// The names of the path's placeholders, in order.
    pub fn placeholders(&self) -> Vec<&'static str> {
        self.path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect()
    }

    /// The path with each placeholder replaced by its value, percent-encoded as one segment.
    /// Every placeholder must be given exactly once, and nothing else.
    pub fn render(&self, values: &[(&str, &str)]) -> Result<String, super::AmazonError> {
        let names = self.placeholders();
        if names.len() != values.len() || names.iter().any(|n| !values.iter().any(|(k, _)| k == n))
        {
            return Err(super::AmazonError::InvalidInput {
                status: 0,
                message: format!("{} needs the path parameters {names:?}", self.name),
            });
        }
        let mut out = self.path.to_string();
        for (name, value) in values {
            if value.is_empty() {
                return Err(super::AmazonError::InvalidInput {
                    status: 0,
                    message: format!("{}: {name} is empty", self.name),
                });
            }
            out = out.replace(&format!("{{{name}}}"), &encode_segment(value));
        }
        Ok(out)
    }
}

/// Percent-encodes a path segment (RFC 3986: everything but unreserved characters).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const fn plan(rate: f64, burst: u32) -> UsagePlan {
    UsagePlan { rate, burst }
}

const fn query_token(param: &'static str, next_token_at: &'static str) -> Option<Pagination> {
    Some(Pagination {
        param,
        sent_in: TokenIn::Query,
        next_token_at,
    })
}

macro_rules! op {
    (@build $const:ident, $module:literal, $name:literal, $method:ident, $path:literal, $plan:expr,
     $pages:expr, $req:expr, $res:ty, $auth:expr) => {
        pub const $const: Operation = Operation {
            api: Api::SellingPartner,
            module: $module,
            name: $name,
            method: Method::$method,
            path: $path,
            plan: $plan,
            auth: $auth,
            pagination: $pages,
            request: $req,
            response: type_name::<$res>,
        };
    };
    ($const:ident, $module:literal, $name:literal, $method:ident, $path:literal, $plan:expr,
     $pages:expr, $req:ty, $res:ty) => {
        op!(@build $const, $module, $name, $method, $path, $plan, $pages, Some(type_name::<$req>), $res, Auth::Connection);
    };
    ($const:ident, $module:literal, $name:literal, $method:ident, $path:literal, $plan:expr,
     $pages:expr, $res:ty) => {
        op!(@build $const, $module, $name, $method, $path, $plan, $pages, None, $res, Auth::Connection);
    };
}

/// Grantless scope of the notifications destinations.
pub const NOTIFICATIONS_SCOPE: &str = "sellingpartnerapi::notifications";

// Sellers v1.
op!(
    GET_MARKETPLACE_PARTICIPATIONS,
    "sellers",
    "getMarketplaceParticipations",
    Get,
    "/sellers/v1/marketplaceParticipations",
    plan(0.016, 15),
    None,
    sellers::GetMarketplaceParticipationsResponse
);

// Orders 2026-01-01.
op!(
    SEARCH_ORDERS,
    "orders",
    "searchOrders",
    Get,
    "/orders/2026-01-01/orders",
    plan(0.0056, 20),
    query_token("paginationToken", "pagination.nextToken"),
    orders::SearchOrdersResponse
);
op!(
    GET_ORDER,
    "orders",
    "getOrder",
    Get,
    "/orders/2026-01-01/orders/{orderId}",
    plan(0.5, 30),
    None,
    orders::GetOrderResponse
);

// Orders v0.
op!(
    GET_ORDERS_V0,
    "orders_v0",
    "getOrders",
    Get,
    "/orders/v0/orders",
    plan(0.0167, 20),
    query_token("NextToken", "payload.NextToken"),
    orders_v0::GetOrdersResponse
);
op!(
    GET_ORDER_V0,
    "orders_v0",
    "getOrder",
    Get,
    "/orders/v0/orders/{orderId}",
    plan(0.5, 30),
    None,
    orders_v0::GetOrderResponse
);
op!(
    GET_ORDER_ITEMS_V0,
    "orders_v0",
    "getOrderItems",
    Get,
    "/orders/v0/orders/{orderId}/orderItems",
    plan(0.5, 30),
    query_token("NextToken", "payload.NextToken"),
    orders_v0::GetOrderItemsResponse
);

// Finances 2024-06-19.
op!(
    LIST_TRANSACTIONS,
    "finances",
    "listTransactions",
    Get,
    "/finances/2024-06-19/transactions",
    plan(0.5, 10),
    query_token("nextToken", "payload.nextToken"),
    finances::ListTransactionsResponse
);

// Finances v0.
op!(
    LIST_FINANCIAL_EVENT_GROUPS,
    "finances_v0",
    "listFinancialEventGroups",
    Get,
    "/finances/v0/financialEventGroups",
    plan(0.5, 30),
    query_token("NextToken", "payload.NextToken"),
    finances_v0::ListFinancialEventGroupsResponse
);
op!(
    LIST_FINANCIAL_EVENTS_BY_GROUP_ID,
    "finances_v0",
    "listFinancialEventsByGroupId",
    Get,
    "/finances/v0/financialEventGroups/{eventGroupId}/financialEvents",
    plan(0.5, 30),
    query_token("NextToken", "payload.NextToken"),
    finances_v0::ListFinancialEventsResponse
);
op!(
    LIST_FINANCIAL_EVENTS_BY_ORDER_ID,
    "finances_v0",
    "listFinancialEventsByOrderId",
    Get,
    "/finances/v0/orders/{orderId}/financialEvents",
    plan(0.5, 30),
    query_token("NextToken", "payload.NextToken"),
    finances_v0::ListFinancialEventsResponse
);
op!(
    LIST_FINANCIAL_EVENTS,
    "finances_v0",
    "listFinancialEvents",
    Get,
    "/finances/v0/financialEvents",
    plan(0.5, 30),
    query_token("NextToken", "payload.NextToken"),
    finances_v0::ListFinancialEventsResponse
);

// Reports 2021-06-30.
op!(
    CREATE_REPORT,
    "reports",
    "createReport",
    Post,
    "/reports/2021-06-30/reports",
    plan(0.0167, 15),
    None,
    reports::CreateReportSpecification,
    reports::CreateReportResponse
);
op!(
    GET_REPORTS,
    "reports",
    "getReports",
    Get,
    "/reports/2021-06-30/reports",
    plan(0.0222, 10),
    query_token("nextToken", "nextToken"),
    reports::GetReportsResponse
);
op!(
    GET_REPORT,
    "reports",
    "getReport",
    Get,
    "/reports/2021-06-30/reports/{reportId}",
    plan(2.0, 15),
    None,
    reports::Report
);
op!(
    CANCEL_REPORT,
    "reports",
    "cancelReport",
    Delete,
    "/reports/2021-06-30/reports/{reportId}",
    plan(0.0222, 10),
    None,
    serde::de::IgnoredAny
);
op!(
    GET_REPORT_DOCUMENT,
    "reports",
    "getReportDocument",
    Get,
    "/reports/2021-06-30/documents/{reportDocumentId}",
    plan(0.0167, 15),
    None,
    reports::ReportDocument
);

// FBA Inventory v1.
op!(
    GET_INVENTORY_SUMMARIES,
    "fba_inventory",
    "getInventorySummaries",
    Get,
    "/fba/inventory/v1/summaries",
    plan(2.0, 2),
    query_token("nextToken", "pagination.nextToken"),
    fba_inventory::GetInventorySummariesResponse
);

// Tokens 2021-03-01.
op!(
    CREATE_RESTRICTED_DATA_TOKEN,
    "tokens",
    "createRestrictedDataToken",
    Post,
    "/tokens/2021-03-01/restrictedDataToken",
    plan(1.0, 10),
    None,
    tokens::CreateRestrictedDataTokenRequest,
    tokens::CreateRestrictedDataTokenResponse
);

// Solicitations v1.
op!(
    GET_SOLICITATION_ACTIONS_FOR_ORDER,
    "solicitations",
    "getSolicitationActionsForOrder",
    Get,
    "/solicitations/v1/orders/{amazonOrderId}",
    plan(1.0, 5),
    None,
    solicitations::GetSolicitationActionsForOrderResponse
);
op!(
    CREATE_PRODUCT_REVIEW_AND_SELLER_FEEDBACK_SOLICITATION,
    "solicitations",
    "createProductReviewAndSellerFeedbackSolicitation",
    Post,
    "/solicitations/v1/orders/{amazonOrderId}/solicitations/productReviewAndSellerFeedback",
    plan(1.0, 5),
    None,
    solicitations::CreateProductReviewAndSellerFeedbackSolicitationResponse
);

// Catalog Items 2022-04-01.
op!(
    SEARCH_CATALOG_ITEMS,
    "catalog",
    "searchCatalogItems",
    Get,
    "/catalog/2022-04-01/items",
    plan(2.0, 2),
    query_token("pageToken", "pagination.nextToken"),
    catalog::ItemSearchResults
);
op!(
    GET_CATALOG_ITEM,
    "catalog",
    "getCatalogItem",
    Get,
    "/catalog/2022-04-01/items/{asin}",
    plan(2.0, 2),
    None,
    catalog::Item
);

// Product Pricing v0.
op!(
    GET_ITEM_OFFERS,
    "pricing",
    "getItemOffers",
    Get,
    "/products/pricing/v0/items/{Asin}/offers",
    plan(0.5, 1),
    None,
    pricing::GetOffersResponse
);
op!(
    GET_COMPETITIVE_PRICING,
    "pricing",
    "getCompetitivePricing",
    Get,
    "/products/pricing/v0/competitivePrice",
    plan(0.5, 1),
    None,
    pricing::GetPricingResponse
);

// Product Fees v0.
op!(
    GET_MY_FEES_ESTIMATE_FOR_SKU,
    "fees",
    "getMyFeesEstimateForSKU",
    Post,
    "/products/fees/v0/listings/{SellerSKU}/feesEstimate",
    plan(1.0, 2),
    None,
    fees::GetMyFeesEstimateRequest,
    fees::GetMyFeesEstimateResponse
);

op!(
    GET_MY_FEES_ESTIMATES,
    "fees",
    "getMyFeesEstimates",
    Post,
    "/products/fees/v0/feesEstimate",
    plan(0.5, 1),
    None,
    Vec<fees::FeesEstimateByIdRequest>,
    fees::GetMyFeesEstimatesResponse
);

// Listings Items 2021-08-01.
op!(
    GET_LISTINGS_ITEM,
    "listings",
    "getListingsItem",
    Get,
    "/listings/2021-08-01/items/{sellerId}/{sku}",
    plan(5.0, 10),
    None,
    listings::Item
);
op!(
    SEARCH_LISTINGS_ITEMS,
    "listings",
    "searchListingsItems",
    Get,
    "/listings/2021-08-01/items/{sellerId}",
    plan(5.0, 5),
    query_token("pageToken", "pagination.nextToken"),
    listings::ItemSearchResults
);

// Notifications v1: subscriptions act for a seller, destinations for the application.
op!(@build CREATE_DESTINATION, "notifications", "createDestination", Post,
    "/notifications/v1/destinations", plan(1.0, 5), None,
    Some(type_name::<notifications::CreateDestinationRequest>),
    notifications::CreateDestinationResponse, Auth::Grantless(NOTIFICATIONS_SCOPE));
op!(@build GET_DESTINATIONS, "notifications", "getDestinations", Get,
    "/notifications/v1/destinations", plan(1.0, 5), None, None,
    notifications::GetDestinationsResponse, Auth::Grantless(NOTIFICATIONS_SCOPE));
op!(@build GET_DESTINATION, "notifications", "getDestination", Get,
    "/notifications/v1/destinations/{destinationId}", plan(1.0, 5), None, None,
    notifications::GetDestinationResponse, Auth::Grantless(NOTIFICATIONS_SCOPE));
op!(@build DELETE_DESTINATION, "notifications", "deleteDestination", Delete,
    "/notifications/v1/destinations/{destinationId}", plan(1.0, 5), None, None,
    notifications::DeleteDestinationResponse, Auth::Grantless(NOTIFICATIONS_SCOPE));
op!(
    CREATE_SUBSCRIPTION,
    "notifications",
    "createSubscription",
    Post,
    "/notifications/v1/subscriptions/{notificationType}",
    plan(1.0, 5),
    None,
    notifications::CreateSubscriptionRequest,
    notifications::CreateSubscriptionResponse
);
op!(
    GET_SUBSCRIPTION,
    "notifications",
    "getSubscription",
    Get,
    "/notifications/v1/subscriptions/{notificationType}",
    plan(1.0, 5),
    None,
    notifications::GetSubscriptionResponse
);
// Amazon's model: reading or deleting a subscription by id is grantless, like destinations.
op!(@build GET_SUBSCRIPTION_BY_ID, "notifications", "getSubscriptionById", Get,
    "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}", plan(1.0, 5), None,
    None, notifications::GetSubscriptionByIdResponse, Auth::Grantless(NOTIFICATIONS_SCOPE));
op!(@build DELETE_SUBSCRIPTION_BY_ID, "notifications", "deleteSubscriptionById", Delete,
    "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}", plan(1.0, 5), None,
    None, notifications::DeleteSubscriptionByIdResponse, Auth::Grantless(NOTIFICATIONS_SCOPE));

/// The Ads API operations. Amazon sets Ads limits per profile and changes them without
/// notice, so their plan is the client's conservative default ([`ADS_PLAN`]), which a caller
/// may replace.
pub mod ads {
    use super::*;
    use crate::amazon::ads::{Profile, ReportStatus};

    /// Conservative default for Amazon's dynamic Ads limits, per profile.
    pub const ADS_PLAN: UsagePlan = plan(5.0, 10);

    const fn ads(
        name: &'static str,
        method: Method,
        path: &'static str,
        pagination: Option<Pagination>,
        request: Option<fn() -> &'static str>,
        response: fn() -> &'static str,
    ) -> Operation {
        Operation {
            api: Api::Ads,
            module: "ads",
            name,
            method,
            path,
            plan: ADS_PLAN,
            auth: Auth::Connection,
            pagination,
            request,
            response,
        }
    }

    const BODY_TOKEN: Option<Pagination> = Some(Pagination {
        param: "nextToken",
        sent_in: TokenIn::Body,
        next_token_at: "nextToken",
    });

    /// The list responses are read generically (`{"campaigns": [...], "nextToken": ...}`).
    type ListPage = serde_json::Value;

    pub const LIST_PROFILES: Operation = ads(
        "listProfiles",
        Method::Get,
        "/v2/profiles",
        None,
        None,
        type_name::<Vec<Profile>>,
    );
    pub const LIST_CAMPAIGNS: Operation = ads(
        "listSponsoredProductsCampaigns",
        Method::Post,
        "/sp/campaigns/list",
        BODY_TOKEN,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const LIST_AD_GROUPS: Operation = ads(
        "listSponsoredProductsAdGroups",
        Method::Post,
        "/sp/adGroups/list",
        BODY_TOKEN,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const LIST_KEYWORDS: Operation = ads(
        "listSponsoredProductsKeywords",
        Method::Post,
        "/sp/keywords/list",
        BODY_TOKEN,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const UPDATE_KEYWORDS: Operation = ads(
        "updateSponsoredProductsKeywords",
        Method::Put,
        "/sp/keywords",
        None,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const CREATE_REPORT: Operation = ads(
        "createAsyncReport",
        Method::Post,
        "/reporting/reports",
        None,
        Some(type_name::<crate::amazon::ads::ReportRequest>),
        type_name::<ReportStatus>,
    );
    pub const GET_REPORT: Operation = ads(
        "getAsyncReport",
        Method::Get,
        "/reporting/reports/{reportId}",
        None,
        None,
        type_name::<ReportStatus>,
    );
    pub const LIST_TARGETS: Operation = ads(
        "listSponsoredProductsTargetingClauses",
        Method::Post,
        "/sp/targets/list",
        BODY_TOKEN,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const UPDATE_TARGETS: Operation = ads(
        "updateSponsoredProductsTargetingClauses",
        Method::Put,
        "/sp/targets",
        None,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const UPDATE_CAMPAIGNS: Operation = ads(
        "updateSponsoredProductsCampaigns",
        Method::Put,
        "/sp/campaigns",
        None,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
    pub const LIST_PRODUCT_ADS: Operation = ads(
        "listSponsoredProductsProductAds",
        Method::Post,
        "/sp/productAds/list",
        BODY_TOKEN,
        Some(type_name::<ListPage>),
        type_name::<ListPage>,
    );
}

// Fulfillment Inbound 2024-03-20 (the read operations of the inbound sync).
op!(
    LIST_INBOUND_PLANS,
    "fulfillment_inbound",
    "listInboundPlans",
    Get,
    "/inbound/fba/2024-03-20/inboundPlans",
    plan(2.0, 6),
    query_token("paginationToken", "pagination.nextToken"),
    fulfillment_inbound::ListInboundPlansResponse
);
op!(
    GET_INBOUND_PLAN,
    "fulfillment_inbound",
    "getInboundPlan",
    Get,
    "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}",
    plan(2.0, 6),
    None,
    fulfillment_inbound::InboundPlan
);
op!(
    LIST_INBOUND_PLAN_ITEMS,
    "fulfillment_inbound",
    "listInboundPlanItems",
    Get,
    "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/items",
    plan(2.0, 6),
    query_token("paginationToken", "pagination.nextToken"),
    fulfillment_inbound::ListItemsResponse
);
op!(
    GET_SHIPMENT,
    "fulfillment_inbound",
    "getShipment",
    Get,
    "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}",
    plan(2.0, 6),
    None,
    fulfillment_inbound::Shipment
);
op!(
    LIST_SHIPMENT_ITEMS,
    "fulfillment_inbound",
    "listShipmentItems",
    Get,
    "/inbound/fba/2024-03-20/inboundPlans/{inboundPlanId}/shipments/{shipmentId}/items",
    plan(2.0, 30),
    query_token("paginationToken", "pagination.nextToken"),
    fulfillment_inbound::ListItemsResponse
);

/// Every operation, SP-API then Ads.
pub const OPERATIONS: &[&Operation] = &[
    &GET_MARKETPLACE_PARTICIPATIONS,
    &SEARCH_ORDERS,
    &GET_ORDER,
    &GET_ORDERS_V0,
    &GET_ORDER_V0,
    &GET_ORDER_ITEMS_V0,
    &LIST_TRANSACTIONS,
    &LIST_FINANCIAL_EVENT_GROUPS,
    &LIST_FINANCIAL_EVENTS_BY_GROUP_ID,
    &LIST_FINANCIAL_EVENTS_BY_ORDER_ID,
    &LIST_FINANCIAL_EVENTS,
    &CREATE_REPORT,
    &GET_REPORTS,
    &GET_REPORT,
    &CANCEL_REPORT,
    &GET_REPORT_DOCUMENT,
    &GET_INVENTORY_SUMMARIES,
    &CREATE_RESTRICTED_DATA_TOKEN,
    &GET_SOLICITATION_ACTIONS_FOR_ORDER,
    &CREATE_PRODUCT_REVIEW_AND_SELLER_FEEDBACK_SOLICITATION,
    &SEARCH_CATALOG_ITEMS,
    &GET_CATALOG_ITEM,
    &GET_ITEM_OFFERS,
    &GET_COMPETITIVE_PRICING,
    &GET_MY_FEES_ESTIMATE_FOR_SKU,
    &GET_MY_FEES_ESTIMATES,
    &GET_LISTINGS_ITEM,
    &SEARCH_LISTINGS_ITEMS,
    &CREATE_DESTINATION,
    &GET_DESTINATIONS,
    &GET_DESTINATION,
    &DELETE_DESTINATION,
    &CREATE_SUBSCRIPTION,
    &GET_SUBSCRIPTION,
    &GET_SUBSCRIPTION_BY_ID,
    &DELETE_SUBSCRIPTION_BY_ID,
    &ads::LIST_PROFILES,
    &ads::LIST_CAMPAIGNS,
    &ads::LIST_AD_GROUPS,
    &ads::LIST_KEYWORDS,
    &ads::UPDATE_KEYWORDS,
    &ads::CREATE_REPORT,
    &ads::GET_REPORT,
    // Fulfillment Inbound 2024-03-20.
    &LIST_INBOUND_PLANS,
    &GET_INBOUND_PLAN,
    &LIST_INBOUND_PLAN_ITEMS,
    &GET_SHIPMENT,
    &LIST_SHIPMENT_ITEMS,
    &ads::LIST_TARGETS,
    &ads::UPDATE_TARGETS,
    &ads::LIST_PRODUCT_ADS,
    &ads::UPDATE_CAMPAIGNS,
];

/// The operation named `module.name` (`orders_v0.getOrders`).
pub fn by_key(key: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().copied().find(|o| o.key() == key)
}

/// The page-token parameter of the operation named `module.name`.
pub fn pagination_param(key: &str) -> Option<&'static str> {
    by_key(key).and_then(|o| o.pagination).map(|p| p.param)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_paths_start_at_the_root() {
        let mut keys: Vec<String> = OPERATIONS.iter().map(|o| o.key()).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate operation keys");
        for o in OPERATIONS {
            assert!(o.path.starts_with('/'), "{}", o.key());
            assert!(o.plan.rate > 0.0 && o.plan.burst >= 1, "{}", o.key());
        }
    }

    #[test]
    fn a_path_renders_with_every_placeholder_encoded() {
        assert_eq!(GET_LISTINGS_ITEM.placeholders(), vec!["sellerId", "sku"]);
        assert_eq!(
            GET_LISTINGS_ITEM
                .render(&[("sellerId", "A1"), ("sku", "a b/c")])
                .unwrap(),
            "/listings/2021-08-01/items/A1/a%20b%2Fc"
        );
        assert!(GET_LISTINGS_ITEM.render(&[("sellerId", "A1")]).is_err());
        assert!(GET_ORDER_V0.render(&[("orderId", "")]).is_err());
    }
}
