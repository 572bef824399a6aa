//! Daily rollups: the [`Figures`] of each (tenant, view, marketplace, SKU, marketplace-local
//! day), plus one row per (view, marketplace, day) summing every SKU and the account-level
//! lines ([`ALL_SKUS`]; its `orders` counts distinct orders). Figures are stored in the
//! marketplace's currency and converted to the account's reporting currency when read.
//!
//! Rows are never incremented: a day is recomputed whole from its source lines
//! (`super::recompute`) and its rows replaced, so replaying any event changes nothing.
//!
//! Keys (tenant partition `ACCT#<t>`):
//! - `RDAY#<view>#<marketplaceId>#<day>`: the day's [`ALL_SKUS`] row;
//! - `RSKU#<view>#<marketplaceId>#<day>#<sku>`: a SKU's row (`<sku>` empty: account level);
//! - `RMKT#<marketplaceId>`: a marketplace that has rollups (and its currency; `blocks` = 1
//!   once its coarser blocks, `super::blocks`, are complete).

use super::rates::RateTable;
use super::{settings, Figures, View, ALL_SKUS};
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, Item, ItemBuilder, ItemExt, Key, Query, SortKey, Store, StoreError, WriteOp,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The figures of one day, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayRollup {
    pub view: View,
    pub marketplace_id: String,
    /// The SKU; [`super::ACCOUNT_LEVEL`] (empty) for account-level lines, [`ALL_SKUS`] for the
    /// day's total row.
    pub sku: String,
    /// The marketplace-local day.
    pub day: NaiveDate,
    /// The marketplace's currency, in which `native` is.
    pub currency: String,
    pub native: Figures,
    /// The account's reporting currency.
    pub reporting_currency: String,
    /// Units of the reporting currency per unit of `currency` on `day` (1 for the same
    /// currency); `None` when no rate is loaded for the day.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub rate: Option<Decimal>,
    /// `native` converted at `rate` (exact, unrounded); `None` without a rate.
    pub reporting: Option<Figures>,
}

/// Which rows to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grain {
    /// One row per marketplace and day: every SKU and account-level line summed.
    Total,
    /// One row per marketplace, SKU and day (account-level lines under the empty SKU).
    BySku,
    /// The rows of one SKU (empty: the account-level lines).
    Sku(String),
}

/// A stored row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub view: View,
    pub marketplace_id: String,
    pub sku: String,
    pub day: NaiveDate,
    pub currency: String,
    pub figures: Figures,
}

fn day_sk(view: View, marketplace_id: &str, day: NaiveDate) -> String {
    format!("RDAY#{}#{marketplace_id}#{day}", view.code())
}

fn sku_prefix(view: View, marketplace_id: &str, day: NaiveDate) -> String {
    format!("RSKU#{}#{marketplace_id}#{day}#", view.code())
}

impl StoredRow {
    fn sk(&self) -> String {
        if self.sku == ALL_SKUS {
            day_sk(self.view, &self.marketplace_id, self.day)
        } else {
            format!(
                "{}{}",
                sku_prefix(self.view, &self.marketplace_id, self.day),
                self.sku
            )
        }
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::new(keys::pk(tenant), self.sk())
            .s("view", self.view.code())
            .s("marketplaceId", self.marketplace_id.clone())
            .s("sku", self.sku.clone())
            .s("day", self.day.to_string())
            .s("currency", self.currency.clone())
            .s(
                "figures",
                serde_json::to_string(&self.figures).unwrap_or_default(),
            )
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(format!("rollup {f}"));
        Ok(Self {
            view: if i.s("view")? == "O" {
                View::OrderDate
            } else {
                View::PostedDate
            },
            marketplace_id: i.s("marketplaceId")?,
            sku: i.opt_s("sku").unwrap_or_default(),
            day: i.s("day")?.parse().map_err(|_| corrupt("day"))?,
            currency: i.s("currency")?,
            figures: serde_json::from_str(&i.s("figures")?).map_err(|_| corrupt("figures"))?,
        })
    }
}

