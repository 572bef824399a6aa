//! Per-entity rollups of the Ads daily report rows, so a range of keyword (or campaign, ad
//! group, SKU, search term) figures reads a few packed items instead of one row per entity and
//! day.
//!
//! A *block* of level `k` (0 ≤ k ≤ [`LEVELS`]) is the `2^k` profile-local days starting at a
//! day aligned as the profit engine's blocks are (`crate::profit::blocks::cover`, the same
//! epoch). Per report level (`records::ads::Level`) and Ads profile, each block holds every
//! entity with a row in its days, with its summed figures (impressions, clicks, cost, and the
//! 7-day attribution's purchases, sales and units, which are what the metrics read) and the
//! row's labels (campaign, ad group, target, SKU, ASIN, name, match type, connection,
//! marketplace, currency: those of its earliest row in the block). Entities are packed one a
//! line, in entity order, into parts of at most [`PART_BYTES`] bytes (DynamoDB's item limit
//! is 400 KB): `ADSBLK#<level>#<profileId>#<k>#<first day>#<part>`. Part 0 says how many parts
//! there are and a checksum of the whole block, so a reader that raced a writer sees the torn
//! read and reads again.
//!
//! A range of days is the union of at most two blocks per level; its figures are the sum of
//! those blocks' ([`read_spans`]).
//!
//! # Recompute
//! Blocks are never incremented. The ads-reports dataset publishes [`ADS_DAYS_CHANGED`]
//! `{tenant, connection, profileId, marketplaceId, levels: {<level>: [days]}}` for the days of
//! every row of the reports it read (stored or not: a step that crashed after writing is
//! recomputed on its retry). The rollups job ([`refresh_many`]) touches each day's token
//! (`ADSBTOK#<level>#<profileId>#<day>`), then recomputes level 0 from the day's rows, reading
//! the token before and after and starting over if it moved (a later event's recompute then
//! always writes last or makes this one start over); then each coarser block holding the days
//! from its two halves, re-reading the halves' checksums after writing and starting over if
//! they moved (the last writer of a block has read its latest halves). Replaying or delaying an
//! event recomputes the same figures from the same rows: nothing changes wrongly.
//!
//! # Deployed tenants
//! A (level, profile) is read from blocks only once it is marked built
//! (`ADSBRDY#<level>#<profileId>`). The first event of an unbuilt one builds every day that has
//! rows of that level, then marks it; until then, and for a tenant with a profile not built,
//! the readers sum the day rows as before ([`read_spans`] answers `None`).

use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, Item, ItemBuilder, ItemExt, Key, Query, SortKey, Store, StoreError, WriteOp,
    BATCH_GET_CHUNK,
};
use crate::profit::blocks::{block_start, cover, LEVELS};
use crate::records::ads::{self as records, AdsDay, EntityKind, Level};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::{StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The domain event the ads-reports dataset publishes for the days of the rows it read.
pub const ADS_DAYS_CHANGED: &str = "AdsDaysChanged";
/// Bytes of lines per packed item (DynamoDB's limit is 400 KB with the keys).
pub const PART_BYTES: usize = 300_000;
/// How many times a recompute starts over when what it read moved under it.
const MAX_ROUNDS: usize = 40;
/// Blocks recomputed at once.
const CONCURRENCY: usize = 4;
/// How many times a reader reads a block again after a torn read.
const READ_TRIES: usize = 5;

/// The level named `s` (`Level::as_str`).
pub fn level_of(s: &str) -> Option<Level> {
    Level::ALL.into_iter().find(|l| l.as_str() == s)
}

/// Summed figures of one entity: what the metrics read (7-day attribution).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fig {
    pub impressions: i64,
    pub clicks: i64,
    pub cost: Decimal,
    pub orders: i64,
    pub sales: Decimal,
    pub units: i64,
}

/// A decimal as text; a zero of scale 0 (nothing added) empty, so sums keep their scale.
fn dec_text(d: Decimal) -> String {
    if d.is_zero() && d.scale() == 0 {
        String::new()
    } else {
        d.to_string()
    }
}

fn int_text(n: i64) -> String {
    if n == 0 {
        String::new()
    } else {
        n.to_string()
    }
}

