//! The backfill benchmark (measured, not asserted; `infra/bench/backfill.sh` runs it).
//!
//! A seller with `ORDERS` orders over two years (default 100,000) is connected and synced by
//! the real sync worker (every dataset of `job_sync_worker::registry`) and the real dispatcher,
//! on the embedded store and queue, against the stand-in on its virtual clock. `WORKERS`
//! concurrent workers (default 4: Lambda's concurrency on the sync queue, batch size 1) share
//! one simulated clock that only moves when every worker is waiting (a discrete-event clock:
//! two workers waiting one second each take one simulated second, not two).
//!
//! Prints: simulated backfill time beside the minimum the usage plans allow for the same calls
//! (per operation `(calls − burst) / rate`, the largest of them: operations have separate
//! buckets and may run in parallel, one operation's calls may not), simulated time until the
//! last 30 days are complete in every marketplace, real wall time, SP-API calls by operation,
//! store writes (write capacity units, GSI writes included) per imported order, peak heap of the
//! workers, and Lambda invocations (messages handled).
//!
//! Then (unless `EACH=0`) every registered dataset alone, in turn on a fresh seller and store
//! (`each_dataset`): per dataset its simulated time beside the minimum its own calls need,
//! calls per operation, records written with write units per record, and the peak heap of one
//! worker step.

use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore};
use shared::amazon::catalogue;
use shared::amazon::AmazonSettings;
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::domain::{TenantId, UserId};
use shared::identity::tenancy::{self, Account};
use shared::keys::Tenant;
use shared::ports::queue::Queue;
use shared::ports::store::{
    Condition, Item, Key, Page, Query, Store, StoreError, TxOp, Value, WriteOp,
};
use shared::ports::{Clock, Pacer};
use shared::sync::{self, Dataset, Status};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------------------
// Heap allocated by the worker thread, wherever it is freed: each block carries a tag saying
// whether it was counted (the store frees written items on its blocking threads; the
// stand-in serves from its own thread, uncounted).

struct Tracking;

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

fn counted() -> bool {
    COUNTED.try_with(|c| c.get()).unwrap_or(false)
}

