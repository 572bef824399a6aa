//! Waiting, in one place: how long to back off before the next attempt (exponential, with
//! full jitter for retries, plain doubling for polls) and waiting through the [`Pacer`] only
//! when the wait ends before the caller's deadline.

use super::error::AmazonError;
use crate::ports::Pacer;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use std::future::Future;

/// An exponential schedule: attempt `n` (from 1) may wait up to `base x 2^(n-1)`, capped at
/// `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    /// Full jitter: the wait is uniform in `[0, cap]` (spreads retries of many callers);
    /// without it the wait is the cap itself (polls of one job).
    pub jitter: bool,
}

impl Backoff {
    /// Retries of a failed or throttled call: up to 1 s, 2 s, 4 s, ... at most 30 s.
    pub const RETRY: Backoff = Backoff {
        base: Duration::milliseconds(1000),
        max: Duration::seconds(30),
        jitter: true,
    };
    /// Polling a report until it is done: 15 s, 30 s, 60 s, ... at most 5 min.
    pub const POLL: Backoff = Backoff {
        base: Duration::seconds(15),
        max: Duration::minutes(5),
        jitter: false,
    };
    /// Waiting for another process to finish refreshing a token: up to 100 ms, 200 ms, ...
    /// at most 2 s.
    pub const LEASE: Backoff = Backoff {
        base: Duration::milliseconds(100),
        max: Duration::seconds(2),
        jitter: true,
    };

    /// The longest wait of attempt `attempt` (1 for the first retry).
    pub fn cap(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let ms = self
            .base
            .num_milliseconds()
            .saturating_mul(1i64 << doublings);
        Duration::milliseconds(ms.min(self.max.num_milliseconds()))
    }

    /// The wait before attempt `attempt + 1`.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, &mut rand::thread_rng())
    }

    /// [`Backoff::delay`] drawing from `rng`.
    pub fn delay_with(&self, attempt: u32, rng: &mut impl RngCore) -> Duration {
        let cap = self.cap(attempt).num_milliseconds();
        if self.jitter {
            // Uniform in [0, cap]: a 64-bit draw scaled to cap + 1 steps.
            let steps = cap.max(0) as u128 + 1;
            Duration::milliseconds(((u128::from(rng.next_u64()) * steps) >> 64) as i64)
        } else {
            Duration::milliseconds(cap)
        }
    }
}

/// Waits `d` if that ends by `deadline`; otherwise fails with `RetryLater` at once.
pub async fn wait_within(
    pacer: &dyn Pacer,
    d: Duration,
    deadline: DateTime<Utc>,
) -> Result<(), AmazonError> {
    let at = pacer.now() + d;
    if at > deadline {
        return Err(AmazonError::RetryLater { at });
    }
    pacer.sleep(d).await;
    Ok(())
}

/// Calls `check` until it gives `Some`, waiting [`Backoff::POLL`] between calls; a wait that
/// would pass `deadline` is `RetryLater` (the job resumes later from what it saved).
pub async fn poll<T, F, Fut>(
    pacer: &dyn Pacer,
    deadline: DateTime<Utc>,
    mut check: F,
) -> Result<T, AmazonError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AmazonError>>,
{
    let mut attempt = 0;
    loop {
        if let Some(done) = check().await? {
            return Ok(done);
        }
        attempt += 1;
        wait_within(pacer, Backoff::POLL.delay(attempt), deadline).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::mock::StepRng;

    #[test]
    fn full_jitter_spans_zero_to_the_cap() {
        let b = Backoff::RETRY;
        assert_eq!(b.cap(1), Duration::seconds(1));
        assert_eq!(b.cap(3), Duration::seconds(4));
        assert_eq!(b.cap(30), Duration::seconds(30));
        // The smallest and the largest draw of the generator.
        assert_eq!(
            b.delay_with(3, &mut StepRng::new(0, 0)),
            Duration::zero(),
            "full jitter may wait nothing at all"
        );
        assert_eq!(
            b.delay_with(3, &mut StepRng::new(u64::MAX, 0)),
            Duration::seconds(4)
        );
    }

    #[test]
    fn polls_double_without_jitter() {
        let waits: Vec<i64> = (1..=6)
            .map(|n| Backoff::POLL.delay(n).num_seconds())
            .collect();
        assert_eq!(waits, [15, 30, 60, 120, 240, 300]);
    }
}
