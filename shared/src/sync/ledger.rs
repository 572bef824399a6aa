//! The inventory ledger datasets, two years back on connect and daily after: every event of
//! the detail view (`GET_LEDGER_DETAIL_VIEW_DATA`) and each SKU's daily stock from the summary
//! view aggregated by day and country (`GET_LEDGER_SUMMARY_VIEW_DATA` with `reportOptions`
//! `{"aggregatedByTimePeriod": "DAILY", "aggregateByLocation": "COUNTRY"}`). Both are
//! [`ReportWindows`]; the records and their keys are in [`crate::records::ledger`].
//!
//! Real-file habits read here: Title-Case headers with spaces, `Date` as `MM/DD/YYYY` beside an
//! ISO `Date and Time`, every field of the summary view in double quotes, identical detail rows
//! (kept apart by their occurrence), titles in Windows-1252 or Shift_JIS.

use super::report_windows::{
    changed_event, put_each, Parser, Put, ReportWindows, Window, WindowedReport,
};
use super::step::{StepContext, StepError};
use crate::amazon::flatfile::Row;
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::ledger::{self as records, LedgerDay, LedgerEvent};
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};

pub const LEDGER_DETAIL_REPORT: &str = "GET_LEDGER_DETAIL_VIEW_DATA";
pub const LEDGER_SUMMARY_REPORT: &str = "GET_LEDGER_SUMMARY_VIEW_DATA";
pub const LEDGER_CHANGED: &str = "InventoryLedgerChanged";
pub const STOCK_DAYS_CHANGED: &str = "InventoryStockDaysChanged";

fn invalid(row: &Row, what: String) -> AmazonError {
    AmazonError::InvalidInput {
        status: 0,
        message: format!("line {}: {what}", row.line()),
    }
}

fn text(row: &Row, column: &str) -> String {
    row.get(column).map(str::trim).unwrap_or("").to_string()
}

fn required(row: &Row, column: &str) -> Result<String, AmazonError> {
    let t = text(row, column);
    if t.is_empty() {
        return Err(invalid(row, format!("{column:?} is blank")));
    }
    Ok(t)
}

fn day(row: &Row, column: &str) -> Result<NaiveDate, AmazonError> {
    row.time(column)?
        .map(|t| t.date_naive())
        .ok_or_else(|| invalid(row, format!("{column:?} is blank")))
}

fn count(row: &Row, column: &str) -> Result<i64, AmazonError> {
    row.integer(column)?
        .ok_or_else(|| invalid(row, format!("{column:?} is blank")))
}

/// The detail view: every event.
#[derive(Debug, Clone, Default)]
pub struct LedgerDetail;

pub type LedgerDetailSync = ReportWindows<LedgerDetail>;

impl LedgerDetailSync {
    pub fn default_sync() -> Self {
        ReportWindows::new(LedgerDetail)
    }
}

#[async_trait]
impl WindowedReport for LedgerDetail {
    type Record = LedgerEvent;

    fn name(&self) -> &'static str {
        "ledger detail"
    }

    fn report_type(&self) -> &'static str {
        LEDGER_DETAIL_REPORT
    }

    fn parser(&self, window: &Window) -> Parser<LedgerEvent> {
        let marketplace = window.marketplace_id.clone();
        Box::new(move |row: &Row| {
            let fnsku = text(row, "FNSKU");
            if fnsku.is_empty() && text(row, "Event Type").is_empty() {
                return Ok(None);
            }
            Ok(Some(LedgerEvent {
                marketplace_id: marketplace.clone(),
                date: day(row, "Date")?,
                at: row.time("Date and Time")?.map(|t| t.with_timezone(&Utc)),
                fnsku,
                asin: text(row, "ASIN"),
                sku: text(row, "MSKU"),
                title: text(row, "Title"),
                event_type: required(row, "Event Type")?,
                reference_id: text(row, "Reference ID"),
                quantity: count(row, "Quantity")?,
                fulfillment_center: text(row, "Fulfillment Center"),
                disposition: text(row, "Disposition"),
                reason: text(row, "Reason"),
                country: text(row, "Country"),
                reconciled_quantity: row.integer("Reconciled Quantity")?,
                unreconciled_quantity: row.integer("Unreconciled Quantity")?,
                occurrence: 0,
            }))
        })
    }

    fn finish(&self, records: &mut Vec<LedgerEvent>) {
        LedgerEvent::number_occurrences(records);
    }

    async fn write(
        &self,
        cx: &StepContext<'_>,
        window: &Window,
        version: &str,
        records: &[LedgerEvent],
    ) -> Result<(u64, Vec<DomainEvent>), StepError> {
        let stored = put_each(
            records
                .iter()
                .map(|e| Box::pin(records::put_event(cx.store, cx.tenant, e, version)) as Put<'_>)
                .collect(),
        )
        .await?;
        let changed: Vec<&LedgerEvent> = records
            .iter()
            .zip(&stored)
            .filter(|(_, s)| **s)
            .map(|(e, _)| e)
            .collect();
        if changed.is_empty() {
            return Ok((0, vec![]));
        }
        let days: BTreeSet<String> = changed.iter().map(|e| e.date.to_string()).collect();
        let skus: Vec<String> = changed.iter().map(|e| e.sku.clone()).collect();
        Ok((
            changed.len() as u64,
            vec![changed_event(cx, LEDGER_CHANGED, window, days, skus)],
        ))
    }
}

