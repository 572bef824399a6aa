//! Reports: create, wait (notification or polling with backoff), fetch the document. Reading
//! the document's rows lives in [`super::flatfile`] (re-exported here).

use super::backoff::poll;
use super::client::Context;
use super::error::AmazonError;
use super::models::reports as models;
use super::operations::SpApi;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub use super::flatfile::{
    encoding_for, gunzipped, parse_amount, read_rows, read_rows_in, stream_document, Charset,
    DecimalStyle, Row, Streamed,
};

/// The report lifecycle for one seller connection: create, wait until done, fetch the
/// document's URL (then [`stream_document`] it).
pub struct Reports {
    pub api: Arc<SpApi>,
}

impl Reports {
    pub fn new(api: Arc<SpApi>) -> Self {
        Self { api }
    }

    /// `createReport`; returns the report id.
    pub async fn create(
        &self,
        ctx: &Context,
        report_type: &str,
        marketplace_ids: &[&str],
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Result<String, AmazonError> {
        let spec = models::CreateReportSpecification {
            report_options: None,
            report_type: report_type.to_string(),
            data_start_time: start,
            data_end_time: end,
            marketplace_ids: marketplace_ids.iter().map(|m| m.to_string()).collect(),
        };
        Ok(self
            .api
            .reports()
            .create_report(ctx, &spec)
            .await?
            .report_id)
    }

    /// Polls `getReport` with growing waits until it is done. `Ok(None)` when Amazon
    /// cancelled it (no data); FATAL is an error. Gives `RetryLater` rather than wait past
    /// the deadline (the job resumes from the report id).
    pub async fn wait(
        &self,
        ctx: &Context,
        report_id: &str,
    ) -> Result<Option<String>, AmazonError> {
        poll(self.api.pacer().as_ref(), ctx.deadline, || async {
            let r = self.api.reports().get_report(ctx, report_id).await?;
            match r.processing_status {
                models::ProcessingStatus::Done => Ok(Some(r.report_document_id)),
                models::ProcessingStatus::Cancelled => Ok(Some(None)),
                models::ProcessingStatus::Fatal => Err(AmazonError::InvalidInput {
                    status: 200,
                    message: format!("report {report_id} ended FATAL"),
                }),
                _ => Ok(None),
            }
        })
        .await
    }

    /// `getReportDocument`: the short-lived URL (fetch it at once).
    pub async fn document_url(
        &self,
        ctx: &Context,
        document_id: &str,
    ) -> Result<String, AmazonError> {
        Ok(self
            .api
            .reports()
            .get_report_document(ctx, document_id)
            .await?
            .url)
    }
}
