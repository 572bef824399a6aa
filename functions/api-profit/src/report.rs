//! The figures every profit call is built from, and their definitions.
//!
//! - **Amazon's lines** come from the ledger's daily rollups (`shared::profit`), per
//!   marketplace, SKU and marketplace-local day, in one of two views: by order date (default)
//!   or by posted date (`view=posted`, cash).
//! - **salesRevenue** = item principal + shipping + gift wrap charged, before promotions and
//!   without tax. **totalFees**, **totalRefunds**, **advertisingCost**, **totalCOGS**,
//!   **totalExpenses** are shown as positive costs; promotions, reimbursements, taxes,
//!   adjustments and unclassified lines have their own figures, signed as Amazon signs them.
//! - **amazonNet** = the sum of every ledger line of the period (what Amazon pays for it).
//! - **grossProfit** = amazonNet − COGS; **netProfit** = amazonNet − COGS − expenses. With no
//!   COGS or expenses entered, net profit equals the sum of Amazon's own lines.
//! - **COGS** is priced per unit by FIFO batch, else by the unit cost in force on the order's
//!   local day, else 0 (`cogsMethods` says how many units each way); it lands on the order's
//!   local day (a sellable return takes its cost off on the day it is back).
//! - **Expenses** count on the days they occur (recurring ones on each anniversary); an
//!   expense allocated to SKUs gives each its percentage, the rest stays with the account or
//!   its marketplace. Product rows carry only what is allocated to their SKU.
//! - Margins are `profit / salesRevenue × 100` (0 without sales). Money is exact until shown,
//!   then rounded half away from zero to 2 decimals.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use shared::costs::cogs::{self, Batch, Method, Movement, Priced, UnitCost};
use shared::costs::expenses::Expense;
use shared::costs::returns::Return;
use shared::costs::{self as store};
use shared::error::Result;
use shared::keys::Tenant;
use shared::ports::Store;
use std::collections::HashMap;

/// The seller's costs and every priced movement (empty when no COGS is entered).
pub struct CostBook {
    pub batches: Vec<Batch>,
    pub costs: Vec<UnitCost>,
    pub priced: Vec<Priced>,
    /// Index into `priced` by (marketplace, SKU, local day).
    by_day: HashMap<(String, String, NaiveDate), Vec<usize>>,
    /// Index into `priced` of each sale by (order id, SKU).
    by_item: HashMap<(String, String), usize>,
}

fn cancelled(status: &str) -> bool {
    let s = status.to_ascii_uppercase();
    s.starts_with("CANCEL")
}

impl CostBook {
    /// Loads the costs and, when there are any, prices every unit sold since the earliest of
    /// them (orders of the SKUs that have costs, cancelled orders left out) and every sellable
    /// return.
    pub async fn load(s: &dyn Store, t: &Tenant, _now: DateTime<Utc>) -> Result<CostBook> {
        let batches: Vec<Batch> = store::all(s, t).await?;
        let costs: Vec<UnitCost> = store::all(s, t).await?;
        let mut book = CostBook {
            batches,
            costs,
            priced: vec![],
            by_day: HashMap::new(),
            by_item: HashMap::new(),
        };
        if book.batches.is_empty() && book.costs.is_empty() {
            return Ok(book);
        }
        let skus: std::collections::HashSet<&str> = book
            .batches
            .iter()
            .map(|b| b.sku.as_str())
            .chain(book.costs.iter().map(|c| c.sku.as_str()))
            .collect();
        let mut moves = vec![];
        for o in shared::records::orders::all(s, t).await? {
            if cancelled(&o.status) {
                continue;
            }
            for it in &o.items {
                if it.quantity <= 0 || !skus.contains(it.sku.as_str()) {
                    continue;
                }
                moves.push(Movement::Sale {
                    at: o.purchase_date,
                    marketplace_id: o.marketplace_id.clone(),
                    sku: it.sku.clone(),
                    order_id: o.amazon_order_id.clone(),
                    item: it.order_item_id.clone().unwrap_or_else(|| it.sku.clone()),
                    units: it.quantity,
                });
            }
        }
        let returns: Vec<Return> = store::all(s, t).await?;
        for r in returns
            .iter()
            .filter(|r| r.is_sellable && skus.contains(r.sku.as_str()))
        {
            moves.push(Movement::Restock {
                at: r.returned_at,
                marketplace_id: r.marketplace_id.clone(),
                sku: r.sku.clone(),
                order_id: r.order_id.clone(),
                units: r.quantity_returned,
            });
        }
        book.priced = cogs::price(&moves, &book.batches, &book.costs);
        for (i, p) in book.priced.iter().enumerate() {
            book.by_day
                .entry((p.marketplace_id.clone(), p.sku.clone(), p.day))
                .or_default()
                .push(i);
            if !p.restock {
                book.by_item.insert((p.order_id.clone(), p.sku.clone()), i);
            }
        }
        Ok(book)
    }

