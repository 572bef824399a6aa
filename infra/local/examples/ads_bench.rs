//! The Ads backfill benchmark (measured, not asserted; `infra/bench/ads.sh` runs it).
//!
//! A North American advertiser with `CAMPAIGNS` Sponsored Products campaigns (default 500) and
//! `KEYWORDS` keywords (default 50,000) over the last 100 days, served by the stand-in over
//! HTTP on its virtual clock. Its two Ads datasets run as the sync worker runs them (steps of
//! a Lambda's 14 minutes, each continuation after the wait the step asks for), on the embedded
//! store: the entities, then the 95-day report backfill (31-day windows, five levels).
//!
//! Prints: simulated time of each beside the floor Amazon's limits allow (the stand-in's
//! simulated Ads limits, 10 requests a second per profile with a burst of 20, and its report
//! preparation time), calls per operation, rows stored; then the p50/p99 latency of the PPC
//! metrics calls through the local runner's router for that account, warm (`ROUNDS` each,
//! default 20; `KEYWORD_ROUNDS` for the keyword-level ones), with the store calls, items and
//! bytes each call reads and the rows and body size it answers. The report steps'
//! `AdsDaysChanged` events are applied as the rollups job applies them (the PPC per-entity
//! blocks), and their wall time printed.
//!
//! Memory: the process's peak (`VmHWM`) and, per step, the peak over the RSS at its start
//! (`VmHWM` is reset before each step). The process holds the bench's store (a redb file's
//! page cache, and the versions of rows older than the calls read), so the backfill runs a
//! second time with every report row dropped once decoded and batched: that step peak is the
//! worker's own (with the stand-in that renders and serves the documents).

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{header, Request};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::adapters::{EmbeddedSecrets, EmbeddedStore, Outbox};
use shared::amazon::{AmazonApp, AmazonSettings, Credentials};
use shared::config::Config;
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::http::{AppState, TokenKeys};
use shared::keys::Tenant;
use shared::marketplaces::Region;
use shared::ports::store::{Condition, Item, Key, Page, Query, Store, StoreError, TxOp, WriteOp};
use shared::ports::{Clock, Pacer};
use shared::sync::ads::AdsAccess;
use shared::sync::ads_entities::AdsEntitiesSync;
use shared::sync::ads_reports::AdsReportsSync;
use shared::sync::step::{DatasetSync, StepContext};
use shared::sync::{self, Dataset};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// The stand-in's virtual clock as our time: sleeping moves it.
struct Virtual(Arc<amazon_stand_in::StandIn>);

impl Clock for Virtual {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

#[async_trait]
impl Pacer for Virtual {
    async fn sleep(&self, d: Duration) {
        self.0.advance(d);
        tokio::task::yield_now().await;
    }
}

/// The bench's store, counting the items queries read (reset per measured call).
///
/// Nearly 10 million report rows at full scale would not fit the machine as items, so the
/// store keeps them the way the measured calls need them: rows of the last `keep_days`
/// days (all the PPC calls read) as items in a redb file (off the process's memory, like
/// DynamoDB), older rows only as the version newer-wins compares (a hash of the key and its
/// version), so every write still meets its condition exactly as it would.
struct Counting {
    inner: EmbeddedStore,
    items: AtomicU64,
    /// Store calls, and the bytes of the attributes read, of every read.
    calls: AtomicU64,
    bytes: AtomicU64,
    /// Rows dated before this (`YYYY-MM-DD`) are kept as versions only.
    cutoff: String,
    versions: std::sync::Mutex<std::collections::HashMap<u64, i64>>,
}

impl Counting {
    /// The key's hash when it is a report row older than the cutoff.
    fn old_row(&self, key: &Key) -> Option<u64> {
        let mut parts = key.sk.split('#');
        (parts.next() == Some("ADSDAY")).then_some(())?;
        let date = parts.nth(1)?;
        (date < self.cutoff.as_str()).then(|| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            h.finish()
        })
    }

    fn stored(&self, h: u64) -> Option<Item> {
        self.versions.lock().unwrap().get(&h).map(|ms| {
            let mut i = Item::new();
            let at = DateTime::<Utc>::from_timestamp_millis(*ms).expect("a time");
            i.insert(
                shared::records::SOURCE_VERSION.into(),
                shared::ports::store::Value::S(shared::records::version_at(at)),
            );
            i
        })
    }