impl Fig {
    pub fn of(d: &AdsDay) -> Self {
        Self {
            impressions: d.impressions,
            clicks: d.clicks,
            cost: d.cost,
            orders: d.purchases7d(),
            sales: d.sales7d(),
            units: d.units7d,
        }
    }

    pub fn add(&mut self, o: &Fig) {
        self.impressions += o.impressions;
        self.clicks += o.clicks;
        self.cost += o.cost;
        self.orders += o.orders;
        self.sales += o.sales;
        self.units += o.units;
    }

    /// `impressions,clicks,cost,orders,sales,units`, zeros empty.
    pub fn encode(&self) -> String {
        [
            int_text(self.impressions),
            int_text(self.clicks),
            dec_text(self.cost),
            int_text(self.orders),
            dec_text(self.sales),
            int_text(self.units),
        ]
        .join(",")
    }

    pub fn decode(s: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::Corrupt("packed ads figures".into());
        let mut f = Fig::default();
        for (i, x) in s.split(',').enumerate() {
            if x.is_empty() {
                continue;
            }
            match i {
                0 => f.impressions = x.parse().map_err(|_| bad())?,
                1 => f.clicks = x.parse().map_err(|_| bad())?,
                2 => f.cost = x.parse().map_err(|_| bad())?,
                3 => f.orders = x.parse().map_err(|_| bad())?,
                4 => f.sales = x.parse().map_err(|_| bad())?,
                5 => f.units = x.parse().map_err(|_| bad())?,
                _ => return Err(bad()),
            }
        }
        Ok(f)
    }
}

fn esc(s: &str) -> String {
    if !s.contains(['\\', '\t', '\n']) {
        return s.to_string();
    }
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unesc(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn opt(s: &Option<String>) -> String {
    match s {
        None => String::new(),
        Some(v) => format!("={}", esc(v)),
    }
}

fn unopt(s: &str) -> Option<String> {
    s.strip_prefix('=').map(unesc)
}

/// An entity's labels: connection, marketplace and currency apart (they are shared by a
/// profile's rows, so a packed part keeps them once), the rest as packed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub connection: String,
    pub marketplace: String,
    pub currency: String,
    /// campaign, ad group, target, SKU, ASIN, name, match type (escaped, tab-separated).
    pub rest: String,
}

impl Labels {
    pub fn of(d: &AdsDay) -> Self {
        Self {
            connection: d.connection.clone(),
            marketplace: d.marketplace_id.clone(),
            currency: d.currency.clone(),
            rest: [
                esc(&d.campaign_id),
                opt(&d.ad_group_id),
                opt(&d.target_id),
                opt(&d.sku),
                opt(&d.asin),
                opt(&d.name),
                opt(&d.match_type),
            ]
            .join("\t"),
        }
    }
}

/// A block as recomputed: every entity's figures and labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub entities: BTreeMap<String, (Fig, Labels)>,
}

impl Block {
    /// Adds `other`, a later span: labels stay those of the earliest row.
    fn merge(&mut self, other: &Block) {
        for (e, (f, l)) in &other.entities {
            match self.entities.get_mut(e) {
                Some(mine) => mine.0.add(f),
                None => {
                    self.entities.insert(e.clone(), (*f, l.clone()));
                }
            }
        }
    }
}

