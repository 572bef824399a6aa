//! Product Pricing v0: offers and competitive prices, PascalCase with some camelCase fields,
//! money as `{CurrencyCode, Amount: <JSON number>}` read into exact decimals.

use super::ApiError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Competitive prices per item, or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetPricingResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<Price>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The offers on an item (lowest prices, buy box), or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetOffersResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<GetOffersResult>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// Schema for price info in `getPricing` response
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub status: String,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(rename = "Product", default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
}

/// The payload for the getListingOffers and getItemOffers operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetOffersResult {
    #[serde(rename = "marketplaceId")]
    pub marketplace_id: String,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(rename = "SKU", default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub item_condition: String,
    #[serde(rename = "status")]
    pub status: String,
    pub identifier: ItemIdentifier,
    pub summary: Summary,
    #[serde(default)]
    pub offers: Vec<OfferDetail>,
}

/// An item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Product {
    pub identifiers: IdentifierType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_sets: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competitive_pricing: Option<CompetitivePricingType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sales_rankings: Vec<SalesRankType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<OfferType>,
}

/// Information that identifies an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemIdentifier {
    pub marketplace_id: String,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    pub item_condition: String,
}

/// Contains price information about the product, including the LowestPrices and BuyBoxPrices, the ListPrice, the SuggestedLowerPricePlusShipping, and…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Summary {
    pub total_offer_count: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub number_of_offers: Vec<OfferCountType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lowest_prices: Vec<LowestPriceType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buy_box_prices: Vec<BuyBoxPriceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competitive_price_threshold: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_lower_price_plus_shipping: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sales_rankings: Vec<SalesRankType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buy_box_eligible_offers: Vec<OfferCountType>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offers_available_time: Option<DateTime<Utc>>,
}

/// Schema for an individual offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferDetail {
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub my_offer: Option<bool>,
    #[serde(rename = "offerType", default, skip_serializing_if = "Option::is_none")]
    pub offer_type: Option<String>,
    pub sub_condition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_feedback_rating: Option<SellerFeedbackType>,
    pub shipping_time: DetailedShippingTimeType,
    pub listing_price: MoneyType,
    #[serde(
        rename = "quantityDiscountPrices",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub quantity_discount_prices: Vec<QuantityDiscountPriceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
    pub shipping: MoneyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ships_from: Option<ShipsFromType>,
    #[serde(deserialize_with = "super::flex_bool::required")]
    pub is_fulfilled_by_amazon: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prime_information: Option<PrimeInformationType>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_buy_box_winner: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_featured_merchant: Option<bool>,
}

/// Specifies the identifiers used to uniquely identify an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentifierType {
    #[serde(rename = "MarketplaceASIN")]
    pub marketplace_asin: ASINIdentifier,
    #[serde(
        rename = "SKUIdentifier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sku_identifier: Option<SellerSKUIdentifier>,
}

/// Competitive pricing information for the item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompetitivePricingType {
    #[serde(default)]
    pub competitive_prices: Vec<CompetitivePriceType>,
    #[serde(default)]
    pub number_of_offer_listings: Vec<OfferListingCountType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_in_value: Option<MoneyType>,
}

/// Sales rank information for the item, by category
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesRankType {
    pub product_category_id: String,
    pub rank: i32,
}

/// Schema for an individual offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OfferType {
    #[serde(rename = "offerType", default, skip_serializing_if = "Option::is_none")]
    pub offer_type: Option<String>,
    pub buying_price: PriceType,
    pub regular_price: MoneyType,
    #[serde(
        rename = "businessPrice",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub business_price: Option<MoneyType>,
    #[serde(
        rename = "quantityDiscountPrices",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub quantity_discount_prices: Vec<QuantityDiscountPriceType>,
    pub fulfillment_channel: String,
    pub item_condition: String,
    pub item_sub_condition: String,
    #[serde(rename = "SellerSKU")]
    pub seller_sku: String,
}

/// The total number of offers for the specified condition and fulfillment channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OfferCountType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_channel: Option<String>,
    #[serde(
        rename = "OfferCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub offer_count: Option<i32>,
}

/// Schema for an individual lowest price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LowestPriceType {
    pub condition: String,
    pub fulfillment_channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_tier: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_discount_type: Option<String>,
    #[serde(
        rename = "LandedPrice",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub landed_price: Option<MoneyType>,
    #[serde(rename = "ListingPrice")]
    pub listing_price: MoneyType,
    #[serde(rename = "Shipping", default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<MoneyType>,
    #[serde(rename = "Points", default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
}

/// Schema for an individual buybox price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyBoxPriceType {
    pub condition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_tier: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_discount_type: Option<String>,
    #[serde(rename = "LandedPrice")]
    pub landed_price: MoneyType,
    #[serde(rename = "ListingPrice")]
    pub listing_price: MoneyType,
    #[serde(rename = "Shipping")]
    pub shipping: MoneyType,
    #[serde(rename = "Points", default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
}

/// An amount in a currency; Amazon sends the amount as a JSON number, read exactly into a decimal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MoneyType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amazon::models::json_number_opt"
    )]
    pub amount: Option<Decimal>,
}

/// Information about the seller's feedback, including the percentage of positive feedback, and the total number of ratings received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SellerFeedbackType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_positive_feedback_rating: Option<f64>,
    pub feedback_count: i64,
}

/// The time range in which an item will likely be shipped once an order has been placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DetailedShippingTimeType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_hours: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_hours: Option<i64>,
    #[serde(
        default,
        deserialize_with = "super::empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub available_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_type: Option<String>,
}

/// Contains pricing information that includes special pricing when buying in bulk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuantityDiscountPriceType {
    pub quantity_tier: i32,
    pub quantity_discount_type: String,
    pub listing_price: MoneyType,
}

/// The number of Amazon Points offered with the purchase of an item, and their monetary value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Points {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_number: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_monetary_value: Option<MoneyType>,
}

/// The state and country from where the item is shipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ShipsFromType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Amazon Prime information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrimeInformationType {
    #[serde(deserialize_with = "super::flex_bool::required")]
    pub is_prime: bool,
    #[serde(deserialize_with = "super::flex_bool::required")]
    pub is_national_prime: bool,
}

/// Schema to identify an item by MarketPlaceId and ASIN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ASINIdentifier {
    pub marketplace_id: String,
    #[serde(rename = "ASIN")]
    pub asin: String,
}

/// Schema to identify an item by MarketPlaceId, SellerId, and SellerSKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SellerSKUIdentifier {
    pub marketplace_id: String,
    pub seller_id: String,
    #[serde(rename = "SellerSKU")]
    pub seller_sku: String,
}

/// Schema for competitive pricing information
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompetitivePriceType {
    #[serde(rename = "CompetitivePriceId")]
    pub competitive_price_id: String,
    #[serde(rename = "Price")]
    pub price: PriceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcondition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_tier: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_discount_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub belongs_to_requester: Option<bool>,
}

/// The number of offer listings with the specified condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferListingCountType {
    #[serde(rename = "Count")]
    pub count: i32,
    pub condition: String,
}

/// Schema for item's price information, including listing price, shipping price, and Amazon points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PriceType {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landed_price: Option<MoneyType>,
    pub listing_price: MoneyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
}