/// The summary view by day: each SKU's stock at the end of each day.
#[derive(Debug, Clone, Default)]
pub struct LedgerSummary;

pub type LedgerSummarySync = ReportWindows<LedgerSummary>;

impl LedgerSummarySync {
    pub fn default_sync() -> Self {
        ReportWindows::new(LedgerSummary)
    }
}

#[async_trait]
impl WindowedReport for LedgerSummary {
    type Record = LedgerDay;

    fn name(&self) -> &'static str {
        "ledger summary"
    }

    fn report_type(&self) -> &'static str {
        LEDGER_SUMMARY_REPORT
    }

    fn report_options(&self) -> Option<BTreeMap<String, String>> {
        Some(BTreeMap::from([
            ("aggregatedByTimePeriod".to_string(), "DAILY".to_string()),
            ("aggregateByLocation".to_string(), "COUNTRY".to_string()),
        ]))
    }

    fn align(&self, now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        now.date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(now, |t| t.and_utc())
    }

    fn parser(&self, window: &Window) -> Parser<LedgerDay> {
        let marketplace = window.marketplace_id.clone();
        Box::new(move |row: &Row| {
            let fnsku = text(row, "FNSKU");
            if fnsku.is_empty() {
                return Ok(None);
            }
            let n = |c: &str| count(row, c);
            // Columns a file may leave out (older layouts) count as zero.
            let opt = |c: &str| row.integer(c).map(|v| v.unwrap_or(0));
            Ok(Some(LedgerDay {
                marketplace_id: marketplace.clone(),
                date: day(row, "Date")?,
                fnsku,
                asin: text(row, "ASIN"),
                sku: required(row, "MSKU")?,
                title: text(row, "Title"),
                disposition: text(row, "Disposition"),
                location: text(row, "Location"),
                starting_balance: n("Starting Warehouse Balance")?,
                in_transit: opt("In Transit Between Warehouses")?,
                receipts: opt("Receipts")?,
                customer_shipments: opt("Customer Shipments")?,
                customer_returns: opt("Customer Returns")?,
                vendor_returns: opt("Vendor Returns")?,
                warehouse_transfers: opt("Warehouse Transfer In/Out")?,
                found: opt("Found")?,
                lost: opt("Lost")?,
                damaged: opt("Damaged")?,
                disposed: opt("Disposed")?,
                other_events: opt("Other Events")?,
                ending_balance: n("Ending Warehouse Balance")?,
                unknown_events: opt("Unknown Events")?,
            }))
        })
    }

    async fn write(
        &self,
        cx: &StepContext<'_>,
        window: &Window,
        version: &str,
        records: &[LedgerDay],
    ) -> Result<(u64, Vec<DomainEvent>), StepError> {
        let stored = put_each(
            records
                .iter()
                .map(|d| Box::pin(records::put_day(cx.store, cx.tenant, d, version)) as Put<'_>)
                .collect(),
        )
        .await?;
        let changed: Vec<&LedgerDay> = records
            .iter()
            .zip(&stored)
            .filter(|(_, s)| **s)
            .map(|(d, _)| d)
            .collect();
        if changed.is_empty() {
            return Ok((0, vec![]));
        }
        let days: BTreeSet<String> = changed.iter().map(|d| d.date.to_string()).collect();
        let skus: Vec<String> = changed.iter().map(|d| d.sku.clone()).collect();
        Ok((
            changed.len() as u64,
            vec![changed_event(cx, STOCK_DAYS_CHANGED, window, days, skus)],
        ))
    }
}