/// FNV-1a, 64 bits: a checksum that stays the same across builds.
fn fnv(parts: &[(String, String, String, String)]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (a, b, c, d) in parts {
        for s in [a, b, c, d] {
            for byte in s.as_bytes().iter().chain(&[0u8]) {
                h ^= *byte as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{h:016x}")
}

/// The packed parts of a block: `(connection, marketplace, currency, lines)` each.
fn pack(b: &Block) -> Vec<(String, String, String, String)> {
    let mut out: Vec<(String, String, String, String)> = vec![];
    let mut cur: Option<(String, String, String, String)> = None;
    for (e, (f, l)) in &b.entities {
        let part = cur.get_or_insert_with(|| {
            (
                l.connection.clone(),
                l.marketplace.clone(),
                l.currency.clone(),
                String::new(),
            )
        });
        let same = |a: &String, b: &String| if a == b { String::new() } else { esc(b) };
        let line = format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            esc(e),
            f.encode(),
            same(&part.0, &l.connection),
            same(&part.1, &l.marketplace),
            same(&part.2, &l.currency),
            l.rest
        );
        if !part.3.is_empty() {
            part.3.push('\n');
        }
        part.3.push_str(&line);
        if part.3.len() >= PART_BYTES {
            out.extend(cur.take());
        }
    }
    out.extend(cur);
    out
}

/// One packed line, unparsed: entity, figures, connection, marketplace, currency (empty: the
/// part's), labels.
struct Line<'a> {
    entity: &'a str,
    fig: &'a str,
    connection: &'a str,
    marketplace: &'a str,
    currency: &'a str,
    rest: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Result<Line<'_>, StoreError>> {
    text.split('\n').filter(|l| !l.is_empty()).map(|l| {
        let mut it = l.splitn(6, '\t');
        let mut next = || {
            it.next()
                .ok_or_else(|| StoreError::Corrupt("packed ads line".into()))
        };
        Ok(Line {
            entity: next()?,
            fig: next()?,
            connection: next()?,
            marketplace: next()?,
            currency: next()?,
            rest: next()?,
        })
    })
}

fn or_part(own: &str, part: &str) -> String {
    if own.is_empty() {
        part.to_string()
    } else {
        unesc(own)
    }
}

/// A block's parts as read: `(connection, marketplace, currency, lines)` each, in order.
type Parts = Vec<(String, String, String, String)>;

fn unpack(parts: &Parts) -> Result<Block, StoreError> {
    let mut b = Block::default();
    for (c, m, cur, text) in parts {
        for l in lines(text) {
            let l = l?;
            b.entities.insert(
                unesc(l.entity),
                (
                    Fig::decode(l.fig)?,
                    Labels {
                        connection: or_part(l.connection, c),
                        marketplace: or_part(l.marketplace, m),
                        currency: or_part(l.currency, cur),
                        rest: l.rest.to_string(),
                    },
                ),
            );
        }
    }
    Ok(b)
}

// Keys ----------------------------------------------------------------------------------------

/// Part `part` of a block.
pub fn part_key(
    tenant: &Tenant,
    level: Level,
    profile: i64,
    k: u32,
    start: NaiveDate,
    part: usize,
) -> Key {
    keys::tenant(tenant).ads_block_part(level.as_str(), profile, k, &start.to_string(), part)
}

fn token_key(tenant: &Tenant, level: Level, profile: i64, day: NaiveDate) -> Key {
    keys::tenant(tenant).ads_block_token(level.as_str(), profile, &day.to_string())
}

/// The mark that a (level, profile)'s blocks are built.
pub fn ready_key(tenant: &Tenant, level: Level, profile: i64) -> Key {
    keys::tenant(tenant).ads_blocks_built(level.as_str(), profile)
}

// Reading blocks ------------------------------------------------------------------------------

type BlockId = (i64, u32, NaiveDate);

async fn get_many(store: &dyn Store, keys: &[Key]) -> Result<BTreeMap<String, Item>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(BATCH_GET_CHUNK) {
        for i in store.batch_get(chunk).await? {
            out.insert(i.s("sk")?, i);
        }
    }
    Ok(out)
}

/// Part 0's `(parts, checksum)` (a missing block: no parts, the empty checksum).
fn head(i: Option<&Item>) -> (usize, String) {
    match i {
        None => (0, fnv(&[])),
        Some(i) => (
            i.n_i64("parts").unwrap_or(1).max(1) as usize,
            i.opt_s("sum").unwrap_or_default(),
        ),
    }
}

fn part_of(i: &Item) -> Result<(String, String, String, String), StoreError> {
    Ok((
        i.opt_s("conn").unwrap_or_default(),
        i.opt_s("mkt").unwrap_or_default(),
        i.opt_s("cur").unwrap_or_default(),
        i.s("lines")?,
    ))
}

