//! When a SKU runs out, when to order and how much.
//!
//! Day `k` counts from today (day 0). `position(k)` is the stock at the start of day `k`: on
//! hand, plus every inbound quantity arriving on or before day `k`, minus the forecast demand of
//! days `0..k`.
//!
//! - **Stock-out**: the first day whose demand the position cannot serve in full; the days of
//!   cover are the days before it.
//! - **Lead time**: the supplier's lead time plus the FBA inbound time (shipping, check-in,
//!   receiving): an order placed on day `k` is sellable on day `k + L`.
//! - **Safety stock**: `z(service level) × σ(daily demand) × √L`, whole units rounded up.
//! - **Reorder point**: demand over the next `L` days plus the safety stock: order when
//!   stock + inbound falls to it.
//! - **Reorder date**: the last day an order can be placed and still arrive with the safety
//!   stock left: with `j` the first day the position falls below the safety stock, day
//!   `j - L - 1`. Earlier than today means overdue (order today).
//! - **Order quantity**: enough for `cover_days` from arrival plus the safety stock, less what
//!   will still be there when it arrives (lost sales are not made up) and what else arrives in
//!   that time; then at least the MOQ, then up to a whole number of cases.

use super::demand::Forecast;
use chrono::{Duration, NaiveDate};

/// Units on their way, sellable from a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub units: i64,
    pub arrives: NaiveDate,
}

/// What restocking one SKU takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Supply {
    /// Sellable units now.
    pub on_hand: i64,
    pub inbound: Vec<Inbound>,
    pub supplier_lead_days: u32,
    /// Shipping to Amazon, check-in and receiving.
    pub fba_inbound_days: u32,
    /// Probability of not running out during a lead time (0.5 to 0.9999).
    pub service_level: f64,
    /// Minimum order quantity (0 or 1 for none).
    pub moq: i64,
    /// Units per case (0 or 1 for single units).
    pub case_pack: i64,
    /// Days an order should last after it arrives.
    pub cover_days: u32,
}

/// One SKU's restock plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub lead_time_days: u32,
    /// Whole days the stock and inbound last; `None` past the forecast.
    pub days_of_cover: Option<u32>,
    pub stockout_date: Option<NaiveDate>,
    pub safety_stock: i64,
    pub reorder_point: i64,
    /// The last day to order; `None` when no order is needed within the forecast.
    pub reorder_date: Option<NaiveDate>,
    /// The reorder date has passed: order today.
    pub overdue: bool,
    /// Units before the MOQ and the case pack.
    pub needed_quantity: i64,
    /// Units to order on the reorder date (MOQ and case pack applied); 0 when none is needed.
    pub order_quantity: i64,
}

