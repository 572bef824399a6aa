//! Beddora's common crate: domain types, ports and their adapters, HTTP plumbing and the
//! identity repositories that every Lambda and the local runner share.

pub mod adapters;
pub mod amazon;
#[cfg(feature = "aws")]
pub mod bootstrap;
pub mod config;
pub mod connections;
pub mod costs;
pub mod domain;
pub mod error;
pub mod forecast;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod keys;
pub mod marketplaces;
pub mod notifications;
pub mod ports;
pub mod ppc;
pub mod profit;
pub mod records;
pub mod sync;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
