//! The Amazon Ads API: profiles, Sponsored Products v3 campaigns, ad groups and keywords,
//! and async reporting v3.
//!
//! Every metric comes straight from the seller's `ads_days`, so a report summed over a month
//! equals that month's "Cost of Advertising" invoice. The generated data has a single
//! attribution window, so the 1, 7, 14 and 30 day figures are equal (every attributed purchase
//! happened within a day of its click) and every purchase is of the advertised SKU.
//!
//! What changes at run time (keyword bids and states, reports, documents, throttling buckets)
//! is this module's `AdsState`, held by each stand-in.

// Helpers return the ready error response as `Err`, like a handler's early return.
#![allow(clippy::result_large_err)]

use crate::ads_truth::{Figures, Target, TargetKind};
use crate::generator::round;
use crate::limits::{Bucket, Clock};
use crate::model::Campaign;
use crate::render::ts;
use crate::server::{b64, unb64, Shared, StandIn};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::str::FromStr;

const CAMPAIGN_MEDIA: &str = "application/vnd.spCampaign.v3+json";
const AD_GROUP_MEDIA: &str = "application/vnd.spAdGroup.v3+json";
const KEYWORD_MEDIA: &str = "application/vnd.spKeyword.v3+json";
const TARGET_MEDIA: &str = "application/vnd.spTargetingClause.v3+json";
const PRODUCT_AD_MEDIA: &str = "application/vnd.spProductAd.v3+json";
const REPORT_MEDIA: &str = "application/vnd.createasyncreportrequest.v3+json";

/// Requests a second per profile, and the burst, of the simulated dynamic Ads limits.
const RATE: f64 = 10.0;
const BURST: f64 = 20.0;

/// Page sizes of the v3 list operations.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 5000;
/// Most ids (or entities to update) one v3 request may name.
const MAX_ITEMS: usize = 1000;

/// Sponsored Products report limits: days per report and days of retention.
const MAX_REPORT_DAYS: i64 = 31;
const RETENTION_DAYS: i64 = 95;
/// Simulated seconds a report spends PENDING, then PROCESSING.
const PENDING_SECS: i64 = 60;
const PROCESSING_SECS: i64 = 120;
/// How long a download URL stays valid.
const URL_SECS: i64 = 3600;

/// The key under which [`money`] hides a decimal's exact text inside a `Value`.
const DECIMAL_KEY: &str = "\u{0}decimal";

/// The Ads API routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v2/profiles", get(profiles))
        .route("/sp/campaigns/list", post(list_campaigns))
        .route("/sp/campaigns", put(update_campaigns))
        .route("/sp/adGroups/list", post(list_ad_groups))
        .route("/sp/keywords/list", post(list_keywords))
        .route("/sp/keywords", put(update_keywords))
        .route("/sp/targets/list", post(list_targets))
        .route("/sp/targets", put(update_targets))
        .route("/sp/productAds/list", post(list_product_ads))
        .route("/reporting/reports", post(create_report))
        .route("/reporting/reports/{id}", get(get_report))
        .route("/_ads-documents/{id}", get(download))
}

#[derive(Debug, Clone, Copy)]
struct KeywordEdit {
    bid: Decimal,
    state: &'static str,
}

#[derive(Debug, Clone)]
struct AdsReport {
    id: String,
    profile: usize,
    name: Option<String>,
    start: NaiveDate,
    end: NaiveDate,
    configuration: Value,
    spec: ReportSpec,
    created: DateTime<Utc>,
}

/// The Ads API's run-time state of one stand-in.
#[derive(Default)]
pub struct AdsState {
    keywords: HashMap<i64, KeywordEdit>,
    /// Accepted campaign updates: the daily budget (as `bid`) and state.
    campaigns: HashMap<i64, KeywordEdit>,
    reports: Vec<AdsReport>,
    /// Rendered documents (the "S3 objects"): files of a directory of this stand-in's own,
    /// removed with it, so a large account's reports never sit in memory.
    documents: Documents,
    /// Per profile index; `usize::MAX` is the account-level bucket of profile listing.
    buckets: HashMap<usize, Bucket>,
}

/// The report documents of one stand-in: gzip files in a temporary directory of its own
/// (created on the first document, removed when the stand-in goes), and each one's size.
#[derive(Default)]
struct Documents {
    dir: Option<std::path::PathBuf>,
    sizes: HashMap<String, u64>,
}

impl Documents {
    fn path(&mut self, id: &str) -> std::io::Result<std::path::PathBuf> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "amazon-stand-in-ads-{}-{}",
                    std::process::id(),
                    uuid::Uuid::new_v4()
                ));
                std::fs::create_dir_all(&d)?;
                self.dir.insert(d).clone()
            }
        };
        Ok(dir.join(format!("{id}.json.gz")))
    }
}

impl Drop for Documents {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The bid and state of a keyword or product target now (after accepted updates), for tests.
pub fn current_bid(st: &StandIn, id: i64) -> Option<(Decimal, &'static str)> {
    if let Some(e) = with_state(st, |s| s.keywords.get(&id).copied()) {
        return Some((e.bid, e.state));
    }
    st.seller
        .campaigns
        .iter()
        .flat_map(|c| &c.ad_groups)
        .find_map(|g| {
            g.keywords
                .iter()
                .find(|k| k.id == id)
                .map(|k| (k.bid, k.state))
                .or_else(|| {
                    (crate::ads_truth::product_target(&st.seller, g).id == id)
                        .then_some((g.default_bid, "ENABLED"))
                })
        })
}

/// Runs `f` on this stand-in's Ads state.
fn with_state<R>(st: &StandIn, f: impl FnOnce(&mut AdsState) -> R) -> R {
    f(&mut st.ads.lock().expect("ads state"))
}

/// A money amount whose JSON text is the decimal's own (`12.30`, not `12.3`).
fn money(d: Decimal) -> Value {
    json!({ DECIMAL_KEY: d.to_string() })
}

/// JSON text of `v`, with [`money`] amounts written as bare numbers.
fn to_text(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key(DECIMAL_KEY) => {
                out.push_str(m[DECIMAL_KEY].as_str().unwrap_or("0"))
            }
            Value::Object(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn reply(status: StatusCode, media: &str, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, media.to_string())],
        to_text(body),
    )
        .into_response()
}

/// A Sponsored Products v3 error (`{code, message}`).
fn sp_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"code": code, "message": message}).to_string(),
    )
        .into_response()
}

fn sp_invalid(message: &str) -> Response {
    sp_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
}

/// A reporting v3 error (`{code, detail}`).
fn report_error(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"code": status.as_u16().to_string(), "detail": detail}).to_string(),
    )
        .into_response()
}

