//! Profit: the ledger of Amazon's money lines, its daily rollups, and the payout
//! reconciliation. Everything the profit screens show is read from here.
//!
//! # Pieces
//! - [`classify`]: Amazon's (transaction type, amount type, description) → a P&L
//!   [`Category`], by a table; a pair the table does not know is [`Category::Unclassified`],
//!   counted and shown, never dropped.
//! - [`ledger`]: normalised financial lines built from the synced transactions
//!   (`records::transactions`), one per money line, each keeping Amazon's transaction id,
//!   settlement id, order id, SKU, marketplace, posted time, type, description, amount and
//!   currency.
//! - [`rollup`]: the daily figures per (tenant, view, marketplace, SKU, marketplace-local day),
//!   recomputed from the source lines for the keys a domain event names (never incremented),
//!   and [`read_days`] to read them.
//! - [`rates`]: dated exchange rates (ECB reference rates), and [`settings`]: the account's
//!   reporting currency. Figures are stored in the marketplace's currency; the reporting
//!   currency amounts are converted when read, at the rate of the figure's day.
//! - [`payouts`]: per settlement, Amazon's payout beside the sum of our lines.
//!
//! # Definitions (every screen uses these)
//! - **Sales revenue** (`salesRevenue`) = item principal + shipping + gift wrap charged on
//!   shipments, before promotions, without tax.
//! - **Promotions**, **refunds**, every **Amazon fee**, **advertising**, **reimbursements** are
//!   their own figures, signed as Amazon signs them (money to the seller positive).
//! - Taxes Amazon collects (`taxCollected`) and remits as marketplace facilitator
//!   (`taxWithheld`) net to zero and are shown apart from sales.
//! - **Net** of a set of lines ([`Figures::net`]) = the sum of every line: with no COGS or
//!   expenses it is Amazon's own sum, and a closed settlement's payout is the net of its lines.
//!
//! # Views
//! - [`View::PostedDate`] (cash): every line on the marketplace-local day Amazon posted it.
//! - [`View::OrderDate`]: an order's sale on the local day it was ordered. Until Amazon posts
//!   the order's shipment transaction, its sales come from the order record and its fees from
//!   Amazon's fee estimates (counted in `estimatedFees`); once posted (even while the money is
//!   deferred), the shipment's actual lines replace them, still on the order's day. Every other
//!   line (refunds, account-level fees, advertising, reimbursements, and a shipment whose order
//!   we have not synced) stays on its posted day.
//!
//! # Days and rounding
//! Days are the marketplace's local days (`marketplaces::by_id(..).time_zone`: Los Angeles
//! for US/CA/MX, London for the UK, Berlin for DE, …, across DST). Amounts are exact
//! `rust_decimal` sums; rounding happens only at display, with [`money::display`]: to the
//! currency's minor unit, half away from zero (what Amazon does on its settlement amounts).

pub mod ads;
pub mod blocks;
pub mod classify;
pub mod job;
pub mod ledger;
pub mod money;
pub mod payouts;
pub mod rates;
pub mod rates_job;
pub mod recompute;
pub mod rollup;
pub mod settings;

pub use classify::{classify, Category};
pub use rollup::{read_days, DayRollup, Grain};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which day a figure lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum View {
    /// Sales on the day the order was placed (fees estimated until Amazon posts them).
    OrderDate,
    /// Cash: every line on the day Amazon posted it.
    PostedDate,
}

impl View {
    pub const ALL: [View; 2] = [View::OrderDate, View::PostedDate];

    /// The code used in keys (`O`, `P`).
    pub fn code(self) -> &'static str {
        match self {
            View::OrderDate => "O",
            View::PostedDate => "P",
        }
    }
}

/// The SKU of an account-level line (no product: subscription, inbound placement,
/// advertising, …). Such lines have their own rollup rows.
pub const ACCOUNT_LEVEL: &str = "";

/// The SKU of a row that sums every SKU and the account-level lines of a day
/// ([`Grain::Total`]).
pub const ALL_SKUS: &str = "*";

fn is_zero(d: &Decimal) -> bool {
    d.is_zero()
}

fn is_zero_i(n: &i64) -> bool {
    *n == 0
}

