//! Work a request starts but does not wait for (mail, mostly), so that answers do not depend
//! on it: a request about a known address and one about an unknown address return alike.
//!
//! In Lambda a task still running when the response is sent continues while the instance is
//! warm; mail that must never be lost belongs in a queue drained by a job (a later step).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Background(Arc<Inner>);

#[derive(Default)]
struct Inner {
    running: AtomicUsize,
    idle: Notify,
}

impl Background {
    /// Runs `work` on its own task.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let inner = self.0.clone();
        inner.running.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            work.await;
            if inner.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                inner.idle.notify_waiters();
            }
        });
    }

    /// Waits until no background work is running (tests, and a clean shutdown).
    pub async fn idle(&self) {
        loop {
            let notified = self.0.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}
