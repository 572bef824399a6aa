//! Amazon orders with their items, as Amazon has them: Amazon's ids, its raw amounts (decimal
//! text plus the order's currency), its status and times. One record per order, items inside
//! it, so an order is written (and replaced) whole in one write.
//!
//! Two sources fill it: the all-orders report of the backfill and the Orders API 2026-01-01
//! (sweeps, `ORDER_CHANGE`). The report has no order item id and lumps nothing; the API has the
//! item ids but sums the taxes and the discounts of an item. Items are therefore matched by
//! SKU (unique within an order), carry the item id once the API gave it, and keep the report's
//! breakdown when they came from the report.
//!
//! Newer wins by Amazon's last-update time; at the same time the API's version wins over the
//! report's (it carries the item ids), so the source version is `<lastUpdated>#<rank>`.
//!
//! Keys: `ACCT#<t>/ORDER#<amazonOrderId>`; gsi1 `ACCT#<t>#ORDERS#<marketplaceId>` /
//! `<purchase date RFC 3339>#<amazonOrderId>` (a marketplace's orders by purchase time).

use super::{put_newer, version_at, Written, SOURCE_VERSION};
use crate::amazon::models::orders as api;
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, rfc3339, Item, ItemBuilder, ItemExt, Store, StoreError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a version of an order came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL`.
    Report,
    /// Orders API 2026-01-01 (`searchOrders`, `getOrder`).
    Api,
}

impl Source {
    fn rank(self) -> u8 {
        match self {
            Source::Report => 1,
            Source::Api => 2,
        }
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// Amazon's order item id; unknown while only the report has been read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_item_id: Option<String>,
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    pub quantity: i64,
    /// Line totals (unit price × quantity), `None` while Amazon shows no price (pending).
    pub item_price: Option<Decimal>,
    pub shipping_price: Option<Decimal>,
    pub gift_wrap_price: Option<Decimal>,
    /// Every tax of the line (item, shipping, gift wrap).
    pub tax: Option<Decimal>,
    /// Promotion discounts of the line (item and shipping), as the positive amount taken off.
    pub discount: Option<Decimal>,
    /// The report's breakdown of `tax` and `discount`, when the report was the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<ReportBreakdown>,
}

/// The amounts the all-orders report gives separately, as it gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportBreakdown {
    pub item_tax: Option<Decimal>,
    pub shipping_tax: Option<Decimal>,
    pub gift_wrap_tax: Option<Decimal>,
    pub item_promotion_discount: Option<Decimal>,
    pub ship_promotion_discount: Option<Decimal>,
}

/// One Amazon order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub amazon_order_id: String,
    pub marketplace_id: String,
    pub purchase_date: DateTime<Utc>,
    /// Amazon's last update of the order: the version of the record.
    pub last_updated: DateTime<Utc>,
    /// `PENDING`, `UNSHIPPED`, `PARTIALLY_SHIPPED`, `SHIPPED`, `CANCELLED`, `UNFULFILLABLE`…
    pub status: String,
    /// `AMAZON` (FBA) or `MERCHANT`, when known.
    pub fulfilled_by: Option<String>,
    /// The currency of every amount of the order, when Amazon shows prices.
    pub currency: Option<String>,
    pub is_business: Option<bool>,
    pub items: Vec<OrderItem>,
    pub source: Source,
}

impl Order {
    /// The source version: Amazon's last update, then the source's rank.
    pub fn version(&self) -> String {
        format!("{}#{}", version_at(self.last_updated), self.source.rank())
    }

    /// The item with this SKU.
    pub fn item(&self, sku: &str) -> Option<&OrderItem> {
        self.items.iter().find(|i| i.sku == sku)
    }

    fn to_item(&self, tenant: &Tenant) -> Result<Item, StoreError> {
        let body = serde_json::to_string(self).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let k = keys::tenant(tenant);
        Ok(ItemBuilder::at(k.order(&self.amazon_order_id))
            .s("type", "order")
            .s("amazonOrderId", self.amazon_order_id.clone())
            .s("marketplaceId", self.marketplace_id.clone())
            .time("purchaseDate", self.purchase_date)
            .time("lastUpdated", self.last_updated)
            .s("status", self.status.clone())
            .s("order", body)
            .s("gsi1pk", k.orders_by_purchase_pk(&self.marketplace_id))
            .s(
                "gsi1sk",
                format!("{}#{}", rfc3339(self.purchase_date), self.amazon_order_id),
            )
            .build())
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&item.s("order")?).map_err(|_| StoreError::Corrupt("order".into()))
    }

    /// An order as the Orders API 2026-01-01 gives it (ask for `FULFILLMENT` and `PROCEEDS`).
    /// An order with no marketplace is an error naming it.
    pub fn from_api(o: &api::Order) -> Result<Self, String> {
        let marketplace_id = o.sales_channel.marketplace_id.clone().ok_or_else(|| {
            format!(
                "order {}: salesChannel.marketplaceId is missing",
                o.order_id
            )
        })?;
        let mut currency = o
            .proceeds
            .as_ref()
            .and_then(|p| p.grand_total.as_ref())
            .map(|m| m.currency_code.clone());
        let items = o
            .order_items
            .iter()
            .map(|i| {
                let mut item = OrderItem {
                    order_item_id: Some(i.order_item_id.clone()),
                    sku: i.product.seller_sku.clone().unwrap_or_default(),
                    asin: i.product.asin.clone(),
                    quantity: i.quantity_ordered,
                    item_price: None,
                    shipping_price: None,
                    gift_wrap_price: None,
                    tax: None,
                    discount: None,
                    breakdown: None,
                };
                if let Some(p) = &i.proceeds {
                    let sum = |kind: &str| -> Decimal {
                        p.breakdowns
                            .iter()
                            .filter(|b| b.type_ == kind)
                            .map(|b| b.subtotal.amount)
                            .sum()
                    };
                    if currency.is_none() {
                        currency = p
                            .breakdowns
                            .first()
                            .map(|b| b.subtotal.currency_code.clone());
                    }
                    item.item_price = Some(sum("ITEM"));
                    item.shipping_price = Some(sum("SHIPPING"));
                    item.gift_wrap_price = Some(sum("GIFT_WRAP"));
                    item.tax = Some(sum("TAX"));
                    item.discount = Some(sum("DISCOUNT").abs());
                }
                item
            })
            .collect();
        Ok(Self {
            amazon_order_id: o.order_id.clone(),
            marketplace_id,
            purchase_date: o.created_time,
            last_updated: o.last_updated_time,
            status: o
                .fulfillment
                .as_ref()
                .map(|f| api_status(&f.fulfillment_status))
                .unwrap_or_else(|| "UNKNOWN".into()),
            fulfilled_by: o.fulfillment.as_ref().and_then(|f| f.fulfilled_by.clone()),
            currency,
            is_business: Some(o.programs.iter().any(|p| p == "AMAZON_BUSINESS")),
            items,
            source: Source::Api,
        })
    }
}

fn api_status(s: &api::FulfillmentStatus) -> String {
    use api::FulfillmentStatus as F;
    match s {
        F::PendingAvailability => "PENDING_AVAILABILITY",
        F::Pending => "PENDING",
        F::Unshipped => "UNSHIPPED",
        F::PartiallyShipped => "PARTIALLY_SHIPPED",
        F::Shipped => "SHIPPED",
        F::Cancelled => "CANCELLED",
        F::Unfulfillable => "UNFULFILLABLE",
        F::Unknown => "UNKNOWN",
    }
    .to_string()
}

/// The all-orders report's `order-status` in the API's words (`Shipped - Delivered to Buyer`
/// is shipped, `Shipping` is not yet); a value we do not know is kept, upper-cased.
pub fn report_status(s: &str) -> String {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let mapped = if lower.starts_with("pending") {
        "PENDING"
    } else if lower.starts_with("partiallyshipped") || lower.starts_with("partially shipped") {
        "PARTIALLY_SHIPPED"
    } else if lower.starts_with("shipped") || lower == "complete" {
        "SHIPPED"
    } else if lower.starts_with("cancel") {
        "CANCELLED"
    } else if lower == "unshipped" || lower == "shipping" {
        "UNSHIPPED"
    } else if lower == "unfulfillable" {
        "UNFULFILLABLE"
    } else {
        return t.to_ascii_uppercase().replace([' ', '-'], "_");
    };
    mapped.to_string()
}

/// Writes an order unless the stored one is as new or newer.
pub async fn put(store: &dyn Store, tenant: &Tenant, order: &Order) -> Result<Written, StoreError> {
    put_newer(store, order.to_item(tenant)?, &order.version()).await
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    amazon_order_id: &str,
) -> Result<Option<Order>, StoreError> {
    store
        .get(&keys::tenant(tenant).order(amazon_order_id))
        .await?
        .as_ref()
        .map(Order::from_item)
        .transpose()
}

/// Every order of the tenant (tests, exports; not for request paths on large sellers).
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<Order>, StoreError> {
    query_all(store, keys::tenant(tenant).orders())
        .await?
        .iter()
        .map(Order::from_item)
        .collect()
}

/// A marketplace's orders purchased in `[from, to]`, oldest first (what a rollup of those days
/// recomputes from).
pub async fn purchased(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Order>, StoreError> {
    query_all(
        store,
        keys::tenant(tenant).orders_purchased(marketplace_id, &rfc3339(from), &rfc3339(to)),
    )
    .await?
    .iter()
    .map(Order::from_item)
    .collect()
}

/// The stored source version of an order (tests and diagnostics).
pub async fn stored_version(
    store: &dyn Store,
    tenant: &Tenant,
    amazon_order_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&keys::tenant(tenant).order(amazon_order_id))
        .await?
        .and_then(|i| i.opt_s(SOURCE_VERSION)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_statuses_in_the_api_words() {
        assert_eq!(report_status("Shipped - Delivered to Buyer"), "SHIPPED");
        assert_eq!(report_status("Pending - Waiting for Pick Up"), "PENDING");
        assert_eq!(report_status("Canceled"), "CANCELLED");
        assert_eq!(report_status("Cancelled"), "CANCELLED");
        assert_eq!(report_status("Shipping"), "UNSHIPPED");
        assert_eq!(report_status("Something New"), "SOMETHING_NEW");
    }
}
