//! Metrics and profit from the synced Ads rows (`shared::ppc::metrics`). Sales and orders are
//! Sponsored Products' 7-day attribution. One answer is in one currency: without a
//! `marketplaceId` the marketplace with the most spend in the range is read, and named.
//!
//! Profit: the break-even ACOS of a SKU is its margin before advertising, percent of its
//! price: (price − Amazon's estimated fees) / price, from the synced fee estimates (no cost of
//! goods until the profit ledger has them). Estimated profit = sales × break-even ACOS − spend;
//! the suggested bid is the bid (or the cost per click) scaled by break-even ACOS / ACOS.
//! Without a fee estimate for the SKU these are `null`.

use crate::{context, filter, ok, paged, some, Params};
use axum::extract::{Path, State};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::keys::Tenant;
use shared::ports::Store;
use shared::ppc::metrics::{self, EntityTotals, Filter, Grain, Totals};
use shared::records::ads::{self as records, AdsDay, EntityKind, Level};
use shared::records::fee_estimates;
use std::collections::BTreeMap;

/// The rows of `level` summed per entity and span of `grain`, in one marketplace (the asked
/// one, or the one with most spend).
async fn read(
    state: &AppState,
    tenant: &Tenant,
    level: Level,
    f: &Filter,
    grain: Grain<'_>,
) -> Result<(Vec<AdsDay>, Option<String>)> {
    let rows = metrics::rows_at(state.store.as_ref(), tenant, level, f, grain).await?;
    let marketplace = f
        .marketplace_id
        .clone()
        .or_else(|| metrics::main_marketplace(&rows, f.home_marketplace.as_deref()));
    let rows = rows
        .into_iter()
        .filter(|d| marketplace.as_ref().is_none_or(|m| *m == d.marketplace_id))
        .collect();
    Ok((rows, marketplace))
}

fn currency(rows: &[AdsDay]) -> Option<String> {
    rows.first().map(|d| d.currency.clone())
}

fn period(p: &Params) -> String {
    match some(&p.period).as_deref() {
        Some(x @ ("week" | "month")) => x.to_string(),
        _ => "day".into(),
    }
}

/// The overview: totals, TACoS and the trend per period.
async fn overview(state: &AppState, auth: &AuthUser, p: &Params) -> Result<Value> {
    let ctx = context(state, auth, &p.account_id, "ppc.read").await?;
    let f = filter(state, &ctx, p).await?;
    let level = if f.sku.is_some() {
        Level::Sku
    } else {
        Level::Campaign
    };
    let period = period(p);
    let (rows, marketplace) = read(state, ctx.tenant(), level, &f, Grain::Period(&period)).await?;
    let t = metrics::total(&rows);
    let total_sales = match &marketplace {
        Some(m) => {
            Some(metrics::total_sales(state.store.as_ref(), ctx.tenant(), m, f.from, f.to).await?)
        }
        None => None,
    };
    let trend: Vec<Value> = metrics::by_period(&rows, &period)
        .into_iter()
        .map(|(date, t)| {
            json!({
                "date": date.to_string(),
                "spend": t.spend,
                "sales": t.sales,
                "acos": t.acos().unwrap_or_default(),
                "roi": t.roi().unwrap_or_default(),
                "impressions": t.impressions,
                "clicks": t.clicks,
                "orders": t.orders,
            })
        })
        .collect();
    let mut out = t.json();
    out["totalSpend"] = json!(t.spend);
    out["totalSales"] = json!(t.sales);
    out["totalOrders"] = json!(t.orders);
    out["tacos"] = json!(total_sales.and_then(|s| metrics::tacos(t.spend, s)));
    out["totalMarketplaceSales"] = json!(total_sales);
    out["totalSalesSource"] = json!("orders");
    out["marketplaceId"] = json!(marketplace);
    out["currency"] = json!(currency(&rows));
    out["startDate"] = json!(f.from.to_string());
    out["endDate"] = json!(f.to.to_string());
    out["trend"] = json!(trend);
    Ok(out)
}

fn entity_json(e: &EntityTotals) -> Value {
    let mut v = e.totals.json();
    v["id"] = json!(e.id);
    v["name"] = json!(e.name);
    v["campaignId"] = json!(e.campaign_id);
    v["adGroupId"] = json!(e.ad_group_id);
    v["matchType"] = json!(e.match_type);
    v["currency"] = json!(e.currency);
    v
}

