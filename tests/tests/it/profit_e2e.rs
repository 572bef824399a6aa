//! The profit ledger end to end: a 5,000-order North American stand-in seller connected
//! through the API and backfilled by the sync worker, with the bus's sync domain events routed
//! to the rollups queue and consumed as they come (so orders, shipments, estimates and
//! settlements arrive in whatever order the sync makes them). Then: every settlement's payout
//! is reproduced to 0.00 and every line drills down to the stand-in's own transaction, order,
//! settlement and SKU; every per-day per-SKU figure of both views equals what the stand-in's
//! records say, summed here independently; every domain event delivered twice more, shuffled,
//! changes no figure.

use super::amazon_client::Virtual;
use super::amazon_connect::{amazon_app, authorize, callback, callback_path, consent, Connected};
use super::helpers::*;
use super::sync_money::world_of;
use super::sync_worker::{shuffle, Recorder};
use amazon_stand_in::ground_truth::local_day;
use amazon_stand_in::model::{Fulfillment, OrderStatus, TxKind};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::domain::TenantId;
use shared::jobs::lambda::Batch;
use shared::jobs::{self, Runtime};
use shared::keys::Tenant;
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::store::{query_all, Index, Item, Query, SortKey, Value};
use shared::ports::{Clock, Pacer, Store};
use shared::profit::job::{Rollups, DETAIL_TYPES};
use shared::profit::{payouts, read_days, Category, Figures, Grain, View, ALL_SKUS};
use shared::sync::{self, Dataset, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The rollups queue and its consumer, remembering every message it was given.
struct RollupsRig {
    queue: Arc<EmbeddedQueue>,
    q: QueueRef,
    consumer: Rollups,
    delivered: Mutex<Vec<String>>,
}

impl RollupsRig {
    /// Consumes the rollups queue until it is empty; every message must settle.
    async fn pump(&self) -> usize {
        let mut n = 0;
        loop {
            let batch = self
                .queue
                .receive(&self.q, 10, Duration::minutes(10))
                .await
                .unwrap();
            if batch.is_empty() {
                return n;
            }
            n += batch.len();
            self.delivered
                .lock()
                .unwrap()
                .extend(batch.iter().map(|d| d.body.clone()));
            let deadline = chrono::Utc::now() + Duration::hours(1);
            for (id, disposition) in self.consumer.process(&batch, deadline).await {
                assert!(disposition.is_settled(), "rollup message {id} failed");
                let d = batch.iter().find(|d| d.message_id == id).unwrap();
                self.queue.delete(&self.q, &d.receipt).await.unwrap();
            }
        }
    }
}

/// Dispatch what is due and run the sync queue until it is empty (the rollups queue consumed
/// after every step), moving the stand-in's time on while only delayed messages wait.
async fn drain(
    store: &dyn Store,
    queues: &Recorder,
    q: &QueueRef,
    runtime: &Runtime,
    c: &Connected,
    rollups: &RollupsRig,
) {
    for _ in 0..200_000 {
        sync::dispatch(store, queues, q, c.w.st.now(), 100)
            .await
            .unwrap();
        let n = jobs::poll_once(
            runtime,
            queues,
            Duration::minutes(20),
            Duration::minutes(14),
        )
        .await
        .unwrap();
        rollups.pump().await;
        if n > 0 {
            continue;
        }
        if queues.stats(q).await.unwrap().total() == 0 {
            return;
        }
        c.w.st.advance(Duration::seconds(15));
    }
    panic!("the sync queue never emptied");
}

/// The figures a stand-in money line stands for: its settlement-file words, mapped here by
/// hand (what each is on Seller Central's statement), independently of the ledger's table.
fn truth_line(
    f: &mut Figures,
    kind: TxKind,
    amount_type: &str,
    description: &str,
    amount: Decimal,
) {
    let refund = kind == TxKind::Refund;
    let c = match (amount_type, description) {
        ("ItemPrice", "Principal" | "Shipping" | "GiftWrap") if refund => Category::Refunds,
        ("Promotion", _) if refund => Category::Refunds,
        ("ItemPrice", "Principal") => Category::Principal,
        ("ItemPrice", "Shipping") => Category::Shipping,
        ("ItemPrice", "GiftWrap") => Category::GiftWrap,
        ("ItemPrice", "Tax" | "ShippingTax" | "GiftWrapTax") => Category::TaxCollected,
        ("ItemWithheldTax", _) => Category::TaxWithheld,
        ("Promotion", _) => Category::Promotions,
        ("ItemFees", "Commission") => Category::ReferralFees,
        ("ItemFees", "RefundCommission") => Category::OtherAmazonFees,
        ("ItemFees", "FBAPerUnitFulfillmentFee" | "ShippingChargeback" | "GiftwrapChargeback") => {
            Category::FbaFees
        }
        ("other-transaction", "Subscription Fee") => Category::OtherAmazonFees,
        ("other-transaction", "Storage Fee" | "Long-Term Storage Fee") => Category::StorageFees,
        (
            "other-transaction",
            "FBA Inbound Placement Service Fee" | "FBA Removal Order: Disposal Fee",
        ) => Category::InboundRemovalFees,
        ("other-transaction", "Cost of Advertising") => Category::Advertising,
        ("FBA Inventory Reimbursement", _) => Category::Reimbursements,
        other => panic!("a stand-in line the test does not know: {other:?}"),
    };
    f.add_amount(c, amount);
    f.lines += 1;
}

pub(crate) type Rows = BTreeMap<(String, String, NaiveDate), Figures>;

/// Per (marketplace, SKU, day) figures and the day totals (SKU `*`, distinct orders).
#[derive(Default)]
struct Truth {
    rows: Rows,
    orders: BTreeMap<(String, String, NaiveDate), BTreeSet<String>>,
}

impl Truth {
    fn row(&mut self, m: &str, sku: &str, d: NaiveDate) -> &mut Figures {
        self.rows
            .entry((m.to_string(), sku.to_string(), d))
            .or_default()
    }

    fn order(&mut self, m: &str, sku: &str, d: NaiveDate, id: &str) {
        for s in [sku, ALL_SKUS] {
            self.orders
                .entry((m.to_string(), s.to_string(), d))
                .or_default()
                .insert(id.to_string());
        }
    }

    fn transaction(
        &mut self,
        s: &amazon_stand_in::Seller,
        t: &amazon_stand_in::model::Transaction,
        d: NaiveDate,
    ) {
        for it in &t.items {
            let sku = it
                .product
                .map(|p| s.products[p].sku.clone())
                .unwrap_or_default();
            let f = self.row(t.marketplace_id, &sku, d);
            for l in &it.lines {
                truth_line(f, t.kind, l.category, l.kind, l.amount);
            }
            match t.kind {
                TxKind::Shipment => f.units_sold += it.quantity,
                TxKind::Refund => f.refund_units += it.quantity.abs(),
                _ => {}
            }
            if t.kind == TxKind::Shipment {
                self.order(t.marketplace_id, &sku, d, t.order_id.as_deref().unwrap());
            }
        }
    }

    /// The rows with counts of orders and the day totals.
    fn finish(mut self) -> Rows {
        let mut totals: Rows = BTreeMap::new();
        for ((m, _, d), f) in &self.rows {
            totals
                .entry((m.clone(), ALL_SKUS.to_string(), *d))
                .or_default()
                .add(f);
        }
        self.rows.extend(totals);
        for (k, f) in self.rows.iter_mut() {
            f.orders = self.orders.get(k).map(|s| s.len() as i64).unwrap_or(0);
        }
        self.rows
    }
}

/// The cash view of the stand-in: every line on its posting day.
pub(crate) fn posted_truth(s: &amazon_stand_in::Seller) -> Rows {
    let mut t = Truth::default();
    for tx in &s.transactions {
        t.transaction(s, tx, local_day(tx.marketplace_id, tx.posted));
    }
    t.finish()
}

/// The order-date view of the stand-in: a shipped order's lines on its order day; an order
/// not shipped yet at its prices (none while pending) with Amazon's fee for its listing at its
/// unit price; every other line on its posting day.
pub(crate) fn order_truth(s: &amazon_stand_in::Seller) -> Rows {
    let mut t = Truth::default();
    let mut shipped = BTreeSet::new();
    for tx in &s.transactions {
        if tx.kind == TxKind::Shipment {
            let o = s.order(tx.order_id.as_deref().unwrap()).unwrap();
            shipped.insert(o.id.clone());
            t.transaction(s, tx, local_day(o.marketplace_id, o.purchase_date));
        } else {
            t.transaction(s, tx, local_day(tx.marketplace_id, tx.posted));
        }
    }
    for o in s
        .orders
        .iter()
        .filter(|o| !shipped.contains(&o.id) && o.status != OrderStatus::Canceled)
    {
        let d = local_day(o.marketplace_id, o.purchase_date);
        for it in &o.items {
            let p = &s.products[it.product];
            t.order(o.marketplace_id, &p.sku, d, &o.id);
            let f = t.row(o.marketplace_id, &p.sku, d);
            f.units_sold += it.quantity;
            f.lines += 1;
            if o.status == OrderStatus::Pending {
                continue; // Amazon shows no prices yet.
            }
            let tax = it.tax + it.shipping_tax + it.gift_wrap_tax;
            f.add_amount(Category::Principal, it.principal);
            f.add_amount(Category::Shipping, it.shipping);
            f.add_amount(Category::GiftWrap, it.gift_wrap);
            f.add_amount(Category::Promotions, -(it.promotion + it.ship_promotion));
            f.add_amount(Category::TaxCollected, tax);
            f.add_amount(Category::TaxWithheld, -tax);
            let unit = (it.principal / Decimal::from(it.quantity)).round_dp(2);
            let (referral, fba) = amazon_stand_in::catalog::unit_fees(
                p,
                unit,
                o.currency,
                o.fulfillment == Fulfillment::Afn,
            );
            let q = Decimal::from(it.quantity);
            f.add_amount(Category::ReferralFees, -referral * q);
            f.add_amount(Category::FbaFees, -fba * q);
            f.estimated_fees += -(referral + fba) * q;
        }
    }
    t.finish()
}

async fn ours(store: &dyn Store, tenant: &Tenant, view: View) -> Rows {
    let mut out = Rows::new();
    for grain in [Grain::BySku, Grain::Total] {
        for r in read_days(
            store,
            tenant,
            view,
            None,
            &grain,
            "2020-01-01".parse().unwrap(),
            "2030-12-31".parse().unwrap(),
        )
        .await
        .unwrap()
        {
            assert_eq!(r.reporting_currency, "USD");
            out.insert((r.marketplace_id, r.sku, r.day), r.native);
        }
    }
    out
}

/// The first differences of two sets of rows, for a readable failure.
fn differences(ours: &Rows, truth: &Rows) -> Vec<String> {
    ours.keys()
        .chain(truth.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|k| ours.get(*k) != truth.get(*k))
        .take(5)
        .map(|k| format!("{k:?}: ours {:?} truth {:?}", ours.get(k), truth.get(k)))
        .collect()
}

/// Every profit item of the tenant (the replay tokens aside, which change by design).
async fn profit_items(store: &dyn Store, tenant: &Tenant) -> BTreeMap<String, Item> {
    let q = Query::partition(Index::Table, shared::keys::pk(tenant)).sk(SortKey::Any);
    query_all(store, q)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.get("sk").and_then(Value::as_s).unwrap().to_string(), i))
        .filter(|(sk, _)| {
            ["RDAY#", "RSKU#", "RMKT#", "LEDGER#", "LSETTLE#", "REST#"]
                .iter()
                .any(|p| sk.starts_with(p))
        })
        .collect()
}

