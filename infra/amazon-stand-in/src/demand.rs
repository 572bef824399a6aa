//! Daily demand with what real demand has, for the forecast's backtest and benchmark: a weekly
//! rhythm, a yearly season (one peak of its own, plus Prime Day and Black Friday for everyone),
//! growth and decline, promotion spikes, stock-outs (days nobody can buy: demand is there, sales
//! are not), SKUs launched during the history and SKUs dying out. Deterministic per seed.
//!
//! Every SKU has a class that dominates its shape; the backtest reports per class.

use chrono::{Datelike, Duration, NaiveDate};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use shared::forecast::{forecast, naive_velocity, DailyHistory};
use std::collections::BTreeMap;

/// What shapes a SKU's demand most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkuClass {
    /// Flat apart from the week, small seasons and noise.
    Steady,
    /// A strong yearly peak (2–4× for a few weeks).
    Seasonal,
    /// Growing or shrinking steadily (−50 % to +150 % a year).
    Trending,
    /// Promotion spikes every month or two.
    Promotional,
    /// Runs out of stock several times a year.
    StockOuts,
    /// Launched during the history, ramping up.
    New,
    /// Declining towards nothing from some day on.
    Dying,
}

impl SkuClass {
    pub const ALL: [SkuClass; 7] = [
        SkuClass::Steady,
        SkuClass::Seasonal,
        SkuClass::Trending,
        SkuClass::Promotional,
        SkuClass::StockOuts,
        SkuClass::New,
        SkuClass::Dying,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkuClass::Steady => "steady",
            SkuClass::Seasonal => "seasonal",
            SkuClass::Trending => "trending",
            SkuClass::Promotional => "promotional",
            SkuClass::StockOuts => "stock-outs",
            SkuClass::New => "new",
            SkuClass::Dying => "dying",
        }
    }
}

/// One SKU's days from its first (`start`: the history's first day, or its launch).
#[derive(Debug, Clone)]
pub struct DemandSku {
    pub sku: String,
    pub class: SkuClass,
    pub start: NaiveDate,
    /// Units customers wanted each day.
    pub demand: Vec<u32>,
    /// Units sold: the demand, or 0 on a stock-out day.
    pub sales: Vec<u32>,
    pub in_stock: Vec<bool>,
}

