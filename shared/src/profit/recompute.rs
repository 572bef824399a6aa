//! Recomputing rollups from their source lines, for the keys a domain event names.
//!
//! A (view, marketplace, day) is always recomputed whole, from what the store holds: the
//! transactions posted that day (posted view), or the orders placed that day with their
//! shipments' ledgers or fee estimates, plus the other lines posted that day (order-date
//! view); its rows are then replaced ([`super::rollup::replace_day`]). Nothing is ever added
//! to a stored figure, so replaying an event, or two workers doing the same day, changes
//! nothing.
//!
//! Races: two recomputes of the same day may interleave, the one that read older sources
//! writing last. Every handler therefore *touches* the day's token (`RTOK#…`, a fresh random
//! value) after writing its sources and before recomputing; a recompute reads the token
//! before reading the sources and again after writing the rows, and starts over if it moved.
//! The last writer has then always read sources at least as new as every touch before its
//! write.
//!
//! Events (`source` `beddora.sync`):
//! - `TransactionsChanged` `{tenant, marketplaceId, postedDays}`: ledgers the day's
//!   transactions, then recomputes both views of those days, the order-date days of the
//!   orders they ship, and the payout sums of the settlements they are in;
//! - `OrdersChanged` `{tenant, marketplaceId, days}`: the order-date view of those days, and
//!   the posted days of those orders' shipments (which leave their posted day once the order
//!   is known);
//! - `FeeEstimatesChanged` `{tenant, marketplaceId, skus}`: the order-date days that still
//!   use estimates (`REST#<marketplaceId>#<day>` marks them);
//! - `SettlementsChanged` `{tenant, marketplaceId?, settlementIds?}`: the payout sums of those
//!   settlements;
//! - `AdsSpendChanged` `{tenant, marketplaceId, days}`: the days whose ad cost changed
//!   (`super::ads::days_for_spend`). Every recomputed day gets its
//!   ad cost applied (`super::ads::adjust`);
//! - `AdsDaysChanged` `{tenant, profileId, levels}`: the PPC per-entity rollups of those
//!   report levels and days (`crate::ppc::blocks`), not the profit's;
//! - [`RECHECK`] `{tenant, days}`: the rollups job's own delayed re-check of days it recomputed
//!   (see `super::job`): those days again, trusting the order index's answers for good.
//!
//! Other events are ignored.
//!
//! An order-date day finds its orders' shipments by one query of the day's links
//! (`RSHP#<m>#<order day>#<orderId>#<transactionId>`, written by `TransactionsChanged` when the
//! shipment's order is known, and by the re-check) and reads their ledgers by key; an order
//! not yet marked as fully linked is looked up in the ledger's order index (gsi2) instead.
//!
//! Replacing a day's rows recomputes its coarser blocks too (`super::blocks::refresh`).

