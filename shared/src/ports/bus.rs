//! The event bus port: domain events ("orders changed", "sync finished", "alert raised")
//! published once and routed by rules to the queues of the jobs that care, as EventBridge
//! does. A consumer reads the EventBridge envelope ([`BusEnvelope`]) from its queue, whichever
//! adapter delivered it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// EventBridge takes at most ten entries per `PutEvents`.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// EventBridge's limit on one entry (256 KiB).
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// One domain event.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    /// Who publishes it, e.g. `beddora.sync`.
    pub source: String,
    /// What happened, e.g. `OrdersChanged`.
    pub detail_type: String,
    /// The event's data: which tenant, connection and keys changed.
    pub detail: serde_json::Value,
}

impl DomainEvent {
    pub fn new(
        source: impl Into<String>,
        detail_type: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            source: source.into(),
            detail_type: detail_type.into(),
            detail,
        }
    }
}

/// The message a rule puts on its target queue: EventBridge's event envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusEnvelope {
    pub id: String,
    pub source: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub time: DateTime<Utc>,
    pub detail: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("{0}")]
    Invalid(String),
    /// Some entries were refused; none of them should be taken as published.
    #[error("{failed} of {total} events were not published: {reason}")]
    Partial {
        failed: usize,
        total: usize,
        reason: String,
    },
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

/// Checks what both adapters refuse, with the same words.
pub fn validate(event: &DomainEvent) -> Result<(), BusError> {
    if event.source.is_empty() || event.detail_type.is_empty() {
        return Err(BusError::Invalid(
            "an event needs a source and a detail type".into(),
        ));
    }
    if !event.detail.is_object() {
        return Err(BusError::Invalid(
            "an event's detail is a JSON object".into(),
        ));
    }
    let size = event.source.len() + event.detail_type.len() + event.detail.to_string().len();
    if size > MAX_EVENT_BYTES {
        return Err(BusError::Invalid(format!(
            "an event is {size} bytes; the limit is {MAX_EVENT_BYTES}"
        )));
    }
    Ok(())
}

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes the events (any number; sent in batches the bus accepts).
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError>;
}
