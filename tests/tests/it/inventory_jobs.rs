//! The inventory's stored results through the API: forecasts the forecasts job stores (read by
//! the GETs, recomputed on the sync's domain events and on the daily schedule, a replayed
//! event writing nothing); alerts published on the bus once when they appear and once when
//! they clear, also when two runs race (both store adapters); order days counted in the
//! marketplace's local day; storage cost per unit from the storage-fee lines; purchase orders
//! linked to FBA shipments, showing each shipment's status.

use super::helpers::*;
use super::inventory_api::{ok_call, recompute, seed, tenant_of, US};
use super::profit_ledger::transaction;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::jobs::Disposition;
use shared::keys::Tenant;
use shared::ports::queue::{Queue, QueueRef, Received};
use shared::ports::Clock;
use shared::records::inbound::{self, InboundItem, InboundShipmentRecord};
use shared::records::inventory::{self, InventoryRecord, StockSource};
use shared::records::ledger::{self, LedgerDay};
use shared::records::orders::{self, Order, OrderItem, Source};
use std::sync::Arc;

const JP: &str = "A1VC38T7YXB528";

/// The job with its alert events routed to a queue of their own.
fn job(app: &TestApp) -> (api_inventory::job::Forecasts, Arc<EmbeddedQueue>, QueueRef) {
    let clock: Arc<dyn Clock> = app.clock.clone();
    let queue = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = queue.declare("inventory-alerts", None);
    let bus = EmbeddedBus::new(queue.clone(), clock.clone());
    bus.route(
        Pattern {
            source: api_inventory::job::SOURCE.into(),
            detail_types: vec![
                api_inventory::job::ALERT_RAISED.into(),
                api_inventory::job::ALERT_CLEARED.into(),
            ],
        },
        q.clone(),
    );
    (
        api_inventory::job::Forecasts {
            store: app.store.clone(),
            bus: Arc::new(bus),
            clock,
        },
        queue,
        q,
    )
}

/// The events on the alerts queue, taken off it: (detail type, alert id, severity).
pub async fn drain(queue: &EmbeddedQueue, q: &QueueRef) -> Vec<(String, String, String)> {
    let mut out = vec![];
    loop {
        let got = queue.receive(q, 10, Duration::minutes(5)).await.unwrap();
        if got.is_empty() {
            break;
        }
        for d in got {
            let e: Value = serde_json::from_str(&d.body).unwrap();
            out.push((
                e["detail-type"].as_str().unwrap().to_string(),
                e["detail"]["alertId"].as_str().unwrap().to_string(),
                e["detail"]["severity"].as_str().unwrap().to_string(),
            ));
            queue.delete(q, &d.receipt).await.unwrap();
        }
    }
    out.sort();
    out
}

fn envelope(
    id: &str,
    source: &str,
    detail_type: &str,
    detail: Value,
    at: DateTime<Utc>,
) -> Received {
    Received {
        message_id: id.into(),
        receipt: format!("r-{id}"),
        body: json!({"version": "0", "id": id, "source": source, "detail-type": detail_type,
            "time": at.to_rfc3339(), "detail": detail})
        .to_string(),
        receive_count: 1,
        sent_at: at,
    }
}

pub fn order(id: &str, m: &str, at: DateTime<Utc>, sku: &str, quantity: i64) -> Order {
    Order {
        amazon_order_id: id.into(),
        marketplace_id: m.into(),
        purchase_date: at,
        last_updated: at,
        status: "SHIPPED".into(),
        fulfilled_by: Some("AMAZON".into()),
        currency: None,
        is_business: Some(false),
        items: vec![OrderItem {
            order_item_id: Some(format!("{id}-1")),
            sku: sku.into(),
            asin: None,
            quantity,
            item_price: Some(Decimal::from(10)),
            shipping_price: None,
            gift_wrap_price: None,
            tax: None,
            discount: None,
            breakdown: None,
        }],
        source: Source::Api,
    }
}

