//! The European Central Bank's euro reference rates, as its data portal serves them
//! (`GET https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A?format=csvdata&startPeriod=…`):
//! one CSV row per currency and TARGET working day, grouped by series, `TIME_PERIOD` and
//! `OBS_VALUE` among the SDMX dimension columns, a quoted title with commas in it, and
//! `404 No results found.` when nothing matches (a weekend asked for alone).
//!
//! The rates are a pure function of the currency and the day ([`per_euro`]), published for
//! working days up to the stand-in's clock (the ECB publishes around 16:00 CET; here a day is
//! published from 15:00 UTC), so tests compute what a figure converted at "the rate of its day"
//! must be without asking the server.

use crate::server::Shared;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, Duration, NaiveDate, Timelike, Weekday};
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The currencies the ECB publishes a reference rate for, with a typical rate and the decimals
/// it publishes (AED, SAR and EGP have none: a figure in them cannot be converted).
pub const CURRENCIES: [(&str, &str, u32); 13] = [
    ("USD", "1.0800", 4),
    ("JPY", "160.00", 2),
    ("GBP", "0.85500", 5),
    ("SEK", "11.3000", 4),
    ("PLN", "4.3300", 4),
    ("CAD", "1.4700", 4),
    ("MXN", "18.5000", 4),
    ("BRL", "5.6000", 4),
    ("AUD", "1.6300", 4),
    ("SGD", "1.4500", 4),
    ("INR", "89.5000", 4),
    ("TRY", "35.0000", 4),
    ("ZAR", "20.0000", 4),
];

/// Whether the ECB publishes rates on `day` (TARGET working days: not weekends, New Year,
/// Labour Day or Christmas).
pub fn published(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        && !matches!(
            (day.month(), day.day()),
            (1, 1) | (5, 1) | (12, 25) | (12, 26)
        )
}

/// Units of `currency` one euro bought on `day` (`None` on a day without publication or for
/// a currency the ECB does not publish).
pub fn per_euro(currency: &str, day: NaiveDate) -> Option<Decimal> {
    if !published(day) {
        return None;
    }
    let (_, base, dp) = CURRENCIES.iter().find(|(c, _, _)| *c == currency)?;
    let base: Decimal = base.parse().ok()?;
    let h = Sha256::digest(format!("ecb#{currency}#{day}").as_bytes());
    // Within ±2% of the typical rate.
    let wiggle = (i64::from(h[0]) * 256 + i64::from(h[1])) % 401 - 200;
    Some((base * (Decimal::ONE + Decimal::new(wiggle, 4))).round_dp(*dp))
}

/// The latest published rate on or before `day` (what a figure of a weekend uses), looking
/// back up to ten days.
pub fn rate_of_day(currency: &str, day: NaiveDate) -> Option<Decimal> {
    (0..=10).find_map(|back| per_euro(currency, day - Duration::days(back)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataQuery {
    start_period: Option<String>,
    end_period: Option<String>,
    format: Option<String>,
}

/// The columns the data portal sends, up to the title (a subset of its full list).
const HEADER: &str = "KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS,OBS_CONF,DECIMALS,TITLE,TITLE_COMPL,UNIT,UNIT_MULT";

async fn data(
    State(st): State<Shared>,
    Path(key): Path<String>,
    Query(q): Query<DataQuery>,
) -> Response {
    if q.format.as_deref() != Some("csvdata") {
        return (
            StatusCode::NOT_ACCEPTABLE,
            "the stand-in serves format=csvdata only",
        )
            .into_response();
    }
    // D.<currencies joined by + or empty>.EUR.SP00.A
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() != 5 || parts[0] != "D" || parts[2] != "EUR" || parts[3] != "SP00" {
        return (StatusCode::NOT_FOUND, "No results found.").into_response();
    }
    let wanted: Vec<&str> = if parts[1].is_empty() {
        CURRENCIES.iter().map(|(c, _, _)| *c).collect()
    } else {
        parts[1].split('+').collect()
    };
    let now = st.now();
    let mut last = now.date_naive();
    if now.hour() < 15 {
        last -= Duration::days(1);
    }
    if let Some(e) = q.end_period.as_deref().and_then(|d| d.parse().ok()) {
        last = last.min(e);
    }
    let first: NaiveDate = q
        .start_period
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(last - Duration::days(365 * 3));
    let mut out = String::from(HEADER);
    out.push('\n');
    let mut rows = 0;
    for c in wanted {
        let Some((_, _, dp)) = CURRENCIES.iter().find(|(x, _, _)| *x == c) else {
            continue;
        };
        let mut d = first;
        while d <= last {
            if let Some(r) = per_euro(c, d) {
                out.push_str(&format!(
                    "EXR.D.{c}.EUR.SP00.A,D,{c},EUR,SP00,A,{d},{r},A,F,{dp},{c}/Euro,\"ECB reference exchange rate, {c}/Euro, 2:15 pm (C.E.T.)\",{c},0\n"
                ));
                rows += 1;
            }
            d += Duration::days(1);
        }
    }
    if rows == 0 {
        return (StatusCode::NOT_FOUND, "No results found.").into_response();
    }
    ([(header::CONTENT_TYPE, "text/csv")], out).into_response()
}

pub fn routes() -> Router<Shared> {
    Router::new().route("/service/data/EXR/{key}", get(data))
}
