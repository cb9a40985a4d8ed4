//! Authorization with DynamoDB's condition keys, resource policies and cross-account ARNs,
//! tags, UpdateTable, and inputs that must never panic.
#![allow(clippy::unwrap_used)]

use super::reads::with_index;
use super::{create, err, err_code, item, ok, put, user, A, B};
use crate::testing::Harness;
use serde_json::json;

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
    for (op, _) in super::super::operations() {
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
