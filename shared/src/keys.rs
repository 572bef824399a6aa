//! The keys of a tenant's partition, written in one place (`infra/ACCESS_PATTERNS.md`).
//!
//! A tenant partition (`ACCT#<t>`) is reached only through a [`Tenant`], and a `Tenant` comes
//! only from a verified membership (`tenancy::resolve`, a stored membership) or from an account
//! that is being created. A request's raw `accountId` is a [`TenantId`], which cannot build a
//! key: it has to pass the membership check first.

use crate::domain::{AmazonAccountId, TenantId, UserId};
use crate::ports::store::{Index, Key, Query, SortKey};
use std::fmt;

/// A tenant the caller is entitled to act on. There is no public way to make one from a
/// [`TenantId`]: it is handed out by the membership check, or minted for a new account.
///
/// ```compile_fail
/// // A tenant id taken from a request cannot address a partition.
/// let requested = shared::domain::TenantId::new();
/// let t = shared::keys::Tenant::verified(requested);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant(TenantId);

impl Tenant {
    /// A brand-new tenant, for the account being created (nobody else holds its id).
    pub fn create() -> Self {
        Self(TenantId::new())
    }

    /// A tenant proven by the store: read from a membership, or the account being created in
    /// the same guarded transaction. Crate-private so that only the tenancy repository mints it.
    pub(crate) fn verified(id: TenantId) -> Self {
        Self(id)
    }

    pub fn id(&self) -> &TenantId {
        &self.0
    }
}

impl std::ops::Deref for Tenant {
    type Target = TenantId;
    fn deref(&self) -> &TenantId {
        &self.0
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl serde::Serialize for Tenant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// The keys of one tenant's partition.
pub fn tenant(t: &Tenant) -> TenantKey<'_> {
    TenantKey(&t.0)
}

/// The keys of a tenant that is not verified yet: only the membership check itself reads them.
pub(crate) fn unverified(t: &TenantId) -> TenantKey<'_> {
    TenantKey(t)
}

/// The partition key of a tenant.
pub fn pk(t: &Tenant) -> String {
    tenant(t).pk()
}

const ACCOUNT: &str = "ACCOUNT";
const MEMBER: &str = "MEMBER#";
const ROLE: &str = "ROLE#";
const PERMISSION: &str = "PERM#";
const MARKETPLACE: &str = "MKT#";
const AMAZON_ACCOUNT: &str = "AMZ#";
const AMAZON_MARKER: &str = "AMZMKT#";
const USER_MARKETPLACE: &str = "UMKT#";
const JOB_DONE: &str = "JOBDONE#";
const JOB_FAILURE: &str = "JOBERR#";
const LEASE: &str = "LEASE#";
const SYNC_STATE: &str = "SYNC#";
const SYNC_RUN: &str = "SYNCLOG#";
const AMAZON_SUBSCRIPTIONS: &str = "AMZSUB#";
const ORDER: &str = "ORDER#";
const FIN_TRANSACTION: &str = "FTX#";
const SETTLEMENT: &str = "STL#";
const SETTLEMENT_LINE: &str = "STLLINE#";
const SETTLEMENT_DOCUMENT: &str = "STLDOC#";
const FEE_ESTIMATE: &str = "FEE#";
const PAYOUT: &str = "PAYOUT#";
// Inventory, ledger, returns, reimbursements (`crate::records::{inventory, ledger, returns,
// reimbursements}`).
const INVENTORY: &str = "INV#";
const LEDGER_EVENT: &str = "INVLEDGER#";
const LEDGER_DAY: &str = "INVDAY#";
const CUSTOMER_RETURN: &str = "RETURN#";
const REIMBURSEMENT: &str = "REIMB#";
const INBOUND_PLAN: &str = "INBPLAN#";
const INBOUND_SHIPMENT: &str = "INBSHIP#";

