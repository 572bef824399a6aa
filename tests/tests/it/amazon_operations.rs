//! Every SP-API operation the stand-in serves, called through the client (limits, tokens,
//! retries) and read into its typed model: the client and the models work together.

use super::amazon_client::{client, world};
use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use shared::amazon::client::Call;
use shared::amazon::models::{
    catalog, fba_inventory, fees, finances, finances_v0, listings, orders, orders_v0, pricing,
    reports, sellers, solicitations, tokens,
};

const US: &str = "ATVPDKIKX0DER";

#[tokio::test]
async fn every_operation_works_through_the_client_into_its_typed_model() {
    let w = world(800).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let seller = w.st.seller.seller_id.clone();
    let st = w.st.clone();
    let send = |operation: &'static str,
                method: Method,
                path: String,
                query: Vec<(&'static str, String)>,
                body: Option<Value>| {
        let (rate, burst) = amazon_stand_in::limits::plan(operation);
        let (api, refresh, seller, deadline) = (
            &api,
            &refresh,
            &seller,
            st.now() + chrono::Duration::hours(6),
        );
        async move {
            let call = Call {
                connection: "conn-ops",
                seller,
                refresh_token: refresh,
                operation,
                rate,
                burst,
                method,
                path,
                query: query.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                body,
                deadline,
            };
            api.send(&call)
                .await
                .unwrap_or_else(|e| panic!("{operation}: {e}"))
        }
    };
    fn typed<T: DeserializeOwned>(operation: &str, v: Value) -> T {
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{operation}: {e}\n{v}"))
    }
    let s = &w.st.seller;
    let order = s
        .orders
        .iter()
        .rev()
        .find(|o| {
            o.marketplace_id == US && o.status == amazon_stand_in::model::OrderStatus::Shipped
        })
        .unwrap()
        .clone();
    let since = (s.spec.end - chrono::Duration::days(45)).to_rfc3339();
    let product = &s.products[order.items[0].product];
    let (asin, sku) = (product.asin.clone(), product.sku.clone());

    let p: sellers::GetMarketplaceParticipationsResponse = typed(
        "participations",
        send(
            "getMarketplaceParticipations",
            Method::GET,
            "/sellers/v1/marketplaceParticipations".into(),
            vec![],
            None,
        )
        .await,
    );
    assert_eq!(p.payload.len(), s.marketplaces.len());
    let _: orders::SearchOrdersResponse = typed(
        "searchOrders",
        send(
            "searchOrders",
            Method::GET,
            "/orders/2026-01-01/orders".into(),
            vec![
                ("createdAfter", since.clone()),
                ("includedData", "PROCEEDS,FULFILLMENT".into()),
            ],
            None,
        )
        .await,
    );
    let _: orders::GetOrderResponse = typed(
        "getOrder2026",
        send(
            "getOrder2026",
            Method::GET,
            format!("/orders/2026-01-01/orders/{}", order.id),
            vec![],
            None,
        )
        .await,
    );
    let _: orders_v0::GetOrdersResponse = typed(
        "getOrders",
        send(
            "getOrders",
            Method::GET,
            "/orders/v0/orders".into(),
            vec![
                ("MarketplaceIds", US.into()),
                ("CreatedAfter", since.clone()),
            ],
            None,
        )
        .await,
    );
    let _: orders_v0::GetOrderResponse = typed(
        "getOrder",
        send(
            "getOrder",
            Method::GET,
            format!("/orders/v0/orders/{}", order.id),
            vec![],
            None,
        )
        .await,
    );
    let _: orders_v0::GetOrderItemsResponse = typed(
        "getOrderItems",
        send(
            "getOrderItems",
            Method::GET,
            format!("/orders/v0/orders/{}/orderItems", order.id),
            vec![],
            None,
        )
        .await,
    );
    let t: finances::ListTransactionsResponse = typed(
        "listTransactions",
        send(
            "listTransactions",
            Method::GET,
            "/finances/2024-06-19/transactions".into(),
            vec![
                ("relatedIdentifierName", "ORDER_ID".into()),
                ("relatedIdentifierValue", order.id.clone()),
            ],
            None,
        )
        .await,
    );
    assert!(t.payload.is_some_and(|p| !p.transactions.is_empty()));
    let g: finances_v0::ListFinancialEventGroupsResponse = typed(
        "listFinancialEventGroups",
        send(
            "listFinancialEventGroups",
            Method::GET,
            "/finances/v0/financialEventGroups".into(),
            vec![("FinancialEventGroupStartedAfter", since.clone())],
            None,
        )
        .await,
    );
    let group = g
        .payload
        .and_then(|p| p.financial_event_group_list.into_iter().next())
        .and_then(|g| g.financial_event_group_id)
        .expect("a group");
    let _: finances_v0::ListFinancialEventsResponse = typed(
        "byGroup",
        send(
            "listFinancialEventsByGroupId",
            Method::GET,
            format!("/finances/v0/financialEventGroups/{group}/financialEvents"),
            vec![],
            None,
        )
        .await,
    );
    let _: finances_v0::ListFinancialEventsResponse = typed(
        "byOrder",
        send(
            "listFinancialEventsByOrderId",
            Method::GET,
            format!("/finances/v0/orders/{}/financialEvents", order.id),
            vec![],
            None,
        )
        .await,
    );
    let _: finances_v0::ListFinancialEventsResponse = typed(
        "events",
        send(
            "listFinancialEvents",
            Method::GET,
            "/finances/v0/financialEvents".into(),
            vec![("PostedAfter", since.clone())],
            None,
        )
        .await,
    );
    let created: reports::CreateReportResponse = typed(
        "createReport",
        send(
            "createReport",
            Method::POST,
            "/reports/2021-06-30/reports".into(),
            vec![],
            Some(json!({"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]})),
        )
        .await,
    );
    let cancel_me: reports::CreateReportResponse = typed("createReport", send("createReport", Method::POST, "/reports/2021-06-30/reports".into(), vec![], Some(json!({"reportType": "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "marketplaceIds": [US]}))).await);
    send(
        "cancelReport",
        Method::DELETE,
        format!("/reports/2021-06-30/reports/{}", cancel_me.report_id),
        vec![],
        None,
    )
    .await;
    w.st.advance(chrono::Duration::seconds(120));
    let report: reports::Report = typed(
        "getReport",
        send(
            "getReport",
            Method::GET,
            format!("/reports/2021-06-30/reports/{}", created.report_id),
            vec![],
            None,
        )
        .await,
    );
    let _: reports::GetReportsResponse = typed(
        "getReports",
        send(
            "getReports",
            Method::GET,
            "/reports/2021-06-30/reports".into(),
            vec![("reportTypes", "GET_MERCHANT_LISTINGS_ALL_DATA".into())],
            None,
        )
        .await,
    );
    let _: reports::ReportDocument = typed(
        "getReportDocument",
        send(
            "getReportDocument",
            Method::GET,
            format!(
                "/reports/2021-06-30/documents/{}",
                report.report_document_id.expect("done")
            ),
            vec![],
            None,
        )
        .await,
    );
    let _: fba_inventory::GetInventorySummariesResponse = typed(
        "inventory",
        send(
            "getInventorySummaries",
            Method::GET,
            "/fba/inventory/v1/summaries".into(),
            vec![
                ("details", "true".into()),
                ("granularityType", "Marketplace".into()),
                ("granularityId", US.into()),
                ("marketplaceIds", US.into()),
            ],
            None,
        )
        .await,
    );
    let _: catalog::Item = typed(
        "getCatalogItem",
        send(
            "getCatalogItem",
            Method::GET,
            format!("/catalog/2022-04-01/items/{asin}"),
            vec![
                ("marketplaceIds", US.into()),
                ("includedData", "summaries,identifiers,salesRanks".into()),
            ],
            None,
        )
        .await,
    );
    let _: catalog::ItemSearchResults = typed(
        "searchCatalogItems",
        send(
            "searchCatalogItems",
            Method::GET,
            "/catalog/2022-04-01/items".into(),
            vec![
                ("marketplaceIds", US.into()),
                ("identifiers", asin.clone()),
                ("identifiersType", "ASIN".into()),
            ],
            None,
        )
        .await,
    );
    let _: pricing::GetOffersResponse = typed(
        "getItemOffers",
        send(
            "getItemOffers",
            Method::GET,
            format!("/products/pricing/v0/items/{asin}/offers"),
            vec![
                ("MarketplaceId", US.into()),
                ("ItemCondition", "New".into()),
            ],
            None,
        )
        .await,
    );
    let _: pricing::GetPricingResponse = typed(
        "getCompetitivePricing",
        send(
            "getCompetitivePricing",
            Method::GET,
            "/products/pricing/v0/competitivePrice".into(),
            vec![
                ("MarketplaceId", US.into()),
                ("Asins", asin.clone()),
                ("ItemType", "Asin".into()),
            ],
            None,
        )
        .await,
    );
    let price = s
        .listings
        .iter()
        .find(|l| l.product == order.items[0].product && l.marketplace_id == US)
        .unwrap()
        .price;
    let body = json!({"FeesEstimateRequest": {"MarketplaceId": US, "IsAmazonFulfilled": true, "Identifier": "estimate-1", "PriceToEstimateFees": {"ListingPrice": {"CurrencyCode": "USD", "Amount": serde_json::from_str::<Value>(&price.to_string()).unwrap()}}}});
    let _: fees::GetMyFeesEstimateResponse = typed(
        "fees",
        send(
            "getMyFeesEstimateForSKU",
            Method::POST,
            format!("/products/fees/v0/listings/{sku}/feesEstimate"),
            vec![],
            Some(body),
        )
        .await,
    );
    let _: listings::Item = typed(
        "getListingsItem",
        send(
            "getListingsItem",
            Method::GET,
            format!("/listings/2021-08-01/items/{seller}/{sku}"),
            vec![
                ("marketplaceIds", US.into()),
                ("includedData", "summaries,offers,issues".into()),
            ],
            None,
        )
        .await,
    );
    let _: listings::ItemSearchResults = typed(
        "searchListingsItems",
        send(
            "searchListingsItems",
            Method::GET,
            format!("/listings/2021-08-01/items/{seller}"),
            vec![("marketplaceIds", US.into())],
            None,
        )
        .await,
    );
    let _: tokens::CreateRestrictedDataTokenResponse = typed(
        "rdt",
        send(
            "createRestrictedDataToken",
            Method::POST,
            "/tokens/2021-03-01/restrictedDataToken".into(),
            vec![],
            Some(json!({"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders"}]})),
        )
        .await,
    );
    let _: solicitations::GetSolicitationActionsForOrderResponse = typed(
        "solicitations",
        send(
            "getSolicitationActionsForOrder",
            Method::GET,
            format!("/solicitations/v1/orders/{}", order.id),
            vec![("marketplaceIds", US.into())],
            None,
        )
        .await,
    );
    let stats = w.st.stats();
    assert!(
        stats.values().all(|s| s.throttled == 0),
        "the client kept every call within Amazon's limits: {stats:?}"
    );
}
