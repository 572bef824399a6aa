//! Sync state: for each (connection, dataset), where its import stands, what it has done of
//! how much, and when it is next due. The dispatcher reads what is due through a GSI on the
//! next-due time; the worker moves the state as it works; the sync status API reads it.
//!
//! Keys: `ACCT#<t>` / `SYNC#<connection>#<dataset>`; while scheduled, `gsi1pk` =
//! `SYNCDUE#<shard>` and `gsi1sk` = `<next due, RFC 3339>#<t>#<connection>#<dataset>`, spread
//! over [`DUE_SHARDS`] partitions so no single index partition takes every tenant's schedule.
//! Every update is guarded by the `version` it read, so two writers never both win.

pub mod fee_estimates;
pub mod inventory;
pub mod ledger;
pub mod orders;
pub mod reimbursements;
pub mod report_windows;
pub mod returns;
pub mod settlements;
pub mod step;
pub mod transactions;
pub mod worker;

use crate::domain::TenantId;
use crate::identity::tenancy;
use crate::jobs::JobMessage;
use crate::keys::{self, Tenant};
use crate::ports::queue::{Queue, QueueRef};
use crate::ports::store::{
    query_all, rfc3339, Condition, Index, Item, ItemBuilder, ItemExt, Query, SortKey, Store,
    StoreError, Value,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Index partitions of the due schedule.
pub const DUE_SHARDS: u32 = 8;

/// A run that has not moved for this long is taken to have lost its worker (a message in a
/// dead-letter queue, a crash between steps) and is started again from its checkpoint.
pub const STALL: Duration = Duration::hours(1);

/// What is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    Orders,
    Transactions,
    Settlements,
    FeeEstimates,
    // Inventory, ledger, returns, reimbursements.
    Inventory,
    LedgerEvents,
    LedgerDays,
    Returns,
    Reimbursements,
    MfnReturns,
}

impl Dataset {
    pub const ALL: [Dataset; 10] = [
        Dataset::Orders,
        Dataset::Transactions,
        Dataset::Settlements,
        Dataset::FeeEstimates,
        Dataset::Inventory,
        Dataset::LedgerEvents,
        Dataset::LedgerDays,
        Dataset::Returns,
        Dataset::Reimbursements,
        Dataset::MfnReturns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Orders => "orders",
            Dataset::Transactions => "transactions",
            Dataset::Settlements => "settlements",
            Dataset::FeeEstimates => "fee-estimates",
            Dataset::Inventory => "inventory",
            Dataset::LedgerEvents => "ledger-events",
            Dataset::LedgerDays => "ledger-days",
            Dataset::Returns => "returns",
            Dataset::Reimbursements => "reimbursements",
            Dataset::MfnReturns => "returns-mfn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// How often a sweep runs once the backfill is done (notifications keep it fresher).
    pub fn cadence(self) -> Duration {
        match self {
            Dataset::Orders => Duration::minutes(15),
            Dataset::Transactions => Duration::hours(1),
            Dataset::Settlements => Duration::hours(24),
            Dataset::FeeEstimates => Duration::hours(1),
            Dataset::Inventory => Duration::hours(1),
            Dataset::LedgerEvents
            | Dataset::LedgerDays
            | Dataset::Returns
            | Dataset::Reimbursements
            | Dataset::MfnReturns => Duration::hours(24),
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a dataset's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Waiting for its next run.
    Idle,
    /// Handed to a worker, or between two steps of one run.
    Running,
    /// Amazon refused the authorisation: nothing runs until the seller reconnects.
    NeedsReauthorization,
    /// Stopped by the user.
    Cancelled,
    /// The last run failed for good; the error-recovery API can retry it.
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "IDLE",
            Status::Running => "RUNNING",
            Status::NeedsReauthorization => "NEEDS_REAUTHORIZATION",
            Status::Cancelled => "CANCELLED",
            Status::Failed => "FAILED",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Status::Idle,
            Status::Running,
            Status::NeedsReauthorization,
            Status::Cancelled,
            Status::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// How far a run has come, for the progress bar and its ETA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Steps (report windows, pages, documents) done and planned.
    pub steps_done: u64,
    pub steps_total: u64,
    /// Records written so far, and the estimate of all.
    pub records_done: u64,
    pub records_estimate: u64,
}

impl Progress {
    /// The estimated end, from the pace so far; `None` before the first step or when done.
    pub fn eta(&self, started: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.steps_done == 0 || self.steps_done >= self.steps_total {
            return None;
        }
        let per_step = (now - started).num_milliseconds() / self.steps_done as i64;
        let left = (self.steps_total - self.steps_done) as i64;
        Some(now + Duration::milliseconds(per_step.saturating_mul(left)))
    }
}

/// One dataset of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    pub tenant: TenantId,
    pub connection: String,
    pub dataset: Dataset,
    pub status: Status,
    /// The run's checkpoint, the worker's own.
    pub cursor: serde_json::Value,
    pub progress: Progress,
    /// Whether the history backfill is complete (later runs are sweeps).
    pub backfilled: bool,
    pub run_started_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_due: DateTime<Utc>,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
    version: String,
}

impl SyncState {
    /// When the dispatcher should next look at it: when due while waiting, when stalled
    /// while running, never while it needs the seller or was cancelled.
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            Status::Idle | Status::Failed => Some(self.next_due),
            Status::Running => Some(self.updated_at + STALL),
            Status::NeedsReauthorization | Status::Cancelled => None,
        }
    }