/// Builds the keys and queries of one tenant's partition `ACCT#<t>`.
#[derive(Debug, Clone, Copy)]
pub struct TenantKey<'a>(&'a TenantId);

impl TenantKey<'_> {
    pub fn pk(&self) -> String {
        format!("ACCT#{}", self.0)
    }

    fn key(&self, sk: impl Into<String>) -> Key {
        Key::new(self.pk(), sk)
    }

    fn prefix(&self, prefix: impl Into<String>) -> Query {
        Query::partition(Index::Table, self.pk()).sk(SortKey::BeginsWith(prefix.into()))
    }

    /// `ACCT#<t>/ACCOUNT`: the account (tenant) itself.
    pub fn account(&self) -> Key {
        self.key(ACCOUNT)
    }

    /// `ACCT#<t>/MEMBER#<u>`: a membership and its roles.
    pub fn member(&self, u: &UserId) -> Key {
        self.key(format!("{MEMBER}{u}"))
    }

    pub fn members(&self) -> Query {
        self.prefix(MEMBER)
    }

    /// `ACCT#<t>/ROLE#<id>`: a custom role.
    pub fn role(&self, id: &str) -> Key {
        self.key(format!("{ROLE}{id}"))
    }

    pub fn roles(&self) -> Query {
        self.prefix(ROLE)
    }

    /// `ACCT#<t>/PERM#<name>`: a custom permission.
    pub fn permission(&self, name: &str) -> Key {
        self.key(format!("{PERMISSION}{name}"))
    }

    pub fn permissions(&self) -> Query {
        self.prefix(PERMISSION)
    }

    /// `ACCT#<t>/MKT#<marketplaceId>`: a marketplace the account works on.
    pub fn marketplace(&self, marketplace_id: &str) -> Key {
        self.key(format!("{MARKETPLACE}{marketplace_id}"))
    }

    pub fn marketplaces(&self) -> Query {
        self.prefix(MARKETPLACE)
    }

    /// `ACCT#<t>/AMZ#<id>`: a connected Amazon seller account.
    pub fn amazon_account(&self, id: &AmazonAccountId) -> Key {
        self.key(format!("{AMAZON_ACCOUNT}{id}"))
    }

    pub fn amazon_accounts(&self) -> Query {
        self.prefix(AMAZON_ACCOUNT)
    }

    /// `ACCT#<t>/AMZMKT#<country>`: at most one connection per marketplace country.
    pub fn amazon_marker(&self, country: &str) -> Key {
        self.key(format!("{AMAZON_MARKER}{country}"))
    }

    /// `ACCT#<t>/UMKT#<u>#<marketplaceId>`: a member's link to a marketplace.
    pub fn user_marketplace(&self, u: &UserId, marketplace_id: &str) -> Key {
        self.key(format!("{USER_MARKETPLACE}{u}#{marketplace_id}"))
    }

    /// Every user-marketplace link of one member.
    pub fn user_marketplaces_of(&self, u: &UserId) -> Query {
        self.prefix(format!("{USER_MARKETPLACE}{u}#"))
    }

    /// Every user-marketplace link of the tenant.
    pub fn user_marketplaces(&self) -> Query {
        self.prefix(USER_MARKETPLACE)
    }

    /// `ACCT#<t>/JOBDONE#<key>`: a job step that is done (expires after the redelivery window).
    pub fn job_done(&self, idempotency_key: &str) -> Key {
        self.key(format!("{JOB_DONE}{idempotency_key}"))
    }

    /// `ACCT#<t>/JOBERR#<messageId>`: a job that failed for good, for the error-recovery API.
    pub fn job_failure(&self, message_id: &str) -> Key {
        self.key(format!("{JOB_FAILURE}{message_id}"))
    }

    pub fn job_failures(&self) -> Query {
        self.prefix(JOB_FAILURE)
    }

    /// `ACCT#<t>/SYNC#<connection>#<dataset>`: where a dataset's sync stands.
    pub fn sync_state(&self, connection: &str, dataset: &str) -> Key {
        self.key(format!("{SYNC_STATE}{connection}#{dataset}"))
    }

    pub fn sync_states(&self) -> Query {
        self.prefix(SYNC_STATE)
    }

    /// `ACCT#<t>/SYNCLOG#<completedAt>#<runId>`: a finished sync run, newest last.
    pub fn sync_run(&self, completed_at: &str, run_id: &str) -> Key {
        self.key(format!("{SYNC_RUN}{completed_at}#{run_id}"))
    }

    pub fn sync_runs(&self) -> Query {
        self.prefix(SYNC_RUN)
    }

    /// `ACCT#<t>/AMZSUB#<id>`: the notification subscriptions Amazon made for a connection.
    pub fn amazon_subscriptions(&self, id: &AmazonAccountId) -> Key {
        self.key(format!("{AMAZON_SUBSCRIPTIONS}{id}"))
    }

    /// `ACCT#<t>/LEASE#<name>`: who holds a piece of work (e.g. a connection's dataset).
    pub fn lease(&self, name: &str) -> Key {
        self.key(format!("{LEASE}{name}"))
    }

    /// `ACCT#<t>/ORDER#<amazonOrderId>`: an Amazon order with its items (`records::orders`).
    pub fn order(&self, amazon_order_id: &str) -> Key {
        self.key(format!("{ORDER}{amazon_order_id}"))
    }

    /// Every order of the tenant.
    pub fn orders(&self) -> Query {
        self.prefix(ORDER)
    }

    /// gsi1 partition of a marketplace's orders by purchase time:
    /// `ACCT#<t>#ORDERS#<marketplaceId>` / `<purchase date RFC 3339>#<amazonOrderId>`.
    pub fn orders_by_purchase_pk(&self, marketplace_id: &str) -> String {
        format!("{}#ORDERS#{marketplace_id}", self.pk())
    }

    /// A marketplace's orders purchased in `[from, to]` (RFC 3339 bounds, inclusive).
    pub fn orders_purchased(&self, marketplace_id: &str, from: &str, to: &str) -> Query {
        Query::partition(Index::Gsi1, self.orders_by_purchase_pk(marketplace_id))
            .sk(SortKey::Between(from.to_string(), format!("{to}~")))
    }

    /// `ACCT#<t>/FTX#<transactionId>`: a Finances 2024-06-19 transaction.
    pub fn transaction(&self, transaction_id: &str) -> Key {
        self.key(format!("{FIN_TRANSACTION}{transaction_id}"))
    }

    pub fn transactions(&self) -> Query {
        self.prefix(FIN_TRANSACTION)
    }

    /// gsi1 partition of a marketplace's transactions, sorted by `<posted>#<transactionId>`.
    pub fn transactions_posted_pk(&self, marketplace_id: &str) -> String {
        format!("{}#{FIN_TRANSACTION}{marketplace_id}", self.pk())
    }

    /// A marketplace's transactions posted in `[from, to)` (RFC 3339 UTC with milliseconds:
    /// `<to>#…` sorts after `<to>`, every earlier instant before it).
    pub fn transactions_posted(&self, marketplace_id: &str, from: &str, to: &str) -> Query {
        Query::partition(Index::Gsi1, self.transactions_posted_pk(marketplace_id))
            .sk(SortKey::Between(from.to_string(), to.to_string()))
    }

    /// `ACCT#<t>/STL#<settlementId>`: a settlement (the payout) read from its flat file.
    pub fn settlement(&self, settlement_id: &str) -> Key {
        self.key(format!("{SETTLEMENT}{settlement_id}"))
    }

    pub fn settlements(&self) -> Query {
        self.prefix(SETTLEMENT)
    }

    /// `ACCT#<t>/STLLINE#<settlementId>#<line, 6 digits>`: one money line of a settlement.
    pub fn settlement_line(&self, settlement_id: &str, line: u64) -> Key {
        self.key(format!("{SETTLEMENT_LINE}{settlement_id}#{line:06}"))
    }

    pub fn settlement_lines(&self, settlement_id: &str) -> Query {
        self.prefix(format!("{SETTLEMENT_LINE}{settlement_id}#"))
    }

    /// `ACCT#<t>/STLDOC#<marketplaceId>#<period>`: the settlement document of a period that
    /// has been read (or rejected), so each is downloaded once whichever layout lists it.
    pub fn settlement_document(&self, marketplace_id: &str, period: &str) -> Key {
        self.key(format!("{SETTLEMENT_DOCUMENT}{marketplace_id}#{period}"))
    }

    /// `ACCT#<t>/FEE#<marketplaceId>#<channel>#<sku>#<price>`: Amazon's fee estimate for a
    /// listing at a price.
    pub fn fee_estimate(&self, marketplace_id: &str, channel: &str, sku: &str, price: &str) -> Key {
        self.key(format!(
            "{FEE_ESTIMATE}{marketplace_id}#{channel}#{sku}#{price}"
        ))
    }

    pub fn fee_estimates(&self) -> Query {
        self.prefix(FEE_ESTIMATE)
    }

    /// `ACCT#<t>/PAYOUT#<financialEventGroupId>`: a Finances event group (settlement period
    /// and its disbursement), open or closed.
    pub fn payout(&self, group_id: &str) -> Key {
        self.key(format!("{PAYOUT}{group_id}"))
    }

    pub fn payouts(&self) -> Query {
        self.prefix(PAYOUT)
    }

    /// `ACCT#<t>/INV#<marketplaceId>#<sku>`: a SKU's FBA stock in a marketplace, as of the
    /// newest figure Amazon gave (inventory summaries or an availability notification).
    pub fn inventory(&self, marketplace_id: &str, sku: &str) -> Key {
        self.key(format!("{INVENTORY}{marketplace_id}#{sku}"))
    }

    pub fn inventories(&self) -> Query {
        self.prefix(INVENTORY)
    }

    /// `ACCT#<t>/INVLEDGER#<marketplaceId>#<date and time>#<event key>`: one inventory ledger
    /// event (the detail view), sorted by time within a marketplace.
    pub fn ledger_event(&self, marketplace_id: &str, at: &str, event_key: &str) -> Key {
        self.key(format!("{LEDGER_EVENT}{marketplace_id}#{at}#{event_key}"))
    }

    pub fn ledger_events(&self) -> Query {
        self.prefix(LEDGER_EVENT)
    }

    /// A marketplace's ledger events in `[from, to)` (the same time text as the keys).
    pub fn ledger_events_between(&self, marketplace_id: &str, from: &str, to: &str) -> Query {
        Query::partition(Index::Table, self.pk()).sk(SortKey::Between(
            format!("{LEDGER_EVENT}{marketplace_id}#{from}"),
            format!("{LEDGER_EVENT}{marketplace_id}#{to}"),
        ))
    }

    /// `ACCT#<t>/INVDAY#<marketplaceId>#<sku>#<day>#<fnsku>#<disposition>#<location>`: a
    /// SKU's stock at the end of a day (the ledger summary view, daily).
    pub fn ledger_day(
        &self,
        marketplace_id: &str,
        sku: &str,
        day: &str,
        fnsku: &str,
        disposition: &str,
        location: &str,
    ) -> Key {
        self.key(format!(
            "{LEDGER_DAY}{marketplace_id}#{sku}#{day}#{fnsku}#{disposition}#{location}"
        ))
    }

    pub fn ledger_days(&self) -> Query {
        self.prefix(LEDGER_DAY)
    }

    /// One SKU's daily rows of a marketplace, oldest first.
    pub fn ledger_days_of(&self, marketplace_id: &str, sku: &str) -> Query {
        self.prefix(format!("{LEDGER_DAY}{marketplace_id}#{sku}#"))
    }

    /// `ACCT#<t>/RETURN#<marketplaceId>#<orderId>#<LPN or return key>`: a customer return.
    pub fn customer_return(&self, marketplace_id: &str, order_id: &str, return_key: &str) -> Key {
        self.key(format!(
            "{CUSTOMER_RETURN}{marketplace_id}#{order_id}#{return_key}"
        ))
    }

    pub fn customer_returns(&self) -> Query {
        self.prefix(CUSTOMER_RETURN)
    }

    /// `ACCT#<t>/REIMB#<reimbursementId>#<sku>`: one line of an FBA reimbursement.
    pub fn reimbursement(&self, reimbursement_id: &str, sku: &str) -> Key {
        self.key(format!("{REIMBURSEMENT}{reimbursement_id}#{sku}"))
    }

    pub fn reimbursements(&self) -> Query {
        self.prefix(REIMBURSEMENT)
    }
}

