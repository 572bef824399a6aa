//! The whole path at once: a user connects a 5,000-order North American stand-in seller
//! through the API
//! (authorize → consent page → callback without a bearer), then the dispatcher and the sync
//! worker with every dataset backfill two years; orders and items, transactions and
//! settlements equal the stand-in's ground truth; every message of the run delivered twice
//! more, shuffled, leaves the store identical.

use super::amazon_client::{client, context, Virtual, World};
use super::amazon_connect::{amazon_app, authorize, callback, callback_path, consent, Connected};
use super::helpers::*;
use super::sync_money::{
    assert_settlements_equal_the_truth, by_day, truth_by_day, world_of, Seller,
};
use super::sync_worker::{assert_ground_truth, shuffle, started, Recorder};
use axum::http::StatusCode;
use chrono::Duration;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::connections::Connections;
use shared::domain::{AmazonAccountId, TenantId};
use shared::jobs::{self, Runtime};
use shared::keys::Tenant;
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::store::{query_all, Index, Item, Query, SortKey, Value};
use shared::ports::{Clock, Pacer, Store};
use shared::sync::{self, Dataset, Status};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Dispatch what is due and run the sync queue until it is empty, moving the stand-in's time
/// on while only delayed messages wait.
async fn drain(
    store: &dyn Store,
    queues: &Recorder,
    q: &QueueRef,
    runtime: &Runtime,
    c: &Connected,
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

/// Every item of the tenant's partition, as stored.
async fn dump(store: &dyn Store, tenant: &Tenant) -> BTreeMap<String, Item> {
    let q = Query::partition(Index::Table, shared::keys::pk(tenant)).sk(SortKey::Any);
    query_all(store, q)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.get("sk").and_then(Value::as_s).unwrap().to_string(), i))
        .collect()
}

/// A stand-in seller connected through the API and backfilled by the dispatcher and the sync
/// worker with every dataset: what the end-to-end tests read afterwards.
pub struct Backfilled {
    pub c: Connected,
    pub session: Session,
    pub conn: String,
    pub tenant: Tenant,
    pub account: shared::connections::AmazonAccount,
    pub states: Vec<shared::sync::SyncState>,
    pub inner: Arc<EmbeddedQueue>,
    pub q: QueueRef,
    pub queues: Arc<Recorder>,
    pub runtime: Runtime,
}

