//! The PPC API over a seller whose Ads data was synced from the stand-in: metrics equal to the
//! stand-in's ground truth; recommendations previewed then applied change exactly the
//! previewed bids on the stand-in, an item Amazon refuses is reported alone; a revert puts the
//! prior bids back on the stand-in (once); manual bids go through the same path. And the
//! rules' guard rails over many generated cases: never beyond floor, ceiling or step, never
//! below the minimum data, never within the cooldown.

use super::helpers::*;
use super::ppc_sync::{attach, to_mid_day, Ppc};
use amazon_stand_in::ads::current_bid;
use amazon_stand_in::ads_truth;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::amazon::ads::{EntityState, KeywordUpdate};
use shared::config::Config;
use shared::connections::Connections;
use shared::domain::{AmazonAccountId, TenantId};
use shared::identity::tenancy;
use shared::ports::FixedClock;
use shared::ppc::metrics::Totals;
use shared::ppc::optimise::{recommend_one, Rules};
use shared::records::ads::{AdsEntity, EntityKind};
use shared::sync::Dataset;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) struct Api {
    _app: TestApp,
    pub(crate) ppc: Ppc,
    pub(crate) router: axum::Router,
    pub(crate) s: Session,
}

pub(crate) async fn api() -> Api {
    let w = super::amazon_client::world(300).await;
    to_mid_day(&w);
    let clock = Arc::new(FixedClock::new(w.st.now()));
    let app = TestApp::with_store(Config::local_defaults(), clock, w.store.clone());
    let s = app.signed_up("ppc@a.example").await;
    let link = app
        .call(
            "POST",
            "/api/accounts/link",
            Some(json!({"marketplace": "US", "sellerId": w.st.seller.seller_id, "refreshToken": "Atzr|IwEBI-test-refresh-token-0123456789"})),
            Some(&s.token),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{:?}", link.body);
    let id = AmazonAccountId::parse(link.body["id"].as_str().unwrap()).unwrap();
    let tenant = tenancy::existing(app.store.as_ref(), &TenantId::parse(&s.account_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let account = Connections::new(
        app.store.as_ref(),
        app.secrets.as_ref(),
        &app.state.config.secret_prefix,
    )
    .find(&tenant, &id)
    .await
    .unwrap()
    .unwrap();
    let secrets: Arc<dyn shared::ports::Secrets> = app.secrets.clone();
    let ppc = attach(w, tenant, account, secrets, true).await;
    ppc.run(Dataset::AdsEntities).await;
    ppc.run(Dataset::AdsReports).await;
    app.clock.set(ppc.w.st.now());
    let router = api_ppc::router_with(app.state.clone(), Some(ppc.access.clone()));
    Api {
        _app: app,
        ppc,
        router,
        s,
    }
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.s.token));
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let res = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn q(&self) -> String {
        format!("accountId={}", self.s.account_id)
    }
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_equal_the_stand_ins_figures() {
    let a = api().await;
    let s = &a.ppc.w.st.seller;
    let us = s
        .ads_profiles
        .iter()
        .position(|p| p.country_code == "US")
        .unwrap();
    let today = a.ppc.today(us, a.ppc.w.st.now());
    let (from, to) = (today - Duration::days(29), today);
    let truth = ads_truth::target_days(s, us, from, to, today);
    let spend: Decimal = truth.iter().map(|t| t.figures.cost).sum();
    let sales: Decimal = truth.iter().map(|t| t.figures.window(7).sales).sum();
    assert!(spend > Decimal::ZERO);
    let range = format!(
        "{}&marketplaceId={}&startDate={from}&endDate={to}",
        a.q(),
        s.ads_profiles[us].marketplace_id
    );
    let (st, m) = a
        .call("GET", &format!("/api/ppc/metrics?{range}"), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{m:?}");
    assert_eq!(dec(&m["data"]["totalSpend"]), spend);
    assert_eq!(dec(&m["data"]["totalSales"]), sales);
    assert_eq!(m["data"]["attributionWindow"], "7d");
    let trend_spend: Decimal = m["data"]["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["spend"]))
        .sum();
    assert_eq!(trend_spend, spend);
    // Per keyword/target, per campaign: the same money, split.
    for path in ["keywords", "campaigns", "ad-groups"] {
        let (st, k) = a
            .call("GET", &format!("/api/ppc/metrics/{path}?{range}"), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{k:?}");
        let rows = k["data"]["data"].as_array().unwrap();
        assert!(!rows.is_empty());
        assert!(rows
            .iter()
            .all(|r| r["name"].is_string() && r["id"].is_string()));
        let sum: Decimal = rows.iter().map(|r| dec(&r["spend"])).sum();
        assert_eq!(sum, spend, "{path}");
    }
    let mut per_target: BTreeMap<String, Decimal> = BTreeMap::new();
    for t in &truth {
        *per_target.entry(t.target.id.to_string()).or_default() += t.figures.cost;
    }
    let (_, k) = a
        .call("GET", &format!("/api/ppc/metrics/keywords?{range}"), None)
        .await;
    let got: BTreeMap<String, Decimal> = k["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), dec(&r["spend"])))
        .collect();
    assert_eq!(got, per_target);
    // The profit page's calls answer their shapes.
    for path in [
        "profit",
        "profit/campaigns",
        "profit/ad-groups",
        "profit/keywords",
    ] {
        let (st, p) = a
            .call("GET", &format!("/api/ppc/{path}?{range}"), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{path}: {p:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_recommendations_are_the_previewed_bids_a_refused_item_fails_alone_and_revert_restores(
) {
    let a = api().await;
    let body = |preview: bool| json!({"accountId": a.s.account_id, "minBid": 0.2, "maxBid": 3, "preview": preview});
    let (st, preview) = a
        .call(
            "POST",
            "/api/ppc/bulk/apply-recommendations",
            Some(body(true)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{preview:?}");
    let items = preview["data"]["items"].as_array().unwrap().clone();
    let bids: Vec<(i64, Decimal, Decimal)> = items
        .iter()
        .filter(|i| i["suggestedStatus"].is_null())
        .map(|i| {
            (
                i["keywordId"].as_str().unwrap().parse().unwrap(),
                dec(&i["currentBid"]),
                dec(&i["newBid"]),
            )
        })
        .collect();
    assert!(bids.len() >= 2, "some bids to change: {items:?}");
    let st = &a.ppc.w.st;
    let before: BTreeMap<i64, (Decimal, &str)> = st
        .seller
        .campaigns
        .iter()
        .flat_map(|c| &c.ad_groups)
        .flat_map(|g| {
            g.keywords
                .iter()
                .map(|k| k.id)
                .chain([ads_truth::product_target(&st.seller, g).id])
        })
        .map(|id| (id, current_bid(st, id).unwrap()))
        .collect();
    // The seller archives one of them on Amazon meanwhile: Amazon refuses that item.
    let (refused, _, _) = *bids
        .iter()
        .find(|(id, _, _)| {
            st.seller
                .campaigns
                .iter()
                .any(|c| c.ad_groups[0].keywords.iter().any(|k| k.id == *id))
        })
        .expect("a keyword among the changes");
    let profile = st
        .seller
        .campaigns
        .iter()
        .find(|c| c.ad_groups[0].keywords.iter().any(|k| k.id == refused))
        .map(|c| st.seller.ads_profiles[c.profile].profile_id)
        .unwrap();
    let ctx = a
        .ppc
        .access
        .context(&a.ppc.account, st.now() + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    a.ppc
        .access
        .api(&a.ppc.account)
        .update_keywords(
            &ctx,
            profile,
            &[KeywordUpdate {
                keyword_id: refused.to_string(),
                bid: None,
                state: Some(EntityState::Archived),
            }],
        )
        .await
        .unwrap();
    let (st_code, applied) = a
        .call(
            "POST",
            "/api/ppc/bulk/apply-recommendations",
            Some(body(false)),
        )
        .await;
    assert_eq!(st_code, StatusCode::OK, "{applied:?}");
    let d = &applied["data"];
    let got: Vec<(String, Value)> = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["keywordId"].as_str().unwrap().to_string(),
                i["newBid"].clone(),
            )
        })
        .collect();
    let want: Vec<(String, Value)> = items
        .iter()
        .map(|i| {
            (
                i["keywordId"].as_str().unwrap().to_string(),
                i["newBid"].clone(),
            )
        })
        .collect();
    let sorted = |mut v: Vec<(String, Value)>| {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(sorted(got), sorted(want), "exactly the previewed changes");
    let results: BTreeMap<String, (bool, Value)> = d["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["keywordId"].as_str().unwrap().to_string(),
                (r["ok"].as_bool().unwrap(), r["error"].clone()),
            )
        })
        .collect();
    assert_eq!(d["failed"], 1, "{d:?}");
    let (ok, error) = &results[&refused.to_string()];
    assert!(!ok);
    assert!(
        error.as_str().unwrap().contains("entityStateError"),
        "{error}"
    );
    for (id, current, new) in &bids {
        let now = current_bid(st, *id).unwrap();
        if *id == refused {
            assert_eq!(
                now,
                (*current, "ARCHIVED"),
                "a refused item changes nothing"
            );
        } else {
            assert_eq!(now.0, *new, "keyword {id} bids what the preview showed");
            assert!(results[&id.to_string()].0);
        }
    }
    for (id, was) in &before {
        if !bids.iter().any(|(b, _, _)| b == id)
            && items
                .iter()
                .all(|i| i["keywordId"].as_str().and_then(|k| k.parse::<i64>().ok()) != Some(*id))
        {
            assert_eq!(current_bid(st, *id).unwrap(), *was, "{id} untouched");
        }
    }

    // History, then revert: the prior bids back on the stand-in, once.
    let (_, history) = a
        .call("GET", &format!("/api/ppc/bulk/history?{}", a.q()), None)
        .await;
    let h = &history["data"]["data"][0];
    assert_eq!(h["actionType"], "apply-recommendations");
    let batch = h["id"].as_str().unwrap().to_string();
    let (_, opt_history) = a
        .call(
            "GET",
            &format!("/api/ppc/optimization/history?{}", a.q()),
            None,
        )
        .await;
    assert!(opt_history["data"]["data"].as_array().unwrap().len() >= bids.len());
    let revert = json!({"accountId": a.s.account_id, "historyId": batch});
    let (st_code, r) = a
        .call("POST", "/api/ppc/bulk/revert", Some(revert.clone()))
        .await;
    assert_eq!(st_code, StatusCode::OK, "{r:?}");
    assert_eq!(r["data"]["failed"], 0, "{r:?}");
    for (id, current, _) in &bids {
        if *id != refused {
            assert_eq!(current_bid(st, *id).unwrap().0, *current, "{id} reverted");
        }
    }
    let (again, _) = a.call("POST", "/api/ppc/bulk/revert", Some(revert)).await;
    assert_eq!(again, StatusCode::CONFLICT);

    // A manual bid goes through the same path.
    let (kw, _, _) = bids.iter().find(|(id, _, _)| *id != refused).unwrap();
    let (st_code, m) = a
        .call(
            "PATCH",
            &format!("/api/ppc/optimization/{kw}"),
            Some(json!({"accountId": a.s.account_id, "currentBid": 0.77})),
        )
        .await;
    assert_eq!(st_code, StatusCode::OK, "{m:?}");
    assert_eq!(
        current_bid(st, *kw).unwrap().0,
        "0.77".parse::<Decimal>().unwrap()
    );
    // A bulk preview changes nothing; its items are what the UI reads.
    let (_, p) = a
        .call(
            "POST",
            "/api/ppc/bulk/bid-update",
            Some(json!({"accountId": a.s.account_id, "targetType": "keyword", "newBid": 9, "maxBid": 1.25, "preview": true})),
        )
        .await;
    let items = p["data"]["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|i| dec(&i["newBid"]) == "1.25".parse::<Decimal>().unwrap()));
    assert_eq!(
        current_bid(st, *kw).unwrap().0,
        "0.77".parse::<Decimal>().unwrap()
    );
}

/// A deterministic sequence of numbers for generated cases.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn rules_never_pass_floor_ceiling_or_step_nor_act_without_data_or_within_the_cooldown() {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let mut g = Lcg(7);
    let mut acted = 0;
    for case in 0..20_000 {
        let rules = Rules {
            target_acos: Decimal::from(5 + g.next(60)),
            min_clicks: g.next(30) as i64,
            min_spend: Decimal::new(g.next(2000) as i64, 2),
            max_step_up: Decimal::from(g.next(50)),
            max_step_down: Decimal::from(g.next(60)),
            bid_floor: Decimal::new(5 + g.next(100) as i64, 2),
            bid_ceiling: Decimal::new(120 + g.next(500) as i64, 2),
            cooldown_days: g.next(7) as i64,
            lookback_days: 14,
            pause_acos: None,
        };
        let bid = Decimal::new(
            rules.bid_floor.mantissa() as i64
                + g.next((rules.bid_ceiling - rules.bid_floor).mantissa() as u64 + 1) as i64,
            2,
        );
        let clicks = g.next(60) as i64;
        let spend = Decimal::new(g.next(5000) as i64, 2);
        let orders = g.next(5) as i64;
        let t = Totals {
            impressions: clicks * 40,
            clicks,
            spend,
            sales: Decimal::new(orders * (500 + g.next(4000) as i64), 2),
            orders,
            units: orders,
        };
        let last = (g.next(2) == 0).then(|| now - Duration::hours(g.next(24 * 10) as i64));
        let e = AdsEntity {
            kind: EntityKind::Keyword,
            profile_id: 1,
            id: format!("{case}"),
            connection: "c".into(),
            marketplace_id: "ATVPDKIKX0DER".into(),
            currency: "USD".into(),
            campaign_id: None,
            ad_group_id: None,
            name: "k".into(),
            match_type: None,
            state: "ENABLED".into(),
            bid: Some(bid),
            amount: None,
            sku: None,
            asin: None,
            timezone: None,
            synced_at: now,
        };
        let r = recommend_one(&rules, &e, bid, &t, last, now);
        let Some(new) = r.new_bid else {
            continue;
        };
        acted += 1;
        let hundred = Decimal::ONE_HUNDRED;
        assert!(
            t.clicks >= rules.min_clicks && t.spend >= rules.min_spend,
            "{case}: acted without data"
        );
        assert!(
            last.is_none_or(|at| now - at >= Duration::days(rules.cooldown_days)),
            "{case}: acted within the cooldown"
        );
        assert!(
            new >= rules.bid_floor && new <= rules.bid_ceiling,
            "{case}: {new} outside {rules:?}"
        );
        assert!(
            new <= bid * (hundred + rules.max_step_up) / hundred,
            "{case}: step up {bid} -> {new}"
        );
        assert!(
            new >= bid * (hundred - rules.max_step_down) / hundred,
            "{case}: step down {bid} -> {new}"
        );
        assert_eq!(new.round_dp(2), new, "{case}: whole cents");
        assert!(!r.reason.is_empty());
    }
    assert!(acted > 1000, "the rules acted in many cases: {acted}");
}

#[test]
fn a_bid_outside_floor_or_ceiling_moves_towards_them_by_at_most_one_step() {
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let rules = Rules::default();
    let t = Totals {
        impressions: 10_000,
        clicks: 100,
        spend: Decimal::from(50),
        sales: Decimal::from(1000),
        orders: 20,
        units: 20,
    };
    let mut e = AdsEntity {
        kind: EntityKind::Keyword,
        profile_id: 1,
        id: "1".into(),
        connection: "c".into(),
        marketplace_id: "ATVPDKIKX0DER".into(),
        currency: "USD".into(),
        campaign_id: None,
        ad_group_id: None,
        name: "k".into(),
        match_type: None,
        state: "ENABLED".into(),
        bid: None,
        amount: None,
        sku: None,
        asin: None,
        timezone: None,
        synced_at: now,
    };
    // ACOS 5% wants a higher bid, but 20 is above the ceiling of 10: one step down.
    let r = recommend_one(&rules, &e, Decimal::from(20), &t, None, now);
    assert_eq!(r.new_bid, Some(Decimal::from(16)));
    let r = recommend_one(&rules, &e, Decimal::new(1050, 2), &t, None, now);
    assert_eq!(r.new_bid, Some(Decimal::from(10)));
    // Below the floor: up to the floor (within a step), even with figures that say lower.
    let bad = Totals {
        sales: Decimal::ZERO,
        orders: 0,
        ..t
    };
    let r = recommend_one(&rules, &e, Decimal::new(9, 2), &bad, None, now);
    assert_eq!(r.new_bid, Some(Decimal::new(10, 2)));
    // A paused keyword is left alone.
    e.state = "PAUSED".into();
    assert_eq!(
        recommend_one(&rules, &e, Decimal::ONE, &t, None, now).new_bid,
        None
    );
}
