//! Listings with their catalog data, and seller feedback, synced against the stand-in the way
//! the worker drives them (short steps, checkpoints, FATAL, CANCELLED and truncated reports on
//! the way), then compared with the stand-in's ground truth record for record
//! ([`assert_listings_match`], also called by the end-to-end test); and the listings, catalog,
//! offers and fees notifications, each delivered twice and out of order, ending in the right
//! state.

use super::amazon_client::{client, context, Virtual, World};
use super::jobs::tenant_in;
use super::sync_money::world_of;
use amazon_stand_in::listings_truth::{self, FeedbackTruth, ListingTruth};
use amazon_stand_in::notifications::MemorySink;
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{SellerSpec, StandIn};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets};
use shared::amazon::{AmazonError, AmazonSettings, Context, SpApi};
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::keys::Tenant;
use shared::notifications::{Consumer, Ports};
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::{Clock, Pacer, Store};
use shared::records::{fee_estimates, feedback, listings, offers};
use shared::sync::feedback::FeedbackSync;
use shared::sync::listings::ListingsSync;
use shared::sync::step::{DatasetSync, StepContext, StepError};
use shared::sync::{self, Dataset};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every listing of the seller (with its ASIN's catalog data in that marketplace) and every
/// buyer feedback stored for `tenant` equals the stand-in's ground truth, record for record.
/// A listing's status is compared as of the time its report was made.
pub async fn assert_listings_match(st: &StandIn, store: &dyn Store, tenant: &Tenant) {
    let stored: BTreeMap<(String, String), listings::ListingRecord> = listings::all(store, tenant)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.status != "Deleted")
        .map(|l| ((l.marketplace_id.clone(), l.sku.clone()), l))
        .collect();
    let catalog: BTreeMap<(String, String), listings::CatalogRecord> =
        listings::all_catalog(store, tenant)
            .await
            .unwrap()
            .into_iter()
            .map(|c| ((c.marketplace_id.clone(), c.asin.clone()), c))
            .collect();
    let truth = listings_truth::listings(st);
    assert!(!truth.is_empty(), "the seller has listings");
    assert_eq!(
        stored.len(),
        truth.len(),
        "one stored listing per listing of the seller"
    );
    // The truth as of each report's time (statuses change as suppressions end).
    let mut at: BTreeMap<DateTime<Utc>, BTreeMap<(String, String), ListingTruth>> = BTreeMap::new();
    for l in stored.values() {
        at.entry(l.observed_at).or_insert_with(|| {
            listings_truth::listings_at(st, l.observed_at)
                .into_iter()
                .map(|t| ((t.marketplace_id.clone(), t.sku.clone()), t))
                .collect()
        });
    }
    for t in &truth {
        let key = (t.marketplace_id.clone(), t.sku.clone());
        let l = stored
            .get(&key)
            .unwrap_or_else(|| panic!("listing {key:?} is stored"));
        let then = &at[&l.observed_at][&key];
        let what = format!("{} {}", t.marketplace_id, t.sku);
        assert_eq!(l.asin.as_deref(), Some(t.asin.as_str()), "{what}: asin");
        assert_eq!(l.title.as_deref(), Some(t.title.as_str()), "{what}: title");
        assert_eq!(l.price, Some(t.price), "{what}: price");
        assert_eq!(l.currency.as_deref(), Some(t.currency.as_str()), "{what}");
        assert_eq!(l.channel.as_deref(), Some(t.channel.as_str()), "{what}");
        assert_eq!(l.quantity, t.quantity, "{what}: merchant quantity");
        assert_eq!(l.status, then.status, "{what}: status");
        assert_eq!(
            l.opened_at,
            Some(t.opened_at.trunc_subsecs(0)),
            "{what}: open date"
        );
        let c = catalog
            .get(&(t.marketplace_id.clone(), t.asin.clone()))
            .unwrap_or_else(|| panic!("{what}: catalog data of {} is stored", t.asin));
        assert_eq!(
            c.title.as_deref(),
            Some(t.title.as_str()),
            "{what}: catalog title"
        );
        assert_eq!(c.brand.as_deref(), Some(t.brand.as_str()), "{what}: brand");
        assert_eq!(
            c.product_type.as_deref(),
            Some(t.product_type.as_str()),
            "{what}: product type"
        );
        assert_eq!(c.images.first(), Some(&t.main_image), "{what}: main image");
    }
    assert_feedback_matches(st, store, tenant).await;
}

