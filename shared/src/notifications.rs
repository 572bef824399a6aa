//! Amazon notifications: what `job-notifications` (and the local runner, in-process) does with
//! each message of the SP-API destination queue, or of the EventBridge rule that forwards the
//! types Amazon sends only there (the message is then an EventBridge event, its `detail` the
//! notification).
//!
//! - A notification names a seller, not a tenant: it goes to every connection of that seller
//!   (`Connections::by_seller`; one seller may be connected in several tenants).
//! - Delivery is at least once and unordered. Each (notification, connection) is done once: a
//!   marker (`JOBDONE#notification:<notificationId>:<connection>`, with a TTL) is written after
//!   the effect, and every effect is idempotent and order-free in itself: ORDER_CHANGE re-reads
//!   the order as Amazon has it now and stores it newer-wins, the others make a dataset due
//!   (a guarded `sync::modify`), or mark it as needing the seller.
//! - Effects: ORDER_CHANGE refreshes the order (without our Amazon app configured: the orders
//!   sweep is made due); TRANSACTION_UPDATE makes the transactions sweep due (the notification
//!   carries only the total, not the transaction); REPORT_PROCESSING_FINISHED of a settlement
//!   report makes the settlements sweep due (other reports are polled by the run that asked for
//!   them); APPLICATION_OAUTH marks every dataset of the connection as needing the seller to
//!   authorise again, so nothing of it runs until they reconnect.
//! - FBA_INVENTORY_AVAILABILITY_CHANGES stores the stock figures it carries for each
//!   marketplace the connection serves (`sync::inventory::apply_availability`), newer-wins by
//!   its `EventTime`: duplicates and late older ones change nothing.
//! - The listings types (`sync::listings::Notified`): LISTINGS_ITEM_STATUS_CHANGE and
//!   LISTINGS_ITEM_ISSUES_CHANGE re-read the listing, ITEM_PRODUCT_TYPE_CHANGE the catalog item, FEE_PROMOTION
//!   re-estimates the named ASINs' fees (all three as Amazon has them now, so order does not
//!   matter), ANY_OFFER_CHANGED keeps a point of the ASIN's offers series (keyed by Amazon's
//!   time of the change) and PRICING_HEALTH its fact, each written once.
//! - A type we do not act on is acknowledged and logged, never retried. A body that cannot be
//!   read is recorded as a permanent failure with its cause: under each tenant of the seller it
//!   names (the error-recovery API shows it; retrying it makes the dataset due), or, when it
//!   names no seller we know, in the operators' list (`NOTIFERR`). A failure that may pass
//!   (store, Amazon throttling) comes back with a growing delay, and after
//!   [`Settings::max_attempts`] receives is recorded like the job runtime's.
//!
//! APPLICATION_OAUTH has no published schema; it is read tolerantly as a camelCase (or
//! PascalCase) notification whose payload names the seller (`sellerId`, `sellingPartnerId` or
//! `merchantId`, at any depth) and what happened (`eventType`, `changeType`, `status` or
//! `authorizationStatus`):
//!
//! ```json
//! {"notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH", "payloadVersion": "1.0",
//!  "eventTime": "2026-11-01T12:00:00Z",
//!  "payload": {"applicationOAuth": {"sellerId": "A1…", "eventType": "AUTHORIZATION_REVOKED"}},
//!  "notificationMetadata": {"applicationId": "…", "publishTime": "…", "notificationId": "…"}}
//! ```
//! Any event but a grant (`AUTHORIZED`, `GRANTED`, `AUTHORIZATION_GRANTED`) stops the
//! connection; one older than the seller's last consent (a revocation delivered after they
//! reconnected) is ignored.

use crate::amazon::app::region_of;
use crate::amazon::models::notification_payloads::{decode_notification, Received as Decoded};
use crate::amazon::models::reports::ProcessingStatus;
use crate::amazon::{AmazonApp, AmazonError};
use crate::connections::{AmazonAccount, Connections};
use crate::jobs::lambda::Batch;
use crate::jobs::{self, Disposition, JobFailure, JobMessage};
use crate::keys;
use crate::ports::bus::EventBus;
use crate::ports::queue::{Queue, QueueError, Received};
use crate::ports::store::{query_all, ItemBuilder, ItemExt, StoreError};
use crate::ports::{Pacer, Secrets, Store};
use crate::sync::step::{StepContext, StepError};
use crate::sync::{self, Dataset, Status, SyncState};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use tracing::Instrument;

/// The job kind under which a notification's failures are recorded.
pub const NOTIFICATION_JOB: &str = "notification";

/// Report types whose notification means a new settlement is there to import.
const SETTLEMENT_REPORT: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE";

/// How much of an unreadable body is kept with its failure.
const KEPT_BODY_BYTES: usize = 16 * 1024;

/// How long the operators' record of an unroutable notification is kept.
const UNROUTED_TTL: Duration = Duration::days(30);

