//! The settlements dataset: Amazon's settlement flat files, listed with `getReports` (Amazon
//! creates them, one per settlement period; they cannot be requested, and only the last 90
//! days are listed), newest first, each period's document downloaded once and read with
//! [`crate::amazon::settlement`]; the settlement (the payout) and its lines are stored.
//!
//! Amazon lists a settlement in both layouts while it still delivers the older one. A run
//! lists the V2 layout first, then the older layout; a period already read (in either) is not
//! downloaded again, so the older layout is only read for periods that have no V2 file.
//!
//! A document whose lines do not sum to its total is rejected for good: logged, recorded as
//! rejected for its period (visible, not retried), and no settlement is stored from it. A
//! document cut short (truncated gzip, dropped connection, expired URL) is an error the worker
//! retries; nothing of it is stored until a whole document reconciles. Reports still being
//! processed are looked at again by the next run; CANCELLED (no data) and FATAL ones are
//! logged and left (Amazon does not let us request settlement reports again).
//!
//! Then the run lists the payouts of every settlement period (Finances
//! `listFinancialEventGroups`, in 180-day windows, newest first): the backfill reaches two
//! years back, where no settlement file is listed any more; a daily check reads again from the
//! oldest group it last saw open (or 60 days back), so a group is reread until it is closed.
//!
//! Checkpoint: the run's listing phase, page token and the reports of the current page still
//! to read; a step stops before its deadline, or when the rate limit of `getReportDocument`
//! (one a minute after a burst of 15) would make it wait past it.

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::transactions::{EVENT_SOURCE, MAX_DAYS_PER_EVENT};
use super::{Progress, SyncState};
use crate::amazon::flatfile::{DecimalStyle, SETTLEMENT_LEGACY, SETTLEMENT_V2};
use crate::amazon::models::reports::{ProcessingStatus, Report};
use crate::amazon::operations::{GetReportsParams, ListFinancialEventGroupsParams};
use crate::amazon::settlement::{stream_settlement, Layout};
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::settlements::{
    self as records, Document, PayoutRecord, SettlementLineRecord, SettlementRecord,
};
use crate::records::transactions::local_day;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// How far back Amazon lists reports.
const RETENTION: Duration = Duration::days(90);
/// How far back the payout backfill reaches (two years, and a month more for the period the
/// oldest transaction fell in), and one window of its listing.
const GROUP_HISTORY: Duration = Duration::days(761);
const GROUP_WINDOW: Duration = Duration::days(180);
/// How far back a daily check lists payout groups at least.
const GROUP_RECHECK: Duration = Duration::days(60);

/// Settlement reports of one connection.
#[derive(Debug, Clone)]
pub struct SettlementsSync {
    /// Downloads the documents (the presigned URLs are not SP-API calls).
    pub http: reqwest::Client,
    /// A sweep lists again from this long before the newest report the last run saw.
    pub overlap: Duration,
    /// A step stops starting work with less than this left before its deadline.
    pub margin: Duration,
    /// Documents one step reads before it pauses for [`Self::pause`]: the seller's
    /// getReportDocument bucket (burst 15, then one a minute) is shared with the orders
    /// backfill, whose last 30 days must not wait behind ninety days of settlement files.
    pub documents_per_step: u64,
    pub pause: Duration,
}

impl SettlementsSync {
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            overlap: Duration::days(1),
            margin: Duration::seconds(5),
            documents_per_step: 5,
            pause: Duration::minutes(5),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<Run>,
    /// Where the next run lists from (absent before the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_since: Option<DateTime<Utc>>,
    /// Where the next run lists payout groups from (absent before the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_groups_from: Option<DateTime<Utc>>,
}

/// The payout-group listing of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Groups {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    window: u32,
    windows: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// The start of the oldest group seen still open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oldest_open: Option<DateTime<Utc>>,
}

impl Groups {
    fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let before = self.end - GROUP_WINDOW * self.window as i32;
        ((before - GROUP_WINDOW).max(self.start), before)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    since: DateTime<Utc>,
    /// 0: the V2 layout; 1: the older layout.
    phase: u8,
    /// Whether the current phase has listed its first page.
    listed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// Reports of the current page still to read, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<Pending>,
    /// The oldest report seen still being processed, and the newest seen at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oldest_unfinished: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    newest: Option<DateTime<Utc>>,
    reports: u64,
    written: u64,
    /// Phase 2: the payout groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    groups: Option<Groups>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pending {
    report_id: String,
    report_type: String,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_id: Option<String>,
    marketplace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
}

