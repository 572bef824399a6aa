//! Catalog items 2022-04-01, product pricing v0, product fees v0 and listings items 2021-08-01.
//!
//! Everything is derived from the generated seller: the catalog from its products, the offers
//! from its listings plus a deterministic set of competitors, the buy box and listing health from
//! its `listing_events` at the stand-in's clock, and the fee estimates from the same schedule the
//! generator charges on orders, so an estimate at list price equals the fees of a sold unit.

// Helpers return the ready error response as `Err`, like a handler's early return.
#![allow(clippy::result_large_err)]

use crate::generator::{round, usd_rate};
use crate::model::{Fulfillment, Listing, ListingEvent, Product};
use crate::render::{json_number, ts};
use crate::server::{
    csv, err, invalid, not_found, page, page_size, parse_time, restore, Shared, StandIn,
};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::marketplaces::{self, Marketplace, Region};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// How long a competitor holds the featured offer after a `BUY_BOX_LOST` event: the event
/// records the moment the seller lost it, not when the seller won it back.
pub const BUY_BOX_LOSS_HOURS: i64 = 72;

/// How long a `LISTING_SUPPRESSED` event keeps the listing suppressed: the time a seller takes
/// to fix the listing, since the generated history has no reinstatement events.
pub const SUPPRESSION_HOURS: i64 = 240;

/// The catalog, pricing, fees and listings routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/catalog/2022-04-01/items", get(search_catalog_items))
        .route("/catalog/2022-04-01/items/{asin}", get(get_catalog_item))
        .route(
            "/products/pricing/v0/items/{asin}/offers",
            get(get_item_offers),
        )
        .route(
            "/products/pricing/v0/competitivePrice",
            get(get_competitive_pricing),
        )
        .route(
            "/products/fees/v0/listings/{sku}/feesEstimate",
            post(get_fees_estimate_for_sku),
        )
        .route("/products/fees/v0/feesEstimate", post(get_fees_estimates))
        .route(
            "/listings/2021-08-01/items/{seller_id}",
            get(search_listings_items),
        )
        .route(
            "/listings/2021-08-01/items/{seller_id}/{sku}",
            get(get_listings_item),
        )
}

fn hash(seed: &str) -> [u8; 32] {
    Sha256::digest(seed.as_bytes()).into()
}

fn hash_u64(seed: &str) -> u64 {
    let h = hash(seed);
    u64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
}

/// A seller id shaped like Amazon's merchant tokens, the same for the same seed.
fn seller_code(seed: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let h = hash(seed);
    let tail: String = h[..13]
        .iter()
        .map(|b| A[*b as usize % A.len()] as char)
        .collect();
    format!("A{tail}")
}

/// The stand-in's product types and browse nodes (its own ids, not Amazon's), by title word.
const KINDS: &[(&str, &str, &str, &str)] = &[
    (
        "Cutting Board",
        "CUTTING_BOARD",
        "1000001",
        "Cutting Boards",
    ),
    ("Water Bottle", "BOTTLE", "1000002", "Water Bottles"),
    ("Yoga Mat", "EXERCISE_MAT", "1000003", "Yoga Mats"),
    ("Desk Lamp", "LAMP", "1000004", "Desk Lamps"),
    (
        "Phone Stand",
        "PORTABLE_ELECTRONIC_DEVICE_STAND",
        "1000005",
        "Phone Stands",
    ),
    (
        "Coffee Grinder",
        "COFFEE_GRINDER",
        "1000006",
        "Coffee Grinders",
    ),
    ("Backpack", "BACKPACK", "1000007", "Backpacks"),
    ("Notebook", "NOTEBOOK", "1000008", "Notebooks"),
    ("Tea Kettle", "KETTLE", "1000009", "Tea Kettles"),
    ("Spice Rack", "SPICE_RACK", "1000010", "Spice Racks"),
];

/// `(productType, classificationId, displayName)` of a product.
pub(crate) fn kind(p: &Product) -> (&'static str, &'static str, &'static str) {
    KINDS
        .iter()
        .find(|(word, ..)| p.title.contains(word))
        .map(|(_, t, id, name)| (*t, *id, *name))
        .unwrap_or(("HOME", "1000000", "Home & Kitchen"))
}

use crate::render::language;

pub(crate) fn item_name(p: &Product, m: &Marketplace) -> String {
    if m.country_code == "JP" {
        p.title_ja.clone()
    } else {
        p.title.clone()
    }
}

pub(crate) fn image_link(p: &Product) -> String {
    let code: String = hex::encode(&hash(&p.asin)[..6]);
    format!("https://m.media-amazon.com/images/I/{code}.jpg")
}

/// A 13-digit EAN with a valid check digit.
fn ean(p: &Product) -> String {
    let digits: Vec<u32> = hash(&format!("ean/{}", p.asin))[..12]
        .iter()
        .map(|b| *b as u32 % 10)
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    let check = (10 - sum % 10) % 10;
    digits
        .iter()
        .chain(std::iter::once(&check))
        .map(|d| char::from_digit(*d, 10).expect("digit"))
        .collect()
}

/// Best-seller rank: popular products (low indexes sell more) rank higher.
fn sales_rank(index: usize, p: &Product, m: &Marketplace) -> i64 {
    1 + index as i64 * 1_250 + (hash_u64(&format!("rank/{}/{}", p.asin, m.id)) % 1_000) as i64
}

fn marketplace(id: &str) -> Result<&'static Marketplace, Response> {
    marketplaces::by_id(id).ok_or_else(|| invalid(&format!("Invalid marketplace identifier: {id}")))
}

/// The required comma-separated `key`, each a known marketplace, at most `max` of them.
fn marketplace_list(
    q: &HashMap<String, String>,
    key: &str,
    max: Option<usize>,
) -> Result<Vec<&'static Marketplace>, Response> {
    let ids = csv(q.get(key));
    if ids.is_empty() {
        return Err(invalid(&format!("Missing required parameter: {key}")));
    }
    if let Some(max) = max {
        if ids.len() > max {
            return Err(invalid(&format!(
                "{key} accepts at most {max} marketplace identifier(s)"
            )));
        }
    }
    ids.iter().map(|id| marketplace(id)).collect()
}