    /// An item's version (a time, as every report row's is) in milliseconds.
    fn version_of(item: &Item) -> i64 {
        item.get(shared::records::SOURCE_VERSION)
            .and_then(|v| v.as_s())
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map_or(0, |t| t.timestamp_millis())
    }
}

/// The bytes of an item's attribute names and values (about what DynamoDB bills).
fn size(i: &Item) -> u64 {
    fn value(v: &shared::ports::store::Value) -> u64 {
        use shared::ports::store::Value as V;
        match v {
            V::S(s) | V::N(s) => s.len() as u64,
            V::L(l) => l.iter().map(value).sum(),
            V::M(m) => m.iter().map(|(k, v)| k.len() as u64 + value(v)).sum(),
            _ => 1,
        }
    }
    i.iter().map(|(k, v)| k.len() as u64 + value(v)).sum()
}

impl Counting {
    fn read(&self, items: &[Item]) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(items.len() as u64, Ordering::Relaxed);
        self.bytes
            .fetch_add(items.iter().map(size).sum(), Ordering::Relaxed);
    }
}

/// Wall time spent recomputing the PPC rollups from the report steps' events (ms).
static BLOCKS_MS: AtomicU64 = AtomicU64::new(0);

#[async_trait]
impl Store for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let i = match self.old_row(key) {
            Some(h) => self.stored(h),
            None => self.inner.get(key).await?,
        };
        self.read(i.as_slice());
        Ok(i)
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let key = Key::of(&item).expect("keyed");
        match self.old_row(&key) {
            Some(h) => {
                if condition.is_some_and(|c| !c.holds(self.stored(h).as_ref())) {
                    return Err(StoreError::ConditionFailed);
                }
                self.versions
                    .lock()
                    .unwrap()
                    .insert(h, Self::version_of(&item));
                Ok(())
            }
            None => self.inner.put(item, condition).await,
        }
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        let p = self.inner.query(query).await?;
        self.read(&p.items);
        Ok(p)
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        let (mut old, mut recent) = (vec![], vec![]);
        for op in ops {
            match &op {
                TxOp::Put { item, condition } => {
                    match self.old_row(&Key::of(item).expect("keyed")) {
                        Some(h) => old.push((h, Self::version_of(item), condition.clone())),
                        None => recent.push(op),
                    }
                }
                _ => recent.push(op),
            }
        }
        if old.iter().any(|(h, _, c)| {
            c.as_ref()
                .is_some_and(|c| !c.holds(self.stored(*h).as_ref()))
        }) {
            return Err(StoreError::TransactionCanceled {
                reasons: vec![Some("ConditionalCheckFailed".into())],
            });
        }
        if !recent.is_empty() {
            self.inner.transact(recent).await?;
        }
        let mut versions = self.versions.lock().unwrap();
        for (h, v, _) in old {
            versions.insert(h, v);
        }
        Ok(())
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let r = self.inner.batch_get(keys).await?;
        self.read(&r);
        Ok(r)
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
}

/// The store of the second backfill: every report row is dropped once the worker has decoded
/// and batched it (counted), everything else goes to `inner`; what the process holds while
/// it runs is the worker's own (and the stand-in's).
struct Discarding {
    inner: Arc<Counting>,
    rows: AtomicU64,
}

fn is_row(key: &Key) -> bool {
    key.sk.starts_with("ADSDAY#")
}

