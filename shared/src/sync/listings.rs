//! The listings dataset: every listing of the seller from the all-listings report
//! (`GET_MERCHANT_LISTINGS_ALL_DATA`, one per marketplace, daily), with Amazon's catalog data
//! of their ASINs (Catalog Items 2022-04-01 `searchCatalogItems`, 20 ASINs a call: title, brand,
//! images, product type). A listing whose price or channel changed has its fee estimate
//! refreshed at the new price ([`super::fee_estimates::refresh`]).
//!
//! The report is read as Amazon really writes it: HTML entities in titles (`&amp;`,
//! `&quot;`), empty fields written as `""`, quantities blank for Amazon-fulfilled listings,
//! prices with a decimal comma in the EU, each marketplace's charset (Windows-1252 in the EU,
//! Shift_JIS in Japan) and open dates in the marketplace's zone (`PDT`, `MESZ`, `JST`).
//!
//! Notifications name single listings: [`refresh_listing`] reads one with the Listings Items
//! API (status, issues, product type) and [`refresh_catalog`] one ASIN's catalog data; see
//! [`Notified`] for what each notification type does.
//!
//! Checkpoint: the report plan ([`super::report_plan`]), then the ASINs and listings still to
//! look up.

use super::fee_estimates;
use super::report_plan::{Head, Plan, Window};
use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::transactions::{EVENT_SOURCE, MAX_DAYS_PER_EVENT};
use super::{Progress, SyncState};
use crate::amazon::flatfile::{stream_document, DecimalStyle, Row};
use crate::amazon::operations::{
    GetCatalogItemParams, GetListingsItemParams, SearchCatalogItemsParams,
};
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::fee_estimates::FeeQuery;
use crate::records::listings::{
    self as records, decode_entities, CatalogRecord, ListingIssue, ListingRecord, Source,
};
use crate::records::offers::{self, OfferPoint, PricingHealthRecord};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The report of every listing.
pub const LISTINGS_REPORT: &str = "GET_MERCHANT_LISTINGS_ALL_DATA";
/// What catalog lookups ask for.
const CATALOG_DATA: [&str; 3] = ["summaries", "images", "productTypes"];
/// ASINs one `searchCatalogItems` takes.
pub const CATALOG_BATCH: usize = 20;
/// What a listing lookup asks for.
const LISTING_DATA: [&str; 5] = [
    "summaries",
    "offers",
    "fulfillmentAvailability",
    "issues",
    "productTypes",
];
/// Domain events.
pub const LISTINGS_CHANGED: &str = "ListingsChanged";
pub const CATALOG_CHANGED: &str = "CatalogChanged";
pub const OFFERS_CHANGED: &str = "OffersChanged";

/// Listings of one connection.
#[derive(Debug, Clone)]
pub struct ListingsSync {
    /// Downloads the documents (the presigned URLs are not SP-API calls).
    pub http: reqwest::Client,
    /// A step stops starting work with less than this left before its deadline.
    pub margin: Duration,
}