fn stock(
    m: &str,
    sku: &str,
    on_hand: i64,
    unfulfillable: i64,
    at: DateTime<Utc>,
) -> InventoryRecord {
    InventoryRecord {
        marketplace_id: m.into(),
        sku: sku.into(),
        fnsku: Some(format!("X00{sku}")),
        asin: Some(format!("B0{sku}")),
        product_name: Some(format!("Product {sku}")),
        connection: "c".into(),
        fulfillable: on_hand,
        inbound_working: 0,
        inbound_shipped: 0,
        inbound_receiving: 0,
        reserved: 0,
        unfulfillable,
        researching: 0,
        observed_at: at,
        source: StockSource::Api,
    }
}

pub async fn forecast_row(app: &TestApp, s: &Session, sku: &str) -> Value {
    let b = ok_call(
        app,
        s,
        "GET",
        &format!("/api/inventory/forecast?accountId={}", s.account_id),
        None,
    )
    .await;
    b["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == sku)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn inventory_forecasts_are_stored_by_the_job_and_recomputed_on_sync_events_and_daily() {
    let app = TestApp::new();
    let a = app.signed_up("job@a.example").await;
    let t = tenant_of(&app, &a).await;
    seed(&app, &t, "FAST", 400, 10).await; // runs the job once
    let t0 = app.clock.now();
    let f = forecast_row(&app, &a, "FAST").await;
    assert_eq!(f["lastCalculatedAt"], shared::ports::store::rfc3339(t0));
    assert!(
        (f["salesVelocity"].as_f64().unwrap() - 10.0).abs() < 0.5,
        "{f}"
    );

    // Sales the job has not seen yet: the GET serves the stored forecast.
    for d in 1..=30 {
        let o = order(&format!("222-{d}"), US, t0 - Duration::days(d), "FAST", 20);
        orders::put(app.store.as_ref(), &t, &o).await.unwrap();
    }
    app.clock.advance(Duration::minutes(5));
    assert_eq!(
        forecast_row(&app, &a, "FAST").await,
        f,
        "read, not recomputed"
    );

    // The sync's OrdersChanged: recomputed.
    let (job, queue, q) = job(&app);
    let ev = envelope(
        "e1",
        "beddora.sync",
        "OrdersChanged",
        json!({"tenant": t.to_string(), "marketplaceId": US, "orderIds": ["222-1"]}),
        app.clock.now(),
    );
    let out = job.many(std::slice::from_ref(&ev)).await;
    assert_eq!(out, vec![("e1".to_string(), Disposition::Acknowledged)]);
    let t1 = app.clock.now();
    let g = forecast_row(&app, &a, "FAST").await;
    assert_eq!(g["lastCalculatedAt"], shared::ports::store::rfc3339(t1));
    assert!(g["salesVelocity"].as_f64().unwrap() > 20.0, "{g}");

    // The same event again: nothing changed, nothing written.
    app.clock.advance(Duration::minutes(5));
    let out = job.many(std::slice::from_ref(&ev)).await;
    assert_eq!(out[0].1, Disposition::Acknowledged);
    assert_eq!(forecast_row(&app, &a, "FAST").await, g);
    assert_eq!(recompute(&app, &t).await.forecasts_written, 0);

    // The daily schedule recomputes every tenant the job knows: a new day, a new forecast.
    app.clock.advance(Duration::days(1));
    let tick = envelope(
        "tick",
        "aws.events",
        "Scheduled Event",
        json!({}),
        app.clock.now(),
    );
    assert_eq!(job.many(&[tick]).await[0].1, Disposition::Acknowledged);
    let mut a = a;
    a.token = app.login(&a.email, PASSWORD).await.body["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let h = forecast_row(&app, &a, "FAST").await;
    assert_eq!(
        h["lastCalculatedAt"],
        shared::ports::store::rfc3339(app.clock.now())
    );
    // An event of a tenant that does not exist, or none at all, is acknowledged.
    let stray = envelope(
        "stray",
        "beddora.sync",
        "OrdersChanged",
        json!({"tenant": Tenant::create().to_string()}),
        app.clock.now(),
    );
    assert_eq!(job.many(&[stray]).await[0].1, Disposition::Acknowledged);
    assert!(drain(&queue, &q).await.is_empty(), "FAST raises no alert");
}

async fn alerts_publish_once(app: TestApp) {
    let a = app.signed_up("alerts@a.example").await;
    let t = tenant_of(&app, &a).await;
    let now = app.clock.now();
    inventory::put(app.store.as_ref(), &t, &stock(US, "LOW", 5, 2, now))
        .await
        .unwrap();
    let (job, queue, q) = job(&app);
    // Two runs at once: each change claimed and published once.
    let (x, y) = tokio::join!(job.recompute(&t), job.recompute(&t));
    let (x, y) = (x.unwrap(), y.unwrap());
    // Low stock, stranded (unfulfillable) units, and no sales at all: over-stocked.
    assert_eq!(x.raised + y.raised, 3, "{x:?} {y:?}");
    let low = format!("low_stock#{US}#LOW");
    let stranded = format!("stranded_unfulfillable#{US}#LOW");
    let over = format!("overstock#{US}#LOW");
    let raised = |id: &String, sev: &str| {
        (
            api_inventory::job::ALERT_RAISED.to_string(),
            id.clone(),
            sev.to_string(),
        )
    };
    let cleared = |id: &String, sev: &str| {
        (
            api_inventory::job::ALERT_CLEARED.to_string(),
            id.clone(),
            sev.to_string(),
        )
    };
    assert_eq!(
        drain(&queue, &q).await,
        vec![
            raised(&low, "warning"),
            raised(&over, "info"),
            raised(&stranded, "warning"),
        ]
    );
    // The lists show them; a run with nothing changed publishes nothing.
    let listed = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/alerts/all?accountId={}", a.account_id),
        None,
    )
    .await;
    assert_eq!(listed["data"]["total"], 3);
    assert_eq!(job.recompute(&t).await.unwrap().raised, 0);
    assert!(drain(&queue, &q).await.is_empty());
    // Out of stock: the low-stock alert turns critical (published again), nothing is
    // over-stocked any more, the stranded units' alert stays as it is.
    app.clock.advance(Duration::minutes(1));
    inventory::put(
        app.store.as_ref(),
        &t,
        &stock(US, "LOW", 0, 2, app.clock.now()),
    )
    .await
    .unwrap();
    job.recompute(&t).await.unwrap();
    assert_eq!(
        drain(&queue, &q).await,
        vec![cleared(&over, "info"), raised(&low, "critical")]
    );
    // Restocked, by two runs at once: low stock clears once, over-stock is back once.
    app.clock.advance(Duration::minutes(1));
    inventory::put(
        app.store.as_ref(),
        &t,
        &stock(US, "LOW", 80, 2, app.clock.now()),
    )
    .await
    .unwrap();
    let (x, y) = tokio::join!(job.recompute(&t), job.recompute(&t));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!((x.cleared + y.cleared, x.raised + y.raised), (1, 1));
    assert_eq!(
        drain(&queue, &q).await,
        vec![cleared(&low, "critical"), raised(&over, "info")]
    );
    job.recompute(&t).await.unwrap();
    assert!(drain(&queue, &q).await.is_empty());
}

#[tokio::test]
async fn inventory_alerts_are_published_once_when_they_appear_change_and_clear() {
    alerts_publish_once(TestApp::new()).await;
}

#[tokio::test]
async fn inventory_alerts_are_published_once_when_runs_race_on_dynamodb() {
    alerts_publish_once(TestApp::on_dynamodb().await).await;
}

#[tokio::test]
async fn inventory_order_days_are_the_marketplace_local_day() {
    let app = TestApp::new();
    // 2026-06-15 03:00 UTC: 12:00 on the 15th in Tokyo, 20:00 on the 14th in Los Angeles.
    let now: DateTime<Utc> = "2026-06-15T03:00:00Z".parse().unwrap();
    app.clock.set(now);
    let a = app.signed_up("days@a.example").await;
    let t = tenant_of(&app, &a).await;
    let store = app.store.as_ref();
    for (m, sku) in [(JP, "JPSKU"), (US, "USSKU")] {
        inventory::put(store, &t, &stock(m, sku, 1000, 0, now))
            .await
            .unwrap();
    }
    let at = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
    for (id, m, when, sku, units) in [
        // Tokyo: the 15th (today, not in the last 30 days) though the 14th in UTC.
        ("J1", JP, "2026-06-14T16:00:00Z", "JPSKU", 1),
        // Tokyo: May 16th (the window's first day) though May 15th in UTC.
        ("J2", JP, "2026-05-15T16:00:00Z", "JPSKU", 2),
        // Los Angeles: the 13th (yesterday) though the 14th in UTC.
        ("U1", US, "2026-06-14T05:00:00Z", "USSKU", 4),
        // Los Angeles: May 14th (before the window) though May 15th in UTC.
        ("U2", US, "2026-05-15T05:00:00Z", "USSKU", 8),
        // Los Angeles: the 14th, today (not in the last 30 days).
        ("U3", US, "2026-06-14T12:00:00Z", "USSKU", 16),
    ] {
        orders::put(store, &t, &order(id, m, at(when), sku, units))
            .await
            .unwrap();
    }
    recompute(&app, &t).await;
    let k = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/kpis?accountId={}", a.account_id),
        None,
    )
    .await;
    let sold = |sku: &str| {
        k["data"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sku"] == sku)
            .unwrap()["unitsSold30"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(sold("JPSKU"), 2.0);
    assert_eq!(sold("USSKU"), 4.0);
}

fn day_row(m: &str, sku: &str, date: NaiveDate, start: i64, end: i64) -> LedgerDay {
    LedgerDay {
        marketplace_id: m.into(),
        date,
        fnsku: format!("X00{sku}"),
        asin: format!("B0{sku}"),
        sku: sku.into(),
        title: sku.into(),
        disposition: "SELLABLE".into(),
        location: "US".into(),
        starting_balance: start,
        in_transit: 0,
        receipts: end - start,
        customer_shipments: 0,
        customer_returns: 0,
        vendor_returns: 0,
        warehouse_transfers: 0,
        found: 0,
        lost: 0,
        damaged: 0,
        disposed: 0,
        other_events: 0,
        ending_balance: end,
        unknown_events: 0,
    }
}

#[tokio::test]
async fn inventory_storage_cost_per_unit_comes_from_the_storage_fee_lines() {
    let app = TestApp::new();
    let now: DateTime<Utc> = "2026-06-15T18:00:00Z".parse().unwrap();
    app.clock.set(now);
    let a = app.signed_up("storage@a.example").await;
    let t = tenant_of(&app, &a).await;
    let store = app.store.as_ref();
    for sku in ["STORED", "NOFEES"] {
        inventory::put(store, &t, &stock(US, sku, 200, 0, now))
            .await
            .unwrap();
        // 200 units held since long before the 90-day window.
        ledger::put_day(
            store,
            &t,
            &day_row(US, sku, "2025-01-10".parse().unwrap(), 0, 200),
            "v1",
        )
        .await
        .unwrap();
    }
    for tx in [
        transaction(
            "S1",
            "ServiceFee",
            US,
            "2026-04-10T10:00:00Z",
            None,
            Some("STORED"),
            0,
            &[("other-transaction", "Storage Fee", "-36.00")],
        ),
        transaction(
            "S2",
            "ServiceFee",
            US,
            "2026-05-10T10:00:00Z",
            None,
            Some("STORED"),
            0,
            &[("other-transaction", "Storage Fee", "-24.00")],
        ),
        // Before the window: not counted.
        transaction(
            "S0",
            "ServiceFee",
            US,
            "2026-02-10T10:00:00Z",
            None,
            Some("STORED"),
            0,
            &[("other-transaction", "Storage Fee", "-99.00")],
        ),
        // Another kind of fee: not storage.
        transaction(
            "P1",
            "ServiceFee",
            US,
            "2026-05-11T10:00:00Z",
            None,
            Some("STORED"),
            0,
            &[(
                "other-transaction",
                "FBA Inbound Placement Service Fee",
                "-50.00",
            )],
        ),
    ] {
        shared::records::transactions::put(store, &t, &tx)
            .await
            .unwrap();
    }
    recompute(&app, &t).await;
    let k = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/kpis?accountId={}", a.account_id),
        None,
    )
    .await;
    let row = |sku: &str| {
        k["data"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sku"] == sku)
            .unwrap()
            .clone()
    };
    // 60.00 over 90 days of 200 units: 60 / 200 / 90 × 30 = 0.10 per unit and month.
    let s = row("STORED");
    assert_eq!(s["storageCostPerUnit"], json!(0.1), "{s}");
    assert_eq!(s["storageCostCurrency"], "USD");
    assert_eq!(s["storageFees90Days"], json!(60));
    assert!(s["storageCostReason"].is_null());
    let n = row("NOFEES");
    assert!(n["storageCostPerUnit"].is_null());
    assert!(
        n["storageCostReason"]
            .as_str()
            .unwrap()
            .contains("No storage fee"),
        "{n}"
    );
}

fn shipment(id: &str, status: &str, updated: DateTime<Utc>) -> InboundShipmentRecord {
    InboundShipmentRecord {
        shipment_id: id.into(),
        inbound_plan_id: "wf-1".into(),
        connection: "c".into(),
        marketplace_id: Some(US.into()),
        name: Some("Spring restock".into()),
        status: status.into(),
        confirmation_id: Some(format!("FBA{id}")),
        placement_option_id: "po-1".into(),
        destination_type: Some("AMAZON_OPTIMIZED".into()),
        warehouse_id: Some("PHX7".into()),
        ready_to_ship_window: None,
        plan_updated_at: updated,
        items: vec![InboundItem {
            msku: "SKU1".into(),
            fnsku: "X00SKU1".into(),
            asin: "B0SKU1".into(),
            quantity: 120,
            label_owner: "AMAZON".into(),
            prep: vec![],
            expiration: None,
            lot_code: None,
        }],
    }
}

#[tokio::test]
async fn inventory_purchase_orders_link_fba_shipments_and_show_their_status() {
    let app = TestApp::new();
    let a = app.signed_up("links@a.example").await;
    let t = tenant_of(&app, &a).await;
    let store = app.store.as_ref();
    let now = app.clock.now();
    inbound::put_shipment(store, &t, &shipment("sh1", "WORKING", now))
        .await
        .unwrap();
    inbound::put_shipment(store, &t, &shipment("sh2", "SHIPPED", now))
        .await
        .unwrap();
    let sup = ok_call(
        &app,
        &a,
        "POST",
        "/api/suppliers",
        Some(json!({"name": "Acme", "currency": "USD"})),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A purchase order naming a shipment Amazon has; an unknown id is refused.
    let r = app
        .call("POST", "/api/purchase-orders", Some(json!({"supplierId": sup, "poNumber": "PO-X", "items": [{"sku": "SKU1", "quantity": 120, "unitCost": 2}], "fbaShipmentIds": ["nope"]})), Some(&a.token))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    ok_call(&app, &a, "POST", "/api/purchase-orders", Some(json!({"supplierId": sup, "poNumber": "PO-1", "items": [{"sku": "SKU1", "quantity": 120, "unitCost": 2}], "fbaShipmentIds": ["sh1"]}))).await;
    let po = ok_call(&app, &a, "GET", "/api/purchase-orders/PO-1", None).await;
    assert_eq!(po["fbaShipments"], json!(["sh1"]));
    assert_eq!(po["shipments"][0]["status"], "working");
    assert_eq!(po["shipments"][0]["amazonStatus"], "WORKING");
    assert_eq!(po["shipments"][0]["confirmationId"], "FBAsh1");
    assert_eq!(po["shipments"][0]["totalUnits"], 120);
    // A second shipment attached by its FBA id, twice: linked once.
    for _ in 0..2 {
        ok_call(
            &app,
            &a,
            "POST",
            "/api/purchase-orders/PO-1/shipments",
            Some(json!({"shipmentId": "FBAsh2"})),
        )
        .await;
    }
    let r = app
        .call(
            "POST",
            "/api/purchase-orders/PO-1/shipments",
            Some(json!({"shipmentId": "nope"})),
            Some(&a.token),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND);
    // Amazon moves the first shipment on: the order's view follows.
    inbound::put_shipment(
        store,
        &t,
        &shipment("sh1", "RECEIVING", now + Duration::hours(1)),
    )
    .await
    .unwrap();
    let list = ok_call(&app, &a, "GET", "/api/purchase-orders", None).await;
    let po = &list.as_array().unwrap()[0];
    assert_eq!(po["fbaShipments"], json!(["sh1", "FBAsh2"]));
    let statuses: Vec<&str> = po["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["receiving", "shipped"]);
    // The shipments list shows Amazon's shipments with the orders that name them; a synced
    // shipment links from its side too.
    ok_call(&app, &a, "POST", "/api/purchase-orders", Some(json!({"supplierId": sup, "poNumber": "PO-2", "items": [{"sku": "SKU1", "quantity": 5, "unitCost": 2}]}))).await;
    ok_call(
        &app,
        &a,
        "POST",
        "/api/fba-shipments/sh2/purchase-orders",
        Some(json!({"purchaseOrderId": "PO-2"})),
    )
    .await;
    let ships = ok_call(&app, &a, "GET", "/api/fba-shipments", None).await;
    let sh2 = ships
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shipmentId"] == "sh2")
        .unwrap();
    assert_eq!(sh2["purchaseOrderIds"], json!(["PO-1", "PO-2"]));
    assert_eq!(sh2["status"], "shipped");
    assert_eq!(sh2["amazonStatus"], "SHIPPED");
    assert_eq!(sh2["totalUnits"], 120);
    // The UI filters by its own status words.
    let shipped = ok_call(&app, &a, "GET", "/api/fba-shipments?status=shipped", None).await;
    assert!(shipped
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["shipmentId"] == "sh2"));
    assert!(shipped
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "shipped"));
    let po2 = ok_call(&app, &a, "GET", "/api/purchase-orders/PO-2", None).await;
    assert_eq!(po2["shipments"][0]["status"], "shipped");
    // A draft's status is set in the UI's words (and read back in them); others are refused.
    let draft = ok_call(&app, &a, "POST", "/api/fba-shipments", Some(json!({"shipmentName": "Draft", "destination": "PHX7", "products": [{"sku": "SKU1", "quantity": 3}]}))).await;
    let id = draft["id"].as_str().unwrap().to_string();
    assert_eq!(draft["status"], "working");
    for (sent, shown) in [
        ("in_transit", "in_transit"),
        ("received", "received"),
        ("READY_TO_SHIP", "ready_to_ship"),
    ] {
        ok_call(
            &app,
            &a,
            "PATCH",
            &format!("/api/fba-shipments/{id}/status"),
            Some(json!({"status": sent})),
        )
        .await;
        let got = ok_call(&app, &a, "GET", &format!("/api/fba-shipments/{id}"), None).await;
        assert_eq!(got["status"], shown, "{sent}");
    }
    let r = app
        .call(
            "PATCH",
            &format!("/api/fba-shipments/{id}/status"),
            Some(json!({"status": "lost"})),
            Some(&a.token),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_ledger_history_that_starts_with_stock_on_hand_opens_with_amazons_starting_balance() {
    let app = TestApp::new();
    let now: DateTime<Utc> = "2026-06-15T18:00:00Z".parse().unwrap();
    app.clock.set(now);
    let a = app.signed_up("opening@a.example").await;
    let t = tenant_of(&app, &a).await;
    let store = app.store.as_ref();
    inventory::put(store, &t, &stock(US, "HELD", 12, 0, now))
        .await
        .unwrap();
    // Amazon's history begins on 10 June with 10 units already there; 2 more arrive on 12 June.
    for (d, start, end) in [("2026-06-10", 10, 10), ("2026-06-12", 10, 12)] {
        ledger::put_day(
            store,
            &t,
            &day_row(US, "HELD", d.parse().unwrap(), start, end),
            "v1",
        )
        .await
        .unwrap();
    }
    let r = ok_call(
        &app,
        &a,
        "GET",
        &format!(
            "/api/inventory/HELD/ledger?marketplaceId={US}&startDate=2026-06-09&endDate=2026-06-13"
        ),
        None,
    )
    .await;
    let days: Vec<(String, i64, i64)> = r["data"]["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["startingBalance"].as_i64().unwrap(),
                d["endingBalance"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-06-09".to_string(), 10, 10),
            ("2026-06-10".to_string(), 10, 10),
            ("2026-06-11".to_string(), 10, 10),
            ("2026-06-12".to_string(), 10, 12),
            ("2026-06-13".to_string(), 12, 12),
        ]
    );
}