// Listings, catalog, offers and feedback (`shared::records::{listings, offers, feedback}`).
const LISTING: &str = "LISTING#";
const CATALOG_ITEM: &str = "CATALOG#";
const BUY_BOX: &str = "BUYBOX#";
const OFFER_POINT: &str = "OFFERPT#";
const PRICING_HEALTH: &str = "PRICEHEALTH#";
const FEEDBACK: &str = "FEEDBACK#";

impl TenantKey<'_> {
    /// `ACCT#<t>/LISTING#<marketplaceId>#<sku>`: a listing of the seller.
    pub fn listing(&self, marketplace_id: &str, sku: &str) -> Key {
        self.key(format!("{LISTING}{marketplace_id}#{sku}"))
    }

    pub fn listings(&self) -> Query {
        self.prefix(LISTING)
    }

    /// `ACCT#<t>/CATALOG#<marketplaceId>#<asin>`: Amazon's catalog data of an ASIN.
    pub fn catalog_item(&self, marketplace_id: &str, asin: &str) -> Key {
        self.key(format!("{CATALOG_ITEM}{marketplace_id}#{asin}"))
    }

    pub fn catalog_items(&self) -> Query {
        self.prefix(CATALOG_ITEM)
    }

    /// `ACCT#<t>/BUYBOX#<marketplaceId>#<asin>`: the latest offers summary of an ASIN.
    pub fn buy_box(&self, marketplace_id: &str, asin: &str) -> Key {
        self.key(format!("{BUY_BOX}{marketplace_id}#{asin}"))
    }

    pub fn buy_boxes(&self) -> Query {
        self.prefix(BUY_BOX)
    }

    /// `ACCT#<t>/OFFERPT#<marketplaceId>#<asin>#<time of change>`: one point of the series.
    pub fn offer_point(&self, marketplace_id: &str, asin: &str, at: &str) -> Key {
        self.key(format!("{OFFER_POINT}{marketplace_id}#{asin}#{at}"))
    }

    /// The series of one ASIN in one marketplace, oldest first.
    pub fn offer_points(&self, marketplace_id: &str, asin: &str) -> Query {
        self.prefix(format!("{OFFER_POINT}{marketplace_id}#{asin}#"))
    }

    pub fn all_offer_points(&self) -> Query {
        self.prefix(OFFER_POINT)
    }

    /// `ACCT#<t>/PRICEHEALTH#<marketplaceId>#<asin>#<time of change>#<issue>`.
    pub fn pricing_health(&self, marketplace_id: &str, asin: &str, at: &str, issue: &str) -> Key {
        self.key(format!(
            "{PRICING_HEALTH}{marketplace_id}#{asin}#{at}#{issue}"
        ))
    }

    pub fn pricing_health_all(&self) -> Query {
        self.prefix(PRICING_HEALTH)
    }

    /// `ACCT#<t>/FEEDBACK#<marketplaceId>#<amazonOrderId>`: a buyer's feedback on an order.
    pub fn feedback(&self, marketplace_id: &str, order_id: &str) -> Key {
        self.key(format!("{FEEDBACK}{marketplace_id}#{order_id}"))
    }

    pub fn feedbacks(&self) -> Query {
        self.prefix(FEEDBACK)
    }

    /// `ACCT#<t>/INBPLAN#<inboundPlanId>`: a Fulfillment Inbound plan (`records::inbound`).
    pub fn inbound_plan(&self, plan_id: &str) -> Key {
        self.key(format!("{INBOUND_PLAN}{plan_id}"))
    }

    pub fn inbound_plans(&self) -> Query {
        self.prefix(INBOUND_PLAN)
    }

    /// gsi1 partition of the tenant's open inbound plans (sparse: only open plans carry it),
    /// sorted by `<connection>#<inboundPlanId>`.
    pub fn inbound_open_pk(&self) -> String {
        format!("{}#INBOPEN", self.pk())
    }

    /// A connection's open inbound plans.
    pub fn inbound_open(&self, connection: &str) -> Query {
        Query::partition(Index::Gsi1, self.inbound_open_pk())
            .sk(SortKey::BeginsWith(format!("{connection}#")))
    }

    /// `ACCT#<t>/INBSHIP#<shipmentId>`: a shipment of an inbound plan with its items.
    pub fn inbound_shipment(&self, shipment_id: &str) -> Key {
        self.key(format!("{INBOUND_SHIPMENT}{shipment_id}"))
    }

    pub fn inbound_shipments(&self) -> Query {
        self.prefix(INBOUND_SHIPMENT)
    }

    /// gsi1 partition of a plan's shipments: `ACCT#<t>#INBPLAN#<inboundPlanId>` / `<shipmentId>`.
    pub fn inbound_plan_shipments_pk(&self, plan_id: &str) -> String {
        format!("{}#{INBOUND_PLAN}{plan_id}", self.pk())
    }

    pub fn inbound_plan_shipments(&self, plan_id: &str) -> Query {
        Query::partition(Index::Gsi1, self.inbound_plan_shipments_pk(plan_id)).sk(SortKey::Any)
    }
}

