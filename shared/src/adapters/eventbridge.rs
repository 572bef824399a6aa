//! The EventBridge adapter of the event bus port. Rules and their SQS targets are the
//! template's; this only publishes.

use crate::ports::bus::*;
use async_trait::async_trait;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

#[derive(Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError> {
        for e in events {
            validate(e)?;
        }
        for chunk in events.chunks(MAX_ENTRIES_PER_CALL) {
            let entries = chunk
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus_name)
                        .source(&e.source)
                        .detail_type(&e.detail_type)
                        .detail(e.detail.to_string())
                        .build()
                })
                .collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| BusError::Unavailable(DisplayErrorContext(&e).to_string()))?;
            let failed = out.failed_entry_count() as usize;
            if failed > 0 {
                let reason = out
                    .entries()
                    .iter()
                    .find_map(|r| r.error_message())
                    .unwrap_or("no reason given")
                    .to_string();
                return Err(BusError::Partial {
                    failed,
                    total: chunk.len(),
                    reason,
                });
            }
        }
        Ok(())
    }
}
