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
    pub seller: Seller,
    pub apps: Apps,
    pub(crate) clock: Mutex<Clock>,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) notifications: Mutex<crate::notifications::Notifications>,
    pub(crate) ads: Mutex<crate::ads::AdsState>,
    truth: std::sync::OnceLock<GroundTruth>,
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
            truth: Default::default(),
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

    pub fn ground_truth(&self) -> &GroundTruth {
        self.truth.get_or_init(|| GroundTruth::of(&self.seller))
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
        .with_state(st)
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn lwa_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(State(st): State<Shared>, Form(f): Form<TokenForm>) -> Response {
    st.inner
        .lock()
        .expect("state")
        .stats
        .entry("lwaToken".into())
        .or_default()
        .calls += 1;
    if f.client_id.as_deref() == Some(st.apps.ads_client_id.as_str()) {
        return ads_token(&st, f);
    }
    if f.client_id.as_deref() != Some(st.apps.client_id.as_str())
        || f.client_secret.as_deref() != Some(st.apps.client_secret.as_str())
    {
        return lwa_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let now = st.now();
    let access = |st: &StandIn| st.mint_token("Atza|stand-in-", false, Duration::seconds(3600));
    match f.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = f.code.unwrap_or_default();
            let entry = st.inner.lock().expect("state").codes.remove(&code);
            match entry {
                Some((exp, _)) if exp > now => {
                    let refresh = st.issue_refresh_token();
                    Json(json!({"access_token": access(&st), "refresh_token": refresh, "token_type": "bearer", "expires_in": 3600})).into_response()
                }
                _ => lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : code",
                ),
            }
        }
        Some("refresh_token") => {
            let valid = st
                .inner
                .lock()
                .expect("state")
                .refresh_tokens
                .get(f.refresh_token.as_deref().unwrap_or_default())
                .copied();
            if valid != Some(true) {
                return lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                );
            }
            Json(json!({"access_token": access(&st), "refresh_token": f.refresh_token, "token_type": "bearer", "expires_in": 3600})).into_response()
        }
        Some("client_credentials") => match f.scope.as_deref() {
            Some("sellingpartnerapi::notifications")
            | Some("sellingpartnerapi::client_credential:rotation") => {
                let t = access(&st);
                st.mark_grantless(&t);
                Json(json!({"access_token": t, "token_type": "bearer", "expires_in": 3600}))
                    .into_response()
            }
            _ => lwa_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The request has an invalid parameter : scope",
            ),
        },
        _ => lwa_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Invalid grant_type",
        ),
    }
}

/// The Ads API's own LWA grants (scope `advertising::campaign_management`).
fn ads_token(st: &StandIn, f: TokenForm) -> Response {
    if f.client_secret.as_deref() != Some(st.apps.ads_client_secret.as_str()) {
        return lwa_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let mint = |st: &StandIn| st.mint_token("Atza|stand-in-ads-", true, Duration::seconds(3600));
    match f.grant_type.as_deref() {
        Some("refresh_token") => {
            let valid = st
                .inner
                .lock()
                .expect("state")
                .ads_refresh_tokens
                .get(f.refresh_token.as_deref().unwrap_or_default())
                .copied();
            if valid != Some(true) {
                return lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                );
            }
            Json(json!({"access_token": mint(st), "refresh_token": f.refresh_token, "token_type": "bearer", "expires_in": 3600})).into_response()
        }
        _ => lwa_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The Ads client uses the refresh_token grant here",
        ),
    }
}

#[derive(Deserialize)]
struct ConsentQuery {
    application_id: Option<String>,
    state: Option<String>,
    redirect_uri: Option<String>,
    /// `deny` simulates the seller refusing on the consent page.
    decision: Option<String>,
}