#[async_trait]
impl Store for Discarding {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        if Key::of(&item).is_some_and(|k| is_row(&k)) {
            self.rows.fetch_add(1, Ordering::Relaxed);
            return Ok(());
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
        let rows = ops
            .iter()
            .filter(|op| op.key().is_some_and(|k| is_row(&k)))
            .count();
        if rows == ops.len() {
            self.rows.fetch_add(rows as u64, Ordering::Relaxed);
            return Ok(());
        }
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
}

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The process's peak resident memory over the whole run: `VmHWM` is reset around each
/// step (to measure the step), so the peak is the largest reading.
static PEAK_KB: AtomicU64 = AtomicU64::new(0);

fn peak_now() -> u64 {
    let hwm = status_kb("VmHWM:");
    PEAK_KB.fetch_max(hwm, Ordering::Relaxed);
    hwm
}

/// Resets `VmHWM` to the current RSS (Linux: `5` to `/proc/self/clear_refs`).
fn reset_peak() {
    peak_now();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mmss(d: Duration) -> String {
    format!("{}m{:02}s", d.num_seconds() / 60, d.num_seconds() % 60)
}

async fn call(
    app: &axum::Router,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut b = Request::builder()
        .method(if body.is_some() { "POST" } else { "GET" })
        .uri(path);
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

/// One run of `dataset` to its end as the worker runs it: steps with a Lambda's deadline,
/// each next step after the wait it asks for. Returns the steps taken.
#[allow(clippy::too_many_arguments)]
async fn run(
    sync_impl: &dyn DatasetSync,
    dataset: Dataset,
    st: &Arc<amazon_stand_in::StandIn>,
    store: &dyn Store,
    tenant: &Tenant,
    account: &AmazonAccount,
    app: &AmazonApp,
    pacer: &Arc<dyn Pacer>,
    secret: &SecretString,
    step_peak: &mut (u64, u64),
    rollups: bool,
) -> u32 {
    let connection = account.id.to_string();
    let api = app.sp_api(Region::NorthAmerica);
    let mut steps = 0;
    loop {
        steps += 1;
        let state = sync::get(store, tenant, &connection, dataset)
            .await
            .unwrap()
            .expect("registered");
        let deadline = st.now() + Duration::minutes(14);
        let amazon = shared::amazon::Context::new(
            connection.as_str(),
            account.seller_id.clone(),
            secret.clone(),
            deadline,
        );
        let cx = StepContext {
            tenant,
            account,
            store,
            api: &api,
            amazon: &amazon,
            pacer,
            deadline,
        };
        let before = status_kb("VmRSS:");
        reset_peak();
        let r = sync_impl.step(&cx, &state).await.expect("a step");
        let peak = peak_now();
        if peak.saturating_sub(before) > step_peak.0 {
            *step_peak = (peak.saturating_sub(before), peak);
        }
        // The PPC rollups of the rows the step read, as the rollups job applies its events.
        for e in r
            .events
            .iter()
            .filter(|e| rollups && e.detail_type == shared::ppc::blocks::ADS_DAYS_CHANGED)
        {
            let t = Instant::now();
            shared::profit::recompute::apply_to(store, tenant, &e.detail_type, &e.detail)
                .await
                .expect("the PPC rollups");
            BLOCKS_MS.fetch_add(t.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
        let now = st.now();
        let mut next = state.progressed(r.cursor, r.progress, now);
        if r.done {
            next = next.finished(now);
        }
        assert!(sync::update(store, tenant, &state, next).await.unwrap());
        if r.done {
            return steps;
        }
        if let Some(wait) = r.next_in {
            st.advance(wait);
        }
    }
}

fn calls(st: &amazon_stand_in::StandIn) -> BTreeMap<String, u64> {
    st.stats().into_iter().map(|(k, v)| (k, v.calls)).collect()
}

fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// The stand-in's simulated Ads limits per profile (`amazon_stand_in::ads`).
const RATE: f64 = 10.0;
const BURST: f64 = 20.0;
/// Simulated seconds until a requested report is complete.
const REPORT_READY_SECS: i64 = 120;

/// Seconds the limits need for `n` calls of one profile: what the burst does not cover, at
/// the rate.
fn limit_secs(n: u64) -> i64 {
    ((n as f64 - BURST).max(0.0) / RATE).ceil() as i64
}

fn print_calls(title: &str, c: &BTreeMap<String, u64>) {
    println!("  {title} calls by operation:");
    for (op, n) in c {
        println!("    {op:<45} {n:>7}");
    }
}

#[tokio::main]
async fn main() {
    let campaigns: usize = env_or("CAMPAIGNS", 500);
    let keywords: usize = env_or("KEYWORDS", 50_000);
    let rounds: usize = env_or("ROUNDS", 20);
    // Days of ad history the stand-in holds (the backfill still asks for 95): fewer keep the
    // embedded in-memory store inside the machine's memory at full scale.
    let ads_days: i64 = env_or("ADS_DAYS", 100);
    let per_campaign = (keywords / campaigns.max(1)).max(1);
    let t0 = Instant::now();
    let seller = amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders: 2_000,
        marketplaces: vec!["US".into()],
        ads_scale: Some(amazon_stand_in::generator::AdsScale {
            campaigns,
            keywords_per_campaign: per_campaign,
            days: ads_days,
        }),
        ..Default::default()
    });
    let st = amazon_stand_in::StandIn::virtual_clock(seller, false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = st.clone();
    tokio::spawn(async move { axum::serve(listener, amazon_stand_in::router(served)).await });
    println!(
        "Ads backfill: {campaigns} campaigns, {} keywords (+{campaigns} product targets), one US profile, {ads_days} days of ad history; generated in {:.1}s",
        campaigns * per_campaign,
        t0.elapsed().as_secs_f64()
    );

    let clock: Arc<Virtual> = Arc::new(Virtual(st.clone()));
    let pacer: Arc<dyn Pacer> = clock.clone();
    // Rows of the last 32 days (the PPC calls read 30) as items in a file; older as versions.
    let file = std::env::temp_dir().join(format!("ads-bench-{}.redb", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let store = Arc::new(Counting {
        inner: EmbeddedStore::open(&file, clock.clone()).expect("the bench store file"),
        items: AtomicU64::new(0),
        cutoff: (st.now().date_naive() - Duration::days(32)).to_string(),
        versions: Default::default(),
        calls: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    });
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let settings = AmazonSettings {
        application_id: Some(st.apps.application_id.clone()),
        base_url: Some(base.clone()),
        ..Default::default()
    };
    let app = AmazonApp::new(
        settings,
        Credentials {
            client_id: st.apps.client_id.clone(),
            client_secret: SecretString::from(st.apps.client_secret.clone()),
            token_url: format!("{base}/auth/o2/token"),
        },
        store.clone(),
        pacer.clone(),
        &SecretString::from("bench-lwa-cache-key-of-at-least-32-bytes".to_string()),
    );
    let ads_secret = json!({"jwtSigningKey": "bench-signing-key-of-at-least-32-bytes!!", "adsClientId": st.apps.ads_client_id, "adsClientSecret": st.apps.ads_client_secret}).to_string();
    let access = Arc::new(
        AdsAccess::from_app_secret(
            &SecretString::from(ads_secret),
            format!("{base}/auth/o2/token"),
            Some(base.clone()),
            store.clone(),
            pacer.clone(),
            secrets.clone(),
            "beddora/bench/",
        )
        .expect("the Ads application"),
    );

    // The API, a signed-in user, and their connection with Ads consent.
    let outbox = Outbox::new();
    let state = AppState {
        config: Arc::new(Config::local_defaults()),
        store: store.clone(),
        secrets: secrets.clone(),
        mailer: Arc::new(outbox.clone()),
        clock: clock.clone(),
        keys: Arc::new(TokenKeys::from_key(
            b"bench-signing-key-of-at-least-32-bytes!!",
        )),
        amazon: None,
        background: Default::default(),
    };
    let router = beddora_local::app_with(state.clone(), Some(access.clone()));
    let (email, pw) = ("ads-bench@example.com", "Correct-Horse-9!");
    call(&router, "/api/auth/register", None, Some(json!({"email": email, "password": pw, "name": "Bench", "acceptTerms": true, "acceptPrivacy": true}))).await;
    state.background.idle().await;
    let mail = outbox.last_to(email).expect("verification mail");
    let at = mail.text.find("token=").unwrap() + 6;
    let token = mail.text[at..].split(char::is_whitespace).next().unwrap();
    call(
        &router,
        &format!("/api/auth/verify-email?token={token}"),
        None,
        None,
    )
    .await;
    let (_, login) = call(
        &router,
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": pw})),
    )
    .await;
    let bearer = login["accessToken"].as_str().unwrap().to_string();
    let account_id = login["accountId"].as_str().unwrap().to_string();
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &shared::domain::TenantId::parse(&account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let sp_refresh = SecretString::from(st.issue_refresh_token());
    let account = AmazonAccount::new(
        &tenant,
        "US",
        st.seller.seller_id.clone(),
        "NA",
        vec![st.seller.marketplaces[0].id.to_string()],
        st.now(),
    );
    Connections::new(store.as_ref(), secrets.as_ref(), "beddora/bench/")
        .create(&account, &ConnectionSecret::new(sp_refresh.clone()))
        .await
        .unwrap();
    access
        .connect(&account, &SecretString::from(st.issue_ads_refresh_token()))
        .await
        .unwrap();
    sync::register(store.as_ref(), &tenant, account.id.as_str(), st.now())
        .await
        .unwrap();

    // The two datasets, one after the other.
    let mut results = vec![];
    for (dataset, sync_impl) in [
        (
            Dataset::AdsEntities,
            Box::new(AdsEntitiesSync::new(Some(access.clone()))) as Box<dyn DatasetSync>,
        ),
        (
            Dataset::AdsReports,
            Box::new(AdsReportsSync::new(Some(access.clone()))),
        ),
    ] {
        let before = calls(&st);
        let (sim0, wall0) = (st.now(), Instant::now());
        let mut step_peak = (0u64, 0u64);
        let steps = run(
            sync_impl.as_ref(),
            dataset,
            &st,
            store.as_ref(),
            &tenant,
            &account,
            &app,
            &pacer,
            &sp_refresh,
            &mut step_peak,
            true,
        )
        .await;
        let c = diff(&calls(&st), &before);
        results.push((
            dataset,
            st.now() - sim0,
            wall0.elapsed(),
            steps,
            c,
            step_peak,
        ));
    }
    let entity_rows: usize = {
        let mut n = 0;
        for k in [
            shared::records::ads::EntityKind::Campaign,
            shared::records::ads::EntityKind::AdGroup,
            shared::records::ads::EntityKind::Keyword,
            shared::records::ads::EntityKind::Target,
            shared::records::ads::EntityKind::ProductAd,
        ] {
            n += shared::records::ads::entities(store.as_ref(), &tenant, k)
                .await
                .unwrap()
                .len();
        }
        n
    };
    // The floor: the fewest calls the data needs (largest pages, one report per window and
    // level) at the limits, and for the reports, their preparation.
    let kw = (campaigns * per_campaign) as u64;
    let page = 5000u64;
    let min_entity_calls = 1 + 4 * (campaigns as u64).div_ceil(page) + kw.div_ceil(page);
    let reports = 4 * 5u64;
    for (dataset, sim, wall, steps, c, step_peak) in &results {
        let total: u64 = c.values().sum();
        let floor = match dataset {
            Dataset::AdsEntities => Duration::seconds(limit_secs(min_entity_calls)),
            _ => Duration::seconds(REPORT_READY_SECS + limit_secs(3 * reports)),
        };
        println!(
            "\n{dataset}: simulated {} beside a floor of {} ({:.1}x), {steps} steps, {total} calls, wall {:.1}s",
            mmss(*sim),
            mmss(floor),
            sim.num_seconds() as f64 / floor.num_seconds().max(1) as f64,
            wall.as_secs_f64()
        );
        print_calls(dataset.as_str(), c);
        println!(
            "  largest step: peak RSS {} ({} above the RSS at its start; the stand-in serving it runs in this process)",
            mb(step_peak.1),
            mb(step_peak.0)
        );
    }
    println!(
        "\nprocess peak RSS after the syncs (VmHWM): {}; report rows kept as versions only: {}",
        mb(peak_now().max(PEAK_KB.load(Ordering::Relaxed))),
        store.versions.lock().unwrap().len()
    );
    println!("  (it holds the bench's store: redb's page cache of up to 1 GiB and the versions of the older rows)");

    // The worker alone: the same backfill again, every report row dropped once decoded and
    // batched, so the process's memory over each step is the worker's (and the stand-in's).
    if env_or("WORKER_PEAK", 1) == 1 {
        let discard = Discarding {
            inner: store.clone(),
            rows: AtomicU64::new(0),
        };
        shared::sync::ads::start(store.as_ref(), &tenant, account.id.as_str(), st.now())
            .await
            .unwrap();
        let mut worker_peak = (0u64, 0u64);
        let wall = Instant::now();
        let steps = run(
            &AdsReportsSync::new(Some(access.clone())),
            Dataset::AdsReports,
            &st,
            &discard,
            &tenant,
            &account,
            &app,
            &pacer,
            &sp_refresh,
            &mut worker_peak,
            false,
        )
        .await;
        println!(
            "\nthe backfill again with every report row dropped after decoding ({} rows, {steps} steps, wall {:.1}s): largest step's peak RSS {}, {} above the RSS at its start",
            discard.rows.load(Ordering::Relaxed),
            wall.elapsed().as_secs_f64(),
            mb(worker_peak.1),
            mb(worker_peak.0)
        );
    }
    let total_sim = results
        .iter()
        .map(|r| r.1)
        .fold(Duration::zero(), |a, b| a + b);
    println!(
        "\nboth, one after the other: simulated {} ({entity_rows} entities stored); the floor's calls: entities {min_entity_calls}, reports {}",
        mmss(total_sim),
        3 * reports
    );
    println!(
        "PPC rollups (per-entity blocks) recomputed from the report steps' events: wall {:.1}s",
        BLOCKS_MS.load(Ordering::Relaxed) as f64 / 1000.0
    );

    // The metrics calls of the PPC pages for that account, warm.
    let today = st.now().date_naive();
    let from = today - Duration::days(29);
    let q = format!("accountId={account_id}&startDate={from}&endDate={today}&period=day");
    let paths = [
        "/api/ppc/metrics",
        "/api/ppc/metrics/campaigns",
        "/api/ppc/metrics/ad-groups",
        "/api/ppc/metrics/keywords",
        "/api/ppc/profit",
        "/api/ppc/profit/keywords",
        "/api/ppc/optimization",
    ];
    println!("\nPPC calls through the local runner's router, last 30 days, warm:");
    println!(
        "  {:<32} {:>6} {:>9} {:>9} {:>11} {:>11} {:>11} {:>8} {:>11}",
        "call",
        "rounds",
        "p50 ms",
        "p99 ms",
        "store calls",
        "items read",
        "KB read",
        "rows",
        "body KB"
    );
    // The keyword-level calls read every keyword row of the 30 days unless rolled up: their
    // own round count (`KEYWORD_ROUNDS`, default `ROUNDS`; 0 leaves them out).
    let keyword_rounds: usize = env_or("KEYWORD_ROUNDS", rounds);
    for p in paths {
        let rounds = if p.ends_with("keywords") || p.ends_with("optimization") {
            keyword_rounds
        } else {
            rounds
        };
        if rounds == 0 {
            println!("  {p:<32} {:>6} (KEYWORD_ROUNDS=0: not measured)", 0);
            continue;
        }
        let path = format!("{p}?{q}");
        let (status, body) = call(&router, &path, Some(&bearer), None).await;
        assert_eq!(status, 200, "{path}: {body}");
        let body_kb = body.to_string().len() as f64 / 1024.0;
        let rows = body["data"]["data"]
            .as_array()
            .or(body["data"]["items"].as_array())
            .or(body["data"]["trend"].as_array())
            .map_or(0, Vec::len);
        let mut ms = vec![];
        let (mut read, mut store_calls, mut bytes) = (0, 0, 0);
        for _ in 0..rounds {
            store.items.store(0, Ordering::Relaxed);
            store.calls.store(0, Ordering::Relaxed);
            store.bytes.store(0, Ordering::Relaxed);
            let t = Instant::now();
            let (status, _) = call(&router, &path, Some(&bearer), None).await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            read = store.items.load(Ordering::Relaxed);
            store_calls = store.calls.load(Ordering::Relaxed);
            bytes = store.bytes.load(Ordering::Relaxed);
            assert_eq!(status, 200);
        }
        ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "  {p:<32} {rounds:>6} {:>9.1} {:>9.1} {store_calls:>11} {read:>11} {:>11.0} {rows:>8} {body_kb:>11.0}",
            pct(0.5),
            pct(0.99),
            bytes as f64 / 1024.0
        );
    }
    println!(
        "\nprocess peak RSS over the whole run (VmHWM): {}",
        mb(peak_now().max(PEAK_KB.load(Ordering::Relaxed)))
    );
    drop(router);
    drop(state);
    drop(store);
    let _ = std::fs::remove_file(&file);
}
