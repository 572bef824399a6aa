//! Tenancy: accounts (tenants), memberships, roles and permissions, and the resolution of
//! the account a request acts on. The tenant always comes from the verified user's own
//! memberships; a requested `accountId` only chooses among them.
//!
//! Keys (built by `crate::keys`): `ACCT#<t>/ACCOUNT`, `ACCT#<t>/MEMBER#<u>` (roles),
//! `USER#<u>/ACCT#<t>` (the user's list of accounts, strongly consistent), `ACCT#<t>/ROLE#<id>`,
//! `ACCT#<t>/PERM#<name>`, `ACCT#<t>/MKT#<marketplaceId>`.
//!
//! This module is the membership check: it alone turns a `TenantId` into a `keys::Tenant`.

use super::users::User;
use crate::domain::{TenantId, UserId};
use crate::error::{Error, Result};
use crate::keys::{self, Tenant};
use crate::ports::store::{
    query_all, Condition, Item, ItemBuilder, ItemExt, Key, Store, TxOp, Value,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// What a permission can be about.
pub const RESOURCES: &[&str] = &[
    "profit",
    "inventory",
    "ppc",
    "alerts",
    "reports",
    "emails",
    "accounts",
    "users",
    "permissions",
];
pub const ACTIONS: &[&str] = &["read", "write", "delete"];
/// The business data every role may at least read.
const BUSINESS: &[&str] = &[
    "profit",
    "inventory",
    "ppc",
    "alerts",
    "reports",
    "emails",
    "accounts",
];

pub const ADMIN: &str = "ADMIN";
pub const MANAGER: &str = "MANAGER";
pub const VIEWER: &str = "VIEWER";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub permissions: BTreeSet<String>,
    pub builtin: bool,
}

fn perms(resources: &[&str], actions: &[&str]) -> BTreeSet<String> {
    resources
        .iter()
        .flat_map(|r| actions.iter().map(move |a| format!("{r}.{a}")))
        .collect()
}