/// Authenticates, then takes a token from the profile's bucket (or the account's, for
/// profile listing). On a virtual clock with `auto_advance`, the caller "waits" instead.
fn admit(
    st: &Shared,
    headers: &HeaderMap,
    needs_profile: bool,
    op: &str,
) -> Result<Option<usize>, Response> {
    let profile = st.ads_guard(headers, needs_profile, op)?;
    let key = profile.unwrap_or(usize::MAX);
    let mut clock = st.clock.lock().expect("clock");
    let now = clock.now();
    let auto = matches!(
        *clock,
        Clock::Virtual {
            auto_advance: true,
            ..
        }
    );
    let taken = with_state(st, |s| {
        let bucket = s
            .buckets
            .entry(key)
            .or_insert_with(|| Bucket::new(RATE, BURST, now));
        match bucket.take(now) {
            Err(wait) if auto => {
                let later = now + wait;
                bucket.take(later).expect("a token after waiting");
                Err((wait, true))
            }
            Err(wait) => Err((wait, false)),
            Ok(()) => Ok(()),
        }
    });
    match taken {
        Ok(()) => Ok(profile),
        Err((wait, true)) => {
            clock.advance(wait);
            Ok(profile)
        }
        Err((wait, false)) => {
            let secs = (wait.num_milliseconds().max(1) as f64 / 1000.0).ceil() as u64;
            let mut res = (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"code": "429", "details": "Too Many Requests"}).to_string(),
            )
                .into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            Err(res)
        }
    }
}

/// The media type of a header, without parameters, lower case.
fn essence(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// `Content-Type` must be the operation's vendor media type (415), and `Accept`, when sent,
/// must allow it (406).
fn check_media(headers: &HeaderMap, media: &str) -> Result<(), Response> {
    if essence(headers, header::CONTENT_TYPE) != Some(media.to_ascii_lowercase()) {
        return Err(sp_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            &format!("Content-Type must be {media}"),
        ));
    }
    let accepts = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|a| {
            a.split(',').any(|t| {
                let t = t.split(';').next().unwrap_or_default().trim();
                t == "*/*" || t.eq_ignore_ascii_case(media)
            })
        });
    if !accepts {
        return Err(sp_error(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            &format!("Accept must allow {media}"),
        ));
    }
    Ok(())
}

macro_rules! try_res {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(res) => return res,
        }
    };
}

async fn profiles(State(st): State<Shared>, headers: HeaderMap) -> Response {
    try_res!(admit(&st, &headers, false, "listProfiles"));
    let list: Vec<Value> = st
        .seller
        .ads_profiles
        .iter()
        .map(|p| {
            json!({
                "profileId": p.profile_id,
                "countryCode": p.country_code,
                "currencyCode": p.currency,
                "timezone": p.timezone,
                "accountInfo": {
                    "marketplaceStringId": p.marketplace_id,
                    "id": st.seller.seller_id,
                    "type": "seller",
                    "name": st.seller.store_name,
                    "validPaymentMethod": true,
                },
            })
        })
        .collect();
    reply(StatusCode::OK, "application/json", &Value::Array(list))
}

/// The three listable Sponsored Products entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Campaigns,
    AdGroups,
    Keywords,
    Targets,
    ProductAds,
}

impl Kind {
    fn media(self) -> &'static str {
        match self {
            Kind::Campaigns => CAMPAIGN_MEDIA,
            Kind::AdGroups => AD_GROUP_MEDIA,
            Kind::Keywords => KEYWORD_MEDIA,
            Kind::Targets => TARGET_MEDIA,
            Kind::ProductAds => PRODUCT_AD_MEDIA,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Kind::Campaigns => "campaigns",
            Kind::AdGroups => "adGroups",
            Kind::Keywords => "keywords",
            Kind::Targets => "targetingClauses",
            Kind::ProductAds => "productAds",
        }
    }

    fn op(self) -> &'static str {
        match self {
            Kind::Campaigns => "listSponsoredProductsCampaigns",
            Kind::AdGroups => "listSponsoredProductsAdGroups",
            Kind::Keywords => "listSponsoredProductsKeywords",
            Kind::Targets => "listSponsoredProductsTargetingClauses",
            Kind::ProductAds => "listSponsoredProductsProductAds",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Campaigns => &[
                "stateFilter",
                "campaignIdFilter",
                "nameFilter",
                "includeExtendedDataFields",
            ],
            Kind::AdGroups => &[
                "stateFilter",
                "campaignIdFilter",
                "adGroupIdFilter",
                "nameFilter",
                "includeExtendedDataFields",
            ],
            Kind::Keywords => &[
                "stateFilter",
                "campaignIdFilter",
                "adGroupIdFilter",
                "keywordIdFilter",
                "keywordTextFilter",
                "matchTypeFilter",
                "includeExtendedDataFields",
            ],
            Kind::Targets => &[
                "stateFilter",
                "campaignIdFilter",
                "adGroupIdFilter",
                "targetIdFilter",
                "includeExtendedDataFields",
            ],
            Kind::ProductAds => &[
                "stateFilter",
                "campaignIdFilter",
                "adGroupIdFilter",
                "adIdFilter",
                "includeExtendedDataFields",
            ],
        }
    }

    /// The filter on the entity's own id.
    fn own_id_filter(self) -> &'static str {
        match self {
            Kind::Keywords => "keywordIdFilter",
            Kind::Targets => "targetIdFilter",
            Kind::ProductAds => "adIdFilter",
            Kind::Campaigns | Kind::AdGroups => "",
        }
    }
}

/// One listable entity with the facets the filters look at.
struct Entity {
    json: Value,
    campaign: i64,
    ad_group: Option<i64>,
    keyword: Option<i64>,
    state: &'static str,
    text: String,
    match_type: Option<&'static str>,
}

/// The campaign's daily budget (as `bid`) and state now: generated, or the last accepted update.
fn campaign_now(edits: &HashMap<i64, KeywordEdit>, c: &Campaign) -> KeywordEdit {
    edits.get(&c.id).copied().unwrap_or(KeywordEdit {
        bid: c.daily_budget,
        state: c.state,
    })
}

/// A campaign's daily budget and state now (after accepted updates), for tests.
pub fn current_campaign(st: &StandIn, id: i64) -> Option<(Decimal, &'static str)> {
    let c = st.seller.campaigns.iter().find(|c| c.id == id)?;
    let now = with_state(st, |s| campaign_now(&s.campaigns, c));
    Some((now.bid, now.state))
}

fn campaign_json(st: &StandIn, c: &Campaign, now: KeywordEdit, extended: bool) -> Value {
    let mut v = json!({
        "campaignId": c.id.to_string(),
        "name": c.name,
        "state": now.state,
        "targetingType": "MANUAL",
        "startDate": c.start_date.format("%Y-%m-%d").to_string(),
        "budget": {"budget": money(now.bid), "budgetType": "DAILY"},
        "dynamicBidding": {"strategy": "LEGACY_FOR_SALES", "placementBidding": []},
        "tags": {},
    });
    if extended {
        v["extendedData"] = json!({
            "servingStatus": if now.state == "ENABLED" { "CAMPAIGN_STATUS_ENABLED" } else { "CAMPAIGN_PAUSED" },
            "creationDateTime": ts(c.start_date.and_hms_opt(0, 0, 0).expect("midnight").and_utc()),
            "lastUpdateDateTime": ts(st.seller.spec.end),
        });
    }
    v
}

/// The keyword's bid and state now: the generated one, or the last accepted update.
fn keyword_now(edits: &HashMap<i64, KeywordEdit>, k: &crate::model::Keyword) -> KeywordEdit {
    edits.get(&k.id).copied().unwrap_or(KeywordEdit {
        bid: k.bid,
        state: k.state,
    })
}

