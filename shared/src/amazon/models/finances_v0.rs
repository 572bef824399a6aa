//! Finances v0: settlement groups and financial events, PascalCase (except the camelCase ad and
//! deal events), amounts as JSON numbers read into exact decimals.

use super::{ApiError, Paged};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One page of financial event groups (settlements), or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListFinancialEventGroupsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<ListFinancialEventGroupsPayload>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// One page of financial events, or the errors of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListFinancialEventsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<ListFinancialEventsPayload>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The payload for the `listFinancialEventGroups` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListFinancialEventGroupsPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub financial_event_group_list: Vec<FinancialEventGroup>,
}

/// The payload for the `listFinancialEvents` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListFinancialEventsPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_events: Option<FinancialEvents>,
}

/// Information related to a financial event group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FinancialEventGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_event_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_transfer_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_total: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted_total: Option<Currency>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fund_transfer_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_tail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beginning_balance: Option<Currency>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub financial_event_group_start: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub financial_event_group_end: Option<DateTime<Utc>>,
}

/// All the information that is related to a financial event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FinancialEvents {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_event_list: Vec<ShipmentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_settle_event_list: Vec<ShipmentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refund_event_list: Vec<ShipmentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guarantee_claim_event_list: Vec<ShipmentEvent>,
    #[serde(
        rename = "EBTRefundReimbursementOnlyEventList",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ebt_refund_reimbursement_only_event_list: Vec<EBTRefundReimbursementOnlyEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chargeback_event_list: Vec<ShipmentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pay_with_amazon_event_list: Vec<PayWithAmazonEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_provider_credit_event_list: Vec<SolutionProviderCreditEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retrocharge_event_list: Vec<RetrochargeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rental_transaction_event_list: Vec<RentalTransactionEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ads_payment_event_list: Vec<ProductAdsPaymentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_fee_event_list: Vec<ServiceFeeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seller_deal_payment_event_list: Vec<SellerDealPaymentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub debt_recovery_event_list: Vec<DebtRecoveryEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loan_servicing_event_list: Vec<LoanServicingEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustment_event_list: Vec<AdjustmentEvent>,
    #[serde(
        rename = "SAFETReimbursementEventList",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub safet_reimbursement_event_list: Vec<SAFETReimbursementEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seller_review_enrollment_payment_event_list: Vec<SellerReviewEnrollmentPaymentEvent>,
    #[serde(
        rename = "FBALiquidationEventList",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub fba_liquidation_event_list: Vec<FBALiquidationEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupon_payment_event_list: Vec<CouponPaymentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imaging_services_fee_event_list: Vec<ImagingServicesFeeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_commingling_transaction_event_list: Vec<NetworkComminglingTransactionEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affordability_expense_event_list: Vec<AffordabilityExpenseEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affordability_expense_reversal_event_list: Vec<AffordabilityExpenseEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removal_shipment_event_list: Vec<RemovalShipmentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removal_shipment_adjustment_event_list: Vec<RemovalShipmentAdjustmentEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trial_shipment_event_list: Vec<TrialShipmentEvent>,
    #[serde(
        rename = "TDSReimbursementEventList",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tds_reimbursement_event_list: Vec<TDSReimbursementEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adhoc_disbursement_event_list: Vec<AdhocDisbursementEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_withholding_event_list: Vec<TaxWithholdingEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charge_refund_event_list: Vec<ChargeRefundEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_adhoc_disbursement_event_list: Vec<FailedAdhocDisbursementEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_added_service_charge_event_list: Vec<ValueAddedServiceChargeEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_reservation_billing_event_list: Vec<CapacityReservationBillingEvent>,
}

/// An amount in a currency; Amazon sends the amount as a JSON number, read exactly into a decimal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Currency {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amazon::models::json_number_opt"
    )]
    pub currency_amount: Option<Decimal>,
}

/// A shipment, refund, guarantee claim, or chargeback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ShipmentEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_charge_list: Vec<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_charge_adjustment_list: Vec<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_fee_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_fee_adjustment_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_fee_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_fee_adjustment_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub direct_payment_list: Vec<DirectPayment>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_item_list: Vec<ShipmentItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_item_adjustment_list: Vec<ShipmentItem>,
}

