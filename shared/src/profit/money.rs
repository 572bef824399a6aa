//! Rounding for display, and only there: figures are exact sums until shown.
//!
//! Amazon rounds money half away from zero to the currency's minor unit (0.005 → 0.01,
//! −0.005 → −0.01; yen to whole units), the rounding its settlement amounts and fee
//! computations use; [`display`] does the same. Banker's rounding ([`display_bankers`]) is
//! there for the screens that ask for it, never used by us to compute.

use crate::marketplaces::CURRENCIES;
use rust_decimal::{Decimal, RoundingStrategy};

/// Digits after the decimal point of a currency's minor unit (2 when unknown).
pub fn minor_units(currency: &str) -> u32 {
    CURRENCIES
        .iter()
        .find(|c| c.code == currency)
        .map(|c| c.minor_units as u32)
        .unwrap_or(2)
}

/// An amount rounded for display: half away from zero, to the currency's minor unit, with
/// exactly that many digits (`12.5` USD shows as `12.50`).
pub fn display(amount: Decimal, currency: &str) -> Decimal {
    let dp = minor_units(currency);
    let mut d = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(dp);
    d
}

/// Banker's rounding (half to even), for a screen that wants it.
pub fn display_bankers(amount: Decimal, currency: &str) -> Decimal {
    let dp = minor_units(currency);
    let mut d = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    d.rescale(dp);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn display_rounds_half_away_from_zero_to_the_minor_unit() {
        assert_eq!(display(d("0.125"), "USD").to_string(), "0.13");
        assert_eq!(display(d("0.135"), "USD").to_string(), "0.14");
        assert_eq!(display(d("-0.125"), "EUR").to_string(), "-0.13");
        assert_eq!(display(d("12.5"), "USD").to_string(), "12.50");
        assert_eq!(display(d("1234.5"), "JPY").to_string(), "1235");
        assert_eq!(display(d("0.124999"), "GBP").to_string(), "0.12");
    }

    #[test]
    fn bankers_rounding_goes_to_even() {
        assert_eq!(display_bankers(d("0.125"), "USD").to_string(), "0.12");
        assert_eq!(display_bankers(d("0.135"), "USD").to_string(), "0.14");
        assert_eq!(display_bankers(d("2.5"), "JPY").to_string(), "2");
    }
}
