//! The Ads reports dataset: daily Sponsored Products metrics per campaign, ad group,
//! keyword/product target (`spTargeting`), advertised product (`spAdvertisedProduct`, the ad
//! cost per SKU) and search term (`spSearchTerm`).
//!
//! - Backfill (the first run of a connection): the last 95 days, all Amazon keeps, in 31-day
//!   report windows (Amazon's longest), every profile of the connection's region.
//! - Sweep (every day after): the last 14 days again, because attributed purchases and sales
//!   keep changing for up to 14 days. Each row is keyed by its entity and day and versioned by
//!   when Amazon made the report, so a re-pull replaces the late-attributed figures and never
//!   adds to them (`crate::records::ads`).
//!
//! Every report of a run is requested ahead, then collected in the order requested as Amazon
//! completes them: a round of looks stops at the first report still in preparation (those
//! after it are very likely not ready either) and the next round comes 30 seconds later; a
//! duplicate request (425) resumes the report already in progress; throttling waits the
//! `Retry-After` through the shared limiter (the Ads client); a `FAILED` report is requested
//! again up to [`MAX_ATTEMPTS`] times, then the run fails naming the window.
//!
//! A completed report's document (1.5M rows for a 31-day keyword report of a large account)
//! is never held whole: it is gunzipped and split into rows as it downloads
//! ([`crate::amazon::ads::ReportRows`]) and written a batch of 1,000 rows at a time
//! ([`records::put_days`]), so a step's memory is a few batches whatever the report's size.
//!
//! Checkpoint: the reports of the run still to collect (with their ids once requested) and,
//! for the one being written, the rows of its document already written. A step near its
//! deadline stops between batches and the next resumes at that row; a step that dies
//! halfway is re-run from the last checkpoint and rewrites the rows after it, which changes
//! nothing where they were stored (newer-wins by the report's creation time).

use super::ads::{ads_error, sync_profiles, AdsAccess};
use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{Progress, SyncState};
use crate::amazon::ads::{ReportRequest, ReportRow, ReportState, TimeUnit};
use crate::amazon::AmazonError;
use crate::records::ads::{self as records, AdsDay, Level};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Days of history Amazon keeps for Sponsored Products reports.
pub const RETENTION_DAYS: i64 = 95;
/// Days a day's attributed figures keep changing (re-pulled every day).
pub const SETTLE_DAYS: i64 = 14;
/// Longest report window.
pub const WINDOW_DAYS: i64 = 31;
/// Requests of one failed report.
pub const MAX_ATTEMPTS: u32 = 3;
/// Wait between looks at reports Amazon is still preparing.
const POLL: Duration = Duration::seconds(30);
/// Time a step keeps to save its checkpoint: it stops requesting, looking and writing
/// batches of rows this long before its deadline.
const MARGIN: Duration = Duration::minutes(1);

const METRIC_COLUMNS: &[&str] = &[
    "date",
    "campaignId",
    "impressions",
    "clicks",
    "cost",
    "purchases1d",
    "purchases7d",
    "purchases14d",
    "purchases30d",
    "sales1d",
    "sales7d",
    "sales14d",
    "sales30d",
    "unitsSoldClicks7d",
];

/// The report of a level: type, grouping and its own columns.
fn report_of(
    level: Level,
) -> (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
) {
    match level {
        Level::Campaign => ("spCampaigns", &["campaign"], &["campaignName"]),
        Level::AdGroup => (
            "spCampaigns",
            &["campaign", "adGroup"],
            &["adGroupId", "adGroupName"],
        ),
        Level::Target => (
            "spTargeting",
            &["targeting"],
            &["adGroupId", "keywordId", "targeting", "matchType"],
        ),
        Level::Sku => (
            "spAdvertisedProduct",
            &["advertiser"],
            &["adGroupId", "adId", "advertisedSku", "advertisedAsin"],
        ),
        Level::SearchTerm => (
            "spSearchTerm",
            &["searchTerm"],
            &[
                "adGroupId",
                "keywordId",
                "targeting",
                "matchType",
                "searchTerm",
            ],
        ),
    }
}

/// The daily report request of `level` over `[start, end]`.
pub fn request(level: Level, start: NaiveDate, end: NaiveDate) -> ReportRequest {
    let (type_id, group_by, own) = report_of(level);
    let columns: Vec<&str> = METRIC_COLUMNS.iter().chain(own.iter()).copied().collect();
    ReportRequest::sponsored_products(type_id, group_by, TimeUnit::Daily, start, end, &columns)
}

/// The windows of a run ending `today`: 95 days in 31-day windows (backfill) or the last 14
/// days (sweep).
pub fn windows(today: NaiveDate, backfill: bool) -> Vec<(NaiveDate, NaiveDate)> {
    let days = if backfill {
        RETENTION_DAYS
    } else {
        SETTLE_DAYS
    };
    let mut start = today - Duration::days(days - 1);
    let mut out = vec![];
    while start <= today {
        let end = (start + Duration::days(WINDOW_DAYS - 1)).min(today);
        out.push((start, end));
        start = end + Duration::days(1);
    }
    out
}

