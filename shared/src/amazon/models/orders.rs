//! Orders v2026-01-01: camelCase, money as `{amount: "<decimal string>", currencyCode}`,
//! optional parts of an order filled only when asked for through `includedData`.

use super::Paged;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One page of orders; the next page is asked for with `paginationToken`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchOrdersResponse {
    #[serde(default)]
    pub orders: Vec<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_before: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub created_before: Option<DateTime<Utc>>,
}

/// A single order with the parts asked for through `includedData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderResponse {
    pub order: Order,
}

/// Comprehensive information about a customer order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_aliases: Vec<Alias>,
    pub created_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_orders: Vec<AssociatedOrder>,
    pub sales_channel: SalesChannel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<Buyer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Recipient>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proceeds: Option<OrderProceeds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<OrderPayment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<OrderTax>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<OrderFulfillment>,
    #[serde(default)]
    pub order_items: Vec<OrderItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<OrderPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fulfillment_orders: Vec<FulfillmentOrder>,
}

/// Pagination occurs when a request has results that exceed the response limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An alternative identifier that provides a different way to reference the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alias {
    pub alias_id: String,
    pub alias_type: String,
}

/// Another order that has a direct business relationship with the current order, such as replacements or exchanges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedOrder {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_type: Option<String>,
}

/// Information about where the customer placed this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesChannel {
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_name: Option<String>,
}

/// Information about the customer who purchased the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Buyer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_purchase_order_number: Option<String>,
}

/// Information about the recipient to whom the order should be delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_address: Option<CustomerAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_preference: Option<DeliveryPreference>,
}

/// The money that the seller receives from the sale of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderProceeds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grand_total: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<OrderProceedsBreakdown>,
}

/// Payment information about the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderPayment {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_executions: Vec<PaymentExecution>,
}

/// Tax information about the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderTax {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_registrations: Vec<OrderTaxRegistration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_invoicing: Option<OrderTaxInvoicing>,
}

/// Information about how the order is being processed, packed, and shipped to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFulfillment {
    pub fulfillment_status: FulfillmentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_service_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_by_window: Option<DateTimeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_by_window: Option<DateTimeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_printing_window: Option<DateTimeRange>,
}

/// Information about a single product within an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub order_item_id: String,
    pub quantity_ordered: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_order_items: Vec<AssociatedOrderItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    pub product: ItemProduct,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proceeds: Option<ItemProceeds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense: Option<ItemExpense>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<ItemPromotion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<ItemCancellation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<ItemFulfillment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<ItemTax>,
}

/// Information about a physical shipping package, including tracking details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPackage {
    pub package_reference_id: String,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub created_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_status: Option<PackageStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ship_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_from_address: Option<MerchantAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_items: Vec<PackageItem>,
}

/// Information about a fulfillment order associated with a customer order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentOrder {
    pub fulfillment_order_id: String,
}

/// The physical address of the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_or_county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_fields: Option<AddressExtendedFields>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_type: Option<String>,
}

/// Contains all delivery instructions that the customer provides for the shipping address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPreference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_off_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_instruction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_time: Option<PreferredDeliveryTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivery_capabilities: Vec<String>,
}

/// An amount in a currency; Amazon sends the amount as a decimal string, kept exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency_code: String,
}

/// An entry detailing proceeds information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderProceedsBreakdown {
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub subtotal: Money,
}

/// Payment execution details for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PaymentExecution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<String>,
}

/// Tax registration information for an entity associated with the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderTaxRegistration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_address: Option<CustomerAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_registration_attributes: Vec<TaxRegistrationAttribute>,
}

/// Tax invoicing information for the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderTaxInvoicing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_invoice_preference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_status: Option<String>,
}

/// A time period with start and end boundaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeRange {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_date_time: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_date_time: Option<DateTime<Utc>>,
}

/// Specifies the unit of measure and quantity for items that are sold by weight, volume, length, or other measurements rather than simple count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub unit: String,
    /// A quantity sold by weight or volume multiplies a price, so it is exact too.
    #[serde(with = "super::json_number")]
    pub value: Decimal,
}

/// An associated order item that a customer has purchased with the product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedOrderItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_type: Option<String>,
}

/// Product information for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemProduct {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ItemCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<ItemPrice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serial_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customization: Option<ItemCustomization>,
}

/// The money that the seller receives from the sale of this specific item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemProceeds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proceeds_total: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<ItemProceedsBreakdown>,
}

/// The expense information related to this specific item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemExpense {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_cost: Option<ItemPointsCost>,
}

/// Details about any discounts, coupons, or promotional offers applied to this item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemPromotion {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<ItemPromotionBreakdown>,
}

/// The cancellation information of the order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemCancellation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_request: Option<ItemCancellationRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_execution: Option<ItemCancellationExecution>,
}

