//! Proof that every routed operation reaches the one authorizer: a user with no policy at all
//! calls each operation with well-formed input naming entities that may not even exist, and
//! must get AccessDenied (authorization comes before any existence check), except for the
//! operations AWS lets anyone call.

use crate::dispatch::QueryService;
use crate::testing::Harness;
use crate::{ec2, iam, sts};
use rolegate_core::model::{iam_arn, User};
use std::collections::BTreeMap;

/// Operations that need no permission on AWS.
const NO_PERMISSION: &[&str] = &["GetCallerIdentity", "GetSessionToken"];

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#;

/// Every parameter any operation needs, well-formed.
fn params(action: &str) -> Vec<(&str, &str)> {
    vec![
        ("Action", action),
        ("UserName", "target"),
        ("NewUserName", "target2"),
        ("GroupName", "group1"),
        ("NewGroupName", "group2"),
        ("RoleName", "role1"),
        ("InstanceProfileName", "profile1"),
        ("PolicyName", "policy1"),
        ("PolicyArn", "arn:aws:iam::111111111111:policy/policy1"),
        ("PolicyDocument", POLICY),
        ("AssumeRolePolicyDocument", TRUST),
        (
            "PermissionsBoundary",
            "arn:aws:iam::111111111111:policy/policy1",
        ),
        ("VersionId", "v1"),
        ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
        ("Status", "Inactive"),
        ("AccountAlias", "my-alias"),
        ("Description", "d"),
        ("Tags.member.1.Key", "k"),
        ("Tags.member.1.Value", "v"),
        ("TagKeys.member.1", "k"),
        ("RoleArn", "arn:aws:iam::222222222222:role/role1"),
        ("RoleSessionName", "session1"),
        ("EncodedMessage", "bm90LWEtbWVzc2FnZQ"),
        ("PolicySourceArn", "arn:aws:iam::111111111111:user/target"),
        ("ActionNames.member.1", "s3:GetObject"),
        ("PolicyInputList.member.1", POLICY),
    ]
}

