//! Customer returns: of FBA orders (`GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA`, `fulfillment`
//! `AFN`) and of merchant-fulfilled orders (`GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`, `MFN`,
//! with the Amazon RMA id, return type, resolution and refunded amount). One record a
//! returned unit batch, with the order it belongs to, why the buyer returned it, what Amazon
//! found (`detailed-disposition`), its licence plate (LPN) and the return's status. The profit
//! ledger reads them beside refunds (a refund whose item never came back, or came back
//! damaged by Amazon or a carrier, is a reimbursement claim candidate).
//!
//! Keys: `ACCT#<t>` / `RETURN#<marketplaceId>#<orderId>#<returnKey>`, where `<returnKey>` is the
//! LPN (Amazon's id of the returned unit), else the Amazon RMA id (MFN) and, for a row with neither, the SKU, return time
//! and quantity. Newer wins by the creation time of the report read (a later report may carry
//! a changed status).

use super::{put_newer, Written};
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One customer return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReturnRecord {
    pub marketplace_id: String,
    pub return_date: DateTime<Utc>,
    pub order_id: String,
    pub sku: String,
    pub asin: String,
    pub fnsku: String,
    pub product_name: String,
    pub quantity: i64,
    pub fulfillment_center: String,
    /// `SELLABLE`, `DEFECTIVE`, `CUSTOMER_DAMAGED`, `CARRIER_DAMAGED`, `DISTRIBUTOR_DAMAGED`…
    pub disposition: String,
    /// The buyer's reason code (`NOT_AS_DESCRIBED`, `UNWANTED_ITEM`, …).
    pub reason: String,
    pub status: String,
    /// The licence plate number of the returned unit; blank when Amazon gave none.
    pub license_plate: String,
    pub customer_comments: String,
    /// `AFN` (the FBA returns report) or `MFN` (the merchant returns report).
    #[serde(default = "afn")]
    pub fulfillment: String,
    /// MFN only: Amazon's RMA id, the return type and resolution, and what was refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rma_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub refunded_amount: Option<rust_decimal::Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

fn afn() -> String {
    "AFN".into()
}

impl CustomerReturnRecord {
    /// The LPN, or the SKU, time and quantity for a row without one.
    pub fn return_key(&self) -> String {
        if !self.license_plate.is_empty() {
            self.license_plate.clone()
        } else if let Some(rma) = self.rma_id.as_ref().filter(|r| !r.is_empty()) {
            format!("RMA:{rma}:{}", self.sku)
        } else {
            format!(
                "{}@{}x{}",
                self.sku,
                crate::ports::store::rfc3339(self.return_date),
                self.quantity
            )
        }
    }

    fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).customer_return(
            &self.marketplace_id,
            &self.order_id,
            &self.return_key(),
        ))
        .s("marketplaceId", self.marketplace_id.clone())
        .s("orderId", self.order_id.clone())
        .s("sku", self.sku.clone())
        .time("returnDate", self.return_date)
        .s("record", serde_json::to_string(self).unwrap_or_default())
        .build()
    }
}

/// Stores a return read from a report created at `version` (newer wins).
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    r: &CustomerReturnRecord,
    version: &str,
) -> Result<Written, StoreError> {
    put_newer(store, r.to_item(tenant), version).await
}

/// Every return of the tenant, by marketplace and order.
pub async fn all(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Vec<CustomerReturnRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).customer_returns())
        .await?
        .iter()
        .map(|i| {
            serde_json::from_str(&i.s("record")?).map_err(|_| StoreError::Corrupt("record".into()))
        })
        .collect()
}
