//! The Ads report sync of a large advertiser through the streaming path: report documents
//! of ~20,000 rows read in batches, steps that meet their deadline in the middle of a
//! document and resume at the row they reached, and steps that die halfway (an injected
//! store failure) re-run from the last checkpoint: the stored rows equal the stand-in's
//! ground truth row for row, and every SKU spend day is announced. Also: the batch write of
//! report rows is newer-wins on both store adapters, with two writers racing; and the Ads
//! tokens of a connection come from Login with Amazon's endpoint of its region.

use super::amazon_client::{Virtual, World};
use super::helpers::moto_store;
use super::ppc_sync::{attach, stored_days, to_mid_day, truth, SECRET_PREFIX};
use amazon_stand_in::generator::AdsScale;
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use shared::adapters::{EmbeddedSecrets, EmbeddedStore};
use shared::amazon::ads::AdsRegion;
use shared::amazon::{AmazonError, Credentials};
use shared::connections::AmazonAccount;
use shared::keys::Tenant;
use shared::ports::store::{Condition, Item, Key, Page, Query, Store, StoreError, TxOp, WriteOp};
use shared::ports::{Clock, Pacer, Secrets};
use shared::records::ads::{self as records, AdsDay, Level};
use shared::records::Written;
use shared::sync::ads::AdsAccess;
use shared::sync::ads_reports::AdsReportsSync;
use shared::sync::step::{DatasetSync, StepContext, StepError};
use shared::sync::{self, Dataset};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A store whose transactions (the batches of report rows) each take simulated time, so a
/// step meets its deadline in the middle of a document, and which fails the chosen ones: the
/// step dies there.
struct Cutting {
    inner: Arc<dyn Store>,
    st: Arc<StandIn>,
    per_batch: Duration,
    batches: AtomicU64,
    fail_at: Mutex<BTreeSet<u64>>,
}