/// Settings of the consumer: the job runtime's (its queue, attempts, margin, marker life).
pub use crate::jobs::Settings;

/// What a notification asks of a connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Re-read this order from Amazon and store it newer-wins.
    RefreshOrder {
        order_id: String,
        marketplace_id: String,
    },
    /// Transactions were posted or changed in this marketplace: the sweep picks them up.
    TransactionsChanged { marketplace_id: String },
    /// A settlement report is ready.
    SettlementReady,
    /// The seller's authorisation was revoked or changed: stop until they reconnect.
    Reauthorize { reason: String },
    /// Nothing to do for a connection (a report another run polls, a grant, …).
    Nothing { why: String },
    /// A SKU's FBA stock changed: store the figures (newer-wins by the event time).
    InventoryAvailability {
        payload: Box<crate::amazon::models::notification_payloads::FbaInventoryAvailabilityPayload>,
    },
    /// Listings, catalog, offers, pricing health, fee promotions (`sync::listings`).
    Listings(Box<sync::listings::Notified>),
}

impl Effect {
    /// The dataset the effect is about, named in a recorded failure (retrying it makes that
    /// dataset due).
    fn dataset(&self) -> Option<Dataset> {
        match self {
            Effect::RefreshOrder { .. } => Some(Dataset::Orders),
            Effect::TransactionsChanged { .. } => Some(Dataset::Transactions),
            Effect::SettlementReady => Some(Dataset::Settlements),
            Effect::InventoryAvailability { .. } => Some(Dataset::Inventory),
            Effect::Reauthorize { .. } | Effect::Nothing { .. } => None,
            Effect::Listings(n) => Some(n.dataset()),
        }
    }

    /// The marketplace it concerns, if it names one.
    fn marketplace(&self) -> Option<&str> {
        match self {
            Effect::RefreshOrder { marketplace_id, .. }
            | Effect::TransactionsChanged { marketplace_id } => Some(marketplace_id),
            Effect::InventoryAvailability { payload } => payload
                .fulfillment_inventory_by_marketplace
                .first()
                .map(|m| m.marketplace_id.as_str()),
            Effect::Listings(n) => Some(n.marketplace()),
            _ => None,
        }
    }
}

/// A notification read from a message, ready to route.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// Amazon's `notificationId` (the message id when Amazon sent none).
    pub id: String,
    pub kind: String,
    pub event_time: DateTime<Utc>,
    pub seller_id: Option<String>,
    pub effect: Effect,
}

/// How a message reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A notification we act on.
    Notice(Notice),
    /// A type we do not act on (in this release, or at all): acknowledged and logged.
    Ignored { kind: String },
    /// Not a notification we can read: the cause, the type if it was readable, and the seller
    /// the body seems to name (to record the failure where its tenant sees it).
    Malformed {
        cause: String,
        kind: Option<String>,
        seller_hint: Option<String>,
    },
}

