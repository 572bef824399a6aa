//! Daily demand of one SKU in one marketplace, from its daily sales.
//!
//! The model, in the order it is estimated (every step reads in-stock days only: a day the SKU
//! could not be bought says nothing about demand, so stock-outs neither drag the velocity down
//! nor count as "no demand"):
//!
//! 1. **Weekly profile**: each weekday's share of the last 26 weeks' sales, shrunk towards 1
//!    when there is little data, averaging 1 over the week.
//! 2. **Robust level**: the mean of the last 28 in-stock days with the weekday taken out, each
//!    day capped a few deviations above the median, so a promotion spike or a bulk order does
//!    not become the velocity.
//! 3. **Yearly profile** (when the history reaches a year back from the whole horizon): the
//!    year-ago path from the same point on, as a ratio to the year-ago level over the same
//!    28 days, averaged with the path two years ago where that exists; each window is a
//!    29-day robust mean, so one year's promotion or stock-out does not become a season;
//!    each ratio is shrunk towards 1 by how much of the year's month-to-month spread is
//!    counting noise (empirical Bayes), so a flat seller's year-ago wiggles are ignored and a
//!    real season is kept. Last year's path carries its own trend.
//! 4. **Trend** (without a yearly profile): the slope of a regression over the last 84
//!    in-stock days, kept only when it is clearly not noise (|t| ≥ 2) and damped, so a
//!    launch ramp or a decline carries on for a few weeks and then levels off.
//! 5. **Band**: the spread of the recent days around the fit, scaled like counting noise to
//!    each day's forecast (80 % band, z = 1.2816).

use chrono::{Datelike, Duration, NaiveDate};

/// Days of the recent level.
pub const LEVEL_DAYS: usize = 28;
/// Days the weekly profile is read from.
pub const WEEKLY_DAYS: usize = 182;
/// Days the trend is read from.
pub const TREND_DAYS: usize = 84;
/// Half-width of a yearly window (29 days in all).
pub const YEAR_HALF_WINDOW: i64 = 14;
/// The z of the band (80 % two-sided).
pub const BAND_Z: f64 = 1.2816;

/// One SKU's daily sales: `units[i]` on `start + i` days; `in_stock[i]` false on a day the SKU
/// could not be bought (stock-out, suppressed listing), which then says nothing about demand.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyHistory {
    pub start: NaiveDate,
    pub units: Vec<f64>,
    pub in_stock: Vec<bool>,
}

impl DailyHistory {
    /// A history with every day in stock.
    pub fn in_stock(start: NaiveDate, units: Vec<f64>) -> Self {
        let in_stock = vec![true; units.len()];
        Self {
            start,
            units,
            in_stock,
        }
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The first day after the history (the first forecast day).
    pub fn end(&self) -> NaiveDate {
        self.start + Duration::days(self.units.len() as i64)
    }

    /// Days with at least one unit sold.
    pub fn sales_days(&self) -> usize {
        self.units.iter().filter(|u| **u > 0.0).count()
    }

    /// The first `days` days (a backtest's training part).
    pub fn head(&self, days: usize) -> Self {
        let n = days.min(self.units.len());
        Self {
            start: self.start,
            units: self.units[..n].to_vec(),
            in_stock: self.in_stock[..n].to_vec(),
        }
    }

    fn ok(&self, i: usize) -> bool {
        self.in_stock.get(i).copied().unwrap_or(true)
    }

    fn dow(&self, i: i64) -> usize {
        (self.start + Duration::days(i))
            .weekday()
            .num_days_from_monday() as usize
    }
}

/// A SKU's forecast from the day after its history.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub start: NaiveDate,
    /// Expected units on each day from `start`.
    pub daily: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Today's demand per day with the weekday taken out: the velocity.
    pub level: f64,
    /// Monday first, averaging 1.
    pub weekly: [f64; 7],
    /// Whether a yearly profile shaped the forecast.
    pub yearly: bool,
    /// The (undamped) change of the level per day, 0 when there is no clear trend.
    pub trend_per_day: f64,
    /// Standard deviation of one day's demand at the current level.
    pub sigma: f64,
    /// In-stock days the estimate read.
    pub in_stock_days: usize,
}

impl Forecast {
    /// Expected units over the first `days` days.
    pub fn total(&self, days: usize) -> f64 {
        self.daily.iter().take(days).sum()
    }

    /// Mean expected units per day over the first `days` days.
    pub fn mean_daily(&self, days: usize) -> f64 {
        let n = days.min(self.daily.len()).max(1);
        self.total(n) / n as f64
    }

