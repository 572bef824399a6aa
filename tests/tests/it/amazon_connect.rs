//! "Connect Amazon" end to end against the stand-in over real HTTP: authorize → Amazon's
//! consent redirect → the bearer-less callback; the connection, its secret (only in the
//! secrets port), its sync states and its notification subscriptions; the single-use state
//! under parallel callbacks on both store adapters; expired, denied and foreign requests;
//! reconnecting; the yearly re-consent warning; disconnecting; the sandbox check.

use super::amazon_client::{world, Virtual, World};
use super::helpers::*;
use amazon_stand_in::server::{FaultKind, FaultRule};
use axum::http::StatusCode;
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use shared::amazon::operations::GetSubscriptionParams;
use shared::amazon::subscriptions::{self, NOTIFICATION_TYPES};
use shared::amazon::{AmazonApp, AmazonError, AmazonSettings, Context, Pacer};
use shared::connections::Connections;
use shared::domain::{AmazonAccountId, TenantId};
use shared::keys::Tenant;
use shared::marketplaces::Region;
use shared::ports::store::{Condition, Item, Key, Page, Query, StoreError, TxOp, WriteOp};
use shared::ports::{Clock, Store};
use shared::sync::{self, Dataset, Status};
use std::sync::{Arc, Mutex};

pub const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:beddora-amazon-notifications";
const REDIRECT: &str = "http://localhost:5100/dashboard/settings/amazon/callback";

/// A store that remembers every item written to it, to prove what never reaches the table.
struct Recording {
    inner: Arc<dyn Store>,
    written: Mutex<Vec<String>>,
}

impl Recording {
    fn note(&self, item: &Item) {
        self.written.lock().unwrap().push(format!("{item:?}"));
    }
}

#[async_trait::async_trait]
impl Store for Recording {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.note(&item);
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        for op in &ops {
            if let TxOp::Put { item, .. } = op {
                self.note(item);
            }
        }
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        for op in &ops {
            if let WriteOp::Put(item) = op {
                self.note(item);
            }
        }
        self.inner.batch_write(ops).await
    }
}

/// The app with our Amazon application pointed at an in-process stand-in (other tests may
/// connect a seller through [`connect`] too).
pub struct Connected {
    pub app: TestApp,
    pub w: World,
    pub amazon: Arc<AmazonApp>,
}

pub fn amazon_app(w: &World, store: Arc<dyn Store>, queue: Option<&str>) -> Arc<AmazonApp> {
    amazon_app_with(
        w,
        store,
        AmazonSettings {
            notifications_queue_arn: queue.map(str::to_string),
            ..Default::default()
        },
    )
}

/// Our application on the stand-in, with `settings` otherwise (the stand-in's id and URL set).
pub fn amazon_app_with(
    w: &World,
    store: Arc<dyn Store>,
    settings: AmazonSettings,
) -> Arc<AmazonApp> {
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    amazon_stand_in::client::our_app(&w.st, &w.base, store, pacer, settings)
}

pub async fn connected_on(mut app: TestApp, queue: Option<&str>) -> Connected {
    let w = world(200).await;
    let amazon = amazon_app(&w, app.store.clone(), queue);
    app.state.amazon = Some(amazon.clone());
    Connected { app, w, amazon }
}

async fn connected() -> Connected {
    connected_on(TestApp::new(), Some(QUEUE_ARN)).await
}

/// `GET /api/amazon/oauth/authorize`: the consent URL.
pub async fn authorize(c: &Connected, s: &Session, marketplace: &str) -> String {
    let r = c
        .app
        .call(
            "GET",
            &format!(
                "/api/amazon/oauth/authorize?redirectUri={}&marketplace={marketplace}",
                urlencode(REDIRECT)
            ),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "authorize: {:?}", r.body);
    assert_eq!(r.body["success"], true);
    r.body["data"]["authorizationUrl"]
        .as_str()
        .expect("authorizationUrl")
        .to_string()
}

fn urlencode(s: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", [("v", s)])
        .unwrap()
        .query()
        .unwrap()
        .trim_start_matches("v=")
        .to_string()
}

