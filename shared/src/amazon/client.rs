//! The SP-API request executor: per-seller rate limits shared through the store, LWA tokens,
//! retries with exponential backoff and full jitter for 429, 5xx, timeouts and broken bodies,
//! a refresh on a refused token, and a typed "retry later" instead of sleeping past the
//! invocation's deadline.

use super::error::AmazonError;
use super::limiter::RateLimiter;
use super::lwa::TokenProvider;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::sync::Arc;

/// Time for the client: what "now" is and how to wait. Production sleeps; tests can move a
/// virtual clock instead.
#[async_trait]
pub trait Pacer: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    async fn sleep(&self, d: Duration);
}

/// Wall-clock time and real sleeps.
pub struct SystemPacer;

#[async_trait]
impl Pacer for SystemPacer {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d.to_std().unwrap_or_default()).await;
    }
}

/// Waits `d` if that ends by `deadline`; otherwise fails with `RetryLater` at once.
pub(crate) async fn wait_within(
    pacer: &dyn Pacer,
    d: Duration,
    deadline: DateTime<Utc>,
) -> Result<(), AmazonError> {
    let at = pacer.now() + d;
    if at > deadline {
        return Err(AmazonError::RetryLater { at });
    }
    pacer.sleep(d).await;
    Ok(())
}

/// Attempts per call (a throttled call waiting for its bucket does not count).
const MAX_ATTEMPTS: u32 = 8;

/// One SP-API call.
pub struct Call<'a> {
    /// Our id of the seller connection (token cache key).
    pub connection: &'a str,
    /// Amazon's selling partner id (rate-limit key).
    pub seller: &'a str,
    pub refresh_token: &'a SecretString,
    /// The model's operation name and its documented usage plan.
    pub operation: &'static str,
    pub rate: f64,
    pub burst: f64,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The latest instant the call may still be waiting (the invocation's deadline, minus
    /// the time the job needs to save its progress).
    pub deadline: DateTime<Utc>,
}

pub struct SpApi {
    http: reqwest::Client,
    base_url: String,
    tokens: Arc<TokenProvider>,
    limiter: Arc<RateLimiter>,
    pacer: Arc<dyn Pacer>,
    user_agent: String,
}

/// Full-jitter exponential backoff: a random wait up to 0.5 s x 2^attempt, capped at 30 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let cap = (500i64 << attempt.min(6)).min(30_000);
    Duration::milliseconds(rand::thread_rng().gen_range(cap / 4..=cap))
}

