//! The deterministic seller generator: the same spec (seed, size, history, end) gives the
//! same seller, byte for byte.

use crate::model::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::distributions::WeightedIndex;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rust_decimal::prelude::*;
use rust_decimal::Decimal;
use shared::marketplaces::{self, Marketplace};

/// What to generate.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SellerSpec {
    pub seed: u64,
    /// Orders over the whole history.
    pub orders: usize,
    pub history_days: i64,
    /// The instant the history ends ("now" for the seller).
    pub end: DateTime<Utc>,
    /// Country codes of the marketplaces the seller sells in.
    pub marketplaces: Vec<String>,
    pub products: usize,
    /// A large advertiser (benchmarks): the first Ads profile's campaigns instead of the
    /// default four. `None` for the default.
    #[serde(default)]
    pub ads_scale: Option<AdsScale>,
}

/// The size of a large advertiser's first profile: campaigns of one ad group each, keywords
/// per campaign, and the days they have run (ending with the history).
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize)]
pub struct AdsScale {
    pub campaigns: usize,
    pub keywords_per_campaign: usize,
    pub days: i64,
}

use serde::Serialize;

impl Default for SellerSpec {
    fn default() -> Self {
        Self {
            seed: 42,
            orders: 2_000,
            history_days: 730,
            end: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            marketplaces: ["US", "CA", "MX", "UK", "DE", "FR", "IT", "ES", "JP"]
                .map(String::from)
                .to_vec(),
            products: 40,
            ads_scale: None,
        }
    }
}

/// A generated seller and everything Amazon knows about it.
#[derive(Debug, Clone, Serialize)]
pub struct Seller {
    pub spec: SellerSpec,
    pub seller_id: String,
    pub store_name: String,
    pub marketplaces: Vec<&'static Marketplace>,
    pub products: Vec<Product>,
    pub listings: Vec<Listing>,
    pub orders: Vec<Order>,
    pub transactions: Vec<Transaction>,
    pub settlements: Vec<Settlement>,
    pub returns: Vec<CustomerReturn>,
    pub reimbursements: Vec<Reimbursement>,
    pub inventory: Vec<InventoryLevel>,
    pub ledger: Vec<LedgerEntry>,
    pub ads_profiles: Vec<AdsProfile>,
    pub campaigns: Vec<Campaign>,
    pub ads_days: Vec<AdsDay>,
    pub listing_events: Vec<ListingEvent>,
    pub feedback: Vec<Feedback>,
    /// Order id to index in `orders`.
    #[serde(skip)]
    pub order_index: std::collections::HashMap<String, usize>,
}

impl Seller {
    pub fn order(&self, id: &str) -> Option<&Order> {
        self.order_index.get(id).map(|&i| &self.orders[i])
    }
}

/// Rounds money to the currency's minor unit, half away from zero.
pub fn round(amount: Decimal, currency: &str) -> Decimal {
    let dp = marketplaces::CURRENCIES
        .iter()
        .find(|c| c.code == currency)
        .map(|c| c.minor_units)
        .unwrap_or(2);
    amount.round_dp_with_strategy(dp as u32, RoundingStrategy::MidpointAwayFromZero)
}

/// USD to the marketplace currency, for list prices and fee schedules.
/// Units of `currency` per US dollar, for list prices and fee schedules.
pub fn usd_rate(currency: &str) -> Decimal {
    fx(currency)
}

fn fx(currency: &str) -> Decimal {
    match currency {
        "USD" => dec(1, 0),
        "CAD" => dec(136, 2),
        "MXN" => dec(1720, 2),
        "GBP" => dec(79, 2),
        "EUR" => dec(92, 2),
        "JPY" => dec(150, 0),
        "BRL" => dec(500, 2),
        "AUD" => dec(152, 2),
        "SEK" => dec(1050, 2),
        "PLN" => dec(400, 2),
        "INR" => dec(8300, 2),
        "SGD" => dec(135, 2),
        "AED" => dec(367, 2),
        "SAR" => dec(375, 2),
        "TRY" => dec(3200, 2),
        "EGP" => dec(4800, 2),
        "ZAR" => dec(1850, 2),
        _ => dec(1, 0),
    }
}

fn dec(n: i64, scale: u32) -> Decimal {
    Decimal::new(n, scale)
}

/// Marketplaces whose orders carry marketplace-facilitator tax lines (tax collected and
/// remitted by Amazon: it nets to zero in proceeds).
fn facilitator_tax(country: &str) -> bool {
    matches!(country, "US" | "CA" | "MX")
}

fn weight(country: &str) -> f64 {
    match country {
        "US" => 50.0,
        "DE" => 12.0,
        "UK" => 10.0,
        "CA" => 6.0,
        "FR" => 6.0,
        "IT" => 5.0,
        "ES" => 5.0,
        "JP" => 4.0,
        "MX" => 2.0,
        _ => 2.0,
    }
}

const STATES: &[(&str, &str, &str)] = &[
    ("Seattle", "WA", "98101"),
    ("Austin", "TX", "73301"),
    ("Denver", "CO", "80202"),
    ("Miami", "FL", "33101"),
    ("Columbus", "OH", "43004"),
    ("Portland", "OR", "97201"),
    ("Boston", "MA", "02108"),
    ("Phoenix", "AZ", "85001"),
];
const WORDS: &[&str] = &[
    "Bamboo", "Steel", "Organic", "Café", "Crème", "Über", "Nordic", "Premium", "Eco", "Smart",
    "Mini", "Deluxe", "Señor", "Größe",
];
const THINGS: &[&str] = &[
    "Cutting Board",
    "Water Bottle",
    "Yoga Mat",
    "Desk Lamp",
    "Phone Stand",
    "Coffee Grinder",
    "Backpack",
    "Notebook",
    "Tea Kettle",
    "Spice Rack",
];
const JP_THINGS: &[&str] = &[
    "まな板",
    "水筒",
    "ヨガマット",
    "デスクライト",
    "コーヒーミル",
];
const FCS: &[&str] = &[
    "PHX7", "SEA8", "BFI4", "LEJ1", "MAD4", "LTN2", "NRT5", "YYZ4", "MEX1", "CDG7", "MXP5",
];

struct Gen {
    rng: ChaCha8Rng,
    next_id: u64,
}

impl Gen {
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.gen_range(0..10u8)))
            .collect()
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..n)
            .map(|_| A[self.rng.gen_range(0..A.len())] as char)
            .collect()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
    fn seconds(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::seconds(self.rng.gen_range(lo..hi))
    }
}

