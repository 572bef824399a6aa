//! The money datasets (transactions, settlements, fee estimates) synced step by step against
//! the stand-in on its virtual clock, the way the worker drives them: short deadlines so every
//! run checkpoints many times, faults on the way, then every record compared with the
//! stand-in's ground truth to the cent, and replays that must leave the store as it was.

use super::amazon_client::{client, context, world, Virtual, World};
use amazon_stand_in::ground_truth::GroundTruth;
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::StandIn;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use secrecy::SecretString;
use shared::amazon::{AmazonError, Context, SpApi};
use shared::connections::AmazonAccount;
use shared::keys::{self, Tenant};
use shared::ports::bus::DomainEvent;
use shared::ports::store::{query_all, Item};
use shared::ports::Pacer;
use shared::records::settlements::{self as stl_records, Document};
use shared::records::transactions::{self as tx_records, TransactionRecord};
use shared::sync::settlements::SettlementsSync;
use shared::sync::step::{DatasetSync, StepContext, StepError};
use shared::sync::transactions::TransactionsSync;
use shared::sync::{self, Dataset};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One seller connection of a fresh tenant, with its client.
pub(crate) struct Seller {
    pub(crate) w: World,
    pub(crate) api: SpApi,
    pub(crate) ctx: Context,
    pub(crate) tenant: Tenant,
    pub(crate) account: AmazonAccount,
    pub(crate) pacer: Arc<dyn Pacer>,
}

async fn seller(orders: usize) -> Seller {
    seller_of(world(orders).await).await
}

/// A world around a generated seller the test has changed.
pub(crate) async fn world_of(generated: amazon_stand_in::Seller) -> World {
    let st = StandIn::virtual_clock(generated, false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = amazon_stand_in::router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let clock: Arc<dyn shared::ports::Clock> = Arc::new(Virtual(st.clone()));
    World {
        st,
        base,
        store: Arc::new(shared::adapters::EmbeddedStore::in_memory(clock)),
    }
}

async fn seller_of(w: World) -> Seller {
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let tenant = Tenant::create();
    let account = AmazonAccount::new(
        &tenant,
        "US",
        w.st.seller.seller_id.clone(),
        "na",
        w.st.seller
            .marketplaces
            .iter()
            .map(|m| m.id.to_string())
            .collect(),
        w.st.now(),
    );
    let ctx = context(&w, &account.id.to_string(), &refresh);
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    sync::register(
        w.store.as_ref(),
        &tenant,
        &account.id.to_string(),
        w.st.now(),
    )
    .await
    .unwrap();
    Seller {
        w,
        api,
        ctx,
        tenant,
        account,
        pacer,
    }
}

/// What one run took.
#[derive(Debug, Default)]
struct Ran {
    steps: u32,
    written: u64,
    retried: u32,
    events: Vec<DomainEvent>,
    /// The events of each step, in order.
    by_step: Vec<Vec<DomainEvent>>,
}

impl Seller {
    /// Drives one run of `dataset` to its end the way the worker does: a step with a short
    /// deadline, its checkpoint saved, a wait when it asks for one, a retry when Amazon failed.
    async fn run(&self, sync_impl: &dyn DatasetSync, dataset: Dataset, step_secs: i64) -> Ran {
        let store = self.w.store.as_ref();
        let connection = self.account.id.to_string();
        let mut ran = Ran::default();
        loop {
            assert!(ran.steps < 5_000, "a run ends");
            let state = sync::get(store, &self.tenant, &connection, dataset)
                .await
                .unwrap()
                .expect("registered");
            let deadline = self.w.st.now() + Duration::seconds(step_secs);
            let amazon = self.ctx.until(deadline);
            let cx = StepContext {
                tenant: &self.tenant,
                account: &self.account,
                store,
                api: &self.api,
                amazon: &amazon,
                pacer: &self.pacer,
                deadline,
            };
            ran.steps += 1;
            match sync_impl.step(&cx, &state).await {
                Ok(r) => {
                    let now = self.w.st.now();
                    let mut next = state.progressed(r.cursor, r.progress, now);
                    if r.done {
                        next = next.finished(now);
                    }
                    assert!(sync::update(store, &self.tenant, &state, next)
                        .await
                        .unwrap());
                    ran.written += r.written;
                    ran.events.extend(r.events.clone());
                    ran.by_step.push(r.events);
                    if let Some(wait) = r.next_in {
                        self.w.st.advance(wait);
                    }
                    if r.done {
                        return ran;
                    }
                }
                Err(StepError::Amazon(AmazonError::RetryLater { at })) => {
                    let now = self.w.st.now();
                    if at > now {
                        self.w.st.advance(at - now);
                    }
                }
                Err(StepError::Amazon(
                    AmazonError::Server { .. }
                    | AmazonError::Transport { .. }
                    | AmazonError::Throttled { .. }
                    | AmazonError::Forbidden(_),
                )) => {
                    ran.retried += 1;
                    assert!(ran.retried < 50, "retries end");
                    self.w.st.advance(Duration::seconds(30));
                }
                Err(e) => panic!("{dataset} step failed: {e}"),
            }
        }
    }

    /// Every stored item under a sort-key prefix of the tenant.
    async fn items(&self, q: shared::ports::store::Query) -> Vec<Item> {
        query_all(self.w.store.as_ref(), q).await.unwrap()
    }
}

fn fault(operation: &str, kind: FaultKind, every: u32, times: u32) -> FaultRule {
    FaultRule {
        operation: Some(operation.into()),
        kind,
        every,
        times: Some(times),
        seen: 0,
        fired: 0,
    }
}

// ------------------------------------------------------------------ transactions

/// The settlement file's transaction type of a Finances transaction type.
fn settlement_type(t: &str) -> &'static str {
    match t {
        "Shipment" => "Order",
        "Refund" => "Refund",
        _ => "other-transaction",
    }
}

