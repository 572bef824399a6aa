//! The clock port: every "now" in the product comes from here so tests can fix and step it.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// Source of the current instant.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests of expiry and throttling windows.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

impl FixedClock {
    /// The current instant as epoch seconds (the unit of `ttl`).
    pub fn now_epoch(&self) -> i64 {
        self.now().timestamp()
    }
}

/// The clock as the Amazon client uses it: what "now" is, and how to wait. Production sleeps;
/// a virtual clock moves instead, so waits in tests take no real time and deadlines are
/// checked against the same "now" everything else reads.
#[async_trait::async_trait]
pub trait Pacer: Clock {
    async fn sleep(&self, d: Duration);
}

#[async_trait::async_trait]
impl Pacer for SystemClock {
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d.to_std().unwrap_or_default()).await;
    }
}

/// Sleeping on a fixed clock moves it: the wait happens in virtual time.
#[async_trait::async_trait]
impl Pacer for FixedClock {
    async fn sleep(&self, d: Duration) {
        self.advance(d);
        tokio::task::yield_now().await;
    }
}
