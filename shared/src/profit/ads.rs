//! Ad cost in profit: the Sponsored Products spend Amazon attributes to each SKU (the
//! advertised-product report rows, `records::ads::Level::Sku`), beside the account-level
//! "Cost of Advertising" transactions that bill it, with no double counting.
//!
//! # Invoices and their periods
//! Every ledgered transaction with advertising lines is an ad invoice (index item
//! `ADINV#<marketplaceId>#<period month>#<transactionId>`). Amazon bills the month's spend
//! early in the next month, so an invoice posted on a local day of month M+1 covers the spend
//! of month M (the marketplace's local days, which are the Ads profile's). The reconciliation
//! view ([`reconcile`], `GET /api/profit/ads-invoices`) shows each invoice beside the sum of
//! the daily spend of its period and the difference, with the spend per SKU and day behind it.
//!
//! # The two views
//! - **Order date (accrual)**: a SKU's spend is advertising on the day it was spent (its SKU
//!   row), and the invoice that bills it is left out, for every month the Ads data covers
//!   (a month is covered when spend rows exist on its first day: the Ads sync keeps 95 days,
//!   so older months are not). For a month not covered, the invoice stays on its posted day
//!   (account level) and no daily spend is counted: each month is counted once, one way.
//! - **Posted date (cash)**: the invoice stays on its posted day, allocated over the SKUs pro
//!   rata to their spend in its period (to the cent, largest remainder, the total exact); an
//!   invoice whose period has no spend rows stays at account level.
//!
//! Both keep **net profit = every ledger line − COGS − expenses** over whole covered months:
//! the accrual replaces each invoice by the spend it bills (equal when the invoice reconciles).
//!
//! # Recompute
//! Applied to a (view, marketplace, day)'s rows as they are recomputed ([`adjust`]), so every
//! figure stays recomputed from its sources. `AdsSpendChanged` `{tenant, marketplaceId, days}`
//! (published by the ads-reports dataset for the days of SKU rows it wrote) names the days to
//! recompute ([`days_for_spend`]): their order-date days, the days of a month whose coverage
//! may have changed (a first of a month), and the posted days of the invoices of their months.

use super::ledger::TransactionLedger;
use super::rollup::StoredRow;
use super::{Category, Figures, View, ACCOUNT_LEVEL, ALL_SKUS};
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, Item, ItemBuilder, ItemExt, Query, SortKey, Store, StoreError, WriteOp,
};
use crate::records::ads::{self, Level};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The domain event the ads-reports dataset publishes for the days of SKU spend it wrote.
pub const ADS_SPEND_CHANGED: &str = "AdsSpendChanged";

/// An ad invoice: a transaction with advertising lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    pub transaction_id: String,
    pub marketplace_id: String,
    pub currency: String,
    pub posted_day: NaiveDate,
    /// The advertising lines' sum, as Amazon signs it (a charge is negative).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Advertising lines in it.
    pub lines: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_id: Option<String>,
}

/// The first day of a day's month.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1")
}

/// The spend period an invoice posted on `posted_day` bills: the month before.
pub fn period_of(posted_day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let end = month_start(posted_day) - Duration::days(1);
    (month_start(end), end)
}

fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn invoice_sk(i: &Invoice) -> String {
    format!(
        "ADINV#{}#{}#{}",
        i.marketplace_id,
        month_key(i.period_start),
        i.transaction_id
    )
}

fn to_item(tenant: &Tenant, i: &Invoice) -> Item {
    ItemBuilder::new(keys::pk(tenant), invoice_sk(i))
        .s("data", serde_json::to_string(i).unwrap_or_default())
        .build()
}

fn from_item(i: &Item) -> Result<Invoice, StoreError> {
    let v: serde_json::Value = serde_json::from_str(&i.s("data")?)
        .map_err(|_| StoreError::Corrupt("ad invoice".into()))?;
    let day = |f: &str| {
        v[f].as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("ad invoice {f}")))
    };
    Ok(Invoice {
        transaction_id: v["transactionId"].as_str().unwrap_or_default().into(),
        marketplace_id: v["marketplaceId"].as_str().unwrap_or_default().into(),
        currency: v["currency"].as_str().unwrap_or_default().into(),
        posted_day: day("postedDay")?,
        amount: v["amount"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("ad invoice amount".into()))?,
        lines: v["lines"].as_i64().unwrap_or(1),
        period_start: day("periodStart")?,
        period_end: day("periodEnd")?,
        settlement_id: v["settlementId"].as_str().map(str::to_string),
    })
}

