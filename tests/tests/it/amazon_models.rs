//! The typed Selling Partner API models against Amazon's own sandbox examples: every static
//! sandbox response of every operation we model must read into its Rust type (2xx) or into the
//! error type (other codes), and write back without losing a field or a digit. The same holds
//! for a body with every property Amazon's definitions allow, for the notification schemas and
//! their examples, and for what real Amazon bodies do beyond their models: booleans as strings,
//! empty strings for absent times, amounts with more digits than a float keeps.

use serde_json::{json, Value};
use shared::amazon::models::notification_payloads::{self as payloads, Received};
use shared::amazon::models::{
    catalog, decode, decode_notification, decode_value, fba_inventory, fees, finances, finances_v0,
    json_number, listings, notifications, orders, orders_v0, pagination_param, pricing, reports,
    sellers, solicitations, tokens, Decimal, ErrorList, Paged,
};
use std::collections::{BTreeMap, BTreeSet};

const MODELS_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../infra/amazon-stand-in/models"
);

/// Reads a 2xx body into the operation's type and writes it back as JSON.
type Reader = fn(&Value) -> Result<Value, String>;

/// The [`Reader`] of a type (a macro: the tests crate does not depend on `serde` itself).
macro_rules! read {
    ($t:ty) => {
        |body: &Value| -> Result<Value, String> {
            let typed: $t = decode_value(body).map_err(|e| e.to_string())?;
            serde_json::to_value(&typed).map_err(|e| e.to_string())
        }
    };
}

/// A 2xx response without a body (cancelReport): Amazon's example has no `response` at all.
fn no_body(body: &Value) -> Result<Value, String> {
    Err(format!("expected no body, found {body}"))
}

struct Modelled {
    file: &'static str,
    operation: &'static str,
    reader: Reader,
}

const fn op(file: &'static str, operation: &'static str, reader: Reader) -> Modelled {
    Modelled {
        file,
        operation,
        reader,
    }
}

const MODELLED: &[Modelled] = &[
    op(
        "sellers.json",
        "getMarketplaceParticipations",
        read!(sellers::GetMarketplaceParticipationsResponse),
    ),
    op(
        "orders_2026-01-01.json",
        "searchOrders",
        read!(orders::SearchOrdersResponse),
    ),
    op(
        "orders_2026-01-01.json",
        "getOrder",
        read!(orders::GetOrderResponse),
    ),
    op(
        "ordersV0.json",
        "getOrders",
        read!(orders_v0::GetOrdersResponse),
    ),
    op(
        "ordersV0.json",
        "getOrder",
        read!(orders_v0::GetOrderResponse),
    ),
    op(
        "ordersV0.json",
        "getOrderItems",
        read!(orders_v0::GetOrderItemsResponse),
    ),
    op(
        "finances_2024-06-19.json",
        "listTransactions",
        read!(finances::ListTransactionsResponse),
    ),
    op(
        "financesV0.json",
        "listFinancialEventGroups",
        read!(finances_v0::ListFinancialEventGroupsResponse),
    ),
    op(
        "financesV0.json",
        "listFinancialEventsByGroupId",
        read!(finances_v0::ListFinancialEventsResponse),
    ),
    op(
        "financesV0.json",
        "listFinancialEventsByOrderId",
        read!(finances_v0::ListFinancialEventsResponse),
    ),
    op(
        "financesV0.json",
        "listFinancialEvents",
        read!(finances_v0::ListFinancialEventsResponse),
    ),
    op(
        "reports_2021-06-30.json",
        "createReport",
        read!(reports::CreateReportResponse),
    ),
    op(
        "reports_2021-06-30.json",
        "getReports",
        read!(reports::GetReportsResponse),
    ),
    op(
        "reports_2021-06-30.json",
        "getReport",
        read!(reports::Report),
    ),
    op("reports_2021-06-30.json", "cancelReport", no_body),
    op(
        "reports_2021-06-30.json",
        "getReportDocument",
        read!(reports::ReportDocument),
    ),
    op(
        "fbaInventory.json",
        "getInventorySummaries",
        read!(fba_inventory::GetInventorySummariesResponse),
    ),
    op(
        "tokens_2021-03-01.json",
        "createRestrictedDataToken",
        read!(tokens::CreateRestrictedDataTokenResponse),
    ),
    op(
        "solicitations.json",
        "getSolicitationActionsForOrder",
        read!(solicitations::GetSolicitationActionsForOrderResponse),
    ),
    op(
        "solicitations.json",
        "createProductReviewAndSellerFeedbackSolicitation",
        read!(solicitations::CreateProductReviewAndSellerFeedbackSolicitationResponse),
    ),
    op(
        "notifications.json",
        "getDestinations",
        read!(notifications::GetDestinationsResponse),
    ),
    op(
        "notifications.json",
        "createDestination",
        read!(notifications::CreateDestinationResponse),
    ),
    op(
        "notifications.json",
        "getDestination",
        read!(notifications::GetDestinationResponse),
    ),
    op(
        "notifications.json",
        "deleteDestination",
        read!(notifications::DeleteDestinationResponse),
    ),
    op(
        "notifications.json",
        "getSubscription",
        read!(notifications::GetSubscriptionResponse),
    ),
    op(
        "notifications.json",
        "createSubscription",
        read!(notifications::CreateSubscriptionResponse),
    ),
    op(
        "notifications.json",
        "getSubscriptionById",
        read!(notifications::GetSubscriptionByIdResponse),
    ),
    op(
        "notifications.json",
        "deleteSubscriptionById",
        read!(notifications::DeleteSubscriptionByIdResponse),
    ),
    op(
        "catalogItems_2022-04-01.json",
        "searchCatalogItems",
        read!(catalog::ItemSearchResults),
    ),
    op(
        "catalogItems_2022-04-01.json",
        "getCatalogItem",
        read!(catalog::Item),
    ),
    op(
        "productPricingV0.json",
        "getItemOffers",
        read!(pricing::GetOffersResponse),
    ),
    op(
        "productPricingV0.json",
        "getCompetitivePricing",
        read!(pricing::GetPricingResponse),
    ),
    op(
        "productFeesV0.json",
        "getMyFeesEstimateForSKU",
        read!(fees::GetMyFeesEstimateResponse),
    ),
    op(
        "listingsItems_2021-08-01.json",
        "searchListingsItems",
        read!(listings::ItemSearchResults),
    ),
    op(
        "listingsItems_2021-08-01.json",
        "getListingsItem",
        read!(listings::Item),
    ),
];