fn entities(st: &Shared, profile: usize, kind: Kind, extended: bool) -> Vec<Entity> {
    let (edits, campaign_edits) = with_state(st, |s| (s.keywords.clone(), s.campaigns.clone()));
    let mut out = vec![];
    for c in st.seller.campaigns.iter().filter(|c| c.profile == profile) {
        if kind == Kind::Campaigns {
            let now = campaign_now(&campaign_edits, c);
            out.push(Entity {
                json: campaign_json(st, c, now, extended),
                campaign: c.id,
                ad_group: None,
                keyword: None,
                state: now.state,
                text: c.name.clone(),
                match_type: None,
            });
            continue;
        }
        for g in &c.ad_groups {
            if kind == Kind::AdGroups {
                let mut v = json!({
                    "adGroupId": g.id.to_string(),
                    "campaignId": c.id.to_string(),
                    "name": g.name,
                    "state": "ENABLED",
                    "defaultBid": money(g.default_bid),
                });
                if extended {
                    v["extendedData"] = json!({"servingStatus": "AD_GROUP_STATUS_ENABLED"});
                }
                out.push(Entity {
                    json: v,
                    campaign: c.id,
                    ad_group: Some(g.id),
                    keyword: None,
                    state: "ENABLED",
                    text: g.name.clone(),
                    match_type: None,
                });
                continue;
            }
            if kind == Kind::ProductAds {
                let p = &st.seller.products[g.product];
                let id = crate::ads_truth::product_ad_id(g);
                let mut v = json!({
                    "adId": id.to_string(),
                    "adGroupId": g.id.to_string(),
                    "campaignId": c.id.to_string(),
                    "asin": p.asin,
                    "sku": p.sku,
                    "state": "ENABLED",
                });
                if extended {
                    v["extendedData"] = json!({"servingStatus": "AD_STATUS_LIVE"});
                }
                out.push(Entity {
                    json: v,
                    campaign: c.id,
                    ad_group: Some(g.id),
                    keyword: Some(id),
                    state: "ENABLED",
                    text: p.sku.clone(),
                    match_type: None,
                });
                continue;
            }
            if kind == Kind::Targets {
                let t = crate::ads_truth::product_target(&st.seller, g);
                let now = edits.get(&t.id).copied().unwrap_or(KeywordEdit {
                    bid: g.default_bid,
                    state: "ENABLED",
                });
                let mut v = target_json(c.id, g.id, &t, now);
                if extended {
                    v["extendedData"] =
                        json!({"servingStatus": format!("TARGETING_CLAUSE_STATUS_{}", now.state)});
                }
                out.push(Entity {
                    json: v,
                    campaign: c.id,
                    ad_group: Some(g.id),
                    keyword: Some(t.id),
                    state: now.state,
                    text: t.targeting(),
                    match_type: None,
                });
                continue;
            }
            for k in &g.keywords {
                let now = keyword_now(&edits, k);
                let mut v = keyword_json(c.id, g.id, k, now);
                if extended {
                    v["extendedData"] =
                        json!({"servingStatus": format!("TARGETING_CLAUSE_STATUS_{}", now.state)});
                }
                out.push(Entity {
                    json: v,
                    campaign: c.id,
                    ad_group: Some(g.id),
                    keyword: Some(k.id),
                    state: now.state,
                    text: k.text.clone(),
                    match_type: Some(k.match_type),
                });
            }
        }
    }
    out
}

fn keyword_json(
    campaign: i64,
    ad_group: i64,
    k: &crate::model::Keyword,
    now: KeywordEdit,
) -> Value {
    json!({
        "keywordId": k.id.to_string(),
        "adGroupId": ad_group.to_string(),
        "campaignId": campaign.to_string(),
        "keywordText": k.text,
        "matchType": k.match_type,
        "state": now.state,
        "bid": money(now.bid),
    })
}

fn target_json(
    campaign: i64,
    ad_group: i64,
    t: &crate::ads_truth::Target,
    now: KeywordEdit,
) -> Value {
    let asin = t.search_term().to_uppercase();
    json!({
        "targetId": t.id.to_string(),
        "adGroupId": ad_group.to_string(),
        "campaignId": campaign.to_string(),
        "expression": [{"type": "ASIN_SAME_AS", "value": asin}],
        "resolvedExpression": [{"type": "ASIN_SAME_AS", "value": asin}],
        "expressionType": "MANUAL",
        "state": now.state,
        "bid": money(now.bid),
    })
}

/// An entity id as v3 sends it (a string), or as a number.
fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// The `include` list of a `{include: [...]}` filter.
fn include<'a>(body: &'a Value, field: &str) -> Result<Option<&'a Vec<Value>>, Response> {
    let Some(f) = body.get(field) else {
        return Ok(None);
    };
    match f.get("include").and_then(Value::as_array) {
        Some(list) if (1..=MAX_ITEMS).contains(&list.len()) => Ok(Some(list)),
        _ => Err(sp_invalid(&format!(
            "{field}.include must list 1 to {MAX_ITEMS} values"
        ))),
    }
}

fn id_filter(body: &Value, field: &str) -> Result<Option<HashSet<i64>>, Response> {
    include(body, field)?
        .map(|list| {
            list.iter()
                .map(|v| id_of(v).ok_or(()))
                .collect::<Result<HashSet<i64>, ()>>()
                .map_err(|_| sp_invalid(&format!("{field}.include must hold entity ids")))
        })
        .transpose()
}

fn state_filter(body: &Value) -> Result<Option<Vec<String>>, Response> {
    include(body, "stateFilter")?
        .map(|list| {
            list.iter()
                .map(|v| match v.as_str() {
                    Some(s @ ("ENABLED" | "PAUSED" | "ARCHIVED")) => Ok(s.to_string()),
                    _ => Err(sp_invalid(
                        "stateFilter.include values must be ENABLED, PAUSED or ARCHIVED",
                    )),
                })
                .collect()
        })
        .transpose()
}

/// A name or keyword text filter: `EXACT_MATCH` compares whole texts, `BROAD_MATCH` looks for
/// the term inside the text; both ignore case.
fn text_filter(body: &Value, field: &str) -> Result<Option<(bool, Vec<String>)>, Response> {
    let Some(list) = include(body, field)? else {
        return Ok(None);
    };
    let exact = match body[field]
        .get("queryTermMatchType")
        .and_then(Value::as_str)
    {
        None | Some("BROAD_MATCH") => false,
        Some("EXACT_MATCH") => true,
        Some(_) => {
            return Err(sp_invalid(&format!(
                "{field}.queryTermMatchType must be EXACT_MATCH or BROAD_MATCH"
            )))
        }
    };
    let terms = list
        .iter()
        .map(|v| v.as_str().map(str::to_lowercase).ok_or(()))
        .collect::<Result<Vec<_>, ()>>()
        .map_err(|_| sp_invalid(&format!("{field}.include must hold strings")))?;
    Ok(Some((exact, terms)))
}