/// Reads blocks whole: each one's parts and checksum, read again while a part is missing or
/// the checksum does not match (a writer was between its parts).
async fn read_parts(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    ids: &[BlockId],
) -> Result<BTreeMap<BlockId, (Parts, String)>, StoreError> {
    let mut out = BTreeMap::new();
    let mut todo: Vec<BlockId> = ids.to_vec();
    for _ in 0..READ_TRIES {
        let firsts: Vec<Key> = todo
            .iter()
            .map(|(p, k, s)| part_key(tenant, level, *p, *k, *s, 0))
            .collect();
        let mut items = get_many(store, &firsts).await?;
        let mut more = vec![];
        for (p, k, s) in &todo {
            let (n, _) = head(items.get(&part_key(tenant, level, *p, *k, *s, 0).sk));
            for i in 1..n {
                more.push(part_key(tenant, level, *p, *k, *s, i));
            }
        }
        if !more.is_empty() {
            items.extend(get_many(store, &more).await?);
        }
        let mut torn = vec![];
        for id @ (p, k, s) in &todo {
            let (n, sum) = head(items.get(&part_key(tenant, level, *p, *k, *s, 0).sk));
            let parts: Option<Parts> = (0..n)
                .map(|i| {
                    items
                        .get(&part_key(tenant, level, *p, *k, *s, i).sk)
                        .map(part_of)
                })
                .collect::<Option<Result<Parts, _>>>()
                .transpose()?;
            match parts {
                Some(parts) if fnv(&parts) == sum => {
                    out.insert(*id, (parts, sum));
                }
                _ => torn.push(*id),
            }
        }
        if torn.is_empty() {
            return Ok(out);
        }
        todo = torn;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Err(StoreError::Unavailable(format!(
        "{} ads blocks kept changing while they were read",
        todo.len()
    )))
}

/// The checksums of blocks' part 0 (cheap: one item each).
async fn sums(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    ids: &[BlockId],
) -> Result<Vec<String>, StoreError> {
    let keys: Vec<Key> = ids
        .iter()
        .map(|(p, k, s)| part_key(tenant, level, *p, *k, *s, 0))
        .collect();
    let items = get_many(store, &keys).await?;
    Ok(keys.iter().map(|k| head(items.get(&k.sk)).1).collect())
}

// Writing blocks ------------------------------------------------------------------------------

/// Writes a block unless its checksum is already stored, and deletes parts it no longer has.
/// Returns the items written or deleted.
async fn write_block(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    (profile, k, start): BlockId,
    b: &Block,
) -> Result<usize, StoreError> {
    let parts = pack(b);
    let sum = fnv(&parts);
    let existing = store
        .get(&part_key(tenant, level, profile, k, start, 0))
        .await?;
    let (old_n, old_sum) = head(existing.as_ref());
    if old_sum == sum && old_n == parts.len() {
        return Ok(0);
    }
    let mut ops = vec![];
    for (i, (c, m, cur, text)) in parts.iter().enumerate() {
        let mut item = ItemBuilder::at(part_key(tenant, level, profile, k, start, i))
            .s("conn", c.clone())
            .s("mkt", m.clone())
            .s("cur", cur.clone())
            .s("lines", text.clone());
        if i == 0 {
            item = item
                .n("parts", parts.len() as i64)
                .s("sum", sum.clone())
                .n("level", k as i64)
                .s("day", start.to_string());
        }
        ops.push(WriteOp::Put(item.build()));
    }
    // Parts past the new count (a reader between the puts and these deletes sees a checksum
    // that does not match and reads again).
    for i in parts.len()..old_n {
        ops.push(WriteOp::Delete(part_key(
            tenant, level, profile, k, start, i,
        )));
    }
    let n = ops.len();
    if n > 0 {
        store.batch_write(ops).await?;
    }
    Ok(n)
}

async fn token(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    day: NaiveDate,
) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&token_key(tenant, level, profile, day))
        .await?
        .and_then(|i| i.opt_s("token")))
}

/// Marks days as changed: a recompute of them that started before starts over.
async fn touch(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    days: &BTreeSet<NaiveDate>,
) -> Result<(), StoreError> {
    let ops: Vec<WriteOp> = days
        .iter()
        .map(|d| {
            WriteOp::Put(
                ItemBuilder::at(token_key(tenant, level, profile, *d))
                    .s("token", uuid::Uuid::new_v4().to_string())
                    .build(),
            )
        })
        .collect();
    if !ops.is_empty() {
        store.batch_write(ops).await?;
    }
    Ok(())
}

/// The report rows of one level, profile and day.
async fn day_rows(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    day: NaiveDate,
) -> Result<Vec<AdsDay>, StoreError> {
    let q = Query::partition(Index::Table, keys::pk(tenant)).sk(SortKey::BeginsWith(format!(
        "ADSDAY#{}#{day}#{profile}#",
        level.as_str()
    )));
    query_all(store, q)
        .await?
        .iter()
        .map(AdsDay::from_item)
        .collect()
}

