//! The job runtime: how every SQS-triggered job Lambda (and the local runner's in-process
//! workers) handles its messages.
//!
//! - A message is a versioned [`JobMessage`] naming its kind, tenant, connection, dataset and
//!   step, with an idempotency key; a message whose key is already done is acknowledged
//!   without running again, so at-least-once delivery changes nothing.
//! - A handler does one bounded step and answers with the messages that continue the work
//!   (sent before the step is marked done, so a crash in between repeats the step, never
//!   loses its continuation; the continuation's own key makes the repeat harmless).
//! - A handler never works past the invocation's deadline: the context gives it the time
//!   left, and a message reached too late is handed back untouched.
//! - A retryable failure goes back to the queue with a growing visibility timeout; a
//!   permanent one, or one that keeps failing, is recorded with its cause in the tenant's
//!   job-error list (the error-recovery API reads and retries it) and acknowledged. Messages
//!   that crash the process itself still reach the queue's dead-letter queue through SQS.

pub mod lambda;
pub mod lease;

use crate::domain::TenantId;
use crate::identity::tenancy;
use crate::keys::{self, Tenant};
use crate::ports::clock::Clock;
use crate::ports::queue::{Queue, QueueRef, Received};
use crate::ports::store::{rfc3339, Condition, ItemBuilder, ItemExt, Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::Instrument;

/// The envelope version this code writes and reads.
pub const VERSION: u32 = 1;

/// One unit of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMessage {
    /// Envelope version ([`VERSION`]).
    pub v: u32,
    /// What to do: `sync`, `dispatch`, `rollups`…
    pub kind: String,
    pub tenant: TenantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Where the work stands (a cursor, a report id, a window): the handler's own checkpoint.
    #[serde(default)]
    pub step: serde_json::Value,
    /// The same key for the same piece of work, however often it is sent.
    pub key: String,
}

impl JobMessage {
    pub fn new(kind: &str, tenant: &Tenant, key: impl Into<String>) -> Self {
        Self {
            v: VERSION,
            kind: kind.to_string(),
            tenant: tenant.id().clone(),
            connection: None,
            dataset: None,
            step: serde_json::Value::Null,
            key: key.into(),
        }
    }

    pub fn connection(mut self, c: impl Into<String>) -> Self {
        self.connection = Some(c.into());
        self
    }

    pub fn dataset(mut self, d: impl Into<String>) -> Self {
        self.dataset = Some(d.into());
        self
    }

    pub fn step(mut self, step: serde_json::Value) -> Self {
        self.step = step;
        self
    }
}

/// A message to send when a step succeeds.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub message: JobMessage,
    /// Wait before it runs (a report still processing, a rate limit refilling).
    pub delay: Duration,
}

/// What a step achieved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub follow_ups: Vec<FollowUp>,
}

impl Outcome {
    pub fn done() -> Self {
        Self::default()
    }

    pub fn then(mut self, message: JobMessage, delay: Duration) -> Self {
        self.follow_ups.push(FollowUp { message, delay });
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again (Amazon throttled us, a dependency is down); `after` overrides the
    /// runtime's backoff when the cause knows better (a rate limit's refill).
    #[error("retryable: {reason}")]
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Will fail the same way every time (bad input, revoked authorisation).
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) | StoreError::Corrupt(m) => JobError::Permanent(m),
            other => JobError::Retry {
                reason: other.to_string(),
                after: None,
            },
        }
    }
}

/// What a handler knows about the message it runs.
pub struct JobContext {
    pub tenant: Tenant,
    /// How often the message has been received, this time included.
    pub receive_count: u32,
    /// The latest instant the step may still be working: the invocation's deadline less the
    /// time needed to save progress and send the continuation.
    pub deadline: DateTime<Utc>,
    clock: Arc<dyn Clock>,
}

impl JobContext {
    pub fn time_left(&self) -> Duration {
        self.deadline - self.clock.now()
    }
}

/// One kind of job.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &JobMessage, ctx: &JobContext) -> Result<Outcome, JobError>;
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Done (or already done): delete it.
    Acknowledged,
    /// Failed and recorded as a job error: delete it.
    Recorded,
    /// Leave it: it comes back after its visibility timeout (a retry, or not reached).
    Returned,
}

impl Disposition {
    /// Whether the message should be deleted from its queue.
    pub fn is_settled(&self) -> bool {
        !matches!(self, Disposition::Returned)
    }
}

/// A job failure kept for the error-recovery API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFailure {
    pub id: String,
    pub message: JobMessage,
    pub error: String,
    pub permanent: bool,
    pub attempts: u32,
    pub failed_at: DateTime<Utc>,
}

/// Settings of one runtime.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The queue that continuations go to (the job's own).
    pub queue: QueueRef,
    /// Receives after which a retryable failure is recorded instead of retried.
    pub max_attempts: u32,
    /// Time kept back before the deadline to save progress and send the continuation.
    pub margin: Duration,
    /// How long a done marker is kept (longer than any redelivery can come).
    pub done_ttl: Duration,
}

