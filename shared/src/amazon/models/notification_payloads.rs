//! The notification messages Amazon delivers (the SQS body, or an EventBridge event's `detail`),
//! one type per notification we subscribe to, written from Amazon's JSON schemas
//! (`schemas/notifications/*.json`; the application notifications have no schema and follow
//! Amazon's documentation). [`decode_notification`] reads any of them by its type.
//!
//! Key casing differs by type: most are PascalCase ([`Notification`]), the report and application
//! notifications are camelCase ([`CamelNotification`]). FBA_INVENTORY_AVAILABILITY_CHANGES is
//! PascalCase in its schema but arrives camelCase too, so its fields read in either casing
//! (and are written PascalCase). Enumerations that Amazon extends without
//! a new version (order status, offer change type, fee type, …) are kept as text. Amounts are
//! [`Decimal`]s read and written digit for digit: the schemas type some of them as integers
//! (generated from an example), but Amazon sends fractions (`"FeeDiscountMonetaryAmount":
//! {"Amount": 0.75}`).

use super::reports::ProcessingStatus;
use super::{decode, empty_as_none, flex_bool, json_number, json_number_opt, DecodeError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A PascalCase notification: the envelope and its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Notification<P> {
    #[serde(alias = "notificationVersion")]
    pub notification_version: String,
    #[serde(alias = "notificationType")]
    pub notification_type: String,
    #[serde(alias = "payloadVersion")]
    pub payload_version: String,
    #[serde(alias = "eventTime")]
    pub event_time: DateTime<Utc>,
    #[serde(alias = "payload")]
    pub payload: P,
    /// Sent with every message; FBA_INVENTORY_AVAILABILITY_CHANGES's schema leaves it out, so
    /// a message without it still reads.
    #[serde(
        alias = "notificationMetadata",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub notification_metadata: Option<NotificationMetadata>,
}

/// Who a PascalCase notification is for; `NotificationId` is the key to drop duplicates by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationMetadata {
    #[serde(alias = "applicationId")]
    pub application_id: String,
    #[serde(alias = "subscriptionId")]
    pub subscription_id: String,
    #[serde(alias = "publishTime")]
    pub publish_time: DateTime<Utc>,
    #[serde(alias = "notificationId")]
    pub notification_id: String,
}

/// A camelCase notification (REPORT_PROCESSING_FINISHED, the application notifications).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CamelNotification<P> {
    pub notification_version: String,
    pub notification_type: String,
    pub payload_version: String,
    pub event_time: DateTime<Utc>,
    pub payload: P,
    pub notification_metadata: CamelNotificationMetadata,
}

/// The metadata of a camelCase notification. Application notifications come from the developer
/// console's preferences, not from a subscription, so the subscription may be absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CamelNotificationMetadata {
    pub application_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    pub publish_time: DateTime<Utc>,
    pub notification_id: String,
}

/// An amount as the PascalCase notifications send it: a JSON number and its currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Money {
    #[serde(with = "json_number")]
    pub amount: Decimal,
    pub currency_code: String,
}

// ---- ORDER_CHANGE ----------------------------------------------------------------------------

