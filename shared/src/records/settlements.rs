//! Settlements (payouts) and their money lines, read from Amazon's settlement flat files
//! (`GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2`, or the older `..._FLAT_FILE` layout when
//! that is all there is), exactly as the file states them: the settlement id, period, deposit
//! date, total (the payout) and currency, and every line with its ids, type, description and
//! signed amount. A stored settlement always reconciles: its lines sum to its total.
//!
//! Keys (`crate::keys`):
//! - `ACCT#<t>` / `STL#<settlementId>`: the settlement, newer-wins by the report's creation time;
//! - `ACCT#<t>` / `STLLINE#<settlementId>#<line>`: its lines, numbered in file order (a
//!   settlement document never changes, so the same document always gives the same numbers);
//! - `ACCT#<t>` / `STLDOC#<marketplaceId>#<start>/<end>`: the period's document has been read
//!   (or rejected): each settlement is downloaded once, whichever layouts list it;
//! - `ACCT#<t>` / `PAYOUT#<financialEventGroupId>`: every payout period of the two years
//!   (Finances `listFinancialEventGroups`; settlement files exist only for the last 90 days),
//!   open or closed, with its total. An open group's total still moves; a closed one is final.

use crate::amazon::settlement::{Layout, SettlementLine};
use crate::keys::{self, Tenant};
use crate::ports::store::{query_all, Item, ItemBuilder, ItemExt, Store, StoreError, WriteOp};
use crate::records::transactions::local_day;
use crate::records::{put_newer, version_at, Written};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;

/// A settlement: one payout period of one marketplace.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementRecord {
    pub settlement_id: String,
    pub connection: String,
    pub marketplace_id: String,
    /// The report it was read from.
    pub report_id: String,
    pub report_type: String,
    pub layout: Layout,
    pub report_created: DateTime<Utc>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub deposit_date: Option<DateTime<Utc>>,
    /// The payout the file states (`total-amount`), equal to the sum of its lines.
    pub total: Decimal,
    pub currency: String,
    pub lines: u64,
}

/// One money line of a settlement file.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementLineRecord {
    pub settlement_id: String,
    /// Position in the file's money lines, from 1.
    pub line: u64,
    pub marketplace_id: String,
    pub transaction_type: String,
    pub order_id: String,
    pub merchant_order_id: String,
    pub adjustment_id: String,
    pub shipment_id: String,
    pub marketplace_name: String,
    pub fulfillment_id: String,
    /// As the file states it (with its offset).
    pub posted: Option<DateTime<FixedOffset>>,
    /// The marketplace-local day (the older layout has only the day).
    pub posted_day: Option<NaiveDate>,
    pub order_item_code: String,
    pub merchant_order_item_id: String,
    pub merchant_adjustment_item_id: String,
    pub sku: String,
    pub quantity: Option<i64>,
    pub promotion_id: String,
    pub amount_type: String,
    pub description: String,
    pub amount: Decimal,
    pub currency: String,
}

