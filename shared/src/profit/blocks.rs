//! Coarser rollups, so a long range reads a few items instead of one per day (and per SKU).
//!
//! A *block* of level `k` (0 ≤ k ≤ [`LEVELS`]) is the `2^k` marketplace-local days starting at
//! a day whose number (days since [`EPOCH`]) is a multiple of `2^k`. Any range of days is the
//! union of at most two blocks per level ([`cover`]): 30 days are at most ~8 blocks, a year at
//! most ~16. Each block of a (tenant, view, marketplace) has:
//! - its total (every SKU and the account-level lines summed): the day's [`super::ALL_SKUS`]
//!   row at level 0, `RBLK#<view>#<marketplaceId>#<k>#<startDay>` above it;
//! - its SKUs packed into one item (split into parts of [`PART_SKUS`] SKUs for very large
//!   catalogues): `RBSK#<view>#<marketplaceId>#<k>#<startDay>#<part>`, a JSON map of SKU →
//!   figures in a compact positional form ([`encode`]); part 0 says how many parts there are.
//!
//! Blocks are never incremented: after a day's rows are replaced, [`refresh`] recomputes level 0
//! from the day's rows, then each level from its two halves one level down, writing only what
//! changed. Two recomputes of neighbouring days can race on a shared parent; each therefore
//! re-reads the halves after writing the parent and starts the level over if they moved, so the
//! last writer of a block has always read its latest halves. Replaying any event changes
//! nothing.
//!
//! Each calendar month also has a block (level [`MONTH`], `RBLK#<view>#<m>#M#<first day>` and
//! `RBSK#<view>#<m>#M#<first day>#<part>`), recomputed from the blocks that cover its days
//! after them; a range reads its whole months as one block each ([`cover_with_months`]), so
//! the P&L's 13 periods read about 13 totals.
//!
//! Figures are in the marketplace's currency: a call in another currency converts day by day
//! (`super::rollup::read_days`) since rates are per day.

use super::rollup::StoredRow;
use super::{Category, Figures, View, ALL_SKUS};
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, Item, ItemBuilder, ItemExt, Key, Query, SortKey, Store, StoreError, Value,
    WriteOp, BATCH_GET_CHUNK,
};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The highest level: blocks of 512 days.
pub const LEVELS: u32 = 9;
/// Day 0 of the block numbering (a Monday).
pub const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 3) {
    Some(d) => d,
    None => panic!("epoch"),
};
/// SKUs per packed item (far below DynamoDB's 400 KB).
pub const PART_SKUS: usize = 400;
/// How many times a level starts over when its halves moved under it.
const MAX_ROUNDS: usize = 40;

/// The level of a calendar month's block (its days are those of the month).
pub const MONTH: u32 = 99;

fn label(k: u32) -> String {
    if k == MONTH {
        "M".into()
    } else {
        k.to_string()
    }
}

fn month_bounds(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = d.with_day(1).expect("day 1");
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .expect("next month");
    (first, next - Duration::days(1))
}

/// The fewest blocks that exactly cover `[from, to]`: each whole calendar month as its month
/// block, the rest by [`cover`].
pub fn cover_with_months(from: NaiveDate, to: NaiveDate) -> Vec<(u32, NaiveDate)> {
    let mut out = vec![];
    let mut a = from;
    while a <= to {
        let (first, last) = month_bounds(a);
        let end = last.min(to);
        if a == first && end == last {
            out.push((MONTH, first));
        } else {
            out.extend(cover(a, end));
        }
        a = end + Duration::days(1);
    }
    out
}

fn day_no(d: NaiveDate) -> i64 {
    (d - EPOCH).num_days()
}

fn day_at(n: i64) -> NaiveDate {
    EPOCH + Duration::days(n)
}

/// The first day of the level-`k` block holding `d`.
pub fn block_start(d: NaiveDate, k: u32) -> NaiveDate {
    let size = 1i64 << k;
    day_at(day_no(d).div_euclid(size) * size)
}

/// The fewest aligned blocks `(level, first day)` that exactly cover `[from, to]`, in order.
pub fn cover(from: NaiveDate, to: NaiveDate) -> Vec<(u32, NaiveDate)> {
    let (mut a, b) = (day_no(from), day_no(to) + 1);
    let mut out = vec![];
    while a < b {
        let mut k = 0;
        while k < LEVELS && a.rem_euclid(1 << (k + 1)) == 0 && a + (1 << (k + 1)) <= b {
            k += 1;
        }
        out.push((k, day_at(a)));
        a += 1 << k;
    }
    out
}