impl Settings {
    pub fn new(queue: QueueRef) -> Self {
        Self {
            queue,
            max_attempts: 5,
            margin: Duration::seconds(10),
            done_ttl: Duration::days(14),
        }
    }
}

/// The retry wait after `attempt` failures: 30 s doubling, at most 15 minutes.
pub fn retry_delay(attempt: u32) -> Duration {
    Duration::seconds((30i64 << attempt.saturating_sub(1).min(5)).min(900))
}

pub struct Runtime {
    store: Arc<dyn Store>,
    queues: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    handler: Arc<dyn JobHandler>,
    settings: Settings,
}

impl Runtime {
    pub fn new(
        store: Arc<dyn Store>,
        queues: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
        handler: Arc<dyn JobHandler>,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            queues,
            clock,
            handler,
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Handles a batch in order, within `deadline`. Returns each delivery's disposition.
    pub async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        let mut out = Vec::with_capacity(batch.len());
        for d in batch {
            let disposition = if self.clock.now() + self.settings.margin >= deadline {
                tracing::info!(message_id = %d.message_id, "no time left in this invocation; handed back");
                Disposition::Returned
            } else {
                self.one(d, deadline - self.settings.margin).await
            };
            out.push((d.message_id.clone(), disposition));
        }
        out
    }

    async fn one(&self, d: &Received, deadline: DateTime<Utc>) -> Disposition {
        let job: JobMessage = match serde_json::from_str(&d.body) {
            Ok(j) => j,
            Err(e) => {
                // Nothing to record it under without a tenant: the log is its record.
                tracing::error!(message_id = %d.message_id, error = %e, "unreadable job message dropped");
                return Disposition::Acknowledged;
            }
        };
        let span = tracing::info_span!("job", kind = %job.kind, tenant = %job.tenant, key = %job.key, receive_count = d.receive_count);
        // Instrumented, not entered: an entered span guard held across an await would tag
        // other tasks' logs on this thread.
        self.run(d, &job, deadline).instrument(span).await
    }

    async fn run(&self, d: &Received, job: &JobMessage, deadline: DateTime<Utc>) -> Disposition {
        let tenant = match tenancy::existing(self.store.as_ref(), &job.tenant).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                tracing::warn!("job for an account that no longer exists dropped");
                return Disposition::Acknowledged;
            }
            Err(e) => return self.retry(d, job, None, e.to_string(), None).await,
        };
        if job.v != VERSION {
            // Written by another deployment: kept for the error-recovery API, never dropped.
            return self
                .settle_failure(
                    d,
                    job,
                    Some(&tenant),
                    format!("unknown message version {}", job.v),
                    true,
                )
                .await;
        }
        let done_key = keys::tenant(&tenant).job_done(&job.key);
        match self.store.get(&done_key).await {
            Ok(Some(_)) => {
                tracing::info!("already done; acknowledged");
                return Disposition::Acknowledged;
            }
            Ok(None) => {}
            Err(e) => return self.retry(d, job, Some(&tenant), e.to_string(), None).await,
        }
        let ctx = JobContext {
            tenant: tenant.clone(),
            receive_count: d.receive_count,
            deadline,
            clock: self.clock.clone(),
        };
        match self.handler.handle(job, &ctx).await {
            Ok(outcome) => match self.finish(&tenant, job, outcome).await {
                Ok(()) => Disposition::Acknowledged,
                Err(e) => self.retry(d, job, Some(&tenant), e, None).await,
            },
            Err(JobError::Retry { reason, after }) => {
                self.retry(d, job, Some(&tenant), reason, after).await
            }
            Err(JobError::Permanent(reason)) => {
                self.settle_failure(d, job, Some(&tenant), reason, true)
                    .await
            }
        }
    }

    /// Sends the continuations, then marks the step done.
    async fn finish(
        &self,
        tenant: &Tenant,
        job: &JobMessage,
        outcome: Outcome,
    ) -> Result<(), String> {
        for f in &outcome.follow_ups {
            let body = serde_json::to_string(&f.message).map_err(|e| e.to_string())?;
            self.queues
                .send(&self.settings.queue, &body, f.delay)
                .await
                .map_err(|e| e.to_string())?;
        }
        let now = self.clock.now();
        let marker = ItemBuilder::at(keys::tenant(tenant).job_done(&job.key))
            .s("kind", job.kind.clone())
            .time("doneAt", now)
            .ttl(now + self.settings.done_ttl)
            .build();
        self.store
            .put(marker, None)
            .await
            .map_err(|e| e.to_string())
    }

    async fn retry(
        &self,
        d: &Received,
        job: &JobMessage,
        tenant: Option<&Tenant>,
        reason: String,
        after: Option<Duration>,
    ) -> Disposition {
        if d.receive_count >= self.settings.max_attempts {
            return self.settle_failure(d, job, tenant, reason, false).await;
        }
        let wait = after.unwrap_or_else(|| retry_delay(d.receive_count));
        tracing::warn!(error = %reason, retry_in_s = wait.num_seconds(), "job step failed; will retry");
        let wait = wait.min(Duration::seconds(
            crate::ports::queue::MAX_VISIBILITY_SECONDS,
        ));
        if let Err(e) = self
            .queues
            .set_visibility(&self.settings.queue, &d.receipt, wait)
            .await
        {
            tracing::warn!(error = %e, "could not set the retry delay; the queue's timeout applies");
        }
        Disposition::Returned
    }

    /// Records a failure for the error-recovery API and settles the message. If even the
    /// record cannot be written, the message is returned so that nothing is lost.
    async fn settle_failure(
        &self,
        d: &Received,
        job: &JobMessage,
        tenant: Option<&Tenant>,
        reason: String,
        permanent: bool,
    ) -> Disposition {
        tracing::error!(error = %reason, permanent, attempts = d.receive_count, "job failed; recorded for recovery");
        let Some(tenant) = tenant else {
            return Disposition::Acknowledged;
        };
        let failure = JobFailure {
            id: d.message_id.clone(),
            message: job.clone(),
            error: reason,
            permanent,
            attempts: d.receive_count,
            failed_at: self.clock.now(),
        };
        match record_failure(self.store.as_ref(), tenant, &failure).await {
            Ok(()) => Disposition::Recorded,
            Err(e) => {
                tracing::error!(error = %e, "could not record the job failure; handed back");
                Disposition::Returned
            }
        }
    }
}

