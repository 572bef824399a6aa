//! FBA reimbursements (`GET_FBA_REIMBURSEMENTS_DATA`): what Amazon paid (in cash or in units put
//! back) for units it lost, damaged or never got back from a buyer, and the reversals that take
//! such a payment back (`reason` = `Reimbursement_Reversal`, negative quantity and amount,
//! naming the reimbursement reversed in `originalReimbursementId`).
//!
//! The profit ledger reads these records: `amountTotal` (signed, in `currency`) is the money,
//! `orderId` links a customer-return reimbursement to its order, `sku` to the product,
//! `caseId` to the seller's claim; the settlement file carries the same money as
//! `other-transaction` / `FBA Inventory Reimbursement` lines without the reimbursement id
//! (join by SKU, day and amount).
//!
//! Keys: `ACCT#<t>` / `REIMB#<reimbursementId>#<sku>` (an id can cover several SKUs). Newer
//! wins by the creation time of the report read.

use super::{put_newer, Written};
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One reimbursement line (or reversal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReimbursementRecord {
    pub marketplace_id: String,
    pub reimbursement_id: String,
    pub approval_date: DateTime<Utc>,
    /// The seller's case, when the reimbursement answers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// `Lost_Warehouse`, `Damaged_Warehouse`, `CustomerReturn`, `Reimbursement_Reversal`, …
    pub reason: String,
    pub sku: String,
    pub fnsku: String,
    pub asin: String,
    pub product_name: String,
    pub condition: String,
    pub currency: String,
    /// Signed amounts: a reversal's are negative.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub amount_per_unit: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount_total: Decimal,
    pub quantity_cash: i64,
    pub quantity_inventory: i64,
    pub quantity_total: i64,
    /// For a reversal: the reimbursement it takes back, and that one's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_reimbursement_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_reimbursement_type: Option<String>,
}

impl ReimbursementRecord {
    pub fn is_reversal(&self) -> bool {
        self.reason == "Reimbursement_Reversal" || self.original_reimbursement_id.is_some()
    }

    fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).reimbursement(&self.reimbursement_id, &self.sku))
            .s("marketplaceId", self.marketplace_id.clone())
            .s("sku", self.sku.clone())
            .opt_s("orderId", self.order_id.clone())
            .time("approvalDate", self.approval_date)
            .decimal("amountTotal", self.amount_total)
            .s("record", serde_json::to_string(self).unwrap_or_default())
            .build()
    }
}

/// Stores a reimbursement read from a report created at `version` (newer wins).
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    r: &ReimbursementRecord,
    version: &str,
) -> Result<Written, StoreError> {
    put_newer(store, r.to_item(tenant), version).await
}

/// Every reimbursement and reversal of the tenant, by id.
pub async fn all(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Vec<ReimbursementRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).reimbursements())
        .await?
        .iter()
        .map(|i| {
            serde_json::from_str(&i.s("record")?).map_err(|_| StoreError::Corrupt("record".into()))
        })
        .collect()
}
