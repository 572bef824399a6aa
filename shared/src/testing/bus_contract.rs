//! The event bus port's contract: events reach the queue a rule names, in EventBridge's
//! envelope, and only matching ones.
//!
//! The suite needs a rule that routes source [`SOURCE`] with detail type [`ROUTED`] to
//! `target`, an empty `target`, and nothing else routed there.

use crate::ports::bus::*;
use crate::ports::queue::{Queue, QueueRef, MAX_BATCH};
use chrono::Duration;
use serde_json::json;

pub const SOURCE: &str = "beddora.test";
pub const ROUTED: &str = "OrdersChanged";

async fn drain(queues: &dyn Queue, target: &QueueRef) -> Vec<BusEnvelope> {
    let mut out = Vec::new();
    let mut empty = 0;
    while empty < 2 {
        let got = queues
            .receive(target, MAX_BATCH, Duration::seconds(300))
            .await
            .expect("receive");
        if got.is_empty() {
            empty += 1;
        }
        for m in got {
            out.push(serde_json::from_str(&m.body).expect("an EventBridge envelope"));
            queues.delete(target, &m.receipt).await.expect("delete");
        }
    }
    out
}

pub async fn run_all(bus: &dyn EventBus, queues: &dyn Queue, target: &QueueRef) {
    let tenant = uuid::Uuid::new_v4().to_string();
    bus.publish(&[
        DomainEvent::new(
            SOURCE,
            ROUTED,
            json!({"tenantId": tenant, "orders": ["111-1"]}),
        ),
        DomainEvent::new(SOURCE, "SomethingElse", json!({"tenantId": tenant})),
        DomainEvent::new("another.source", ROUTED, json!({"tenantId": tenant})),
    ])
    .await
    .expect("publish");
    let got = drain(queues, target).await;
    assert_eq!(got.len(), 1, "only the matching event is routed: {got:?}");
    assert_eq!(got[0].source, SOURCE);
    assert_eq!(got[0].detail_type, ROUTED);
    assert_eq!(
        got[0].detail,
        json!({"tenantId": tenant, "orders": ["111-1"]}),
        "the detail arrives intact"
    );

    // More than one PutEvents call's worth.
    let many: Vec<DomainEvent> = (0..23)
        .map(|i| DomainEvent::new(SOURCE, ROUTED, json!({"n": i})))
        .collect();
    bus.publish(&many).await.expect("publish many");
    let mut seen: Vec<i64> = drain(queues, target)
        .await
        .iter()
        .map(|e| e.detail["n"].as_i64().unwrap())
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        (0..23).collect::<Vec<_>>(),
        "every event arrives once"
    );

    assert!(matches!(
        bus.publish(&[DomainEvent::new(SOURCE, ROUTED, json!([1, 2]))])
            .await,
        Err(BusError::Invalid(_))
    ));
    assert!(matches!(
        bus.publish(&[DomainEvent::new("", ROUTED, json!({}))])
            .await,
        Err(BusError::Invalid(_))
    ));
}