impl Pending {
    fn of(r: &Report) -> Self {
        let status = match r.processing_status {
            ProcessingStatus::Done => "DONE",
            ProcessingStatus::Cancelled => "CANCELLED",
            ProcessingStatus::Fatal => "FATAL",
            ProcessingStatus::InQueue => "IN_QUEUE",
            ProcessingStatus::InProgress => "IN_PROGRESS",
            ProcessingStatus::Unknown => "UNKNOWN",
        };
        Self {
            report_id: r.report_id.clone(),
            report_type: r.report_type.clone(),
            status: status.into(),
            document_id: r.report_document_id.clone().filter(|d| !d.is_empty()),
            marketplace_id: r.marketplace_ids.first().cloned().unwrap_or_default(),
            start: r.data_start_time,
            end: r.data_end_time,
            created: r.created_time,
        }
    }
}

const PHASES: [&str; 2] = [SETTLEMENT_V2, SETTLEMENT_LEGACY];

/// What reading one report did.
enum Outcome {
    /// Stored as this settlement: (marketplace, settlement id).
    Stored(String, String),
    /// Already read, rejected, not ready, or no data: nothing written.
    Skipped,
}

impl SettlementsSync {
    async fn read(
        &self,
        cx: &StepContext<'_>,
        run: &mut Run,
        p: &Pending,
    ) -> Result<Outcome, StepError> {
        run.newest = Some(run.newest.map_or(p.created, |n| n.max(p.created)));
        match p.status.as_str() {
            "DONE" => {}
            "IN_QUEUE" | "IN_PROGRESS" => {
                run.oldest_unfinished = Some(
                    run.oldest_unfinished
                        .map_or(p.created, |o| o.min(p.created)),
                );
                return Ok(Outcome::Skipped);
            }
            status => {
                tracing::warn!(tenant = %cx.tenant, report = %p.report_id, status, "settlement report without a document");
                return Ok(Outcome::Skipped);
            }
        }
        let Some(document_id) = &p.document_id else {
            tracing::warn!(tenant = %cx.tenant, report = %p.report_id, "settlement report DONE without a document id");
            return Ok(Outcome::Skipped);
        };
        let period = records::period(&p.report_id, p.start, p.end);
        if records::document(cx.store, cx.tenant, &p.marketplace_id, &period)
            .await?
            .is_some()
        {
            return Ok(Outcome::Skipped);
        }
        let url = cx
            .api
            .reports()
            .get_report_document(cx.amazon, document_id)
            .await?
            .url;
        let style = DecimalStyle::of_report(&p.report_type, &p.marketplace_id);
        let collected: Arc<Mutex<Vec<SettlementLineRecord>>> = Arc::default();
        let sink = collected.clone();
        let marketplace = p.marketplace_id.clone();
        let read = stream_settlement(&self.http, &url, style, move |line| {
            let mut lines = sink.lock().expect("settlement lines");
            let n = lines.len() as u64 + 1;
            lines.push(SettlementLineRecord::of(line, n, &marketplace, Layout::V2));
            Ok(())
        })
        .await;
        let s = match read {
            Ok(s) => s,
            Err(AmazonError::InvalidInput { message, .. }) => {
                tracing::error!(tenant = %cx.tenant, report = %p.report_id, reason = %message, "settlement document rejected");
                records::mark_document(
                    cx.store,
                    cx.tenant,
                    &p.marketplace_id,
                    &period,
                    &Document::Rejected {
                        report_id: p.report_id.clone(),
                        reason: message,
                    },
                )
                .await?;
                return Ok(Outcome::Skipped);
            }
            Err(e) => return Err(e.into()),
        };
        let mut lines = std::mem::take(&mut *collected.lock().expect("settlement lines"));
        for l in &mut lines {
            l.settlement_id = s.settlement_id.clone();
            if s.layout == Layout::Legacy {
                l.posted_day = l.posted.map(|p| p.date_naive());
            } else {
                l.posted_day = l.posted.map(|t| local_day(&p.marketplace_id, t.to_utc()));
            }
        }
        let record = SettlementRecord {
            settlement_id: s.settlement_id.clone(),
            connection: cx.account.id.to_string(),
            marketplace_id: p.marketplace_id.clone(),
            report_id: p.report_id.clone(),
            report_type: p.report_type.clone(),
            layout: s.layout,
            report_created: p.created,
            start: s.start.map(|t| t.to_utc()),
            end: s.end.map(|t| t.to_utc()),
            deposit_date: s.deposit_date.map(|t| t.to_utc()),
            total: s.total_amount,
            currency: s.currency.clone(),
            lines: s.lines,
        };
        let written = records::put(cx.store, cx.tenant, &record, &lines).await?;
        records::mark_document(
            cx.store,
            cx.tenant,
            &p.marketplace_id,
            &period,
            &Document::Read {
                report_id: p.report_id.clone(),
                settlement_id: s.settlement_id.clone(),
            },
        )
        .await?;
        run.written += lines.len() as u64 + 1;
        Ok(if written.stored() {
            Outcome::Stored(record.marketplace_id, record.settlement_id)
        } else {
            Outcome::Skipped
        })
    }
}