fn moving(level: Level, profile: i64, day: NaiveDate) -> StoreError {
    StoreError::Unavailable(format!(
        "the {} blocks of profile {profile} around {day} kept changing while they were recomputed",
        level.as_str()
    ))
}

/// Level 0 of a day, from its rows.
async fn refresh_day(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    day: NaiveDate,
) -> Result<usize, StoreError> {
    let mut written = 0;
    for round in 0..MAX_ROUNDS {
        if round > 0 {
            let ms = rand::random::<u64>() % (10 * round.min(10) as u64) + 5;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let before = token(store, tenant, level, profile, day).await?;
        let mut b = Block::default();
        for d in day_rows(store, tenant, level, profile, day).await? {
            b.entities
                .insert(d.entity.clone(), (Fig::of(&d), Labels::of(&d)));
        }
        written += write_block(store, tenant, level, (profile, 0, day), &b).await?;
        if token(store, tenant, level, profile, day).await? == before {
            return Ok(written);
        }
    }
    Err(moving(level, profile, day))
}

/// A level-`k` block from its two halves.
async fn refresh_parent(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    k: u32,
    start: NaiveDate,
) -> Result<usize, StoreError> {
    let halves = [
        (profile, k - 1, start),
        (profile, k - 1, start + Duration::days(1 << (k - 1))),
    ];
    let mut written = 0;
    for round in 0..MAX_ROUNDS {
        if round > 0 {
            let ms = rand::random::<u64>() % (10 * round.min(10) as u64) + 5;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let read = read_parts(store, tenant, level, &halves).await?;
        let mut sum = Block::default();
        let mut seen = vec![];
        for h in &halves {
            let (parts, s) = &read[h];
            sum.merge(&unpack(parts)?);
            seen.push(s.clone());
        }
        written += write_block(store, tenant, level, (profile, k, start), &sum).await?;
        if sums(store, tenant, level, &halves).await? == seen {
            return Ok(written);
        }
    }
    Err(moving(level, profile, start))
}

/// Recomputes every block holding `days` of one level and profile (after their rows were
/// written): level 0 of each day, then each coarser block once. Returns items written.
pub async fn refresh(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    days: &BTreeSet<NaiveDate>,
) -> Result<usize, StoreError> {
    touch(store, tenant, level, profile, days).await?;
    let mut written: usize = futures_util::stream::iter(days.iter().copied())
        .map(|d| refresh_day(store, tenant, level, profile, d))
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<usize>>()
        .await?
        .into_iter()
        .sum();
    for k in 1..=LEVELS {
        let starts: BTreeSet<NaiveDate> = days.iter().map(|d| block_start(*d, k)).collect();
        written += futures_util::stream::iter(starts)
            .map(|s| refresh_parent(store, tenant, level, profile, k, s))
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<usize>>()
            .await?
            .into_iter()
            .sum::<usize>();
    }
    Ok(written)
}

/// Every day that has rows of `level` (any profile): one small query per such day.
async fn days_with_rows(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
) -> Result<BTreeSet<NaiveDate>, StoreError> {
    let mut out = BTreeSet::new();
    let lv = level.as_str();
    let mut from = format!("ADSDAY#{lv}#");
    loop {
        let q = Query::partition(Index::Table, keys::pk(tenant))
            .sk(SortKey::Between(from, format!("ADSDAY#{lv}#~")))
            .limit(1);
        let page = store.query(q).await?;
        let Some(i) = page.items.first() else {
            return Ok(out);
        };
        let sk = i.s("sk")?;
        let day: NaiveDate = sk
            .split('#')
            .nth(2)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("ads day key".into()))?;
        out.insert(day);
        from = format!("ADSDAY#{lv}#{}", day + Duration::days(1));
    }
}

/// Whether a (level, profile)'s blocks are built.
pub async fn is_built(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
) -> Result<bool, StoreError> {
    Ok(store
        .get(&ready_key(tenant, level, profile))
        .await?
        .is_some())
}

/// Builds a (level, profile)'s blocks from every day with rows, then marks them built.
pub async fn build(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    profile: i64,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let days = days_with_rows(store, tenant, level).await?;
    let n = refresh(store, tenant, level, profile, &days).await?;
    store
        .put(
            ItemBuilder::at(ready_key(tenant, level, profile))
                .s("level", level.as_str())
                .n("profileId", profile)
                .s("builtAt", now.to_rfc3339())
                .build(),
            None,
        )
        .await?;
    Ok(n)
}

/// What an [`ADS_DAYS_CHANGED`] event names: `(level, profile) → days`.
pub fn days_of_event(detail: &serde_json::Value) -> BTreeMap<(Level, i64), BTreeSet<NaiveDate>> {
    let mut out: BTreeMap<(Level, i64), BTreeSet<NaiveDate>> = BTreeMap::new();
    let Some(profile) = detail["profileId"].as_i64() else {
        return out;
    };
    if let Some(levels) = detail["levels"].as_object() {
        for (name, days) in levels {
            let Some(level) = level_of(name) else {
                continue;
            };
            let days: Vec<NaiveDate> = days
                .as_array()
                .map(|a| a.iter().filter_map(|d| d.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            out.entry((level, profile)).or_default().extend(days);
        }
    }
    out
}

/// Applies the union of events' days: refreshes them, or builds a (level, profile) not built
/// yet (which covers them). Returns items written.
pub async fn refresh_many(
    store: &dyn Store,
    tenant: &Tenant,
    changed: &BTreeMap<(Level, i64), BTreeSet<NaiveDate>>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for ((level, profile), days) in changed {
        n += if is_built(store, tenant, *level, *profile).await? {
            refresh(store, tenant, *level, *profile, days).await?
        } else {
            build(store, tenant, *level, *profile, now).await?
        };
    }
    Ok(n)
}

/// The [`ADS_DAYS_CHANGED`] events of the rows an Ads report step read: one per profile
/// (source `beddora.sync`).
pub fn days_changed(
    tenant: &Tenant,
    connection: &str,
    days: &BTreeMap<(i64, String), BTreeMap<Level, BTreeSet<NaiveDate>>>,
) -> Vec<crate::ports::bus::DomainEvent> {
    days.iter()
        .filter(|(_, l)| l.values().any(|d| !d.is_empty()))
        .map(|((profile, marketplace), levels)| {
            let levels: serde_json::Map<String, serde_json::Value> = levels
                .iter()
                .map(|(l, d)| {
                    (
                        l.as_str().to_string(),
                        serde_json::json!(d.iter().map(|x| x.to_string()).collect::<Vec<_>>()),
                    )
                })
                .collect();
            crate::ports::bus::DomainEvent::new(
                "beddora.sync",
                ADS_DAYS_CHANGED,
                serde_json::json!({
                    "tenant": tenant.to_string(),
                    "connection": connection,
                    "profileId": profile,
                    "marketplaceId": marketplace,
                    "levels": levels,
                }),
            )
        })
        .collect()
}

// Reading ranges ------------------------------------------------------------------------------

/// The built profiles of a level, when every stored profile of the tenant is built (else the
/// day rows are read).
async fn built_profiles(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
) -> Result<Option<Vec<i64>>, StoreError> {
    let q = keys::tenant(tenant).ads_blocks_built_all(level.as_str());
    let built: BTreeSet<i64> = query_all(store, q)
        .await?
        .iter()
        .filter_map(|i| i.n_i64("profileId").ok())
        .collect();
    if built.is_empty() {
        return Ok(None);
    }
    let profiles = records::entities(store, tenant, EntityKind::Profile).await?;
    if profiles.iter().any(|p| !built.contains(&p.profile_id)) {
        return Ok(None);
    }
    Ok(Some(built.into_iter().collect()))
}

fn row_of(
    level: Level,
    profile: i64,
    day: NaiveDate,
    entity: String,
    fig: &Fig,
    l: &Line<'_>,
    part: &(String, String, String, String),
) -> Result<AdsDay, StoreError> {
    let mut rest = l.rest.split('\t');
    let mut next = || rest.next().unwrap_or_default();
    let campaign_id = unesc(next());
    let (ad_group_id, target_id, sku, asin, name, match_type) = (
        unopt(next()),
        unopt(next()),
        unopt(next()),
        unopt(next()),
        unopt(next()),
        unopt(next()),
    );
    let zero = Decimal::ZERO;
    Ok(AdsDay {
        level,
        profile_id: profile,
        connection: or_part(l.connection, &part.0),
        marketplace_id: or_part(l.marketplace, &part.1),
        currency: or_part(l.currency, &part.2),
        date: day,
        entity,
        campaign_id,
        ad_group_id,
        target_id,
        sku,
        asin,
        name,
        match_type,
        impressions: fig.impressions,
        clicks: fig.clicks,
        cost: fig.cost,
        purchases: [0, fig.orders, 0, 0],
        sales: [zero, fig.sales, zero, zero],
        units7d: fig.units,
        report_id: String::new(),
        reported_at: DateTime::<Utc>::UNIX_EPOCH,
    })
}

/// The rows of `level` summed per entity over each span `[from, to]`, from the blocks: one row
/// per (span, profile, entity), dated its span's first day, with the 7-day figures (the other
/// windows are zero) and the labels of the entity's earliest row in the span. `None` when the
/// level is not built for every profile, or the blocks kept changing while read: read the days.
pub async fn read_spans(
    store: &dyn Store,
    tenant: &Tenant,
    level: Level,
    spans: &[(NaiveDate, NaiveDate)],
) -> Result<Option<Vec<AdsDay>>, StoreError> {
    let Some(profiles) = built_profiles(store, tenant, level).await? else {
        return Ok(None);
    };
    let covers: Vec<Vec<(u32, NaiveDate)>> = spans.iter().map(|(a, b)| cover(*a, *b)).collect();
    let ids: Vec<BlockId> = profiles
        .iter()
        .flat_map(|p| covers.iter().flatten().map(move |(k, s)| (*p, *k, *s)))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let read = match read_parts(store, tenant, level, &ids).await {
        Ok(r) => r,
        Err(StoreError::Unavailable(e)) => {
            tracing::warn!(error = %e, "ads blocks: reading the days instead");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let mut out = vec![];
    for ((from, _), blocks) in spans.iter().zip(&covers) {
        for p in &profiles {
            let mut sum: BTreeMap<&str, (Fig, Option<AdsDay>)> = BTreeMap::new();
            for (k, s) in blocks {
                let (parts, _) = &read[&(*p, *k, *s)];
                for part in parts {
                    for l in lines(&part.3) {
                        let l = l?;
                        let f = Fig::decode(l.fig)?;
                        match sum.get_mut(l.entity) {
                            Some(slot) => slot.0.add(&f),
                            None => {
                                let row = row_of(level, *p, *from, unesc(l.entity), &f, &l, part)?;
                                sum.insert(l.entity, (f, Some(row)));
                            }
                        }
                    }
                }
            }
            for (_, (f, row)) in sum {
                if let Some(mut d) = row {
                    d.impressions = f.impressions;
                    d.clicks = f.clicks;
                    d.cost = f.cost;
                    d.purchases[1] = f.orders;
                    d.sales[1] = f.sales;
                    d.units7d = f.units;
                    out.push(d);
                }
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_lines_come_back_equal() {
        let mut b = Block::default();
        for i in 0..3000 {
            let l = Labels {
                connection: "c1".into(),
                marketplace: if i % 7 == 0 { "A1" } else { "ATV" }.into(),
                currency: "USD".into(),
                rest: format!("camp{i}\t=g\t\t=sku\t\t=term\\twith tab {i}\t=EXACT"),
            };
            let f = Fig {
                impressions: i,
                clicks: i % 3,
                cost: Decimal::new(i * 7, 2),
                orders: 0,
                sales: if i % 2 == 0 {
                    Decimal::ZERO
                } else {
                    Decimal::new(0, 2)
                },
                units: 1,
            };
            b.entities.insert(format!("e\t{i}"), (f, l));
        }
        let parts = pack(&b);
        assert_eq!(unpack(&parts).unwrap(), b);
        // Scales survive: a zero of two decimals stays one.
        let back = unpack(&parts).unwrap();
        assert_eq!(back.entities["e\t1"].0.sales.scale(), 2);
        assert_eq!(back.entities["e\t2"].0.sales.scale(), 0);
        assert_eq!(
            unopt(&opt(&Some("a\tb\\c".into()))),
            Some("a\tb\\c".to_string())
        );
        assert_eq!(unopt(&opt(&None)), None);
    }
}
