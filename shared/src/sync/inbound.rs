//! The inbound dataset: the seller's Fulfillment Inbound plans (2024-03-20), their shipments
//! and the items of each.
//!
//! A run first lists plans (`listInboundPlans`, 30 a page, newest first), then reads each
//! listed plan that is new or changed: `getInboundPlan` (its shipments and their statuses),
//! `listInboundPlanItems`, and for each shipment that is new, has another status, or belongs to
//! a plan updated since it was read, `getShipment` and `listShipmentItems`. Shipments are
//! written before their plan, so a stored plan means its shipments are in.
//!
//! - The first run is the backfill: plans created within [`InboundSync::history`] (two years),
//!   listed by creation time.
//! - Every later run is a sweep: every plan still open in the store (being prepared, or a
//!   shipment not CLOSED or CANCELLED yet) is read again, whatever Amazon's listing says, so
//!   a status change reaches the store even when the plan's `lastUpdatedAt` does not move;
//!   and plans updated since the last run started (less [`InboundSync::overlap`]), listed by
//!   last update, bring in new plans.
//!
//! Checkpoint: the listing's page token and the plans still to read; a step stops before its
//! deadline or when the rate limit would make it wait past it, and the next goes on from
//! there. Writes are newer-wins per plan and per shipment (`records::inbound`).

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::transactions::{EVENT_SOURCE, MAX_DAYS_PER_EVENT};
use super::{Progress, SyncState};
use crate::amazon::operations::{ListInboundPlansParams, ListItemsParams};
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::inbound::{self as records, InboundPlanRecord, InboundShipmentRecord};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Plans a `listInboundPlans` page holds at most.
pub const PLANS_PER_PAGE: u32 = 30;
/// Items an item listing page holds at most.
pub const ITEMS_PER_PAGE: u32 = 1000;

/// Inbound plans and shipments of one connection.
#[derive(Debug, Clone)]
pub struct InboundSync {
    /// How far back (by creation) the backfill reaches.
    pub history: Duration,
    /// How far before the last run's start a sweep lists updated plans again.
    pub overlap: Duration,
    /// A step starts no new call with less than this left before its deadline.
    pub margin: Duration,
}

