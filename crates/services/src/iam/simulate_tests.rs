//! Unit tests of the policy simulator, input by input, through the IAM dispatcher.

use super::simulate_eval::{statement_spans, Span};
use crate::testing::{field, fields, Harness};

const A: &str = "111111111111";

fn ok(h: &Harness, params: &[(&str, &str)]) -> String {
    let r = h.iam(&Harness::root(A), params);
    assert_eq!(r.status, 200, "{params:?}: {}", r.body);
    r.body
}

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

/// A user `alice` with an inline policy allowing s3:GetObject on bucket `b`, in group `devs`
/// whose policy denies s3:DeleteObject.
fn setup() -> Harness {
    let h = Harness::new();
    ok(&h, &[("Action", "CreateUser"), ("UserName", "alice")]);
    ok(
        &h,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "alice"),
            ("PolicyName", "reads"),
            ("PolicyDocument", &allow("s3:GetObject", "arn:aws:s3:::b/*")),
        ],
    );
    ok(&h, &[("Action", "CreateGroup"), ("GroupName", "devs")]);
    ok(
        &h,
        &[
            ("Action", "AddUserToGroup"),
            ("GroupName", "devs"),
            ("UserName", "alice"),
        ],
    );
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
    ok(
        &h,
        &[
            ("Action", "PutGroupPolicy"),
            ("GroupName", "devs"),
            ("PolicyName", "guard"),
            ("PolicyDocument", deny),
        ],
    );
    h
}

fn simulate(h: &Harness, extra: &[(&str, &str)]) -> crate::dispatch::QueryResponse {
    let mut p = vec![("Action", "SimulatePrincipalPolicy")];
    p.extend_from_slice(extra);
    h.iam(&Harness::root(A), &p)
}

const ALICE: &str = "arn:aws:iam::111111111111:user/alice";

#[test]
fn user_decisions_allowed_explicit_and_implicit() {
    let h = setup();
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", ALICE),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ActionNames.member.2", "s3:DeleteObject"),
            ("ActionNames.member.3", "ec2:RunInstances"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        fields(&r.body, "EvalDecision"),
        ["allowed", "explicitDeny", "implicitDeny"]
    );
    assert_eq!(
        fields(&r.body, "EvalActionName"),
        ["s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"]
    );
    assert_eq!(fields(&r.body, "EvalResourceName"), ["*", "*", "*"]);
    // GetObject on "*": the user's own policy names b/* only, the group's s3:* allows it.
    let ids = fields(&r.body, "SourcePolicyId");
    assert_eq!(ids, ["guard", "guard"], "{}", r.body);
    assert_eq!(fields(&r.body, "SourcePolicyType"), ["group", "group"]);
    assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
    assert_eq!(field(&r.body, "AllowedByOrganizations"), Some("true"));
}

#[test]
fn group_source_uses_only_the_groups_policies() {
    let h = setup();
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", "arn:aws:iam::111111111111:group/devs"),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ActionNames.member.2", "s3:DeleteObject"),
            ("ResourceArns.member.1", "arn:aws:s3:::b/k"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fields(&r.body, "EvalDecision"), ["allowed", "explicitDeny"]);
    assert!(!r.body.contains("<SourcePolicyId>reads</SourcePolicyId>"));
    assert_eq!(
        fields(&r.body, "EvalResourceDecision"),
        ["allowed", "explicitDeny"]
    );
}

#[test]
fn resource_arns_give_resource_specific_results() {
    let h = setup();
    ok(&h, &[("Action", "CreateUser"), ("UserName", "bob")]);
    ok(
        &h,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "bob"),
            ("PolicyName", "reads"),
            ("PolicyDocument", &allow("s3:GetObject", "arn:aws:s3:::b/*")),
        ],
    );
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", "arn:aws:iam::111111111111:user/bob"),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ResourceArns.member.1", "arn:aws:s3:::b/k"),
            ("ResourceArns.member.2", "arn:aws:s3:::other/k"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fields(&r.body, "EvalDecision"), ["allowed", "implicitDeny"]);
    assert_eq!(
        fields(&r.body, "EvalResourceDecision"),
        ["allowed", "implicitDeny"]
    );
    assert_eq!(
        fields(&r.body, "EvalResourceName"),
        [
            "arn:aws:s3:::b/k",
            "arn:aws:s3:::b/k",
            "arn:aws:s3:::other/k",
            "arn:aws:s3:::other/k"
        ]
    );
    assert_eq!(fields(&r.body, "SourcePolicyType"), ["user", "user"]);
}

