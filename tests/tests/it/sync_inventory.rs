//! The inventory datasets (FBA stock, the ledger's events and daily stock, customer returns,
//! reimbursements with their reversals) synced by the worker against the stand-in on its
//! virtual clock, and compared with the stand-in's ground truth record for record
//! ([`assert_inventory_matches`], also called by the end-to-end test). Reports that end FATAL
//! or CANCELLED and documents cut short are retried and lose nothing; a window FATAL every
//! time fails the run naming it; duplicate and out-of-order `FBA_INVENTORY_AVAILABILITY_CHANGES`
//! leave the newest stock, also when written at once on both store adapters.

use super::amazon_client::Virtual;
use super::jobs::{on_dynamodb, tenant_in};
use super::sync_worker::{shuffle, Recorder};
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use job_sync_worker::Ports;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore};
use shared::amazon::AmazonSettings;
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::jobs::{self, Runtime};
use shared::keys::Tenant;
use shared::ports::queue::{Queue, QueueRef, Received};
use shared::ports::store::{query_all, Index, Item, Query, SortKey, Value as StoreValue};
use shared::ports::{Clock, FixedClock, Pacer, Store};
use shared::records::inventory as inv_records;
use shared::records::ledger::{self as ledger_records, LedgerDay};
use shared::records::reimbursements as reimb_records;
use shared::records::returns as return_records;
use shared::sync::{self, Dataset, Status};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const SECRET_PREFIX: &str = "test/";
const VISIBILITY: Duration = Duration::minutes(20);
const BUDGET: Duration = Duration::minutes(14);

/// The datasets of this file.
pub(crate) const INVENTORY_DATASETS: [Dataset; 6] = [
    Dataset::Inventory,
    Dataset::LedgerEvents,
    Dataset::LedgerDays,
    Dataset::Returns,
    Dataset::Reimbursements,
    Dataset::MfnReturns,
];

type EventKey = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
);

