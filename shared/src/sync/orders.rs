//! The orders dataset: two years of history from the all-orders report in 30-day windows,
//! newest first (the last 30 days of every marketplace before anything older), then sweeps of
//! the Orders API 2026-01-01 by last update; `ORDER_CHANGE` notifications refresh single
//! orders through [`refresh_order`].
//!
//! A backfill step keeps up to [`IN_FLIGHT`] reports requested ahead of the window it reads
//! (Amazon prepares them meanwhile), reads at most one report document, and never waits for
//! Amazon inside the step: a report still in queue or in progress is a `next_in`. A report that
//! ends FATAL or CANCELLED is requested again, [`REPORT_ATTEMPTS`] times at most; after that a
//! FATAL window fails the run naming it, and a CANCELLED one (Amazon's answer for "no data"
//! too) counts as empty. A document cut short is an error of the step, which is retried.
//!
//! The checkpoint is small whatever the history: the windows are computed from the start time
//! and the marketplaces, only the reports in flight are listed.

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{Progress, SyncState};
use crate::amazon::models::reports::CreateReportSpecification;
use crate::amazon::models::reports::ProcessingStatus;
use crate::amazon::operations::{GetOrderParams, SearchOrdersParams};
use crate::amazon::reports::{stream_document, DecimalStyle, Row};
use crate::amazon::AmazonError;
use crate::keys::Tenant;
use crate::ports::bus::DomainEvent;
use crate::records::orders::{self as records, Order, OrderItem, ReportBreakdown, Source};
use crate::records::Written;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// The report of the backfill.
pub const ALL_ORDERS_REPORT: &str = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL";
/// How far back the backfill goes (Amazon keeps two years of orders).
pub const HISTORY_DAYS: i64 = 730;
/// One report window.
pub const WINDOW_DAYS: i64 = 30;
/// Reports requested ahead of the one being read (createReport's burst).
pub const IN_FLIGHT: usize = 15;
/// Requests of one window before a FATAL fails the run (a CANCELLED one counts as empty).
pub const REPORT_ATTEMPTS: u32 = 3;
/// Reports requested per step once the first batch is in flight: createReport refills one a
/// minute, as fast as a step reads a document.
const REQUESTS_PER_STEP: usize = 2;
/// A sweep starts this long before the last one's high-water mark: orders Amazon indexed late
/// are read again (newer-wins makes that free of effect).
pub const SWEEP_OVERLAP_MINUTES: i64 = 10;
/// Wait before looking at a report Amazon is still preparing.
const REPORT_POLL_SECONDS: i64 = 30;
/// Orders written at once.
const WRITE_CONCURRENCY: usize = 8;
/// Order ids named in one `OrdersChanged` event; beyond it only the days are named.
pub const EVENT_MAX_IDS: usize = 100;
/// Optional blocks the Orders API is asked for.
const INCLUDED: [&str; 2] = ["FULFILLMENT", "PROCEEDS"];

