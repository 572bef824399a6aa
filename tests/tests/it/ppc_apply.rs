//! Changes applied through the guarded apply path against the stand-in, on both store
//! adapters: two applies and two reverts of one batch at once (exactly one of each wins, the
//! stand-in's bids end right, the history is consistent); a campaign's state and daily budget
//! changed, refused and reverted like bids; the `ppc` sync type starting the Ads datasets.

use super::ppc_consent::{seller, Fx};
use amazon_stand_in::ads::{current_bid, current_campaign};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::ppc::optimise;
use shared::sync::{self, Dataset};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn number(v: &Value) -> Decimal {
    match v {
        Value::String(s) => dec(s),
        Value::Number(n) => dec(&n.to_string()),
        other => panic!("not a number: {other}"),
    }
}

/// The keywords of the seller's first campaign (of the connection's profiles) that are
/// enabled, with their bids on the stand-in now.
fn keywords(f: &Fx) -> Vec<(i64, Decimal)> {
    let st = &f.ppc.w.st;
    let c = st
        .seller
        .campaigns
        .iter()
        .find(|c| {
            st.seller.ads_profiles[c.profile].country_code == "US"
                && c.ad_groups.iter().any(|g| !g.keywords.is_empty())
        })
        .expect("a US campaign with keywords");
    c.ad_groups
        .iter()
        .flat_map(|g| &g.keywords)
        .filter_map(|k| {
            let (bid, state) = current_bid(st, k.id)?;
            (state == "ENABLED").then_some((k.id, bid))
        })
        .collect()
}

