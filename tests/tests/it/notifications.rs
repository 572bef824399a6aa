//! Amazon notifications through the consumer of `job-notifications`, with the bodies the
//! stand-in delivers to its subscribed destination: each type has its effect, once however
//! often it arrives; duplicates and out-of-order delivery leave the right final state; unknown
//! types are acknowledged; unreadable bodies are recorded with their cause while the rest of
//! the batch goes through; a seller connected in two tenants reaches both and nobody else; a
//! revoked authorisation stops the connection. On the embedded store and queue, through the
//! Lambda's batch answer, and over SQS (moto).

use super::amazon_client::Virtual;
use super::jobs::tenant_in;
use amazon_stand_in::notifications::{MemorySink, SqsSink};
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue, EmbeddedSecrets, EmbeddedStore, SqsQueue};
use shared::amazon::{AmazonApp, AmazonSettings};
use shared::connections::{AmazonAccount, ConnectionSecret, Connections};
use shared::jobs;
use shared::keys::Tenant;
use shared::notifications::{self, Consumer, Ports};
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::{Clock, Pacer, Store};
use shared::sync::{self, Dataset, Status, SyncState};
use std::sync::Arc;

const US: &str = "ATVPDKIKX0DER";
const ARN: &str = "arn:aws:sqs:us-east-1:000000000000:spapi-notifications";
const PREFIX: &str = "beddora/test/";

struct World {
    st: Arc<StandIn>,
    base: String,
    http: reqwest::Client,
    store: Arc<dyn Store>,
    secrets: Arc<EmbeddedSecrets>,
    queues: Arc<EmbeddedQueue>,
    queue: QueueRef,
    sink: Arc<MemorySink>,
    pacer: Arc<dyn Pacer>,
    bus: Arc<EmbeddedBus>,
    /// Where the bus routes `OrdersChanged`.
    events: QueueRef,
}

/// The stand-in (US only, on its virtual clock) on a loopback port, subscribed to the four
/// types to our destination, and our embedded store and notifications queue.
async fn world(orders: usize) -> World {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders,
            marketplaces: vec!["US".into()],
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(st.clone()));
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let queue = queues.declare("notifications", Some(("notifications-dlq", 5)));
    let sink = Arc::new(MemorySink::default());
    st.set_sink(sink.clone());
    let events = queues.declare("events", None);
    let bus = Arc::new(EmbeddedBus::new(queues.clone(), clock.clone()));
    bus.route(
        Pattern {
            source: sync::orders::EVENT_SOURCE.into(),
            detail_types: vec![sync::orders::ORDERS_CHANGED.into()],
        },
        events.clone(),
    );
    let w = World {
        st,
        base,
        http: reqwest::Client::new(),
        store: Arc::new(EmbeddedStore::in_memory(clock)),
        secrets: Arc::new(EmbeddedSecrets::in_memory()),
        queues,
        queue,
        sink,
        pacer,
        bus,
        events,
    };
    w.subscribe(&[
        "ORDER_CHANGE",
        "TRANSACTION_UPDATE",
        "REPORT_PROCESSING_FINISHED",
        "FEE_PROMOTION",
    ])
    .await;
    w
}

impl World {
    fn now(&self) -> DateTime<Utc> {
        self.st.now()
    }

    async fn lwa(&self, grant: &[(&str, &str)]) -> String {
        let mut form = grant.to_vec();
        form.push(("client_id", &self.st.apps.client_id));
        form.push(("client_secret", &self.st.apps.client_secret));
        let r = self
            .http
            .post(format!("{}/auth/o2/token", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "token: {}", r.status());
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn post(&self, path: &str, body: Value, token: &str) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-amz-access-token", token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Our destination (grantless) and the seller's subscriptions to it, as the connect flow
    /// makes them.
    async fn subscribe(&self, kinds: &[&str]) {
        let grantless = self
            .lwa(&[
                ("grant_type", "client_credentials"),
                ("scope", "sellingpartnerapi::notifications"),
            ])
            .await;
        let d = self
            .post(
                "/notifications/v1/destinations",
                json!({"name": "beddora", "resourceSpecification": {"sqs": {"arn": ARN}}}),
                &grantless,
            )
            .await;
        let destination = d["payload"]["destinationId"].as_str().unwrap().to_string();
        let seller = self
            .lwa(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &self.st.issue_refresh_token()),
            ])
            .await;
        for kind in kinds {
            self.post(
                &format!("/notifications/v1/subscriptions/{kind}"),
                json!({"payloadVersion": "1.0", "destinationId": destination}),
                &seller,
            )
            .await;
        }
    }

