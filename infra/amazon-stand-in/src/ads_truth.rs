//! The Ads ground truth below the campaign: each campaign-day of the generated `ads_days` is
//! split over its ad group's targets (three keywords and one product target) without losing a
//! click or a cent, and its attributed purchases are given their four attribution windows
//! (1, 7, 14 and 30 days) and the way Amazon's figures settle: the purchases and sales of a
//! day keep growing for 14 days after it, then stay.
//!
//! Impressions, clicks and cost are final at once (they are what the advertising invoice
//! bills); only attributed purchases, units and sales settle. Everything is a pure function of
//! the generated seller and the profile's "today" the report was made on, so a test asks
//! [`target_days`] for what a report made on that day holds.

use crate::generator::Seller;
use crate::model::{AdGroup, AdsDay, Campaign};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Days (the day itself and the 13 after it) over which a day's attributed figures change.
pub const SETTLE_DAYS: i64 = 14;

/// The attribution windows, in days, in the order of [`Figures::windows`].
pub const WINDOWS: [u32; 4] = [1, 7, 14, 30];

/// Purchases, units and sales attributed within one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attributed {
    pub purchases: i64,
    pub units: i64,
    pub sales: Decimal,
}

/// The metrics of one target (or a sum of targets) on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub impressions: i64,
    pub clicks: i64,
    pub cost: Decimal,
    /// By window: 1, 7, 14 and 30 days ([`WINDOWS`]).
    pub windows: [Attributed; 4],
}

impl Figures {
    pub fn add(&mut self, o: &Figures) {
        self.impressions += o.impressions;
        self.clicks += o.clicks;
        self.cost += o.cost;
        for (a, b) in self.windows.iter_mut().zip(o.windows.iter()) {
            a.purchases += b.purchases;
            a.units += b.units;
            a.sales += b.sales;
        }
    }

    /// The window of `days` (1, 7, 14 or 30).
    pub fn window(&self, days: u32) -> Attributed {
        WINDOWS
            .iter()
            .position(|w| *w == days)
            .map(|i| self.windows[i])
            .unwrap_or_default()
    }
}

/// What a target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// A keyword: its text and match type.
    Keyword {
        text: String,
        match_type: &'static str,
    },
    /// A product target: its expression (`asin="B0..."`).
    Product { expression: String },
}

/// A target of an ad group: one of its keywords, or its product target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub kind: TargetKind,
}

impl Target {
    /// The search term shoppers typed that this target matched.
    pub fn search_term(&self) -> String {
        match &self.kind {
            TargetKind::Keyword { text, match_type } => match *match_type {
                "EXACT" => text.clone(),
                "PHRASE" => format!("{text} set"),
                _ => format!("best {text} for home"),
            },
            TargetKind::Product { expression } => expression
                .trim_start_matches("asin=\"")
                .trim_end_matches('"')
                .to_lowercase(),
        }
    }

    /// The `targeting` column of a targeting report.
    pub fn targeting(&self) -> String {
        match &self.kind {
            TargetKind::Keyword { text, .. } => text.clone(),
            TargetKind::Product { expression } => expression.clone(),
        }
    }
}

/// The product target of an ad group: the id, and the ASIN it targets (the next product's).
pub fn product_target(s: &Seller, g: &AdGroup) -> Target {
    let other = &s.products[(g.product + 1) % s.products.len()];
    Target {
        id: g.id + 200_000_000_000,
        kind: TargetKind::Product {
            expression: format!("asin=\"{}\"", other.asin),
        },
    }
}

/// The product ad of an ad group (one per ad group, advertising its product).
pub fn product_ad_id(g: &AdGroup) -> i64 {
    g.id + 100_000_000_000
}

/// Every target of the ad group: its keywords, then its product target.
pub fn targets(s: &Seller, g: &AdGroup) -> Vec<Target> {
    let mut out: Vec<Target> = g
        .keywords
        .iter()
        .map(|k| Target {
            id: k.id,
            kind: TargetKind::Keyword {
                text: k.text.clone(),
                match_type: k.match_type,
            },
        })
        .collect();
    out.push(product_target(s, g));
    out
}

fn weight(id: i64, date: NaiveDate) -> u64 {
    let d = Sha256::new()
        .chain_update(id.to_be_bytes())
        .chain_update(date.to_string().as_bytes())
        .finalize();
    1 + (d[0] as u64 % 7)
}

