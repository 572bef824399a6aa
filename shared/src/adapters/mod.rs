//! Adapters: the production implementations of the ports (AWS, SMTP) and the embedded ones
//! (redb files, outbox) that the local runner and the fast tests use, behind the `embedded`
//! feature so they never ship in a Lambda.

#[cfg(feature = "embedded")]
pub mod embedded_bus;
#[cfg(feature = "embedded")]
pub mod embedded_queue;
#[cfg(feature = "embedded")]
pub mod embedded_secrets;
#[cfg(feature = "embedded")]
pub mod embedded_store;
#[cfg(feature = "embedded")]
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

#[cfg(feature = "embedded")]
pub use embedded_bus::EmbeddedBus;
#[cfg(feature = "embedded")]
pub use embedded_queue::EmbeddedQueue;
#[cfg(feature = "embedded")]
pub use embedded_secrets::EmbeddedSecrets;
#[cfg(feature = "embedded")]
pub use embedded_store::EmbeddedStore;
#[cfg(feature = "embedded")]
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