impl Default for ListingsSync {
    fn default() -> Self {
        Self {
            http: reqwest::Client::new(),
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    plan: Plan,
    /// (marketplace, ASIN) whose catalog data is still to read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    catalog: Vec<(String, String)>,
    /// Listings whose price changed: their fees are still to estimate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fees: Vec<FeeQuery>,
    listings: u64,
    written: u64,
    lookups: u64,
}

/// What changed in a step, for its events.
#[derive(Default)]
struct Changed {
    listings: BTreeMap<String, BTreeSet<String>>,
    catalog: BTreeMap<String, BTreeSet<String>>,
    fees: Vec<crate::records::fee_estimates::FeeEstimateRecord>,
}

impl Changed {
    fn events(&self, tenant: &str, connection: &str) -> Vec<DomainEvent> {
        let mut out = vec![];
        for (kind, field, map) in [
            (LISTINGS_CHANGED, "skus", &self.listings),
            (CATALOG_CHANGED, "asins", &self.catalog),
        ] {
            for (marketplace, set) in map {
                let list: Vec<&String> = set.iter().collect();
                for chunk in list.chunks(MAX_DAYS_PER_EVENT) {
                    out.push(DomainEvent::new(
                        EVENT_SOURCE,
                        kind,
                        serde_json::json!({
                            "tenant": tenant,
                            "connection": connection,
                            "marketplaceId": marketplace,
                            field: chunk,
                        }),
                    ));
                }
            }
        }
        out.extend(fee_estimates::changed_events(
            tenant, connection, &self.fees,
        ));
        out
    }
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

fn currency_of(marketplace_id: &str) -> Option<String> {
    crate::marketplaces::by_id(marketplace_id).map(|m| m.currency.to_string())
}

/// `AFN` or `MFN` from a fulfilment channel code (`DEFAULT` is the merchant's own).
fn channel_of(code: &str) -> Option<String> {
    let code = code.trim();
    if code.is_empty() {
        None
    } else if code.eq_ignore_ascii_case("DEFAULT") || code.eq_ignore_ascii_case("MFN") {
        Some("MFN".into())
    } else {
        Some("AFN".into())
    }
}

/// A field's text, `None` when blank (Amazon also writes an empty field as `""`).
fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column)
        .map(str::trim)
        .map(|t| if t == "\"\"" { "" } else { t })
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// One row of the all-listings report as a listing observed at `observed_at`.
pub fn listing_of_row(
    row: &Row,
    marketplace_id: &str,
    connection: &str,
    observed_at: DateTime<Utc>,
) -> Result<Option<ListingRecord>, AmazonError> {
    let Some(sku) = text(row, "seller-sku") else {
        return Ok(None);
    };
    let style = DecimalStyle::of_report(LISTINGS_REPORT, marketplace_id);
    let channel = text(row, "fulfillment-channel").and_then(|c| channel_of(&c));
    let quantity = match text(row, "quantity") {
        None => None,
        Some(_) => row.integer("quantity")?,
    };
    Ok(Some(ListingRecord {
        marketplace_id: marketplace_id.to_string(),
        sku,
        connection: connection.to_string(),
        asin: text(row, "asin1").or_else(|| text(row, "product-id")),
        title: text(row, "item-name").map(|t| decode_entities(&t)),
        price: match text(row, "price") {
            None => None,
            Some(_) => row.amount("price", style)?,
        },
        currency: currency_of(marketplace_id),
        quantity: if channel.as_deref() == Some("MFN") {
            quantity
        } else {
            None
        },
        channel,
        status: text(row, "status").unwrap_or_else(|| "Active".into()),
        statuses: None,
        issues: vec![],
        product_type: None,
        listing_id: text(row, "listing-id"),
        opened_at: match text(row, "open-date") {
            None => None,
            Some(_) => row.time("open-date")?.map(|t| t.to_utc()),
        },
        observed_at,
    }))
}

impl ListingsSync {
    async fn read_document(
        &self,
        url: &str,
        marketplace_id: &str,
        connection: &str,
        created: DateTime<Utc>,
    ) -> Result<Vec<ListingRecord>, StepError> {
        let rows: Arc<Mutex<Vec<ListingRecord>>> = Arc::default();
        let sink = rows.clone();
        let m = marketplace_id.to_string();
        let c = connection.to_string();
        stream_document(&self.http, url, move |row| {
            if let Some(l) = listing_of_row(row, &m, &c, created)? {
                sink.lock().expect("listings").push(l);
            }
            Ok(())
        })
        .await?;
        let out = std::mem::take(&mut *rows.lock().expect("listings"));
        Ok(out)
    }
}

/// The fee query of a listing at its price, when it has one.
pub fn fee_query(l: &ListingRecord) -> Option<FeeQuery> {
    Some(FeeQuery {
        marketplace_id: l.marketplace_id.clone(),
        sku: l.sku.clone(),
        asin: l.asin.clone(),
        price: l.price.filter(|p| !p.is_zero())?.normalize(),
        currency: l.currency.clone()?,
        channel: l.channel.clone().unwrap_or_else(|| "MFN".into()),
    })
}

/// Reads the catalog data of up to [`CATALOG_BATCH`] ASINs of one marketplace and stores it;
/// returns the ASINs whose data changed.
pub async fn read_catalog(
    cx: &StepContext<'_>,
    marketplace_id: &str,
    asins: &[String],
) -> Result<Vec<String>, StepError> {
    let params = SearchCatalogItemsParams {
        marketplace_ids: vec![marketplace_id.to_string()],
        identifiers: asins.to_vec(),
        identifiers_type: Some("ASIN".into()),
        included_data: CATALOG_DATA.iter().map(|s| s.to_string()).collect(),
        page_size: Some(CATALOG_BATCH as u32),
        ..Default::default()
    };
    let found = cx
        .api
        .catalog()
        .search_catalog_items(cx.amazon, &params)
        .await?;
    let mut changed = vec![];
    for item in &found.items {
        let r = CatalogRecord::from_amazon(item, marketplace_id, cx.now());
        if records::put_catalog(cx.store, cx.tenant, &r)
            .await?
            .stored()
        {
            changed.push(r.asin.clone());
        }
    }
    if found.items.len() < asins.len() {
        tracing::info!(tenant = %cx.tenant, marketplace = %marketplace_id, asked = asins.len(), found = found.items.len(), "catalog has no data for some ASINs");
    }
    Ok(changed)
}

/// Reads one ASIN's catalog data (`getCatalogItem`) and stores it; whether it changed.
pub async fn refresh_catalog(
    cx: &StepContext<'_>,
    marketplace_id: &str,
    asin: &str,
) -> Result<bool, StepError> {
    let params = GetCatalogItemParams {
        marketplace_ids: vec![marketplace_id.to_string()],
        included_data: CATALOG_DATA.iter().map(|s| s.to_string()).collect(),
        locale: None,
    };
    let item = match cx
        .api
        .catalog()
        .get_catalog_item(cx.amazon, asin, &params)
        .await
    {
        Ok(i) => i,
        Err(AmazonError::NotFound(_)) => {
            tracing::info!(tenant = %cx.tenant, asin, marketplace = %marketplace_id, "no catalog item");
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    };
    let r = CatalogRecord::from_amazon(&item, marketplace_id, cx.now());
    Ok(records::put_catalog(cx.store, cx.tenant, &r)
        .await?
        .stored())
}

/// The listing a Listings Items answer shows in `marketplace_id`, observed at `now`.
pub fn listing_of_item(
    item: &crate::amazon::models::listings::Item,
    marketplace_id: &str,
    connection: &str,
    now: DateTime<Utc>,
) -> Option<ListingRecord> {
    let s = item
        .summaries
        .iter()
        .find(|s| s.marketplace_id == marketplace_id)?;
    let offer = item
        .offers
        .iter()
        .find(|o| o.marketplace_id == marketplace_id && o.offer_type == "B2C");
    let availability = item.fulfillment_availability.first();
    let channel = availability.and_then(|a| channel_of(&a.fulfillment_channel_code));
    Some(ListingRecord {
        marketplace_id: marketplace_id.to_string(),
        sku: item.sku.clone(),
        connection: connection.to_string(),
        asin: s.asin.clone(),
        title: s.item_name.as_deref().map(decode_entities),
        price: offer.map(|o| o.price.amount),
        currency: offer
            .map(|o| o.price.currency_code.clone())
            .or_else(|| currency_of(marketplace_id)),
        quantity: availability
            .filter(|_| channel.as_deref() == Some("MFN"))
            .and_then(|a| a.quantity),
        channel,
        status: if s.status.iter().any(|x| x == "BUYABLE") {
            "Active".into()
        } else {
            "Inactive".into()
        },
        statuses: Some(s.status.clone()),
        issues: item
            .issues
            .iter()
            .filter(|i| {
                i.marketplace_ids.is_empty()
                    || i.marketplace_ids.iter().any(|m| m == marketplace_id)
            })
            .map(|i| ListingIssue {
                code: i.code.clone(),
                severity: format!("{:?}", i.severity).to_ascii_uppercase(),
                message: i.message.clone(),
                enforcements: i
                    .enforcements
                    .as_ref()
                    .map(|e| e.actions.iter().map(|a| a.action.clone()).collect())
                    .unwrap_or_default(),
            })
            .collect(),
        product_type: Some(s.product_type.clone()).filter(|p| !p.is_empty()),
        listing_id: None,
        opened_at: Some(s.created_date),
        observed_at: now,
    })
}

/// What refreshing one listing did.
#[derive(Debug, Default)]
pub struct Refreshed {
    pub listing_changed: bool,
    pub catalog_changed: bool,
    pub fees: Vec<crate::records::fee_estimates::FeeEstimateRecord>,
    pub events: Vec<DomainEvent>,
}

/// Reads one listing with the Listings Items API and stores it over the stored one (a listing
/// Amazon no longer has is marked `Deleted`); reads its ASIN's catalog data when none is stored;
/// re-estimates its fees when its price changed.
pub async fn refresh_listing(
    cx: &StepContext<'_>,
    marketplace_id: &str,
    sku: &str,
) -> Result<Refreshed, StepError> {
    let connection = cx.account.id.to_string();
    let params = GetListingsItemParams {
        marketplace_ids: vec![marketplace_id.to_string()],
        issue_locale: None,
        included_data: LISTING_DATA.iter().map(|s| s.to_string()).collect(),
    };
    let now = cx.now();
    let record = match cx
        .api
        .listings()
        .get_listings_item(cx.amazon, &cx.account.seller_id, sku, &params)
        .await
    {
        Ok(item) => listing_of_item(&item, marketplace_id, &connection, now),
        Err(AmazonError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let record = match record {
        Some(r) => r,
        None => match records::get(cx.store, cx.tenant, marketplace_id, sku).await? {
            // Gone at Amazon: kept, marked deleted.
            Some(old) if old.status != "Deleted" => ListingRecord {
                status: "Deleted".into(),
                statuses: Some(vec![]),
                observed_at: now,
                ..old
            },
            _ => return Ok(Refreshed::default()),
        },
    };
    let asin = record.asin.clone();
    let put = records::put(cx.store, cx.tenant, record, Source::Api).await?;
    let mut out = Refreshed {
        listing_changed: put.written.stored(),
        ..Default::default()
    };
    let mut changed = Changed::default();
    if out.listing_changed {
        changed
            .listings
            .entry(marketplace_id.to_string())
            .or_default()
            .insert(sku.to_string());
    }
    if let Some(asin) = asin {
        if records::get_catalog(cx.store, cx.tenant, marketplace_id, &asin)
            .await?
            .is_none()
            && refresh_catalog(cx, marketplace_id, &asin).await?
        {
            out.catalog_changed = true;
            changed
                .catalog
                .entry(marketplace_id.to_string())
                .or_default()
                .insert(asin);
        }
    }
    if put.price_changed {
        if let Some(l) = records::get(cx.store, cx.tenant, marketplace_id, sku).await? {
            if let Some(q) = fee_query(&l) {
                out.fees = fee_estimates::refresh(cx, &[q]).await?;
                changed.fees = out.fees.clone();
            }
        }
    }
    out.events = changed.events(&cx.tenant.to_string(), &connection);
    Ok(out)
}

/// Re-estimates the fees of the seller's listings of these ASINs in a marketplace (a fee
/// promotion started for them); returns the events of what changed.
pub async fn refresh_fees_of_asins(
    cx: &StepContext<'_>,
    marketplace_id: &str,
    asins: &[String],
) -> Result<Vec<DomainEvent>, StepError> {
    let queries: Vec<FeeQuery> = records::all(cx.store, cx.tenant)
        .await?
        .iter()
        .filter(|l| {
            l.marketplace_id == marketplace_id
                && l.status != "Deleted"
                && l.asin.as_ref().is_some_and(|a| asins.contains(a))
        })
        .filter_map(fee_query)
        .collect();
    let stored = fee_estimates::refresh(cx, &queries).await?;
    Ok(fee_estimates::changed_events(
        &cx.tenant.to_string(),
        cx.account.id.as_str(),
        &stored,
    ))
}

#[async_trait::async_trait]
impl DatasetSync for ListingsSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let cursor: Cursor = match &state.cursor {
            serde_json::Value::Null => Cursor::default(),
            v => serde_json::from_value(v.clone())
                .map_err(|e| StepError::Permanent(format!("listings checkpoint: {e}")))?,
        };
        let connection = cx.account.id.to_string();
        let mkts = marketplaces(cx);
        let mut run = cursor.run.unwrap_or_else(|| Run {
            plan: Plan::new(
                LISTINGS_REPORT,
                mkts.iter()
                    .map(|m| Window {
                        marketplace_id: m.clone(),
                        from: None,
                        to: None,
                    })
                    .collect(),
            ),
            catalog: vec![],
            fees: vec![],
            listings: 0,
            written: 0,
            lookups: 0,
        });
        run.plan.for_run(state.run_started_at);
        let mut changed = Changed::default();
        let mut written = 0u64;
        let mut progressed = false;
        let mut next_in = None;
        let mut done = false;
        loop {
            if progressed && cx.time_left() < self.margin {
                break;
            }
            let result: Result<(), StepError> = async {
                if !run.plan.done() {
                    run.plan.request_ahead(cx, mkts.len().max(1)).await?;
                    match run.plan.head(cx).await? {
                        Head::Ready {
                            window,
                            url,
                            created,
                            ..
                        } => {
                            let rows = self
                                .read_document(&url, &window.marketplace_id, &connection, created)
                                .await?;
                            tracing::info!(tenant = %cx.tenant, marketplace = %window.marketplace_id, listings = rows.len(), "listings report read");
                            let mut asins = BTreeSet::new();
                            for l in rows {
                                run.listings += 1;
                                if let Some(a) = &l.asin {
                                    asins.insert(a.clone());
                                }
                                let sku = l.sku.clone();
                                let put = records::put(cx.store, cx.tenant, l, Source::Report).await?;
                                if put.written.stored() {
                                    written += 1;
                                    changed
                                        .listings
                                        .entry(window.marketplace_id.clone())
                                        .or_default()
                                        .insert(sku.clone());
                                }
                                if put.price_changed {
                                    if let Some(q) = records::get(cx.store, cx.tenant, &window.marketplace_id, &sku)
                                        .await?
                                        .as_ref()
                                        .and_then(fee_query)
                                    {
                                        run.fees.push(q);
                                    }
                                }
                            }
                            run.catalog.extend(
                                asins
                                    .into_iter()
                                    .map(|a| (window.marketplace_id.clone(), a)),
                            );
                            run.plan.read();
                        }
                        Head::Empty(_) => {}
                        Head::Waiting(d) if d.is_zero() => {}
                        Head::Waiting(d) => next_in = Some(d),
                        Head::Done => {}
                    }
                    return Ok(());
                }
                if let Some((m, _)) = run.catalog.first().cloned() {
                    let batch: Vec<String> = run
                        .catalog
                        .iter()
                        .filter(|(x, _)| *x == m)
                        .take(CATALOG_BATCH)
                        .map(|(_, a)| a.clone())
                        .collect();
                    let asins = read_catalog(cx, &m, &batch).await?;
                    written += asins.len() as u64;
                    changed.catalog.entry(m.clone()).or_default().extend(asins);
                    run.catalog.retain(|(x, a)| !(*x == m && batch.contains(a)));
                    run.lookups += 1;
                    return Ok(());
                }
                if !run.fees.is_empty() {
                    let n = run.fees.len().min(fee_estimates::BATCH);
                    let batch: Vec<FeeQuery> = run.fees[..n].to_vec();
                    let stored = fee_estimates::refresh(cx, &batch).await?;
                    written += stored.len() as u64;
                    changed.fees.extend(stored);
                    run.fees.drain(..n);
                    run.lookups += 1;
                    return Ok(());
                }
                done = true;
                Ok(())
            }
            .await;
            match result {
                Ok(()) => {}
                Err(StepError::Amazon(AmazonError::RetryLater { at })) if progressed => {
                    next_in = Some((at - cx.now()).max(Duration::zero()));
                    break;
                }
                Err(e) => return Err(e),
            }
            progressed = true;
            if done || next_in.is_some() {
                break;
            }
        }
        run.written += written;
        let progress = Progress {
            steps_done: run.plan.next as u64 + run.lookups,
            steps_total: run.plan.windows.len() as u64
                + run.lookups
                + run.catalog.len().div_ceil(CATALOG_BATCH) as u64
                + run.fees.len().div_ceil(fee_estimates::BATCH) as u64,
            records_done: run.written,
            records_estimate: run.listings.max(run.written),
        };
        tracing::info!(tenant = %cx.tenant, connection = %connection, written, done, "listings step");
        let events = changed.events(&cx.tenant.to_string(), &connection);
        let cursor = Cursor {
            run: (!done).then_some(run),
        };
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor)
                .map_err(|e| StepError::Permanent(format!("listings checkpoint: {e}")))?,
            progress,
            written,
            done,
            next_in,
            events,
        })
    }
}