/// The stored inventory, ledger, returns and reimbursements of `tenant` equal the stand-in's
/// ground truth for `marketplaces` since `since` (the backfill's reach), record for record:
/// stock per SKU and marketplace (every figure), every ledger event (identical rows as many
/// times as Amazon lists them), each SKU's stock at the end of every day, every return, every
/// reimbursement and reversal with its money.
pub async fn assert_inventory_matches(
    store: &dyn Store,
    tenant: &Tenant,
    st: &StandIn,
    marketplaces: &[String],
    since: DateTime<Utc>,
) {
    let s = &st.seller;
    let ours = |m: &str| marketplaces.iter().any(|x| x == m);
    let sku = |p: usize| s.products[p].sku.clone();
    // Names as each marketplace's files print them: Japanese in the Shift_JIS files of JP,
    // quotes inside the fully quoted summary view unescaped.
    let name_of = |sku: &str, marketplace: &str| -> String {
        let p = s.products.iter().find(|p| p.sku == sku).expect("a product");
        if marketplace == "A1VC38T7YXB528" {
            p.title_ja.clone()
        } else {
            p.title.clone()
        }
    };

    // FBA stock per SKU and marketplace.
    let stored: BTreeMap<(String, String), [i64; 7]> = inv_records::all(store, tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.marketplace_id.clone(), r.sku.clone()), r.figures()))
        .collect();
    let truth: BTreeMap<(String, String), [i64; 7]> = s
        .inventory
        .iter()
        .filter(|i| ours(i.marketplace_id))
        .map(|i| {
            (
                (i.marketplace_id.to_string(), sku(i.product)),
                [
                    i.fulfillable,
                    i.inbound_working,
                    i.inbound_shipped,
                    i.inbound_receiving,
                    i.reserved,
                    i.unfulfillable,
                    i.researching,
                ],
            )
        })
        .collect();
    assert!(!truth.is_empty());
    assert_eq!(stored, truth, "FBA stock per marketplace and SKU");

    // Every ledger event, identical rows counted.
    let mut stored: BTreeMap<EventKey, usize> = BTreeMap::new();
    for e in ledger_records::events(store, tenant).await.unwrap() {
        assert_eq!(e.title, name_of(&e.sku, &e.marketplace_id), "ledger title");
        let at = e.at.expect("Date and Time");
        assert_eq!(e.date, at.date_naive(), "Date is the day of Date and Time");
        *stored
            .entry((
                e.marketplace_id,
                shared::ports::store::rfc3339(at),
                e.sku,
                e.fnsku,
                e.event_type,
                e.reference_id,
                e.quantity,
                e.fulfillment_center,
                e.disposition,
                e.reason,
            ))
            .or_default() += 1;
    }
    let mut truth: BTreeMap<EventKey, usize> = BTreeMap::new();
    for e in s
        .ledger
        .iter()
        .filter(|e| ours(e.marketplace_id) && e.date >= since)
    {
        *truth
            .entry((
                e.marketplace_id.to_string(),
                shared::ports::store::rfc3339(e.date),
                sku(e.product),
                s.products[e.product].fnsku.clone(),
                e.event_type.to_string(),
                e.reference_id.clone(),
                e.quantity,
                e.fulfillment_center.to_string(),
                e.disposition.to_string(),
                e.reason.to_string(),
            ))
            .or_default() += 1;
    }
    assert!(
        truth.values().any(|n| *n > 1),
        "the ledger has identical rows"
    );
    assert_eq!(stored, truth, "every ledger event");

    // Stock per SKU, marketplace and day: a row on each day with events, the balance carried
    // on every other day.
    let mut by_sku: BTreeMap<(String, String), Vec<LedgerDay>> = BTreeMap::new();
    for d in ledger_records::days(store, tenant).await.unwrap() {
        assert_eq!(d.title, name_of(&d.sku, &d.marketplace_id), "summary title");
        by_sku
            .entry((d.marketplace_id.clone(), d.sku.clone()))
            .or_default()
            .push(d);
    }
    let mut moves: BTreeMap<(String, String), BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    for e in s.ledger.iter().filter(|e| ours(e.marketplace_id)) {
        *moves
            .entry((e.marketplace_id.to_string(), sku(e.product)))
            .or_default()
            .entry(e.date.date_naive())
            .or_default() += e.quantity;
    }
    let first_day = since.date_naive();
    let mut rows_truth: BTreeMap<(String, String, NaiveDate), (i64, i64)> = BTreeMap::new();
    for (key, days) in &moves {
        let mut balance = 0;
        for (day, moved) in days {
            if *day >= first_day {
                rows_truth.insert(
                    (key.0.clone(), key.1.clone(), *day),
                    (balance, balance + moved),
                );
            }
            balance += moved;
        }
    }
    let rows_stored: BTreeMap<(String, String, NaiveDate), (i64, i64)> = by_sku
        .values()
        .flatten()
        .map(|d| {
            assert_eq!(
                d.starting_balance
                    + d.receipts
                    + d.customer_shipments
                    + d.customer_returns
                    + d.vendor_returns
                    + d.warehouse_transfers
                    + d.found
                    + d.lost
                    + d.damaged
                    + d.disposed
                    + d.other_events
                    + d.unknown_events,
                d.ending_balance,
                "a daily row balances"
            );
            (
                (d.marketplace_id.clone(), d.sku.clone(), d.date),
                (d.starting_balance, d.ending_balance),
            )
        })
        .collect();
    assert_eq!(
        rows_stored, rows_truth,
        "each SKU's stock on each day it moved"
    );
    let last_day = s.spec.end.date_naive();
    for (key, days) in &moves {
        let rows = by_sku.get(key).map(Vec::as_slice).unwrap_or_default();
        let mut day = first_day;
        while day <= last_day {
            let truth: i64 = days.range(..=day).map(|(_, q)| q).sum();
            assert_eq!(
                ledger_records::stock_on(rows, day),
                truth,
                "stock of {key:?} on {day}"
            );
            day = day.succ_opt().unwrap();
        }
    }

    // Every customer return: FBA ones, then merchant-fulfilled ones.
    let all_returns = return_records::all(store, tenant).await.unwrap();
    let (fba, mfn): (Vec<_>, Vec<_>) = all_returns
        .into_iter()
        .partition(|r| r.fulfillment == "AFN");
    let mut stored: Vec<_> = mfn
        .iter()
        .map(|r| {
            assert_eq!(
                r.product_name,
                s.products.iter().find(|p| p.sku == r.sku).unwrap().title
            );
            (
                r.marketplace_id.clone(),
                r.order_id.clone(),
                r.sku.clone(),
                r.quantity,
                r.return_date,
                r.rma_id.clone(),
                r.reason.clone(),
                r.refunded_amount,
                r.currency.clone(),
            )
        })
        .collect();
    stored.sort();
    let mut truth: Vec<_> = amazon_stand_in::mfn_returns::mfn_returns(s)
        .into_iter()
        .filter(|r| ours(r.marketplace_id) && r.request_date >= since)
        .map(|r| {
            (
                r.marketplace_id.to_string(),
                r.order_id.clone(),
                sku(r.product),
                r.quantity,
                r.request_date,
                Some(r.rma_id.clone()),
                r.reason.to_string(),
                Some(r.refunded),
                Some(r.currency.to_string()),
            )
        })
        .collect();
    truth.sort();
    assert!(!truth.is_empty());
    assert_eq!(stored, truth, "every merchant-fulfilled return");
    let mut stored: Vec<_> = fba
        .into_iter()
        .map(|r| {
            assert_eq!(
                r.product_name,
                name_of(&r.sku, &r.marketplace_id),
                "return's product"
            );
            (
                r.marketplace_id,
                r.order_id,
                r.sku,
                r.quantity,
                r.return_date,
                r.disposition,
                r.reason,
                r.license_plate,
                r.fulfillment_center,
            )
        })
        .collect();
    stored.sort();
    let mut truth: Vec<_> = s
        .returns
        .iter()
        .filter(|r| ours(r.marketplace_id) && r.return_date >= since)
        .map(|r| {
            (
                r.marketplace_id.to_string(),
                r.order_id.clone(),
                sku(r.product),
                r.quantity,
                r.return_date,
                r.disposition.to_string(),
                r.reason.to_string(),
                r.license_plate.clone(),
                r.fulfillment_center.to_string(),
            )
        })
        .collect();
    truth.sort();
    assert!(!truth.is_empty());
    assert_eq!(stored, truth, "every customer return");

    // Every reimbursement and reversal, with its money.
    type Reimb = (
        String,
        String,
        String,
        DateTime<Utc>,
        Option<String>,
        String,
        String,
        Decimal,
        Option<Decimal>,
        i64,
        Option<String>,
        Option<String>,
    );
    let mut stored: Vec<Reimb> = reimb_records::all(store, tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            assert_eq!(
                r.product_name,
                name_of(&r.sku, &r.marketplace_id),
                "reimbursed product"
            );
            (
                r.marketplace_id,
                r.reimbursement_id,
                r.sku,
                r.approval_date,
                r.order_id,
                r.reason,
                r.currency,
                r.amount_total,
                r.amount_per_unit,
                r.quantity_total,
                r.original_reimbursement_id,
                r.original_reimbursement_type,
            )
        })
        .collect();
    stored.sort();
    let mut truth: Vec<Reimb> = s
        .reimbursements
        .iter()
        .filter(|r| ours(r.marketplace_id) && r.approval_date >= since)
        .map(|r| {
            (
                r.marketplace_id.to_string(),
                r.id.clone(),
                sku(r.product),
                r.approval_date,
                r.order_id.clone(),
                r.reason.to_string(),
                r.currency.to_string(),
                r.amount_total,
                Some(r.amount_per_unit),
                r.quantity,
                r.original.as_ref().map(|o| o.0.clone()),
                r.original.as_ref().map(|o| o.1.to_string()),
            )
        })
        .collect();
    truth.sort();
    assert!(
        truth.iter().any(|r| r.7 < Decimal::ZERO && r.9 < 0),
        "the ground truth has reversals"
    );
    assert_eq!(stored, truth, "every reimbursement and reversal");
}

