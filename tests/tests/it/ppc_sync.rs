//! The Ads datasets synced step by step against the stand-in on its virtual clock: every
//! campaign, ad group, keyword, product target and product ad of the connection's region
//! stored; the 95-day backfill equal to the stand-in's ground truth at every level; the next
//! day's re-pull of the last 14 days replacing late-attributed figures without counting them
//! twice; and a connection without Ads consent finishing empty.

use super::amazon_client::{client, context, world, Virtual, World};
use amazon_stand_in::ads_truth::{self, TargetKind};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use shared::adapters::EmbeddedSecrets;
use shared::amazon::{AmazonError, Context, Credentials, SpApi};
use shared::connections::AmazonAccount;
use shared::keys::Tenant;
use shared::ports::{Pacer, Secrets};
use shared::records::ads::{self as records, EntityKind, Level};
use shared::sync::ads::AdsAccess;
use shared::sync::ads_entities::AdsEntitiesSync;
use shared::sync::ads_reports::AdsReportsSync;
use shared::sync::step::{DatasetSync, StepContext, StepError};
use shared::sync::{self, Dataset};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub(crate) const SECRET_PREFIX: &str = "beddora/test/";

/// A tenant with one connection (North America) of the stand-in's seller, Ads consented.
pub(crate) struct Ppc {
    pub(crate) w: World,
    pub(crate) tenant: Tenant,
    pub(crate) account: AmazonAccount,
    pub(crate) access: Arc<AdsAccess>,
    pub(crate) secrets: Arc<dyn Secrets>,
    pub(crate) api: SpApi,
    pub(crate) ctx: Context,
    pub(crate) pacer: Arc<dyn Pacer>,
}

/// The Ads application of a test process over the stand-in.
pub(crate) fn access(w: &World, secrets: Arc<dyn Secrets>) -> AdsAccess {
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    AdsAccess::new(
        reqwest::Client::new(),
        Credentials {
            client_id: w.st.apps.ads_client_id.clone(),
            client_secret: SecretString::from(w.st.apps.ads_client_secret.clone()),
            token_url: format!("{}/auth/o2/token", w.base),
        },
        Some(w.base.clone()),
        w.store.clone(),
        pacer,
        &SecretString::from("an-ads-cache-key-of-at-least-32-bytes".to_string()),
        secrets,
        SECRET_PREFIX,
    )
    .with_page_size(2)
}

/// The next 16:00 UTC: morning in every North American profile, so a run stays in one day.
pub(crate) fn to_mid_day(w: &World) {
    let now = w.st.now();
    let hours = (16 + 24 - now.hour() as i64) % 24;
    w.st.advance(Duration::hours(hours) - Duration::minutes(now.minute() as i64));
}

pub(crate) async fn ppc(consented: bool) -> Ppc {
    let w = world(300).await;
    to_mid_day(&w);
    let secrets: Arc<dyn Secrets> = Arc::new(EmbeddedSecrets::in_memory());
    let tenant = Tenant::create();
    let account = AmazonAccount::new(
        &tenant,
        "US",
        w.st.seller.seller_id.clone(),
        "NA",
        w.st.seller
            .marketplaces
            .iter()
            .map(|m| m.id.to_string())
            .collect(),
        w.st.now(),
    );
    attach(w, tenant, account, secrets, consented).await
}

/// The Ads side of an existing connection of the stand-in's seller: its datasets registered,
/// its Ads consent stored when `consented`.
pub(crate) async fn attach(
    w: World,
    tenant: Tenant,
    account: AmazonAccount,
    secrets: Arc<dyn Secrets>,
    consented: bool,
) -> Ppc {
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let ctx = context(&w, &account.id.to_string(), &refresh);
    sync::register(
        w.store.as_ref(),
        &tenant,
        &account.id.to_string(),
        w.st.now(),
    )
    .await
    .unwrap();
    let access = Arc::new(access(&w, secrets.clone()));
    if consented {
        let ads_refresh = SecretString::from(w.st.issue_ads_refresh_token());
        access.connect(&account, &ads_refresh).await.unwrap();
    }
    let pacer: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    Ppc {
        w,
        tenant,
        account,
        access,
        secrets,
        api,
        ctx,
        pacer,
    }
}

