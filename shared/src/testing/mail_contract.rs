//! The mail port's contract: what is sent arrives whole, bad recipients are refused.

use crate::ports::mail::{Mail, Mailer};

/// `received` reads back what the adapter under test delivered, newest last.
pub async fn run_all<F, Fut>(mailer: &dyn Mailer, received: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<Mail>>,
{
    let link = "http://localhost:5100/verify-email?token=abc123";
    mailer
        .send(Mail {
            to: "someone@example.com".into(),
            subject: "Verify your email".into(),
            text: format!("Open {link} to verify."),
        })
        .await
        .expect("send");
    let got = received().await;
    let last = got.last().expect("one message delivered");
    assert_eq!(last.to, "someone@example.com");
    assert_eq!(last.subject, "Verify your email");
    assert!(
        last.text.contains(link),
        "the body (with its link) arrives intact: {:?}",
        last.text
    );
    let bad = mailer
        .send(Mail {
            to: "not-an-address".into(),
            subject: "x".into(),
            text: "x".into(),
        })
        .await;
    assert!(bad.is_err(), "a malformed recipient is refused");
    assert_eq!(
        received().await.len(),
        got.len(),
        "nothing is delivered for a refused message"
    );
}
