//! The seller keeps selling after its generated history ends: new orders arrive at the pace
//! of its last four weeks, go from pending to shipped (or get cancelled), their money posts
//! as a shipment transaction that Amazon holds (deferred) and then releases into the open
//! settlement group, some are refunded later, and every 14 days a marketplace's group closes
//! and its settlement report appears a day later. Each change sends the notification Amazon
//! sends for it (ORDER_CHANGE, TRANSACTION_UPDATE, REPORT_PROCESSING_FINISHED) to the
//! subscribed destination through the stand-in's [`Sink`](crate::notifications::Sink).
//!
//! Deterministic: an hour's orders come from the seed and the hour alone, and events are
//! applied in one total order (time, then kind, then id), so the seller at a given instant is
//! the same however often [`StandIn::live_tick`] was called on the way there. Everything is
//! written into the seller's records, so the ground truth includes it and settlements balance.

use crate::generator::{refund_lines, release_of, round, shipment_items, Seller};
use crate::model::*;
use crate::notifications::Sink;
use crate::server::{Shared, StandIn};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, DurationRound, Utc};
use rand::distributions::WeightedIndex;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::Serialize;
use shared::marketplaces::Marketplace;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Settlement report types Amazon creates for every closed group (both layouts).
const SETTLEMENT_REPORTS: &[(&str, &str, &str)] = &[
    (
        "S",
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
        "settlement",
    ),
    (
        "L",
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE",
        "settlement-legacy",
    ),
];

/// What one tick changed.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tick {
    pub orders: usize,
    pub order_changes: usize,
    pub transactions: usize,
    pub released: usize,
    pub settlements_closed: usize,
    pub notifications: usize,
}

/// A scheduled change. At the same instant, variants apply in declaration order (a group
/// closes before money released at its end goes into the next one), then by id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Close { marketplace: &'static str },
    Purchase { order: String },
    Confirm { order: String },
    Cancel { order: String },
    Ship { order: String },
    Refund { order: String },
    Release { transaction: String },
    SettlementReport { settlement: String },
}

/// What happens to an order after it is placed, drawn when it is planned.
#[derive(Debug, Clone)]
struct Lifecycle {
    confirm: Option<DateTime<Utc>>,
    cancel: Option<DateTime<Utc>>,
    ship: Option<DateTime<Utc>>,
    /// `(item index, time after the latest delivery date, refund id)`.
    refund: Option<(usize, Duration, String)>,
}

/// The live state of a selling seller.
pub struct Live {
    seed: u64,
    /// Where the generated history ended: nothing before it is changed.
    from: DateTime<Utc>,
    /// Orders an hour, per marketplace (index into `Seller::marketplaces`).
    pace: Vec<f64>,
    /// Listing indexes per marketplace, and their popularity.
    listings: Vec<(Vec<usize>, Option<WeightedIndex<f64>>)>,
    /// Hours before this one have their orders planned.
    planned_to: DateTime<Utc>,
    agenda: BTreeSet<(DateTime<Utc>, Event)>,
    planned: HashMap<String, Order>,
    lifecycles: HashMap<String, Lifecycle>,
    /// Transactions not yet released, by id.
    unreleased: HashMap<String, usize>,
    /// The open settlement group of each marketplace.
    open: HashMap<&'static str, usize>,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn rng_of(parts: &[u64]) -> ChaCha8Rng {
    let seed = parts
        .iter()
        .fold(0u64, |acc, p| splitmix(acc ^ splitmix(*p)));
    ChaCha8Rng::seed_from_u64(seed)
}

fn text_key(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

fn alnum(rng: &mut ChaCha8Rng, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| A[rng.gen_range(0..A.len())] as char)
        .collect()
}

/// A Poisson draw (Knuth's method: the paces are a few an hour at most).
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> usize {
    if lambda <= 0.0 {
        return 0;
    }
    let limit = (-lambda).exp();
    let mut p = 1.0;
    let mut k = 0;
    loop {
        p *= rng.gen::<f64>();
        if p <= limit || k > 1_000 {
            return k;
        }
        k += 1;
    }
}