/// A page token: the offset of the next page and the filters it continues (`f`).
#[derive(Debug, Deserialize)]
struct NextToken {
    o: usize,
    f: Value,
}

async fn list_campaigns(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    list(st, headers, body, Kind::Campaigns)
}

async fn list_ad_groups(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    list(st, headers, body, Kind::AdGroups)
}

async fn list_keywords(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    list(st, headers, body, Kind::Keywords)
}

async fn list_targets(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    list(st, headers, body, Kind::Targets)
}

async fn list_product_ads(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    list(st, headers, body, Kind::ProductAds)
}

/// One page of a v3 list: filters as the operation knows them, ids as strings.
fn list(State(st): State<Shared>, headers: HeaderMap, body: Bytes, kind: Kind) -> Response {
    let profile = try_res!(admit(&st, &headers, true, kind.op())).expect("a profile");
    try_res!(check_media(&headers, kind.media()));
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return sp_invalid("The request body must be a JSON object"),
        }
    };
    let obj = body.as_object().expect("an object");
    if let Some(k) = obj.keys().find(|k| {
        !["maxResults", "nextToken"].contains(&k.as_str()) && !kind.fields().contains(&k.as_str())
    }) {
        return sp_invalid(&format!("Unknown field {k} for {}", kind.key()));
    }
    let size = match obj.get("maxResults") {
        None | Some(Value::Null) => DEFAULT_PAGE,
        Some(v) => match v.as_u64().map(|n| n as usize) {
            Some(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return sp_invalid(&format!("maxResults must be between 1 and {MAX_PAGE}")),
        },
    };
    let filters: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !["maxResults", "nextToken"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let filters = Value::Object(filters);
    let offset = match obj.get("nextToken") {
        None | Some(Value::Null) => 0,
        Some(t) => {
            let token = t
                .as_str()
                .and_then(unb64)
                .and_then(|v| serde_json::from_value::<NextToken>(v).ok());
            match token {
                Some(t) if t.f == filters => t.o,
                Some(_) => return sp_invalid("nextToken belongs to a request with other filters"),
                None => return sp_invalid("Invalid nextToken"),
            }
        }
    };
    let states = try_res!(state_filter(&body));
    let campaigns = try_res!(id_filter(&body, "campaignIdFilter"));
    let ad_groups = try_res!(id_filter(&body, "adGroupIdFilter"));
    let keywords = match kind.own_id_filter() {
        "" => None,
        f => try_res!(id_filter(&body, f)),
    };
    let text_field = if kind == Kind::Keywords {
        "keywordTextFilter"
    } else {
        "nameFilter"
    };
    let text = try_res!(text_filter(&body, text_field));
    let match_types: Option<Vec<String>> = match body.get("matchTypeFilter") {
        None => None,
        Some(v) => match v.as_array().map(|a| {
            a.iter()
                .map(|m| match m.as_str() {
                    Some(s @ ("EXACT" | "PHRASE" | "BROAD")) => Some(s.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
        }) {
            Some(Some(list)) if !list.is_empty() => Some(list),
            _ => return sp_invalid("matchTypeFilter must list EXACT, PHRASE or BROAD"),
        },
    };
    let extended = body
        .get("includeExtendedDataFields")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let all: Vec<Value> = entities(&st, profile, kind, extended)
        .into_iter()
        .filter(|e| {
            states
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == e.state))
                && campaigns.as_ref().is_none_or(|c| c.contains(&e.campaign))
                && ad_groups
                    .as_ref()
                    .is_none_or(|g| e.ad_group.is_some_and(|id| g.contains(&id)))
                && keywords
                    .as_ref()
                    .is_none_or(|k| e.keyword.is_some_and(|id| k.contains(&id)))
                && match_types
                    .as_ref()
                    .is_none_or(|m| e.match_type.is_some_and(|t| m.iter().any(|x| x == t)))
                && text.as_ref().is_none_or(|(exact, terms)| {
                    let t = e.text.to_lowercase();
                    terms
                        .iter()
                        .any(|term| if *exact { t == *term } else { t.contains(term) })
                })
        })
        .map(|e| e.json)
        .collect();
    let total = all.len();
    let end = (offset + size).min(total);
    let chunk = all.get(offset.min(total)..end).unwrap_or_default().to_vec();
    let mut out = json!({ kind.key(): chunk, "totalResults": total });
    if end < total {
        out["nextToken"] = json!(b64(&json!({"o": end, "f": filters})));
    }
    reply(StatusCode::OK, kind.media(), &out)
}

/// Lowest and highest keyword bid in the profile's currency.
fn bid_range(currency: &str) -> (Decimal, Decimal) {
    match currency {
        "JPY" => (Decimal::new(2, 0), Decimal::new(100_000, 0)),
        "MXN" => (Decimal::new(10, 2), Decimal::new(20_000, 0)),
        "INR" => (Decimal::new(1, 0), Decimal::new(5_000, 0)),
        _ => (Decimal::new(2, 2), Decimal::new(1_000, 0)),
    }
}

fn item_error(index: usize, kind: &str, value: Value) -> Value {
    json!({"index": index, "errors": [{"errorType": kind, "errorValue": {kind: value}}]})
}

/// The new bid and state of one update item, or its error entry.
fn validate_update(
    index: usize,
    item: &Value,
    current: Option<KeywordEdit>,
    currency: &str,
    (id_field, entity_type): (&str, &str),
    (low, high): (Decimal, Decimal),
) -> Result<(i64, KeywordEdit), Value> {
    let malformed = |field: &str, message: &str| {
        item_error(
            index,
            "malformedValueError",
            json!({"reason": "INVALID_VALUE", "fieldName": field, "message": message}),
        )
    };
    let Some(id) = item.get(id_field).and_then(id_of) else {
        return Err(malformed(id_field, &format!("{id_field} is required")));
    };
    let Some(current) = current else {
        return Err(item_error(
            index,
            "entityNotFoundError",
            json!({"reason": "ENTITY_NOT_FOUND", "entityType": entity_type, "entityId": id.to_string(), "message": "Not found in this profile"}),
        ));
    };
    let bid = item.get("bid").filter(|v| !v.is_null());
    let state = item.get("state").filter(|v| !v.is_null());
    if bid.is_none() && state.is_none() {
        return Err(malformed("bid", "Nothing to update: send bid and/or state"));
    }
    if current.state == "ARCHIVED" {
        return Err(item_error(
            index,
            "entityStateError",
            json!({"reason": "INVALID_STATE", "entityType": entity_type, "message": "An archived entity cannot be changed"}),
        ));
    }
    let mut next = current;
    if let Some(b) = bid {
        let Some(value) = b.as_number().and_then(|n| {
            Decimal::from_str(&n.to_string())
                .ok()
                .or_else(|| Decimal::from_scientific(&n.to_string()).ok())
        }) else {
            return Err(malformed("bid", "bid must be a number"));
        };
        if value < low || value > high {
            return Err(item_error(
                index,
                "rangeError",
                json!({"reason": if value < low { "TOO_LOW" } else { "TOO_HIGH" }, "fieldName": "bid", "lowerLimit": money(low), "upperLimit": money(high), "message": format!("bid must be between {low} and {high} {currency}")}),
            ));
        }
        if round(value, currency) != value {
            return Err(malformed(
                "bid",
                &format!("bid has more decimals than {currency} allows"),
            ));
        }
        next.bid = value;
    }
    if let Some(s) = state {
        next.state = match s.as_str() {
            Some("ENABLED") => "ENABLED",
            Some("PAUSED") => "PAUSED",
            Some("ARCHIVED") => "ARCHIVED",
            _ => {
                return Err(malformed(
                    "state",
                    "state must be ENABLED, PAUSED or ARCHIVED",
                ))
            }
        };
    }
    Ok((id, next))
}

/// Updates keyword bids and states item by item (207: each item succeeds or fails alone).
async fn update_keywords(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    update(st, headers, body, Kind::Keywords)
}

/// Updates product target bids and states item by item (207).
async fn update_targets(st: State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    update(st, headers, body, Kind::Targets)
}

fn update(State(st): State<Shared>, headers: HeaderMap, body: Bytes, kind: Kind) -> Response {
    let (op, id_field, entity_type) = match kind {
        Kind::Targets => (
            "updateSponsoredProductsTargetingClauses",
            "targetId",
            "TARGETING_CLAUSE",
        ),
        _ => ("updateSponsoredProductsKeywords", "keywordId", "KEYWORD"),
    };
    let profile = try_res!(admit(&st, &headers, true, op)).expect("a profile");
    try_res!(check_media(&headers, kind.media()));
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(items) = body.get(kind.key()).and_then(Value::as_array) else {
        return sp_invalid(&format!("The body must be {{\"{}\": [...]}}", kind.key()));
    };
    if !(1..=MAX_ITEMS).contains(&items.len()) {
        return sp_invalid(&format!("{} must hold 1 to {MAX_ITEMS} items", kind.key()));
    }
    let representation = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("return=representation"));
    let currency = st.seller.ads_profiles[profile].currency;
    // Each updatable entity of the profile: its JSON given a bid and state, and its generated
    // bid and state.
    type Render = Box<dyn Fn(KeywordEdit) -> Value + Send>;
    let mut located: HashMap<i64, (KeywordEdit, Render)> = HashMap::new();
    for c in st.seller.campaigns.iter().filter(|c| c.profile == profile) {
        for g in &c.ad_groups {
            if kind == Kind::Targets {
                let t = crate::ads_truth::product_target(&st.seller, g);
                let (cid, gid) = (c.id, g.id);
                let base = KeywordEdit {
                    bid: g.default_bid,
                    state: "ENABLED",
                };
                let id = t.id;
                located.insert(id, (base, Box::new(move |e| target_json(cid, gid, &t, e))));
            } else {
                for k in &g.keywords {
                    let (cid, gid, k2) = (c.id, g.id, k.clone());
                    let base = KeywordEdit {
                        bid: k.bid,
                        state: k.state,
                    };
                    located.insert(
                        k.id,
                        (base, Box::new(move |e| keyword_json(cid, gid, &k2, e))),
                    );
                }
            }
        }
    }
    let (success, error) = with_state(&st, |s| {
        let mut success = vec![];
        let mut error = vec![];
        for (index, item) in items.iter().enumerate() {
            let current = item
                .get(id_field)
                .and_then(id_of)
                .and_then(|id| located.get(&id).map(|(base, _)| (id, *base)))
                .map(|(id, base)| s.keywords.get(&id).copied().unwrap_or(base));
            let range = bid_range(currency);
            match validate_update(
                index,
                item,
                current,
                currency,
                (id_field, entity_type),
                range,
            ) {
                Ok((id, next)) => {
                    s.keywords.insert(id, next);
                    let mut ok = json!({id_field: id.to_string(), "index": index});
                    if representation {
                        let single = match kind {
                            Kind::Targets => "targetingClause",
                            _ => "keyword",
                        };
                        ok[single] = (located[&id].1)(next);
                    }
                    success.push(ok);
                }
                Err(e) => error.push(e),
            }
        }
        (success, error)
    });
    reply(
        StatusCode::MULTI_STATUS,
        kind.media(),
        &json!({kind.key(): {"success": success, "error": error}}),
    )
}

/// Updates campaign daily budgets and states item by item (207): a campaign of another
/// profile is not found, an archived one cannot change, a budget is 1 to 1,000,000 in the
/// currency's minor units.
async fn update_campaigns(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let profile = try_res!(admit(
        &st,
        &headers,
        true,
        "updateSponsoredProductsCampaigns"
    ))
    .expect("a profile");
    try_res!(check_media(&headers, Kind::Campaigns.media()));
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(items) = body.get("campaigns").and_then(Value::as_array) else {
        return sp_invalid("The body must be {\"campaigns\": [...]}");
    };
    if !(1..=MAX_ITEMS).contains(&items.len()) {
        return sp_invalid(&format!("campaigns must hold 1 to {MAX_ITEMS} items"));
    }
    let currency = st.seller.ads_profiles[profile].currency;
    let mine: HashMap<i64, &Campaign> = st
        .seller
        .campaigns
        .iter()
        .filter(|c| c.profile == profile)
        .map(|c| (c.id, c))
        .collect();
    let (success, error) = with_state(&st, |s| {
        let mut success = vec![];
        let mut error = vec![];
        for (index, item) in items.iter().enumerate() {
            let current = item
                .get("campaignId")
                .and_then(id_of)
                .and_then(|id| mine.get(&id))
                .map(|c| campaign_now(&s.campaigns, c));
            // The budget is validated as a bid is, within a budget's range.
            let mut as_bid = item.clone();
            if let Some(obj) = as_bid.as_object_mut() {
                obj.remove("budget");
                if let Some(b) = item.get("budget").and_then(|b| b.get("budget")) {
                    obj.insert("bid".into(), b.clone());
                }
            }
            let checked = validate_update(
                index,
                &as_bid,
                current,
                currency,
                ("campaignId", "CAMPAIGN"),
                budget_range(currency),
            );
            match checked {
                Ok((id, next)) => {
                    s.campaigns.insert(id, next);
                    success.push(json!({"campaignId": id.to_string(), "index": index}));
                }
                Err(e) => error.push(e),
            }
        }
        (success, error)
    });
    reply(
        StatusCode::MULTI_STATUS,
        Kind::Campaigns.media(),
        &json!({"campaigns": {"success": success, "error": error}}),
    )
}

/// A daily budget's range.
fn budget_range(currency: &str) -> (Decimal, Decimal) {
    match currency {
        "JPY" => (Decimal::new(100, 0), Decimal::new(21_000_000, 0)),
        "INR" => (Decimal::new(50, 0), Decimal::new(21_000_000, 0)),
        _ => (Decimal::ONE, Decimal::new(1_000_000, 0)),
    }
}

/// A validated report configuration.
#[derive(Debug, Clone)]
struct ReportSpec {
    level: Level,
    columns: Vec<String>,
    daily: bool,
    statuses: Option<Vec<String>>,
}

/// Metrics every SP report type has, for each attribution window.
const METRICS: &[&str] = &[
    "impressions",
    "clicks",
    "cost",
    "spend",
    "costPerClick",
    "clickThroughRate",
    "purchases1d",
    "purchases7d",
    "purchases14d",
    "purchases30d",
    "purchasesSameSku1d",
    "purchasesSameSku7d",
    "purchasesSameSku14d",
    "purchasesSameSku30d",
    "unitsSoldClicks1d",
    "unitsSoldClicks7d",
    "unitsSoldClicks14d",
    "unitsSoldClicks30d",
    "unitsSoldSameSku1d",
    "unitsSoldSameSku7d",
    "unitsSoldSameSku14d",
    "unitsSoldSameSku30d",
    "sales1d",
    "sales7d",
    "sales14d",
    "sales30d",
    "attributedSalesSameSku1d",
    "attributedSalesSameSku7d",
    "attributedSalesSameSku14d",
    "attributedSalesSameSku30d",
    "date",
    "startDate",
    "endDate",
    "campaignId",
    "campaignName",
    "campaignStatus",
    "campaignBudgetAmount",
    "campaignBudgetType",
    "campaignBudgetCurrencyCode",
];
/// What one row of a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Campaign,
    AdGroup,
    Advertised,
    Targeting,
    SearchTerm,
}

