//! The transactional mails of identity flows.

use super::tokens::{self, Kind};
use super::users::User;
use crate::error::Error;
use crate::http::AppState;
use crate::ports::mail::Mail;
use chrono::Duration;

/// Mails a verification link. A mail failure is logged, not returned: the user can resend.
pub async fn send_verification(state: &AppState, user: &User) {
    let ttl = Duration::hours(state.config.email_verify_ttl_hours);
    let sent = async {
        let token = tokens::issue(state.store.as_ref(), Kind::VerifyEmail, &user.id, user.email.as_str(), state.clock.now(), ttl).await?;
        let link = format!("{}/verify-email?token={token}", state.config.frontend_url);
        state
            .mailer
            .send(Mail {
                to: user.email.to_string(),
                subject: "Verify your Beddora email address".into(),
                text: format!(
                    "Welcome to Beddora{}.\n\nConfirm your email address by opening this link within {} hours:\n\n{link}\n\nIf you did not sign up, ignore this message.\n",
                    user.name.as_deref().map(|n| format!(", {n}")).unwrap_or_default(),
                    state.config.email_verify_ttl_hours
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