/// The transaction id of an order's shipment (`1`) or refund (`2`): derived from the order
/// id so it does not depend on when it was made.
fn transaction_id(order: &str, kind: u8) -> String {
    format!("TX{}{kind}", order.replace('-', ""))
}

impl Live {
    /// Starts selling where `s`'s history ends.
    fn new(s: &Seller) -> Self {
        let from = s.spec.end;
        let recent = s
            .orders
            .iter()
            .filter(|o| o.purchase_date > from - Duration::days(28))
            .count() as f64;
        let per_hour = recent / (28.0 * 24.0);
        let total = s.orders.len().max(1) as f64;
        let pace = s
            .marketplaces
            .iter()
            .map(|m| {
                let n = s.orders.iter().filter(|o| o.marketplace_id == m.id).count() as f64;
                per_hour * n / total
            })
            .collect();
        let listings = s
            .marketplaces
            .iter()
            .map(|m| {
                let ls: Vec<usize> = (0..s.listings.len())
                    .filter(|&i| s.listings[i].marketplace_id == m.id)
                    .collect();
                let w = WeightedIndex::new(
                    (0..ls.len()).map(|rank| 1.0 / (1.0 + rank as f64).powf(0.8)),
                )
                .ok();
                (ls, w)
            })
            .collect();
        let mut live = Live {
            seed: s.spec.seed,
            from,
            pace,
            listings,
            planned_to: from.duration_trunc(Duration::hours(1)).unwrap_or(from),
            agenda: BTreeSet::new(),
            planned: HashMap::new(),
            lifecycles: HashMap::new(),
            unreleased: HashMap::new(),
            open: HashMap::new(),
        };
        // Orders still in flight at the end of the history ship soon after.
        for o in &s.orders {
            if !matches!(o.status, OrderStatus::Pending | OrderStatus::Unshipped) {
                continue;
            }
            let mut rng = rng_of(&[live.seed, text_key(&o.id)]);
            let after = match o.fulfillment {
                Fulfillment::Afn => Duration::seconds(rng.gen_range(3_600..40_000)),
                Fulfillment::Mfn => Duration::seconds(rng.gen_range(10_800..170_000)),
            };
            let ship =
                (o.purchase_date + after).max(from + Duration::seconds(rng.gen_range(60..7_200)));
            let confirm = (o.status == OrderStatus::Pending)
                .then(|| (o.purchase_date + Duration::minutes(5)).max(from + Duration::seconds(30)))
                .filter(|c| *c < ship);
            let lc = Lifecycle {
                confirm,
                cancel: None,
                ship: Some(ship),
                refund: None,
            };
            live.schedule_lifecycle(&o.id, &lc);
            live.lifecycles.insert(o.id.clone(), lc);
        }
        for (i, t) in s.transactions.iter().enumerate() {
            if t.settlement.is_none() && t.release > from {
                live.unreleased.insert(t.id.clone(), i);
                live.agenda.insert((
                    t.release,
                    Event::Release {
                        transaction: t.id.clone(),
                    },
                ));
            }
        }
        for (i, g) in s.settlements.iter().enumerate() {
            if !g.closed {
                live.open.insert(g.marketplace_id, i);
                live.agenda.insert((
                    g.end,
                    Event::Close {
                        marketplace: g.marketplace_id,
                    },
                ));
            } else if let Some(d) = g.deposit_date {
                let ready = d + Duration::seconds(90);
                if ready > from {
                    live.agenda.insert((
                        ready,
                        Event::SettlementReport {
                            settlement: g.id.clone(),
                        },
                    ));
                }
            }
        }
        live
    }

    fn schedule_lifecycle(&mut self, order: &str, lc: &Lifecycle) {
        let order = order.to_string();
        if let Some(at) = lc.confirm {
            self.agenda.insert((
                at,
                Event::Confirm {
                    order: order.clone(),
                },
            ));
        }
        if let Some(at) = lc.cancel {
            self.agenda.insert((
                at,
                Event::Cancel {
                    order: order.clone(),
                },
            ));
        }
        if let Some(at) = lc.ship {
            self.agenda.insert((at, Event::Ship { order }));
        }
    }

