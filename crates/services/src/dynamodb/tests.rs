//! DynamoDB through the JSON dispatcher: tables, items and expressions, queries and scans on
//! tables and indexes, batches and transactions, errors as DynamoDB words them, and
//! authorization with DynamoDB's condition keys, resource policies and cross-account ARNs.
#![allow(clippy::unwrap_used)]

use crate::testing::{Harness, JsonReply};
use rolegate_core::Caller;
use serde_json::{json, Value};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn ok(r: &JsonReply) {
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The error code without its namespace, and the message.
fn err(r: &JsonReply) -> (String, String) {
    assert_ne!(r.status, 200, "{}", r.body);
    let code = r.code().rsplit('#').next().unwrap_or("").to_owned();
    (code, r.message().to_owned())
}

fn err_code(r: &JsonReply, code: &str) {
    assert_eq!(err(r).0, code, "{}", r.body);
}

fn create(h: &Harness, caller: &Caller, name: &str, range: bool) {
    let mut attrs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
    let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    if range {
        attrs.push(json!({"AttributeName": "sk", "AttributeType": "N"}));
        schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
    }
    let r = h.dynamodb(
        caller,
        "CreateTable",
        json!({"TableName": name, "AttributeDefinitions": attrs, "KeySchema": schema,
               "BillingMode": "PAY_PER_REQUEST"}),
    );
    ok(&r);
}

fn put(h: &Harness, caller: &Caller, table: &str, item: Value) -> JsonReply {
    h.dynamodb(caller, "PutItem", json!({"TableName": table, "Item": item}))
}

fn user(h: &Harness, account: &str, name: &str, policy: &str) -> Caller {
    let root = Harness::root(account);
    let r = h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)]);
    assert_eq!(r.status, 200, "{}", r.body);
    if !policy.is_empty() {
        let r = h.iam(
            &root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", name),
                ("PolicyName", "p"),
                ("PolicyDocument", policy),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    h.user(account, name)
}

fn item(pk: &str, sk: i64, extra: Value) -> Value {
    let mut i = json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}});
    if let (Value::Object(m), Value::Object(e)) = (&mut i, extra) {
        m.extend(e);
    }
    i
}

