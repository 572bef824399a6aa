//! The outbox mailer: keeps every message in memory and logs it (with its links), so the
//! local runner shows the verification mail and tests can read what was sent.

use crate::ports::mail::{Mail, MailError, Mailer};
use async_trait::async_trait;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Outbox {
    sent: Arc<Mutex<Vec<Mail>>>,
    file: Option<PathBuf>,
    print: bool,
}

impl Outbox {
    /// An outbox that only remembers (for tests).
    pub fn new() -> Self {
        Self::default()
    }

    /// An outbox that also prints each message to stderr and appends it to `file`.
    pub fn printing(file: Option<PathBuf>) -> Self {
        Self {
            sent: Arc::default(),
            file,
            print: true,
        }
    }

    /// Every message sent so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        self.sent.lock().expect("outbox lock").clone()
    }

    /// The last message sent to `to`.
    pub fn last_to(&self, to: &str) -> Option<Mail> {
        self.messages().into_iter().rev().find(|m| m.to == to)
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        if !mail.to.contains('@') {
            return Err(MailError::Invalid(format!("bad recipient {:?}", mail.to)));
        }
        let text = format!(
            "----- mail to {} -----\nSubject: {}\n\n{}\n-----------------------\n",
            mail.to, mail.subject, mail.text
        );
        if self.print {
            eprint!("{text}");
        }
        if let Some(path) = &self.file {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| MailError::Transport(e.to_string()))?;
            f.write_all(text.as_bytes())
                .map_err(|e| MailError::Transport(e.to_string()))?;
        }
        self.sent.lock().expect("outbox lock").push(mail);
        Ok(())
    }
}