impl Ppc {
    /// Runs one run of `dataset` to its end the way the worker does (short deadlines, waits
    /// taken on the virtual clock); the number of steps.
    pub(crate) async fn run(&self, dataset: Dataset) -> u32 {
        let sync_impl: Box<dyn DatasetSync> = match dataset {
            Dataset::AdsEntities => Box::new(AdsEntitiesSync::new(Some(self.access.clone()))),
            Dataset::AdsReports => Box::new(AdsReportsSync::new(Some(self.access.clone()))),
            other => panic!("not an Ads dataset: {other}"),
        };
        let store = self.w.store.as_ref();
        let connection = self.account.id.to_string();
        let mut steps = 0;
        loop {
            steps += 1;
            assert!(steps < 2_000, "a run ends");
            let state = sync::get(store, &self.tenant, &connection, dataset)
                .await
                .unwrap()
                .expect("registered");
            let deadline = self.w.st.now() + Duration::minutes(3);
            let amazon = self.ctx.until(deadline);
            let cx = StepContext {
                tenant: &self.tenant,
                account: &self.account,
                store,
                api: &self.api,
                amazon: &amazon,
                pacer: &self.pacer,
                deadline,
            };
            match sync_impl.step(&cx, &state).await {
                Ok(r) => {
                    let now = self.w.st.now();
                    let mut next = state.progressed(r.cursor, r.progress, now);
                    if r.done {
                        next = next.finished(now);
                    }
                    assert!(sync::update(store, &self.tenant, &state, next)
                        .await
                        .unwrap());
                    if let Some(wait) = r.next_in {
                        self.w.st.advance(wait);
                    }
                    if r.done {
                        return steps;
                    }
                }
                Err(StepError::Amazon(AmazonError::RetryLater { at })) => {
                    let now = self.w.st.now();
                    if at > now {
                        self.w.st.advance(at - now);
                    }
                }
                Err(e) => panic!("{dataset} step failed: {e}"),
            }
        }
    }

    /// The stand-in's profiles of the connection's region (North America).
    pub(crate) fn profiles(&self) -> Vec<usize> {
        self.w
            .st
            .seller
            .ads_profiles
            .iter()
            .enumerate()
            .filter(|(_, p)| ["US", "CA", "MX", "BR"].contains(&p.country_code))
            .map(|(i, _)| i)
            .collect()
    }

    pub(crate) fn today(&self, profile: usize, now: DateTime<Utc>) -> NaiveDate {
        ads_truth::profile_today(&self.w.st.seller, profile, now)
    }
}

pub(crate) type Figures = (i64, i64, Decimal, [i64; 4], [Decimal; 4]);

fn figures(f: &ads_truth::Figures) -> Figures {
    (
        f.impressions,
        f.clicks,
        f.cost,
        [
            f.windows[0].purchases,
            f.windows[1].purchases,
            f.windows[2].purchases,
            f.windows[3].purchases,
        ],
        [
            f.windows[0].sales,
            f.windows[1].sales,
            f.windows[2].sales,
            f.windows[3].sales,
        ],
    )
}

fn stored(d: &records::AdsDay) -> Figures {
    (d.impressions, d.clicks, d.cost, d.purchases, d.sales)
}

/// The stand-in's truth per (level, entity, date) for the connection's profiles over the
/// last 95 days as of `now`, at every level the sync stores.
pub(crate) fn truth(p: &Ppc, now: DateTime<Utc>) -> BTreeMap<(Level, String, NaiveDate), Figures> {
    let s = &p.w.st.seller;
    let mut out: BTreeMap<(Level, String, NaiveDate), ads_truth::Figures> = BTreeMap::new();
    for pi in p.profiles() {
        let today = p.today(pi, now);
        for t in ads_truth::target_days(s, pi, today - Duration::days(94), today, today) {
            let c = &s.campaigns[t.campaign];
            let g = &c.ad_groups[0];
            let keys = [
                (Level::Campaign, c.id.to_string()),
                (Level::AdGroup, g.id.to_string()),
                (Level::Sku, ads_truth::product_ad_id(g).to_string()),
                (Level::Target, t.target.id.to_string()),
                (
                    Level::SearchTerm,
                    format!("{}#{}", t.target.id, t.target.search_term()),
                ),
            ];
            for (level, entity) in keys {
                out.entry((level, entity, t.date))
                    .or_default()
                    .add(&t.figures);
            }
        }
    }
    out.into_iter().map(|(k, f)| (k, figures(&f))).collect()
}