type DayKey = (String, String, NaiveDate, String, String, String);

/// Stored transactions summed as the ground truth keys them (settlement dimension dropped).
pub(crate) fn by_day(records: &[TransactionRecord]) -> BTreeMap<DayKey, Decimal> {
    let mut out: BTreeMap<DayKey, Decimal> = BTreeMap::new();
    for r in records {
        for item in &r.items {
            for category in &item.breakdowns {
                for kind in &category.breakdowns {
                    *out.entry((
                        r.marketplace_id.clone(),
                        item.sku.clone().unwrap_or_default(),
                        r.posted_day,
                        settlement_type(&r.transaction_type).to_string(),
                        category.breakdown_type.clone(),
                        kind.breakdown_type.clone(),
                    ))
                    .or_default() += kind.amount;
                }
            }
        }
    }
    out.retain(|_, v| !v.is_zero());
    out
}

pub(crate) fn truth_by_day(truth: &GroundTruth) -> BTreeMap<DayKey, Decimal> {
    truth
        .by_day()
        .into_iter()
        .map(|(k, v)| {
            (
                (
                    k.marketplace_id,
                    k.sku,
                    k.date,
                    k.transaction_type,
                    k.amount_type,
                    k.amount_description,
                ),
                v,
            )
        })
        .collect()
}

/// Every transaction the stand-in has, stored exactly: per id, its total, currency, status,
/// order and settlement; and all of them, summed by the ground truth's key, to the cent.
pub(crate) async fn assert_transactions_equal_the_truth(s: &Seller) {
    let stored = tx_records::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap();
    let seller = &s.w.st.seller;
    let now = s.w.st.now();
    assert_eq!(
        stored.len(),
        seller.transactions.len(),
        "every transaction, once"
    );
    let by_id: BTreeMap<&str, &TransactionRecord> = stored
        .iter()
        .map(|r| (r.transaction_id.as_str(), r))
        .collect();
    for t in &seller.transactions {
        let r = by_id
            .get(t.id.as_str())
            .unwrap_or_else(|| panic!("{} stored", t.id));
        assert_eq!(r.total, t.total(), "{}: total to the cent", t.id);
        assert_eq!(r.currency, t.currency);
        assert_eq!(r.marketplace_id, t.marketplace_id);
        assert_eq!(r.posted, t.posted);
        assert_eq!(r.order_id(), t.order_id.as_deref());
        assert_eq!(
            r.settlement_id(),
            t.settlement.map(|i| seller.settlements[i].id.as_str())
        );
        let deferred = t.release > now;
        assert_eq!(r.is_deferred(), deferred, "{}: status {}", t.id, r.status);
        let lines: Decimal = r
            .items
            .iter()
            .flat_map(|i| i.breakdowns.iter())
            .map(|b| b.amount)
            .sum();
        assert_eq!(lines, r.total, "{}: breakdowns add up", t.id);
    }
    assert_eq!(
        by_day(&stored),
        truth_by_day(&s.w.st.ground_truth()),
        "every amount by marketplace, SKU, day and kind equals the ground truth"
    );
}