/// The ad invoice of a transaction's ledger, if it has advertising lines.
pub fn invoice_of(l: &TransactionLedger) -> Option<Invoice> {
    let ad: Vec<_> = l
        .lines
        .iter()
        .filter(|x| x.category == Category::Advertising)
        .collect();
    if ad.is_empty() {
        return None;
    }
    let (period_start, period_end) = period_of(l.posted_day);
    Some(Invoice {
        transaction_id: l.transaction_id.clone(),
        marketplace_id: l.marketplace_id.clone(),
        currency: l.currency.clone(),
        posted_day: l.posted_day,
        amount: ad.iter().map(|x| x.amount).sum(),
        lines: ad.len() as i64,
        period_start,
        period_end,
        settlement_id: l.settlement_id.clone(),
    })
}

/// Indexes the ad invoices among some ledgers (idempotent: one key per transaction).
pub async fn note_invoices(
    store: &dyn Store,
    tenant: &Tenant,
    ledgers: &[TransactionLedger],
) -> Result<usize, StoreError> {
    let ops: Vec<WriteOp> = ledgers
        .iter()
        .filter_map(invoice_of)
        .map(|i| WriteOp::Put(to_item(tenant, &i)))
        .collect();
    let n = ops.len();
    for chunk in ops.chunks(25) {
        store.batch_write(chunk.to_vec()).await?;
    }
    Ok(n)
}

/// The ad invoices of a marketplace (all, or those billing one period month).
pub async fn invoices(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: Option<&str>,
    period: Option<NaiveDate>,
) -> Result<Vec<Invoice>, StoreError> {
    let prefix = match (marketplace_id, period) {
        (Some(m), Some(p)) => format!("ADINV#{m}#{}#", month_key(p)),
        (Some(m), None) => format!("ADINV#{m}#"),
        (None, _) => "ADINV#".to_string(),
    };
    let q = Query::partition(Index::Table, keys::pk(tenant)).sk(SortKey::BeginsWith(prefix));
    query_all(store, q).await?.iter().map(from_item).collect()
}

/// Spend per (SKU, day) of a marketplace over `[from, to]`, from the advertised-product rows.
pub async fn spend(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<(String, NaiveDate), Decimal>, StoreError> {
    let mut out: BTreeMap<(String, NaiveDate), Decimal> = BTreeMap::new();
    for d in ads::days(store, tenant, Level::Sku, from, to).await? {
        if d.marketplace_id == marketplace_id {
            *out.entry((d.sku.clone().unwrap_or_default(), d.date))
                .or_default() += d.cost;
        }
    }
    Ok(out)
}

/// Whether the Ads data covers a month of a marketplace (spend rows on its first day).
pub async fn covered(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    month: NaiveDate,
) -> Result<bool, StoreError> {
    let first = month_start(month);
    Ok(!spend(store, tenant, marketplace_id, first, first)
        .await?
        .is_empty())
}

/// Splits `amount` over `weights` pro rata, to the cent (`dp` decimals), the remainder cents
/// to the largest remainders (ties: the first key): the parts sum to `amount` exactly.
pub fn allocate(
    amount: Decimal,
    weights: &BTreeMap<String, Decimal>,
    dp: u32,
) -> BTreeMap<String, Decimal> {
    let total: Decimal = weights.values().sum();
    let mut out = BTreeMap::new();
    if total.is_zero() {
        return out;
    }
    let unit = Decimal::new(1, dp);
    let sign = if amount < Decimal::ZERO {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    let abs = amount.abs();
    let mut rest = abs;
    let mut remainders = vec![];
    for (k, w) in weights {
        let exact = abs * *w / total;
        let floor = exact.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::ToZero);
        rest -= floor;
        remainders.push((exact - floor, k.clone()));
        out.insert(k.clone(), floor);
    }
    // Largest remainder first; equal ones in key order.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, k) in remainders {
        if rest < unit {
            break;
        }
        *out.get_mut(&k).expect("allocated") += unit;
        rest -= unit;
    }
    if !rest.is_zero() {
        // Below a cent of `amount` itself (more decimals than `dp`): to the first key.
        if let Some(v) = out.values_mut().next() {
            *v += rest;
        }
    }
    out.into_iter().map(|(k, v)| (k, v * sign)).collect()
}

fn row<'a>(
    rows: &'a mut BTreeMap<String, StoredRow>,
    view: View,
    marketplace_id: &str,
    day: NaiveDate,
    currency: &str,
    sku: &str,
) -> &'a mut Figures {
    &mut rows
        .entry(sku.to_string())
        .or_insert_with(|| StoredRow {
            view,
            marketplace_id: marketplace_id.to_string(),
            sku: sku.to_string(),
            day,
            currency: currency.to_string(),
            figures: Figures::default(),
        })
        .figures
}

