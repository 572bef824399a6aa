//! The profit ledger and its rollups (`shared::profit`): a 5,000-order stand-in seller synced
//! end to end with the rollups job fed by the bus, every settlement's payout reproduced to
//! 0.00 with every line drilling down to Amazon's ids, every per-day per-SKU figure of both
//! views equal to what the stand-in's own records say, every domain event replayed twice
//! changing nothing; days around DST changes in US and EU marketplaces; recomputes racing
//! source writes on both store adapters.

use super::helpers::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use shared::keys::Tenant;
use shared::ports::Store;
use shared::profit::recompute::{apply_to, rebuild};
use shared::profit::{read_days, Category, Figures, Grain, View};
use shared::records::orders::{self as order_records, Order, OrderItem, Source};
use shared::records::transactions::{self as tx_records, TransactionRecord};
use std::collections::BTreeMap;
use std::sync::Arc;

const US: &str = "ATVPDKIKX0DER";
const UK: &str = "A1F83G8C2ARO7P";
const DE: &str = "A1PA6795UKMFR9";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn currency(m: &str) -> &'static str {
    shared::marketplaces::by_id(m).unwrap().currency
}

/// A transaction as Amazon's Finances API sends it: one item of `sku` (none: account level)
/// with `lines` of (amount type, description, amount).
#[allow(clippy::too_many_arguments)]
pub(crate) fn transaction(
    id: &str,
    kind: &str,
    m: &str,
    posted: &str,
    order: Option<&str>,
    sku: Option<&str>,
    quantity: i64,
    lines: &[(&str, &str, &str)],
) -> TransactionRecord {
    let cur = currency(m);
    let money = |a: &str| serde_json::json!({"currencyCode": cur, "currencyAmount": a.parse::<f64>().unwrap()});
    let total: Decimal = lines.iter().map(|l| dec(l.2)).sum();
    type Line<'a> = &'a (&'a str, &'a str, &'a str);
    let mut groups: Vec<(&str, Vec<Line<'_>>)> = vec![];
    for l in lines {
        match groups.iter_mut().find(|g| g.0 == l.0) {
            Some(g) => g.1.push(l),
            None => groups.push((l.0, vec![l])),
        }
    }
    let breakdowns: Vec<serde_json::Value> = groups
        .iter()
        .map(|(t, ls)| {
            let sum: Decimal = ls.iter().map(|l| dec(l.2)).sum();
            serde_json::json!({"breakdownType": t, "breakdownAmount": money(&sum.to_string()),
                "breakdowns": ls.iter().map(|l| serde_json::json!({"breakdownType": l.1, "breakdownAmount": money(l.2)})).collect::<Vec<_>>()})
        })
        .collect();
    let mut item = serde_json::json!({"description": "item", "totalAmount": money(&total.to_string()), "breakdowns": breakdowns});
    if let Some(s) = sku {
        item["contexts"] = serde_json::json!([{"contextType": "ProductContext", "sku": s, "asin": "B000TEST", "quantityShipped": quantity}]);
    }
    let mut related = vec![];
    if let Some(o) = order {
        related.push(
            serde_json::json!({"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": o}),
        );
    }
    let t: shared::amazon::models::finances::Transaction =
        serde_json::from_value(serde_json::json!({
            "relatedIdentifiers": related,
            "transactionType": kind, "transactionId": id, "transactionStatus": "RELEASED",
            "description": kind, "postedDate": posted,
            "totalAmount": money(&total.to_string()),
            "marketplaceDetails": {"marketplaceId": m},
            "items": [item],
        }))
        .unwrap();
    TransactionRecord::from_amazon("conn", &t).unwrap()
}

fn order(id: &str, m: &str, purchased: &str, status: &str, sku: &str, price: &str) -> Order {
    Order {
        amazon_order_id: id.into(),
        marketplace_id: m.into(),
        purchase_date: at(purchased),
        last_updated: at(purchased),
        status: status.into(),
        fulfilled_by: Some("MERCHANT".into()),
        currency: Some(currency(m).into()),
        is_business: Some(false),
        items: vec![OrderItem {
            order_item_id: Some(format!("{id}-1")),
            sku: sku.into(),
            asin: None,
            quantity: 1,
            item_price: Some(dec(price)),
            shipping_price: Some(Decimal::ZERO),
            gift_wrap_price: None,
            tax: None,
            discount: None,
            breakdown: None,
        }],
        source: Source::Api,
    }
}

async fn transactions_changed(store: &dyn Store, tenant: &Tenant, t: &TransactionRecord) {
    tx_records::put(store, tenant, t).await.unwrap();
    apply_to(
        store,
        tenant,
        "TransactionsChanged",
        &serde_json::json!({"marketplaceId": t.marketplace_id, "postedDays": [t.posted_day]}),
    )
    .await
    .unwrap();
}

async fn orders_changed(store: &dyn Store, tenant: &Tenant, o: &Order) {
    order_records::put(store, tenant, o).await.unwrap();
    let d = tx_records::local_day(&o.marketplace_id, o.purchase_date);
    apply_to(
        store,
        tenant,
        "OrdersChanged",
        &serde_json::json!({"marketplaceId": o.marketplace_id, "days": [d], "orderIds": [o.amazon_order_id]}),
    )
    .await
    .unwrap();
}

/// Net of every (marketplace, day) total row of a view in `[from, to]`.
async fn nets(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
    from: &str,
    to: &str,
) -> BTreeMap<(String, NaiveDate), Decimal> {
    read_days(store, tenant, view, None, &Grain::Total, day(from), day(to))
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.marketplace_id, r.day), r.native.net()))
        .collect()
}

