//! Fulfillment Inbound 2024-03-20: the seller's inbound plans, their shipments and items.
//!
//! Generated once per stand-in from the seller (its own seed, so it does not disturb the other
//! generated records): a plan about every month of the history per marketplace with FBA
//! listings, whose shipments are long CLOSED (or CANCELLED, the plan then VOIDED), and the
//! open shipments that make up the inventory's inbound figures: a WORKING shipment holds each
//! listing's `inbound_working` units, an IN_TRANSIT one its `inbound_shipped` units, a
//! RECEIVING one its `inbound_receiving` units (plus what Amazon has received of it already).
//!
//! Shipments move on only when told ([`StandIn::advance_inbound`], `POST
//! /_stand-in/inbound/advance`): WORKING → SHIPPED → IN_TRANSIT → RECEIVING → CLOSED, or
//! CANCELLED; each move sets the plan's `lastUpdatedAt` to the stand-in's now.
//!
//! What real responses do beyond the model is served too: a WORKING shipment has
//! `"shipmentConfirmationId": ""`, an item without expiry `"expiration": ""`, and the
//! ready-to-ship window is written without seconds (`2026-10-01T00:00Z`), as Amazon's own
//! sandbox does.

// Helpers return the ready error response as `Err`, like a handler's early return.
#![allow(clippy::result_large_err)]

use crate::generator::Seller;
use crate::model::Fulfillment;
use crate::render::ts;
use crate::server::{invalid, not_found, page, page_size, Shared, StandIn};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// The inbound routes and their control endpoint.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/inbound/fba/2024-03-20/inboundPlans",
            get(list_inbound_plans),
        )
        .route(
            "/inbound/fba/2024-03-20/inboundPlans/{plan}",
            get(get_inbound_plan),
        )
        .route(
            "/inbound/fba/2024-03-20/inboundPlans/{plan}/items",
            get(list_inbound_plan_items),
        )
        .route(
            "/inbound/fba/2024-03-20/inboundPlans/{plan}/shipments/{shipment}",
            get(get_shipment),
        )
        .route(
            "/inbound/fba/2024-03-20/inboundPlans/{plan}/shipments/{shipment}/items",
            get(list_shipment_items),
        )
        .route("/_stand-in/inbound/advance", post(control_advance))
}

/// Where a shipment is. The order is the flow's: a status never goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ShipmentStatus {
    Working,
    Shipped,
    InTransit,
    Receiving,
    Closed,
    Cancelled,
}

impl ShipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Working => "WORKING",
            ShipmentStatus::Shipped => "SHIPPED",
            ShipmentStatus::InTransit => "IN_TRANSIT",
            ShipmentStatus::Receiving => "RECEIVING",
            ShipmentStatus::Closed => "CLOSED",
            ShipmentStatus::Cancelled => "CANCELLED",
        }
    }

    /// The next status of the flow; `None` once closed or cancelled.
    pub fn next(self) -> Option<Self> {
        match self {
            ShipmentStatus::Working => Some(ShipmentStatus::Shipped),
            ShipmentStatus::Shipped => Some(ShipmentStatus::InTransit),
            ShipmentStatus::InTransit => Some(ShipmentStatus::Receiving),
            ShipmentStatus::Receiving => Some(ShipmentStatus::Closed),
            ShipmentStatus::Closed | ShipmentStatus::Cancelled => None,
        }
    }

    pub fn is_open(self) -> bool {
        self.next().is_some()
    }
}

/// One SKU of a shipment, as the ground truth has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundItem {
    pub msku: String,
    pub fnsku: String,
    pub asin: String,
    pub quantity: i64,
    /// Units Amazon has received (the 2024-03-20 API does not serve it).
    pub received: i64,
    /// `SELLER` or `NONE` (the US does not take `AMAZON`).
    pub label_owner: &'static str,
    pub prep_owner: &'static str,
    pub prep_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundShipment {
    pub shipment_id: String,
    pub confirmation_id: String,
    pub name: String,
    pub placement_option_id: String,
    pub warehouse_id: &'static str,
    pub status: ShipmentStatus,
    pub ready_to_ship: DateTime<Utc>,
    pub items: Vec<InboundItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundPlan {
    pub inbound_plan_id: String,
    pub name: String,
    pub marketplace_id: &'static str,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    pub shipments: Vec<InboundShipment>,
}

impl InboundPlan {
    /// `VOIDED` when every shipment was cancelled, `ACTIVE` while one is still being
    /// prepared, else `SHIPPED`.
    pub fn status(&self) -> &'static str {
        if self
            .shipments
            .iter()
            .all(|s| s.status == ShipmentStatus::Cancelled)
        {
            "VOIDED"
        } else if self
            .shipments
            .iter()
            .any(|s| s.status == ShipmentStatus::Working)
        {
            "ACTIVE"
        } else {
            "SHIPPED"
        }
    }

    /// The plan's items: every SKU of its shipments, summed.
    pub fn items(&self) -> Vec<InboundItem> {
        let mut by_msku: BTreeMap<String, InboundItem> = BTreeMap::new();
        for i in self.shipments.iter().flat_map(|s| &s.items) {
            by_msku
                .entry(i.msku.clone())
                .and_modify(|x| {
                    x.quantity += i.quantity;
                    x.received += i.received;
                })
                .or_insert_with(|| i.clone());
        }
        by_msku.into_values().collect()
    }
}

