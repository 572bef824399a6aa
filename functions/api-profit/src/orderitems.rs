//! `GET /api/profit/by-order-items`: one row per order line purchased in the period (local
//! days of the order's marketplace), newest first, paginated (`page`, `limit` ≤ 500).
//!
//! A row's `salesRevenue` is the line's principal + shipping + gift wrap from the order;
//! `amazonFees`, `refunds` and `amazonNet` come from the ledger lines Amazon posted for the
//! order and SKU (`posted: false` until Amazon posts the shipment: then `amazonNet` is the
//! sales less the order's promotion discount, without fees); `cogs` from the FIFO / unit cost
//! book; `expenses` the SKU's allocated expenses of the period spread over its units.

use crate::json::{self, money, ok};
use crate::report::{self, At, Books};
use crate::scope::{ProfitQuery, Scope};
use axum::extract::State;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::json;
use shared::costs::periods::{instants, Period};
use shared::error::{Result, Validator};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::ports::store::rfc3339;
use shared::profit::ledger;
use shared::profit::Category;
use std::collections::{BTreeMap, HashMap};

pub async fn by_order_items(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ProfitQuery>,
) -> Result<Response> {
    let mut v = Validator::new();
    let page = q
        .page
        .as_deref()
        .map(|p| p.parse::<usize>().ok().filter(|n| *n >= 1));
    let limit = q
        .limit
        .as_deref()
        .map(|p| p.parse::<usize>().ok().filter(|n| (1..=500).contains(n)));
    v.check(
        !matches!(page, Some(None)),
        "page",
        "must be a whole number of at least 1",
    );
    v.check(
        !matches!(limit, Some(None)),
        "limit",
        "must be a whole number from 1 to 500",
    );
    v.finish()?;
    let (page, limit) = (page.flatten().unwrap_or(1), limit.flatten().unwrap_or(200));
    let named = q.range.as_deref().or_else(|| {
        q.period
            .as_deref()
            .filter(|p| Period::named(p).is_some() && !matches!(*p, "day" | "week" | "month"))
    });
    let p = Period::from_query(
        named,
        q.start_date.as_deref(),
        q.end_date.as_deref(),
        Period::Today,
    )?;
    let scope = Scope::resolve(&state, &auth, &q).await?;
    let s = state.store.as_ref();
    let books = Books::load(s, &scope).await?;
    let t = scope.ctx.tenant();
    // Every order line of the period (the SKU's units spread its expenses).
    let mut orders = vec![];
    for m in &scope.markets {
        let (from, to) = instants(m.tz, scope.days(m, p));
        for o in shared::records::orders::purchased(
            s,
            t,
            &m.id,
            from,
            to - chrono::Duration::milliseconds(1),
        )
        .await?
        {
            if o.purchase_date < to {
                orders.push(o);
            }
        }
    }
    orders.sort_by(|a, b| {
        (b.purchase_date, &b.amazon_order_id).cmp(&(a.purchase_date, &a.amazon_order_id))
    });
    let mut sku_units: HashMap<String, i64> = HashMap::new();
    let mut lines = vec![];
    for o in &orders {
        for it in &o.items {
            if scope.sku.as_ref().is_some_and(|x| x != &it.sku) {
                continue;
            }
            if !cancelled(o) {
                *sku_units.entry(it.sku.clone()).or_default() += it.quantity;
            }
            lines.push((o, it));
        }
    }
    let total = lines.len();
    // Allocated expenses of the period per SKU.
    let expenses =
        report::tally(s, &scope, &books, p, true, |a: &At| Some(a.sku.to_string())).await?;
    let returns: Vec<shared::costs::returns::Return> = shared::costs::all(s, t).await?;
    let mut sellable: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in &returns {
        let e = sellable.entry(r.sku.as_str()).or_default();
        e.1 += r.quantity_returned;
        if r.is_sellable {
            e.0 += r.quantity_returned;
        }
    }
    let mut rows = vec![];
    let mut ledgers: HashMap<String, Vec<ledger::TransactionLedger>> = HashMap::new();
    for (o, it) in lines.into_iter().skip((page - 1) * limit).take(limit) {
        if !ledgers.contains_key(&o.amazon_order_id) {
            ledgers.insert(
                o.amazon_order_id.clone(),
                ledger::of_order(s, t, &o.amazon_order_id).await?,
            );
        }
        let txs = &ledgers[&o.amazon_order_id];
        let market = scope.market(&o.marketplace_id);
        let native = o
            .currency
            .clone()
            .or_else(|| market.map(|m| m.currency.clone()))
            .unwrap_or_default();
        let day = shared::costs::periods::marketplace_day(&o.marketplace_id, o.purchase_date);
        scope.load_rates(s, day, day).await?;
        let conv = |d: Decimal| scope.convert(d, &native, day);
        // A cancelled order was never charged: no sales unless Amazon posted a shipment of it
        // anyway (then its lines are the figures), as in the summary's rollups.
        let charged = !cancelled(o)
            || txs.iter().any(|tx| {
                tx.lines
                    .iter()
                    .any(|l| l.sku == it.sku && l.transaction_type.eq_ignore_ascii_case("Shipment"))
            });
        let sales = if charged {
            it.item_price.unwrap_or_default()
                + it.shipping_price.unwrap_or_default()
                + it.gift_wrap_price.unwrap_or_default()
        } else {
            Decimal::ZERO
        };
        let (mut fees, mut refunds, mut net, mut posted) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, false);
        let mut refund_txs = std::collections::BTreeSet::new();
        for tx in txs {
            for l in tx.lines.iter().filter(|l| l.sku == it.sku) {
                if l.transaction_type.eq_ignore_ascii_case("Shipment") {
                    posted = true;
                }
                if l.category.is_amazon_fee() {
                    fees -= l.amount;
                }
                if l.category == Category::Refunds {
                    refunds -= l.amount;
                    refund_txs.insert(l.transaction_id.clone());
                }
                net += l.amount;
            }
        }
        if !posted && charged {
            net += sales - it.discount.unwrap_or_default();
        }
        let cogs = match books.costs.sale(&o.amazon_order_id, &it.sku) {
            Some(p) => {
                let mut c = Decimal::ZERO;
                for part in &p.parts {
                    let m = match (&part.batch_id, &part.cost_id) {
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
                    c += scope.convert(part.cost(), &scope.cost_currency(m.as_deref()), day)?;
                }
                Some((
                    c,
                    p.parts
                        .iter()
                        .map(|x| x.method.as_str())
                        .collect::<Vec<_>>(),
                ))
            }
            None => None,
        };
        let cogs_cost = cogs.as_ref().map(|c| c.0).unwrap_or_default();
        let units = sku_units.get(&it.sku).copied().unwrap_or(0);
        let expense = match (expenses.get(&it.sku), units) {
            (Some(tl), u) if u > 0 && charged => {
                tl.expenses * Decimal::from(it.quantity) / Decimal::from(u)
            }
            _ => Decimal::ZERO,
        };
        let gross = conv(net)? - cogs_cost;
        let (sell, ret) = sellable.get(it.sku.as_str()).copied().unwrap_or_default();
        rows.push(json!({
            "id": format!("{}#{}", o.amazon_order_id, it.order_item_id.clone().unwrap_or_else(|| it.sku.clone())),
            "orderId": o.amazon_order_id, "orderNumber": o.amazon_order_id,
            "orderItemId": it.order_item_id,
            "orderDate": rfc3339(o.purchase_date), "orderStatus": o.status,
            "marketplace": market.map(|m| m.name.clone()).unwrap_or_else(|| o.marketplace_id.clone()),
            "marketplaceId": o.marketplace_id, "marketplaceCode": market.map(|m| m.country.clone()),
            "sku": it.sku, "asin": it.asin, "productTitle": it.sku, "productImageUrl": null,
            "unitPrice": if it.quantity > 0 { money(conv(it.item_price.unwrap_or_default())? / Decimal::from(it.quantity)) } else { json!(0) },
            "quantity": it.quantity,
            "salesRevenue": money(conv(sales)?),
            "refundCount": refund_txs.len(),
            "refunds": money(conv(refunds)?),
            "sellableReturnsPercent": json::percent(Decimal::from(sell), Decimal::from(ret)),
            "amazonFees": money(conv(fees)?),
            "amazonNet": money(conv(net)?),
            "posted": posted,
            "cogs": money(cogs_cost),
            "cogsMethods": cogs.map(|c| c.1).unwrap_or_else(|| vec!["none"]),
            "grossProfit": money(gross),
            "expenses": money(expense),
            "netProfit": money(gross - expense),
            "coupon": null, "comment": null,
            "currency": scope.currency,
        }));
    }
    Ok(ok(json!(rows)).map_pages(total, page, limit))
}

trait Pages {
    fn map_pages(self, total: usize, page: usize, limit: usize) -> Response;
}

impl Pages for Response {
    /// Adds the paging headers (the body stays the array the UI reads).
    fn map_pages(mut self, total: usize, page: usize, limit: usize) -> Response {
        let h = self.headers_mut();
        for (k, v) in [
            ("x-total-count", total),
            ("x-page", page),
            ("x-limit", limit),
        ] {
            h.insert(
                k,
                v.to_string().parse().expect("a number is a header value"),
            );
        }
        self
    }
}

/// An order Amazon cancelled (the stored status is Orders 2026's `CANCELLED`; older reports
/// write `Cancelled`).
fn cancelled(o: &shared::records::orders::Order) -> bool {
    o.status.eq_ignore_ascii_case("CANCELLED") || o.status.eq_ignore_ascii_case("Canceled")
}
