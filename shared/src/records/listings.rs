//! The seller's listings (one per marketplace and SKU) and Amazon's catalog data of their ASINs
//! (title, brand, images, product type), as the all-listings report, the Listings Items API
//! and the Catalog Items API show them.
//!
//! A listing is written by two sources: the daily all-listings report (listing id, open date,
//! price, merchant quantity, status) and the Listings Items API (status, issues, product type)
//! when a notification names the SKU. Each source sets what it knows and keeps the rest of the
//! stored record. Writes are newer-wins by the time the source observed the listing, and an
//! unchanged listing writes nothing, so daily reports and repeated notifications cost a read.
//!
//! Keys: `ACCT#<t>` / `LISTING#<marketplaceId>#<sku>` and `CATALOG#<marketplaceId>#<asin>`;
//! `sourceVersion` = the observation time.

use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Key, Store, StoreError};
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which source observed a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The all-listings report (`GET_MERCHANT_LISTINGS_ALL_DATA`).
    Report,
    /// `getListingsItem` / `searchListingsItems`.
    Api,
}

/// An issue Amazon reports on a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingIssue {
    pub code: String,
    pub severity: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enforcements: Vec<String>,
}

/// A listing of the seller in one marketplace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingRecord {
    pub marketplace_id: String,
    pub sku: String,
    pub connection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<String>,
    /// The listing's title as the seller sees it (HTML entities decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The merchant's own quantity (merchant-fulfilled listings; Amazon's stock is inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// `AFN` (fulfilled by Amazon) or `MFN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `Active`, `Inactive` or `Deleted`.
    pub status: String,
    /// Amazon's listing statuses (`BUYABLE`, `DISCOVERABLE`) when the API was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<ListingIssue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<DateTime<Utc>>,
    /// When the source saw the listing like this.
    pub observed_at: DateTime<Utc>,
}

impl ListingRecord {
    pub fn key(&self, tenant: &Tenant) -> Key {
        keys::tenant(tenant).listing(&self.marketplace_id, &self.sku)
    }

    /// This observation over the stored record: what `source` does not know is kept.
    pub fn over(self, old: &ListingRecord, source: Source) -> ListingRecord {
        let keep = |new: Option<String>, old: &Option<String>| new.or_else(|| old.clone());
        ListingRecord {
            asin: keep(self.asin, &old.asin),
            title: keep(self.title, &old.title),
            price: self.price.or(old.price),
            currency: keep(self.currency, &old.currency),
            quantity: match source {
                Source::Report => self.quantity,
                Source::Api => self.quantity.or(old.quantity),
            },
            channel: keep(self.channel, &old.channel),
            statuses: match source {
                Source::Api => self.statuses,
                Source::Report => old.statuses.clone(),
            },
            issues: match source {
                Source::Api => self.issues,
                Source::Report => old.issues.clone(),
            },
            product_type: keep(self.product_type, &old.product_type),
            listing_id: keep(self.listing_id, &old.listing_id),
            opened_at: self.opened_at.or(old.opened_at),
            ..self
        }
    }

    fn same_content(&self, other: &ListingRecord) -> bool {
        let mut a = self.clone();
        a.observed_at = other.observed_at;
        a.connection.clone_from(&other.connection);
        &a == other
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(self.key(tenant))
            .s("marketplaceId", self.marketplace_id.clone())
            .s("sku", self.sku.clone())
            .opt_s("asin", self.asin.clone())
            .s("status", self.status.clone())
            .s("connection", self.connection.clone())
            .time("observedAt", self.observed_at)
            .s("listing", serde_json::to_string(self).unwrap_or_default())
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("listing")?).map_err(|_| StoreError::Corrupt("listing".into()))
    }
}

/// What writing a listing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    pub written: Written,
    /// Its price (or channel) differs from the stored one: fee estimates are due again.
    pub price_changed: bool,
}

/// Writes an observation of a listing over the stored one (see [`ListingRecord::over`]);
/// nothing when it is older than the stored one or changes nothing.
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    record: ListingRecord,
    source: Source,
) -> Result<Put, StoreError> {
    let old = get(store, tenant, &record.marketplace_id, &record.sku).await?;
    let merged = match &old {
        Some(o) => record.over(o, source),
        None => record,
    };
    let price_changed = old.as_ref().is_some_and(|o| {
        (o.price.is_some() && o.price != merged.price) || o.channel != merged.channel
    });
    if let Some(o) = &old {
        if o.observed_at >= merged.observed_at || o.same_content(&merged) {
            return Ok(Put {
                written: Written::Stale,
                price_changed: false,
            });
        }
    }
    let written = put_newer(
        store,
        merged.to_item(tenant),
        &version_at(merged.observed_at),
    )
    .await?;
    Ok(Put {
        written,
        price_changed: price_changed && written.stored(),
    })
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    sku: &str,
) -> Result<Option<ListingRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).listing(marketplace_id, sku))
        .await?
        .map(|i| ListingRecord::from_item(&i))
        .transpose()
}