// Inventory planning (`functions/api-inventory`): suppliers, purchase orders, FBA shipment
// drafts, reseller batches and per-SKU settings, one JSON document each.
const STOCK_PLAN: &str = "STOCKPLAN#";

impl TenantKey<'_> {
    /// `ACCT#<t>/STOCKPLAN#<kind>#<id>`: one inventory-planning document of a kind.
    pub fn stock_plan(&self, kind: &str, id: &str) -> Key {
        self.key(format!("{STOCK_PLAN}{kind}#{id}"))
    }

    /// Every inventory-planning document of a kind.
    pub fn stock_plans(&self, kind: &str) -> Query {
        self.prefix(format!("{STOCK_PLAN}{kind}#"))
    }
}

/// `USER#<u>/ACCT#<t>`: the user's side of a membership (their list of accounts).
pub fn user_account(u: &UserId, t: &TenantId) -> Key {
    Key::new(user_pk(u), format!("ACCT#{t}"))
}

/// Every account link of a user.
pub fn user_accounts(u: &UserId) -> Query {
    Query::partition(Index::Table, user_pk(u)).sk(SortKey::BeginsWith("ACCT#".into()))
}

/// `OAUTHSTATE#<sha256 of the state>/STATE`: a pending "Connect Amazon", found from the
/// `state` Amazon hands back alone (the callback carries no bearer). Only the digest is stored.
pub fn oauth_state(state_digest: &str) -> Key {
    Key::new(format!("OAUTHSTATE#{state_digest}"), "STATE")
}