async fn sku_days(
    store: &dyn Store,
    tenant: &Tenant,
    view: View,
) -> Vec<(NaiveDate, Decimal, Decimal, i64, i64)> {
    read_days(
        store,
        tenant,
        view,
        Some(US),
        &Grain::Sku("SKU-DST".into()),
        day("2026-03-01"),
        day("2026-03-31"),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.day,
            r.native.sales_revenue,
            r.native.referral_fees,
            r.native.units_sold,
            r.native.orders,
        )
    })
    .collect()
}

#[tokio::test]
async fn days_around_dst_changes_land_on_the_marketplace_local_day() {
    let app = TestApp::new();
    let store = app.store.as_ref();
    let tenant = Tenant::create();
    let fee = |id: &str, m: &str, posted: &str, amount: &str| {
        transaction(
            id,
            "ServiceFee",
            m,
            posted,
            None,
            None,
            0,
            &[("other-transaction", "Storage Fee", amount)],
        )
    };
    for t in [
        // US: summer time starts 2026-03-08 02:00 PST; 03-08 is 23 hours, 08:00Z to 07:00Z.
        fee("A", US, "2026-03-08T07:59:59Z", "-1"),
        fee("B", US, "2026-03-08T08:00:00Z", "-2"),
        fee("C", US, "2026-03-09T06:59:59Z", "-4"),
        fee("D", US, "2026-03-09T07:00:00Z", "-8"),
        // US: winter time 2026-11-01; 11-01 is 25 hours, 07:00Z to 08:00Z next day.
        fee("E", US, "2026-11-02T07:30:00Z", "-16"),
        fee("E2", US, "2026-11-01T06:59:00Z", "-32"),
        // UK: BST from 2026-03-29 01:00Z; 03-29 ends at 23:00Z.
        fee("F", UK, "2026-03-29T23:30:00Z", "-1"),
        fee("G", UK, "2026-03-28T23:30:00Z", "-2"),
        fee("G2", UK, "2026-03-29T00:30:00Z", "-4"),
        // DE: CET from 2026-10-25 01:00Z; 10-25 runs 10-24 22:00Z to 10-25 23:00Z.
        fee("H", DE, "2026-10-24T22:30:00Z", "-1"),
        fee("I", DE, "2026-10-25T22:30:00Z", "-2"),
        fee("J", DE, "2026-10-25T23:00:00Z", "-4"),
        fee("K", DE, "2026-10-24T21:59:59Z", "-8"),
    ] {
        transactions_changed(store, &tenant, &t).await;
    }
    let want: BTreeMap<(String, NaiveDate), Decimal> = [
        (US, "2026-03-07", "-1"),
        (US, "2026-03-08", "-6"),
        (US, "2026-03-09", "-8"),
        (US, "2026-10-31", "-32"),
        (US, "2026-11-01", "-16"),
        (UK, "2026-03-28", "-2"),
        (UK, "2026-03-29", "-4"),
        (UK, "2026-03-30", "-1"),
        (DE, "2026-10-24", "-8"),
        (DE, "2026-10-25", "-3"),
        (DE, "2026-10-26", "-4"),
    ]
    .into_iter()
    .map(|(m, d, a)| ((m.to_string(), day(d)), dec(a)))
    .collect();
    assert_eq!(
        nets(store, &tenant, View::PostedDate, "2026-03-01", "2026-11-30").await,
        want
    );

    // An order placed late on the evening before the switch, shipped after it: its sale is on
    // the order's local day in the order-date view, on the posting day in the cash view.
    let o = order(
        "111-0000001-0000001",
        US,
        "2026-03-08T07:30:00Z",
        "SHIPPED",
        "SKU-DST",
        "20.00",
    );
    orders_changed(store, &tenant, &o).await;
    let ship = transaction(
        "S1",
        "Shipment",
        US,
        "2026-03-09T07:30:00Z",
        Some(&o.amazon_order_id),
        Some("SKU-DST"),
        1,
        &[
            ("ItemPrice", "Principal", "20.00"),
            ("ItemFees", "Commission", "-3.00"),
        ],
    );
    transactions_changed(store, &tenant, &ship).await;
    assert_eq!(
        sku_days(store, &tenant, View::OrderDate).await,
        vec![(day("2026-03-07"), dec("20.00"), dec("-3.00"), 1, 1)]
    );
    assert_eq!(
        sku_days(store, &tenant, View::PostedDate).await,
        vec![(day("2026-03-09"), dec("20.00"), dec("-3.00"), 1, 1)]
    );
    // An unshipped German order in the last minute of the 25-hour day: estimated, that day.
    let late = order(
        "302-0000001-0000001",
        DE,
        "2026-10-25T22:59:00Z",
        "UNSHIPPED",
        "SKU-DE",
        "30.00",
    );
    orders_changed(store, &tenant, &late).await;
    let rows = read_days(
        store,
        &tenant,
        View::OrderDate,
        Some(DE),
        &Grain::Sku("SKU-DE".into()),
        day("2026-10-01"),
        day("2026-10-31"),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].day,
            rows[0].native.principal,
            rows[0].currency.as_str()
        ),
        (day("2026-10-25"), dec("30.00"), "EUR")
    );
}

