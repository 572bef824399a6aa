//! The Amazon Ads API client: profiles, Sponsored Products v3 campaigns, ad groups and
//! keywords (every page of a list), keyword bid and state updates item by item, and async
//! reporting v3 (create, wait, download).
//!
//! Ads access tokens come from a second [`TokenProvider`] built with the Ads LWA application's
//! credentials, at Login with Amazon's token endpoint of the advertiser's region
//! ([`AdsRegion::token_url`]).
//! Calls go through the same executor as the SP-API ([`Executor`]): they draw from a
//! per-profile bucket of the shared [`RateLimiter`]; a 429 empties that bucket and the call
//! waits the `Retry-After` Amazon gave, through the [`Pacer`], never past the deadline.
//! Operations, paths and the default plan come from [`catalogue::ads`]. Money is read with
//! [`json_number`], never through a float's arithmetic.

use super::backoff::{poll, wait_within, Backoff};
use super::catalogue::{ads as ops, Operation, UsagePlan};
use super::client::{Bucket, Context, Executor, Request};
use super::error::AmazonError;
use super::limiter::RateLimiter;
use super::lwa::TokenProvider;
use super::models::{json_number, json_number_opt};
use crate::ports::Pacer;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

/// The decimal type money values come in.
pub use rust_decimal::Decimal;

const CAMPAIGN_MEDIA: &str = "application/vnd.spCampaign.v3+json";
const AD_GROUP_MEDIA: &str = "application/vnd.spAdGroup.v3+json";
const KEYWORD_MEDIA: &str = "application/vnd.spKeyword.v3+json";
const TARGET_MEDIA: &str = "application/vnd.spTargetingClause.v3+json";
const PRODUCT_AD_MEDIA: &str = "application/vnd.spProductAd.v3+json";
const REPORT_MEDIA: &str = "application/vnd.createasyncreportrequest.v3+json";

const CLIENT_ID_HEADER: &str = "Amazon-Advertising-API-ClientId";
const SCOPE_HEADER: &str = "Amazon-Advertising-API-Scope";

/// Default `maxResults` of list calls.
pub const DEFAULT_PAGE_SIZE: usize = 1000;
/// Most ids a filter, or keywords an update request, may name.
const MAX_ITEMS: usize = 1000;
/// Longest Sponsored Products report range, in days.
const MAX_REPORT_DAYS: i64 = 31;

/// Attempts to download a report file.
const MAX_DOWNLOADS: u32 = 8;

/// The Ads API regional hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdsRegion {
    /// US, CA, MX, BR.
    NorthAmerica,
    /// UK, FR, IT, ES, DE, NL, AE, PL, TR, EG, SA, SE, BE, IN, ZA.
    Europe,
    /// JP, AU, SG.
    FarEast,
}

impl AdsRegion {
    pub const ALL: [AdsRegion; 3] = [
        AdsRegion::NorthAmerica,
        AdsRegion::Europe,
        AdsRegion::FarEast,
    ];

    /// The region of a connection's region code (`NA`, `EU`, `FE`; anything else is `NA`).
    pub fn of_code(code: &str) -> Self {
        match code.to_ascii_uppercase().as_str() {
            "EU" => AdsRegion::Europe,
            "FE" => AdsRegion::FarEast,
            _ => AdsRegion::NorthAmerica,
        }
    }

    /// Login with Amazon's token endpoint of the region: the Ads authorization code is
    /// exchanged, and the Ads access tokens refreshed, where the advertiser consented.
    pub fn token_url(self) -> &'static str {
        match self {
            AdsRegion::NorthAmerica => "https://api.amazon.com/auth/o2/token",
            AdsRegion::Europe => "https://api.amazon.co.uk/auth/o2/token",
            AdsRegion::FarEast => "https://api.amazon.co.jp/auth/o2/token",
        }
    }

    /// The region's API base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            AdsRegion::NorthAmerica => "https://advertising-api.amazon.com",
            AdsRegion::Europe => "https://advertising-api-eu.amazon.com",
            AdsRegion::FarEast => "https://advertising-api-fe.amazon.com",
        }
    }
}

/// An advertising profile (one per advertiser and marketplace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub profile_id: i64,
    pub country_code: String,
    pub currency_code: String,
    /// Report dates are local dates of this time zone.
    pub timezone: String,
    #[serde(default, with = "json_number_opt")]
    pub daily_budget: Option<Decimal>,
    pub account_info: AccountInfo,
}

/// The account behind a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// The SP-API marketplace id.
    pub marketplace_string_id: String,
    /// The seller or vendor id.
    pub id: String,
    /// `seller`, `vendor` or `agency`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub valid_payment_method: Option<bool>,
}

/// The state of a campaign, ad group or keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityState {
    Enabled,
    Paused,
    Archived,
    /// A state this client does not know (`ENABLING`, `USER_DELETED`, ...).
    #[serde(other)]
    Other,
}

impl EntityState {
    fn as_str(self) -> Option<&'static str> {
        match self {
            EntityState::Enabled => Some("ENABLED"),
            EntityState::Paused => Some("PAUSED"),
            EntityState::Archived => Some("ARCHIVED"),
            EntityState::Other => None,
        }
    }
}

/// A campaign's budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    #[serde(with = "json_number")]
    pub budget: Decimal,
    pub budget_type: String,
}