#[test]
fn tables_are_created_described_listed_and_deleted() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tb1", true);
    let r = h.dynamodb(&root, "DescribeTable", json!({"TableName": "tb1"}));
    ok(&r);
    let t = &r.body["Table"];
    assert_eq!(t["TableStatus"], "ACTIVE");
    assert_eq!(
        t["TableArn"],
        "arn:aws:dynamodb:us-east-1:111111111111:table/tb1"
    );
    assert_eq!(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(t["KeySchema"][1]["KeyType"], "RANGE");
    let again = h.dynamodb(
        &root,
        "CreateTable",
        json!({"TableName": "tb1", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
    );
    assert_eq!(
        err(&again),
        (
            "ResourceInUseException".into(),
            "Table already exists: tb1".into()
        )
    );
    create(&h, &root, "tb0", false);
    let r = h.dynamodb(&root, "ListTables", json!({"Limit": 1}));
    assert_eq!(r.body["TableNames"], json!(["tb0"]));
    assert_eq!(r.body["LastEvaluatedTableName"], "tb0");
    let r = h.dynamodb(
        &root,
        "ListTables",
        json!({"ExclusiveStartTableName": "tb0"}),
    );
    assert_eq!(r.body["TableNames"], json!(["tb1"]));
    assert!(r.body.get("LastEvaluatedTableName").is_none());
    let r = h.dynamodb(&root, "DeleteTable", json!({"TableName": "tb1"}));
    assert_eq!(r.body["TableDescription"]["TableStatus"], "DELETING");
    let r = h.dynamodb(&root, "DescribeTable", json!({"TableName": "tb1"}));
    assert_eq!(
        err(&r),
        (
            "ResourceNotFoundException".into(),
            "Requested resource not found: Table: tb1 not found".into()
        )
    );
    let r = h.dynamodb(&root, "DeleteTable", json!({"TableName": "tb1"}));
    assert_eq!(
        err(&r),
        (
            "ResourceNotFoundException".into(),
            "Requested resource not found".into()
        )
    );
    assert_eq!(
        r.code(),
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
}

#[test]
fn create_table_checks_the_schema_as_dynamodb_does() {
    let h = Harness::new();
    let root = Harness::root(A);
    let cases = [
        (
            json!({"TableName": "ab", "AttributeDefinitions": [], "KeySchema": []}),
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
        ),
        (
            json!({"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [b], AttributeDefinitions: [a]",
        ),
        (
            json!({"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            json!({"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}),
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        ),
        (
            json!({"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "X"}],
                   "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}),
            "1 validation error detected: Value 'X' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
        ),
        (
            json!({"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "a", "KeyType": "RANGE"}], "BillingMode": "PAY_PER_REQUEST"}),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
    ];
    for (input, message) in cases {
        let r = h.dynamodb(&root, "CreateTable", input);
        assert_eq!(err(&r), ("ValidationException".into(), message.into()));
        assert_eq!(r.code(), "com.amazon.coral.validate#ValidationException");
    }
    let r = h.dynamodb(
        &root,
        "CreateTable",
        json!({"TableName": "prov", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "B"}],
               "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
               "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}}),
    );
    ok(&r);
    assert_eq!(r.body["TableDescription"]["TableStatus"], "CREATING");
    assert_eq!(
        r.body["TableDescription"]["ProvisionedThroughput"]["WriteCapacityUnits"],
        7
    );
}

#[test]
fn items_are_put_got_and_deleted_with_conditions() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tbl", true);
    let r = put(
        &h,
        &root,
        "tbl",
        item(
            "a",
            1,
            json!({"n": {"N": "1.50"}, "l": {"L": [{"S": "x"}, {"NULL": true}]}}),
        ),
    );
    ok(&r);
    assert_eq!(r.body, json!({}));
    let r = h.dynamodb(
        &root,
        "GetItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(r.body["Item"]["n"], json!({"N": "1.5"}));
    assert_eq!(r.body["Item"]["l"]["L"][1], json!({"NULL": true}));
    // Conditional put on an existing item fails, returning the old item when asked.
    let r = h.dynamodb(
        &root,
        "PutItem",
        json!({"TableName": "tbl", "Item": item("a", 1, json!({})),
               "ConditionExpression": "attribute_not_exists(pk)",
               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
    );
    assert_eq!(
        err(&r),
        (
            "ConditionalCheckFailedException".into(),
            "The conditional request failed".into()
        )
    );
    assert_eq!(r.body["Item"]["n"], json!({"N": "1.5"}));
    let r = h.dynamodb(
        &root,
        "PutItem",
        json!({"TableName": "tbl", "Item": item("a", 1, json!({"v": {"S": "new"}})),
               "ConditionExpression": "n = :n", "ExpressionAttributeValues": {":n": {"N": "1.5"}},
               "ReturnValues": "ALL_OLD"}),
    );
    ok(&r);
    assert_eq!(r.body["Attributes"]["n"], json!({"N": "1.5"}));
    // Key errors.
    let r = put(&h, &root, "tbl", json!({"pk": {"S": "a"}}));
    assert_eq!(
        err(&r).1,
        "One or more parameter values were invalid: Missing the key sk in the item"
    );
    let r = put(
        &h,
        &root,
        "tbl",
        json!({"pk": {"N": "1"}, "sk": {"N": "1"}}),
    );
    assert_eq!(
        err(&r).1,
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    );
    let r = h.dynamodb(
        &root,
        "GetItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(
        err(&r).1,
        "The provided key element does not match the schema"
    );
    let big = "x".repeat(400 * 1024);
    let r = put(&h, &root, "tbl", item("a", 2, json!({"big": {"S": big}})));
    assert_eq!(err(&r).1, "Item size has exceeded the maximum allowed size");
    let r = put(&h, &root, "nope", item("a", 2, json!({})));
    assert_eq!(
        err(&r),
        (
            "ResourceNotFoundException".into(),
            "Requested resource not found".into()
        )
    );
    let r = h.dynamodb(
        &root,
        "PutItem",
        json!({"TableName": "tbl", "Item": item("a", 1, json!({})), "ReturnValues": "ALL_NEW"}),
    );
    assert_eq!(err(&r).1, "Return values set to invalid value");
    let r = h.dynamodb(
        &root,
        "PutItem",
        json!({"TableName": "tbl", "Item": item("a", 1, json!({})), "ExpressionAttributeValues": {":x": {"S": "1"}}}),
    );
    err_code(&r, "ValidationException");
    // Delete with a failing then a passing condition.
    let key = json!({"pk": {"S": "a"}, "sk": {"N": "1"}});
    let r = h.dynamodb(
        &root,
        "DeleteItem",
        json!({"TableName": "tbl", "Key": key, "ConditionExpression": "v = :v", "ExpressionAttributeValues": {":v": {"S": "old"}}}),
    );
    err_code(&r, "ConditionalCheckFailedException");
    let r = h.dynamodb(
        &root,
        "DeleteItem",
        json!({"TableName": "tbl", "Key": key, "ReturnValues": "ALL_OLD"}),
    );
    assert_eq!(r.body["Attributes"]["v"], json!({"S": "new"}));
    let r = h.dynamodb(&root, "GetItem", json!({"TableName": "tbl", "Key": key}));
    assert_eq!(r.body, json!({}));
}

#[test]
fn update_item_applies_expressions_and_returns_values() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tbl", true);
    let key = json!({"pk": {"S": "a"}, "sk": {"N": "1"}});
    let r = h.dynamodb(
        &root,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": key,
               "UpdateExpression": "SET #c = if_not_exists(#c, :zero) + :one, tags = :t ADD s :s",
               "ExpressionAttributeNames": {"#c": "count"},
               "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}, ":t": {"L": []}, ":s": {"SS": ["x"]}},
               "ReturnValues": "ALL_NEW"}),
    );
    ok(&r);
    assert_eq!(r.body["Attributes"]["count"], json!({"N": "1"}));
    assert_eq!(r.body["Attributes"]["pk"], json!({"S": "a"}));
    let r = h.dynamodb(
        &root,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": key,
               "UpdateExpression": "SET #c = #c + :one REMOVE tags",
               "ConditionExpression": "#c = :one",
               "ExpressionAttributeNames": {"#c": "count"},
               "ExpressionAttributeValues": {":one": {"N": "1"}},
               "ReturnValues": "UPDATED_OLD"}),
    );
    ok(&r);
    assert_eq!(
        r.body["Attributes"],
        json!({"count": {"N": "1"}, "tags": {"L": []}})
    );
    let r = h.dynamodb(
        &root,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": key, "UpdateExpression": "SET sk = :v",
               "ExpressionAttributeValues": {":v": {"N": "2"}}}),
    );
    assert_eq!(
        err(&r).1,
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key"
    );
    let r = h.dynamodb(
        &root,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": key, "UpdateExpression": "SET #c = #c + :s",
               "ExpressionAttributeNames": {"#c": "count"},
               "ExpressionAttributeValues": {":s": {"S": "x"}}}),
    );
    err_code(&r, "ValidationException");
    let r = h.dynamodb(
        &root,
        "GetItem",
        json!({"TableName": "tbl", "Key": key, "ProjectionExpression": "#c, s",
        "ExpressionAttributeNames": {"#c": "count"}}),
    );
    assert_eq!(
        r.body["Item"],
        json!({"count": {"N": "2"}, "s": {"SS": ["x"]}})
    );
}

fn with_index(h: &Harness, root: &Caller) {
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

#[test]
fn authorization_uses_dynamodb_condition_keys() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tbl", true);
    let nobody = user(&h, A, "nobody", "");
    let r = put(&h, &nobody, "tbl", item("a", 1, json!({})));
    assert_eq!(r.code(), "com.amazon.coral.service#AccessDeniedException");
    assert_eq!(
        r.body["Message"],
        "User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111111111111:table/tbl because no identity-based policy allows the dynamodb:PutItem action"
    );
    // Leading keys: only items whose partition key is the user's name.
    let own = user(
        &h,
        A,
        "alice",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:*:*:table/tbl","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}}]}"#,
    );
    ok(&put(&h, &own, "tbl", item("alice", 1, json!({}))));
    err_code(
        &put(&h, &own, "tbl", item("bob", 1, json!({}))),
        "AccessDeniedException",
    );
    let r = h.dynamodb(
        &own,
        "Query",
        json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "alice"}}}),
    );
    assert_eq!(r.body["Count"], 1);
    // Attributes: only the listed ones may be read.
    let attrs = user(
        &h,
        A,
        "attrs",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["pk","sk","visible"]},"StringEqualsIfExists":{"dynamodb:Select":"SPECIFIC_ATTRIBUTES"}}}]}"#,
    );
    let key = json!({"pk": {"S": "alice"}, "sk": {"N": "1"}});
    ok(&h.dynamodb(
        &attrs,
        "GetItem",
        json!({"TableName": "tbl", "Key": key, "ProjectionExpression": "visible"}),
    ));
    err_code(
        &h.dynamodb(
            &attrs,
            "GetItem",
            json!({"TableName": "tbl", "Key": key, "ProjectionExpression": "flavor"}),
        ),
        "AccessDeniedException",
    );
    err_code(
        &h.dynamodb(&attrs, "GetItem", json!({"TableName": "tbl", "Key": key})),
        "AccessDeniedException",
    );
    // Query on an index is authorized on the index ARN.
    let table_only = user(
        &h,
        A,
        "tonly",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:Query","Resource":"arn:aws:dynamodb:us-east-1:111111111111:table/idx"}]}"#,
    );
    with_index(&h, &root);
    ok(&h.dynamodb(
        &table_only,
        "Query",
        json!({"TableName": "idx", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    ));
    let r = h.dynamodb(
        &table_only,
        "Query",
        json!({"TableName": "idx", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "odd"}}}),
    );
    assert!(r.message().contains("table/idx/index/by-g"), "{}", r.body);
}

