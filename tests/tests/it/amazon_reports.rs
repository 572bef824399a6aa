//! The report pipeline against the stand-in: create, wait on the virtual clock, download and
//! stream rows in the file's charset and locale; plus what the client must never log.

use super::amazon_client::{client, context, world, Virtual};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use shared::amazon::endpoints::SpApiEndpoint;
use shared::amazon::models::tokens;
use shared::amazon::reports::{parse_amount, read_rows, DecimalStyle, Reports};
use shared::marketplaces::Region;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn reports_are_created_awaited_and_streamed_by_column_name() {
    let w = world(1200).await;
    let (_, api) = client(&w);
    let reports = Reports::new(Arc::new(api));
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let s = context(&w, "conn-r", &refresh);
    let end = w.st.seller.spec.end;
    let start = end - chrono::Duration::days(30);
    for mid in ["ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1VC38T7YXB528"] {
        let style =
            DecimalStyle::of_report("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", mid);
        let id = reports
            .create(
                &s,
                "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
                &[mid],
                Some(start),
                Some(end),
            )
            .await
            .unwrap();
        let doc = reports.wait(&s, &id).await.unwrap().expect("a document");
        let url = reports.document_url(&s, &doc).await.unwrap();
        let totals = Arc::new(Mutex::new((0u64, Decimal::ZERO, Vec::<String>::new())));
        let t = totals.clone();
        let streamed =
            shared::amazon::reports::stream_document(&reqwest::Client::new(), &url, move |row| {
                let mut t = t.lock().unwrap();
                t.0 += 1;
                if let Some(a) = row.amount("item-price", style)? {
                    t.1 += a;
                }
                t.2.push(row.get("product-name").unwrap_or_default().to_string());
                Ok(())
            })
            .await
            .unwrap();
        let (rows, sum, names) = totals.lock().unwrap().clone();
        // Expected straight from the generated orders.
        let orders: Vec<_> =
            w.st.seller
                .orders
                .iter()
                .filter(|o| {
                    o.marketplace_id == mid && o.purchase_date >= start && o.purchase_date < end
                })
                .collect();
        let expected_rows: usize = orders.iter().map(|o| o.items.len()).sum();
        let expected_sum: Decimal = orders
            .iter()
            .filter(|o| o.status != amazon_stand_in::model::OrderStatus::Pending)
            .flat_map(|o| o.items.iter())
            .map(|i| i.principal)
            .sum();
        assert_eq!(
            (rows as usize, streamed.rows as usize),
            (expected_rows, expected_rows),
            "{mid}: every row"
        );
        assert_eq!(
            sum, expected_sum,
            "{mid}: item prices to the cent, in the file's locale"
        );
        if mid == "A1VC38T7YXB528" {
            assert!(
                names.iter().any(|n| n.contains("まな板")
                    || n.contains("水筒")
                    || n.contains("ヨガマット")
                    || n.contains("デスクライト")
                    || n.contains("コーヒーミル")),
                "Shift_JIS decoded"
            );
        }
    }
    // The simulated time the waits took is accounted, not slept.
    assert!(w.st.now() > end);
}

#[test]
fn amounts_parse_in_both_locales_and_blanks_are_absent() {
    assert_eq!(
        parse_amount("1.234,56", DecimalStyle::Comma).unwrap(),
        Some(Decimal::new(123456, 2))
    );
    assert_eq!(
        parse_amount("-0,10", DecimalStyle::Comma).unwrap(),
        Some(Decimal::new(-10, 2))
    );
    assert_eq!(
        parse_amount("1,234.56", DecimalStyle::Point).unwrap(),
        Some(Decimal::new(123456, 2))
    );
    assert_eq!(parse_amount("", DecimalStyle::Point).unwrap(), None);
    assert_eq!(parse_amount("--", DecimalStyle::Point).unwrap(), None);
    assert!(parse_amount("abc", DecimalStyle::Point).is_err());
    let text = "a\tb\r\n1\t2\r\n\r\n3\t4\n";
    let mut seen = vec![];
    let n = read_rows(text.as_bytes(), |r| {
        seen.push((
            r.get("a").unwrap().to_string(),
            r.get("b").unwrap().to_string(),
        ));
        Ok(())
    })
    .unwrap();
    assert_eq!(n.rows, 2);
    assert_eq!(
        seen,
        [
            ("1".to_string(), "2".to_string()),
            ("3".to_string(), "4".to_string())
        ]
    );
}

