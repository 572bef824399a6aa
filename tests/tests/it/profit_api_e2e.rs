//! The profit API end to end: a 5,000-order North American stand-in seller connected through
//! the API and backfilled by the sync worker, its domain events consumed by the rollups job as
//! they come; then every figure the profit screens read, through the API, equals the
//! stand-in's ground truth to 0.00 (`profit_api::assert_api_equals_ground_truth`), and every
//! payout the API lists is Amazon's, reproduced to 0.00.

use super::amazon_client::Virtual;
use super::amazon_connect::{amazon_app, authorize, callback, callback_path, consent, Connected};
use super::helpers::*;
use super::profit_api::assert_api_equals_ground_truth;
use super::profit_e2e::{order_truth, posted_truth, Rows};
use super::sync_money::world_of;
use super::sync_worker::Recorder;
use axum::http::StatusCode;
use chrono::Datelike;
use chrono::Duration;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::jobs::lambda::Batch;
use shared::jobs::{self, Runtime};
use shared::ports::queue::{Queue, QueueRef};
use shared::ports::{Clock, Pacer, Store};
use shared::profit::job::{Rollups, DETAIL_TYPES};
use shared::profit::{Figures, ALL_SKUS};
use shared::sync::{self, Dataset};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Consumes the rollups queue until it is empty.
async fn pump(queue: &EmbeddedQueue, q: &QueueRef, consumer: &Rollups) {
    loop {
        let batch = queue.receive(q, 10, Duration::minutes(10)).await.unwrap();
        if batch.is_empty() {
            return;
        }
        let deadline = chrono::Utc::now() + Duration::hours(1);
        for (id, disposition) in consumer.process(&batch, deadline).await {
            assert!(disposition.is_settled(), "rollup message {id} failed");
            let d = batch.iter().find(|d| d.message_id == id).unwrap();
            queue.delete(q, &d.receipt).await.unwrap();
        }
    }
}

/// Runs the sync queue dry like `sync_e2e`'s drain, and after each step the rollups queue.
#[allow(clippy::too_many_arguments)] // the sync queue's four and the rollups queue's three
async fn drain(
    store: &dyn Store,
    queues: &Recorder,
    q: &QueueRef,
    runtime: &Runtime,
    c: &Connected,
    inner: &EmbeddedQueue,
    rq: &QueueRef,
    rollups: &Rollups,
) {
    for _ in 0..200_000 {
        sync::dispatch(store, queues, q, c.w.st.now(), 100)
            .await
            .unwrap();
        let n = jobs::poll_once(
            runtime,
            queues,
            Duration::minutes(20),
            Duration::minutes(14),
        )
        .await
        .unwrap();
        pump(inner, rq, rollups).await;
        if n > 0 {
            continue;
        }
        if queues.stats(q).await.unwrap().total() == 0 {
            return;
        }
        c.w.st.advance(Duration::seconds(15));
    }
    panic!("the sync queue never emptied");
}