/// Reads one message body: a notification (possibly double-encoded, as Amazon's own sample
/// handles), or an EventBridge event carrying one in `detail`.
pub fn read(body: &str, message_id: &str) -> Reading {
    let value: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            return Reading::Malformed {
                cause: format!("the body is not JSON: {e}"),
                kind: None,
                seller_hint: None,
            }
        }
    };
    let value = match value {
        Value::String(inner) => match serde_json::from_str(&inner) {
            Ok(v) => v,
            Err(e) => {
                return Reading::Malformed {
                    cause: format!("the body is a JSON string that does not hold JSON: {e}"),
                    kind: None,
                    seller_hint: None,
                }
            }
        },
        v => v,
    };
    // An EventBridge event: the notification is its `detail`.
    let value = match value {
        Value::Object(mut o) if o.contains_key("detail-type") && o.contains_key("detail") => {
            match o.remove("detail").unwrap_or_default() {
                Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
                v => v,
            }
        }
        v => v,
    };
    let seller_hint = find_seller(&value);
    let kind = value
        .get("notificationType")
        .or_else(|| value.get("NotificationType"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let malformed = |cause: String| Reading::Malformed {
        cause,
        kind: kind.clone(),
        seller_hint: seller_hint.clone(),
    };
    let Some(kind_text) = kind.clone() else {
        return malformed("the body names no notificationType".into());
    };
    if kind_text == "APPLICATION_OAUTH" {
        return match read_oauth(&value, message_id) {
            Ok(n) => Reading::Notice(n),
            Err(cause) => malformed(cause),
        };
    }
    let bytes = value.to_string();
    let decoded = match decode_notification(bytes.as_bytes()) {
        Ok(d) => d,
        Err(e) => return malformed(format!("{kind_text}: {e}")),
    };
    let id_or = |id: Option<String>| id.unwrap_or_else(|| format!("message:{message_id}"));
    match decoded {
        Decoded::OrderChange(n) => {
            let p = &n.payload.order_change_notification;
            Reading::Notice(Notice {
                id: id_or(
                    n.notification_metadata
                        .as_ref()
                        .map(|m| m.notification_id.clone()),
                ),
                kind: kind_text,
                event_time: n.event_time,
                seller_id: Some(p.seller_id.clone()),
                effect: Effect::RefreshOrder {
                    order_id: p.amazon_order_id.clone(),
                    marketplace_id: p.summary.marketplace_id.clone(),
                },
            })
        }
        Decoded::TransactionUpdate(n) => {
            let p = &n.payload.transaction_update_notification;
            Reading::Notice(Notice {
                id: id_or(
                    n.notification_metadata
                        .as_ref()
                        .map(|m| m.notification_id.clone()),
                ),
                kind: kind_text,
                event_time: n.event_time,
                seller_id: Some(p.selling_partner_metadata.selling_partner_id.clone()),
                effect: Effect::TransactionsChanged {
                    marketplace_id: p.selling_partner_metadata.marketplace_id.clone(),
                },
            })
        }
        Decoded::ReportProcessingFinished(n) => {
            let p = &n.payload.report_processing_finished_notification;
            let effect = if p.report_type.starts_with(SETTLEMENT_REPORT)
                && p.processing_status == ProcessingStatus::Done
            {
                Effect::SettlementReady
            } else {
                // A report a run asked for: that run polls it (a wake-up here could run a step
                // twice at once), so the notification changes nothing.
                Effect::Nothing {
                    why: format!(
                        "report {} ({}) is {:?}; its run polls it",
                        p.report_id, p.report_type, p.processing_status
                    ),
                }
            };
            Reading::Notice(Notice {
                id: n.notification_metadata.notification_id.clone(),
                kind: kind_text,
                event_time: n.event_time,
                seller_id: p.seller_id.clone().or(seller_hint),
                effect,
            })
        }
        Decoded::FbaInventoryAvailabilityChanges(n) => Reading::Notice(Notice {
            id: id_or(
                n.notification_metadata
                    .as_ref()
                    .map(|m| m.notification_id.clone()),
            ),
            kind: kind_text,
            event_time: n.event_time,
            seller_id: Some(n.payload.seller_id.clone()),
            effect: Effect::InventoryAvailability {
                payload: Box::new(n.payload.clone()),
            },
        }),
        other => match sync::listings::notice_of(&other) {
            Some(Ok(n)) => Reading::Notice(Notice {
                id: id_or(n.id),
                kind: kind_text,
                event_time: n.event_time,
                seller_id: n.seller_id.or(seller_hint),
                effect: Effect::Listings(Box::new(n.notified)),
            }),
            Some(Err(cause)) => malformed(cause),
            None => Reading::Ignored { kind: kind_text },
        },
    }
}

/// The seller an (otherwise unreadable) body names: the first `sellerId`, `sellingPartnerId`
/// or `merchantId` (any casing) at any depth.
fn find_seller(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => {
            for (k, val) in o {
                let k = k.to_ascii_lowercase();
                if matches!(k.as_str(), "sellerid" | "sellingpartnerid" | "merchantid") {
                    if let Some(s) = val.as_str().filter(|s| !s.is_empty()) {
                        return Some(s.to_string());
                    }
                }
            }
            o.values().find_map(find_seller)
        }
        Value::Array(a) => a.iter().find_map(find_seller),
        _ => None,
    }
}

/// The first string under any of `names` (any casing) at any depth.
fn find_text(v: &Value, names: &[&str]) -> Option<String> {
    match v {
        Value::Object(o) => o
            .iter()
            .find_map(|(k, val)| {
                names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(k))
                    .then(|| val.as_str().map(str::to_string))
                    .flatten()
            })
            .or_else(|| o.values().find_map(|x| find_text(x, names))),
        Value::Array(a) => a.iter().find_map(|x| find_text(x, names)),
        _ => None,
    }
}

/// Grants: an APPLICATION_OAUTH event with one of these changes nothing.
const GRANTS: &[&str] = &["AUTHORIZED", "GRANTED", "AUTHORIZATION_GRANTED"];

fn read_oauth(v: &Value, message_id: &str) -> Result<Notice, String> {
    let field = |camel: &str, pascal: &str| v.get(camel).or_else(|| v.get(pascal));
    let event_time = field("eventTime", "EventTime")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or("APPLICATION_OAUTH: eventTime is missing or not an RFC 3339 time")?;
    let payload = field("payload", "Payload")
        .filter(|p| p.is_object())
        .ok_or("APPLICATION_OAUTH: payload is missing")?;
    let seller = find_seller(payload).ok_or("APPLICATION_OAUTH: the payload names no seller")?;
    let id = field("notificationMetadata", "NotificationMetadata")
        .and_then(|m| find_text(m, &["notificationId"]))
        .unwrap_or_else(|| format!("message:{message_id}"));
    let event = find_text(
        payload,
        &["eventType", "changeType", "authorizationStatus", "status"],
    )
    .unwrap_or_else(|| "AUTHORIZATION_CHANGED".to_string());
    let effect = if GRANTS.iter().any(|g| g.eq_ignore_ascii_case(&event)) {
        Effect::Nothing {
            why: format!("authorisation event {event}"),
        }
    } else {
        Effect::Reauthorize {
            reason: format!("Amazon reported the seller's authorisation {event}"),
        }
    };
    Ok(Notice {
        id,
        kind: "APPLICATION_OAUTH".into(),
        event_time,
        seller_id: Some(seller),
        effect,
    })
}