/// The requested data sets, each one of `allowed`; `default` when absent.
fn included_data(
    q: &HashMap<String, String>,
    allowed: &[&str],
    default: &str,
) -> Result<Vec<String>, Response> {
    let mut sets = csv(q.get("includedData"));
    if sets.is_empty() {
        sets.push(default.to_string());
    }
    match sets.iter().find(|s| !allowed.contains(&s.as_str())) {
        Some(bad) => Err(invalid(&format!("Invalid includedData value: {bad}"))),
        None => Ok(sets),
    }
}

fn one_of<'a>(
    q: &'a HashMap<String, String>,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, Response> {
    match q.get(key).map(String::as_str) {
        Some(v) if !allowed.contains(&v) => Err(invalid(&format!(
            "Invalid {key}: {v}; expected one of {}",
            allowed.join(", ")
        ))),
        v => Ok(v),
    }
}

/// At most `max` comma-separated values of `key`.
fn list_of(q: &HashMap<String, String>, key: &str, max: usize) -> Result<Vec<String>, Response> {
    let values = csv(q.get(key));
    if values.len() > max {
        return Err(invalid(&format!("{key} accepts at most {max} values")));
    }
    Ok(values)
}

fn check_seller(st: &StandIn, seller_id: &str) -> Result<(), Response> {
    if seller_id == st.seller.seller_id {
        Ok(())
    } else {
        Err(err(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied. The sellerId does not belong to the seller who authorized this access token.",
        ))
    }
}

fn product_by_asin(st: &StandIn, asin: &str) -> Option<usize> {
    st.seller.products.iter().position(|p| p.asin == asin)
}

fn product_by_sku(st: &StandIn, sku: &str) -> Option<usize> {
    st.seller.products.iter().position(|p| p.sku == sku)
}

/// The seller's listing of a product in a marketplace, once it is open.
fn listing<'a>(
    st: &'a StandIn,
    product: usize,
    marketplace_id: &str,
    now: DateTime<Utc>,
) -> Option<&'a Listing> {
    st.seller
        .listings
        .iter()
        .find(|l| l.product == product && l.marketplace_id == marketplace_id && l.open_date <= now)
}

/// The latest event of `kind` on a listing if it is still in effect at `now`.
fn in_effect<'a>(
    st: &'a StandIn,
    l: &Listing,
    kind: &str,
    hours: i64,
    now: DateTime<Utc>,
) -> Option<&'a ListingEvent> {
    in_effect_in(&st.seller, l, kind, hours, now)
}

fn in_effect_in<'a>(
    s: &'a crate::Seller,
    l: &Listing,
    kind: &str,
    hours: i64,
    now: DateTime<Utc>,
) -> Option<&'a ListingEvent> {
    s.listing_events
        .iter()
        .filter(|e| {
            e.product == l.product
                && e.marketplace_id == l.marketplace_id
                && e.kind == kind
                && e.at <= now
        })
        .max_by_key(|e| e.at)
        .filter(|e| now < e.at + Duration::hours(hours))
}

fn suppressed<'a>(st: &'a StandIn, l: &Listing, now: DateTime<Utc>) -> Option<&'a ListingEvent> {
    in_effect(st, l, "LISTING_SUPPRESSED", SUPPRESSION_HOURS, now)
}

/// Whether a listing is suppressed at `now` (the all-listings report shows it `Inactive`).
pub(crate) fn suppressed_in(s: &crate::Seller, l: &Listing, now: DateTime<Utc>) -> bool {
    in_effect_in(s, l, "LISTING_SUPPRESSED", SUPPRESSION_HOURS, now).is_some()
}

/// Units available to buy: FBA stock, or the merchant's own stock count.
fn available(st: &StandIn, l: &Listing) -> i64 {
    available_in(&st.seller, l)
}

/// [`available`] of a seller.
pub(crate) fn available_in(s: &crate::Seller, l: &Listing) -> i64 {
    match l.fulfillment {
        Fulfillment::Afn => s
            .inventory
            .iter()
            .find(|i| i.product == l.product && i.marketplace_id == l.marketplace_id)
            .map(|i| i.fulfillable)
            .unwrap_or(0),
        Fulfillment::Mfn => {
            10 + (hash_u64(&format!("mfn/{}/{}", l.product, l.marketplace_id)) % 40) as i64
        }
    }
}

/// `BUYABLE`/`DISCOVERABLE` as Amazon reports them: a suppressed listing is neither, an
/// out-of-stock one only discoverable.
fn listing_status(st: &StandIn, l: &Listing, now: DateTime<Utc>) -> Vec<&'static str> {
    if suppressed(st, l, now).is_some() {
        vec![]
    } else if available(st, l) == 0 {
        vec!["DISCOVERABLE"]
    } else {
        vec!["BUYABLE", "DISCOVERABLE"]
    }
}

fn last_updated(st: &StandIn, l: &Listing, now: DateTime<Utc>) -> DateTime<Utc> {
    st.seller
        .listing_events
        .iter()
        .filter(|e| e.product == l.product && e.marketplace_id == l.marketplace_id)
        .flat_map(|e| {
            let lifted =
                (e.kind == "LISTING_SUPPRESSED").then(|| e.at + Duration::hours(SUPPRESSION_HOURS));
            std::iter::once(e.at).chain(lifted)
        })
        .filter(|t| *t <= now)
        .fold(l.open_date, |a, b| a.max(b))
}

// ---------------------------------------------------------------- Catalog Items 2022-04-01

const CATALOG_DATA: &[&str] = &[
    "attributes",
    "classifications",
    "dimensions",
    "identifiers",
    "images",
    "productTypes",
    "relationships",
    "salesRanks",
    "summaries",
    "vendorDetails",
];

fn dimension(value: Decimal, unit: &str) -> Value {
    json!({"unit": unit, "value": json_number(value)})
}