async fn consent(State(st): State<Shared>, Query(q): Query<ConsentQuery>) -> Response {
    if q.application_id.as_deref() != Some(st.apps.application_id.as_str()) {
        return (StatusCode::BAD_REQUEST, "Unknown application").into_response();
    }
    let Some(redirect) = q.redirect_uri else {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri is required by the stand-in",
        )
            .into_response();
    };
    let state = q.state.unwrap_or_default();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = if q.decision.as_deref() == Some("deny") {
        format!("{redirect}{sep}error=access_denied&state={state}")
    } else {
        let code = format!("ANstandin{}", st.next_id());
        st.inner.lock().expect("state").codes.insert(
            code.clone(),
            (st.now() + Duration::minutes(5), st.seller.seller_id.clone()),
        );
        format!(
            "{redirect}{sep}state={state}&selling_partner_id={}&spapi_oauth_code={code}",
            st.seller.seller_id
        )
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn participations(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let op = "getMarketplaceParticipations";
    let f = guarded!(st, headers, op);
    st.respond(op, StatusCode::OK, render::participations(&st.seller), f)
}

/// `(offset, filters)` of a page token.
pub(crate) fn page_token(token: Option<&String>) -> Result<Option<(usize, Value)>, Response> {
    match token {
        None => Ok(None),
        Some(t) => unb64(t)
            .and_then(|v| Some((v.get("o")?.as_u64()? as usize, v.get("q")?.clone())))
            .map(Some)
            .ok_or_else(|| invalid("Invalid NextToken")),
    }
}

pub(crate) fn page<T: Clone>(
    all: &[T],
    offset: usize,
    size: usize,
    q: &Value,
) -> (Vec<T>, Option<String>) {
    let end = (offset + size).min(all.len());
    let next = (end < all.len()).then(|| b64(&json!({"o": end, "q": q})));
    (all.get(offset..end).unwrap_or_default().to_vec(), next)
}

pub(crate) fn map_of(q: &Value) -> HashMap<String, String> {
    q.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Order indexes, the effective `*Before`, and whether the window is by last update.
type Selected = (Vec<usize>, Option<DateTime<Utc>>, bool);

/// Shared order filtering of both Orders APIs.
fn select_orders(
    st: &StandIn,
    q: &HashMap<String, String>,
    v0: bool,
) -> Result<Selected, Response> {
    let k = |a: &str, b: &str| if v0 { a.to_string() } else { b.to_string() };
    let now = st.now();
    let created_after = q
        .get(&k("CreatedAfter", "createdAfter"))
        .map(|s| parse_time(s).ok_or(()))
        .transpose()
        .map_err(|_| invalid("CreatedAfter is not ISO 8601"))?;
    let updated_after = q
        .get(&k("LastUpdatedAfter", "lastUpdatedAfter"))
        .map(|s| parse_time(s).ok_or(()))
        .transpose()
        .map_err(|_| invalid("LastUpdatedAfter is not ISO 8601"))?;
    let by_update = match (created_after, updated_after) {
        (Some(_), None) => false,
        (None, Some(_)) => true,
        _ => {
            return Err(invalid(
                "Exactly one of CreatedAfter and LastUpdatedAfter must be specified",
            ))
        }
    };
    let after = created_after.or(updated_after).expect("one is set");
    let before_key = if by_update {
        k("LastUpdatedBefore", "lastUpdatedBefore")
    } else {
        k("CreatedBefore", "createdBefore")
    };
    let latest = now - Duration::minutes(2);
    let before = match q.get(&before_key) {
        Some(s) => {
            let b = parse_time(s).ok_or_else(|| invalid("Before date is not ISO 8601"))?;
            if b > latest || b < after {
                return Err(invalid(
                    "Before must be after After and at least 2 minutes before now",
                ));
            }
            b
        }
        None => latest,
    };
    let markets = csv(q.get(&k("MarketplaceIds", "marketplaceIds")));
    if v0 && markets.is_empty() {
        return Err(invalid("MarketplaceIds is required"));
    }
    let statuses = csv(q.get(&k("OrderStatuses", "fulfillmentStatuses")));
    let channels = csv(q.get(&k("FulfillmentChannels", "fulfilledBy")));
    let mut ids: Vec<usize> = st
        .seller
        .orders
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            let at = if by_update {
                o.last_update
            } else {
                o.purchase_date
            };
            at >= after
                && at < before
                && at <= now
                && (markets.is_empty() || markets.iter().any(|m| m == o.marketplace_id))
                && (statuses.is_empty()
                    || statuses.iter().any(|s| {
                        if v0 {
                            s == o.status.v0()
                        } else {
                            s == status_2026(o.status)
                        }
                    }))
                && (channels.is_empty()
                    || channels.iter().any(|c| {
                        c == if v0 {
                            o.fulfillment.code()
                        } else if o.fulfillment == Fulfillment::Afn {
                            "AMAZON"
                        } else {
                            "MERCHANT"
                        }
                    }))
        })
        .map(|(i, _)| i)
        .collect();
    if by_update {
        ids.sort_by_key(|&i| (st.seller.orders[i].last_update, i));
    }
    Ok((ids, Some(before), by_update))
}

fn status_2026(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Pending => "PENDING",
        OrderStatus::Unshipped => "UNSHIPPED",
        OrderStatus::Shipped => "SHIPPED",
        OrderStatus::Canceled => "CANCELLED",
    }
}

pub(crate) fn page_size(
    q: &HashMap<String, String>,
    key: &str,
    default: usize,
    max: usize,
) -> Result<usize, Response> {
    match q.get(key) {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| invalid(&format!("{key} must be between 1 and {max}"))),
    }
}