    fn consumer(&self) -> Consumer {
        self.consumer_on(self.store.clone())
    }

    fn consumer_on(&self, store: Arc<dyn Store>) -> Consumer {
        job_notifications::consumer(self.ports(store, None), self.queue.clone())
    }

    fn ports(&self, store: Arc<dyn Store>, amazon: Option<Arc<AmazonApp>>) -> Ports {
        Ports {
            store,
            secrets: self.secrets.clone(),
            secret_prefix: PREFIX.into(),
            queues: self.queues.clone(),
            pacer: self.pacer.clone(),
            amazon,
            bus: Some(self.bus.clone()),
        }
    }

    /// Our Amazon application on the stand-in.
    fn amazon_app(&self) -> Arc<AmazonApp> {
        amazon_stand_in::client::our_app(
            &self.st,
            &self.base,
            self.store.clone(),
            self.pacer.clone(),
            AmazonSettings::default(),
        )
    }

    /// The consumer with our Amazon application on the stand-in: ORDER_CHANGE reads the order.
    fn consumer_with_amazon(&self) -> Consumer {
        job_notifications::consumer(
            self.ports(self.store.clone(), Some(self.amazon_app())),
            self.queue.clone(),
        )
    }

    fn connections(&self) -> Connections<'_> {
        Connections::new(self.store.as_ref(), self.secrets.as_ref(), PREFIX)
    }

    /// A new tenant that connected `seller_id` (US), its datasets registered and each waiting
    /// for its next sweep (a backfill that is done).
    async fn connected(&self, seller_id: &str) -> (Tenant, AmazonAccount) {
        let tenant = tenant_in(self.store.as_ref(), self.now()).await;
        let account = AmazonAccount::new(
            &tenant,
            "US",
            seller_id.to_string(),
            "NA",
            vec![US.into()],
            self.now(),
        );
        self.connections()
            .create(
                &account,
                &ConnectionSecret::new(SecretString::from(self.st.issue_refresh_token())),
            )
            .await
            .unwrap();
        sync::register(
            self.store.as_ref(),
            &tenant,
            account.id.as_str(),
            self.now(),
        )
        .await
        .unwrap();
        self.wait_all(&tenant, &account).await;
        (tenant, account)
    }

    /// Every dataset of the connection finished and waiting for its cadence.
    async fn wait_all(&self, tenant: &Tenant, a: &AmazonAccount) {
        let now = self.now();
        for d in Dataset::ALL {
            sync::modify(self.store.as_ref(), tenant, a.id.as_str(), d, |s| {
                Some(s.finished(now))
            })
            .await
            .unwrap();
        }
    }

    async fn state(&self, tenant: &Tenant, a: &AmazonAccount, d: Dataset) -> SyncState {
        sync::get(self.store.as_ref(), tenant, a.id.as_str(), d)
            .await
            .unwrap()
            .unwrap()
    }

    /// The datasets that are due now (woken by a notification).
    async fn due(&self, tenant: &Tenant, a: &AmazonAccount) -> Vec<Dataset> {
        let mut out = Vec::new();
        for d in Dataset::ALL {
            let s = self.state(tenant, a, d).await;
            if s.status == Status::Idle && s.next_due <= self.now() {
                out.push(d);
            }
        }
        out
    }

    /// The stand-in delivers `count` notifications of `kind`; their bodies.
    async fn notify(&self, kind: &str, count: usize) -> Vec<String> {
        let before = self.sink.0.lock().unwrap().len();
        let n = if kind == "REPORT_PROCESSING_FINISHED" {
            self.st.deliver_finished_reports().await.unwrap()
        } else {
            self.st.notify(kind, count).await.unwrap()
        };
        let sent: Vec<String> = self.sink.0.lock().unwrap()[before..]
            .iter()
            .map(|(arn, b)| {
                assert_eq!(arn, ARN);
                b.clone()
            })
            .collect();
        assert_eq!(sent.len(), n);
        assert!(n > 0, "the stand-in delivered no {kind}");
        sent
    }

    /// Puts the bodies on the notifications queue, in this order.
    async fn enqueue(&self, bodies: &[String]) {
        for b in bodies {
            self.queues
                .send(&self.queue, b, Duration::zero())
                .await
                .unwrap();
        }
    }

    /// Runs the consumer until the queue has nothing visible; messages handed back for a retry
    /// stay on the queue.
    async fn drain(&self, c: &Consumer) {
        while c
            .poll_once(Duration::minutes(5), Duration::minutes(10))
            .await
            .unwrap()
            > 0
        {}
    }

    async fn left_on_queue(&self) -> u64 {
        self.queues.stats(&self.queue).await.unwrap().total()
    }
}