// ------------------------------------------------------------------ the worker's world

struct World {
    st: Arc<StandIn>,
    store: Arc<dyn Store>,
    queues: Arc<Recorder>,
    inner: Arc<EmbeddedQueue>,
    q: QueueRef,
    tenant: Tenant,
    conn: String,
    marketplaces: Vec<String>,
    runtime: Runtime,
}

/// A seller connected with only `datasets` enabled (the others cancelled).
async fn world(spec: SellerSpec, datasets: &[Dataset]) -> World {
    let st = StandIn::virtual_clock(generate(&spec), false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let inner = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = inner.declare("sync", Some(("sync-dlq", 10)));
    let queues = Arc::new(Recorder {
        inner: inner.clone(),
        sent: Mutex::default(),
    });
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let now = clock.now();
    let tenant = tenant_in(store.as_ref(), now).await;
    let marketplaces: Vec<String> = st
        .seller
        .marketplaces
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    let account = AmazonAccount::new(
        &tenant,
        "US",
        st.seller.seller_id.clone(),
        "NA",
        marketplaces.clone(),
        now,
    );
    Connections::new(store.as_ref(), secrets.as_ref(), SECRET_PREFIX)
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from(st.issue_refresh_token())),
        )
        .await
        .unwrap();
    let conn = account.id.as_str().to_string();
    sync::register(store.as_ref(), &tenant, &conn, now)
        .await
        .unwrap();
    for d in Dataset::ALL.into_iter().filter(|d| !datasets.contains(d)) {
        sync::modify(store.as_ref(), &tenant, &conn, d, |s| {
            Some(s.cancelled(now))
        })
        .await
        .unwrap();
    }
    let amazon = amazon_stand_in::client::our_app(
        &st,
        &base,
        store.clone(),
        pacer.clone(),
        AmazonSettings::default(),
    );
    let ports = Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets,
        bus: Arc::new(EmbeddedBus::new(inner.clone(), clock.clone())),
        amazon,
        pacer,
    };
    let runtime = job_sync_worker::runtime(&ports, SECRET_PREFIX, q.clone());
    World {
        st,
        store,
        queues,
        inner,
        q,
        tenant,
        conn,
        marketplaces,
        runtime,
    }
}

