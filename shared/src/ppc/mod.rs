//! PPC (Amazon Sponsored Products): metrics from the synced report rows and bid optimisation
//! with guard rails, applied through the Ads API with per-item results and a revert.

pub mod blocks;
pub mod metrics;
pub mod optimise;
