//! Two tenants: for every endpoint of both groups, tenant B never sees or changes tenant A's
//! data, whatever ids B puts in the path, query or body. The endpoint list comes from the
//! routers' own tables, so a new route fails the test until it is covered here.

use super::helpers::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Endpoints that act only on the caller or on public data, so no tenant id can be aimed at
/// them, with why. Everything else must be attacked by tenant B below.
const CALLER_ONLY: &[(&str, &str, &str)] = &[
    ("GET", "/health", "public"),
    ("POST", "/api/auth/register", "creates a new user"),
    ("POST", "/api/auth/login", "the caller's credentials"),
    ("POST", "/api/auth/sign-in", "a link mailed to the caller"),
    (
        "POST",
        "/api/auth/refresh",
        "sessions: refresh_tokens_and_sessions_are_per_user",
    ),
    (
        "POST",
        "/api/auth/logout",
        "sessions: refresh_tokens_and_sessions_are_per_user",
    ),
    (
        "POST",
        "/api/auth/forgot-password",
        "mails the address's owner only",
    ),
    (
        "POST",
        "/api/auth/reset-password",
        "a link mailed to the owner",
    ),
    (
        "GET",
        "/api/auth/verify-email",
        "a link mailed to the owner",
    ),
    (
        "POST",
        "/api/auth/resend-verification",
        "mails the address's owner only",
    ),
    ("GET", "/api/auth/me", "the caller; checked below"),
    (
        "GET",
        "/api/accounts",
        "the caller's accounts; checked below",
    ),
    ("POST", "/api/accounts", "creates an account of the caller"),
    ("GET", "/api/users/me", "the caller; checked below"),
    ("PATCH", "/api/users/me", "the caller"),
    ("POST", "/api/users/me/change-password", "the caller"),
    ("GET", "/api/marketplaces", "public"),
    ("GET", "/api/marketplaces/{id}", "public"),
    ("GET", "/api/currencies", "global reference data"),
    (
        "GET",
        "/api/currencies/exchange-rate",
        "global reference data",
    ),
    (
        "POST",
        "/api/currencies/update-rates",
        "operators only, global data",
    ),
    ("GET", "/api/amazon/oauth/status", "a global setting"),
    (
        "GET",
        "/api/amazon/oauth/authorize",
        "a consent for the caller's own tenant; amazon_connect checks where it lands",
    ),
    (
        "GET",
        "/api/amazon/oauth/callback",
        "authenticated by its single-use state alone; amazon_connect checks it",
    ),
    (
        "GET",
        "/api/amazon/oauth/return",
        "a browser hop that reads no tenant data: it forwards Amazon's redirect to the frontend page of the state's own origin; amazon_connect checks it",
    ),
    (
        "GET",
        "/api/ppc/ads/callback",
        "authenticated by its single-use Ads state alone; ppc_consent checks it",
    ),
    (
        "GET",
        "/api/amazon/sync/queue-stats",
        "the caller's tenant; amazon_sync_api checks it",
    ),
    (
        "GET",
        "/api/amazon/error-recovery/retryable",
        "the caller's tenant; amazon_sync_api checks it",
    ),
    (
        "GET",
        "/api/amazon/error-recovery/permanent",
        "the caller's tenant; amazon_sync_api checks it",
    ),
    (
        "GET",
        "/api/amazon/error-recovery/statistics",
        "the caller's tenant; amazon_sync_api checks it",
    ),
    (
        "POST",
        "/api/amazon/error-recovery/bulk-retry",
        "the caller's tenant; amazon_sync_api checks it",
    ),
];

fn every_endpoint() -> BTreeSet<(String, &'static str)> {
    api_auth::endpoints()
        .into_iter()
        .chain(api_accounts::endpoints())
        .chain(api_amazon::endpoints())
        .chain(api_profit::endpoints())
        .chain(api_ppc::endpoints())
        .chain(api_inventory::endpoints())
        .map(|(m, p, _)| (m.to_string(), p))
        .collect()
}

/// The route template a request path hits: literal segments win over parameters.
fn template_of(method: &str, path: &str) -> Option<(String, &'static str)> {
    let path = path.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').collect();
    every_endpoint()
        .into_iter()
        .filter(|(m, _)| m == method)
        .filter_map(|(m, t)| {
            let ts: Vec<&str> = t.split('/').collect();
            let fits = ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(a, b)| a.starts_with('{') || a == b);
            fits.then(|| (ts.iter().filter(|s| s.starts_with('{')).count(), (m, t)))
        })
        .min_by_key(|(params, _)| *params)
        .map(|(_, e)| e)
}

struct World {
    app: TestApp,
    a: Session,
    a_member: Session,
    b: Session,
    a_amazon: String,
    a_link: String,
    a_role: String,
}

