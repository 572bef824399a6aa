//! The one request executor of the SP-API and the Ads API: rate limits shared through the
//! store, LWA tokens (refreshed once when Amazon refuses one), retries with exponential backoff
//! and full jitter for 429, 5xx, timeouts and broken bodies, a typed "retry later" instead of
//! sleeping past the invocation's deadline, and Amazon's request ids in the logs.
//!
//! Callers do not build requests: the typed methods of [`super::operations`] and
//! [`super::ads`] take their operation from the [`super::catalogue`].

use super::backoff::{wait_within, Backoff};
use super::catalogue::{Api, Auth, Operation, UsagePlan};
use super::error::AmazonError;
use super::limiter::RateLimiter;
use super::lwa::TokenProvider;
use crate::ports::Pacer;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Who a call acts for and until when it may wait: the one context of every SP-API and Ads
/// call.
#[derive(Clone)]
pub struct Context {
    /// Our id of the connection (the token cache key).
    pub connection: String,
    /// Amazon's selling partner id: the key of the seller's usage plans. Ads calls are
    /// limited per profile and do not use it.
    pub partner: String,
    /// The refresh token of the seller's (or advertiser's) consent.
    pub refresh_token: SecretString,
    /// The latest instant a call may still be waiting (the invocation's deadline, minus the
    /// time the job needs to save its progress).
    pub deadline: DateTime<Utc>,
}

impl Context {
    pub fn new(
        connection: impl Into<String>,
        partner: impl Into<String>,
        refresh_token: SecretString,
        deadline: DateTime<Utc>,
    ) -> Self {
        Self {
            connection: connection.into(),
            partner: partner.into(),
            refresh_token,
            deadline,
        }
    }

    /// The same connection with another deadline.
    pub fn until(&self, deadline: DateTime<Utc>) -> Self {
        Self {
            deadline,
            ..self.clone()
        }
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("connection", &self.connection)
            .field("partner", &self.partner)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Attempts per call for server errors, transport failures and refused tokens.
const MAX_ATTEMPTS: u32 = 8;
/// 429 answers a call accepts before giving up (each waits `Retry-After` or a backoff).
const MAX_THROTTLED: u32 = 30;

/// The token bucket a request draws from.
pub(crate) struct Bucket {
    pub key: String,
    pub name: String,
    pub plan: UsagePlan,
}

/// One request, as the typed methods build it from a catalogued operation.
pub(crate) struct Request<'a> {
    pub op: &'static Operation,
    pub base_url: &'a str,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The body and its media type.
    pub body: Option<(Vec<u8>, &'static str)>,
    pub accept: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub bucket: Bucket,
}

/// Decodes a response body into its model. A body that is not whole JSON (truncated, cut
/// off) is worth asking again; JSON of another shape is an error that names the operation and
/// the field path that failed (`payload.Orders[3].OrderTotal.Amount: …`).
fn decode<T: DeserializeOwned>(op: &Operation, bytes: &[u8]) -> Result<T, Decoded> {
    let body: &[u8] = if bytes.is_empty() { b"null" } else { bytes };
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return Err(Decoded::Broken);
    }
    super::models::decode(body).map_err(|e| {
        Decoded::Unexpected(AmazonError::Dependency(format!(
            "unexpected {} response at {}: {}",
            op.name, e.path, e.message
        )))
    })
}

enum Decoded {
    /// The body is well-formed JSON of another shape: a bug or a model change, not retried.
    Unexpected(AmazonError),
    /// Truncated or not JSON: worth asking again.
    Broken,
}

/// The human part of an error body: SP-API's `errors[0].message`, or the Ads API's
/// `message`, `detail` or `details`.
fn error_message(bytes: &[u8]) -> String {
    let body: Value = serde_json::from_slice(bytes).unwrap_or_default();
    body["errors"][0]["message"]
        .as_str()
        .or_else(|| {
            ["message", "detail", "details", "error_description"]
                .iter()
                .find_map(|k| body.get(*k).and_then(Value::as_str))
        })
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned())
}

/// The wait a 429 asked for: `Retry-After` in seconds, or as an HTTP date.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<chrono::Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Some(chrono::Duration::milliseconds(
            (secs.max(0.0) * 1000.0).ceil() as i64,
        ));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).max(chrono::Duration::zero()))
}

#[derive(Debug)]
enum Retry {
    Now,
    Throttled(Option<chrono::Duration>),
    Server(u16, String),
    Transport(String),
}

/// Sends requests: the part the SP-API and the Ads API share.
pub struct Executor {
    http: reqwest::Client,
    tokens: Arc<TokenProvider>,
    limiter: Arc<RateLimiter>,
    pacer: Arc<dyn Pacer>,
    user_agent: String,
}

