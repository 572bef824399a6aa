//! SP-API notifications: destinations (SQS), subscriptions per type, and delivery of real
//! notification messages (built from the seller's records) to the destination queue, with
//! duplicate and out-of-order delivery on demand, as Amazon's at-least-once delivery allows.

// Helpers return the ready error response as `Err`, like a handler's early return.
#![allow(clippy::result_large_err)]

use crate::render::{json_number, ts};
use crate::server::{err, invalid, FaultKind, Shared, StandIn};
use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Where notification messages go: an SQS queue by ARN.
#[async_trait]
pub trait Sink: Send + Sync {
    async fn deliver(&self, queue_arn: &str, body: String) -> Result<(), String>;
}

/// Real SQS (moto in tests): the queue URL is looked up from the ARN's queue name.
pub struct SqsSink {
    client: aws_sdk_sqs::Client,
    urls: Mutex<HashMap<String, String>>,
}

impl SqsSink {
    pub fn new(client: aws_sdk_sqs::Client) -> Self {
        Self {
            client,
            urls: Mutex::default(),
        }
    }
}

#[async_trait]
impl Sink for SqsSink {
    async fn deliver(&self, queue_arn: &str, body: String) -> Result<(), String> {
        let cached = self.urls.lock().expect("urls").get(queue_arn).cloned();
        let url = match cached {
            Some(u) => u,
            None => {
                let name = queue_arn.rsplit(':').next().unwrap_or_default();
                let u = self
                    .client
                    .get_queue_url()
                    .queue_name(name)
                    .send()
                    .await
                    .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?
                    .queue_url
                    .unwrap_or_default();
                self.urls
                    .lock()
                    .expect("urls")
                    .insert(queue_arn.to_string(), u.clone());
                u
            }
        };
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        Ok(())
    }
}

/// Keeps messages in memory: for tests that only look at payloads.
#[derive(Default)]
pub struct MemorySink(pub Mutex<Vec<(String, String)>>);

#[async_trait]
impl Sink for MemorySink {
    async fn deliver(&self, queue_arn: &str, body: String) -> Result<(), String> {
        self.0
            .lock()
            .expect("sink")
            .push((queue_arn.to_string(), body));
        Ok(())
    }
}

/// The types the stand-in delivers.
pub const TYPES: &[&str] = &[
    "ORDER_CHANGE",
    "TRANSACTION_UPDATE",
    "REPORT_PROCESSING_FINISHED",
    "FBA_INVENTORY_AVAILABILITY_CHANGES",
    "ANY_OFFER_CHANGED",
    "FEE_PROMOTION",
    "LISTINGS_ITEM_STATUS_CHANGE",
    "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
    "LISTINGS_ITEM_ISSUES_CHANGE",
    "ITEM_PRODUCT_TYPE_CHANGE",
    "PRICING_HEALTH",
];

#[derive(Default)]
pub struct Notifications {
    destinations: BTreeMap<String, (String, String)>,
    subscriptions: BTreeMap<String, (String, String, String)>,
    notified_reports: std::collections::BTreeSet<String>,
    sink: Option<Arc<dyn Sink>>,
    grantless: std::collections::BTreeSet<String>,
}

impl StandIn {
    /// Sends notifications to `sink` from now on.
    pub fn set_sink(&self, sink: Arc<dyn Sink>) {
        self.notifications.lock().expect("notifications").sink = Some(sink);
    }

    pub(crate) fn mark_grantless(&self, token: &str) {
        self.notifications
            .lock()
            .expect("notifications")
            .grantless
            .insert(token.to_string());
    }