/// A Sponsored Products campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    #[serde(deserialize_with = "id_text")]
    pub campaign_id: String,
    pub name: String,
    pub state: EntityState,
    #[serde(default)]
    pub targeting_type: Option<String>,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    pub budget: Budget,
    #[serde(default, deserialize_with = "opt_id_text")]
    pub portfolio_id: Option<String>,
    /// Present when the list asked for extended data.
    #[serde(default)]
    pub extended_data: Option<Value>,
}

/// A Sponsored Products ad group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdGroup {
    #[serde(deserialize_with = "id_text")]
    pub ad_group_id: String,
    #[serde(deserialize_with = "id_text")]
    pub campaign_id: String,
    pub name: String,
    pub state: EntityState,
    #[serde(with = "json_number")]
    pub default_bid: Decimal,
    #[serde(default)]
    pub extended_data: Option<Value>,
}

/// A Sponsored Products keyword.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Keyword {
    #[serde(deserialize_with = "id_text")]
    pub keyword_id: String,
    #[serde(deserialize_with = "id_text")]
    pub ad_group_id: String,
    #[serde(deserialize_with = "id_text")]
    pub campaign_id: String,
    pub keyword_text: String,
    /// `EXACT`, `PHRASE` or `BROAD`.
    pub match_type: String,
    pub state: EntityState,
    /// Absent when the keyword bids its ad group's default.
    #[serde(default, with = "json_number_opt")]
    pub bid: Option<Decimal>,
    #[serde(default)]
    pub extended_data: Option<Value>,
}

/// One predicate of a product target's expression (`{"type": "ASIN_SAME_AS", "value": "B0..."}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetExpression {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// A Sponsored Products product target (targeting clause).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(deserialize_with = "id_text")]
    pub target_id: String,
    #[serde(deserialize_with = "id_text")]
    pub ad_group_id: String,
    #[serde(deserialize_with = "id_text")]
    pub campaign_id: String,
    #[serde(default)]
    pub expression: Vec<TargetExpression>,
    /// `MANUAL` or `AUTO`.
    #[serde(default)]
    pub expression_type: Option<String>,
    pub state: EntityState,
    /// Absent when the target bids its ad group's default.
    #[serde(default, with = "json_number_opt")]
    pub bid: Option<Decimal>,
}

impl Target {
    /// The expression as one text (`asin="B0..."`), the way reports name the target.
    pub fn expression_text(&self) -> String {
        self.expression
            .iter()
            .map(|e| match &e.value {
                Some(v) => format!("{}=\"{v}\"", expression_word(&e.kind)),
                None => expression_word(&e.kind),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `ASIN_SAME_AS` → `asin`, as reports write it.
fn expression_word(kind: &str) -> String {
    match kind {
        "ASIN_SAME_AS" => "asin".into(),
        "ASIN_CATEGORY_SAME_AS" => "category".into(),
        "ASIN_BRAND_SAME_AS" => "brand".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// A Sponsored Products product ad: the SKU (or ASIN) an ad group advertises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductAd {
    #[serde(deserialize_with = "id_text")]
    pub ad_id: String,
    #[serde(deserialize_with = "id_text")]
    pub ad_group_id: String,
    #[serde(deserialize_with = "id_text")]
    pub campaign_id: String,
    #[serde(default)]
    pub asin: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    pub state: EntityState,
}

/// Filters of the v3 list calls. Each list accepts the filters it knows: campaigns take
/// states and campaign ids; ad groups also ad group ids; keywords also keyword ids. Empty
/// means "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub states: Vec<EntityState>,
    pub campaign_ids: Vec<String>,
    pub ad_group_ids: Vec<String>,
    pub keyword_ids: Vec<String>,
    /// Product targets only.
    pub target_ids: Vec<String>,
    /// Ask for `extendedData` (counts more towards Amazon's throttling).
    pub extended: bool,
}

/// A change to one keyword: its bid, its state, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordUpdate {
    pub keyword_id: String,
    pub bid: Option<Decimal>,
    pub state: Option<EntityState>,
}

/// Why one item of a multi-status request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// `rangeError`, `entityNotFoundError`, `malformedValueError`, ...
    pub error_type: String,
    /// `TOO_HIGH`, `ENTITY_NOT_FOUND`, ...
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// A change to one product target: its bid, its state, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetUpdate {
    pub target_id: String,
    pub bid: Option<Decimal>,
    pub state: Option<EntityState>,
}

/// A change to one campaign: its daily budget, its state, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignUpdate {
    pub campaign_id: String,
    pub daily_budget: Option<Decimal>,
    pub state: Option<EntityState>,
}

/// The outcome of one item of [`AdsApi::update_keywords`], by its index in the request.
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordUpdateResult {
    pub index: usize,
    pub keyword_id: String,
    pub result: Result<(), Vec<ItemError>>,
}

/// Granularity of report rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeUnit {
    /// One row per day (`date` column).
    Daily,
    /// One row for the range (`startDate`/`endDate` columns).
    Summary,
}

/// A report filter (`{"field": "campaignStatus", "values": ["ENABLED"]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFilter {
    pub field: String,
    pub values: Vec<String>,
}

/// What a report holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportConfiguration {
    /// `SPONSORED_PRODUCTS`, ...
    pub ad_product: String,
    /// `spCampaigns`, `spAdvertisedProduct`, ...
    pub report_type_id: String,
    pub group_by: Vec<String>,
    pub columns: Vec<String>,
    pub time_unit: TimeUnit,
    /// `GZIP_JSON`.
    pub format: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<ReportFilter>,
}

/// A reporting v3 request. Dates are the profile's local dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub configuration: ReportConfiguration,
}

