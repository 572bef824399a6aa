//! Cost of goods sold. Two ways to price a unit, tried in this order:
//!
//! 1. **FIFO batches** (`method: "fifo"`): purchase batches with their landed cost (purchase
//!    price plus shipping, duty and other costs, spread over the batch's units). Units sold
//!    consume the oldest batch received at or before the order, in order-date order; a sellable
//!    return puts its units back into the batches they came from (and takes their cost off the
//!    COGS of the day it comes back).
//! 2. **Effective-dated unit cost** (`method: "unitCost"`): the SKU's cost in force on the order's
//!    local day (a marketplace-specific cost wins over an account-wide one).
//!
//! A unit neither can price costs 0 and says so (`method: "none"`).

use super::periods::marketplace_day;
use super::Record;
use crate::error::Validator;
use crate::keys::CostRecord;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A SKU's unit cost from a day on (until the next entry of the same SKU and scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitCost {
    pub id: String,
    pub sku: String,
    /// Only this marketplace; `None` for every marketplace of the account.
    pub marketplace_id: Option<String>,
    pub effective_from: NaiveDate,
    /// Cost of one unit (purchase plus, when given, the shipment cost spread over `quantity`).
    pub unit_cost: Decimal,
    pub purchase_unit_cost: Decimal,
    pub quantity: i64,
    pub shipment_cost: Option<Decimal>,
    pub cost_method: String,
    pub batch_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Record for UnitCost {
    const KIND: CostRecord = CostRecord::UnitCost;
    fn id(&self) -> &str {
        &self.id
    }
}

impl UnitCost {
    /// `purchase_unit_cost + shipment_cost / quantity`.
    pub fn landed(
        purchase_unit_cost: Decimal,
        quantity: i64,
        shipment: Option<Decimal>,
    ) -> Decimal {
        purchase_unit_cost + shipment.unwrap_or_default() / Decimal::from(quantity.max(1))
    }
}

/// A purchase batch: units received at a time, at a landed cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub id: String,
    pub sku: String,
    pub marketplace_id: Option<String>,
    pub quantity: i64,
    /// Purchase price of one unit.
    pub unit_cost: Decimal,
    /// Totals for the whole batch.
    pub shipping_cost: Decimal,
    pub duty_cost: Decimal,
    pub other_cost: Decimal,
    pub received_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Record for Batch {
    const KIND: CostRecord = CostRecord::Batch;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Batch {
    /// Purchase plus shipping, duty and other costs of the whole batch.
    pub fn landed_total(&self) -> Decimal {
        self.unit_cost * Decimal::from(self.quantity)
            + self.shipping_cost
            + self.duty_cost
            + self.other_cost
    }
    /// The landed cost of one unit.
    pub fn landed_unit_cost(&self) -> Decimal {
        self.landed_total() / Decimal::from(self.quantity.max(1))
    }
    fn serves(&self, marketplace_id: &str) -> bool {
        self.marketplace_id
            .as_deref()
            .is_none_or(|m| m == marketplace_id)
    }
}

/// Checks the money and quantity fields of a batch or a cost entry.
pub fn validate_amounts(v: &mut Validator, quantity: i64, costs: &[(&str, Option<Decimal>)]) {
    v.check(
        quantity >= 1,
        "quantity",
        "must be a whole number of at least 1",
    );
    v.check(
        quantity <= 10_000_000,
        "quantity",
        "must be at most 10,000,000",
    );
    for (field, c) in costs {
        if let Some(c) = c {
            v.check(!c.is_sign_negative(), field, "must not be negative");
            v.check(
                *c < Decimal::from(1_000_000_000),
                field,
                "must be below 1,000,000,000",
            );
        }
    }
}

/// Something that moves units of a SKU in or out of stock.
#[derive(Debug, Clone, PartialEq)]
pub enum Movement {
    /// Units sold on an order (priced at the order's purchase time).
    Sale {
        at: DateTime<Utc>,
        marketplace_id: String,
        sku: String,
        order_id: String,
        /// Amazon's order item id, or the SKU when unknown.
        item: String,
        units: i64,
    },
    /// Sellable units of an order back into stock.
    Restock {
        at: DateTime<Utc>,
        marketplace_id: String,
        sku: String,
        order_id: String,
        units: i64,
    },
}

impl Movement {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Movement::Sale { at, .. } | Movement::Restock { at, .. } => *at,
        }
    }
    fn sku(&self) -> &str {
        match self {
            Movement::Sale { sku, .. } | Movement::Restock { sku, .. } => sku,
        }
    }
    fn rank(&self) -> u8 {
        match self {
            Movement::Sale { .. } => 0,
            Movement::Restock { .. } => 1,
        }
    }
}

