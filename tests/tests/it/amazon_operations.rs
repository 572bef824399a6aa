//! Every SP-API operation of the catalogue, called through its typed method against the
//! stand-in over HTTP (limits, tokens, retries) and read into its model; and the catalogue's
//! usage plans agree with the stand-in's own table.

use super::amazon_client::{client, context, world};
use chrono::Duration;
use secrecy::SecretString;
use shared::amazon::catalogue::{self, Api, Operation};
use shared::amazon::models::{fees, notifications, reports, tokens};
use shared::amazon::operations::*;
use std::collections::BTreeSet;

const US: &str = "ATVPDKIKX0DER";

/// The stand-in's name of a catalogued operation (it tells the two `getOrder`s apart by
/// version).
fn stand_in_name(op: &Operation) -> &'static str {
    match (op.module, op.name) {
        ("orders", "getOrder") => "getOrder2026",
        (_, name) => name,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_catalogue_and_the_stand_in_agree_on_every_usage_plan() {
    let sp: Vec<&Operation> = catalogue::OPERATIONS
        .iter()
        .copied()
        .filter(|o| o.api == Api::SellingPartner)
        .collect();
    for op in &sp {
        let name = stand_in_name(op);
        let (rate, burst) = amazon_stand_in::limits::USAGE_PLANS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, r, b)| (*r, *b))
            .unwrap_or_else(|| panic!("the stand-in has no plan for {}", op.key()));
        assert_eq!(
            (op.plan.rate, f64::from(op.plan.burst)),
            (rate, burst),
            "{}",
            op.key()
        );
    }
    for (name, _, _) in amazon_stand_in::limits::USAGE_PLANS {
        assert!(
            sp.iter().any(|o| stand_in_name(o) == *name),
            "the catalogue has no {name}"
        );
    }
}

