//! Purchase orders linked to FBA shipments: the shipments Amazon has (synced from the
//! Fulfillment Inbound API, `records::inbound`) and the seller's shipment drafts. A purchase
//! order names its shipments (`fbaShipmentIds`, by Amazon's shipment id, the `FBA…`
//! confirmation id or a draft's id) when it is created or edited, or a shipment is attached
//! afterwards (`POST /api/purchase-orders/{id}/shipments` or
//! `POST /api/fba-shipments/{id}/purchase-orders`); the order's view shows each shipment's
//! status and units.

use crate::docs;
use crate::purchasing::PurchaseOrder;
use crate::workflow::Shipment;
use crate::{bare, context};
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, JsonBody};
use shared::keys::Tenant;
use shared::ports::Store;
use shared::records::inbound::{self, InboundShipmentRecord};
use std::collections::HashMap;

/// Every shipment a purchase order can name, by each id it is known by.
#[derive(Debug, Default)]
pub struct ShipmentIndex {
    by_id: HashMap<String, Value>,
}

fn synced_json(s: &InboundShipmentRecord) -> Value {
    json!({
        "id": s.shipment_id, "shipmentId": s.shipment_id, "confirmationId": s.confirmation_id,
        "shipmentName": s.name, "status": crate::workflow::ui_shipment_status(&s.status),
        "amazonStatus": s.status, "source": "amazon",
        "inboundPlanId": s.inbound_plan_id, "destination": s.warehouse_id,
        "totalUnits": s.items.iter().map(|i| i.quantity).sum::<i64>(),
        "lastUpdate": shared::ports::store::rfc3339(s.plan_updated_at),
    })
}

fn draft_json(s: &Shipment) -> Value {
    json!({
        "id": s.id, "shipmentId": s.shipment_id.clone().unwrap_or_else(|| s.id.clone()),
        "confirmationId": Value::Null, "shipmentName": s.shipment_name,
        "status": crate::workflow::ui_shipment_status(&s.status), "amazonStatus": s.status,
        "source": "draft", "destination": s.destination,
        "totalUnits": s.products.iter().map(|p| p.quantity).sum::<i64>(),
        "lastUpdate": shared::ports::store::rfc3339(s.updated_at),
    })
}

