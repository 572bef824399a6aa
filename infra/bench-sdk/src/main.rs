//! The cold-start baseline that does what every API function's init does on AWS, and nothing
//! else: builds the SDK configuration the same way, creates the same DynamoDB and
//! Secrets Manager clients and reads one secret (`APP_SECRET_NAME`), then answers every event
//! with `{"ok":true}`. Used only by `infra/bench/cold_start.py`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let name = std::env::var("APP_SECRET_NAME")?;
    let sdk = shared::bootstrap::sdk_config()?;
    let _table = aws_sdk_dynamodb::Client::new(&sdk);
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret = secrets.get_secret_value().secret_id(name).send().await?;
    let len = secret.secret_string().map_or(0, str::len);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        Ok::<_, Error>(json!({"ok": true, "secretBytes": len}))
    }))
    .await
}
