//! The Amazon client: Login-with-Amazon tokens shared through the store, rate limits shared
//! across Lambdas through the store, one request executor for the SP-API and the Ads API that
//! retries what Amazon says to retry and never sleeps past the invocation's deadline, and a
//! catalogue of every operation with a typed method each.

pub mod ads;
pub mod app;
pub mod backoff;
pub mod catalogue;
pub mod client;
pub mod connection;
pub mod endpoints;
pub mod error;
pub mod flatfile;
pub mod limiter;
pub mod lwa;
pub mod models;
pub mod operations;
pub mod reports;
pub mod settlement;
pub mod subscriptions;

pub use crate::ports::{Pacer, SystemClock};
pub use app::{AmazonApp, AmazonSettings};
pub use client::{Context, Executor};
pub use error::AmazonError;
pub use limiter::RateLimiter;
pub use lwa::{Credentials, TokenProvider};
pub use operations::SpApi;
