//! Leases: one holder at a time for a named piece of work (a connection's dataset), across
//! Lambdas. A lease expires by itself, so a worker that dies frees it; taking an expired one
//! is a conditional write on the version it saw, so two takers never both win.

use crate::keys::{self, Tenant};
use crate::ports::clock::Clock;
use crate::ports::store::{Condition, ItemBuilder, ItemExt, Store, StoreError, Value};
use chrono::{DateTime, Duration, Utc};

/// A held lease; release it when the step is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub until: DateTime<Utc>,
}

/// Takes the lease `name` for `holder` until now + `hold`, or says who holds it until when.
pub async fn acquire(
    store: &dyn Store,
    clock: &dyn Clock,
    tenant: &Tenant,
    name: &str,
    holder: &str,
    hold: Duration,
) -> Result<Result<Lease, Lease>, StoreError> {
    let key = keys::tenant(tenant).lease(name);
    let now = clock.now();
    let current = store.get(&key).await?;
    let condition = match &current {
        None => Condition::NotExists,
        Some(item) => {
            let other = Lease {
                name: name.to_string(),
                holder: item.s("holder")?,
                until: item.time("until")?,
            };
            if other.until > now && other.holder != holder {
                return Ok(Err(other));
            }
            Condition::Equals("version".into(), Value::S(item.s("version")?))
        }
    };
    let lease = Lease {
        name: name.to_string(),
        holder: holder.to_string(),
        until: now + hold,
    };
    let item = ItemBuilder::at(key)
        .s("holder", holder)
        .time("until", lease.until)
        .s("version", uuid::Uuid::new_v4().to_string())
        .ttl(lease.until + Duration::days(1))
        .build();
    match store.put(item, Some(condition)).await {
        Ok(()) => Ok(Ok(lease)),
        // Someone else took or renewed it between our read and our write.
        Err(StoreError::ConditionFailed) => {
            match store.get(&keys::tenant(tenant).lease(name)).await? {
                Some(item) => Ok(Err(Lease {
                    name: name.to_string(),
                    holder: item.s("holder")?,
                    until: item.time("until")?,
                })),
                None => Err(StoreError::ConditionFailed),
            }
        }
        Err(e) => Err(e),
    }
}

/// Gives the lease up, if `holder` still holds it.
pub async fn release(
    store: &dyn Store,
    tenant: &Tenant,
    name: &str,
    holder: &str,
) -> Result<(), StoreError> {
    match store
        .delete(
            &keys::tenant(tenant).lease(name),
            Some(Condition::Equals("holder".into(), Value::S(holder.into()))),
        )
        .await
    {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}
