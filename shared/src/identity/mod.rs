//! Identity and tenancy on the store port: users, sessions, one-time tokens, throttles,
//! accounts (tenants), memberships, roles and permissions. Key design: `infra/ACCESS_PATTERNS.md`.

pub mod mails;
pub mod passwords;
pub mod sessions;
pub mod tenancy;
pub mod throttle;
pub mod tokens;
pub mod users;

// The item helpers belong to the store port; re-exported for callers that still name them here.
pub use crate::ports::store::{rfc3339, ItemBuilder, ItemExt};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, URL-safe base64: bearer secrets (refresh, verification, reset tokens).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored only as their SHA-256, so a leaked table grants nothing.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