/// A stand-in fault on every notification delivery.
fn fault(kind: FaultKind) -> FaultRule {
    FaultRule {
        operation: None,
        kind,
        every: 1,
        times: None,
        seen: 0,
        fired: 0,
    }
}

fn with_id(body: &str, id: &str) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    if v.get("NotificationMetadata").is_some() {
        v["NotificationMetadata"]["NotificationId"] = json!(id);
    } else {
        v["notificationMetadata"]["notificationId"] = json!(id);
    }
    v.to_string()
}

fn oauth(seller: &str, event: &str, at: DateTime<Utc>, id: &str) -> String {
    json!({
        "notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH", "payloadVersion": "1.0",
        "eventTime": shared::ports::store::rfc3339(at),
        "payload": {"applicationOAuth": {"sellerId": seller, "eventType": event}},
        "notificationMetadata": {"applicationId": "amzn1.sp.solution.test", "publishTime": shared::ports::store::rfc3339(at), "notificationId": id}
    })
    .to_string()
}

#[tokio::test]
async fn a_transaction_update_wakes_the_transactions_sweep_once_however_often_it_arrives() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer();

    let bodies = w.notify("TRANSACTION_UPDATE", 1).await;
    w.enqueue(&bodies).await;
    w.drain(&c).await;
    assert_eq!(w.due(&t, &a).await, [Dataset::Transactions]);
    assert_eq!(w.left_on_queue().await, 0);

    // The sweep ran and waits again; the same notification comes back (at least once): no
    // second wake-up.
    w.wait_all(&t, &a).await;
    w.enqueue(&bodies).await;
    w.enqueue(&bodies).await;
    w.drain(&c).await;
    assert!(w.due(&t, &a).await.is_empty(), "a duplicate has no effect");
    assert_eq!(w.left_on_queue().await, 0, "duplicates are acknowledged");
    assert!(jobs::failures(w.store.as_ref(), &t)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn duplicate_and_reordered_transaction_updates_leave_the_sweep_due_once() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer();
    // The stand-in delivers each twice, then newest last: Amazon's at-least-once, unordered.
    w.st.add_fault(fault(FaultKind::DuplicateNotifications));
    let bodies = w.notify("TRANSACTION_UPDATE", 3).await;
    assert_eq!(bodies.len(), 6);
    let mut reordered = bodies.clone();
    reordered.reverse();
    w.enqueue(&reordered).await;
    w.drain(&c).await;
    let s = w.state(&t, &a, Dataset::Transactions).await;
    assert_eq!((s.status, s.next_due), (Status::Idle, w.now()));
    assert_eq!(w.due(&t, &a).await, [Dataset::Transactions]);
    assert_eq!(w.left_on_queue().await, 0);
}

#[tokio::test]
async fn a_finished_settlement_report_wakes_settlements_and_other_reports_change_nothing() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer();
    // A report the orders backfill asked for: its run polls it.
    let token = w
        .lwa(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &w.st.issue_refresh_token()),
        ])
        .await;
    w.post(
        "/reports/2021-06-30/reports",
        json!({"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "marketplaceIds": [US],
               "dataStartTime": shared::ports::store::rfc3339(w.now() - Duration::days(30))}),
        &token,
    )
    .await;
    w.st.advance(Duration::minutes(10));
    let finished = w.notify("REPORT_PROCESSING_FINISHED", 1).await;
    w.enqueue(&finished).await;
    w.drain(&c).await;
    assert!(
        w.due(&t, &a).await.is_empty(),
        "an orders report wakes nothing"
    );
    assert_eq!(w.left_on_queue().await, 0);

    // Amazon's settlement reports are not requested, so the stand-in announces none: the
    // same notification, for the settlement report type.
    let mut v: Value = serde_json::from_str(&finished[0]).unwrap();
    v["payload"]["reportProcessingFinishedNotification"]["reportType"] =
        json!("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2");
    let settlement = with_id(&v.to_string(), "settlement-1");
    w.enqueue(&[settlement]).await;
    w.drain(&c).await;
    assert_eq!(w.due(&t, &a).await, [Dataset::Settlements]);
}

#[tokio::test]
async fn a_seller_connected_in_two_tenants_reaches_both_and_nobody_else() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t1, a1) = w.connected(&seller).await;
    let (t2, a2) = w.connected(&seller).await;
    let (t3, a3) = w.connected("A2OTHERSELLER").await;
    assert_eq!(
        w.connections().by_seller(&seller).await.unwrap().len(),
        2,
        "the seller index finds the seller's connections"
    );
    let c = w.consumer();
    let bodies = w.notify("TRANSACTION_UPDATE", 1).await;
    w.enqueue(&bodies).await;
    w.drain(&c).await;
    assert_eq!(w.due(&t1, &a1).await, [Dataset::Transactions]);
    assert_eq!(w.due(&t2, &a2).await, [Dataset::Transactions]);
    assert!(
        w.due(&t3, &a3).await.is_empty(),
        "another seller's tenant is not touched"
    );
}

