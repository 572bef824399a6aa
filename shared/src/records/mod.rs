//! Source records: what Amazon sent, kept with Amazon's own ids and raw amounts so every figure
//! can be traced back to it. Every write is idempotent (keyed by Amazon ids) and newer-wins: a
//! record carries its source version (Amazon's last-update time, or another order Amazon
//! gives), and a write of an older or equal version changes nothing. Replays, redeliveries and
//! out-of-order notifications are therefore harmless.
//!
//! Keys: under the tenant's partition (`crate::keys`); each dataset's module documents its own.

pub mod fee_estimates;
pub mod orders;
pub mod settlements;
pub mod transactions;
// Inventory, ledger, returns, reimbursements.
pub mod inventory;
pub mod ledger;
pub mod reimbursements;
pub mod returns;

use crate::ports::store::{Condition, Item, Store, StoreError, Value};

/// The attribute holding a record's source version (compared bytewise: RFC 3339 times in UTC
/// with a fixed number of fraction digits, or zero-padded numbers, sort correctly).
pub const SOURCE_VERSION: &str = "sourceVersion";

/// What a newer-wins write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored: the record is new, or newer than the stored one.
    Stored,
    /// Left alone: the stored record is as new or newer.
    Stale,
}

impl Written {
    pub fn stored(self) -> bool {
        self == Written::Stored
    }
}

/// Writes `item` with `version` unless the stored record is as new or newer.
pub async fn put_newer(
    store: &dyn Store,
    mut item: Item,
    version: &str,
) -> Result<Written, StoreError> {
    item.insert(SOURCE_VERSION.into(), Value::S(version.to_string()));
    let guard = Condition::Any(vec![
        Condition::NotExists,
        Condition::Below(SOURCE_VERSION.into(), Value::S(version.to_string())),
    ]);
    match store.put(item, Some(guard)).await {
        Ok(()) => Ok(Written::Stored),
        Err(StoreError::ConditionFailed) => Ok(Written::Stale),
        Err(e) => Err(e),
    }
}

/// A source version from a time: RFC 3339 in UTC with milliseconds, so versions sort as times.
pub fn version_at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
