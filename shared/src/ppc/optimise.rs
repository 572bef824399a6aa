//! Bid optimisation that is safe to apply.
//!
//! - [`Rules`]: a target ACOS, the minimum data before acting (clicks **and** spend over the
//!   lookback), the largest step up and down, a bid floor and ceiling, and a cooldown: a bid
//!   changed within the last N days is left alone.
//! - [`recommend`]: for each enabled keyword and product target, the bid that would bring its
//!   ACOS to the target, limited by the step, then by floor and ceiling, in the currency's
//!   minor units, with its reason; or why nothing is proposed.
//! - Every change (recommendations, manual bids, bulk bids and states, reverts) goes through
//!   [`apply`]: the Ads API's keyword and target updates item by item; each item's result is
//!   kept (partial failures reported per item), the successful ones written to the stored
//!   entities, and the whole batch kept with each item's bid and state before and after.
//! - [`revert`] applies the "before" of a batch's successful items as a new batch.
//!
//! Keys: `ACCT#<t>/PPCRULES` (the rules), `ACCT#<t>/PPCBATCH#<created>#<id>` (a batch).

use super::metrics::Totals;
use crate::amazon::ads::{CampaignUpdate, EntityState, KeywordUpdate, TargetUpdate};
use crate::connections::Connections;
use crate::domain::AmazonAccountId;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Condition, ItemBuilder, ItemExt, Store, StoreError};
use crate::ports::Secrets;
use crate::records::ads::{self as records, AdsDay, AdsEntity, EntityKind};
use crate::sync::ads::AdsAccess;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The account's optimisation rules. Percentages are in percent (`30` = 30 %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    #[serde(with = "rust_decimal::serde::str")]
    pub target_acos: Decimal,
    /// Clicks and spend over the lookback a target needs before its bid is touched.
    pub min_clicks: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub min_spend: Decimal,
    /// Largest change of one step, percent of the current bid.
    #[serde(with = "rust_decimal::serde::str")]
    pub max_step_up: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub max_step_down: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub bid_floor: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub bid_ceiling: Decimal,
    /// A bid changed within this many days is not changed again.
    pub cooldown_days: i64,
    /// Days of metrics a recommendation reads.
    pub lookback_days: i64,
    /// Pause a target whose ACOS is above this (percent), when set.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub pause_acos: Option<Decimal>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            target_acos: Decimal::from(30),
            min_clicks: 10,
            min_spend: Decimal::from(5),
            max_step_up: Decimal::from(20),
            max_step_down: Decimal::from(20),
            bid_floor: Decimal::new(10, 2),
            bid_ceiling: Decimal::from(10),
            cooldown_days: 3,
            lookback_days: 14,
            pause_acos: None,
        }
    }
}

impl Rules {
    /// Checks the rules make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.target_acos <= Decimal::ZERO {
            return Err("targetAcos must be above 0".into());
        }
        if self.bid_floor <= Decimal::ZERO || self.bid_ceiling < self.bid_floor {
            return Err("bidFloor must be above 0 and bidCeiling at least bidFloor".into());
        }
        if self.max_step_up < Decimal::ZERO
            || self.max_step_down < Decimal::ZERO
            || self.max_step_down >= Decimal::ONE_HUNDRED
        {
            return Err("maxStepUp must be 0 or more, maxStepDown from 0 to below 100".into());
        }
        if self.min_clicks < 0 || self.min_spend < Decimal::ZERO || self.cooldown_days < 0 {
            return Err("minClicks, minSpend and cooldownDays cannot be negative".into());
        }
        if !(1..=95).contains(&self.lookback_days) {
            return Err("lookbackDays must be 1 to 95".into());
        }
        Ok(())
    }
}

pub async fn rules(store: &dyn Store, tenant: &Tenant) -> Result<Rules, StoreError> {
    Ok(match store.get(&keys::tenant(tenant).ppc_rules()).await? {
        Some(i) => serde_json::from_str(&i.s("data")?).unwrap_or_default(),
        None => Rules::default(),
    })
}