/// The rows of a (view, marketplace, day) with ad cost applied (see the module).
pub async fn adjust(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    marketplace_id: &str,
    day: NaiveDate,
    rows: Vec<StoredRow>,
) -> Result<Vec<StoredRow>, StoreError> {
    let m = marketplace_id;
    let (period, _) = period_of(day);
    let posted_today: Vec<Invoice> = invoices(store, tenant, Some(m), Some(period))
        .await?
        .into_iter()
        .filter(|i| i.posted_day == day)
        .collect();
    let daily = match view {
        View::OrderDate if covered(store, tenant, m, day).await? => {
            spend(store, tenant, m, day, day).await?
        }
        _ => BTreeMap::new(),
    };
    if posted_today.is_empty() && daily.is_empty() {
        return Ok(rows);
    }
    let currency = rows
        .first()
        .map(|r| r.currency.clone())
        .or_else(|| posted_today.first().map(|i| i.currency.clone()))
        .or_else(|| crate::marketplaces::by_id(m).map(|x| x.currency.to_string()))
        .unwrap_or_default();
    let mut by_sku: BTreeMap<String, StoredRow> =
        rows.into_iter().map(|r| (r.sku.clone(), r)).collect();
    match view {
        View::OrderDate => {
            for ((sku, _), cost) in &daily {
                row(&mut by_sku, view, m, day, &currency, sku)
                    .add_amount(Category::Advertising, -*cost);
                row(&mut by_sku, view, m, day, &currency, ALL_SKUS)
                    .add_amount(Category::Advertising, -*cost);
            }
            for inv in &posted_today {
                if covered(store, tenant, m, inv.period_start).await? {
                    for sku in [ACCOUNT_LEVEL, ALL_SKUS] {
                        let f = row(&mut by_sku, view, m, day, &currency, sku);
                        f.add_amount(Category::Advertising, -inv.amount);
                        f.lines -= inv.lines;
                    }
                }
            }
        }
        View::PostedDate => {
            for inv in &posted_today {
                let mut weights: BTreeMap<String, Decimal> = BTreeMap::new();
                for ((sku, _), cost) in
                    spend(store, tenant, m, inv.period_start, inv.period_end).await?
                {
                    *weights.entry(sku).or_default() += cost;
                }
                weights.retain(|_, w| *w > Decimal::ZERO);
                let dp = crate::marketplaces::CURRENCIES
                    .iter()
                    .find(|c| c.code == inv.currency)
                    .map(|c| u32::from(c.minor_units))
                    .unwrap_or(2);
                let parts = allocate(inv.amount, &weights, dp);
                if parts.is_empty() {
                    continue;
                }
                row(&mut by_sku, view, m, day, &currency, ACCOUNT_LEVEL)
                    .add_amount(Category::Advertising, -inv.amount);
                for (sku, part) in parts {
                    row(&mut by_sku, view, m, day, &currency, &sku)
                        .add_amount(Category::Advertising, part);
                }
            }
        }
    }
    // A row left with nothing in it is no row (the day's total stays while any row does).
    by_sku.retain(|sku, r| sku == ALL_SKUS || !r.figures.is_empty());
    if by_sku.len() == 1 && by_sku.get(ALL_SKUS).is_some_and(|r| r.figures.is_empty()) {
        return Ok(vec![]);
    }
    // The day's total row first, as the recompute writes it.
    let mut out: Vec<StoredRow> = by_sku.remove(ALL_SKUS).into_iter().collect();
    out.extend(by_sku.into_values());
    Ok(out)
}

/// The (view, marketplace, day)s to recompute when the spend of some days changed.
pub async fn days_for_spend(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    days: &[NaiveDate],
) -> Result<BTreeSet<(View, String, NaiveDate)>, StoreError> {
    let m = marketplace_id.to_string();
    let mut out = BTreeSet::new();
    let mut months = BTreeSet::new();
    for d in days {
        out.insert((View::OrderDate, m.clone(), *d));
        months.insert(month_start(*d));
        if d.day() == 1 {
            // The month's coverage may have changed: every day of it.
            let mut x = *d;
            while x.month() == d.month() {
                out.insert((View::OrderDate, m.clone(), x));
                x += Duration::days(1);
            }
        }
    }
    for month in months {
        for inv in invoices(store, tenant, Some(&m), Some(month)).await? {
            out.insert((View::PostedDate, m.clone(), inv.posted_day));
            out.insert((View::OrderDate, m.clone(), inv.posted_day));
        }
    }
    Ok(out)
}

