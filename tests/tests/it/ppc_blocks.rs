//! The PPC per-entity rollups (`shared::ppc::blocks`): for any range (aligned with the blocks
//! or not) the blocks' sums equal the day rows', to the cent and the scale, also when report
//! writes and their recomputes race, on both store adapters; a replayed or delayed event
//! changes nothing; an unbuilt tenant is read from its day rows and its first event builds
//! it; and every PPC call answers the same before and after the blocks are built, with pages.

use super::helpers::*;
use super::ppc_api::api;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::Value;
use shared::keys::Tenant;
use shared::ports::store::{query_all, Index, Query, SortKey, Store};
use shared::ppc::blocks::{self, ADS_DAYS_CHANGED};
use shared::ppc::metrics::{self, Filter, Grain};
use shared::profit::recompute::apply_to;
use shared::records::ads::{self as records, AdsDay, AdsEntity, EntityKind, Level};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tower::ServiceExt;

const PROFILES: [i64; 2] = [3_100_000_001, 3_100_000_002];
const LEVELS: [Level; 3] = [Level::Target, Level::Campaign, Level::SearchTerm];

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A small deterministic generator.
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

fn profile_entity(profile: i64) -> AdsEntity {
    AdsEntity {
        kind: EntityKind::Profile,
        profile_id: profile,
        id: profile.to_string(),
        connection: "conn-1".into(),
        marketplace_id: "ATVPDKIKX0DER".into(),
        currency: "USD".into(),
        campaign_id: None,
        ad_group_id: None,
        name: "US".into(),
        match_type: None,
        state: "ENABLED".into(),
        bid: None,
        amount: None,
        sku: None,
        asin: None,
        timezone: Some("America/Los_Angeles".into()),
        synced_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// One report row; `pull` changes the figures (a later re-pull's settled numbers).
fn row(level: Level, profile: i64, date: NaiveDate, e: u64, pull: u64, g: &mut Lcg) -> AdsDay {
    let campaign = format!("77{}", e % 5);
    let entity = match level {
        Level::Campaign => campaign.clone(),
        Level::SearchTerm => format!("88{}#term\twith a tab {}", e % 7, e),
        _ => format!("88{e}"),
    };
    // Costs of several scales, zeros of scale 2 among them.
    let cost = match g.next(4) {
        0 => Decimal::new(0, 2),
        1 => Decimal::new(g.next(50_000) as i64, 2),
        2 => Decimal::new(g.next(5_000) as i64, 1),
        _ => Decimal::new(g.next(500_000) as i64, 3),
    };
    let sales = Decimal::new((g.next(9_000) * (pull + 1)) as i64, 2);
    AdsDay {
        level,
        profile_id: profile,
        connection: "conn-1".into(),
        marketplace_id: if profile == PROFILES[0] {
            "ATVPDKIKX0DER".into()
        } else {
            "A2EUQ1WTGCTBG2".into()
        },
        currency: if profile == PROFILES[0] { "USD" } else { "CAD" }.into(),
        date,
        entity,
        campaign_id: campaign,
        ad_group_id: (level != Level::Campaign).then(|| format!("66{}", e % 9)),
        target_id: (level == Level::Target).then(|| format!("88{e}")),
        sku: None,
        asin: None,
        name: Some(format!("keyword {e}")),
        match_type: e.is_multiple_of(2).then(|| "EXACT".to_string()),
        impressions: g.next(1000) as i64,
        clicks: g.next(30) as i64,
        cost,
        purchases: [1, g.next(4) as i64, 2, 3],
        sales: [Decimal::ONE, sales, Decimal::TWO, Decimal::TEN],
        units7d: g.next(5) as i64,
        report_id: format!("r{pull}"),
        reported_at: DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000 + pull as i64),
    }
}

/// Impressions, clicks, cost, orders, sales, units.
type Sums = (i64, i64, Decimal, i64, Decimal, i64);

/// The day rows summed per (span first day, profile, entity), as text to the scale.
fn want(days: &[AdsDay], a: NaiveDate, b: NaiveDate) -> BTreeMap<(i64, String), String> {
    let mut out: BTreeMap<(i64, String), Sums> = BTreeMap::new();
    for d in days.iter().filter(|d| d.date >= a && d.date <= b) {
        let e = out.entry((d.profile_id, d.entity.clone())).or_default();
        e.0 += d.impressions;
        e.1 += d.clicks;
        e.2 += d.cost;
        e.3 += d.purchases7d();
        e.4 += d.sales7d();
        e.5 += d.units7d;
    }
    out.into_iter()
        .map(|(k, v)| (k, format!("{v:?}")))
        .collect()
}

fn got(rows: &[AdsDay]) -> BTreeMap<(i64, String), String> {
    rows.iter()
        .map(|d| {
            (
                (d.profile_id, d.entity.clone()),
                format!(
                    "{:?}",
                    (
                        d.impressions,
                        d.clicks,
                        d.cost,
                        d.purchases7d(),
                        d.sales7d(),
                        d.units7d
                    )
                ),
            )
        })
        .collect()
}

/// Ranges aligned with blocks and not: single days, block edges, the whole, a month.
fn ranges(from: NaiveDate, to: NaiveDate, g: &mut Lcg) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = vec![
        (from, to),
        (from, from),
        (to, to),
        (day("2026-04-01"), day("2026-04-30")),
        (day("2026-04-04"), day("2026-04-19")),
        (from - Duration::days(10), from + Duration::days(3)),
    ];
    let len = (to - from).num_days() as u64;
    for _ in 0..6 {
        let a = from + Duration::days(g.next(len + 1) as i64);
        let b = a + Duration::days(g.next(len + 1) as i64);
        out.push((a, b.min(to)));
    }
    out
}

