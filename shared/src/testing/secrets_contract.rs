//! The secrets port's contract.

use super::unique;
use crate::ports::secrets::{Secrets, SecretsError};
use secrecy::{ExposeSecret, SecretString};

pub async fn run_all(secrets: &dyn Secrets) {
    let name = unique("beddora/test/secret").replace('#', "-");
    assert!(
        secrets.get(&name).await.expect("get missing").is_none(),
        "a missing secret reads as None"
    );
    secrets
        .put(&name, SecretString::from("first"))
        .await
        .expect("create");
    assert_eq!(
        secrets.get(&name).await.unwrap().unwrap().expose_secret(),
        "first"
    );
    secrets
        .put(
            &name,
            SecretString::from("{\"refreshToken\":\"Atzr|second\"}"),
        )
        .await
        .expect("replace");
    assert_eq!(
        secrets.get(&name).await.unwrap().unwrap().expose_secret(),
        "{\"refreshToken\":\"Atzr|second\"}"
    );
    secrets.delete(&name).await.expect("delete");
    assert!(
        secrets.get(&name).await.unwrap().is_none(),
        "a deleted secret reads as None"
    );
    secrets.delete(&name).await.expect("deleting twice is fine");
    secrets
        .put(&name, SecretString::from("again"))
        .await
        .expect("re-create after delete");
    assert_eq!(
        secrets.get(&name).await.unwrap().unwrap().expose_secret(),
        "again"
    );
    assert!(matches!(
        secrets
            .put("bad name with spaces", SecretString::from("x"))
            .await,
        Err(SecretsError::InvalidName(_))
    ));
    let printed = format!("{:?}", secrets.get(&name).await.unwrap().unwrap());
    assert!(
        !printed.contains("again"),
        "Debug never shows a secret's value"
    );
}