/// Orders and their shipments written and announced by parallel tasks, each source and its
/// event racing the others' recomputes of the same days: the figures end as the sources say.
async fn racing_writes_and_recomputes_converge(store: Arc<dyn Store>) {
    let tenant = Tenant::create();
    let mut tasks = tokio::task::JoinSet::new();
    let mut want: BTreeMap<(View, String, NaiveDate), Figures> = BTreeMap::new();
    for i in 0..30i64 {
        let purchased = at("2026-05-01T12:00:00Z") + Duration::hours(i * 5);
        let posted = purchased + Duration::hours(30);
        let sku = format!("SKU-{}", i % 3);
        let price = Decimal::from(10 + i);
        let id = format!("111-{i:07}-0000001");
        let o = order(
            &id,
            US,
            &purchased.to_rfc3339(),
            "SHIPPED",
            &sku,
            &price.to_string(),
        );
        let t = transaction(
            &format!("TX{i}"),
            "Shipment",
            US,
            &posted.to_rfc3339(),
            Some(&id),
            Some(&sku),
            1,
            &[
                ("ItemPrice", "Principal", &price.to_string()),
                ("ItemFees", "Commission", "-1.50"),
            ],
        );
        for (view, when) in [(View::OrderDate, purchased), (View::PostedDate, posted)] {
            let d = amazon_stand_in::ground_truth::local_day(US, when);
            let f = want.entry((view, sku.clone(), d)).or_default();
            f.add_amount(Category::Principal, price);
            f.add_amount(Category::ReferralFees, dec("-1.50"));
            f.units_sold += 1;
            f.orders += 1;
            f.lines += 2;
        }
        let (s1, s2, t1, t2) = (store.clone(), store.clone(), tenant.clone(), tenant.clone());
        tasks.spawn(async move { orders_changed(s1.as_ref(), &t1, &o).await });
        tasks.spawn(async move { transactions_changed(s2.as_ref(), &t2, &t).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let mut got = BTreeMap::new();
    for view in View::ALL {
        for r in read_days(
            store.as_ref(),
            &tenant,
            view,
            Some(US),
            &Grain::BySku,
            day("2026-04-30"),
            day("2026-05-31"),
        )
        .await
        .unwrap()
        {
            got.insert((view, r.sku, r.day), r.native);
        }
    }
    assert_eq!(got, want);
    // A full rebuild from the sources agrees with what the racing events left.
    rebuild(store.as_ref(), &tenant).await.unwrap();
    let mut again = BTreeMap::new();
    for view in View::ALL {
        for r in read_days(
            store.as_ref(),
            &tenant,
            view,
            Some(US),
            &Grain::BySku,
            day("2026-04-30"),
            day("2026-05-31"),
        )
        .await
        .unwrap()
        {
            again.insert((view, r.sku, r.day), r.native);
        }
    }
    assert_eq!(again, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writes_and_recomputes_converge_on_the_embedded_store() {
    racing_writes_and_recomputes_converge(TestApp::new().store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writes_and_recomputes_converge_on_dynamodb() {
    racing_writes_and_recomputes_converge(TestApp::on_dynamodb().await.store.clone()).await;
}

/// Counts what a store is asked for: calls, items and bytes read, items written.
#[derive(Default)]
struct Counts {
    calls: std::sync::atomic::AtomicUsize,
    items_read: std::sync::atomic::AtomicUsize,
    bytes_read: std::sync::atomic::AtomicUsize,
    items_written: std::sync::atomic::AtomicUsize,
}

struct Counting {
    inner: Arc<dyn Store>,
    counts: Counts,
}

impl Counting {
    fn read(&self, items: &[shared::ports::store::Item]) {
        use std::sync::atomic::Ordering::Relaxed;
        self.counts.calls.fetch_add(1, Relaxed);
        self.counts.items_read.fetch_add(items.len(), Relaxed);
        let bytes: usize = items
            .iter()
            .map(|i| serde_json::to_string(i).unwrap().len())
            .sum();
        self.counts.bytes_read.fetch_add(bytes, Relaxed);
    }
    fn wrote(&self, n: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.counts.calls.fetch_add(1, Relaxed);
        self.counts.items_written.fetch_add(n, Relaxed);
    }
    fn take(&self) -> [usize; 4] {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.counts;
        [
            c.calls.swap(0, Relaxed),
            c.items_read.swap(0, Relaxed),
            c.bytes_read.swap(0, Relaxed),
            c.items_written.swap(0, Relaxed),
        ]
    }
}

#[async_trait::async_trait]
impl Store for Counting {
    async fn get(
        &self,
        key: &shared::ports::store::Key,
    ) -> Result<Option<shared::ports::store::Item>, shared::ports::store::StoreError> {
        let r = self.inner.get(key).await?;
        self.read(r.as_slice());
        Ok(r)
    }
    async fn put(
        &self,
        item: shared::ports::store::Item,
        c: Option<shared::ports::store::Condition>,
    ) -> Result<(), shared::ports::store::StoreError> {
        self.wrote(1);
        self.inner.put(item, c).await
    }
    async fn delete(
        &self,
        key: &shared::ports::store::Key,
        c: Option<shared::ports::store::Condition>,
    ) -> Result<(), shared::ports::store::StoreError> {
        self.wrote(1);
        self.inner.delete(key, c).await
    }
    async fn query(
        &self,
        q: shared::ports::store::Query,
    ) -> Result<shared::ports::store::Page, shared::ports::store::StoreError> {
        let p = self.inner.query(q).await?;
        self.read(&p.items);
        Ok(p)
    }
    async fn transact(
        &self,
        ops: Vec<shared::ports::store::TxOp>,
    ) -> Result<(), shared::ports::store::StoreError> {
        self.wrote(ops.len());
        self.inner.transact(ops).await
    }
    async fn batch_get(
        &self,
        keys: &[shared::ports::store::Key],
    ) -> Result<Vec<shared::ports::store::Item>, shared::ports::store::StoreError> {
        let r = self.inner.batch_get(keys).await?;
        self.read(&r);
        Ok(r)
    }
    async fn batch_write(
        &self,
        ops: Vec<shared::ports::store::WriteOp>,
    ) -> Result<(), shared::ports::store::StoreError> {
        self.wrote(ops.len());
        self.inner.batch_write(ops).await
    }
}

/// The cost of one recompute after one order changes, on a day as busy as a 100,000-order
/// year's (about 275 orders a day, shipped, plus one not shipped yet whose price changes):
/// store calls, items and bytes read, items written (printed; run with `--nocapture`).
#[tokio::test]
async fn one_order_changing_recomputes_its_day_and_rewrites_only_what_changed() {
    let store = Arc::new(Counting {
        inner: TestApp::new().store.clone(),
        counts: Counts::default(),
    });
    let tenant = Tenant::create();
    for i in 0..275i64 {
        let purchased = at("2026-06-10T07:30:00Z") + Duration::minutes(i * 5);
        let id = format!("111-{i:07}-0000002");
        let sku = format!("SKU-{}", i % 40);
        let o = order(&id, US, &purchased.to_rfc3339(), "SHIPPED", &sku, "25.00");
        order_records::put(store.as_ref(), &tenant, &o)
            .await
            .unwrap();
        let t = transaction(
            &format!("TXB{i}"),
            "Shipment",
            US,
            &(purchased + Duration::hours(20)).to_rfc3339(),
            Some(&id),
            Some(&sku),
            1,
            &[
                ("ItemPrice", "Principal", "25.00"),
                ("ItemFees", "Commission", "-3.75"),
                ("ItemFees", "FBAPerUnitFulfillmentFee", "-4.10"),
            ],
        );
        tx_records::put(store.as_ref(), &tenant, &t).await.unwrap();
    }
    let mut open = order(
        "111-9999999-0000002",
        US,
        "2026-06-10T20:00:00Z",
        "UNSHIPPED",
        "SKU-OPEN",
        "40.00",
    );
    order_records::put(store.as_ref(), &tenant, &open)
        .await
        .unwrap();
    rebuild(store.as_ref(), &tenant).await.unwrap();
    store.take();

    // The buyer's order changes (a new price): one OrdersChanged event for its day.
    open.last_updated += Duration::minutes(10);
    open.items[0].item_price = Some(dec("35.00"));
    order_records::put(store.as_ref(), &tenant, &open)
        .await
        .unwrap();
    store.take();
    let out = apply_to(
        store.as_ref(),
        &tenant,
        "OrdersChanged",
        &serde_json::json!({"marketplaceId": US, "days": ["2026-06-10"], "orderIds": [open.amazon_order_id]}),
    )
    .await
    .unwrap();
    let [calls, items, bytes, written] = store.take();
    eprintln!(
        "one order changed: {} days recomputed, {calls} store calls, {items} items / {bytes} bytes read, {written} items written ({} rollup rows)",
        out.days.len(),
        out.rows_written
    );
    // Only the order's SKU row and its day's total changed.
    assert_eq!(out.rows_written, 2);
    let row = read_days(
        store.as_ref(),
        &tenant,
        View::OrderDate,
        Some(US),
        &Grain::Sku("SKU-OPEN".into()),
        day("2026-06-10"),
        day("2026-06-10"),
    )
    .await
    .unwrap();
    assert_eq!(row[0].native.principal, dec("35.00"));
}
