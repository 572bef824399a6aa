//! The forecasts job: recomputes a tenant's stored forecasts (`crate::forecasts`) and its
//! inventory alerts when the sync says its orders, stock or daily ledger changed, and every
//! tenant once a day (the schedule's `Scheduled Event`, source `aws.events`); the Lambda
//! `job-forecasts` and the local runner run this same code.
//!
//! Replay-safe: a message applied again recomputes the same figures from the same records and
//! writes nothing (forecasts are written only when their content changed), and publishes no
//! alert twice: an alert's state is claimed in the store (a revision-guarded write) before
//! its event is published, and marked published after; a claim left unpublished for five
//! minutes (its run crashed or could not publish) is taken over, again by a guarded write, and
//! published by a later run. Two runs racing on one tenant claim each change once.
//!
//! Alerts (low stock, restock by, stranded/unfulfillable, over-stock) are published on the bus
//! as `InventoryAlertRaised` when one appears or its severity changes, and
//! `InventoryAlertCleared` when it goes, source `beddora.inventory`; an alert that stays as it
//! is publishes nothing.

use crate::docs::{self, Doc};
use crate::forecasts;
use crate::stock::{self, SkuView};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::domain::TenantId;
use shared::error::{Error, Result};
use shared::identity::tenancy;
use shared::jobs::lambda::Batch;
use shared::jobs::Disposition;
use shared::keys::{self, Tenant};
use shared::ports::bus::{BusEnvelope, DomainEvent, EventBus};
use shared::ports::queue::Received;
use shared::ports::store::{query_all, ItemBuilder, ItemExt};
use shared::ports::{Clock, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The sync's detail types that change a forecast, a plan or an alert.
pub const DETAIL_TYPES: [&str; 5] = [
    "OrdersChanged",
    "InventoryChanged",
    "InventoryStockDaysChanged",
    "InventoryLedgerChanged",
    "TransactionsChanged",
];
/// The source of the inventory's own events.
pub const SOURCE: &str = "beddora.inventory";
pub const ALERT_RAISED: &str = "InventoryAlertRaised";
pub const ALERT_CLEARED: &str = "InventoryAlertCleared";

/// The stored state of one alert (`STOCKPLAN#alert#<type>#<mkt>#<sku>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertState {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub marketplace_id: String,
    pub sku: String,
    pub severity: String,
    pub active: bool,
    /// Claimed but its event not yet published.
    pub pending: bool,
    pub changed_at: DateTime<Utc>,
    /// The alert as the list shows it.
    pub alert: Value,
}

impl Doc for AlertState {
    const KIND: &'static str = "alert";
    fn id(&self) -> String {
        self.id.clone()
    }
}

impl AlertState {
    fn event(&self, t: &Tenant) -> DomainEvent {
        DomainEvent::new(
            SOURCE,
            if self.active {
                ALERT_RAISED
            } else {
                ALERT_CLEARED
            },
            json!({
                "tenant": t.to_string(), "alertId": self.id, "type": self.kind,
                "marketplaceId": self.marketplace_id, "sku": self.sku,
                "severity": self.severity, "changedAt": shared::ports::store::rfc3339(self.changed_at),
                "alert": self.alert,
            }),
        )
    }
}

/// How long a claim stays with the run that made it before another run publishes it.
const CLAIM_LEASE_MINUTES: i64 = 5;

/// A claim whose run did not mark it published within the lease (it crashed or failed).
fn abandoned(o: &docs::Stored<AlertState>, now: DateTime<Utc>) -> bool {
    o.doc.pending && now - o.doc.changed_at >= chrono::Duration::minutes(CLAIM_LEASE_MINUTES)
}

/// What one recompute did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub skus: usize,
    pub forecasts_written: usize,
    pub raised: usize,
    pub cleared: usize,
}

/// The consumer.
#[derive(Clone)]
pub struct Forecasts {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
}

impl Forecasts {
    /// Recomputes one tenant: forecasts, then alerts.
    pub async fn recompute(&self, t: &Tenant) -> Result<Outcome> {
        let store = self.store.as_ref();
        let now = self.clock.now();
        let before = forecasts::stored(store, t).await?;
        let list = forecasts::compute_all(store, t, now).await?;
        let forecasts_written = forecasts::save(store, t, &list, &before).await?;
        drop(before);
        store
            .put(
                ItemBuilder::at(keys::forecast_tenant(t))
                    .s("tenant", t.to_string())
                    .build(),
                None,
            )
            .await?;
        let views = stock::views_of(store, t, now, list).await?;
        let (raised, cleared) = self.alerts(t, &views, now).await?;
        Ok(Outcome {
            skus: views.len(),
            forecasts_written,
            raised,
            cleared,
        })
    }

