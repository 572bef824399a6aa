//! The rollups' read path and recompute batching (`shared::profit::blocks`, `recompute`):
//! coarser blocks always equal the sum of their days, also when recomputes of neighbouring
//! days race, on both store adapters; a recompute that ran before the order index caught up is
//! corrected by the rollups job's delayed re-check, with no later event.

use super::helpers::*;
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use shared::adapters::EmbeddedQueue;
use shared::keys::Tenant;
use shared::ports::bus::BusEnvelope;
use shared::ports::clock::FixedClock;
use shared::ports::store::{
    Condition, Index, Item, Key, Page, Query, Store, StoreError, TxOp, WriteOp,
};
use shared::ports::{Clock, Queue};
use shared::profit::job::{Recheck, Rollups};
use shared::profit::recompute::{apply_to, rebuild, RECHECK};
use shared::profit::{blocks, read_days, Figures, Grain, View, ALL_SKUS};
use shared::records::orders::{self as order_records, Order, OrderItem, Source};
use shared::records::transactions::{self as tx_records, TransactionRecord};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const US: &str = "ATVPDKIKX0DER";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn order(id: &str, purchased: DateTime<Utc>, sku: &str, price: Decimal) -> Order {
    Order {
        amazon_order_id: id.into(),
        marketplace_id: US.into(),
        purchase_date: purchased,
        last_updated: purchased,
        status: "SHIPPED".into(),
        fulfilled_by: Some("MERCHANT".into()),
        currency: Some("USD".into()),
        is_business: Some(false),
        items: vec![OrderItem {
            order_item_id: Some(format!("{id}-1")),
            sku: sku.into(),
            asin: None,
            quantity: 1,
            item_price: Some(price),
            shipping_price: Some(Decimal::ZERO),
            gift_wrap_price: None,
            tax: None,
            discount: None,
            breakdown: None,
        }],
        source: Source::Api,
    }
}

/// A shipment as Amazon's Finances API sends it: the principal and a referral fee.
fn shipment(
    id: &str,
    posted: DateTime<Utc>,
    order: &str,
    sku: &str,
    price: Decimal,
) -> TransactionRecord {
    let money = |a: Decimal| serde_json::json!({"currencyCode": "USD", "currencyAmount": a.to_string().parse::<f64>().unwrap()});
    let fee = Decimal::new(-150, 2);
    let v = serde_json::json!({
        "sellingPartnerMetadata": {"sellingPartnerId": "A1", "accountType": "Standard Orders", "marketplaceId": US},
        "relatedIdentifiers": [{"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": order}],
        "transactionType": "Shipment",
        "transactionId": id,
        "transactionStatus": "RELEASED",
        "description": "Order",
        "postedDate": posted.to_rfc3339(),
        "totalAmount": money(price + fee),
        "marketplaceDetails": {"marketplaceId": US, "marketplaceName": "Amazon.com"},
        "items": [{
            "description": "item",
            "totalAmount": money(price + fee),
            "contexts": [{"contextType": "ProductContext", "sku": sku, "asin": "B000TEST", "quantityShipped": 1}],
            "breakdowns": [
                {"breakdownType": "ItemPrice", "breakdownAmount": money(price),
                 "breakdowns": [{"breakdownType": "Principal", "breakdownAmount": money(price)}]},
                {"breakdownType": "ItemFees", "breakdownAmount": money(fee),
                 "breakdowns": [{"breakdownType": "Commission", "breakdownAmount": money(fee)}]}
            ]
        }]
    });
    let t: shared::amazon::models::finances::Transaction = serde_json::from_value(v).unwrap();
    TransactionRecord::from_amazon("conn", &t).unwrap()
}

async fn event(store: &dyn Store, tenant: &Tenant, detail_type: &str, detail: serde_json::Value) {
    apply_to(store, tenant, detail_type, &detail).await.unwrap();
}

fn local(t: DateTime<Utc>) -> NaiveDate {
    tx_records::local_day(US, t)
}