/// The built-in roles. ADMIN also holds every custom permission of its account.
pub fn builtin_roles(custom: &BTreeSet<String>) -> Vec<Role> {
    let mut admin = perms(RESOURCES, ACTIONS);
    admin.extend(custom.iter().cloned());
    let mut manager = perms(BUSINESS, &["read", "write"]);
    manager.extend(["users.read".to_string(), "permissions.read".to_string()]);
    vec![
        Role {
            id: ADMIN.into(),
            name: ADMIN.into(),
            description: Some(
                "Full control of the account, its users and their permissions".into(),
            ),
            permissions: admin,
            builtin: true,
        },
        Role {
            id: MANAGER.into(),
            name: MANAGER.into(),
            description: Some("Reads and changes business data; sees users and roles".into()),
            permissions: manager,
            builtin: true,
        },
        Role {
            id: VIEWER.into(),
            name: VIEWER.into(),
            description: Some("Reads business data".into()),
            permissions: perms(BUSINESS, &["read"]),
            builtin: true,
        },
    ]
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: TenantId,
    pub name: String,
    pub seller_id: Option<String>,
    pub region: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

pub fn account_key(t: &Tenant) -> Key {
    keys::tenant(t).account()
}

impl Account {
    /// Crate-private: the item is written only by `create_account_ops`, guarded by NotExists.
    pub(crate) fn to_item(&self) -> Item {
        ItemBuilder::at(keys::unverified(&self.id).account())
            .s("type", "account")
            .s("id", self.id.as_str())
            .s("name", self.name.clone())
            .opt_s("sellerId", self.seller_id.clone())
            .opt_s("region", self.region.clone())
            .flag("isActive", self.is_active)
            .time("createdAt", self.created_at)
            .build()
    }
    pub fn from_item(i: &Item) -> Result<Self> {
        Ok(Self {
            id: TenantId::parse(&i.s("id")?)?,
            name: i.s("name")?,
            seller_id: i.opt_s("sellerId"),
            region: i.opt_s("region"),
            is_active: i.flag("isActive"),
            created_at: i.time("createdAt")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Membership {
    /// The tenant, proven by this membership.
    pub tenant: Tenant,
    pub user_id: UserId,
    /// Role ids (built-in names or custom role ids).
    pub roles: Vec<String>,
    /// Permissions granted to this user directly, on top of the roles.
    pub extra_permissions: Vec<String>,
    pub is_active: bool,
    pub joined_at: DateTime<Utc>,
    /// The Amazon seller account the user last switched to in this account.
    pub active_amazon_account: Option<String>,
    pub version: i64,
}

pub fn member_key(t: &Tenant, u: &UserId) -> Key {
    keys::tenant(t).member(u)
}

impl Membership {
    pub fn new(tenant: Tenant, user_id: UserId, roles: Vec<String>, now: DateTime<Utc>) -> Self {
        Self {
            tenant,
            user_id,
            roles,
            extra_permissions: vec![],
            is_active: true,
            joined_at: now,
            active_amazon_account: None,
            version: 0,
        }
    }
    pub fn to_item(&self) -> Item {
        let k = member_key(&self.tenant, &self.user_id);
        ItemBuilder::new(k.pk, k.sk)
            .s("type", "member")
            .s("accountId", self.tenant.as_str())
            .s("userId", self.user_id.as_str())
            .list_s("roles", &self.roles)
            .list_s("permissions", &self.extra_permissions)
            .flag("isActive", self.is_active)
            .time("joinedAt", self.joined_at)
            .opt_s("activeAmazonAccountId", self.active_amazon_account.clone())
            .n("version", self.version)
            .build()
    }
    pub fn from_item(i: &Item) -> Result<Self> {
        Ok(Self {
            tenant: Tenant::verified(TenantId::parse(&i.s("accountId")?)?),
            user_id: UserId::parse(&i.s("userId")?)?,
            roles: i.list_s("roles"),
            extra_permissions: i.list_s("permissions"),
            is_active: i.flag("isActive"),
            joined_at: i.time("joinedAt")?,
            active_amazon_account: i.opt_s("activeAmazonAccountId"),
            version: i.n_i64("version")?,
        })
    }

    /// The writes that add this membership (both directions); fails if it exists.
    pub fn create_ops(&self) -> Vec<TxOp> {
        let k = keys::user_account(&self.user_id, &self.tenant);
        vec![
            TxOp::Put {
                item: self.to_item(),
                condition: Some(Condition::NotExists),
            },
            TxOp::Put {
                item: ItemBuilder::at(k)
                    .s("type", "user-account")
                    .s("accountId", self.tenant.as_str())
                    .time("joinedAt", self.joined_at)
                    .build(),
                condition: Some(Condition::NotExists),
            },
        ]
    }

    /// The writes that remove this membership (both directions).
    pub fn delete_ops(&self) -> Vec<TxOp> {
        vec![
            TxOp::Delete {
                key: member_key(&self.tenant, &self.user_id),
                condition: Some(Condition::Equals(
                    "version".into(),
                    Value::N(self.version.to_string()),
                )),
            },
            TxOp::Delete {
                key: keys::user_account(&self.user_id, &self.tenant),
                condition: None,
            },
        ]
    }

    /// The guarded write of a change to this membership.
    pub fn update_op(&mut self) -> TxOp {
        let read_at = self.version;
        self.version += 1;
        TxOp::Put {
            item: self.to_item(),
            condition: Some(Condition::Equals(
                "version".into(),
                Value::N(read_at.to_string()),
            )),
        }
    }
}

pub async fn account(store: &dyn Store, t: &Tenant) -> Result<Option<Account>> {
    store
        .get(&account_key(t))
        .await?
        .as_ref()
        .map(Account::from_item)
        .transpose()
}

/// The tenant of an account that exists, for work that our own system queued (a job message
/// names its tenant): no account, no tenant.
pub async fn existing(store: &dyn Store, id: &TenantId) -> Result<Option<Tenant>> {
    Ok(store
        .get(&keys::unverified(id).account())
        .await?
        .map(|_| Tenant::verified(id.clone())))
}

pub async fn membership(store: &dyn Store, t: &Tenant, u: &UserId) -> Result<Option<Membership>> {
    store
        .get(&member_key(t, u))
        .await?
        .as_ref()
        .map(Membership::from_item)
        .transpose()
}

/// Every account the user belongs to, with the membership, oldest first.
pub async fn accounts_of(store: &dyn Store, u: &UserId) -> Result<Vec<(Account, Membership)>> {
    let links = query_all(store, keys::user_accounts(u)).await?;
    let tenants: Vec<TenantId> = links
        .iter()
        .filter_map(|i| i.opt_s("accountId"))
        .filter_map(|s| TenantId::parse(&s).ok())
        .collect();
    let keys: Vec<Key> = tenants
        .iter()
        .flat_map(|t| [keys::unverified(t).account(), keys::unverified(t).member(u)])
        .collect();
    let items = store.batch_get(&keys).await?;
    let mut out = Vec::new();
    for t in &tenants {
        let k = keys::unverified(t);
        let find = |key: Key| items.iter().find(|i| Key::of(i).as_ref() == Some(&key));
        if let (Some(a), Some(m)) = (find(k.account()), find(k.member(u))) {
            out.push((Account::from_item(a)?, Membership::from_item(m)?));
        }
    }
    out.sort_by_key(|(a, m)| (m.joined_at, a.created_at));
    Ok(out)
}

/// Every member of an account.
pub async fn members(store: &dyn Store, t: &Tenant) -> Result<Vec<Membership>> {
    query_all(store, keys::tenant(t).members())
        .await?
        .iter()
        .map(Membership::from_item)
        .collect()
}

/// A custom permission defined in an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionDef {
    pub name: String,
    pub resource: String,
    pub action: String,
    pub scope: String,
    pub description: Option<String>,
    pub builtin: bool,
}

pub fn permission_key(t: &Tenant, name: &str) -> Key {
    keys::tenant(t).permission(name)
}

pub fn role_key(t: &Tenant, id: &str) -> Key {
    keys::tenant(t).role(id)
}

pub async fn custom_permissions(store: &dyn Store, t: &Tenant) -> Result<Vec<PermissionDef>> {
    query_all(store, keys::tenant(t).permissions())
        .await?
        .iter()
        .map(|i| {
            Ok(PermissionDef {
                name: i.s("name")?,
                resource: i.s("resource")?,
                action: i.s("action")?,
                scope: i.s("scope")?,
                description: i.opt_s("description"),
                builtin: false,
            })
        })
        .collect()
}

/// Every permission that exists in an account: built-in and custom.
pub async fn catalog(store: &dyn Store, t: &Tenant) -> Result<Vec<PermissionDef>> {
    let mut all: Vec<PermissionDef> = RESOURCES
        .iter()
        .flat_map(|r| ACTIONS.iter().map(move |a| (r, a)))
        .map(|(r, a)| PermissionDef {
            name: format!("{r}.{a}"),
            resource: r.to_string(),
            action: a.to_string(),
            scope: "GLOBAL".into(),
            description: None,
            builtin: true,
        })
        .collect();
    all.extend(custom_permissions(store, t).await?);
    Ok(all)
}

/// Built-in roles plus the account's custom roles.
pub async fn roles(store: &dyn Store, t: &Tenant) -> Result<Vec<Role>> {
    let custom: BTreeSet<String> = custom_permissions(store, t)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    let mut all = builtin_roles(&custom);
    for i in query_all(store, keys::tenant(t).roles()).await? {
        all.push(Role {
            id: i.s("id")?,
            name: i.s("name")?,
            description: i.opt_s("description"),
            permissions: i.list_s("permissions").into_iter().collect(),
            builtin: false,
        });
    }
    Ok(all)
}

pub fn custom_role_item(t: &Tenant, role: &Role) -> Item {
    ItemBuilder::at(role_key(t, &role.id))
        .s("type", "role")
        .s("id", role.id.clone())
        .s("name", role.name.clone())
        .opt_s("description", role.description.clone())
        .list_s(
            "permissions",
            &role.permissions.iter().cloned().collect::<Vec<_>>(),
        )
        .build()
}

/// What one member may do in one account.
#[derive(Debug, Clone)]
pub struct Grants {
    pub roles: Vec<Role>,
    pub permissions: BTreeSet<String>,
}

/// The member's roles (unknown ids are ignored) and the union of their permissions.
pub fn grants_of(m: &Membership, all_roles: &[Role]) -> Grants {
    let roles: Vec<Role> = m
        .roles
        .iter()
        .filter_map(|id| all_roles.iter().find(|r| &r.id == id).cloned())
        .collect();
    let mut permissions: BTreeSet<String> = roles
        .iter()
        .flat_map(|r| r.permissions.iter().cloned())
        .collect();
    permissions.extend(m.extra_permissions.iter().cloned());
    Grants { roles, permissions }
}

/// The account a request acts on, with the caller's standing in it.
#[derive(Debug, Clone)]
pub struct Context {
    pub account: Account,
    pub membership: Membership,
    pub grants: Grants,
    pub all_roles: Vec<Role>,
}

impl Context {
    /// The tenant the request acts on, proven by the caller's membership.
    pub fn tenant(&self) -> &Tenant {
        &self.membership.tenant
    }

    pub fn can(&self, permission: &str) -> bool {
        self.grants.permissions.contains(permission)
    }

    /// 403 unless the caller holds `permission` in this account.
    pub fn require(&self, permission: &str) -> Result<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "Insufficient permissions: {permission} is required"
            )))
        }
    }

    pub fn role_names(&self) -> Vec<String> {
        self.grants.roles.iter().map(|r| r.name.clone()).collect()
    }
}

