//! The Amazon notifications job: every message of the notifications queue (Amazon's SQS
//! destination, and the EventBridge rule that forwards the types Amazon sends only there) is
//! read and applied by `shared::notifications`, so the local runner runs the same code
//! in-process. This crate holds the Lambda's wiring only.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::notifications::{Consumer, Settings};
use shared::ports::queue::QueueRef;

pub use shared::notifications::{self, Ports};

/// The consumer on these ports, listening on `queue` (the notifications queue: a message that
/// cannot be applied yet waits on it), with the default settings.
pub fn consumer(ports: Ports, queue: QueueRef) -> Consumer {
    Consumer::new(ports, Settings::new(queue))
}

/// One invocation: what did not settle is reported in `batchItemFailures`, so SQS redelivers
/// only those. `deadline_ms` is the invocation's deadline (epoch ms).
pub async fn handle(consumer: &Consumer, event: SqsEvent, deadline_ms: u64) -> SqsBatchResponse {
    shared::jobs::lambda::handle(consumer, event, deadline_ms).await
}
