//! The sync worker: one bounded step per message under the (connection, dataset) lease, the
//! state saved before events and continuations, re-authorisation that stops every dataset of
//! the connection, and the orders backfill against the stand-in on its virtual clock, driven
//! through the dispatcher and the job runtime as in production: ground truth record for
//! record, newest first, every message delivered again in shuffled order, a worker killed
//! mid-step, faults of every kind, and a revoked authorisation.

use super::amazon_client::Virtual;
use super::jobs::{on_dynamodb, tenant_in};
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use job_sync_worker::Ports;
use rust_decimal::Decimal;
use secrecy::SecretString;
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore};
use shared::amazon::{AmazonApp, AmazonSettings, Credentials};
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::jobs::{self, JobMessage, Runtime};
use shared::keys::Tenant;
use shared::ports::bus::BusEnvelope;
use shared::ports::queue::{Queue, QueueError, QueueRef, QueueStats, Received};
use shared::ports::store::{
    Condition, Item, Key, Page, Query, SortKey, StoreError, TxOp, Value, WriteOp,
};
use shared::ports::{Clock, FixedClock, Pacer, Store};
use shared::records::orders::{self as records, Order};
use shared::sync::step::{DatasetSync, StepContext, StepError, StepResult};
use shared::sync::worker::Registry;
use shared::sync::{self, Dataset, Progress, Status, SyncState};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const SECRET_PREFIX: &str = "test/";
/// The sync queue's visibility timeout, longer than a step's budget (as in the template).
const VISIBILITY: Duration = Duration::minutes(20);
const BUDGET: Duration = Duration::minutes(14);

/// The queue port recording every message sent, to deliver them all again later.
pub(crate) struct Recorder {
    pub(crate) inner: Arc<EmbeddedQueue>,
    pub(crate) sent: Mutex<Vec<(QueueRef, String)>>,
}

#[async_trait]
impl Queue for Recorder {
    async fn send(&self, q: &QueueRef, body: &str, delay: Duration) -> Result<String, QueueError> {
        self.sent
            .lock()
            .unwrap()
            .push((q.clone(), body.to_string()));
        self.inner.send(q, body, delay).await
    }
    async fn receive(
        &self,
        q: &QueueRef,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError> {
        self.inner.receive(q, max, visibility).await
    }
    async fn delete(&self, q: &QueueRef, receipt: &str) -> Result<(), QueueError> {
        self.inner.delete(q, receipt).await
    }
    async fn set_visibility(
        &self,
        q: &QueueRef,
        receipt: &str,
        visibility: Duration,
    ) -> Result<(), QueueError> {
        self.inner.set_visibility(q, receipt, visibility).await
    }
    async fn stats(&self, q: &QueueRef) -> Result<QueueStats, QueueError> {
        self.inner.stats(q).await
    }
}

/// The store port that, once armed, hangs forever on the n-th order write: the process dies
/// there (the test drops the step's future).
struct KillSwitch {
    inner: Arc<dyn Store>,
    armed: AtomicBool,
    countdown: AtomicUsize,
    hit: tokio::sync::Notify,
}

impl KillSwitch {
    fn arm(&self, after_order_writes: usize) {
        self.countdown.store(after_order_writes, Ordering::SeqCst);
        self.armed.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for KillSwitch {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let is_order = item
            .get("sk")
            .and_then(Value::as_s)
            .is_some_and(|sk| sk.starts_with("ORDER#"));
        if is_order && self.armed.load(Ordering::SeqCst) {
            if self.countdown.load(Ordering::SeqCst) == 0 {
                self.armed.store(false, Ordering::SeqCst);
                self.hit.notify_one();
                std::future::pending::<()>().await;
            }
            self.countdown.fetch_sub(1, Ordering::SeqCst);
        }
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
}

struct World {
    st: Arc<StandIn>,
    store: Arc<dyn Store>,
    switch: Arc<KillSwitch>,
    queues: Arc<Recorder>,
    q: QueueRef,
    events: QueueRef,
    tenant: Tenant,
    conn: String,
    ports: Ports,
    runtime: Runtime,
}

fn seller(orders: usize) -> SellerSpec {
    SellerSpec {
        orders,
        ..Default::default()
    }
}

async fn world(spec: SellerSpec) -> World {
    let st = StandIn::virtual_clock(generate(&spec), false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let embedded: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let switch = Arc::new(KillSwitch {
        inner: embedded,
        armed: AtomicBool::new(false),
        countdown: AtomicUsize::new(0),
        hit: tokio::sync::Notify::new(),
    });
    let store: Arc<dyn Store> = switch.clone();
    let inner_queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = inner_queues.declare("sync", Some(("sync-dlq", 10)));
    let events = inner_queues.declare("events", None);
    let queues = Arc::new(Recorder {
        inner: inner_queues.clone(),
        sent: Mutex::default(),
    });
    let bus = EmbeddedBus::new(inner_queues.clone(), clock.clone());
    bus.route(
        Pattern {
            source: "beddora.sync".into(),
            detail_types: vec![],
        },
        events.clone(),
    );
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let now = clock.now();
    let tenant = tenant_in(store.as_ref(), now).await;
    let account = AmazonAccount::new(
        &tenant,
        "US",
        st.seller.seller_id.clone(),
        "NA",
        st.seller
            .marketplaces
            .iter()
            .map(|m| m.id.to_string())
            .collect(),
        now,
    );
    Connections::new(store.as_ref(), secrets.as_ref(), SECRET_PREFIX)
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from(st.issue_refresh_token())),
        )
        .await
        .unwrap();
    let conn = account.id.as_str().to_string();
    sync::register(store.as_ref(), &tenant, &conn, now)
        .await
        .unwrap();
    // Only orders here: the other datasets are other tests' business.
    for d in Dataset::ALL.into_iter().filter(|d| *d != Dataset::Orders) {
        sync::modify(store.as_ref(), &tenant, &conn, d, |s| {
            Some(s.cancelled(now))
        })
        .await
        .unwrap();
    }
    let amazon = amazon_stand_in::client::our_app(
        &st,
        &base,
        store.clone(),
        pacer.clone(),
        AmazonSettings::default(),
    );
    let ports = Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets,
        bus: Arc::new(bus),
        amazon,
        pacer,
    };
    let runtime = job_sync_worker::runtime(&ports, SECRET_PREFIX, q.clone());
    World {
        st,
        store,
        switch,
        queues,
        q,
        events,
        tenant,
        conn,
        ports,
        runtime,
    }
}

impl World {
    fn now(&self) -> DateTime<Utc> {
        self.st.now()
    }

