//! The inventory forecasts job: every message of the forecasts queue (the sync's
//! `OrdersChanged`, `InventoryChanged`, ledger and transaction events routed by the bus, and
//! the daily schedule's tick) is applied by `api_inventory::job`, so the local runner runs the
//! same code in-process. This crate holds the Lambda's wiring only.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::ports::bus::EventBus;
use shared::ports::{Clock, Store};
use std::sync::Arc;

pub use api_inventory::job::{Forecasts, DETAIL_TYPES};

/// The consumer on these ports.
pub fn consumer(store: Arc<dyn Store>, bus: Arc<dyn EventBus>, clock: Arc<dyn Clock>) -> Forecasts {
    Forecasts { store, bus, clock }
}

/// One invocation: what did not settle is reported in `batchItemFailures`, so SQS redelivers
/// only those. `deadline_ms` is the invocation's deadline (epoch ms).
pub async fn handle(consumer: &Forecasts, event: SqsEvent, deadline_ms: u64) -> SqsBatchResponse {
    shared::jobs::lambda::handle(consumer, event, deadline_ms).await
}
