//! Optimisation and bulk actions. Every change goes through one path
//! (`shared::ppc::optimise::apply`): the Ads API's updates item by item, each item's result
//! reported (a refused item changes nothing, the others apply), the batch kept with each
//! item's bid and state before and after, and any batch revertible once. A preview computes
//! the same items and changes nothing.

use crate::{context, decimal, filter, ok, some, Ads, Params};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::tenancy::Context;
use shared::ppc::metrics;
use shared::ppc::optimise::{self, ApplyError, Batch, Change, Recommendation, Rules};
use shared::records::ads::{self as records, AdsEntity, EntityKind, Level};
use shared::sync::ads::AdsAccess;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn access(ads: &Ads) -> Result<&Arc<AdsAccess>> {
    ads.0
        .as_ref()
        .ok_or_else(|| Error::Unavailable("Amazon Ads is not configured".into()))
}

fn apply_error(e: ApplyError) -> Error {
    match e {
        ApplyError::Store(e) => Error::Store(e),
        ApplyError::Invalid(m) => Error::validation("items", m),
        ApplyError::Amazon(m) => Error::Unavailable(m),
        ApplyError::Conflict(m) => Error::Conflict(m),
    }
}

/// Keywords and targets of the tenant that the filters select.
async fn selected(state: &AppState, ctx: &Context, p: &Params) -> Result<Vec<AdsEntity>> {
    let f = filter(state, ctx, p).await?;
    let store = state.store.as_ref();
    let sku_campaigns = match &f.sku {
        Some(sku) => Some(metrics::campaigns_of_sku(store, ctx.tenant(), sku).await?),
        None => None,
    };
    let keyword = some(&p.keyword).map(|k| k.to_lowercase());
    let keyword_id = some(&p.keyword_id);
    Ok(optimise::targets(store, ctx.tenant())
        .await?
        .into_iter()
        .filter(|e| {
            f.connection.as_ref().is_none_or(|c| *c == e.connection)
                && f.marketplace_id
                    .as_ref()
                    .is_none_or(|m| *m == e.marketplace_id)
                && f.campaign_id
                    .as_ref()
                    .is_none_or(|c| e.campaign_id.as_ref() == Some(c))
                && f.ad_group_id
                    .as_ref()
                    .is_none_or(|g| e.ad_group_id.as_ref() == Some(g))
                && keyword
                    .as_ref()
                    .is_none_or(|k| e.name.to_lowercase().contains(k))
                && keyword_id.as_ref().is_none_or(|k| *k == e.id)
                && sku_campaigns
                    .as_ref()
                    .is_none_or(|set| e.campaign_id.as_ref().is_some_and(|c| set.contains(c)))
        })
        .collect())
}

/// Recommendations for the selected targets under `rules`, from the lookback's figures.
async fn recommendations(
    state: &AppState,
    ctx: &Context,
    p: &Params,
    rules: &Rules,
) -> Result<(Vec<Recommendation>, Vec<records::AdsDay>)> {
    let entities = selected(state, ctx, p).await?;
    let now = state.clock.now();
    let today = now.date_naive();
    let from = optimise::lookback_from(today, rules.lookback_days);
    let f = metrics::Filter {
        from,
        to: today,
        ..Default::default()
    };
    let store = state.store.as_ref();
    let range = metrics::Grain::Range;
    let rows = metrics::rows_at(store, ctx.tenant(), Level::Target, &f, range).await?;
    let last = optimise::last_changes(store, ctx.tenant()).await?;
    let recs = optimise::recommend(rules, &entities, &rows, &last, now);
    let terms = metrics::rows_at(store, ctx.tenant(), Level::SearchTerm, &f, range).await?;
    Ok((recs, terms))
}

fn status_word(state: &str) -> String {
    match state {
        "ENABLED" => "active".into(),
        other => other.to_lowercase(),
    }
}

