//! Lambda entry point of the profit rollups job (SQS-triggered by the rollups queue, with
//! `ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::DynamoStore;
use shared::config::ConfigError;
use shared::ports::SystemClock;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let table = std::env::var("TABLE_NAME")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or(ConfigError::Missing("TABLE_NAME"))?;
    let sdk = shared::bootstrap::sdk_config()?;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        &table,
        Arc::new(SystemClock),
    ));
    // The rollups queue itself, for the delayed re-check (without it: no re-check).
    let consumer = match std::env::var("ROLLUPS_QUEUE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => job_rollups::consumer_with_recheck(
            store,
            Arc::new(shared::adapters::SqsQueue::new(aws_sdk_sqs::Client::new(
                &sdk,
            ))),
            shared::ports::queue::QueueRef::new(url),
        ),
        None => {
            tracing::warn!("ROLLUPS_QUEUE_URL is not set: no delayed re-check of rollups");
            job_rollups::consumer(store)
        }
    };
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(job_rollups::handle(consumer, e.payload, e.context.deadline).await)
    }))
    .await
}