/// An EBT refund reimbursement event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct EBTRefundReimbursementOnlyEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Currency>,
}

/// An event related to the seller's Pay with Amazon account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PayWithAmazonEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_order_id: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_amount_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
}

/// A credit given to a solution provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SolutionProviderCreditEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_transaction_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_store_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_store_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<Currency>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_creation_date: Option<DateTime<Utc>>,
}

/// A retrocharge or retrocharge reversal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RetrochargeEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrocharge_event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_tax: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_tax: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retrocharge_tax_withheld_list: Vec<TaxWithheldComponent>,
}

/// An event related to a rental transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RentalTransactionEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rental_event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_length: Option<i32>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rental_charge_list: Vec<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rental_fee_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rental_initial_value: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rental_reimbursement: Option<Currency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rental_tax_withheld_list: Vec<TaxWithheldComponent>,
}

/// A sponsored-ads charge or refund; unlike its neighbours this event is camelCase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProductAdsPaymentEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_value: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_value: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_value: Option<Currency>,
}

/// A service fee on the seller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceFeeEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_list: Vec<FeeComponent>,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(rename = "FnSKU", default, skip_serializing_if = "Option::is_none")]
    pub fn_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_description: Option<String>,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
}

/// An event linked to the payment of a fee related to the specified deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SellerDealPaymentEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Currency>,
}

/// A debt payment or debt adjustment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DebtRecoveryEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debt_recovery_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_payment_credit: Option<Currency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub debt_recovery_item_list: Vec<DebtRecoveryItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charge_instrument_list: Vec<ChargeInstrument>,
}

/// A loan advance, loan payment, or loan refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct LoanServicingEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loan_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_business_event_type: Option<String>,
}

/// An adjustment to the seller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AdjustmentEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_type: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustment_item_list: Vec<AdjustmentItem>,
}

/// A SAFE-T claim reimbursement on the seller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SAFETReimbursementEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(
        rename = "SAFETClaimId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub safet_claim_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reimbursed_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(
        rename = "SAFETReimbursementItemList",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub safet_reimbursement_item_list: Vec<SAFETReimbursementItem>,
}

/// A fee payment event for the Early Reviewer Program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SellerReviewEnrollmentPaymentEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_id: Option<String>,
    #[serde(
        rename = "ParentASIN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_component: Option<FeeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_component: Option<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Currency>,
}

/// A payment event for Fulfillment by Amazon (FBA) inventory liquidation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FBALiquidationEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_removal_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidation_proceeds_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidation_fee_amount: Option<Currency>,
}

/// An event related to coupon payments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CouponPaymentEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_coupon_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_or_redemption_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_component: Option<FeeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_component: Option<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Currency>,
}

/// A fee event related to Amazon Imaging services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ImagingServicesFeeEvent {
    #[serde(
        rename = "ImagingRequestBillingItemID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub imaging_request_billing_item_id: Option<String>,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_list: Vec<FeeComponent>,
}

/// A network commingling transaction event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkComminglingTransactionEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(
        rename = "NetCoTransactionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub net_co_transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_reason: Option<String>,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_exclusive_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Currency>,
}

/// An expense related to an affordability promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AffordabilityExpenseEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_expense: Option<Currency>,
    #[serde(rename = "TaxTypeCGST")]
    pub tax_type_cgst: Currency,
    #[serde(rename = "TaxTypeSGST")]
    pub tax_type_sgst: Currency,
    #[serde(rename = "TaxTypeIGST")]
    pub tax_type_igst: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_expense: Option<Currency>,
}

/// A removal shipment event for a removal order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RemovalShipmentEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removal_shipment_item_list: Vec<RemovalShipmentItem>,
}

/// A financial adjustment event for FBA liquidated inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RemovalShipmentAdjustmentEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removal_shipment_item_adjustment_list: Vec<RemovalShipmentItemAdjustment>,
}

