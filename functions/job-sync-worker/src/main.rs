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
    // The Ads application (`adsClientId`/`adsClientSecret` in the app secret), when there.
    let ads = match &p.jobs.config.app_secret_name {
        Some(name) => ports.secrets.get(name).await?.and_then(|raw| {
            shared::sync::ads::AdsAccess::from_app_secret(
                &raw,
                ports.amazon.settings.token_url(),
                ports.amazon.settings.base_url.clone(),
                ports.store.clone(),
                ports.pacer.clone(),
                ports.secrets.clone(),
                &p.jobs.config.secret_prefix,
            )
        }),
        None => None,
    };
    let runtime = job_sync_worker::runtime_with(
        &ports,
        &p.jobs.config.secret_prefix,
        QueueRef::new(&p.jobs.config.sync_queue_url),
        job_sync_worker::registry_with(ads.map(std::sync::Arc::new)),
    );
    let runtime = &runtime;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(shared::jobs::lambda::handle(runtime, e.payload, e.context.deadline).await)
    }))
    .await
}
