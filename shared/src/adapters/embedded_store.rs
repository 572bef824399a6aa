//! The embedded store: DynamoDB's single-table semantics on a redb file (or in memory).
//!
//! Items live in one redb table under `pk \0 sk`; each GSI is a second redb table whose keys
//! are `gpk \0 gsk \0 pk \0 sk`, kept in step with the item inside the same write transaction,
//! so conditions, transactions and index queries are exactly as atomic as DynamoDB's.

use crate::ports::clock::Clock;
use crate::ports::store::*;
use async_trait::async_trait;
use redb::{Database, ReadableTable, TableDefinition};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

const ITEMS: TableDefinition<&str, &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<&str, &[u8]> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<&str, &[u8]> = TableDefinition::new("gsi2");

/// A persistent (or in-memory) store with DynamoDB's semantics.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn table_key(k: &Key) -> String {
    format!("{}\0{}", k.pk, k.sk)
}

fn index_key(ipk: &str, isk: &str, k: &Key) -> String {
    format!("{ipk}\0{isk}\0{}\0{}", k.pk, k.sk)
}

fn index_entry(item: &Item, index: Index) -> Option<(String, String)> {
    let (a, b) = index.key_names();
    Some((
        item.get(a)?.as_s()?.to_string(),
        item.get(b)?.as_s()?.to_string(),
    ))
}

fn decode(bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(unavailable)
}

