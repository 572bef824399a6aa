//! Suppliers and purchase orders.
//!
//! A purchase order goes draft → ordered → shipped → (partially received) → received, or is
//! cancelled before it ships. Units arrive by receipts (`POST /api/purchase-orders/{id}/receipts`,
//! keyed by the caller's `receiptId`, so a retried receipt is recorded once): each received
//! line becomes a FIFO COGS batch of the profit engine (`shared::costs::cogs::Batch`, id
//! `po-<poId>-<receiptId>-<line>`) at the line's unit cost plus the receipt's shipping, duty
//! and other costs spread over its units (the last line takes the rounding remainder, so the
//! batches sum to the receipt exactly). The order is written first, guarded by its revision;
//! the batches after it, each created once by its id: a crash between the two is repaired by
//! retrying the same receipt.

use crate::docs::{self, Doc};
use crate::links::ShipmentIndex;
use crate::{bare, context, created, money, new_id, Filters};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::costs::{self, cogs::Batch};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::keys::Tenant;
use shared::ports::store::rfc3339;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Supplier {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub email: Option<String>,
    pub website: Option<String>,
    pub comment: Option<String>,
    pub contact_person: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub tax_id: Option<String>,
    pub payment_terms: Option<String>,
    pub lead_time_days: Option<u32>,
    pub fba_inbound_days: Option<u32>,
    pub moq: Option<i64>,
    pub case_pack: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Doc for Supplier {
    const KIND: &'static str = "supplier";
    fn id(&self) -> String {
        self.id.clone()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierBody {
    account_id: Option<String>,
    name: Option<String>,
    currency: Option<String>,
    email: Option<String>,
    website: Option<String>,
    comment: Option<String>,
    contact_person: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    tax_id: Option<String>,
    payment_terms: Option<String>,
    lead_time_days: Option<u32>,
    fba_inbound_days: Option<u32>,
    moq: Option<i64>,
    case_pack: Option<i64>,
}

fn supplier_json(s: &Supplier) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    v["createdAt"] = json!(rfc3339(s.created_at));
    v["updatedAt"] = json!(rfc3339(s.updated_at));
    v
}

fn apply_supplier(s: &mut Supplier, b: SupplierBody, v: &mut Validator) {
    if let Some(n) = b.name {
        v.check(
            !n.trim().is_empty() && n.len() <= 200,
            "name",
            "must be 1 to 200 characters",
        );
        s.name = n.trim().to_string();
    }
    if let Some(c) = b.currency {
        let ok = shared::domain::Currency::parse(&c).is_ok();
        v.check(ok, "currency", "must be a supported ISO 4217 code");
        s.currency = c.to_uppercase();
    }
    if let Some(e) = &b.email {
        v.check(
            e.is_empty() || e.contains('@'),
            "email",
            "must be an email address",
        );
    }
    v.check(
        b.lead_time_days.is_none_or(|d| d <= 365),
        "leadTimeDays",
        "must be 0 to 365",
    );
    v.check(
        b.fba_inbound_days.is_none_or(|d| d <= 120),
        "fbaInboundDays",
        "must be 0 to 120",
    );
    v.check(
        b.moq.is_none_or(|m| (0..=10_000_000).contains(&m)),
        "moq",
        "must be 0 to 10,000,000",
    );
    v.check(
        b.case_pack.is_none_or(|m| (1..=100_000).contains(&m)),
        "casePack",
        "must be 1 to 100,000",
    );
    macro_rules! set {
        ($($f:ident),*) => { $( if b.$f.is_some() { s.$f = b.$f; } )* };
    }
    set!(
        email,
        website,
        comment,
        contact_person,
        phone,
        address,
        tax_id,
        payment_terms,
        lead_time_days,
        fba_inbound_days,
        moq,
        case_pack
    );
}

/// `GET /api/suppliers`: bare array.
pub async fn suppliers(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let mut all = docs::list::<Supplier>(state.store.as_ref(), ctx.tenant()).await?;
    all.sort_by_key(|a| a.name.to_lowercase());
    let q = f.search_text();
    Ok(bare(json!(all
        .iter()
        .filter(|s| q.as_ref().is_none_or(|q| s.name.to_lowercase().contains(q)))
        .map(supplier_json)
        .collect::<Vec<_>>())))
}

/// `POST /api/suppliers`: 201 with the supplier.
pub async fn create_supplier(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<SupplierBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), "inventory.write").await?;
    let mut v = Validator::new();
    v.check(
        b.name.as_ref().is_some_and(|n| !n.trim().is_empty()),
        "name",
        "is required",
    );
    v.check(b.currency.is_some(), "currency", "is required");
    let now = state.clock.now();
    let mut s = Supplier {
        id: new_id(),
        name: String::new(),
        currency: String::new(),
        email: None,
        website: None,
        comment: None,
        contact_person: None,
        phone: None,
        address: None,
        tax_id: None,
        payment_terms: None,
        lead_time_days: None,
        fba_inbound_days: None,
        moq: None,
        case_pack: None,
        created_at: now,
        updated_at: now,
    };
    apply_supplier(&mut s, b, &mut v);
    v.finish()?;
    docs::create(state.store.as_ref(), ctx.tenant(), &s).await?;
    Ok(created(supplier_json(&s)))
}

