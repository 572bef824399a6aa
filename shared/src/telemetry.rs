//! JSON logs for Lambda and the local runner. Level from `AWS_LAMBDA_LOG_LEVEL`, then
//! `RUST_LOG`, else `info`; no timestamp (CloudWatch adds one). Inside Lambda the runtime's
//! invoke span adds `requestId` to every line.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// `level` or `target=level,…` directives (`RUST_LOG` syntax without span filters).
fn directives(raw: &str) -> Option<Targets> {
    raw.to_lowercase().parse().ok()
}

pub fn init() {
    let filter = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .and_then(|l| directives(&l))
        .or_else(|| std::env::var("RUST_LOG").ok().and_then(|l| directives(&l)))
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let fmt = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time();
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(filter)
        .try_init();
}
