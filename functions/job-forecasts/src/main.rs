//! Lambda entry point of the inventory forecasts job (SQS-triggered by the forecasts queue,
//! with `ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::adapters::{DynamoStore, EventBridgeBus};
use shared::config::ConfigError;
use shared::ports::SystemClock;
use std::sync::Arc;

fn env(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let table = env("TABLE_NAME")?;
    let bus_name = env("EVENT_BUS_NAME")?;
    let sdk = shared::bootstrap::sdk_config()?;
    let clock = Arc::new(SystemClock);
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        &table,
        clock.clone(),
    ));
    let bus = Arc::new(EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&sdk),
        bus_name,
    ));
    let consumer = job_forecasts::consumer(store, bus, clock);
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(job_forecasts::handle(consumer, e.payload, e.context.deadline).await)
    }))
    .await
}
