//! Reports: create, status, list, cancel, documents and their five-minute download URLs.

use super::*;

/// Report types the stand-in can produce on request.
pub(super) const REQUESTABLE: &[&str] = &[
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
    "GET_FBA_MYI_ALL_INVENTORY_DATA",
    "GET_FBA_REIMBURSEMENTS_DATA",
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
    "GET_LEDGER_DETAIL_VIEW_DATA",
    "GET_LEDGER_SUMMARY_VIEW_DATA",
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
    "GET_MERCHANT_LISTINGS_ALL_DATA",
    "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA",
    "GET_SELLER_FEEDBACK_DATA",
    "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
];
pub(super) const SETTLEMENT: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2";
/// The older settlement layout, still delivered next to V2 (one of each per settlement).
pub(super) const SETTLEMENT_LEGACY: &str = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateReport {
    report_type: Option<String>,
    marketplace_ids: Option<Vec<String>>,
    data_start_time: Option<String>,
    data_end_time: Option<String>,
    report_options: Option<std::collections::BTreeMap<String, String>>,
}

pub(super) async fn create_report(
    State(st): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let op = "createReport";
    let f = guarded!(st, headers, op);
    let Ok(spec) = serde_json::from_slice::<CreateReport>(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            "Request body is not a CreateReportSpecification",
        );
    };
    let Some(rt) = spec.report_type else {
        return invalid("reportType is required");
    };
    if rt == SETTLEMENT || rt == SETTLEMENT_LEGACY {
        return invalid("Settlement reports cannot be requested; Amazon creates them");
    }
    if !REQUESTABLE.contains(&rt.as_str()) {
        return invalid(&format!(
            "Report type {rt} is not supported by the stand-in"
        ));
    }
    let markets = spec.marketplace_ids.unwrap_or_default();
    if markets.is_empty()
        || markets.len() > 25
        || markets
            .iter()
            .any(|m| !st.seller.marketplaces.iter().any(|x| x.id == m))
    {
        return invalid("marketplaceIds must name 1 to 25 marketplaces the seller participates in");
    }
    let start = spec.data_start_time.as_deref().and_then(parse_time);
    let end = spec.data_end_time.as_deref().and_then(parse_time);
    let now = st.now();
    let outcome = st.report_outcome_fault().unwrap_or("DONE");
    let id = format!("{}", 50_000_000_000u64 + st.next_id());
    st.inner.lock().expect("state").reports.push(Report {
        id: id.clone(),
        report_type: rt,
        marketplace_ids: markets,
        start,
        end,
        created: now,
        outcome,
        document: None,
        cancelled: false,
        options: spec.report_options.unwrap_or_default(),
    });
    st.respond(op, StatusCode::ACCEPTED, json!({"reportId": id}), f)
}

/// Processing takes 30 simulated seconds in queue and 60 in progress.
pub(super) fn report_status(r: &Report, now: DateTime<Utc>) -> &'static str {
    if r.cancelled {
        "CANCELLED"
    } else if now < r.created + Duration::seconds(30) {
        "IN_QUEUE"
    } else if now < r.created + Duration::seconds(90) {
        "IN_PROGRESS"
    } else {
        r.outcome
    }
}

pub(super) fn settlement_reports(st: &StandIn) -> Vec<Report> {
    let now = st.now();
    st.seller_now()
        .settlements
        .iter()
        .filter(|s| {
            s.closed
                && s.deposit_date
                    .is_some_and(|d| d <= now && d > now - Duration::days(90))
        })
        .flat_map(|s| {
            let report = |prefix: &str, report_type: &str, doc: &str| Report {
                id: format!("{prefix}{}", s.id),
                report_type: report_type.into(),
                marketplace_ids: vec![s.marketplace_id.to_string()],
                start: Some(s.start),
                end: Some(s.end),
                created: s.deposit_date.expect("closed"),
                outcome: "DONE",
                document: Some(format!("amzn1.spdoc.{doc}.{}", s.id)),
                cancelled: false,
                options: Default::default(),
            };
            [
                report("S", SETTLEMENT, "settlement"),
                report("L", SETTLEMENT_LEGACY, "settlement-legacy"),
            ]
        })
        .collect()
}

