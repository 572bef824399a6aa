//! The P&L category of an Amazon money line, by a table of Amazon's own words: the
//! transaction type (Finances `transactionType`: `Shipment`, `Refund`, `ServiceFee`,
//! `Adjustment`, `ProductAdsPayment`, …; or the settlement file's `transaction-type`: `Order`,
//! `Refund`, `other-transaction`), the amount type (the outer `breakdownType`, the settlement
//! file's `amount-type`: `ItemPrice`, `ItemFees`, `Promotion`, `ItemWithheldTax`, …) and the
//! description (the inner `breakdownType`, the file's `amount-description`: `Principal`,
//! `Commission`, `Storage Fee`, …).
//!
//! The first rule that matches wins. A line no rule matches is [`Category::Unclassified`]:
//! counted in its own figure, part of every net, listed with its words for us to add a rule.
//! Sources of the pairs: what the stand-in generates (its `generator.rs`), Amazon's settlement
//! report field values and the Finances API's fee and charge types.

use serde::{Deserialize, Serialize};

/// A P&L category: one money figure of [`super::Figures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Category {
    Principal,
    Shipping,
    GiftWrap,
    Promotions,
    Refunds,
    ReferralFees,
    FbaFees,
    OtherAmazonFees,
    StorageFees,
    InboundRemovalFees,
    Advertising,
    Reimbursements,
    TaxCollected,
    TaxWithheld,
    Adjustments,
    Other,
    Unclassified,
}

impl Category {
    pub const ALL: [Category; 17] = [
        Category::Principal,
        Category::Shipping,
        Category::GiftWrap,
        Category::Promotions,
        Category::Refunds,
        Category::ReferralFees,
        Category::FbaFees,
        Category::OtherAmazonFees,
        Category::StorageFees,
        Category::InboundRemovalFees,
        Category::Advertising,
        Category::Reimbursements,
        Category::TaxCollected,
        Category::TaxWithheld,
        Category::Adjustments,
        Category::Other,
        Category::Unclassified,
    ];

    /// Part of product sales (`salesRevenue`).
    pub fn is_sales(self) -> bool {
        matches!(
            self,
            Category::Principal | Category::Shipping | Category::GiftWrap
        )
    }

    /// An Amazon fee.
    pub fn is_amazon_fee(self) -> bool {
        matches!(
            self,
            Category::ReferralFees
                | Category::FbaFees
                | Category::OtherAmazonFees
                | Category::StorageFees
                | Category::InboundRemovalFees
        )
    }

    /// The camelCase name (the field of `Figures`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Principal => "principal",
            Category::Shipping => "shipping",
            Category::GiftWrap => "giftWrap",
            Category::Promotions => "promotions",
            Category::Refunds => "refunds",
            Category::ReferralFees => "referralFees",
            Category::FbaFees => "fbaFees",
            Category::OtherAmazonFees => "otherAmazonFees",
            Category::StorageFees => "storageFees",
            Category::InboundRemovalFees => "inboundRemovalFees",
            Category::Advertising => "advertising",
            Category::Reimbursements => "reimbursements",
            Category::TaxCollected => "taxCollected",
            Category::TaxWithheld => "taxWithheld",
            Category::Adjustments => "adjustments",
            Category::Other => "other",
            Category::Unclassified => "unclassified",
        }
    }
}

/// One rule of the table: `None` matches anything.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub transaction_types: Option<&'static [&'static str]>,
    pub amount_types: Option<&'static [&'static str]>,
    pub descriptions: Option<&'static [&'static str]>,
    pub category: Category,
}