#[tokio::test]
async fn transactions_backfill_newest_first_then_sweeps_release_deferred_money() {
    let s = seller(2500).await;
    let sync_impl = TransactionsSync::default();
    let end = s.w.st.now();

    let backfill = s.run(&sync_impl, Dataset::Transactions, 8).await;
    assert!(backfill.steps > 10, "checkpointed {} times", backfill.steps);
    // Newest first: windows of 30 days, newest first (pages within one run oldest first), so
    // no step names a day newer than the window the step before it was in.
    let days = |events: &[DomainEvent]| -> Vec<NaiveDate> {
        events
            .iter()
            .flat_map(|e| e.detail["postedDays"].as_array().unwrap().clone())
            .map(|d| d.as_str().unwrap().parse().unwrap())
            .collect()
    };
    let spans: Vec<(NaiveDate, NaiveDate)> = backfill
        .by_step
        .iter()
        .map(|e| days(e))
        .filter(|d| !d.is_empty())
        .map(|d| (*d.iter().min().unwrap(), *d.iter().max().unwrap()))
        .collect();
    assert!(spans[0].1 >= (end - Duration::days(1)).date_naive());
    for pair in spans.windows(2) {
        assert!(
            pair[1].1 <= pair[0].0 + Duration::days(31),
            "newest first: {pair:?} of {spans:?}"
        );
    }
    assert!(backfill
        .events
        .iter()
        .all(|e| e.detail_type == "TransactionsChanged"
            && e.detail["tenant"] == s.tenant.to_string()
            && e.detail["postedDays"].as_array().unwrap().len() <= 100));
    let stored = tx_records::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap();
    let deferred = stored.iter().filter(|r| r.is_deferred()).count();
    assert!(deferred > 0, "US money is still held at the end of history");

    // Time passes beyond every release; the next sweep finds them released in place.
    s.w.st.advance(Duration::days(40));
    let sweep = s.run(&sync_impl, Dataset::Transactions, 8).await;
    assert!(
        sweep.written as usize >= deferred,
        "released ones rewritten"
    );
    assert_transactions_equal_the_truth(&s).await;

    // Replay: the whole backfill again leaves the store byte for byte as it was.
    let before = s.items(keys::tenant(&s.tenant).transactions()).await;
    sync::modify(
        s.w.store.as_ref(),
        &s.tenant,
        &s.account.id.to_string(),
        Dataset::Transactions,
        |st| {
            let mut n = st.due_now(st.updated_at);
            n.cursor = serde_json::Value::Null;
            Some(n)
        },
    )
    .await
    .unwrap();
    let replay = s.run(&sync_impl, Dataset::Transactions, 8).await;
    assert_eq!(replay.written, 0, "nothing newer");
    assert!(
        replay.events.is_empty(),
        "nothing changed, nothing announced"
    );
    assert_eq!(
        s.items(keys::tenant(&s.tenant).transactions()).await,
        before
    );
}

#[tokio::test]
async fn transactions_lose_nothing_to_throttling_server_errors_and_truncated_pages() {
    let s = seller(1500).await;
    let st = &s.w.st;
    st.add_fault(fault(
        "listTransactions",
        FaultKind::Status { code: 429 },
        2,
        30,
    ));
    st.add_fault(fault(
        "listTransactions",
        FaultKind::Status { code: 503 },
        5,
        6,
    ));
    st.add_fault(fault(
        "listTransactions",
        FaultKind::Status { code: 500 },
        7,
        4,
    ));
    st.add_fault(fault("listTransactions", FaultKind::Truncate, 3, 5));
    st.add_fault(fault("listTransactions", FaultKind::Drop, 11, 2));
    s.run(&TransactionsSync::default(), Dataset::Transactions, 15)
        .await;
    assert!(st.stats()["listTransactions"].faults >= 30, "faults met");
    st.clear_faults();
    st.advance(Duration::days(40));
    s.run(&TransactionsSync::default(), Dataset::Transactions, 15)
        .await;
    assert_transactions_equal_the_truth(&s).await;
}

// ------------------------------------------------------------------ settlements