impl Default for InboundSync {
    fn default() -> Self {
        Self {
            history: Duration::days(730),
            overlap: Duration::hours(1),
            margin: Duration::seconds(5),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<Run>,
    /// Where the next sweep's listing stops (absent before the backfill is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_from: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    started: DateTime<Utc>,
    /// Backfill (by creation time) or sweep (by last update).
    backfill: bool,
    /// The listing stops at plans older than this.
    since: DateTime<Utc>,
    listed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// Plans still to read, in order.
    pending: Vec<String>,
    read: u64,
    written: u64,
}

impl Run {
    fn progress(&self) -> Progress {
        let total = self.read + self.pending.len() as u64 + u64::from(!self.listed);
        Progress {
            steps_done: self.read,
            steps_total: total.max(self.read),
            records_done: self.written,
            records_estimate: (self.read + self.pending.len() as u64).max(self.written),
        }
    }

    fn queue(&mut self, plan_id: &str) {
        if !self.pending.iter().any(|p| p == plan_id) {
            self.pending.push(plan_id.to_string());
        }
    }
}

/// What reading one plan changed.
#[derive(Debug, Default)]
struct Changed {
    written: u64,
    /// Marketplace → (plans, shipments) changed.
    by_marketplace: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
}

impl Changed {
    fn note(&mut self, marketplace: Option<&String>, plan: &str, shipment: Option<&str>) {
        let entry = self
            .by_marketplace
            .entry(marketplace.cloned().unwrap_or_default())
            .or_default();
        entry.0.insert(plan.to_string());
        if let Some(s) = shipment {
            entry.1.insert(s.to_string());
        }
    }

    fn events(&self, tenant: &str, connection: &str) -> Vec<DomainEvent> {
        let mut out = vec![];
        for (marketplace, (plans, shipments)) in &self.by_marketplace {
            let plans: Vec<&String> = plans.iter().collect();
            let shipments: Vec<&String> = shipments.iter().collect();
            let chunks = plans
                .len()
                .max(shipments.len())
                .div_ceil(MAX_DAYS_PER_EVENT);
            for c in 0..chunks.max(1) {
                let part = |l: &[&String]| -> Vec<String> {
                    l.iter()
                        .skip(c * MAX_DAYS_PER_EVENT)
                        .take(MAX_DAYS_PER_EVENT)
                        .map(|s| s.to_string())
                        .collect()
                };
                out.push(DomainEvent::new(
                    EVENT_SOURCE,
                    "InboundShipmentsChanged",
                    serde_json::json!({
                        "tenant": tenant,
                        "connection": connection,
                        "marketplaceId": marketplace,
                        "inboundPlanIds": part(&plans),
                        "shipmentIds": part(&shipments),
                    }),
                ));
            }
        }
        out
    }
}

/// Reads one plan with its items and every shipment that may have changed, and stores them
/// (shipments first).
async fn read_plan(
    cx: &StepContext<'_>,
    plan_id: &str,
    changed: &mut Changed,
) -> Result<(), StepError> {
    let api = cx.api.inbound();
    let connection = cx.account.id.to_string();
    let plan = api.get_inbound_plan(cx.amazon, plan_id).await?;
    let every = ListItemsParams {
        page_size: Some(ITEMS_PER_PAGE),
        pagination_token: None,
    };
    let plan_items = api
        .list_inbound_plan_items_all(cx.amazon, plan_id, &every)
        .await?;
    let marketplace = plan.marketplace_ids.first();
    for s in &plan.shipments {
        let stored = records::shipment(cx.store, cx.tenant, &s.shipment_id).await?;
        let fresh = stored
            .as_ref()
            .is_some_and(|r| r.status == s.status && r.plan_updated_at >= plan.last_updated_at);
        if fresh {
            continue;
        }
        let shipment = api.get_shipment(cx.amazon, plan_id, &s.shipment_id).await?;
        let items = api
            .list_shipment_items_all(cx.amazon, plan_id, &s.shipment_id, &every)
            .await?;
        let record =
            InboundShipmentRecord::from_amazon(&connection, &plan, &shipment, &s.status, &items);
        if records::put_shipment(cx.store, cx.tenant, &record)
            .await?
            .stored()
        {
            changed.written += 1;
            changed.note(marketplace, plan_id, Some(&s.shipment_id));
        }
    }
    let record = InboundPlanRecord::from_amazon(&connection, &plan, &plan_items);
    if records::put_plan(cx.store, cx.tenant, &record)
        .await?
        .stored()
    {
        changed.written += 1;
        changed.note(marketplace, plan_id, None);
    }
    Ok(())
}

fn checkpoint_error(e: serde_json::Error) -> StepError {
    StepError::Permanent(format!("inbound checkpoint: {e}"))
}

#[async_trait::async_trait]
impl DatasetSync for InboundSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let mut cursor: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone()).map_err(checkpoint_error)?,
        };
        let connection = cx.account.id.to_string();
        let mut run = match cursor.run.take() {
            Some(r) => r,
            None => {
                let now = cx.now();
                let mut run = Run {
                    started: now,
                    backfill: cursor.next_from.is_none(),
                    since: cursor.next_from.unwrap_or(now - self.history),
                    listed: false,
                    token: None,
                    pending: vec![],
                    read: 0,
                    written: 0,
                };
                if !run.backfill {
                    for id in records::open_plan_ids(cx.store, cx.tenant, &connection).await? {
                        run.queue(&id);
                    }
                }
                run
            }
        };
        let mut changed = Changed::default();
        let mut calls = 0u32;
        let mut next_in = None;
        loop {
            // At least one unit of work a step, however short the step: every step moves on.
            if calls > 0 && cx.time_left() < self.margin {
                break;
            }
            let outcome = if !run.listed {
                self.list_page(cx, &mut run).await
            } else if let Some(plan_id) = run.pending.first().cloned() {
                let r = match read_plan(cx, &plan_id, &mut changed).await {
                    // Amazon answers a plan it no longer serves with 400 ("does not exist"):
                    // it is left as stored, and the run goes on.
                    Err(StepError::Amazon(
                        e @ (AmazonError::InvalidInput { .. } | AmazonError::NotFound(_)),
                    )) => {
                        tracing::warn!(
                            tenant = %cx.tenant, connection = %connection, plan = %plan_id,
                            error = %e, "inbound plan not readable; skipped"
                        );
                        Ok(())
                    }
                    r => r,
                };
                if r.is_ok() {
                    run.pending.remove(0);
                    run.read += 1;
                }
                r
            } else {
                break;
            };
            match outcome {
                Ok(()) => calls += 1,
                // Progress made: keep it and come back when the rate limit allows.
                Err(StepError::Amazon(AmazonError::RetryLater { at })) if calls > 0 => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        run.written += changed.written;
        let done = run.listed && run.pending.is_empty();
        let progress = run.progress();
        tracing::info!(
            tenant = %cx.tenant, connection = %connection, backfill = run.backfill,
            read = run.read, pending = run.pending.len(), written = changed.written, done,
            "inbound step"
        );
        let cursor = if done {
            Cursor {
                run: None,
                next_from: Some(run.started - self.overlap),
            }
        } else {
            Cursor {
                run: Some(run),
                next_from: cursor.next_from,
            }
        };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor).map_err(checkpoint_error)?,
            progress,
            written: changed.written,
            done,
            next_in,
            events: changed.events(&cx.tenant.to_string(), &connection),
        })
    }
}

impl InboundSync {
    /// One page of the listing: the plans in the run's range that are new or changed go on
    /// the run's queue; a plan older than the range ends the listing.
    async fn list_page(&self, cx: &StepContext<'_>, run: &mut Run) -> Result<(), StepError> {
        let params = ListInboundPlansParams {
            page_size: Some(PLANS_PER_PAGE),
            pagination_token: run.token.clone(),
            status: None,
            sort_by: Some(
                if run.backfill {
                    "CREATION_TIME"
                } else {
                    "LAST_UPDATED_TIME"
                }
                .into(),
            ),
            sort_order: Some("DESC".into()),
        };
        let page = cx
            .api
            .inbound()
            .list_inbound_plans(cx.amazon, &params)
            .await?;
        let mut past = false;
        for p in &page.inbound_plans {
            let at = if run.backfill {
                p.created_at
            } else {
                p.last_updated_at
            };
            if at < run.since {
                past = true;
                break;
            }
            let stored = records::plan(cx.store, cx.tenant, &p.inbound_plan_id).await?;
            let known = stored
                .as_ref()
                .is_some_and(|s| s.last_updated_at >= p.last_updated_at && !s.is_open());
            if !known {
                run.queue(&p.inbound_plan_id);
            }
        }
        run.token = page
            .pagination
            .and_then(|p| p.next_token)
            .filter(|t| !t.is_empty() && !past);
        run.listed = run.token.is_none();
        Ok(())
    }
}