    /// After a step: the new checkpoint and progress; still running.
    pub fn progressed(
        &self,
        cursor: serde_json::Value,
        progress: Progress,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            status: Status::Running,
            cursor,
            progress,
            updated_at: now,
            ..self.clone()
        }
    }

    /// A run that is complete: the backfill is done, and the next sweep is a cadence away.
    pub fn finished(&self, now: DateTime<Utc>) -> Self {
        Self {
            status: Status::Idle,
            backfilled: true,
            last_success_at: Some(now),
            next_due: now + self.dataset.cadence(),
            error: None,
            updated_at: now,
            ..self.clone()
        }
    }

    /// A run that failed for good; the next sweep tries again.
    pub fn failed(&self, error: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            status: Status::Failed,
            error: Some(error.into()),
            next_due: now + self.dataset.cadence(),
            updated_at: now,
            ..self.clone()
        }
    }

    /// Amazon refused the seller's authorisation: nothing runs until they reconnect.
    pub fn needs_reauthorization(&self, reason: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            status: Status::NeedsReauthorization,
            error: Some(reason.into()),
            updated_at: now,
            ..self.clone()
        }
    }

    /// Stopped by the user; a new trigger makes it due again.
    pub fn cancelled(&self, now: DateTime<Utc>) -> Self {
        Self {
            status: Status::Cancelled,
            updated_at: now,
            ..self.clone()
        }
    }

    /// Due now (a user's "sync now", a reconnect, a retry).
    pub fn due_now(&self, now: DateTime<Utc>) -> Self {
        Self {
            status: Status::Idle,
            next_due: now,
            error: None,
            updated_at: now,
            ..self.clone()
        }
    }

    /// The idempotency key of the run that starts at `wake`: the same for every dispatcher
    /// that finds it due at the same point.
    pub fn run_key(&self, wake: DateTime<Utc>) -> String {
        format!(
            "sync:{}:{}:{}",
            self.connection,
            self.dataset,
            rfc3339(wake)
        )
    }
}

fn shard(tenant: &TenantId, connection: &str) -> u32 {
    // A stable spread (FNV-1a), not a security property.
    let mut h: u32 = 0x811c9dc5;
    for b in tenant.to_string().bytes().chain(connection.bytes()) {
        h ^= b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    h % DUE_SHARDS
}

fn due_pk(shard: u32) -> String {
    format!("SYNCDUE#{shard}")
}

impl SyncState {
    fn to_item(&self, tenant: &Tenant) -> Item {
        let mut b = ItemBuilder::at(
            keys::tenant(tenant).sync_state(&self.connection, self.dataset.as_str()),
        )
        .s("connection", self.connection.clone())
        .s("dataset", self.dataset.as_str())
        .s("status", self.status.as_str())
        .s("cursor", self.cursor.to_string())
        .s(
            "progress",
            serde_json::to_string(&self.progress).unwrap_or_default(),
        )
        .flag("backfilled", self.backfilled)
        .opt_time("runStartedAt", self.run_started_at)
        .opt_time("lastSuccessAt", self.last_success_at)
        .time("nextDue", self.next_due)
        .opt_s("error", self.error.clone())
        .time("updatedAt", self.updated_at)
        .s("tenant", self.tenant.to_string())
        .s("version", self.version.clone());
        if let Some(wake) = self.wake_at() {
            b = b
                .s("gsi1pk", due_pk(shard(&self.tenant, &self.connection)))
                .s(
                    "gsi1sk",
                    format!(
                        "{}#{}#{}#{}",
                        rfc3339(wake),
                        self.tenant,
                        self.connection,
                        self.dataset
                    ),
                );
        }
        b.build()
    }

    fn from_item(tenant: &Tenant, item: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(f.to_string());
        Ok(Self {
            tenant: tenant.id().clone(),
            connection: item.s("connection")?,
            dataset: Dataset::parse(&item.s("dataset")?).ok_or_else(|| corrupt("dataset"))?,
            status: Status::parse(&item.s("status")?).ok_or_else(|| corrupt("status"))?,
            cursor: serde_json::from_str(&item.s("cursor")?).map_err(|_| corrupt("cursor"))?,
            progress: serde_json::from_str(&item.s("progress")?)
                .map_err(|_| corrupt("progress"))?,
            backfilled: item.flag("backfilled"),
            run_started_at: item.opt_time("runStartedAt"),
            last_success_at: item.opt_time("lastSuccessAt"),
            next_due: item.time("nextDue")?,
            error: item.opt_s("error"),
            updated_at: item.time("updatedAt")?,
            version: item.s("version")?,
        })
    }
}

/// A due (connection, dataset), as the dispatcher finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub tenant: TenantId,
    pub connection: String,
    pub dataset: Dataset,
}

