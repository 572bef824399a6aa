//! The crate's error type. It names what went wrong in domain terms; `crate::http` turns it
//! into the JSON error body and status the frontend reads.

use crate::ports::mail::MailError;
use crate::ports::secrets::SecretsError;
use crate::ports::store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input; `details` names each failing field.
    #[error("{message}")]
    Validation {
        message: String,
        details: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A dependency is not configured or not reachable; the cause goes to the log only.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("secrets: {0}")]
    Secrets(#[from] SecretsError),
    #[error("mail: {0}")]
    Mail(#[from] MailError),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Error::Validation {
            message: format!("{field}: {message}"),
            details: vec![FieldError {
                field: field.to_string(),
                message,
            }],
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::Validation {
            message: message.into(),
            details: vec![],
        }
    }
}

/// Collects field errors so a request reports all of them at once.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
        self
    }
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let message = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Err(Error::Validation {
            message,
            details: self.0,
        })
    }
}
