//! The store port: DynamoDB single-table semantics.
//!
//! One table with generic keys: `pk`/`sk` for the table, `gsi1pk`/`gsi1sk` and
//! `gsi2pk`/`gsi2sk` for two global secondary indexes, and `ttl` (epoch seconds) for expiry.
//! Items whose `ttl` has passed are never returned by `get`, `batch_get` or `query`, but, as on
//! DynamoDB, conditions still see them until they are swept.

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An attribute value, serialised exactly like DynamoDB's JSON (`{"S":"x"}`, `{"N":"1.5"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    S(String),
    /// A number, kept as its decimal text so money never passes through a float.
    N(String),
    #[serde(rename = "BOOL")]
    Bool(bool),
    #[serde(rename = "NULL")]
    Null(bool),
    L(Vec<Value>),
    M(BTreeMap<String, Value>),
}

impl Value {
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_n(&self) -> Option<&str> {
        match self {
            Value::N(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::S(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::S(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::N(n.to_string())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// One item: attribute name to value.
pub type Item = BTreeMap<String, Value>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
pub const GSI2PK: &str = "gsi2pk";
pub const GSI2SK: &str = "gsi2sk";
pub const TTL: &str = "ttl";

/// Largest item DynamoDB accepts (400 KB); both adapters refuse larger ones.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limits for one `TransactWriteItems`, `BatchWriteItem` and `BatchGetItem`.
pub const MAX_TRANSACT_ITEMS: usize = 100;
pub const BATCH_WRITE_CHUNK: usize = 25;
pub const BATCH_GET_CHUNK: usize = 100;

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of an item, if it has string `pk` and `sk`.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(item.get(PK)?.as_s()?, item.get(SK)?.as_s()?))
    }
}

/// Conditions on the item currently stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// An item exists under the key.
    Exists,
    /// No item exists under the key.
    NotExists,
    /// The stored item has this attribute with exactly this value.
    Equals(String, Value),
    /// The stored item lacks this attribute (true when there is no item at all).
    AttributeMissing(String),
    /// All of these hold.
    All(Vec<Condition>),
    /// At least one of these holds.
    Any(Vec<Condition>),
    /// The stored item has this attribute, and it is lower than this value: strings compare
    /// bytewise, numbers numerically, as DynamoDB's `<` does. The guard of newer-wins writes
    /// (`Any([NotExists, Below("sourceVersion", v)])`).
    Below(String, Value),
}

impl Condition {
    /// Evaluates against the stored item (`None` when absent), as DynamoDB does.
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match self {
            Condition::Exists => current.is_some(),
            Condition::NotExists => current.is_none(),
            Condition::Equals(name, v) => current.and_then(|i| i.get(name)) == Some(v),
            Condition::AttributeMissing(name) => current.and_then(|i| i.get(name)).is_none(),
            Condition::All(cs) => cs.iter().all(|c| c.holds(current)),
            Condition::Any(cs) => cs.iter().any(|c| c.holds(current)),
            Condition::Below(name, v) => match (current.and_then(|i| i.get(name)), v) {
                (Some(Value::S(a)), Value::S(b)) => a.as_bytes() < b.as_bytes(),
                (Some(Value::N(a)), Value::N(b)) => {
                    match (
                        a.parse::<rust_decimal::Decimal>(),
                        b.parse::<rust_decimal::Decimal>(),
                    ) {
                        (Ok(a), Ok(b)) => a < b,
                        _ => false,
                    }
                }
                _ => false,
            },
        }
    }
}

/// Which key space a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

impl Index {
    pub fn key_names(self) -> (&'static str, &'static str) {
        match self {
            Index::Table => (PK, SK),
            Index::Gsi1 => (GSI1PK, GSI1SK),
            Index::Gsi2 => (GSI2PK, GSI2SK),
        }
    }
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
        }
    }
}

