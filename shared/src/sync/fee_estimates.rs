//! The fee-estimates dataset: Amazon's estimate of its fees for what was sold but is not
//! settled yet, per marketplace, SKU, unit price and fulfilment channel, with
//! `getMyFeesEstimates` (20 listings a request, 0.5 requests a second).
//!
//! What to estimate comes from a [`FeeCandidates`] source, over the last
//! [`FeeEstimatesSync::lookback`]: [`UnsettledOrders`] reads the synced orders (not cancelled,
//! priced, and with no shipment in a settlement yet), [`UnsettledSales`] the synced shipments
//! that have no settlement yet (deferred, or released into the open period); the default is
//! both ([`Both`]), so estimates come as soon as either dataset has the sale. A listing
//! estimated within [`FeeEstimatesSync::refresh`] is not asked again.
//!
//! Checkpoint: the listings still to estimate in this run (at most
//! [`FeeEstimatesSync::max_per_run`]; the rest are still unestimated at the next run).

use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::transactions::{EVENT_SOURCE, MAX_DAYS_PER_EVENT};
use super::{Progress, SyncState};
use crate::amazon::models::fees::{
    FeesEstimateByIdRequest, FeesEstimateRequest, MoneyType, PriceToEstimateFees,
};
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::fee_estimates::{self as records, FeeEstimateRecord, FeeQuery};
use crate::records::transactions;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Listings one `getMyFeesEstimates` request takes.
pub const BATCH: usize = 20;

