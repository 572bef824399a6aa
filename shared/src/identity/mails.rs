//! The transactional mails of identity flows. Each is sent off the request path (on
//! [`crate::http::Background`]): the answer to the request never waits for, or depends on,
//! whether a mail went out, so it reveals nothing about the address. A failure is logged;
//! the user can ask again.

use super::tokens::{self, Kind};
use super::users::User;
use crate::domain::Email;
use crate::error::Error;
use crate::http::AppState;
use crate::ports::mail::Mail;
use chrono::Duration;
use std::future::Future;

fn dispatch(
    state: &AppState,
    what: &'static str,
    work: impl Future<Output = Result<(), Error>> + Send + 'static,
) {
    state.background.spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, mail = what, "mail not sent");
        }
    });
}

async fn link_mail(
    state: &AppState,
    kind: Kind,
    user: &User,
    ttl: Duration,
    path: &str,
    subject: &str,
    text: impl FnOnce(&str) -> String,
) -> Result<(), Error> {
    let now = state.clock.now();
    let token = tokens::issue(
        state.store.as_ref(),
        kind,
        &user.id,
        user.email.as_str(),
        now,
        ttl,
    )
    .await?;
    let link = format!("{}{path}?token={token}", state.config.frontend_url);
    state
        .mailer
        .send(Mail {
            to: user.email.to_string(),
            subject: subject.into(),
            text: text(&link),
        })
        .await?;
    Ok(())
}

/// Mails a verification link.
pub fn send_verification(state: &AppState, user: &User) {
    let (state, user) = (state.clone(), user.clone());
    let s = state.clone();
    dispatch(&s, "verification", async move {
        let hours = state.config.email_verify_ttl_hours;
        let greeting = user
            .name
            .as_deref()
            .map(|n| format!(", {n}"))
            .unwrap_or_default();
        link_mail(&state, Kind::VerifyEmail, &user, Duration::hours(hours), "/verify-email", "Verify your Beddora email address", |link| {
            format!("Welcome to Beddora{greeting}.\n\nConfirm your email address by opening this link within {hours} hours:\n\n{link}\n\nIf you did not sign up, ignore this message.\n")
        })
        .await
    });
}

/// Mails a password-reset link.
pub fn send_reset(state: &AppState, user: &User) {
    let (state, user) = (state.clone(), user.clone());
    let s = state.clone();
    dispatch(&s, "reset", async move {
        let minutes = state.config.password_reset_ttl_minutes;
        link_mail(&state, Kind::ResetPassword, &user, Duration::minutes(minutes), "/reset-password", "Reset your Beddora password", |link| {
            format!("Someone asked to reset the password of your Beddora account.\n\nOpen this link within {minutes} minutes to choose a new one:\n\n{link}\n\nIf it was not you, ignore this message: your password stays as it is.\n")
        })
        .await
    });
}

/// Mails a link that confirms a new address to that address; the change happens when it is
/// followed. If the address belongs to another account, its owner is told instead. Either
/// way the request that asked gets the same answer.
pub fn send_email_change(state: &AppState, user: &User, new: &Email) {
    let (state, mut user, new) = (state.clone(), user.clone(), new.clone());
    let s = state.clone();
    dispatch(&s, "email-change", async move {
        let store = state.store.as_ref();
        if super::users::find_by_email(store, &new).await?.is_some() {
            let url = &state.config.frontend_url;
            state
                .mailer
                .send(Mail {
                    to: new.to_string(),
                    subject: "Your Beddora account".into(),
                    text: format!("Someone asked to move another Beddora account to this address, which already has one. Nothing was changed.\n\nIf you want to sign in, go to {url}/login.\n"),
                })
                .await?;
            return Ok(());
        }
        let hours = state.config.email_verify_ttl_hours;
        user.email = new;
        link_mail(&state, Kind::ChangeEmail, &user, Duration::hours(hours), "/verify-email", "Confirm your new Beddora email address", |link| {
            format!("Confirm that this is the new address of your Beddora account by opening this link within {hours} hours:\n\n{link}\n\nUntil then your account keeps its current address. If you did not ask for this, ignore this message.\n")
        })
        .await
    });
}

/// Mails an invitation to join an account.
pub fn send_invitation(state: &AppState, to: &Email, account_name: &str, role: &str, token: &str) {
    let url = &state.config.frontend_url;
    let days = super::invitations::TTL.num_days();
    send(
        state,
        "invitation",
        Mail {
            to: to.to_string(),
            subject: format!("You are invited to {account_name} on Beddora"),
            text: format!("You are invited to join the Beddora account \"{account_name}\" as {role}.\n\nTo accept, open this link within {days} days and sign in (or register) with this address:\n\n{url}/accept-invitation?token={token}\n\nIf you do not want to join, ignore this message: nothing happens without your acceptance.\n"),
        },
    );
}

/// How long a mailed sign-in link works.
pub const SIGN_IN_TTL: Duration = Duration::minutes(15);

/// Mails a single-use sign-in link: how the owner gets past a login throttle that someone
/// else's guessing has raised.
pub fn send_sign_in_link(state: &AppState, user: &User) {
    let (state, user) = (state.clone(), user.clone());
    let s = state.clone();
    dispatch(&s, "sign-in", async move {
        let minutes = SIGN_IN_TTL.num_minutes();
        link_mail(&state, Kind::SignIn, &user, SIGN_IN_TTL, "/sign-in", "Your Beddora sign-in link", |link| {
            format!("Sign-in attempts on your Beddora account are being slowed down because of repeated wrong passwords.\n\nTo sign in anyway, open this link within {minutes} minutes (it works once):\n\n{link}\n\nIf the wrong passwords were not yours, consider changing your password after signing in.\n")
        })
        .await
    });
}

/// Tells the owner of an address that someone tried to register it again (instead of telling
/// the one registering that the address is taken).
pub fn send_already_registered(state: &AppState, to: &Email) {
    let (state, to) = (state.clone(), to.clone());
    let s = state.clone();
    dispatch(&s, "already-registered", async move {
        let url = &state.config.frontend_url;
        state
            .mailer
            .send(Mail {
                to: to.to_string(),
                subject: "Your Beddora account".into(),
                text: format!("Someone tried to create a Beddora account with this address, which already has one.\n\nIf it was you, sign in at {url}/login, or reset your password at {url}/forgot-password.\nIf it was not you, ignore this message.\n"),
            })
            .await?;
        Ok(())
    });
}

/// Sends any prepared mail off the request path.
pub fn send(state: &AppState, what: &'static str, mail: Mail) {
    let s = state.clone();
    dispatch(state, what, async move {
        s.mailer.send(mail).await?;
        Ok(())
    });
}
