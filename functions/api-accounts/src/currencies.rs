//! Marketplaces (public) and currencies with dated exchange rates.
//!
//! Rates: `FX#<FROM>#<TO>/<fetchedAt>`, append-only (written only where nothing is stored, so
//! a stored rate is never overwritten), each with the date the source published it for; the
//! latest wins. Cross rates go through the base currency (USD). Fetching rates is an
//! operator action (`OPERATOR_EMAILS`), not a tenant one; a scheduled job (EventBridge) is to
//! call the same fetch daily.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use shared::domain::Currency;
use shared::error::{Error, Result};
use shared::http::{AppState, AuthUser, QueryParams};
use shared::identity::{rfc3339, ItemBuilder, ItemExt};
use shared::marketplaces::{self, BASE_CURRENCY, CURRENCIES, MARKETPLACES};
use shared::ports::store::{Condition, Index, Query, Store, StoreError};
use std::str::FromStr;

/// `GET /api/marketplaces` (no auth): `{data: [...]}` by name.
pub async fn marketplaces() -> Response {
    let mut all: Vec<_> = MARKETPLACES.iter().collect();
    all.sort_by_key(|m| m.name);
    let data: Vec<_> = all.iter().map(|m| marketplace_json(m)).collect();
    Json(json!({"data": data})).into_response()
}

fn marketplace_json(m: &marketplaces::Marketplace) -> serde_json::Value {
    json!({
        "id": m.id, "name": m.name, "code": m.country_code, "countryCode": m.country_code,
        "currency": m.currency, "baseCurrency": m.currency, "region": m.region.code(),
        "timezone": m.time_zone, "domain": m.domain, "isActive": true,
    })
}

/// `GET /api/marketplaces/{id}` (no auth): by Amazon id or country code.
pub async fn marketplace(Path(id): Path<String>) -> Result<Response> {
    let m = marketplaces::by_id(&id)
        .or_else(|| marketplaces::by_country(&id))
        .ok_or_else(|| Error::NotFound("Marketplace not found".into()))?;
    Ok(Json(marketplace_json(m)).into_response())
}

/// `GET /api/currencies`: `{data: [...]}` by code.
pub async fn list(_: AuthUser) -> Response {
    let data: Vec<_> = CURRENCIES
        .iter()
        .map(|c| json!({"code": c.code, "name": c.name, "symbol": c.symbol, "minorUnits": c.minor_units, "isBaseCurrency": c.code == BASE_CURRENCY}))
        .collect();
    Json(json!({"data": data})).into_response()
}

#[derive(Deserialize)]
pub struct RateQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn latest(store: &dyn Store, from: &str, to: &str) -> Result<Option<(Decimal, String)>> {
    let page = store
        .query(
            Query::partition(Index::Table, format!("FX#{from}#{to}"))
                .backward()
                .limit(1),
        )
        .await?;
    match page.items.first() {
        None => Ok(None),
        Some(i) => {
            let rate = Decimal::from_str(&i.s("rate")?)
                .map_err(|_| Error::Internal("stored rate is not a decimal".into()))?;
            Ok(Some((rate, i.s("fetchedAt")?)))
        }
    }
}

/// `GET /api/currencies/exchange-rate?from=&to=`: `{data: {from, to, rate, fetchedAt}}`; the rate
/// is a decimal string.
pub async fn exchange_rate(
    State(state): State<AppState>,
    _: AuthUser,
    QueryParams(q): QueryParams<RateQuery>,
) -> Result<Response> {
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return Err(Error::bad_request("from and to are required"));
    };
    let unsupported = |_| Error::NotFound("Currency not supported".into());
    let (from, to) = (
        Currency::parse(&from).map_err(unsupported)?.code(),
        Currency::parse(&to).map_err(unsupported)?.code(),
    );
    let store = state.store.as_ref();
    let found = if from == to {
        Some((Decimal::ONE, rfc3339(state.clock.now())))
    } else if let Some(direct) = latest(store, from, to).await? {
        Some(direct)
    } else {
        match (
            latest(store, from, BASE_CURRENCY).await?,
            latest(store, BASE_CURRENCY, to).await?,
        ) {
            (Some((a, _)), Some((b, at))) => Some(((a * b).round_dp(10).normalize(), at)),
            _ => None,
        }
    };
    let (rate, at) = found.ok_or_else(|| Error::NotFound("Exchange rate not available".into()))?;
    Ok(Json(json!({"data": {"from": from, "to": to, "rate": rate.normalize().to_string(), "fetchedAt": at}})).into_response())
}

