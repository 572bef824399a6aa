//! Settlement flat files, both layouts Amazon delivers, read into one line type:
//! - `GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2`: one amount per row (`amount-type`,
//!   `amount-description`, `amount`);
//! - `GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE` (the older layout, 33 to 36 columns): several
//!   amounts per row (`price-type`/`price-amount`, `item-related-fee-type`/`-amount`,
//!   `shipment-fee-*`, `order-fee-*`, `misc-fee-amount`, `other-fee-*`, `promotion-*`,
//!   `direct-payment-*`, `other-amount`), each becoming one line.
//!
//! The first data row carries the settlement's `total-amount` (the payout); every file must
//! reconcile: the sum of its amounts equals that total to the cent, or reading fails.

use super::error::AmazonError;
use super::flatfile::{self, Charset, DecimalStyle, Row, Streamed};
use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use std::io::Read;

/// Which layout a file has (told by its columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `..._FLAT_FILE_V2`: `amount-type`, `amount-description`, `amount`.
    V2,
    /// `..._FLAT_FILE`: `price-type`/`price-amount`, `item-related-fee-*`, `promotion-*`, ...
    Legacy,
}

/// One money line of a settlement, whichever layout it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementLine<'a> {
    pub settlement_id: &'a str,
    /// `Order`, `Refund`, `other-transaction`, ...
    pub transaction_type: &'a str,
    pub order_id: &'a str,
    pub merchant_order_id: &'a str,
    pub adjustment_id: &'a str,
    pub shipment_id: &'a str,
    pub marketplace_name: &'a str,
    pub fulfillment_id: &'a str,
    /// `posted-date-time` where the file has it, else `posted-date`.
    pub posted: Option<DateTime<FixedOffset>>,
    pub order_item_code: &'a str,
    pub merchant_order_item_id: &'a str,
    pub merchant_adjustment_item_id: &'a str,
    pub sku: &'a str,
    pub quantity: Option<i64>,
    pub promotion_id: &'a str,
    /// The V2 `amount-type` (`ItemPrice`, `ItemFees`, `Promotion`, ...); for the older layout
    /// the column pair the amount came from, named as V2 names it.
    pub amount_type: &'a str,
    /// The V2 `amount-description` (`Principal`, `Commission`, `Storage Fee`, ...); for the
    /// older layout the matching `*-type` column.
    pub description: &'a str,
    pub amount: Decimal,
    pub currency: &'a str,
}

/// A settlement file's header row, and what its lines added up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub layout: Layout,
    pub settlement_id: String,
    pub start: Option<DateTime<FixedOffset>>,
    pub end: Option<DateTime<FixedOffset>>,
    pub deposit_date: Option<DateTime<FixedOffset>>,
    /// The payout the file states.
    pub total_amount: Decimal,
    pub currency: String,
    /// Money lines read (after splitting rows of the older layout).
    pub lines: u64,
    /// Their sum: equal to `total_amount` (reading fails otherwise).
    pub sum: Decimal,
    pub streamed: Streamed,
}

/// The older layout's amount columns: (type column, amount column, V2 amount-type).
const LEGACY_AMOUNTS: [(Option<&str>, &str, &str); 9] = [
    (Some("price-type"), "price-amount", "ItemPrice"),
    (
        Some("item-related-fee-type"),
        "item-related-fee-amount",
        "ItemFees",
    ),
    (
        Some("shipment-fee-type"),
        "shipment-fee-amount",
        "ShipmentFees",
    ),
    (Some("order-fee-type"), "order-fee-amount", "OrderFees"),
    (None, "misc-fee-amount", "MiscFee"),
    (
        Some("other-fee-reason-description"),
        "other-fee-amount",
        "other-transaction",
    ),
    (Some("promotion-type"), "promotion-amount", "Promotion"),
    (
        Some("direct-payment-type"),
        "direct-payment-amount",
        "DirectPayment",
    ),
    (
        Some("other-fee-reason-description"),
        "other-amount",
        "other-transaction",
    ),
];

fn bad(message: String) -> AmazonError {
    AmazonError::InvalidInput { status: 0, message }
}

struct Reader<F> {
    style: DecimalStyle,
    layout: Option<Layout>,
    summary: Option<Settlement>,
    lines: u64,
    sum: Decimal,
    on_line: F,
}

