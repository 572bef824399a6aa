//! Adapters: the production implementations of the ports (AWS, SMTP) and the embedded ones
//! (redb files, outbox) that the local runner and the fast tests use.

pub mod embedded_bus;
pub mod embedded_queue;
pub mod embedded_secrets;
pub mod embedded_store;
pub mod outbox;
pub mod smtp;

#[cfg(feature = "aws")]
pub mod dynamodb;
#[cfg(feature = "aws")]
pub mod eventbridge;
#[cfg(feature = "aws")]
pub mod secrets_manager;
#[cfg(feature = "aws")]
pub mod sqs;

pub use embedded_bus::EmbeddedBus;
pub use embedded_queue::EmbeddedQueue;
pub use embedded_secrets::EmbeddedSecrets;
pub use embedded_store::EmbeddedStore;
pub use outbox::Outbox;
pub use smtp::SmtpMailer;

#[cfg(feature = "aws")]
pub use dynamodb::DynamoStore;
#[cfg(feature = "aws")]
pub use eventbridge::EventBridgeBus;
#[cfg(feature = "aws")]
pub use secrets_manager::SecretsManager;
#[cfg(feature = "aws")]
pub use sqs::SqsQueue;
