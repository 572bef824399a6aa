//! Catalog items, product pricing, product fees and listings items: answers that conform to the
//! official models, fee estimates equal to the fees charged on orders, a buy box and listing
//! health that follow the seller's listing events, and pagination that loses nothing.

use amazon_stand_in::catalog::{BUY_BOX_LOSS_HOURS, SUPPRESSION_HOURS};
use amazon_stand_in::model::{Fulfillment, ListingEvent, OrderStatus, TxKind};
use amazon_stand_in::{generate, Seller, StandIn};
use axum::http::StatusCode;
use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

const US: &str = "ATVPDKIKX0DER";

mod common;
use common::*;

async fn get(st: &Arc<StandIn>, token: &str, uri: &str) -> Resp {
    call(st, "GET", uri, Some(token), None).await
}

fn ok(r: &Resp, model: &str, definition: &str) -> Value {
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert!(r.headers.contains_key("x-amzn-RateLimit-Limit"));
    let body = r.json();
    conforms(model, definition, &body);
    body
}

/// An error with `status` in the model's error shape.
fn fails(r: &Resp, status: StatusCode, model: &str, definition: &str) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.bytes));
    let body = r.json();
    conforms(model, definition, &body);
    assert!(body["errors"][0]["message"].as_str().is_some());
    body
}

fn amount(v: &Value) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap_or_else(|_| panic!("amount {v}"))
}

const CATALOG: &str = "catalogItems_2022-04-01";
const PRICING: &str = "productPricingV0";
const FEES: &str = "productFeesV0";
const LISTINGS: &str = "listingsItems_2021-08-01";

fn fees_body(marketplace: &str, currency: &str, price: &str, fba: bool) -> String {
    format!(
        r#"{{"FeesEstimateRequest":{{"MarketplaceId":"{marketplace}","IsAmazonFulfilled":{fba},"PriceToEstimateFees":{{"ListingPrice":{{"CurrencyCode":"{currency}","Amount":{price}}}}},"Identifier":"estimate-1"}}}}"#
    )
}

async fn estimate(st: &Arc<StandIn>, token: &str, sku: &str, body: String) -> Resp {
    call(
        st,
        "POST",
        &format!("/products/fees/v0/listings/{}/feesEstimate", urlencode(sku)),
        Some(token),
        Some(("application/json", body)),
    )
    .await
}

