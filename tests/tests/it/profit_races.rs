//! Concurrent edits of the seller's costs through the router, on the embedded store and on
//! DynamoDB (moto): COGS unit-cost entries, FIFO batches, returns, expenses (both route
//! groups), CSV imports and deletes, each sent as real parallel requests.
//!
//! The contract these races pin down: a `PATCH` (or `PUT /api/expenses/{id}`) changes only the
//! fields it names, on the record as it is when the change lands. Concurrent edits of one record
//! are serialised, never merged from stale copies: every one answers 200, edits of different
//! fields all survive, edits of one field leave one of the submitted values, every answer is
//! coherent in itself (its landed cost is computed from its own fields), and an edit racing a
//! delete answers 200 (it landed first) or 404, never bringing the record back. The profit
//! figures read afterwards are computed from the final records.

use super::helpers::*;
use super::inventory_api::tenant_of;
use super::profit_api::multipart;
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::keys::Tenant;
use std::collections::BTreeSet;

const US: &str = "ATVPDKIKX0DER";

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A money or amount figure of a response, as the decimal its JSON spells.
fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

/// One order of `units` of `sku`, at 18:00 UTC on 10 October 2026 (that local day in the US).
/// An order of `units` × `sku` on 10 October 2026 (`profit_api`'s order fixture).
async fn order(app: &TestApp, t: &Tenant, id: &str, sku: &str, units: i64) {
    let when = Utc.with_ymd_and_hms(2026, 10, 10, 18, 0, 0).unwrap();
    super::profit_api::order(app, t, id, when, sku, units).await;
}

/// Sends every (method, path, body) at once, each on its own task; the answers in order.
async fn at_once(
    app: &TestApp,
    s: &Session,
    calls: Vec<(&str, String, Option<Value>)>,
) -> Vec<Resp> {
    let handles: Vec<_> = calls
        .into_iter()
        .map(|(method, path, body)| {
            let (app, token, method) = (app.clone(), s.token.clone(), method.to_string());
            tokio::spawn(async move { app.call(&method, &path, body, Some(&token)).await })
        })
        .collect();
    let mut out = vec![];
    for h in handles {
        out.push(h.await.expect("request task"));
    }
    out
}

async fn ok(app: &TestApp, s: &Session, method: &str, path: &str, body: Option<Value>) -> Value {
    let r = app.call(method, path, body, Some(&s.token)).await;
    assert!(
        r.status.is_success(),
        "{method} {path}: {} {:?}",
        r.status,
        r.body
    );
    r.body
}

fn all_ok(rs: &[Resp], what: &str) {
    for r in rs {
        assert_eq!(r.status, StatusCode::OK, "{what}: {:?}", r.body);
    }
}

/// The day's profit figures of one SKU in the US marketplace (10 October 2026).
async fn day_of(app: &TestApp, s: &Session, sku: &str) -> Value {
    let path = format!(
        "/api/profit/summary?marketplaceId={US}&sku={sku}&startDate=2026-10-10&endDate=2026-10-10"
    );
    ok(app, s, "GET", &path, None).await["data"].clone()
}

/// A unit-cost entry's landed cost is its purchase cost plus its shipment spread over its units.
fn assert_coherent_cost(c: &Value) {
    let shipment = if c["shipmentCost"].is_null() {
        Decimal::ZERO
    } else {
        dec(&c["shipmentCost"])
    };
    let quantity = Decimal::from(c["quantity"].as_i64().unwrap().max(1));
    assert_eq!(
        dec(&c["landedUnitCost"]),
        dec(&c["unitCost"]) + shipment / quantity,
        "landed cost of {c}"
    );
}