/// `AMZAPP#NOTIFICATIONS/DEST#<region>`: our application's one notification destination in
/// a region (Amazon's id of it).
pub fn notification_destination(region: &str) -> Key {
    Key::new("AMZAPP#NOTIFICATIONS", format!("DEST#{region}"))
}

fn user_pk(u: &UserId) -> String {
    format!("USER#{u}")
}

// Costs entered by the seller (`shared::costs`): unit costs, FIFO batches, expenses, manual
// returns and cashflow entries. One small prefix each; a tenant holds at most thousands.
const COST_PREFIXES: [&str; 5] = ["UCOST#", "CBATCH#", "EXP#", "RET#", "CASH#"];

/// The kinds of seller-entered cost records, each under its own prefix of the tenant partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostRecord {
    /// `ACCT#<t>/UCOST#<id>`: an effective-dated unit cost of a SKU.
    UnitCost,
    /// `ACCT#<t>/CBATCH#<id>`: a purchase batch with its landed cost (FIFO).
    Batch,
    /// `ACCT#<t>/EXP#<id>`: an indirect expense (one-off or recurring).
    Expense,
    /// `ACCT#<t>/RET#<id>`: a return recorded by the seller.
    Return,
    /// `ACCT#<t>/CASH#<id>`: a manual cashflow entry.
    Cashflow,
}