/// Why applying a notice to a connection failed.
#[derive(Debug)]
enum Fail {
    /// May pass: try again later (at the given instant, when the cause knows it).
    Retry(String, Option<DateTime<Utc>>),
    /// Will fail the same way every time.
    Permanent(String),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) | StoreError::Corrupt(m) => Fail::Permanent(m),
            other => Fail::Retry(other.to_string(), None),
        }
    }
}

impl From<crate::Error> for Fail {
    fn from(e: crate::Error) -> Self {
        Fail::Retry(e.to_string(), None)
    }
}

/// An unreadable or unroutable notification, kept for the operators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnroutedNotification {
    pub message_id: String,
    pub notification_type: Option<String>,
    pub cause: String,
    /// The body as received (its first 16 KB).
    pub body: String,
    pub failed_at: DateTime<Utc>,
}

/// The unreadable or unroutable notifications of the last 30 days.
pub async fn unrouted(store: &dyn Store) -> Result<Vec<UnroutedNotification>, StoreError> {
    let mut out: Vec<UnroutedNotification> = query_all(store, keys::notification_failures())
        .await?
        .iter()
        .map(|i| {
            serde_json::from_str(&i.s("failure")?)
                .map_err(|_| StoreError::Corrupt("failure".into()))
        })
        .collect::<Result<_, _>>()?;
    out.sort_by_key(|f| f.failed_at);
    Ok(out)
}

fn kept(body: &str) -> String {
    if body.len() <= KEPT_BODY_BYTES {
        return body.to_string();
    }
    let mut end = KEPT_BODY_BYTES;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_string()
}

/// The notification consumer: one per process.
pub struct Consumer {
    store: Arc<dyn Store>,
    secrets: Arc<dyn Secrets>,
    secret_prefix: String,
    queues: Arc<dyn Queue>,
    /// Every "now" and every wait (the stand-in's virtual clock in tests).
    pacer: Arc<dyn Pacer>,
    /// Our Amazon application; without it ORDER_CHANGE makes the orders sweep due instead of
    /// reading the order.
    amazon: Option<Arc<AmazonApp>>,
    /// Where `OrdersChanged` goes when a refreshed order is newer than the stored one.
    bus: Option<Arc<dyn EventBus>>,
    settings: Settings,
}

/// What the consumer runs on.
pub struct Ports {
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn Secrets>,
    /// The prefix of the connections' secrets (`SECRET_PREFIX`).
    pub secret_prefix: String,
    pub queues: Arc<dyn Queue>,
    /// Every "now" and every wait.
    pub pacer: Arc<dyn Pacer>,
    /// Our Amazon application; without it ORDER_CHANGE makes the orders sweep due.
    pub amazon: Option<Arc<AmazonApp>>,
    /// Where `OrdersChanged` is published; without it nothing is.
    pub bus: Option<Arc<dyn EventBus>>,
}

impl Consumer {
    pub fn new(p: Ports, settings: Settings) -> Self {
        Self {
            store: p.store,
            secrets: p.secrets,
            secret_prefix: p.secret_prefix,
            queues: p.queues,
            pacer: p.pacer,
            amazon: p.amazon,
            bus: p.bus,
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn connections(&self) -> Connections<'_> {
        Connections::new(
            self.store.as_ref(),
            self.secrets.as_ref(),
            &self.secret_prefix,
        )
    }

    /// Handles a batch in order, within `deadline`; each delivery's disposition.
    pub async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        let mut out = Vec::with_capacity(batch.len());
        for d in batch {
            let disposition = if self.pacer.now() + self.settings.margin >= deadline {
                tracing::info!(message_id = %d.message_id, "no time left in this invocation; handed back");
                Disposition::Returned
            } else {
                let span = tracing::info_span!("notification", message_id = %d.message_id, receive_count = d.receive_count);
                self.one(d, deadline - self.settings.margin)
                    .instrument(span)
                    .await
            };
            out.push((d.message_id.clone(), disposition));
        }
        out
    }