/// What a catalog or offers notification asks of a connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Notified {
    /// LISTINGS_ITEM_STATUS_CHANGE, LISTINGS_ITEM_ISSUES_CHANGE: read the listing again.
    Listing { marketplace_id: String, sku: String },
    /// ITEM_PRODUCT_TYPE_CHANGE: read the ASIN's catalog data again.
    Catalog {
        marketplace_id: String,
        asin: String,
    },
    /// ANY_OFFER_CHANGED: a point of the ASIN's offers series.
    Offers(Box<OfferPoint>),
    /// PRICING_HEALTH: the fact, kept.
    PricingHealth(Box<PricingHealthRecord>),
    /// FEE_PROMOTION: the fees of these ASINs' listings, estimated again.
    FeePromotion {
        marketplace_id: String,
        asins: Vec<String>,
    },
}

impl Notified {
    /// The marketplace it is about.
    pub fn marketplace(&self) -> &str {
        match self {
            Notified::Listing { marketplace_id, .. }
            | Notified::Catalog { marketplace_id, .. }
            | Notified::FeePromotion { marketplace_id, .. } => marketplace_id,
            Notified::Offers(p) => &p.marketplace_id,
            Notified::PricingHealth(p) => &p.marketplace_id,
        }
    }

    /// Whether it needs Amazon (the others only keep what the notification says).
    pub fn needs_amazon(&self) -> bool {
        matches!(
            self,
            Notified::Listing { .. } | Notified::Catalog { .. } | Notified::FeePromotion { .. }
        )
    }

