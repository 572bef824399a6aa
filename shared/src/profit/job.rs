//! The rollups job: the consumer of the rollups queue, fed by the bus's sync domain events
//! (EventBridge envelopes, `source` `beddora.sync`). Each message is applied with
//! [`super::recompute::apply`]; the Lambda `job-rollups` and the local runner run this same
//! code.
//!
//! A message that cannot be read is acknowledged (logged: it can never succeed); a store
//! failure leaves it on the queue for redelivery (the queue's dead-letter queue takes it after
//! `maxReceiveCount`). Applying a message again is harmless: it recomputes the same days.

use crate::jobs::lambda::Batch;
use crate::jobs::Disposition;
use crate::ports::bus::BusEnvelope;
use crate::ports::queue::Received;
use crate::ports::Store;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The detail types the rollups queue's rule takes.
pub const DETAIL_TYPES: [&str; 4] = [
    "TransactionsChanged",
    "OrdersChanged",
    "FeeEstimatesChanged",
    "SettlementsChanged",
];

/// The consumer.
#[derive(Clone)]
pub struct Rollups {
    pub store: Arc<dyn Store>,
}

impl Rollups {
    /// Applies one message.
    pub async fn one(&self, d: &Received) -> Disposition {
        let envelope: BusEnvelope = match serde_json::from_str(&d.body) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(message_id = %d.message_id, error = %e, "rollups: not an event envelope; acknowledged");
                return Disposition::Acknowledged;
            }
        };
        match super::recompute::apply(self.store.as_ref(), &envelope.detail_type, &envelope.detail)
            .await
        {
            Ok(o) => {
                tracing::info!(
                    event = %envelope.detail_type,
                    days = o.days.len(),
                    ledgers = o.ledgers_written,
                    rows = o.rows_written,
                    settlements = o.settlements.len(),
                    "rollups recomputed"
                );
                Disposition::Acknowledged
            }
            Err(e) => {
                tracing::warn!(event = %envelope.detail_type, error = %e, receive_count = d.receive_count, "rollups: will retry");
                Disposition::Returned
            }
        }
    }
}

#[async_trait]
impl Batch for Rollups {
    async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        let mut out = Vec::with_capacity(batch.len());
        for d in batch {
            // Leave what cannot finish in time for the next invocation.
            let disposition = if Utc::now() + chrono::Duration::seconds(5) >= deadline {
                Disposition::Returned
            } else {
                self.one(d).await
            };
            out.push((d.message_id.clone(), disposition));
        }
        out
    }
}
