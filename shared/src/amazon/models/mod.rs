//! Typed models (serde) of the Selling Partner API operations the client uses, one module per
//! API, written from Amazon's published models (`infra/amazon-stand-in/models`).
//!
//! Conventions shared by every module: field casing follows the model (`rename_all`, with
//! explicit renames for acronyms such as `ASIN`); optional fields are `Option` and are left out
//! when absent, because the models have no `null`; lists default to empty; unknown fields are
//! ignored, because Amazon adds fields without a new version. Money is always a
//! [`Decimal`]: some APIs send it as a decimal string and some as a JSON number, and
//! [`json_number`] reads the latter without going through a float's arithmetic.
//!
//! Type names and some field descriptions come from Amazon's Selling Partner API models
//! (Apache License 2.0, Copyright Amazon.com, Inc. or its affiliates; the license and notice
//! are in `infra/amazon-stand-in/models/`).

pub mod catalog;
pub mod fba_inventory;
pub mod fees;
pub mod finances;
pub mod finances_v0;
pub mod listings;
pub mod notifications;
pub mod orders;
pub mod orders_v0;
pub mod pricing;
pub mod reports;
pub mod sellers;
pub mod solicitations;
pub mod tokens;

pub use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One error of a failed call. Both of Amazon's error families carry these: a bare
/// [`ErrorList`] body, or the `errors` list of an API's response wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A machine-readable code such as `InvalidInput` (the reports sandbox uses `"400"`).
    pub code: String,
    /// Required everywhere except FBA Inventory, so an absent message reads as empty.
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// An error body, `{"errors": [...]}`. It also reads the error responses of the APIs that reuse
/// their success wrapper for errors, since those carry the same `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorList {
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

/// A response that may have a next page; the token goes back in the request parameter that
/// the operation's [`crate::amazon::catalogue::Pagination`] names.
pub trait Paged {
    /// The token of the next page, `None` on the last page.
    fn next_token(&self) -> Option<&str>;
}

/// The page-token parameter of an operation named `module.operationId`, from the catalogue.
pub use super::catalogue::pagination_param;

fn decimal_from_text<E: serde::de::Error>(text: &str) -> Result<Decimal, E> {
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        text.parse::<Decimal>()
    };
    parsed.map_err(|e| E::custom(format_args!("not a decimal amount {text:?}: {e}")))
}

fn decimal_from_json<E: serde::de::Error>(value: serde_json::Value) -> Result<Decimal, E> {
    match value {
        serde_json::Value::Number(n) => decimal_from_text(&n.to_string()),
        serde_json::Value::String(s) => decimal_from_text(s.trim()),
        other => Err(E::custom(format_args!("expected an amount, found {other}"))),
    }
}

fn decimal_to_json<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::ToPrimitive;
    let as_number = if d.scale() == 0 {
        d.to_i64().map(serde_json::Number::from)
    } else {
        d.to_f64().and_then(serde_json::Number::from_f64)
    };
    match as_number {
        Some(n) => n.serialize(s),
        None => Err(serde::ser::Error::custom(format_args!(
            "amount {d} has no JSON number form"
        ))),
    }
}

/// Money sent as a JSON number (finances, pricing, fees), read as a [`Decimal`] through the
/// number's shortest round-trip text (`10.34` stays `10.34`, exact up to 15 significant digits,
/// far beyond any amount) and written back as a number. A decimal string is accepted too.
pub mod json_number {
    use super::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::decimal_from_json(serde_json::Value::deserialize(d)?)
    }

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        super::decimal_to_json(value, s)
    }
}

/// [`json_number`] for an optional amount.
pub mod json_number_opt {
    use super::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            value => super::decimal_from_json(value).map(Some),
        }
    }

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::decimal_to_json(d, s),
            None => s.serialize_none(),
        }
    }
}