/// `POST /api/currencies/update-rates` (operators only): fetches the base currency's rates
/// from the configured source (`EXCHANGE_RATES_URL`, answering
/// `{"date": "...", "rates": {"EUR": 0.92, ...}}` for `?from=USD`, e.g. the Frankfurter API)
/// and stores both directions as new dated records.
pub async fn update_rates(State(state): State<AppState>, auth: AuthUser) -> Result<Response> {
    let email = auth.user.email.as_str();
    if !state.config.operator_emails.iter().any(|o| o == email) {
        return Err(Error::Forbidden(
            "Only an operator of the service can update exchange rates".into(),
        ));
    }
    let url = state
        .config
        .exchange_rates_url
        .clone()
        .ok_or_else(|| Error::Unavailable("EXCHANGE_RATES_URL is not configured".into()))?;
    let symbols: Vec<&str> = CURRENCIES
        .iter()
        .map(|c| c.code)
        .filter(|c| *c != BASE_CURRENCY)
        .collect();
    let res = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(8))
        .build()
        .map_err(|e| Error::Internal(e.to_string()))?
        .get(&url)
        .query(&[("from", BASE_CURRENCY), ("to", &symbols.join(","))])
        .send()
        .await
        .map_err(|e| Error::Unavailable(format!("exchange-rate source: {e}")))?;
    if !res.status().is_success() {
        return Err(Error::Unavailable(format!(
            "exchange-rate source answered {}",
            res.status()
        )));
    }
    let text = res
        .text()
        .await
        .map_err(|e| Error::Unavailable(format!("exchange-rate source: {e}")))?;
    let body: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| Error::Unavailable("exchange-rate source sent invalid JSON".into()))?;
    let rates = body
        .get("rates")
        .and_then(|r| r.as_object())
        .ok_or_else(|| Error::Unavailable("exchange-rate source sent no rates".into()))?;
    let now = state.clock.now();
    let at = rfc3339(now);
    let date = body
        .get("date")
        .and_then(|d| d.as_str())
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| now.date_naive())
        .to_string();
    let mut items = Vec::new();
    for (code, value) in rates {
        let Ok(cur) = Currency::parse(code) else {
            continue;
        };
        let Some(rate) = value
            .as_number()
            .and_then(|n| Decimal::from_str(&n.to_string()).ok())
            .or_else(|| value.as_str().and_then(|s| Decimal::from_str(s).ok()))
        else {
            continue;
        };
        if rate <= Decimal::ZERO || cur.code() == BASE_CURRENCY {
            continue;
        }
        let inverse = (Decimal::ONE / rate).round_dp(18).normalize();
        for (from, to, r) in [
            (BASE_CURRENCY, cur.code(), rate),
            (cur.code(), BASE_CURRENCY, inverse),
        ] {
            items.push(
                ItemBuilder::new(format!("FX#{from}#{to}"), at.clone())
                    .s("type", "fx-rate")
                    .s("rate", r.to_string())
                    .s("rateDate", date.clone())
                    .s("fetchedAt", at.clone())
                    .s("source", url.clone())
                    .build(),
            );
        }
    }
    if items.is_empty() {
        return Err(Error::Unavailable(
            "exchange-rate source sent no usable rates".into(),
        ));
    }
    let mut count = 0;
    for item in items {
        match state.store.put(item, Some(Condition::NotExists)).await {
            Ok(()) => count += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if count == 0 {
        return Err(Error::Conflict(
            "Rates fetched at this moment are already stored".into(),
        ));
    }
    tracing::info!(count, date = %date, "exchange rates stored");
    Ok(Json(
        json!({"data": {"baseCurrency": BASE_CURRENCY, "updatedCount": count, "fetchedAt": at, "date": date}}),
    )
    .into_response())
}