/// The block with room for the tag before the caller's bytes (at least 16, kept aligned).
fn tagged(layout: Layout) -> (Layout, usize) {
    let pre = layout.align().max(16);
    let full = Layout::from_size_align(layout.size() + pre, pre).expect("layout");
    (full, pre)
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let (full, pre) = tagged(layout);
        let base = System.alloc(full);
        if base.is_null() {
            return base;
        }
        let on = counted();
        *base.add(pre - 1) = on as u8;
        if on {
            let size = layout.size() as i64;
            let now = LIVE.fetch_add(size, Ordering::Relaxed) + size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        base.add(pre)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let (full, pre) = tagged(layout);
        if *ptr.sub(1) == 1 {
            LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        }
        System.dealloc(ptr.sub(pre), full)
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

// ---------------------------------------------------------------------------------------------
// The simulated clock: the stand-in's virtual clock, moved only when every worker waits.

struct Sim {
    st: Arc<StandIn>,
    state: Mutex<SimState>,
}

#[derive(Default)]
struct SimState {
    running: usize,
    seq: u64,
    sleepers: BTreeMap<(DateTime<Utc>, u64), tokio::sync::oneshot::Sender<()>>,
}

impl Sim {
    fn enter(&self) {
        self.state.lock().unwrap().running += 1;
    }

    fn leave(&self) {
        let mut s = self.state.lock().unwrap();
        s.running -= 1;
        self.release(&mut s);
    }

    /// While nobody runs: time jumps to the earliest sleeper, who wakes (with all due then).
    fn release(&self, s: &mut SimState) {
        while s.running == 0 {
            let Some(((at, _), tx)) = s.sleepers.pop_first() else {
                return;
            };
            let now = self.st.now();
            if at > now {
                self.st.advance(at - now);
            }
            s.running += 1;
            let _ = tx.send(());
            let now = self.st.now();
            while let Some(entry) = s.sleepers.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let tx = entry.remove();
                s.running += 1;
                let _ = tx.send(());
            }
        }
    }
}

impl Clock for Sim {
    fn now(&self) -> DateTime<Utc> {
        self.st.now()
    }
}

#[async_trait]
impl Pacer for Sim {
    async fn sleep(&self, d: Duration) {
        let rx = {
            let mut s = self.state.lock().unwrap();
            let (tx, rx) = tokio::sync::oneshot::channel();
            s.seq += 1;
            let key = (self.st.now() + d.max(Duration::zero()), s.seq);
            s.sleepers.insert(key, tx);
            s.running -= 1;
            self.release(&mut s);
            rx
        };
        let _ = rx.await;
    }
}

// ---------------------------------------------------------------------------------------------
// Store writes, in DynamoDB's write capacity units.

struct Counting {
    inner: Arc<dyn Store>,
    /// WCU by the sort key's kind (`ORDER`, `FTX`, `SYNC`, ...).
    wcu: Mutex<BTreeMap<String, u64>>,
    /// Items written (puts that took effect) by kind.
    written: Mutex<BTreeMap<String, u64>>,
}

fn value_size(v: &Value) -> usize {
    match v {
        Value::S(s) => s.len(),
        Value::N(n) => n.len() / 2 + 1,
        Value::Bool(_) | Value::Null(_) => 1,
        Value::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
    }
}

/// One write of `item`: 1 WCU per KiB, once for the table and once per index it is in.
fn wcu_of(item: &Item) -> u64 {
    let size: usize = item.iter().map(|(k, v)| k.len() + value_size(v)).sum();
    let units = size.div_ceil(1024).max(1) as u64;
    let indexes = ["gsi1pk", "gsi2pk"]
        .iter()
        .filter(|a| item.contains_key(**a))
        .count() as u64;
    units * (1 + indexes)
}

fn kind_of(sk: &str) -> String {
    sk.split('#').next().unwrap_or(sk).to_string()
}

impl Counting {
    fn add(&self, sk: &str, units: u64) {
        *self.wcu.lock().unwrap().entry(kind_of(sk)).or_default() += units;
    }
    fn wrote(&self, sk: &str) {
        *self.written.lock().unwrap().entry(kind_of(sk)).or_default() += 1;
    }
}

#[async_trait]
impl Store for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let sk = item
            .get("sk")
            .and_then(Value::as_s)
            .unwrap_or("")
            .to_string();
        // A refused conditional write still consumes its capacity.
        self.add(&sk, wcu_of(&item));
        let r = self.inner.put(item, condition).await;
        if r.is_ok() {
            self.wrote(&sk);
        }
        r
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.add(&key.sk, 1);
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        for op in &ops {
            match op {
                TxOp::Put { item, .. } => {
                    let sk = item.get("sk").and_then(Value::as_s).unwrap_or("");
                    self.add(sk, 2 * wcu_of(item));
                }
                TxOp::Delete { key, .. } | TxOp::Check { key, .. } => self.add(&key.sk, 2),
            }
        }
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        for op in &ops {
            match op {
                WriteOp::Put(item) => {
                    let sk = item.get("sk").and_then(Value::as_s).unwrap_or("");
                    self.add(sk, wcu_of(item));
                    self.wrote(sk);
                }
                WriteOp::Delete(key) => self.add(&key.sk, 1),
            }
        }
        self.inner.batch_write(ops).await
    }
}

// ---------------------------------------------------------------------------------------------

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn hours(d: Duration) -> String {
    format!("{:.2} h", d.num_seconds() as f64 / 3600.0)
}