impl CostRecord {
    fn prefix(self) -> &'static str {
        COST_PREFIXES[self as usize]
    }
}

impl TenantKey<'_> {
    /// `ACCT#<t>/<prefix><id>`: one seller-entered cost record.
    pub fn cost_record(&self, kind: CostRecord, id: &str) -> Key {
        self.key(format!("{}{id}", kind.prefix()))
    }

    /// Every record of one kind.
    pub fn cost_records(&self, kind: CostRecord) -> Query {
        self.prefix(kind.prefix())
    }
}

/// gsi2 partition of one Amazon seller's connections, across tenants: an Amazon notification
/// names only the seller (`SELLER#<sellerId>`).
pub fn seller_connections_pk(seller_id: &str) -> String {
    format!("SELLER#{seller_id}")
}

/// gsi2 sort key of a connection in its seller's partition (`<t>#<connection>`).
pub fn seller_connection_sk(t: &Tenant, connection: &AmazonAccountId) -> String {
    format!("{t}#{connection}")
}

/// Every connection of one Amazon seller, in every tenant that connected it.
pub fn seller_connections(seller_id: &str) -> Query {
    Query::partition(Index::Gsi2, seller_connections_pk(seller_id))
}

/// `NOTIFERR` / `<messageId>`: an Amazon notification that could not be read or routed to any
/// tenant (malformed, or naming no seller we know), kept for the operators with its cause.
pub fn notification_failure(message_id: &str) -> Key {
    Key::new(NOTIFICATION_FAILURES, message_id)
}

