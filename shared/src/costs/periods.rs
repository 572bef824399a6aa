//! Reporting periods. A period is a range of calendar days, and a day is the marketplace's
//! local day (America/Los_Angeles for the US, Europe/London for the UK, …), as Amazon counts
//! them: "today" in Tokyo is not "today" in Seattle, so relative periods are resolved per
//! marketplace from the same instant.

use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Which days a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Today,
    Yesterday,
    /// The last n days, today included (7, 14, 30, …).
    LastDays(u32),
    MonthToDate,
    LastMonth,
    /// Explicit local days, both inclusive.
    Custom(NaiveDate, NaiveDate),
}

/// An inclusive range of local calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Days {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
    pub fn len(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }
    pub fn iter(&self) -> impl Iterator<Item = NaiveDate> {
        let (s, e) = (self.start, self.end);
        (0..=(e - s).num_days().max(-1)).map(move |i| s + Duration::days(i))
    }
}

/// The longest range a report may cover (two years and a bit: the backfill's depth).
pub const MAX_DAYS: i64 = 800;

/// Parses a `YYYY-MM-DD` day (a full ISO timestamp is accepted and its date part used).
pub fn parse_day(field: &str, raw: &str) -> Result<NaiveDate> {
    let text = raw.trim();
    let date_part = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .map_err(|_| Error::validation(field, "must be a date (YYYY-MM-DD)"))
}

impl Period {
    /// A named period (`today`, `yesterday`, `7days`, `14days`, `30days`, `mtd`, `lastMonth`,
    /// also `last7days`, `month-to-date`, `last-month`), or `None` for an unknown name.
    pub fn named(name: &str) -> Option<Period> {
        let n = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Some(match n.as_str() {
            "today" => Period::Today,
            "yesterday" => Period::Yesterday,
            "mtd" | "month-to-date" | "monthtodate" => Period::MonthToDate,
            "last-month" | "lastmonth" => Period::LastMonth,
            _ => {
                let digits = n
                    .trim_start_matches("last")
                    .trim_start_matches('-')
                    .trim_end_matches("days")
                    .trim_end_matches("-days")
                    .trim_end_matches('d')
                    .trim_end_matches('-');
                let days: u32 = digits.parse().ok()?;
                if days == 0 || i64::from(days) > MAX_DAYS {
                    return None;
                }
                Period::LastDays(days)
            }
        })
    }

    /// The period of a request: `range` names one, else `startDate`+`endDate` are custom days;
    /// with neither, `default`.
    pub fn from_query<'a>(
        range: Option<&'a str>,
        start: Option<&'a str>,
        end: Option<&'a str>,
        default: Period,
    ) -> Result<Period> {
        fn blank(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        if let Some(name) = blank(range) {
            if name.eq_ignore_ascii_case("custom") {
                return Self::custom(blank(start), blank(end));
            }
            return Period::named(name).ok_or_else(|| {
                Error::validation(
                    "range",
                    "must be today, yesterday, 7days, 14days, 30days, mtd, lastMonth or custom",
                )
            });
        }
        match (blank(start), blank(end)) {
            (None, None) => Ok(default),
            (s, e) => Self::custom(s, e),
        }
    }

    fn custom(start: Option<&str>, end: Option<&str>) -> Result<Period> {
        let mut v = crate::error::Validator::new();
        let s = start.map(|s| parse_day("startDate", s));
        let e = end.map(|e| parse_day("endDate", e));
        v.check(s.is_some(), "startDate", "is required with endDate");
        v.check(e.is_some(), "endDate", "is required with startDate");
        for r in [&s, &e].into_iter().flatten() {
            if let Err(Error::Validation { details, .. }) = r {
                for d in details {
                    v.push(&d.field, d.message.clone());
                }
            }
        }
        v.finish()?;
        let (s, e) = (s.unwrap()?, e.unwrap()?);
        if e < s {
            return Err(Error::validation("endDate", "must not be before startDate"));
        }
        if (e - s).num_days() + 1 > MAX_DAYS {
            return Err(Error::validation(
                "endDate",
                format!("a report covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(Period::Custom(s, e))
    }

    /// The local days of the period for a marketplace whose local date is `today`.
    pub fn days(self, today: NaiveDate) -> Days {
        match self {
            Period::Today => Days {
                start: today,
                end: today,
            },
            Period::Yesterday => {
                let y = today - Duration::days(1);
                Days { start: y, end: y }
            }
            Period::LastDays(n) => Days {
                start: today - Duration::days(i64::from(n) - 1),
                end: today,
            },
            Period::MonthToDate => Days {
                start: today.with_day(1).expect("day 1 exists"),
                end: today,
            },
            Period::LastMonth => {
                let first = today.with_day(1).expect("day 1 exists");
                let last = first - Duration::days(1);
                Days {
                    start: last.with_day(1).expect("day 1 exists"),
                    end: last,
                }
            }
            Period::Custom(s, e) => Days { start: s, end: e },
        }
    }

    /// The local days of the period in a marketplace's zone at `now`.
    pub fn days_in(self, time_zone: &str, now: DateTime<Utc>) -> Days {
        self.days(local_date(time_zone, now))
    }
}

/// A marketplace's zone (UTC for an unknown one).
pub fn zone(time_zone: &str) -> Tz {
    time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// The zone of a marketplace id (UTC if unknown).
pub fn zone_of(marketplace_id: &str) -> Tz {
    crate::marketplaces::by_id(marketplace_id)
        .map(|m| zone(m.time_zone))
        .unwrap_or(chrono_tz::UTC)
}

/// The local calendar date of an instant in a zone.
pub fn local_date(time_zone: &str, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone(time_zone)).date_naive()
}

/// The local date of an instant in a marketplace (Amazon's day of it).
pub fn marketplace_day(marketplace_id: &str, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone_of(marketplace_id)).date_naive()
}

/// The instant a local day starts (its first existing local instant, across DST gaps).
pub fn day_start(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.with_timezone(&Utc)
        }
        chrono::LocalResult::None => {
            // Midnight skipped by a DST jump: the day starts an hour later.
            let one = d.and_hms_opt(1, 0, 0).expect("1 am");
            tz.from_local_datetime(&one)
                .earliest()
                .expect("1 am exists")
                .with_timezone(&Utc)
        }
    }
}

/// The UTC instants `[start, end)` of local days in a zone.
pub fn instants(tz: Tz, days: Days) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        day_start(tz, days.start),
        day_start(tz, days.end + Duration::days(1)),
    )
}

