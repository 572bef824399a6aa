//! Orders: marketplace participations, Orders v0 and 2026-01-01, with shared filtering and page tokens.

use super::*;

pub(super) async fn participations(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let seller = &*st.seller_now();
    let op = "getMarketplaceParticipations";
    let f = guarded!(st, headers, op);
    st.respond(op, StatusCode::OK, render::participations(seller), f)
}

/// `(offset, filters)` of a page token.
pub(crate) fn page_token(token: Option<&String>) -> Result<Option<(usize, Value)>, Response> {
    match token {
        None => Ok(None),
        Some(t) => unb64(t)
            .and_then(|v| Some((v.get("o")?.as_u64()? as usize, v.get("q")?.clone())))
            .map(Some)
            .ok_or_else(|| invalid("Invalid NextToken")),
    }
}

pub(crate) fn page<T: Clone>(
    all: &[T],
    offset: usize,
    size: usize,
    q: &Value,
) -> (Vec<T>, Option<String>) {
    let end = (offset + size).min(all.len());
    let next = (end < all.len()).then(|| b64(&json!({"o": end, "q": q})));
    (all.get(offset..end).unwrap_or_default().to_vec(), next)
}

pub(crate) fn map_of(q: &Value) -> HashMap<String, String> {
    q.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Order indexes, the effective `*Before`, and whether the window is by last update.
pub(super) type Selected = (Vec<usize>, Option<DateTime<Utc>>, bool);

/// Shared order filtering of both Orders APIs.
pub(super) fn select_orders(
    st: &StandIn,
    q: &HashMap<String, String>,
    v0: bool,
) -> Result<Selected, Response> {
    let seller = &*st.seller_now();
    let k = |a: &str, b: &str| if v0 { a.to_string() } else { b.to_string() };
    let now = st.now();
    let created_after = q
        .get(&k("CreatedAfter", "createdAfter"))
        .map(|s| parse_time(s).ok_or(()))
        .transpose()
        .map_err(|_| invalid("CreatedAfter is not ISO 8601"))?;
    let updated_after = q
        .get(&k("LastUpdatedAfter", "lastUpdatedAfter"))
        .map(|s| parse_time(s).ok_or(()))
        .transpose()
        .map_err(|_| invalid("LastUpdatedAfter is not ISO 8601"))?;
    let by_update = match (created_after, updated_after) {
        (Some(_), None) => false,
        (None, Some(_)) => true,
        _ => {
            return Err(invalid(
                "Exactly one of CreatedAfter and LastUpdatedAfter must be specified",
            ))
        }
    };
    let after = created_after.or(updated_after).expect("one is set");
    let before_key = if by_update {
        k("LastUpdatedBefore", "lastUpdatedBefore")
    } else {
        k("CreatedBefore", "createdBefore")
    };
    let latest = now - Duration::minutes(2);
    let before = match q.get(&before_key) {
        Some(s) => {
            let b = parse_time(s).ok_or_else(|| invalid("Before date is not ISO 8601"))?;
            if b > latest || b < after {
                return Err(invalid(
                    "Before must be after After and at least 2 minutes before now",
                ));
            }
            b
        }
        None => latest,
    };
    let markets = csv(q.get(&k("MarketplaceIds", "marketplaceIds")));
    if v0 && markets.is_empty() {
        return Err(invalid("MarketplaceIds is required"));
    }
    let statuses = csv(q.get(&k("OrderStatuses", "fulfillmentStatuses")));
    let channels = csv(q.get(&k("FulfillmentChannels", "fulfilledBy")));
    let mut ids: Vec<usize> = seller
        .orders
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            let at = if by_update {
                o.last_update
            } else {
                o.purchase_date
            };
            at >= after
                && at < before
                && at <= now
                && (markets.is_empty() || markets.iter().any(|m| m == o.marketplace_id))
                && (statuses.is_empty()
                    || statuses.iter().any(|s| {
                        if v0 {
                            s == o.status.v0()
                        } else {
                            s == status_2026(o.status)
                        }
                    }))
                && (channels.is_empty()
                    || channels.iter().any(|c| {
                        c == if v0 {
                            o.fulfillment.code()
                        } else if o.fulfillment == Fulfillment::Afn {
                            "AMAZON"
                        } else {
                            "MERCHANT"
                        }
                    }))
        })
        .map(|(i, _)| i)
        .collect();
    if by_update {
        ids.sort_by_key(|&i| (seller.orders[i].last_update, i));
    }
    Ok((ids, Some(before), by_update))
}

