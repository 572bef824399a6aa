//! The reimbursements dataset (`GET_FBA_REIMBURSEMENTS_DATA`) in windows of the approval date,
//! two years back on connect and daily after ([`ReportWindows`]), reversals included; records
//! in [`crate::records::reimbursements`].
//!
//! Amounts: EU files print `amount-per-unit` with a decimal point and `amount-total` in the
//! marketplace's own way (`1.234,56` in DE/FR/IT/ES), so each column is read with its own
//! style. A blank or unreadable `amount-total` fails the document naming the column and line
//! (money is never guessed); a blank `amount-per-unit` (inventory reimbursements) is kept blank.

use super::report_windows::{
    changed_event, put_each, Parser, Put, ReportWindows, Window, WindowedReport,
};
use super::step::{StepContext, StepError};
use crate::amazon::flatfile::{DecimalStyle, Row};
use crate::amazon::AmazonError;
use crate::ports::bus::DomainEvent;
use crate::records::reimbursements::{self as records, ReimbursementRecord};
use async_trait::async_trait;
use chrono::Utc;
use std::collections::BTreeSet;

pub const REIMBURSEMENTS_REPORT: &str = "GET_FBA_REIMBURSEMENTS_DATA";
pub const REIMBURSEMENTS_CHANGED: &str = "ReimbursementsChanged";

#[derive(Debug, Clone, Default)]
pub struct Reimbursements;

pub type ReimbursementsSync = ReportWindows<Reimbursements>;

impl ReimbursementsSync {
    pub fn default_sync() -> Self {
        ReportWindows::new(Reimbursements)
    }
}

fn text(row: &Row, column: &str) -> String {
    row.get(column).map(str::trim).unwrap_or("").to_string()
}

fn opt_text(row: &Row, column: &str) -> Option<String> {
    Some(text(row, column)).filter(|t| !t.is_empty())
}

fn invalid(row: &Row, what: String) -> AmazonError {
    AmazonError::InvalidInput {
        status: 0,
        message: format!("reimbursements report line {}: {what}", row.line()),
    }
}

/// The style of `amount-total` in a marketplace's reimbursement files.
pub fn total_style(marketplace_id: &str) -> DecimalStyle {
    match crate::marketplaces::by_id(marketplace_id).map(|m| m.country_code) {
        Some("DE" | "FR" | "IT" | "ES") => DecimalStyle::Comma,
        _ => DecimalStyle::Point,
    }
}

#[async_trait]
impl WindowedReport for Reimbursements {
    type Record = ReimbursementRecord;

    fn name(&self) -> &'static str {
        "reimbursements"
    }

    fn report_type(&self) -> &'static str {
        REIMBURSEMENTS_REPORT
    }

    fn parser(&self, window: &Window) -> Parser<ReimbursementRecord> {
        let marketplace = window.marketplace_id.clone();
        let total = total_style(&marketplace);
        Box::new(move |row: &Row| {
            let id = text(row, "reimbursement-id");
            if id.is_empty() && text(row, "sku").is_empty() {
                return Ok(None);
            }
            if id.is_empty() {
                return Err(invalid(row, "reimbursement-id is blank".into()));
            }
            let qty = |c: &str| row.integer(c).map(|v| v.unwrap_or(0));
            Ok(Some(ReimbursementRecord {
                marketplace_id: marketplace.clone(),
                approval_date: row
                    .time("approval-date")?
                    .ok_or_else(|| invalid(row, "approval-date is blank".into()))?
                    .with_timezone(&Utc),
                reimbursement_id: id,
                case_id: opt_text(row, "case-id"),
                order_id: opt_text(row, "amazon-order-id"),
                reason: text(row, "reason"),
                sku: text(row, "sku"),
                fnsku: text(row, "fnsku"),
                asin: text(row, "asin"),
                product_name: text(row, "product-name"),
                condition: text(row, "condition"),
                currency: text(row, "currency-unit"),
                amount_per_unit: row.amount("amount-per-unit", DecimalStyle::Point)?,
                amount_total: row
                    .amount("amount-total", total)?
                    .ok_or_else(|| invalid(row, "amount-total is blank".into()))?,
                quantity_cash: qty("quantity-reimbursed-cash")?,
                quantity_inventory: qty("quantity-reimbursed-inventory")?,
                quantity_total: qty("quantity-reimbursed-total")?,
                original_reimbursement_id: opt_text(row, "original-reimbursement-id"),
                original_reimbursement_type: opt_text(row, "original-reimbursement-type"),
            }))
        })
    }

    async fn write(
        &self,
        cx: &StepContext<'_>,
        window: &Window,
        version: &str,
        records: &[ReimbursementRecord],
    ) -> Result<(u64, Vec<DomainEvent>), StepError> {
        let stored = put_each(
            records
                .iter()
                .map(|r| Box::pin(records::put(cx.store, cx.tenant, r, version)) as Put<'_>)
                .collect(),
        )
        .await?;
        let changed: Vec<&ReimbursementRecord> = records
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
                crate::records::transactions::local_day(&r.marketplace_id, r.approval_date)
                    .to_string()
            })
            .collect();
        let ids: Vec<String> = changed.iter().map(|r| r.reimbursement_id.clone()).collect();
        Ok((
            changed.len() as u64,
            vec![changed_event(cx, REIMBURSEMENTS_CHANGED, window, days, ids)],
        ))
    }
}