pub fn notification_failures() -> Query {
    Query::partition(Index::Table, NOTIFICATION_FAILURES)
}

const NOTIFICATION_FAILURES: &str = "NOTIFERR";

// PPC (Amazon Ads) keys: entities, daily report rows, optimisation rules and bid-change batches.
const ADS_ENTITY: &str = "ADSENT#";
const ADS_DAY: &str = "ADSDAY#";
const PPC_RULES: &str = "PPCRULES";
const PPC_BATCH: &str = "PPCBATCH#";

impl TenantKey<'_> {
    /// `ACCT#<t>/ADSENT#<kind>#<profileId>#<id>`: an Ads entity (profile, campaign, ad group,
    /// keyword, target, product ad) as Amazon listed it.
    pub fn ads_entity(&self, kind: &str, profile_id: i64, id: &str) -> Key {
        self.key(format!("{ADS_ENTITY}{kind}#{profile_id}#{id}"))
    }

    /// Every Ads entity of one kind.
    pub fn ads_entities(&self, kind: &str) -> Query {
        self.prefix(format!("{ADS_ENTITY}{kind}#"))
    }

    /// `ACCT#<t>/ADSDAY#<level>#<date>#<profileId>#<entity>`: one report row of one entity
    /// (campaign, ad group, target, advertised product, search term) on one profile-local day.
    pub fn ads_day(&self, level: &str, date: &str, profile_id: i64, entity: &str) -> Key {
        self.key(format!("{ADS_DAY}{level}#{date}#{profile_id}#{entity}"))
    }

    /// The report rows of one level from `from` to `to` (inclusive, `YYYY-MM-DD`).
    pub fn ads_days(&self, level: &str, from: &str, to: &str) -> Query {
        Query::partition(Index::Table, self.pk()).sk(SortKey::Between(
            format!("{ADS_DAY}{level}#{from}"),
            format!("{ADS_DAY}{level}#{to}#~"),
        ))
    }

    /// `ACCT#<t>/PPCRULES`: the account's bid optimisation rules.
    pub fn ppc_rules(&self) -> Key {
        self.key(PPC_RULES)
    }

    /// `ACCT#<t>/PPCBATCH#<created, RFC 3339>#<batchId>`: one applied batch of bid and state
    /// changes with each item's before, after and result.
    pub fn ppc_batch(&self, created: &str, batch_id: &str) -> Key {
        self.key(format!("{PPC_BATCH}{created}#{batch_id}"))
    }

    pub fn ppc_batches(&self) -> Query {
        self.prefix(PPC_BATCH)
    }
}