pub async fn save_rules(store: &dyn Store, tenant: &Tenant, r: &Rules) -> Result<(), StoreError> {
    store
        .put(
            ItemBuilder::at(keys::tenant(tenant).ppc_rules())
                .s("data", serde_json::to_string(r).unwrap_or_default())
                .build(),
            None,
        )
        .await
}

/// Minor units of a currency (bids are whole minor units).
fn minor_units(currency: &str) -> u32 {
    crate::marketplaces::CURRENCIES
        .iter()
        .find(|c| c.code == currency)
        .map(|c| c.minor_units as u32)
        .unwrap_or(2)
}

/// What a recommendation proposes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub entity: AdsEntity,
    pub current_bid: Decimal,
    /// `None`: leave the bid.
    pub new_bid: Option<Decimal>,
    /// `Some("PAUSED")` when the target should be paused.
    pub new_state: Option<String>,
    pub reason: String,
    #[serde(skip)]
    pub totals: Totals,
}

/// The recommendation for one target given its figures over the lookback and when its bid
/// last changed. Never moves a bid by more than the step, never outside floor and ceiling
/// (a bid already outside is moved towards them by at most one step), never with less than
/// the minimum data, never within the cooldown.
pub fn recommend_one(
    rules: &Rules,
    entity: &AdsEntity,
    current_bid: Decimal,
    t: &Totals,
    last_change: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Recommendation {
    let keep = |reason: String| Recommendation {
        entity: entity.clone(),
        current_bid,
        new_bid: None,
        new_state: None,
        reason,
        totals: *t,
    };
    if entity.state != "ENABLED" {
        return keep(format!(
            "{} is {}",
            entity.name,
            entity.state.to_lowercase()
        ));
    }
    if let Some(at) = last_change {
        if now - at < Duration::days(rules.cooldown_days) {
            return keep(format!(
                "bid changed on {}, within the {}-day cooldown",
                at.date_naive(),
                rules.cooldown_days
            ));
        }
    }
    if t.clicks < rules.min_clicks || t.spend < rules.min_spend {
        return keep(format!(
            "not enough data: {} clicks and {} spend over {} days (needs {} clicks and {})",
            t.clicks, t.spend, rules.lookback_days, rules.min_clicks, rules.min_spend
        ));
    }
    let acos = t.acos();
    if let (Some(limit), Some(a)) = (rules.pause_acos, acos) {
        if a > limit {
            return Recommendation {
                new_state: Some("PAUSED".into()),
                reason: format!("ACOS {a}% is above the pause threshold {limit}%"),
                ..keep(String::new())
            };
        }
    }
    let hundred = Decimal::ONE_HUNDRED;
    let low_step = current_bid * (hundred - rules.max_step_down) / hundred;
    let high_step = current_bid * (hundred + rules.max_step_up) / hundred;
    let (ideal, why) = match acos {
        None => (
            low_step,
            format!("{} clicks and {} spend without a sale", t.clicks, t.spend),
        ),
        Some(a) => (
            current_bid * rules.target_acos / a,
            format!("ACOS {a}% against the target {}%", rules.target_acos),
        ),
    };
    // Within the step and within floor and ceiling; a bid already outside them moves one
    // step towards them, whatever its figures say.
    let low = rules.bid_floor.max(low_step);
    let high = rules.bid_ceiling.min(high_step);
    let mut next = if current_bid > rules.bid_ceiling {
        rules.bid_ceiling.max(low_step)
    } else if current_bid < rules.bid_floor {
        rules.bid_floor.min(high_step)
    } else {
        ideal.clamp(low, high)
    };
    // Whole minor units, rounded towards the current bid so the step is never exceeded.
    let dp = minor_units(&entity.currency);
    next = if next > current_bid {
        next.round_dp_with_strategy(dp, RoundingStrategy::ToZero)
    } else {
        next.round_dp_with_strategy(dp, RoundingStrategy::AwayFromZero)
            .min(current_bid)
    };
    if next == current_bid {
        return keep(format!("{why}: the bid stays {current_bid}"));
    }
    Recommendation {
        new_bid: Some(next),
        reason: format!(
            "{why}: {} the bid from {current_bid} to {next}",
            if next > current_bid { "raise" } else { "lower" }
        ),
        ..keep(String::new())
    }
}

/// The last time each entity's bid or state was changed by a batch (successful items).
pub async fn last_changes(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<BTreeMap<String, DateTime<Utc>>, StoreError> {
    let mut out = BTreeMap::new();
    for b in batches(store, tenant).await? {
        for i in b.items.iter().filter(|i| i.ok) {
            let e = out.entry(i.id.clone()).or_insert(b.created_at);
            if b.created_at > *e {
                *e = b.created_at;
            }
        }
    }
    Ok(out)
}

/// The stored keywords and product targets (with the bid they bid).
pub async fn targets(store: &dyn Store, tenant: &Tenant) -> Result<Vec<AdsEntity>, StoreError> {
    let mut all = records::entities(store, tenant, EntityKind::Keyword).await?;
    all.extend(records::entities(store, tenant, EntityKind::Target).await?);
    Ok(all)
}

/// The bid a keyword or target bids: its own, or its ad group's default.
pub fn bid_of(e: &AdsEntity) -> Decimal {
    e.bid.or(e.amount).unwrap_or_default()
}

/// Recommendations for every keyword and target of `entities` from the target-level rows of
/// the lookback.
pub fn recommend(
    rules: &Rules,
    entities: &[AdsEntity],
    rows: &[AdsDay],
    last: &BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<Recommendation> {
    let mut totals: BTreeMap<&str, Totals> = BTreeMap::new();
    for d in rows {
        totals.entry(d.entity.as_str()).or_default().add(d);
    }
    entities
        .iter()
        .map(|e| {
            let t = totals.get(e.id.as_str()).copied().unwrap_or_default();
            recommend_one(rules, e, bid_of(e), &t, last.get(&e.id).copied(), now)
        })
        .collect()
}

/// One change to apply: a keyword's or target's bid and state, or a campaign's daily budget
/// (`new_bid`) and state.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub entity: AdsEntity,
    pub new_bid: Option<Decimal>,
    pub new_state: Option<String>,
    pub reason: String,
}

/// One item of an applied batch: before, after, and what Amazon said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItem {
    pub id: String,
    pub kind: EntityKind,
    pub profile_id: i64,
    pub connection: String,
    pub name: String,
    #[serde(default)]
    pub match_type: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub previous_bid: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub new_bid: Decimal,
    pub previous_state: String,
    pub new_state: String,
    pub reason: String,
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
}

/// An applied batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// `bid-update`, `status-change`, `apply-recommendations`, `manual-bid`, `revert`.
    pub action_type: String,
    /// `keyword`, `target`, ...
    pub target_type: String,
    pub target_ids: Vec<String>,
    pub items: Vec<BatchItem>,
    #[serde(default)]
    pub revert_of: Option<String>,
    #[serde(default)]
    pub reverted_by: Option<String>,
}

