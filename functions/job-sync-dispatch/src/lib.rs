//! The sync dispatcher: on each tick (an EventBridge schedule's message on its queue) it
//! starts every (connection, dataset) run that is due by sending its first step to the sync
//! queue (`shared::sync::dispatch`). Ticks carry no data: however many arrive in a batch, one
//! pass runs, repeated while a full batch was due and time is left.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
use shared::ports::queue::QueueRef;
use shared::ports::{Clock, Queue, Store};
use std::sync::Arc;

pub struct Dispatcher {
    pub store: Arc<dyn Store>,
    pub queues: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub sync_queue: QueueRef,
    pub batch: usize,
}

/// Time kept back before the invocation's deadline.
const MARGIN: Duration = Duration::seconds(5);

impl Dispatcher {
    /// Handles one invocation; a failed pass hands every tick back for a retry.
    pub async fn handle(&self, event: SqsEvent, deadline: DateTime<Utc>) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        match self.run(deadline).await {
            Ok(started) => {
                tracing::info!(started, ticks = event.records.len(), "dispatch pass done")
            }
            Err(e) => {
                tracing::error!(error = %e, "dispatch pass failed; ticks returned for a retry");
                for r in &event.records {
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = r.message_id.clone().unwrap_or_default();
                    response.batch_item_failures.push(f);
                }
            }
        }
        response
    }

    /// Starts what is due, batch after batch, until a batch is short or time runs out.
    /// Returns how many runs started.
    pub async fn run(&self, deadline: DateTime<Utc>) -> Result<usize, shared::sync::DispatchError> {
        let mut total = 0;
        loop {
            let started = shared::sync::dispatch(
                self.store.as_ref(),
                self.queues.as_ref(),
                &self.sync_queue,
                self.clock.now(),
                self.batch,
            )
            .await?
            .len();
            total += started;
            if started < self.batch || self.clock.now() + MARGIN >= deadline {
                return Ok(total);
            }
        }
    }
}