/// Operations in the model files that the client does not call, so they have no Rust type.
const NOT_MODELLED: &[(&str, &str)] = &[
    ("sellers.json", "getAccount"),
    ("ordersV0.json", "getOrderBuyerInfo"),
    ("ordersV0.json", "getOrderAddress"),
    ("ordersV0.json", "getOrderItemsBuyerInfo"),
    ("ordersV0.json", "updateShipmentStatus"),
    ("ordersV0.json", "getOrderRegulatedInfo"),
    ("ordersV0.json", "updateVerificationStatus"),
    ("ordersV0.json", "confirmShipment"),
    ("finances_2024-06-19.json", "listBalances"),
    ("finances_2024-06-19.json", "listSummary"),
    ("reports_2021-06-30.json", "getReportSchedules"),
    ("reports_2021-06-30.json", "createReportSchedule"),
    ("reports_2021-06-30.json", "cancelReportSchedule"),
    ("reports_2021-06-30.json", "getReportSchedule"),
    ("fbaInventory.json", "createInventoryItem"),
    ("fbaInventory.json", "deleteInventoryItem"),
    ("fbaInventory.json", "addInventory"),
    ("notifications.json", "getSubscriptions"),
    ("notifications.json", "sendTestNotification"),
    ("productPricingV0.json", "getPricing"),
    ("productPricingV0.json", "getListingOffers"),
    ("productPricingV0.json", "getItemOffersBatch"),
    ("productPricingV0.json", "getListingOffersBatch"),
    ("productFeesV0.json", "getMyFeesEstimateForASIN"),
    ("productFeesV0.json", "getMyFeesEstimates"),
    ("listingsItems_2021-08-01.json", "deleteListingsItem"),
    ("listingsItems_2021-08-01.json", "patchListingsItem"),
    ("listingsItems_2021-08-01.json", "putListingsItem"),
];

/// Modelled operations whose model has no static sandbox example at all.
const WITHOUT_EXAMPLES: &[(&str, &str)] = &[("fbaInventory.json", "getInventorySummaries")];

/// Sandbox response bodies checked per file; a change in Amazon's models shows up here.
const EXPECTED_BODIES: &[(&str, usize)] = &[
    ("catalogItems_2022-04-01.json", 4),
    ("fbaInventory.json", 0),
    ("financesV0.json", 8),
    ("finances_2024-06-19.json", 2),
    ("listingsItems_2021-08-01.json", 4),
    ("notifications.json", 8),
    ("ordersV0.json", 9),
    ("orders_2026-01-01.json", 8),
    ("productFeesV0.json", 2),
    ("productPricingV0.json", 7),
    ("reports_2021-06-30.json", 9),
    ("sellers.json", 1),
    ("solicitations.json", 2),
    ("tokens_2021-03-01.json", 3),
];

/// One `x-amzn-api-sandbox.static[]` entry of an operation.
struct Example {
    file: &'static str,
    operation: String,
    code: String,
    index: usize,
    body: Option<Value>,
}

impl Example {
    fn name(&self) -> String {
        format!(
            "{} {} {} static[{}]",
            self.file, self.operation, self.code, self.index
        )
    }
}

fn load(file: &str) -> Value {
    let path = format!("{MODELS_DIR}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every operation of a model file as `(operationId, operation object)`.
fn operations(model: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for item in model["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                out.push((id.to_owned(), op.clone()));
            }
        }
    }
    out
}

fn examples() -> Vec<Example> {
    let files: BTreeSet<&'static str> = MODELLED.iter().map(|m| m.file).collect();
    let mut out = Vec::new();
    for file in files {
        for (operation, op) in operations(&load(file)) {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (code, response) in responses {
                let statics = response["x-amzn-api-sandbox"]["static"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for (index, entry) in statics.into_iter().enumerate() {
                    out.push(Example {
                        file,
                        operation: operation.clone(),
                        code: code.clone(),
                        index,
                        body: entry.get("response").cloned(),
                    });
                }
            }
        }
    }
    out
}

/// The sandbox examples of successful calls, with their model and body.
fn success_examples() -> Vec<(Example, &'static Modelled, Value)> {
    examples()
        .into_iter()
        .filter(|e| e.code.starts_with('2'))
        .filter_map(|e| {
            let model = modelled(e.file, &e.operation)?;
            let body = e.body.clone()?;
            Some((e, model, body))
        })
        .collect()
}

fn modelled(file: &str, operation: &str) -> Option<&'static Modelled> {
    MODELLED
        .iter()
        .find(|m| m.file == file && m.operation == operation)
}