    async fn one(&self, d: &Received, deadline: DateTime<Utc>) -> Disposition {
        match read(&d.body, &d.message_id) {
            Reading::Ignored { kind } => {
                tracing::info!(notification_type = %kind, "notification type not acted on; acknowledged");
                Disposition::Acknowledged
            }
            Reading::Malformed {
                cause,
                kind,
                seller_hint,
            } => self.malformed(d, cause, kind, seller_hint).await,
            Reading::Notice(n) => self.route(d, &n, deadline).await,
        }
    }

    /// Applies a notice to every connection of its seller.
    async fn route(&self, d: &Received, n: &Notice, deadline: DateTime<Utc>) -> Disposition {
        let Some(seller) = n.seller_id.as_deref() else {
            tracing::warn!(notification_type = %n.kind, notification_id = %n.id, "notification names no seller; acknowledged");
            return Disposition::Acknowledged;
        };
        let accounts = match self.connections().by_seller(seller).await {
            Ok(a) => a,
            Err(e) => return self.hand_back(d, &e.to_string(), None).await,
        };
        if accounts.is_empty() {
            tracing::info!(notification_type = %n.kind, notification_id = %n.id, seller_id = %seller, "no connection of this seller; acknowledged");
            return Disposition::Acknowledged;
        }
        // A seller connected for several countries in one tenant: the connection that serves
        // the marketplace, when one does.
        let serving: Vec<&AmazonAccount> = match n.effect.marketplace() {
            Some(m) if accounts.iter().any(|a| serves(a, m)) => {
                accounts.iter().filter(|a| serves(a, m)).collect()
            }
            _ => accounts.iter().collect(),
        };
        let mut pending: Option<(String, Option<DateTime<Utc>>)> = None;
        let mut recorded = false;
        for a in serving {
            let result = self.apply(n, a, deadline, d.receive_count).await;
            let (reason, permanent) = match result {
                Ok(()) => continue,
                Err(Fail::Permanent(r)) => (r, true),
                Err(Fail::Retry(r, _)) if d.receive_count >= self.settings.max_attempts => {
                    (r, false)
                }
                Err(Fail::Retry(r, at)) => {
                    tracing::warn!(tenant = %a.tenant, connection = %a.id, error = %r, "notification not applied; will retry");
                    // The latest instant any connection asked for.
                    let at = at.max(pending.as_ref().and_then(|p| p.1));
                    pending = Some((r, at));
                    continue;
                }
            };
            match self.record(d, n, a, &reason, permanent).await {
                Ok(()) => recorded = true,
                Err(e) => pending = Some((format!("{reason}; recording it failed: {e}"), None)),
            }
        }
        match pending {
            Some((reason, at)) => self.hand_back(d, &reason, at).await,
            None if recorded => Disposition::Recorded,
            None => Disposition::Acknowledged,
        }
    }

    /// Applies a notice to one connection, once.
    async fn apply(
        &self,
        n: &Notice,
        a: &AmazonAccount,
        deadline: DateTime<Utc>,
        attempt: u32,
    ) -> Result<(), Fail> {
        let store = self.store.as_ref();
        let marker = keys::tenant(&a.tenant).job_done(&format!("notification:{}:{}", n.id, a.id));
        if store.get(&marker).await?.is_some() {
            tracing::info!(notification_id = %n.id, connection = %a.id, "already applied; acknowledged");
            return Ok(());
        }
        let now = self.pacer.now();
        let conn = a.id.as_str();
        match &n.effect {
            Effect::RefreshOrder { order_id, .. } => {
                self.refresh_order(a, order_id, deadline, attempt).await?;
            }
            Effect::TransactionsChanged { .. } => {
                wake(store, a, Dataset::Transactions, now).await?;
            }
            Effect::SettlementReady => {
                wake(store, a, Dataset::Settlements, now).await?;
            }
            Effect::InventoryAvailability { payload } => {
                let mut events = sync::inventory::apply_availability(
                    store,
                    &a.tenant,
                    conn,
                    |m| serves(a, m),
                    payload,
                    n.event_time,
                )
                .await?;
                // A redelivery whose first attempt may have stored and then failed to publish.
                if events.is_empty() && attempt > 1 {
                    events = payload
                        .fulfillment_inventory_by_marketplace
                        .iter()
                        .filter(|m| serves(a, &m.marketplace_id))
                        .map(|m| {
                            sync::inventory::inventory_changed(
                                &a.tenant,
                                conn,
                                &m.marketplace_id,
                                std::slice::from_ref(&payload.sku),
                            )
                        })
                        .collect();
                }
                if let (Some(bus), false) = (&self.bus, events.is_empty()) {
                    bus.publish(&events).await.map_err(|e| {
                        Fail::Retry(format!("publishing InventoryChanged: {e}"), None)
                    })?;
                }
            }
            Effect::Reauthorize { reason } => {
                if n.event_time < a.authorized_at.unwrap_or(a.created_at) {
                    tracing::info!(connection = %conn, "authorisation event older than the seller's last consent; ignored");
                } else {
                    sync::needs_reauthorization(store, &a.tenant, conn, reason, now).await?;
                }
            }
            Effect::Nothing { why } => {
                tracing::info!(notification_type = %n.kind, why = %why, "nothing to do");
            }
            Effect::Listings(l) => self.listings_effect(a, l, deadline).await?,
        }
        let done = ItemBuilder::at(marker)
            .s("kind", NOTIFICATION_JOB)
            .s("notificationType", n.kind.clone())
            .time("doneAt", now)
            .ttl(now + self.settings.done_ttl)
            .build();
        store.put(done, None).await?;
        Ok(())
    }

