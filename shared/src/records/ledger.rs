//! The FBA inventory ledger: every event that moved a unit (the detail view,
//! `GET_LEDGER_DETAIL_VIEW_DATA`) and each SKU's stock at the end of each day (the summary
//! view aggregated by day, `GET_LEDGER_SUMMARY_VIEW_DATA`).
//!
//! Keys:
//! - event: `ACCT#<t>` / `INVLEDGER#<marketplaceId>#<time>#<fnsku>#<content digest>#<n>`, where
//!   `<time>` is the row's `Date and Time` (RFC 3339 UTC, milliseconds) or its `Date` when the
//!   file has no time, `<content digest>` the first 16 hex digits of the SHA-256 of the row's
//!   identifying fields (FNSKU, MSKU, event type, reference id, quantity, fulfilment centre,
//!   disposition, reason, country, date) and `<n>` its occurrence among identical rows of the
//!   document (0, 1, …). A ledger row has no id of its own, and identical rows are real: two
//!   units moved out of one fulfilment centre in the same second are two rows with the same
//!   content. The content alone would fold them into one; a running number alone would move
//!   with every row added before it. Identical rows share their time, so every document that
//!   holds one holds them all whatever its window, and the n-th of them is the same event in
//!   every read: re-reading any window writes the same keys. The reconciled/unreconciled
//!   quantities are left out of the key: Amazon updates them on a row it already listed.
//! - day: `ACCT#<t>` / `INVDAY#<marketplaceId>#<sku>#<YYYY-MM-DD>#<fnsku>#<disposition>#<location>`:
//!   one row of the daily summary. Amazon lists a SKU on the days it has events (and may list
//!   it on others); a day without a row has the stock of the SKU's last row before it
//!   ([`stock_on`]).
//!
//! Both are newer-wins by the creation time of the report they were read from: a later read of
//! a window (a daily sweep) replaces what Amazon corrected, a replay of the same read changes
//! nothing.

use super::{put_newer, Written};
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One inventory ledger event (a row of the detail view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEvent {
    pub marketplace_id: String,
    /// `Date` (the day Amazon books it on) and `Date and Time` when the file has it.
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    pub fnsku: String,
    pub asin: String,
    /// The seller's SKU (`MSKU`).
    pub sku: String,
    pub title: String,
    /// `Shipments`, `CustomerReturns`, `Adjustments`, `Receipts`, `WhseTransfers`, `VendorReturns`…
    pub event_type: String,
    /// Shipment, order, receipt or adjustment id, blank for some events.
    pub reference_id: String,
    /// Signed: units in are positive, units out negative.
    pub quantity: i64,
    pub fulfillment_center: String,
    pub disposition: String,
    /// One-letter adjustment reason (`M` misplaced, `E` damaged, `F` found, `D` disposed…).
    pub reason: String,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciled_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreconciled_quantity: Option<i64>,
    /// Occurrence among identical rows (see the module's key note).
    pub occurrence: u32,
}

impl LedgerEvent {
    /// The identifying content (the digest's input).
    pub fn content(&self) -> String {
        [
            self.fnsku.as_str(),
            &self.sku,
            &self.event_type,
            &self.reference_id,
            &self.quantity.to_string(),
            &self.fulfillment_center,
            &self.disposition,
            &self.reason,
            &self.country,
            &self.date.to_string(),
            &self
                .at
                .map(crate::ports::store::rfc3339)
                .unwrap_or_default(),
        ]
        .join("\u{1f}")
    }

    /// The time part of the key.
    pub fn key_time(&self) -> String {
        self.at
            .map(crate::ports::store::rfc3339)
            .unwrap_or_else(|| self.date.to_string())
    }

    /// `<fnsku>#<digest>#<occurrence>`.
    pub fn event_key(&self) -> String {
        let digest = Sha256::digest(self.content().as_bytes());
        format!(
            "{}#{}#{}",
            self.fnsku,
            &hex::encode(digest)[..16],
            self.occurrence
        )
    }

    /// Numbers identical rows of one document 0, 1, … in file order.
    pub fn number_occurrences(events: &mut [LedgerEvent]) {
        let mut seen: std::collections::HashMap<(String, String), u32> = Default::default();
        for e in events.iter_mut() {
            let n = seen
                .entry((e.marketplace_id.clone(), e.content()))
                .or_default();
            e.occurrence = *n;
            *n += 1;
        }
    }

    fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).ledger_event(
            &self.marketplace_id,
            &self.key_time(),
            &self.event_key(),
        ))
        .s("marketplaceId", self.marketplace_id.clone())
        .s("sku", self.sku.clone())
        .s("record", serde_json::to_string(self).unwrap_or_default())
        .build()
    }
}

