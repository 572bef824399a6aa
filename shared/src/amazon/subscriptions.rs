//! Amazon notifications for a connected seller: our application's one SQS destination per
//! region (grantless, found or created once and remembered in the table), and each seller's
//! subscriptions to the types the sync acts on. Disconnecting deletes the seller's
//! subscriptions (grantless, by id), so Amazon stops sending what nobody reads.
//!
//! Keys: `AMZAPP#NOTIFICATIONS/DEST#<region>` (the destination id) and
//! `ACCT#<t>/AMZSUB#<connection>` (the seller's subscription ids).

use super::app::{region_of, AmazonApp};
use super::client::Context;
use super::error::AmazonError;
use super::models::notifications::{
    CreateDestinationRequest, CreateSubscriptionRequest, DestinationResourceSpecification,
    SqsResource,
};
use super::operations::GetSubscriptionParams;
use crate::connections::AmazonAccount;
use crate::domain::AmazonAccountId;
use crate::keys::{self, Tenant};
use crate::marketplaces::Region;
use crate::ports::store::{ItemBuilder, ItemExt, Store, StoreError};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// The notification types a connection subscribes to, with their payload versions.
pub const NOTIFICATION_TYPES: [(&str, &str); 10] = [
    ("ORDER_CHANGE", "1.0"),
    ("TRANSACTION_UPDATE", "1.0"),
    ("REPORT_PROCESSING_FINISHED", "2020-09-04"),
    // Listings, catalog, offers and fees (`crate::sync::listings::Notified`).
    ("ANY_OFFER_CHANGED", "1.0"),
    ("FEE_PROMOTION", "1.0"),
    ("LISTINGS_ITEM_STATUS_CHANGE", "1.0"),
    ("LISTINGS_ITEM_ISSUES_CHANGE", "1.0"),
    ("ITEM_PRODUCT_TYPE_CHANGE", "1.0"),
    ("PRICING_HEALTH", "1.0"),
    // FBA stock (`crate::sync::inventory::apply_availability`).
    ("FBA_INVENTORY_AVAILABILITY_CHANGES", "1.0"),
];

/// The name our destinations carry at Amazon.
const DESTINATION_NAME: &str = "beddora-notifications";

fn dependency(e: StoreError) -> AmazonError {
    AmazonError::Dependency(e.to_string())
}

/// The context of a grantless call: it acts for the application, so it only carries the
/// deadline.
fn grantless(deadline: DateTime<Utc>) -> Context {
    Context::new(
        "application",
        "application",
        SecretString::from(String::new()),
        deadline,
    )
}

/// Whether Amazon answered "this already exists".
fn exists(e: &AmazonError) -> bool {
    matches!(e, AmazonError::InvalidInput { status: 409, .. })
}

/// Our destination for `queue_arn` in `region`: the remembered one while Amazon still has
/// it, else one Amazon already has for that queue, else a new one.
pub async fn destination(
    app: &AmazonApp,
    store: &dyn Store,
    region: Region,
    queue_arn: &str,
    deadline: DateTime<Utc>,
) -> Result<String, AmazonError> {
    let api = app.sp_api(region);
    let ctx = grantless(deadline);
    let key = keys::notification_destination(region.code());
    let remembered = store
        .get(&key)
        .await
        .map_err(dependency)?
        .filter(|i| i.opt_s("queueArn").as_deref() == Some(queue_arn))
        .and_then(|i| i.opt_s("destinationId"));
    if let Some(id) = remembered {
        match api.notifications().get_destination(&ctx, &id).await {
            Ok(_) => return Ok(id),
            Err(AmazonError::NotFound(_)) => {
                tracing::warn!(region = region.code(), destination = %id, "remembered notification destination is gone at Amazon; finding or creating another");
            }
            Err(e) => return Err(e),
        }
    }
    let find = || async {
        Ok::<_, AmazonError>(
            api.notifications()
                .get_destinations(&ctx)
                .await?
                .payload
                .into_iter()
                .find(|d| d.resource.sqs.as_ref().is_some_and(|s| s.arn == queue_arn))
                .map(|d| d.destination_id),
        )
    };
    let id = match find().await? {
        Some(id) => id,
        None => {
            let request = CreateDestinationRequest {
                resource_specification: DestinationResourceSpecification {
                    sqs: Some(SqsResource {
                        arn: queue_arn.to_string(),
                    }),
                    event_bridge: None,
                },
                name: DESTINATION_NAME.to_string(),
            };
            match api
                .notifications()
                .create_destination(&ctx, &request)
                .await
            {
                Ok(r) => r
                    .payload
                    .map(|d| d.destination_id)
                    .ok_or_else(|| {
                        AmazonError::Dependency("createDestination answered no destination".into())
                    })?,
                // Another process created it meanwhile.
                Err(e) if exists(&e) => find().await?.ok_or_else(|| {
                    AmazonError::Dependency(
                        "createDestination says the destination exists, getDestinations does not list it"
                            .into(),
                    )
                })?,
                Err(e) => return Err(e),
            }
        }
    };
    let item = ItemBuilder::at(key)
        .s("destinationId", id.clone())
        .s("queueArn", queue_arn)
        .build();
    store.put(item, None).await.map_err(dependency)?;
    tracing::info!(region = region.code(), destination = %id, "notification destination ready");
    Ok(id)
}