    /// The dataset it keeps current (a failure names it; without Amazon it is made due).
    pub fn dataset(&self) -> super::Dataset {
        match self {
            Notified::FeePromotion { .. } => super::Dataset::FeeEstimates,
            _ => super::Dataset::Listings,
        }
    }
}

/// Applies what needs no Amazon call: keeps an offers point or a pricing-health fact. Returns
/// the events of what changed.
pub async fn keep_notified(
    store: &dyn crate::ports::Store,
    tenant: &crate::keys::Tenant,
    connection: &str,
    n: &Notified,
) -> Result<Vec<DomainEvent>, crate::ports::store::StoreError> {
    match n {
        Notified::Offers(p) => {
            let kept = offers::keep(store, tenant, p).await?;
            Ok(if kept.new_point {
                vec![DomainEvent::new(
                    EVENT_SOURCE,
                    OFFERS_CHANGED,
                    serde_json::json!({
                        "tenant": tenant.to_string(),
                        "connection": connection,
                        "marketplaceId": p.marketplace_id,
                        "asin": p.asin,
                        "at": crate::records::version_at(p.at),
                        "latest": kept.latest.stored(),
                    }),
                )]
            } else {
                vec![]
            })
        }
        Notified::PricingHealth(r) => {
            offers::keep_pricing_health(store, tenant, r).await?;
            Ok(vec![])
        }
        _ => Ok(vec![]),
    }
}

