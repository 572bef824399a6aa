//! What the seller tells us that Amazon does not know: the cost of goods (effective-dated unit
//! costs and FIFO batches with landed cost), indirect expenses (one-off and recurring, with
//! their allocation), returns recorded by hand and manual cashflow entries; and the reporting
//! periods, computed in each marketplace's own time zone.
//!
//! Each record is one item under its own prefix of the tenant partition
//! (`keys::CostRecord`), holding the record as a JSON document (`doc`); money inside is decimal
//! text, never a float. Each item carries a revision number (`rev`): an edit writes only if the
//! record is still at the revision it read, and otherwise reads it again and re-applies its
//! change (`edit`), so concurrent edits of one record are serialised, never merged from stale
//! copies. Items written before revisions existed count as revision 0.

pub mod cashflow;
pub mod cogs;
pub mod expenses;
pub mod periods;
pub mod returns;

use crate::error::{Error, Result};
use crate::keys::{self, CostRecord, Tenant};
use crate::ports::store::{
    query_all, Condition, Item, ItemBuilder, ItemExt, Store, StoreError, Value,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A record stored as a document under `ACCT#<t>/<prefix><id>`.
pub trait Record: Serialize + DeserializeOwned {
    const KIND: CostRecord;
    fn id(&self) -> &str;
}

fn decode<R: Record>(item: &Item) -> Result<R> {
    let doc = item.s("doc")?;
    serde_json::from_str(&doc)
        .map_err(|e| Error::Internal(format!("stored {:?} record: {e}", R::KIND)))
}

/// How many times an edit is tried before a conflict goes back to the caller as a 409: enough
/// for a burst of a dozen editors of one record (a screen saving fields in parallel).
pub const EDIT_ATTEMPTS: u32 = 30;

/// Waits a jittered moment that grows with the attempt, so editors racing on one record spread
/// out instead of colliding again in lock step.
async fn pause_after_conflict(attempt: u32) {
    let cap = 5 * u64::from(attempt.min(10)) + 5;
    let ms = rand::random::<u64>() % cap + 1;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

fn item<R: Record>(t: &Tenant, r: &R, rev: i64) -> Result<Item> {
    let doc = serde_json::to_string(r).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(
        ItemBuilder::at(keys::tenant(t).cost_record(R::KIND, r.id()))
            .s("doc", doc)
            .n("rev", rev)
            .build(),
    )
}

/// Writes a new record (revision 1); fails with 409 if its id is taken.
pub async fn create<R: Record>(store: &dyn Store, t: &Tenant, r: &R) -> Result<()> {
    store
        .put(item(t, r, 1)?, Some(Condition::NotExists))
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => Error::Conflict("A record with this id exists".into()),
            other => other.into(),
        })
}

/// Changes a stored record: reads it (404 if it is gone), applies `change` (whose error, such
/// as a validation error, is answered as it is) and writes it at the next revision if no other
/// write landed in between; otherwise starts again from the record as it now is. Returns the
/// record as written. After [`EDIT_ATTEMPTS`] lost races, 409.
pub async fn edit<R: Record>(
    store: &dyn Store,
    t: &Tenant,
    id: &str,
    mut change: impl FnMut(&mut R) -> Result<()>,
) -> Result<R> {
    for attempt in 1..=EDIT_ATTEMPTS {
        let (mut r, rev) = read::<R>(store, t, id).await?;
        change(&mut r)?;
        let guard = if rev == 0 {
            Condition::All(vec![
                Condition::Exists,
                Condition::AttributeMissing("rev".into()),
            ])
        } else {
            Condition::Equals("rev".into(), Value::N(rev.to_string()))
        };
        match store.put(item(t, &r, rev + 1)?, Some(guard)).await {
            Ok(()) => return Ok(r),
            Err(StoreError::ConditionFailed) => pause_after_conflict(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "This record is being changed by others; reload and try again".into(),
    ))
}

fn not_found<R: Record>() -> Error {
    Error::NotFound(
        match R::KIND {
            CostRecord::UnitCost => "COGS entry not found",
            CostRecord::Batch => "Batch not found",
            CostRecord::Expense => "Expense not found",
            CostRecord::Return => "Return not found",
            CostRecord::Cashflow => "Cashflow entry not found",
        }
        .into(),
    )
}

/// One record by id; 404 when it does not exist in this tenant (or the id is malformed).
pub async fn get<R: Record>(store: &dyn Store, t: &Tenant, id: &str) -> Result<R> {
    Ok(read(store, t, id).await?.0)
}

/// One record by id with its revision.
async fn read<R: Record>(store: &dyn Store, t: &Tenant, id: &str) -> Result<(R, i64)> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found::<R>());
    }
    match store.get(&keys::tenant(t).cost_record(R::KIND, id)).await? {
        Some(item) => Ok((decode(&item)?, item.n_i64("rev").unwrap_or(0))),
        None => Err(not_found::<R>()),
    }
}

/// Deletes a record; 404 when it does not exist.
pub async fn delete<R: Record>(store: &dyn Store, t: &Tenant, id: &str) -> Result<()> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found::<R>());
    }
    store
        .delete(
            &keys::tenant(t).cost_record(R::KIND, id),
            Some(Condition::Exists),
        )
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => not_found::<R>(),
            other => other.into(),
        })
}

/// Every record of the kind in the tenant.
pub async fn all<R: Record>(store: &dyn Store, t: &Tenant) -> Result<Vec<R>> {
    query_all(store, keys::tenant(t).cost_records(R::KIND))
        .await?
        .iter()
        .map(decode)
        .collect()
}
