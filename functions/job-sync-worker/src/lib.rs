//! The sync worker Lambda: each message of the sync queue is one bounded step of one dataset of
//! one seller connection (`shared::sync::worker::SyncWorker`), run by the job runtime, which
//! sends the step's continuation back to the same queue.
//!
//! The datasets it syncs are listed in [`registry`]; a dataset joins with one line there.

use shared::amazon::AmazonApp;
use shared::jobs::{Runtime, Settings};
use shared::ports::bus::EventBus;
use shared::ports::queue::QueueRef;
use shared::ports::{Clock, Pacer, Queue, Secrets, Store};
use shared::sync::fee_estimates::FeeEstimatesSync;
use shared::sync::inventory::InventorySync;
use shared::sync::ledger::{LedgerDetailSync, LedgerSummarySync};
use shared::sync::orders::OrdersSync;
use shared::sync::reimbursements::ReimbursementsSync;
use shared::sync::returns::{MfnReturnsSync, ReturnsSync};
use shared::sync::settlements::SettlementsSync;
use shared::sync::step::DatasetSync;
use shared::sync::transactions::TransactionsSync;
use shared::sync::worker::{Registry, SyncWorker};
use shared::sync::Dataset;
use std::sync::Arc;

/// Every dataset this worker syncs.
pub fn registry() -> Registry {
    let datasets: [(Dataset, Arc<dyn DatasetSync>); 10] = [
        (Dataset::Orders, Arc::new(OrdersSync::new())),
        (Dataset::Transactions, Arc::new(TransactionsSync::default())),
        (
            Dataset::Settlements,
            Arc::new(SettlementsSync::new(reqwest::Client::new())),
        ),
        (Dataset::FeeEstimates, Arc::new(FeeEstimatesSync::default())),
        // Inventory, ledger, returns, reimbursements.
        (Dataset::Inventory, Arc::new(InventorySync::default())),
        (
            Dataset::LedgerEvents,
            Arc::new(LedgerDetailSync::default_sync()),
        ),
        (
            Dataset::LedgerDays,
            Arc::new(LedgerSummarySync::default_sync()),
        ),
        (Dataset::Returns, Arc::new(ReturnsSync::default_sync())),
        (
            Dataset::Reimbursements,
            Arc::new(ReimbursementsSync::default_sync()),
        ),
        (
            Dataset::MfnReturns,
            Arc::new(MfnReturnsSync::default_sync()),
        ),
    ];
    datasets.into_iter().collect()
}

/// What the worker runs on (AWS adapters in Lambda, embedded ones locally and in tests).
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn Store>,
    pub queues: Arc<dyn Queue>,
    pub secrets: Arc<dyn Secrets>,
    pub bus: Arc<dyn EventBus>,
    pub amazon: Arc<AmazonApp>,
    /// Time and waits (the system clock; the stand-in's virtual clock in tests).
    pub pacer: Arc<dyn Pacer>,
}

/// The job runtime of the sync queue with the worker of [`registry`]'s datasets.
pub fn runtime(ports: &Ports, secret_prefix: &str, sync_queue: QueueRef) -> Runtime {
    runtime_with(ports, secret_prefix, sync_queue, registry())
}

/// The same with other datasets (tests, the local runner's own list).
pub fn runtime_with(
    ports: &Ports,
    secret_prefix: &str,
    sync_queue: QueueRef,
    datasets: Registry,
) -> Runtime {
    let worker = SyncWorker::new(
        ports.store.clone(),
        ports.secrets.clone(),
        ports.bus.clone(),
        ports.amazon.clone(),
        ports.pacer.clone(),
        secret_prefix,
        datasets,
    );
    let clock: Arc<dyn Clock> = ports.pacer.clone();
    Runtime::new(
        ports.store.clone(),
        ports.queues.clone(),
        clock,
        Arc::new(worker),
        Settings::new(sync_queue),
    )
}