#[tokio::test]
async fn every_operation_answers_as_the_official_models_say() {
    let st = StandIn::virtual_clock(generate(&spec(600)), true);
    let token = access_token(&st).await;
    let s = &st.seller;
    let seller = s.seller_id.clone();
    // A variation parent listed in the US, so relationships have children.
    let parent = s
        .products
        .iter()
        .find(|p| {
            s.products
                .iter()
                .any(|c| c.parent_asin.as_ref() == Some(&p.asin))
        })
        .expect("a variation family");
    let child = s
        .products
        .iter()
        .find(|c| c.parent_asin.as_ref() == Some(&parent.asin))
        .unwrap();

    // Catalog Items 2022-04-01.
    let all = "summaries,attributes,identifiers,images,productTypes,salesRanks,relationships,dimensions,classifications";
    let r = get(
        &st,
        &token,
        &format!(
            "/catalog/2022-04-01/items/{}?marketplaceIds={US}&includedData={all}",
            parent.asin
        ),
    )
    .await;
    let item = ok(&r, CATALOG, "Item");
    assert_eq!(item["asin"], parent.asin.as_str());
    assert_eq!(item["summaries"][0]["itemName"], parent.title.as_str());
    assert_eq!(
        item["summaries"][0]["itemClassification"],
        "VARIATION_PARENT"
    );
    assert!(item["relationships"][0]["relationships"][0]["childAsins"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == child.asin.as_str()));
    let r = get(
        &st,
        &token,
        &format!(
            "/catalog/2022-04-01/items/{}?marketplaceIds={US}&includedData=relationships",
            child.asin
        ),
    )
    .await;
    let item = ok(&r, CATALOG, "Item");
    assert_eq!(
        item["relationships"][0]["relationships"][0]["parentAsins"][0],
        parent.asin.as_str()
    );
    assert!(item.get("summaries").is_none(), "only what was asked for");

    let asins: Vec<&str> = s.products.iter().take(3).map(|p| p.asin.as_str()).collect();
    let r = get(
        &st,
        &token,
        &format!(
            "/catalog/2022-04-01/items?marketplaceIds={US}&identifiersType=ASIN&identifiers={}&includedData={all}",
            asins.join(",")
        ),
    )
    .await;
    let found = ok(&r, CATALOG, "ItemSearchResults");
    assert_eq!(found["numberOfResults"], 3);
    let r = get(
        &st,
        &token,
        &format!(
            "/catalog/2022-04-01/items?marketplaceIds={US}&identifiersType=SKU&sellerId={seller}&identifiers={}",
            urlencode(&s.products[0].sku)
        ),
    )
    .await;
    let found = ok(&r, CATALOG, "ItemSearchResults");
    assert_eq!(found["items"][0]["asin"], s.products[0].asin.as_str());
    let r = get(
        &st,
        &token,
        &format!("/catalog/2022-04-01/items?marketplaceIds={US}&keywords=steel"),
    )
    .await;
    ok(&r, CATALOG, "ItemSearchResults");
    // Errors, in the model's shape.
    let r = get(
        &st,
        &token,
        &format!("/catalog/2022-04-01/items/{}", parent.asin),
    )
    .await;
    fails(&r, StatusCode::BAD_REQUEST, CATALOG, "ErrorList");
    let r = get(
        &st,
        &token,
        &format!("/catalog/2022-04-01/items/B0NOSUCHX1?marketplaceIds={US}"),
    )
    .await;
    fails(&r, StatusCode::NOT_FOUND, CATALOG, "ErrorList");
    let many: Vec<String> = (0..21).map(|i| format!("B0{i:08}")).collect();
    let r = get(
        &st,
        &token,
        &format!(
            "/catalog/2022-04-01/items?marketplaceIds={US}&identifiersType=ASIN&identifiers={}",
            many.join(",")
        ),
    )
    .await;
    fails(&r, StatusCode::BAD_REQUEST, CATALOG, "ErrorList");
    let r = get(
        &st,
        &token,
        &format!("/catalog/2022-04-01/items?marketplaceIds={US}&identifiersType=SKU&sellerId=AOTHERSELLER01&identifiers=X"),
    )
    .await;
    fails(&r, StatusCode::FORBIDDEN, CATALOG, "ErrorList");

    // Product Pricing v0.
    let r = get(
        &st,
        &token,
        &format!(
            "/products/pricing/v0/items/{}/offers?MarketplaceId={US}&ItemCondition=New",
            parent.asin
        ),
    )
    .await;
    let offers = ok(&r, PRICING, "GetOffersResponse");
    assert!(
        offers["payload"]["Summary"]["TotalOfferCount"]
            .as_i64()
            .unwrap()
            >= 1
    );
    let r = get(
        &st,
        &token,
        &format!(
            "/products/pricing/v0/items/{}/offers?MarketplaceId={US}",
            parent.asin
        ),
    )
    .await;
    fails(&r, StatusCode::BAD_REQUEST, PRICING, "GetOffersResponse");
    let r = get(
        &st,
        &token,
        &format!(
            "/products/pricing/v0/competitivePrice?MarketplaceId={US}&ItemType=Asin&Asins={}",
            asins.join(",")
        ),
    )
    .await;
    let pricing = ok(&r, PRICING, "GetPricingResponse");
    assert_eq!(pricing["payload"].as_array().unwrap().len(), 3);
    let r = get(
        &st,
        &token,
        &format!(
            "/products/pricing/v0/competitivePrice?MarketplaceId={US}&ItemType=Sku&Skus={}",
            urlencode(&s.products[0].sku)
        ),
    )
    .await;
    let pricing = ok(&r, PRICING, "GetPricingResponse");
    assert_eq!(
        pricing["payload"][0]["Product"]["Identifiers"]["SKUIdentifier"]["SellerId"],
        seller.as_str()
    );
    let r = get(
        &st,
        &token,
        &format!(
            "/products/pricing/v0/competitivePrice?MarketplaceId={US}&ItemType=Asin&Asins={}",
            many.join(",")
        ),
    )
    .await;
    fails(&r, StatusCode::BAD_REQUEST, PRICING, "GetPricingResponse");

    // Product Fees v0.
    let l = s.listings.iter().find(|l| l.marketplace_id == US).unwrap();
    let sku = &s.products[l.product].sku;
    let r = estimate(
        &st,
        &token,
        sku,
        fees_body(US, "USD", &l.price.to_string(), true),
    )
    .await;
    let fees = ok(&r, FEES, "GetMyFeesEstimateResponse");
    assert_eq!(fees["payload"]["FeesEstimateResult"]["Status"], "Success");
    let r = estimate(
        &st,
        &token,
        sku,
        fees_body("WRNGMRKTPLCE", "USD", "10", true),
    )
    .await;
    fails(
        &r,
        StatusCode::BAD_REQUEST,
        FEES,
        "GetMyFeesEstimateResponse",
    );
    let r = estimate(&st, &token, sku, fees_body(US, "EUR", "10", true)).await;
    fails(
        &r,
        StatusCode::BAD_REQUEST,
        FEES,
        "GetMyFeesEstimateResponse",
    );
    let r = estimate(&st, &token, sku, fees_body(US, "USD", "\"10\"", true)).await;
    fails(
        &r,
        StatusCode::BAD_REQUEST,
        FEES,
        "GetMyFeesEstimateResponse",
    );
    let r = estimate(&st, &token, "NO-SUCH-SKU", fees_body(US, "USD", "10", true)).await;
    let unknown = ok(&r, FEES, "GetMyFeesEstimateResponse");
    assert_eq!(
        unknown["payload"]["FeesEstimateResult"]["Status"],
        "ClientError"
    );

    // Listings Items 2021-08-01.
    let r = get(
        &st,
        &token,
        &format!(
            "/listings/2021-08-01/items/{seller}/{}?marketplaceIds={US}&includedData=summaries,offers,fulfillmentAvailability,issues,attributes,productTypes",
            urlencode(sku)
        ),
    )
    .await;
    let item = ok(&r, LISTINGS, "Item");
    assert_eq!(item["sku"], sku.as_str());
    assert_eq!(item["offers"][0]["price"]["amount"], l.price.to_string());
    let r = get(
        &st,
        &token,
        &format!("/listings/2021-08-01/items/{seller}?marketplaceIds={US}&includedData=summaries,offers,fulfillmentAvailability,issues&pageSize=20"),
    )
    .await;
    ok(&r, LISTINGS, "ItemSearchResults");
    let r = get(
        &st,
        &token,
        &format!(
            "/listings/2021-08-01/items/AOTHERSELLER01/{}?marketplaceIds={US}",
            urlencode(sku)
        ),
    )
    .await;
    fails(&r, StatusCode::FORBIDDEN, LISTINGS, "ErrorList");
    let r = get(
        &st,
        &token,
        &format!("/listings/2021-08-01/items/{seller}/{}", urlencode(sku)),
    )
    .await;
    fails(&r, StatusCode::BAD_REQUEST, LISTINGS, "ErrorList");
    let r = get(
        &st,
        &token,
        &format!("/listings/2021-08-01/items/{seller}?marketplaceIds={US}&pageSize=21"),
    )
    .await;
    fails(&r, StatusCode::BAD_REQUEST, LISTINGS, "ErrorList");
    let r = get(
        &st,
        &token,
        &format!("/listings/2021-08-01/items/{seller}/NO-SUCH-SKU?marketplaceIds={US}"),
    )
    .await;
    fails(&r, StatusCode::NOT_FOUND, LISTINGS, "ErrorList");

    // Every operation needs a valid access token.
    let r = call(
        &st,
        "GET",
        &format!(
            "/catalog/2022-04-01/items/{}?marketplaceIds={US}",
            parent.asin
        ),
        Some("Atza|forged"),
        None,
    )
    .await;
    fails(&r, StatusCode::FORBIDDEN, CATALOG, "ErrorList");
}

