//! Fulfillment Inbound 2024-03-20: the seller's inbound plans (what they send to Amazon's
//! warehouses), the shipments Amazon splits a plan into, and the items of each. Only the read
//! operations the sync uses are modelled.
//!
//! Beyond the model: the shipment's `dates.readyToShipWindow` comes in Amazon's own sandbox
//! without seconds (`2024-01-01T00:00Z`), which is no RFC 3339, so every time of a shipment
//! is kept as the text Amazon sent; the plan's `createdAt` / `lastUpdatedAt`, which the sync
//! orders by, are read as instants. Sub-objects the sync only stores (tracking, self-ship
//! appointments, packing and placement options) are kept as JSON as sent.

use super::{empty_as_none, json_number, ApiError, Paged};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Contains tokens to fetch from a certain page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

fn next_of(p: &Option<Pagination>) -> Option<&str> {
    p.as_ref()
        .and_then(|p| p.next_token.as_deref())
        .filter(|t| !t.is_empty())
}

/// Specific details to identify a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default)]
    pub address_line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default)]
    pub country_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_or_county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
}

/// The `listInboundPlans` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListInboundPlansResponse {
    #[serde(default)]
    pub inbound_plans: Vec<InboundPlanSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

impl Paged for ListInboundPlansResponse {
    fn next_token(&self) -> Option<&str> {
        next_of(&self.pagination)
    }
}

/// A light-weight inbound plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundPlanSummary {
    pub created_at: DateTime<Utc>,
    pub inbound_plan_id: String,
    pub last_updated_at: DateTime<Utc>,
    #[serde(default)]
    pub marketplace_ids: Vec<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<Address>,
    /// `ACTIVE`, `VOIDED`, `SHIPPED`, `ERRORED`.
    pub status: String,
}

/// The `getInboundPlan` response: the plan with its options and shipments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundPlan {
    pub created_at: DateTime<Utc>,
    pub inbound_plan_id: String,
    pub last_updated_at: DateTime<Utc>,
    #[serde(default)]
    pub marketplace_ids: Vec<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packing_options: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_options: Vec<serde_json::Value>,
    /// Set once a placement option is confirmed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipments: Vec<ShipmentSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<Address>,
    pub status: String,
}

/// Summary information about a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentSummary {
    pub shipment_id: String,
    pub status: String,
}

/// The `listInboundPlanItems` and `listShipmentItems` responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListItemsResponse {
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// `listInboundPlanItems`' response.
pub type ListInboundPlanItemsResponse = ListItemsResponse;
/// `listShipmentItems`' response.
pub type ListShipmentItemsResponse = ListItemsResponse;

impl Paged for ListItemsResponse {
    fn next_token(&self) -> Option<&str> {
        next_of(&self.pagination)
    }
}

/// One SKU of a plan or shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(default)]
    pub asin: String,
    /// `YYYY-MM-DD`.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration: Option<String>,
    #[serde(default)]
    pub fnsku: String,
    /// `AMAZON`, `SELLER`, `NONE`.
    #[serde(default)]
    pub label_owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturing_lot_code: Option<String>,
    pub msku: String,
    #[serde(default)]
    pub prep_instructions: Vec<PrepInstruction>,
    pub quantity: i64,
}

/// A preparation an item needs, who does it, and its fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PrepInstruction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Currency>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub prep_owner: Option<String>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub prep_type: Option<String>,
}

/// An amount (a JSON number) and its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Currency {
    #[serde(with = "json_number")]
    pub amount: Decimal,
    pub code: String,
}

/// The `getShipment` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_reference_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_information: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<Dates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<ShipmentDestination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freight_information: Option<FreightInformation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub placement_option_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_delivery_window: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_transportation_option_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_ship_appointment_details: Vec<serde_json::Value>,
    /// The id on the labels (`FBA1234ABCD`), once confirmed.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub shipment_confirmation_id: Option<String>,
    pub shipment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ShipmentSource>,
    /// `UNCONFIRMED`, `WORKING`, `READY_TO_SHIP`, `SHIPPED`, `IN_TRANSIT`, `DELIVERED`,
    /// `CHECKED_IN`, `RECEIVING`, `CLOSED`, `CANCELLED`, `DELETED`, `ABANDONED`, `MIXED`.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_details: Option<serde_json::Value>,
}

/// The shipment's dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Dates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_to_ship_window: Option<Window>,
}

/// A time window, as the text Amazon sent (not always RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub editable_until: Option<String>,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub start: String,
}

/// The warehouse a shipment goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentDestination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// `AMAZON_OPTIMIZED`, `AMAZON_WAREHOUSE`.
    #[serde(default)]
    pub destination_type: String,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub warehouse_id: Option<String>,
}

/// Where a shipment ships from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default)]
    pub source_type: String,
}

/// Freight class and declared value of an LTL/FTL shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FreightInformation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freight_class: Option<String>,
}