/// The key of a block's total (level 0: the day's total row).
pub fn total_key(tenant: &Tenant, view: View, m: &str, k: u32, start: NaiveDate) -> Key {
    let sk = if k == 0 {
        format!("RDAY#{}#{m}#{start}", view.code())
    } else {
        format!("RBLK#{}#{m}#{}#{start}", view.code(), label(k))
    };
    Key::new(keys::pk(tenant), sk)
}

fn pack_prefix(view: View, m: &str, k: u32, start: NaiveDate) -> String {
    format!("RBSK#{}#{m}#{}#{start}#", view.code(), label(k))
}

/// The key of part `part` of a block's packed SKUs.
pub fn pack_key(
    tenant: &Tenant,
    view: View,
    m: &str,
    k: u32,
    start: NaiveDate,
    part: usize,
) -> Key {
    Key::new(
        keys::pk(tenant),
        format!("{}{part:03}", pack_prefix(view, m, k, start)),
    )
}

/// Figures in a compact positional form: every category (in [`Category::ALL`] order), then
/// estimated fees, units sold, orders, refund units and lines, comma-separated, zero empty.
/// `salesRevenue` is not stored: it is the sum of the sales categories.
pub fn encode(f: &Figures) -> String {
    let mut parts: Vec<String> = Category::ALL
        .iter()
        .map(|c| f.get(*c))
        .chain([f.estimated_fees])
        .map(|d| {
            if d.is_zero() {
                String::new()
            } else {
                d.to_string()
            }
        })
        .collect();
    for n in [f.units_sold, f.orders, f.refund_units, f.lines] {
        parts.push(if n == 0 { String::new() } else { n.to_string() });
    }
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts.join(",")
}

/// The figures of [`encode`]'s text.
pub fn decode(s: &str) -> Result<Figures, StoreError> {
    let bad = || StoreError::Corrupt("packed figures".into());
    let mut f = Figures::default();
    let fields: Vec<&str> = if s.is_empty() {
        vec![]
    } else {
        s.split(',').collect()
    };
    let n = Category::ALL.len();
    for (i, x) in fields.iter().enumerate() {
        if x.is_empty() {
            continue;
        }
        if i < n {
            f.add_amount(Category::ALL[i], x.parse::<Decimal>().map_err(|_| bad())?);
        } else if i == n {
            f.estimated_fees = x.parse().map_err(|_| bad())?;
        } else {
            let v: i64 = x.parse().map_err(|_| bad())?;
            match i - n {
                1 => f.units_sold = v,
                2 => f.orders = v,
                3 => f.refund_units = v,
                4 => f.lines = v,
                _ => return Err(bad()),
            }
        }
    }
    Ok(f)
}

/// A block as read: its total and its SKUs (empty when it has no figures).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub total: Figures,
    pub skus: BTreeMap<String, Figures>,
}

fn total_of(i: &Item) -> Result<Figures, StoreError> {
    serde_json::from_str(&i.s("figures")?).map_err(|_| StoreError::Corrupt("rollup figures".into()))
}

fn unpack(parts: &[&Item], into: &mut BTreeMap<String, Figures>) -> Result<(), StoreError> {
    for i in parts {
        let map: BTreeMap<String, String> = serde_json::from_str(&i.s("skus")?)
            .map_err(|_| StoreError::Corrupt("packed skus".into()))?;
        for (sku, text) in map {
            into.insert(sku, decode(&text)?);
        }
    }
    Ok(())
}

/// Reads keys in chunks, by sort key.
async fn get_many(store: &dyn Store, keys: &[Key]) -> Result<BTreeMap<String, Item>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(BATCH_GET_CHUNK) {
        for i in store.batch_get(chunk).await? {
            out.insert(i.s("sk")?, i);
        }
    }
    Ok(out)
}