impl SettlementLineRecord {
    pub fn of(line: &SettlementLine, number: u64, marketplace_id: &str, layout: Layout) -> Self {
        Self {
            settlement_id: line.settlement_id.to_string(),
            line: number,
            marketplace_id: marketplace_id.to_string(),
            transaction_type: line.transaction_type.to_string(),
            order_id: line.order_id.to_string(),
            merchant_order_id: line.merchant_order_id.to_string(),
            adjustment_id: line.adjustment_id.to_string(),
            shipment_id: line.shipment_id.to_string(),
            marketplace_name: line.marketplace_name.to_string(),
            fulfillment_id: line.fulfillment_id.to_string(),
            posted: line.posted,
            posted_day: line.posted.map(|p| match layout {
                Layout::V2 => local_day(marketplace_id, p.to_utc()),
                Layout::Legacy => p.date_naive(),
            }),
            order_item_code: line.order_item_code.to_string(),
            merchant_order_item_id: line.merchant_order_item_id.to_string(),
            merchant_adjustment_item_id: line.merchant_adjustment_item_id.to_string(),
            sku: line.sku.to_string(),
            quantity: line.quantity,
            promotion_id: line.promotion_id.to_string(),
            amount_type: line.amount_type.to_string(),
            description: line.description.to_string(),
            amount: line.amount,
            currency: line.currency.to_string(),
        }
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let mut b =
            ItemBuilder::at(keys::tenant(tenant).settlement_line(&self.settlement_id, self.line))
                .s("settlementId", self.settlement_id.clone())
                .n("line", self.line as i64)
                .s("marketplaceId", self.marketplace_id.clone())
                .s("transactionType", self.transaction_type.clone())
                .s("amountType", self.amount_type.clone())
                .s("amountDescription", self.description.clone())
                .decimal("amount", self.amount)
                .s("amountText", self.amount.to_string())
                .s("currency", self.currency.clone())
                .opt_s("posted", self.posted.map(|p| p.to_rfc3339()))
                .opt_s("postedDay", self.posted_day.map(|d| d.to_string()));
        for (name, v) in [
            ("orderId", &self.order_id),
            ("merchantOrderId", &self.merchant_order_id),
            ("adjustmentId", &self.adjustment_id),
            ("shipmentId", &self.shipment_id),
            ("marketplaceName", &self.marketplace_name),
            ("fulfillmentId", &self.fulfillment_id),
            ("orderItemCode", &self.order_item_code),
            ("merchantOrderItemId", &self.merchant_order_item_id),
            (
                "merchantAdjustmentItemId",
                &self.merchant_adjustment_item_id,
            ),
            ("sku", &self.sku),
            ("promotionId", &self.promotion_id),
        ] {
            if !v.is_empty() {
                b = b.s(name, v.clone());
            }
        }
        if let Some(q) = self.quantity {
            b = b.n("quantity", q);
        }
        b.build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let corrupt = |f: &str| StoreError::Corrupt(f.to_string());
        let text = |f: &str| i.opt_s(f).unwrap_or_default();
        Ok(Self {
            settlement_id: i.s("settlementId")?,
            line: i.n_i64("line")? as u64,
            marketplace_id: i.s("marketplaceId")?,
            transaction_type: i.s("transactionType")?,
            order_id: text("orderId"),
            merchant_order_id: text("merchantOrderId"),
            adjustment_id: text("adjustmentId"),
            shipment_id: text("shipmentId"),
            marketplace_name: text("marketplaceName"),
            fulfillment_id: text("fulfillmentId"),
            posted: i
                .opt_s("posted")
                .map(|p| DateTime::parse_from_rfc3339(&p).map_err(|_| corrupt("posted")))
                .transpose()?,
            posted_day: i
                .opt_s("postedDay")
                .map(|d| d.parse().map_err(|_| corrupt("postedDay")))
                .transpose()?,
            order_item_code: text("orderItemCode"),
            merchant_order_item_id: text("merchantOrderItemId"),
            merchant_adjustment_item_id: text("merchantAdjustmentItemId"),
            sku: text("sku"),
            quantity: i.n_i64("quantity").ok(),
            promotion_id: text("promotionId"),
            amount_type: i.s("amountType")?,
            description: i.s("amountDescription")?,
            amount: i
                .s("amountText")?
                .parse()
                .map_err(|_| corrupt("amountText"))?,
            currency: i.s("currency")?,
        })
    }
}

fn layout_name(l: Layout) -> &'static str {
    match l {
        Layout::V2 => "V2",
        Layout::Legacy => "LEGACY",
    }
}

impl SettlementRecord {
    pub fn to_item(&self, tenant: &Tenant) -> Item {
        ItemBuilder::at(keys::tenant(tenant).settlement(&self.settlement_id))
            .s("settlementId", self.settlement_id.clone())
            .s("connection", self.connection.clone())
            .s("marketplaceId", self.marketplace_id.clone())
            .s("reportId", self.report_id.clone())
            .s("reportType", self.report_type.clone())
            .s("layout", layout_name(self.layout))
            .time("reportCreated", self.report_created)
            .opt_time("start", self.start)
            .opt_time("end", self.end)
            .opt_time("depositDate", self.deposit_date)
            .decimal("totalAmount", self.total)
            .s("totalAmountText", self.total.to_string())
            .s("currency", self.currency.clone())
            .n("lines", self.lines as i64)
            .build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            settlement_id: i.s("settlementId")?,
            connection: i.s("connection")?,
            marketplace_id: i.s("marketplaceId")?,
            report_id: i.s("reportId")?,
            report_type: i.s("reportType")?,
            layout: if i.s("layout")? == "V2" {
                Layout::V2
            } else {
                Layout::Legacy
            },
            report_created: i.time("reportCreated")?,
            start: i.opt_time("start"),
            end: i.opt_time("end"),
            deposit_date: i.opt_time("depositDate"),
            total: i
                .s("totalAmountText")?
                .parse()
                .map_err(|_| StoreError::Corrupt("totalAmountText".into()))?,
            currency: i.s("currency")?,
            lines: i.n_i64("lines")? as u64,
        })
    }
}

