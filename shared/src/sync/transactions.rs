//! The transactions dataset: Finances 2024-06-19 `listTransactions` by posted date.
//!
//! A run lists `[start, end)` in windows of [`TransactionsSync::window`] (≤ 180 days, Amazon's
//! limit), newest window first, so the last 30 days are in before anything older; within a
//! window it pages with `nextToken`, and the checkpoint (window, page token) is saved whenever
//! the step stops, before its deadline or when the rate limit would make it wait past it.
//!
//! - The first run is the backfill: `start` is [`TransactionsSync::history`] (two years) back.
//! - Every later run (hourly, or on TRANSACTION_UPDATE) is a sweep from where the last left,
//!   less an overlap: Amazon posts some transactions up to 48 h late, and a deferred
//!   transaction is released in place (same id, same `postedDate`, status `DEFERRED` →
//!   `DEFERRED_RELEASED`), so the next sweep starts at the posting time of the oldest
//!   transaction the last run saw still deferred, or `end − overlap`, whichever is earlier.
//!   Every transaction that can still change is therefore read again until it is released.
//!
//! `end` is two minutes before the run starts: Amazon refuses a `postedBefore` closer to now.

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{Progress, SyncState};
use crate::amazon::operations::ListTransactionsParams;
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::transactions::{self as records, TransactionRecord};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The source of the sync's domain events.
pub const EVENT_SOURCE: &str = "beddora.sync";
/// Most changed days one event names (the event stays far below EventBridge's 256 KiB).
pub const MAX_DAYS_PER_EVENT: usize = 100;
/// The newest `postedBefore` Amazon accepts is this long before now.
const NEWEST: Duration = Duration::minutes(2);

/// Finances transactions of one connection.
#[derive(Debug, Clone)]
pub struct TransactionsSync {
    /// How far back the backfill reaches.
    pub history: Duration,
    /// One listing window (Amazon allows up to 180 days).
    pub window: Duration,
    /// How far before the last run's end a sweep starts again (late postings).
    pub overlap: Duration,
    /// A step stops asking for another page with less than this left before its deadline.
    pub margin: Duration,
}

impl Default for TransactionsSync {
    fn default() -> Self {
        Self {
            history: Duration::days(730),
            window: Duration::days(30),
            overlap: Duration::hours(48),
            margin: Duration::seconds(5),
        }
    }
}

/// The dataset's checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    /// The run in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<Run>,
    /// Where the next run starts (absent before the backfill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_from: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The window being listed (0 is the newest) and how many there are.
    window: u32,
    windows: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// The posting time of the oldest transaction seen still deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_deferred: Option<DateTime<Utc>>,
    /// Transactions read and records written in this run.
    read: u64,
    written: u64,
}

impl Run {
    fn new(start: DateTime<Utc>, end: DateTime<Utc>, window: Duration) -> Self {
        let span = (end - start).num_seconds().max(1);
        let windows = ((span + window.num_seconds() - 1) / window.num_seconds()).max(1) as u32;
        Self {
            start,
            end,
            window: 0,
            windows,
            token: None,
            min_deferred: None,
            read: 0,
            written: 0,
        }
    }

    /// `[after, before)` of the current window.
    fn bounds(&self, window: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
        let before = self.end - window * self.window as i32;
        let after = (before - window).max(self.start);
        (after, before)
    }

    fn progress(&self) -> Progress {
        let estimate = if self.window == 0 {
            self.written
        } else {
            self.written * self.windows as u64 / self.window as u64
        };
        Progress {
            steps_done: self.window as u64,
            steps_total: self.windows as u64,
            records_done: self.written,
            records_estimate: estimate.max(self.written),
        }
    }
}