/// Resolves the account for `user`: the requested one if the user is an active member of it
/// (else 404, the same answer as for an account that does not exist), otherwise the user's
/// default account, otherwise their oldest.
pub async fn resolve(store: &dyn Store, user: &User, requested: Option<&str>) -> Result<Context> {
    let not_found = || Error::NotFound("Account not found".into());
    let (account, membership) = match requested.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let t = TenantId::parse(raw).map_err(|_| not_found())?;
            let k = keys::unverified(&t);
            let items = store.batch_get(&[k.account(), k.member(&user.id)]).await?;
            let a = items
                .iter()
                .find(|i| i.get("sk") == Some(&Value::S("ACCOUNT".into())))
                .ok_or_else(not_found)?;
            let m = items
                .iter()
                .find(|i| i.get("sk") != Some(&Value::S("ACCOUNT".into())))
                .ok_or_else(not_found)?;
            (Account::from_item(a)?, Membership::from_item(m)?)
        }
        None => {
            let all = accounts_of(store, &user.id).await?;
            let pick = all
                .iter()
                .find(|(a, m)| Some(&a.id) == user.default_account.as_ref() && m.is_active)
                .or_else(|| all.iter().find(|(_, m)| m.is_active))
                .cloned();
            pick.ok_or_else(|| Error::NotFound("You do not belong to any account yet".into()))?
        }
    };
    if !membership.is_active || !account.is_active {
        return Err(not_found());
    }
    let all_roles = roles(store, &membership.tenant).await?;
    let grants = grants_of(&membership, &all_roles);
    Ok(Context {
        account,
        membership,
        grants,
        all_roles,
    })
}