/// A condition on the sort key of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Any,
    Eq(String),
    BeginsWith(String),
    /// Inclusive at both ends, as DynamoDB's BETWEEN.
    Between(String, String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortKey::Any => true,
            SortKey::Eq(v) => sk == v,
            SortKey::BeginsWith(p) => sk.starts_with(p.as_str()),
            SortKey::Between(a, b) => sk >= a.as_str() && sk <= b.as_str(),
            SortKey::Lt(v) => sk < v.as_str(),
            SortKey::Le(v) => sk <= v.as_str(),
            SortKey::Gt(v) => sk > v.as_str(),
            SortKey::Ge(v) => sk >= v.as_str(),
        }
    }
}

/// A query on one partition of the table or of an index.
#[derive(Debug, Clone)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: SortKey,
    /// Ascending sort-key order when true.
    pub forward: bool,
    /// At most this many items a page.
    pub limit: Option<usize>,
    /// The cursor returned with the previous page.
    pub cursor: Option<String>,
}

impl Query {
    pub fn partition(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index,
            pk: pk.into(),
            sk: SortKey::Any,
            forward: true,
            limit: None,
            cursor: None,
        }
    }
    pub fn sk(mut self, sk: SortKey) -> Self {
        self.sk = sk;
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }
    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of a query. `cursor` is `Some` while more pages may follow (a page may then be
/// short or even empty, as on DynamoDB); `None` means the query is finished.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<String>,
}

/// The last key a page evaluated: the table key plus the index key when querying an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorKey {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isk: Option<String>,
}

impl CursorKey {
    /// The opaque text handed to callers (URL-safe).
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("cursor serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }
    pub fn decode(text: &str) -> Result<Self, StoreError> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| StoreError::Invalid("malformed pagination cursor".into()))
    }
}

/// One write of a transaction.
#[derive(Debug, Clone)]
pub enum TxOp {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    Check {
        key: Key,
        condition: Condition,
    },
}

impl TxOp {
    pub fn key(&self) -> Option<Key> {
        match self {
            TxOp::Put { item, .. } => Key::of(item),
            TxOp::Delete { key, .. } | TxOp::Check { key, .. } => Some(key.clone()),
        }
    }
}

/// One write of a batch (no conditions, as on DynamoDB).
#[derive(Debug, Clone)]
pub enum WriteOp {
    Put(Item),
    Delete(Key),
}

/// Why one operation of a cancelled transaction failed (`None`: it did not).
pub const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailed";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the condition on the stored item did not hold")]
    ConditionFailed,
    #[error("transaction cancelled: {reasons:?}")]
    TransactionCanceled { reasons: Vec<Option<String>> },
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored item lacks an attribute its reader needs, or holds it with the wrong type.
    #[error("stored item lacks a valid {0}")]
    Corrupt(String),
}

/// DynamoDB single-table semantics.
#[async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Writes the whole item, replacing any stored one, if `condition` holds.
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError>;
    /// Removes the item, if `condition` holds. Removing a missing item is not an error.
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError>;
    async fn query(&self, query: Query) -> Result<Page, StoreError>;
    /// All or nothing, at most 100 operations on distinct keys; a failed condition cancels
    /// everything and names, per operation, why.
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError>;
    /// Any number of keys (chunked by 100, unprocessed keys retried); missing items are left out.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;
    /// Any number of writes (chunked by 25, unprocessed writes retried); not atomic as a whole.
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;
}

/// Checks what both adapters refuse before touching storage.
pub fn validate_item(item: &Item) -> Result<Key, StoreError> {
    let key =
        Key::of(item).ok_or_else(|| StoreError::Invalid("item needs string pk and sk".into()))?;
    validate_key(&key)?;
    for (a, b) in [(GSI1PK, GSI1SK), (GSI2PK, GSI2SK)] {
        for name in [a, b] {
            if let Some(v) = item.get(name) {
                match v.as_s() {
                    Some(s) if !s.is_empty() && !s.contains('\0') => {}
                    _ => {
                        return Err(StoreError::Invalid(format!(
                            "{name} must be a non-empty string"
                        )))
                    }
                }
            }
        }
    }
    if let Some(v) = item.get(TTL) {
        if v.as_n().and_then(|n| n.parse::<i64>().ok()).is_none() {
            return Err(StoreError::Invalid(
                "ttl must be a whole number of epoch seconds".into(),
            ));
        }
    }
    let size = serde_json::to_vec(item)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "item of {size} bytes exceeds 400 KB"
        )));
    }
    Ok(key)
}

