//! Manual cashflow entries (money in or out that Amazon's payouts do not show: a loan, a
//! supplier payment), beside the payouts and expenses the cashflow view reads.

use super::Record;
use crate::keys::CostRecord;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inflow,
    Outflow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashEntry {
    pub id: String,
    #[serde(rename = "type")]
    pub direction: Direction,
    pub amount: Decimal,
    pub currency: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub date: NaiveDate,
    pub created_at: DateTime<Utc>,
}

impl Record for CashEntry {
    const KIND: CostRecord = CostRecord::Cashflow;
    fn id(&self) -> &str {
        &self.id
    }
}
