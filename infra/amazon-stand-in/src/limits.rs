//! Amazon's usage plans (rate and burst per operation, per seller and application), the token
//! buckets that enforce them, and the stand-in's clock (real or virtual).

use chrono::{DateTime, Duration, Utc};

/// `(operation, rate per second, burst)`, from the models' usage-plan tables.
pub const USAGE_PLANS: &[(&str, f64, f64)] = &[
    ("getMarketplaceParticipations", 0.016, 15.0),
    ("searchOrders", 0.0056, 20.0),
    ("getOrder2026", 0.5, 30.0),
    ("getOrders", 0.0167, 20.0),
    ("getOrder", 0.5, 30.0),
    ("getOrderItems", 0.5, 30.0),
    ("listTransactions", 0.5, 10.0),
    ("listFinancialEventGroups", 0.5, 30.0),
    ("listFinancialEvents", 0.5, 30.0),
    ("listFinancialEventsByGroupId", 0.5, 30.0),
    ("listFinancialEventsByOrderId", 0.5, 30.0),
    ("createReport", 0.0167, 15.0),
    ("getReports", 0.0222, 10.0),
    ("getReport", 2.0, 15.0),
    ("cancelReport", 0.0222, 10.0),
    ("getReportDocument", 0.0167, 15.0),
    ("getInventorySummaries", 2.0, 2.0),
    ("createRestrictedDataToken", 1.0, 10.0),
    ("getSolicitationActionsForOrder", 1.0, 5.0),
    ("createProductReviewAndSellerFeedbackSolicitation", 1.0, 5.0),
    ("searchCatalogItems", 2.0, 2.0),
    ("getCatalogItem", 2.0, 2.0),
    ("getItemOffers", 0.5, 1.0),
    ("getCompetitivePricing", 0.5, 1.0),
    ("getMyFeesEstimateForSKU", 1.0, 2.0),
    ("getMyFeesEstimates", 0.5, 1.0),
    ("getListingsItem", 5.0, 10.0),
    ("searchListingsItems", 5.0, 5.0),
    ("createDestination", 1.0, 5.0),
    ("getDestinations", 1.0, 5.0),
    ("getDestination", 1.0, 5.0),
    ("deleteDestination", 1.0, 5.0),
    ("createSubscription", 1.0, 5.0),
    ("getSubscription", 1.0, 5.0),
    ("getSubscriptionById", 1.0, 5.0),
    ("deleteSubscriptionById", 1.0, 5.0),
    // Fulfillment Inbound 2024-03-20.
    ("listInboundPlans", 2.0, 6.0),
    ("getInboundPlan", 2.0, 6.0),
    ("listInboundPlanItems", 2.0, 6.0),
    ("getShipment", 2.0, 6.0),
    ("listShipmentItems", 2.0, 30.0),
];

pub fn plan(operation: &str) -> (f64, f64) {
    USAGE_PLANS
        .iter()
        .find(|(o, _, _)| *o == operation)
        .map(|(_, r, b)| (*r, *b))
        .unwrap_or((1.0, 5.0))
}

/// A token bucket: `rate` tokens a second up to `burst`.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub tokens: f64,
    pub at: DateTime<Utc>,
    pub rate: f64,
    pub burst: f64,
}

impl Bucket {
    pub fn new(rate: f64, burst: f64, now: DateTime<Utc>) -> Self {
        Self {
            tokens: burst,
            at: now,
            rate,
            burst,
        }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        let elapsed = (now - self.at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        if elapsed > 0.0 {
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
            self.at = now;
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: DateTime<Utc>) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / self.rate;
            Err(Duration::microseconds((wait * 1e6).ceil() as i64))
        }
    }
}

/// The stand-in's notion of now.
#[derive(Debug, Clone)]
pub enum Clock {
    /// Wall-clock time, shifted so the seller's history ends at the start instant.
    Real {
        started: std::time::Instant,
        at_start: DateTime<Utc>,
    },
    /// Simulated time: moves only when told to, or (with `auto_advance`) when a caller would
    /// have to wait for a rate limit, so a long backfill runs in seconds and the simulated
    /// duration is accounted.
    Virtual {
        now: DateTime<Utc>,
        start: DateTime<Utc>,
        auto_advance: bool,
    },
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Real { started, at_start } => {
                *at_start + Duration::from_std(started.elapsed()).unwrap_or_default()
            }
            Clock::Virtual { now, .. } => *now,
        }
    }

    pub fn advance(&mut self, by: Duration) {
        if let Clock::Virtual { now, .. } = self {
            *now += by;
        }
    }

    /// Simulated time since the stand-in started.
    pub fn elapsed(&self) -> Duration {
        match self {
            Clock::Real { started, .. } => {
                Duration::from_std(started.elapsed()).unwrap_or_default()
            }
            Clock::Virtual { now, start, .. } => *now - *start,
        }
    }
}
