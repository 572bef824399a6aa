//! Login with Amazon: authorization-code exchange, refresh-token grants and grantless tokens.
//! Access tokens are cached per connection in process and in the store (encrypted: nothing
//! secret is stored in clear), shared by every Lambda, and refreshed by one caller at a time.

use super::backoff::{wait_within, Backoff};
use super::error::AmazonError;
use crate::identity::ItemBuilder;
use crate::ports::store::{Condition, Key, Store, StoreError, Value};
use crate::ports::Pacer;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Our LWA application.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `https://api.amazon.com/auth/o2/token`, or the stand-in's.
    pub token_url: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

/// A usable access token.
#[derive(Clone)]
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// Tokens are treated as expired this long before Amazon's expiry.
const SAFETY_MARGIN: Duration = Duration::seconds(120);
/// How long one refresher holds the lease before others may take over.
const LEASE: Duration = Duration::seconds(20);

/// Gets access tokens for connections, refreshing each once however many callers ask.
pub struct TokenProvider {
    http: reqwest::Client,
    creds: Credentials,
    store: Arc<dyn Store>,
    pacer: Arc<dyn Pacer>,
    cipher: Aes256Gcm,
    memory: std::sync::Mutex<HashMap<String, AccessToken>>,
    refreshing: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Grantless tokens by scope (never stored: any process can ask LWA for its own).
    grantless: std::sync::Mutex<HashMap<String, AccessToken>>,
}

fn dependency(e: StoreError) -> AmazonError {
    AmazonError::Dependency(e.to_string())
}

impl TokenProvider {
    /// `pacer` is the time of every expiry and every wait (a virtual clock in tests).
    /// `cache_key` encrypts the cached tokens in the store (any secret of 32+ bytes; it is hashed).
    pub fn new(
        http: reqwest::Client,
        creds: Credentials,
        store: Arc<dyn Store>,
        pacer: Arc<dyn Pacer>,
        cache_key: &SecretString,
    ) -> Self {
        let key = Sha256::digest(cache_key.expose_secret().as_bytes());
        Self {
            http,
            creds,
            store,
            pacer,
            cipher: Aes256Gcm::new_from_slice(&key).expect("32-byte key"),
            memory: Default::default(),
            refreshing: Default::default(),
            grantless: Default::default(),
        }
    }

    fn key(connection: &str) -> Key {
        Key::new(format!("AMZTOKEN#{connection}"), "TOKEN")
    }

    fn lease_key(connection: &str) -> Key {
        Key::new(format!("AMZTOKEN#{connection}"), "LEASE")
    }

    fn fresh(&self, t: &AccessToken) -> bool {
        t.expires_at - SAFETY_MARGIN > self.pacer.now()
    }

