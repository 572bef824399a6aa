//! Extractors with the project's error body: JSON bodies, query strings, cookies, client IP.

use crate::error::Error;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// A JSON body. An empty body reads as `{}` (the frontend sends none on some mutations), so
/// missing fields are reported by name; malformed or wrong-typed JSON is a 400 naming the
/// problem, a body over the limit a 413, a non-JSON content type a 415.
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
                Error::bad_request(format!("Could not read the request body: {e}"))
            }
        })?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        if let (false, Some(ct)) = (empty, &content_type) {
            if !(ct.starts_with("application/json") || ct.contains("+json")) {
                return Err(Error::UnsupportedMediaType(
                    "Send the body as application/json".into(),
                ));
            }
        }
        let bytes: &[u8] = if empty { b"{}" } else { &bytes };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match serde_path_error(&mut de) {
            Ok(v) => Ok(JsonBody(v)),
            Err(e) => Err(e),
        }
    }
}

fn serde_path_error<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<T, Error> {
    let value = T::deserialize(&mut *de).and_then(|v| de.end().map(|_| v));
    value.map_err(|e| {
        let text = e.to_string();
        let message = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("Malformed JSON body: {text}")
            }
            _ => format!("Invalid request body: {text}"),
        };
        Error::Validation {
            message,
            details: vec![],
        }
    })
}

/// A query string. Empty values count as absent (the frontend sends `sku=`).
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = url_pairs(raw)
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map(QueryParams)
            .map_err(|e| Error::bad_request(format!("Invalid query string: {e}")))
    }
}

fn url_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of one cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
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
