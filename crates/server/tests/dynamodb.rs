//! DynamoDB over real HTTP with the official AWS SDK for Rust (aws-sdk-dynamodb): tables and
//! items of every attribute type, expressions, pagination, batches and transactions, errors as
//! the SDK parses them, and durability across a hard restart
//! (access control is in dynamodb_access.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod dynamodb_support;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, TableStatus,
    TransactWriteItem, WriteRequest,
};
use common::Server;
use dynamodb_support::{create_table, err, key, n, root, s, Item, A};
use std::collections::HashMap;

#[tokio::test(flavor = "multi_thread")]
async fn tables_items_and_every_attribute_type() {
    let server = Server::start();
    let db = root(&server, A);
    create_table(&db, "things").await;
    let t = db
        .describe_table()
        .table_name("things")
        .send()
        .await
        .unwrap();
    let t = t.table().unwrap();
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    assert_eq!(
        t.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:111111111111:table/things")
    );
    let names = db.list_tables().send().await.unwrap();
    assert_eq!(names.table_names(), ["things"]);

    let mut item = key("a", 1);
    item.insert("str".into(), s(""));
    item.insert("num".into(), AttributeValue::N("-0012.500".into()));
    item.insert("bin".into(), AttributeValue::B(Blob::new(vec![0, 1, 255])));
    item.insert("yes".into(), AttributeValue::Bool(true));
    item.insert("nil".into(), AttributeValue::Null(true));
    item.insert("lst".into(), AttributeValue::L(vec![n(1), s("x")]));
    item.insert(
        "map".into(),
        AttributeValue::M(HashMap::from([("inner".to_owned(), s("v"))])),
    );
    item.insert(
        "ss".into(),
        AttributeValue::Ss(vec!["a".into(), "b".into()]),
    );
    item.insert(
        "ns".into(),
        AttributeValue::Ns(vec!["1".into(), "2.0".into()]),
    );
    item.insert(
        "bs".into(),
        AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2])]),
    );
    db.put_item()
        .table_name("things")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let got = db
        .get_item()
        .table_name("things")
        .set_key(Some(key("a", 1)))
        .send()
        .await
        .unwrap();
    let got = got.item().unwrap();
    assert_eq!(got["num"], AttributeValue::N("-12.5".into()));
    assert_eq!(got["bin"], item["bin"]);
    assert_eq!(got["map"], item["map"]);
    assert_eq!(got["str"], s(""));
    assert_eq!(got.len(), item.len());

    let out = db
        .update_item()
        .table_name("things")
        .set_key(Some(key("a", 1)))
        .update_expression("SET #n = #n + :d, lst[5] = :x REMOVE yes ADD ss :more")
        .expression_attribute_names("#n", "num")
        .expression_attribute_values(":d", AttributeValue::N("2.5".into()))
        .expression_attribute_values(":x", s("appended"))
        .expression_attribute_values(":more", AttributeValue::Ss(vec!["c".into()]))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    let attrs = out.attributes().unwrap();
    assert_eq!(attrs["num"], AttributeValue::N("-10".into()));
    assert!(!attrs.contains_key("yes"));
    // Setting past the end of a list appends.
    let got = db
        .get_item()
        .table_name("things")
        .set_key(Some(key("a", 1)))
        .projection_expression("lst, ss")
        .send()
        .await
        .unwrap();
    let got = got.item().unwrap();
    assert_eq!(
        got["lst"],
        AttributeValue::L(vec![n(1), s("x"), s("appended")])
    );
    assert_eq!(
        got["ss"],
        AttributeValue::Ss(vec!["a".into(), "b".into(), "c".into()])
    );

    // A failed condition, with the old item in the error as asked.
    let e = db
        .put_item()
        .table_name("things")
        .set_item(Some(key("a", 1)))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect_err("condition fails");
    match e.into_service_error() {
        PutItemError::ConditionalCheckFailedException(c) => {
            assert_eq!(c.message(), Some("The conditional request failed"));
            assert_eq!(c.item().unwrap()["num"], AttributeValue::N("-10".into()));
        }
        other => panic!("{other:?}"),
    }
    let (code, message) = err(db
        .put_item()
        .table_name("things")
        .item("pk", s("a"))
        .send()
        .await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "One or more parameter values were invalid: Missing the key sk in the item"
        )
    );
    let (code, message) = err(db
        .get_item()
        .table_name("things")
        .key("pk", s("a"))
        .send()
        .await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "The provided key element does not match the schema"
        )
    );
    let e = db
        .get_item()
        .table_name("nothing")
        .set_key(Some(key("a", 1)))
        .send()
        .await
        .expect_err("no table");
    assert!(e.into_service_error().is_resource_not_found_exception());
    let (code, message) = err(db.describe_table().table_name("nothing").send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ResourceNotFoundException",
            "Requested resource not found: Table: nothing not found"
        )
    );
    let big = "x".repeat(401 * 1024);
    let (_, message) = err(db
        .put_item()
        .table_name("things")
        .set_item(Some(key("b", 1)))
        .item("big", s(&big))
        .send()
        .await);
    assert_eq!(message, "Item size has exceeded the maximum allowed size");

    let deleted = db
        .delete_item()
        .table_name("things")
        .set_key(Some(key("a", 1)))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(deleted.attributes().is_some());
    let d = db.delete_table().table_name("things").send().await.unwrap();
    assert_eq!(
        d.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    let (code, _) = err(db.describe_table().table_name("things").send().await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_scans_pagination_batches_and_transactions() {
    let server = Server::start();
    let db = root(&server, A);
    create_table(&db, "pages").await;
    // 25 items in one batch (the BatchWriteItem maximum), 5 partitions of 5.
    let mut writes = Vec::new();
    for i in 0..25 {
        let mut item = key(&format!("p{}", i % 5), i);
        item.insert("even".into(), AttributeValue::Bool(i % 2 == 0));
        writes.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build(),
        );
    }
    let out = db
        .batch_write_item()
        .request_items("pages", writes)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));

    let items: Vec<Item> = db
        .query()
        .table_name("pages")
        .key_condition_expression("pk = :p AND sk >= :from")
        .expression_attribute_values(":p", s("p0"))
        .expression_attribute_values(":from", n(5))
        .scan_index_forward(false)
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    let sks: Vec<&AttributeValue> = items.iter().map(|i| &i["sk"]).collect();
    assert_eq!(sks, [&n(20), &n(15), &n(10), &n(5)]);

    let filtered = db
        .query()
        .table_name("pages")
        .key_condition_expression("pk = :p")
        .filter_expression("even = :t")
        .expression_attribute_values(":p", s("p1"))
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    assert_eq!((filtered.count(), filtered.scanned_count()), (2, 5));

    let mut total = 0;
    for segment in 0..4 {
        let pages: Vec<Item> = db
            .scan()
            .table_name("pages")
            .segment(segment)
            .total_segments(4)
            .limit(3)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .unwrap();
        total += pages.len();
    }
    assert_eq!(total, 25);

    let got = db
        .batch_get_item()
        .request_items(
            "pages",
            aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .keys(key("p0", 0))
                .keys(key("p1", 1))
                .keys(key("p1", 2))
                .projection_expression("sk")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(got.responses().unwrap()["pages"].len(), 2);

    // A cancelled transaction: reasons item by item, nothing written.
    let put = |item: Item, cond: Option<&str>| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("pages")
                    .set_item(Some(item))
                    .set_condition_expression(cond.map(str::to_owned))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let e = db
        .transact_write_items()
        .transact_items(put(key("new", 1), None))
        .transact_items(put(key("p0", 0), Some("attribute_not_exists(pk)")))
        .send()
        .await
        .expect_err("cancelled");
    match e.into_service_error() {
        TransactWriteItemsError::TransactionCanceledException(t) => {
            let codes: Vec<Option<&str>> =
                t.cancellation_reasons().iter().map(|r| r.code()).collect();
            assert_eq!(codes, [Some("None"), Some("ConditionalCheckFailed")]);
        }
        other => panic!("{other:?}"),
    }
    let none = db
        .get_item()
        .table_name("pages")
        .set_key(Some(key("new", 1)))
        .send()
        .await
        .unwrap();
    assert!(none.item().is_none());
    db.transact_write_items()
        .transact_items(put(key("new", 1), None))
        .transact_items(put(key("new", 2), Some("attribute_not_exists(pk)")))
        .send()
        .await
        .unwrap();
    let got = db
        .transact_get_items()
        .transact_items(
            aws_sdk_dynamodb::types::TransactGetItem::builder()
                .get(
                    aws_sdk_dynamodb::types::Get::builder()
                        .table_name("pages")
                        .set_key(Some(key("new", 2)))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(got.responses()[0].item().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn items_survive_a_hard_restart_and_reset_erases_them() {
    let mut server = Server::start();
    let db = root(&server, A);
    create_table(&db, "durable").await;
    for i in 0..20 {
        db.put_item()
            .table_name("durable")
            .set_item(Some(key("p", i)))
            .item("v", n(i * 10))
            .send()
            .await
            .unwrap();
    }
    db.delete_item()
        .table_name("durable")
        .set_key(Some(key("p", 3)))
        .send()
        .await
        .unwrap();
    server.kill_and_restart();
    let db = root(&server, A);
    let out = db
        .query()
        .table_name("durable")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 19);
    assert_eq!(out.items()[4]["v"], n(50));
    let t = db
        .describe_table()
        .table_name("durable")
        .send()
        .await
        .unwrap();
    assert_eq!(t.table().unwrap().item_count(), Some(19));

    let (status, _) = common::http(server.port, "POST", "/_rolegate/reset").unwrap();
    assert_eq!(status, 200);
    create_table(&root(&server, A), "durable").await;
    let out = root(&server, A)
        .scan()
        .table_name("durable")
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 0);
}
