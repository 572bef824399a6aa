//! The stand-in's own benchmark (not a test): generate a seller, then serve its full backfill
//! the way a sync would fetch it (orders reports in 30-day windows per marketplace, every
//! Finances transaction in 180-day windows, every settlement file), in process, on the
//! virtual clock. Prints wall time, simulated time, call counts and peak memory.

use crate::server::{router, StandIn};
use crate::{generate, SellerSpec};
use axum::body::Body;
use axum::http::Request;
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

async fn get(
    st: &Arc<StandIn>,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<String>,
) -> (u16, Vec<u8>) {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "bench")
        .header("x-amz-access-token", token);
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let res = router(st.clone())
        .oneshot(
            b.body(body.map(Body::from).unwrap_or_default())
                .expect("request"),
        )
        .await
        .expect("infallible");
    let status = res.status().as_u16();
    (
        status,
        res.into_body()
            .collect()
            .await
            .map(|c| c.to_bytes().to_vec())
            .unwrap_or_default(),
    )
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

pub async fn run(orders: usize) {
    let t0 = std::time::Instant::now();
    let seller = generate(&SellerSpec {
        orders,
        ..Default::default()
    });
    let gen_time = t0.elapsed();
    let gen_rss = peak_rss_mib();
    println!(
        "generate: {orders} orders, {} transactions, {} settlements in {:.2?}; peak RSS {:.0} MiB",
        seller.transactions.len(),
        seller.settlements.len(),
        gen_time,
        gen_rss
    );
    let markets: Vec<&'static str> = seller.marketplaces.iter().map(|m| m.id).collect();
    let (end, days) = (seller.spec.end, seller.spec.history_days);
    let st = StandIn::virtual_clock(seller, true);
    // The token endpoint is exercised by the tests; here mint one directly.
    let token = st.bench_access_token();
    let t1 = std::time::Instant::now();
    let (mut rows, mut bytes, mut txs) = (0usize, 0usize, 0usize);
    for mid in &markets {
        let mut from = end - Duration::days(days);
        while from < end {
            let to = (from + Duration::days(30)).min(end);
            let spec = serde_json::json!({"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "marketplaceIds": [mid], "dataStartTime": from, "dataEndTime": to});
            let id = json(
                &get(
                    &st,
                    "POST",
                    "/reports/2021-06-30/reports",
                    &token,
                    Some(spec.to_string()),
                )
                .await
                .1,
            )["reportId"]
                .as_str()
                .expect("report id")
                .to_string();
            st.advance(Duration::seconds(90));
            let rep = json(
                &get(
                    &st,
                    "GET",
                    &format!("/reports/2021-06-30/reports/{id}"),
                    &token,
                    None,
                )
                .await
                .1,
            );
            let doc = json(
                &get(
                    &st,
                    "GET",
                    &format!(
                        "/reports/2021-06-30/documents/{}",
                        rep["reportDocumentId"].as_str().expect("done")
                    ),
                    &token,
                    None,
                )
                .await
                .1,
            );
            let (_, file) = get(
                &st,
                "GET",
                &doc["url"]
                    .as_str()
                    .expect("url")
                    .replace("http://bench", ""),
                &token,
                None,
            )
            .await;
            bytes += file.len();
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&file[..]), &mut text)
                .expect("gzip");
            rows += text.iter().filter(|b| **b == b'\n').count() - 1;
            from = to;
        }
    }
    let mut after = end - Duration::days(days + 30);
    while after < end {
        let before = (after + Duration::days(180)).min(st.now() - Duration::minutes(3));
        let mut uri = format!(
            "/finances/2024-06-19/transactions?postedAfter={}&postedBefore={}",
            after.to_rfc3339(),
            before.to_rfc3339()
        )
        .replace('+', "%2B");
        loop {
            let (_, b) = get(&st, "GET", &uri, &token, None).await;
            bytes += b.len();
            let v = json(&b);
            txs += v["payload"]["transactions"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0);
            match v["payload"]["nextToken"].as_str() {
                Some(n) => uri = format!("/finances/2024-06-19/transactions?nextToken={n}"),
                None => break,
            }
        }
        after = before;
    }
    let list = json(&get(&st, "GET", "/reports/2021-06-30/reports?reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&pageSize=100", &token, None).await.1);
    for r in list["reports"].as_array().cloned().unwrap_or_default() {
        let doc = json(
            &get(
                &st,
                "GET",
                &format!(
                    "/reports/2021-06-30/documents/{}",
                    r["reportDocumentId"].as_str().unwrap_or_default()
                ),
                &token,
                None,
            )
            .await
            .1,
        );
        bytes += get(
            &st,
            "GET",
            &doc["url"]
                .as_str()
                .unwrap_or_default()
                .replace("http://bench", ""),
            &token,
            None,
        )
        .await
        .1
        .len();
    }
    let calls: u64 = st.stats().values().map(|s| s.calls).sum();
    println!(
        "backfill: {rows} order rows, {txs} transactions, {:.1} MiB sent, {calls} calls in {:.2?} wall, {:.1} h simulated; peak RSS {:.0} MiB",
        bytes as f64 / 1048576.0,
        t1.elapsed(),
        (st.now() - end).num_seconds() as f64 / 3600.0,
        peak_rss_mib()
    );
}
