//! The Amazon stand-in: a deterministic generated seller behind the same HTTP protocols as
//! Login with Amazon, the Selling Partner API and the Ads API, with Amazon's rate limits, faults
//! on demand and the ground truth every figure can be checked against.

pub mod ads;
pub mod ads_truth;
pub mod bench;
pub mod catalog;
pub mod client;
pub mod demand;
pub mod ecb;
pub mod generator;
pub mod ground_truth;
pub mod inbound;
pub mod limits;
pub mod listings_truth;
pub mod live;
pub mod mfn_returns;
pub mod model;
pub mod notifications;
pub mod render;
pub mod server;

pub use generator::{generate, Seller, SellerSpec};
pub use ground_truth::GroundTruth;
pub use server::{router, StandIn};