#[tokio::test]
async fn a_revoked_authorisation_stops_the_connection_and_the_dispatcher_leaves_it() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let (t_other, a_other) = w.connected("A2OTHERSELLER").await;
    let c = w.consumer();
    // An event older than the connection concerns an earlier authorisation: ignored.
    let stale = oauth(
        &seller,
        "AUTHORIZATION_REVOKED",
        w.now() - Duration::days(1),
        "o-0",
    );
    w.enqueue(&[stale]).await;
    w.drain(&c).await;
    assert_eq!(w.state(&t, &a, Dataset::Orders).await.status, Status::Idle);

    w.st.advance(Duration::minutes(1));
    let revoked = oauth(&seller, "AUTHORIZATION_REVOKED", w.now(), "o-1");
    w.enqueue(&[revoked.clone(), revoked]).await;
    w.drain(&c).await;
    for d in Dataset::ALL {
        let s = w.state(&t, &a, d).await;
        assert_eq!(s.status, Status::NeedsReauthorization, "{d}");
        assert!(s.error.unwrap().contains("AUTHORIZATION_REVOKED"));
        assert_eq!(
            w.state(&t_other, &a_other, d).await.status,
            Status::Idle,
            "another seller keeps syncing"
        );
    }
    // A transaction posted meanwhile does not wake a stopped connection.
    let update = w.notify("TRANSACTION_UPDATE", 1).await;
    w.enqueue(&update).await;
    w.drain(&c).await;
    assert!(w.due(&t, &a).await.is_empty());

    // Long after every sweep would be due, the dispatcher starts only the other connection.
    let later = w.now() + Duration::days(2);
    w.st.advance(Duration::days(2));
    let sync_queue = w.queues.declare("sync", None);
    let started = sync::dispatch(
        w.store.as_ref(),
        w.queues.as_ref(),
        &sync_queue,
        w.now(),
        100,
    )
    .await
    .unwrap();
    assert_eq!(started.len(), Dataset::ALL.len());
    assert!(started
        .iter()
        .all(|m| m.connection.as_deref() == Some(a_other.id.as_str())));
    assert_eq!(w.left_on_queue().await, 0);
    assert_eq!(w.now(), later);

    // The seller reconnects (as the OAuth callback does); a copy of the revocation that Amazon
    // delivers only now concerns the old consent and changes nothing.
    let mut a = w.connections().find(&t, &a.id).await.unwrap().unwrap();
    a.authorized_at = Some(w.now());
    w.connections().save(&mut a, w.now()).await.unwrap();
    let now = w.now();
    for d in Dataset::ALL {
        sync::modify(w.store.as_ref(), &t, a.id.as_str(), d, |s| {
            Some(s.due_now(now))
        })
        .await
        .unwrap();
    }
    let delayed = oauth(
        &seller,
        "AUTHORIZATION_REVOKED",
        now - Duration::days(2),
        "o-2",
    );
    w.enqueue(&[delayed]).await;
    w.drain(&c).await;
    for d in Dataset::ALL {
        assert_eq!(w.state(&t, &a, d).await.status, Status::Idle, "{d}");
    }
}

#[tokio::test]
async fn unknown_types_are_acknowledged_and_unreadable_bodies_recorded_while_the_batch_goes_on() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer();
    let fee = w.notify("FEE_PROMOTION", 1).await;
    let update = w.notify("TRANSACTION_UPDATE", 1).await;
    // A known type missing a required field, naming the seller: recorded under its tenant.
    let mut broken: Value = serde_json::from_str(&update[0]).unwrap();
    broken["Payload"]["TransactionUpdateNotification"]
        .as_object_mut()
        .unwrap()
        .remove("PostedDate");
    let broken = with_id(&broken.to_string(), "broken-1");
    let unknown =
        json!({"notificationType": "SOMETHING_NEW", "payload": {"sellerId": seller}}).to_string();
    let garbage = "{\"NotificationType\": \"ORDER_CHANGE\", trunc".to_string();
    w.enqueue(&[fee[0].clone(), unknown, broken, garbage, update[0].clone()])
        .await;
    w.drain(&c).await;

    assert_eq!(w.left_on_queue().await, 0, "nothing is retried forever");
    assert_eq!(
        w.due(&t, &a).await,
        [Dataset::Transactions],
        "the readable update behind them was applied"
    );
    let failures = jobs::failures(w.store.as_ref(), &t).await.unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let f = &failures[0];
    assert!(f.permanent);
    assert!(
        f.error.contains("TRANSACTION_UPDATE") && f.error.contains("PostedDate"),
        "the cause names the type and the field: {}",
        f.error
    );
    assert_eq!(f.message.connection.as_deref(), Some(a.id.as_str()));
    assert_eq!(f.message.dataset.as_deref(), Some("transactions"));
    // A body that names nobody goes to the operators' list, with its cause.
    let unrouted = notifications::unrouted(w.store.as_ref()).await.unwrap();
    assert_eq!(unrouted.len(), 1, "{unrouted:?}");
    assert!(
        unrouted[0].cause.contains("not JSON"),
        "{}",
        unrouted[0].cause
    );
    assert!(unrouted[0].body.contains("trunc"));
}