/// The kinds of stored entity that name the entities of a level.
fn kinds_of(level: Level) -> &'static [EntityKind] {
    match level {
        Level::Campaign => &[EntityKind::Campaign],
        Level::AdGroup => &[EntityKind::AdGroup],
        _ => &[EntityKind::Keyword, EntityKind::Target],
    }
}

/// Entity totals of a level, by spend (largest first). Named from the rows; with `keyword`,
/// named from the stored entities and filtered by it ([`named`] names the others).
async fn entities(
    state: &AppState,
    auth: &AuthUser,
    p: &Params,
    level: Level,
) -> Result<(Vec<EntityTotals>, Tenant)> {
    let ctx = context(state, auth, &p.account_id, "ppc.read").await?;
    let f = filter(state, &ctx, p).await?;
    let tenant = ctx.tenant().clone();
    let (rows, _) = read(state, &tenant, level, &f, Grain::Range).await?;
    let store = state.store.as_ref();
    let mut list = metrics::by_entity(&rows, &BTreeMap::new());
    if let Some(k) = some(&p.keyword) {
        let mut names = BTreeMap::new();
        for kind in kinds_of(level) {
            names.extend(metrics::names(store, &tenant, *kind).await?);
        }
        for e in &mut list {
            if let Some(n) = names.get(&e.id) {
                e.name = n.clone();
            }
        }
        let k = k.to_lowercase();
        list.retain(|e| e.name.to_lowercase().contains(&k));
    }
    Ok((list, tenant))
}

/// The stored entities of `list` (read by key), their names set on it.
async fn named(
    state: &AppState,
    tenant: &Tenant,
    level: Level,
    list: &mut [EntityTotals],
) -> Result<BTreeMap<String, shared::records::ads::AdsEntity>> {
    let stored = metrics::stored_of(state.store.as_ref(), tenant, kinds_of(level), list).await?;
    for e in list.iter_mut() {
        if let Some(s) = stored.get(&e.id) {
            e.name = s.name.clone();
        }
    }
    Ok(stored)
}

pub async fn metrics(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    Ok(ok(overview(&state, &auth, &p).await?))
}

async fn list_of(state: &AppState, auth: &AuthUser, p: &Params, level: Level) -> Result<Response> {
    let (list, tenant) = entities(state, auth, p, level).await?;
    let (page, total) = paged(p, &list)?;
    let mut page = page.to_vec();
    named(state, &tenant, level, &mut page).await?;
    let data: Vec<Value> = page.iter().map(entity_json).collect();
    Ok(crate::ok_list(json!({"data": data, "total": total}), total))
}

pub async fn metrics_campaigns(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    list_of(&state, &auth, &p, Level::Campaign).await
}

pub async fn metrics_ad_groups(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    list_of(&state, &auth, &p, Level::AdGroup).await
}

pub async fn metrics_keywords(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    list_of(&state, &auth, &p, Level::Target).await
}

/// `GET /api/ppc`: the overview and the campaigns.
pub async fn dashboard(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    let mut out = overview(&state, &auth, &p).await?;
    let (mut list, tenant) = entities(&state, &auth, &p, Level::Campaign).await?;
    named(&state, &tenant, Level::Campaign, &mut list).await?;
    out["campaigns"] = json!(list.iter().map(entity_json).collect::<Vec<_>>());
    Ok(ok(out))
}

pub async fn performance(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    Ok(ok(overview(&state, &auth, &p).await?))
}