fn price_in(base_usd: Decimal, currency: &str) -> Decimal {
    let raw = base_usd * fx(currency);
    if currency == "JPY" {
        (raw / dec(10, 0)).round() * dec(10, 0) - dec(1, 0).min(dec(0, 0))
    } else {
        // Charm pricing: x.99.
        raw.trunc() + dec(99, 2)
    }
}

/// Generates the seller described by `spec`.
pub fn generate(spec: &SellerSpec) -> Seller {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        next_id: 1_000,
    };
    let start = spec.end - Duration::days(spec.history_days);
    let mkts: Vec<&'static Marketplace> = spec
        .marketplaces
        .iter()
        .filter_map(|c| marketplaces::by_country(c))
        .collect();
    let seller_id = format!("A{}", g.alnum(13));
    let store_name = format!("{} Goods", WORDS[g.rng.gen_range(0..WORDS.len())]);

    // Catalog, with a few variation families.
    let mut products = Vec::with_capacity(spec.products);
    for i in 0..spec.products {
        let parent = if i % 7 == 3 {
            products
                .last()
                .map(|p: &Product| p.parent_asin.clone().unwrap_or_else(|| p.asin.clone()))
        } else {
            None
        };
        let base = dec(g.rng.gen_range(799..7999), 2);
        let tier = if g.chance(0.7) {
            "Standard"
        } else if g.chance(0.5) {
            "Small standard"
        } else {
            "Large bulky"
        };
        let fba = match tier {
            "Small standard" => dec(g.rng.gen_range(306..360), 2),
            "Standard" => dec(g.rng.gen_range(389..612), 2),
            _ => dec(g.rng.gen_range(925..1990), 2),
        };
        let mut title = format!(
            "{} {} {}",
            WORDS[g.rng.gen_range(0..WORDS.len())],
            THINGS[g.rng.gen_range(0..THINGS.len())],
            i + 1
        );
        if i % 5 == 2 {
            // Sizes in inches: a bare `"` inside an unquoted flat-file field.
            title.push_str(&format!(" {}\"", 8 + i % 7));
        }
        // Characters the all-listings report writes as HTML entities.
        if i % 11 == 4 {
            title.push_str(" & Lid");
        }
        if i % 13 == 6 {
            title.push_str(" (Baker's Choice)");
        }
        products.push(Product {
            sku: format!("SKU-{:04}-{}", i + 1, g.alnum(3)),
            asin: format!("B0{}", g.alnum(8)),
            fnsku: format!("X00{}", g.alnum(7)),
            title,
            title_ja: format!("{} {}", JP_THINGS[i % JP_THINGS.len()], i + 1),
            brand: store_name.clone(),
            base_price_usd: base,
            referral_rate: if i % 5 == 0 {
                dec(8, 2)
            } else if i % 5 == 1 {
                dec(12, 2)
            } else {
                dec(15, 2)
            },
            fba_fee_usd: fba,
            size_tier: tier,
            parent_asin: parent,
        });
    }

    // Listings: every product in the US (or the first marketplace), others at random.
    let mut listings = Vec::new();
    for (pi, p) in products.iter().enumerate() {
        for (mi, m) in mkts.iter().enumerate() {
            if mi == 0 || g.chance(0.65) {
                listings.push(Listing {
                    product: pi,
                    marketplace_id: m.id,
                    price: price_in(p.base_price_usd, m.currency),
                    fulfillment: if g.chance(0.8) {
                        Fulfillment::Afn
                    } else {
                        Fulfillment::Mfn
                    },
                    open_date: start - Duration::days(g.rng.gen_range(10..400)),
                });
            }
        }
    }

    // Seasonality: growth, Prime Day in mid July, Q4 peak.
    let days: Vec<NaiveDate> = (0..spec.history_days)
        .map(|d| (start + Duration::days(d)).date_naive())
        .collect();
    let day_weights: Vec<f64> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let growth = 1.0 + i as f64 / spec.history_days as f64;
            let season = match (d.month(), d.day()) {
                (7, 10..=17) => 2.5,
                (11, 20..=30) => 2.2,
                (11, _) | (12, 1..=20) => 1.6,
                (1, _) => 0.8,
                _ => 1.0,
            };
            growth * season
        })
        .collect();
    let day_dist = WeightedIndex::new(&day_weights).expect("day weights");
    let mkt_dist = WeightedIndex::new(mkts.iter().map(|m| weight(m.country_code)))
        .expect("marketplace weights");
    let listings_by_mkt: Vec<Vec<usize>> = mkts
        .iter()
        .map(|m| {
            listings
                .iter()
                .enumerate()
                .filter(|(_, l)| l.marketplace_id == m.id)
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let pop_dists: Vec<WeightedIndex<f64>> = listings_by_mkt
        .iter()
        .map(|ls| {
            WeightedIndex::new(
                ls.iter()
                    .enumerate()
                    .map(|(rank, _)| 1.0 / (1.0 + rank as f64).powf(0.8)),
            )
            .expect("popularity")
        })
        .collect();

    let mut orders = Vec::with_capacity(spec.orders);
    for _ in 0..spec.orders {
        let mi = mkt_dist.sample(&mut g.rng);
        let m = mkts[mi];
        let day = days[day_dist.sample(&mut g.rng)];
        let purchase =
            Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap()) + g.seconds(0, 86_400);
        let n_items = if g.chance(0.82) {
            1
        } else if g.chance(0.75) {
            2
        } else {
            3
        };
        let first = &listings[listings_by_mkt[mi][pop_dists[mi].sample(&mut g.rng)]];
        let fulfillment = first.fulfillment;
        let cur = m.currency;
        let tax_rate = if facilitator_tax(m.country_code) {
            dec(g.rng.gen_range(500..1000), 4)
        } else {
            Decimal::ZERO
        };
        let mut items = Vec::new();
        let mut used = vec![];
        for k in 0..n_items {
            let li = if k == 0 {
                listings_by_mkt[mi]
                    .iter()
                    .position(|&x| std::ptr::eq(&listings[x], first))
                    .unwrap()
            } else {
                pop_dists[mi].sample(&mut g.rng)
            };
            let l = &listings[listings_by_mkt[mi][li]];
            if used.contains(&l.product) {
                continue;
            }
            used.push(l.product);
            let qty = if g.chance(0.86) {
                1
            } else {
                g.rng.gen_range(2..4)
            };
            let principal = l.price * Decimal::from(qty);
            let promotion = if g.chance(0.1) {
                round(principal * dec(g.rng.gen_range(10..25), 2), cur)
            } else {
                Decimal::ZERO
            };
            let shipping = match (fulfillment, g.chance(0.3)) {
                (Fulfillment::Mfn, true) => price_in(dec(399, 2), cur),
                (Fulfillment::Afn, true) if k == 0 && g.chance(0.3) => price_in(dec(299, 2), cur),
                _ => Decimal::ZERO,
            };
            let ship_promotion = if shipping > Decimal::ZERO && g.chance(0.2) {
                shipping
            } else {
                Decimal::ZERO
            };
            let gift_wrap = if g.chance(0.02) {
                price_in(dec(399, 2), cur)
            } else {
                Decimal::ZERO
            };
            items.push(OrderItem {
                order_item_id: g.digits(14),
                product: l.product,
                quantity: qty,
                principal,
                tax: round((principal - promotion) * tax_rate, cur),
                shipping,
                shipping_tax: round((shipping - ship_promotion) * tax_rate, cur),
                gift_wrap,
                gift_wrap_tax: round(gift_wrap * tax_rate, cur),
                promotion,
                ship_promotion,
                promotion_id: (promotion > Decimal::ZERO).then(|| format!("PLM-{}", g.alnum(8))),
            });
        }
        let prefix = match m.region.code() {
            "NA" => g.rng.gen_range(111..115),
            "EU" => g.rng.gen_range(202..208),
            _ => g.rng.gen_range(249..250),
        };
        let id = format!("{prefix}-{}-{}", g.digits(7), g.digits(7));
        let age = spec.end - purchase;
        let status = if age < Duration::hours(12) {
            OrderStatus::Pending
        } else if age < Duration::days(2) && fulfillment == Fulfillment::Mfn {
            OrderStatus::Unshipped
        } else if g.chance(0.025) {
            OrderStatus::Canceled
        } else {
            OrderStatus::Shipped
        };
        let ship_date = (status == OrderStatus::Shipped)
            .then(|| {
                purchase
                    + g.seconds(
                        3_600,
                        if fulfillment == Fulfillment::Afn {
                            40_000
                        } else {
                            170_000
                        },
                    )
            })
            .map(|d| d.min(spec.end - Duration::seconds(1)));
        let base = ship_date.unwrap_or(purchase + Duration::days(1));
        let earliest = base + Duration::days(g.rng.gen_range(1..4));
        let latest = earliest + Duration::days(g.rng.gen_range(1..4));
        let (city, state, zip) = STATES[g.rng.gen_range(0..STATES.len())];
        let last_update = match status {
            OrderStatus::Shipped => ship_date.unwrap(),
            OrderStatus::Canceled => purchase + g.seconds(600, 20_000),
            _ => purchase,
        }
        .min(spec.end);
        orders.push(Order {
            id,
            marketplace_id: m.id,
            currency: cur,
            purchase_date: purchase,
            last_update,
            status,
            fulfillment,
            items,
            ship_date,
            earliest_delivery: earliest,
            latest_delivery: latest,
            is_business: g.chance(0.04),
            is_prime: fulfillment == Fulfillment::Afn && g.chance(0.7),
            ship_to: Address {
                city: if m.country_code == "US" {
                    city
                } else {
                    "Capital"
                },
                state: if m.country_code == "US" { state } else { "" },
                postal_code: if m.country_code == "US" {
                    zip.to_string()
                } else {
                    g.digits(5)
                },
                country: if m.country_code == "UK" {
                    "GB"
                } else {
                    m.country_code
                },
            },
            ship_service_level: if fulfillment == Fulfillment::Afn {
                "Expedited"
            } else {
                "Std Cont US Street Addr"
            },
        });
    }
    orders.sort_by(|a, b| a.purchase_date.cmp(&b.purchase_date).then(a.id.cmp(&b.id)));

    let mut s = Seller {
        spec: spec.clone(),
        seller_id,
        store_name,
        marketplaces: mkts,
        products,
        listings,
        orders,
        transactions: vec![],
        settlements: vec![],
        returns: vec![],
        reimbursements: vec![],
        inventory: vec![],
        ledger: vec![],
        ads_profiles: vec![],
        campaigns: vec![],
        ads_days: vec![],
        listing_events: vec![],
        feedback: vec![],
        order_index: Default::default(),
    };
    s.order_index = s
        .orders
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.clone(), i))
        .collect();
    money(&mut s, &mut g, start);
    ads(&mut s, &mut g, start);
    settle(&mut s, &mut g, start);
    inventory(&mut s, &mut g, start);
    feedback(&mut s, &mut g);
    s
}

