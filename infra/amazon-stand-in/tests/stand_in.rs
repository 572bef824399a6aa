//! The stand-in's promises: deterministic data, responses that conform to Amazon's official
//! models, ground truth that equals what the APIs and report files return to the cent, and
//! Amazon's rate limits, token rules and faults.

use amazon_stand_in::generator::round;
use amazon_stand_in::ground_truth::{local_day, GroundTruth, Key};
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::str::FromStr;
use tower::ServiceExt;

mod common;
use common::*;

#[test]
fn the_same_spec_gives_byte_identical_data() {
    let a = serde_json::to_vec(&generate(&spec(800))).unwrap();
    let b = serde_json::to_vec(&generate(&spec(800))).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_vec(&generate(&SellerSpec {
        seed: 8,
        ..spec(800)
    }))
    .unwrap();
    assert_ne!(a, c, "another seed, another seller");
}

#[test]
fn every_payout_is_the_sum_of_its_transactions() {
    let s = generate(&spec(3000));
    assert!(s.settlements.iter().filter(|x| x.closed).count() > 100);
    assert!(amazon_stand_in::server::unbalanced_settlements(&s).is_empty());
    // Every released transaction is in exactly one settlement; deferred ones in none.
    for t in &s.transactions {
        assert_eq!(t.settlement.is_some(), t.release <= s.spec.end, "{}", t.id);
    }
    // Money is in the currency's minor units everywhere.
    for t in &s.transactions {
        for (_, l) in t.lines() {
            assert_eq!(
                l.amount,
                round(l.amount, t.currency),
                "{} {} {}",
                t.id,
                l.kind,
                l.amount
            );
        }
    }
}

