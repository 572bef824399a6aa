//! The inventory API end to end: the 5,000-order stand-in seller of `sync_e2e`, connected
//! through the API and backfilled by the sync worker; then, through the calls the UI reads,
//! every SKU's stock figures (`GET /api/inventory`, every page) with the listing's title and
//! the catalog's main image, and every SKU's stock on every day of the backfill with the day's
//! net movement and every ledger event (`GET /api/inventory/{sku}/ledger`) equal the
//! stand-in's ground truth. The forecasts job then runs over the synced records: every SKU
//! gets a stored forecast, every alert the list shows is published once, and a second run
//! publishes nothing.

use super::helpers::*;
use super::sync_e2e::{backfilled_seller, reach_of, Backfilled};
use chrono::{Duration, NaiveDate};
use serde_json::Value;
use shared::adapters::embedded_bus::Pattern;
use shared::adapters::{EmbeddedBus, EmbeddedQueue};
use shared::ports::queue::Queue;
use shared::ports::Clock;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

async fn get(app: &TestApp, s: &Session, path: &str) -> Value {
    let r = app.call("GET", path, None, Some(&s.token)).await;
    assert!(
        r.status.is_success(),
        "GET {path}: {} {:?}",
        r.status,
        r.body
    );
    r.body
}

type EventKey = (String, String, String, String, i64, String, String, String);