#[tokio::test]
async fn every_operation_works_through_its_typed_method_into_its_model() {
    let w = world(800).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let ctx = context(&w, "conn-ops", &refresh).until(w.st.now() + Duration::hours(6));
    let s = &w.st.seller;
    let seller = s.seller_id.clone();
    let us = || vec![US.to_string()];
    let order = s
        .orders
        .iter()
        .rev()
        .find(|o| {
            o.marketplace_id == US && o.status == amazon_stand_in::model::OrderStatus::Shipped
        })
        .unwrap()
        .clone();
    let now = w.st.now();
    let solicitable = s
        .orders
        .iter()
        .find(|o| {
            o.marketplace_id == US
                && o.status == amazon_stand_in::model::OrderStatus::Shipped
                && now >= o.earliest_delivery + Duration::days(6)
                && now <= o.latest_delivery + Duration::days(25)
        })
        .expect("an order in its solicitation window")
        .id
        .clone();
    let since = s.spec.end - Duration::days(45);
    let product = &s.products[order.items[0].product];
    let (asin, sku) = (product.asin.clone(), product.sku.clone());

    let p = api
        .sellers()
        .get_marketplace_participations(&ctx)
        .await
        .unwrap();
    assert_eq!(p.payload.len(), s.marketplaces.len());

    let search = SearchOrdersParams {
        created_after: Some(since),
        included_data: strings(&["PROCEEDS", "FULFILLMENT"]),
        ..Default::default()
    };
    let first = api.orders().search_orders(&ctx, &search).await.unwrap();
    assert!(!first.orders.is_empty());
    let every = api
        .orders()
        .search_orders_all(
            &ctx,
            &SearchOrdersParams {
                max_results_per_page: Some(20),
                ..search.clone()
            },
        )
        .await
        .unwrap();
    assert!(every.len() > 1, "searchOrders spans pages");
    let ids: Vec<String> = every
        .iter()
        .flat_map(|p| p.orders.iter().map(|o| o.order_id.clone()))
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "no order twice across pages");
    let o = api
        .orders()
        .get_order(
            &ctx,
            &order.id,
            &GetOrderParams {
                included_data: strings(&["PROCEEDS"]),
            },
        )
        .await
        .unwrap();
    assert_eq!(o.order.order_id, order.id);

    let v0 = api
        .orders_v0()
        .get_orders(
            &ctx,
            &GetOrdersParams {
                marketplace_ids: us(),
                created_after: Some(since),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(v0.payload.is_some_and(|p| !p.orders.is_empty()));
    let one = api.orders_v0().get_order(&ctx, &order.id).await.unwrap();
    assert_eq!(one.payload.unwrap().amazon_order_id, order.id);
    let items = api
        .orders_v0()
        .get_order_items_all(&ctx, &order.id)
        .await
        .unwrap();
    let n: usize = items
        .iter()
        .map(|p| p.payload.as_ref().map_or(0, |p| p.order_items.len()))
        .sum();
    assert_eq!(n, order.items.len());

    let t = api
        .finances()
        .list_transactions(
            &ctx,
            &ListTransactionsParams {
                related_identifier_name: Some("ORDER_ID".into()),
                related_identifier_value: Some(order.id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(t.payload.is_some_and(|p| !p.transactions.is_empty()));
    let all = api
        .finances()
        .list_transactions_all(
            &ctx,
            &ListTransactionsParams {
                posted_after: Some(since),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!all.is_empty());

    let groups = api
        .finances_v0()
        .list_financial_event_groups_all(
            &ctx,
            &ListFinancialEventGroupsParams {
                financial_event_group_started_after: Some(since),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let group = groups
        .into_iter()
        .flat_map(|g| {
            g.payload
                .map(|p| p.financial_event_group_list)
                .unwrap_or_default()
        })
        .find_map(|g| g.financial_event_group_id)
        .expect("a group");
    let events = ListFinancialEventsParams::default();
    api.finances_v0()
        .list_financial_events_by_group_id(&ctx, &group, &events)
        .await
        .unwrap();
    api.finances_v0()
        .list_financial_events_by_order_id(&ctx, &order.id, &events)
        .await
        .unwrap();
    api.finances_v0()
        .list_financial_events(
            &ctx,
            &ListFinancialEventsParams {
                posted_after: Some(since),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let spec = |report_type: &str| reports::CreateReportSpecification {
        report_options: None,
        report_type: report_type.into(),
        data_start_time: None,
        data_end_time: None,
        marketplace_ids: us(),
    };
    let created = api
        .reports()
        .create_report(&ctx, &spec("GET_MERCHANT_LISTINGS_ALL_DATA"))
        .await
        .unwrap();
    let cancel_me = api
        .reports()
        .create_report(&ctx, &spec("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"))
        .await
        .unwrap();
    api.reports()
        .cancel_report(&ctx, &cancel_me.report_id)
        .await
        .unwrap();
    w.st.advance(Duration::seconds(120));
    let report = api
        .reports()
        .get_report(&ctx, &created.report_id)
        .await
        .unwrap();
    assert_eq!(report.processing_status, reports::ProcessingStatus::Done);
    let listed = api
        .reports()
        .get_reports(
            &ctx,
            &GetReportsParams {
                report_types: strings(&["GET_MERCHANT_LISTINGS_ALL_DATA"]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(listed
        .reports
        .iter()
        .any(|r| r.report_id == created.report_id));
    let doc = api
        .reports()
        .get_report_document(&ctx, &report.report_document_id.expect("done"))
        .await
        .unwrap();
    assert!(doc.url.starts_with("http"));

    api.inventory()
        .get_inventory_summaries_all(
            &ctx,
            &GetInventorySummariesParams {
                details: Some(true),
                granularity_type: "Marketplace".into(),
                granularity_id: US.into(),
                marketplace_ids: us(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let item = api
        .catalog()
        .get_catalog_item(
            &ctx,
            &asin,
            &GetCatalogItemParams {
                marketplace_ids: us(),
                included_data: strings(&["summaries", "identifiers", "salesRanks"]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(item.asin, asin);
    api.catalog()
        .search_catalog_items(
            &ctx,
            &SearchCatalogItemsParams {
                marketplace_ids: us(),
                identifiers: vec![asin.clone()],
                identifiers_type: Some("ASIN".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    api.pricing()
        .get_item_offers(
            &ctx,
            &asin,
            &GetItemOffersParams {
                marketplace_id: US.into(),
                item_condition: "New".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    api.pricing()
        .get_competitive_pricing(
            &ctx,
            &GetCompetitivePricingParams {
                marketplace_id: US.into(),
                asins: vec![asin.clone()],
                item_type: "Asin".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let price = s
        .listings
        .iter()
        .find(|l| l.product == order.items[0].product && l.marketplace_id == US)
        .unwrap()
        .price;
    let estimate = api
        .fees()
        .get_my_fees_estimate_for_sku(
            &ctx,
            &sku,
            &fees::GetMyFeesEstimateRequest {
                fees_estimate_request: Some(fees::FeesEstimateRequest {
                    marketplace_id: US.into(),
                    is_amazon_fulfilled: Some(true),
                    price_to_estimate_fees: fees::PriceToEstimateFees {
                        listing_price: fees::MoneyType {
                            currency_code: Some("USD".into()),
                            amount: Some(price),
                        },
                        shipping: None,
                        points: None,
                    },
                    identifier: "estimate-1".into(),
                    optional_fulfillment_program: None,
                }),
            },
        )
        .await
        .unwrap();
    assert!(estimate.payload.is_some());
    let batch = api
        .fees()
        .get_my_fees_estimates(
            &ctx,
            &[fees::FeesEstimateByIdRequest {
                fees_estimate_request: Some(fees::FeesEstimateRequest {
                    marketplace_id: US.into(),
                    is_amazon_fulfilled: Some(true),
                    price_to_estimate_fees: fees::PriceToEstimateFees {
                        listing_price: fees::MoneyType {
                            currency_code: Some("USD".into()),
                            amount: Some(price),
                        },
                        shipping: None,
                        points: None,
                    },
                    identifier: "estimate-2".into(),
                    optional_fulfillment_program: None,
                }),
                id_type: "SellerSKU".into(),
                id_value: sku.clone(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(
        batch[0].fees_estimate.as_ref().unwrap().total_fees_estimate,
        estimate
            .payload
            .as_ref()
            .unwrap()
            .fees_estimate_result
            .as_ref()
            .unwrap()
            .fees_estimate
            .as_ref()
            .unwrap()
            .total_fees_estimate,
        "the batch estimates as the single call does"
    );

    let listing = api
        .listings()
        .get_listings_item(
            &ctx,
            &seller,
            &sku,
            &GetListingsItemParams {
                marketplace_ids: us(),
                included_data: strings(&["summaries", "offers", "issues"]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listing.sku, sku);
    api.listings()
        .search_listings_items_all(
            &ctx,
            &seller,
            &SearchListingsItemsParams {
                marketplace_ids: us(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let rdt = api
        .tokens()
        .create_restricted_data_token(
            &ctx,
            &tokens::CreateRestrictedDataTokenRequest {
                target_application: None,
                restricted_resources: vec![tokens::RestrictedResource {
                    method: tokens::HttpMethod::Get,
                    path: "/orders/v0/orders".into(),
                    data_elements: vec![],
                }],
            },
        )
        .await
        .unwrap();
    assert!(rdt.restricted_data_token.is_some());

    let in_us = SolicitationParams {
        marketplace_ids: us(),
    };
    let actions = api
        .solicitations()
        .get_solicitation_actions_for_order(&ctx, &solicitable, &in_us)
        .await
        .unwrap();
    assert_eq!(
        actions.links.as_ref().map_or(0, |l| l.actions.len()),
        1,
        "{actions:?}"
    );
    api.solicitations()
        .create_product_review_and_seller_feedback_solicitation(&ctx, &solicitable, &in_us)
        .await
        .unwrap();

    // Destinations belong to the application (grantless); subscriptions to the seller.
    let n = api.notifications();
    let destination = n
        .create_destination(
            &ctx,
            &notifications::CreateDestinationRequest {
                resource_specification: notifications::DestinationResourceSpecification {
                    sqs: Some(notifications::SqsResource {
                        arn: "arn:aws:sqs:us-east-1:000000000000:beddora-notifications".into(),
                    }),
                    event_bridge: None,
                },
                name: "beddora".into(),
            },
        )
        .await
        .unwrap()
        .payload
        .expect("a destination")
        .destination_id;
    assert_eq!(n.get_destinations(&ctx).await.unwrap().payload.len(), 1);
    n.get_destination(&ctx, &destination).await.unwrap();
    let kind = "ANY_OFFER_CHANGED";
    let subscription = n
        .create_subscription(
            &ctx,
            kind,
            &notifications::CreateSubscriptionRequest {
                payload_version: "1.0".into(),
                destination_id: destination.clone(),
                processing_directive: None,
            },
        )
        .await
        .unwrap()
        .payload
        .expect("a subscription")
        .subscription_id;
    n.get_subscription(&ctx, kind, &GetSubscriptionParams::default())
        .await
        .unwrap();
    n.get_subscription_by_id(&ctx, kind, &subscription)
        .await
        .unwrap();
    n.delete_subscription_by_id(&ctx, kind, &subscription)
        .await
        .unwrap();
    n.delete_destination(&ctx, &destination).await.unwrap();

    // Fulfillment Inbound 2024-03-20.
    let inbound = api.inbound();
    let plans = inbound
        .list_inbound_plans(&ctx, &ListInboundPlansParams::default())
        .await
        .unwrap();
    let plan_id = plans.inbound_plans[0].inbound_plan_id.clone();
    let plan = inbound.get_inbound_plan(&ctx, &plan_id).await.unwrap();
    inbound
        .list_inbound_plan_items(&ctx, &plan_id, &ListItemsParams::default())
        .await
        .unwrap();
    let shipment_id = plan.shipments[0].shipment_id.clone();
    inbound
        .get_shipment(&ctx, &plan_id, &shipment_id)
        .await
        .unwrap();
    inbound
        .list_shipment_items(&ctx, &plan_id, &shipment_id, &ListItemsParams::default())
        .await
        .unwrap();

    let stats = w.st.stats();
    for op in catalogue::OPERATIONS
        .iter()
        .filter(|o| o.api == Api::SellingPartner)
    {
        assert!(
            stats.contains_key(stand_in_name(op)),
            "{} was called through its typed method",
            op.key()
        );
    }
    assert!(
        stats.values().all(|s| s.throttled == 0),
        "the client kept every call within Amazon's limits: {stats:?}"
    );
}