    async fn dispatch(&self) -> Vec<JobMessage> {
        sync::dispatch(
            self.store.as_ref(),
            self.queues.as_ref(),
            &self.q,
            self.now(),
            100,
        )
        .await
        .unwrap()
    }

    async fn state(&self) -> SyncState {
        sync::get(
            self.store.as_ref(),
            &self.tenant,
            &self.conn,
            Dataset::Orders,
        )
        .await
        .unwrap()
        .unwrap()
    }

    /// One batch through the runtime; when nothing is visible, time moves on to the next
    /// delayed message. `false` when the queue is empty.
    async fn turn(&self) -> bool {
        let n = jobs::poll_once(&self.runtime, self.queues.as_ref(), VISIBILITY, BUDGET)
            .await
            .unwrap();
        if n > 0 {
            return true;
        }
        if self.queues.stats(&self.q).await.unwrap().total() == 0 {
            return false;
        }
        self.st.advance(Duration::seconds(15));
        true
    }

    /// Runs until the sync queue is empty.
    async fn drain(&self) {
        for _ in 0..200_000 {
            if !self.turn().await {
                return;
            }
        }
        panic!("the sync queue never emptied");
    }

    async fn orders(&self) -> BTreeMap<String, Order> {
        records::all(self.store.as_ref(), &self.tenant)
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.amazon_order_id.clone(), o))
            .collect()
    }

    /// Every item of the tenant's partition, as stored.
    async fn dump(&self) -> BTreeMap<String, Item> {
        let q = Query::partition(
            shared::ports::store::Index::Table,
            shared::keys::pk(&self.tenant),
        )
        .sk(SortKey::Any);
        shared::ports::store::query_all(self.store.as_ref(), q)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.get("sk").and_then(Value::as_s).unwrap().to_string(), i))
            .collect()
    }

    /// The `OrdersChanged` events published so far (consumed).
    async fn events(&self) -> Vec<serde_json::Value> {
        let mut out = vec![];
        loop {
            let got = self
                .queues
                .inner
                .receive(&self.events, 10, Duration::hours(1))
                .await
                .unwrap();
            if got.is_empty() {
                return out;
            }
            for m in got {
                let e: BusEnvelope = serde_json::from_str(&m.body).unwrap();
                assert_eq!(e.detail_type, "OrdersChanged");
                out.push(e.detail);
                self.queues
                    .inner
                    .delete(&self.events, &m.receipt)
                    .await
                    .unwrap();
            }
        }
    }

    fn calls(&self, op: &str) -> u64 {
        self.st.stats().get(op).map_or(0, |s| s.calls)
    }
}

fn status_of(s: amazon_stand_in::model::OrderStatus) -> &'static str {
    use amazon_stand_in::model::OrderStatus as S;
    match s {
        S::Pending => "PENDING",
        S::Unshipped => "UNSHIPPED",
        S::Shipped => "SHIPPED",
        S::Canceled => "CANCELLED",
    }
}

