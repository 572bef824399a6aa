//! The job runtime: continuations, idempotency, retries with backoff, recorded failures and
//! their retry, the invocation deadline, the Lambda batch response, and leases under a race
//! on both stores.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::adapters::{DynamoStore, EmbeddedQueue, EmbeddedStore};
use shared::domain::{TenantId, UserId};
use shared::identity::tenancy::{self, Account};
use shared::jobs::{
    self, lease, JobContext, JobError, JobHandler, JobMessage, Outcome, Runtime, Settings,
};
use shared::keys::Tenant;
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::{Clock, FixedClock, Store};
use std::sync::{Arc, Mutex};

/// A handler scripted per call: counts its calls and answers what the test says.
#[derive(Default)]
struct Scripted {
    calls: Mutex<Vec<JobMessage>>,
    /// Failures to give before succeeding: (how many, permanent?).
    fail: Mutex<(u32, bool)>,
    /// Steps after which the work is finished.
    last_step: i64,
}

#[async_trait::async_trait]
impl JobHandler for Scripted {
    async fn handle(&self, job: &JobMessage, _ctx: &JobContext) -> Result<Outcome, JobError> {
        self.calls.lock().unwrap().push(job.clone());
        {
            let mut fail = self.fail.lock().unwrap();
            if fail.0 > 0 {
                fail.0 -= 1;
                return Err(if fail.1 {
                    JobError::Permanent("the report ended FATAL".into())
                } else {
                    JobError::Retry {
                        reason: "Amazon throttled".into(),
                        after: None,
                    }
                });
            }
        }
        let step = job.step["page"].as_i64().unwrap_or(0);
        if step >= self.last_step {
            return Ok(Outcome::done());
        }
        let next = job.clone().step(json!({"page": step + 1}));
        let next = JobMessage {
            key: format!("{}:{}", job.dataset.clone().unwrap_or_default(), step + 1),
            ..next
        };
        Ok(Outcome::done().then(next, Duration::zero()))
    }
}

struct World {
    clock: Arc<FixedClock>,
    store: Arc<dyn Store>,
    queues: Arc<EmbeddedQueue>,
    queue: QueueRef,
    tenant: Tenant,
}

/// A fresh account in `store`, as the job runtime finds it.
pub(crate) async fn tenant_in(store: &dyn Store, now: DateTime<Utc>) -> Tenant {
    let account = Account {
        id: TenantId::new(),
        name: "Acme".into(),
        seller_id: None,
        region: None,
        is_active: true,
        created_at: now,
    };
    store
        .transact(tenancy::create_account_ops(&account, &UserId::new(), now))
        .await
        .unwrap();
    tenancy::existing(store, &account.id)
        .await
        .unwrap()
        .unwrap()
}

async fn world() -> World {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let queue = queues.declare("sync", Some(("sync-dlq", 10)));
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    World {
        clock,
        store,
        queues,
        queue,
        tenant,
    }
}

impl World {
    fn runtime(&self, handler: Arc<Scripted>, max_attempts: u32) -> Runtime {
        let mut settings = Settings::new(self.queue.clone());
        settings.max_attempts = max_attempts;
        Runtime::new(
            self.store.clone(),
            self.queues.clone(),
            self.clock.clone(),
            handler,
            settings,
        )
    }

    /// A runtime whose handler fails `fails` times first (permanently or not), with the first
    /// message already sent.
    async fn scripted(
        &self,
        fails: u32,
        permanent: bool,
        max_attempts: u32,
    ) -> (Arc<Scripted>, Runtime) {
        let h = Arc::new(Scripted::default());
        *h.fail.lock().unwrap() = (fails, permanent);
        let rt = self.runtime(h.clone(), max_attempts);
        self.send(&self.first()).await;
        (h, rt)
    }

    async fn failures(&self) -> Vec<jobs::JobFailure> {
        jobs::failures(self.store.as_ref(), &self.tenant)
            .await
            .unwrap()
    }

    fn first(&self) -> JobMessage {
        JobMessage::new("sync", &self.tenant, "orders:0")
            .connection("conn-1")
            .dataset("orders")
    }

    async fn send(&self, m: &JobMessage) {
        self.queues
            .send(
                &self.queue,
                &serde_json::to_string(m).unwrap(),
                Duration::zero(),
            )
            .await
            .unwrap();
    }

    /// Polls until the queue has nothing visible, stepping the clock past retry waits.
    async fn drain(&self, rt: &Runtime) {
        for _ in 0..50 {
            let n = jobs::poll_once(
                rt,
                self.queues.as_ref(),
                Duration::seconds(60),
                Duration::minutes(5),
            )
            .await
            .unwrap();
            if n == 0 {
                if self.queues.stats(&self.queue).await.unwrap().total() == 0 {
                    return;
                }
                self.clock.advance(Duration::minutes(16));
            }
        }
        panic!("the queue never drained");
    }
}