fn line(category: &'static str, kind: &'static str, amount: Decimal) -> MoneyLine {
    MoneyLine {
        category,
        kind,
        amount,
    }
}

fn fee_local(s: &Seller, usd: Decimal, currency: &str) -> Decimal {
    let _ = s;
    round(usd * fx(currency), currency)
}

/// The items of an order's shipment transaction (Amazon's settlement lines per order item)
/// and each item's commission, which a refund of the item gives back.
pub(crate) fn shipment_items(s: &Seller, o: &Order) -> (Vec<TxItem>, Vec<Decimal>) {
    let cur = o.currency;
    let facilitator = o
        .items
        .iter()
        .any(|i| i.tax > Decimal::ZERO || i.shipping_tax > Decimal::ZERO);
    let mut items = Vec::new();
    let mut commissions = Vec::new();
    for it in &o.items {
        let p = &s.products[it.product];
        let mut lines = vec![line("ItemPrice", "Principal", it.principal)];
        if it.tax > Decimal::ZERO {
            lines.push(line("ItemPrice", "Tax", it.tax));
        }
        if it.shipping > Decimal::ZERO {
            lines.push(line("ItemPrice", "Shipping", it.shipping));
            if it.shipping_tax > Decimal::ZERO {
                lines.push(line("ItemPrice", "ShippingTax", it.shipping_tax));
            }
        }
        if it.gift_wrap > Decimal::ZERO {
            lines.push(line("ItemPrice", "GiftWrap", it.gift_wrap));
            if it.gift_wrap_tax > Decimal::ZERO {
                lines.push(line("ItemPrice", "GiftWrapTax", it.gift_wrap_tax));
            }
        }
        if facilitator {
            if it.tax > Decimal::ZERO {
                lines.push(line(
                    "ItemWithheldTax",
                    "MarketplaceFacilitatorTax-Principal",
                    -it.tax,
                ));
            }
            if it.shipping_tax > Decimal::ZERO {
                lines.push(line(
                    "ItemWithheldTax",
                    "MarketplaceFacilitatorTax-Shipping",
                    -it.shipping_tax,
                ));
            }
            if it.gift_wrap_tax > Decimal::ZERO {
                lines.push(line(
                    "ItemWithheldTax",
                    "MarketplaceFacilitatorTax-Giftwrap",
                    -it.gift_wrap_tax,
                ));
            }
        }
        if it.promotion > Decimal::ZERO {
            lines.push(line("Promotion", "Principal", -it.promotion));
        }
        if it.ship_promotion > Decimal::ZERO {
            lines.push(line("Promotion", "Shipping", -it.ship_promotion));
        }
        let sales = it.principal + it.shipping + it.gift_wrap - it.promotion - it.ship_promotion;
        let minimum = fee_local(s, dec(30, 2), cur) * Decimal::from(it.quantity);
        let commission = round(sales * p.referral_rate, cur).max(minimum);
        commissions.push(commission);
        lines.push(line("ItemFees", "Commission", -commission));
        if o.fulfillment == Fulfillment::Afn {
            lines.push(line(
                "ItemFees",
                "FBAPerUnitFulfillmentFee",
                -fee_local(s, p.fba_fee_usd, cur) * Decimal::from(it.quantity),
            ));
            if it.shipping > Decimal::ZERO {
                lines.push(line(
                    "ItemFees",
                    "ShippingChargeback",
                    -(it.shipping - it.ship_promotion),
                ));
            }
            if it.gift_wrap > Decimal::ZERO {
                lines.push(line("ItemFees", "GiftwrapChargeback", -it.gift_wrap));
            }
        }
        lines.retain(|l| !l.amount.is_zero());
        items.push(TxItem {
            product: Some(it.product),
            order_item_id: Some(it.order_item_id.clone()),
            quantity: it.quantity,
            lines,
        });
    }
    (items, commissions)
}

