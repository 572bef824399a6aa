//! The Ads API stand-in's promises: profiles and Sponsored Products v3 entities as Amazon
//! lists them, keyword updates that persist item by item, v3 reports whose spend equals the
//! seller's "Cost of Advertising" invoices to the cent, and the Ads API's token, header and
//! throttling rules.

use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::str::FromStr;
use std::sync::Arc;
use tower::ServiceExt;

const CAMPAIGN: &str = "application/vnd.spCampaign.v3+json";
const AD_GROUP: &str = "application/vnd.spAdGroup.v3+json";
const KEYWORD: &str = "application/vnd.spKeyword.v3+json";
const REPORT: &str = "application/vnd.createasyncreportrequest.v3+json";

fn stand_in() -> Arc<StandIn> {
    StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 300,
            seed: 7,
            ..Default::default()
        }),
        false,
    )
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
}

async fn send(st: &Arc<StandIn>, req: Request<Body>) -> Resp {
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        bytes,
    }
}

/// How a test calls the Ads API: token, client id and profile scope, each replaceable.
#[derive(Clone)]
struct Ads {
    token: Option<String>,
    client_id: String,
    scope: Option<String>,
}

impl Ads {
    async fn new(st: &Arc<StandIn>, profile: usize) -> Self {
        Ads {
            token: Some(ads_token(st).await),
            client_id: st.apps.ads_client_id.clone(),
            scope: Some(st.seller.ads_profiles[profile].profile_id.to_string()),
        }
    }

    fn scope(&self, profile_id: i64) -> Self {
        Ads {
            scope: Some(profile_id.to_string()),
            ..self.clone()
        }
    }

    /// A call with no simulated time passing (for the throttling test).
    async fn raw(
        &self,
        st: &Arc<StandIn>,
        method: &str,
        uri: &str,
        body: Option<(&str, Value)>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "stand-in.test")
            .header("amazon-advertising-api-clientid", &self.client_id);
        if let Some(t) = &self.token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if let Some(s) = &self.scope {
            b = b.header("amazon-advertising-api-scope", s);
        }
        let req = match body {
            Some((media, v)) => b
                .header("content-type", media)
                .header("accept", media)
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        send(st, req).await
    }

    /// A call a tenth of a simulated second after the previous one, so the per-profile
    /// bucket (10 a second) never runs dry.
    async fn call(
        &self,
        st: &Arc<StandIn>,
        method: &str,
        uri: &str,
        body: Option<(&str, Value)>,
    ) -> Resp {
        st.advance(Duration::milliseconds(100));
        self.raw(st, method, uri, body).await
    }
}