fn rec_item(r: &Recommendation) -> Value {
    json!({
        "id": r.entity.id,
        "keywordId": r.entity.id,
        "keyword": r.entity.name,
        "matchType": r.entity.match_type,
        "campaignId": r.entity.campaign_id,
        "adGroupId": r.entity.ad_group_id,
        "spend": r.totals.spend,
        "sales": r.totals.sales,
        "clicks": r.totals.clicks,
        "orders": r.totals.orders,
        "acos": r.totals.acos().unwrap_or_default(),
        "currentBid": r.current_bid,
        "suggestedBid": r.new_bid.unwrap_or(r.current_bid),
        "newBid": r.new_bid.unwrap_or(r.current_bid),
        "suggestedStatus": r.new_state.as_deref().map(status_word),
        "optimizationMode": "rules",
        "status": status_word(&r.entity.state),
        "reason": r.reason,
        "currency": r.entity.currency,
    })
}

/// Search terms worth harvesting: ones that ordered and are not keywords yet (add them as
/// exact keywords), and ones that spent past the minimum data without an order (negatives).
fn harvesting(terms: &[records::AdsDay], keywords: &BTreeSet<String>, rules: &Rules) -> Vec<Value> {
    let mut by_term: BTreeMap<String, metrics::Totals> = BTreeMap::new();
    for d in terms {
        if let Some(t) = &d.name {
            by_term.entry(t.clone()).or_default().add(d);
        }
    }
    let mut out = vec![];
    for (term, t) in by_term {
        if t.orders > 0 && !keywords.contains(&term.to_lowercase()) {
            out.push(json!({"keyword": term, "action": "add-exact", "reason": format!("{} orders and {} sales from this search term, not yet a keyword", t.orders, t.sales), "orders": t.orders, "spend": t.spend, "sales": t.sales}));
        } else if t.orders == 0 && t.clicks >= rules.min_clicks && t.spend >= rules.min_spend {
            out.push(json!({"keyword": term, "action": "add-negative", "reason": format!("{} clicks and {} spend without an order", t.clicks, t.spend), "orders": 0, "spend": t.spend, "sales": t.sales}));
        }
    }
    out
}

/// `GET /api/ppc/optimization`: every selected keyword and target with its suggestion.
pub async fn status(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &p.account_id, "ppc.read").await?;
    let rules = optimise::rules(state.store.as_ref(), ctx.tenant()).await?;
    let (recs, terms) = recommendations(&state, &ctx, &p, &rules).await?;
    let keywords: BTreeSet<String> = recs
        .iter()
        .filter(|r| r.entity.kind == EntityKind::Keyword)
        .map(|r| r.entity.name.to_lowercase())
        .collect();
    // Items by spend, largest first, one page; the summary counts them all.
    let mut ordered: Vec<&Recommendation> = recs.iter().collect();
    ordered.sort_by_key(|r| std::cmp::Reverse(r.totals.spend));
    let (page, total) = crate::paged(&p, &ordered)?;
    let items: Vec<Value> = page.iter().map(|r| rec_item(r)).collect();
    Ok(crate::ok_list(
        json!({
            "summary": {
                "totalKeywords": recs.len(),
                "autoplayKeywords": recs.iter().filter(|r| r.entity.state == "ENABLED").count(),
                "suggestedChanges": recs.iter().filter(|r| r.new_bid.is_some() || r.new_state.is_some()).count(),
                "pausedKeywords": recs.iter().filter(|r| r.entity.state == "PAUSED").count(),
            },
            "items": items,
            "total": total,
            "harvesting": harvesting(&terms, &keywords, &rules),
            "rules": rules,
            "attributionWindow": "7d",
        }),
        total,
    ))
}

/// The rules fields a body may carry (the UI sends minBid, maxBid, pauseAcosThreshold).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesBody {
    #[serde(flatten)]
    params: Params,
    min_bid: Option<Value>,
    max_bid: Option<Value>,
    pause_acos_threshold: Option<Value>,
    target_acos: Option<Value>,
    min_clicks: Option<i64>,
    min_spend: Option<Value>,
    max_step_up: Option<Value>,
    max_step_down: Option<Value>,
    cooldown_days: Option<i64>,
    lookback_days: Option<i64>,
    #[serde(default)]
    preview: Option<bool>,
}

