//! The smallest `lambda_runtime` function: answers every event with `{"ok":true}`. Used only
//! as the baseline of `infra/bench/cold_start.py`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({"ok": true}))
    }))
    .await
}
