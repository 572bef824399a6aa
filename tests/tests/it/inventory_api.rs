//! The inventory API through the merged router: stock, forecast and KPI shapes the UI reads
//! (literal routes before `{sku}`), suppliers, purchase orders whose receipts become FIFO COGS
//! batches, the reseller workflow, and every inventory route aimed at another tenant.

use super::helpers::*;
use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::domain::TenantId;
use shared::keys::Tenant;
use shared::ports::Clock;
use shared::records::inventory::{self, InventoryRecord, StockSource};
use shared::records::orders::{self, Order, OrderItem, Source};

pub const US: &str = "ATVPDKIKX0DER";

pub async fn tenant_of(app: &TestApp, s: &Session) -> Tenant {
    shared::identity::tenancy::existing(
        app.store.as_ref(),
        &TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
}

/// A SKU with `on_hand` units and `per_day` sold every day of the last 120 days.
pub async fn seed(app: &TestApp, t: &Tenant, sku: &str, on_hand: i64, per_day: i64) {
    let now = app.clock.now();
    inventory::put(
        app.store.as_ref(),
        t,
        &InventoryRecord {
            marketplace_id: US.into(),
            sku: sku.into(),
            fnsku: Some(format!("X00{sku}")),
            asin: Some(format!("B0{sku}")),
            product_name: Some(format!("Product {sku}")),
            connection: "c".into(),
            fulfillable: on_hand,
            inbound_working: 0,
            inbound_shipped: 5,
            inbound_receiving: 0,
            reserved: 2,
            unfulfillable: 1,
            researching: 0,
            observed_at: now,
            source: StockSource::Api,
        },
    )
    .await
    .unwrap();
    for d in 1..=120 {
        if per_day == 0 {
            break;
        }
        let when = now - Duration::days(d);
        let id = format!("111-{sku}-{d:04}");
        orders::put(
            app.store.as_ref(),
            t,
            &Order {
                amazon_order_id: id.clone(),
                marketplace_id: US.into(),
                purchase_date: when,
                last_updated: when,
                status: "SHIPPED".into(),
                fulfilled_by: Some("AMAZON".into()),
                currency: Some("USD".into()),
                is_business: Some(false),
                items: vec![OrderItem {
                    order_item_id: Some(format!("{id}-1")),
                    sku: sku.into(),
                    asin: None,
                    quantity: per_day,
                    item_price: Some(Decimal::from(20 * per_day)),
                    shipping_price: None,
                    gift_wrap_price: None,
                    tax: None,
                    discount: None,
                    breakdown: None,
                }],
                source: Source::Api,
            },
        )
        .await
        .unwrap();
    }
    recompute(app, t).await;
}

/// The forecasts job over the tenant's records (what the sync's domain events trigger), its
/// events going nowhere.
pub async fn recompute(app: &TestApp, t: &Tenant) -> api_inventory::job::Outcome {
    let clock: std::sync::Arc<dyn shared::ports::Clock> = app.clock.clone();
    let q = std::sync::Arc::new(shared::adapters::EmbeddedQueue::in_memory(clock.clone()));
    api_inventory::job::Forecasts {
        store: app.store.clone(),
        bus: std::sync::Arc::new(shared::adapters::EmbeddedBus::new(q, clock.clone())),
        clock,
    }
    .recompute(t)
    .await
    .unwrap()
}

pub async fn ok_call(
    app: &TestApp,
    s: &Session,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let r = app.call(method, path, body, Some(&s.token)).await;
    assert!(
        r.status.is_success(),
        "{method} {path}: {} {:?}",
        r.status,
        r.body
    );
    r.body
}

#[tokio::test]
async fn inventory_stock_forecast_and_kpis_answer_what_the_ui_reads() {
    let app = TestApp::new();
    let a = app.signed_up("stock@a.example").await;
    let t = tenant_of(&app, &a).await;
    seed(&app, &t, "FAST", 40, 10).await; // 4 days of cover: low on forecast, above threshold
    seed(&app, &t, "SLOW", 5, 0).await; // below the default threshold of 10
    let q = format!(
        "accountId={}&sku=&page=1&limit=25&includePendingShipments=true",
        a.account_id
    );
    let b = ok_call(&app, &a, "GET", &format!("/api/inventory?{q}"), None).await;
    assert_eq!(b["success"], true);
    let d = &b["data"];
    assert_eq!(d["total"], 2);
    assert_eq!(
        (d["page"].clone(), d["limit"].clone()),
        (json!(1), json!(25))
    );
    assert_eq!(d["summary"]["totalStock"], 45);
    assert_eq!(d["summary"]["totalReserved"], 4);
    assert_eq!(d["summary"]["lowStockCount"], 1);
    assert_eq!(d["summary"]["outOfStockCount"], 0);
    assert_eq!(d["summary"]["pendingShipments"], 10);
    let fast = d["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == "FAST")
        .unwrap();
    for k in [
        "sku",
        "marketplaceId",
        "quantityAvailable",
        "quantityReserved",
        "lowStockThreshold",
        "lastSyncedAt",
        "status",
    ] {
        assert!(!fast[k].is_null(), "{k}");
    }
    assert_eq!(fast["marketplace"]["name"], "Amazon.com");
    assert_eq!(fast["status"], "normal");
    // The status filter takes the UI's values only.
    let low = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory?{q}&status=low"),
        None,
    )
    .await;
    assert!(low["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "low"));
    assert_error(
        &app.call(
            "GET",
            &format!("/api/inventory?{q}&status=in_stock"),
            None,
            Some(&a.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );

    // The literal routes are not SKUs.
    let alerts = ok_call(&app, &a, "GET", &format!("/api/inventory/alerts?{q}"), None).await;
    assert_eq!(alerts["data"]["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(alerts["data"]["alerts"][0]["sku"], "SLOW");
    let f = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/forecast?{q}"),
        None,
    )
    .await;
    assert_eq!(f["data"]["total"], 2);
    let ff = f["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == "FAST")
        .unwrap()
        .clone();
    assert!(
        (ff["salesVelocity"].as_f64().unwrap() - 10.0).abs() < 0.5,
        "{ff}"
    );
    assert!((ff["forecast7Day"].as_f64().unwrap() - 70.0).abs() < 3.0);
    assert!((ff["forecast30Day"].as_f64().unwrap() - 300.0).abs() < 10.0);
    for k in [
        "forecast3Day",
        "restockThreshold",
        "lastCalculatedAt",
        "suggestedReorderQty",
        "marketplace",
    ] {
        assert!(!ff[k].is_null(), "{k}");
    }
    // 40 on hand + 5 inbound at 10 a day against 44 days of lead time: order now.
    assert_eq!(ff["reorderOverdue"], true);
    assert!(ff["suggestedReorderQty"].as_i64().unwrap() >= 600);
    let ra = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/forecast/alerts?{q}"),
        None,
    )
    .await;
    assert!(ra["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["sku"] == "FAST"
            && !x["forecast7Day"].is_null()
            && !x["restockThreshold"].is_null()));
    let k = ok_call(&app, &a, "GET", &format!("/api/inventory/kpis?{q}"), None).await;
    let kf = k["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == "FAST")
        .unwrap()
        .clone();
    for key in [
        "daysOfStockLeft",
        "overstockRisk",
        "status",
        "fifoBatchAssignments",
        "marketplace",
    ] {
        assert!(!kf[key].is_null(), "{key}: {kf}");
    }
    // The shapes the UI reads: a number of days, a boolean risk, normal | low | overstock.
    for r in k["data"]["data"].as_array().unwrap() {
        assert!(r["daysOfStockLeft"].is_number(), "{r}");
        assert!(r["overstockRisk"].is_boolean(), "{r}");
        let status = r["status"].as_str().unwrap();
        assert!(["normal", "low", "overstock"].contains(&status), "{r}");
        assert_eq!(r["overstockRisk"] == true, status == "overstock", "{r}");
    }
    assert_error(
        &app.call(
            "GET",
            &format!("/api/inventory/kpis?{q}&status=in_stock"),
            None,
            Some(&a.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let all = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/alerts/all?{q}"),
        None,
    )
    .await;
    let kinds: Vec<&str> = all["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["type"].as_str())
        .collect();
    assert!(
        kinds.contains(&"low_stock")
            && kinds.contains(&"restock_by")
            && kinds.contains(&"stranded_unfulfillable"),
        "{kinds:?}"
    );
    // The SKU route still serves a SKU; an unknown one is 404.
    let one = ok_call(
        &app,
        &a,
        "GET",
        &format!("/api/inventory/FAST?accountId={}", a.account_id),
        None,
    )
    .await;
    assert_eq!(one["data"]["sku"], "FAST");
    assert_error(
        &app.call("GET", "/api/inventory/NOPE", None, Some(&a.token))
            .await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        &app.call("GET", "/api/inventory?page=0", None, Some(&a.token))
            .await,
        StatusCode::BAD_REQUEST,
    );
    // The planner's bare shapes.
    let p = ok_call(&app, &a, "GET", "/api/inventory/planner/products", None).await;
    let row = p
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == "FAST")
        .unwrap();
    for key in [
        "id",
        "sku",
        "asin",
        "title",
        "fbaFbmStock",
        "reserved",
        "salesVelocity",
        "sentToFba",
        "ordered",
        "recommendedQuantity",
        "stockValue",
    ] {
        assert!(!row[key].is_null(), "{key}");
    }
    let s = ok_call(&app, &a, "GET", "/api/inventory/planner/summary", None).await;
    let locations: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["location"].as_str().unwrap())
        .collect();
    assert_eq!(locations, ["fba", "inbound", "ordered"]);
    assert!(s[0]["potentialProfit"].is_number());
}

#[tokio::test]
async fn inventory_received_purchase_orders_become_fifo_cogs_batches() {
    let app = TestApp::new();
    let a = app.signed_up("po@a.example").await;
    let t = tenant_of(&app, &a).await;
    seed(&app, &t, "WIDGET", 100, 0).await;
    let sup = ok_call(&app, &a, "POST", "/api/suppliers", Some(json!({"name": "Acme", "currency": "usd", "email": "a@acme.example", "leadTimeDays": 20, "moq": 500, "casePack": 24}))).await;
    let sid = sup["id"].as_str().unwrap().to_string();
    let list = ok_call(&app, &a, "GET", "/api/suppliers", None).await;
    assert_eq!(list[0]["name"], "Acme");
    assert_eq!(list[0]["currency"], "USD");
    let body = json!({"accountId": a.account_id, "supplierId": sid, "marketplaceId": US, "poNumber": "PO-1",
        "estimatedDeliveryDate": "2026-12-01", "items": [{"sku": "WIDGET", "quantity": 100, "unitCost": 2.5}, {"sku": "GADGET", "quantity": 50, "unitCost": 4}]});
    ok_call(&app, &a, "POST", "/api/purchase-orders", Some(body.clone())).await;
    assert_error(
        &app.call("POST", "/api/purchase-orders", Some(body), Some(&a.token))
            .await,
        StatusCode::CONFLICT,
    );
    let pos = ok_call(&app, &a, "GET", "/api/purchase-orders", None).await;
    assert_eq!(pos.as_array().unwrap().len(), 1);
    assert_eq!(pos[0]["supplier"]["name"], "Acme");
    assert_eq!(pos[0]["totalUnits"], 150);
    assert_eq!(pos[0]["totalCost"], 450);
    assert_eq!(pos[0]["status"], "draft");
    // Receiving a draft is refused; the flow is draft → ordered → shipped.
    let receipt = |id: &str, lines: Value| json!({"receiptId": id, "lines": lines, "shippingCost": "30", "dutyCost": "15"});
    let r = app
        .call(
            "POST",
            "/api/purchase-orders/PO-1/receipts",
            Some(receipt("R1", json!([{"sku": "WIDGET", "quantity": 60}]))),
            Some(&a.token),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    assert_error(
        &app.call(
            "PATCH",
            "/api/purchase-orders/PO-1/status",
            Some(json!({"status": "received"})),
            Some(&a.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    ok_call(
        &app,
        &a,
        "PATCH",
        "/api/purchase-orders/PO-1/status",
        Some(json!({"status": "ordered"})),
    )
    .await;
    ok_call(
        &app,
        &a,
        "PATCH",
        "/api/purchase-orders/PO-1",
        Some(json!({"status": "shipped"})),
    )
    .await;
    // Units on order count once per SKU, however many marketplaces stock it.
    let mut ca = inventory::get(app.store.as_ref(), &t, US, "WIDGET")
        .await
        .unwrap()
        .unwrap();
    ca.marketplace_id = "A2EUQ1WTGCTBG2".into();
    inventory::put(app.store.as_ref(), &t, &ca).await.unwrap();
    let s = ok_call(&app, &a, "GET", "/api/inventory/planner/summary", None).await;
    let ordered = s
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == "ordered")
        .unwrap()
        .clone();
    assert_eq!(ordered["units"], 100, "{s}");
    // A partial receipt of two lines: landed costs spread by units (60 and 30 of 90).
    let lines = json!([{"sku": "WIDGET", "quantity": 60}, {"sku": "GADGET", "quantity": 30}]);
    let first = ok_call(
        &app,
        &a,
        "POST",
        "/api/purchase-orders/PO-1/receipts",
        Some(receipt("R1", lines.clone())),
    )
    .await;
    assert_eq!(first["purchaseOrder"]["status"], "partially_received");
    // The same receipt again is recorded once.
    let again = ok_call(
        &app,
        &a,
        "POST",
        "/api/purchase-orders/PO-1/receipts",
        Some(receipt("R1", lines)),
    )
    .await;
    assert_eq!(again["batchIds"], first["batchIds"]);
    let batches: Vec<shared::costs::cogs::Batch> =
        shared::costs::all(app.store.as_ref(), &t).await.unwrap();
    assert_eq!(batches.len(), 2);
    let w = batches.iter().find(|b| b.sku == "WIDGET").unwrap();
    assert_eq!(
        (w.quantity, w.unit_cost, w.shipping_cost, w.duty_cost),
        (
            60,
            Decimal::new(25, 1),
            Decimal::from(20),
            Decimal::from(10)
        )
    );
    assert_eq!(w.landed_unit_cost(), Decimal::new(3, 0));
    let g = batches.iter().find(|b| b.sku == "GADGET").unwrap();
    assert_eq!(
        (g.shipping_cost, g.duty_cost),
        (Decimal::from(10), Decimal::from(5))
    );
    // More than is open is refused; the rest closes the order.
    let over = app
        .call(
            "POST",
            "/api/purchase-orders/PO-1/receipts",
            Some(receipt("R2", json!([{"sku": "WIDGET", "quantity": 41}]))),
            Some(&a.token),
        )
        .await;
    assert_error(&over, StatusCode::BAD_REQUEST);
    let last = ok_call(
        &app,
        &a,
        "POST",
        "/api/purchase-orders/PO-1/receipts",
        Some(receipt(
            "R2",
            json!([{"sku": "WIDGET", "quantity": 40}, {"sku": "GADGET", "quantity": 20}]),
        )),
    )
    .await;
    assert_eq!(last["purchaseOrder"]["status"], "received");
    let summary = ok_call(&app, &a, "GET", "/api/purchase-orders/summary", None).await;
    let rec = summary
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "received")
        .unwrap();
    assert_eq!(
        (rec["count"].clone(), rec["totalUnits"].clone()),
        (json!(1), json!(150))
    );
    let one = ok_call(&app, &a, "GET", "/api/purchase-orders/PO-1", None).await;
    assert_eq!(one["products"][0]["unitCost"], 2.5);
    // The KPI's FIFO assignments: the 100 on hand are the newest batches' units.
    let k = ok_call(&app, &a, "GET", "/api/inventory/kpis", None).await;
    let wk = k["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == "WIDGET")
        .unwrap()
        .clone();
    let assigned: i64 = wk["fifoBatchAssignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["quantityAssigned"].as_i64().unwrap())
        .sum();
    assert_eq!(assigned, 100);
    // A supplier with orders cannot be deleted.
    assert_error(
        &app.call(
            "DELETE",
            &format!("/api/suppliers/{sid}"),
            None,
            Some(&a.token),
        )
        .await,
        StatusCode::CONFLICT,
    );
}

#[tokio::test]
async fn inventory_reseller_batches_and_concurrent_receipts() {
    let app = TestApp::new();
    let a = app.signed_up("resell@a.example").await;
    let created = ok_call(
        &app,
        &a,
        "POST",
        "/api/reseller-workflow/batches",
        Some(json!({"name": "Thrift run", "fulfillmentType": "FBA", "notes": ""})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let bad = app
        .call(
            "POST",
            "/api/reseller-workflow/batches",
            Some(json!({"name": "", "fulfillmentType": "X"})),
            Some(&a.token),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    assert!(bad.body["message"].is_string());
    // Ten products added at once: none lost.
    let mut handles = vec![];
    for i in 0..10 {
        let (app, tok, id) = (app.clone(), a.token.clone(), id.clone());
        handles.push(tokio::spawn(async move {
            app.call("POST", &format!("/api/reseller-workflow/batches/{id}/products"), Some(json!({"asin": format!("B00{i}"), "condition": "new", "quantity": 2, "costOfGoods": 3.5})), Some(&tok)).await.status
        }));
    }
    for h in handles {
        assert!(h.await.unwrap().is_success());
    }
    let list = ok_call(&app, &a, "GET", "/api/reseller-workflow/batches", None).await;
    assert_eq!(list[0]["totalProducts"], 10);
    assert_eq!(list[0]["totalUnits"], 20);
    assert_eq!(list[0]["totalCOGS"], 70);
    assert_eq!(list[0]["products"].as_array().unwrap().len(), 10);
    let shipments = ok_call(&app, &a, "GET", "/api/fba-shipments", None).await;
    assert_eq!(shipments, json!([]));
}

#[tokio::test]
async fn inventory_concurrent_receipts_on_dynamodb_count_each_unit_once() {
    let app = TestApp::on_dynamodb().await;
    let a = app.signed_up("race@a.example").await;
    let sup = ok_call(
        &app,
        &a,
        "POST",
        "/api/suppliers",
        Some(json!({"name": "Acme", "currency": "USD"})),
    )
    .await;
    ok_call(&app, &a, "POST", "/api/purchase-orders", Some(json!({"supplierId": sup["id"], "poNumber": "PO-R", "items": [{"sku": "S", "quantity": 10, "unitCost": 1}]}))).await;
    ok_call(
        &app,
        &a,
        "PATCH",
        "/api/purchase-orders/PO-R/status",
        Some(json!({"status": "ordered"})),
    )
    .await;
    let mut handles = vec![];
    for i in 0..6 {
        let (app, tok) = (app.clone(), a.token.clone());
        // Three distinct receipts of 3 units, each sent twice at once.
        let rid = format!("R{}", i % 3);
        handles.push(tokio::spawn(async move {
            app.call(
                "POST",
                "/api/purchase-orders/PO-R/receipts",
                Some(json!({"receiptId": rid, "lines": [{"sku": "S", "quantity": 3}]})),
                Some(&tok),
            )
            .await
            .status
        }));
    }
    for h in handles {
        assert!(h.await.unwrap().is_success());
    }
    let po = ok_call(&app, &a, "GET", "/api/purchase-orders/PO-R", None).await;
    assert_eq!(po["receivedUnits"], 9);
    assert_eq!(po["receipts"].as_array().unwrap().len(), 3);
    let t = tenant_of(&app, &a).await;
    let batches: Vec<shared::costs::cogs::Batch> =
        shared::costs::all(app.store.as_ref(), &t).await.unwrap();
    assert_eq!(batches.iter().map(|b| b.quantity).sum::<i64>(), 9);
    let _ = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0);
}

/// Every inventory route aimed at tenant A's account and records by tenant B: refused, or
/// (lists without an account) answering B's own empty data. Returns the (method, path) sent.
pub async fn attack(app: &TestApp, a: &Session, b: &Session) -> Vec<(String, String)> {
    let t = tenant_of(app, a).await;
    seed(app, &t, "ASKU", 3, 1).await;
    let tok = Some(a.token.as_str());
    let sup = app
        .call(
            "POST",
            "/api/suppliers",
            Some(json!({"name": "A-only supplier", "currency": "USD"})),
            tok,
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call("POST", "/api/purchase-orders", Some(json!({"supplierId": sup, "poNumber": "PO-A", "items": [{"sku": "ASKU", "quantity": 5, "unitCost": 1}]})), tok).await;
    let ship = app.call("POST", "/api/fba-shipments", Some(json!({"shipmentName": "A ship", "destination": "PHX7", "products": [{"sku": "ASKU", "quantity": 1}]})), tok).await.body["id"].as_str().unwrap().to_string();
    let batch = app
        .call(
            "POST",
            "/api/reseller-workflow/batches",
            Some(json!({"name": "A batch", "fulfillmentType": "FBM", "notes": ""})),
            tok,
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let prod = app
        .call(
            "POST",
            &format!("/api/reseller-workflow/batches/{batch}/products"),
            Some(json!({"sku": "ASKU", "condition": "new", "quantity": 1, "costOfGoods": 1})),
            tok,
        )
        .await
        .body["products"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = app
        .call("GET", "/api/purchase-orders/PO-A", None, tok)
        .await
        .body;
    let qa = format!("?accountId={}", a.account_id);
    let pid = format!("{US}:ASKU");
    let mut sent = vec![];
    let gets = [
        "/api/inventory",
        "/api/inventory/alerts",
        "/api/inventory/alerts/all",
        "/api/inventory/forecast",
        "/api/inventory/forecast/alerts",
        "/api/inventory/forecast/ASKU",
        "/api/inventory/kpis",
        "/api/inventory/kpis/ASKU",
        "/api/inventory/products",
        "/api/inventory/products/low-stock",
        "/api/inventory/planner/summary",
        "/api/inventory/planner/products",
        "/api/inventory/ASKU",
        "/api/inventory/ASKU/ledger",
        "/api/suppliers",
        "/api/purchase-orders",
        "/api/purchase-orders/summary",
        "/api/fba-shipments",
        "/api/fba-shipments/summary",
        "/api/reseller-workflow/summary",
        "/api/reseller-workflow/batches",
    ];
    for p in gets {
        sent.push(("GET".to_string(), format!("{p}{qa}")));
    }
    for p in [
        format!("/api/inventory/products/{pid}"),
        format!("/api/suppliers/{sup}"),
        "/api/purchase-orders/PO-A".into(),
        format!("/api/fba-shipments/{ship}"),
        format!("/api/reseller-workflow/batches/{batch}"),
    ] {
        sent.push(("GET".into(), p.clone()));
        sent.push(("GET".into(), format!("{p}{qa}")));
    }
    let acct = json!({"accountId": a.account_id});
    let writes: Vec<(&str, String, Value)> = vec![
        (
            "PATCH",
            "/api/inventory/ASKU".into(),
            json!({"accountId": a.account_id, "marketplaceId": US, "lowStockThreshold": 1}),
        ),
        (
            "PATCH",
            "/api/inventory/forecast/ASKU".into(),
            json!({"accountId": a.account_id, "marketplaceId": US, "restockThreshold": 1}),
        ),
        ("POST", "/api/inventory/kpis/calculate".into(), acct.clone()),
        (
            "POST",
            "/api/purchase-orders/PO-A/shipments".into(),
            json!({"accountId": a.account_id, "shipmentId": ship}),
        ),
        (
            "PATCH",
            format!("/api/inventory/products/{pid}"),
            json!({"lowStockThreshold": 1}),
        ),
        (
            "PATCH",
            format!("/api/inventory/planner/products/{pid}"),
            json!({"comment": "B"}),
        ),
        (
            "POST",
            "/api/inventory/planner/shipment-plan".into(),
            json!({"productIds": [pid]}),
        ),
        (
            "POST",
            "/api/inventory/planner/purchase-order".into(),
            json!({"productIds": [pid], "supplierId": sup, "quantities": {pid.clone(): 5}}),
        ),
        (
            "POST",
            "/api/inventory/planner/export".into(),
            json!({"accountId": a.account_id, "format": "csv"}),
        ),
        (
            "POST",
            "/api/suppliers".into(),
            json!({"accountId": a.account_id, "name": "B", "currency": "USD"}),
        ),
        (
            "PATCH",
            format!("/api/suppliers/{sup}"),
            json!({"name": "B"}),
        ),
        ("DELETE", format!("/api/suppliers/{sup}"), Value::Null),
        (
            "POST",
            "/api/purchase-orders".into(),
            json!({"accountId": a.account_id, "supplierId": sup, "poNumber": "PO-B", "items": [{"sku": "X", "quantity": 1, "unitCost": 1}]}),
        ),
        (
            "PATCH",
            "/api/purchase-orders/PO-A".into(),
            json!({"comment": "B"}),
        ),
        (
            "PATCH",
            "/api/purchase-orders/PO-A/status".into(),
            json!({"status": "ordered"}),
        ),
        (
            "POST",
            "/api/purchase-orders/PO-A/receipts".into(),
            json!({"receiptId": "B", "lines": [{"sku": "ASKU", "quantity": 1}]}),
        ),
        ("DELETE", "/api/purchase-orders/PO-A".into(), Value::Null),
        (
            "POST",
            "/api/fba-shipments".into(),
            json!({"accountId": a.account_id, "shipmentName": "B", "products": [{"sku": "X", "quantity": 1}]}),
        ),
        (
            "PATCH",
            format!("/api/fba-shipments/{ship}"),
            json!({"comment": "B"}),
        ),
        (
            "PATCH",
            format!("/api/fba-shipments/{ship}/status"),
            json!({"status": "SHIPPED"}),
        ),
        (
            "POST",
            format!("/api/fba-shipments/{ship}/purchase-orders"),
            json!({"purchaseOrderId": "PO-A"}),
        ),
        ("DELETE", format!("/api/fba-shipments/{ship}"), Value::Null),
        (
            "POST",
            "/api/reseller-workflow/batches".into(),
            json!({"accountId": a.account_id, "name": "B", "fulfillmentType": "FBA"}),
        ),
        (
            "PATCH",
            format!("/api/reseller-workflow/batches/{batch}"),
            json!({"name": "B"}),
        ),
        (
            "PATCH",
            format!("/api/reseller-workflow/batches/{batch}/status"),
            json!({"status": "ready"}),
        ),
        (
            "POST",
            format!("/api/reseller-workflow/batches/{batch}/products"),
            json!({"sku": "B", "condition": "new", "quantity": 1, "costOfGoods": 1}),
        ),
        (
            "PATCH",
            format!("/api/reseller-workflow/batches/{batch}/products/{prod}"),
            json!({"quantity": 9}),
        ),
        (
            "DELETE",
            format!("/api/reseller-workflow/batches/{batch}/products/{prod}"),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/reseller-workflow/batches/{batch}/generate-labels"),
            json!({"productIds": []}),
        ),
        (
            "POST",
            "/api/reseller-workflow/create-fba-shipment".into(),
            json!({"batchId": batch, "productIds": []}),
        ),
        (
            "DELETE",
            format!("/api/reseller-workflow/batches/{batch}"),
            Value::Null,
        ),
    ];
    let bt = Some(b.token.as_str());
    for (m, p) in &sent {
        let r = app.call(m, p, None, bt).await;
        if p.contains("accountId=") {
            assert!(
                matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{m} {p}: {} {:?}",
                r.status,
                r.body
            );
        } else {
            // B's own account: nothing of A's.
            assert!(
                !r.body.to_string().contains("A-only") && !r.body.to_string().contains("ASKU")
                    || r.status == StatusCode::NOT_FOUND,
                "{m} {p}: {:?}",
                r.body
            );
        }
    }
    for (m, p, body) in &writes {
        let body = if body.is_null() {
            None
        } else {
            Some(body.clone())
        };
        let r = app.call(m, p, body, bt).await;
        assert!(
            matches!(
                r.status,
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
            ),
            "{m} {p}: {} {:?}",
            r.status,
            r.body
        );
        sent.push((m.to_string(), p.clone()));
    }
    // The multipart import acts on the caller's account only: B's rows naming A's product fail.
    let r = app
        .call("POST", "/api/inventory/planner/import", None, bt)
        .await;
    assert!(!r.status.is_success() || r.body["imported"] == 0);
    sent.push(("POST".into(), "/api/inventory/planner/import".into()));
    assert_eq!(
        app.call("GET", "/api/purchase-orders/PO-A", None, tok)
            .await
            .body,
        before,
        "A's order unchanged"
    );
    sent
}
