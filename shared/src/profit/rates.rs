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

/// Loads the ECB's CSV (daily or history file); returns how many rates were stored.
pub async fn load_ecb_csv(store: &dyn Store, text: &str) -> Result<usize, StoreError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| StoreError::Invalid("empty rates file".into()))?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    if header.first().map(String::as_str) != Some("Date") {
        return Err(StoreError::Invalid(
            "rates file: the first column must be Date".into(),
        ));
    }
    let mut n = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let day = NaiveDate::parse_from_str(cells[0], "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(cells[0], "%d %B %Y"))
            .map_err(|_| StoreError::Invalid(format!("rates file: bad date {}", cells[0])))?;
        for (currency, cell) in header.iter().zip(&cells).skip(1) {
            if currency.is_empty() || cell.is_empty() || *cell == "N/A" {
                continue;
            }
            let rate: Decimal = cell.parse().map_err(|_| {
                StoreError::Invalid(format!(
                    "rates file: bad rate {cell} of {currency} on {day}"
                ))
            })?;
            put_rate(store, day, currency, rate).await?;
            n += 1;
        }
    }
    Ok(n)
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
