//! The embedded queue: SQS's semantics (at-least-once, visibility timeout, receive count,
//! delay, dead-letter after N receives) on a redb file or in memory, for the local runner and
//! fast tests. Time comes from the clock port, so tests can step it.
//!
//! Messages live in one redb table under `queue \0 seq` (seq: a persistent counter, so a
//! queue is read oldest first); a receipt is `seq:nonce`, so delete and visibility changes
//! find their message directly, and an old delivery's receipt no longer matches.

use crate::ports::clock::Clock;
use crate::ports::queue::*;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

const MESSAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("queue_messages");
const META: TableDefinition<&str, u64> = TableDefinition::new("queue_meta");

/// Where a queue's failures go.
#[derive(Debug, Clone)]
struct DeadLetter {
    queue: String,
    max_receives: u32,
}

#[derive(Clone)]
pub struct EmbeddedQueue {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
    queues: Arc<RwLock<HashMap<String, Option<DeadLetter>>>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    id: String,
    body: String,
    sent_at: i64,
    visible_at: i64,
    receive_count: u32,
    /// The current delivery's nonce; `None` until first received.
    nonce: Option<String>,
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn key(queue: &str, seq: u64) -> String {
    format!("{queue}\0{seq:020}")
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl EmbeddedQueue {
    /// Opens (or creates) the queue file at `path`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, QueueError> {
        Self::init(Database::create(path).map_err(unavailable)?, clock)
    }

    /// Queues that live only as long as this value: for tests.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory redb");
        Self::init(db, clock).expect("in-memory queue tables")
    }

    fn init(db: Database, clock: Arc<dyn Clock>) -> Result<Self, QueueError> {
        let tx = db.begin_write().map_err(unavailable)?;
        tx.open_table(MESSAGES).map_err(unavailable)?;
        tx.open_table(META).map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(Self {
            db: Arc::new(db),
            clock,
            queues: Arc::default(),
        })
    }

    /// Declares a queue, optionally with a dead-letter queue that takes a message once it has
    /// been received `max_receives` times (the template's `RedrivePolicy`). The dead-letter
    /// queue is declared too. Declaring again replaces the policy; messages are kept.
    pub fn declare(&self, queue: &str, dead_letter: Option<(&str, u32)>) -> QueueRef {
        let mut queues = self.queues.write().expect("queue registry");
        if let Some((dlq, _)) = dead_letter {
            queues.entry(dlq.to_string()).or_insert(None);
        }
        queues.insert(
            queue.to_string(),
            dead_letter.map(|(q, n)| DeadLetter {
                queue: q.to_string(),
                max_receives: n.max(1),
            }),
        );
        QueueRef::new(queue)
    }

    fn policy(&self, queue: &QueueRef) -> Result<Option<DeadLetter>, QueueError> {
        self.queues
            .read()
            .expect("queue registry")
            .get(queue.as_str())
            .cloned()
            .ok_or_else(|| QueueError::NoSuchQueue(queue.to_string()))
    }

    fn now(&self) -> i64 {
        millis(self.clock.now())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| QueueError::Unavailable(format!("queue task failed: {e}")))?
    }
}

fn next_seq(tx: &redb::WriteTransaction) -> Result<u64, QueueError> {
    let mut meta = tx.open_table(META).map_err(unavailable)?;
    let seq = meta
        .get("seq")
        .map_err(unavailable)?
        .map_or(0, |v| v.value())
        + 1;
    meta.insert("seq", seq).map_err(unavailable)?;
    Ok(seq)
}

fn encode(m: &Stored) -> Result<Vec<u8>, QueueError> {
    serde_json::to_vec(m).map_err(unavailable)
}

fn decode(bytes: &[u8]) -> Result<Stored, QueueError> {
    serde_json::from_slice(bytes).map_err(unavailable)
}

/// Splits a receipt into the message's key and the delivery's nonce.
fn parse_receipt<'a>(queue: &QueueRef, receipt: &'a str) -> Result<(String, &'a str), QueueError> {
    let (seq, nonce) = receipt.split_once(':').ok_or(QueueError::StaleReceipt)?;
    let seq: u64 = seq.parse().map_err(|_| QueueError::StaleReceipt)?;
    Ok((key(queue.as_str(), seq), nonce))
}

