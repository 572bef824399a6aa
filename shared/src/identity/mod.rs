//! Identity and tenancy on the store port: users, sessions, one-time tokens, throttles,
//! accounts (tenants), memberships, roles and permissions. Key design: `infra/ACCESS_PATTERNS.md`.

pub mod mails;
pub mod passwords;
pub mod sessions;
pub mod tenancy;
pub mod throttle;
pub mod tokens;
pub mod users;

use crate::error::{Error, Result};
use crate::ports::store::{Item, Value};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Typed reads of item attributes.
pub trait ItemExt {
    fn s(&self, name: &str) -> Result<String>;
    fn opt_s(&self, name: &str) -> Option<String>;
    fn n_i64(&self, name: &str) -> Result<i64>;
    fn flag(&self, name: &str) -> bool;
    fn time(&self, name: &str) -> Result<DateTime<Utc>>;
    fn opt_time(&self, name: &str) -> Option<DateTime<Utc>>;
    fn list_s(&self, name: &str) -> Vec<String>;
}

fn corrupt(name: &str) -> Error {
    Error::Internal(format!("stored item lacks a valid {name}"))
}

impl ItemExt for Item {
    fn s(&self, name: &str) -> Result<String> {
        self.opt_s(name).ok_or_else(|| corrupt(name))
    }
    fn opt_s(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Value::as_s).map(str::to_string)
    }
    fn n_i64(&self, name: &str) -> Result<i64> {
        self.get(name)
            .and_then(Value::as_n)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| corrupt(name))
    }
    fn flag(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
    fn time(&self, name: &str) -> Result<DateTime<Utc>> {
        self.opt_time(name).ok_or_else(|| corrupt(name))
    }
    fn opt_time(&self, name: &str) -> Option<DateTime<Utc>> {
        self.opt_s(name)
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc))
    }
    fn list_s(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Value::L(l)) => l
                .iter()
                .filter_map(|v| v.as_s().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    }
}

/// Builds an item attribute by attribute.
#[derive(Debug, Default, Clone)]
pub struct ItemBuilder(Item);

impl ItemBuilder {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        let mut i = Item::new();
        i.insert("pk".into(), Value::S(pk.into()));
        i.insert("sk".into(), Value::S(sk.into()));
        Self(i)
    }
    pub fn s(mut self, name: &str, v: impl Into<String>) -> Self {
        self.0.insert(name.into(), Value::S(v.into()));
        self
    }
    pub fn opt_s(self, name: &str, v: Option<impl Into<String>>) -> Self {
        match v {
            Some(v) => self.s(name, v),
            None => self,
        }
    }
    pub fn n(mut self, name: &str, v: i64) -> Self {
        self.0.insert(name.into(), Value::N(v.to_string()));
        self
    }
    /// A decimal number attribute (DynamoDB `N` holds the decimal text).
    pub fn decimal(mut self, name: &str, v: rust_decimal::Decimal) -> Self {
        self.0
            .insert(name.into(), Value::N(v.normalize().to_string()));
        self
    }
    pub fn flag(mut self, name: &str, v: bool) -> Self {
        self.0.insert(name.into(), Value::Bool(v));
        self
    }
    pub fn time(self, name: &str, t: DateTime<Utc>) -> Self {
        self.s(name, rfc3339(t))
    }
    pub fn opt_time(self, name: &str, t: Option<DateTime<Utc>>) -> Self {
        self.opt_s(name, t.map(rfc3339))
    }
    pub fn list_s(mut self, name: &str, v: &[String]) -> Self {
        self.0.insert(
            name.into(),
            Value::L(v.iter().cloned().map(Value::S).collect()),
        );
        self
    }
    /// Expires the item at `t` (plus a day, so the record outlives what it guards).
    pub fn ttl(self, t: DateTime<Utc>) -> Self {
        self.n("ttl", t.timestamp() + 86_400)
    }
    pub fn build(self) -> Item {
        self.0
    }
}

/// Timestamps as the frontend reads them: RFC 3339 with milliseconds, `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// 32 random bytes, URL-safe base64: bearer secrets (refresh, verification, reset tokens).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as their SHA-256, so a leaked table grants nothing.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
