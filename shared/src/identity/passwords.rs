//! Argon2id password hashes (PHC strings). Hashing takes tens of milliseconds of CPU on
//! purpose, so it runs on the blocking pool: the async workers keep answering other requests
//! while passwords are checked.

use crate::error::{Error, Result};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

async fn off_the_workers<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("password task failed: {e}")))
}

/// Hashes a new password (on the blocking pool).
pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_string();
    off_the_workers(move || hash_now(&password)).await?
}

/// Checks a password against a stored hash (on the blocking pool).
pub async fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    off_the_workers(move || verify_now(&password, &phc))
        .await
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so timing does not reveal it.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_now("dummy-password-for-timing").expect("dummy hash"))
}