/// Creates the state of every dataset of a new connection, due now (the backfill starts);
/// existing states are left as they are.
pub async fn register(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for dataset in Dataset::ALL {
        let state = SyncState {
            tenant: tenant.id().clone(),
            connection: connection.to_string(),
            dataset,
            status: Status::Idle,
            cursor: serde_json::Value::Null,
            progress: Progress::default(),
            backfilled: false,
            run_started_at: None,
            last_success_at: None,
            next_due: now,
            error: None,
            updated_at: now,
            version: uuid::Uuid::new_v4().to_string(),
        };
        match store
            .put(state.to_item(tenant), Some(Condition::NotExists))
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Removes every dataset state of a connection (it was disconnected): the dispatcher finds
/// nothing due for it any more, and a worker holding a message for it finds no state.
pub async fn remove_connection(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
) -> Result<(), StoreError> {
    for dataset in Dataset::ALL {
        store
            .delete(
                &keys::tenant(tenant).sync_state(connection, dataset.as_str()),
                None,
            )
            .await?;
    }
    Ok(())
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
    dataset: Dataset,
) -> Result<Option<SyncState>, StoreError> {
    store
        .get(&keys::tenant(tenant).sync_state(connection, dataset.as_str()))
        .await?
        .map(|i| SyncState::from_item(tenant, &i))
        .transpose()
}

/// Every dataset state of the tenant (all connections), for the status API.
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<SyncState>, StoreError> {
    query_all(store, keys::tenant(tenant).sync_states())
        .await?
        .iter()
        .map(|i| SyncState::from_item(tenant, i))
        .collect()
}

/// Writes `next` if the stored state is still the one `current` was read as; `Ok(false)`
/// when someone else changed it first (re-read and decide again).
pub async fn update(
    store: &dyn Store,
    tenant: &Tenant,
    current: &SyncState,
    next: SyncState,
) -> Result<bool, StoreError> {
    let mut next = next;
    next.version = uuid::Uuid::new_v4().to_string();
    match store
        .put(
            next.to_item(tenant),
            Some(Condition::Equals(
                "version".into(),
                Value::S(current.version.clone()),
            )),
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What is due at `now`, oldest first, at most `limit` (one index page per shard).
pub async fn due(
    store: &dyn Store,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Due>, StoreError> {
    let mut out = Vec::new();
    // `~` sorts after every character of the rest of the sort key.
    let upto = format!("{}~", rfc3339(now));
    for s in 0..DUE_SHARDS {
        let page = store
            .query(
                Query::partition(Index::Gsi1, due_pk(s))
                    .sk(SortKey::Le(upto.clone()))
                    .limit(limit),
            )
            .await?;
        for i in page.items {
            let tenant = TenantId::parse(&i.s("tenant")?)
                .map_err(|_| StoreError::Corrupt("tenant".into()))?;
            let dataset = Dataset::parse(&i.s("dataset")?)
                .ok_or_else(|| StoreError::Corrupt("dataset".into()))?;
            out.push(Due {
                tenant,
                connection: i.s("connection")?,
                dataset,
            });
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// Starts every run that is due: sends its job message, then marks it running. The message
/// goes first, so a fault in between leaves a run that is sent twice, never one that is lost:
/// both copies carry the same idempotency key, and the dataset's lease keeps them from running
/// at once. Returns the runs started.
pub async fn dispatch(
    store: &dyn Store,
    queues: &dyn Queue,
    queue: &QueueRef,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<JobMessage>, DispatchError> {
    let mut started = Vec::new();
    for d in due(store, now, limit).await? {
        let Some(tenant) = tenancy::existing(store, &d.tenant)
            .await
            .map_err(|e| DispatchError::Store(StoreError::Unavailable(e.to_string())))?
        else {
            tracing::warn!(tenant = %d.tenant, connection = %d.connection, "sync state of a deleted account skipped");
            continue;
        };
        let Some(state) = get(store, &tenant, &d.connection, d.dataset).await? else {
            continue;
        };
        let Some(wake) = state.wake_at().filter(|w| *w <= now) else {
            continue;
        };
        let message = JobMessage::new(SYNC_JOB, &tenant, state.run_key(wake))
            .connection(state.connection.clone())
            .dataset(state.dataset.as_str())
            .step(state.cursor.clone());
        let body =
            serde_json::to_string(&message).map_err(|e| DispatchError::Queue(e.to_string()))?;
        queues
            .send(queue, &body, Duration::zero())
            .await
            .map_err(|e| DispatchError::Queue(e.to_string()))?;
        let next = SyncState {
            status: Status::Running,
            run_started_at: if state.status == Status::Running {
                state.run_started_at
            } else {
                Some(now)
            },
            error: None,
            updated_at: now,
            ..state.clone()
        };
        if update(store, &tenant, &state, next).await? {
            tracing::info!(tenant = %d.tenant, connection = %d.connection, dataset = %d.dataset, "sync run started");
            started.push(message);
        }
    }
    Ok(started)
}

/// The job kind of sync steps.
pub const SYNC_JOB: &str = "sync";

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("queue: {0}")]
    Queue(String),
}

/// How a finished run went, for the sync log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Success,
    Partial,
    Failed,
}

/// One finished run of a dataset (`GET /api/amazon/sync-logs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunLog {
    pub id: String,
    pub connection: String,
    pub dataset: Dataset,
    pub status: RunStatus,
    pub records_synced: u64,
    pub records_failed: u64,
    pub started_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    pub error: Option<String>,
}

/// How long run logs are kept.
pub const RUN_LOG_DAYS: i64 = 180;

/// Writes a run's log line (idempotent by the run's id).
pub async fn record_run(
    store: &dyn Store,
    tenant: &Tenant,
    log: &RunLog,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(log).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let item = ItemBuilder::at(keys::tenant(tenant).sync_run(&rfc3339(log.completed_at), &log.id))
        .s("run", body)
        .ttl(log.completed_at + Duration::days(RUN_LOG_DAYS))
        .build();
    store.put(item, None).await
}

/// The newest run logs, optionally of one connection and dataset, at most `limit`.
pub async fn runs(
    store: &dyn Store,
    tenant: &Tenant,
    connection: Option<&str>,
    dataset: Option<Dataset>,
    limit: usize,
) -> Result<Vec<RunLog>, StoreError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                keys::tenant(tenant)
                    .sync_runs()
                    .backward()
                    .limit(100)
                    .after(cursor),
            )
            .await?;
        for i in &page.items {
            let log: RunLog = serde_json::from_str(&i.s("run")?)
                .map_err(|_| StoreError::Corrupt("run".into()))?;
            if connection.is_some_and(|c| c != log.connection)
                || dataset.is_some_and(|d| d != log.dataset)
            {
                continue;
            }
            out.push(log);
            if out.len() >= limit {
                return Ok(out);
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Amazon refused a connection's authorisation (`invalid_grant`, an `APPLICATION_OAUTH`
/// revocation): marks every dataset of the connection "needs re-authorisation", so none of
/// them runs (the dispatcher skips them) until the seller reconnects. Datasets already marked
/// are left as they are. Returns how many were marked.
pub async fn needs_reauthorization(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut marked = 0;
    for dataset in Dataset::ALL {
        let changed = modify(store, tenant, connection, dataset, |s| {
            (s.status != Status::NeedsReauthorization).then(|| s.needs_reauthorization(reason, now))
        })
        .await?;
        if changed {
            marked += 1;
        }
    }
    if marked > 0 {
        tracing::warn!(tenant = %tenant, connection, reason, "connection needs re-authorisation; its syncs are stopped");
    }
    Ok(marked)
}

/// Reads a dataset's state and writes what `change` makes of it, again on a version conflict
/// (a worker moved it meanwhile), up to three reads. `change` answers `None` to leave it as it
/// is. Returns whether a change was written; `false` also when there is no such state.
pub async fn modify(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
    dataset: Dataset,
    change: impl Fn(&SyncState) -> Option<SyncState>,
) -> Result<bool, StoreError> {
    for _ in 0..3 {
        let Some(current) = get(store, tenant, connection, dataset).await? else {
            return Ok(false);
        };
        let Some(next) = change(&current) else {
            return Ok(false);
        };
        if update(store, tenant, &current, next).await? {
            return Ok(true);
        }
    }
    Err(StoreError::ConditionFailed)
}
