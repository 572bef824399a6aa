//! The Amazon client against the stand-in over real HTTP: one token refresh however many
//! callers, typed re-authorisation, retries that lose and repeat nothing, and rate limits that
//! hold across two processes sharing one store.

use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use shared::adapters::EmbeddedStore;
use shared::amazon::operations::GetOrdersParams;
use shared::amazon::{AmazonError, Context, Credentials, RateLimiter, SpApi, TokenProvider};
use shared::ports::{Clock, Pacer, Store};
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
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    let creds = Credentials {
        client_id: w.st.apps.client_id.clone(),
        client_secret: SecretString::from(w.st.apps.client_secret.clone()),
        token_url: format!("{}/auth/o2/token", w.base),
    };
    let tokens = Arc::new(TokenProvider::new(
        reqwest::Client::new(),
        creds,
        w.store.clone(),
        pacer.clone(),
        &SecretString::from("a-cache-key-of-at-least-32-bytes!!".to_string()),
    ));
    let limiter = Arc::new(RateLimiter::new(w.store.clone(), pacer.clone()));
    let api = SpApi::new(
        reqwest::Client::new(),
        &w.base,
        tokens.clone(),
        limiter,
        pacer,
    );
    (tokens, api)
}

/// The seller's connection, with a deadline far enough away.
pub fn context(w: &World, connection: &str, refresh: &SecretString) -> Context {
    Context::new(
        connection,
        w.st.seller.seller_id.clone(),
        refresh.clone(),
        w.st.now() + Duration::hours(12),
    )
}

/// `getOrder` (v0) through its typed method: the order id Amazon answered with.
async fn get_order(api: &SpApi, ctx: &Context, id: &str) -> Result<String, AmazonError> {
    let r = api.orders_v0().get_order(ctx, id).await?;
    Ok(r.payload.expect("an order").amazon_order_id)
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_not_once_per_caller() {
    let w = world(200).await;
    let (_, api) = client(&w);
    let api = Arc::new(api);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let id = w.st.seller.orders[0].id.clone();
    let run = |n: usize| {
        let (api, id) = (api.clone(), id.clone());
        let ctx = context(&w, "conn-1", &refresh);
        async move {
            let calls: Vec<_> = (0..n)
                .map(|_| {
                    let (api, ctx, id) = (api.clone(), ctx.clone(), id.clone());
                    tokio::spawn(async move { get_order(&api, &ctx, &id).await })
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
    let ctx = context(&w, "conn-1", &refresh);
    let r = get_order(&api, &ctx, &w.st.seller.orders[0].id).await;
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
    let ctx = context(&w, "conn-1", &refresh);
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
    assert_eq!(get_order(&api, &ctx, &id).await.unwrap(), id);
    assert_eq!(
        w.st.stats()["getOrder"].faults,
        5,
        "every fault was met and retried past"
    );
    // An expired access token at Amazon's side: refreshed once, then the call succeeds.
    w.st.add_fault(rule(FaultKind::ExpiredToken));
    assert!(get_order(&api, &ctx, &id).await.is_ok());
    assert_eq!(w.st.stats()["lwaToken"].calls, 2);
}

#[tokio::test]
async fn a_429_storm_finishes_with_no_page_lost_or_fetched_twice() {
    let w = world(1500).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let ctx = context(&w, "conn-1", &refresh).until(w.st.now() + Duration::hours(24));
    let since = w.st.seller.spec.end - Duration::days(800);
    // Amazon throttles every other call for a while, on top of its real limits.
    w.st.add_fault(FaultRule {
        operation: Some("getOrders".into()),
        kind: FaultKind::Status { code: 429 },
        every: 2,
        times: Some(12),
        seen: 0,
        fired: 0,
    });
    let pages = api
        .orders_v0()
        .get_orders_all(
            &ctx,
            &GetOrdersParams {
                marketplace_ids: vec!["ATVPDKIKX0DER".into()],
                created_after: Some(since),
                max_results_per_page: Some(25),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(pages.len() > 12, "many pages: {}", pages.len());
    let seen: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.payload.expect("a page").orders)
        .map(|o| o.amazon_order_id)
        .collect();
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
    let ctx = context(&w, "conn-1", &refresh);
    let ids: Vec<String> =
        w.st.seller
            .orders
            .iter()
            .take(40)
            .map(|o| o.id.clone())
            .collect();
    let (_, a) = client(&w);
    let (_, b) = client(&w);
    // The token is refreshed (and stored) first: a process waiting for another's refresh
    // waits in virtual time, which would move the clock under the other's calls in flight.
    a.sellers()
        .get_marketplace_participations(&ctx)
        .await
        .unwrap();
    let run = |api: SpApi, ids: Vec<String>| {
        let ctx = ctx.clone();
        async move {
            for id in ids {
                get_order(&api, &ctx, &id).await.unwrap();
            }
        }
    };
    tokio::join!(run(a, ids.clone()), run(b, ids.clone()));
    let stats = w.st.stats();
    assert_eq!(stats["getOrder"].calls, 80, "{stats:?}");
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
    let id = w.st.seller.orders[0].id.clone();
    let ctx = context(&w, "conn-1", &refresh);
    for _ in 0..30 {
        get_order(&api, &ctx, &id).await.unwrap();
    }
    let before = w.st.now();
    let ctx = ctx.until(before + Duration::milliseconds(500));
    match get_order(&api, &ctx, &id).await {
        Err(AmazonError::RetryLater { at }) => assert!(
            at > ctx.deadline && at <= before + Duration::seconds(3),
            "{at}"
        ),
        other => panic!("expected RetryLater, got {other:?}"),
    }
    assert_eq!(w.st.now(), before, "no time was spent waiting");
}