/// The figures of a set of ledger lines: every P&L category apart, exact (never rounded),
/// signed as Amazon signs them (credits to the seller positive, fees negative). Serialised in
/// camelCase with zero figures left out (absent = 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Figures {
    /// Product sales = `principal + shipping + giftWrap` (before promotions, without tax).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub sales_revenue: Decimal,
    /// Item principal charged on shipments (`ItemPrice/Principal`).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub principal: Decimal,
    /// Shipping charged on shipments (`ItemPrice/Shipping`).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub shipping: Decimal,
    /// Gift wrap charged on shipments (`ItemPrice/GiftWrap`).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub gift_wrap: Decimal,
    /// Promotion discounts on shipments (negative).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub promotions: Decimal,
    /// Money given back on refunds: principal, shipping, gift wrap, less promotions taken
    /// back (negative). Tax and fees of a refund stay in their own figures.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub refunds: Decimal,
    /// Referral fees (`Commission`), and the commission a refund gives back (positive).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub referral_fees: Decimal,
    /// FBA fulfilment fees: per-unit fee, shipping and gift-wrap chargebacks, weight handling.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub fba_fees: Decimal,
    /// Every other Amazon selling fee: subscription, refund administration, closing fees, …
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub other_amazon_fees: Decimal,
    /// FBA monthly and long-term storage fees.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub storage_fees: Decimal,
    /// FBA inbound (placement, transportation) and removal / disposal fees.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub inbound_removal_fees: Decimal,
    /// Sponsored ads billed against proceeds (`Cost of Advertising`).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub advertising: Decimal,
    /// FBA inventory reimbursements, and their reversals (negative).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub reimbursements: Decimal,
    /// Tax charged to the buyer (item, shipping, gift wrap), refunded tax negative.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub tax_collected: Decimal,
    /// Tax Amazon withholds and remits as marketplace facilitator (negative): with
    /// `taxCollected` it nets to zero where Amazon is the facilitator.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub tax_withheld: Decimal,
    /// Other adjustments Amazon posts (not reimbursements).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub adjustments: Decimal,
    /// Known lines that are none of the above (e.g. retrocharges, goodwill).
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub other: Decimal,
    /// Lines whose (type, description) the classification table does not know: shown,
    /// never dropped, and part of the net.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub unclassified: Decimal,
    /// The part of `referralFees + fbaFees + otherAmazonFees` that comes from Amazon's fee
    /// estimates (order-date view, orders Amazon has not posted yet); 0 when all are actual.
    #[serde(skip_serializing_if = "is_zero", with = "rust_decimal::serde::str")]
    pub estimated_fees: Decimal,
    /// Units shipped (posted view: the shipment lines' quantities; order-date view: the
    /// quantities ordered, cancelled orders excluded).
    #[serde(skip_serializing_if = "is_zero_i")]
    pub units_sold: i64,
    /// Distinct orders (in a [`ALL_SKUS`] row an order with two SKUs counts once).
    #[serde(skip_serializing_if = "is_zero_i")]
    pub orders: i64,
    /// Units refunded.
    #[serde(skip_serializing_if = "is_zero_i")]
    pub refund_units: i64,
    /// Ledger lines (or estimated order items) behind the figures.
    #[serde(skip_serializing_if = "is_zero_i")]
    pub lines: i64,
}

impl Figures {
    /// Every money figure of a category.
    pub fn get(&self, c: Category) -> Decimal {
        match c {
            Category::Principal => self.principal,
            Category::Shipping => self.shipping,
            Category::GiftWrap => self.gift_wrap,
            Category::Promotions => self.promotions,
            Category::Refunds => self.refunds,
            Category::ReferralFees => self.referral_fees,
            Category::FbaFees => self.fba_fees,
            Category::OtherAmazonFees => self.other_amazon_fees,
            Category::StorageFees => self.storage_fees,
            Category::InboundRemovalFees => self.inbound_removal_fees,
            Category::Advertising => self.advertising,
            Category::Reimbursements => self.reimbursements,
            Category::TaxCollected => self.tax_collected,
            Category::TaxWithheld => self.tax_withheld,
            Category::Adjustments => self.adjustments,
            Category::Other => self.other,
            Category::Unclassified => self.unclassified,
        }
    }

    /// Adds an amount to a category (and to `salesRevenue` for the sales categories).
    pub fn add_amount(&mut self, c: Category, amount: Decimal) {
        let slot = match c {
            Category::Principal => &mut self.principal,
            Category::Shipping => &mut self.shipping,
            Category::GiftWrap => &mut self.gift_wrap,
            Category::Promotions => &mut self.promotions,
            Category::Refunds => &mut self.refunds,
            Category::ReferralFees => &mut self.referral_fees,
            Category::FbaFees => &mut self.fba_fees,
            Category::OtherAmazonFees => &mut self.other_amazon_fees,
            Category::StorageFees => &mut self.storage_fees,
            Category::InboundRemovalFees => &mut self.inbound_removal_fees,
            Category::Advertising => &mut self.advertising,
            Category::Reimbursements => &mut self.reimbursements,
            Category::TaxCollected => &mut self.tax_collected,
            Category::TaxWithheld => &mut self.tax_withheld,
            Category::Adjustments => &mut self.adjustments,
            Category::Other => &mut self.other,
            Category::Unclassified => &mut self.unclassified,
        };
        *slot += amount;
        if c.is_sales() {
            self.sales_revenue += amount;
        }
    }

    /// Every Amazon fee: referral + FBA + other + storage + inbound/removal (negative).
    pub fn amazon_fees(&self) -> Decimal {
        self.referral_fees
            + self.fba_fees
            + self.other_amazon_fees
            + self.storage_fees
            + self.inbound_removal_fees
    }

    /// Net marketplace facilitator tax (0 where Amazon collects and remits all of it).
    pub fn tax_net(&self) -> Decimal {
        self.tax_collected + self.tax_withheld
    }

    /// The sum of every line: what Amazon pays for them (before COGS and expenses).
    pub fn net(&self) -> Decimal {
        Category::ALL.iter().map(|c| self.get(*c)).sum()
    }

    /// Adds another set of figures (counts too; `orders` simply adds, see [`ALL_SKUS`]).
    pub fn add(&mut self, o: &Figures) {
        for c in Category::ALL {
            self.add_amount(c, o.get(c));
        }
        self.estimated_fees += o.estimated_fees;
        self.units_sold += o.units_sold;
        self.orders += o.orders;
        self.refund_units += o.refund_units;
        self.lines += o.lines;
    }

    /// Every money figure multiplied by `rate` (exact; counts unchanged).
    pub fn scaled(&self, rate: Decimal) -> Figures {
        let mut f = Figures {
            units_sold: self.units_sold,
            orders: self.orders,
            refund_units: self.refund_units,
            lines: self.lines,
            estimated_fees: self.estimated_fees * rate,
            ..Figures::default()
        };
        for c in Category::ALL {
            f.add_amount(c, self.get(c) * rate);
        }
        f
    }

    pub fn is_empty(&self) -> bool {
        *self == Figures::default()
    }
}
