//! The jobs of the template, run in-process: the same queues (embedded, persistent), the
//! dispatch schedule, and each SQS-triggered function fed the way Lambda's SQS event source
//! feeds it (a batch of up to ten records; what it reports in `batchItemFailures` stays on the
//! queue for redelivery after the visibility timeout, the rest is deleted).

use amazon_stand_in::notifications::Sink;
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use shared::adapters::EmbeddedQueue;
use shared::ports::queue::{Queue, QueueError, QueueRef, MAX_BATCH};
use shared::ports::Clock;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

/// The region and account of the local runner's fake ARNs.
const ARN_PREFIX: &str = "arn:aws:sqs:us-east-1:000000000000:";

/// The local runner's queues, named and wired as in `template.yaml` (dead-letter queues with
/// the same `maxReceiveCount`).
#[derive(Debug, Clone)]
pub struct Queues {
    pub dispatch: QueueRef,
    pub sync: QueueRef,
    pub notifications: QueueRef,
    /// The profit rollups' queue (the bus routes the sync's domain events to it).
    pub rollups: QueueRef,
}

impl Queues {
    pub fn declare(q: &EmbeddedQueue) -> Self {
        Self {
            dispatch: q.declare("beddora-dispatch", Some(("beddora-dispatch-dlq", 5))),
            sync: q.declare("beddora-sync", Some(("beddora-sync-dlq", 8))),
            notifications: q.declare(
                "beddora-notifications",
                Some(("beddora-notifications-dlq", 5)),
            ),
            rollups: q.declare("beddora-rollups", Some(("beddora-rollups-dlq", 8))),
        }
    }
}

/// The fake SQS ARN of a local queue (what `NOTIFICATIONS_QUEUE_ARN` names locally, so the
/// connect flow registers it with the stand-in as Amazon's notification destination).
pub fn arn_of(queue: &QueueRef) -> String {
    format!("{ARN_PREFIX}{}", queue.as_str())
}

/// The stand-in's notification sink: Amazon's SQS delivery into the embedded queue that a
/// fake ARN names (the ARN's last part is the queue's name, as in AWS).
pub struct QueueSink {
    queues: Arc<dyn Queue>,
    known: HashSet<String>,
}

impl QueueSink {
    pub fn new(queues: Arc<dyn Queue>, targets: &[&QueueRef]) -> Self {
        Self {
            queues,
            known: targets.iter().map(|q| q.as_str().to_string()).collect(),
        }
    }
}