/// Writes a failure under the tenant (one item per failed message).
pub async fn record_failure(
    store: &dyn Store,
    tenant: &Tenant,
    f: &JobFailure,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(f).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let item = ItemBuilder::at(keys::tenant(tenant).job_failure(&f.id))
        .s("failure", body)
        .s("failedAt", rfc3339(f.failed_at))
        .flag("permanent", f.permanent)
        .build();
    store.put(item, None).await
}

/// The tenant's recorded job failures, newest last.
pub async fn failures(store: &dyn Store, tenant: &Tenant) -> Result<Vec<JobFailure>, StoreError> {
    let items = crate::ports::store::query_all(store, keys::tenant(tenant).job_failures()).await?;
    let mut out = items
        .iter()
        .map(parse_failure)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|f| f.failed_at);
    Ok(out)
}

fn parse_failure(item: &crate::ports::store::Item) -> Result<JobFailure, StoreError> {
    serde_json::from_str(&item.s("failure")?).map_err(|_| StoreError::Corrupt("failure".into()))
}

/// One recorded failure, by its id.
pub async fn failure(
    store: &dyn Store,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<JobFailure>, StoreError> {
    store
        .get(&keys::tenant(tenant).job_failure(id))
        .await?
        .as_ref()
        .map(parse_failure)
        .transpose()
}

/// Sends a recorded failure's message again and removes the record; the message keeps its
/// idempotency key, so a retry of work that did finish is acknowledged without effect.
pub async fn retry_failure(
    store: &dyn Store,
    queues: &dyn Queue,
    queue: &QueueRef,
    tenant: &Tenant,
    id: &str,
) -> Result<bool, JobError> {
    let Some(f) = failure(store, tenant, id).await? else {
        return Ok(false);
    };
    let body = serde_json::to_string(&f.message).map_err(|e| JobError::Permanent(e.to_string()))?;
    queues
        .send(queue, &body, Duration::zero())
        .await
        .map_err(|e| JobError::Retry {
            reason: e.to_string(),
            after: None,
        })?;
    remove_failure(store, tenant, id).await?;
    Ok(true)
}

/// Receives one batch from `queue`, handles it, and deletes what settled: the local runner's
/// worker loop, and the tests' way of driving a job without Lambda. Returns how many
/// messages were received.
pub async fn poll_once(
    runtime: &Runtime,
    queues: &dyn Queue,
    visibility: Duration,
    budget: Duration,
) -> Result<usize, crate::ports::queue::QueueError> {
    let queue = runtime.settings().queue.clone();
    let batch = queues
        .receive(&queue, crate::ports::queue::MAX_BATCH, visibility)
        .await?;
    let deadline = runtime.clock.now() + budget;
    let results = runtime.process(&batch, deadline).await;
    for (d, (_, disposition)) in batch.iter().zip(results) {
        if disposition.is_settled() {
            queues.delete(&queue, &d.receipt).await?;
        }
    }
    Ok(batch.len())
}

/// Removes a recorded failure (it was retried another way, or dismissed); whether it existed.
pub async fn remove_failure(
    store: &dyn Store,
    tenant: &Tenant,
    id: &str,
) -> Result<bool, StoreError> {
    match store
        .delete(
            &keys::tenant(tenant).job_failure(id),
            Some(Condition::Exists),
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}