const CAMPAIGN_COLUMNS: &[&str] = &["campaignBiddingStrategy"];
const TARGETING_COLUMNS: &[&str] = &[
    "adGroupId",
    "adGroupName",
    "keywordId",
    "keyword",
    "matchType",
    "targeting",
    "keywordType",
    "keywordBid",
    "adKeywordStatus",
    "acosClicks7d",
    "acosClicks14d",
    "roasClicks7d",
    "roasClicks14d",
    "salesOtherSku7d",
    "unitsSoldOtherSku7d",
];
const SEARCH_TERM_COLUMNS: &[&str] = &[
    "adGroupId",
    "adGroupName",
    "keywordId",
    "keyword",
    "matchType",
    "targeting",
    "keywordType",
    "keywordBid",
    "adKeywordStatus",
    "searchTerm",
    "acosClicks7d",
    "acosClicks14d",
    "roasClicks7d",
    "roasClicks14d",
    "salesOtherSku7d",
    "unitsSoldOtherSku7d",
];
const AD_GROUP_COLUMNS: &[&str] = &["adGroupId", "adGroupName", "adStatus"];
const ADVERTISED_COLUMNS: &[&str] = &[
    "adGroupId",
    "adGroupName",
    "adId",
    "portfolioId",
    "advertisedAsin",
    "advertisedSku",
    "salesOtherSku7d",
    "unitsSoldOtherSku7d",
    "acosClicks7d",
    "acosClicks14d",
    "roasClicks7d",
    "roasClicks14d",
];
/// Columns Amazon has that the generated data cannot back.
const NOT_SIMULATED: &[&str] = &[
    "topOfSearchImpressionShare",
    "kindleEditionNormalizedPagesRead14d",
    "kindleEditionNormalizedPagesRoyalties14d",
    "campaignRuleBasedBudgetAmount",
    "campaignApplicableBudgetRuleId",
    "campaignApplicableBudgetRuleName",
    "qualifiedBorrows",
    "royaltyQualifiedBorrows",
    "addToList",
];

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(String::from))
        .collect()
}

