//! A minimal SMTP server on loopback that records what it receives: enough of RFC 5321 for
//! the SMTP adapter's contract test (EHLO, MAIL, RCPT, DATA with dot-unstuffing, QUIT).

use crate::ports::mail::Mail;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
pub struct SmtpSink {
    received: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    /// Starts the sink; returns it and the port it listens on.
    pub async fn start() -> (Self, u16) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind smtp sink");
        let port = listener.local_addr().expect("addr").port();
        let sink = SmtpSink::default();
        let store = sink.received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (r, mut w) = stream.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut to = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250 sink\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            to = line[8..].trim().trim_matches(['<', '>']).to_string();
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut data = Vec::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
                            }
                            store.lock().expect("sink lock").push(parse(&to, &data));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        if w.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (sink, port)
    }

    pub fn received(&self) -> Vec<Mail> {
        self.received.lock().expect("sink lock").clone()
    }
}

fn parse(to: &str, data: &[String]) -> Mail {
    let split = data.iter().position(|l| l.is_empty()).unwrap_or(data.len());
    let subject = data[..split]
        .iter()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default()
        .to_string();
    let body = data.get(split + 1..).unwrap_or_default().join("\n");
    Mail {
        to: to.to_string(),
        subject,
        text: body,
    }
}