/// Per view: the blocks' figures of each span equal the sums of its days' rows (totals and
/// per SKU).
async fn assert_blocks_match_days(
    store: &dyn Store,
    tenant: &Tenant,
    from: NaiveDate,
    to: NaiveDate,
) {
    let spans: Vec<(NaiveDate, NaiveDate)> = vec![
        (from, to),
        (from, from),
        (from + Duration::days(1), to - Duration::days(2)),
        (from + Duration::days(3), from + Duration::days(9)),
    ];
    for view in View::ALL {
        let days = read_days(store, tenant, view, Some(US), &Grain::BySku, from, to)
            .await
            .unwrap();
        let totals = read_days(store, tenant, view, Some(US), &Grain::Total, from, to)
            .await
            .unwrap();
        for (a, b) in &spans {
            let got_sku = blocks::read_spans(store, tenant, view, US, true, &[(*a, *b)])
                .await
                .unwrap()
                .expect("blocks complete");
            let got_total = blocks::read_spans(store, tenant, view, US, false, &[(*a, *b)])
                .await
                .unwrap()
                .expect("blocks complete");
            let mut want: BTreeMap<String, Figures> = BTreeMap::new();
            for r in days.iter().filter(|r| r.day >= *a && r.day <= *b) {
                want.entry(r.sku.clone()).or_default().add(&r.native);
            }
            let got: BTreeMap<String, Figures> = got_sku
                .iter()
                .filter(|r| r.day == *a)
                .map(|r| (r.sku.clone(), r.figures.clone()))
                .collect();
            assert_eq!(got, want, "{view:?} {a}..{b} by SKU");
            let mut total = Figures::default();
            for r in totals.iter().filter(|r| r.day >= *a && r.day <= *b) {
                total.add(&r.native);
            }
            let got = got_total
                .iter()
                .find(|r| r.day == *a)
                .map(|r| r.figures.clone())
                .unwrap_or_default();
            assert_eq!(got, total, "{view:?} {a}..{b} total");
            assert!(got_total.iter().all(|r| r.sku == ALL_SKUS));
        }
    }
}