async fn token_call(st: &Arc<StandIn>, form: String) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri("/auth/o2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    send(st, req).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn ads_token(st: &Arc<StandIn>) -> String {
    let refresh = st.issue_ads_refresh_token();
    let r = token_call(
        st,
        format!(
            "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
            urlencode(&refresh),
            st.apps.ads_client_id,
            st.apps.ads_client_secret
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn sp_api_token(st: &Arc<StandIn>) -> String {
    let refresh = st.issue_refresh_token();
    let r = token_call(
        st,
        format!(
            "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
            urlencode(&refresh),
            st.apps.client_id,
            st.apps.client_secret
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["access_token"].as_str().unwrap().to_string()
}

/// Every item of a v3 list, page by page, checking `totalResults` on each page.
async fn list_all(
    ads: &Ads,
    st: &Arc<StandIn>,
    path: &str,
    media: &str,
    key: &str,
    filters: Value,
    page: usize,
) -> Vec<Value> {
    let mut items = vec![];
    let mut totals = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = filters.clone();
        body["maxResults"] = json!(page);
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let r = ads.call(st, "POST", path, Some((media, body))).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.bytes)
        );
        assert_eq!(r.headers["content-type"], media);
        let v = r.json();
        let chunk = v[key].as_array().unwrap();
        assert!(chunk.len() <= page);
        items.extend(chunk.iter().cloned());
        totals.insert(v["totalResults"].as_u64().unwrap() as usize);
        match v["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(
        totals.into_iter().collect::<Vec<_>>(),
        vec![items.len()],
        "totalResults"
    );
    items
}

/// Whether a v3 id (a string) is `id`.
fn is_id(v: &Value, id: i64) -> bool {
    v.as_str().and_then(|s| s.parse::<i64>().ok()) == Some(id)
}

/// A JSON number as the exact decimal it spells.
fn dec(v: &Value) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap_or_else(|_| panic!("not a decimal: {v}"))
}

fn ids(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[field].as_str().unwrap().to_string())
        .collect()
}

/// The raw text of every `"column":` number in a flat JSON array of objects, parsed exactly.
fn decimals(text: &str, column: &str) -> Vec<Decimal> {
    let key = format!("\"{column}\":");
    text.match_indices(&key)
        .map(|(at, _)| {
            let rest = &text[at + key.len()..];
            let end = rest.find([',', '}']).unwrap();
            Decimal::from_str(&rest[..end]).unwrap_or_else(|_| panic!("{column}: {}", &rest[..end]))
        })
        .collect()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn report_request(
    start: &str,
    end: &str,
    report_type: &str,
    group_by: &str,
    time_unit: &str,
    columns: &[&str],
) -> Value {
    json!({
        "name": format!("{report_type} {start}..{end}"),
        "startDate": start,
        "endDate": end,
        "configuration": {
            "adProduct": "SPONSORED_PRODUCTS",
            "reportTypeId": report_type,
            "groupBy": [group_by],
            "columns": columns,
            "timeUnit": time_unit,
            "format": "GZIP_JSON",
        },
    })
}

/// Creates a report, follows it PENDING → PROCESSING → COMPLETED on the stand-in clock, and
/// returns the downloaded, gunzipped file.
async fn run_report(ads: &Ads, st: &Arc<StandIn>, request: Value) -> String {
    let r = ads
        .call(st, "POST", "/reporting/reports", Some((REPORT, request)))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let created = r.json();
    assert_eq!(created["status"], "PENDING");
    assert!(created["url"].is_null());
    let id = created["reportId"].as_str().unwrap().to_string();
    let uri = format!("/reporting/reports/{id}");
    assert_eq!(
        ads.call(st, "GET", &uri, None).await.json()["status"],
        "PENDING"
    );
    st.advance(Duration::seconds(60));
    assert_eq!(
        ads.call(st, "GET", &uri, None).await.json()["status"],
        "PROCESSING"
    );
    st.advance(Duration::seconds(60));
    let done = ads.call(st, "GET", &uri, None).await.json();
    assert_eq!(done["status"], "COMPLETED");
    assert!(done["urlExpiresAt"].is_string());
    let url = done["url"].as_str().unwrap();
    let path = url.strip_prefix("http://stand-in.test").unwrap();
    let file = send(st, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.bytes.len() as u64, done["fileSize"].as_u64().unwrap());
    gunzip(&file.bytes)
}

#[tokio::test]
async fn profiles_list_every_ads_profile_with_its_marketplace() {
    let st = stand_in();
    let ads = Ads {
        scope: None,
        ..Ads::new(&st, 0).await
    };
    let r = ads.call(&st, "GET", "/v2/profiles", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), st.seller.ads_profiles.len());
    assert!(!list.is_empty());
    for (p, v) in st.seller.ads_profiles.iter().zip(list) {
        assert_eq!(v["profileId"], p.profile_id);
        assert_eq!(v["countryCode"], p.country_code);
        assert_eq!(v["currencyCode"], p.currency);
        assert_eq!(v["timezone"], p.timezone);
        assert_eq!(v["accountInfo"]["marketplaceStringId"], p.marketplace_id);
        assert_eq!(v["accountInfo"]["type"], "seller");
        assert_eq!(v["accountInfo"]["validPaymentMethod"], true);
        assert!(v["accountInfo"]["id"].is_string() && v["accountInfo"]["name"].is_string());
    }
}

#[tokio::test]
async fn entities_list_page_by_page_without_loss_or_repeat_and_filter() {
    let st = stand_in();
    let ads = Ads::new(&st, 0).await;
    let mine: Vec<_> = st
        .seller
        .campaigns
        .iter()
        .filter(|c| c.profile == 0)
        .collect();
    let keyword_count: usize = mine
        .iter()
        .flat_map(|c| &c.ad_groups)
        .map(|g| g.keywords.len())
        .sum();

    let campaigns = list_all(
        &ads,
        &st,
        "/sp/campaigns/list",
        CAMPAIGN,
        "campaigns",
        json!({}),
        3,
    )
    .await;
    let expected: BTreeSet<String> = mine.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(campaigns.len(), expected.len());
    assert_eq!(
        ids(&campaigns, "campaignId")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        expected
    );
    let c0 = &campaigns[0];
    assert_eq!(c0["budget"]["budgetType"], "DAILY");
    assert!(c0["budget"]["budget"].is_number());
    assert!(NaiveDate::parse_from_str(c0["startDate"].as_str().unwrap(), "%Y-%m-%d").is_ok());
    assert!(c0["targetingType"].is_string() && c0["dynamicBidding"].is_object());

    let ad_groups = list_all(
        &ads,
        &st,
        "/sp/adGroups/list",
        AD_GROUP,
        "adGroups",
        json!({}),
        1,
    )
    .await;
    assert_eq!(
        ad_groups.len(),
        mine.iter().map(|c| c.ad_groups.len()).sum::<usize>()
    );
    let unique: HashSet<_> = ids(&ad_groups, "adGroupId").into_iter().collect();
    assert_eq!(unique.len(), ad_groups.len());
    assert!(ad_groups.iter().all(
        |g| g["defaultBid"].is_number() && expected.contains(g["campaignId"].as_str().unwrap())
    ));

    for page in [1, 5, 7, 100] {
        let keywords = list_all(
            &ads,
            &st,
            "/sp/keywords/list",
            KEYWORD,
            "keywords",
            json!({}),
            page,
        )
        .await;
        let unique: HashSet<_> = ids(&keywords, "keywordId").into_iter().collect();
        assert_eq!(
            (keywords.len(), unique.len()),
            (keyword_count, keyword_count),
            "page size {page}"
        );
    }

    // Filters: state, campaign, ad group and match type.
    let paused = list_all(
        &ads,
        &st,
        "/sp/campaigns/list",
        CAMPAIGN,
        "campaigns",
        json!({"stateFilter": {"include": ["PAUSED"]}}),
        100,
    )
    .await;
    assert_eq!(
        paused.len(),
        mine.iter().filter(|c| c.state == "PAUSED").count()
    );
    assert!(paused.iter().all(|c| c["state"] == "PAUSED"));
    let c = mine[1];
    let g = &c.ad_groups[0];
    let by_campaign = list_all(
        &ads,
        &st,
        "/sp/keywords/list",
        KEYWORD,
        "keywords",
        json!({"campaignIdFilter": {"include": [c.id.to_string()]}}),
        2,
    )
    .await;
    assert_eq!(
        ids(&by_campaign, "keywordId"),
        g.keywords
            .iter()
            .map(|k| k.id.to_string())
            .collect::<Vec<_>>()
    );
    let by_group = list_all(
        &ads,
        &st,
        "/sp/adGroups/list",
        AD_GROUP,
        "adGroups",
        json!({"adGroupIdFilter": {"include": [g.id.to_string()]}}),
        2,
    )
    .await;
    assert_eq!(ids(&by_group, "adGroupId"), vec![g.id.to_string()]);
    let exact = list_all(
        &ads,
        &st,
        "/sp/keywords/list",
        KEYWORD,
        "keywords",
        json!({"matchTypeFilter": ["EXACT"], "stateFilter": {"include": ["ENABLED", "PAUSED"]}}),
        2,
    )
    .await;
    assert_eq!(exact.len(), mine.len());
    assert!(exact.iter().all(|k| k["matchType"] == "EXACT"));

    // A page token only continues the request it came from.
    let first = ads
        .call(
            &st,
            "POST",
            "/sp/keywords/list",
            Some((KEYWORD, json!({"maxResults": 2}))),
        )
        .await
        .json();
    let token = first["nextToken"].as_str().unwrap();
    let other = ads
        .call(
            &st,
            "POST",
            "/sp/keywords/list",
            Some((
                KEYWORD,
                json!({"maxResults": 2, "nextToken": token, "matchTypeFilter": ["BROAD"]}),
            )),
        )
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    for bad in [
        json!({"maxResults": 0}),
        json!({"maxResults": 5001}),
        json!({"stateFilter": {"include": ["LIVE"]}}),
        json!({"campaignIdFilter": {"include": []}}),
        json!({"portfolio": 1}),
    ] {
        let r = ads
            .call(
                &st,
                "POST",
                "/sp/campaigns/list",
                Some((CAMPAIGN, bad.clone())),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // The vendor media type is required.
    let wrong = ads
        .call(
            &st,
            "POST",
            "/sp/campaigns/list",
            Some(("application/json", json!({}))),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let wrong = ads
        .call(
            &st,
            "POST",
            "/sp/campaigns/list",
            Some((KEYWORD, json!({}))),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn keyword_updates_persist_and_bad_items_fail_alone() {
    let st = stand_in();
    let ads = Ads::new(&st, 0).await;
    assert_eq!(st.seller.ads_profiles[0].currency, "USD");
    let kw: Vec<_> = st
        .seller
        .campaigns
        .iter()
        .filter(|c| c.profile == 0 && c.state == "ENABLED")
        .flat_map(|c| &c.ad_groups[0].keywords)
        .collect();
    let theirs = st
        .seller
        .campaigns
        .iter()
        .find(|c| c.profile == 1)
        .unwrap()
        .ad_groups[0]
        .keywords[0]
        .clone();
    let updates = json!({"keywords": [
        {"keywordId": kw[0].id.to_string(), "bid": 1.37},
        {"keywordId": kw[1].id.to_string(), "state": "PAUSED"},
        {"keywordId": kw[2].id.to_string(), "bid": 0},
        {"keywordId": kw[3].id.to_string(), "state": "LIVE"},
        {"keywordId": "999999999999", "bid": 1.0},
        {"keywordId": theirs.id.to_string(), "bid": 1.0},
        {"keywordId": kw[4].id.to_string(), "bid": 2000},
        {"keywordId": kw[5].id.to_string(), "bid": 0.333},
        {"keywordId": kw[6].id.to_string(), "bid": 0.5, "state": "ARCHIVED"},
    ]});
    let r = ads
        .call(&st, "PUT", "/sp/keywords", Some((KEYWORD, updates)))
        .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let v = r.json();
    let ok: Vec<u64> = v["keywords"]["success"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["index"].as_u64().unwrap())
        .collect();
    assert_eq!(ok, vec![0, 1, 8]);
    assert_eq!(
        v["keywords"]["success"][0]["keywordId"],
        kw[0].id.to_string()
    );
    let failed: Vec<(u64, String)> = v["keywords"]["error"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["errors"][0]["errorType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            (2, "rangeError"),
            (3, "malformedValueError"),
            (4, "entityNotFoundError"),
            (5, "entityNotFoundError"),
            (6, "rangeError"),
            (7, "malformedValueError")
        ]
        .map(|(i, t)| (i, t.to_string()))
        .to_vec()
    );

    // The accepted updates show in later lists; the rejected ones changed nothing.
    let listed = list_all(
        &ads,
        &st,
        "/sp/keywords/list",
        KEYWORD,
        "keywords",
        json!({}),
        100,
    )
    .await;
    let find = |id: i64| {
        listed
            .iter()
            .find(|k| is_id(&k["keywordId"], id))
            .unwrap()
            .clone()
    };
    assert_eq!(dec(&find(kw[0].id)["bid"]), Decimal::new(137, 2));
    assert_eq!(find(kw[1].id)["state"], "PAUSED");
    assert_eq!(dec(&find(kw[2].id)["bid"]), kw[2].bid);
    assert_eq!(find(kw[3].id)["state"], kw[3].state);
    assert_eq!(find(kw[6].id)["state"], "ARCHIVED");
    assert_eq!(dec(&find(kw[6].id)["bid"]), Decimal::new(5, 1));
    let archived = ads
        .call(
            &st,
            "PUT",
            "/sp/keywords",
            Some((
                KEYWORD,
                json!({"keywords": [{"keywordId": kw[6].id.to_string(), "state": "ENABLED"}]}),
            )),
        )
        .await
        .json();
    assert_eq!(
        archived["keywords"]["error"][0]["errors"][0]["errorType"],
        "entityStateError"
    );

    // The other profile sees its keyword untouched, and none of profile 0's.
    let other = Ads::new(&st, 1).await;
    let theirs_listed = list_all(
        &other,
        &st,
        "/sp/keywords/list",
        KEYWORD,
        "keywords",
        json!({}),
        100,
    )
    .await;
    let t = theirs_listed
        .iter()
        .find(|k| is_id(&k["keywordId"], theirs.id))
        .unwrap();
    assert_eq!(dec(&t["bid"]), theirs.bid);
    assert!(theirs_listed
        .iter()
        .all(|k| kw.iter().all(|m| !is_id(&k["keywordId"], m.id))));
    let seen = list_all(
        &other,
        &st,
        "/sp/campaigns/list",
        CAMPAIGN,
        "campaigns",
        json!({"campaignIdFilter": {"include": [st.seller.campaigns[0].id.to_string()]}}),
        100,
    )
    .await;
    assert!(
        seen.is_empty(),
        "profile 0's campaign is not visible in profile 1"
    );
    let r = other
        .call(
            &st,
            "PUT",
            "/sp/keywords",
            Some((
                KEYWORD,
                json!({"keywords": [{"keywordId": kw[0].id.to_string(), "bid": 3}]}),
            )),
        )
        .await
        .json();
    assert_eq!(
        r["keywords"]["error"][0]["errors"][0]["errorType"],
        "entityNotFoundError"
    );

    // Bodies that are not an update list at all.
    for bad in [json!({}), json!({"keywords": []})] {
        let r = ads
            .call(&st, "PUT", "/sp/keywords", Some((KEYWORD, bad)))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let r = ads
        .call(
            &st,
            "PUT",
            "/sp/keywords",
            Some((
                CAMPAIGN,
                json!({"keywords": [{"keywordId": kw[0].id.to_string(), "bid": 3}]}),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_monthly_campaign_report_sums_to_the_cost_of_advertising_invoice() {
    let st = stand_in();
    // The clock starts at 2026-11-01; September's invoice posts on 2026-10-03.
    let columns = [
        "date",
        "campaignId",
        "campaignName",
        "campaignStatus",
        "campaignBudgetAmount",
        "campaignBudgetCurrencyCode",
        "impressions",
        "clicks",
        "cost",
        "purchases7d",
        "sales7d",
        "unitsSoldClicks7d",
    ];
    for (pi, p) in st.seller.ads_profiles.iter().enumerate() {
        let ads = Ads::new(&st, pi).await;
        let text = run_report(
            &ads,
            &st,
            report_request(
                "2026-09-01",
                "2026-09-30",
                "spCampaigns",
                "campaign",
                "DAILY",
                &columns,
            ),
        )
        .await;
        let rows: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert!(!rows.is_empty());
        let mine: HashSet<i64> = st
            .seller
            .campaigns
            .iter()
            .filter(|c| c.profile == pi)
            .map(|c| c.id)
            .collect();
        for row in &rows {
            let keys: BTreeSet<&str> = row
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, columns.iter().copied().collect::<BTreeSet<_>>());
            let date =
                NaiveDate::parse_from_str(row["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
            assert!(
                date >= NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
                    && date <= NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
            );
            assert!(mine.contains(&row["campaignId"].as_i64().unwrap()));
            assert_eq!(row["campaignBudgetCurrencyCode"], p.currency);
        }
        let cost: Decimal = decimals(&text, "cost").into_iter().sum();
        assert_eq!(decimals(&text, "cost").len(), rows.len());
        let invoice: Vec<_> = st
            .seller
            .transactions
            .iter()
            .filter(|t| {
                t.description == "Cost of Advertising"
                    && t.marketplace_id == p.marketplace_id
                    && t.posted.date_naive() == NaiveDate::from_ymd_opt(2026, 10, 3).unwrap()
            })
            .collect();
        assert_eq!(invoice.len(), 1, "{}", p.country_code);
        assert!(invoice[0].total() < Decimal::ZERO);
        assert_eq!(
            cost,
            -invoice[0].total(),
            "{} September spend",
            p.country_code
        );

        // The same month by advertised product, as one summary row per product.
        let summary = run_report(
            &ads,
            &st,
            report_request(
                "2026-09-01",
                "2026-09-30",
                "spAdvertisedProduct",
                "advertiser",
                "SUMMARY",
                &[
                    "startDate",
                    "endDate",
                    "advertisedSku",
                    "advertisedAsin",
                    "adGroupId",
                    "cost",
                    "sales7d",
                ],
            ),
        )
        .await;
        let rows: Vec<Value> = serde_json::from_str(&summary).unwrap();
        let skus: HashSet<&str> = rows
            .iter()
            .map(|r| r["advertisedSku"].as_str().unwrap())
            .collect();
        assert_eq!(skus.len(), rows.len());
        assert!(rows
            .iter()
            .all(|r| r["startDate"] == "2026-09-01" && r["endDate"] == "2026-09-30"));
        assert_eq!(
            decimals(&summary, "cost").into_iter().sum::<Decimal>(),
            cost
        );
    }
}

#[tokio::test]
async fn report_requests_are_validated_and_duplicates_get_425() {
    let st = stand_in();
    let ads = Ads::new(&st, 0).await;
    let cols = ["date", "campaignId", "cost"];
    let request = report_request(
        "2026-10-01",
        "2026-10-15",
        "spCampaigns",
        "campaign",
        "DAILY",
        &cols,
    );
    let first = ads
        .call(
            &st,
            "POST",
            "/reporting/reports",
            Some((REPORT, request.clone())),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let id = first.json()["reportId"].as_str().unwrap().to_string();
    let dup = ads
        .call(
            &st,
            "POST",
            "/reporting/reports",
            Some((REPORT, request.clone())),
        )
        .await;
    assert_eq!(dup.status, StatusCode::TOO_EARLY);
    assert!(dup.json()["detail"].as_str().unwrap().contains(&id));
    // Another profile may ask for the same thing.
    let other = Ads::new(&st, 1).await;
    let theirs = other
        .call(
            &st,
            "POST",
            "/reporting/reports",
            Some((REPORT, request.clone())),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    // ...but cannot read this profile's report.
    let r = other
        .call(&st, "GET", &format!("/reporting/reports/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Once the first is done, the same request makes a new report.
    st.advance(Duration::seconds(120));
    let again = ads
        .call(&st, "POST", "/reporting/reports", Some((REPORT, request)))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_ne!(again.json()["reportId"], json!(id));

    let bad = [
        report_request(
            "2026-09-01",
            "2026-10-02",
            "spCampaigns",
            "campaign",
            "DAILY",
            &cols,
        ),
        report_request(
            "2026-07-01",
            "2026-07-20",
            "spCampaigns",
            "campaign",
            "DAILY",
            &cols,
        ),
        report_request(
            "2026-10-20",
            "2026-11-05",
            "spCampaigns",
            "campaign",
            "DAILY",
            &cols,
        ),
        report_request(
            "2026-10-10",
            "2026-10-01",
            "spCampaigns",
            "campaign",
            "DAILY",
            &cols,
        ),
        report_request(
            "2026-10-01",
            "2026-10-02",
            "spCampaigns",
            "campaign",
            "DAILY",
            &["date", "costs"],
        ),
        report_request(
            "2026-10-01",
            "2026-10-02",
            "spCampaigns",
            "campaign",
            "SUMMARY",
            &cols,
        ),
        report_request(
            "2026-10-01",
            "2026-10-02",
            "spCampaigns",
            "campaign",
            "DAILY",
            &["date", "advertisedSku"],
        ),
        report_request(
            "2026-10-01",
            "2026-10-02",
            "spCampaigns",
            "advertiser",
            "DAILY",
            &cols,
        ),
        report_request(
            "2026-10-01",
            "2026-10-02",
            "spUnknownReport",
            "searchTerm",
            "DAILY",
            &cols,
        ),
        report_request(
            "2026-10-01",
            "2026-10-02",
            "spCampaigns",
            "campaign",
            "HOURLY",
            &cols,
        ),
        json!({"startDate": "2026-10-01", "endDate": "2026-10-02"}),
    ];
    for (i, b) in bad.into_iter().enumerate() {
        let r = ads
            .call(&st, "POST", "/reporting/reports", Some((REPORT, b)))
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "bad request {i}: {}",
            String::from_utf8_lossy(&r.bytes)
        );
    }
    let wrong = ads
        .call(
            &st,
            "POST",
            "/reporting/reports",
            Some((
                "application/json",
                report_request(
                    "2026-10-01",
                    "2026-10-02",
                    "spCampaigns",
                    "campaign",
                    "DAILY",
                    &cols,
                ),
            )),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        ads.call(&st, "GET", "/reporting/reports/no-such-report", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The download URL expires.
    let done = ads
        .call(&st, "GET", &format!("/reporting/reports/{id}"), None)
        .await
        .json();
    let path = done["url"]
        .as_str()
        .unwrap()
        .strip_prefix("http://stand-in.test")
        .unwrap()
        .to_string();
    assert_eq!(
        send(&st, Request::get(&path).body(Body::empty()).unwrap())
            .await
            .status,
        StatusCode::OK
    );
    st.advance(Duration::seconds(3601));
    assert_eq!(
        send(&st, Request::get(&path).body(Body::empty()).unwrap())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn ads_calls_need_an_ads_token_the_client_id_and_a_known_profile() {
    let st = stand_in();
    let ads = Ads::new(&st, 0).await;
    let list = || Some((CAMPAIGN, json!({})));
    assert_eq!(
        ads.call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::OK
    );

    let none = Ads {
        token: None,
        ..ads.clone()
    };
    assert_eq!(
        none.call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        none.call(&st, "GET", "/v2/profiles", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let sp = Ads {
        token: Some(sp_api_token(&st).await),
        ..ads.clone()
    };
    assert_eq!(
        sp.call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "an SP-API token is not an Ads token"
    );
    let wrong_client = Ads {
        client_id: st.apps.client_id.clone(),
        ..ads.clone()
    };
    assert_eq!(
        wrong_client
            .call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ads.scope(42)
            .call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let unscoped = Ads {
        scope: None,
        ..ads.clone()
    };
    assert_eq!(
        unscoped
            .call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        unscoped.call(&st, "GET", "/v2/profiles", None).await.status,
        StatusCode::OK,
        "profile listing needs no scope"
    );

    // Access tokens last an hour of stand-in time; a refresh gives a new one.
    st.advance(Duration::seconds(3600));
    assert_eq!(
        ads.call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let fresh = Ads::new(&st, 0).await;
    assert_eq!(
        fresh
            .call(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn ads_calls_are_throttled_per_profile_with_retry_after() {
    let st = stand_in();
    let ads = Ads::new(&st, 0).await;
    let list = || Some((CAMPAIGN, json!({})));
    for i in 0..20 {
        let r = ads.raw(&st, "POST", "/sp/campaigns/list", list()).await;
        assert_eq!(r.status, StatusCode::OK, "call {i} is within the burst");
    }
    let limited = ads.raw(&st, "POST", "/sp/campaigns/list", list()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // Other profiles have their own bucket.
    let other = ads.scope(st.seller.ads_profiles[1].profile_id);
    assert_eq!(
        other
            .raw(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::OK
    );
    st.advance(Duration::seconds(retry as i64));
    assert_eq!(
        ads.raw(&st, "POST", "/sp/campaigns/list", list())
            .await
            .status,
        StatusCode::OK
    );
}