#[tokio::test]
async fn a_job_continues_step_by_step_until_done() {
    let w = world().await;
    let h = Arc::new(Scripted {
        last_step: 3,
        ..Default::default()
    });
    let rt = w.runtime(h.clone(), 5);
    w.send(&w.first()).await;
    w.drain(&rt).await;
    let pages: Vec<i64> = h
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.step["page"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(pages, [0, 1, 2, 3], "each step once, in order");
}

#[tokio::test]
async fn a_message_delivered_again_changes_nothing() {
    let w = world().await;
    let h = Arc::new(Scripted {
        last_step: 2,
        ..Default::default()
    });
    let rt = w.runtime(h.clone(), 5);
    w.send(&w.first()).await;
    w.drain(&rt).await;
    let before = h.calls.lock().unwrap().len();
    // Every message of the run, delivered twice more.
    for page in 0..=2 {
        let mut m = w.first().step(json!({"page": page}));
        m.key = if page == 0 {
            "orders:0".into()
        } else {
            format!("orders:{page}")
        };
        w.send(&m).await;
        w.send(&m).await;
    }
    w.drain(&rt).await;
    assert_eq!(h.calls.lock().unwrap().len(), before, "no step ran again");
}

#[tokio::test]
async fn a_retryable_failure_comes_back_after_a_backoff_and_then_succeeds() {
    let w = world().await;
    let (h, rt) = w.scripted(2, false, 5).await;
    assert_eq!(
        jobs::poll_once(
            &rt,
            w.queues.as_ref(),
            Duration::seconds(60),
            Duration::minutes(5)
        )
        .await
        .unwrap(),
        1
    );
    let stats = w.queues.stats(&w.queue).await.unwrap();
    assert_eq!(
        stats.in_flight, 1,
        "the failed message waits out its backoff: {stats:?}"
    );
    w.clock.advance(jobs::retry_delay(1) - Duration::seconds(1));
    assert_eq!(
        jobs::poll_once(
            &rt,
            w.queues.as_ref(),
            Duration::seconds(60),
            Duration::minutes(5)
        )
        .await
        .unwrap(),
        0,
        "not before its backoff"
    );
    w.drain(&rt).await;
    assert_eq!(
        h.calls.lock().unwrap().len(),
        3,
        "two failures, then success"
    );
    assert!(w.failures().await.is_empty());
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_recorded_with_its_cause_and_can_be_retried() {
    let w = world().await;
    let (h, rt) = w.scripted(3, false, 3).await;
    w.drain(&rt).await;
    assert_eq!(h.calls.lock().unwrap().len(), 3, "three attempts");
    let failures = w.failures().await;
    assert_eq!(failures.len(), 1);
    assert!(!failures[0].permanent);
    assert_eq!(failures[0].attempts, 3);
    assert!(failures[0].error.contains("throttled"), "{:?}", failures[0]);
    assert_eq!(failures[0].message, w.first());

    // The error-recovery API's retry: back on the queue, record gone, and now it works.
    let retried = jobs::retry_failure(
        w.store.as_ref(),
        w.queues.as_ref(),
        &w.queue,
        &w.tenant,
        &failures[0].id,
    )
    .await
    .unwrap();
    assert!(retried);
    w.drain(&rt).await;
    assert_eq!(h.calls.lock().unwrap().len(), 4);
    assert!(w.failures().await.is_empty());
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_at_once() {
    let w = world().await;
    let (h, rt) = w.scripted(1, true, 5).await;
    w.drain(&rt).await;
    assert_eq!(
        h.calls.lock().unwrap().len(),
        1,
        "no retry of a permanent failure"
    );
    let failures = w.failures().await;
    assert_eq!(failures.len(), 1);
    assert!(failures[0].permanent);
    assert!(failures[0].error.contains("FATAL"));
}

#[tokio::test]
async fn no_step_starts_without_time_left_and_unknown_tenants_are_dropped() {
    let w = world().await;
    let h = Arc::new(Scripted::default());
    let rt = w.runtime(h.clone(), 5);
    w.send(&w.first()).await;
    // An invocation with less time left than the runtime keeps back.
    let n = jobs::poll_once(
        &rt,
        w.queues.as_ref(),
        Duration::seconds(60),
        Duration::seconds(5),
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    assert!(h.calls.lock().unwrap().is_empty(), "the step did not start");
    assert_eq!(
        w.queues.stats(&w.queue).await.unwrap().in_flight,
        1,
        "handed back"
    );

    let other = world().await;
    let stranger = JobMessage {
        tenant: TenantId::new(),
        ..other.first()
    };
    w.send(&stranger).await;
    w.clock.advance(Duration::minutes(2));
    w.drain(&rt).await;
    let calls = h.calls.lock().unwrap();
    assert_eq!(calls.len(), 1, "only the real tenant's job ran");
    assert_eq!(calls[0].tenant, *w.tenant.id());
}

#[tokio::test]
async fn the_lambda_reports_only_unsettled_messages_as_batch_failures() {
    let w = world().await;
    let h = Arc::new(Scripted::default());
    *h.fail.lock().unwrap() = (1, false);
    let rt = w.runtime(h.clone(), 5);
    let mut second = w.first();
    second.key = "orders:other".into();
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(json!({
        "Records": [
            {"messageId": "m-1", "receiptHandle": "1:x", "body": serde_json::to_string(&w.first()).unwrap(),
             "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764590400000"},
             "messageAttributes": {}, "eventSource": "aws:sqs"},
            {"messageId": "m-2", "receiptHandle": "2:y", "body": serde_json::to_string(&second).unwrap(),
             "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764590400000"},
             "messageAttributes": {}, "eventSource": "aws:sqs"}
        ]
    }))
    .unwrap();
    let deadline = (w.clock.now() + Duration::minutes(5)).timestamp_millis() as u64;
    let response = jobs::lambda::handle(&rt, event, deadline).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        failed,
        ["m-1"],
        "the throttled message is retried, the other settled"
    );
    assert_eq!(h.calls.lock().unwrap().len(), 2);
}

async fn lease_race(store: Arc<dyn Store>, clock: Arc<FixedClock>) {
    let tenant = tenant_in(store.as_ref(), clock.now()).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, clock, tenant) = (store.clone(), clock.clone(), tenant.clone());
        tasks.push(tokio::spawn(async move {
            lease::acquire(
                store.as_ref(),
                clock.as_ref(),
                &tenant,
                "conn-1#orders",
                &format!("worker-{i}"),
                Duration::minutes(5),
            )
            .await
            .unwrap()
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        if let Ok(l) = t.await.unwrap() {
            winners.push(l.holder);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one worker holds the dataset: {winners:?}"
    );
    let holder = winners.remove(0);
    let other = if holder == "worker-0" {
        "worker-1"
    } else {
        "worker-0"
    };

    let take = |who: String| {
        let (store, clock, tenant) = (store.clone(), clock.clone(), tenant.clone());
        async move {
            lease::acquire(
                store.as_ref(),
                clock.as_ref(),
                &tenant,
                "conn-1#orders",
                &who,
                Duration::minutes(5),
            )
            .await
            .unwrap()
        }
    };
    let release = |who: &'static str| {
        let (store, tenant) = (store.clone(), tenant.clone());
        async move { lease::release(store.as_ref(), &tenant, "conn-1#orders", who).await }
    };

    // A non-holder cannot release it; after expiry another worker takes it over.
    release(other).await.unwrap();
    assert_eq!(
        take(other.into()).await.unwrap_err().holder,
        holder,
        "still held"
    );
    clock.advance(Duration::minutes(6));
    assert_eq!(
        take(other.into()).await.unwrap().holder,
        other,
        "an expired lease is taken over"
    );
    release(other).await.unwrap();
    let again = take(holder.clone()).await;
    assert!(again.is_ok(), "a released lease is free");
}

#[tokio::test]
async fn one_worker_wins_a_lease_race_on_the_embedded_store() {
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    lease_race(Arc::new(EmbeddedStore::in_memory(clock.clone())), clock).await;
}

/// Runs `check` against a fresh DynamoDB table on moto with a fixed clock.
pub(crate) async fn on_dynamodb<F, Fut>(check: F)
where
    F: FnOnce(Arc<dyn Store>, Arc<FixedClock>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let table = super::contracts::TempTable::create().await;
    let clock = Arc::new(FixedClock::new(super::helpers::start_time()));
    let store = Arc::new(DynamoStore::new(
        table.client.clone(),
        &table.name,
        clock.clone(),
    ));
    check(store, clock).await;
    table.drop().await;
}

#[tokio::test]
async fn one_worker_wins_a_lease_race_on_dynamodb() {
    on_dynamodb(lease_race).await;
}

#[tokio::test]
async fn a_message_of_another_version_is_recorded_for_recovery_not_dropped() {
    let w = world().await;
    let (h, rt) = w.scripted(0, false, 5).await;
    // The first message was sent by `scripted`; this one comes from a newer deployment.
    let newer = JobMessage {
        v: jobs::VERSION + 1,
        key: "orders:newer".into(),
        ..w.first()
    };
    w.send(&newer).await;
    w.drain(&rt).await;
    let calls = h.calls.lock().unwrap().len();
    assert_eq!(calls, 1, "only the message of this version ran");
    let failures = w.failures().await;
    assert_eq!(failures.len(), 1);
    assert!(failures[0].permanent);
    assert!(failures[0].error.contains("version"), "{:?}", failures[0]);
    assert_eq!(failures[0].message, newer);
}