/// Whether every order and every transaction of the 30 days before `start` is stored (read
/// through the same index ranges the profit work reads).
async fn recent_complete(
    store: &dyn Store,
    tenant: &Tenant,
    st: &StandIn,
    start: DateTime<Utc>,
) -> bool {
    let since = start - Duration::days(30);
    for m in &st.seller.marketplaces {
        let want: BTreeSet<&str> = st
            .seller
            .orders
            .iter()
            .filter(|o| {
                o.marketplace_id == m.id && o.purchase_date >= since && o.purchase_date < start
            })
            .map(|o| o.id.as_str())
            .collect();
        let have = shared::records::orders::purchased(store, tenant, m.id, since, start)
            .await
            .unwrap_or_default();
        let have: BTreeSet<&str> = have.iter().map(|o| o.amazon_order_id.as_str()).collect();
        if !want.is_subset(&have) {
            return false;
        }
        // What Amazon lists: posted at least two minutes before the start.
        let until = start - Duration::minutes(2);
        let want: BTreeSet<&str> = st
            .seller
            .transactions
            .iter()
            .filter(|t| t.marketplace_id == m.id && t.posted >= since && t.posted < until)
            .map(|t| t.id.as_str())
            .collect();
        let have = shared::records::transactions::posted_between(store, tenant, m.id, since, until)
            .await
            .unwrap_or_default();
        let have: BTreeSet<&str> = have.iter().map(|t| t.transaction_id.as_str()).collect();
        if !want.is_subset(&have) {
            return false;
        }
    }
    true
}

/// A connected seller on the stand-in (served from its own thread), the store, the queue and
/// the sync runtime with every registered dataset.
struct Bench {
    st: Arc<StandIn>,
    sim: Arc<Sim>,
    store: Arc<Counting>,
    queues: Arc<EmbeddedQueue>,
    sync_q: shared::ports::queue::QueueRef,
    tenant: Tenant,
    conn: String,
    runtime: Arc<shared::jobs::Runtime>,
    start: DateTime<Utc>,
}

