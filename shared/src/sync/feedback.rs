//! The seller-feedback dataset: buyers' feedback from `GET_SELLER_FEEDBACK_DATA`, two years back
//! on connect (365-day windows, newest first, every marketplace), then daily sweeps of the last
//! [`SWEEP_DAYS`] (feedback is left, answered or removed for weeks after an order).
//!
//! The report's `Date` is a day alone, month first in North America and Japan (`03/14/23`) and
//! day first in Europe (`14/03/23`). Each feedback is stored under its order (one a order)
//! newer-wins by the report's creation time; an unchanged one writes nothing.
//!
//! Checkpoint: the report plan ([`super::report_plan`]).

use super::report_plan::{Head, Plan, Window};
use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::transactions::{EVENT_SOURCE, MAX_DAYS_PER_EVENT};
use super::{Progress, SyncState};
use crate::amazon::flatfile::{stream_document, Row};
use crate::amazon::AmazonError;
use crate::marketplaces::Region;
use crate::ports::bus::DomainEvent;
use crate::records::feedback::{self as records, FeedbackRecord};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

pub const FEEDBACK_REPORT: &str = "GET_SELLER_FEEDBACK_DATA";
/// How far back the backfill goes, and one report window of it.
pub const HISTORY_DAYS: i64 = 730;
pub const WINDOW_DAYS: i64 = 365;
/// How far back a daily sweep reads.
pub const SWEEP_DAYS: i64 = 90;
pub const FEEDBACK_CHANGED: &str = "FeedbackChanged";

/// Seller feedback of one connection.
#[derive(Debug, Clone)]
pub struct FeedbackSync {
    pub http: reqwest::Client,
    pub margin: Duration,
}

