//! Renders the generated records in Amazon's wire formats: the JSON of each operation (as the
//! official models define it) and the report flat files (columns, charsets, locale decimals).

use crate::generator::Seller;
use crate::ground_truth::transaction_type;
use crate::model::*;
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::marketplaces;

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A money amount as a JSON number (the Finances models' `BigDecimal`), through the one
/// exact-decimal JSON path of the client's models: the number is parsed from the decimal's
/// text, never converted by float arithmetic, so its text on the wire is the decimal's own.
pub fn json_number(d: Decimal) -> Value {
    shared::amazon::models::json_number::to_value(d)
}

fn money_v0(d: Decimal, cur: &str) -> Value {
    json!({"CurrencyCode": cur, "Amount": d.to_string()})
}

fn money_2026(d: Decimal, cur: &str) -> Value {
    json!({"amount": d.to_string(), "currencyCode": cur})
}

fn currency_v0(d: Decimal, cur: &str) -> Value {
    json!({"CurrencyCode": cur, "CurrencyAmount": json_number(d)})
}

fn currency_2024(d: Decimal, cur: &str) -> Value {
    json!({"currencyCode": cur, "currencyAmount": json_number(d)})
}

fn marketplace_name(id: &str) -> &'static str {
    marketplaces::by_id(id).map(|m| m.name).unwrap_or("Amazon")
}

pub(crate) fn language(country: &str) -> &'static str {
    match country {
        "US" => "en_US",
        "CA" => "en_CA",
        "MX" => "es_MX",
        "UK" => "en_GB",
        "DE" => "de_DE",
        "FR" => "fr_FR",
        "IT" => "it_IT",
        "ES" => "es_ES",
        "JP" => "ja_JP",
        _ => "en_US",
    }
}

pub fn participations(s: &Seller) -> Value {
    let payload: Vec<Value> = s
        .marketplaces
        .iter()
        .map(|m| {
            json!({
                "marketplace": {"id": m.id, "name": m.name, "countryCode": if m.country_code == "UK" { "GB" } else { m.country_code },
                    "defaultCurrencyCode": m.currency, "defaultLanguageCode": language(m.country_code), "domainName": m.domain},
                "participation": {"isParticipating": true, "hasSuspendedListings": false},
                "storeName": s.store_name,
            })
        })
        .collect();
    json!({"payload": payload})
}

fn order_total(o: &Order) -> Decimal {
    o.items
        .iter()
        .map(|i| {
            i.principal + i.tax + i.shipping + i.shipping_tax + i.gift_wrap + i.gift_wrap_tax
                - i.promotion
                - i.ship_promotion
        })
        .sum()
}

fn priced(o: &Order) -> bool {
    o.status != OrderStatus::Pending
}

pub fn order_v0(s: &Seller, o: &Order) -> Value {
    let shipped: i64 = if o.status == OrderStatus::Shipped {
        o.items.iter().map(|i| i.quantity).sum()
    } else {
        0
    };
    let unshipped: i64 = if matches!(o.status, OrderStatus::Unshipped | OrderStatus::Pending) {
        o.items.iter().map(|i| i.quantity).sum()
    } else {
        0
    };
    let mut v = json!({
        "AmazonOrderId": o.id,
        "PurchaseDate": ts(o.purchase_date),
        "LastUpdateDate": ts(o.last_update),
        "OrderStatus": o.status.v0(),
        "FulfillmentChannel": o.fulfillment.code(),
        "SalesChannel": marketplace_name(o.marketplace_id),
        "ShipServiceLevel": o.ship_service_level,
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": unshipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": o.marketplace_id,
        "ShipmentServiceLevelCategory": if o.fulfillment == Fulfillment::Afn { "Expedited" } else { "Standard" },
        "OrderType": "StandardOrder",
        "EarliestShipDate": ts(o.purchase_date),
        "LatestShipDate": ts(o.purchase_date + chrono::Duration::days(2)),
        "EarliestDeliveryDate": ts(o.earliest_delivery),
        "LatestDeliveryDate": ts(o.latest_delivery),
        "IsBusinessOrder": o.is_business,
        "IsPrime": o.is_prime,
        "IsPremiumOrder": false,
        "IsGlobalExpressEnabled": false,
        "IsReplacementOrder": false,
        "IsSoldByAB": false,
        "IsISPU": false,
        "IsAccessPointOrder": false,
        "ShippingAddress": {"City": o.ship_to.city, "StateOrRegion": o.ship_to.state, "PostalCode": o.ship_to.postal_code, "CountryCode": o.ship_to.country},
    });
    if priced(o) {
        v["OrderTotal"] = money_v0(order_total(o), o.currency);
    }
    let _ = s;
    v
}

pub fn order_items_v0(s: &Seller, o: &Order) -> Value {
    let items: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            let p = &s.products[i.product];
            let mut v = json!({
                "ASIN": p.asin,
                "SellerSKU": p.sku,
                "OrderItemId": i.order_item_id,
                "Title": if o.marketplace_id == "A1VC38T7YXB528" { &p.title_ja } else { &p.title },
                "QuantityOrdered": i.quantity,
                "QuantityShipped": if o.status == OrderStatus::Shipped { i.quantity } else { 0 },
                "ProductInfo": {"NumberOfItems": "1"},
                "IsGift": if i.gift_wrap > Decimal::ZERO { "true" } else { "false" },
                "ConditionId": "New",
                "ConditionSubtypeId": "New",
                "IsTransparency": false,
                "SerialNumberRequired": false,
            });
            if priced(o) {
                v["ItemPrice"] = money_v0(i.principal, o.currency);
                v["ItemTax"] = money_v0(i.tax, o.currency);
                v["ShippingPrice"] = money_v0(i.shipping, o.currency);
                v["ShippingTax"] = money_v0(i.shipping_tax, o.currency);
                v["ShippingDiscount"] = money_v0(i.ship_promotion, o.currency);
                v["PromotionDiscount"] = money_v0(i.promotion, o.currency);
                if i.gift_wrap > Decimal::ZERO {
                    v["BuyerInfo"] = json!({"GiftWrapPrice": money_v0(i.gift_wrap, o.currency), "GiftWrapTax": money_v0(i.gift_wrap_tax, o.currency)});
                }
            }
            if let Some(pid) = &i.promotion_id {
                v["PromotionIds"] = json!([pid]);
            }
            v
        })
        .collect();
    json!({"payload": {"OrderItems": items, "AmazonOrderId": o.id}})
}

fn status_2026(st: OrderStatus) -> &'static str {
    match st {
        OrderStatus::Pending => "PENDING",
        OrderStatus::Unshipped => "UNSHIPPED",
        OrderStatus::Shipped => "SHIPPED",
        OrderStatus::Canceled => "CANCELLED",
    }
}

