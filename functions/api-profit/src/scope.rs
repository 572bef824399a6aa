//! What a profit request covers: the account (from the verified membership), its
//! marketplaces (one, a connection's, or every one with figures), the view (order date or
//! posted date), the output currency (the account's reporting currency, or a single
//! marketplace's own with `currency=native`), an optional SKU, and the clock.

use crate::{context, READ};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use shared::connections::Connections;
use shared::costs::periods::{self, Days, Period};
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser};
use shared::identity::tenancy::Context;
use shared::profit::rates::RateTable;
use shared::profit::{settings, View};
use std::collections::HashMap;
use std::sync::Mutex;

/// The query every figure call accepts (unknown parameters are ignored, empty ones absent).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfitQuery {
    pub account_id: Option<String>,
    pub amazon_account_id: Option<String>,
    pub marketplace_id: Option<String>,
    pub sku: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// Granularity (`day`, `week`, `month`, …) or, where a call has none, a named range.
    pub period: Option<String>,
    /// A named range: today, yesterday, 7days, 14days, 30days, mtd, lastMonth, custom.
    pub range: Option<String>,
    /// `order` (default) or `posted` (cash).
    pub view: Option<String>,
    /// `reporting` (default) or `native` (one marketplace's own currency).
    pub currency: Option<String>,
    pub metric: Option<String>,
    pub interval: Option<String>,
    pub periods: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

/// A marketplace in scope.
#[derive(Debug, Clone)]
pub struct Market {
    pub id: String,
    pub tz: Tz,
    pub currency: String,
    pub country: String,
    pub name: String,
}

impl Market {
    pub fn of(id: &str) -> Option<Market> {
        let m = shared::marketplaces::by_id(id)?;
        Some(Market {
            id: m.id.to_string(),
            tz: periods::zone(m.time_zone),
            currency: m.currency.to_string(),
            country: if m.country_code == "UK" {
                "GB".into()
            } else {
                m.country_code.to_string()
            },
            name: m.name.to_string(),
        })
    }
}