// Inventory forecasts (api-inventory's forecasts job) --------------------------------------

/// `FORECASTS/ACCT#<t>`: a tenant whose forecasts the daily run recomputes (written by the
/// forecasts job when it computes a tenant; the daily run lists this partition).
pub fn forecast_tenant(t: &Tenant) -> Key {
    Key::new("FORECASTS", pk(t))
}

/// Every tenant of the daily forecasts run.
pub fn forecast_tenants() -> Query {
    Query::partition(Index::Table, "FORECASTS").sk(SortKey::BeginsWith("ACCT#".into()))
}

// PPC: per-entity rollups of the Ads report rows (`crate::ppc::blocks`) ---------------------

impl TenantKey<'_> {
    /// `ACCT#<t>/ADSBLK#<level>#<profileId>#<k>#<first day>#<part>`: part of a block of `2^k`
    /// days of one report level and profile, every entity's summed figures packed one a line.
    pub fn ads_block_part(
        &self,
        level: &str,
        profile_id: i64,
        k: u32,
        start: &str,
        part: usize,
    ) -> Key {
        self.key(format!("ADSBLK#{level}#{profile_id}#{k}#{start}#{part:03}"))
    }

    /// `ACCT#<t>/ADSBTOK#<level>#<profileId>#<day>`: touched when a day's rows changed, so a
    /// recompute of the day that read older rows starts over.
    pub fn ads_block_token(&self, level: &str, profile_id: i64, day: &str) -> Key {
        self.key(format!("ADSBTOK#{level}#{profile_id}#{day}"))
    }

    /// `ACCT#<t>/ADSBRDY#<level>#<profileId>`: the level's blocks of the profile are built.
    pub fn ads_blocks_built(&self, level: &str, profile_id: i64) -> Key {
        self.key(format!("ADSBRDY#{level}#{profile_id}"))
    }

    /// Every profile whose blocks of `level` are built.
    pub fn ads_blocks_built_all(&self, level: &str) -> Query {
        self.prefix(format!("ADSBRDY#{level}#"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_documented_layout() {
        let t = Tenant::create();
        let u = UserId::new();
        let k = tenant(&t);
        assert_eq!(k.account(), Key::new(format!("ACCT#{t}"), "ACCOUNT"));
        assert_eq!(k.member(&u).sk, format!("MEMBER#{u}"));
        assert_eq!(
            k.user_marketplace(&u, "ATVPDKIKX0DER").sk,
            format!("UMKT#{u}#ATVPDKIKX0DER")
        );
        assert_eq!(user_account(&u, t.id()).sk, format!("ACCT#{t}"));
        assert_eq!(pk(&t), k.pk());
    }
}
