//! DynamoDB through the JSON dispatcher: tables, items and expressions, queries and scans on
//! tables and indexes, batches and transactions, errors as DynamoDB words them, and
//! authorization with DynamoDB's condition keys, resource policies and cross-account ARNs.
#![allow(clippy::unwrap_used)]

mod access;
mod reads;

use crate::testing::{Harness, JsonReply};
use rolegate_core::Caller;
use serde_json::{json, Value};

pub(super) const A: &str = "111111111111";
pub(super) const B: &str = "222222222222";

pub(super) fn ok(r: &JsonReply) {
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The error code without its namespace, and the message.
pub(super) fn err(r: &JsonReply) -> (String, String) {
    assert_ne!(r.status, 200, "{}", r.body);
    let code = r.code().rsplit('#').next().unwrap_or("").to_owned();
    (code, r.message().to_owned())
}

pub(super) fn err_code(r: &JsonReply, code: &str) {
    assert_eq!(err(r).0, code, "{}", r.body);
}

pub(super) fn create(h: &Harness, caller: &Caller, name: &str, range: bool) {
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

pub(super) fn put(h: &Harness, caller: &Caller, table: &str, item: Value) -> JsonReply {
    h.dynamodb(caller, "PutItem", json!({"TableName": table, "Item": item}))
}

pub(super) fn user(h: &Harness, account: &str, name: &str, policy: &str) -> Caller {
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

pub(super) fn item(pk: &str, sk: i64, extra: Value) -> Value {
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
        "UpdateItem",
        json!({"TableName": "tbl", "Key": key, "UpdateExpression": "SET big = :b",
               "ExpressionAttributeValues": {":b": {"S": "x".repeat(400 * 1024)}}}),
    );
    assert_eq!(
        err(&r).1,
        "Item size to update has exceeded the maximum allowed size"
    );
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

#[test]
fn conditional_writes_are_atomic_under_concurrency() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "ctr", false);
    let wins = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                for _ in 0..5 {
                    let r = h.dynamodb(
                        &root,
                        "UpdateItem",
                        json!({"TableName": "ctr", "Key": {"pk": {"S": "c"}}, "UpdateExpression": "ADD n :one",
                               "ExpressionAttributeValues": {":one": {"N": "1"}}}),
                    );
                    ok(&r);
                }
                // Everyone races to create the same item: exactly one may win.
                let r = h.dynamodb(
                    &root,
                    "PutItem",
                    json!({"TableName": "ctr", "Item": {"pk": {"S": "once"}},
                           "ConditionExpression": "attribute_not_exists(pk)"}),
                );
                if r.status == 200 {
                    wins.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                } else {
                    err_code(&r, "ConditionalCheckFailedException");
                }
            });
        }
    });
    let r = h.dynamodb(
        &root,
        "GetItem",
        json!({"TableName": "ctr", "Key": {"pk": {"S": "c"}}}),
    );
    assert_eq!(r.body["Item"]["n"], json!({"N": "30"}));
    assert_eq!(wins.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn consumed_capacity_is_reported_when_asked() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "cap", true);
    // 3 KB item: 3 write units; reading it: one 4 KB unit, halved unless consistent.
    let big = json!({"S": "x".repeat(3000)});
    let r = h.dynamodb(
        &root,
        "PutItem",
        json!({"TableName": "cap", "Item": item("a", 1, json!({"big": big})), "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(
        r.body["ConsumedCapacity"],
        json!({"TableName": "cap", "CapacityUnits": 3.0})
    );
    let key = json!({"pk": {"S": "a"}, "sk": {"N": "1"}});
    let r = h.dynamodb(
        &root,
        "GetItem",
        json!({"TableName": "cap", "Key": key, "ReturnConsumedCapacity": "INDEXES"}),
    );
    assert_eq!(
        r.body["ConsumedCapacity"],
        json!({"TableName": "cap", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}})
    );
    let r = h.dynamodb(
        &root,
        "Query",
        json!({"TableName": "cap", "KeyConditionExpression": "pk = :p", "ConsistentRead": true,
               "ExpressionAttributeValues": {":p": {"S": "a"}}, "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(r.body["ConsumedCapacity"]["CapacityUnits"], 1.0);
    let r = h.dynamodb(&root, "GetItem", json!({"TableName": "cap", "Key": key}));
    assert!(r.body.get("ConsumedCapacity").is_none());
    let r = h.dynamodb(
        &root,
        "TransactWriteItems",
        json!({"TransactItems": [{"Delete": {"TableName": "cap", "Key": key}}], "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(
        r.body["ConsumedCapacity"],
        json!([{"TableName": "cap", "CapacityUnits": 2.0}])
    );
    let r = h.dynamodb(
        &root,
        "GetItem",
        json!({"TableName": "cap", "Key": key, "ReturnConsumedCapacity": "ALL"}),
    );
    err_code(&r, "ValidationException");
}

#[test]
fn updated_values_are_the_targeted_parts() {
    let h = Harness::new();
    let root = Harness::root(A);
    create(&h, &root, "upd", true);
    ok(&put(
        &h,
        &root,
        "upd",
        item(
            "a",
            1,
            json!({"m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}}),
        ),
    ));
    let key = json!({"pk": {"S": "a"}, "sk": {"N": "1"}});
    let r = h.dynamodb(
        &root,
        "UpdateItem",
        json!({"TableName": "upd", "Key": key, "UpdateExpression": "SET m.a = :v",
               "ExpressionAttributeValues": {":v": {"N": "5"}}, "ReturnValues": "UPDATED_NEW"}),
    );
    assert_eq!(r.body["Attributes"], json!({"m": {"M": {"a": {"N": "5"}}}}));
    // A REMOVE under an absent attribute is ignored when the item does not exist yet.
    let r = h.dynamodb(
        &root,
        "UpdateItem",
        json!({"TableName": "upd", "Key": {"pk": {"S": "new"}, "sk": {"N": "1"}},
               "UpdateExpression": "REMOVE x.y", "ReturnValues": "ALL_NEW"}),
    );
    assert_eq!(
        r.body["Attributes"],
        json!({"pk": {"S": "new"}, "sk": {"N": "1"}})
    );
}
