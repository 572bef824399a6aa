//! JSON logs for Lambda and the local runner. Level from `AWS_LAMBDA_LOG_LEVEL`, then
//! `RUST_LOG`, else `info`; no timestamp (CloudWatch adds one). Inside Lambda the runtime's
//! invoke span adds `requestId` to every line.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|l| EnvFilter::new(l.to_lowercase()))
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}
