//! Each port's contract suite against every adapter: embedded, and AWS through moto.

use shared::adapters::{
    DynamoStore, EmbeddedSecrets, EmbeddedStore, Outbox, SecretsManager, SmtpMailer,
};
use shared::ports::{FixedClock, Mailer};
use shared::testing::{mail_contract, secrets_contract, smtp_sink::SmtpSink, store_contract};
use std::sync::Arc;

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(super::helpers::start_time()))
}

/// moto's endpoint, set by the test command (`infra/test.sh`). Never skipped: without it the
/// AWS-adapter tests fail and say how to run them.
fn moto_endpoint() -> String {
    std::env::var("BEDDORA_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!("BEDDORA_TEST_AWS_ENDPOINT is not set: run the tests with ./infra/test.sh, which starts moto (the AWS emulator)")
    })
}

pub(crate) async fn sdk() -> aws_config::SdkConfig {
    // The production configuration, so the contracts run over the client the Lambdas ship.
    shared::bootstrap::sdk_config_with(
        aws_config::Region::new("us-east-1"),
        aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "tests"),
        Some(moto_endpoint()),
    )
}

/// A fresh table shaped like template.yaml's (keys, two GSIs), deleted afterwards.
pub struct TempTable {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

impl TempTable {
    pub async fn create() -> Self {
        use aws_sdk_dynamodb::types::*;
        let client = aws_sdk_dynamodb::Client::new(&sdk().await);
        let name = format!("beddora-test-{}", uuid::Uuid::new_v4());
        let attr = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        let key = |n: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(t)
                .build()
                .unwrap()
        };
        let gsi = |n: &str, pk: &str, sk: &str| {
            GlobalSecondaryIndex::builder()
                .index_name(n)
                .key_schema(key(pk, KeyType::Hash))
                .key_schema(key(sk, KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap()
        };
        client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
                    .map(attr)
                    .to_vec(),
            ))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .global_secondary_indexes(gsi("gsi1", "gsi1pk", "gsi1sk"))
            .global_secondary_indexes(gsi("gsi2", "gsi2pk", "gsi2sk"))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "create table on moto at {}: {}",
                    moto_endpoint(),
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                )
            });
        Self { client, name }
    }

    pub async fn drop(self) {
        let _ = self
            .client
            .delete_table()
            .table_name(&self.name)
            .send()
            .await;
    }
}

#[tokio::test]
async fn store_contract_on_embedded_store() {
    let clock = clock();
    let store = EmbeddedStore::in_memory(clock.clone());
    store_contract::run_all(&store, clock.now_epoch()).await;
}

#[tokio::test]
async fn store_contract_on_embedded_store_file_survives_reopen() {
    let dir = std::env::temp_dir().join(format!("beddora-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.redb");
    let clock = clock();
    {
        let store = EmbeddedStore::open(&path, clock.clone()).unwrap();
        store_contract::run_all(&store, clock.now_epoch()).await;
        shared::ports::Store::put(
            &store,
            shared::identity::ItemBuilder::new("KEEP", "ME")
                .s("v", "1")
                .build(),
            None,
        )
        .await
        .unwrap();
    }
    let reopened = EmbeddedStore::open(&path, clock.clone()).unwrap();
    let got = shared::ports::Store::get(&reopened, &shared::ports::store::Key::new("KEEP", "ME"))
        .await
        .unwrap();
    assert!(got.is_some(), "data persists across reopen");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn store_contract_on_dynamodb_via_moto() {
    let table = TempTable::create().await;
    let clock = clock();
    let store = DynamoStore::new(table.client.clone(), &table.name, clock.clone());
    store_contract::run_all(&store, clock.now_epoch()).await;
    table.drop().await;
}

#[tokio::test]
async fn secrets_contract_on_embedded_secrets() {
    secrets_contract::run_all(&EmbeddedSecrets::in_memory()).await;
}

#[tokio::test]
async fn secrets_contract_on_secrets_manager_via_moto() {
    let client = aws_sdk_secretsmanager::Client::new(&sdk().await);
    secrets_contract::run_all(&SecretsManager::new(client)).await;
}

#[tokio::test]
async fn mail_contract_on_outbox() {
    let outbox = Outbox::new();
    let read = outbox.clone();
    mail_contract::run_all(&outbox, || {
        let r = read.clone();
        async move { r.messages() }
    })
    .await;
}

#[tokio::test]
async fn mail_contract_on_smtp() {
    let (sink, port) = SmtpSink::start().await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Beddora <no-reply@beddora.test>",
    )
    .unwrap();
    let m: &dyn Mailer = &mailer;
    mail_contract::run_all(m, || {
        let s = sink.clone();
        async move { s.received() }
    })
    .await;
}