/// An event related to a trial shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TrialShipmentEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_event_group_id: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(rename = "SKU", default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_list: Vec<FeeComponent>,
}

/// An event related to a Tax-Deducted-at-Source (TDS) reimbursement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TDSReimbursementEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(
        rename = "TDSOrderId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tds_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reimbursed_amount: Option<Currency>,
}

/// An event related to an Adhoc Disbursement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AdhocDisbursementEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<Currency>,
}

/// A tax withholding event on a seller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TaxWithholdingEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_withholding_period: Option<TaxWithholdingPeriod>,
}

/// An event related to charge refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ChargeRefundEvent {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code_description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charge_refund_transactions: Vec<ChargeRefundTransaction>,
}

/// Failed ad hoc disbursement event list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FailedAdhocDisbursementEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funds_transfers_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disbursement_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_disbursement_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_amount: Option<Currency>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
}

/// An event related to a value added service charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ValueAddedServiceChargeEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<Currency>,
}

/// An event related to a capacity reservation billing charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityReservationBillingEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<String>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub posted_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<Currency>,
}

/// A charge on the seller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ChargeComponent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_amount: Option<Currency>,
}

/// A fee associated with the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct FeeComponent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_amount: Option<Currency>,
}

/// A payment made directly to a seller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DirectPayment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_payment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_payment_amount: Option<Currency>,
}

/// An item of a shipment, refund, guarantee claim, or chargeback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ShipmentItem {
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_adjustment_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_shipped: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_charge_list: Vec<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_charge_adjustment_list: Vec<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_fee_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_fee_adjustment_list: Vec<FeeComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_tax_withheld_list: Vec<TaxWithheldComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotion_list: Vec<Promotion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotion_adjustment_list: Vec<Promotion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_of_points_granted: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_of_points_returned: Option<Currency>,
}

/// Information about the taxes withheld.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TaxWithheldComponent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_collection_model: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes_withheld: Vec<ChargeComponent>,
}

/// An item of a debt payment or debt adjustment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DebtRecoveryItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_amount: Option<Currency>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_begin_date: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_end_date: Option<DateTime<Utc>>,
}

/// A payment instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ChargeInstrument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Currency>,
}

/// An item in an adjustment to the seller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AdjustmentItem {
    /// A string in this API, not a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_unit_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Currency>,
    #[serde(rename = "SellerSKU", default, skip_serializing_if = "Option::is_none")]
    pub seller_sku: Option<String>,
    #[serde(rename = "FnSKU", default, skip_serializing_if = "Option::is_none")]
    pub fn_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_description: Option<String>,
    #[serde(rename = "ASIN", default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_number: Option<String>,
}

/// An item from a SAFE-T claim reimbursement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SAFETReimbursementItem {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_charge_list: Vec<ChargeComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
}

/// Item-level information for a removal shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RemovalShipmentItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_shipment_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_collection_model: Option<String>,
    #[serde(
        rename = "FulfillmentNetworkSKU",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fulfillment_network_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_withheld: Option<Currency>,
}

/// Item-level information for a removal shipment item adjustment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RemovalShipmentItemAdjustment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_shipment_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_collection_model: Option<String>,
    #[serde(
        rename = "FulfillmentNetworkSKU",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fulfillment_network_sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_quantity: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_adjustment: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount_adjustment: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_withheld_adjustment: Option<Currency>,
}

/// The period during which tax withholding on a seller's account is calculated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TaxWithholdingPeriod {
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date: Option<DateTime<Utc>>,
}

/// The charge refund transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ChargeRefundTransaction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_amount: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<String>,
}

/// A promotion applied to an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Promotion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_amount: Option<Currency>,
}

impl Paged for ListFinancialEventGroupsResponse {
    fn next_token(&self) -> Option<&str> {
        self.payload.as_ref().and_then(|p| p.next_token.as_deref())
    }
}

impl Paged for ListFinancialEventsResponse {
    fn next_token(&self) -> Option<&str> {
        self.payload.as_ref().and_then(|p| p.next_token.as_deref())
    }
}