/// An order in the 2026-01-01 shape; `included` names the optional blocks asked for.
pub fn order_2026(s: &Seller, o: &Order, included: &[String]) -> Value {
    let has = |k: &str| included.iter().any(|i| i == k);
    let cur = o.currency;
    let items: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            let p = &s.products[i.product];
            let mut v = json!({
                "orderItemId": i.order_item_id,
                "quantityOrdered": i.quantity,
                "product": {"asin": p.asin, "sellerSku": p.sku, "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                    "price": {"unitPrice": money_2026(i.principal / Decimal::from(i.quantity), cur)}},
            });
            if has("PROCEEDS") && priced(o) {
                let total = i.principal + i.tax + i.shipping + i.shipping_tax + i.gift_wrap + i.gift_wrap_tax - i.promotion - i.ship_promotion;
                let mut b = vec![json!({"type": "ITEM", "subtotal": money_2026(i.principal, cur)})];
                if !i.shipping.is_zero() {
                    b.push(json!({"type": "SHIPPING", "subtotal": money_2026(i.shipping, cur)}));
                }
                if !i.gift_wrap.is_zero() {
                    b.push(json!({"type": "GIFT_WRAP", "subtotal": money_2026(i.gift_wrap, cur)}));
                }
                let tax = i.tax + i.shipping_tax + i.gift_wrap_tax;
                if !tax.is_zero() {
                    b.push(json!({"type": "TAX", "subtotal": money_2026(tax, cur)}));
                }
                let disc = i.promotion + i.ship_promotion;
                if !disc.is_zero() {
                    b.push(json!({"type": "DISCOUNT", "subtotal": money_2026(-disc, cur)}));
                }
                v["proceeds"] = json!({"proceedsTotal": money_2026(total, cur), "breakdowns": b});
            }
            if has("PROMOTION") {
                if let Some(pid) = &i.promotion_id {
                    v["promotion"] = json!({"breakdowns": [{"promotionId": pid}]});
                }
            }
            if has("FULFILLMENT") {
                let done = if o.status == OrderStatus::Shipped { i.quantity } else { 0 };
                v["fulfillment"] = json!({"quantityFulfilled": done, "quantityUnfulfilled": i.quantity - done});
            }
            if has("CANCELLATION") && o.status == OrderStatus::Canceled {
                v["cancellation"] = json!({"cancellationExecution": {"cancelledBy": "BUYER"}});
            }
            v
        })
        .collect();
    let mut v = json!({
        "orderId": o.id,
        "createdTime": ts(o.purchase_date),
        "lastUpdatedTime": ts(o.last_update),
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": o.marketplace_id, "marketplaceName": marketplace_name(o.marketplace_id)},
        "orderItems": items,
    });
    let mut programs = vec![];
    if o.is_prime {
        programs.push("PRIME");
    }
    if o.is_business {
        programs.push("AMAZON_BUSINESS");
    }
    if !programs.is_empty() {
        v["programs"] = json!(programs);
    }
    if has("FULFILLMENT") {
        v["fulfillment"] = json!({
            "fulfillmentStatus": status_2026(o.status),
            "fulfilledBy": if o.fulfillment == Fulfillment::Afn { "AMAZON" } else { "MERCHANT" },
            "fulfillmentServiceLevel": if o.fulfillment == Fulfillment::Afn { "EXPEDITED" } else { "STANDARD" },
            "deliverByWindow": {"earliestDateTime": ts(o.earliest_delivery), "latestDateTime": ts(o.latest_delivery)},
        });
    }
    if has("PROCEEDS") && priced(o) {
        v["proceeds"] = json!({"grandTotal": money_2026(order_total(o), o.currency)});
    }
    if has("RECIPIENT") {
        v["recipient"] = json!({"deliveryAddress": {"city": o.ship_to.city, "stateOrRegion": o.ship_to.state, "postalCode": o.ship_to.postal_code, "countryCode": o.ship_to.country, "addressType": "RESIDENTIAL"}});
    }
    v
}

/// Finances 2024-06-19 transactionType of each kind.
pub fn finances_type(kind: TxKind) -> &'static str {
    match kind {
        TxKind::Shipment => "Shipment",
        TxKind::Refund => "Refund",
        TxKind::ServiceFee => "ServiceFee",
        TxKind::Adjustment => "Adjustment",
        TxKind::AdsPayment => "ProductAdsPayment",
    }
}