impl Executor {
    pub fn new(
        http: reqwest::Client,
        tokens: Arc<TokenProvider>,
        limiter: Arc<RateLimiter>,
        pacer: Arc<dyn Pacer>,
    ) -> Self {
        Self {
            http,
            tokens,
            limiter,
            pacer,
            // Amazon asks for `AppName/version (Language=...; Platform=...)`.
            user_agent: format!(
                "Beddora/{} (Language=Rust; Platform={})",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS
            ),
        }
    }

    pub fn pacer(&self) -> &Arc<dyn Pacer> {
        &self.pacer
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn token_key(op: &Operation, ctx: &Context) -> String {
        match op.api {
            Api::SellingPartner => ctx.connection.clone(),
            Api::Ads => format!("ads:{}", ctx.connection),
        }
    }

    async fn token(&self, op: &Operation, ctx: &Context) -> Result<SecretString, AmazonError> {
        Ok(match op.auth {
            Auth::Connection => {
                self.tokens
                    .access_token_until(&Self::token_key(op, ctx), &ctx.refresh_token, ctx.deadline)
                    .await?
                    .token
            }
            Auth::Grantless(scope) => self.tokens.grantless_cached(scope).await?.token,
        })
    }

    async fn forget_token(&self, op: &Operation, ctx: &Context) -> Result<(), AmazonError> {
        match op.auth {
            Auth::Connection => self.tokens.invalidate(&Self::token_key(op, ctx)).await,
            Auth::Grantless(scope) => self.tokens.invalidate_grantless(scope),
        }
    }

    /// Sends the request, retrying what is worth retrying; the decoded body on success.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        req: &Request<'_>,
    ) -> Result<T, AmazonError> {
        let op = req.op;
        // A refused token: SP-API says 403, the Ads API 401.
        let refused = match op.api {
            Api::SellingPartner => 403,
            Api::Ads => 401,
        };
        let (mut attempts, mut throttled, mut refreshed) = (0u32, 0u32, false);
        // Amazon's id of the last response, for support cases and for matching logs.
        let mut request_id = String::new();
        loop {
            // The token first: a bucket token must be spent at once, not held through a wait
            // for another process's refresh (Amazon's bucket would refill less meanwhile).
            let token = self.token(op, ctx).await?;
            if let Err(wait) = self
                .limiter
                .acquire(
                    &req.bucket.key,
                    &req.bucket.name,
                    req.bucket.plan.rate,
                    f64::from(req.bucket.plan.burst),
                )
                .await?
            {
                wait_within(self.pacer.as_ref(), wait, ctx.deadline).await?;
                continue;
            }
            attempts += 1;
            let mut rb = self
                .http
                .request(
                    op.method.as_reqwest(),
                    format!("{}{}", req.base_url, req.path),
                )
                .query(&req.query)
                .header(USER_AGENT, &self.user_agent)
                .header(ACCEPT, req.accept)
                .timeout(std::time::Duration::from_secs(30));
            rb = match op.api {
                Api::SellingPartner => rb.header("x-amz-access-token", token.expose_secret()),
                Api::Ads => rb.bearer_auth(token.expose_secret()),
            };
            for (name, value) in &req.headers {
                rb = rb.header(*name, value);
            }
            if let Some((body, media)) = &req.body {
                rb = rb.header(CONTENT_TYPE, *media).body(body.clone());
            }
            let next = match rb.send().await {
                Err(e) => Retry::Transport(e.without_url().to_string()),
                Ok(res) => {
                    let status = res.status().as_u16();
                    request_id = res
                        .headers()
                        .get("x-amzn-RequestId")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let after = retry_after(res.headers(), self.pacer.now());
                    if let Some(rate) = res
                        .headers()
                        .get("x-amzn-RateLimit-Limit")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<f64>().ok())
                    {
                        self.limiter
                            .observe(&req.bucket.key, &req.bucket.name, rate)
                            .await?;
                    }
                    match res.bytes().await {
                        Err(e) => {
                            Retry::Transport(format!("body read failed: {}", e.without_url()))
                        }
                        Ok(bytes) => {
                            tracing::debug!(
                                operation = op.name,
                                status,
                                request_id,
                                attempts,
                                "amazon response"
                            );
                            match status {
                                200..=299 => match decode::<T>(op, &bytes) {
                                    Ok(v) => return Ok(v),
                                    Err(Decoded::Unexpected(e)) => return Err(e),
                                    Err(Decoded::Broken) => {
                                        Retry::Transport("malformed or truncated JSON body".into())
                                    }
                                },
                                429 => {
                                    self.limiter
                                        .drain(&req.bucket.key, &req.bucket.name)
                                        .await?;
                                    Retry::Throttled(after)
                                }
                                s if s == refused && !refreshed => {
                                    // Refresh once, then believe Amazon.
                                    refreshed = true;
                                    self.forget_token(op, ctx).await?;
                                    Retry::Now
                                }
                                401 | 403 => {
                                    return Err(AmazonError::Forbidden(error_message(&bytes)))
                                }
                                404 => return Err(AmazonError::NotFound(error_message(&bytes))),
                                500..=599 => Retry::Server(status, error_message(&bytes)),
                                s => {
                                    return Err(AmazonError::InvalidInput {
                                        status: s,
                                        message: error_message(&bytes),
                                    })
                                }
                            }
                        }
                    }
                }
            };
            let wait = match next {
                Retry::Now => continue,
                Retry::Throttled(after) => {
                    // A throttled call was not served: it spends the throttle budget only.
                    attempts -= 1;
                    throttled += 1;
                    if throttled >= MAX_THROTTLED {
                        tracing::warn!(operation = op.name, throttled, %request_id, "amazon call gave up throttled");
                        return Err(AmazonError::Throttled {
                            attempts: attempts + throttled,
                        });
                    }
                    tracing::info!(operation = op.name, throttled, %request_id, "amazon call throttled");
                    after.unwrap_or_else(|| Backoff::RETRY.delay(throttled))
                }
                other if attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(operation = op.name, attempts, %request_id, "amazon call gave up");
                    return Err(match other {
                        Retry::Server(status, message) => AmazonError::Server {
                            status,
                            message,
                            attempts,
                        },
                        Retry::Transport(message) => AmazonError::Transport { message, attempts },
                        _ => AmazonError::Forbidden("token refused".into()),
                    });
                }
                other => {
                    tracing::info!(operation = op.name, attempts, %request_id, reason = ?other, "amazon call retried");
                    Backoff::RETRY.delay(attempts)
                }
            };
            wait_within(self.pacer.as_ref(), wait, ctx.deadline).await?;
        }
    }
}

