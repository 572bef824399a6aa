//! The store port's contract. Every function takes a store whose clock reads `now`.

use super::unique;
use crate::ports::store::*;
use std::collections::{BTreeMap, HashSet};

fn item(pk: &str, sk: &str, extra: &[(&str, Value)]) -> Item {
    let mut i = Item::new();
    i.insert(PK.into(), Value::S(pk.into()));
    i.insert(SK.into(), Value::S(sk.into()));
    for (k, v) in extra {
        i.insert((*k).into(), v.clone());
    }
    i
}

/// Every suite, in order.
pub async fn run_all(store: &dyn Store, now: i64) {
    put_get_round_trips_every_value_type(store).await;
    conditional_put_and_delete(store).await;
    newer_wins_guard(store).await;
    query_sort_key_conditions_and_order(store).await;
    query_pages_without_loss_or_repeat(store).await;
    gsi_queries_follow_updates_and_page(store).await;
    transactions_are_all_or_nothing_with_reasons(store).await;
    batches_cross_the_chunk_limits(store).await;
    expired_items_are_invisible(store, now).await;
    invalid_requests_are_refused(store).await;
}

pub async fn put_get_round_trips_every_value_type(store: &dyn Store) {
    let pk = unique("RT");
    let mut m = BTreeMap::new();
    m.insert("inner".to_string(), Value::N("-0.10".into()));
    let original = item(
        &pk,
        "A",
        &[
            ("s", Value::S("héllo ✓".into())),
            ("money", Value::N("12345678901234567890.123456789".into())),
            ("flag", Value::Bool(true)),
            ("nothing", Value::Null(true)),
            (
                "list",
                Value::L(vec![Value::S("x".into()), Value::N("2".into())]),
            ),
            ("map", Value::M(m)),
        ],
    );
    store.put(original.clone(), None).await.expect("put");
    let got = store
        .get(&Key::new(&pk, "A"))
        .await
        .expect("get")
        .expect("item stored");
    assert_eq!(got.get("s"), original.get("s"));
    assert_eq!(got.get("flag"), original.get("flag"));
    assert_eq!(got.get("list"), original.get("list"));
    assert_eq!(
        got.get("map")
            .and_then(|v| match v {
                Value::M(m) => m.get("inner").cloned(),
                _ => None,
            })
            .and_then(|v| v
                .as_n()
                .map(|n| n.parse::<rust_decimal::Decimal>().unwrap())),
        Some("-0.10".parse().unwrap()),
        "numbers keep their decimal value"
    );
    let money: rust_decimal::Decimal = got
        .get("money")
        .and_then(Value::as_n)
        .expect("money")
        .parse()
        .expect("decimal");
    assert_eq!(
        money,
        "12345678901234567890.123456789".parse().unwrap(),
        "no float rounding"
    );
    assert!(store
        .get(&Key::new(&pk, "missing"))
        .await
        .expect("get")
        .is_none());
    // A put replaces the whole item.
    store
        .put(item(&pk, "A", &[("s", Value::S("new".into()))]), None)
        .await
        .expect("replace");
    let got = store.get(&Key::new(&pk, "A")).await.unwrap().unwrap();
    assert_eq!(got.get("s"), Some(&Value::S("new".into())));
    assert!(!got.contains_key("flag"), "put replaces, it does not merge");
}