/// Stored entities of a kind with their totals in the range (every entity, with or without
/// figures), as `data: [...]`.
async fn entity_list(
    state: &AppState,
    auth: &AuthUser,
    p: &Params,
    kinds: &[EntityKind],
    level: Level,
) -> Result<Response> {
    let (list, tenant) = entities(state, auth, p, level).await?;
    let totals: BTreeMap<String, Totals> =
        list.into_iter().map(|e| (e.id.clone(), e.totals)).collect();
    let mut data: Vec<(Decimal, Value)> = vec![];
    for kind in kinds {
        for e in records::entities(state.store.as_ref(), &tenant, *kind).await? {
            if some(&p.campaign_id).is_some_and(|c| e.campaign_id.as_ref() != Some(&c))
                || some(&p.amazon_account_id).is_some_and(|c| c != e.connection)
                || some(&p.marketplace_id).is_some_and(|m| m != e.marketplace_id)
            {
                continue;
            }
            let mut v = totals.get(&e.id).copied().unwrap_or_default().json();
            v["id"] = json!(e.id);
            v["name"] = json!(e.name);
            v["state"] = json!(e.state);
            v["status"] = json!(e.state.to_lowercase());
            v["campaignId"] = json!(e.campaign_id);
            v["adGroupId"] = json!(e.ad_group_id);
            v["matchType"] = json!(e.match_type);
            v["bid"] = json!(e.bid.or(if *kind == EntityKind::Campaign {
                None
            } else {
                e.amount
            }));
            v["budget"] = json!((*kind == EntityKind::Campaign)
                .then_some(e.amount)
                .flatten());
            v["profileId"] = json!(e.profile_id);
            v["marketplaceId"] = json!(e.marketplace_id);
            v["currency"] = json!(e.currency);
            v["amazonAccountId"] = json!(e.connection);
            data.push((totals.get(&e.id).map(|t| t.spend).unwrap_or_default(), v));
        }
    }
    // By spend, largest first (then as stored), one page.
    data.sort_by_key(|d| std::cmp::Reverse(d.0));
    let (page, total) = paged(p, &data)?;
    let page: Vec<&Value> = page.iter().map(|(_, v)| v).collect();
    Ok(crate::ok_list(json!(page), total))
}

pub async fn campaign_list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    entity_list(&state, &auth, &p, &[EntityKind::Campaign], Level::Campaign).await
}

pub async fn ad_group_list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    entity_list(&state, &auth, &p, &[EntityKind::AdGroup], Level::AdGroup).await
}

pub async fn keyword_list(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    entity_list(
        &state,
        &auth,
        &p,
        &[EntityKind::Keyword, EntityKind::Target],
        Level::Target,
    )
    .await
}

/// `GET /api/ppc/campaigns/{id}`: one campaign with its totals and daily trend.
pub async fn campaign(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &p.account_id, "ppc.read").await?;
    let campaign = records::entities(state.store.as_ref(), ctx.tenant(), EntityKind::Campaign)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Error::NotFound("Campaign not found".into()))?;
    let mut f = filter(&state, &ctx, &p).await?;
    f.campaign_id = Some(id.clone());
    f.marketplace_id = Some(campaign.marketplace_id.clone());
    let period = period(&p);
    let rows = metrics::rows_at(
        state.store.as_ref(),
        ctx.tenant(),
        Level::Campaign,
        &f,
        Grain::Period(&period),
    )
    .await?;
    let t = metrics::total(&rows);
    let mut v = t.json();
    v["id"] = json!(campaign.id);
    v["name"] = json!(campaign.name);
    v["state"] = json!(campaign.state);
    v["status"] = json!(campaign.state.to_lowercase());
    v["budget"] = json!(campaign.amount);
    v["currency"] = json!(campaign.currency);
    v["marketplaceId"] = json!(campaign.marketplace_id);
    v["trend"] = json!(metrics::by_period(&rows, &period)
        .into_iter()
        .map(|(d, t)| json!({"date": d.to_string(), "spend": t.spend, "sales": t.sales, "acos": t.acos().unwrap_or_default(), "clicks": t.clicks, "impressions": t.impressions}))
        .collect::<Vec<_>>());
    Ok(ok(v))
}

/// Margin before advertising per SKU, percent of its price, from the fee estimates (the
/// latest estimate of each SKU).
async fn margins(store: &dyn Store, tenant: &Tenant) -> Result<BTreeMap<String, Decimal>> {
    let mut latest: BTreeMap<String, (chrono::DateTime<chrono::Utc>, Decimal)> = BTreeMap::new();
    for e in fee_estimates::all(store, tenant).await? {
        if e.query.price <= Decimal::ZERO {
            continue;
        }
        let margin = ((e.query.price - e.total) * Decimal::ONE_HUNDRED / e.query.price).round_dp(2);
        let slot = latest
            .entry(e.query.sku.clone())
            .or_insert((e.estimated_at, margin));
        if e.estimated_at >= slot.0 {
            *slot = (e.estimated_at, margin);
        }
    }
    Ok(latest.into_iter().map(|(k, (_, m))| (k, m)).collect())
}

/// The SKU each campaign advertises (its first product ad's).
async fn campaign_skus(store: &dyn Store, tenant: &Tenant) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for a in records::entities(store, tenant, EntityKind::ProductAd).await? {
        if let (Some(c), Some(s)) = (a.campaign_id, a.sku) {
            out.entry(c).or_insert(s);
        }
    }
    Ok(out)
}

struct Profit {
    break_even: Option<Decimal>,
    profit: Option<Decimal>,
}