impl SettlementsSync {
    /// Lists one page of payout groups and stores them; `Ok(true)` when the listing is done.
    async fn groups_page(
        &self,
        cx: &StepContext<'_>,
        run: &mut Run,
        changed: &mut BTreeSet<String>,
    ) -> Result<bool, StepError> {
        let Some(g) = run.groups.as_mut() else {
            return Ok(true);
        };
        if g.window >= g.windows {
            return Ok(true);
        }
        let (after, before) = g.bounds();
        let params = ListFinancialEventGroupsParams {
            max_results_per_page: Some(100),
            financial_event_group_started_after: Some(after),
            financial_event_group_started_before: Some(before),
            next_token: g.token.clone(),
        };
        let page = cx
            .api
            .finances_v0()
            .list_financial_event_groups(cx.amazon, &params)
            .await?;
        let payload = page.payload.unwrap_or_default();
        let connection = cx.account.id.to_string();
        for group in &payload.financial_event_group_list {
            let payout =
                PayoutRecord::from_amazon(&connection, group).map_err(StepError::Permanent)?;
            if !payout.is_closed() {
                if let Some(start) = payout.start {
                    g.oldest_open = Some(g.oldest_open.map_or(start, |o| o.min(start)));
                }
            }
            if records::put_payout(cx.store, cx.tenant, &payout)
                .await?
                .stored()
            {
                changed.insert(payout.group_id.clone());
            }
        }
        g.token = payload.next_token.filter(|t| !t.is_empty());
        if g.token.is_none() {
            g.window += 1;
        }
        Ok(g.window >= g.windows)
    }
}

