//! What the seller tells us that Amazon does not know: the cost of goods (effective-dated unit
//! costs and FIFO batches with landed cost), indirect expenses (one-off and recurring, with
//! their allocation), returns recorded by hand and manual cashflow entries; and the reporting
//! periods, computed in each marketplace's own time zone.
//!
//! Each record is one item under its own prefix of the tenant partition
//! (`keys::CostRecord`), holding the record as a JSON document (`doc`); money inside is decimal
//! text, never a float.

pub mod cashflow;
pub mod cogs;
pub mod expenses;
pub mod periods;
pub mod returns;

use crate::error::{Error, Result};
use crate::keys::{self, CostRecord, Tenant};
use crate::ports::store::{query_all, Condition, ItemBuilder, ItemExt, Store};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A record stored as a document under `ACCT#<t>/<prefix><id>`.
pub trait Record: Serialize + DeserializeOwned {
    const KIND: CostRecord;
    fn id(&self) -> &str;
}

fn decode<R: Record>(item: &crate::ports::store::Item) -> Result<R> {
    let doc = item.s("doc")?;
    serde_json::from_str(&doc)
        .map_err(|e| Error::Internal(format!("stored {:?} record: {e}", R::KIND)))
}

/// Writes a new record; fails with 409 if its id is taken.
pub async fn create<R: Record>(store: &dyn Store, t: &Tenant, r: &R) -> Result<()> {
    let doc = serde_json::to_string(r).map_err(|e| Error::Internal(e.to_string()))?;
    let item = ItemBuilder::at(keys::tenant(t).cost_record(R::KIND, r.id()))
        .s("doc", doc)
        .build();
    store
        .put(item, Some(Condition::NotExists))
        .await
        .map_err(|e| match e {
            crate::ports::store::StoreError::ConditionFailed => {
                Error::Conflict("A record with this id exists".into())
            }
            other => other.into(),
        })
}

/// Replaces a stored record (404 if it is gone).
pub async fn replace<R: Record>(store: &dyn Store, t: &Tenant, r: &R) -> Result<()> {
    let doc = serde_json::to_string(r).map_err(|e| Error::Internal(e.to_string()))?;
    let item = ItemBuilder::at(keys::tenant(t).cost_record(R::KIND, r.id()))
        .s("doc", doc)
        .build();
    store
        .put(item, Some(Condition::Exists))
        .await
        .map_err(|e| match e {
            crate::ports::store::StoreError::ConditionFailed => not_found::<R>(),
            other => other.into(),
        })
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
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found::<R>());
    }
    match store.get(&keys::tenant(t).cost_record(R::KIND, id)).await? {
        Some(item) => decode(&item),
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
            crate::ports::store::StoreError::ConditionFailed => not_found::<R>(),
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