/// The browser at Amazon's consent page: the seller decides, Amazon redirects. Returns the
/// query Amazon sends back to the redirect URI.
pub async fn consent(url: &str, deny: bool) -> Vec<(String, String)> {
    let url = if deny {
        format!("{url}&decision=deny")
    } else {
        url.to_string()
    };
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = browser.get(&url).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::FOUND, "consent page");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(REDIRECT),
        "Amazon sends the browser back to the redirect URI: {location}"
    );
    reqwest::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> &'a str {
    q.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {q:?}"))
}

/// The callback exactly as Amazon's redirect carries it (no bearer; a cookie at most).
pub fn callback_path(q: &[(String, String)]) -> String {
    path_with("/api/amazon/oauth/callback", q)
}

fn path_with<K: AsRef<str>, V: AsRef<str>>(path: &str, q: &[(K, V)]) -> String {
    let url = reqwest::Url::parse_with_params(
        &format!("http://x{path}"),
        q.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
    )
    .unwrap();
    format!("{path}?{}", url.query().unwrap_or_default())
}

/// The callback as the frontend's page sends it: only `code` and `state`.
fn frontend_callback_path(q: &[(String, String)]) -> String {
    path_with(
        "/api/amazon/oauth/callback",
        &[
            ("code", param(q, "spapi_oauth_code")),
            ("state", param(q, "state")),
        ],
    )
}

pub async fn callback(c: &Connected, path: &str, s: &Session) -> Resp {
    c.app
        .call_with("GET", path, None, None, Some(&s.refresh))
        .await
}

