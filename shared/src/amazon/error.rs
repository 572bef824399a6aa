//! What can go wrong talking to Amazon, in the terms a sync job acts on.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AmazonError {
    /// The seller's authorisation is gone (revoked, expired after 365 days, app removed):
    /// mark the connection "needs re-authorisation" and tell the user. Never retried.
    #[error("the seller must authorise the app again: {0}")]
    NeedsReauthorization(String),
    /// Our own application credentials are wrong (client id/secret).
    #[error("application credentials rejected: {0}")]
    Configuration(String),
    /// Access denied for this call even with a fresh token (missing role, wrong seller).
    #[error("access denied: {0}")]
    Forbidden(String),
    /// The call would have to wait past the invocation's deadline: reschedule the job at `at`.
    #[error("retry later, at {at}")]
    RetryLater { at: DateTime<Utc> },
    /// Still throttled or failing after the retry budget.
    #[error("throttled by Amazon after {attempts} attempts")]
    Throttled { attempts: u32 },
    #[error("invalid request ({status}): {message}")]
    InvalidInput { status: u16, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("Amazon server error after {attempts} attempts ({status}): {message}")]
    Server {
        status: u16,
        message: String,
        attempts: u32,
    },
    #[error("transport failure after {attempts} attempts: {message}")]
    Transport { message: String, attempts: u32 },
    /// The store or another dependency of the client failed.
    #[error("client dependency failed: {0}")]
    Dependency(String),
}
