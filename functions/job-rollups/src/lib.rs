//! The profit rollups job: every message of the rollups queue (the event bus's sync domain
//! events: `TransactionsChanged`, `OrdersChanged`, `FeeEstimatesChanged`,
//! `SettlementsChanged`) is applied by `shared::profit::job`, so the local runner runs the same
//! code in-process. This crate holds the Lambda's wiring only.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::ports::Store;
use std::sync::Arc;

pub use shared::profit::job::{Rollups, DETAIL_TYPES};

/// The consumer on this store.
pub fn consumer(store: Arc<dyn Store>) -> Rollups {
    Rollups { store }
}

/// One invocation: what did not settle is reported in `batchItemFailures`, so SQS redelivers
/// only those. `deadline_ms` is the invocation's deadline (epoch ms).
pub async fn handle(consumer: &Rollups, event: SqsEvent, deadline_ms: u64) -> SqsBatchResponse {
    shared::jobs::lambda::handle(consumer, event, deadline_ms).await
}