pub async fn conditional_put_and_delete(store: &dyn Store) {
    let pk = unique("COND");
    let key = Key::new(&pk, "X");
    let v1 = item(&pk, "X", &[("version", Value::N("1".into()))]);
    store
        .put(v1.clone(), Some(Condition::NotExists))
        .await
        .expect("first create");
    let again = store.put(v1.clone(), Some(Condition::NotExists)).await;
    assert!(
        matches!(again, Err(StoreError::ConditionFailed)),
        "second create must fail: {again:?}"
    );
    let v2 = item(&pk, "X", &[("version", Value::N("2".into()))]);
    let stale = store
        .put(
            v2.clone(),
            Some(Condition::Equals("version".into(), Value::N("0".into()))),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::ConditionFailed)));
    store
        .put(
            v2,
            Some(Condition::All(vec![
                Condition::Exists,
                Condition::Equals("version".into(), Value::N("1".into())),
            ])),
        )
        .await
        .expect("optimistic update");
    assert_eq!(
        store.get(&key).await.unwrap().unwrap().get("version"),
        Some(&Value::N("2".into()))
    );
    let missing = store
        .put(item(&pk, "Y", &[]), Some(Condition::Exists))
        .await;
    assert!(matches!(missing, Err(StoreError::ConditionFailed)));
    assert!(
        store.get(&Key::new(&pk, "Y")).await.unwrap().is_none(),
        "failed put writes nothing"
    );
    store
        .put(
            item(&pk, "X", &[("version", Value::N("3".into()))]),
            Some(Condition::AttributeMissing("lock".into())),
        )
        .await
        .expect("attribute missing holds");
    let del = store
        .delete(
            &key,
            Some(Condition::Equals("version".into(), Value::N("9".into()))),
        )
        .await;
    assert!(matches!(del, Err(StoreError::ConditionFailed)));
    assert!(
        store.get(&key).await.unwrap().is_some(),
        "failed delete removes nothing"
    );
    store
        .delete(&key, Some(Condition::Exists))
        .await
        .expect("delete");
    assert!(store.get(&key).await.unwrap().is_none());
    store
        .delete(&key, None)
        .await
        .expect("deleting a missing item is fine");
    assert!(matches!(
        store.delete(&key, Some(Condition::Exists)).await,
        Err(StoreError::ConditionFailed)
    ));
}

async fn sks(store: &dyn Store, q: Query) -> Vec<String> {
    query_all(store, q)
        .await
        .expect("query")
        .iter()
        .map(|i| i.get(SK).and_then(Value::as_s).unwrap().to_string())
        .collect()
}

/// `Any` and `Below`: the newer-wins guard keeps the highest source version, whatever order
/// the writes come in; strings compare bytewise and numbers by value.
pub async fn newer_wins_guard(store: &dyn Store) {
    let pk = unique("NEWER");
    let key = Key::new(&pk, "X");
    let guard = |v: &str| {
        Some(Condition::Any(vec![
            Condition::NotExists,
            Condition::Below("src".into(), Value::S(v.into())),
        ]))
    };
    let at = |v: &str| item(&pk, "X", &[("src", Value::S(v.into()))]);
    store
        .put(at("2026-03-01T10:00:00Z"), guard("2026-03-01T10:00:00Z"))
        .await
        .expect("first write");
    store
        .put(at("2026-03-02T08:00:00Z"), guard("2026-03-02T08:00:00Z"))
        .await
        .expect("newer replaces");
    for older in ["2026-03-01T23:59:59Z", "2026-03-02T08:00:00Z"] {
        assert!(
            matches!(
                store.put(at(older), guard(older)).await,
                Err(StoreError::ConditionFailed)
            ),
            "{older} is not newer than the stored version"
        );
    }
    let stored = store.get(&key).await.unwrap().expect("kept");
    assert_eq!(
        stored.get("src"),
        Some(&Value::S("2026-03-02T08:00:00Z".into()))
    );
    // Numbers compare by value, not as text ("10" > "9").
    let pk = unique("NEWERN");
    let num = |n: &str| item(&pk, "X", &[("n", Value::N(n.into()))]);
    let below = |n: &str| {
        Some(Condition::Any(vec![
            Condition::NotExists,
            Condition::Below("n".into(), Value::N(n.into())),
        ]))
    };
    store.put(num("9"), below("9")).await.expect("first");
    store.put(num("10"), below("10")).await.expect("10 > 9");
    assert!(matches!(
        store.put(num("9.5"), below("9.5")).await,
        Err(StoreError::ConditionFailed)
    ));
    assert!(
        matches!(
            store.put(num("1"), Some(Condition::Any(vec![]))).await,
            Err(StoreError::ConditionFailed)
        ),
        "an empty Any holds for nothing"
    );
}