/// The JSON text of a request body.
pub(crate) fn json_body<B: Serialize>(body: &B) -> Result<Vec<u8>, AmazonError> {
    serde_json::to_vec(body).map_err(|e| AmazonError::Dependency(format!("request body: {e}")))
}

/// Query parameters from a parameters struct: its serde names, values as text, lists joined
/// with commas (Amazon's `style: form, explode: false`); absent values and empty lists are
/// left out.
pub(crate) fn query_of<P: Serialize>(params: &P) -> Result<Vec<(String, String)>, AmazonError> {
    let value = serde_json::to_value(params)
        .map_err(|e| AmazonError::Dependency(format!("query parameters: {e}")))?;
    let Value::Object(fields) = value else {
        return Ok(vec![]);
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(fields
        .into_iter()
        .filter_map(|(k, v)| match &v {
            Value::Null => None,
            Value::Array(items) if items.is_empty() => None,
            Value::Array(items) => Some((k, items.iter().map(text).collect::<Vec<_>>().join(","))),
            other => Some((k, text(other))),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amazon::catalogue;
    use crate::amazon::models::orders_v0::GetOrdersResponse;

    fn get_orders() -> &'static Operation {
        catalogue::by_key("orders_v0.getOrders").expect("getOrders is catalogued")
    }

    #[test]
    fn a_body_of_the_wrong_shape_names_the_field_path() {
        let body = br#"{"payload":{"Orders":[{"AmazonOrderId":"1","PurchaseDate":"2026-01-01T00:00:00Z","LastUpdateDate":"2026-01-01T00:00:00Z","OrderStatus":"Shipped"},{"AmazonOrderId":"2","PurchaseDate":"2026-01-01T00:00:00Z","LastUpdateDate":"2026-01-01T00:00:00Z","OrderStatus":"Shipped","OrderTotal":{"CurrencyCode":"USD","Amount":"ten"}}]}}"#;
        match decode::<GetOrdersResponse>(get_orders(), body) {
            Err(Decoded::Unexpected(AmazonError::Dependency(m))) => {
                assert!(m.contains("getOrders"), "{m}");
                assert!(m.contains("payload.Orders[1].OrderTotal.Amount"), "{m}");
            }
            Err(Decoded::Broken) => panic!("well-formed JSON is not a broken body"),
            Err(Decoded::Unexpected(e)) => panic!("unexpected error {e:?}"),
            Ok(_) => panic!("an amount of \"ten\" must not decode"),
        }
    }

    #[test]
    fn a_truncated_body_is_broken_and_worth_asking_again() {
        let body = br#"{"payload":{"Orders":[{"AmazonOrderId":"1","Purcha"#;
        assert!(matches!(
            decode::<GetOrdersResponse>(get_orders(), body),
            Err(Decoded::Broken)
        ));
    }
}