/// Information about how the order item should be processed, packed, and shipped to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemFulfillment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_fulfilled: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_unfulfilled: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picking: Option<ItemPicking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packing: Option<ItemPacking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<ItemShipping>,
}

/// Tax information for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemTax {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_calculation_breakdowns: Vec<ItemTaxCalculationBreakdown>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_collections: Vec<ItemTaxCollection>,
}

/// Current status and detailed tracking information for a shipping package throughout the delivery process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageStatus {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detailed_status: Option<String>,
}

/// The physical address of the merchant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MerchantAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_or_county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

/// Individual order item contained within a shipping package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageItem {
    pub order_item_id: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transparency_codes: Vec<String>,
}

/// Additional address components that provide more detailed location information, helping with precise delivery routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AddressExtendedFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighborhood: Option<String>,
}

/// Customer-specified time preferences for when deliveries should be attempted at the destination address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PreferredDeliveryTime {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub business_hours: Vec<BusinessHour>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exception_dates: Vec<ExceptionDate>,
}

/// An additional attribute associated with a tax registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TaxRegistrationAttribute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Detailed information about the physical condition and quality state of the item being sold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_subtype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_note: Option<String>,
}

/// Pricing information for the order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemPrice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_designation: Option<String>,
}

/// Information about any personalization, customization, or special modifications applied to this order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemCustomization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_url: Option<String>,
}

/// Detailed proceeds breakdown for a specific order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemProceedsBreakdown {
    pub type_: String,
    pub subtotal: Money,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detailed_breakdowns: Vec<ItemProceedsDetailedBreakdown>,
}

/// Information about Amazon Points granted with the purchase of an item, including both quantity and monetary equivalent value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemPointsCost {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_granted: Option<PointsGranted>,
}

/// Detailed information about a specific promotional offer applied to an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemPromotionBreakdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
}

/// Detailed information about a cancellation request submitted for a specific order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemCancellationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// Details of how the cancellation was executed for a specific order item, including who performed the cancellation and the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemCancellationExecution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// Information related to the warehouse picking process for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemPicking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_preference: Option<ItemSubstitutionPreference>,
}

/// Information related to the packaging process for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemPacking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_option: Option<GiftOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number_requirement: Option<SerialNumberRequirement>,
}

/// Information related to the shipping and delivery process for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemShipping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_delivery_window: Option<DateTimeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_constraints: Option<ItemShippingConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub international_shipping: Option<ItemInternationalShipping>,
}

/// Tax calculation breakdowns for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemTaxCalculationBreakdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_scheme: Option<String>,
}

/// Tax collection information for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemTaxCollection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_party: Option<String>,
}

/// Business days and hours when the destination is open for deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BusinessHour {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_windows: Vec<TimeWindow>,
}

/// Special dates when normal business hours are modified or suspended, requiring different delivery scheduling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionDate {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exception_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception_date_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_windows: Vec<TimeWindow>,
}

/// Further granular breakdown of the subtotal of the proceeds breakdown, only available for TAX and DISCOUNT proceeds types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemProceedsDetailedBreakdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Money>,
}

/// Information about Amazon Points awarded with an item purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PointsGranted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_monetary_value: Option<Money>,
}

/// Substitution preference for an order item when it becomes unavailable during fulfillment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSubstitutionPreference {
    pub substitution_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitution_options: Vec<ItemSubstitutionOption>,
}

/// Gift wrapping and personalization options selected by the customer for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GiftOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_wrap_level: Option<String>,
}

/// Whether serial numbers must be provided for this line item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SerialNumberRequirement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_type: Option<String>,
}

/// Special shipping requirements and restrictions that must be observed when shipping an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemShippingConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pallet_delivery: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_on_delivery: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_confirmation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_identity_verification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_age_verification: Option<String>,
}

/// Additional requirements needed for cross-border shipping of an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemInternationalShipping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ioss_number: Option<String>,
}

/// Specific time interval defining the start and end times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimeWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<HourMinute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<HourMinute>,
}

/// Alternative product that can be substituted for an original order item when it becomes unavailable during fulfillment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemSubstitutionOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_ordered: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
}

/// The time when the business opens or closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HourMinute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute: Option<i64>,
}

/// Where an order stands; the model enforces this set, which drives what a sync keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentStatus {
    PendingAvailability,
    Pending,
    Unshipped,
    PartiallyShipped,
    Shipped,
    Cancelled,
    Unfulfillable,
    /// A value added by Amazon after these models were written.
    #[serde(other)]
    Unknown,
}

impl Paged for SearchOrdersResponse {
    fn next_token(&self) -> Option<&str> {
        self.pagination
            .as_ref()
            .and_then(|p| p.next_token.as_deref())
    }
}
