//! Lambda entry point of the Amazon notifications job (SQS-triggered by the notifications
//! queue, with `ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::config::ConfigError;
use shared::ports::queue::QueueRef;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let p = shared::bootstrap::aws_sync().await?;
    let queue = p
        .jobs
        .config
        .notifications_queue_url
        .clone()
        .ok_or(ConfigError::Missing("NOTIFICATIONS_QUEUE_URL"))?;
    let consumer = job_notifications::consumer(
        job_notifications::Ports {
            store: p.jobs.store,
            secrets: p.secrets,
            secret_prefix: p.jobs.config.secret_prefix.clone(),
            queues: p.jobs.queues,
            pacer: p.pacer,
            amazon: Some(p.amazon),
            bus: Some(p.bus),
        },
        QueueRef::new(queue),
    );
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(job_notifications::handle(consumer, e.payload, e.context.deadline).await)
    }))
    .await
}
