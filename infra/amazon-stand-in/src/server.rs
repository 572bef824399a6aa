//! The HTTP side: Login with Amazon, the seller consent redirect, the SP-API operations,
//! report documents, and the control endpoints (`/_stand-in/...`) tests use to read counters,
//! move the virtual clock, inject faults and read the ground truth.

// Helpers return the ready error response as `Err`, like a handler's early return; the
// size of `Response` is irrelevant at the stand-in's request rates.
#![allow(clippy::result_large_err)]

use crate::generator::Seller;
use crate::ground_truth::GroundTruth;
use crate::limits::{plan, Bucket, Clock};
use crate::model::{Fulfillment, OrderStatus};
use crate::render::{self, ts};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};

pub use control::unbalanced_settlements;
use control::*;
pub(crate) use finances::restore;
use finances::*;
use lwa::*;
use orders::*;
pub(crate) use orders::{map_of, page_token};
pub(crate) use orders::{page, page_size};
use reports::*;
use seller_ops::*;

/// The LWA application the stand-in knows (ours), and the Ads one.
#[derive(Debug, Clone)]
pub struct Apps {
    pub client_id: String,
    pub client_secret: String,
    pub application_id: String,
    /// The separate LWA security profile approved for the Ads API.
    pub ads_client_id: String,
    pub ads_client_secret: String,
}

impl Default for Apps {
    fn default() -> Self {
        Self {
            client_id: "amzn1.application-oa2-client.standin".into(),
            client_secret: "stand-in-client-secret".into(),
            application_id: "amzn1.sellerapps.app.standin".into(),
            ads_client_id: "amzn1.application-oa2-client.standin-ads".into(),
            ads_client_secret: "stand-in-ads-client-secret".into(),
        }
    }
}

/// A fault to inject: on calls to `operation` (or every operation when absent), the first
/// matching call of every `every`, at most `times` times.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub operation: Option<String>,
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub every: u32,
    pub times: Option<u32>,
    #[serde(skip)]
    pub seen: u32,
    #[serde(skip)]
    pub fired: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FaultKind {
    /// Answer with this status (500, 503...).
    Status {
        code: u16,
    },
    /// Answer after a delay.
    Slow {
        millis: u64,
    },
    /// Abort the connection mid-body.
    Drop,
    /// Send only half the body.
    Truncate,
    /// Send a body that is not JSON.
    Malformed,
    /// Refuse the access token as expired.
    ExpiredToken,
    /// Reports created now end FATAL / CANCELLED.
    ReportFatal,
    ReportCancelled,
    /// The next notification delivery sends every message twice.
    DuplicateNotifications,
    /// The next notification delivery sends its messages in reverse order.
    ReorderNotifications,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct OpStats {
    pub calls: u64,
    pub throttled: u64,
    pub faults: u64,
}

#[derive(Debug, Clone)]
struct Report {
    id: String,
    report_type: String,
    marketplace_ids: Vec<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    outcome: &'static str,
    document: Option<String>,
    cancelled: bool,
    /// The request's `reportOptions` (the ledger summary's `aggregatedByTimePeriod`).
    options: std::collections::BTreeMap<String, String>,
}

#[derive(Default)]
pub(crate) struct Inner {
    codes: HashMap<String, (DateTime<Utc>, String)>,
    refresh_tokens: HashMap<String, bool>,
    access_tokens: HashMap<String, DateTime<Utc>>,
    /// Ads API access tokens (issued to the Ads client), with their expiry.
    pub(crate) ads_tokens: HashMap<String, DateTime<Utc>>,
    ads_refresh_tokens: HashMap<String, bool>,
    buckets: HashMap<(String, String), Bucket>,
    stats: BTreeMap<String, OpStats>,
    faults: Vec<FaultRule>,
    reports: Vec<Report>,
    documents: HashMap<String, (Vec<u8>, String)>,
    solicited: HashMap<String, DateTime<Utc>>,
    next: u64,
}

/// A running stand-in for one seller.
pub struct StandIn {
    /// The seller as generated: its history up to `spec.end`. Live selling (`crate::live`)
    /// never changes its catalog, listings or ads, but adds orders, transactions and
    /// settlements: read those through [`StandIn::seller_now`].
    pub seller: Seller,
    /// The seller with what live selling added, once it has added anything.
    live_seller: std::sync::RwLock<Option<Arc<Seller>>>,
    pub(crate) live: tokio::sync::Mutex<Option<crate::live::Live>>,
    pub apps: Apps,
    pub(crate) clock: Mutex<Clock>,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) notifications: Mutex<crate::notifications::Notifications>,
    pub(crate) ads: Mutex<crate::ads::AdsState>,
    truth: Mutex<Option<Arc<GroundTruth>>>,
    /// Fulfillment Inbound plans, generated on first use (`crate::inbound`).
    pub(crate) inbound: Mutex<Option<crate::inbound::Inbound>>,
}

