//! The sync worker: one bounded step per message under the (connection, dataset) lease, the
//! state saved before events and continuations, re-authorisation that stops every dataset of
//! the connection, and the orders backfill against the stand-in (ground truth, redelivery,
//! crashes, faults, newest first).

use super::jobs::tenant_in;
use shared::adapters::EmbeddedStore;
use shared::ports::{Clock, FixedClock, Store};
use shared::sync::{self, Dataset, Status};
use std::sync::Arc;

#[tokio::test]
async fn needs_reauthorization_stops_every_dataset_of_the_connection_only() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    sync::register(store.as_ref(), &tenant, "conn-1", clock.now())
        .await
        .unwrap();
    sync::register(store.as_ref(), &tenant, "conn-2", clock.now())
        .await
        .unwrap();
    let marked = sync::needs_reauthorization(
        store.as_ref(),
        &tenant,
        "conn-1",
        "invalid_grant",
        clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(marked, Dataset::ALL.len());
    let again = sync::needs_reauthorization(store.as_ref(), &tenant, "conn-1", "x", clock.now())
        .await
        .unwrap();
    assert_eq!(again, 0, "already marked: nothing changes");
    for s in sync::all(store.as_ref(), &tenant).await.unwrap() {
        if s.connection == "conn-1" {
            assert_eq!(s.status, Status::NeedsReauthorization);
            assert_eq!(s.error.as_deref(), Some("invalid_grant"));
            assert_eq!(s.wake_at(), None, "never dispatched");
        } else {
            assert_eq!(s.status, Status::Idle, "another connection is untouched");
        }
    }
}
