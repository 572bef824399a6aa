//! Demand forecasting and restock planning, as pure functions (no I/O): what the inventory API
//! and its recompute job run over the synced orders and stock.
//!
//! - [`demand`]: daily demand per SKU from its daily sales, with a weekly profile, a yearly
//!   profile where two years of history exist, a trend, stock-out days left out of every
//!   estimate, and a lower/upper band.
//! - [`reorder`]: days of cover, stock-out date, safety stock, reorder point, reorder date and
//!   order quantity from the supplier's lead time, the FBA inbound time, a service level and
//!   the supplier's MOQ and case pack.
//!
//! Units are counts, so the estimates are `f64`; quantities handed to a person (safety stock,
//! reorder point, order quantity) are whole units, rounded up. No money is computed here.

pub mod demand;
pub mod reorder;

pub use demand::{forecast, naive_velocity, DailyHistory, Forecast};
pub use reorder::{order_units, plan, plan_forecast, z_for_service_level, Inbound, Plan, Supply};