/// The seller as of the stand-in's now: the generated one until live selling adds to it.
pub enum SellerNow<'a> {
    Generated(&'a Seller),
    Live(Arc<Seller>),
}

impl std::ops::Deref for SellerNow<'_> {
    type Target = Seller;
    fn deref(&self) -> &Seller {
        match self {
            SellerNow::Generated(s) => s,
            SellerNow::Live(s) => s,
        }
    }
}

pub type Shared = Arc<StandIn>;

pub(crate) fn err(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"code": code, "message": message, "details": ""}]})),
    )
        .into_response()
}

pub(crate) fn invalid(message: &str) -> Response {
    err(StatusCode::BAD_REQUEST, "InvalidInput", message)
}

pub(crate) fn not_found(message: &str) -> Response {
    err(StatusCode::NOT_FOUND, "NotFound", message)
}

pub(crate) fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

pub(crate) fn unb64(s: &str) -> Option<Value> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn csv(s: Option<&String>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

impl StandIn {
    pub fn new(seller: Seller, clock: Clock) -> Shared {
        Arc::new(Self {
            seller,
            apps: Apps::default(),
            clock: Mutex::new(clock),
            inner: Mutex::new(Inner::default()),
            notifications: Default::default(),
            ads: Default::default(),
            live_seller: Default::default(),
            live: Default::default(),
            truth: Default::default(),
            inbound: Default::default(),
        })
    }

    /// A stand-in on a virtual clock that starts where the seller's history ends.
    pub fn virtual_clock(seller: Seller, auto_advance: bool) -> Shared {
        let end = seller.spec.end;
        Self::new(
            seller,
            Clock::Virtual {
                now: end,
                start: end,
                auto_advance,
            },
        )
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.lock().expect("clock").now()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.lock().expect("clock").advance(by);
    }

    /// The seller as of now: the generated history plus what live selling has added.
    pub fn seller_now(&self) -> SellerNow<'_> {
        match &*self.live_seller.read().expect("seller") {
            Some(s) => SellerNow::Live(s.clone()),
            None => SellerNow::Generated(&self.seller),
        }
    }

    /// Changes the seller as of now (live selling), copying it on first use.
    pub(crate) fn update_seller<R>(&self, change: impl FnOnce(&mut Seller) -> R) -> R {
        let mut truth = self.truth.lock().expect("truth");
        let mut w = self.live_seller.write().expect("seller");
        let s = w.get_or_insert_with(|| Arc::new(self.seller.clone()));
        let out = change(Arc::make_mut(s));
        *truth = None;
        out
    }

    /// The ground truth of the seller as of now.
    pub fn ground_truth(&self) -> Arc<GroundTruth> {
        let mut t = self.truth.lock().expect("truth");
        t.get_or_insert_with(|| Arc::new(GroundTruth::of(&self.seller_now())))
            .clone()
    }

    pub(crate) fn next_id(&self) -> u64 {
        let mut i = self.inner.lock().expect("state");
        i.next += 1;
        i.next
    }

    /// Issues a refresh token for the seller as if the seller had consented (for tests).
    pub fn issue_refresh_token(&self) -> String {
        let t = format!("Atzr|stand-in-{}-{}", self.seller.seller_id, self.next_id());
        self.inner
            .lock()
            .expect("state")
            .refresh_tokens
            .insert(t.clone(), true);
        t
    }

    /// Issues an access token `prefix…` valid for `ttl` of stand-in time: an Ads token when
    /// `ads`, else one the SP-API accepts.
    pub(crate) fn mint_token(&self, prefix: &str, ads: bool, ttl: Duration) -> String {
        let t = format!("{prefix}{}", self.next_id());
        let exp = self.now() + ttl;
        let mut i = self.inner.lock().expect("state");
        if ads {
            &mut i.ads_tokens
        } else {
            &mut i.access_tokens
        }
        .insert(t.clone(), exp);
        t
    }

    /// An access token for the seller without the token endpoint (benchmarks).
    pub fn bench_access_token(&self) -> String {
        self.mint_token("Atza|stand-in-bench-", false, Duration::days(3650))
    }

    /// An Ads API refresh token for the seller's advertising account (for tests).
    pub fn issue_ads_refresh_token(&self) -> String {
        let t = format!("Atzr|stand-in-ads-{}", self.next_id());
        self.inner
            .lock()
            .expect("state")
            .ads_refresh_tokens
            .insert(t.clone(), true);
        t
    }

    /// Revokes every refresh token (the seller removed the app).
    /// Revokes every Ads API refresh token (the advertiser withdrew consent).
    pub fn revoke_ads_refresh_tokens(&self) {
        for v in self
            .inner
            .lock()
            .expect("state")
            .ads_refresh_tokens
            .values_mut()
        {
            *v = false;
        }
    }

    pub fn revoke_refresh_tokens(&self) {
        for v in self
            .inner
            .lock()
            .expect("state")
            .refresh_tokens
            .values_mut()
        {
            *v = false;
        }
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.inner.lock().expect("state").faults.push(rule);
    }

    pub fn clear_faults(&self) {
        self.inner.lock().expect("state").faults.clear();
    }

    pub fn stats(&self) -> BTreeMap<String, OpStats> {
        self.inner.lock().expect("state").stats.clone()
    }

    fn fault_for(&self, op: &str) -> Option<FaultKind> {
        let mut i = self.inner.lock().expect("state");
        let mut hit = None;
        for r in i.faults.iter_mut() {
            if r.operation.as_deref().is_some_and(|o| o != op && o != "*") {
                continue;
            }
            if matches!(
                r.kind,
                FaultKind::ReportFatal
                    | FaultKind::ReportCancelled
                    | FaultKind::DuplicateNotifications
                    | FaultKind::ReorderNotifications
            ) {
                continue;
            }
            r.seen += 1;
            if r.times.is_some_and(|t| r.fired >= t) || (r.seen - 1) % r.every.max(1) != 0 {
                continue;
            }
            r.fired += 1;
            hit = Some(r.kind.clone());
            break;
        }
        if hit.is_some() {
            i.stats.entry(op.to_string()).or_default().faults += 1;
        }
        hit
    }

    pub(crate) fn notification_fault(&self) -> Option<FaultKind> {
        let mut i = self.inner.lock().expect("state");
        for r in i.faults.iter_mut() {
            if !matches!(
                r.kind,
                FaultKind::DuplicateNotifications | FaultKind::ReorderNotifications
            ) || r.times.is_some_and(|t| r.fired >= t)
            {
                continue;
            }
            r.fired += 1;
            return Some(r.kind.clone());
        }
        None
    }

    /// `(report id, type, status, document id)` of every requested report, as of now.
    pub(crate) fn requested_reports(&self) -> Vec<(String, String, &'static str, Option<String>)> {
        let now = self.now();
        self.inner
            .lock()
            .expect("state")
            .reports
            .iter()
            .map(|r| {
                let status = report_status(r, now);
                let doc = (status == "DONE").then(|| {
                    r.document
                        .clone()
                        .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id))
                });
                (r.id.clone(), r.report_type.clone(), status, doc)
            })
            .collect()
    }

    fn report_outcome_fault(&self) -> Option<&'static str> {
        let mut i = self.inner.lock().expect("state");
        for r in i.faults.iter_mut() {
            let outcome = match r.kind {
                FaultKind::ReportFatal => "FATAL",
                FaultKind::ReportCancelled => "CANCELLED",
                _ => continue,
            };
            if r.times.is_some_and(|t| r.fired >= t) {
                continue;
            }
            r.fired += 1;
            return Some(outcome);
        }
        None
    }

    /// Authenticates and rate-limits one SP-API call. `Err` is the response to send.
    pub(crate) async fn guard(
        &self,
        headers: &HeaderMap,
        op: &str,
    ) -> Result<Option<FaultKind>, Response> {
        let fault = self.fault_for(op);
        match &fault {
            Some(FaultKind::Slow { millis }) => {
                tokio::time::sleep(std::time::Duration::from_millis(*millis)).await
            }
            Some(FaultKind::Status { code }) => {
                let status =
                    StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                self.inner
                    .lock()
                    .expect("state")
                    .stats
                    .entry(op.to_string())
                    .or_default()
                    .calls += 1;
                return Err(err(
                    status,
                    if status == StatusCode::SERVICE_UNAVAILABLE {
                        "ServiceUnavailable"
                    } else {
                        "InternalFailure"
                    },
                    "We encountered an internal error. Please try again.",
                ));
            }
            Some(FaultKind::ExpiredToken) => {
                return Err(err(StatusCode::FORBIDDEN, "Unauthorized", "Access to requested resource is denied. The access token you provided has expired."));
            }
            _ => {}
        }
        let token = headers
            .get("x-amz-access-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let now = self.now();
        {
            let i = self.inner.lock().expect("state");
            match i.access_tokens.get(token) {
                None => return Err(err(StatusCode::FORBIDDEN, "Unauthorized", "Access to requested resource is denied. The access token you provided is revoked, malformed or invalid.")),
                Some(exp) if *exp <= now => return Err(err(StatusCode::FORBIDDEN, "Unauthorized", "Access to requested resource is denied. The access token you provided has expired.")),
                _ => {}
            }
        }
        let (rate, burst) = plan(op);
        let mut clock = self.clock.lock().expect("clock");
        let mut i = self.inner.lock().expect("state");
        let now = clock.now();
        let key = (self.seller.seller_id.clone(), op.to_string());
        let bucket = i
            .buckets
            .entry(key)
            .or_insert_with(|| Bucket::new(rate, burst, now));
        let outcome = bucket.take(now);
        let stats = i.stats.entry(op.to_string()).or_default();
        stats.calls += 1;
        match outcome {
            Ok(()) => Ok(fault),
            Err(wait) => {
                if let Clock::Virtual {
                    auto_advance: true, ..
                } = *clock
                {
                    // The caller "waits": simulated time passes, no real time does.
                    clock.advance(wait);
                    let now = clock.now();
                    let bucket = i
                        .buckets
                        .get_mut(&(self.seller.seller_id.clone(), op.to_string()))
                        .expect("bucket");
                    bucket.take(now).expect("a token after waiting");
                    return Ok(fault);
                }
                stats.throttled += 1;
                let mut res = err(
                    StatusCode::TOO_MANY_REQUESTS,
                    "QuotaExceeded",
                    "You exceeded your quota for the requested resource.",
                );
                res.headers_mut().insert(
                    "x-amzn-RateLimit-Limit",
                    HeaderValue::from_str(&rate.to_string()).expect("rate"),
                );
                Err(res)
            }
        }
    }

    /// The response of a successful call, with Amazon's headers and any body fault applied.
    pub(crate) fn respond(
        &self,
        op: &str,
        status: StatusCode,
        body: Value,
        fault: Option<FaultKind>,
    ) -> Response {
        let (rate, _) = plan(op);
        let text = body.to_string();
        let mut res = match fault {
            Some(FaultKind::Truncate) => (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                text[..text.len() / 2].to_string(),
            )
                .into_response(),
            Some(FaultKind::Malformed) => (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                "<html>Bad Gateway</html>".to_string(),
            )
                .into_response(),
            Some(FaultKind::Drop) => {
                let stream = futures_like::failing(text.into_bytes());
                (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    Body::from_stream(stream),
                )
                    .into_response()
            }
            _ => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        };
        let h = res.headers_mut();
        h.insert(
            "x-amzn-RateLimit-Limit",
            HeaderValue::from_str(&rate.to_string()).expect("rate"),
        );
        h.insert(
            "x-amzn-RequestId",
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("id"),
        );
        res
    }
}