async fn get_orders(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getOrders";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("NextToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let (ids, before, by_update) = match select_orders(&st, &q, true) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let size = match page_size(&q, "MaxResultsPerPage", 100, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let orders: Vec<Value> = chunk
        .iter()
        .map(|&i| as_get_orders_sends(render::order_v0(&st.seller, &st.seller.orders[i])))
        .collect();
    let mut payload = json!({"Orders": orders});
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    payload[if by_update {
        "LastUpdatedBefore"
    } else {
        "CreatedBefore"
    }] = json!(before.map(ts));
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

/// What real getOrders pages do against Amazon's own model: `IsReplacementOrder` comes as the
/// string `"true"`/`"false"`, not a boolean (seen on every page from live seller accounts).
fn as_get_orders_sends(mut order: Value) -> Value {
    if let Some(flag) = order["IsReplacementOrder"].as_bool() {
        order["IsReplacementOrder"] = json!(flag.to_string());
    }
    order
}

pub(crate) fn find_order(st: &StandIn, id: &str) -> Option<usize> {
    st.seller
        .orders
        .iter()
        .position(|o| o.id == id && o.purchase_date <= st.now())
}

async fn get_order_v0(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getOrder";
    let f = guarded!(st, headers, op);
    match find_order(&st, &id) {
        Some(i) => st.respond(
            op,
            StatusCode::OK,
            json!({"payload": render::order_v0(&st.seller, &st.seller.orders[i])}),
            f,
        ),
        None => not_found("Order not found"),
    }
}

async fn get_order_items(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getOrderItems";
    let f = guarded!(st, headers, op);
    match find_order(&st, &id) {
        Some(i) => st.respond(
            op,
            StatusCode::OK,
            render::order_items_v0(&st.seller, &st.seller.orders[i]),
            f,
        ),
        None => not_found("Order not found"),
    }
}

async fn search_orders(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "searchOrders";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("paginationToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let (ids, before, by_update) = match select_orders(&st, &q, false) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let size = match page_size(&q, "maxResultsPerPage", 100, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let included = csv(q.get("includedData"));
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let orders: Vec<Value> = chunk
        .iter()
        .map(|&i| render::order_2026(&st.seller, &st.seller.orders[i], &included))
        .collect();
    let mut body = json!({"orders": orders});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    body[if by_update {
        "lastUpdatedBefore"
    } else {
        "createdBefore"
    }] = json!(before.map(ts));
    st.respond(op, StatusCode::OK, body, f)
}

async fn get_order_2026(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getOrder2026";
    let f = guarded!(st, headers, op);
    match find_order(&st, &id) {
        Some(i) => st.respond(op, StatusCode::OK, json!({"order": render::order_2026(&st.seller, &st.seller.orders[i], &csv(q.get("includedData")))}), f),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Order not found"),
    }
}

/// Transactions posted in `[after, before)` (by posting date), in posting order.
fn posted_between(st: &StandIn, after: DateTime<Utc>, before: DateTime<Utc>) -> Vec<usize> {
    let txs = &st.seller.transactions;
    let start = txs.partition_point(|t| t.posted < after);
    let end = txs.partition_point(|t| t.posted < before);
    (start..end).collect()
}

async fn list_transactions(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listTransactions";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("nextToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let now = st.now();
    let latest = now - Duration::minutes(2);
    let related = q.get("relatedIdentifierName").map(String::as_str);
    let ids: Vec<usize> = match related {
        Some(name) => {
            let Some(value) = q.get("relatedIdentifierValue") else {
                return invalid("relatedIdentifierValue is required with relatedIdentifierName");
            };
            let txs = &st.seller.transactions;
            match name {
                "ORDER_ID" => (0..txs.len())
                    .filter(|&i| {
                        txs[i].order_id.as_deref() == Some(value.as_str())
                            && txs[i].posted <= latest
                    })
                    .collect(),
                "FINANCIAL_EVENT_GROUP_ID" => {
                    match st.seller.settlements.iter().find(|s| &s.group_id == value) {
                        Some(s) => s.transactions.clone(),
                        None => vec![],
                    }
                }
                _ => {
                    return invalid(
                        "relatedIdentifierName must be ORDER_ID or FINANCIAL_EVENT_GROUP_ID",
                    )
                }
            }
        }
        None => {
            let Some(after) = q.get("postedAfter").and_then(|s| parse_time(s)) else {
                return invalid("postedAfter is required (ISO 8601)");
            };
            let before = match q.get("postedBefore") {
                Some(s) => match parse_time(s) {
                    Some(b) if b <= latest && b > after => b,
                    _ => return invalid(
                        "postedBefore must be after postedAfter and at least 2 minutes before now",
                    ),
                },
                None => latest,
            };
            if before - after > Duration::days(180) {
                vec![]
            } else {
                posted_between(&st, after, before)
            }
        }
    };
    let market = q.get("marketplaceId");
    let status = q.get("transactionStatus");
    let ids: Vec<usize> = ids
        .into_iter()
        .filter(|&i| {
            let t = &st.seller.transactions[i];
            let deferred = t.release > now;
            market.is_none_or(|m| m == t.marketplace_id)
                && status.is_none_or(|s| match s.as_str() {
                    "DEFERRED" => deferred,
                    "RELEASED" => !deferred,
                    _ => true,
                })
        })
        .collect();
    let (chunk, next) = page(&ids, offset, 100, &json!(q));
    let transactions: Vec<Value> = chunk
        .iter()
        .map(|&i| render::transaction_2024(&st.seller, &st.seller.transactions[i], now))
        .collect();
    let mut payload = json!({"transactions": transactions});
    if let Some(n) = next {
        payload["nextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

async fn event_groups(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listFinancialEventGroups";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("NextToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let now = st.now();
    let after = q
        .get("FinancialEventGroupStartedAfter")
        .and_then(|s| parse_time(s));
    let before = q
        .get("FinancialEventGroupStartedBefore")
        .and_then(|s| parse_time(s))
        .unwrap_or(now - Duration::minutes(2));
    let size = match page_size(&q, "MaxResultsPerPage", 10, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut ids: Vec<usize> = (0..st.seller.settlements.len())
        .filter(|&i| {
            let s = &st.seller.settlements[i];
            after.is_none_or(|a| s.start >= a) && s.start < before && s.start <= now
        })
        .collect();
    ids.sort_by_key(|&i| (st.seller.settlements[i].start, i));
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let mut payload = json!({"FinancialEventGroupList": chunk.iter().map(|&i| render::event_group_v0(&st.seller.settlements[i])).collect::<Vec<_>>()});
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

fn events_page(
    st: &StandIn,
    op: &str,
    f: Option<FaultKind>,
    ids: Vec<usize>,
    q: &HashMap<String, String>,
    offset: usize,
) -> Response {
    let size = match page_size(q, "MaxResultsPerPage", 100, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let mut events = serde_json::Map::new();
    for &i in &chunk {
        render::add_event_v0(&st.seller, &st.seller.transactions[i], &mut events);
    }
    let mut payload = json!({"FinancialEvents": events});
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

pub(crate) fn restore(
    q: HashMap<String, String>,
    key: &str,
) -> Result<(usize, HashMap<String, String>), Response> {
    match page_token(q.get(key))? {
        Some((o, saved)) => Ok((o, map_of(&saved))),
        None => Ok((0, q)),
    }
}

async fn events(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listFinancialEvents";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "NextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = st.now();
    let Some(after) = q.get("PostedAfter").and_then(|s| parse_time(s)) else {
        return invalid("PostedAfter is required (ISO 8601)");
    };
    let before = q
        .get("PostedBefore")
        .and_then(|s| parse_time(s))
        .unwrap_or(now - Duration::minutes(2));
    if before - after > Duration::days(180) {
        return events_page(&st, op, f, vec![], &q, 0);
    }
    // v0 shows money only once it is released.
    let ids = posted_between(&st, after, before)
        .into_iter()
        .filter(|&i| st.seller.transactions[i].release <= now)
        .collect();
    events_page(&st, op, f, ids, &q, offset)
}

async fn events_by_group(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listFinancialEventsByGroupId";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "NextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    match st.seller.settlements.iter().find(|s| s.group_id == id) {
        Some(s) => events_page(&st, op, f, s.transactions.clone(), &q, offset),
        None => invalid("Invalid event group id"),
    }
}

async fn events_by_order(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "listFinancialEventsByOrderId";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "NextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = st.now();
    let ids = (0..st.seller.transactions.len())
        .filter(|&i| {
            st.seller.transactions[i].order_id.as_deref() == Some(id.as_str())
                && st.seller.transactions[i].release <= now
        })
        .collect();
    events_page(&st, op, f, ids, &q, offset)
}

/// Report types the stand-in can produce on request.
const REQUESTABLE: &[&str] = &[
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
    "GET_FBA_MYI_ALL_INVENTORY_DATA",
    "GET_FBA_REIMBURSEMENTS_DATA",
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
    "GET_LEDGER_DETAIL_VIEW_DATA",
    "GET_LEDGER_SUMMARY_VIEW_DATA",
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
    "GET_MERCHANT_LISTINGS_ALL_DATA",
    "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA",
    "GET_SELLER_FEEDBACK_DATA",
];
const SETTLEMENT: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2";
/// The older settlement layout, still delivered next to V2 (one of each per settlement).
const SETTLEMENT_LEGACY: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateReport {
    report_type: Option<String>,
    marketplace_ids: Option<Vec<String>>,
    data_start_time: Option<String>,
    data_end_time: Option<String>,
}

async fn create_report(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let op = "createReport";
    let f = guarded!(st, headers, op);
    let Ok(spec) = serde_json::from_slice::<CreateReport>(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            "Request body is not a CreateReportSpecification",
        );
    };
    let Some(rt) = spec.report_type else {
        return invalid("reportType is required");
    };
    if rt == SETTLEMENT || rt == SETTLEMENT_LEGACY {
        return invalid("Settlement reports cannot be requested; Amazon creates them");
    }
    if !REQUESTABLE.contains(&rt.as_str()) {
        return invalid(&format!(
            "Report type {rt} is not supported by the stand-in"
        ));
    }
    let markets = spec.marketplace_ids.unwrap_or_default();
    if markets.is_empty()
        || markets.len() > 25
        || markets
            .iter()
            .any(|m| !st.seller.marketplaces.iter().any(|x| x.id == m))
    {
        return invalid("marketplaceIds must name 1 to 25 marketplaces the seller participates in");
    }
    let start = spec.data_start_time.as_deref().and_then(parse_time);
    let end = spec.data_end_time.as_deref().and_then(parse_time);
    let now = st.now();
    let outcome = st.report_outcome_fault().unwrap_or("DONE");
    let id = format!("{}", 50_000_000_000u64 + st.next_id());
    st.inner.lock().expect("state").reports.push(Report {
        id: id.clone(),
        report_type: rt,
        marketplace_ids: markets,
        start,
        end,
        created: now,
        outcome,
        document: None,
        cancelled: false,
    });
    st.respond(op, StatusCode::ACCEPTED, json!({"reportId": id}), f)
}

/// Processing takes 30 simulated seconds in queue and 60 in progress.
fn report_status(r: &Report, now: DateTime<Utc>) -> &'static str {
    if r.cancelled {
        "CANCELLED"
    } else if now < r.created + Duration::seconds(30) {
        "IN_QUEUE"
    } else if now < r.created + Duration::seconds(90) {
        "IN_PROGRESS"
    } else {
        r.outcome
    }
}

fn settlement_reports(st: &StandIn) -> Vec<Report> {
    let now = st.now();
    st.seller
        .settlements
        .iter()
        .filter(|s| {
            s.closed
                && s.deposit_date
                    .is_some_and(|d| d <= now && d > now - Duration::days(90))
        })
        .flat_map(|s| {
            let report = |prefix: &str, report_type: &str, doc: &str| Report {
                id: format!("{prefix}{}", s.id),
                report_type: report_type.into(),
                marketplace_ids: vec![s.marketplace_id.to_string()],
                start: Some(s.start),
                end: Some(s.end),
                created: s.deposit_date.expect("closed"),
                outcome: "DONE",
                document: Some(format!("amzn1.spdoc.{doc}.{}", s.id)),
                cancelled: false,
            };
            [
                report("S", SETTLEMENT, "settlement"),
                report("L", SETTLEMENT_LEGACY, "settlement-legacy"),
            ]
        })
        .collect()
}

fn report_json(r: &Report, now: DateTime<Utc>) -> Value {
    let status = report_status(r, now);
    let mut v = json!({"reportId": r.id, "reportType": r.report_type, "marketplaceIds": r.marketplace_ids, "createdTime": ts(r.created), "processingStatus": status});
    if let Some(s) = r.start {
        v["dataStartTime"] = json!(ts(s));
    }
    if let Some(e) = r.end {
        v["dataEndTime"] = json!(ts(e));
    }
    if status != "IN_QUEUE" {
        v["processingStartTime"] = json!(ts(r.created + Duration::seconds(30)));
    }
    if matches!(status, "DONE" | "FATAL" | "CANCELLED") && !r.cancelled {
        v["processingEndTime"] = json!(ts(r.created + Duration::seconds(90)));
    }
    if status == "DONE"
        || (status == "FATAL" && r.report_type != SETTLEMENT && r.report_type != SETTLEMENT_LEGACY)
    {
        v["reportDocumentId"] = json!(r
            .document
            .clone()
            .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id)));
    }
    v
}

fn all_reports(st: &StandIn) -> Vec<Report> {
    let mut all = settlement_reports(st);
    all.extend(st.inner.lock().expect("state").reports.iter().cloned());
    all
}

async fn get_report(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getReport";
    let f = guarded!(st, headers, op);
    let now = st.now();
    match all_reports(&st).iter().find(|r| r.id == id) {
        Some(r) => st.respond(op, StatusCode::OK, report_json(r, now), f),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Report not found"),
    }
}

async fn cancel_report(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "cancelReport";
    let f = guarded!(st, headers, op);
    let now = st.now();
    let mut i = st.inner.lock().expect("state");
    match i.reports.iter_mut().find(|r| r.id == id) {
        Some(r) if report_status(r, now) == "IN_QUEUE" => {
            r.cancelled = true;
            drop(i);
            let mut res = st.respond(op, StatusCode::OK, json!({}), f);
            *res.body_mut() = Body::empty();
            res
        }
        Some(_) => invalid("Only reports still IN_QUEUE can be cancelled"),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Report not found"),
    }
}

async fn get_reports(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getReports";
    let f = guarded!(st, headers, op);
    if q.contains_key("nextToken") && q.len() > 1 {
        return invalid("nextToken must be the only parameter");
    }
    let (offset, q) = match restore(q, "nextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    let types = csv(q.get("reportTypes"));
    if types.is_empty() || types.len() > 10 {
        return invalid("reportTypes must name 1 to 10 report types");
    }
    let now = st.now();
    let statuses = csv(q.get("processingStatuses"));
    let markets = csv(q.get("marketplaceIds"));
    let since = q
        .get("createdSince")
        .and_then(|s| parse_time(s))
        .unwrap_or(now - Duration::days(90));
    let until = q
        .get("createdUntil")
        .and_then(|s| parse_time(s))
        .unwrap_or(now);
    let size = match page_size(&q, "pageSize", 10, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut list: Vec<Report> = all_reports(&st)
        .into_iter()
        .filter(|r| {
            types.contains(&r.report_type)
                && (statuses.is_empty() || statuses.iter().any(|s| s == report_status(r, now)))
                && (markets.is_empty() || r.marketplace_ids.iter().any(|m| markets.contains(m)))
                && r.created >= since
                && r.created <= until
        })
        .collect();
    list.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let (chunk, next) = page(&list, offset, size, &json!(q));
    let mut body =
        json!({"reports": chunk.iter().map(|r| report_json(r, now)).collect::<Vec<_>>()});
    if let Some(n) = next {
        body["nextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, body, f)
}

/// Renders and stores a report's document (gzip) on first request.
fn document_for(st: &StandIn, r: &Report) -> Option<String> {
    let doc = r
        .document
        .clone()
        .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id));
    if st.inner.lock().expect("state").documents.contains_key(&doc) {
        return Some(doc);
    }
    let s = &st.seller;
    let mid = r.marketplace_ids.first()?.as_str();
    let from = r.start.unwrap_or(st.now() - Duration::days(30));
    let to = r.end.unwrap_or(st.now());
    let file = match r.report_type.as_str() {
        SETTLEMENT => render::settlement_file(
            s,
            s.settlements
                .iter()
                .find(|x| format!("S{}", x.id) == r.id)?,
        ),
        SETTLEMENT_LEGACY => render::settlement_file_legacy(
            s,
            s.settlements
                .iter()
                .find(|x| format!("L{}", x.id) == r.id)?,
        ),
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL" => {
            render::all_orders_file(s, mid, from, to, false)
        }
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL" => {
            render::all_orders_file(s, mid, from, to, true)
        }
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA" | "GET_FBA_MYI_ALL_INVENTORY_DATA" => {
            render::inventory_file(s, mid)
        }
        "GET_LEDGER_SUMMARY_VIEW_DATA" => render::ledger_summary_file(s, mid, from, to),
        "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL" => {
            render::fulfilled_shipments_file(s, mid, from, to)
        }
        "GET_FBA_REIMBURSEMENTS_DATA" => render::reimbursements_file(s, mid, from, to),
        "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA" => render::returns_file(s, mid, from, to),
        "GET_LEDGER_DETAIL_VIEW_DATA" => render::ledger_file(s, mid, from, to),
        "GET_MERCHANT_LISTINGS_ALL_DATA" => render::listings_file(s, mid),
        "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA" => render::fee_preview_file(s, mid),
        "GET_SELLER_FEEDBACK_DATA" => render::feedback_file(s, mid, from, to),
        _ => return None,
    };
    let bytes = if r.outcome == "FATAL" {
        json!({"errorDetails": "The report could not be generated."})
            .to_string()
            .into_bytes()
    } else {
        file.bytes()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).ok()?;
    let compressed = gz.finish().ok()?;
    // UTF-8 files often come with no charset at all (EU all-orders): that must not be read
    // as Windows-1252.
    let content_type = if file.encoding == encoding_rs::UTF_8 && r.report_type.contains("ORDER") {
        "text/tab-separated-values".to_string()
    } else {
        format!("text/tab-separated-values;charset={}", file.encoding.name())
    };
    st.inner
        .lock()
        .expect("state")
        .documents
        .insert(doc.clone(), (compressed, content_type));
    Some(doc)
}

async fn get_report_document(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getReportDocument";
    let f = guarded!(st, headers, op);
    let now = st.now();
    let found = all_reports(&st).into_iter().find(|r| {
        r.document
            .clone()
            .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id))
            == id
            && matches!(report_status(r, now), "DONE" | "FATAL")
    });
    let Some(r) = found else {
        return err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Report document not found",
        );
    };
    let Some(doc) = document_for(&st, &r) else {
        return err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Report document not found",
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let expires = (now + Duration::minutes(5)).timestamp();
    let url = format!("http://{host}/_documents/{doc}?expires={expires}");
    st.respond(
        op,
        StatusCode::OK,
        json!({"reportDocumentId": doc, "url": url, "compressionAlgorithm": "GZIP"}),
        f,
    )
}

#[derive(Deserialize)]
struct DownloadQuery {
    expires: Option<i64>,
}

/// The "presigned S3 URL": gzip bytes with the file's charset, for five minutes.
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
    let doc = st.inner.lock().expect("state").documents.get(&id).cloned();
    match doc {
        Some((bytes, content_type)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
    }
}

async fn inventory_summaries(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getInventorySummaries";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "nextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    if q.get("granularityType").map(String::as_str) != Some("Marketplace") {
        return invalid("granularityType must be Marketplace");
    }
    let Some(mid) = q.get("granularityId").cloned() else {
        return invalid("granularityId is required");
    };
    if csv(q.get("marketplaceIds")) != vec![mid.clone()] {
        return invalid("marketplaceIds must be exactly the granularityId marketplace");
    }
    let details = q.get("details").map(String::as_str) == Some("true");
    let skus = csv(q.get("sellerSkus"));
    let s = &st.seller;
    let rows: Vec<usize> = (0..s.inventory.len())
        .filter(|&i| {
            s.inventory[i].marketplace_id == mid
                && (skus.is_empty() || skus.contains(&s.products[s.inventory[i].product].sku))
        })
        .collect();
    let (chunk, next) = page(&rows, offset, 50, &json!(q));
    let now = st.now();
    let summaries: Vec<Value> = chunk
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let inv = &s.inventory[i];
            let p = &s.products[inv.product];
            let total = inv.fulfillable + inv.unfulfillable + inv.reserved + inv.researching + inv.inbound_working + inv.inbound_shipped + inv.inbound_receiving;
            // Real pages send `"lastUpdatedTime": ""` for summaries Amazon has no update time
            // for; here, every other summary of a page (so each page has both kinds).
            let updated = if n % 2 == 0 { ts(now) } else { String::new() };
            let mut v = json!({"asin": p.asin, "fnSku": p.fnsku, "sellerSku": p.sku, "condition": "NewItem", "lastUpdatedTime": updated, "productName": p.title, "totalQuantity": total});
            if details {
                v["inventoryDetails"] = json!({
                    "fulfillableQuantity": inv.fulfillable, "inboundWorkingQuantity": inv.inbound_working, "inboundShippedQuantity": inv.inbound_shipped,
                    "inboundReceivingQuantity": inv.inbound_receiving,
                    "reservedQuantity": {"totalReservedQuantity": inv.reserved, "pendingCustomerOrderQuantity": inv.reserved, "pendingTransshipmentQuantity": 0, "fcProcessingQuantity": 0},
                    "researchingQuantity": {"totalResearchingQuantity": inv.researching, "researchingQuantityBreakdown": [{"name": "researchingQuantityInShortTerm", "quantity": inv.researching}]},
                    "unfulfillableQuantity": {"totalUnfulfillableQuantity": inv.unfulfillable, "customerDamagedQuantity": inv.unfulfillable, "warehouseDamagedQuantity": 0, "distributorDamagedQuantity": 0, "carrierDamagedQuantity": 0, "defectiveQuantity": 0, "expiredQuantity": 0},
                });
            }
            v
        })
        .collect();
    let mut body = json!({"payload": {"granularity": {"granularityType": "Marketplace", "granularityId": mid}, "inventorySummaries": summaries}});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    st.respond(op, StatusCode::OK, body, f)
}

async fn restricted_data_token(
    State(st): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let op = "createRestrictedDataToken";
    let f = guarded!(st, headers, op);
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let ok = req["restrictedResources"].as_array().is_some_and(|rs| {
        !rs.is_empty()
            && rs.len() <= 50
            && rs.iter().all(|r| {
                ["GET", "PUT", "POST", "DELETE"].contains(&r["method"].as_str().unwrap_or_default())
                    && r["path"].as_str().is_some_and(|p| p.starts_with('/'))
            })
    });
    if !ok {
        return err(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Request is missing or has invalid parameters",
        );
    }
    let t = st.mint_token("Atz.sprdt|stand-in-", false, Duration::seconds(3600));
    st.respond(
        op,
        StatusCode::OK,
        json!({"restrictedDataToken": t, "expiresIn": 3600}),
        f,
    )
}

/// Whether a review may be requested now: shipped, inside the window of 5 days after the
/// earliest to 30 days after the latest delivery date, and not requested before.
fn solicitable(st: &StandIn, order_id: &str) -> Result<bool, Response> {
    let i = find_order(st, order_id).ok_or_else(|| not_found("Order not found"))?;
    let o = &st.seller.orders[i];
    let now = st.now();
    let sent = st
        .inner
        .lock()
        .expect("state")
        .solicited
        .contains_key(order_id);
    Ok(o.status == OrderStatus::Shipped
        && !sent
        && now >= o.earliest_delivery + Duration::days(5)
        && now <= o.latest_delivery + Duration::days(30))
}

async fn solicitation_actions(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let op = "getSolicitationActionsForOrder";
    let f = guarded!(st, headers, op);
    let q = raw.unwrap_or_default();
    if !q.contains("marketplaceIds=") {
        return invalid("marketplaceIds is required");
    }
    let available = match solicitable(&st, &id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let actions: Vec<Value> = if available {
        vec![
            json!({"href": format!("/solicitations/v1/orders/{id}/solicitations/productReviewAndSellerFeedback?{q}"), "name": "productReviewAndSellerFeedback"}),
        ]
    } else {
        vec![]
    };
    st.respond(op, StatusCode::OK, json!({"_links": {"actions": actions, "self": {"href": format!("/solicitations/v1/orders/{id}?{q}")}}}), f)
}

async fn solicit(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let op = "createProductReviewAndSellerFeedbackSolicitation";
    let f = guarded!(st, headers, op);
    if !raw.unwrap_or_default().contains("marketplaceIds=") {
        return invalid("marketplaceIds is required");
    }
    match solicitable(&st, &id) {
        Ok(true) => {
            st.inner.lock().expect("state").solicited.insert(id, st.now());
            st.respond(op, StatusCode::CREATED, json!({}), f)
        }
        Ok(false) => err(StatusCode::FORBIDDEN, "Unauthorized", "The solicitation is not available for this order (outside the allowed window or already sent)"),
        Err(r) => r,
    }
}

async fn control_stats(State(st): State<Shared>) -> Response {
    let clock = st.clock.lock().expect("clock").clone();
    Json(json!({"operations": st.stats(), "now": ts(clock.now()), "simulatedElapsedSeconds": clock.elapsed().num_milliseconds() as f64 / 1000.0})).into_response()
}

async fn control_clock(State(st): State<Shared>) -> Response {
    Json(json!({"now": ts(st.now())})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    seconds: i64,
}

async fn control_advance(State(st): State<Shared>, Json(a): Json<Advance>) -> Response {
    st.advance(Duration::seconds(a.seconds));
    Json(json!({"now": ts(st.now())})).into_response()
}

async fn control_fault(State(st): State<Shared>, Json(rule): Json<FaultRule>) -> Response {
    st.add_fault(rule);
    StatusCode::NO_CONTENT.into_response()
}

async fn control_clear_faults(State(st): State<Shared>) -> Response {
    st.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn control_ground_truth(State(st): State<Shared>) -> Response {
    Json(st.ground_truth().to_json()).into_response()
}

async fn control_refresh_token(State(st): State<Shared>) -> Response {
    Json(json!({"refreshToken": st.issue_refresh_token(), "sellingPartnerId": st.seller.seller_id}))
        .into_response()
}

async fn control_revoke(State(st): State<Shared>) -> Response {
    st.revoke_refresh_tokens();
    StatusCode::NO_CONTENT.into_response()
}

/// Payout check used by tests and the CLI: closed settlements whose total differs from the
/// sum of their transactions.
pub fn unbalanced_settlements(seller: &Seller) -> Vec<String> {
    seller
        .settlements
        .iter()
        .filter(|s| {
            s.transactions
                .iter()
                .map(|&i| seller.transactions[i].total())
                .sum::<rust_decimal::Decimal>()
                != s.total
        })
        .map(|s| s.id.clone())
        .collect()
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