/// Replaces the rows of one (view, marketplace, day) with `rows` (the day's total row and its
/// SKU rows): writes the rows that changed, deletes the SKU rows no longer there, then
/// recomputes the day's blocks (`super::blocks::refresh`). Returns how many rows were written
/// or deleted.
pub async fn replace_day(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    marketplace_id: &str,
    day: NaiveDate,
    rows: Vec<StoredRow>,
) -> Result<usize, StoreError> {
    let pk = keys::pk(tenant);
    let mut existing: BTreeMap<String, Item> = BTreeMap::new();
    let q = Query::partition(Index::Table, pk.clone()).sk(SortKey::BeginsWith(sku_prefix(
        view,
        marketplace_id,
        day,
    )));
    for i in query_all(store, q).await? {
        existing.insert(i.s("sk")?, i);
    }
    let day_key = Key::new(pk.clone(), day_sk(view, marketplace_id, day));
    if let Some(i) = store.get(&day_key).await? {
        existing.insert(day_key.sk.clone(), i);
    }
    let mut ops = vec![];
    for r in rows {
        let item = r.to_item(tenant);
        let sk = r.sk();
        if existing.remove(&sk).as_ref() != Some(&item) {
            ops.push(WriteOp::Put(item));
        }
    }
    for sk in existing.into_keys() {
        ops.push(WriteOp::Delete(Key::new(pk.clone(), sk)));
    }
    let n = ops.len();
    if n > 0 {
        store.batch_write(ops).await?;
    }
    // Then the coarser blocks holding the day, always (an earlier run may have stopped
    // between the rows and them). Their items are not counted.
    super::blocks::refresh(store, tenant, view, marketplace_id, day).await?;
    Ok(n)
}

/// Records that a marketplace has rollups, with its currency.
pub async fn note_marketplace(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    currency: &str,
) -> Result<(), StoreError> {
    let key = Key::new(keys::pk(tenant), format!("RMKT#{marketplace_id}"));
    if store.get(&key).await?.is_some() {
        return Ok(());
    }
    store
        .put(
            ItemBuilder::at(key)
                .s("marketplaceId", marketplace_id)
                .s("currency", currency)
                // Every day of a marketplace first seen now gets its blocks.
                .n("blocks", 1)
                .build(),
            None,
        )
        .await
}

/// Marks a marketplace's blocks complete (after every day of it was recomputed, e.g. by
/// `super::recompute::rebuild`), so reads use them.
pub async fn mark_blocks_complete(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    currency: &str,
) -> Result<(), StoreError> {
    let key = Key::new(keys::pk(tenant), format!("RMKT#{marketplace_id}"));
    store
        .put(
            ItemBuilder::at(key)
                .s("marketplaceId", marketplace_id)
                .s("currency", currency)
                .n("blocks", 1)
                .build(),
            None,
        )
        .await
}

/// The marketplaces that have rollups.
pub async fn marketplaces(store: &dyn Store, tenant: &Tenant) -> Result<Vec<String>, StoreError> {
    let q =
        Query::partition(Index::Table, keys::pk(tenant)).sk(SortKey::BeginsWith("RMKT#".into()));
    query_all(store, q)
        .await?
        .iter()
        .map(|i| i.s("marketplaceId"))
        .collect()
}

/// The stored rows of `[from, to]` (marketplace-local days, inclusive), in the marketplace's
/// currency, ordered by marketplace, day, SKU.
pub async fn read_stored(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    marketplace_id: Option<&str>,
    grain: &Grain,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StoredRow>, StoreError> {
    let markets = match marketplace_id {
        Some(m) => vec![m.to_string()],
        None => marketplaces(store, tenant).await?,
    };
    let pk = keys::pk(tenant);
    let mut out = vec![];
    for m in markets {
        let (lo, hi) = match grain {
            Grain::Total => (day_sk(view, &m, from), day_sk(view, &m, to)),
            _ => (
                sku_prefix(view, &m, from),
                format!("{}~", sku_prefix(view, &m, to)),
            ),
        };
        let q = Query::partition(Index::Table, pk.clone()).sk(SortKey::Between(lo, hi));
        for i in query_all(store, q).await? {
            let r = StoredRow::from_item(&i)?;
            if let Grain::Sku(s) = grain {
                if &r.sku != s {
                    continue;
                }
            }
            out.push(r);
        }
    }
    Ok(out)
}

/// The rollups of `[from, to]` (marketplace-local days, inclusive) of one view, for one
/// marketplace or all, at a [`Grain`]; each with its native figures and their conversion to
/// the account's reporting currency at the rate of its day. Ordered by marketplace, day, SKU.
pub async fn read_days(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    marketplace_id: Option<&str>,
    grain: &Grain,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayRollup>, StoreError> {
    let rows = read_stored(store, tenant, view, marketplace_id, grain, from, to).await?;
    let reporting_currency = settings::reporting_currency(store, tenant).await?;
    let rates = if rows.iter().all(|r| r.currency == reporting_currency) {
        RateTable::default()
    } else {
        RateTable::load(store, from, to).await?
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let rate = rates.rate(&r.currency, &reporting_currency, r.day);
            DayRollup {
                view: r.view,
                reporting: rate.map(|x| r.figures.scaled(x)),
                rate,
                reporting_currency: reporting_currency.clone(),
                marketplace_id: r.marketplace_id,
                sku: r.sku,
                day: r.day,
                currency: r.currency,
                native: r.figures,
            }
        })
        .collect())
}
