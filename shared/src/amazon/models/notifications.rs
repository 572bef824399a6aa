//! Notifications v1 API (not the notification payloads): destinations (grantless) and
//! per-seller subscriptions that route Amazon events to our SQS queue or EventBridge.

use super::ApiError;
use serde::{Deserialize, Serialize};

/// The response schema for the `getSubscription` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetSubscriptionResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Subscription>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// Subscribes a seller to one notification type on a destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSubscriptionRequest {
    pub payload_version: String,
    pub destination_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_directive: Option<ProcessingDirective>,
}

/// The response schema for the `createSubscription` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateSubscriptionResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Subscription>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The response schema for the `getSubscriptionById` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetSubscriptionByIdResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Subscription>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The response schema for the `deleteSubscriptionById` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeleteSubscriptionByIdResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The response schema for the `getDestinations` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetDestinationsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<Destination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// Where Amazon should deliver notifications: an SQS queue or an EventBridge bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDestinationRequest {
    pub resource_specification: DestinationResourceSpecification,
    pub name: String,
}

/// The response schema for the createDestination operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateDestinationResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Destination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The response schema for the `getDestination` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetDestinationResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Destination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The response schema for the `deleteDestination` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeleteDestinationResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// Information about the subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscription_id: String,
    pub payload_version: String,
    pub destination_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_directive: Option<ProcessingDirective>,
}

/// Additional information passed to the subscription to control the processing of notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingDirective {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_filter: Option<EventFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
}

/// Information about the destination you create when you call the `createDestination` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub name: String,
    pub destination_id: String,
    pub resource: DestinationResource,
}

/// The information required to create a destination resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DestinationResourceSpecification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqs: Option<SqsResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_bridge: Option<EventBridgeResourceSpecification>,
}

/// Narrows what a subscription delivers; Amazon merges every filter kind into one object (`allOf`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_settings: Option<AggregationSettings>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marketplace_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_change_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_identifier: Option<TrackingIdentifier>,
    pub event_filter_type: String,
}

/// The destination resource types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DestinationResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqs: Option<SqsResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_bridge: Option<EventBridgeResource>,
}

/// The information required to create an Amazon Simple Queue Service (Amazon SQS) queue destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsResource {
    pub arn: String,
}

/// The information required to create an Amazon EventBridge destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBridgeResourceSpecification {
    pub region: String,
    pub account_id: String,
}

/// A container that holds all of the necessary properties to configure the aggregation of notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregationSettings {
    pub aggregation_time_period: String,
}

/// Specifies the tracking identifier used to filter your subscription notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TrackingIdentifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acsin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aftn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_bill_of_lading_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_tracking: Option<TrackingIdentifierCarrierTracking>,
}

/// The Amazon EventBridge destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBridgeResource {
    pub name: String,
    pub region: String,
    pub account_id: String,
}

/// Carrier-provided tracking identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingIdentifierCarrierTracking {
    pub tracking_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
}
