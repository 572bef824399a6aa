//! Indirect expenses: one-off or recurring (weekly, monthly, yearly), with a category, in a
//! currency, allocated to the whole account, to one marketplace, or to SKUs by percentage
//! (the percentages sum to at most 100; what is left stays with the account or marketplace).
//!
//! An expense counts on the days it occurs: a one-off on its date, a recurring one on each
//! anniversary of its first date (the same weekday, day of month, or date each year; a day of
//! month that a month lacks falls on its last day) until its end date, if any.

use super::Record;
use crate::error::{Error, Result, Validator};
use crate::keys::CostRecord;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpenseType {
    #[serde(rename = "one-time")]
    OneTime,
    #[serde(rename = "recurring")]
    Recurring,
    /// A fixed cost: recurring, monthly unless said otherwise.
    #[serde(rename = "fixed")]
    Fixed,
}

impl ExpenseType {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(
            match raw
                .trim()
                .to_ascii_lowercase()
                .replace(['_', ' '], "-")
                .as_str()
            {
                "one-time" | "onetime" | "one-off" | "once" => ExpenseType::OneTime,
                "recurring" => ExpenseType::Recurring,
                "fixed" => ExpenseType::Fixed,
                _ => return None,
            },
        )
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ExpenseType::OneTime => "one-time",
            ExpenseType::Recurring => "recurring",
            ExpenseType::Fixed => "fixed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recurrence {
    Weekly,
    Monthly,
    Yearly,
}

impl Recurrence {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim().to_ascii_lowercase().as_str() {
            "weekly" | "week" => Recurrence::Weekly,
            "monthly" | "month" => Recurrence::Monthly,
            "yearly" | "year" | "annually" | "annual" => Recurrence::Yearly,
            _ => return None,
        })
    }
}