fn parse_spec(c: &Value) -> Result<ReportSpec, String> {
    if !c.is_object() {
        return Err("configuration is required".into());
    }
    if c["adProduct"] != "SPONSORED_PRODUCTS" {
        return Err("configuration.adProduct must be SPONSORED_PRODUCTS (the only ad product the stand-in reports)".into());
    }
    if c["format"] != "GZIP_JSON" {
        return Err("configuration.format must be GZIP_JSON".into());
    }
    let daily = match c["timeUnit"].as_str() {
        Some("DAILY") => true,
        Some("SUMMARY") => false,
        _ => return Err("configuration.timeUnit must be DAILY or SUMMARY".into()),
    };
    let group_by = strings(&c["groupBy"])
        .filter(|g| !g.is_empty())
        .ok_or("configuration.groupBy must be a non-empty array")?;
    let (kind, allowed_groups): (Level, &[&str]) = match c["reportTypeId"].as_str() {
        Some("spCampaigns") => (Level::Campaign, &["campaign", "adGroup"]),
        Some("spAdvertisedProduct") => (Level::Advertised, &["advertiser"]),
        Some("spTargeting") => (Level::Targeting, &["targeting"]),
        Some("spSearchTerm") => (Level::SearchTerm, &["searchTerm"]),
        Some(other) => {
            return Err(format!(
                "reportTypeId {other} is not supported by the stand-in (spCampaigns, spAdvertisedProduct, spTargeting, spSearchTerm)"
            ))
        }
        None => return Err("configuration.reportTypeId is required".into()),
    };
    if let Some(g) = group_by
        .iter()
        .find(|g| !allowed_groups.contains(&g.as_str()))
    {
        return Err(format!(
            "groupBy {g} is not valid for this report type (allowed: {})",
            allowed_groups.join(", ")
        ));
    }
    let by_ad_group = group_by.iter().any(|g| g == "adGroup");
    let columns = strings(&c["columns"])
        .filter(|c| !c.is_empty())
        .ok_or("configuration.columns must be a non-empty array")?;
    let level = match kind {
        Level::Campaign if by_ad_group => Level::AdGroup,
        k => k,
    };
    let extra: &[&str] = match level {
        Level::Advertised => ADVERTISED_COLUMNS,
        Level::AdGroup => AD_GROUP_COLUMNS,
        Level::Campaign => CAMPAIGN_COLUMNS,
        Level::Targeting => TARGETING_COLUMNS,
        Level::SearchTerm => SEARCH_TERM_COLUMNS,
    };
    let mut seen = HashSet::new();
    for col in &columns {
        if !seen.insert(col) {
            return Err(format!("column {col} is listed twice"));
        }
        if NOT_SIMULATED.contains(&col.as_str()) {
            return Err(format!("column {col} is not simulated by the stand-in"));
        }
        if !METRICS.contains(&col.as_str()) && !extra.contains(&col.as_str()) {
            return Err(format!(
                "column {col} is not valid for this report type and groupBy"
            ));
        }
        if daily && (col == "startDate" || col == "endDate") {
            return Err(format!("column {col} needs timeUnit SUMMARY"));
        }
        if !daily && col == "date" {
            return Err("column date needs timeUnit DAILY".into());
        }
    }
    let statuses = match c.get("filters") {
        None | Some(Value::Null) => None,
        Some(Value::Array(fs)) if fs.is_empty() => None,
        Some(Value::Array(fs)) => {
            let mut statuses = vec![];
            for f in fs {
                if f["field"] != "campaignStatus" {
                    return Err("the stand-in filters only on campaignStatus".into());
                }
                let values = strings(&f["values"])
                    .filter(|v| !v.is_empty())
                    .ok_or("filter values must be a non-empty array")?;
                statuses.extend(values);
            }
            Some(statuses)
        }
        Some(_) => return Err("configuration.filters must be an array".into()),
    };
    Ok(ReportSpec {
        level,
        columns,
        daily,
        statuses,
    })
}

