//! The profit API (`api-profit`) through the router: COGS by FIFO batch and effective-dated
//! unit cost (batches of different cost, a period crossing batches, a sellable return back to
//! stock, a cost change mid-month), expenses and their allocation (CRUD, recurring, SKU
//! shares, CSV import with per-row 400s), figures from the ledger's rollups minus COGS and
//! expenses, the contract's shapes, and the cross-tenant attempts `isolation` counts.

use super::helpers::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::domain::TenantId;
use shared::keys::Tenant;
use shared::profit::rollup::{self, StoredRow};
use shared::profit::{Figures, View, ALL_SKUS};
use shared::records::orders::{self, Order, OrderItem, Source};

const US: &str = "ATVPDKIKX0DER";

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A money figure of a response, as the decimal its JSON text spells.
fn money(v: &Value) -> Decimal {
    assert!(v.is_number(), "not a number: {v}");
    v.to_string().parse().unwrap()
}

async fn tenant_of(app: &TestApp, s: &Session) -> Tenant {
    shared::identity::tenancy::existing(
        app.store.as_ref(),
        &TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
}

fn at(y: i32, m: u32, day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, 0, 0).unwrap()
}

pub async fn order(
    app: &TestApp,
    t: &Tenant,
    id: &str,
    when: DateTime<Utc>,
    sku: &str,
    units: i64,
) {
    let o = Order {
        amazon_order_id: id.into(),
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
            quantity: units,
            item_price: Some(Decimal::from(10 * units)),
            shipping_price: None,
            gift_wrap_price: None,
            tax: None,
            discount: None,
            breakdown: None,
        }],
        source: Source::Api,
    };
    orders::put(app.store.as_ref(), t, &o).await.unwrap();
}