async fn racing_neighbouring_days_keep_blocks_equal_to_their_days(store: Arc<dyn Store>) {
    let tenant = Tenant::create();
    let mut tasks = tokio::task::JoinSet::new();
    // 40 orders over about three weeks, each shipped a day or two later: recomputes of
    // neighbouring days (sharing every block above them) run at once.
    for i in 0..40i64 {
        let purchased = at("2026-05-02T15:00:00Z") + Duration::hours(i * 11);
        let posted = purchased + Duration::hours(26 + (i % 3) * 7);
        let sku = format!("SKU-{}", i % 4);
        let price = Decimal::from(20 + i);
        let id = format!("112-{i:07}-0000001");
        let o = order(&id, purchased, &sku, price);
        let t = shipment(&format!("TXR{i}"), posted, &id, &sku, price);
        let (s1, s2, t1, t2) = (store.clone(), store.clone(), tenant.clone(), tenant.clone());
        tasks.spawn(async move {
            order_records::put(s1.as_ref(), &t1, &o).await.unwrap();
            event(
                s1.as_ref(),
                &t1,
                "OrdersChanged",
                serde_json::json!({"marketplaceId": US, "days": [local(purchased)]}),
            )
            .await;
        });
        tasks.spawn(async move {
            tx_records::put(s2.as_ref(), &t2, &t).await.unwrap();
            event(
                s2.as_ref(),
                &t2,
                "TransactionsChanged",
                serde_json::json!({"marketplaceId": US, "postedDays": [local(posted)]}),
            )
            .await;
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let (from, to) = (day("2026-05-01"), day("2026-05-31"));
    assert_blocks_match_days(store.as_ref(), &tenant, from, to).await;
    // The month's block figures carry every order: 40 sales in the posted view.
    let month = blocks::read_spans(
        store.as_ref(),
        &tenant,
        View::PostedDate,
        US,
        false,
        &[(from, to)],
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(month[0].figures.units_sold, 40);
    assert_eq!(
        month[0].figures.sales_revenue,
        (0..40).map(|i| Decimal::from(20 + i)).sum::<Decimal>()
    );
    // Replaying everything (a rebuild) changes no block.
    rebuild(store.as_ref(), &tenant).await.unwrap();
    let again = blocks::read_spans(
        store.as_ref(),
        &tenant,
        View::PostedDate,
        US,
        false,
        &[(from, to)],
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(again, month);
    assert_blocks_match_days(store.as_ref(), &tenant, from, to).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_neighbouring_days_keep_blocks_equal_to_their_days_on_the_embedded_store() {
    racing_neighbouring_days_keep_blocks_equal_to_their_days(TestApp::new().store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_neighbouring_days_keep_blocks_equal_to_their_days_on_dynamodb() {
    racing_neighbouring_days_keep_blocks_equal_to_their_days(
        TestApp::on_dynamodb().await.store.clone(),
    )
    .await;
}

/// A store whose order index (gsi2: an order's ledgers) answers nothing while `lagging`: what
/// DynamoDB's eventually updated index may answer right after a write.
struct Lagging {
    inner: Arc<dyn Store>,
    lagging: AtomicBool,
}

#[async_trait]
impl Store for Lagging {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        if query.index == Index::Gsi2 && self.lagging.load(Ordering::SeqCst) {
            return Ok(Page {
                items: vec![],
                cursor: None,
            });
        }
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.inner.transact(ops).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
}

async fn order_day_net(store: &dyn Store, tenant: &Tenant, d: NaiveDate) -> (Decimal, Decimal) {
    let f = read_days(
        store,
        tenant,
        View::OrderDate,
        Some(US),
        &Grain::Total,
        d,
        d,
    )
    .await
    .unwrap()
    .first()
    .map(|r| r.native.clone())
    .unwrap_or_default();
    (f.net(), f.estimated_fees)
}

async fn the_delayed_recheck_corrects_a_recompute_that_read_a_late_index(inner: Arc<dyn Store>) {
    let store = Arc::new(Lagging {
        inner,
        lagging: AtomicBool::new(false),
    });
    // A real account: the job finds its tenant by the event's id.
    let tenant = super::jobs::tenant_in(store.as_ref(), at("2026-07-01T00:00:00Z")).await;
    // The shipment is synced before its order (the finances sync ran first).
    let purchased = at("2026-07-14T18:00:00Z");
    let posted = at("2026-07-16T18:00:00Z");
    let id = "113-0000001-0000001";
    let price = Decimal::from(30);
    tx_records::put(
        store.as_ref(),
        &tenant,
        &shipment("TXL1", posted, id, "SKU-L", price),
    )
    .await
    .unwrap();
    event(
        store.as_ref(),
        &tenant,
        "TransactionsChanged",
        serde_json::json!({"marketplaceId": US, "postedDays": [local(posted)]}),
    )
    .await;
    // Then the order, whose event the job handles while the order index still lags.
    order_records::put(
        store.as_ref(),
        &tenant,
        &order(id, purchased, "SKU-L", price),
    )
    .await
    .unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-07-17T09:00:00Z")));
    let queues = Arc::new(EmbeddedQueue::in_memory(clock.clone()));
    let q = queues.declare("rollups", None);
    let job = Rollups {
        store: store.clone(),
        recheck: Some(Recheck {
            queue: queues.clone(),
            queue_ref: q.clone(),
            delay: Duration::seconds(120),
        }),
    };
    let envelope = BusEnvelope {
        id: "e1".into(),
        source: "beddora.sync".into(),
        detail_type: "OrdersChanged".into(),
        time: clock.now(),
        detail: serde_json::json!({"tenant": tenant.id().to_string(), "marketplaceId": US, "days": [local(purchased)]}),
    };
    queues
        .send(
            &q,
            &serde_json::to_string(&envelope).unwrap(),
            Duration::zero(),
        )
        .await
        .unwrap();
    store.lagging.store(true, Ordering::SeqCst);
    let got = queues.receive(&q, 10, Duration::seconds(60)).await.unwrap();
    assert_eq!(got.len(), 1);
    for (_, d) in job.many(&got).await {
        assert_eq!(d, shared::jobs::Disposition::Acknowledged);
    }
    queues.delete(&q, &got[0].receipt).await.unwrap();
    // Too early: the order looks unshipped (its price, no fee), and the shipment's posted day
    // no longer carries it: the order-date view is off by the fee.
    let d = local(purchased);
    let (net, _) = order_day_net(store.as_ref(), &tenant, d).await;
    assert_eq!(net, price);
    // The index catches up; nothing else happens but the job's own delayed re-check.
    store.lagging.store(false, Ordering::SeqCst);
    assert!(queues
        .receive(&q, 10, Duration::seconds(60))
        .await
        .unwrap()
        .is_empty());
    clock.advance(Duration::seconds(121));
    let again = queues.receive(&q, 10, Duration::seconds(60)).await.unwrap();
    assert_eq!(again.len(), 1);
    let e: BusEnvelope = serde_json::from_str(&again[0].body).unwrap();
    assert_eq!(e.detail_type, RECHECK);
    for (_, d) in job.many(&again).await {
        assert_eq!(d, shared::jobs::Disposition::Acknowledged);
    }
    queues.delete(&q, &again[0].receipt).await.unwrap();
    let fixed = order_day_net(store.as_ref(), &tenant, d).await;
    assert_eq!(fixed, (price + Decimal::new(-150, 2), Decimal::ZERO));
    // A re-check is not re-checked again.
    clock.advance(Duration::seconds(600));
    assert!(queues
        .receive(&q, 10, Duration::seconds(60))
        .await
        .unwrap()
        .is_empty());
    // What a rebuild from the sources says, and the blocks agree.
    let mut before = BTreeMap::new();
    for view in View::ALL {
        for r in read_days(
            store.as_ref(),
            &tenant,
            view,
            Some(US),
            &Grain::BySku,
            day("2026-07-01"),
            day("2026-07-31"),
        )
        .await
        .unwrap()
        {
            before.insert((view, r.sku, r.day), r.native);
        }
    }
    rebuild(store.as_ref(), &tenant).await.unwrap();
    let mut after = BTreeMap::new();
    for view in View::ALL {
        for r in read_days(
            store.as_ref(),
            &tenant,
            view,
            Some(US),
            &Grain::BySku,
            day("2026-07-01"),
            day("2026-07-31"),
        )
        .await
        .unwrap()
        {
            after.insert((view, r.sku, r.day), r.native);
        }
    }
    assert_eq!(before, after);
    assert_blocks_match_days(
        store.as_ref(),
        &tenant,
        day("2026-07-01"),
        day("2026-07-31"),
    )
    .await;
    // Later events use the links the re-check wrote, even while the index lags again.
    store.lagging.store(true, Ordering::SeqCst);
    event(
        store.as_ref(),
        &tenant,
        "OrdersChanged",
        serde_json::json!({"marketplaceId": US, "days": [d]}),
    )
    .await;
    assert_eq!(
        order_day_net(store.as_ref(), &tenant, d).await,
        (price + Decimal::new(-150, 2), Decimal::ZERO)
    );
}

#[tokio::test]
async fn the_delayed_recheck_corrects_a_recompute_that_read_a_late_index_on_the_embedded_store() {
    the_delayed_recheck_corrects_a_recompute_that_read_a_late_index(TestApp::new().store.clone())
        .await;
}

#[tokio::test]
async fn the_delayed_recheck_corrects_a_recompute_that_read_a_late_index_on_dynamodb() {
    the_delayed_recheck_corrects_a_recompute_that_read_a_late_index(
        TestApp::on_dynamodb().await.store.clone(),
    )
    .await;
}