/// Every buyer feedback stored for `tenant` equals the stand-in's, record for record.
pub async fn assert_feedback_matches(st: &StandIn, store: &dyn Store, tenant: &Tenant) {
    let stored: Vec<FeedbackTruth> = feedback::all(store, tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|f| FeedbackTruth {
            marketplace_id: f.marketplace_id,
            order_id: f.order_id,
            date: f.date,
            rating: f.rating,
            comments: f.comments,
            responded: f.response.is_some(),
        })
        .collect();
    let mut stored = stored;
    stored.sort();
    let truth = listings_truth::feedback(st);
    assert!(!truth.is_empty(), "buyers left feedback");
    assert_eq!(stored.len(), truth.len(), "one feedback per order");
    for (s, t) in stored.iter().zip(&truth) {
        assert_eq!(s, t);
    }
}

/// One connection of a fresh tenant to a generated seller, with its client.
struct Seller {
    w: World,
    api: SpApi,
    ctx: Context,
    tenant: Tenant,
    account: AmazonAccount,
    pacer: Arc<dyn Pacer>,
}

async fn seller(orders: usize, countries: &[&str]) -> Seller {
    let w = world_of(amazon_stand_in::generate(&SellerSpec {
        orders,
        marketplaces: countries.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    }))
    .await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let tenant = tenant_in(w.store.as_ref(), w.st.now()).await;
    let account = AmazonAccount::new(
        &tenant,
        countries[0],
        w.st.seller.seller_id.clone(),
        "na",
        w.st.seller
            .marketplaces
            .iter()
            .map(|m| m.id.to_string())
            .collect(),
        w.st.now(),
    );
    let ctx = context(&w, account.id.as_str(), &refresh);
    sync::register(w.store.as_ref(), &tenant, account.id.as_str(), w.st.now())
        .await
        .unwrap();
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    Seller {
        w,
        api,
        ctx,
        tenant,
        account,
        pacer,
    }
}

/// How one run went.
#[derive(Debug, Default)]
struct Ran {
    steps: u32,
    retried: u32,
    written: u64,
    events: Vec<String>,
}

impl Seller {
    fn cx<'a>(&'a self, amazon: &'a Context, deadline: DateTime<Utc>) -> StepContext<'a> {
        StepContext {
            tenant: &self.tenant,
            account: &self.account,
            store: self.w.store.as_ref(),
            api: &self.api,
            amazon,
            pacer: &self.pacer,
            deadline,
        }
    }