impl Batch {
    fn key(&self, tenant: &Tenant) -> crate::ports::store::Key {
        keys::tenant(tenant).ppc_batch(
            &self
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            &self.id,
        )
    }
}

async fn put_batch(
    store: &dyn Store,
    tenant: &Tenant,
    b: &Batch,
    guard: Option<Condition>,
) -> Result<(), StoreError> {
    store
        .put(
            ItemBuilder::at(b.key(tenant))
                .s("data", serde_json::to_string(b).unwrap_or_default())
                .build(),
            guard,
        )
        .await
}

/// Every batch, newest first.
pub async fn batches(store: &dyn Store, tenant: &Tenant) -> Result<Vec<Batch>, StoreError> {
    let mut v: Vec<Batch> = query_all(store, keys::tenant(tenant).ppc_batches())
        .await?
        .iter()
        .map(|i| {
            serde_json::from_str(&i.s("data")?).map_err(|_| StoreError::Corrupt("data".into()))
        })
        .collect::<Result<_, _>>()?;
    v.reverse();
    Ok(v)
}

/// Why a batch could not be applied at all.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Amazon(String),
    #[error("{0}")]
    Invalid(String),
    /// Another change of the tenant is being applied, or this one already was.
    #[error("{0}")]
    Conflict(String),
}