#[tokio::test]
async fn a_fee_estimate_at_the_sold_price_equals_the_fees_charged_on_the_order() {
    let st = StandIn::virtual_clock(generate(&spec(3000)), true);
    let token = access_token(&st).await;
    let s = &st.seller;
    let mut checked = BTreeSet::new();
    for o in &s.orders {
        let [it] = o.items.as_slice() else { continue };
        if o.status != OrderStatus::Shipped
            || it.quantity != 1
            || it.shipping + it.gift_wrap + it.promotion != Decimal::ZERO
            || !checked.insert((o.marketplace_id, o.fulfillment.code()))
        {
            continue;
        }
        let tx = s
            .transactions
            .iter()
            .find(|t| t.kind == TxKind::Shipment && t.order_id.as_deref() == Some(&o.id))
            .expect("the shipment's transaction");
        let charged = |kind: &str| -> Decimal {
            -tx.lines()
                .filter(|(_, l)| l.category == "ItemFees" && l.kind == kind)
                .map(|(_, l)| l.amount)
                .sum::<Decimal>()
        };
        let fba = o.fulfillment == Fulfillment::Afn;
        let sku = &s.products[it.product].sku;
        let r = estimate(
            &st,
            &token,
            sku,
            fees_body(o.marketplace_id, o.currency, &it.principal.to_string(), fba),
        )
        .await;
        let body = ok(&r, FEES, "GetMyFeesEstimateResponse");
        let estimate = &body["payload"]["FeesEstimateResult"]["FeesEstimate"];
        let fee = |kind: &str| -> Decimal {
            estimate["FeeDetailList"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["FeeType"] == kind)
                .map(|f| amount(&f["FinalFee"]["Amount"]))
                .unwrap_or_default()
        };
        let what = format!("order {} ({} {})", o.id, o.currency, it.principal);
        assert_eq!(fee("ReferralFee"), charged("Commission"), "{what}");
        assert_eq!(
            fee("FBAFees"),
            charged("FBAPerUnitFulfillmentFee"),
            "{what}"
        );
        assert_eq!(
            amount(&estimate["TotalFeesEstimate"]["Amount"]),
            charged("Commission") + charged("FBAPerUnitFulfillmentFee"),
            "{what}"
        );
        assert_eq!(fba, charged("FBAPerUnitFulfillmentFee") > Decimal::ZERO);
    }
    assert!(
        checked.len() >= 10,
        "orders of several marketplaces, FBA and merchant fulfilled: {checked:?}"
    );
    assert!(
        checked.iter().any(|(m, _)| *m == "A1VC38T7YXB528"),
        "JPY too"
    );
}

