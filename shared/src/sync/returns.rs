//! The customer returns dataset: FBA returns (`GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA`) in
//! windows of the return date, two years back on connect and daily after ([`ReportWindows`]);
//! records in [`crate::records::returns`]. Returns of merchant-fulfilled orders come from
//! the merchant returns report (`GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`, windows of the
//! return request date) as their own dataset ([`MfnReturnsSync`]) into the same records.

use super::report_windows::{
    changed_event, put_each, Parser, Put, ReportWindows, Window, WindowedReport,
};
use super::step::{StepContext, StepError};
use crate::amazon::flatfile::Row;
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::returns::{self as records, CustomerReturnRecord};
use async_trait::async_trait;
use chrono::Utc;
use std::collections::BTreeSet;

pub const FBA_RETURNS_REPORT: &str = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA";
pub const RETURNS_CHANGED: &str = "CustomerReturnsChanged";

#[derive(Debug, Clone, Default)]
pub struct FbaReturns;

pub type ReturnsSync = ReportWindows<FbaReturns>;

impl ReturnsSync {
    pub fn default_sync() -> Self {
        ReportWindows::new(FbaReturns)
    }
}

fn text(row: &Row, column: &str) -> String {
    row.get(column).map(str::trim).unwrap_or("").to_string()
}

fn invalid(row: &Row, what: String) -> AmazonError {
    AmazonError::InvalidInput {
        status: 0,
        message: format!("returns report line {}: {what}", row.line()),
    }
}

#[async_trait]
impl WindowedReport for FbaReturns {
    type Record = CustomerReturnRecord;

    fn name(&self) -> &'static str {
        "customer returns"
    }

    fn report_type(&self) -> &'static str {
        FBA_RETURNS_REPORT
    }

    fn parser(&self, window: &Window) -> Parser<CustomerReturnRecord> {
        let marketplace = window.marketplace_id.clone();
        Box::new(move |row: &Row| {
            let order_id = text(row, "order-id");
            if order_id.is_empty() && text(row, "sku").is_empty() {
                return Ok(None);
            }
            if order_id.is_empty() {
                return Err(invalid(row, "order-id is blank".into()));
            }
            Ok(Some(CustomerReturnRecord {
                marketplace_id: marketplace.clone(),
                return_date: row
                    .time("return-date")?
                    .ok_or_else(|| invalid(row, "return-date is blank".into()))?
                    .with_timezone(&Utc),
                order_id,
                sku: text(row, "sku"),
                asin: text(row, "asin"),
                fnsku: text(row, "fnsku"),
                product_name: text(row, "product-name"),
                quantity: row
                    .integer("quantity")?
                    .ok_or_else(|| invalid(row, "quantity is blank".into()))?,
                fulfillment_center: text(row, "fulfillment-center-id"),
                disposition: text(row, "detailed-disposition"),
                reason: text(row, "reason"),
                status: text(row, "status"),
                license_plate: text(row, "license-plate-number"),
                customer_comments: text(row, "customer-comments"),
                fulfillment: "AFN".into(),
                rma_id: None,
                return_type: None,
                resolution: None,
                refunded_amount: None,
                currency: None,
            }))
        })
    }

    async fn write(
        &self,
        cx: &StepContext<'_>,
        window: &Window,
        version: &str,
        records: &[CustomerReturnRecord],
    ) -> Result<(u64, Vec<DomainEvent>), StepError> {
        write_returns(cx, window, version, records).await
    }
}

async fn write_returns(
    cx: &StepContext<'_>,
    window: &Window,
    version: &str,
    records: &[CustomerReturnRecord],
) -> Result<(u64, Vec<DomainEvent>), StepError> {
    let stored = put_each(
        records
            .iter()
            .map(|r| Box::pin(records::put(cx.store, cx.tenant, r, version)) as Put<'_>)
            .collect(),
    )
    .await?;
    let changed: Vec<&CustomerReturnRecord> = records
        .iter()
        .zip(&stored)
        .filter(|(_, s)| **s)
        .map(|(r, _)| r)
        .collect();
    if changed.is_empty() {
        return Ok((0, vec![]));
    }
    let days: BTreeSet<String> = changed
        .iter()
        .map(|r| {
            crate::records::transactions::local_day(&r.marketplace_id, r.return_date).to_string()
        })
        .collect();
    let orders: Vec<String> = changed.iter().map(|r| r.order_id.clone()).collect();
    Ok((
        changed.len() as u64,
        vec![changed_event(cx, RETURNS_CHANGED, window, days, orders)],
    ))
}

pub const MFN_RETURNS_REPORT: &str = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE";

/// Returns of merchant-fulfilled orders (Title-Case headers with spaces; no licence plate,
/// an Amazon RMA id instead).
#[derive(Debug, Clone, Default)]
pub struct MfnReturns;

pub type MfnReturnsSync = ReportWindows<MfnReturns>;

impl MfnReturnsSync {
    pub fn default_sync() -> Self {
        ReportWindows::new(MfnReturns)
    }
}

#[async_trait]
impl WindowedReport for MfnReturns {
    type Record = CustomerReturnRecord;

    fn name(&self) -> &'static str {
        "merchant returns"
    }

    fn report_type(&self) -> &'static str {
        MFN_RETURNS_REPORT
    }

    fn parser(&self, window: &Window) -> Parser<CustomerReturnRecord> {
        let marketplace = window.marketplace_id.clone();
        let style =
            crate::amazon::flatfile::DecimalStyle::of_report(MFN_RETURNS_REPORT, &marketplace);
        Box::new(move |row: &Row| {
            let order_id = text(row, "Order ID");
            if order_id.is_empty() && text(row, "Merchant SKU").is_empty() {
                return Ok(None);
            }
            if order_id.is_empty() {
                return Err(invalid(row, "Order ID is blank".into()));
            }
            Ok(Some(CustomerReturnRecord {
                marketplace_id: marketplace.clone(),
                return_date: row
                    .time("Return request date")?
                    .ok_or_else(|| invalid(row, "Return request date is blank".into()))?
                    .with_timezone(&Utc),
                order_id,
                sku: text(row, "Merchant SKU"),
                asin: text(row, "ASIN"),
                fnsku: String::new(),
                product_name: text(row, "Item Name"),
                quantity: row
                    .integer("Return quantity")?
                    .ok_or_else(|| invalid(row, "Return quantity is blank".into()))?,
                fulfillment_center: String::new(),
                disposition: String::new(),
                reason: text(row, "Return reason"),
                status: text(row, "Return request status"),
                license_plate: String::new(),
                customer_comments: String::new(),
                fulfillment: "MFN".into(),
                rma_id: Some(text(row, "Amazon RMA ID")).filter(|t| !t.is_empty()),
                return_type: Some(text(row, "Return type")).filter(|t| !t.is_empty()),
                resolution: Some(text(row, "Resolution")).filter(|t| !t.is_empty()),
                refunded_amount: row.amount("Refunded Amount", style)?,
                currency: Some(text(row, "Currency code")).filter(|t| !t.is_empty()),
            }))
        })
    }

    async fn write(
        &self,
        cx: &StepContext<'_>,
        window: &Window,
        version: &str,
        records: &[CustomerReturnRecord],
    ) -> Result<(u64, Vec<DomainEvent>), StepError> {
        write_returns(cx, window, version, records).await
    }
}
