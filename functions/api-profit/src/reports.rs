//! The figure calls: summary tiles, by product, by marketplace, by order item, trends, the
//! P&L, the map, the dashboard chart and the other charts, and the KPIs. Definitions are in
//! `report`.

use crate::json::{self, bare, money, ok, percent};
use crate::report::{self, At, Books, Tally};
use crate::scope::{ProfitQuery, Scope};
use axum::extract::State;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use shared::costs::periods::{Bucket, Days, Period};
use shared::error::{Error, Result, Validator};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::profit::{Figures, ALL_SKUS};
use std::collections::{BTreeMap, BTreeSet};

/// The period of a figure call: `range` (or a named `period`), else `startDate`/`endDate`
/// as local days, else `default`.
fn period_of(q: &ProfitQuery, default: Period) -> Result<Period> {
    let named = q.range.as_deref().or_else(|| {
        q.period
            .as_deref()
            .filter(|p| Period::named(p).is_some() && Bucket::parse(Some(p), Bucket::Day).is_err())
    });
    Period::from_query(
        named,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        default,
    )
}

fn range_json(scope: &Scope, p: Period) -> Value {
    let d = scope.account_days(p);
    json!({"startDate": d.start.to_string(), "endDate": d.end.to_string()})
}

/// The summary of a tally (the tile's fields and the rest of the P&L's figures).
pub fn summary_json(t: &Tally, currency: &str) -> Value {
    let f = &t.f;
    let sales = f.sales_revenue;
    json!({
        "salesRevenue": money(sales),
        "totalExpenses": money(t.expenses),
        "totalFees": money(-f.amazon_fees()),
        "totalRefunds": money(-f.refunds),
        "totalCOGS": money(t.cogs.cost),
        "grossProfit": money(t.gross_profit()),
        "netProfit": money(t.net_profit()),
        "grossMargin": percent(t.gross_profit(), sales),
        "netMargin": percent(t.net_profit(), sales),
        "orderCount": f.orders,
        "unitsSold": f.units_sold,
        "refundUnits": f.refund_units,
        "promotions": money(f.promotions),
        "advertisingCost": money(-f.advertising),
        "reimbursements": money(f.reimbursements),
        "adjustments": money(f.adjustments),
        "other": money(f.other),
        "unclassified": money(f.unclassified),
        "taxCollected": money(f.tax_collected),
        "taxWithheld": money(f.tax_withheld),
        "estimatedFees": money(-f.estimated_fees),
        "amazonNet": money(t.amazon_net()),
        "fees": {
            "referral": money(-f.referral_fees), "fba": money(-f.fba_fees),
            "other": money(-f.other_amazon_fees), "storage": money(-f.storage_fees),
            "inboundRemoval": money(-f.inbound_removal_fees),
        },
        "cogsMethods": {
            "fifo": t.cogs.fifo_units, "unitCost": t.cogs.unit_cost_units, "none": t.cogs.unpriced_units,
        },
        "currency": currency,
    })
}

async fn setup(state: &AppState, auth: &AuthUser, q: &ProfitQuery) -> Result<(Scope, Books)> {
    let scope = Scope::resolve(state, auth, q).await?;
    let books = Books::load(state.store.as_ref(), &scope).await?;
    Ok((scope, books))
}

/// `GET /api/profit/summary` (and `/report`): one period's tile.
pub async fn summary(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let p = period_of(&q, Period::Today)?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let t = report::total(state.store.as_ref(), &scope, &books, p).await?;
    let mut v = summary_json(&t, &scope.currency);
    v["period"] = range_json(&scope, p);
    v["view"] = json!(view_name(&scope));
    Ok(ok(v))
}

fn view_name(scope: &Scope) -> &'static str {
    match scope.view {
        shared::profit::View::OrderDate => "order",
        shared::profit::View::PostedDate => "posted",
    }
}