impl EmbeddedStore {
    /// Opens (or creates) the store file at `path`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(unavailable)?;
        Self::init(db, clock)
    }

    /// A store that lives only as long as this value: for tests.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory redb");
        Self::init(db, clock).expect("in-memory tables")
    }

    fn init(db: Database, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let tx = db.begin_write().map_err(unavailable)?;
        for def in [ITEMS, GSI1, GSI2] {
            tx.open_table(def).map_err(unavailable)?;
        }
        tx.commit().map_err(unavailable)?;
        Ok(Self {
            db: Arc::new(db),
            clock,
        })
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Removes every expired item, as DynamoDB's TTL sweeper does in the background.
    pub async fn sweep_expired(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let this = self.clone();
        blocking(move || {
            let tx = this.db.begin_write().map_err(unavailable)?;
            let mut expired = Vec::new();
            {
                let items = tx.open_table(ITEMS).map_err(unavailable)?;
                for row in items.iter().map_err(unavailable)? {
                    let (_, v) = row.map_err(unavailable)?;
                    let item = decode(v.value())?;
                    if is_expired(&item, now) {
                        expired.extend(Key::of(&item));
                    }
                }
            }
            for key in &expired {
                write_item(&tx, key, None)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(expired.len())
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
}

fn read_item<T: ReadableTable<&'static str, &'static [u8]>>(
    table: &T,
    key: &Key,
) -> Result<Option<Item>, StoreError> {
    match table.get(table_key(key).as_str()).map_err(unavailable)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

/// Replaces (or with `None`, removes) the item under `key`, keeping both indexes in step.
fn write_item(
    tx: &redb::WriteTransaction,
    key: &Key,
    new: Option<&Item>,
) -> Result<(), StoreError> {
    let mut items = tx.open_table(ITEMS).map_err(unavailable)?;
    let old = read_item(&items, key)?;
    for (index, def) in [(Index::Gsi1, GSI1), (Index::Gsi2, GSI2)] {
        let mut table = tx.open_table(def).map_err(unavailable)?;
        if let Some((ipk, isk)) = old.as_ref().and_then(|i| index_entry(i, index)) {
            table
                .remove(index_key(&ipk, &isk, key).as_str())
                .map_err(unavailable)?;
        }
        if let Some((ipk, isk)) = new.and_then(|i| index_entry(i, index)) {
            table
                .insert(index_key(&ipk, &isk, key).as_str(), &[][..])
                .map_err(unavailable)?;
        }
    }
    let tk = table_key(key);
    match new {
        Some(item) => {
            let bytes = serde_json::to_vec(item).map_err(unavailable)?;
            items
                .insert(tk.as_str(), bytes.as_slice())
                .map_err(unavailable)?;
        }
        None => {
            items.remove(tk.as_str()).map_err(unavailable)?;
        }
    }
    Ok(())
}

fn current(tx: &redb::WriteTransaction, key: &Key) -> Result<Option<Item>, StoreError> {
    let items = tx.open_table(ITEMS).map_err(unavailable)?;
    read_item(&items, key)
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let (this, key, now) = (self.clone(), key.clone(), self.now());
        blocking(move || {
            let tx = this.db.begin_read().map_err(unavailable)?;
            let items = tx.open_table(ITEMS).map_err(unavailable)?;
            Ok(read_item(&items, &key)?.filter(|i| !is_expired(i, now)))
        })
        .await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        let key = validate_item(&item)?;
        let this = self.clone();
        blocking(move || {
            let tx = this.db.begin_write().map_err(unavailable)?;
            if let Some(c) = &condition {
                if !c.holds(current(&tx, &key)?.as_ref()) {
                    return Err(StoreError::ConditionFailed);
                }
            }
            write_item(&tx, &key, Some(&item))?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        validate_key(key)?;
        let (this, key) = (self.clone(), key.clone());
        blocking(move || {
            let tx = this.db.begin_write().map_err(unavailable)?;
            if let Some(c) = &condition {
                if !c.holds(current(&tx, &key)?.as_ref()) {
                    return Err(StoreError::ConditionFailed);
                }
            }
            write_item(&tx, &key, None)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        if query.pk.is_empty() || query.pk.contains('\0') {
            return Err(StoreError::Invalid(
                "query needs a non-empty partition key".into(),
            ));
        }
        if query.limit == Some(0) {
            return Err(StoreError::Invalid("limit must be at least 1".into()));
        }
        let cursor = query.cursor.as_deref().map(CursorKey::decode).transpose()?;
        let (this, now) = (self.clone(), self.now());
        blocking(move || {
            let tx = this.db.begin_read().map_err(unavailable)?;
            let items = tx.open_table(ITEMS).map_err(unavailable)?;
            let prefix = format!("{}\0", query.pk);
            let end = format!("{}\u{1}", query.pk);
            let after = cursor.as_ref().map(|c| {
                let k = Key::new(c.pk.clone(), c.sk.clone());
                match query.index {
                    Index::Table => table_key(&k),
                    _ => index_key(
                        c.ipk.as_deref().unwrap_or_default(),
                        c.isk.as_deref().unwrap_or_default(),
                        &k,
                    ),
                }
            });
            // The sort-key condition narrows the scan (keys are `<pk>\0<sk>…`; a sort key
            // holds no NUL, so `\u{1}` after a value sorts after every key with that value).
            let (low, high) = match &query.sk {
                SortKey::Eq(v) => (
                    Bound::Included(format!("{prefix}{v}")),
                    Bound::Excluded(format!("{prefix}{v}\u{1}")),
                ),
                SortKey::Between(a, b) => (
                    Bound::Included(format!("{prefix}{a}")),
                    Bound::Excluded(format!("{prefix}{b}\u{1}")),
                ),
                SortKey::BeginsWith(p) => (
                    Bound::Included(format!("{prefix}{p}")),
                    Bound::Excluded(format!("{prefix}{p}\u{10FFFF}")),
                ),
                SortKey::Ge(v) | SortKey::Gt(v) => (
                    Bound::Included(format!("{prefix}{v}")),
                    Bound::Excluded(end.clone()),
                ),
                SortKey::Lt(v) => (
                    Bound::Included(prefix.clone()),
                    Bound::Excluded(format!("{prefix}{v}")),
                ),
                SortKey::Le(v) => (
                    Bound::Included(prefix.clone()),
                    Bound::Excluded(format!("{prefix}{v}\u{1}")),
                ),
                _ => (
                    Bound::Included(prefix.clone()),
                    Bound::Excluded(end.clone()),
                ),
            };
            let (lo, hi) = match (&after, query.forward) {
                (Some(a), true) => (Bound::Excluded(a.clone()), high),
                (Some(a), false) => (low, Bound::Excluded(a.clone())),
                (None, _) => (low, high),
            };
            let bounds = (
                lo.as_ref().map(String::as_str),
                hi.as_ref().map(String::as_str),
            );
            let index_table = match query.index {
                Index::Table => None,
                Index::Gsi1 => Some(tx.open_table(GSI1).map_err(unavailable)?),
                Index::Gsi2 => Some(tx.open_table(GSI2).map_err(unavailable)?),
            };
            let limit = query.limit.unwrap_or(usize::MAX);
            let mut page = Page::default();
            let mut last: Option<CursorKey> = None;
            let mut consider = |composite: &str, item: Option<Item>| -> Result<bool, StoreError> {
                // Returns false once the page is full and one more match proves more remain.
                let parts: Vec<&str> = composite.split('\0').collect();
                let (sk_value, key, ikeys) = match parts.as_slice() {
                    [_, sk] => (*sk, Key::new(query.pk.clone(), *sk), None),
                    [ipk, isk, pk, sk] => (*isk, Key::new(*pk, *sk), Some((*ipk, *isk))),
                    _ => return Err(StoreError::Unavailable("corrupt key".into())),
                };
                if !query.sk.matches(sk_value) {
                    return Ok(true);
                }
                let item = match item {
                    Some(i) => i,
                    None => match read_item(&items, &key)? {
                        Some(i) => i,
                        None => return Ok(true),
                    },
                };
                if is_expired(&item, now) {
                    return Ok(true);
                }
                if page.items.len() == limit {
                    page.cursor = last.as_ref().map(CursorKey::encode);
                    return Ok(false);
                }
                last = Some(CursorKey {
                    pk: key.pk,
                    sk: key.sk,
                    ipk: ikeys.map(|(a, _)| a.to_string()),
                    isk: ikeys.map(|(_, b)| b.to_string()),
                });
                page.items.push(item);
                Ok(true)
            };
            match &index_table {
                None => {
                    let range = items.range::<&str>(bounds).map_err(unavailable)?;
                    let rows: Box<dyn Iterator<Item = _>> = if query.forward {
                        Box::new(range)
                    } else {
                        Box::new(range.rev())
                    };
                    for row in rows {
                        let (k, v) = row.map_err(unavailable)?;
                        if !consider(k.value(), Some(decode(v.value())?))? {
                            break;
                        }
                    }
                }
                Some(table) => {
                    let range = table.range::<&str>(bounds).map_err(unavailable)?;
                    let rows: Box<dyn Iterator<Item = _>> = if query.forward {
                        Box::new(range)
                    } else {
                        Box::new(range.rev())
                    };
                    for row in rows {
                        let (k, _) = row.map_err(unavailable)?;
                        if !consider(k.value(), None)? {
                            break;
                        }
                    }
                }
            }
            Ok(page)
        })
        .await
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        validate_transaction(&ops)?;
        let this = self.clone();
        blocking(move || {
            let tx = this.db.begin_write().map_err(unavailable)?;
            let mut reasons = Vec::with_capacity(ops.len());
            let mut failed = false;
            for op in &ops {
                let key = op.key().expect("validated");
                let cond = match op {
                    TxOp::Put { condition, .. } | TxOp::Delete { condition, .. } => {
                        condition.as_ref()
                    }
                    TxOp::Check { condition, .. } => Some(condition),
                };
                let ok = match cond {
                    Some(c) => c.holds(current(&tx, &key)?.as_ref()),
                    None => true,
                };
                failed |= !ok;
                reasons.push((!ok).then(|| CONDITIONAL_CHECK_FAILED.to_string()));
            }
            if failed {
                tx.abort().map_err(unavailable)?;
                return Err(StoreError::TransactionCanceled { reasons });
            }
            for op in &ops {
                match op {
                    TxOp::Put { item, .. } => {
                        write_item(&tx, &Key::of(item).expect("validated"), Some(item))?
                    }
                    TxOp::Delete { key, .. } => write_item(&tx, key, None)?,
                    TxOp::Check { .. } => {}
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        for k in keys {
            validate_key(k)?;
        }
        let (this, keys, now) = (self.clone(), keys.to_vec(), self.now());
        blocking(move || {
            let tx = this.db.begin_read().map_err(unavailable)?;
            let items = tx.open_table(ITEMS).map_err(unavailable)?;
            let mut out = Vec::new();
            for k in &keys {
                out.extend(read_item(&items, k)?.filter(|i| !is_expired(i, now)));
            }
            Ok(out)
        })
        .await
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        for op in &ops {
            match op {
                WriteOp::Put(item) => {
                    validate_item(item)?;
                }
                WriteOp::Delete(key) => validate_key(key)?,
            }
        }
        // Like DynamoDB, each chunk of 25 commits on its own: a batch is not a transaction.
        for chunk in ops.chunks(BATCH_WRITE_CHUNK) {
            let (this, chunk) = (self.clone(), chunk.to_vec());
            blocking(move || {
                let tx = this.db.begin_write().map_err(unavailable)?;
                for op in &chunk {
                    match op {
                        WriteOp::Put(item) => {
                            write_item(&tx, &Key::of(item).expect("validated"), Some(item))?
                        }
                        WriteOp::Delete(key) => write_item(&tx, key, None)?,
                    }
                }
                tx.commit().map_err(unavailable)
            })
            .await?;
        }
        Ok(())
    }
}