async fn world() -> World {
    let app = TestApp::new();
    let a = app.signed_up("alice@a.example").await;
    let a_member = app.signed_up("member@a.example").await;
    app.add_member(&a, &a_member, "VIEWER").await;
    let b = app.signed_up("bob@b.example").await;
    let a_amazon = app.link_amazon(&a, "US").await;
    let l = app
        .call(
            "POST",
            &format!("/api/users/{}/marketplaces", a.user_id),
            Some(json!({"marketplaceId": "ATVPDKIKX0DER", "amazonAccountId": a_amazon})),
            Some(&a.token),
        )
        .await;
    let a_link = l.body["data"]["id"].as_str().unwrap().to_string();
    let r = app
        .call(
            "POST",
            "/api/permissions/roles",
            Some(json!({"name": "A-only role", "permissions": ["profit.read"]})),
            Some(&a.token),
        )
        .await;
    let a_role = r.body["id"].as_str().unwrap().to_string();
    World {
        app,
        a,
        a_member,
        b,
        a_amazon,
        a_link,
        a_role,
    }
}

/// A's view of its own data, to compare before and after B's attempts.
async fn snapshot(w: &World) -> Vec<Value> {
    let t = Some(w.a.token.as_str());
    let q = format!("?accountId={}", w.a.account_id);
    let mut out = vec![];
    for path in [
        "/api/accounts".to_string(),
        format!("/api/accounts/linked{q}"),
        format!("/api/users{q}"),
        format!("/api/permissions/roles{q}"),
        format!("/api/permissions/{}{q}", w.a_member.user_id),
        format!("/api/users/{}/marketplaces{q}", w.a.user_id),
        format!("/api/accounts/{}/marketplaces", w.a.account_id),
        "/api/auth/me".to_string(),
    ] {
        let r = w.app.call("GET", &path, None, t).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        out.push(r.body);
    }
    out
}

fn refused(r: &Resp, what: &str) {
    assert!(
        matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{what}: expected 404/403, got {} {:?}",
        r.status,
        r.body
    );
    assert!(r.body["error"].is_string(), "{what}: error body");
}