pub async fn query_sort_key_conditions_and_order(store: &dyn Store) {
    let pk = unique("Q");
    let other = unique("Q");
    let keys = ["A#1", "A#2", "A#3", "B#1", "B#2", "C"];
    let mut ops: Vec<WriteOp> = keys
        .iter()
        .map(|sk| WriteOp::Put(item(&pk, sk, &[])))
        .collect();
    ops.push(WriteOp::Put(item(&other, "A#1", &[])));
    store.batch_write(ops).await.expect("seed");
    let base = || Query::partition(Index::Table, &pk);
    assert_eq!(
        sks(store, base()).await,
        keys,
        "ascending by sort key, one partition only"
    );
    assert_eq!(
        sks(store, base().backward()).await,
        keys.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert_eq!(
        sks(store, base().sk(SortKey::BeginsWith("A#".into()))).await,
        ["A#1", "A#2", "A#3"]
    );
    assert_eq!(
        sks(
            store,
            base().sk(SortKey::BeginsWith("B#".into())).backward()
        )
        .await,
        ["B#2", "B#1"]
    );
    assert_eq!(
        sks(
            store,
            base().sk(SortKey::Between("A#2".into(), "B#1".into()))
        )
        .await,
        ["A#2", "A#3", "B#1"]
    );
    assert_eq!(sks(store, base().sk(SortKey::Eq("C".into()))).await, ["C"]);
    assert_eq!(
        sks(store, base().sk(SortKey::Lt("A#3".into()))).await,
        ["A#1", "A#2"]
    );
    assert_eq!(
        sks(store, base().sk(SortKey::Le("A#3".into()))).await,
        ["A#1", "A#2", "A#3"]
    );
    assert_eq!(
        sks(store, base().sk(SortKey::Gt("B#2".into()))).await,
        ["C"]
    );
    assert_eq!(
        sks(store, base().sk(SortKey::Ge("B#2".into()))).await,
        ["B#2", "C"]
    );
    assert!(sks(store, Query::partition(Index::Table, unique("EMPTY")))
        .await
        .is_empty());
}

pub async fn query_pages_without_loss_or_repeat(store: &dyn Store) {
    let pk = unique("PAGE");
    let n = 57;
    let ops = (0..n)
        .map(|i| WriteOp::Put(item(&pk, &format!("{i:04}"), &[])))
        .collect();
    store.batch_write(ops).await.expect("seed");
    for forward in [true, false] {
        let mut q = Query::partition(Index::Table, &pk).limit(10);
        q.forward = forward;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = store.query(q.clone()).await.expect("page");
            assert!(page.items.len() <= 10, "a page never exceeds its limit");
            pages += 1;
            seen.extend(
                page.items
                    .iter()
                    .map(|i| i.get(SK).unwrap().as_s().unwrap().to_string()),
            );
            match page.cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
            assert!(pages < 20, "pagination must end");
        }
        let mut expected: Vec<String> = (0..n).map(|i| format!("{i:04}")).collect();
        if !forward {
            expected.reverse();
        }
        assert_eq!(
            seen, expected,
            "every item once, in order (forward={forward})"
        );
    }
    let bad = store
        .query(Query::partition(Index::Table, &pk).after(Some("not-a-cursor".into())))
        .await;
    assert!(
        matches!(bad, Err(StoreError::Invalid(_))),
        "a garbled cursor is bad input: {bad:?}"
    );
}