/// A body stream that sends half the bytes, then fails: the connection is aborted.
mod futures_like {
    pub fn failing(
        bytes: Vec<u8>,
    ) -> impl futures_core::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
        let half = axum::body::Bytes::from(bytes[..bytes.len() / 2].to_vec());
        Chunks {
            parts: vec![
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "dropped by fault injection",
                )),
                Ok(half),
            ],
        }
    }

    struct Chunks {
        parts: Vec<Result<axum::body::Bytes, std::io::Error>>,
    }

    impl futures_core::Stream for Chunks {
        type Item = Result<axum::body::Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.parts.pop())
        }
    }
}

#[macro_export]
#[doc(hidden)]
macro_rules! guarded {
    ($st:expr, $headers:expr, $op:expr) => {
        match $st.guard(&$headers, $op).await {
            Ok(f) => f,
            Err(res) => return res,
        }
    };
}

/// Every route of the stand-in.
pub fn router(st: Shared) -> Router {
    Router::new()
        .route("/auth/o2/token", post(token))
        .route("/apps/authorize/consent", get(consent))
        .route("/sellers/v1/marketplaceParticipations", get(participations))
        .route("/orders/2026-01-01/orders", get(search_orders))
        .route("/orders/2026-01-01/orders/{id}", get(get_order_2026))
        .route("/orders/v0/orders", get(get_orders))
        .route("/orders/v0/orders/{id}", get(get_order_v0))
        .route("/orders/v0/orders/{id}/orderItems", get(get_order_items))
        .route("/finances/2024-06-19/transactions", get(list_transactions))
        .route("/finances/v0/financialEventGroups", get(event_groups))
        .route(
            "/finances/v0/financialEventGroups/{id}/financialEvents",
            get(events_by_group),
        )
        .route(
            "/finances/v0/orders/{id}/financialEvents",
            get(events_by_order),
        )
        .route("/finances/v0/financialEvents", get(events))
        .route(
            "/reports/2021-06-30/reports",
            get(get_reports).post(create_report),
        )
        .route(
            "/reports/2021-06-30/reports/{id}",
            get(get_report).delete(cancel_report),
        )
        .route(
            "/reports/2021-06-30/documents/{id}",
            get(get_report_document),
        )
        .route("/_documents/{id}", get(download))
        .route("/fba/inventory/v1/summaries", get(inventory_summaries))
        .route(
            "/tokens/2021-03-01/restrictedDataToken",
            post(restricted_data_token),
        )
        .route("/solicitations/v1/orders/{id}", get(solicitation_actions))
        .route(
            "/solicitations/v1/orders/{id}/solicitations/productReviewAndSellerFeedback",
            post(solicit),
        )
        .route("/_stand-in/stats", get(control_stats))
        .route("/_stand-in/clock", get(control_clock).post(control_advance))
        .route(
            "/_stand-in/faults",
            post(control_fault).delete(control_clear_faults),
        )
        .route("/_stand-in/ground-truth", get(control_ground_truth))
        .route("/_stand-in/refresh-token", post(control_refresh_token))
        .route("/_stand-in/revoke", post(control_revoke))
        .merge(crate::ads::routes())
        .merge(crate::catalog::routes())
        .merge(crate::notifications::routes())
        .merge(crate::live::routes())
        .merge(crate::inbound::routes())
        .merge(crate::ecb::routes())
        .with_state(st)
}

