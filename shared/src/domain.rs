//! Domain newtypes, parsed at the edge so the rest of the code can trust them.

use crate::error::{Error, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $field:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }
            /// Accepts only a canonical UUID, so an id can never smuggle a key separator.
            pub fn parse(s: &str) -> Result<Self> {
                uuid::Uuid::parse_str(s.trim())
                    .map(|u| Self(u.to_string()))
                    .map_err(|_| Error::validation($field, "must be a UUID"))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A user: a person who logs in; may belong to several accounts.
    UserId,
    "userId"
);
id_type!(
    /// A tenant (the frontend's "account"): every key of tenant data starts with it.
    TenantId,
    "accountId"
);
id_type!(
    /// A connected Amazon seller account (one per marketplace region) inside a tenant.
    AmazonAccountId,
    "amazonAccountId"
);

/// A syntactically valid, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    && !local
                        .chars()
                        .any(|c| c.is_whitespace() || c == '@' || c.is_control())
            });
        if valid {
            Ok(Self(s))
        } else {
            Err(Error::validation("email", "must be a valid email address"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 4217 currency code we know (see `crate::marketplaces::CURRENCIES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Currency(&'static str);

impl Currency {
    pub fn parse(s: &str) -> Result<Self> {
        let up = s.trim().to_uppercase();
        crate::marketplaces::CURRENCIES
            .iter()
            .find(|c| c.code == up)
            .map(|c| Currency(c.code))
            .ok_or_else(|| {
                Error::validation("currency", format!("{up:?} is not a supported currency"))
            })
    }
    pub fn code(self) -> &'static str {
        self.0
    }
}

/// An amount of money: a decimal in a currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Adds two amounts of the same currency; mixing currencies is a bug, reported as such.
    pub fn checked_add(self, other: Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(Error::Internal(format!(
                "cannot add {} to {}",
                other.currency.code(),
                self.currency.code()
            )));
        }
        Ok(Money::new(self.amount + other.amount, self.currency))
    }
}

/// Password rules for every place a password is set: 10 to 128 characters with a lower-case
/// letter, an upper-case letter, a digit and a symbol.
pub fn check_password_strength(field: &str, password: &str) -> Result<()> {
    let len = password.chars().count();
    let ok = (10..=128).contains(&len)
        && password.chars().any(|c| c.is_lowercase())
        && password.chars().any(|c| c.is_uppercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| !c.is_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            "must be 10-128 characters with upper- and lower-case letters, a digit and a symbol",
        ))
    }
}