impl Cutting {
    fn batch(&self) -> Result<(), StoreError> {
        let n = self.batches.fetch_add(1, Ordering::SeqCst) + 1;
        self.st.advance(self.per_batch);
        if self.fail_at.lock().unwrap().remove(&n) {
            return Err(StoreError::Unavailable(
                "injected: the step dies here".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for Cutting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.batch()?;
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
}

/// A stand-in seller whose US profile has `campaigns` campaigns of `keywords` keywords each.
async fn large_advertiser(campaigns: usize, keywords: usize) -> (World, Arc<Cutting>) {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 200,
            marketplaces: vec!["US".into()],
            ads_scale: Some(AdsScale {
                campaigns,
                keywords_per_campaign: keywords,
                days: 100,
            }),
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st.clone()));
    let store = Arc::new(Cutting {
        inner: Arc::new(EmbeddedStore::in_memory(clock)),
        st: st.clone(),
        per_batch: Duration::zero(),
        batches: AtomicU64::new(0),
        fail_at: Mutex::new(BTreeSet::new()),
    });
    let w = World {
        st,
        base,
        store: store.clone(),
    };
    (w, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_backfill_cut_short_and_killed_mid_document_equals_the_truth_row_for_row() {
    let (w, _) = large_advertiser(12, 50).await;
    to_mid_day(&w);
    // Every batch of 100 rows takes a simulated second: a step of 3 minutes writes about
    // 120 batches, and a 31-day keyword report (12 × 51 targets × 31 days = 18,972 rows)
    // spans two steps; two steps die, one in the first keyword report, one later.
    let store = Arc::new(Cutting {
        inner: w.store.clone(),
        st: w.st.clone(),
        per_batch: Duration::seconds(1),
        batches: AtomicU64::new(0),
        fail_at: Mutex::new([60, 700].into()),
    });
    let w = World {
        store: store.clone(),
        ..w
    };
    let tenant = Tenant::create();
    let account = AmazonAccount::new(
        &tenant,
        "US",
        w.st.seller.seller_id.clone(),
        "NA",
        vec![w.st.seller.marketplaces[0].id.to_string()],
        w.st.now(),
    );
    let secrets: Arc<dyn Secrets> = Arc::new(EmbeddedSecrets::in_memory());
    let p = attach(w, tenant, account, secrets, true).await;
    let started = p.w.st.now();
    let sync_impl = AdsReportsSync::new(Some(p.access.clone()));
    let connection = p.account.id.to_string();
    let store_ref = p.w.store.as_ref();
    let (mut steps, mut died, mut mid_document) = (0, 0, 0);
    let mut announced: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
    loop {
        steps += 1;
        assert!(steps < 2_000, "a run ends");
        let state = sync::get(store_ref, &p.tenant, &connection, Dataset::AdsReports)
            .await
            .unwrap()
            .expect("registered");
        let deadline = p.w.st.now() + Duration::minutes(3);
        let amazon = p.ctx.until(deadline);
        let cx = StepContext {
            tenant: &p.tenant,
            account: &p.account,
            store: store_ref,
            api: &p.api,
            amazon: &amazon,
            pacer: &p.pacer,
            deadline,
        };
        match sync_impl.step(&cx, &state).await {
            Ok(r) => {
                if r.cursor["pending"][0]["rowsDone"].as_u64().unwrap_or(0) > 0 {
                    mid_document += 1;
                }
                for e in r
                    .events
                    .iter()
                    .filter(|e| e.detail_type == shared::profit::ads::ADS_SPEND_CHANGED)
                {
                    let m = e.detail["marketplaceId"].as_str().unwrap().to_string();
                    for d in e.detail["days"].as_array().unwrap() {
                        announced
                            .entry(m.clone())
                            .or_default()
                            .insert(d.as_str().unwrap().parse().unwrap());
                    }
                }
                let now = p.w.st.now();
                let mut next = state.progressed(r.cursor, r.progress, now);
                if r.done {
                    next = next.finished(now);
                }
                assert!(sync::update(store_ref, &p.tenant, &state, next)
                    .await
                    .unwrap());
                if let Some(wait) = r.next_in {
                    p.w.st.advance(wait);
                }
                if r.done {
                    break;
                }
            }
            // The step died: the worker runs it again from the last checkpoint.
            Err(StepError::Store(_)) => died += 1,
            Err(StepError::Amazon(AmazonError::RetryLater { at })) => {
                let now = p.w.st.now();
                if at > now {
                    p.w.st.advance(at - now);
                }
            }
            Err(e) => panic!("step failed: {e}"),
        }
    }
    assert_eq!(died, 2, "both injected failures killed a step");
    assert!(
        mid_document >= 2,
        "steps stopped inside a document and the next resumed there ({mid_document})"
    );
    assert!(store.batches.load(Ordering::SeqCst) > 700);

    let stored = stored_days(&p).await;
    let want = truth(&p, started);
    let keywords = want.keys().filter(|k| k.0 == Level::Target).count();
    assert!(
        keywords > 50_000,
        "a large account: {keywords} keyword days"
    );
    assert_eq!(stored.len(), want.len(), "every row, once");
    assert_eq!(stored, want, "every figure equals the stand-in's");

    // Every SKU spend day was announced to the profit engine, those written by a step that
    // died included.
    let sku_days: BTreeSet<NaiveDate> = want
        .keys()
        .filter(|k| k.0 == Level::Sku)
        .map(|k| k.2)
        .collect();
    let marketplace = p.w.st.seller.marketplaces[0].id.to_string();
    assert_eq!(announced.get(&marketplace), Some(&sku_days));
}

fn row(entity: usize, cost: i64, reported_at: DateTime<Utc>) -> AdsDay {
    AdsDay {
        level: Level::Target,
        profile_id: 7,
        connection: "c".into(),
        marketplace_id: "ATVPDKIKX0DER".into(),
        currency: "USD".into(),
        date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        entity: format!("kw{entity:04}"),
        campaign_id: "1".into(),
        ad_group_id: Some("2".into()),
        target_id: Some(format!("kw{entity:04}")),
        sku: None,
        asin: None,
        name: Some("k".into()),
        match_type: Some("EXACT".into()),
        impressions: 10,
        clicks: 1,
        cost: Decimal::new(cost, 2),
        purchases: [0; 4],
        sales: [Decimal::ZERO; 4],
        units7d: 0,
        report_id: format!("r{}", reported_at.timestamp()),
        reported_at,
    }
}

async fn costs(store: &dyn Store, tenant: &Tenant) -> Vec<Decimal> {
    let d = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    records::days(store, tenant, Level::Target, d, d)
        .await
        .unwrap()
        .iter()
        .map(|r| r.cost)
        .collect()
}

/// The batch write on one adapter: newer-wins row by row across transactions, a stale row
/// inside a batch costs nothing else of it, and two writers racing leave the newer report.
async fn batch_writes_are_newer_wins(store: Arc<dyn Store>) {
    let tenant = Tenant::create();
    let t = |m: i64| DateTime::<Utc>::from_timestamp(1_790_000_000 + m * 60, 0).unwrap();
    let first: Vec<AdsDay> = (0..250).map(|i| row(i, 100, t(1))).collect();
    let out = records::put_days(store.as_ref(), &tenant, &first)
        .await
        .unwrap();
    assert!(out.iter().all(|w| *w == Written::Stored));
    // Re-run of the same report (a step that died): nothing changes.
    let out = records::put_days(store.as_ref(), &tenant, &first)
        .await
        .unwrap();
    assert!(out.iter().all(|w| *w == Written::Stale));
    // A batch mixing older and newer rows: each row on its own.
    let mixed: Vec<AdsDay> = (0..250)
        .map(|i| {
            if i % 2 == 0 {
                row(i, 300, t(2))
            } else {
                row(i, 50, t(0))
            }
        })
        .collect();
    let out = records::put_days(store.as_ref(), &tenant, &mixed)
        .await
        .unwrap();
    for (i, w) in out.iter().enumerate() {
        let want = if i % 2 == 0 {
            Written::Stored
        } else {
            Written::Stale
        };
        assert_eq!(*w, want, "row {i}");
    }
    let got = costs(store.as_ref(), &tenant).await;
    assert_eq!(got.len(), 250);
    for (i, c) in got.iter().enumerate() {
        let want = Decimal::new(if i % 2 == 0 { 300 } else { 100 }, 2);
        assert_eq!(*c, want, "row {i}");
    }
    // Two steps writing the same rows at once, from an older and a newer report.
    let older: Vec<AdsDay> = (0..250).map(|i| row(i, 111, t(3))).collect();
    let newer: Vec<AdsDay> = (0..250).map(|i| row(i, 999, t(4))).collect();
    let (a, b) = tokio::join!(
        records::put_days(store.as_ref(), &tenant, &older),
        records::put_days(store.as_ref(), &tenant, &newer)
    );
    a.unwrap();
    assert!(b.unwrap().iter().all(|w| *w == Written::Stored));
    let got = costs(store.as_ref(), &tenant).await;
    assert_eq!(got.len(), 250, "one row per entity and day");
    assert!(
        got.iter().all(|c| *c == Decimal::new(999, 2)),
        "the newer report wins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_rows_are_written_in_batches_newer_wins_on_the_embedded_store() {
    let st = StandIn::virtual_clock(generate(&SellerSpec::default()), false);
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st));
    batch_writes_are_newer_wins(Arc::new(EmbeddedStore::in_memory(clock))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_rows_are_written_in_batches_newer_wins_on_dynamodb() {
    let st = StandIn::virtual_clock(generate(&SellerSpec::default()), false);
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st));
    let (store, _table) = moto_store(clock).await;
    batch_writes_are_newer_wins(store).await;
}

#[test]
fn each_region_has_its_own_login_with_amazon_token_endpoint() {
    assert_eq!(
        AdsRegion::NorthAmerica.token_url(),
        "https://api.amazon.com/auth/o2/token"
    );
    assert_eq!(
        AdsRegion::Europe.token_url(),
        "https://api.amazon.co.uk/auth/o2/token"
    );
    assert_eq!(
        AdsRegion::FarEast.token_url(),
        "https://api.amazon.co.jp/auth/o2/token"
    );
}

fn ads_access(
    w: &World,
    token_url: &str,
    secrets: Arc<dyn Secrets>,
    base: Option<String>,
) -> AdsAccess {
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    AdsAccess::new(
        reqwest::Client::new(),
        Credentials {
            client_id: w.st.apps.ads_client_id.clone(),
            client_secret: SecretString::from(w.st.apps.ads_client_secret.clone()),
            token_url: token_url.to_string(),
        },
        base,
        w.store.clone(),
        pacer,
        &SecretString::from("an-ads-cache-key-of-at-least-32-bytes".to_string()),
        secrets,
        SECRET_PREFIX,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ads_tokens_come_from_the_token_endpoint_of_the_connections_region() {
    let (w, _) = large_advertiser(2, 2).await;
    let secrets: Arc<dyn Secrets> = Arc::new(EmbeddedSecrets::in_memory());
    let tenant = Tenant::create();
    let account = |region: &str| {
        AmazonAccount::new(
            &tenant,
            "Shop",
            w.st.seller.seller_id.clone(),
            region,
            vec![w.st.seller.marketplaces[0].id.to_string()],
            w.st.now(),
        )
    };
    let (na, eu, fe) = (account("NA"), account("EU"), account("FE"));

    // Amazon's own endpoint configured: every region gets its own.
    let amazon = ads_access(
        &w,
        shared::amazon::endpoints::LWA_TOKEN_URL,
        secrets.clone(),
        None,
    );
    assert_eq!(
        amazon.token_url(&na),
        "https://api.amazon.com/auth/o2/token"
    );
    assert_eq!(
        amazon.token_url(&eu),
        "https://api.amazon.co.uk/auth/o2/token"
    );
    assert_eq!(
        amazon.token_url(&fe),
        "https://api.amazon.co.jp/auth/o2/token"
    );

    // The stand-in's endpoint serves every region; one region pointed elsewhere (nowhere)
    // is asked there, and only that region.
    let stand_in = format!("{}/auth/o2/token", w.base);
    let access = ads_access(&w, &stand_in, secrets.clone(), Some(w.base.clone()))
        .with_token_url(AdsRegion::Europe, "http://127.0.0.1:9/auth/o2/token");
    assert_eq!(access.token_url(&na), stand_in);
    assert_eq!(access.token_url(&fe), stand_in);
    assert_eq!(access.token_url(&eu), "http://127.0.0.1:9/auth/o2/token");
    let refresh = SecretString::from(w.st.issue_ads_refresh_token());
    for a in [&na, &eu] {
        access.connect(a, &refresh).await.unwrap();
    }
    let deadline = w.st.now() + Duration::minutes(2);
    let ctx = access.context(&na, deadline).await.unwrap().unwrap();
    let profiles = access.api(&na).profiles(&ctx).await.unwrap();
    assert!(!profiles.is_empty(), "NA's token came from the stand-in");
    let ctx = access.context(&eu, deadline).await.unwrap().unwrap();
    // EU's token was asked of EU's endpoint, where nothing answers.
    assert!(access.api(&eu).profiles(&ctx).await.is_err());
}