/// The settlements Amazon lists at `at`: closed, deposited within the last 90 days.
fn listed_at(
    s: &Seller,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<&amazon_stand_in::model::Settlement> {
    s.w.st
        .seller
        .settlements
        .iter()
        .filter(|x| {
            x.closed
                && x.deposit_date
                    .is_some_and(|d| d <= at && d > at - Duration::days(90))
        })
        .collect()
}

type LineKey = (String, String, NaiveDate, String, String, String);

/// Every stored settlement equals its payout, its lines sum to its total, and its lines
/// summed by the ground truth's key equal the ground truth; returns the ids.
pub(crate) async fn assert_settlements_equal_the_truth(s: &Seller) -> Vec<String> {
    let store = s.w.store.as_ref();
    let truth = s.w.st.ground_truth();
    let stored = stl_records::all(store, &s.tenant).await.unwrap();
    let mut from_lines: BTreeMap<LineKey, Decimal> = BTreeMap::new();
    for r in &stored {
        let payout = truth
            .payouts
            .iter()
            .find(|p| p.settlement_id == r.settlement_id)
            .unwrap_or_else(|| panic!("{} is a payout", r.settlement_id));
        assert_eq!(r.total, payout.total, "{}: payout", r.settlement_id);
        assert_eq!(r.currency, payout.currency);
        assert_eq!(r.marketplace_id, payout.marketplace_id);
        assert_eq!((r.start, r.end), (Some(payout.start), Some(payout.end)));
        assert!(payout.closed);
        let lines = stl_records::lines(store, &s.tenant, &r.settlement_id)
            .await
            .unwrap();
        assert_eq!(
            lines.len() as u64,
            r.lines,
            "{}: every line",
            r.settlement_id
        );
        let sum: Decimal = lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, r.total, "{}: lines sum to the total", r.settlement_id);
        for l in lines {
            *from_lines
                .entry((
                    l.settlement_id,
                    l.sku,
                    l.posted_day.expect("posted"),
                    l.transaction_type,
                    l.amount_type,
                    l.description,
                ))
                .or_default() += l.amount;
        }
    }
    let ids: Vec<String> = stored.iter().map(|r| r.settlement_id.clone()).collect();
    let mut expected: BTreeMap<LineKey, Decimal> = BTreeMap::new();
    for (k, v) in &truth.amounts {
        let Some(id) = k.settlement_id.clone().filter(|id| ids.contains(id)) else {
            continue;
        };
        *expected
            .entry((
                id,
                k.sku.clone(),
                k.date,
                k.transaction_type.clone(),
                k.amount_type.clone(),
                k.amount_description.clone(),
            ))
            .or_default() += *v;
    }
    expected.retain(|_, v| !v.is_zero());
    from_lines.retain(|_, v| !v.is_zero());
    assert_eq!(
        from_lines, expected,
        "every settlement line equals the ground truth"
    );
    ids
}

fn settlements_sync() -> SettlementsSync {
    SettlementsSync::new(reqwest::Client::new())
}

async fn all_settlement_items(s: &Seller) -> Vec<Item> {
    let t = keys::tenant(&s.tenant);
    let mut items = vec![];
    for prefix in ["STL#", "STLLINE#", "STLDOC#", "PAYOUT#"] {
        items.extend(
            s.items(
                shared::ports::store::Query::partition(shared::ports::store::Index::Table, t.pk())
                    .sk(shared::ports::store::SortKey::BeginsWith(prefix.into())),
            )
            .await,
        );
    }
    items
}