#[tokio::test]
async fn an_eventbridge_event_is_applied_like_the_notification_it_carries() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer();
    let body = w.notify("TRANSACTION_UPDATE", 1).await.remove(0);
    let event = json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "TRANSACTION_UPDATE",
        "source": "aws.partner/sellingpartnerapi.amazon.com/amzn1.sellerapps.app.test", "account": "000000000000",
        "time": shared::ports::store::rfc3339(w.now()), "region": "us-east-1", "resources": [],
        "detail": serde_json::from_str::<Value>(&body).unwrap(),
    });
    w.enqueue(&[event.to_string()]).await;
    w.drain(&c).await;
    assert_eq!(w.due(&t, &a).await, [Dataset::Transactions]);
}

fn sqs_event(records: &[(&str, &str, u32)]) -> SqsEvent {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body, count)| {
            json!({"messageId": id, "receiptHandle": format!("r-{id}"), "body": body,
                   "attributes": {"ApproximateReceiveCount": count.to_string(), "SentTimestamp": "1764590400000"},
                   "messageAttributes": {}, "eventSource": "aws:sqs"})
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn the_lambda_reports_only_what_could_not_be_applied_yet() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let faulty = Arc::new(super::helpers::FaultyStore {
        inner: w.store.clone(),
        failure: Default::default(),
    });
    let c = w.consumer_on(faulty.clone());
    let update = w.notify("TRANSACTION_UPDATE", 1).await.remove(0);
    let unknown = json!({"notificationType": "SOMETHING_NEW"}).to_string();
    let deadline = (w.now() + Duration::minutes(5)).timestamp_millis() as u64;

    // The store is down: the notification comes back, the unknown one is settled.
    faulty.fail_with(
        0,
        Some(|| shared::ports::store::StoreError::Unavailable("down".into())),
    );
    let r = job_notifications::handle(
        &c,
        sqs_event(&[("m-1", &update, 1), ("m-2", &unknown, 1)]),
        deadline,
    )
    .await;
    let failed: Vec<&str> = r
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m-1"]);

    // Redelivered once the store is back: applied, nothing reported.
    faulty.fail_with(0, None);
    let r = job_notifications::handle(&c, sqs_event(&[("m-1", &update, 2)]), deadline).await;
    assert!(r.batch_item_failures.is_empty());
    assert_eq!(w.due(&t, &a).await, [Dataset::Transactions]);
}

#[tokio::test]
async fn notifications_arrive_over_sqs_and_are_applied_through_the_sqs_adapter() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let client = aws_sdk_sqs::Client::new(&super::contracts::sdk().await);
    let name = format!("spapi-notifications-{}", uuid::Uuid::new_v4().simple());
    let url = client
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .expect("create the queue on moto")
        .queue_url
        .unwrap();
    // The stand-in delivers to that queue by its ARN, as Amazon does.
    let sqs_sink = Arc::new(SqsSink::new(client.clone()));
    let arn = format!("arn:aws:sqs:us-east-1:000000000000:{name}");
    amazon_stand_in::notifications::Sink::deliver(
        sqs_sink.as_ref(),
        &arn,
        w.notify("TRANSACTION_UPDATE", 1).await.remove(0),
    )
    .await
    .unwrap();
    let queues: Arc<dyn Queue> = Arc::new(SqsQueue::new(client.clone()));
    let c = job_notifications::consumer(
        Ports {
            queues: queues.clone(),
            ..w.ports(w.store.clone(), None)
        },
        QueueRef::new(&url),
    );
    let mut received = 0;
    for _ in 0..5 {
        received += c
            .poll_once(Duration::seconds(30), Duration::minutes(5))
            .await
            .unwrap();
        if received > 0 {
            break;
        }
    }
    assert_eq!(received, 1);
    assert_eq!(w.due(&t, &a).await, [Dataset::Transactions]);
    let left = queues.stats(&QueueRef::new(&url)).await.unwrap();
    assert_eq!(left.total(), 0, "applied and deleted: {left:?}");
    client.delete_queue().queue_url(&url).send().await.ok();
}