impl ReportRequest {
    /// A Sponsored Products report in `GZIP_JSON`.
    pub fn sponsored_products(
        report_type_id: &str,
        group_by: &[&str],
        time_unit: TimeUnit,
        start_date: NaiveDate,
        end_date: NaiveDate,
        columns: &[&str],
    ) -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Self {
            name: Some(format!("{report_type_id} {start_date}..{end_date}")),
            start_date,
            end_date,
            configuration: ReportConfiguration {
                ad_product: "SPONSORED_PRODUCTS".into(),
                report_type_id: report_type_id.into(),
                group_by: strings(group_by),
                columns: strings(columns),
                time_unit,
                format: "GZIP_JSON".into(),
                filters: vec![],
            },
        }
    }
}

/// Where a report is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportState {
    Pending,
    Processing,
    Completed,
    Failed,
    #[serde(other)]
    Other,
}

/// A report as `GET /reporting/reports/{id}` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportStatus {
    pub report_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub status: ReportState,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub generated_at: Option<DateTime<Utc>>,
    /// The download URL, once `COMPLETED` (short-lived: fetch it at once).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub url_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// One row of a Sponsored Products report. The usual columns are typed; any other column
/// is in `other` (read money from it with [`ReportRow::decimal`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRow {
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "opt_id_text")]
    pub campaign_id: Option<String>,
    #[serde(default)]
    pub campaign_name: Option<String>,
    #[serde(default)]
    pub campaign_status: Option<String>,
    #[serde(default, with = "json_number_opt")]
    pub campaign_budget_amount: Option<Decimal>,
    #[serde(default)]
    pub campaign_budget_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_id_text")]
    pub ad_group_id: Option<String>,
    #[serde(default)]
    pub advertised_asin: Option<String>,
    #[serde(default)]
    pub advertised_sku: Option<String>,
    #[serde(default)]
    pub impressions: Option<i64>,
    #[serde(default)]
    pub clicks: Option<i64>,
    /// Total click cost (same as `spend`).
    #[serde(default, with = "json_number_opt")]
    pub cost: Option<Decimal>,
    #[serde(default, with = "json_number_opt")]
    pub spend: Option<Decimal>,
    #[serde(default, with = "json_number_opt")]
    pub cost_per_click: Option<Decimal>,
    #[serde(default)]
    pub purchases7d: Option<i64>,
    #[serde(default, with = "json_number_opt")]
    pub sales7d: Option<Decimal>,
    #[serde(default)]
    pub units_sold_clicks7d: Option<i64>,
    /// Targeting and search term reports: the keyword's or product target's id.
    #[serde(default, deserialize_with = "opt_id_text")]
    pub keyword_id: Option<String>,
    #[serde(default)]
    pub keyword: Option<String>,
    #[serde(default)]
    pub match_type: Option<String>,
    #[serde(default)]
    pub targeting: Option<String>,
    #[serde(default)]
    pub keyword_type: Option<String>,
    #[serde(default)]
    pub search_term: Option<String>,
    #[serde(default, deserialize_with = "opt_id_text")]
    pub ad_id: Option<String>,
    /// Every other column (read money with [`ReportRow::decimal`]).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl ReportRow {
    /// An exact number from a column not typed above (`None` when absent or null).
    pub fn decimal(&self, column: &str) -> Option<Decimal> {
        match self.other.get(column)? {
            Value::String(s) => s.parse().ok().or_else(|| Decimal::from_scientific(s).ok()),
            Value::Number(n) => json_number::deserialize(n.clone()).ok(),
            _ => None,
        }
    }
}

/// An entity id as text, whether Amazon sent it as a string (v3) or a number (v2, reports).
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Signed(i64),
        Unsigned(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Signed(n) => n.to_string(),
        Id::Unsigned(n) => n.to_string(),
    })
}

fn opt_id_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "id_text")] String);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}

/// The existing report's id in a 425 "duplicate" message
/// (`The Request is a duplicate of : 0c6b...`).
fn duplicate_of(message: &str) -> Option<String> {
    let (_, tail) = message.rsplit_once("duplicate of")?;
    let id = tail
        .trim_start_matches([' ', ':'])
        .split_whitespace()
        .next()?;
    let id = id.trim_end_matches(['.', ',', '"']);
    uuid::Uuid::parse_str(id).ok().map(|_| id.to_string())
}

/// The JSON text of a keyword update request, bids written as the decimals' own text.
#[cfg(test)]
fn keyword_updates_body(items: &[KeywordUpdate]) -> Result<String, AmazonError> {
    let items: Vec<(&str, Option<Decimal>, Option<EntityState>)> = items
        .iter()
        .map(|u| (u.keyword_id.as_str(), u.bid, u.state))
        .collect();
    updates_body("keywords", "keywordId", &items)
}

/// The JSON text of an update request of `key` (`keywords`, `targetingClauses`).
fn updates_body(
    key: &str,
    id_field: &str,
    items: &[(&str, Option<Decimal>, Option<EntityState>)],
) -> Result<String, AmazonError> {
    let mut out = format!("{{\"{key}\":[");
    for (i, (id, bid, state)) in items.iter().enumerate() {
        let (bid, state) = (*bid, *state);
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("{{\"{id_field}\":"));
        out.push_str(&Value::String(id.to_string()).to_string());
        if let Some(bid) = bid {
            out.push_str(",\"bid\":");
            out.push_str(&bid.to_string());
        }
        if let Some(state) = state {
            let s = state.as_str().ok_or_else(|| AmazonError::InvalidInput {
                status: 0,
                message: format!("item {i}: an entity can be set ENABLED, PAUSED or ARCHIVED"),
            })?;
            out.push_str(",\"state\":\"");
            out.push_str(s);
            out.push('"');
        }
        out.push('}');
    }
    out.push_str("]}");
    Ok(out)
}