    /// Builds up to `count` notifications of `kind` from the seller's newest records and
    /// delivers them to the subscribed destination. Returns how many messages were sent.
    pub async fn notify(&self, kind: &str, count: usize) -> Result<usize, String> {
        let (arn, sub_id, sink) = {
            let n = self.notifications.lock().expect("notifications");
            let (sub_id, dest, _) = n
                .subscriptions
                .get(kind)
                .cloned()
                .ok_or_else(|| format!("no subscription for {kind}"))?;
            let (_, arn) = n
                .destinations
                .get(&dest)
                .cloned()
                .ok_or("destination gone")?;
            (arn, sub_id, n.sink.clone().ok_or("no sink configured")?)
        };
        let mut bodies = self.build(kind, count, &sub_id)?;
        match self.notification_fault() {
            Some(FaultKind::DuplicateNotifications) => {
                bodies = bodies.into_iter().flat_map(|b| [b.clone(), b]).collect()
            }
            Some(FaultKind::ReorderNotifications) => bodies.reverse(),
            _ => {}
        }
        let n = bodies.len();
        for b in bodies {
            sink.deliver(&arn, b.to_string()).await?;
        }
        Ok(n)
    }

    /// Delivers REPORT_PROCESSING_FINISHED for every report that has finished since the
    /// last call (reports finish as the clock moves).
    pub async fn deliver_finished_reports(&self) -> Result<usize, String> {
        let subscribed = self
            .notifications
            .lock()
            .expect("notifications")
            .subscriptions
            .contains_key("REPORT_PROCESSING_FINISHED");
        if !subscribed {
            return Ok(0);
        }
        let now = self.now();
        let done: Vec<(String, String, &'static str, Option<String>)> = self
            .requested_reports()
            .into_iter()
            .filter(|(id, _, status, _)| {
                matches!(*status, "DONE" | "FATAL" | "CANCELLED")
                    && !self
                        .notifications
                        .lock()
                        .expect("notifications")
                        .notified_reports
                        .contains(id)
            })
            .collect();
        let _ = now;
        let mut sent = 0;
        for (id, report_type, status, doc) in done {
            self.notifications
                .lock()
                .expect("notifications")
                .notified_reports
                .insert(id.clone());
            let (sub_id, arn, sink) = {
                let n = self.notifications.lock().expect("notifications");
                let (sub_id, dest, _) = n.subscriptions["REPORT_PROCESSING_FINISHED"].clone();
                (
                    sub_id,
                    n.destinations
                        .get(&dest)
                        .map(|d| d.1.clone())
                        .unwrap_or_default(),
                    n.sink.clone(),
                )
            };
            let Some(sink) = sink else {
                return Err("no sink configured".into());
            };
            let body = self.report_finished(&sub_id, &id, &report_type, status, doc.as_deref());
            sink.deliver(&arn, body.to_string()).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// An ORDER_CHANGE message for the order as it is now.
    pub(crate) fn order_change(
        &self,
        s: &crate::generator::Seller,
        o: &crate::model::Order,
        sub_id: &str,
    ) -> Value {
        let items: Vec<Value> = o
            .items
            .iter()
            .map(|i| json!({"OrderItemId": i.order_item_id, "SellerSKU": s.products[i.product].sku, "SupplySourceId": null, "Quantity": i.quantity, "QuantityShipped": if o.status == crate::model::OrderStatus::Shipped { i.quantity } else { 0 }}))
            .collect();
        let shipped: i64 = if o.status == crate::model::OrderStatus::Shipped {
            o.items.iter().map(|i| i.quantity).sum()
        } else {
            0
        };
        let total: i64 = o.items.iter().map(|i| i.quantity).sum();
        self.envelope(
            "ORDER_CHANGE",
            o.last_update,
            json!({"OrderChangeNotification": {
                "NotificationLevel": "OrderLevel", "SellerId": s.seller_id, "AmazonOrderId": o.id, "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {"TimeOfOrderChange": ts(o.last_update), "ChangeReason": "Order status changed"},
                "Summary": {"MarketplaceId": o.marketplace_id, "OrderStatus": o.status.v0(), "PurchaseDate": ts(o.purchase_date), "DestinationPostalCode": o.ship_to.postal_code,
                    "FulfillmentType": o.fulfillment.code(), "OrderType": "StandardOrder", "NumberOfItemsShipped": shipped, "NumberOfItemsUnshipped": total - shipped,
                    "EarliestDeliveryDate": ts(o.earliest_delivery), "LatestDeliveryDate": ts(o.latest_delivery), "OrderItems": items}
            }}),
            sub_id,
        )
    }

    /// A TRANSACTION_UPDATE message for a transaction that was posted or changed `at`.
    pub(crate) fn transaction_update(
        &self,
        s: &crate::generator::Seller,
        t: &crate::model::Transaction,
        at: DateTime<Utc>,
        sub_id: &str,
    ) -> Value {
        let mut ids = vec![];
        if let Some(o) = &t.order_id {
            ids.push(json!({"RelatedIdentifierName": "ORDER_ID", "RelatedIdentifierValue": o}));
        }
        self.envelope(
            "TRANSACTION_UPDATE",
            at,
            json!({"TransactionUpdateNotification": {
                "SellingPartnerMetadata": {"SellingPartnerId": s.seller_id, "MarketplaceId": t.marketplace_id, "AccountType": "Standard Orders"},
                "RelatedIdentifiers": ids, "TransactionType": crate::render::finances_type(t.kind), "TransactionId": t.id,
                "PostedDate": ts(t.posted), "TotalAmount": {"CurrencyAmount": json_number(t.total()), "CurrencyCode": t.currency}
            }}),
            sub_id,
        )
    }

    /// The subscription of `kind` and its destination: `(subscription id, queue ARN, sink)`,
    /// when the type is subscribed and a sink is configured.
    pub(crate) fn subscribed(&self, kind: &str) -> Option<(String, String, Arc<dyn Sink>)> {
        let n = self.notifications.lock().expect("notifications");
        let (sub_id, dest, _) = n.subscriptions.get(kind)?;
        let (_, arn) = n.destinations.get(dest)?;
        Some((sub_id.clone(), arn.clone(), n.sink.clone()?))
    }

    /// A REPORT_PROCESSING_FINISHED message.
    pub(crate) fn report_finished(
        &self,
        sub_id: &str,
        report_id: &str,
        report_type: &str,
        status: &str,
        document: Option<&str>,
    ) -> Value {
        let mut p = json!({"sellerId": self.seller.seller_id, "accountId": format!("amzn1.merchant.o.{}", self.seller.seller_id), "reportId": report_id, "reportType": report_type, "processingStatus": status});
        if let Some(d) = document {
            p["reportDocumentId"] = json!(d);
        }
        json!({
            "notificationVersion": "2020-09-04", "notificationType": "REPORT_PROCESSING_FINISHED", "payloadVersion": "2020-09-04", "eventTime": ts(self.now()),
            "payload": {"reportProcessingFinishedNotification": p},
            "notificationMetadata": self.metadata(sub_id, false),
        })
    }

    fn metadata(&self, sub_id: &str, pascal: bool) -> Value {
        let id = uuid::Uuid::new_v4().to_string();
        if pascal {
            json!({"ApplicationId": self.apps.application_id, "SubscriptionId": sub_id, "PublishTime": ts(self.now()), "NotificationId": id})
        } else {
            json!({"applicationId": self.apps.application_id, "subscriptionId": sub_id, "publishTime": ts(self.now()), "notificationId": id})
        }
    }

    fn envelope(&self, kind: &str, event: DateTime<Utc>, payload: Value, sub_id: &str) -> Value {
        json!({"NotificationVersion": "1.0", "NotificationType": kind, "PayloadVersion": "1.0", "EventTime": ts(event), "Payload": payload, "NotificationMetadata": self.metadata(sub_id, true)})
    }

    fn build(&self, kind: &str, count: usize, sub_id: &str) -> Result<Vec<Value>, String> {
        let s = &self.seller_now();
        let now = self.now();
        Ok(match kind {
            "ORDER_CHANGE" => s
                .orders
                .iter()
                .rev()
                .filter(|o| o.last_update <= now)
                .take(count)
                .map(|o| self.order_change(s, o, sub_id))
                .collect(),
            "TRANSACTION_UPDATE" => s
                .transactions
                .iter()
                .rev()
                .filter(|t| t.posted <= now)
                .take(count)
                .map(|t| self.transaction_update(s, t, t.posted, sub_id))
                .collect(),
            "FBA_INVENTORY_AVAILABILITY_CHANGES" => s
                .inventory
                .iter()
                .take(count)
                .map(|i| {
                    let p = &s.products[i.product];
                    self.envelope(
                        "FBA_INVENTORY_AVAILABILITY_CHANGES",
                        now,
                        json!({"SellerId": s.seller_id, "FNSKU": p.fnsku, "ASIN": p.asin, "SKU": p.sku, "FulfillmentInventoryByMarketplace": [{
                            "MarketplaceId": i.marketplace_id, "ItemName": p.title,
                            "FulfillmentInventory": {"Fulfillable": i.fulfillable, "Unfulfillable": i.unfulfillable, "Researching": i.researching,
                                "InboundQuantityBreakdown": {"Working": i.inbound_working, "Shipped": i.inbound_shipped, "Receiving": i.inbound_receiving},
                                "ReservedQuantityBreakdown": {"WarehouseProcessing": 0, "WarehouseTransfer": 0, "PendingCustomerOrder": i.reserved},
                                "FutureSupplyBuyable": 0, "PendingCustomerOrderInTransit": 0}
                        }]}),
                        sub_id,
                    )
                })
                .collect(),
            "ANY_OFFER_CHANGED" => s
                .listing_events
                .iter()
                .rev()
                .filter(|e| e.kind == "BUY_BOX_LOST" && e.at <= now)
                .take(count)
                .map(|e| {
                    let p = &s.products[e.product];
                    let l = s.listings.iter().find(|l| l.product == e.product && l.marketplace_id == e.marketplace_id).expect("listing of event");
                    let cur = shared::marketplaces::by_id(e.marketplace_id).map(|m| m.currency).unwrap_or("USD");
                    let money = |d: rust_decimal::Decimal| json!({"Amount": json_number(d), "CurrencyCode": cur});
                    let rival = l.price - rust_decimal::Decimal::new(50, 2);
                    self.envelope(
                        "ANY_OFFER_CHANGED",
                        e.at,
                        json!({"AnyOfferChangedNotification": {
                            "SellerId": s.seller_id,
                            "OfferChangeTrigger": {"MarketplaceId": e.marketplace_id, "ASIN": p.asin, "ItemCondition": "new", "TimeOfOfferChange": ts(e.at), "OfferChangeType": "External"},
                            "Summary": {
                                "NumberOfOffers": [{"Condition": "new", "FulfillmentChannel": "Amazon", "OfferCount": 2}],
                                "LowestPrices": [{"Condition": "new", "FulfillmentChannel": "Amazon", "LandedPrice": money(rival), "ListingPrice": money(rival), "Shipping": money(rust_decimal::Decimal::ZERO)}],
                                "BuyBoxPrices": [{"Condition": "new", "LandedPrice": money(rival), "ListingPrice": money(rival), "Shipping": money(rust_decimal::Decimal::ZERO)}],
                                "ListPrice": money(l.price), "MinimumAdvertisedPrice": money(l.price), "SuggestedLowerPricePlusShipping": money(rival),
                                "TotalBuyBoxEligibleOffers": 2, "SalesRankings": [{"ProductCategoryId": "home_display_on_website", "Rank": 1234}],
                                "NumberOfBuyBoxEligibleOffers": [{"Condition": "new", "FulfillmentChannel": "Amazon", "OfferCount": 2}],
                                "CompetitivePriceThreshold": money(rival)
                            },
                            "Offers": [
                                {"SellerId": "A2COMPETITOR01", "SubCondition": "new", "SellerFeedbackRating": {"SellerPositiveFeedbackRating": 98, "FeedbackCount": 1200}, "ShippingTime": {"MinimumHours": 24, "MaximumHours": 48, "AvailabilityType": "NOW", "AvailableDate": ts(e.at)}, "ListingPrice": money(rival), "Points": {"PointsNumber": 0}, "Shipping": money(rust_decimal::Decimal::ZERO), "ShipsFrom": {"Country": "US", "State": ""}, "IsFulfilledByAmazon": true, "IsBuyBoxWinner": true, "PrimeInformation": {"IsOfferPrime": true, "IsOfferNationalPrime": true}, "IsExpeditedShippingAvailable": true, "IsFeaturedMerchant": true, "ShipsDomestically": true, "ShipsInternationally": false},
                                {"SellerId": s.seller_id, "SubCondition": "new", "SellerFeedbackRating": {"SellerPositiveFeedbackRating": 99, "FeedbackCount": 400}, "ShippingTime": {"MinimumHours": 24, "MaximumHours": 48, "AvailabilityType": "NOW", "AvailableDate": ts(e.at)}, "ListingPrice": money(l.price), "Points": {"PointsNumber": 0}, "Shipping": money(rust_decimal::Decimal::ZERO), "ShipsFrom": {"Country": "US", "State": ""}, "IsFulfilledByAmazon": true, "IsBuyBoxWinner": false, "PrimeInformation": {"IsOfferPrime": true, "IsOfferNationalPrime": true}, "IsExpeditedShippingAvailable": true, "IsFeaturedMerchant": true, "ShipsDomestically": true, "ShipsInternationally": false}
                            ]
                        }}),
                        sub_id,
                    )
                })
                .collect(),
            "FEE_PROMOTION" => s
                .listings
                .iter()
                .filter(|l| l.fulfillment == crate::model::Fulfillment::Afn)
                .take(count)
                .map(|l| {
                    let p = &s.products[l.product];
                    let cur = shared::marketplaces::by_id(l.marketplace_id).map(|m| m.currency).unwrap_or("USD");
                    let fee = crate::generator::round(p.fba_fee_usd * crate::generator::usd_rate(cur), cur);
                    let money = |d: rust_decimal::Decimal| json!({"Amount": json_number(d), "CurrencyCode": cur});
                    let discount = crate::generator::round(fee / rust_decimal::Decimal::TEN, cur);
                    let zero = rust_decimal::Decimal::ZERO;
                    let fee_detail = |fee_type: &str| json!({"FeeType": fee_type, "FeeAmount": money(fee), "TaxAmount": money(zero), "FeePromotion": money(discount), "FinalFee": money(fee - discount)});
                    let mut detail = fee_detail("FBAFulfillmentFee");
                    detail["IncludedFees"] = json!([fee_detail("FBAPerUnitFulfillmentFee")]);
                    self.envelope(
                        "FEE_PROMOTION",
                        now,
                        json!({"FeePromotionNotification": {
                            "MerchantId": s.seller_id, "MarketplaceId": l.marketplace_id, "FeePromotionType": "FBANewSelection", "FeePromotionTypeDescription": "FBA New Selection program",
                            "PromotionActiveTimeRange": {"EffectiveFromDate": ts(now), "EffectiveThroughDate": ts(now + Duration::days(90))},
                            "Identifiers": [{"IdentifierType": "ASIN", "IdentifierValues": [{"IdentifierValueId": p.asin, "IdentifierValueFriendlyName": p.title}]}],
                            // Amazon's published schema types these amounts as integers (it was
                            // generated from an example), but real messages carry the fee's
                            // cents (`"Amount": 0.75`): the stand-in sends exact amounts.
                            "PromotionInformation": [{"FeeType": "FBAFulfillmentFee", "FeeDiscountType": "Percentage", "FeeDiscountValue": 10,
                                "PriceThreshold": money(l.price), "FeeDiscountMonetaryAmount": money(discount),
                                "FeesEstimate": {"TimeOfFeesEstimated": ts(now), "TotalFeesEstimate": money(fee), "FeeDetails": [detail]}}]
                        }}),
                        sub_id,
                    )
                })
                .collect(),
            "LISTINGS_ITEM_STATUS_CHANGE" => s
                .listing_events
                .iter()
                .rev()
                .filter(|e| e.kind == "LISTING_SUPPRESSED" && e.at <= now)
                .take(count)
                .map(|e| {
                    let p = &s.products[e.product];
                    json!({"NotificationVersion": "1.0", "NotificationType": "LISTINGS_ITEM_STATUS_CHANGED", "PayloadVersion": "1.0", "EventTime": ts(e.at),
                        "Payload": {"SellerId": s.seller_id, "MarketplaceId": e.marketplace_id, "Asin": p.asin, "Sku": p.sku, "CreatedDate": ts(e.at), "Status": ["DISCOVERABLE"]},
                        "NotificationMetadata": self.metadata(sub_id, true)})
                })
                .collect(),
            "LISTINGS_ITEM_ISSUES_CHANGE" => s
                .listing_events
                .iter()
                .rev()
                .filter(|e| e.kind == "LISTING_SUPPRESSED" && e.at <= now)
                .take(count)
                .map(|e| {
                    let p = &s.products[e.product];
                    self.envelope(
                        "LISTINGS_ITEM_ISSUES_CHANGE",
                        e.at,
                        json!({"SellerId": s.seller_id, "MarketplaceId": e.marketplace_id, "Asin": p.asin, "Sku": p.sku,
                            "Severities": ["ERROR"], "EnforcementActions": ["SEARCH_SUPPRESSED"]}),
                        sub_id,
                    )
                })
                .collect(),
            // Amazon's schema names no seller; the stand-in adds it (the schema allows more
            // properties), so the message can be routed.
            "ITEM_PRODUCT_TYPE_CHANGE" => s
                .listings
                .iter()
                .take(count)
                .map(|l| {
                    let p = &s.products[l.product];
                    self.envelope(
                        "ITEM_PRODUCT_TYPE_CHANGE",
                        now,
                        json!({"SellerId": s.seller_id, "MarketplaceId": l.marketplace_id, "Asin": p.asin,
                            "PreviousProductType": "HOME", "CurrentProductType": crate::catalog::kind(p).0}),
                        sub_id,
                    )
                })
                .collect(),
            "PRICING_HEALTH" => s
                .listing_events
                .iter()
                .rev()
                .filter(|e| e.kind == "BUY_BOX_LOST" && e.at <= now)
                .take(count)
                .map(|e| {
                    let p = &s.products[e.product];
                    let l = s.listings.iter().find(|l| l.product == e.product && l.marketplace_id == e.marketplace_id).expect("listing of event");
                    let cur = shared::marketplaces::by_id(e.marketplace_id).map(|m| m.currency).unwrap_or("USD");
                    let money = |d: rust_decimal::Decimal| json!({"amount": json_number(d), "currencyCode": cur});
                    let rival = l.price - rust_decimal::Decimal::new(50, 2);
                    json!({
                        "notificationVersion": "1.0", "notificationType": "PRICING_HEALTH", "payloadVersion": "1.0", "eventTime": ts(e.at),
                        "payload": {
                            "issueType": "BuyBoxEligibility", "sellerId": s.seller_id,
                            "offerChangeTrigger": {"marketplaceId": e.marketplace_id, "asin": p.asin, "itemCondition": "new", "timeOfOfferChange": ts(e.at)},
                            "merchantOffer": {"condition": "new", "fulfillmentType": l.fulfillment.code(), "listingPrice": money(l.price), "shipping": money(rust_decimal::Decimal::ZERO), "landedPrice": money(l.price)},
                            "summary": {
                                "numberOfOffers": [{"condition": "new", "fulfillmentType": "AFN", "offerCount": 2}],
                                "buyBoxEligibleOffers": [{"condition": "new", "fulfillmentType": "AFN", "offerCount": 1}],
                                "buyBoxPrices": [{"condition": "new", "listingPrice": money(rival), "shipping": money(rust_decimal::Decimal::ZERO), "landedPrice": money(rival)}],
                                "salesRankings": [{"productCategoryId": "home_display_on_website", "rank": 1234}],
                                "referencePrice": {"competitivePriceThreshold": money(rival), "averageSellingPrice": money(l.price)}
                            }
                        },
                        "notificationMetadata": self.metadata(sub_id, false),
                    })
                })
                .collect(),
            "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY" => vec![json!({
                "notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY", "payloadVersion": "2023-11-30", "eventTime": ts(now),
                "payload": {"applicationOAuthClientSecretExpiry": {"clientId": self.apps.client_id, "clientSecretExpiryTime": ts(now + Duration::days(7)), "clientSecretExpiryReason": "PERIODIC_ROTATION"}},
                "notificationMetadata": self.metadata(sub_id, false),
            })],
            other => return Err(format!("the stand-in does not build {other} notifications")),
        })
    }
}

/// The notifications routes (destinations are grantless; subscriptions use the seller token).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/notifications/v1/destinations",
            get(get_destinations).post(create_destination),
        )
        .route(
            "/notifications/v1/destinations/{id}",
            get(get_destination).delete(delete_destination),
        )
        .route(
            "/notifications/v1/subscriptions/{kind}",
            get(get_subscription).post(create_subscription),
        )
        .route(
            "/notifications/v1/subscriptions/{kind}/{id}",
            get(get_subscription_by_id).delete(delete_subscription),
        )
        .route("/_stand-in/notify", post(control_notify))
}

fn grantless(st: &StandIn, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if st
        .notifications
        .lock()
        .expect("notifications")
        .grantless
        .contains(token)
    {
        Ok(())
    } else {
        Err(err(StatusCode::FORBIDDEN, "Unauthorized", "Access to requested resource is denied. This operation needs a grantless token (scope sellingpartnerapi::notifications)."))
    }
}

fn destination_json(id: &str, name: &str, arn: &str) -> Value {
    json!({"destinationId": id, "name": name, "resource": {"sqs": {"arn": arn}}})
}

async fn create_destination(
    State(st): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let op = "createDestination";
    let f = crate::guarded!(st, headers, op);
    if let Err(r) = grantless(&st, &headers) {
        return r;
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let (Some(name), Some(arn)) = (
        req["name"].as_str(),
        req["resourceSpecification"]["sqs"]["arn"].as_str(),
    ) else {
        return invalid("name and resourceSpecification.sqs.arn are required");
    };
    if !arn.starts_with("arn:aws:sqs:") {
        return invalid("resourceSpecification.sqs.arn must be an SQS queue ARN");
    }
    let mut n = st.notifications.lock().expect("notifications");
    if n.destinations.values().any(|(_, a)| a == arn) {
        return err(
            StatusCode::CONFLICT,
            "Conflict",
            "A destination for this resource already exists",
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    n.destinations
        .insert(id.clone(), (name.to_string(), arn.to_string()));
    drop(n);
    st.respond(
        op,
        StatusCode::OK,
        json!({"payload": destination_json(&id, name, arn)}),
        f,
    )
}

async fn get_destinations(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let op = "getDestinations";
    let f = crate::guarded!(st, headers, op);
    if let Err(r) = grantless(&st, &headers) {
        return r;
    }
    let list: Vec<Value> = st
        .notifications
        .lock()
        .expect("notifications")
        .destinations
        .iter()
        .map(|(id, (n, a))| destination_json(id, n, a))
        .collect();
    st.respond(op, StatusCode::OK, json!({"payload": list}), f)
}

async fn get_destination(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getDestination";
    let f = crate::guarded!(st, headers, op);
    if let Err(r) = grantless(&st, &headers) {
        return r;
    }
    let d = st
        .notifications
        .lock()
        .expect("notifications")
        .destinations
        .get(&id)
        .cloned();
    match d {
        Some((n, a)) => st.respond(
            op,
            StatusCode::OK,
            json!({"payload": destination_json(&id, &n, &a)}),
            f,
        ),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Destination not found"),
    }
}

async fn delete_destination(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "deleteDestination";
    let f = crate::guarded!(st, headers, op);
    if let Err(r) = grantless(&st, &headers) {
        return r;
    }
    let mut n = st.notifications.lock().expect("notifications");
    if n.subscriptions.values().any(|(_, d, _)| d == &id) {
        return err(
            StatusCode::CONFLICT,
            "Conflict",
            "Delete the subscriptions of this destination first",
        );
    }
    let removed = n.destinations.remove(&id).is_some();
    drop(n);
    if removed {
        st.respond(op, StatusCode::OK, json!({}), f)
    } else {
        err(StatusCode::NOT_FOUND, "NotFound", "Destination not found")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionRequest {
    payload_version: Option<String>,
    destination_id: Option<String>,
}

fn subscription_json(id: &str, dest: &str, version: &str) -> Value {
    json!({"subscriptionId": id, "payloadVersion": version, "destinationId": dest})
}

async fn create_subscription(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let op = "createSubscription";
    let f = crate::guarded!(st, headers, op);
    if !TYPES.contains(&kind.as_str()) {
        return invalid(&format!(
            "{kind} is not a notification type the stand-in delivers"
        ));
    }
    let Ok(req) = serde_json::from_slice::<SubscriptionRequest>(&body) else {
        return invalid("Body must be a CreateSubscriptionRequest");
    };
    let (Some(version), Some(dest)) = (req.payload_version, req.destination_id) else {
        return invalid("payloadVersion and destinationId are required");
    };
    let mut n = st.notifications.lock().expect("notifications");
    if !n.destinations.contains_key(&dest) {
        return invalid("destinationId does not exist");
    }
    if n.subscriptions.contains_key(&kind) {
        return err(
            StatusCode::CONFLICT,
            "Conflict",
            "A subscription for this notification type already exists",
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    n.subscriptions
        .insert(kind, (id.clone(), dest.clone(), version.clone()));
    drop(n);
    st.respond(
        op,
        StatusCode::OK,
        json!({"payload": subscription_json(&id, &dest, &version)}),
        f,
    )
}

async fn get_subscription(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(kind): Path<String>,
) -> Response {
    let op = "getSubscription";
    let f = crate::guarded!(st, headers, op);
    let sub = st
        .notifications
        .lock()
        .expect("notifications")
        .subscriptions
        .get(&kind)
        .cloned();
    match sub {
        Some((id, dest, v)) => st.respond(
            op,
            StatusCode::OK,
            json!({"payload": subscription_json(&id, &dest, &v)}),
            f,
        ),
        None => err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "No subscription for this notification type",
        ),
    }
}

async fn get_subscription_by_id(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    let op = "getSubscriptionById";
    let f = crate::guarded!(st, headers, op);
    if let Err(r) = grantless(&st, &headers) {
        return r;
    }
    let sub = st
        .notifications
        .lock()
        .expect("notifications")
        .subscriptions
        .get(&kind)
        .cloned()
        .filter(|s| s.0 == id);
    match sub {
        Some((id, dest, v)) => st.respond(
            op,
            StatusCode::OK,
            json!({"payload": subscription_json(&id, &dest, &v)}),
            f,
        ),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Subscription not found"),
    }
}

async fn delete_subscription(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    let op = "deleteSubscriptionById";
    let f = crate::guarded!(st, headers, op);
    if let Err(r) = grantless(&st, &headers) {
        return r;
    }
    let mut n = st.notifications.lock().expect("notifications");
    if n.subscriptions.get(&kind).is_some_and(|s| s.0 == id) {
        n.subscriptions.remove(&kind);
        drop(n);
        st.respond(op, StatusCode::OK, json!({}), f)
    } else {
        err(StatusCode::NOT_FOUND, "NotFound", "Subscription not found")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotifyRequest {
    notification_type: String,
    count: Option<usize>,
}

/// `POST /_stand-in/notify {notificationType, count}`: delivers that many notifications of the
/// type now (`REPORT_PROCESSING_FINISHED` delivers those of every finished report).
async fn control_notify(State(st): State<Shared>, Json(r): Json<NotifyRequest>) -> Response {
    let result = if r.notification_type == "REPORT_PROCESSING_FINISHED" {
        st.deliver_finished_reports().await
    } else {
        st.notify(&r.notification_type, r.count.unwrap_or(1)).await
    };
    match result {
        Ok(n) => Json(json!({"delivered": n})).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"error": e}).to_string(),
        )
            .into_response(),
    }
}
