//! The seller's planning records (suppliers, purchase orders, reseller batches, FBA shipment
//! drafts, per-SKU settings): one JSON document each under
//! `ACCT#<t>/STOCKPLAN#<kind>#<id>` (`shared::keys::TenantKey::stock_plan`), with a revision
//! number: a replace names the revision it read, so two concurrent edits cannot both win
//! (the loser gets 409 and re-reads).

use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::error::{Error, Result};
use shared::keys::{self, Tenant};
use shared::ports::store::{query_all, Condition, ItemBuilder, ItemExt, Store, StoreError, Value};

/// How many times an optimistic edit is tried before its conflict goes back to the caller as a
/// 409: enough for a burst of a dozen editors of one document (a UI adding products in parallel).
pub const EDIT_ATTEMPTS: u32 = 30;

/// Waits a jittered moment that grows with the attempt, so editors racing on one document
/// spread out instead of colliding again in lock step.
pub async fn pause_after_conflict(attempt: u32) {
    let cap = 5 * u64::from(attempt.min(10)) + 5;
    let ms = rand::random::<u64>() % cap + 1;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

pub trait Doc: Serialize + DeserializeOwned {
    const KIND: &'static str;
    fn id(&self) -> String;
}

/// A stored document with the revision it was read at.
pub struct Stored<D> {
    pub doc: D,
    pub rev: i64,
}

fn decode<D: Doc>(i: &shared::ports::store::Item) -> Result<Stored<D>> {
    let doc = serde_json::from_str(&i.s("doc")?)
        .map_err(|e| Error::Internal(format!("stored {}: {e}", D::KIND)))?;
    Ok(Stored {
        doc,
        rev: i.n_i64("rev").unwrap_or(0),
    })
}

fn item<D: Doc>(t: &Tenant, d: &D, rev: i64) -> Result<shared::ports::store::Item> {
    let doc = serde_json::to_string(d).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(
        ItemBuilder::at(keys::tenant(t).stock_plan(D::KIND, &d.id()))
            .s("type", D::KIND)
            .s("doc", doc)
            .n("rev", rev)
            .build(),
    )
}

pub async fn list<D: Doc>(store: &dyn Store, t: &Tenant) -> Result<Vec<D>> {
    query_all(store, keys::tenant(t).stock_plans(D::KIND))
        .await?
        .iter()
        .map(|i| decode(i).map(|s: Stored<D>| s.doc))
        .collect()
}

pub async fn get<D: Doc>(store: &dyn Store, t: &Tenant, id: &str) -> Result<Option<Stored<D>>> {
    store
        .get(&keys::tenant(t).stock_plan(D::KIND, id))
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

/// The document, or 404 naming what is missing.
pub async fn found<D: Doc>(
    store: &dyn Store,
    t: &Tenant,
    id: &str,
    what: &str,
) -> Result<Stored<D>> {
    get(store, t, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{what} not found")))
}

/// Writes a new document; 409 when the id is taken.
pub async fn create<D: Doc>(store: &dyn Store, t: &Tenant, d: &D) -> Result<()> {
    match store.put(item(t, d, 1)?, Some(Condition::NotExists)).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => {
            Err(Error::Conflict(format!("This {} exists", D::KIND)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes a document unless one is stored (or replaces one: `upsert`), at revision `rev + 1`
/// when the stored one is still at `rev`.
pub async fn replace<D: Doc>(store: &dyn Store, t: &Tenant, d: &D, rev: i64) -> Result<()> {
    let guard = if rev == 0 {
        Condition::NotExists
    } else {
        Condition::Equals("rev".into(), Value::N(rev.to_string()))
    };
    match store.put(item(t, d, rev + 1)?, Some(guard)).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(Error::Conflict(format!(
            "This {} was changed meanwhile; reload and try again",
            D::KIND
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete<D: Doc>(store: &dyn Store, t: &Tenant, id: &str, what: &str) -> Result<()> {
    match store
        .delete(
            &keys::tenant(t).stock_plan(D::KIND, id),
            Some(Condition::Exists),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(Error::NotFound(format!("{what} not found"))),
        Err(e) => Err(e.into()),
    }
}