#[tokio::test]
async fn every_profit_figure_of_a_synced_seller_equals_the_ground_truth_through_the_api() {
    let w = world_of(amazon_stand_in::generate(&amazon_stand_in::SellerSpec {
        orders: 5_000,
        marketplaces: ["US", "CA", "MX"].map(String::from).to_vec(),
        ..Default::default()
    }))
    .await;
    let mut app = TestApp::new();
    app.clock.set(w.st.now());
    let amazon = amazon_app(&w, app.store.clone(), None);
    app.state.amazon = Some(amazon.clone());
    let c = Connected { app, w, amazon };
    let s = c.app.signed_up("profit-api@example.com").await;
    let url = authorize(&c, &s, "US").await;
    let q = consent(&url, false).await;
    let r = callback(&c, &callback_path(&q), &s).await;
    assert_eq!(r.status, StatusCode::OK, "callback: {:?}", r.body);
    let store = c.app.store.clone();
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(c.w.st.clone()));
    let clock: Arc<dyn Clock> = pacer.clone();
    let inner = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = inner.declare("sync", Some(("sync-dlq", 10)));
    let rq = inner.declare("rollups", Some(("rollups-dlq", 10)));
    let bus = EmbeddedBus::new(inner.clone(), clock.clone());
    bus.route(
        Pattern {
            source: "beddora.sync".into(),
            detail_types: DETAIL_TYPES.map(String::from).to_vec(),
        },
        rq.clone(),
    );
    let rollups = Rollups {
        store: store.clone(),
        recheck: None,
    };
    let queues = Arc::new(Recorder {
        inner: inner.clone(),
        sent: Mutex::default(),
    });
    let ports = job_sync_worker::Ports {
        store: store.clone(),
        queues: queues.clone(),
        secrets: c.app.state.secrets.clone(),
        bus: Arc::new(bus),
        amazon: c.amazon.clone(),
        pacer,
    };
    // The seller's Ads consent, so the Ads datasets sync too (their spend in the profit).
    let tenant = shared::identity::tenancy::existing(
        store.as_ref(),
        &shared::domain::TenantId::parse(&s.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let account = shared::connections::Connections::new(
        store.as_ref(),
        c.app.state.secrets.as_ref(),
        &c.app.state.config.secret_prefix,
    )
    .all(&tenant)
    .await
    .unwrap()
    .remove(0);
    let ads = Arc::new(shared::sync::ads::AdsAccess::new(
        reqwest::Client::new(),
        shared::amazon::Credentials {
            client_id: c.w.st.apps.ads_client_id.clone(),
            client_secret: secrecy::SecretString::from(c.w.st.apps.ads_client_secret.clone()),
            token_url: format!("{}/auth/o2/token", c.w.base),
        },
        Some(c.w.base.clone()),
        store.clone(),
        Arc::new(Virtual(c.w.st.clone())),
        &secrecy::SecretString::from("an-ads-cache-key-of-at-least-32-bytes".to_string()),
        c.app.state.secrets.clone(),
        c.app.state.config.secret_prefix.clone(),
    ));
    ads.connect(
        &account,
        &secrecy::SecretString::from(c.w.st.issue_ads_refresh_token()),
    )
    .await
    .unwrap();
    let runtime = job_sync_worker::runtime_with(
        &ports,
        &c.app.state.config.secret_prefix,
        q.clone(),
        job_sync_worker::registry_with(Some(ads)),
    );
    drain(
        store.as_ref(),
        &queues,
        &q,
        &runtime,
        &c,
        &inner,
        &rq,
        &rollups,
    )
    .await;
    c.w.st.advance(Dataset::FeeEstimates.cadence());
    drain(
        store.as_ref(),
        &queues,
        &q,
        &runtime,
        &c,
        &inner,
        &rq,
        &rollups,
    )
    .await;
    c.app.clock.set(c.w.st.now());

    // The ad spend the Ads sync holds, and what it does to each view's figures.
    let ads = AdCost::of(store.as_ref(), &tenant, &c.w.st.seller).await;
    assert!(
        ads.invoices.len() >= 3 && ads.covered.len() >= 3,
        "{} invoices, {} months covered",
        ads.invoices.len(),
        ads.covered.len()
    );
    assert!(!ads.posted.is_empty() && !ads.ordered.is_empty());
    assert_api_equals_ground_truth(&c.app, &s, &c.w.st, &ads.posted).await;

    // The reporting currency: EUR for a US/CA/MX seller. Before any rate is loaded, a figure
    // in it says which rate it lacks (never a silent 0 or 1).
    let r = c
        .app
        .call(
            "PUT",
            "/api/profit/settings",
            Some(serde_json::json!({"reportingCurrency": "EUR"})),
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["data"]["reportingCurrency"], "EUR");
    assert!(r.body["data"]["latestRateDay"].is_null());
    let r = c
        .app
        .call(
            "GET",
            &format!(
                "/api/profit/summary?view=posted&startDate={}&endDate={}",
                c.w.st.now().date_naive() - Duration::days(30),
                c.w.st.now().date_naive()
            ),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let said = r.body["error"].as_str().unwrap_or_default().to_string();
    assert!(
        said.contains("No exchange rate from") && said.contains("to EUR"),
        "{said}"
    );
    // The daily schedule's message loads the ECB's rates from its data portal (the
    // stand-in's); a second run loads the same days again and changes nothing.
    let source = format!("{}/service/data/EXR/D..EUR.SP00.A", c.w.base);
    for _ in 0..2 {
        inner
            .send(
                &rq,
                &shared::profit::rates_job::message(c.w.st.now(), Some(&source)),
                Duration::zero(),
            )
            .await
            .unwrap();
        pump(&inner, &rq, &rollups).await;
    }
    let r = get(&c.app, &s, "/api/profit/settings").await;
    assert!(r["data"]["latestRateDay"].is_string(), "{r}");
    // Both views, native and EUR, every marketplace and the whole account.
    assert_views_equal_ground_truth(&c.app, &s, &c.w.st, &ads).await;
    assert_ad_invoices_reconcile(&c.app, &s, &ads).await;

    // Every settlement with money, as Amazon paid it, reconciled to 0.00 through the API.
    let r = c
        .app
        .call("GET", "/api/profit/payouts", None, Some(&s.token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let listed: BTreeMap<String, serde_json::Value> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["settlementId"].as_str().unwrap().to_string(), p.clone()))
        .collect();
    let gt = c.w.st.ground_truth();
    let mut n = 0;
    for p in gt.payouts.iter().filter(|p| p.closed) {
        let Some(ours) = listed.get(&p.settlement_id) else {
            continue;
        };
        assert_eq!(
            ours["amazonTotal"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            p.total,
            "{}",
            p.settlement_id
        );
        assert_eq!(
            ours["difference"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            Decimal::ZERO,
            "{}",
            p.settlement_id
        );
        n += 1;
    }
    assert!(n > 50, "{n} payouts reconciled through the API");
    let one = listed.keys().next().unwrap();
    let d = c
        .app
        .call(
            "GET",
            &format!("/api/profit/payouts/{one}"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(!d.body["data"]["lines"].as_array().unwrap().is_empty());
}

async fn get(app: &TestApp, s: &Session, path: &str) -> serde_json::Value {
    let r = app.call("GET", path, None, Some(&s.token)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    r.body
}

fn money(v: &serde_json::Value) -> Decimal {
    assert!(v.is_number(), "not a number: {v}");
    v.to_string().parse().unwrap()
}

fn r2(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Rows in EUR: each converted at the ECB rate of its local day (the latest publication on
/// or before it), computed from the stand-in's published rates.
fn in_euro(rows: &Rows) -> Rows {
    rows.iter()
        .map(|((m, sku, d), f)| {
            let cur = shared::marketplaces::by_id(m).unwrap().currency;
            let per_euro = amazon_stand_in::ecb::rate_of_day(cur, *d)
                .unwrap_or_else(|| panic!("the ECB published {cur} before {d}"));
            (
                (m.clone(), sku.clone(), *d),
                f.scaled(Decimal::ONE / per_euro),
            )
        })
        .collect()
}

/// Sums rows (one marketplace or all; SKU rows or the day totals) over some days.
fn sum(rows: &Rows, m: Option<&str>, by_sku: bool, days: impl Fn(NaiveDate) -> bool) -> Figures {
    let mut f = Figures::default();
    for ((rm, sku, d), x) in rows {
        if m.is_none_or(|m| m == rm) && (sku == ALL_SKUS) != by_sku && days(*d) {
            f.add(x);
        }
    }
    f
}

/// Every tile, product row, P&L cell, country and chart point of both views, in each
/// marketplace's own currency and in the reporting currency (EUR), per marketplace and for
/// the whole account, equals the stand-in's records summed independently (`profit_e2e`'s
/// `posted_truth` and `order_truth`, converted at the ECB rate of each row's local day).
async fn assert_views_equal_ground_truth(
    app: &TestApp,
    s: &Session,
    st: &amazon_stand_in::server::Shared,
    ads: &AdCost,
) {
    let seller = &st.seller;
    let mids: Vec<&str> = seller.marketplaces.iter().map(|m| m.id).collect();
    let last = amazon_stand_in::ground_truth::local_day(
        mids[0],
        seller.spec.end - chrono::Duration::seconds(1),
    );
    let first = last - chrono::Duration::days(29);
    for (view, truth) in [
        ("posted", with_deltas(posted_truth(seller), &ads.posted)),
        ("order", with_deltas(order_truth(seller), &ads.ordered)),
    ] {
        let euro = in_euro(&truth);
        let mut scopes: Vec<(Option<&str>, &str, &Rows)> = vec![(None, "reporting", &euro)];
        for m in &mids {
            scopes.push((Some(m), "native", &truth));
            scopes.push((Some(m), "reporting", &euro));
        }
        for (m, cur, rows) in scopes {
            let what = format!("{view} {m:?} {cur}");
            let filter = m.map(|m| format!("&marketplaceId={m}")).unwrap_or_default();
            let q = format!("view={view}&currency={cur}{filter}");
            let in_p = |d: NaiveDate| first <= d && d <= last;
            // The 30-day tile.
            let all = sum(rows, m, false, in_p);
            let tile = get(
                app,
                s,
                &format!("/api/profit/summary?{q}&startDate={first}&endDate={last}"),
            )
            .await["data"]
                .clone();
            assert_eq!(
                money(&tile["salesRevenue"]),
                r2(all.sales_revenue),
                "{what} sales"
            );
            assert_eq!(money(&tile["amazonNet"]), r2(all.net()), "{what} net");
            assert_eq!(
                money(&tile["netProfit"]),
                r2(all.net()),
                "{what} net profit"
            );
            assert_eq!(
                money(&tile["totalFees"]),
                r2(-all.amazon_fees()),
                "{what} fees"
            );
            assert_eq!(
                tile["unitsSold"].as_i64().unwrap_or(0),
                all.units_sold,
                "{what} units"
            );
            // The country.
            let map = get(
                app,
                s,
                &format!("/api/profit/map?{q}&startDate={first}&endDate={last}"),
            )
            .await;
            let countries = map.as_array().unwrap();
            assert_eq!(
                countries.len(),
                if m.is_some() { 1 } else { 3 },
                "{what} map"
            );
            for row in countries {
                let mid = shared::marketplaces::by_country(
                    row["countryCode"]
                        .as_str()
                        .unwrap_or(row["country"].as_str().unwrap_or_default()),
                )
                .map(|x| x.id);
                let want = sum(rows, mid.or(m), false, in_p);
                assert_eq!(money(&row["profit"]), r2(want.net()), "{what} map {row}");
            }
            // Product rows (one marketplace).
            if let Some(m) = m {
                let mut want: BTreeMap<String, (Decimal, Decimal, i64)> = BTreeMap::new();
                for ((rm, sku, d), f) in rows {
                    if rm == m && sku != ALL_SKUS && !sku.is_empty() && in_p(*d) {
                        let e = want.entry(sku.clone()).or_default();
                        e.0 += f.sales_revenue;
                        e.1 += f.net();
                        e.2 += f.units_sold;
                    }
                }
                let want: BTreeMap<String, (Decimal, Decimal, i64)> = want
                    .into_iter()
                    .map(|(k, (a, b, u))| (k, (r2(a), r2(b), u)))
                    .filter(|(_, v)| *v != (Decimal::ZERO, Decimal::ZERO, 0))
                    .collect();
                let got: BTreeMap<String, (Decimal, Decimal, i64)> = get(
                    app,
                    s,
                    &format!("/api/profit/by-product?{q}&startDate={first}&endDate={last}"),
                )
                .await["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["sku"].as_str().unwrap().to_string(),
                            (
                                money(&r["salesRevenue"]),
                                money(&r["netProfit"]),
                                r["unitsSold"].as_i64().unwrap_or(0),
                            ),
                        )
                    })
                    .filter(|(_, v)| *v != (Decimal::ZERO, Decimal::ZERO, 0))
                    .collect();
                assert_eq!(got, want, "{what} product rows");
            }
            // P&L cells by month, and the chart's points.
            let month = |key: &str| sum(rows, m, false, |d| d.format("%Y-%m").to_string() == key);
            let pl = get(app, s, &format!("/api/profit/pl?{q}")).await["data"].clone();
            let end_month = pl["endDate"].as_str().unwrap()[..7].to_string();
            let metric = |name: &str| {
                pl["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["parameter"] == name)
                    .unwrap()
                    .clone()
            };
            let (sales, net, units) = (metric("Sales"), metric("Net profit"), metric("Units"));
            let keys: Vec<String> = pl["periodKeys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            for (i, k) in keys.iter().enumerate() {
                let key = if k == "current-mtd" {
                    end_month.clone()
                } else {
                    k.clone()
                };
                let t = month(&key);
                assert_eq!(
                    money(&sales["periods"][i]["value"]),
                    r2(t.sales_revenue),
                    "{what} P&L sales {key}"
                );
                assert_eq!(
                    money(&net["periods"][i]["value"]),
                    r2(t.net()),
                    "{what} P&L net {key}"
                );
                assert_eq!(
                    money(&units["periods"][i]["value"]),
                    Decimal::from(t.units_sold),
                    "{what} P&L units {key}"
                );
            }
            let start =
                NaiveDate::parse_from_str(&format!("{}-01", &keys[12]), "%Y-%m-%d").unwrap();
            let chart = get(
                app,
                s,
                &format!("/api/profit/charts/dashboard?{q}&period=month&startDate={start}&endDate={last}"),
            )
            .await["data"]
                .clone();
            let points = chart["data"].as_array().unwrap();
            assert!(!points.is_empty(), "{what} chart");
            for p in points {
                let t = month(p["period"].as_str().unwrap());
                assert_eq!(
                    money(&p["netProfit"]),
                    r2(t.net()),
                    "{what} chart {}",
                    p["period"]
                );
                assert_eq!(
                    money(&p["salesRevenue"]),
                    r2(t.sales_revenue),
                    "{what} chart sales {}",
                    p["period"]
                );
                assert_eq!(
                    p["unitsSold"].as_i64().unwrap_or(0),
                    t.units_sold,
                    "{what} chart units {}",
                    p["period"]
                );
            }
        }
    }
}

/// Advertising amounts (signed as Amazon signs them) to add per (marketplace, SKU, day).
pub(crate) type Deltas = BTreeMap<(String, String, NaiveDate), Decimal>;

/// The stand-in's ad spend and invoices, summed here from its generated campaign days and
/// "Cost of Advertising" transactions, over the days the Ads sync covers (its 95 days), and
/// what they change in each view (`shared::profit::ads`: the order-date view counts the spend
/// of each covered month on its day and leaves out the invoice billing it; the posted view
/// allocates each invoice over its period's SKUs pro rata to their spend).
struct AdCost {
    /// (marketplace, first day of a month) whose spend the Ads sync covers whole.
    covered: BTreeSet<(String, NaiveDate)>,
    /// (marketplace, SKU, day) → spend.
    spend: Deltas,
    /// transaction id → (marketplace, posted local day, amount as signed, period).
    invoices: BTreeMap<String, (String, NaiveDate, Decimal, NaiveDate, NaiveDate)>,
    ordered: Deltas,
    posted: Deltas,
}

impl AdCost {
    async fn of(
        store: &dyn shared::ports::Store,
        tenant: &shared::keys::Tenant,
        seller: &amazon_stand_in::Seller,
    ) -> AdCost {
        // The days the Ads sync pulled, per marketplace (its window, not its figures).
        let mut window: BTreeMap<String, (NaiveDate, NaiveDate)> = BTreeMap::new();
        for d in shared::records::ads::days(
            store,
            tenant,
            shared::records::ads::Level::Sku,
            "2000-01-01".parse().unwrap(),
            "2100-01-01".parse().unwrap(),
        )
        .await
        .unwrap()
        {
            let e = window
                .entry(d.marketplace_id.clone())
                .or_insert((d.date, d.date));
            e.0 = e.0.min(d.date);
            e.1 = e.1.max(d.date);
        }
        let mut spend = Deltas::new();
        for day in &seller.ads_days {
            let c = &seller.campaigns[day.campaign];
            let m = seller.ads_profiles[c.profile].marketplace_id.to_string();
            let Some((a, b)) = window.get(&m) else {
                continue;
            };
            if *a <= day.date && day.date <= *b {
                let sku = seller.products[c.ad_groups[0].product].sku.clone();
                *spend.entry((m, sku, day.date)).or_default() += day.cost;
            }
        }
        let month = |d: NaiveDate| d.with_day(1).unwrap();
        let covered: BTreeSet<(String, NaiveDate)> = window
            .iter()
            .flat_map(|(m, (a, b))| {
                let mut out = vec![];
                let mut x = month(*a);
                while x <= *b {
                    if *a <= x {
                        out.push((m.clone(), x));
                    }
                    x = x + chrono::Months::new(1);
                }
                out
            })
            .collect();
        let mut invoices = BTreeMap::new();
        for t in seller
            .transactions
            .iter()
            .filter(|t| t.kind == amazon_stand_in::model::TxKind::AdsPayment)
        {
            let m = t.marketplace_id.to_string();
            let posted = amazon_stand_in::ground_truth::local_day(&m, t.posted);
            let end = month(posted) - chrono::Duration::days(1);
            invoices.insert(t.id.clone(), (m, posted, t.total(), month(end), end));
        }
        let mut ordered = Deltas::new();
        for ((m, sku, d), x) in &spend {
            if covered.contains(&(m.clone(), month(*d))) {
                *ordered.entry((m.clone(), sku.clone(), *d)).or_default() -= *x;
            }
        }
        let mut posted = Deltas::new();
        for (m, day, amount, from, to) in invoices.values() {
            if covered.contains(&(m.clone(), *from)) {
                *ordered.entry((m.clone(), String::new(), *day)).or_default() -= *amount;
            }
            let mut weights: BTreeMap<String, Decimal> = BTreeMap::new();
            for ((sm, sku, d), x) in &spend {
                if sm == m && from <= d && d <= to {
                    *weights.entry(sku.clone()).or_default() += *x;
                }
            }
            weights.retain(|_, w| *w > Decimal::ZERO);
            let parts = shared::profit::ads::allocate(*amount, &weights, 2);
            if parts.is_empty() {
                continue;
            }
            *posted.entry((m.clone(), String::new(), *day)).or_default() -= *amount;
            for (sku, p) in parts {
                *posted.entry((m.clone(), sku, *day)).or_default() += p;
            }
        }
        AdCost {
            covered,
            spend,
            invoices,
            ordered,
            posted,
        }
    }
}

/// Rows with advertising amounts added to their SKU rows and their days' totals.
fn with_deltas(mut rows: Rows, deltas: &Deltas) -> Rows {
    for ((m, sku, d), x) in deltas {
        for k in [sku.as_str(), ALL_SKUS] {
            rows.entry((m.clone(), k.to_string(), *d))
                .or_default()
                .add_amount(shared::profit::Category::Advertising, *x);
        }
    }
    rows.retain(|_, f| !f.is_empty());
    rows
}

/// Every invoice through the API beside the spend of its period: to 0.00 for each period the
/// Ads sync covers whole, with the spend per SKU and day behind it.
async fn assert_ad_invoices_reconcile(app: &TestApp, s: &Session, ads: &AdCost) {
    let list = get(app, s, "/api/profit/ads-invoices").await["data"].clone();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), ads.invoices.len(), "every invoice listed");
    let mut reconciled = 0;
    for r in list {
        let id = r["transactionId"].as_str().unwrap();
        let (m, _, amount, from, to) = &ads.invoices[id];
        let dec = |v: &serde_json::Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
        assert_eq!(dec(&r["invoiced"]), -*amount, "{id}");
        let spent: Decimal = ads
            .spend
            .iter()
            .filter(|((sm, _, d), _)| sm == m && from <= d && d <= to)
            .map(|(_, x)| *x)
            .sum();
        assert_eq!(dec(&r["spend"]), spent, "{id}");
        let covered = ads.covered.contains(&(m.clone(), *from));
        assert_eq!(r["covered"], covered, "{id}");
        if covered {
            assert_eq!(dec(&r["difference"]), Decimal::ZERO, "{id} reconciles");
            reconciled += 1;
        }
    }
    assert!(reconciled >= 2, "{reconciled} invoices reconciled");
    let one = list.iter().find(|r| r["covered"] == true).unwrap();
    let d = get(
        app,
        s,
        &format!(
            "/api/profit/ads-invoices/{}",
            one["transactionId"].as_str().unwrap()
        ),
    )
    .await["data"]
        .clone();
    let behind: Decimal = d["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["spend"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(
        behind.to_string(),
        one["spend"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap()
            .to_string()
    );
}
