//! The rollups job: the consumer of the rollups queue, fed by the bus's sync domain events
//! (EventBridge envelopes, `source` `beddora.sync`). Each message is applied with
//! [`super::recompute::apply`]; the Lambda `job-rollups` and the local runner run this same
//! code.
//!
//! A message that cannot be read is acknowledged (logged: it can never succeed); a store
//! failure leaves it on the queue for redelivery (the queue's dead-letter queue takes it after
//! `maxReceiveCount`). Applying a message again is harmless: it recomputes the same days. The
//! messages of one batch are applied together per tenant (the union of their days recomputed
//! once), which is what keeps a backfill's burst of events cheap.
//!
//! The daily exchange-rates message ([`super::rates_job::DETAIL_TYPE`], from the schedule) is
//! handled here too: it loads the ECB's rates ([`super::rates_job`]).

use super::recompute::{recheck_detail, RECHECK};
use super::View;
use crate::domain::TenantId;
use crate::identity::tenancy;
use crate::jobs::lambda::Batch;
use crate::jobs::Disposition;
use crate::ports::bus::BusEnvelope;
use crate::ports::queue::{Queue, QueueRef, Received};
use crate::ports::store::StoreError;
use crate::ports::Store;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The detail types the rollups queue's rule takes (the queue also gets the job's own delayed
/// re-checks, [`RECHECK`]).
pub const DETAIL_TYPES: [&str; 6] = [
    "TransactionsChanged",
    "OrdersChanged",
    "FeeEstimatesChanged",
    "SettlementsChanged",
    super::ads::ADS_SPEND_CHANGED,
    crate::ppc::blocks::ADS_DAYS_CHANGED,
];

/// The consumer.
#[derive(Clone)]
pub struct Rollups {
    pub store: Arc<dyn Store>,
    /// Where the delayed re-check of the days recomputed goes; `None`: no re-check.
    pub recheck: Option<Recheck>,
}

/// The delayed re-check (`super::recompute::RECHECK`): after recomputing days from an event,
/// the job sends itself one message naming them, delayed, on its own queue. Handling it
/// recomputes them once more (idempotent) and sends nothing further, so a recompute that
/// read an index (DynamoDB GSIs are updated eventually) before it caught up is corrected
/// without waiting for another event.
#[derive(Clone)]
pub struct Recheck {
    pub queue: Arc<dyn Queue>,
    /// The rollups queue itself.
    pub queue_ref: QueueRef,
    pub delay: chrono::Duration,
}

/// The re-check's default delay: GSIs catch up within a second or so; this leaves margin.
pub const RECHECK_DELAY_SECONDS: i64 = 120;
/// Days per re-check message (keeps the body far below SQS's 256 KB).
const RECHECK_DAYS_PER_MESSAGE: usize = 2_000;

impl Recheck {
    /// Sends the re-check of `days` (several messages for a long backfill).
    pub async fn send(
        &self,
        tenant: &crate::keys::Tenant,
        days: &BTreeSet<(View, String, NaiveDate)>,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let list: Vec<_> = days.iter().cloned().collect();
        for chunk in list.chunks(RECHECK_DAYS_PER_MESSAGE) {
            let chunk: BTreeSet<_> = chunk.iter().cloned().collect();
            let envelope = BusEnvelope {
                id: uuid::Uuid::new_v4().to_string(),
                source: "beddora.rollups".into(),
                detail_type: RECHECK.into(),
                time: now,
                detail: recheck_detail(tenant, &chunk),
            };
            let body = serde_json::to_string(&envelope).map_err(|e| e.to_string())?;
            self.queue
                .send(&self.queue_ref, &body, self.delay)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Rollups {
    /// Applies one message.
    pub async fn one(&self, d: &Received) -> Disposition {
        self.many(std::slice::from_ref(d))
            .await
            .into_iter()
            .next()
            .map(|(_, disposition)| disposition)
            .unwrap_or(Disposition::Acknowledged)
    }

    /// Applies messages together: those of one tenant recompute the union of their days once.
    pub async fn many(&self, batch: &[Received]) -> Vec<(String, Disposition)> {
        let mut out: Vec<(String, Disposition)> = Vec::with_capacity(batch.len());
        let mut by_tenant: BTreeMap<String, Vec<(usize, BusEnvelope)>> = BTreeMap::new();
        for (i, d) in batch.iter().enumerate() {
            out.push((d.message_id.clone(), Disposition::Acknowledged));
            match serde_json::from_str::<BusEnvelope>(&d.body) {
                Ok(e) if e.detail_type == super::rates_job::DETAIL_TYPE => {
                    match super::rates_job::apply(self.store.as_ref(), e.time, &e.detail).await {
                        Ok(r) => tracing::info!(
                            rates = r.rates,
                            from = %r.from,
                            latest = ?r.latest,
                            "exchange rates loaded"
                        ),
                        Err(err) => {
                            tracing::warn!(error = %err, "exchange rates: will retry");
                            out[i].1 = Disposition::Returned;
                        }
                    }
                }
                Ok(e) => match e.detail["tenant"].as_str() {
                    Some(t) => by_tenant.entry(t.to_string()).or_default().push((i, e)),
                    None => {
                        tracing::warn!(message_id = %d.message_id, "rollups: an event without a tenant; acknowledged")
                    }
                },
                Err(e) => {
                    tracing::warn!(message_id = %d.message_id, error = %e, "rollups: not an event envelope; acknowledged")
                }
            }
        }
        for (tenant, events) in by_tenant {
            let result: Result<Option<super::recompute::Outcome>, StoreError> = async {
                let Some(id) = TenantId::parse(&tenant).ok() else {
                    return Ok(None);
                };
                let Some(t) = tenancy::existing(self.store.as_ref(), &id)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?
                else {
                    return Ok(None);
                };
                let list: Vec<(String, serde_json::Value)> = events
                    .iter()
                    .map(|(_, e)| (e.detail_type.clone(), e.detail.clone()))
                    .collect();
                let o = super::recompute::apply_many(self.store.as_ref(), &t, &list).await?;
                if let Some(r) = &self.recheck {
                    if !o.days.is_empty() {
                        r.send(&t, &o.days, Utc::now())
                            .await
                            .map_err(StoreError::Unavailable)?;
                    }
                }
                Ok(Some(o))
            }
            .await;
            match result {
                Ok(o) => {
                    if let Some(o) = o {
                        tracing::info!(
                            events = events.len(),
                            days = o.days.len(),
                            ledgers = o.ledgers_written,
                            rows = o.rows_written,
                            settlements = o.settlements.len(),
                            rechecked = o.rechecked.len(),
                            "rollups recomputed"
                        );
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, events = events.len(), "rollups: will retry");
                    for (i, _) in &events {
                        out[*i].1 = Disposition::Returned;
                    }
                }
            }
        }
        out
    }
}

#[async_trait]
impl Batch for Rollups {
    async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        // Leave the batch for the next invocation when it cannot finish in time.
        if Utc::now() + chrono::Duration::seconds(5) >= deadline {
            return batch
                .iter()
                .map(|d| (d.message_id.clone(), Disposition::Returned))
                .collect();
        }
        self.many(batch).await
    }
}