/// `GET /api/suppliers/{id}`.
pub async fn supplier(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let s = docs::found::<Supplier>(state.store.as_ref(), ctx.tenant(), &id, "Supplier").await?;
    Ok(bare(supplier_json(&s.doc)))
}

/// `PATCH /api/suppliers/{id}`.
pub async fn update_supplier(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<SupplierBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), "inventory.write").await?;
    let store = state.store.as_ref();
    let mut s = docs::found::<Supplier>(store, ctx.tenant(), &id, "Supplier").await?;
    let mut v = Validator::new();
    apply_supplier(&mut s.doc, b, &mut v);
    v.finish()?;
    s.doc.updated_at = state.clock.now();
    docs::replace(store, ctx.tenant(), &s.doc, s.rev).await?;
    Ok(bare(supplier_json(&s.doc)))
}

/// `DELETE /api/suppliers/{id}`: 204; 409 while a purchase order names it.
pub async fn delete_supplier(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.delete").await?;
    let store = state.store.as_ref();
    docs::found::<Supplier>(store, ctx.tenant(), &id, "Supplier").await?;
    if docs::list::<PurchaseOrder>(store, ctx.tenant())
        .await?
        .iter()
        .any(|p| p.supplier_id == id)
    {
        return Err(Error::Conflict("Purchase orders name this supplier".into()));
    }
    docs::delete::<Supplier>(store, ctx.tenant(), &id, "Supplier").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoLine {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub unit_cost: Decimal,
    pub received_quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub id: String,
    pub received_at: DateTime<Utc>,
    /// (line id, units).
    pub lines: Vec<(String, i64)>,
    pub shipping_cost: Decimal,
    pub duty_cost: Decimal,
    pub other_cost: Decimal,
    pub batch_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrder {
    pub id: String,
    pub po_number: String,
    pub po_date: NaiveDate,
    pub supplier_id: String,
    pub marketplace_id: Option<String>,
    pub status: String,
    pub estimated_arrival: Option<NaiveDate>,
    pub comment: Option<String>,
    pub lines: Vec<PoLine>,
    pub receipts: Vec<Receipt>,
    pub fba_shipment_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Doc for PurchaseOrder {
    const KIND: &'static str = "po";
    fn id(&self) -> String {
        self.id.clone()
    }
}

pub const STATUSES: [&str; 6] = [
    "draft",
    "ordered",
    "shipped",
    "partially_received",
    "received",
    "cancelled",
];

impl PurchaseOrder {
    fn units(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
    fn cost(&self) -> Decimal {
        self.lines
            .iter()
            .map(|l| l.unit_cost * Decimal::from(l.quantity))
            .sum()
    }
}

/// What an order's view joins: its supplier and its shipments.
pub struct Lookups {
    suppliers: HashMap<String, Supplier>,
    shipments: ShipmentIndex,
}

fn po_json(p: &PurchaseOrder, lookups: &Lookups) -> Value {
    let s = lookups.suppliers.get(&p.supplier_id);
    json!({
        "id": p.id, "poNumber": p.po_number, "poDate": p.po_date.to_string(),
        "supplierId": p.supplier_id,
        "supplier": {"id": p.supplier_id, "name": s.map(|s| s.name.clone()).unwrap_or_default()},
        "currency": s.map(|s| s.currency.clone()),
        "marketplaceId": p.marketplace_id,
        "products": p.lines.iter().map(|l| json!({"id": l.id, "sku": l.sku, "quantity": l.quantity,
            "unitCost": money(l.unit_cost), "receivedQuantity": l.received_quantity,
            "totalCost": money(l.unit_cost * Decimal::from(l.quantity))})).collect::<Vec<_>>(),
        "totalUnits": p.units(), "totalCost": money(p.cost()),
        "receivedUnits": p.lines.iter().map(|l| l.received_quantity).sum::<i64>(),
        "estimatedArrival": p.estimated_arrival.map(|d| d.to_string()),
        "comment": p.comment, "fbaShipments": p.fba_shipment_ids, "status": p.status,
        "shipments": lookups.shipments.of(p),
        "receipts": p.receipts.iter().map(|r| json!({"id": r.id, "receivedAt": rfc3339(r.received_at),
            "lines": r.lines.iter().map(|(l, q)| json!({"lineId": l, "quantity": q})).collect::<Vec<_>>(),
            "shippingCost": money(r.shipping_cost), "dutyCost": money(r.duty_cost), "otherCost": money(r.other_cost),
            "batchIds": r.batch_ids})).collect::<Vec<_>>(),
        "createdAt": rfc3339(p.created_at), "updatedAt": rfc3339(p.updated_at),
    })
}

async fn supplier_map(state: &AppState, t: &Tenant) -> Result<Lookups> {
    Ok(Lookups {
        suppliers: docs::list::<Supplier>(state.store.as_ref(), t)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect(),
        shipments: ShipmentIndex::load(state.store.as_ref(), t).await?,
    })
}

/// An order as its view shows it.
pub async fn po_view(state: &AppState, t: &Tenant, p: &PurchaseOrder) -> Result<Value> {
    Ok(po_json(p, &supplier_map(state, t).await?))
}

/// The shipment ids a body names: each must be a known shipment (synced or a draft).
async fn shipment_ids(
    state: &AppState,
    t: &Tenant,
    v: &mut Validator,
    ids: Option<Vec<String>>,
) -> Result<Option<Vec<String>>> {
    let Some(mut ids) = ids else {
        return Ok(None);
    };
    ids.retain(|s| !s.trim().is_empty());
    ids.dedup();
    if !ids.is_empty() {
        let index = ShipmentIndex::load(state.store.as_ref(), t).await?;
        let unknown: Vec<&String> = ids.iter().filter(|i| index.get(i).is_none()).collect();
        v.check(
            unknown.is_empty(),
            "fbaShipmentIds",
            "names a shipment that is neither synced nor a draft",
        );
    }
    Ok(Some(ids))
}

fn parse_date(v: &mut Validator, field: &str, s: Option<&str>) -> Option<NaiveDate> {
    let s = s?;
    let d = NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok();
    v.check(d.is_some(), field, "must be a date (YYYY-MM-DD)");
    d
}

fn filtered(all: Vec<PurchaseOrder>, f: &Filters, v: &mut Validator) -> Vec<PurchaseOrder> {
    let from = parse_date(v, "startDate", f.start_date.as_deref());
    let to = parse_date(v, "endDate", f.end_date.as_deref());
    let q = f
        .search_text()
        .or_else(|| f.rest.get("searchByPOName").map(|s| s.to_lowercase()));
    all.into_iter()
        .filter(|p| f.status.as_deref().is_none_or(|s| s == p.status))
        .filter(|p| f.supplier_id.as_deref().is_none_or(|s| s == p.supplier_id))
        .filter(|p| {
            f.marketplace_id
                .as_deref()
                .is_none_or(|m| p.marketplace_id.as_deref() == Some(m))
        })
        .filter(|p| {
            f.sku
                .as_deref()
                .is_none_or(|s| p.lines.iter().any(|l| l.sku == s))
        })
        .filter(|p| {
            q.as_ref()
                .is_none_or(|q| p.po_number.to_lowercase().contains(q))
        })
        .filter(|p| from.is_none_or(|d| p.po_date >= d) && to.is_none_or(|d| p.po_date <= d))
        .collect()
}

/// `GET /api/purchase-orders`: bare array, newest first.
pub async fn purchase_orders(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let mut v = Validator::new();
    let mut all = filtered(
        docs::list::<PurchaseOrder>(state.store.as_ref(), ctx.tenant()).await?,
        &f,
        &mut v,
    );
    v.finish()?;
    all.sort_by(|a, b| (b.po_date, &b.po_number).cmp(&(a.po_date, &a.po_number)));
    let sup = supplier_map(&state, ctx.tenant()).await?;
    Ok(bare(json!(all
        .iter()
        .map(|p| po_json(p, &sup))
        .collect::<Vec<_>>())))
}

/// `GET /api/purchase-orders/summary`: bare `[{status, count, totalCost, totalUnits}]`, one per
/// status.
pub async fn po_summary(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let mut v = Validator::new();
    let all = filtered(
        docs::list::<PurchaseOrder>(state.store.as_ref(), ctx.tenant()).await?,
        &f,
        &mut v,
    );
    v.finish()?;
    Ok(bare(json!(STATUSES.iter().map(|s| {
        let of: Vec<&PurchaseOrder> = all.iter().filter(|p| p.status == *s).collect();
        json!({"status": s, "count": of.len(), "totalCost": money(of.iter().map(|p| p.cost()).sum()),
            "totalUnits": of.iter().map(|p| p.units()).sum::<i64>()})
    }).collect::<Vec<_>>())))
}

/// `GET /api/purchase-orders/{id}`: bare object.
pub async fn purchase_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.read").await?;
    let p = docs::found::<PurchaseOrder>(state.store.as_ref(), ctx.tenant(), &id, "Purchase order")
        .await?;
    Ok(bare(po_json(
        &p.doc,
        &supplier_map(&state, ctx.tenant()).await?,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineBody {
    sku: Option<String>,
    product_id: Option<String>,
    quantity: Option<i64>,
    unit_cost: Option<Decimal>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoBody {
    account_id: Option<String>,
    supplier_id: Option<String>,
    marketplace_id: Option<String>,
    po_number: Option<String>,
    estimated_delivery_date: Option<String>,
    estimated_arrival: Option<String>,
    comment: Option<String>,
    items: Option<Vec<LineBody>>,
    products: Option<Vec<LineBody>>,
    status: Option<String>,
    /// The FBA shipments the order goes into (Amazon's shipment or `FBA…` ids, or drafts).
    fba_shipment_ids: Option<Vec<String>>,
}

fn lines_of(v: &mut Validator, items: Vec<LineBody>) -> Vec<PoLine> {
    v.check(!items.is_empty(), "items", "must hold at least one line");
    v.check(items.len() <= 500, "items", "must hold at most 500 lines");
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let sku = l.sku.or(l.product_id).unwrap_or_default();
            let q = l.quantity.unwrap_or(0);
            let c = l.unit_cost.unwrap_or(Decimal::NEGATIVE_ONE);
            v.check(
                !sku.trim().is_empty(),
                &format!("items[{i}].sku"),
                "is required",
            );
            v.check(
                seen.insert(sku.clone()),
                &format!("items[{i}].sku"),
                "appears twice",
            );
            v.check(
                (1..=10_000_000).contains(&q),
                &format!("items[{i}].quantity"),
                "must be 1 to 10,000,000",
            );
            v.check(
                c >= Decimal::ZERO && c < Decimal::from(1_000_000),
                &format!("items[{i}].unitCost"),
                "must be 0 to 1,000,000",
            );
            PoLine {
                id: format!("{}", i + 1),
                sku: sku.trim().to_string(),
                quantity: q,
                unit_cost: c,
                received_quantity: 0,
            }
        })
        .collect()
}

async fn create_po(state: &AppState, t: &Tenant, b: PoBody) -> Result<PurchaseOrder> {
    let mut v = Validator::new();
    let number = b.po_number.clone().unwrap_or_default();
    v.check(
        !number.is_empty()
            && number.len() <= 64
            && number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "poNumber",
        "is required: 1 to 64 letters, digits, '-', '_' or '.'",
    );
    let supplier = b.supplier_id.clone().unwrap_or_default();
    v.check(!supplier.is_empty(), "supplierId", "is required");
    let eta = parse_date(
        &mut v,
        "estimatedDeliveryDate",
        b.estimated_delivery_date
            .as_deref()
            .or(b.estimated_arrival.as_deref()),
    );
    let lines = lines_of(&mut v, b.items.or(b.products).unwrap_or_default());
    if let Some(m) = &b.marketplace_id {
        v.check(
            shared::marketplaces::by_id(m).is_some(),
            "marketplaceId",
            "is not an Amazon marketplace",
        );
    }
    let shipments = shipment_ids(state, t, &mut v, b.fba_shipment_ids)
        .await?
        .unwrap_or_default();
    v.finish()?;
    let store = state.store.as_ref();
    docs::found::<Supplier>(store, t, &supplier, "Supplier").await?;
    let now = state.clock.now();
    let p = PurchaseOrder {
        id: number.clone(),
        po_number: number,
        po_date: now.date_naive(),
        supplier_id: supplier,
        marketplace_id: b.marketplace_id,
        status: "draft".into(),
        estimated_arrival: eta,
        comment: b.comment,
        lines,
        receipts: vec![],
        fba_shipment_ids: shipments,
        created_at: now,
        updated_at: now,
    };
    docs::create(store, t, &p).await.map_err(|e| match e {
        Error::Conflict(_) => Error::Conflict("A purchase order with this number exists".into()),
        e => e,
    })?;
    Ok(p)
}

/// `POST /api/purchase-orders`: `{accountId, supplierId, marketplaceId?, poNumber,
/// estimatedDeliveryDate?, items[]{sku, quantity, unitCost}}`; 201 with the order (a draft).
/// The PO number is its id: posting the same number twice is 409, never two orders.
pub async fn create_purchase_order(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<PoBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), "inventory.write").await?;
    let p = create_po(&state, ctx.tenant(), b).await?;
    Ok(created(po_json(
        &p,
        &supplier_map(&state, ctx.tenant()).await?,
    )))
}

/// `POST /api/inventory/planner/purchase-order`: `{productIds[], supplierId, quantities{}, notes?, poNumber?}`
/// (product ids are `<marketplaceId>:<sku>`), a draft order at the supplier's... unit cost 0
/// until the seller sets it.
pub async fn planner_purchase_order(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b["accountId"].as_str(), "inventory.write").await?;
    let ids: Vec<String> = b["productIds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let items = ids
        .iter()
        .map(|id| {
            let (m, sku) = id
                .split_once(':')
                .map(|(m, s)| (Some(m.to_string()), s.to_string()))
                .unwrap_or((None, id.clone()));
            let _ = m;
            LineBody {
                sku: Some(sku),
                product_id: None,
                quantity: b["quantities"][id].as_i64(),
                unit_cost: Some(Decimal::ZERO),
            }
        })
        .collect();
    let now = state.clock.now();
    let body = PoBody {
        account_id: None,
        supplier_id: b["supplierId"].as_str().map(str::to_string),
        marketplace_id: ids
            .first()
            .and_then(|id| id.split_once(':'))
            .map(|(m, _)| m.to_string()),
        po_number: Some(
            b["poNumber"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("PO-{}", now.format("%Y%m%d%H%M%S%3f"))),
        ),
        estimated_delivery_date: None,
        estimated_arrival: None,
        comment: b["notes"].as_str().map(str::to_string),
        items: Some(items),
        products: None,
        status: None,
        fba_shipment_ids: None,
    };
    let p = create_po(&state, ctx.tenant(), body).await?;
    Ok(created(po_json(
        &p,
        &supplier_map(&state, ctx.tenant()).await?,
    )))
}

fn transition_ok(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("draft", "ordered")
            | ("ordered", "shipped")
            | ("draft", "cancelled")
            | ("ordered", "cancelled")
            | ("ordered", "draft")
    ) || from == to
}

/// `PATCH /api/purchase-orders/{id}`: supplier, lines (drafts only), dates, comment, status.
pub async fn update_purchase_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<PoBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), "inventory.write").await?;
    let store = state.store.as_ref();
    let t = ctx.tenant();
    let mut p = docs::found::<PurchaseOrder>(store, t, &id, "Purchase order").await?;
    let mut v = Validator::new();
    if let Some(s) = &b.supplier_id {
        docs::found::<Supplier>(store, t, s, "Supplier").await?;
        p.doc.supplier_id = s.clone();
    }
    if let Some(d) = parse_date(
        &mut v,
        "estimatedArrival",
        b.estimated_arrival
            .as_deref()
            .or(b.estimated_delivery_date.as_deref()),
    ) {
        p.doc.estimated_arrival = Some(d);
    }
    if b.comment.is_some() {
        p.doc.comment = b.comment.clone();
    }
    if let Some(ids) = shipment_ids(&state, t, &mut v, b.fba_shipment_ids.clone()).await? {
        p.doc.fba_shipment_ids = ids;
    }
    if let Some(items) = b.items.or(b.products) {
        v.check(
            p.doc.status == "draft",
            "items",
            "can change only while the order is a draft",
        );
        p.doc.lines = lines_of(&mut v, items);
    }
    if let Some(s) = &b.status {
        v.check(
            STATUSES.contains(&s.as_str()),
            "status",
            "is not a purchase order status",
        );
        v.check(
            transition_ok(&p.doc.status, s),
            "status",
            "cannot move there from the order's status (units are received by a receipt)",
        );
        p.doc.status = s.clone();
    }
    v.finish()?;
    p.doc.updated_at = state.clock.now();
    docs::replace(store, t, &p.doc, p.rev).await?;
    Ok(bare(po_json(&p.doc, &supplier_map(&state, t).await?)))
}