    /// Brings one order up to date: reads it from Amazon as it is now and stores it
    /// newer-wins, so duplicates and any order of arrival end with Amazon's latest. Without our
    /// Amazon application the orders sweep is made due instead; a connection that waits for
    /// the seller is left alone.
    async fn refresh_order(
        &self,
        a: &AmazonAccount,
        order_id: &str,
        deadline: DateTime<Utc>,
        attempt: u32,
    ) -> Result<(), Fail> {
        let store = self.store.as_ref();
        let Some(app) = &self.amazon else {
            wake(store, a, Dataset::Orders, self.pacer.now()).await?;
            return Ok(());
        };
        let orders = sync::get(store, &a.tenant, a.id.as_str(), Dataset::Orders).await?;
        if orders.is_some_and(|s| s.status == Status::NeedsReauthorization) {
            tracing::info!(connection = %a.id, "connection waits for the seller; order not read");
            return Ok(());
        }
        let api = app.sp_api(region_of(a));
        let secret = self.connections().secret_name(a);
        let amazon = match app
            .context(self.secrets.as_ref(), &secret, a, deadline)
            .await
        {
            Ok(c) => c,
            Err(e) => return self.amazon_failed(a, e).await,
        };
        let cx = StepContext {
            tenant: &a.tenant,
            account: a,
            store,
            api: &api,
            amazon: &amazon,
            pacer: &self.pacer,
            deadline,
        };
        let written = match sync::orders::refresh_order(&cx, order_id).await {
            Ok(w) => w,
            Err(StepError::Amazon(e)) => return self.amazon_failed(a, e).await,
            Err(StepError::Store(e)) => return Err(e.into()),
            Err(StepError::Permanent(m)) => return Err(Fail::Permanent(m)),
        };
        // A newer order changes figures: say so. Also on a redelivery, whose first attempt may
        // have stored the order and then failed to publish (a repeated event is harmless, a
        // lost one is not).
        if let (Some(bus), true) = (&self.bus, written.stored() || attempt > 1) {
            if let Some(order) = crate::records::orders::get(store, &a.tenant, order_id).await? {
                let event = sync::orders::orders_changed(
                    &a.tenant,
                    a.id.as_str(),
                    &order.marketplace_id,
                    &[&order],
                );
                bus.publish(&[event])
                    .await
                    .map_err(|e| Fail::Retry(format!("publishing OrdersChanged: {e}"), None))?;
            }
        }
        Ok(())
    }

    /// A listings, catalog, offers or fees notification: what it says is kept, or what it names
    /// is read again from Amazon (without our Amazon application, the listings dataset is made
    /// due instead; a fee promotion then waits for the next estimate). Its events are published.
    async fn listings_effect(
        &self,
        a: &AmazonAccount,
        n: &sync::listings::Notified,
        deadline: DateTime<Utc>,
    ) -> Result<(), Fail> {
        let store = self.store.as_ref();
        let events = if !n.needs_amazon() {
            sync::listings::keep_notified(store, &a.tenant, a.id.as_str(), n).await?
        } else if let Some(app) = &self.amazon {
            let state = sync::get(store, &a.tenant, a.id.as_str(), n.dataset()).await?;
            if state.is_some_and(|s| s.status == Status::NeedsReauthorization) {
                tracing::info!(connection = %a.id, "connection waits for the seller; listing not read");
                return Ok(());
            }
            let api = app.sp_api(region_of(a));
            let secret = self.connections().secret_name(a);
            let amazon = match app
                .context(self.secrets.as_ref(), &secret, a, deadline)
                .await
            {
                Ok(c) => c,
                Err(e) => return self.amazon_failed(a, e).await,
            };
            let cx = StepContext {
                tenant: &a.tenant,
                account: a,
                store,
                api: &api,
                amazon: &amazon,
                pacer: &self.pacer,
                deadline,
            };
            match sync::listings::apply_notified(&cx, n).await {
                Ok(e) => e,
                Err(StepError::Amazon(e)) => return self.amazon_failed(a, e).await,
                Err(StepError::Store(e)) => return Err(e.into()),
                Err(StepError::Permanent(m)) => return Err(Fail::Permanent(m)),
            }
        } else {
            if matches!(n, sync::listings::Notified::FeePromotion { .. }) {
                tracing::info!(connection = %a.id, "no Amazon application: the fee promotion waits for the next estimate");
            } else {
                wake(store, a, Dataset::Listings, self.pacer.now()).await?;
            }
            vec![]
        };
        if let (Some(bus), false) = (&self.bus, events.is_empty()) {
            bus.publish(&events)
                .await
                .map_err(|e| Fail::Retry(format!("publishing listing events: {e}"), None))?;
        }
        Ok(())
    }