/// A seller whose US FBA listing `buy_box` loses the buy box one hour after the history ends,
/// and whose US listing `suppressed` is suppressed at the same instant; neither has other
/// events near the end.
fn seller_with_events() -> (Seller, usize, usize) {
    let mut s = generate(&spec(600));
    let end = s.spec.end;
    let quiet = |s: &Seller, li: usize| {
        let l = &s.listings[li];
        l.marketplace_id == US
            && l.fulfillment == Fulfillment::Afn
            && s.inventory
                .iter()
                .any(|i| i.product == l.product && i.marketplace_id == US && i.fulfillable > 0)
            && !s.listing_events.iter().any(|e| {
                e.product == l.product && e.marketplace_id == US && e.at > end - Duration::days(30)
            })
    };
    let picks: Vec<usize> = (0..s.listings.len())
        .filter(|&li| quiet(&s, li))
        .take(2)
        .collect();
    let (a, b) = (s.listings[picks[0]].product, s.listings[picks[1]].product);
    s.listing_events.push(ListingEvent {
        at: end + Duration::hours(1),
        product: a,
        marketplace_id: US,
        kind: "BUY_BOX_LOST",
        detail: "competitor QX81ZT".into(),
    });
    s.listing_events.push(ListingEvent {
        at: end + Duration::hours(1),
        product: b,
        marketplace_id: US,
        kind: "LISTING_SUPPRESSED",
        detail: "missing image".into(),
    });
    (s, a, b)
}