    /// Standard deviation of one day's demand, averaged over the first `days` days.
    pub fn sigma_daily(&self, days: usize) -> f64 {
        if self.level <= 0.0 {
            return self.sigma;
        }
        self.sigma * (self.mean_daily(days) / self.level).max(0.0).sqrt()
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Mean with every value capped a few deviations above the median (promotions, bulk orders).
fn robust_mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let cap = cap_of(values);
    values.iter().map(|v| v.min(cap)).sum::<f64>() / values.len() as f64
}

/// The value above which a day counts as a spike: well above the median in both ratio and
/// counting-noise terms.
fn cap_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    let med = median(&mut sorted);
    (2.5 * med).max(med + 4.0 * med.sqrt() + 2.0)
}

fn weekly_profile(h: &DailyHistory) -> [f64; 7] {
    let n = h.len();
    let from = n.saturating_sub(WEEKLY_DAYS);
    let raw: Vec<f64> = (from..n).filter(|i| h.ok(*i)).map(|i| h.units[i]).collect();
    let cap = cap_of(&raw);
    let mut sum = [0.0; 7];
    let mut cnt = [0.0; 7];
    for i in from..n {
        if h.ok(i) {
            let d = h.dow(i as i64);
            sum[d] += h.units[i].min(cap);
            cnt[d] += 1.0;
        }
    }
    let total: f64 = sum.iter().sum();
    let days: f64 = cnt.iter().sum();
    if total <= 0.0 || days == 0.0 {
        return [1.0; 7];
    }
    let mean = total / days;
    // About eight units' worth of pseudo-days at the mean per weekday: a slow seller's week
    // stays near flat, a fast seller's follows its data.
    let prior = 8.0 / mean.max(0.5);
    let mut w = [1.0; 7];
    for d in 0..7 {
        w[d] = (sum[d] + prior * mean) / ((cnt[d] + prior) * mean);
    }
    let avg = w.iter().sum::<f64>() / 7.0;
    w.map(|x| x / avg)
}

/// Deweeklied in-stock values of days `[from, to)` (clamped to the history).
fn window(h: &DailyHistory, w: &[f64; 7], from: i64, to: i64) -> Vec<f64> {
    let (from, to) = (from.max(0), to.min(h.len() as i64));
    (from..to)
        .filter(|i| h.ok(*i as usize))
        .map(|i| h.units[i as usize] / w[h.dow(i)])
        .collect()
}

/// The last `days` in-stock days (index, deweeklied value), oldest first.
fn last_in_stock(h: &DailyHistory, w: &[f64; 7], days: usize) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = (0..h.len() as i64)
        .rev()
        .filter(|i| h.ok(*i as usize))
        .take(days)
        .map(|i| (i, h.units[i as usize] / w[h.dow(i)]))
        .collect();
    out.reverse();
    out
}