/// Every stored listing of the tenant.
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<ListingRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).listings())
        .await?
        .iter()
        .map(ListingRecord::from_item)
        .collect()
}

/// Amazon's catalog data of an ASIN in a marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogRecord {
    pub marketplace_id: String,
    pub asin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    /// Image links, the main image first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    pub observed_at: DateTime<Utc>,
}

impl CatalogRecord {
    /// The catalog data of `item` in `marketplace_id`; `None` when Amazon has no summary of
    /// it there.
    pub fn from_amazon(
        item: &crate::amazon::models::catalog::Item,
        marketplace_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let summary = item
            .summaries
            .iter()
            .find(|s| s.marketplace_id == marketplace_id);
        let mut images: Vec<(bool, String)> = item
            .images
            .iter()
            .filter(|i| i.marketplace_id == marketplace_id)
            .flat_map(|i| i.images.iter())
            .map(|i| (i.variant != "MAIN", i.link.clone()))
            .collect();
        images.sort_by_key(|(not_main, _)| *not_main);
        let mut links: Vec<String> = vec![];
        for (_, l) in images {
            if !links.contains(&l) {
                links.push(l);
            }
        }
        CatalogRecord {
            marketplace_id: marketplace_id.to_string(),
            asin: item.asin.clone(),
            title: summary.and_then(|s| s.item_name.clone()),
            brand: summary.and_then(|s| s.brand.clone()),
            product_type: item
                .product_types
                .iter()
                .find(|p| {
                    p.marketplace_id
                        .as_deref()
                        .is_none_or(|m| m == marketplace_id)
                })
                .and_then(|p| p.product_type.clone()),
            images: links,
            classification: summary
                .and_then(|s| s.browse_classification.as_ref())
                .map(|c| c.display_name.clone()),
            observed_at: now,
        }
    }

    pub fn key(&self, tenant: &Tenant) -> Key {
        keys::tenant(tenant).catalog_item(&self.marketplace_id, &self.asin)
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(self.key(tenant))
            .s("marketplaceId", self.marketplace_id.clone())
            .s("asin", self.asin.clone())
            .time("observedAt", self.observed_at)
            .s("catalog", serde_json::to_string(self).unwrap_or_default())
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        serde_json::from_str(&i.s("catalog")?).map_err(|_| StoreError::Corrupt("catalog".into()))
    }
}

/// Writes catalog data newer-wins; unchanged data writes nothing.
pub async fn put_catalog(
    store: &dyn Store,
    tenant: &Tenant,
    record: &CatalogRecord,
) -> Result<Written, StoreError> {
    if let Some(old) = get_catalog(store, tenant, &record.marketplace_id, &record.asin).await? {
        let same = CatalogRecord {
            observed_at: old.observed_at,
            ..record.clone()
        } == old;
        if same || old.observed_at >= record.observed_at {
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

pub async fn get_catalog(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    asin: &str,
) -> Result<Option<CatalogRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).catalog_item(marketplace_id, asin))
        .await?
        .map(|i| CatalogRecord::from_item(&i))
        .transpose()
}

pub async fn all_catalog(
    store: &dyn Store,
    tenant: &Tenant,
) -> Result<Vec<CatalogRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).catalog_items())
        .await?
        .iter()
        .map(CatalogRecord::from_item)
        .collect()
}

/// Decodes the HTML entities Amazon leaves in listing titles (`&amp;`, `&quot;`, `&#39;`,
/// `&#x27;`, …); text that is not an entity stays as it is.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_entities_in_titles_are_decoded_and_bare_ampersands_kept() {
        assert_eq!(
            decode_entities("Salt &amp; Pepper 8&quot; &#39;Mill&#x27; &nbsp;x"),
            "Salt & Pepper 8\" 'Mill' \u{a0}x"
        );
        assert_eq!(decode_entities("A & B &unknown; &"), "A & B &unknown; &");
    }
}