/// Writes a settlement's lines, then the settlement itself (newer-wins by the report's
/// creation time), so a settlement is never visible without all its lines.
pub async fn put(
    store: &dyn Store,
    tenant: &Tenant,
    settlement: &SettlementRecord,
    lines: &[SettlementLineRecord],
) -> Result<Written, StoreError> {
    let ops = lines
        .iter()
        .map(|l| WriteOp::Put(l.to_item(tenant)))
        .collect();
    store.batch_write(ops).await?;
    put_newer(
        store,
        settlement.to_item(tenant),
        &version_at(settlement.report_created),
    )
    .await
}

pub async fn get(
    store: &dyn Store,
    tenant: &Tenant,
    settlement_id: &str,
) -> Result<Option<SettlementRecord>, StoreError> {
    store
        .get(&keys::tenant(tenant).settlement(settlement_id))
        .await?
        .map(|i| SettlementRecord::from_item(&i))
        .transpose()
}

/// Every stored settlement of the tenant.
pub async fn all(store: &dyn Store, tenant: &Tenant) -> Result<Vec<SettlementRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).settlements())
        .await?
        .iter()
        .map(SettlementRecord::from_item)
        .collect()
}

/// A settlement's lines, in file order.
pub async fn lines(
    store: &dyn Store,
    tenant: &Tenant,
    settlement_id: &str,
) -> Result<Vec<SettlementLineRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).settlement_lines(settlement_id))
        .await?
        .iter()
        .map(SettlementLineRecord::from_item)
        .collect()
}

/// What became of a period's settlement document.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// Read and stored as this settlement.
    Read {
        report_id: String,
        settlement_id: String,
    },
    /// Refused for good (its lines do not add up to its total, or it is no settlement file).
    Rejected { report_id: String, reason: String },
}

/// The key of a report's period: `<start>/<end>` of its data, or the report id without one.
pub fn period(report_id: &str, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("{}/{}", version_at(s), version_at(e)),
        _ => format!("report/{report_id}"),
    }
}

pub async fn document(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    period: &str,
) -> Result<Option<Document>, StoreError> {
    let Some(i) = store
        .get(&keys::tenant(tenant).settlement_document(marketplace_id, period))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(match i.s("status")?.as_str() {
        "READ" => Document::Read {
            report_id: i.s("reportId")?,
            settlement_id: i.s("settlementId")?,
        },
        _ => Document::Rejected {
            report_id: i.s("reportId")?,
            reason: i.s("reason")?,
        },
    }))
}

pub async fn mark_document(
    store: &dyn Store,
    tenant: &Tenant,
    marketplace_id: &str,
    period: &str,
    doc: &Document,
) -> Result<(), StoreError> {
    let b = ItemBuilder::at(keys::tenant(tenant).settlement_document(marketplace_id, period))
        .s("marketplaceId", marketplace_id);
    let item = match doc {
        Document::Read {
            report_id,
            settlement_id,
        } => b
            .s("status", "READ")
            .s("reportId", report_id.clone())
            .s("settlementId", settlement_id.clone()),
        Document::Rejected { report_id, reason } => b
            .s("status", "REJECTED")
            .s("reportId", report_id.clone())
            .s("reason", reason.clone()),
    }
    .build();
    store.put(item, None).await
}

/// A Finances event group: one settlement period of one account and currency, and its payout.
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutRecord {
    pub group_id: String,
    pub connection: String,
    /// `Open` or `Closed`, as Amazon sent it.
    pub processing_status: String,
    pub fund_transfer_status: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub fund_transfer_date: Option<DateTime<Utc>>,
    pub total: Decimal,
    pub currency: String,
    pub converted_total: Option<(Decimal, String)>,
    pub beginning_balance: Option<(Decimal, String)>,
    pub trace_id: Option<String>,
    pub account_tail: Option<String>,
}

impl PayoutRecord {
    /// Reads Amazon's event group; a group without its id or `OriginalTotal` is an error.
    pub fn from_amazon(
        connection: &str,
        g: &crate::amazon::models::finances_v0::FinancialEventGroup,
    ) -> Result<Self, String> {
        let id = g
            .financial_event_group_id
            .clone()
            .filter(|i| !i.is_empty())
            .ok_or("a financial event group without FinancialEventGroupId")?;
        let money = |c: &Option<crate::amazon::models::finances_v0::Currency>| {
            c.as_ref().and_then(|c| {
                Some((
                    c.currency_amount?,
                    c.currency_code.clone().unwrap_or_default(),
                ))
            })
        };
        let (total, currency) = money(&g.original_total)
            .ok_or_else(|| format!("financial event group {id}: no OriginalTotal"))?;
        Ok(Self {
            connection: connection.to_string(),
            processing_status: g.processing_status.clone().unwrap_or_else(|| "Open".into()),
            fund_transfer_status: g.fund_transfer_status.clone(),
            start: g.financial_event_group_start,
            end: g.financial_event_group_end,
            fund_transfer_date: g.fund_transfer_date,
            total,
            currency,
            converted_total: money(&g.converted_total),
            beginning_balance: money(&g.beginning_balance),
            trace_id: g.trace_id.clone(),
            account_tail: g.account_tail.clone(),
            group_id: id,
        })
    }