impl ShipmentIndex {
    pub async fn load(store: &dyn Store, t: &Tenant) -> Result<Self> {
        let mut by_id = HashMap::new();
        for s in docs::list::<Shipment>(store, t).await? {
            let j = draft_json(&s);
            if let Some(x) = &s.shipment_id {
                by_id.insert(x.clone(), j.clone());
            }
            by_id.insert(s.id.clone(), j);
        }
        for s in inbound::shipments(store, t).await? {
            let j = synced_json(&s);
            if let Some(c) = &s.confirmation_id {
                by_id.insert(c.clone(), j.clone());
            }
            by_id.insert(s.shipment_id.clone(), j);
        }
        Ok(Self { by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.by_id.get(id)
    }

    /// The shipments of an order, each with its status (`UNKNOWN` for an id not synced yet).
    pub fn of(&self, p: &PurchaseOrder) -> Value {
        json!(p
            .fba_shipment_ids
            .iter()
            .map(|id| self.get(id).cloned().unwrap_or_else(
                || json!({"id": id, "shipmentId": id, "status": "UNKNOWN", "source": Value::Null})
            ))
            .collect::<Vec<_>>())
    }
}

/// Links `shipment_id` to the order (and the order to the draft, when it is one); 404 when no
/// shipment has that id. Returns whether the order changed.
pub async fn attach(
    store: &dyn Store,
    t: &Tenant,
    po_id: &str,
    shipment_id: &str,
    index: &ShipmentIndex,
) -> Result<()> {
    if index.get(shipment_id).is_none() {
        return Err(Error::NotFound("Shipment not found".into()));
    }
    for attempt in 1..=docs::EDIT_ATTEMPTS {
        let mut p = docs::found::<PurchaseOrder>(store, t, po_id, "Purchase order").await?;
        if p.doc.fba_shipment_ids.iter().any(|x| x == shipment_id) {
            break;
        }
        p.doc.fba_shipment_ids.push(shipment_id.to_string());
        match docs::replace(store, t, &p.doc, p.rev).await {
            Ok(()) => break,
            Err(Error::Conflict(_)) if attempt < docs::EDIT_ATTEMPTS => {
                docs::pause_after_conflict(attempt).await
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(mut d) = docs::get::<Shipment>(store, t, shipment_id).await? {
        if !d.doc.purchase_order_ids.iter().any(|x| x == po_id) {
            d.doc.purchase_order_ids.push(po_id.to_string());
            docs::replace(store, t, &d.doc, d.rev).await?;
        }
    }
    Ok(())
}

/// `POST /api/purchase-orders/{id}/shipments`: `{shipmentId}` (Amazon's shipment id, its
/// `FBA…` confirmation id, or a draft's id); the order, bare, with its shipments.
pub async fn attach_shipment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let (store, t) = (state.store.as_ref(), ctx.tenant());
    let sid = b["shipmentId"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::validation("shipmentId", "is required"))?;
    docs::found::<PurchaseOrder>(store, t, &id, "Purchase order").await?;
    let index = ShipmentIndex::load(store, t).await?;
    attach(store, t, &id, sid, &index).await?;
    let p = docs::found::<PurchaseOrder>(store, t, &id, "Purchase order").await?;
    Ok(bare(crate::purchasing::po_view(&state, t, &p.doc).await?))
}

/// The synced shipments as `GET /api/fba-shipments` rows, with the orders that name them.
pub async fn synced_rows(store: &dyn Store, t: &Tenant) -> Result<Vec<Value>> {
    let orders = docs::list::<PurchaseOrder>(store, t).await?;
    let catalog = titles(store, t).await?;
    Ok(inbound::shipments(store, t)
        .await?
        .into_iter()
        .map(|s| {
            let pos: Vec<&String> = orders
                .iter()
                .filter(|p| {
                    p.fba_shipment_ids.iter().any(|x| {
                        *x == s.shipment_id || s.confirmation_id.as_deref() == Some(x.as_str())
                    })
                })
                .map(|p| &p.id)
                .collect();
            let total: i64 = s.items.iter().map(|i| i.quantity).sum();
            let mut j = synced_json(&s);
            j["date"] = j["lastUpdate"].clone();
            j["products"] = json!(s
                .items
                .iter()
                .map(|i| {
                    let (title, image) = catalog.get(&i.msku).cloned().unwrap_or_default();
                    json!({"sku": i.msku, "asin": i.asin, "quantity": i.quantity,
                        "title": title, "imageUrl": image})
                })
                .collect::<Vec<_>>());
            j["totalUnits"] = json!(total);
            j["percentReceived"] = json!(if s.status == "CLOSED" { 100 } else { 0 });
            j["purchaseOrderIds"] = json!(pos);
            j["comment"] = Value::Null;
            j
        })
        .collect())
}

/// Each SKU's title and main image (from its listing, else the catalog), any marketplace.
pub async fn titles(
    store: &dyn Store,
    t: &Tenant,
) -> Result<HashMap<String, (Option<String>, Option<String>)>> {
    use shared::records::listings;
    let catalog: HashMap<(String, String), listings::CatalogRecord> =
        listings::all_catalog(store, t)
            .await?
            .into_iter()
            .map(|c| ((c.marketplace_id.clone(), c.asin.clone()), c))
            .collect();
    let mut out = HashMap::new();
    for l in listings::all(store, t).await? {
        let c = l
            .asin
            .as_ref()
            .and_then(|a| catalog.get(&(l.marketplace_id.clone(), a.clone())));
        let title = l.title.clone().or_else(|| c.and_then(|c| c.title.clone()));
        let image = c.and_then(|c| c.images.first().cloned());
        out.entry(l.sku.clone()).or_insert((title, image));
    }
    Ok(out)
}