#[tokio::test]
async fn settlements_of_the_last_90_days_equal_their_payouts_each_document_read_once() {
    let s = seller(2500).await;
    let start = s.w.st.now();
    let first = s.run(&settlements_sync(), Dataset::Settlements, 90).await;
    let end = s.w.st.now();
    assert!(first.steps > 3, "checkpointed {} times", first.steps);
    let ids = assert_settlements_equal_the_truth(&s).await;
    // Every settlement listed all along the run is in, and nothing else.
    let must: Vec<String> = listed_at(&s, start)
        .into_iter()
        .filter(|x| x.deposit_date.unwrap() > end - Duration::days(90))
        .map(|x| x.id.clone())
        .collect();
    assert!(must.len() >= 10, "{} settlements", must.len());
    for id in &must {
        assert!(ids.contains(id), "{id} stored");
    }
    // Every payout of the two years, open or closed, equals its ground truth.
    type Payout = (Decimal, String, bool, Option<chrono::DateTime<chrono::Utc>>);
    let payouts: BTreeMap<String, Payout> = stl_records::payouts(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            let closed = p.is_closed();
            (p.group_id, (p.total, p.currency, closed, p.start))
        })
        .collect();
    let truth: BTreeMap<String, Payout> =
        s.w.st
            .ground_truth()
            .payouts
            .iter()
            .map(|p| {
                (
                    p.group_id.clone(),
                    (p.total, p.currency.clone(), p.closed, Some(p.start)),
                )
            })
            .collect();
    assert_eq!(payouts, truth, "every payout");
    // Both layouts are listed; each period's document is downloaded once (V2).
    let docs = s.w.st.stats()["getReportDocument"].calls;
    assert_eq!(docs as usize, ids.len(), "one document per settlement");
    let stored = stl_records::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|r| r.layout == shared::amazon::settlement::Layout::V2));
    let announced: std::collections::BTreeSet<String> = first
        .events
        .iter()
        .filter(|e| e.detail_type == "SettlementsChanged")
        .filter_map(|e| e.detail.get("settlementIds"))
        .flat_map(|ids| ids.as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(announced.len(), ids.len(), "each settlement announced");
    let announced_payouts: usize = first
        .events
        .iter()
        .filter_map(|e| e.detail.get("payoutGroupIds"))
        .map(|v| v.as_array().unwrap().len())
        .sum();
    assert_eq!(announced_payouts, payouts.len(), "each payout announced");

    // The daily check finds nothing new; a replay from scratch changes nothing.
    let before = all_settlement_items(&s).await;
    s.w.st.advance(Duration::days(1));
    let daily = s.run(&settlements_sync(), Dataset::Settlements, 90).await;
    assert_eq!(daily.written, 0);
    sync::modify(
        s.w.store.as_ref(),
        &s.tenant,
        &s.account.id.to_string(),
        Dataset::Settlements,
        |st| {
            let mut n = st.due_now(st.updated_at);
            n.cursor = serde_json::Value::Null;
            Some(n)
        },
    )
    .await
    .unwrap();
    let replay = s.run(&settlements_sync(), Dataset::Settlements, 90).await;
    assert_eq!(replay.written, 0, "nothing rewritten");
    assert!(replay.events.is_empty());
    assert_eq!(
        s.w.st.stats()["getReportDocument"].calls,
        docs,
        "no document downloaded twice"
    );
    assert_eq!(all_settlement_items(&s).await, before);
}

#[tokio::test]
async fn settlements_lose_nothing_to_throttling_server_errors_and_truncated_documents() {
    let s = seller(1500).await;
    let st = &s.w.st;
    st.add_fault(fault("getReports", FaultKind::Status { code: 429 }, 2, 4));
    st.add_fault(fault("getReports", FaultKind::Status { code: 503 }, 3, 2));
    st.add_fault(fault(
        "getReportDocument",
        FaultKind::Status { code: 500 },
        4,
        3,
    ));
    st.add_fault(fault("getReportDocument", FaultKind::Truncate, 5, 2));
    st.add_fault(fault("downloadReportDocument", FaultKind::Truncate, 3, 3));
    let ran = s.run(&settlements_sync(), Dataset::Settlements, 90).await;
    assert!(ran.retried > 0, "a truncated document is retried");
    assert!(st.stats()["downloadReportDocument"].faults >= 3);
    let ids = assert_settlements_equal_the_truth(&s).await;
    let start_listed = listed_at(&s, st.now());
    for x in start_listed {
        assert!(ids.contains(&x.id), "{} stored", x.id);
    }
}

