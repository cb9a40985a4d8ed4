//! Query and Scan on tables and indexes, batches and transactions.
#![allow(clippy::unwrap_used)]

use super::{create, err, item, ok, put, A};
use crate::testing::{Harness, JsonReply};
use rolegate_core::Caller;
use serde_json::{json, Value};

pub(super) fn with_index(h: &Harness, root: &Caller) {
    let r = h.dynamodb(
        root,
        "CreateTable",
        json!({"TableName": "idx",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                        {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "N"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
               "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                           "Projection": {"ProjectionType": "KEYS_ONLY"}}],
               "LocalSecondaryIndexes": [{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                                          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
               "BillingMode": "PAY_PER_REQUEST"}),
    );
    ok(&r);
    for i in 1..=5 {
        let mut extra =
            json!({"x": {"N": i.to_string()}, "y": {"S": "y"}, "l": {"N": (10 - i).to_string()}});
        if i % 2 == 1 {
            extra["g"] = json!({"S": "odd"});
        }
        ok(&put(h, root, "idx", item("p", i, extra)));
    }
    ok(&put(h, root, "idx", item("q", 1, json!({}))));
}

fn sks(r: &JsonReply) -> Vec<String> {
    r.body["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sk"]["N"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn query_and_scan_on_tables_and_indexes() {
    let h = Harness::new();
    let root = Harness::root(A);
    with_index(&h, &root);
    let q = |extra: Value| {
        let mut input = json!({"TableName": "idx", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                               "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"N": "2"}, ":b": {"N": "4"}}});
        if let (Value::Object(m), Value::Object(e)) = (&mut input, extra) {
            m.extend(e);
        }
        h.dynamodb(&root, "Query", input)
    };
    let r = q(json!({}));
    assert_eq!(sks(&r), ["2", "3", "4"]);
    assert_eq!(
        (r.body["Count"].clone(), r.body["ScannedCount"].clone()),
        (json!(3), json!(3))
    );
    let r = q(json!({"ScanIndexForward": false, "Limit": 2}));
    assert_eq!(sks(&r), ["4", "3"]);
    let lek = r.body["LastEvaluatedKey"].clone();
    assert_eq!(lek, json!({"pk": {"S": "p"}, "sk": {"N": "3"}}));
    let r = q(json!({"ScanIndexForward": false, "Limit": 2, "ExclusiveStartKey": lek}));
    assert_eq!(sks(&r), ["2"]);
    assert!(r.body.get("LastEvaluatedKey").is_none());
    let r = q(json!({"FilterExpression": "x <> :a"}));
    assert_eq!(
        (sks(&r), r.body["ScannedCount"].clone()),
        (vec!["3".into(), "4".into()], json!(3))
    );
    let r = q(json!({"Select": "COUNT"}));
    assert!(r.body.get("Items").is_none());
    assert_eq!(r.body["Count"], 3);
    // GSI with KEYS_ONLY: the table's and the index's keys only.
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "idx", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
               "ExpressionAttributeValues": {":g": {"S": "odd"}}}),
    );
    ok(&r);
    assert_eq!(r.body["Count"], 3);
    assert_eq!(r.body["Items"][0].as_object().unwrap().len(), 3);
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "idx", "IndexName": "by-g", "KeyConditionExpression": "g = :g", "Select": "ALL_ATTRIBUTES",
               "ExpressionAttributeValues": {":g": {"S": "odd"}}}),
    );
    assert_eq!(err(&r).1, "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index by-g because its projection type is not ALL");
    // LSI in its sort order (l descends as sk ascends), INCLUDE projection.
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "idx", "IndexName": "by-l", "KeyConditionExpression": "pk = :p AND l < :l", "Limit": 2,
               "ExpressionAttributeValues": {":p": {"S": "p"}, ":l": {"N": "9"}}}),
    );
    assert_eq!(sks(&r), ["5", "4"]);
    assert!(r.body["Items"][0].get("y").is_none());
    assert_eq!(r.body["Items"][0]["x"], json!({"N": "5"}));
    let lek = r.body["LastEvaluatedKey"].clone();
    assert_eq!(lek["l"], json!({"N": "6"}));
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "idx", "IndexName": "by-l", "KeyConditionExpression": "pk = :p AND l < :l", "ExclusiveStartKey": lek,
               "ExpressionAttributeValues": {":p": {"S": "p"}, ":l": {"N": "9"}}}),
    );
    assert_eq!(sks(&r), ["3", "2"]);
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "idx", "IndexName": "nope", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    );
    assert_eq!(
        err(&r).1,
        "The table does not have the specified index: nope"
    );
    // Scan: everything, in pages, and in segments that partition the table.
    let mut all = 0;
    let mut start: Option<Value> = None;
    loop {
        let mut input = json!({"TableName": "idx", "Limit": 4});
        if let Some(s) = start.take() {
            input["ExclusiveStartKey"] = s;
        }
        let r = h.dynamodb(&root, "Scan", input);
        ok(&r);
        all += r.body["Count"].as_u64().unwrap();
        match r.body.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(all, 6);
    let segs: u64 = (0..3)
        .map(|s| {
            h.dynamodb(
                &root,
                "Scan",
                json!({"TableName": "idx", "Segment": s, "TotalSegments": 3}),
            )
            .body["Count"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(segs, 6);
    let r = h.dynamodb(
        &root,
        "Scan",
        json!({"TableName": "idx", "Segment": 3, "TotalSegments": 3}),
    );
    assert_eq!(
        err(&r).1,
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3"
    );
    let r = h.dynamodb(
        &root,
        "Scan",
        json!({"TableName": "idx", "IndexName": "by-g"}),
    );
    assert_eq!(r.body["Count"], 3);
    let r = h.dynamodb(&root, "DescribeTable", json!({"TableName": "idx"}));
    assert_eq!(r.body["Table"]["ItemCount"], 6);
    assert_eq!(r.body["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"], 3);
    assert_eq!(r.body["Table"]["LocalSecondaryIndexes"][0]["ItemCount"], 5);
}

#[test]
fn batches_and_transactions() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tbl", true);
    let puts: Vec<Value> = (1..=3)
        .map(|i| json!({"PutRequest": {"Item": item("a", i, json!({}))}}))
        .collect();
    let r = h.dynamodb(
        &root,
        "BatchWriteItem",
        json!({"RequestItems": {"tbl": puts}}),
    );
    ok(&r);
    assert_eq!(r.body["UnprocessedItems"], json!({}));
    let k = |i: i64| json!({"pk": {"S": "a"}, "sk": {"N": i.to_string()}});
    let r = h.dynamodb(
        &root,
        "BatchGetItem",
        json!({"RequestItems": {"tbl": {"Keys": [k(1), k(3), k(9)]}}}),
    );
    assert_eq!(r.body["Responses"]["tbl"].as_array().unwrap().len(), 2);
    let r = h.dynamodb(
        &root,
        "BatchGetItem",
        json!({"RequestItems": {"tbl": {"Keys": [k(1), k(1)]}}}),
    );
    assert_eq!(err(&r).1, "Provided list of item keys contains duplicates");
    let r = h.dynamodb(
        &root,
        "BatchWriteItem",
        json!({"RequestItems": {"tbl": [{"DeleteRequest": {"Key": k(1)}}, {"PutRequest": {"Item": item("a", 1, json!({}))}}]}}),
    );
    assert_eq!(err(&r).1, "Provided list of item keys contains duplicates");
    // A transaction whose condition fails changes nothing and says why, item by item.
    let r = h.dynamodb(
        &root,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "tbl", "Item": item("a", 7, json!({}))}},
            {"ConditionCheck": {"TableName": "tbl", "Key": k(2), "ConditionExpression": "attribute_not_exists(pk)",
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ]}),
    );
    let (code, message) = err(&r);
    assert_eq!(code, "TransactionCanceledException");
    assert_eq!(message, "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]");
    assert_eq!(r.body["CancellationReasons"][0], json!({"Code": "None"}));
    assert_eq!(
        r.body["CancellationReasons"][1]["Item"]["sk"],
        json!({"N": "2"})
    );
    let r = h.dynamodb(&root, "GetItem", json!({"TableName": "tbl", "Key": k(7)}));
    assert_eq!(r.body, json!({}));
    let r = h.dynamodb(
        &root,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "tbl", "Item": item("a", 7, json!({}))}},
            {"Update": {"TableName": "tbl", "Key": k(2), "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}},
            {"Delete": {"TableName": "tbl", "Key": k(3)}},
        ]}),
    );
    ok(&r);
    let r = h.dynamodb(
        &root,
        "TransactGetItems",
        json!({"TransactItems": [{"Get": {"TableName": "tbl", "Key": k(7)}}, {"Get": {"TableName": "tbl", "Key": k(2)}}, {"Get": {"TableName": "tbl", "Key": k(3)}}]}),
    );
    assert_eq!(r.body["Responses"][1]["Item"]["v"], json!({"S": "x"}));
    assert_eq!(r.body["Responses"][2], json!({}));
    let r = h.dynamodb(
        &root,
        "TransactWriteItems",
        json!({"TransactItems": [{"Delete": {"TableName": "tbl", "Key": k(2)}}, {"Delete": {"TableName": "tbl", "Key": k(2)}}]}),
    );
    assert_eq!(
        err(&r).1,
        "Transaction request cannot include multiple operations on one item"
    );
}