async fn unit_cost_edits(app: &TestApp, s: &Session, t: &Tenant) {
    order(app, t, "111-0000009-0000001", "MUG", 4).await;
    let c = ok(
        app,
        s,
        "POST",
        "/api/profit/cogs",
        Some(json!({"sku": "MUG", "unitCost": 2, "quantity": 10, "effectiveFrom": "2026-10-01"})),
    )
    .await;
    let id = c["data"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/profit/cogs/{id}");
    assert_eq!(dec(&day_of(app, s, "MUG").await["totalCOGS"]), d("8"));

    // Five editors change five different fields at once: every change survives.
    let edits = [
        json!({"unitCost": 3}),
        json!({"quantity": 20}),
        json!({"shipmentCost": 40}),
        json!({"costMethod": "TIME_PERIOD"}),
        json!({"effectiveFrom": "2026-09-15"}),
    ];
    let rs = at_once(
        app,
        s,
        edits
            .iter()
            .map(|b| ("PATCH", path.clone(), Some(b.clone())))
            .collect(),
    )
    .await;
    all_ok(&rs, "unit cost edit");
    for r in &rs {
        assert_coherent_cost(&r.body["data"]);
    }
    let list = ok(app, s, "GET", "/api/profit/cogs?sku=MUG", None).await;
    let now = &list["data"][0];
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(dec(&now["unitCost"]), d("3"));
    assert_eq!(now["quantity"], 20);
    assert_eq!(dec(&now["shipmentCost"]), d("40"));
    assert_eq!(now["costMethod"], "TIME_PERIOD");
    assert_eq!(now["effectiveFrom"], "2026-09-15");
    assert_eq!(dec(&now["landedUnitCost"]), d("5"), "3 + 40 / 20");
    assert_eq!(
        dec(&day_of(app, s, "MUG").await["totalCOGS"]),
        d("20"),
        "4 units at the final landed cost"
    );

    // Six editors set one field at once: one of their values is left, and the figures use it.
    let prices = ["4", "5", "6", "7", "8", "9"];
    let rs = at_once(
        app,
        s,
        prices
            .iter()
            .map(|p| ("PATCH", path.clone(), Some(json!({"unitCost": p}))))
            .collect(),
    )
    .await;
    all_ok(&rs, "unit cost edit");
    for (r, p) in rs.iter().zip(prices) {
        assert_eq!(
            dec(&r.body["data"]["unitCost"]),
            d(p),
            "each answer shows its own change"
        );
        assert_coherent_cost(&r.body["data"]);
    }
    let now = ok(app, s, "GET", "/api/profit/cogs/MUG", None).await["data"].clone();
    let unit = dec(&now["entries"][0]["unitCost"]);
    assert!(prices.iter().any(|p| d(p) == unit), "{unit} was submitted");
    assert_eq!(dec(&now["entries"][0]["landedUnitCost"]), unit + d("2"));
    assert_eq!(
        dec(&day_of(app, s, "MUG").await["totalCOGS"]),
        (unit + d("2")) * d("4")
    );
}

async fn batch_edits(app: &TestApp, s: &Session, t: &Tenant) {
    order(app, t, "111-0000009-0000002", "BOWL", 4).await;
    let b = ok(app, s, "POST", "/api/profit/cogs/batch", Some(json!({"sku": "BOWL", "quantity": 10, "unitCost": 2, "receivedAt": "2026-09-01T00:00:00Z"}))).await;
    let id = b["data"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/profit/cogs/batch/{id}");
    let edits = [
        json!({"unitCost": 3}),
        json!({"quantity": 20}),
        json!({"shippingCost": 10}),
        json!({"dutyCost": 5}),
        json!({"otherCost": "5.00"}),
        json!({"notes": "sea freight"}),
    ];
    let rs = at_once(
        app,
        s,
        edits
            .iter()
            .map(|b| ("PATCH", path.clone(), Some(b.clone())))
            .collect(),
    )
    .await;
    all_ok(&rs, "batch edit");
    for r in &rs {
        let x = &r.body["data"];
        let total = dec(&x["unitCost"]) * Decimal::from(x["quantity"].as_i64().unwrap())
            + dec(&x["shippingCost"])
            + dec(&x["dutyCost"])
            + dec(&x["otherCost"]);
        assert_eq!(dec(&x["totalCost"]), total, "coherent answer {x}");
    }
    let now = ok(app, s, "GET", &path, None).await["data"].clone();
    assert_eq!(dec(&now["unitCost"]), d("3"));
    assert_eq!(now["quantity"], 20);
    assert_eq!(dec(&now["shippingCost"]), d("10"));
    assert_eq!(dec(&now["dutyCost"]), d("5"));
    assert_eq!(dec(&now["otherCost"]), d("5"));
    assert_eq!(now["notes"], "sea freight");
    assert_eq!(dec(&now["landedUnitCost"]), d("4"), "3 + 20 / 20");
    assert_eq!(now["remainingQuantity"], 16);
    assert_eq!(dec(&day_of(app, s, "BOWL").await["totalCOGS"]), d("16"));

    // Eight batches received at once: all eight are there, FIFO after the first.
    let rs = at_once(
        app,
        s,
        (1..=8)
            .map(|i| ("POST", "/api/profit/cogs/batch".to_string(), Some(json!({"sku": "JAR", "quantity": i, "unitCost": 1, "receivedAt": format!("2026-09-{:02}T00:00:00Z", i + 1)}))))
            .collect(),
    )
    .await;
    let ids: BTreeSet<String> = rs
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            r.body["data"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 8);
    let jar = ok(app, s, "GET", "/api/profit/cogs/JAR", None).await["data"].clone();
    assert_eq!(jar["batches"].as_array().unwrap().len(), 8);
    assert_eq!(jar["totalQuantity"], 36, "1 + 2 + … + 8");
}

async fn expense_edits(app: &TestApp, s: &Session) {
    // The same CSV imported three times at once: each row stored once.
    let csv = "type,category,amount,currency,incurredAt\none-time,Rent,1000,USD,2026-10-01\none-time,Photos,30,USD,2026-10-02\none-time,Samples,12.5,USD,2026-10-03\n";
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let (app, token) = (app.clone(), s.token.clone());
            tokio::spawn(async move { app.raw(multipart(&token, csv)).await })
        })
        .collect();
    let (mut created, mut skipped) = (0, 0);
    for h in handles {
        let r = h.await.unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        created += r.body["data"]["created"].as_i64().unwrap();
        skipped += r.body["data"]["skipped"].as_i64().unwrap();
    }
    assert_eq!((created, skipped), (3, 6));
    let oct = "startDate=2026-10-01&endDate=2026-10-31";
    let listed = ok(app, s, "GET", &format!("/api/expenses?{oct}"), None).await;
    assert_eq!(listed["total"], 3);
    assert_eq!(dec(&listed["summary"]["totalAmount"]), d("1042.5"));

    // One expense edited through both route groups at once, a different field each.
    let e = ok(app, s, "POST", "/api/profit/expenses", Some(json!({"type": "one-time", "category": "Software", "amount": 100, "currency": "USD", "incurredAt": "2026-10-05"}))).await;
    let id = e["data"]["id"].as_str().unwrap().to_string();
    let profit_path = format!("/api/profit/expenses/{id}");
    let plain_path = format!("/api/expenses/{id}");
    let rs = at_once(
        app,
        s,
        vec![
            ("PATCH", profit_path.clone(), Some(json!({"amount": 150}))),
            (
                "PUT",
                plain_path.clone(),
                Some(json!({"category": "Tools"})),
            ),
            (
                "PATCH",
                plain_path.clone(),
                Some(json!({"description": "licence"})),
            ),
            (
                "PATCH",
                profit_path.clone(),
                Some(json!({"marketplaceId": US})),
            ),
            (
                "PATCH",
                profit_path.clone(),
                Some(json!({"allocatedProducts": [{"sku": "MUG", "percentage": 50}]})),
            ),
        ],
    )
    .await;
    all_ok(&rs, "expense edit");
    let now = ok(app, s, "GET", &plain_path, None).await["data"].clone();
    assert_eq!(dec(&now["amount"]), d("150"));
    assert_eq!(now["category"], "Tools");
    assert_eq!(now["description"], "licence");
    assert_eq!(now["marketplaceId"], US);
    assert_eq!(
        now["allocatedProducts"],
        json!([{"sku": "MUG", "percentage": 50}])
    );
    assert_eq!(now["allocation"], "skus");

    // One field set by six editors at once: one submitted amount is left.
    let amounts = ["200", "201", "202", "203", "204", "205"];
    let rs = at_once(
        app,
        s,
        amounts
            .iter()
            .map(|a| ("PATCH", profit_path.clone(), Some(json!({"amount": a}))))
            .collect(),
    )
    .await;
    all_ok(&rs, "expense edit");
    for (r, a) in rs.iter().zip(amounts) {
        assert_eq!(dec(&r.body["data"]["amount"]), d(a));
        assert_eq!(r.body["data"]["category"], "Tools", "other fields kept");
    }
    let now = ok(app, s, "GET", &profit_path, None).await["data"].clone();
    let amount = dec(&now["amount"]);
    assert!(
        amounts.iter().any(|a| d(a) == amount),
        "{amount} was submitted"
    );
    // The figures: the US marketplace's own expense, and MUG's half of it.
    let us = ok(
        app,
        s,
        "GET",
        &format!("/api/profit/summary?marketplaceId={US}&{oct}"),
        None,
    )
    .await;
    assert_eq!(dec(&us["data"]["totalExpenses"]), amount);
    let products = ok(
        app,
        s,
        "GET",
        &format!("/api/profit/by-product?marketplaceId={US}&{oct}"),
        None,
    )
    .await;
    let mug = products["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == "MUG")
        .unwrap_or_else(|| panic!("MUG row: {products}"));
    assert_eq!(dec(&mug["totalExpenses"]), amount / d("2"));

    // An edit racing a delete: the delete wins or comes second; the expense stays gone.
    for round in 0..4 {
        let e = ok(app, s, "POST", "/api/expenses", Some(json!({"type": "one-time", "category": "Doomed", "amount": 5, "currency": "USD", "incurredAt": "2026-10-06"}))).await;
        let path = format!("/api/expenses/{}", e["data"]["id"].as_str().unwrap());
        let rs = at_once(
            app,
            s,
            vec![
                ("PATCH", path.clone(), Some(json!({"amount": 6 + round}))),
                ("DELETE", path.clone(), None),
            ],
        )
        .await;
        assert_eq!(rs[1].status, StatusCode::OK, "delete: {:?}", rs[1].body);
        match rs[0].status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => assert_error(&rs[0], StatusCode::NOT_FOUND),
            other => panic!("edit racing a delete: {other} {:?}", rs[0].body),
        }
        assert_error(
            &app.call("GET", &path, None, Some(&s.token)).await,
            StatusCode::NOT_FOUND,
        );
    }
    let doomed = ok(app, s, "GET", "/api/expenses?category=Doomed", None).await;
    assert_eq!(doomed["total"], 0);
}

