//! `/api/amazon/sync*`, `/sync-logs` and `/error-recovery/*` through the router: what the
//! sync page shows and does, scoped to the caller's tenant.

use super::helpers::*;
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{json, Value};
use shared::jobs::{self, JobFailure, JobMessage};
use shared::keys::Tenant;
use shared::ports::Clock;
use shared::sync::{self, Dataset, RunLog, RunStatus};

async fn tenant_of(app: &TestApp, s: &Session) -> Tenant {
    let id = shared::domain::TenantId::parse(&s.account_id).unwrap();
    shared::identity::tenancy::existing(app.state.store.as_ref(), &id)
        .await
        .unwrap()
        .unwrap()
}

fn job<'a>(body: &'a Value, dataset: &str) -> &'a Value {
    body["data"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["syncType"] == dataset)
        .unwrap_or_else(|| panic!("no {dataset} job in {body}"))
}

#[tokio::test]
async fn a_triggered_sync_shows_as_waiting_then_active_with_progress_then_completed() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let acct = app.link_amazon(&owner, "US").await;
    let r = app
        .call(
            "POST",
            "/api/amazon/sync/trigger",
            Some(json!({"amazonAccountId": acct, "syncType": "orders"})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["data"]["jobId"], format!("{acct}.orders"));
    let status_path = format!("/api/amazon/sync/status?amazonAccountId={acct}");
    let s = app
        .call("GET", &status_path, None, Some(&owner.token))
        .await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(job(&s.body, "orders")["status"], "waiting");
    assert_eq!(
        s.body["data"]["total"],
        Dataset::ALL.len(),
        "every dataset of the connection is tracked"
    );

    // The dispatcher starts it and a worker reports progress.
    let tenant = tenant_of(&app, &owner).await;
    let store = app.state.store.as_ref();
    let queues = shared::adapters::EmbeddedQueue::in_memory(app.clock.clone());
    let q = queues.declare("sync", None);
    let started = sync::dispatch(store, &queues, &q, app.clock.now(), 100)
        .await
        .unwrap();
    assert!(started
        .iter()
        .any(|m| m.dataset.as_deref() == Some("orders")));
    let running = sync::get(store, &tenant, &acct, Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    app.clock.advance(Duration::minutes(10));
    let progress = sync::Progress {
        steps_done: 5,
        steps_total: 20,
        records_done: 500,
        records_estimate: 2000,
    };
    assert!(sync::update(
        store,
        &tenant,
        &running,
        running.progressed(json!({"window": 5}), progress, app.clock.now())
    )
    .await
    .unwrap());
    let s = app
        .call("GET", &status_path, None, Some(&owner.token))
        .await;
    let orders = job(&s.body, "orders");
    assert_eq!(orders["status"], "active");
    assert_eq!(orders["progress"], 25);
    assert_eq!(orders["progressDetail"]["recordsDone"], 500);
    assert_eq!(orders["duration"], 600_000);
    assert!(
        orders["eta"].is_string(),
        "an ETA once a step is done: {orders}"
    );
    let one = app
        .call(
            "GET",
            &format!("/api/amazon/sync/status/{acct}.orders"),
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(one.body["data"]["status"], "active");

    // Finished: completed, with a run log.
    let current = sync::get(store, &tenant, &acct, Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    assert!(
        sync::update(store, &tenant, &current, current.finished(app.clock.now()))
            .await
            .unwrap()
    );
    sync::record_run(
        store,
        &tenant,
        &RunLog {
            id: "run-1".into(),
            connection: acct.clone(),
            dataset: Dataset::Orders,
            status: RunStatus::Success,
            records_synced: 2000,
            records_failed: 0,
            started_at: app.clock.now() - Duration::minutes(10),
            completed_at: app.clock.now(),
            error: None,
        },
    )
    .await
    .unwrap();
    let s = app
        .call("GET", &status_path, None, Some(&owner.token))
        .await;
    assert_eq!(job(&s.body, "orders")["status"], "completed");
    assert_eq!(job(&s.body, "orders")["progress"], 100);
    let logs = app
        .call(
            "GET",
            &format!("/api/amazon/sync-logs?amazonAccountId={acct}"),
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(logs.status, StatusCode::OK);
    assert_eq!(logs.body["data"][0]["recordsSynced"], 2000);
    assert_eq!(logs.body["data"][0]["status"], "success");

    let stats = app
        .call(
            "GET",
            "/api/amazon/sync/queue-stats",
            None,
            Some(&owner.token),
        )
        .await;
    let d = &stats.body["data"]["data-sync"];
    assert_eq!(d["completed"], 1);
    assert_eq!(
        d["active"],
        Dataset::ALL.len() - 1,
        "the others were dispatched: {d}"
    );
    assert_eq!(d["total"], Dataset::ALL.len());
}

#[tokio::test]
async fn cancel_stops_a_dataset_and_a_new_trigger_starts_it_again() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let acct = app.link_amazon(&owner, "US").await;
    app.call(
        "POST",
        "/api/amazon/sync/trigger",
        Some(json!({"amazonAccountId": acct, "syncType": "all"})),
        Some(&owner.token),
    )
    .await;
    let c = app
        .call(
            "DELETE",
            &format!("/api/amazon/sync/cancel/{acct}.settlements"),
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let tenant = tenant_of(&app, &owner).await;
    let store = app.state.store.as_ref();
    let queues = shared::adapters::EmbeddedQueue::in_memory(app.clock.clone());
    let q = queues.declare("sync", None);
    let started = sync::dispatch(store, &queues, &q, app.clock.now(), 100)
        .await
        .unwrap();
    assert_eq!(
        started.len(),
        Dataset::ALL.len() - 1,
        "a cancelled dataset is not started"
    );
    let again = app
        .call(
            "DELETE",
            &format!("/api/amazon/sync/cancel/{acct}.settlements"),
            None,
            Some(&owner.token),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT);
    app.call(
        "POST",
        "/api/amazon/sync/trigger",
        Some(json!({"amazonAccountId": acct, "syncType": "settlements"})),
        Some(&owner.token),
    )
    .await;
    let s = sync::get(store, &tenant, &acct, Dataset::Settlements)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.status, sync::Status::Idle);
    assert!(s.next_due <= app.clock.now());
}

#[tokio::test]
async fn failed_steps_are_listed_counted_and_retried() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let acct = app.link_amazon(&owner, "US").await;
    let tenant = tenant_of(&app, &owner).await;
    let store = app.state.store.as_ref();
    sync::register(store, &tenant, &acct, app.clock.now())
        .await
        .unwrap();
    let failure = |id: &str, permanent: bool, error: &str| JobFailure {
        id: id.into(),
        message: JobMessage::new("sync", &tenant, format!("k-{id}"))
            .connection(acct.clone())
            .dataset("transactions"),
        error: error.into(),
        permanent,
        attempts: if permanent { 1 } else { 5 },
        failed_at: app.clock.now(),
    };
    jobs::record_failure(
        store,
        &tenant,
        &failure("f-1", false, "Amazon throttled (429)"),
    )
    .await
    .unwrap();
    jobs::record_failure(
        store,
        &tenant,
        &failure("f-2", false, "transport: connection reset"),
    )
    .await
    .unwrap();
    jobs::record_failure(store, &tenant, &failure("f-3", true, "report ended FATAL"))
        .await
        .unwrap();

    let r = app
        .call(
            "GET",
            "/api/amazon/error-recovery/retryable?queueName=DATA_SYNC",
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .any(|f| f["errorType"] == "RATE_LIMIT" && f["attemptsMade"] == 5));
    let p = app
        .call(
            "GET",
            "/api/amazon/error-recovery/permanent",
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(p.body["data"][0]["id"], "f-3");
    let st = app
        .call(
            "GET",
            "/api/amazon/error-recovery/statistics",
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(st.body["data"]["totalFailed"], 3);
    assert_eq!(st.body["data"]["byRetryStatus"]["retryable"], 2);
    assert_eq!(st.body["data"]["requiresIntervention"], 1);

    let one = app
        .call(
            "POST",
            "/api/amazon/error-recovery/retry/f-1",
            Some(json!({"queueName": "DATA_SYNC"})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let s = sync::get(store, &tenant, &acct, Dataset::Transactions)
        .await
        .unwrap()
        .unwrap();
    assert!(s.next_due <= app.clock.now(), "the dataset is due again");
    let bulk = app
        .call(
            "POST",
            "/api/amazon/error-recovery/bulk-retry",
            Some(json!({"queueName": "DATA_SYNC", "jobIds": ["f-1", "f-2", "f-3"]})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(bulk.body["results"]["retried"], 2);
    assert_eq!(bulk.body["results"]["failed"], 1, "f-1 was already retried");
    assert_eq!(jobs::failures(store, &tenant).await.unwrap().len(), 0);
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let acct = app.link_amazon(&owner, "US").await;
    for (body, status) in [
        (json!({"syncType": "orders"}), StatusCode::BAD_REQUEST),
        (json!({"amazonAccountId": acct}), StatusCode::BAD_REQUEST),
        (
            json!({"amazonAccountId": acct, "syncType": "everything"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"amazonAccountId": "not-an-id", "syncType": "orders"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = app
            .call(
                "POST",
                "/api/amazon/sync/trigger",
                Some(body.clone()),
                Some(&owner.token),
            )
            .await;
        assert_error(&r, status);
    }
    let r = app
        .call(
            "POST",
            "/api/amazon/error-recovery/bulk-retry",
            Some(json!({"jobIds": []})),
            Some(&owner.token),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    let r = app
        .call(
            "GET",
            "/api/amazon/error-recovery/retryable?queueName=alerts",
            None,
            Some(&owner.token),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    let r = app.call("GET", "/api/amazon/sync/status", None, None).await;
    assert_error(&r, StatusCode::UNAUTHORIZED);
    let o = app
        .call("GET", "/api/amazon/oauth/status", None, Some(&owner.token))
        .await;
    assert_eq!(o.body["data"]["oauthEnabled"], false);
}

#[tokio::test]
async fn another_tenants_sync_and_failures_are_out_of_reach() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let acct = app.link_amazon(&owner, "US").await;
    let intruder = app.signed_up("intruder@example.com").await;
    let tenant = tenant_of(&app, &owner).await;
    let store = app.state.store.as_ref();
    sync::register(store, &tenant, &acct, app.clock.now())
        .await
        .unwrap();
    jobs::record_failure(
        store,
        &tenant,
        &JobFailure {
            id: "f-owner".into(),
            message: JobMessage::new("sync", &tenant, "k")
                .connection(acct.clone())
                .dataset("orders"),
            error: "boom".into(),
            permanent: true,
            attempts: 1,
            failed_at: app.clock.now(),
        },
    )
    .await
    .unwrap();
    let t = Some(intruder.token.as_str());
    for (method, path, body) in [
        (
            "POST",
            "/api/amazon/sync/trigger".to_string(),
            Some(json!({"amazonAccountId": acct, "syncType": "all"})),
        ),
        (
            "GET",
            format!("/api/amazon/sync/status?amazonAccountId={acct}"),
            None,
        ),
        (
            "GET",
            format!("/api/amazon/sync/status/{acct}.orders"),
            None,
        ),
        (
            "DELETE",
            format!("/api/amazon/sync/cancel/{acct}.orders"),
            None,
        ),
        (
            "GET",
            format!("/api/amazon/sync-logs?amazonAccountId={acct}"),
            None,
        ),
        (
            "POST",
            "/api/amazon/error-recovery/retry/f-owner".to_string(),
            Some(json!({})),
        ),
    ] {
        let r = app.call(method, &path, body, t).await;
        assert_error(&r, StatusCode::NOT_FOUND);
    }
    let mine = app
        .call("GET", "/api/amazon/error-recovery/permanent", None, t)
        .await;
    assert_eq!(
        mine.body["data"],
        json!([]),
        "the intruder sees no failures of others"
    );
    let stats = app
        .call("GET", "/api/amazon/sync/queue-stats", None, t)
        .await;
    assert_eq!(stats.body["data"]["data-sync"]["total"], 0);
    assert_eq!(
        jobs::failures(store, &tenant).await.unwrap().len(),
        1,
        "nothing changed"
    );
    let s = sync::get(store, &tenant, &acct, Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.status, sync::Status::Idle);
}
