//! The Amazon Ads API client against the stand-in over real HTTP on a virtual clock: every
//! profile and every entity across pages, keyword updates item by item, a monthly report that
//! sums exactly to the advertising invoice, 429s paced by `Retry-After` without losing a call,
//! and a revoked consent as a typed re-authorisation.

use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use secrecy::SecretString;
use shared::adapters::EmbeddedStore;
use shared::amazon::ads::{
    AdsApi, Decimal, EntityState, KeywordUpdate, ListFilter, ReportRequest, TimeUnit,
};
use shared::amazon::catalogue::UsagePlan;
use shared::amazon::{AmazonError, Context, Credentials, RateLimiter, TokenProvider};
use shared::ports::{Clock, Pacer, Store};
use std::collections::HashSet;
use std::sync::Arc;

/// The stand-in's virtual clock seen as the client's time: sleeping moves it.
struct Virtual(Arc<StandIn>);

impl Clock for Virtual {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

#[async_trait]
impl Pacer for Virtual {
    async fn sleep(&self, d: Duration) {
        self.0.advance(d);
        tokio::task::yield_now().await;
    }
}

struct World {
    st: Arc<StandIn>,
    base: String,
    store: Arc<dyn Store>,
}

/// A stand-in whose clock moves only when the client sleeps.
async fn world() -> World {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 300,
            seed: 7,
            ..Default::default()
        }),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let clock: Arc<dyn Clock> = Arc::new(Virtual(st.clone()));
    World {
        st,
        base,
        store: Arc::new(EmbeddedStore::in_memory(clock)),
    }
}

/// One process's Ads client: the Ads LWA application's token provider and the shared limiter.
fn client(w: &World) -> AdsApi {
    let clock: Arc<dyn Pacer> = Arc::new(Virtual(w.st.clone()));
    let creds = Credentials {
        client_id: w.st.apps.ads_client_id.clone(),
        client_secret: SecretString::from(w.st.apps.ads_client_secret.clone()),
        token_url: format!("{}/auth/o2/token", w.base),
    };
    let tokens = Arc::new(TokenProvider::new(
        reqwest::Client::new(),
        creds,
        w.store.clone(),
        clock.clone(),
        &SecretString::from("a-cache-key-of-at-least-32-bytes!!".to_string()),
    ));
    AdsApi::new(
        reqwest::Client::new(),
        &w.base,
        w.st.apps.ads_client_id.clone(),
        tokens,
        Arc::new(RateLimiter::new(w.store.clone(), clock.clone())),
        clock,
    )
}

/// The advertiser's Ads connection (Ads calls are limited per profile, not per partner).
fn advertiser(w: &World, refresh: &SecretString) -> Context {
    Context::new(
        "ads-conn-1",
        "",
        refresh.clone(),
        w.st.now() + Duration::hours(12),
    )
}

#[tokio::test]
async fn profiles_and_every_entity_across_pages_are_the_stand_ins() {
    let w = world().await;
    let api = client(&w).with_page_size(3);
    let refresh = SecretString::from(w.st.issue_ads_refresh_token());
    let who = advertiser(&w, &refresh);
    let profiles = api.profiles(&who).await.unwrap();
    assert_eq!(profiles.len(), w.st.seller.ads_profiles.len());
    for (p, want) in profiles.iter().zip(&w.st.seller.ads_profiles) {
        assert_eq!(p.profile_id, want.profile_id);
        assert_eq!(p.account_info.marketplace_string_id, want.marketplace_id);
        assert_eq!(p.currency_code, want.currency);
        assert_eq!(p.timezone, want.timezone);
        assert_eq!(p.account_info.id, w.st.seller.seller_id);
    }
    let all = ListFilter::default();
    for (pi, p) in profiles.iter().enumerate() {
        let mine: Vec<_> =
            w.st.seller
                .campaigns
                .iter()
                .filter(|c| c.profile == pi)
                .collect();
        assert!(!mine.is_empty(), "{}", p.country_code);

        let campaigns = api.campaigns(&who, p.profile_id, &all).await.unwrap();
        let got: Vec<(String, Decimal)> = campaigns
            .iter()
            .map(|c| (c.campaign_id.clone(), c.budget.budget))
            .collect();
        let want: Vec<(String, Decimal)> = mine
            .iter()
            .map(|c| (c.id.to_string(), c.daily_budget))
            .collect();
        assert_eq!(got, want, "{} campaigns", p.country_code);

        let groups = api.ad_groups(&who, p.profile_id, &all).await.unwrap();
        let got: Vec<(String, String, Decimal)> = groups
            .iter()
            .map(|g| (g.ad_group_id.clone(), g.campaign_id.clone(), g.default_bid))
            .collect();
        let want: Vec<(String, String, Decimal)> = mine
            .iter()
            .flat_map(|c| {
                c.ad_groups
                    .iter()
                    .map(|g| (g.id.to_string(), c.id.to_string(), g.default_bid))
            })
            .collect();
        assert_eq!(got, want, "{} ad groups", p.country_code);

        let keywords = api.keywords(&who, p.profile_id, &all).await.unwrap();
        let got: Vec<(String, String, Option<Decimal>)> = keywords
            .iter()
            .map(|k| (k.keyword_id.clone(), k.keyword_text.clone(), k.bid))
            .collect();
        let want: Vec<(String, String, Option<Decimal>)> = mine
            .iter()
            .flat_map(|c| c.ad_groups.iter().flat_map(|g| g.keywords.iter()))
            .map(|k| (k.id.to_string(), k.text.clone(), Some(k.bid)))
            .collect();
        assert!(want.len() > 3, "{}: keywords span pages", p.country_code);
        assert_eq!(got, want, "{} keywords", p.country_code);
        let unique: HashSet<_> = keywords.iter().map(|k| &k.keyword_id).collect();
        assert_eq!(unique.len(), keywords.len());
    }
}