/// Granularity of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Bucket {
    pub fn parse(raw: Option<&str>, default: Bucket) -> Result<Bucket> {
        Ok(
            match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
                None | Some("") => default,
                Some("day" | "daily") => Bucket::Day,
                Some("week" | "weekly") => Bucket::Week,
                Some("month" | "monthly") => Bucket::Month,
                Some("quarter") => Bucket::Quarter,
                Some("year") => Bucket::Year,
                Some(_) => {
                    return Err(Error::validation(
                        "period",
                        "must be day, week, month, quarter or year",
                    ))
                }
            },
        )
    }

    /// The bucket label of a day: `2026-03-05`, the Monday of its ISO week, `2026-03`,
    /// `2026-Q1`, `2026`.
    pub fn key(self, d: NaiveDate) -> String {
        match self {
            Bucket::Day => d.format("%Y-%m-%d").to_string(),
            Bucket::Week => {
                let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                monday.format("%Y-%m-%d").to_string()
            }
            Bucket::Month => d.format("%Y-%m").to_string(),
            Bucket::Quarter => format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
            Bucket::Year => d.year().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn named_periods_resolve_to_local_days() {
        let today = d("2026-03-15");
        assert_eq!(Period::named("today").unwrap().days(today).start, today);
        assert_eq!(
            Period::named("yesterday").unwrap().days(today).end,
            d("2026-03-14")
        );
        let seven = Period::named("7days").unwrap().days(today);
        assert_eq!((seven.start, seven.len()), (d("2026-03-09"), 7));
        assert_eq!(Period::named("30days").unwrap().days(today).len(), 30);
        assert_eq!(
            Period::named("mtd").unwrap().days(today).start,
            d("2026-03-01")
        );
        let last = Period::named("lastMonth").unwrap().days(today);
        assert_eq!((last.start, last.end), (d("2026-02-01"), d("2026-02-28")));
        assert!(Period::named("fortnight").is_none());
    }

    #[test]
    fn today_differs_by_marketplace_zone() {
        // 06:30 UTC on 15 March: still the 14th in Los Angeles, the 15th in London.
        let now = Utc.with_ymd_and_hms(2026, 3, 15, 6, 30, 0).unwrap();
        assert_eq!(
            Period::Today.days_in("America/Los_Angeles", now).start,
            d("2026-03-14")
        );
        assert_eq!(
            Period::Today.days_in("Europe/London", now).start,
            d("2026-03-15")
        );
    }

    #[test]
    fn days_across_dst_have_their_real_length() {
        let la = zone("America/Los_Angeles");
        // 8 March 2026: US clocks spring forward; the day has 23 hours.
        let (s, e) = instants(
            la,
            Days {
                start: d("2026-03-08"),
                end: d("2026-03-08"),
            },
        );
        assert_eq!((e - s).num_hours(), 23);
        let london = zone("Europe/London");
        // 25 October 2026: UK clocks fall back; the day has 25 hours.
        let (s, e) = instants(
            london,
            Days {
                start: d("2026-10-25"),
                end: d("2026-10-25"),
            },
        );
        assert_eq!((e - s).num_hours(), 25);
    }

    #[test]
    fn custom_ranges_are_validated() {
        assert!(
            Period::from_query(None, Some("2026-01-02"), Some("2026-01-01"), Period::Today)
                .is_err()
        );
        assert!(Period::from_query(None, Some("nope"), Some("2026-01-01"), Period::Today).is_err());
        assert!(Period::from_query(None, Some("2026-01-01"), None, Period::Today).is_err());
        assert_eq!(
            Period::from_query(None, Some("2026-01-01"), Some("2026-01-31"), Period::Today)
                .unwrap(),
            Period::Custom(d("2026-01-01"), d("2026-01-31"))
        );
        assert_eq!(
            Period::from_query(Some("14days"), None, None, Period::Today).unwrap(),
            Period::LastDays(14)
        );
        assert!(Period::from_query(Some("forever"), None, None, Period::Today).is_err());
    }
}