/// The domain event source and type of changed orders.
pub const EVENT_SOURCE: &str = "beddora.sync";
pub const ORDERS_CHANGED: &str = "OrdersChanged";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "camelCase")]
enum Cursor {
    Backfill(Backfill),
    Sweep(Sweep),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Backfill {
    /// The backfill's "now": windows end here and the first sweep starts from it.
    started: DateTime<Utc>,
    marketplaces: Vec<String>,
    /// Windows read (in plan order).
    next: usize,
    /// Reports requested for windows `next..`, in window order.
    in_flight: Vec<InFlight>,
    records: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InFlight {
    window: usize,
    /// `None` while it has to be requested (again).
    report_id: Option<String>,
    /// Requests that ended FATAL or CANCELLED.
    failures: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sweep {
    after: DateTime<Utc>,
    /// The page to read next, and the upper bound Amazon fixed on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<DateTime<Utc>>,
    #[serde(default)]
    pages: u64,
    #[serde(default)]
    records: u64,
}

/// One 30-day window of one marketplace.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    marketplace_id: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Backfill {
    fn windows_per_marketplace() -> usize {
        ((HISTORY_DAYS + WINDOW_DAYS - 1) / WINDOW_DAYS) as usize
    }

    fn total(&self) -> usize {
        self.marketplaces.len() * Self::windows_per_marketplace()
    }

    /// Window `i` of the plan: newest first, every marketplace's window of an age before any
    /// older one.
    fn window(&self, i: usize) -> Window {
        let m = self.marketplaces.len().max(1);
        let age = (i / m) as i64;
        let oldest = self.started - Duration::days(HISTORY_DAYS);
        let to = self.started - Duration::days(WINDOW_DAYS * age);
        Window {
            marketplace_id: self.marketplaces[i % m].clone(),
            from: (to - Duration::days(WINDOW_DAYS)).max(oldest),
            to,
        }
    }

    fn progress(&self) -> Progress {
        let total = self.total() as u64;
        let done = self.next as u64;
        Progress {
            steps_done: done,
            steps_total: total,
            records_done: self.records,
            records_estimate: (self.records * total).checked_div(done).unwrap_or(0),
        }
    }
}

/// The orders dataset.
pub struct OrdersSync {
    http: reqwest::Client,
}

impl Default for OrdersSync {
    fn default() -> Self {
        Self::new()
    }
}

impl OrdersSync {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap_or_default(),
        }
    }

    fn marketplaces(cx: &StepContext<'_>) -> Vec<String> {
        let mut ids = cx.account.marketplace_ids.clone();
        if ids.is_empty() {
            if let Some(m) = crate::marketplaces::by_country(&cx.account.marketplace) {
                ids.push(m.id.to_string());
            }
        }
        ids
    }

    async fn request(&self, cx: &StepContext<'_>, w: &Window) -> Result<String, AmazonError> {
        let spec = CreateReportSpecification {
            report_options: None,
            report_type: ALL_ORDERS_REPORT.to_string(),
            data_start_time: Some(w.from),
            data_end_time: Some(w.to),
            marketplace_ids: vec![w.marketplace_id.clone()],
        };
        Ok(cx
            .api
            .reports()
            .create_report(cx.amazon, &spec)
            .await?
            .report_id)
    }

    /// Requests the reports missing in the look-ahead; stops (without failing) at the first
    /// call that would have to wait past the step or keeps failing once some are requested.
    async fn request_ahead(&self, cx: &StepContext<'_>, b: &mut Backfill) -> Result<(), StepError> {
        let limit = if b.in_flight.iter().all(|f| f.report_id.is_none()) {
            IN_FLIGHT
        } else {
            REQUESTS_PER_STEP
        };
        let mut requested = 0;
        loop {
            if requested >= limit {
                return Ok(());
            }
            // A window to request again first, then the next new one.
            let slot = match b.in_flight.iter().position(|f| f.report_id.is_none()) {
                Some(i) => i,
                None => {
                    let next_window = b.in_flight.last().map_or(b.next, |f| f.window + 1);
                    if b.in_flight.len() >= IN_FLIGHT || next_window >= b.total() {
                        return Ok(());
                    }
                    b.in_flight.push(InFlight {
                        window: next_window,
                        report_id: None,
                        failures: 0,
                    });
                    b.in_flight.len() - 1
                }
            };
            let w = b.window(b.in_flight[slot].window);
            match self.request(cx, &w).await {
                Ok(id) => {
                    b.in_flight[slot].report_id = Some(id);
                    requested += 1;
                }
                Err(e) => {
                    // Nothing lost: the slot stays to be requested by a later step.
                    if b.in_flight[slot].failures == 0 && slot + 1 == b.in_flight.len() {
                        b.in_flight.pop();
                    }
                    return match e {
                        AmazonError::RetryLater { .. }
                        | AmazonError::Throttled { .. }
                        | AmazonError::Server { .. }
                        | AmazonError::Transport { .. }
                            if b.in_flight.iter().any(|f| f.report_id.is_some()) =>
                        {
                            tracing::info!(error = %e, "report requests paused until a later step");
                            Ok(())
                        }
                        e => Err(e.into()),
                    };
                }
            }
        }
    }

