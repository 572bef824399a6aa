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
    // The viewer holds business reads the delegate lacks: the delegate cannot change them.
    assert_error(&within, StatusCode::FORBIDDEN);
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

/// Changing a member's roles needs every permission the member has, not only those given.
#[tokio::test]
async fn a_delegate_cannot_strip_roles_from_a_member_who_holds_more() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let delegate = app.signed_up("delegate@example.com").await;
    let manager = app.signed_up("manager@example.com").await;
    let weak = app.signed_up("weak@example.com").await;
    app.add_member(&owner, &delegate, "VIEWER").await;
    app.add_member(&owner, &manager, "MANAGER").await;
    app.add_member(&owner, &weak, "VIEWER").await;
    let role = app
        .call("POST", "/api/permissions/roles", Some(json!({"name": "Delegate", "permissions": ["permissions.write", "permissions.read", "profit.read"]})), Some(&owner.token))
        .await;
    let role_id = role.body["id"].as_str().unwrap().to_string();
    let r = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", delegate.user_id),
            Some(json!({"roles": [{"roleId": role_id}]})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let acct = owner.account_id.clone();
    for (target, roles) in [
        (&manager, json!([])),
        (&manager, json!([{"roleId": role_id}])),
        (&owner, json!([{"roleId": role_id}])),
    ] {
        let strip = app
            .call(
                "PATCH",
                &format!("/api/permissions/{}", target.user_id),
                Some(json!({"accountId": acct, "roles": roles})),
                Some(&delegate.token),
            )
            .await;
        assert_error(&strip, StatusCode::FORBIDDEN);
    }
    let seen = app
        .call(
            "GET",
            &format!("/api/permissions/{}?accountId={acct}", manager.user_id),
            None,
            Some(&owner.token),
        )
        .await;
    assert_eq!(seen.body["roles"], json!(["MANAGER"]));
    // A member who holds nothing beyond the delegate's own grants may be changed.
    let r = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", weak.user_id),
            Some(json!({"roles": [{"roleId": role_id}]})),
            Some(&owner.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ok = app
        .call(
            "PATCH",
            &format!("/api/permissions/{}", weak.user_id),
            Some(json!({"accountId": acct, "permissions": ["profit.read"]})),
            Some(&delegate.token),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
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
    // A new address takes effect once the link mailed to it is followed.
    let e = app
        .call(
            "PATCH",
            "/api/users/me",
            Some(json!({"email": "ann.new@example.com"})),
            Some(fresh),
        )
        .await;
    assert_eq!(e.status, StatusCode::OK, "{:?}", e.body);
    assert_eq!(e.body["email"], "ann@example.com");
    assert_eq!(e.body["pendingEmail"], "ann.new@example.com");
    let link = app.mailed_token("ann.new@example.com");
    let v = app
        .call(
            "GET",
            &format!("/api/auth/verify-email?token={link}"),
            None,
            None,
        )
        .await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    let me = app.call("GET", "/api/users/me", None, Some(fresh)).await;
    assert_eq!(me.body["email"], "ann.new@example.com");
    assert_eq!(me.body["isVerified"], true);
    assert_eq!(
        app.login("ann.new@example.com", "N3w-Passw0rd!!")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_email_change_answers_alike_for_taken_and_free_addresses() {
    let app = TestApp::new();
    let s = app.signed_up("ann@example.com").await;
    let taken = app.signed_up("taken@example.com").await;
    let change = |to: &str| {
        let (app, token, to) = (&app, s.token.clone(), to.to_string());
        async move {
            app.call(
                "PATCH",
                "/api/users/me",
                Some(json!({"email": to})),
                Some(&token),
            )
            .await
        }
    };
    let to_taken = change(&taken.email).await;
    let to_free = change("free@example.com").await;
    assert_eq!(to_taken.status, StatusCode::OK);
    assert_eq!(to_free.status, to_taken.status);
    let strip = |mut b: serde_json::Value| {
        b["pendingEmail"] = serde_json::Value::Null;
        b
    };
    assert_eq!(strip(to_taken.body), strip(to_free.body));
    // The taken address's owner is told; nothing changes for either account.
    let told = app.outbox.last_to(&taken.email).unwrap();
    assert!(!told.text.contains("token="), "{}", told.text);
    let me = app.call("GET", "/api/users/me", None, Some(&s.token)).await;
    assert_eq!(me.body["email"], "ann@example.com");
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
    // Rates are global: no tenant user may fetch them, not even an account's ADMIN.
    assert_error(
        &app.call("POST", "/api/currencies/update-rates", None, Some(&s.token))
            .await,
        StatusCode::FORBIDDEN,
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
    config.operator_emails = vec!["ops@beddora.example".into()];
    let app = TestApp::with_config(config);
    let owner = app.signed_up("owner@example.com").await;
    let operator = app.signed_up("ops@beddora.example").await;
    // An account's ADMIN is no operator: global rates are not theirs to change.
    let refused = app
        .call(
            "POST",
            "/api/currencies/update-rates",
            None,
            Some(&owner.token),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN);
    let r = app
        .call(
            "POST",
            "/api/currencies/update-rates",
            None,
            Some(&operator.token),
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
    assert_eq!(r.body["data"]["date"], "2026-11-01", "dated by the source");
    // A stored rate is never overwritten: the same moment again stores nothing.
    let again = app
        .call(
            "POST",
            "/api/currencies/update-rates",
            None,
            Some(&operator.token),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT);
    app.clock.advance(chrono::Duration::hours(1));
    let next = app
        .call(
            "POST",
            "/api/currencies/update-rates",
            None,
            Some(&operator.token),
        )
        .await;
    assert_eq!(next.body["data"]["updatedCount"], 4, "a new dated record");
}

/// ADMINs removing or demoting each other at the same moment: some are refused, and the
/// account always keeps an ADMIN.
async fn the_last_admin_holds_under_parallel_removal(app: TestApp) {
    use shared::identity::tenancy;
    for round in 0..4 {
        let mut admins = vec![];
        for i in 0..4 {
            admins.push(app.signed_up(&format!("a{i}r{round}@race.example")).await);
        }
        for other in &admins[1..] {
            app.add_member(&admins[0], other, "ADMIN").await;
        }
        let acct = admins[0].account_id.clone();
        let mut requests = vec![];
        for by in &admins {
            for target in admins.iter().filter(|t| t.user_id != by.user_id) {
                let (app, token, target, acct) = (
                    app.clone(),
                    by.token.clone(),
                    target.user_id.clone(),
                    acct.clone(),
                );
                requests.push(tokio::spawn(async move {
                    if round % 2 == 0 {
                        app.call(
                            "DELETE",
                            &format!("/api/users/{target}?accountId={acct}"),
                            None,
                            Some(&token),
                        )
                        .await
                    } else {
                        app.call(
                            "PATCH",
                            &format!("/api/permissions/{target}"),
                            Some(json!({"accountId": acct, "roles": [{"roleId": "VIEWER"}]})),
                            Some(&token),
                        )
                        .await
                    }
                }));
            }
        }
        for r in requests {
            let r = r.await.unwrap();
            // A refusal: by the guard (409), or, when it starts after others finished, as no
            // longer a member (404) or no longer an ADMIN (403).
            assert!(
                r.status.is_success()
                    || [
                        StatusCode::CONFLICT,
                        StatusCode::NOT_FOUND,
                        StatusCode::FORBIDDEN
                    ]
                    .contains(&r.status),
                "round {round}: {} {:?}",
                r.status,
                r.body
            );
        }
        let tenant = tenancy::existing(
            app.store.as_ref(),
            &shared::domain::TenantId::parse(&acct).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        let left = tenancy::members(app.store.as_ref(), &tenant)
            .await
            .unwrap()
            .into_iter()
            .filter(tenancy::is_admin)
            .count();
        assert!(left >= 1, "round {round}: the account has no ADMIN left");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_admin_holds_under_parallel_removal_on_the_embedded_store() {
    the_last_admin_holds_under_parallel_removal(TestApp::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_admin_holds_under_parallel_removal_on_dynamodb() {
    the_last_admin_holds_under_parallel_removal(TestApp::on_dynamodb().await).await;
}

/// A store outage is a 503, never a 404 ("not found" would tell the frontend the account is
/// gone); a request the store refuses is our fault, a 500 that leaks no internal text.
#[tokio::test]
async fn store_failures_are_not_reported_as_missing_accounts_or_bad_requests() {
    use shared::ports::store::StoreError;
    let clock = std::sync::Arc::new(shared::ports::FixedClock::new(start_time()));
    let faulty = std::sync::Arc::new(FaultyStore {
        inner: std::sync::Arc::new(shared::adapters::EmbeddedStore::in_memory(clock.clone())),
        failure: std::sync::Mutex::new(None),
    });
    let app = TestApp::with_store(
        shared::config::Config::local_defaults(),
        clock,
        faulty.clone(),
    );
    let s = app.signed_up("outage@example.com").await;
    // The auth extractor's read succeeds; the account lookup behind it fails.
    faulty.fail_with(
        1,
        Some(|| StoreError::Unavailable("connection reset by peer".into())),
    );
    let r = app
        .call(
            "POST",
            "/api/accounts/switch",
            Some(json!({"accountId": s.account_id})),
            Some(&s.token),
        )
        .await;
    assert_error(&r, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !r.body.to_string().contains("connection reset"),
        "{:?}",
        r.body
    );
    faulty.fail_with(
        1,
        Some(|| StoreError::Invalid("item of 500000 bytes exceeds 400 KB in ACCT#x".into())),
    );
    let r = app.call("GET", "/api/accounts", None, Some(&s.token)).await;
    assert_error(&r, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.to_string().contains("ACCT#"), "{:?}", r.body);
    faulty.fail_with(0, None);
    assert_eq!(
        app.call(
            "POST",
            "/api/accounts/switch",
            Some(json!({"accountId": s.account_id})),
            Some(&s.token)
        )
        .await
        .status,
        StatusCode::OK
    );
}

/// Input limits: no field holds more than a secret can (64 KB), names hold no hidden
/// characters, and custom roles cannot pass for built-in ones.
#[tokio::test]
async fn input_limits_hold_on_every_string_and_name() {
    let app = TestApp::new();
    let s = app.signed_up("limits@example.com").await;
    let huge = "x".repeat(900 * 1024);
    let r = app
        .call("POST", "/api/accounts/link", Some(json!({"marketplace": "US", "sellerId": "A1SELLER", "refreshToken": "Atzr|IwEBI-test-refresh-token-0123456789", "credentials": {"clientSecret": huge}})), Some(&s.token))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    assert!(
        r.body["message"].as_str().unwrap().contains("64 KB"),
        "{:?}",
        r.body
    );
    for name in [
        "Ann\u{202E}nimda",
        "Bob\u{0000}",
        "Zero\u{200B}Width",
        "Tab\tbed",
    ] {
        let r = app
            .call(
                "PATCH",
                "/api/users/me",
                Some(json!({"name": name})),
                Some(&s.token),
            )
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST);
        let r = app
            .call(
                "POST",
                "/api/accounts",
                Some(json!({"name": name})),
                Some(&s.token),
            )
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST);
    }
    for imitation in [
        "ADM\u{200B}IN",
        "АDMIN",
        "Аdmіn",
        "ＡＤＭＩＮ",
        "admin ",
        "Vi ewer",
        "MANAGΕR",
        "m4nager",
    ] {
        let r = app
            .call(
                "POST",
                "/api/permissions/roles",
                Some(json!({"name": imitation, "permissions": ["profit.read"]})),
                Some(&s.token),
            )
            .await;
        assert!(
            [StatusCode::BAD_REQUEST, StatusCode::CONFLICT].contains(&r.status),
            "{imitation:?}: {} {:?}",
            r.status,
            r.body
        );
    }
    let roles = app
        .call("GET", "/api/permissions/roles", None, Some(&s.token))
        .await;
    assert_eq!(
        roles.body.as_array().unwrap().len(),
        3,
        "only the built-in roles"
    );
    let ok = app
        .call(
            "POST",
            "/api/permissions/roles",
            Some(json!({"name": "Bookkeeper", "permissions": ["profit.read"]})),
            Some(&s.token),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

/// Adding a member is an invitation the invitee accepts: the answer never tells whether the
/// address is registered or shows anything of another tenant's user, the link works once, for
/// its address only, and expires; a member can leave, except the last ADMIN.
#[tokio::test]
async fn members_join_by_accepting_a_mailed_invitation_and_can_leave() {
    let app = TestApp::new();
    let owner = app.signed_up("owner@example.com").await;
    let invitee = app.signed_up("invitee@example.com").await;
    let stranger = app.signed_up("stranger@example.com").await;
    let invite = |email: &str| {
        let (app, token, email) = (&app, owner.token.clone(), email.to_string());
        async move {
            app.call(
                "POST",
                "/api/users",
                Some(json!({"email": email, "role": "VIEWER"})),
                Some(&token),
            )
            .await
        }
    };
    let known = invite("invitee@example.com").await;
    let unknown = invite("nobody-yet@example.com").await;
    assert_eq!(known.status, StatusCode::CREATED, "{:?}", known.body);
    assert_eq!(known.status, unknown.status);
    let shape = |b: &serde_json::Value| {
        let mut b = b.clone();
        b["invitation"]["id"] = json!(null);
        b["invitation"]["email"] = json!(null);
        b
    };
    assert_eq!(shape(&known.body), shape(&unknown.body));
    let text = known.body.to_string();
    assert!(
        !text.contains(&invitee.user_id)
            && !text.contains("Test User")
            && !text.contains("verifiedAt"),
        "{text}"
    );
    // Not a member until accepted.
    let acct = format!("?accountId={}", owner.account_id);
    assert_error(
        &app.call(
            "GET",
            &format!("/api/permissions/me{acct}"),
            None,
            Some(&invitee.token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let token = app.mailed_token("invitee@example.com");
    let accept = |t: &str, who: &Session| {
        let (app, t, bearer) = (&app, t.to_string(), who.token.clone());
        async move {
            app.call(
                "POST",
                "/api/users/invitations/accept",
                Some(json!({"token": t})),
                Some(&bearer),
            )
            .await
        }
    };
    assert_error(&accept(&token, &stranger).await, StatusCode::FORBIDDEN);
    let ok = accept(&token, &invitee).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["accountId"], owner.account_id.as_str());
    assert_error(&accept(&token, &invitee).await, StatusCode::BAD_REQUEST);
    let me = app
        .call(
            "GET",
            &format!("/api/permissions/me{acct}"),
            None,
            Some(&invitee.token),
        )
        .await;
    assert_eq!(me.body["roles"], json!(["VIEWER"]));
    // An invitation expires.
    invite("stranger@example.com").await;
    let late = app.mailed_token("stranger@example.com");
    app.clock
        .advance(shared::identity::invitations::TTL + chrono::Duration::minutes(1));
    let stranger = app.login("stranger@example.com", PASSWORD).await;
    let bearer = stranger.body["accessToken"].as_str().unwrap().to_string();
    let r = app
        .call(
            "POST",
            "/api/users/invitations/accept",
            Some(json!({"token": late})),
            Some(&bearer),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    // The member leaves; the last ADMIN cannot.
    let invitee = app.login("invitee@example.com", PASSWORD).await;
    let invitee_token = invitee.body["accessToken"].as_str().unwrap().to_string();
    let left = app
        .call(
            "POST",
            "/api/accounts/leave",
            Some(json!({"accountId": owner.account_id})),
            Some(&invitee_token),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{:?}", left.body);
    assert_error(
        &app.call(
            "GET",
            &format!("/api/permissions/me{acct}"),
            None,
            Some(&invitee_token),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    let owner_token = app.login("owner@example.com", PASSWORD).await.body["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_error(
        &app.call(
            "POST",
            "/api/accounts/leave",
            Some(json!({"accountId": owner.account_id})),
            Some(&owner_token),
        )
        .await,
        StatusCode::CONFLICT,
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

/// A store outage while a marketplace link's Amazon connection is read fails the request; it
/// never answers the link as if it had no connection.
#[tokio::test]
async fn a_store_outage_never_shows_a_link_without_its_connection() {
    use shared::ports::store::StoreError;
    let clock = std::sync::Arc::new(shared::ports::FixedClock::new(start_time()));
    let faulty = std::sync::Arc::new(FaultyStore {
        inner: std::sync::Arc::new(shared::adapters::EmbeddedStore::in_memory(clock.clone())),
        failure: std::sync::Mutex::new(None),
    });
    let app = TestApp::with_store(
        shared::config::Config::local_defaults(),
        clock,
        faulty.clone(),
    );
    let s = app.signed_up("links@example.com").await;
    let amazon = app.link_amazon(&s, "US").await;
    let path = format!("/api/users/{}/marketplaces", s.user_id);
    let made = app
        .call(
            "POST",
            &path,
            Some(json!({"marketplaceId": "ATVPDKIKX0DER", "amazonAccountId": amazon})),
            Some(&s.token),
        )
        .await;
    assert!(made.status.is_success(), "{:?}", made.body);
    let mut saw_outage = false;
    // Fail the store at every point of the request in turn.
    for after in 0..40 {
        faulty.fail_with(
            after,
            Some(|| StoreError::Unavailable("connection reset by peer".into())),
        );
        let r = app.call("GET", &path, None, Some(&s.token)).await;
        faulty.fail_with(0, None);
        if r.status == StatusCode::OK {
            assert_eq!(
                r.body["data"][0]["amazonAccount"]["id"], amazon,
                "after {after} store calls: {:?}",
                r.body
            );
            if saw_outage {
                return;
            }
        } else {
            assert_eq!(
                r.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "after {after} store calls: {:?}",
                r.body
            );
            saw_outage = true;
        }
    }
    panic!("the request never completed with the store healthy");
}
