//! Product Fees v0: Amazon's fee estimate for a listing at a given price, money as JSON numbers
//! read into exact decimals.

use super::ApiError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The listing price (and shipping, points) to estimate fees for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GetMyFeesEstimateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_estimate_request: Option<FeesEstimateRequest>,
}

/// The estimate, or the errors of the call; a failed estimate may also come as `FeesEstimateResult.Error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetMyFeesEstimateResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<GetMyFeesEstimateResult>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// A product, marketplace, and proposed price used to request estimated fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeesEstimateRequest {
    pub marketplace_id: String,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_amazon_fulfilled: Option<bool>,
    pub price_to_estimate_fees: PriceToEstimateFees,
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional_fulfillment_program: Option<String>,
}

/// One product of a `getMyFeesEstimates` batch (up to 20 a request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeesEstimateByIdRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_estimate_request: Option<FeesEstimateRequest>,
    /// `ASIN` or `SellerSKU`.
    pub id_type: String,
    pub id_value: String,
}

/// The answer of `getMyFeesEstimates`: a bare array, one result per product asked.
pub type GetMyFeesEstimatesResponse = Vec<FeesEstimateResult>;

/// Response schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GetMyFeesEstimateResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_estimate_result: Option<FeesEstimateResult>,
}

/// Price information for an item, used to estimate fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PriceToEstimateFees {
    pub listing_price: MoneyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
}

/// An item identifier and the estimated fees for the item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FeesEstimateResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_estimate_identifier: Option<FeesEstimateIdentifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_estimate: Option<FeesEstimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FeesEstimateError>,
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

/// The number of Amazon Points offered with the purchase of an item.The Amazon Points program is only available in Japan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Points {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_number: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_monetary_value: Option<MoneyType>,
}

/// An item identifier, marketplace, time of request, and other details that identify an estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FeesEstimateIdentifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_value: Option<String>,
    #[serde(
        deserialize_with = "super::flex_bool::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_amazon_fulfilled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_to_estimate_fees: Option<PriceToEstimateFees>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_input_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional_fulfillment_program: Option<String>,
}

/// The total estimated fees for an item and a list of details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeesEstimate {
    /// Kept as text: Amazon documents a date-time but sends forms such as `Mon Oct 28 18:49:32 UTC 2019`.
    pub time_of_fees_estimation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_fees_estimate: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_detail_list: Vec<FeeDetail>,
}

/// An unexpected error occurred during this operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeesEstimateError {
    pub type_: String,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub detail: Vec<Map<String, Value>>,
}

/// The type of fee, fee amount, and other details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeeDetail {
    pub fee_type: String,
    pub fee_amount: MoneyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_promotion: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<MoneyType>,
    pub final_fee: MoneyType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_fee_detail_list: Vec<IncludedFeeDetail>,
}

/// The type of fee, fee amount, and other details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncludedFeeDetail {
    pub fee_type: String,
    pub fee_amount: MoneyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_promotion: Option<MoneyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<MoneyType>,
    pub final_fee: MoneyType,
}
