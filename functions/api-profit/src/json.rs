//! JSON helpers: the envelopes of the contract and money as numbers.
//!
//! Figures are exact decimals until here; a response shows them rounded half away from zero
//! to the currency's minor unit (as Amazon rounds), written as a JSON number whose text is
//! exactly that decimal (`12.5` → `12.5`, read by the UI as 12.50).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

/// A money figure for display, rounded to 2 decimals half away from zero.
pub fn money(d: Decimal) -> Value {
    money_dp(d, 2)
}

/// A money figure rounded to `dp` decimals (the currency's minor unit).
pub fn money_dp(d: Decimal, dp: u32) -> Value {
    let r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    number(r)
}

/// A decimal as a JSON number (its shortest float text equals the decimal's text for the
/// 15 significant digits a figure has).
pub fn number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Some(i) = d.to_i64() {
            return Value::from(i);
        }
    }
    serde_json::Number::from_f64(d.to_f64().unwrap_or(0.0))
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A percentage `part / whole × 100`, 2 decimals; 0 when `whole` is 0.
pub fn percent(part: Decimal, whole: Decimal) -> Value {
    if whole.is_zero() {
        return json!(0);
    }
    money(part / whole * Decimal::ONE_HUNDRED)
}

/// `{success: true, data}` (convention A).
pub fn ok(data: Value) -> Response {
    Json(json!({"success": true, "data": data})).into_response()
}

/// 201 `{success: true, data}`.
pub fn created(data: Value) -> Response {
    (
        StatusCode::CREATED,
        Json(json!({"success": true, "data": data})),
    )
        .into_response()
}

/// A bare body (convention C).
pub fn bare(body: Value) -> Response {
    Json(body).into_response()
}

/// Reads an amount sent as a JSON number or as decimal text (`12.5`, `"12.50"`): the
/// number's text is parsed as a decimal, never kept as a float.
pub fn decimal(
    v: &mut shared::error::Validator,
    field: &str,
    raw: Option<&Value>,
) -> Option<Decimal> {
    let text = match raw {
        None | Some(Value::Null) => return None,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(_) => {
            v.push(field, "must be a number");
            return None;
        }
    };
    match text.parse::<Decimal>() {
        Ok(d) => Some(d),
        Err(_) => {
            v.push(field, "must be a number");
            None
        }
    }
}

/// Reads a whole number sent as a JSON number or text.
pub fn whole(v: &mut shared::error::Validator, field: &str, raw: Option<&Value>) -> Option<i64> {
    let d = decimal(v, field, raw)?;
    if d.fract().is_zero() {
        d.to_i64().or_else(|| {
            v.push(field, "is too large");
            None
        })
    } else {
        v.push(field, "must be a whole number");
        None
    }
}