fn dimensions(p: &Product, m: &Marketplace) -> Value {
    // (length, width, height in inches, weight in pounds) of the item, then of the package.
    let (item, package) = match p.size_tier {
        "Small standard" => ((60, 40, 10, 50), (70, 50, 15, 60)),
        "Standard" => ((120, 90, 30, 210), (130, 100, 35, 240)),
        _ => ((300, 200, 120, 1800), (320, 220, 130, 2000)),
    };
    let imperial = m.region == Region::NorthAmerica;
    let render = |(l, w, h, wt): (i64, i64, i64, i64)| {
        let len = |v: i64| {
            let inches = Decimal::new(v, 1);
            if imperial {
                dimension(inches, "inches")
            } else {
                dimension((inches * Decimal::new(254, 2)).round_dp(2), "centimeters")
            }
        };
        let pounds = Decimal::new(wt, 2);
        let weight = if imperial {
            dimension(pounds, "pounds")
        } else {
            dimension((pounds * Decimal::new(45359, 5)).round_dp(2), "kilograms")
        };
        json!({"length": len(l), "width": len(w), "height": len(h), "weight": weight})
    };
    json!({"marketplaceId": m.id, "item": render(item), "package": render(package)})
}

fn catalog_item(st: &StandIn, index: usize, mkts: &[&Marketplace], included: &[String]) -> Value {
    let p = &st.seller.products[index];
    let (product_type, class_id, class_name) = kind(p);
    let children: Vec<&str> = st
        .seller
        .products
        .iter()
        .filter(|c| c.parent_asin.as_deref() == Some(p.asin.as_str()))
        .map(|c| c.asin.as_str())
        .collect();
    let per = |f: &dyn Fn(&Marketplace) -> Value| -> Value {
        Value::Array(mkts.iter().map(|m| f(m)).collect())
    };
    let mut item = json!({"asin": p.asin});
    for set in included {
        let v = match set.as_str() {
            "summaries" => per(&|m| {
                json!({
                    "marketplaceId": m.id,
                    "brand": p.brand,
                    "browseClassification": {"displayName": class_name, "classificationId": class_id},
                    "itemClassification": if children.is_empty() { "BASE_PRODUCT" } else { "VARIATION_PARENT" },
                    "itemName": item_name(p, m),
                    "manufacturer": p.brand,
                    "modelNumber": format!("M-{}", &p.asin[2..]),
                    "packageQuantity": 1,
                    "partNumber": format!("M-{}", &p.asin[2..]),
                    "websiteDisplayGroup": "home_display_on_website",
                    "websiteDisplayGroupName": "Home",
                })
            }),
            "attributes" => {
                let each = |f: &dyn Fn(&Marketplace) -> String| -> Value {
                    Value::Array(
                        mkts.iter()
                            .map(|m| {
                                json!({"value": f(m), "language_tag": language(m.country_code), "marketplace_id": m.id})
                            })
                            .collect(),
                    )
                };
                json!({
                    "item_name": each(&|m| item_name(p, m)),
                    "brand": each(&|_| p.brand.clone()),
                    "manufacturer": each(&|_| p.brand.clone()),
                })
            }
            "classifications" => per(&|m| {
                json!({"marketplaceId": m.id, "classifications": [{"displayName": class_name, "classificationId": class_id,
                    "parent": {"displayName": "Home & Kitchen", "classificationId": "1000000"}}]})
            }),
            "dimensions" => per(&|m| dimensions(p, m)),
            "identifiers" => per(
                &|m| json!({"marketplaceId": m.id, "identifiers": [{"identifierType": "EAN", "identifier": ean(p)}]}),
            ),
            "images" => per(
                &|m| json!({"marketplaceId": m.id, "images": [{"variant": "MAIN", "link": image_link(p), "height": 500, "width": 500}]}),
            ),
            "productTypes" => per(&|m| json!({"marketplaceId": m.id, "productType": product_type})),
            "relationships" => per(&|m| {
                let theme = json!({"attributes": ["color"], "theme": "COLOR"});
                let mut rels = vec![];
                if let Some(parent) = &p.parent_asin {
                    rels.push(json!({"type": "VARIATION", "parentAsins": [parent], "variationTheme": theme}));
                }
                if !children.is_empty() {
                    rels.push(json!({"type": "VARIATION", "childAsins": children, "variationTheme": theme}));
                }
                json!({"marketplaceId": m.id, "relationships": rels})
            }),
            "salesRanks" => per(&|m| {
                let rank = sales_rank(index, p, m);
                json!({
                    "marketplaceId": m.id,
                    "classificationRanks": [{"classificationId": class_id, "title": class_name, "rank": (rank / 40).max(1)}],
                    "displayGroupRanks": [{"websiteDisplayGroup": "home_display_on_website", "title": "Home & Kitchen", "rank": rank}],
                })
            }),
            // Vendor data: a seller account has none.
            _ => continue,
        };
        item[set.as_str()] = v;
    }
    item
}

