//! Lambda entry point of the profit endpoint group.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::bootstrap::aws_state().await?;
    lambda_http::run(api_profit::router(state)).await
}