const REFUND: &[&str] = &[
    "Refund",
    "GuaranteeClaim",
    "Chargeback",
    "A-to-z Guarantee Claim",
];
const PRICE: &[&str] = &[
    "ItemPrice",
    "ProductCharges",
    "Product Charges",
    "Charges",
    "",
];
const PROMOTION: &[&str] = &["Promotion", "Promotions", "PromotionDiscount"];
const PRINCIPAL: &[&str] = &["Principal", "ProductCharges"];
const SHIPPING: &[&str] = &["Shipping", "ShippingCharge"];
const GIFT_WRAP: &[&str] = &["GiftWrap", "Giftwrap"];
const TAX: &[&str] = &[
    "Tax",
    "ShippingTax",
    "GiftWrapTax",
    "GiftwrapTax",
    "OtherTax",
    "TCS-CGST",
    "TCS-SGST",
    "TCS-IGST",
];
const WITHHELD: &[&str] = &[
    "MarketplaceFacilitatorTax-Principal",
    "MarketplaceFacilitatorTax-Shipping",
    "MarketplaceFacilitatorTax-Giftwrap",
    "MarketplaceFacilitatorTax-Other",
    "MarketplaceFacilitatorVAT-Principal",
    "MarketplaceFacilitatorVAT-Shipping",
    "MarketplaceFacilitatorVAT-Giftwrap",
    "LowValueGoodsTax-Principal",
    "LowValueGoodsTax-Shipping",
];
const REFERRAL: &[&str] = &["Commission", "ReferralFee"];
const FBA: &[&str] = &[
    "FBAPerUnitFulfillmentFee",
    "FBAPerOrderFulfillmentFee",
    "FBAWeightBasedFee",
    "FBAPickAndPackFee",
    "ShippingChargeback",
    "GiftwrapChargeback",
    "FBAFulfillmentFee",
];
const OTHER_FEES: &[&str] = &[
    "RefundCommission",
    "VariableClosingFee",
    "FixedClosingFee",
    "DigitalServicesFee",
    "DigitalServicesFeeFBA",
    "SalesTaxCollectionFee",
    "Subscription Fee",
    "Subscription",
    "ShippingHB",
    "HighVolumeListingFee",
];
const STORAGE: &[&str] = &[
    "Storage Fee",
    "Long-Term Storage Fee",
    "FBAStorageFee",
    "FBALongTermStorageFee",
    "StorageRenewalBilling",
    "Storage Utilization Surcharge",
];
const INBOUND_REMOVAL: &[&str] = &[
    "FBA Inbound Placement Service Fee",
    "FBAInboundTransportationFee",
    "FBAInboundTransportationProgramFee",
    "FBAInboundConvenienceFee",
    "FBAInboundDefectFee",
    "FBA Removal Order: Disposal Fee",
    "FBA Removal Order: Return Fee",
    "FBADisposalFee",
    "FBARemovalFee",
];
const ADS: &[&str] = &[
    "Cost of Advertising",
    "ProductAdsPayment",
    "TransactionTotalAmount",
];
const ADS_TYPES: &[&str] = &["ProductAdsPayment"];
const REIMBURSEMENT_TYPES: &[&str] = &["FBA Inventory Reimbursement"];
const REIMBURSEMENTS: &[&str] = &[
    "WAREHOUSE_LOST",
    "WAREHOUSE_DAMAGE",
    "CUSTOMER_RETURN",
    "REVERSAL_REIMBURSEMENT",
    "FREE_REPLACEMENT_REFUND_ITEMS",
    "MISSING_FROM_INBOUND",
    "COMPENSATED_CLAWBACK",
];
const ADJUSTMENTS: &[&str] = &["MiscAdjustment", "Adjustment", "BalanceAdjustment"];
const OTHER: &[&str] = &[
    "Goodwill",
    "Retrocharge",
    "RetrochargeReversal",
    "Previous Reserve Amount Balance",
    "Current Reserve Amount",
    "Payable to Amazon",
];

const fn rule(
    transaction_types: Option<&'static [&'static str]>,
    amount_types: Option<&'static [&'static str]>,
    descriptions: Option<&'static [&'static str]>,
    category: Category,
) -> Rule {
    Rule {
        transaction_types,
        amount_types,
        descriptions,
        category,
    }
}

/// The table, first match wins.
pub const TABLE: &[Rule] = &[
    // What a refund gives back to the buyer (its tax and fees fall through to their rules).
    rule(
        Some(REFUND),
        Some(PRICE),
        Some(PRINCIPAL),
        Category::Refunds,
    ),
    rule(Some(REFUND), Some(PRICE), Some(SHIPPING), Category::Refunds),
    rule(
        Some(REFUND),
        Some(PRICE),
        Some(GIFT_WRAP),
        Category::Refunds,
    ),
    rule(Some(REFUND), Some(PROMOTION), None, Category::Refunds),
    // Sales.
    rule(None, Some(PRICE), Some(PRINCIPAL), Category::Principal),
    rule(None, Some(PRICE), Some(SHIPPING), Category::Shipping),
    rule(None, Some(PRICE), Some(GIFT_WRAP), Category::GiftWrap),
    rule(None, Some(PROMOTION), None, Category::Promotions),
    // Taxes: charged to the buyer, and withheld by Amazon as facilitator.
    rule(None, None, Some(WITHHELD), Category::TaxWithheld),
    rule(None, None, Some(TAX), Category::TaxCollected),
    // Fees.
    rule(None, None, Some(REFERRAL), Category::ReferralFees),
    rule(None, None, Some(FBA), Category::FbaFees),
    rule(None, None, Some(OTHER_FEES), Category::OtherAmazonFees),
    rule(None, None, Some(STORAGE), Category::StorageFees),
    rule(
        None,
        None,
        Some(INBOUND_REMOVAL),
        Category::InboundRemovalFees,
    ),
    // Advertising billed against proceeds.
    rule(Some(ADS_TYPES), None, None, Category::Advertising),
    rule(None, None, Some(ADS), Category::Advertising),
    // Reimbursements (and their reversals).
    rule(
        None,
        Some(REIMBURSEMENT_TYPES),
        None,
        Category::Reimbursements,
    ),
    rule(None, None, Some(REIMBURSEMENTS), Category::Reimbursements),
    rule(None, None, Some(ADJUSTMENTS), Category::Adjustments),
    rule(None, None, Some(OTHER), Category::Other),
];

fn matches(list: Option<&[&str]>, value: &str) -> bool {
    list.is_none_or(|l| l.contains(&value))
}