#[test]
fn resource_policies_grant_other_accounts_access_by_arn() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "shared", true);
    let arn = "arn:aws:dynamodb:us-east-1:111111111111:table/shared";
    let writer = user(
        &h,
        B,
        "writer",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#,
    );
    // Without a resource policy, another account is refused even with its own permission.
    let r = put(&h, &writer, arn, item("a", 1, json!({})));
    err_code(&r, "AccessDeniedException");
    let r = h.dynamodb(&root, "GetResourcePolicy", json!({"ResourceArn": arn}));
    assert_eq!(
        err(&r),
        (
            "PolicyNotFoundException".into(),
            format!("Resource-based policy not found for the provided ResourceArn: {arn}")
        )
    );
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::222222222222:root"}},"Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"{arn}"}}]}}"#
    );
    let r = h.dynamodb(
        &root,
        "PutResourcePolicy",
        json!({"ResourceArn": arn, "Policy": policy}),
    );
    ok(&r);
    let rev = r.body["RevisionId"].as_str().unwrap().to_owned();
    let r = h.dynamodb(&root, "GetResourcePolicy", json!({"ResourceArn": arn}));
    assert_eq!(
        (
            r.body["Policy"].as_str().unwrap(),
            r.body["RevisionId"].as_str().unwrap()
        ),
        (policy.as_str(), rev.as_str())
    );
    ok(&put(&h, &writer, arn, item("a", 1, json!({}))));
    let r = h.dynamodb(
        &writer,
        "GetItem",
        json!({"TableName": arn, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(r.body["Item"]["pk"], json!({"S": "a"}));
    err_code(
        &h.dynamodb(
            &writer,
            "DeleteItem",
            json!({"TableName": arn, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
        ),
        "AccessDeniedException",
    );
    // The caller's own identity policy is needed too.
    let none = user(&h, B, "none", "");
    err_code(
        &put(&h, &none, arn, item("a", 2, json!({}))),
        "AccessDeniedException",
    );
    // A plain name means the caller's own account.
    err_code(
        &put(&h, &writer, "shared", item("a", 2, json!({}))),
        "ResourceNotFoundException",
    );
    let r = h.dynamodb(
        &root,
        "DeleteResourcePolicy",
        json!({"ResourceArn": arn, "ExpectedRevisionId": "1"}),
    );
    err_code(&r, "PolicyNotFoundException");
    ok(&h.dynamodb(
        &root,
        "DeleteResourcePolicy",
        json!({"ResourceArn": arn, "ExpectedRevisionId": rev}),
    ));
    err_code(
        &put(&h, &writer, arn, item("a", 1, json!({}))),
        "AccessDeniedException",
    );
    let r = h.dynamodb(
        &root,
        "PutResourcePolicy",
        json!({"ResourceArn": arn, "Policy": "{}"}),
    );
    err_code(&r, "ValidationException");
}

#[test]
fn tags_and_update_table() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tbl", true);
    let arn = "arn:aws:dynamodb:us-east-1:111111111111:table/tbl";
    ok(&h.dynamodb(&root, "TagResource", json!({"ResourceArn": arn, "Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}]})));
    ok(&h.dynamodb(
        &root,
        "UntagResource",
        json!({"ResourceArn": arn, "TagKeys": ["team"]}),
    ));
    let r = h.dynamodb(&root, "ListTagsOfResource", json!({"ResourceArn": arn}));
    assert_eq!(r.body["Tags"], json!([{"Key": "env", "Value": "dev"}]));
    // ABAC on the table's tags.
    let tagged = user(
        &h,
        A,
        "tagged",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}"#,
    );
    ok(&put(
        &h,
        &tagged,
        "tbl",
        item("a", 1, json!({"g": {"S": "x"}})),
    ));
    let r = h.dynamodb(
        &root,
        "UpdateTable",
        json!({"TableName": "tbl", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                           "Projection": {"ProjectionType": "ALL"}}}]}),
    );
    ok(&r);
    // The new index holds the items written before it existed.
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "x"}}}),
    );
    assert_eq!(r.body["Count"], 1);
    let r = h.dynamodb(
        &root,
        "UpdateTable",
        json!({"TableName": "tbl", "DeletionProtectionEnabled": true}),
    );
    ok(&r);
    let r = h.dynamodb(&root, "DeleteTable", json!({"TableName": "tbl"}));
    assert_eq!(err(&r).1, "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.");
    let r = h.dynamodb(&root, "UpdateTable", json!({"TableName": "tbl"}));
    err_code(&r, "ValidationException");
}