impl SpApi {
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        tokens: Arc<TokenProvider>,
        limiter: Arc<RateLimiter>,
        pacer: Arc<dyn Pacer>,
    ) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_string(),
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

    async fn wait(&self, d: Duration, deadline: DateTime<Utc>) -> Result<(), AmazonError> {
        wait_within(self.pacer.as_ref(), d, deadline).await
    }

    /// Sends the call, retrying what is worth retrying; the JSON body on success.
    pub async fn send(&self, call: &Call<'_>) -> Result<Value, AmazonError> {
        let mut attempt = 0u32;
        let mut refreshed = false;
        // Amazon's id of the last response, for support cases and for matching logs.
        let mut last_request_id = String::new();
        loop {
            match self
                .limiter
                .acquire(call.seller, call.operation, call.rate, call.burst)
                .await?
            {
                Ok(()) => {}
                Err(wait) => {
                    self.wait(wait, call.deadline).await?;
                    continue;
                }
            }
            attempt += 1;
            let token = self
                .tokens
                .access_token(call.connection, call.refresh_token)
                .await?;
            let mut req = self
                .http
                .request(
                    call.method.clone(),
                    format!("{}{}", self.base_url, call.path),
                )
                .query(&call.query)
                .header("x-amz-access-token", token.token.expose_secret())
                .header("user-agent", &self.user_agent)
                .timeout(std::time::Duration::from_secs(30));
            if let Some(b) = &call.body {
                req = req.json(b);
            }
            let outcome = req.send().await;
            let next = match outcome {
                Err(e) => Retry::Transport(e.without_url().to_string()),
                Ok(res) => {
                    let status = res.status().as_u16();
                    let request_id = res
                        .headers()
                        .get("x-amzn-RequestId")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    last_request_id.clone_from(&request_id);
                    if let Some(rate) = res
                        .headers()
                        .get("x-amzn-RateLimit-Limit")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<f64>().ok())
                    {
                        self.limiter
                            .observe(call.seller, call.operation, rate)
                            .await?;
                    }
                    match res.bytes().await {
                        Err(e) => {
                            Retry::Transport(format!("body read failed: {}", e.without_url()))
                        }
                        Ok(bytes) => {
                            let body: Option<Value> = if bytes.is_empty() {
                                Some(Value::Null)
                            } else {
                                serde_json::from_slice(&bytes).ok()
                            };
                            let message = body
                                .as_ref()
                                .and_then(|b| b["errors"][0]["message"].as_str())
                                .unwrap_or_default()
                                .to_string();
                            tracing::debug!(
                                operation = call.operation,
                                status,
                                request_id,
                                attempt,
                                "sp-api response"
                            );
                            match (status, body) {
                                (200..=299, Some(b)) => return Ok(b),
                                (200..=299, None) => {
                                    Retry::Transport("malformed or truncated JSON body".into())
                                }
                                (429, _) => {
                                    self.limiter.drain(call.seller, call.operation).await?;
                                    Retry::Throttled
                                }
                                (403, _) if !refreshed => {
                                    // A refused token: refresh once, then believe Amazon.
                                    refreshed = true;
                                    self.tokens.invalidate(call.connection).await?;
                                    Retry::Now
                                }
                                (401 | 403, _) => return Err(AmazonError::Forbidden(message)),
                                (404, _) => return Err(AmazonError::NotFound(message)),
                                (500..=599, _) => Retry::Server(status, message),
                                (s, _) => {
                                    return Err(AmazonError::InvalidInput { status: s, message })
                                }
                            }
                        }
                    }
                }
            };
            if attempt >= MAX_ATTEMPTS {
                tracing::warn!(
                    operation = call.operation,
                    attempts = attempt,
                    request_id = %last_request_id,
                    "sp-api call gave up"
                );
                return Err(match next {
                    Retry::Throttled => AmazonError::Throttled { attempts: attempt },
                    Retry::Server(status, message) => AmazonError::Server {
                        status,
                        message,
                        attempts: attempt,
                    },
                    Retry::Transport(message) => AmazonError::Transport {
                        message,
                        attempts: attempt,
                    },
                    Retry::Now => AmazonError::Forbidden("token refused".into()),
                });
            }
            if !matches!(next, Retry::Now) {
                tracing::info!(operation = call.operation, attempt, request_id = %last_request_id, reason = ?next, "sp-api call retried");
                self.wait(backoff(attempt), call.deadline).await?;
            }
        }
    }
}

impl SpApi {
    /// A Restricted Data Token for operations that return PII (`createRestrictedDataToken`);
    /// use it as the access token of those calls, within `expiresIn`.
    pub async fn restricted_data_token(
        &self,
        call_context: &Call<'_>,
        resources: &[(&str, &str, &[&str])],
    ) -> Result<(SecretString, i64), AmazonError> {
        let body = serde_json::json!({"restrictedResources": resources.iter().map(|(method, path, elements)| {
            let mut r = serde_json::json!({"method": method, "path": path});
            if !elements.is_empty() {
                r["dataElements"] = serde_json::json!(elements);
            }
            r
        }).collect::<Vec<_>>()});
        let call = Call {
            connection: call_context.connection,
            seller: call_context.seller,
            refresh_token: call_context.refresh_token,
            operation: "createRestrictedDataToken",
            rate: 1.0,
            burst: 10.0,
            method: Method::POST,
            path: "/tokens/2021-03-01/restrictedDataToken".into(),
            query: vec![],
            body: Some(body),
            deadline: call_context.deadline,
        };
        let v = self.send(&call).await?;
        let token = v["restrictedDataToken"].as_str().ok_or_else(|| {
            AmazonError::Dependency("no restrictedDataToken in the answer".into())
        })?;
        Ok((
            SecretString::from(token.to_string()),
            v["expiresIn"].as_i64().unwrap_or(3600),
        ))
    }
}

#[derive(Debug)]
enum Retry {
    Now,
    Throttled,
    Server(u16, String),
    Transport(String),
}
