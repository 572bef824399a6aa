//! Reports: create, wait (notification or polling with backoff), fetch the document, and
//! stream its rows: download → gunzip → charset → tab-separated rows by header name, in
//! constant memory whatever the file size. Amounts parse in the marketplace's locale.

use super::backoff::poll;
use super::client::Context;
use super::error::AmazonError;
use super::models::reports as models;
use super::operations::SpApi;
use chrono::{DateTime, Utc};
use encoding_rs::Encoding;
use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader, Read};
use std::str::FromStr;
use std::sync::Arc;

/// How a marketplace writes decimals in flat files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalStyle {
    /// `1234.56` or `1,234.56`.
    Point,
    /// `1234,56` or `1.234,56` (DE, FR, IT, ES).
    Comma,
}

impl DecimalStyle {
    /// The style of a marketplace's files, by Amazon marketplace id.
    pub fn of_marketplace(id: &str) -> Self {
        match crate::marketplaces::by_id(id).map(|m| m.country_code) {
            Some("DE" | "FR" | "IT" | "ES") => DecimalStyle::Comma,
            _ => DecimalStyle::Point,
        }
    }
}

/// A money amount from a flat file; blank and `--` (not applicable) are `None`.
pub fn parse_amount(text: &str, style: DecimalStyle) -> Result<Option<Decimal>, AmazonError> {
    let t = text.trim();
    if t.is_empty() || t == "--" {
        return Ok(None);
    }
    let normal = match style {
        DecimalStyle::Point => t.replace(',', ""),
        DecimalStyle::Comma => t.replace('.', "").replace(',', "."),
    };
    Decimal::from_str(&normal)
        .map(Some)
        .map_err(|_| AmazonError::InvalidInput {
            status: 0,
            message: format!("not an amount: {t:?}"),
        })
}

/// The encoding named by a `Content-Type` charset, with Amazon's Java-style names.
pub fn encoding_for(charset: Option<&str>) -> &'static Encoding {
    match charset.map(|c| c.trim().trim_matches('"').to_ascii_lowercase()) {
        None => encoding_rs::WINDOWS_1252, // Amazon: ISO-8859-1 when no charset is given.
        Some(c) => match c.as_str() {
            "cp1252" => encoding_rs::WINDOWS_1252,
            "ms932" | "windows-31j" | "cp932" | "sjis" => encoding_rs::SHIFT_JIS,
            other => Encoding::for_label(other.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252),
        },
    }
}

/// One data row of a flat file, read by column name.
pub struct Row<'a> {
    header: &'a [String],
    fields: Vec<&'a str>,
}

impl Row<'_> {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.header
            .iter()
            .position(|h| h == column)
            .and_then(|i| self.fields.get(i).copied())
    }
    pub fn fields(&self) -> &[&str] {
        &self.fields
    }
}

/// What a streamed file held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Streamed {
    pub rows: u64,
    pub bytes_decoded: u64,
}

/// Reads tab-separated rows from any reader (already decompressed and decoded to UTF-8).
pub fn read_rows<R: Read>(
    reader: R,
    mut on_row: impl FnMut(&Row) -> Result<(), AmazonError>,
) -> Result<Streamed, AmazonError> {
    let mut lines = BufReader::with_capacity(256 * 1024, reader);
    let io = |e: std::io::Error| AmazonError::Transport {
        message: format!("report stream: {e}"),
        attempts: 1,
    };
    let mut line = String::new();
    let mut out = Streamed::default();
    if lines.read_line(&mut line).map_err(io)? == 0 {
        return Ok(out);
    }
    out.bytes_decoded += line.len() as u64;
    let header: Vec<String> = line
        .trim_end_matches(['\r', '\n'])
        .trim_start_matches('\u{feff}')
        .split('\t')
        .map(str::to_string)
        .collect();
    loop {
        line.clear();
        let n = lines.read_line(&mut line).map_err(io)?;
        if n == 0 {
            return Ok(out);
        }
        out.bytes_decoded += n as u64;
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            continue;
        }
        let row = Row {
            header: &header,
            fields: text.split('\t').collect(),
        };
        on_row(&row)?;
        out.rows += 1;
    }
}

/// Wraps a byte reader: gunzip when the bytes start with the gzip magic, then decode the
/// charset to UTF-8, streaming.
pub fn decoded<R: Read + Send + 'static>(
    raw: R,
    encoding: &'static Encoding,
) -> Box<dyn Read + Send> {
    let mut buffered = BufReader::with_capacity(64 * 1024, raw);
    let gz = buffered
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    let inner: Box<dyn Read + Send> = if gz {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .build(inner),
    )
}

/// Downloads a report document and hands each row to `on_row`, in constant memory.
pub async fn stream_document<F>(
    http: &reqwest::Client,
    url: &str,
    on_row: F,
) -> Result<Streamed, AmazonError>
where
    F: FnMut(&Row) -> Result<(), AmazonError> + Send + 'static,
{
    let res = http
        .get(url)
        .send()
        .await
        .map_err(|e| AmazonError::Transport {
            message: e.without_url().to_string(),
            attempts: 1,
        })?;
    match res.status().as_u16() {
        200 => {}
        403 => {
            return Err(AmazonError::Forbidden(
                "the document URL has expired; fetch the report document again".into(),
            ))
        }
        s => {
            return Err(AmazonError::Server {
                status: s,
                message: "document download failed".into(),
                attempts: 1,
            })
        }
    }
    let charset = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("charset="))
                .map(str::to_string)
        });
    let encoding = encoding_for(charset.as_deref());
    let stream = res.bytes_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let sync = tokio_util::io::SyncIoBridge::new_with_handle(reader, handle);
        read_rows(decoded(sync, encoding), on_row)
    })
    .await
    .map_err(|e| AmazonError::Dependency(format!("report task: {e}")))?
}

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