/// The category of a money line: the first rule of [`TABLE`] that matches, else
/// [`Category::Unclassified`].
pub fn classify(transaction_type: &str, amount_type: &str, description: &str) -> Category {
    TABLE
        .iter()
        .find(|r| {
            matches(r.transaction_types, transaction_type)
                && matches(r.amount_types, amount_type)
                && matches(r.descriptions, description)
        })
        .map(|r| r.category)
        .unwrap_or(Category::Unclassified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    /// Every (transaction type, amount type, description) the stand-in produces, in the
    /// Finances 2024-06-19 words, and what it is.
    #[test]
    fn the_pairs_amazon_sends_land_in_their_category() {
        let cases = [
            ("Shipment", "ItemPrice", "Principal", Principal),
            ("Shipment", "ItemPrice", "Tax", TaxCollected),
            ("Shipment", "ItemPrice", "Shipping", Shipping),
            ("Shipment", "ItemPrice", "ShippingTax", TaxCollected),
            ("Shipment", "ItemPrice", "GiftWrap", GiftWrap),
            ("Shipment", "ItemPrice", "GiftWrapTax", TaxCollected),
            (
                "Shipment",
                "ItemWithheldTax",
                "MarketplaceFacilitatorTax-Principal",
                TaxWithheld,
            ),
            (
                "Shipment",
                "ItemWithheldTax",
                "MarketplaceFacilitatorTax-Shipping",
                TaxWithheld,
            ),
            (
                "Shipment",
                "ItemWithheldTax",
                "MarketplaceFacilitatorTax-Giftwrap",
                TaxWithheld,
            ),
            ("Shipment", "Promotion", "Principal", Promotions),
            ("Shipment", "Promotion", "Shipping", Promotions),
            ("Shipment", "ItemFees", "Commission", ReferralFees),
            ("Shipment", "ItemFees", "FBAPerUnitFulfillmentFee", FbaFees),
            ("Shipment", "ItemFees", "ShippingChargeback", FbaFees),
            ("Shipment", "ItemFees", "GiftwrapChargeback", FbaFees),
            ("Refund", "ItemPrice", "Principal", Refunds),
            ("Refund", "ItemPrice", "Tax", TaxCollected),
            (
                "Refund",
                "ItemWithheldTax",
                "MarketplaceFacilitatorTax-Principal",
                TaxWithheld,
            ),
            ("Refund", "Promotion", "Principal", Refunds),
            ("Refund", "ItemFees", "Commission", ReferralFees),
            ("Refund", "ItemFees", "RefundCommission", OtherAmazonFees),
            (
                "ServiceFee",
                "other-transaction",
                "Subscription Fee",
                OtherAmazonFees,
            ),
            (
                "ServiceFee",
                "other-transaction",
                "Storage Fee",
                StorageFees,
            ),
            (
                "ServiceFee",
                "other-transaction",
                "Long-Term Storage Fee",
                StorageFees,
            ),
            (
                "ServiceFee",
                "other-transaction",
                "FBA Inbound Placement Service Fee",
                InboundRemovalFees,
            ),
            (
                "ServiceFee",
                "other-transaction",
                "FBA Removal Order: Disposal Fee",
                InboundRemovalFees,
            ),
            (
                "Adjustment",
                "FBA Inventory Reimbursement",
                "WAREHOUSE_LOST",
                Reimbursements,
            ),
            (
                "Adjustment",
                "FBA Inventory Reimbursement",
                "WAREHOUSE_DAMAGE",
                Reimbursements,
            ),
            (
                "Adjustment",
                "FBA Inventory Reimbursement",
                "CUSTOMER_RETURN",
                Reimbursements,
            ),
            (
                "Adjustment",
                "FBA Inventory Reimbursement",
                "REVERSAL_REIMBURSEMENT",
                Reimbursements,
            ),
            (
                "ProductAdsPayment",
                "other-transaction",
                "Cost of Advertising",
                Advertising,
            ),
        ];
        for (t, a, d, want) in cases {
            assert_eq!(classify(t, a, d), want, "{t} / {a} / {d}");
        }
    }

    #[test]
    fn the_settlement_files_words_land_in_the_same_categories() {
        assert_eq!(classify("Order", "ItemPrice", "Principal"), Principal);
        assert_eq!(classify("Refund", "ItemPrice", "Shipping"), Refunds);
        assert_eq!(
            classify("other-transaction", "other-transaction", "Storage Fee"),
            StorageFees
        );
        assert_eq!(classify("ServiceFee", "", "FBAStorageFee"), StorageFees);
        assert_eq!(
            classify("Shipment", "ItemFees", "VariableClosingFee"),
            OtherAmazonFees
        );
        assert_eq!(classify("Adjustment", "", "Goodwill"), Other);
    }

    #[test]
    fn an_unknown_pair_is_unclassified_never_dropped() {
        assert_eq!(
            classify("Shipment", "ItemFees", "BrandNewFee2027"),
            Unclassified
        );
        assert_eq!(classify("Mystery", "", ""), Unclassified);
        // Tax words are tax whatever the transaction; fees are fees on refunds too.
        assert_eq!(classify("Refund", "ItemFees", "Commission"), ReferralFees);
    }
}