impl EmbeddedQueue {
    /// Applies `change` to the message whose current delivery `receipt` is, in one write
    /// transaction: it answers what to keep (`None` deletes). A message that is gone is fine
    /// only when `gone_ok`; a receipt of an older delivery is stale.
    async fn with_delivery(
        &self,
        queue: &QueueRef,
        receipt: &str,
        gone_ok: bool,
        change: impl FnOnce(Stored) -> Option<Stored> + Send + 'static,
    ) -> Result<(), QueueError> {
        self.policy(queue)?;
        let (k, nonce) = parse_receipt(queue, receipt)?;
        let nonce = nonce.to_string();
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut table = tx.open_table(MESSAGES).map_err(unavailable)?;
                let current = table
                    .get(k.as_str())
                    .map_err(unavailable)?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                match current {
                    None if gone_ok => {}
                    Some(m) if m.nonce.as_deref() == Some(nonce.as_str()) => match change(m) {
                        Some(kept) => {
                            table
                                .insert(k.as_str(), encode(&kept)?.as_slice())
                                .map_err(unavailable)?;
                        }
                        None => {
                            table.remove(k.as_str()).map_err(unavailable)?;
                        }
                    },
                    _ => return Err(QueueError::StaleReceipt),
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send(
        &self,
        queue: &QueueRef,
        body: &str,
        delay: Duration,
    ) -> Result<String, QueueError> {
        validate_send(body, delay)?;
        self.policy(queue)?;
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        let stored = Stored {
            id: id.clone(),
            body: body.to_string(),
            sent_at: now,
            visible_at: now + delay.num_milliseconds(),
            receive_count: 0,
            nonce: None,
        };
        let name = queue.0.clone();
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let seq = next_seq(&tx)?;
            tx.open_table(MESSAGES)
                .map_err(unavailable)?
                .insert(key(&name, seq).as_str(), encode(&stored)?.as_slice())
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)
        })
        .await?;
        Ok(id)
    }

    async fn receive(
        &self,
        queue: &QueueRef,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError> {
        validate_visibility(visibility)?;
        let policy = self.policy(queue)?;
        let max = max.clamp(1, MAX_BATCH);
        let now = self.now();
        let name = queue.0.clone();
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let mut out = Vec::new();
            let mut moves = Vec::new();
            {
                let mut table = tx.open_table(MESSAGES).map_err(unavailable)?;
                let start = format!("{name}\0");
                let end = format!("{name}\u{1}");
                let mut picked = Vec::new();
                for row in table
                    .range(start.as_str()..end.as_str())
                    .map_err(unavailable)?
                {
                    let (k, v) = row.map_err(unavailable)?;
                    let m = decode(v.value())?;
                    if m.visible_at > now {
                        continue;
                    }
                    picked.push((k.value().to_string(), m));
                    if picked.len() >= max {
                        break;
                    }
                }
                for (k, mut m) in picked {
                    if let Some(dl) = &policy {
                        if m.receive_count >= dl.max_receives {
                            table.remove(k.as_str()).map_err(unavailable)?;
                            moves.push((dl.queue.clone(), m));
                            continue;
                        }
                    }
                    let nonce = uuid::Uuid::new_v4().simple().to_string();
                    m.receive_count += 1;
                    m.visible_at = now + visibility.num_milliseconds();
                    m.nonce = Some(nonce.clone());
                    table
                        .insert(k.as_str(), encode(&m)?.as_slice())
                        .map_err(unavailable)?;
                    let seq = k.rsplit('\0').next().unwrap_or_default();
                    out.push(Received {
                        message_id: m.id,
                        receipt: format!("{}:{nonce}", seq.trim_start_matches('0')),
                        body: m.body,
                        receive_count: m.receive_count,
                        sent_at: DateTime::from_timestamp_millis(m.sent_at).unwrap_or_default(),
                    });
                }
            }
            for (dlq, mut m) in moves {
                let seq = next_seq(&tx)?;
                m.receive_count = 0;
                m.nonce = None;
                m.visible_at = now;
                tx.open_table(MESSAGES)
                    .map_err(unavailable)?
                    .insert(key(&dlq, seq).as_str(), encode(&m)?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(out)
        })
        .await
    }

    async fn delete(&self, queue: &QueueRef, receipt: &str) -> Result<(), QueueError> {
        // Deleting twice is fine, as in SQS.
        self.with_delivery(queue, receipt, true, |_| None).await
    }

    async fn set_visibility(
        &self,
        queue: &QueueRef,
        receipt: &str,
        visibility: Duration,
    ) -> Result<(), QueueError> {
        validate_visibility(visibility)?;
        let visible_at = self.now() + visibility.num_milliseconds();
        self.with_delivery(queue, receipt, false, move |m| {
            Some(Stored { visible_at, ..m })
        })
        .await
    }

    async fn stats(&self, queue: &QueueRef) -> Result<QueueStats, QueueError> {
        self.policy(queue)?;
        let now = self.now();
        let name = queue.0.clone();
        self.blocking(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let table = tx.open_table(MESSAGES).map_err(unavailable)?;
            let start = format!("{name}\0");
            let end = format!("{name}\u{1}");
            let mut s = QueueStats::default();
            for row in table
                .range(start.as_str()..end.as_str())
                .map_err(unavailable)?
            {
                let (_, v) = row.map_err(unavailable)?;
                let m = decode(v.value())?;
                if m.visible_at <= now {
                    s.visible += 1;
                } else if m.nonce.is_some() {
                    s.in_flight += 1;
                } else {
                    s.delayed += 1;
                }
            }
            Ok(s)
        })
        .await
    }
}
