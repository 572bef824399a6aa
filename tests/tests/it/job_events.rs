//! The job functions' sample events (`events/job-*/`) through their real handlers.

use chrono::Duration;
use job_sync_dispatch::Dispatcher;
use shared::adapters::{EmbeddedQueue, EmbeddedStore};
use shared::jobs::JobMessage;
use shared::ports::queue::Queue;
use shared::ports::{Clock, FixedClock, Store};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

fn event(path: &str) -> aws_lambda_events::event::sqs::SqsEvent {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&file).expect("sample event"))
        .expect("an SQS event")
}

#[tokio::test]
async fn the_dispatch_tick_starts_every_due_dataset_of_a_new_connection_once() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let sync_queue = queues.declare("sync", None);
    let tenant = super::jobs::tenant_in(store.as_ref(), clock.now()).await;
    shared::sync::register(store.as_ref(), &tenant, "conn-1", clock.now())
        .await
        .unwrap();

    let dispatcher = Dispatcher {
        store: store.clone(),
        queues: queues.clone(),
        clock: clock.clone(),
        sync_queue: sync_queue.clone(),
        batch: 3,
    };
    let deadline = clock.now() + Duration::seconds(60);
    let response = dispatcher
        .handle(event("job-sync-dispatch/tick.json"), deadline)
        .await;
    assert!(response.batch_item_failures.is_empty());
    let mut datasets = BTreeSet::new();
    for m in queues
        .receive(&sync_queue, 10, Duration::minutes(5))
        .await
        .unwrap()
    {
        let job: JobMessage = serde_json::from_str(&m.body).unwrap();
        assert_eq!(job.tenant, *tenant.id());
        assert_eq!(job.connection.as_deref(), Some("conn-1"));
        datasets.insert(job.dataset.unwrap());
    }
    assert_eq!(
        datasets.len(),
        4,
        "every dataset, over more than one batch: {datasets:?}"
    );

    // A second tick finds nothing due.
    let response = dispatcher
        .handle(event("job-sync-dispatch/tick.json"), deadline)
        .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(queues.stats(&sync_queue).await.unwrap().visible, 0);
}
