//! Fulfillment Inbound plans and shipments (2024-03-20), with their items: what the seller
//! sends to Amazon's warehouses, where it is, and what is in it.
//!
//! Keys: the plan `ACCT#<t>/INBPLAN#<inboundPlanId>`, with gsi1 `ACCT#<t>#INBOPEN` /
//! `<connection>#<inboundPlanId>` while it is open (sparse: a closed plan drops it); the
//! shipment `ACCT#<t>/INBSHIP#<shipmentId>`, with gsi1 `ACCT#<t>#INBPLAN#<inboundPlanId>` /
//! `<shipmentId>`. Items live inside their plan or shipment.
//!
//! Newer-wins: a plan by `<lastUpdatedAt>#<sum of its shipments' status ranks>`, a shipment by
//! `<status rank>#<its plan's lastUpdatedAt>`, so a status only moves forward along the flow
//! (WORKING → … → CLOSED), even when a stale read comes in after a fresh one.

use crate::amazon::models::fulfillment_inbound as amazon;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a shipment status sits in the flow; later statuses rank higher, the ends highest.
pub fn status_rank(status: &str) -> u32 {
    match status {
        "UNCONFIRMED" => 1,
        "WORKING" => 2,
        "READY_TO_SHIP" => 3,
        "SHIPPED" => 4,
        "IN_TRANSIT" => 5,
        "DELIVERED" => 6,
        "CHECKED_IN" => 7,
        "RECEIVING" => 8,
        "CLOSED" | "CANCELLED" | "DELETED" | "ABANDONED" => 9,
        // MIXED (boxes in several states) and anything new: below every known state.
        _ => 0,
    }
}

/// Whether a shipment in `status` can still change.
pub fn shipment_open(status: &str) -> bool {
    status_rank(status) < 9
}

/// A preparation of an item: its type, who does it, and Amazon's fee for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prep_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prep_owner: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub fee: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_currency: Option<String>,
}

/// One SKU of a plan or shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundItem {
    pub msku: String,
    pub fnsku: String,
    pub asin: String,
    pub quantity: i64,
    pub label_owner: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prep: Vec<Prep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_code: Option<String>,
}

impl InboundItem {
    pub fn from_amazon(i: &amazon::Item) -> Self {
        Self {
            msku: i.msku.clone(),
            fnsku: i.fnsku.clone(),
            asin: i.asin.clone(),
            quantity: i.quantity,
            label_owner: i.label_owner.clone(),
            prep: i
                .prep_instructions
                .iter()
                .map(|p| Prep {
                    prep_type: p.prep_type.clone(),
                    prep_owner: p.prep_owner.clone(),
                    fee: p.fee.as_ref().map(|f| f.amount),
                    fee_currency: p.fee.as_ref().map(|f| f.code.clone()),
                })
                .collect(),
            expiration: i.expiration.clone(),
            lot_code: i.manufacturing_lot_code.clone(),
        }
    }

    /// Who prepares the item: the owner of its first preparation (`NONE` when none is needed).
    pub fn prep_owner(&self) -> &str {
        self.prep
            .iter()
            .find_map(|p| p.prep_owner.as_deref())
            .unwrap_or("NONE")
    }
}

/// A shipment of a plan as the plan lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentRef {
    pub shipment_id: String,
    pub status: String,
}

/// A stored inbound plan.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundPlanRecord {
    pub inbound_plan_id: String,
    pub connection: String,
    pub name: String,
    /// `ACTIVE`, `VOIDED`, `SHIPPED`, `ERRORED`.
    pub status: String,
    pub marketplace_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    /// The ship-from address as Amazon sent it (JSON).
    pub source_address: Option<String>,
    pub shipments: Vec<ShipmentRef>,
    pub items: Vec<InboundItem>,
}

impl InboundPlanRecord {
    pub fn from_amazon(connection: &str, p: &amazon::InboundPlan, items: &[amazon::Item]) -> Self {
        Self {
            inbound_plan_id: p.inbound_plan_id.clone(),
            connection: connection.to_string(),
            name: p.name.clone(),
            status: p.status.clone(),
            marketplace_ids: p.marketplace_ids.clone(),
            created_at: p.created_at,
            last_updated_at: p.last_updated_at,
            source_address: p
                .source_address
                .as_ref()
                .and_then(|a| serde_json::to_string(a).ok()),
            shipments: p
                .shipments
                .iter()
                .map(|s| ShipmentRef {
                    shipment_id: s.shipment_id.clone(),
                    status: s.status.clone(),
                })
                .collect(),
            items: items.iter().map(InboundItem::from_amazon).collect(),
        }
    }

