//! The dashboard's calls through the local runner's router, warm, for a year of a
//! 100,000-order stand-in seller: p50 and p99 latency of each call (five period tiles, by
//! product, the chart, the P&L), and the items and bytes each call reads from the store.
//!
//! `cargo run --release -p beddora-local --example profit_bench -- [ORDERS] [ROUNDS]`
//! (defaults 100000 and 200). The rollup rows are built from the stand-in's transactions with
//! the ledger's own classification (`shared::profit::classify`), one row per marketplace, SKU
//! and local day plus the day's total, written with `rollup::replace_day` for both views; the
//! measured reads are the API's, on the embedded store.

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, Request};
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shared::adapters::{EmbeddedSecrets, EmbeddedStore, Outbox};
use shared::config::Config;
use shared::http::{AppState, TokenKeys};
use shared::ports::clock::FixedClock;
use shared::ports::store::{Condition, Item, Key, Page, Query, Store, StoreError, TxOp, WriteOp};
use shared::profit::{recompute, View};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// The store, counting what is read.
struct Counting {
    inner: EmbeddedStore,
    calls: AtomicU64,
    items: AtomicU64,
    bytes: AtomicU64,
    writes: AtomicU64,
}

impl Counting {
    fn saw(&self, items: &[Item]) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(items.len() as u64, Ordering::Relaxed);
        let b: usize = items
            .iter()
            .map(|i| serde_json::to_vec(i).map(|v| v.len()).unwrap_or(0))
            .sum();
        self.bytes.fetch_add(b as u64, Ordering::Relaxed);
    }
    fn wrote(&self, n: usize) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(n as u64, Ordering::Relaxed);
    }
    /// (store calls, items read, bytes read, items written) since the last take.
    fn take(&self) -> (u64, u64, u64, u64) {
        (
            self.calls.swap(0, Ordering::Relaxed),
            self.items.swap(0, Ordering::Relaxed),
            self.bytes.swap(0, Ordering::Relaxed),
            self.writes.swap(0, Ordering::Relaxed),
        )
    }
}

