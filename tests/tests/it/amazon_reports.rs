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
    for (mid, style) in [
        ("ATVPDKIKX0DER", DecimalStyle::Point),
        ("A1PA6795UKMFR9", DecimalStyle::Comma),
        ("A1VC38T7YXB528", DecimalStyle::Point),
    ] {
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
                if let Some(a) = parse_amount(row.get("item-price").unwrap_or_default(), style)? {
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