impl RulesBody {
    /// The stored rules with what the body changes.
    fn over(&self, mut r: Rules) -> Result<Rules> {
        if let Some(v) = decimal(&self.min_bid, "minBid")? {
            r.bid_floor = v;
        }
        if let Some(v) = decimal(&self.max_bid, "maxBid")? {
            r.bid_ceiling = v;
        }
        if let Some(v) = decimal(&self.pause_acos_threshold, "pauseAcosThreshold")? {
            r.pause_acos = (v > Decimal::ZERO).then_some(v);
        }
        if let Some(v) = decimal(&self.target_acos, "targetAcos")? {
            r.target_acos = v;
        }
        if let Some(v) = self.min_clicks {
            r.min_clicks = v;
        }
        if let Some(v) = decimal(&self.min_spend, "minSpend")? {
            r.min_spend = v;
        }
        if let Some(v) = decimal(&self.max_step_up, "maxStepUp")? {
            r.max_step_up = v;
        }
        if let Some(v) = decimal(&self.max_step_down, "maxStepDown")? {
            r.max_step_down = v;
        }
        if let Some(v) = self.cooldown_days {
            r.cooldown_days = v;
        }
        if let Some(v) = self.lookback_days {
            r.lookback_days = v;
        }
        r.validate().map_err(|m| Error::validation("rules", m))?;
        Ok(r)
    }
}

/// `POST /api/ppc/optimization/run`: saves the rules the body sets and answers the
/// recommendations under them (nothing is changed on Amazon: applying is the bulk page's).
pub async fn run(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(b): JsonBody<RulesBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &b.params.account_id, "ppc.write").await?;
    let store = state.store.as_ref();
    let rules = b.over(optimise::rules(store, ctx.tenant()).await?)?;
    optimise::save_rules(store, ctx.tenant(), &rules).await?;
    let (recs, _) = recommendations(&state, &ctx, &b.params, &rules).await?;
    let items: Vec<Value> = recs
        .iter()
        .filter(|r| r.new_bid.is_some() || r.new_state.is_some())
        .map(rec_item)
        .collect();
    Ok(ok(
        json!({"rules": rules, "suggestedChanges": items.len(), "items": items}),
    ))
}

/// Applies changes as one batch, with the caller's account's Ads application.
async fn apply(
    state: &AppState,
    ads: &Ads,
    ctx: &Context,
    kind: (&str, &str),
    changes: Vec<Change>,
) -> Result<Batch> {
    let access = access(ads)?;
    optimise::apply(
        access,
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
        ctx.tenant(),
        kind,
        changes,
        None,
        state.clock.now(),
    )
    .await
    .map_err(apply_error)
}

fn batch_json(b: &Batch, items: Vec<Value>) -> Value {
    json!({
        "historyId": b.id,
        "items": items,
        "applied": b.items.iter().filter(|i| i.ok).count(),
        "failed": b.items.iter().filter(|i| !i.ok).count(),
        "results": b.items.iter().map(|i| json!({"keywordId": i.id, "ok": i.ok, "error": i.error})).collect::<Vec<_>>(),
    })
}