fn amount_of(text: &str) -> Decimal {
    // Locale decimals: `1.234,56` where the file uses a decimal comma.
    let t = if text.contains(',') {
        text.replace('.', "").replace(',', ".")
    } else {
        text.to_string()
    };
    Decimal::from_str(&t).unwrap_or_else(|_| panic!("amount {text:?}"))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn decode(bytes: &[u8], content_type: &str) -> String {
    let charset = content_type.split("charset=").nth(1).unwrap_or("UTF-8");
    let enc = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap();
    let (text, _, bad) = enc.decode(bytes);
    assert!(!bad, "file decodes cleanly as {charset}");
    text.into_owned()
}

#[tokio::test]
async fn ground_truth_equals_the_finances_api_and_the_settlement_files_to_the_cent() {
    let st = StandIn::virtual_clock(generate(&spec(2500)), true);
    let token = access_token(&st).await;
    let truth = GroundTruth::of(&st.seller);
    let s = &st.seller;

    // 1. listTransactions over the whole history, in 180-day windows, every page.
    let mut from_api: BTreeMap<Key, Decimal> = BTreeMap::new();
    let start = s.spec.end - Duration::days(s.spec.history_days + 30);
    let mut after = start;
    let mut seen = std::collections::BTreeSet::new();
    while after < s.spec.end {
        let before = (after + Duration::days(180)).min(st.now() - Duration::minutes(3));
        let mut uri = format!(
            "/finances/2024-06-19/transactions?postedAfter={}&postedBefore={}",
            after.to_rfc3339(),
            before.to_rfc3339()
        )
        .replace('+', "%2B");
        loop {
            let r = call(&st, "GET", &uri, Some(&token), None).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&r.bytes)
            );
            let body = r.json();
            for t in body["payload"]["transactions"].as_array().unwrap() {
                assert!(
                    seen.insert(t["transactionId"].as_str().unwrap().to_string()),
                    "no transaction twice"
                );
                let mid = t["marketplaceDetails"]["marketplaceId"].as_str().unwrap();
                let posted = DateTime::parse_from_rfc3339(t["postedDate"].as_str().unwrap())
                    .unwrap()
                    .with_timezone(&Utc);
                let tt = match t["transactionType"].as_str().unwrap() {
                    "Shipment" => "Order",
                    "Refund" => "Refund",
                    _ => "other-transaction",
                };
                for item in t["items"].as_array().unwrap() {
                    let sku = item["contexts"]
                        .as_array()
                        .and_then(|c| c.first())
                        .and_then(|c| c["sku"].as_str())
                        .unwrap_or("");
                    for b in item["breakdowns"].as_array().unwrap() {
                        for d in b["breakdowns"].as_array().unwrap() {
                            let key = Key {
                                marketplace_id: mid.into(),
                                sku: sku.into(),
                                date: local_day(mid, posted),
                                settlement_id: None,
                                transaction_type: tt.into(),
                                amount_type: b["breakdownType"].as_str().unwrap().into(),
                                amount_description: d["breakdownType"].as_str().unwrap().into(),
                            };
                            *from_api.entry(key).or_default() += Decimal::from_str(
                                &d["breakdownAmount"]["currencyAmount"].to_string(),
                            )
                            .unwrap();
                        }
                    }
                }
            }
            match body["payload"]["nextToken"].as_str() {
                Some(n) => uri = format!("/finances/2024-06-19/transactions?nextToken={n}"),
                None => break,
            }
        }
        after = before;
    }
    assert_eq!(
        seen.len(),
        s.transactions.len(),
        "every transaction came back once"
    );
    from_api.retain(|_, v| !v.is_zero());
    assert_eq!(
        from_api,
        truth.by_day(),
        "listTransactions sums equal the ground truth for every figure"
    );

    // 2. Every settlement file of the last 90 days: its rows sum to its payout and to the truth.
    let r = call(&st, "GET", "/reports/2021-06-30/reports?reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&pageSize=100", Some(&token), None).await;
    let reports = r.json()["reports"].as_array().unwrap().clone();
    assert!(
        reports.len() >= 20,
        "settlements of the last 90 days are listed: {}",
        reports.len()
    );
    let mut from_files: BTreeMap<Key, Decimal> = BTreeMap::new();
    let mut settled = std::collections::BTreeSet::new();
    for rep in &reports {
        let doc = rep["reportDocumentId"].as_str().unwrap();
        let d = call(
            &st,
            "GET",
            &format!("/reports/2021-06-30/documents/{doc}"),
            Some(&token),
            None,
        )
        .await
        .json();
        assert_eq!(d["compressionAlgorithm"], "GZIP");
        let url = d["url"]
            .as_str()
            .unwrap()
            .replace("http://stand-in.test", "");
        let file = call(&st, "GET", &url, None, None).await;
        assert_eq!(file.status, StatusCode::OK);
        let text = decode(
            &gunzip(&file.bytes),
            file.headers["content-type"].to_str().unwrap(),
        );
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let summary: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let payout = amount_of(summary[col("total-amount")]);
        let settlement_id = summary[col("settlement-id")].to_string();
        settled.insert(settlement_id.clone());
        let mid = rep["marketplaceIds"][0].as_str().unwrap();
        let mut sum = Decimal::ZERO;
        for l in lines {
            let c: Vec<&str> = l.split('\t').collect();
            let amount = amount_of(c[col("amount")]);
            sum += amount;
            // `2023-03-14 07:49:55 UTC`, or `14.03.2023 07:49:55 UTC` in the German file.
            let posted = shared::amazon::flatfile::parse_report_time(c[col("posted-date-time")])
                .unwrap()
                .unwrap()
                .to_utc();
            let key = Key {
                marketplace_id: mid.into(),
                sku: c[col("sku")].into(),
                date: local_day(mid, posted),
                settlement_id: Some(settlement_id.clone()),
                transaction_type: c[col("transaction-type")].into(),
                amount_type: c[col("amount-type")].into(),
                amount_description: c[col("amount-description")].into(),
            };
            *from_files.entry(key).or_default() += amount;
        }
        assert_eq!(
            sum, payout,
            "settlement {settlement_id}: rows sum to the payout"
        );
        let truth_payout = truth
            .payouts
            .iter()
            .find(|p| p.settlement_id == settlement_id)
            .unwrap();
        assert_eq!(payout, truth_payout.total);
    }
    let mut expected: BTreeMap<Key, Decimal> = truth
        .amounts
        .iter()
        .filter(|(k, _)| {
            k.settlement_id
                .as_ref()
                .is_some_and(|s| settled.contains(s))
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    expected.retain(|_, v| !v.is_zero());
    from_files.retain(|_, v| !v.is_zero());
    assert_eq!(
        from_files, expected,
        "settlement files equal the ground truth for every figure"
    );
}

#[tokio::test]
async fn every_operation_answers_as_the_official_model_says() {
    let st = StandIn::virtual_clock(generate(&spec(600)), true);
    let token = access_token(&st).await;
    let t = Some(token.as_str());
    let s = &st.seller;
    let order = s
        .orders
        .iter()
        .rev()
        .find(|o| {
            o.status == amazon_stand_in::model::OrderStatus::Shipped
                && o.items
                    .iter()
                    .any(|i| i.promotion_id.is_some() || i.gift_wrap > Decimal::ZERO)
        })
        .or_else(|| {
            s.orders
                .iter()
                .rev()
                .find(|o| o.status == amazon_stand_in::model::OrderStatus::Shipped)
        })
        .unwrap();
    let since = (s.spec.end - Duration::days(60))
        .to_rfc3339()
        .replace('+', "%2B");
    let us = "ATVPDKIKX0DER";
    let check = |model: &'static str, def: &'static str, r: Resp| {
        assert!(
            r.status.is_success(),
            "{model} {def}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.bytes)
        );
        assert!(
            r.headers.contains_key("x-amzn-ratelimit-limit"),
            "{def} carries x-amzn-RateLimit-Limit"
        );
        conforms(model, def, &r.json());
        r.json()
    };
    check(
        "sellers",
        "GetMarketplaceParticipationsResponse",
        call(&st, "GET", "/sellers/v1/marketplaceParticipations", t, None).await,
    );
    let all =
        "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT";
    let page = check("orders_2026-01-01", "SearchOrdersResponse", call(&st, "GET", &format!("/orders/2026-01-01/orders?createdAfter={since}&includedData={all}&maxResultsPerPage=20"), t, None).await);
    assert_eq!(page["orders"].as_array().unwrap().len(), 20);
    let next = page["pagination"]["nextToken"].as_str().unwrap();
    check(
        "orders_2026-01-01",
        "SearchOrdersResponse",
        call(
            &st,
            "GET",
            &format!("/orders/2026-01-01/orders?paginationToken={next}"),
            t,
            None,
        )
        .await,
    );
    check(
        "orders_2026-01-01",
        "GetOrderResponse",
        call(
            &st,
            "GET",
            &format!("/orders/2026-01-01/orders/{}?includedData={all}", order.id),
            t,
            None,
        )
        .await,
    );
    check(
        "ordersV0",
        "GetOrdersResponse",
        call(
            &st,
            "GET",
            &format!(
                "/orders/v0/orders?MarketplaceIds={us}&CreatedAfter={since}&MaxResultsPerPage=50"
            ),
            t,
            None,
        )
        .await,
    );
    check(
        "ordersV0",
        "GetOrderResponse",
        call(
            &st,
            "GET",
            &format!("/orders/v0/orders/{}", order.id),
            t,
            None,
        )
        .await,
    );
    check(
        "ordersV0",
        "GetOrderItemsResponse",
        call(
            &st,
            "GET",
            &format!("/orders/v0/orders/{}/orderItems", order.id),
            t,
            None,
        )
        .await,
    );
    check(
        "finances_2024-06-19",
        "ListTransactionsResponse",
        call(
            &st,
            "GET",
            &format!("/finances/2024-06-19/transactions?postedAfter={since}"),
            t,
            None,
        )
        .await,
    );
    check("finances_2024-06-19", "ListTransactionsResponse", call(&st, "GET", &format!("/finances/2024-06-19/transactions?relatedIdentifierName=ORDER_ID&relatedIdentifierValue={}", order.id), t, None).await);
    let groups = check("financesV0", "ListFinancialEventGroupsResponse", call(&st, "GET", &format!("/finances/v0/financialEventGroups?FinancialEventGroupStartedAfter={since}&MaxResultsPerPage=100"), t, None).await);
    let group = groups["payload"]["FinancialEventGroupList"][0]["FinancialEventGroupId"]
        .as_str()
        .unwrap()
        .to_string();
    check(
        "financesV0",
        "ListFinancialEventsResponse",
        call(
            &st,
            "GET",
            &format!("/finances/v0/financialEventGroups/{group}/financialEvents"),
            t,
            None,
        )
        .await,
    );
    check(
        "financesV0",
        "ListFinancialEventsResponse",
        call(
            &st,
            "GET",
            &format!("/finances/v0/orders/{}/financialEvents", order.id),
            t,
            None,
        )
        .await,
    );
    let ev = check(
        "financesV0",
        "ListFinancialEventsResponse",
        call(
            &st,
            "GET",
            &format!("/finances/v0/financialEvents?PostedAfter={since}"),
            t,
            None,
        )
        .await,
    );
    assert!(ev["payload"]["FinancialEvents"]["ShipmentEventList"]
        .as_array()
        .is_some_and(|l| !l.is_empty()));
    let created = call(&st, "POST", "/reports/2021-06-30/reports", t, Some(("application/json", serde_json::json!({"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "marketplaceIds": [us], "dataStartTime": s.spec.end - Duration::days(30), "dataEndTime": s.spec.end}).to_string()))).await;
    assert_eq!(created.status, StatusCode::ACCEPTED);
    let id = check("reports_2021-06-30", "CreateReportResponse", created)["reportId"]
        .as_str()
        .unwrap()
        .to_string();
    let rep = check(
        "reports_2021-06-30",
        "Report",
        call(
            &st,
            "GET",
            &format!("/reports/2021-06-30/reports/{id}"),
            t,
            None,
        )
        .await,
    );
    assert_eq!(rep["processingStatus"], "IN_QUEUE");
    st.advance(Duration::seconds(120));
    let rep = check(
        "reports_2021-06-30",
        "Report",
        call(
            &st,
            "GET",
            &format!("/reports/2021-06-30/reports/{id}"),
            t,
            None,
        )
        .await,
    );
    assert_eq!(rep["processingStatus"], "DONE");
    check("reports_2021-06-30", "GetReportsResponse", call(&st, "GET", "/reports/2021-06-30/reports?reportTypes=GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL,GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", t, None).await);
    let doc = rep["reportDocumentId"].as_str().unwrap();
    check(
        "reports_2021-06-30",
        "ReportDocument",
        call(
            &st,
            "GET",
            &format!("/reports/2021-06-30/documents/{doc}"),
            t,
            None,
        )
        .await,
    );
    check("fbaInventory", "GetInventorySummariesResponse", call(&st, "GET", &format!("/fba/inventory/v1/summaries?details=true&granularityType=Marketplace&granularityId={us}&marketplaceIds={us}"), t, None).await);
    check("tokens_2021-03-01", "CreateRestrictedDataTokenResponse", call(&st, "POST", "/tokens/2021-03-01/restrictedDataToken", t, Some(("application/json", r#"{"restrictedResources":[{"method":"GET","path":"/orders/v0/orders","dataElements":["buyerInfo"]}]}"#.into()))).await);
    check(
        "solicitations",
        "GetSolicitationActionsForOrderResponse",
        call(
            &st,
            "GET",
            &format!(
                "/solicitations/v1/orders/{}?marketplaceIds={}",
                order.id, order.marketplace_id
            ),
            t,
            None,
        )
        .await,
    );
    // Errors take the model's error shape too.
    let bad = call(
        &st,
        "GET",
        "/orders/v0/orders?CreatedAfter=2026-01-01T00:00:00Z",
        t,
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    conforms("ordersV0", "GetOrdersResponse", &bad.json());
    conforms(
        "orders_2026-01-01",
        "ErrorList",
        &call(&st, "GET", "/orders/2026-01-01/orders", t, None)
            .await
            .json(),
    );
}

#[tokio::test]
async fn report_files_use_their_marketplace_charset_and_decimals() {
    let st = StandIn::virtual_clock(generate(&spec(1500)), true);
    let token = access_token(&st).await;
    for (mid, charset, needle) in [
        ("A1VC38T7YXB528", "Shift_JIS", "まな板"),
        ("A1PA6795UKMFR9", "windows-1252", ","),
        ("ATVPDKIKX0DER", "UTF-8", "."),
    ] {
        let url = report_document_path(&st, &token, serde_json::json!({"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [mid]})).await;
        let file = call(&st, "GET", &url, None, None).await;
        let ct = file.headers["content-type"].to_str().unwrap().to_string();
        assert!(ct.contains(charset), "{mid}: {ct}");
        let text = decode(&gunzip(&file.bytes), &ct);
        let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
        let price = text
            .lines()
            .nth(1)
            .unwrap()
            .split('\t')
            .nth(header.iter().position(|h| *h == "price").unwrap())
            .unwrap()
            .to_string();
        if mid == "A1VC38T7YXB528" {
            assert!(text.contains(needle), "Japanese titles survive Shift_JIS");
        } else {
            assert!(price.contains(needle), "{mid} price {price}");
        }
        // Five minutes later the presigned URL has expired.
        st.advance(Duration::minutes(6));
        assert_eq!(
            call(&st, "GET", &url, None, None).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn rate_limits_follow_the_usage_plans_on_the_virtual_clock() {
    let st = StandIn::virtual_clock(generate(&spec(300)), false);
    let token = access_token(&st).await;
    let uri = format!("/orders/v0/orders/{}", st.seller.orders[0].id);
    // getOrder: burst 30, then 0.5 requests a second.
    for i in 0..30 {
        assert_eq!(
            call(&st, "GET", &uri, Some(&token), None).await.status,
            StatusCode::OK,
            "call {i} is within the burst"
        );
    }
    let limited = call(&st, "GET", &uri, Some(&token), None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["x-amzn-ratelimit-limit"], "0.5");
    assert_eq!(limited.json()["errors"][0]["code"], "QuotaExceeded");
    st.advance(Duration::milliseconds(1900));
    assert_eq!(
        call(&st, "GET", &uri, Some(&token), None).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "not yet 2 s"
    );
    st.advance(Duration::milliseconds(100));
    assert_eq!(
        call(&st, "GET", &uri, Some(&token), None).await.status,
        StatusCode::OK,
        "one token after 2 s"
    );
    let stats = st.stats();
    assert_eq!(
        (stats["getOrder"].calls, stats["getOrder"].throttled),
        (33, 2)
    );
    // Operations have their own buckets: getOrderItems still has its burst.
    assert_eq!(
        call(&st, "GET", &format!("{uri}/orderItems"), Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );

    // With auto-advance, waiting costs no real time and the simulated duration is accounted.
    let st = StandIn::virtual_clock(generate(&spec(300)), true);
    let token = access_token(&st).await;
    let since = (st.seller.spec.end - Duration::days(700))
        .to_rfc3339()
        .replace('+', "%2B");
    for _ in 0..25 {
        let r = call(&st, "GET", &format!("/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter={since}&MaxResultsPerPage=1"), Some(&token), None).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // getOrders: burst 20 then 0.0167/s: 5 more calls take 5 / 0.0167 s of simulated time.
    let elapsed = (st.now() - st.seller.spec.end).num_seconds();
    assert!((295..=305).contains(&elapsed), "simulated {elapsed} s");
    let stats = call(&st, "GET", "/_stand-in/stats", None, None)
        .await
        .json();
    assert_eq!(stats["operations"]["getOrders"]["calls"], 25);
    assert_eq!(stats["operations"]["getOrders"]["throttled"], 0);
}

#[tokio::test]
async fn login_with_amazon_follows_amazons_rules() {
    let st = StandIn::virtual_clock(generate(&spec(200)), true);
    let apps = st.apps.clone();
    // Consent: approve redirects with a code; deny with an error.
    let r = call(&st, "GET", &format!("/apps/authorize/consent?application_id={}&state=xyz&redirect_uri=https://app.example/cb&version=beta", apps.application_id), None, None).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    assert!(
        loc.starts_with("https://app.example/cb?state=xyz&selling_partner_id=")
            && loc.contains("spapi_oauth_code="),
        "{loc}"
    );
    let code = loc.split("spapi_oauth_code=").nth(1).unwrap().to_string();
    let denied = call(&st, "GET", &format!("/apps/authorize/consent?application_id={}&state=s&redirect_uri=https://app.example/cb&decision=deny", apps.application_id), None, None).await;
    assert!(denied.headers["location"]
        .to_str()
        .unwrap()
        .contains("error=access_denied"));
    let form = |grant: &str, extra: &str, secret: &str| {
        format!(
            "grant_type={grant}&{extra}&client_id={}&client_secret={secret}",
            apps.client_id
        )
    };
    let exchange = call(
        &st,
        "POST",
        "/auth/o2/token",
        None,
        Some((
            "application/x-www-form-urlencoded",
            form(
                "authorization_code",
                &format!("code={code}&redirect_uri=https://app.example/cb"),
                &apps.client_secret,
            ),
        )),
    )
    .await;
    assert_eq!(exchange.status, StatusCode::OK);
    let tokens = exchange.json();
    assert_eq!(tokens["expires_in"], 3600);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let again = call(
        &st,
        "POST",
        "/auth/o2/token",
        None,
        Some((
            "application/x-www-form-urlencoded",
            form(
                "authorization_code",
                &format!("code={code}"),
                &apps.client_secret,
            ),
        )),
    )
    .await;
    assert_eq!(
        (again.status, again.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "a code works once"
    );
    let wrong = call(
        &st,
        "POST",
        "/auth/o2/token",
        None,
        Some((
            "application/x-www-form-urlencoded",
            form(
                "refresh_token",
                &format!("refresh_token={}", urlencode(&refresh)),
                "nope",
            ),
        )),
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let grantless = call(
        &st,
        "POST",
        "/auth/o2/token",
        None,
        Some((
            "application/x-www-form-urlencoded",
            form(
                "client_credentials",
                "scope=sellingpartnerapi::notifications",
                &apps.client_secret,
            ),
        )),
    )
    .await;
    assert_eq!(grantless.status, StatusCode::OK);
    // Access tokens expire after an hour of simulated time.
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        call(
            &st,
            "GET",
            "/sellers/v1/marketplaceParticipations",
            Some(&access),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    st.advance(Duration::seconds(3601));
    let expired = call(
        &st,
        "GET",
        "/sellers/v1/marketplaceParticipations",
        Some(&access),
        None,
    )
    .await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert!(expired.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    // A revoked refresh token gives invalid_grant.
    st.revoke_refresh_tokens();
    let revoked = call(
        &st,
        "POST",
        "/auth/o2/token",
        None,
        Some((
            "application/x-www-form-urlencoded",
            form(
                "refresh_token",
                &format!("refresh_token={}", urlencode(&refresh)),
                &apps.client_secret,
            ),
        )),
    )
    .await;
    assert_eq!(
        (revoked.status, revoked.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn faults_come_on_demand() {
    let st = StandIn::virtual_clock(generate(&spec(200)), true);
    let token = access_token(&st).await;
    let rule = |kind: FaultKind, times: u32| FaultRule {
        operation: Some("getMarketplaceParticipations".into()),
        kind,
        every: 1,
        times: Some(times),
        seen: 0,
        fired: 0,
    };
    let uri = "/sellers/v1/marketplaceParticipations";
    st.add_fault(rule(FaultKind::Status { code: 503 }, 1));
    assert_eq!(
        call(&st, "GET", uri, Some(&token), None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        call(&st, "GET", uri, Some(&token), None).await.status,
        StatusCode::OK,
        "the fault fired once"
    );
    st.add_fault(rule(FaultKind::Truncate, 1));
    let cut = call(&st, "GET", uri, Some(&token), None).await;
    assert!(
        serde_json::from_slice::<Value>(&cut.bytes).is_err(),
        "truncated body is not valid JSON"
    );
    st.add_fault(rule(FaultKind::Malformed, 1));
    assert!(serde_json::from_slice::<Value>(
        &call(&st, "GET", uri, Some(&token), None).await.bytes
    )
    .is_err());
    st.add_fault(rule(FaultKind::ExpiredToken, 1));
    assert_eq!(
        call(&st, "GET", uri, Some(&token), None).await.status,
        StatusCode::FORBIDDEN
    );
    st.add_fault(rule(FaultKind::Drop, 1));
    let dropped = router(st.clone())
        .oneshot(
            Request::get(uri)
                .header("x-amz-access-token", &token)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(
        dropped.into_body().collect().await.is_err(),
        "the connection is cut mid-body"
    );
    st.add_fault(FaultRule {
        operation: None,
        kind: FaultKind::ReportFatal,
        every: 1,
        times: Some(1),
        seen: 0,
        fired: 0,
    });
    let body = serde_json::json!({"reportType": "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}).to_string();
    let id = call(
        &st,
        "POST",
        "/reports/2021-06-30/reports",
        Some(&token),
        Some(("application/json", body)),
    )
    .await
    .json()["reportId"]
        .as_str()
        .unwrap()
        .to_string();
    st.advance(Duration::seconds(100));
    assert_eq!(
        call(
            &st,
            "GET",
            &format!("/reports/2021-06-30/reports/{id}"),
            Some(&token),
            None
        )
        .await
        .json()["processingStatus"],
        "FATAL"
    );
    assert_eq!(st.stats()["getMarketplaceParticipations"].faults, 5);
}

#[tokio::test]
async fn review_requests_only_inside_the_window_and_once() {
    let st = StandIn::virtual_clock(generate(&spec(400)), true);
    let token = access_token(&st).await;
    let now = st.now();
    let o = st
        .seller
        .orders
        .iter()
        .find(|o| {
            o.status == amazon_stand_in::model::OrderStatus::Shipped
                && now >= o.earliest_delivery + Duration::days(5)
                && now <= o.latest_delivery + Duration::days(30)
        })
        .expect("an order in its window")
        .clone();
    let old = st
        .seller
        .orders
        .iter()
        .find(|o| o.latest_delivery + Duration::days(30) < now)
        .unwrap()
        .clone();
    let q = format!("?marketplaceIds={}", o.marketplace_id);
    let actions = call(
        &st,
        "GET",
        &format!("/solicitations/v1/orders/{}{q}", o.id),
        Some(&token),
        None,
    )
    .await
    .json();
    assert_eq!(
        actions["_links"]["actions"][0]["name"],
        "productReviewAndSellerFeedback"
    );
    let post = format!(
        "/solicitations/v1/orders/{}/solicitations/productReviewAndSellerFeedback{q}",
        o.id
    );
    assert_eq!(
        call(&st, "POST", &post, Some(&token), None).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        call(&st, "POST", &post, Some(&token), None).await.status,
        StatusCode::FORBIDDEN,
        "once per order"
    );
    let late = call(
        &st,
        "GET",
        &format!(
            "/solicitations/v1/orders/{}?marketplaceIds={}",
            old.id, old.marketplace_id
        ),
        Some(&token),
        None,
    )
    .await
    .json();
    assert_eq!(
        late["_links"]["actions"],
        serde_json::json!([]),
        "outside the window: no action"
    );
}

#[test]
#[should_panic(expected = "GetOrderResponse")]
fn the_schema_check_rejects_a_body_the_model_forbids() {
    // An order with a status the model's enum does not allow, and a missing required field.
    let body = serde_json::json!({"payload": {"AmazonOrderId": "111-1111111-1111111", "PurchaseDate": "x", "OrderStatus": "Bogus"}});
    conforms("ordersV0", "GetOrderResponse", &body);
}

#[test]
#[should_panic(expected = "ListTransactionsResponse")]
fn the_schema_check_rejects_a_string_amount_where_the_model_wants_a_number() {
    let body = serde_json::json!({"payload": {"transactions": [{"totalAmount": {"currencyCode": "USD", "currencyAmount": "10.00"}}]}});
    conforms("finances_2024-06-19", "ListTransactionsResponse", &body);
}

#[tokio::test]
async fn finances_v0_events_of_a_group_sum_to_its_total() {
    let st = StandIn::virtual_clock(generate(&spec(1500)), true);
    let token = access_token(&st).await;
    let closed: Vec<_> = st
        .seller
        .settlements
        .iter()
        .filter(|s| s.closed && !s.transactions.is_empty())
        .take(12)
        .cloned()
        .collect();
    fn sum_numbers(v: &Value, key: &str, out: &mut Decimal) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == key {
                        *out += Decimal::from_str(&x["CurrencyAmount"].to_string()).unwrap();
                    } else {
                        sum_numbers(x, key, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| sum_numbers(x, key, out)),
            _ => {}
        }
    }
    for g in closed {
        let mut total = Decimal::ZERO;
        let mut uri = format!(
            "/finances/v0/financialEventGroups/{}/financialEvents?MaxResultsPerPage=7",
            g.group_id
        );
        loop {
            let body = call(&st, "GET", &uri, Some(&token), None).await.json();
            let events = &body["payload"]["FinancialEvents"];
            for key in ["ChargeAmount", "FeeAmount", "PromotionAmount"] {
                sum_numbers(events, key, &mut total);
            }
            for e in events["AdjustmentEventList"]
                .as_array()
                .into_iter()
                .flatten()
            {
                total += Decimal::from_str(&e["AdjustmentAmount"]["CurrencyAmount"].to_string())
                    .unwrap();
            }
            for e in events["ProductAdsPaymentEventList"]
                .as_array()
                .into_iter()
                .flatten()
            {
                total += Decimal::from_str(&e["transactionValue"]["CurrencyAmount"].to_string())
                    .unwrap();
            }
            match body["payload"]["NextToken"].as_str() {
                Some(n) => {
                    uri = format!(
                        "/finances/v0/financialEventGroups/{}/financialEvents?NextToken={n}",
                        g.group_id
                    )
                }
                None => break,
            }
        }
        assert_eq!(
            total, g.total,
            "group {} events sum to its payout",
            g.group_id
        );
    }
}

#[tokio::test]
async fn a_slow_fault_delays_but_answers() {
    let st = StandIn::virtual_clock(generate(&spec(100)), true);
    let token = access_token(&st).await;
    st.add_fault(FaultRule {
        operation: Some("getMarketplaceParticipations".into()),
        kind: FaultKind::Slow { millis: 5 },
        every: 1,
        times: Some(1),
        seen: 0,
        fired: 0,
    });
    let r = call(
        &st,
        "GET",
        "/sellers/v1/marketplaceParticipations",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(st.stats()["getMarketplaceParticipations"].faults, 1);
}

#[tokio::test]
async fn buyer_feedback_comes_as_the_feedback_report() {
    let st = StandIn::virtual_clock(generate(&spec(3000)), true);
    let token = access_token(&st).await;
    let end = st.seller.spec.end;
    let from = end - Duration::days(365);
    let url = report_document_path(&st, &token, serde_json::json!({"reportType": "GET_SELLER_FEEDBACK_DATA", "marketplaceIds": ["ATVPDKIKX0DER"], "dataStartTime": from, "dataEndTime": end})).await;
    let file = call(&st, "GET", &url, None, None).await;
    let text = decode(
        &gunzip(&file.bytes),
        file.headers["content-type"].to_str().unwrap(),
    );
    let rows: Vec<&str> = text.lines().skip(1).collect();
    let expected = st
        .seller
        .feedback
        .iter()
        .filter(|f| f.marketplace_id == "ATVPDKIKX0DER" && f.date >= from && f.date < end)
        .count();
    assert!(expected > 5);
    assert_eq!(rows.len(), expected);
    assert!(rows
        .iter()
        .all(|r| (1..=5).contains(&r.split('\t').nth(1).unwrap().parse::<u8>().unwrap())));
}