/// The z of a one-sided service level (inverse of the standard normal CDF, Acklam's rational
/// approximation, relative error below 1.2e-9).
pub fn z_for_service_level(p: f64) -> f64 {
    let p = p.clamp(0.5, 0.9999);
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let p_high = 1.0 - 0.02425;
    if p <= p_high {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// Whole units, rounded up (a hair of float noise does not add a unit).
fn ceil_units(x: f64) -> i64 {
    (x - 1e-9).ceil().max(0.0) as i64
}

/// The plan from a forecast starting today.
pub fn plan_forecast(f: &Forecast, s: &Supply) -> Plan {
    let lt = (s.supplier_lead_days + s.fba_inbound_days) as usize;
    plan(f.start, &f.daily, f.sigma_daily(lt.max(1)), s)
}

/// The plan from today's daily demand forecast (`daily[0]` is today) and the standard
/// deviation of one day's demand. Days past the forecast repeat its last week's mean.
pub fn plan(today: NaiveDate, daily: &[f64], sigma_daily: f64, s: &Supply) -> Plan {
    let lt = s.supplier_lead_days + s.fba_inbound_days;
    let tail = {
        let n = daily.len();
        let last = &daily[n.saturating_sub(7)..];
        if last.is_empty() {
            0.0
        } else {
            last.iter().sum::<f64>() / last.len() as f64
        }
    };
    let demand = |k: usize| daily.get(k).copied().unwrap_or(tail).max(0.0);
    let arriving = |k: usize| -> i64 {
        s.inbound
            .iter()
            .filter(|i| (i.arrives - today).num_days().max(0) as usize == k)
            .map(|i| i.units)
            .sum()
    };
    let z = z_for_service_level(s.service_level);
    let safety_stock = if sigma_daily > 0.0 && lt > 0 {
        ceil_units(z * sigma_daily * (lt as f64).sqrt())
    } else {
        0
    };
    let reorder_point = ceil_units((0..lt as usize).map(demand).sum::<f64>() + safety_stock as f64);

    // Walk the days: position(k) at the start of day k.
    let horizon = daily.len().max(lt as usize + s.cover_days as usize + 1) + 366;
    let mut positions = Vec::with_capacity(horizon + 1);
    let mut pos = s.on_hand as f64;
    let mut stockout: Option<usize> = None;
    let mut below_safety: Option<usize> = None;
    for k in 0..=horizon {
        pos += arriving(k) as f64;
        positions.push(pos);
        if below_safety.is_none() && pos < safety_stock as f64 - 1e-9 {
            below_safety = Some(k);
        }
        let d = demand(k);
        if stockout.is_none() && pos + 1e-9 < d {
            stockout = Some(k);
        }
        pos -= d;
        if stockout.is_some() && below_safety.is_some() {
            break;
        }
    }
    let forecast_days = daily.len();
    let within = |k: usize| k < forecast_days;
    let days_of_cover = stockout.filter(|k| within(*k)).map(|k| k as u32);
    let stockout_date = days_of_cover.map(|k| today + Duration::days(k as i64));

    let (reorder_day, overdue) = match below_safety.filter(|k| within(*k)) {
        None => (None, false),
        Some(j) => {
            let k = j as i64 - lt as i64 - 1;
            if k < 0 {
                (Some(0usize), true)
            } else {
                (Some(k as usize), false)
            }
        }
    };
    let (needed_quantity, order_quantity) = match reorder_day {
        None => (0, 0),
        Some(k) => {
            let a = k + lt as usize;
            let at_arrival = positions
                .get(a)
                .copied()
                .unwrap_or_else(|| positions.last().copied().unwrap_or(0.0));
            let cover = s.cover_days as usize;
            let need: f64 = (a..a + cover).map(demand).sum::<f64>();
            let later: i64 = (a + 1..a + cover).map(arriving).sum();
            let raw = ceil_units(need + safety_stock as f64 - at_arrival.max(0.0) - later as f64);
            (raw, order_units(raw, s.moq, s.case_pack))
        }
    };
    Plan {
        lead_time_days: lt,
        days_of_cover,
        stockout_date,
        safety_stock,
        reorder_point,
        reorder_date: reorder_day.map(|k| today + Duration::days(k as i64)),
        overdue,
        needed_quantity,
        order_quantity,
    }
}

/// `needed` raised to the MOQ, then up to whole cases; 0 stays 0.
pub fn order_units(needed: i64, moq: i64, case_pack: i64) -> i64 {
    if needed <= 0 {
        return 0;
    }
    let q = needed.max(moq.max(1));
    let case = case_pack.max(1);
    (q + case - 1) / case * case
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    }

    fn supply() -> Supply {
        Supply {
            on_hand: 500,
            inbound: vec![],
            supplier_lead_days: 20,
            fba_inbound_days: 10,
            service_level: 0.95,
            moq: 0,
            case_pack: 1,
            cover_days: 60,
        }
    }

    #[test]
    fn z_matches_the_normal_table() {
        assert!((z_for_service_level(0.95) - 1.644854).abs() < 1e-5);
        assert!((z_for_service_level(0.99) - 2.326348).abs() < 1e-5);
        assert!((z_for_service_level(0.5)).abs() < 1e-9);
        assert!((z_for_service_level(0.999) - 3.090232).abs() < 1e-5);
    }

    #[test]
    fn lead_time_alone() {
        // 10 a day, 500 on hand, 20 + 10 days of lead time, no variability:
        // out on day 50; the last order day is 50 - 30 = day 20 (position 300 = 30 days' demand).
        let p = plan(today(), &[10.0; 200], 0.0, &supply());
        assert_eq!(p.lead_time_days, 30);
        assert_eq!(p.days_of_cover, Some(50));
        assert_eq!(p.stockout_date, Some(today() + Duration::days(50)));
        assert_eq!(p.safety_stock, 0);
        assert_eq!(p.reorder_point, 300);
        assert_eq!(p.reorder_date, Some(today() + Duration::days(20)));
        assert!(!p.overdue);
        // Arrives on day 50 with nothing left: 60 days × 10.
        assert_eq!(p.needed_quantity, 600);
        assert_eq!(p.order_quantity, 600);
    }

    #[test]
    fn safety_stock_moves_the_date_and_the_quantity() {
        // σ = 5 a day, 95 %: SS = ceil(1.6449 × 5 × √30) = ceil(45.05) = 46; ROP = 346.
        // Position 500 - 10k ≥ 346 holds through day 15 (350), not day 16 (340).
        // Arrives day 45 with 50 left: 600 + 46 - 50 = 596.
        let p = plan(today(), &[10.0; 200], 5.0, &supply());
        assert_eq!(p.safety_stock, 46);
        assert_eq!(p.reorder_point, 346);
        assert_eq!(p.reorder_date, Some(today() + Duration::days(15)));
        assert_eq!(p.needed_quantity, 596);
        assert_eq!(p.order_quantity, 596);
    }

    #[test]
    fn case_pack_then_moq() {
        // 596 in cases of 48: 13 cases = 624.
        let mut s = supply();
        s.case_pack = 48;
        assert_eq!(plan(today(), &[10.0; 200], 5.0, &s).order_quantity, 624);
        // An MOQ of 1,000 first, then whole cases: 21 × 48 = 1,008.
        s.moq = 1000;
        assert_eq!(plan(today(), &[10.0; 200], 5.0, &s).order_quantity, 1008);
        assert_eq!(order_units(0, 1000, 48), 0);
        assert_eq!(order_units(96, 0, 48), 96);
    }

    #[test]
    fn inbound_stock_pushes_the_dates_out() {
        // 100 on hand + 400 arriving on day 5 at 10 a day: out on day 50 as with 500 on hand.
        let mut s = supply();
        s.on_hand = 100;
        s.inbound = vec![Inbound {
            units: 400,
            arrives: today() + Duration::days(5),
        }];
        let p = plan(today(), &[10.0; 200], 0.0, &s);
        assert_eq!(p.days_of_cover, Some(50));
        assert_eq!(p.reorder_date, Some(today() + Duration::days(20)));
    }

    #[test]
    fn too_late_is_overdue_today_and_lost_sales_are_not_made_up() {
        // 100 on hand at 10 a day: out on day 10, the lead time is 30: order today.
        // It arrives on day 30 with nothing left (the 200 units short are lost sales):
        // 60 days × 10 = 600.
        let mut s = supply();
        s.on_hand = 100;
        let p = plan(today(), &[10.0; 200], 0.0, &s);
        assert!(p.overdue);
        assert_eq!(p.reorder_date, Some(today()));
        assert_eq!(p.days_of_cover, Some(10));
        assert_eq!(p.order_quantity, 600);
    }

    #[test]
    fn enough_stock_needs_no_order() {
        let mut s = supply();
        s.on_hand = 100_000;
        let p = plan(today(), &[10.0; 365], 0.0, &s);
        assert_eq!(p.days_of_cover, None);
        assert_eq!(p.reorder_date, None);
        assert_eq!(p.order_quantity, 0);
        // No demand at all: never out, never order.
        let p = plan(today(), &[0.0; 365], 0.0, &supply());
        assert_eq!((p.days_of_cover, p.reorder_date), (None, None));
    }
}
