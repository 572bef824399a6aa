//! The SQS adapter of the queue port. Dead-letter queues are the queues' own `RedrivePolicy`
//! (set in the template), so SQS itself moves a message that keeps failing.

use crate::ports::queue::*;
use async_trait::async_trait;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client;
use chrono::{DateTime, Duration};

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
}

impl SqsQueue {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn failed<E, R>(queue: &QueueRef, e: SdkError<E, R>) -> QueueError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .unwrap_or_default()
        .to_string();
    match code.as_str() {
        "AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist" => {
            QueueError::NoSuchQueue(queue.to_string())
        }
        "ReceiptHandleIsInvalid" | "InvalidParameterValue"
            if DisplayErrorContext(&e).to_string().contains("eceipt") =>
        {
            QueueError::StaleReceipt
        }
        "ReceiptHandleIsInvalid" | "MessageNotInflight" => QueueError::StaleReceipt,
        _ => QueueError::Unavailable(DisplayErrorContext(&e).to_string()),
    }
}

fn seconds(d: Duration) -> i32 {
    d.num_seconds().clamp(0, i32::MAX as i64) as i32
}

fn count(
    attrs: &std::collections::HashMap<QueueAttributeName, String>,
    name: QueueAttributeName,
) -> u64 {
    attrs.get(&name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(
        &self,
        queue: &QueueRef,
        body: &str,
        delay: Duration,
    ) -> Result<String, QueueError> {
        validate_send(body, delay)?;
        let out = self
            .client
            .send_message()
            .queue_url(queue.as_str())
            .message_body(body)
            .delay_seconds(seconds(delay))
            .send()
            .await
            .map_err(|e| failed(queue, e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    #[allow(deprecated)] // `attribute_names` for emulators that predate the new field.
    async fn receive(
        &self,
        queue: &QueueRef,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError> {
        validate_visibility(visibility)?;
        let out = self
            .client
            .receive_message()
            .queue_url(queue.as_str())
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(seconds(visibility))
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|e| failed(queue, e))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| {
                let attr = |name: MessageSystemAttributeName| {
                    m.attributes().and_then(|a| a.get(&name)).cloned()
                };
                Received {
                    message_id: m.message_id().unwrap_or_default().to_string(),
                    receipt: m.receipt_handle().unwrap_or_default().to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                    receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1),
                    sent_at: attr(MessageSystemAttributeName::SentTimestamp)
                        .and_then(|v| v.parse::<i64>().ok())
                        .and_then(DateTime::from_timestamp_millis)
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    async fn delete(&self, queue: &QueueRef, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(queue.as_str())
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failed(queue, e))
    }

    async fn set_visibility(
        &self,
        queue: &QueueRef,
        receipt: &str,
        visibility: Duration,
    ) -> Result<(), QueueError> {
        validate_visibility(visibility)?;
        self.client
            .change_message_visibility()
            .queue_url(queue.as_str())
            .receipt_handle(receipt)
            .visibility_timeout(seconds(visibility))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failed(queue, e))
    }

    async fn stats(&self, queue: &QueueRef) -> Result<QueueStats, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(queue.as_str())
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| failed(queue, e))?;
        let attrs = out.attributes().cloned().unwrap_or_default();
        Ok(QueueStats {
            visible: count(&attrs, QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(
                &attrs,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            ),
            delayed: count(
                &attrs,
                QueueAttributeName::ApproximateNumberOfMessagesDelayed,
            ),
        })
    }
}