    /// Draws the orders of the hour starting at `hour`, from the seed and the hour alone.
    fn plan_hour(&mut self, s: &Seller, hour: DateTime<Utc>) {
        for (mi, m) in s.marketplaces.iter().enumerate() {
            let mut rng = rng_of(&[self.seed, hour.timestamp() as u64, mi as u64]);
            let n = poisson(&mut rng, self.pace[mi]);
            for _ in 0..n {
                let purchase = hour + Duration::seconds(rng.gen_range(0..3_600));
                let Some((order, lc)) = self.plan_order(s, mi, m, purchase, &mut rng) else {
                    continue;
                };
                if purchase <= self.from
                    || self.planned.contains_key(&order.id)
                    || s.order_index.contains_key(&order.id)
                {
                    continue;
                }
                self.agenda.insert((
                    purchase,
                    Event::Purchase {
                        order: order.id.clone(),
                    },
                ));
                self.lifecycles.insert(order.id.clone(), lc);
                self.planned.insert(order.id.clone(), order);
            }
        }
    }

    fn plan_order(
        &self,
        s: &Seller,
        mi: usize,
        m: &'static Marketplace,
        purchase: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) -> Option<(Order, Lifecycle)> {
        let (ls, popularity) = &self.listings[mi];
        let popularity = popularity.as_ref()?;
        let first = &s.listings[ls[popularity.sample(rng)]];
        let fulfillment = first.fulfillment;
        let cur = m.currency;
        let tax_rate = if matches!(m.country_code, "US" | "CA" | "MX") {
            Decimal::new(rng.gen_range(500..1000), 4)
        } else {
            Decimal::ZERO
        };
        let n_items = if rng.gen_bool(0.82) { 1 } else { 2 };
        let mut items: Vec<OrderItem> = Vec::new();
        for k in 0..n_items {
            let l = if k == 0 {
                first
            } else {
                &s.listings[ls[popularity.sample(rng)]]
            };
            if items.iter().any(|i| i.product == l.product) {
                continue;
            }
            let quantity = if rng.gen_bool(0.86) {
                1
            } else {
                rng.gen_range(2..4)
            };
            let principal = l.price * Decimal::from(quantity);
            let promotion = if rng.gen_bool(0.1) {
                round(principal * Decimal::new(rng.gen_range(10..25), 2), cur)
            } else {
                Decimal::ZERO
            };
            items.push(OrderItem {
                order_item_id: digits(rng, 14),
                product: l.product,
                quantity,
                principal,
                tax: round((principal - promotion) * tax_rate, cur),
                shipping: Decimal::ZERO,
                shipping_tax: Decimal::ZERO,
                gift_wrap: Decimal::ZERO,
                gift_wrap_tax: Decimal::ZERO,
                promotion,
                ship_promotion: Decimal::ZERO,
                promotion_id: (promotion > Decimal::ZERO).then(|| format!("PLM-{}", alnum(rng, 8))),
            });
        }
        let prefix = match m.region.code() {
            "NA" => rng.gen_range(111..115),
            "EU" => rng.gen_range(202..208),
            _ => 249,
        };
        let id = format!("{prefix}-{}-{}", digits(rng, 7), digits(rng, 7));
        let ship_after = match fulfillment {
            Fulfillment::Afn => Duration::seconds(rng.gen_range(3_600..40_000)),
            Fulfillment::Mfn => Duration::seconds(rng.gen_range(10_800..170_000)),
        };
        let earliest = purchase + ship_after + Duration::days(rng.gen_range(1..4));
        let latest = earliest + Duration::days(rng.gen_range(1..4));
        let cancelled = rng.gen_bool(0.025);
        let refund = (!cancelled && rng.gen_bool(0.05)).then(|| {
            (
                rng.gen_range(0..items.len()),
                Duration::days(rng.gen_range(2..30)) + Duration::seconds(rng.gen_range(0..86_400)),
                format!("amzn1:crow:{}", alnum(rng, 16).to_lowercase()),
            )
        });
        let lc = Lifecycle {
            confirm: Some(purchase + Duration::seconds(rng.gen_range(120..540))),
            cancel: cancelled.then(|| purchase + Duration::seconds(rng.gen_range(600..20_000))),
            ship: (!cancelled).then_some(purchase + ship_after),
            refund,
        };
        const CITIES: &[(&str, &str, &str)] = &[
            ("Seattle", "WA", "98101"),
            ("Austin", "TX", "73301"),
            ("Denver", "CO", "80202"),
            ("Boston", "MA", "02108"),
        ];
        let (city, state, zip) = CITIES[rng.gen_range(0..CITIES.len())];
        let us = m.country_code == "US";
        let order = Order {
            id,
            marketplace_id: m.id,
            currency: cur,
            purchase_date: purchase,
            last_update: purchase,
            status: OrderStatus::Pending,
            fulfillment,
            items,
            ship_date: None,
            earliest_delivery: earliest,
            latest_delivery: latest,
            is_business: rng.gen_bool(0.04),
            is_prime: fulfillment == Fulfillment::Afn && rng.gen_bool(0.7),
            ship_to: Address {
                city: if us { city } else { "Capital" },
                state: if us { state } else { "" },
                postal_code: if us { zip.to_string() } else { digits(rng, 5) },
                country: if m.country_code == "UK" {
                    "GB"
                } else {
                    m.country_code
                },
            },
            ship_service_level: if fulfillment == Fulfillment::Afn {
                "Expedited"
            } else {
                "Std Cont US Street Addr"
            },
        };
        Some((order, lc))
    }

