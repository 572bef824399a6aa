//! Tokens v2021-03-01: restricted data tokens, needed to read buyer PII on order calls.

use serde::{Deserialize, Serialize};

/// The restricted paths (and data elements) the token must open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRestrictedDataTokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_application: Option<String>,
    #[serde(default)]
    pub restricted_resources: Vec<RestrictedResource>,
}

/// The token to send as `x-amz-access-token` on the restricted calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateRestrictedDataTokenResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted_data_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
}

/// Model of a restricted resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestrictedResource {
    pub method: HttpMethod,
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_elements: Vec<String>,
}

/// The method of a restricted call; the model allows exactly these four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HttpMethod {
    Get,
    Put,
    Post,
    Delete,
}