/// When a shipment's money is released: US orders are held until 7 days after delivery
/// (Amazon's delivery-date policy), elsewhere at shipping.
pub(crate) fn release_of(o: &Order, ship: DateTime<Utc>) -> DateTime<Utc> {
    if o.marketplace_id == "ATVPDKIKX0DER" {
        o.latest_delivery + Duration::days(7)
    } else {
        ship
    }
}

/// The lines of a whole-item refund: the price and taxes back, the commission back less
/// Amazon's refund administration fee (20% of it, capped).
pub(crate) fn refund_lines(
    s: &Seller,
    it: &OrderItem,
    commission: Decimal,
    cur: &str,
) -> Vec<MoneyLine> {
    let refund_commission = round(commission * dec(20, 2), cur).min(fee_local(s, dec(500, 2), cur));
    let mut lines = vec![line("ItemPrice", "Principal", -it.principal)];
    if it.tax > Decimal::ZERO {
        lines.push(line("ItemPrice", "Tax", -it.tax));
        lines.push(line(
            "ItemWithheldTax",
            "MarketplaceFacilitatorTax-Principal",
            it.tax,
        ));
    }
    if it.promotion > Decimal::ZERO {
        lines.push(line("Promotion", "Principal", it.promotion));
    }
    lines.push(line("ItemFees", "Commission", commission));
    lines.push(line("ItemFees", "RefundCommission", -refund_commission));
    lines
}

