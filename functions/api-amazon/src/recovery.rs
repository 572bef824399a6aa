//! Error recovery: the sync steps that failed for good or ran out of attempts (recorded by the
//! job runtime with their cause), their statistics, and retrying them. A retry makes the
//! failed dataset due again, so its next run resumes from the last checkpoint.

use crate::context;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::jobs::{self, JobFailure};
use shared::keys::Tenant;
use shared::sync::{self, Dataset, Status};

/// The only queue the UI names (`queueName` is the enum key of the original's queues).
const QUEUE_NAMES: &[&str] = &["DATA_SYNC", "data-sync"];
/// Most failures one bulk retry takes.
const MAX_BULK: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    queue_name: Option<String>,
    limit: Option<usize>,
}

fn check_queue(name: Option<&str>) -> Result<()> {
    match name {
        None => Ok(()),
        Some(n) if QUEUE_NAMES.contains(&n) => Ok(()),
        Some(_) => Err(Error::validation("queueName", "must be DATA_SYNC")),
    }
}

/// A rough class of the cause, for the UI's error-type column.
fn error_type(f: &JobFailure) -> &'static str {
    let e = f.error.to_ascii_lowercase();
    if e.contains("authoriz") || e.contains("invalid_grant") || e.contains("forbidden") {
        "AUTHENTICATION"
    } else if e.contains("throttl") || e.contains("rate") || e.contains("429") {
        "RATE_LIMIT"
    } else if e.contains("transport") || e.contains("timed out") || e.contains("connection") {
        "NETWORK"
    } else if f.permanent {
        "PERMANENT"
    } else {
        "SERVER"
    }
}

fn failure_json(f: &JobFailure) -> Value {
    json!({
        "id": f.id,
        "errorType": error_type(f),
        "attemptsMade": f.attempts,
        "failedAt": shared::ports::store::rfc3339(f.failed_at),
        "failedReason": f.error,
        "permanent": f.permanent,
        "syncType": f.message.dataset,
        "amazonAccountId": f.message.connection,
    })
}

async fn listed(
    state: &AppState,
    auth: &AuthUser,
    q: &ListQuery,
    permanent: bool,
) -> Result<Response> {
    check_queue(q.queue_name.as_deref())?;
    let ctx = context(state, auth).await?;
    ctx.require("accounts.read")?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let mut all = jobs::failures(state.store.as_ref(), ctx.tenant()).await?;
    all.reverse(); // newest first
    let data: Vec<Value> = all
        .iter()
        .filter(|f| f.permanent == permanent)
        .take(limit)
        .map(failure_json)
        .collect();
    Ok(Json(json!({"success": true, "data": data})).into_response())
}

/// `GET /api/amazon/error-recovery/retryable`: steps that ran out of attempts.
pub async fn retryable(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    listed(&state, &auth, &q, false).await
}

/// `GET /api/amazon/error-recovery/permanent`: steps that cannot succeed as they are.
pub async fn permanent(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    listed(&state, &auth, &q, true).await
}

/// Retries one failure: its dataset becomes due now and the record goes. `Ok(false)` when the
/// failure is not (or no longer) there.
async fn retry_one(state: &AppState, tenant: &Tenant, id: &str) -> Result<bool> {
    let store = state.store.as_ref();
    let Some(f) = jobs::failure(store, tenant, id).await? else {
        return Ok(false);
    };
    if let (Some(conn), Some(dataset)) = (
        f.message.connection.as_deref(),
        f.message.dataset.as_deref().and_then(Dataset::parse),
    ) {
        let now = state.clock.now();
        sync::modify(store, tenant, conn, dataset, |s| {
            (s.status != Status::Running).then(|| s.due_now(now))
        })
        .await?;
    }
    Ok(jobs::remove_failure(store, tenant, id).await?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryBody {
    queue_name: Option<String>,
}

/// `POST /api/amazon/error-recovery/retry/:jobId`.
pub async fn retry(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Option<RetryBody>>,
) -> Result<Response> {
    check_queue(body.as_ref().and_then(|b| b.queue_name.as_deref()))?;
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.write")?;
    if !retry_one(&state, ctx.tenant(), &id).await? {
        return Err(Error::NotFound("Failed job not found".into()));
    }
    Ok(Json(json!({
        "success": true,
        "message": "Job queued for retry",
        "data": {"jobId": id},
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkBody {
    queue_name: Option<String>,
    job_ids: Option<Vec<String>>,
}

/// `POST /api/amazon/error-recovery/bulk-retry`: each id retried or counted as failed.
pub async fn bulk_retry(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<BulkBody>,
) -> Result<Response> {
    check_queue(body.queue_name.as_deref())?;
    let ids = body
        .job_ids
        .ok_or_else(|| Error::validation("jobIds", "is required"))?;
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(Error::validation(
            "jobIds",
            format!("must list 1 to {MAX_BULK} job ids"),
        ));
    }
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.write")?;
    let (mut retried, mut failed, mut errors) = (0, 0, Vec::new());
    for id in &ids {
        if retry_one(&state, ctx.tenant(), id).await? {
            retried += 1;
        } else {
            failed += 1;
            errors.push(json!({"jobId": id, "error": "Failed job not found"}));
        }
    }
    Ok(Json(json!({
        "success": true,
        "results": {"retried": retried, "failed": failed, "errors": errors},
    }))
    .into_response())
}

/// `GET /api/amazon/error-recovery/statistics`.
pub async fn statistics(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response> {
    check_queue(q.queue_name.as_deref())?;
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.read")?;
    let failures = jobs::failures(state.store.as_ref(), ctx.tenant()).await?;
    let permanent = failures.iter().filter(|f| f.permanent).count();
    let needs_seller = sync::all(state.store.as_ref(), ctx.tenant())
        .await?
        .iter()
        .filter(|s| s.status == Status::NeedsReauthorization)
        .count();
    Ok(Json(json!({
        "success": true,
        "data": {
            "totalFailed": failures.len(),
            "byRetryStatus": {"retryable": failures.len() - permanent, "permanent": permanent},
            "requiresIntervention": permanent + needs_seller,
        },
    }))
    .into_response())
}