/// `PATCH /api/purchase-orders/{id}/status`: `{status}`.
pub async fn update_po_status(
    state: State<AppState>,
    auth: AuthUser,
    id: Path<String>,
    JsonBody(b): JsonBody<Value>,
) -> Result<Response> {
    let body = PoBody {
        account_id: b["accountId"].as_str().map(str::to_string),
        supplier_id: None,
        marketplace_id: None,
        po_number: None,
        estimated_delivery_date: None,
        estimated_arrival: None,
        comment: None,
        items: None,
        products: None,
        status: Some(b["status"].as_str().unwrap_or_default().to_string()),
        fba_shipment_ids: None,
    };
    update_purchase_order(state, auth, id, JsonBody(body)).await
}

/// `DELETE /api/purchase-orders/{id}`: drafts and cancelled orders only; 204.
pub async fn delete_purchase_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(f): QueryParams<Filters>,
) -> Result<Response> {
    let ctx = context(&state, &auth, f.account_id.as_deref(), "inventory.delete").await?;
    let store = state.store.as_ref();
    let p = docs::found::<PurchaseOrder>(store, ctx.tenant(), &id, "Purchase order").await?;
    if !matches!(p.doc.status.as_str(), "draft" | "cancelled") {
        return Err(Error::Conflict(
            "Only draft or cancelled purchase orders can be deleted".into(),
        ));
    }
    docs::delete::<PurchaseOrder>(store, ctx.tenant(), &id, "Purchase order").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLineBody {
    sku: Option<String>,
    quantity: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptBody {
    account_id: Option<String>,
    receipt_id: Option<String>,
    received_at: Option<DateTime<Utc>>,
    lines: Option<Vec<ReceiptLineBody>>,
    shipping_cost: Option<Decimal>,
    duty_cost: Option<Decimal>,
    other_cost: Option<Decimal>,
}

/// Splits `total` over `weights` in proportion, to the cent, the last share taking the rest.
fn spread(total: Decimal, weights: &[i64]) -> Vec<Decimal> {
    let sum: i64 = weights.iter().sum();
    let mut out = vec![];
    let mut given = Decimal::ZERO;
    for (i, w) in weights.iter().enumerate() {
        if i + 1 == weights.len() {
            out.push(total - given);
        } else {
            let s = (total * Decimal::from(*w) / Decimal::from(sum.max(1))).round_dp(2);
            given += s;
            out.push(s);
        }
    }
    out
}

/// `POST /api/purchase-orders/{id}/receipts`: `{receiptId, receivedAt?, lines[]{sku, quantity},
/// shippingCost?, dutyCost?, otherCost?}`. Records the units received (at most what is still
/// open per line), moves the order to partially received or received, and creates one FIFO
/// COGS batch per line with its landed cost. The same `receiptId` again answers the receipt
/// already recorded (200) without counting it twice.
pub async fn receive(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReceiptBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, b.account_id.as_deref(), "inventory.write").await?;
    let store = state.store.as_ref();
    let t = ctx.tenant();
    let mut v = Validator::new();
    let rid = b.receipt_id.clone().unwrap_or_default();
    v.check(
        !rid.is_empty()
            && rid.len() <= 64
            && rid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "receiptId",
        "is required: 1 to 64 letters, digits, '-', '_' or '.'",
    );
    let costs: Vec<Decimal> = [
        ("shippingCost", b.shipping_cost),
        ("dutyCost", b.duty_cost),
        ("otherCost", b.other_cost),
    ]
    .iter()
    .map(|(f, c)| {
        let c = c.unwrap_or_default();
        v.check(
            c >= Decimal::ZERO && c < Decimal::from(1_000_000_000),
            f,
            "must be 0 to 1,000,000,000",
        );
        c
    })
    .collect();
    let wanted = b.lines.unwrap_or_default();
    v.check(!wanted.is_empty(), "lines", "must hold at least one line");
    v.finish()?;
    let mut attempt = 0;
    let (po, receipt) = loop {
        attempt += 1;
        let mut p = docs::found::<PurchaseOrder>(store, t, &id, "Purchase order").await?;
        if let Some(r) = p.doc.receipts.iter().find(|r| r.id == rid).cloned() {
            ensure_batches(store, t, &p.doc, &r, state.clock.now()).await?;
            return Ok(bare(
                json!({"receipt": rid, "batchIds": r.batch_ids, "purchaseOrder": po_json(&p.doc, &supplier_map(&state, t).await?)}),
            ));
        }
        let mut v = Validator::new();
        v.check(
            matches!(
                p.doc.status.as_str(),
                "ordered" | "shipped" | "partially_received"
            ),
            "status",
            "units can be received once the order is ordered or shipped",
        );
        let mut lines = vec![];
        for (i, w) in wanted.iter().enumerate() {
            let q = w.quantity.unwrap_or(0);
            let line = p
                .doc
                .lines
                .iter_mut()
                .find(|l| Some(&l.sku) == w.sku.as_ref());
            match line {
                None => v.push(&format!("lines[{i}].sku"), "is not a line of this order"),
                Some(l) => {
                    let open = l.quantity - l.received_quantity;
                    v.check(
                        q >= 1 && q <= open,
                        &format!("lines[{i}].quantity"),
                        &format!("must be 1 to the {open} units still open"),
                    );
                    l.received_quantity += q.max(0);
                    lines.push((l.id.clone(), q));
                }
            }
        }
        v.finish()?;
        let now = state.clock.now();
        let r = Receipt {
            id: rid.clone(),
            received_at: b.received_at.unwrap_or(now),
            batch_ids: lines
                .iter()
                .map(|(l, _)| format!("po-{}-{}-{}", p.doc.id, rid, l))
                .collect(),
            lines,
            shipping_cost: costs[0],
            duty_cost: costs[1],
            other_cost: costs[2],
        };
        p.doc.receipts.push(r.clone());
        p.doc.status = if p
            .doc
            .lines
            .iter()
            .all(|l| l.received_quantity >= l.quantity)
        {
            "received"
        } else {
            "partially_received"
        }
        .into();
        p.doc.updated_at = now;
        match docs::replace(store, t, &p.doc, p.rev).await {
            Ok(()) => break (p.doc, r),
            Err(Error::Conflict(_)) if attempt < docs::EDIT_ATTEMPTS => {
                docs::pause_after_conflict(attempt).await
            }
            Err(e) => return Err(e),
        }
    };
    ensure_batches(store, t, &po, &receipt, state.clock.now()).await?;
    let body = json!({"receipt": receipt.id, "batchIds": receipt.batch_ids, "purchaseOrder": po_json(&po, &supplier_map(&state, t).await?)});
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The receipt's COGS batches, each created once by its id.
async fn ensure_batches(
    store: &dyn shared::ports::Store,
    t: &Tenant,
    p: &PurchaseOrder,
    r: &Receipt,
    now: DateTime<Utc>,
) -> Result<()> {
    let weights: Vec<i64> = r.lines.iter().map(|(_, q)| *q).collect();
    let shares: Vec<Vec<Decimal>> = [r.shipping_cost, r.duty_cost, r.other_cost]
        .iter()
        .map(|c| spread(*c, &weights))
        .collect();
    for (i, ((line_id, q), batch_id)) in r.lines.iter().zip(&r.batch_ids).enumerate() {
        let Some(line) = p.lines.iter().find(|l| &l.id == line_id) else {
            continue;
        };
        let batch = Batch {
            id: batch_id.clone(),
            sku: line.sku.clone(),
            marketplace_id: p.marketplace_id.clone(),
            quantity: *q,
            unit_cost: line.unit_cost,
            shipping_cost: shares[0][i],
            duty_cost: shares[1][i],
            other_cost: shares[2][i],
            received_at: r.received_at,
            notes: Some(format!("Purchase order {}, receipt {}", p.po_number, r.id)),
            created_at: now,
            updated_at: now,
        };
        match costs::create(store, t, &batch).await {
            Ok(()) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A COGS batch as the KPIs show it.
pub struct BatchRef {
    pub id: String,
    pub received_at: String,
    pub quantity: i64,
}

/// Every COGS batch of the tenant by SKU, oldest first.
pub async fn batches_by_sku(
    store: &dyn shared::ports::Store,
    t: &Tenant,
) -> Result<HashMap<String, Vec<BatchRef>>> {
    let mut all: Vec<Batch> = costs::all::<Batch>(store, t).await?;
    all.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
    let mut out: HashMap<String, Vec<BatchRef>> = HashMap::new();
    for b in all {
        out.entry(b.sku.clone()).or_default().push(BatchRef {
            id: b.id,
            received_at: rfc3339(b.received_at),
            quantity: b.quantity,
        });
    }
    Ok(out)
}

/// Open purchase order units per SKU (ordered or shipped, not yet received).
pub async fn open_units(
    store: &dyn shared::ports::Store,
    t: &Tenant,
) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for p in docs::list::<PurchaseOrder>(store, t).await? {
        if matches!(
            p.status.as_str(),
            "ordered" | "shipped" | "partially_received"
        ) {
            for l in p.lines {
                *out.entry(l.sku).or_default() += l.quantity - l.received_quantity;
            }
        }
    }
    Ok(out)
}
