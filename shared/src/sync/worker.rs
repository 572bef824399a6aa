//! The sync worker: the job handler of kind [`SYNC_JOB`]. One message is one bounded step of
//! one (connection, dataset):
//!
//! 1. under the lease of the pair (a second message for it waits and comes back later);
//! 2. only if the state says this step is due: the run must be running, and the message must
//!    be the run's next step (its key is `<run key>#<step>`, the state counts the steps done);
//!    a stale or duplicate message is acknowledged without effect, so redeliveries never fork
//!    a second chain;
//! 3. the dataset's step runs (its records are written newer-wins, so a repeat is harmless);
//! 4. the state is saved (version-guarded; a user's cancel meanwhile wins), with the step's
//!    events kept in it, then the events are published, then the continuation is handed to the
//!    runtime. A message redelivered after the save but before its continuation went out
//!    publishes the kept events again and sends the same continuation (same key), nothing else.
//!
//! Failures: Amazon refusing the authorisation marks every dataset of the connection "needs
//! re-authorisation" ([`super::needs_reauthorization`]) and is not retried; Amazon asking to come
//! back later is a delayed continuation, not a failure; throttling, server, transport and store
//! failures are retried by the runtime (and the run resumes from its checkpoint after
//! [`super::STALL`] if they never stop); anything else fails the run (state `FAILED`, a failed
//! run log, a recorded job failure).

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{
    get, needs_reauthorization, record_run, update, Dataset, RunLog, RunStatus, Status, SyncState,
    SYNC_JOB,
};
use crate::amazon::app::region_of;
use crate::amazon::{AmazonApp, AmazonError};
use crate::connections::Connections;
use crate::domain::AmazonAccountId;
use crate::jobs::{lease, JobContext, JobError, JobHandler, JobMessage, Outcome};
use crate::keys::Tenant;
use crate::ports::bus::{DomainEvent, EventBus};
use crate::ports::{Clock, Pacer, Secrets, Store};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The datasets a worker can sync, by dataset: given at construction, so datasets plug in
/// from outside the worker.
pub type Registry = HashMap<Dataset, Arc<dyn DatasetSync>>;

/// The longest delay a queue takes (SQS: 15 minutes); a longer wait is taken in several hops.
const MAX_DELAY: Duration = Duration::minutes(15);
/// How long a lease outlives the step's deadline (a crashed worker frees it by then).
const LEASE_SLACK: Duration = Duration::minutes(1);

/// The worker's part of a dataset's checkpoint: which run holds it and how many of its steps
/// are done. Stored in `SyncState::cursor` around the dataset's own cursor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chain {
    run: Option<String>,
    /// Steps of `run` done; the message of step `seq` is the one that runs next.
    seq: u64,
    /// The earliest the next step should run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_before: Option<DateTime<Utc>>,
    /// The last step's events, published again if its message is redelivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<Value>,
}

/// `{"worker": Chain, "dataset": <the dataset's cursor>}`.
fn split(cursor: &Value) -> (Chain, Value) {
    match cursor.get("worker").cloned().map(serde_json::from_value) {
        Some(Ok(chain)) => (chain, cursor.get("dataset").cloned().unwrap_or(Value::Null)),
        _ => (Chain::default(), cursor.clone()),
    }
}

fn join(chain: &Chain, dataset: Value) -> Value {
    json!({"worker": chain, "dataset": dataset})
}

fn event_json(e: &DomainEvent) -> Value {
    json!({"source": e.source, "detailType": e.detail_type, "detail": e.detail})
}

fn event_of(v: &Value) -> Option<DomainEvent> {
    Some(DomainEvent::new(
        v.get("source")?.as_str()?,
        v.get("detailType")?.as_str()?,
        v.get("detail")?.clone(),
    ))
}

/// Which step of which run a message is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StepOf {
    run: String,
    seq: u64,
}

impl StepOf {
    /// A continuation carries `{"run", "seq"}` and the key `<run>#<seq>`; any other message
    /// (the dispatcher's) starts the run named by its key.
    fn of(job: &JobMessage) -> Self {
        let run = job.step.get("run").and_then(Value::as_str);
        let seq = job.step.get("seq").and_then(Value::as_u64);
        match (run, seq) {
            (Some(run), Some(seq)) if job.key == key(run, seq) => Self {
                run: run.to_string(),
                seq,
            },
            _ => Self {
                run: job.key.clone(),
                seq: 0,
            },
        }
    }
}

fn key(run: &str, seq: u64) -> String {
    format!("{run}#{seq}")
}

