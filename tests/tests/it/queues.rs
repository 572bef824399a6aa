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
