//! The queue port: SQS semantics for the job runtime. Delivery is at least once; a received
//! message stays invisible for its visibility timeout and comes back unless deleted; every
//! receive counts, and a queue with a dead-letter queue moves a message there once it has been
//! received more than `max_receives` times. Messages can be delayed (up to 15 minutes, as SQS).
//!
//! Queues are named by a [`QueueRef`]: the queue URL in AWS, a plain name in the embedded
//! adapter. Dead-letter wiring is infrastructure (the template's `RedrivePolicy`, or
//! [`crate::adapters::EmbeddedQueue::declare`]), not something a caller decides per message.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// The longest delay SQS allows on one message.
pub const MAX_DELAY_SECONDS: i64 = 900;
/// The longest visibility timeout SQS allows.
pub const MAX_VISIBILITY_SECONDS: i64 = 12 * 60 * 60;
/// The most messages one receive returns (SQS: 10).
pub const MAX_BATCH: usize = 10;
/// The largest message body SQS takes (256 KiB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A queue: its URL (SQS) or its name (embedded).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueRef(pub String);

impl QueueRef {
    pub fn new(url_or_name: impl Into<String>) -> Self {
        Self(url_or_name.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for QueueRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One delivery of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message's id, the same on every delivery.
    pub message_id: String,
    /// This delivery's handle, needed to delete the message or change its visibility.
    pub receipt: String,
    pub body: String,
    /// How many times the message has been received, this delivery included.
    pub receive_count: u32,
    /// When the message was first sent.
    pub sent_at: DateTime<Utc>,
}

/// Approximate counts, as SQS reports them (for the queue-stats API and alarms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Ready to be received now.
    pub visible: u64,
    /// Received and not yet deleted or timed out.
    pub in_flight: u64,
    /// Sent with a delay that has not passed yet.
    pub delayed: u64,
}

impl QueueStats {
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("no such queue: {0}")]
    NoSuchQueue(String),
    /// A receipt that is unknown or no longer current (the message was received again or
    /// deleted); the caller's delivery is over.
    #[error("the receipt is no longer valid")]
    StaleReceipt,
    /// A message or request the queue refuses (too large, delay out of range…).
    #[error("{0}")]
    Invalid(String),
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

/// Checks what both adapters refuse, with the same words.
pub fn validate_send(body: &str, delay: Duration) -> Result<(), QueueError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(QueueError::Invalid(format!(
            "message body is {} bytes; the limit is {MAX_BODY_BYTES}",
            body.len()
        )));
    }
    if delay < Duration::zero() || delay > Duration::seconds(MAX_DELAY_SECONDS) {
        return Err(QueueError::Invalid(format!(
            "delay must be 0 to {MAX_DELAY_SECONDS} seconds, not {}",
            delay.num_seconds()
        )));
    }
    Ok(())
}

/// Checks a visibility timeout against SQS's range.
pub fn validate_visibility(visibility: Duration) -> Result<(), QueueError> {
    if visibility < Duration::zero() || visibility > Duration::seconds(MAX_VISIBILITY_SECONDS) {
        return Err(QueueError::Invalid(format!(
            "visibility timeout must be 0 to {MAX_VISIBILITY_SECONDS} seconds, not {}",
            visibility.num_seconds()
        )));
    }
    Ok(())
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends one message, visible after `delay`; returns its id.
    async fn send(
        &self,
        queue: &QueueRef,
        body: &str,
        delay: Duration,
    ) -> Result<String, QueueError>;

    /// Receives up to `max` (at most [`MAX_BATCH`]) visible messages and hides them for
    /// `visibility`. Returns at once, possibly with none.
    async fn receive(
        &self,
        queue: &QueueRef,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError>;

    /// Deletes a received message: its processing is done.
    async fn delete(&self, queue: &QueueRef, receipt: &str) -> Result<(), QueueError>;

    /// Changes how long a received message stays hidden from now on: zero hands it back at
    /// once (a retry), more extends a long step's hold or backs off a failure.
    async fn set_visibility(
        &self,
        queue: &QueueRef,
        receipt: &str,
        visibility: Duration,
    ) -> Result<(), QueueError>;

    /// Approximate counts of the queue's messages.
    async fn stats(&self, queue: &QueueRef) -> Result<QueueStats, QueueError>;
}

/// Moves up to `max` messages from a dead-letter queue back to the queue they came from (the
/// error-recovery API's redrive). Each message is sent before it is deleted, so a fault
/// half-way leaves a copy in one queue or both, never in neither; the job runtime's
/// idempotency keys make a duplicate harmless. Returns how many moved.
pub async fn redrive(
    queues: &dyn Queue,
    dead_letters: &QueueRef,
    to: &QueueRef,
    max: usize,
) -> Result<usize, QueueError> {
    let mut moved = 0;
    while moved < max {
        let batch = queues
            .receive(
                dead_letters,
                (max - moved).min(MAX_BATCH),
                Duration::seconds(60),
            )
            .await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            queues.send(to, &m.body, Duration::zero()).await?;
            queues.delete(dead_letters, &m.receipt).await?;
            moved += 1;
        }
    }
    Ok(moved)
}
