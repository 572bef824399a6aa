//! The local runner's job plumbing: the stand-in's notifications land in the embedded
//! notifications queue through the fake ARN, and a queue is fed to a function as Lambda's SQS
//! event source feeds it (failed records stay for redelivery, the rest are deleted).

use amazon_stand_in::notifications::Sink;
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use axum::body::Body;
use axum::http::Request;
use beddora_local::jobs::{arn_of, deliver_batch, QueueSink, Queues, Source};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shared::adapters::EmbeddedQueue;
use shared::ports::queue::Queue;
use shared::ports::{Clock, FixedClock};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(st: &Arc<StandIn>, method: &str, uri: &str, token: &str, body: Value) -> Value {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-amz-access-token", token)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

async fn token(st: &Arc<StandIn>, form: String) -> String {
    let req = Request::post("/auth/o2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let v: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

/// Registers `arn` as the destination of ORDER_CHANGE and TRANSACTION_UPDATE, as the connect
/// flow does with `NOTIFICATIONS_QUEUE_ARN`.
async fn subscribe(st: &Arc<StandIn>, arn: &str) {
    let (id, secret) = (st.apps.client_id.clone(), st.apps.client_secret.clone());
    let refresh = st.issue_refresh_token().replace('|', "%7C");
    let seller = token(st, format!("grant_type=refresh_token&refresh_token={refresh}&client_id={id}&client_secret={secret}")).await;
    let grantless = token(st, format!("grant_type=client_credentials&scope=sellingpartnerapi::notifications&client_id={id}&client_secret={secret}")).await;
    let d = call(
        st,
        "POST",
        "/notifications/v1/destinations",
        &grantless,
        json!({"name": "local", "resourceSpecification": {"sqs": {"arn": arn}}}),
    )
    .await;
    let dest = d["payload"]["destinationId"].as_str().unwrap().to_string();
    for kind in ["ORDER_CHANGE", "TRANSACTION_UPDATE"] {
        call(
            st,
            "POST",
            &format!("/notifications/v1/subscriptions/{kind}"),
            &seller,
            json!({"payloadVersion": "1.0", "destinationId": dest}),
        )
        .await;
    }
}

#[tokio::test]
async fn the_demo_sellers_notifications_land_in_the_embedded_queue_of_the_fake_arn() {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 3_000,
            ..Default::default()
        }),
        false,
    );
    let clock = Arc::new(FixedClock::new(st.now()));
    let embedded = EmbeddedQueue::in_memory(clock.clone());
    let q = Queues::declare(&embedded);
    let queues: Arc<dyn Queue> = Arc::new(embedded);
    let sink = Arc::new(QueueSink::new(queues.clone(), &[&q.notifications]));
    st.set_sink(sink.clone());
    subscribe(&st, &arn_of(&q.notifications)).await;

    st.advance(Duration::days(3));
    let tick = st.live_tick().await.unwrap();
    assert!(tick.orders > 0, "{tick:?}");
    let stats = queues.stats(&q.notifications).await.unwrap();
    assert_eq!(stats.visible as usize, tick.notifications);
    // Every new order and every posted transaction was announced.
    assert!(
        tick.notifications >= tick.orders + tick.transactions,
        "{tick:?}"
    );
    let got = queues
        .receive(&q.notifications, 10, Duration::minutes(1))
        .await
        .unwrap();
    let kinds: Vec<String> = got
        .iter()
        .map(|m| {
            let v: Value = serde_json::from_str(&m.body).unwrap();
            v["NotificationType"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(kinds
        .iter()
        .all(|k| k == "ORDER_CHANGE" || k == "TRANSACTION_UPDATE"));

    // Another queue's ARN, or one outside the runner, is refused.
    assert!(sink.deliver(&arn_of(&q.sync), "{}".into()).await.is_err());
    assert!(sink
        .deliver(
            "arn:aws:sqs:us-east-1:123456789012:beddora-notifications",
            "{}".into()
        )
        .await
        .is_err());
}

#[tokio::test]
async fn a_batch_is_fed_as_lambdas_event_source_feeds_it() {
    let clock = Arc::new(FixedClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-01T12:00:00Z")
            .unwrap()
            .into(),
    ));
    let embedded = EmbeddedQueue::in_memory(clock.clone());
    let q = Queues::declare(&embedded);
    let queues: Arc<dyn Queue> = Arc::new(embedded);
    for body in ["a", "b", "c"] {
        queues.send(&q.sync, body, Duration::zero()).await.unwrap();
    }
    let visibility = Duration::minutes(15);
    let expected_deadline = clock.now() + Duration::seconds(150);
    let sync_arn = arn_of(&q.sync);
    let n = deliver_batch(
        queues.as_ref(),
        clock.as_ref(),
        &q.sync,
        Source {
            visibility,
            timeout: Duration::seconds(150),
            batch: 10,
        },
        |event, deadline| async move {
            assert_eq!(deadline, expected_deadline);
            let mut response = SqsBatchResponse::default();
            for r in &event.records {
                assert_eq!(r.attributes["ApproximateReceiveCount"], "1");
                assert_eq!(r.event_source_arn.as_deref(), Some(sync_arn.as_str()));
                if r.body.as_deref() == Some("b") {
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = r.message_id.clone().unwrap();
                    response.batch_item_failures.push(f);
                }
            }
            response
        },
    )
    .await
    .unwrap();
    assert_eq!(n, 3);
    // Only the failed record is left, back after its visibility timeout, received twice.
    assert_eq!(queues.stats(&q.sync).await.unwrap().total(), 1);
    clock.advance(visibility + Duration::seconds(1));
    let again = queues
        .receive(&q.sync, 10, Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].body, "b");
    assert_eq!(again[0].receive_count, 2);
}