pub(super) fn status_2026(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Pending => "PENDING",
        OrderStatus::Unshipped => "UNSHIPPED",
        OrderStatus::Shipped => "SHIPPED",
        OrderStatus::Canceled => "CANCELLED",
    }
}

pub(crate) fn page_size(
    q: &HashMap<String, String>,
    key: &str,
    default: usize,
    max: usize,
) -> Result<usize, Response> {
    match q.get(key) {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| invalid(&format!("{key} must be between 1 and {max}"))),
    }
}

pub(super) async fn get_orders(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "getOrders";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("NextToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let (ids, before, by_update) = match select_orders(&st, &q, true) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let size = match page_size(&q, "MaxResultsPerPage", 100, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let orders: Vec<Value> = chunk
        .iter()
        .map(|&i| as_get_orders_sends(render::order_v0(seller, &seller.orders[i])))
        .collect();
    let mut payload = json!({"Orders": orders});
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    payload[if by_update {
        "LastUpdatedBefore"
    } else {
        "CreatedBefore"
    }] = json!(before.map(ts));
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

/// What real getOrders pages do against Amazon's own model: `IsReplacementOrder` comes as the
/// string `"true"`/`"false"`, not a boolean (seen on every page from live seller accounts).
pub(super) fn as_get_orders_sends(mut order: Value) -> Value {
    if let Some(flag) = order["IsReplacementOrder"].as_bool() {
        order["IsReplacementOrder"] = json!(flag.to_string());
    }
    order
}

pub(crate) fn find_order(st: &StandIn, id: &str) -> Option<usize> {
    let seller = &*st.seller_now();
    seller
        .orders
        .iter()
        .position(|o| o.id == id && o.purchase_date <= st.now())
}

pub(super) async fn get_order_v0(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "getOrder";
    let f = guarded!(st, headers, op);
    match find_order(&st, &id) {
        Some(i) => st.respond(
            op,
            StatusCode::OK,
            json!({"payload": render::order_v0(seller, &seller.orders[i])}),
            f,
        ),
        None => not_found("Order not found"),
    }
}

pub(super) async fn get_order_items(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "getOrderItems";
    let f = guarded!(st, headers, op);
    match find_order(&st, &id) {
        Some(i) => st.respond(
            op,
            StatusCode::OK,
            render::order_items_v0(seller, &seller.orders[i]),
            f,
        ),
        None => not_found("Order not found"),
    }
}

pub(super) async fn search_orders(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "searchOrders";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("paginationToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let (ids, before, by_update) = match select_orders(&st, &q, false) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let size = match page_size(&q, "maxResultsPerPage", 100, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let included = csv(q.get("includedData"));
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let orders: Vec<Value> = chunk
        .iter()
        .map(|&i| render::order_2026(seller, &seller.orders[i], &included))
        .collect();
    let mut body = json!({"orders": orders});
    if let Some(n) = next {
        body["pagination"] = json!({"nextToken": n});
    }
    body[if by_update {
        "lastUpdatedBefore"
    } else {
        "createdBefore"
    }] = json!(before.map(ts));
    st.respond(op, StatusCode::OK, body, f)
}

pub(super) async fn get_order_2026(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "getOrder2026";
    let f = guarded!(st, headers, op);
    match find_order(&st, &id) {
        Some(i) => st.respond(op, StatusCode::OK, json!({"order": render::order_2026(seller, &seller.orders[i], &csv(q.get("includedData")))}), f),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Order not found"),
    }
}