async fn race(f: Fx) {
    f.consented().await;
    let before = keywords(&f);
    assert!(before.len() >= 2, "{before:?}");
    let ids: Vec<String> = before.iter().map(|(id, _)| id.to_string()).collect();
    let new_bid = dec("1.37");
    assert!(before.iter().all(|(_, b)| *b != new_bid));
    let body = json!({"accountId": f.s.account_id, "targetType": "keyword", "targetIds": ids, "newBid": "1.37", "preview": false});
    let (a, b) = tokio::join!(
        f.call("POST", "/api/ppc/bulk/bid-update", Some(body.clone()), true),
        f.call("POST", "/api/ppc/bulk/bid-update", Some(body.clone()), true),
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let won = if a.0 == StatusCode::OK { &a.1 } else { &b.1 };
    assert_eq!(won["data"]["applied"], before.len(), "{won:?}");
    assert_eq!(won["data"]["failed"], 0);
    for (id, _) in &before {
        assert_eq!(current_bid(&f.ppc.w.st, *id).unwrap().0, new_bid, "{id}");
    }
    let history = optimise::batches(f.store(), &f.ppc.tenant).await.unwrap();
    assert_eq!(history.len(), 1, "one batch: {history:?}");
    let batch = &history[0];
    assert_eq!(batch.id, won["data"]["historyId"].as_str().unwrap());
    for (id, bid) in &before {
        let item = batch.items.iter().find(|i| i.id == id.to_string()).unwrap();
        assert_eq!(
            (item.previous_bid, item.new_bid, item.ok),
            (*bid, new_bid, true)
        );
    }

    // Two reverts of the batch at once: one restores the bids, the other is refused.
    let revert = json!({"accountId": f.s.account_id, "historyId": batch.id});
    let (a, b) = tokio::join!(
        f.call("POST", "/api/ppc/bulk/revert", Some(revert.clone()), true),
        f.call("POST", "/api/ppc/bulk/revert", Some(revert.clone()), true),
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let won = if a.0 == StatusCode::OK { &a.1 } else { &b.1 };
    for (id, bid) in &before {
        assert_eq!(
            current_bid(&f.ppc.w.st, *id).unwrap().0,
            *bid,
            "{id} reverted"
        );
    }
    let history = optimise::batches(f.store(), &f.ppc.tenant).await.unwrap();
    assert_eq!(history.len(), 2, "the batch and one revert: {history:?}");
    let reverting = history.iter().find(|b| b.id != batch.id).unwrap();
    let original = history.iter().find(|b| b.id == batch.id).unwrap();
    assert_eq!(reverting.id, won["data"]["historyId"].as_str().unwrap());
    assert_eq!(reverting.action_type, "revert");
    assert_eq!(reverting.revert_of.as_deref(), Some(original.id.as_str()));
    assert_eq!(original.reverted_by.as_deref(), Some(reverting.id.as_str()));
    assert_eq!(reverting.items.len(), before.len());
    let (again, _) = f
        .call("POST", "/api/ppc/bulk/revert", Some(revert), true)
        .await;
    assert_eq!(again, StatusCode::CONFLICT);
    f.done().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_and_two_reverts_of_one_batch_one_wins_each() {
    race(seller(false).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_and_two_reverts_of_one_batch_one_wins_each_on_dynamodb() {
    race(seller(true).await).await;
}

async fn campaign_update(f: Fx) {
    f.consented().await;
    let st = &f.ppc.w.st;
    let campaigns: Vec<i64> = st
        .seller
        .campaigns
        .iter()
        .filter(|c| st.seller.ads_profiles[c.profile].country_code == "US" && c.state == "ENABLED")
        .map(|c| c.id)
        .collect();
    let (id, other) = (campaigns[0], campaigns[1]);
    let before = current_campaign(st, id).unwrap();
    let path = |id: i64| format!("/api/ppc/campaigns/{id}?accountId={}", f.s.account_id);

    // Bad input changes nothing.
    for body in [
        json!({}),
        json!({"state": "deleted"}),
        json!({"dailyBudget": 0}),
        json!({"dailyBudget": "12.345"}),
        json!({"budget": {"budget": 5, "budgetType": "LIFETIME"}}),
    ] {
        let (code, r) = f.call("PATCH", &path(id), Some(body.clone()), true).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{body}: {r:?}");
    }
    let (code, _) = f
        .call("PATCH", &path(123), Some(json!({"state": "paused"})), true)
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(current_campaign(st, id).unwrap(), before);

    // Paused with a new budget, on Amazon and in what the API reads.
    let (code, r) = f
        .call(
            "PATCH",
            &path(id),
            Some(json!({"state": "paused", "dailyBudget": 42.5})),
            true,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r:?}");
    assert_eq!(current_campaign(st, id).unwrap(), (dec("42.5"), "PAUSED"));
    let item = &r["data"]["items"][0];
    assert_eq!(item["state"], "PAUSED");
    assert_eq!(item["previousState"], "ENABLED");
    let (_, read) = f.call("GET", &path(id), None, true).await;
    assert_eq!(read["data"]["state"], "PAUSED");
    assert_eq!(number(&read["data"]["budget"]), dec("42.5"));
    let batch = r["data"]["historyId"].as_str().unwrap().to_string();

    // A budget Amazon refuses (below its minimum): 422 with its reason, nothing changed.
    let (code, r) = f
        .call(
            "PATCH",
            &path(other),
            Some(json!({"budget": {"budget": 0.5, "budgetType": "DAILY"}})),
            true,
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    assert!(
        r["message"].as_str().unwrap().contains("rangeError"),
        "{r:?}"
    );
    assert_eq!(current_campaign(st, other).unwrap().1, "ENABLED");

    // Reverted like any batch.
    let (code, r) = f
        .call(
            "POST",
            "/api/ppc/bulk/revert",
            Some(json!({"accountId": f.s.account_id, "historyId": batch})),
            true,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r:?}");
    assert_eq!(current_campaign(st, id).unwrap(), before);
    let (_, h) = f
        .call(
            "GET",
            &format!("/api/ppc/bulk/history?accountId={}", f.s.account_id),
            None,
            true,
        )
        .await;
    let mut kinds: Vec<&str> = h["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["actionType"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["campaign-update", "campaign-update", "revert"]);

    // The `ppc` sync type starts the Ads datasets now.
    let later = st.now() + chrono::Duration::hours(1);
    f.ppc.run(Dataset::AdsReports).await;
    let r = f
        ._app
        .call(
            "POST",
            "/api/amazon/sync/trigger",
            Some(json!({"amazonAccountId": f.ppc.account.id, "syncType": "ppc"})),
            Some(&f.s.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["data"]["jobs"].as_array().unwrap().len(), 2);
    for d in [Dataset::AdsEntities, Dataset::AdsReports] {
        let s = sync::get(f.store(), &f.ppc.tenant, f.ppc.account.id.as_str(), d)
            .await
            .unwrap()
            .unwrap();
        assert!(s.next_due < later, "{d} due: {s:?}");
    }
    f.done().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_state_and_budget_go_through_the_apply_path() {
    campaign_update(seller(false).await).await;
}