/// The per-item results of a multi-status update of `ids` (in request order, from `offset`).
fn results_of<'a>(
    reply: UpdateResponse,
    ids: impl ExactSizeIterator<Item = &'a str>,
    offset: usize,
) -> Vec<KeywordUpdateResult> {
    let mut results: Vec<Option<Result<(), Vec<ItemError>>>> = vec![None; ids.len()];
    for s in reply.keywords.success {
        if let Some(slot) = results.get_mut(s.index) {
            *slot = Some(Ok(()));
        }
    }
    for e in reply.keywords.error {
        if let Some(slot) = results.get_mut(e.index) {
            *slot = Some(Err(e.errors.into_iter().map(ItemError::from).collect()));
        }
    }
    ids.zip(results)
        .enumerate()
        .map(|(i, (id, r))| KeywordUpdateResult {
            index: offset + i,
            keyword_id: id.to_string(),
            result: r.unwrap_or_else(|| {
                Err(vec![ItemError {
                    error_type: "missingResult".into(),
                    reason: None,
                    message: Some("Amazon reported nothing for this item".into()),
                }])
            }),
        })
        .collect()
}

fn invalid(message: impl Into<String>) -> AmazonError {
    AmazonError::InvalidInput {
        status: 0,
        message: message.into(),
    }
}

#[derive(Deserialize)]
struct UpdateResponse {
    #[serde(default, alias = "targetingClauses", alias = "campaigns")]
    keywords: MultiStatus,
}

#[derive(Deserialize, Default)]
struct MultiStatus {
    #[serde(default)]
    success: Vec<SuccessItem>,
    #[serde(default)]
    error: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct SuccessItem {
    index: usize,
}

#[derive(Deserialize)]
struct ErrorItem {
    index: usize,
    #[serde(default)]
    errors: Vec<RawItemError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawItemError {
    error_type: String,
    #[serde(default)]
    error_value: Value,
}

impl From<RawItemError> for ItemError {
    fn from(e: RawItemError) -> Self {
        let detail = e
            .error_value
            .get(&e.error_type)
            .or_else(|| e.error_value.as_object().and_then(|m| m.values().next()))
            .cloned()
            .unwrap_or_default();
        let text = |k: &str| detail.get(k).and_then(Value::as_str).map(str::to_string);
        ItemError {
            reason: text("reason"),
            message: text("message"),
            error_type: e.error_type,
        }
    }
}

/// The Amazon Ads API client of one process.
pub struct AdsApi {
    exec: Arc<Executor>,
    base_url: String,
    client_id: String,
    plan: UsagePlan,
    page_size: usize,
}

impl AdsApi {
    /// `base_url` is a region's host ([`AdsRegion::base_url`]) or any other base URL;
    /// `client_id` is the Ads LWA application's, the one `tokens` was built with.
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        tokens: Arc<TokenProvider>,
        limiter: Arc<RateLimiter>,
        pacer: Arc<dyn Pacer>,
    ) -> Self {
        Self::with_executor(
            Arc::new(Executor::new(http, tokens, limiter, pacer)),
            base_url,
            client_id,
        )
    }

    /// An Ads client over an executor (its token provider must hold the Ads application's
    /// credentials).
    pub fn with_executor(
        exec: Arc<Executor>,
        base_url: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            exec,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            client_id: client_id.into(),
            plan: ops::ADS_PLAN,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Replaces the per-profile request rate (per second) and burst.
    pub fn with_limits(mut self, plan: UsagePlan) -> Self {
        self.plan = plan;
        self
    }

    /// Replaces the page size of list calls (1 to 5000).
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.clamp(1, 5000);
        self
    }

    /// Sends `op` for `profile` (`None` only for profile listing); the decoded body.
    #[allow(clippy::too_many_arguments)]
    async fn send<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        op: &'static Operation,
        path: &[(&str, &str)],
        profile: Option<i64>,
        media: &'static str,
        body: Option<Vec<u8>>,
    ) -> Result<T, AmazonError> {
        debug_assert_eq!(std::any::type_name::<T>(), (op.response)(), "{}", op.name);
        let mut headers = vec![(CLIENT_ID_HEADER, self.client_id.clone())];
        let bucket = match profile {
            Some(p) => {
                headers.push((SCOPE_HEADER, p.to_string()));
                Bucket {
                    key: format!("ads-profile-{p}"),
                    name: "ads".into(),
                    plan: self.plan,
                }
            }
            None => Bucket {
                key: format!("ads-account-{}", ctx.connection),
                name: "adsProfiles".into(),
                plan: self.plan,
            },
        };
        let req = Request {
            op,
            base_url: &self.base_url,
            path: op.render(path)?,
            query: vec![],
            body: body.map(|b| (b, media)),
            accept: media,
            headers,
            bucket,
        };
        self.exec.send(ctx, &req).await
    }

    /// The advertiser's profiles on this host (`GET /v2/profiles`).
    pub async fn profiles(&self, ctx: &Context) -> Result<Vec<Profile>, AmazonError> {
        self.send(
            ctx,
            &ops::LIST_PROFILES,
            &[],
            None,
            "application/json",
            None,
        )
        .await
    }