    pub fn is_empty(&self) -> bool {
        self.priced.is_empty()
    }

    /// The movements of a SKU in a marketplace on a local day.
    pub fn on(
        &self,
        marketplace_id: &str,
        sku: &str,
        day: NaiveDate,
    ) -> impl Iterator<Item = &Priced> {
        self.by_day
            .get(&(marketplace_id.to_string(), sku.to_string(), day))
            .into_iter()
            .flatten()
            .map(|i| &self.priced[*i])
    }

    /// Every movement of a marketplace on a local day (all SKUs).
    pub fn on_day<'a>(
        &'a self,
        marketplace_id: &'a str,
        day: NaiveDate,
    ) -> impl Iterator<Item = &'a Priced> + 'a {
        self.by_day
            .iter()
            .filter(move |((m, _, d), _)| m == marketplace_id && *d == day)
            .flat_map(|(_, v)| v.iter())
            .map(|i| &self.priced[*i])
    }

    /// The sale of an order's SKU.
    pub fn sale(&self, order_id: &str, sku: &str) -> Option<&Priced> {
        self.by_item
            .get(&(order_id.to_string(), sku.to_string()))
            .map(|i| &self.priced[*i])
    }
}

/// COGS of some movements, with the units each method priced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cogs {
    pub cost: Decimal,
    pub fifo_units: i64,
    pub unit_cost_units: i64,
    pub unpriced_units: i64,
}

impl Cogs {
    pub fn add(&mut self, p: &Priced) {
        self.cost += p.cost();
        let sign = if p.restock { -1 } else { 1 };
        for part in &p.parts {
            match part.method {
                Method::Fifo => self.fifo_units += sign * part.units,
                Method::UnitCost => self.unit_cost_units += sign * part.units,
                Method::None => self.unpriced_units += sign * part.units,
            }
        }
    }
    pub fn merge(&mut self, o: &Cogs) {
        self.cost += o.cost;
        self.fifo_units += o.fifo_units;
        self.unit_cost_units += o.unit_cost_units;
        self.unpriced_units += o.unpriced_units;
    }
}

/// Every expense of the tenant.
pub struct ExpenseBook {
    pub all: Vec<Expense>,
}

impl ExpenseBook {
    pub async fn load(s: &dyn Store, t: &Tenant) -> Result<ExpenseBook> {
        Ok(ExpenseBook {
            all: store::all(s, t).await?,
        })
    }
}

use crate::scope::{days_by_market, missing_rate, Scope};
use shared::costs::periods::{Days, Period};
use shared::profit::{read_days, Figures, Grain, ALL_SKUS};
use std::collections::BTreeMap;

/// Everything a figure of a report sums: Amazon's lines, COGS, expenses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub f: Figures,
    pub cogs: Cogs,
    pub expenses: Decimal,
    pub expenses_by_category: BTreeMap<String, Decimal>,
}

impl Tally {
    /// The sum of every ledger line.
    pub fn amazon_net(&self) -> Decimal {
        self.f.net()
    }
    pub fn gross_profit(&self) -> Decimal {
        self.amazon_net() - self.cogs.cost
    }
    pub fn net_profit(&self) -> Decimal {
        self.gross_profit() - self.expenses
    }
    pub fn merge(&mut self, o: &Tally) {
        self.f.add(&o.f);
        self.cogs.merge(&o.cogs);
        self.expenses += o.expenses;
        for (k, v) in &o.expenses_by_category {
            *self.expenses_by_category.entry(k.clone()).or_default() += v;
        }
    }
}

/// Where a figure goes: the marketplace (empty for an account-level expense), the SKU
/// ([`ALL_SKUS`] at the total grain, empty for account-level lines) and the local day.
pub struct At<'a> {
    pub marketplace_id: &'a str,
    pub sku: &'a str,
    pub day: NaiveDate,
}

