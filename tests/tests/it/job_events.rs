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
    let mut received = vec![];
    loop {
        let batch = queues
            .receive(&sync_queue, 10, Duration::minutes(5))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        received.extend(batch);
    }
    for m in received {
        let job: JobMessage = serde_json::from_str(&m.body).unwrap();
        assert_eq!(job.tenant, *tenant.id());
        assert_eq!(job.connection.as_deref(), Some("conn-1"));
        datasets.insert(job.dataset.unwrap());
    }
    assert_eq!(
        datasets.len(),
        shared::sync::Dataset::ALL.len(),
        "every dataset, over more than one batch: {datasets:?}"
    );

    // A second tick finds nothing due.
    let response = dispatcher
        .handle(event("job-sync-dispatch/tick.json"), deadline)
        .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(queues.stats(&sync_queue).await.unwrap().visible, 0);
}

/// The sample of a sync step, its placeholders filled from a run the dispatcher started.
fn sync_step_event(path: &str, dispatched: &JobMessage) -> aws_lambda_events::event::sqs::SqsEvent {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(path);
    let started = dispatched
        .key
        .rsplit_once(":orders:")
        .map(|(_, s)| s.to_string())
        .expect("a run key ends with the dataset and the run's start");
    let text = std::fs::read_to_string(&file)
        .expect("sample event")
        .replace("${TENANT_ID}", dispatched.tenant.as_str())
        .replace(
            "${CONNECTION_ID}",
            dispatched.connection.as_deref().unwrap(),
        )
        .replace("${RUN_STARTED}", &started);
    serde_json::from_str(&text).expect("an SQS event")
}

#[tokio::test]
async fn the_sync_worker_sample_runs_the_first_orders_step_through_the_lambda_handler() {
    use amazon_stand_in::{generate, router, SellerSpec, StandIn};
    use secrecy::SecretString;
    use shared::amazon::AmazonSettings;
    use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
    use shared::sync::{self, Dataset, Status};

    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 300,
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pacer: Arc<dyn shared::ports::Pacer> = Arc::new(super::amazon_client::Virtual(st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let sync_queue = queues.declare("sync", Some(("sync-dlq", 8)));
    let secrets = Arc::new(shared::adapters::EmbeddedSecrets::in_memory());
    let now = clock.now();
    let tenant = super::jobs::tenant_in(store.as_ref(), now).await;
    let account = AmazonAccount::new(
        &tenant,
        "US",
        st.seller.seller_id.clone(),
        "NA",
        vec!["ATVPDKIKX0DER".to_string()],
        now,
    );
    Connections::new(store.as_ref(), secrets.as_ref(), "events/")
        .create(
            &account,
            &ConnectionSecret::new(SecretString::from(st.issue_refresh_token())),
        )
        .await
        .unwrap();
    let conn = account.id.as_str().to_string();
    sync::register(store.as_ref(), &tenant, &conn, now)
        .await
        .unwrap();
    for d in Dataset::ALL.into_iter().filter(|d| *d != Dataset::Orders) {
        sync::modify(store.as_ref(), &tenant, &conn, d, |s| {
            Some(s.cancelled(now))
        })
        .await
        .unwrap();
    }
    let amazon = amazon_stand_in::client::our_app(
        &st,
        &base,
        store.clone(),
        pacer.clone(),
        AmazonSettings::default(),
    );
    let runtime = job_sync_worker::runtime(
        &job_sync_worker::Ports {
            store: store.clone(),
            queues: queues.clone(),
            secrets,
            bus: Arc::new(shared::adapters::EmbeddedBus::new(
                queues.clone(),
                clock.clone(),
            )),
            amazon,
            pacer,
        },
        "events/",
        sync_queue.clone(),
    );

    // The dispatcher starts the run; its message is what the sample stands for.
    let dispatched = sync::dispatch(store.as_ref(), queues.as_ref(), &sync_queue, now, 10)
        .await
        .unwrap();
    assert_eq!(dispatched.len(), 1);
    let sent = queues
        .receive(&sync_queue, 10, Duration::minutes(15))
        .await
        .unwrap();
    queues.delete(&sync_queue, &sent[0].receipt).await.unwrap();
    let event = sync_step_event("job-sync-worker/orders-first-step.json", &dispatched[0]);
    let body: JobMessage = serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body, dispatched[0],
        "the sample is the dispatcher's message"
    );

    let deadline = (clock.now() + Duration::seconds(150)).timestamp_millis() as u64;
    let response = shared::jobs::lambda::handle(&runtime, event, deadline).await;
    assert!(response.batch_item_failures.is_empty());
    // The step ran: the run is planned, checkpointed, and its next step is queued.
    let state = sync::get(store.as_ref(), &tenant, &conn, Dataset::Orders)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.status, Status::Running);
    assert!(state.progress.steps_total > 0, "{:?}", state.progress);
    assert_ne!(state.cursor, serde_json::Value::Null);
    assert_eq!(queues.stats(&sync_queue).await.unwrap().total(), 1);
}