/// The profile's today (report dates are the profile's local dates).
fn profile_today(st: &StandIn, profile: usize, now: DateTime<Utc>) -> NaiveDate {
    let tz: chrono_tz::Tz = st.seller.ads_profiles[profile]
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).date_naive()
}

fn report_status(r: &AdsReport, now: DateTime<Utc>) -> &'static str {
    if now < r.created + Duration::seconds(PENDING_SECS) {
        "PENDING"
    } else if now < r.created + Duration::seconds(PROCESSING_SECS) {
        "PROCESSING"
    } else {
        "COMPLETED"
    }
}

fn report_id(st: &StandIn, profile: usize, n: u64) -> String {
    let digest = Sha256::new()
        .chain_update(st.seller.seller_id.as_bytes())
        .chain_update(st.seller.ads_profiles[profile].profile_id.to_be_bytes())
        .chain_update(n.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateReport {
    name: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    configuration: Option<Value>,
}

async fn create_report(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let profile = try_res!(admit(&st, &headers, true, "createAsyncReport")).expect("a profile");
    if essence(&headers, header::CONTENT_TYPE).as_deref() != Some(REPORT_MEDIA) {
        return report_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Content-Type must be {REPORT_MEDIA}"),
        );
    }
    let Ok(req) = serde_json::from_slice::<CreateReport>(&body) else {
        return report_error(StatusCode::BAD_REQUEST, "The body is not a report request");
    };
    let date = |s: &Option<String>, field: &str| {
        s.as_deref()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| {
                report_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{field} must be YYYY-MM-DD"),
                )
            })
    };
    let start = try_res!(date(&req.start_date, "startDate"));
    let end = try_res!(date(&req.end_date, "endDate"));
    let configuration = req.configuration.unwrap_or_default();
    let spec = match parse_spec(&configuration) {
        Ok(s) => s,
        Err(e) => return report_error(StatusCode::BAD_REQUEST, &e),
    };
    let now = st.now();
    let today = profile_today(&st, profile, now);
    if end < start {
        return report_error(StatusCode::BAD_REQUEST, "endDate is before startDate");
    }
    if (end - start).num_days() + 1 > MAX_REPORT_DAYS {
        return report_error(
            StatusCode::BAD_REQUEST,
            &format!("The report date range is longer than {MAX_REPORT_DAYS} days"),
        );
    }
    if start < today - Duration::days(RETENTION_DAYS) || end > today {
        return report_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "Dates must be within the last {RETENTION_DAYS} days, up to {today} (profile time)"
            ),
        );
    }
    let n = st.next_id();
    let id = report_id(&st, profile, n);
    let created = with_state(&st, |s| {
        if let Some(dup) = s.reports.iter().find(|r| {
            r.profile == profile
                && r.start == start
                && r.end == end
                && r.configuration == configuration
                && report_status(r, now) != "COMPLETED"
        }) {
            return Err(dup.id.clone());
        }
        let r = AdsReport {
            id: id.clone(),
            profile,
            name: req.name,
            start,
            end,
            configuration: configuration.clone(),
            spec,
            created: now,
        };
        s.reports.push(r.clone());
        Ok(r)
    });
    match created {
        Ok(r) => reply(
            StatusCode::OK,
            "application/json",
            &report_json(&r, now, None),
        ),
        Err(dup) => report_error(
            StatusCode::TOO_EARLY,
            &format!("The Request is a duplicate of : {dup}"),
        ),
    }
}

fn report_json(
    r: &AdsReport,
    now: DateTime<Utc>,
    download: Option<(String, DateTime<Utc>, u64)>,
) -> Value {
    let status = report_status(r, now);
    let updated = match status {
        "PENDING" => r.created,
        "PROCESSING" => r.created + Duration::seconds(PENDING_SECS),
        _ => r.created + Duration::seconds(PROCESSING_SECS),
    };
    let (url, expires, size) = match download {
        Some((u, e, s)) => (json!(u), json!(ts(e)), json!(s)),
        None => (Value::Null, Value::Null, Value::Null),
    };
    json!({
        "reportId": r.id,
        "name": r.name,
        "status": status,
        "startDate": r.start.format("%Y-%m-%d").to_string(),
        "endDate": r.end.format("%Y-%m-%d").to_string(),
        "configuration": r.configuration,
        "createdAt": ts(r.created),
        "updatedAt": ts(updated),
        "generatedAt": if status == "COMPLETED" { json!(ts(updated)) } else { Value::Null },
        "url": url,
        "urlExpiresAt": expires,
        "fileSize": size,
        "failureReason": Value::Null,
    })
}

async fn get_report(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let profile = try_res!(admit(&st, &headers, true, "getAsyncReport")).expect("a profile");
    let now = st.now();
    let Some(r) = with_state(&st, |s| {
        s.reports
            .iter()
            .find(|r| r.id == id && r.profile == profile)
            .cloned()
    }) else {
        return report_error(StatusCode::NOT_FOUND, "Report not found");
    };
    let download = if report_status(&r, now) == "COMPLETED" {
        let size = match with_state(&st, |s| s.documents.sizes.get(&r.id).copied()) {
            Some(n) => n,
            None => {
                let path = with_state(&st, |s| s.documents.path(&r.id)).expect("document dir");
                let n = render_document(&st, &r, &path).expect("document file");
                with_state(&st, |s| s.documents.sizes.insert(r.id.clone(), n));
                n
            }
        };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let expires = now + Duration::seconds(URL_SECS);
        let url = format!(
            "http://{host}/_ads-documents/{}?expires={}",
            r.id,
            expires.timestamp()
        );
        Some((url, expires, size))
    } else {
        None
    };
    reply(
        StatusCode::OK,
        "application/json",
        &report_json(&r, now, download),
    )
}

