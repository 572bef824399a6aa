//! Notifications: destinations and subscriptions as the Notifications API defines them, and
//! messages delivered to real SQS queues (moto) that validate against Amazon's schemas.

use amazon_stand_in::notifications::{MemorySink, SqsSink};
use amazon_stand_in::server::{FaultKind, FaultRule};
use amazon_stand_in::{generate, router, SellerSpec, StandIn};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(
    st: &Arc<StandIn>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "stand-in.test");
    if let Some(t) = token {
        b = b.header("x-amz-access-token", t);
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = router(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn lwa(st: &Arc<StandIn>, form: String) -> String {
    let req = Request::post("/auth/o2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let res = router(st.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

async fn tokens(st: &Arc<StandIn>) -> (String, String) {
    let (id, secret) = (st.apps.client_id.clone(), st.apps.client_secret.clone());
    let refresh = st.issue_refresh_token().replace('|', "%7C");
    let seller = lwa(st, format!("grant_type=refresh_token&refresh_token={refresh}&client_id={id}&client_secret={secret}")).await;
    let grantless = lwa(st, format!("grant_type=client_credentials&scope=sellingpartnerapi::notifications&client_id={id}&client_secret={secret}")).await;
    (seller, grantless)
}

fn schema_check(schema_file: &str, body: &Value) {
    let path = format!("{}/models/{schema_file}.json", env!("CARGO_MANIFEST_DIR"));
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // FEE_PROMOTION's schema types its amounts as integers (generated from an example); real
    // messages carry cents (`"Amount": 0.75`), and so does the stand-in.
    amounts_are_numbers(&mut schema);
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = v
        .iter_errors(body)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}\n{body}");
}

fn amounts_are_numbers(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            if let Some(amount) = o.get_mut("properties").and_then(|p| p.get_mut("Amount")) {
                if amount["type"] == "integer" {
                    amount["type"] = json!("number");
                }
            }
            o.values_mut().for_each(amounts_are_numbers);
        }
        Value::Array(a) => a.iter_mut().for_each(amounts_are_numbers),
        _ => {}
    }
}

fn model_check(definition: &str, body: &Value) {
    let path = format!("{}/models/notifications.json", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let schema =
        json!({"$ref": format!("#/definitions/{definition}"), "definitions": doc["definitions"]});
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap();
    assert!(v.is_valid(body), "notifications {definition}: {body}");
}

async fn subscribe(st: &Arc<StandIn>, kinds: &[&str], arn: &str) {
    let (seller, grantless) = tokens(st).await;
    let (s, d) = call(
        st,
        "POST",
        "/notifications/v1/destinations",
        Some(&seller),
        Some(json!({"name": "q", "resourceSpecification": {"sqs": {"arn": arn}}})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "destinations need a grantless token: {d}"
    );
    let (s, d) = call(
        st,
        "POST",
        "/notifications/v1/destinations",
        Some(&grantless),
        Some(json!({"name": "q", "resourceSpecification": {"sqs": {"arn": arn}}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    model_check("CreateDestinationResponse", &d);
    let dest = d["payload"]["destinationId"].as_str().unwrap().to_string();
    let (s, _) = call(
        st,
        "POST",
        "/notifications/v1/destinations",
        Some(&grantless),
        Some(json!({"name": "q2", "resourceSpecification": {"sqs": {"arn": arn}}})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    for kind in kinds {
        let (s, sub) = call(
            st,
            "POST",
            &format!("/notifications/v1/subscriptions/{kind}"),
            Some(&seller),
            Some(json!({"payloadVersion": "1.0", "destinationId": dest})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{sub}");
        model_check("CreateSubscriptionResponse", &sub);
        let (s, _) = call(
            st,
            "POST",
            &format!("/notifications/v1/subscriptions/{kind}"),
            Some(&seller),
            Some(json!({"payloadVersion": "1.0", "destinationId": dest})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "one subscription per type");
        let (_, got) = call(
            st,
            "GET",
            &format!("/notifications/v1/subscriptions/{kind}"),
            Some(&seller),
            None,
        )
        .await;
        model_check("GetSubscriptionResponse", &got);
    }
}

#[tokio::test]
async fn every_delivered_type_validates_against_amazons_schema() {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 800,
            ..Default::default()
        }),
        true,
    );
    let sink = Arc::new(MemorySink::default());
    st.set_sink(sink.clone());
    let arn = "arn:aws:sqs:us-east-1:000000000000:spapi-notifications";
    subscribe(
        &st,
        &[
            "ORDER_CHANGE",
            "TRANSACTION_UPDATE",
            "FBA_INVENTORY_AVAILABILITY_CHANGES",
            "ANY_OFFER_CHANGED",
            "FEE_PROMOTION",
            "LISTINGS_ITEM_STATUS_CHANGE",
            "REPORT_PROCESSING_FINISHED",
            "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
        ],
        arn,
    )
    .await;
    for (kind, schema) in [
        ("ORDER_CHANGE", Some("OrderChangeNotification")),
        ("TRANSACTION_UPDATE", Some("TransactionUpdateNotification")),
        (
            "FBA_INVENTORY_AVAILABILITY_CHANGES",
            Some("FBAInventoryAvailabilityChangeNotification"),
        ),
        ("ANY_OFFER_CHANGED", Some("AnyOfferChangedNotification")),
        ("FEE_PROMOTION", Some("FeePromotionNotification")),
        (
            "LISTINGS_ITEM_STATUS_CHANGE",
            Some("ListingsItemStatusChangeNotification"),
        ),
        ("APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY", None),
    ] {
        let before = sink.0.lock().unwrap().len();
        let (s, r) = call(
            &st,
            "POST",
            "/_stand-in/notify",
            None,
            Some(json!({"notificationType": kind, "count": 3})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{kind}: {r}");
        let msgs: Vec<(String, String)> = sink.0.lock().unwrap()[before..].to_vec();
        assert!(!msgs.is_empty(), "{kind} delivered");
        for (to, body) in msgs {
            assert_eq!(to, arn);
            let v: Value = serde_json::from_str(&body).unwrap();
            match schema {
                Some(s) => schema_check(s, &v),
                None => assert_eq!(
                    v["payload"]["applicationOAuthClientSecretExpiry"]["clientId"],
                    st.apps.client_id.as_str()
                ),
            }
        }
    }
    // A requested report that finishes is announced once.
    let (seller, _) = tokens(&st).await;
    let (_, created) = call(&st, "POST", "/reports/2021-06-30/reports", Some(&seller), Some(json!({"reportType": "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}))).await;
    st.advance(Duration::seconds(120));
    assert_eq!(st.deliver_finished_reports().await.unwrap(), 1);
    assert_eq!(
        st.deliver_finished_reports().await.unwrap(),
        0,
        "announced once"
    );
    let last: Value = serde_json::from_str(&sink.0.lock().unwrap().last().unwrap().1).unwrap();
    schema_check("ReportProcessingFinishedNotification", &last);
    assert_eq!(
        last["payload"]["reportProcessingFinishedNotification"]["reportId"],
        created["reportId"]
    );
}

#[tokio::test]
async fn duplicate_and_out_of_order_delivery_on_demand() {
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 300,
            ..Default::default()
        }),
        true,
    );
    let sink = Arc::new(MemorySink::default());
    st.set_sink(sink.clone());
    subscribe(
        &st,
        &["ORDER_CHANGE"],
        "arn:aws:sqs:us-east-1:000000000000:q",
    )
    .await;
    let fault = |kind| FaultRule {
        operation: None,
        kind,
        every: 1,
        times: Some(1),
        seen: 0,
        fired: 0,
    };
    st.add_fault(fault(FaultKind::DuplicateNotifications));
    assert_eq!(st.notify("ORDER_CHANGE", 2).await.unwrap(), 4);
    let ids: Vec<String> = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["NotificationMetadata"]["NotificationId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids[0], ids[1], "the same notification twice");
    sink.0.lock().unwrap().clear();
    st.add_fault(fault(FaultKind::ReorderNotifications));
    st.notify("ORDER_CHANGE", 3).await.unwrap();
    let times: Vec<String> = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["EventTime"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "reversed: oldest first now {times:?}"
    );
    sink.0.lock().unwrap().clear();
    st.notify("ORDER_CHANGE", 3).await.unwrap();
    let times: Vec<String> = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["EventTime"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "normally newest first {times:?}"
    );
}

#[tokio::test]
async fn notifications_arrive_as_real_sqs_messages() {
    let endpoint = std::env::var("BEDDORA_TEST_AWS_ENDPOINT").unwrap_or_else(|_| panic!("BEDDORA_TEST_AWS_ENDPOINT is not set: run the tests with ./infra/test.sh, which starts moto (the AWS emulator)"));
    let conf = shared::bootstrap::sdk_config_with(
        aws_config::Region::new("us-east-1"),
        aws_sdk_sqs::config::Credentials::new("testing", "testing", None, None, "tests"),
        Some(endpoint),
    );
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let name = format!("spapi-{}", uuid::Uuid::new_v4());
    let url = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    let st = StandIn::virtual_clock(
        generate(&SellerSpec {
            orders: 300,
            ..Default::default()
        }),
        true,
    );
    st.set_sink(Arc::new(SqsSink::new(sqs.clone())));
    subscribe(&st, &["ORDER_CHANGE"], &arn).await;
    assert_eq!(st.notify("ORDER_CHANGE", 3).await.unwrap(), 3);
    let mut got = vec![];
    for _ in 0..5 {
        let r = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        got.extend(r.messages.unwrap_or_default());
        if got.len() >= 3 {
            break;
        }
    }
    assert_eq!(got.len(), 3);
    for m in got {
        let v: Value = serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
        schema_check("OrderChangeNotification", &v);
        assert_eq!(
            v["Payload"]["OrderChangeNotification"]["SellerId"],
            st.seller.seller_id.as_str()
        );
    }
    let _ = sqs.delete_queue().queue_url(&url).send().await;
}