#[tokio::test]
async fn the_seller_index_finds_every_tenant_of_a_seller_on_dynamodb() {
    let table = super::contracts::TempTable::create().await;
    let clock = Arc::new(shared::ports::FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(shared::adapters::DynamoStore::new(
        table.client.clone(),
        &table.name,
        clock.clone(),
    ));
    let secrets = EmbeddedSecrets::in_memory();
    let connections = Connections::new(store.as_ref(), &secrets, PREFIX);
    let mut made = Vec::new();
    for seller in ["A1SHARED", "A1SHARED", "A2ALONE"] {
        let tenant = tenant_in(store.as_ref(), clock.now()).await;
        let a = AmazonAccount::new(
            &tenant,
            "US",
            seller.into(),
            "NA",
            vec![US.into()],
            clock.now(),
        );
        connections
            .create(
                &a,
                &ConnectionSecret::new(SecretString::from("Atzr|x".to_string())),
            )
            .await
            .unwrap();
        made.push((tenant, a));
    }
    let mut found: Vec<(String, String)> = connections
        .by_seller("A1SHARED")
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.tenant.to_string(), a.id.to_string()))
        .collect();
    found.sort();
    let mut expected: Vec<(String, String)> = made[..2]
        .iter()
        .map(|(t, a)| (t.to_string(), a.id.to_string()))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(connections.by_seller("A2ALONE").await.unwrap().len(), 1);
    assert!(connections.by_seller("A3NOBODY").await.unwrap().is_empty());
    table.drop().await;
}

fn sample(file: &str) -> SqsEvent {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/job-notifications")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("sample event"))
        .expect("an SQS event")
}

#[tokio::test]
async fn the_sample_events_go_through_the_lambda_handler() {
    let clock = Arc::new(shared::ports::FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let secrets = Arc::new(EmbeddedSecrets::in_memory());
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let queue = queues.declare("notifications", None);
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    let a = AmazonAccount::new(
        &tenant,
        "US",
        "A1SAMPLESELLER01".into(),
        "NA",
        vec![US.into()],
        clock.now(),
    );
    Connections::new(store.as_ref(), secrets.as_ref(), PREFIX)
        .create(
            &a,
            &ConnectionSecret::new(SecretString::from("Atzr|x".to_string())),
        )
        .await
        .unwrap();
    sync::register(store.as_ref(), &tenant, a.id.as_str(), clock.now())
        .await
        .unwrap();
    for d in Dataset::ALL {
        sync::modify(store.as_ref(), &tenant, a.id.as_str(), d, |s| {
            Some(s.finished(clock.now()))
        })
        .await
        .unwrap();
    }
    clock.advance(Duration::minutes(15));
    let c = job_notifications::consumer(
        Ports {
            store: store.clone(),
            secrets,
            secret_prefix: PREFIX.into(),
            queues,
            pacer: clock.clone(),
            amazon: None,
            bus: None,
        },
        queue,
    );
    let deadline = (clock.now() + Duration::minutes(1)).timestamp_millis() as u64;
    let state = |d| {
        let store = store.clone();
        let (tenant, id) = (tenant.clone(), a.id.clone());
        async move {
            sync::get(store.as_ref(), &tenant, id.as_str(), d)
                .await
                .unwrap()
                .unwrap()
        }
    };

    let r = job_notifications::handle(&c, sample("sqs-notifications.json"), deadline).await;
    assert!(r.batch_item_failures.is_empty());
    for (d, woken) in [
        (Dataset::Orders, true),
        (Dataset::Transactions, true),
        (Dataset::Settlements, true),
        (Dataset::FeeEstimates, false),
    ] {
        let s = state(d).await;
        assert_eq!(s.next_due <= clock.now(), woken, "{d}");
    }

    let r =
        job_notifications::handle(&c, sample("eventbridge-application-oauth.json"), deadline).await;
    assert!(r.batch_item_failures.is_empty());
    for d in Dataset::ALL {
        assert_eq!(state(d).await.status, Status::NeedsReauthorization, "{d}");
    }
}

/// An earlier ORDER_CHANGE of the same order: its status and times as they were a day before,
/// under its own notification id.
fn earlier(body: &str, status: &str, id: &str) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    let at = |t: &Value| {
        let t = DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap();
        json!(shared::ports::store::rfc3339(
            t.with_timezone(&Utc) - Duration::days(1)
        ))
    };
    v["EventTime"] = at(&v["EventTime"]);
    let n = &mut v["Payload"]["OrderChangeNotification"];
    n["OrderChangeTrigger"]["TimeOfOrderChange"] =
        at(&n["OrderChangeTrigger"]["TimeOfOrderChange"]);
    n["Summary"]["OrderStatus"] = json!(status);
    with_id(&v.to_string(), id)
}