#[test]
fn every_routed_operation_is_authorized() {
    let h = Harness::new();
    // A user with no policy whatsoever.
    h.state
        .catalog
        .update("111111111111", |a| {
            a.users.insert(
                "nobody".into(),
                User {
                    name: "nobody".into(),
                    path: "/".into(),
                    id: "AIDANOBODY0000000000".into(),
                    arn: iam_arn("111111111111", "user/", "", "nobody"),
                    created: 0,
                    tags: vec![],
                    inline: BTreeMap::new(),
                    attached: vec![],
                    groups: vec![],
                    boundary: None,
                    access_keys: vec![],
                }
                .into(),
            );
            Ok::<_, rolegate_core::CatalogError>(())
        })
        .expect("user");
    let caller = h.user("111111111111", "nobody");
    let routed: Vec<(QueryService, &str)> = iam::operations()
        .map(|(n, _)| (QueryService::Iam, n))
        .chain(sts::operations().map(|(n, _)| (QueryService::Sts, n)))
        .collect();
    assert!(routed.len() > 60, "only {} operations routed", routed.len());
    let mut failures = Vec::new();
    for (service, action) in routed {
        let r = h.call(service, &caller, &params(action));
        let code = crate::testing::field(&r.body, "Code").unwrap_or("");
        let expected_ok = NO_PERMISSION.contains(&action);
        let fine = if expected_ok {
            r.status == 200
        } else {
            r.status == 403 && code == "AccessDenied"
        };
        if !fine {
            failures.push(format!(
                "{action}: {} {code} {}",
                r.status,
                crate::testing::field(&r.body, "Message").unwrap_or("")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "operations not denied to a user without policies:\n{}",
        failures.join("\n")
    );
}

/// EC2: the same user, every routed EC2 operation, on an instance (and association) that
/// exists, so only the authorizer can refuse: `UnauthorizedOperation`.
#[test]
fn every_routed_ec2_operation_is_authorized() {
    let h = Harness::new();
    let root = Harness::root("111111111111");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for p in [
        vec![("Action", "CreateUser"), ("UserName", "nobody")],
        vec![
            ("Action", "CreateRole"),
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", trust),
        ],
        vec![
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", "p"),
        ],
        vec![
            ("Action", "AddRoleToInstanceProfile"),
            ("InstanceProfileName", "p"),
            ("RoleName", "r"),
        ],
    ] {
        assert_eq!(h.iam(&root, &p).status, 200);
    }
    let run = h.call(
        QueryService::Ec2,
        &root,
        &[
            ("Action", "RunInstances"),
            ("ImageId", "ami-12345678"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("IamInstanceProfile.Name", "p"),
        ],
    );
    assert_eq!(run.status, 200, "{}", run.body);
    let id = crate::testing::field(&run.body, "instanceId")
        .unwrap_or("")
        .to_owned();
    let snap = h.state.catalog.snapshot();
    let association = snap
        .find_instance(&id)
        .and_then(|(_, i)| i.iam_profile.clone())
        .map(|a| a.association_id)
        .unwrap_or_default();
    let caller = h.user("111111111111", "nobody");
    let params = |action| {
        vec![
            ("Action", action),
            ("InstanceId", id.as_str()),
            ("InstanceId.1", id.as_str()),
            ("ResourceId.1", id.as_str()),
            ("AssociationId", association.as_str()),
            ("ImageId", "ami-12345678"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("IamInstanceProfile.Name", "p"),
            ("Tag.1.Key", "k"),
            ("Tag.1.Value", "v"),
            ("HttpTokens", "required"),
        ]
    };
    let routed: Vec<&str> = ec2::operations().map(|(n, _)| n).collect();
    assert!(
        routed.len() >= 15,
        "only {} EC2 operations routed",
        routed.len()
    );
    let mut failures = Vec::new();
    for action in routed {
        let r = h.call(QueryService::Ec2, &caller, &params(action));
        let code = crate::testing::field(&r.body, "Code").unwrap_or("");
        if !(r.status == 403 && code == "UnauthorizedOperation") {
            failures.push(format!("{action}: {} {code}", r.status));
        }
    }
    assert!(
        failures.is_empty(),
        "EC2 operations not denied to a user without policies:\n{}",
        failures.join("\n")
    );
}

/// Well-formed input for every DynamoDB operation, naming tables that do not exist.
fn dynamodb_input() -> serde_json::Value {
    let key = serde_json::json!({"pk": {"S": "a"}});
    let arn = "arn:aws:dynamodb:us-east-1:111111111111:table/missing";
    serde_json::json!({
        "TableName": "missing",
        "ResourceArn": arn,
        "Key": key,
        "Item": key,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "a"}},
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "DeletionProtectionEnabled": false,
        "Tags": [{"Key": "k", "Value": "v"}],
        "TagKeys": ["k"],
        "Policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#,
        "RequestItems": {"missing": {"Keys": [key]}},
        "TransactItems": [{"Get": {"TableName": "missing", "Key": key}}],
    })
}

#[test]
fn every_dynamodb_operation_is_authorized() {
    let h = Harness::new();
    let root = Harness::root("111111111111");
    let r = h.iam(&root, &[("Action", "CreateUser"), ("UserName", "nobody")]);
    assert_eq!(r.status, 200, "{}", r.body);
    let caller = h.user("111111111111", "nobody");
    let mut failures = Vec::new();
    let ops: Vec<&str> = crate::dynamodb::operations().map(|(n, _)| n).collect();
    assert!(ops.len() >= 19, "only {} operations routed", ops.len());
    for op in ops {
        let mut input = dynamodb_input();
        if op != "Query" {
            if let Some(m) = input.as_object_mut() {
                m.remove("ExpressionAttributeValues");
                m.remove("KeyConditionExpression");
            }
        }
        if op == "BatchWriteItem" {
            input["RequestItems"] =
                serde_json::json!({"missing": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]});
        }
        if op == "TransactWriteItems" {
            input["TransactItems"] =
                serde_json::json!([{"Put": {"TableName": "missing", "Item": {"pk": {"S": "a"}}}}]);
        }
        let r = h.dynamodb(&caller, op, input);
        if r.code() != "com.amazon.coral.service#AccessDeniedException" || r.status != 400 {
            failures.push(format!("{op}: {} {}", r.status, r.body));
        }
    }
    assert!(
        failures.is_empty(),
        "DynamoDB operations not denied to a user without policies:\n{}",
        failures.join("\n")
    );
}