impl<F: FnMut(&SettlementLine) -> Result<(), AmazonError>> Reader<F> {
    /// The summary, once every row is read: reconciled or an error.
    fn finish(self, streamed: Streamed) -> Result<Settlement, AmazonError> {
        let mut s = self
            .summary
            .ok_or_else(|| bad("settlement file without a total-amount row".into()))?;
        s.lines = self.lines;
        s.sum = self.sum;
        s.streamed = streamed;
        if s.sum != s.total_amount {
            return Err(bad(format!(
                "settlement {}: total-amount {} but its amounts sum to {} (off by {})",
                s.settlement_id,
                s.total_amount,
                s.sum,
                s.sum - s.total_amount
            )));
        }
        Ok(s)
    }

    fn row(&mut self, row: &Row) -> Result<(), AmazonError> {
        let layout = match self.layout {
            Some(l) => l,
            None => {
                let h = row.header();
                let l = if h.index("amount-type").is_some() && h.index("amount").is_some() {
                    Layout::V2
                } else if h.index("price-type").is_some() || h.index("price-amount").is_some() {
                    Layout::Legacy
                } else {
                    return Err(bad(
                        "not a settlement file: neither amount-type/amount nor price-type/price-amount columns".into(),
                    ));
                };
                self.layout = Some(l);
                l
            }
        };
        let text = |c: &str| row.get(c).unwrap_or("").trim();
        if let Some(total) = row.amount("total-amount", self.style)? {
            if let Some(s) = &self.summary {
                return Err(bad(format!(
                    "line {}: a second total-amount row in settlement {}",
                    row.line(),
                    s.settlement_id
                )));
            }
            self.summary = Some(Settlement {
                layout,
                settlement_id: text("settlement-id").to_string(),
                start: row.time("settlement-start-date")?,
                end: row.time("settlement-end-date")?,
                deposit_date: row.time("deposit-date")?,
                total_amount: total,
                currency: text("currency").to_string(),
                lines: 0,
                sum: Decimal::ZERO,
                streamed: Streamed::default(),
            });
            // The header row of the V2 layout carries no amount; the older layout's neither.
            if layout == Layout::V2 && text("amount").is_empty() {
                return Ok(());
            }
        }
        let posted = match row.get("posted-date-time").map(str::trim) {
            Some(t) if !t.is_empty() => row.time("posted-date-time")?,
            _ => row.time("posted-date")?,
        };
        let currency = match row.get("currency").map(str::trim) {
            Some(c) if !c.is_empty() => c,
            _ => self.summary.as_ref().map_or("", |s| s.currency.as_str()),
        };
        let mut line = SettlementLine {
            settlement_id: text("settlement-id"),
            transaction_type: text("transaction-type"),
            order_id: text("order-id"),
            merchant_order_id: text("merchant-order-id"),
            adjustment_id: text("adjustment-id"),
            shipment_id: text("shipment-id"),
            marketplace_name: text("marketplace-name"),
            fulfillment_id: text("fulfillment-id"),
            posted,
            order_item_code: text("order-item-code"),
            merchant_order_item_id: text("merchant-order-item-id"),
            merchant_adjustment_item_id: text("merchant-adjustment-item-id"),
            sku: text("sku"),
            quantity: row.integer("quantity-purchased")?,
            promotion_id: text("promotion-id"),
            amount_type: "",
            description: "",
            amount: Decimal::ZERO,
            currency,
        };
        match layout {
            Layout::V2 => {
                let Some(amount) = row.amount("amount", self.style)? else {
                    return Ok(()); // a row without money (rare, but not an error)
                };
                line.amount_type = text("amount-type");
                line.description = text("amount-description");
                line.amount = amount;
                self.lines += 1;
                self.sum += amount;
                (self.on_line)(&line)
            }
            Layout::Legacy => {
                for (type_column, amount_column, amount_type) in LEGACY_AMOUNTS {
                    let Some(amount) = row.amount(amount_column, self.style)? else {
                        continue;
                    };
                    line.amount_type = amount_type;
                    line.description = match type_column {
                        Some(c) if !text(c).is_empty() => text(c),
                        _ if amount_column == "misc-fee-amount" => "MiscFee",
                        _ => line.transaction_type,
                    };
                    line.amount = amount;
                    self.lines += 1;
                    self.sum += amount;
                    (self.on_line)(&line)?;
                }
                Ok(())
            }
        }
    }
}

