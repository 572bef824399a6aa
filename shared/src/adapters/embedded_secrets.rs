//! Embedded secrets: a redb file (or memory) holding secret values, for the local runner and
//! tests. Same contract as Secrets Manager; no encryption, so never for production data.

use crate::ports::secrets::{validate_name, Secrets, SecretsError};
use async_trait::async_trait;
use redb::{Database, TableDefinition};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use std::sync::Arc;

const SECRETS: TableDefinition<&str, &str> = TableDefinition::new("secrets");

#[derive(Clone)]
pub struct EmbeddedSecrets {
    db: Arc<Database>,
}

fn unavailable(e: impl std::fmt::Display) -> SecretsError {
    SecretsError::Unavailable(e.to_string())
}

impl EmbeddedSecrets {
    pub fn open(path: &Path) -> Result<Self, SecretsError> {
        Self::init(Database::create(path).map_err(unavailable)?)
    }

    pub fn in_memory() -> Self {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory redb");
        Self::init(db).expect("in-memory secrets table")
    }

    fn init(db: Database) -> Result<Self, SecretsError> {
        let tx = db.begin_write().map_err(unavailable)?;
        tx.open_table(SECRETS).map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(Self { db: Arc::new(db) })
    }

    fn write(&self, name: &str, value: Option<&str>) -> Result<(), SecretsError> {
        let tx = self.db.begin_write().map_err(unavailable)?;
        {
            let mut t = tx.open_table(SECRETS).map_err(unavailable)?;
            match value {
                Some(v) => {
                    t.insert(name, v).map_err(unavailable)?;
                }
                None => {
                    t.remove(name).map_err(unavailable)?;
                }
            }
        }
        tx.commit().map_err(unavailable)
    }
}

#[async_trait]
impl Secrets for EmbeddedSecrets {
    async fn get(&self, name: &str) -> Result<Option<SecretString>, SecretsError> {
        validate_name(name)?;
        let tx = self.db.begin_read().map_err(unavailable)?;
        let t = tx.open_table(SECRETS).map_err(unavailable)?;
        let v = t.get(name).map_err(unavailable)?;
        Ok(v.map(|v| SecretString::from(v.value().to_string())))
    }

    async fn put(&self, name: &str, value: SecretString) -> Result<(), SecretsError> {
        validate_name(name)?;
        self.write(name, Some(value.expose_secret()))
    }

    async fn delete(&self, name: &str) -> Result<(), SecretsError> {
        validate_name(name)?;
        self.write(name, None)
    }
}