#[async_trait]
impl Sink for QueueSink {
    async fn deliver(&self, queue_arn: &str, body: String) -> Result<(), String> {
        let name = queue_arn
            .strip_prefix(ARN_PREFIX)
            .filter(|n| self.known.contains(*n))
            .ok_or_else(|| format!("{queue_arn} is not a queue of the local runner"))?;
        self.queues
            .send(&QueueRef::new(name), &body, Duration::zero())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// How an event source mapping feeds a function, as in `template.yaml`: the queue's
/// visibility timeout, the function's timeout, and the batch size.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub visibility: Duration,
    pub timeout: Duration,
    pub batch: usize,
}

/// One receive from `queue` handed to `handler` as Lambda's SQS event source would: up to
/// `source.batch` records, a deadline one function timeout from now, and the deletion of
/// every record the handler did not report as failed. Returns how many records it received.
pub async fn deliver_batch<F, Fut>(
    queues: &dyn Queue,
    clock: &dyn Clock,
    queue: &QueueRef,
    source: Source,
    handler: F,
) -> Result<usize, QueueError>
where
    F: FnOnce(SqsEvent, DateTime<Utc>) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    let batch = queues
        .receive(queue, source.batch.clamp(1, MAX_BATCH), source.visibility)
        .await?;
    if batch.is_empty() {
        return Ok(0);
    }
    let mut event = SqsEvent::default();
    let mut receipts = HashMap::new();
    for m in &batch {
        let mut r = SqsMessage::default();
        r.message_id = Some(m.message_id.clone());
        r.receipt_handle = Some(m.receipt.clone());
        r.body = Some(m.body.clone());
        r.event_source = Some("aws:sqs".into());
        r.event_source_arn = Some(arn_of(queue));
        r.aws_region = Some("us-east-1".into());
        r.attributes.insert(
            "ApproximateReceiveCount".into(),
            m.receive_count.to_string(),
        );
        r.attributes.insert(
            "SentTimestamp".into(),
            m.sent_at.timestamp_millis().to_string(),
        );
        event.records.push(r);
        receipts.insert(m.message_id.clone(), m.receipt.clone());
    }
    let response = handler(event, clock.now() + source.timeout).await;
    for f in &response.batch_item_failures {
        receipts.remove(&f.item_identifier);
    }
    for receipt in receipts.values() {
        match queues.delete(queue, receipt).await {
            Ok(()) | Err(QueueError::StaleReceipt) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(batch.len())
}

/// Feeds `queue` to `handler` forever, as an event source mapping with one poller: a batch
/// when there is one, a short pause when the queue is empty or unavailable.
pub fn consume<F, Fut>(
    name: &'static str,
    queues: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    queue: QueueRef,
    source: Source,
    handler: F,
) where
    F: Fn(SqsEvent, DateTime<Utc>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = SqsBatchResponse> + Send,
{
    tokio::spawn(async move {
        loop {
            let pause = match deliver_batch(
                queues.as_ref(),
                clock.as_ref(),
                &queue,
                source,
                &handler,
            )
            .await
            {
                Ok(0) => std::time::Duration::from_secs(1),
                Ok(_) => std::time::Duration::ZERO,
                Err(e) => {
                    tracing::warn!(job = name, error = %e, "receive failed");
                    std::time::Duration::from_secs(5)
                }
            };
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    });
}

/// The body of an EventBridge schedule's message on the dispatch queue.
pub fn schedule_tick(at: DateTime<Utc>) -> String {
    serde_json::json!({
        "version": "0", "id": uuid_like(at), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:000000000000:rule/beddora-sync-dispatch"],
        "detail": {},
    })
    .to_string()
}

fn uuid_like(at: DateTime<Utc>) -> String {
    format!("local-tick-{}", at.timestamp())
}

/// The dispatch schedule (`rate(1 minute)`): a tick on the dispatch queue every `every`.
pub fn schedule(
    queues: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    dispatch: QueueRef,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            if let Err(e) = queues
                .send(&dispatch, &schedule_tick(clock.now()), Duration::zero())
                .await
            {
                tracing::warn!(error = %e, "could not put the dispatch tick on its queue");
            }
        }
    });
}

/// The demo seller keeps selling: brings the stand-in up to the real clock every `every`.
pub fn keep_selling(st: amazon_stand_in::server::Shared, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            match st.live_tick().await {
                Ok(t) if t.orders + t.order_changes + t.transactions + t.released > 0 => {
                    tracing::info!(
                        orders = t.orders,
                        order_changes = t.order_changes,
                        transactions = t.transactions,
                        settlements_closed = t.settlements_closed,
                        notifications = t.notifications,
                        "the demo seller sold"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "live selling could not notify"),
            }
        }
    });
}

/// The exchange-rates schedule (`ExchangeRatesSchedule`, daily): the rates message on the
/// rollups queue at start and then every 24 hours (`source`: the data portal series; `None`:
/// the ECB's).
pub fn schedule_rates(
    queues: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    rollups: QueueRef,
    source: Option<String>,
) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            interval.tick().await;
            let body = shared::profit::rates_job::message(clock.now(), source.as_deref());
            if let Err(e) = queues.send(&rollups, &body, Duration::zero()).await {
                tracing::warn!(error = %e, "could not put the exchange-rates message on its queue");
            }
        }
    });
}
