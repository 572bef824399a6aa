//! Returns recorded by the seller against an order line: quantity, reason, the refund and fee
//! amounts, and whether the units are sellable (then they go back to stock for COGS).

use super::Record;
use crate::keys::CostRecord;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Return {
    pub id: String,
    /// Amazon's order id (the order must be synced).
    pub order_id: String,
    pub sku: String,
    pub marketplace_id: String,
    pub quantity_returned: i64,
    pub reason_code: String,
    pub refund_amount: Decimal,
    pub fee_amount: Decimal,
    pub is_sellable: bool,
    /// When the units came back.
    pub returned_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Record for Return {
    const KIND: CostRecord = CostRecord::Return;
    fn id(&self) -> &str {
        &self.id
    }
}
