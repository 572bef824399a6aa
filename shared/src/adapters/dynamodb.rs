//! The DynamoDB adapter of the store port.

use crate::ports::clock::Clock;
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Attempts for a batch's unprocessed items before giving up (with backoff in between).
const BATCH_ATTEMPTS: u32 = 8;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }
}

fn to_attr(v: &Value) -> AttributeValue {
    match v {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.clone()),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null(_) => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.iter().map(to_attr).collect()),
        Value::M(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect()),
    }
}

fn from_attr(a: &AttributeValue) -> Result<Value, StoreError> {
    Ok(match a {
        AttributeValue::S(s) => Value::S(s.clone()),
        AttributeValue::N(n) => Value::N(n.clone()),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null(true),
        AttributeValue::L(l) => Value::L(l.iter().map(from_attr).collect::<Result<_, _>>()?),
        AttributeValue::M(m) => Value::M(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), from_attr(v)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        other => {
            return Err(StoreError::Unavailable(format!(
                "unsupported attribute type {other:?}"
            )))
        }
    })
}

fn to_map(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect()
}

fn from_map(m: &HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    m.iter()
        .map(|(k, v)| Ok((k.clone(), from_attr(v)?)))
        .collect()
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

/// A condition as a DynamoDB expression with its placeholder maps.
#[derive(Default)]
struct Expr {
    text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

fn condition_expr(c: &Condition) -> Expr {
    let mut e = Expr::default();
    e.text = render(c, &mut e.names, &mut e.values);
    e
}

fn render(
    c: &Condition,
    names: &mut HashMap<String, String>,
    values: &mut HashMap<String, AttributeValue>,
) -> String {
    match c {
        Condition::Exists => "attribute_exists(pk)".into(),
        Condition::NotExists => "attribute_not_exists(pk)".into(),
        Condition::Equals(name, v) => {
            let (n, p) = (format!("#c{}", names.len()), format!(":c{}", values.len()));
            names.insert(n.clone(), name.clone());
            values.insert(p.clone(), to_attr(v));
            format!("{n} = {p}")
        }
        Condition::AttributeMissing(name) => {
            let n = format!("#c{}", names.len());
            names.insert(n.clone(), name.clone());
            format!("attribute_not_exists({n})")
        }
        Condition::All(cs) if cs.is_empty() => {
            "attribute_exists(pk) OR attribute_not_exists(pk)".into()
        }
        Condition::All(cs) => cs
            .iter()
            .map(|c| format!("({})", render(c, names, values)))
            .collect::<Vec<_>>()
            .join(" AND "),
        Condition::Any(cs) if cs.is_empty() => {
            "attribute_exists(pk) AND attribute_not_exists(pk)".into()
        }
        Condition::Any(cs) => cs
            .iter()
            .map(|c| format!("({})", render(c, names, values)))
            .collect::<Vec<_>>()
            .join(" OR "),
        Condition::Below(name, v) => {
            let (n, p) = (format!("#c{}", names.len()), format!(":c{}", values.len()));
            names.insert(n.clone(), name.clone());
            values.insert(p.clone(), to_attr(v));
            format!("{n} < {p}")
        }
    }
}

fn opt<T>(m: HashMap<String, T>) -> Option<HashMap<String, T>> {
    (!m.is_empty()).then_some(m)
}

fn sdk_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error().and_then(|s| s.code()) {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        Some("ValidationException") => StoreError::Invalid(
            e.as_service_error()
                .and_then(|s| s.message())
                .unwrap_or("validation")
                .to_string(),
        ),
        _ => StoreError::Unavailable(DisplayErrorContext(&e).to_string()),
    }
}

async fn backoff(attempt: u32) {
    let ms = 25u64 * 2u64.pow(attempt.min(6));
    tokio::time::sleep(Duration::from_millis(ms + rand::random::<u64>() % ms)).await;
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let now = self.now();
        Ok(out
            .item
            .as_ref()
            .map(from_map)
            .transpose()?
            .filter(|i| !is_expired(i, now)))
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        validate_item(&item)?;
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_map(&item)));
        if let Some(c) = &condition {
            let e = condition_expr(c);
            req = req
                .condition_expression(e.text)
                .set_expression_attribute_names(opt(e.names))
                .set_expression_attribute_values(opt(e.values));
        }
        req.send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        validate_key(key)?;
        let mut req = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)));
        if let Some(c) = &condition {
            let e = condition_expr(c);
            req = req
                .condition_expression(e.text)
                .set_expression_attribute_names(opt(e.names))
                .set_expression_attribute_values(opt(e.values));
        }
        req.send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        if query.pk.is_empty() {
            return Err(StoreError::Invalid(
                "query needs a non-empty partition key".into(),
            ));
        }
        if query.limit == Some(0) {
            return Err(StoreError::Invalid("limit must be at least 1".into()));
        }
        let (pk_name, sk_name) = query.index.key_names();
        let mut names = HashMap::from([("#pk".to_string(), pk_name.to_string())]);
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(query.pk.clone()))]);
        let mut text = "#pk = :pk".to_string();
        let sk_clause = match &query.sk {
            SortKey::Any => None,
            SortKey::Eq(v) => Some(("#sk = :a", vec![v])),
            SortKey::BeginsWith(v) => Some(("begins_with(#sk, :a)", vec![v])),
            SortKey::Between(a, b) => Some(("#sk BETWEEN :a AND :b", vec![a, b])),
            SortKey::Lt(v) => Some(("#sk < :a", vec![v])),
            SortKey::Le(v) => Some(("#sk <= :a", vec![v])),
            SortKey::Gt(v) => Some(("#sk > :a", vec![v])),
            SortKey::Ge(v) => Some(("#sk >= :a", vec![v])),
        };
        if let Some((clause, vals)) = sk_clause {
            names.insert("#sk".into(), sk_name.into());
            for (p, v) in [":a", ":b"].iter().zip(vals) {
                values.insert(p.to_string(), AttributeValue::S(v.clone()));
            }
            text.push_str(" AND ");
            text.push_str(clause);
        }
        let start = match query.cursor.as_deref().map(CursorKey::decode).transpose()? {
            None => None,
            Some(c) => {
                let mut m = key_map(&Key::new(c.pk, c.sk));
                if let (Some(ipk), Some(isk)) = (c.ipk, c.isk) {
                    m.insert(pk_name.into(), AttributeValue::S(ipk));
                    m.insert(sk_name.into(), AttributeValue::S(isk));
                }
                Some(m)
            }
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.name().map(str::to_string))
            .key_condition_expression(text)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(query.forward)
            .set_limit(query.limit.map(|l| l.min(i32::MAX as usize) as i32))
            .set_exclusive_start_key(start)
            .set_consistent_read((query.index == Index::Table).then_some(true))
            .send()
            .await
            .map_err(sdk_error)?;
        let now = self.now();
        let items = out
            .items()
            .iter()
            .map(from_map)
            .filter(|r| !matches!(r, Ok(i) if is_expired(i, now)))
            .collect::<Result<Vec<_>, _>>()?;
        let cursor = match out.last_evaluated_key() {
            None => None,
            Some(k) => {
                let s = |n: &str| k.get(n).and_then(|v| v.as_s().ok()).cloned();
                let is_index = query.index != Index::Table;
                Some(
                    CursorKey {
                        pk: s(PK).unwrap_or_default(),
                        sk: s(SK).unwrap_or_default(),
                        ipk: if is_index { s(pk_name) } else { None },
                        isk: if is_index { s(sk_name) } else { None },
                    }
                    .encode(),
                )
            }
        };
        Ok(Page { items, cursor })
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        validate_transaction(&ops)?;
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let built = match op {
                TxOp::Put { item, condition } => {
                    let mut b = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_map(item)));
                    if let Some(c) = condition {
                        let e = condition_expr(c);
                        b = b
                            .condition_expression(e.text)
                            .set_expression_attribute_names(opt(e.names))
                            .set_expression_attribute_values(opt(e.values))
                            .return_values_on_condition_check_failure(
                                ReturnValuesOnConditionCheckFailure::None,
                            );
                    }
                    TransactWriteItem::builder()
                        .put(b.build().map_err(|e| StoreError::Invalid(e.to_string()))?)
                }
                TxOp::Delete { key, condition } => {
                    let mut b = Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(key)));
                    if let Some(c) = condition {
                        let e = condition_expr(c);
                        b = b
                            .condition_expression(e.text)
                            .set_expression_attribute_names(opt(e.names))
                            .set_expression_attribute_values(opt(e.values));
                    }
                    TransactWriteItem::builder()
                        .delete(b.build().map_err(|e| StoreError::Invalid(e.to_string()))?)
                }
                TxOp::Check { key, condition } => {
                    let e = condition_expr(condition);
                    let b = ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(key)))
                        .condition_expression(e.text)
                        .set_expression_attribute_names(opt(e.names))
                        .set_expression_attribute_values(opt(e.values));
                    TransactWriteItem::builder()
                        .condition_check(b.build().map_err(|e| StoreError::Invalid(e.to_string()))?)
                }
            };
            items.push(built.build());
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) =
                    e.as_service_error()
                {
                    let reasons = c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                        .collect::<Vec<_>>();
                    if reasons.iter().any(Option::is_some) {
                        return Err(StoreError::TransactionCanceled { reasons });
                    }
                }
                Err(sdk_error(e))
            }
        }
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        for k in keys {
            validate_key(k)?;
        }
        let mut unique: Vec<Key> = keys.to_vec();
        unique.sort();
        unique.dedup();
        let now = self.now();
        let mut out = Vec::new();
        for chunk in unique.chunks(BATCH_GET_CHUNK) {
            let mut pending = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(key_map).collect()))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            for attempt in 0.. {
                let res = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending.clone())
                    .send()
                    .await
                    .map_err(sdk_error)?;
                if let Some(found) = res.responses().and_then(|r| r.get(&self.table)) {
                    for m in found {
                        let item = from_map(m)?;
                        if !is_expired(&item, now) {
                            out.push(item);
                        }
                    }
                }
                match res.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    Some(rest) if !rest.keys().is_empty() => {
                        if attempt + 1 >= BATCH_ATTEMPTS {
                            return Err(StoreError::Unavailable(
                                "batch get kept throttling".into(),
                            ));
                        }
                        pending = rest.clone();
                        backoff(attempt).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(ops.len());
        for op in &ops {
            requests.push(match op {
                WriteOp::Put(item) => {
                    validate_item(item)?;
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(to_map(item)))
                                .build()
                                .map_err(|e| StoreError::Invalid(e.to_string()))?,
                        )
                        .build()
                }
                WriteOp::Delete(key) => {
                    validate_key(key)?;
                    WriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(key_map(key)))
                                .build()
                                .map_err(|e| StoreError::Invalid(e.to_string()))?,
                        )
                        .build()
                }
            });
        }
        for chunk in requests.chunks(BATCH_WRITE_CHUNK) {
            let mut pending = chunk.to_vec();
            for attempt in 0.. {
                let res = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending.clone())
                    .send()
                    .await
                    .map_err(sdk_error)?;
                match res.unprocessed_items().and_then(|u| u.get(&self.table)) {
                    Some(rest) if !rest.is_empty() => {
                        if attempt + 1 >= BATCH_ATTEMPTS {
                            return Err(StoreError::Unavailable(
                                "batch write kept throttling".into(),
                            ));
                        }
                        pending = rest.clone();
                        backoff(attempt).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }
}