async fn get(app: &TestApp, s: &Session, path: &str) -> Value {
    let r = app.call("GET", path, None, Some(&s.token)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    r.body
}

async fn post(app: &TestApp, s: &Session, path: &str, body: Value) -> Value {
    let r = app.call("POST", path, Some(body), Some(&s.token)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    r.body
}

async fn cogs_of(app: &TestApp, s: &Session, sku: &str, from: &str, to: &str) -> Value {
    let b = get(
        app,
        s,
        &format!("/api/profit/summary?marketplaceId={US}&sku={sku}&startDate={from}&endDate={to}"),
    )
    .await;
    b["data"].clone()
}

#[tokio::test]
async fn fifo_batches_price_units_in_order_date_order_across_batches_and_returns_go_back_to_stock()
{
    let app = TestApp::new();
    let s = app.signed_up("fifo@example.com").await;
    let t = tenant_of(&app, &s).await;
    // 10 units at 2.00 + 5.00 shipping (landed 2.50), then 10 at 3.00 + 10.00 duty (4.00).
    let b1 = post(&app, &s, "/api/profit/cogs/batch", json!({"sku": "MUG", "quantity": 10, "unitCost": 2, "shippingCost": 5, "receivedAt": "2026-09-01T00:00:00Z"})).await;
    let b2 = post(&app, &s, "/api/profit/cogs/batch", json!({"sku": "MUG", "quantity": 10, "unitCost": "3.00", "dutyCost": 10, "receivedAt": "2026-09-02T00:00:00Z"})).await;
    assert_eq!(money(&b1["data"]["landedUnitCost"]), d("2.5"));
    assert_eq!(money(&b2["data"]["totalCost"]), d("40"));
    order(
        &app,
        &t,
        "111-0000001-0000001",
        at(2026, 10, 5, 18),
        "MUG",
        6,
    )
    .await;
    order(
        &app,
        &t,
        "111-0000001-0000002",
        at(2026, 10, 10, 18),
        "MUG",
        6,
    )
    .await;
    order(
        &app,
        &t,
        "111-0000001-0000003",
        at(2026, 10, 20, 18),
        "MUG",
        4,
    )
    .await;

    let first = cogs_of(&app, &s, "MUG", "2026-10-01", "2026-10-09").await;
    assert_eq!(money(&first["totalCOGS"]), d("15.00"));
    // The second order crosses batches: 4 × 2.50 + 2 × 4.00.
    let crossing = cogs_of(&app, &s, "MUG", "2026-10-10", "2026-10-10").await;
    assert_eq!(money(&crossing["totalCOGS"]), d("18.00"));
    assert_eq!(crossing["cogsMethods"]["fifo"], 6);

    // Two units of the second order come back sellable: the last taken (batch 2) first.
    let r = post(&app, &s, "/api/profit/returns", json!({"orderId": "111-0000001-0000002", "sku": "MUG", "quantityReturned": 2, "reasonCode": "UNWANTED", "refundAmount": 20, "feeAmount": 0, "isSellable": true, "returnedAt": "2026-10-15T18:00:00Z"})).await;
    assert_eq!(r["data"]["marketplaceId"], US);
    let back = cogs_of(&app, &s, "MUG", "2026-10-15", "2026-10-15").await;
    assert_eq!(
        money(&back["totalCOGS"]),
        d("-8.00"),
        "the returned units' cost comes off"
    );
    let month = cogs_of(&app, &s, "MUG", "2026-10-01", "2026-10-31").await;
    assert_eq!(money(&month["totalCOGS"]), d("41.00"), "15 + 18 − 8 + 16");
    let id = b2["data"]["id"].as_str().unwrap();
    let details = get(&app, &s, &format!("/api/profit/cogs/batch/{id}")).await;
    assert_eq!(details["data"]["remainingQuantity"], 6, "10 − 2 + 2 − 4");
    // The history says which method priced each unit, by local day.
    let h = get(
        &app,
        &s,
        "/api/profit/cogs/history?sku=MUG&startDate=2026-10-01&endDate=2026-10-31",
    )
    .await;
    assert_eq!(h["data"]["summary"]["methodBreakdown"]["fifo"]["units"], 14);
    assert_eq!(money(&h["data"]["summary"]["totalCost"]), d("41.00"));
    // The order line shows its cost and method.
    let rows = get(
        &app,
        &s,
        &format!(
            "/api/profit/by-order-items?marketplaceId={US}&startDate=2026-10-10&endDate=2026-10-10"
        ),
    )
    .await;
    assert_eq!(money(&rows["data"][0]["cogs"]), d("18.00"));
    assert_eq!(rows["data"][0]["cogsMethods"], json!(["fifo", "fifo"]));
    // `/cogs/history` and `/cogs/batch` are routed before `/cogs/{sku}`.
    let by_sku = get(&app, &s, "/api/profit/cogs/MUG").await;
    assert_eq!(by_sku["data"]["batches"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_unit_cost_change_mid_month_prices_each_local_day_with_the_cost_in_force() {
    let app = TestApp::new();
    let s = app.signed_up("unitcost@example.com").await;
    let t = tenant_of(&app, &s).await;
    post(
        &app,
        &s,
        "/api/profit/cogs",
        json!({"sku": "CUP", "unitCost": 1, "effectiveFrom": "2026-10-01"}),
    )
    .await;
    let c = post(&app, &s, "/api/profit/cogs", json!({"sku": "CUP", "unitCost": "1.20", "quantity": 100, "shipmentCost": 30, "effectiveFrom": "2026-10-16"})).await;
    assert_eq!(money(&c["data"]["landedUnitCost"]), d("1.5"));
    // 06:00 UTC on the 16th is 23:00 on the 15th in Los Angeles: the old cost.
    order(
        &app,
        &t,
        "111-0000002-0000001",
        at(2026, 10, 16, 6),
        "CUP",
        2,
    )
    .await;
    order(
        &app,
        &t,
        "111-0000002-0000002",
        at(2026, 10, 16, 8),
        "CUP",
        2,
    )
    .await;
    let before = cogs_of(&app, &s, "CUP", "2026-10-15", "2026-10-15").await;
    assert_eq!(money(&before["totalCOGS"]), d("2.00"));
    let after = cogs_of(&app, &s, "CUP", "2026-10-16", "2026-10-16").await;
    assert_eq!(money(&after["totalCOGS"]), d("3.00"));
    assert_eq!(
        after["cogsMethods"],
        json!({"fifo": 0, "unitCost": 2, "none": 0})
    );
    // A unit sold before any cost is entered costs 0, and says so.
    order(
        &app,
        &t,
        "111-0000002-0000003",
        at(2026, 9, 20, 18),
        "CUP",
        1,
    )
    .await;
    let none = cogs_of(&app, &s, "CUP", "2026-09-20", "2026-09-20").await;
    assert_eq!(none["cogsMethods"]["none"], 1);
    // Bad input is a 400 naming the field.
    let bad = app
        .call(
            "POST",
            "/api/profit/cogs",
            Some(json!({"sku": "CUP", "unitCost": -1})),
            Some(&s.token),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["details"][0]["field"], "unitCost");
}

#[tokio::test]
async fn expenses_recur_and_are_allocated_to_the_account_a_marketplace_or_skus() {
    let app = TestApp::new();
    let s = app.signed_up("expenses@example.com").await;
    let e = post(&app, &s, "/api/profit/expenses", json!({"type": "recurring", "recurrence": "monthly", "category": "Software", "amount": 100, "currency": "USD", "incurredAt": "2026-08-15", "allocatedProducts": [{"sku": "MUG", "percentage": 40}, {"sku": "CUP", "percentage": 10}]})).await;
    assert_eq!(e["data"]["allocation"], "skus");
    post(&app, &s, "/api/profit/expenses", json!({"type": "one-time", "category": "Photos", "amount": "30.00", "currency": "USD", "marketplaceId": US, "incurredAt": "2026-10-05"})).await;
    let oct = "startDate=2026-10-01&endDate=2026-10-31";
    let all = get(&app, &s, &format!("/api/profit/summary?{oct}")).await;
    assert_eq!(money(&all["data"]["totalExpenses"]), d("130"));
    assert_eq!(money(&all["data"]["netProfit"]), d("-130"));
    let us = get(
        &app,
        &s,
        &format!("/api/profit/summary?marketplaceId={US}&{oct}"),
    )
    .await;
    assert_eq!(
        money(&us["data"]["totalExpenses"]),
        d("30"),
        "the marketplace's own only"
    );
    let products = get(&app, &s, &format!("/api/profit/by-product?{oct}")).await;
    let row = |sku: &str| {
        products["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sku"] == sku)
            .cloned()
            .unwrap_or_else(|| panic!("{sku} row: {products}"))
    };
    assert_eq!(money(&row("MUG")["totalExpenses"]), d("40"));
    assert_eq!(money(&row("CUP")["totalExpenses"]), d("10"));
    // Three months: three occurrences.
    let q3 = get(
        &app,
        &s,
        "/api/profit/expenses?startDate=2026-08-01&endDate=2026-10-31&category=Software",
    )
    .await;
    assert_eq!(money(&q3["summary"]["totalAmount"]), d("300"));
    assert_eq!(q3["totalRecords"], 1);
    // Percentages over 100 are refused, naming the field.
    let over = app
        .call("POST", "/api/profit/expenses", Some(json!({"type": "one-time", "category": "X", "amount": 1, "currency": "USD", "incurredAt": "2026-10-01", "allocatedProducts": [{"sku": "A", "percentage": 70}, {"sku": "B", "percentage": 31}]})), Some(&s.token))
        .await;
    assert_error(&over, StatusCode::BAD_REQUEST);
    assert_eq!(over.body["details"][0]["field"], "allocatedProducts");
    // Update, then delete (404 after).
    let id = e["data"]["id"].as_str().unwrap();
    let up = app
        .call(
            "PATCH",
            &format!("/api/profit/expenses/{id}"),
            Some(json!({"amount": 120})),
            Some(&s.token),
        )
        .await;
    assert_eq!(money(&up.body["data"]["amount"]), d("120"));
    let del = app
        .call(
            "DELETE",
            &format!("/api/profit/expenses/{id}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(del.status, StatusCode::OK);
    let gone = app
        .call(
            "DELETE",
            &format!("/api/profit/expenses/{id}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_error(&gone, StatusCode::NOT_FOUND);
    // The top-level group lists the same expenses.
    let plain = get(&app, &s, "/api/expenses").await;
    assert_eq!(plain["total"], 1);
}

pub fn multipart(token: &str, csv: &str) -> Request<Body> {
    let boundary = "XbeddoraX";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"expenses.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    Request::builder()
        .method("POST")
        .uri("/api/profit/expenses/bulk")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn bulk_csv_import_names_every_bad_row_and_a_second_import_adds_nothing() {
    let app = TestApp::new();
    let s = app.signed_up("csv@example.com").await;
    let bad = "Type,Category,Amount,Currency,Date,AllocatedProducts\none-time,Rent,1000,USD,2026-10-01,\nweird,Rent,5,USD,2026-10-01,\none-time,Photos,-3,USD,2026-10-02,\nrecurring,Tools,\"1,5\",USD,2026-10-03,\"A:60,B:50\"\n";
    let r = app.raw(multipart(&s.token, bad)).await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = r.body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"rows.2.type"), "{fields:?}");
    assert!(fields.contains(&"rows.3.amount"), "{fields:?}");
    assert!(fields.contains(&"rows.4.amount"), "{fields:?}");
    assert!(fields.contains(&"rows.4.allocatedProducts"), "{fields:?}");
    assert_eq!(
        get(&app, &s, "/api/profit/expenses").await["totalRecords"],
        0,
        "nothing imported"
    );
    let good = "type,category,amount,currency,incurredAt,allocatedProducts,recurrence\none-time,Rent,1000,USD,2026-10-01,,\nrecurring,Tools,15.5,USD,2026-10-03,\"A:60,B:40\",weekly\n";
    let r = app.raw(multipart(&s.token, good)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["data"]["created"], 2);
    let again = app.raw(multipart(&s.token, good)).await;
    assert_eq!(again.body["data"]["created"], 0);
    assert_eq!(again.body["data"]["skipped"], 2);
    let oct = get(
        &app,
        &s,
        "/api/profit/expenses?startDate=2026-10-01&endDate=2026-10-31",
    )
    .await;
    // Rent once, tools weekly from the 3rd: 3, 10, 17, 24, 31.
    assert_eq!(money(&oct["summary"]["totalAmount"]), d("1077.5"));
}

fn figures(
    principal: &str,
    referral: &str,
    fba: &str,
    refunds: &str,
    units: i64,
    orders: i64,
) -> Figures {
    let mut f = Figures::default();
    f.add_amount(shared::profit::Category::Principal, d(principal));
    f.add_amount(shared::profit::Category::ReferralFees, d(referral));
    f.add_amount(shared::profit::Category::FbaFees, d(fba));
    f.add_amount(shared::profit::Category::Refunds, d(refunds));
    f.units_sold = units;
    f.orders = orders;
    f
}

/// One day of rollups: two SKUs and an account-level advertising line.
async fn seed_day(app: &TestApp, t: &Tenant, day: NaiveDate) {
    let a = figures("100", "-15", "-10", "-20", 4, 3);
    let b = figures("50.005", "-7.5", "-5", "0", 1, 1);
    let mut ads = Figures::default();
    ads.add_amount(shared::profit::Category::Advertising, d("-12.34"));
    let mut total = a.clone();
    total.add(&b);
    total.add(&ads);
    total.orders = 4;
    let row = |sku: &str, f: Figures| StoredRow {
        view: View::OrderDate,
        marketplace_id: US.into(),
        sku: sku.into(),
        day,
        currency: "USD".into(),
        figures: f,
    };
    rollup::replace_day(
        app.store.as_ref(),
        t,
        View::OrderDate,
        US,
        day,
        vec![
            row("MUG", a),
            row("CUP", b),
            row("", ads),
            row(ALL_SKUS, total),
        ],
    )
    .await
    .unwrap();
    rollup::note_marketplace(app.store.as_ref(), t, US, "USD")
        .await
        .unwrap();
}

#[tokio::test]
async fn figures_are_amazons_lines_minus_cogs_and_expenses_in_the_shapes_the_ui_reads() {
    let app = TestApp::new();
    let s = app.signed_up("figures@example.com").await;
    let t = tenant_of(&app, &s).await;
    for day in ["2026-10-30", "2026-10-31"] {
        seed_day(&app, &t, day.parse().unwrap()).await;
    }
    post(&app, &s, "/api/profit/expenses", json!({"type": "one-time", "category": "Rent", "amount": 50, "currency": "USD", "incurredAt": "2026-10-31"})).await;
    let q = "startDate=2026-10-30&endDate=2026-10-31";
    let sum = get(&app, &s, &format!("/api/profit/summary?{q}")).await["data"].clone();
    assert_eq!(
        money(&sum["salesRevenue"]),
        d("300.01"),
        "2 × 150.005, rounded half away from zero"
    );
    assert_eq!(money(&sum["totalFees"]), d("75"));
    assert_eq!(money(&sum["totalRefunds"]), d("40"));
    assert_eq!(money(&sum["advertisingCost"]), d("24.68"));
    assert_eq!(money(&sum["amazonNet"]), d("160.33"));
    assert_eq!(
        money(&sum["netProfit"]),
        d("110.33"),
        "every line − expenses"
    );
    assert_eq!(sum["orderCount"], 8);
    for k in [
        "salesRevenue",
        "totalExpenses",
        "totalFees",
        "totalRefunds",
        "totalCOGS",
        "grossProfit",
        "netProfit",
        "grossMargin",
        "netMargin",
        "orderCount",
    ] {
        assert!(sum[k].is_number(), "{k}");
    }
    // By product: SKU rows only (advertising is account level), by sales.
    let p = get(&app, &s, &format!("/api/profit/by-product?{q}")).await["data"].clone();
    let rows = p.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["sku"], "MUG");
    assert_eq!(money(&rows[0]["netProfit"]), d("110"));
    assert_eq!(rows[1]["unitsSold"], 2);
    // P&L: 13 periods, each metric index-aligned with them.
    let pl = get(&app, &s, "/api/profit/pl").await["data"].clone();
    let periods = pl["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 13);
    assert_eq!(pl["periodKeys"][1], "2026-10");
    for m in pl["metrics"].as_array().unwrap() {
        assert_eq!(
            m["periods"].as_array().unwrap().len(),
            13,
            "{}",
            m["parameter"]
        );
        for c in m["children"].as_array().into_iter().flatten() {
            assert_eq!(c["periods"].as_array().unwrap().len(), 13);
        }
    }
    let net = pl["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["parameter"] == "Net profit")
        .unwrap();
    assert_eq!(money(&net["periods"][1]["value"]), d("110.33"));
    let sales = pl["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["parameter"] == "Sales")
        .unwrap();
    assert_eq!(sales["isExpandable"], true);
    // Map: a bare array by country.
    let map = get(&app, &s, &format!("/api/profit/map?{q}")).await;
    assert_eq!(map[0]["country"], "US");
    assert_eq!(
        money(&map[0]["profit"]),
        d("160.33"),
        "the marketplace's net (no account-level expense)"
    );
    assert_eq!(map[0]["orders"], 8);
    // Product trends: a bare object, a value per day.
    let tr = get(
        &app,
        &s,
        &format!("/api/profit/trends/products?{q}&metric=units"),
    )
    .await;
    assert_eq!(tr["dates"], json!(["2026-10-30", "2026-10-31"]));
    assert_eq!(tr["products"][1]["sku"], "MUG");
    assert_eq!(tr["products"][1]["dailyValues"][1]["value"], 4);
    // The dashboard chart: a point per month.
    let ch = get(
        &app,
        &s,
        "/api/profit/charts/dashboard?period=month&startDate=2026-09-01&endDate=2026-10-31",
    )
    .await;
    let pts = ch["data"]["data"].as_array().unwrap();
    assert_eq!(pts.len(), 2);
    assert_eq!(pts[1]["period"], "2026-10");
    assert_eq!(money(&pts[1]["netProfit"]), d("110.33"));
    assert_eq!(pts[1]["unitsSold"], 10);
    // Named periods resolve in the marketplace's zone: the clock is 1 November, 04:00 in LA.
    let tiles = get(&app, &s, "/api/profit/summary/multiple-periods").await["data"].clone();
    assert_eq!(money(&tiles["yesterday"]["salesRevenue"]), d("150.01"));
    assert_eq!(money(&tiles["7days"]["salesRevenue"]), d("300.01"));
    // Validation: a clear 400.
    let bad = app
        .call(
            "GET",
            "/api/profit/summary?startDate=2026-10-31&endDate=2026-10-01",
            None,
            Some(&s.token),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let bad = app
        .call(
            "GET",
            "/api/profit/trends/products?startDate=2026-10-01&endDate=2026-10-02&metric=vibes",
            None,
            Some(&s.token),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
}

/// Tenant B's attempts on every profit route, aimed at tenant A's account and records; each
/// is refused (404/403) and A's figures are unchanged. Returns the (method, path) attempted,
/// for `isolation` to check every route is covered.
pub async fn attack(app: &TestApp, a: &Session, b: &Session) -> Vec<(String, String)> {
    let ta = &a.account_id;
    let qa = format!("?accountId={ta}");
    let tok = Some(a.token.as_str());
    let mk = |r: Resp| -> String {
        assert!(r.status.is_success(), "{:?}", r.body);
        r.body["data"]["id"].as_str().unwrap().to_string()
    };
    let expense = mk(app.call("POST", "/api/profit/expenses", Some(json!({"type": "one-time", "category": "A only", "amount": 10, "currency": "USD", "incurredAt": "2026-10-01"})), tok).await);
    let batch = mk(app
        .call(
            "POST",
            "/api/profit/cogs/batch",
            Some(json!({"sku": "A-SKU", "quantity": 5, "unitCost": 1})),
            tok,
        )
        .await);
    let cost = mk(app
        .call(
            "POST",
            "/api/profit/cogs",
            Some(json!({"sku": "A-SKU", "unitCost": 1})),
            tok,
        )
        .await);
    let cash = mk(app
        .call(
            "POST",
            "/api/cashflow",
            Some(json!({"type": "inflow", "amount": 5, "currency": "USD", "date": "2026-10-01"})),
            tok,
        )
        .await);
    let t = tenant_of(app, a).await;
    order(
        app,
        &t,
        "111-0000009-0000001",
        at(2026, 10, 1, 18),
        "A-SKU",
        2,
    )
    .await;
    let ret = mk(app.call("POST", "/api/profit/returns", Some(json!({"orderId": "111-0000009-0000001", "sku": "A-SKU", "quantityReturned": 1, "reasonCode": "X", "refundAmount": 1, "feeAmount": 0, "isSellable": true})), tok).await);
    let before = app
        .call("GET", &format!("/api/profit/expenses{qa}"), None, tok)
        .await
        .body;

    let mut tried = vec![];
    let bt = Some(b.token.as_str());
    let reads = [
        "/api/profit/summary",
        "/api/profit/report",
        "/api/profit/summary/multiple-periods",
        "/api/profit/by-product",
        "/api/profit/by-marketplace",
        "/api/profit/by-order-items",
        "/api/profit/trends",
        "/api/profit/pl",
        "/api/profit/map",
        "/api/profit/charts/dashboard",
        "/api/profit/charts/profit",
        "/api/profit/charts/sales",
        "/api/profit/charts/ppc",
        "/api/profit/charts/returns",
        "/api/profit/charts/comparison",
        "/api/profit/kpis/units-sold",
        "/api/profit/kpis/returns-cost",
        "/api/profit/kpis/advertising-cost",
        "/api/profit/kpis/fba-fees",
        "/api/profit/kpis/payout-estimate",
        "/api/profit/payouts",
        "/api/profit/cogs",
        "/api/profit/cogs/batch",
        "/api/profit/expenses",
        "/api/expenses",
        "/api/profit/returns",
        "/api/profit/returns/summary",
        "/api/cashflow",
        "/api/profit/cogs/A-SKU",
        "/api/profit/settings",
        "/api/profit/ads-invoices",
    ];
    for path in reads {
        let p = format!("{path}{qa}");
        refused_by(app.call("GET", &p, None, bt).await, &p);
        tried.push(("GET".to_string(), p));
    }
    for p in [
        format!("/api/profit/trends/simple{qa}&startDate=2026-10-01&endDate=2026-10-02"),
        format!("/api/profit/trends/products{qa}&startDate=2026-10-01&endDate=2026-10-02"),
        format!("/api/profit/cogs/history{qa}"),
        format!("/api/profit/cogs/batch/{batch}"),
        format!("/api/profit/cogs/batch/{batch}{qa}"),
        format!("/api/profit/expenses/{expense}"),
        format!("/api/expenses/{expense}"),
        "/api/profit/payouts/12345678901".to_string(),
        format!("/api/profit/payouts/12345678901{qa}"),
        format!("/api/profit/ads-invoices/TX1{qa}"),
    ] {
        refused_by(app.call("GET", &p, None, bt).await, &p);
        tried.push(("GET".to_string(), p));
    }
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/api/profit/cogs".into(),
            Some(json!({"accountId": ta, "sku": "X", "unitCost": 1})),
        ),
        (
            "PATCH",
            format!("/api/profit/cogs/{cost}"),
            Some(json!({"unitCost": 9})),
        ),
        (
            "PATCH",
            format!("/api/profit/cogs/{cost}{qa}"),
            Some(json!({"unitCost": 9})),
        ),
        ("DELETE", format!("/api/profit/cogs/{cost}"), None),
        (
            "POST",
            "/api/profit/cogs/batch".into(),
            Some(json!({"accountId": ta, "sku": "X", "quantity": 1, "unitCost": 1})),
        ),
        (
            "PATCH",
            format!("/api/profit/cogs/batch/{batch}"),
            Some(json!({"quantity": 1})),
        ),
        ("DELETE", format!("/api/profit/cogs/batch/{batch}"), None),
        (
            "POST",
            "/api/profit/expenses".into(),
            Some(
                json!({"accountId": ta, "type": "one-time", "category": "X", "amount": 1, "currency": "USD", "incurredAt": "2026-10-01"}),
            ),
        ),
        (
            "PATCH",
            format!("/api/profit/expenses/{expense}"),
            Some(json!({"amount": 999})),
        ),
        ("DELETE", format!("/api/profit/expenses/{expense}"), None),
        (
            "POST",
            "/api/expenses".into(),
            Some(
                json!({"accountId": ta, "type": "one-time", "category": "X", "amount": 1, "currency": "USD", "incurredAt": "2026-10-01"}),
            ),
        ),
        (
            "PUT",
            format!("/api/expenses/{expense}"),
            Some(json!({"amount": 999})),
        ),
        (
            "PATCH",
            format!("/api/expenses/{expense}"),
            Some(json!({"amount": 999})),
        ),
        ("DELETE", format!("/api/expenses/{expense}"), None),
        (
            "POST",
            "/api/profit/returns".into(),
            Some(
                json!({"accountId": ta, "orderId": "111-0000009-0000001", "sku": "A-SKU", "quantityReturned": 1, "reasonCode": "X", "isSellable": true}),
            ),
        ),
        // B's own account cannot name A's order either.
        (
            "POST",
            "/api/profit/returns".into(),
            Some(
                json!({"orderId": "111-0000009-0000001", "sku": "A-SKU", "quantityReturned": 1, "reasonCode": "X", "isSellable": true}),
            ),
        ),
        (
            "PATCH",
            format!("/api/profit/returns/{ret}"),
            Some(json!({"quantityReturned": 2})),
        ),
        ("DELETE", format!("/api/profit/returns/{ret}"), None),
        (
            "POST",
            "/api/cashflow".into(),
            Some(
                json!({"accountId": ta, "type": "inflow", "amount": 1, "currency": "USD", "date": "2026-10-01"}),
            ),
        ),
        ("DELETE", format!("/api/cashflow/{cash}"), None),
        (
            "PUT",
            "/api/profit/settings".into(),
            Some(json!({"accountId": ta, "reportingCurrency": "JPY"})),
        ),
    ];
    for (m, p, body) in writes {
        refused_by(app.call(m, &p, body, bt).await, &format!("{m} {p}"));
        tried.push((m.to_string(), p));
    }
    // The bulk import aimed at A's account.
    let mut req = multipart(
        &b.token,
        "type,category,amount,incurredAt\none-time,X,1,2026-10-01\n",
    );
    *req.uri_mut() = format!("/api/profit/expenses/bulk{qa}").parse().unwrap();
    refused_by(app.raw(req).await, "bulk");
    tried.push(("POST".into(), format!("/api/profit/expenses/bulk{qa}")));
    assert_eq!(
        app.call("GET", &format!("/api/profit/settings{qa}"), None, tok)
            .await
            .body["data"]["reportingCurrency"],
        "USD",
        "A's reporting currency unchanged"
    );
    assert_eq!(
        app.call("GET", &format!("/api/profit/expenses{qa}"), None, tok)
            .await
            .body,
        before,
        "A's expenses unchanged"
    );
    let still = app
        .call("GET", &format!("/api/profit/cogs/batch/{batch}"), None, tok)
        .await;
    assert_eq!(still.body["data"]["quantity"], 5);
    tried
}

fn refused_by(r: Resp, what: &str) {
    assert!(
        matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{what}: expected 404/403, got {} {:?}",
        r.status,
        r.body
    );
    assert!(r.body["error"].is_string(), "{what}: error body");
}

/// What the stand-in's own records say about a marketplace's posted lines, summed here
/// independently of the ledger: per SKU (empty: account level) and local day, sales (order
/// principal, shipping, gift wrap), the sum of every line, the fees, and units shipped.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TruthDay {
    pub sales: Decimal,
    pub net: Decimal,
    pub fees: Decimal,
    pub units: i64,
}

pub fn truth_by_sku_day(
    gt: &amazon_stand_in::ground_truth::GroundTruth,
    marketplace_id: &str,
) -> std::collections::BTreeMap<(String, NaiveDate), TruthDay> {
    let mut out: std::collections::BTreeMap<(String, NaiveDate), TruthDay> = Default::default();
    for (k, v) in gt
        .amounts
        .iter()
        .filter(|(k, _)| k.marketplace_id == marketplace_id)
    {
        let t = out.entry((k.sku.clone(), k.date)).or_default();
        t.net += *v;
        if k.transaction_type == "Order"
            && k.amount_type == "ItemPrice"
            && ["Principal", "Shipping", "GiftWrap"].contains(&k.amount_description.as_str())
        {
            t.sales += *v;
        }
        if k.amount_type == "ItemFees" {
            t.fees -= *v;
        }
    }
    for (k, n) in gt
        .units
        .iter()
        .filter(|(k, _)| k.marketplace_id == marketplace_id)
    {
        if k.transaction_type == "Order" {
            out.entry((k.sku.clone(), k.date)).or_default().units += n;
        }
    }
    out
}

fn sum_days<'a>(it: impl Iterator<Item = &'a TruthDay>) -> TruthDay {
    let mut s = TruthDay::default();
    for t in it {
        s.sales += t.sales;
        s.net += t.net;
        s.fees += t.fees;
        s.units += t.units;
    }
    s
}

fn r2(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Every tile, product row, order-item row, P&L cell, country and chart point the API gives
/// for each marketplace of a synced stand-in seller (posted view, the marketplace's own
/// currency, no COGS or expenses entered) equals the stand-in's ground truth to 0.00, with
/// the advertising amounts `ads` adds per (marketplace, SKU, day).
pub async fn assert_api_equals_ground_truth(
    app: &TestApp,
    s: &Session,
    st: &amazon_stand_in::server::Shared,
    ads: &std::collections::BTreeMap<(String, String, NaiveDate), Decimal>,
) {
    let gt = st.ground_truth();
    let seller = st.seller_now();
    for m in &seller.marketplaces {
        let mid = m.id;
        let mut truth = truth_by_sku_day(&gt, mid);
        // Each ad invoice allocated over its SKUs (`profit_api_e2e`'s `AdCost`).
        for ((m, sku, d), x) in ads {
            if m == mid {
                truth.entry((sku.clone(), *d)).or_default().net += *x;
            }
        }
        let last = amazon_stand_in::ground_truth::local_day(
            mid,
            seller.spec.end - chrono::Duration::seconds(1),
        );
        let first = last - chrono::Duration::days(29);
        let in_p = |d: &NaiveDate| first <= *d && *d <= last;
        let q = format!(
            "marketplaceId={mid}&currency=native&view=posted&startDate={first}&endDate={last}"
        );
        // The tile.
        let all = sum_days(truth.iter().filter(|((_, d), _)| in_p(d)).map(|(_, t)| t));
        let tile = get(app, s, &format!("/api/profit/summary?{q}")).await["data"].clone();
        assert_eq!(money(&tile["salesRevenue"]), r2(all.sales), "{mid} sales");
        assert_eq!(money(&tile["amazonNet"]), r2(all.net), "{mid} net");
        assert_eq!(
            money(&tile["netProfit"]),
            r2(all.net),
            "{mid} net profit = Amazon's lines"
        );
        assert_eq!(
            tile["unitsSold"].as_i64().unwrap_or(0),
            all.units,
            "{mid} units"
        );
        // Product rows.
        let mut want: std::collections::BTreeMap<String, TruthDay> = Default::default();
        for ((sku, d), t) in &truth {
            if !sku.is_empty() && in_p(d) {
                let e = want.entry(sku.clone()).or_default();
                *e = sum_days([e.clone(), t.clone()].iter());
            }
        }
        want.retain(|_, t| *t != TruthDay::default());
        let rows = get(app, s, &format!("/api/profit/by-product?{q}")).await["data"].clone();
        let got: std::collections::BTreeMap<String, (Decimal, Decimal, i64)> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["sku"].as_str().unwrap().to_string(),
                    (
                        money(&r["salesRevenue"]),
                        money(&r["netProfit"]),
                        r["unitsSold"].as_i64().unwrap_or(0),
                    ),
                )
            })
            .filter(|(_, v)| *v != (Decimal::ZERO, Decimal::ZERO, 0))
            .collect();
        let want: std::collections::BTreeMap<String, (Decimal, Decimal, i64)> = want
            .into_iter()
            .map(|(k, t)| (k, (r2(t.sales), r2(t.net), t.units)))
            .collect();
        assert_eq!(got, want, "{mid} product rows");
        // Country.
        let map = get(app, s, &format!("/api/profit/map?{q}")).await;
        assert_eq!(money(&map[0]["profit"]), r2(all.net), "{mid} map");
        // P&L cells and chart points by month.
        let by_month = |key: &str| {
            sum_days(
                truth
                    .iter()
                    .filter(|((_, d), _)| d.format("%Y-%m").to_string() == key)
                    .map(|(_, t)| t),
            )
        };
        let pl = get(
            app,
            s,
            &format!("/api/profit/pl?marketplaceId={mid}&currency=native&view=posted"),
        )
        .await["data"]
            .clone();
        let keys: Vec<String> = pl["periodKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        let end_month = pl["endDate"].as_str().unwrap()[..7].to_string();
        let metric = |name: &str| {
            pl["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["parameter"] == name)
                .unwrap()
                .clone()
        };
        let (sales_row, net_row, units_row) =
            (metric("Sales"), metric("Net profit"), metric("Units"));
        for (i, k) in keys.iter().enumerate() {
            let month = if k == "current-mtd" {
                end_month.clone()
            } else {
                k.clone()
            };
            let t = by_month(&month);
            assert_eq!(
                money(&sales_row["periods"][i]["value"]),
                r2(t.sales),
                "{mid} P&L sales {month}"
            );
            assert_eq!(
                money(&net_row["periods"][i]["value"]),
                r2(t.net),
                "{mid} P&L net {month}"
            );
            assert_eq!(
                money(&units_row["periods"][i]["value"]),
                Decimal::from(t.units),
                "{mid} P&L units {month}"
            );
        }
        let start = NaiveDate::parse_from_str(&format!("{}-01", &keys[12]), "%Y-%m-%d").unwrap();
        let chart = get(app, s, &format!("/api/profit/charts/dashboard?marketplaceId={mid}&currency=native&view=posted&period=month&startDate={start}&endDate={last}")).await["data"].clone();
        for p in chart["data"].as_array().unwrap() {
            let t = by_month(p["period"].as_str().unwrap());
            assert_eq!(
                money(&p["netProfit"]),
                r2(t.net),
                "{mid} chart {}",
                p["period"]
            );
            assert_eq!(
                p["unitsSold"].as_i64().unwrap_or(0),
                t.units,
                "{mid} chart units {}",
                p["period"]
            );
        }
        // Order-item rows of the last week: sales from the order, fees and net from every
        // line Amazon posted for the order and SKU.
        let week = format!(
            "marketplaceId={mid}&currency=native&startDate={}&endDate={last}&limit=500",
            last - chrono::Duration::days(6)
        );
        let items =
            get(app, s, &format!("/api/profit/by-order-items?{week}")).await["data"].clone();
        let mut checked = 0;
        for row in items.as_array().unwrap() {
            let oid = row["orderId"].as_str().unwrap();
            let sku = row["sku"].as_str().unwrap();
            let o = seller
                .orders
                .iter()
                .find(|o| o.id == oid)
                .expect("a stand-in order");
            let it = o
                .items
                .iter()
                .find(|i| seller.products[i.product].sku == sku)
                .expect("its line");
            assert_eq!(
                money(&row["salesRevenue"]),
                // A pending order has no prices at Amazon yet; a cancelled one was never
                // charged.
                r2(
                    if matches!(
                        o.status,
                        amazon_stand_in::model::OrderStatus::Pending
                            | amazon_stand_in::model::OrderStatus::Canceled
                    ) {
                        Decimal::ZERO
                    } else {
                        it.principal + it.shipping + it.gift_wrap
                    }
                ),
                "{oid} sales"
            );
            let (mut net, mut fees, mut posted) = (Decimal::ZERO, Decimal::ZERO, false);
            for t in seller
                .transactions
                .iter()
                .filter(|t| t.order_id.as_deref() == Some(oid) && t.posted <= st.now())
            {
                for (ti, l) in t.lines() {
                    if ti.product.map(|p| seller.products[p].sku.as_str()) == Some(sku) {
                        net += l.amount;
                        if l.category == "ItemFees" {
                            fees -= l.amount;
                        }
                        posted |= t.kind == amazon_stand_in::model::TxKind::Shipment;
                    }
                }
            }
            assert_eq!(row["posted"], posted, "{oid}");
            if o.status == amazon_stand_in::model::OrderStatus::Canceled && !posted {
                assert_eq!(money(&row["netProfit"]), Decimal::ZERO, "{oid} cancelled");
            }
            if posted {
                assert_eq!(money(&row["amazonNet"]), r2(net), "{oid} {sku} net");
                assert_eq!(money(&row["amazonFees"]), r2(fees), "{oid} {sku} fees");
                assert_eq!(money(&row["netProfit"]), r2(net), "{oid} {sku} net profit");
                checked += 1;
            }
        }
        assert!(
            checked > 0 || items.as_array().unwrap().is_empty(),
            "{mid}: some order lines were posted"
        );
    }
}