fn profit_of(t: &Totals, margin: Option<Decimal>) -> Profit {
    Profit {
        break_even: margin,
        profit: margin.map(|m| (t.sales * m / Decimal::ONE_HUNDRED - t.spend).round_dp(2)),
    }
}

/// `GET /api/ppc/profit`: spend, sales, break-even ACOS and estimated profit, with a trend.
pub async fn profit(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    let ctx = context(&state, &auth, &p.account_id, "ppc.read").await?;
    let f = filter(&state, &ctx, &p).await?;
    // Per day: each SKU-day's estimated profit is rounded by itself.
    let (rows, marketplace) =
        read(&state, ctx.tenant(), Level::Sku, &f, Grain::Period("day")).await?;
    let margins = margins(state.store.as_ref(), ctx.tenant()).await?;
    let margin_of = |d: &AdsDay| d.sku.as_ref().and_then(|s| margins.get(s)).copied();
    let mut trend: BTreeMap<chrono::NaiveDate, (Totals, Decimal, bool)> = BTreeMap::new();
    let (mut spend, mut sales, mut profit, mut known) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, true);
    for d in &rows {
        let mut t = Totals::default();
        t.add(d);
        let pr = profit_of(&t, margin_of(d));
        spend += t.spend;
        sales += t.sales;
        let e = trend
            .entry(metrics::period_start(d.date, &period(&p)))
            .or_insert((Totals::default(), Decimal::ZERO, true));
        e.0.add(d);
        match pr.profit {
            Some(x) => {
                profit += x;
                e.1 += x;
            }
            None => {
                known = false;
                e.2 = false;
            }
        }
    }
    let break_even = (known && !sales.is_zero())
        .then(|| ((profit + spend) * Decimal::ONE_HUNDRED / sales).round_dp(2));
    let trend: Vec<Value> = trend
        .into_iter()
        .map(|(d, (t, pr, k))| json!({"date": d.to_string(), "spend": t.spend, "sales": t.sales, "estimatedProfit": k.then_some(pr)}))
        .collect();
    Ok(ok(json!({
        "totalSpend": spend,
        "totalSales": sales,
        "breakEvenAcos": break_even,
        "estimatedProfit": known.then_some(profit),
        "acos": metrics::total(&rows).acos().unwrap_or_default(),
        "marketplaceId": marketplace,
        "currency": currency(&rows),
        "attributionWindow": "7d",
        "marginSource": "fee-estimates",
        "trend": trend,
    })))
}

async fn profit_list(
    state: &AppState,
    auth: &AuthUser,
    p: &Params,
    level: Level,
) -> Result<Response> {
    let (list, tenant) = entities(state, auth, p, level).await?;
    let (page, total) = paged(p, &list)?;
    let mut list = page.to_vec();
    let stored = named(state, &tenant, level, &mut list).await?;
    let store = state.store.as_ref();
    let margins = margins(store, &tenant).await?;
    let skus = campaign_skus(store, &tenant).await?;
    let bids: BTreeMap<String, Decimal> = if level == Level::Target {
        stored
            .values()
            .map(|e| (e.id.clone(), shared::ppc::optimise::bid_of(e)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let data: Vec<Value> = list
        .iter()
        .map(|e| {
            let margin = skus
                .get(&e.campaign_id)
                .and_then(|s| margins.get(s))
                .copied();
            let pr = profit_of(&e.totals, margin);
            let base = bids.get(&e.id).copied().or(e.totals.cpc());
            let suggested = match (base, pr.break_even, e.totals.acos()) {
                (Some(b), Some(be), Some(a)) if !a.is_zero() => Some((b * be / a).round_dp(2)),
                _ => None,
            };
            let mut v = entity_json(e);
            v["breakEvenAcos"] = json!(pr.break_even);
            v["estimatedProfit"] = json!(pr.profit);
            v["suggestedBid"] = json!(suggested);
            v["sku"] = json!(skus.get(&e.campaign_id));
            v
        })
        .collect();
    Ok(crate::ok_list(json!({"data": data, "total": total}), total))
}

pub async fn profit_campaigns(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    profit_list(&state, &auth, &p, Level::Campaign).await
}

pub async fn profit_ad_groups(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    profit_list(&state, &auth, &p, Level::AdGroup).await
}

pub async fn profit_keywords(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(p): QueryParams<Params>,
) -> Result<Response> {
    profit_list(&state, &auth, &p, Level::Target).await
}
