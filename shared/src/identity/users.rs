//! Users: `USER#<id>/PROFILE`, with `EMAIL#<email>/EMAIL` guarding address uniqueness.

use crate::domain::{Email, TenantId, UserId};
use crate::error::{Error, Result};
use crate::ports::store::{
    apply, Condition, ItemBuilder, ItemExt, Key, Store, StoreError, TxOp, Value,
};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub password_hash: String,
    pub is_active: bool,
    pub is_verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub terms_accepted_at: Option<DateTime<Utc>>,
    /// Bumped to end every session and access token of the user at once.
    pub token_version: i64,
    pub default_account: Option<TenantId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version of the stored item.
    pub version: i64,
}

pub fn key(id: &UserId) -> Key {
    Key::new(format!("USER#{id}"), "PROFILE")
}

pub fn email_key(email: &Email) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

impl User {
    pub fn to_item(&self) -> crate::ports::store::Item {
        let k = key(&self.id);
        ItemBuilder::new(k.pk, k.sk)
            .s("type", "user")
            .s("id", self.id.as_str())
            .s("email", self.email.as_str())
            .opt_s("name", self.name.clone())
            .s("passwordHash", self.password_hash.clone())
            .flag("isActive", self.is_active)
            .flag("isVerified", self.is_verified)
            .opt_time("verifiedAt", self.verified_at)
            .opt_time("termsAcceptedAt", self.terms_accepted_at)
            .n("tokenVersion", self.token_version)
            .opt_s(
                "defaultAccountId",
                self.default_account.as_ref().map(|a| a.to_string()),
            )
            .time("createdAt", self.created_at)
            .time("updatedAt", self.updated_at)
            .n("version", self.version)
            .build()
    }

    pub fn from_item(i: &crate::ports::store::Item) -> Result<Self> {
        Ok(Self {
            id: UserId::parse(&i.s("id")?)?,
            email: Email::parse(&i.s("email")?)?,
            name: i.opt_s("name"),
            password_hash: i.s("passwordHash")?,
            is_active: i.flag("isActive"),
            is_verified: i.flag("isVerified"),
            verified_at: i.opt_time("verifiedAt"),
            terms_accepted_at: i.opt_time("termsAcceptedAt"),
            token_version: i.n_i64("tokenVersion")?,
            default_account: i
                .opt_s("defaultAccountId")
                .and_then(|s| TenantId::parse(&s).ok()),
            created_at: i.time("createdAt")?,
            updated_at: i.time("updatedAt")?,
            version: i.n_i64("version")?,
        })
    }

    /// The write of this user as it is now, guarded by the version it was read at, with the
    /// version bumped. Use in a transaction with the other writes of the same change.
    pub fn update_op(&mut self, now: DateTime<Utc>) -> TxOp {
        let read_at = self.version;
        self.version += 1;
        self.updated_at = now;
        TxOp::Put {
            item: self.to_item(),
            condition: Some(Condition::Equals(
                "version".into(),
                Value::N(read_at.to_string()),
            )),
        }
    }
}

pub async fn get(store: &dyn Store, id: &UserId) -> Result<Option<User>> {
    store
        .get(&key(id))
        .await?
        .as_ref()
        .map(User::from_item)
        .transpose()
}

pub async fn find_by_email(store: &dyn Store, email: &Email) -> Result<Option<User>> {
    let Some(marker) = store.get(&email_key(email)).await? else {
        return Ok(None);
    };
    let id = UserId::parse(&marker.s("userId")?)?;
    get(store, &id).await
}

/// The operations that create a user and claim its address; fails the transaction when the
/// address is taken.
pub fn create_ops(user: &User) -> Vec<TxOp> {
    let ek = email_key(&user.email);
    vec![
        TxOp::Put {
            item: ItemBuilder::new(ek.pk, ek.sk)
                .s("userId", user.id.as_str())
                .build(),
            condition: Some(Condition::NotExists),
        },
        TxOp::Put {
            item: user.to_item(),
            condition: Some(Condition::NotExists),
        },
    ]
}

/// Saves a change to one user alone (optimistic: a concurrent change gives 409).
pub async fn save(store: &dyn Store, user: &mut User, now: DateTime<Utc>) -> Result<()> {
    apply(store, user.update_op(now))
        .await
        .map_err(conflict_on_race)
}

/// Moves a user to a new address whose mailbox they proved they control (a followed
/// confirmation link): releases the old claim and takes the new one atomically, together
/// with `extra` (consuming the link).
pub async fn change_email(
    store: &dyn Store,
    user: &mut User,
    new: Email,
    now: DateTime<Utc>,
    extra: Vec<TxOp>,
) -> Result<()> {
    let old = user.email.clone();
    user.email = new.clone();
    user.is_verified = true;
    user.verified_at = Some(now);
    let nk = email_key(&new);
    let mut ops = vec![
        TxOp::Delete {
            key: email_key(&old),
            condition: Some(Condition::Equals(
                "userId".into(),
                Value::S(user.id.to_string()),
            )),
        },
        TxOp::Put {
            item: ItemBuilder::new(nk.pk, nk.sk)
                .s("userId", user.id.as_str())
                .build(),
            condition: Some(Condition::NotExists),
        },
        user.update_op(now),
    ];
    ops.extend(extra);
    match store.transact(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionCanceled { reasons })
            if reasons.get(1).is_some_and(Option::is_some) =>
        {
            Err(Error::Conflict(
                "This address is already in use by another account".into(),
            ))
        }
        Err(e) => Err(conflict_on_race(e)),
    }
}

/// A failed optimistic condition means someone else changed the record meanwhile.
pub fn conflict_on_race(e: StoreError) -> Error {
    match e {
        StoreError::ConditionFailed | StoreError::TransactionCanceled { .. } => {
            Error::Conflict("The record changed while you were editing it; please retry".into())
        }
        other => other.into(),
    }
}

impl User {
    /// The profile body the frontend reads from `/auth/me` and `/users/me`.
    pub fn profile_json(&self, roles: &[String]) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "isActive": self.is_active,
            "isVerified": self.is_verified,
            "verifiedAt": self.verified_at.map(super::rfc3339),
            "twoFactorEnabled": false,
            "createdAt": super::rfc3339(self.created_at),
            "updatedAt": super::rfc3339(self.updated_at),
            "roles": roles,
        })
    }
}