/// The inbound side of a seller, as of the stand-in's now.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inbound {
    /// Oldest first.
    pub plans: Vec<InboundPlan>,
}

/// Warehouses of a marketplace's country.
fn warehouses(country: &str) -> &'static [&'static str] {
    match country {
        "US" => &["PHX7", "ONT8", "BFI4", "MDW2", "ABE2", "TPA1"],
        "CA" => &["YYZ4", "YVR3", "YYC1"],
        "MX" => &["MEX1", "MEX2"],
        "UK" => &["LBA1", "BHX4", "EMA1"],
        "JP" => &["NRT1", "KIX3"],
        _ => &["FRA3", "MXP5", "MAD4", "ORY1"],
    }
}

fn hex_id(seed: &str, prefix: &str) -> String {
    let h = hex::encode(Sha256::digest(seed.as_bytes()));
    // 2 + 36: Amazon's plan, shipment and option ids are 38 characters.
    format!(
        "{prefix}{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

const PREP: &[(&str, &str)] = &[
    ("ITEM_NO_PREP", "NONE"),
    ("ITEM_POLYBAGGING", "SELLER"),
    ("ITEM_BUBBLEWRAP", "SELLER"),
    ("ITEM_LABELING", "SELLER"),
];

/// The seller's inbound plans (deterministic for a seller).
pub fn generate(seller: &Seller) -> Inbound {
    let seed = Sha256::digest(format!("inbound:{}:{}", seller.spec.seed, seller.seller_id));
    let mut rng = ChaCha8Rng::from_seed(seed.into());
    let end = seller.spec.end;
    let start = end - Duration::days(seller.spec.history_days);
    let mut plans = vec![];
    let mut n = 0u64;
    let mut next_id = |kind: &str| {
        n += 1;
        hex_id(&format!("{}:{kind}:{n}", seller.seller_id), kind)
    };
    let item = |rng: &mut ChaCha8Rng, product: usize, quantity: i64, received: i64| {
        let p = &seller.products[product];
        let (prep_type, prep_owner) = PREP[rng.gen_range(0..PREP.len())];
        InboundItem {
            msku: p.sku.clone(),
            fnsku: p.fnsku.clone(),
            asin: p.asin.clone(),
            quantity,
            received,
            label_owner: if prep_type == "ITEM_LABELING" {
                "SELLER"
            } else {
                "NONE"
            },
            prep_owner,
            prep_type,
        }
    };
    for m in &seller.marketplaces {
        let fba: Vec<usize> = seller
            .listings
            .iter()
            .filter(|l| l.marketplace_id == m.id && l.fulfillment == Fulfillment::Afn)
            .map(|l| l.product)
            .collect();
        if fba.is_empty() {
            continue;
        }
        let houses = warehouses(m.country_code);
        // The history: a plan about every month, its shipments closed long ago.
        let mut at = start + Duration::hours(rng.gen_range(24..24 * 20));
        while at < end - Duration::days(45) {
            let mut shipments = vec![];
            let cancelled_plan = rng.gen_bool(0.08);
            for _ in 0..rng.gen_range(1..=3) {
                let mut items = vec![];
                let mut skus = fba.clone();
                for _ in 0..rng.gen_range(1..=skus.len().min(6)) {
                    let product = skus.swap_remove(rng.gen_range(0..skus.len()));
                    let quantity = rng.gen_range(12..400);
                    let received = if cancelled_plan {
                        0
                    } else if rng.gen_bool(0.1) {
                        quantity - rng.gen_range(1..=quantity.min(5))
                    } else {
                        quantity
                    };
                    items.push(item(&mut rng, product, quantity, received));
                }
                let shipment_id = next_id("sh");
                shipments.push(InboundShipment {
                    confirmation_id: format!("FBA{}", &shipment_id[2..11].to_uppercase()),
                    name: format!("FBA ({}) - {}", at.format("%m/%d/%Y %H:%M"), m.country_code),
                    shipment_id,
                    placement_option_id: next_id("pl"),
                    warehouse_id: houses[rng.gen_range(0..houses.len())],
                    status: if cancelled_plan {
                        ShipmentStatus::Cancelled
                    } else {
                        ShipmentStatus::Closed
                    },
                    ready_to_ship: at + Duration::days(2),
                    items,
                });
            }
            plans.push(InboundPlan {
                inbound_plan_id: next_id("wf"),
                name: format!("FBA ({})", at.format("%m/%d/%Y, %I:%M %p")),
                marketplace_id: m.id,
                created_at: at,
                last_updated_at: at + Duration::days(rng.gen_range(3..40)),
                shipments,
            });
            at += Duration::hours(rng.gen_range(24 * 20..24 * 40));
        }
        // The open shipments behind the inventory's inbound figures.
        let levels: Vec<_> = seller
            .inventory
            .iter()
            .filter(|l| l.marketplace_id == m.id)
            .collect();
        let open: [(ShipmentStatus, i64); 3] = [
            (ShipmentStatus::Working, 3),
            (ShipmentStatus::InTransit, 9),
            (ShipmentStatus::Receiving, 18),
        ];
        for (status, days_ago) in open {
            let items: Vec<InboundItem> = levels
                .iter()
                .filter_map(|l| {
                    let (quantity, received) = match status {
                        ShipmentStatus::Working => (l.inbound_working, 0),
                        ShipmentStatus::InTransit => (l.inbound_shipped, 0),
                        _ if l.inbound_receiving > 0 => {
                            let got = rng.gen_range(0..=l.inbound_receiving);
                            (l.inbound_receiving + got, got)
                        }
                        _ => (0, 0),
                    };
                    (quantity > 0).then(|| item(&mut rng, l.product, quantity, received))
                })
                .collect();
            if items.is_empty() {
                continue;
            }
            let created = end - Duration::days(days_ago);
            let shipment_id = next_id("sh");
            plans.push(InboundPlan {
                inbound_plan_id: next_id("wf"),
                name: format!("FBA ({})", created.format("%m/%d/%Y, %I:%M %p")),
                marketplace_id: m.id,
                created_at: created,
                last_updated_at: created + Duration::hours(rng.gen_range(1..48)),
                shipments: vec![InboundShipment {
                    confirmation_id: format!("FBA{}", &shipment_id[2..11].to_uppercase()),
                    name: format!(
                        "FBA ({}) - {}",
                        created.format("%m/%d/%Y %H:%M"),
                        m.country_code
                    ),
                    shipment_id,
                    placement_option_id: next_id("pl"),
                    warehouse_id: houses[rng.gen_range(0..houses.len())],
                    status,
                    ready_to_ship: created + Duration::days(2),
                    items,
                }],
            });
        }
    }
    plans.sort_by(|a, b| {
        (a.created_at, &a.inbound_plan_id).cmp(&(b.created_at, &b.inbound_plan_id))
    });
    Inbound { plans }
}

impl StandIn {
    /// The seller's inbound plans as of now (generated on first use).
    pub fn inbound(&self) -> Inbound {
        self.with_inbound(|i| i.clone())
    }

    pub(crate) fn with_inbound<R>(&self, f: impl FnOnce(&mut Inbound) -> R) -> R {
        let mut guard = self.inbound.lock().expect("inbound");
        let inbound = guard.get_or_insert_with(|| generate(&self.seller));
        f(inbound)
    }

    /// Moves open shipments one status on (all of them, or the one named), or cancels them:
    /// what a seller and Amazon's warehouses do between two sweeps. Answers the shipments
    /// moved with their new status.
    pub fn advance_inbound(
        &self,
        shipment_id: Option<&str>,
        cancel: bool,
    ) -> Vec<(String, &'static str)> {
        // Amazon's times have whole seconds.
        let now = DateTime::from_timestamp(self.now().timestamp(), 0).expect("now");
        self.with_inbound(|inbound| {
            let mut moved = vec![];
            for plan in &mut inbound.plans {
                let mut touched = false;
                for s in &mut plan.shipments {
                    if shipment_id.is_some_and(|id| id != s.shipment_id) || !s.status.is_open() {
                        continue;
                    }
                    let next = if cancel {
                        // Amazon cancels only what has not left the seller yet.
                        if s.status != ShipmentStatus::Working {
                            continue;
                        }
                        ShipmentStatus::Cancelled
                    } else {
                        s.status.next().expect("open")
                    };
                    s.status = next;
                    for i in &mut s.items {
                        i.received = match next {
                            ShipmentStatus::Receiving => i.quantity / 2,
                            ShipmentStatus::Closed => i.quantity,
                            _ => i.received,
                        };
                    }
                    moved.push((s.shipment_id.clone(), next.as_str()));
                    touched = true;
                }
                if touched {
                    plan.last_updated_at = plan.last_updated_at.max(now);
                }
            }
            moved
        })
    }
}

fn address(seller: &Seller, country: &str) -> Value {
    json!({
        "name": "Shipping Department",
        "companyName": seller.store_name,
        "addressLine1": "1200 Commerce Way",
        "city": "Portland",
        "stateOrProvinceCode": "OR",
        "postalCode": "97209",
        "countryCode": if country == "UK" { "GB" } else { "US" },
        "phoneNumber": "5035550100",
        "email": "shipping@example.com",
    })
}

fn summary(seller: &Seller, p: &InboundPlan) -> Value {
    json!({
        "inboundPlanId": p.inbound_plan_id,
        "name": p.name,
        "createdAt": ts(p.created_at),
        "lastUpdatedAt": ts(p.last_updated_at),
        "status": p.status(),
        "marketplaceIds": [p.marketplace_id],
        "sourceAddress": address(seller, "US"),
    })
}

fn item_json(i: &InboundItem) -> Value {
    json!({
        "msku": i.msku,
        "fnsku": i.fnsku,
        "asin": i.asin,
        "quantity": i.quantity,
        "labelOwner": i.label_owner,
        // What live bodies do: an empty string for an item without expiry.
        "expiration": "",
        "prepInstructions": [{"prepType": i.prep_type, "prepOwner": i.prep_owner}],
    })
}

/// The window without seconds, as Amazon's sandbox writes it.
fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%MZ").to_string()
}

fn shipment_json(seller: &Seller, s: &InboundShipment) -> Value {
    let working = s.status == ShipmentStatus::Working;
    json!({
        "shipmentId": s.shipment_id,
        "placementOptionId": s.placement_option_id,
        // What live bodies do: an empty confirmation id until the shipment is confirmed.
        "shipmentConfirmationId": if working { "" } else { s.confirmation_id.as_str() },
        "name": s.name,
        "status": s.status.as_str(),
        "source": {"sourceType": "SELLER_FACILITY", "address": address(seller, "US")},
        "destination": {"destinationType": "AMAZON_WAREHOUSE", "warehouseId": s.warehouse_id},
        "dates": {"readyToShipWindow": {
            "start": minute(s.ready_to_ship),
            "end": minute(s.ready_to_ship + Duration::days(7)),
        }},
    })
}

/// `(offset, saved query)` of a `paginationToken`.
fn token(q: &HashMap<String, String>) -> Result<Option<(usize, Value)>, Response> {
    crate::server::page_token(q.get("paginationToken"))
}

async fn list_inbound_plans(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listInboundPlans";
    let f = crate::guarded!(st, headers, op);
    let (offset, q) = match token(&q) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, crate::server::map_of(&saved)),
        Ok(None) => (0, q),
    };
    let size = match page_size(&q, "pageSize", 10, 30) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let status = q.get("status").map(String::as_str);
    if status.is_some_and(|s| !matches!(s, "ACTIVE" | "VOIDED" | "SHIPPED")) {
        return crate::server::err(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The status is invalid.",
        );
    }
    let by_update = match q.get("sortBy").map(String::as_str) {
        None | Some("LAST_UPDATED_TIME") => true,
        Some("CREATION_TIME") => false,
        Some(_) => return invalid("sortBy must be LAST_UPDATED_TIME or CREATION_TIME"),
    };
    let descending = match q.get("sortOrder").map(String::as_str) {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(_) => return invalid("sortOrder must be ASC or DESC"),
    };
    let seller = &st.seller;
    let mut plans: Vec<Value> = st.with_inbound(|i| {
        let mut chosen: Vec<&InboundPlan> = i
            .plans
            .iter()
            .filter(|p| status.is_none_or(|s| p.status() == s))
            .collect();
        chosen.sort_by(|a, b| {
            let key = |p: &InboundPlan| {
                (
                    if by_update {
                        p.last_updated_at
                    } else {
                        p.created_at
                    },
                    p.inbound_plan_id.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        if descending {
            chosen.reverse();
        }
        chosen.into_iter().map(|p| summary(seller, p)).collect()
    });
    let (chunk, next) = page(&plans, offset, size, &json!(q));
    plans = chunk;
    let mut body = json!({"inboundPlans": plans});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    st.respond(op, StatusCode::OK, body, f)
}

fn find<R>(
    st: &StandIn,
    plan: &str,
    f: impl FnOnce(&Seller, &InboundPlan) -> Result<R, Response>,
) -> Result<R, Response> {
    st.with_inbound(
        |i| match i.plans.iter().find(|p| p.inbound_plan_id == plan) {
            Some(p) => f(&st.seller, p),
            None => Err(crate::server::err(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The requested inbound plan does not exist.",
            )),
        },
    )
}

fn shipment_of<'a>(p: &'a InboundPlan, id: &str) -> Result<&'a InboundShipment, Response> {
    p.shipments
        .iter()
        .find(|s| s.shipment_id == id)
        .ok_or_else(|| {
            crate::server::err(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The requested shipment does not exist for the provided inbound plan.",
            )
        })
}

async fn get_inbound_plan(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(plan): Path<String>,
) -> Response {
    let op = "getInboundPlan";
    let f = crate::guarded!(st, headers, op);
    match find(&st, &plan, |seller, p| {
        let mut body = summary(seller, p);
        body["shipments"] = p
            .shipments
            .iter()
            .map(|s| json!({"shipmentId": s.shipment_id, "status": s.status.as_str()}))
            .collect();
        body["placementOptions"] = p
            .shipments
            .iter()
            .map(|s| json!({"placementOptionId": s.placement_option_id, "status": "ACCEPTED"}))
            .collect();
        body["packingOptions"] = json!([]);
        Ok(body)
    }) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn items_page(items: Vec<InboundItem>, q: HashMap<String, String>) -> Result<Value, Response> {
    let (offset, q) = match token(&q)? {
        Some((o, saved)) => (o, crate::server::map_of(&saved)),
        None => (0, q),
    };
    let size = page_size(&q, "pageSize", 10, 1000)?;
    let (chunk, next) = page(&items, offset, size, &json!(q));
    let mut body = json!({"items": chunk.iter().map(item_json).collect::<Vec<_>>()});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    Ok(body)
}

async fn list_inbound_plan_items(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(plan): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listInboundPlanItems";
    let f = crate::guarded!(st, headers, op);
    match find(&st, &plan, |_, p| items_page(p.items(), q)) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

async fn get_shipment(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path((plan, shipment)): Path<(String, String)>,
) -> Response {
    let op = "getShipment";
    let f = crate::guarded!(st, headers, op);
    match find(&st, &plan, |seller, p| {
        Ok(shipment_json(seller, shipment_of(p, &shipment)?))
    }) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

async fn list_shipment_items(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path((plan, shipment)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listShipmentItems";
    let f = crate::guarded!(st, headers, op);
    match find(&st, &plan, |_, p| {
        items_page(shipment_of(p, &shipment)?.items.clone(), q)
    }) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    shipment_id: Option<String>,
    #[serde(default)]
    cancel: bool,
}

async fn control_advance(State(st): State<Shared>, Json(a): Json<Advance>) -> Response {
    let moved = st.advance_inbound(a.shipment_id.as_deref(), a.cancel);
    if moved.is_empty() && a.shipment_id.is_some() {
        return not_found("no open shipment of that id");
    }
    Json(json!({"moved": moved.iter().map(|(id, s)| json!({"shipmentId": id, "status": s})).collect::<Vec<_>>()}))
        .into_response()
}

/// The inbound ground truth as JSON (`/_stand-in/ground-truth` → `inbound`).
pub fn truth_json(st: &StandIn) -> Value {
    st.with_inbound(|i| {
        Value::Array(
            i.plans
                .iter()
                .map(|p| {
                    json!({
                        "inboundPlanId": p.inbound_plan_id,
                        "name": p.name,
                        "marketplaceId": p.marketplace_id,
                        "status": p.status(),
                        "createdAt": ts(p.created_at),
                        "lastUpdatedAt": ts(p.last_updated_at),
                        "shipments": p.shipments.iter().map(|s| json!({
                            "shipmentId": s.shipment_id,
                            "shipmentConfirmationId": s.confirmation_id,
                            "status": s.status.as_str(),
                            "warehouseId": s.warehouse_id,
                            "items": s.items.iter().map(|i| json!({
                                "msku": i.msku, "fnsku": i.fnsku, "asin": i.asin,
                                "quantity": i.quantity, "receivedQuantity": i.received,
                                "labelOwner": i.label_owner, "prepOwner": i.prep_owner,
                                "prepType": i.prep_type,
                            })).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    })
}