impl World {
    async fn dispatch(&self) -> usize {
        sync::dispatch(
            self.store.as_ref(),
            self.queues.as_ref(),
            &self.q,
            self.st.now(),
            100,
        )
        .await
        .unwrap()
        .len()
    }

    /// Runs until the sync queue is empty, moving time on while only delayed messages wait.
    async fn drain(&self) {
        for _ in 0..200_000 {
            let n = jobs::poll_once(&self.runtime, self.queues.as_ref(), VISIBILITY, BUDGET)
                .await
                .unwrap();
            if n > 0 {
                continue;
            }
            if self.queues.stats(&self.q).await.unwrap().total() == 0 {
                return;
            }
            self.st.advance(Duration::seconds(15));
        }
        panic!("the sync queue never emptied");
    }

    async fn state(&self, d: Dataset) -> sync::SyncState {
        sync::get(self.store.as_ref(), &self.tenant, &self.conn, d)
            .await
            .unwrap()
            .unwrap()
    }

    async fn dump(&self) -> BTreeMap<String, Item> {
        let q = Query::partition(Index::Table, shared::keys::pk(&self.tenant)).sk(SortKey::Any);
        query_all(self.store.as_ref(), q)
            .await
            .unwrap()
            .into_iter()
            .map(|i| {
                (
                    i.get("sk").and_then(StoreValue::as_s).unwrap().to_string(),
                    i,
                )
            })
            .collect()
    }
}