/// How some units were priced.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Method {
    Fifo,
    UnitCost,
    None,
}

impl Method {
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Fifo => "fifo",
            Method::UnitCost => "unitCost",
            Method::None => "none",
        }
    }
}

/// Units priced one way: by a batch, by a unit-cost entry, or not at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    pub method: Method,
    pub batch_id: Option<String>,
    pub cost_id: Option<String>,
    pub units: i64,
    pub unit_cost: Decimal,
}

impl Part {
    pub fn cost(&self) -> Decimal {
        self.unit_cost * Decimal::from(self.units)
    }
}

/// The COGS of one movement: positive for a sale, negative for a restock.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced {
    pub at: DateTime<Utc>,
    /// The marketplace-local day of the movement.
    pub day: NaiveDate,
    pub marketplace_id: String,
    pub sku: String,
    pub order_id: String,
    /// The order item, for a sale.
    pub item: Option<String>,
    pub units: i64,
    pub parts: Vec<Part>,
    pub restock: bool,
}

impl Priced {
    pub fn cost(&self) -> Decimal {
        let c: Decimal = self.parts.iter().map(Part::cost).sum();
        if self.restock {
            -c
        } else {
            c
        }
    }
}

/// The effective unit cost of a SKU in a marketplace on a local day.
fn effective<'a>(
    costs: &'a [UnitCost],
    marketplace_id: &str,
    day: NaiveDate,
) -> Option<&'a UnitCost> {
    let pick = |scope: Option<&str>| {
        costs
            .iter()
            .filter(|c| c.marketplace_id.as_deref() == scope && c.effective_from <= day)
            .max_by(|a, b| {
                (a.effective_from, a.created_at, &a.id).cmp(&(
                    b.effective_from,
                    b.created_at,
                    &b.id,
                ))
            })
    };
    pick(Some(marketplace_id)).or_else(|| pick(None))
}

