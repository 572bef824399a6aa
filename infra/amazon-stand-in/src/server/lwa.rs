//! Login with Amazon: the token endpoint (all grants, for SP-API and Ads) and the seller consent redirect.

use super::*;

#[derive(Deserialize)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
    redirect_uri: Option<String>,
}

pub(super) fn lwa_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

pub(super) async fn token(State(st): State<Shared>, Form(f): Form<TokenForm>) -> Response {
    st.inner
        .lock()
        .expect("state")
        .stats
        .entry("lwaToken".into())
        .or_default()
        .calls += 1;
    if f.client_id.as_deref() == Some(st.apps.ads_client_id.as_str()) {
        return ads_token(&st, f);
    }
    if f.client_id.as_deref() != Some(st.apps.client_id.as_str())
        || f.client_secret.as_deref() != Some(st.apps.client_secret.as_str())
    {
        return lwa_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let now = st.now();
    let access = |st: &StandIn| st.mint_token("Atza|stand-in-", false, Duration::seconds(3600));
    match f.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = f.code.unwrap_or_default();
            let entry = st.inner.lock().expect("state").codes.remove(&code);
            match entry {
                Some((exp, _)) if exp > now => {
                    let refresh = st.issue_refresh_token();
                    Json(json!({"access_token": access(&st), "refresh_token": refresh, "token_type": "bearer", "expires_in": 3600})).into_response()
                }
                _ => lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : code",
                ),
            }
        }
        Some("refresh_token") => {
            let valid = st
                .inner
                .lock()
                .expect("state")
                .refresh_tokens
                .get(f.refresh_token.as_deref().unwrap_or_default())
                .copied();
            if valid != Some(true) {
                return lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                );
            }
            Json(json!({"access_token": access(&st), "refresh_token": f.refresh_token, "token_type": "bearer", "expires_in": 3600})).into_response()
        }
        Some("client_credentials") => match f.scope.as_deref() {
            Some("sellingpartnerapi::notifications")
            | Some("sellingpartnerapi::client_credential:rotation") => {
                let t = access(&st);
                st.mark_grantless(&t);
                Json(json!({"access_token": t, "token_type": "bearer", "expires_in": 3600}))
                    .into_response()
            }
            _ => lwa_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The request has an invalid parameter : scope",
            ),
        },
        _ => lwa_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Invalid grant_type",
        ),
    }
}

/// The Ads API's own LWA grants (scope `advertising::campaign_management`).
pub(super) fn ads_token(st: &StandIn, f: TokenForm) -> Response {
    if f.client_secret.as_deref() != Some(st.apps.ads_client_secret.as_str()) {
        return lwa_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let mint = |st: &StandIn| st.mint_token("Atza|stand-in-ads-", true, Duration::seconds(3600));
    match f.grant_type.as_deref() {
        Some("authorization_code") => {
            // Single use: the code is gone whether or not the exchange succeeds.
            let code = f.code.unwrap_or_default();
            let entry = st.inner.lock().expect("state").ads_codes.remove(&code);
            match entry {
                Some((exp, redirect))
                    if exp > st.now() && f.redirect_uri.as_deref() == Some(redirect.as_str()) =>
                {
                    let refresh = st.issue_ads_refresh_token();
                    Json(json!({"access_token": mint(st), "refresh_token": refresh, "token_type": "bearer", "expires_in": 3600})).into_response()
                }
                _ => lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : code",
                ),
            }
        }
        Some("refresh_token") => {
            let valid = st
                .inner
                .lock()
                .expect("state")
                .ads_refresh_tokens
                .get(f.refresh_token.as_deref().unwrap_or_default())
                .copied();
            if valid != Some(true) {
                return lwa_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                );
            }
            Json(json!({"access_token": mint(st), "refresh_token": f.refresh_token, "token_type": "bearer", "expires_in": 3600})).into_response()
        }
        _ => lwa_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The Ads client uses the authorization_code and refresh_token grants here",
        ),
    }
}

#[derive(Deserialize)]
pub(super) struct ConsentQuery {
    application_id: Option<String>,
    state: Option<String>,
    redirect_uri: Option<String>,
    /// `deny` simulates the seller refusing on the consent page.
    decision: Option<String>,
}

pub(super) async fn consent(State(st): State<Shared>, Query(q): Query<ConsentQuery>) -> Response {
    if q.application_id.as_deref() != Some(st.apps.application_id.as_str()) {
        return (StatusCode::BAD_REQUEST, "Unknown application").into_response();
    }
    let Some(redirect) = q.redirect_uri else {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri is required by the stand-in",
        )
            .into_response();
    };
    let state = q.state.unwrap_or_default();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = if q.decision.as_deref() == Some("deny") {
        format!("{redirect}{sep}error=access_denied&state={state}")
    } else {
        let code = format!("ANstandin{}", st.next_id());
        st.inner.lock().expect("state").codes.insert(
            code.clone(),
            (st.now() + Duration::minutes(5), st.seller.seller_id.clone()),
        );
        format!(
            "{redirect}{sep}state={state}&selling_partner_id={}&spapi_oauth_code={code}",
            st.seller.seller_id
        )
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

#[derive(Deserialize)]
pub(super) struct AdsConsentQuery {
    client_id: Option<String>,
    scope: Option<String>,
    response_type: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    /// `deny` simulates the advertiser refusing on the consent page.
    decision: Option<String>,
}

const ADS_SCOPE: &str = "advertising::campaign_management";

/// Login with Amazon's authorization page (`/ap/oa`) as the Ads API uses it: the advertiser
/// allows (or refuses) the Ads client `advertising::campaign_management`, and is sent back to
/// `redirect_uri` with `code`, `scope` and `state` (or `error=access_denied`). The code lives
/// five minutes and is exchanged once, with the same `redirect_uri`.
pub(super) async fn ads_consent(
    State(st): State<Shared>,
    Query(q): Query<AdsConsentQuery>,
) -> Response {
    if q.client_id.as_deref() != Some(st.apps.ads_client_id.as_str()) {
        return (StatusCode::BAD_REQUEST, "Unknown client_id").into_response();
    }
    if q.response_type.as_deref() != Some("code") {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    let Some(redirect) = q.redirect_uri else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
    };
    let state = q.state.unwrap_or_default();
    let params: Vec<(&str, String)> = if q.scope.as_deref() != Some(ADS_SCOPE) {
        vec![
            ("error", "invalid_scope".into()),
            ("error_description", "An unknown scope was requested".into()),
            ("state", state),
        ]
    } else if q.decision.as_deref() == Some("deny") {
        vec![
            ("error", "access_denied".into()),
            ("error_description", "The user denied the request".into()),
            ("state", state),
        ]
    } else {
        let code = format!("ANstandinads{}", st.next_id());
        st.inner.lock().expect("state").ads_codes.insert(
            code.clone(),
            (st.now() + Duration::minutes(5), redirect.clone()),
        );
        vec![
            ("code", code),
            ("scope", ADS_SCOPE.into()),
            ("state", state),
        ]
    };
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = format!(
        "{redirect}{sep}{}",
        serde_urlencoded::to_string(&params).unwrap_or_default()
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}
