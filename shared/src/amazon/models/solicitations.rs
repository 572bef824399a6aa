//! Solicitations v1 (HAL+JSON): which review requests an order allows, and sending one.

use super::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The solicitations an order allows now; an empty `actions` list means none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetSolicitationActionsForOrderResponse {
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<GetSolicitationActionsForOrderResponseLinks>,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<GetSolicitationActionsForOrderResponseEmbedded>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// Empty on success (201), `errors` otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateProductReviewAndSellerFeedbackSolicitationResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The `GetSolicitationActionsForOrderResponseLinks` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSolicitationActionsForOrderResponseLinks {
    pub self_: LinkObject,
    #[serde(default)]
    pub actions: Vec<LinkObject>,
}

/// The `GetSolicitationActionsForOrderResponseEmbedded` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSolicitationActionsForOrderResponseEmbedded {
    #[serde(default)]
    pub actions: Vec<GetSolicitationActionResponse>,
}

/// A Link object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkObject {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Describes a solicitation action that can be taken for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetSolicitationActionResponse {
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<GetSolicitationActionResponseLinks>,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<GetSolicitationActionResponseEmbedded>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<SolicitationsAction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The `GetSolicitationActionResponseLinks` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSolicitationActionResponseLinks {
    pub self_: LinkObject,
    pub schema: LinkObject,
}

/// The `GetSolicitationActionResponseEmbedded` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetSolicitationActionResponseEmbedded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<GetSchemaResponse>,
}

/// A simple object containing the name of the template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolicitationsAction {
    pub name: String,
}

/// The `GetSchemaResponse` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetSchemaResponse {
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<GetSchemaResponseLinks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The `GetSchemaResponseLinks` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSchemaResponseLinks {
    pub self_: LinkObject,
}