/// Shipments, refunds, returns, reimbursements and account-level fees.
fn money(s: &mut Seller, g: &mut Gen, start: DateTime<Utc>) {
    let end = s.spec.end;
    let mut txs = Vec::new();
    let mut returns = Vec::new();
    let mut reimbursements = Vec::new();
    for o in &s.orders {
        let Some(ship) = o.ship_date else { continue };
        let cur = o.currency;
        let (items, commissions) = shipment_items(s, o);
        // US orders are held until 7 days after delivery (Amazon's delivery-date policy).
        let release = release_of(o, ship);
        txs.push(Transaction {
            id: format!("TX{}", g.id()),
            kind: TxKind::Shipment,
            posted: ship,
            release,
            marketplace_id: o.marketplace_id,
            currency: cur,
            order_id: Some(o.id.clone()),
            adjustment_id: None,
            description: "Order",
            items,
            settlement: None,
        });

        // Refunds (one item, whole quantity), with or without a matching customer return.
        if g.chance(0.05) {
            let k = g.rng.gen_range(0..o.items.len());
            let it = &o.items[k];
            let refund_at =
                o.latest_delivery + Duration::days(g.rng.gen_range(2..30)) + g.seconds(0, 86_400);
            if refund_at < end {
                let lines = refund_lines(s, it, commissions[k], cur);
                txs.push(Transaction {
                    id: format!("TX{}", g.id()),
                    kind: TxKind::Refund,
                    posted: refund_at,
                    release: refund_at,
                    marketplace_id: o.marketplace_id,
                    currency: cur,
                    order_id: Some(o.id.clone()),
                    adjustment_id: Some(format!("amzn1:crow:{}", g.alnum(16).to_lowercase())),
                    description: "Refund",
                    items: vec![TxItem {
                        product: Some(it.product),
                        order_item_id: Some(it.order_item_id.clone()),
                        quantity: it.quantity,
                        lines,
                    }],
                    settlement: None,
                });
                let returned = o.fulfillment == Fulfillment::Afn && g.chance(0.75);
                if returned {
                    let at = (refund_at + Duration::days(g.rng.gen_range(-3..10)))
                        .min(end - Duration::seconds(1));
                    let (disposition, reason) = *[
                        ("SELLABLE", "NOT_AS_DESCRIBED"),
                        ("SELLABLE", "UNWANTED_ITEM"),
                        ("CUSTOMER_DAMAGED", "DAMAGED_BY_CARRIER"),
                        ("DEFECTIVE", "DEFECTIVE"),
                        ("CARRIER_DAMAGED", "DAMAGED_BY_FC"),
                    ]
                    .choose(&mut g.rng)
                    .unwrap();
                    returns.push(CustomerReturn {
                        order_id: o.id.clone(),
                        product: it.product,
                        marketplace_id: o.marketplace_id,
                        quantity: it.quantity,
                        return_date: at,
                        disposition,
                        reason,
                        fulfillment_center: FCS[g.rng.gen_range(0..FCS.len())],
                        license_plate: format!("LPN{}", g.alnum(9)),
                        refunded: true,
                    });
                } else if o.fulfillment == Fulfillment::Afn && g.chance(0.5) {
                    // Never returned: Amazon reimburses the unit after 45 days.
                    let at = refund_at + Duration::days(45) + g.seconds(0, 86_400);
                    if at < end {
                        let per_unit =
                            round(it.principal / Decimal::from(it.quantity) * dec(85, 2), cur);
                        reimburse(
                            s,
                            g,
                            &mut txs,
                            &mut reimbursements,
                            at,
                            Some(o.id.clone()),
                            "CustomerReturn",
                            "CUSTOMER_RETURN",
                            it.product,
                            o.marketplace_id,
                            cur,
                            per_unit,
                            it.quantity,
                        );
                    }
                }
            }
        } else if o.fulfillment == Fulfillment::Afn && g.chance(0.003) {
            let it = &o.items[0];
            returns.push(CustomerReturn {
                order_id: o.id.clone(),
                product: it.product,
                marketplace_id: o.marketplace_id,
                quantity: 1,
                return_date: (o.latest_delivery + Duration::days(5))
                    .min(end - Duration::seconds(1)),
                disposition: "SELLABLE",
                reason: "UNWANTED_ITEM",
                fulfillment_center: FCS[g.rng.gen_range(0..FCS.len())],
                license_plate: format!("LPN{}", g.alnum(9)),
                refunded: false,
            });
        }
    }

    // Account-level fees and warehouse reimbursements, month by month.
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap();
    let afn: Vec<&'static str> = s
        .marketplaces
        .iter()
        .filter(|m| {
            s.listings
                .iter()
                .any(|l| l.marketplace_id == m.id && l.fulfillment == Fulfillment::Afn)
        })
        .map(|m| m.id)
        .collect();
    let homes: Vec<&'static Marketplace> = ["NA", "EU", "FE"]
        .iter()
        .filter_map(|r| {
            s.marketplaces
                .iter()
                .find(|m| m.region.code() == *r)
                .copied()
        })
        .collect();
    while month <= end.date_naive() {
        let next = month + chrono::Months::new(1);
        let at = |day: u32, g: &mut Gen| {
            Utc.from_utc_datetime(&month.with_day(day).unwrap().and_hms_opt(0, 0, 0).unwrap())
                + g.seconds(3_600, 80_000)
        };
        for m in &homes {
            let t = at(1, g);
            if t > start && t < end {
                let fee = if m.currency == "JPY" {
                    dec(4900, 0)
                } else if m.currency == "EUR" {
                    dec(3900, 2)
                } else if m.currency == "GBP" {
                    dec(2500, 2)
                } else {
                    fee_local(s, dec(3999, 2), m.currency)
                };
                service_fee(
                    g,
                    &mut txs,
                    t,
                    m.id,
                    m.currency,
                    "Subscription Fee",
                    vec![(None, -fee)],
                );
            }
        }
        for mid in &afn {
            let cur = marketplaces::by_id(mid).unwrap().currency;
            let t = at(g.rng.gen_range(7..15), g);
            if t > start && t < end {
                let per_sku: Vec<(Option<usize>, Decimal)> = s
                    .listings
                    .iter()
                    .filter(|l| l.marketplace_id == *mid && l.fulfillment == Fulfillment::Afn)
                    .map(|l| {
                        (
                            Some(l.product),
                            -fee_local(s, dec(g.rng.gen_range(20..1800), 2), cur),
                        )
                    })
                    .collect();
                service_fee(g, &mut txs, t, mid, cur, "Storage Fee", per_sku);
            }
            if [2, 5, 8, 11].contains(&month.month()) {
                let t = at(g.rng.gen_range(15..20), g);
                if t > start && t < end && g.chance(0.7) {
                    let l = s
                        .listings
                        .iter()
                        .filter(|l| l.marketplace_id == *mid && l.fulfillment == Fulfillment::Afn)
                        .nth(g.rng.gen_range(0..3))
                        .map(|l| l.product);
                    {
                        let amount = -fee_local(s, dec(g.rng.gen_range(100..4000), 2), cur);
                        service_fee(
                            g,
                            &mut txs,
                            t,
                            mid,
                            cur,
                            "Long-Term Storage Fee",
                            vec![(l, amount)],
                        );
                    }
                }
            }
            let t = at(g.rng.gen_range(16..26), g);
            if t > start && t < end {
                {
                    let amount = -fee_local(s, dec(g.rng.gen_range(500..9000), 2), cur);
                    service_fee(
                        g,
                        &mut txs,
                        t,
                        mid,
                        cur,
                        "FBA Inbound Placement Service Fee",
                        vec![(None, amount)],
                    );
                }
                if g.chance(0.2) {
                    let l = s
                        .listings
                        .iter()
                        .filter(|l| l.marketplace_id == *mid && l.fulfillment == Fulfillment::Afn)
                        .map(|l| l.product)
                        .nth(g.rng.gen_range(0..2));
                    {
                        let amount = -fee_local(s, dec(g.rng.gen_range(50..900), 2), cur);
                        service_fee(
                            g,
                            &mut txs,
                            t + Duration::hours(2),
                            mid,
                            cur,
                            "FBA Removal Order: Disposal Fee",
                            vec![(l, amount)],
                        );
                    }
                }
            }
            for _ in 0..g.rng.gen_range(0..3) {
                let t = at(g.rng.gen_range(1..28), g);
                let lst: Vec<&Listing> = s
                    .listings
                    .iter()
                    .filter(|l| l.marketplace_id == *mid && l.fulfillment == Fulfillment::Afn)
                    .collect();
                let l = lst[g.rng.gen_range(0..lst.len())];
                let (reason, desc) = if g.chance(0.6) {
                    ("Lost_Warehouse", "WAREHOUSE_LOST")
                } else {
                    ("Damaged_Warehouse", "WAREHOUSE_DAMAGE")
                };
                if t > start && t < end {
                    let qty = g.rng.gen_range(1..4);
                    let per_unit = round(l.price * dec(70, 2), cur);
                    reimburse(
                        s,
                        g,
                        &mut txs,
                        &mut reimbursements,
                        t,
                        None,
                        reason,
                        desc,
                        l.product,
                        mid,
                        cur,
                        per_unit,
                        qty,
                    );
                }
            }
        }
        month = next;
    }
    reverse_reimbursements(g, end, &mut txs, &mut reimbursements);
    txs.sort_by(|a, b| a.posted.cmp(&b.posted).then(a.id.cmp(&b.id)));
    // Reimbursements point at their transaction by id; re-resolve after sorting.
    let index: std::collections::BTreeMap<&str, usize> = txs
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    for r in &mut reimbursements {
        r.transaction = index[format!("TX{}", r.transaction).as_str()];
    }
    returns.sort_by(|a, b| {
        a.return_date
            .cmp(&b.return_date)
            .then(a.order_id.cmp(&b.order_id))
    });
    reimbursements.sort_by(|a, b| a.approval_date.cmp(&b.approval_date).then(a.id.cmp(&b.id)));
    s.transactions = txs;
    s.returns = returns;
    s.reimbursements = reimbursements;
}

