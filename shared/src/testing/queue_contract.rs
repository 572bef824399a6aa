//! The queue port's contract: what the job runtime relies on, written once for SQS and the
//! embedded queue.
//!
//! The suite needs a queue whose dead-letter queue takes a message once it has been received
//! twice (`maxReceiveCount: 2`), both empty, and a way to let time pass (`pass`): the embedded
//! adapter steps its clock, SQS waits for real.

use crate::ports::queue::*;
use chrono::Duration;
use std::future::Future;

/// How many receives the suite's queue allows before the dead-letter queue takes a message.
pub const MAX_RECEIVES: u32 = 2;

async fn receive_all(q: &dyn Queue, queue: &QueueRef, visibility: Duration) -> Vec<Received> {
    let mut out = Vec::new();
    // SQS may answer a receive with fewer messages than it holds: ask until two come empty.
    let mut empty = 0;
    while empty < 2 {
        let got = q
            .receive(queue, MAX_BATCH, visibility)
            .await
            .expect("receive");
        if got.is_empty() {
            empty += 1;
        }
        out.extend(got);
    }
    out
}

pub async fn run_all<F, Fut>(q: &dyn Queue, main: &QueueRef, dead: &QueueRef, pass: F)
where
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    let hold = Duration::seconds(300);
    assert!(
        receive_all(q, main, hold).await.is_empty(),
        "a new queue is empty"
    );

    // At-least-once delivery with a visibility timeout.
    let a = q
        .send(main, "job-a", Duration::zero())
        .await
        .expect("send a");
    let b = q
        .send(main, "job-b", Duration::zero())
        .await
        .expect("send b");
    assert_ne!(a, b, "every message has its own id");
    let first = receive_all(q, main, hold).await;
    let mut bodies: Vec<&str> = first.iter().map(|m| m.body.as_str()).collect();
    bodies.sort();
    assert_eq!(bodies, ["job-a", "job-b"], "both messages are delivered");
    assert!(
        first.iter().all(|m| m.receive_count == 1),
        "a first delivery counts one receive"
    );
    assert!(
        receive_all(q, main, hold).await.is_empty(),
        "received messages stay hidden for their visibility timeout"
    );
    let stats = q.stats(main).await.expect("stats");
    assert_eq!(stats.in_flight, 2, "two in flight: {stats:?}");
    assert_eq!(stats.visible, 0, "none visible: {stats:?}");

    let ma = first.iter().find(|m| m.body == "job-a").unwrap();
    let mb = first.iter().find(|m| m.body == "job-b").unwrap();
    assert_eq!(ma.message_id, a);

    // A processed message is deleted and never comes back.
    q.delete(main, &mb.receipt).await.expect("delete b");
    // A failed one is handed back at once and counts a second receive.
    q.set_visibility(main, &ma.receipt, Duration::zero())
        .await
        .expect("release a");
    let again = receive_all(q, main, hold).await;
    assert_eq!(
        again.len(),
        1,
        "only the released message returns: {again:?}"
    );
    assert_eq!(again[0].message_id, a, "the same message, by id");
    assert_eq!(again[0].receive_count, 2, "its second receive");
    assert_ne!(
        again[0].receipt, ma.receipt,
        "each delivery has its own receipt"
    );

    // A message received MAX_RECEIVES times and failed again goes to the dead-letter queue.
    q.set_visibility(main, &again[0].receipt, Duration::zero())
        .await
        .expect("release a again");
    assert!(
        receive_all(q, main, hold).await.is_empty(),
        "after {MAX_RECEIVES} receives the message leaves the queue"
    );
    let dead_letters = receive_all(q, dead, hold).await;
    assert_eq!(dead_letters.len(), 1, "it is in the dead-letter queue");
    assert_eq!(dead_letters[0].body, "job-a", "with its body intact");
    q.set_visibility(dead, &dead_letters[0].receipt, Duration::zero())
        .await
        .expect("release the dead letter");

    // Redrive puts it back on its queue, once.
    let moved = redrive(q, dead, main, 100).await.expect("redrive");
    assert_eq!(moved, 1, "one message redriven");
    assert!(
        receive_all(q, dead, hold).await.is_empty(),
        "the DLQ is empty"
    );
    let redriven = receive_all(q, main, hold).await;
    assert_eq!(redriven.len(), 1);
    assert_eq!(redriven[0].body, "job-a");
    assert_eq!(
        redriven[0].receive_count, 1,
        "a redriven message starts afresh"
    );
    q.delete(main, &redriven[0].receipt).await.expect("delete");

    // A delayed message is invisible until its delay has passed.
    q.send(main, "later", Duration::seconds(1))
        .await
        .expect("send delayed");
    assert!(
        receive_all(q, main, hold).await.is_empty(),
        "a delayed message is not delivered early"
    );
    pass(Duration::milliseconds(2100)).await;
    let late = receive_all(q, main, hold).await;
    assert_eq!(late.len(), 1, "the delayed message arrives after its delay");
    assert_eq!(late[0].body, "later");
    q.delete(main, &late[0].receipt).await.expect("delete");

    // A visibility timeout that runs out hands the message back without anyone asking.
    q.send(main, "timeout", Duration::zero())
        .await
        .expect("send");
    let got = receive_all(q, main, Duration::seconds(1)).await;
    assert_eq!(got.len(), 1);
    pass(Duration::milliseconds(2100)).await;
    let back = receive_all(q, main, hold).await;
    assert_eq!(back.len(), 1, "a message whose consumer died comes back");
    assert_eq!(back[0].receive_count, 2);
    q.delete(main, &back[0].receipt).await.expect("delete");
    let stats = q.stats(main).await.expect("stats");
    assert_eq!(stats.total(), 0, "the queue is empty again: {stats:?}");

    // What both refuse, with the same errors.
    let big = "x".repeat(MAX_BODY_BYTES + 1);
    assert!(matches!(
        q.send(main, &big, Duration::zero()).await,
        Err(QueueError::Invalid(_))
    ));
    assert!(matches!(
        q.send(main, "x", Duration::seconds(MAX_DELAY_SECONDS + 1))
            .await,
        Err(QueueError::Invalid(_))
    ));
}