#[async_trait]
impl Store for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let r = self.inner.get(key).await?;
        match &r {
            Some(i) => self.saw(std::slice::from_ref(i)),
            None => self.saw(&[]),
        }
        Ok(r)
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.wrote(1);
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.wrote(1);
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        let p = self.inner.query(query).await?;
        self.saw(&p.items);
        Ok(p)
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.wrote(ops.len());
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let r = self.inner.batch_get(keys).await?;
        self.saw(&r);
        Ok(r)
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.wrote(ops.len());
        self.inner.batch_write(ops).await
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
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
    )
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let orders: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(end));
    let store = Arc::new(Counting {
        inner: EmbeddedStore::in_memory(clock.clone()),
        calls: AtomicU64::new(0),
        items: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        writes: AtomicU64::new(0),
    });
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
    let (_, login) = call(
        &app,
        "POST",
        "/api/auth/login",
        Some(json!({"email": email, "password": pw})),
        None,
    )
    .await;
    let bearer = login["accessToken"].as_str().unwrap().to_string();
    let account = login["accountId"].as_str().unwrap();
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &shared::domain::TenantId::parse(account).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();

    // A year of one North American seller, stored through the same record code paths the sync
    // uses (the stand-in's API renderings → `records::orders` / `records::transactions`), then
    // ledgered and rolled up by `recompute::rebuild` (what a backfill's events do, at once).
    let t0 = Instant::now();
    let seller = amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders,
        history_days: 365,
        end,
        marketplaces: vec!["US".into()],
        ..Default::default()
    });
    let included = vec!["FULFILLMENT".to_string(), "PROCEEDS".to_string()];
    for o in &seller.orders {
        let v = amazon_stand_in::render::order_2026(&seller, o, &included);
        let api: shared::amazon::models::orders::Order = serde_json::from_value(v).unwrap();
        let r = shared::records::orders::Order::from_api(&api).unwrap();
        shared::records::orders::put(store.as_ref(), &tenant, &r)
            .await
            .unwrap();
    }
    let mut txs = 0;
    for t in seller.transactions.iter().filter(|t| t.posted <= end) {
        let v = amazon_stand_in::render::transaction_2024(&seller, t, end);
        let api: shared::amazon::models::finances::Transaction = serde_json::from_value(v).unwrap();
        let r =
            shared::records::transactions::TransactionRecord::from_amazon("bench", &api).unwrap();
        shared::records::transactions::put(store.as_ref(), &tenant, &r)
            .await
            .unwrap();
        txs += 1;
    }
    println!(
        "stored {} orders and {txs} transactions in {:.1?}",
        seller.orders.len(),
        t0.elapsed()
    );
    let t1 = Instant::now();
    store.take();
    let rebuilt = recompute::rebuild(store.as_ref(), &tenant).await.unwrap();
    let (calls, items, bytes, _) = store.take();
    println!(
        "rebuild (ledgers, rollups, blocks of both views): {} days, {} ledgers, {} rollup items written in {:.1?}; {calls} store calls, {items} items / {:.1} MB read",
        rebuilt.days.len(),
        rebuilt.ledgers_written,
        rebuilt.rows_written,
        t1.elapsed(),
        bytes as f64 / 1e6
    );

    // One order changes: the event the orders sync sends for its day (a day a month back,
    // every order of it shipped and posted).
    let us = "ATVPDKIKX0DER";
    let day = (end - Duration::days(30)).date_naive();
    let placed = seller
        .orders
        .iter()
        .filter(|o| amazon_stand_in::ground_truth::local_day(us, o.purchase_date) == day)
        .count();
    let orders_changed = json!({"marketplaceId": us, "days": [day.to_string()]});
    let one_day: std::collections::BTreeSet<_> = [(View::OrderDate, us.to_string(), day)].into();
    for (name, detail_type, detail) in [
        (
            "OrdersChanged, day never re-checked (each order looked up in the order index)",
            "OrdersChanged",
            orders_changed.clone(),
        ),
        (
            "the delayed re-check of that day (links its orders' shipments)",
            recompute::RECHECK,
            recompute::recheck_detail(&tenant, &one_day),
        ),
        (
            "OrdersChanged, day re-checked before (one query for the day's links)",
            "OrdersChanged",
            orders_changed.clone(),
        ),
        (
            "TransactionsChanged (1 posted day)",
            "TransactionsChanged",
            json!({"marketplaceId": us, "postedDays": [day.to_string()]}),
        ),
    ] {
        store.take();
        let t = Instant::now();
        let o = recompute::apply_to(store.as_ref(), &tenant, detail_type, &detail)
            .await
            .unwrap();
        let (calls, items, bytes, writes) = store.take();
        println!(
            "recompute after {name}, {placed} orders placed that day: {} days recomputed, {calls} store calls, {items} items / {:.1} KB read, {writes} items written, {:.1?}",
            o.days.len() + o.rechecked.len(),
            bytes as f64 / 1024.0,
            t.elapsed()
        );
    }
    for view in View::ALL {
        store.take();
        shared::profit::blocks::refresh(store.as_ref(), &tenant, view, us, day)
            .await
            .unwrap();
        let (calls, items, bytes, writes) = store.take();
        println!(
            "  of which the blocks of one {view:?} day: {calls} store calls, {items} items / {:.1} KB read, {writes} items written",
            bytes as f64 / 1024.0
        );
    }

    let calls: Vec<(&str, String)> = vec![
        ("tile today", "/api/profit/summary?range=today".into()),
        (
            "tile yesterday",
            "/api/profit/summary?range=yesterday".into(),
        ),
        ("tile 7 days", "/api/profit/summary?range=7days".into()),
        ("tile 14 days", "/api/profit/summary?range=14days".into()),
        ("tile 30 days", "/api/profit/summary?range=30days".into()),
        (
            "by product 30 days",
            "/api/profit/by-product?range=30days".into(),
        ),
        (
            "chart 12 months",
            format!(
                "/api/profit/charts/dashboard?period=month&startDate={}&endDate={}",
                (end - Duration::days(365)).date_naive(),
                (end - Duration::days(1)).date_naive()
            ),
        ),
        ("P&L 13 periods", "/api/profit/pl".into()),
    ];
    // Warm.
    for (_, p) in &calls {
        let (s, b) = call(&app, "GET", p, None, Some(&bearer)).await;
        assert_eq!(s, 200, "{p}: {b}");
    }
    println!(
        "{:<20} {:>10} {:>10} {:>12} {:>12}",
        "call", "p50 ms", "p99 ms", "items read", "KB read"
    );
    for (name, p) in &calls {
        let mut times = vec![];
        let mut reads = (0, 0);
        for _ in 0..rounds {
            store.take();
            let t = Instant::now();
            let (s, _) = call(&app, "GET", p, None, Some(&bearer)).await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(s, 200);
            let (_, items, bytes, _) = store.take();
            reads = (items, bytes);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{:<20} {:>10.2} {:>10.2} {:>12} {:>12.1}",
            name,
            pct(&times, 0.5),
            pct(&times, 0.99),
            reads.0,
            reads.1 as f64 / 1024.0
        );
    }
}