/// Applies what needs Amazon: reads the listing or catalog item again, or re-estimates fees.
pub async fn apply_notified(
    cx: &StepContext<'_>,
    n: &Notified,
) -> Result<Vec<DomainEvent>, StepError> {
    match n {
        Notified::Listing {
            marketplace_id,
            sku,
        } => Ok(refresh_listing(cx, marketplace_id, sku).await?.events),
        Notified::Catalog {
            marketplace_id,
            asin,
        } => {
            let changed = refresh_catalog(cx, marketplace_id, asin).await?;
            Ok(if changed {
                Changed {
                    catalog: BTreeMap::from([(
                        marketplace_id.clone(),
                        BTreeSet::from([asin.clone()]),
                    )]),
                    ..Default::default()
                }
                .events(&cx.tenant.to_string(), cx.account.id.as_str())
            } else {
                vec![]
            })
        }
        Notified::FeePromotion {
            marketplace_id,
            asins,
        } => refresh_fees_of_asins(cx, marketplace_id, asins).await,
        other => Ok(keep_notified(cx.store, cx.tenant, cx.account.id.as_str(), other).await?),
    }
}

/// A listings, catalog, offers or fees notification, read.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingNotice {
    /// Amazon's `notificationId`, when the body has one.
    pub id: Option<String>,
    /// The seller it names; `None` when it names none (it cannot be routed then).
    pub seller_id: Option<String>,
    pub event_time: DateTime<Utc>,
    pub notified: Notified,
}