    async fn backfill(
        &self,
        cx: &StepContext<'_>,
        mut b: Backfill,
    ) -> Result<StepResult, StepError> {
        let requested_before = b.in_flight.clone();
        self.request_ahead(cx, &mut b).await?;
        let made_requests = b.in_flight != requested_before;
        let mut written = 0;
        let mut events = vec![];
        let mut next_in = None;
        match self.read_head(cx, &mut b).await {
            Ok(Head::Read(orders)) => {
                let (n, ev) = write_orders(cx, &orders).await?;
                written = n;
                b.records += n;
                events = ev;
            }
            Ok(Head::Skipped) => {}
            Ok(Head::Waiting(wait)) => next_in = Some(wait),
            Err(e) if made_requests && retryable(&e) => {
                // Keep the requests made: the window is read by the next step.
                tracing::info!(error = %e, "report read postponed");
                next_in = Some(wait_of(&e, cx.now()));
            }
            Err(e) => return Err(e),
        }
        let progress = b.progress();
        if b.next >= b.total() {
            let sweep = Sweep {
                after: b.started - Duration::minutes(SWEEP_OVERLAP_MINUTES),
                token: None,
                before: None,
                pages: 0,
                records: 0,
            };
            return Ok(StepResult {
                cursor: to_json(&Cursor::Sweep(sweep))?,
                progress,
                written,
                done: true,
                next_in: None,
                events,
            });
        }
        Ok(StepResult {
            cursor: to_json(&Cursor::Backfill(b))?,
            progress,
            written,
            done: false,
            next_in,
            events,
        })
    }

    /// Looks at the report of the next window, and reads it if it is ready.
    async fn read_head(&self, cx: &StepContext<'_>, b: &mut Backfill) -> Result<Head, StepError> {
        if b.next >= b.total() {
            return Ok(Head::Skipped);
        }
        let Some(head) = b.in_flight.first().filter(|f| f.window == b.next).cloned() else {
            // Not requested yet (the request had to wait): come back when it can be.
            return Ok(Head::Waiting(Duration::seconds(REPORT_POLL_SECONDS)));
        };
        let Some(report_id) = head.report_id.clone() else {
            return Ok(Head::Waiting(Duration::seconds(REPORT_POLL_SECONDS)));
        };
        let w = b.window(head.window);
        let report = cx.api.reports().get_report(cx.amazon, &report_id).await?;
        match report.processing_status {
            ProcessingStatus::Done => {
                let Some(document) = report.report_document_id.clone() else {
                    return Err(StepError::Permanent(format!(
                        "report {report_id} is DONE without a document"
                    )));
                };
                let url = cx
                    .api
                    .reports()
                    .get_report_document(cx.amazon, &document)
                    .await?
                    .url;
                let orders = self.read_document(&url, &w).await?;
                tracing::info!(marketplace = %w.marketplace_id, from = %w.from, to = %w.to, orders = orders.len(), "orders window read");
                b.in_flight.remove(0);
                b.next += 1;
                Ok(Head::Read(orders))
            }
            ProcessingStatus::Fatal | ProcessingStatus::Cancelled => {
                let fatal = report.processing_status == ProcessingStatus::Fatal;
                let f = &mut b.in_flight[0];
                f.failures += 1;
                f.report_id = None;
                tracing::warn!(report = %report_id, fatal, failures = f.failures, marketplace = %w.marketplace_id, from = %w.from, "orders report did not complete; requested again");
                if f.failures < REPORT_ATTEMPTS {
                    return Ok(Head::Waiting(Duration::zero()));
                }
                if fatal {
                    return Err(StepError::Permanent(format!(
                        "the orders report of {} from {} to {} ended FATAL {} times",
                        w.marketplace_id,
                        w.from.date_naive(),
                        w.to.date_naive(),
                        f.failures
                    )));
                }
                // Amazon also cancels a report that has no data.
                tracing::warn!(marketplace = %w.marketplace_id, from = %w.from, "orders report cancelled every time: window taken as empty");
                b.in_flight.remove(0);
                b.next += 1;
                Ok(Head::Skipped)
            }
            _ => Ok(Head::Waiting(Duration::seconds(REPORT_POLL_SECONDS))),
        }
    }