/// The Ads reports sync; `None` access: Ads is not configured (every run finishes empty).
pub struct AdsReportsSync {
    access: Option<Arc<AdsAccess>>,
}

impl AdsReportsSync {
    pub fn new(access: Option<Arc<AdsAccess>>) -> Self {
        Self { access }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pending {
    profile: i64,
    marketplace: String,
    currency: String,
    level: Level,
    start: NaiveDate,
    end: NaiveDate,
    #[serde(default)]
    report_id: Option<String>,
    #[serde(default)]
    attempts: u32,
    /// Rows of the completed report's document already written (a step that ran out of
    /// time stops between batches; the next one resumes here).
    #[serde(default)]
    rows_done: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default)]
    started: bool,
    pending: Vec<Pending>,
    total: u64,
}

fn finished(progress: Progress, written: u64) -> StepResult {
    StepResult {
        cursor: serde_json::Value::Null,
        progress,
        written,
        done: true,
        next_in: None,
        events: vec![],
    }
}

fn count(row: &ReportRow, column: &str) -> i64 {
    row.other
        .get(column)
        .and_then(|v| v.as_i64())
        .unwrap_or_default()
}

/// A report row as a stored day of `p`'s level; `None` for a row without its ids or date.
fn day_of(
    p: &Pending,
    connection: &str,
    row: &ReportRow,
    report_id: &str,
    reported_at: DateTime<Utc>,
) -> Option<AdsDay> {
    let date = row.date?;
    let campaign_id = row.campaign_id.clone()?;
    let text = |c: &str| {
        row.other
            .get(c)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let (entity, name) = match p.level {
        Level::Campaign => (campaign_id.clone(), row.campaign_name.clone()),
        Level::AdGroup => (row.ad_group_id.clone()?, text("adGroupName")),
        Level::Target => (
            row.keyword_id.clone()?,
            row.targeting.clone().or(row.keyword.clone()),
        ),
        Level::Sku => (
            row.ad_id
                .clone()
                .or(row.advertised_sku.clone())
                .or(row.advertised_asin.clone())?,
            row.advertised_sku.clone(),
        ),
        Level::SearchTerm => {
            let term = row.search_term.clone()?;
            (
                format!("{}#{}", row.keyword_id.clone()?, term.replace('#', " ")),
                Some(term),
            )
        }
    };
    let sales = |c: &str| row.decimal(c).unwrap_or(Decimal::ZERO);
    Some(AdsDay {
        level: p.level,
        profile_id: p.profile,
        connection: connection.to_string(),
        marketplace_id: p.marketplace.clone(),
        currency: p.currency.clone(),
        date,
        entity,
        campaign_id,
        ad_group_id: row.ad_group_id.clone(),
        target_id: row.keyword_id.clone(),
        sku: row.advertised_sku.clone(),
        asin: row.advertised_asin.clone(),
        name,
        match_type: row.match_type.clone(),
        impressions: row.impressions.unwrap_or_default(),
        clicks: row.clicks.unwrap_or_default(),
        cost: row.cost.or(row.spend).unwrap_or_default(),
        purchases: [
            count(row, "purchases1d"),
            row.purchases7d.unwrap_or_default(),
            count(row, "purchases14d"),
            count(row, "purchases30d"),
        ],
        sales: [
            sales("sales1d"),
            row.sales7d.unwrap_or_default(),
            sales("sales14d"),
            sales("sales30d"),
        ],
        units7d: row.units_sold_clicks7d.unwrap_or_default(),
        report_id: report_id.to_string(),
        reported_at,
    })
}

/// The profile's today (report dates are its local dates).
fn today_in(timezone: &str, now: DateTime<Utc>) -> NaiveDate {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).date_naive()
}