#[test]
fn garbage_never_panics() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "tbl", true);
    let inputs = [
        json!({"TableName": 5}),
        json!({"TableName": "tbl", "Item": []}),
        json!({"TableName": "tbl", "Item": {"pk": {"S": "a", "N": "1"}, "sk": {"N": "1"}}}),
        json!({"TableName": "tbl", "Key": {"pk": {"SS": []}}}),
        json!({"TableName": "tbl", "KeyConditionExpression": "((("}),
        json!({"TableName": "tbl", "RequestItems": {"tbl": 5}}),
        json!({"TableName": "tbl", "TransactItems": [{"Put": {}, "Delete": {}}]}),
        json!({"TableName": "arn:aws:dynamodb:us-east-1:1:table/"}),
        json!({"TableName": "tbl", "ExclusiveStartKey": {"pk": {"S": "a"}}, "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "a"}}}),
    ];
    for (op, _) in super::operations() {
        for i in &inputs {
            let r = h.dynamodb(&root, op, i.clone());
            assert!(
                r.status == 200 || r.status == 400,
                "{op} {i}: {} {}",
                r.status,
                r.body
            );
        }
    }
    let r = h.dynamodb(&root, "NoSuchOperation", json!({}));
    assert_eq!(
        r.code(),
        "com.amazon.coral.service#UnknownOperationException"
    );
}