#[tokio::test]
async fn a_settlement_whose_lines_do_not_add_up_is_rejected_and_the_others_are_read() {
    let mut generated = amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders: 1200,
        ..Default::default()
    });
    let end = generated.spec.end;
    let bad = generated
        .settlements
        .iter()
        .position(|x| {
            x.closed
                && x.deposit_date
                    .is_some_and(|d| d <= end && d > end - Duration::days(60))
        })
        .unwrap();
    generated.settlements[bad].total += Decimal::new(1, 2);
    let bad_id = generated.settlements[bad].id.clone();
    let bad_market = generated.settlements[bad].marketplace_id;
    let period = stl_records::period(
        "",
        Some(generated.settlements[bad].start),
        Some(generated.settlements[bad].end),
    );
    let s = seller_of(world_of(generated).await).await;
    s.run(&settlements_sync(), Dataset::Settlements, 90).await;
    let store = s.w.store.as_ref();
    assert!(stl_records::get(store, &s.tenant, &bad_id)
        .await
        .unwrap()
        .is_none());
    assert!(stl_records::lines(store, &s.tenant, &bad_id)
        .await
        .unwrap()
        .is_empty());
    match stl_records::document(store, &s.tenant, bad_market, &period)
        .await
        .unwrap()
    {
        Some(Document::Rejected { reason, .. }) => {
            assert!(
                reason.contains(&bad_id) && reason.contains("0.01"),
                "{reason}"
            )
        }
        other => panic!("rejected, not {other:?}"),
    }
    // The rejected document is not downloaded again by the next check; the rest are in.
    let docs = s.w.st.stats()["getReportDocument"].calls;
    let ids = assert_settlements_equal_the_truth(&s).await;
    assert!(ids.len() >= 10);
    s.w.st.advance(Duration::days(1));
    s.run(&settlements_sync(), Dataset::Settlements, 90).await;
    assert_eq!(s.w.st.stats()["getReportDocument"].calls, docs);
}

// ------------------------------------------------------------------ fee estimates

#[tokio::test]
async fn fee_estimates_cover_every_unsettled_sale_at_amazons_fee_schedule() {
    use amazon_stand_in::model::TxKind;
    use shared::records::fee_estimates as fee_records;
    use shared::sync::fee_estimates::FeeEstimatesSync;
    let s = seller(1500).await;
    s.run(&TransactionsSync::default(), Dataset::Transactions, 600)
        .await;
    let st = &s.w.st;
    st.add_fault(fault(
        "getMyFeesEstimates",
        FaultKind::Status { code: 429 },
        3,
        3,
    ));
    st.add_fault(fault("getMyFeesEstimates", FaultKind::Truncate, 4, 2));
    let start = st.now();
    let sync_impl = FeeEstimatesSync {
        batch: 3,
        ..Default::default()
    };
    let ran = s.run(&sync_impl, Dataset::FeeEstimates, 7).await;

    // Expected straight from the generated seller: shipped, not settled, in the last 45 days.
    let seller = &st.seller;
    let mut expected = BTreeMap::new();
    for t in seller.transactions.iter().filter(|t| {
        t.kind == TxKind::Shipment
            && t.settlement.is_none()
            && t.posted >= start - Duration::days(45)
            && t.posted < start
    }) {
        let order = seller.order(t.order_id.as_deref().unwrap()).unwrap();
        for item in &t.items {
            let principal: Decimal = item
                .lines
                .iter()
                .filter(|l| l.category == "ItemPrice" && l.kind == "Principal")
                .map(|l| l.amount)
                .sum();
            let product = &seller.products[item.product.unwrap()];
            let price = (principal / Decimal::from(item.quantity))
                .round_dp(2)
                .normalize();
            let fba = order.fulfillment == amazon_stand_in::model::Fulfillment::Afn;
            let (referral, fulfilment) =
                amazon_stand_in::catalog::unit_fees(product, price, t.currency, fba);
            expected.insert(
                (
                    t.marketplace_id.to_string(),
                    product.sku.clone(),
                    price,
                    order.fulfillment.code().to_string(),
                ),
                referral + fulfilment,
            );
        }
    }
    assert!(expected.len() >= 10, "{} listings", expected.len());
    let stored: BTreeMap<_, _> = fee_records::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let q = e.query;
            ((q.marketplace_id, q.sku, q.price, q.channel), e.total)
        })
        .collect();
    assert_eq!(
        stored, expected,
        "every unsettled sale, Amazon's fees to the cent"
    );
    assert!(ran.steps > 2, "checkpointed {} times: {ran:?}", ran.steps);
    let announced: usize = ran
        .events
        .iter()
        .filter(|e| e.detail_type == "FeeEstimatesChanged")
        .map(|e| e.detail["skus"].as_array().unwrap().len())
        .sum();
    assert!(announced > 0);

    // Estimates younger than a week are not asked again.
    let calls = st.stats()["getMyFeesEstimates"].calls;
    let again = s.run(&sync_impl, Dataset::FeeEstimates, 7).await;
    assert_eq!(again.written, 0);
    assert_eq!(st.stats()["getMyFeesEstimates"].calls, calls);
}

