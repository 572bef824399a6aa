//! The SQS-triggered Lambda side of the job runtime: the event's records become deliveries,
//! and what did not settle is reported back as `batchItemFailures` (the event source mapping
//! has `ReportBatchItemFailures`), so SQS redelivers only those. Every SQS consumer (the job
//! runtime, the Amazon notifications consumer) answers through [`handle`].

use super::{Disposition, Runtime};
use crate::ports::queue::Received;
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};

/// Something that handles a batch of deliveries within a deadline and says how each ended.
#[async_trait]
pub trait Batch: Send + Sync {
    async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)>;
}

#[async_trait]
impl Batch for Runtime {
    async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        Runtime::process(self, batch, deadline).await
    }
}

fn delivery(m: &SqsMessage) -> Received {
    let attr = |name: &str| m.attributes.get(name);
    Received {
        message_id: m.message_id.clone().unwrap_or_default(),
        receipt: m.receipt_handle.clone().unwrap_or_default(),
        body: m.body.clone().unwrap_or_default(),
        receive_count: attr("ApproximateReceiveCount")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1),
        sent_at: attr("SentTimestamp")
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or_default(),
    }
}

/// Handles one invocation's batch; `deadline_ms` is the invocation's deadline (epoch ms).
pub async fn handle(runtime: &dyn Batch, event: SqsEvent, deadline_ms: u64) -> SqsBatchResponse {
    let deadline: DateTime<Utc> =
        DateTime::from_timestamp_millis(deadline_ms as i64).unwrap_or_else(Utc::now);
    let batch: Vec<Received> = event.records.iter().map(delivery).collect();
    let results = runtime.process(&batch, deadline).await;
    let mut response = SqsBatchResponse::default();
    for (id, disposition) in results {
        if !disposition.is_settled() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