/// The lease every change of a tenant's ads is applied under: one batch at a time, so two
/// requests never both apply (or revert) the same change, and a batch's "before" is what
/// Amazon had.
const APPLY_LEASE: &str = "ppc-apply";
/// Longer than any request runs (API Gateway's 30 s); a crashed one frees it by then.
const APPLY_HOLD: Duration = Duration::minutes(2);

/// Runs `work` holding the tenant's apply lease; another holder: [`ApplyError::Conflict`].
async fn exclusive<T, F>(
    store: &dyn Store,
    tenant: &Tenant,
    now: DateTime<Utc>,
    work: F,
) -> Result<T, ApplyError>
where
    F: std::future::Future<Output = Result<T, ApplyError>>,
{
    let holder = uuid::Uuid::new_v4().to_string();
    let clock = crate::ports::FixedClock::new(now);
    if let Err(other) =
        crate::jobs::lease::acquire(store, &clock, tenant, APPLY_LEASE, &holder, APPLY_HOLD).await?
    {
        tracing::info!(tenant = %tenant, until = %other.until, "another PPC change is being applied");
        return Err(ApplyError::Conflict(
            "another change to this account's ads is being applied; try again in a moment".into(),
        ));
    }
    let out = work.await;
    if let Err(e) = crate::jobs::lease::release(store, tenant, APPLY_LEASE, &holder).await {
        tracing::warn!(error = %e, "the PPC apply lease was not released; it expires by itself");
    }
    out
}

fn state_of(s: &str) -> Option<EntityState> {
    match s {
        "ENABLED" => Some(EntityState::Enabled),
        "PAUSED" => Some(EntityState::Paused),
        "ARCHIVED" => Some(EntityState::Archived),
        _ => None,
    }
}

/// Applies `changes` through the Ads API, per connection, profile and kind; keeps the batch.
/// An item Amazon refuses is reported with its reason and changes nothing; the others apply.
///
/// Under the tenant's apply lease, each change starts from the stored entity as it is now (a
/// batch's "before" is never stale); changes that someone else already made are dropped, and
/// when that leaves none of a non-empty request, it is a [`ApplyError::Conflict`]: two
/// requests of one change never both apply it.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    access: &AdsAccess,
    store: &dyn Store,
    secrets: &dyn Secrets,
    secret_prefix: &str,
    tenant: &Tenant,
    kind: (&str, &str),
    changes: Vec<Change>,
    revert_of: Option<String>,
    now: DateTime<Utc>,
) -> Result<Batch, ApplyError> {
    exclusive(store, tenant, now, async {
        let asked = changes.len();
        let fresh = current(store, tenant, changes).await?;
        if asked > 0 && fresh.is_empty() {
            return Err(ApplyError::Conflict(
                "these changes were already applied".into(),
            ));
        }
        let target = (access, secrets, secret_prefix);
        apply_now(target, store, tenant, kind, fresh, revert_of, now).await
    })
    .await
}

/// The changes as of the stored entities now, without those that change nothing any more.
async fn current(
    store: &dyn Store,
    tenant: &Tenant,
    changes: Vec<Change>,
) -> Result<Vec<Change>, ApplyError> {
    let mut out = vec![];
    for mut c in changes {
        let e = &c.entity;
        if let Some(now) = records::entity(store, tenant, e.kind, e.profile_id, &e.id).await? {
            c.entity = now;
        }
        let bid_moves = c.new_bid.is_some_and(|b| b != bid_of(&c.entity));
        let state_moves = c.new_state.as_ref().is_some_and(|s| *s != c.entity.state);
        if bid_moves || state_moves {
            out.push(Change {
                new_bid: c.new_bid.filter(|_| bid_moves),
                new_state: c.new_state.clone().filter(|_| state_moves),
                ..c
            });
        }
    }
    Ok(out)
}