    /// Every page of a v3 list.
    async fn list_all<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        profile: i64,
        kind: ListKind,
        filter: &ListFilter,
    ) -> Result<Vec<T>, AmazonError> {
        let filters = kind.filters(filter)?;
        let mut items = vec![];
        let mut token: Option<String> = None;
        loop {
            let mut body = filters.clone();
            body["maxResults"] = json!(self.page_size);
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let mut page: Value = self
                .send(
                    ctx,
                    kind.operation(),
                    &[],
                    Some(profile),
                    kind.media(),
                    Some(body.to_string().into_bytes()),
                )
                .await?;
            let chunk: Vec<T> = serde_json::from_value(page[kind.key()].take()).map_err(|e| {
                AmazonError::Dependency(format!("unexpected {} page: {e}", kind.operation().name))
            })?;
            items.extend(chunk);
            match page["nextToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) if token.as_deref() == Some(t) => {
                    return Err(AmazonError::Dependency(format!(
                        "{} returned the same nextToken twice",
                        kind.operation().name
                    )))
                }
                Some(t) => token = Some(t.to_string()),
                None => return Ok(items),
            }
        }
    }

    /// Every Sponsored Products campaign of the profile matching `filter`.
    pub async fn campaigns(
        &self,
        ctx: &Context,
        profile: i64,
        filter: &ListFilter,
    ) -> Result<Vec<Campaign>, AmazonError> {
        self.list_all(ctx, profile, ListKind::Campaigns, filter)
            .await
    }

    /// Every Sponsored Products ad group of the profile matching `filter`.
    pub async fn ad_groups(
        &self,
        ctx: &Context,
        profile: i64,
        filter: &ListFilter,
    ) -> Result<Vec<AdGroup>, AmazonError> {
        self.list_all(ctx, profile, ListKind::AdGroups, filter)
            .await
    }

    /// Every Sponsored Products keyword of the profile matching `filter`.
    pub async fn keywords(
        &self,
        ctx: &Context,
        profile: i64,
        filter: &ListFilter,
    ) -> Result<Vec<Keyword>, AmazonError> {
        self.list_all(ctx, profile, ListKind::Keywords, filter)
            .await
    }

    /// Every Sponsored Products product target of the profile matching `filter`.
    pub async fn targets(
        &self,
        ctx: &Context,
        profile: i64,
        filter: &ListFilter,
    ) -> Result<Vec<Target>, AmazonError> {
        self.list_all(ctx, profile, ListKind::Targets, filter).await
    }

    /// Every Sponsored Products product ad of the profile matching `filter`.
    pub async fn product_ads(
        &self,
        ctx: &Context,
        profile: i64,
        filter: &ListFilter,
    ) -> Result<Vec<ProductAd>, AmazonError> {
        self.list_all(ctx, profile, ListKind::ProductAds, filter)
            .await
    }

    /// Updates keyword bids and states. Each item succeeds or fails on its own (207
    /// multi-status); the results are in the order of `updates`.
    pub async fn update_keywords(
        &self,
        ctx: &Context,
        profile: i64,
        updates: &[KeywordUpdate],
    ) -> Result<Vec<KeywordUpdateResult>, AmazonError> {
        let items: Vec<(&str, Option<Decimal>, Option<EntityState>)> = updates
            .iter()
            .map(|u| (u.keyword_id.as_str(), u.bid, u.state))
            .collect();
        self.update_items(ctx, profile, ListKind::Keywords, &items)
            .await
    }

    /// Updates product target bids and states, item by item like [`Self::update_keywords`]
    /// (the results name each target in `keyword_id`).
    pub async fn update_targets(
        &self,
        ctx: &Context,
        profile: i64,
        updates: &[TargetUpdate],
    ) -> Result<Vec<KeywordUpdateResult>, AmazonError> {
        let items: Vec<(&str, Option<Decimal>, Option<EntityState>)> = updates
            .iter()
            .map(|u| (u.target_id.as_str(), u.bid, u.state))
            .collect();
        self.update_items(ctx, profile, ListKind::Targets, &items)
            .await
    }

    /// Updates campaign daily budgets and states, item by item like
    /// [`Self::update_keywords`] (the results name each campaign in `keyword_id`).
    pub async fn update_campaigns(
        &self,
        ctx: &Context,
        profile: i64,
        updates: &[CampaignUpdate],
    ) -> Result<Vec<KeywordUpdateResult>, AmazonError> {
        let mut out = Vec::with_capacity(updates.len());
        for (n, chunk) in updates.chunks(MAX_ITEMS).enumerate() {
            // Written as text, so a budget's decimal goes out exactly as it is.
            let mut body = String::from("{\"campaigns\":[");
            for (i, u) in chunk.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str("{\"campaignId\":");
                body.push_str(&Value::String(u.campaign_id.clone()).to_string());
                if let Some(b) = u.daily_budget {
                    body.push_str(&format!(
                        ",\"budget\":{{\"budget\":{},\"budgetType\":\"DAILY\"}}",
                        b.normalize()
                    ));
                }
                if let Some(state) = u.state {
                    let s = state.as_str().ok_or_else(|| {
                        invalid(format!(
                            "item {i}: a campaign can be set ENABLED, PAUSED or ARCHIVED"
                        ))
                    })?;
                    body.push_str(&format!(",\"state\":\"{s}\""));
                }
                body.push('}');
            }
            body.push_str("]}");
            let reply: Value = self
                .send(
                    ctx,
                    &ops::UPDATE_CAMPAIGNS,
                    &[],
                    Some(profile),
                    CAMPAIGN_MEDIA,
                    Some(body.into_bytes()),
                )
                .await?;
            let reply: UpdateResponse = serde_json::from_value(reply).map_err(|e| {
                AmazonError::Dependency(format!("unexpected campaigns update answer: {e}"))
            })?;
            let offset = n * MAX_ITEMS;
            out.extend(results_of(
                reply,
                chunk.iter().map(|u| u.campaign_id.as_str()),
                offset,
            ));
        }
        Ok(out)
    }

    async fn update_items(
        &self,
        ctx: &Context,
        profile: i64,
        kind: ListKind,
        updates: &[(&str, Option<Decimal>, Option<EntityState>)],
    ) -> Result<Vec<KeywordUpdateResult>, AmazonError> {
        let (op, id_field) = match kind {
            ListKind::Targets => (&ops::UPDATE_TARGETS, "targetId"),
            _ => (&ops::UPDATE_KEYWORDS, "keywordId"),
        };
        let mut out = Vec::with_capacity(updates.len());
        for (n, chunk) in updates.chunks(MAX_ITEMS).enumerate() {
            let offset = n * MAX_ITEMS;
            let reply: Value = self
                .send(
                    ctx,
                    op,
                    &[],
                    Some(profile),
                    kind.media(),
                    Some(updates_body(kind.key(), id_field, chunk)?.into_bytes()),
                )
                .await?;
            let reply: UpdateResponse = serde_json::from_value(reply).map_err(|e| {
                AmazonError::Dependency(format!("unexpected {} update answer: {e}", kind.key()))
            })?;
            out.extend(results_of(reply, chunk.iter().map(|u| u.0), offset));
        }
        Ok(out)
    }

    /// Requests a report; returns its id. An identical request still in progress (425) gives
    /// that report's id; a 425 without one is `InvalidInput { status: 425 }`.
    pub async fn create_report(
        &self,
        ctx: &Context,
        profile: i64,
        request: &ReportRequest,
    ) -> Result<String, AmazonError> {
        if request.end_date < request.start_date {
            return Err(invalid("the report ends before it starts"));
        }
        if (request.end_date - request.start_date).num_days() + 1 > MAX_REPORT_DAYS {
            return Err(invalid(format!(
                "a report covers at most {MAX_REPORT_DAYS} days"
            )));
        }
        let body = super::client::json_body(request)?;
        let created = self
            .send::<ReportStatus>(
                ctx,
                &ops::CREATE_REPORT,
                &[],
                Some(profile),
                REPORT_MEDIA,
                Some(body),
            )
            .await;
        match created {
            Ok(r) => Ok(r.report_id),
            Err(AmazonError::InvalidInput {
                status: 425,
                message,
            }) => match duplicate_of(&message) {
                Some(id) => Ok(id),
                None => Err(AmazonError::InvalidInput {
                    status: 425,
                    message,
                }),
            },
            Err(e) => Err(e),
        }
    }

    /// The report's status now.
    pub async fn report(
        &self,
        ctx: &Context,
        profile: i64,
        report_id: &str,
    ) -> Result<ReportStatus, AmazonError> {
        if !report_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid("not a report id"));
        }
        self.send(
            ctx,
            &ops::GET_REPORT,
            &[("reportId", report_id)],
            Some(profile),
            "application/json",
            None,
        )
        .await
    }

    /// Polls the report with growing waits until it is `COMPLETED` (then it has its `url`).
    /// `FAILED` is `InvalidInput`; a wait that would pass the deadline is `RetryLater` (the
    /// job resumes from the report id).
    pub async fn wait_report(
        &self,
        ctx: &Context,
        profile: i64,
        report_id: &str,
    ) -> Result<ReportStatus, AmazonError> {
        poll(self.exec.pacer().as_ref(), ctx.deadline, || async {
            let r = self.report(ctx, profile, report_id).await?;
            match r.status {
                ReportState::Completed if r.url.is_some() => Ok(Some(r)),
                ReportState::Failed => Err(AmazonError::InvalidInput {
                    status: 200,
                    message: format!(
                        "report {report_id} FAILED: {}",
                        r.failure_reason.as_deref().unwrap_or("no reason given")
                    ),
                }),
                _ => Ok(None),
            }
        })
        .await
    }

    /// Downloads a completed report's file (`url`, no Ads headers), gunzips it and parses all
    /// its rows. An expired URL is `Forbidden` (get the report again for a fresh one). For a
    /// report of any size, read it with [`Self::report_rows`] instead: this holds every row.
    pub async fn download_report(
        &self,
        ctx: &Context,
        url: &str,
    ) -> Result<Vec<ReportRow>, AmazonError> {
        let mut rows = self.report_rows(ctx, url, 0);
        let mut out = vec![];
        while let Some(batch) = rows.next().await? {
            out.extend(batch);
        }
        Ok(out)
    }

    /// The rows of a completed report's file (`url`, no Ads headers) from row `skip` on, read
    /// as a stream a batch at a time: the file is gunzipped and its JSON array split into rows
    /// as it arrives, so the memory it takes is a few batches whatever the report's size.
    pub fn report_rows(&self, ctx: &Context, url: &str, skip: u64) -> ReportRows {
        ReportRows {
            exec: self.exec.clone(),
            url: url.to_string(),
            deadline: ctx.deadline,
            batch: ROW_BATCH,
            offset: skip,
            attempts: 0,
            rx: None,
        }
    }
}

