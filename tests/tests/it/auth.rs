//! The auth flow through the HTTP API.

use super::helpers::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine;
use chrono::Duration;
use serde_json::json;

#[tokio::test]
async fn full_session_flow_register_verify_login_refresh_me_logout() {
    let app = TestApp::new();
    let r = app.register("Ann@Example.com", "Ann").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body["message"].is_string());
    assert!(
        app.outbox.last_to("ann@example.com").is_some(),
        "address lower-cased"
    );
    let refused = app.login("ann@example.com", PASSWORD).await;
    assert_error(&refused, StatusCode::FORBIDDEN);
    assert!(refused.refresh_cookie().is_none());
    let token = app.mailed_token("ann@example.com");
    let v = app
        .call(
            "GET",
            &format!("/api/auth/verify-email?token={token}"),
            None,
            None,
        )
        .await;
    assert_eq!(v.status, StatusCode::OK);
    let again = app
        .call(
            "GET",
            &format!("/api/auth/verify-email?token={token}"),
            None,
            None,
        )
        .await;
    assert_error(&again, StatusCode::BAD_REQUEST);

    let l = app.login("ann@example.com", PASSWORD).await;
    assert_eq!(l.status, StatusCode::OK);
    for f in ["id", "email", "name", "isVerified", "roles"] {
        assert!(!l.body["user"][f].is_null(), "login user.{f}");
    }
    assert_eq!(l.body["user"]["roles"], json!(["ADMIN"]));
    let cookie = l
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let access = l.body["accessToken"].as_str().unwrap().to_string();
    let first = l.refresh_cookie().unwrap();

    let me = app.call("GET", "/api/auth/me", None, Some(&access)).await;
    assert_eq!(me.status, StatusCode::OK);
    for f in ["id", "email", "name", "isVerified", "roles"] {
        assert!(!me.body[f].is_null(), "me.{f}");
    }

    let r1 = app.refresh(&first).await;
    assert_eq!(r1.status, StatusCode::OK);
    let second = r1.refresh_cookie().expect("rotated cookie");
    assert_ne!(second, first, "refresh rotates the token");
    let access2 = r1.body["accessToken"].as_str().unwrap().to_string();
    assert_eq!(
        app.call("GET", "/api/auth/me", None, Some(&access2))
            .await
            .status,
        StatusCode::OK
    );

    let out = app
        .call_with(
            "POST",
            "/api/auth/logout",
            Some(json!({})),
            Some(&access2),
            Some(&second),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        out.refresh_cookie().as_deref(),
        Some(""),
        "logout clears the cookie"
    );
    assert_error(
        &app.call("GET", "/api/auth/me", None, Some(&access2)).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_error(&app.refresh(&second).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = TestApp::new();
    let s = app.signed_up("bob@example.com").await;
    let r1 = app.refresh(&s.refresh).await;
    let current = r1.refresh_cookie().unwrap();
    let live_access = r1.body["accessToken"].as_str().unwrap().to_string();
    // Past the grace window a rotated token is plain reuse.
    app.clock
        .advance(shared::identity::sessions::GRACE + Duration::seconds(1));
    let replay = app.refresh(&s.refresh).await;
    assert_error(&replay, StatusCode::UNAUTHORIZED);
    assert_error(&app.refresh(&current).await, StatusCode::UNAUTHORIZED);
    assert_error(
        &app.call("GET", "/api/auth/me", None, Some(&live_access))
            .await,
        StatusCode::UNAUTHORIZED,
    );
    assert_error(
        &app.call("GET", "/api/auth/me", None, Some(&s.token)).await,
        StatusCode::UNAUTHORIZED,
    );
    // Another device's session is untouched.
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn register_rejects_bad_input_and_writes_nothing() {
    let app = TestApp::new();
    let cases = [
        json!({"email": "not-an-email", "password": PASSWORD, "name": "x", "acceptTerms": true, "acceptPrivacy": true}),
        json!({"email": "c@example.com", "password": "weakpass", "name": "x", "acceptTerms": true, "acceptPrivacy": true}),
        json!({"email": "c@example.com", "password": PASSWORD, "name": "x", "acceptTerms": false, "acceptPrivacy": true}),
        json!({"email": "c@example.com", "password": PASSWORD, "name": "x", "acceptTerms": true}),
        json!({"email": 5, "password": PASSWORD}),
    ];
    for body in cases {
        let r = app
            .call("POST", "/api/auth/register", Some(body.clone()), None)
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST);
    }
    let weak = app.call("POST", "/api/auth/register", Some(json!({"email": "c@example.com", "password": "weakpass", "acceptTerms": true, "acceptPrivacy": true})), None).await;
    assert_eq!(weak.body["details"][0]["field"], "password");
    assert!(
        app.outbox.messages().is_empty(),
        "no mail for refused registrations"
    );
    assert_eq!(
        app.register("c@example.com", "C").await.status,
        StatusCode::CREATED,
        "the address is still free"
    );
}

/// Enumeration: a registration, a reset request and a resend answer alike for a known and an
/// unknown address; the owner of a known address gets a mail instead.
#[tokio::test]
async fn register_forgot_and_resend_answer_alike_for_known_and_unknown_addresses() {
    let app = TestApp::new();
    app.signed_up("known@example.com").await;
    app.register("pending@example.com", "P").await;
    let known = app.register("KNOWN@example.com", "Someone").await;
    let unknown = app.register("fresh@example.com", "Someone").await;
    assert_eq!(known.status, StatusCode::CREATED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    let told = app.outbox.last_to("known@example.com").unwrap();
    assert!(told.text.contains("already has one"), "{}", told.text);
    assert!(app
        .outbox
        .last_to("fresh@example.com")
        .unwrap()
        .text
        .contains("token="));
    // The known account is untouched: its password still works.
    assert_eq!(
        app.login("known@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    for path in ["/api/auth/forgot-password", "/api/auth/resend-verification"] {
        let a = app
            .call(
                "POST",
                path,
                Some(json!({"email": "pending@example.com"})),
                None,
            )
            .await;
        let b = app
            .call(
                "POST",
                path,
                Some(json!({"email": "nobody@example.com"})),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(
            (a.status, &a.body, a.headers.len()),
            (b.status, &b.body, b.headers.len()),
            "{path}"
        );
    }
}

/// Error messages say what is wrong in the caller's words, never in Rust type names.
#[tokio::test]
async fn body_errors_name_the_field_not_the_rust_type() {
    let app = TestApp::new();
    for (body, field) in [
        ("[]", None),
        ("\"text\"", None),
        ("{\"email\": 5, \"password\": \"x\"}", Some("email")),
        (
            "{\"email\": \"a@b.co\", \"password\": \"x\", \"acceptTerms\": \"yes\"}",
            Some("acceptTerms"),
        ),
    ] {
        let r = app
            .raw(
                Request::builder()
                    .method("POST")
                    .uri("/api/auth/register")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST);
        let text = r.body["message"].as_str().unwrap();
        for rust in ["struct", "RegisterBody", "Option", "enum", "line 1 column"] {
            assert!(!text.contains(rust), "{body}: {text}");
        }
        if let Some(f) = field {
            assert_eq!(r.body["details"][0]["field"], f, "{body}: {:?}", r.body);
        }
    }
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_4xx() {
    let app = TestApp::new();
    let req = |body: &str, ct: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/auth/login")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let r = app.raw(req("{\"email\": ", "application/json")).await;
    assert_error(&r, StatusCode::BAD_REQUEST);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    assert_error(
        &app.raw(req(
            "{\"email\": [1], \"password\": \"x\"}",
            "application/json",
        ))
        .await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(
        &app.raw(req("email=a", "text/plain")).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    // A JSON body without any content type is refused too (a form post cannot smuggle JSON).
    let untyped = Request::builder()
        .method("POST")
        .uri("/api/auth/login")
        .body(Body::from("{\"email\": \"a@b.co\", \"password\": \"x\"}"))
        .unwrap();
    assert_error(&app.raw(untyped).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    assert_error(
        &app.raw(req(&big, "application/json")).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    assert_error(
        &app.call("GET", "/api/nope", None, None).await,
        StatusCode::NOT_FOUND,
    );
}

fn forge(claims: serde_json::Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .unwrap()
}

#[tokio::test]
async fn expired_tampered_unsigned_and_foreign_tokens_are_refused() {
    let app = TestApp::new();
    let s = app.signed_up("eve@example.com").await;
    let parts: Vec<&str> = s.token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    // Tampered payload, original signature.
    claims["sub"] = json!(uuid::Uuid::new_v4().to_string());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    // alg: none.
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    // Signed with another key.
    let original: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    let foreign = forge(original.clone(), b"another-key-that-is-long-enough-32bytes");
    for bad in [
        tampered,
        none,
        foreign,
        "garbage".to_string(),
        String::new(),
    ] {
        assert_error(
            &app.call("GET", "/api/auth/me", None, Some(&bad)).await,
            StatusCode::UNAUTHORIZED,
        );
    }
    assert_error(
        &app.call("GET", "/api/accounts", None, None).await,
        StatusCode::UNAUTHORIZED,
    );
    // Still good, then expired by the clock.
    assert_eq!(
        app.call("GET", "/api/auth/me", None, Some(&s.token))
            .await
            .status,
        StatusCode::OK
    );
    app.clock.advance(Duration::seconds(
        app.state.config.access_token_ttl_secs + 1,
    ));
    assert_error(
        &app.call("GET", "/api/auth/me", None, Some(&s.token)).await,
        StatusCode::UNAUTHORIZED,
    );
    // The refresh cookie still works and yields a fresh access token.
    let r = app.refresh(&s.refresh).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn login_is_throttled_per_email_and_ip() {
    let app = TestApp::new();
    app.signed_up("fay@example.com").await;
    for _ in 0..10 {
        assert_error(
            &app.login("fay@example.com", "Wrong-Passw0rd!").await,
            StatusCode::UNAUTHORIZED,
        );
    }
    let r = app.login("fay@example.com", PASSWORD).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        app.login("fay@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_email_login_is_indistinguishable_from_a_wrong_password() {
    let app = TestApp::new();
    app.signed_up("gil@example.com").await;
    let a = app.login("gil@example.com", "Wrong-Passw0rd!").await;
    let b = app.login("nobody@example.com", "Wrong-Passw0rd!").await;
    assert_eq!(a.status, b.status);
    assert_eq!(a.body, b.body);
}

#[tokio::test]
async fn password_reset_is_single_use_ends_sessions_and_reveals_nothing() {
    let app = TestApp::new();
    let s = app.signed_up("hal@example.com").await;
    let known = app
        .call(
            "POST",
            "/api/auth/forgot-password",
            Some(json!({"email": "hal@example.com"})),
            None,
        )
        .await;
    let unknown = app
        .call(
            "POST",
            "/api/auth/forgot-password",
            Some(json!({"email": "nobody@example.com"})),
            None,
        )
        .await;
    assert_eq!(
        (known.status, &known.body),
        (unknown.status, &unknown.body),
        "same answer whether the user exists"
    );
    assert!(app.outbox.last_to("nobody@example.com").is_none());
    let token = app.mailed_token("hal@example.com");
    assert_error(
        &app.call(
            "POST",
            "/api/auth/reset-password",
            Some(json!({"token": token, "password": "weak"})),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let ok = app
        .call(
            "POST",
            "/api/auth/reset-password",
            Some(json!({"token": token, "password": "N3w-Passw0rd!!"})),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_error(
        &app.call(
            "POST",
            "/api/auth/reset-password",
            Some(json!({"token": token, "password": "Other-Passw0rd!"})),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(
        &app.call("GET", "/api/auth/me", None, Some(&s.token)).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_error(&app.refresh(&s.refresh).await, StatusCode::UNAUTHORIZED);
    assert_error(
        &app.login("hal@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(
        app.login("hal@example.com", "N3w-Passw0rd!!").await.status,
        StatusCode::OK
    );
    // A reset link older than its lifetime no longer works.
    app.call(
        "POST",
        "/api/auth/forgot-password",
        Some(json!({"email": "hal@example.com"})),
        None,
    )
    .await;
    let late = app.mailed_token("hal@example.com");
    app.clock.advance(Duration::minutes(31));
    assert_error(
        &app.call(
            "POST",
            "/api/auth/reset-password",
            Some(json!({"token": late, "password": "Later-Passw0rd!"})),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
}

#[tokio::test]
async fn verification_links_expire_and_can_be_resent() {
    let app = TestApp::new();
    app.register("ivy@example.com", "Ivy").await;
    let old = app.mailed_token("ivy@example.com");
    app.clock.advance(Duration::hours(25));
    assert_error(
        &app.call(
            "GET",
            &format!("/api/auth/verify-email?token={old}"),
            None,
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    let r = app
        .call(
            "POST",
            "/api/auth/resend-verification",
            Some(json!({"email": "ivy@example.com"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = app.mailed_token("ivy@example.com");
    assert_ne!(fresh, old);
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/auth/verify-email?token={fresh}"),
            None,
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_error(
        &app.call("GET", "/api/auth/verify-email", None, None).await,
        StatusCode::BAD_REQUEST,
    );
}

#[tokio::test]
async fn health_reports_the_store() {
    let app = TestApp::new();
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
}

#[tokio::test]
async fn cors_allows_only_configured_origins_with_credentials() {
    let app = TestApp::new();
    let pre = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/accounts")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "PATCH")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization,content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let ok = app.raw(pre("http://localhost:5100")).await;
    assert_eq!(
        ok.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
        "http://localhost:5100"
    );
    assert_eq!(
        ok.headers
            .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
            .unwrap(),
        "true"
    );
    let bad = app.raw(pre("https://evil.example")).await;
    assert!(bad
        .headers
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
}

/// Several tabs refreshing with the same cookie at once all stay signed in, with the same
/// successor; replaying the old token after the grace window still ends the family.
async fn parallel_refreshes_share_one_successor(app: TestApp) {
    let s = app.signed_up("tabs@example.com").await;
    let tabs: Vec<_> = (0..5)
        .map(|_| {
            let (app, cookie) = (app.clone(), s.refresh.clone());
            tokio::spawn(async move { app.refresh(&cookie).await })
        })
        .collect();
    let mut successors = std::collections::BTreeSet::new();
    for t in tabs {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(r.body["accessToken"].is_string());
        successors.insert(r.refresh_cookie().unwrap());
    }
    assert_eq!(successors.len(), 1, "one successor for every tab");
    let successor = successors.into_iter().next().unwrap();
    assert_ne!(successor, s.refresh);
    app.clock
        .advance(shared::identity::sessions::GRACE + Duration::seconds(1));
    let replay = app.refresh(&s.refresh).await;
    assert_error(&replay, StatusCode::UNAUTHORIZED);
    assert_error(&app.refresh(&successor).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_refreshes_share_one_successor_on_the_embedded_store() {
    parallel_refreshes_share_one_successor(TestApp::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_refreshes_share_one_successor_on_dynamodb() {
    parallel_refreshes_share_one_successor(TestApp::on_dynamodb().await).await;
}

/// A session id is readable in every access token: presenting it with a wrong secret must
/// not end the session.
#[tokio::test]
async fn a_wrong_refresh_secret_revokes_nothing() {
    let app = TestApp::new();
    let s = app.signed_up("sid@example.com").await;
    let sid = s.refresh.split('.').next().unwrap();
    for garbage in [
        format!("{sid}.garbage"),
        format!("{sid}.{}", "A".repeat(43)),
    ] {
        let r = app.refresh(&garbage).await;
        assert_error(&r, StatusCode::UNAUTHORIZED);
        let out = app
            .call_with(
                "POST",
                "/api/auth/logout",
                Some(json!({})),
                None,
                Some(&garbage),
            )
            .await;
        assert_eq!(out.status, StatusCode::OK);
    }
    assert_eq!(
        app.call("GET", "/api/auth/me", None, Some(&s.token))
            .await
            .status,
        StatusCode::OK
    );
    let r = app.refresh(&s.refresh).await;
    assert_eq!(r.status, StatusCode::OK, "the real session lives on");
}

/// Logout ends the session its refresh cookie names and clears the cookie even when the
/// access token has expired.
#[tokio::test]
async fn logout_with_an_expired_access_token_ends_the_session() {
    let app = TestApp::new();
    let s = app.signed_up("late@example.com").await;
    app.clock.advance(Duration::seconds(
        app.state.config.access_token_ttl_secs + 60,
    ));
    let out = app
        .call_with(
            "POST",
            "/api/auth/logout",
            Some(json!({})),
            Some(&s.token),
            Some(&s.refresh),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{:?}", out.body);
    assert_eq!(out.refresh_cookie().as_deref(), Some(""), "cookie cleared");
    assert_error(&app.refresh(&s.refresh).await, StatusCode::UNAUTHORIZED);
    // Without any bearer at all, the cookie alone ends its session too.
    let t = app
        .login("late@example.com", PASSWORD)
        .await
        .refresh_cookie()
        .unwrap();
    let out = app
        .call_with("POST", "/api/auth/logout", Some(json!({})), None, Some(&t))
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_error(&app.refresh(&t).await, StatusCode::UNAUTHORIZED);
}

/// Parallel guesses at one address from one IP: the count and the check are one step, so no
/// more guesses are evaluated than the limit allows.
async fn parallel_guesses_stop_at_the_limit(app: TestApp) {
    app.signed_up("target@example.com").await;
    let guesses: Vec<_> = (0..40)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.login("target@example.com", "Wrong-Passw0rd!").await })
        })
        .collect();
    let (mut evaluated, mut throttled) = (0, 0);
    for g in guesses {
        let r = g.await.unwrap();
        match r.status {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("{other}: {:?}", r.body),
        }
    }
    assert_eq!(
        evaluated,
        shared::identity::throttle::LOGIN.max,
        "guesses evaluated"
    );
    assert_eq!(throttled, 40 - evaluated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_stop_at_the_limit_on_the_embedded_store() {
    parallel_guesses_stop_at_the_limit(TestApp::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_stop_at_the_limit_on_dynamodb() {
    parallel_guesses_stop_at_the_limit(TestApp::on_dynamodb().await).await;
}

/// Guesses spread over many IPs still meet a per-account limit; the owner, throttled too,
/// gets in through the single-use sign-in link mailed to them.
#[tokio::test]
async fn guesses_from_many_ips_are_limited_per_account_and_the_owner_signs_in_by_mail() {
    let app = TestApp::new();
    app.signed_up("owner@example.com").await;
    let tier = shared::identity::throttle::LOGIN_ACCOUNT[0].max;
    let mut evaluated = 0;
    for i in 0..(tier + 10) {
        let r = app
            .call_from(
                &format!("10.0.{}.{}", i / 200, i % 200 + 1),
                "POST",
                "/api/auth/login",
                Some(json!({"email": "owner@example.com", "password": "Wrong-Passw0rd!"})),
                None,
                None,
            )
            .await;
        if r.status == StatusCode::UNAUTHORIZED {
            evaluated += 1;
        } else {
            assert_error(&r, StatusCode::TOO_MANY_REQUESTS);
            assert!(r.headers.get(header::RETRY_AFTER).is_some());
        }
    }
    assert_eq!(
        evaluated, tier,
        "no more guesses than the account's limit, whatever the IPs"
    );
    let owner = app
        .call_from(
            "192.0.2.10",
            "POST",
            "/api/auth/login",
            Some(json!({"email": "owner@example.com", "password": PASSWORD})),
            None,
            None,
        )
        .await;
    assert_error(&owner, StatusCode::TOO_MANY_REQUESTS);
    // The owner was mailed a sign-in link, and not flooded with them.
    let links = app
        .outbox
        .messages()
        .into_iter()
        .filter(|m| m.to == "owner@example.com" && m.text.contains("/sign-in?token="))
        .count();
    assert!(
        (1..=shared::identity::throttle::MAIL.max as usize).contains(&links),
        "{links} sign-in mails"
    );
    // Another address is not held back by this one's limit.
    let nobody = app
        .call_from(
            "192.0.2.10",
            "POST",
            "/api/auth/login",
            Some(json!({"email": "nobody@example.com", "password": PASSWORD})),
            None,
            None,
        )
        .await;
    assert_eq!(
        nobody.status,
        StatusCode::UNAUTHORIZED,
        "other accounts are not throttled"
    );
    let link = app.mailed_token("owner@example.com");
    let signed = app
        .call(
            "POST",
            "/api/auth/sign-in",
            Some(json!({"token": link})),
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert!(signed.body["accessToken"].is_string());
    assert_eq!(signed.body["user"]["email"], "owner@example.com");
    assert!(signed.refresh_cookie().is_some());
    let again = app
        .call(
            "POST",
            "/api/auth/sign-in",
            Some(json!({"token": link})),
            None,
        )
        .await;
    assert_error(&again, StatusCode::BAD_REQUEST);
}

/// Sign-ups from one IP at the same moment: a throttle never answers 409, and exactly the
/// limit gets through.
async fn parallel_sign_ups_from_one_ip(app: TestApp) {
    let max = shared::identity::throttle::REGISTER.max as usize;
    let sign_ups: Vec<_> = (0..max + 5)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { app.register(&format!("u{i}@crowd.example"), "U").await })
        })
        .collect();
    let mut created = 0;
    for s in sign_ups {
        let r = s.await.unwrap();
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}: {:?}", r.body),
        }
    }
    assert_eq!(created, max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ups_from_one_ip_on_the_embedded_store() {
    parallel_sign_ups_from_one_ip(TestApp::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ups_from_one_ip_on_dynamodb() {
    parallel_sign_ups_from_one_ip(TestApp::on_dynamodb().await).await;
}

/// Password hashing runs on the blocking pool: on a single async worker, other requests keep
/// being answered while passwords are checked.
#[tokio::test(flavor = "current_thread")]
async fn health_answers_while_passwords_are_checked() {
    let app = TestApp::new();
    let logins: Vec<_> = (0..4)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.login(&format!("guess{i}@example.com"), "Wrong-Passw0rd!")
                    .await
            })
        })
        .collect();
    let mut answered = 0;
    while !logins.iter().all(|l| l.is_finished()) {
        let h = app.call("GET", "/health", None, None).await;
        assert_eq!(h.status, StatusCode::OK);
        answered += 1;
    }
    for l in logins {
        assert_eq!(l.await.unwrap().status, StatusCode::UNAUTHORIZED);
    }
    assert!(
        answered >= 8,
        "only {answered} health answers while 4 passwords were checked"
    );
}

/// The local recipe uses one host name end to end: mailed links lead to the origin CORS
/// allows, and the other spelling of the same machine is refused outright rather than
/// losing its SameSite=Lax refresh cookie on every reload.
#[tokio::test]
async fn the_local_recipe_uses_one_host_name_for_links_and_cors() {
    let config = shared::config::Config::local_defaults();
    let host = |url: &str| {
        url.split("://")
            .nth(1)
            .and_then(|r| r.split(['/', ':']).next())
            .unwrap()
            .to_string()
    };
    let frontend = host(&config.frontend_url);
    for origin in &config.cors_origins {
        assert_eq!(
            host(origin),
            frontend,
            "{origin} vs {}",
            config.frontend_url
        );
    }
    let app = TestApp::new();
    app.register("host@example.com", "H").await;
    let mail = app.outbox.last_to("host@example.com").unwrap();
    assert!(mail
        .text
        .contains(&format!("{}/verify-email?token=", config.frontend_url)));
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/auth/refresh")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap()
    };
    let other = app.raw(preflight("http://127.0.0.1:5100")).await;
    assert!(other
        .headers
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    let same = app.raw(preflight("http://localhost:5100")).await;
    assert_eq!(
        same.headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "http://localhost:5100"
    );
}