    async fn read_document(&self, url: &str, w: &Window) -> Result<Vec<Order>, StepError> {
        let collector = Arc::new(Mutex::new(Collector::new(&w.marketplace_id)));
        let sink = collector.clone();
        stream_document(&self.http, url, move |row| {
            sink.lock().expect("collector").row(row)
        })
        .await?;
        let orders = std::mem::take(&mut collector.lock().expect("collector").orders);
        Ok(orders)
    }

    async fn sweep(&self, cx: &StepContext<'_>, mut s: Sweep) -> Result<StepResult, StepError> {
        let params = SearchOrdersParams {
            last_updated_after: Some(s.after),
            last_updated_before: s.before,
            marketplace_ids: Self::marketplaces(cx),
            included_data: INCLUDED.iter().map(|s| s.to_string()).collect(),
            max_results_per_page: Some(100),
            pagination_token: s.token.clone(),
            ..Default::default()
        };
        let page = cx.api.orders().search_orders(cx.amazon, &params).await?;
        let orders = page
            .orders
            .iter()
            .map(Order::from_api)
            .collect::<Result<Vec<_>, _>>()
            .map_err(StepError::Permanent)?;
        let (written, events) = write_orders(cx, &orders).await?;
        s.pages += 1;
        s.records += written;
        let before = s
            .before
            .or(page.last_updated_before)
            .unwrap_or_else(|| cx.now() - Duration::minutes(2));
        let token = page.pagination.as_ref().and_then(|p| p.next_token.clone());
        let more = token.is_some();
        let progress = Progress {
            steps_done: s.pages,
            steps_total: s.pages + u64::from(more),
            records_done: s.records,
            records_estimate: s.records,
        };
        let cursor = if more {
            Sweep {
                token,
                before: Some(before),
                ..s
            }
        } else {
            Sweep {
                after: before - Duration::minutes(SWEEP_OVERLAP_MINUTES),
                token: None,
                before: None,
                pages: 0,
                records: 0,
            }
        };
        Ok(StepResult {
            cursor: to_json(&Cursor::Sweep(cursor))?,
            progress,
            written,
            done: !more,
            next_in: None,
            events,
        })
    }
}

enum Head {
    Read(Vec<Order>),
    /// Nothing to read in this window (or nothing left).
    Skipped,
    Waiting(Duration),
}

fn retryable(e: &StepError) -> bool {
    matches!(
        e,
        StepError::Amazon(
            AmazonError::RetryLater { .. }
                | AmazonError::Throttled { .. }
                | AmazonError::Server { .. }
                | AmazonError::Transport { .. }
        )
    )
}

fn wait_of(e: &StepError, now: DateTime<Utc>) -> Duration {
    match e {
        StepError::Amazon(AmazonError::RetryLater { at }) => (*at - now).max(Duration::zero()),
        _ => Duration::seconds(REPORT_POLL_SECONDS),
    }
}

fn to_json(c: &Cursor) -> Result<serde_json::Value, StepError> {
    serde_json::to_value(c).map_err(|e| StepError::Permanent(format!("orders cursor: {e}")))
}