#[tokio::test]
async fn fee_estimates_also_cover_orders_not_shipped_or_not_settled_yet() {
    use amazon_stand_in::model::{OrderStatus, TxKind};
    use shared::records::fee_estimates as fee_records;
    use shared::sync::fee_estimates::FeeEstimatesSync;
    let s = seller(1500).await;
    s.run(
        &shared::sync::orders::OrdersSync::new(),
        Dataset::Orders,
        600,
    )
    .await;
    s.run(&TransactionsSync::default(), Dataset::Transactions, 600)
        .await;
    let start = s.w.st.now();
    s.run(&FeeEstimatesSync::default(), Dataset::FeeEstimates, 60)
        .await;
    let seller = &s.w.st.seller;
    let from = start - Duration::days(45);
    let listing = |mid: &str, product: usize, principal: Decimal, qty: i64, fba: bool| {
        let price = (principal / Decimal::from(qty)).round_dp(2).normalize();
        let (referral, fulfilment) = amazon_stand_in::catalog::unit_fees(
            &seller.products[product],
            price,
            shared::marketplaces::by_id(mid).unwrap().currency,
            fba,
        );
        (
            (
                mid.to_string(),
                seller.products[product].sku.clone(),
                price,
                if fba { "AFN" } else { "MFN" }.to_string(),
            ),
            referral + fulfilment,
        )
    };
    let mut expected = BTreeMap::new();
    let settled: std::collections::BTreeSet<&str> = seller
        .transactions
        .iter()
        .filter(|t| t.kind == TxKind::Shipment && t.settlement.is_some() && t.posted >= from)
        .filter_map(|t| t.order_id.as_deref())
        .collect();
    let mut unshipped = 0;
    for o in seller.orders.iter().filter(|o| {
        o.purchase_date >= from
            && o.purchase_date <= start
            && !matches!(o.status, OrderStatus::Canceled | OrderStatus::Pending)
            && !settled.contains(o.id.as_str())
    }) {
        unshipped += usize::from(o.status == OrderStatus::Unshipped);
        for i in &o.items {
            let fba = o.fulfillment == amazon_stand_in::model::Fulfillment::Afn;
            let (k, v) = listing(o.marketplace_id, i.product, i.principal, i.quantity, fba);
            expected.insert(k, v);
        }
    }
    for t in seller.transactions.iter().filter(|t| {
        t.kind == TxKind::Shipment && t.settlement.is_none() && t.posted >= from && t.posted < start
    }) {
        let order = seller.order(t.order_id.as_deref().unwrap()).unwrap();
        for item in &t.items {
            let principal: Decimal = item
                .lines
                .iter()
                .filter(|l| l.category == "ItemPrice" && l.kind == "Principal")
                .map(|l| l.amount)
                .sum();
            let fba = order.fulfillment == amazon_stand_in::model::Fulfillment::Afn;
            let (k, v) = listing(
                t.marketplace_id,
                item.product.unwrap(),
                principal,
                item.quantity,
                fba,
            );
            expected.insert(k, v);
        }
    }
    assert!(unshipped > 0, "some orders are not shipped yet");
    let stored: BTreeMap<_, _> = fee_records::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let q = e.query;
            ((q.marketplace_id, q.sku, q.price, q.channel), e.total)
        })
        .collect();
    assert_eq!(
        stored, expected,
        "orders and shipments not settled, fees to the cent"
    );
}

// ------------------------------------------------------------------ through the sync worker

