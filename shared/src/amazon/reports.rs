//! Reports: create, wait (notification or polling with backoff), fetch the document. Reading
//! the document's rows lives in [`super::flatfile`] (re-exported here).

use super::client::{Call, Pacer, SpApi};
use super::error::AmazonError;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

pub use super::flatfile::{
    encoding_for, gunzipped, parse_amount, read_rows, read_rows_in, stream_document, Charset,
    DecimalStyle, Row, Streamed,
};

/// The SP-API Reports operations for one seller connection.
pub struct Reports {
    pub api: Arc<SpApi>,
    pub pacer: Arc<dyn Pacer>,
}

/// Where to act: the connection and its deadline.
pub struct Seller<'a> {
    pub connection: &'a str,
    pub seller: &'a str,
    pub refresh_token: &'a secrecy::SecretString,
    pub deadline: DateTime<Utc>,
}

/// An operation with its documented usage plan (rate per second, burst).
struct Op(&'static str, f64, f64);

const CREATE_REPORT: Op = Op("createReport", 0.0167, 15.0);
const GET_REPORT: Op = Op("getReport", 2.0, 15.0);
const GET_REPORT_DOCUMENT: Op = Op("getReportDocument", 0.0167, 15.0);

impl Reports {
    fn call<'a>(
        &self,
        s: &Seller<'a>,
        op: Op,
        method: Method,
        path: String,
        body: Option<Value>,
    ) -> Call<'a> {
        Call {
            connection: s.connection,
            seller: s.seller,
            refresh_token: s.refresh_token,
            operation: op.0,
            rate: op.1,
            burst: op.2,
            method,
            path,
            query: vec![],
            body,
            deadline: s.deadline,
        }
    }

    /// `createReport`; returns the report id.
    pub async fn create(
        &self,
        s: &Seller<'_>,
        report_type: &str,
        marketplace_ids: &[&str],
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Result<String, AmazonError> {
        let mut body = json!({"reportType": report_type, "marketplaceIds": marketplace_ids});
        if let Some(t) = start {
            body["dataStartTime"] = json!(t.to_rfc3339());
        }
        if let Some(t) = end {
            body["dataEndTime"] = json!(t.to_rfc3339());
        }
        let v = self
            .api
            .send(&self.call(
                s,
                CREATE_REPORT,
                Method::POST,
                "/reports/2021-06-30/reports".into(),
                Some(body),
            ))
            .await?;
        v["reportId"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| AmazonError::Dependency("createReport answered without reportId".into()))
    }

    /// Polls `getReport` with growing waits until it is done. `Ok(None)` when Amazon
    /// cancelled it (no data); FATAL is an error. Gives `RetryLater` rather than wait past
    /// the deadline (the job resumes from the report id).
    pub async fn wait(
        &self,
        s: &Seller<'_>,
        report_id: &str,
    ) -> Result<Option<String>, AmazonError> {
        let mut delay = Duration::seconds(15);
        loop {
            let v = self
                .api
                .send(&self.call(
                    s,
                    GET_REPORT,
                    Method::GET,
                    format!("/reports/2021-06-30/reports/{report_id}"),
                    None,
                ))
                .await?;
            match v["processingStatus"].as_str() {
                Some("DONE") => return Ok(v["reportDocumentId"].as_str().map(str::to_string)),
                Some("CANCELLED") => return Ok(None),
                Some("FATAL") => {
                    return Err(AmazonError::InvalidInput {
                        status: 200,
                        message: format!("report {report_id} ended FATAL"),
                    })
                }
                _ => {
                    let at = self.pacer.now() + delay;
                    if at > s.deadline {
                        return Err(AmazonError::RetryLater { at });
                    }
                    self.pacer.sleep(delay).await;
                    delay = (delay * 2).min(Duration::minutes(5));
                }
            }
        }
    }

    /// `getReportDocument`: the short-lived URL (fetch it at once).
    pub async fn document_url(
        &self,
        s: &Seller<'_>,
        document_id: &str,
    ) -> Result<String, AmazonError> {
        let v = self
            .api
            .send(&self.call(
                s,
                GET_REPORT_DOCUMENT,
                Method::GET,
                format!("/reports/2021-06-30/documents/{document_id}"),
                None,
            ))
            .await?;
        v["url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| AmazonError::Dependency("getReportDocument answered without url".into()))
    }
}