    /// Applies every event due by `now` to `s`, in order; returns what changed and the
    /// notifications to send, built as each change happens.
    fn run(
        &mut self,
        st: &StandIn,
        s: &mut Seller,
        now: DateTime<Utc>,
        subs: &Subs,
    ) -> (Tick, Vec<Outgoing>) {
        let mut tick = Tick::default();
        let mut out = Vec::new();
        while self.planned_to <= now {
            let hour = self.planned_to;
            self.plan_hour(s, hour);
            self.planned_to = hour + Duration::hours(1);
        }
        while let Some((at, event)) = self.agenda.first().cloned() {
            if at > now {
                break;
            }
            self.agenda.pop_first();
            self.apply(st, s, at, event, subs, &mut tick, &mut out);
        }
        (tick, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        st: &StandIn,
        s: &mut Seller,
        at: DateTime<Utc>,
        event: Event,
        subs: &Subs,
        tick: &mut Tick,
        out: &mut Vec<Outgoing>,
    ) {
        let order_changed = |s: &Seller, i: usize, out: &mut Vec<Outgoing>| {
            if let Some((sub, arn, sink)) = subs.get("ORDER_CHANGE") {
                out.push((
                    arn.clone(),
                    sink.clone(),
                    st.order_change(s, &s.orders[i], sub),
                ));
            }
        };
        let transaction_changed = |s: &Seller, i: usize, out: &mut Vec<Outgoing>| {
            if let Some((sub, arn, sink)) = subs.get("TRANSACTION_UPDATE") {
                out.push((
                    arn.clone(),
                    sink.clone(),
                    st.transaction_update(s, &s.transactions[i], at, sub),
                ));
            }
        };
        match event {
            Event::Purchase { order } => {
                let Some(o) = self.planned.remove(&order) else {
                    return;
                };
                if let Some(lc) = self.lifecycles.get(&order).cloned() {
                    self.schedule_lifecycle(&order, &lc);
                }
                s.order_index.insert(order, s.orders.len());
                s.orders.push(o);
                tick.orders += 1;
                order_changed(s, s.orders.len() - 1, out);
            }
            Event::Confirm { order } => {
                let Some(&i) = s.order_index.get(&order) else {
                    return;
                };
                if s.orders[i].status != OrderStatus::Pending {
                    return;
                }
                s.orders[i].status = OrderStatus::Unshipped;
                s.orders[i].last_update = at;
                tick.order_changes += 1;
                order_changed(s, i, out);
            }
            Event::Cancel { order } => {
                let Some(&i) = s.order_index.get(&order) else {
                    return;
                };
                if !matches!(
                    s.orders[i].status,
                    OrderStatus::Pending | OrderStatus::Unshipped
                ) {
                    return;
                }
                s.orders[i].status = OrderStatus::Canceled;
                s.orders[i].last_update = at;
                self.lifecycles.remove(&order);
                tick.order_changes += 1;
                order_changed(s, i, out);
            }
            Event::Ship { order } => {
                let Some(&i) = s.order_index.get(&order) else {
                    return;
                };
                if !matches!(
                    s.orders[i].status,
                    OrderStatus::Pending | OrderStatus::Unshipped
                ) {
                    return;
                }
                let o = &mut s.orders[i];
                o.status = OrderStatus::Shipped;
                o.ship_date = Some(at);
                o.last_update = at;
                if o.latest_delivery <= at {
                    o.earliest_delivery = at + Duration::days(2);
                    o.latest_delivery = at + Duration::days(4);
                }
                let o = &s.orders[i];
                let (items, _) = shipment_items(s, o);
                let t = Transaction {
                    id: transaction_id(&o.id, 1),
                    kind: TxKind::Shipment,
                    posted: at,
                    release: release_of(o, at),
                    marketplace_id: o.marketplace_id,
                    currency: o.currency,
                    order_id: Some(o.id.clone()),
                    adjustment_id: None,
                    description: "Order",
                    items,
                    settlement: None,
                };
                match self.lifecycles.get(&order).and_then(|l| l.refund.clone()) {
                    Some((_, after, _)) => {
                        self.agenda.insert((
                            o.latest_delivery + after,
                            Event::Refund {
                                order: order.clone(),
                            },
                        ));
                    }
                    None => {
                        self.lifecycles.remove(&order);
                    }
                }
                tick.order_changes += 1;
                order_changed(s, i, out);
                self.post(s, t, tick, out, &transaction_changed);
            }
            Event::Refund { order } => {
                let Some(&i) = s.order_index.get(&order) else {
                    return;
                };
                let Some((k, _, refund_id)) = self.lifecycles.remove(&order).and_then(|l| l.refund)
                else {
                    return;
                };
                let o = &s.orders[i];
                let (_, commissions) = shipment_items(s, o);
                let it = &o.items[k];
                let t = Transaction {
                    id: transaction_id(&o.id, 2),
                    kind: TxKind::Refund,
                    posted: at,
                    release: at,
                    marketplace_id: o.marketplace_id,
                    currency: o.currency,
                    order_id: Some(o.id.clone()),
                    adjustment_id: Some(refund_id),
                    description: "Refund",
                    items: vec![TxItem {
                        product: Some(it.product),
                        order_item_id: Some(it.order_item_id.clone()),
                        quantity: it.quantity,
                        lines: refund_lines(s, it, commissions[k], o.currency),
                    }],
                    settlement: None,
                };
                self.post(s, t, tick, out, &transaction_changed);
            }
            Event::Release { transaction } => {
                let Some(i) = self.unreleased.remove(&transaction) else {
                    return;
                };
                let Some(&g) = self.open.get(s.transactions[i].marketplace_id) else {
                    return;
                };
                let total = s.transactions[i].total();
                s.transactions[i].settlement = Some(g);
                s.settlements[g].transactions.push(i);
                s.settlements[g].total += total;
                tick.released += 1;
                if s.transactions[i].posted < at {
                    // Deferred money released: the transaction's status changed.
                    transaction_changed(s, i, out);
                }
            }
            Event::Close { marketplace } => {
                let Some(&g) = self.open.get(marketplace) else {
                    return;
                };
                let end = s.settlements[g].end;
                let deposit = end + Duration::days(1);
                s.settlements[g].closed = true;
                s.settlements[g].deposit_date = Some(deposit);
                let mut rng = rng_of(&[self.seed, text_key(marketplace), end.timestamp() as u64]);
                let next = Settlement {
                    id: format!("{}", 10_000_000_000u64 + rng.gen_range(0..9_999_999_999u64)),
                    group_id: format!("{}{}", alnum(&mut rng, 20), digits(&mut rng, 3)),
                    marketplace_id: marketplace,
                    currency: s.settlements[g].currency,
                    start: end,
                    end: end + Duration::days(14),
                    closed: false,
                    deposit_date: None,
                    total: Decimal::ZERO,
                    transactions: vec![],
                };
                self.agenda.insert((next.end, Event::Close { marketplace }));
                self.agenda.insert((
                    deposit + Duration::seconds(90),
                    Event::SettlementReport {
                        settlement: s.settlements[g].id.clone(),
                    },
                ));
                self.open.insert(marketplace, s.settlements.len());
                s.settlements.push(next);
                tick.settlements_closed += 1;
            }
            Event::SettlementReport { settlement } => {
                if let Some((sub, arn, sink)) = subs.get("REPORT_PROCESSING_FINISHED") {
                    for (prefix, report_type, doc) in SETTLEMENT_REPORTS {
                        let body = st.report_finished(
                            sub,
                            &format!("{prefix}{settlement}"),
                            report_type,
                            "DONE",
                            Some(&format!("amzn1.spdoc.{doc}.{settlement}")),
                        );
                        out.push((arn.clone(), sink.clone(), body));
                    }
                }
            }
        }
    }

    /// Posts a transaction (kept in posting order) and schedules its release.
    fn post(
        &mut self,
        s: &mut Seller,
        t: Transaction,
        tick: &mut Tick,
        out: &mut Vec<Outgoing>,
        notify: &dyn Fn(&Seller, usize, &mut Vec<Outgoing>),
    ) {
        let i = s.transactions.len();
        self.unreleased.insert(t.id.clone(), i);
        self.agenda.insert((
            t.release,
            Event::Release {
                transaction: t.id.clone(),
            },
        ));
        s.transactions.push(t);
        tick.transactions += 1;
        notify(s, i, out);
    }
}

type Subs = HashMap<&'static str, (String, String, Arc<dyn Sink>)>;
type Outgoing = (String, Arc<dyn Sink>, serde_json::Value);

impl StandIn {
    /// Starts live selling from the end of the generated history (idempotent).
    pub async fn start_live(&self) {
        let mut live = self.live.lock().await;
        if live.is_none() {
            *live = Some(Live::new(&self.seller_now()));
        }
    }