/// A value of one column of one row; `None` for a ratio whose divisor is zero. `target` is
/// the row's target (targeting and search term reports).
fn column(st: &StandIn, r: &AdsReport, row: &RowOf, m: &Figures, name: &str) -> Value {
    let c = &st.seller.campaigns[row.campaign];
    let currency = st.seller.ads_profiles[c.profile].currency;
    let g = &c.ad_groups[0];
    let product = &st.seller.products[g.product];
    let ratio = |n: Decimal, d: Decimal, scale: Decimal, dp: u32| {
        if d.is_zero() {
            Value::Null
        } else {
            money((n * scale / d).round_dp(dp))
        }
    };
    let day = |d: NaiveDate| json!(d.format("%Y-%m-%d").to_string());
    let hundred = Decimal::ONE_HUNDRED;
    let (base, window) = [("30d", 30), ("14d", 14), ("7d", 7), ("1d", 1)]
        .iter()
        .find_map(|(suffix, w)| name.strip_suffix(suffix).map(|b| (b, *w)))
        .unwrap_or((name, 7));
    let a = m.window(window);
    let target = row.target.as_ref();
    let edits = || with_state(st, |s| s.keywords.clone());
    let target_now = |t: &Target| {
        let base = match &t.kind {
            TargetKind::Keyword { .. } => {
                g.keywords
                    .iter()
                    .find(|k| k.id == t.id)
                    .map(|k| KeywordEdit {
                        bid: k.bid,
                        state: k.state,
                    })
            }
            TargetKind::Product { .. } => Some(KeywordEdit {
                bid: g.default_bid,
                state: "ENABLED",
            }),
        };
        edits().get(&t.id).copied().or(base)
    };
    match base {
        "impressions" => json!(m.impressions),
        "clicks" => json!(m.clicks),
        "cost" | "spend" => money(m.cost),
        "costPerClick" => {
            if m.clicks == 0 {
                Value::Null
            } else {
                money(round(m.cost / Decimal::from(m.clicks), currency))
            }
        }
        "clickThroughRate" => ratio(
            Decimal::from(m.clicks),
            Decimal::from(m.impressions),
            hundred,
            4,
        ),
        "purchases" | "purchasesSameSku" => json!(a.purchases),
        "unitsSoldClicks" | "unitsSoldSameSku" => json!(a.units),
        "unitsSoldOtherSku" => json!(0),
        "sales" | "attributedSalesSameSku" => money(a.sales),
        "salesOtherSku" => money(Decimal::ZERO),
        "acosClicks" => ratio(m.cost, a.sales, hundred, 2),
        "roasClicks" => ratio(a.sales, m.cost, Decimal::ONE, 2),
        "date" => row.date.map(day).unwrap_or(Value::Null),
        "startDate" => day(r.start),
        "endDate" => day(r.end),
        "campaignId" => json!(c.id),
        "campaignName" => json!(c.name),
        "campaignStatus" => json!(c.state),
        "campaignBudgetAmount" => money(c.daily_budget),
        "campaignBudgetType" => json!("DAILY_BUDGET"),
        "campaignBudgetCurrencyCode" => json!(currency),
        "campaignBiddingStrategy" => json!("legacy"),
        "adGroupId" => json!(g.id),
        "adGroupName" => json!(g.name),
        "adStatus" => json!("ENABLED"),
        "adId" => json!(crate::ads_truth::product_ad_id(g)),
        "portfolioId" => Value::Null,
        "advertisedAsin" => json!(product.asin),
        "advertisedSku" => json!(product.sku),
        "keywordId" => target.map(|t| json!(t.id)).unwrap_or(Value::Null),
        "keyword" | "targeting" => target.map(|t| json!(t.targeting())).unwrap_or(Value::Null),
        "matchType" => match target.map(|t| &t.kind) {
            Some(TargetKind::Keyword { match_type, .. }) => json!(match_type),
            Some(TargetKind::Product { .. }) => json!("TARGETING_EXPRESSION"),
            None => Value::Null,
        },
        "keywordType" => match target.map(|t| &t.kind) {
            Some(TargetKind::Keyword { match_type, .. }) => json!(match_type),
            Some(TargetKind::Product { .. }) => json!("TARGETING_EXPRESSION"),
            None => Value::Null,
        },
        "keywordBid" => target
            .and_then(target_now)
            .map(|e| money(e.bid))
            .unwrap_or(Value::Null),
        "adKeywordStatus" => target
            .and_then(target_now)
            .map(|e| json!(e.state))
            .unwrap_or(Value::Null),
        "searchTerm" => target
            .map(|t| json!(t.search_term()))
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// What one report row sums: a campaign (and its one ad group and product), or a target, on
/// a day (DAILY) or over the range (SUMMARY).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RowKey {
    campaign: usize,
    target: Option<i64>,
    date: Option<NaiveDate>,
}

struct RowOf {
    campaign: usize,
    target: Option<Target>,
    date: Option<NaiveDate>,
}

/// Writes the report's rows, a JSON array, to `out` one row at a time: each campaign-day is
/// split over its targets and settled as of the day the report was made
/// ([`crate::ads_truth`]), then summed at the report's level, campaign by campaign (rows in
/// the order of campaign, target, date), so only one campaign's rows are ever in memory.
/// Each campaign has one ad group advertising one product, so its ad group and advertised
/// product rows are the campaign's. The number of rows.
fn write_rows(st: &StandIn, r: &AdsReport, out: &mut impl Write) -> std::io::Result<u64> {
    let spec = &r.spec;
    let today = profile_today(st, r.profile, r.created);
    let by_target = matches!(spec.level, Level::Targeting | Level::SearchTerm);
    let mut days: Vec<&crate::model::AdsDay> = st
        .seller
        .ads_days
        .iter()
        .filter(|d| {
            let c = &st.seller.campaigns[d.campaign];
            d.date >= r.start
                && d.date <= r.end
                && c.profile == r.profile
                && spec
                    .statuses
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|s| s == c.state))
        })
        .collect();
    days.sort_by_key(|d| d.campaign);
    out.write_all(b"[")?;
    let mut n = 0u64;
    for campaign in days.chunk_by(|a, b| a.campaign == b.campaign) {
        let mut groups: BTreeMap<RowKey, (Option<Target>, Figures)> = BTreeMap::new();
        for d in campaign {
            for t in crate::ads_truth::split_day(&st.seller, d.campaign, d, today) {
                let key = RowKey {
                    campaign: d.campaign,
                    target: by_target.then_some(t.target.id),
                    date: spec.daily.then_some(d.date),
                };
                let e = groups
                    .entry(key)
                    .or_insert_with(|| (by_target.then(|| t.target.clone()), Figures::default()));
                e.1.add(&t.figures);
            }
        }
        for (k, (target, m)) in groups {
            let row = RowOf {
                campaign: k.campaign,
                target,
                date: k.date,
            };
            let fields: Map<String, Value> = spec
                .columns
                .iter()
                .map(|name| (name.clone(), column(st, r, &row, &m, name)))
                .collect();
            if n > 0 {
                out.write_all(b",")?;
            }
            out.write_all(to_text(&Value::Object(fields)).as_bytes())?;
            n += 1;
        }
    }
    out.write_all(b"]")?;
    Ok(n)
}

/// Renders the report's gzip document into the file at `path`; its size in bytes.
fn render_document(st: &StandIn, r: &AdsReport, path: &std::path::Path) -> std::io::Result<u64> {
    // Written aside and renamed into place: two looks at once may both render it.
    let part = path.with_extension(format!("part-{}", uuid::Uuid::new_v4()));
    let file = std::io::BufWriter::new(std::fs::File::create(&part)?);
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    write_rows(st, r, &mut gz)?;
    gz.finish()?.flush()?;
    std::fs::rename(&part, path)?;
    Ok(std::fs::metadata(path)?.len())
}

#[derive(Deserialize)]
struct DownloadQuery {
    expires: Option<i64>,
}

/// The "presigned S3 URL" of a completed report: the gzip file, until the URL expires.
async fn download(
    State(st): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    if q.expires.is_none_or(|e| e < st.now().timestamp()) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml")],
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        )
            .into_response();
    }
    let path = with_state(&st, |s| {
        s.documents
            .sizes
            .contains_key(&id)
            .then(|| s.documents.path(&id).ok())
            .flatten()
    });
    // Streamed from the file, as S3 sends an object.
    match path.map(tokio::fs::File::open) {
        Some(open) => match open.await {
            Ok(file) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/octet-stream")],
                axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file)),
            )
                .into_response(),
            Err(_) => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
        },
        None => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
    }
}
