//! The inventory screen's calls through the local runner's router, warm, for a seller with
//! SKUS (default 5,000) SKUs and two years of orders on the embedded store: p50 and p99 of
//! `GET /api/inventory` (the stock list the UI polls every 60 s) and
//! `GET /api/inventory/forecast`, each reading the forecasts the forecasts job stored; and one
//! run of that job (read every order and stock record, forecast every SKU, write the
//! forecasts, derive the alerts): wall time and the peak memory it adds to the process
//! (VmHWM reset through /proc/self/clear_refs before the run).
//!
//! `cargo run --profile bench-run -p beddora-local --example inventory_bench -- [SKUS] [ORDERS] [ROUNDS]`
//! (defaults 5000, 300000, 50). Orders are spread over the SKUs by a skewed popularity (a few
//! best sellers, a long tail), with a weekly and a yearly rhythm, one to three items each.

use axum::body::Body;
use axum::http::{header, Request};
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore, Outbox};
use shared::config::Config;
use shared::http::{AppState, TokenKeys};
use shared::ports::clock::FixedClock;
use shared::ports::Clock;
use shared::records::inventory::{self, InventoryRecord, StockSource};
use shared::records::orders::{self, Order, OrderItem, Source};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value, usize) {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bytes.len(),
    )
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Kilobytes of a `/proc/self/status` line.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let skus: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let order_count: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(300_000);
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(50);
    let end = Utc.with_ymd_and_hms(2026, 11, 1, 18, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(end));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let outbox = Outbox::new();
    let state = AppState {
        config: Arc::new(Config::local_defaults()),
        store: store.clone(),
        secrets: Arc::new(EmbeddedSecrets::in_memory()),
        mailer: Arc::new(outbox.clone()),
        clock: clock.clone(),
        keys: Arc::new(TokenKeys::from_key(
            b"bench-signing-key-of-at-least-32-bytes!!",
        )),
        amazon: None,
        background: Default::default(),
    };
    let app = beddora_local::app(state.clone());
    let email = "bench@example.com";
    let pw = "Correct-Horse-9!";
    call(&app, "POST", "/api/auth/register", Some(json!({"email": email, "password": pw, "name": "Bench", "acceptTerms": true, "acceptPrivacy": true})), None).await;
    state.background.idle().await;
    let mail = outbox.last_to(email).expect("verification mail");
    let start = mail.text.find("token=").unwrap() + 6;
    let token = mail.text[start..]
        .split(char::is_whitespace)
        .next()
        .unwrap();
    call(
        &app,
        "GET",
        &format!("/api/auth/verify-email?token={token}"),
        None,
        None,
    )
    .await;
    let (_, login, _) = call(
        &app,
        "POST",
        "/api/auth/login",
        Some(json!({"email": email, "password": pw})),
        None,
    )
    .await;
    let bearer = login["accessToken"].as_str().unwrap().to_string();
    let account = login["accountId"].as_str().unwrap().to_string();
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &shared::domain::TenantId::parse(&account).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();

    // The seller: stock for every SKU, two years of orders.
    let t0 = Instant::now();
    let us = "ATVPDKIKX0DER";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..skus {
        let on_hand = (rng.next() % 400) as i64;
        inventory::put(
            store.as_ref(),
            &tenant,
            &InventoryRecord {
                marketplace_id: us.into(),
                sku: format!("SKU-{i:05}"),
                fnsku: Some(format!("X{i:09}")),
                asin: Some(format!("B0{i:08}")),
                product_name: Some(format!("Product {i}")),
                connection: "bench".into(),
                fulfillable: on_hand,
                inbound_working: (rng.next() % 3) as i64 * 10,
                inbound_shipped: 0,
                inbound_receiving: 0,
                reserved: (rng.next() % 5) as i64,
                unfulfillable: rng.next().is_multiple_of(20) as i64,
                researching: 0,
                observed_at: end,
                source: StockSource::Api,
            },
        )
        .await
        .unwrap();
    }
    let days = 730i64;
    let first = end - Duration::days(days);
    let mut written = 0;
    while written < order_count {
        let d = (rng.next() % days as u64) as i64;
        let at = first + Duration::days(d) + Duration::seconds((rng.next() % 86_400) as i64);
        // A weekly and a yearly rhythm: keep an order with the day's weight.
        let weekday = 1.0 + 0.2 * ((d % 7) as f64 / 6.0);
        let season = 1.0 + 0.5 * ((d as f64 / 365.0) * std::f64::consts::TAU).sin().max(0.0);
        if rng.unit() * 1.7 > weekday * season / 1.2 {
            continue;
        }
        let items = 1 + (rng.next() % 3) as usize;
        let id = format!("111-{written:07}-0000000");
        let lines: Vec<OrderItem> = (0..items)
            .map(|k| {
                // Skewed popularity: the square of a uniform picks low indices often.
                let u = rng.unit();
                let sku = ((u * u) * skus as f64) as usize;
                OrderItem {
                    order_item_id: Some(format!("{id}-{k}")),
                    sku: format!("SKU-{sku:05}"),
                    asin: Some(format!("B0{sku:08}")),
                    quantity: 1 + (rng.next() % 2) as i64,
                    item_price: Some(Decimal::new(1999, 2)),
                    shipping_price: None,
                    gift_wrap_price: None,
                    tax: None,
                    discount: None,
                    breakdown: None,
                }
            })
            .collect();
        orders::put(
            store.as_ref(),
            &tenant,
            &Order {
                amazon_order_id: id,
                marketplace_id: us.into(),
                purchase_date: at,
                last_updated: at,
                status: "SHIPPED".into(),
                fulfilled_by: Some("AMAZON".into()),
                currency: Some("USD".into()),
                is_business: Some(false),
                items: lines,
                source: Source::Api,
            },
        )
        .await
        .unwrap();
        written += 1;
    }
    println!(
        "seeded {skus} SKUs and {written} orders over {days} days in {:.1?}",
        t0.elapsed()
    );

    // One run of the forecasts job.
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let queue = Arc::new(EmbeddedQueue::in_memory(dyn_clock.clone()));
    let job = api_inventory::job::Forecasts {
        store: store.clone(),
        bus: Arc::new(EmbeddedBus::new(queue, dyn_clock.clone())),
        clock: dyn_clock,
    };
    // Reading and forecasting alone (no writes), then the job's first run (writes every
    // forecast and alert), then a run with nothing changed.
    let base = status_kb("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let list = api_inventory::forecasts::compute_all(store.as_ref(), &tenant, clock.now())
        .await
        .unwrap();
    println!(
        "read + forecast {} SKUs: {:.2?}; peak RSS {} MB above the {} MB before",
        list.len(),
        t.elapsed(),
        status_kb("VmHWM:").saturating_sub(base) / 1024,
        base / 1024
    );
    drop(list);
    for run in ["first run", "again, nothing changed"] {
        let base = status_kb("VmRSS:");
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let t = Instant::now();
        let o = job.recompute(&tenant).await.unwrap();
        println!(
            "forecasts job, {run}: {} SKUs, {} forecasts written, {} alerts raised in {:.2?}; peak RSS {} MB above the {} MB before",
            o.skus,
            o.forecasts_written,
            o.raised,
            t.elapsed(),
            status_kb("VmHWM:").saturating_sub(base) / 1024,
            base / 1024
        );
    }

    let q = format!("accountId={account}");
    let calls: Vec<(&str, String)> = vec![
        (
            "stock list (page 1, 25)",
            format!("/api/inventory?{q}&sku=&page=1&limit=25&includePendingShipments=true"),
        ),
        (
            "forecast (all)",
            format!("/api/inventory/forecast?{q}&sku="),
        ),
        (
            "forecast (page 1, 25)",
            format!("/api/inventory/forecast?{q}&sku=&page=1&limit=25"),
        ),
    ];
    for (_, p) in &calls {
        let (s, b, _) = call(&app, "GET", p, None, Some(&bearer)).await;
        assert_eq!(s, 200, "{p}: {b}");
    }
    println!(
        "{:<26} {:>10} {:>10} {:>10}",
        "call", "p50 ms", "p99 ms", "KB out"
    );
    for (name, p) in &calls {
        let mut times = vec![];
        let mut size = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let (s, _, n) = call(&app, "GET", p, None, Some(&bearer)).await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(s, 200);
            size = n;
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{:<26} {:>10.1} {:>10.1} {:>10.1}",
            name,
            pct(&times, 0.5),
            pct(&times, 0.99),
            size as f64 / 1024.0
        );
    }
}
