//! Finances: transactions (2024-06-19) and the v0 financial events and event groups.

use super::*;

/// Transactions posted in `[after, before)` (by posting date), in posting order.
pub(super) fn posted_between(
    st: &StandIn,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
) -> Vec<usize> {
    let seller = &*st.seller_now();
    let txs = &seller.transactions;
    let start = txs.partition_point(|t| t.posted < after);
    let end = txs.partition_point(|t| t.posted < before);
    (start..end).collect()
}

pub(super) async fn list_transactions(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "listTransactions";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("nextToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let now = st.now();
    let latest = now - Duration::minutes(2);
    let related = q.get("relatedIdentifierName").map(String::as_str);
    let ids: Vec<usize> = match related {
        Some(name) => {
            let Some(value) = q.get("relatedIdentifierValue") else {
                return invalid("relatedIdentifierValue is required with relatedIdentifierName");
            };
            let txs = &seller.transactions;
            match name {
                "ORDER_ID" => (0..txs.len())
                    .filter(|&i| {
                        txs[i].order_id.as_deref() == Some(value.as_str())
                            && txs[i].posted <= latest
                    })
                    .collect(),
                "FINANCIAL_EVENT_GROUP_ID" => {
                    match seller.settlements.iter().find(|s| &s.group_id == value) {
                        Some(s) => s.transactions.clone(),
                        None => vec![],
                    }
                }
                _ => {
                    return invalid(
                        "relatedIdentifierName must be ORDER_ID or FINANCIAL_EVENT_GROUP_ID",
                    )
                }
            }
        }
        None => {
            let Some(after) = q.get("postedAfter").and_then(|s| parse_time(s)) else {
                return invalid("postedAfter is required (ISO 8601)");
            };
            let before = match q.get("postedBefore") {
                Some(s) => match parse_time(s) {
                    Some(b) if b <= latest && b > after => b,
                    _ => return invalid(
                        "postedBefore must be after postedAfter and at least 2 minutes before now",
                    ),
                },
                None => latest,
            };
            if before - after > Duration::days(180) {
                vec![]
            } else {
                posted_between(&st, after, before)
            }
        }
    };
    let market = q.get("marketplaceId");
    let status = q.get("transactionStatus");
    let ids: Vec<usize> = ids
        .into_iter()
        .filter(|&i| {
            let t = &seller.transactions[i];
            let deferred = t.release > now;
            market.is_none_or(|m| m == t.marketplace_id)
                && status.is_none_or(|s| match s.as_str() {
                    "DEFERRED" => deferred,
                    "RELEASED" => !deferred,
                    _ => true,
                })
        })
        .collect();
    let (chunk, next) = page(&ids, offset, 100, &json!(q));
    let transactions: Vec<Value> = chunk
        .iter()
        .map(|&i| render::transaction_2024(seller, &seller.transactions[i], now))
        .collect();
    let mut payload = json!({"transactions": transactions});
    if let Some(n) = next {
        payload["nextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

pub(super) async fn event_groups(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "listFinancialEventGroups";
    let f = guarded!(st, headers, op);
    let (offset, q) = match page_token(q.get("NextToken")) {
        Err(r) => return r,
        Ok(Some((o, saved))) => (o, map_of(&saved)),
        Ok(None) => (0, q),
    };
    let now = st.now();
    let after = q
        .get("FinancialEventGroupStartedAfter")
        .and_then(|s| parse_time(s));
    let before = q
        .get("FinancialEventGroupStartedBefore")
        .and_then(|s| parse_time(s))
        .unwrap_or(now - Duration::minutes(2));
    let size = match page_size(&q, "MaxResultsPerPage", 10, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut ids: Vec<usize> = (0..seller.settlements.len())
        .filter(|&i| {
            let s = &seller.settlements[i];
            after.is_none_or(|a| s.start >= a) && s.start < before && s.start <= now
        })
        .collect();
    ids.sort_by_key(|&i| (seller.settlements[i].start, i));
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let mut payload = json!({"FinancialEventGroupList": chunk.iter().map(|&i| render::event_group_v0(&seller.settlements[i])).collect::<Vec<_>>()});
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

pub(super) fn events_page(
    st: &StandIn,
    op: &str,
    f: Option<FaultKind>,
    ids: Vec<usize>,
    q: &HashMap<String, String>,
    offset: usize,
) -> Response {
    let seller = &*st.seller_now();
    let size = match page_size(q, "MaxResultsPerPage", 100, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (chunk, next) = page(&ids, offset, size, &json!(q));
    let mut events = serde_json::Map::new();
    for &i in &chunk {
        render::add_event_v0(seller, &seller.transactions[i], &mut events);
    }
    let mut payload = json!({"FinancialEvents": events});
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, json!({"payload": payload}), f)
}

pub(crate) fn restore(
    q: HashMap<String, String>,
    key: &str,
) -> Result<(usize, HashMap<String, String>), Response> {
    match page_token(q.get(key))? {
        Some((o, saved)) => Ok((o, map_of(&saved))),
        None => Ok((0, q)),
    }
}

pub(super) async fn events(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "listFinancialEvents";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "NextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = st.now();
    let Some(after) = q.get("PostedAfter").and_then(|s| parse_time(s)) else {
        return invalid("PostedAfter is required (ISO 8601)");
    };
    let before = q
        .get("PostedBefore")
        .and_then(|s| parse_time(s))
        .unwrap_or(now - Duration::minutes(2));
    if before - after > Duration::days(180) {
        return events_page(&st, op, f, vec![], &q, 0);
    }
    // v0 shows money only once it is released.
    let ids = posted_between(&st, after, before)
        .into_iter()
        .filter(|&i| seller.transactions[i].release <= now)
        .collect();
    events_page(&st, op, f, ids, &q, offset)
}

pub(super) async fn events_by_group(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "listFinancialEventsByGroupId";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "NextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    match seller.settlements.iter().find(|s| s.group_id == id) {
        Some(s) => events_page(&st, op, f, s.transactions.clone(), &q, offset),
        None => invalid("Invalid event group id"),
    }
}

pub(super) async fn events_by_order(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let seller = &*st.seller_now();
    let op = "listFinancialEventsByOrderId";
    let f = guarded!(st, headers, op);
    let (offset, q) = match restore(q, "NextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = st.now();
    let ids = (0..seller.transactions.len())
        .filter(|&i| {
            seller.transactions[i].order_id.as_deref() == Some(id.as_str())
                && seller.transactions[i].release <= now
        })
        .collect();
    events_page(&st, op, f, ids, &q, offset)
}