    /// Brings the seller up to the stand-in's now: applies every order, shipment, refund,
    /// release and settlement due by now, then delivers their notifications. Starts live
    /// selling if it has not started.
    pub async fn live_tick(&self) -> Result<Tick, String> {
        let mut guard = self.live.lock().await;
        let live = guard.get_or_insert_with(|| Live::new(&self.seller_now()));
        let now = self.now();
        let due = live.planned_to <= now || live.agenda.first().is_some_and(|(at, _)| *at <= now);
        if !due {
            return Ok(Tick::default());
        }
        let subs: Subs = [
            "ORDER_CHANGE",
            "TRANSACTION_UPDATE",
            "REPORT_PROCESSING_FINISHED",
        ]
        .into_iter()
        .filter_map(|k| Some((k, self.subscribed(k)?)))
        .collect();
        let (mut tick, out) = self.update_seller(|s| live.run(self, s, now, &subs));
        // Delivered in order, with the live lock held, so ticks never interleave messages.
        // A failed delivery is lost, as Amazon's can be (sweeps catch up); the first error is
        // reported after the rest were tried.
        let mut failed = None;
        for (arn, sink, body) in out {
            match sink.deliver(&arn, body.to_string()).await {
                Ok(()) => tick.notifications += 1,
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(tick),
        }
    }
}

/// `POST /_stand-in/live/tick`: brings the seller up to now (see [`StandIn::live_tick`]).
async fn control_tick(State(st): State<Shared>) -> Response {
    match st.live_tick().await {
        Ok(t) => Json(t).into_response(),
        Err(e) => (
            axum::http::StatusCode::BAD_GATEWAY,
            Json(serde_json::json!({"error": e})),
        )
            .into_response(),
    }
}

pub fn routes() -> Router<Shared> {
    Router::new().route("/_stand-in/live/tick", post(control_tick))
}
