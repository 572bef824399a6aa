//! The queue port's contract on the embedded queue and on SQS (moto).

use chrono::Duration;
use shared::adapters::{EmbeddedQueue, SqsQueue};
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::FixedClock;
use shared::testing::queue_contract::{self, MAX_RECEIVES};
use std::sync::Arc;

#[tokio::test]
async fn queue_contract_on_embedded_queue() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let queues = EmbeddedQueue::in_memory(clock.clone());
    let main = queues.declare("jobs", Some(("jobs-dlq", MAX_RECEIVES)));
    let dead = QueueRef::new("jobs-dlq");
    queue_contract::run_all(&queues, &main, &dead, |d| {
        clock.advance(d);
        async {}
    })
    .await;
}

#[tokio::test]
async fn embedded_queue_keeps_messages_across_reopen() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let dir = std::env::temp_dir().join(format!("beddora-queue-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("queues.redb");
    {
        let queues = EmbeddedQueue::open(&path, clock.clone()).unwrap();
        let q = queues.declare("jobs", None);
        queues.send(&q, "survives", Duration::zero()).await.unwrap();
    }
    let queues = EmbeddedQueue::open(&path, clock.clone()).unwrap();
    let q = queues.declare("jobs", None);
    let got = queues.receive(&q, 10, Duration::seconds(30)).await.unwrap();
    assert_eq!(got.len(), 1, "an acknowledged send survives a restart");
    assert_eq!(got[0].body, "survives");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn embedded_queue_refuses_an_undeclared_queue() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let queues = EmbeddedQueue::in_memory(clock);
    let err = queues
        .send(&QueueRef::new("nowhere"), "x", Duration::zero())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nowhere"), "{err}");
}

/// A fresh queue with its dead-letter queue on moto, deleted afterwards.
async fn sqs_queues(client: &aws_sdk_sqs::Client) -> (QueueRef, QueueRef) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let name = format!("jobs-{}", uuid::Uuid::new_v4().simple());
    let dlq_url = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .expect("create DLQ on moto")
        .queue_url
        .unwrap();
    let attrs = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&QueueAttributeName::QueueArn].clone();
    let url = client
        .create_queue()
        .queue_name(&name)
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"{MAX_RECEIVES}"}}"#),
        )
        .send()
        .await
        .expect("create queue on moto")
        .queue_url
        .unwrap();
    (QueueRef::new(url), QueueRef::new(dlq_url))
}

#[tokio::test]
async fn queue_contract_on_sqs_via_moto() {
    let client = aws_sdk_sqs::Client::new(&super::contracts::sdk().await);
    let (main, dead) = sqs_queues(&client).await;
    queue_contract::run_all(
        &SqsQueue::new(client.clone()),
        &main,
        &dead,
        |d| async move { tokio::time::sleep(d.to_std().unwrap()).await },
    )
    .await;
    for q in [main, dead] {
        client
            .delete_queue()
            .queue_url(q.as_str())
            .send()
            .await
            .ok();
    }
}

#[tokio::test]
async fn sqs_queue_names_a_missing_queue() {
    let client = aws_sdk_sqs::Client::new(&super::contracts::sdk().await);
    let (main, dead) = sqs_queues(&client).await;
    for q in [&main, &dead] {
        client
            .delete_queue()
            .queue_url(q.as_str())
            .send()
            .await
            .unwrap();
    }
    let err = SqsQueue::new(client)
        .send(&main, "x", Duration::zero())
        .await
        .unwrap_err();
    assert!(
        matches!(err, shared::ports::queue::QueueError::NoSuchQueue(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn bus_contract_on_embedded_bus() {
    use shared::adapters::embedded_bus::{EmbeddedBus, Pattern};
    use shared::testing::bus_contract::{self, ROUTED, SOURCE};
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let target = queues.declare("rollups", None);
    let bus = EmbeddedBus::new(queues.clone(), clock);
    bus.route(
        Pattern {
            source: SOURCE.into(),
            detail_types: vec![ROUTED.into()],
        },
        target.clone(),
    );
    bus_contract::run_all(&bus, queues.as_ref(), &target).await;
}

#[tokio::test]
async fn bus_contract_on_eventbridge_via_moto() {
    use shared::adapters::EventBridgeBus;
    use shared::testing::bus_contract::{self, ROUTED, SOURCE};
    let sdk = super::contracts::sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let (target, dlq) = sqs_queues(&sqs).await;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(target.as_str())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let bus_name = format!("beddora-test-{}", uuid::Uuid::new_v4().simple());
    events
        .create_event_bus()
        .name(&bus_name)
        .send()
        .await
        .expect("create bus on moto");
    events
        .put_rule()
        .name("orders-changed")
        .event_bus_name(&bus_name)
        .event_pattern(format!(
            r#"{{"source":["{SOURCE}"],"detail-type":["{ROUTED}"]}}"#
        ))
        .send()
        .await
        .expect("put rule");
    events
        .put_targets()
        .rule("orders-changed")
        .event_bus_name(&bus_name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put target");
    let bus = EventBridgeBus::new(events.clone(), &bus_name);
    bus_contract::run_all(&bus, &SqsQueue::new(sqs.clone()), &target).await;
    for q in [target, dlq] {
        sqs.delete_queue().queue_url(q.as_str()).send().await.ok();
    }
}