/// One transaction in the 2024-06-19 shape. Breakdowns: `breakdownType` = the settlement
/// `amount-type`, nested `breakdownType` = the `amount-description`.
pub fn transaction_2024(s: &Seller, t: &Transaction, now: DateTime<Utc>) -> Value {
    let cur = t.currency;
    let deferred = t.release > now;
    let mut ids = vec![];
    if let Some(o) = &t.order_id {
        ids.push(json!({"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": o}));
    }
    if let Some(i) = t.settlement {
        ids.push(json!({"relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID", "relatedIdentifierValue": s.settlements[i].group_id}));
        ids.push(json!({"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": s.settlements[i].id}));
    }
    if let (TxKind::Refund, Some(a)) = (t.kind, &t.adjustment_id) {
        ids.push(json!({"relatedIdentifierName": "REFUND_ID", "relatedIdentifierValue": a}));
    }
    if let (TxKind::AdsPayment, Some(a)) = (t.kind, &t.adjustment_id) {
        ids.push(json!({"relatedIdentifierName": "INVOICE_ID", "relatedIdentifierValue": a}));
    }
    let items: Vec<Value> = t
        .items
        .iter()
        .map(|it| {
            let mut groups: Vec<(&str, Vec<&MoneyLine>)> = vec![];
            for l in &it.lines {
                match groups.iter_mut().find(|(c, _)| *c == l.category) {
                    Some((_, v)) => v.push(l),
                    None => groups.push((l.category, vec![l])),
                }
            }
            let breakdowns: Vec<Value> = groups
                .iter()
                .map(|(c, ls)| {
                    json!({
                        "breakdownType": c,
                        "breakdownAmount": currency_2024(ls.iter().map(|l| l.amount).sum(), cur),
                        "breakdowns": ls.iter().map(|l| json!({"breakdownType": l.kind, "breakdownAmount": currency_2024(l.amount, cur)})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut v = json!({
                "description": it.product.map(|p| s.products[p].title.clone()).unwrap_or_else(|| t.description.to_string()),
                "totalAmount": currency_2024(it.lines.iter().map(|l| l.amount).sum(), cur),
                "breakdowns": breakdowns,
            });
            if let Some(p) = it.product {
                let p = &s.products[p];
                let mut ctx = json!({"contextType": "ProductContext", "asin": p.asin, "sku": p.sku});
                if it.quantity != 0 {
                    ctx["quantityShipped"] = json!(it.quantity);
                }
                if let Some(o) = t.order_id.as_deref().and_then(|id| s.order(id)) {
                    ctx["fulfillmentNetwork"] = json!(if o.fulfillment == Fulfillment::Afn { "AFN" } else { "MFN" });
                }
                v["contexts"] = json!([ctx]);
            }
            if let Some(oi) = &it.order_item_id {
                v["relatedIdentifiers"] = json!([{"itemRelatedIdentifierName": "TRANSACTION_ID", "itemRelatedIdentifierValue": oi}]);
            }
            v
        })
        .collect();
    let mut v = json!({
        "sellingPartnerMetadata": {"sellingPartnerId": s.seller_id, "accountType": "Standard Orders", "marketplaceId": t.marketplace_id},
        "relatedIdentifiers": ids,
        "transactionType": finances_type(t.kind),
        "transactionId": t.id,
        "transactionStatus": if deferred { "DEFERRED" } else { "RELEASED" },
        "description": t.description,
        "postedDate": ts(t.posted),
        "totalAmount": currency_2024(t.total(), cur),
        "marketplaceDetails": {"marketplaceId": t.marketplace_id, "marketplaceName": marketplace_name(t.marketplace_id)},
        "items": items,
    });
    if deferred {
        v["contexts"] = json!([{"contextType": "DeferredContext", "deferralReason": "DD7", "maturityDate": ts(t.release)}]);
    }
    v
}

pub fn event_group_v0(st: &Settlement) -> Value {
    let mut v = json!({
        "FinancialEventGroupId": st.group_id,
        "ProcessingStatus": if st.closed { "Closed" } else { "Open" },
        "FundTransferStatus": if st.closed { "Succeeded" } else { "Unknown" },
        "OriginalTotal": currency_v0(st.total, st.currency),
        "ConvertedTotal": currency_v0(st.total, st.currency),
        "BeginningBalance": currency_v0(Decimal::ZERO, st.currency),
        "FinancialEventGroupStart": ts(st.start),
    });
    if st.closed {
        v["FinancialEventGroupEnd"] = json!(ts(st.end));
        v["FundTransferDate"] = json!(ts(st.deposit_date.unwrap_or(st.end)));
        v["TraceId"] = json!(format!("{}TRACE", &st.id));
        v["AccountTail"] = json!("123");
    }
    v
}

fn charge_type(kind: &str) -> &str {
    match kind {
        "Shipping" => "ShippingCharge",
        "GiftWrap" => "Giftwrap",
        "GiftWrapTax" => "GiftwrapTax",
        other => other,
    }
}

/// The Finances v0 fee type of an account-level fee (its settlement description).
pub fn service_fee_type(description: &str) -> &'static str {
    match description {
        "Storage Fee" => "FBAStorageFee",
        "Long-Term Storage Fee" => "FBALongTermStorageFee",
        "Subscription Fee" => "Subscription",
        "FBA Inbound Placement Service Fee" => "FBAInboundTransportationFee",
        "FBA Removal Order: Disposal Fee" => "FBADisposalFee",
        _ => "Other",
    }
}

/// Adds one transaction to a v0 `FinancialEvents` object.
pub fn add_event_v0(s: &Seller, t: &Transaction, events: &mut serde_json::Map<String, Value>) {
    let cur = t.currency;
    let push = |events: &mut serde_json::Map<String, Value>, list: &str, v: Value| {
        events
            .entry(list.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("list")
            .push(v);
    };
    match t.kind {
        TxKind::Shipment | TxKind::Refund => {
            let refund = t.kind == TxKind::Refund;
            let items: Vec<Value> = t
                .items
                .iter()
                .map(|it| {
                    let sel = |cat: &'static str| it.lines.iter().filter(move |l| l.category == cat);
                    let charges: Vec<Value> = sel("ItemPrice").map(|l| json!({"ChargeType": charge_type(l.kind), "ChargeAmount": currency_v0(l.amount, cur)})).collect();
                    let fees: Vec<Value> = sel("ItemFees").map(|l| json!({"FeeType": l.kind, "FeeAmount": currency_v0(l.amount, cur)})).collect();
                    let withheld: Vec<Value> = sel("ItemWithheldTax").map(|l| json!({"ChargeType": l.kind, "ChargeAmount": currency_v0(l.amount, cur)})).collect();
                    let promos: Vec<Value> = sel("Promotion").map(|l| json!({"PromotionType": l.kind, "PromotionId": "PLM", "PromotionAmount": currency_v0(l.amount, cur)})).collect();
                    let (c, f, p) = if refund { ("ItemChargeAdjustmentList", "ItemFeeAdjustmentList", "PromotionAdjustmentList") } else { ("ItemChargeList", "ItemFeeList", "PromotionList") };
                    let mut v = json!({
                        "SellerSKU": it.product.map(|p| s.products[p].sku.clone()).unwrap_or_default(),
                        "OrderItemId": it.order_item_id.clone().unwrap_or_default(),
                        "QuantityShipped": it.quantity,
                        c: charges, f: fees, p: promos,
                    });
                    if refund {
                        v["OrderAdjustmentItemId"] = json!(t.adjustment_id.clone().unwrap_or_default());
                    }
                    if !withheld.is_empty() {
                        v["ItemTaxWithheldList"] = json!([{"TaxCollectionModel": "MarketplaceFacilitator", "TaxesWithheld": withheld}]);
                    }
                    v
                })
                .collect();
            let list = if refund {
                "ShipmentItemAdjustmentList"
            } else {
                "ShipmentItemList"
            };
            let ev = json!({
                "AmazonOrderId": t.order_id.clone().unwrap_or_default(),
                "MarketplaceName": marketplace_name(t.marketplace_id),
                "PostedDate": ts(t.posted),
                list: items,
            });
            push(
                events,
                if refund {
                    "RefundEventList"
                } else {
                    "ShipmentEventList"
                },
                ev,
            );
        }
        TxKind::ServiceFee => {
            for it in &t.items {
                let mut v = json!({
                    "FeeReason": t.description,
                    "FeeDescription": t.description,
                    "FeeList": it.lines.iter().map(|l| json!({"FeeType": service_fee_type(l.kind), "FeeAmount": currency_v0(l.amount, cur)})).collect::<Vec<_>>(),
                });
                if let Some(p) = it.product {
                    let p = &s.products[p];
                    v["SellerSKU"] = json!(p.sku);
                    v["FnSKU"] = json!(p.fnsku);
                    v["ASIN"] = json!(p.asin);
                }
                push(events, "ServiceFeeEventList", v);
            }
        }
        TxKind::Adjustment => {
            let items: Vec<Value> = t
                .items
                .iter()
                .map(|it| {
                    let p = &s.products[it.product.expect("reimbursements name a product")];
                    let total: Decimal = it.lines.iter().map(|l| l.amount).sum();
                    json!({"Quantity": it.quantity.to_string(), "PerUnitAmount": currency_v0(total / Decimal::from(it.quantity.abs().max(1)), cur),
                        "TotalAmount": currency_v0(total, cur), "SellerSKU": p.sku, "FnSKU": p.fnsku, "ASIN": p.asin, "ProductDescription": p.title,
                        "TransactionNumber": t.adjustment_id.clone().unwrap_or_default()})
                })
                .collect();
            push(
                events,
                "AdjustmentEventList",
                json!({"AdjustmentType": "FBAInventoryReimbursement", "PostedDate": ts(t.posted), "AdjustmentAmount": currency_v0(t.total(), cur), "AdjustmentItemList": items}),
            );
        }
        TxKind::AdsPayment => {
            let total = t.total();
            push(
                events,
                "ProductAdsPaymentEventList",
                json!({"postedDate": ts(t.posted), "transactionType": "charge", "invoiceId": t.adjustment_id.clone().unwrap_or_default(),
                "baseValue": currency_v0(total, cur), "taxValue": currency_v0(Decimal::ZERO, cur), "transactionValue": currency_v0(total, cur)}),
            );
        }
    }
}

/// How a marketplace's flat files print numbers and which charset they use.
pub fn file_locale(marketplace_id: &str) -> (&'static encoding_rs::Encoding, bool) {
    match marketplaces::by_id(marketplace_id).map(|m| m.country_code) {
        Some("DE" | "FR" | "IT" | "ES") => (encoding_rs::WINDOWS_1252, true),
        Some("UK") => (encoding_rs::WINDOWS_1252, false),
        Some("JP") => (encoding_rs::SHIFT_JIS, false),
        _ => (encoding_rs::UTF_8, false),
    }
}

/// Whether a marketplace's settlement files write `1141,18` (their all-orders and inventory
/// files write `24.99` all the same: the separator depends on the report).
fn settlement_comma(marketplace_id: &str) -> bool {
    matches!(
        marketplaces::by_id(marketplace_id).map(|m| m.country_code),
        Some("DE" | "FR" | "IT" | "ES")
    )
}

/// A settlement amount: `1141,18` (no thousands separator) in DE/FR/IT/ES, `1141.18` elsewhere.
fn settlement_amount(d: Decimal, marketplace_id: &str) -> String {
    let plain = d.to_string();
    if settlement_comma(marketplace_id) {
        plain.replace('.', ",")
    } else {
        plain
    }
}

/// A settlement date and time: `14.03.2023 07:49:55 UTC` in the German file, ISO-like elsewhere.
fn settlement_time(t: DateTime<Utc>, marketplace_id: &str) -> String {
    if marketplace_id == "A1PA6795UKMFR9" {
        t.format("%d.%m.%Y %H:%M:%S UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

/// A settlement `posted-date`: `14.03.2023` in the German file, `03/14/23` elsewhere.
fn settlement_day(t: DateTime<Utc>, marketplace_id: &str) -> String {
    if marketplace_id == "A1PA6795UKMFR9" {
        t.format("%d.%m.%Y").to_string()
    } else {
        t.format("%m/%d/%y").to_string()
    }
}

/// A timestamp in the marketplace's own offset (`+09:00` in JP files), `+00:00` elsewhere.
fn local_time(t: DateTime<Utc>, marketplace_id: &str) -> String {
    if marketplace_id == "A1VC38T7YXB528" {
        let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("JST");
        t.with_timezone(&jst)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    }
}

fn is_eu_vat(marketplace_id: &str) -> bool {
    settlement_comma(marketplace_id)
}

/// `1234.56`, or `1.234,56` where the marketplace writes decimals with a comma.
pub fn amount_text(d: Decimal, comma: bool) -> String {
    let plain = d.to_string();
    if !comma {
        return plain;
    }
    let (sign, body) = plain
        .strip_prefix('-')
        .map(|b| ("-", b))
        .unwrap_or(("", plain.as_str()));
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// A product's name as the marketplace's FBA files print it: Japanese on Amazon.co.jp (what
/// makes their Shift_JIS charset matter), the catalogue title elsewhere.
fn local_title(p: &crate::model::Product, marketplace_id: &str) -> String {
    if marketplace_id == "A1VC38T7YXB528" {
        p.title_ja.clone()
    } else {
        p.title.clone()
    }
}

/// A report file: text, and the charset it is encoded in.
pub struct FlatFile {
    pub text: String,
    pub encoding: &'static encoding_rs::Encoding,
}

impl FlatFile {
    /// The bytes in the file's charset (characters the charset lacks become `?`).
    pub fn bytes(&self) -> Vec<u8> {
        let (bytes, _, _) = self.encoding.encode(&self.text);
        bytes.into_owned()
    }
}

/// Every field in double quotes (`"` inside doubled), as the ledger summary view comes.
fn quoted_tsv(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let q = |c: &str| format!("\"{}\"", c.replace(['\t', '\n'], " ").replace('"', "\"\""));
    let mut out = header.iter().map(|h| q(h)).collect::<Vec<_>>().join("\t");
    out.push('\n');
    for r in rows {
        out.push_str(&r.iter().map(|c| q(c)).collect::<Vec<_>>().join("\t"));
        out.push('\n');
    }
    out
}

pub(crate) fn tsv(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = header.join("\t");
    out.push('\n');
    for r in rows {
        out.push_str(
            &r.iter()
                .map(|c| c.replace(['\t', '\n'], " "))
                .collect::<Vec<_>>()
                .join("\t"),
        );
        out.push('\n');
    }
    out
}

pub const SETTLEMENT_COLUMNS: [&str; 24] = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "promotion-id",
];

/// The V2 settlement flat file of one settlement.
pub fn settlement_file(s: &Seller, st: &Settlement) -> FlatFile {
    let (encoding, _) = file_locale(st.marketplace_id);
    let mid = st.marketplace_id;
    let mut rows = vec![{
        let mut r = vec![String::new(); 24];
        r[0] = st.id.clone();
        r[1] = settlement_time(st.start, mid);
        r[2] = settlement_time(st.end, mid);
        r[3] = st
            .deposit_date
            .map(|d| settlement_time(d, mid))
            .unwrap_or_default();
        r[4] = settlement_amount(st.total, mid);
        r[5] = st.currency.to_string();
        r
    }];
    for &ti in &st.transactions {
        let t = &s.transactions[ti];
        let order = t.order_id.as_deref().and_then(|id| s.order(id));
        for (it, l) in t.lines() {
            let mut r = vec![String::new(); 24];
            r[0] = st.id.clone();
            r[6] = transaction_type(t.kind).to_string();
            r[7] = t.order_id.clone().unwrap_or_default();
            r[9] = if t.kind == TxKind::Shipment {
                String::new()
            } else {
                t.adjustment_id.clone().unwrap_or_default()
            };
            r[11] = marketplace_name(t.marketplace_id).to_string();
            r[12] = l.category.to_string();
            r[13] = l.kind.to_string();
            r[14] = settlement_amount(l.amount, mid);
            r[15] = order
                .map(|o| o.fulfillment.code().to_string())
                .unwrap_or_default();
            r[16] = settlement_day(t.posted, mid);
            r[17] = settlement_time(t.posted, mid);
            r[18] = it.order_item_id.clone().unwrap_or_default();
            r[20] = if t.kind == TxKind::Refund {
                t.adjustment_id.clone().unwrap_or_default()
            } else {
                String::new()
            };
            r[21] = it
                .product
                .map(|p| s.products[p].sku.clone())
                .unwrap_or_default();
            r[22] = if it.quantity != 0
                && ((l.kind == "Principal" && l.category == "ItemPrice")
                    || l.category == "FBA Inventory Reimbursement")
            {
                it.quantity.to_string()
            } else {
                String::new()
            };
            rows.push(r);
        }
    }
    FlatFile {
        text: tsv(&SETTLEMENT_COLUMNS, rows),
        encoding,
    }
}

/// The older settlement layout (`GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE`): several amounts
/// per row, one pair of columns per kind of amount.
pub const LEGACY_SETTLEMENT_COLUMNS: [&str; 36] = [
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "shipment-fee-type",
    "shipment-fee-amount",
    "order-fee-type",
    "order-fee-amount",
    "fulfillment-id",
    "posted-date",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
    "price-type",
    "price-amount",
    "item-related-fee-type",
    "item-related-fee-amount",
    "misc-fee-amount",
    "other-fee-amount",
    "other-fee-reason-description",
    "promotion-id",
    "promotion-type",
    "promotion-amount",
    "direct-payment-type",
    "direct-payment-amount",
    "other-amount",
];

/// The older settlement flat file of one settlement. An item's price, fee and promotion
/// lines share rows (the n-th price with the n-th fee and the n-th promotion), as Amazon
/// packs them; account-level lines use `other-fee-*`, reimbursements `other-amount`.
pub fn settlement_file_legacy(s: &Seller, st: &Settlement) -> FlatFile {
    let (encoding, _) = file_locale(st.marketplace_id);
    let mid = st.marketplace_id;
    let col = |name: &str| {
        LEGACY_SETTLEMENT_COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("legacy column")
    };
    let n = LEGACY_SETTLEMENT_COLUMNS.len();
    let mut rows = vec![{
        let mut r = vec![String::new(); n];
        r[0] = st.id.clone();
        r[1] = settlement_time(st.start, mid);
        r[2] = settlement_time(st.end, mid);
        r[3] = st
            .deposit_date
            .map(|d| settlement_time(d, mid))
            .unwrap_or_default();
        r[4] = settlement_amount(st.total, mid);
        r[5] = st.currency.to_string();
        r
    }];
    for &ti in &st.transactions {
        let t = &s.transactions[ti];
        let order = t.order_id.as_deref().and_then(|id| s.order(id));
        for it in &t.items {
            let base = |r: &mut Vec<String>| {
                r[col("settlement-id")] = st.id.clone();
                r[col("transaction-type")] = transaction_type(t.kind).to_string();
                r[col("order-id")] = t.order_id.clone().unwrap_or_default();
                if t.kind != TxKind::Shipment {
                    r[col("adjustment-id")] = t.adjustment_id.clone().unwrap_or_default();
                }
                r[col("marketplace-name")] = marketplace_name(t.marketplace_id).to_string();
                r[col("fulfillment-id")] = order
                    .map(|o| o.fulfillment.code().to_string())
                    .unwrap_or_default();
                // Only a date here: the marketplace's own calendar day.
                let day = crate::ground_truth::local_day(mid, t.posted);
                r[col("posted-date")] = if mid == "A1PA6795UKMFR9" {
                    day.format("%d.%m.%Y").to_string()
                } else {
                    day.format("%m/%d/%y").to_string()
                };
                r[col("order-item-code")] = it.order_item_id.clone().unwrap_or_default();
                r[col("sku")] = it
                    .product
                    .map(|p| s.products[p].sku.clone())
                    .unwrap_or_default();
            };
            let pick = |cat: &str| -> Vec<&MoneyLine> {
                it.lines.iter().filter(|l| l.category == cat).collect()
            };
            let (prices, fees, promos) = (pick("ItemPrice"), pick("ItemFees"), pick("Promotion"));
            let others: Vec<&MoneyLine> = it
                .lines
                .iter()
                .filter(|l| !matches!(l.category, "ItemPrice" | "ItemFees" | "Promotion"))
                .collect();
            let packed = prices.len().max(fees.len()).max(promos.len());
            for k in 0..packed {
                let mut r = vec![String::new(); n];
                base(&mut r);
                if let Some(l) = prices.get(k) {
                    r[col("price-type")] = l.kind.to_string();
                    r[col("price-amount")] = settlement_amount(l.amount, mid);
                    if l.kind == "Principal" && it.quantity != 0 {
                        r[col("quantity-purchased")] = it.quantity.to_string();
                    }
                }
                if let Some(l) = fees.get(k) {
                    r[col("item-related-fee-type")] = l.kind.to_string();
                    r[col("item-related-fee-amount")] = settlement_amount(l.amount, mid);
                }
                if let Some(l) = promos.get(k) {
                    r[col("promotion-type")] = l.kind.to_string();
                    r[col("promotion-amount")] = settlement_amount(l.amount, mid);
                }
                if t.kind == TxKind::Refund {
                    r[col("merchant-adjustment-item-id")] =
                        t.adjustment_id.clone().unwrap_or_default();
                }
                rows.push(r);
            }
            for l in others {
                let mut r = vec![String::new(); n];
                base(&mut r);
                if l.category == "FBA Inventory Reimbursement" {
                    r[col("other-fee-reason-description")] = l.kind.to_string();
                    r[col("other-amount")] = settlement_amount(l.amount, mid);
                    r[col("quantity-purchased")] = it.quantity.to_string();
                } else {
                    r[col("other-fee-reason-description")] = l.kind.to_string();
                    r[col("other-fee-amount")] = settlement_amount(l.amount, mid);
                }
                rows.push(r);
            }
        }
    }
    FlatFile {
        text: tsv(&LEGACY_SETTLEMENT_COLUMNS, rows),
        encoding,
    }
}

pub const ALL_ORDERS_COLUMNS: [&str; 33] = [
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "url",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
    "signature-confirmation-recommended",
];

/// The extra columns of EU all-orders files (91 columns in all). `invoice-business-tax-office `
/// keeps the trailing space real files have.
pub const EU_ALL_ORDERS_EXTRA: [&str; 58] = [
    "is-amazon-invoiced",
    "vat-exclusive-item-price",
    "vat-exclusive-shipping-price",
    "vat-exclusive-giftwrap-price",
    "licensee-name",
    "license-number",
    "license-state",
    "license-expiration-date",
    "is-buyer-requested-cancellation",
    "buyer-requested-cancel-reason",
    "is-transparency",
    "is-exchange-order",
    "original-order-id",
    "is-ispu",
    "store-chain-store-id",
    "is-heavy-or-bulky",
    "is-replacement-order",
    "is-premium-order",
    "is-prime",
    "is-sold-by-ab",
    "tax-collection-model",
    "tax-collection-responsible-party",
    "buyer-company-name",
    "buyer-tax-registration-id",
    "buyer-tax-registration-country",
    "buyer-tax-registration-type",
    "invoice-business-legal-name",
    "invoice-business-address",
    "invoice-business-tax-id",
    "invoice-business-tax-office ",
    "invoice-business-city",
    "invoice-business-country",
    "invoice-business-postal-code",
    "seller-vat-number",
    "buyer-vat-number",
    "vat-calculation-imputation-country",
    "vat-rate",
    "vat-amount-item",
    "vat-amount-shipping",
    "vat-amount-giftwrap",
    "export-outside-eu",
    "ship-from-country",
    "ship-from-city",
    "ship-from-postal-code",
    "marketplace-facilitator-vat",
    "item-tax-jurisdiction",
    "deemed-reseller",
    "oss-scheme",
    "is-vine-order",
    "is-global-express",
    "fulfilled-by-sfp",
    "delivery-start-date",
    "delivery-end-date",
    "delivery-time-zone",
    "delivery-instructions",
    "is-gift",
    "gift-message-text",
    "customized-url",
];

/// Business buyers' tax offices (Turkish letters Windows-1252 cannot hold: the file is UTF-8).
const TAX_OFFICES: [&str; 3] = ["Kadıköy", "Beşiktaş", "Çankaya"];

/// The all-orders flat file for one marketplace and window (by order date or by last update).
/// Amounts always use a decimal point (EU files too); promotion discounts are positive or
/// blank; EU files carry the 58 VAT/invoice columns and are UTF-8; JP times carry `+09:00`.
pub fn all_orders_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by_update: bool,
) -> FlatFile {
    let eu = is_eu_vat(marketplace_id);
    let encoding = if eu {
        encoding_rs::UTF_8
    } else {
        file_locale(marketplace_id).0
    };
    let mut header: Vec<&str> = ALL_ORDERS_COLUMNS.to_vec();
    if eu {
        header.extend(EU_ALL_ORDERS_EXTRA);
    }
    let mut rows = vec![];
    for o in s
        .orders
        .iter()
        .filter(|o| o.marketplace_id == marketplace_id)
    {
        let at = if by_update {
            o.last_update
        } else {
            o.purchase_date
        };
        if at < from || at >= to {
            continue;
        }
        for i in &o.items {
            let p = &s.products[i.product];
            let money = |d: Decimal| {
                if priced(o) {
                    d.to_string()
                } else {
                    String::new()
                }
            };
            let discount = |d: Decimal| {
                if priced(o) && !d.is_zero() {
                    d.to_string()
                } else {
                    String::new()
                }
            };
            let mut r = vec![
                o.id.clone(),
                String::new(),
                local_time(o.purchase_date, marketplace_id),
                local_time(o.last_update, marketplace_id),
                o.status.v0().to_string(),
                if o.fulfillment == Fulfillment::Afn {
                    "Amazon".into()
                } else {
                    "Merchant".into()
                },
                marketplace_name(o.marketplace_id).to_string(),
                String::new(),
                String::new(),
                o.ship_service_level.to_string(),
                if marketplace_id == "A1VC38T7YXB528" {
                    p.title_ja.clone()
                } else {
                    p.title.clone()
                },
                p.sku.clone(),
                p.asin.clone(),
                if o.status == OrderStatus::Canceled {
                    "Cancelled".into()
                } else if o.status == OrderStatus::Shipped {
                    "Shipped".into()
                } else {
                    "Unshipped".into()
                },
                i.quantity.to_string(),
                if priced(o) {
                    o.currency.to_string()
                } else {
                    String::new()
                },
                money(i.principal),
                money(i.tax),
                money(i.shipping),
                money(i.shipping_tax),
                money(i.gift_wrap),
                money(i.gift_wrap_tax),
                discount(i.promotion),
                discount(i.ship_promotion),
                o.ship_to.city.to_string(),
                o.ship_to.state.to_string(),
                o.ship_to.postal_code.clone(),
                o.ship_to.country.to_string(),
                i.promotion_id.clone().unwrap_or_default(),
                o.is_business.to_string(),
                String::new(),
                String::new(),
                "false".into(),
            ];
            if eu {
                let mut x = vec![String::new(); EU_ALL_ORDERS_EXTRA.len()];
                let set = |x: &mut Vec<String>, name: &str, v: String| {
                    let k = EU_ALL_ORDERS_EXTRA
                        .iter()
                        .position(|c| *c == name)
                        .expect("EU column");
                    x[k] = v;
                };
                set(&mut x, "is-amazon-invoiced", "true".into());
                set(
                    &mut x,
                    "vat-exclusive-item-price",
                    money(i.principal - i.tax),
                );
                set(
                    &mut x,
                    "vat-exclusive-shipping-price",
                    money(i.shipping - i.shipping_tax),
                );
                set(
                    &mut x,
                    "vat-exclusive-giftwrap-price",
                    money(i.gift_wrap - i.gift_wrap_tax),
                );
                set(&mut x, "is-prime", o.is_prime.to_string());
                set(
                    &mut x,
                    "tax-collection-model",
                    "MarketplaceFacilitator".into(),
                );
                set(
                    &mut x,
                    "tax-collection-responsible-party",
                    "Amazon Services Europe Sarl".into(),
                );
                if o.is_business {
                    let k = o.id.bytes().map(usize::from).sum::<usize>();
                    set(
                        &mut x,
                        "invoice-business-tax-office ",
                        TAX_OFFICES[k % TAX_OFFICES.len()].into(),
                    );
                    set(
                        &mut x,
                        "buyer-company-name",
                        format!("{} GmbH", o.ship_to.city),
                    );
                }
                set(&mut x, "ship-from-country", o.ship_to.country.to_string());
                r.extend(x);
            }
            rows.push(r);
        }
    }
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// Amazon-fulfilled shipments (`GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL`): one row per
/// shipped FBA order item, by shipment date. Buyer details are left blank (PII).
pub fn fulfilled_shipments_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let header = [
        "amazon-order-id",
        "merchant-order-id",
        "shipment-id",
        "shipment-item-id",
        "amazon-order-item-id",
        "merchant-order-item-id",
        "purchase-date",
        "payments-date",
        "shipment-date",
        "reporting-date",
        "buyer-email",
        "buyer-name",
        "buyer-phone-number",
        "sku",
        "product-name",
        "quantity-shipped",
        "currency",
        "item-price",
        "item-tax",
        "shipping-price",
        "shipping-tax",
        "gift-wrap-price",
        "gift-wrap-tax",
        "ship-service-level",
        "recipient-name",
        "ship-address-1",
        "ship-address-2",
        "ship-address-3",
        "ship-city",
        "ship-state",
        "ship-postal-code",
        "ship-country",
        "ship-phone-number",
        "bill-address-1",
        "bill-address-2",
        "bill-address-3",
        "bill-city",
        "bill-state",
        "bill-postal-code",
        "bill-country",
        "item-promotion-discount",
        "ship-promotion-discount",
        "carrier",
        "tracking-number",
        "estimated-arrival-date",
        "fulfillment-center-id",
        "fulfillment-channel",
        "sales-channel",
    ];
    let eu = is_eu_vat(marketplace_id);
    let encoding = if eu {
        encoding_rs::UTF_8
    } else {
        file_locale(marketplace_id).0
    };
    let mut rows = vec![];
    for o in s
        .orders
        .iter()
        .filter(|o| o.marketplace_id == marketplace_id && o.fulfillment == Fulfillment::Afn)
    {
        let Some(ship) = o.ship_date else { continue };
        if ship < from || ship >= to {
            continue;
        }
        for (k, i) in o.items.iter().enumerate() {
            let p = &s.products[i.product];
            let discount = |d: Decimal| {
                if d.is_zero() {
                    String::new()
                } else {
                    d.to_string()
                }
            };
            let mut r = vec![String::new(); header.len()];
            r[0] = o.id.clone();
            r[2] = format!("D{}", o.id.replace('-', ""));
            r[3] = format!("{}-{k}", i.order_item_id);
            r[4] = i.order_item_id.clone();
            r[6] = local_time(o.purchase_date, marketplace_id);
            r[7] = local_time(o.purchase_date, marketplace_id);
            r[8] = local_time(ship, marketplace_id);
            r[9] = local_time(ship, marketplace_id);
            r[13] = p.sku.clone();
            r[14] = if marketplace_id == "A1VC38T7YXB528" {
                p.title_ja.clone()
            } else {
                p.title.clone()
            };
            r[15] = i.quantity.to_string();
            r[16] = o.currency.to_string();
            r[17] = i.principal.to_string();
            r[18] = i.tax.to_string();
            r[19] = i.shipping.to_string();
            r[20] = i.shipping_tax.to_string();
            r[21] = i.gift_wrap.to_string();
            r[22] = i.gift_wrap_tax.to_string();
            r[23] = o.ship_service_level.to_string();
            r[28] = o.ship_to.city.to_string();
            r[29] = o.ship_to.state.to_string();
            r[30] = o.ship_to.postal_code.clone();
            r[31] = o.ship_to.country.to_string();
            r[40] = discount(i.promotion);
            r[41] = discount(i.ship_promotion);
            r[42] = "AMZN".into();
            r[44] = local_time(o.latest_delivery, marketplace_id);
            r[46] = "Amazon".into();
            r[47] = marketplace_name(o.marketplace_id).to_string();
            rows.push(r);
        }
    }
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// FBA Manage Inventory (current levels), for `GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA` and
/// `GET_FBA_MYI_ALL_INVENTORY_DATA` alike. Prices use a decimal point in every marketplace.
pub fn inventory_file(s: &Seller, marketplace_id: &str) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "sku",
        "fnsku",
        "asin",
        "product-name",
        "condition",
        "your-price",
        "mfn-listing-exists",
        "mfn-fulfillable-quantity",
        "afn-listing-exists",
        "afn-warehouse-quantity",
        "afn-fulfillable-quantity",
        "afn-unsellable-quantity",
        "afn-reserved-quantity",
        "afn-total-quantity",
        "per-unit-volume",
        "afn-inbound-working-quantity",
        "afn-inbound-shipped-quantity",
        "afn-inbound-receiving-quantity",
        "afn-researching-quantity",
        "afn-reserved-future-supply",
        "afn-future-supply-buyable",
    ];
    let rows = s
        .inventory
        .iter()
        .filter(|i| i.marketplace_id == marketplace_id)
        .map(|i| {
            let p = &s.products[i.product];
            let price = s
                .listings
                .iter()
                .find(|l| l.product == i.product && l.marketplace_id == marketplace_id)
                .map(|l| l.price)
                .unwrap_or_default();
            let warehouse = i.fulfillable + i.unfulfillable + i.reserved + i.researching;
            let total = warehouse + i.inbound_working + i.inbound_shipped + i.inbound_receiving;
            vec![
                p.sku.clone(),
                p.fnsku.clone(),
                p.asin.clone(),
                if marketplace_id == "A1VC38T7YXB528" {
                    p.title_ja.clone()
                } else {
                    p.title.clone()
                },
                "New".into(),
                price.to_string(),
                "No".into(),
                String::new(),
                "Yes".into(),
                warehouse.to_string(),
                i.fulfillable.to_string(),
                i.unfulfillable.to_string(),
                i.reserved.to_string(),
                total.to_string(),
                Decimal::new(12, 2).to_string(),
                i.inbound_working.to_string(),
                i.inbound_shipped.to_string(),
                i.inbound_receiving.to_string(),
                i.researching.to_string(),
                "0".into(),
                "0".into(),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// FBA reimbursements approved in a window; reversals (`Reimbursement_Reversal`) carry a
/// negative quantity and amount and name the reimbursement they reverse.
pub fn reimbursements_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, comma) = file_locale(marketplace_id);
    let header = [
        "approval-date",
        "reimbursement-id",
        "case-id",
        "amazon-order-id",
        "reason",
        "sku",
        "fnsku",
        "asin",
        "product-name",
        "condition",
        "currency-unit",
        "amount-per-unit",
        "amount-total",
        "quantity-reimbursed-cash",
        "quantity-reimbursed-inventory",
        "quantity-reimbursed-total",
        "original-reimbursement-id",
        "original-reimbursement-type",
    ];
    let rows = s
        .reimbursements
        .iter()
        .filter(|r| {
            r.marketplace_id == marketplace_id && r.approval_date >= from && r.approval_date < to
        })
        .map(|r| {
            let p = &s.products[r.product];
            vec![
                r.approval_date
                    .format("%Y-%m-%dT%H:%M:%S+00:00")
                    .to_string(),
                r.id.clone(),
                String::new(),
                r.order_id.clone().unwrap_or_default(),
                r.reason.to_string(),
                p.sku.clone(),
                p.fnsku.clone(),
                p.asin.clone(),
                local_title(p, marketplace_id),
                "NewItem".into(),
                r.currency.to_string(),
                // One file, both separators: EU files print the unit amount with a point
                // and the total in the locale (`1.234,56`).
                r.amount_per_unit.to_string(),
                amount_text(r.amount_total, comma),
                r.quantity.to_string(),
                "0".into(),
                r.quantity.to_string(),
                r.original.as_ref().map(|o| o.0.clone()).unwrap_or_default(),
                r.original
                    .as_ref()
                    .map(|o| o.1.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// FBA customer returns in a window.
pub fn returns_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "return-date",
        "order-id",
        "sku",
        "asin",
        "fnsku",
        "product-name",
        "quantity",
        "fulfillment-center-id",
        "detailed-disposition",
        "reason",
        "status",
        "license-plate-number",
        "customer-comments",
    ];
    let rows = s
        .returns
        .iter()
        .filter(|r| {
            r.marketplace_id == marketplace_id && r.return_date >= from && r.return_date < to
        })
        .map(|r| {
            let p = &s.products[r.product];
            vec![
                r.return_date.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
                r.order_id.clone(),
                p.sku.clone(),
                p.asin.clone(),
                p.fnsku.clone(),
                local_title(p, marketplace_id),
                r.quantity.to_string(),
                r.fulfillment_center.to_string(),
                r.disposition.to_string(),
                r.reason.to_string(),
                if r.refunded {
                    "Unit returned to inventory".into()
                } else {
                    "Reimbursed".into()
                },
                r.license_plate.clone(),
                String::new(),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// The inventory ledger, detail view, in a window.
pub fn ledger_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "Date",
        "FNSKU",
        "ASIN",
        "MSKU",
        "Title",
        "Event Type",
        "Reference ID",
        "Quantity",
        "Fulfillment Center",
        "Disposition",
        "Reason",
        "Country",
        "Reconciled Quantity",
        "Unreconciled Quantity",
        "Date and Time",
    ];
    let country = marketplaces::by_id(marketplace_id)
        .map(|m| {
            if m.country_code == "UK" {
                "GB"
            } else {
                m.country_code
            }
        })
        .unwrap_or("US");
    let rows = s
        .ledger
        .iter()
        .filter(|e| e.marketplace_id == marketplace_id && e.date >= from && e.date < to)
        .map(|e| {
            let p = &s.products[e.product];
            vec![
                e.date.format("%m/%d/%Y").to_string(),
                p.fnsku.clone(),
                p.asin.clone(),
                p.sku.clone(),
                local_title(p, marketplace_id),
                e.event_type.to_string(),
                e.reference_id.clone(),
                e.quantity.to_string(),
                e.fulfillment_center.to_string(),
                e.disposition.to_string(),
                e.reason.to_string(),
                country.to_string(),
                "0".into(),
                "0".into(),
                e.date.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// The inventory ledger, summary view (`GET_LEDGER_SUMMARY_VIEW_DATA`), one row per FNSKU
/// and disposition over the window, every field in double quotes as Amazon sends it.
pub fn ledger_summary_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "Date",
        "FNSKU",
        "ASIN",
        "MSKU",
        "Title",
        "Disposition",
        "Starting Warehouse Balance",
        "In Transit Between Warehouses",
        "Receipts",
        "Customer Shipments",
        "Customer Returns",
        "Vendor Returns",
        "Warehouse Transfer In/Out",
        "Found",
        "Lost",
        "Damaged",
        "Disposed",
        "Other Events",
        "Ending Warehouse Balance",
        "Unknown Events",
        "Location",
    ];
    let country = marketplaces::by_id(marketplace_id)
        .map(|m| {
            if m.country_code == "UK" {
                "GB"
            } else {
                m.country_code
            }
        })
        .unwrap_or("US");
    let mut products: Vec<usize> = s
        .ledger
        .iter()
        .filter(|e| e.marketplace_id == marketplace_id && e.date < to)
        .map(|e| e.product)
        .collect();
    products.sort_unstable();
    products.dedup();
    let rows = products
        .into_iter()
        .map(|pi| {
            let p = &s.products[pi];
            let entries = s
                .ledger
                .iter()
                .filter(|e| e.marketplace_id == marketplace_id && e.product == pi);
            let mut start = 0i64;
            // receipts, shipments, returns, found, lost, damaged, disposed, other
            let mut k = [0i64; 8];
            for e in entries {
                if e.date < from {
                    start += e.quantity;
                } else if e.date < to {
                    let slot = match (e.event_type, e.reason) {
                        ("Receipts", _) => 0,
                        ("Shipments", _) => 1,
                        ("CustomerReturns", _) => 2,
                        ("Adjustments", "F") => 3,
                        ("Adjustments", "M") => 4,
                        ("Adjustments", "E") => 5,
                        ("Adjustments", "D") => 6,
                        _ => 7,
                    };
                    k[slot] += e.quantity;
                }
            }
            let end = start + k.iter().sum::<i64>();
            vec![
                (to - chrono::Duration::seconds(1))
                    .format("%m/%d/%Y")
                    .to_string(),
                p.fnsku.clone(),
                p.asin.clone(),
                p.sku.clone(),
                local_title(p, marketplace_id),
                "SELLABLE".into(),
                start.to_string(),
                "0".into(),
                k[0].to_string(),
                k[1].to_string(),
                k[2].to_string(),
                "0".into(),
                "0".into(),
                k[3].to_string(),
                k[4].to_string(),
                k[5].to_string(),
                k[6].to_string(),
                k[7].to_string(),
                end.to_string(),
                "0".into(),
                country.to_string(),
            ]
        })
        .collect();
    FlatFile {
        text: quoted_tsv(&header, rows),
        encoding,
    }
}

/// The summary view's column of a ledger event: receipts, shipments, returns, transfers,
/// found, lost, damaged, disposed, other.
fn summary_slot(event_type: &str, reason: &str) -> usize {
    match (event_type, reason) {
        ("Receipts", _) => 0,
        ("Shipments", _) => 1,
        ("CustomerReturns", _) => 2,
        ("WhseTransfers", _) => 3,
        ("Adjustments", "F") => 4,
        ("Adjustments", "M") => 5,
        ("Adjustments", "E") => 6,
        ("Adjustments", "D") => 7,
        _ => 8,
    }
}

/// The ledger summary view aggregated by day (`reportOptions`
/// `{"aggregatedByTimePeriod": "DAILY", "aggregateByLocation": "COUNTRY"}`): one row per FNSKU
/// and day on which it had an event in the window (days without one carry the last balance),
/// every field in double quotes. Days are UTC calendar days, as the detail view's `Date`.
pub fn ledger_summary_daily_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "Date",
        "FNSKU",
        "ASIN",
        "MSKU",
        "Title",
        "Disposition",
        "Starting Warehouse Balance",
        "In Transit Between Warehouses",
        "Receipts",
        "Customer Shipments",
        "Customer Returns",
        "Vendor Returns",
        "Warehouse Transfer In/Out",
        "Found",
        "Lost",
        "Damaged",
        "Disposed",
        "Other Events",
        "Ending Warehouse Balance",
        "Unknown Events",
        "Location",
    ];
    let country = marketplaces::by_id(marketplace_id)
        .map(|m| {
            if m.country_code == "UK" {
                "GB"
            } else {
                m.country_code
            }
        })
        .unwrap_or("US");
    // (product, day) -> slots; balances before each product's first day in the window.
    let mut days: std::collections::BTreeMap<(usize, chrono::NaiveDate), [i64; 9]> =
        Default::default();
    let mut before: std::collections::BTreeMap<usize, i64> = Default::default();
    for e in s
        .ledger
        .iter()
        .filter(|e| e.marketplace_id == marketplace_id && e.date < to)
    {
        if e.date < from {
            *before.entry(e.product).or_default() += e.quantity;
        } else {
            days.entry((e.product, e.date.date_naive())).or_default()
                [summary_slot(e.event_type, e.reason)] += e.quantity;
        }
    }
    let mut rows = vec![];
    for ((pi, day), k) in days {
        let p = &s.products[pi];
        let start = before.get(&pi).copied().unwrap_or(0);
        let end = start + k.iter().sum::<i64>();
        before.insert(pi, end);
        rows.push(vec![
            day.format("%m/%d/%Y").to_string(),
            p.fnsku.clone(),
            p.asin.clone(),
            p.sku.clone(),
            local_title(p, marketplace_id),
            "SELLABLE".into(),
            start.to_string(),
            "0".into(),
            k[0].to_string(),
            k[1].to_string(),
            k[2].to_string(),
            "0".into(),
            k[3].to_string(),
            k[4].to_string(),
            k[5].to_string(),
            k[6].to_string(),
            k[7].to_string(),
            k[8].to_string(),
            end.to_string(),
            "0".into(),
            country.to_string(),
        ]);
    }
    FlatFile {
        text: quoted_tsv(&header, rows),
        encoding,
    }
}

/// All listings of a marketplace.
pub fn listings_file(s: &Seller, marketplace_id: &str) -> FlatFile {
    let (encoding, comma) = file_locale(marketplace_id);
    let header = [
        "item-name",
        "item-description",
        "listing-id",
        "seller-sku",
        "price",
        "quantity",
        "open-date",
        "image-url",
        "item-is-marketplace",
        "product-id-type",
        "zshop-shipping-fee",
        "item-note",
        "item-condition",
        "zshop-category1",
        "zshop-browse-path",
        "zshop-storefront-feature",
        "asin1",
        "asin2",
        "asin3",
        "will-ship-internationally",
        "expedited-shipping",
        "zshop-boldface",
        "product-id",
        "bid-for-featured-placement",
        "add-delete",
        "pending-quantity",
        "fulfillment-channel",
        "merchant-shipping-group",
        "status",
    ];
    let rows = s
        .listings
        .iter()
        .filter(|l| l.marketplace_id == marketplace_id)
        .map(|l| {
            let p = &s.products[l.product];
            let qty = s
                .inventory
                .iter()
                .find(|i| i.product == l.product && i.marketplace_id == marketplace_id)
                .map(|i| i.fulfillable)
                .unwrap_or(25);
            let mut r = vec![String::new(); header.len()];
            r[0] = if marketplace_id == "A1VC38T7YXB528" {
                p.title_ja.clone()
            } else {
                p.title.clone()
            };
            r[2] = format!("{}{}", &p.asin[2..], l.product);
            r[3] = p.sku.clone();
            r[4] = amount_text(l.price, comma);
            r[5] = if l.fulfillment == Fulfillment::Afn {
                String::new()
            } else {
                qty.to_string()
            };
            r[6] = l.open_date.format("%Y-%m-%d %H:%M:%S PST").to_string();
            r[8] = "y".into();
            r[9] = "1".into();
            r[12] = "11".into();
            r[16] = p.asin.clone();
            r[22] = p.asin.clone();
            r[26] = if l.fulfillment == Fulfillment::Afn {
                "AMAZON_NA".into()
            } else {
                "DEFAULT".into()
            };
            r[28] = "Active".into();
            r
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// FBA fee preview per SKU.
pub fn fee_preview_file(s: &Seller, marketplace_id: &str) -> FlatFile {
    let (encoding, comma) = file_locale(marketplace_id);
    let cur = marketplaces::by_id(marketplace_id)
        .map(|m| m.currency)
        .unwrap_or("USD");
    let header = [
        "sku",
        "fnsku",
        "asin",
        "amazon-store",
        "product-name",
        "product-group",
        "brand",
        "fulfilled-by",
        "your-price",
        "sales-price",
        "longest-side",
        "median-side",
        "shortest-side",
        "length-and-girth",
        "unit-of-dimension",
        "item-package-weight",
        "unit-of-weight",
        "product-size-tier",
        "currency",
        "estimated-fee-total",
        "estimated-referral-fee-per-unit",
        "estimated-variable-closing-fee",
        "estimated-order-handling-fee-per-order",
        "estimated-pick-pack-fee-per-unit",
        "estimated-weight-handling-fee-per-unit",
        "expected-fulfillment-fee-per-unit",
    ];
    let rows = s
        .listings
        .iter()
        .filter(|l| l.marketplace_id == marketplace_id && l.fulfillment == Fulfillment::Afn)
        .map(|l| {
            let p = &s.products[l.product];
            let referral = crate::generator::round(l.price * p.referral_rate, cur);
            let fba = crate::generator::round(p.fba_fee_usd * crate::generator::usd_rate(cur), cur);
            vec![
                p.sku.clone(),
                p.fnsku.clone(),
                p.asin.clone(),
                marketplace_name(marketplace_id).to_string(),
                p.title.clone(),
                "Home".into(),
                p.brand.clone(),
                "AMAZON_NA".into(),
                amount_text(l.price, comma),
                amount_text(l.price, comma),
                "12.00".into(),
                "8.00".into(),
                "2.00".into(),
                "32.00".into(),
                "inches".into(),
                "1.10".into(),
                "pounds".into(),
                p.size_tier.to_string(),
                cur.to_string(),
                amount_text(referral + fba, comma),
                amount_text(referral, comma),
                "--".into(),
                "--".into(),
                "--".into(),
                "--".into(),
                amount_text(fba, comma),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}

/// Buyer feedback received in a window (`GET_SELLER_FEEDBACK_DATA`).
pub fn feedback_file(
    s: &Seller,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> FlatFile {
    let (encoding, _) = file_locale(marketplace_id);
    let header = [
        "Date",
        "Rating",
        "Comments",
        "Response",
        "Order ID",
        "Rater Email",
    ];
    let rows = s
        .feedback
        .iter()
        .filter(|f| f.marketplace_id == marketplace_id && f.date >= from && f.date < to)
        .map(|f| {
            vec![
                f.date.format("%m/%d/%y").to_string(),
                f.rating.to_string(),
                f.comment.to_string(),
                if f.responded {
                    "Sorry to hear that; we contacted you.".into()
                } else {
                    String::new()
                },
                f.order_id.clone(),
                format!("{}@marketplace.amazon.com", f.order_id.replace('-', "")),
            ]
        })
        .collect();
    FlatFile {
        text: tsv(&header, rows),
        encoding,
    }
}