/// The `TransactionsChanged` events of the (marketplace, posted day)s a step changed.
pub fn changed_events(
    kind: &str,
    tenant: &str,
    connection: &str,
    days: &BTreeMap<String, BTreeSet<NaiveDate>>,
) -> Vec<DomainEvent> {
    let mut out = vec![];
    for (marketplace, set) in days {
        let list: Vec<String> = set.iter().map(|d| d.to_string()).collect();
        for chunk in list.chunks(MAX_DAYS_PER_EVENT) {
            out.push(DomainEvent::new(
                EVENT_SOURCE,
                kind,
                serde_json::json!({
                    "tenant": tenant,
                    "connection": connection,
                    "marketplaceId": marketplace,
                    "postedDays": chunk,
                }),
            ));
        }
    }
    out
}

#[async_trait::async_trait]
impl DatasetSync for TransactionsSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let mut cursor: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| StepError::Permanent(format!("transactions checkpoint: {e}")))?,
        };
        let connection = cx.account.id.to_string();
        let mut run = match cursor.run.take() {
            Some(r) => r,
            None => {
                let end = cx.now() - NEWEST;
                let start = cursor
                    .next_from
                    .unwrap_or(end - self.history)
                    .min(end - Duration::minutes(1));
                Run::new(start, end, self.window)
            }
        };
        let mut changed: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
        let mut written = 0u64;
        let mut pages = 0u32;
        let mut next_in = None;
        let mut done = false;
        loop {
            if cx.time_left() < self.margin {
                break;
            }
            let (after, before) = run.bounds(self.window);
            let params = ListTransactionsParams {
                posted_after: Some(after),
                posted_before: Some(before),
                next_token: run.token.clone(),
                ..Default::default()
            };
            let page = match cx
                .api
                .finances()
                .list_transactions(cx.amazon, &params)
                .await
            {
                Ok(p) => p,
                // Progress made: keep it and come back when the rate limit allows.
                Err(AmazonError::RetryLater { at }) if pages > 0 => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            pages += 1;
            let payload = page.payload.unwrap_or_default();
            for t in &payload.transactions {
                let record = TransactionRecord::from_amazon(&connection, t)
                    .map_err(|e| StepError::Permanent(e.to_string()))?;
                run.read += 1;
                if record.is_deferred() {
                    run.min_deferred = Some(
                        run.min_deferred
                            .map_or(record.posted, |m| m.min(record.posted)),
                    );
                }
                if records::put(cx.store, cx.tenant, &record).await?.stored() {
                    written += 1;
                    changed
                        .entry(record.marketplace_id.clone())
                        .or_default()
                        .insert(record.posted_day);
                }
            }
            run.token = payload.next_token.filter(|t| !t.is_empty());
            if run.token.is_none() {
                run.window += 1;
                if run.window >= run.windows {
                    done = true;
                    break;
                }
            }
        }
        run.written += written;
        let progress = run.progress();
        tracing::info!(
            tenant = %cx.tenant, connection = %connection, pages, written,
            window = run.window, windows = run.windows, done, "transactions step"
        );
        let cursor = if done {
            let from = (run.end - self.overlap).max(run.start);
            Cursor {
                run: None,
                next_from: Some(run.min_deferred.map_or(from, |d| d.min(from))),
            }
        } else {
            Cursor {
                run: Some(run),
                next_from: cursor.next_from,
            }
        };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("transactions checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in,
            events: changed_events(
                "TransactionsChanged",
                &cx.tenant.to_string(),
                &connection,
                &changed,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_run_newest_first_and_cover_the_span_exactly() {
        let end = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let w = Duration::days(30);
        let mut run = Run::new(end - Duration::days(730), end, w);
        assert_eq!(run.windows, 25);
        let mut covered = vec![];
        while run.window < run.windows {
            covered.push(run.bounds(w));
            run.window += 1;
        }
        assert_eq!(covered[0], (end - w, end), "the last 30 days first");
        for pair in covered.windows(2) {
            assert_eq!(pair[0].0, pair[1].1, "no gap, no overlap");
        }
        assert_eq!(covered.last().unwrap().0, end - Duration::days(730));
    }
}