/// A 5,000-order North American seller (US, CA, MX: a connection is one region), connected
/// and backfilled; every dataset backfilled and idle.
pub async fn backfilled_seller() -> Backfilled {
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

    // Connect through the API, as the browser does.
    let s = c.app.signed_up("e2e@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, false).await;
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    let conn = r.body["data"]["amazonAccountId"]
        .as_str()
        .unwrap()
        .to_string();
    let store = c.app.store.clone();
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let repo = Connections::new(
        store.as_ref(),
        c.app.state.secrets.as_ref(),
        &c.app.state.config.secret_prefix,
    );
    let account = repo
        .find(&tenant, &AmazonAccountId::parse(&conn).unwrap())
        .await
        .unwrap()
        .expect("connected");

    // The jobs, on the app's store and secrets.
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(c.w.st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let inner = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = inner.declare("sync", Some(("sync-dlq", 10)));
    let queues = Arc::new(Recorder {
        inner: inner.clone(),
        sent: Mutex::default(),
    });
    let ports = job_sync_worker::Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets: c.app.state.secrets.clone(),
        bus: Arc::new(EmbeddedBus::new(inner.clone(), clock.clone())),
        amazon: c.amazon.clone(),
        pacer,
    };
    let runtime = job_sync_worker::runtime(&ports, &c.app.state.config.secret_prefix, q.clone());
    drain(store.as_ref(), &queues, &q, &runtime, &c).await;
    // The fee estimates' first run started before any sale was synced; its sweep finds them.
    c.w.st.advance(Dataset::FeeEstimates.cadence());
    drain(store.as_ref(), &queues, &q, &runtime, &c).await;
    let states = sync::all(store.as_ref(), &tenant).await.unwrap();
    assert_eq!(states.len(), Dataset::ALL.len());
    for state in &states {
        assert!(
            state.backfilled && state.status == Status::Idle,
            "{}: {:?} {:?}",
            state.dataset,
            state.status,
            state.error
        );
    }
    Backfilled {
        c,
        session: s,
        conn,
        tenant,
        account,
        states,
        inner,
        q,
        queues,
        runtime,
    }
}

/// The backfill's reach: two years before its first run (later runs are sweeps, and the
/// inventory datasets' reports keep the first drain going for simulated hours).
pub async fn reach_of(
    store: &dyn Store,
    tenant: &Tenant,
    states: &[shared::sync::SyncState],
) -> chrono::DateTime<chrono::Utc> {
    let orders_state = states
        .iter()
        .find(|s| s.dataset == Dataset::Orders)
        .unwrap();
    let first_run = sync::runs(store, tenant, None, Some(Dataset::Orders), 1_000)
        .await
        .unwrap()
        .last()
        .map_or_else(|| started(orders_state), |r| r.started_at);
    first_run - Duration::days(730)
}

#[tokio::test]
async fn a_connected_seller_backfills_to_the_ground_truth_and_replays_change_nothing() {
    let Backfilled {
        c,
        conn,
        tenant,
        account,
        states,
        inner,
        q,
        queues,
        runtime,
        ..
    } = backfilled_seller().await;
    let store = c.app.store.clone();
    let repo = Connections::new(
        store.as_ref(),
        c.app.state.secrets.as_ref(),
        &c.app.state.config.secret_prefix,
    );
    // Orders and items, record for record.
    let orders: BTreeMap<String, shared::records::orders::Order> =
        shared::records::orders::all(store.as_ref(), &tenant)
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.amazon_order_id.clone(), o))
            .collect();
    let reach = reach_of(store.as_ref(), &tenant, &states).await;
    assert_ground_truth(&c.w.st, &orders, reach);
    // Transactions to the cent; settlements and payouts as Amazon has them.
    let transactions = shared::records::transactions::all(store.as_ref(), &tenant)
        .await
        .unwrap();
    assert_eq!(
        by_day(&transactions),
        truth_by_day(&c.w.st.ground_truth()),
        "every amount by marketplace, SKU, day and kind"
    );
    let world = World {
        st: c.w.st.clone(),
        base: c.w.base.clone(),
        store: store.clone(),
    };
    let (_, api) = client(&world);
    let refresh = repo
        .credentials(&account)
        .await
        .unwrap()
        .unwrap()
        .refresh_token;
    let ctx = context(&world, &conn, &refresh);
    let seller = Seller {
        w: world,
        api,
        ctx,
        tenant: tenant.clone(),
        account,
        pacer: Arc::new(Virtual(c.w.st.clone())),
    };
    let settlements = assert_settlements_equal_the_truth(&seller).await;
    assert!(!settlements.is_empty(), "settlements were read");
    // Inventory: stock, every ledger event and daily stock, returns, reimbursements.
    super::sync_inventory::assert_inventory_matches(
        store.as_ref(),
        &tenant,
        &c.w.st,
        &seller.account.marketplace_ids,
        reach,
    )
    .await;
    // Listings with their catalog data, and seller feedback.
    super::sync_listings::assert_listings_match(&c.w.st, store.as_ref(), &tenant).await;
    // Inbound plans, shipments and items, record for record.
    super::sync_inbound::assert_inbound_matches(&c.w.st, store.as_ref(), &tenant, reach).await;

    // Every message of the run delivered twice more, shuffled: nothing changes.
    let before = dump(store.as_ref(), &tenant).await;
    let sent: Vec<(QueueRef, String)> = queues
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(queue, _)| *queue == q)
        .cloned()
        .collect();
    assert!(sent.len() > 50, "{} sync messages in the run", sent.len());
    let mut again: Vec<(QueueRef, String)> = sent.iter().chain(sent.iter()).cloned().collect();
    shuffle(&mut again, 9);
    for (queue, body) in &again {
        inner.send(queue, body, Duration::zero()).await.unwrap();
    }
    for _ in 0..again.len() + 10 {
        if jobs::poll_once(
            &runtime,
            inner.as_ref(),
            Duration::minutes(20),
            Duration::minutes(14),
        )
        .await
        .unwrap()
            == 0
        {
            break;
        }
    }
    let after = dump(store.as_ref(), &tenant).await;
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "redelivered messages changed {} items, e.g. {:?}",
        changed.len(),
        changed.iter().take(5).collect::<Vec<_>>()
    );
}
