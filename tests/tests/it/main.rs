//! The integration tests: port contracts on every adapter, the HTTP API through its public
//! routers, tenant isolation, and the sample events through the Lambda handlers.

mod accounts;
mod amazon_ads;
mod amazon_client;
mod amazon_connect;
mod amazon_json;
mod amazon_models;
mod amazon_operations;
mod amazon_reports;
mod amazon_sync_api;
mod auth;
mod contracts;
mod events;
mod helpers;
mod inventory_api;
mod inventory_e2e;
mod inventory_forecast;
mod inventory_jobs;
mod isolation;
mod job_events;
mod jobs;
mod local_runner;
mod notifications;
mod ppc_api;
mod ppc_apply;
mod ppc_blocks;
mod ppc_consent;
mod ppc_sync;
mod profit_api;
mod profit_api_e2e;
mod profit_blocks;
mod profit_e2e;
mod profit_ledger;
mod queues;
mod sync_e2e;
mod sync_inbound;
mod sync_inventory;
mod sync_listings;
mod sync_money;
mod sync_state;
mod sync_worker;
// Ads report streaming (adsstream)
mod ads_stream;
