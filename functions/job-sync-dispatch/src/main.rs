//! Lambda entry point of the sync dispatcher (SQS-triggered by the dispatch tick queue).

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::DateTime;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::ports::queue::QueueRef;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let ports = shared::bootstrap::aws_jobs().await?;
    let dispatcher = job_sync_dispatch::Dispatcher {
        sync_queue: QueueRef::new(&ports.config.sync_queue_url),
        batch: ports.config.dispatch_batch,
        store: ports.store,
        queues: ports.queues,
        clock: ports.clock,
    };
    let dispatcher = &dispatcher;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        let deadline =
            DateTime::from_timestamp_millis(e.context.deadline as i64).unwrap_or_default();
        Ok::<_, Error>(dispatcher.handle(e.payload, deadline).await)
    }))
    .await
}