fn same_instant(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A JSON number as the exact decimal its text spells (serde_json keeps the text's nearest
/// binary value, whose shortest text is the one sent).
fn exact(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text).ok()
    } else {
        text.parse().ok()
    }
}

/// Whether `written` still holds everything of `original`: every non-empty field under the
/// same name, numbers equal as exact decimals, strings equal (date-times as the same instant,
/// `"true"`/`"false"` as the boolean). This is what catches a misnamed field, which tolerating
/// unknown fields would otherwise hide, and any amount that changed on the way.
pub(crate) fn covers(original: &Value, written: &Value, at: &str) -> Result<(), String> {
    match (original, written) {
        (Value::Object(o), Value::Object(w)) => {
            for (key, value) in o {
                let empty = value.is_null()
                    || value.as_str() == Some("")
                    || value.as_array().is_some_and(Vec::is_empty)
                    || value.as_object().is_some_and(|m| m.is_empty());
                if empty {
                    continue;
                }
                match w.get(key) {
                    Some(back) => covers(value, back, &format!("{at}.{key}"))?,
                    None => return Err(format!("{at}.{key} was dropped")),
                }
            }
            Ok(())
        }
        (Value::Array(o), Value::Array(w)) if o.len() == w.len() => o
            .iter()
            .zip(w)
            .enumerate()
            .try_for_each(|(i, (o, w))| covers(o, w, &format!("{at}[{i}]"))),
        (Value::Number(o), Value::Number(w)) if exact(o).is_some() && exact(o) == exact(w) => {
            Ok(())
        }
        (Value::String(o), Value::String(w)) if o == w || same_instant(o, w) => Ok(()),
        (Value::String(o), Value::Bool(w)) if o.eq_ignore_ascii_case(&w.to_string()) => Ok(()),
        (Value::Bool(o), Value::Bool(w)) if o == w => Ok(()),
        _ => Err(format!("{at}: {original} came back as {written}")),
    }
}

#[test]
fn every_model_operation_is_modelled_or_listed_as_not_modelled() {
    let files: BTreeSet<&'static str> = MODELLED.iter().map(|m| m.file).collect();
    for file in files {
        for (operation, _) in operations(&load(file)) {
            let listed = NOT_MODELLED.contains(&(file, operation.as_str()));
            let typed = modelled(file, &operation).is_some();
            assert!(
                listed != typed,
                "{file} {operation}: must be either modelled or listed in NOT_MODELLED, not both"
            );
        }
    }
}