/// Every generated order purchased since `since` is stored as Amazon has it, item for item,
/// amount for amount, and nothing else is stored.
pub(crate) fn assert_ground_truth(
    st: &StandIn,
    stored: &BTreeMap<String, Order>,
    since: DateTime<Utc>,
) {
    let s = &st.seller;
    let expected: Vec<_> = s
        .orders
        .iter()
        .filter(|o| o.purchase_date >= since && o.purchase_date <= st.now())
        .collect();
    assert!(
        expected.len() * 100 >= s.orders.len() * 99,
        "the window covers the history"
    );
    assert_eq!(
        stored.len(),
        expected.len(),
        "one record per order, none missing, none extra"
    );
    let mut items = 0;
    for o in expected {
        let r = stored
            .get(&o.id)
            .unwrap_or_else(|| panic!("order {} missing", o.id));
        assert_eq!(r.marketplace_id, o.marketplace_id, "{}", o.id);
        assert_eq!(r.status, status_of(o.status), "{}", o.id);
        assert_eq!(
            r.purchase_date.timestamp(),
            o.purchase_date.timestamp(),
            "{}",
            o.id
        );
        assert_eq!(r.items.len(), o.items.len(), "{}", o.id);
        let priced = o.status != amazon_stand_in::model::OrderStatus::Pending;
        if priced {
            assert_eq!(r.currency.as_deref(), Some(o.currency), "{}", o.id);
        }
        for i in &o.items {
            items += 1;
            let sku = &s.products[i.product].sku;
            let ri = r.item(sku).unwrap_or_else(|| panic!("{} item {sku}", o.id));
            assert_eq!(ri.quantity, i.quantity, "{} {sku}", o.id);
            if let Some(id) = &ri.order_item_id {
                assert_eq!(id, &i.order_item_id);
            }
            let money = |d: Decimal| priced.then_some(d);
            assert_eq!(ri.item_price, money(i.principal), "{} {sku}", o.id);
            assert_eq!(ri.shipping_price, money(i.shipping), "{} {sku}", o.id);
            assert_eq!(ri.gift_wrap_price, money(i.gift_wrap), "{} {sku}", o.id);
            assert_eq!(
                ri.tax,
                money(i.tax + i.shipping_tax + i.gift_wrap_tax),
                "{} {sku}",
                o.id
            );
            assert_eq!(
                ri.discount,
                money(i.promotion + i.ship_promotion),
                "{} {sku}",
                o.id
            );
        }
    }
    assert!(items > stored.len(), "orders with several items were met");
}

/// The backfill's start: the first run's start.
pub(crate) fn started(state: &SyncState) -> DateTime<Utc> {
    state.run_started_at.expect("a run started")
}