    /// What an Amazon failure means for a notification: a lost authorisation stops the
    /// connection (and the notification is done), a passing one is retried, the rest recorded.
    async fn amazon_failed(&self, a: &AmazonAccount, e: AmazonError) -> Result<(), Fail> {
        match e {
            AmazonError::NeedsReauthorization(reason) => {
                sync::needs_reauthorization(
                    self.store.as_ref(),
                    &a.tenant,
                    a.id.as_str(),
                    &reason,
                    self.pacer.now(),
                )
                .await?;
                Ok(())
            }
            AmazonError::RetryLater { at } => Err(Fail::Retry(
                format!("Amazon's rate limit allows the call at {at}"),
                Some(at),
            )),
            e @ (AmazonError::Throttled { .. }
            | AmazonError::Server { .. }
            | AmazonError::Transport { .. }
            | AmazonError::Dependency(_)
            // Amazon may not show a just-changed order yet.
            | AmazonError::NotFound(_)) => Err(Fail::Retry(e.to_string(), None)),
            e @ (AmazonError::Configuration(_)
            | AmazonError::Forbidden(_)
            | AmazonError::InvalidInput { .. }) => Err(Fail::Permanent(e.to_string())),
        }
    }

    /// Records a failure under the connection's tenant, for the error-recovery API.
    async fn record(
        &self,
        d: &Received,
        n: &Notice,
        a: &AmazonAccount,
        reason: &str,
        permanent: bool,
    ) -> Result<(), StoreError> {
        tracing::error!(tenant = %a.tenant, connection = %a.id, notification_type = %n.kind, error = %reason, permanent, "notification failed; recorded for recovery");
        let mut message = JobMessage::new(
            NOTIFICATION_JOB,
            &a.tenant,
            format!("notification:{}", n.id),
        )
        .connection(a.id.as_str())
        .step(serde_json::json!({"notificationType": n.kind, "notificationId": n.id}));
        let dataset = n.effect.dataset().or(match n.kind.as_str() {
            // An unreadable one: the dataset its type keeps current.
            "ORDER_CHANGE" => Some(Dataset::Orders),
            "TRANSACTION_UPDATE" => Some(Dataset::Transactions),
            _ => None,
        });
        if let Some(ds) = dataset {
            message = message.dataset(ds.as_str());
        }
        let failure = JobFailure {
            id: format!("{}-{}", d.message_id, a.id),
            message,
            error: reason.to_string(),
            permanent,
            attempts: d.receive_count,
            failed_at: self.pacer.now(),
        };
        jobs::record_failure(self.store.as_ref(), &a.tenant, &failure).await
    }

    /// A body that cannot be read: recorded where someone will see it, and settled.
    async fn malformed(
        &self,
        d: &Received,
        cause: String,
        kind: Option<String>,
        seller_hint: Option<String>,
    ) -> Disposition {
        tracing::error!(error = %cause, notification_type = ?kind, "unreadable notification");
        let accounts = match seller_hint {
            Some(s) => match self.connections().by_seller(&s).await {
                Ok(a) => a,
                Err(e) => return self.hand_back(d, &e.to_string(), None).await,
            },
            None => vec![],
        };
        let now = self.pacer.now();
        let kind_text = kind.clone().unwrap_or_else(|| "unknown".into());
        let notice = Notice {
            id: format!("message:{}", d.message_id),
            kind: kind_text,
            event_time: now,
            seller_id: None,
            effect: Effect::Nothing { why: cause.clone() },
        };
        let result = if accounts.is_empty() {
            let f = UnroutedNotification {
                message_id: d.message_id.clone(),
                notification_type: kind,
                cause: cause.clone(),
                body: kept(&d.body),
                failed_at: now,
            };
            match serde_json::to_string(&f) {
                Ok(body) => {
                    let item = ItemBuilder::at(keys::notification_failure(&d.message_id))
                        .s("failure", body)
                        .time("failedAt", now)
                        .ttl(now + UNROUTED_TTL)
                        .build();
                    self.store.put(item, None).await
                }
                Err(e) => Err(StoreError::Invalid(e.to_string())),
            }
        } else {
            let mut r = Ok(());
            for a in &accounts {
                if let Err(e) = self.record(d, &notice, a, &cause, true).await {
                    r = Err(e);
                }
            }
            r
        };
        match result {
            Ok(()) => Disposition::Recorded,
            Err(e) => {
                self.hand_back(d, &format!("recording it failed: {e}"), None)
                    .await
            }
        }
    }

