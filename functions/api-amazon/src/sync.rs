//! Sync status and control: trigger, status per dataset with progress and ETA, cancel, the
//! tenant's queue counts and the run logs.

use crate::context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::connections::Connections;
use shared::domain::AmazonAccountId;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, JsonBody, QueryParams};
use shared::identity::tenancy::Context;
use shared::keys::Tenant;
use shared::ports::store::rfc3339;
use shared::sync::{self, Dataset, Status, SyncState};

/// The sync types the UI offers, as datasets (inventory: stock, its ledger, returns and
/// reimbursements; ppc: the Ads entities and reports).
fn datasets_of(sync_type: &str) -> Result<Vec<Dataset>> {
    Ok(match sync_type {
        "all" => Dataset::ALL.to_vec(),
        "orders" => vec![Dataset::Orders],
        "fees" => vec![Dataset::Transactions, Dataset::FeeEstimates],
        "refunds" => vec![Dataset::Transactions],
        "transactions" => vec![Dataset::Transactions],
        "settlements" => vec![Dataset::Settlements],
        "fee-estimates" => vec![Dataset::FeeEstimates],
        "inventory" => vec![
            Dataset::Inventory,
            Dataset::LedgerEvents,
            Dataset::LedgerDays,
            Dataset::Returns,
            Dataset::MfnReturns,
            Dataset::Reimbursements,
        ],
        "listings" => vec![Dataset::Listings],
        "feedback" => vec![Dataset::Feedback],
        "inbound" => vec![Dataset::Inbound],
        "ppc" => vec![Dataset::AdsEntities, Dataset::AdsReports],
        _ => {
            return Err(Error::validation(
                "syncType",
                "must be one of orders, fees, refunds, transactions, settlements, fee-estimates, inventory, listings, feedback, inbound, ppc, all",
            ))
        }
    })
}

/// The connection with this id in this tenant; 404 for a malformed id, a missing one and one
/// of another tenant alike.
async fn connection(state: &AppState, t: &Tenant, raw: &str) -> Result<AmazonAccountId> {
    let not_found = || Error::NotFound("Amazon account not found".into());
    let id = AmazonAccountId::parse(raw).map_err(|_| not_found())?;
    Connections::new(
        state.store.as_ref(),
        state.secrets.as_ref(),
        &state.config.secret_prefix,
    )
    .find(t, &id)
    .await?
    .ok_or_else(not_found)?;
    Ok(id)
}

/// The caller's tenant, allowed to read, and the connection a query names (if any, in it).
async fn reading(
    state: &AppState,
    auth: &AuthUser,
    amazon_account_id: Option<&str>,
) -> Result<(Context, Option<AmazonAccountId>)> {
    let ctx = context(state, auth).await?;
    ctx.require("accounts.read")?;
    let only = match amazon_account_id {
        Some(raw) => Some(connection(state, ctx.tenant(), raw).await?),
        None => None,
    };
    Ok((ctx, only))
}

/// A job id names a connection and a sync type: `<amazonAccountId>.<syncType>`.
fn parse_job_id(job_id: &str) -> Result<(&str, Vec<Dataset>)> {
    let not_found = || Error::NotFound("Sync job not found".into());
    let (acct, kind) = job_id.split_once('.').ok_or_else(not_found)?;
    let datasets = datasets_of(kind).map_err(|_| not_found())?;
    Ok((acct, datasets))
}

/// How the sync page names a state.
fn status_word(s: &SyncState, now: DateTime<Utc>) -> &'static str {
    match s.status {
        Status::Running => "active",
        Status::Failed => "failed",
        Status::NeedsReauthorization => "needs_reauthorization",
        Status::Cancelled => "cancelled",
        Status::Idle if s.next_due <= now => "waiting",
        Status::Idle if s.last_success_at.is_some() => "completed",
        Status::Idle => "delayed",
    }
}

