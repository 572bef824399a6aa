//! Every sample event in `events/` goes through its function's real Lambda handler (the
//! router behind lambda_http's adapter, as `lambda_http::run` serves it) and must answer with
//! the status its manifest names.

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
        for (name, value) in seed(&app).await {
            text = text.replace(&format!("${{{name}}}"), &value);
        }
        assert!(!text.contains("${"), "{file}: unknown placeholder left");
        let request: LambdaRequest = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{file} is not an API Gateway event: {e}"));
        let router = match function {
            "api-auth" => api_auth::router(app.state.clone()),
            "api-accounts" => api_accounts::router(app.state.clone()),
            "api-amazon" => api_amazon::router(app.state.clone()),
            "api-profit" => api_profit::router(app.state.clone()),
            "api-inventory" => api_inventory::router(app.state.clone()),
            "api-ppc" => api_ppc::router(app.state.clone()),
            other => panic!("{file}: unknown function {other}"),
        };
        let mut handler = lambda_http::Adapter::from(router);
        let response = handler
            .call(LambdaEvent::new(request, Context::default()))
            .await
            .unwrap_or_else(|e| panic!("{file}: handler failed: {e:?}"));
        let out = serde_json::to_value(&response).unwrap();
        assert_eq!(out["statusCode"].as_u64(), Some(expected), "{file}: {out}");
        if let Some(body) = out["body"].as_str().filter(|b| !b.is_empty()) {
            serde_json::from_str::<Value>(body)
                .unwrap_or_else(|_| panic!("{file}: body is not JSON: {body}"));
        }
    }
}
