//! Payout reconciliation: per settlement, Amazon's payout beside the sum of our ledger lines,
//! the difference (0.00 when we have every line) and the lines behind it, each with its
//! Amazon ids.
//!
//! Amazon's payout is the settlement file's `total-amount` (`records::settlements`) or, for a
//! settlement without a file (older than 90 days, or still open), its Finances event group's
//! `OriginalTotal` (the open group's total still moves). Our total is the sum of the ledger
//! lines of the transactions Amazon put in the settlement (`SETTLEMENT_ID`), kept per
//! settlement in `ACCT#<t>` / `LSETTLE#<settlementId>`, recomputed from the ledger (never
//! incremented) whenever one of its transactions is written ([`recompute`]).

use super::ledger::{self, LedgerLine};
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Index, Item, ItemBuilder, ItemExt, Key, Query, SortKey, Store, StoreError,
};
use crate::records::settlements as stl;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// One settlement's reconciliation. `L` is the number of lines in a list ([`list`]) and the
/// lines themselves for one settlement ([`lines`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout<L> {
    /// Amazon's settlement id.
    pub settlement_id: String,
    /// Amazon's financial event group id of the payout, when known.
    pub group_id: Option<String>,
    pub marketplace_id: String,
    pub currency: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Amazon closed it (paid out or being paid); an open one still grows.
    pub closed: bool,
    /// Amazon's payout; `None` when Amazon has not told us yet.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub amazon_total: Option<Decimal>,
    /// The sum of our ledger lines of the settlement.
    #[serde(with = "rust_decimal::serde::str")]
    pub our_total: Decimal,
    /// `amazonTotal − ourTotal` (0.00 when reconciled); `None` without Amazon's total.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub difference: Option<Decimal>,
    pub lines: L,
}

pub type PayoutSummary = Payout<u64>;
pub type PayoutDetail = Payout<Vec<LedgerLine>>;

fn link_key(tenant: &Tenant, settlement_id: &str) -> Key {
    Key::new(keys::pk(tenant), format!("LSETTLE#{settlement_id}"))
}

/// Recomputes our side of a settlement from its ledger lines.
pub async fn recompute(
    store: &dyn Store,
    tenant: &Tenant,
    settlement_id: &str,
) -> Result<(), StoreError> {
    let ledgers = ledger::of_settlement(store, tenant, settlement_id).await?;
    let Some(first) = ledgers.first() else {
        return store.delete(&link_key(tenant, settlement_id), None).await;
    };
    let lines: Vec<&LedgerLine> = ledgers.iter().flat_map(|l| &l.lines).collect();
    let total: Decimal = lines.iter().map(|l| l.amount).sum();
    let group = lines.iter().find_map(|l| l.group_id.clone());
    let item = ItemBuilder::at(link_key(tenant, settlement_id))
        .s("settlementId", settlement_id)
        .opt_s("groupId", group)
        .s("marketplaceId", first.marketplace_id.clone())
        .s("currency", first.currency.clone())
        .s("ourTotal", total.to_string())
        .n("lines", lines.len() as i64)
        .build();
    if store.get(&item_key(&item)).await?.as_ref() != Some(&item) {
        store.put(item, None).await?;
    }
    Ok(())
}

fn item_key(i: &Item) -> Key {
    Key::of(i).expect("built with a key")
}

struct Ours {
    group_id: Option<String>,
    marketplace_id: String,
    currency: String,
    total: Decimal,
    lines: u64,
}

fn ours_of(i: &Item) -> Result<(String, Ours), StoreError> {
    Ok((
        i.s("settlementId")?,
        Ours {
            group_id: i.opt_s("groupId"),
            marketplace_id: i.s("marketplaceId")?,
            currency: i.s("currency")?,
            total: i
                .s("ourTotal")?
                .parse()
                .map_err(|_| StoreError::Corrupt("ourTotal".into()))?,
            lines: i.n_i64("lines")? as u64,
        },
    ))
}

