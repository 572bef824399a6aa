//! Sync state and the dispatcher: a new connection's datasets are due at once, a dispatched
//! run is not dispatched again, two dispatchers racing start each run once, finished runs wait
//! for their cadence, stalled ones restart, and a connection that needs the seller never runs.
//! On the embedded store and on DynamoDB (moto).

use super::jobs::{on_dynamodb, tenant_in};
use chrono::Duration;
use shared::adapters::{EmbeddedQueue, EmbeddedStore};
use shared::jobs::JobMessage;
use shared::keys::Tenant;
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::{Clock, FixedClock, Store};
use shared::sync::{self, Dataset, Status};
use std::collections::BTreeSet;
use std::sync::Arc;

async fn drain(queues: &EmbeddedQueue, q: &QueueRef) -> Vec<JobMessage> {
    let mut out = Vec::new();
    loop {
        let got = queues.receive(q, 10, Duration::hours(1)).await.unwrap();
        if got.is_empty() {
            return out;
        }
        for m in got {
            out.push(serde_json::from_str(&m.body).unwrap());
            queues.delete(q, &m.receipt).await.unwrap();
        }
    }
}

/// Only this tenant's runs (the moto table is shared by nothing else, but be exact).
fn of(t: &Tenant, msgs: &[JobMessage]) -> Vec<JobMessage> {
    msgs.iter()
        .filter(|m| m.tenant == *t.id())
        .cloned()
        .collect()
}

async fn dispatcher_lifecycle(store: Arc<dyn Store>, clock: Arc<FixedClock>) {
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = queues.declare("sync", None);
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    sync::register(store.as_ref(), &tenant, "conn-1", clock.now())
        .await
        .unwrap();
    // Registering again (a reconnect) keeps what is there.
    sync::register(store.as_ref(), &tenant, "conn-1", clock.now())
        .await
        .unwrap();

    // Two dispatchers at the same moment: each run is started, and started once.
    let (a, b) = tokio::join!(
        sync::dispatch(store.as_ref(), queues.as_ref(), &q, clock.now(), 100),
        sync::dispatch(store.as_ref(), queues.as_ref(), &q, clock.now(), 100),
    );
    let started = a.unwrap().len() + b.unwrap().len();
    assert_eq!(
        started,
        Dataset::ALL.len(),
        "every dataset, each claimed by one dispatcher"
    );
    let sent = of(&tenant, &drain(&queues, &q).await);
    let keys: BTreeSet<String> = sent.iter().map(|m| m.key.clone()).collect();
    assert_eq!(
        keys.len(),
        Dataset::ALL.len(),
        "any duplicate message carries the same key: {keys:?}"
    );
    let datasets: BTreeSet<String> = sent.iter().filter_map(|m| m.dataset.clone()).collect();
    assert_eq!(datasets.len(), Dataset::ALL.len());
    for d in Dataset::ALL {
        let s = sync::get(store.as_ref(), &tenant, "conn-1", d)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.status, Status::Running);
        assert_eq!(s.run_started_at, Some(clock.now()));
    }
    let again = sync::dispatch(store.as_ref(), queues.as_ref(), &q, clock.now(), 100)
        .await
        .unwrap();
    assert!(
        of(&tenant, &again).is_empty(),
        "a running dataset is not dispatched again"
    );

    // The worker finishes orders: it waits for its cadence.
    let orders = sync::get(store.as_ref(), &tenant, "conn-1", Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    let done = orders.finished(clock.now());
    assert!(sync::update(store.as_ref(), &tenant, &orders, done.clone())
        .await
        .unwrap());
    assert!(
        !sync::update(store.as_ref(), &tenant, &orders, done)
            .await
            .unwrap(),
        "a write based on a stale read loses"
    );
    // Settlements need the seller: they never run until reconnected.
    let settlements = sync::get(store.as_ref(), &tenant, "conn-1", Dataset::Settlements)
        .await
        .unwrap()
        .unwrap();
    let blocked = settlements.needs_reauthorization("invalid_grant", clock.now());
    assert!(sync::update(store.as_ref(), &tenant, &settlements, blocked)
        .await
        .unwrap());

    clock.advance(Duration::minutes(16));
    let next = of(
        &tenant,
        &sync::dispatch(store.as_ref(), queues.as_ref(), &q, clock.now(), 100)
            .await
            .unwrap(),
    );
    assert_eq!(
        next.len(),
        1,
        "orders are due again after 15 minutes: {next:?}"
    );
    assert_eq!(next[0].dataset.as_deref(), Some("orders"));

    // The others never reported back: after the stall time they restart from their
    // checkpoint; settlements still wait for the seller.
    clock.advance(sync::STALL);
    let restarted: BTreeSet<String> = of(
        &tenant,
        &sync::dispatch(store.as_ref(), queues.as_ref(), &q, clock.now(), 100)
            .await
            .unwrap(),
    )
    .iter()
    .filter_map(|m| m.dataset.clone())
    .collect();
    assert_eq!(
        restarted,
        Dataset::ALL
            .into_iter()
            .filter(|d| *d != Dataset::Settlements)
            .map(|d| d.as_str().to_string())
            .collect::<BTreeSet<_>>()
    );
    let states = sync::all(store.as_ref(), &tenant).await.unwrap();
    assert_eq!(states.len(), Dataset::ALL.len());
}

#[tokio::test]
async fn dispatcher_lifecycle_on_the_embedded_store() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    dispatcher_lifecycle(Arc::new(EmbeddedStore::in_memory(clock.clone())), clock).await;
}

#[tokio::test]
async fn dispatcher_lifecycle_on_dynamodb() {
    on_dynamodb(dispatcher_lifecycle).await;
}

#[test]
fn progress_gives_an_eta_from_the_pace_so_far() {
    let start = super::helpers::start_time();
    let p = sync::Progress {
        steps_done: 10,
        steps_total: 40,
        records_done: 1000,
        records_estimate: 4000,
    };
    assert_eq!(
        p.eta(start, start + Duration::minutes(10)),
        Some(start + Duration::minutes(40))
    );
    assert_eq!(sync::Progress::default().eta(start, start), None);
}