/// Subscribes the seller of `ctx` to every type of [`NOTIFICATION_TYPES`] on `destination_id`;
/// a subscription that already exists counts as made. Returns `(type, subscription id)`.
pub async fn subscribe(
    app: &AmazonApp,
    region: Region,
    ctx: &Context,
    destination_id: &str,
) -> Result<Vec<(String, String)>, AmazonError> {
    let api = app.sp_api(region);
    let mut out = vec![];
    for (kind, version) in NOTIFICATION_TYPES {
        let request = CreateSubscriptionRequest {
            payload_version: version.to_string(),
            destination_id: destination_id.to_string(),
            processing_directive: None,
        };
        let id = match api
            .notifications()
            .create_subscription(ctx, kind, &request)
            .await
        {
            Ok(r) => r.payload.map(|s| s.subscription_id),
            Err(e) if exists(&e) => api
                .notifications()
                .get_subscription(
                    ctx,
                    kind,
                    &GetSubscriptionParams {
                        payload_version: Some(version.to_string()),
                    },
                )
                .await?
                .payload
                .map(|s| s.subscription_id),
            Err(e) => return Err(e),
        }
        .ok_or_else(|| AmazonError::Dependency(format!("no subscription id for {kind}")))?;
        out.push((kind.to_string(), id));
    }
    Ok(out)
}

/// Remembers a connection's subscriptions (for [`unsubscribe`]).
pub async fn remember(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &AmazonAccountId,
    subscriptions: &[(String, String)],
) -> Result<(), StoreError> {
    let list: Vec<String> = subscriptions
        .iter()
        .map(|(kind, id)| format!("{kind}:{id}"))
        .collect();
    let item = ItemBuilder::at(keys::tenant(tenant).amazon_subscriptions(connection))
        .s("connection", connection.as_str())
        .list_s("subscriptions", &list)
        .build();
    store.put(item, None).await
}

/// The remembered subscriptions of a connection, `(type, id)`.
pub async fn remembered(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &AmazonAccountId,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(store
        .get(&keys::tenant(tenant).amazon_subscriptions(connection))
        .await?
        .map(|i| {
            i.list_s("subscriptions")
                .iter()
                .filter_map(|s| s.split_once(':'))
                .map(|(k, id)| (k.to_string(), id.to_string()))
                .collect()
        })
        .unwrap_or_default())
}

/// Forgets a connection's subscriptions without deleting them at Amazon (another connection
/// of the same seller still uses them: Amazon keeps one subscription per seller and type).
pub async fn forget(
    store: &dyn Store,
    tenant: &Tenant,
    connection: &AmazonAccountId,
) -> Result<(), StoreError> {
    store
        .delete(&keys::tenant(tenant).amazon_subscriptions(connection), None)
        .await
}

/// Deletes the connection's subscriptions at Amazon (grantless, by id; one already gone
/// counts as deleted), then forgets them. Returns how many Amazon deleted. The remembered
/// list is kept when Amazon fails, so a later call can finish.
pub async fn unsubscribe(
    app: &AmazonApp,
    store: &dyn Store,
    account: &AmazonAccount,
    deadline: DateTime<Utc>,
) -> Result<usize, AmazonError> {
    let subs = remembered(store, &account.tenant, &account.id)
        .await
        .map_err(dependency)?;
    let api = app.sp_api(region_of(account));
    let ctx = grantless(deadline);
    let mut deleted = 0;
    for (kind, id) in &subs {
        match api
            .notifications()
            .delete_subscription_by_id(&ctx, kind, id)
            .await
        {
            Ok(_) => deleted += 1,
            Err(AmazonError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    store
        .delete(
            &keys::tenant(&account.tenant).amazon_subscriptions(&account.id),
            None,
        )
        .await
        .map_err(dependency)?;
    Ok(deleted)
}
