//! The inbound dataset (Fulfillment Inbound 2024-03-20) against the stand-in on its virtual
//! clock: a backfill with short step deadlines and faults on the way equals the stand-in's
//! plans, shipments and items record for record; a shipment that moves on reaches the store
//! at the next sweep with a domain event; steps replayed from old checkpoints change nothing;
//! a stale read never overwrites a newer status, on both store adapters under parallel writes.

use super::amazon_client::{client, context, Virtual, World};
use super::amazon_models::covers;
use super::helpers::TestApp;
use super::sync_money::world_of;
use amazon_stand_in::inbound::ShipmentStatus;
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::StandIn;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde_json::Value;
use shared::amazon::models::{decode_value, fulfillment_inbound as model};
use shared::amazon::operations::{ListInboundPlansParams, ListItemsParams};
use shared::amazon::{AmazonError, Context, SpApi};
use shared::connections::AmazonAccount;
use shared::keys::Tenant;
use shared::ports::bus::DomainEvent;
use shared::ports::store::{query_all, Index, Item, Query, SortKey};
use shared::ports::{Pacer, Store};
use shared::records::inbound::{self as records, InboundItem, InboundShipmentRecord};
use shared::sync::inbound::InboundSync;
use shared::sync::step::{DatasetSync, StepContext, StepError};
use shared::sync::{self, Dataset, SyncState};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The stand-in's inbound plans created since `since` (the backfill's reach), their shipments
/// and items, equal what the store holds, record for record, and the store holds nothing else.
/// Received quantities are not compared: the 2024-03-20 API does not serve them.
/// Answers (plans, shipments, items) compared.
pub async fn assert_inbound_matches(
    st: &StandIn,
    store: &dyn Store,
    tenant: &Tenant,
    since: DateTime<Utc>,
) -> (usize, usize, usize) {
    let truth = st.inbound();
    let plans: BTreeMap<String, records::InboundPlanRecord> = records::plans(store, tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.inbound_plan_id.clone(), p))
        .collect();
    let shipments: BTreeMap<String, InboundShipmentRecord> = records::shipments(store, tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.shipment_id.clone(), s))
        .collect();
    let item = |i: &amazon_stand_in::inbound::InboundItem| {
        (
            i.msku.clone(),
            i.fnsku.clone(),
            i.asin.clone(),
            i.quantity,
            i.label_owner.to_string(),
            i.prep_owner.to_string(),
        )
    };
    let stored_item = |i: &InboundItem| {
        (
            i.msku.clone(),
            i.fnsku.clone(),
            i.asin.clone(),
            i.quantity,
            i.label_owner.clone(),
            i.prep_owner().to_string(),
        )
    };
    let (mut n_plans, mut n_shipments, mut n_items) = (0, 0, 0);
    for p in truth.plans.iter().filter(|p| p.created_at >= since) {
        let id = &p.inbound_plan_id;
        let stored = plans
            .get(id)
            .unwrap_or_else(|| panic!("plan {id} is missing"));
        assert_eq!(stored.name, p.name, "{id} name");
        assert_eq!(stored.status, p.status(), "{id} status");
        assert_eq!(stored.marketplace_ids, vec![p.marketplace_id.to_string()]);
        assert_eq!(stored.created_at, p.created_at, "{id} createdAt");
        assert_eq!(
            stored.last_updated_at, p.last_updated_at,
            "{id} lastUpdatedAt"
        );
        let listed: Vec<(String, String)> = stored
            .shipments
            .iter()
            .map(|s| (s.shipment_id.clone(), s.status.clone()))
            .collect();
        let expected: Vec<(String, String)> = p
            .shipments
            .iter()
            .map(|s| (s.shipment_id.clone(), s.status.as_str().to_string()))
            .collect();
        assert_eq!(listed, expected, "{id} shipments");
        let mut got: Vec<_> = stored.items.iter().map(stored_item).collect();
        let mut want: Vec<_> = p.items().iter().map(item).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{id} items");
        n_plans += 1;
        n_items += want.len();
        for s in &p.shipments {
            let sid = &s.shipment_id;
            let r = shipments
                .get(sid)
                .unwrap_or_else(|| panic!("shipment {sid} of {id} is missing"));
            assert_eq!(&r.inbound_plan_id, id);
            assert_eq!(r.status, s.status.as_str(), "{sid} status");
            assert_eq!(
                r.confirmation_id,
                (s.status != ShipmentStatus::Working).then(|| s.confirmation_id.clone()),
                "{sid} confirmation id"
            );
            assert_eq!(r.warehouse_id.as_deref(), Some(s.warehouse_id), "{sid}");
            assert_eq!(r.marketplace_id.as_deref(), Some(p.marketplace_id));
            assert_eq!(r.name.as_deref(), Some(s.name.as_str()));
            let got: Vec<_> = r.items.iter().map(stored_item).collect();
            let want: Vec<_> = s.items.iter().map(item).collect();
            assert_eq!(got, want, "{sid} items");
            n_shipments += 1;
            n_items += want.len();
        }
    }
    assert_eq!(plans.len(), n_plans, "no plan beyond the truth's");
    assert_eq!(
        shipments.len(),
        n_shipments,
        "no shipment beyond the truth's"
    );
    (n_plans, n_shipments, n_items)
}