#[tokio::test]
async fn a_keyword_bid_update_persists_and_a_bad_item_fails_alone() {
    let w = world().await;
    let api = client(&w);
    let refresh = SecretString::from(w.st.issue_ads_refresh_token());
    let who = advertiser(&w, &refresh);
    let (pi, profile) =
        w.st.seller
            .ads_profiles
            .iter()
            .enumerate()
            .find(|(_, p)| p.currency == "USD")
            .unwrap();
    let live: Vec<_> =
        w.st.seller
            .campaigns
            .iter()
            .filter(|c| c.profile == pi)
            .flat_map(|c| c.ad_groups.iter().flat_map(|g| g.keywords.iter()))
            .filter(|k| k.state != "ARCHIVED")
            .take(2)
            .collect();
    let (good, bad) = (live[0], live[1]);
    let new_bid: Decimal = if good.bid == "1.37".parse().unwrap() {
        "1.41".parse().unwrap()
    } else {
        "1.37".parse().unwrap()
    };
    let results = api
        .update_keywords(
            &who,
            profile.profile_id,
            &[
                KeywordUpdate {
                    keyword_id: good.id.to_string(),
                    bid: Some(new_bid),
                    state: None,
                },
                KeywordUpdate {
                    keyword_id: bad.id.to_string(),
                    bid: Some("5000000".parse().unwrap()),
                    state: Some(EntityState::Paused),
                },
                KeywordUpdate {
                    keyword_id: "999999999999".into(),
                    bid: Some(new_bid),
                    state: None,
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].keyword_id, good.id.to_string());
    assert_eq!(results[0].result, Ok(()));
    let errors = results[1].result.as_ref().unwrap_err();
    assert_eq!(errors[0].error_type, "rangeError");
    assert_eq!(errors[0].reason.as_deref(), Some("TOO_HIGH"));
    let errors = results[2].result.as_ref().unwrap_err();
    assert_eq!(errors[0].error_type, "entityNotFoundError");

    let listed = api
        .keywords(
            &who,
            profile.profile_id,
            &ListFilter {
                keyword_ids: vec![good.id.to_string(), bad.id.to_string()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let by_id = |id: i64| {
        listed
            .iter()
            .find(|k| k.keyword_id == id.to_string())
            .unwrap()
    };
    assert_eq!(by_id(good.id).bid, Some(new_bid));
    assert_eq!(by_id(bad.id).bid, Some(bad.bid));
    assert_ne!(by_id(bad.id).state, EntityState::Paused);
}

#[tokio::test]
async fn a_monthly_daily_campaign_report_sums_to_the_cost_of_advertising_invoice() {
    let w = world().await;
    let api = client(&w);
    let refresh = SecretString::from(w.st.issue_ads_refresh_token());
    let who = advertiser(&w, &refresh);
    // The clock starts at 2026-11-01; September's invoice posts on 2026-10-03.
    let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let posted = NaiveDate::from_ymd_opt(2026, 10, 3).unwrap();
    let request = ReportRequest::sponsored_products(
        "spCampaigns",
        &["campaign"],
        TimeUnit::Daily,
        start,
        end,
        &[
            "date",
            "campaignId",
            "campaignName",
            "impressions",
            "clicks",
            "cost",
        ],
    );
    for (pi, p) in w.st.seller.ads_profiles.iter().enumerate() {
        let id = api
            .create_report(&who, p.profile_id, &request)
            .await
            .unwrap();
        let again = api
            .create_report(&who, p.profile_id, &request)
            .await
            .unwrap();
        assert_eq!(
            again, id,
            "a duplicate request reuses the report in progress"
        );
        let done = api.wait_report(&who, p.profile_id, &id).await.unwrap();
        let rows = api
            .download_report(&who, done.url.as_deref().unwrap())
            .await
            .unwrap();
        assert!(!rows.is_empty());
        let mine: HashSet<String> =
            w.st.seller
                .campaigns
                .iter()
                .filter(|c| c.profile == pi)
                .map(|c| c.id.to_string())
                .collect();
        assert!(rows.iter().all(|r| {
            r.date.is_some_and(|d| d >= start && d <= end)
                && r.campaign_id.as_ref().is_some_and(|c| mine.contains(c))
        }));
        let invoice: Vec<_> =
            w.st.seller
                .transactions
                .iter()
                .filter(|t| {
                    t.description == "Cost of Advertising"
                        && t.marketplace_id == p.marketplace_id
                        && t.posted.date_naive() == posted
                })
                .collect();
        assert_eq!(invoice.len(), 1, "{}", p.country_code);
        let charged = invoice[0].total();
        assert!(charged < Decimal::ZERO);
        let spend: Decimal = rows.iter().map(|r| r.cost.unwrap()).sum();
        assert_eq!(spend, -charged, "{} September spend", p.country_code);
    }
}

#[tokio::test]
async fn a_burst_beyond_the_ads_bucket_is_paced_by_retry_after_and_loses_nothing() {
    let w = world().await;
    // No pacing of our own: every call goes out at once and meets the stand-in's bucket.
    let api = Arc::new(client(&w).with_limits(UsagePlan {
        rate: 1000.0,
        burst: 1000,
    }));
    let refresh = SecretString::from(w.st.issue_ads_refresh_token());
    let deadline = w.st.now() + Duration::hours(12);
    let profile = w.st.seller.ads_profiles[0].profile_id;
    let want: Vec<String> =
        w.st.seller
            .campaigns
            .iter()
            .filter(|c| c.profile == 0)
            .map(|c| c.id.to_string())
            .collect();
    const CALLS: usize = 45;
    let tasks: Vec<_> = (0..CALLS)
        .map(|_| {
            let (api, refresh) = (api.clone(), refresh.clone());
            tokio::spawn(async move {
                let who = Context::new("ads-conn-1", "", refresh, deadline);
                api.campaigns(&who, profile, &ListFilter::default()).await
            })
        })
        .collect();
    for t in tasks {
        let got: Vec<String> = t
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|c| c.campaign_id)
            .collect();
        assert_eq!(got, want);
    }
    let stats = w.st.stats();
    assert!(
        stats["listSponsoredProductsCampaigns"].calls > CALLS as u64,
        "some calls were answered 429 and sent again"
    );
    assert_eq!(stats["lwaToken"].calls, 1);
}

#[tokio::test]
async fn a_revoked_ads_refresh_token_needs_reauthorization_without_a_retry_loop() {
    let w = world().await;
    let api = client(&w);
    let refresh = SecretString::from(w.st.issue_ads_refresh_token());
    w.st.revoke_ads_refresh_tokens();
    let who = advertiser(&w, &refresh);
    let r = api.profiles(&who).await;
    assert!(
        matches!(r, Err(AmazonError::NeedsReauthorization(_))),
        "{r:?}"
    );
    let r = api
        .campaigns(
            &who,
            w.st.seller.ads_profiles[0].profile_id,
            &ListFilter::default(),
        )
        .await;
    assert!(
        matches!(r, Err(AmazonError::NeedsReauthorization(_))),
        "{r:?}"
    );
    let stats = w.st.stats();
    assert_eq!(stats["lwaToken"].calls, 2, "asked LWA once per call");
    assert!(!stats.contains_key("listProfiles"), "no Ads call was made");
    assert!(!stats.contains_key("listSponsoredProductsCampaigns"));
}
