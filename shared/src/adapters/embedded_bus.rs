//! The embedded event bus: rules (source and detail types) that put EventBridge-shaped
//! envelopes on queues of the queue port, for the local runner and fast tests.

use crate::ports::bus::*;
use crate::ports::clock::Clock;
use crate::ports::queue::{Queue, QueueRef};
use async_trait::async_trait;
use chrono::Duration;
use std::sync::{Arc, RwLock};

/// Which events a rule takes: one source, and any of the detail types (all when empty).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub detail_types: Vec<String>,
}

impl Pattern {
    fn matches(&self, e: &DomainEvent) -> bool {
        self.source == e.source
            && (self.detail_types.is_empty() || self.detail_types.contains(&e.detail_type))
    }
}

#[derive(Clone)]
pub struct EmbeddedBus {
    queues: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    rules: Arc<RwLock<Vec<(Pattern, QueueRef)>>>,
}

impl EmbeddedBus {
    pub fn new(queues: Arc<dyn Queue>, clock: Arc<dyn Clock>) -> Self {
        Self {
            queues,
            clock,
            rules: Arc::default(),
        }
    }

    /// Adds a rule: events matching `pattern` go to `target` (the template's rules).
    pub fn route(&self, pattern: Pattern, target: QueueRef) {
        self.rules
            .write()
            .expect("bus rules")
            .push((pattern, target));
    }
}

#[async_trait]
impl EventBus for EmbeddedBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError> {
        for e in events {
            validate(e)?;
        }
        let rules = self.rules.read().expect("bus rules").clone();
        for e in events {
            let envelope = BusEnvelope {
                id: uuid::Uuid::new_v4().to_string(),
                source: e.source.clone(),
                detail_type: e.detail_type.clone(),
                time: self.clock.now(),
                detail: e.detail.clone(),
            };
            let body = serde_json::to_string(&envelope)
                .map_err(|err| BusError::Invalid(err.to_string()))?;
            for (_, target) in rules.iter().filter(|(p, _)| p.matches(e)) {
                self.queues
                    .send(target, &body, Duration::zero())
                    .await
                    .map_err(|err| BusError::Unavailable(err.to_string()))?;
            }
        }
        Ok(())
    }
}