/// One connection of a fresh tenant to the stand-in.
struct Seller {
    w: World,
    api: SpApi,
    ctx: Context,
    tenant: Tenant,
    account: AmazonAccount,
    pacer: Arc<dyn Pacer>,
}

async fn seller_on(w: World) -> Seller {
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

async fn north_america(orders: usize) -> World {
    world_of(amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders,
        marketplaces: ["US", "CA", "MX"].map(String::from).to_vec(),
        ..Default::default()
    }))
    .await
}

#[derive(Debug, Default)]
struct Ran {
    steps: u32,
    written: u64,
    retried: u32,
    events: Vec<DomainEvent>,
    /// The state each step started from (to replay them).
    states: Vec<SyncState>,
    started: Option<DateTime<Utc>>,
}

impl Seller {
    fn cx<'a>(&'a self, amazon: &'a Context, deadline: DateTime<Utc>) -> StepContext<'a> {
        StepContext {
            tenant: &self.tenant,
            account: &self.account,
            store: self.w.store.as_ref(),
            api: &self.api,
            amazon,
            pacer: &self.pacer,
            deadline,
        }
    }

    /// One run to its end as the worker drives it: short steps, checkpoints saved, waits
    /// taken, failed steps retried later.
    async fn run(&self, sync_impl: &InboundSync, step_secs: i64) -> Ran {
        let store = self.w.store.as_ref();
        let connection = self.account.id.to_string();
        let mut ran = Ran {
            started: Some(self.w.st.now()),
            ..Default::default()
        };
        loop {
            assert!(ran.steps < 5_000, "a run ends");
            let state = sync::get(store, &self.tenant, &connection, Dataset::Inbound)
                .await
                .unwrap()
                .expect("registered");
            let deadline = self.w.st.now() + Duration::seconds(step_secs);
            let amazon = self.ctx.until(deadline);
            ran.steps += 1;
            ran.states.push(state.clone());
            match sync_impl.step(&self.cx(&amazon, deadline), &state).await {
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
                    ran.events.extend(r.events);
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
                    | AmazonError::Throttled { .. },
                )) => {
                    ran.retried += 1;
                    assert!(ran.retried < 50, "retries end");
                    self.w.st.advance(Duration::seconds(30));
                }
                Err(e) => panic!("inbound step failed: {e}"),
            }
        }
    }

    /// Every item of the tenant's partition.
    async fn dump(&self) -> BTreeMap<String, Item> {
        let q = Query::partition(Index::Table, shared::keys::pk(&self.tenant)).sk(SortKey::Any);
        query_all(self.w.store.as_ref(), q)
            .await
            .unwrap()
            .into_iter()
            .map(|i| {
                (
                    i.get("sk")
                        .and_then(shared::ports::store::Value::as_s)
                        .unwrap()
                        .to_string(),
                    i,
                )
            })
            .collect()
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

fn history(sync_impl: &InboundSync, ran: &Ran) -> DateTime<Utc> {
    ran.started.unwrap() - sync_impl.history
}

/// Shipment ids an event names.
fn shipments_named(events: &[DomainEvent]) -> Vec<String> {
    let mut out: Vec<String> = events
        .iter()
        .filter(|e| e.detail_type == "InboundShipmentsChanged")
        .flat_map(|e| {
            e.detail["shipmentIds"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn inbound_backfill_equals_the_truth_and_a_status_change_reaches_the_next_sweep() {
    let s = seller_on(north_america(5_000).await).await;
    let st = s.w.st.clone();
    // Faults on the way: throttling, server errors, a cut-off body.
    st.add_fault(fault("getShipment", FaultKind::Status { code: 503 }, 7, 3));
    st.add_fault(fault("listShipmentItems", FaultKind::Truncate, 5, 3));
    st.add_fault(fault(
        "listInboundPlans",
        FaultKind::Status { code: 429 },
        2,
        2,
    ));
    st.add_fault(fault("getInboundPlan", FaultKind::Drop, 11, 2));
    let sync_impl = InboundSync::default();
    let ran = s.run(&sync_impl, 3).await;
    let since = history(&sync_impl, &ran);
    let (plans, shipments, items) =
        assert_inbound_matches(&st, s.w.store.as_ref(), &s.tenant, since).await;
    assert!(
        plans > 30 && shipments > plans && items > shipments,
        "{plans} plans, {shipments} shipments, {items} items"
    );
    assert!(ran.steps > 5, "short steps checkpoint: {} steps", ran.steps);
    assert_eq!(ran.written as usize, plans + shipments);
    assert_eq!(
        shipments_named(&ran.events).len(),
        shipments,
        "every shipment written is in an event"
    );
    let state = sync::get(
        s.w.store.as_ref(),
        &s.tenant,
        s.account.id.as_str(),
        Dataset::Inbound,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(state.backfilled);
    assert_eq!(state.progress.records_done, ran.written);

    let faults: u64 = st.stats().values().map(|o| o.faults).sum();
    assert!(faults >= 6, "the faults were met: {faults}");

    // A sweep with nothing changed reads only the open plans and writes nothing.
    st.clear_faults();
    st.advance(Dataset::Inbound.cadence());
    let calls = |op: &str| st.stats().get(op).map_or(0, |o| o.calls);
    let shipments_before = calls("getShipment");
    let quiet = s.run(&sync_impl, 60).await;
    assert_eq!(quiet.written, 0);
    assert!(quiet.events.is_empty());
    assert_eq!(
        calls("getShipment"),
        shipments_before,
        "no shipment re-read"
    );

    // The seller cancels one WORKING shipment, the others move one status on.
    let open: Vec<String> = st
        .inbound()
        .plans
        .iter()
        .flat_map(|p| p.shipments.iter())
        .filter(|s| s.status == ShipmentStatus::Working)
        .map(|s| s.shipment_id.clone())
        .collect();
    assert!(!open.is_empty());
    st.advance(Duration::minutes(5));
    let cancelled = st.advance_inbound(Some(&open[0]), true);
    assert_eq!(cancelled, vec![(open[0].clone(), "CANCELLED")]);
    let moved = st.advance_inbound(None, false);
    assert!(moved.len() >= 3, "{moved:?}");
    st.advance(Dataset::Inbound.cadence());
    // An open plan Amazon no longer serves (400 "does not exist") is skipped, not fatal.
    let mut gone = records::plans(s.w.store.as_ref(), &s.tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.is_open())
        .unwrap();
    gone.inbound_plan_id = "wf00000000-0000-0000-0000-00000000dead".into();
    records::put_plan(s.w.store.as_ref(), &s.tenant, &gone)
        .await
        .unwrap();
    let sweep = s.run(&sync_impl, 3).await;
    records::plan(s.w.store.as_ref(), &s.tenant, &gone.inbound_plan_id)
        .await
        .unwrap()
        .expect("left as stored");
    // (out of the comparison with the truth, which has no such plan)
    s.w.store
        .delete(
            &shared::keys::tenant(&s.tenant).inbound_plan(&gone.inbound_plan_id),
            None,
        )
        .await
        .unwrap();
    assert_inbound_matches(&st, s.w.store.as_ref(), &s.tenant, since).await;
    let mut expected: Vec<String> = moved
        .iter()
        .chain(cancelled.iter())
        .map(|(id, _)| id.clone())
        .collect();
    expected.sort();
    assert_eq!(shipments_named(&sweep.events), expected);

    // Every step of every run replayed from its checkpoint, in reverse: nothing changes.
    let before = s.dump().await;
    let all_states: Vec<SyncState> = ran
        .states
        .iter()
        .chain(quiet.states.iter())
        .chain(sweep.states.iter())
        .cloned()
        .collect();
    for state in all_states.iter().rev() {
        let deadline = st.now() + Duration::seconds(30);
        let amazon = s.ctx.until(deadline);
        match sync_impl.step(&s.cx(&amazon, deadline), state).await {
            Ok(r) => assert_eq!(r.written, 0, "a replayed step writes nothing"),
            Err(StepError::Amazon(AmazonError::RetryLater { at })) => {
                st.advance(at - st.now());
            }
            Err(e) => panic!("replay: {e}"),
        }
    }
    let after = s.dump().await;
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| {
            !k.starts_with("SYNC#") && !k.starts_with("LEASE#") && before.get(*k) != after.get(*k)
        })
        .collect();
    assert!(changed.is_empty(), "replays changed {changed:?}");
}

#[tokio::test]
async fn inbound_sync_on_dynamodb_finds_open_plans_through_the_sparse_index() {
    let app = TestApp::on_dynamodb().await;
    let mut w = world_of(amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders: 300,
        marketplaces: vec!["US".into()],
        ..Default::default()
    }))
    .await;
    w.store = app.store.clone();
    let s = seller_on(w).await;
    let st = s.w.st.clone();
    let sync_impl = InboundSync::default();
    let ran = s.run(&sync_impl, 30).await;
    let since = history(&sync_impl, &ran);
    assert_inbound_matches(&st, s.w.store.as_ref(), &s.tenant, since).await;
    let open = records::open_plan_ids(s.w.store.as_ref(), &s.tenant, s.account.id.as_str())
        .await
        .unwrap();
    let truth_open = st
        .inbound()
        .plans
        .iter()
        .filter(|p| p.shipments.iter().any(|s| s.status.is_open()))
        .count();
    assert_eq!(open.len(), truth_open);
    st.advance_inbound(None, false);
    st.advance(Dataset::Inbound.cadence());
    s.run(&sync_impl, 30).await;
    assert_inbound_matches(&st, s.w.store.as_ref(), &s.tenant, since).await;
}

fn shipment(status: &str, plan_updated: DateTime<Utc>) -> InboundShipmentRecord {
    InboundShipmentRecord {
        shipment_id: "sh00000000-0000-0000-0000-000000000001".into(),
        inbound_plan_id: "wf00000000-0000-0000-0000-000000000001".into(),
        connection: "conn-1".into(),
        marketplace_id: Some("ATVPDKIKX0DER".into()),
        name: Some("FBA".into()),
        status: status.into(),
        confirmation_id: Some("FBA15ABCDE".into()),
        placement_option_id: "pl00000000-0000-0000-0000-000000000001".into(),
        destination_type: Some("AMAZON_WAREHOUSE".into()),
        warehouse_id: Some("PHX7".into()),
        ready_to_ship_window: None,
        plan_updated_at: plan_updated,
        items: vec![],
    }
}

/// Reads of one shipment at every point of its flow, written at once in parallel: the one
/// furthest along wins, whatever order they land in.
async fn parallel_reads_leave_the_furthest_status(store: Arc<dyn Store>) {
    let tenant = Tenant::create();
    let t0 = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let reads = [
        ("WORKING", 0),
        ("SHIPPED", 1),
        ("IN_TRANSIT", 2),
        ("IN_TRANSIT", 3),
        ("RECEIVING", 4),
        ("RECEIVING", 5),
        ("CLOSED", 6),
        ("RECEIVING", 7),
    ];
    let tasks: Vec<_> = reads
        .iter()
        .map(|(status, hours)| {
            let store = store.clone();
            let tenant = tenant.clone();
            let r = shipment(status, t0 + Duration::hours(*hours));
            tokio::spawn(async move { records::put_shipment(store.as_ref(), &tenant, &r).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let stored = records::shipment(store.as_ref(), &tenant, &shipment("CLOSED", t0).shipment_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, shipment("CLOSED", t0 + Duration::hours(6)));
    let stale = records::put_shipment(
        store.as_ref(),
        &tenant,
        &shipment("RECEIVING", t0 + Duration::hours(9)),
    )
    .await
    .unwrap();
    assert!(!stale.stored(), "a later read of an earlier status loses");
}

#[tokio::test]
async fn a_stale_shipment_read_never_overwrites_a_later_status_embedded() {
    parallel_reads_leave_the_furthest_status(TestApp::new().store.clone()).await;
}

#[tokio::test]
async fn a_stale_shipment_read_never_overwrites_a_later_status_on_dynamodb() {
    parallel_reads_leave_the_furthest_status(TestApp::on_dynamodb().await.store.clone()).await;
}

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../infra/amazon-stand-in/models/fulfillmentInbound_2024-03-20.json"
);

/// Reads a body into its model and writes it back.
type Reader = fn(&Value) -> Value;

/// Reads a body into `T` and writes it back.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(body: &Value) -> Value {
    let typed: T = decode_value(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    serde_json::to_value(&typed).unwrap()
}

#[test]
fn inbound_sandbox_examples_read_into_their_models_without_losing_a_field() {
    let model: Value = serde_json::from_str(&std::fs::read_to_string(MODEL).unwrap()).unwrap();
    let readers: [(&str, Reader); 5] = [
        (
            "listInboundPlans",
            round_trip::<model::ListInboundPlansResponse>,
        ),
        ("getInboundPlan", round_trip::<model::InboundPlan>),
        (
            "listInboundPlanItems",
            round_trip::<model::ListItemsResponse>,
        ),
        ("getShipment", round_trip::<model::Shipment>),
        ("listShipmentItems", round_trip::<model::ListItemsResponse>),
    ];
    let mut checked = 0;
    for path in model["paths"].as_object().unwrap().values() {
        for op in path.as_object().unwrap().values() {
            let Some((_, read)) = readers
                .iter()
                .find(|(name, _)| op["operationId"].as_str() == Some(name))
            else {
                continue;
            };
            for example in op["responses"]["200"]["x-amzn-api-sandbox"]["static"]
                .as_array()
                .unwrap()
            {
                let body = &example["response"];
                covers(body, &read(body), "$").unwrap();
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked, 7,
        "every 200 sandbox example of the five operations"
    );
}

#[tokio::test]
async fn the_stand_in_pages_plans_and_items_and_its_quirks_read() {
    let s = seller_on(north_america(500).await).await;
    let inbound = s.api.inbound();
    let pages = inbound
        .list_inbound_plans_all(
            &s.ctx,
            &ListInboundPlansParams {
                page_size: Some(4),
                sort_by: Some("CREATION_TIME".into()),
                sort_order: Some("ASC".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let truth = s.w.st.inbound();
    assert!(pages.len() > 2, "{} pages", pages.len());
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|p| p.inbound_plans.iter().map(|p| p.inbound_plan_id.clone()))
        .collect();
    let mut want: Vec<&amazon_stand_in::inbound::InboundPlan> = truth.plans.iter().collect();
    want.sort_by_key(|p| (p.created_at, p.inbound_plan_id.clone()));
    assert_eq!(
        listed,
        want.iter()
            .map(|p| p.inbound_plan_id.clone())
            .collect::<Vec<_>>()
    );
    let working = truth
        .plans
        .iter()
        .find(|p| {
            p.shipments
                .iter()
                .any(|s| s.status == ShipmentStatus::Working)
        })
        .unwrap();
    let sh = &working.shipments[0];
    let got = inbound
        .get_shipment(&s.ctx, &working.inbound_plan_id, &sh.shipment_id)
        .await
        .unwrap();
    assert_eq!(
        got.shipment_confirmation_id, None,
        "an empty id reads as none"
    );
    let window = got.dates.unwrap().ready_to_ship_window.unwrap();
    assert_eq!(window.start.len(), "2026-10-31T00:00Z".len(), "{window:?}");
    let items = inbound
        .list_shipment_items_all(
            &s.ctx,
            &working.inbound_plan_id,
            &sh.shipment_id,
            &ListItemsParams {
                page_size: Some(1),
                pagination_token: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(items.len(), sh.items.len());
    assert!(items.iter().all(|i| i.expiration.is_none()));
    let stats = s.w.st.stats();
    assert_eq!(
        stats["listShipmentItems"].calls as usize,
        sh.items.len(),
        "one call a page"
    );
    assert_eq!(stats["listInboundPlans"].throttled, 0, "our limiter waits");
}

#[test]
fn the_inventory_inbound_figures_are_the_open_shipments() {
    let seller = amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders: 500,
        marketplaces: ["US", "CA"].map(String::from).to_vec(),
        ..Default::default()
    });
    let inbound = amazon_stand_in::inbound::generate(&seller);
    for level in &seller.inventory {
        let sku = &seller.products[level.product].sku;
        let units = |status: ShipmentStatus, received: bool| -> i64 {
            inbound
                .plans
                .iter()
                .filter(|p| p.marketplace_id == level.marketplace_id)
                .flat_map(|p| p.shipments.iter())
                .filter(|s| s.status == status)
                .flat_map(|s| s.items.iter())
                .filter(|i| &i.msku == sku)
                .map(|i| i.quantity - if received { i.received } else { 0 })
                .sum()
        };
        assert_eq!(units(ShipmentStatus::Working, false), level.inbound_working);
        assert_eq!(
            units(ShipmentStatus::InTransit, false),
            level.inbound_shipped
        );
        assert_eq!(
            units(ShipmentStatus::Receiving, true),
            level.inbound_receiving
        );
    }
}