fn bid_items(b: &Batch) -> Vec<Value> {
    b.items
        .iter()
        .map(|i| json!({"keywordId": i.id, "keyword": i.name, "currentBid": i.previous_bid, "newBid": i.new_bid, "ok": i.ok, "error": i.error, "reason": i.reason}))
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualBid {
    account_id: Option<String>,
    current_bid: Option<Value>,
    bid: Option<Value>,
}

/// `PATCH /api/ppc/optimization/{keywordId}`: sets one keyword's (or target's) bid.
pub async fn manual_bid(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ManualBid>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &b.account_id, "ppc.write").await?;
    let bid = decimal(&b.current_bid, "currentBid")?
        .or(decimal(&b.bid, "bid")?)
        .ok_or_else(|| Error::validation("currentBid", "is required"))?;
    if bid <= Decimal::ZERO {
        return Err(Error::validation("currentBid", "must be above 0"));
    }
    let entity = optimise::targets(state.store.as_ref(), ctx.tenant())
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| Error::NotFound("Keyword not found".into()))?;
    let kind = if entity.kind == EntityKind::Keyword {
        "keyword"
    } else {
        "target"
    };
    let batch = apply(
        &state,
        &ads,
        &ctx,
        ("manual-bid", kind),
        vec![Change {
            entity,
            new_bid: Some(bid),
            new_state: None,
            reason: "manual bid".into(),
        }],
    )
    .await?;
    Ok(ok(batch_json(&batch, bid_items(&batch))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    account_id: Option<String>,
    keyword_id: Option<String>,
}

/// `GET /api/ppc/optimization/history`: every bid change, newest first.
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<HistoryQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &q.account_id, "ppc.read").await?;
    let only = some(&q.keyword_id);
    let mut data = vec![];
    for b in optimise::batches(state.store.as_ref(), ctx.tenant()).await? {
        for i in &b.items {
            if only.as_ref().is_some_and(|k| *k != i.id) {
                continue;
            }
            data.push(json!({
                "id": format!("{}:{}", b.id, i.id),
                "batchId": b.id,
                "keywordId": i.id,
                "keyword": i.name,
                "previousBid": i.previous_bid,
                "newBid": i.new_bid,
                "previousStatus": status_word(&i.previous_state),
                "newStatus": status_word(&i.new_state),
                "reason": i.reason,
                "actionType": b.action_type,
                "ok": i.ok,
                "error": i.error,
                "createdAt": b.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }));
        }
    }
    Ok(ok(json!({"data": data, "total": data.len()})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkBody {
    #[serde(flatten)]
    params: Params,
    target_type: Option<String>,
    #[serde(default)]
    target_ids: Option<Vec<Value>>,
    new_bid: Option<Value>,
    min_bid: Option<Value>,
    max_bid: Option<Value>,
    status: Option<String>,
    #[serde(default)]
    preview: Option<bool>,
}

/// The entities a bulk body names: its ids (of keywords, targets, ad groups or campaigns as
/// `targetType` says) within the filters.
async fn bulk_selection(state: &AppState, ctx: &Context, b: &BulkBody) -> Result<Vec<AdsEntity>> {
    let ids: BTreeSet<String> = b
        .target_ids
        .iter()
        .flatten()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    let kind = some(&b.target_type).unwrap_or_else(|| "keyword".into());
    let all = selected(state, ctx, &b.params).await?;
    Ok(all
        .into_iter()
        .filter(|e| match kind.as_str() {
            "campaign" | "campaigns" => {
                ids.is_empty() || e.campaign_id.as_ref().is_some_and(|c| ids.contains(c))
            }
            "adGroup" | "ad-group" | "adGroups" | "ad_group" => {
                ids.is_empty() || e.ad_group_id.as_ref().is_some_and(|g| ids.contains(g))
            }
            "target" | "targets" => {
                e.kind == EntityKind::Target && (ids.is_empty() || ids.contains(&e.id))
            }
            _ => e.kind == EntityKind::Keyword && (ids.is_empty() || ids.contains(&e.id)),
        })
        .collect())
}

/// `POST /api/ppc/bulk/bid-update`: one new bid (within minBid..maxBid) for every selected
/// keyword; a preview, or applied.
pub async fn bulk_bid(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    JsonBody(b): JsonBody<BulkBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &b.params.account_id, "ppc.write").await?;
    let new_bid =
        decimal(&b.new_bid, "newBid")?.ok_or_else(|| Error::validation("newBid", "is required"))?;
    let (min, max) = (
        decimal(&b.min_bid, "minBid")?,
        decimal(&b.max_bid, "maxBid")?,
    );
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(Error::validation("minBid", "must not be above maxBid"));
        }
    }
    let mut bid = new_bid;
    if let Some(lo) = min {
        bid = bid.max(lo);
    }
    if let Some(hi) = max {
        bid = bid.min(hi);
    }
    if bid <= Decimal::ZERO {
        return Err(Error::validation("newBid", "must be above 0"));
    }
    let chosen = bulk_selection(&state, &ctx, &b).await?;
    let changes: Vec<Change> = chosen
        .into_iter()
        .filter(|e| optimise::bid_of(e) != bid)
        .map(|e| Change {
            entity: e,
            new_bid: Some(bid),
            new_state: None,
            reason: "bulk bid update".into(),
        })
        .collect();
    if b.preview.unwrap_or(true) {
        let items: Vec<Value> = changes
            .iter()
            .map(|c| json!({"keywordId": c.entity.id, "keyword": c.entity.name, "currentBid": optimise::bid_of(&c.entity), "newBid": bid}))
            .collect();
        return Ok(ok(json!({"preview": true, "items": items})));
    }
    let target = some(&b.target_type).unwrap_or_else(|| "keyword".into());
    let batch = apply(&state, &ads, &ctx, ("bid-update", &target), changes).await?;
    Ok(ok(batch_json(&batch, bid_items(&batch))))
}