#[tokio::test]
async fn tenant_b_cannot_read_or_change_tenant_a_through_any_endpoint() {
    let w = world().await;
    let before = snapshot(&w).await;
    let (app, b) = (&w.app, Some(w.b.token.as_str()));
    let ta = &w.a.account_id;
    let qa = format!("?accountId={ta}");
    let mut attacked: BTreeSet<(String, &'static str)> = BTreeSet::new();
    let mut hit = |method: &str, path: &str| {
        let t =
            template_of(method, path).unwrap_or_else(|| panic!("{method} {path}: no such route"));
        attacked.insert(t);
    };
    // An invitation A sent, for an address that is not B's.
    let inv = app
        .call(
            "POST",
            "/api/users",
            Some(json!({"email": "friend@a.example", "role": "VIEWER"})),
            Some(&w.a.token),
        )
        .await;
    assert_eq!(inv.status, StatusCode::CREATED);
    let a_invitation = app.mailed_token("friend@a.example");

    // Reads that name A's account or A's records.
    for path in [
        format!("/api/accounts/{ta}/marketplaces"),
        format!("/api/accounts/linked{qa}"),
        format!("/api/users{qa}"),
        format!("/api/permissions/me{qa}"),
        format!("/api/permissions/roles{qa}"),
        format!("/api/permissions/permissions{qa}"),
        format!("/api/permissions/{}", w.a_member.user_id),
        format!("/api/permissions/{}{qa}", w.a_member.user_id),
        format!("/api/users/{}/marketplaces", w.a.user_id),
        format!("/api/users/{}/marketplaces{qa}", w.a.user_id),
        format!("/api/amazon/sync/status?amazonAccountId={}", w.a_amazon),
        format!("/api/amazon/sync/status/{}.orders", w.a_amazon),
        format!("/api/amazon/sync-logs?amazonAccountId={}", w.a_amazon),
        format!("/api/amazon/sandbox/test?amazonAccountId={}", w.a_amazon),
        format!("/api/amazon/sandbox/orders?amazonAccountId={}", w.a_amazon),
    ] {
        hit("GET", &path);
        refused(&app.call("GET", &path, None, b).await, &path);
    }
    // Writes aimed at A.
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/api/accounts/switch".into(),
            Some(json!({"accountId": ta})),
        ),
        (
            "POST",
            "/api/accounts/link".into(),
            Some(
                json!({"accountId": ta, "marketplace": "CA", "sellerId": "EVIL", "refreshToken": "Atzr|IwEBI-evil-refresh-token-000000"}),
            ),
        ),
        (
            "PATCH",
            format!("/api/accounts/{}", w.a_amazon),
            Some(json!({"isActive": false})),
        ),
        (
            "PATCH",
            format!("/api/accounts/{}{qa}", w.a_amazon),
            Some(json!({"accountId": ta, "isActive": false})),
        ),
        ("DELETE", format!("/api/accounts/{}", w.a_amazon), None),
        (
            "DELETE",
            format!("/api/accounts/linked/{}{qa}", w.a_amazon),
            None,
        ),
        ("POST", format!("/api/accounts/switch/{}", w.a_amazon), None),
        (
            "POST",
            "/api/users".into(),
            Some(json!({"accountId": ta, "email": "bob@b.example", "role": "ADMIN"})),
        ),
        ("DELETE", format!("/api/users/{}", w.a_member.user_id), None),
        (
            "DELETE",
            format!("/api/users/{}{qa}", w.a_member.user_id),
            None,
        ),
        (
            "POST",
            "/api/permissions/roles".into(),
            Some(json!({"accountId": ta, "name": "Evil"})),
        ),
        (
            "POST",
            "/api/permissions/permissions".into(),
            Some(json!({"accountId": ta, "resource": "evil", "action": "read"})),
        ),
        (
            "PATCH",
            format!("/api/permissions/{}", w.a_member.user_id),
            Some(json!({"roles": [{"roleId": "ADMIN"}]})),
        ),
        (
            "PATCH",
            format!("/api/permissions/{}", w.a_member.user_id),
            Some(json!({"accountId": ta, "roles": [{"roleId": "ADMIN", "accountId": ta}]})),
        ),
        (
            "PATCH",
            format!("/api/permissions/{}", w.b.user_id),
            Some(json!({"roles": [{"roleId": w.a_role}]})),
        ),
        (
            "POST",
            format!("/api/users/{}/marketplaces", w.a.user_id),
            Some(json!({"marketplaceId": "CA"})),
        ),
        (
            "PATCH",
            format!("/api/users/{}/marketplaces/{}", w.a.user_id, w.a_link),
            Some(json!({"status": "inactive"})),
        ),
        (
            "DELETE",
            format!("/api/users/{}/marketplaces/{}", w.a.user_id, w.a_link),
            None,
        ),
        (
            "PATCH",
            format!("/api/users/{}/marketplaces/{}", w.b.user_id, w.a_link),
            Some(json!({"status": "inactive"})),
        ),
        // B may link its own marketplaces, but never to A's Amazon connection.
        (
            "POST",
            format!("/api/users/{}/marketplaces", w.b.user_id),
            Some(json!({"marketplaceId": "MX", "amazonAccountId": w.a_amazon})),
        ),
        // B cannot leave A's account for A's members, nor take an invitation sent to another.
        (
            "POST",
            "/api/accounts/leave".into(),
            Some(json!({"accountId": ta})),
        ),
        (
            "POST",
            "/api/users/invitations/accept".into(),
            Some(json!({"token": a_invitation})),
        ),
        (
            "POST",
            "/api/amazon/sync/trigger".into(),
            Some(json!({"amazonAccountId": w.a_amazon, "syncType": "all"})),
        ),
        (
            "DELETE",
            format!("/api/amazon/sync/cancel/{}.all", w.a_amazon),
            None,
        ),
        (
            "POST",
            format!("/api/amazon/error-recovery/retry/{}", w.a_amazon),
            Some(json!({"queueName": "DATA_SYNC"})),
        ),
    ];
    for (method, path, body) in writes {
        hit(method, &path);
        let r = app.call(method, &path, body, b).await;
        if method == "PATCH" && path.contains(&w.b.user_id) && !path.contains("marketplaces") {
            // B editing itself in its own account with A's role id: the role does not exist there.
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{method} {path}: {:?}",
                r.body
            );
        } else {
            refused(&r, &format!("{method} {path}"));
        }
    }
    // Every profit route, aimed at A's account and records (`profit_api::attack`).
    for (method, path) in super::profit_api::attack(app, &w.a, &w.b).await {
        hit(&method, &path);
    }
    // PPC: every route, aimed at A's account (query or body), A's connection, or ids of A's.
    let amz = format!("{qa}&amazonAccountId={}", w.a_amazon);
    for path in [
        "/api/ppc",
        "/api/ppc/campaigns",
        "/api/ppc/performance",
        "/api/ppc/ad-groups",
        "/api/ppc/keywords",
        "/api/ppc/metrics",
        "/api/ppc/metrics/campaigns",
        "/api/ppc/metrics/ad-groups",
        "/api/ppc/metrics/keywords",
        "/api/ppc/optimization",
        "/api/ppc/optimization/history",
        "/api/ppc/bulk/history",
        "/api/ppc/profit",
        "/api/ppc/profit/campaigns",
        "/api/ppc/profit/ad-groups",
        "/api/ppc/profit/keywords",
        "/api/ppc/campaigns/100000000001",
        "/api/ppc/ads/status",
        "/api/ppc/ads/authorize",
    ] {
        for query in [qa.clone(), amz.clone()] {
            let path = format!("{path}{query}");
            hit("GET", &path);
            refused(&app.call("GET", &path, None, b).await, &path);
        }
    }
    let amazon = json!(w.a_amazon);
    let ppc_writes: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/api/ppc/optimization/run".into(),
            json!({"accountId": ta, "minBid": 0.1, "maxBid": 5}),
        ),
        (
            "PATCH",
            "/api/ppc/optimization/200000000001".into(),
            json!({"accountId": ta, "currentBid": 1.5}),
        ),
        (
            "POST",
            "/api/ppc/bulk/bid-update".into(),
            json!({"accountId": ta, "targetType": "keyword", "newBid": 1, "preview": false}),
        ),
        (
            "POST",
            "/api/ppc/bulk/bid-update".into(),
            json!({"amazonAccountId": amazon, "targetType": "keyword", "newBid": 1, "preview": true}),
        ),
        (
            "POST",
            "/api/ppc/bulk/status-change".into(),
            json!({"accountId": ta, "targetType": "keyword", "status": "paused", "preview": false}),
        ),
        (
            "POST",
            "/api/ppc/bulk/apply-recommendations".into(),
            json!({"accountId": ta, "minBid": 0.1, "maxBid": 5, "preview": false}),
        ),
        (
            "POST",
            "/api/ppc/bulk/revert".into(),
            json!({"accountId": ta, "historyId": "00000000-0000-4000-8000-000000000000"}),
        ),
        (
            "POST",
            "/api/ppc/bulk/revert".into(),
            json!({"historyId": "00000000-0000-4000-8000-000000000000"}),
        ),
        (
            "PATCH",
            format!("/api/ppc/campaigns/100000000001{qa}"),
            json!({"state": "PAUSED"}),
        ),
        (
            "PATCH",
            "/api/ppc/campaigns/100000000001".into(),
            json!({"state": "PAUSED"}),
        ),
    ];
    for (method, path, body) in ppc_writes {
        hit(method, &path);
        let r = app.call(method, &path, Some(body), b).await;
        refused(&r, &format!("{method} {path}"));
    }

    // Every inventory route, aimed at A's account and records (`inventory_api::attack`).
    for (method, path) in super::inventory_api::attack(app, &w.a, &w.b).await {
        hit(&method, &path);
    }
    // B's own listings never include A's records.
    let mine = app.call("GET", "/api/accounts", None, b).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    assert_ne!(mine.body[0]["id"], ta.as_str());
    assert_eq!(
        app.call("GET", "/api/accounts/linked", None, b).await.body,
        json!([])
    );
    let users = app.call("GET", "/api/users", None, b).await;
    assert_eq!(users.body.as_array().unwrap().len(), 1);
    let roles = app
        .call("GET", "/api/permissions/roles", None, b)
        .await
        .body
        .to_string();
    assert!(!roles.contains("A-only role"));
    assert_eq!(
        app.call("GET", "/api/permissions/me", None, b).await.body["accountId"],
        w.b.account_id.as_str()
    );
    assert_eq!(
        app.call("GET", "/api/auth/me", None, b).await.body["email"],
        "bob@b.example"
    );
    assert_eq!(
        app.call("GET", "/api/users/me", None, b).await.body["email"],
        "bob@b.example"
    );

    assert_eq!(snapshot(&w).await, before, "nothing of tenant A changed");

    // Every route of both routers was attacked, or acts only on the caller.
    let exempt: BTreeSet<(String, &'static str)> = CALLER_ONLY
        .iter()
        .map(|(m, p, _)| (m.to_string(), *p))
        .collect();
    let all = every_endpoint();
    assert!(
        exempt.is_subset(&all),
        "stale exemptions: {:?}",
        exempt.difference(&all).collect::<Vec<_>>()
    );
    let missed: Vec<_> = all
        .iter()
        .filter(|e| !exempt.contains(*e) && !attacked.contains(*e))
        .collect();
    assert!(
        missed.is_empty(),
        "routes no cross-tenant attempt covers: {missed:?}"
    );
}

#[tokio::test]
async fn refresh_tokens_and_sessions_are_per_user() {
    let w = world().await;
    // B's token cannot log out A's session, and A's refresh cookie presented by B is A's only.
    let out = w
        .app
        .call_with(
            "POST",
            "/api/auth/logout",
            Some(json!({})),
            Some(&w.b.token),
            Some(&w.a.refresh),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);
    let r = w.app.refresh(&w.a.refresh).await;
    assert_eq!(r.status, StatusCode::OK, "A's session survives B's logout");
}