pub(super) fn report_json(r: &Report, now: DateTime<Utc>) -> Value {
    let status = report_status(r, now);
    let mut v = json!({"reportId": r.id, "reportType": r.report_type, "marketplaceIds": r.marketplace_ids, "createdTime": ts(r.created), "processingStatus": status});
    if let Some(s) = r.start {
        v["dataStartTime"] = json!(ts(s));
    }
    if let Some(e) = r.end {
        v["dataEndTime"] = json!(ts(e));
    }
    if status != "IN_QUEUE" {
        v["processingStartTime"] = json!(ts(r.created + Duration::seconds(30)));
    }
    if matches!(status, "DONE" | "FATAL" | "CANCELLED") && !r.cancelled {
        v["processingEndTime"] = json!(ts(r.created + Duration::seconds(90)));
    }
    if status == "DONE"
        || (status == "FATAL" && r.report_type != SETTLEMENT && r.report_type != SETTLEMENT_LEGACY)
    {
        v["reportDocumentId"] = json!(r
            .document
            .clone()
            .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id)));
    }
    v
}

pub(super) fn all_reports(st: &StandIn) -> Vec<Report> {
    let mut all = settlement_reports(st);
    all.extend(st.inner.lock().expect("state").reports.iter().cloned());
    all
}

pub(super) async fn get_report(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getReport";
    let f = guarded!(st, headers, op);
    let now = st.now();
    match all_reports(&st).iter().find(|r| r.id == id) {
        Some(r) => st.respond(op, StatusCode::OK, report_json(r, now), f),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Report not found"),
    }
}

pub(super) async fn cancel_report(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "cancelReport";
    let f = guarded!(st, headers, op);
    let now = st.now();
    let mut i = st.inner.lock().expect("state");
    match i.reports.iter_mut().find(|r| r.id == id) {
        Some(r) if report_status(r, now) == "IN_QUEUE" => {
            r.cancelled = true;
            drop(i);
            let mut res = st.respond(op, StatusCode::OK, json!({}), f);
            *res.body_mut() = Body::empty();
            res
        }
        Some(_) => invalid("Only reports still IN_QUEUE can be cancelled"),
        None => err(StatusCode::NOT_FOUND, "NotFound", "Report not found"),
    }
}

pub(super) async fn get_reports(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let op = "getReports";
    let f = guarded!(st, headers, op);
    if q.contains_key("nextToken") && q.len() > 1 {
        return invalid("nextToken must be the only parameter");
    }
    let (offset, q) = match restore(q, "nextToken") {
        Ok(x) => x,
        Err(r) => return r,
    };
    let types = csv(q.get("reportTypes"));
    if types.is_empty() || types.len() > 10 {
        return invalid("reportTypes must name 1 to 10 report types");
    }
    let now = st.now();
    let statuses = csv(q.get("processingStatuses"));
    let markets = csv(q.get("marketplaceIds"));
    let since = q
        .get("createdSince")
        .and_then(|s| parse_time(s))
        .unwrap_or(now - Duration::days(90));
    let until = q
        .get("createdUntil")
        .and_then(|s| parse_time(s))
        .unwrap_or(now);
    let size = match page_size(&q, "pageSize", 10, 100) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut list: Vec<Report> = all_reports(&st)
        .into_iter()
        .filter(|r| {
            types.contains(&r.report_type)
                && (statuses.is_empty() || statuses.iter().any(|s| s == report_status(r, now)))
                && (markets.is_empty() || r.marketplace_ids.iter().any(|m| markets.contains(m)))
                && r.created >= since
                && r.created <= until
        })
        .collect();
    list.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let (chunk, next) = page(&list, offset, size, &json!(q));
    let mut body =
        json!({"reports": chunk.iter().map(|r| report_json(r, now)).collect::<Vec<_>>()});
    if let Some(n) = next {
        body["nextToken"] = json!(n);
    }
    st.respond(op, StatusCode::OK, body, f)
}

