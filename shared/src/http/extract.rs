//! Extractors with the project's error body: JSON bodies, query strings, cookies, client IP.

use crate::error::Error;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// A JSON body. An empty body reads as `{}` (the frontend sends none on some mutations), so
/// missing fields are reported by name; malformed or wrong-typed JSON is a 400 naming the
/// field in the caller's words, a body over the limit a 413, a body without a JSON content
/// type a 415.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge("Request body is too large".into())
            } else {
                Error::bad_request("Could not read the request body")
            }
        })?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        let is_json = content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !empty && !is_json {
            return Err(Error::UnsupportedMediaType(
                "Send the body as application/json".into(),
            ));
        }
        let bytes: &[u8] = if empty { b"{}" } else { &bytes };
        parse_json(bytes).map(JsonBody)
    }
}

/// The longest text any field of a request may hold (what Secrets Manager stores in one
/// secret); fields have their own, smaller limits on top.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The path of the first string (or key) longer than [`MAX_FIELD_BYTES`], if any.
fn oversized(v: &serde_json::Value, path: &mut Vec<String>) -> Option<String> {
    use serde_json::Value as J;
    match v {
        J::String(s) if s.len() > MAX_FIELD_BYTES => Some(path.join(".")),
        J::Array(items) => items.iter().enumerate().find_map(|(i, x)| {
            path.push(i.to_string());
            let found = oversized(x, path);
            path.pop();
            found
        }),
        J::Object(map) => map.iter().find_map(|(k, x)| {
            path.push(k.clone());
            let found = if k.len() > MAX_FIELD_BYTES {
                Some(path.join("."))
            } else {
                oversized(x, path)
            };
            path.pop();
            found
        }),
        _ => None,
    }
}

/// Reads a JSON document into `T`; a failure names the field and says what is wrong without
/// naming Rust types. No string may exceed [`MAX_FIELD_BYTES`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|inner| {
        Error::bad_request(format!(
            "The body is not valid JSON (line {}, column {})",
            inner.line(),
            inner.column()
        ))
    })?;
    if let Some(field) = oversized(&value, &mut vec![]) {
        return Err(Error::validation(
            &field,
            format!("must be at most {} KB", MAX_FIELD_BYTES / 1024),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            Error::bad_request("The body must be a JSON object with the documented fields")
        } else {
            Error::validation(&path, plain_words(&e.into_inner().to_string()))
        }
    })
}

/// serde's message for a wrong value, without positions and Rust type names.
fn plain_words(text: &str) -> String {
    let text = text.split(" at line ").next().unwrap_or(text);
    let text = match text.find("expected ") {
        Some(i)
            if text[i..].starts_with("expected struct ")
                || text[i..].starts_with("expected enum ")
                || text[i..].starts_with("expected tuple struct ") =>
        {
            format!("{}expected an object", &text[..i])
        }
        _ => text.to_string(),
    };
    let text = text
        .replace("a sequence", "a list")
        .replace("a map", "an object")
        .replace("invalid type: ", "wrong type: got ")
        .replace("unknown variant", "unknown value");
    if let Some(field) = text
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("{field} is required");
    }
    text
}

/// A query string, decoded by `serde_urlencoded`. Empty values count as absent (the frontend
/// sends `sku=`).
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        let bad = || Error::bad_request("The query string is malformed");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|_| bad())?;
        let kept: Vec<(String, String)> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let canonical = serde_urlencoded::to_string(&kept).map_err(|_| bad())?;
        serde_urlencoded::from_str(&canonical)
            .map(QueryParams)
            .map_err(|e| {
                Error::bad_request(format!(
                    "Invalid query parameter: {}",
                    plain_words(&e.to_string())
                ))
            })
    }
}

/// The value of one cookie of the request (parsed by the `cookie` crate).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| cookie::Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// The caller's IP: API Gateway's source IP in Lambda, the peer address in the local runner.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

fn client_ip(parts: &Parts) -> String {
    use lambda_http::request::RequestContext;
    if let Some(RequestContext::ApiGatewayV2(ctx)) = parts.extensions.get::<RequestContext>() {
        if let Some(ip) = &ctx.http.source_ip {
            return ip.clone();
        }
    }
    if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return addr.ip().to_string();
    }
    "unknown".into()
}
