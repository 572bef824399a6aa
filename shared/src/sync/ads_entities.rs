//! The Ads entities dataset: the advertiser's profiles of the connection's region, and each
//! profile's Sponsored Products campaigns, ad groups, keywords, product targets and product
//! ads (v3 lists, every page), stored newer-wins by the time they were listed.
//!
//! Checkpoint: the profiles still to list in this run. A step lists whole profiles until its
//! deadline; a connection without Ads consent finishes at once.

use super::ads::{ads_error, sync_profiles, AdsAccess};
use super::step::{DatasetSync, StepContext, StepError, StepResult};
use super::{Progress, SyncState};
use crate::amazon::ads::{AdsApi, ListFilter};
use crate::amazon::Context;
use crate::records::ads::{self as records, AdsEntity, EntityKind};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The Ads entities sync; `None` access: Ads is not configured (every run finishes empty).
pub struct AdsEntitiesSync {
    access: Option<Arc<AdsAccess>>,
}

impl AdsEntitiesSync {
    pub fn new(access: Option<Arc<AdsAccess>>) -> Self {
        Self { access }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    /// Profiles still to list: (id, marketplace, currency).
    todo: Vec<(i64, String, String)>,
    total: u64,
    #[serde(default)]
    started: bool,
}

fn done(progress: Progress, written: u64) -> StepResult {
    StepResult {
        cursor: serde_json::Value::Null,
        progress,
        written,
        done: true,
        next_in: None,
        events: vec![],
    }
}

/// Lists and stores every entity of one profile; the number written.
pub async fn sync_profile(
    api: &AdsApi,
    ctx: &Context,
    cx: &StepContext<'_>,
    (profile, marketplace, currency): (i64, &str, &str),
    now: DateTime<Utc>,
) -> Result<u64, StepError> {
    let all = ListFilter::default();
    let base = |kind: EntityKind, id: String, name: String, state: String| AdsEntity {
        kind,
        profile_id: profile,
        id,
        connection: cx.account.id.to_string(),
        marketplace_id: marketplace.to_string(),
        currency: currency.to_string(),
        campaign_id: None,
        ad_group_id: None,
        name,
        match_type: None,
        state,
        bid: None,
        amount: None,
        sku: None,
        asin: None,
        timezone: None,
        synced_at: now,
    };
    let state = |s: crate::amazon::ads::EntityState| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "OTHER".into())
    };
    let mut out: Vec<AdsEntity> = vec![];
    for c in api.campaigns(ctx, profile, &all).await.map_err(ads_error)? {
        let mut e = base(
            EntityKind::Campaign,
            c.campaign_id.clone(),
            c.name,
            state(c.state),
        );
        e.campaign_id = Some(c.campaign_id);
        e.amount = Some(c.budget.budget);
        out.push(e);
    }
    let mut default_bids = HashMap::new();
    for g in api.ad_groups(ctx, profile, &all).await.map_err(ads_error)? {
        let mut e = base(
            EntityKind::AdGroup,
            g.ad_group_id.clone(),
            g.name,
            state(g.state),
        );
        e.campaign_id = Some(g.campaign_id);
        e.ad_group_id = Some(g.ad_group_id.clone());
        e.amount = Some(g.default_bid);
        default_bids.insert(g.ad_group_id, g.default_bid);
        out.push(e);
    }
    for k in api.keywords(ctx, profile, &all).await.map_err(ads_error)? {
        let mut e = base(
            EntityKind::Keyword,
            k.keyword_id.clone(),
            k.keyword_text,
            state(k.state),
        );
        e.campaign_id = Some(k.campaign_id);
        e.amount = default_bids.get(&k.ad_group_id).copied();
        e.ad_group_id = Some(k.ad_group_id);
        e.match_type = Some(k.match_type);
        e.bid = k.bid;
        out.push(e);
    }
    for t in api.targets(ctx, profile, &all).await.map_err(ads_error)? {
        let mut e = base(
            EntityKind::Target,
            t.target_id.clone(),
            t.expression_text(),
            state(t.state),
        );
        e.campaign_id = Some(t.campaign_id);
        e.amount = default_bids.get(&t.ad_group_id).copied();
        e.ad_group_id = Some(t.ad_group_id);
        e.match_type = Some("TARGETING_EXPRESSION".into());
        e.bid = t.bid;
        out.push(e);
    }
    for a in api
        .product_ads(ctx, profile, &all)
        .await
        .map_err(ads_error)?
    {
        let mut e = base(
            EntityKind::ProductAd,
            a.ad_id.clone(),
            a.sku.clone().unwrap_or_default(),
            state(a.state),
        );
        e.campaign_id = Some(a.campaign_id);
        e.ad_group_id = Some(a.ad_group_id);
        e.sku = a.sku;
        e.asin = a.asin;
        out.push(e);
    }
    let mut written = 0;
    for e in &out {
        if records::put_entity(cx.store, cx.tenant, e).await?.stored() {
            written += 1;
        }
    }
    Ok(written)
}

#[async_trait::async_trait]
impl DatasetSync for AdsEntitiesSync {
    async fn step(&self, cx: &StepContext<'_>, state: &SyncState) -> Result<StepResult, StepError> {
        let Some(access) = &self.access else {
            return Ok(done(state.progress, 0));
        };
        let Some(ctx) = access.context(cx.account, cx.deadline).await? else {
            tracing::info!("the connection has no Ads consent: nothing to sync");
            return Ok(done(Progress::default(), 0));
        };
        let api = access.api(cx.account);
        let now = cx.now();
        let mut cursor: Cursor = serde_json::from_value(state.cursor.clone()).unwrap_or_default();
        if !cursor.started {
            let profiles = sync_profiles(&api, &ctx, cx.store, cx.account, now).await?;
            cursor = Cursor {
                todo: profiles
                    .iter()
                    .map(|p| {
                        (
                            p.profile_id,
                            p.account_info.marketplace_string_id.clone(),
                            p.currency_code.clone(),
                        )
                    })
                    .collect(),
                total: profiles.len() as u64,
                started: true,
            };
        }
        let mut written = 0;
        let mut progress = state.progress;
        progress.steps_total = cursor.total;
        loop {
            let Some((profile, marketplace, currency)) = cursor.todo.first().cloned() else {
                progress.steps_done = cursor.total;
                progress.records_done += written;
                return Ok(done(progress, written));
            };
            written +=
                sync_profile(&api, &ctx, cx, (profile, &marketplace, &currency), now).await?;
            cursor.todo.remove(0);
            if cx.time_left() < Duration::minutes(1) && !cursor.todo.is_empty() {
                break;
            }
        }
        progress.steps_done = cursor.total - cursor.todo.len() as u64;
        progress.records_done += written;
        Ok(StepResult {
            cursor: serde_json::to_value(&cursor).unwrap_or_default(),
            progress,
            written,
            done: false,
            next_in: None,
            events: vec![],
        })
    }
}