#[test]
fn every_sandbox_example_deserializes_into_its_model() {
    let mut failures = Vec::new();
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bodiless = Vec::new();
    let mut with_examples = BTreeSet::new();
    for example in examples() {
        let Some(model) = modelled(example.file, &example.operation) else {
            continue;
        };
        with_examples.insert((model.file, model.operation));
        let Some(body) = &example.body else {
            bodiless.push(example.name());
            continue;
        };
        *checked.entry(example.file).or_default() += 1;
        let outcome = if example.code.starts_with('2') {
            (model.reader)(body).and_then(|written| covers(body, &written, "$"))
        } else {
            (read!(ErrorList))(body).and_then(|written| {
                let errors = serde_json::from_value::<ErrorList>(written.clone())
                    .map_err(|e| e.to_string())?;
                if errors.errors.is_empty() {
                    return Err("an error body without errors".into());
                }
                covers(body, &written, "$")
            })
        };
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", example.name()));
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (file, expected) in EXPECTED_BODIES {
        assert_eq!(
            checked.get(file).copied().unwrap_or(0),
            *expected,
            "sandbox bodies checked in {file}"
        );
    }
    assert_eq!(checked.values().sum::<usize>(), 67);
    assert_eq!(
        bodiless,
        ["reports_2021-06-30.json cancelReport 200 static[0]"]
    );
    let without: Vec<(&str, &str)> = MODELLED
        .iter()
        .map(|m| (m.file, m.operation))
        .filter(|key| !with_examples.contains(key))
        .collect();
    assert_eq!(without, WITHOUT_EXAMPLES);
}

fn sandbox_body(file: &str, operation: &str, code: &str, index: usize) -> Value {
    examples()
        .into_iter()
        .find(|e| e.file == file && e.operation == operation && e.code == code && e.index == index)
        .and_then(|e| e.body)
        .unwrap_or_else(|| panic!("no sandbox body {file} {operation} {code} static[{index}]"))
}

#[test]
fn finances_v0_sandbox_amounts_round_trip_exactly() {
    let body = sandbox_body("financesV0.json", "listFinancialEventGroups", "200", 0);
    let typed: finances_v0::ListFinancialEventGroupsResponse =
        serde_json::from_value(body).expect("event groups");
    let group = &typed
        .payload
        .as_ref()
        .expect("payload")
        .financial_event_group_list[0];
    let total = group.original_total.as_ref().expect("original total");
    assert_eq!(
        total.currency_amount.map(|d| d.to_string()).as_deref(),
        Some("10.34")
    );

    let written = serde_json::to_value(&typed).expect("serialize");
    let group = &written["payload"]["FinancialEventGroupList"][0];
    assert_eq!(group["OriginalTotal"]["CurrencyAmount"], json!(10.34));
    assert_eq!(group["ConvertedTotal"]["CurrencyAmount"], json!(39.43));
    assert_eq!(group["BeginningBalance"]["CurrencyAmount"], json!(55.33));
    assert_eq!(
        serde_json::to_string(&group["OriginalTotal"]).expect("text"),
        r#"{"CurrencyAmount":10.34,"CurrencyCode":"USD"}"#
    );
}

#[test]
fn finances_2024_sandbox_integer_amount_stays_an_integer() {
    let body = sandbox_body("finances_2024-06-19.json", "listTransactions", "200", 0);
    let typed: finances::ListTransactionsResponse =
        serde_json::from_value(body).expect("transactions");
    let written = serde_json::to_value(&typed).expect("serialize");
    let amount = &written["payload"]["transactions"][0]["totalAmount"]["currencyAmount"];
    assert_eq!(amount.to_string(), "10");
}

#[test]
fn orders_and_fees_sandbox_amounts_round_trip_exactly() {
    let body = sandbox_body("ordersV0.json", "getOrders", "200", 0);
    let typed: orders_v0::GetOrdersResponse = serde_json::from_value(body).expect("orders");
    let written = serde_json::to_value(&typed).expect("serialize");
    assert_eq!(
        written["payload"]["Orders"][0]["OrderTotal"]["Amount"],
        json!("11.01")
    );

    let body = sandbox_body("productFeesV0.json", "getMyFeesEstimateForSKU", "200", 0);
    let typed: fees::GetMyFeesEstimateResponse = serde_json::from_value(body).expect("fees");
    let written = serde_json::to_value(&typed).expect("serialize");
    let total = &written["payload"]["FeesEstimateResult"]["FeesEstimate"]["TotalFeesEstimate"];
    assert_eq!(total["Amount"].to_string(), "3.0");
}

#[test]
fn finances_amount_of_a_million_keeps_every_digit() {
    let currency: finances::Currency =
        serde_json::from_str(r#"{"currencyCode":"EUR","currencyAmount":1234567.89}"#)
            .expect("currency");
    let expected: Decimal = "1234567.89".parse().expect("decimal");
    assert_eq!(currency.currency_amount, Some(expected));
    assert_eq!(
        serde_json::to_string(&currency).expect("serialize"),
        r#"{"currencyCode":"EUR","currencyAmount":1234567.89}"#
    );

    let negative: finances_v0::Currency =
        serde_json::from_str(r#"{"CurrencyCode":"USD","CurrencyAmount":-0.07}"#).expect("currency");
    assert_eq!(
        negative.currency_amount.map(|d| d.to_string()).as_deref(),
        Some("-0.07")
    );
}

#[test]
fn orders_v0_string_amount_keeps_its_scale() {
    let money: orders_v0::Money =
        serde_json::from_str(r#"{"CurrencyCode":"USD","Amount":"0.10"}"#).expect("money");
    let amount = money.amount.expect("amount");
    assert_eq!(amount.to_string(), "0.10");
    assert_eq!(amount.scale(), 2);
    assert_eq!(
        serde_json::to_string(&money).expect("serialize"),
        r#"{"CurrencyCode":"USD","Amount":"0.10"}"#
    );
}

#[test]
fn string_money_rejects_a_json_number() {
    let result = serde_json::from_str::<orders::Money>(r#"{"currencyCode":"USD","amount":1.5}"#);
    assert!(result.is_err(), "orders money must be a decimal string");
}

#[test]
fn unknown_fields_are_ignored() {
    let doc: reports::ReportDocument = serde_json::from_value(json!({
        "reportDocumentId": "doc-1",
        "url": "https://example.com/doc-1",
        "compressionAlgorithm": "GZIP",
        "addedByAmazonLater": {"x": 1}
    }))
    .expect("report document");
    assert_eq!(
        doc.compression_algorithm,
        Some(reports::CompressionAlgorithm::Gzip)
    );
}

#[test]
fn error_bodies_of_both_families_read_as_error_list() {
    let bare = sandbox_body("reports_2021-06-30.json", "getReport", "400", 0);
    let wrapped = sandbox_body("ordersV0.json", "getOrders", "400", 0);
    for body in [bare, wrapped.clone()] {
        let list: ErrorList = serde_json::from_value(body).expect("error list");
        assert!(!list.errors.is_empty());
    }
    let as_wrapper: orders_v0::GetOrdersResponse =
        serde_json::from_value(wrapped).expect("wrapper");
    assert_eq!(as_wrapper.errors[0].code, "InvalidInput");
    assert!(as_wrapper.payload.is_none());
}

/// Reads a paged sandbox body and returns its next-page token.
type NextToken = fn(&Value) -> Option<String>;

#[test]
fn paged_responses_expose_the_next_token_where_amazon_puts_it() {
    let cases: [(&str, &str, usize, NextToken, &str); 6] = [
        (
            "ordersV0.json",
            "getOrders",
            0,
            |b| {
                let typed: orders_v0::GetOrdersResponse =
                    serde_json::from_value(b.clone()).expect("paged body");
                typed.next_token().map(str::to_owned)
            },
            "orders_v0.getOrders",
        ),
        (
            "orders_2026-01-01.json",
            "searchOrders",
            0,
            |b| {
                let typed: orders::SearchOrdersResponse =
                    serde_json::from_value(b.clone()).expect("paged body");
                typed.next_token().map(str::to_owned)
            },
            "orders.searchOrders",
        ),
        (
            "finances_2024-06-19.json",
            "listTransactions",
            0,
            |b| {
                let typed: finances::ListTransactionsResponse =
                    serde_json::from_value(b.clone()).expect("paged body");
                typed.next_token().map(str::to_owned)
            },
            "finances.listTransactions",
        ),
        (
            "financesV0.json",
            "listFinancialEventGroups",
            0,
            |b| {
                let typed: finances_v0::ListFinancialEventGroupsResponse =
                    serde_json::from_value(b.clone()).expect("paged body");
                typed.next_token().map(str::to_owned)
            },
            "finances_v0.listFinancialEventGroups",
        ),
        (
            "reports_2021-06-30.json",
            "getReports",
            0,
            |b| {
                let typed: reports::GetReportsResponse =
                    serde_json::from_value(b.clone()).expect("paged body");
                typed.next_token().map(str::to_owned)
            },
            "reports.getReports",
        ),
        (
            "listingsItems_2021-08-01.json",
            "searchListingsItems",
            0,
            |b| {
                let typed: listings::ItemSearchResults =
                    serde_json::from_value(b.clone()).expect("paged body");
                typed.next_token().map(str::to_owned)
            },
            "listings.searchListingsItems",
        ),
    ];
    for (file, operation, index, next, param_of) in cases {
        let body = sandbox_body(file, operation, "200", index);
        let expected = [
            &body["payload"]["NextToken"],
            &body["payload"]["nextToken"],
            &body["pagination"]["nextToken"],
            &body["nextToken"],
        ]
        .into_iter()
        .find_map(|v| v.as_str().map(str::to_owned));
        assert_eq!(next(&body), expected, "{file} {operation}");
        assert!(pagination_param(param_of).is_some(), "{param_of}");
    }
    assert_eq!(
        pagination_param("orders.searchOrders"),
        Some("paginationToken")
    );
    assert_eq!(
        pagination_param("catalog.searchCatalogItems"),
        Some("pageToken")
    );
}

#[test]
fn the_coverage_check_catches_a_field_the_model_drops() {
    let body = json!({"reportId": "ID323", "reportIdTypo": "x"});
    let written = (read!(reports::CreateReportResponse))(&body).expect("create report");
    let outcome = covers(&body, &written, "$");
    assert_eq!(outcome, Err("$.reportIdTypo was dropped".to_owned()));
}

/// Every boolean leaf of `v` turned into its string, as getOrders sends `IsReplacementOrder`;
/// returns how many there were.
fn booleans_as_strings(v: &mut Value) -> usize {
    match v {
        Value::Bool(b) => {
            *v = Value::String(b.to_string());
            1
        }
        Value::Array(items) => items.iter_mut().map(booleans_as_strings).sum(),
        Value::Object(fields) => fields.values_mut().map(booleans_as_strings).sum(),
        _ => 0,
    }
}

#[test]
fn every_boolean_of_every_model_reads_from_a_string_too() {
    let mut turned = 0;
    let mut failures = Vec::new();
    for (example, model, body) in success_examples() {
        let body = &body;
        let mut stringly = body.clone();
        turned += booleans_as_strings(&mut stringly);
        let outcome = (model.reader)(&stringly).and_then(|written| covers(body, &written, "$"));
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", example.name()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        turned >= 40,
        "only {turned} booleans in the sandbox examples"
    );
}

/// The paths (`payload.Orders[0].PurchaseDate`, as [`decode`] names them) of every string leaf
/// that is a date-time.
fn time_leaves(v: &Value, at: &str, out: &mut Vec<String>) {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match v {
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => out.push(at.into()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                time_leaves(item, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(fields) => {
            for (key, value) in fields {
                time_leaves(value, &join(key), out);
            }
        }
        _ => {}
    }
}

fn blank_at(v: &mut Value, path: &str) {
    let mut target = v;
    for part in path.split('.') {
        let (key, indices) = part
            .split_once('[')
            .map_or((part, ""), |(k, rest)| (k, rest));
        target = &mut target[key];
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            target = &mut target[index.trim_end_matches(']').parse::<usize>().expect("index")];
        }
    }
    *target = json!("");
}

/// Sends each date-time of `body` empty, one at a time: it must read as absent, or (a required
/// time) fail with an error that names exactly its path. Returns (absent, named).
fn blank_each_time(
    reader: Reader,
    body: &Value,
    what: &str,
    failures: &mut Vec<String>,
) -> (usize, usize) {
    let (mut absent, mut named) = (0, 0);
    let mut paths = Vec::new();
    time_leaves(body, "", &mut paths);
    for path in paths {
        let mut blanked = body.clone();
        blank_at(&mut blanked, &path);
        match reader(&blanked) {
            Ok(written) => match covers(&blanked, &written, "$") {
                Ok(()) => absent += 1,
                Err(e) => failures.push(format!("{what} {path}: {e}")),
            },
            Err(e) if e.starts_with(&format!("{path}: ")) => named += 1,
            Err(e) => failures.push(format!("{what} {path}: {e}")),
        }
    }
    (absent, named)
}

#[test]
fn an_empty_time_reads_as_absent_or_fails_naming_its_field() {
    let (mut absent, mut named) = (0, 0);
    let mut failures = Vec::new();
    for (example, model, body) in success_examples() {
        let body = &body;
        let (a, n) = blank_each_time(model.reader, body, &example.name(), &mut failures);
        absent += a;
        named += n;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(absent >= 20 && named >= 5, "absent {absent}, named {named}");
}

#[test]
fn a_decoding_error_names_the_field_path() {
    let mut body = sandbox_body("ordersV0.json", "getOrders", "200", 0);
    body["payload"]["Orders"][0]["IsReplacementOrder"] = json!("maybe");
    let err = decode::<orders_v0::GetOrdersResponse>(body.to_string().as_bytes())
        .expect_err("not a boolean");
    assert_eq!(err.path, "payload.Orders[0].IsReplacementOrder");
    assert!(
        err.to_string()
            .starts_with("payload.Orders[0].IsReplacementOrder: invalid value: string \"maybe\""),
        "{err}"
    );

    let page = |time: &str| {
        json!({"payload": {"granularity": {"granularityType": "Marketplace", "granularityId": "ATVPDKIKX0DER"},
            "inventorySummaries": [{"asin": "B0", "lastUpdatedTime": "2026-01-01T00:00:00Z"}, {"asin": "B1", "lastUpdatedTime": time}]}})
        .to_string()
    };
    let read = decode::<fba_inventory::GetInventorySummariesResponse>(page("").as_bytes())
        .expect("an empty time is no time");
    let summaries = read.payload.expect("payload").inventory_summaries;
    assert!(summaries[0].last_updated_time.is_some());
    assert_eq!(summaries[1].last_updated_time, None);
    let err = decode::<fba_inventory::GetInventorySummariesResponse>(page("yesterday").as_bytes())
        .expect_err("not a time");
    assert_eq!(err.path, "payload.inventorySummaries[1].lastUpdatedTime");

    // An empty enum or amount is no value either; a wrong one is named.
    let doc: reports::ReportDocument =
        decode(br#"{"reportDocumentId": "d", "url": "https://x", "compressionAlgorithm": ""}"#)
            .expect("empty enum");
    assert_eq!(doc.compression_algorithm, None);
    let err = decode::<reports::ReportDocument>(
        br#"{"reportDocumentId": "d", "url": "https://x", "compressionAlgorithm": 5}"#,
    )
    .expect_err("not an algorithm");
    assert_eq!(err.path, "compressionAlgorithm");
    let currency: finances::Currency =
        decode(br#"{"currencyCode": "EUR", "currencyAmount": ""}"#).expect("empty amount");
    assert_eq!(currency.currency_amount, None);
    let err = decode::<finances::Currency>(br#"{"currencyCode": "EUR", "currencyAmount": "1,5"}"#)
        .expect_err("not an amount");
    assert_eq!(err.path, "currencyAmount");

    let err = decode::<orders_v0::GetOrdersResponse>(b"{\"payload\": {\"Orders\": []}} trailing")
        .expect_err("trailing bytes");
    assert_eq!(err.path, ".");
}

#[test]
fn string_booleans_read_as_booleans_and_write_back_as_booleans() {
    let mut body = sandbox_body("ordersV0.json", "getOrders", "200", 0);
    body["payload"]["Orders"][0]["IsReplacementOrder"] = json!("false");
    body["payload"]["Orders"][0]["IsPrime"] = json!("TRUE");
    let typed: orders_v0::GetOrdersResponse = decode_value(&body).expect("string booleans");
    let order = &typed.payload.as_ref().expect("payload").orders[0];
    assert_eq!(order.is_replacement_order, Some(false));
    assert_eq!(order.is_prime, Some(true));
    let written = serde_json::to_value(&typed).expect("serialize");
    assert_eq!(
        written["payload"]["Orders"][0]["IsReplacementOrder"],
        json!(false)
    );
}

#[test]
fn amounts_are_read_and_written_digit_for_digit() {
    for text in [
        "0.75",
        "-1141.18",
        "1234567890123.45",
        "10",
        "0.1",
        "3.0",
        "-0.07",
    ] {
        let body = format!(r#"{{"currencyCode":"EUR","currencyAmount":{text}}}"#);
        let currency: finances::Currency = decode(body.as_bytes()).expect("currency");
        assert_eq!(
            currency.currency_amount.map(|d| d.to_string()).as_deref(),
            Some(text)
        );
        assert_eq!(serde_json::to_string(&currency).expect("write"), body);
    }
    // Written from the decimal's text, beyond what a float holds.
    let big: Decimal = "12345678901234567.89".parse().expect("decimal");
    let currency = finances::Currency {
        currency_code: Some("EUR".into()),
        currency_amount: Some(big),
    };
    assert_eq!(
        serde_json::to_string(&currency).expect("write"),
        r#"{"currencyCode":"EUR","currencyAmount":12345678901234567.89}"#
    );
    // What the stand-in builds its bodies with is the same path.
    let sum: Decimal = "0.1".parse::<Decimal>().expect("d") + "0.2".parse::<Decimal>().expect("d");
    assert_eq!(json_number::to_value(sum).to_string(), "0.3");
    assert_eq!(
        json_number::to_value(Decimal::new(7, 2)).to_string(),
        "0.07"
    );
}

/// The notification types we subscribe to, by the schema file their examples are in.
const NOTIFICATION_SCHEMAS: &[&str] = &[
    "AnyOfferChangedNotification.json",
    "FBAInventoryAvailabilityChangeNotification.json",
    "FeePromotionNotification.json",
    "ListingsItemStatusChangeNotification.json",
    "OrderChangeNotification.json",
    "ReportProcessingFinishedNotification.json",
    "TransactionUpdateNotification.json",
];

/// Reads a notification into its typed model and writes it back as JSON.
pub(crate) fn notification_round_trip(body: &Value) -> Result<(Received, Value), String> {
    let received = decode_notification(body.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let written = match &received {
        Received::OrderChange(n) => serde_json::to_value(n),
        Received::TransactionUpdate(n) => serde_json::to_value(n),
        Received::ReportProcessingFinished(n) => serde_json::to_value(n),
        Received::FbaInventoryAvailabilityChanges(n) => serde_json::to_value(n),
        Received::AnyOfferChanged(n) => serde_json::to_value(n),
        Received::FeePromotion(n) => serde_json::to_value(n),
        Received::ListingsItemStatusChange(n) => serde_json::to_value(n),
        Received::ApplicationOAuthClientSecretExpiry(n) => serde_json::to_value(n),
        Received::ApplicationOAuthClientNewSecret(n) => serde_json::to_value(n),
        Received::Other {
            notification_type, ..
        } => return Err(format!("{notification_type} is not modelled")),
    }
    .map_err(|e| e.to_string())?;
    covers(body, &written, "$")?;
    Ok((received, written))
}

#[test]
fn every_notification_schema_example_reads_into_its_model() {
    let mut read = 0;
    for file in NOTIFICATION_SCHEMAS {
        let schema = load(file);
        for example in schema["examples"].as_array().into_iter().flatten() {
            notification_round_trip(example).unwrap_or_else(|e| panic!("{file}: {e}"));
            read += 1;
        }
    }
    assert_eq!(read, 7, "examples in the notification schemas");
}

#[test]
fn notifications_arrive_double_encoded_and_in_types_we_do_not_model() {
    let example = load("OrderChangeNotification.json")["examples"][0].clone();
    let twice = Value::String(example.to_string()).to_string();
    let Received::OrderChange(order) = decode_notification(twice.as_bytes()).expect("read") else {
        panic!("an ORDER_CHANGE");
    };
    assert_eq!(
        order
            .payload
            .order_change_notification
            .summary
            .fulfillment_type,
        example["Payload"]["OrderChangeNotification"]["Summary"]["FulfillmentType"]
    );

    let other = json!({"NotificationType": "B2B_ANY_OFFER_CHANGED", "Payload": {}});
    assert!(matches!(
        decode_notification(other.to_string().as_bytes()),
        Ok(Received::Other { notification_type, .. }) if notification_type == "B2B_ANY_OFFER_CHANGED"
    ));

    let mut broken = load("FeePromotionNotification.json")["examples"][0].clone();
    broken["Payload"]["FeePromotionNotification"]["PromotionInformation"][0]["FeeDiscountValue"] =
        json!("ten");
    let err = decode_notification(broken.to_string().as_bytes()).expect_err("not an amount");
    assert_eq!(
        err.path,
        "Payload.FeePromotionNotification.PromotionInformation[0].FeeDiscountValue"
    );
}

#[test]
fn fee_promotion_keeps_cents_and_a_new_secret_stays_out_of_logs() {
    let mut body = load("FeePromotionNotification.json")["examples"][0].clone();
    let info = &mut body["Payload"]["FeePromotionNotification"]["PromotionInformation"][0];
    info["FeeDiscountMonetaryAmount"]["Amount"] = serde_json::from_str("0.75").expect("n");
    let (received, written) = notification_round_trip(&body).expect("fee promotion");
    let Received::FeePromotion(fee) = received else {
        panic!("a FEE_PROMOTION");
    };
    let info = &fee.payload.fee_promotion_notification.promotion_information[0];
    let amount = &info
        .fee_discount_monetary_amount
        .as_ref()
        .expect("amount")
        .amount;
    assert_eq!(amount.to_string(), "0.75");
    assert_eq!(
        written["Payload"]["FeePromotionNotification"]["PromotionInformation"][0]
            ["FeeDiscountMonetaryAmount"]["Amount"]
            .to_string(),
        "0.75"
    );

    let secret = json!({"notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        "payloadVersion": "2023-11-30", "eventTime": "2026-01-01T00:00:00Z",
        "payload": {"applicationOAuthClientNewSecret": {"clientId": "amzn1.application-oa2-client.1", "newClientSecret": "s3cr3t",
            "newClientSecretExpiryTime": "2026-07-01T00:00:00Z", "oldClientSecretExpiryTime": "2026-01-08T00:00:00Z"}},
        "notificationMetadata": {"applicationId": "amzn1.sp.solution.1", "publishTime": "2026-01-01T00:00:00Z", "notificationId": "n-1"}});
    let (received, _) = notification_round_trip(&secret).expect("new secret");
    let Received::ApplicationOAuthClientNewSecret(n) = &received else {
        panic!("a new secret");
    };
    assert_eq!(
        n.payload
            .application_oauth_client_new_secret
            .new_client_secret,
        payloads::ClientSecret("s3cr3t".into())
    );
    assert!(!format!("{received:?}").contains("s3cr3t"));
}

/// A body with every property of a definition filled in (one item per list, recursion cut at
/// a definition already being filled): what Amazon would send if it sent everything its model
/// allows. Plain strings are `"1.25"` so that string amounts read too.
fn fullest(model: &Value, schema: &Value, stack: &mut Vec<String>) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .rsplit('/')
            .next()
            .expect("definition name")
            .to_owned();
        if stack.contains(&name) {
            return Value::Null;
        }
        stack.push(name.clone());
        let filled = fullest(model, &model["definitions"][&name], stack);
        stack.pop();
        return filled;
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = serde_json::Map::new();
        for part in parts {
            if let Value::Object(fields) = fullest(model, part, stack) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    if let Some(alternatives) = schema["anyOf"].as_array() {
        // The notification schemas list item shapes as alternatives: fill in the widest.
        return alternatives
            .iter()
            .map(|a| fullest(model, a, stack))
            .max_by_key(|v| v.as_object().map_or(0, |o| o.len()))
            .unwrap_or(Value::Null);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.first().and_then(Value::as_str),
        other => other.as_str(),
    };
    match kind {
        Some("object") | None if schema["properties"].is_object() => Value::Object(
            schema["properties"]
                .as_object()
                .expect("properties")
                .iter()
                .map(|(key, property)| {
                    // The notification schemas give their times no format.
                    let mut property = property.clone();
                    let timely =
                        key.ends_with("Time") || key.ends_with("Date") || key.starts_with("TimeOf");
                    if timely && property.get("format").is_none() && property.get("$ref").is_none()
                    {
                        property["format"] = json!("date-time");
                    }
                    (key.clone(), fullest(model, &property, stack))
                })
                .filter(|(_, value)| !value.is_null())
                .collect(),
        ),
        Some("array") if schema["items"].is_null() => json!([]),
        Some("array") => match fullest(model, &schema["items"], stack) {
            Value::Null => json!([]),
            item => json!([item]),
        },
        Some("string") => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-02T03:04:05Z"),
            Some("date") => json!("2026-01-02"),
            _ => json!("1.25"),
        },
        Some("integer") => json!(7),
        Some("number") => serde_json::from_str("1.25").expect("number"),
        Some("boolean") => json!(true),
        _ => json!({}),
    }
}

#[test]
fn every_property_amazon_defines_survives_the_model_under_its_own_name() {
    let mut failures = Vec::new();
    let (mut checked, mut booleans, mut times) = (0, 0, 0);
    for m in MODELLED {
        let model = load(m.file);
        let (_, op) = operations(&model)
            .into_iter()
            .find(|(id, _)| id == m.operation)
            .expect("operation");
        let Some(schema) = ["200", "201", "202"]
            .iter()
            .find_map(|code| op["responses"][code]["schema"].as_object())
        else {
            continue;
        };
        let body = fullest(&model, &Value::Object(schema.clone()), &mut Vec::new());
        let outcome = (m.reader)(&body).and_then(|written| covers(&body, &written, "$"));
        if let Err(e) = outcome {
            failures.push(format!("{} {}: {e}", m.file, m.operation));
        }
        // Every boolean Amazon defines reads from a string too.
        let mut stringly = body.clone();
        booleans += booleans_as_strings(&mut stringly);
        let outcome = (m.reader)(&stringly).and_then(|written| covers(&body, &written, "$"));
        if let Err(e) = outcome {
            failures.push(format!(
                "{} {} booleans as strings: {e}",
                m.file, m.operation
            ));
        }
        // Every time Amazon defines, sent empty, is absent or fails naming its field.
        let (absent, named) = blank_each_time(m.reader, &body, m.operation, &mut failures);
        times += absent + named;
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, MODELLED.len() - 1, "every operation with a body");
    assert!(
        booleans >= 40 && times >= 150,
        "{booleans} booleans, {times} times"
    );
}

#[test]
fn an_inventory_notification_reads_in_either_casing() {
    let camel = json!({"notificationVersion": "1.0", "notificationType": "FBA_INVENTORY_AVAILABILITY_CHANGES",
        "payloadVersion": "1.0", "eventTime": "2026-01-02T03:04:05Z",
        "payload": {"sellerId": "A1", "fnsku": "X001", "asin": "B0001", "sku": "SKU-1",
            "fulfillmentInventoryByMarketplace": [{"marketplaceId": "ATVPDKIKX0DER", "itemName": "Pillow",
                "fulfillmentInventory": {"inboundQuantityBreakdown": {"working": 1, "shipped": 2, "receiving": 3},
                    "fulfillable": 40, "unfulfillable": 1, "researching": 0,
                    "reservedQuantityBreakdown": {"warehouseProcessing": 4, "warehouseTransfer": 5, "pendingCustomerOrder": 6},
                    "futureSupplyBuyable": 0, "pendingCustomerOrderInTransit": 0}}]},
        "notificationMetadata": {"applicationId": "app", "subscriptionId": "sub", "publishTime": "2026-01-02T03:04:06Z", "notificationId": "n-1"}});
    let Received::FbaInventoryAvailabilityChanges(camel) =
        decode_notification(camel.to_string().as_bytes()).expect("camelCase")
    else {
        panic!("an inventory notification");
    };
    let pascal = serde_json::to_value(&camel).expect("write");
    assert_eq!(pascal["Payload"]["FNSKU"], "X001");
    let Received::FbaInventoryAvailabilityChanges(again) =
        decode_notification(pascal.to_string().as_bytes()).expect("PascalCase")
    else {
        panic!("an inventory notification");
    };
    assert_eq!(again, camel);
    let stock = &again.payload.fulfillment_inventory_by_marketplace[0].fulfillment_inventory;
    assert_eq!(
        (
            stock.fulfillable,
            stock.reserved_quantity_breakdown.pending_customer_order
        ),
        (40, 6)
    );
}

#[test]
fn every_property_of_every_notification_schema_survives_its_model() {
    let mut failures = Vec::new();
    for file in NOTIFICATION_SCHEMAS {
        let schema = load(file);
        let mut body = fullest(&schema, &schema, &mut Vec::new());
        let example = &schema["examples"][0];
        for key in ["NotificationType", "notificationType"] {
            if body.get(key).is_some() {
                body[key] = match example.get(key) {
                    Some(kind) => kind.clone(),
                    None => json!("FBA_INVENTORY_AVAILABILITY_CHANGES"),
                };
            }
        }
        if let Err(e) = notification_round_trip(&body) {
            failures.push(format!("{file}: {e}\n{body}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