/// Reads the given blocks' raw items: each block's total item (when `totals`) and its packed
/// parts (when `packed`). Two batched reads at most (a third only for multi-part blocks).
async fn read_raw(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    blocks: &[(u32, NaiveDate)],
    totals: bool,
    packed: bool,
) -> Result<BTreeMap<String, Item>, StoreError> {
    let mut keys = vec![];
    for (k, s) in blocks {
        if totals {
            keys.push(total_key(tenant, view, m, *k, *s));
        }
        if packed {
            keys.push(pack_key(tenant, view, m, *k, *s, 0));
        }
    }
    let mut items = get_many(store, &keys).await?;
    if packed {
        let mut more = vec![];
        for (k, s) in blocks {
            let first = pack_key(tenant, view, m, *k, *s, 0);
            let parts = items
                .get(&first.sk)
                .and_then(|i| i.n_i64("parts").ok())
                .unwrap_or(1);
            for p in 1..parts.max(1) as usize {
                more.push(pack_key(tenant, view, m, *k, *s, p));
            }
        }
        if !more.is_empty() {
            items.extend(get_many(store, &more).await?);
        }
    }
    Ok(items)
}

fn block_of(
    items: &BTreeMap<String, Item>,
    tenant: &Tenant,
    view: View,
    m: &str,
    k: u32,
    start: NaiveDate,
    packed: bool,
) -> Result<Block, StoreError> {
    let mut b = Block::default();
    if let Some(i) = items.get(&total_key(tenant, view, m, k, start).sk) {
        b.total = total_of(i)?;
    }
    if packed {
        let prefix = pack_prefix(view, m, k, start);
        let parts: Vec<&Item> = items
            .range(prefix.clone()..)
            .take_while(|(sk, _)| sk.starts_with(&prefix))
            .map(|(_, i)| i)
            .collect();
        unpack(&parts, &mut b.skus)?;
    }
    Ok(b)
}

/// The items of a block (its total item for levels above 0, and its packed parts).
fn items_of(
    tenant: &Tenant,
    view: View,
    m: &str,
    k: u32,
    start: NaiveDate,
    b: &Block,
) -> Vec<Item> {
    let mut out = vec![];
    if b.total.is_empty() && b.skus.is_empty() {
        return out;
    }
    if k > 0 {
        let key = total_key(tenant, view, m, k, start);
        out.push(
            ItemBuilder::at(key)
                .s("view", view.code())
                .s("marketplaceId", m)
                .s("day", start.to_string())
                .n("level", k as i64)
                .s(
                    "figures",
                    serde_json::to_string(&b.total).unwrap_or_default(),
                )
                .build(),
        );
    }
    let list: Vec<(&String, &Figures)> = b.skus.iter().collect();
    let chunks: Vec<&[(&String, &Figures)]> = list.chunks(PART_SKUS).collect();
    for (p, chunk) in chunks.iter().enumerate() {
        let map: BTreeMap<&str, String> =
            chunk.iter().map(|(s, f)| (s.as_str(), encode(f))).collect();
        let mut i = ItemBuilder::at(pack_key(tenant, view, m, k, start, p))
            .s("skus", serde_json::to_string(&map).unwrap_or_default());
        if p == 0 {
            i = i.n("parts", chunks.len() as i64);
        }
        out.push(i.build());
    }
    out
}

/// Writes a block's items where they differ from `existing`, and deletes the stale ones.
async fn write_block(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    (k, start): (u32, NaiveDate),
    b: &Block,
    existing: &BTreeMap<String, Item>,
) -> Result<usize, StoreError> {
    let prefix = pack_prefix(view, m, k, start);
    let total_sk = total_key(tenant, view, m, k, start).sk;
    let mut stale: BTreeSet<String> = existing
        .keys()
        .filter(|sk| sk.starts_with(&prefix) || (k > 0 && **sk == total_sk))
        .cloned()
        .collect();
    let mut ops = vec![];
    for i in items_of(tenant, view, m, k, start, b) {
        let sk = i.s("sk")?;
        stale.remove(&sk);
        if existing.get(&sk) != Some(&i) {
            ops.push(WriteOp::Put(i));
        }
    }
    for sk in stale {
        ops.push(WriteOp::Delete(Key::new(keys::pk(tenant), sk)));
    }
    let n = ops.len();
    if n > 0 {
        store.batch_write(ops).await?;
    }
    Ok(n)
}

/// The level-0 block of a day, from its rows.
fn day_block(rows: &[StoredRow]) -> Block {
    let mut b = Block::default();
    for r in rows {
        if r.sku == ALL_SKUS {
            b.total = r.figures.clone();
        } else {
            b.skus.insert(r.sku.clone(), r.figures.clone());
        }
    }
    b
}

/// Sums two halves.
fn merged(a: &Block, b: &Block) -> Block {
    let mut out = a.clone();
    out.total.add(&b.total);
    for (sku, f) in &b.skus {
        out.skus.entry(sku.clone()).or_default().add(f);
    }
    out
}