/// A share of an expense for one SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub sku: String,
    pub percentage: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expense {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ExpenseType,
    /// For recurring and fixed expenses.
    pub recurrence: Option<Recurrence>,
    pub category: String,
    pub amount: Decimal,
    pub currency: String,
    pub marketplace_id: Option<String>,
    pub allocated_products: Vec<Allocation>,
    pub description: Option<String>,
    /// The (first) day it is incurred.
    pub incurred_at: NaiveDate,
    /// The last day a recurring expense may occur.
    pub ends_at: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Record for Expense {
    const KIND: CostRecord = CostRecord::Expense;
    fn id(&self) -> &str {
        &self.id
    }
}

/// The same day of month in another month, or that month's last day.
fn day_in_month(year: i32, month: u32, day: u32) -> NaiveDate {
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
        .expect("every month has a first day")
}

impl Expense {
    pub fn recurrence(&self) -> Option<Recurrence> {
        match self.kind {
            ExpenseType::OneTime => None,
            ExpenseType::Recurring | ExpenseType::Fixed => {
                Some(self.recurrence.unwrap_or(Recurrence::Monthly))
            }
        }
    }

    /// The days in `[from, to]` on which the expense occurs.
    pub fn occurrences(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let last = self.ends_at.map_or(to, |e| e.min(to));
        let first = self.incurred_at;
        if last < first || last < from {
            return vec![];
        }
        let Some(rec) = self.recurrence() else {
            return if from <= first && first <= last {
                vec![first]
            } else {
                vec![]
            };
        };
        let mut out = vec![];
        match rec {
            Recurrence::Weekly => {
                // Skip whole weeks before `from`.
                let skip = if from > first {
                    (from - first).num_days() / 7
                } else {
                    0
                };
                let mut d = first + Duration::weeks(skip);
                while d <= last {
                    if d >= from {
                        out.push(d);
                    }
                    d += Duration::weeks(1);
                }
            }
            Recurrence::Monthly | Recurrence::Yearly => {
                let step = if rec == Recurrence::Monthly { 1 } else { 12 };
                let start_index = (first.year() * 12 + first.month0() as i32) as i64;
                let from_index = (from.year() * 12 + from.month0() as i32) as i64;
                let mut k: i64 = if from_index > start_index {
                    ((from_index - start_index) / step - 1).max(0)
                } else {
                    0
                };
                loop {
                    let idx = start_index + k * step;
                    let (y, m) = ((idx / 12) as i32, (idx % 12) as u32 + 1);
                    let d = day_in_month(y, m, first.day());
                    if d > last {
                        break;
                    }
                    if d >= from {
                        out.push(d);
                    }
                    k += 1;
                }
            }
        }
        out
    }

    /// The amount incurred in `[from, to]`.
    pub fn amount_in(&self, from: NaiveDate, to: NaiveDate) -> Decimal {
        self.amount * Decimal::from(self.occurrences(from, to).len())
    }

    /// The share of one SKU (its percentage of the amount), zero if not allocated to it.
    pub fn share_of(&self, sku: &str) -> Decimal {
        self.allocated_products
            .iter()
            .filter(|a| a.sku == sku)
            .map(|a| a.percentage)
            .sum::<Decimal>()
            / Decimal::ONE_HUNDRED
    }

    /// The share that stays with the account or marketplace (not allocated to a SKU).
    pub fn unallocated_share(&self) -> Decimal {
        Decimal::ONE
            - self
                .allocated_products
                .iter()
                .map(|a| a.percentage)
                .sum::<Decimal>()
                / Decimal::ONE_HUNDRED
    }

    /// Whether the expense counts for a marketplace filter (`None`: every expense).
    pub fn in_marketplace(&self, filter: Option<&str>) -> bool {
        match filter {
            None => true,
            Some(m) => self.marketplace_id.as_deref() == Some(m),
        }
    }
}

/// Checks and normalises SKU allocations: SKUs trimmed and non-empty, each percentage above 0
/// and at most 100, SKUs distinct, the sum at most 100.
pub fn validate_allocations(v: &mut Validator, field: &str, list: &mut [Allocation]) {
    let mut total = Decimal::ZERO;
    let mut seen = std::collections::HashSet::new();
    for (i, a) in list.iter_mut().enumerate() {
        a.sku = a.sku.trim().to_string();
        let f = format!("{field}.{i}");
        v.check(
            !a.sku.is_empty() && a.sku.len() <= 100,
            &format!("{f}.sku"),
            "must be 1 to 100 characters",
        );
        v.check(
            a.percentage > Decimal::ZERO && a.percentage <= Decimal::ONE_HUNDRED,
            &format!("{f}.percentage"),
            "must be above 0 and at most 100",
        );
        v.check(
            seen.insert(a.sku.clone()),
            &format!("{f}.sku"),
            "is listed twice",
        );
        total += a.percentage;
    }
    v.check(
        total <= Decimal::ONE_HUNDRED,
        field,
        "percentages must sum to at most 100",
    );
}

/// Checks the fields every expense needs.
pub fn validate(v: &mut Validator, e: &mut Expense) {
    e.category = e.category.trim().to_string();
    v.check(
        !e.category.is_empty() && e.category.len() <= 100,
        "category",
        "must be 1 to 100 characters",
    );
    v.check(e.amount > Decimal::ZERO, "amount", "must be above 0");
    v.check(
        e.amount < Decimal::from(1_000_000_000),
        "amount",
        "must be below 1,000,000,000",
    );
    e.currency = e.currency.trim().to_ascii_uppercase();
    v.check(
        crate::domain::Currency::parse(&e.currency).is_ok(),
        "currency",
        "must be a supported ISO currency code",
    );
    if let Some(d) = &e.description {
        v.check(
            d.len() <= 500,
            "description",
            "must be at most 500 characters",
        );
    }
    if let Some(m) = &e.marketplace_id {
        v.check(
            crate::marketplaces::by_id(m).is_some(),
            "marketplaceId",
            "must be an Amazon marketplace id",
        );
    }
    if let Some(end) = e.ends_at {
        v.check(
            end >= e.incurred_at,
            "endsAt",
            "must not be before incurredAt",
        );
    }
    if e.kind == ExpenseType::OneTime {
        v.check(
            e.recurrence.is_none(),
            "recurrence",
            "only recurring and fixed expenses recur",
        );
    }
    validate_allocations(v, "allocatedProducts", &mut e.allocated_products);
}

/// Reads the `allocatedProducts` of a CSV cell: a JSON list of `{sku, percentage}` or
/// `SKU1:50,SKU2:25`.
pub fn parse_allocations(cell: &str) -> Result<Vec<Allocation>> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(vec![]);
    }
    if cell.starts_with('[') {
        return serde_json::from_str::<Vec<Allocation>>(cell)
            .map_err(|_| Error::bad_request("allocatedProducts: not a list of {sku, percentage}"));
    }
    cell.split([',', ';'])
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (sku, pct) = p
                .rsplit_once(':')
                .ok_or_else(|| Error::bad_request("allocatedProducts: write SKU:percentage"))?;
            let percentage = pct
                .trim()
                .trim_end_matches('%')
                .parse::<Decimal>()
                .map_err(|_| Error::bad_request("allocatedProducts: percentage is not a number"))?;
            Ok(Allocation {
                sku: sku.trim().to_string(),
                percentage,
            })
        })
        .collect()
}

/// Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, quotes as `""`
/// and line breaks).
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.trim().is_empty() => {
                cell.clear();
                quoted = true
            }
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn expense(kind: ExpenseType, rec: Option<Recurrence>, first: &str) -> Expense {
        Expense {
            id: "e".into(),
            kind,
            recurrence: rec,
            category: "Software".into(),
            amount: Decimal::from(30),
            currency: "USD".into(),
            marketplace_id: None,
            allocated_products: vec![],
            description: None,
            incurred_at: d(first),
            ends_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn recurring_expenses_occur_on_each_anniversary() {
        let monthly = expense(
            ExpenseType::Recurring,
            Some(Recurrence::Monthly),
            "2026-01-31",
        );
        assert_eq!(
            monthly.occurrences(d("2026-01-01"), d("2026-04-30")),
            vec![
                d("2026-01-31"),
                d("2026-02-28"),
                d("2026-03-31"),
                d("2026-04-30")
            ]
        );
        assert_eq!(
            monthly.amount_in(d("2026-03-01"), d("2026-03-31")),
            Decimal::from(30)
        );
        let weekly = expense(
            ExpenseType::Recurring,
            Some(Recurrence::Weekly),
            "2026-03-02",
        );
        assert_eq!(
            weekly.occurrences(d("2026-03-01"), d("2026-03-31")).len(),
            5
        );
        assert_eq!(
            weekly.occurrences(d("2026-03-10"), d("2026-03-16")),
            vec![d("2026-03-16")]
        );
        let yearly = expense(
            ExpenseType::Recurring,
            Some(Recurrence::Yearly),
            "2024-02-29",
        );
        assert_eq!(
            yearly.occurrences(d("2025-01-01"), d("2026-12-31")),
            vec![d("2025-02-28"), d("2026-02-28")]
        );
        let once = expense(ExpenseType::OneTime, None, "2026-03-05");
        assert_eq!(
            once.occurrences(d("2026-03-01"), d("2026-03-31")),
            vec![d("2026-03-05")]
        );
        assert!(once
            .occurrences(d("2026-04-01"), d("2026-04-30"))
            .is_empty());
        let mut ended = monthly.clone();
        ended.ends_at = Some(d("2026-02-28"));
        assert_eq!(ended.occurrences(d("2026-01-01"), d("2026-12-31")).len(), 2);
        let fixed = expense(ExpenseType::Fixed, None, "2025-12-15");
        assert_eq!(
            fixed.occurrences(d("2026-03-01"), d("2026-03-31")),
            vec![d("2026-03-15")]
        );
    }

    #[test]
    fn allocations_over_100_percent_are_refused() {
        let mut v = Validator::new();
        let mut list = vec![
            Allocation {
                sku: " A ".into(),
                percentage: Decimal::from(60),
            },
            Allocation {
                sku: "B".into(),
                percentage: Decimal::from(41),
            },
        ];
        validate_allocations(&mut v, "allocatedProducts", &mut list);
        assert!(v.finish().is_err());
        assert_eq!(list[0].sku, "A");
        let mut v = Validator::new();
        let mut ok = vec![Allocation {
            sku: "A".into(),
            percentage: Decimal::from(60),
        }];
        validate_allocations(&mut v, "allocatedProducts", &mut ok);
        assert!(v.finish().is_ok());
    }

    #[test]
    fn csv_cells_keep_quoted_commas_and_allocations_read_both_forms() {
        let rows = csv_rows("type,category,amount\r\none-time,\"Rent, office\",10\n\n");
        assert_eq!(
            rows,
            vec![
                vec!["type", "category", "amount"],
                vec!["one-time", "Rent, office", "10"]
            ]
        );
        let a = parse_allocations("A:50, B:25").unwrap();
        assert_eq!(a[1].percentage, Decimal::from(25));
        let j = parse_allocations(r#"[{"sku":"A","percentage":"10"}]"#).unwrap();
        assert_eq!(j[0].sku, "A");
    }
}