/// Least-squares slope and its t statistic.
fn slope(points: &[(i64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    if points.len() < 14 {
        return (0.0, 0.0, 0.0);
    }
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 as f64 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return (0.0, 0.0, my);
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let sse: f64 = points
        .iter()
        .map(|p| (p.1 - a - b * p.0 as f64).powi(2))
        .sum();
    let se = (sse / (n - 2.0) / sxx).sqrt();
    let t = if se > 0.0 { b / se } else { 0.0 };
    (b, t, a)
}

/// The forecast of the `horizon` days after the history.
pub fn forecast(h: &DailyHistory, horizon: usize) -> Forecast {
    let start = h.end();
    let weekly = weekly_profile(h);
    let recent = last_in_stock(h, &weekly, LEVEL_DAYS);
    let in_stock_days = h.in_stock.iter().filter(|s| **s).count();
    let n = h.len() as i64;
    let values: Vec<f64> = recent.iter().map(|p| p.1).collect();
    let mut level = robust_mean(&values);

    // Yearly: the ratio of the year-ago path to the year-ago level, per forecast day.
    let level_from = recent.first().map(|p| p.0).unwrap_or(n);
    let mut yearly_ratio: Vec<Option<f64>> = vec![None; horizon];
    let mut years_used = false;
    for k in 1..=2i64 {
        let back = 365 * k;
        // The whole horizon's windows must lie in the history.
        if n - back - YEAR_HALF_WINDOW < 0 || level_from - back < 0 {
            continue;
        }
        let reference = window(h, &weekly, level_from - back, n - back);
        if reference.len() < 10 {
            continue;
        }
        let year_mean = robust_mean(&window(h, &weekly, n - back, n - back + 365));
        let eps = 0.1 * year_mean + 0.05;
        let m_ref = robust_mean(&reference);
        // How much of a window's ratio is season rather than counting noise: the spread of the
        // year's monthly log-levels beyond what noise alone gives (empirical Bayes), so a flat
        // seller's year-ago wiggles are mostly ignored and a real season is kept whole.
        let noise = |m: f64, days: usize| 1.5 / (m * days as f64 + 1.0) + 0.1 / days as f64;
        let months: Vec<(f64, usize)> = (0..12)
            .map(|j| {
                let from = n - back + j * 30;
                let w = window(h, &weekly, from, from + 30);
                (robust_mean(&w), w.len())
            })
            .filter(|(_, len)| *len >= 10)
            .collect();
        let logs: Vec<f64> = months.iter().map(|(m, _)| (m + eps).ln()).collect();
        let mean_log = logs.iter().sum::<f64>() / logs.len().max(1) as f64;
        let spread = logs.iter().map(|l| (l - mean_log).powi(2)).sum::<f64>()
            / (logs.len().max(2) - 1) as f64;
        let month_noise =
            months.iter().map(|(m, l)| noise(*m, *l)).sum::<f64>() / months.len().max(1) as f64;
        let season_var = (spread - month_noise).max(0.002);
        let mut any = false;
        for (d, slot) in yearly_ratio.iter_mut().enumerate() {
            let centre = n + d as i64 - back;
            let win = window(
                h,
                &weekly,
                centre - YEAR_HALF_WINDOW,
                centre + YEAR_HALF_WINDOW + 1,
            );
            if win.len() < 10 {
                continue;
            }
            let m_f = robust_mean(&win);
            let raw = ((m_f + eps) / (m_ref + eps)).clamp(0.1, 10.0).ln();
            let noise_var = noise(m_f, win.len()) + noise(m_ref, reference.len());
            let r = (raw * season_var / (season_var + noise_var)).exp();
            *slot = Some(match *slot {
                None => r,
                Some(prev) => (prev + r) / 2.0,
            });
            any = true;
        }
        years_used |= any;
    }

    // Trend, when no yearly profile carries one (last year's path carries its own; a drift
    // against it measured over overlapping windows proved mostly noise in the backtest).
    let mut trend_per_day = 0.0;
    if !years_used {
        let mut points = last_in_stock(h, &weekly, TREND_DAYS);
        let cap = cap_of(&points.iter().map(|p| p.1).collect::<Vec<_>>());
        for p in points.iter_mut() {
            p.1 = p.1.min(cap);
        }
        let (b, t, a) = slope(&points);
        if t.abs() >= 2.0 && points.len() >= 42 {
            trend_per_day = b;
            // The line's value today, never below zero.
            level = (a + b * n as f64).max(0.0);
        }
    }

    // Spread of the recent days around the fit.
    let fit = |i: i64| level - trend_per_day * (n - i) as f64;
    let resid: Vec<f64> = last_in_stock(h, &weekly, 56)
        .iter()
        .map(|(i, v)| (v - fit(*i).max(0.0)) * weekly[h.dow(*i)])
        .collect();
    let sigma = if resid.is_empty() {
        0.0
    } else {
        (resid.iter().map(|e| e * e).sum::<f64>() / resid.len() as f64).sqrt()
    };

    let phi: f64 = 0.985;
    let mut daily = Vec::with_capacity(horizon);
    let mut lower = Vec::with_capacity(horizon);
    let mut upper = Vec::with_capacity(horizon);
    let mut damped = 0.0;
    for (d, ratio) in yearly_ratio.iter().enumerate() {
        damped += phi.powi(d as i32 + 1);
        let base = (level + trend_per_day * damped).max(0.0);
        let dow = (start + Duration::days(d as i64))
            .weekday()
            .num_days_from_monday() as usize;
        let f = base * ratio.unwrap_or(1.0) * weekly[dow];
        let s = if level > 0.0 {
            sigma * (f / level).sqrt()
        } else {
            sigma
        };
        daily.push(f);
        lower.push((f - BAND_Z * s).max(0.0));
        upper.push(f + BAND_Z * s);
    }
    Forecast {
        start,
        daily,
        lower,
        upper,
        level,
        weekly,
        yearly: years_used,
        trend_per_day,
        sigma,
        in_stock_days,
    }
}

/// The original's forecast, for comparison: the last 30 days' units (stock-out days counted as
/// zero) over 30, flat.
pub fn naive_velocity(h: &DailyHistory, horizon: usize) -> Vec<f64> {
    let n = h.len();
    let from = n.saturating_sub(30);
    let v = h.units[from..].iter().sum::<f64>() / 30.0;
    vec![v; horizon]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_flat_seller_forecasts_its_rate_with_its_week() {
        // 10 a day on weekdays, 20 on Saturdays and Sundays, for 20 weeks.
        let start = day("2025-01-06"); // a Monday
        let units: Vec<f64> = (0..140)
            .map(|i| if i % 7 >= 5 { 20.0 } else { 10.0 })
            .collect();
        let f = forecast(&DailyHistory::in_stock(start, units), 14);
        assert!(!f.yearly);
        assert_eq!(f.trend_per_day, 0.0);
        // The week totals 90: the first forecast week does too.
        assert!((f.total(7) - 90.0).abs() < 1.5, "{}", f.total(7));
        assert!(f.daily[5] > f.daily[0] * 1.6, "weekend above weekday");
        assert!(f.sigma < 0.5);
    }

    #[test]
    fn stock_out_days_do_not_drag_the_velocity_down() {
        let start = day("2025-01-06");
        let mut units = vec![10.0; 120];
        let mut in_stock = vec![true; 120];
        for i in 100..120 {
            units[i] = 0.0;
            in_stock[i] = false;
        }
        let h = DailyHistory {
            start,
            units,
            in_stock,
        };
        let f = forecast(&h, 30);
        assert!((f.level - 10.0).abs() < 0.01, "{}", f.level);
        // The naive velocity sees 10 zero days of the last 30.
        assert!((naive_velocity(&h, 1)[0] - 10.0 / 3.0).abs() < 0.01);
    }

    #[test]
    fn a_promotion_spike_is_not_the_velocity() {
        let start = day("2025-01-06");
        let mut units = vec![10.0; 120];
        for u in units.iter_mut().skip(110).take(3) {
            *u = 200.0;
        }
        let f = forecast(&DailyHistory::in_stock(start, units), 30);
        assert!(f.level < 14.0, "{}", f.level);
    }

    #[test]
    fn a_clear_trend_carries_on_damped() {
        let start = day("2025-01-06");
        let units: Vec<f64> = (0..120).map(|i| 5.0 + 0.2 * i as f64).collect();
        let f = forecast(&DailyHistory::in_stock(start, units), 60);
        assert!((f.trend_per_day - 0.2).abs() < 0.01, "{}", f.trend_per_day);
        assert!((f.level - 29.0).abs() < 0.5, "{}", f.level);
        assert!(f.daily[59] > f.daily[0]);
        assert!(f.daily[59] < 29.0 + 0.2 * 60.0, "damped");
    }

    #[test]
    fn a_year_of_history_brings_the_season_back() {
        // 10 a day, 40 a day in the 30 days from 1 December, for two years.
        let start = day("2023-01-01");
        let units: Vec<f64> = (0..730)
            .map(|i| {
                let d = start + Duration::days(i);
                let peak = (d.month() == 12 && d.day() <= 30) || (d.month() == 12 && d.day() == 31);
                if peak {
                    40.0
                } else {
                    10.0
                }
            })
            .collect();
        // Cut on 1 November of the second year: the forecast must see December coming.
        let cut = (day("2024-11-01") - start).num_days() as usize;
        let f = forecast(&DailyHistory::in_stock(start, units).head(cut), 60);
        assert!(f.yearly);
        assert!(
            (f.mean_daily(20) - 10.0).abs() < 1.0,
            "{}",
            f.mean_daily(20)
        );
        // One past year only: its ratio is shrunk towards 1 by its counting noise, so the peak
        // comes back smaller than 40 (about 30), but far above the 10-a-day level.
        let december: f64 = f.daily[35..55].iter().sum::<f64>() / 20.0;
        assert!(december > 25.0, "{december}");
        assert!(f.lower.iter().zip(&f.daily).all(|(l, d)| l <= d));
        assert!(f.upper.iter().zip(&f.daily).all(|(u, d)| u >= d));
    }

    #[test]
    fn no_history_forecasts_nothing() {
        let f = forecast(&DailyHistory::in_stock(day("2025-01-01"), vec![]), 10);
        assert_eq!(f.daily, vec![0.0; 10]);
        assert_eq!(f.level, 0.0);
    }
}