fn fault(op: &str, kind: FaultKind, every: u32, times: Option<u32>) -> FaultRule {
    FaultRule {
        operation: Some(op.into()),
        kind,
        every,
        times,
        seen: 0,
        fired: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_ledger_returns_and_reimbursements_backfill_to_the_ground_truth_through_faults() {
    // North America and two marketplaces whose files are not UTF-8 with a decimal point.
    let w = world(
        SellerSpec {
            orders: 1_500,
            marketplaces: ["US", "DE", "JP"].map(String::from).to_vec(),
            ..Default::default()
        },
        &INVENTORY_DATASETS,
    )
    .await;
    // Reports that end FATAL or CANCELLED (fewer times than a window is asked for), documents
    // cut half-way, throttled and failing calls.
    w.st.add_fault(fault("createReport", FaultKind::ReportFatal, 1, Some(2)));
    w.st.add_fault(fault(
        "createReport",
        FaultKind::ReportCancelled,
        5,
        Some(2),
    ));
    w.st.add_fault(fault(
        "downloadReportDocument",
        FaultKind::Truncate,
        3,
        Some(4),
    ));
    w.st.add_fault(fault(
        "getReport",
        FaultKind::Status { code: 429 },
        4,
        Some(10),
    ));
    w.st.add_fault(fault(
        "getInventorySummaries",
        FaultKind::Status { code: 503 },
        2,
        Some(2),
    ));
    let since = w.st.now() - Duration::days(730);
    assert_eq!(w.dispatch().await, INVENTORY_DATASETS.len());
    w.drain().await;
    for d in INVENTORY_DATASETS {
        let s = w.state(d).await;
        assert!(
            s.status == Status::Idle && s.backfilled,
            "{d}: {:?} {:?}",
            s.status,
            s.error
        );
        assert_eq!(s.progress.steps_done, s.progress.steps_total, "{d}");
    }
    assert_inventory_matches(w.store.as_ref(), &w.tenant, &w.st, &w.marketplaces, since).await;
    let stats = w.st.stats();
    assert_eq!(
        stats["downloadReportDocument"].faults, 4,
        "every cut document was met"
    );
    // Four windowed reports, three marketplaces, 25 windows of 30 days; four asked again.
    assert!(
        stats["createReport"].calls >= 4 * 3 * 25 + 4,
        "{:?}",
        stats["createReport"]
    );
    let failures = jobs::failures(w.store.as_ref(), &w.tenant).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");

    // Every message of the run delivered twice more, shuffled: nothing changes.
    let before = w.dump().await;
    let sent: Vec<(QueueRef, String)> = w.queues.sent.lock().unwrap().clone();
    let mut again: Vec<(QueueRef, String)> = sent.iter().chain(sent.iter()).cloned().collect();
    shuffle(&mut again, 11);
    for (queue, body) in &again {
        w.inner.send(queue, body, Duration::zero()).await.unwrap();
    }
    for _ in 0..again.len() + 10 {
        if jobs::poll_once(&w.runtime, w.inner.as_ref(), VISIBILITY, BUDGET)
            .await
            .unwrap()
            == 0
        {
            break;
        }
    }
    assert_eq!(
        w.dump().await,
        before,
        "redelivered messages changed nothing"
    );

    // A day later the daily runs read the last days again: nothing new, nothing lost.
    w.st.advance(Duration::hours(25));
    assert_eq!(w.dispatch().await, INVENTORY_DATASETS.len());
    w.drain().await;
    assert_inventory_matches(w.store.as_ref(), &w.tenant, &w.st, &w.marketplaces, since).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_fatal_every_time_fails_the_run_naming_it_and_a_cancelled_one_is_empty() {
    let w = world(
        SellerSpec {
            orders: 200,
            marketplaces: vec!["US".into()],
            ..Default::default()
        },
        &[Dataset::Reimbursements],
    )
    .await;
    w.st.add_fault(fault("createReport", FaultKind::ReportFatal, 1, None));
    assert_eq!(w.dispatch().await, 1);
    w.drain().await;
    let state = w.state(Dataset::Reimbursements).await;
    assert_eq!(state.status, Status::Failed);
    let error = state.error.clone().unwrap();
    assert!(
        error.contains("reimbursements report (GET_FBA_REIMBURSEMENTS_DATA) of ATVPDKIKX0DER from")
            && error.contains("ended FATAL 3 times"),
        "{error}"
    );
    let failures = jobs::failures(w.store.as_ref(), &w.tenant).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].permanent);

    // Amazon cancels every report (its answer for "no data" too): each window counts as
    // empty, the run completes and stores nothing.
    w.st.clear_faults();
    w.st.add_fault(fault("createReport", FaultKind::ReportCancelled, 1, None));
    w.st.advance(Duration::hours(25));
    assert_eq!(w.dispatch().await, 1);
    w.drain().await;
    let state = w.state(Dataset::Reimbursements).await;
    assert_eq!(state.status, Status::Idle, "{state:?}");
    assert!(state.backfilled);
    assert!(reimb_records::all(w.store.as_ref(), &w.tenant)
        .await
        .unwrap()
        .is_empty());
}

// ------------------------------------------------------------------ notifications

/// An `FBA_INVENTORY_AVAILABILITY_CHANGES` body as Amazon sends it (PascalCase).
fn availability(
    seller: &str,
    id: &str,
    at: DateTime<Utc>,
    sku: &str,
    marketplace: &str,
    fulfillable: i64,
) -> String {
    json!({
        "NotificationVersion": "1.0",
        "NotificationType": "FBA_INVENTORY_AVAILABILITY_CHANGES",
        "PayloadVersion": "1.0",
        "EventTime": at.to_rfc3339(),
        "Payload": {"SellerId": seller, "FNSKU": "X00FNSKU01", "ASIN": "B00ASIN001", "SKU": sku,
            "FulfillmentInventoryByMarketplace": [{"MarketplaceId": marketplace, "ItemName": "Mug",
                "FulfillmentInventory": {"Fulfillable": fulfillable, "Unfulfillable": 1, "Researching": 0,
                    "InboundQuantityBreakdown": {"Working": 4, "Shipped": 3, "Receiving": 2},
                    "ReservedQuantityBreakdown": {"WarehouseProcessing": 1, "WarehouseTransfer": 1, "PendingCustomerOrder": 2},
                    "FutureSupplyBuyable": 0, "PendingCustomerOrderInTransit": 0}}]},
        "NotificationMetadata": {"ApplicationId": "amzn1.sp.solution.app", "SubscriptionId": "sub-1",
            "PublishTime": at.to_rfc3339(), "NotificationId": id}
    })
    .to_string()
}

#[tokio::test]
async fn duplicate_and_out_of_order_availability_notifications_leave_the_newest_stock() {
    let t0 = super::helpers::start_time();
    let clock = Arc::new(FixedClock::new(t0));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let queue = queues.declare("notifications", Some(("notifications-dlq", 5)));
    let events = queues.declare("events", None);
    let bus = Arc::new(EmbeddedBus::new(queues.clone(), clock.clone()));
    bus.route(
        shared::adapters::embedded_bus::Pattern {
            source: "beddora.sync".into(),
            detail_types: vec!["InventoryChanged".into()],
        },
        events.clone(),
    );
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let tenant = tenant_in(store.as_ref(), t0).await;
    let us = "ATVPDKIKX0DER";
    let account = AmazonAccount::new(&tenant, "US", "A1SELLER".into(), "NA", vec![us.into()], t0);
    Connections::new(store.as_ref(), secrets.as_ref(), SECRET_PREFIX)
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from("Atzr|refresh".to_string())),
        )
        .await
        .unwrap();
    let consumer = job_notifications::consumer(
        shared::notifications::Ports {
            store: store.clone(),
            secrets,
            secret_prefix: SECRET_PREFIX.into(),
            queues: queues.clone(),
            pacer: clock.clone(),
            amazon: None,
            bus: Some(bus),
        },
        queue,
    );
    let at = |m: i64| t0 - Duration::minutes(m);
    // Stock went 10 → 7 → 3; Amazon delivers the newest first, then the oldest, each twice,
    // the middle one last; and one for a marketplace the connection does not serve.
    let bodies = [
        availability("A1SELLER", "n3", at(10), "MUG-1", us, 3),
        availability("A1SELLER", "n1", at(30), "MUG-1", us, 10),
        availability("A1SELLER", "n3", at(10), "MUG-1", us, 3),
        availability("A1SELLER", "n1", at(30), "MUG-1", us, 10),
        availability("A1SELLER", "n2", at(20), "MUG-1", us, 7),
        availability("A1SELLER", "n4", at(5), "MUG-1", "A1PA6795UKMFR9", 99),
    ];
    let batch: Vec<Received> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| Received {
            message_id: format!("m{i}"),
            receipt: format!("r{i}"),
            body: b.clone(),
            receive_count: 1,
            sent_at: t0,
        })
        .collect();
    for m in &batch {
        let done = consumer
            .process(std::slice::from_ref(m), t0 + Duration::minutes(5))
            .await;
        assert_eq!(
            done[0].1,
            shared::jobs::Disposition::Acknowledged,
            "{}",
            m.message_id
        );
    }
    let all = inv_records::all(store.as_ref(), &tenant).await.unwrap();
    assert_eq!(all.len(), 1, "only the served marketplace: {all:?}");
    let r = &all[0];
    assert_eq!((r.marketplace_id.as_str(), r.sku.as_str()), (us, "MUG-1"));
    assert_eq!(r.figures(), [3, 4, 3, 2, 4, 1, 0]);
    assert_eq!(r.observed_at, at(10));
    assert_eq!(r.fnsku.as_deref(), Some("X00FNSKU01"));
    // One InventoryChanged for the one figure that was stored: the newest.
    let got = queues
        .receive(&events, 10, Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let e: shared::ports::bus::BusEnvelope = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(e.detail["skus"], json!(["MUG-1"]));
    assert_eq!(e.detail["marketplaceId"], us);
}