    /// Drives one run the way the worker does: short steps, checkpoints saved, waits taken,
    /// retryable failures retried; a permanent failure is returned.
    async fn run(&self, s: &dyn DatasetSync, dataset: Dataset) -> Result<Ran, String> {
        let store = self.w.store.as_ref();
        let mut ran = Ran::default();
        loop {
            assert!(ran.steps < 2_000, "a run ends");
            let state = sync::get(store, &self.tenant, self.account.id.as_str(), dataset)
                .await
                .unwrap()
                .unwrap();
            let deadline = self.w.st.now() + Duration::seconds(40);
            let amazon = self.ctx.until(deadline);
            ran.steps += 1;
            match s.step(&self.cx(&amazon, deadline), &state).await {
                Ok(r) => {
                    let now = self.w.st.now();
                    let mut next = state.progressed(r.cursor, r.progress, now);
                    if r.done {
                        next = next.finished(now);
                    }
                    assert!(sync::update(store, &self.tenant, &state, next)
                        .await
                        .unwrap());
                    ran.written += r.written;
                    ran.events
                        .extend(r.events.iter().map(|e| e.detail_type.clone()));
                    if let Some(wait) = r.next_in {
                        self.w.st.advance(wait);
                    }
                    if r.done {
                        return Ok(ran);
                    }
                }
                Err(StepError::Amazon(AmazonError::RetryLater { at })) => {
                    let now = self.w.st.now();
                    if at > now {
                        self.w.st.advance(at - now);
                    }
                }
                Err(StepError::Amazon(
                    AmazonError::Server { .. }
                    | AmazonError::Transport { .. }
                    | AmazonError::Throttled { .. },
                )) => {
                    ran.retried += 1;
                    assert!(ran.retried < 50, "retries end");
                    self.w.st.advance(Duration::seconds(30));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

fn fault(operation: Option<&str>, kind: FaultKind, times: Option<u32>) -> FaultRule {
    FaultRule {
        operation: operation.map(str::to_string),
        kind,
        every: 1,
        times,
        seen: 0,
        fired: 0,
    }
}

#[tokio::test]
async fn listings_catalog_and_feedback_equal_the_truth_through_fatal_cancelled_and_truncated_reports(
) {
    // North America, Germany (decimal commas, Windows-1252, MESZ) and Japan (Shift_JIS, JST).
    let s = seller(1_500, &["US", "DE", "JP"]).await;
    let st = &s.w.st;
    st.add_fault(fault(None, FaultKind::ReportFatal, Some(2)));
    st.add_fault(fault(None, FaultKind::ReportCancelled, Some(1)));
    st.add_fault(fault(
        Some("downloadReportDocument"),
        FaultKind::Truncate,
        Some(2),
    ));
    let ran = s
        .run(&ListingsSync::default(), Dataset::Listings)
        .await
        .unwrap();
    assert!(ran.retried >= 1, "a truncated document is read again");
    assert!(ran.events.iter().any(|e| e == "ListingsChanged"));
    assert!(ran.events.iter().any(|e| e == "CatalogChanged"));
    let fb = s
        .run(&FeedbackSync::default(), Dataset::Feedback)
        .await
        .unwrap();
    assert!(fb.written > 0);
    assert!(st.stats()["downloadReportDocument"].faults >= 2);
    assert_listings_match(st, s.w.store.as_ref(), &s.tenant).await;

    // The titles that came with entities and bare quotes are stored as the seller wrote them.
    let all = listings::all(s.w.store.as_ref(), &s.tenant).await.unwrap();
    assert!(all
        .iter()
        .any(|l| l.title.as_deref().is_some_and(|t| t.contains(" & Lid"))));
    assert!(all
        .iter()
        .any(|l| l.title.as_deref().is_some_and(|t| t.contains('"'))));

    // A second run (the daily sweep) finds nothing changed and writes nothing.
    st.advance(Dataset::Listings.cadence());
    let again = s
        .run(&ListingsSync::default(), Dataset::Listings)
        .await
        .unwrap();
    let changed_titles = again
        .events
        .iter()
        .filter(|e| *e == "CatalogChanged")
        .count();
    assert_eq!(changed_titles, 0, "the catalog did not change");
    let again_fb = s
        .run(&FeedbackSync::default(), Dataset::Feedback)
        .await
        .unwrap();
    assert_eq!(again_fb.written, 0, "unchanged feedback writes nothing");
    assert_listings_match(st, s.w.store.as_ref(), &s.tenant).await;
}

#[tokio::test]
async fn a_report_fatal_every_time_fails_the_run_naming_it_and_cancelled_every_time_is_empty() {
    let s = seller(300, &["US"]).await;
    let st = &s.w.st;
    st.add_fault(fault(None, FaultKind::ReportFatal, Some(3)));
    let err = s
        .run(&ListingsSync::default(), Dataset::Listings)
        .await
        .unwrap_err();
    assert!(
        err.contains("GET_MERCHANT_LISTINGS_ALL_DATA")
            && err.contains("ATVPDKIKX0DER")
            && err.contains("FATAL 3 times"),
        "{err}"
    );
    // Retried (the error-recovery API makes it due again; the dispatcher starts a new run),
    // it asks afresh and completes.
    let now = st.now();
    assert!(sync::modify(
        s.w.store.as_ref(),
        &s.tenant,
        s.account.id.as_str(),
        Dataset::Listings,
        |x| Some(x.due_now(now)),
    )
    .await
    .unwrap());
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st.clone()));
    let queues = EmbeddedQueue::in_memory(clock);
    let q = queues.declare("sync", None);
    let started = sync::dispatch(s.w.store.as_ref(), &queues, &q, now, 100)
        .await
        .unwrap();
    assert!(started
        .iter()
        .any(|m| m.dataset.as_deref() == Some("listings")));
    s.run(&ListingsSync::default(), Dataset::Listings)
        .await
        .unwrap();

    // Feedback cancelled every time: each window taken as empty, the run completes.
    st.add_fault(fault(None, FaultKind::ReportCancelled, None));
    let fb = s
        .run(&FeedbackSync::default(), Dataset::Feedback)
        .await
        .unwrap();
    assert_eq!(fb.written, 0);
    assert!(feedback::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap()
        .is_empty());
}

// ------------------------------------------------------------------ notifications

const ARN: &str = "arn:aws:sqs:us-east-1:000000000000:spapi-notifications";
const PREFIX: &str = "beddora/test/";
const US: &str = "ATVPDKIKX0DER";

/// The stand-in with every listings type subscribed to our destination, a connected tenant
/// whose listings are synced, and the consumer with our Amazon application.
struct Notified {
    s: Seller,
    http: reqwest::Client,
    sink: Arc<MemorySink>,
    secrets: Arc<EmbeddedSecrets>,
    queues: Arc<EmbeddedQueue>,
    queue: QueueRef,
    consumer: Consumer,
}

async fn token(w: &World, http: &reqwest::Client, grant: &[(&str, &str)]) -> String {
    let mut form = grant.to_vec();
    form.push(("client_id", &w.st.apps.client_id));
    form.push(("client_secret", &w.st.apps.client_secret));
    let r: Value = http
        .post(format!("{}/auth/o2/token", w.base))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

/// A POST, waiting out the operation's rate limit (createSubscription: one a second).
async fn post(w: &World, http: &reqwest::Client, path: &str, body: Value, token: &str) -> Value {
    for _ in 0..10 {
        let r = http
            .post(format!("{}{path}", w.base))
            .header("x-amz-access-token", token)
            .json(&body)
            .send()
            .await
            .unwrap();
        if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            w.st.advance(Duration::seconds(2));
            continue;
        }
        assert!(r.status().is_success(), "{path}: {}", r.status());
        return r.json().await.unwrap();
    }
    panic!("{path}: throttled every time");
}

async fn notified_world() -> Notified {
    let s = seller(300, &["US"]).await;
    let http = reqwest::Client::new();
    let sink = Arc::new(MemorySink::default());
    s.w.st.set_sink(sink.clone());
    let grantless = token(
        &s.w,
        &http,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "sellingpartnerapi::notifications"),
        ],
    )
    .await;
    let d = post(
        &s.w,
        &http,
        "/notifications/v1/destinations",
        json!({"name": "beddora", "resourceSpecification": {"sqs": {"arn": ARN}}}),
        &grantless,
    )
    .await;
    let destination = d["payload"]["destinationId"].as_str().unwrap().to_string();
    let seller_token = token(
        &s.w,
        &http,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &s.w.st.issue_refresh_token()),
        ],
    )
    .await;
    for kind in [
        "ANY_OFFER_CHANGED",
        "FEE_PROMOTION",
        "LISTINGS_ITEM_STATUS_CHANGE",
        "LISTINGS_ITEM_ISSUES_CHANGE",
        "ITEM_PRODUCT_TYPE_CHANGE",
        "PRICING_HEALTH",
    ] {
        post(
            &s.w,
            &http,
            &format!("/notifications/v1/subscriptions/{kind}"),
            json!({"payloadVersion": "1.0", "destinationId": destination}),
            &seller_token,
        )
        .await;
    }
    // The connection as the connect flow stores it (the tenant is a real account here).
    let tenant = tenant_in(s.w.store.as_ref(), s.w.st.now()).await;
    let account = AmazonAccount::new(
        &tenant,
        "US",
        s.w.st.seller.seller_id.clone(),
        "NA",
        vec![US.into()],
        s.w.st.now(),
    );
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    Connections::new(s.w.store.as_ref(), secrets.as_ref(), PREFIX)
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from(s.w.st.issue_refresh_token())),
        )
        .await
        .unwrap();
    sync::register(
        s.w.store.as_ref(),
        &tenant,
        account.id.as_str(),
        s.w.st.now(),
    )
    .await
    .unwrap();
    let s = Seller {
        tenant,
        account,
        ..s
    };
    s.run(&ListingsSync::default(), Dataset::Listings)
        .await
        .unwrap();
    let clock: Arc<dyn Clock> = Arc::new(Virtual(s.w.st.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let queue = queues.declare("notifications", Some(("notifications-dlq", 5)));
    let app = amazon_stand_in::client::our_app(
        &s.w.st,
        &s.w.base,
        s.w.store.clone(),
        s.pacer.clone(),
        AmazonSettings::default(),
    );
    let consumer = job_notifications::consumer(
        Ports {
            store: s.w.store.clone(),
            secrets: secrets.clone(),
            secret_prefix: PREFIX.into(),
            queues: queues.clone(),
            pacer: s.pacer.clone(),
            amazon: Some(app),
            bus: Some(Arc::new(EmbeddedBus::new(queues.clone(), clock))),
        },
        queue.clone(),
    );
    Notified {
        s,
        http,
        sink,
        secrets,
        queues,
        queue,
        consumer,
    }
}

impl Notified {
    /// `count` notifications of `kind` from the stand-in, newest first.
    async fn notify(&self, kind: &str, count: usize) -> Vec<String> {
        let before = self.sink.0.lock().unwrap().len();
        let n = self.s.w.st.notify(kind, count).await.unwrap();
        assert!(n > 0, "the stand-in sent no {kind}");
        self.sink.0.lock().unwrap()[before..]
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Each body twice, in the reverse order of Amazon's events; drained.
    async fn deliver_twice_reversed(&self, bodies: &[String]) {
        let mut all: Vec<String> = bodies.iter().chain(bodies).cloned().collect();
        all.reverse();
        for b in &all {
            self.queues
                .send(&self.queue, b, Duration::zero())
                .await
                .unwrap();
        }
        while self
            .consumer
            .poll_once(Duration::minutes(5), Duration::minutes(10))
            .await
            .unwrap()
            > 0
        {}
        assert_eq!(
            self.queues.stats(&self.queue).await.unwrap().total(),
            0,
            "every notification was applied"
        );
    }

    fn store(&self) -> &dyn Store {
        self.s.w.store.as_ref()
    }

    async fn dump(&self) -> Vec<shared::ports::store::Item> {
        let q = shared::ports::store::Query::partition(
            shared::ports::store::Index::Table,
            shared::keys::pk(&self.s.tenant),
        )
        .sk(shared::ports::store::SortKey::Any);
        shared::ports::store::query_all(self.store(), q)
            .await
            .unwrap()
            .into_iter()
            .filter(|i| {
                !i.get("sk")
                    .and_then(|v| v.as_s())
                    .is_some_and(|s| s.starts_with("JOBDONE#"))
            })
            .collect()
    }
}

/// The same notification again with another id (Amazon resends changes under new ids).
fn renumbered(body: &str, id: &str) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    if v.get("NotificationMetadata").is_some() {
        v["NotificationMetadata"]["NotificationId"] = json!(id);
    } else {
        v["notificationMetadata"]["notificationId"] = json!(id);
    }
    v.to_string()
}

#[tokio::test]
async fn offer_changes_twice_and_out_of_order_keep_one_point_each_and_the_newest_as_latest() {
    let n = notified_world().await;
    let bodies = n.notify("ANY_OFFER_CHANGED", 6).await;
    let again: Vec<String> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| renumbered(b, &format!("again-{i}")))
        .collect();
    n.deliver_twice_reversed(&bodies).await;
    n.deliver_twice_reversed(&again).await;
    // Each notification is one point of its ASIN's series; the latest is the newest change.
    let mut expected: BTreeMap<(String, String), Vec<DateTime<Utc>>> = BTreeMap::new();
    for b in &bodies {
        let v: Value = serde_json::from_str(b).unwrap();
        let t = &v["Payload"]["AnyOfferChangedNotification"]["OfferChangeTrigger"];
        let at = DateTime::parse_from_rfc3339(t["TimeOfOfferChange"].as_str().unwrap())
            .unwrap()
            .to_utc();
        expected
            .entry((
                t["MarketplaceId"].as_str().unwrap().to_string(),
                t["ASIN"].as_str().unwrap().to_string(),
            ))
            .or_default()
            .push(at);
    }
    let points = offers::all_points(n.store(), &n.s.tenant).await.unwrap();
    let distinct: usize = expected
        .values()
        .map(|v| v.iter().collect::<std::collections::BTreeSet<_>>().len())
        .sum();
    assert_eq!(points.len(), distinct, "no duplicate points");
    for ((m, asin), times) in &expected {
        let series = offers::series(n.store(), &n.s.tenant, m, asin)
            .await
            .unwrap();
        assert!(
            series.windows(2).all(|w| w[0].at < w[1].at),
            "in time order"
        );
        let latest = offers::latest(n.store(), &n.s.tenant, m, asin)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.at, *times.iter().max().unwrap());
        assert_eq!(latest.buy_box_seller.as_deref(), Some("A2COMPETITOR01"));
        assert!(!latest.ours);
        assert_eq!(latest.offer_count, 2);
        assert!(latest.buy_box_landed_price.is_some());
    }
}