fn parse_status(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "enabled" | "active" | "enable" => Some("ENABLED"),
        "paused" | "pause" => Some("PAUSED"),
        "archived" | "archive" => Some("ARCHIVED"),
        _ => None,
    }
}

/// `POST /api/ppc/bulk/status-change`: one state for every selected keyword.
pub async fn bulk_status(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    JsonBody(b): JsonBody<BulkBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &b.params.account_id, "ppc.write").await?;
    let status = some(&b.status)
        .as_deref()
        .and_then(parse_status)
        .ok_or_else(|| Error::validation("status", "must be enabled, paused or archived"))?;
    let chosen = bulk_selection(&state, &ctx, &b).await?;
    let changes: Vec<Change> = chosen
        .into_iter()
        .filter(|e| e.state != status)
        .map(|e| Change {
            entity: e,
            new_bid: None,
            new_state: Some(status.into()),
            reason: "bulk status change".into(),
        })
        .collect();
    if b.preview.unwrap_or(true) {
        let items: Vec<Value> = changes
            .iter()
            .map(|c| json!({"keywordId": c.entity.id, "keyword": c.entity.name, "currentStatus": status_word(&c.entity.state), "newStatus": status_word(status)}))
            .collect();
        return Ok(ok(json!({"preview": true, "items": items})));
    }
    let target = some(&b.target_type).unwrap_or_else(|| "keyword".into());
    let batch = apply(&state, &ads, &ctx, ("status-change", &target), changes).await?;
    let items = batch
        .items
        .iter()
        .map(|i| json!({"keywordId": i.id, "keyword": i.name, "currentStatus": status_word(&i.previous_state), "newStatus": status_word(&i.new_state), "ok": i.ok, "error": i.error}))
        .collect();
    Ok(ok(batch_json(&batch, items)))
}

