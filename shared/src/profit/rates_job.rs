//! Loading the ECB's reference rates on a schedule.
//!
//! A daily EventBridge schedule (`ExchangeRatesSchedule` in the template, 16:30 UTC, after
//! the ECB publishes around 16:00 CET) puts an [`DETAIL_TYPE`] message on the rollups queue;
//! the rollups job ([`super::job`]) hands it to [`refresh`], which asks the ECB data portal
//! (`detail.source`, default [`ECB_DATA_URL`]) for every rate published since ten days before
//! the latest one stored (or [`FIRST_LOAD_DAYS`] back on the first run), in its
//! `format=csvdata` answer, and stores them with [`super::rates::put_rates`]. A rate has one
//! key per day and currency, so a repeated or overlapping load changes nothing; a failed load
//! leaves the message for the queue to retry. The local runner sends the same message daily
//! (to the stand-in's copy of the data portal when it runs against the stand-in).
//!
//! Without a rate for a figure's day (nothing loaded yet, or a currency the ECB does not
//! publish: AED, SAR, EGP), a figure asked for in the reporting currency is never guessed:
//! the profit API answers 409 naming the currency pair and the day.

use super::rates;
use crate::ports::store::{Store, StoreError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

/// The message's `detail-type` (source `beddora.schedule`).
pub const DETAIL_TYPE: &str = "ExchangeRatesDue";

/// Every daily reference rate against the euro, on the ECB's data portal.
pub const ECB_DATA_URL: &str = "https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A";

/// How far back the first load goes (orders are synced two years back).
pub const FIRST_LOAD_DAYS: i64 = 3 * 365;

/// What a load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub from: NaiveDate,
    pub rates: usize,
    pub latest: Option<NaiveDate>,
}

/// The schedule's message (an EventBridge envelope), as the template's input transformer and
/// the local runner write it.
pub fn message(at: DateTime<Utc>, source: Option<&str>) -> String {
    json!({
        "version": "0", "id": format!("rates-{}", at.timestamp()), "source": "beddora.schedule",
        "detail-type": DETAIL_TYPE, "time": at.to_rfc3339(),
        "detail": {"source": source.unwrap_or(ECB_DATA_URL)},
    })
    .to_string()
}

/// Loads the rates published since the last load (see the module); `today` is the schedule's
/// time.
pub async fn refresh(
    store: &dyn Store,
    source: &str,
    today: NaiveDate,
) -> Result<Refreshed, StoreError> {
    let from = match rates::latest_day(store).await? {
        Some(d) => d - Duration::days(10),
        None => today - Duration::days(FIRST_LOAD_DAYS),
    };
    let res = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
        .get(source)
        .query(&[("format", "csvdata"), ("startPeriod", &from.to_string())])
        .send()
        .await
        .map_err(|e| StoreError::Unavailable(format!("ECB rates: {e}")))?;
    let status = res.status();
    // The data portal answers 404 "No results found." when nothing was published since.
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(Refreshed {
            from,
            rates: 0,
            latest: rates::latest_day(store).await?,
        });
    }
    if !status.is_success() {
        return Err(StoreError::Unavailable(format!(
            "ECB rates: the data portal answered {status}"
        )));
    }
    let text = res
        .text()
        .await
        .map_err(|e| StoreError::Unavailable(format!("ECB rates: {e}")))?;
    let wanted: Vec<(NaiveDate, String, rust_decimal::Decimal)> = rates::parse_ecb_csv(&text)?
        .into_iter()
        .filter(|(_, c, _)| crate::marketplaces::CURRENCIES.iter().any(|x| x.code == c))
        .collect();
    let n = rates::put_rates(store, &wanted).await?;
    Ok(Refreshed {
        from,
        rates: n,
        latest: rates::latest_day(store).await?,
    })
}

/// Handles the schedule's message (`detail.source` optional).
pub async fn apply(
    store: &dyn Store,
    time: DateTime<Utc>,
    detail: &Value,
) -> Result<Refreshed, StoreError> {
    let source = detail["source"].as_str().unwrap_or(ECB_DATA_URL);
    refresh(store, source, time.date_naive()).await
}