mod payloads {
    //! The notifications of these types that have no typed model elsewhere, from Amazon's
    //! schemas (`ItemProductTypeChangeNotification.json`,
    //! `ListingsItemIssuesChangeNotification.json`, `PricingHealthNotification.json`).
    use crate::amazon::models::{json_number, json_number_opt};
    use chrono::{DateTime, Utc};
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Pascal<P> {
        #[serde(alias = "eventTime")]
        pub event_time: DateTime<Utc>,
        #[serde(alias = "payload")]
        pub payload: P,
        #[serde(alias = "notificationMetadata", default)]
        pub notification_metadata: Option<Metadata>,
    }

    #[derive(Deserialize)]
    pub struct Metadata {
        #[serde(alias = "notificationId", rename = "NotificationId")]
        pub notification_id: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct IssuesChange {
        pub seller_id: String,
        #[serde(default)]
        pub marketplace_id: Option<String>,
        pub sku: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct ProductTypeChange {
        /// Not in Amazon's schema (which allows more properties); read when sent.
        #[serde(default, alias = "MerchantId", alias = "SellingPartnerId")]
        pub seller_id: Option<String>,
        pub marketplace_id: String,
        pub asin: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PricingHealthNotification {
        pub event_time: DateTime<Utc>,
        pub payload: PricingHealth,
        pub notification_metadata: Metadata,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PricingHealth {
        pub seller_id: String,
        pub issue_type: String,
        pub offer_change_trigger: Trigger,
        pub merchant_offer: MerchantOffer,
        pub summary: Summary,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Trigger {
        pub marketplace_id: String,
        pub asin: String,
        pub item_condition: String,
        pub time_of_offer_change: DateTime<Utc>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MerchantOffer {
        pub fulfillment_type: String,
        pub landed_price: Money,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Money {
        #[serde(with = "json_number")]
        pub amount: Decimal,
        pub currency_code: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Summary {
        #[serde(default)]
        pub buy_box_prices: Vec<BuyBoxPrice>,
        #[serde(default)]
        pub reference_price: Option<ReferencePrice>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct BuyBoxPrice {
        pub landed_price: Money,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ReferencePrice {
        #[serde(default)]
        pub competitive_price_threshold: Option<OptMoney>,
        #[serde(default)]
        pub average_selling_price: Option<OptMoney>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct OptMoney {
        #[serde(default, with = "json_number_opt")]
        pub amount: Option<Decimal>,
    }
}

/// Reads a notification of the listings, catalog, offers and fees types; `None` for other
/// types, an error (the cause) for one of these types that does not read.
pub fn notice_of(
    decoded: &crate::amazon::models::notification_payloads::Received,
) -> Option<Result<ListingNotice, String>> {
    use crate::amazon::models::decode_value;
    use crate::amazon::models::notification_payloads::Received;
    let id = |m: Option<&crate::amazon::models::notification_payloads::NotificationMetadata>| {
        m.map(|m| m.notification_id.clone())
    };
    Some(match decoded {
        Received::AnyOfferChanged(n) => {
            let p = &n.payload.any_offer_changed_notification;
            Ok(ListingNotice {
                id: id(n.notification_metadata.as_ref()),
                seller_id: Some(p.seller_id.clone()),
                event_time: n.event_time,
                notified: Notified::Offers(Box::new(OfferPoint::from_notification(p))),
            })
        }
        Received::FeePromotion(n) => {
            let p = &n.payload.fee_promotion_notification;
            let asins = p
                .identifiers
                .iter()
                .filter(|i| i.identifier_type.eq_ignore_ascii_case("ASIN"))
                .flat_map(|i| i.identifier_values.iter())
                .map(|v| v.identifier_value_id.clone())
                .collect();
            Ok(ListingNotice {
                id: id(n.notification_metadata.as_ref()),
                seller_id: Some(p.merchant_id.clone()),
                event_time: n.event_time,
                notified: Notified::FeePromotion {
                    marketplace_id: p.marketplace_id.clone(),
                    asins,
                },
            })
        }
        Received::ListingsItemStatusChange(n) => {
            let p = &n.payload;
            match &p.marketplace_id {
                Some(m) => Ok(ListingNotice {
                    id: id(n.notification_metadata.as_ref()),
                    seller_id: Some(p.seller_id.clone()),
                    event_time: n.event_time,
                    notified: Notified::Listing {
                        marketplace_id: m.clone(),
                        sku: p.sku.clone(),
                    },
                }),
                None => {
                    Err("LISTINGS_ITEM_STATUS_CHANGE: the payload names no MarketplaceId".into())
                }
            }
        }
        Received::Other {
            notification_type,
            body,
        } => match notification_type.as_str() {
            "LISTINGS_ITEM_ISSUES_CHANGE" => {
                decode_value::<payloads::Pascal<payloads::IssuesChange>>(body)
                    .map_err(|e| format!("{notification_type}: {e}"))
                    .and_then(|n| {
                        let m = n.payload.marketplace_id.clone().ok_or_else(|| {
                            format!("{notification_type}: the payload names no MarketplaceId")
                        })?;
                        Ok(ListingNotice {
                            id: n.notification_metadata.map(|m| m.notification_id),
                            seller_id: Some(n.payload.seller_id),
                            event_time: n.event_time,
                            notified: Notified::Listing {
                                marketplace_id: m,
                                sku: n.payload.sku,
                            },
                        })
                    })
            }
            "ITEM_PRODUCT_TYPE_CHANGE" => {
                decode_value::<payloads::Pascal<payloads::ProductTypeChange>>(body)
                    .map_err(|e| format!("{notification_type}: {e}"))
                    .map(|n| ListingNotice {
                        id: n.notification_metadata.map(|m| m.notification_id),
                        seller_id: n.payload.seller_id,
                        event_time: n.event_time,
                        notified: Notified::Catalog {
                            marketplace_id: n.payload.marketplace_id,
                            asin: n.payload.asin,
                        },
                    })
            }
            "PRICING_HEALTH" => decode_value::<payloads::PricingHealthNotification>(body)
                .map_err(|e| format!("{notification_type}: {e}"))
                .map(|n| {
                    let p = n.payload;
                    let reference = p.summary.reference_price.as_ref();
                    ListingNotice {
                        id: Some(n.notification_metadata.notification_id),
                        seller_id: Some(p.seller_id),
                        event_time: n.event_time,
                        notified: Notified::PricingHealth(Box::new(PricingHealthRecord {
                            marketplace_id: p.offer_change_trigger.marketplace_id,
                            asin: p.offer_change_trigger.asin,
                            at: p.offer_change_trigger.time_of_offer_change,
                            issue_type: p.issue_type,
                            condition: p.offer_change_trigger.item_condition,
                            fulfillment_type: p.merchant_offer.fulfillment_type,
                            our_landed_price: p.merchant_offer.landed_price.amount,
                            currency: p.merchant_offer.landed_price.currency_code,
                            buy_box_landed_price: p
                                .summary
                                .buy_box_prices
                                .first()
                                .map(|b| b.landed_price.amount),
                            competitive_price_threshold: reference
                                .and_then(|r| r.competitive_price_threshold.as_ref())
                                .and_then(|m| m.amount),
                            average_selling_price: reference
                                .and_then(|r| r.average_selling_price.as_ref())
                                .and_then(|m| m.amount),
                        })),
                    }
                }),
            _ => return None,
        },
        _ => return None,
    })
}
