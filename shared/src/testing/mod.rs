//! Contract suites: each port's behaviour written once, as plain async functions, and run by
//! the test crate against every adapter (embedded and AWS). A failed expectation panics with
//! a message naming the adapter behaviour that diverged.

pub mod bus_contract;
pub mod mail_contract;
pub mod queue_contract;
pub mod secrets_contract;
pub mod smtp_sink;
pub mod store_contract;

/// A partition prefix no other test uses, so suites can share one table.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}#{}", uuid::Uuid::new_v4())
}