#[tokio::test]
async fn listing_status_and_issue_changes_twice_and_out_of_order_end_as_amazon_has_the_listing() {
    let n = notified_world().await;
    let status = n.notify("LISTINGS_ITEM_STATUS_CHANGE", 4).await;
    let issues = n.notify("LISTINGS_ITEM_ISSUES_CHANGE", 4).await;
    n.deliver_twice_reversed(&status).await;
    n.deliver_twice_reversed(&issues).await;
    let before = n.dump().await;
    // Every named listing is as Amazon's Listings Items API shows it now.
    let seller_token = token(
        &n.s.w,
        &n.http,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &n.s.w.st.issue_refresh_token()),
        ],
    )
    .await;
    for b in status.iter().chain(&issues) {
        let v: Value = serde_json::from_str(b).unwrap();
        let sku = v["Payload"]["Sku"].as_str().unwrap();
        let stored = listings::get(n.store(), &n.s.tenant, US, sku)
            .await
            .unwrap()
            .unwrap();
        let mut now_at_amazon = Value::Null;
        for _ in 0..10 {
            let r = n
                .http
                .get(format!(
                    "{}/listings/2021-08-01/items/{}/{sku}",
                    n.s.w.base, n.s.w.st.seller.seller_id
                ))
                .query(&[("marketplaceIds", US), ("includedData", "summaries,issues")])
                .header("x-amz-access-token", &seller_token)
                .send()
                .await
                .unwrap();
            if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
                n.s.w.st.advance(Duration::seconds(1));
                continue;
            }
            assert!(r.status().is_success(), "{sku}: {}", r.status());
            now_at_amazon = r.json().await.unwrap();
            break;
        }
        let statuses: Vec<String> =
            serde_json::from_value(now_at_amazon["summaries"][0]["status"].clone()).unwrap();
        assert_eq!(stored.statuses.as_ref(), Some(&statuses), "{sku}");
        assert_eq!(
            stored.issues.len(),
            now_at_amazon["issues"].as_array().map_or(0, Vec::len),
            "{sku}"
        );
        assert_eq!(
            stored.product_type.as_deref(),
            now_at_amazon["summaries"][0]["productType"].as_str()
        );
    }
    // The same notifications once more: nothing changes.
    let again: Vec<String> = status
        .iter()
        .chain(&issues)
        .enumerate()
        .map(|(i, b)| renumbered(b, &format!("late-{i}")))
        .collect();
    n.deliver_twice_reversed(&again).await;
    assert_eq!(n.dump().await, before);
    assert_listings_still_match(&n).await;
}

