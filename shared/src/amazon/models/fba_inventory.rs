//! FBA Inventory v1: stock at Amazon's fulfilment centres; the page token sits beside `payload`
//! and expires 30 seconds after it is issued.

use super::{ApiError, Paged};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One page of inventory summaries, or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetInventorySummariesResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<GetInventorySummariesResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The payload schema for the getInventorySummaries operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetInventorySummariesResult {
    pub granularity: Granularity,
    #[serde(default)]
    pub inventory_summaries: Vec<InventorySummary>,
}

/// The process of returning the results to a request in batches of a defined size called pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Describes a granularity at which inventory data can be aggregated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Granularity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity_id: Option<String>,
}

/// Inventory summary for a specific item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InventorySummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fn_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_details: Option<InventoryDetails>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
}

/// Summarized inventory details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InventoryDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillable_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_working_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_shipped_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_receiving_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_quantity: Option<ReservedQuantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub researching_quantity: Option<ResearchingQuantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfulfillable_quantity: Option<UnfulfillableQuantity>,
}

/// The quantity of reserved inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ReservedQuantity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_reserved_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_customer_order_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_transshipment_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fc_processing_quantity: Option<i64>,
}

/// The number of misplaced or warehouse damaged units that are actively being confirmed at our fulfillment centers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResearchingQuantity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_researching_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub researching_quantity_breakdown: Vec<ResearchingQuantityEntry>,
}

/// The quantity of unfulfillable inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UnfulfillableQuantity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_unfulfillable_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_damaged_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_damaged_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributor_damaged_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_damaged_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defective_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_quantity: Option<i64>,
}

/// The misplaced or warehouse damaged inventory that is actively being confirmed at our fulfillment centers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResearchingQuantityEntry {
    pub name: String,
    pub quantity: i64,
}

impl Paged for GetInventorySummariesResponse {
    fn next_token(&self) -> Option<&str> {
        self.pagination
            .as_ref()
            .and_then(|p| p.next_token.as_deref())
    }
}