#[allow(clippy::too_many_arguments)]
fn service_fee(
    g: &mut Gen,
    txs: &mut Vec<Transaction>,
    at: DateTime<Utc>,
    mid: &'static str,
    cur: &'static str,
    description: &'static str,
    amounts: Vec<(Option<usize>, Decimal)>,
) {
    let items = amounts
        .into_iter()
        .filter(|(_, a)| !a.is_zero())
        .map(|(p, a)| TxItem {
            product: p,
            order_item_id: None,
            quantity: 0,
            lines: vec![line("other-transaction", description, a)],
        })
        .collect::<Vec<_>>();
    if items.is_empty() {
        return;
    }
    txs.push(Transaction {
        id: format!("TX{}", g.id()),
        kind: TxKind::ServiceFee,
        posted: at,
        release: at,
        marketplace_id: mid,
        currency: cur,
        order_id: None,
        adjustment_id: None,
        description,
        items,
        settlement: None,
    });
}

#[allow(clippy::too_many_arguments)]
fn reimburse(
    _s: &Seller,
    g: &mut Gen,
    txs: &mut Vec<Transaction>,
    out: &mut Vec<Reimbursement>,
    at: DateTime<Utc>,
    order_id: Option<String>,
    reason: &'static str,
    description: &'static str,
    product: usize,
    mid: &'static str,
    cur: &'static str,
    per_unit: Decimal,
    qty: i64,
) {
    let n = g.id();
    let total = per_unit * Decimal::from(qty);
    txs.push(Transaction {
        id: format!("TX{n}"),
        kind: TxKind::Adjustment,
        posted: at,
        release: at,
        marketplace_id: mid,
        currency: cur,
        order_id: order_id.clone(),
        adjustment_id: Some(g.digits(10)),
        description,
        items: vec![TxItem {
            product: Some(product),
            order_item_id: None,
            quantity: qty,
            lines: vec![line("FBA Inventory Reimbursement", description, total)],
        }],
        settlement: None,
    });
    out.push(Reimbursement {
        id: g.digits(11),
        approval_date: at,
        order_id,
        reason,
        product,
        marketplace_id: mid,
        currency: cur,
        amount_per_unit: per_unit,
        amount_total: total,
        quantity: qty,
        // Temporarily the numeric id; resolved to an index once transactions are sorted.
        transaction: n as usize,
        original: None,
    });
}

/// Units reimbursed as lost that turn up again: Amazon takes the money back a month later
/// (`Reimbursement_Reversal`, negative quantity and amount). Every third warehouse-lost
/// reimbursement is reversed; ids derive from the original so no random draw shifts.
fn reverse_reimbursements(
    g: &mut Gen,
    end: DateTime<Utc>,
    txs: &mut Vec<Transaction>,
    out: &mut Vec<Reimbursement>,
) {
    let originals: Vec<Reimbursement> = out
        .iter()
        .filter(|r| r.reason == "Lost_Warehouse")
        .step_by(3)
        .filter(|r| r.approval_date + Duration::days(30) < end)
        .cloned()
        .collect();
    for r in originals {
        let at = r.approval_date + Duration::days(30);
        let n = g.id();
        let id = format!("{}", r.id.parse::<u64>().unwrap_or(0) + 7);
        txs.push(Transaction {
            id: format!("TX{n}"),
            kind: TxKind::Adjustment,
            posted: at,
            release: at,
            marketplace_id: r.marketplace_id,
            currency: r.currency,
            order_id: None,
            adjustment_id: Some(format!("{id}0")),
            description: "REVERSAL_REIMBURSEMENT",
            items: vec![TxItem {
                product: Some(r.product),
                order_item_id: None,
                quantity: -r.quantity,
                lines: vec![line(
                    "FBA Inventory Reimbursement",
                    "REVERSAL_REIMBURSEMENT",
                    -r.amount_total,
                )],
            }],
            settlement: None,
        });
        out.push(Reimbursement {
            id,
            approval_date: at,
            order_id: None,
            reason: "Reimbursement_Reversal",
            product: r.product,
            marketplace_id: r.marketplace_id,
            currency: r.currency,
            amount_per_unit: r.amount_per_unit,
            amount_total: -r.amount_total,
            quantity: -r.quantity,
            transaction: n as usize,
            original: Some((r.id.clone(), r.reason)),
        });
    }
}

/// A large advertiser's campaigns in `profile` ([`AdsScale`]).
fn scaled_campaigns(
    s: &mut Seller,
    g: &mut Gen,
    profile: usize,
    products: &[usize],
    scale: AdsScale,
    currency: &'static str,
) {
    let start = (s.spec.end - Duration::days(scale.days)).date_naive();
    for ci in 0..scale.campaigns {
        let p = products[ci % products.len().max(1)];
        let bid = fee_local(s, dec(g.rng.gen_range(40..180), 2), currency);
        let keywords = (0..scale.keywords_per_campaign)
            .map(|k| Keyword {
                id: 200_000_000_000 + g.id() as i64,
                text: format!("{} {k}", THINGS[(ci + k) % THINGS.len()].to_lowercase()),
                match_type: ["EXACT", "PHRASE", "BROAD"][k % 3],
                bid,
                state: "ENABLED",
            })
            .collect();
        s.campaigns.push(Campaign {
            id: 100_000_000_000 + g.id() as i64,
            profile,
            name: format!("SP - {} - {ci}", s.products[p].sku),
            state: "ENABLED",
            daily_budget: fee_local(s, dec(g.rng.gen_range(1000..5000), 2), currency),
            start_date: start,
            ad_groups: vec![AdGroup {
                id: 300_000_000_000 + g.id() as i64,
                name: "Ad group 1".into(),
                default_bid: bid,
                product: p,
                keywords,
            }],
        });
    }
}