#[test]
fn policy_input_list_adds_to_the_principal() {
    let h = setup();
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", ALICE),
            ("ActionNames.member.1", "sqs:SendMessage"),
            ("PolicyInputList.member.1", &allow("sqs:*", "*")),
        ],
    );
    assert_eq!(fields(&r.body, "EvalDecision"), ["allowed"], "{}", r.body);
    assert_eq!(field(&r.body, "SourcePolicyId"), Some("PolicyInputList.1"));
    assert_eq!(field(&r.body, "SourcePolicyType"), Some("IAM Policy"));
}

#[test]
fn permissions_boundary_input_limits_the_user() {
    let h = setup();
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", ALICE),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ActionNames.member.2", "s3:PutObject"),
            (
                "PermissionsBoundaryPolicyInputList.member.1",
                &allow("s3:GetObject", "*"),
            ),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fields(&r.body, "EvalDecision"), ["allowed", "implicitDeny"]);
    assert_eq!(
        fields(&r.body, "AllowedByPermissionsBoundary"),
        ["true", "false"]
    );
}

#[test]
fn role_source_and_its_attached_managed_policy() {
    let h = setup();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    ok(
        &h,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "app"),
            ("AssumeRolePolicyDocument", trust),
        ],
    );
    ok(
        &h,
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "Tables"),
            ("PolicyDocument", &allow("dynamodb:GetItem", "*")),
        ],
    );
    ok(
        &h,
        &[
            ("Action", "AttachRolePolicy"),
            ("RoleName", "app"),
            ("PolicyArn", "arn:aws:iam::111111111111:policy/Tables"),
        ],
    );
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", "arn:aws:iam::111111111111:role/app"),
            ("ActionNames.member.1", "dynamodb:GetItem"),
        ],
    );
    assert_eq!(fields(&r.body, "EvalDecision"), ["allowed"], "{}", r.body);
    assert_eq!(field(&r.body, "SourcePolicyId"), Some("Tables"));
    assert_eq!(field(&r.body, "SourcePolicyType"), Some("user-managed"));
}

#[test]
fn context_entries_satisfy_conditions_and_missing_ones_are_named() {
    let h = setup();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"home/"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    let base = [
        ("Action", "SimulateCustomPolicy"),
        ("PolicyInputList.member.1", policy),
        ("ActionNames.member.1", "s3:ListBucket"),
    ];
    let r = h.iam(&Harness::root(A), &base);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(field(&r.body, "EvalDecision"), Some("implicitDeny"));
    assert_eq!(
        fields(&r.body, "MissingContextValues")
            .first()
            .map(|m| m.contains("<member>s3:prefix</member>") && m.contains("aws:SourceIp")),
        Some(true),
        "{}",
        r.body
    );
    let mut with = base.to_vec();
    with.extend_from_slice(&[
        ("ContextEntries.member.1.ContextKeyName", "s3:prefix"),
        ("ContextEntries.member.1.ContextKeyType", "string"),
        ("ContextEntries.member.1.ContextKeyValues.member.1", "home/"),
        ("ContextEntries.member.2.ContextKeyName", "aws:SourceIp"),
        ("ContextEntries.member.2.ContextKeyType", "ip"),
        (
            "ContextEntries.member.2.ContextKeyValues.member.1",
            "10.1.2.3",
        ),
    ]);
    let r = h.iam(&Harness::root(A), &with);
    assert_eq!(
        field(&r.body, "EvalDecision"),
        Some("allowed"),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("<MissingContextValues></MissingContextValues>"));
    // A value that is not of its declared type is refused.
    let mut bad = base.to_vec();
    bad.extend_from_slice(&[
        ("ContextEntries.member.1.ContextKeyName", "aws:SourceIp"),
        ("ContextEntries.member.1.ContextKeyType", "ip"),
        (
            "ContextEntries.member.1.ContextKeyValues.member.1",
            "not-an-ip",
        ),
    ]);
    let r = h.iam(&Harness::root(A), &bad);
    assert_eq!(r.status, 400);
    assert_eq!(field(&r.body, "Code"), Some("InvalidInput"));
}

#[test]
fn caller_arn_sets_the_principal_keys() {
    let h = setup();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}]}"#;
    let r = h.iam(
        &Harness::root(A),
        &[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", policy),
            ("ActionNames.member.1", "s3:GetObject"),
            ("CallerArn", ALICE),
        ],
    );
    assert_eq!(
        field(&r.body, "EvalDecision"),
        Some("allowed"),
        "{}",
        r.body
    );
    let r = h.iam(
        &Harness::root(A),
        &[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", policy),
            ("ActionNames.member.1", "s3:GetObject"),
            ("CallerArn", "arn:aws:iam::111111111111:role/app"),
        ],
    );
    assert_eq!(field(&r.body, "Code"), Some("InvalidInput"), "{}", r.body);
}

