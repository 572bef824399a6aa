//! The local runner's Amazon, end to end: configured against the stand-in as `beddora-local`
//! configures it, "Connect Amazon" is enabled and goes through the stand-in's consent page;
//! the notifications the connect flow subscribes reach the embedded notifications queue
//! while the demo seller keeps selling, and the notifications job applies them.

use super::amazon_client::Virtual;
use super::helpers::TestApp;
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use axum::http::StatusCode;
use beddora_local::jobs::{deliver_batch, QueueSink, Queues, Source};
use chrono::Duration;
use shared::adapters::EmbeddedQueue;
use shared::domain::TenantId;
use shared::keys::Tenant;
use shared::ports::queue::Queue;
use shared::ports::Pacer;
use std::sync::Arc;

const REDIRECT: &str = "http://localhost:5100/dashboard/settings/amazon/callback";

#[tokio::test]
async fn connect_amazon_on_the_local_runner_and_the_demo_sellers_notifications_are_applied() {
    // The stand-in with a demo seller, served as the runner serves it.
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 3_000,
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn({
        let app = router(st.clone());
        async move { axum::serve(listener, app).await.unwrap() }
    });
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(st.clone()));

    // The runner's configuration: no AMAZON_* set, so the stand-in is Amazon.
    let embedded = EmbeddedQueue::in_memory(pacer.clone());
    let q = Queues::declare(&embedded);
    let queues: Arc<dyn Queue> = Arc::new(embedded);
    let config = beddora_local::local_config(
        &beddora_local::stand_in_defaults(&st, &base, &q.notifications),
        std::iter::empty(),
    )
    .unwrap();
    let mut app = TestApp::with_config(config.clone());
    beddora_local::app_keys(app.secrets.as_ref(), &config.app_secret_name)
        .await
        .unwrap();
    let amazon = beddora_local::amazon_app(
        &config,
        app.secrets.as_ref(),
        app.store.clone(),
        pacer.clone(),
        Some((&st, &base)),
    )
    .await
    .unwrap()
    .expect("connecting is enabled");
    app.state.amazon = Some(amazon.clone());
    st.set_sink(Arc::new(QueueSink::new(
        queues.clone(),
        &[&q.notifications],
    )));

    let s = app.signed_up("ann@example.com").await;
    let r = app
        .call("GET", "/api/amazon/oauth/status", None, Some(&s.token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["oauthEnabled"], true, "{:?}", r.body);

    // Connect Amazon: authorize, the stand-in's consent page, the bearer-less callback.
    let r = app
        .call(
            "GET",
            &format!(
                "/api/amazon/oauth/authorize?marketplace=US&redirectUri={}",
                REDIRECT.replace(':', "%3A").replace('/', "%2F")
            ),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let consent = r.body["data"]["authorizationUrl"].as_str().unwrap();
    assert!(consent.starts_with(&format!("{base}/apps/authorize/consent?")));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = browser.get(consent).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::FOUND);
    let back = res.headers()["location"].to_str().unwrap().to_string();
    let query = back
        .strip_prefix(&format!("{REDIRECT}?"))
        .expect("back to the frontend's callback page");
    let r = app
        .call_with(
            "GET",
            &format!("/api/amazon/oauth/callback?{query}"),
            None,
            None,
            Some(&s.refresh),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["data"]["amazonSellerId"],
        st.seller.seller_id.as_str()
    );
    assert!(r.body["data"]["notifications"].as_u64().unwrap() > 0);

    // The seller keeps selling; Amazon's messages land in the embedded notifications queue
    // (the destination the connect flow registered is the runner's fake ARN).
    st.start_live().await;
    st.advance(Duration::days(2));
    let tick = st.live_tick().await.unwrap();
    assert!(tick.orders > 0 && tick.notifications > 0, "{tick:?}");
    assert_eq!(
        queues.stats(&q.notifications).await.unwrap().visible as usize,
        tick.notifications
    );

    // The notifications job, fed as the runner feeds it, applies every one of them.
    let consumer = job_notifications::consumer(
        job_notifications::Ports {
            store: app.store.clone(),
            secrets: app.secrets.clone(),
            secret_prefix: config.secret_prefix.clone(),
            queues: queues.clone(),
            pacer: pacer.clone(),
            amazon: Some(amazon),
            bus: None,
        },
        q.notifications.clone(),
    );
    let source = Source {
        visibility: Duration::seconds(360),
        timeout: Duration::seconds(60),
        batch: 10,
    };
    let failed = std::sync::atomic::AtomicUsize::new(0);
    while deliver_batch(
        queues.as_ref(),
        pacer.as_ref(),
        &q.notifications,
        source,
        |event, deadline| {
            let (consumer, failed) = (&consumer, &failed);
            let deadline_ms = deadline.timestamp_millis() as u64;
            async move {
                let r = job_notifications::handle(consumer, event, deadline_ms).await;
                failed.fetch_add(
                    r.batch_item_failures.len(),
                    std::sync::atomic::Ordering::Relaxed,
                );
                r
            }
        },
    )
    .await
    .unwrap()
        > 0
    {}
    assert_eq!(failed.into_inner(), 0);
    assert_eq!(queues.stats(&q.notifications).await.unwrap().total(), 0);
    let tenant: Tenant = shared::identity::tenancy::existing(
        app.store.as_ref(),
        &TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(shared::jobs::failures(app.store.as_ref(), &tenant)
        .await
        .unwrap()
        .is_empty());
}