/// The message of step `seq` of `run`.
fn continuation(job: &JobMessage, run: &str, seq: u64) -> JobMessage {
    JobMessage {
        key: key(run, seq),
        step: json!({"run": run, "seq": seq}),
        ..job.clone()
    }
}

/// What to do with a message, given the state.
enum Plan {
    /// Run the step.
    Run(Chain),
    /// The step is done and saved; its continuation (and events) may not have gone out.
    Resend(Chain),
    /// Stale or duplicate.
    Ignore(&'static str),
}

fn plan(state: &SyncState, chain: &Chain, step: &StepOf) -> Plan {
    let same_run = chain.run.as_deref() == Some(step.run.as_str());
    if same_run && step.seq + 1 == chain.seq {
        return Plan::Resend(chain.clone());
    }
    if state.status != Status::Running {
        return Plan::Ignore("the dataset is not running");
    }
    if same_run {
        return if step.seq == chain.seq {
            Plan::Run(chain.clone())
        } else {
            Plan::Ignore("a step of this run that is not the next one")
        };
    }
    // Another run's message: a newer run takes over (the dispatcher restarted a stalled
    // run); an older one's is stale. Run keys of a pair sort by their start time.
    let newer = chain.run.as_deref().is_none_or(|r| step.run.as_str() > r);
    if step.seq == 0 && newer {
        Plan::Run(Chain {
            run: Some(step.run.clone()),
            seq: 0,
            not_before: None,
            events: vec![],
        })
    } else {
        Plan::Ignore("a message of another run")
    }
}

/// The sync worker.
pub struct SyncWorker {
    store: Arc<dyn Store>,
    secrets: Arc<dyn Secrets>,
    bus: Arc<dyn EventBus>,
    app: Arc<AmazonApp>,
    pacer: Arc<dyn Pacer>,
    secret_prefix: String,
    datasets: Registry,
}

impl SyncWorker {
    pub fn new(
        store: Arc<dyn Store>,
        secrets: Arc<dyn Secrets>,
        bus: Arc<dyn EventBus>,
        app: Arc<AmazonApp>,
        pacer: Arc<dyn Pacer>,
        secret_prefix: impl Into<String>,
        datasets: Registry,
    ) -> Self {
        Self {
            store,
            secrets,
            bus,
            app,
            pacer,
            secret_prefix: secret_prefix.into(),
            datasets,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.pacer.now()
    }

    /// The lease name of a (connection, dataset).
    pub fn lease_name(connection: &str, dataset: Dataset) -> String {
        format!("sync#{connection}#{dataset}")
    }

    async fn locked(
        &self,
        job: &JobMessage,
        ctx: &JobContext,
        connection: &str,
        dataset: Dataset,
        sync: &Arc<dyn DatasetSync>,
    ) -> Result<Outcome, JobError> {
        let tenant = &ctx.tenant;
        let Some(state) = get(self.store.as_ref(), tenant, connection, dataset).await? else {
            tracing::info!("no sync state (the connection was removed); acknowledged");
            return Ok(Outcome::done());
        };
        let (chain, data) = split(&state.cursor);
        let step = StepOf::of(job);
        let chain = match plan(&state, &chain, &step) {
            Plan::Ignore(why) => {
                tracing::info!(why, run = %step.run, seq = step.seq, "sync message without effect");
                return Ok(Outcome::done());
            }
            Plan::Resend(chain) => return self.resend(job, tenant, &state, &chain).await,
            Plan::Run(chain) => chain,
        };
        let Ok(account_id) = AmazonAccountId::parse(connection) else {
            return Err(JobError::Permanent(format!(
                "{connection} is not a connection id"
            )));
        };
        let connections = Connections::new(
            self.store.as_ref(),
            self.secrets.as_ref(),
            &self.secret_prefix,
        );
        let account = match connections.find(tenant, &account_id).await {
            Ok(Some(a)) if a.is_active => a,
            Ok(_) => {
                tracing::info!("the connection is gone or inactive; acknowledged");
                return Ok(Outcome::done());
            }
            Err(e) => {
                return Err(JobError::Retry {
                    reason: e.to_string(),
                    after: None,
                })
            }
        };
        let result = match self
            .app
            .context(
                self.secrets.as_ref(),
                &connections.secret_name(&account),
                &account,
                ctx.deadline,
            )
            .await
        {
            Err(e) => Err(StepError::Amazon(e)),
            Ok(amazon) => {
                let api = self.app.sp_api(region_of(&account));
                let cx = StepContext {
                    tenant,
                    account: &account,
                    store: self.store.as_ref(),
                    api: &api,
                    amazon: &amazon,
                    pacer: &self.pacer,
                    deadline: ctx.deadline,
                };
                let inner = SyncState {
                    cursor: data.clone(),
                    ..state.clone()
                };
                sync.step(&cx, &inner).await
            }
        };
        match result {
            Ok(r) => self.save(job, tenant, &state, &step, r).await,
            Err(StepError::Amazon(AmazonError::RetryLater { at })) => {
                // Nothing done: the same checkpoint, the next step at `at`.
                let wait = (at - self.now()).max(Duration::zero());
                tracing::info!(
                    wait_s = wait.num_seconds(),
                    "Amazon asks to come back later"
                );
                let r = StepResult {
                    cursor: data,
                    progress: state.progress,
                    written: 0,
                    done: false,
                    next_in: Some(wait),
                    events: vec![],
                };
                self.save(job, tenant, &state, &step, r).await
            }
            Err(e) => self.fail(tenant, &state, &chain, e).await,
        }
    }

    /// Saves the step's checkpoint, publishes its events, and answers its continuation.
    async fn save(
        &self,
        job: &JobMessage,
        tenant: &Tenant,
        read: &SyncState,
        step: &StepOf,
        r: StepResult,
    ) -> Result<Outcome, JobError> {
        let now = self.now();
        let chain = Chain {
            run: Some(step.run.clone()),
            seq: step.seq + 1,
            not_before: r.next_in.map(|d| now + d),
            events: r.events.iter().map(event_json).collect(),
        };
        let cursor = join(&chain, r.cursor.clone());
        let mut current = read.clone();
        let saved = loop {
            let next = current.progressed(cursor.clone(), r.progress, now);
            let next = if r.done { next.finished(now) } else { next };
            if update(self.store.as_ref(), tenant, &current, next.clone()).await? {
                break next;
            }
            // Someone wrote meanwhile: a user's cancel (or a lost authorisation) wins; a
            // write that left this run's step where it was (a dispatcher restarting it) is
            // written over; anything else means another run took over.
            let Some(fresh) =
                get(self.store.as_ref(), tenant, &read.connection, read.dataset).await?
            else {
                return Ok(Outcome::done());
            };
            let (fresh_chain, _) = split(&fresh.cursor);
            let ours = fresh.status == Status::Running
                && fresh_chain.run.as_deref() == Some(step.run.as_str())
                && fresh_chain.seq == step.seq;
            if !ours {
                tracing::info!(status = ?fresh.status, "the state changed during the step; this run stops here");
                self.publish(&r.events).await?;
                return Ok(Outcome::done());
            }
            current = fresh;
        };
        tracing::info!(
            run = %step.run,
            seq = step.seq,
            written = r.written,
            steps_done = r.progress.steps_done,
            steps_total = r.progress.steps_total,
            done = r.done,
            "sync step saved"
        );
        if r.done {
            self.log_run(tenant, &saved, &step.run, RunStatus::Success, None)
                .await?;
        }
        self.publish(&r.events).await?;
        if r.done {
            return Ok(Outcome::done());
        }
        let delay = r.next_in.unwrap_or_else(Duration::zero).min(MAX_DELAY);
        Ok(Outcome::done().then(continuation(job, &step.run, step.seq + 1), delay))
    }

    /// The message of a step already saved came again: its events and its continuation may
    /// not have gone out.
    async fn resend(
        &self,
        job: &JobMessage,
        tenant: &Tenant,
        state: &SyncState,
        chain: &Chain,
    ) -> Result<Outcome, JobError> {
        let events: Vec<DomainEvent> = chain.events.iter().filter_map(event_of).collect();
        self.publish(&events).await?;
        let run = chain.run.clone().unwrap_or_default();
        match state.status {
            Status::Running => {
                let delay = chain
                    .not_before
                    .map(|t| (t - self.now()).max(Duration::zero()))
                    .unwrap_or_else(Duration::zero)
                    .min(MAX_DELAY);
                Ok(Outcome::done().then(continuation(job, &run, chain.seq), delay))
            }
            Status::Idle if state.error.is_none() => {
                // The run finished with this step: its log line (idempotent) again.
                self.log_run(tenant, state, &run, RunStatus::Success, None)
                    .await?;
                Ok(Outcome::done())
            }
            _ => Ok(Outcome::done()),
        }
    }

    async fn fail(
        &self,
        tenant: &Tenant,
        state: &SyncState,
        chain: &Chain,
        e: StepError,
    ) -> Result<Outcome, JobError> {
        let now = self.now();
        let run = chain.run.clone().unwrap_or_default();
        match e {
            StepError::Amazon(AmazonError::NeedsReauthorization(reason)) => {
                needs_reauthorization(self.store.as_ref(), tenant, &state.connection, &reason, now)
                    .await?;
                self.log_run(tenant, state, &run, RunStatus::Failed, Some(&reason))
                    .await?;
                Err(JobError::Permanent(format!(
                    "needs re-authorisation: {reason}"
                )))
            }
            StepError::Amazon(
                e @ (AmazonError::Throttled { .. }
                | AmazonError::Server { .. }
                | AmazonError::Transport { .. }
                | AmazonError::Dependency(_)
                | AmazonError::Configuration(_)
                | AmazonError::RetryLater { .. }),
            ) => Err(JobError::Retry {
                reason: e.to_string(),
                after: None,
            }),
            StepError::Store(e) => Err(e.into()),
            e @ (StepError::Amazon(_) | StepError::Permanent(_)) => {
                let reason = e.to_string();
                let failed = state.failed(reason.clone(), now);
                if !update(self.store.as_ref(), tenant, state, failed.clone()).await? {
                    tracing::info!("the state changed during the failed step; left as it is");
                }
                self.log_run(tenant, &failed, &run, RunStatus::Failed, Some(&reason))
                    .await?;
                Err(JobError::Permanent(reason))
            }
        }
    }

    /// The run's log line; its id and time come from the state, so writing it again is
    /// harmless.
    async fn log_run(
        &self,
        tenant: &Tenant,
        state: &SyncState,
        run: &str,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), JobError> {
        let completed_at = match status {
            RunStatus::Success => state.last_success_at.unwrap_or(state.updated_at),
            _ => state.updated_at,
        };
        let log = RunLog {
            id: run.to_string(),
            connection: state.connection.clone(),
            dataset: state.dataset,
            status,
            records_synced: state.progress.records_done,
            records_failed: 0,
            started_at: state.run_started_at.unwrap_or(completed_at),
            completed_at,
            error: error.map(str::to_string),
        };
        Ok(record_run(self.store.as_ref(), tenant, &log).await?)
    }

    async fn publish(&self, events: &[DomainEvent]) -> Result<(), JobError> {
        if events.is_empty() {
            return Ok(());
        }
        self.bus.publish(events).await.map_err(|e| JobError::Retry {
            reason: format!("publishing the step's events: {e}"),
            after: None,
        })
    }
}

#[async_trait]
impl JobHandler for SyncWorker {
    async fn handle(&self, job: &JobMessage, ctx: &JobContext) -> Result<Outcome, JobError> {
        if job.kind != SYNC_JOB {
            return Err(JobError::Permanent(format!(
                "the sync worker got a {} job",
                job.kind
            )));
        }
        let (Some(connection), Some(dataset)) = (job.connection.as_deref(), job.dataset.as_deref())
        else {
            return Err(JobError::Permanent(
                "a sync job names its connection and dataset".into(),
            ));
        };
        let Some(dataset) = Dataset::parse(dataset) else {
            return Err(JobError::Permanent(format!("unknown dataset {dataset}")));
        };
        let Some(sync) = self.datasets.get(&dataset).cloned() else {
            return Err(JobError::Permanent(format!(
                "this worker does not sync {dataset}"
            )));
        };
        let name = Self::lease_name(connection, dataset);
        let holder = uuid::Uuid::new_v4().to_string();
        let now = self.now();
        let hold = (ctx.deadline - now).max(Duration::zero()) + LEASE_SLACK;
        let clock: &dyn Clock = self.pacer.as_ref();
        match lease::acquire(
            self.store.as_ref(),
            clock,
            &ctx.tenant,
            &name,
            &holder,
            hold,
        )
        .await?
        {
            Ok(_) => {}
            Err(other) => {
                let wait = (other.until - now).max(Duration::seconds(5));
                tracing::info!(until = %other.until, "another worker holds this dataset; message returned");
                return Err(JobError::Retry {
                    reason: format!("{name} is being synced by another worker"),
                    after: Some(wait),
                });
            }
        }
        let result = self.locked(job, ctx, connection, dataset, &sync).await;
        if let Err(e) = lease::release(self.store.as_ref(), &ctx.tenant, &name, &holder).await {
            tracing::warn!(error = %e, "could not release the lease; it expires by itself");
        }
        result
    }
}