#[test]
fn resource_policy_cross_account_needs_both_sides() {
    let h = setup();
    let bucket_policy = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}}]}}"#
        )
    };
    let granted = bucket_policy(ALICE);
    let other = bucket_policy("arn:aws:iam::111111111111:user/someone");
    let run = |policy: &str| {
        simulate(
            &h,
            &[
                ("PolicySourceArn", ALICE),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ResourceArns.member.1", "arn:aws:s3:::shared/k"),
                ("ResourcePolicy", policy),
                ("ResourceOwner", "arn:aws:iam::222222222222:root"),
            ],
        )
    };
    let r = run(&granted);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(field(&r.body, "EvalDecision"), Some("allowed"));
    assert!(r
        .body
        .contains("<key>Resource Policy</key><value>allowed</value>"));
    assert!(r
        .body
        .contains("<SourcePolicyType>resource</SourcePolicyType>"));
    let r = run(&other);
    assert_eq!(field(&r.body, "EvalDecision"), Some("implicitDeny"));
    assert!(r
        .body
        .contains("<key>IAM Policy</key><value>allowed</value>"));
    assert!(r
        .body
        .contains("<key>Resource Policy</key><value>implicitDeny</value>"));
    // Same account, the resource policy alone grants a user without identity permissions.
    ok(&h, &[("Action", "CreateUser"), ("UserName", "carol")]);
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", "arn:aws:iam::111111111111:user/carol"),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ResourceArns.member.1", "arn:aws:s3:::shared/k"),
            (
                "ResourcePolicy",
                &bucket_policy("arn:aws:iam::111111111111:user/carol"),
            ),
        ],
    );
    assert_eq!(
        field(&r.body, "EvalDecision"),
        Some("allowed"),
        "{}",
        r.body
    );
    assert_eq!(field(&r.body, "SourcePolicyId"), Some("ResourcePolicy"));
}

#[test]
fn statement_positions_are_line_and_column_of_the_braces() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:Delete*\",\n      \"Resource\": \"*\",\n      \"Condition\": {\"Bool\": {\"aws:x\": \"true\"}}\n    }\n  ]\n}";
    assert_eq!(
        statement_spans(text),
        [
            Span {
                start: (4, 5),
                end: (4, 58)
            },
            Span {
                start: (5, 5),
                end: (10, 5)
            }
        ]
    );
    let single =
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Version":"2012-10-17"}"#;
    assert_eq!(
        statement_spans(single),
        [Span {
            start: (1, 14),
            end: (1, 62)
        }]
    );
    // Through the API: the matched statement's place.
    let h = Harness::new();
    let r = h.iam(
        &Harness::root(A),
        &[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", text),
            ("ActionNames.member.1", "s3:DeleteObject"),
        ],
    );
    assert_eq!(
        field(&r.body, "EvalDecision"),
        Some("allowed"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("<StartPosition><Line>4</Line><Column>5</Column></StartPosition><EndPosition><Line>4</Line><Column>58</Column></EndPosition>"),
        "{}",
        r.body
    );
}

#[test]
fn pagination_with_max_items_and_marker() {
    let h = setup();
    let mut p = vec![("PolicySourceArn", ALICE)];
    let names = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
    let keys = [
        "ActionNames.member.1",
        "ActionNames.member.2",
        "ActionNames.member.3",
    ];
    p.extend(keys.iter().copied().zip(names.iter().copied()));
    let mut first = p.clone();
    first.push(("MaxItems", "2"));
    let r = simulate(&h, &first);
    assert_eq!(fields(&r.body, "EvalActionName"), names[..2]);
    assert_eq!(field(&r.body, "IsTruncated"), Some("true"));
    let marker = field(&r.body, "Marker").expect("marker").to_owned();
    let mut second = p.clone();
    second.push(("MaxItems", "2"));
    second.push(("Marker", &marker));
    let r = simulate(&h, &second);
    assert_eq!(fields(&r.body, "EvalActionName"), names[2..]);
    assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
}

