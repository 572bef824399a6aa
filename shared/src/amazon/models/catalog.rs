//! Catalog Items v2022-04-01: product data by ASIN, each part filled only when asked for
//! through `includedData`, one entry per marketplace.

use super::Paged;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One page of catalog items; the next page is asked for with `pageToken`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSearchResults {
    pub number_of_results: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refinements: Option<Refinements>,
    #[serde(default)]
    pub items: Vec<Item>,
}

/// One catalog item; `attributes` stays free-form JSON because it varies by product type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub asin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<ItemBrowseClassificationsByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<ItemDimensionsByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<ItemIdentifiersByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ItemImagesByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_types: Vec<ItemProductTypeByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<ItemRelationshipsByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sales_ranks: Vec<ItemSalesRanksByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<ItemSummaryByMarketplace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vendor_details: Vec<ItemVendorDetailsByMarketplace>,
}

/// Pagination occurs when a request produces a response that exceeds the `pageSize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_token: Option<String>,
}

/// Optional fields that you can use to refine your search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refinements {
    #[serde(default)]
    pub brands: Vec<BrandRefinement>,
    #[serde(default)]
    pub classifications: Vec<ClassificationRefinement>,
}

/// Classifications (browse nodes) that are associated with the item in the Amazon catalog for the indicated `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBrowseClassificationsByMarketplace {
    pub marketplace_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<ItemBrowseClassification>,
}

/// Dimensions that are associated with the item in the Amazon catalog for the indicated `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemDimensionsByMarketplace {
    pub marketplace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Dimensions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Dimensions>,
}

/// Identifiers that are associated with the item in the Amazon catalog, grouped by `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemIdentifiersByMarketplace {
    pub marketplace_id: String,
    #[serde(default)]
    pub identifiers: Vec<ItemIdentifier>,
}

/// Images for an item in the Amazon catalog, grouped by `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemImagesByMarketplace {
    pub marketplace_id: String,
    #[serde(default)]
    pub images: Vec<ItemImage>,
}

/// Product type that is associated with the Amazon catalog item, grouped by `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemProductTypeByMarketplace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
}

/// Relationship details for the Amazon catalog item for the specified Amazon `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRelationshipsByMarketplace {
    pub marketplace_id: String,
    #[serde(default)]
    pub relationships: Vec<ItemRelationship>,
}

/// Sales ranks of an Amazon catalog item, grouped by `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSalesRanksByMarketplace {
    pub marketplace_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classification_ranks: Vec<ItemClassificationSalesRank>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display_group_ranks: Vec<ItemDisplayGroupSalesRank>,
}

/// Information about an Amazon catalog item for the indicated `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSummaryByMarketplace {
    pub marketplace_id: String,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub adult_product: Option<bool>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub autographed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browse_classification: Option<ItemBrowseClassification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributors: Vec<ItemContributor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_classification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub memorabilia: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_number: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub release_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub trade_in_eligible: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_display_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_display_group_name: Option<String>,
}

/// The vendor details that are associated with an Amazon catalog item for the specified `marketplaceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemVendorDetailsByMarketplace {
    pub marketplace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_code_parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_category: Option<ItemVendorDetailsCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_subcategory: Option<ItemVendorDetailsCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replenishment_category: Option<String>,
}

/// A brand that you can use to refine your search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrandRefinement {
    pub number_of_results: i64,
    pub brand_name: String,
}

/// A classification that you can use to refine your search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassificationRefinement {
    pub number_of_results: i64,
    pub display_name: String,
    pub classification_id: String,
}

/// Classification (browse node) for an Amazon catalog item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBrowseClassification {
    pub display_name: String,
    pub classification_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<ItemBrowseClassification>>,
}

/// Dimensions of an Amazon catalog item or item in its packaging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Dimensions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<Dimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Dimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Dimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Dimension>,
}

/// The identifier that is associated with the item in the Amazon catalog, such as a UPC or EAN identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemIdentifier {
    pub identifier_type: String,
    pub identifier: String,
}

/// Image for an item in the Amazon catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemImage {
    pub variant: String,
    pub link: String,
    pub height: i64,
    pub width: i64,
}

/// Relationship details for an Amazon catalog item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRelationship {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub child_asins: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_asins: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation_theme: Option<ItemVariationTheme>,
    pub type_: String,
}

/// Sales rank of an Amazon catalog item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemClassificationSalesRank {
    pub classification_id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub rank: i64,
}

/// Sales rank of an Amazon catalog item, grouped by website display group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemDisplayGroupSalesRank {
    pub website_display_group: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub rank: i64,
}

/// Individual contributor to the creation of an item, such as an author or actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemContributor {
    pub role: ItemContributorRole,
    pub value: String,
}

/// The product category or subcategory that is associated with an Amazon catalog item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemVendorDetailsCategory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The value of an individual dimension for an Amazon catalog item or item package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Dimension {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(
        default,
        with = "super::json_number_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<rust_decimal::Decimal>,
}

/// The variation theme is a list of Amazon catalog item attributes that define the variation family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ItemVariationTheme {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

/// Role of an individual contributor in the creation of an item, such as author or actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemContributorRole {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub value: String,
}

impl Paged for ItemSearchResults {
    fn next_token(&self) -> Option<&str> {
        self.pagination
            .as_ref()
            .and_then(|p| p.next_token.as_deref())
    }
}
