//! The forecast benchmark and backtest (not a test; `infra/bench/forecast.sh` runs it):
//!
//! 1. Backtest: `BACKTEST_SKUS` (default 2,100) generated SKUs over two years, trained on the
//!    first 21 months and forecast over the last 3, MAPE and bias per class beside the naive
//!    30-day velocity, for SKUs with at least 60 days of sales.
//! 2. Recompute: `SKUS` (default 5,000) SKUs with two years of daily history each: the time of
//!    one run of forecast (365 days) + restock plan for every SKU, and the process's peak
//!    resident memory (VmHWM) before and after it.

use amazon_stand_in::demand::{backtest, generate, render};
use chrono::{Duration, NaiveDate};
use shared::forecast::{forecast, plan_forecast, Supply};
use std::time::Instant;

fn vm(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "n/a".into())
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let days = 731;
    let cut = start + Duration::days(639);

    let skus = generate(7, env("BACKTEST_SKUS", 2100), start, days);
    println!("Backtest: {} SKUs, {} days from {start}, trained to {cut}, forecast {} days; SKUs with >= 60 days of sales", skus.len(), days, days - 639);
    print!("{}", render(&backtest(&skus, cut, 60)));
    drop(skus);

    let n = env("SKUS", 5000);
    let skus = generate(11, n, start, days);
    let histories: Vec<_> = skus.iter().map(|s| s.history()).collect();
    drop(skus);
    println!(
        "\nRecompute: {n} SKUs x up to {days} days; before: VmHWM {}",
        vm("VmHWM:")
    );
    let t = Instant::now();
    let mut orders = 0i64;
    let mut yearly = 0usize;
    for h in &histories {
        let f = forecast(h, 365);
        yearly += f.yearly as usize;
        let p = plan_forecast(
            &f,
            &Supply {
                on_hand: 200,
                inbound: vec![],
                supplier_lead_days: 30,
                fba_inbound_days: 14,
                service_level: 0.95,
                moq: 100,
                case_pack: 24,
                cover_days: 60,
            },
        );
        orders += p.order_quantity;
    }
    let took = t.elapsed();
    println!(
        "forecast + plan of {n} SKUs: {:.0} ms ({:.1} µs a SKU), {yearly} with a yearly profile, {orders} units to order; after: VmHWM {}",
        took.as_secs_f64() * 1000.0,
        took.as_secs_f64() * 1e6 / n as f64,
        vm("VmHWM:")
    );
}
