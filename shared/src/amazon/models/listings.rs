//! Listings Items v2021-08-01: a seller's listings by SKU, with offers, issues and status.

use super::Paged;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One listing; `attributes` stays free-form JSON because it varies by product type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub sku: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<ItemSummaryByMarketplace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<ItemOfferByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fulfillment_availability: Vec<FulfillmentAvailability>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procurement: Vec<ItemProcurement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<ItemRelationshipsByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_types: Vec<ItemProductTypeByMarketplace>,
}

/// One page of listings; the next page is asked for with `pageToken`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSearchResults {
    pub number_of_results: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default)]
    pub items: Vec<Item>,
}

/// Summary details for a listings item for an Amazon store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSummaryByMarketplace {
    pub marketplace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    pub product_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_type: Option<String>,
    #[serde(default)]
    pub status: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fn_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_name: Option<String>,
    pub created_date: DateTime<Utc>,
    pub last_updated_date: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_image: Option<ItemImage>,
}

/// An issue with a listings item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub code: String,
    pub message: String,
    pub severity: IssueSeverity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_names: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcements: Option<IssueEnforcements>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marketplace_ids: Vec<String>,
}

/// Offer details for a listings item for the specified Amazon store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemOfferByMarketplace {
    pub marketplace_id: String,
    pub offer_type: String,
    pub price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
}

/// The listings item's fulfillment availability details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfillmentAvailability {
    pub fulfillment_channel_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
}

/// The listings item's vendor procurement information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemProcurement {
    pub cost_price: Money,
}

/// Relationship details for the listing item in the specified Amazon store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRelationshipsByMarketplace {
    pub marketplace_id: String,
    #[serde(default)]
    pub relationships: Vec<ItemRelationship>,
}

/// Product types that are associated with the listing item for the specified Amazon store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemProductTypeByMarketplace {
    pub marketplace_id: String,
    pub product_type: String,
}

/// When a request produces a response that exceeds the `pageSize`, pagination occurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_token: Option<String>,
}

/// The listings item's image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemImage {
    pub link: String,
    pub height: i64,
    pub width: i64,
}

/// Provides information about the enforcement actions taken by Amazon that affect the publishing or status of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueEnforcements {
    #[serde(default)]
    pub actions: Vec<IssueEnforcementAction>,
    pub exemption: IssueExemption,
}

/// An amount in a currency; Amazon sends the amount as a decimal string, kept exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub currency_code: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// The number of Amazon Points offered with the purchase of an item, and their monetary value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Points {
    pub points_number: i64,
}

/// Buyer segment or program this offer is applicable to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Audience {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// The relationship details for a listing item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRelationship {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub child_skus: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_skus: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation_theme: Option<ItemVariationTheme>,
    pub type_: String,
}

/// The enforcement action taken by Amazon that affect the publishing or status of a listing
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueEnforcementAction {
    pub action: String,
}

/// Conveying the status of the listed enforcement actions and, if applicable, provides information about the exemption's expiry date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueExemption {
    pub status: String,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expiry_date: Option<DateTime<Utc>>,
}

/// A variation theme that indicates the combination of listing item attributes that define the variation family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemVariationTheme {
    #[serde(default)]
    pub attributes: Vec<String>,
    pub theme: String,
}

/// How bad a listing issue is; `ERROR` issues can stop the listing from selling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssueSeverity {
    Error,
    Warning,
    Info,
    /// A value added by Amazon after these models were written.
    #[serde(other)]
    Unknown,
}

impl Paged for ItemSearchResults {
    fn next_token(&self) -> Option<&str> {
        self.pagination
            .as_ref()
            .and_then(|p| p.next_token.as_deref())
    }
}