/// ORDER_CHANGE: an order's status or an item changed. No prices and no buyer data: fetch the
/// order to see them.
pub type OrderChange = Notification<OrderChangePayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangePayload {
    pub order_change_notification: OrderChangeNotification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeNotification {
    /// `OrderLevel` or `OrderItemLevel`.
    pub notification_level: String,
    pub seller_id: String,
    pub amazon_order_id: String,
    /// `OrderStatusChange`, `BuyerRequestedChange` or `DeliveryTipChange`.
    pub order_change_type: String,
    pub order_change_trigger: OrderChangeTrigger,
    pub summary: OrderChangeSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeTrigger {
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_of_order_change: Option<DateTime<Utc>>,
    pub change_reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeSummary {
    pub marketplace_id: String,
    pub order_status: String,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchase_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_postal_code: Option<String>,
    /// `AFN` (Amazon ships) or `MFN` (the seller ships).
    pub fulfillment_type: String,
    pub order_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_items_shipped: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_items_unshipped: Option<i64>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_delivery_date: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_delivery_date: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_ship_date: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_ship_date: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub cancel_notify_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipping_programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub easy_ship_shipment_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electronic_invoice_status: Option<String>,
    #[serde(default)]
    pub order_items: Vec<OrderChangeItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderChangeItem {
    pub order_item_id: String,
    #[serde(rename = "SellerSKU")]
    pub seller_sku: String,
    /// Always present, often `null`.
    #[serde(default)]
    pub supply_source_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_item_status: Option<String>,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_shipped: Option<i64>,
    #[serde(
        default,
        deserialize_with = "flex_bool::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_buyer_requested_cancel: Option<bool>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_earliest_delivery_date: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_latest_delivery_date: Option<DateTime<Utc>>,
}

// ---- TRANSACTION_UPDATE ----------------------------------------------------------------------

/// TRANSACTION_UPDATE: a finance transaction was posted or changed (Finances 2024-06-19).
pub type TransactionUpdate = Notification<TransactionUpdatePayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionUpdatePayload {
    pub transaction_update_notification: TransactionUpdateNotification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionUpdateNotification {
    pub selling_partner_metadata: SellingPartnerMetadata,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_identifiers: Vec<RelatedIdentifier>,
    pub transaction_type: String,
    /// Not in the schema; sent with the transaction so it can be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub posted_date: DateTime<Utc>,
    pub total_amount: TransactionAmount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SellingPartnerMetadata {
    pub selling_partner_id: String,
    pub marketplace_id: String,
    pub account_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RelatedIdentifier {
    pub related_identifier_name: String,
    pub related_identifier_value: String,
}

/// The transaction's total, `{CurrencyAmount, CurrencyCode}` as in Finances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionAmount {
    #[serde(with = "json_number")]
    pub currency_amount: Decimal,
    pub currency_code: String,
}

// ---- REPORT_PROCESSING_FINISHED --------------------------------------------------------------

/// REPORT_PROCESSING_FINISHED: a requested report is done, cancelled or failed.
pub type ReportProcessingFinished = CamelNotification<ReportProcessingFinishedPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportProcessingFinishedPayload {
    pub report_processing_finished_notification: ReportProcessingFinishedNotification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportProcessingFinishedNotification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    pub account_id: String,
    pub report_id: String,
    pub report_type: String,
    /// `DONE`, `CANCELLED` or `FATAL`.
    pub processing_status: ProcessingStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_document_id: Option<String>,
}

// ---- FBA_INVENTORY_AVAILABILITY_CHANGES ------------------------------------------------------

/// FBA_INVENTORY_AVAILABILITY_CHANGES: a SKU's FBA stock changed in some marketplace.
pub type FbaInventoryAvailabilityChanges = Notification<FbaInventoryAvailabilityPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FbaInventoryAvailabilityPayload {
    #[serde(alias = "sellerId")]
    pub seller_id: String,
    #[serde(alias = "fnSku", alias = "fnsku", rename = "FNSKU")]
    pub fnsku: String,
    #[serde(alias = "asin", rename = "ASIN")]
    pub asin: String,
    #[serde(alias = "sku", rename = "SKU")]
    pub sku: String,
    #[serde(alias = "fulfillmentInventoryByMarketplace", default)]
    pub fulfillment_inventory_by_marketplace: Vec<FulfillmentInventoryByMarketplace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FulfillmentInventoryByMarketplace {
    #[serde(alias = "marketplaceId")]
    pub marketplace_id: String,
    #[serde(alias = "itemName")]
    pub item_name: String,
    #[serde(alias = "fulfillmentInventory")]
    pub fulfillment_inventory: FulfillmentInventory,
    #[serde(alias = "stores", default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FulfillmentInventory {
    #[serde(alias = "inboundQuantityBreakdown")]
    pub inbound_quantity_breakdown: InboundQuantityBreakdown,
    #[serde(alias = "fulfillable")]
    pub fulfillable: i64,
    #[serde(alias = "unfulfillable")]
    pub unfulfillable: i64,
    #[serde(alias = "researching")]
    pub researching: i64,
    #[serde(alias = "reservedQuantityBreakdown")]
    pub reserved_quantity_breakdown: ReservedQuantityBreakdown,
    #[serde(alias = "futureSupplyBuyable")]
    pub future_supply_buyable: i64,
    #[serde(alias = "pendingCustomerOrderInTransit")]
    pub pending_customer_order_in_transit: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InboundQuantityBreakdown {
    #[serde(alias = "working")]
    pub working: i64,
    #[serde(alias = "shipped")]
    pub shipped: i64,
    #[serde(alias = "receiving")]
    pub receiving: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReservedQuantityBreakdown {
    #[serde(alias = "warehouseProcessing")]
    pub warehouse_processing: i64,
    #[serde(alias = "warehouseTransfer")]
    pub warehouse_transfer: i64,
    #[serde(alias = "pendingCustomerOrder")]
    pub pending_customer_order: i64,
}

// ---- ANY_OFFER_CHANGED -----------------------------------------------------------------------

/// ANY_OFFER_CHANGED: one of the top 20 offers of an ASIN changed (price, Buy Box, …).
pub type AnyOfferChanged = Notification<AnyOfferChangedPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnyOfferChangedPayload {
    pub any_offer_changed_notification: AnyOfferChangedNotification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnyOfferChangedNotification {
    pub seller_id: String,
    pub offer_change_trigger: OfferChangeTrigger,
    pub summary: OfferSummary,
    #[serde(default)]
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferChangeTrigger {
    pub marketplace_id: String,
    #[serde(rename = "ASIN")]
    pub asin: String,
    pub item_condition: String,
    pub time_of_offer_change: DateTime<Utc>,
    /// `External`, `Internal` or `Featured Offer`.
    pub offer_change_type: String,
}

/// The schema requires every field; Amazon leaves out the prices it has no value for, so they
/// are optional here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferSummary {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub number_of_offers: Vec<OfferCount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lowest_prices: Vec<LowestPrice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buy_box_prices: Vec<BuyBoxPrice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_advertised_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_lower_price_plus_shipping: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_buy_box_eligible_offers: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sales_rankings: Vec<SalesRank>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub number_of_buy_box_eligible_offers: Vec<OfferCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competitive_price_threshold: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferCount {
    pub condition: String,
    pub fulfillment_channel: String,
    pub offer_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LowestPrice {
    pub condition: String,
    pub fulfillment_channel: String,
    pub landed_price: Money,
    pub listing_price: Money,
    pub shipping: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BuyBoxPrice {
    pub condition: String,
    pub landed_price: Money,
    pub listing_price: Money,
    pub shipping: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Points {
    pub points_number: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesRank {
    pub product_category_id: String,
    pub rank: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Offer {
    pub seller_id: String,
    pub sub_condition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_feedback_rating: Option<SellerFeedbackRating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_time: Option<ShippingTime>,
    pub listing_price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ships_from: Option<ShipsFrom>,
    #[serde(deserialize_with = "flex_bool::required")]
    pub is_fulfilled_by_amazon: bool,
    #[serde(
        default,
        deserialize_with = "flex_bool::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_buy_box_winner: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prime_information: Option<PrimeInformation>,
    #[serde(
        default,
        deserialize_with = "flex_bool::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_expedited_shipping_available: Option<bool>,
    #[serde(
        default,
        deserialize_with = "flex_bool::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_featured_merchant: Option<bool>,
    #[serde(
        default,
        deserialize_with = "flex_bool::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ships_domestically: Option<bool>,
    #[serde(
        default,
        deserialize_with = "flex_bool::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ships_internationally: Option<bool>,
}

/// The seller's feedback; the rating is a percentage, which the pricing API sends with
/// fractions, so it is kept as a decimal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SellerFeedbackRating {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_count: Option<i64>,
    #[serde(
        default,
        with = "json_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub seller_positive_feedback_rating: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShippingTime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_hours: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_hours: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub available_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShipsFrom {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrimeInformation {
    #[serde(deserialize_with = "flex_bool::required")]
    pub is_offer_prime: bool,
    #[serde(deserialize_with = "flex_bool::required")]
    pub is_offer_national_prime: bool,
}

// ---- FEE_PROMOTION ---------------------------------------------------------------------------

/// FEE_PROMOTION: a fee promotion (such as FBA New Selection) became active for some items.
pub type FeePromotion = Notification<FeePromotionPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeePromotionPayload {
    pub fee_promotion_notification: FeePromotionNotification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeePromotionNotification {
    pub merchant_id: String,
    pub marketplace_id: String,
    pub fee_promotion_type: String,
    pub fee_promotion_type_description: String,
    pub promotion_active_time_range: PromotionActiveTimeRange,
    #[serde(default)]
    pub identifiers: Vec<PromotionIdentifier>,
    #[serde(default)]
    pub promotion_information: Vec<PromotionInformation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PromotionActiveTimeRange {
    pub effective_from_date: DateTime<Utc>,
    pub effective_through_date: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PromotionIdentifier {
    pub identifier_type: String,
    #[serde(default)]
    pub identifier_values: Vec<PromotionIdentifierValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PromotionIdentifierValue {
    pub identifier_value_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier_value_friendly_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PromotionInformation {
    pub fee_type: String,
    /// `Percentage` or `Amount`: how to read [`Self::fee_discount_value`].
    pub fee_discount_type: String,
    #[serde(with = "json_number")]
    pub fee_discount_value: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_threshold: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_discount_monetary_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_estimate: Option<PromotionFeesEstimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PromotionFeesEstimate {
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_of_fees_estimated: Option<DateTime<Utc>>,
    pub total_fees_estimate: Money,
    #[serde(default)]
    pub fee_details: Vec<PromotionFeeDetail>,
}

/// One fee with its promotion; `IncludedFees` breaks it down the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PromotionFeeDetail {
    pub fee_type: String,
    pub fee_amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_promotion: Option<Money>,
    pub final_fee: Money,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_fees: Vec<PromotionFeeDetail>,
}

// ---- LISTINGS_ITEM_STATUS_CHANGE -------------------------------------------------------------

/// LISTINGS_ITEM_STATUS_CHANGE (its messages say `LISTINGS_ITEM_STATUS_CHANGED`): a listing
/// became or stopped being buyable or discoverable, or was deleted.
pub type ListingsItemStatusChange = Notification<ListingsItemStatusPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListingsItemStatusPayload {
    pub seller_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    pub sku: String,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date: Option<DateTime<Utc>>,
    /// `BUYABLE`, `DISCOVERABLE`, `DELETED`; an empty list means neither buyable nor
    /// discoverable.
    #[serde(default)]
    pub status: Vec<String>,
}

// ---- APPLICATION_OAUTH_* ---------------------------------------------------------------------

/// APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY: the app's LWA client secret expires soon; rotate it.
pub type ApplicationOAuthClientSecretExpiry = CamelNotification<ClientSecretExpiryPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSecretExpiryPayload {
    #[serde(rename = "applicationOAuthClientSecretExpiry")]
    pub application_oauth_client_secret_expiry: ClientSecretExpiry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSecretExpiry {
    pub client_id: String,
    pub client_secret_expiry_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expiry_reason: Option<String>,
}

/// APPLICATION_OAUTH_CLIENT_NEW_SECRET: the rotated client secret; the old one keeps working
/// until `oldClientSecretExpiryTime`.
pub type ApplicationOAuthClientNewSecret = CamelNotification<ClientNewSecretPayload>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientNewSecretPayload {
    #[serde(rename = "applicationOAuthClientNewSecret")]
    pub application_oauth_client_new_secret: ClientNewSecret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientNewSecret {
    pub client_id: String,
    pub new_client_secret: ClientSecret,
    pub new_client_secret_expiry_time: DateTime<Utc>,
    pub old_client_secret_expiry_time: DateTime<Utc>,
}

/// A client secret: its text never shows in `Debug` output (logs).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientSecret(pub String);

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("ClientSecret(..)")
    }
}

// ---- any notification ------------------------------------------------------------------------

/// A notification read by its type; a type we do not model is kept as it came.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    OrderChange(Box<OrderChange>),
    TransactionUpdate(Box<TransactionUpdate>),
    ReportProcessingFinished(Box<ReportProcessingFinished>),
    FbaInventoryAvailabilityChanges(Box<FbaInventoryAvailabilityChanges>),
    AnyOfferChanged(Box<AnyOfferChanged>),
    FeePromotion(Box<FeePromotion>),
    ListingsItemStatusChange(Box<ListingsItemStatusChange>),
    ApplicationOAuthClientSecretExpiry(Box<ApplicationOAuthClientSecretExpiry>),
    ApplicationOAuthClientNewSecret(Box<ApplicationOAuthClientNewSecret>),
    Other {
        notification_type: String,
        body: serde_json::Value,
    },
}

#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "NotificationType", alias = "notificationType")]
    notification_type: String,
}

/// Reads a notification message (an SQS body or an EventBridge `detail`) into its type. A body
/// that is a JSON string holding the JSON (double-encoded, which Amazon's own sample handles)
/// is read through.
pub fn decode_notification(bytes: &[u8]) -> Result<Received, DecodeError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'"') {
        let inner: String = decode(bytes)?;
        return decode_notification(inner.as_bytes());
    }
    let kind = decode::<TypeOnly>(bytes)?.notification_type;
    fn boxed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<Box<T>, DecodeError> {
        decode(bytes).map(Box::new)
    }
    Ok(match kind.as_str() {
        "ORDER_CHANGE" => Received::OrderChange(boxed(bytes)?),
        "TRANSACTION_UPDATE" => Received::TransactionUpdate(boxed(bytes)?),
        "REPORT_PROCESSING_FINISHED" => Received::ReportProcessingFinished(boxed(bytes)?),
        "FBA_INVENTORY_AVAILABILITY_CHANGES" => {
            Received::FbaInventoryAvailabilityChanges(boxed(bytes)?)
        }
        "ANY_OFFER_CHANGED" => Received::AnyOfferChanged(boxed(bytes)?),
        "FEE_PROMOTION" => Received::FeePromotion(boxed(bytes)?),
        "LISTINGS_ITEM_STATUS_CHANGE" | "LISTINGS_ITEM_STATUS_CHANGED" => {
            Received::ListingsItemStatusChange(boxed(bytes)?)
        }
        "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY" => {
            Received::ApplicationOAuthClientSecretExpiry(boxed(bytes)?)
        }
        "APPLICATION_OAUTH_CLIENT_NEW_SECRET" => {
            Received::ApplicationOAuthClientNewSecret(boxed(bytes)?)
        }
        _ => Received::Other {
            notification_type: kind,
            body: decode(bytes)?,
        },
    })
}
