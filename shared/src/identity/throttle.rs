//! Fixed-window attempt counters in the store (shared by every Lambda instance), used to
//! throttle login and mail-sending endpoints per caller.

use super::{token_hash, ItemBuilder, ItemExt};
use crate::error::{Error, Result};
use crate::ports::store::{Condition, Key, Store, StoreError, Value};
use chrono::{DateTime, Duration, Utc};

/// A limit: at most `max` attempts per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub scope: &'static str,
    pub max: i64,
    pub window: Duration,
}

pub const LOGIN: Limit = Limit {
    scope: "LOGIN",
    max: 10,
    window: Duration::minutes(15),
};
pub const MAIL: Limit = Limit {
    scope: "MAIL",
    max: 5,
    window: Duration::hours(1),
};
pub const REGISTER: Limit = Limit {
    scope: "REGISTER",
    max: 20,
    window: Duration::hours(1),
};

fn key(limit: &Limit, subject: &str) -> Key {
    Key::new(
        format!("THROTTLE#{}#{}", limit.scope, token_hash(subject)),
        "WINDOW",
    )
}

/// Fails with 429 when `subject` has used up its attempts in the current window.
pub async fn check(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(item) = store.get(&key(limit, subject)).await? {
        let start = item.time("windowStart")?;
        let end = start + limit.window;
        if end > now && item.n_i64("count")? >= limit.max {
            return Err(Error::TooManyRequests {
                retry_after_secs: (end - now).num_seconds().max(1) as u64,
            });
        }
    }
    Ok(())
}

/// Counts one attempt (optimistically; a lost race is retried).
pub async fn hit(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let k = key(limit, subject);
    for _ in 0..5 {
        let current = store.get(&k).await?;
        // A missing record may still exist past its TTL, so the first write is unconditional.
        let (start, count, cond) = match &current {
            Some(i) if i.time("windowStart")? + limit.window > now => (
                i.time("windowStart")?,
                i.n_i64("count")? + 1,
                Some(Condition::Equals(
                    "count".into(),
                    Value::N(i.n_i64("count")?.to_string()),
                )),
            ),
            Some(i) => (
                now,
                1,
                Some(Condition::Equals(
                    "count".into(),
                    Value::N(i.n_i64("count")?.to_string()),
                )),
            ),
            None => (now, 1, None),
        };
        let item = ItemBuilder::new(k.pk.clone(), k.sk.clone())
            .s("type", "throttle")
            .time("windowStart", start)
            .n("count", count)
            .ttl(start + limit.window)
            .build();
        match store.put(item, cond).await {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "Too many concurrent attempts; please retry".into(),
    ))
}

/// Checks the limit and counts this attempt: for endpoints where every call counts.
pub async fn take(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    check(store, limit, subject, now).await?;
    hit(store, limit, subject, now).await
}

/// Forgets the subject's attempts (after a successful login).
pub async fn reset(store: &dyn Store, limit: &Limit, subject: &str) -> Result<()> {
    store.delete(&key(limit, subject), None).await?;
    Ok(())
}