/// The user's role names in their default account (empty when they belong to none).
pub async fn default_roles(store: &dyn Store, user: &User) -> Result<Vec<String>> {
    match resolve(store, user, None).await {
        Ok(ctx) => Ok(ctx.role_names()),
        Err(Error::NotFound(_)) => Ok(vec![]),
        Err(e) => Err(e),
    }
}

/// A new account with its creator as ADMIN, written atomically.
pub fn create_account_ops(account: &Account, creator: &UserId, now: DateTime<Utc>) -> Vec<TxOp> {
    let mut ops = vec![TxOp::Put {
        item: account.to_item(),
        condition: Some(Condition::NotExists),
    }];
    ops.extend(
        // The account put above is guarded by NotExists: the membership cannot land in an
        // existing tenant.
        Membership::new(
            Tenant::verified(account.id.clone()),
            creator.clone(),
            vec![ADMIN.into()],
            now,
        )
        .create_ops(),
    );
    ops
}

/// The guard that keeps an account's last ADMIN: a check that one ADMIN other than `target`
/// is still an ADMIN, unchanged since read. Put it in the transaction that removes or demotes
/// `target`; two ADMINs removing each other at once then cannot both succeed (the second
/// transaction finds its guard changed or gone). `None`: no other ADMIN, refuse.
pub async fn other_admin_guard(
    store: &dyn Store,
    t: &Tenant,
    target: &UserId,
) -> Result<Option<TxOp>> {
    Ok(members(store, t)
        .await?
        .into_iter()
        .find(|m| &m.user_id != target && m.is_active && m.roles.iter().any(|r| r == ADMIN))
        .map(|m| TxOp::Check {
            key: member_key(t, &m.user_id),
            condition: Condition::Equals("version".into(), Value::N(m.version.to_string())),
        }))
}

/// Whether a membership is an active ADMIN's.
pub fn is_admin(m: &Membership) -> bool {
    m.is_active && m.roles.iter().any(|r| r == ADMIN)
}
