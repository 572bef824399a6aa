//! The profit API end to end: a 5,000-order North American stand-in seller connected through
//! the API and backfilled by the sync worker, its domain events consumed by the rollups job as
//! they come; then every figure the profit screens read, through the API, equals the
//! stand-in's ground truth to 0.00 (`profit_api::assert_api_equals_ground_truth`), and every
//! payout the API lists is Amazon's, reproduced to 0.00.

use super::amazon_client::Virtual;
use super::amazon_connect::{amazon_app, authorize, callback, callback_path, consent, Connected};
use super::helpers::*;
use super::profit_api::assert_api_equals_ground_truth;
use super::sync_money::world_of;
use super::sync_worker::Recorder;
use axum::http::StatusCode;
use chrono::Duration;
use rust_decimal::Decimal;
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::jobs::lambda::Batch;
use shared::jobs::{self, Runtime};
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::{Clock, Pacer, Store};
use shared::profit::job::{Rollups, DETAIL_TYPES};
use shared::sync::{self, Dataset};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Consumes the rollups queue until it is empty.
async fn pump(queue: &EmbeddedQueue, q: &QueueRef, consumer: &Rollups) {
    loop {
        let batch = queue.receive(q, 10, Duration::minutes(10)).await.unwrap();
        if batch.is_empty() {
            return;
        }
        let deadline = chrono::Utc::now() + Duration::hours(1);
        for (id, disposition) in consumer.process(&batch, deadline).await {
            assert!(disposition.is_settled(), "rollup message {id} failed");
            let d = batch.iter().find(|d| d.message_id == id).unwrap();
            queue.delete(q, &d.receipt).await.unwrap();
        }
    }
}

/// Runs the sync queue dry like `sync_e2e`'s drain, and after each step the rollups queue.
#[allow(clippy::too_many_arguments)] // the sync queue's four and the rollups queue's three
async fn drain(
    store: &dyn Store,
    queues: &Recorder,
    q: &QueueRef,
    runtime: &Runtime,
    c: &Connected,
    inner: &EmbeddedQueue,
    rq: &QueueRef,
    rollups: &Rollups,
) {
    for _ in 0..200_000 {
        sync::dispatch(store, queues, q, c.w.st.now(), 100)
            .await
            .unwrap();
        let n = jobs::poll_once(
            runtime,
            queues,
            Duration::minutes(20),
            Duration::minutes(14),
        )
        .await
        .unwrap();
        pump(inner, rq, rollups).await;
        if n > 0 {
            continue;
        }
        if queues.stats(q).await.unwrap().total() == 0 {
            return;
        }
        c.w.st.advance(Duration::seconds(15));
    }
    panic!("the sync queue never emptied");
}

#[tokio::test]
async fn every_profit_figure_of_a_synced_seller_equals_the_ground_truth_through_the_api() {
    let w = world_of(amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders: 5_000,
        marketplaces: ["US", "CA", "MX"].map(String::from).to_vec(),
        ..Default::default()
    }))
    .await;
    let mut app = TestApp::new();
    app.clock.set(w.st.now());
    let amazon = amazon_app(&w, app.store.clone(), None);
    app.state.amazon = Some(amazon.clone());
    let c = Connected { app, w, amazon };
    let s = c.app.signed_up("profit-api@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, false).await;
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    let store = c.app.store.clone();
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(c.w.st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let inner = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = inner.declare("sync", Some(("sync-dlq", 10)));
    let rq = inner.declare("rollups", Some(("rollups-dlq", 10)));
    let bus = EmbeddedBus::new(inner.clone(), clock.clone());
    bus.route(
        Pattern {
            source: "beddora.sync".into(),
            detail_types: DETAIL_TYPES.map(String::from).to_vec(),
        },
        rq.clone(),
    );
    let rollups = Rollups {
        store: store.clone(),
        recheck: None,
    };
    let queues = Arc::new(Recorder {
        inner: inner.clone(),
        sent: Mutex::default(),
    });
    let ports = job_sync_worker::Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets: c.app.state.secrets.clone(),
        bus: Arc::new(bus),
        amazon: c.amazon.clone(),
        pacer,
    };
    let runtime = job_sync_worker::runtime(&ports, &c.app.state.config.secret_prefix, q.clone());
    drain(
        store.as_ref(),
        &queues,
        &q,
        &runtime,
        &c,
        &inner,
        &rq,
        &rollups,
    )
    .await;
    c.w.st.advance(Dataset::FeeEstimates.cadence());
    drain(
        store.as_ref(),
        &queues,
        &q,
        &runtime,
        &c,
        &inner,
        &rq,
        &rollups,
    )
    .await;
    c.app.clock.set(c.w.st.now());

    assert_api_equals_ground_truth(&c.app, &s, &c.w.st).await;

    // Every settlement with money, as Amazon paid it, reconciled to 0.00 through the API.
    let r = c
        .app
        .call("GET", "/api/profit/payouts", None, Some(&s.token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let listed: BTreeMap<String, serde_json::Value> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["settlementId"].as_str().unwrap().to_string(), p.clone()))
        .collect();
    let gt = c.w.st.ground_truth();
    let mut n = 0;
    for p in gt.payouts.iter().filter(|p| p.closed) {
        let Some(ours) = listed.get(&p.settlement_id) else {
            continue;
        };
        assert_eq!(
            ours["amazonTotal"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            p.total,
            "{}",
            p.settlement_id
        );
        assert_eq!(
            ours["difference"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            Decimal::ZERO,
            "{}",
            p.settlement_id
        );
        n += 1;
    }
    assert!(n > 50, "{n} payouts reconciled through the API");
    let one = listed.keys().next().unwrap();
    let d = c
        .app
        .call(
            "GET",
            &format!("/api/profit/payouts/{one}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(!d.body["data"]["lines"].as_array().unwrap().is_empty());
}