async fn get_catalog_item(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(asin): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getCatalogItem";
    let f = crate::guarded!(st, headers, op);
    match catalog_item_of(&st, &asin, &q) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn catalog_item_of(
    st: &StandIn,
    asin: &str,
    q: &HashMap<String, String>,
) -> Result<Value, Response> {
    let mkts = marketplace_list(q, "marketplaceIds", None)?;
    let included = included_data(q, CATALOG_DATA, "summaries")?;
    let now = st.now();
    let index = product_by_asin(st, asin);
    let listed: Vec<&Marketplace> = mkts
        .into_iter()
        .filter(|m| index.is_some_and(|i| listing(st, i, m.id, now).is_some()))
        .collect();
    match index {
        Some(i) if !listed.is_empty() => Ok(catalog_item(st, i, &listed, &included)),
        _ => Err(not_found(&format!(
            "Requested item '{asin}' not found in the requested marketplaces."
        ))),
    }
}

async fn search_catalog_items(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "searchCatalogItems";
    let f = crate::guarded!(st, headers, op);
    match catalog_search(&st, q) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn catalog_search(st: &StandIn, q: HashMap<String, String>) -> Result<Value, Response> {
    let (offset, q) = restore(q, "pageToken")?;
    let m = marketplace_list(&q, "marketplaceIds", Some(1))?[0];
    let included = included_data(&q, CATALOG_DATA, "summaries")?;
    let size = page_size(&q, "pageSize", 10, 20)?;
    let identifiers = list_of(&q, "identifiers", 20)?;
    let keywords = list_of(&q, "keywords", 20)?;
    let brands = csv(q.get("brandNames"));
    let id_type = one_of(
        &q,
        "identifiersType",
        &["ASIN", "EAN", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC"],
    )?;
    let now = st.now();
    let products = &st.seller.products;
    let listed = |i: &usize| listing(st, *i, m.id, now).is_some();
    let by_keywords = match (identifiers.is_empty(), keywords.is_empty()) {
        (false, false) => {
            return Err(invalid(
                "identifiers and keywords cannot be used in the same request",
            ))
        }
        (true, true) => return Err(invalid("Either identifiers or keywords must be provided")),
        (_, by_keywords) => !by_keywords,
    };
    let found: Vec<usize> = if by_keywords {
        if q.contains_key("identifiersType") {
            return Err(invalid("identifiersType can only be used with identifiers"));
        }
        let words: Vec<String> = keywords.iter().map(|k| k.to_lowercase()).collect();
        (0..products.len())
            .filter(listed)
            .filter(|&i| {
                let p = &products[i];
                let text = format!("{} {} {}", p.title, p.title_ja, p.brand).to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
                    && (brands.is_empty() || brands.iter().any(|b| b == &p.brand))
            })
            .collect()
    } else {
        if !brands.is_empty()
            || q.contains_key("classificationIds")
            || q.contains_key("keywordsLocale")
        {
            return Err(invalid(
                "brandNames, classificationIds and keywordsLocale cannot be used with identifiers",
            ));
        }
        let id_type = id_type
            .ok_or_else(|| invalid("identifiersType is required when identifiers is provided"))?;
        if id_type == "SKU" {
            let seller = q
                .get("sellerId")
                .ok_or_else(|| invalid("sellerId is required when identifiersType is SKU"))?;
            check_seller(st, seller)?;
        }
        (0..products.len())
            .filter(listed)
            .filter(|&i| {
                let p = &products[i];
                identifiers.iter().any(|id| match id_type {
                    "ASIN" => *id == p.asin,
                    "SKU" => *id == p.sku,
                    "EAN" | "GTIN" => *id == ean(p),
                    _ => false,
                })
            })
            .collect()
    };
    let (chunk, next) = page(&found, offset, size, &json!(q));
    let items: Vec<Value> = chunk
        .iter()
        .map(|&i| catalog_item(st, i, &[m], &included))
        .collect();
    let mut body = json!({"numberOfResults": found.len(), "items": items});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    if by_keywords {
        let mut by_brand: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_class: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for &i in &found {
            let p = &products[i];
            *by_brand.entry(p.brand.as_str()).or_default() += 1;
            let (_, id, name) = kind(p);
            *by_class.entry((id, name)).or_default() += 1;
        }
        body["refinements"] = json!({
            "brands": by_brand.iter().map(|(b, n)| json!({"numberOfResults": n, "brandName": b})).collect::<Vec<_>>(),
            "classifications": by_class.iter().map(|((id, name), n)| json!({"numberOfResults": n, "displayName": name, "classificationId": id})).collect::<Vec<_>>(),
        });
    }
    Ok(body)
}

// ---------------------------------------------------------------- Product Pricing v0

/// One offer on an ASIN's detail page.
struct Offer {
    seller_id: String,
    price: Decimal,
    shipping: Decimal,
    fba: bool,
    mine: bool,
}

impl Offer {
    fn landed(&self) -> Decimal {
        self.price + self.shipping
    }
}

/// The new-condition offers on an ASIN in a marketplace at `now`, cheapest first, and the
/// featured (buy box) offer.
struct Offers {
    currency: &'static str,
    offers: Vec<Offer>,
    winner: Option<usize>,
}

/// The seller's offer (unless it cannot be bought) plus one to three competitors priced a
/// little above it; while a `BUY_BOX_LOST` event is in effect, the competitor it names
/// undercuts the seller and holds the buy box.
fn offers(st: &StandIn, index: usize, m: &Marketplace, now: DateTime<Utc>) -> Offers {
    let p = &st.seller.products[index];
    let cur = m.currency;
    let mine = listing(st, index, m.id, now);
    let reference = mine
        .map(|l| l.price)
        .unwrap_or_else(|| round(p.base_price_usd * usd_rate(cur), cur));
    let merchant_shipping = round(Decimal::new(399, 2) * usd_rate(cur), cur);
    let seed = format!("offers/{}/{}", p.asin, m.id);
    let mut offers = vec![];
    let competitors = 1 + hash_u64(&seed) % 3;
    for k in 0..competitors {
        let h = hash_u64(&format!("{seed}/{k}"));
        let fba = !h.is_multiple_of(3);
        let markup = Decimal::new(103 + 4 * k as i64 + (h % 3) as i64, 2);
        offers.push(Offer {
            seller_id: seller_code(&format!("{seed}/{k}")),
            price: round(reference * markup, cur),
            shipping: if fba {
                Decimal::ZERO
            } else {
                merchant_shipping
            },
            fba,
            mine: false,
        });
    }
    let lost = mine.and_then(|l| in_effect(st, l, "BUY_BOX_LOST", BUY_BOX_LOSS_HOURS, now));
    let rival = lost.map(|e| seller_code(&e.detail));
    if let Some(id) = &rival {
        offers.push(Offer {
            seller_id: id.clone(),
            price: round(reference * Decimal::new(95, 2), cur),
            shipping: Decimal::ZERO,
            fba: true,
            mine: false,
        });
    }
    if let Some(l) = mine.filter(|l| listing_status(st, l, now).contains(&"BUYABLE")) {
        offers.push(Offer {
            seller_id: st.seller.seller_id.clone(),
            price: l.price,
            shipping: Decimal::ZERO,
            fba: l.fulfillment == Fulfillment::Afn,
            mine: true,
        });
    }
    offers.sort_by(|a, b| {
        a.landed()
            .cmp(&b.landed())
            .then(a.seller_id.cmp(&b.seller_id))
    });
    offers.truncate(20);
    let winner = match &rival {
        Some(id) => offers.iter().position(|o| &o.seller_id == id),
        None => offers.iter().position(|o| o.mine).or(Some(0)),
    }
    .filter(|_| !offers.is_empty());
    Offers {
        currency: cur,
        offers,
        winner,
    }
}

fn money_v0(amount: Decimal, cur: &str) -> Value {
    json!({"CurrencyCode": cur, "Amount": json_number(amount)})
}

fn prices_v0(o: &Offer, cur: &str) -> Value {
    json!({
        "LandedPrice": money_v0(o.landed(), cur),
        "ListingPrice": money_v0(o.price, cur),
        "Shipping": money_v0(o.shipping, cur),
    })
}

fn channel(fba: bool) -> &'static str {
    if fba {
        "Amazon"
    } else {
        "Merchant"
    }
}

fn item_offers_payload(
    st: &StandIn,
    index: usize,
    m: &Marketplace,
    condition: &str,
    now: DateTime<Utc>,
) -> Value {
    let p = &st.seller.products[index];
    let all = offers(st, index, m, now);
    let cur = all.currency;
    // The stand-in's offers are all new.
    let (list, winner) = if condition == "New" {
        (all.offers, all.winner)
    } else {
        (vec![], None)
    };
    let mut counts = vec![];
    let mut lowest = vec![];
    for fba in [true, false] {
        let of: Vec<&Offer> = list.iter().filter(|o| o.fba == fba).collect();
        if let Some(cheapest) = of.first() {
            counts.push(json!({"condition": "new", "fulfillmentChannel": channel(fba), "OfferCount": of.len()}));
            let mut low = prices_v0(cheapest, cur);
            low["condition"] = json!("new");
            low["fulfillmentChannel"] = json!(channel(fba));
            lowest.push(low);
        }
    }
    let mut summary = json!({
        "TotalOfferCount": list.len(),
        "NumberOfOffers": counts,
        "LowestPrices": lowest,
        "BuyBoxEligibleOffers": counts,
        "SalesRankings": [{"ProductCategoryId": "home_display_on_website", "Rank": sales_rank(index, p, m)}],
    });
    if let Some(w) = winner {
        let mut bb = prices_v0(&list[w], cur);
        bb["condition"] = json!("New");
        bb["sellerId"] = json!(list[w].seller_id);
        summary["BuyBoxPrices"] = json!([bb]);
    }
    let details: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let h = hash_u64(&format!("feedback/{}", o.seller_id));
            json!({
                "MyOffer": o.mine,
                "SubCondition": "new",
                "SellerId": o.seller_id,
                "SellerFeedbackRating": {"SellerPositiveFeedbackRating": 85 + (h % 15) as i64, "FeedbackCount": 50 + (h % 5_000) as i64},
                "ShippingTime": if o.fba {
                    json!({"minimumHours": 0, "maximumHours": 0, "availabilityType": "NOW"})
                } else {
                    json!({"minimumHours": 24, "maximumHours": 48, "availabilityType": "NOW"})
                },
                "ListingPrice": money_v0(o.price, cur),
                "Shipping": money_v0(o.shipping, cur),
                "ShipsFrom": {"Country": if m.country_code == "UK" { "GB" } else { m.country_code }},
                "IsFulfilledByAmazon": o.fba,
                "PrimeInformation": {"IsPrime": o.fba, "IsNationalPrime": o.fba},
                "IsBuyBoxWinner": winner == Some(i),
                "IsFeaturedMerchant": o.fba || o.mine,
            })
        })
        .collect();
    json!({
        "ASIN": p.asin,
        "status": "Success",
        "ItemCondition": condition,
        "Identifier": {"MarketplaceId": m.id, "ItemCondition": condition, "ASIN": p.asin},
        "Summary": summary,
        "Offers": details,
        "marketplaceId": m.id,
    })
}