impl Default for FeedbackSync {
    fn default() -> Self {
        Self {
            http: reqwest::Client::new(),
            margin: Duration::seconds(5),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan: Option<Plan>,
    #[serde(default)]
    records: u64,
}

/// The report's day: month first in North America and Japan, day first elsewhere.
pub fn feedback_day(text: &str, marketplace_id: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let month_first = crate::marketplaces::by_id(marketplace_id)
        .is_none_or(|m| m.region == Region::NorthAmerica || m.country_code == "JP");
    let formats: &[&str] = if month_first {
        &["%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d", "%Y/%m/%d"]
    } else {
        &["%d/%m/%y", "%d/%m/%Y", "%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
    };
    formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

fn field(row: &Row, column: &str) -> Option<String> {
    row.get(column)
        .map(str::trim)
        .map(|t| if t == "\"\"" { "" } else { t })
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// One row of the feedback report.
pub fn feedback_of_row(
    row: &Row,
    marketplace_id: &str,
    connection: &str,
    observed_at: DateTime<Utc>,
) -> Result<Option<FeedbackRecord>, AmazonError> {
    let Some(order_id) = field(row, "Order ID") else {
        return Ok(None);
    };
    let invalid = |what: &str, t: &str| AmazonError::InvalidInput {
        status: 0,
        message: format!("feedback report line {}: {what}: {t:?}", row.line()),
    };
    let date_text = field(row, "Date").unwrap_or_default();
    let date =
        feedback_day(&date_text, marketplace_id).ok_or_else(|| invalid("Date", &date_text))?;
    let rating_text = field(row, "Rating").unwrap_or_default();
    let rating: u8 = rating_text
        .parse()
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| invalid("Rating", &rating_text))?;
    Ok(Some(FeedbackRecord {
        marketplace_id: marketplace_id.to_string(),
        order_id,
        connection: connection.to_string(),
        date,
        rating,
        comments: field(row, "Comments").unwrap_or_default(),
        response: field(row, "Response"),
        rater_email: field(row, "Rater Email"),
        observed_at,
    }))
}

impl FeedbackSync {
    fn plan(&self, cx: &StepContext<'_>, backfilled: bool) -> Plan {
        let mut mkts = cx.account.marketplace_ids.clone();
        if mkts.is_empty() {
            if let Some(m) = crate::marketplaces::by_country(&cx.account.marketplace) {
                mkts.push(m.id.to_string());
            }
        }
        let now = cx.now();
        let mut windows = vec![];
        if backfilled {
            for m in &mkts {
                windows.push(Window {
                    marketplace_id: m.clone(),
                    from: Some(now - Duration::days(SWEEP_DAYS)),
                    to: Some(now),
                });
            }
        } else {
            let n = (HISTORY_DAYS + WINDOW_DAYS - 1) / WINDOW_DAYS;
            for age in 0..n {
                let to = now - Duration::days(WINDOW_DAYS * age);
                let from =
                    (to - Duration::days(WINDOW_DAYS)).max(now - Duration::days(HISTORY_DAYS));
                for m in &mkts {
                    windows.push(Window {
                        marketplace_id: m.clone(),
                        from: Some(from),
                        to: Some(to),
                    });
                }
            }
        }
        Plan::new(FEEDBACK_REPORT, windows)
    }

    async fn read_document(
        &self,
        url: &str,
        marketplace_id: &str,
        connection: &str,
        created: DateTime<Utc>,
    ) -> Result<Vec<FeedbackRecord>, StepError> {
        let rows: Arc<Mutex<Vec<FeedbackRecord>>> = Arc::default();
        let sink = rows.clone();
        let m = marketplace_id.to_string();
        let c = connection.to_string();
        stream_document(&self.http, url, move |row| {
            if let Some(f) = feedback_of_row(row, &m, &c, created)? {
                sink.lock().expect("feedback").push(f);
            }
            Ok(())
        })
        .await?;
        let out = std::mem::take(&mut *rows.lock().expect("feedback"));
        Ok(out)
    }
}

#[async_trait::async_trait]
impl DatasetSync for FeedbackSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let mut cursor: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| StepError::Permanent(format!("feedback checkpoint: {e}")))?,
        };
        let connection = cx.account.id.to_string();
        let mut plan = match cursor.plan.take() {
            Some(p) => p,
            None => {
                cursor.records = 0;
                self.plan(cx, state.backfilled)
            }
        };
        plan.for_run(state.run_started_at);
        let mut changed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut written = 0u64;
        let mut progressed = false;
        let mut next_in = None;
        loop {
            if plan.done() || (progressed && cx.time_left() < self.margin) {
                break;
            }
            let result: Result<Option<Duration>, StepError> = async {
                plan.request_ahead(cx, 4).await?;
                match plan.head(cx).await? {
                    Head::Ready {
                        window,
                        url,
                        created,
                        ..
                    } => {
                        let rows = self
                            .read_document(&url, &window.marketplace_id, &connection, created)
                            .await?;
                        tracing::info!(tenant = %cx.tenant, window = %window, feedback = rows.len(), "feedback report read");
                        for f in rows {
                            if records::put(cx.store, cx.tenant, &f).await?.stored() {
                                written += 1;
                                changed
                                    .entry(f.marketplace_id.clone())
                                    .or_default()
                                    .insert(f.order_id.clone());
                            }
                        }
                        plan.read();
                        Ok(None)
                    }
                    Head::Empty(_) | Head::Done => Ok(None),
                    Head::Waiting(d) if d.is_zero() => Ok(None),
                    Head::Waiting(d) => Ok(Some(d)),
                }
            }
            .await;
            match result {
                Ok(None) => {}
                Ok(Some(d)) => {
                    next_in = Some(d);
                    break;
                }
                Err(StepError::Amazon(AmazonError::RetryLater { at })) if progressed => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(e) => return Err(e),
            }
            progressed = true;
        }
        cursor.records += written;
        let done = plan.done();
        let progress = Progress {
            steps_done: plan.next as u64,
            steps_total: plan.windows.len() as u64,
            records_done: cursor.records,
            records_estimate: (cursor.records * plan.windows.len() as u64)
                .checked_div(plan.next as u64)
                .unwrap_or(cursor.records),
        };
        tracing::info!(tenant = %cx.tenant, connection = %connection, written, done, "feedback step");
        let tenant = cx.tenant.to_string();
        let mut events = vec![];
        for (marketplace, ids) in &changed {
            let list: Vec<&String> = ids.iter().collect();
            for chunk in list.chunks(MAX_DAYS_PER_EVENT) {
                events.push(DomainEvent::new(
                    EVENT_SOURCE,
                    FEEDBACK_CHANGED,
                    serde_json::json!({
                        "tenant": tenant,
                        "connection": connection,
                        "marketplaceId": marketplace,
                        "orderIds": chunk,
                    }),
                ));
            }
        }
        let cursor = Cursor {
            plan: (!done).then_some(plan),
            records: if done { 0 } else { cursor.records },
        };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("feedback checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in,
            events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_days_read_month_first_in_america_and_day_first_in_europe() {
        let us = "ATVPDKIKX0DER";
        let de = "A1PA6795UKMFR9";
        assert_eq!(
            feedback_day("03/04/25", us),
            NaiveDate::from_ymd_opt(2025, 3, 4)
        );
        assert_eq!(
            feedback_day("03/04/25", de),
            NaiveDate::from_ymd_opt(2025, 4, 3)
        );
        assert_eq!(feedback_day("yesterday", us), None);
    }
}