#[test]
fn endpoints_follow_the_region_and_allow_any_base_url() {
    assert_eq!(
        SpApiEndpoint::Production(Region::Europe).base_url(),
        "https://sellingpartnerapi-eu.amazon.com"
    );
    assert_eq!(
        SpApiEndpoint::Sandbox(Region::FarEast).base_url(),
        "https://sandbox.sellingpartnerapi-fe.amazon.com"
    );
    assert_eq!(
        SpApiEndpoint::for_marketplace("A1VC38T7YXB528"),
        Some(SpApiEndpoint::Production(Region::FarEast))
    );
    assert_eq!(
        SpApiEndpoint::Custom("http://127.0.0.1:9/".into()).base_url(),
        "http://127.0.0.1:9"
    );
}

/// Collects every log line the client writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn nothing_secret_reaches_a_log() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let w = world(200).await;
    let (_, api) = client(&w);
    let refresh = SecretString::from(w.st.issue_refresh_token());
    let rule = |kind| amazon_stand_in::server::FaultRule {
        operation: Some("getOrder".into()),
        kind,
        every: 1,
        times: Some(1),
        seen: 0,
        fired: 0,
    };
    w.st.add_fault(rule(amazon_stand_in::server::FaultKind::Status {
        code: 503,
    }));
    w.st.add_fault(rule(amazon_stand_in::server::FaultKind::ExpiredToken));
    let ctx = context(&w, "conn-log", &refresh);
    api.orders_v0()
        .get_order(&ctx, &w.st.seller.orders[0].id)
        .await
        .unwrap();
    let rdt = api
        .tokens()
        .create_restricted_data_token(
            &ctx,
            &tokens::CreateRestrictedDataTokenRequest {
                target_application: None,
                restricted_resources: vec![tokens::RestrictedResource {
                    method: tokens::HttpMethod::Get,
                    path: "/orders/v0/orders".into(),
                    data_elements: vec!["buyerInfo".into()],
                }],
            },
        )
        .await
        .unwrap()
        .restricted_data_token
        .map(SecretString::from)
        .expect("a token");
    w.st.revoke_refresh_tokens();
    let _ = shared::amazon::TokenProvider::new(
        reqwest::Client::new(),
        shared::amazon::Credentials {
            client_id: w.st.apps.client_id.clone(),
            client_secret: SecretString::from(w.st.apps.client_secret.clone()),
            token_url: format!("{}/auth/o2/token", w.base),
        },
        w.store.clone(),
        Arc::new(Virtual(w.st.clone())),
        &SecretString::from("another-cache-key-of-at-least-32-bytes".to_string()),
    )
    .refresh(&refresh)
    .await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("amazon call retried"),
        "the client did log: {logs}"
    );
    for secret in [
        refresh.expose_secret(),
        w.st.apps.client_secret.as_str(),
        rdt.expose_secret(),
        "Atza|",
    ] {
        assert!(!logs.contains(secret), "a secret reached the log: {secret}");
    }
}