#[tokio::test]
async fn needs_reauthorization_stops_every_dataset_of_the_connection_only() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    sync::register(store.as_ref(), &tenant, "conn-1", clock.now())
        .await
        .unwrap();
    sync::register(store.as_ref(), &tenant, "conn-2", clock.now())
        .await
        .unwrap();
    let marked = sync::needs_reauthorization(
        store.as_ref(),
        &tenant,
        "conn-1",
        "invalid_grant",
        clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(marked, Dataset::ALL.len());
    let again = sync::needs_reauthorization(store.as_ref(), &tenant, "conn-1", "x", clock.now())
        .await
        .unwrap();
    assert_eq!(again, 0, "already marked: nothing changes");
    for s in sync::all(store.as_ref(), &tenant).await.unwrap() {
        if s.connection == "conn-1" {
            assert_eq!(s.status, Status::NeedsReauthorization);
            assert_eq!(s.error.as_deref(), Some("invalid_grant"));
            assert_eq!(s.wake_at(), None, "never dispatched");
        } else {
            assert_eq!(s.status, Status::Idle, "another connection is untouched");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_year_backfill_equals_the_ground_truth_newest_first_and_replays_change_nothing() {
    let w = world(seller(5_000)).await;
    let t0 = w.now();
    assert_eq!(w.dispatch().await.len(), 1);
    let markets = w.st.seller.marketplaces.len() as u64;

    // Newest first: when as many windows as marketplaces are read, the last 30 days of every
    // marketplace are complete and nothing older is there.
    let mut recent_done_at = None;
    for _ in 0..200_000 {
        if !w.turn().await {
            break;
        }
        if recent_done_at.is_none() && w.state().await.progress.steps_done >= markets {
            recent_done_at = Some(w.now());
            let state = w.state().await;
            assert_eq!(state.progress.steps_done, markets);
            let cut = started(&state) - Duration::days(30);
            let stored = w.orders().await;
            let recent: BTreeSet<&str> =
                w.st.seller
                    .orders
                    .iter()
                    .filter(|o| o.purchase_date >= cut && o.purchase_date <= w.now())
                    .map(|o| o.id.as_str())
                    .collect();
            assert!(!recent.is_empty());
            assert_eq!(
                stored.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                recent,
                "exactly the last 30 days of every marketplace"
            );
        }
    }
    let state = w.state().await;
    assert_eq!(state.status, Status::Idle, "{state:?}");
    assert!(state.backfilled);
    assert_eq!(state.progress.steps_done, state.progress.steps_total);
    assert_eq!(state.progress.steps_total, markets * 25);
    let stored = w.orders().await;
    assert_ground_truth(&w.st, &stored, started(&state) - Duration::days(730));
    assert_eq!(state.progress.records_done, stored.len() as u64);
    let recent = recent_done_at.expect("the last 30 days completed") - t0;
    tracing::info!(
        recent_minutes = recent.num_minutes(),
        total_minutes = (w.now() - t0).num_minutes(),
        "simulated time"
    );
    assert!(
        recent < Duration::minutes(15),
        "last 30 days within 15 simulated minutes, took {recent}"
    );

    // The changes were announced: every order's marketplace-day is named by an OrdersChanged
    // event, and its id too unless the event had more ids than it carries.
    let events = w.events().await;
    let mut named = BTreeSet::new();
    let mut days = BTreeSet::new();
    let mut complete = BTreeSet::new();
    for e in &events {
        let m = e["marketplaceId"].as_str().unwrap().to_string();
        let ids = e["orderIds"].as_array().unwrap();
        assert!(ids.len() <= shared::sync::orders::EVENT_MAX_IDS);
        for d in e["days"].as_array().unwrap() {
            days.insert((m.clone(), d.as_str().unwrap().to_string()));
            if e["more"] == false {
                complete.insert((m.clone(), d.as_str().unwrap().to_string()));
            }
        }
        named.extend(ids.iter().map(|v| v.as_str().unwrap().to_string()));
    }
    for o in stored.values() {
        let day = amazon_stand_in::ground_truth::local_day(&o.marketplace_id, o.purchase_date)
            .to_string();
        let key = (o.marketplace_id.clone(), day);
        assert!(days.contains(&key), "{} not announced", o.amazon_order_id);
        if complete.contains(&key) && !named.contains(&o.amazon_order_id) {
            // Named by another event of the same day with too many ids to list.
            assert!(events.iter().any(|e| e["more"] == true
                && e["marketplaceId"] == o.marketplace_id.as_str()
                && e["days"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d == key.1.as_str())));
        }
    }
    assert!(named.iter().all(|id| stored.contains_key(id)));
    assert!(named.len() * 2 > stored.len(), "most ids are named");
    assert!(events
        .iter()
        .all(|e| e["connection"] == w.conn.as_str() && e["tenant"] == w.tenant.to_string()));
    let logs = sync::runs(w.store.as_ref(), &w.tenant, None, None, 10)
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].status, sync::RunStatus::Success);
    assert_eq!(logs[0].records_synced, stored.len() as u64);

    // Every message of the run delivered twice more, shuffled: the store is identical.
    let before = w.dump().await;
    let sent: Vec<String> = w
        .queues
        .sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(q, _)| *q == w.q)
        .map(|(_, b)| b.clone())
        .collect();
    assert!(sent.len() > 100, "{} messages", sent.len());
    let mut again: Vec<String> = sent.iter().chain(sent.iter()).cloned().collect();
    shuffle(&mut again, 7);
    for body in &again {
        w.queues
            .inner
            .send(&w.q, body, Duration::zero())
            .await
            .unwrap();
    }
    w.drain().await;
    assert_eq!(w.dump().await, before, "redelivery changed nothing");

    // Even with the done markers gone (expired), the state decides: nothing changes but the
    // markers, and no second chain starts.
    for k in before.keys().filter(|k| k.starts_with("JOBDONE#")) {
        w.store
            .delete(&Key::new(shared::keys::pk(&w.tenant), k.clone()), None)
            .await
            .unwrap();
    }
    let calls = w.st.stats();
    shuffle(&mut again, 11);
    for body in &again {
        w.queues
            .inner
            .send(&w.q, body, Duration::zero())
            .await
            .unwrap();
    }
    w.drain().await;
    let without_markers = |d: &BTreeMap<String, Item>| -> BTreeMap<String, Item> {
        d.iter()
            .filter(|(k, _)| !k.starts_with("JOBDONE#"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(without_markers(&w.dump().await), without_markers(&before));
    let after = w.st.stats();
    for op in [
        "createReport",
        "getReport",
        "getReportDocument",
        "searchOrders",
    ] {
        assert_eq!(
            after.get(op).map(|s| s.calls),
            calls.get(op).map(|s| s.calls),
            "{op}: no Amazon call was repeated"
        );
    }

    // The sweep 15 minutes on: Orders API by last update, from the backfill's start.
    w.st.advance(Duration::minutes(16));
    assert_eq!(w.dispatch().await.len(), 1);
    w.drain().await;
    let swept = w.state().await;
    assert_eq!(swept.status, Status::Idle);
    assert!(swept.last_success_at > state.last_success_at);
    assert!(w.calls("searchOrders") >= 1);
    assert_eq!(w.calls("createReport"), calls["createReport"].calls);
    assert_ground_truth(
        &w.st,
        &w.orders().await,
        started(&state) - Duration::days(730),
    );
}

/// A deterministic shuffle (no dependency for one test).
pub(crate) fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for i in (1..v.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = ((x >> 33) as usize) % (i + 1);
        v.swap(i, j);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_order_reads_the_api_version_and_newer_wins() {
    let w = world(seller(300)).await;
    let o = w.st.seller.orders.iter().rev().nth(50).unwrap().clone();
    let a = &w.ports;
    let account = Connections::new(a.store.as_ref(), a.secrets.as_ref(), SECRET_PREFIX)
        .all(&w.tenant)
        .await
        .unwrap()
        .remove(0);
    let amazon = a
        .amazon
        .context(
            a.secrets.as_ref(),
            &shared::connections::secret_name(SECRET_PREFIX, &w.tenant, &account.id),
            &account,
            w.now() + Duration::minutes(10),
        )
        .await
        .unwrap();
    let api = a.amazon.sp_api(shared::amazon::app::region_of(&account));
    let cx = StepContext {
        tenant: &w.tenant,
        account: &account,
        store: a.store.as_ref(),
        api: &api,
        amazon: &amazon,
        pacer: &a.pacer,
        deadline: w.now() + Duration::minutes(10),
    };
    let first = shared::sync::orders::refresh_order(&cx, &o.id)
        .await
        .unwrap();
    assert!(first.stored());
    let again = shared::sync::orders::refresh_order(&cx, &o.id)
        .await
        .unwrap();
    assert!(!again.stored(), "the same version again changes nothing");
    let r = records::get(w.store.as_ref(), &w.tenant, &o.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.source, records::Source::Api);
    let ids: BTreeSet<_> = r
        .items
        .iter()
        .filter_map(|i| i.order_item_id.clone())
        .collect();
    let truth: BTreeSet<_> = o.items.iter().map(|i| i.order_item_id.clone()).collect();
    assert_eq!(ids, truth, "the API gives the order item ids");
    // A report version of the same update does not replace the API's.
    let mut from_report = r.clone();
    from_report.source = records::Source::Report;
    from_report
        .items
        .iter_mut()
        .for_each(|i| i.order_item_id = None);
    assert!(!records::put(w.store.as_ref(), &w.tenant, &from_report)
        .await
        .unwrap()
        .stored());
    // A later update wins.
    let mut newer = from_report.clone();
    newer.last_updated += Duration::seconds(1);
    newer.status = "CANCELLED".into();
    assert!(records::put(w.store.as_ref(), &w.tenant, &newer)
        .await
        .unwrap()
        .stored());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_step_resumes_and_loses_nothing() {
    let w = world(seller(1_500)).await;
    assert_eq!(w.dispatch().await.len(), 1);
    // Run until a few windows are read, then kill the worker in the middle of writing one.
    while w.state().await.progress.steps_done < 12 {
        assert!(w.turn().await);
    }
    w.switch.arm(3);
    let mut killed = false;
    for _ in 0..10_000 {
        let batch = w.queues.receive(&w.q, 10, VISIBILITY).await.unwrap();
        if batch.is_empty() {
            w.st.advance(Duration::seconds(15));
            continue;
        }
        let deadline = w.now() + BUDGET;
        tokio::select! {
            results = w.runtime.process(&batch, deadline) => {
                for (d, (_, disposition)) in batch.iter().zip(results) {
                    if disposition.is_settled() {
                        w.queues.delete(&w.q, &d.receipt).await.unwrap();
                    }
                }
            }
            _ = w.switch.hit.notified() => {
                // The process died: the batch is neither deleted nor handed back.
                killed = true;
                break;
            }
        }
    }
    assert!(killed, "the kill switch was reached");
    let at_kill = w.state().await;
    // The messages come back after the visibility timeout; the lease has expired by then.
    w.st.advance(VISIBILITY + Duration::seconds(1));
    w.drain().await;
    let state = w.state().await;
    assert_eq!(state.status, Status::Idle, "{state:?}");
    assert!(state.progress.steps_done > at_kill.progress.steps_done);
    assert_ground_truth(
        &w.st,
        &w.orders().await,
        started(&state) - Duration::days(730),
    );
    let failures = jobs::failures(w.store.as_ref(), &w.tenant).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_server_errors_broken_bodies_and_failed_reports_lose_nothing() {
    let w = world(seller(1_500)).await;
    let rule = |op: &str, kind, every, times| FaultRule {
        operation: Some(op.into()),
        kind,
        every,
        times: Some(times),
        seen: 0,
        fired: 0,
    };
    // A 429 storm on report polling and documents, server errors, cut and broken bodies.
    w.st.add_fault(rule("getReport", FaultKind::Status { code: 429 }, 2, 40));
    w.st.add_fault(rule(
        "getReportDocument",
        FaultKind::Status { code: 429 },
        2,
        20,
    ));
    w.st.add_fault(rule("createReport", FaultKind::Status { code: 503 }, 3, 6));
    w.st.add_fault(rule(
        "getReportDocument",
        FaultKind::Status { code: 500 },
        4,
        5,
    ));
    w.st.add_fault(rule("getReport", FaultKind::Truncate, 5, 4));
    w.st.add_fault(rule("getReport", FaultKind::Malformed, 7, 3));
    // Report documents whose download stops half-way.
    w.st.add_fault(rule("downloadReportDocument", FaultKind::Truncate, 3, 4));
    // Reports that end FATAL or CANCELLED (each fewer times than a window is asked for).
    w.st.add_fault(rule("createReport", FaultKind::ReportFatal, 1, 2));
    w.st.add_fault(rule("createReport", FaultKind::ReportCancelled, 1, 2));
    assert_eq!(w.dispatch().await.len(), 1);
    w.drain().await;
    let state = w.state().await;
    assert_eq!(state.status, Status::Idle, "{state:?}");
    assert_ground_truth(
        &w.st,
        &w.orders().await,
        started(&state) - Duration::days(730),
    );
    let stats = w.st.stats();
    assert!(stats["getReport"].throttled + stats["getReport"].faults > 0);
    assert!(stats["createReport"].faults > 0);
    assert_eq!(
        stats["downloadReportDocument"].faults, 4,
        "every cut document was met"
    );
    let failures = jobs::failures(w.store.as_ref(), &w.tenant).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_keeps_failing_fails_the_run_naming_its_window() {
    let w = world(seller(200)).await;
    w.st.add_fault(FaultRule {
        operation: Some("createReport".into()),
        kind: FaultKind::ReportFatal,
        every: 1,
        times: None,
        seen: 0,
        fired: 0,
    });
    assert_eq!(w.dispatch().await.len(), 1);
    w.drain().await;
    let state = w.state().await;
    assert_eq!(state.status, Status::Failed);
    let error = state.error.clone().unwrap();
    assert!(error.contains("FATAL 3 times"), "{error}");
    let logs = sync::runs(w.store.as_ref(), &w.tenant, None, None, 10)
        .await
        .unwrap();
    assert_eq!(logs[0].status, sync::RunStatus::Failed);
    let failures = jobs::failures(w.store.as_ref(), &w.tenant).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].permanent);

    // Amazon recovers; the next run (after the cadence) asks for the window afresh and
    // finishes the backfill from where it stopped.
    w.st.clear_faults();
    w.st.advance(Duration::minutes(16));
    assert_eq!(w.dispatch().await.len(), 1);
    w.drain().await;
    let state = w.state().await;
    assert_eq!(state.status, Status::Idle, "{state:?}");
    assert!(state.backfilled);
    let first = sync::runs(w.store.as_ref(), &w.tenant, None, None, 10)
        .await
        .unwrap()
        .last()
        .unwrap()
        .started_at;
    assert_ground_truth(&w.st, &w.orders().await, first - Duration::days(730));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_needs_reauthorization_after_one_lwa_call_and_no_loop() {
    let w = world(seller(200)).await;
    // Every dataset of the connection is registered; two more are waiting to run.
    for d in [Dataset::Transactions, Dataset::Settlements] {
        sync::modify(w.store.as_ref(), &w.tenant, &w.conn, d, |s| {
            Some(s.due_now(w.now()))
        })
        .await
        .unwrap();
    }
    w.st.revoke_refresh_tokens();
    let dispatched = w.dispatch().await;
    assert_eq!(dispatched.len(), 3);
    w.drain().await;
    assert_eq!(w.calls("lwaToken"), 1, "LWA was asked once");
    assert_eq!(w.calls("createReport"), 0);
    for s in sync::all(w.store.as_ref(), &w.tenant).await.unwrap() {
        assert_eq!(
            s.status,
            Status::NeedsReauthorization,
            "{}: every dataset of the connection",
            s.dataset
        );
    }
    // Nothing runs again: not on the next ticks, not later.
    w.st.advance(Duration::hours(3));
    assert!(w.dispatch().await.is_empty());
    assert_eq!(w.calls("lwaToken"), 1);
    let failures = jobs::failures(w.store.as_ref(), &w.tenant).await.unwrap();
    assert!(failures
        .iter()
        .any(|f| f.permanent && f.error.contains("re-authorisation")));
}

/// A dataset that only records how many of its steps run at once.
#[derive(Default)]
struct Probe {
    running: AtomicUsize,
    most: AtomicUsize,
    steps: AtomicUsize,
}

#[async_trait]
impl DatasetSync for Probe {
    async fn step(&self, _cx: &StepContext<'_>, _s: &SyncState) -> Result<StepResult, StepError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.steps.fetch_add(1, Ordering::SeqCst);
        // Real time, so that the other worker's call really overlaps.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(StepResult {
            cursor: serde_json::json!({"probe": true}),
            progress: Progress::default(),
            written: 0,
            done: true,
            next_in: None,
            events: vec![],
        })
    }
}

/// A connection with its datasets registered and dispatched, on `store`, with ports for
/// workers of test datasets (no Amazon call is made).
struct Bench {
    ports: Ports,
    queues: Arc<EmbeddedQueue>,
    q: QueueRef,
    events: QueueRef,
    tenant: Tenant,
    conn: String,
    /// The orders run's first message, as the dispatcher sent it.
    job: JobMessage,
}

async fn bench(store: Arc<dyn Store>, clock: Arc<FixedClock>) -> Bench {
    let pacer: Arc<dyn Pacer> = clock.clone();
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = queues.declare("sync", None);
    let events = queues.declare("events", None);
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    let account = AmazonAccount::new(
        &tenant,
        "US",
        "A1SELLER".into(),
        "NA",
        vec!["ATVPDKIKX0DER".into()],
        clock.now(),
    );
    Connections::new(store.as_ref(), secrets.as_ref(), SECRET_PREFIX)
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from("Atzr|test".to_string())),
        )
        .await
        .unwrap();
    let conn = account.id.as_str().to_string();
    sync::register(store.as_ref(), &tenant, &conn, clock.now())
        .await
        .unwrap();
    let started = sync::dispatch(store.as_ref(), queues.as_ref(), &q, clock.now(), 100)
        .await
        .unwrap();
    let job = started
        .iter()
        .find(|m| m.tenant == *tenant.id() && m.dataset.as_deref() == Some("orders"))
        .unwrap()
        .clone();
    // The dispatcher's messages are not needed: the tests deliver `job` themselves.
    loop {
        let got = queues.receive(&q, 10, Duration::hours(1)).await.unwrap();
        if got.is_empty() {
            break;
        }
        for m in got {
            queues.delete(&q, &m.receipt).await.unwrap();
        }
    }
    let amazon = Arc::new(AmazonApp::new(
        AmazonSettings::default(),
        Credentials {
            client_id: "c".into(),
            client_secret: SecretString::from("s".to_string()),
            token_url: "http://127.0.0.1:9/none".into(),
        },
        store.clone(),
        pacer.clone(),
        &SecretString::from("a-cache-key-of-at-least-32-bytes!!".to_string()),
    ));
    let bus = EmbeddedBus::new(queues.clone(), clock.clone());
    bus.route(
        Pattern {
            source: "test".into(),
            detail_types: vec![],
        },
        events.clone(),
    );
    let ports = Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets,
        bus: Arc::new(bus),
        amazon,
        pacer,
    };
    Bench {
        ports,
        queues,
        q,
        events,
        tenant,
        conn,
        job,
    }
}

async fn lease_race(store: Arc<dyn Store>, clock: Arc<FixedClock>) {
    let Bench {
        ports,
        q,
        tenant,
        conn,
        job,
        ..
    } = bench(store.clone(), clock.clone()).await;
    let probe = Arc::new(Probe::default());
    let registry = || -> Registry {
        let mut r = Registry::new();
        r.insert(Dataset::Orders, probe.clone() as Arc<dyn DatasetSync>);
        r
    };
    // Two workers (two Lambdas) get the same pair at the same moment: a duplicate delivery
    // and a second message of the same run.
    let a = Arc::new(job_sync_worker::runtime_with(
        &ports,
        SECRET_PREFIX,
        q.clone(),
        registry(),
    ));
    let b = Arc::new(job_sync_worker::runtime_with(
        &ports,
        SECRET_PREFIX,
        q.clone(),
        registry(),
    ));
    let delivery = |id: &str| Received {
        message_id: id.into(),
        receipt: format!("r-{id}"),
        body: serde_json::to_string(&job).unwrap(),
        receive_count: 1,
        sent_at: clock.now(),
    };
    let deadline = clock.now() + Duration::minutes(5);
    let (da, db) = (vec![delivery("m-1")], vec![delivery("m-2")]);
    let ta = tokio::spawn({
        let a = a.clone();
        async move { a.process(&da, deadline).await }
    });
    let tb = tokio::spawn({
        let b = b.clone();
        async move { b.process(&db, deadline).await }
    });
    let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
    assert_eq!(probe.most.load(Ordering::SeqCst), 1, "never two at once");
    assert_eq!(probe.steps.load(Ordering::SeqCst), 1, "the step ran once");
    let settled: Vec<bool> = ra
        .iter()
        .chain(rb.iter())
        .map(|(_, d)| d.is_settled())
        .collect();
    assert_eq!(
        settled.iter().filter(|s| **s).count(),
        1,
        "the other was handed back: {ra:?} {rb:?}"
    );
    // Handed back, it comes again later and finds the step done.
    clock.advance(Duration::minutes(10));
    let again = b
        .process(&[delivery("m-2")], clock.now() + Duration::minutes(5))
        .await;
    assert!(again[0].1.is_settled());
    assert_eq!(probe.steps.load(Ordering::SeqCst), 1);
    let state = sync::get(store.as_ref(), &tenant, &conn, Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.status, Status::Idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_never_run_the_same_dataset_at_once() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    lease_race(store, clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_never_run_the_same_dataset_at_once_on_dynamodb() {
    on_dynamodb(lease_race).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_step_event_runs_a_step_through_the_lambda_handler() {
    let w = world(seller(200)).await;
    // The dispatcher found the dataset due (its own message waits in the queue).
    assert_eq!(w.dispatch().await.len(), 1);
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/job-sync-worker/step.json");
    let text = std::fs::read_to_string(file)
        .unwrap()
        .replace("${TENANT}", &w.tenant.to_string())
        .replace("${CONNECTION}", &w.conn);
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
    let deadline = (w.now() + BUDGET).timestamp_millis() as u64;
    let response = jobs::lambda::handle(&w.runtime, event, deadline).await;
    assert!(response.batch_item_failures.is_empty());
    let state = w.state().await;
    assert_eq!(
        state.progress.steps_total,
        9 * 25,
        "the backfill is planned"
    );
    assert_eq!(
        w.calls("createReport"),
        15,
        "the first reports are requested"
    );
    // The dispatcher's newer run takes the chain over; the sample's run stops; one backfill.
    w.drain().await;
    let state = w.state().await;
    assert_eq!(state.status, Status::Idle);
    assert_eq!(w.calls("createReport"), 9 * 25);
    assert_ground_truth(
        &w.st,
        &w.orders().await,
        started(&state) - Duration::days(730),
    );
}

#[test]
fn job_config_reads_what_the_worker_needs() {
    use shared::config::{ConfigError, JobConfig};
    let vars = |pairs: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let base = [("TABLE_NAME", "t"), ("SYNC_QUEUE_URL", "https://sqs/q")];
    let c = JobConfig::from_vars(&vars(&base)).unwrap();
    assert_eq!(c.app_secret_name, None);
    assert_eq!(c.event_bus_name, None);
    assert_eq!(c.secret_prefix, "beddora/", "the API functions' default");
    let mut all = base.to_vec();
    all.extend([
        ("APP_SECRET_NAME", "beddora/x/app"),
        ("SECRET_PREFIX", "beddora/x/"),
        ("EVENT_BUS_NAME", "beddora-x"),
        ("AMAZON_APP_ID", "amzn1.sp.solution.x"),
    ]);
    let c = JobConfig::from_vars(&vars(&all)).unwrap();
    assert_eq!(c.app_secret_name.as_deref(), Some("beddora/x/app"));
    assert_eq!(c.secret_prefix, "beddora/x/");
    assert_eq!(c.event_bus_name.as_deref(), Some("beddora-x"));
    assert_eq!(
        c.amazon.application_id.as_deref(),
        Some("amzn1.sp.solution.x")
    );
    all.push(("AMAZON_BASE_URL", "ftp://nowhere"));
    assert!(matches!(
        JobConfig::from_vars(&vars(&all)),
        Err(ConfigError::Invalid {
            name: "AMAZON_BASE_URL",
            ..
        })
    ));
}

/// A dataset whose step takes long enough for the user to cancel meanwhile.
struct CancelledMeanwhile {
    store: Arc<dyn Store>,
    now: DateTime<Utc>,
}

#[async_trait]
impl DatasetSync for CancelledMeanwhile {
    async fn step(&self, cx: &StepContext<'_>, s: &SyncState) -> Result<StepResult, StepError> {
        // The user presses "cancel" while the step works (the API's guarded write).
        let now = self.now;
        assert!(sync::modify(
            self.store.as_ref(),
            cx.tenant,
            &s.connection,
            s.dataset,
            |x| { Some(x.cancelled(now)) }
        )
        .await
        .unwrap());
        Ok(StepResult {
            cursor: serde_json::json!({"page": 2}),
            progress: Progress {
                steps_done: 1,
                steps_total: 5,
                records_done: 3,
                records_estimate: 15,
            },
            written: 3,
            done: false,
            next_in: None,
            events: vec![shared::ports::bus::DomainEvent::new(
                "test",
                "Changed",
                serde_json::json!({"n": 3}),
            )],
        })
    }
}

#[tokio::test]
async fn a_cancel_during_a_step_is_honoured_and_the_step_s_changes_still_announced() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let b = bench(store.clone(), clock.clone()).await;
    let mut registry = Registry::new();
    registry.insert(
        Dataset::Orders,
        Arc::new(CancelledMeanwhile {
            store: store.clone(),
            now: clock.now(),
        }) as Arc<dyn DatasetSync>,
    );
    let runtime = job_sync_worker::runtime_with(&b.ports, SECRET_PREFIX, b.q.clone(), registry);
    b.queues
        .send(
            &b.q,
            &serde_json::to_string(&b.job).unwrap(),
            Duration::zero(),
        )
        .await
        .unwrap();
    jobs::poll_once(&runtime, b.queues.as_ref(), VISIBILITY, BUDGET)
        .await
        .unwrap();
    let state = sync::get(store.as_ref(), &b.tenant, &b.conn, Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.status, Status::Cancelled, "the user's cancel stands");
    assert_eq!(
        b.queues.stats(&b.q).await.unwrap().total(),
        0,
        "no continuation: the run stops"
    );
    let published = b
        .queues
        .receive(&b.events, 10, Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(published.len(), 1, "the records written are announced");
}