/// Rows handed out per batch by [`ReportRows`].
pub const ROW_BATCH: usize = 1000;

/// What the decoding thread hands over: a batch of rows (an empty one at the end of the
/// file), or why it stopped (`None`: corrupt, cut short or the connection broke, worth
/// downloading again from the rows already handed out).
type Batch = Result<Vec<ReportRow>, Option<AmazonError>>;

/// A report file's rows as a stream ([`AdsApi::report_rows`]). A download that breaks or
/// arrives corrupt is fetched again (up to 8 times, waits within the deadline) and resumes
/// after the rows already handed out; the file's row order is stable, so [`Self::offset`]
/// is a checkpoint a later step can resume from with [`AdsApi::report_rows`].
pub struct ReportRows {
    exec: Arc<Executor>,
    url: String,
    deadline: DateTime<Utc>,
    batch: usize,
    offset: u64,
    attempts: u32,
    rx: Option<tokio::sync::mpsc::Receiver<Batch>>,
}

impl ReportRows {
    /// Rows per batch (at least 1).
    pub fn with_batch(mut self, rows: usize) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// Rows of the file before the next batch (those skipped and those handed out).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next batch of rows; `None` at the end of the file.
    pub async fn next(&mut self) -> Result<Option<Vec<ReportRow>>, AmazonError> {
        loop {
            let rx = match &mut self.rx {
                Some(rx) => rx,
                None => {
                    let rx = self.open().await?;
                    self.rx.insert(rx)
                }
            };
            let failure = match rx.recv().await {
                Some(Ok(rows)) if rows.is_empty() => {
                    self.rx = None;
                    return Ok(None);
                }
                Some(Ok(rows)) => {
                    self.offset += rows.len() as u64;
                    return Ok(Some(rows));
                }
                Some(Err(Some(e))) => {
                    self.rx = None;
                    return Err(e);
                }
                // Cut short, corrupt, or the decoding thread ended without a word.
                Some(Err(None)) | None => Failure::Transport("corrupt or truncated report".into()),
            };
            self.rx = None;
            self.retry(failure).await?;
        }
    }