    /// Whether the plan can still change: being prepared, or a shipment not at its end.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "ACTIVE")
            || self.shipments.iter().any(|s| shipment_open(&s.status))
    }

    pub fn version(&self) -> String {
        let progress: u32 = self.shipments.iter().map(|s| status_rank(&s.status)).sum();
        format!("{}#{progress:06}", version_at(self.last_updated_at))
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let k = keys::tenant(tenant);
        let mut b = ItemBuilder::at(k.inbound_plan(&self.inbound_plan_id))
            .s("inboundPlanId", self.inbound_plan_id.clone())
            .s("connection", self.connection.clone())
            .s("name", self.name.clone())
            .s("status", self.status.clone())
            .list_s("marketplaceIds", &self.marketplace_ids)
            .time("createdAt", self.created_at)
            .time("lastUpdatedAt", self.last_updated_at)
            .opt_s("sourceAddress", self.source_address.clone())
            .s(
                "shipments",
                serde_json::to_string(&self.shipments).unwrap_or_default(),
            )
            .s(
                "items",
                serde_json::to_string(&self.items).unwrap_or_default(),
            );
        if self.is_open() {
            b = b.s("gsi1pk", k.inbound_open_pk()).s(
                "gsi1sk",
                format!("{}#{}", self.connection, self.inbound_plan_id),
            );
        }
        b.build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(f.to_string());
        Ok(Self {
            inbound_plan_id: i.s("inboundPlanId")?,
            connection: i.s("connection")?,
            name: i.s("name")?,
            status: i.s("status")?,
            marketplace_ids: i.list_s("marketplaceIds"),
            created_at: i.time("createdAt")?,
            last_updated_at: i.time("lastUpdatedAt")?,
            source_address: i.opt_s("sourceAddress"),
            shipments: serde_json::from_str(&i.s("shipments")?)
                .map_err(|_| corrupt("shipments"))?,
            items: serde_json::from_str(&i.s("items")?).map_err(|_| corrupt("items"))?,
        })
    }
}

/// A stored shipment with its items.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundShipmentRecord {
    pub shipment_id: String,
    pub inbound_plan_id: String,
    pub connection: String,
    /// The plan's marketplace (a plan has one in practice; the first when it lists more).
    pub marketplace_id: Option<String>,
    pub name: Option<String>,
    pub status: String,
    /// The id on the labels (`FBA…`), once confirmed.
    pub confirmation_id: Option<String>,
    pub placement_option_id: String,
    pub destination_type: Option<String>,
    pub warehouse_id: Option<String>,
    /// The ready-to-ship window as Amazon wrote it (JSON; its times are not always RFC 3339).
    pub ready_to_ship_window: Option<String>,
    /// The plan's `lastUpdatedAt` when the shipment was read (its version within a status).
    pub plan_updated_at: DateTime<Utc>,
    pub items: Vec<InboundItem>,
}

impl InboundShipmentRecord {
    pub fn from_amazon(
        connection: &str,
        plan: &amazon::InboundPlan,
        s: &amazon::Shipment,
        listed_status: &str,
        items: &[amazon::Item],
    ) -> Self {
        Self {
            shipment_id: s.shipment_id.clone(),
            inbound_plan_id: plan.inbound_plan_id.clone(),
            connection: connection.to_string(),
            marketplace_id: plan.marketplace_ids.first().cloned(),
            name: s.name.clone(),
            // getShipment's status, or the plan's summary of it when getShipment sent none.
            status: s
                .status
                .clone()
                .unwrap_or_else(|| listed_status.to_string()),
            confirmation_id: s.shipment_confirmation_id.clone(),
            placement_option_id: s.placement_option_id.clone(),
            destination_type: s.destination.as_ref().map(|d| d.destination_type.clone()),
            warehouse_id: s.destination.as_ref().and_then(|d| d.warehouse_id.clone()),
            ready_to_ship_window: s
                .dates
                .as_ref()
                .and_then(|d| d.ready_to_ship_window.as_ref())
                .and_then(|w| serde_json::to_string(w).ok()),
            plan_updated_at: plan.last_updated_at,
            items: items.iter().map(InboundItem::from_amazon).collect(),
        }
    }