#[test]
fn errors() {
    let h = setup();
    let code = |r: &crate::dispatch::QueryResponse| field(&r.body, "Code").unwrap_or("").to_owned();
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", "arn:aws:iam::111111111111:user/nobody"),
            ("ActionNames.member.1", "s3:GetObject"),
        ],
    );
    assert_eq!((r.status, code(&r)), (404, "NoSuchEntity".into()));
    assert_eq!(
        field(&r.body, "Message"),
        Some("The user with name nobody cannot be found.")
    );
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", "arn:aws:s3:::some-bucket-name"),
            ("ActionNames.member.1", "s3:GetObject"),
        ],
    );
    assert_eq!((r.status, code(&r)), (400, "InvalidInput".into()));
    assert_eq!(
        field(&r.body, "Message"),
        Some("Invalid Entity Arn: arn:aws:s3:::some-bucket-name")
    );
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", ALICE),
            ("ActionNames.member.1", "s3:GetObject"),
            ("PolicyInputList.member.1", r#"{"Version":"2012-10-17"}"#),
        ],
    );
    assert_eq!(code(&r), "MalformedPolicyDocument", "{}", r.body);
    let r = simulate(&h, &[("PolicySourceArn", ALICE)]);
    assert_eq!(code(&r), "MissingParameter");
    let r = h.iam(
        &Harness::root(A),
        &[
            ("Action", "SimulateCustomPolicy"),
            ("ActionNames.member.1", "s3:GetObject"),
        ],
    );
    assert_eq!(code(&r), "MissingParameter");
}

#[test]
fn authorization_of_the_simulator_itself() {
    let h = setup();
    ok(&h, &[("Action", "CreateUser"), ("UserName", "auditor")]);
    let auditor = h.user(A, "auditor");
    let params = [
        ("Action", "SimulatePrincipalPolicy"),
        ("PolicySourceArn", ALICE),
        ("ActionNames.member.1", "s3:GetObject"),
    ];
    let r = h.iam(&auditor, &params);
    assert_eq!(
        (r.status, field(&r.body, "Code")),
        (403, Some("AccessDenied"))
    );
    ok(
        &h,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "auditor"),
            ("PolicyName", "sim"),
            (
                "PolicyDocument",
                &allow("iam:SimulatePrincipalPolicy", ALICE),
            ),
        ],
    );
    let r = h.iam(&auditor, &params);
    assert_eq!(r.status, 200, "{}", r.body);
    // The permission names one principal only.
    let mut other = params.to_vec();
    other[1] = ("PolicySourceArn", "arn:aws:iam::111111111111:user/auditor");
    assert_eq!(h.iam(&auditor, &other).status, 403);
    let custom = [
        ("Action", "SimulateCustomPolicy"),
        ("PolicyInputList.member.1", &allow("s3:*", "*") as &str),
        ("ActionNames.member.1", "s3:GetObject"),
    ];
    assert_eq!(h.iam(&auditor, &custom).status, 403);
}

#[test]
fn context_keys_of_principal_and_custom_policies() {
    let h = setup();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1","s3:prefix":"a"}}}]}"#;
    let r = h.iam(
        &Harness::root(A),
        &[
            ("Action", "GetContextKeysForCustomPolicy"),
            ("PolicyInputList.member.1", policy),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        fields(&r.body, "member"),
        ["aws:RequestedRegion", "s3:prefix"]
    );
    let r = h.iam(
        &Harness::root(A),
        &[
            ("Action", "GetContextKeysForPrincipalPolicy"),
            ("PolicySourceArn", ALICE),
            ("PolicyInputList.member.1", policy),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        fields(&r.body, "member"),
        ["aws:RequestedRegion", "s3:prefix"]
    );
}

#[test]
fn principal_tags_of_the_source_are_in_the_context() {
    let h = setup();
    ok(
        &h,
        &[
            ("Action", "TagUser"),
            ("UserName", "alice"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
        ],
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}]}"#;
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", ALICE),
            ("ActionNames.member.1", "sqs:SendMessage"),
            ("PolicyInputList.member.1", policy),
        ],
    );
    assert_eq!(
        field(&r.body, "EvalDecision"),
        Some("allowed"),
        "{}",
        r.body
    );
    // A context entry overrides what the principal carries.
    let r = simulate(
        &h,
        &[
            ("PolicySourceArn", ALICE),
            ("ActionNames.member.1", "sqs:SendMessage"),
            ("PolicyInputList.member.1", policy),
            (
                "ContextEntries.member.1.ContextKeyName",
                "aws:PrincipalTag/team",
            ),
            ("ContextEntries.member.1.ContextKeyType", "string"),
            ("ContextEntries.member.1.ContextKeyValues.member.1", "blue"),
        ],
    );
    assert_eq!(
        field(&r.body, "EvalDecision"),
        Some("implicitDeny"),
        "{}",
        r.body
    );
}
