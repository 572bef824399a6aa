//! The transactional mails of identity flows.

use super::tokens::{self, Kind};
use super::users::User;
use crate::config::Config;
use crate::error::Error;
use crate::ports::mail::{Mail, Mailer};
use crate::ports::{Clock, Store};
use chrono::Duration;

/// What identity mails need: the ports and the settings (`AppState::mails` lends them).
#[derive(Clone, Copy)]
pub struct Mails<'a> {
    pub store: &'a dyn Store,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
    pub config: &'a Config,
}

impl Mails<'_> {
    /// Mails a verification link. A mail failure is logged, not returned: the user can resend.
    pub async fn send_verification(&self, user: &User) {
        send_verification(self.store, self.mailer, self.config, self.clock, user).await
    }
}

async fn send_verification(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &Config,
    clock: &dyn Clock,
    user: &User,
) {
    let now = clock.now();
    let ttl = Duration::hours(config.email_verify_ttl_hours);
    let sent = async {
        let token = tokens::issue(store, Kind::VerifyEmail, &user.id, user.email.as_str(), now, ttl).await?;
        let link = format!("{}/verify-email?token={token}", config.frontend_url);
        mailer
            .send(Mail {
                to: user.email.to_string(),
                subject: "Verify your Beddora email address".into(),
                text: format!(
                    "Welcome to Beddora{}.\n\nConfirm your email address by opening this link within {} hours:\n\n{link}\n\nIf you did not sign up, ignore this message.\n",
                    user.name.as_deref().map(|n| format!(", {n}")).unwrap_or_default(),
                    config.email_verify_ttl_hours
                ),
            })
            .await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = sent {
        tracing::error!(user_id = %user.id, error = %e, "verification mail not sent");
    }
}
