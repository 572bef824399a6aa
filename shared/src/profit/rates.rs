//! Dated exchange rates, for the reporting currency.
//!
//! Source: the European Central Bank's euro foreign exchange reference rates, published each
//! TARGET working day around 16:00 CET (<https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html>;
//! the whole history as CSV in `eurofxref-hist.zip`). Each rate says how many units of a
//! currency one euro buys that day. A cross rate is the quotient of two of them; a day without
//! a publication (weekend, holiday) uses the latest earlier one, up to
//! [`MAX_LOOKBACK_DAYS`] back.
//!
//! Load them with [`load_ecb_csv`] (the CSV's text: `Date,USD,JPY,…` then one row a day, `N/A`
//! where a currency has no rate), e.g. daily from a scheduled job or once from the history file.
//! Rates are reference data, not a tenant's: key `FXRATE#EUR` / `<day>#<currency>`.

use crate::ports::store::{
    query_all, Index, ItemBuilder, ItemExt, Query, SortKey, Store, StoreError,
};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const PK: &str = "FXRATE#EUR";

/// How far back a day without a publication looks for the latest rate.
pub const MAX_LOOKBACK_DAYS: i64 = 10;

/// Stores one ECB rate: units of `currency` one euro bought on `day` (idempotent).
pub async fn put_rate(
    store: &dyn Store,
    day: NaiveDate,
    currency: &str,
    per_euro: Decimal,
) -> Result<(), StoreError> {
    if per_euro <= Decimal::ZERO {
        return Err(StoreError::Invalid(format!(
            "rate of {currency} on {day} must be positive"
        )));
    }
    store
        .put(
            ItemBuilder::new(PK, format!("{day}#{currency}"))
                .s("day", day.to_string())
                .s("currency", currency)
                .s("perEuro", per_euro.to_string())
                .build(),
            None,
        )
        .await
}

/// Splits one CSV line, honouring double quotes (the data portal quotes titles with commas).
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// The rates of an ECB CSV, parsed: either the reference-rates file (`eurofxref-hist.csv`,
/// `Date,USD,JPY,…` then one row a day, `N/A` where a currency has no rate) or the data
/// portal's `format=csvdata` answer (one row per currency and day, with `CURRENCY`,
/// `TIME_PERIOD` and `OBS_VALUE` among its columns). Empty, `N/A` and `NaN` cells are skipped.
pub fn parse_ecb_csv(text: &str) -> Result<Vec<(NaiveDate, String, Decimal)>, StoreError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = cells(
        lines
            .next()
            .ok_or_else(|| StoreError::Invalid("empty rates file".into()))?,
    );
    let col = |name: &str| header.iter().position(|h| h == name);
    let day_of = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d %B %Y"))
            .map_err(|_| StoreError::Invalid(format!("rates file: bad date {s}")))
    };
    let rate_of =
        |cell: &str, currency: &str, day: NaiveDate| -> Result<Option<Decimal>, StoreError> {
            if cell.is_empty() || cell == "N/A" || cell.eq_ignore_ascii_case("nan") {
                return Ok(None);
            }
            cell.parse().map(Some).map_err(|_| {
                StoreError::Invalid(format!(
                    "rates file: bad rate {cell} of {currency} on {day}"
                ))
            })
        };
    let mut out = vec![];
    if let (Some(c), Some(t), Some(v)) = (col("CURRENCY"), col("TIME_PERIOD"), col("OBS_VALUE")) {
        for line in lines {
            let row = cells(line);
            let (Some(currency), Some(day), Some(value)) = (row.get(c), row.get(t), row.get(v))
            else {
                continue;
            };
            let day = day_of(day)?;
            if let Some(r) = rate_of(value, currency, day)? {
                out.push((day, currency.clone(), r));
            }
        }
        return Ok(out);
    }
    if header.first().map(String::as_str) != Some("Date") {
        return Err(StoreError::Invalid(
            "rates file: the first column must be Date (or TIME_PERIOD, OBS_VALUE)".into(),
        ));
    }
    for line in lines {
        let row = cells(line);
        let day = day_of(&row[0])?;
        for (currency, cell) in header.iter().zip(&row).skip(1) {
            if currency.is_empty() {
                continue;
            }
            if let Some(r) = rate_of(cell, currency, day)? {
                out.push((day, currency.clone(), r));
            }
        }
    }
    Ok(out)
}