async fn buy_box_owner(st: &Arc<StandIn>, token: &str, asin: &str) -> (String, bool) {
    let r = get(
        st,
        token,
        &format!("/products/pricing/v0/items/{asin}/offers?MarketplaceId={US}&ItemCondition=New"),
    )
    .await;
    let body = ok(&r, PRICING, "GetOffersResponse");
    let payload = &body["payload"];
    let winners: Vec<&Value> = payload["Offers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["IsBuyBoxWinner"] == true)
        .collect();
    assert_eq!(winners.len(), 1, "one featured offer");
    let owner = winners[0]["SellerId"].as_str().unwrap().to_string();
    assert_eq!(
        payload["Summary"]["BuyBoxPrices"][0]["sellerId"],
        owner.as_str()
    );
    (owner, winners[0]["MyOffer"] == true)
}

async fn listing_state(st: &Arc<StandIn>, token: &str, sku: &str) -> (Vec<String>, Value) {
    let r = get(
        st,
        token,
        &format!(
            "/listings/2021-08-01/items/{}/{}?marketplaceIds={US}&includedData=summaries,issues",
            st.seller.seller_id,
            urlencode(sku)
        ),
    )
    .await;
    let item = ok(&r, LISTINGS, "Item");
    let status = item["summaries"][0]["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    (status, item["issues"].clone())
}

#[tokio::test]
async fn the_buy_box_and_listing_health_follow_the_listing_events() {
    let (seller, a, b) = seller_with_events();
    let st = StandIn::virtual_clock(seller, true);
    let token = access_token(&st).await;
    let asin = st.seller.products[a].asin.clone();
    let sku = st.seller.products[b].sku.clone();
    let me = st.seller.seller_id.clone();

    let (owner, mine) = buy_box_owner(&st, &token, &asin).await;
    assert!(
        mine && owner == me,
        "the seller holds the buy box before the event"
    );
    let (status, issues) = listing_state(&st, &token, &sku).await;
    assert!(status.contains(&"BUYABLE".to_string()));
    assert_eq!(issues, serde_json::json!([]));

    st.advance(Duration::hours(2));
    let token = access_token(&st).await;
    let (owner, mine) = buy_box_owner(&st, &token, &asin).await;
    assert!(
        !mine && owner != me,
        "a competitor wins it after BUY_BOX_LOST"
    );
    let r = get(
        &st,
        &token,
        &format!(
            "/products/pricing/v0/competitivePrice?MarketplaceId={US}&ItemType=Asin&Asins={asin}"
        ),
    )
    .await;
    let pricing = ok(&r, PRICING, "GetPricingResponse");
    let price = &pricing["payload"][0]["Product"]["CompetitivePricing"]["CompetitivePrices"][0];
    assert_eq!(price["belongsToRequester"], false);
    assert_eq!(price["sellerId"], owner.as_str());

    let (status, issues) = listing_state(&st, &token, &sku).await;
    assert!(!status.contains(&"BUYABLE".to_string()), "{status:?}");
    assert_eq!(issues[0]["severity"], "ERROR");
    assert_eq!(
        issues[0]["enforcements"]["actions"][0]["action"],
        "LISTING_SUPPRESSED"
    );
    let r = get(
        &st,
        &token,
        &format!(
            "/listings/2021-08-01/items/{me}?marketplaceIds={US}&withIssueSeverity=ERROR&pageSize=20"
        ),
    )
    .await;
    let found = ok(&r, LISTINGS, "ItemSearchResults");
    assert!(found["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["sku"] == sku.as_str()));
    let (_, mine) = buy_box_owner(&st, &token, &st.seller.products[b].asin).await;
    assert!(!mine, "a suppressed listing has no offer to feature");

    st.advance(Duration::hours(BUY_BOX_LOSS_HOURS.max(SUPPRESSION_HOURS)));
    let token = access_token(&st).await;
    let (owner, mine) = buy_box_owner(&st, &token, &asin).await;
    assert!(mine && owner == me, "the seller wins it back");
    let (status, issues) = listing_state(&st, &token, &sku).await;
    assert!(status.contains(&"BUYABLE".to_string()));
    assert_eq!(issues, serde_json::json!([]));
}

/// Follows `nextToken` from `first` to the end, collecting `key` of every item.
async fn every_page(
    st: &Arc<StandIn>,
    token: &str,
    first: String,
    model: &str,
    key: &str,
) -> Vec<String> {
    let mut seen = vec![];
    let mut uri = first.clone();
    let mut pages = 0;
    loop {
        let r = get(st, token, &uri).await;
        let body = ok(&r, model, "ItemSearchResults");
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|i| i[key].as_str().unwrap().to_string()));
        assert!(body["numberOfResults"].as_u64().unwrap() >= seen.len() as u64);
        pages += 1;
        match body["pagination"]["nextToken"].as_str() {
            Some(t) => uri = format!("{first}&pageToken={}", urlencode(t)),
            None => break,
        }
    }
    assert!(pages > 2, "several pages");
    seen
}

#[tokio::test]
async fn pagination_loses_and_repeats_nothing() {
    let st = StandIn::virtual_clock(generate(&spec(600)), true);
    let token = access_token(&st).await;
    let s = &st.seller;
    let me = &s.seller_id;
    let listed: BTreeSet<usize> = s
        .listings
        .iter()
        .filter(|l| l.marketplace_id == US)
        .map(|l| l.product)
        .collect();

    let skus = every_page(
        &st,
        &token,
        format!("/listings/2021-08-01/items/{me}?marketplaceIds={US}&pageSize=3&sortBy=sku&sortOrder=ASC"),
        LISTINGS,
        "sku",
    )
    .await;
    let expected: Vec<String> = {
        let mut v: Vec<String> = listed.iter().map(|&i| s.products[i].sku.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(skus, expected, "every SKU once, in SKU order");

    let updated = every_page(
        &st,
        &token,
        format!("/listings/2021-08-01/items/{me}?marketplaceIds={US}&pageSize=3"),
        LISTINGS,
        "sku",
    )
    .await;
    assert_eq!(updated.len(), expected.len());
    assert_eq!(
        updated.iter().collect::<BTreeSet<_>>().len(),
        expected.len()
    );

    let brand_word = s.products[0]
        .brand
        .split(' ')
        .next_back()
        .unwrap()
        .to_lowercase();
    let asins = every_page(
        &st,
        &token,
        format!(
            "/catalog/2022-04-01/items?marketplaceIds={US}&keywords={}&pageSize=3",
            urlencode(&brand_word)
        ),
        CATALOG,
        "asin",
    )
    .await;
    let expected: BTreeSet<String> = listed.iter().map(|&i| s.products[i].asin.clone()).collect();
    assert_eq!(asins.len(), expected.len(), "no repeats");
    assert_eq!(asins.into_iter().collect::<BTreeSet<_>>(), expected);
}