/// Reads a settlement file of either layout (already gunzipped) and hands each money line to
/// `on_line`. Fails when the file has no `total-amount` row, or when its amounts do not add
/// up to that total exactly.
pub fn read_settlement<R: Read>(
    reader: R,
    charset: Charset,
    style: DecimalStyle,
    on_line: impl FnMut(&SettlementLine) -> Result<(), AmazonError>,
) -> Result<Settlement, AmazonError> {
    let mut r = Reader {
        style,
        layout: None,
        summary: None,
        lines: 0,
        sum: Decimal::ZERO,
        on_line,
    };
    let streamed = flatfile::read_rows_in(reader, charset, |row| r.row(row))?;
    r.finish(streamed)
}

/// Downloads a settlement document and reads it like [`read_settlement`], in constant memory.
pub async fn stream_settlement<F>(
    http: &reqwest::Client,
    url: &str,
    style: DecimalStyle,
    on_line: F,
) -> Result<Settlement, AmazonError>
where
    F: FnMut(&SettlementLine) -> Result<(), AmazonError> + Send + 'static,
{
    use std::sync::{Arc, Mutex};
    let reader = Arc::new(Mutex::new(Reader {
        style,
        layout: None,
        summary: None,
        lines: 0,
        sum: Decimal::ZERO,
        on_line,
    }));
    let r = reader.clone();
    let streamed = flatfile::stream_document(http, url, move |row| {
        r.lock().expect("settlement reader").row(row)
    })
    .await?;
    let r = Arc::try_unwrap(reader)
        .map_err(|_| AmazonError::Dependency("settlement reader still shared".into()))?
        .into_inner()
        .map_err(|_| AmazonError::Dependency("settlement reader poisoned".into()))?;
    r.finish(streamed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8() -> Charset {
        Charset::from_label(None)
    }

    fn collect(text: &str, style: DecimalStyle) -> Result<(Settlement, Vec<String>), AmazonError> {
        let mut seen = vec![];
        let s = read_settlement(text.as_bytes(), utf8(), style, |l| {
            seen.push(format!(
                "{}|{}|{}|{}|{}|{}|{:?}|{}",
                l.transaction_type,
                l.sku,
                l.amount_type,
                l.description,
                l.amount,
                l.currency,
                l.quantity,
                l.posted.map(|p| p.to_rfc3339()).unwrap_or_default()
            ));
            Ok(())
        })?;
        Ok((s, seen))
    }

    const V2_HEADER: &str = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n";

    #[test]
    fn a_german_v2_file_reads_with_decimal_commas_and_german_dates() {
        let text = format!(
            "{V2_HEADER}\
12345678901\t01.03.2023 07:49:55 UTC\t15.03.2023 07:49:55 UTC\t17.03.2023 07:49:55 UTC\t1141,18\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n\
12345678901\t\t\t\t\t\tOrder\t302-1\t\t\t\tAmazon.de\tItemPrice\tPrincipal\t1200,00\tAFN\t14.03.2023\t14.03.2023 07:49:55 UTC\t111\t\t\tSKU-1\t2\t\n\
12345678901\t\t\t\t\t\tOrder\t302-1\t\t\t\tAmazon.de\tItemFees\tCommission\t-58,32\tAFN\t14.03.2023\t14.03.2023 07:49:55 UTC\t111\t\t\tSKU-1\t\t\n\
12345678901\t\t\t\t\t\tother-transaction\t\t\t\t\tAmazon.de\tother-transaction\tStorage Fee\t-0,50\t\t14.03.2023\t14.03.2023 07:49:55 UTC\t\t\t\t\t\t\n"
        );
        let (s, lines) = collect(&text, DecimalStyle::Comma).unwrap();
        assert_eq!(s.layout, Layout::V2);
        assert_eq!(s.settlement_id, "12345678901");
        assert_eq!(s.total_amount, Decimal::new(114118, 2));
        assert_eq!((s.lines, s.sum), (3, s.total_amount));
        assert_eq!(
            s.deposit_date.unwrap().to_rfc3339(),
            "2023-03-17T07:49:55+00:00"
        );
        assert_eq!(
            lines,
            [
                "Order|SKU-1|ItemPrice|Principal|1200.00|EUR|Some(2)|2023-03-14T07:49:55+00:00",
                "Order|SKU-1|ItemFees|Commission|-58.32|EUR|None|2023-03-14T07:49:55+00:00",
                "other-transaction||other-transaction|Storage Fee|-0.50|EUR|None|2023-03-14T07:49:55+00:00",
            ]
        );
        // One cent off is an error that says by how much.
        let off = text.replacen("-0,50", "-0,51", 1);
        let err = collect(&off, DecimalStyle::Comma).unwrap_err().to_string();
        assert!(
            err.contains("12345678901") && err.contains("-0.01"),
            "{err}"
        );
    }

    #[test]
    fn the_older_layout_splits_each_row_into_its_amounts() {
        let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tshipment-fee-type\tshipment-fee-amount\torder-fee-type\torder-fee-amount\tfulfillment-id\tposted-date\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tprice-type\tprice-amount\titem-related-fee-type\titem-related-fee-amount\tmisc-fee-amount\tother-fee-amount\tother-fee-reason-description\tpromotion-id\tpromotion-type\tpromotion-amount\tdirect-payment-type\tdirect-payment-amount\tother-amount";
        let cols = header.split('\t').count();
        assert_eq!(cols, 36);
        let row = |pairs: &[(&str, &str)]| {
            header
                .split('\t')
                .map(|c| pairs.iter().find(|(k, _)| *k == c).map_or("", |(_, v)| *v))
                .collect::<Vec<_>>()
                .join("\t")
        };
        let text = [
            header.to_string(),
            row(&[
                ("settlement-id", "987"),
                ("settlement-start-date", "2023-03-01 00:00:00 UTC"),
                ("settlement-end-date", "2023-03-15 00:00:00 UTC"),
                ("deposit-date", "2023-03-16 00:00:00 UTC"),
                ("total-amount", "17.49"),
                ("currency", "USD"),
            ]),
            row(&[
                ("settlement-id", "987"),
                ("transaction-type", "Order"),
                ("order-id", "111-1"),
                ("posted-date", "2023-03-14"),
                ("sku", "S1"),
                ("quantity-purchased", "1"),
                ("price-type", "Principal"),
                ("price-amount", "24.99"),
                ("item-related-fee-type", "Commission"),
                ("item-related-fee-amount", "-3.75"),
                ("promotion-id", "P1"),
                ("promotion-type", "Principal"),
                ("promotion-amount", "-2.00"),
            ]),
            row(&[
                ("settlement-id", "987"),
                ("transaction-type", "other-transaction"),
                ("posted-date", "2023-03-14"),
                ("other-fee-amount", "-1.25"),
                ("other-fee-reason-description", "Storage Fee"),
            ]),
            row(&[
                ("settlement-id", "987"),
                ("transaction-type", "Order"),
                ("order-id", "111-2"),
                ("posted-date", "2023-03-14"),
                ("misc-fee-amount", "-0.50"),
                ("shipment-fee-type", "FBA transportation fee"),
                ("shipment-fee-amount", "0.00"),
            ]),
        ]
        .join("\n");
        let (s, lines) = collect(&text, DecimalStyle::Point).unwrap();
        assert_eq!(s.layout, Layout::Legacy);
        assert_eq!(
            (s.lines, s.sum, s.total_amount),
            (6, Decimal::new(1749, 2), Decimal::new(1749, 2))
        );
        let t = "2023-03-14T00:00:00+00:00";
        assert_eq!(
            lines,
            [
                format!("Order|S1|ItemPrice|Principal|24.99|USD|Some(1)|{t}"),
                format!("Order|S1|ItemFees|Commission|-3.75|USD|Some(1)|{t}"),
                format!("Order|S1|Promotion|Principal|-2.00|USD|Some(1)|{t}"),
                format!("other-transaction||other-transaction|Storage Fee|-1.25|USD|None|{t}"),
                format!("Order||ShipmentFees|FBA transportation fee|0.00|USD|None|{t}"),
                format!("Order||MiscFee|MiscFee|-0.50|USD|None|{t}"),
            ]
        );
        // 33 columns (no direct-payment-* and other-amount) read the same way.
        let short: Vec<String> = text
            .lines()
            .map(|l| l.split('\t').take(33).collect::<Vec<_>>().join("\t"))
            .collect();
        assert_eq!(
            collect(&short.join("\n"), DecimalStyle::Point)
                .unwrap()
                .0
                .lines,
            6
        );
    }

    #[test]
    fn a_file_that_is_no_settlement_or_has_no_total_is_refused() {
        assert!(collect("sku\tprice\nA\t1\n", DecimalStyle::Point).is_err());
        let no_total = format!("{V2_HEADER}1\t\t\t\t\t\tOrder\t\t\t\t\t\tItemPrice\tPrincipal\t1.00\t\t\t\t\t\t\t\t\t\n");
        let err = collect(&no_total, DecimalStyle::Point)
            .unwrap_err()
            .to_string();
        assert!(err.contains("total-amount"), "{err}");
    }
}
