//! The Amazon client against the stand-in over real HTTP: one token refresh however many
//! callers, typed re-authorisation, retries that lose and repeat nothing, and rate limits that
//! hold across two processes sharing one store.

use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use secrecy::SecretString;
use shared::adapters::EmbeddedStore;
use shared::amazon::client::Call;
use shared::amazon::{AmazonError, Credentials, Pacer, RateLimiter, SpApi, TokenProvider};
use shared::ports::{Clock, Store};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The stand-in's virtual clock seen as the client's time: sleeping moves it.
pub struct Virtual(pub Arc<StandIn>);

impl Clock for Virtual {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

#[async_trait]
impl Pacer for Virtual {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
    async fn sleep(&self, d: Duration) {
        self.0.advance(d);
        tokio::task::yield_now().await;
    }
}

pub struct World {
    pub st: Arc<StandIn>,
    pub base: String,
    pub store: Arc<dyn Store>,
}

pub async fn world(orders: usize) -> World {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders,
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st.clone()));
    World {
        st,
        base,
        store: Arc::new(EmbeddedStore::in_memory(clock)),
    }
}

/// One "process": its own token provider, limiter and client over the shared store.
pub fn client(w: &World) -> (Arc<TokenProvider>, SpApi) {
    let clock: Arc<dyn Clock> = Arc::new(Virtual(w.st.clone()));
    let creds = Credentials {
        client_id: w.st.apps.client_id.clone(),
        client_secret: SecretString::from(w.st.apps.client_secret.clone()),
        token_url: format!("{}/auth/o2/token", w.base),
    };
    let tokens = Arc::new(TokenProvider::new(
        reqwest::Client::new(),
        creds,
        w.store.clone(),
        clock.clone(),
        &SecretString::from("a-cache-key-of-at-least-32-bytes!!".to_string()),
    ));
    let limiter = Arc::new(RateLimiter::new(w.store.clone(), clock));
    let api = SpApi::new(
        reqwest::Client::new(),
        &w.base,
        tokens.clone(),
        limiter,
        Arc::new(Virtual(w.st.clone())),
    );
    (tokens, api)
}