/// [`apply`]'s work, its lease held.
async fn apply_now(
    (access, secrets, secret_prefix): (&AdsAccess, &dyn Secrets, &str),
    store: &dyn Store,
    tenant: &Tenant,
    (action_type, target_type): (&str, &str),
    changes: Vec<Change>,
    revert_of: Option<String>,
    now: DateTime<Utc>,
) -> Result<Batch, ApplyError> {
    let mut groups: BTreeMap<(String, i64, EntityKind), Vec<Change>> = BTreeMap::new();
    for c in changes {
        if !matches!(
            c.entity.kind,
            EntityKind::Keyword | EntityKind::Target | EntityKind::Campaign
        ) {
            return Err(ApplyError::Invalid(format!(
                "{} is not a keyword, target or campaign",
                c.entity.id
            )));
        }
        if c.new_state
            .as_deref()
            .is_some_and(|s| state_of(s).is_none())
        {
            return Err(ApplyError::Invalid(
                "status must be ENABLED, PAUSED or ARCHIVED".into(),
            ));
        }
        groups
            .entry((
                c.entity.connection.clone(),
                c.entity.profile_id,
                c.entity.kind,
            ))
            .or_default()
            .push(c);
    }
    let connections = Connections::new(store, secrets, secret_prefix);
    let mut items = vec![];
    for ((connection, profile, kind), changes) in groups {
        let account = match AmazonAccountId::parse(&connection) {
            Ok(id) => connections.find(tenant, &id).await.ok().flatten(),
            Err(_) => None,
        };
        let outcome = match &account {
            None => Err("the Amazon connection is gone".to_string()),
            Some(account) => match access.context(account, now + Duration::minutes(2)).await {
                Err(e) => Err(e.to_string()),
                Ok(None) => Err("Amazon Ads is not connected for this account".to_string()),
                Ok(Some(ctx)) => {
                    let api = access.api(account);
                    let r = match kind {
                        EntityKind::Keyword => {
                            let u: Vec<KeywordUpdate> = changes
                                .iter()
                                .map(|c| KeywordUpdate {
                                    keyword_id: c.entity.id.clone(),
                                    bid: c.new_bid,
                                    state: c.new_state.as_deref().and_then(state_of),
                                })
                                .collect();
                            api.update_keywords(&ctx, profile, &u).await
                        }
                        EntityKind::Campaign => {
                            let u: Vec<CampaignUpdate> = changes
                                .iter()
                                .map(|c| CampaignUpdate {
                                    campaign_id: c.entity.id.clone(),
                                    daily_budget: c.new_bid,
                                    state: c.new_state.as_deref().and_then(state_of),
                                })
                                .collect();
                            api.update_campaigns(&ctx, profile, &u).await
                        }
                        _ => {
                            let u: Vec<TargetUpdate> = changes
                                .iter()
                                .map(|c| TargetUpdate {
                                    target_id: c.entity.id.clone(),
                                    bid: c.new_bid,
                                    state: c.new_state.as_deref().and_then(state_of),
                                })
                                .collect();
                            api.update_targets(&ctx, profile, &u).await
                        }
                    };
                    r.map_err(|e| e.to_string())
                }
            },
        };
        for (i, c) in changes.into_iter().enumerate() {
            let result = match &outcome {
                Err(e) => Err(e.clone()),
                Ok(results) => match results.get(i).map(|r| &r.result) {
                    Some(Ok(())) => Ok(()),
                    Some(Err(errs)) => Err(errs
                        .iter()
                        .map(|e| {
                            format!(
                                "{}{}{}",
                                e.error_type,
                                e.reason
                                    .as_ref()
                                    .map(|r| format!(" {r}"))
                                    .unwrap_or_default(),
                                e.message
                                    .as_ref()
                                    .map(|m| format!(": {m}"))
                                    .unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")),
                    None => Err("Amazon reported nothing for this item".into()),
                },
            };
            let previous_bid = bid_of(&c.entity);
            let new_bid = c.new_bid.unwrap_or(previous_bid);
            let new_state = c.new_state.clone().unwrap_or(c.entity.state.clone());
            if result.is_ok() {
                let mut e = c.entity.clone();
                if c.new_bid.is_some() {
                    if e.kind == EntityKind::Campaign {
                        e.amount = Some(new_bid);
                    } else {
                        e.bid = Some(new_bid);
                    }
                }
                e.state = new_state.clone();
                e.synced_at = now.max(e.synced_at + Duration::milliseconds(1));
                records::put_entity(store, tenant, &e).await?;
            }
            items.push(BatchItem {
                id: c.entity.id.clone(),
                kind: c.entity.kind,
                profile_id: c.entity.profile_id,
                connection: c.entity.connection.clone(),
                name: c.entity.name.clone(),
                match_type: c.entity.match_type.clone(),
                previous_bid,
                new_bid,
                previous_state: c.entity.state.clone(),
                new_state,
                reason: c.reason,
                ok: result.is_ok(),
                error: result.err(),
            });
        }
    }
    let batch = Batch {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: now,
        action_type: action_type.into(),
        target_type: target_type.into(),
        target_ids: items.iter().map(|i| i.id.clone()).collect(),
        items,
        revert_of,
        reverted_by: None,
    };
    put_batch(store, tenant, &batch, Some(Condition::NotExists)).await?;
    Ok(batch)
}

/// Reverts a batch: each successful item back to its bid and state before it (as a new
/// batch); a batch is reverted once.
#[allow(clippy::too_many_arguments)]
pub async fn revert(
    access: &AdsAccess,
    store: &dyn Store,
    secrets: &dyn Secrets,
    secret_prefix: &str,
    tenant: &Tenant,
    batch_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Batch>, ApplyError> {
    exclusive(store, tenant, now, async {
        let target = (access, secrets, secret_prefix);
        revert_now(target, store, tenant, batch_id, now).await
    })
    .await
}

/// [`revert`]'s work, the apply lease held: the batch read again, so of two reverts one
/// finds it reverted.
async fn revert_now(
    target: (&AdsAccess, &dyn Secrets, &str),
    store: &dyn Store,
    tenant: &Tenant,
    batch_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Batch>, ApplyError> {
    let Some(original) = batches(store, tenant)
        .await?
        .into_iter()
        .find(|b| b.id == batch_id)
    else {
        return Ok(None);
    };
    if let Some(by) = &original.reverted_by {
        return Err(ApplyError::Conflict(format!(
            "this batch was already reverted by {by}"
        )));
    }
    let mut changes = vec![];
    for i in original.items.iter().filter(|i| i.ok) {
        let Some(entity) = records::entity(store, tenant, i.kind, i.profile_id, &i.id).await?
        else {
            continue;
        };
        changes.push(Change {
            entity,
            new_bid: (i.previous_bid != i.new_bid).then_some(i.previous_bid),
            new_state: (i.previous_state != i.new_state).then(|| i.previous_state.clone()),
            reason: format!("revert of {}", original.id),
        });
    }
    let changes: Vec<Change> = changes
        .into_iter()
        .filter(|c| c.new_bid.is_some() || c.new_state.is_some())
        .collect();
    let changes = current(store, tenant, changes).await?;
    let batch = apply_now(
        target,
        store,
        tenant,
        ("revert", &original.target_type),
        changes,
        Some(original.id.clone()),
        now,
    )
    .await?;
    let marked = Batch {
        reverted_by: Some(batch.id.clone()),
        ..original
    };
    put_batch(store, tenant, &marked, None).await?;
    Ok(Some(batch))
}

/// The first day of a lookback of `days` ending `today`.
pub fn lookback_from(today: NaiveDate, days: i64) -> NaiveDate {
    today - Duration::days(days - 1)
}