#[async_trait]
impl DatasetSync for OrdersSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let cursor = if state.cursor.is_null() {
            Cursor::Backfill(Backfill {
                started: cx.now(),
                marketplaces: Self::marketplaces(cx),
                next: 0,
                in_flight: vec![],
                records: 0,
            })
        } else {
            serde_json::from_value(state.cursor.clone())
                .map_err(|e| StepError::Permanent(format!("orders cursor unreadable: {e}")))?
        };
        match cursor {
            Cursor::Backfill(b) => self.backfill(cx, b).await,
            Cursor::Sweep(s) => self.sweep(cx, s).await,
        }
    }
}

/// Builds orders from the rows of one all-orders report (one row per item).
struct Collector {
    marketplace_id: String,
    style: DecimalStyle,
    orders: Vec<Order>,
    index: HashMap<String, usize>,
}

impl Collector {
    fn new(marketplace_id: &str) -> Self {
        Self {
            marketplace_id: marketplace_id.to_string(),
            style: DecimalStyle::of_report(ALL_ORDERS_REPORT, marketplace_id),
            orders: vec![],
            index: HashMap::new(),
        }
    }

    fn row(&mut self, row: &Row) -> Result<(), AmazonError> {
        let id = row.get("amazon-order-id").unwrap_or("").trim();
        if id.is_empty() {
            return Ok(());
        }
        let invalid = |what: &str| AmazonError::InvalidInput {
            status: 0,
            message: format!("all-orders report line {}: {what}", row.line()),
        };
        let purchase = row
            .time("purchase-date")?
            .ok_or_else(|| invalid("purchase-date is blank"))?
            .with_timezone(&Utc);
        let last = row
            .time("last-updated-date")?
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(purchase);
        let text = |c: &str| {
            row.get(c)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let amount = |c: &str| row.amount(c, self.style);
        let item_price = amount("item-price")?;
        let item_tax = amount("item-tax")?;
        let shipping_price = amount("shipping-price")?;
        let shipping_tax = amount("shipping-tax")?;
        let gift_wrap_price = amount("gift-wrap-price")?;
        let gift_wrap_tax = amount("gift-wrap-tax")?;
        let item_promotion = amount("item-promotion-discount")?;
        let ship_promotion = amount("ship-promotion-discount")?;
        let priced = item_price.is_some();
        let sum = |xs: &[Option<Decimal>]| -> Decimal { xs.iter().flatten().copied().sum() };
        let item = OrderItem {
            order_item_id: None,
            sku: text("sku").unwrap_or_default(),
            asin: text("asin"),
            quantity: row.integer("quantity")?.unwrap_or(0),
            item_price,
            shipping_price: if priced {
                Some(shipping_price.unwrap_or_default())
            } else {
                None
            },
            gift_wrap_price: if priced {
                Some(gift_wrap_price.unwrap_or_default())
            } else {
                None
            },
            tax: priced.then(|| sum(&[item_tax, shipping_tax, gift_wrap_tax])),
            discount: priced.then(|| {
                item_promotion.unwrap_or_default().abs() + ship_promotion.unwrap_or_default().abs()
            }),
            breakdown: Some(ReportBreakdown {
                item_tax,
                shipping_tax,
                gift_wrap_tax,
                item_promotion_discount: item_promotion,
                ship_promotion_discount: ship_promotion,
            }),
        };
        match self.index.get(id) {
            Some(&i) => {
                let o = &mut self.orders[i];
                if o.currency.is_none() {
                    o.currency = text("currency");
                }
                o.items.push(item);
            }
            None => {
                let fulfilled_by = text("fulfillment-channel").map(|c| match c.as_str() {
                    "Amazon" | "AFN" => "AMAZON".to_string(),
                    "Merchant" | "MFN" => "MERCHANT".to_string(),
                    other => other.to_ascii_uppercase(),
                });
                self.index.insert(id.to_string(), self.orders.len());
                self.orders.push(Order {
                    amazon_order_id: id.to_string(),
                    marketplace_id: self.marketplace_id.clone(),
                    purchase_date: purchase,
                    last_updated: last,
                    status: records::report_status(row.get("order-status").unwrap_or("")),
                    fulfilled_by,
                    currency: text("currency"),
                    is_business: text("is-business-order").map(|b| b.eq_ignore_ascii_case("true")),
                    items: vec![item],
                    source: Source::Report,
                });
            }
        }
        Ok(())
    }
}

/// Writes orders (newer wins) and names the changed ones in `OrdersChanged` events, one per
/// marketplace. Returns how many were written.
async fn write_orders(
    cx: &StepContext<'_>,
    orders: &[Order],
) -> Result<(u64, Vec<DomainEvent>), StepError> {
    type Put<'a> = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Written, crate::ports::store::StoreError>>
                + Send
                + 'a,
        >,
    >;
    let puts: Vec<Put<'_>> = orders
        .iter()
        .map(|o| Box::pin(records::put(cx.store, cx.tenant, o)) as Put<'_>)
        .collect();
    let results: Vec<Result<Written, _>> = futures_util::stream::iter(puts)
        .buffered(WRITE_CONCURRENCY)
        .collect()
        .await;
    let mut changed: Vec<&Order> = vec![];
    for (o, r) in orders.iter().zip(results) {
        if r?.stored() {
            changed.push(o);
        }
    }
    let mut by_marketplace: HashMap<&str, Vec<&Order>> = HashMap::new();
    for o in &changed {
        by_marketplace
            .entry(o.marketplace_id.as_str())
            .or_default()
            .push(o);
    }
    let mut events: Vec<DomainEvent> = by_marketplace
        .into_iter()
        .map(|(m, os)| orders_changed(cx.tenant, cx.account.id.as_str(), m, &os))
        .collect();
    events.sort_by_key(|e| e.detail.to_string());
    Ok((changed.len() as u64, events))
}

/// The `OrdersChanged` event of some orders of one marketplace: the tenant, the connection,
/// the marketplace, the marketplace-local days of their purchase, and their ids (at most
/// [`EVENT_MAX_IDS`]; `more` says some were left out, the days still name them all).
pub fn orders_changed(
    tenant: &Tenant,
    connection: &str,
    marketplace_id: &str,
    orders: &[&Order],
) -> DomainEvent {
    let tz: chrono_tz::Tz = crate::marketplaces::by_id(marketplace_id)
        .and_then(|m| m.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let days: BTreeSet<String> = orders
        .iter()
        .map(|o| o.purchase_date.with_timezone(&tz).date_naive().to_string())
        .collect();
    let mut ids: Vec<&str> = orders.iter().map(|o| o.amazon_order_id.as_str()).collect();
    ids.sort_unstable();
    let more = ids.len() > EVENT_MAX_IDS;
    ids.truncate(EVENT_MAX_IDS);
    DomainEvent::new(
        EVENT_SOURCE,
        ORDERS_CHANGED,
        serde_json::json!({
            "tenant": tenant.to_string(),
            "connection": connection,
            "marketplaceId": marketplace_id,
            "orderIds": ids,
            "more": more,
            "days": days,
        }),
    )
}

/// Reads one order from the Orders API 2026-01-01 and stores it (newer wins): what an
/// `ORDER_CHANGE` notification does.
pub async fn refresh_order(cx: &StepContext<'_>, order_id: &str) -> Result<Written, StepError> {
    let params = GetOrderParams {
        included_data: INCLUDED.iter().map(|s| s.to_string()).collect(),
    };
    let r = cx
        .api
        .orders()
        .get_order(cx.amazon, order_id, &params)
        .await?;
    let order = Order::from_api(&r.order).map_err(StepError::Permanent)?;
    Ok(records::put(cx.store, cx.tenant, &order).await?)
}