#[async_trait::async_trait]
impl DatasetSync for AdsReportsSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let Some(access) = &self.access else {
            return Ok(finished(state.progress, 0));
        };
        let Some(ctx) = access.context(cx.account, cx.deadline).await? else {
            tracing::info!("the connection has no Ads consent: no reports to pull");
            return Ok(finished(Progress::default(), 0));
        };
        let api = access.api(cx.account);
        let now = cx.now();
        let mut cursor: Cursor = serde_json::from_value(state.cursor.clone()).unwrap_or_default();
        if !cursor.started {
            let profiles = sync_profiles(&api, &ctx, cx.store, cx.account, now).await?;
            let mut pending = vec![];
            for p in &profiles {
                let today = today_in(&p.timezone, now);
                for (start, end) in windows(today, !state.backfilled) {
                    for level in Level::ALL {
                        pending.push(Pending {
                            profile: p.profile_id,
                            marketplace: p.account_info.marketplace_string_id.clone(),
                            currency: p.currency_code.clone(),
                            level,
                            start,
                            end,
                            report_id: None,
                            attempts: 0,
                            rows_done: 0,
                        });
                    }
                }
            }
            cursor = Cursor {
                started: true,
                total: pending.len() as u64,
                pending,
            };
        }
        let connection = cx.account.id.to_string();
        let mut written = 0u64;
        // The days of SKU spend written, per marketplace (`AdsSpendChanged` for the profit).
        let mut spend_days: std::collections::BTreeMap<
            String,
            std::collections::BTreeSet<NaiveDate>,
        > = Default::default();
        // The days of every row read, per profile and level (`AdsDaysChanged`: the PPC rollups).
        let mut ads_days: std::collections::BTreeMap<
            (i64, String),
            std::collections::BTreeMap<Level, std::collections::BTreeSet<NaiveDate>>,
        > = Default::default();
        // Request every report not requested yet (a duplicate resumes the one in progress).
        for p in cursor.pending.iter_mut().filter(|p| p.report_id.is_none()) {
            if cx.time_left() < MARGIN {
                break;
            }
            let id = api
                .create_report(&ctx, p.profile, &request(p.level, p.start, p.end))
                .await
                .map_err(ads_error)?;
            p.report_id = Some(id);
            p.attempts += 1;
        }
        // Collect what Amazon has completed, in the order requested: the first report still
        // in preparation ends the round (those requested after it are very likely not ready
        // either), and the next round is after POLL.
        let mut i = 0;
        let mut waiting = false;
        'reports: while i < cursor.pending.len() {
            if cx.time_left() < MARGIN {
                break;
            }
            let p = cursor.pending[i].clone();
            let Some(id) = p.report_id.clone() else {
                i += 1;
                continue;
            };
            let status = api.report(&ctx, p.profile, &id).await.map_err(ads_error)?;
            match status.status {
                ReportState::Completed => {
                    let Some(url) = status.url.as_deref() else {
                        waiting = true;
                        break;
                    };
                    let reported_at = status.created_at.or(status.generated_at).unwrap_or(now);
                    // The document's rows in batches, from where an earlier step stopped.
                    let mut rows = api.report_rows(&ctx, url, p.rows_done);
                    loop {
                        if cx.time_left() < MARGIN {
                            break 'reports;
                        }
                        let batch = match rows.next().await {
                            Ok(Some(batch)) => batch,
                            Ok(None) => break,
                            // The link expired: look again in the next round (a fresh link),
                            // from the rows already written.
                            Err(AmazonError::Forbidden(_)) => {
                                waiting = true;
                                break 'reports;
                            }
                            Err(e) => return Err(ads_error(e)),
                        };
                        let days: Vec<AdsDay> = batch
                            .iter()
                            .filter_map(|row| day_of(&p, &connection, row, &id, reported_at))
                            .collect();
                        drop(batch);
                        // Every SKU day of the document, stored now or by an earlier attempt
                        // of this step that died before its events went out.
                        for d in days.iter().filter(|d| d.level == Level::Sku) {
                            spend_days
                                .entry(d.marketplace_id.clone())
                                .or_default()
                                .insert(d.date);
                        }
                        for d in &days {
                            ads_days
                                .entry((p.profile, p.marketplace.clone()))
                                .or_default()
                                .entry(d.level)
                                .or_default()
                                .insert(d.date);
                        }
                        let outcome = records::put_days(cx.store, cx.tenant, &days).await?;
                        written += outcome.iter().filter(|w| w.stored()).count() as u64;
                        cursor.pending[i].rows_done = rows.offset();
                    }
                    cursor.pending.remove(i);
                }
                ReportState::Failed => {
                    if p.attempts >= MAX_ATTEMPTS {
                        return Err(StepError::Permanent(format!(
                            "the {} report of profile {} for {}..{} failed {} times: {}",
                            report_of(p.level).0,
                            p.profile,
                            p.start,
                            p.end,
                            p.attempts,
                            status.failure_reason.unwrap_or_default()
                        )));
                    }
                    cursor.pending[i].report_id = None;
                    cursor.pending[i].rows_done = 0;
                    i += 1;
                }
                _ => {
                    waiting = true;
                    break;
                }
            }
        }
        let mut progress = state.progress;
        progress.steps_total = cursor.total;
        progress.steps_done = cursor.total - cursor.pending.len() as u64;
        progress.records_done += written;
        let mut events = crate::profit::ads::spend_changed(cx.tenant, &connection, &spend_days);
        events.extend(crate::ppc::blocks::days_changed(
            cx.tenant,
            &connection,
            &ads_days,
        ));
        if cursor.pending.is_empty() {
            return Ok(StepResult {
                events,
                ..finished(progress, written)
            });
        }
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor).unwrap_or_default(),
            progress,
            written,
            done: false,
            next_in: waiting.then_some(POLL),
            events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backfill_covers_95_days_in_windows_of_at_most_31() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let w = windows(today, true);
        assert_eq!(w.first().unwrap().0, today - Duration::days(94));
        assert_eq!(w.last().unwrap().1, today);
        let days: i64 = w.iter().map(|(s, e)| (*e - *s).num_days() + 1).sum();
        assert_eq!(days, 95);
        assert!(w.iter().all(|(s, e)| (*e - *s).num_days() < WINDOW_DAYS));
        let sweep = windows(today, false);
        assert_eq!(sweep, vec![(today - Duration::days(13), today)]);
    }
}
