//! Accounts, members, roles and permissions, Amazon connections, marketplaces, currencies.

use super::helpers::*;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;
use shared::ports::Secrets;

#[tokio::test]
async fn accounts_create_switch_and_list_with_the_frontend_shape() {
    let app = TestApp::new();
    let s = app.signed_up("ann@example.com").await;
    let list = app.call("GET", "/api/accounts", None, Some(&s.token)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["isDefault"], true);
    let created = app
        .call(
            "POST",
            "/api/accounts",
            Some(json!({"name": "EU store", "marketplaceIds": ["A1PA6795UKMFR9", "FR"]})),
            Some(&s.token),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["marketplaces"].as_array().unwrap().len(), 2);
    assert_error(
        &app.call(
            "POST",
            "/api/accounts",
            Some(json!({"name": "Bad", "marketplaceIds": ["XX"]})),
            Some(&s.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(
        &app.call(
            "POST",
            "/api/accounts",
            Some(json!({"name": ""})),
            Some(&s.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(
        app.call("GET", "/api/accounts", None, Some(&s.token))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2,
        "refused creates wrote nothing"
    );
    let sw = app
        .call(
            "POST",
            "/api/accounts/switch",
            Some(json!({"accountId": id})),
            Some(&s.token),
        )
        .await;
    assert_eq!(sw.status, StatusCode::OK);
    assert_eq!(sw.body["accountId"], id.as_str());
    let list = app.call("GET", "/api/accounts", None, Some(&s.token)).await;
    assert_eq!(list.body[0]["id"], id.as_str(), "the default comes first");
    for f in ["id", "name", "isDefault", "marketplaces"] {
        assert!(!list.body[0][f].is_null());
    }
    assert_eq!(
        list.body[0]["marketplaces"][0]["code"]
            .as_str()
            .map(str::len),
        Some(2)
    );
    let perms = app
        .call("GET", "/api/permissions/me", None, Some(&s.token))
        .await;
    assert_eq!(perms.body["accountId"], id.as_str());
    assert_eq!(perms.body["roles"], json!(["ADMIN"]));
    assert_eq!(perms.body["permissions"]["profit.read"], "profit.read");
    let m = app
        .call(
            "GET",
            &format!("/api/accounts/{id}/marketplaces"),
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(m.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn viewers_cannot_list_users_and_nobody_grants_more_than_they_hold() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let viewer = app.signed_up("viewer@example.com").await;
    let manager = app.signed_up("manager@example.com").await;
    app.add_member(&owner, &viewer, "VIEWER").await;
    app.add_member(&owner, &manager, "MANAGER").await;
    let acct = format!("?accountId={}", owner.account_id);
    assert_error(
        &app.call(
            "GET",
            &format!("/api/users{acct}"),
            None,
            Some(&viewer.token),
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    let users = app
        .call(
            "GET",
            &format!("/api/users{acct}"),
            None,
            Some(&manager.token),
        )
        .await;
    assert_eq!(users.status, StatusCode::OK);
    assert_eq!(users.body.as_array().unwrap().len(), 3);
    for f in [
        "id",
        "email",
        "name",
        "isActive",
        "isVerified",
        "createdAt",
        "roles",
    ] {
        assert!(!users.body[0][f].is_null(), "users[].{f}");
    }
    // The manager holds no permissions.write: cannot change anyone's grants.
    let patch = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", viewer.user_id),
            Some(json!({"accountId": owner.account_id, "roles": [{"roleId": "ADMIN"}]})),
            Some(&manager.token),
        )
        .await;
    assert_error(&patch, StatusCode::FORBIDDEN);
    // A custom role with permissions.write but not users.delete cannot grant users.delete.
    let role = app.call("POST", "/api/permissions/roles", Some(json!({"name": "Delegate", "permissions": ["permissions.write", "permissions.read", "profit.read"]})), Some(&owner.token)).await;
    assert_eq!(role.status, StatusCode::CREATED);
    let role_id = role.body["id"].as_str().unwrap().to_string();
    let grant = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", manager.user_id),
            Some(json!({"roles": [{"roleId": role_id}]})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(grant.status, StatusCode::OK, "{:?}", grant.body);
    let escalate = app
        .call("PATCH", &format!("/api/permissions/{}", viewer.user_id), Some(json!({"accountId": owner.account_id, "permissions": [{"resource": "users", "action": "delete"}]})), Some(&manager.token))
        .await;
    assert_error(&escalate, StatusCode::FORBIDDEN);
    let self_admin = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", manager.user_id),
            Some(json!({"accountId": owner.account_id, "roles": [{"roleId": "ADMIN"}]})),
            Some(&manager.token),
        )
        .await;
    assert_error(&self_admin, StatusCode::FORBIDDEN);
    let within = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", viewer.user_id),
            Some(json!({"accountId": owner.account_id, "permissions": ["profit.read"]})),
            Some(&manager.token),
        )
        .await;
    assert_eq!(within.status, StatusCode::OK);
    let seen = app
        .call(
            "GET",
            &format!(
                "/api/permissions/{}?accountId={}",
                viewer.user_id, owner.account_id
            ),
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(seen.body["roles"], json!(["VIEWER"]));
    // The last ADMIN can be neither demoted nor removed.
    assert_error(
        &app.call(
            "PATCH",
            &format!("/api/permissions/{}", owner.user_id),
            Some(json!({"roles": [{"roleId": "VIEWER"}]})),
            Some(&owner.token),
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_error(
        &app.call(
            "DELETE",
            &format!("/api/users/{}", owner.user_id),
            None,
            Some(&owner.token),
        )
        .await,
        StatusCode::CONFLICT,
    );
    let roles = app
        .call("GET", "/api/permissions/roles", None, Some(&owner.token))
        .await;
    let names: Vec<&str> = roles
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ADMIN", "MANAGER", "VIEWER", "Delegate"]);
    assert_error(
        &app.call(
            "POST",
            "/api/permissions/roles",
            Some(json!({"name": "admin"})),
            Some(&owner.token),
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_error(
        &app.call(
            "POST",
            "/api/permissions/roles",
            Some(json!({"name": "X", "permissions": ["nope.read"]})),
            Some(&owner.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let perm = app
        .call(
            "POST",
            "/api/permissions/permissions",
            Some(json!({"name": "exports.read", "resource": "exports", "action": "read"})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(perm.status, StatusCode::CREATED);
    assert_error(
        &app.call(
            "POST",
            "/api/permissions/permissions",
            Some(json!({"resource": "exports", "action": "read"})),
            Some(&owner.token),
        )
        .await,
        StatusCode::CONFLICT,
    );
    // Removing a member ends their access to the account.
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/users/{}", viewer.user_id),
            None,
            Some(&owner.token)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &app.call(
            "GET",
            &format!("/api/permissions/me{acct}"),
            None,
            Some(&viewer.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn amazon_credentials_live_in_the_secrets_port_only() {
    let app = TestApp::new();
    let s = app.signed_up("ann@example.com").await;
    let id = app.link_amazon(&s, "US").await;
    let linked = app
        .call("GET", "/api/accounts/linked", None, Some(&s.token))
        .await;
    assert_eq!(linked.status, StatusCode::OK);
    let text = linked.body.to_string();
    assert!(!text.contains("Atzr|"), "the API never returns credentials");
    for f in [
        "id",
        "marketplace",
        "sellerId",
        "amazonSellerId",
        "region",
        "isActive",
        "createdAt",
    ] {
        assert!(!linked.body[0][f].is_null(), "linked[].{f}");
    }
    let name = format!(
        "{}tenants/{}/amazon/{id}",
        app.state.config.secret_prefix, s.account_id
    );
    let secret = app
        .secrets
        .get(&name)
        .await
        .unwrap()
        .expect("credentials stored as a secret");
    assert!(secret
        .expose_secret()
        .contains("Atzr|IwEBI-test-refresh-token-0123456789"));
    assert_error(&app.call("POST", "/api/accounts/link", Some(json!({"marketplace": "US", "sellerId": "A1SELLER", "refreshToken": "Atzr|IwEBI-another-token-0123456789"})), Some(&s.token)).await, StatusCode::CONFLICT);
    assert_error(
        &app.call(
            "POST",
            "/api/accounts/link",
            Some(json!({"marketplace": "ZZ", "sellerId": "A1", "refreshToken": "short"})),
            Some(&s.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let upd = app
        .call(
            "PATCH",
            &format!("/api/accounts/{id}"),
            Some(json!({"isActive": false})),
            Some(&s.token),
        )
        .await;
    assert_eq!(upd.body["isActive"], false);
    assert_error(
        &app.call(
            "POST",
            &format!("/api/accounts/switch/{id}"),
            None,
            Some(&s.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    app.call(
        "PATCH",
        &format!("/api/accounts/{id}"),
        Some(json!({"isActive": true})),
        Some(&s.token),
    )
    .await;
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/accounts/switch/{id}"),
            None,
            Some(&s.token)
        )
        .await
        .body["id"],
        id.as_str()
    );
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/accounts/linked/{id}"),
            None,
            Some(&s.token)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert!(
        app.secrets.get(&name).await.unwrap().is_none(),
        "deleting the connection deletes its credentials"
    );
    assert_error(
        &app.call(
            "DELETE",
            &format!("/api/accounts/{id}"),
            None,
            Some(&s.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(
        app.link_amazon(&s, "US").await.len(),
        36,
        "the marketplace is free again"
    );
}

#[tokio::test]
async fn user_marketplace_links_follow_their_rules() {
    let app = TestApp::new();
    let s = app.signed_up("ann@example.com").await;
    let amazon = app.link_amazon(&s, "US").await;
    let base = format!("/api/users/{}/marketplaces", s.user_id);
    let c = app.call("POST", &base, Some(json!({"marketplaceId": "ATVPDKIKX0DER", "amazonAccountId": amazon, "credentials": {"note": "x"}})), Some(&s.token)).await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    let link = c.body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(c.body["data"]["amazonAccount"]["id"], amazon.as_str());
    assert_error(
        &app.call(
            "POST",
            &base,
            Some(json!({"marketplaceId": "ATVPDKIKX0DER"})),
            Some(&s.token),
        )
        .await,
        StatusCode::CONFLICT,
    );
    assert_error(
        &app.call(
            "POST",
            &base,
            Some(json!({"marketplaceId": "NOPE"})),
            Some(&s.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        &app.call(
            "POST",
            &base,
            Some(json!({"marketplaceId": "CA", "status": "maybe"})),
            Some(&s.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let u = app
        .call(
            "PATCH",
            &format!("{base}/{link}"),
            Some(json!({"status": "inactive", "amazonAccountId": null})),
            Some(&s.token),
        )
        .await;
    assert_eq!(u.body["data"]["status"], "inactive");
    assert!(u.body["data"]["amazonAccountId"].is_null());
    assert_eq!(
        app.call("GET", &base, None, Some(&s.token)).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.call("DELETE", &format!("{base}/{link}"), None, Some(&s.token))
            .await
            .body,
        json!({"success": true})
    );
    assert_error(
        &app.call("DELETE", &format!("{base}/{link}"), None, Some(&s.token))
            .await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn profile_update_and_password_change_end_other_sessions() {
    let app = TestApp::new();
    let s = app.signed_up("ann@example.com").await;
    let other = app.login("ann@example.com", PASSWORD).await;
    let other_token = other.body["accessToken"].as_str().unwrap().to_string();
    let p = app
        .call(
            "PATCH",
            "/api/users/me",
            Some(json!({"name": "Ann B"})),
            Some(&s.token),
        )
        .await;
    assert_eq!(p.body["name"], "Ann B");
    assert_error(
        &app.call(
            "POST",
            "/api/users/me/change-password",
            Some(json!({"currentPassword": "Wrong-Passw0rd!", "newPassword": "N3w-Passw0rd!!"})),
            Some(&s.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let c = app
        .call(
            "POST",
            "/api/users/me/change-password",
            Some(json!({"currentPassword": PASSWORD, "newPassword": "N3w-Passw0rd!!"})),
            Some(&s.token),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK);
    let fresh = c.body["accessToken"].as_str().unwrap();
    assert_eq!(
        app.call("GET", "/api/users/me", None, Some(fresh))
            .await
            .status,
        StatusCode::OK,
        "this session continues"
    );
    assert_error(
        &app.call("GET", "/api/users/me", None, Some(&other_token))
            .await,
        StatusCode::UNAUTHORIZED,
    );
    // Changing the address needs a new verification, mailed to the new address.
    let e = app
        .call(
            "PATCH",
            "/api/users/me",
            Some(json!({"email": "ann.new@example.com"})),
            Some(fresh),
        )
        .await;
    assert_eq!(e.body["isVerified"], false);
    assert!(app.outbox.last_to("ann.new@example.com").is_some());
    let taken = app.signed_up("taken@example.com").await;
    assert_error(
        &app.call(
            "PATCH",
            "/api/users/me",
            Some(json!({"email": taken.email})),
            Some(fresh),
        )
        .await,
        StatusCode::CONFLICT,
    );
}

#[tokio::test]
async fn marketplaces_are_public_and_currencies_convert_through_usd() {
    let app = TestApp::new();
    let m = app.call("GET", "/api/marketplaces", None, None).await;
    assert_eq!(m.status, StatusCode::OK);
    let all = m.body["data"].as_array().unwrap();
    assert!(all.len() >= 23);
    let us = all.iter().find(|x| x["id"] == "ATVPDKIKX0DER").unwrap();
    assert_eq!(
        (
            us["currency"].as_str(),
            us["region"].as_str(),
            us["timezone"].as_str()
        ),
        (Some("USD"), Some("NA"), Some("America/Los_Angeles"))
    );
    assert_eq!(
        app.call("GET", "/api/marketplaces/JP", None, None)
            .await
            .body["currency"],
        "JPY"
    );
    assert_error(
        &app.call("GET", "/api/marketplaces/XX", None, None).await,
        StatusCode::NOT_FOUND,
    );
    let s = app.signed_up("ann@example.com").await;
    assert_error(
        &app.call("GET", "/api/currencies", None, None).await,
        StatusCode::UNAUTHORIZED,
    );
    assert!(
        app.call("GET", "/api/currencies", None, Some(&s.token))
            .await
            .body["data"]
            .as_array()
            .unwrap()
            .len()
            >= 17
    );
    let same = app
        .call(
            "GET",
            "/api/currencies/exchange-rate?from=eur&to=EUR",
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(same.body["data"]["rate"], "1");
    assert_error(
        &app.call(
            "GET",
            "/api/currencies/exchange-rate?from=EUR&to=GBP",
            None,
            Some(&s.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        &app.call(
            "GET",
            "/api/currencies/exchange-rate?from=EUR",
            None,
            Some(&s.token),
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(
        &app.call(
            "GET",
            "/api/currencies/exchange-rate?from=XYZ&to=EUR",
            None,
            Some(&s.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    // Rates stored as update-rates writes them: base->X and X->base.
    use shared::identity::ItemBuilder;
    use shared::ports::Store;
    for (from, to, rate) in [("USD", "EUR", "0.9"), ("GBP", "USD", "1.25")] {
        app.store
            .put(
                ItemBuilder::new(format!("FX#{from}#{to}"), "2026-11-01T00:00:00.000Z")
                    .s("rate", rate)
                    .s("fetchedAt", "2026-11-01T00:00:00.000Z")
                    .build(),
                None,
            )
            .await
            .unwrap();
    }
    let cross = app
        .call(
            "GET",
            "/api/currencies/exchange-rate?from=GBP&to=EUR",
            None,
            Some(&s.token),
        )
        .await;
    assert_eq!(
        cross.body["data"]["rate"], "1.125",
        "GBP->USD x USD->EUR, exact decimal"
    );
    assert_error(
        &app.call("POST", "/api/currencies/update-rates", None, Some(&s.token))
            .await,
        StatusCode::SERVICE_UNAVAILABLE,
    );
}

#[tokio::test]
async fn update_rates_stores_both_directions_from_the_configured_source() {
    use axum::routing::get;
    let source = axum::Router::new().route(
        "/latest",
        get(|q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
            assert_eq!(q.get("from").map(String::as_str), Some("USD"));
            axum::Json(json!({"base": "USD", "date": "2026-11-01", "rates": {"EUR": 0.8, "GBP": "0.75", "XXX": 2}}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, source).await.unwrap() });
    let mut config = shared::config::Config::local_defaults();
    config.exchange_rates_url = Some(format!("http://{addr}/latest"));
    let app = TestApp::with_config(config);
    let owner = app.signed_up("owner@example.com").await;
    let viewer = app.signed_up("viewer@example.com").await;
    app.add_member(&owner, &viewer, "VIEWER").await;
    let refused = app
        .call(
            "POST",
            &format!(
                "/api/currencies/update-rates?accountId={}",
                owner.account_id
            ),
            None,
            Some(&viewer.token),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN);
    let r = app
        .call(
            "POST",
            "/api/currencies/update-rates",
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["data"]["updatedCount"], 4,
        "EUR and GBP, both directions; unknown codes skipped"
    );
    let rate = |from: &str, to: &str| {
        let (app, token) = (&app, owner.token.clone());
        let path = format!("/api/currencies/exchange-rate?from={from}&to={to}");
        async move {
            app.call("GET", &path, None, Some(&token)).await.body["data"]["rate"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(rate("USD", "EUR").await, "0.8");
    assert_eq!(rate("EUR", "USD").await, "1.25");
    assert_eq!(rate("USD", "GBP").await, "0.75");
    assert_eq!(
        rate("GBP", "EUR").await,
        "1.0666666667",
        "cross rate through USD, 10 places"
    );
}

#[tokio::test]
async fn a_new_refresh_token_keeps_the_sellers_own_lwa_app_and_jobs_read_it_typed() {
    let app = TestApp::new();
    let s = app.signed_up("ann@example.com").await;
    let linked = app
        .call(
            "POST",
            "/api/accounts/link",
            Some(json!({"marketplace": "DE", "sellerId": "A1SELLER", "refreshToken": "Atzr|IwEBI-first-token-0123456789", "lwaClientId": "amzn1.application-oa2-client.own", "lwaClientSecret": "own-secret"})),
            Some(&s.token),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED);
    let id = linked.body["id"].as_str().unwrap().to_string();
    let upd = app
        .call(
            "PATCH",
            &format!("/api/accounts/{id}"),
            Some(json!({"refreshToken": "Atzr|IwEBI-second-token-0123456789"})),
            Some(&s.token),
        )
        .await;
    assert_eq!(upd.status, StatusCode::OK);
    let name = format!(
        "{}tenants/{}/amazon/{id}",
        app.state.config.secret_prefix, s.account_id
    );
    let stored = shared::amazon::connection::credentials(app.secrets.as_ref(), &name)
        .await
        .unwrap();
    assert_eq!(
        stored.refresh_token.expose_secret(),
        "Atzr|IwEBI-second-token-0123456789"
    );
    assert_eq!(
        stored.lwa_client_id.as_deref(),
        Some("amzn1.application-oa2-client.own")
    );
    assert_eq!(
        stored.lwa_client_secret.unwrap().expose_secret(),
        "own-secret"
    );
}