/// Ads profiles, Sponsored Products campaigns with daily metrics, and their monthly invoices
/// paid from proceeds (the invoice equals the month's summed cost, to the cent).
fn ads(s: &mut Seller, g: &mut Gen, start: DateTime<Utc>) {
    let end = s.spec.end;
    for m in s.marketplaces.clone() {
        if !["US", "UK", "DE", "JP", "CA"].contains(&m.country_code) {
            continue;
        }
        let profile = s.ads_profiles.len();
        s.ads_profiles.push(AdsProfile {
            profile_id: 1_000_000_000 + g.rng.gen_range(0..999_999_999),
            marketplace_id: m.id,
            country_code: m.country_code,
            currency: m.currency,
            timezone: m.time_zone,
        });
        let products: Vec<usize> = s
            .listings
            .iter()
            .filter(|l| l.marketplace_id == m.id)
            .map(|l| l.product)
            .take(6)
            .collect();
        if let (0, Some(scale)) = (profile, s.spec.ads_scale) {
            scaled_campaigns(s, g, profile, &products, scale, m.currency);
            continue;
        }
        for (ci, p) in products.iter().enumerate().take(4) {
            let id = 100_000_000_000 + g.id() as i64;
            let bid = fee_local(s, dec(g.rng.gen_range(40..180), 2), m.currency);
            let keywords = (0..3)
                .map(|k| Keyword {
                    id: 200_000_000_000 + g.id() as i64,
                    text: format!(
                        "{} {}",
                        THINGS[(ci + k) % THINGS.len()].to_lowercase(),
                        ["best", "cheap", "gift"][k]
                    ),
                    match_type: ["EXACT", "PHRASE", "BROAD"][k],
                    bid,
                    state: if k == 2 && g.chance(0.3) {
                        "PAUSED"
                    } else {
                        "ENABLED"
                    },
                })
                .collect();
            s.campaigns.push(Campaign {
                id,
                profile,
                name: format!(
                    "SP - {} - {}",
                    s.products[*p].sku,
                    ["Auto", "Exact", "Brand", "Research"][ci]
                ),
                state: if ci == 3 { "PAUSED" } else { "ENABLED" },
                daily_budget: fee_local(s, dec(g.rng.gen_range(1000..5000), 2), m.currency),
                start_date: start.date_naive(),
                ad_groups: vec![AdGroup {
                    id: 300_000_000_000 + g.id() as i64,
                    name: "Ad group 1".into(),
                    default_bid: bid,
                    product: *p,
                    keywords,
                }],
            });
        }
    }
    let tz_days = (end - start).num_days();
    for (ci, c) in s.campaigns.iter().enumerate() {
        let cur = s.ads_profiles[c.profile].currency;
        for d in 0..tz_days {
            let date = c.start_date + Duration::days(d);
            if date >= start.date_naive() + Duration::days(tz_days) {
                break;
            }
            if c.state == "PAUSED" && d > tz_days / 2 {
                continue;
            }
            let impressions = g.rng.gen_range(200..4000);
            let clicks = impressions * g.rng.gen_range(3..12) / 1000;
            let cpc = fee_local(s, dec(g.rng.gen_range(35..150), 2), cur);
            let cost = round(cpc * Decimal::from(clicks), cur);
            let purchases = clicks * g.rng.gen_range(5..15) / 100;
            let price = s
                .listings
                .iter()
                .find(|l| {
                    l.product == c.ad_groups[0].product
                        && l.marketplace_id == s.ads_profiles[c.profile].marketplace_id
                })
                .map(|l| l.price)
                .unwrap_or_default();
            s.ads_days.push(AdsDay {
                campaign: ci,
                date,
                impressions,
                clicks,
                cost,
                purchases7d: purchases,
                sales7d: price * Decimal::from(purchases),
                units7d: purchases,
            });
        }
    }
    // Monthly invoices, billed on the 3rd for the previous month.
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap();
    while month <= end.date_naive() {
        let next = month + chrono::Months::new(1);
        for (pi, p) in s.ads_profiles.clone().iter().enumerate() {
            let cost: Decimal = s
                .ads_days
                .iter()
                .filter(|d| {
                    s.campaigns[d.campaign].profile == pi && d.date >= month && d.date < next
                })
                .map(|d| d.cost)
                .sum();
            let at =
                Utc.from_utc_datetime(&next.with_day(3).unwrap().and_hms_opt(6, 0, 0).unwrap());
            if cost > Decimal::ZERO && at < end {
                let mut items = vec![TxItem {
                    product: None,
                    order_item_id: None,
                    quantity: 0,
                    lines: vec![line("other-transaction", "Cost of Advertising", -cost)],
                }];
                items.retain(|i| !i.lines.is_empty());
                s.transactions.push(Transaction {
                    id: format!("TX{}", g.id()),
                    kind: TxKind::AdsPayment,
                    posted: at,
                    release: at,
                    marketplace_id: p.marketplace_id,
                    currency: p.currency,
                    order_id: None,
                    adjustment_id: Some(format!("TR{}", g.digits(10))),
                    description: "Cost of Advertising",
                    items,
                    settlement: None,
                });
            }
        }
        month = next;
    }
    // Keep transactions in posting order (reimbursement indexes are re-resolved below).
    let ids: Vec<String> = s
        .reimbursements
        .iter()
        .map(|r| s.transactions[r.transaction].id.clone())
        .collect();
    s.transactions
        .sort_by(|a, b| a.posted.cmp(&b.posted).then(a.id.cmp(&b.id)));
    let index: std::collections::BTreeMap<&str, usize> = s
        .transactions
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let resolved: Vec<usize> = ids.iter().map(|id| index[id.as_str()]).collect();
    for (r, i) in s.reimbursements.iter_mut().zip(resolved) {
        r.transaction = i;
    }
}

/// Settlement groups of 14 days per marketplace; a transaction belongs to the group its
/// release falls in. Groups that ended before `end` are closed and paid out.
fn settle(s: &mut Seller, g: &mut Gen, start: DateTime<Utc>) {
    let end = s.spec.end;
    let anchor = start - Duration::days(3);
    for m in s.marketplaces.clone() {
        let mut t0 = anchor;
        while t0 < end {
            let t1 = t0 + Duration::days(14);
            let txs: Vec<usize> = s
                .transactions
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    t.marketplace_id == m.id
                        && t.release >= t0
                        && t.release < t1
                        && t.release <= end
                })
                .map(|(i, _)| i)
                .collect();
            let closed = t1 <= end;
            let total: Decimal = txs.iter().map(|&i| s.transactions[i].total()).sum();
            let idx = s.settlements.len();
            for &i in &txs {
                s.transactions[i].settlement = Some(idx);
            }
            s.settlements.push(Settlement {
                id: format!(
                    "{}",
                    10_000_000_000u64 + g.rng.gen_range(0..9_999_999_999u64)
                ),
                group_id: format!("{}{}", g.alnum(20), g.digits(3)),
                marketplace_id: m.id,
                currency: m.currency,
                start: t0,
                end: t1,
                closed,
                deposit_date: closed.then(|| t1 + Duration::days(1)),
                total,
                transactions: txs,
            });
            t0 = t1;
        }
    }
}

