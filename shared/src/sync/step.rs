//! One bounded step of one dataset's sync: the interface every dataset implements and the
//! sync worker (`job-sync-worker`) drives. A step starts from the run's checkpoint
//! (`SyncState::cursor`, the dataset's own JSON), works until its deadline at most, writes its
//! records (idempotent, newer-wins: `crate::records`), and answers where it got to.

use super::{Progress, SyncState};
use crate::amazon::{AmazonError, Context, SpApi};
use crate::connections::AmazonAccount;
use crate::keys::Tenant;
use crate::ports::bus::DomainEvent;
use crate::ports::{Pacer, Store};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// What a step works with.
pub struct StepContext<'a> {
    pub tenant: &'a Tenant,
    pub account: &'a AmazonAccount,
    pub store: &'a dyn Store,
    /// The SP-API of the connection's region.
    pub api: &'a SpApi,
    /// The connection's call context; its deadline is the step's.
    pub amazon: &'a Context,
    /// The time of every wait and every "now" (the stand-in's virtual clock in tests).
    pub pacer: &'a Arc<dyn Pacer>,
    /// When the step must have answered (the invocation's deadline less the margin to save).
    pub deadline: DateTime<Utc>,
}

impl StepContext<'_> {
    pub fn now(&self) -> DateTime<Utc> {
        self.pacer.now()
    }

    /// Time left before the deadline.
    pub fn time_left(&self) -> Duration {
        self.deadline - self.now()
    }
}

/// Where a step got to.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    /// The new checkpoint: the next step starts here.
    pub cursor: serde_json::Value,
    pub progress: Progress,
    /// Records written (new or newer) by this step.
    pub written: u64,
    /// Whether the run is complete (its cursor is then the start of the next sweep).
    pub done: bool,
    /// Wait before the next step (a report Amazon is still preparing); `None` for at once.
    pub next_in: Option<Duration>,
    /// Domain events of what changed, published by the worker after the state is saved.
    pub events: Vec<DomainEvent>,
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Amazon or a dependency failed; the worker decides from the kind (retry later, needs
    /// re-authorisation, permanent).
    #[error(transparent)]
    Amazon(#[from] AmazonError),
    #[error(transparent)]
    Store(#[from] crate::ports::store::StoreError),
    /// The dataset's own data is wrong in a way a retry will not fix.
    #[error("{0}")]
    Permanent(String),
}

/// One dataset's sync.
#[async_trait]
pub trait DatasetSync: Send + Sync {
    /// Runs one bounded step of `state`'s run, from `state.cursor` (`Null` at the first step
    /// of a connection: the backfill; after a finished run, the cursor the last one left).
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError>;
}
