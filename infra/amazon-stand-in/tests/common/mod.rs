//! Helpers shared by the stand-in's test binaries: in-process calls, tokens, and the check
//! of a body against a definition of Amazon's official models.
#![allow(dead_code)] // Each test binary uses its own subset.

use amazon_stand_in::{router, SellerSpec, StandIn};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub fn spec(orders: usize) -> SellerSpec {
    SellerSpec {
        orders,
        seed: 7,
        ..Default::default()
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
}

pub async fn call(
    st: &Arc<StandIn>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "stand-in.test");
    if let Some(t) = token {
        b = b.header("x-amz-access-token", t);
    }
    let req = match body {
        Some((ct, text)) => b.header("content-type", ct).body(Body::from(text)).unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes().to_vec())
        .unwrap_or_default();
    Resp {
        status,
        headers,
        bytes,
    }
}

pub async fn access_token(st: &Arc<StandIn>) -> String {
    let refresh = st.issue_refresh_token();
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
        urlencode(&refresh),
        st.apps.client_id,
        st.apps.client_secret
    );
    let r = call(
        st,
        "POST",
        "/auth/o2/token",
        None,
        Some(("application/x-www-form-urlencoded", form)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["access_token"].as_str().unwrap().to_string()
}

pub fn urlencode(s: &str) -> String {
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

/// Where real Amazon bodies break Amazon's own models, and the stand-in does the same on purpose
/// so the client meets it: getOrders' string booleans, getInventorySummaries' empty times.
pub fn real_deviation(path: &str, value: &Value) -> bool {
    (path.ends_with("/IsReplacementOrder") && matches!(value.as_str(), Some("true" | "false")))
        || (path.ends_with("/lastUpdatedTime") && value.as_str() == Some(""))
}

/// Validates a body against a definition of an official model (Swagger 2.0 → JSON Schema).
pub fn conforms(model: &str, definition: &str, body: &Value) {
    let path = format!("{}/models/{model}.json", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let schema = serde_json::json!({"$ref": format!("#/definitions/{definition}"), "definitions": doc["definitions"]});
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = v
        .iter_errors(body)
        .filter(|e| !real_deviation(&e.instance_path().to_string(), e.instance()))
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{model} {definition}: {errors:#?}\nbody: {}",
        &body.to_string()[..body.to_string().len().min(1500)]
    );
}

/// Requests a report, lets the virtual clock run until it is done, and returns the path of
/// its document's download URL.
pub async fn report_document_path(st: &Arc<StandIn>, token: &str, spec: Value) -> String {
    let created = call(
        st,
        "POST",
        "/reports/2021-06-30/reports",
        Some(token),
        Some(("application/json", spec.to_string())),
    )
    .await
    .json();
    let id = created["reportId"]
        .as_str()
        .unwrap_or_else(|| panic!("no report id: {created}"))
        .to_string();
    st.advance(chrono::Duration::seconds(100));
    let rep = call(
        st,
        "GET",
        &format!("/reports/2021-06-30/reports/{id}"),
        Some(token),
        None,
    )
    .await
    .json();
    let doc_id = rep["reportDocumentId"]
        .as_str()
        .unwrap_or_else(|| panic!("report not done: {rep}"))
        .to_string();
    let doc = call(
        st,
        "GET",
        &format!("/reports/2021-06-30/documents/{doc_id}"),
        Some(token),
        None,
    )
    .await
    .json();
    doc["url"]
        .as_str()
        .expect("document url")
        .replace("http://stand-in.test", "")
}
