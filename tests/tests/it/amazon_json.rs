//! Every JSON body the stand-in serves over HTTP, and every notification it delivers, read into
//! its typed model with [`decode`] and written back: no field, number or money string may
//! disappear or change on the way. The stand-in repeats what real Amazon bodies do (getOrders'
//! string booleans, getInventorySummaries' empty times, FEE_PROMOTION's cents), so the models
//! meet each of them here.

use super::amazon_models::{covers, notification_round_trip};
use amazon_stand_in::model::OrderStatus;
use amazon_stand_in::notifications::MemorySink;
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use shared::amazon::models::notification_payloads::Received;
use shared::amazon::models::{
    catalog, decode, fba_inventory, fees, finances, finances_v0, listings, notifications, orders,
    orders_v0, pagination_param, pricing, reports, sellers, solicitations, tokens, Paged,
};
use std::sync::Arc;

const US: &str = "ATVPDKIKX0DER";

/// The stand-in on a loopback port, called with plain HTTP.
struct Http {
    st: Arc<StandIn>,
    base: String,
    http: reqwest::Client,
    token: String,
}

async fn serve(orders: usize) -> Http {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders,
            ..Default::default()
        }),
        true,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut http = Http {
        st: st.clone(),
        base,
        http: reqwest::Client::new(),
        token: String::new(),
    };
    http.token = http
        .lwa(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &st.issue_refresh_token()),
        ])
        .await;
    http
}