impl DemandSku {
    /// What a seller's orders show: sales, with the stock-out days marked.
    pub fn history(&self) -> DailyHistory {
        DailyHistory {
            start: self.start,
            units: self.sales.iter().map(|u| *u as f64).collect(),
            in_stock: self.in_stock.clone(),
        }
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(1e-12..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 40.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// A bump of height `a` around day-of-year `peak`, `width` days wide (wrapping the year).
fn bump(doy: f64, peak: f64, width: f64, a: f64) -> f64 {
    let mut d = (doy - peak).abs();
    if d > 182.5 {
        d = 365.0 - d;
    }
    a * (-(d / width).powi(2) / 2.0).exp()
}

/// `skus` SKUs over `days` days from `start`, classes in turn.
pub fn generate(seed: u64, skus: usize, start: NaiveDate, days: usize) -> Vec<DemandSku> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..skus)
        .map(|n| {
            one(
                &mut rng,
                n,
                SkuClass::ALL[n % SkuClass::ALL.len()],
                start,
                days,
            )
        })
        .collect()
}

fn one(
    rng: &mut ChaCha8Rng,
    n: usize,
    class: SkuClass,
    start: NaiveDate,
    days: usize,
) -> DemandSku {
    use SkuClass as C;
    let base: f64 = (rng.gen_range(0.3f64.ln()..40f64.ln())).exp();
    // Weekly rhythm: weekend-heavy or weekday-heavy.
    let amp: f64 = rng.gen_range(0.0..0.4);
    let weekend_heavy = rng.gen_bool(0.6);
    let weekly: Vec<f64> = (0..7)
        .map(|d| {
            let weekend = d >= 5;
            1.0 + if weekend == weekend_heavy {
                amp
            } else {
                -amp * 0.4
            }
        })
        .collect();
    // Seasons: everyone a little, seasonal SKUs a lot.
    let (peak, width, height) = if class == C::Seasonal {
        (
            if rng.gen_bool(0.6) {
                rng.gen_range(320.0..355.0)
            } else {
                rng.gen_range(150.0..220.0)
            },
            rng.gen_range(12.0..35.0),
            rng.gen_range(1.0..3.0),
        )
    } else {
        (
            rng.gen_range(0.0..365.0),
            rng.gen_range(20.0..60.0),
            rng.gen_range(0.0..0.25),
        )
    };
    let growth: f64 = match class {
        C::Trending => rng.gen_range((0.5f64).ln()..(2.5f64).ln()),
        _ => rng.gen_range(-0.1..0.1),
    };
    let launch = if class == C::New {
        rng.gen_range(days * 3 / 8..days * 3 / 4)
    } else {
        0
    };
    let ramp: f64 = rng.gen_range(15.0..60.0);
    let (decline_from, decline_days) = if class == C::Dying {
        (
            rng.gen_range(days / 4..days * 3 / 4),
            rng.gen_range(60.0..240.0),
        )
    } else {
        (usize::MAX, 1.0)
    };
    // Promotions: (first day, length, lift).
    let promo_every = if class == C::Promotional {
        rng.gen_range(25..60)
    } else {
        rng.gen_range(150..400)
    };
    let mut promos = vec![];
    let mut d = rng.gen_range(0..promo_every);
    while d < days {
        promos.push((d, rng.gen_range(2..7usize), rng.gen_range(2.0..5.0f64)));
        d += rng.gen_range(promo_every / 2..promo_every * 3 / 2 + 1);
    }
    // Stock-outs: (first day, length).
    let episodes = if class == C::StockOuts {
        rng.gen_range(4..9)
    } else {
        rng.gen_range(0..2)
    };
    let outs: Vec<(usize, usize)> = (0..episodes)
        .map(|_| (rng.gen_range(0..days), rng.gen_range(4..25)))
        .collect();
    let noise: f64 = rng.gen_range(0.15..0.4);

    let mut demand = Vec::with_capacity(days - launch);
    let mut sales = Vec::with_capacity(days - launch);
    let mut in_stock = Vec::with_capacity(days - launch);
    for i in launch..days {
        let date = start + Duration::days(i as i64);
        let doy = date.ordinal0() as f64;
        let mut lambda = base * weekly[date.weekday().num_days_from_monday() as usize];
        lambda *= 1.0 + bump(doy, peak, width, height);
        lambda *= (growth * i as f64 / 365.0).exp();
        // Prime Day (mid-July) and Black Friday to Cyber Monday.
        let (m, dd) = (date.month(), date.day());
        if (m == 7 && (10..=11).contains(&dd)) || (m == 11 && dd >= 24) || (m == 12 && dd <= 1) {
            lambda *= 1.8;
        }
        if class == C::New {
            lambda *= 1.0 - (-((i - launch) as f64) / ramp).exp();
        }
        if i >= decline_from {
            lambda *= (-((i - decline_from) as f64) / decline_days).exp();
        }
        for (from, len, lift) in &promos {
            if i >= *from && i < from + len {
                lambda *= lift;
            }
        }
        lambda *= (noise * normal(rng) - noise * noise / 2.0).exp();
        let wanted = poisson(rng, lambda);
        let out = outs.iter().any(|(from, len)| i >= *from && i < from + len);
        demand.push(wanted);
        sales.push(if out { 0 } else { wanted });
        in_stock.push(!out);
    }
    DemandSku {
        sku: format!("DEMAND-{n:05}"),
        class,
        start: start + Duration::days(launch as i64),
        demand,
        sales,
        in_stock,
    }
}

/// Errors of one forecasting method over a set of SKUs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    /// Mean over SKUs of the mean absolute percentage error of its 30-day buckets.
    pub mape: f64,
    /// (forecast − actual) / actual over all units.
    pub bias: f64,
}

