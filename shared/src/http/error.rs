//! The JSON error body of every non-2xx answer: `{"error","message","code"}` plus `details`
//! for validation. 5xx answers carry a generic text; the cause goes to the log.

use crate::error::Error;
use crate::ports::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub(crate) fn status_response(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": message, "message": message, "code": code})),
    )
        .into_response()
}

/// The response for an error.
pub fn error_response(err: &Error) -> Response {
    let (status, code) = match err {
        Error::Validation { .. } => (StatusCode::BAD_REQUEST, "validation_failed"),
        Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        Error::Gone(_) => (StatusCode::GONE, "gone"),
        Error::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        Error::UnsupportedMediaType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        Error::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        // The store refusing a request is our bug (input is validated before it reaches the
        // store), and an outage is an outage: neither is the client's fault nor a 404.
        Error::Store(StoreError::Unavailable(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Error::Store(_) | Error::Secrets(_) | Error::Mail(_) | Error::Internal(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
        }
    };
    if status.is_server_error() {
        tracing::error!(error = %err, code, "request failed");
        let text = if status == StatusCode::SERVICE_UNAVAILABLE {
            "The service is temporarily unavailable; please retry shortly"
        } else {
            "Something went wrong on our side; please retry"
        };
        return status_response(status, code, text);
    }
    let message = err.to_string();
    let mut body = json!({"error": message, "message": message, "code": code});
    if let Error::Validation { details, .. } = err {
        if !details.is_empty() {
            body["details"] = json!(details);
        }
    }
    let mut res = (status, axum::Json(body)).into_response();
    if let Error::TooManyRequests { retry_after_secs } = err {
        if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}