/// One SKU's stock at the end of one day (a row of the daily summary view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerDay {
    pub marketplace_id: String,
    pub date: NaiveDate,
    pub fnsku: String,
    pub asin: String,
    pub sku: String,
    pub title: String,
    pub disposition: String,
    /// `Location`: the country (or fulfilment centre) the row aggregates.
    pub location: String,
    pub starting_balance: i64,
    pub in_transit: i64,
    pub receipts: i64,
    pub customer_shipments: i64,
    pub customer_returns: i64,
    pub vendor_returns: i64,
    pub warehouse_transfers: i64,
    pub found: i64,
    pub lost: i64,
    pub damaged: i64,
    pub disposed: i64,
    pub other_events: i64,
    pub ending_balance: i64,
    pub unknown_events: i64,
}

impl LedgerDay {
    fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).ledger_day(
            &self.marketplace_id,
            &self.sku,
            &self.date.to_string(),
            &self.fnsku,
            &self.disposition,
            &self.location,
        ))
        .s("marketplaceId", self.marketplace_id.clone())
        .s("sku", self.sku.clone())
        .s("date", self.date.to_string())
        .s("record", serde_json::to_string(self).unwrap_or_default())
        .build()
    }
}

fn from_item<T: serde::de::DeserializeOwned>(i: &Item) -> Result<T, StoreError> {
    serde_json::from_str(&i.s("record")?).map_err(|_| StoreError::Corrupt("record".into()))
}

/// Stores an event read from a report created at `version` (newer wins).
pub async fn put_event(
    store: &dyn Store,
    tenant: &Tenant,
    e: &LedgerEvent,
    version: &str,
) -> Result<Written, StoreError> {
    put_newer(store, e.to_item(tenant), version).await
}

/// Stores a day read from a report created at `version` (newer wins).
pub async fn put_day(
    store: &dyn Store,
    tenant: &Tenant,
    d: &LedgerDay,
    version: &str,
) -> Result<Written, StoreError> {
    put_newer(store, d.to_item(tenant), version).await
}

/// Every ledger event of the tenant, by marketplace and time.
pub async fn events(store: &dyn Store, tenant: &Tenant) -> Result<Vec<LedgerEvent>, StoreError> {
    query_all(store, keys::tenant(tenant).ledger_events())
        .await?
        .iter()
        .map(from_item)
        .collect()
}

/// A marketplace's events from `from` up to `to` (both the key's time text: an RFC 3339 UTC
/// time with milliseconds or a date).
pub async fn events_between(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<LedgerEvent>, StoreError> {
    query_all(
        store,
        keys::tenant(tenant).ledger_events_between(marketplace_id, from, to),
    )
    .await?
    .iter()
    .map(from_item)
    .collect()
}

/// Every daily row of the tenant, by marketplace, SKU and day.
pub async fn days(store: &dyn Store, tenant: &Tenant) -> Result<Vec<LedgerDay>, StoreError> {
    query_all(store, keys::tenant(tenant).ledger_days())
        .await?
        .iter()
        .map(from_item)
        .collect()
}

/// One SKU's daily rows in a marketplace, oldest first.
pub async fn days_of(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    sku: &str,
) -> Result<Vec<LedgerDay>, StoreError> {
    query_all(
        store,
        keys::tenant(tenant).ledger_days_of(marketplace_id, sku),
    )
    .await?
    .iter()
    .map(from_item)
    .collect()
}

/// A SKU's stock at the end of `day` from its daily rows (any order): for each disposition and
/// location, the ending balance of its newest row at or before `day`, summed; zero before a
/// first row.
pub fn stock_on(rows: &[LedgerDay], day: NaiveDate) -> i64 {
    let mut newest: std::collections::HashMap<(&str, &str), &LedgerDay> = Default::default();
    for r in rows.iter().filter(|r| r.date <= day) {
        let slot = newest
            .entry((r.disposition.as_str(), r.location.as_str()))
            .or_insert(r);
        if r.date > slot.date {
            *slot = r;
        }
    }
    newest.values().map(|r| r.ending_balance).sum()
}