/// One line of the backtest: a class (or `all`), how many SKUs, ours beside the naive one.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestLine {
    pub class: String,
    pub skus: usize,
    pub ours: Score,
    pub naive: Score,
}

#[derive(Default)]
struct Acc {
    skus: usize,
    ape_ours: f64,
    ape_naive: f64,
    f_ours: f64,
    f_naive: f64,
    actual: f64,
}

impl Acc {
    fn line(&self, class: &str) -> BacktestLine {
        let n = self.skus.max(1) as f64;
        let a = self.actual.max(1e-9);
        BacktestLine {
            class: class.to_string(),
            skus: self.skus,
            ours: Score {
                mape: self.ape_ours / n,
                bias: (self.f_ours - self.actual) / a,
            },
            naive: Score {
                mape: self.ape_naive / n,
                bias: (self.f_naive - self.actual) / a,
            },
        }
    }
}

/// Trains on each SKU's days before `cut` and forecasts the rest, scored in 30-day buckets
/// against what customers wanted (the demand: a stock-out in the test period hides it from
/// the sales, not from the score). Only SKUs with at least `min_sales_days` days of sales
/// before the cut and some demand after it count. One line per class, then `all`.
pub fn backtest(skus: &[DemandSku], cut: NaiveDate, min_sales_days: usize) -> Vec<BacktestLine> {
    let mut by: BTreeMap<SkuClass, Acc> = BTreeMap::new();
    let mut all = Acc::default();
    for s in skus {
        let train_days = (cut - s.start).num_days();
        if train_days <= 0 {
            continue;
        }
        let train = s.history().head(train_days as usize);
        if train.sales_days() < min_sales_days {
            continue;
        }
        let actual: Vec<f64> = s.demand[train_days as usize..]
            .iter()
            .map(|u| *u as f64)
            .collect();
        let horizon = actual.len();
        let ours = forecast(&train, horizon).daily;
        let naive = naive_velocity(&train, horizon);
        let (mut ape_o, mut ape_n, mut buckets) = (0.0, 0.0, 0);
        for b in (0..horizon).step_by(30) {
            let e = (b + 30).min(horizon);
            if e - b < 15 {
                continue;
            }
            let a: f64 = actual[b..e].iter().sum();
            if a <= 0.0 {
                continue;
            }
            ape_o += (ours[b..e].iter().sum::<f64>() - a).abs() / a;
            ape_n += (naive[b..e].iter().sum::<f64>() - a).abs() / a;
            buckets += 1;
        }
        if buckets == 0 {
            continue;
        }
        for acc in [by.entry(s.class).or_default(), &mut all] {
            acc.skus += 1;
            acc.ape_ours += ape_o / buckets as f64;
            acc.ape_naive += ape_n / buckets as f64;
            acc.f_ours += ours.iter().sum::<f64>();
            acc.f_naive += naive.iter().sum::<f64>();
            acc.actual += actual.iter().sum::<f64>();
        }
    }
    let mut out: Vec<_> = by.iter().map(|(c, a)| a.line(c.as_str())).collect();
    out.push(all.line("all"));
    out
}

/// The backtest as a table.
pub fn render(lines: &[BacktestLine]) -> String {
    let mut s = format!(
        "{:<12} {:>6} {:>10} {:>10} {:>10} {:>10}\n",
        "class", "skus", "MAPE ours", "MAPE naive", "bias ours", "bias naive"
    );
    for l in lines {
        s += &format!(
            "{:<12} {:>6} {:>9.1}% {:>9.1}% {:>+9.1}% {:>+9.1}%\n",
            l.class,
            l.skus,
            l.ours.mape * 100.0,
            l.naive.mape * 100.0,
            l.ours.bias * 100.0,
            l.naive.bias * 100.0
        );
    }
    s
}