#[tokio::test]
async fn an_order_that_changed_twice_delivered_newest_first_ends_as_amazon_has_it() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer_with_amazon();
    // A recent order that has moved on from Pending; its earlier notification said Pending.
    let newest = w
        .notify("ORDER_CHANGE", 30)
        .await
        .into_iter()
        .find(|b| !b.contains("\"OrderStatus\":\"Pending\""))
        .expect("a recent order past Pending");
    let raw: Value = serde_json::from_str(&newest).unwrap();
    let order_id = raw["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
        .as_str()
        .unwrap()
        .to_string();
    let truth =
        w.st.seller
            .orders
            .iter()
            .find(|o| o.id == order_id)
            .unwrap()
            .clone();
    let older = earlier(&newest, "Pending", "earlier-1");

    // Newest first, each twice (Amazon's at-least-once, unordered delivery).
    w.enqueue(&[newest.clone(), newest.clone(), older.clone(), older])
        .await;
    w.drain(&c).await;
    assert_eq!(w.left_on_queue().await, 0);

    let stored = shared::records::orders::get(w.store.as_ref(), &t, &order_id)
        .await
        .unwrap()
        .expect("the order is stored");
    assert_eq!(
        stored.last_updated, truth.last_update,
        "Amazon's latest version"
    );
    // Amazon's current status, as its Orders API shows it now.
    let token = w
        .lwa(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &w.st.issue_refresh_token()),
        ])
        .await;
    let now_at_amazon: Value = w
        .http
        .get(format!("{}/orders/2026-01-01/orders/{order_id}", w.base))
        .query(&[("includedData", "FULFILLMENT")])
        .header("x-amz-access-token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stored.status,
        now_at_amazon["order"]["fulfillment"]["fulfillmentStatus"]
            .as_str()
            .unwrap()
    );
    assert_ne!(
        stored.status, "PENDING",
        "the older notification did not win"
    );
    // One change, one OrdersChanged; the orders sweep was not needed.
    let events = w
        .queues
        .receive(&w.events, 10, Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].body.contains(&order_id));
    assert!(w.due(&t, &a).await.is_empty());

    // The same notifications again, later: nothing changes.
    w.enqueue(&[newest]).await;
    w.drain(&c).await;
    let again = shared::records::orders::get(w.store.as_ref(), &t, &order_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, stored);
}

#[tokio::test]
async fn an_order_change_after_the_seller_revoked_stops_the_connection_without_a_loop() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer_with_amazon();
    w.st.revoke_refresh_tokens();
    let bodies = w.notify("ORDER_CHANGE", 2).await;
    let lwa_calls = || {
        w.st.stats()
            .get("lwaToken")
            .map(|s| s.calls)
            .unwrap_or_default()
    };
    let before = lwa_calls();
    w.enqueue(&bodies).await;
    w.drain(&c).await;
    assert_eq!(w.left_on_queue().await, 0, "acknowledged, not retried");
    for d in Dataset::ALL {
        assert_eq!(
            w.state(&t, &a, d).await.status,
            Status::NeedsReauthorization,
            "{d}"
        );
    }
    assert!(jobs::failures(w.store.as_ref(), &t)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        lwa_calls() - before,
        1,
        "one refused token refresh; the second notification finds the connection stopped"
    );
}