use super::classify::Category;
use super::ledger::{self, TransactionLedger};
use super::rollup::{self, StoredRow};
use super::{Figures, View, ALL_SKUS};
use crate::domain::TenantId;
use crate::identity::tenancy;
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, ItemBuilder, ItemExt, Key, Query, SortKey, Store, StoreError, WriteOp,
};
use crate::records::fee_estimates::{self, FeeQuery};
use crate::records::orders::{self, Order};
use crate::records::transactions::{self, local_day};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures_util::{StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

type Boxed<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Runs futures `n` at a time, keeping their order (boxed first, so the caller's future stays
/// `Send` whatever lifetimes they borrow).
async fn in_order<T>(futures: Vec<Boxed<'_, T>>, n: usize) -> Result<Vec<T>, StoreError> {
    futures_util::stream::iter(futures)
        .buffered(n)
        .try_collect()
        .await
}

/// Reads and writes in flight at once within one recompute.
const CONCURRENCY: usize = 16;
/// How many times a recompute starts over when its day moved under it (then the message is
/// retried by its queue).
const MAX_ROUNDS: u64 = 40;

/// What handling an event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The (view, marketplace, day)s recomputed.
    pub days: BTreeSet<(View, String, NaiveDate)>,
    /// Ledgers (transactions) written.
    pub ledgers_written: usize,
    /// Rollup items written or deleted.
    pub rows_written: usize,
    /// Settlements whose payout sum was recomputed.
    pub settlements: BTreeSet<String>,
    /// The (view, marketplace, day)s recomputed by a delayed re-check ([`RECHECK`]); they
    /// are not in `days` and are never re-checked again.
    pub rechecked: BTreeSet<(View, String, NaiveDate)>,
}

/// The detail type of the delayed re-check the rollups job sends itself after recomputing
/// days (`{tenant, days: [[view code, marketplaceId, day], …]}`): the same days are recomputed
/// once more, after the indexes they read (orders by purchase time, transactions by posted
/// time, an order's ledgers) have caught up, and only then is an order's index look-up
/// trusted for good. Recomputing is idempotent, so the re-check changes only what was read
/// too early.
pub const RECHECK: &str = "RollupsRecheck";

/// The detail of a re-check of `days`.
pub fn recheck_detail(tenant: &Tenant, days: &BTreeSet<(View, String, NaiveDate)>) -> Value {
    serde_json::json!({
        "tenant": tenant.id().to_string(),
        "days": days
            .iter()
            .map(|(v, m, d)| serde_json::json!([v.code(), m, d.to_string()]))
            .collect::<Vec<_>>(),
    })
}

fn recheck_days(detail: &Value) -> BTreeSet<(View, String, NaiveDate)> {
    let mut out = BTreeSet::new();
    for x in detail["days"].as_array().into_iter().flatten() {
        let view = match x[0].as_str() {
            Some("O") => View::OrderDate,
            Some("P") => View::PostedDate,
            _ => continue,
        };
        if let (Some(m), Some(Ok(d))) = (x[1].as_str(), x[2].as_str().map(str::parse)) {
            out.insert((view, m.to_string(), d));
        }
    }
    out
}

fn tz(marketplace_id: &str) -> chrono_tz::Tz {
    crate::marketplaces::by_id(marketplace_id)
        .and_then(|m| m.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

/// The UTC instants `[start, end)` of a marketplace-local day (23 or 25 hours across DST).
pub fn day_bounds(marketplace_id: &str, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let z = tz(marketplace_id);
    let at = |d: NaiveDate| {
        // The first local instant of the day: midnight, or the end of a DST gap at midnight.
        (0..4)
            .find_map(|h| z.from_local_datetime(&d.and_hms_opt(h, 0, 0)?).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    };
    (at(day), at(day + Duration::days(1)))
}

fn currency_of(marketplace_id: &str) -> String {
    crate::marketplaces::by_id(marketplace_id)
        .map(|m| m.currency.to_string())
        .unwrap_or_default()
}

fn token_key(tenant: &Tenant, view: View, marketplace_id: &str, day: NaiveDate) -> Key {
    Key::new(
        keys::pk(tenant),
        format!("RTOK#{}#{marketplace_id}#{day}", view.code()),
    )
}

/// Marks days as changed (after their sources were written, before recomputing them).
pub async fn touch(
    store: &dyn Store,
    tenant: &Tenant,
    days: &BTreeSet<(View, String, NaiveDate)>,
) -> Result<(), StoreError> {
    let ops = days
        .iter()
        .map(|(v, m, d)| {
            WriteOp::Put(
                ItemBuilder::at(token_key(tenant, *v, m, *d))
                    .s("token", uuid::Uuid::new_v4().to_string())
                    .build(),
            )
        })
        .collect::<Vec<_>>();
    if !ops.is_empty() {
        store.batch_write(ops).await?;
    }
    Ok(())
}

async fn token(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    d: NaiveDate,
) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&token_key(tenant, view, m, d))
        .await?
        .and_then(|i| i.opt_s("token")))
}

/// Builds the rows of one day.
#[derive(Default)]
struct DayRows {
    skus: BTreeMap<String, Figures>,
    total: Figures,
    orders_of: BTreeMap<String, BTreeSet<String>>,
    orders: BTreeSet<String>,
}

impl DayRows {
    fn sku(&mut self, sku: &str) -> &mut Figures {
        self.skus.entry(sku.to_string()).or_default()
    }

    fn order(&mut self, sku: &str, order_id: &str) {
        self.orders_of
            .entry(sku.to_string())
            .or_default()
            .insert(order_id.to_string());
        self.orders.insert(order_id.to_string());
    }

    fn add(&mut self, sku: &str, c: Category, amount: Decimal) {
        self.sku(sku).add_amount(c, amount);
        self.total.add_amount(c, amount);
    }

    fn count(&mut self, sku: &str, f: impl Fn(&mut Figures)) {
        f(self.sku(sku));
        f(&mut self.total);
    }

    /// Every line of a transaction; units once per item.
    fn ledger(&mut self, l: &TransactionLedger) {
        let shipment = l.is_shipment();
        let refund = matches!(l.transaction_type.as_str(), "Refund");
        let mut items = BTreeSet::new();
        for x in &l.lines {
            self.add(&x.sku, x.category, x.amount);
            self.count(&x.sku, |f| f.lines += 1);
            if x.item > 0 && items.insert(x.item) {
                if shipment {
                    self.count(&x.sku, |f| f.units_sold += x.quantity);
                } else if refund {
                    self.count(&x.sku, |f| f.refund_units += x.quantity.abs());
                }
            }
            if shipment {
                if let Some(o) = &l.order_id {
                    self.order(&x.sku, o);
                }
            }
        }
    }

    /// An order Amazon has not posted yet: the order's amounts, and fees from the estimate
    /// of each item's listing at its unit price (when there is one).
    fn estimated(
        &mut self,
        o: &Order,
        estimates: &BTreeMap<Key, fee_estimates::FeeEstimateRecord>,
        tenant: &Tenant,
    ) {
        for it in o.items.iter().filter(|i| i.quantity > 0) {
            let sku = it.sku.as_str();
            self.order(sku, &o.amazon_order_id);
            self.count(sku, |f| {
                f.units_sold += it.quantity;
                f.lines += 1;
            });
            let z = Decimal::ZERO;
            self.add(sku, Category::Principal, it.item_price.unwrap_or(z));
            self.add(sku, Category::Shipping, it.shipping_price.unwrap_or(z));
            self.add(sku, Category::GiftWrap, it.gift_wrap_price.unwrap_or(z));
            self.add(sku, Category::Promotions, -it.discount.unwrap_or(z));
            // Amazon charges tax as marketplace facilitator and withholds it: nets to zero.
            self.add(sku, Category::TaxCollected, it.tax.unwrap_or(z));
            self.add(sku, Category::TaxWithheld, -it.tax.unwrap_or(z));
            let Some(q) = fee_query(o, it) else { continue };
            let Some(e) = estimates.get(&q.key(tenant)) else {
                continue;
            };
            let qty = Decimal::from(it.quantity);
            for fee in &e.fees {
                let c = match fee.fee_type.as_str() {
                    "ReferralFee" => Category::ReferralFees,
                    "FBAFees" | "FBAPerUnitFulfillmentFee" => Category::FbaFees,
                    _ => Category::OtherAmazonFees,
                };
                let amount = -fee.final_fee * qty;
                if amount.is_zero() {
                    continue;
                }
                self.add(sku, c, amount);
                self.count(sku, |f| f.estimated_fees += amount);
            }
        }
    }

    fn rows(mut self, view: View, marketplace_id: &str, day: NaiveDate) -> Vec<StoredRow> {
        if self.skus.is_empty() {
            return vec![];
        }
        let currency = currency_of(marketplace_id);
        self.total.orders = self.orders.len() as i64;
        let mut out = vec![StoredRow {
            view,
            marketplace_id: marketplace_id.to_string(),
            sku: ALL_SKUS.to_string(),
            day,
            currency: currency.clone(),
            figures: self.total,
        }];
        for (sku, mut f) in self.skus {
            f.orders = self
                .orders_of
                .get(&sku)
                .map(|s| s.len() as i64)
                .unwrap_or(0);
            out.push(StoredRow {
                view,
                marketplace_id: marketplace_id.to_string(),
                sku,
                day,
                currency: currency.clone(),
                figures: f,
            });
        }
        out
    }
}

/// The fee-estimate listing of an order item (as the fee-estimates sync asks for it).
pub fn fee_query(o: &Order, it: &orders::OrderItem) -> Option<FeeQuery> {
    let price = it.item_price.filter(|p| *p > Decimal::ZERO)?;
    if it.quantity <= 0 {
        return None;
    }
    Some(FeeQuery {
        marketplace_id: o.marketplace_id.clone(),
        sku: it.sku.clone(),
        asin: it.asin.clone(),
        price: (price / Decimal::from(it.quantity)).round_dp(2).normalize(),
        currency: o.currency.clone()?,
        channel: match o.fulfilled_by.as_deref() {
            Some("AMAZON") | Some("AFN") => "AFN",
            _ => "MFN",
        }
        .into(),
    })
}

async fn posted_ledgers(
    store: &dyn Store,
    tenant: &Tenant,
    m: &str,
    day: NaiveDate,
) -> Result<Vec<TransactionLedger>, StoreError> {
    let (from, to) = day_bounds(m, day);
    Ok(transactions::posted_between(store, tenant, m, from, to)
        .await?
        .iter()
        .filter(|t| local_day(m, t.posted) == day)
        .map(TransactionLedger::of)
        .collect())
}

async fn known_orders(
    store: &dyn Store,
    tenant: &Tenant,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, Order>, StoreError> {
    let keys: Vec<Key> = ids.iter().map(|o| keys::tenant(tenant).order(o)).collect();
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(100) {
        for i in store.batch_get(chunk).await? {
            let o: Order = serde_json::from_str(&i.s("order")?)
                .map_err(|_| StoreError::Corrupt("order".into()))?;
            out.insert(o.amazon_order_id.clone(), o);
        }
    }
    Ok(out)
}

fn link_prefix(m: &str, order_day: NaiveDate) -> String {
    format!("RSHP#{m}#{order_day}#")
}

/// The link of a shipment to its order's local day (`transaction_id` [`CHECKED`]: every
/// shipment of the order was linked by a full look-up).
fn link_item(tenant: &Tenant, o: &Order, transaction_id: &str) -> crate::ports::store::Item {
    let m = &o.marketplace_id;
    let day = local_day(m, o.purchase_date);
    ItemBuilder::new(
        keys::pk(tenant),
        format!(
            "{}{}#{transaction_id}",
            link_prefix(m, day),
            o.amazon_order_id
        ),
    )
    .s("orderId", o.amazon_order_id.clone())
    .s("transactionId", transaction_id)
    .build()
}

/// The marker transaction id of an order whose shipments were all linked.
const CHECKED: &str = "~";

/// Links shipments to their orders' days (the orders are known).
async fn link_shipments(
    store: &dyn Store,
    tenant: &Tenant,
    pairs: &[(&Order, &str)],
) -> Result<(), StoreError> {
    // One write per key (a batch may not name a key twice).
    let items: BTreeMap<String, crate::ports::store::Item> = pairs
        .iter()
        .map(|(o, tx)| {
            let i = link_item(tenant, o, tx);
            (i.opt_s("sk").unwrap_or_default(), i)
        })
        .collect();
    let ops: Vec<WriteOp> = items.into_values().map(WriteOp::Put).collect();
    if !ops.is_empty() {
        store.batch_write(ops).await?;
    }
    Ok(())
}

/// The shipment ledgers of each of a day's orders (aligned with `placed`).
///
/// One query reads the day's links (`RSHP#<m>#<day>#<orderId>#<transactionId>`), and the
/// linked ledgers are read by key, 100 at a time. An order not marked [`CHECKED`] is looked
/// up in the ledger's order index (gsi2), which DynamoDB updates eventually: only a delayed
/// re-check (`recheck`, see [`RECHECK`]) links what it finds and marks the order, so a look-up
/// that ran before the index caught up is never trusted for good. Shipments ledgered once
/// their order is known are linked by `TransactionsChanged` itself.
async fn shipments_of(
    store: &dyn Store,
    tenant: &Tenant,
    m: &str,
    day: NaiveDate,
    placed: &[Order],
    recheck: bool,
) -> Result<Vec<Vec<TransactionLedger>>, StoreError> {
    let q = Query::partition(Index::Table, keys::pk(tenant))
        .sk(SortKey::BeginsWith(link_prefix(m, day)));
    let mut linked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut checked: BTreeSet<String> = BTreeSet::new();
    for i in query_all(store, q).await? {
        let (o, tx) = (i.s("orderId")?, i.s("transactionId")?);
        if tx == CHECKED {
            checked.insert(o);
        } else {
            linked.entry(o).or_default().insert(tx);
        }
    }
    let wanted: Vec<Key> = placed
        .iter()
        .filter(|o| checked.contains(&o.amazon_order_id))
        .flat_map(|o| linked.get(&o.amazon_order_id).into_iter().flatten())
        .map(|tx| Key::new(keys::pk(tenant), format!("LEDGER#{tx}")))
        .collect();
    let mut by_tx: BTreeMap<String, TransactionLedger> = BTreeMap::new();
    for chunk in wanted.chunks(crate::ports::store::BATCH_GET_CHUNK) {
        for i in store.batch_get(chunk).await? {
            let l = TransactionLedger::from_item(&i)?;
            by_tx.insert(l.transaction_id.clone(), l);
        }
    }
    let mut out: Vec<Option<Vec<TransactionLedger>>> = placed
        .iter()
        .map(|o| {
            if !checked.contains(&o.amazon_order_id) {
                return None;
            }
            let txs = linked.get(&o.amazon_order_id);
            let ls: Vec<TransactionLedger> = txs
                .into_iter()
                .flatten()
                .filter_map(|tx| by_tx.get(tx).cloned())
                .collect();
            (ls.len() == txs.map_or(0, |t| t.len())).then_some(ls)
        })
        .collect();
    let missing: Vec<usize> = (0..placed.len()).filter(|i| out[*i].is_none()).collect();
    let found: Vec<Vec<TransactionLedger>> = in_order(
        missing
            .iter()
            .map(|i| {
                Box::pin(ledger::of_order(store, tenant, &placed[*i].amazon_order_id))
                    as Boxed<'_, _>
            })
            .collect(),
        CONCURRENCY,
    )
    .await?;
    let mut links = vec![];
    for (i, ls) in missing.iter().zip(found) {
        let ls: Vec<TransactionLedger> = ls.into_iter().filter(|l| l.is_shipment()).collect();
        if recheck {
            let o = &placed[*i];
            links.extend(ls.iter().map(|l| link_item(tenant, o, &l.transaction_id)));
            links.push(link_item(tenant, o, CHECKED));
        }
        out[*i] = Some(ls);
    }
    for chunk in links.chunks(100) {
        store
            .batch_write(chunk.iter().cloned().map(WriteOp::Put).collect())
            .await?;
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

/// The rows of a posted-view day.
async fn posted_rows(
    store: &dyn Store,
    tenant: &Tenant,
    m: &str,
    day: NaiveDate,
) -> Result<Vec<StoredRow>, StoreError> {
    let mut b = DayRows::default();
    for l in posted_ledgers(store, tenant, m, day).await? {
        b.ledger(&l);
    }
    Ok(b.rows(View::PostedDate, m, day))
}

/// The rows of an order-date day, whether it used estimates, and the posted days of the
/// shipments of its orders.
async fn order_rows(
    store: &dyn Store,
    tenant: &Tenant,
    m: &str,
    day: NaiveDate,
    recheck: bool,
) -> Result<(Vec<StoredRow>, bool, BTreeSet<NaiveDate>), StoreError> {
    let (from, to) = day_bounds(m, day);
    let placed: Vec<Order> =
        orders::purchased(store, tenant, m, from, to - Duration::milliseconds(1))
            .await?
            .into_iter()
            .filter(|o| local_day(m, o.purchase_date) == day)
            .collect();
    let links = shipments_of(store, tenant, m, day, &placed, recheck).await?;
    let mut b = DayRows::default();
    let mut shipped_days = BTreeSet::new();
    let mut unposted = vec![];
    for (o, ls) in placed.iter().zip(&links) {
        let shipments: Vec<&TransactionLedger> = ls.iter().filter(|l| l.is_shipment()).collect();
        if shipments.is_empty() {
            if o.status != "CANCELLED" {
                unposted.push(o);
            }
            continue;
        }
        for s in shipments {
            shipped_days.insert(s.posted_day);
            b.ledger(s);
        }
    }
    let estimated = !unposted.is_empty();
    if estimated {
        let queries: Vec<FeeQuery> = unposted
            .iter()
            .flat_map(|o| o.items.iter().filter_map(|it| fee_query(o, it)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut estimates = BTreeMap::new();
        for chunk in queries.chunks(100) {
            for e in fee_estimates::many(store, tenant, chunk).await? {
                estimates.insert(e.query.key(tenant), e);
            }
        }
        for o in unposted {
            b.estimated(o, &estimates, tenant);
        }
    }
    // The other lines posted today: all but the shipments of orders we know (those are on
    // their order's day).
    let posted = posted_ledgers(store, tenant, m, day).await?;
    let ids: BTreeSet<String> = posted
        .iter()
        .filter(|l| l.is_shipment())
        .filter_map(|l| l.order_id.clone())
        .collect();
    let known = known_orders(store, tenant, &ids).await?;
    for l in &posted {
        let elsewhere =
            l.is_shipment() && l.order_id.as_ref().is_some_and(|o| known.contains_key(o));
        if !elsewhere {
            b.ledger(l);
        }
    }
    Ok((b.rows(View::OrderDate, m, day), estimated, shipped_days))
}

fn estimate_marker(tenant: &Tenant, m: &str, day: NaiveDate) -> Key {
    Key::new(keys::pk(tenant), format!("REST#{m}#{day}"))
}

/// Recomputes one (view, marketplace, day) from its sources and replaces its rows; returns
/// the rows written and, for the order-date view, the posted days of its orders' shipments.
pub async fn recompute_day(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    day: NaiveDate,
) -> Result<(usize, BTreeSet<NaiveDate>), StoreError> {
    recompute_day_checked(store, tenant, view, m, day, false).await
}

/// [`recompute_day`]; `recheck`: this is the delayed re-check, whose order look-ups are
/// trusted for good (see [`shipments_of`]).
async fn recompute_day_checked(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    day: NaiveDate,
    recheck: bool,
) -> Result<(usize, BTreeSet<NaiveDate>), StoreError> {
    let mut written = 0;
    for round in 0..MAX_ROUNDS {
        if round > 0 {
            // Someone else changed the day meanwhile: let the burst pass, jittered.
            let ms = rand::random::<u64>() % (10 * round.min(10)) + 5;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let before = token(store, tenant, view, m, day).await?;
        let (rows, shipped) = match view {
            View::PostedDate => (posted_rows(store, tenant, m, day).await?, BTreeSet::new()),
            View::OrderDate => {
                let (rows, estimated, shipped) = order_rows(store, tenant, m, day, recheck).await?;
                let marker = estimate_marker(tenant, m, day);
                if estimated {
                    store
                        .put(
                            ItemBuilder::at(marker)
                                .s("marketplaceId", m)
                                .s("day", day.to_string())
                                .build(),
                            None,
                        )
                        .await?;
                } else {
                    store.delete(&marker, None).await?;
                }
                (rows, shipped)
            }
        };
        let rows = super::ads::adjust(store, tenant, view, m, day, rows).await?;
        if !rows.is_empty() {
            rollup::note_marketplace(store, tenant, m, &rows[0].currency).await?;
        }
        written += rollup::replace_day(store, tenant, view, m, day, rows).await?;
        if token(store, tenant, view, m, day).await? == before {
            return Ok((written, shipped));
        }
    }
    Err(StoreError::Unavailable(format!(
        "rollup of {m} {day} kept changing while it was recomputed"
    )))
}

/// Touches and recomputes a set of days; returns the rows written and the extra posted days
/// the order-date days named.
async fn recompute_all(
    store: &dyn Store,
    tenant: &Tenant,
    days: &BTreeSet<(View, String, NaiveDate)>,
    recheck: bool,
) -> Result<(usize, BTreeSet<(View, String, NaiveDate)>), StoreError> {
    touch(store, tenant, days).await?;
    // `buffered` keeps the days' order, so results line up with them.
    let results: Vec<(usize, BTreeSet<NaiveDate>)> = in_order(
        days.iter()
            .map(|(v, m, d)| {
                Box::pin(recompute_day_checked(store, tenant, *v, m, *d, recheck)) as Boxed<'_, _>
            })
            .collect(),
        4,
    )
    .await?;
    let mut n = 0;
    let mut extra = BTreeSet::new();
    for ((_, m, _), (w, shipped)) in days.iter().zip(results) {
        n += w;
        extra.extend(shipped.into_iter().map(|d| (View::OrderDate, m.clone(), d)));
    }
    Ok((n, extra))
}

fn days_of(detail: &Value, field: &str) -> Vec<NaiveDate> {
    detail[field]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// Handles one domain event (see the module's list). An event of a deleted account, or one
/// this job does not use, does nothing.
pub async fn apply(
    store: &dyn Store,
    detail_type: &str,
    detail: &Value,
) -> Result<Outcome, StoreError> {
    let out = Outcome::default();
    let Some(tenant_id) = detail["tenant"]
        .as_str()
        .and_then(|t| TenantId::parse(t).ok())
    else {
        return Ok(out);
    };
    let Some(tenant) = tenancy::existing(store, &tenant_id)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    else {
        return Ok(out);
    };
    apply_to(store, &tenant, detail_type, detail).await
}

/// [`apply`] for a tenant already resolved (the event's `tenant` is not read).
pub async fn apply_to(
    store: &dyn Store,
    tenant: &Tenant,
    detail_type: &str,
    detail: &Value,
) -> Result<Outcome, StoreError> {
    apply_many(store, tenant, &[(detail_type.to_string(), detail.clone())]).await
}

/// Several events of one tenant at once (a queue batch): their sources are ledgered one by
/// one, then the union of the days they name is recomputed once.
pub async fn apply_many(
    store: &dyn Store,
    tenant: &Tenant,
    events: &[(String, Value)],
) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    let mut days = BTreeSet::new();
    let mut settlements = BTreeSet::new();
    let mut orders_changed = false;
    let mut rechecks = BTreeSet::new();
    let mut ads_days: BTreeMap<_, BTreeSet<NaiveDate>> = BTreeMap::new();
    for (detail_type, detail) in events {
        let m = detail["marketplaceId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match detail_type.as_str() {
            "TransactionsChanged" if !m.is_empty() => {
                let mut order_ids = BTreeSet::new();
                let mut shipped: Vec<(String, String)> = vec![];
                for day in days_of(detail, "postedDays") {
                    let ledgers = posted_ledgers(store, tenant, &m, day).await?;
                    let written: Vec<crate::records::Written> = in_order(
                        ledgers
                            .iter()
                            .map(|l| Box::pin(ledger::put(store, tenant, l)) as Boxed<'_, _>)
                            .collect(),
                        CONCURRENCY,
                    )
                    .await?;
                    out.ledgers_written += written.iter().filter(|w| w.stored()).count();
                    super::ads::note_invoices(store, tenant, &ledgers).await?;
                    for l in &ledgers {
                        if let Some(s) = &l.settlement_id {
                            settlements.insert(s.clone());
                        }
                        if l.is_shipment() {
                            order_ids.extend(l.order_id.clone());
                            if let Some(o) = &l.order_id {
                                shipped.push((o.clone(), l.transaction_id.clone()));
                            }
                        }
                    }
                    days.insert((View::PostedDate, m.clone(), day));
                    days.insert((View::OrderDate, m.clone(), day));
                }
                let known = known_orders(store, tenant, &order_ids).await?;
                let pairs: Vec<(&Order, &str)> = shipped
                    .iter()
                    .filter_map(|(o, tx)| Some((known.get(o)?, tx.as_str())))
                    .collect();
                link_shipments(store, tenant, &pairs).await?;
                for o in known.values() {
                    days.insert((
                        View::OrderDate,
                        o.marketplace_id.clone(),
                        local_day(&o.marketplace_id, o.purchase_date),
                    ));
                }
            }
            "OrdersChanged" if !m.is_empty() => {
                orders_changed = true;
                for day in days_of(detail, "days") {
                    days.insert((View::OrderDate, m.clone(), day));
                }
            }
            "FeeEstimatesChanged" if !m.is_empty() => {
                let q = Query::partition(Index::Table, keys::pk(tenant))
                    .sk(SortKey::BeginsWith(format!("REST#{m}#")));
                for i in query_all(store, q).await? {
                    if let Ok(d) = i.s("day")?.parse() {
                        days.insert((View::OrderDate, m.clone(), d));
                    }
                }
            }
            super::ads::ADS_SPEND_CHANGED if !m.is_empty() => {
                let changed = days_of(detail, "days");
                days.extend(super::ads::days_for_spend(store, tenant, &m, &changed).await?);
            }
            RECHECK => {
                rechecks.extend(recheck_days(detail));
            }
            crate::ppc::blocks::ADS_DAYS_CHANGED => {
                for (k, d) in crate::ppc::blocks::days_of_event(detail) {
                    ads_days.entry(k).or_default().extend(d);
                }
            }
            "SettlementsChanged" => {
                if let Some(ids) = detail["settlementIds"].as_array() {
                    settlements.extend(ids.iter().filter_map(|s| s.as_str().map(str::to_string)));
                }
            }
            _ => {}
        }
    }
    if !ads_days.is_empty() {
        // The PPC per-entity rollups of the Ads report days read (`crate::ppc::blocks`).
        let n = crate::ppc::blocks::refresh_many(store, tenant, &ads_days, Utc::now()).await?;
        tracing::info!(items = n, "ads blocks recomputed");
    }
    let (n, extra) = recompute_all(store, tenant, &days, false).await?;
    out.rows_written += n;
    out.days.extend(days.iter().cloned());
    // The posted days of the shipments of the orders recomputed: a shipment leaves its posted
    // day once its order is known.
    let extra: BTreeSet<_> = extra.difference(&days).cloned().collect();
    if !extra.is_empty() && orders_changed {
        let (n, _) = recompute_all(store, tenant, &extra, false).await?;
        out.rows_written += n;
        out.days.extend(extra);
    }
    if !rechecks.is_empty() {
        let (n, extra) = recompute_all(store, tenant, &rechecks, true).await?;
        out.rows_written += n;
        // A shipment the late index now shows leaves its posted day (order-date view).
        let extra: BTreeSet<_> = extra.difference(&rechecks).cloned().collect();
        let (n2, _) = recompute_all(store, tenant, &extra, true).await?;
        out.rows_written += n2;
        out.rechecked.extend(rechecks);
        out.rechecked.extend(extra);
    }
    for s in &settlements {
        super::payouts::recompute(store, tenant, s).await?;
    }
    out.settlements = settlements;
    Ok(out)
}

/// Recomputes every day of a tenant that has sources (backfills, a classification table
/// change, tests): ledgers every transaction, then both views of every day.
pub async fn rebuild(store: &dyn Store, tenant: &Tenant) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    let mut days = BTreeSet::new();
    let mut settlements = BTreeSet::new();
    for t in transactions::all(store, tenant).await? {
        let l = TransactionLedger::of(&t);
        if ledger::put(store, tenant, &l).await?.stored() {
            out.ledgers_written += 1;
        }
        super::ads::note_invoices(store, tenant, std::slice::from_ref(&l)).await?;
        settlements.extend(l.settlement_id.clone());
        days.insert((View::PostedDate, l.marketplace_id.clone(), l.posted_day));
        days.insert((View::OrderDate, l.marketplace_id.clone(), l.posted_day));
    }
    for o in orders::all(store, tenant).await? {
        days.insert((
            View::OrderDate,
            o.marketplace_id.clone(),
            local_day(&o.marketplace_id, o.purchase_date),
        ));
    }
    let (n, _) = recompute_all(store, tenant, &days, false).await?;
    out.rows_written = n;
    let markets: BTreeSet<&String> = days.iter().map(|(_, m, _)| m).collect();
    for m in markets {
        rollup::mark_blocks_complete(store, tenant, m, &currency_of(m)).await?;
    }
    out.days = days;
    for s in &settlements {
        super::payouts::recompute(store, tenant, s).await?;
    }
    out.settlements = settlements;
    Ok(out)
}
