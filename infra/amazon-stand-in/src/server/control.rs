//! Control endpoints (`/_stand-in/...`) and the payout check used by tests and the CLI.

use super::*;

pub(super) async fn control_stats(State(st): State<Shared>) -> Response {
    let clock = st.clock.lock().expect("clock").clone();
    Json(json!({"operations": st.stats(), "now": ts(clock.now()), "simulatedElapsedSeconds": clock.elapsed().num_milliseconds() as f64 / 1000.0})).into_response()
}

pub(super) async fn control_clock(State(st): State<Shared>) -> Response {
    Json(json!({"now": ts(st.now())})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Advance {
    seconds: i64,
}

pub(super) async fn control_advance(State(st): State<Shared>, Json(a): Json<Advance>) -> Response {
    st.advance(Duration::seconds(a.seconds));
    Json(json!({"now": ts(st.now())})).into_response()
}

pub(super) async fn control_fault(
    State(st): State<Shared>,
    Json(rule): Json<FaultRule>,
) -> Response {
    st.add_fault(rule);
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn control_clear_faults(State(st): State<Shared>) -> Response {
    st.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn control_ground_truth(State(st): State<Shared>) -> Response {
    let mut truth = st.ground_truth().to_json();
    truth["inbound"] = crate::inbound::truth_json(&st);
    Json(truth).into_response()
}

pub(super) async fn control_refresh_token(State(st): State<Shared>) -> Response {
    Json(json!({"refreshToken": st.issue_refresh_token(), "sellingPartnerId": st.seller.seller_id}))
        .into_response()
}

pub(super) async fn control_revoke(State(st): State<Shared>) -> Response {
    st.revoke_refresh_tokens();
    StatusCode::NO_CONTENT.into_response()
}

/// Payout check used by tests and the CLI: closed settlements whose total differs from the
/// sum of their transactions.
pub fn unbalanced_settlements(seller: &Seller) -> Vec<String> {
    seller
        .settlements
        .iter()
        .filter(|s| {
            s.transactions
                .iter()
                .map(|&i| seller.transactions[i].total())
                .sum::<rust_decimal::Decimal>()
                != s.total
        })
        .map(|s| s.id.clone())
        .collect()
}
