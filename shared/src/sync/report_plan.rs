//! Requested reports read window by window, for the datasets that read whole reports (listings,
//! feedback): the plan is a list of windows (a marketplace, and a time span for reports that
//! take one), reports are requested a few ahead of the window being read (Amazon prepares them
//! meanwhile), and a step never waits for Amazon: a report still in queue is a `next_in`.
//!
//! A report that ends FATAL or CANCELLED is requested again, [`REPORT_ATTEMPTS`] times at most;
//! then a FATAL window fails the run naming it, and a CANCELLED one (Amazon's answer for "no
//! data" too) is taken as empty. Failure counts belong to one run: a retried run asks afresh.
//! The caller reads the document of a ready window and only then moves on ([`Plan::read`]): a
//! document cut short is an error of the step, retried with the same checkpoint.

use super::step::{StepContext, StepError};
use crate::amazon::models::reports::{CreateReportSpecification, ProcessingStatus};
use crate::amazon::AmazonError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Requests of one window before a FATAL fails the run.
pub const REPORT_ATTEMPTS: u32 = 3;
/// Wait before looking at a report Amazon is still preparing.
pub const REPORT_POLL: Duration = Duration::seconds(30);

/// One report to read: a marketplace, and the span of reports that take one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub marketplace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.marketplace_id)?;
        if let (Some(a), Some(b)) = (self.from, self.to) {
            write!(f, " from {} to {}", a.date_naive(), b.date_naive())?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InFlight {
    window: usize,
    /// `None` while it has to be requested (again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    report_id: Option<String>,
    failures: u32,
}

/// The windows of a run and the reports in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub report_type: String,
    pub windows: Vec<Window>,
    /// Windows read.
    pub next: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    in_flight: Vec<InFlight>,
    /// The run the failure counts belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<DateTime<Utc>>,
}

/// Where the window due next stands.
#[derive(Debug)]
pub enum Head {
    /// Its document is ready: read it from `url`, then call [`Plan::read`].
    Ready {
        window: Window,
        url: String,
        report_id: String,
        /// When Amazon made the report (the time its content is as of).
        created: DateTime<Utc>,
    },
    /// Amazon cancelled it every time: no data (the plan has moved on).
    Empty(Window),
    /// Not ready: look again after this long.
    Waiting(Duration),
    /// Every window is read.
    Done,
}

impl Plan {
    pub fn new(report_type: &str, windows: Vec<Window>) -> Self {
        Plan {
            report_type: report_type.to_string(),
            windows,
            next: 0,
            in_flight: vec![],
            run: None,
        }
    }

    pub fn done(&self) -> bool {
        self.next >= self.windows.len()
    }

    /// A new run (a retry of a failed one) asks for every window afresh.
    pub fn for_run(&mut self, run: Option<DateTime<Utc>>) {
        if self.run != run {
            self.run = run;
            for f in &mut self.in_flight {
                f.failures = 0;
            }
        }
    }

    /// Requests the reports of the next `ahead` windows that have none, while createReport
    /// answers at once; a refusal to wait is not an error once something is in flight.
    pub async fn request_ahead(
        &mut self,
        cx: &StepContext<'_>,
        ahead: usize,
    ) -> Result<(), StepError> {
        let ctx = cx
            .amazon
            .until(cx.deadline.min(cx.now() + Duration::seconds(2)));
        loop {
            let slot = match self.in_flight.iter().position(|f| f.report_id.is_none()) {
                Some(i) => i,
                None => {
                    let next_window = self.in_flight.last().map_or(self.next, |f| f.window + 1);
                    if self.in_flight.len() >= ahead.max(1) || next_window >= self.windows.len() {
                        return Ok(());
                    }
                    self.in_flight.push(InFlight {
                        window: next_window,
                        report_id: None,
                        failures: 0,
                    });
                    self.in_flight.len() - 1
                }
            };
            let w = self.windows[self.in_flight[slot].window].clone();
            let spec = CreateReportSpecification {
                report_options: None,
                report_type: self.report_type.clone(),
                data_start_time: w.from,
                data_end_time: w.to,
                marketplace_ids: vec![w.marketplace_id.clone()],
            };
            match cx.api.reports().create_report(&ctx, &spec).await {
                Ok(r) => self.in_flight[slot].report_id = Some(r.report_id),
                Err(e) => {
                    if self.in_flight[slot].failures == 0 && slot + 1 == self.in_flight.len() {
                        self.in_flight.pop();
                    }
                    let waiting = matches!(
                        e,
                        AmazonError::RetryLater { .. }
                            | AmazonError::Throttled { .. }
                            | AmazonError::Server { .. }
                            | AmazonError::Transport { .. }
                    );
                    if waiting && self.in_flight.iter().any(|f| f.report_id.is_some()) {
                        return Ok(());
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// Looks at the report of the window due next.
    pub async fn head(&mut self, cx: &StepContext<'_>) -> Result<Head, StepError> {
        if self.done() {
            return Ok(Head::Done);
        }
        let Some(report_id) = self
            .in_flight
            .first()
            .filter(|f| f.window == self.next)
            .and_then(|f| f.report_id.clone())
        else {
            return Ok(Head::Waiting(REPORT_POLL));
        };
        let w = self.windows[self.next].clone();
        let report = cx.api.reports().get_report(cx.amazon, &report_id).await?;
        match report.processing_status {
            ProcessingStatus::Done => {
                let Some(document) = report.report_document_id.clone() else {
                    return Err(StepError::Permanent(format!(
                        "{} report {report_id} of {w} is DONE without a document",
                        self.report_type
                    )));
                };
                let url = cx
                    .api
                    .reports()
                    .get_report_document(cx.amazon, &document)
                    .await?
                    .url;
                Ok(Head::Ready {
                    window: w,
                    url,
                    report_id,
                    created: report.created_time,
                })
            }
            ProcessingStatus::Fatal | ProcessingStatus::Cancelled => {
                let fatal = report.processing_status == ProcessingStatus::Fatal;
                let f = &mut self.in_flight[0];
                f.failures += 1;
                f.report_id = None;
                tracing::warn!(report = %report_id, report_type = %self.report_type, window = %w, fatal, failures = f.failures, "report did not complete; requested again");
                if f.failures < REPORT_ATTEMPTS {
                    return Ok(Head::Waiting(Duration::zero()));
                }
                if fatal {
                    return Err(StepError::Permanent(format!(
                        "the {} report of {w} ended FATAL {} times",
                        self.report_type, f.failures
                    )));
                }
                tracing::warn!(report_type = %self.report_type, window = %w, "report cancelled every time: window taken as empty");
                self.read();
                Ok(Head::Empty(w))
            }
            _ => Ok(Head::Waiting(REPORT_POLL)),
        }
    }

    /// The window due next is read: move on.
    pub fn read(&mut self) {
        if self
            .in_flight
            .first()
            .is_some_and(|f| f.window == self.next)
        {
            self.in_flight.remove(0);
        }
        self.next += 1;
    }
}