    /// Claims each alert that appeared, changed or went, publishes every claimed one (also
    /// those a crashed run left), then marks them published.
    async fn alerts(
        &self,
        t: &Tenant,
        views: &[SkuView],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize)> {
        let store = self.store.as_ref();
        let mut current: BTreeMap<String, (Value, &SkuView)> = BTreeMap::new();
        for v in views {
            for a in stock::alerts_of(v) {
                let kind = a["type"].as_str().unwrap_or_default().to_string();
                current.insert(format!("{kind}#{}#{}", v.marketplace_id, v.sku), (a, v));
            }
        }
        let stored: HashMap<String, docs::Stored<AlertState>> =
            query_all(store, keys::tenant(t).stock_plans(AlertState::KIND))
                .await?
                .iter()
                .filter_map(|i| {
                    let doc: AlertState = serde_json::from_str(&i.s("doc").ok()?).ok()?;
                    Some((
                        doc.id.clone(),
                        docs::Stored {
                            doc,
                            rev: i.n_i64("rev").unwrap_or(0),
                        },
                    ))
                })
                .collect();
        let mut claimed: Vec<(AlertState, i64)> = vec![];
        let mut retake: Vec<&docs::Stored<AlertState>> = vec![];
        let ids: BTreeSet<&String> = current.keys().chain(stored.keys()).collect();
        for id in ids {
            let old = stored.get(id);
            let next = match (current.get(id), old) {
                (Some((a, v)), o) => {
                    let severity = a["severity"].as_str().unwrap_or_default().to_string();
                    if o.is_some_and(|o| o.doc.active && o.doc.severity == severity) {
                        if let Some(o) = o.filter(|o| abandoned(o, now)) {
                            retake.push(o);
                        }
                        continue;
                    }
                    AlertState {
                        id: id.clone(),
                        kind: a["type"].as_str().unwrap_or_default().to_string(),
                        marketplace_id: v.marketplace_id.clone(),
                        sku: v.sku.clone(),
                        severity,
                        active: true,
                        pending: true,
                        changed_at: now,
                        alert: a.clone(),
                    }
                }
                (None, Some(o)) if o.doc.active => AlertState {
                    active: false,
                    pending: true,
                    changed_at: now,
                    ..o.doc.clone()
                },
                (None, Some(o)) => {
                    if abandoned(o, now) {
                        retake.push(o);
                    }
                    continue;
                }
                (None, None) => continue,
            };
            let rev = old.map_or(0, |o| o.rev);
            match docs::replace(store, t, &next, rev).await {
                Ok(()) => claimed.push((next, rev + 1)),
                // Another run claimed this change first: it publishes it.
                Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        // Claims a crashed run left unpublished: taken over by one run.
        for o in retake {
            let again = AlertState {
                changed_at: now,
                ..o.doc.clone()
            };
            match docs::replace(store, t, &again, o.rev).await {
                Ok(()) => claimed.push((again, o.rev + 1)),
                Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if claimed.is_empty() {
            return Ok((0, 0));
        }
        let events: Vec<DomainEvent> = claimed.iter().map(|(a, _)| a.event(t)).collect();
        self.bus
            .publish(&events)
            .await
            .map_err(|e| Error::Internal(format!("publishing inventory alerts: {e}")))?;
        let (mut raised, mut cleared) = (0, 0);
        for (a, rev) in claimed {
            if a.active {
                raised += 1;
            } else {
                cleared += 1;
            }
            let done = AlertState {
                pending: false,
                ..a
            };
            match docs::replace(store, t, &done, rev).await {
                Ok(()) | Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((raised, cleared))
    }

    /// The tenants a batch names: each event's tenant, or every registered tenant for the
    /// daily schedule's event.
    async fn tenants_of(&self, batch: &[Received]) -> Result<BTreeMap<String, Vec<usize>>> {
        let mut by_tenant: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut daily: Vec<usize> = vec![];
        for (i, d) in batch.iter().enumerate() {
            match serde_json::from_str::<BusEnvelope>(&d.body) {
                Ok(e) if e.source == "aws.events" => daily.push(i),
                Ok(e) => match e.detail["tenant"].as_str() {
                    Some(t) => by_tenant.entry(t.to_string()).or_default().push(i),
                    None => {
                        tracing::warn!(message_id = %d.message_id, "forecasts: an event without a tenant; acknowledged")
                    }
                },
                Err(e) => {
                    tracing::warn!(message_id = %d.message_id, error = %e, "forecasts: not an event envelope; acknowledged")
                }
            }
        }
        if !daily.is_empty() {
            for i in query_all(self.store.as_ref(), keys::forecast_tenants()).await? {
                if let Ok(t) = i.s("tenant") {
                    by_tenant
                        .entry(t)
                        .or_default()
                        .extend(daily.iter().copied());
                }
            }
        }
        Ok(by_tenant)
    }

    /// Applies messages together: each tenant they name is recomputed once.
    pub async fn many(&self, batch: &[Received]) -> Vec<(String, Disposition)> {
        let mut out: Vec<(String, Disposition)> = batch
            .iter()
            .map(|d| (d.message_id.clone(), Disposition::Acknowledged))
            .collect();
        let by_tenant = match self.tenants_of(batch).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "forecasts: listing tenants failed; will retry");
                for o in &mut out {
                    o.1 = Disposition::Returned;
                }
                return out;
            }
        };
        for (tenant, messages) in by_tenant {
            let result = async {
                let Ok(id) = TenantId::parse(&tenant) else {
                    return Ok(None);
                };
                let Some(t) = tenancy::existing(self.store.as_ref(), &id).await? else {
                    return Ok(None);
                };
                self.recompute(&t).await.map(Some)
            }
            .await;
            match result {
                Ok(Some(o)) => tracing::info!(
                    skus = o.skus,
                    written = o.forecasts_written,
                    raised = o.raised,
                    cleared = o.cleared,
                    "forecasts recomputed"
                ),
                Ok(None) => {}
                Err::<_, Error>(e) => {
                    tracing::warn!(error = %e, "forecasts: will retry");
                    for i in messages {
                        out[i].1 = Disposition::Returned;
                    }
                }
            }
        }
        out
    }
}

#[async_trait]
impl Batch for Forecasts {
    async fn process(
        &self,
        batch: &[Received],
        deadline: DateTime<Utc>,
    ) -> Vec<(String, Disposition)> {
        if Utc::now() + chrono::Duration::seconds(5) >= deadline {
            return batch
                .iter()
                .map(|d| (d.message_id.clone(), Disposition::Returned))
                .collect();
        }
        self.many(batch).await
    }
}
