//! Sellers v1: the marketplaces a seller takes part in, read once when an account connects.

use super::ApiError;
use serde::{Deserialize, Serialize};

/// The marketplaces a seller sells in; `errors` is filled instead of `payload` on failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetMarketplaceParticipationsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<MarketplaceParticipation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The `MarketplaceParticipation` object of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceParticipation {
    pub marketplace: Marketplace,
    pub participation: Participation,
    pub store_name: String,
}

/// Information about an Amazon marketplace where a seller can list items and customers can view and purchase items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Marketplace {
    pub id: String,
    pub name: String,
    pub country_code: String,
    pub default_currency_code: String,
    pub default_language_code: String,
    pub domain_name: String,
}

/// Information that is specific to a seller in a marketplace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participation {
    #[serde(deserialize_with = "super::flex_bool::required")]
    pub is_participating: bool,
    #[serde(deserialize_with = "super::flex_bool::required")]
    pub has_suspended_listings: bool,
}