/// A return recorded by hand, edited by four editors at once: every change survives.
async fn return_edits(app: &TestApp, s: &Session) {
    let r = ok(app, s, "POST", "/api/profit/returns", Some(json!({"orderId": "111-0000009-0000001", "sku": "MUG", "quantityReturned": 1, "reasonCode": "UNWANTED", "refundAmount": 10, "feeAmount": 0, "isSellable": false, "returnedAt": "2026-10-12T18:00:00Z"}))).await;
    let path = format!("/api/profit/returns/{}", r["data"]["id"].as_str().unwrap());
    let edits = [
        json!({"quantityReturned": 2}),
        json!({"reasonCode": "DEFECTIVE"}),
        json!({"refundAmount": 20}),
        json!({"feeAmount": "1.50"}),
    ];
    let rs = at_once(
        app,
        s,
        edits
            .iter()
            .map(|b| ("PATCH", path.clone(), Some(b.clone())))
            .collect(),
    )
    .await;
    all_ok(&rs, "return edit");
    let listed = ok(app, s, "GET", "/api/profit/returns?sku=MUG", None).await;
    let now = &listed["data"][0];
    assert_eq!(now["quantityReturned"], 2);
    assert_eq!(now["reasonCode"], "DEFECTIVE");
    assert_eq!(dec(&now["refundAmount"]), d("20"));
    assert_eq!(dec(&now["feeAmount"]), d("1.5"));
}

async fn cost_edits_race(app: TestApp) {
    let s = app.signed_up("races@example.com").await;
    let t = tenant_of(&app, &s).await;
    unit_cost_edits(&app, &s, &t).await;
    batch_edits(&app, &s, &t).await;
    return_edits(&app, &s).await;
    expense_edits(&app, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cost_and_expense_edits_all_land_on_embedded() {
    cost_edits_race(TestApp::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cost_and_expense_edits_all_land_on_dynamodb() {
    cost_edits_race(TestApp::on_dynamodb().await).await;
}