/// The money datasets registered in the real sync worker (`job_sync_worker::runtime_with`),
/// dispatched and drained through the embedded queue and bus the way the Lambdas run them:
/// the records equal the ground truth and the events reach the bus.
#[tokio::test]
async fn the_sync_worker_runs_the_money_datasets_to_the_ground_truth() {
    use shared::adapters::embedded_bus::Pattern;
    use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore};
    use shared::amazon::AmazonSettings;
    use shared::connections::{ConnectionSecret, Connections};
    use shared::ports::bus::BusEnvelope;
    use shared::ports::queue::Queue;
    use shared::ports::{Clock, Store};
    use shared::sync::fee_estimates::FeeEstimatesSync;
    use shared::sync::worker::Registry;

    const PREFIX: &str = "test/";
    let st = StandIn::virtual_clock(
        amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
            orders: 1500,
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = amazon_stand_in::router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = queues.declare("sync", Some(("sync-dlq", 10)));
    let events = queues.declare("events", None);
    let bus = EmbeddedBus::new(queues.clone(), clock.clone());
    bus.route(
        Pattern {
            source: "beddora.sync".into(),
            detail_types: vec![],
        },
        events.clone(),
    );
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let now = clock.now();
    let tenant = super::jobs::tenant_in(store.as_ref(), now).await;
    let account = AmazonAccount::new(
        &tenant,
        "US",
        st.seller.seller_id.clone(),
        "NA",
        st.seller
            .marketplaces
            .iter()
            .map(|m| m.id.to_string())
            .collect(),
        now,
    );
    Connections::new(store.as_ref(), secrets.as_ref(), PREFIX)
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from(st.issue_refresh_token())),
        )
        .await
        .unwrap();
    let conn = account.id.to_string();
    sync::register(store.as_ref(), &tenant, &conn, now)
        .await
        .unwrap();
    sync::modify(store.as_ref(), &tenant, &conn, Dataset::Orders, |s| {
        Some(s.cancelled(now))
    })
    .await
    .unwrap();
    let amazon = amazon_stand_in::client::our_app(
        &st,
        &base,
        store.clone(),
        pacer.clone(),
        AmazonSettings::default(),
    );
    let ports = job_sync_worker::Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets,
        bus: Arc::new(bus),
        amazon,
        pacer,
    };
    let mut registry = Registry::new();
    registry.insert(
        Dataset::Transactions,
        Arc::new(TransactionsSync::default()) as Arc<dyn DatasetSync>,
    );
    registry.insert(Dataset::Settlements, Arc::new(settlements_sync()));
    registry.insert(Dataset::FeeEstimates, Arc::new(FeeEstimatesSync::default()));
    let runtime = job_sync_worker::runtime_with(&ports, PREFIX, q.clone(), registry);

    let drain = || async {
        sync::dispatch(store.as_ref(), queues.as_ref(), &q, st.now(), 100)
            .await
            .unwrap();
        for _ in 0..100_000 {
            let n = shared::jobs::poll_once(
                &runtime,
                queues.as_ref(),
                Duration::minutes(20),
                Duration::minutes(14),
            )
            .await
            .unwrap();
            if n > 0 {
                continue;
            }
            if queues.stats(&q).await.unwrap().total() == 0 {
                return;
            }
            st.advance(Duration::seconds(15));
        }
        panic!("the sync queue never emptied");
    };
    drain().await;
    // The fee estimates' first run started with the others, before any sale was synced; its
    // hourly sweep finds them.
    st.advance(Dataset::FeeEstimates.cadence());
    drain().await;
    for d in [
        Dataset::Transactions,
        Dataset::Settlements,
        Dataset::FeeEstimates,
    ] {
        let state = sync::get(store.as_ref(), &tenant, &conn, d)
            .await
            .unwrap()
            .unwrap();
        assert!(
            state.backfilled,
            "{d}: {:?} {:?}",
            state.status, state.error
        );
    }
    // The records, checked as the direct runs check them.
    let w = World {
        st: st.clone(),
        base,
        store: store.clone(),
    };
    let (_, api) = client(&w);
    let ctx = context(&w, &conn, &SecretString::from(String::new()));
    let s = Seller {
        w,
        api,
        ctx,
        tenant: tenant.clone(),
        account,
        pacer: Arc::new(Virtual(st.clone())),
    };
    let ids = assert_settlements_equal_the_truth(&s).await;
    assert!(ids.len() >= 10);
    let stored = tx_records::all(store.as_ref(), &tenant).await.unwrap();
    assert_eq!(
        by_day(&stored),
        truth_by_day(&st.ground_truth())
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        "transactions through the worker equal the ground truth"
    );
    assert!(!fee_records_all(&s).await.is_empty(), "fee estimates made");
    // The domain events went out on the bus.
    let mut kinds = std::collections::BTreeSet::new();
    loop {
        let got = queues
            .receive(&events, 10, Duration::minutes(5))
            .await
            .unwrap();
        if got.is_empty() {
            break;
        }
        for m in got {
            let e: BusEnvelope = serde_json::from_str(&m.body).unwrap();
            assert_eq!(e.detail["tenant"], tenant.to_string());
            kinds.insert(e.detail_type);
            queues.delete(&events, &m.receipt).await.unwrap();
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "FeeEstimatesChanged",
            "SettlementsChanged",
            "TransactionsChanged"
        ]
    );
}

async fn fee_records_all(s: &Seller) -> Vec<shared::records::fee_estimates::FeeEstimateRecord> {
    shared::records::fee_estimates::all(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap()
}
