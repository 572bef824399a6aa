//! "Connect Amazon Ads" end to end against the stand-in, on both store adapters: the consent
//! URL with a single-use state bound to the tenant and connection, Login with Amazon's page
//! (allow or deny), and the callback that exchanges the code, stores the Ads refresh token in
//! the connection's own secret and starts the Ads datasets. A refusal, a bad or replayed state,
//! an SP-API state and a refused code answer 4xx and change nothing; of two tabs racing the
//! same callback exactly one connects.

use super::amazon_client::{world, Virtual, World};
use super::helpers::*;
use super::ppc_sync::{access, attach, to_mid_day, Ppc};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shared::config::Config;
use shared::connections::consent::{Consents, Redirects};
use shared::connections::Connections;
use shared::domain::{AmazonAccountId, TenantId, UserId};
use shared::identity::tenancy;
use shared::ports::{FixedClock, Secrets, Store};
use shared::records::ads::{self as records, EntityKind};
use shared::sync::{self, Dataset, Status};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

/// A signed-up user whose tenant has the stand-in's seller connected (SP-API), without Ads
/// consent yet, and the PPC API with the Ads application.
pub(crate) struct Fx {
    pub(crate) _app: TestApp,
    pub(crate) ppc: Ppc,
    pub(crate) router: axum::Router,
    pub(crate) s: Session,
    table: Option<super::contracts::TempTable>,
}

pub(crate) const RETURN_URL: &str = "http://localhost:3001/api/ppc/ads/callback";

/// The fixture on the embedded store, or on DynamoDB (moto) when `dynamo`.
pub(crate) async fn seller(dynamo: bool) -> Fx {
    let mut w: World = world(300).await;
    to_mid_day(&w);
    let table = if dynamo {
        let (store, table) = moto_store(Arc::new(Virtual(w.st.clone()))).await;
        w.store = store;
        Some(table)
    } else {
        None
    };
    let clock = Arc::new(FixedClock::new(w.st.now()));
    let app = TestApp::with_store(Config::local_defaults(), clock, w.store.clone());
    let s = app.signed_up("ads@a.example").await;
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
    let secrets: Arc<dyn Secrets> = app.secrets.clone();
    let ppc = attach(w, tenant, account, secrets.clone(), false).await;
    let ads = Arc::new(access(&ppc.w, secrets).with_return_url(Some(RETURN_URL.into())));
    let router = api_ppc::router_with(app.state.clone(), Some(ads));
    Fx {
        _app: app,
        ppc,
        router,
        s,
        table,
    }
}

impl Fx {
    /// A request to the PPC API, with the user's bearer when `signed`.
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        signed: bool,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if signed {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", self.s.token));
        }
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

    pub(crate) async fn done(self) {
        if let Some(t) = self.table {
            t.drop().await;
        }
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.ppc.w.store.as_ref()
    }

    /// Starts a consent: the consent URL the API answers.
    async fn authorize(&self) -> String {
        let (st, r) = self
            .call(
                "GET",
                &format!(
                    "/api/ppc/ads/authorize?accountId={}&amazonAccountId={}",
                    self.s.account_id, self.ppc.account.id
                ),
                None,
                true,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r:?}");
        r["data"]["authorizationUrl"].as_str().unwrap().to_string()
    }

    /// The advertiser on Login with Amazon's page (`extra`: `&decision=deny` to refuse):
    /// where the browser is sent back, and that URL's parameters.
    async fn consent(&self, url: &str, extra: &str) -> (String, HashMap<String, String>) {
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{url}{extra}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::FOUND);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let (to, query) = location.split_once('?').unwrap();
        let params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap();
        (to.to_string(), params)
    }

    async fn callback(&self, params: &[(&str, &str)]) -> (StatusCode, Value) {
        let q = serde_urlencoded::to_string(params).unwrap();
        self.call("GET", &format!("/api/ppc/ads/callback?{q}"), None, false)
            .await
    }

    /// Gives Ads consent through the API (consent page, callback) and syncs the entities.
    pub(crate) async fn consented(&self) {
        let (_, given) = self.consent(&self.authorize().await, "").await;
        let (st, r) = self
            .callback(&[("code", &given["code"]), ("state", &given["state"])])
            .await;
        assert_eq!(st, StatusCode::OK, "{r:?}");
        self.ppc.run(Dataset::AdsEntities).await;
    }

    async fn ads_connected(&self) -> bool {
        self.ppc
            .access
            .context(&self.ppc.account, self.ppc.w.st.now())
            .await
            .unwrap()
            .is_some()
    }

    /// The Ads datasets' states (their versions change on any write).
    async fn ads_states(&self) -> Vec<sync::SyncState> {
        let mut out = vec![];
        for d in [Dataset::AdsEntities, Dataset::AdsReports] {
            out.push(
                sync::get(
                    self.store(),
                    &self.ppc.tenant,
                    self.ppc.account.id.as_str(),
                    d,
                )
                .await
                .unwrap()
                .unwrap(),
            );
        }
        out
    }
}