impl Http {
    async fn lwa(&self, grant: &[(&str, &str)]) -> String {
        let mut form = grant.to_vec();
        form.push(("client_id", &self.st.apps.client_id));
        form.push(("client_secret", &self.st.apps.client_secret));
        let r = self
            .http
            .post(format!("{}/auth/o2/token", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "token: {}", r.status());
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        token: &str,
    ) -> Vec<u8> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-amz-access-token", token)
            .query(query);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let bytes = r.bytes().await.unwrap().to_vec();
        assert!(
            status.is_success(),
            "{path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        bytes
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Vec<u8> {
        self.send(reqwest::Method::GET, path, query, None, &self.token)
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Vec<u8> {
        self.send(reqwest::Method::POST, path, &[], Some(body), &self.token)
            .await
    }
}

/// Every page of a paged operation, each read and written back; the next page's token goes
/// alone in `param`.
async fn every_page<T: DeserializeOwned + Serialize + Paged>(
    h: &Http,
    path: &str,
    first: &[(&str, &str)],
    param: &str,
) -> Vec<(T, Value)> {
    let mut pages = Vec::new();
    let mut query: Vec<(String, String)> = first
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    loop {
        let q: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (page, raw) = round_trip::<T>(path, &h.get(path, &q).await);
        let next = page.next_token().map(str::to_owned);
        pages.push((page, raw));
        match next {
            Some(token) => query = vec![(param.to_owned(), token)],
            None => return pages,
        }
    }
}

/// Reads a body into `T` and writes it back; fails naming what was lost or changed.
fn round_trip<T: DeserializeOwned + Serialize>(what: &str, bytes: &[u8]) -> (T, Value) {
    let typed: T = decode(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let original: Value = serde_json::from_slice(bytes).unwrap();
    let written = serde_json::to_value(&typed).unwrap();
    covers(&original, &written, "$").unwrap_or_else(|e| panic!("{what}: {e}"));
    (typed, original)
}

#[tokio::test]
async fn every_body_the_stand_in_serves_reads_into_its_model_without_losing_a_digit() {
    let h = serve(600).await;
    let s = &h.st.seller;
    let order = s
        .orders
        .iter()
        .rev()
        .find(|o| o.marketplace_id == US && o.status == OrderStatus::Shipped)
        .unwrap()
        .clone();
    let since = (s.spec.end - chrono::Duration::days(45)).to_rfc3339();
    let product = &s.products[order.items[0].product];
    let (asin, sku, seller) = (
        product.asin.clone(),
        product.sku.clone(),
        s.seller_id.clone(),
    );
    let all =
        "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT";

    round_trip::<sellers::GetMarketplaceParticipationsResponse>(
        "participations",
        &h.get("/sellers/v1/marketplaceParticipations", &[]).await,
    );

    // getOrders: every order carries IsReplacementOrder as a string, and it reads as a boolean.
    let (page, raw) = round_trip::<orders_v0::GetOrdersResponse>(
        "getOrders",
        &h.get(
            "/orders/v0/orders",
            &[("MarketplaceIds", US), ("CreatedAfter", &since)],
        )
        .await,
    );
    let raw_orders = raw["payload"]["Orders"].as_array().unwrap();
    assert!(!raw_orders.is_empty());
    assert!(raw_orders
        .iter()
        .all(|o| o["IsReplacementOrder"].is_string()));
    assert!(page
        .payload
        .unwrap()
        .orders
        .iter()
        .all(|o| o.is_replacement_order == Some(false)));
    // Every page of every order source, and the items of the orders with promotions and gift
    // wrap, so each shape of order the stand-in makes is read.
    let history = (s.spec.end - chrono::Duration::days(s.spec.history_days + 1)).to_rfc3339();
    let v0_pages = every_page::<orders_v0::GetOrdersResponse>(
        &h,
        "/orders/v0/orders",
        &[("MarketplaceIds", US), ("CreatedAfter", &history)],
        pagination_param("orders_v0.getOrders").unwrap(),
    )
    .await;
    let v0_orders: usize = v0_pages
        .iter()
        .map(|(p, _)| p.payload.as_ref().unwrap().orders.len())
        .sum();
    let pages_2026 = every_page::<orders::SearchOrdersResponse>(
        &h,
        "/orders/2026-01-01/orders",
        &[("createdAfter", &history), ("includedData", all)],
        pagination_param("orders.searchOrders").unwrap(),
    )
    .await;
    assert!(v0_pages.len() > 1 && pages_2026.len() > 1);
    assert!(v0_orders > 100, "{v0_orders} orders");
    let dressed = s
        .orders
        .iter()
        .filter(|o| {
            o.purchase_date <= h.st.now()
                && o.items
                    .iter()
                    .any(|i| i.promotion_id.is_some() || !i.gift_wrap.is_zero())
        })
        .take(15);
    for o in dressed {
        round_trip::<orders_v0::GetOrderItemsResponse>(
            "getOrderItems",
            &h.get(&format!("/orders/v0/orders/{}/orderItems", o.id), &[])
                .await,
        );
        round_trip::<orders::GetOrderResponse>(
            "getOrder 2026",
            &h.get(
                &format!("/orders/2026-01-01/orders/{}", o.id),
                &[("includedData", all)],
            )
            .await,
        );
        round_trip::<finances_v0::ListFinancialEventsResponse>(
            "listFinancialEventsByOrderId",
            &h.get(
                &format!("/finances/v0/orders/{}/financialEvents", o.id),
                &[],
            )
            .await,
        );
    }
    round_trip::<orders_v0::GetOrderResponse>(
        "getOrder",
        &h.get(&format!("/orders/v0/orders/{}", order.id), &[]).await,
    );
    round_trip::<orders_v0::GetOrderItemsResponse>(
        "getOrderItems",
        &h.get(&format!("/orders/v0/orders/{}/orderItems", order.id), &[])
            .await,
    );
    round_trip::<orders::SearchOrdersResponse>(
        "searchOrders",
        &h.get(
            "/orders/2026-01-01/orders",
            &[("createdAfter", &since), ("includedData", all)],
        )
        .await,
    );
    round_trip::<orders::GetOrderResponse>(
        "getOrder 2026",
        &h.get(
            &format!("/orders/2026-01-01/orders/{}", order.id),
            &[("includedData", all)],
        )
        .await,
    );

    every_page::<finances::ListTransactionsResponse>(
        &h,
        "/finances/2024-06-19/transactions",
        &[("postedAfter", &since)],
        pagination_param("finances.listTransactions").unwrap(),
    )
    .await;
    let groups = every_page::<finances_v0::ListFinancialEventGroupsResponse>(
        &h,
        "/finances/v0/financialEventGroups",
        &[("FinancialEventGroupStartedAfter", &since)],
        pagination_param("finances_v0.listFinancialEventGroups").unwrap(),
    )
    .await;
    for (page, _) in &groups {
        for group in &page.payload.as_ref().unwrap().financial_event_group_list {
            let id = group.financial_event_group_id.as_deref().unwrap();
            every_page::<finances_v0::ListFinancialEventsResponse>(
                &h,
                &format!("/finances/v0/financialEventGroups/{id}/financialEvents"),
                &[],
                pagination_param("finances_v0.listFinancialEventsByGroupId").unwrap(),
            )
            .await;
        }
    }
    round_trip::<finances_v0::ListFinancialEventsResponse>(
        "listFinancialEventsByOrderId",
        &h.get(
            &format!("/finances/v0/orders/{}/financialEvents", order.id),
            &[],
        )
        .await,
    );
    round_trip::<finances_v0::ListFinancialEventsResponse>(
        "listFinancialEvents",
        &h.get("/finances/v0/financialEvents", &[("PostedAfter", &since)])
            .await,
    );

    let (created, _) = round_trip::<reports::CreateReportResponse>(
        "createReport",
        &h.post(
            "/reports/2021-06-30/reports",
            json!({"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]}),
        )
        .await,
    );
    h.st.advance(chrono::Duration::seconds(120));
    let report_path = format!("/reports/2021-06-30/reports/{}", created.report_id);
    let (report, _) = round_trip::<reports::Report>("getReport", &h.get(&report_path, &[]).await);
    round_trip::<reports::GetReportsResponse>(
        "getReports",
        &h.get(
            "/reports/2021-06-30/reports",
            &[("reportTypes", "GET_MERCHANT_LISTINGS_ALL_DATA")],
        )
        .await,
    );
    let document = report.report_document_id.expect("a done report");
    round_trip::<reports::ReportDocument>(
        "getReportDocument",
        &h.get(&format!("/reports/2021-06-30/documents/{document}"), &[])
            .await,
    );

    // getInventorySummaries: every page has summaries with an empty lastUpdatedTime; they read
    // as no time, the others keep theirs.
    let mut query = vec![
        ("details", "true".to_owned()),
        ("granularityType", "Marketplace".to_owned()),
        ("granularityId", US.to_owned()),
        ("marketplaceIds", US.to_owned()),
    ];
    let (mut pages, mut empty, mut timed) = (0, 0, 0);
    loop {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (page, raw) = round_trip::<fba_inventory::GetInventorySummariesResponse>(
            "getInventorySummaries",
            &h.get("/fba/inventory/v1/summaries", &q).await,
        );
        let raw_times: Vec<&Value> = raw["payload"]["inventorySummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["lastUpdatedTime"])
            .collect();
        assert!(
            raw_times.contains(&&json!("")),
            "page {pages} has empty times"
        );
        let summaries = &page.payload.as_ref().unwrap().inventory_summaries;
        for (typed, raw) in summaries.iter().zip(&raw_times) {
            assert_eq!(typed.last_updated_time.is_none(), raw.as_str() == Some(""));
        }
        empty += summaries
            .iter()
            .filter(|s| s.last_updated_time.is_none())
            .count();
        timed += summaries
            .iter()
            .filter(|s| s.last_updated_time.is_some())
            .count();
        pages += 1;
        match page.pagination.and_then(|p| p.next_token) {
            Some(next) => query = vec![("nextToken", next)],
            None => break,
        }
    }
    assert!(
        empty > 0 && timed > 0,
        "{pages} pages: {empty} empty, {timed} timed"
    );

    round_trip::<catalog::Item>(
        "getCatalogItem",
        &h.get(
            &format!("/catalog/2022-04-01/items/{asin}"),
            &[
                ("marketplaceIds", US),
                (
                    "includedData",
                    "summaries,identifiers,salesRanks,attributes,dimensions",
                ),
            ],
        )
        .await,
    );
    round_trip::<catalog::ItemSearchResults>(
        "searchCatalogItems",
        &h.get(
            "/catalog/2022-04-01/items",
            &[
                ("marketplaceIds", US),
                ("identifiers", &asin),
                ("identifiersType", "ASIN"),
            ],
        )
        .await,
    );
    round_trip::<pricing::GetOffersResponse>(
        "getItemOffers",
        &h.get(
            &format!("/products/pricing/v0/items/{asin}/offers"),
            &[("MarketplaceId", US), ("ItemCondition", "New")],
        )
        .await,
    );
    round_trip::<pricing::GetPricingResponse>(
        "getCompetitivePricing",
        &h.get(
            "/products/pricing/v0/competitivePrice",
            &[
                ("MarketplaceId", US),
                ("Asins", &asin),
                ("ItemType", "Asin"),
            ],
        )
        .await,
    );
    let price = s
        .listings
        .iter()
        .find(|l| l.product == order.items[0].product && l.marketplace_id == US)
        .unwrap()
        .price;
    let (estimate, _) = round_trip::<fees::GetMyFeesEstimateResponse>(
        "getMyFeesEstimateForSKU",
        &h.post(
            &format!("/products/fees/v0/listings/{sku}/feesEstimate"),
            json!({"FeesEstimateRequest": {"MarketplaceId": US, "IsAmazonFulfilled": true, "Identifier": "estimate-1",
                "PriceToEstimateFees": {"ListingPrice": {"CurrencyCode": "USD", "Amount": shared::amazon::models::json_number::to_value(price)}}}}),
        )
        .await,
    );
    assert!(estimate.payload.is_some());
    round_trip::<listings::Item>(
        "getListingsItem",
        &h.get(
            &format!("/listings/2021-08-01/items/{seller}/{sku}"),
            &[
                ("marketplaceIds", US),
                (
                    "includedData",
                    "summaries,offers,issues,attributes,fulfillmentAvailability",
                ),
            ],
        )
        .await,
    );
    round_trip::<listings::ItemSearchResults>(
        "searchListingsItems",
        &h.get(
            &format!("/listings/2021-08-01/items/{seller}"),
            &[("marketplaceIds", US)],
        )
        .await,
    );
    round_trip::<tokens::CreateRestrictedDataTokenResponse>(
        "createRestrictedDataToken",
        &h.post(
            "/tokens/2021-03-01/restrictedDataToken",
            json!({"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["buyerInfo"]}]}),
        )
        .await,
    );
    round_trip::<solicitations::GetSolicitationActionsForOrderResponse>(
        "getSolicitationActionsForOrder",
        &h.get(
            &format!("/solicitations/v1/orders/{}", order.id),
            &[("marketplaceIds", US)],
        )
        .await,
    );
}

#[tokio::test]
async fn every_notification_the_stand_in_delivers_reads_into_its_model_with_money_exact() {
    let h = serve(800).await;
    let sink = Arc::new(MemorySink::default());
    h.st.set_sink(sink.clone());
    let grantless = h
        .lwa(&[
            ("grant_type", "client_credentials"),
            ("scope", "sellingpartnerapi::notifications"),
        ])
        .await;
    let arn = "arn:aws:sqs:us-east-1:000000000000:spapi-notifications";
    let (destination, _) = round_trip::<notifications::CreateDestinationResponse>(
        "createDestination",
        &h.send(
            reqwest::Method::POST,
            "/notifications/v1/destinations",
            &[],
            Some(json!({"name": "q", "resourceSpecification": {"sqs": {"arn": arn}}})),
            &grantless,
        )
        .await,
    );
    let destination_id = destination.payload.unwrap().destination_id;
    round_trip::<notifications::GetDestinationsResponse>(
        "getDestinations",
        &h.send(
            reqwest::Method::GET,
            "/notifications/v1/destinations",
            &[],
            None,
            &grantless,
        )
        .await,
    );
    let kinds = [
        "ORDER_CHANGE",
        "TRANSACTION_UPDATE",
        "FBA_INVENTORY_AVAILABILITY_CHANGES",
        "ANY_OFFER_CHANGED",
        "FEE_PROMOTION",
        "LISTINGS_ITEM_STATUS_CHANGE",
        "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
        "REPORT_PROCESSING_FINISHED",
    ];
    for kind in kinds {
        round_trip::<notifications::CreateSubscriptionResponse>(
            "createSubscription",
            &h.post(
                &format!("/notifications/v1/subscriptions/{kind}"),
                json!({"payloadVersion": "1.0", "destinationId": destination_id}),
            )
            .await,
        );
        round_trip::<notifications::GetSubscriptionResponse>(
            "getSubscription",
            &h.get(&format!("/notifications/v1/subscriptions/{kind}"), &[])
                .await,
        );
    }
    h.post(
        "/reports/2021-06-30/reports",
        json!({"reportType": "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "marketplaceIds": [US]}),
    )
    .await;
    h.st.advance(chrono::Duration::seconds(120));

    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    let mut fee_cents = 0;
    for kind in kinds {
        let before = sink.0.lock().unwrap().len();
        h.send(
            reqwest::Method::POST,
            "/_stand-in/notify",
            &[],
            Some(json!({"notificationType": kind, "count": 5})),
            "",
        )
        .await;
        let bodies: Vec<String> = sink.0.lock().unwrap()[before..]
            .iter()
            .map(|(_, b)| b.clone())
            .collect();
        for body in &bodies {
            let raw: Value = serde_json::from_str(body).unwrap();
            let (received, _) =
                notification_round_trip(&raw).unwrap_or_else(|e| panic!("{kind}: {e}\n{body}"));
            let read_as = match &received {
                Received::OrderChange(_) => "ORDER_CHANGE",
                Received::TransactionUpdate(t) => {
                    let amount = &t.payload.transaction_update_notification.total_amount;
                    let sent = &raw["Payload"]["TransactionUpdateNotification"]["TotalAmount"]
                        ["CurrencyAmount"];
                    assert_eq!(
                        amount.currency_amount,
                        sent.to_string().parse::<Decimal>().unwrap()
                    );
                    "TRANSACTION_UPDATE"
                }
                Received::FbaInventoryAvailabilityChanges(_) => {
                    "FBA_INVENTORY_AVAILABILITY_CHANGES"
                }
                Received::AnyOfferChanged(_) => "ANY_OFFER_CHANGED",
                Received::FeePromotion(f) => {
                    for info in &f.payload.fee_promotion_notification.promotion_information {
                        let estimate = info.fees_estimate.as_ref().unwrap();
                        let detail = &estimate.fee_details[0];
                        let promotion = &detail.fee_promotion.as_ref().unwrap().amount;
                        assert_eq!(
                            detail.final_fee.amount,
                            detail.fee_amount.amount - promotion
                        );
                        assert_eq!(
                            &info.fee_discount_monetary_amount.as_ref().unwrap().amount,
                            promotion
                        );
                        if !promotion.fract().is_zero() {
                            fee_cents += 1;
                        }
                    }
                    "FEE_PROMOTION"
                }
                Received::ListingsItemStatusChange(_) => "LISTINGS_ITEM_STATUS_CHANGE",
                Received::ApplicationOAuthClientSecretExpiry(a) => {
                    assert_eq!(
                        a.payload.application_oauth_client_secret_expiry.client_id,
                        h.st.apps.client_id
                    );
                    "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
                }
                Received::ReportProcessingFinished(_) => "REPORT_PROCESSING_FINISHED",
                other => panic!("{kind} read as {other:?}"),
            };
            assert_eq!(read_as, kind);
            *seen.entry(kind).or_default() += 1;
        }
    }
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>().len(),
        kinds.len(),
        "every type delivered: {seen:?}"
    );
    assert!(fee_cents > 0, "FEE_PROMOTION amounts carry cents");
}