async fn get_item_offers(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(asin): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getItemOffers";
    let f = crate::guarded!(st, headers, op);
    match item_offers(&st, &asin, &q) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn item_offers(st: &StandIn, asin: &str, q: &HashMap<String, String>) -> Result<Value, Response> {
    let m = marketplace(
        q.get("MarketplaceId")
            .ok_or_else(|| invalid("Missing required parameter: MarketplaceId"))?,
    )?;
    let condition = one_of(
        q,
        "ItemCondition",
        &["New", "Used", "Collectible", "Refurbished", "Club"],
    )?
    .ok_or_else(|| invalid("Missing required parameter: ItemCondition"))?;
    one_of(q, "CustomerType", &["Consumer", "Business"])?;
    let now = st.now();
    match product_by_asin(st, asin) {
        Some(i) => Ok(json!({"payload": item_offers_payload(st, i, m, condition, now)})),
        None => Err(invalid(&format!(
            "ASIN {asin} is not valid for marketplace {}",
            m.id
        ))),
    }
}

async fn get_competitive_pricing(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getCompetitivePricing";
    let f = crate::guarded!(st, headers, op);
    match competitive_pricing(&st, &q) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn competitive_pricing(st: &StandIn, q: &HashMap<String, String>) -> Result<Value, Response> {
    let m = marketplace(
        q.get("MarketplaceId")
            .ok_or_else(|| invalid("Missing required parameter: MarketplaceId"))?,
    )?;
    let by_sku = match one_of(q, "ItemType", &["Asin", "Sku"])? {
        Some(t) => t == "Sku",
        None => return Err(invalid("Missing required parameter: ItemType")),
    };
    one_of(q, "CustomerType", &["Consumer", "Business"])?;
    let key = if by_sku { "Skus" } else { "Asins" };
    let ids = list_of(q, key, 20)?;
    if ids.is_empty() {
        return Err(invalid(&format!(
            "{key} is required when ItemType is {}",
            if by_sku { "Sku" } else { "Asin" }
        )));
    }
    let now = st.now();
    let payload: Vec<Value> = ids
        .iter()
        .map(|id| {
            let index = if by_sku {
                product_by_sku(st, id).filter(|&i| listing(st, i, m.id, now).is_some())
            } else {
                product_by_asin(st, id)
            };
            let id_key = if by_sku { "SellerSKU" } else { "ASIN" };
            let Some(i) = index else {
                return json!({"status": "ClientError", id_key: id});
            };
            let p = &st.seller.products[i];
            let all = offers(st, i, m, now);
            let mut identifiers = json!({"MarketplaceASIN": {"MarketplaceId": m.id, "ASIN": p.asin}});
            if by_sku {
                identifiers["SKUIdentifier"] = json!({"MarketplaceId": m.id, "SellerId": st.seller.seller_id, "SellerSKU": p.sku});
            }
            let prices: Vec<Value> = all
                .winner
                .map(|w| {
                    let o = &all.offers[w];
                    json!({
                        "CompetitivePriceId": "1",
                        "Price": prices_v0(o, all.currency),
                        "condition": "New",
                        "subcondition": "New",
                        "offerType": "B2C",
                        "sellerId": o.seller_id,
                        "belongsToRequester": o.mine,
                    })
                })
                .into_iter()
                .collect();
            json!({
                "status": "Success",
                id_key: id,
                "Product": {
                    "Identifiers": identifiers,
                    "CompetitivePricing": {
                        "CompetitivePrices": prices,
                        "NumberOfOfferListings": [{"Count": all.offers.len(), "condition": "New"}],
                    },
                    "SalesRankings": [{"ProductCategoryId": "home_display_on_website", "Rank": sales_rank(i, p, m)}],
                },
            })
        })
        .collect();
    Ok(json!({ "payload": payload }))
}

// ---------------------------------------------------------------- Product Fees v0

/// Amazon's referral fee and FBA fulfilment fee for one unit: the schedule the generator
/// charges on shipped orders (percentage of the item price plus shipping, with the per-unit
/// minimum, and the size tier's fulfilment fee), in the marketplace currency.
pub fn unit_fees(p: &Product, price: Decimal, currency: &str, fba: bool) -> (Decimal, Decimal) {
    let minimum = round(Decimal::new(30, 2) * usd_rate(currency), currency);
    let referral = round(price * p.referral_rate, currency).max(minimum);
    let fulfilment = if fba {
        round(p.fba_fee_usd * usd_rate(currency), currency)
    } else {
        Decimal::ZERO
    };
    (referral, fulfilment)
}

/// A `MoneyType` amount of the request: a JSON number in the marketplace currency.
fn request_money(v: &Value, what: &str, currency: &str) -> Result<Decimal, Response> {
    if v.get("CurrencyCode").and_then(Value::as_str) != Some(currency) {
        return Err(invalid(&format!(
            "{what}.CurrencyCode must be {currency}, the currency of the marketplace"
        )));
    }
    let amount = match v.get("Amount") {
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        _ => None,
    };
    match amount {
        Some(a) if a >= Decimal::ZERO => Ok(a),
        _ => Err(invalid(&format!(
            "{what}.Amount must be a non-negative number"
        ))),
    }
}

async fn get_fees_estimate_for_sku(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(sku): Path<String>,
    body: Bytes,
) -> Response {
    let op = "getMyFeesEstimateForSKU";
    let f = crate::guarded!(st, headers, op);
    match fees_estimate(&st, &sku, &body) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

/// `getMyFeesEstimates`: 1 to 20 `FeesEstimateByIdRequest`s (by SKU or ASIN), answered as a
/// bare array of `FeesEstimateResult`s in the same order.
async fn get_fees_estimates(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let op = "getMyFeesEstimates";
    let f = crate::guarded!(st, headers, op);
    let Ok(Value::Array(list)) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body must be an array of FeesEstimateByIdRequest");
    };
    if list.is_empty() || list.len() > 20 {
        return invalid("A request holds 1 to 20 FeesEstimateByIdRequest");
    }
    let mut out = vec![];
    for r in &list {
        let id = r.get("IdValue").and_then(Value::as_str).unwrap_or_default();
        let sku = match r.get("IdType").and_then(Value::as_str) {
            Some("SellerSKU") => id.to_string(),
            Some("ASIN") => st
                .seller
                .products
                .iter()
                .find(|p| p.asin == id)
                .map(|p| p.sku.clone())
                .unwrap_or_default(),
            _ => return invalid("IdType must be ASIN or SellerSKU"),
        };
        let one = json!({"FeesEstimateRequest": r.get("FeesEstimateRequest").cloned().unwrap_or(Value::Null)});
        match fees_estimate(&st, &sku, one.to_string().as_bytes()) {
            Ok(mut v) => {
                let mut result = v["payload"]["FeesEstimateResult"].take();
                result["FeesEstimateIdentifier"]["IdType"] = json!(r["IdType"]);
                result["FeesEstimateIdentifier"]["IdValue"] = json!(id);
                out.push(result);
            }
            Err(res) => return res,
        }
    }
    st.respond(op, StatusCode::OK, Value::Array(out), f)
}

fn fees_estimate(st: &StandIn, sku: &str, body: &[u8]) -> Result<Value, Response> {
    let req: Value =
        serde_json::from_slice(body).map_err(|_| invalid("The request body is not valid JSON"))?;
    let r = req
        .get("FeesEstimateRequest")
        .filter(|r| r.is_object())
        .ok_or_else(|| invalid("Missing required field: FeesEstimateRequest"))?;
    let m = r
        .get("MarketplaceId")
        .and_then(Value::as_str)
        .and_then(marketplaces::by_id)
        .ok_or_else(|| invalid("Incorrect Marketplace identifier."))?;
    let identifier = r
        .get("Identifier")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("Missing required field: FeesEstimateRequest.Identifier"))?;
    let fba = match r.get("IsAmazonFulfilled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("IsAmazonFulfilled must be a boolean")),
    };
    if let Some(program) = r.get("OptionalFulfillmentProgram") {
        if !matches!(program.as_str(), Some("FBA_CORE" | "FBA_SNL" | "FBA_EFN")) {
            return Err(invalid("Invalid OptionalFulfillmentProgram"));
        }
    }
    let cur = m.currency;
    let prices = r
        .get("PriceToEstimateFees")
        .filter(|p| p.is_object())
        .ok_or_else(|| invalid("Missing required field: PriceToEstimateFees"))?;
    let listing_price = request_money(
        prices
            .get("ListingPrice")
            .ok_or_else(|| invalid("Missing required field: PriceToEstimateFees.ListingPrice"))?,
        "ListingPrice",
        cur,
    )?;
    let shipping = match prices.get("Shipping") {
        None | Some(Value::Null) => Decimal::ZERO,
        Some(s) => request_money(s, "Shipping", cur)?,
    };
    let mut echo = json!({"ListingPrice": money_v0(listing_price, cur)});
    if prices.get("Shipping").is_some_and(|s| !s.is_null()) {
        echo["Shipping"] = money_v0(shipping, cur);
    }
    let mut id = json!({
        "MarketplaceId": m.id,
        "SellerId": st.seller.seller_id,
        "IdType": "SellerSKU",
        "IdValue": sku,
        "IsAmazonFulfilled": fba,
        "PriceToEstimateFees": echo,
        "SellerInputIdentifier": identifier,
    });
    if let Some(program) = r.get("OptionalFulfillmentProgram") {
        id["OptionalFulfillmentProgram"] = program.clone();
    }
    let now = st.now();
    let product = product_by_sku(st, sku).filter(|&i| listing(st, i, m.id, now).is_some());
    let Some(i) = product else {
        return Ok(json!({"payload": {"FeesEstimateResult": {
            "Status": "ClientError",
            "FeesEstimateIdentifier": id,
            "Error": {"Type": "Sender", "Code": "InvalidParameterValue",
                "Message": format!("No ASIN found for SKU: {sku}. Please make sure the SKU is valid."), "Detail": []},
        }}}));
    };
    let (referral, fulfilment) =
        unit_fees(&st.seller.products[i], listing_price + shipping, cur, fba);
    let fee = |kind: &str, amount: Decimal| {
        json!({"FeeType": kind, "FeeAmount": money_v0(amount, cur), "FeePromotion": money_v0(Decimal::ZERO, cur),
            "TaxAmount": money_v0(Decimal::ZERO, cur), "FinalFee": money_v0(amount, cur)})
    };
    let mut details = vec![
        fee("ReferralFee", referral),
        fee("VariableClosingFee", Decimal::ZERO),
        fee("PerItemFee", Decimal::ZERO),
    ];
    if fba {
        let mut fba_fees = fee("FBAFees", fulfilment);
        fba_fees["IncludedFeeDetailList"] = json!([fee("FBAPerUnitFulfillmentFee", fulfilment)]);
        details.push(fba_fees);
    }
    Ok(json!({"payload": {"FeesEstimateResult": {
        "Status": "Success",
        "FeesEstimateIdentifier": id,
        "FeesEstimate": {
            "TimeOfFeesEstimation": ts(now),
            "TotalFeesEstimate": money_v0(referral + fulfilment, cur),
            "FeeDetailList": details,
        },
    }}}))
}

// ---------------------------------------------------------------- Listings Items 2021-08-01

const LISTING_DATA: &[&str] = &[
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
];

/// The fulfilment network code of an FBA listing's marketplace.
fn afn_channel(m: &Marketplace) -> &'static str {
    match (m.region, m.country_code) {
        (Region::NorthAmerica, _) => "AMAZON_NA",
        (Region::Europe, _) => "AMAZON_EU",
        (_, "JP") => "AMAZON_JP",
        _ => "AMAZON_FE",
    }
}

