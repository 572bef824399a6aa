//! A test app on the embedded adapters (or on DynamoDB through moto) with a fixed clock, and
//! request helpers.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shared::adapters::{EmbeddedSecrets, EmbeddedStore, Outbox};
use shared::config::Config;
use shared::http::{AppState, TokenKeys};
use shared::ports::store::{Condition, Item, Key, Page, Query, StoreError, TxOp, WriteOp};
use shared::ports::{FixedClock, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "Correct-Horse-9!";
pub const SIGNING_KEY: &[u8] = b"test-signing-key-of-at-least-32-bytes!!";

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

#[derive(Clone)]
pub struct TestApp {
    pub state: AppState,
    pub outbox: Outbox,
    pub clock: Arc<FixedClock>,
    pub store: Arc<dyn Store>,
    pub secrets: Arc<EmbeddedSecrets>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The `refreshToken` value this response sets, if any.
    pub fn refresh_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("refreshToken="))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
    }
}

/// A signed-in user with their default account.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub email: String,
    pub token: String,
    pub refresh: String,
    pub account_id: String,
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(Config::local_defaults())
    }

    pub fn with_config(config: Config) -> Self {
        let clock = Arc::new(FixedClock::new(start_time()));
        let store = Arc::new(EmbeddedStore::in_memory(clock.clone()));
        Self::with_store(config, clock, store)
    }

    /// The same app on DynamoDB: a fresh table on moto (see `infra/test.sh`).
    pub async fn on_dynamodb() -> Self {
        let table = super::contracts::TempTable::create().await;
        let clock = Arc::new(FixedClock::new(start_time()));
        let store = Arc::new(MotoIsolation {
            inner: shared::adapters::DynamoStore::new(
                table.client.clone(),
                &table.name,
                clock.clone(),
            ),
            lock: tokio::sync::Mutex::new(()),
        });
        Self::with_store(Config::local_defaults(), clock, store)
    }

    /// The app on the given store.
    pub fn with_store(config: Config, clock: Arc<FixedClock>, store: Arc<dyn Store>) -> Self {
        let secrets = Arc::new(EmbeddedSecrets::in_memory());
        let outbox = Outbox::new();
        let state = AppState {
            config: Arc::new(config),
            store: store.clone(),
            secrets: secrets.clone(),
            mailer: Arc::new(outbox.clone()),
            clock: clock.clone(),
            keys: Arc::new(TokenKeys::from_key(SIGNING_KEY)),
            amazon: None,
            background: Default::default(),
        };
        Self {
            state,
            outbox,
            clock,
            store,
            secrets,
        }
    }

    /// Every router, merged as the local runner serves them.
    pub fn router(&self) -> Router {
        beddora_local::app(self.state.clone())
    }

    /// Sends a request; returns once the work it started in the background (mail) is done.
    pub async fn raw(&self, req: Request<Body>) -> Resp {
        let res = self
            .router()
            .oneshot(req)
            .await
            .expect("router is infallible");
        self.state.background.idle().await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "non-JSON body for {status}: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Resp {
        self.call_with(method, path, body, token, None).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
        cookie: Option<&str>,
    ) -> Resp {
        self.call_from("127.0.0.1", method, path, body, token, cookie)
            .await
    }

    /// `POST /api/auth/refresh` with the refresh cookie, as the frontend does on page load.
    pub async fn refresh(&self, cookie: &str) -> Resp {
        self.call_with(
            "POST",
            "/api/auth/refresh",
            Some(json!({})),
            None,
            Some(cookie),
        )
        .await
    }

    /// A request from the given client IP.
    pub async fn call_from(
        &self,
        ip: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
        cookie: Option<&str>,
    ) -> Resp {
        let addr: SocketAddr = format!("{ip}:40000").parse().expect("an IPv4 address");
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .extension(axum::extract::ConnectInfo(addr));
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, format!("refreshToken={c}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.raw(req).await
    }

    /// The token in the last link mailed to `to` (`?token=`).
    pub fn mailed_token(&self, to: &str) -> String {
        let mail = self
            .outbox
            .last_to(to)
            .unwrap_or_else(|| panic!("no mail to {to}"));
        let start = mail.text.find("token=").expect("link with token") + 6;
        mail.text[start..]
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap()
            .to_string()
    }

    pub async fn register(&self, email: &str, name: &str) -> Resp {
        self.call("POST", "/api/auth/register", Some(json!({"email": email, "password": PASSWORD, "name": name, "acceptTerms": true, "acceptPrivacy": true})), None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.call(
            "POST",
            "/api/auth/login",
            Some(json!({"email": email, "password": password})),
            None,
        )
        .await
    }

    /// Registers, verifies through the mailed link, logs in.
    pub async fn signed_up(&self, email: &str) -> Session {
        let r = self.register(email, "Test User").await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "register {email}: {:?}",
            r.body
        );
        let token = self.mailed_token(email);
        let v = self
            .call(
                "GET",
                &format!("/api/auth/verify-email?token={token}"),
                None,
                None,
            )
            .await;
        assert_eq!(v.status, StatusCode::OK, "verify: {:?}", v.body);
        let l = self.login(email, PASSWORD).await;
        assert_eq!(l.status, StatusCode::OK, "login: {:?}", l.body);
        Session {
            user_id: l.body["user"]["id"].as_str().unwrap().to_string(),
            email: email.to_string(),
            token: l.body["accessToken"].as_str().unwrap().to_string(),
            refresh: l.refresh_cookie().expect("refresh cookie"),
            account_id: l.body["accountId"].as_str().unwrap().to_string(),
        }
    }

    /// Adds `member` to `owner`'s default account with a role: invites, and the member
    /// accepts through the mailed link.
    pub async fn add_member(&self, owner: &Session, member: &Session, role: &str) {
        let r = self
            .call(
                "POST",
                "/api/users",
                Some(json!({"email": member.email, "role": role})),
                Some(&owner.token),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "invite member: {:?}", r.body);
        let token = self.mailed_token(&member.email);
        let a = self
            .call(
                "POST",
                "/api/users/invitations/accept",
                Some(json!({"token": token})),
                Some(&member.token),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "accept invitation: {:?}", a.body);
    }

    /// Links an Amazon seller account in the caller's default account.
    pub async fn link_amazon(&self, s: &Session, marketplace: &str) -> String {
        let r = self
            .call("POST", "/api/accounts/link", Some(json!({"marketplace": marketplace, "sellerId": "A1SELLER", "refreshToken": "Atzr|IwEBI-test-refresh-token-0123456789"})), Some(&s.token))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "link: {:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }
}

/// Asserts the error body every non-2xx carries.
pub fn assert_error(r: &Resp, status: StatusCode) {
    assert_eq!(r.status, status, "body: {:?}", r.body);
    assert!(
        r.body["error"].is_string() && r.body["message"].is_string() && r.body["code"].is_string(),
        "error body shape: {:?}",
        r.body
    );
}

/// DynamoDB evaluates a condition and applies the write atomically, and runs transactions
/// serializably. moto does neither under concurrent requests: it serves each request on its
/// own thread, applies a transaction's operations one by one as it checks them, and on a
/// failed check restores a deep copy of the whole table taken before, without a lock (so
/// parallel transactions interleave and a failed one can undo another's writes). This
/// wrapper restores DynamoDB's guarantee by letting one conditional write or transaction at a
/// time reach moto; reads and unconditional writes stay parallel. The requests themselves still
/// run in parallel through the routers, so the tests check our conditions, not moto's lack of
/// isolation.
struct MotoIsolation<S> {
    inner: S,
    lock: tokio::sync::Mutex<()>,
}

#[async_trait::async_trait]
impl<S: Store> Store for MotoIsolation<S> {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let _one = match condition {
            Some(_) => Some(self.lock.lock().await),
            None => None,
        };
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        let _one = match condition {
            Some(_) => Some(self.lock.lock().await),
            None => None,
        };
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        let _one = self.lock.lock().await;
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
}

/// How many more calls succeed, and the failure every later call returns.
type Failure = (usize, fn() -> StoreError);

/// A store that fails on demand, for the answers to an outage.
pub struct FaultyStore {
    pub inner: Arc<dyn Store>,
    /// While set: how many more calls succeed, then the failure every later call returns.
    pub failure: std::sync::Mutex<Option<Failure>>,
}

impl FaultyStore {
    fn check(&self) -> Result<(), StoreError> {
        match &mut *self.failure.lock().unwrap() {
            Some((0, f)) => Err(f()),
            Some((n, _)) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
    /// Fails every call after the next `after` ones (`None`: stops failing).
    pub fn fail_with(&self, after: usize, f: Option<fn() -> StoreError>) {
        *self.failure.lock().unwrap() = f.map(|f| (after, f));
    }
}

#[async_trait::async_trait]
impl Store for FaultyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.check()?;
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.batch_write(ops).await
    }
}

/// A DynamoDB store on a fresh moto table with DynamoDB's condition guarantee (see
/// [`MotoIsolation`]), on `clock`; drop the table when done.
pub async fn moto_store(
    clock: Arc<dyn shared::ports::Clock>,
) -> (Arc<dyn Store>, super::contracts::TempTable) {
    let table = super::contracts::TempTable::create().await;
    let store = Arc::new(MotoIsolation {
        inner: shared::adapters::DynamoStore::new(table.client.clone(), &table.name, clock),
        lock: tokio::sync::Mutex::new(()),
    });
    (store, table)
}