    pub fn is_closed(&self) -> bool {
        self.processing_status.eq_ignore_ascii_case("Closed")
    }

    pub fn to_item(&self, tenant: &Tenant) -> Item {
        let mut b = ItemBuilder::at(keys::tenant(tenant).payout(&self.group_id))
            .s("groupId", self.group_id.clone())
            .s("connection", self.connection.clone())
            .s("processingStatus", self.processing_status.clone())
            .opt_s("fundTransferStatus", self.fund_transfer_status.clone())
            .opt_time("start", self.start)
            .opt_time("end", self.end)
            .opt_time("fundTransferDate", self.fund_transfer_date)
            .decimal("totalAmount", self.total)
            .s("totalAmountText", self.total.to_string())
            .s("currency", self.currency.clone())
            .opt_s("traceId", self.trace_id.clone())
            .opt_s("accountTail", self.account_tail.clone());
        if let Some((a, c)) = &self.converted_total {
            b = b
                .s("convertedTotalText", a.to_string())
                .s("convertedCurrency", c.clone());
        }
        if let Some((a, c)) = &self.beginning_balance {
            b = b
                .s("beginningBalanceText", a.to_string())
                .s("beginningBalanceCurrency", c.clone());
        }
        b.build()
    }

    pub fn from_item(i: &Item) -> Result<Self, StoreError> {
        let dec = |f: &str| -> Result<Decimal, StoreError> {
            i.s(f)?
                .parse()
                .map_err(|_| StoreError::Corrupt(f.to_string()))
        };
        let pair = |a: &str, c: &str| -> Option<(Decimal, String)> {
            Some((i.opt_s(a)?.parse().ok()?, i.opt_s(c)?))
        };
        Ok(Self {
            group_id: i.s("groupId")?,
            connection: i.s("connection")?,
            processing_status: i.s("processingStatus")?,
            fund_transfer_status: i.opt_s("fundTransferStatus"),
            start: i.opt_time("start"),
            end: i.opt_time("end"),
            fund_transfer_date: i.opt_time("fundTransferDate"),
            total: dec("totalAmountText")?,
            currency: i.s("currency")?,
            converted_total: pair("convertedTotalText", "convertedCurrency"),
            beginning_balance: pair("beginningBalanceText", "beginningBalanceCurrency"),
            trace_id: i.opt_s("traceId"),
            account_tail: i.opt_s("accountTail"),
        })
    }
}

/// Writes a payout. Amazon gives event groups no update time, but a group only moves from
/// open to closed: the source version is that stage (`1` open, `2` closed). A closed group is
/// never overwritten by an open one; an open group is rewritten when its content changed (its
/// total grows while the period runs), and the same content read again writes nothing.
pub async fn put_payout(
    store: &dyn Store,
    tenant: &Tenant,
    payout: &PayoutRecord,
) -> Result<Written, StoreError> {
    let version = if payout.is_closed() { "2" } else { "1" };
    let mut item = payout.to_item(tenant);
    item.insert(
        crate::records::SOURCE_VERSION.into(),
        crate::ports::store::Value::S(version.into()),
    );
    if let Some(stored) = store
        .get(&keys::tenant(tenant).payout(&payout.group_id))
        .await?
    {
        if stored == item {
            return Ok(Written::Stale);
        }
    }
    use crate::ports::store::{Condition, Value};
    let guard = Condition::Any(vec![
        Condition::NotExists,
        Condition::Below(
            crate::records::SOURCE_VERSION.into(),
            Value::S(version.into()),
        ),
        Condition::Equals(crate::records::SOURCE_VERSION.into(), Value::S("1".into())),
    ]);
    match store.put(item, Some(guard)).await {
        Ok(()) => Ok(Written::Stored),
        Err(StoreError::ConditionFailed) => Ok(Written::Stale),
        Err(e) => Err(e),
    }
}

/// Every stored payout of the tenant.
pub async fn payouts(store: &dyn Store, tenant: &Tenant) -> Result<Vec<PayoutRecord>, StoreError> {
    query_all(store, keys::tenant(tenant).payouts())
        .await?
        .iter()
        .map(PayoutRecord::from_item)
        .collect()
}
