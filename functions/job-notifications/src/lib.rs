//! The Amazon notifications job: every message of the notifications queue (Amazon's SQS
//! destination, and the EventBridge rule that forwards the types Amazon sends only there) is
//! read and applied by `shared::notifications`, so the local runner runs the same code
//! in-process. This crate holds the Lambda's wiring only.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::amazon::AmazonApp;
use shared::notifications::{Consumer, Settings};
use shared::ports::queue::QueueRef;
use shared::ports::{Pacer, Queue, Secrets, Store};
use std::sync::Arc;

pub use shared::notifications;

/// What the consumer runs on.
pub struct Ports {
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn Secrets>,
    /// The prefix of the connections' secrets (`SECRET_PREFIX`).
    pub secret_prefix: String,
    pub queues: Arc<dyn Queue>,
    /// Every "now" and every wait.
    pub pacer: Arc<dyn Pacer>,
    /// Our Amazon application; without it ORDER_CHANGE makes the orders sweep due.
    pub amazon: Option<Arc<AmazonApp>>,
    /// The notifications queue itself (a message handed back waits on it).
    pub queue: QueueRef,
}

/// The consumer on these ports, with the default settings.
pub fn consumer(p: Ports) -> Consumer {
    Consumer::new(
        p.store,
        p.secrets,
        p.secret_prefix,
        p.queues,
        p.pacer,
        p.amazon,
        Settings::new(p.queue),
    )
}

/// One invocation: what did not settle is reported in `batchItemFailures`, so SQS redelivers
/// only those. `deadline_ms` is the invocation's deadline (epoch ms).
pub async fn handle(consumer: &Consumer, event: SqsEvent, deadline_ms: u64) -> SqsBatchResponse {
    shared::jobs::lambda::handle(consumer, event, deadline_ms).await
}