fn rollups_event(path: &str, vars: &[(&str, &str)]) -> aws_lambda_events::event::sqs::SqsEvent {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(path);
    let mut text = std::fs::read_to_string(&file).expect("sample event");
    for (k, v) in vars {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    serde_json::from_str(&text).expect("an SQS event")
}

/// job-rollups' samples through its real handler, each delivered twice: a TransactionsChanged
/// event ledgers an advertising invoice posted that day and recomputes the day (the second
/// delivery changes nothing); the daily exchange-rates message loads the ECB's rates from the
/// data portal (the stand-in's) and a second load adds nothing new.
#[tokio::test]
async fn the_rollups_samples_recompute_a_day_and_load_the_rates_through_the_lambda_handler() {
    use shared::profit::{read_days, Grain, View, ALL_SKUS};
    let app = super::helpers::TestApp::new();
    let owner = app.signed_up("rollups@example.com").await;
    let store = app.store.clone();
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &shared::domain::TenantId::parse(&owner.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let t: shared::amazon::models::finances::Transaction = serde_json::from_value(serde_json::json!({
        "relatedIdentifiers": [{"relatedIdentifierName": "INVOICE_ID", "relatedIdentifierValue": "TR0000000001"}],
        "transactionType": "ProductAdsPayment", "transactionId": "TXADS1", "transactionStatus": "RELEASED",
        "description": "Cost of Advertising", "postedDate": "2026-11-02T20:00:00Z",
        "totalAmount": {"currencyCode": "USD", "currencyAmount": -123.45},
        "marketplaceDetails": {"marketplaceId": "ATVPDKIKX0DER"},
        "items": [{"description": "Cost of Advertising", "totalAmount": {"currencyCode": "USD", "currencyAmount": -123.45},
            "breakdowns": [{"breakdownType": "other-transaction", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -123.45},
                "breakdowns": [{"breakdownType": "Cost of Advertising", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -123.45}}]}]}],
    }))
    .unwrap();
    let record = shared::records::transactions::TransactionRecord::from_amazon("conn", &t).unwrap();
    shared::records::transactions::put(store.as_ref(), &tenant, &record)
        .await
        .unwrap();
    // job-rollups' handler: `job_rollups::handle` is this call on this consumer.
    let consumer = shared::profit::job::Rollups {
        store: store.clone(),
        recheck: None,
    };
    let deadline = (chrono::Utc::now() + Duration::seconds(60)).timestamp_millis() as u64;
    let day: chrono::NaiveDate = "2026-11-02".parse().unwrap();
    let mut seen = vec![];
    for _ in 0..2 {
        let event = rollups_event(
            "job-rollups/transactions-changed.json",
            &[
                ("TENANT_ID", &tenant.to_string()),
                ("CONNECTION_ID", "conn"),
            ],
        );
        let r = shared::jobs::lambda::handle(&consumer, event, deadline).await;
        assert!(r.batch_item_failures.is_empty());
        let rows = read_days(
            store.as_ref(),
            &tenant,
            View::PostedDate,
            Some("ATVPDKIKX0DER"),
            &Grain::Total,
            day,
            day,
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].sku, ALL_SKUS);
        assert_eq!(
            rows[0].native.advertising,
            "-123.45".parse::<rust_decimal::Decimal>().unwrap()
        );
        seen.push(rows);
    }
    assert_eq!(seen[0], seen[1], "a second delivery changes nothing");
    // The invoice is indexed for its period (October) and listed unreconciled (no Ads data).
    let inv = shared::profit::ads::reconcile(store.as_ref(), &tenant, None)
        .await
        .unwrap();
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].invoice.period_start.to_string(), "2026-10-01");
    assert!(!inv[0].covered);

    // The exchange-rates message, against the stand-in's copy of the ECB data portal.
    let w = super::amazon_client::world(20).await;
    let source = format!("{}/service/data/EXR/D..EUR.SP00.A", w.base);
    let mut latest = vec![];
    for _ in 0..2 {
        let event = rollups_event(
            "job-rollups/exchange-rates-due.json",
            &[("RATES_URL", &source)],
        );
        let r = shared::jobs::lambda::handle(&consumer, event, deadline).await;
        assert!(r.batch_item_failures.is_empty());
        latest.push(
            shared::profit::rates::latest_day(store.as_ref())
                .await
                .unwrap()
                .expect("rates loaded"),
        );
    }
    assert_eq!(latest[0], latest[1]);
    let d = latest[0];
    let t = shared::profit::rates::RateTable::load(store.as_ref(), d, d)
        .await
        .unwrap();
    assert_eq!(
        t.rate("EUR", "USD", d),
        amazon_stand_in::ecb::per_euro("USD", d)
    );
    // A source that cannot be reached leaves the message for a retry.
    let event = rollups_event(
        "job-rollups/exchange-rates-due.json",
        &[(
            "RATES_URL",
            "http://127.0.0.1:1/service/data/EXR/D..EUR.SP00.A",
        )],
    );
    let r = shared::jobs::lambda::handle(&consumer, event, deadline).await;
    assert_eq!(r.batch_item_failures.len(), 1);
}