#[tokio::test]
async fn an_order_change_amazon_keeps_failing_comes_back_and_is_applied_later() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, _) = w.connected(&seller).await;
    let c = w.consumer_with_amazon();
    let body = w.notify("ORDER_CHANGE", 1).await.remove(0);
    let raw: Value = serde_json::from_str(&body).unwrap();
    let order_id = raw["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
        .as_str()
        .unwrap()
        .to_string();
    w.st.add_fault(FaultRule {
        operation: Some("getOrder2026".into()),
        ..fault(FaultKind::Status { code: 503 })
    });
    w.enqueue(&[body]).await;
    w.drain(&c).await;
    assert_eq!(w.left_on_queue().await, 1, "kept for a retry");
    assert!(
        shared::records::orders::get(w.store.as_ref(), &t, &order_id)
            .await
            .unwrap()
            .is_none()
    );

    w.st.clear_faults();
    w.st.advance(Duration::minutes(20));
    w.drain(&c).await;
    assert_eq!(w.left_on_queue().await, 0);
    assert!(
        shared::records::orders::get(w.store.as_ref(), &t, &order_id)
            .await
            .unwrap()
            .is_some()
    );
    assert!(jobs::failures(w.store.as_ref(), &t)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn duplicated_and_reordered_transaction_updates_end_with_amazons_transactions_stored() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer();
    w.st.add_fault(fault(FaultKind::DuplicateNotifications));
    let mut bodies = w.notify("TRANSACTION_UPDATE", 4).await;
    bodies.reverse();
    w.enqueue(&bodies).await;
    w.drain(&c).await;
    assert_eq!(w.due(&t, &a).await, [Dataset::Transactions]);

    // The dispatcher starts the woken sweep; the sync worker runs it to its end.
    let sync_queue = w.queues.declare("sync", None);
    let mut datasets = shared::sync::worker::Registry::new();
    datasets.insert(
        Dataset::Transactions,
        Arc::new(shared::sync::transactions::TransactionsSync::default())
            as Arc<dyn shared::sync::step::DatasetSync>,
    );
    let worker = job_sync_worker::runtime_with(
        &job_sync_worker::Ports {
            store: w.store.clone(),
            queues: w.queues.clone(),
            secrets: w.secrets.clone(),
            bus: w.bus.clone(),
            amazon: w.amazon_app(),
            pacer: w.pacer.clone(),
        },
        PREFIX,
        sync_queue.clone(),
        datasets,
    );
    let started = sync::dispatch(
        w.store.as_ref(),
        w.queues.as_ref(),
        &sync_queue,
        w.now(),
        100,
    )
    .await
    .unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].dataset.as_deref(), Some("transactions"));
    for _ in 0..100_000 {
        let n = jobs::poll_once(
            &worker,
            w.queues.as_ref(),
            Duration::minutes(15),
            Duration::minutes(2),
        )
        .await
        .unwrap();
        if n == 0 {
            if w.queues.stats(&sync_queue).await.unwrap().total() == 0 {
                break;
            }
            w.st.advance(Duration::seconds(15));
        }
    }
    assert_eq!(w.queues.stats(&sync_queue).await.unwrap().total(), 0);
    assert_eq!(
        w.state(&t, &a, Dataset::Transactions).await.status,
        Status::Idle
    );

    // Every notified transaction is stored as Amazon has it, to the cent.
    for body in &bodies {
        let v: Value = serde_json::from_str(body).unwrap();
        let n = &v["Payload"]["TransactionUpdateNotification"];
        let id = n["TransactionId"].as_str().unwrap();
        let stored = shared::records::transactions::get(w.store.as_ref(), &t, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("transaction {id} stored"));
        let total: rust_decimal::Decimal = n["TotalAmount"]["CurrencyAmount"]
            .to_string()
            .parse()
            .unwrap();
        assert_eq!(stored.total, total, "{id}");
        assert_eq!(
            stored.currency,
            n["TotalAmount"]["CurrencyCode"].as_str().unwrap()
        );
    }
}

#[tokio::test]
async fn an_order_change_that_keeps_failing_is_recorded_for_recovery_after_its_attempts() {
    let w = world(200).await;
    let seller = w.st.seller.seller_id.clone();
    let (t, a) = w.connected(&seller).await;
    let c = w.consumer_with_amazon();
    let body = w.notify("ORDER_CHANGE", 1).await.remove(0);
    w.st.add_fault(FaultRule {
        operation: Some("getOrder2026".into()),
        ..fault(FaultKind::Status { code: 503 })
    });
    let deadline = (w.now() + Duration::minutes(5)).timestamp_millis() as u64;
    // The fifth receive: recorded (the error-recovery API lists it), not handed back again.
    let r = job_notifications::handle(&c, sqs_event(&[("m-5", &body, 5)]), deadline).await;
    assert!(r.batch_item_failures.is_empty());
    let failures = jobs::failures(w.store.as_ref(), &t).await.unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let f = &failures[0];
    assert!(!f.permanent, "retryable: the user can retry it");
    assert_eq!(f.attempts, 5);
    assert!(f.error.contains("503"), "{}", f.error);
    assert_eq!(f.message.kind, "notification");
    assert_eq!(f.message.connection.as_deref(), Some(a.id.as_str()));
    assert_eq!(f.message.dataset.as_deref(), Some("orders"));
}