async fn assert_listings_still_match(n: &Notified) {
    // Only the listings' own fields: the notification world has no feedback synced.
    let truth = listings_truth::listings(&n.s.w.st);
    for t in truth {
        let l = listings::get(n.store(), &n.s.tenant, &t.marketplace_id, &t.sku)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(l.price, Some(t.price));
        assert_eq!(l.title.as_deref(), Some(t.title.as_str()));
    }
}

#[tokio::test]
async fn product_type_changes_pricing_health_and_fee_promotions_twice_and_out_of_order() {
    let n = notified_world().await;
    // ITEM_PRODUCT_TYPE_CHANGE: the catalog data read again is Amazon's.
    let types = n.notify("ITEM_PRODUCT_TYPE_CHANGE", 5).await;
    n.deliver_twice_reversed(&types).await;
    let truth: BTreeMap<(String, String), ListingTruth> = listings_truth::listings(&n.s.w.st)
        .into_iter()
        .map(|t| ((t.marketplace_id.clone(), t.asin.clone()), t))
        .collect();
    for b in &types {
        let v: Value = serde_json::from_str(b).unwrap();
        let asin = v["Payload"]["Asin"].as_str().unwrap();
        let m = v["Payload"]["MarketplaceId"].as_str().unwrap();
        let c = listings::get_catalog(n.store(), &n.s.tenant, m, asin)
            .await
            .unwrap()
            .unwrap();
        let t = &truth[&(m.to_string(), asin.to_string())];
        assert_eq!(c.product_type.as_deref(), Some(t.product_type.as_str()));
        assert_eq!(
            v["Payload"]["CurrentProductType"].as_str(),
            c.product_type.as_deref()
        );
    }

    // PRICING_HEALTH: each fact kept once.
    let health = n.notify("PRICING_HEALTH", 4).await;
    n.deliver_twice_reversed(&health).await;
    let again: Vec<String> = health
        .iter()
        .enumerate()
        .map(|(i, b)| renumbered(b, &format!("h-{i}")))
        .collect();
    n.deliver_twice_reversed(&again).await;
    let facts = offers::pricing_health(n.store(), &n.s.tenant)
        .await
        .unwrap();
    assert_eq!(facts.len(), health.len());
    for f in &facts {
        assert_eq!(f.issue_type, "BuyBoxEligibility");
        assert!(f.buy_box_landed_price.unwrap() < f.our_landed_price);
    }

    // FEE_PROMOTION: the named ASIN's listing is estimated again at its price, once.
    let promo = n.notify("FEE_PROMOTION", 3).await;
    n.deliver_twice_reversed(&promo).await;
    let estimates = fee_estimates::all(n.store(), &n.s.tenant).await.unwrap();
    for b in &promo {
        let v: Value = serde_json::from_str(b).unwrap();
        let p = &v["Payload"]["FeePromotionNotification"];
        let asin = p["Identifiers"][0]["IdentifierValues"][0]["IdentifierValueId"]
            .as_str()
            .unwrap();
        let m = p["MarketplaceId"].as_str().unwrap();
        let t = &truth[&(m.to_string(), asin.to_string())];
        let e: Vec<_> = estimates
            .iter()
            .filter(|e| e.query.sku == t.sku && e.query.marketplace_id == m)
            .collect();
        assert_eq!(e.len(), 1, "one estimate of {} at its price", t.sku);
        assert_eq!(e[0].query.price, t.price.normalize());
        assert_eq!(e[0].query.channel, t.channel);
    }
    let before = n.dump().await;
    n.deliver_twice_reversed(&promo).await;
    assert_eq!(
        n.dump().await,
        before,
        "a redelivered promotion changes nothing"
    );
    let _ = &n.secrets;
}