async fn consent_flow(f: Fx) {
    // Not connected yet; the status says so.
    let (st, status) = f
        .call(
            "GET",
            &format!("/api/ppc/ads/status?accountId={}", f.s.account_id),
            None,
            true,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{status:?}");
    assert_eq!(status["data"]["adsEnabled"], true);
    assert_eq!(status["data"]["connections"][0]["adsConnected"], false);
    // The previous Ads runs found nothing to pull and finished: the datasets are "backfilled".
    f.ppc.run(Dataset::AdsReports).await;
    let untouched = f.ads_states().await;

    // A foreign page is refused; no bearer, no consent.
    let (st, _) = f
        .call(
            "GET",
            &format!(
                "/api/ppc/ads/authorize?accountId={}&redirectUri=https://evil.example/cb",
                f.s.account_id
            ),
            None,
            true,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = f.call("GET", "/api/ppc/ads/authorize", None, false).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    let url = f.authorize().await;
    assert!(
        url.starts_with(&format!("{}/ap/oa?", f.ppc.w.base)),
        "{url}"
    );
    assert!(
        url.contains("scope=advertising%3A%3Acampaign_management"),
        "{url}"
    );

    // The advertiser refuses: a clear 400, and that state is spent.
    let (to, denied) = f.consent(&url, "&decision=deny").await;
    assert_eq!(to, RETURN_URL, "Amazon returns to the configured callback");
    assert_eq!(denied["error"], "access_denied");
    let (st, r) = f
        .callback(&[("error", "access_denied"), ("state", &denied["state"])])
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r:?}");
    assert_eq!(r["code"], "access_denied");
    let (st, r) = f
        .callback(&[("code", "ANanything"), ("state", &denied["state"])])
        .await;
    assert_eq!(
        (st, r["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state_invalid"))
    );

    // An unknown state, and a "Connect Amazon" (SP-API) state, are not this callback's.
    let (st, r) = f
        .callback(&[("code", "ANanything"), ("state", "not-a-state")])
        .await;
    assert_eq!(
        (st, r["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state_invalid"))
    );
    let consents = Consents::new(f.store());
    let user = UserId::parse(&f.s.user_id).unwrap();
    let sp_state = consents
        .create(
            &user,
            &f.ppc.tenant,
            ("NA", "US"),
            Redirects {
                page: "http://localhost:5100/settings/amazon/callback",
                amazon: "http://localhost:5100/settings/amazon/callback",
            },
            f.ppc.w.st.now(),
        )
        .await
        .unwrap();
    let (st, r) = f
        .callback(&[("code", "ANanything"), ("state", &sp_state)])
        .await;
    assert_eq!(
        (st, r["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state_invalid"))
    );
    assert!(
        consents
            .consume(&sp_state, f.ppc.w.st.now())
            .await
            .unwrap()
            .is_ok(),
        "the SP-API state is left for its own callback"
    );

    // A code Amazon refuses: 400, nothing stored.
    let (_, given) = f.consent(&f.authorize().await, "").await;
    let (st, r) = f
        .callback(&[("code", "ANforged"), ("state", &given["state"])])
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r:?}");
    assert_eq!(r["code"], "authorization_code_refused");
    assert!(!f.ads_connected().await);
    assert_eq!(f.ads_states().await, untouched, "no dataset moved");

    // Two tabs finish the same consent at once: exactly one connects.
    let (_, given) = f.consent(&f.authorize().await, "").await;
    assert_eq!(given["scope"], "advertising::campaign_management");
    let params = [
        ("code", given["code"].as_str()),
        ("scope", given["scope"].as_str()),
        ("state", given["state"].as_str()),
    ];
    let (a, b) = tokio::join!(f.callback(&params), f.callback(&params));
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(
        codes,
        [StatusCode::OK, StatusCode::BAD_REQUEST],
        "{a:?} {b:?}"
    );
    let (won, lost) = if a.0 == StatusCode::OK {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(lost.1["code"], "state_invalid");
    assert_eq!(won.1["data"]["amazonAccountId"], f.ppc.account.id.as_str());
    assert!(!won.1["data"]["profiles"].as_array().unwrap().is_empty());
    assert!(f.ads_connected().await);
    // Replayed afterwards: refused, and the stored consent stays.
    let (st, r) = f.callback(&params).await;
    assert_eq!(
        (st, r["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state_invalid"))
    );
    assert!(f.ads_connected().await);

    // The Ads datasets start over: due now, reports from a 95-day backfill.
    let now = f.ppc.w.st.now();
    for s in f.ads_states().await {
        assert_eq!(s.status, Status::Idle, "{s:?}");
        assert!(s.next_due <= now && !s.backfilled, "{s:?}");
    }
    let (_, status) = f
        .call(
            "GET",
            &format!("/api/ppc/ads/status?accountId={}", f.s.account_id),
            None,
            true,
        )
        .await;
    assert_eq!(status["data"]["connections"][0]["adsConnected"], true);
    // And the stored token works: the entities sync stores the seller's campaigns.
    f.ppc.run(Dataset::AdsEntities).await;
    let campaigns = records::entities(f.store(), &f.ppc.tenant, EntityKind::Campaign)
        .await
        .unwrap();
    let profiles: Vec<i64> = won.1["data"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profileId"].as_str().unwrap().parse().unwrap())
        .collect();
    let expected = f
        .ppc
        .w
        .st
        .seller
        .campaigns
        .iter()
        .filter(|c| profiles.contains(&f.ppc.w.st.seller.ads_profiles[c.profile].profile_id))
        .count();
    assert!(expected > 0);
    assert_eq!(campaigns.len(), expected);
    f.done().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ads_consent_connects_once_and_refusals_change_nothing() {
    consent_flow(seller(false).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ads_consent_connects_once_and_refusals_change_nothing_on_dynamodb() {
    consent_flow(seller(true).await).await;
}