/// The loaded books of a request.
pub struct Books {
    pub costs: CostBook,
    pub expenses: ExpenseBook,
}

impl Books {
    pub async fn load(s: &dyn Store, scope: &Scope) -> Result<Books> {
        Ok(Books {
            costs: CostBook::load(s, scope.ctx.tenant(), scope.now).await?,
            expenses: ExpenseBook::load(s, scope.ctx.tenant()).await?,
        })
    }
}

/// Sums a period into tallies keyed by `key` (which may drop a figure with `None`).
/// `by_sku`: rows per SKU (COGS per SKU, expenses by their SKU shares) instead of totals.
pub async fn tally<K: Ord + Clone>(
    s: &dyn Store,
    scope: &Scope,
    books: &Books,
    period: Period,
    by_sku: bool,
    key: impl Fn(&At) -> Option<K>,
) -> Result<BTreeMap<K, Tally>> {
    tally_runs(s, scope, books, period, by_sku, |d| d, key).await
}

/// The runs of consecutive days of `d` with the same `run` value, as `[from, to]`.
fn runs<R: PartialEq>(d: Days, run: &impl Fn(NaiveDate) -> R) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = vec![];
    let mut last: Option<R> = None;
    for day in d.iter() {
        let r = run(day);
        match out.last_mut() {
            Some(x) if last.as_ref() == Some(&r) => x.1 = day,
            _ => out.push((day, day)),
        }
        last = Some(r);
    }
    out
}