/// `n` split in proportion to `weights`, the remainder to the first shares: the parts sum to
/// `n` exactly.
fn split(n: i128, weights: &[u64]) -> Vec<i128> {
    let total: i128 = weights.iter().map(|w| *w as i128).sum();
    let mut parts: Vec<i128> = weights.iter().map(|w| n * *w as i128 / total).collect();
    let mut left = n - parts.iter().sum::<i128>();
    for p in parts.iter_mut() {
        if left == 0 {
            break;
        }
        *p += 1;
        left -= 1;
    }
    parts
}

/// The share of `p` visible `age` days after the day: it grows over the day and the 13 after
/// it ([`SETTLE_DAYS`] days in all), then stays.
fn visible(p: i64, age: i64) -> i64 {
    if age >= SETTLE_DAYS - 1 {
        p
    } else {
        p * (age.max(0) + 1) / SETTLE_DAYS
    }
}

/// One target's figures on one day, as a report made on `today` (profile-local) holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDay {
    /// Index of the campaign in `Seller::campaigns`.
    pub campaign: usize,
    pub ad_group_id: i64,
    pub target: Target,
    pub date: NaiveDate,
    pub figures: Figures,
}

/// The campaign-day split over the ad group's targets, settled as of `today`.
pub fn split_day(s: &Seller, ci: usize, d: &AdsDay, today: NaiveDate) -> Vec<TargetDay> {
    let c: &Campaign = &s.campaigns[ci];
    let g = &c.ad_groups[0];
    let ts = targets(s, g);
    let weights: Vec<u64> = ts.iter().map(|t| weight(t.id, d.date)).collect();
    let impressions = split(d.impressions as i128, &weights);
    let clicks = split(d.clicks as i128, &weights);
    let scale = d.cost.scale();
    let cost = split(d.cost.mantissa(), &weights);
    let purchases = split(d.purchases7d as i128, &weights);
    let price = if d.purchases7d > 0 {
        d.sales7d / Decimal::from(d.purchases7d)
    } else {
        Decimal::ZERO
    };
    let age = (today - d.date).num_days();
    ts.into_iter()
        .enumerate()
        .map(|(i, t)| {
            let p7 = purchases[i] as i64;
            let finals = [p7 - p7 / 4, p7, p7 + p7 / 5, p7 + p7 / 5 + p7 / 10];
            let mut windows = [Attributed::default(); 4];
            for (w, p) in windows.iter_mut().zip(finals) {
                let n = visible(p, age);
                *w = Attributed {
                    purchases: n,
                    units: n,
                    sales: price * Decimal::from(n),
                };
            }
            TargetDay {
                campaign: ci,
                ad_group_id: g.id,
                target: t,
                date: d.date,
                figures: Figures {
                    impressions: impressions[i] as i64,
                    clicks: clicks[i] as i64,
                    cost: Decimal::from_i128_with_scale(cost[i], scale),
                    windows,
                },
            }
        })
        .collect()
}

/// Every target-day of a profile from `start` to `end` (inclusive) as a report made on `today`
/// holds them: the ground truth a synced store is compared with.
pub fn target_days(
    s: &Seller,
    profile: usize,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Vec<TargetDay> {
    s.ads_days
        .iter()
        .filter(|d| d.date >= start && d.date <= end && s.campaigns[d.campaign].profile == profile)
        .flat_map(|d| split_day(s, d.campaign, d, today))
        .collect()
}

/// The profile's local date at `now` (report dates are the profile's local dates).
pub fn profile_today(s: &Seller, profile: usize, now: DateTime<Utc>) -> NaiveDate {
    let tz: chrono_tz::Tz = s.ads_profiles[profile]
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_loses_nothing() {
        let parts = split(1001, &[3, 1, 7, 2]);
        assert_eq!(parts.iter().sum::<i128>(), 1001);
        assert_eq!(split(0, &[1, 2]), vec![0, 0]);
    }

    #[test]
    fn figures_settle_within_fourteen_days_and_then_stay() {
        assert!(visible(100, 0) < visible(100, 7));
        assert!(visible(100, 7) < visible(100, 12));
        assert_eq!(visible(100, 13), 100);
        assert_eq!(visible(100, 40), 100);
    }
}
