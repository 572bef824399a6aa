//! Typed models (serde) of the Selling Partner API operations the client uses, one module per
//! API, written from Amazon's published models (`infra/amazon-stand-in/models`).
//!
//! Conventions shared by every module: field casing follows the model (`rename_all`, with
//! explicit renames for acronyms such as `ASIN`); optional fields are `Option` and are left out
//! when absent, because the models have no `null`; lists default to empty; unknown fields are
//! ignored, because Amazon adds fields without a new version. Money is always a
//! [`Decimal`]: some APIs send it as a decimal string and some as a JSON number, and
//! [`json_number`] reads and writes the latter digit for digit.
//!
//! What real Amazon bodies do beyond their models is read here too: booleans as strings
//! ([`flex_bool`], on every boolean), empty strings for absent dates and enums
//! ([`empty_as_none`]). Bodies are read with [`decode`], whose error names the field path.
//!
//! Type names and some field descriptions come from Amazon's Selling Partner API models
//! (Apache License 2.0, Copyright Amazon.com, Inc. or its affiliates; the license and notice
//! are in `infra/amazon-stand-in/models/`).

pub mod catalog;
pub mod fba_inventory;
pub mod fees;
pub mod finances;
pub mod finances_v0;
pub mod fulfillment_inbound;
pub mod listings;
pub mod notification_payloads;
pub mod notifications;
pub mod orders;
pub mod orders_v0;
pub mod pricing;
pub mod reports;
pub mod sellers;
pub mod solicitations;
pub mod tokens;

pub use notification_payloads::decode_notification;
pub use rust_decimal::Decimal;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::{ser, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

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

/// Why a body did not read into its model: the path of the field that failed, as
/// `payload.Orders[3].IsReplacementOrder`, and what was wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    /// The field path from the root of the body (`.` for the body itself).
    pub path: String,
    /// serde's message, with the line and column of the byte that failed.
    pub message: String,
}

impl From<serde_path_to_error::Error<serde_json::Error>> for DecodeError {
    fn from(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        Self {
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        }
    }
}

/// Reads a JSON body into its model. This is the one way the client reads Amazon's JSON: an
/// error names the field path, which serde_json alone does not.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)?;
    de.end().map_err(|e| DecodeError {
        path: ".".into(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// [`decode`] for a body already parsed into a [`serde_json::Value`].
pub fn decode_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, DecodeError> {
    Ok(serde_path_to_error::deserialize(value)?)
}

fn decimal_from_text<E: de::Error>(text: &str) -> Result<Decimal, E> {
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        text.parse::<Decimal>()
    };
    parsed.map_err(|e| E::custom(format_args!("not a decimal amount {text:?}: {e}")))
}

/// Reads an amount from a JSON number or a decimal string, never through a float's arithmetic.
struct Amount;

/// The key under which serde_json hands over a number's text when its `arbitrary_precision`
/// feature is on (it is not in this workspace; reading it keeps amounts exact if it ever is).
const ARBITRARY_PRECISION_KEY: &str = "$serde_json::private::Number";

impl<'de> Visitor<'de> for Amount {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an amount (a JSON number or a decimal string)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    /// serde_json parses the number's text to the nearest binary value (`float_roundtrip` is on
    /// for the workspace), so its shortest round-trip text is the text Amazon sent, up to 15
    /// significant digits: `10.34` stays `10.34`, `3.0` stays `3.0`.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        let number = serde_json::Number::from_f64(v)
            .ok_or_else(|| E::custom(format_args!("{v} is not an amount")))?;
        decimal_from_text(&number.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        decimal_from_text(v.trim())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == ARBITRARY_PRECISION_KEY => {
                let text: String = map.next_value()?;
                decimal_from_text(&text)
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

/// Writes an amount as a JSON number from the decimal's own text (`0.75`, `-1141.18`, `10`),
/// digit for digit: no float on the way.
fn write_amount<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let raw = serde_json::value::RawValue::from_string(d.to_string())
        .map_err(|e| ser::Error::custom(format_args!("amount {d}: {e}")))?;
    raw.serialize(s)
}

/// Money sent as a JSON number (finances, pricing, fees, notifications), the one exact-decimal
/// JSON path of the crate. Reading takes the number's text (a decimal string is accepted too);
/// writing puts the decimal's text on the wire as a number, so a body read and written back
/// keeps every digit. A [`serde_json::Value`] can hold only a binary number, so
/// [`json_number::to_value`] (for code that builds `Value`s) is exact to 15 significant digits,
/// which any amount is.
pub mod json_number {
    use super::Decimal;
    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(super::Amount)
    }

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        super::write_amount(value, s)
    }

    /// The amount as a JSON number value, parsed from the decimal's text.
    pub fn to_value(d: Decimal) -> serde_json::Value {
        serialize(&d, serde_json::value::Serializer).expect("a decimal's text is a JSON number")
    }
}

/// [`json_number`] for an optional amount; `null` and an empty string read as absent.
pub mod json_number_opt {
    use super::{Blankable, Decimal};
    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        d.deserialize_option(Blankable(super::Amount))
    }

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::write_amount(d, s),
            None => s.serialize_none(),
        }
    }
}

/// Booleans as Amazon sends them: a JSON `true`/`false`, or the same as a string (getOrders
/// sends `"IsReplacementOrder": "false"`, against its own model). Every boolean of the models
/// reads through here; they are written back as JSON booleans.
pub mod flex_bool {
    use super::{de, fmt, Blankable, Visitor};
    use serde::Deserializer;

    struct Flag;

    impl<'de> Visitor<'de> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean or \"true\"/\"false\"")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                t if t.eq_ignore_ascii_case("true") => Ok(true),
                t if t.eq_ignore_ascii_case("false") => Ok(false),
                _ => Err(de::Error::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }

    /// A required boolean (`#[serde(deserialize_with = "flex_bool::required")]`).
    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(Flag)
    }

    /// An optional boolean; `null` and `""` read as absent.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        d.deserialize_option(Blankable(Flag))
    }
}

/// An optional value where Amazon sends an empty string for "none" (getInventorySummaries
/// sends `"lastUpdatedTime": ""`): `""`, blanks and `null` read as absent, anything else reads
/// as `T` would. Used on every optional date-time (typed, or kept as text as in Orders v0) and
/// on optional enums.
pub fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_option(Blankable(AnyAs::<T>(PhantomData)))
}

/// Reads whatever the input holds as a `T`, for [`empty_as_none`] (which has looked at it
/// first through [`Blankable`]).
struct AnyAs<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for AnyAs<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::deserialize(de::value::StrDeserializer::<E>::new(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<T, E> {
        T::deserialize(de::value::BorrowedStrDeserializer::<E>::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        T::deserialize(de::value::StringDeserializer::<E>::new(v))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::deserialize(de::value::SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// The one place that decides what "absent" looks like on Amazon's wire: `null`, a missing
/// value, or a blank string. Anything else goes to the wrapped visitor.
struct Blankable<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Blankable<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(", an empty string or nothing")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.0.visit_bool(v).map(Some)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.0.visit_i64(v).map(Some)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.0.visit_u64(v).map(Some)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.0.visit_f64(v).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        self.0.visit_str(v).map(Some)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        self.0.visit_borrowed_str(v).map(Some)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        self.0.visit_string(v).map(Some)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(seq).map(Some)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(map).map(Some)
    }
}
