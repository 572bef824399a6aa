//! The Amazon client: Login-with-Amazon tokens shared through the store, rate limits shared
//! across Lambdas through the store, and a request executor that retries what Amazon says to
//! retry and never sleeps past the invocation's deadline.

pub mod ads;
pub mod client;
pub mod connection;
pub mod endpoints;
pub mod error;
pub mod flatfile;
pub mod limiter;
pub mod lwa;
pub mod models;
pub mod reports;
pub mod settlement;

pub use client::{Pacer, SpApi, SystemPacer};
pub use error::AmazonError;
pub use limiter::RateLimiter;
pub use lwa::{Credentials, TokenProvider};