/// Renders and stores a report's document (gzip) on first request.
pub(super) fn document_for(st: &StandIn, r: &Report) -> Option<String> {
    let doc = r
        .document
        .clone()
        .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id));
    if st.inner.lock().expect("state").documents.contains_key(&doc) {
        return Some(doc);
    }
    let s = &st.seller_now();
    let mid = r.marketplace_ids.first()?.as_str();
    let from = r.start.unwrap_or(st.now() - Duration::days(30));
    let to = r.end.unwrap_or(st.now());
    let file = match r.report_type.as_str() {
        SETTLEMENT => render::settlement_file(
            s,
            s.settlements
                .iter()
                .find(|x| format!("S{}", x.id) == r.id)?,
        ),
        SETTLEMENT_LEGACY => render::settlement_file_legacy(
            s,
            s.settlements
                .iter()
                .find(|x| format!("L{}", x.id) == r.id)?,
        ),
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL" => {
            render::all_orders_file(s, mid, from, to, false)
        }
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL" => {
            render::all_orders_file(s, mid, from, to, true)
        }
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA" | "GET_FBA_MYI_ALL_INVENTORY_DATA" => {
            render::inventory_file(s, mid)
        }
        "GET_LEDGER_SUMMARY_VIEW_DATA"
            if r.options.get("aggregatedByTimePeriod").map(String::as_str) == Some("DAILY") =>
        {
            render::ledger_summary_daily_file(s, mid, from, to)
        }
        "GET_LEDGER_SUMMARY_VIEW_DATA" => render::ledger_summary_file(s, mid, from, to),
        "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL" => {
            render::fulfilled_shipments_file(s, mid, from, to)
        }
        "GET_FBA_REIMBURSEMENTS_DATA" => render::reimbursements_file(s, mid, from, to),
        "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA" => render::returns_file(s, mid, from, to),
        "GET_LEDGER_DETAIL_VIEW_DATA" => render::ledger_file(s, mid, from, to),
        "GET_MERCHANT_LISTINGS_ALL_DATA" => render::listings_file(s, mid),
        "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA" => render::fee_preview_file(s, mid),
        "GET_SELLER_FEEDBACK_DATA" => render::feedback_file(s, mid, from, to),
        "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE" => {
            crate::mfn_returns::mfn_returns_file(s, mid, from, to)
        }
        _ => return None,
    };
    let bytes = if r.outcome == "FATAL" {
        json!({"errorDetails": "The report could not be generated."})
            .to_string()
            .into_bytes()
    } else {
        file.bytes()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).ok()?;
    let compressed = gz.finish().ok()?;
    // UTF-8 files often come with no charset at all (EU all-orders): that must not be read
    // as Windows-1252.
    let content_type = if file.encoding == encoding_rs::UTF_8 && r.report_type.contains("ORDER") {
        "text/tab-separated-values".to_string()
    } else {
        format!("text/tab-separated-values;charset={}", file.encoding.name())
    };
    st.inner
        .lock()
        .expect("state")
        .documents
        .insert(doc.clone(), (compressed, content_type));
    Some(doc)
}

pub(super) async fn get_report_document(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let op = "getReportDocument";
    let f = guarded!(st, headers, op);
    let now = st.now();
    let found = all_reports(&st).into_iter().find(|r| {
        r.document
            .clone()
            .unwrap_or_else(|| format!("amzn1.spdoc.{}", r.id))
            == id
            && matches!(report_status(r, now), "DONE" | "FATAL")
    });
    let Some(r) = found else {
        return err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Report document not found",
        );
    };
    let Some(doc) = document_for(&st, &r) else {
        return err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Report document not found",
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let expires = (now + Duration::minutes(5)).timestamp();
    let url = format!("http://{host}/_documents/{doc}?expires={expires}");
    st.respond(
        op,
        StatusCode::OK,
        json!({"reportDocumentId": doc, "url": url, "compressionAlgorithm": "GZIP"}),
        f,
    )
}

#[derive(Deserialize)]
pub(super) struct DownloadQuery {
    expires: Option<i64>,
}

/// The "presigned S3 URL": gzip bytes with the file's charset, for five minutes.
pub(super) async fn download(
    State(st): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    if q.expires.is_none_or(|e| e < st.now().timestamp()) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml")],
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        )
            .into_response();
    }
    let doc = st.inner.lock().expect("state").documents.get(&id).cloned();
    // `Truncate` on `downloadReportDocument`: the body stops half-way (a dropped S3 stream).
    let cut = matches!(
        st.fault_for("downloadReportDocument"),
        Some(FaultKind::Truncate)
    );
    match doc {
        Some((mut bytes, content_type)) => {
            if cut {
                bytes.truncate(bytes.len() / 2);
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type)],
                bytes,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
    }
}