pub struct Scope {
    pub ctx: Context,
    pub view: View,
    pub markets: Vec<Market>,
    /// A marketplace (or connection) was asked for: account-level expenses stay out.
    pub filtered: bool,
    pub currency: String,
    pub reporting_currency: String,
    pub sku: Option<String>,
    pub now: DateTime<Utc>,
    rates: Mutex<Option<(NaiveDate, NaiveDate, RateTable)>>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Scope {
    pub async fn resolve(state: &AppState, auth: &AuthUser, q: &ProfitQuery) -> Result<Scope> {
        let ctx = context(state, auth, q.account_id.as_deref(), READ).await?;
        let s = state.store.as_ref();
        let view = match blank(&q.view).map(str::to_ascii_lowercase).as_deref() {
            None | Some("order" | "order-date" | "orderdate") => View::OrderDate,
            Some("posted" | "posted-date" | "posteddate" | "cash") => View::PostedDate,
            Some(_) => return Err(Error::validation("view", "must be order or posted")),
        };
        let (markets, filtered) = if let Some(m) = blank(&q.marketplace_id) {
            let id = shared::marketplaces::by_id(m)
                .or_else(|| shared::marketplaces::by_country(m))
                .map(|x| x.id)
                .ok_or_else(|| {
                    Error::validation("marketplaceId", "must be an Amazon marketplace id")
                })?;
            (vec![Market::of(id).expect("known marketplace")], true)
        } else if let Some(a) = blank(&q.amazon_account_id) {
            let not_found = || Error::NotFound("Amazon account not found".into());
            let id = AmazonAccountId::parse(a).map_err(|_| not_found())?;
            let conn = Connections::new(s, state.secrets.as_ref(), &state.config.secret_prefix)
                .find(ctx.tenant(), &id)
                .await?
                .ok_or_else(not_found)?;
            (
                conn.marketplace_ids
                    .iter()
                    .filter_map(|m| Market::of(m))
                    .collect(),
                true,
            )
        } else {
            let mut ids = shared::profit::rollup::marketplaces(s, ctx.tenant()).await?;
            ids.sort();
            (ids.iter().filter_map(|m| Market::of(m)).collect(), false)
        };
        let reporting_currency = settings::reporting_currency(s, ctx.tenant()).await?;
        let currency = match blank(&q.currency).map(str::to_ascii_lowercase).as_deref() {
            None | Some("reporting") => reporting_currency.clone(),
            Some("native") => match markets.as_slice() {
                [one] => one.currency.clone(),
                _ => {
                    return Err(Error::validation(
                        "currency",
                        "native needs one marketplace (marketplaceId)",
                    ))
                }
            },
            Some(_) => return Err(Error::validation("currency", "must be reporting or native")),
        };
        let sku = blank(&q.sku).map(str::to_string);
        if sku.as_ref().is_some_and(|s| s.len() > 100) {
            return Err(Error::validation("sku", "must be at most 100 characters"));
        }
        Ok(Scope {
            ctx,
            view,
            markets,
            filtered,
            currency,
            reporting_currency,
            sku,
            now: state.clock.now(),
            rates: Mutex::new(None),
        })
    }

    /// The local days of a period in a marketplace.
    pub fn days(&self, m: &Market, p: Period) -> Days {
        p.days(self.now.with_timezone(&m.tz).date_naive())
    }

    /// The days of account-level expenses: the first marketplace's (UTC without one).
    pub fn account_days(&self, p: Period) -> Days {
        match self.markets.first() {
            Some(m) => self.days(m, p),
            None => p.days(self.now.date_naive()),
        }
    }

    /// The widest local days of a period over the scope's marketplaces.
    pub fn span(&self, p: Period) -> Days {
        let mut d = self.account_days(p);
        for m in &self.markets {
            let x = self.days(m, p);
            d.start = d.start.min(x.start);
            d.end = d.end.max(x.end);
        }
        d
    }

    /// Loads the exchange rates of a span of days (once per request, widened as needed).
    pub async fn load_rates(
        &self,
        s: &dyn shared::ports::Store,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<()> {
        let have = self
            .rates
            .lock()
            .expect("rates")
            .as_ref()
            .map(|(a, b, _)| (*a, *b));
        if have.is_some_and(|(a, b)| a <= from && to <= b) {
            return Ok(());
        }
        let (from, to) = match have {
            Some((a, b)) => (a.min(from), b.max(to)),
            None => (from, to),
        };
        let t = RateTable::load(s, from, to).await?;
        *self.rates.lock().expect("rates") = Some((from, to, t));
        Ok(())
    }

    /// An amount in `from` on `day`, in the output currency.
    pub fn convert(&self, amount: Decimal, from: &str, day: NaiveDate) -> Result<Decimal> {
        if from == self.currency || amount.is_zero() {
            return Ok(amount);
        }
        let guard = self.rates.lock().expect("rates");
        let rate = guard
            .as_ref()
            .and_then(|(_, _, t)| t.rate(from, &self.currency, day));
        rate.map(|r| amount * r)
            .ok_or_else(|| missing_rate(from, &self.currency, day))
    }

    /// The currency COGS entered for a marketplace is in (that marketplace's; account-wide
    /// entries are in the reporting currency).
    pub fn cost_currency(&self, marketplace_id: Option<&str>) -> String {
        marketplace_id
            .and_then(shared::marketplaces::by_id)
            .map(|m| m.currency.to_string())
            .unwrap_or_else(|| self.reporting_currency.clone())
    }

    pub fn market(&self, id: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.id == id)
    }
}

pub fn missing_rate(from: &str, to: &str, day: NaiveDate) -> Error {
    Error::Conflict(format!(
        "No exchange rate from {from} to {to} for {day}: load the rates, or ask for one marketplace with currency=native"
    ))
}

/// The marketplaces' days of a period, by marketplace id.
pub fn days_by_market(scope: &Scope, p: Period) -> HashMap<String, Days> {
    scope
        .markets
        .iter()
        .map(|m| (m.id.clone(), scope.days(m, p)))
        .collect()
}
