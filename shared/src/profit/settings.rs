//! The account's profit settings: its reporting currency (every figure is also shown
//! converted to it, at the dated rate of its day; the native amount is kept).
//!
//! Key: `ACCT#<t>` / `PROFITSET`.

use crate::keys::{self, Tenant};
use crate::ports::store::{ItemBuilder, ItemExt, Key, Store, StoreError};

/// The reporting currency of an account that never chose one.
pub const DEFAULT_REPORTING_CURRENCY: &str = "USD";

fn key(tenant: &Tenant) -> Key {
    Key::new(keys::pk(tenant), "PROFITSET")
}

/// The account's reporting currency (USD until set).
pub async fn reporting_currency(store: &dyn Store, tenant: &Tenant) -> Result<String, StoreError> {
    Ok(store
        .get(&key(tenant))
        .await?
        .and_then(|i| i.opt_s("reportingCurrency"))
        .unwrap_or_else(|| DEFAULT_REPORTING_CURRENCY.to_string()))
}

/// Sets the account's reporting currency (a code of `marketplaces::CURRENCIES`).
pub async fn set_reporting_currency(
    store: &dyn Store,
    tenant: &Tenant,
    currency: &str,
) -> Result<(), StoreError> {
    if !crate::marketplaces::CURRENCIES
        .iter()
        .any(|c| c.code == currency)
    {
        return Err(StoreError::Invalid(format!(
            "{currency} is not a currency we convert"
        )));
    }
    store
        .put(
            ItemBuilder::at(key(tenant))
                .s("reportingCurrency", currency)
                .build(),
            None,
        )
        .await
}
