//! Lambda entry point of the inventory endpoint group.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::bootstrap::aws_state().await?;
    lambda_http::run(api_inventory::router(state)).await
}
