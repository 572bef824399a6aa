//! job-forecasts' sample events (`events/job-forecasts/`) through its real handler
//! (`job_forecasts::handle` on `job_forecasts::consumer`), each delivered twice, as SQS may:
//! the sync's `OrdersChanged` recomputes the tenant's stored forecast and raises the alert the
//! new sales call for, once; the daily schedule's tick recomputes every tenant the job knows on
//! the new day. A second delivery writes and publishes nothing.

use super::helpers::*;
use super::inventory_api::{seed, tenant_of, US};
use super::inventory_jobs::{drain, forecast_row, order};
use chrono::Duration;
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::ports::store::rfc3339;
use shared::ports::Clock;
use shared::records::orders;
use std::path::PathBuf;
use std::sync::Arc;

fn sample(path: &str, vars: &[(&str, &str)]) -> aws_lambda_events::event::sqs::SqsEvent {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/job-forecasts")
        .join(path);
    let mut text = std::fs::read_to_string(&file).expect("sample event");
    for (k, v) in vars {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    assert!(!text.contains("${"), "{path}: unknown placeholder left");
    serde_json::from_str(&text).expect("an SQS event")
}

#[tokio::test]
async fn the_forecasts_samples_recompute_and_alert_once_through_the_lambda_handler() {
    let app = TestApp::new();
    let a = app.signed_up("forecast-events@example.com").await;
    let t = tenant_of(&app, &a).await;
    // 400 units and no sales yet: the first stored forecast, which finds FAST over-stocked.
    seed(&app, &t, "FAST", 400, 0).await;
    let first = forecast_row(&app, &a, "FAST").await;

    // The job's own wiring, its alerts routed to a queue the test reads.
    let clock: Arc<dyn Clock> = app.clock.clone();
    let queue = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let alerts = queue.declare("inventory-alerts", None);
    let bus = EmbeddedBus::new(queue.clone(), clock.clone());
    bus.route(
        Pattern {
            source: api_inventory::job::SOURCE.into(),
            detail_types: vec![
                api_inventory::job::ALERT_RAISED.into(),
                api_inventory::job::ALERT_CLEARED.into(),
            ],
        },
        alerts.clone(),
    );
    let consumer = job_forecasts::consumer(app.store.clone(), Arc::new(bus), clock);
    let deadline = (chrono::Utc::now() + Duration::seconds(120)).timestamp_millis() as u64;

    // The sync has written a month of much bigger sales; its OrdersChanged arrives twice.
    let now = app.clock.now();
    for d in 1..=30 {
        let o = order(&format!("333-{d}"), US, now - Duration::days(d), "FAST", 60);
        orders::put(app.store.as_ref(), &t, &o).await.unwrap();
    }
    let vars = [("TENANT_ID", t.to_string()), ("CONNECTION_ID", "c".into())];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut rows = vec![];
    let mut published = vec![];
    for _ in 0..2 {
        app.clock.advance(Duration::minutes(5));
        let r =
            job_forecasts::handle(&consumer, sample("orders-changed.json", &vars), deadline).await;
        assert!(
            r.batch_item_failures.is_empty(),
            "{:?}",
            r.batch_item_failures
        );
        rows.push(forecast_row(&app, &a, "FAST").await);
        published.push(drain(&queue, &alerts).await);
    }
    let computed_at = rfc3339(now + Duration::minutes(5));
    assert_eq!(rows[0]["lastCalculatedAt"], computed_at, "recomputed");
    let velocity = |r: &serde_json::Value| r["salesVelocity"].as_f64().unwrap_or_default();
    assert!(
        velocity(&rows[0]) > 10.0 && velocity(&first) == 0.0,
        "the new sales count: {first} then {}",
        rows[0]
    );
    assert!(
        first["stockoutDate"].is_null() && rows[0]["stockoutDate"].is_string(),
        "FAST now runs out: {first} then {}",
        rows[0]
    );
    assert_eq!(rows[1], rows[0], "the second delivery rewrote nothing");
    let over = format!("overstock#{US}#FAST");
    assert!(
        published[0]
            .iter()
            .any(|(kind, id, _)| kind == api_inventory::job::ALERT_CLEARED && id == &over),
        "selling, FAST is no longer over-stocked: {:?}",
        published[0]
    );
    assert!(
        published[1].is_empty(),
        "published once: {:?}",
        published[1]
    );

    // The daily tick, the next day, twice: every known tenant recomputed on the new day once.
    app.clock.advance(Duration::days(1));
    let tick_at = app.clock.now();
    let mut rows = vec![];
    for _ in 0..2 {
        let r =
            job_forecasts::handle(&consumer, sample("daily-schedule.json", &[]), deadline).await;
        assert!(
            r.batch_item_failures.is_empty(),
            "{:?}",
            r.batch_item_failures
        );
        let mut a = a.clone();
        a.token = app.login(&a.email, PASSWORD).await.body["accessToken"]
            .as_str()
            .unwrap()
            .to_string();
        rows.push(forecast_row(&app, &a, "FAST").await);
        app.clock.advance(Duration::minutes(5));
    }
    assert_eq!(
        rows[0]["lastCalculatedAt"],
        rfc3339(tick_at),
        "the new day's forecast"
    );
    assert_eq!(rows[1], rows[0], "the second tick rewrote nothing");
    assert!(
        drain(&queue, &alerts).await.is_empty(),
        "the alert is not raised again"
    );
}