/// Twelve writers store the same SKU's stock at once, each with its own instant, in a shuffled
/// order: the newest figure is what stays; an older one written after it changes nothing.
async fn concurrent_stock_writes(store: Arc<dyn Store>, clock: Arc<FixedClock>) {
    let t0 = clock.now();
    let tenant = tenant_in(store.as_ref(), t0).await;
    let mut minutes: Vec<i64> = (0..12).collect();
    shuffle(&mut minutes, 5);
    let tasks: Vec<_> = minutes
        .into_iter()
        .map(|m| {
            let (store, tenant) = (store.clone(), tenant.clone());
            tokio::spawn(async move {
                let body: Value = serde_json::from_str(&availability(
                    "A1SELLER",
                    &format!("n{m}"),
                    t0 + Duration::minutes(m),
                    "MUG-1",
                    "ATVPDKIKX0DER",
                    100 - m,
                ))
                .unwrap();
                let payload: shared::amazon::models::notification_payloads::FbaInventoryAvailabilityPayload =
                    serde_json::from_value(body["Payload"].clone()).unwrap();
                sync::inventory::apply_availability(
                    store.as_ref(),
                    &tenant,
                    "conn-1",
                    |_| true,
                    &payload,
                    t0 + Duration::minutes(m),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let r = inv_records::get(store.as_ref(), &tenant, "ATVPDKIKX0DER", "MUG-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        r.fulfillable,
        100 - 11,
        "the newest of twelve racing writes"
    );
    assert_eq!(r.observed_at, t0 + Duration::minutes(11));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_stock_writes_keep_the_newest_embedded() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    concurrent_stock_writes(store, clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_stock_writes_keep_the_newest_on_dynamodb() {
    on_dynamodb(concurrent_stock_writes).await;
}