/// `POST /api/ppc/bulk/apply-recommendations`: the recommendations under the stored rules
/// (minBid/maxBid as floor and ceiling when sent); a preview, or applied.
pub async fn apply_recommendations(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    JsonBody(b): JsonBody<RulesBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &b.params.account_id, "ppc.write").await?;
    let rules = b.over(optimise::rules(state.store.as_ref(), ctx.tenant()).await?)?;
    let (recs, _) = recommendations(&state, &ctx, &b.params, &rules).await?;
    let recs: Vec<Recommendation> = recs
        .into_iter()
        .filter(|r| r.new_bid.is_some() || r.new_state.is_some())
        .collect();
    if b.preview.unwrap_or(true) {
        let items: Vec<Value> = recs.iter().map(rec_item).collect();
        return Ok(ok(json!({"preview": true, "items": items})));
    }
    let changes = recs
        .into_iter()
        .map(|r| Change {
            entity: r.entity,
            new_bid: r.new_bid,
            new_state: r.new_state,
            reason: r.reason,
        })
        .collect();
    let batch = apply(
        &state,
        &ads,
        &ctx,
        ("apply-recommendations", "keyword"),
        changes,
    )
    .await?;
    Ok(ok(batch_json(&batch, bid_items(&batch))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountQuery {
    account_id: Option<String>,
}

/// `GET /api/ppc/bulk/history`: the applied batches, newest first.
pub async fn bulk_history(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<AccountQuery>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &q.account_id, "ppc.read").await?;
    let data: Vec<Value> = optimise::batches(state.store.as_ref(), ctx.tenant())
        .await?
        .iter()
        .map(|b| {
            json!({
                "id": b.id,
                "actionType": b.action_type,
                "targetType": b.target_type,
                "targetIds": b.target_ids,
                "createdAt": b.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "applied": b.items.iter().filter(|i| i.ok).count(),
                "failed": b.items.iter().filter(|i| !i.ok).count(),
                "revertOf": b.revert_of,
                "revertedBy": b.reverted_by,
            })
        })
        .collect();
    Ok(ok(json!({"data": data, "total": data.len()})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevertBody {
    account_id: Option<String>,
    history_id: Option<String>,
}

/// `POST /api/ppc/bulk/revert`: the batch's items back to their bids and states before it.
pub async fn revert(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    JsonBody(b): JsonBody<RevertBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &b.account_id, "ppc.write").await?;
    let id = some(&b.history_id).ok_or_else(|| Error::validation("historyId", "is required"))?;
    if !optimise::batches(state.store.as_ref(), ctx.tenant())
        .await?
        .iter()
        .any(|h| h.id == id)
    {
        return Err(Error::NotFound("History entry not found".into()));
    }
    let access = access(&ads)?;
    let batch = optimise::revert(
        access,
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
        ctx.tenant(),
        &id,
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        ApplyError::Invalid(m) => Error::Conflict(m),
        other => apply_error(other),
    })?
    .ok_or_else(|| Error::NotFound("History entry not found".into()))?;
    Ok(ok(batch_json(&batch, bid_items(&batch))))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignBody {
    account_id: Option<String>,
    state: Option<String>,
    status: Option<String>,
    daily_budget: Option<Value>,
    /// A number, or the Ads API's `{budget, budgetType: "DAILY"}`.
    budget: Option<Value>,
}

/// The largest daily budget Amazon takes (in the marketplace's currency, most of them).
const MAX_DAILY_BUDGET: i64 = 1_000_000;

/// `PATCH /api/ppc/campaigns/{id}` (body: `state`/`status` and/or `dailyBudget`/`budget`):
/// the campaign's state and daily budget changed through the Ads API on the same path as
/// bids (the batch kept in the history, revertible once). Amazon refusing it answers 422 with
/// its reason, the attempt kept in the history.
pub async fn update_campaign(
    State(state): State<AppState>,
    Extension(ads): Extension<Ads>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(p): QueryParams<Params>,
    JsonBody(b): JsonBody<CampaignBody>,
) -> Result<Response> {
    let account = some(&p.account_id).or(some(&b.account_id));
    let ctx = context(&state, &auth, &account, "ppc.write").await?;
    let campaign = records::entities(state.store.as_ref(), ctx.tenant(), EntityKind::Campaign)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Error::NotFound("Campaign not found".into()))?;
    let new_state = match some(&b.state).or(some(&b.status)) {
        None => None,
        Some(s) => Some(
            parse_status(&s)
                .ok_or_else(|| Error::validation("state", "must be enabled, paused or archived"))?,
        ),
    };
    let budget = match &b.budget {
        Some(Value::Object(o)) => {
            if o.get("budgetType")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.eq_ignore_ascii_case("DAILY"))
            {
                return Err(Error::validation(
                    "budget",
                    "only a DAILY budget can be set",
                ));
            }
            decimal(&o.get("budget").cloned(), "budget")?
        }
        other => decimal(other, "budget")?,
    };
    let budget = decimal(&b.daily_budget, "dailyBudget")?.or(budget);
    if let Some(v) = budget {
        if v <= Decimal::ZERO || v > Decimal::from(MAX_DAILY_BUDGET) {
            return Err(Error::validation(
                "dailyBudget",
                format!("must be above 0 and at most {MAX_DAILY_BUDGET}"),
            ));
        }
        if v.scale() > 2 {
            return Err(Error::validation("dailyBudget", "has at most two decimals"));
        }
    }
    if new_state.is_none() && budget.is_none() {
        return Err(Error::validation(
            "campaign",
            "send state (enabled, paused, archived) and/or dailyBudget",
        ));
    }
    let batch = apply(
        &state,
        &ads,
        &ctx,
        ("campaign-update", "campaign"),
        vec![Change {
            entity: campaign,
            new_bid: budget,
            new_state: new_state.map(str::to_string),
            reason: "campaign update".into(),
        }],
    )
    .await?;
    let items: Vec<Value> = batch
        .items
        .iter()
        .map(|i| json!({"campaignId": i.id, "name": i.name, "previousBudget": i.previous_bid, "dailyBudget": i.new_bid, "previousState": i.previous_state, "state": i.new_state, "ok": i.ok, "error": i.error}))
        .collect();
    let data = batch_json(&batch, items);
    if let Some(refused) = batch.items.iter().find(|i| !i.ok) {
        use axum::response::IntoResponse;
        let message = format!(
            "Amazon refused the campaign change: {}",
            refused.error.clone().unwrap_or_default()
        );
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"success": false, "error": message, "message": message, "code": "amazon_refused", "data": data})),
        )
            .into_response());
    }
    Ok(ok(data))
}
