//! The forecast against generated demand with seasons, trends, promotions, stock-outs, launches
//! and declines (`amazon_stand_in::demand`): trained on 21 months, scored on the last 3.

use amazon_stand_in::demand::{backtest, generate, render, SkuClass};
use chrono::{Duration, NaiveDate};

#[test]
fn inventory_forecast_beats_the_naive_velocity_in_the_backtest() {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let skus = generate(7, 700, start, 731);
    let lines = backtest(&skus, start + Duration::days(639), 60);
    println!("{}", render(&lines));
    let all = lines.iter().find(|l| l.class == "all").unwrap();
    assert!(all.skus > 600, "{}", all.skus);
    assert!(
        all.ours.mape < all.naive.mape,
        "MAPE {} vs naive {}",
        all.ours.mape,
        all.naive.mape
    );
    assert!(all.ours.bias.abs() < all.naive.bias.abs());
    // Where the naive velocity is structurally wrong, the forecast is clearly better.
    for class in [SkuClass::Seasonal, SkuClass::StockOuts] {
        let l = lines.iter().find(|l| l.class == class.as_str()).unwrap();
        assert!(
            l.ours.mape < l.naive.mape * 0.9,
            "{}: {} vs {}",
            l.class,
            l.ours.mape,
            l.naive.mape
        );
    }
}

#[test]
fn inventory_demand_generator_is_deterministic_and_hides_demand_in_stock_outs() {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let a = generate(3, 28, start, 400);
    let b = generate(3, 28, start, 400);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (&x.demand, &x.sales, &x.in_stock),
            (&y.demand, &y.sales, &y.in_stock)
        );
    }
    let outs: usize = a
        .iter()
        .flat_map(|s| s.in_stock.iter().zip(&s.sales))
        .filter(|(ok, sold)| !**ok && **sold > 0)
        .count();
    assert_eq!(outs, 0, "nothing sells on a stock-out day");
    assert!(a
        .iter()
        .any(|s| s.class == SkuClass::New && s.start > start));
}