/// Prices every movement, SKU by SKU, in time order (sales before restocks at the same
/// instant; then by order id, for a stable answer).
pub fn price(movements: &[Movement], batches: &[Batch], costs: &[UnitCost]) -> Vec<Priced> {
    let mut by_sku: BTreeMap<&str, Vec<&Movement>> = BTreeMap::new();
    for m in movements {
        by_sku.entry(m.sku()).or_default().push(m);
    }
    let mut out = Vec::with_capacity(movements.len());
    for (sku, mut moves) in by_sku {
        moves.sort_by(|a, b| (a.at(), a.rank(), order_of(a)).cmp(&(b.at(), b.rank(), order_of(b))));
        let mut stock: Vec<(&Batch, i64)> = batches
            .iter()
            .filter(|b| b.sku == sku && b.quantity > 0)
            .map(|b| (b, b.quantity))
            .collect();
        stock.sort_by(|a, b| (a.0.received_at, &a.0.id).cmp(&(b.0.received_at, &b.0.id)));
        let sku_costs: Vec<UnitCost> = costs.iter().filter(|c| c.sku == sku).cloned().collect();
        // Batch units each order took, so its sellable returns go back where they came from.
        let mut taken: HashMap<String, Vec<Part>> = HashMap::new();
        for m in moves {
            match m {
                Movement::Sale {
                    at,
                    marketplace_id,
                    order_id,
                    item,
                    units,
                    ..
                } => {
                    let day = marketplace_day(marketplace_id, *at);
                    let mut left = *units;
                    let mut parts: Vec<Part> = vec![];
                    for (b, remaining) in stock.iter_mut() {
                        if left <= 0 {
                            break;
                        }
                        if *remaining <= 0 || b.received_at > *at || !b.serves(marketplace_id) {
                            continue;
                        }
                        let n = left.min(*remaining);
                        *remaining -= n;
                        left -= n;
                        parts.push(Part {
                            method: Method::Fifo,
                            batch_id: Some(b.id.clone()),
                            cost_id: None,
                            units: n,
                            unit_cost: b.landed_unit_cost(),
                        });
                    }
                    if left > 0 {
                        parts.push(match effective(&sku_costs, marketplace_id, day) {
                            Some(c) => Part {
                                method: Method::UnitCost,
                                batch_id: None,
                                cost_id: Some(c.id.clone()),
                                units: left,
                                unit_cost: c.unit_cost,
                            },
                            None => Part {
                                method: Method::None,
                                batch_id: None,
                                cost_id: None,
                                units: left,
                                unit_cost: Decimal::ZERO,
                            },
                        });
                    }
                    taken
                        .entry(order_id.clone())
                        .or_default()
                        .extend(parts.iter().cloned());
                    out.push(Priced {
                        at: *at,
                        day,
                        marketplace_id: marketplace_id.clone(),
                        sku: sku.to_string(),
                        order_id: order_id.clone(),
                        item: Some(item.clone()),
                        units: *units,
                        parts,
                        restock: false,
                    });
                }
                Movement::Restock {
                    at,
                    marketplace_id,
                    order_id,
                    units,
                    ..
                } => {
                    let day = marketplace_day(marketplace_id, *at);
                    let mut left = *units;
                    let mut parts: Vec<Part> = vec![];
                    // The order's units come back last-taken first, at the cost they left at.
                    let sold = taken.entry(order_id.clone()).or_default();
                    while left > 0 {
                        let Some(last) = sold.last_mut() else { break };
                        let n = left.min(last.units);
                        left -= n;
                        last.units -= n;
                        if let Some(id) = &last.batch_id {
                            if let Some((_, remaining)) =
                                stock.iter_mut().find(|(b, _)| &b.id == id)
                            {
                                *remaining += n;
                            }
                        }
                        parts.push(Part {
                            units: n,
                            ..last.clone()
                        });
                        if last.units == 0 {
                            sold.pop();
                        }
                    }
                    if left > 0 {
                        // More units back than we saw sold: nothing to take off.
                        parts.push(Part {
                            method: Method::None,
                            batch_id: None,
                            cost_id: None,
                            units: left,
                            unit_cost: Decimal::ZERO,
                        });
                    }
                    out.push(Priced {
                        at: *at,
                        day,
                        marketplace_id: marketplace_id.clone(),
                        sku: sku.to_string(),
                        order_id: order_id.clone(),
                        item: None,
                        units: *units,
                        parts,
                        restock: true,
                    });
                }
            }
        }
    }
    out
}

fn order_of(m: &Movement) -> &str {
    match m {
        Movement::Sale { order_id, .. } | Movement::Restock { order_id, .. } => order_id,
    }
}

