//! FBA stock per SKU and marketplace, as Amazon last gave it: the inventory summaries of the
//! FBA Inventory API (`getInventorySummaries`, details on, swept hourly) and the
//! `FBA_INVENTORY_AVAILABILITY_CHANGES` notification carry the same figures (fulfillable,
//! inbound working/shipped/receiving, reserved, unfulfillable, researching), so both write the
//! same record. Every figure the brief asks for is in the API; the MYI reports are not read.
//!
//! Keys: `ACCT#<t>` / `INV#<marketplaceId>#<sku>`. Newer wins by the instant Amazon's figure
//! stands for (`observedAt`): the summary's `lastUpdatedTime` (the call's time when Amazon
//! sends it blank), the notification's `EventTime`. A duplicate or an older notification
//! arriving late changes nothing.

use super::{put_newer, version_at, Written};
use crate::amazon::models::fba_inventory::InventorySummary;
use crate::amazon::models::notification_payloads::FulfillmentInventoryByMarketplace;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a stock figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StockSource {
    /// `getInventorySummaries`.
    Api,
    /// `FBA_INVENTORY_AVAILABILITY_CHANGES`.
    Notification,
}

/// One SKU's FBA stock in one marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryRecord {
    pub marketplace_id: String,
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fnsku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    pub connection: String,
    /// Units that can be picked for an order now.
    pub fulfillable: i64,
    /// Inbound: in a shipment plan not sent yet, on the way, being received.
    pub inbound_working: i64,
    pub inbound_shipped: i64,
    pub inbound_receiving: i64,
    /// Held for orders, transfers or FC processing.
    pub reserved: i64,
    pub unfulfillable: i64,
    /// Misplaced or damaged units Amazon is looking into.
    pub researching: i64,
    /// The instant the figures stand for (newer wins on it).
    pub observed_at: DateTime<Utc>,
    pub source: StockSource,
}

impl InventoryRecord {
    /// A summary of `getInventorySummaries` (with `details=true`) of one marketplace; `now`
    /// stands for a blank `lastUpdatedTime`. A summary without its details or its SKU is an
    /// error naming what is missing (never zeros).
    pub fn from_summary(
        connection: &str,
        marketplace_id: &str,
        s: &InventorySummary,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        let sku = s
            .seller_sku
            .clone()
            .filter(|x| !x.is_empty())
            .ok_or("an inventory summary without sellerSku")?;
        let d = s
            .inventory_details
            .as_ref()
            .ok_or_else(|| format!("inventory summary of {sku}: no inventoryDetails"))?;
        let need = |v: Option<i64>, what: &str| {
            v.ok_or_else(|| format!("inventory summary of {sku}: no {what}"))
        };
        Ok(Self {
            marketplace_id: marketplace_id.to_string(),
            fnsku: s.fn_sku.clone().filter(|x| !x.is_empty()),
            asin: s.asin.clone().filter(|x| !x.is_empty()),
            product_name: s.product_name.clone(),
            connection: connection.to_string(),
            fulfillable: need(d.fulfillable_quantity, "fulfillableQuantity")?,
            inbound_working: need(d.inbound_working_quantity, "inboundWorkingQuantity")?,
            inbound_shipped: need(d.inbound_shipped_quantity, "inboundShippedQuantity")?,
            inbound_receiving: need(d.inbound_receiving_quantity, "inboundReceivingQuantity")?,
            reserved: need(
                d.reserved_quantity
                    .as_ref()
                    .and_then(|r| r.total_reserved_quantity),
                "reservedQuantity.totalReservedQuantity",
            )?,
            unfulfillable: need(
                d.unfulfillable_quantity
                    .as_ref()
                    .and_then(|u| u.total_unfulfillable_quantity),
                "unfulfillableQuantity.totalUnfulfillableQuantity",
            )?,
            researching: need(
                d.researching_quantity
                    .as_ref()
                    .and_then(|r| r.total_researching_quantity),
                "researchingQuantity.totalResearchingQuantity",
            )?,
            observed_at: s.last_updated_time.unwrap_or(now),
            source: StockSource::Api,
            sku,
        })
    }

    /// One marketplace of an `FBA_INVENTORY_AVAILABILITY_CHANGES` notification. Reserved is
    /// the sum of its breakdown (warehouse processing, transfer, pending customer order), as
    /// the API's `totalReservedQuantity` is.
    pub fn from_notification(
        connection: &str,
        sku: &str,
        fnsku: &str,
        asin: &str,
        m: &FulfillmentInventoryByMarketplace,
        event_time: DateTime<Utc>,
    ) -> Self {
        let f = &m.fulfillment_inventory;
        let r = &f.reserved_quantity_breakdown;
        Self {
            marketplace_id: m.marketplace_id.clone(),
            sku: sku.to_string(),
            fnsku: Some(fnsku.to_string()).filter(|x| !x.is_empty()),
            asin: Some(asin.to_string()).filter(|x| !x.is_empty()),
            product_name: Some(m.item_name.clone()).filter(|x| !x.is_empty()),
            connection: connection.to_string(),
            fulfillable: f.fulfillable,
            inbound_working: f.inbound_quantity_breakdown.working,
            inbound_shipped: f.inbound_quantity_breakdown.shipped,
            inbound_receiving: f.inbound_quantity_breakdown.receiving,
            reserved: r.warehouse_processing + r.warehouse_transfer + r.pending_customer_order,
            unfulfillable: f.unfulfillable,
            researching: f.researching,
            observed_at: event_time,
            source: StockSource::Notification,
        }
    }

    /// The figures alone (what a change event compares).
    pub fn figures(&self) -> [i64; 7] {
        [
            self.fulfillable,
            self.inbound_working,
            self.inbound_shipped,
            self.inbound_receiving,
            self.reserved,
            self.unfulfillable,
            self.researching,
        ]
    }

    fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).inventory(&self.marketplace_id, &self.sku))
            .s("marketplaceId", self.marketplace_id.clone())
            .s("sku", self.sku.clone())
            .time("observedAt", self.observed_at)
            .s("record", serde_json::to_string(self).unwrap_or_default())
            .build()
    }

    fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("record")?).map_err(|_| StoreError::Corrupt("record".into()))
    }
}

/// Stores a stock figure unless the stored one stands for the same instant or a later one.
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    r: &InventoryRecord,
) -> Result<Written, StoreError> {
    put_newer(store, r.to_item(tenant), &version_at(r.observed_at)).await
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    sku: &str,
) -> Result<Option<InventoryRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).inventory(marketplace_id, sku))
        .await?
        .map(|i| InventoryRecord::from_item(&i))
        .transpose()
}

/// Every SKU's stock of the tenant, by marketplace then SKU.
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<InventoryRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).inventories())
        .await?
        .iter()
        .map(InventoryRecord::from_item)
        .collect()
}
