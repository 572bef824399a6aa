//! FBA inventory summaries, restricted data tokens and solicitations.

use super::*;

pub(super) async fn inventory_summaries(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getInventorySummaries";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "nextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    if q.get("granularityType").map(String::as_str) != Some("Marketplace") {
        return invalid("granularityType must be Marketplace");
    }
    let Some(mid) = q.get("granularityId").cloned() else {
        return invalid("granularityId is required");
    };
    if csv(q.get("marketplaceIds")) != vec![mid.clone()] {
        return invalid("marketplaceIds must be exactly the granularityId marketplace");
    }
    let details = q.get("details").map(String::as_str) == Some("true");
    let skus = csv(q.get("sellerSkus"));
    let s = &st.seller_now();
    let rows: Vec<usize> = (0..s.inventory.len())
        .filter(|&i| {
            s.inventory[i].marketplace_id == mid
                && (skus.is_empty() || skus.contains(&s.products[s.inventory[i].product].sku))
        })
        .collect();
    let (chunk, next) = page(&rows, offset, 50, &json!(q));
    let now = st.now();
    let summaries: Vec<Value> = chunk
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let inv = &s.inventory[i];
            let p = &s.products[inv.product];
            let total = inv.fulfillable + inv.unfulfillable + inv.reserved + inv.researching + inv.inbound_working + inv.inbound_shipped + inv.inbound_receiving;
            // Real pages send `"lastUpdatedTime": ""` for summaries Amazon has no update time
            // for; here, every other summary of a page (so each page has both kinds).
            let updated = if n % 2 == 0 { ts(now) } else { String::new() };
            let mut v = json!({"asin": p.asin, "fnSku": p.fnsku, "sellerSku": p.sku, "condition": "NewItem", "lastUpdatedTime": updated, "productName": p.title, "totalQuantity": total});
            if details {
                v["inventoryDetails"] = json!({
                    "fulfillableQuantity": inv.fulfillable, "inboundWorkingQuantity": inv.inbound_working, "inboundShippedQuantity": inv.inbound_shipped,
                    "inboundReceivingQuantity": inv.inbound_receiving,
                    "reservedQuantity": {"totalReservedQuantity": inv.reserved, "pendingCustomerOrderQuantity": inv.reserved, "pendingTransshipmentQuantity": 0, "fcProcessingQuantity": 0},
                    "researchingQuantity": {"totalResearchingQuantity": inv.researching, "researchingQuantityBreakdown": [{"name": "researchingQuantityInShortTerm", "quantity": inv.researching}]},
                    "unfulfillableQuantity": {"totalUnfulfillableQuantity": inv.unfulfillable, "customerDamagedQuantity": inv.unfulfillable, "warehouseDamagedQuantity": 0, "distributorDamagedQuantity": 0, "carrierDamagedQuantity": 0, "defectiveQuantity": 0, "expiredQuantity": 0},
                });
            }
            v
        })
        .collect();
    let mut body = json!({"payload": {"granularity": {"granularityType": "Marketplace", "granularityId": mid}, "inventorySummaries": summaries}});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    st.respond(op, StatusCode::OK, body, f)
}

pub(super) async fn restricted_data_token(
    State(st): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let op = "createRestrictedDataToken";
    let f = guarded!(st, headers, op);
    let req: Value = serde_json::from_slice(&body).unwrap_or_default();
    let ok = req["restrictedResources"].as_array().is_some_and(|rs| {
        !rs.is_empty()
            && rs.len() <= 50
            && rs.iter().all(|r| {
                ["GET", "PUT", "POST", "DELETE"].contains(&r["method"].as_str().unwrap_or_default())
                    && r["path"].as_str().is_some_and(|p| p.starts_with('/'))
            })
    });
    if !ok {
        return err(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Request is missing or has invalid parameters",
        );
    }
    let t = st.mint_token("Atz.sprdt|stand-in-", false, Duration::seconds(3600));
    st.respond(
        op,
        StatusCode::OK,
        json!({"restrictedDataToken": t, "expiresIn": 3600}),
        f,
    )
}

/// Whether a review may be requested now: shipped, inside the window of 5 days after the
/// earliest to 30 days after the latest delivery date, and not requested before.
pub(super) fn solicitable(st: &StandIn, order_id: &str) -> Result<bool, Response> {
    let i = find_order(st, order_id).ok_or_else(|| not_found("Order not found"))?;
    let o = &st.seller_now().orders[i];
    let now = st.now();
    let sent = st
        .inner
        .lock()
        .expect("state")
        .solicited
        .contains_key(order_id);
    Ok(o.status == OrderStatus::Shipped
        && !sent
        && now >= o.earliest_delivery + Duration::days(5)
        && now <= o.latest_delivery + Duration::days(30))
}

pub(super) async fn solicitation_actions(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let op = "getSolicitationActionsForOrder";
    let f = guarded!(st, headers, op);
    let q = raw.unwrap_or_default();
    if !q.contains("marketplaceIds=") {
        return invalid("marketplaceIds is required");
    }
    let available = match solicitable(&st, &id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let actions: Vec<Value> = if available {
        vec![
            json!({"href": format!("/solicitations/v1/orders/{id}/solicitations/productReviewAndSellerFeedback?{q}"), "name": "productReviewAndSellerFeedback"}),
        ]
    } else {
        vec![]
    };
    st.respond(op, StatusCode::OK, json!({"_links": {"actions": actions, "self": {"href": format!("/solicitations/v1/orders/{id}?{q}")}}}), f)
}

pub(super) async fn solicit(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let op = "createProductReviewAndSellerFeedbackSolicitation";
    let f = guarded!(st, headers, op);
    if !raw.unwrap_or_default().contains("marketplaceIds=") {
        return invalid("marketplaceIds is required");
    }
    match solicitable(&st, &id) {
        Ok(true) => {
            st.inner.lock().expect("state").solicited.insert(id, st.now());
            st.respond(op, StatusCode::CREATED, json!({}), f)
        }
        Ok(false) => err(StatusCode::FORBIDDEN, "Unauthorized", "The solicitation is not available for this order (outside the allowed window or already sent)"),
        Err(r) => r,
    }
}
