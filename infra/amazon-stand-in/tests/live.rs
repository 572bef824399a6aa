//! Live selling: on the virtual clock, the seller keeps taking orders, shipping, refunding,
//! releasing deferred money and closing settlements, each with its notification, and the
//! ground truth keeps including all of it.

mod common;

use amazon_stand_in::ground_truth::GroundTruth;
use amazon_stand_in::model::{OrderStatus, TxKind};
use amazon_stand_in::notifications::MemorySink;
use amazon_stand_in::server::unbalanced_settlements;
use amazon_stand_in::{generate, StandIn};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:beddora-notifications";
const KINDS: &[&str] = &[
    "ORDER_CHANGE",
    "TRANSACTION_UPDATE",
    "REPORT_PROCESSING_FINISHED",
];

/// Subscribes the three types to one destination and returns the sink they arrive in.
async fn subscribe(st: &Arc<StandIn>) -> Arc<MemorySink> {
    let form = format!(
        "grant_type=client_credentials&scope=sellingpartnerapi::notifications&client_id={}&client_secret={}",
        st.apps.client_id, st.apps.client_secret
    );
    let r = call(
        st,
        "POST",
        "/auth/o2/token",
        None,
        Some(("application/x-www-form-urlencoded", form)),
    )
    .await;
    let grantless = r.json()["access_token"].as_str().unwrap().to_string();
    let seller = access_token(st).await;
    let d = call(
        st,
        "POST",
        "/notifications/v1/destinations",
        Some(&grantless),
        Some((
            "application/json",
            json!({"name": "q", "resourceSpecification": {"sqs": {"arn": ARN}}}).to_string(),
        )),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    let dest = d.json()["payload"]["destinationId"]
        .as_str()
        .unwrap()
        .to_string();
    for kind in KINDS {
        let r = call(
            st,
            "POST",
            &format!("/notifications/v1/subscriptions/{kind}"),
            Some(&seller),
            Some((
                "application/json",
                json!({"payloadVersion": "1.0", "destinationId": dest}).to_string(),
            )),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let sink = Arc::new(MemorySink::default());
    st.set_sink(sink.clone());
    sink
}

/// Every page of a list call, following `token_field` (in `payload` or at the top).
async fn all_pages(
    st: &Arc<StandIn>,
    token: &str,
    path: &str,
    query: &str,
    list: &str,
    next: &str,
) -> Vec<Value> {
    let mut out = vec![];
    let mut uri = format!("{path}?{query}");
    loop {
        let r = call(st, "GET", &uri, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.json());
        let v = r.json();
        let body = if v.get("payload").is_some() {
            v["payload"].clone()
        } else {
            v.clone()
        };
        out.extend(body[list].as_array().cloned().unwrap_or_default());
        let token = body[next]
            .as_str()
            .or_else(|| body["pagination"]["nextToken"].as_str());
        match token {
            Some(t) => uri = format!("{path}?{next}={}", urlencode(t)),
            None => return out,
        }
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = vec![];
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A flat-file amount, with the decimal comma some marketplaces' files use.
fn amount_of(text: &str) -> Decimal {
    let t = if text.contains(',') {
        text.replace('.', "").replace(',', ".")
    } else {
        text.to_string()
    };
    t.parse().unwrap_or_else(|_| panic!("amount {text:?}"))
}

fn iso(t: DateTime<Utc>) -> String {
    urlencode(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn messages(sink: &MemorySink) -> Vec<Value> {
    sink.0
        .lock()
        .unwrap()
        .iter()
        .map(|(arn, b)| {
            assert_eq!(arn, ARN);
            serde_json::from_str(b).unwrap()
        })
        .collect()
}

fn kind(m: &Value) -> &str {
    m["NotificationType"]
        .as_str()
        .or(m["notificationType"].as_str())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_seller_keeps_selling_on_the_clock_with_notifications_and_a_balanced_ground_truth() {
    let st = StandIn::virtual_clock(generate(&spec(5_000)), false);
    let sink = subscribe(&st).await;
    let end = st.seller.spec.end;
    let history = st.seller.clone();
    st.start_live().await;
    // Thirty days, ticking every six hours.
    for _ in 0..120 {
        st.advance(Duration::hours(6));
        st.live_tick().await.unwrap();
    }
    let now = st.now();
    let s = st.seller_now();
    let token = access_token(&st).await;

    // New orders at the pace of the last four weeks of history.
    let recent = history
        .orders
        .iter()
        .filter(|o| o.purchase_date > end - Duration::days(28))
        .count() as f64;
    let expected = recent * 30.0 / 28.0;
    let fresh: Vec<_> = s.orders.iter().filter(|o| o.purchase_date > end).collect();
    assert!(
        (fresh.len() as f64) > expected * 0.6 && (fresh.len() as f64) < expected * 1.5,
        "{} new orders in 30 days, history's pace gives {expected:.0}",
        fresh.len()
    );
    // ...seen through the Orders API, shipped or cancelled after being pending.
    let markets: Vec<&str> = s.marketplaces.iter().map(|m| m.id).collect();
    let api = all_pages(
        &st,
        &token,
        "/orders/2026-01-01/orders",
        &format!(
            "createdAfter={}&marketplaceIds={}",
            iso(end + Duration::seconds(1)),
            markets.join(",")
        ),
        "orders",
        "paginationToken",
    )
    .await;
    let visible = fresh
        .iter()
        .filter(|o| o.purchase_date < now - Duration::minutes(2))
        .count();
    assert_eq!(api.len(), visible);
    let old: Vec<_> = fresh
        .iter()
        .filter(|o| o.purchase_date < now - Duration::days(3))
        .collect();
    assert!(old
        .iter()
        .all(|o| matches!(o.status, OrderStatus::Shipped | OrderStatus::Canceled)));
    assert!(old.iter().any(|o| o.status == OrderStatus::Shipped));
    // Orders pending when the history ended have shipped.
    for o in history
        .orders
        .iter()
        .filter(|o| o.status == OrderStatus::Pending)
    {
        assert_eq!(
            s.order(&o.id).unwrap().status,
            OrderStatus::Shipped,
            "{}",
            o.id
        );
    }

    // Their money: shipments and refunds posted, some still deferred, the rest released.
    let posted: Vec<_> = s.transactions.iter().filter(|t| t.posted > end).collect();
    assert!(posted.iter().any(|t| t.kind == TxKind::Refund));
    let shipped_since = s
        .orders
        .iter()
        .filter(|o| o.ship_date.is_some_and(|d| d > end))
        .count();
    assert_eq!(
        posted.iter().filter(|t| t.kind == TxKind::Shipment).count(),
        shipped_since
    );
    let listed = all_pages(
        &st,
        &token,
        "/finances/2024-06-19/transactions",
        &format!("postedAfter={}", iso(end + Duration::seconds(1))),
        "transactions",
        "nextToken",
    )
    .await;
    let listable = posted
        .iter()
        .filter(|t| t.posted < now - Duration::minutes(2))
        .count();
    assert_eq!(listed.len(), listable);
    let statuses: BTreeSet<&str> = listed
        .iter()
        .filter_map(|t| t["transactionStatus"].as_str())
        .collect();
    assert!(
        statuses.contains("DEFERRED") && statuses.contains("RELEASED"),
        "{statuses:?}"
    );
    // Deferred money of the history was released into the groups open at its release.
    for t in history
        .transactions
        .iter()
        .filter(|t| t.settlement.is_none())
    {
        let now_t = s.transactions.iter().find(|x| x.id == t.id).unwrap();
        if t.release <= now {
            let g = &s.settlements[now_t.settlement.expect("released")];
            assert!(g.start <= t.release && t.release < g.end, "{}", t.id);
        }
    }

    // A settlement closed every 14 days in each marketplace, with a balanced payout, and its
    // reports were announced once ready.
    let closed: Vec<_> = s
        .settlements
        .iter()
        .filter(|g| g.closed && g.end > end)
        .collect();
    assert!(closed.len() >= 2 * s.marketplaces.len());
    assert!(unbalanced_settlements(&s).is_empty());
    let groups = all_pages(
        &st,
        &token,
        "/finances/v0/financialEventGroups",
        &format!(
            "FinancialEventGroupStartedAfter={}",
            iso(end - Duration::days(15))
        ),
        "FinancialEventGroupList",
        "NextToken",
    )
    .await;
    for g in &closed {
        let api = groups
            .iter()
            .find(|x| x["FinancialEventGroupId"] == g.group_id)
            .unwrap_or_else(|| panic!("group {} not listed", g.group_id));
        assert_eq!(api["ProcessingStatus"], "Closed");
        let amount: Decimal = api["OriginalTotal"]["CurrencyAmount"]
            .to_string()
            .parse()
            .unwrap();
        assert_eq!(amount, g.total);
    }

    // The ground truth includes the new money: per settlement, its lines sum to the payout.
    let truth = st.ground_truth();
    assert_eq!(truth.amounts, GroundTruth::of(&s).amounts);
    let mut by_settlement: BTreeMap<String, Decimal> = BTreeMap::new();
    for (k, v) in &truth.amounts {
        if let Some(id) = &k.settlement_id {
            *by_settlement.entry(id.clone()).or_default() += *v;
        }
    }
    for p in truth.payouts.iter().filter(|p| p.end > end) {
        assert_eq!(
            by_settlement
                .get(&p.settlement_id)
                .copied()
                .unwrap_or_default(),
            p.total,
            "settlement {}",
            p.settlement_id
        );
    }
    let fresh_money: Decimal = posted.iter().map(|t| t.total()).sum();
    let truth_total: Decimal = truth.amounts.values().copied().sum();
    let history_total: Decimal = history.transactions.iter().map(|t| t.total()).sum();
    assert_eq!(truth_total, history_total + fresh_money);

    // Notifications: one ORDER_CHANGE per change of every new order, one TRANSACTION_UPDATE
    // per posted transaction (and per release of deferred money), both settlement reports.
    let msgs = messages(&sink);
    let order_changes: BTreeSet<&str> = msgs
        .iter()
        .filter(|m| kind(m) == "ORDER_CHANGE")
        .filter_map(|m| m["Payload"]["OrderChangeNotification"]["AmazonOrderId"].as_str())
        .collect();
    assert!(fresh.iter().all(|o| order_changes.contains(o.id.as_str())));
    let shipped_msgs = msgs
        .iter()
        .filter(|m| m["Payload"]["OrderChangeNotification"]["Summary"]["OrderStatus"] == "Shipped")
        .count();
    assert_eq!(shipped_msgs, shipped_since);
    let tx_updates: BTreeSet<&str> = msgs
        .iter()
        .filter(|m| kind(m) == "TRANSACTION_UPDATE")
        .filter_map(|m| m["Payload"]["TransactionUpdateNotification"]["TransactionId"].as_str())
        .collect();
    assert!(posted.iter().all(|t| tx_updates.contains(t.id.as_str())));
    let reports: BTreeSet<&str> = msgs
        .iter()
        .filter(|m| kind(m) == "REPORT_PROCESSING_FINISHED")
        .filter_map(|m| m["payload"]["reportProcessingFinishedNotification"]["reportId"].as_str())
        .collect();
    let settlement_reports = all_pages(
        &st,
        &token,
        "/reports/2021-06-30/reports",
        "reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&pageSize=100",
        "reports",
        "nextToken",
    )
    .await;
    for g in closed
        .iter()
        .filter(|g| g.deposit_date.unwrap() + Duration::seconds(90) <= now)
    {
        assert!(reports.contains(format!("S{}", g.id).as_str()), "{}", g.id);
        assert!(reports.contains(format!("L{}", g.id).as_str()), "{}", g.id);
        let listed = settlement_reports
            .iter()
            .find(|r| r["reportId"] == format!("S{}", g.id))
            .unwrap_or_else(|| panic!("report of {} not listed", g.id));
        assert_eq!(listed["processingStatus"], "DONE");
    }
    // The settlement file of each marketplace's first new settlement: its rows sum to its payout.
    let mut seen = BTreeSet::new();
    for g in closed
        .iter()
        .filter(|g| g.deposit_date.unwrap() + Duration::seconds(90) <= now)
        .filter(|g| seen.insert(g.marketplace_id))
    {
        let doc = call(
            &st,
            "GET",
            &format!(
                "/reports/2021-06-30/documents/amzn1.spdoc.settlement.{}",
                g.id
            ),
            Some(&token),
            None,
        )
        .await
        .json();
        let url = doc["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no document: {doc}"))
            .replace("http://stand-in.test", "");
        let file = call(&st, "GET", &url, None, None).await;
        let bytes = gunzip(&file.bytes);
        let (text, _, _) = encoding_rs::Encoding::for_label(
            file.headers["content-type"]
                .to_str()
                .unwrap()
                .split("charset=")
                .nth(1)
                .unwrap_or("UTF-8")
                .as_bytes(),
        )
        .unwrap()
        .decode(&bytes);
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let summary: Vec<&str> = lines.next().unwrap().split('\t').collect();
        assert_eq!(summary[col("settlement-id")], g.id);
        let rows: Decimal = lines
            .map(|l| amount_of(l.split('\t').nth(col("amount")).unwrap()))
            .sum();
        assert_eq!(amount_of(summary[col("total-amount")]), g.total);
        assert_eq!(rows, g.total, "settlement {}: rows sum to the payout", g.id);
    }

    // The open groups are the only ones not closed, one per marketplace.
    assert_eq!(
        s.settlements.iter().filter(|g| !g.closed).count(),
        s.marketplaces.len()
    );
}

#[tokio::test]
async fn the_seller_at_an_instant_does_not_depend_on_how_often_it_ticked() {
    let a = StandIn::virtual_clock(generate(&spec(3_000)), false);
    let b = StandIn::virtual_clock(generate(&spec(3_000)), false);
    for _ in 0..(20 * 24) {
        a.advance(Duration::hours(1));
        a.live_tick().await.unwrap();
    }
    b.advance(Duration::days(20));
    let tick = b.live_tick().await.unwrap();
    assert!(tick.orders > 0 && tick.transactions > 0 && tick.settlements_closed > 0);
    let (sa, sb) = (a.seller_now(), b.seller_now());
    let orders = |s: &amazon_stand_in::Seller| {
        s.orders
            .iter()
            .map(|o| (o.id.clone(), o.status, o.last_update, o.ship_date))
            .collect::<Vec<_>>()
    };
    assert_eq!(orders(&sa), orders(&sb));
    let txs = |s: &amazon_stand_in::Seller| {
        s.transactions
            .iter()
            .map(|t| (t.id.clone(), t.posted, t.release, t.total(), t.settlement))
            .collect::<Vec<_>>()
    };
    assert_eq!(txs(&sa), txs(&sb));
    let groups = |s: &amazon_stand_in::Seller| {
        s.settlements
            .iter()
            .map(|g| (g.id.clone(), g.closed, g.total, g.transactions.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(groups(&sa), groups(&sb));
    assert_eq!(a.ground_truth().amounts, b.ground_truth().amounts);
}