/// [`tally`] where `key` gives the same key to every day of a run of days with the same
/// `run` value (the whole period: `|_| ()`; months: `|d| (d.year(), d.month())`): Amazon's
/// lines of each run are then read from the fewest rollup blocks (`shared::profit::blocks`),
/// and `At::day` is the run's first day. In another currency than the marketplace's, they
/// are read and converted day by day.
pub async fn tally_runs<K: Ord + Clone, R: PartialEq>(
    s: &dyn Store,
    scope: &Scope,
    books: &Books,
    period: Period,
    by_sku: bool,
    run: impl Fn(NaiveDate) -> R,
    key: impl Fn(&At) -> Option<K>,
) -> Result<BTreeMap<K, Tally>> {
    let mut out: BTreeMap<K, Tally> = BTreeMap::new();
    let span = scope.span(period);
    if needs_rates(scope, books) {
        scope.load_rates(s, span.start, span.end).await?;
    }
    let grain = match (&scope.sku, by_sku) {
        (Some(sku), _) => Grain::Sku(sku.clone()),
        (None, true) => Grain::BySku,
        (None, false) => Grain::Total,
    };
    let days = days_by_market(scope, period);
    // Amazon's lines.
    for m in &scope.markets {
        let d = days[&m.id];
        if m.currency == scope.currency {
            let spans = runs(d, &run);
            let per_sku = by_sku || scope.sku.is_some();
            if let Some(rows) = shared::profit::blocks::read_spans(
                s,
                scope.ctx.tenant(),
                scope.view,
                &m.id,
                per_sku,
                &spans,
            )
            .await?
            {
                for r in rows {
                    if scope.sku.as_ref().is_some_and(|x| x != &r.sku) {
                        continue;
                    }
                    let sku = if per_sku { r.sku.as_str() } else { ALL_SKUS };
                    if let Some(k) = key(&At {
                        marketplace_id: &m.id,
                        sku,
                        day: r.day,
                    }) {
                        out.entry(k).or_default().f.add(&r.figures);
                    }
                }
                continue;
            }
        }
        for r in read_days(
            s,
            scope.ctx.tenant(),
            scope.view,
            Some(&m.id),
            &grain,
            d.start,
            d.end,
        )
        .await?
        {
            let figures = if r.currency == scope.currency {
                r.native
            } else if r.reporting_currency == scope.currency {
                r.reporting
                    .ok_or_else(|| missing_rate(&r.currency, &scope.currency, r.day))?
            } else {
                let rate = scope.convert(Decimal::ONE, &r.currency, r.day)?;
                r.native.scaled(rate)
            };
            let sku = if by_sku || scope.sku.is_some() {
                r.sku.as_str()
            } else {
                ALL_SKUS
            };
            if let Some(k) = key(&At {
                marketplace_id: &m.id,
                sku,
                day: r.day,
            }) {
                out.entry(k).or_default().f.add(&figures);
            }
        }
    }
    // COGS, on the day of each movement.
    for p in &books.costs.priced {
        let Some(d) = days.get(&p.marketplace_id) else {
            continue;
        };
        if !d.contains(p.day) || scope.sku.as_ref().is_some_and(|x| x != &p.sku) {
            continue;
        }
        let sku = if by_sku || scope.sku.is_some() {
            p.sku.as_str()
        } else {
            ALL_SKUS
        };
        let Some(k) = key(&At {
            marketplace_id: &p.marketplace_id,
            sku,
            day: p.day,
        }) else {
            continue;
        };
        let mut c = Cogs::default();
        c.add(p);
        // Each part is in the currency of the entry that priced it.
        let mut cost = Decimal::ZERO;
        for part in &p.parts {
            let scope_m = match (&part.batch_id, &part.cost_id) {
                (Some(b), _) => books
                    .costs
                    .batches
                    .iter()
                    .find(|x| &x.id == b)
                    .and_then(|x| x.marketplace_id.clone()),
                (_, Some(cid)) => books
                    .costs
                    .costs
                    .iter()
                    .find(|x| &x.id == cid)
                    .and_then(|x| x.marketplace_id.clone()),
                _ => None,
            };
            let amount = if p.restock { -part.cost() } else { part.cost() };
            cost += scope.convert(amount, &scope.cost_currency(scope_m.as_deref()), p.day)?;
        }
        c.cost = cost;
        out.entry(k).or_default().cogs.merge(&c);
    }
    // Expenses, on each day they occur.
    let account_days = scope.account_days(period);
    for e in &books.expenses.all {
        let (m, d) = match &e.marketplace_id {
            Some(m) => match days.get(m) {
                Some(d) => (m.as_str(), *d),
                // A marketplace without figures still has its expenses in the account's view.
                None if !scope.filtered => match crate::scope::Market::of(m) {
                    Some(mk) => (m.as_str(), scope.days(&mk, period)),
                    None => continue,
                },
                None => continue,
            },
            None if scope.filtered => continue,
            None => ("", account_days),
        };
        for day in e.occurrences(d.start, d.end) {
            let amount = scope.convert(e.amount, &e.currency, day)?;
            let mut shares: Vec<(&str, Decimal)> = vec![];
            match (&scope.sku, by_sku) {
                (Some(sku), _) => shares.push((sku.as_str(), e.share_of(sku))),
                (None, true) => {
                    for a in &e.allocated_products {
                        shares.push((a.sku.as_str(), a.percentage / Decimal::ONE_HUNDRED));
                    }
                    shares.push(("", e.unallocated_share()));
                }
                (None, false) => shares.push((ALL_SKUS, Decimal::ONE)),
            }
            for (sku, share) in shares {
                if share.is_zero() {
                    continue;
                }
                if let Some(k) = key(&At {
                    marketplace_id: m,
                    sku,
                    day,
                }) {
                    let t = out.entry(k).or_default();
                    t.expenses += amount * share;
                    *t.expenses_by_category
                        .entry(e.category.clone())
                        .or_default() += amount * share;
                }
            }
        }
    }
    Ok(out)
}

/// Whether a request converts anything: a marketplace, COGS or an expense in another
/// currency than the output's (rates are read only then).
fn needs_rates(scope: &Scope, books: &Books) -> bool {
    scope.markets.iter().any(|m| m.currency != scope.currency)
        || books
            .expenses
            .all
            .iter()
            .any(|e| e.currency != scope.currency)
        || (!books.costs.is_empty()
            && (books
                .costs
                .batches
                .iter()
                .map(|b| b.marketplace_id.as_deref())
                .chain(
                    books
                        .costs
                        .costs
                        .iter()
                        .map(|c| c.marketplace_id.as_deref()),
                )
                .any(|m| scope.cost_currency(m) != scope.currency)))
}

/// One tally of the whole period.
pub async fn total(s: &dyn Store, scope: &Scope, books: &Books, period: Period) -> Result<Tally> {
    Ok(
        tally_runs(s, scope, books, period, false, |_| (), |_| Some(()))
            .await?
            .remove(&())
            .unwrap_or_default(),
    )
}
