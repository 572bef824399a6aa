//! The FBA inventory dataset: every SKU's stock per marketplace from the FBA Inventory API
//! (`getInventorySummaries`, granularity Marketplace, details on), one marketplace after the
//! other, page by page, hourly; `FBA_INVENTORY_AVAILABILITY_CHANGES` notifications store the
//! figures they carry in between ([`apply_availability`]). Both write the same record,
//! newer-wins by the instant the figures stand for ([`crate::records::inventory`]), so a
//! duplicate or a late older notification changes nothing and a sweep never undoes a newer
//! notification.
//!
//! Checkpoint: the marketplace being read and its page token (Amazon's token lives 30
//! seconds: a token refused as expired starts the marketplace again, which writes nothing new).

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{Progress, SyncState};
use crate::amazon::models::notification_payloads::FbaInventoryAvailabilityPayload;
use crate::amazon::operations::GetInventorySummariesParams;
use crate::amazon::AmazonError;
use crate::keys::Tenant;
use crate::ports::bus::DomainEvent;
use crate::ports::store::{Store, StoreError};
use crate::records::inventory::{self as records, InventoryRecord};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const INVENTORY_CHANGED: &str = "InventoryChanged";

/// The inventory dataset.
#[derive(Debug, Clone)]
pub struct InventorySync {
    /// A step stops starting pages with less than this left before its deadline.
    pub margin: Duration,
}

impl Default for InventorySync {
    fn default() -> Self {
        Self {
            margin: Duration::seconds(5),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default)]
    marketplace: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default)]
    pages: u64,
    #[serde(default)]
    records: u64,
}

/// The `InventoryChanged` event of some SKUs of one marketplace.
pub fn inventory_changed(
    tenant: &Tenant,
    connection: &str,
    marketplace_id: &str,
    skus: &[String],
) -> DomainEvent {
    let mut skus = skus.to_vec();
    skus.sort();
    skus.dedup();
    let more = skus.len() > 100;
    skus.truncate(100);
    DomainEvent::new(
        super::transactions::EVENT_SOURCE,
        INVENTORY_CHANGED,
        serde_json::json!({
            "tenant": tenant.to_string(),
            "connection": connection,
            "marketplaceId": marketplace_id,
            "skus": skus,
            "more": more,
        }),
    )
}

/// What an `FBA_INVENTORY_AVAILABILITY_CHANGES` notification does to one connection: stores the
/// figures of each marketplace it names that the connection serves (all, when it lists none),
/// newer-wins by the notification's `EventTime`. Returns the events of what changed.
pub async fn apply_availability(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &str,
    serves: impl Fn(&str) -> bool,
    payload: &FbaInventoryAvailabilityPayload,
    event_time: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, StoreError> {
    let mut events = vec![];
    for m in payload
        .fulfillment_inventory_by_marketplace
        .iter()
        .filter(|m| serves(&m.marketplace_id))
    {
        let r = InventoryRecord::from_notification(
            connection,
            &payload.sku,
            &payload.fnsku,
            &payload.asin,
            m,
            event_time,
        );
        if records::put(store, tenant, &r).await?.stored() {
            events.push(inventory_changed(
                tenant,
                connection,
                &m.marketplace_id,
                std::slice::from_ref(&payload.sku),
            ));
        }
    }
    Ok(events)
}

fn marketplaces(cx: &StepContext<'_>) -> Vec<String> {
    let mut ids = cx.account.marketplace_ids.clone();
    if ids.is_empty() {
        if let Some(m) = crate::marketplaces::by_country(&cx.account.marketplace) {
            ids.push(m.id.to_string());
        }
    }
    ids
}

#[async_trait]
impl DatasetSync for InventorySync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let mut c: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| StepError::Permanent(format!("inventory checkpoint: {e}")))?,
        };
        let markets = marketplaces(cx);
        let connection = cx.account.id.to_string();
        let mut written = 0u64;
        let mut events = vec![];
        let mut next_in = None;
        let mut progressed = false;
        while c.marketplace < markets.len() {
            if progressed && cx.time_left() < self.margin {
                break;
            }
            let mid = &markets[c.marketplace];
            let params = GetInventorySummariesParams {
                details: Some(true),
                granularity_type: "Marketplace".into(),
                granularity_id: mid.clone(),
                marketplace_ids: vec![mid.clone()],
                next_token: c.token.clone(),
                ..Default::default()
            };
            let page = match cx
                .api
                .inventory()
                .get_inventory_summaries(cx.amazon, &params)
                .await
            {
                Ok(p) => p,
                Err(AmazonError::RetryLater { at }) if progressed => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(AmazonError::InvalidInput { message, .. }) if c.token.is_some() => {
                    tracing::warn!(marketplace = %mid, reason = %message, "inventory page token refused; the marketplace starts again");
                    c.token = None;
                    progressed = true;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            progressed = true;
            c.pages += 1;
            let now = cx.now();
            // Every figure is stored with the instant it stands for (a later notification
            // older than it then changes nothing); only changed figures are announced.
            let mut changed = vec![];
            for s in page
                .payload
                .as_ref()
                .map(|p| p.inventory_summaries.as_slice())
                .unwrap_or_default()
            {
                let r = InventoryRecord::from_summary(&connection, mid, s, now)
                    .map_err(StepError::Permanent)?;
                let before = records::get(cx.store, cx.tenant, mid, &r.sku).await?;
                if records::put(cx.store, cx.tenant, &r).await?.stored() {
                    written += 1;
                    c.records += 1;
                    if before.map(|b| b.figures()) != Some(r.figures()) {
                        changed.push(r.sku.clone());
                    }
                }
            }
            if !changed.is_empty() {
                events.push(inventory_changed(cx.tenant, &connection, mid, &changed));
            }
            c.token = page
                .pagination
                .and_then(|p| p.next_token)
                .filter(|t| !t.is_empty());
            if c.token.is_none() {
                c.marketplace += 1;
            }
        }
        let done = c.marketplace >= markets.len();
        let progress = Progress {
            steps_done: c.pages,
            steps_total: c.pages + u64::from(!done),
            records_done: c.records,
            records_estimate: c.records,
        };
        tracing::info!(tenant = %cx.tenant, connection = %connection, pages = c.pages, written, done, "inventory step");
        let cursor = if done { Cursor::default() } else { c };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("inventory checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in: if done { None } else { next_in },
            events,
        })
    }
}