#[tokio::test]
async fn inventory_stock_and_ledger_of_a_synced_seller_equal_the_ground_truth_through_the_api() {
    let Backfilled {
        c,
        session: s,
        tenant,
        account,
        states,
        ..
    } = backfilled_seller().await;
    let app = &c.app;
    let st = &c.w.st;
    let seller = &st.seller;
    let reach = reach_of(app.store.as_ref(), &tenant, &states).await;
    let ours = |m: &str| account.marketplace_ids.iter().any(|x| x == m);
    let sku_of = |p: usize| seller.products[p].sku.clone();

    // Stock per marketplace and SKU, every page of the list the UI polls.
    let mut rows: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut page = 1;
    loop {
        let b = get(
            app,
            &s,
            &format!(
                "/api/inventory?accountId={}&sku=&page={page}&limit=50&includePendingShipments=true",
                s.account_id
            ),
        )
        .await;
        let data = b["data"]["data"].as_array().unwrap().clone();
        for r in &data {
            let key = (
                r["marketplaceId"].as_str().unwrap().to_string(),
                r["sku"].as_str().unwrap().to_string(),
            );
            assert!(rows.insert(key, r.clone()).is_none(), "one row per SKU");
        }
        if data.len() < 50 {
            assert_eq!(rows.len() as u64, b["data"]["total"].as_u64().unwrap());
            break;
        }
        page += 1;
    }
    let figures = |r: &Value| -> [i64; 7] {
        [
            "quantityAvailable",
            "inboundWorking",
            "inboundShipped",
            "inboundReceiving",
            "quantityReserved",
            "unfulfillable",
            "researching",
        ]
        .map(|k| r[k].as_i64().unwrap())
    };
    let api: BTreeMap<(String, String), [i64; 7]> =
        rows.iter().map(|(k, r)| (k.clone(), figures(r))).collect();
    let truth: BTreeMap<(String, String), [i64; 7]> = seller
        .inventory
        .iter()
        .filter(|i| ours(i.marketplace_id))
        .map(|i| {
            (
                (i.marketplace_id.to_string(), sku_of(i.product)),
                [
                    i.fulfillable,
                    i.inbound_working,
                    i.inbound_shipped,
                    i.inbound_receiving,
                    i.reserved,
                    i.unfulfillable,
                    i.researching,
                ],
            )
        })
        .collect();
    assert!(truth.len() > 20, "{} SKUs", truth.len());
    assert_eq!(
        api, truth,
        "every stock figure of every SKU, through the API"
    );
    // Each row carries its listing's title and its catalog's main image.
    let listings: BTreeMap<(String, String), amazon_stand_in::listings_truth::ListingTruth> =
        amazon_stand_in::listings_truth::listings(st)
            .into_iter()
            .map(|l| ((l.marketplace_id.clone(), l.sku.clone()), l))
            .collect();
    let mut titled = 0;
    for (key, r) in &rows {
        if let Some(l) = listings.get(key) {
            assert_eq!(r["title"], l.title.as_str(), "{key:?}: title");
            assert_eq!(r["imageUrl"], l.main_image.as_str(), "{key:?}: image");
            titled += 1;
        }
    }
    assert!(
        titled * 10 >= rows.len() * 9,
        "{titled} of {} rows titled",
        rows.len()
    );

    // The ledger: each SKU's stock at the end of every day, the day's net movement, and every
    // event, per marketplace.
    let first_day = reach.date_naive();
    let last_day = seller.spec.end.date_naive();
    let mut moves: BTreeMap<(String, String), BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    let mut events_truth: BTreeMap<(String, String), BTreeMap<EventKey, usize>> = BTreeMap::new();
    for e in seller.ledger.iter().filter(|e| ours(e.marketplace_id)) {
        let key = (e.marketplace_id.to_string(), sku_of(e.product));
        *moves
            .entry(key.clone())
            .or_default()
            .entry(e.date.date_naive())
            .or_default() += e.quantity;
        if e.date >= reach {
            *events_truth
                .entry(key)
                .or_default()
                .entry((
                    shared::ports::store::rfc3339(e.date),
                    seller.products[e.product].fnsku.clone(),
                    e.event_type.to_string(),
                    e.reference_id.clone(),
                    e.quantity,
                    e.fulfillment_center.to_string(),
                    e.disposition.to_string(),
                    e.reason.to_string(),
                ))
                .or_default() += 1;
        }
    }
    assert!(moves.len() > 20);
    let kinds = [
        "receipts",
        "customerShipments",
        "customerReturns",
        "vendorReturns",
        "warehouseTransfers",
        "found",
        "lost",
        "damaged",
        "disposed",
        "otherEvents",
        "unknownEvents",
    ];
    let mut days_checked = 0;
    for ((m, sku), days) in &moves {
        let b = get(
            app,
            &s,
            &format!(
                "/api/inventory/{sku}/ledger?accountId={}&marketplaceId={m}&startDate={first_day}&endDate={last_day}",
                s.account_id
            ),
        )
        .await;
        let list = b["data"]["days"].as_array().unwrap();
        assert_eq!(
            list.len() as i64,
            (last_day - first_day).num_days() + 1,
            "{m} {sku}: one row per day"
        );
        for (i, d) in list.iter().enumerate() {
            let day = first_day + Duration::days(i as i64);
            assert_eq!(d["date"], day.to_string());
            let stock: i64 = days.range(..=day).map(|(_, q)| q).sum();
            assert_eq!(
                d["endingBalance"].as_i64().unwrap(),
                stock,
                "{m} {sku}: stock at the end of {day}"
            );
            if day > first_day {
                let before: i64 = days.range(..day).map(|(_, q)| q).sum();
                assert_eq!(d["startingBalance"].as_i64().unwrap(), before);
                let net: i64 = kinds.iter().map(|k| d[*k].as_i64().unwrap()).sum();
                assert_eq!(
                    net,
                    days.get(&day).copied().unwrap_or(0),
                    "{m} {sku}: net movement on {day}"
                );
            }
            days_checked += 1;
        }
        let mut events: BTreeMap<EventKey, usize> = BTreeMap::new();
        for e in b["data"]["events"].as_array().unwrap() {
            let str_of = |k: &str| e[k].as_str().unwrap().to_string();
            *events
                .entry((
                    str_of("at"),
                    str_of("fnsku"),
                    str_of("eventType"),
                    str_of("referenceId"),
                    e["quantity"].as_i64().unwrap(),
                    str_of("fulfillmentCenter"),
                    str_of("disposition"),
                    str_of("reason"),
                ))
                .or_default() += 1;
        }
        assert_eq!(
            events,
            events_truth
                .remove(&(m.clone(), sku.clone()))
                .unwrap_or_default(),
            "{m} {sku}: every ledger event"
        );
    }
    assert!(days_checked > 20 * 700, "{days_checked} SKU-days checked");

    // The forecasts job over the synced records: a stored forecast per SKU, each alert the
    // list shows published once, nothing published by a second run.
    app.clock.set(st.now());
    let queue = Arc::new(EmbeddedQueue::in_memory(app.clock.clone()));
    let alerts_q = queue.declare("alerts", None);
    let bus = EmbeddedBus::new(queue.clone(), app.clock.clone());
    bus.route(
        Pattern {
            source: api_inventory::job::SOURCE.into(),
            detail_types: vec![
                api_inventory::job::ALERT_RAISED.into(),
                api_inventory::job::ALERT_CLEARED.into(),
            ],
        },
        alerts_q.clone(),
    );
    let job = api_inventory::job::Forecasts {
        store: app.store.clone(),
        bus: Arc::new(bus),
        clock: app.clock.clone(),
    };
    let first = job.recompute(&tenant).await.unwrap();
    assert!(first.forecasts_written >= truth.len(), "{first:?}");
    let b = get(
        app,
        &s,
        &format!(
            "/api/inventory/forecast?accountId={}&limit=200",
            s.account_id
        ),
    )
    .await;
    for f in b["data"]["data"].as_array().unwrap() {
        assert_eq!(
            f["lastCalculatedAt"],
            shared::ports::store::rfc3339(app.clock.now()),
            "{f}"
        );
    }
    let listed = get(
        app,
        &s,
        &format!("/api/inventory/alerts/all?accountId={}", s.account_id),
    )
    .await;
    let listed: BTreeSet<String> = listed["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}#{}#{}",
                a["type"].as_str().unwrap(),
                a["marketplaceId"].as_str().unwrap(),
                a["sku"].as_str().unwrap()
            )
        })
        .collect();
    assert!(!listed.is_empty(), "the seller has alerts");
    let mut published = BTreeSet::new();
    loop {
        let got = queue
            .receive(&alerts_q, 10, Duration::minutes(5))
            .await
            .unwrap();
        if got.is_empty() {
            break;
        }
        for d in got {
            let e: Value = serde_json::from_str(&d.body).unwrap();
            assert_eq!(e["detail-type"], api_inventory::job::ALERT_RAISED);
            assert!(published.insert(e["detail"]["alertId"].as_str().unwrap().to_string()));
            queue.delete(&alerts_q, &d.receipt).await.unwrap();
        }
    }
    assert_eq!(published, listed, "each listed alert published once");
    let again = job.recompute(&tenant).await.unwrap();
    assert_eq!(
        (again.forecasts_written, again.raised, again.cleared),
        (0, 0, 0),
        "a second run over the same records writes and publishes nothing"
    );
    assert_eq!(queue.stats(&alerts_q).await.unwrap().total(), 0);
}
