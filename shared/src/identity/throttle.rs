//! Fixed-window attempt limits in the store (shared by every Lambda instance).
//!
//! An attempt is counted by claiming one of the window's `max` numbered slots
//! (`THROTTLE#<scope>#<sha256(subject)>` / `W#<window>#<slot>`) with a put that fails if the
//! slot exists. The claim is the check: there is no read-then-write gap, so parallel attempts
//! can never exceed the limit, and two attempts racing for a slot simply move on to the next
//! free one, so a busy counter never answers with a conflict. A claim can be released (a
//! login that succeeded does not count against its owner).

use super::token_hash;
use crate::error::{Error, Result};
use crate::ports::store::{query_all, Condition, Index, Key, Query, SortKey, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

/// A limit: at most `max` attempts per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub scope: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// Guesses at one address from one IP.
pub const LOGIN: Limit = Limit {
    scope: "LOGIN",
    max: 10,
    window: Duration::minutes(15),
};
/// Failed guesses at one account from anywhere: a short and a long tier, so a distributed
/// guesser is slowed progressively (minutes, then a day) while the owner signs in through a
/// mailed link.
pub const LOGIN_ACCOUNT: [Limit; 2] = [
    Limit {
        scope: "LOGIN-ACCOUNT-HOUR",
        max: 20,
        window: Duration::hours(1),
    },
    Limit {
        scope: "LOGIN-ACCOUNT-DAY",
        max: 50,
        window: Duration::hours(24),
    },
];
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

fn partition(limit: &Limit, subject: &str) -> String {
    format!("THROTTLE#{}#{}", limit.scope, token_hash(subject))
}

fn window_of(limit: &Limit, now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
    let secs = limit.window.num_seconds().max(1);
    let index = now.timestamp().div_euclid(secs);
    let end = DateTime::from_timestamp((index + 1) * secs, 0).unwrap_or(now + limit.window);
    (index, end)
}

fn slot_sk(window: i64, slot: i64) -> String {
    format!("W#{window}#{slot:05}")
}

/// One counted attempt; hand it back to [`release`] to uncount it.
#[derive(Debug, Clone)]
pub struct Claim(Key);

/// Counts one attempt, or fails with 429 when the window's attempts are used up.
pub async fn take(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Claim> {
    let pk = partition(limit, subject);
    let (window, end) = window_of(limit, now);
    let prefix = format!("W#{window}#");
    let used: BTreeSet<String> = query_all(
        store,
        Query::partition(Index::Table, pk.clone()).sk(SortKey::BeginsWith(prefix)),
    )
    .await?
    .iter()
    .filter_map(|i| i.get("sk").and_then(|v| v.as_s()).map(str::to_string))
    .collect();
    for slot in 0..limit.max {
        let sk = slot_sk(window, slot);
        if used.contains(&sk) {
            continue;
        }
        let item = super::ItemBuilder::new(pk.clone(), sk.clone())
            .s("type", "throttle")
            .ttl(end)
            .build();
        match store.put(item, Some(Condition::NotExists)).await {
            Ok(()) => return Ok(Claim(Key::new(pk, sk))),
            Err(StoreError::ConditionFailed) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::TooManyRequests {
        retry_after_secs: (end - now).num_seconds().max(1) as u64,
    })
}

/// Uncounts an attempt.
pub async fn release(store: &dyn Store, claim: Claim) -> Result<()> {
    store.delete(&claim.0, None).await?;
    Ok(())
}

/// Counts one attempt against every limit, or none of them: a refusal by one releases the
/// claims already taken on the others.
pub async fn take_all(
    store: &dyn Store,
    limits: &[(&Limit, &str)],
    now: DateTime<Utc>,
) -> Result<Vec<Claim>> {
    let mut claims = Vec::with_capacity(limits.len());
    for (limit, subject) in limits {
        match take(store, limit, subject, now).await {
            Ok(c) => claims.push(c),
            Err(e) => {
                for c in claims {
                    release(store, c).await?;
                }
                return Err(e);
            }
        }
    }
    Ok(claims)
}