#[tokio::test]
async fn a_synced_seller_ties_out_to_its_payouts_and_the_stand_ins_records_in_both_views() {
    ties_out(5_000, 50).await;
}

/// The same on a small seller: the quick check while working on the ledger.
#[tokio::test]
async fn a_small_synced_seller_ties_out_in_both_views() {
    ties_out(600, 5).await;
}

async fn ties_out(orders: usize, min_settlements: usize) {
    let w = world_of(amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders,
        marketplaces: ["US", "CA", "MX"].map(String::from).to_vec(),
        ..Default::default()
    }))
    .await;
    let mut app = TestApp::new();
    app.clock.set(w.st.now());
    let amazon = amazon_app(&w, app.store.clone(), None);
    app.state.amazon = Some(amazon.clone());
    let c = Connected { app, w, amazon };
    let s = c.app.signed_up("profit@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, false).await;
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    let store = c.app.store.clone();
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();

    // The jobs; the bus routes the sync's domain events to the rollups queue, as the
    // template's rule does.
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(c.w.st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let inner = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = inner.declare("sync", Some(("sync-dlq", 10)));
    let rq = inner.declare("rollups", Some(("rollups-dlq", 10)));
    let bus = EmbeddedBus::new(inner.clone(), clock.clone());
    bus.route(
        Pattern {
            source: "beddora.sync".into(),
            detail_types: DETAIL_TYPES.map(String::from).to_vec(),
        },
        rq.clone(),
    );
    let rollups = RollupsRig {
        queue: inner.clone(),
        q: rq.clone(),
        consumer: Rollups {
            store: store.clone(),
            recheck: None,
        },
        delivered: Mutex::default(),
    };
    let queues = Arc::new(Recorder {
        inner: inner.clone(),
        sent: Mutex::default(),
    });
    let ports = job_sync_worker::Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets: c.app.state.secrets.clone(),
        bus: Arc::new(bus),
        amazon: c.amazon.clone(),
        pacer,
    };
    let runtime = job_sync_worker::runtime(&ports, &c.app.state.config.secret_prefix, q.clone());
    drain(store.as_ref(), &queues, &q, &runtime, &c, &rollups).await;
    c.w.st.advance(Dataset::FeeEstimates.cadence());
    drain(store.as_ref(), &queues, &q, &runtime, &c, &rollups).await;
    for state in sync::all(store.as_ref(), &tenant).await.unwrap() {
        assert!(
            state.backfilled && state.status == Status::Idle,
            "{}: {:?}",
            state.dataset,
            state.error
        );
    }
    let seller = &c.w.st.seller;
    let st = store.as_ref();

    // Each settlement's payout, reproduced to 0.00; every line drills down to the stand-in's
    // own transaction, with its order, settlement and SKU.
    let list = payouts::list(st, &tenant).await.unwrap();
    let listed: BTreeMap<&str, &payouts::PayoutSummary> =
        list.iter().map(|p| (p.settlement_id.as_str(), p)).collect();
    let by_id: BTreeMap<&str, &amazon_stand_in::model::Transaction> = seller
        .transactions
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let mut reconciled = 0;
    for (i, stl) in seller
        .settlements
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.transactions.is_empty())
    {
        let p = listed
            .get(stl.id.as_str())
            .unwrap_or_else(|| panic!("settlement {} is listed", stl.id));
        assert_eq!(p.amazon_total, Some(stl.total), "{}", stl.id);
        assert_eq!(p.our_total, stl.total, "{}", stl.id);
        assert_eq!(p.difference, Some(Decimal::ZERO), "{}", stl.id);
        let shown = shared::profit::money::display(p.difference.unwrap(), &p.currency);
        assert_eq!(shown.to_string(), "0.00", "{}", stl.id);
        assert_eq!(
            (p.marketplace_id.as_str(), p.currency.as_str(), p.closed),
            (stl.marketplace_id, stl.currency, stl.closed)
        );
        assert_eq!(p.group_id.as_deref(), Some(stl.group_id.as_str()));
        let detail = payouts::lines(st, &tenant, &stl.id).await.unwrap().unwrap();
        assert_eq!(detail.lines.len() as u64, p.lines);
        let mut seen = BTreeSet::new();
        for l in &detail.lines {
            let t = by_id
                .get(l.transaction_id.as_str())
                .unwrap_or_else(|| panic!("{} is Amazon's", l.transaction_id));
            assert_eq!(
                t.settlement,
                Some(i),
                "{} is in {}",
                l.transaction_id,
                stl.id
            );
            assert_eq!(l.settlement_id.as_deref(), Some(stl.id.as_str()));
            assert_eq!(l.order_id, t.order_id);
            assert_eq!(l.marketplace_id, t.marketplace_id);
            let item = &t.items[l.item as usize - 1];
            assert_eq!(
                l.sku,
                item.product
                    .map(|p| seller.products[p].sku.clone())
                    .unwrap_or_default()
            );
            assert!(item.lines.iter().any(|x| x.category == l.amount_type
                && x.kind == l.description
                && x.amount == l.amount));
            seen.insert(l.transaction_id.as_str());
        }
        assert_eq!(
            seen.len(),
            stl.transactions.len(),
            "every transaction of {} is behind it",
            stl.id
        );
        reconciled += 1;
    }
    assert!(
        reconciled > min_settlements,
        "{reconciled} settlements reconciled"
    );

    // Both views, row for row, to the stand-in's records.
    let posted = ours(st, &tenant, View::PostedDate).await;
    let truth = posted_truth(seller);
    assert!(
        posted == truth,
        "posted view differs: {:#?}",
        differences(&posted, &truth)
    );
    let ordered = ours(st, &tenant, View::OrderDate).await;
    let truth = order_truth(seller);
    assert!(
        ordered == truth,
        "order-date view differs: {:#?}",
        differences(&ordered, &truth)
    );
    let estimated: Decimal = ordered
        .iter()
        .filter(|(k, _)| k.1 == ALL_SKUS)
        .map(|(_, f)| f.estimated_fees)
        .sum();
    assert!(
        estimated < Decimal::ZERO,
        "recent unshipped orders carry estimated fees"
    );

    // Every domain event delivered twice more, shuffled: no figure changes.
    let before = profit_items(st, &tenant).await;
    let delivered = rollups.delivered.lock().unwrap().clone();
    assert!(
        delivered.len() > min_settlements,
        "{} domain events",
        delivered.len()
    );
    let mut again: Vec<String> = delivered.iter().chain(delivered.iter()).cloned().collect();
    shuffle(&mut again, 11);
    for body in &again {
        inner.send(&rq, body, Duration::zero()).await.unwrap();
    }
    rollups.pump().await;
    let after = profit_items(st, &tenant).await;
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "replayed events changed {} items, e.g. {:?}",
        changed.len(),
        changed.iter().take(5).collect::<Vec<_>>()
    );
}