/// `GET /api/profit/summary/multiple-periods?periods=today,yesterday,7days,14days,30days`.
pub async fn multiple_periods(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let names: Vec<String> = q
        .periods
        .clone()
        .unwrap_or_else(|| "today,yesterday,7days,14days,30days".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut v = Validator::new();
    v.check(names.len() <= 12, "periods", "at most 12 periods");
    let list: Vec<(String, Option<Period>)> = names
        .iter()
        .map(|n| (n.clone(), Period::named(n)))
        .collect();
    for (n, p) in &list {
        v.check(
            p.is_some(),
            "periods",
            &format!(
                "{n} is not a period (today, yesterday, 7days, 14days, 30days, mtd, lastMonth)"
            ),
        );
    }
    v.finish()?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let mut out = Map::new();
    for (n, p) in list {
        let p = p.expect("checked");
        let t = report::total(state.store.as_ref(), &scope, &books, p).await?;
        let mut s = summary_json(&t, &scope.currency);
        s["period"] = range_json(&scope, p);
        out.insert(n, s);
    }
    Ok(ok(Value::Object(out)))
}

fn product_row(sku: &str, t: &Tally, currency: &str) -> Value {
    let mut v = summary_json(t, currency);
    v["sku"] = json!(sku);
    v["productId"] = json!(sku);
    v["productTitle"] = json!(sku);
    v
}

/// `GET /api/profit/by-product`: one row per SKU with sales or costs in the period, by sales
/// descending. Account-level lines (no SKU) and unallocated expenses are in the summary only.
pub async fn by_product(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let p = period_of(&q, Period::Today)?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let rows = report::tally_runs(
        state.store.as_ref(),
        &scope,
        &books,
        p,
        true,
        |_| (),
        |a| (!a.sku.is_empty() && a.sku != ALL_SKUS).then(|| a.sku.to_string()),
    )
    .await?;
    let mut list: Vec<(&String, &Tally)> = rows.iter().collect();
    list.sort_by(|a, b| {
        b.1.f
            .sales_revenue
            .cmp(&a.1.f.sales_revenue)
            .then(a.0.cmp(b.0))
    });
    Ok(ok(json!(list
        .iter()
        .map(|(sku, t)| product_row(sku, t, &scope.currency))
        .collect::<Vec<_>>())))
}

/// `GET /api/profit/by-marketplace`: one row per marketplace (its own expenses only).
pub async fn by_marketplace(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let p = period_of(&q, Period::Today)?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let rows = report::tally_runs(
        state.store.as_ref(),
        &scope,
        &books,
        p,
        false,
        |_| (),
        |a| (!a.marketplace_id.is_empty()).then(|| a.marketplace_id.to_string()),
    )
    .await?;
    let mut list: Vec<Value> = vec![];
    for m in &scope.markets {
        let t = rows.get(&m.id).cloned().unwrap_or_default();
        let mut v = summary_json(&t, &scope.currency);
        v["marketplaceId"] = json!(m.id);
        v["marketplaceName"] = json!(m.name);
        v["marketplaceCode"] = json!(m.country);
        list.push(v);
    }
    list.sort_by(|a, b| {
        b["salesRevenue"]
            .as_f64()
            .partial_cmp(&a["salesRevenue"].as_f64())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(ok(json!(list)))
}

/// `GET /api/profit/map`: net profit and orders by country (the marketplace's), a bare array
/// by profit descending.
pub async fn map(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let p = period_of(&q, Period::LastDays(30))?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let rows = report::tally_runs(
        state.store.as_ref(),
        &scope,
        &books,
        p,
        false,
        |_| (),
        |a| (!a.marketplace_id.is_empty()).then(|| a.marketplace_id.to_string()),
    )
    .await?;
    let mut by_country: BTreeMap<String, (Decimal, i64)> = BTreeMap::new();
    for m in &scope.markets {
        let t = rows.get(&m.id).cloned().unwrap_or_default();
        let e = by_country.entry(m.country.clone()).or_default();
        e.0 += t.net_profit();
        e.1 += t.f.orders;
    }
    let mut list: Vec<(String, Decimal, i64)> = by_country
        .into_iter()
        .map(|(c, (p, o))| (c, p, o))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(bare(json!(list.iter().map(|(c, p, o)| json!({"country": c, "profit": money(*p), "orders": o, "currency": scope.currency})).collect::<Vec<_>>())))
}

/// A series: tallies by bucket of the local day, every bucket of the range present.
async fn series(
    state: &AppState,
    scope: &Scope,
    books: &Books,
    p: Period,
    bucket: Bucket,
) -> Result<(Vec<String>, BTreeMap<String, Tally>)> {
    let run = |d: NaiveDate| bucket.key(d);
    let rows = report::tally_runs(state.store.as_ref(), scope, books, p, false, run, |a| {
        Some(bucket.key(a.day))
    })
    .await?;
    let span = scope.span(p);
    let keys: BTreeSet<String> = span.iter().map(|d| bucket.key(d)).collect();
    Ok((keys.into_iter().collect(), rows))
}

/// `GET /api/profit/trends`: `{data: {data: [summary per bucket], period, startDate, endDate}}`.
pub async fn trends(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let bucket = Bucket::parse(
        q.period
            .as_deref()
            .filter(|p| Period::named(p).is_none() || Bucket::parse(Some(p), Bucket::Day).is_ok()),
        Bucket::Day,
    )?;
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(30),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let (keys, rows) = series(&state, &scope, &books, p, bucket).await?;
    let data: Vec<Value> = keys
        .iter()
        .map(|k| {
            let t = rows.get(k).cloned().unwrap_or_default();
            let mut v = summary_json(&t, &scope.currency);
            v["date"] = json!(k);
            v["period"] = json!(if bucket == Bucket::Week {
                format!("Week of {k}")
            } else {
                k.clone()
            });
            v
        })
        .collect();
    let r = range_json(&scope, p);
    Ok(ok(
        json!({"data": data, "period": q.period.clone().unwrap_or_else(|| "day".into()), "startDate": r["startDate"], "endDate": r["endDate"]}),
    ))
}

/// `GET /api/profit/trends/simple?startDate&endDate&interval=daily|weekly|monthly`: bare
/// `{labels, profit, revenue}`.
pub async fn trends_simple(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let mut v = Validator::new();
    v.check(q.start_date.is_some(), "startDate", "is required");
    v.check(q.end_date.is_some(), "endDate", "is required");
    v.finish()?;
    let bucket = match q.interval.as_deref().unwrap_or("daily") {
        "daily" => Bucket::Day,
        "weekly" => Bucket::Week,
        "monthly" => Bucket::Month,
        _ => {
            return Err(Error::validation(
                "interval",
                "must be one of: daily, weekly, monthly",
            ))
        }
    };
    let p = Period::from_query(
        None,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::Today,
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let (keys, rows) = series(&state, &scope, &books, p, bucket).await?;
    let get = |k: &String| rows.get(k).cloned().unwrap_or_default();
    Ok(bare(json!({
        "labels": keys,
        "profit": keys.iter().map(|k| money(get(k).net_profit())).collect::<Vec<_>>(),
        "revenue": keys.iter().map(|k| money(get(k).f.sales_revenue)).collect::<Vec<_>>(),
        "currency": scope.currency,
    })))
}

const PRODUCT_METRICS: [&str; 16] = [
    "sales",
    "units",
    "orders",
    "promo",
    "advertisingCost",
    "refunds",
    "refundCost",
    "refundsPercent",
    "sellableReturns",
    "amazonFees",
    "estimatedPayout",
    "costOfGoods",
    "grossProfit",
    "indirectExpenses",
    "netProfit",
    "margin",
];

fn metric_value(metric: &str, t: &Tally) -> Decimal {
    let f = &t.f;
    match metric {
        "sales" => f.sales_revenue,
        "units" => Decimal::from(f.units_sold),
        "orders" => Decimal::from(f.orders),
        "promo" => -f.promotions,
        "advertisingCost" => -f.advertising,
        "refunds" => Decimal::from(f.refund_units),
        "refundCost" => -f.refunds,
        "refundsPercent" => pct(-f.refunds, f.sales_revenue),
        "sellableReturns" => Decimal::ZERO,
        "amazonFees" => -f.amazon_fees(),
        "estimatedPayout" => t.amazon_net(),
        "costOfGoods" => t.cogs.cost,
        "grossProfit" => t.gross_profit(),
        "indirectExpenses" => t.expenses,
        "netProfit" => t.net_profit(),
        "margin" => pct(t.net_profit(), f.sales_revenue),
        _ => Decimal::ZERO,
    }
}

fn pct(a: Decimal, b: Decimal) -> Decimal {
    if b.is_zero() {
        Decimal::ZERO
    } else {
        a / b * Decimal::ONE_HUNDRED
    }
}

fn rounded(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// `GET /api/profit/trends/products?startDate&endDate&metric=`: bare `{products, dates,
/// metric}`: per SKU with sales in the range, the metric of each local day and its change.
pub async fn product_trends(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let metric = q.metric.clone().unwrap_or_else(|| "sales".into());
    if !PRODUCT_METRICS.contains(&metric.as_str()) {
        return Err(Error::validation(
            "metric",
            format!("must be one of: {}", PRODUCT_METRICS.join(", ")),
        ));
    }
    let p = period_of(&q, Period::LastDays(30))?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let rows = report::tally(state.store.as_ref(), &scope, &books, p, true, |a| {
        (!a.sku.is_empty() && a.sku != ALL_SKUS).then(|| (a.sku.to_string(), a.day))
    })
    .await?;
    let span = scope.span(p);
    let dates: Vec<NaiveDate> = span.iter().collect();
    let mut by_sku: BTreeMap<&str, BTreeMap<NaiveDate, &Tally>> = BTreeMap::new();
    for ((sku, day), t) in &rows {
        by_sku.entry(sku.as_str()).or_default().insert(*day, t);
    }
    by_sku.retain(|_, days| {
        days.values()
            .any(|t| t.f.units_sold != 0 || !t.f.sales_revenue.is_zero())
    });
    let empty = Tally::default();
    let products: Vec<Value> = by_sku
        .iter()
        .map(|(sku, days)| {
            let mut prev: Option<Decimal> = None;
            let values: Vec<Value> = dates
                .iter()
                .map(|d| {
                    let v = rounded(metric_value(&metric, days.get(d).copied().unwrap_or(&empty)));
                    let change = match prev {
                        Some(p) if !p.is_zero() => rounded((v - p) / p.abs() * Decimal::ONE_HUNDRED),
                        _ => Decimal::ZERO,
                    };
                    prev = Some(v);
                    json!({"date": d.to_string(), "value": json::number(v), "changePercent": json::number(change)})
                })
                .collect();
            let chart: Vec<Value> = values.iter().map(|v| v["value"].clone()).collect();
            json!({"productId": sku, "sku": sku, "productTitle": sku, "productImageUrl": null, "dailyValues": values, "chartData": chart})
        })
        .collect();
    Ok(bare(
        json!({"products": products, "dates": dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(), "metric": metric, "currency": scope.currency}),
    ))
}

/// The P&L's periods: this month to date, then the 12 months before it, newest first.
fn pl_periods(today: NaiveDate) -> Vec<(String, String, Days)> {
    let first = today.with_day(1).expect("day 1");
    let mut out = vec![(
        "current-mtd".to_string(),
        format!("1-{} {}", today.day(), today.format("%B %Y")),
        Days {
            start: first,
            end: today,
        },
    )];
    let mut end = first - Duration::days(1);
    for _ in 0..12 {
        let start = end.with_day(1).expect("day 1");
        out.push((
            start.format("%Y-%m").to_string(),
            start.format("%B %Y").to_string(),
            Days { start, end },
        ));
        end = start - Duration::days(1);
    }
    out
}

/// A P&L row: a value per period (index-aligned with `periods`) and their total.
fn pl_row(
    parameter: &str,
    values: &[Decimal],
    keys: &[String],
    is_money: bool,
    children: Vec<Value>,
) -> Value {
    let total: Decimal = if is_money {
        values.iter().copied().sum()
    } else {
        Decimal::ZERO
    };
    let mut v = json!({
        "parameter": parameter,
        "isExpandable": !children.is_empty(),
        "total": money(total),
        "periods": values.iter().zip(keys).map(|(x, k)| json!({"period": k, "value": money(*x)})).collect::<Vec<_>>(),
    });
    if !children.is_empty() {
        v["children"] = json!(children);
    }
    v
}

/// `GET /api/profit/pl`: `{periods, periodKeys, currentPeriod, metrics, startDate, endDate}`;
/// each metric has one value per period, index-aligned with `periods`, and its expandable
/// children.
pub async fn pl(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let (scope, books) = setup(&state, &auth, &q).await?;
    let today = scope.account_days(Period::Today).end;
    let periods = pl_periods(today);
    let oldest = periods.last().expect("13 periods").2.start;
    let whole = Period::Custom(oldest, today);
    // Each marketplace's own today: a month bucket by the local day's month.
    let month = |d: NaiveDate| (d.year(), d.month());
    let rows = report::tally_runs(
        state.store.as_ref(),
        &scope,
        &books,
        whole,
        false,
        month,
        |a| Some((a.day.year(), a.day.month())),
    )
    .await?;
    let ts: Vec<Tally> = periods
        .iter()
        .map(|(_, _, d)| {
            rows.get(&(d.start.year(), d.start.month()))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let keys: Vec<String> = periods.iter().map(|(k, _, _)| k.clone()).collect();
    let col = |f: &dyn Fn(&Tally) -> Decimal| -> Vec<Decimal> { ts.iter().map(f).collect() };
    let leaf = |name: &str, f: &dyn Fn(&Figures) -> Decimal| {
        pl_row(name, &col(&|t| f(&t.f)), &keys, true, vec![])
    };
    let categories: BTreeSet<String> = ts
        .iter()
        .flat_map(|t| t.expenses_by_category.keys().cloned())
        .collect();
    let count_row = |name: &str, f: &dyn Fn(&Tally) -> i64| {
        let values: Vec<Decimal> = ts.iter().map(|t| Decimal::from(f(t))).collect();
        pl_row(name, &values, &keys, true, vec![])
    };
    let pct_row =
        |name: &str, f: &dyn Fn(&Tally) -> Decimal| pl_row(name, &col(f), &keys, false, vec![]);
    let metrics = vec![
        pl_row(
            "Sales",
            &col(&|t| t.f.sales_revenue),
            &keys,
            true,
            vec![
                leaf("Principal", &|f| f.principal),
                leaf("Shipping", &|f| f.shipping),
                leaf("Gift wrap", &|f| f.gift_wrap),
            ],
        ),
        count_row("Units", &|t| t.f.units_sold),
        count_row("Orders", &|t| t.f.orders),
        count_row("Refunds", &|t| t.f.refund_units),
        leaf("Promo", &|f| f.promotions),
        pl_row("Refund cost", &col(&|t| t.f.refunds), &keys, true, vec![]),
        pl_row(
            "Amazon fees",
            &col(&|t| t.f.amazon_fees()),
            &keys,
            true,
            vec![
                leaf("Referral fee", &|f| f.referral_fees),
                leaf("FBA fulfilment fee", &|f| f.fba_fees),
                leaf("FBA storage fee", &|f| f.storage_fees),
                leaf("Inbound and removal fees", &|f| f.inbound_removal_fees),
                leaf("Other Amazon fees", &|f| f.other_amazon_fees),
                leaf("Estimated (not yet posted)", &|f| f.estimated_fees),
            ],
        ),
        leaf("Advertising cost", &|f| f.advertising),
        leaf("Reimbursements", &|f| f.reimbursements),
        pl_row(
            "Marketplace facilitator tax",
            &col(&|t| t.f.tax_net()),
            &keys,
            true,
            vec![
                leaf("Tax collected", &|f| f.tax_collected),
                leaf("Tax withheld", &|f| f.tax_withheld),
            ],
        ),
        pl_row(
            "Adjustments and other",
            &col(&|t| t.f.adjustments + t.f.other + t.f.unclassified),
            &keys,
            true,
            vec![
                leaf("Adjustments", &|f| f.adjustments),
                leaf("Other", &|f| f.other),
                leaf("Unclassified", &|f| f.unclassified),
            ],
        ),
        pl_row("Amazon net", &col(&|t| t.amazon_net()), &keys, true, vec![]),
        pl_row(
            "Cost of goods",
            &col(&|t| -t.cogs.cost),
            &keys,
            true,
            vec![],
        ),
        pl_row(
            "Gross profit",
            &col(&|t| t.gross_profit()),
            &keys,
            true,
            vec![],
        ),
        pl_row(
            "Indirect expenses",
            &col(&|t| -t.expenses),
            &keys,
            true,
            categories
                .iter()
                .map(|c| {
                    pl_row(
                        c,
                        &col(&|t| -t.expenses_by_category.get(c).copied().unwrap_or_default()),
                        &keys,
                        true,
                        vec![],
                    )
                })
                .collect(),
        ),
        pl_row("Net profit", &col(&|t| t.net_profit()), &keys, true, vec![]),
        pct_row("Margin", &|t| pct(t.net_profit(), t.f.sales_revenue)),
        pct_row("% Refunds", &|t| pct(-t.f.refunds, t.f.sales_revenue)),
        pct_row("ROI", &|t| pct(t.net_profit(), t.cogs.cost)),
        pct_row("Real ACOS", &|t| pct(-t.f.advertising, t.f.sales_revenue)),
    ];
    Ok(ok(json!({
        "periods": periods.iter().map(|(_, l, _)| l.clone()).collect::<Vec<_>>(),
        "periodKeys": keys,
        "currentPeriod": periods[0].1,
        "metrics": metrics,
        "startDate": oldest.to_string(), "endDate": today.to_string(),
        "currency": scope.currency, "view": view_name(&scope),
    })))
}

fn bucket_of(q: &ProfitQuery, default: Bucket) -> Result<Bucket> {
    Bucket::parse(q.period.as_deref(), default)
}

/// `GET /api/profit/charts/dashboard` (`period=month`): `{period, startDate, endDate,
/// data: [{period, unitsSold, advertisingCost, refunds, netProfit}]}`.
pub async fn chart_dashboard(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let bucket = bucket_of(&q, Bucket::Month)?;
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(365),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let (keys, rows) = series(&state, &scope, &books, p, bucket).await?;
    let data: Vec<Value> = keys
        .iter()
        .map(|k| {
            let t = rows.get(k).cloned().unwrap_or_default();
            json!({
                "period": k, "unitsSold": t.f.units_sold, "advertisingCost": money(-t.f.advertising),
                "refunds": money(-t.f.refunds), "netProfit": money(t.net_profit()),
                "salesRevenue": money(t.f.sales_revenue), "orders": t.f.orders,
            })
        })
        .collect();
    let r = range_json(&scope, p);
    Ok(ok(
        json!({"period": bucket_name(bucket), "startDate": r["startDate"], "endDate": r["endDate"], "data": data, "currency": scope.currency}),
    ))
}

fn bucket_name(b: Bucket) -> &'static str {
    match b {
        Bucket::Day => "day",
        Bucket::Week => "week",
        Bucket::Month => "month",
        Bucket::Quarter => "quarter",
        Bucket::Year => "year",
    }
}

type Pick = fn(&Tally) -> Decimal;

fn metric_series(metric: &str) -> Vec<(&'static str, Pick)> {
    match metric {
        "sales" => vec![("Sales Revenue", |t| t.f.sales_revenue)],
        "ppc" => vec![("PPC Spend", |t| -t.f.advertising)],
        "returns" => vec![("Returns Cost", |t| -t.f.refunds)],
        _ => vec![
            ("Net Profit", |t| t.net_profit()),
            ("Sales Revenue", |t| t.f.sales_revenue),
        ],
    }
}

async fn chart(state: AppState, auth: AuthUser, q: ProfitQuery, metric: &str) -> Result<Response> {
    let bucket = bucket_of(&q, Bucket::Day)?;
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(30),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let (keys, rows) = series(&state, &scope, &books, p, bucket).await?;
    let r = range_json(&scope, p);
    let series: Vec<Value> = metric_series(metric)
        .into_iter()
        .map(|(label, f)| json!({"label": label, "data": keys.iter().map(|k| json!({"period": k, "value": money(f(&rows.get(k).cloned().unwrap_or_default()))})).collect::<Vec<_>>()}))
        .collect();
    Ok(ok(
        json!({"metric": metric, "period": bucket_name(bucket), "startDate": r["startDate"], "endDate": r["endDate"], "series": series, "currency": scope.currency}),
    ))
}

pub async fn chart_profit(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    chart(state, auth, q, "profit").await
}
pub async fn chart_sales(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    chart(state, auth, q, "sales").await
}
pub async fn chart_ppc(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    chart(state, auth, q, "ppc").await
}
pub async fn chart_returns(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    chart(state, auth, q, "returns").await
}

/// `GET /api/profit/charts/comparison?metric=`: the range and the equally long range before
/// it.
pub async fn chart_comparison(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let metric = q.metric.clone().unwrap_or_else(|| "profit".into());
    if !["profit", "sales", "ppc", "returns"].contains(&metric.as_str()) {
        return Err(Error::validation(
            "metric",
            "must be profit, sales, ppc or returns",
        ));
    }
    let bucket = bucket_of(&q, Bucket::Day)?;
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(30),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let cur = scope.account_days(p);
    let len = cur.len();
    let prev = Period::Custom(
        cur.start - Duration::days(len),
        cur.start - Duration::days(1),
    );
    let pick = metric_series(&metric)[0].1;
    let mut sides = vec![];
    for (label, period) in [("Current Period", p), ("Previous Period", prev)] {
        let (keys, rows) = series(&state, &scope, &books, period, bucket).await?;
        sides.push((label, json!(keys.iter().map(|k| json!({"period": k, "value": money(pick(&rows.get(k).cloned().unwrap_or_default()))})).collect::<Vec<_>>()), range_json(&scope, period)));
    }
    Ok(ok(json!({
        "metric": metric, "period": bucket_name(bucket),
        "current": {"label": sides[0].0, "data": sides[0].1}, "previous": {"label": sides[1].0, "data": sides[1].1},
        "currentRange": sides[0].2, "previousRange": sides[1].2, "currency": scope.currency,
    })))
}

/// `GET /api/profit/kpis/units-sold`: units by SKU, marketplace and bucket.
pub async fn kpi_units(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let bucket = bucket_of(&q, Bucket::Day)?;
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(30),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let rows = report::tally(state.store.as_ref(), &scope, &books, p, true, |a: &At| {
        (!a.sku.is_empty() && a.sku != ALL_SKUS && !a.marketplace_id.is_empty()).then(|| {
            (
                a.sku.to_string(),
                a.marketplace_id.to_string(),
                bucket.key(a.day),
            )
        })
    })
    .await?;
    let mut list: Vec<Value> = rows
        .iter()
        .filter(|(_, t)| t.f.units_sold != 0)
        .map(|((sku, m, k), t)| json!({"sku": sku, "productTitle": sku, "marketplaceId": m, "marketplaceName": scope.market(m).map(|x| x.name.clone()), "period": k, "units": t.f.units_sold, "orderCount": t.f.orders}))
        .collect();
    list.sort_by(|a, b| b["units"].as_i64().cmp(&a["units"].as_i64()));
    let total: i64 = rows.values().map(|t| t.f.units_sold).sum();
    Ok(ok(
        json!({"totalUnits": total, "breakdown": list, "period": range_json(&scope, p)}),
    ))
}

/// `GET /api/profit/kpis/returns-cost`: what refunds cost (Amazon's refund lines and the fees
/// they give back) by SKU and marketplace, and the seller's recorded returns by reason.
pub async fn kpi_returns_cost(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(30),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let rows = report::tally(state.store.as_ref(), &scope, &books, p, true, |a: &At| {
        (!a.sku.is_empty() && a.sku != ALL_SKUS && !a.marketplace_id.is_empty())
            .then(|| (a.sku.to_string(), a.marketplace_id.to_string()))
    })
    .await?;
    let mut list: Vec<(Decimal, Value)> = rows
        .iter()
        .filter(|(_, t)| !t.f.refunds.is_zero())
        .map(|((sku, m), t)| (-t.f.refunds, json!({"reasonCode": "AMAZON_REFUND", "reason": "Refunded by Amazon", "sku": sku, "marketplaceId": m, "amount": money(-t.f.refunds), "count": t.f.refund_units})))
        .collect();
    let returns: Vec<shared::costs::returns::Return> =
        shared::costs::all(state.store.as_ref(), scope.ctx.tenant()).await?;
    let mut manual: BTreeMap<(String, String, String), (Decimal, i64)> = BTreeMap::new();
    for r in &returns {
        let Some(m) = scope.market(&r.marketplace_id) else {
            continue;
        };
        let day = shared::costs::periods::marketplace_day(&r.marketplace_id, r.returned_at);
        if !scope.days(m, p).contains(day) || scope.sku.as_ref().is_some_and(|s| s != &r.sku) {
            continue;
        }
        let e = manual
            .entry((
                r.reason_code.clone(),
                r.sku.clone(),
                r.marketplace_id.clone(),
            ))
            .or_default();
        e.0 += r.refund_amount + r.fee_amount;
        e.1 += r.quantity_returned;
    }
    for ((reason, sku, m), (amount, count)) in manual {
        list.push((amount, json!({"reasonCode": reason, "reason": reason, "sku": sku, "marketplaceId": m, "amount": money(amount), "count": count, "recorded": true})));
    }
    list.sort_by_key(|b| std::cmp::Reverse(b.0));
    let total: Decimal = list.iter().map(|x| x.0).sum();
    let count: i64 = list.iter().filter_map(|x| x.1["count"].as_i64()).sum();
    Ok(ok(
        json!({"totalReturnsCost": money(total), "totalReturnsCount": count, "breakdown": list.into_iter().map(|x| x.1).collect::<Vec<_>>(), "period": range_json(&scope, p), "currency": scope.currency}),
    ))
}

async fn bucketed(
    state: &AppState,
    auth: &AuthUser,
    q: &ProfitQuery,
    f: fn(&Figures) -> Vec<(&'static str, Decimal)>,
) -> Result<(
    Scope,
    Period,
    Vec<(String, Vec<(&'static str, Decimal)>, i64)>,
)> {
    let bucket = bucket_of(q, Bucket::Day)?;
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(30),
    )?;
    let (scope, books) = setup(state, auth, q).await?;
    let (keys, rows) = series(state, &scope, &books, p, bucket).await?;
    let out = keys
        .iter()
        .map(|k| {
            let t = rows.get(k).cloned().unwrap_or_default();
            (k.clone(), f(&t.f), t.f.orders)
        })
        .collect();
    Ok((scope, p, out))
}

/// `GET /api/profit/kpis/advertising-cost`: sponsored-ads charges Amazon billed against
/// proceeds, by bucket (campaign detail is the PPC group's).
pub async fn kpi_advertising(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let (scope, p, rows) = bucketed(&state, &auth, &q, |f| {
        vec![("spend", -f.advertising), ("sales", f.sales_revenue)]
    })
    .await?;
    let spend: Decimal = rows.iter().map(|r| r.1[0].1).sum();
    let sales: Decimal = rows.iter().map(|r| r.1[1].1).sum();
    Ok(ok(json!({
        "totalSpend": money(spend), "totalSales": money(sales), "tacos": percent(spend, sales),
        "breakdown": rows.iter().map(|(k, v, _)| json!({"period": k, "spend": money(v[0].1), "sales": money(v[1].1)})).collect::<Vec<_>>(),
        "period": range_json(&scope, p), "currency": scope.currency,
    })))
}

/// `GET /api/profit/kpis/fba-fees`: FBA fulfilment, storage and inbound/removal fees by bucket.
pub async fn kpi_fba_fees(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let (scope, p, rows) = bucketed(&state, &auth, &q, |f| {
        vec![
            ("FBA fulfilment fee", -f.fba_fees),
            ("FBA storage fee", -f.storage_fees),
            ("FBA inbound and removal fees", -f.inbound_removal_fees),
        ]
    })
    .await?;
    let total: Decimal = rows.iter().flat_map(|r| r.1.iter().map(|x| x.1)).sum();
    let mut breakdown = vec![];
    for (k, v, orders) in &rows {
        for (kind, amount) in v {
            if !amount.is_zero() {
                breakdown.push(json!({"period": k, "feeType": kind, "amount": money(*amount), "orderCount": orders}));
            }
        }
    }
    Ok(ok(
        json!({"totalFBAFees": money(total), "breakdown": breakdown, "period": range_json(&scope, p), "currency": scope.currency}),
    ))
}

/// `GET /api/profit/kpis/payout-estimate`: what Amazon pays for the period's lines (posted
/// view unless `view` says otherwise), and its parts.
pub async fn kpi_payout_estimate(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(mut q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    if q.view.is_none() {
        q.view = Some("posted".into());
    }
    let p = Period::from_query(
        q.range.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::LastDays(14),
    )?;
    let (scope, books) = setup(&state, &auth, &q).await?;
    let t = report::total(state.store.as_ref(), &scope, &books, p).await?;
    let f = &t.f;
    Ok(ok(json!({
        "estimatedPayout": money(t.amazon_net()), "grossRevenue": money(f.sales_revenue),
        "breakdown": {
            "fees": money(-(f.amazon_fees() - f.fba_fees)), "fbaFees": money(-f.fba_fees),
            "refunds": money(-f.refunds), "advertising": money(-f.advertising),
            "promotions": money(-f.promotions), "reimbursements": money(f.reimbursements),
            "tax": money(f.tax_net()), "other": money(f.adjustments + f.other + f.unclassified),
        },
        "period": range_json(&scope, p), "view": view_name(&scope), "currency": scope.currency,
    })))
}

pub use crate::orderitems::by_order_items;