/// Stores rates (idempotent: a day's rate of a currency has one key and the ECB never revises
/// it), 25 at a time; returns how many were stored.
pub async fn put_rates(
    store: &dyn Store,
    rates: &[(NaiveDate, String, Decimal)],
) -> Result<usize, StoreError> {
    for (day, currency, r) in rates {
        if *r <= Decimal::ZERO {
            return Err(StoreError::Invalid(format!(
                "rate of {currency} on {day} must be positive"
            )));
        }
    }
    for chunk in rates.chunks(25) {
        store
            .batch_write(
                chunk
                    .iter()
                    .map(|(day, currency, r)| {
                        crate::ports::store::WriteOp::Put(
                            ItemBuilder::new(PK, format!("{day}#{currency}"))
                                .s("day", day.to_string())
                                .s("currency", currency.as_str())
                                .s("perEuro", r.to_string())
                                .build(),
                        )
                    })
                    .collect(),
            )
            .await?;
    }
    Ok(rates.len())
}

/// Loads an ECB CSV ([`parse_ecb_csv`]'s two formats); returns how many rates were stored.
pub async fn load_ecb_csv(store: &dyn Store, text: &str) -> Result<usize, StoreError> {
    put_rates(store, &parse_ecb_csv(text)?).await
}

/// The latest day with a stored rate (`None` before any load).
pub async fn latest_day(store: &dyn Store) -> Result<Option<NaiveDate>, StoreError> {
    let page = store
        .query(Query::partition(Index::Table, PK).backward().limit(1))
        .await?;
    Ok(page
        .items
        .first()
        .and_then(|i| i.opt_s("day"))
        .and_then(|d| d.parse().ok()))
}

/// The rates of a span of days, read once, to convert many figures.
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    /// currency → day → units per euro.
    per_euro: BTreeMap<String, BTreeMap<NaiveDate, Decimal>>,
}

impl RateTable {
    /// Reads the rates of `[from − lookback, to]`.
    pub async fn load(
        store: &dyn Store,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Self, StoreError> {
        let q = Query::partition(Index::Table, PK).sk(SortKey::Between(
            (from - Duration::days(MAX_LOOKBACK_DAYS)).to_string(),
            format!("{to}~"),
        ));
        let mut t = RateTable::default();
        for i in query_all(store, q).await? {
            let day: NaiveDate = i
                .s("day")?
                .parse()
                .map_err(|_| StoreError::Corrupt("day".into()))?;
            let rate: Decimal = i
                .s("perEuro")?
                .parse()
                .map_err(|_| StoreError::Corrupt("perEuro".into()))?;
            t.per_euro
                .entry(i.s("currency")?)
                .or_default()
                .insert(day, rate);
        }
        Ok(t)
    }

    /// A table from given rates (tests, tools).
    pub fn from_rates(rates: impl IntoIterator<Item = (NaiveDate, String, Decimal)>) -> Self {
        let mut t = RateTable::default();
        for (d, c, r) in rates {
            t.per_euro.entry(c).or_default().insert(d, r);
        }
        t
    }

    fn per_euro(&self, currency: &str, day: NaiveDate) -> Option<Decimal> {
        if currency == "EUR" {
            return Some(Decimal::ONE);
        }
        let days = self.per_euro.get(currency)?;
        let (d, r) = days.range(..=day).next_back()?;
        ((day - *d).num_days() <= MAX_LOOKBACK_DAYS).then_some(*r)
    }

    /// How many units of `to` one unit of `from` is worth on `day` (1 for the same
    /// currency); `None` without a rate in the lookback.
    pub fn rate(&self, from: &str, to: &str, day: NaiveDate) -> Option<Decimal> {
        if from == to {
            return Some(Decimal::ONE);
        }
        let f = self.per_euro(from, day)?;
        let t = self.per_euro(to, day)?;
        t.checked_div(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn cross_rates_go_through_the_euro_and_weekends_use_friday() {
        let t = RateTable::from_rates([
            (d("2026-03-06"), "USD".into(), "1.0800".parse().unwrap()),
            (d("2026-03-06"), "GBP".into(), "0.8400".parse().unwrap()),
        ]);
        // Saturday uses Friday's publication.
        let usd_gbp = t.rate("USD", "GBP", d("2026-03-07")).unwrap();
        assert_eq!(
            (usd_gbp * Decimal::from(108)).round_dp(10),
            Decimal::from(84)
        );
        assert_eq!(
            t.rate("EUR", "USD", d("2026-03-06")),
            Some("1.08".parse().unwrap())
        );
        assert_eq!(t.rate("GBP", "GBP", d("2020-01-01")), Some(Decimal::ONE));
        // Too old, or before any publication: no rate, never a guess.
        assert_eq!(t.rate("USD", "GBP", d("2026-03-30")), None);
        assert_eq!(t.rate("USD", "GBP", d("2026-03-01")), None);
    }
}
