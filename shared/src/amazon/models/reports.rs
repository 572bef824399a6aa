//! Reports v2021-06-30: bodies are not wrapped in `payload`; errors are a plain `ErrorList`.

use super::Paged;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One page of reports; the next page is asked for with `nextToken` alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetReportsResponse {
    #[serde(default)]
    pub reports: Vec<Report>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What to build: the body of `createReport`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReportSpecification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_options: Option<BTreeMap<String, String>>,
    pub report_type: String,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_start_time: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_end_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub marketplace_ids: Vec<String>,
}

/// The id of the report Amazon queued; it is polled (or notified) until done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReportResponse {
    pub report_id: String,
}

/// A report request and its state; `reportDocumentId` appears once it is `DONE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marketplace_ids: Vec<String>,
    pub report_id: String,
    pub report_type: String,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_start_time: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_schedule_id: Option<String>,
    pub created_time: DateTime<Utc>,
    pub processing_status: ProcessingStatus,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub processing_start_time: Option<DateTime<Utc>>,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub processing_end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_document_id: Option<String>,
}

/// Where to download a finished report; the URL expires after five minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportDocument {
    pub report_document_id: String,
    pub url: String,
    #[serde(
        deserialize_with = "super::empty_as_none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub compression_algorithm: Option<CompressionAlgorithm>,
}

/// Where a report stands; the model enforces this set, and polling stops on the first three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProcessingStatus {
    Cancelled,
    Done,
    Fatal,
    InProgress,
    InQueue,
    /// A value added by Amazon after these models were written.
    #[serde(other)]
    Unknown,
}

/// How the document is compressed; absent means plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompressionAlgorithm {
    Gzip,
    /// A value added by Amazon after these models were written.
    #[serde(other)]
    Unknown,
}

impl Paged for GetReportsResponse {
    fn next_token(&self) -> Option<&str> {
        self.next_token.as_deref()
    }
}