#[tokio::test]
async fn the_refresh_token_comes_from_the_secrets_port() {
    use shared::adapters::EmbeddedSecrets;
    use shared::amazon::connection::refresh_token;
    use shared::ports::Secrets;
    let secrets = EmbeddedSecrets::in_memory();
    let name = "beddora/test/tenants/t1/amazon/a1";
    assert!(matches!(
        refresh_token(&secrets, name).await,
        Err(shared::amazon::AmazonError::NeedsReauthorization(_))
    ));
    secrets
        .put(
            name,
            SecretString::from(r#"{"refreshToken":"Atzr|abc"}"#.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(
        refresh_token(&secrets, name).await.unwrap().expose_secret(),
        "Atzr|abc"
    );
    secrets
        .put(
            name,
            SecretString::from(r#"{"refreshToken":""}"#.to_string()),
        )
        .await
        .unwrap();
    assert!(matches!(
        refresh_token(&secrets, name).await,
        Err(shared::amazon::AmazonError::NeedsReauthorization(_))
    ));
}

// ---- Real Amazon flat files, as the stand-in serves them, read by the client over HTTP ----

use amazon_stand_in::ground_truth::{local_day, GroundTruth};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use shared::amazon::flatfile::{stream_document, Row};
use shared::amazon::settlement::{stream_settlement, Layout};
use std::collections::BTreeMap;

const US: &str = "ATVPDKIKX0DER";
const DE: &str = "A1PA6795UKMFR9";
const JP: &str = "A1VC38T7YXB528";

/// SP-API calls straight over HTTP with a long-lived access token (the client's own report
/// operations are tested above; these tests are about the files).
async fn sp(
    w: &super::amazon_client::World,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", w.base);
    let req = match method {
        "POST" => http.post(url).json(&body.unwrap_or_default()),
        _ => http.get(url),
    };
    let res = req
        .header("x-amz-access-token", w.st.bench_access_token())
        .send()
        .await
        .unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

/// The presigned URL of a document (getReportDocument allows 15 at once, then one a minute).
async fn document_url(w: &super::amazon_client::World, doc: &str) -> String {
    w.st.advance(Duration::seconds(61));
    sp(
        w,
        "GET",
        &format!("/reports/2021-06-30/documents/{doc}"),
        None,
    )
    .await["url"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Requests a report, waits for it on the virtual clock and returns its document URL.
async fn report_url(
    w: &super::amazon_client::World,
    report_type: &str,
    mid: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    let created = sp(
        w,
        "POST",
        "/reports/2021-06-30/reports",
        Some(json!({"reportType": report_type, "marketplaceIds": [mid], "dataStartTime": start, "dataEndTime": end})),
    )
    .await;
    let id = created["reportId"].as_str().unwrap().to_string();
    w.st.advance(Duration::seconds(100));
    let rep = sp(w, "GET", &format!("/reports/2021-06-30/reports/{id}"), None).await;
    assert_eq!(rep["processingStatus"], "DONE", "{rep}");
    document_url(w, rep["reportDocumentId"].as_str().unwrap()).await
}

/// Streams a document and keeps every row as (column → field) maps, plus the header.
async fn rows_of(url: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let out = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let o = out.clone();
    stream_document(&reqwest::Client::new(), url, move |row: &Row| {
        let mut o = o.lock().unwrap();
        if o.0.is_empty() {
            o.0 = row.header().names().map(String::from).collect();
        }
        let map = row
            .header()
            .names()
            .zip(row.fields())
            .map(|(h, f)| (h.to_string(), f.to_string()))
            .collect();
        o.1.push(map);
        Ok(())
    })
    .await
    .unwrap();
    let o = out.lock().unwrap();
    (o.0.clone(), o.1.clone())
}

/// The raw bytes and Content-Type of a document (gunzipped).
async fn raw(url: &str) -> (Vec<u8>, String) {
    use std::io::Read;
    let res = reqwest::get(url).await.unwrap();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let gz = res.bytes().await.unwrap();
    let mut out = vec![];
    shared::amazon::flatfile::gunzipped(std::io::Cursor::new(gz.to_vec()))
        .read_to_end(&mut out)
        .unwrap();
    (out, ct)
}

#[tokio::test]
async fn eu_all_orders_are_utf8_without_charset_with_points_91_columns_and_positive_discounts() {
    let w = world(2500).await;
    let s = &w.st.seller;
    let end = s.spec.end;
    let start = end - chrono::Duration::days(240);
    let url = report_url(
        &w,
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        DE,
        start,
        end,
    )
    .await;
    let (bytes, ct) = raw(&url).await;
    assert!(!ct.contains("charset"), "no charset header: {ct}");
    let text = String::from_utf8(bytes).expect("the file is UTF-8");
    assert!(
        text.contains("invoice-business-tax-office \t"),
        "the header name has its trailing space"
    );
    let (header, rows) = rows_of(&url).await;
    assert_eq!(header.len(), 91, "EU all-orders carry 91 columns");
    assert!(header.iter().any(|h| h == "vat-exclusive-item-price"));
    assert!(header.iter().any(|h| h == "tax-collection-model"));
    assert!(
        header.iter().any(|h| h == "invoice-business-tax-office"),
        "names are trimmed"
    );
    // Turkish letters came through as UTF-8 (Windows-1252 cannot hold ı or ş).
    assert!(
        rows.iter().any(|r| ["Kadıköy", "Beşiktaş", "Çankaya"]
            .contains(&r["invoice-business-tax-office"].as_str())),
        "a business order's tax office"
    );
    // Amounts with a decimal point, read per value; discounts positive or blank.
    let style = DecimalStyle::of_report("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", DE);
    let (mut price, mut promo) = (Decimal::ZERO, Decimal::ZERO);
    for r in &rows {
        if let Some(p) = parse_amount(&r["item-price"], style).unwrap() {
            price += p;
        }
        for c in ["item-promotion-discount", "ship-promotion-discount"] {
            if let Some(d) = parse_amount(&r[c], style).unwrap() {
                assert!(d > Decimal::ZERO, "{c} is positive: {d}");
                promo += d;
            }
        }
    }
    let orders: Vec<_> = s
        .orders
        .iter()
        .filter(|o| o.marketplace_id == DE && o.purchase_date >= start && o.purchase_date < end)
        .filter(|o| o.status != amazon_stand_in::model::OrderStatus::Pending)
        .collect();
    let items = || orders.iter().flat_map(|o| o.items.iter());
    assert_eq!(
        price,
        items().map(|i| i.principal).sum::<Decimal>(),
        "EUR item prices to the cent"
    );
    assert_eq!(
        promo,
        items()
            .map(|i| i.promotion + i.ship_promotion)
            .sum::<Decimal>(),
        "discounts to the cent"
    );
    assert!(promo > Decimal::ZERO, "the window has promotions");
    // A title with a bare `"` (12" pan) stays one field.
    let titled: Vec<_> = rows
        .iter()
        .filter(|r| r["product-name"].contains('"'))
        .collect();
    assert!(!titled.is_empty(), "some titles carry inches");
    for r in titled {
        let p = s.products.iter().find(|p| p.sku == r["sku"]).unwrap();
        assert_eq!(r["product-name"], p.title);
    }
}

#[tokio::test]
async fn jp_all_orders_carry_their_offset_and_read_to_the_same_instant() {
    let w = world(2500).await;
    let s = &w.st.seller;
    let end = s.spec.end;
    let start = end - chrono::Duration::days(120);
    let url = report_url(
        &w,
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        JP,
        start,
        end,
    )
    .await;
    let (text, _) = raw(&url).await;
    assert!(String::from_utf8_lossy(&text).contains("+09:00"));
    let seen = Arc::new(Mutex::new(0usize));
    let n = seen.clone();
    let orders: BTreeMap<String, DateTime<Utc>> = s
        .orders
        .iter()
        .map(|o| (o.id.clone(), o.purchase_date))
        .collect();
    stream_document(&reqwest::Client::new(), &url, move |row| {
        let at = row.time("purchase-date")?.expect("a purchase date");
        assert_eq!(at.offset().local_minus_utc(), 9 * 3600);
        assert_eq!(at.to_utc(), orders[row.get("amazon-order-id").unwrap()]);
        *n.lock().unwrap() += 1;
        Ok(())
    })
    .await
    .unwrap();
    assert!(*seen.lock().unwrap() > 0);
}

#[tokio::test]
async fn settlement_files_of_both_layouts_reconcile_and_equal_the_ground_truth() {
    let w = world(1500).await;
    let truth = GroundTruth::of(&w.st.seller);
    type Key = (String, String, chrono::NaiveDate, String, String, String);
    for (report_type, layout) in [
        ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", Layout::V2),
        ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", Layout::Legacy),
    ] {
        let list = sp(
            &w,
            "GET",
            &format!("/reports/2021-06-30/reports?reportTypes={report_type}&pageSize=100"),
            None,
        )
        .await;
        let reports = list["reports"].as_array().unwrap().clone();
        assert!(
            reports.len() >= 10,
            "{report_type}: {} files",
            reports.len()
        );
        let mut from_files: BTreeMap<Key, Decimal> = BTreeMap::new();
        let mut settled = std::collections::BTreeSet::new();
        let mut german = false;
        for rep in &reports {
            let mid = rep["marketplaceIds"][0].as_str().unwrap().to_string();
            let url = document_url(&w, rep["reportDocumentId"].as_str().unwrap()).await;
            if mid == DE && !german {
                let (bytes, _) = raw(&url).await;
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let summary = text.lines().nth(1).unwrap();
                let total = summary.split('\t').nth(4).unwrap();
                assert!(
                    total.contains(','),
                    "DE total-amount {total:?} has a decimal comma"
                );
                let start = summary.split('\t').nth(1).unwrap();
                assert_eq!(&start[2..3], ".", "DE dates read like 14.03.2023: {start}");
                german = true;
            }
            let lines = Arc::new(Mutex::new(Vec::<(Key, Decimal)>::new()));
            let l = lines.clone();
            let m = mid.clone();
            let style = DecimalStyle::of_report(report_type, &mid);
            let s = stream_settlement(&reqwest::Client::new(), &url, style, move |line| {
                let posted = line.posted.expect("posted");
                let key = (
                    line.settlement_id.to_string(),
                    line.sku.to_string(),
                    // V2 has the instant; the older layout only the marketplace's day.
                    if layout == Layout::V2 {
                        local_day(&m, posted.to_utc())
                    } else {
                        posted.date_naive()
                    },
                    line.transaction_type.to_string(),
                    // The older layout names amount kinds by its column pairs; compare the
                    // amount-type only for V2.
                    if layout == Layout::V2 {
                        line.amount_type.to_string()
                    } else {
                        String::new()
                    },
                    line.description.to_string(),
                );
                l.lock().unwrap().push((key, line.amount));
                Ok(())
            })
            .await
            .unwrap_or_else(|e| panic!("{report_type} {}: {e}", rep["reportId"]));
            assert_eq!(s.layout, layout);
            assert_eq!(s.sum - s.total_amount, Decimal::ZERO, "reconciles to 0.00");
            let payout = truth
                .payouts
                .iter()
                .find(|p| p.settlement_id == s.settlement_id)
                .unwrap();
            assert_eq!(s.total_amount, payout.total, "payout {}", s.settlement_id);
            settled.insert(s.settlement_id.clone());
            for (k, v) in lines.lock().unwrap().drain(..) {
                *from_files.entry(k).or_default() += v;
            }
        }
        assert!(german, "a German settlement was among them");
        let mut expected: BTreeMap<Key, Decimal> = BTreeMap::new();
        for (k, v) in &truth.amounts {
            let Some(id) = k.settlement_id.clone().filter(|id| settled.contains(id)) else {
                continue;
            };
            let key = (
                id,
                k.sku.clone(),
                k.date,
                k.transaction_type.clone(),
                if layout == Layout::V2 {
                    k.amount_type.clone()
                } else {
                    String::new()
                },
                k.amount_description.clone(),
            );
            *expected.entry(key).or_default() += *v;
        }
        expected.retain(|_, v| !v.is_zero());
        from_files.retain(|_, v| !v.is_zero());
        assert_eq!(
            from_files, expected,
            "{report_type}: every figure equals the ground truth"
        );
    }
}

#[tokio::test]
async fn reimbursement_reversals_are_negative_and_conditions_read_new_item() {
    let w = world(2500).await;
    let end = w.st.seller.spec.end;
    let start = end - chrono::Duration::days(730);
    // DE mixes separators in one file: `24.99` per unit, `1.234,56` in total.
    let mut mixed = false;
    for mid in [US, DE] {
        let url = report_url(&w, "GET_FBA_REIMBURSEMENTS_DATA", mid, start, end).await;
        let (_, rows) = rows_of(&url).await;
        mixed |= rows
            .iter()
            .any(|r| r["amount-per-unit"].contains('.') && r["amount-total"].contains(','));
        reimbursements_match(&w, mid, &rows);
    }
    assert!(mixed, "the German file mixes both separators");
}

fn reimbursements_match(
    w: &super::amazon_client::World,
    mid: &str,
    rows: &[BTreeMap<String, String>],
) {
    let s = &w.st.seller;
    let style = DecimalStyle::of_report("GET_FBA_REIMBURSEMENTS_DATA", mid);
    let mut reversals = 0;
    let mut total = Decimal::ZERO;
    let ids: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["reimbursement-id"].as_str())
        .collect();
    for r in rows {
        assert_eq!(r["condition"], "NewItem");
        let amount = parse_amount(&r["amount-total"], style).unwrap().unwrap();
        let unit = parse_amount(&r["amount-per-unit"], style).unwrap().unwrap();
        let qty: i64 = r["quantity-reimbursed-total"].parse().unwrap();
        total += amount;
        assert_eq!(
            unit * Decimal::from(qty),
            amount,
            "{mid}: per unit times quantity"
        );
        if r["reason"] == "Reimbursement_Reversal" {
            reversals += 1;
            assert!(
                amount < Decimal::ZERO && qty < 0,
                "a reversal takes money and units back"
            );
            assert!(
                ids.contains(r["original-reimbursement-id"].as_str()),
                "it names the reimbursement it reverses"
            );
            assert_eq!(r["original-reimbursement-type"], "Lost_Warehouse");
        } else {
            assert!(amount > Decimal::ZERO && qty > 0);
        }
    }
    assert!(reversals > 0, "{mid}: the history has reversals");
    // The money equals the ground truth's reimbursement lines in that marketplace.
    let truth: Decimal = GroundTruth::of(s)
        .amounts
        .iter()
        .filter(|(k, _)| k.marketplace_id == mid && k.amount_type == "FBA Inventory Reimbursement")
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(total, truth, "{mid}");
}

#[tokio::test]
async fn ledger_summary_is_fully_quoted_and_balances_with_the_ledger() {
    let w = world(1500).await;
    let s = &w.st.seller;
    let end = s.spec.end;
    let start = end - chrono::Duration::days(60);
    let url = report_url(&w, "GET_LEDGER_SUMMARY_VIEW_DATA", US, start, end).await;
    let (bytes, _) = raw(&url).await;
    assert!(
        bytes.starts_with(b"\"Date\"\t\"FNSKU\""),
        "every field is quoted"
    );
    let (header, rows) = rows_of(&url).await;
    assert_eq!(header[0], "Date");
    assert!(!rows.is_empty());
    for r in &rows {
        let n = |c: &str| -> i64 { r[c].parse().unwrap_or_else(|_| panic!("{c}: {:?}", r[c])) };
        let moved = [
            "Receipts",
            "Customer Shipments",
            "Customer Returns",
            "Found",
            "Lost",
            "Damaged",
            "Disposed",
            "Other Events",
        ]
        .iter()
        .map(|c| n(c))
        .sum::<i64>();
        assert_eq!(
            n("Starting Warehouse Balance") + moved,
            n("Ending Warehouse Balance")
        );
        let p = s
            .products
            .iter()
            .position(|p| p.fnsku == r["FNSKU"])
            .unwrap();
        assert_eq!(
            r["Title"], s.products[p].title,
            "quotes inside titles are unescaped"
        );
        let ledger: i64 = s
            .ledger
            .iter()
            .filter(|e| e.marketplace_id == US && e.product == p && e.date < end)
            .map(|e| e.quantity)
            .sum();
        assert_eq!(n("Ending Warehouse Balance"), ledger, "{}", r["MSKU"]);
    }
}

#[tokio::test]
async fn myi_all_inventory_prices_use_a_point_in_the_eu_too() {
    let w = world(600).await;
    let s = &w.st.seller;
    let end = s.spec.end;
    let url = report_url(
        &w,
        "GET_FBA_MYI_ALL_INVENTORY_DATA",
        DE,
        end - Duration::days(1),
        end,
    )
    .await;
    let (_, rows) = rows_of(&url).await;
    assert!(!rows.is_empty());
    let style = DecimalStyle::of_report("GET_FBA_MYI_ALL_INVENTORY_DATA", DE);
    for r in &rows {
        let p = s.products.iter().position(|p| p.sku == r["sku"]).unwrap();
        let listing = s
            .listings
            .iter()
            .find(|l| l.product == p && l.marketplace_id == DE)
            .unwrap();
        assert!(!r["your-price"].contains(','), "{}", r["your-price"]);
        assert_eq!(
            parse_amount(&r["your-price"], style).unwrap(),
            Some(listing.price)
        );
        let level = s
            .inventory
            .iter()
            .find(|i| i.product == p && i.marketplace_id == DE)
            .unwrap();
        assert_eq!(r["afn-fulfillable-quantity"], level.fulfillable.to_string());
    }
}

#[tokio::test]
async fn fulfilled_shipments_agree_with_the_settled_order_lines() {
    let w = world(1500).await;
    let s = &w.st.seller;
    let end = s.spec.end;
    let start = end - chrono::Duration::days(90);
    let url = report_url(
        &w,
        "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
        US,
        start,
        end,
    )
    .await;
    let (_, rows) = rows_of(&url).await;
    assert!(!rows.is_empty());
    let mut per_order: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &rows {
        let p = parse_amount(&r["item-price"], DecimalStyle::Point)
            .unwrap()
            .unwrap();
        *per_order.entry(r["amazon-order-id"].clone()).or_default() += p;
    }
    // What the money records (the ground truth's source) say each shipment was paid.
    let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
    for t in s
        .transactions
        .iter()
        .filter(|t| t.kind == amazon_stand_in::model::TxKind::Shipment)
    {
        let Some(o) = t.order_id.as_deref().and_then(|id| s.order(id)) else {
            continue;
        };
        if o.marketplace_id != US
            || o.fulfillment != amazon_stand_in::model::Fulfillment::Afn
            || !o.ship_date.is_some_and(|d| d >= start && d < end)
        {
            continue;
        }
        let principal: Decimal = t
            .lines()
            .filter(|(_, l)| l.category == "ItemPrice" && l.kind == "Principal")
            .map(|(_, l)| l.amount)
            .sum();
        *expected.entry(o.id.clone()).or_default() += principal;
    }
    assert_eq!(per_order, expected);
}