/// Current inventory per FBA listing and a ledger of receipts, shipments, returns and
/// adjustments that explains it.
fn inventory(s: &mut Seller, g: &mut Gen, start: DateTime<Utc>) {
    let end = s.spec.end;
    for l in s
        .listings
        .iter()
        .filter(|l| l.fulfillment == Fulfillment::Afn)
    {
        let fc = FCS[g.rng.gen_range(0..FCS.len())];
        let shipped: i64 = s
            .orders
            .iter()
            .filter(|o| o.marketplace_id == l.marketplace_id && o.status == OrderStatus::Shipped)
            .flat_map(|o| o.items.iter())
            .filter(|i| i.product == l.product)
            .map(|i| i.quantity)
            .sum();
        let received = shipped + g.rng.gen_range(20..400);
        s.ledger.push(LedgerEntry {
            date: start + Duration::days(1),
            product: l.product,
            marketplace_id: l.marketplace_id,
            event_type: "Receipts",
            reference_id: format!("FBA{}", g.alnum(9)),
            quantity: received,
            fulfillment_center: fc,
            disposition: "SELLABLE",
            reason: "",
        });
        s.ledger.push(LedgerEntry {
            date: end - Duration::days(1),
            product: l.product,
            marketplace_id: l.marketplace_id,
            event_type: "Shipments",
            reference_id: String::new(),
            quantity: -shipped,
            fulfillment_center: fc,
            disposition: "SELLABLE",
            reason: "",
        });
        let lost: i64 = s
            .reimbursements
            .iter()
            .filter(|r| {
                r.product == l.product
                    && r.marketplace_id == l.marketplace_id
                    && r.order_id.is_none()
            })
            .map(|r| r.quantity)
            .sum();
        if lost > 0 {
            s.ledger.push(LedgerEntry {
                date: end - Duration::days(1),
                product: l.product,
                marketplace_id: l.marketplace_id,
                event_type: "Adjustments",
                reference_id: g.digits(10),
                quantity: -lost,
                fulfillment_center: fc,
                disposition: "SELLABLE",
                reason: "M",
            });
        }
        let returned: i64 = s
            .returns
            .iter()
            .filter(|r| {
                r.product == l.product
                    && r.marketplace_id == l.marketplace_id
                    && r.disposition == "SELLABLE"
            })
            .map(|r| r.quantity)
            .sum();
        if returned > 0 {
            s.ledger.push(LedgerEntry {
                date: end - Duration::days(1),
                product: l.product,
                marketplace_id: l.marketplace_id,
                event_type: "CustomerReturns",
                reference_id: String::new(),
                quantity: returned,
                fulfillment_center: fc,
                disposition: "SELLABLE",
                reason: "",
            });
        }
        // Units moved between fulfilment centres, one row a unit: two units out of one centre
        // and two into the next at the same second, so the detail view holds identical rows
        // (no id tells them apart), as real ledgers do. They net to zero.
        let to_fc = FCS[(FCS.iter().position(|f| *f == fc).unwrap_or(0) + 1) % FCS.len()];
        for (quantity, centre) in [(-1, fc), (-1, fc), (1, to_fc), (1, to_fc)] {
            s.ledger.push(LedgerEntry {
                date: end - Duration::days(2),
                product: l.product,
                marketplace_id: l.marketplace_id,
                event_type: "WhseTransfers",
                reference_id: String::new(),
                quantity,
                fulfillment_center: centre,
                disposition: "SELLABLE",
                reason: "",
            });
        }
        let fulfillable = (received - shipped - lost + returned).max(0);
        s.inventory.push(InventoryLevel {
            product: l.product,
            marketplace_id: l.marketplace_id,
            fulfillable,
            inbound_working: if g.chance(0.2) {
                g.rng.gen_range(10..200)
            } else {
                0
            },
            inbound_shipped: if g.chance(0.15) {
                g.rng.gen_range(10..200)
            } else {
                0
            },
            inbound_receiving: if g.chance(0.1) {
                g.rng.gen_range(1..50)
            } else {
                0
            },
            reserved: g.rng.gen_range(0..10),
            unfulfillable: s
                .returns
                .iter()
                .filter(|r| {
                    r.product == l.product
                        && r.marketplace_id == l.marketplace_id
                        && r.disposition != "SELLABLE"
                })
                .map(|r| r.quantity)
                .sum(),
            researching: if g.chance(0.05) { 1 } else { 0 },
        });
        // Listing status and buy-box changes now and then.
        for _ in 0..g.rng.gen_range(0..3) {
            let at = start + Duration::seconds(g.rng.gen_range(0..(end - start).num_seconds()));
            let (kind, detail) = if g.chance(0.5) {
                ("BUY_BOX_LOST", format!("competitor {}", g.alnum(6)))
            } else {
                ("LISTING_SUPPRESSED", "missing image".to_string())
            };
            s.listing_events.push(ListingEvent {
                at,
                product: l.product,
                marketplace_id: l.marketplace_id,
                kind,
                detail,
            });
        }
    }
    s.ledger.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then(a.product.cmp(&b.product))
            .then(a.marketplace_id.cmp(b.marketplace_id))
    });
    s.listing_events
        .sort_by(|a, b| a.at.cmp(&b.at).then(a.product.cmp(&b.product)));
}

/// About 4% of delivered orders get buyer feedback, mostly positive.
fn feedback(s: &mut Seller, g: &mut Gen) {
    const COMMENTS: &[(u8, &str)] = &[
        (5, "Great product, fast delivery"),
        (5, "Exactly as described"),
        (4, "Good value"),
        (3, "OK, packaging damaged"),
        (2, "Arrived late"),
        (1, "Item not as described"),
    ];
    let end = s.spec.end;
    for o in s.orders.iter().filter(|o| o.status == OrderStatus::Shipped) {
        if !g.chance(0.04) {
            continue;
        }
        let at = o.latest_delivery + Duration::days(g.rng.gen_range(1..20)) + g.seconds(0, 86_400);
        if at >= end {
            continue;
        }
        let (rating, comment) = COMMENTS[if g.chance(0.8) {
            g.rng.gen_range(0..3)
        } else {
            g.rng.gen_range(3..COMMENTS.len())
        }];
        s.feedback.push(Feedback {
            order_id: o.id.clone(),
            marketplace_id: o.marketplace_id,
            date: at,
            rating,
            comment,
            responded: rating <= 2 && g.chance(0.5),
        });
    }
    s.feedback
        .sort_by(|a, b| a.date.cmp(&b.date).then(a.order_id.cmp(&b.order_id)));
}