/// Connects the seller for `s` end to end; returns the callback's `data`.
pub async fn connect(c: &Connected, s: &Session) -> Value {
    let url = authorize(c, s, "US").await;
    let q = consent(&url, false).await;
    let r = callback(c, &callback_path(&q), s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    assert_eq!(r.body["success"], true);
    r.body["data"].clone()
}

async fn tenant_of(c: &Connected, s: &Session) -> Tenant {
    shared::identity::tenancy::existing(
        c.app.store.as_ref(),
        &TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
}

fn repo(c: &Connected) -> Connections<'_> {
    Connections::new(
        c.app.store.as_ref(),
        c.app.state.secrets.as_ref(),
        &c.app.state.config.secret_prefix,
    )
}

async fn account(c: &Connected, s: &Session, id: &str) -> shared::connections::AmazonAccount {
    repo(c)
        .find(&tenant_of(c, s).await, &AmazonAccountId::parse(id).unwrap())
        .await
        .unwrap()
        .expect("the connection")
}

/// The seller's call context from the connection's stored secret.
async fn seller_context(c: &Connected, a: &shared::connections::AmazonAccount) -> Context {
    c.amazon
        .context(
            c.app.state.secrets.as_ref(),
            &repo(c).secret_name(a),
            a,
            c.w.st.now() + Duration::hours(1),
        )
        .await
        .unwrap()
}

async fn linked(c: &Connected, s: &Session) -> Vec<Value> {
    let r = c
        .app
        .call("GET", "/api/accounts/linked", None, Some(&s.token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn status_says_whether_connecting_is_configured() {
    let plain = TestApp::new();
    let s = plain.signed_up("off@example.com").await;
    let r = plain
        .call("GET", "/api/amazon/oauth/status", None, Some(&s.token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["oauthEnabled"], false);
    let r = plain
        .call(
            "GET",
            &format!(
                "/api/amazon/oauth/authorize?redirectUri={}&marketplace=US",
                urlencode(REDIRECT)
            ),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["success"], false);
    assert!(r.body["error"].as_str().unwrap().contains("not configured"));

    let c = connected().await;
    let s = c.app.signed_up("on@example.com").await;
    let r = c
        .app
        .call("GET", "/api/amazon/oauth/status", None, Some(&s.token))
        .await;
    assert_eq!(
        r.body,
        json!({"success": true, "data": {"oauthEnabled": true}})
    );
}

#[tokio::test]
async fn connecting_end_to_end_stores_the_connection_its_secret_states_and_subscriptions() {
    let w = world(200).await;
    let app = TestApp::new();
    let recording = Arc::new(Recording {
        inner: app.store.clone(),
        written: Mutex::default(),
    });
    let mut app = app;
    app.state.store = recording.clone();
    app.store = recording.clone();
    let amazon = amazon_app(&w, recording.clone(), Some(QUEUE_ARN));
    app.state.amazon = Some(amazon.clone());
    let c = Connected { app, w, amazon };
    // Everything logged on this thread (the test, the API and the stand-in), at every level.
    let logs = Logs::default();
    let _logging = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(_logging);
    let s = c.app.signed_up("seller@example.com").await;

    let url = authorize(&c, &s, "US").await;
    assert!(url.starts_with(&format!("{}/apps/authorize/consent?", c.w.base)));
    assert!(url.contains(&format!("application_id={}", c.w.st.apps.application_id)));
    let q = consent(&url, false).await;
    assert_eq!(param(&q, "selling_partner_id"), c.w.st.seller.seller_id);
    // The frontend's callback page forwards only code and state, and sends no bearer.
    let path = frontend_callback_path(&q);
    let r = callback(&c, &path, &s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    let data = &r.body["data"];
    let id = data["amazonAccountId"].as_str().unwrap().to_string();
    assert_eq!(data["sellerId"], c.w.st.seller.seller_id.as_str());
    // The North-American marketplaces the seller sells in, the chosen one first.
    assert_eq!(
        data["marketplaceIds"],
        json!(["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8"])
    );

    // Listed, with its consent dates.
    let list = linked(&c, &s).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["marketplace"], "US");
    assert_eq!(list[0]["region"], "NA");
    assert_eq!(list[0]["isActive"], true);
    assert_eq!(list[0]["needsReauthorization"], false);
    assert_eq!(list[0]["reauthorizeSoon"], false);
    let at =
        chrono::DateTime::parse_from_rfc3339(list[0]["authorizedAt"].as_str().unwrap()).unwrap();
    let by =
        chrono::DateTime::parse_from_rfc3339(list[0]["reauthorizeBy"].as_str().unwrap()).unwrap();
    assert_eq!(by - at, Duration::days(365));

    // The refresh token is in the secrets port, and nowhere in the table or the answers.
    let a = account(&c, &s, &id).await;
    let secret = repo(&c).credentials(&a).await.unwrap().expect("a secret");
    let refresh = secret.refresh_token.expose_secret().to_string();
    assert!(refresh.starts_with("Atzr|"), "{refresh}");
    for item in c_written(&recording) {
        assert!(
            !item.contains(&refresh),
            "refresh token in a store item: {item}"
        );
    }
    assert!(!r.body.to_string().contains(&refresh));
    let logged = logs.text();
    assert!(
        logged.contains("amazon account connected"),
        "the logs were captured"
    );
    assert!(!logged.contains(&refresh), "refresh token in the logs");
    assert!(!Value::Array(list.clone()).to_string().contains(&refresh));
    // And it works: Amazon answers the seller's calls with it.
    let ctx = seller_context(&c, &a).await;
    c.amazon
        .sp_api(Region::NorthAmerica)
        .sellers()
        .get_marketplace_participations(&ctx)
        .await
        .unwrap();

    // Every dataset is registered and due: the backfill starts.
    let tenant = tenant_of(&c, &s).await;
    let states = sync::all(c.app.store.as_ref(), &tenant).await.unwrap();
    assert_eq!(states.len(), Dataset::ALL.len());
    for d in Dataset::ALL {
        let st = states.iter().find(|x| x.dataset == d).expect("state");
        assert_eq!(st.connection, id);
        assert_eq!(st.status, Status::Idle);
        assert!(st.next_due <= c.app.clock.now(), "{d} is due now");
    }

    // The dispatcher starts the backfill of every dataset of the new connection.
    let queues = shared::adapters::EmbeddedQueue::in_memory(c.app.clock.clone());
    let q = queues.declare("sync", None);
    let started = sync::dispatch(c.app.store.as_ref(), &queues, &q, c.app.clock.now(), 100)
        .await
        .unwrap();
    let mut datasets: Vec<&str> = started
        .iter()
        .inspect(|m| assert_eq!(m.connection.as_deref(), Some(id.as_str())))
        .filter_map(|m| m.dataset.as_deref())
        .collect();
    datasets.sort();
    let mut all: Vec<&str> = Dataset::ALL.iter().map(|d| d.as_str()).collect();
    all.sort();
    assert_eq!(datasets, all);

    // One destination for our queue, and the seller's subscriptions on it at Amazon.
    let grantless = Context::new(
        "application",
        "application",
        SecretString::from(String::new()),
        c.w.st.now() + Duration::hours(1),
    );
    let api = c.amazon.sp_api(Region::NorthAmerica);
    let dests = api
        .notifications()
        .get_destinations(&grantless)
        .await
        .unwrap()
        .payload;
    assert_eq!(dests.len(), 1);
    assert_eq!(dests[0].resource.sqs.as_ref().unwrap().arn, QUEUE_ARN);
    let remembered = subscriptions::remembered(c.app.store.as_ref(), &tenant, &a.id)
        .await
        .unwrap();
    assert_eq!(remembered.len(), NOTIFICATION_TYPES.len());
    for (kind, version) in NOTIFICATION_TYPES {
        let sub = api
            .notifications()
            .get_subscription(
                &ctx,
                kind,
                &GetSubscriptionParams {
                    payload_version: Some(version.into()),
                },
            )
            .await
            .unwrap()
            .payload
            .expect("a subscription");
        assert_eq!(sub.destination_id, dests[0].destination_id);
        assert!(remembered.contains(&(kind.to_string(), sub.subscription_id)));
    }

    // The state was single-use: the same callback again is refused.
    let again = callback(&c, &path, &s).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.body["success"], false);
    assert_eq!(again.body["code"], "state_invalid");
    assert_eq!(linked(&c, &s).await.len(), 1);
}

/// A log sink for `tracing_subscriber`.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

fn c_written(r: &Recording) -> Vec<String> {
    r.written.lock().unwrap().clone()
}

/// Two callbacks with one state at the same time, on two threads: exactly one connects.
async fn one_state_connects_once(app: TestApp) {
    let c = Arc::new(connected_on(app, Some(QUEUE_ARN)).await);
    let s = c.app.signed_up("race@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, false).await;
    let path = callback_path(&q);
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let (c, s, path, start) = (c.clone(), s.clone(), path.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                callback(&c, &path, &s).await
            })
        })
        .collect();
    let mut answers = vec![];
    for call in calls {
        answers.push(call.await.unwrap());
    }
    let mut statuses: Vec<StatusCode> = answers.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::BAD_REQUEST],
        "{:?} / {:?}",
        answers[0].body,
        answers[1].body
    );
    let refused = answers
        .iter()
        .find(|r| r.status == StatusCode::BAD_REQUEST)
        .unwrap();
    assert_eq!(refused.body["code"], "state_invalid");
    assert_eq!(linked(&c, &s).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_state_connects_once_under_parallel_callbacks() {
    one_state_connects_once(TestApp::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_state_connects_once_under_parallel_callbacks_on_dynamodb() {
    one_state_connects_once(TestApp::on_dynamodb().await).await;
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let c = connected().await;
    let s = c.app.signed_up("slow@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, false).await;
    c.app.clock.advance(Duration::minutes(11));
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.body["success"], false);
    assert_eq!(r.body["code"], "state_expired");
    assert!(r.body["error"].as_str().unwrap().contains("expired"));
    assert!(linked(&c, &s).await.is_empty());
}

#[tokio::test]
async fn an_unknown_state_or_a_missing_code_is_refused() {
    let c = connected().await;
    let s = c.app.signed_up("guess@example.com").await;
    let r = callback(&c, "/api/amazon/oauth/callback?code=ANx&state=made-up", &s).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["code"], "state_invalid");
    let r = callback(&c, "/api/amazon/oauth/callback?state=made-up", &s).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["error"].as_str().unwrap().contains("code"));
}

#[tokio::test]
async fn a_denied_consent_connects_nothing_and_burns_the_state() {
    let c = connected().await;
    let s = c.app.signed_up("no@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, true).await;
    assert_eq!(param(&q, "error"), "access_denied");
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.body["success"], false);
    assert_eq!(r.body["code"], "access_denied");
    assert!(r.body["error"].as_str().unwrap().contains("denied"));
    assert!(r.body["message"].is_string());
    // The state of a denied consent cannot be used afterwards.
    let later = callback(
        &c,
        &format!(
            "/api/amazon/oauth/callback?code=ANstandin1&state={}",
            param(&q, "state")
        ),
        &s,
    )
    .await;
    assert_eq!(later.body["code"], "state_invalid");
    assert!(linked(&c, &s).await.is_empty());
}

#[tokio::test]
async fn a_redirect_to_a_foreign_origin_or_an_unknown_marketplace_is_refused() {
    let c = connected().await;
    let s = c.app.signed_up("phish@example.com").await;
    for (redirect, marketplace) in [
        (
            "https://evil.example/dashboard/settings/amazon/callback",
            "US",
        ),
        ("http://localhost:5100.evil.example/callback", "US"),
        ("http://user@localhost:5100/callback", "US"),
        ("javascript:alert(1)", "US"),
        ("/dashboard/settings/amazon/callback", "US"),
        (REDIRECT, "XX"),
    ] {
        let r = c
            .app
            .call(
                "GET",
                &format!(
                    "/api/amazon/oauth/authorize?redirectUri={}&marketplace={marketplace}",
                    urlencode(redirect)
                ),
                None,
                Some(&s.token),
            )
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST);
        let field = if marketplace == "XX" {
            "marketplace"
        } else {
            "redirectUri"
        };
        assert_eq!(
            r.body["details"][0]["field"], field,
            "{redirect}: {:?}",
            r.body
        );
    }
    // No bearer, no consent URL.
    let r = c
        .app
        .call(
            "GET",
            &format!(
                "/api/amazon/oauth/authorize?redirectUri={}&marketplace=US",
                urlencode(REDIRECT)
            ),
            None,
            None,
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_same_seller_connecting_again_replaces_its_token_and_restarts_its_jobs() {
    reconnecting(TestApp::new()).await;
}

#[tokio::test]
async fn the_same_seller_connecting_again_replaces_its_token_and_restarts_its_jobs_on_dynamodb() {
    reconnecting(TestApp::on_dynamodb().await).await;
}

async fn reconnecting(app: TestApp) {
    let c = connected_on(app, Some(QUEUE_ARN)).await;
    let s = c.app.signed_up("again@example.com").await;
    let first = connect(&c, &s).await;
    let id = first["amazonAccountId"].as_str().unwrap().to_string();
    let a = account(&c, &s, &id).await;
    let old = repo(&c)
        .credentials(&a)
        .await
        .unwrap()
        .unwrap()
        .refresh_token
        .expose_secret()
        .to_string();
    // Amazon refused the old authorisation: the jobs wait for the seller.
    let tenant = tenant_of(&c, &s).await;
    let now = c.app.clock.now();
    for d in Dataset::ALL {
        sync::modify(c.app.store.as_ref(), &tenant, &id, d, |st| {
            Some(st.needs_reauthorization("invalid_grant", now))
        })
        .await
        .unwrap();
    }
    assert_eq!(linked(&c, &s).await[0]["needsReauthorization"], true);

    c.app.clock.advance(Duration::hours(1));
    let second = connect(&c, &s).await;
    assert_eq!(
        second["amazonAccountId"],
        id.as_str(),
        "the same connection"
    );
    let list = linked(&c, &s).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["needsReauthorization"], false);
    let a = account(&c, &s, &id).await;
    let new = repo(&c)
        .credentials(&a)
        .await
        .unwrap()
        .unwrap()
        .refresh_token
        .expose_secret()
        .to_string();
    assert_ne!(new, old, "the new consent's token replaced the old one");
    assert_eq!(a.authorized_at, Some(c.app.clock.now()));
    for st in sync::all(c.app.store.as_ref(), &tenant).await.unwrap() {
        assert_eq!(st.status, Status::Idle, "{}", st.dataset);
        assert!(st.next_due <= c.app.clock.now());
    }
    // Its subscriptions are the ones Amazon already had.
    assert_eq!(
        subscriptions::remembered(c.app.store.as_ref(), &tenant, &a.id)
            .await
            .unwrap()
            .len(),
        NOTIFICATION_TYPES.len()
    );
}

#[tokio::test]
async fn the_yearly_consent_is_warned_30_days_ahead_then_flagged() {
    let c = connected().await;
    let mut s = c.app.signed_up("year@example.com").await;
    connect(&c, &s).await;
    // Days pass: the user signs in again each time.
    let later = |s: &mut Session, days: i64| {
        c.app.clock.advance(Duration::days(days));
        let app = c.app.clone();
        let email = s.email.clone();
        async move {
            app.login(&email, PASSWORD).await.body["accessToken"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    s.token = later(&mut s, 334).await;
    let l = &linked(&c, &s).await[0];
    assert_eq!(l["reauthorizeSoon"], false);
    s.token = later(&mut s, 2).await;
    let l = &linked(&c, &s).await[0];
    assert_eq!(l["reauthorizeSoon"], true);
    assert_eq!(l["needsReauthorization"], false);
    s.token = later(&mut s, 30).await;
    let l = &linked(&c, &s).await[0];
    assert_eq!(l["reauthorizeSoon"], false);
    assert_eq!(l["needsReauthorization"], true);
}

#[tokio::test]
async fn connecting_without_a_notification_queue_skips_the_subscriptions() {
    let c = connected_on(TestApp::new(), None).await;
    let s = c.app.signed_up("quiet@example.com").await;
    let data = connect(&c, &s).await;
    assert_eq!(data["notifications"], 0);
    let a = account(&c, &s, data["amazonAccountId"].as_str().unwrap()).await;
    let ctx = seller_context(&c, &a).await;
    let r = c
        .amazon
        .sp_api(Region::NorthAmerica)
        .notifications()
        .get_subscription(&ctx, "ORDER_CHANGE", &GetSubscriptionParams::default())
        .await;
    assert!(matches!(r, Err(AmazonError::NotFound(_))), "{r:?}");
}

#[tokio::test]
async fn disconnecting_removes_the_subscriptions_the_jobs_and_the_secret() {
    disconnecting_removes_everything(TestApp::new()).await;
}

#[tokio::test]
async fn disconnecting_removes_the_subscriptions_the_jobs_and_the_secret_on_dynamodb() {
    disconnecting_removes_everything(TestApp::on_dynamodb().await).await;
}

async fn disconnecting_removes_everything(app: TestApp) {
    let c = connected_on(app, Some(QUEUE_ARN)).await;
    let s = c.app.signed_up("bye@example.com").await;
    let data = connect(&c, &s).await;
    let id = data["amazonAccountId"].as_str().unwrap().to_string();
    let a = account(&c, &s, &id).await;
    let ctx = seller_context(&c, &a).await;
    let tenant = tenant_of(&c, &s).await;

    let r = c
        .app
        .call(
            "DELETE",
            &format!("/api/accounts/linked/{id}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert!(linked(&c, &s).await.is_empty());
    assert!(sync::all(c.app.store.as_ref(), &tenant)
        .await
        .unwrap()
        .is_empty());
    assert!(repo(&c).credentials(&a).await.unwrap().is_none());
    let api = c.amazon.sp_api(Region::NorthAmerica);
    for (kind, _) in NOTIFICATION_TYPES {
        let r = api
            .notifications()
            .get_subscription(&ctx, kind, &GetSubscriptionParams::default())
            .await;
        assert!(matches!(r, Err(AmazonError::NotFound(_))), "{kind}: {r:?}");
    }
    assert!(
        subscriptions::remembered(c.app.store.as_ref(), &tenant, &a.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_sandbox_checks_the_connection_and_reads_its_orders() {
    let c = connected().await;
    let s = c.app.signed_up("sandbox@example.com").await;
    let data = connect(&c, &s).await;
    let id = data["amazonAccountId"].as_str().unwrap().to_string();

    let r = c
        .app
        .call(
            "GET",
            &format!("/api/amazon/sandbox/test?amazonAccountId={id}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["success"], true);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains(&c.w.st.seller.seller_id));

    let after = (c.w.st.now() - Duration::days(60)).format("%Y-%m-%d");
    let r = c
        .app
        .call(
            "GET",
            &format!(
                "/api/amazon/sandbox/orders?amazonAccountId={id}&marketplaceId=ATVPDKIKX0DER&createdAfter={after}"
            ),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["success"], true);
    let orders = r.body["data"].as_array().unwrap();
    assert!(!orders.is_empty(), "the seller sold in the last 60 days");
    for o in orders {
        let truth =
            c.w.st
                .seller
                .orders
                .iter()
                .find(|x| x.id == o["orderId"].as_str().unwrap())
                .expect("an order of the seller");
        assert_eq!(truth.marketplace_id, "ATVPDKIKX0DER");
        assert_eq!(o["marketplace"], "ATVPDKIKX0DER");
        assert!(
            o["orderDate"].is_string() && o["orderStatus"].is_string(),
            "{o}"
        );
        assert_eq!(o["currency"], "USD", "{o}");
        o["totalAmount"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .expect("an exact decimal amount");
    }

    // A connection Amazon does not accept: 500 with success:false, as the UI expects.
    let bad = c.app.link_amazon(&s, "CA").await;
    let r = c
        .app
        .call(
            "GET",
            &format!("/api/amazon/sandbox/test?amazonAccountId={bad}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{:?}", r.body);
    assert_eq!(r.body["success"], false);
    assert!(r.body["message"].as_str().unwrap().contains("reconnect"));
}

#[tokio::test]
async fn another_tenants_connection_is_not_found_in_the_sandbox() {
    let c = connected().await;
    let a = c.app.signed_up("alice@example.com").await;
    let b = c.app.signed_up("bob@example.com").await;
    let data = connect(&c, &a).await;
    let id = data["amazonAccountId"].as_str().unwrap();
    for path in [
        format!("/api/amazon/sandbox/test?amazonAccountId={id}"),
        format!("/api/amazon/sandbox/orders?amazonAccountId={id}"),
    ] {
        let r = c.app.call("GET", &path, None, Some(&b.token)).await;
        assert_error(&r, StatusCode::NOT_FOUND);
    }
    // B's own sandbox has no connection to fall back on either.
    let r = c
        .app
        .call("GET", "/api/amazon/sandbox/test", None, Some(&b.token))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND);
    // B's consent never lands in A's tenant: the state carries B's tenant.
    let url = authorize(&c, &b, "US").await;
    let q = consent(&url, false).await;
    let r = callback(&c, &callback_path(&q), &b).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(linked(&c, &a).await.len(), 1);
    assert_eq!(linked(&c, &b).await.len(), 1);
    assert_ne!(linked(&c, &b).await[0]["id"], id);
}

fn failing(operation: &str) -> FaultRule {
    FaultRule {
        operation: Some(operation.into()),
        kind: FaultKind::Status { code: 503 },
        every: 1,
        times: None,
        seen: 0,
        fired: 0,
    }
}

#[tokio::test]
async fn an_amazon_failure_is_a_502_that_leaves_nothing_a_new_consent_cannot_fix() {
    let c = connected().await;
    let s = c.app.signed_up("flaky@example.com").await;
    for operation in ["getMarketplaceParticipations", "createSubscription"] {
        c.w.st.add_fault(failing(operation));
        let url = authorize(&c, &s, "US").await;
        let q = consent(&url, false).await;
        let r = callback(&c, &callback_path(&q), &s).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_GATEWAY,
            "{operation}: {:?}",
            r.body
        );
        assert_eq!(r.body["success"], false);
        let text = r.body["error"].as_str().unwrap();
        assert!(text.contains("Connect Amazon\" again"), "{text}");
        assert!(
            linked(&c, &s).await.is_empty(),
            "{operation}: nothing connected"
        );
        let tenant = tenant_of(&c, &s).await;
        assert!(sync::all(c.app.store.as_ref(), &tenant)
            .await
            .unwrap()
            .is_empty());
        c.w.st.clear_faults();
    }
    // A new consent connects.
    connect(&c, &s).await;
    assert_eq!(linked(&c, &s).await.len(), 1);
}

#[tokio::test]
async fn a_forged_seller_id_in_the_callback_is_refused() {
    let c = connected().await;
    let s = c.app.signed_up("forger@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let mut q = consent(&url, false).await;
    for (k, v) in q.iter_mut() {
        if k == "selling_partner_id" {
            *v = "A3VICTIMSELLER".into();
        }
    }
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(r.body["code"], "seller_mismatch");
    assert!(linked(&c, &s).await.is_empty());
}

#[tokio::test]
async fn disconnecting_succeeds_when_amazon_cannot_delete_the_subscriptions() {
    let c = connected().await;
    let s = c.app.signed_up("offline@example.com").await;
    let data = connect(&c, &s).await;
    let id = data["amazonAccountId"].as_str().unwrap().to_string();
    c.w.st.add_fault(failing("deleteSubscriptionById"));
    let r = c
        .app
        .call(
            "DELETE",
            &format!("/api/accounts/linked/{id}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert!(linked(&c, &s).await.is_empty());
    let tenant = tenant_of(&c, &s).await;
    assert!(sync::all(c.app.store.as_ref(), &tenant)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_seller_connected_in_two_tenants_keeps_its_subscriptions_until_the_last_disconnects() {
    let c = connected().await;
    let a = c.app.signed_up("first@example.com").await;
    let b = c.app.signed_up("second@example.com").await;
    let a_id = connect(&c, &a).await["amazonAccountId"]
        .as_str()
        .unwrap()
        .to_string();
    let b_id = connect(&c, &b).await["amazonAccountId"]
        .as_str()
        .unwrap()
        .to_string();
    let b_account = account(&c, &b, &b_id).await;
    let ctx = seller_context(&c, &b_account).await;
    let api = c.amazon.sp_api(Region::NorthAmerica);
    let subscribed = |kind: &'static str| {
        let (api, ctx) = (&api, &ctx);
        async move {
            api.notifications()
                .get_subscription(ctx, kind, &GetSubscriptionParams::default())
                .await
        }
    };
    let delete = |s: &Session, id: &str| {
        let path = format!("/api/accounts/linked/{id}");
        let (app, token) = (c.app.clone(), s.token.clone());
        async move { app.call("DELETE", &path, None, Some(&token)).await.status }
    };
    assert_eq!(delete(&a, &a_id).await, StatusCode::NO_CONTENT);
    for (kind, _) in NOTIFICATION_TYPES {
        assert!(
            subscribed(kind).await.is_ok(),
            "{kind} kept for the other tenant"
        );
    }
    assert_eq!(delete(&b, &b_id).await, StatusCode::NO_CONTENT);
    for (kind, _) in NOTIFICATION_TYPES {
        assert!(
            matches!(subscribed(kind).await, Err(AmazonError::NotFound(_))),
            "{kind} deleted with the last connection"
        );
    }
}

/// With `AMAZON_RETURN_URL`, Amazon comes back to our return hop, which sends the browser to the
/// frontend's page where it really is, with `code` as the page reads it; the page's call then
/// connects. The hop takes nothing: an unknown state goes to the settings page.
#[tokio::test]
async fn amazon_returns_through_the_hop_to_the_frontend_page_as_it_reads_it() {
    const RETURN: &str = "http://api.beddora.test/api/amazon/oauth/return";
    let w = world(200).await;
    let mut app = TestApp::new();
    let amazon = amazon_app_with(
        &w,
        app.store.clone(),
        AmazonSettings {
            return_url: Some(RETURN.into()),
            ..Default::default()
        },
    );
    app.state.amazon = Some(amazon.clone());
    let c = Connected { app, w, amazon };
    let s = c.app.signed_up("hop@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let sent: Vec<(String, String)> = reqwest::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        param(&sent, "redirect_uri"),
        RETURN,
        "Amazon is sent to the hop"
    );
    // The stand-in's consent page redirects to the hop with Amazon's parameters.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = browser.get(&url).send().await.unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(RETURN), "{location}");
    let amazon_query = reqwest::Url::parse(&location).unwrap();
    let hop = c
        .app
        .call_with(
            "GET",
            &format!("/api/amazon/oauth/return?{}", amazon_query.query().unwrap()),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(hop.status, StatusCode::FOUND, "{:?}", hop.body);
    let page = reqwest::Url::parse(hop.headers["location"].to_str().unwrap()).unwrap();
    assert_eq!(page.origin().ascii_serialization(), "http://localhost:5100");
    assert_eq!(
        page.path(),
        "/settings/amazon/callback",
        "where the page is served"
    );
    let q: Vec<(String, String)> = page
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let amazon_q: Vec<(String, String)> = amazon_query
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(param(&q, "code"), param(&amazon_q, "spapi_oauth_code"));
    assert_eq!(param(&q, "state"), param(&amazon_q, "state"));
    // The page's own call, code and state only, connects (the exchange repeats the hop's URL).
    let page_call = path_with(
        "/api/amazon/oauth/callback",
        &[("code", param(&q, "code")), ("state", param(&q, "state"))],
    );
    let r = callback(&c, &page_call, &s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    assert_eq!(r.body["data"]["sellerId"], c.w.st.seller.seller_id.as_str());
    // The state is spent: the hop now sends the browser to the settings page with an error.
    let again = c
        .app
        .call_with(
            "GET",
            &format!("/api/amazon/oauth/return?{}", amazon_query.query().unwrap()),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::FOUND);
    assert_eq!(
        again.headers["location"].to_str().unwrap(),
        "http://localhost:5100/dashboard/settings?tab=amazon&error=state_invalid"
    );
}