/// Where the listings to estimate come from.
#[async_trait::async_trait]
pub trait FeeCandidates: Send + Sync {
    /// The listings sold in `[from, to)` whose fees are not settled yet.
    async fn candidates(
        &self,
        cx: &StepContext<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeeQuery>, StepError>;
}

/// Shipments (Finances transactions) without a settlement yet: their SKU, ASIN, channel and
/// unit price (`ItemPrice/Principal` over the quantity shipped).
#[derive(Debug, Clone, Copy, Default)]
pub struct UnsettledSales;

#[async_trait::async_trait]
impl FeeCandidates for UnsettledSales {
    async fn candidates(
        &self,
        cx: &StepContext<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeeQuery>, StepError> {
        let mut out = BTreeSet::new();
        for marketplace in &cx.account.marketplace_ids {
            let sold =
                transactions::posted_between(cx.store, cx.tenant, marketplace, from, to).await?;
            for t in sold
                .iter()
                .filter(|t| t.transaction_type == "Shipment" && t.settlement_id().is_none())
            {
                for item in &t.items {
                    let (Some(sku), Some(qty)) = (&item.sku, item.quantity.filter(|q| *q > 0))
                    else {
                        continue;
                    };
                    let principal: Decimal = item
                        .breakdowns
                        .iter()
                        .filter(|b| b.breakdown_type == "ItemPrice")
                        .flat_map(|b| b.breakdowns.iter())
                        .filter(|b| b.breakdown_type == "Principal")
                        .map(|b| b.amount)
                        .sum();
                    if principal <= Decimal::ZERO {
                        continue;
                    }
                    out.insert(FeeQuery {
                        marketplace_id: t.marketplace_id.clone(),
                        sku: sku.clone(),
                        asin: item.asin.clone(),
                        price: (principal / Decimal::from(qty)).round_dp(2).normalize(),
                        currency: item.currency.clone(),
                        channel: item
                            .fulfillment_network
                            .clone()
                            .unwrap_or_else(|| "MFN".into()),
                    });
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// The synced orders of the window that are not cancelled, have prices (Amazon shows none
/// while an order is pending) and whose shipment is not in a settlement yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnsettledOrders;

#[async_trait::async_trait]
impl FeeCandidates for UnsettledOrders {
    async fn candidates(
        &self,
        cx: &StepContext<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeeQuery>, StepError> {
        let mut out = BTreeSet::new();
        for marketplace in &cx.account.marketplace_ids {
            // Shipments are posted after the purchase: those of the window's orders are here.
            let settled: BTreeSet<String> =
                transactions::posted_between(cx.store, cx.tenant, marketplace, from, to)
                    .await?
                    .iter()
                    .filter(|t| t.settlement_id().is_some())
                    .filter_map(|t| t.order_id().map(str::to_string))
                    .collect();
            let orders =
                crate::records::orders::purchased(cx.store, cx.tenant, marketplace, from, to)
                    .await?;
            for o in orders
                .iter()
                .filter(|o| o.status != "CANCELLED" && !settled.contains(&o.amazon_order_id))
            {
                let Some(currency) = &o.currency else {
                    continue;
                };
                let channel = match o.fulfilled_by.as_deref() {
                    Some("AMAZON") | Some("AFN") => "AFN",
                    _ => "MFN",
                };
                for item in o.items.iter().filter(|i| i.quantity > 0) {
                    let Some(price) = item.item_price.filter(|p| *p > Decimal::ZERO) else {
                        continue;
                    };
                    out.insert(FeeQuery {
                        marketplace_id: o.marketplace_id.clone(),
                        sku: item.sku.clone(),
                        asin: item.asin.clone(),
                        price: (price / Decimal::from(item.quantity))
                            .round_dp(2)
                            .normalize(),
                        currency: currency.clone(),
                        channel: channel.into(),
                    });
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// Unsettled orders and unsettled shipments together (each listing once).
#[derive(Debug, Clone, Copy, Default)]
pub struct Both;

#[async_trait::async_trait]
impl FeeCandidates for Both {
    async fn candidates(
        &self,
        cx: &StepContext<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FeeQuery>, StepError> {
        let mut all: BTreeMap<(String, String, Decimal, String), FeeQuery> = BTreeMap::new();
        let sales = UnsettledSales.candidates(cx, from, to).await?;
        let orders = UnsettledOrders.candidates(cx, from, to).await?;
        // Shipments first: they name the ASIN, which orders read from a report may lack.
        for q in sales.into_iter().chain(orders) {
            all.entry((
                q.marketplace_id.clone(),
                q.sku.clone(),
                q.price,
                q.channel.clone(),
            ))
            .or_insert(q);
        }
        Ok(all.into_values().collect())
    }
}

/// Fee estimates of one connection.
#[derive(Clone)]
pub struct FeeEstimatesSync {
    pub source: Arc<dyn FeeCandidates>,
    /// How far back sales are looked at.
    pub lookback: Duration,
    /// An estimate younger than this is not asked again.
    pub refresh: Duration,
    pub max_per_run: usize,
    /// Listings a request (1 to [`BATCH`]).
    pub batch: usize,
    /// A step stops asking with less than this left before its deadline.
    pub margin: Duration,
}

impl Default for FeeEstimatesSync {
    fn default() -> Self {
        Self {
            source: Arc::new(Both),
            lookback: Duration::days(45),
            refresh: Duration::days(7),
            max_per_run: 2_000,
            batch: BATCH,
            margin: Duration::seconds(5),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<Run>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    pending: Vec<FeeQuery>,
    asked: u64,
    written: u64,
}

/// The `getMyFeesEstimates` request of some listings.
pub fn requests(queries: &[FeeQuery]) -> Vec<FeesEstimateByIdRequest> {
    queries
        .iter()
        .enumerate()
        .map(|(i, q)| FeesEstimateByIdRequest {
            fees_estimate_request: Some(FeesEstimateRequest {
                marketplace_id: q.marketplace_id.clone(),
                is_amazon_fulfilled: Some(q.amazon_fulfilled()),
                price_to_estimate_fees: PriceToEstimateFees {
                    listing_price: MoneyType {
                        currency_code: Some(q.currency.clone()),
                        amount: Some(q.price),
                    },
                    shipping: None,
                    points: None,
                },
                identifier: format!("q{i}"),
                optional_fulfillment_program: None,
            }),
            id_type: "SellerSKU".into(),
            id_value: q.sku.clone(),
        })
        .collect()
}

/// Asks Amazon for the estimates of up to [`BATCH`] listings and reads the answers; listings
/// Amazon could not estimate (unknown SKU, closed listing) are logged and left out.
pub async fn estimate(
    cx: &StepContext<'_>,
    queries: &[FeeQuery],
) -> Result<Vec<FeeEstimateRecord>, StepError> {
    let results = cx
        .api
        .fees()
        .get_my_fees_estimates(cx.amazon, &requests(queries))
        .await?;
    let connection = cx.account.id.to_string();
    let mut out = vec![];
    for (i, r) in results.iter().enumerate() {
        // Matched by our identifier; by position when Amazon does not echo it.
        let index = r
            .fees_estimate_identifier
            .as_ref()
            .and_then(|id| id.seller_input_identifier.as_deref())
            .and_then(|s| s.strip_prefix('q'))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(i);
        let Some(query) = queries.get(index) else {
            continue;
        };
        match (&r.fees_estimate, r.status.as_deref()) {
            (Some(e), Some("Success") | None) => out.push(
                FeeEstimateRecord::from_amazon(&connection, query, e, cx.now())
                    .map_err(StepError::Permanent)?,
            ),
            _ => tracing::warn!(
                tenant = %cx.tenant, sku = %query.sku, marketplace = %query.marketplace_id,
                status = ?r.status, error = ?r.error.as_ref().map(|e| &e.code),
                "no fee estimate"
            ),
        }
    }
    Ok(out)
}

#[async_trait::async_trait]
impl DatasetSync for FeeEstimatesSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let cursor: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| StepError::Permanent(format!("fee estimates checkpoint: {e}")))?,
        };
        let now = cx.now();
        let mut run = match cursor.run {
            Some(r) => r,
            None => {
                let wanted = self.source.candidates(cx, now - self.lookback, now).await?;
                let mut fresh = BTreeSet::new();
                for chunk in wanted.chunks(100) {
                    for e in records::many(cx.store, cx.tenant, chunk).await? {
                        if e.estimated_at > now - self.refresh {
                            fresh.insert(e.query);
                        }
                    }
                }
                let mut pending: Vec<FeeQuery> =
                    wanted.into_iter().filter(|q| !fresh.contains(q)).collect();
                pending.truncate(self.max_per_run);
                Run {
                    pending,
                    ..Default::default()
                }
            }
        };
        let mut changed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut written = 0u64;
        let mut asked = 0u32;
        let mut next_in = None;
        // At least one request a step, however short the step: every step moves on.
        while !run.pending.is_empty() && (asked == 0 || cx.time_left() >= self.margin) {
            let n = run.pending.len().min(self.batch.clamp(1, BATCH));
            let batch: Vec<FeeQuery> = run.pending[..n].to_vec();
            let estimates = match estimate(cx, &batch).await {
                Ok(e) => e,
                Err(StepError::Amazon(AmazonError::RetryLater { at })) if asked > 0 => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(e) => return Err(e),
            };
            asked += 1;
            for e in &estimates {
                if records::put(cx.store, cx.tenant, e).await?.stored() {
                    written += 1;
                    changed
                        .entry(e.query.marketplace_id.clone())
                        .or_default()
                        .insert(e.query.sku.clone());
                }
            }
            run.pending.drain(..n);
            run.asked += n as u64;
        }
        run.written += written;
        let done = run.pending.is_empty();
        let progress = Progress {
            steps_done: run.asked.div_ceil(BATCH as u64),
            steps_total: (run.asked + run.pending.len() as u64).div_ceil(BATCH as u64),
            records_done: run.written,
            records_estimate: run.asked + run.pending.len() as u64,
        };
        let tenant = cx.tenant.to_string();
        let connection = cx.account.id.to_string();
        let mut events = vec![];
        for (marketplace, skus) in &changed {
            let list: Vec<&String> = skus.iter().collect();
            for chunk in list.chunks(MAX_DAYS_PER_EVENT) {
                events.push(DomainEvent::new(
                    EVENT_SOURCE,
                    "FeeEstimatesChanged",
                    serde_json::json!({
                        "tenant": tenant,
                        "connection": connection,
                        "marketplaceId": marketplace,
                        "skus": chunk,
                    }),
                ));
            }
        }
        let cursor = Cursor {
            run: (!done).then_some(run),
        };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("fee estimates checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in,
            events,
        })
    }
}

/// The targeted refresh of named listings (a price changed, a fee promotion started): each is
/// estimated now whatever its last estimate, and stored newer-wins. Returns the estimates that
/// were stored.
pub async fn refresh(
    cx: &StepContext<'_>,
    queries: &[FeeQuery],
) -> Result<Vec<FeeEstimateRecord>, StepError> {
    let mut stored = vec![];
    for chunk in queries.chunks(BATCH) {
        for e in estimate(cx, chunk).await? {
            if records::put(cx.store, cx.tenant, &e).await?.stored() {
                stored.push(e);
            }
        }
    }
    Ok(stored)
}

/// The `FeeEstimatesChanged` events of estimates a refresh stored.
pub fn changed_events(
    tenant: &str,
    connection: &str,
    estimates: &[FeeEstimateRecord],
) -> Vec<DomainEvent> {
    let mut by_marketplace: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in estimates {
        by_marketplace
            .entry(e.query.marketplace_id.as_str())
            .or_default()
            .insert(e.query.sku.as_str());
    }
    let mut events = vec![];
    for (marketplace, skus) in by_marketplace {
        let list: Vec<&str> = skus.into_iter().collect();
        for chunk in list.chunks(MAX_DAYS_PER_EVENT) {
            events.push(DomainEvent::new(
                EVENT_SOURCE,
                "FeeEstimatesChanged",
                serde_json::json!({
                    "tenant": tenant,
                    "connection": connection,
                    "marketplaceId": marketplace,
                    "skus": chunk,
                }),
            ));
        }
    }
    events
}