async fn setup(orders: usize) -> Bench {
    let spec = SellerSpec {
        orders,
        ..Default::default()
    };
    let generated = std::time::Instant::now();
    let st = StandIn::virtual_clock(generate(&spec), false);
    eprintln!(
        "seller: {} orders, {} transactions, {} settlements in {} marketplaces, generated in {:.1?}",
        st.seller.orders.len(),
        st.seller.transactions.len(),
        st.seller.settlements.len(),
        st.seller.marketplaces.len(),
        generated.elapsed()
    );
    // The stand-in serves from its own thread and runtime (its heap is not the worker's).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let app = router(st.clone());
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let l = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(l, app).await.unwrap();
            })
    });

    let sim = Arc::new(Sim {
        st: st.clone(),
        state: Mutex::default(),
    });
    let pacer: Arc<dyn Pacer> = sim.clone();
    let clock: Arc<dyn Clock> = sim.clone();
    let store = Arc::new(Counting {
        inner: Arc::new(EmbeddedStore::in_memory(clock.clone())),
        wcu: Mutex::default(),
        written: Mutex::default(),
    });
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let sync_q = queues.declare("sync", Some(("sync-dlq", 5)));
    let bus = Arc::new(EmbeddedBus::new(queues.clone(), clock.clone()));
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let start = st.now();

    let account_id = TenantId::new();
    store
        .transact(tenancy::create_account_ops(
            &Account {
                id: account_id.clone(),
                name: "Bench".into(),
                seller_id: None,
                region: None,
                is_active: true,
                created_at: start,
            },
            &UserId::new(),
            start,
        ))
        .await
        .unwrap();
    let tenant = tenancy::existing(store.as_ref(), &account_id)
        .await
        .unwrap()
        .unwrap();
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
        start,
    );
    Connections::new(store.as_ref(), secrets.as_ref(), "bench/")
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from(st.issue_refresh_token())),
        )
        .await
        .unwrap();
    let conn = account.id.as_str().to_string();
    sync::register(store.as_ref(), &tenant, &conn, start)
        .await
        .unwrap();
    let amazon = amazon_stand_in::client::our_app(
        &st,
        &base,
        store.clone(),
        pacer.clone(),
        AmazonSettings::default(),
    );
    let ports = job_sync_worker::Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets,
        bus,
        amazon,
        pacer: pacer.clone(),
    };
    let runtime = Arc::new(job_sync_worker::runtime(&ports, "bench/", sync_q.clone()));
    Bench {
        st,
        sim,
        store,
        queues,
        sync_q,
        tenant,
        conn,
        runtime,
        start,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let orders: usize = env_or("ORDERS", 100_000);
    let workers: usize = env_or("WORKERS", 4);
    let Bench {
        st,
        sim,
        store,
        queues,
        sync_q,
        tenant,
        conn,
        runtime,
        start,
    } = setup(orders).await;

    let heap_before = LIVE.load(Ordering::Relaxed);
    COUNTED.with(|c| c.set(true));
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let wall = std::time::Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let invocations = Arc::new(AtomicU64::new(0));
    let last_progress = Arc::new(Mutex::new(std::time::Instant::now()));

    // The dispatcher: every simulated minute, as the EventBridge schedule ticks; it also
    // watches for the end (every dataset backfilled and idle) and the last 30 days.
    let recent_at: Arc<Mutex<Option<DateTime<Utc>>>> = Arc::default();
    let local = tokio::task::LocalSet::new();
    let dispatcher = {
        let (sim, store, queues, sync_q, tenant, conn, done, st, recent_at) = (
            sim.clone(),
            store.clone(),
            queues.clone(),
            sync_q.clone(),
            tenant.clone(),
            conn.clone(),
            done.clone(),
            st.clone(),
            recent_at.clone(),
        );
        sim.enter();
        local.spawn_local(async move {
            loop {
                sync::dispatch(store.as_ref(), queues.as_ref(), &sync_q, sim.now(), 100)
                    .await
                    .unwrap();
                let states = sync::all(store.as_ref(), &tenant).await.unwrap();
                if recent_at.lock().unwrap().is_none()
                    && recent_complete(store.as_ref(), &tenant, &st, start).await
                {
                    *recent_at.lock().unwrap() = Some(sim.now());
                }
                let finished = states
                    .iter()
                    .filter(|s| s.connection == conn)
                    .all(|s| s.backfilled && s.status == Status::Idle);
                let stuck = states
                    .iter()
                    .any(|s| matches!(s.status, Status::Failed | Status::NeedsReauthorization));
                if finished || stuck {
                    if stuck {
                        for s in &states {
                            eprintln!("{} {:?} {:?}", s.dataset, s.status, s.error);
                        }
                    }
                    done.store(true, Ordering::SeqCst);
                    sim.leave();
                    return;
                }
                sim.sleep(Duration::minutes(1)).await;
            }
        })
    };
    let mut tasks = vec![];
    for _ in 0..workers {
        let (sim, runtime, queues, sync_q, done, invocations, last_progress) = (
            sim.clone(),
            runtime.clone(),
            queues.clone(),
            sync_q.clone(),
            done.clone(),
            invocations.clone(),
            last_progress.clone(),
        );
        sim.enter();
        tasks.push(local.spawn_local(async move {
            while !done.load(Ordering::SeqCst) {
                let got = queues
                    .receive(&sync_q, 1, Duration::minutes(20))
                    .await
                    .unwrap();
                if got.is_empty() {
                    sim.sleep(Duration::seconds(5)).await;
                    continue;
                }
                invocations.fetch_add(1, Ordering::Relaxed);
                *last_progress.lock().unwrap() = std::time::Instant::now();
                let deadline = sim.now() + Duration::minutes(15);
                let results = runtime.process(&got, deadline).await;
                for (d, (_, disposition)) in got.iter().zip(results) {
                    if disposition.is_settled() {
                        queues.delete(&sync_q, &d.receipt).await.unwrap();
                    }
                }
            }
            sim.leave();
        }));
    }
    local
        .run_until(async {
            let watchdog = async {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    let idle = last_progress.lock().unwrap().elapsed();
                    eprintln!(
                        "... simulated {} , {} invocations, heap {:.0} MiB",
                        hours(sim.now() - start),
                        invocations.load(Ordering::Relaxed),
                        LIVE.load(Ordering::Relaxed) as f64 / 1048576.0
                    );
                    if idle > std::time::Duration::from_secs(300) {
                        panic!("no worker progress for 5 minutes of real time");
                    }
                }
            };
            tokio::select! {
                _ = async { dispatcher.await.unwrap(); for t in tasks { t.await.unwrap(); } } => {}
                _ = watchdog => {}
            }
        })
        .await;
    COUNTED.with(|c| c.set(false));
    let wall = wall.elapsed();
    let simulated = st.now() - start;

    // The minimum the usage plans allow for the calls made.
    let stats = st.stats();
    let mut minimum = Duration::zero();
    let mut bound_by = String::new();
    println!(
        "\nSP-API calls by operation (calls, throttled) and the time its plan needs for them:"
    );
    for (op, s) in &stats {
        let plan = catalogue::OPERATIONS
            .iter()
            .find(|o| o.name == op.as_str())
            .map(|o| o.plan);
        let need = plan.map(|p| {
            let beyond = s.calls.saturating_sub(u64::from(p.burst)) as f64;
            Duration::milliseconds((beyond / p.rate * 1000.0) as i64)
        });
        println!(
            "  {op:<40} {:>8} {:>6}   {}",
            s.calls,
            s.throttled,
            need.map(hours).unwrap_or_else(|| "-".into())
        );
        if let Some(n) = need {
            if n > minimum {
                minimum = n;
                bound_by = op.clone();
            }
        }
    }
    let stored_orders = shared::records::orders::all(store.as_ref(), &tenant)
        .await
        .unwrap()
        .len();
    let wcu = store.wcu.lock().unwrap().clone();
    let total_wcu: u64 = wcu.values().sum();
    println!("\nstore writes (WCU) by item kind:");
    for (k, v) in &wcu {
        println!("  {k:<12} {v:>10}");
    }
    println!("\nresult ({orders} orders, {workers} workers):");
    println!("  simulated backfill            {}", hours(simulated));
    println!(
        "  rate-limit minimum            {} (bound by {bound_by})",
        hours(minimum)
    );
    if minimum > Duration::zero() {
        println!(
            "  ratio                         {:.2}x",
            simulated.num_seconds() as f64 / minimum.num_seconds().max(1) as f64
        );
    }
    match *recent_at.lock().unwrap() {
        Some(t) => println!(
            "  last 30 days complete after   {:.1} simulated minutes",
            (t - start).num_seconds() as f64 / 60.0
        ),
        None => println!("  last 30 days complete after   (never)"),
    }
    println!("  real wall time                {wall:.1?}");
    println!("  orders stored                 {stored_orders}");
    println!(
        "  WCU per imported order        {:.2} (all writes / orders stored)",
        total_wcu as f64 / stored_orders.max(1) as f64
    );
    println!(
        "  peak worker heap              {:.1} MiB (all {workers} concurrent steps together)",
        (PEAK.load(Ordering::Relaxed) - heap_before) as f64 / 1048576.0
    );
    println!(
        "  Lambda invocations            {}",
        invocations.load(Ordering::Relaxed)
    );
    if env_or("EACH", 1) == 1 {
        each_dataset(orders).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Each dataset alone.

/// Items that keep the sync going rather than hold what Amazon sent (not counted as records).
const BOOKKEEPING: &[&str] = &[
    "SYNC", "SYNCLOG", "JOBDONE", "JOBERR", "LEASE", "TOKEN", "OP", "STLDOC", "ACCOUNT", "MEMBER",
    "AMZ", "AMZMKT", "AMZSUB",
];

fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// Every registered dataset synced alone, in `Dataset::ALL` order, on one store (a later
/// dataset may read what an earlier one stored, as fee estimates read orders and
/// transactions), with the clock moved two hours on before each so every usage plan's bucket
/// starts full. One worker: a dataset's steps run one at a time anyway (one lease per
/// connection and dataset), so the peak heap of a step is the step's own.
async fn each_dataset(orders: usize) {
    let b = setup(orders).await;
    let registry = job_sync_worker::registry();
    let datasets: Vec<Dataset> = Dataset::ALL
        .into_iter()
        .filter(|d| registry.contains_key(d))
        .collect();
    let now = b.st.now();
    for d in Dataset::ALL {
        sync::modify(b.store.as_ref(), &b.tenant, &b.conn, d, |s| {
            Some(s.cancelled(now))
        })
        .await
        .unwrap();
    }
    let mut rows = vec![];
    b.sim.enter();
    for d in datasets {
        b.st.advance(Duration::hours(2));
        let stats_before = b.st.stats();
        let wcu_before = b.store.wcu.lock().unwrap().clone();
        let written_before = b.store.written.lock().unwrap().clone();
        let from = b.st.now();
        sync::modify(b.store.as_ref(), &b.tenant, &b.conn, d, |s| {
            Some(s.due_now(from))
        })
        .await
        .unwrap();
        let mut steps = 0u64;
        let mut step_peak = 0i64;
        let mut failed = None;
        let wall = std::time::Instant::now();
        loop {
            sync::dispatch(
                b.store.as_ref(),
                b.queues.as_ref(),
                &b.sync_q,
                b.sim.now(),
                100,
            )
            .await
            .unwrap();
            let state = sync::get(b.store.as_ref(), &b.tenant, &b.conn, d)
                .await
                .unwrap()
                .expect("registered");
            if state.backfilled && state.status == Status::Idle {
                break;
            }
            if matches!(state.status, Status::Failed | Status::NeedsReauthorization) {
                failed = state.error.clone().or(Some(format!("{:?}", state.status)));
                break;
            }
            let got = b
                .queues
                .receive(&b.sync_q, 1, Duration::minutes(20))
                .await
                .unwrap();
            if got.is_empty() {
                b.sim.sleep(Duration::seconds(5)).await;
                continue;
            }
            steps += 1;
            let deadline = b.sim.now() + Duration::minutes(15);
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            COUNTED.with(|c| c.set(true));
            let results = b.runtime.process(&got, deadline).await;
            COUNTED.with(|c| c.set(false));
            step_peak = step_peak.max(PEAK.load(Ordering::Relaxed) - before);
            for (m, (_, disposition)) in got.iter().zip(results) {
                if disposition.is_settled() {
                    b.queues.delete(&b.sync_q, &m.receipt).await.unwrap();
                }
            }
        }
        let simulated = b.st.now() - from;
        let after = b.st.now();
        sync::modify(b.store.as_ref(), &b.tenant, &b.conn, d, |s| {
            Some(s.cancelled(after))
        })
        .await
        .unwrap();
        let stats = b.st.stats();
        let mut calls = vec![];
        let mut minimum = Duration::zero();
        let mut bound_by = String::from("-");
        for (op, s) in &stats {
            let n = s.calls - stats_before.get(op).map_or(0, |x| x.calls);
            if n == 0 {
                continue;
            }
            calls.push(format!("{op} {n}"));
            if let Some(p) = catalogue::OPERATIONS
                .iter()
                .find(|o| o.name == op.as_str())
                .map(|o| o.plan)
            {
                let beyond = n.saturating_sub(u64::from(p.burst)) as f64;
                let need = Duration::milliseconds((beyond / p.rate * 1000.0) as i64);
                if need > minimum {
                    minimum = need;
                    bound_by = op.clone();
                }
            }
        }
        let wcu = diff(&b.store.wcu.lock().unwrap(), &wcu_before);
        let written = diff(&b.store.written.lock().unwrap(), &written_before);
        let records: BTreeMap<String, u64> = written
            .into_iter()
            .filter(|(k, _)| !BOOKKEEPING.contains(&k.as_str()))
            .collect();
        let n_records: u64 = records.values().sum();
        let all_wcu: u64 = wcu.values().sum();
        let record_wcu: u64 = wcu
            .iter()
            .filter(|(k, _)| records.contains_key(*k))
            .map(|(_, v)| v)
            .sum();
        rows.push(format!(
            "{d}:\n    simulated {} beside a rate-limit minimum of {} (bound by {bound_by}){}\n    \
             {steps} steps, peak heap of one step {:.1} MiB, wall {:.1?}\n    \
             records written {n_records} ({}); WCU per record {:.2} all writes, {:.2} the records' own\n    \
             calls: {}",
            hours(simulated),
            hours(minimum),
            failed.map(|e| format!(", FAILED: {e}")).unwrap_or_default(),
            step_peak as f64 / 1048576.0,
            wall.elapsed(),
            records
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            all_wcu as f64 / n_records.max(1) as f64,
            record_wcu as f64 / n_records.max(1) as f64,
            calls.join(", "),
        ));
    }
    b.sim.leave();
    println!("\neach dataset alone ({orders} orders; in turn on one store, buckets full at each start, one worker):");
    for r in rows {
        println!("  {r}");
    }
}