/// Units left in each batch after every movement (for the batch details call).
pub fn remaining(priced: &[Priced], batches: &[Batch]) -> HashMap<String, i64> {
    let mut left: HashMap<String, i64> =
        batches.iter().map(|b| (b.id.clone(), b.quantity)).collect();
    for p in priced {
        for part in &p.parts {
            if let Some(id) = &part.batch_id {
                let sign = if p.restock { 1 } else { -1 };
                *left.entry(id.clone()).or_default() += sign * part.units;
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    macro_rules! dec {
        ($s:literal) => {
            <Decimal as std::str::FromStr>::from_str(stringify!($s)).unwrap()
        };
    }

    const US: &str = "ATVPDKIKX0DER";

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    fn batch(id: &str, qty: i64, unit: Decimal, ship: Decimal, received: DateTime<Utc>) -> Batch {
        Batch {
            id: id.into(),
            sku: "MUG".into(),
            marketplace_id: None,
            quantity: qty,
            unit_cost: unit,
            shipping_cost: ship,
            duty_cost: Decimal::ZERO,
            other_cost: Decimal::ZERO,
            received_at: received,
            notes: None,
            created_at: received,
            updated_at: received,
        }
    }

    fn sale(order: &str, units: i64, when: DateTime<Utc>) -> Movement {
        Movement::Sale {
            at: when,
            marketplace_id: US.into(),
            sku: "MUG".into(),
            order_id: order.into(),
            item: format!("{order}-1"),
            units,
        }
    }

    #[test]
    fn units_consume_the_oldest_batch_first_then_the_next() {
        // 10 units at 2.00 + 5.00 shipping (landed 2.50), then 10 at 3.00.
        let b = [
            batch("b1", 10, dec!(2.00), dec!(5.00), at(1, 12)),
            batch("b2", 10, dec!(3.00), dec!(0), at(2, 12)),
        ];
        let m = [
            sale("o1", 6, at(5, 20)),
            sale("o2", 6, at(6, 20)),
            sale("o3", 4, at(7, 20)),
        ];
        let p = price(&m, &b, &[]);
        assert_eq!(p[0].cost(), dec!(15.00));
        // The second order crosses batches: 4 × 2.50 + 2 × 3.00.
        assert_eq!(p[1].cost(), dec!(16.00));
        assert_eq!(p[1].parts.len(), 2);
        assert_eq!(p[2].cost(), dec!(12.00));
        assert!(p
            .iter()
            .all(|x| x.parts.iter().all(|q| q.method == Method::Fifo)));
        assert_eq!(remaining(&p, &b)["b2"], 4);
    }

    #[test]
    fn a_sellable_return_goes_back_to_its_batch_and_is_sold_again_at_that_cost() {
        let b = [
            batch("b1", 2, dec!(2.00), dec!(0), at(1, 12)),
            batch("b2", 10, dec!(5.00), dec!(0), at(1, 13)),
        ];
        let m = [
            sale("o1", 2, at(3, 10)),
            Movement::Restock {
                at: at(4, 10),
                marketplace_id: US.into(),
                sku: "MUG".into(),
                order_id: "o1".into(),
                units: 1,
            },
            sale("o2", 2, at(5, 10)),
        ];
        let p = price(&m, &b, &[]);
        assert_eq!(p[0].cost(), dec!(4.00));
        assert_eq!(
            p[1].cost(),
            dec!(-2.00),
            "the returned unit's cost comes off"
        );
        // The returned unit is back in b1 and goes first: 2.00 + 5.00.
        assert_eq!(p[2].cost(), dec!(7.00));
    }

    #[test]
    fn without_batches_the_cost_in_force_on_the_local_day_prices_the_unit() {
        let mk = |id: &str, from: &str, cost: Decimal| UnitCost {
            id: id.into(),
            sku: "MUG".into(),
            marketplace_id: None,
            effective_from: NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap(),
            unit_cost: cost,
            purchase_unit_cost: cost,
            quantity: 1,
            shipment_cost: None,
            cost_method: "WEIGHTED_AVERAGE".into(),
            batch_id: None,
            created_at: at(1, 0),
            updated_at: at(1, 0),
        };
        let costs = [
            mk("c1", "2026-03-01", dec!(4.00)),
            mk("c2", "2026-03-16", dec!(4.50)),
        ];
        // 06:00 UTC on the 16th is still the 15th in Los Angeles (UTC-7): the old cost.
        let m = [
            sale("o1", 1, at(16, 6)),
            sale("o2", 1, at(16, 9)),
            sale(
                "o0",
                1,
                Utc.with_ymd_and_hms(2026, 2, 27, 12, 0, 0).unwrap(),
            ),
        ];
        let p = price(&m, &[], &costs);
        let by_order: HashMap<&str, &Priced> = p.iter().map(|x| (x.order_id.as_str(), x)).collect();
        assert_eq!(by_order["o1"].cost(), dec!(4.00));
        assert_eq!(by_order["o2"].cost(), dec!(4.50));
        assert_eq!(by_order["o0"].parts[0].method, Method::None);
        assert_eq!(by_order["o0"].cost(), Decimal::ZERO);
    }

    #[test]
    fn a_batch_received_after_the_order_does_not_price_it() {
        let b = [batch("b1", 5, dec!(2.00), dec!(0), at(10, 0))];
        let p = price(
            &[sale("o1", 1, at(9, 0)), sale("o2", 1, at(11, 0))],
            &b,
            &[],
        );
        assert_eq!(p[0].parts[0].method, Method::None);
        assert_eq!(p[1].parts[0].method, Method::Fifo);
    }
}
