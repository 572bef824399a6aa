//! Lambda entry point of the sync worker (SQS-triggered by the sync queue, with
//! `ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::ports::queue::QueueRef;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let p = shared::bootstrap::aws_sync().await?;
    let ports = job_sync_worker::Ports {
        store: p.jobs.store,
        queues: p.jobs.queues,
        secrets: p.secrets,
        bus: p.bus,
        amazon: p.amazon,
        pacer: p.pacer,
    };
    let runtime = job_sync_worker::runtime(
        &ports,
        &p.jobs.config.secret_prefix,
        QueueRef::new(&p.jobs.config.sync_queue_url),
    );
    let runtime = &runtime;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(shared::jobs::lambda::handle(runtime, e.payload, e.context.deadline).await)
    }))
    .await
}