pub async fn gsi_queries_follow_updates_and_page(store: &dyn Store) {
    let g = unique("G");
    let owner = unique("OWNER");
    for i in 0..12 {
        store
            .put(
                item(
                    &owner,
                    &format!("ITEM#{i:02}"),
                    &[
                        (GSI1PK, Value::S(g.clone())),
                        (GSI1SK, Value::S(format!("{:02}", 11 - i))),
                    ],
                ),
                None,
            )
            .await
            .expect("put");
    }
    let all = sks(store, Query::partition(Index::Gsi1, &g)).await;
    assert_eq!(all.len(), 12);
    assert_eq!(
        all.first().map(String::as_str),
        Some("ITEM#11"),
        "ordered by the index sort key"
    );
    // Paging through the index.
    let mut q = Query::partition(Index::Gsi1, &g).limit(5).backward();
    let mut seen = HashSet::new();
    loop {
        let page = store.query(q.clone()).await.expect("gsi page");
        for i in &page.items {
            assert!(
                seen.insert(i.get(SK).unwrap().as_s().unwrap().to_string()),
                "no repeats"
            );
        }
        match page.cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12);
    // Moving an item to another index key, and removing its index key, moves it in the index.
    let moved = unique("G");
    store
        .put(
            item(
                &owner,
                "ITEM#00",
                &[
                    (GSI1PK, Value::S(moved.clone())),
                    (GSI1SK, Value::S("x".into())),
                ],
            ),
            None,
        )
        .await
        .unwrap();
    store.put(item(&owner, "ITEM#01", &[]), None).await.unwrap();
    store
        .delete(&Key::new(&owner, "ITEM#02"), None)
        .await
        .unwrap();
    assert_eq!(sks(store, Query::partition(Index::Gsi1, &g)).await.len(), 9);
    assert_eq!(
        sks(store, Query::partition(Index::Gsi1, &moved)).await,
        ["ITEM#00"]
    );
    assert_eq!(
        sks(
            store,
            Query::partition(Index::Gsi1, &g).sk(SortKey::Between("05".into(), "08".into()))
        )
        .await,
        ["ITEM#06", "ITEM#05", "ITEM#04", "ITEM#03"],
        "sort-key conditions apply to the index sort key"
    );
    // The second index is independent of the first.
    store
        .put(
            item(
                &owner,
                "TWO",
                &[
                    (GSI2PK, Value::S(g.clone())),
                    (GSI2SK, Value::S("1".into())),
                ],
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(sks(store, Query::partition(Index::Gsi2, &g)).await, ["TWO"]);
}

pub async fn transactions_are_all_or_nothing_with_reasons(store: &dyn Store) {
    let pk = unique("TX");
    store.put(item(&pk, "EXISTING", &[]), None).await.unwrap();
    store.put(item(&pk, "THIRD", &[]), None).await.unwrap();
    let failing = vec![
        TxOp::Put {
            item: item(&pk, "NEW", &[]),
            condition: Some(Condition::NotExists),
        },
        TxOp::Put {
            item: item(&pk, "EXISTING", &[("x", Value::S("y".into()))]),
            condition: Some(Condition::NotExists),
        },
        TxOp::Check {
            key: Key::new(&pk, "THIRD"),
            condition: Condition::Exists,
        },
    ];
    match store.transact(failing).await {
        Err(StoreError::TransactionCanceled { reasons }) => {
            assert_eq!(reasons.len(), 3, "one reason per operation");
            assert_eq!(reasons[0], None);
            assert_eq!(reasons[1].as_deref(), Some(CONDITIONAL_CHECK_FAILED));
            assert_eq!(reasons[2], None);
        }
        other => panic!("expected a cancelled transaction, got {other:?}"),
    }
    assert!(
        store.get(&Key::new(&pk, "NEW")).await.unwrap().is_none(),
        "nothing of a cancelled transaction is written"
    );
    assert!(!store
        .get(&Key::new(&pk, "EXISTING"))
        .await
        .unwrap()
        .unwrap()
        .contains_key("x"));
    store
        .transact(vec![
            TxOp::Put {
                item: item(&pk, "NEW", &[]),
                condition: Some(Condition::NotExists),
            },
            TxOp::Delete {
                key: Key::new(&pk, "EXISTING"),
                condition: Some(Condition::Exists),
            },
        ])
        .await
        .expect("transaction commits");
    assert!(store.get(&Key::new(&pk, "NEW")).await.unwrap().is_some());
    assert!(store
        .get(&Key::new(&pk, "EXISTING"))
        .await
        .unwrap()
        .is_none());
    let twice = store
        .transact(vec![
            TxOp::Put {
                item: item(&pk, "SAME", &[]),
                condition: None,
            },
            TxOp::Delete {
                key: Key::new(&pk, "SAME"),
                condition: None,
            },
        ])
        .await;
    assert!(
        matches!(twice, Err(StoreError::Invalid(_))),
        "same item twice is refused: {twice:?}"
    );
    let too_many = (0..101)
        .map(|i| TxOp::Put {
            item: item(&pk, &format!("M{i}"), &[]),
            condition: None,
        })
        .collect();
    assert!(matches!(
        store.transact(too_many).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn batches_cross_the_chunk_limits(store: &dyn Store) {
    let pk = unique("BATCH");
    let ops: Vec<WriteOp> = (0..130)
        .map(|i| {
            WriteOp::Put(item(
                &pk,
                &format!("{i:03}"),
                &[("n", Value::N(i.to_string()))],
            ))
        })
        .collect();
    store
        .batch_write(ops)
        .await
        .expect("130 writes in chunks of 25");
    let keys: Vec<Key> = (0..130)
        .map(|i| Key::new(&pk, format!("{i:03}")))
        .chain([Key::new(&pk, "missing")])
        .collect();
    let got = store
        .batch_get(&keys)
        .await
        .expect("batch get over 100 keys");
    assert_eq!(
        got.len(),
        130,
        "missing keys are left out, found ones all come back"
    );
    let deletes = (0..60)
        .map(|i| WriteOp::Delete(Key::new(&pk, format!("{i:03}"))))
        .collect();
    store.batch_write(deletes).await.expect("batch delete");
    assert_eq!(
        query_all(store, Query::partition(Index::Table, &pk))
            .await
            .unwrap()
            .len(),
        70
    );
}

pub async fn expired_items_are_invisible(store: &dyn Store, now: i64) {
    let pk = unique("TTL");
    store
        .put(
            item(
                &pk,
                "OLD",
                &[
                    (TTL, Value::N((now - 10).to_string())),
                    (GSI1PK, Value::S(pk.clone())),
                    (GSI1SK, Value::S("1".into())),
                ],
            ),
            None,
        )
        .await
        .unwrap();
    store
        .put(
            item(
                &pk,
                "LIVE",
                &[
                    (TTL, Value::N((now + 3600).to_string())),
                    (GSI1PK, Value::S(pk.clone())),
                    (GSI1SK, Value::S("2".into())),
                ],
            ),
            None,
        )
        .await
        .unwrap();
    assert!(
        store.get(&Key::new(&pk, "OLD")).await.unwrap().is_none(),
        "expired item is not returned"
    );
    assert!(store.get(&Key::new(&pk, "LIVE")).await.unwrap().is_some());
    assert_eq!(
        sks(store, Query::partition(Index::Table, &pk)).await,
        ["LIVE"]
    );
    assert_eq!(
        sks(store, Query::partition(Index::Gsi1, &pk)).await,
        ["LIVE"]
    );
    assert_eq!(
        store
            .batch_get(&[Key::new(&pk, "OLD"), Key::new(&pk, "LIVE")])
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn invalid_requests_are_refused(store: &dyn Store) {
    let pk = unique("BAD");
    let mut no_sk = Item::new();
    no_sk.insert(PK.into(), Value::S(pk.clone()));
    assert!(matches!(
        store.put(no_sk, None).await,
        Err(StoreError::Invalid(_))
    ));
    let big = item(
        &pk,
        "BIG",
        &[("blob", Value::S("x".repeat(MAX_ITEM_BYTES + 1)))],
    );
    assert!(
        matches!(store.put(big, None).await, Err(StoreError::Invalid(_))),
        "items over 400 KB are refused"
    );
    let bad_ttl = item(&pk, "T", &[(TTL, Value::S("tomorrow".into()))]);
    assert!(matches!(
        store.put(bad_ttl, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .query(Query::partition(Index::Table, &pk).limit(0))
            .await,
        Err(StoreError::Invalid(_))
    ));
}
