//! The profit rollups job: every message of the rollups queue (the event bus's sync domain
//! events: `TransactionsChanged`, `OrdersChanged`, `FeeEstimatesChanged`,
//! `SettlementsChanged`) is applied by `shared::profit::job`, so the local runner runs the same
//! code in-process. This crate holds the Lambda's wiring only.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::ports::queue::QueueRef;
use shared::ports::{Queue, Store};
use std::sync::Arc;

pub use shared::profit::job::{Recheck, Rollups, DETAIL_TYPES, RECHECK_DELAY_SECONDS};

/// The consumer on this store (no delayed re-check).
pub fn consumer(store: Arc<dyn Store>) -> Rollups {
    Rollups {
        store,
        recheck: None,
    }
}

/// The consumer on this store, re-checking the days it recomputes after a delay on its own
/// queue (`queue_ref`).
pub fn consumer_with_recheck(
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
    queue_ref: QueueRef,
) -> Rollups {
    Rollups {
        store,
        recheck: Some(Recheck {
            queue,
            queue_ref,
            delay: chrono::Duration::seconds(RECHECK_DELAY_SECONDS),
        }),
    }
}

/// One invocation: what did not settle is reported in `batchItemFailures`, so SQS redelivers
/// only those. `deadline_ms` is the invocation's deadline (epoch ms).
pub async fn handle(consumer: &Rollups, event: SqsEvent, deadline_ms: u64) -> SqsBatchResponse {
    shared::jobs::lambda::handle(consumer, event, deadline_ms).await
}