async fn assert_blocks_equal_days(
    store: &dyn Store,
    tenant: &Tenant,
    from: NaiveDate,
    to: NaiveDate,
) {
    let mut g = Lcg(7);
    for level in LEVELS {
        let days = records::days(store, tenant, level, from, to).await.unwrap();
        assert!(!days.is_empty());
        for (a, b) in ranges(from, to, &mut g) {
            let rows = blocks::read_spans(store, tenant, level, &[(a, b)])
                .await
                .unwrap()
                .expect("built");
            assert!(rows.iter().all(|d| d.date == a));
            assert_eq!(got(&rows), want(&days, a, b), "{level:?} {a}..{b}");
            // Labels: those of the rows (the same on every day here).
            for d in &rows {
                let src = days
                    .iter()
                    .find(|x| x.entity == d.entity && x.profile_id == d.profile_id)
                    .unwrap();
                assert_eq!(
                    (
                        &d.campaign_id,
                        &d.ad_group_id,
                        &d.name,
                        &d.match_type,
                        &d.currency
                    ),
                    (
                        &src.campaign_id,
                        &src.ad_group_id,
                        &src.name,
                        &src.match_type,
                        &src.currency
                    )
                );
            }
            // Through the metrics' reader, per week: the same as the day rows summed.
            let f = Filter {
                from: a,
                to: b,
                ..Default::default()
            };
            let weekly = metrics::rows_at(store, tenant, level, &f, Grain::Period("week"))
                .await
                .unwrap();
            let total = |rows: &[AdsDay]| metrics::total(rows);
            let daily = metrics::rows(store, tenant, level, &f).await.unwrap();
            assert_eq!(total(&weekly), total(&daily));
            assert_eq!(
                total(&weekly).spend.to_string(),
                total(&daily).spend.to_string()
            );
        }
    }
}

async fn block_items(store: &dyn Store, tenant: &Tenant) -> Vec<shared::ports::store::Item> {
    query_all(
        store,
        Query::partition(Index::Table, shared::keys::pk(tenant))
            .sk(SortKey::BeginsWith("ADSBLK#".into())),
    )
    .await
    .unwrap()
}