pub fn validate_key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() || key.pk.contains('\0') || key.sk.contains('\0') {
        return Err(StoreError::Invalid(
            "pk and sk must be non-empty text without NUL".into(),
        ));
    }
    Ok(())
}

/// Whether an item has expired at `now_epoch` (DynamoDB TTL semantics).
pub fn is_expired(item: &Item, now_epoch: i64) -> bool {
    item.get(TTL)
        .and_then(Value::as_n)
        .and_then(|n| n.parse::<i64>().ok())
        .is_some_and(|t| t <= now_epoch)
}

/// Checks a transaction's shape: size and distinct keys.
pub fn validate_transaction(ops: &[TxOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACT_ITEMS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACT_ITEMS} operations, not {}",
            ops.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for op in ops {
        let key = match op {
            TxOp::Put { item, .. } => validate_item(item)?,
            TxOp::Delete { key, .. } | TxOp::Check { key, .. } => {
                validate_key(key)?;
                key.clone()
            }
        };
        if !seen.insert(key) {
            return Err(StoreError::Invalid(
                "a transaction cannot touch the same item twice".into(),
            ));
        }
    }
    Ok(())
}

/// Applies one transaction operation on its own (a conditional put, delete or check).
pub async fn apply(store: &dyn Store, op: TxOp) -> Result<(), StoreError> {
    match op {
        TxOp::Put { item, condition } => store.put(item, condition).await,
        TxOp::Delete { key, condition } => store.delete(&key, condition).await,
        TxOp::Check { key, condition } => match store.get(&key).await? {
            ref current if condition.holds(current.as_ref()) => Ok(()),
            _ => Err(StoreError::ConditionFailed),
        },
    }
}

/// Reads every page of a query (for small partitions only).
pub async fn query_all(store: &dyn Store, mut query: Query) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    loop {
        let page = store.query(query.clone()).await?;
        out.extend(page.items);
        match page.cursor {
            Some(c) => query.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Typed reads of item attributes.
pub trait ItemExt {
    fn s(&self, name: &str) -> Result<String, StoreError>;
    fn opt_s(&self, name: &str) -> Option<String>;
    fn n_i64(&self, name: &str) -> Result<i64, StoreError>;
    fn flag(&self, name: &str) -> bool;
    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError>;
    fn opt_time(&self, name: &str) -> Option<DateTime<Utc>>;
    fn list_s(&self, name: &str) -> Vec<String>;
}

fn corrupt(name: &str) -> StoreError {
    StoreError::Corrupt(name.to_string())
}

impl ItemExt for Item {
    fn s(&self, name: &str) -> Result<String, StoreError> {
        self.opt_s(name).ok_or_else(|| corrupt(name))
    }
    fn opt_s(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Value::as_s).map(str::to_string)
    }
    fn n_i64(&self, name: &str) -> Result<i64, StoreError> {
        self.get(name)
            .and_then(Value::as_n)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| corrupt(name))
    }
    fn flag(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
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
        i.insert(PK.into(), Value::S(pk.into()));
        i.insert(SK.into(), Value::S(sk.into()));
        Self(i)
    }
    /// An item stored under `key`.
    pub fn at(key: Key) -> Self {
        Self::new(key.pk, key.sk)
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
        self.n(TTL, t.timestamp() + 86_400)
    }
    pub fn build(self) -> Item {
        self.0
    }
}

/// Timestamps as stored and as the frontend reads them: RFC 3339 with milliseconds, `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
