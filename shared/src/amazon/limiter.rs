//! Token buckets per (seller, operation) whose state lives in the store, so every Lambda
//! instance draws from the same bucket. Updates are optimistic (conditional on the version
//! read), so concurrent callers never take the same token twice.

use super::error::AmazonError;
use crate::identity::ItemBuilder;
use crate::ports::store::{Condition, Key, Store, StoreError, Value};
use crate::ports::Clock;
use chrono::Duration;
use rust_decimal::prelude::*;
use std::sync::Arc;

/// Tokens below one plus this are not yet a token.
const SLACK: f64 = 1e-6;

pub struct RateLimiter {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

fn dependency(e: StoreError) -> AmazonError {
    AmazonError::Dependency(e.to_string())
}

impl RateLimiter {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    fn key(seller: &str, operation: &str) -> Key {
        Key::new(format!("RATE#{seller}"), format!("OP#{operation}"))
    }

    /// Takes one token, or says how long to wait for one. `rate`/`burst` are the documented
    /// plan; a rate Amazon announced in `x-amzn-RateLimit-Limit` (see `observe`) wins.
    pub async fn acquire(
        &self,
        seller: &str,
        operation: &str,
        rate: f64,
        burst: f64,
    ) -> Result<Result<(), Duration>, AmazonError> {
        let key = Self::key(seller, operation);
        for _ in 0..20 {
            let now_ms = self.clock.now().timestamp_millis();
            let current = self.store.get(&key).await.map_err(dependency)?;
            let read = |name: &str| {
                current
                    .as_ref()
                    .and_then(|i| i.get(name))
                    .and_then(Value::as_n)
                    .and_then(|n| f64::from_str(n).ok())
            };
            let rate = read("rate").unwrap_or(rate);
            let (tokens, at) = match (read("tokens"), read("at")) {
                (Some(t), Some(a)) => (t, a as i64),
                _ => (burst, now_ms),
            };
            let elapsed = (now_ms - at).max(0) as f64 / 1000.0;
            let available = (tokens + elapsed * rate).min(burst);
            // A token is there only with a margin: Amazon's bucket counts in its own floating
            // point, and a token we see at 0.9999999 + rounding must not be spent early.
            // (A full bucket of one token holds exactly one.)
            let needed = (1.0 + SLACK).min(burst);
            if available < needed {
                let wait_ms = ((needed - available) / rate * 1000.0).ceil() as i64;
                return Ok(Err(Duration::milliseconds(wait_ms.max(1))));
            }
            let version = read("version").unwrap_or(0.0) as i64;
            let item = ItemBuilder::new(key.pk.clone(), key.sk.clone())
                .s("type", "rate-bucket")
                .decimal(
                    "tokens",
                    Decimal::from_f64(available - 1.0)
                        .unwrap_or_default()
                        .round_dp_with_strategy(6, RoundingStrategy::ToZero),
                )
                .n("at", now_ms)
                .decimal(
                    "rate",
                    Decimal::from_f64(rate).unwrap_or_default().round_dp(6),
                )
                .n("version", version + 1)
                .build();
            let cond = if current.is_some() {
                Condition::Equals("version".into(), Value::N(version.to_string()))
            } else {
                Condition::NotExists
            };
            match self.store.put(item, Some(cond)).await {
                Ok(()) => return Ok(Ok(())),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(dependency(e)),
            }
        }
        Ok(Err(Duration::milliseconds(50)))
    }

    /// Empties the bucket after Amazon said 429: the next call waits a full token's time.
    pub async fn drain(&self, seller: &str, operation: &str) -> Result<(), AmazonError> {
        let key = Self::key(seller, operation);
        if let Some(mut item) = self.store.get(&key).await.map_err(dependency)? {
            let old = item
                .get("version")
                .and_then(Value::as_n)
                .map(str::to_string)
                .unwrap_or_else(|| "0".into());
            item.insert("tokens".into(), Value::N("0".into()));
            item.insert(
                "at".into(),
                Value::N(self.clock.now().timestamp_millis().to_string()),
            );
            item.insert(
                "version".into(),
                Value::N((old.parse::<i64>().unwrap_or(0) + 1).to_string()),
            );
            // If another caller moved the bucket meanwhile, its view is as fresh as ours.
            let _ = self
                .store
                .put(
                    item,
                    Some(Condition::Equals("version".into(), Value::N(old))),
                )
                .await;
        }
        Ok(())
    }

    /// Records the rate Amazon applies now (`x-amzn-RateLimit-Limit`).
    pub async fn observe(
        &self,
        seller: &str,
        operation: &str,
        rate: f64,
    ) -> Result<(), AmazonError> {
        let key = Self::key(seller, operation);
        if let Some(mut item) = self.store.get(&key).await.map_err(dependency)? {
            let old = item
                .get("version")
                .and_then(Value::as_n)
                .map(str::to_string)
                .unwrap_or_else(|| "0".into());
            if item
                .get("rate")
                .and_then(Value::as_n)
                .and_then(|n| f64::from_str(n).ok())
                == Some(rate)
            {
                return Ok(());
            }
            item.insert(
                "rate".into(),
                Value::N(
                    Decimal::from_f64(rate)
                        .unwrap_or_default()
                        .round_dp(6)
                        .to_string(),
                ),
            );
            item.insert(
                "version".into(),
                Value::N((old.parse::<i64>().unwrap_or(0) + 1).to_string()),
            );
            // Losing this race only delays the new rate by one call.
            let _ = self
                .store
                .put(
                    item,
                    Some(Condition::Equals("version".into(), Value::N(old))),
                )
                .await;
        }
        Ok(())
    }
}
