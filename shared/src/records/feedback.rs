//! Buyer feedback on the seller (the `GET_SELLER_FEEDBACK_DATA` report): one per order.
//!
//! Keys: `ACCT#<t>` / `FEEDBACK#<marketplaceId>#<amazonOrderId>` (Amazon allows one feedback
//! per order); `sourceVersion` = when the report that showed it was made. An unchanged
//! feedback writes nothing.

use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Key, Store, StoreError};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackRecord {
    pub marketplace_id: String,
    pub order_id: String,
    pub connection: String,
    /// The day the buyer left it (the report gives the day only).
    pub date: NaiveDate,
    /// 1 to 5 stars.
    pub rating: u8,
    pub comments: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rater_email: Option<String>,
    pub observed_at: DateTime<Utc>,
}

impl FeedbackRecord {
    pub fn key(&self, tenant: &Tenant) -> Key {
        keys::tenant(tenant).feedback(&self.marketplace_id, &self.order_id)
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(self.key(tenant))
            .s("marketplaceId", self.marketplace_id.clone())
            .s("orderId", self.order_id.clone())
            .s("date", self.date.to_string())
            .n("rating", i64::from(self.rating))
            .s("feedback", serde_json::to_string(self).unwrap_or_default())
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("feedback")?).map_err(|_| StoreError::Corrupt("feedback".into()))
    }

    fn same_content(&self, other: &FeedbackRecord) -> bool {
        let mut a = self.clone();
        a.observed_at = other.observed_at;
        a.connection.clone_from(&other.connection);
        &a == other
    }
}

/// Writes a feedback newer-wins; unchanged content writes nothing.
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    record: &FeedbackRecord,
) -> Result<Written, StoreError> {
    if let Some(i) = store.get(&record.key(tenant)).await? {
        let old = FeedbackRecord::from_item(&i)?;
        if old.observed_at >= record.observed_at || old.same_content(record) {
            return Ok(Written::Stale);
        }
    }
    put_newer(
        store,
        record.to_item(tenant),
        &version_at(record.observed_at),
    )
    .await
}

/// Every stored feedback of the tenant.
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<FeedbackRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).feedbacks())
        .await?
        .iter()
        .map(FeedbackRecord::from_item)
        .collect()
}