async fn racing_report_writes_keep_blocks_equal_to_their_days(store: Arc<dyn Store>) {
    let tenant = Tenant::create();
    for p in PROFILES {
        records::put_entity(store.as_ref(), &tenant, &profile_entity(p))
            .await
            .unwrap();
    }
    let (from, to) = (day("2026-03-20"), day("2026-04-28"));
    // A first report of one day for each level and profile: its event builds them.
    for p in PROFILES {
        for level in LEVELS {
            let mut g = Lcg(99);
            for e in 0..5 {
                let r = row(level, p, from, e, 0, &mut g);
                records::put_day(store.as_ref(), &tenant, &r).await.unwrap();
            }
            let mut by: BTreeMap<(i64, String), BTreeMap<Level, BTreeSet<NaiveDate>>> =
                BTreeMap::new();
            by.entry((p, "m".into()))
                .or_default()
                .insert(level, [from].into());
            for e in blocks::days_changed(&tenant, "conn-1", &by) {
                apply_to(store.as_ref(), &tenant, &e.detail_type, &e.detail)
                    .await
                    .unwrap();
            }
            assert!(blocks::is_built(store.as_ref(), &tenant, level, p)
                .await
                .unwrap());
        }
    }
    // Report "steps": per profile, level, window of 10 days and pull (a later pull re-reports
    // overlapping days with newer figures), each writing its rows then applying its event,
    // all at once.
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (p, level, start, pull)) in PROFILES
        .iter()
        .flat_map(|p| LEVELS.iter().map(move |l| (*p, *l)))
        .flat_map(|(p, l)| {
            (0..4).flat_map(move |w| [(p, l, w * 10, 0u64), (p, l, w * 10 + 5, 1u64)])
        })
        .enumerate()
    {
        let (store, tenant) = (store.clone(), tenant.clone());
        tasks.spawn(async move {
            let mut g = Lcg(i as u64 + 1);
            let mut days = BTreeSet::new();
            for d in 0..10 {
                let date = from + Duration::days(start + d);
                if date > to {
                    continue;
                }
                for e in 0..(12 + g.next(6)) {
                    let r = row(level, p, date, e, pull, &mut g);
                    records::put_day(store.as_ref(), &tenant, &r).await.unwrap();
                }
                days.insert(date);
            }
            let mut by: BTreeMap<(i64, String), BTreeMap<Level, BTreeSet<NaiveDate>>> =
                BTreeMap::new();
            by.entry((p, "m".into())).or_default().insert(level, days);
            for e in blocks::days_changed(&tenant, "conn-1", &by) {
                assert_eq!(e.detail_type, ADS_DAYS_CHANGED);
                apply_to(store.as_ref(), &tenant, &e.detail_type, &e.detail)
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert_blocks_equal_days(store.as_ref(), &tenant, from, to).await;
    // Replaying an old event (delayed, or delivered twice) changes no block.
    let before = block_items(store.as_ref(), &tenant).await;
    let mut by: BTreeMap<(i64, String), BTreeMap<Level, BTreeSet<NaiveDate>>> = BTreeMap::new();
    by.entry((PROFILES[0], "m".into()))
        .or_default()
        .insert(Level::Target, [from, from + Duration::days(7)].into());
    for e in blocks::days_changed(&tenant, "conn-1", &by) {
        apply_to(store.as_ref(), &tenant, &e.detail_type, &e.detail)
            .await
            .unwrap();
    }
    assert_eq!(block_items(store.as_ref(), &tenant).await, before);
    // Every packed item stays far below DynamoDB's 400 KB.
    assert!(before
        .iter()
        .all(|i| serde_json::to_string(i).unwrap().len() < 400_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_report_writes_keep_blocks_equal_to_their_days_on_the_embedded_store() {
    racing_report_writes_keep_blocks_equal_to_their_days(TestApp::new().store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_report_writes_keep_blocks_equal_to_their_days_on_dynamodb() {
    racing_report_writes_keep_blocks_equal_to_their_days(
        TestApp::on_dynamodb().await.store.clone(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbuilt_tenant_reads_its_days_and_its_first_event_builds_every_day() {
    let app = TestApp::new();
    let store = app.store.as_ref();
    let tenant = Tenant::create();
    records::put_entity(store, &tenant, &profile_entity(PROFILES[0]))
        .await
        .unwrap();
    let (from, to) = (day("2026-04-01"), day("2026-04-20"));
    let mut g = Lcg(3);
    let mut d = from;
    while d <= to {
        for e in 0..8 {
            records::put_day(
                store,
                &tenant,
                &row(Level::Target, PROFILES[0], d, e, 0, &mut g),
            )
            .await
            .unwrap();
        }
        d += Duration::days(1);
    }
    let f = Filter {
        from,
        to,
        ..Default::default()
    };
    // Not built: the blocks answer nothing, the metrics read the days.
    assert!(
        blocks::read_spans(store, &tenant, Level::Target, &[(from, to)])
            .await
            .unwrap()
            .is_none()
    );
    let before = metrics::rows_at(store, &tenant, Level::Target, &f, Grain::Range)
        .await
        .unwrap();
    // The first event names one day; it builds them all.
    let mut by: BTreeMap<(i64, String), BTreeMap<Level, BTreeSet<NaiveDate>>> = BTreeMap::new();
    by.entry((PROFILES[0], "m".into()))
        .or_default()
        .insert(Level::Target, [to].into());
    for e in blocks::days_changed(&tenant, "conn-1", &by) {
        apply_to(store, &tenant, &e.detail_type, &e.detail)
            .await
            .unwrap();
    }
    let built = blocks::read_spans(store, &tenant, Level::Target, &[(from, to)])
        .await
        .unwrap()
        .expect("built");
    assert_eq!(got(&built), got(&before));
    let days = records::days(store, &tenant, Level::Target, from, to)
        .await
        .unwrap();
    assert_eq!(got(&built), want(&days, from, to));
    // A second profile, not built: the day rows again.
    records::put_entity(store, &tenant, &profile_entity(PROFILES[1]))
        .await
        .unwrap();
    assert!(
        blocks::read_spans(store, &tenant, Level::Target, &[(from, to)])
            .await
            .unwrap()
            .is_none()
    );
}

async fn get(
    router: &axum::Router,
    token: &str,
    path: &str,
) -> (StatusCode, Option<String>, Value) {
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let total = res
        .headers()
        .get("x-total-count")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, total, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ppc_call_answers_the_same_from_the_blocks_as_from_the_days() {
    let a = api().await;
    let store = a.ppc.w.store.as_ref();
    let tenant = &a.ppc.tenant;
    let today = a.ppc.w.st.now().date_naive();
    let campaign = records::entities(store, tenant, EntityKind::Campaign)
        .await
        .unwrap()[0]
        .id
        .clone();
    let q = format!("accountId={}", a.s.account_id);
    let mut paths = vec![];
    for range in [
        String::new(),
        format!(
            "&startDate={}&endDate={}",
            today - Duration::days(40),
            today - Duration::days(3)
        ),
        format!(
            "&startDate={}&endDate={today}&period=week",
            today - Duration::days(60)
        ),
        format!(
            "&startDate={}&endDate={today}&period=month",
            today - Duration::days(90)
        ),
    ] {
        for p in [
            "/api/ppc",
            "/api/ppc/metrics",
            "/api/ppc/metrics/campaigns",
            "/api/ppc/metrics/ad-groups",
            "/api/ppc/metrics/keywords",
            "/api/ppc/profit",
            "/api/ppc/profit/campaigns",
            "/api/ppc/profit/ad-groups",
            "/api/ppc/profit/keywords",
            "/api/ppc/optimization",
            "/api/ppc/campaigns",
            "/api/ppc/ad-groups",
            "/api/ppc/keywords",
        ] {
            paths.push(format!("{p}?{q}{range}"));
        }
        paths.push(format!("/api/ppc/campaigns/{campaign}?{q}{range}"));
    }
    let mut before = vec![];
    for p in &paths {
        let (st, total, body) = get(&a.router, &a.s.token, p).await;
        assert_eq!(st, StatusCode::OK, "{p}: {body}");
        before.push((total, body));
    }
    assert!(
        blocks::read_spans(store, tenant, Level::Target, &[(today, today)])
            .await
            .unwrap()
            .is_none()
    );
    // Build every level of every profile (what the first events do).
    let now = a.ppc.w.st.now();
    for p in records::entities(store, tenant, EntityKind::Profile)
        .await
        .unwrap()
    {
        for level in Level::ALL {
            blocks::build(store, tenant, level, p.profile_id, now)
                .await
                .unwrap();
        }
    }
    assert!(
        blocks::read_spans(store, tenant, Level::Target, &[(today, today)])
            .await
            .unwrap()
            .is_some()
    );
    for (p, want) in paths.iter().zip(&before) {
        let (st, total, body) = get(&a.router, &a.s.token, p).await;
        assert_eq!(st, StatusCode::OK, "{p}: {body}");
        assert_eq!(&(total, body), want, "{p}");
    }
    // Pages: by spend, largest first; the total in the body and in X-Total-Count.
    let all_path = format!("/api/ppc/metrics/keywords?{q}");
    let (_, total, all) = get(&a.router, &a.s.token, &all_path).await;
    let all = all["data"]["data"].as_array().unwrap().clone();
    assert!(all.len() > 3);
    assert_eq!(total, Some(all.len().to_string()));
    let spend =
        |v: &Value| -> Decimal { v["spend"].to_string().trim_matches('"').parse().unwrap() };
    assert!(all.windows(2).all(|w| spend(&w[0]) >= spend(&w[1])));
    let (st, total, page) = get(
        &a.router,
        &a.s.token,
        &format!("{all_path}&limit=2&offset=1"),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(total, Some(all.len().to_string()));
    assert_eq!(page["data"]["total"], all.len());
    assert_eq!(page["data"]["data"].as_array().unwrap(), &all[1..3]);
    let (st, _, opt) = get(
        &a.router,
        &a.s.token,
        &format!("/api/ppc/optimization?{q}&limit=1"),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(opt["data"]["items"].as_array().unwrap().len(), 1);
    assert!(opt["data"]["summary"]["totalKeywords"].as_u64().unwrap() > 1);
    for bad in ["limit=0", "limit=x", "offset=-1", "limit=10001"] {
        let (st, _, _) = get(&a.router, &a.s.token, &format!("{all_path}&{bad}")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}");
    }
}