/// The raw items a day's rows are (for comparing two reads).
async fn day_rows(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    day: NaiveDate,
) -> Result<Vec<Item>, StoreError> {
    let pk = keys::pk(tenant);
    let q = Query::partition(Index::Table, pk.clone()).sk(SortKey::BeginsWith(format!(
        "RSKU#{}#{m}#{day}#",
        view.code()
    )));
    let mut items = query_all(store, q).await?;
    if let Some(i) = store.get(&total_key(tenant, view, m, 0, day)).await? {
        items.push(i);
    }
    Ok(items)
}

/// Recomputes every block holding `day` (after its rows were replaced): level 0 from the
/// day's rows, then each level from its two halves. Returns the items written or deleted.
pub async fn refresh(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    day: NaiveDate,
) -> Result<usize, StoreError> {
    let mut written = 0;
    // Level 0: the day's packed SKUs, from its rows.
    for round in 0.. {
        let rows = day_rows(store, tenant, view, m, day).await?;
        let stored = rows
            .iter()
            .map(StoredRow::from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let b = day_block(&stored);
        let existing = read_raw(store, tenant, view, m, &[(0, day)], false, true).await?;
        written += write_block(store, tenant, view, m, (0, day), &b, &existing).await?;
        let mut again = day_rows(store, tenant, view, m, day).await?;
        let mut before = rows;
        before.sort_by_key(|i| i.opt_s("sk"));
        again.sort_by_key(|i| i.opt_s("sk"));
        if again == before {
            break;
        }
        if round + 1 >= MAX_ROUNDS {
            return Err(moving(m, day));
        }
    }
    // Each level from its halves.
    for k in 1..=LEVELS {
        let start = block_start(day, k);
        let half = 1i64 << (k - 1);
        let halves = [(k - 1, start), (k - 1, start + Duration::days(half))];
        for round in 0.. {
            let mut wanted = halves.to_vec();
            wanted.push((k, start));
            let items = read_raw(store, tenant, view, m, &wanted, true, true).await?;
            let a = block_of(&items, tenant, view, m, k - 1, halves[0].1, true)?;
            let b = block_of(&items, tenant, view, m, k - 1, halves[1].1, true)?;
            let sum = merged(&a, &b);
            let (total_sk, prefix) = (
                total_key(tenant, view, m, k, start).sk,
                pack_prefix(view, m, k, start),
            );
            let existing: BTreeMap<String, Item> = items
                .iter()
                .filter(|(sk, _)| **sk == total_sk || sk.starts_with(&prefix))
                .map(|(sk, i)| (sk.clone(), i.clone()))
                .collect();
            written += write_block(store, tenant, view, m, (k, start), &sum, &existing).await?;
            let check = read_raw(store, tenant, view, m, &halves, true, true).await?;
            let a2 = block_of(&check, tenant, view, m, k - 1, halves[0].1, true)?;
            let b2 = block_of(&check, tenant, view, m, k - 1, halves[1].1, true)?;
            if a2 == a && b2 == b {
                break;
            }
            if round + 1 >= MAX_ROUNDS {
                return Err(moving(m, day));
            }
        }
    }
    // The calendar month, from the blocks that cover it.
    let (first, last) = month_bounds(day);
    let parts = cover(first, last);
    for round in 0.. {
        let mut wanted = parts.clone();
        wanted.push((MONTH, first));
        let items = read_raw(store, tenant, view, m, &wanted, true, true).await?;
        let read = |items: &BTreeMap<String, Item>| -> Result<Vec<Block>, StoreError> {
            parts
                .iter()
                .map(|(k, s)| block_of(items, tenant, view, m, *k, *s, true))
                .collect()
        };
        let halves = read(&items)?;
        let sum = halves
            .iter()
            .fold(Block::default(), |acc, b| merged(&acc, b));
        let (total_sk, prefix) = (
            total_key(tenant, view, m, MONTH, first).sk,
            pack_prefix(view, m, MONTH, first),
        );
        let existing: BTreeMap<String, Item> = items
            .iter()
            .filter(|(sk, _)| **sk == total_sk || sk.starts_with(&prefix))
            .map(|(sk, i)| (sk.clone(), i.clone()))
            .collect();
        written += write_block(store, tenant, view, m, (MONTH, first), &sum, &existing).await?;
        let check = read_raw(store, tenant, view, m, &parts, true, true).await?;
        if read(&check)? == halves {
            break;
        }
        if round + 1 >= MAX_ROUNDS {
            return Err(moving(m, day));
        }
    }
    Ok(written)
}

fn moving(m: &str, day: NaiveDate) -> StoreError {
    StoreError::Unavailable(format!(
        "the blocks of {m} {day} kept changing while they were recomputed"
    ))
}

/// Whether a marketplace's blocks are complete (every day recomputed since blocks exist);
/// readers use the days otherwise.
pub fn complete(marketplace_item: Option<&Item>) -> bool {
    marketplace_item.is_some_and(|i| i.get("blocks") == Some(&Value::N("1".into())))
}

/// The figures of each span `[from, to]` of one marketplace in its own currency, from the
/// fewest blocks: per span, its total (`by_sku` false: one row, SKU [`ALL_SKUS`]) or its
/// SKUs (one row per SKU, the account-level lines under the empty SKU). Each row's `day` is
/// its span's first day. `None` when the marketplace's blocks are not complete (read days).
pub async fn read_spans(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    m: &str,
    by_sku: bool,
    spans: &[(NaiveDate, NaiveDate)],
) -> Result<Option<Vec<StoredRow>>, StoreError> {
    let mk = store
        .get(&Key::new(keys::pk(tenant), format!("RMKT#{m}")))
        .await?;
    if !complete(mk.as_ref()) {
        return Ok(None);
    }
    let currency = mk.and_then(|i| i.opt_s("currency")).unwrap_or_default();
    let covers: Vec<Vec<(u32, NaiveDate)>> = spans
        .iter()
        .map(|(a, b)| cover_with_months(*a, *b))
        .collect();
    let all: Vec<(u32, NaiveDate)> = covers
        .iter()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let items = read_raw(store, tenant, view, m, &all, !by_sku, by_sku).await?;
    let mut out = vec![];
    for ((from, _), blocks) in spans.iter().zip(&covers) {
        let mut sum = Block::default();
        for (k, s) in blocks {
            sum = merged(&sum, &block_of(&items, tenant, view, m, *k, *s, by_sku)?);
        }
        let row = |sku: String, figures: Figures| StoredRow {
            view,
            marketplace_id: m.to_string(),
            sku,
            day: *from,
            currency: currency.clone(),
            figures,
        };
        if by_sku {
            out.extend(sum.skus.into_iter().map(|(s, f)| row(s, f)));
        } else if !sum.total.is_empty() {
            out.push(row(ALL_SKUS.to_string(), sum.total));
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_cover_is_exact_aligned_and_small() {
        for (from, len) in [("2026-10-02", 30), ("2025-10-01", 395), ("2026-03-08", 1)] {
            let from = d(from);
            let to = from + Duration::days(len - 1);
            let c = cover(from, to);
            let mut next = from;
            for (k, s) in &c {
                assert_eq!(*s, next);
                assert_eq!(block_start(*s, *k), *s);
                next = *s + Duration::days(1 << k);
            }
            assert_eq!(next, to + Duration::days(1));
            assert!(c.len() <= 2 * (LEVELS as usize + 1));
        }
        assert!(cover(d("2026-10-02"), d("2026-10-31")).len() <= 8);
        // Whole months are one block each.
        let c = cover_with_months(d("2025-10-01"), d("2026-10-17"));
        assert_eq!(c.iter().filter(|(k, _)| *k == MONTH).count(), 12);
        assert!(c.len() <= 12 + 5);
        assert_eq!(c[0], (MONTH, d("2025-10-01")));
        assert_eq!(
            cover_with_months(d("2024-02-01"), d("2024-02-29")),
            vec![(MONTH, d("2024-02-01"))]
        );
    }

    #[test]
    fn packed_figures_come_back_equal() {
        let mut f = Figures::default();
        f.add_amount(Category::Principal, "12.345".parse().unwrap());
        f.add_amount(Category::FbaFees, "-3.10".parse().unwrap());
        f.add_amount(Category::Unclassified, "0.01".parse().unwrap());
        f.estimated_fees = "-1.5".parse().unwrap();
        f.units_sold = 3;
        f.lines = 7;
        assert_eq!(decode(&encode(&f)).unwrap(), f);
        assert_eq!(
            decode(&encode(&Figures::default())).unwrap(),
            Figures::default()
        );
    }
}