    /// Counts a failed download; the error once there were too many, else waits a backoff.
    async fn retry(&mut self, failure: Failure) -> Result<(), AmazonError> {
        self.attempts += 1;
        if self.attempts >= MAX_DOWNLOADS {
            let attempts = self.attempts;
            return Err(match failure {
                Failure::Server(status, message) => AmazonError::Server {
                    status,
                    message,
                    attempts,
                },
                Failure::Transport(message) => AmazonError::Transport { message, attempts },
            });
        }
        wait_within(
            self.exec.pacer().as_ref(),
            Backoff::RETRY.delay(self.attempts),
            self.deadline,
        )
        .await
    }

    /// Requests the file and starts decoding it from `offset` on a blocking thread.
    async fn open(&mut self) -> Result<tokio::sync::mpsc::Receiver<Batch>, AmazonError> {
        loop {
            let failure = match self
                .exec
                .http()
                .get(&self.url)
                .timeout(std::time::Duration::from_secs(900))
                .send()
                .await
            {
                Err(e) => Failure::Transport(e.without_url().to_string()),
                Ok(res) => match res.status().as_u16() {
                    200 => return Ok(decode_in_background(res, self.offset, self.batch)),
                    403 => {
                        return Err(AmazonError::Forbidden(
                            "the report URL has expired; get the report again".into(),
                        ))
                    }
                    404 => return Err(AmazonError::NotFound("report file".into())),
                    s @ 500..=599 => Failure::Server(s, "report download failed".into()),
                    s => {
                        return Err(AmazonError::InvalidInput {
                            status: s,
                            message: "report download refused".into(),
                        })
                    }
                },
            };
            self.retry(failure).await?;
        }
    }
}

/// Decodes the body of `res` on a blocking thread, handing batches over a channel of two:
/// the thread waits while the reader writes, so at most a few batches are in memory.
fn decode_in_background(
    res: reqwest::Response,
    skip: u64,
    batch: usize,
) -> tokio::sync::mpsc::Receiver<Batch> {
    use futures_util::TryStreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(2);
    let body = res
        .bytes_stream()
        .map_err(|e| std::io::Error::other(e.without_url().to_string()));
    let reader = tokio_util::io::SyncIoBridge::new_with_handle(
        tokio_util::io::StreamReader::new(body),
        tokio::runtime::Handle::current(),
    );
    tokio::task::spawn_blocking(move || {
        let out = decode_rows(reader, skip, batch, |rows| {
            tx.blocking_send(Ok(rows)).is_ok()
        });
        // The end of the file, or why the rows stopped (nobody may be listening any more).
        let _ = tx.blocking_send(out.map(|()| vec![]));
    });
    rx
}

/// The error a row sink that is no longer wanted stops the decoding with.
const STOPPED: &str = "the reader stopped";

/// Reads a report file (gzip or plain JSON, an array of rows) from `input`, skipping its first
/// `skip` rows and handing the others to `send` in batches of `batch` (`send` answers false to
/// stop). `Err(None)` when the file is corrupt or cut short (worth downloading again),
/// `Err(Some(_))` when its rows do not have the expected shape.
pub fn decode_rows<R: Read>(
    input: R,
    skip: u64,
    batch: usize,
    send: impl FnMut(Vec<ReportRow>) -> bool,
) -> Result<(), Option<AmazonError>> {
    use std::io::BufRead;
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let gzip = input
        .fill_buf()
        .map_err(|_| None)?
        .starts_with(&[0x1f, 0x8b]);
    let text: Box<dyn Read> = if gzip {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(input),
        ))
    } else {
        Box::new(input)
    };
    let mut de = serde_json::Deserializer::from_reader(text);
    let rows = RowsVisitor {
        skip,
        batch: batch.max(1),
        send,
    };
    serde::Deserializer::deserialize_seq(&mut de, rows)
        .and_then(|()| de.end())
        .map_err(|e| {
            (e.is_data() && !e.to_string().starts_with(STOPPED))
                .then(|| AmazonError::Dependency(format!("unexpected report rows: {e}")))
        })
}

