//! A dataset read from one Amazon report type in time windows per marketplace: the ledger
//! views, customer returns and reimbursements. The backfill covers [`WindowedReport::history`]
//! (two years) in windows of [`WindowedReport::window`], newest first, every marketplace's
//! window of an age before any older one; each later run (daily) reads again from the last
//! run's end less [`WindowedReport::overlap`] up to its own start, so rows Amazon adds late to
//! a recent window are read too (newer-wins makes the overlap free of effect).
//!
//! The same rules as the orders backfill (`super::orders`): a step keeps up to [`IN_FLIGHT`]
//! reports requested ahead of the window it reads, as createReport's bucket allows at once
//! (a request that would wait is left to a later step); it reads at most one document and
//! never waits for Amazon inside the step (a report still in queue or in progress is a
//! `next_in`). A report that ends FATAL or CANCELLED is requested again, [`REPORT_ATTEMPTS`]
//! times at most; after that a FATAL window fails the run naming the report, the marketplace
//! and the window, and a CANCELLED one (Amazon's answer for "no data" too) counts as empty. A
//! document cut short is an error of the step: nothing of it is written, and the worker retries
//! the step, which reads the document again.
//!
//! The checkpoint stays small: windows are computed from the run's bounds and marketplaces;
//! only the reports in flight are listed.

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{Progress, SyncState};
use crate::amazon::flatfile::{stream_document, Row};
use crate::amazon::models::reports::{CreateReportSpecification, ProcessingStatus};
use crate::amazon::{AmazonError, Context};
use crate::ports::bus::DomainEvent;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Reports requested ahead of the one being read (createReport's burst).
pub const IN_FLIGHT: usize = 15;
/// Requests of one window before a FATAL fails the run (a CANCELLED one counts as empty).
pub const REPORT_ATTEMPTS: u32 = 3;
/// How long a report request may wait for createReport's bucket.
const REQUEST_WAIT_SECONDS: i64 = 2;
/// Wait before looking at a report Amazon is still preparing.
const REPORT_POLL_SECONDS: i64 = 30;

/// One window of one marketplace: `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub marketplace_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Reads one document's rows into records (owned: it runs on the reader's thread).
pub type Parser<R> = Box<dyn FnMut(&Row) -> Result<Option<R>, AmazonError> + Send>;

/// What a windowed dataset reads and how it stores it.
#[async_trait]
pub trait WindowedReport: Send + Sync + 'static {
    type Record: Send + 'static;
    /// For logs and errors, e.g. "ledger detail".
    fn name(&self) -> &'static str;
    fn report_type(&self) -> &'static str;
    fn report_options(&self) -> Option<BTreeMap<String, String>> {
        None
    }
    /// How far back the backfill reads.
    fn history(&self) -> Duration {
        Duration::days(730)
    }
    /// One report's span.
    fn window(&self) -> Duration {
        Duration::days(30)
    }
    /// How far before the last run's end a later run starts.
    fn overlap(&self) -> Duration {
        Duration::days(3)
    }
    /// Where a run's windows end, given its start (the daily ledger summary ends its windows
    /// at a UTC midnight: a day cut in two windows would be two partial rows of one key).
    fn align(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now
    }
    /// A parser of one document of `window`.
    fn parser(&self, window: &Window) -> Parser<Self::Record>;
    /// After a whole document is read (numbering identical rows, …).
    fn finish(&self, _records: &mut Vec<Self::Record>) {}
    /// Stores a window's records read from a report created at `version` (newer-wins):
    /// how many were stored (new or newer), and the events of what changed.
    async fn write(
        &self,
        cx: &StepContext<'_>,
        window: &Window,
        version: &str,
        records: &[Self::Record],
    ) -> Result<(u64, Vec<DomainEvent>), StepError>;
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<Run>,
    /// Where the last complete run ended (absent before the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    /// Windows end here (the run's "now") and start no earlier than `oldest`.
    end: DateTime<Utc>,
    oldest: DateTime<Utc>,
    marketplaces: Vec<String>,
    /// Windows read (in plan order).
    next: usize,
    /// Reports requested for windows `next..`, in window order.
    in_flight: Vec<InFlight>,
    records: u64,
    /// The run these failure counts belong to: a new run (a retry) asks for failed windows
    /// afresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<DateTime<Utc>>,
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

impl Run {
    fn per_marketplace(&self, span: Duration) -> usize {
        let total = (self.end - self.oldest).num_seconds().max(1);
        let w = span.num_seconds().max(1);
        ((total + w - 1) / w) as usize
    }

    fn total(&self, span: Duration) -> usize {
        self.marketplaces.len() * self.per_marketplace(span)
    }

    /// Window `i` of the plan: newest first, every marketplace's window of an age before
    /// any older one.
    fn window(&self, i: usize, span: Duration) -> Window {
        let m = self.marketplaces.len().max(1);
        let age = (i / m) as i32;
        let to = self.end - span * age;
        Window {
            marketplace_id: self.marketplaces[i % m].clone(),
            from: (to - span).max(self.oldest),
            to,
        }
    }

    fn head_requested(&self) -> bool {
        self.in_flight
            .first()
            .is_some_and(|f| f.window == self.next && f.report_id.is_some())
    }

    fn progress(&self, span: Duration) -> Progress {
        let total = self.total(span) as u64;
        let done = self.next as u64;
        Progress {
            steps_done: done,
            steps_total: total,
            records_done: self.records,
            records_estimate: (self.records * total)
                .checked_div(done)
                .unwrap_or(0)
                .max(self.records),
        }
    }
}

/// A [`WindowedReport`] as a dataset.
pub struct ReportWindows<R> {
    pub report: R,
    http: reqwest::Client,
}

impl<R: WindowedReport> ReportWindows<R> {
    pub fn new(report: R) -> Self {
        Self {
            report,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn request(
        &self,
        cx: &StepContext<'_>,
        ctx: &Context,
        w: &Window,
    ) -> Result<String, AmazonError> {
        let spec = CreateReportSpecification {
            report_options: self.report.report_options(),
            report_type: self.report.report_type().to_string(),
            data_start_time: Some(w.from),
            data_end_time: Some(w.to),
            marketplace_ids: vec![w.marketplace_id.clone()],
        };
        Ok(cx.api.reports().create_report(ctx, &spec).await?.report_id)
    }

    /// Requests the reports missing in the look-ahead while createReport has a token at once;
    /// stops without failing at the first call that would wait (or fails on, once some
    /// reports are in flight: a later step meets it again).
    async fn request_ahead(&self, cx: &StepContext<'_>, run: &mut Run) -> Result<(), StepError> {
        let span = self.report.window();
        let ctx = cx.amazon.until(
            cx.deadline
                .min(cx.now() + Duration::seconds(REQUEST_WAIT_SECONDS)),
        );
        loop {
            let slot = match run.in_flight.iter().position(|f| f.report_id.is_none()) {
                Some(i) => i,
                None => {
                    let next_window = run.in_flight.last().map_or(run.next, |f| f.window + 1);
                    if run.in_flight.len() >= IN_FLIGHT || next_window >= run.total(span) {
                        return Ok(());
                    }
                    run.in_flight.push(InFlight {
                        window: next_window,
                        report_id: None,
                        failures: 0,
                    });
                    run.in_flight.len() - 1
                }
            };
            let w = run.window(run.in_flight[slot].window, span);
            match self.request(cx, &ctx, &w).await {
                Ok(id) => run.in_flight[slot].report_id = Some(id),
                Err(e) => {
                    if run.in_flight[slot].failures == 0 && slot + 1 == run.in_flight.len() {
                        run.in_flight.pop();
                    }
                    return match e {
                        AmazonError::RetryLater { .. }
                        | AmazonError::Throttled { .. }
                        | AmazonError::Server { .. }
                        | AmazonError::Transport { .. }
                            if run.in_flight.iter().any(|f| f.report_id.is_some()) =>
                        {
                            tracing::info!(dataset = self.report.name(), error = %e, "report requests paused until a later step");
                            Ok(())
                        }
                        e => Err(e.into()),
                    };
                }
            }
        }
    }

    /// Looks at the report of the next window, and reads it if it is ready.
    async fn read_head(
        &self,
        cx: &StepContext<'_>,
        run: &mut Run,
    ) -> Result<Head<R::Record>, StepError> {
        let span = self.report.window();
        if run.next >= run.total(span) {
            return Ok(Head::Skipped);
        }
        let Some(head) = run
            .in_flight
            .first()
            .filter(|f| f.window == run.next)
            .cloned()
        else {
            return Ok(Head::Waiting(Duration::seconds(REPORT_POLL_SECONDS)));
        };
        let Some(report_id) = head.report_id.clone() else {
            return Ok(Head::Waiting(Duration::seconds(REPORT_POLL_SECONDS)));
        };
        let w = run.window(head.window, span);
        let report = cx.api.reports().get_report(cx.amazon, &report_id).await?;
        match report.processing_status {
            ProcessingStatus::Done => {
                let Some(document) = report.report_document_id.clone() else {
                    return Err(StepError::Permanent(format!(
                        "{} report {report_id} is DONE without a document",
                        self.report.name()
                    )));
                };
                let url = cx
                    .api
                    .reports()
                    .get_report_document(cx.amazon, &document)
                    .await?
                    .url;
                let collected: Arc<Mutex<Vec<R::Record>>> = Arc::default();
                let sink = collected.clone();
                let mut parse = self.report.parser(&w);
                stream_document(&self.http, &url, move |row| {
                    if let Some(r) = parse(row)? {
                        sink.lock().expect("records").push(r);
                    }
                    Ok(())
                })
                .await?;
                let mut records = std::mem::take(&mut *collected.lock().expect("records"));
                self.report.finish(&mut records);
                tracing::info!(dataset = self.report.name(), marketplace = %w.marketplace_id, from = %w.from, to = %w.to, rows = records.len(), "report window read");
                run.in_flight.remove(0);
                run.next += 1;
                let version = crate::records::version_at(report.created_time);
                Ok(Head::Read(w, version, records))
            }
            ProcessingStatus::Fatal | ProcessingStatus::Cancelled => {
                let fatal = report.processing_status == ProcessingStatus::Fatal;
                let f = &mut run.in_flight[0];
                f.failures += 1;
                f.report_id = None;
                tracing::warn!(dataset = self.report.name(), report = %report_id, fatal, failures = f.failures, marketplace = %w.marketplace_id, from = %w.from, "report did not complete; requested again");
                if f.failures < REPORT_ATTEMPTS {
                    return Ok(Head::Waiting(Duration::zero()));
                }
                if fatal {
                    return Err(StepError::Permanent(format!(
                        "the {} report ({}) of {} from {} to {} ended FATAL {} times",
                        self.report.name(),
                        self.report.report_type(),
                        w.marketplace_id,
                        w.from.date_naive(),
                        w.to.date_naive(),
                        f.failures
                    )));
                }
                tracing::warn!(dataset = self.report.name(), marketplace = %w.marketplace_id, from = %w.from, "report cancelled every time: window taken as empty");
                run.in_flight.remove(0);
                run.next += 1;
                Ok(Head::Skipped)
            }
            _ => Ok(Head::Waiting(Duration::seconds(REPORT_POLL_SECONDS))),
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
}

enum Head<T> {
    Read(Window, String, Vec<T>),
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

#[async_trait]
impl<R: WindowedReport> DatasetSync for ReportWindows<R> {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let name = self.report.name();
        let span = self.report.window();
        let mut cursor: Cursor = if state.cursor.is_null() {
            Cursor::default()
        } else {
            serde_json::from_value(state.cursor.clone())
                .map_err(|e| StepError::Permanent(format!("{name} checkpoint unreadable: {e}")))?
        };
        let mut run = match cursor.run.take() {
            Some(mut r) => {
                if r.run != state.run_started_at {
                    for f in r.in_flight.iter_mut().filter(|f| f.failures > 0) {
                        f.failures = 0;
                        f.report_id = None;
                    }
                    r.run = state.run_started_at;
                }
                r
            }
            None => {
                let end = self.report.align(cx.now());
                let oldest = match cursor.last_end {
                    Some(last) => (last - self.report.overlap()).max(end - self.report.history()),
                    None => end - self.report.history(),
                };
                Run {
                    end,
                    oldest,
                    marketplaces: Self::marketplaces(cx),
                    next: 0,
                    in_flight: vec![],
                    records: 0,
                    run: state.run_started_at,
                }
            }
        };
        let mut written = 0;
        let mut events = vec![];
        let mut next_in = None;
        let read_from = run.next;
        match self.read_head(cx, &mut run).await? {
            Head::Read(w, version, records) => {
                let (n, ev) = self.report.write(cx, &w, &version, &records).await?;
                written = n;
                run.records += n;
                events = ev;
            }
            Head::Skipped => {}
            Head::Waiting(wait) => next_in = Some(wait),
        }
        let before = run.in_flight.clone();
        if let Err(e) = self.request_ahead(cx, &mut run).await {
            if run.next > read_from || run.in_flight != before || retryable(&e) {
                tracing::info!(dataset = name, error = %e, "report requests postponed");
                if !run.head_requested() {
                    next_in = Some(wait_of(&e, cx.now()));
                }
            } else {
                return Err(e);
            }
        }
        let progress = run.progress(span);
        let done = run.next >= run.total(span);
        tracing::info!(tenant = %cx.tenant, connection = %cx.account.id, dataset = name, windows_done = run.next, windows = run.total(span), written, done, "report windows step");
        let cursor = if done {
            Cursor {
                run: None,
                last_end: Some(run.end),
            }
        } else {
            Cursor {
                run: Some(run),
                ..cursor
            }
        };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("{name} checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in: if done { None } else { next_in },
            events,
        })
    }
}

/// The event of records a window changed: the tenant, connection, marketplace, the window,
/// the days touched and up to 100 ids (`more` says some were left out; the days name them all).
pub fn changed_event(
    cx: &StepContext<'_>,
    detail_type: &str,
    window: &Window,
    days: std::collections::BTreeSet<String>,
    mut ids: Vec<String>,
) -> DomainEvent {
    ids.sort();
    ids.dedup();
    let more = ids.len() > 100;
    ids.truncate(100);
    DomainEvent::new(
        super::transactions::EVENT_SOURCE,
        detail_type,
        serde_json::json!({
            "tenant": cx.tenant.to_string(),
            "connection": cx.account.id.to_string(),
            "marketplaceId": window.marketplace_id,
            "from": crate::ports::store::rfc3339(window.from),
            "to": crate::ports::store::rfc3339(window.to),
            "days": days,
            "ids": ids,
            "more": more,
        }),
    )
}

/// One record's write.
pub type Put<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<crate::records::Written, crate::ports::store::StoreError>,
            > + Send
            + 'a,
    >,
>;

/// Runs writes at most eight at a time; which stored (new or newer), in order.
pub async fn put_each(puts: Vec<Put<'_>>) -> Result<Vec<bool>, crate::ports::store::StoreError> {
    use futures_util::StreamExt;
    let results: Vec<_> = futures_util::stream::iter(puts).buffered(8).collect().await;
    results.into_iter().map(|r| r.map(|w| w.stored())).collect()
}