    pub fn version(&self) -> String {
        format!(
            "{:02}#{}",
            status_rank(&self.status),
            version_at(self.plan_updated_at)
        )
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let k = keys::tenant(tenant);
        ItemBuilder::at(k.inbound_shipment(&self.shipment_id))
            .s("shipmentId", self.shipment_id.clone())
            .s("inboundPlanId", self.inbound_plan_id.clone())
            .s("connection", self.connection.clone())
            .opt_s("marketplaceId", self.marketplace_id.clone())
            .opt_s("name", self.name.clone())
            .s("status", self.status.clone())
            .opt_s("shipmentConfirmationId", self.confirmation_id.clone())
            .s("placementOptionId", self.placement_option_id.clone())
            .opt_s("destinationType", self.destination_type.clone())
            .opt_s("warehouseId", self.warehouse_id.clone())
            .opt_s("readyToShipWindow", self.ready_to_ship_window.clone())
            .time("planUpdatedAt", self.plan_updated_at)
            .s(
                "items",
                serde_json::to_string(&self.items).unwrap_or_default(),
            )
            .s("gsi1pk", k.inbound_plan_shipments_pk(&self.inbound_plan_id))
            .s("gsi1sk", self.shipment_id.clone())
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            shipment_id: i.s("shipmentId")?,
            inbound_plan_id: i.s("inboundPlanId")?,
            connection: i.s("connection")?,
            marketplace_id: i.opt_s("marketplaceId"),
            name: i.opt_s("name"),
            status: i.s("status")?,
            confirmation_id: i.opt_s("shipmentConfirmationId"),
            placement_option_id: i.s("placementOptionId")?,
            destination_type: i.opt_s("destinationType"),
            warehouse_id: i.opt_s("warehouseId"),
            ready_to_ship_window: i.opt_s("readyToShipWindow"),
            plan_updated_at: i.time("planUpdatedAt")?,
            items: serde_json::from_str(&i.s("items")?)
                .map_err(|_| StoreError::Corrupt("items".into()))?,
        })
    }
}

/// Writes a plan unless the stored one is as new.
pub async fn put_plan(
    store: &dyn Store,
    tenant: &Tenant,
    plan: &InboundPlanRecord,
) -> Result<Written, StoreError> {
    put_newer(store, plan.to_item(tenant), &plan.version()).await
}

/// Writes a shipment unless the stored one is as new (or further along the flow).
pub async fn put_shipment(
    store: &dyn Store,
    tenant: &Tenant,
    shipment: &InboundShipmentRecord,
) -> Result<Written, StoreError> {
    put_newer(store, shipment.to_item(tenant), &shipment.version()).await
}

pub async fn plan(
    store: &dyn Store,
    tenant: &Tenant,
    plan_id: &str,
) -> Result<Option<InboundPlanRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).inbound_plan(plan_id))
        .await?
        .map(|i| InboundPlanRecord::from_item(&i))
        .transpose()
}

pub async fn shipment(
    store: &dyn Store,
    tenant: &Tenant,
    shipment_id: &str,
) -> Result<Option<InboundShipmentRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).inbound_shipment(shipment_id))
        .await?
        .map(|i| InboundShipmentRecord::from_item(&i))
        .transpose()
}

/// Every plan of the tenant.
pub async fn plans(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Vec<InboundPlanRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).inbound_plans())
        .await?
        .iter()
        .map(InboundPlanRecord::from_item)
        .collect()
}

/// The ids of a connection's open plans (those a sweep reads again).
pub async fn open_plan_ids(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(
        query_all(store, keys::tenant(tenant).inbound_open(connection))
            .await?
            .iter()
            .filter_map(|i| i.opt_s("inboundPlanId"))
            .collect(),
    )
}

/// Every shipment of the tenant.
pub async fn shipments(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Vec<InboundShipmentRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).inbound_shipments())
        .await?
        .iter()
        .map(InboundShipmentRecord::from_item)
        .collect()
}

/// The shipments of one plan.
pub async fn shipments_of(
    store: &dyn Store,
    tenant: &Tenant,
    plan_id: &str,
) -> Result<Vec<InboundShipmentRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).inbound_plan_shipments(plan_id))
        .await?
        .iter()
        .map(InboundShipmentRecord::from_item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_rank_along_the_flow() {
        let flow = [
            "WORKING",
            "READY_TO_SHIP",
            "SHIPPED",
            "IN_TRANSIT",
            "DELIVERED",
            "CHECKED_IN",
            "RECEIVING",
            "CLOSED",
        ];
        for w in flow.windows(2) {
            assert!(status_rank(w[0]) < status_rank(w[1]), "{w:?}");
        }
        assert!(!shipment_open("CANCELLED") && !shipment_open("CLOSED"));
        assert!(shipment_open("MIXED") && shipment_open("RECEIVING"));
    }
}
