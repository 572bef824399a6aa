//! Orders v0 (deprecated by Amazon, still the widest-available order source): PascalCase,
//! money as `{CurrencyCode, Amount: "<decimal string>"}`, every body wrapped in `payload`/`errors`.

use super::{ApiError, Paged};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One page of orders, or the errors of the call (every status code uses this wrapper).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetOrdersResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrdersList>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// One order, or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Order>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// One page of an order's items, or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderItemsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrderItemsList>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// A list of orders along with additional information to make subsequent API calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrdersList {
    #[serde(default)]
    pub orders: Vec<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_before: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_before: Option<String>,
}

/// Order information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Order {
    pub amazon_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_order_id: Option<String>,
    pub purchase_date: String,
    pub last_update_date: String,
    pub order_status: OrderStatus,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fulfillment_channel: Option<FulfillmentChannel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_service_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_total: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_items_shipped: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_items_unshipped: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_execution_detail: Vec<PaymentExecutionDetailItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_method_details: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_service_level_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub easy_ship_shipment_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cba_displayable_shipping_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_ship_date: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_ship_date: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_delivery_date: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_delivery_date: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_business_order: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_prime: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_premium_order: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_global_express_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_order_id: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_replacement_order: Option<bool>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub promise_response_due_date: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_estimated_ship_date_set: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        rename = "IsSoldByAB",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_sold_by_ab: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        rename = "IsIBA",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_iba: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_ship_from_location_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_invoice_preference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_tax_information: Option<BuyerTaxInformation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_instruction: Option<FulfillmentInstruction>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        rename = "IsISPU",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_ispu: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_access_point_order: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_tax_info: Option<MarketplaceTaxInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_info: Option<BuyerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_shipping_settings: Option<AutomatedShippingSettings>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub has_regulated_items: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electronic_invoice_status: Option<String>,
}

/// The order items list along with the order ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItemsList {
    #[serde(default)]
    pub order_items: Vec<OrderItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub amazon_order_id: String,
}

/// An amount in a currency; both parts are optional in this API and the amount is a decimal string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Money {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub amount: Option<Decimal>,
}

/// Information about a sub-payment method used to pay for a COD order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentExecutionDetailItem {
    pub payment: Money,
    pub payment_method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<String>,
}

/// The shipping address for the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
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
    pub county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
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

/// Contains the business invoice tax information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BuyerTaxInformation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_legal_company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_business_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_tax_registration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_tax_office: Option<String>,
}

/// Contains the instructions about the fulfillment, such as the location from where you want the order filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FulfillmentInstruction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_supply_source_id: Option<String>,
}

/// Tax information about the marketplace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MarketplaceTaxInfo {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_classifications: Vec<TaxClassification>,
}

/// Buyer information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BuyerInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_tax_info: Option<BuyerTaxInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_number: Option<String>,
}

/// Contains information regarding the Shipping Settings Automation program, such as whether the order's shipping settings were generated automatically, and…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AutomatedShippingSettings {
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub has_automated_shipping_settings: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_ship_method: Option<String>,
}

/// A single order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItem {
    #[serde(rename = "ASIN")]
    pub asin: String,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    pub order_item_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_items: Vec<AssociatedItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub quantity_ordered: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_shipped: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_info: Option<ProductInfoDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_granted: Option<PointsGrantedDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_tax: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_tax: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_discount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_discount_tax: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_discount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_discount_tax: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotion_ids: Vec<String>,
    #[serde(rename = "CODFee", default, skip_serializing_if = "Option::is_none")]
    pub cod_fee: Option<Money>,
    #[serde(
        rename = "CODFeeDiscount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cod_fee_discount: Option<Money>,
    /// A string (`"true"`/`"false"`) in this API, not a boolean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_gift: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_subtype_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub scheduled_delivery_start_date: Option<String>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub scheduled_delivery_end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_designation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_collection: Option<TaxCollection>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub serial_number_required: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_transparency: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ioss_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_chain_store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deemed_reseller_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_info: Option<ItemBuyerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_requested_cancel: Option<BuyerRequestedCancel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serial_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution_preferences: Option<SubstitutionPreferences>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_constraints: Option<ShippingConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_programs: Option<AmazonPrograms>,
}

/// Extended address fields for additional address components including the street name or number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AddressExtendedFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighborhood: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_coordinates: Option<GeoCoordinates>,
}

/// The tax classification of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TaxClassification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Tax information about the buyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BuyerTaxInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_legal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxing_region: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_classifications: Vec<TaxClassification>,
}

/// An item that is associated with an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AssociatedItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_type: Option<String>,
}

/// Product information on the number of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ProductInfoDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_items: Option<String>,
}

/// The number of Amazon Points offered with the purchase of an item, and their monetary value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PointsGrantedDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_monetary_value: Option<Money>,
}

/// Information about withheld taxes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TaxCollection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_party: Option<String>,
}

/// A single item's buyer information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ItemBuyerInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_customized_info: Option<BuyerCustomizedInfoDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_wrap_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_wrap_tax: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_message_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_wrap_level: Option<String>,
}

/// Information about whether or not a buyer requested cancellation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BuyerRequestedCancel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_buyer_requested_cancel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_cancel_reason: Option<String>,
}

/// Substitution preferences for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubstitutionPreferences {
    pub substitution_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitution_options: Vec<SubstitutionOption>,
}

/// Measurement information for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Measurement {
    pub unit: String,
    /// A quantity sold by weight or volume multiplies a price, so it is exact too.
    #[serde(with = "super::json_number")]
    pub value: Decimal,
}

/// Delivery constraints applicable to this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ShippingConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pallet_delivery: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_confirmation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_identity_verification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_age_verification: Option<String>,
}

/// Contains the list of programs that Amazon associates with an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmazonPrograms {
    #[serde(default)]
    pub programs: Vec<String>,
}

/// The latitude and longitude coordinates of the shipping address using the WGS84 coordinate system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GeoCoordinates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// Buyer information for custom orders from the Amazon Custom program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BuyerCustomizedInfoDetail {
    #[serde(
        rename = "CustomizedURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customized_url: Option<String>,
}

/// Substitution options for an order item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SubstitutionOption {
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_ordered: Option<i64>,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
}

/// Where an order stands; the model enforces this set, which decides whether sales count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    Pending,
    Unshipped,
    PartiallyShipped,
    Shipped,
    Canceled,
    Unfulfillable,
    InvoiceUnconfirmed,
    PendingAvailability,
    /// A value added by Amazon after these models were written.
    #[serde(other)]
    Unknown,
}

/// Who ships the order: the seller (`MFN`) or Amazon (`AFN`, FBA); fees differ by channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentChannel {
    Mfn,
    Afn,
    /// A value added by Amazon after these models were written.
    #[serde(other)]
    Unknown,
}

impl Paged for GetOrdersResponse {
    fn next_token(&self) -> Option<&str> {
        self.payload.as_ref().and_then(|p| p.next_token.as_deref())
    }
}

impl Paged for GetOrderItemsResponse {
    fn next_token(&self) -> Option<&str> {
        self.payload.as_ref().and_then(|p| p.next_token.as_deref())
    }
}