impl StandIn {
    /// Checks an Ads API call: a live Ads access token in `Authorization: Bearer`, the Ads
    /// client id in `Amazon-Advertising-API-ClientId`, and (unless `needs_profile` is false) a
    /// known profile in `Amazon-Advertising-API-Scope`. Returns the profile's index.
    pub(crate) fn ads_guard(
        &self,
        headers: &HeaderMap,
        needs_profile: bool,
        op: &str,
    ) -> Result<Option<usize>, Response> {
        let now = self.now();
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let ads_err = |status: StatusCode, code: &str, details: &str| {
            (status, Json(json!({"code": code, "details": details}))).into_response()
        };
        {
            let mut i = self.inner.lock().expect("state");
            i.stats.entry(op.to_string()).or_default().calls += 1;
            match i.ads_tokens.get(bearer) {
                Some(exp) if *exp > now => {}
                _ => {
                    return Err(ads_err(
                        StatusCode::UNAUTHORIZED,
                        "UNAUTHORIZED",
                        "Not authorized to access scope",
                    ))
                }
            }
        }
        if headers
            .get("amazon-advertising-api-clientid")
            .and_then(|v| v.to_str().ok())
            != Some(self.apps.ads_client_id.as_str())
        {
            return Err(ads_err(
                StatusCode::BAD_REQUEST,
                "400",
                "Amazon-Advertising-API-ClientId header is missing or wrong",
            ));
        }
        if !needs_profile {
            return Ok(None);
        }
        let scope = headers
            .get("amazon-advertising-api-scope")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok());
        match scope.and_then(|p| {
            self.seller
                .ads_profiles
                .iter()
                .position(|x| x.profile_id == p)
        }) {
            Some(i) => Ok(Some(i)),
            None => Err(ads_err(
                StatusCode::FORBIDDEN,
                "403",
                "Invalid Amazon-Advertising-API-Scope profile",
            )),
        }
    }
}

// The handlers, by API; declared after the macros they use.
mod control;
mod finances;
mod lwa;
mod orders;
mod reports;
mod seller_ops;