fn issues(st: &StandIn, l: &Listing, now: DateTime<Utc>) -> Vec<Value> {
    suppressed(st, l, now)
        .map(|e| {
            json!({
                "code": "MISSING_MAIN_IMAGE",
                "message": format!("The listing is suppressed and cannot be bought until it is fixed ({}).", e.detail),
                "severity": "ERROR",
                "attributeNames": ["main_product_image_locator"],
                "categories": ["INVALID_IMAGE"],
                "enforcements": {"actions": [{"action": "LISTING_SUPPRESSED"}], "exemption": {"status": "NOT_EXEMPT"}},
                "marketplaceIds": [l.marketplace_id],
            })
        })
        .into_iter()
        .collect()
}

/// One listings item (a SKU) over its listings in the requested marketplaces.
fn listings_item(
    st: &StandIn,
    index: usize,
    listings: &[&Listing],
    included: &[String],
    now: DateTime<Utc>,
) -> Value {
    let p = &st.seller.products[index];
    let mkt = |l: &Listing| marketplaces::by_id(l.marketplace_id).expect("known marketplace");
    let (product_type, ..) = kind(p);
    let mut item = json!({"sku": p.sku});
    for set in included {
        let v: Value = match set.as_str() {
            "summaries" => listings
                .iter()
                .map(|l| {
                    let mut s = json!({
                        "marketplaceId": l.marketplace_id,
                        "asin": p.asin,
                        "productType": product_type,
                        "conditionType": "new_new",
                        "status": listing_status(st, l, now),
                        "itemName": item_name(p, mkt(l)),
                        "createdDate": ts(l.open_date),
                        "lastUpdatedDate": ts(last_updated(st, l, now)),
                        "mainImage": {"link": image_link(p), "height": 500, "width": 500},
                    });
                    if l.fulfillment == Fulfillment::Afn {
                        s["fnSku"] = json!(p.fnsku);
                    }
                    s
                })
                .collect(),
            "attributes" => {
                let first = mkt(listings[0]);
                json!({
                    "item_name": [{"value": item_name(p, first), "language_tag": language(first.country_code), "marketplace_id": first.id}],
                    "brand": [{"value": p.brand, "marketplace_id": first.id}],
                    "condition_type": [{"value": "new_new", "marketplace_id": first.id}],
                })
            }
            "issues" => listings.iter().flat_map(|l| issues(st, l, now)).collect(),
            "offers" => listings
                .iter()
                .map(|l| {
                    json!({
                        "marketplaceId": l.marketplace_id,
                        "offerType": "B2C",
                        "price": {"currencyCode": mkt(l).currency, "amount": l.price.to_string()},
                        "audience": {"value": "ALL", "displayName": "Sell on Amazon"},
                    })
                })
                .collect(),
            "fulfillmentAvailability" => listings
                .iter()
                .map(|l| {
                    let code = match l.fulfillment {
                        Fulfillment::Afn => afn_channel(mkt(l)),
                        Fulfillment::Mfn => "DEFAULT",
                    };
                    json!({"fulfillmentChannelCode": code, "quantity": available(st, l).max(0)})
                })
                .collect(),
            "productTypes" => listings
                .iter()
                .map(|l| json!({"marketplaceId": l.marketplace_id, "productType": product_type}))
                .collect(),
            // Vendor procurement and variation relationships: none for this seller's listings.
            _ => continue,
        };
        item[set.as_str()] = v;
    }
    item
}