fn summary(
    settlement_id: &str,
    file: Option<&stl::SettlementRecord>,
    group: Option<&stl::PayoutRecord>,
    ours: Option<&Ours>,
) -> PayoutSummary {
    let amazon_total = file.map(|f| f.total).or(group.map(|g| g.total));
    let our_total = ours.map(|o| o.total).unwrap_or_default();
    Payout {
        settlement_id: settlement_id.to_string(),
        group_id: ours
            .and_then(|o| o.group_id.clone())
            .or(group.map(|g| g.group_id.clone())),
        marketplace_id: file
            .map(|f| f.marketplace_id.clone())
            .or(ours.map(|o| o.marketplace_id.clone()))
            .unwrap_or_default(),
        currency: file
            .map(|f| f.currency.clone())
            .or(ours.map(|o| o.currency.clone()))
            .or(group.map(|g| g.currency.clone()))
            .unwrap_or_default(),
        start: file.and_then(|f| f.start).or(group.and_then(|g| g.start)),
        end: file.and_then(|f| f.end).or(group.and_then(|g| g.end)),
        closed: match group {
            Some(g) => g.is_closed(),
            None => file.is_some(),
        },
        amazon_total,
        our_total,
        difference: amazon_total.map(|a| a - our_total),
        lines: ours.map(|o| o.lines).unwrap_or(0),
    }
}

/// Every settlement we know (from a file, or from the transactions Amazon put in it), newest
/// first, with Amazon's payout, ours and the difference.
pub async fn list(store: &dyn Store, tenant: &Tenant) -> Result<Vec<PayoutSummary>, StoreError> {
    let files: BTreeMap<String, stl::SettlementRecord> = stl::all(store, tenant)
        .await?
        .into_iter()
        .map(|s| (s.settlement_id.clone(), s))
        .collect();
    let groups: BTreeMap<String, stl::PayoutRecord> = stl::payouts(store, tenant)
        .await?
        .into_iter()
        .map(|g| (g.group_id.clone(), g))
        .collect();
    let q =
        Query::partition(Index::Table, keys::pk(tenant)).sk(SortKey::BeginsWith("LSETTLE#".into()));
    let ours: BTreeMap<String, Ours> = query_all(store, q)
        .await?
        .iter()
        .map(ours_of)
        .collect::<Result<_, _>>()?;
    let mut ids: Vec<&String> = files.keys().chain(ours.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut out: Vec<PayoutSummary> = ids
        .into_iter()
        .map(|id| {
            let o = ours.get(id);
            let group = o
                .and_then(|o| o.group_id.as_ref())
                .and_then(|g| groups.get(g));
            summary(id, files.get(id), group, o)
        })
        .collect();
    out.sort_by(|a, b| {
        b.start
            .cmp(&a.start)
            .then(b.settlement_id.cmp(&a.settlement_id))
    });
    Ok(out)
}

/// One settlement with every ledger line behind our total (by posted time), or `None` when
/// we know nothing of it.
pub async fn lines(
    store: &dyn Store,
    tenant: &Tenant,
    settlement_id: &str,
) -> Result<Option<PayoutDetail>, StoreError> {
    let file = stl::get(store, tenant, settlement_id).await?;
    let ledgers = ledger::of_settlement(store, tenant, settlement_id).await?;
    if file.is_none() && ledgers.is_empty() {
        return Ok(None);
    }
    let lines: Vec<LedgerLine> = ledgers.into_iter().flat_map(|l| l.lines).collect();
    let ours = lines.first().map(|l| Ours {
        group_id: lines.iter().find_map(|x| x.group_id.clone()),
        marketplace_id: l.marketplace_id.clone(),
        currency: l.currency.clone(),
        total: lines.iter().map(|x| x.amount).sum(),
        lines: lines.len() as u64,
    });
    let group = match ours.as_ref().and_then(|o| o.group_id.clone()) {
        Some(g) => store
            .get(&keys::tenant(tenant).payout(&g))
            .await?
            .map(|i| stl::PayoutRecord::from_item(&i))
            .transpose()?,
        None => None,
    };
    let s = summary(settlement_id, file.as_ref(), group.as_ref(), ours.as_ref());
    Ok(Some(Payout {
        settlement_id: s.settlement_id,
        group_id: s.group_id,
        marketplace_id: s.marketplace_id,
        currency: s.currency,
        start: s.start,
        end: s.end,
        closed: s.closed,
        amazon_total: s.amazon_total,
        our_total: s.our_total,
        difference: s.difference,
        lines,
    }))
}