pub(crate) async fn stored_days(p: &Ppc) -> BTreeMap<(Level, String, NaiveDate), Figures> {
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    let mut out = BTreeMap::new();
    for level in Level::ALL {
        for d in records::days(p.w.store.as_ref(), &p.tenant, level, from, to)
            .await
            .unwrap()
        {
            let old = out.insert((level, d.entity.clone(), d.date), stored(&d));
            assert!(old.is_none(), "one row per entity and day");
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entity_of_the_region_is_stored_across_pages() {
    let p = ppc(true).await;
    p.run(Dataset::AdsEntities).await;
    let s = &p.w.st.seller;
    let store = p.w.store.as_ref();
    let tenant = &p.tenant;
    let ids = |kind| async move {
        records::entities(store, tenant, kind)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect::<BTreeMap<_, _>>()
    };
    let profiles = ids(EntityKind::Profile).await;
    let want: BTreeSet<String> = p
        .profiles()
        .iter()
        .map(|i| s.ads_profiles[*i].profile_id.to_string())
        .collect();
    assert_eq!(profiles.keys().cloned().collect::<BTreeSet<_>>(), want);
    let campaigns = ids(EntityKind::Campaign).await;
    let groups = ids(EntityKind::AdGroup).await;
    let keywords = ids(EntityKind::Keyword).await;
    let targets = ids(EntityKind::Target).await;
    let ads = ids(EntityKind::ProductAd).await;
    let mine: Vec<_> = s
        .campaigns
        .iter()
        .filter(|c| p.profiles().contains(&c.profile))
        .collect();
    assert!(!mine.is_empty());
    assert_eq!(campaigns.len(), mine.len());
    for c in &mine {
        let got = &campaigns[&c.id.to_string()];
        assert_eq!(got.name, c.name);
        assert_eq!(got.state, c.state);
        assert_eq!(got.amount, Some(c.daily_budget));
        for g in &c.ad_groups {
            assert_eq!(groups[&g.id.to_string()].amount, Some(g.default_bid));
            for k in &g.keywords {
                let got = &keywords[&k.id.to_string()];
                assert_eq!(
                    (got.name.as_str(), got.bid, got.state.as_str()),
                    (k.text.as_str(), Some(k.bid), k.state)
                );
                assert_eq!(got.ad_group_id.as_deref(), Some(g.id.to_string().as_str()));
            }
            let t = ads_truth::product_target(s, g);
            let TargetKind::Product { expression } = &t.kind else {
                unreachable!()
            };
            assert_eq!(&targets[&t.id.to_string()].name, expression);
            let ad = &ads[&ads_truth::product_ad_id(g).to_string()];
            assert_eq!(ad.sku.as_deref(), Some(s.products[g.product].sku.as_str()));
        }
    }
    let kw: usize = mine.iter().map(|c| c.ad_groups[0].keywords.len()).sum();
    assert_eq!(keywords.len(), kw);
    assert_eq!(targets.len(), mine.len());
    assert_eq!(ads.len(), mine.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_equals_the_truth_and_the_daily_re_pull_replaces_late_figures() {
    let p = ppc(true).await;
    let started = p.w.st.now();
    p.run(Dataset::AdsReports).await;
    for pi in p.profiles() {
        assert_eq!(
            p.today(pi, p.w.st.now()),
            p.today(pi, started),
            "the backfill stayed within one profile day"
        );
    }
    let first = stored_days(&p).await;
    let want = truth(&p, started);
    assert_eq!(
        first.len(),
        want.len(),
        "every row of 95 days, at every level"
    );
    assert_eq!(first, want, "every figure equals the stand-in's");

    // The next day: the last 14 days again, their late sales settled further.
    p.w.st.advance(Duration::days(1));
    let next_day = p.w.st.now();
    p.run(Dataset::AdsReports).await;
    let second = stored_days(&p).await;
    let want = truth(&p, next_day);
    let changed = first
        .iter()
        .filter(|(k, v)| want.get(*k).is_some_and(|w| w != *v))
        .count();
    assert!(changed > 0, "some late-attributed figures changed");
    // Rows that fell out of the 95 days stay as they were; every other equals the new truth.
    for (k, v) in &want {
        assert_eq!(second.get(k), Some(v), "{k:?}");
    }
    let sum = |m: &BTreeMap<(Level, String, NaiveDate), Figures>| -> Decimal {
        m.iter()
            .filter(|((l, _, _), _)| *l == Level::Campaign)
            .map(|(_, f)| f.4[1])
            .sum()
    };
    let kept: BTreeMap<_, _> = second
        .into_iter()
        .filter(|(k, _)| want.contains_key(k))
        .collect();
    assert_eq!(sum(&kept), sum(&want), "no late sale counted twice");

    // The same re-pull again (a redelivery) changes nothing.
    let state = sync::get(
        p.w.store.as_ref(),
        &p.tenant,
        &p.account.id.to_string(),
        Dataset::AdsReports,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(state.backfilled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_without_ads_consent_finishes_empty() {
    let p = ppc(false).await;
    assert_eq!(p.run(Dataset::AdsEntities).await, 1);
    assert_eq!(p.run(Dataset::AdsReports).await, 1);
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    assert!(
        records::days(p.w.store.as_ref(), &p.tenant, Level::Campaign, from, to)
            .await
            .unwrap()
            .is_empty()
    );
    let _ = &p.secrets;
}
