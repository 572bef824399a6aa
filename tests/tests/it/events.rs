//! Every sample event in `events/` goes through its function's real Lambda handler (the
//! router behind lambda_http's adapter, as `lambda_http::run` serves it) and must answer with
//! the status its manifest names, and the body the manifest's expectations describe:
//! `equals` (JSON pointer → value; a missing value reads as null), `contains` (pointer → text
//! the string there holds) and `present` (pointers that must be there and not null). The PPC
//! group runs with an Ads application configured, as its Lambda does when the app secret holds
//! one.

use super::helpers::*;
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent, Service};
use serde_json::{json, Value};
use shared::ports::Clock;
use std::path::PathBuf;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Seeds the world the events expect and returns the placeholder values.
async fn seed(app: &TestApp) -> Vec<(&'static str, String)> {
    let owner = app.signed_up("owner@example.com").await;
    let member = app.signed_up("member@example.com").await;
    app.add_member(&owner, &member, "VIEWER").await;
    let amazon = app.link_amazon(&owner, "US").await;
    // The connection's datasets, as connecting registers them, for the sync events.
    let tenant = shared::identity::tenancy::existing(
        app.state.store.as_ref(),
        &shared::domain::TenantId::parse(&owner.account_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    shared::sync::register(app.state.store.as_ref(), &tenant, &amazon, app.clock.now())
        .await
        .unwrap();
    let l = app
        .call(
            "POST",
            &format!("/api/users/{}/marketplaces", owner.user_id),
            Some(json!({"marketplaceId": "ATVPDKIKX0DER"})),
            Some(&owner.token),
        )
        .await;
    let link = l.body["data"]["id"].as_str().unwrap().to_string();
    app.register("new@example.com", "New").await;
    let verify = app.mailed_token("new@example.com");
    app.call(
        "POST",
        "/api/auth/forgot-password",
        Some(json!({"email": "owner@example.com"})),
        None,
    )
    .await;
    let reset = app.mailed_token("owner@example.com");
    seed_records(app, &tenant).await;
    vec![
        ("ACCESS_TOKEN", owner.token),
        ("REFRESH_TOKEN", owner.refresh),
        ("USER_ID", owner.user_id),
        ("OTHER_USER_ID", member.user_id),
        ("ACCOUNT_ID", owner.account_id),
        ("AMAZON_ACCOUNT_ID", amazon),
        ("USER_MARKETPLACE_ID", link),
        ("VERIFY_TOKEN", verify),
        ("RESET_TOKEN", reset),
    ]
}

/// The synced records the ledger and advertising-invoice events read: two ledger days of
/// `MUG-BLUE` (10 received; then 5 received and 3 shipped) and a "Cost of Advertising" invoice
/// posted in October (billing September, for which no Ads spend is held), ledgered.
async fn seed_records(app: &TestApp, tenant: &shared::keys::Tenant) {
    use shared::records::{ledger, transactions};
    let store = app.state.store.as_ref();
    // (day, starting balance, received, shipped, ending balance)
    for (date, start, receipts, shipped, end) in
        [("2026-10-01", 0, 10, 0, 10), ("2026-10-02", 10, 5, -3, 12)]
    {
        let day = ledger::LedgerDay {
            marketplace_id: "ATVPDKIKX0DER".into(),
            date: date.parse().unwrap(),
            fnsku: "X00MUGBLUE".into(),
            asin: "B0MUGBLUE1".into(),
            sku: "MUG-BLUE".into(),
            title: "Blue mug".into(),
            disposition: "SELLABLE".into(),
            location: "US".into(),
            starting_balance: start,
            in_transit: 0,
            receipts,
            customer_shipments: shipped,
            customer_returns: 0,
            vendor_returns: 0,
            warehouse_transfers: 0,
            found: 0,
            lost: 0,
            damaged: 0,
            disposed: 0,
            other_events: 0,
            ending_balance: end,
            unknown_events: 0,
        };
        ledger::put_day(store, tenant, &day, "2026-10-03T00:00:00Z")
            .await
            .unwrap();
    }
    let t: shared::amazon::models::finances::Transaction = serde_json::from_value(json!({
        "relatedIdentifiers": [{"relatedIdentifierName": "INVOICE_ID", "relatedIdentifierValue": "TR0000000001"}],
        "transactionType": "ProductAdsPayment", "transactionId": "TXADS1", "transactionStatus": "RELEASED",
        "description": "Cost of Advertising", "postedDate": "2026-10-02T20:00:00Z",
        "totalAmount": {"currencyCode": "USD", "currencyAmount": -123.45},
        "marketplaceDetails": {"marketplaceId": "ATVPDKIKX0DER"},
        "items": [{"description": "Cost of Advertising", "totalAmount": {"currencyCode": "USD", "currencyAmount": -123.45},
            "breakdowns": [{"breakdownType": "other-transaction", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -123.45},
                "breakdowns": [{"breakdownType": "Cost of Advertising", "breakdownAmount": {"currencyCode": "USD", "currencyAmount": -123.45}}]}]}],
    }))
    .unwrap();
    let record = transactions::TransactionRecord::from_amazon("conn", &t).unwrap();
    transactions::put(store, tenant, &record).await.unwrap();
    // Ledgered and indexed as the rollups job does after a sync.
    shared::profit::recompute::rebuild(store, tenant)
        .await
        .unwrap();
}

/// The Ads application of an app secret (as the PPC Lambda reads it). Its token endpoint is
/// never reached: no sample event gets as far as exchanging a code.
fn ads_access(app: &TestApp) -> std::sync::Arc<shared::sync::ads::AdsAccess> {
    let secret = json!({"adsClientId": "amzn1.application-oa2-client.events", "adsClientSecret": "events-ads-secret", "jwtSigningKey": "events-signing-key"});
    let access = shared::sync::ads::AdsAccess::from_app_secret(
        &secrecy::SecretString::from(secret.to_string()),
        "http://127.0.0.1:9/auth/o2/token".into(),
        None,
        app.state.store.clone(),
        app.clock.clone(),
        app.state.secrets.clone(),
        &app.state.config.secret_prefix,
    )
    .expect("an Ads application");
    std::sync::Arc::new(access)
}

/// Checks the manifest's `equals`, `contains` and `present` against the response body.
fn assert_body(file: &str, entry: &Value, body: &Value) {
    let at = |p: &str| body.pointer(p).cloned().unwrap_or(Value::Null);
    for (p, want) in entry["equals"].as_object().into_iter().flatten() {
        assert_eq!(&at(p), want, "{file}: {p} of {body}");
    }
    for (p, part) in entry["contains"].as_object().into_iter().flatten() {
        let text = at(p);
        let (text, part) = (text.as_str().unwrap_or_default(), part.as_str().unwrap());
        assert!(text.contains(part), "{file}: {p} = {text:?} lacks {part:?}");
    }
    for p in entry["present"].as_array().into_iter().flatten() {
        let p = p.as_str().unwrap();
        assert!(!at(p).is_null(), "{file}: {p} missing in {body}");
    }
}

#[tokio::test]
async fn every_sample_event_gets_its_expected_response_from_the_real_handler() {
    let manifest: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("manifest.json")).expect("events/manifest.json"),
    )
    .expect("manifest JSON");
    let files: usize = [
        "api-auth",
        "api-accounts",
        "api-amazon",
        "api-profit",
        "api-inventory",
        "api-ppc",
    ]
    .iter()
    .map(|d| std::fs::read_dir(events_dir().join(d)).unwrap().count())
    .sum();
    assert_eq!(manifest.len(), files, "every event file is in the manifest");
    assert!(manifest.len() >= 40);
    for entry in &manifest {
        let file = entry["file"].as_str().unwrap();
        let function = entry["function"].as_str().unwrap();
        let expected = entry["status"].as_u64().unwrap();
        let app = TestApp::new();
        let mut text = std::fs::read_to_string(events_dir().join(file)).unwrap();
        let mut expected_body = entry.to_string();
        for (name, value) in seed(&app).await {
            text = text.replace(&format!("${{{name}}}"), &value);
            expected_body = expected_body.replace(&format!("${{{name}}}"), &value);
        }
        assert!(!text.contains("${"), "{file}: unknown placeholder left");
        assert!(
            !expected_body.contains("${"),
            "{file}: unknown placeholder left"
        );
        let expected_body: Value = serde_json::from_str(&expected_body).unwrap();
        let request: LambdaRequest = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{file} is not an API Gateway event: {e}"));
        let router = match function {
            "api-auth" => api_auth::router(app.state.clone()),
            "api-accounts" => api_accounts::router(app.state.clone()),
            "api-amazon" => api_amazon::router(app.state.clone()),
            "api-profit" => api_profit::router(app.state.clone()),
            "api-inventory" => api_inventory::router(app.state.clone()),
            "api-ppc" => api_ppc::router_with(app.state.clone(), Some(ads_access(&app))),
            other => panic!("{file}: unknown function {other}"),
        };
        let mut handler = lambda_http::Adapter::from(router);
        let response = handler
            .call(LambdaEvent::new(request, Context::default()))
            .await
            .unwrap_or_else(|e| panic!("{file}: handler failed: {e:?}"));
        let out = serde_json::to_value(&response).unwrap();
        assert_eq!(out["statusCode"].as_u64(), Some(expected), "{file}: {out}");
        let body = match out["body"].as_str().filter(|b| !b.is_empty()) {
            Some(body) => serde_json::from_str::<Value>(body)
                .unwrap_or_else(|_| panic!("{file}: body is not JSON: {body}")),
            None => Value::Null,
        };
        assert_body(file, &expected_body, &body);
    }
}