/// Walks the rows of a report's JSON array one element at a time.
struct RowsVisitor<F> {
    skip: u64,
    batch: usize,
    send: F,
}

impl<'de, F: FnMut(Vec<ReportRow>) -> bool> serde::de::Visitor<'de> for RowsVisitor<F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of report rows")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error;
        for _ in 0..self.skip {
            if seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        let mut rows = Vec::with_capacity(self.batch);
        while let Some(row) = seq.next_element::<ReportRow>()? {
            rows.push(row);
            if rows.len() == self.batch {
                let full = std::mem::replace(&mut rows, Vec::with_capacity(self.batch));
                if !(self.send)(full) {
                    return Err(A::Error::custom(STOPPED));
                }
            }
        }
        if !rows.is_empty() && !(self.send)(rows) {
            return Err(A::Error::custom(STOPPED));
        }
        Ok(())
    }
}

/// The listable Sponsored Products entities.
#[derive(Debug, Clone, Copy)]
enum ListKind {
    Campaigns,
    AdGroups,
    Keywords,
    Targets,
    ProductAds,
}

impl ListKind {
    fn media(self) -> &'static str {
        match self {
            ListKind::Campaigns => CAMPAIGN_MEDIA,
            ListKind::AdGroups => AD_GROUP_MEDIA,
            ListKind::Keywords => KEYWORD_MEDIA,
            ListKind::Targets => TARGET_MEDIA,
            ListKind::ProductAds => PRODUCT_AD_MEDIA,
        }
    }

    fn key(self) -> &'static str {
        match self {
            ListKind::Campaigns => "campaigns",
            ListKind::AdGroups => "adGroups",
            ListKind::Keywords => "keywords",
            ListKind::Targets => "targetingClauses",
            ListKind::ProductAds => "productAds",
        }
    }

    fn operation(self) -> &'static Operation {
        match self {
            ListKind::Campaigns => &ops::LIST_CAMPAIGNS,
            ListKind::AdGroups => &ops::LIST_AD_GROUPS,
            ListKind::Keywords => &ops::LIST_KEYWORDS,
            ListKind::Targets => &ops::LIST_TARGETS,
            ListKind::ProductAds => &ops::LIST_PRODUCT_ADS,
        }
    }

    /// The request body's filters; a filter the list does not know is an error.
    fn filters(self, f: &ListFilter) -> Result<Value, AmazonError> {
        let mut body = json!({});
        let include = |field: &str, values: Vec<Value>| -> Result<Value, AmazonError> {
            if values.len() > MAX_ITEMS {
                return Err(invalid(format!(
                    "{field} names more than {MAX_ITEMS} values"
                )));
            }
            Ok(json!({ "include": values }))
        };
        if !f.states.is_empty() {
            let states = f
                .states
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(|s| json!(s))
                        .ok_or_else(|| invalid("states filter: ENABLED, PAUSED or ARCHIVED"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            body["stateFilter"] = include("stateFilter", states)?;
        }
        let ids = |v: &[String]| v.iter().map(|s| json!(s)).collect::<Vec<_>>();
        if !f.campaign_ids.is_empty() {
            body["campaignIdFilter"] = include("campaignIdFilter", ids(&f.campaign_ids))?;
        }
        if !f.ad_group_ids.is_empty() {
            if matches!(self, ListKind::Campaigns) {
                return Err(invalid("campaigns cannot be filtered by ad group"));
            }
            body["adGroupIdFilter"] = include("adGroupIdFilter", ids(&f.ad_group_ids))?;
        }
        if !f.target_ids.is_empty() {
            if !matches!(self, ListKind::Targets) {
                return Err(invalid("only product targets can be filtered by target id"));
            }
            body["targetIdFilter"] = include("targetIdFilter", ids(&f.target_ids))?;
        }
        if !f.keyword_ids.is_empty() {
            if !matches!(self, ListKind::Keywords) {
                return Err(invalid("only keywords can be filtered by keyword id"));
            }
            body["keywordIdFilter"] = include("keywordIdFilter", ids(&f.keyword_ids))?;
        }
        if f.extended {
            body["includeExtendedDataFields"] = json!(true);
        }
        Ok(body)
    }
}

/// Why a report download failed, worth trying again.
enum Failure {
    Server(u16, String),
    Transport(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_message_names_the_existing_report() {
        assert_eq!(
            duplicate_of("The Request is a duplicate of : 0c6b1f7e-3c1a-4a53-9d35-4f0b1e8e2a11")
                .as_deref(),
            Some("0c6b1f7e-3c1a-4a53-9d35-4f0b1e8e2a11")
        );
        assert_eq!(duplicate_of("Too early"), None);
    }

    #[test]
    fn keyword_bids_are_written_as_their_decimal_text() {
        let body = keyword_updates_body(&[KeywordUpdate {
            keyword_id: "42".into(),
            bid: Some("0.50".parse().unwrap()),
            state: Some(EntityState::Paused),
        }])
        .unwrap();
        assert_eq!(
            body,
            r#"{"keywords":[{"keywordId":"42","bid":0.50,"state":"PAUSED"}]}"#
        );
    }
}