/// The `SettlementsChanged` events of the settlements a step stored.
fn changed_events(
    tenant: &str,
    connection: &str,
    ids: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<DomainEvent> {
    let mut out = vec![];
    for (marketplace, set) in ids {
        let list: Vec<&String> = set.iter().collect();
        for chunk in list.chunks(MAX_DAYS_PER_EVENT) {
            out.push(DomainEvent::new(
                EVENT_SOURCE,
                "SettlementsChanged",
                serde_json::json!({
                    "tenant": tenant,
                    "connection": connection,
                    "marketplaceId": marketplace,
                    "settlementIds": chunk,
                }),
            ));
        }
    }
    out
}

#[async_trait::async_trait]
impl DatasetSync for SettlementsSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let mut cursor: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| StepError::Permanent(format!("settlements checkpoint: {e}")))?,
        };
        let connection = cx.account.id.to_string();
        let now = cx.now();
        let mut run = match cursor.run.take() {
            Some(r) => r,
            None => {
                let oldest = now - RETENTION + Duration::hours(1);
                Run {
                    since: cursor.next_since.map_or(oldest, |s| s.max(oldest)),
                    phase: 0,
                    listed: false,
                    token: None,
                    pending: vec![],
                    oldest_unfinished: None,
                    newest: None,
                    reports: 0,
                    written: 0,
                    groups: None,
                }
            }
        };
        let mut changed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut payouts: BTreeSet<String> = BTreeSet::new();
        let mut written = 0u64;
        let mut progressed = false;
        let mut next_in = None;
        let mut done = false;
        let mut documents = 0u64;
        loop {
            // At least one call a step, however short the step: every step moves on.
            if progressed && cx.time_left() < self.margin {
                break;
            }
            if let Some(p) = run.pending.first().cloned() {
                if documents >= self.documents_per_step {
                    next_in = Some(self.pause);
                    break;
                }
                documents += 1;
                let lines_before = run.written;
                match self.read(cx, &mut run, &p).await {
                    Ok(Outcome::Stored(marketplace, settlement)) => {
                        written += run.written - lines_before;
                        changed.entry(marketplace).or_default().insert(settlement);
                    }
                    Ok(Outcome::Skipped) => {}
                    Err(StepError::Amazon(AmazonError::RetryLater { at })) if progressed => {
                        next_in = Some((at - cx.now()).max(Duration::zero()));
                        break;
                    }
                    Err(e) => return Err(e),
                }
                run.pending.remove(0);
                run.reports += 1;
                progressed = true;
                continue;
            }
            if run.phase == 2 {
                match self.groups_page(cx, &mut run, &mut payouts).await {
                    Ok(true) => {
                        done = true;
                        break;
                    }
                    Ok(false) => {
                        progressed = true;
                        continue;
                    }
                    Err(StepError::Amazon(AmazonError::RetryLater { at })) if progressed => {
                        next_in = Some((at - cx.now()).max(Duration::zero()));
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if run.listed && run.token.is_none() {
                run.phase += 1;
                run.listed = false;
                if run.phase == 2 {
                    let end = now - Duration::minutes(2);
                    let start = cursor
                        .next_groups_from
                        .unwrap_or(end - GROUP_HISTORY)
                        .min(end - Duration::minutes(1));
                    let span = (end - start).num_seconds().max(1);
                    let w = GROUP_WINDOW.num_seconds();
                    run.groups = Some(Groups {
                        start,
                        end,
                        window: 0,
                        windows: ((span + w - 1) / w) as u32,
                        token: None,
                        oldest_open: None,
                    });
                }
                continue;
            }
            let params = match &run.token {
                // Amazon takes a page token alone.
                Some(t) => GetReportsParams {
                    next_token: Some(t.clone()),
                    ..Default::default()
                },
                None => GetReportsParams {
                    report_types: vec![PHASES[run.phase as usize].to_string()],
                    page_size: Some(100),
                    created_since: Some(run.since),
                    ..Default::default()
                },
            };
            let page = match cx.api.reports().get_reports(cx.amazon, &params).await {
                Ok(p) => p,
                Err(AmazonError::RetryLater { at }) if progressed => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            progressed = true;
            run.listed = true;
            run.token = page.next_token.filter(|t| !t.is_empty());
            let mut reports: Vec<Pending> = page.reports.iter().map(Pending::of).collect();
            reports.sort_by_key(|r| std::cmp::Reverse(r.created));
            run.pending = reports;
        }
        let progress = Progress {
            steps_done: run.reports,
            steps_total: run.reports + run.pending.len() as u64 + u64::from(!done),
            records_done: run.written,
            records_estimate: run.written,
        };
        tracing::info!(tenant = %cx.tenant, connection = %connection, written, reports = run.reports, done, "settlements step");
        written += payouts.len() as u64;
        let cursor = if done {
            let mut next = run.newest.map_or(run.since, |n| n - self.overlap);
            if let Some(o) = run.oldest_unfinished {
                next = next.min(o);
            }
            let groups_from = run.groups.as_ref().map(|g| {
                let recheck = g.end - GROUP_RECHECK;
                g.oldest_open.map_or(recheck, |o| o.min(recheck))
            });
            Cursor {
                run: None,
                next_since: Some(next.max(run.since)),
                next_groups_from: groups_from.or(cursor.next_groups_from),
            }
        } else {
            Cursor {
                run: Some(run),
                ..cursor
            }
        };
        let mut events = changed_events(&cx.tenant.to_string(), &connection, &changed);
        let ids: Vec<&String> = payouts.iter().collect();
        for chunk in ids.chunks(MAX_DAYS_PER_EVENT) {
            events.push(DomainEvent::new(
                EVENT_SOURCE,
                "SettlementsChanged",
                serde_json::json!({
                    "tenant": cx.tenant.to_string(),
                    "connection": connection,
                    "payoutGroupIds": chunk,
                }),
            ));
        }
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("settlements checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in,
            events,
        })
    }
}
