//! Ports: the small async traits behind which everything outside the process lives.
//! Each has a production adapter and an embedded one; `crate::testing` holds the contract
//! suites that prove both behave the same.

pub mod bus;
pub mod clock;
pub mod mail;
pub mod queue;
pub mod secrets;
pub mod store;

pub use bus::{DomainEvent, EventBus};
pub use clock::{Clock, FixedClock, Pacer, SystemClock};
pub use mail::{Mail, Mailer};
pub use queue::{Queue, QueueRef};
pub use secrets::Secrets;
pub use store::Store;