/// The `AdsSpendChanged` events of the SKU spend days an Ads report step wrote, one per
/// marketplace (source `beddora.sync`).
pub fn spend_changed(
    tenant: &Tenant,
    connection: &str,
    days: &BTreeMap<String, BTreeSet<NaiveDate>>,
) -> Vec<crate::ports::bus::DomainEvent> {
    days.iter()
        .filter(|(_, d)| !d.is_empty())
        .map(|(m, d)| {
            crate::ports::bus::DomainEvent::new(
                "beddora.sync",
                ADS_SPEND_CHANGED,
                serde_json::json!({
                    "tenant": tenant.to_string(),
                    "connection": connection,
                    "marketplaceId": m,
                    "days": d.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                }),
            )
        })
        .collect()
}

/// One invoice beside the spend it bills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciled {
    #[serde(flatten)]
    pub invoice: Invoice,
    /// The invoice as a cost (positive).
    #[serde(with = "rust_decimal::serde::str")]
    pub invoiced: Decimal,
    /// The daily SKU spend of its period.
    #[serde(with = "rust_decimal::serde::str")]
    pub spend: Decimal,
    /// `invoiced − spend` (0 when the invoice bills exactly the spend we hold).
    #[serde(with = "rust_decimal::serde::str")]
    pub difference: Decimal,
    /// Whether the Ads data covers the whole period (else the spend is partial or none).
    pub covered: bool,
    /// Days of the period with spend.
    pub spend_days: usize,
}

/// Every ad invoice (of a marketplace or all) beside the spend of its period, newest first.
pub async fn reconcile(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: Option<&str>,
) -> Result<Vec<Reconciled>, StoreError> {
    let mut out = vec![];
    for inv in invoices(store, tenant, marketplace_id, None).await? {
        let s = spend(
            store,
            tenant,
            &inv.marketplace_id,
            inv.period_start,
            inv.period_end,
        )
        .await?;
        let total: Decimal = s.values().sum();
        let days: BTreeSet<NaiveDate> = s.keys().map(|(_, d)| *d).collect();
        let covered = days.contains(&inv.period_start);
        out.push(Reconciled {
            invoiced: -inv.amount,
            spend: total,
            difference: -inv.amount - total,
            covered,
            spend_days: days.len(),
            invoice: inv,
        });
    }
    out.sort_by(|a, b| {
        b.invoice
            .posted_day
            .cmp(&a.invoice.posted_day)
            .then(a.invoice.transaction_id.cmp(&b.invoice.transaction_id))
    });
    Ok(out)
}

/// One invoice with the spend per SKU and day behind it; `None` when we hold no such invoice.
pub async fn invoice_detail(
    store: &dyn Store,
    tenant: &Tenant,
    transaction_id: &str,
) -> Result<Option<(Reconciled, Vec<(String, NaiveDate, Decimal)>)>, StoreError> {
    let Some(r) = reconcile(store, tenant, None)
        .await?
        .into_iter()
        .find(|r| r.invoice.transaction_id == transaction_id)
    else {
        return Ok(None);
    };
    let s = spend(
        store,
        tenant,
        &r.invoice.marketplace_id,
        r.invoice.period_start,
        r.invoice.period_end,
    )
    .await?;
    Ok(Some((
        r,
        s.into_iter().map(|((sku, d), c)| (sku, d, c)).collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn an_invoice_is_allocated_to_the_cent_and_sums_exactly() {
        let w: BTreeMap<String, Decimal> = [("A", "1"), ("B", "1"), ("C", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), d(v)))
            .collect();
        let parts = allocate(d("-100.00"), &w, 2);
        assert_eq!(parts.values().copied().sum::<Decimal>(), d("-100.00"));
        assert_eq!(parts["A"], d("-33.34"));
        assert_eq!(parts["B"], d("-33.33"));
        let w: BTreeMap<String, Decimal> = [("A", "2.50"), ("B", "7.50")]
            .iter()
            .map(|(k, v)| (k.to_string(), d(v)))
            .collect();
        let parts = allocate(d("-10.01"), &w, 2);
        assert_eq!(parts["A"], d("-2.50"));
        assert_eq!(parts["B"], d("-7.51"));
        assert!(allocate(d("-5"), &BTreeMap::new(), 2).is_empty());
    }

    #[test]
    fn an_invoice_bills_the_month_before_it_was_posted() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            period_of(day("2026-03-03")),
            (day("2026-02-01"), day("2026-02-28"))
        );
        assert_eq!(
            period_of(day("2026-01-01")),
            (day("2025-12-01"), day("2025-12-31"))
        );
    }
}