    fn seal(&self, token: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(Nonce::from_slice(&nonce), token.as_bytes())
                .expect("encrypt"),
        );
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    fn open(&self, sealed: &str) -> Option<String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        let (nonce, body) = bytes.split_at_checked(12)?;
        String::from_utf8(self.cipher.decrypt(Nonce::from_slice(nonce), body).ok()?).ok()
    }

    async fn cached_in_store(&self, connection: &str) -> Result<Option<AccessToken>, AmazonError> {
        let Some(item) = self
            .store
            .get(&Self::key(connection))
            .await
            .map_err(dependency)?
        else {
            return Ok(None);
        };
        let token = item
            .get("token")
            .and_then(Value::as_s)
            .and_then(|s| self.open(s));
        let exp = item
            .get("expiresAt")
            .and_then(Value::as_n)
            .and_then(|n| n.parse::<i64>().ok())
            .and_then(|s| DateTime::from_timestamp(s, 0));
        Ok(match (token, exp) {
            (Some(t), Some(e)) => Some(AccessToken {
                token: SecretString::from(t),
                expires_at: e,
            })
            .filter(|t| self.fresh(t)),
            _ => None,
        })
    }

    /// An access token for the connection whose refresh token is `refresh_token`, waiting at
    /// most a minute for another process that is refreshing it.
    pub async fn access_token(
        &self,
        connection: &str,
        refresh_token: &SecretString,
    ) -> Result<AccessToken, AmazonError> {
        let deadline = self.pacer.now() + Duration::minutes(1);
        self.access_token_until(connection, refresh_token, deadline)
            .await
    }

    /// [`TokenProvider::access_token`], never waiting past `deadline` (`RetryLater` instead).
    pub async fn access_token_until(
        &self,
        connection: &str,
        refresh_token: &SecretString,
        deadline: DateTime<Utc>,
    ) -> Result<AccessToken, AmazonError> {
        if let Some(t) = self
            .memory
            .lock()
            .expect("token memory")
            .get(connection)
            .filter(|t| self.fresh(t))
        {
            return Ok(t.clone());
        }
        // One refresher per connection in this process; others wait for it here.
        let gate = self
            .refreshing
            .lock()
            .await
            .entry(connection.to_string())
            .or_default()
            .clone();
        let _held = gate.lock().await;
        if let Some(t) = self
            .memory
            .lock()
            .expect("token memory")
            .get(connection)
            .filter(|t| self.fresh(t))
        {
            return Ok(t.clone());
        }
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(t) = self.cached_in_store(connection).await? {
                self.memory
                    .lock()
                    .expect("token memory")
                    .insert(connection.to_string(), t.clone());
                return Ok(t);
            }
            // One refresher across processes: whoever takes the lease refreshes.
            let now = self.pacer.now();
            let lease = ItemBuilder::new(Self::lease_key(connection).pk, "LEASE")
                .n("until", (now + LEASE).timestamp())
                .n("ttl", (now + LEASE).timestamp() + 60)
                .build();
            let taken = match self
                .store
                .put(lease, Some(Condition::AttributeMissing("until".into())))
                .await
            {
                Ok(()) => true,
                Err(StoreError::ConditionFailed) => {
                    // A lease left by a crashed refresher expires.
                    let stale = self
                        .store
                        .get(&Self::lease_key(connection))
                        .await
                        .map_err(dependency)?
                        .and_then(|i| {
                            i.get("until")
                                .and_then(Value::as_n)
                                .and_then(|n| n.parse::<i64>().ok())
                        })
                        .is_none_or(|u| u < now.timestamp());
                    if stale {
                        self.store
                            .delete(&Self::lease_key(connection), None)
                            .await
                            .map_err(dependency)?;
                    }
                    false
                }
                Err(e) => return Err(dependency(e)),
            };
            if taken {
                let result = self.refresh_until(refresh_token, Some(deadline)).await;
                if let Ok(t) = &result {
                    let item = ItemBuilder::new(Self::key(connection).pk, "TOKEN")
                        .s("token", self.seal(t.token.expose_secret()))
                        .n("expiresAt", t.expires_at.timestamp())
                        .n("ttl", t.expires_at.timestamp() + 3600)
                        .build();
                    self.store.put(item, None).await.map_err(dependency)?;
                    self.memory
                        .lock()
                        .expect("token memory")
                        .insert(connection.to_string(), t.clone());
                }
                self.store
                    .delete(&Self::lease_key(connection), None)
                    .await
                    .map_err(dependency)?;
                return result;
            }
            wait_within(self.pacer.as_ref(), Backoff::LEASE.delay(attempt), deadline).await?;
        }
    }

    /// Forgets a token Amazon refused, so the next call refreshes.
    pub async fn invalidate(&self, connection: &str) -> Result<(), AmazonError> {
        self.memory.lock().expect("token memory").remove(connection);
        self.store
            .delete(&Self::key(connection), None)
            .await
            .map_err(dependency)
    }

    /// The refresh-token grant.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<AccessToken, AmazonError> {
        self.refresh_until(refresh_token, None).await
    }

    async fn refresh_until(
        &self,
        refresh_token: &SecretString,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<AccessToken, AmazonError> {
        self.grant(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ],
            deadline,
        )
        .await
    }

    /// Exchanges the consent's `spapi_oauth_code`; returns the access token and refresh token.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<(AccessToken, SecretString), AmazonError> {
        let body = self
            .post(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", redirect_uri),
                ],
                None,
            )
            .await?;
        let refresh = body["refresh_token"]
            .as_str()
            .ok_or_else(|| AmazonError::Dependency("LWA answered without refresh_token".into()))?;
        Ok((
            self.token_of(&body)?,
            SecretString::from(refresh.to_string()),
        ))
    }

    /// A grantless token (`sellingpartnerapi::notifications`, ...).
    pub async fn grantless(&self, scope: &str) -> Result<AccessToken, AmazonError> {
        self.grant(
            &[("grant_type", "client_credentials"), ("scope", scope)],
            None,
        )
        .await
    }

    /// A grantless token, reused while fresh.
    pub async fn grantless_cached(&self, scope: &str) -> Result<AccessToken, AmazonError> {
        let cached = self
            .grantless
            .lock()
            .expect("grantless tokens")
            .get(scope)
            .filter(|t| self.fresh(t))
            .cloned();
        if let Some(t) = cached {
            return Ok(t);
        }
        let t = self.grantless(scope).await?;
        self.grantless
            .lock()
            .expect("grantless tokens")
            .insert(scope.to_string(), t.clone());
        Ok(t)
    }

    /// Forgets a grantless token Amazon refused.
    pub fn invalidate_grantless(&self, scope: &str) -> Result<(), AmazonError> {
        self.grantless
            .lock()
            .expect("grantless tokens")
            .remove(scope);
        Ok(())
    }

    async fn grant(
        &self,
        form: &[(&str, &str)],
        deadline: Option<DateTime<Utc>>,
    ) -> Result<AccessToken, AmazonError> {
        let body = self.post(form, deadline).await?;
        self.token_of(&body)
    }

    fn token_of(&self, body: &serde_json::Value) -> Result<AccessToken, AmazonError> {
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| AmazonError::Dependency("LWA answered without access_token".into()))?;
        let secs = body["expires_in"].as_i64().unwrap_or(3600);
        Ok(AccessToken {
            token: SecretString::from(token.to_string()),
            expires_at: self.pacer.now() + Duration::seconds(secs),
        })
    }

    /// Posts to LWA, retrying transport failures, 5xx and 429 through the pacer (never past
    /// `deadline` when one is given).
    async fn post(
        &self,
        form: &[(&str, &str)],
        deadline: Option<DateTime<Utc>>,
    ) -> Result<serde_json::Value, AmazonError> {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("client_id", &self.creds.client_id));
        fields.push(("client_secret", self.creds.client_secret.expose_secret()));
        let mut last = String::new();
        for attempt in 1..=3u32 {
            let res = match self
                .http
                .post(&self.creds.token_url)
                .form(&fields)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    last = e.without_url().to_string();
                    self.pause(attempt, deadline).await?;
                    continue;
                }
            };
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            if status.is_success() {
                return Ok(body);
            }
            let error = body["error"].as_str().unwrap_or_default().to_string();
            let description = body["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match (status.as_u16(), error.as_str()) {
                (_, "invalid_grant") => return Err(AmazonError::NeedsReauthorization(description)),
                (_, "invalid_client" | "unauthorized_client" | "invalid_scope") => {
                    return Err(AmazonError::Configuration(format!(
                        "{error}: {description}"
                    )))
                }
                (s, _) if s >= 500 || s == 429 => {
                    last = format!("LWA answered {s}");
                    self.pause(attempt, deadline).await?;
                }
                (s, _) => {
                    return Err(AmazonError::InvalidInput {
                        status: s,
                        message: format!("{error}: {description}"),
                    })
                }
            }
        }
        Err(AmazonError::Transport {
            message: last,
            attempts: 3,
        })
    }

    /// The wait between two LWA attempts.
    async fn pause(
        &self,
        attempt: u32,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(), AmazonError> {
        let d = Backoff::RETRY.delay(attempt);
        match deadline {
            Some(deadline) => wait_within(self.pacer.as_ref(), d, deadline).await,
            None => {
                self.pacer.sleep(d).await;
                Ok(())
            }
        }
    }
}