async fn get_listings_item(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path((seller_id, sku)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getListingsItem";
    let f = crate::guarded!(st, headers, op);
    match listings_item_of(&st, &seller_id, &sku, &q) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn listings_item_of(
    st: &StandIn,
    seller_id: &str,
    sku: &str,
    q: &HashMap<String, String>,
) -> Result<Value, Response> {
    check_seller(st, seller_id)?;
    let mkts = marketplace_list(q, "marketplaceIds", None)?;
    let included = included_data(q, LISTING_DATA, "summaries")?;
    let now = st.now();
    let index = product_by_sku(st, sku);
    let listed: Vec<&Listing> = mkts
        .iter()
        .filter_map(|m| index.and_then(|i| listing(st, i, m.id, now)))
        .collect();
    match index {
        Some(i) if !listed.is_empty() => Ok(listings_item(st, i, &listed, &included, now)),
        _ => Err(not_found(&format!(
            "SKU '{sku}' not found in the requested marketplaces."
        ))),
    }
}

async fn search_listings_items(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(seller_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "searchListingsItems";
    let f = crate::guarded!(st, headers, op);
    match listings_search(&st, &seller_id, q) {
        Ok(body) => st.respond(op, StatusCode::OK, body, f),
        Err(r) => r,
    }
}

fn time_param(q: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, Response> {
    q.get(key)
        .map(|s| {
            parse_time(s).ok_or_else(|| invalid(&format!("{key} is not an ISO 8601 date-time")))
        })
        .transpose()
}

fn listings_search(
    st: &StandIn,
    seller_id: &str,
    q: HashMap<String, String>,
) -> Result<Value, Response> {
    check_seller(st, seller_id)?;
    let (offset, q) = restore(q, "pageToken")?;
    let mkts = marketplace_list(&q, "marketplaceIds", None)?;
    let included = included_data(&q, LISTING_DATA, "summaries")?;
    let size = page_size(&q, "pageSize", 10, 20)?;
    let identifiers = list_of(&q, "identifiers", 20)?;
    let id_type = one_of(
        &q,
        "identifiersType",
        &[
            "ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC",
        ],
    )?;
    if identifiers.is_empty() != id_type.is_none() {
        return Err(invalid(
            "identifiers and identifiersType must be provided together",
        ));
    }
    let parent_sku = q.get("variationParentSku");
    let package_sku = q.get("packageHierarchySku");
    if [
        !identifiers.is_empty(),
        parent_sku.is_some(),
        package_sku.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count()
        > 1
    {
        return Err(invalid(
            "identifiers, variationParentSku and packageHierarchySku cannot be combined",
        ));
    }
    let severities = csv(q.get("withIssueSeverity"));
    if let Some(bad) = severities
        .iter()
        .find(|s| !["WARNING", "ERROR"].contains(&s.as_str()))
    {
        return Err(invalid(&format!("Invalid withIssueSeverity value: {bad}")));
    }
    let statuses = |key: &str| -> Result<Vec<String>, Response> {
        let v = csv(q.get(key));
        match v
            .iter()
            .find(|s| !["BUYABLE", "DISCOVERABLE"].contains(&s.as_str()))
        {
            Some(bad) => Err(invalid(&format!("Invalid {key} value: {bad}"))),
            None => Ok(v),
        }
    };
    let with_status = statuses("withStatus")?;
    let without_status = statuses("withoutStatus")?;
    let sort_by = one_of(&q, "sortBy", &["sku", "createdDate", "lastUpdatedDate"])?
        .unwrap_or("lastUpdatedDate");
    let ascending = one_of(&q, "sortOrder", &["ASC", "DESC"])?.unwrap_or("DESC") == "ASC";
    let created_after = time_param(&q, "createdAfter")?;
    let created_before = time_param(&q, "createdBefore")?;
    let updated_after = time_param(&q, "lastUpdatedAfter")?;
    let updated_before = time_param(&q, "lastUpdatedBefore")?;
    let now = st.now();
    let products = &st.seller.products;
    let parent_asin = parent_sku.map(|s| {
        product_by_sku(st, s)
            .map(|i| products[i].asin.clone())
            .unwrap_or_default()
    });

    // (product, its listings in the requested marketplaces, created, last updated)
    type Found<'a> = (usize, Vec<&'a Listing>, DateTime<Utc>, DateTime<Utc>);
    let mut found: Vec<Found> = vec![];
    for (i, p) in products.iter().enumerate() {
        let ls: Vec<&Listing> = mkts
            .iter()
            .filter_map(|m| listing(st, i, m.id, now))
            .collect();
        if ls.is_empty() || package_sku.is_some() {
            continue;
        }
        if let Some(t) = id_type {
            let hit = identifiers.iter().any(|id| match t {
                "SKU" => *id == p.sku,
                "ASIN" => *id == p.asin,
                "FNSKU" => *id == p.fnsku,
                "EAN" | "GTIN" => *id == ean(p),
                _ => false,
            });
            if !hit {
                continue;
            }
        }
        if let Some(parent) = &parent_asin {
            if p.parent_asin.as_ref() != Some(parent) {
                continue;
            }
        }
        let status: Vec<&str> = ls.iter().flat_map(|l| listing_status(st, l, now)).collect();
        if !with_status.is_empty() && !with_status.iter().any(|s| status.contains(&s.as_str())) {
            continue;
        }
        if without_status.iter().any(|s| status.contains(&s.as_str())) {
            continue;
        }
        // The stand-in's only issues are suppressions, of severity ERROR.
        let has_error = ls.iter().any(|l| suppressed(st, l, now).is_some());
        let severity_ok =
            severities.is_empty() || (has_error && severities.iter().any(|s| s == "ERROR"));
        if !severity_ok {
            continue;
        }
        let created = ls.iter().map(|l| l.open_date).min().expect("a listing");
        let updated = ls
            .iter()
            .map(|l| last_updated(st, l, now))
            .max()
            .expect("a listing");
        if created_after.is_some_and(|t| created < t)
            || created_before.is_some_and(|t| created > t)
            || updated_after.is_some_and(|t| updated < t)
            || updated_before.is_some_and(|t| updated > t)
        {
            continue;
        }
        found.push((i, ls, created, updated));
    }
    found.sort_by(|a, b| {
        let order = match sort_by {
            "sku" => std::cmp::Ordering::Equal,
            "createdDate" => a.2.cmp(&b.2),
            _ => a.3.cmp(&b.3),
        }
        .then_with(|| products[a.0].sku.cmp(&products[b.0].sku));
        if ascending {
            order
        } else {
            order.reverse()
        }
    });
    let order: Vec<usize> = (0..found.len()).collect();
    let (chunk, next) = page(&order, offset, size, &json!(q));
    let items: Vec<Value> = chunk
        .iter()
        .map(|&k| listings_item(st, found[k].0, &found[k].1, &included, now))
        .collect();
    let mut body = json!({"numberOfResults": found.len(), "items": items});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    Ok(body)
}
