//! The generated seller: catalog, orders, money, settlements, inventory, ads. Every figure an
//! API or report of the stand-in returns is rendered from these records, and the ground truth
//! is summed from them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Fulfillment {
    /// Fulfilled by Amazon.
    Afn,
    /// Fulfilled by the merchant.
    Mfn,
}

impl Fulfillment {
    pub fn code(self) -> &'static str {
        match self {
            Fulfillment::Afn => "AFN",
            Fulfillment::Mfn => "MFN",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OrderStatus {
    Pending,
    Unshipped,
    Shipped,
    Canceled,
}

impl OrderStatus {
    pub fn v0(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Pending",
            OrderStatus::Unshipped => "Unshipped",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Canceled => "Canceled",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub sku: String,
    pub asin: String,
    pub fnsku: String,
    pub title: String,
    /// The title on Amazon.co.jp (what makes Shift_JIS report files matter).
    pub title_ja: String,
    pub brand: String,
    /// List price in USD before conversion to each marketplace.
    pub base_price_usd: Decimal,
    pub referral_rate: Decimal,
    pub fba_fee_usd: Decimal,
    pub size_tier: &'static str,
    /// Parent ASIN for variations.
    pub parent_asin: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub product: usize,
    pub marketplace_id: &'static str,
    pub price: Decimal,
    pub fulfillment: Fulfillment,
    pub open_date: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub city: &'static str,
    pub state: &'static str,
    pub postal_code: String,
    pub country: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderItem {
    pub order_item_id: String,
    pub product: usize,
    pub quantity: i64,
    /// Line totals (unit price x quantity), as Amazon reports them.
    pub principal: Decimal,
    pub tax: Decimal,
    pub shipping: Decimal,
    pub shipping_tax: Decimal,
    pub gift_wrap: Decimal,
    pub gift_wrap_tax: Decimal,
    pub promotion: Decimal,
    pub ship_promotion: Decimal,
    pub promotion_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: String,
    pub marketplace_id: &'static str,
    pub currency: &'static str,
    pub purchase_date: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub status: OrderStatus,
    pub fulfillment: Fulfillment,
    pub items: Vec<OrderItem>,
    pub ship_date: Option<DateTime<Utc>>,
    pub earliest_delivery: DateTime<Utc>,
    pub latest_delivery: DateTime<Utc>,
    pub is_business: bool,
    pub is_prime: bool,
    pub ship_to: Address,
    pub ship_service_level: &'static str,
}

/// One signed money line as Amazon's settlement file shows it: `amount-type` (category) and
/// `amount-description` (kind). Credits to the seller are positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MoneyLine {
    pub category: &'static str,
    pub kind: &'static str,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TxKind {
    /// A shipped order (settlement `Order`, Finances `Shipment`).
    Shipment,
    Refund,
    /// Account-level fees: storage, subscription, removal, inbound placement.
    ServiceFee,
    /// Reimbursements and other adjustments.
    Adjustment,
    /// Sponsored ads billed against proceeds.
    AdsPayment,
}

#[derive(Debug, Clone, Serialize)]
pub struct TxItem {
    pub product: Option<usize>,
    pub order_item_id: Option<String>,
    pub quantity: i64,
    pub lines: Vec<MoneyLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Transaction {
    pub id: String,
    pub kind: TxKind,
    pub posted: DateTime<Utc>,
    /// When the money is released to a settlement (after Amazon's delivery-date deferral).
    pub release: DateTime<Utc>,
    pub marketplace_id: &'static str,
    pub currency: &'static str,
    pub order_id: Option<String>,
    pub adjustment_id: Option<String>,
    /// Settlement `amount-description` of account-level fees, or the adjustment reason.
    pub description: &'static str,
    pub items: Vec<TxItem>,
    /// Index into `Seller::settlements`, once released into one.
    pub settlement: Option<usize>,
}

impl Transaction {
    pub fn total(&self) -> Decimal {
        self.items
            .iter()
            .flat_map(|i| i.lines.iter())
            .map(|l| l.amount)
            .sum()
    }
    pub fn lines(&self) -> impl Iterator<Item = (&TxItem, &MoneyLine)> {
        self.items
            .iter()
            .flat_map(|i| i.lines.iter().map(move |l| (i, l)))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Settlement {
    /// `settlement-id` of the V2 flat file.
    pub id: String,
    /// Finances `FinancialEventGroupId` (a different identifier, as on Amazon).
    pub group_id: String,
    pub marketplace_id: &'static str,
    pub currency: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Closed groups are paid out; the newest group is still open.
    pub closed: bool,
    pub deposit_date: Option<DateTime<Utc>>,
    /// The payout: the sum of every transaction released into the group.
    pub total: Decimal,
    pub transactions: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerReturn {
    pub order_id: String,
    pub product: usize,
    pub marketplace_id: &'static str,
    pub quantity: i64,
    pub return_date: DateTime<Utc>,
    pub disposition: &'static str,
    pub reason: &'static str,
    pub fulfillment_center: &'static str,
    pub license_plate: String,
    pub refunded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reimbursement {
    pub id: String,
    pub approval_date: DateTime<Utc>,
    pub order_id: Option<String>,
    pub reason: &'static str,
    pub product: usize,
    pub marketplace_id: &'static str,
    pub currency: &'static str,
    pub amount_per_unit: Decimal,
    pub amount_total: Decimal,
    pub quantity: i64,
    /// The adjustment transaction that pays it (or takes it back).
    pub transaction: usize,
    /// For a `Reimbursement_Reversal`: the reimbursement it reverses, and that one's reason.
    pub original: Option<(String, &'static str)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InventoryLevel {
    pub product: usize,
    pub marketplace_id: &'static str,
    pub fulfillable: i64,
    pub inbound_working: i64,
    pub inbound_shipped: i64,
    pub inbound_receiving: i64,
    pub reserved: i64,
    pub unfulfillable: i64,
    pub researching: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerEntry {
    pub date: DateTime<Utc>,
    pub product: usize,
    pub marketplace_id: &'static str,
    pub event_type: &'static str,
    pub reference_id: String,
    pub quantity: i64,
    pub fulfillment_center: &'static str,
    pub disposition: &'static str,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdsProfile {
    pub profile_id: i64,
    pub marketplace_id: &'static str,
    pub country_code: &'static str,
    pub currency: &'static str,
    pub timezone: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub profile: usize,
    pub name: String,
    pub state: &'static str,
    pub daily_budget: Decimal,
    pub start_date: NaiveDate,
    pub ad_groups: Vec<AdGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdGroup {
    pub id: i64,
    pub name: String,
    pub default_bid: Decimal,
    pub product: usize,
    pub keywords: Vec<Keyword>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Keyword {
    pub id: i64,
    pub text: String,
    pub match_type: &'static str,
    pub bid: Decimal,
    pub state: &'static str,
}

/// One campaign-day of Sponsored Products metrics (the profile's local date).
#[derive(Debug, Clone, Serialize)]
pub struct AdsDay {
    pub campaign: usize,
    pub date: NaiveDate,
    pub impressions: i64,
    pub clicks: i64,
    pub cost: Decimal,
    pub purchases7d: i64,
    pub sales7d: Decimal,
    pub units7d: i64,
}

/// A listing status change or buy-box change, for notifications and alerts.
#[derive(Debug, Clone, Serialize)]
pub struct ListingEvent {
    pub at: DateTime<Utc>,
    pub product: usize,
    pub marketplace_id: &'static str,
    pub kind: &'static str,
    pub detail: String,
}

/// Buyer feedback on an order (Seller Central's feedback manager).
#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    pub order_id: String,
    pub marketplace_id: &'static str,
    pub date: DateTime<Utc>,
    /// 1 to 5 stars.
    pub rating: u8,
    pub comment: &'static str,
    pub responded: bool,
}