fn get_order<'a>(w: &World, refresh: &'a SecretString, seller: &'a str, id: &str) -> Call<'a> {
    Call {
        connection: "conn-1",
        seller,
        refresh_token: refresh,
        operation: "getOrder",
        rate: 0.5,
        burst: 30.0,
        method: Method::GET,
        path: format!("/orders/v0/orders/{id}"),
        query: vec![],
        body: None,
        deadline: w.st.now() + Duration::hours(12),
    }
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_not_once_per_caller() {
    let w = world(200).await;
    let (_, api) = client(&w);
    let api = Arc::new(api);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let seller = w.st.seller.seller_id.clone();
    let id = w.st.seller.orders[0].id.clone();
    let run = |n: usize| {
        let (api, refresh, seller, id) = (api.clone(), refresh.clone(), seller.clone(), id.clone());
        let w = &w;
        let deadline = w.st.now() + Duration::hours(12);
        async move {
            let calls: Vec<_> = (0..n)
                .map(|_| {
                    let (api, refresh, seller, id) =
                        (api.clone(), refresh.clone(), seller.clone(), id.clone());
                    tokio::spawn(async move {
                        let mut c = Call {
                            connection: "conn-1",
                            seller: &seller,
                            refresh_token: &refresh,
                            operation: "getOrder",
                            rate: 0.5,
                            burst: 30.0,
                            method: Method::GET,
                            path: format!("/orders/v0/orders/{id}"),
                            query: vec![],
                            body: None,
                            deadline,
                        };
                        c.deadline = deadline;
                        api.send(&c)
                            .await
                            .map(|v| v["payload"]["AmazonOrderId"].as_str().unwrap().to_string())
                    })
                })
                .collect();
            for c in calls {
                assert_eq!(c.await.unwrap().unwrap(), id);
            }
        }
    };
    run(10).await;
    assert_eq!(
        w.st.stats()["lwaToken"].calls,
        1,
        "ten concurrent callers, one refresh"
    );
    w.st.advance(Duration::seconds(3600));
    run(10).await;
    assert_eq!(
        w.st.stats()["lwaToken"].calls,
        2,
        "after expiry, one more refresh"
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_is_a_typed_reauthorisation_without_a_retry_loop() {
    let w = world(100).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    w.st.revoke_refresh_tokens();
    let seller = w.st.seller.seller_id.clone();
    let r = api
        .send(&get_order(&w, &refresh, &seller, &w.st.seller.orders[0].id))
        .await;
    assert!(
        matches!(r, Err(AmazonError::NeedsReauthorization(_))),
        "{r:?}"
    );
    let stats = w.st.stats();
    assert_eq!(stats["lwaToken"].calls, 1, "asked LWA once");
    assert!(!stats.contains_key("getOrder"), "no SP-API call was made");
}

#[tokio::test]
async fn server_errors_and_broken_bodies_are_retried() {
    let w = world(100).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let seller = w.st.seller.seller_id.clone();
    let rule = |kind| FaultRule {
        operation: Some("getOrder".into()),
        kind,
        every: 1,
        times: Some(1),
        seen: 0,
        fired: 0,
    };
    w.st.add_fault(rule(FaultKind::Status { code: 503 }));
    w.st.add_fault(rule(FaultKind::Status { code: 500 }));
    w.st.add_fault(rule(FaultKind::Truncate));
    w.st.add_fault(rule(FaultKind::Malformed));
    w.st.add_fault(rule(FaultKind::Drop));
    let id = w.st.seller.orders[3].id.clone();
    let v = api
        .send(&get_order(&w, &refresh, &seller, &id))
        .await
        .unwrap();
    assert_eq!(v["payload"]["AmazonOrderId"], id.as_str());
    assert_eq!(
        w.st.stats()["getOrder"].faults,
        5,
        "every fault was met and retried past"
    );
    // An expired access token at Amazon's side: refreshed once, then the call succeeds.
    w.st.add_fault(rule(FaultKind::ExpiredToken));
    assert!(api
        .send(&get_order(&w, &refresh, &seller, &id))
        .await
        .is_ok());
    assert_eq!(w.st.stats()["lwaToken"].calls, 2);
}

#[tokio::test]
async fn a_429_storm_finishes_with_no_page_lost_or_fetched_twice() {
    let w = world(1500).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let seller = w.st.seller.seller_id.clone();
    let since = (w.st.seller.spec.end - Duration::days(800)).to_rfc3339();
    // Amazon throttles every other call for a while, on top of its real limits.
    w.st.add_fault(FaultRule {
        operation: Some("getOrders".into()),
        kind: FaultKind::Status { code: 429 },
        every: 2,
        times: Some(12),
        seen: 0,
        fired: 0,
    });
    let mut seen = Vec::new();
    let mut query = vec![
        ("MarketplaceIds".to_string(), "ATVPDKIKX0DER".to_string()),
        ("CreatedAfter".to_string(), since),
        ("MaxResultsPerPage".to_string(), "25".to_string()),
    ];
    loop {
        // Our plan is deliberately optimistic (as if Amazon allowed 50/s), so Amazon throttles.
        let call = Call {
            connection: "conn-1",
            seller: &seller,
            refresh_token: &refresh,
            operation: "getOrders",
            rate: 50.0,
            burst: 50.0,
            method: Method::GET,
            path: "/orders/v0/orders".into(),
            query: query.clone(),
            body: None,
            deadline: w.st.now() + Duration::hours(24),
        };
        let page = api.send(&call).await.unwrap();
        seen.extend(
            page["payload"]["Orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["AmazonOrderId"].as_str().unwrap().to_string()),
        );
        match page["payload"]["NextToken"].as_str() {
            Some(n) => {
                query = vec![
                    ("MarketplaceIds".into(), "ATVPDKIKX0DER".into()),
                    ("NextToken".into(), n.to_string()),
                ]
            }
            None => break,
        }
    }
    let expected: BTreeSet<String> =
        w.st.seller
            .orders
            .iter()
            .filter(|o| {
                o.marketplace_id == "ATVPDKIKX0DER"
                    && o.purchase_date < w.st.now() - Duration::minutes(2)
            })
            .map(|o| o.id.clone())
            .collect();
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no page fetched twice");
    assert_eq!(unique, expected, "no order lost");
    let stats = w.st.stats();
    assert_eq!(
        stats["getOrders"].faults, 12,
        "it was a storm: {:?}",
        stats["getOrders"]
    );
}

#[tokio::test]
async fn two_processes_sharing_one_store_never_exceed_the_documented_rate() {
    let w = world(300).await;
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let seller = w.st.seller.seller_id.clone();
    let ids: Vec<String> =
        w.st.seller
            .orders
            .iter()
            .take(40)
            .map(|o| o.id.clone())
            .collect();
    let (_, a) = client(&w);
    let (_, b) = client(&w);
    let run = |api: SpApi, ids: Vec<String>| {
        let (refresh, seller, w) = (refresh.clone(), seller.clone(), &w);
        async move {
            for id in ids {
                api.send(&get_order(w, &refresh, &seller, &id))
                    .await
                    .unwrap();
            }
        }
    };
    tokio::join!(run(a, ids.clone()), run(b, ids.clone()));
    let stats = w.st.stats();
    assert_eq!(stats["getOrder"].calls, 80);
    assert_eq!(
        stats["getOrder"].throttled, 0,
        "the shared bucket kept both under Amazon's limit"
    );
    // 80 calls with burst 30 at 0.5/s need at least 100 s of (virtual) time.
    assert!((w.st.now() - w.st.seller.spec.end) >= Duration::seconds(100));
}

#[tokio::test]
async fn a_wait_past_the_deadline_is_a_retry_later_not_a_sleep() {
    let w = world(100).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let seller = w.st.seller.seller_id.clone();
    let id = w.st.seller.orders[0].id.clone();
    for _ in 0..30 {
        api.send(&get_order(&w, &refresh, &seller, &id))
            .await
            .unwrap();
    }
    let before = w.st.now();
    let mut call = get_order(&w, &refresh, &seller, &id);
    call.deadline = before + Duration::milliseconds(500);
    match api.send(&call).await {
        Err(AmazonError::RetryLater { at }) => assert!(
            at > call.deadline && at <= before + Duration::seconds(3),
            "{at}"
        ),
        other => panic!("expected RetryLater, got {other:?}"),
    }
    assert_eq!(w.st.now(), before, "no time was spent waiting");
}
