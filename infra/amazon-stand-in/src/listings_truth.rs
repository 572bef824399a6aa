//! The ground truth of the seller's listings (with their catalog data) and of the feedback
//! buyers left, straight from the generated records: what a sync of the all-listings report,
//! the catalog and the feedback report must end with, record for record.

use crate::catalog::{image_link, item_name, kind};
use crate::model::Fulfillment;
use crate::render::listing_active;
use crate::StandIn;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// One listing as Amazon has it now, with its ASIN's catalog data in that marketplace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ListingTruth {
    pub marketplace_id: String,
    pub sku: String,
    pub asin: String,
    /// The listing's title in that marketplace (Japanese on Amazon.co.jp).
    pub title: String,
    pub price: Decimal,
    pub currency: String,
    /// `AFN` or `MFN`.
    pub channel: String,
    /// The merchant's own quantity (merchant-fulfilled listings only).
    pub quantity: Option<i64>,
    /// `Active` or `Inactive`.
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub brand: String,
    pub main_image: String,
    pub product_type: String,
}

/// One buyer feedback.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FeedbackTruth {
    pub marketplace_id: String,
    pub order_id: String,
    /// The UTC day it was left.
    pub date: NaiveDate,
    pub rating: u8,
    pub comments: String,
    pub responded: bool,
}

/// Every listing of the seller as of the stand-in's now, by marketplace and SKU.
pub fn listings(st: &StandIn) -> Vec<ListingTruth> {
    listings_at(st, st.now())
}

/// Every listing of the seller as of `now` (a listing's status changes as suppressions start
/// and end).
pub fn listings_at(st: &StandIn, now: DateTime<Utc>) -> Vec<ListingTruth> {
    let s = &st.seller;
    let mut out: Vec<ListingTruth> = s
        .listings
        .iter()
        .filter(|l| l.open_date <= now)
        .map(|l| {
            let p = &s.products[l.product];
            let m = shared::marketplaces::by_id(l.marketplace_id).expect("known marketplace");
            ListingTruth {
                marketplace_id: l.marketplace_id.to_string(),
                sku: p.sku.clone(),
                asin: p.asin.clone(),
                title: item_name(p, m),
                price: l.price,
                currency: m.currency.to_string(),
                channel: l.fulfillment.code().to_string(),
                quantity: (l.fulfillment == Fulfillment::Mfn)
                    .then(|| crate::catalog::available_in(s, l)),
                status: if listing_active(s, l, now) {
                    "Active".into()
                } else {
                    "Inactive".into()
                },
                opened_at: l.open_date,
                brand: p.brand.clone(),
                main_image: image_link(p),
                product_type: kind(p).0.to_string(),
            }
        })
        .collect();
    out.sort();
    out
}

/// Every feedback buyers left up to the stand-in's now.
pub fn feedback(st: &StandIn) -> Vec<FeedbackTruth> {
    let now = st.now();
    let mut out: Vec<FeedbackTruth> = st
        .seller_now()
        .feedback
        .iter()
        .filter(|f| f.date <= now)
        .map(|f| FeedbackTruth {
            marketplace_id: f.marketplace_id.to_string(),
            order_id: f.order_id.clone(),
            date: f.date.date_naive(),
            rating: f.rating,
            comments: f.comment.to_string(),
            responded: f.responded,
        })
        .collect();
    out.sort();
    out
}