fn job_json(s: &SyncState, now: DateTime<Utc>) -> Value {
    let p = s.progress;
    let percent = if s.status == Status::Idle && s.backfilled {
        100
    } else {
        (p.steps_done * 100)
            .checked_div(p.steps_total)
            .unwrap_or(0)
            .min(100)
    };
    let started = s.run_started_at;
    let duration_ms = started.map(|t| {
        let end = if s.status == Status::Running {
            now
        } else {
            s.last_success_at.unwrap_or(s.updated_at).max(t)
        };
        (end - t).num_milliseconds()
    });
    json!({
        "jobId": format!("{}.{}", s.connection, s.dataset),
        "amazonAccountId": s.connection,
        "syncType": s.dataset.as_str(),
        "status": status_word(s, now),
        "progress": percent,
        "progressDetail": {
            "stepsDone": p.steps_done,
            "stepsTotal": p.steps_total,
            "recordsDone": p.records_done,
            "recordsEstimate": p.records_estimate,
        },
        "backfilled": s.backfilled,
        "eta": started.and_then(|t| p.eta(t, now)).map(rfc3339),
        "createdAt": rfc3339(started.unwrap_or(s.updated_at)),
        "startedAt": started.map(rfc3339),
        "completedAt": s.last_success_at.map(rfc3339),
        "nextRunAt": rfc3339(s.next_due),
        "duration": duration_ms,
        "error": s.error,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerBody {
    amazon_account_id: Option<String>,
    sync_type: Option<String>,
}

/// `POST /api/amazon/sync/trigger`: makes the datasets due now; the dispatcher starts them.
/// A dataset already running keeps running (its run already brings everything new).
pub async fn trigger(
    State(state): State<AppState>,
    auth: AuthUser,
    JsonBody(body): JsonBody<TriggerBody>,
) -> Result<Response> {
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.write")?;
    let acct = body
        .amazon_account_id
        .ok_or_else(|| Error::validation("amazonAccountId", "is required"))?;
    let sync_type = body
        .sync_type
        .ok_or_else(|| Error::validation("syncType", "is required"))?;
    let datasets = datasets_of(&sync_type)?;
    let id = connection(&state, ctx.tenant(), &acct).await?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    sync::register(store, ctx.tenant(), id.as_str(), now).await?;
    for d in &datasets {
        // A running dataset keeps running: its run already brings everything new.
        sync::modify(store, ctx.tenant(), id.as_str(), *d, |s| {
            (s.status != Status::Running).then(|| s.due_now(now))
        })
        .await?;
    }
    tracing::info!(tenant = %ctx.tenant(), connection = %id, sync_type, "sync triggered");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "success": true,
            "message": "Sync job queued",
            "data": {
                "jobId": format!("{id}.{sync_type}"),
                "status": "queued",
                "syncType": sync_type,
                "amazonAccountId": id,
                "jobs": datasets.iter().map(|d| format!("{id}.{d}")).collect::<Vec<_>>(),
            },
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusQuery {
    amazon_account_id: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/amazon/sync/status?amazonAccountId=&limit=`: every dataset's state, most recently
/// active first.
pub async fn status(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<StatusQuery>,
) -> Result<Response> {
    let (ctx, only) = reading(&state, &auth, q.amazon_account_id.as_deref()).await?;
    let now = state.clock.now();
    let mut states: Vec<SyncState> = sync::all(state.store.as_ref(), ctx.tenant())
        .await?
        .into_iter()
        .filter(|s| only.as_ref().is_none_or(|id| s.connection == id.as_str()))
        .collect();
    states.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
    let total = states.len();
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let jobs: Vec<Value> = states
        .iter()
        .take(limit)
        .map(|s| job_json(s, now))
        .collect();
    Ok(Json(json!({
        "success": true,
        "data": {"amazonAccountId": only, "jobs": jobs, "total": total},
    }))
    .into_response())
}

/// `GET /api/amazon/sync/status/:jobId`: one dataset, or the datasets of a sync type.
pub async fn job_status(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(job_id): Path<String>,
) -> Result<Response> {
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.read")?;
    let (acct, datasets) = parse_job_id(&job_id)?;
    let id = connection(&state, ctx.tenant(), acct).await?;
    let now = state.clock.now();
    let mut jobs = Vec::new();
    for d in datasets {
        if let Some(s) = sync::get(state.store.as_ref(), ctx.tenant(), id.as_str(), d).await? {
            jobs.push(job_json(&s, now));
        }
    }
    if jobs.is_empty() {
        return Err(Error::NotFound("Sync job not found".into()));
    }
    let data = if jobs.len() == 1 {
        jobs.remove(0)
    } else {
        json!({"jobId": job_id, "jobs": jobs})
    };
    Ok(Json(json!({"success": true, "data": data})).into_response())
}

/// `DELETE /api/amazon/sync/cancel/:jobId`: stops the datasets; a worker stops at its next
/// step, and a new trigger starts again from the checkpoint.
pub async fn cancel(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(job_id): Path<String>,
) -> Result<Response> {
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.write")?;
    let (acct, datasets) = parse_job_id(&job_id)?;
    let id = connection(&state, ctx.tenant(), acct).await?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let mut cancelled = 0;
    for d in datasets {
        let done = sync::modify(store, ctx.tenant(), id.as_str(), d, |s| {
            (!matches!(s.status, Status::Cancelled | Status::NeedsReauthorization))
                .then(|| s.cancelled(now))
        })
        .await?;
        cancelled += usize::from(done);
    }
    if cancelled == 0 {
        return Err(Error::Conflict(
            "Nothing to cancel: the sync is not scheduled or running".into(),
        ));
    }
    Ok(Json(json!({
        "success": true,
        "message": "Sync cancelled",
        "data": {"jobId": job_id, "status": "cancelled", "cancelled": cancelled},
    }))
    .into_response())
}

/// `GET /api/amazon/sync/queue-stats`: the caller's own datasets by state, under the queue
/// name the UI reads.
pub async fn queue_stats(State(state): State<AppState>, auth: AuthUser) -> Result<Response> {
    let ctx = context(&state, &auth).await?;
    ctx.require("accounts.read")?;
    let now = state.clock.now();
    let (mut waiting, mut active, mut completed, mut failed, mut delayed) = (0, 0, 0, 0, 0);
    for s in sync::all(state.store.as_ref(), ctx.tenant()).await? {
        match status_word(&s, now) {
            "waiting" => waiting += 1,
            "active" => active += 1,
            "completed" => completed += 1,
            "delayed" | "cancelled" => delayed += 1,
            _ => failed += 1,
        }
    }
    Ok(Json(json!({
        "success": true,
        "data": {"data-sync": {
            "waiting": waiting, "active": active, "completed": completed,
            "failed": failed, "delayed": delayed,
            "total": waiting + active + completed + failed + delayed,
        }},
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsQuery {
    amazon_account_id: Option<String>,
    sync_type: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/amazon/sync-logs?amazonAccountId=&syncType=&limit=`: finished runs, newest first.
pub async fn logs(
    State(state): State<AppState>,
    auth: AuthUser,
    QueryParams(q): QueryParams<LogsQuery>,
) -> Result<Response> {
    let (ctx, only) = reading(&state, &auth, q.amazon_account_id.as_deref()).await?;
    let dataset = match q.sync_type.as_deref() {
        None => None,
        Some(t) => Some(Dataset::parse(t).ok_or_else(|| {
            Error::validation(
                "syncType",
                "must be orders, transactions, settlements or fee-estimates",
            )
        })?),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let runs = sync::runs(
        state.store.as_ref(),
        ctx.tenant(),
        only.as_ref().map(|i| i.as_str()),
        dataset,
        limit,
    )
    .await?;
    let data: Vec<Value> = runs
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "amazonAccountId": r.connection,
                "syncType": r.dataset.as_str(),
                "status": r.status,
                "recordsSynced": r.records_synced,
                "recordsFailed": r.records_failed,
                "startedAt": rfc3339(r.started_at),
                "completedAt": rfc3339(r.completed_at),
                "errorMessage": r.error,
            })
        })
        .collect();
    Ok(Json(json!({"success": true, "data": data})).into_response())
}