    /// Leaves a message for a retry: at `at` when the cause said when, else after a growing
    /// delay.
    async fn hand_back(
        &self,
        d: &Received,
        reason: &str,
        at: Option<DateTime<Utc>>,
    ) -> Disposition {
        let wait = at
            .map(|t| (t - self.pacer.now()).max(Duration::seconds(1)))
            .unwrap_or_else(|| jobs::retry_delay(d.receive_count))
            .min(Duration::seconds(
                crate::ports::queue::MAX_VISIBILITY_SECONDS,
            ));
        tracing::warn!(error = %reason, retry_in_s = wait.num_seconds(), "notification handed back for a retry");
        if let Err(e) = self
            .queues
            .set_visibility(&self.settings.queue, &d.receipt, wait)
            .await
        {
            tracing::warn!(error = %e, "could not set the retry delay; the queue's timeout applies");
        }
        Disposition::Returned
    }

    /// Receives one batch from the notifications queue, handles it, and deletes what settled:
    /// the local runner's loop, and the tests' way of driving the consumer without Lambda.
    /// Returns how many messages were received.
    pub async fn poll_once(
        &self,
        visibility: Duration,
        budget: Duration,
    ) -> Result<usize, QueueError> {
        let queue = self.settings.queue.clone();
        let batch = self
            .queues
            .receive(&queue, crate::ports::queue::MAX_BATCH, visibility)
            .await?;
        let deadline = self.pacer.now() + budget;
        let results = self.process(&batch, deadline).await;
        for (d, (_, disposition)) in batch.iter().zip(results) {
            if disposition.is_settled() {
                self.queues.delete(&queue, &d.receipt).await?;
            }
        }
        Ok(batch.len())
    }
}

#[async_trait]
impl Batch for Consumer {
    async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        Consumer::process(self, batch, deadline).await
    }
}

/// Whether a connection serves a marketplace (one that lists none serves all).
fn serves(a: &AmazonAccount, marketplace_id: &str) -> bool {
    a.marketplace_ids.is_empty() || a.marketplace_ids.iter().any(|m| m == marketplace_id)
}

/// Makes a waiting dataset due now; a running, stopped or failed one is left as it is (a run
/// in progress ends with its own next sweep; a stopped one waits for the seller or the user).
async fn wake(
    store: &dyn Store,
    a: &AmazonAccount,
    dataset: Dataset,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    sync::modify(store, &a.tenant, a.id.as_str(), dataset, |s: &SyncState| {
        (s.status == Status::Idle && s.next_due > now).then(|| s.due_now(now))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_eventbridge_event_is_read_through_its_detail() {
        let detail = json!({"notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH", "payloadVersion": "1.0",
            "eventTime": "2026-11-01T12:00:00Z", "payload": {"applicationOAuth": {"sellerId": "A1X", "eventType": "AUTHORIZATION_REVOKED"}},
            "notificationMetadata": {"applicationId": "app", "publishTime": "2026-11-01T12:00:01Z", "notificationId": "n-1"}});
        let event = json!({"version": "0", "id": "e", "detail-type": "APPLICATION_OAUTH", "source": "aws.partner/sellingpartnerapi.amazon.com/x", "detail": detail});
        let Reading::Notice(n) = read(&event.to_string(), "m-1") else {
            panic!("not read");
        };
        assert_eq!(n.id, "n-1");
        assert_eq!(n.seller_id.as_deref(), Some("A1X"));
        assert!(matches!(n.effect, Effect::Reauthorize { .. }));
        // Double-encoded, as Amazon's sample handles.
        let twice = serde_json::to_string(&detail.to_string()).unwrap();
        assert!(matches!(read(&twice, "m-2"), Reading::Notice(_)));
    }

    #[test]
    fn what_cannot_be_read_says_why_and_whose_it_seems() {
        let Reading::Malformed { cause, .. } = read("{not json", "m") else {
            panic!()
        };
        assert!(cause.contains("not JSON"), "{cause}");
        let body = json!({"NotificationType": "ORDER_CHANGE", "Payload": {"OrderChangeNotification": {"SellerId": "A1Y"}}});
        let Reading::Malformed {
            cause,
            kind,
            seller_hint,
        } = read(&body.to_string(), "m")
        else {
            panic!()
        };
        assert_eq!(kind.as_deref(), Some("ORDER_CHANGE"));
        assert_eq!(seller_hint.as_deref(), Some("A1Y"));
        assert!(cause.starts_with("ORDER_CHANGE: "), "{cause}");
        assert_eq!(
            read(
                &json!({"notificationType": "DETAIL_PAGE_TRAFFIC_EVENT"}).to_string(),
                "m"
            ),
            Reading::Ignored {
                kind: "DETAIL_PAGE_TRAFFIC_EVENT".into()
            }
        );
    }
}
