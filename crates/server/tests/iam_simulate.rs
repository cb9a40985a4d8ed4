//! The IAM policy simulator over real HTTP: SimulatePrincipalPolicy and SimulateCustomPolicy
//! with the AWS SDK for Rust (decisions, matched statements and their positions, resource
//! policies across accounts, context entries, pagination, errors, its own authorization), the
//! context-key operations, and one `aws iam simulate-principal-policy` with the AWS CLI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};
use common::{allow_user, err_code, policy_doc, user_with_key, Server};

const A: &str = "111111111111";
const ALICE: &str = "arn:aws:iam::111111111111:user/alice";

/// `alice` may read bucket `data`, and is in group `ops`, which denies deleting anything.
async fn setup(iam: &aws_sdk_iam::Client) {
    iam.create_user().user_name("alice").send().await.unwrap();
    allow_user(
        iam,
        "alice",
        "reads",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}"#,
    )
    .await;
    iam.create_group().group_name("ops").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("ops")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("ops")
        .policy_name("no-deletes")
        .policy_document(policy_doc(
            r#"{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn principal_policy_decisions_and_matched_statements() {
    let server = Server::start();
    let iam = server.root_iam(A);
    setup(&iam).await;
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(ALICE)
        .action_names("s3:GetObject")
        .action_names("s3:DeleteObject")
        .action_names("s3:PutObject")
        .resource_arns("arn:aws:s3:::data/report.csv")
        .send()
        .await
        .unwrap();
    let results = out.evaluation_results();
    let decisions: Vec<_> = results.iter().map(|r| r.eval_decision().clone()).collect();
    assert_eq!(
        decisions,
        [
            PolicyEvaluationDecisionType::Allowed,
            PolicyEvaluationDecisionType::ExplicitDeny,
            PolicyEvaluationDecisionType::ImplicitDeny
        ]
    );
    let get = &results[0];
    assert_eq!(get.eval_action_name(), "s3:GetObject");
    assert_eq!(
        get.eval_resource_name(),
        Some("arn:aws:s3:::data/report.csv")
    );
    let m = &get.matched_statements()[0];
    assert_eq!(m.source_policy_id(), Some("reads"));
    assert_eq!(m.source_policy_type().map(|t| t.as_str()), Some("user"));
    // policy_doc puts the statement at column 38 of line 1: `{"Version":"2012-10-17","Statement":[{`.
    let start = m.start_position().unwrap();
    assert_eq!((start.line(), start.column()), (1, 38));
    let end = m.end_position().unwrap();
    let doc = policy_doc(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}"#,
    );
    assert_eq!((end.line(), end.column()), (1, doc.len() as i32 - 2));
    let deny = &results[1];
    assert_eq!(
        deny.matched_statements()[0].source_policy_id(),
        Some("no-deletes")
    );
    assert_eq!(
        deny.matched_statements()[0]
            .source_policy_type()
            .map(|t| t.as_str()),
        Some("group")
    );
    let specific = deny.resource_specific_results();
    assert_eq!(specific.len(), 1);
    assert_eq!(
        specific[0].eval_resource_name(),
        "arn:aws:s3:::data/report.csv"
    );
    assert_eq!(
        specific[0].eval_resource_decision(),
        &PolicyEvaluationDecisionType::ExplicitDeny
    );
    assert_eq!(
        get.organizations_decision_detail()
            .map(|o| o.allowed_by_organizations()),
        Some(true)
    );

    // The group alone: its deny, and nothing of alice's own policy.
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn("arn:aws:iam::111111111111:group/ops")
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.evaluation_results()[0].eval_decision(),
        &PolicyEvaluationDecisionType::ImplicitDeny
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_policy_across_accounts_with_caller_arn() {
    let server = Server::start();
    let iam = server.root_iam(A);
    setup(&iam).await;
    let bucket_policy = |who: &str| {
        policy_doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{who}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}}"#
        ))
    };
    let simulate = |policy: String| {
        iam.simulate_custom_policy()
            .policy_input_list(policy_doc(
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
            ))
            .action_names("s3:GetObject")
            .resource_arns("arn:aws:s3:::data/x")
            .resource_policy(policy)
            .resource_owner("arn:aws:iam::222222222222:root")
            .caller_arn(ALICE)
            .send()
    };
    let out = simulate(bucket_policy(ALICE)).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_decision(), &PolicyEvaluationDecisionType::Allowed);
    let details = r.eval_decision_details().unwrap();
    assert_eq!(
        details.get("Resource Policy"),
        Some(&PolicyEvaluationDecisionType::Allowed)
    );
    assert!(r
        .matched_statements()
        .iter()
        .any(|m| m.source_policy_type().map(|t| t.as_str()) == Some("resource")));

    // The bucket policy names someone else: the other account does not allow.
    let out = simulate(bucket_policy("arn:aws:iam::111111111111:user/bob"))
        .await
        .unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(
        r.eval_decision(),
        &PolicyEvaluationDecisionType::ImplicitDeny
    );
    let details = r.eval_decision_details().unwrap();
    assert_eq!(
        details.get("IAM Policy"),
        Some(&PolicyEvaluationDecisionType::Allowed)
    );
    assert_eq!(
        details.get("Resource Policy"),
        Some(&PolicyEvaluationDecisionType::ImplicitDeny)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn context_entries_missing_values_and_pagination() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let conditional = policy_doc(
        r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#,
    );
    let base = || {
        iam.simulate_custom_policy()
            .policy_input_list(conditional.clone())
            .action_names("ec2:RunInstances")
            .action_names("ec2:StopInstances")
            .action_names("ec2:StartInstances")
    };
    let out = base().send().await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(
        r.eval_decision(),
        &PolicyEvaluationDecisionType::ImplicitDeny
    );
    assert_eq!(
        r.missing_context_values(),
        ["aws:RequestedRegion", "aws:MultiFactorAuthPresent"]
    );
    let entry = |name: &str, ty: ContextKeyTypeEnum, value: &str| {
        ContextEntry::builder()
            .context_key_name(name)
            .context_key_type(ty)
            .context_key_values(value)
            .build()
    };
    let out = base()
        .context_entries(entry(
            "aws:RequestedRegion",
            ContextKeyTypeEnum::String,
            "eu-west-1",
        ))
        .context_entries(entry(
            "aws:MultiFactorAuthPresent",
            ContextKeyTypeEnum::Boolean,
            "true",
        ))
        .max_items(2)
        .send()
        .await
        .unwrap();
    assert!(out.is_truncated());
    assert_eq!(out.evaluation_results().len(), 2);
    assert!(out.evaluation_results().iter().all(|r| r.eval_decision()
        == &PolicyEvaluationDecisionType::Allowed
        && r.missing_context_values().is_empty()));
    let rest = base()
        .context_entries(entry(
            "aws:RequestedRegion",
            ContextKeyTypeEnum::String,
            "us-east-1",
        ))
        .max_items(2)
        .marker(out.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.is_truncated());
    assert_eq!(
        rest.evaluation_results()[0].eval_action_name(),
        "ec2:StartInstances"
    );
    assert_eq!(
        rest.evaluation_results()[0].eval_decision(),
        &PolicyEvaluationDecisionType::ImplicitDeny
    );

    let keys = iam
        .get_context_keys_for_custom_policy()
        .policy_input_list(conditional.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.context_key_names(),
        ["aws:RequestedRegion", "aws:MultiFactorAuthPresent"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_and_the_simulators_own_authorization() {
    let server = Server::start();
    let iam = server.root_iam(A);
    setup(&iam).await;
    let e = iam
        .simulate_principal_policy()
        .policy_source_arn("arn:aws:iam::111111111111:user/ghost")
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "NoSuchEntity".into(),
            "The user with name ghost cannot be found.".into()
        )
    );
    let e = iam
        .simulate_principal_policy()
        .policy_source_arn("arn:aws:s3:::a-bucket-not-an-entity")
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "InvalidInput".into(),
            "Invalid Entity Arn: arn:aws:s3:::a-bucket-not-an-entity".into()
        )
    );
    let e = iam
        .simulate_custom_policy()
        .policy_input_list(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#)
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "MalformedPolicyDocument");

    // A user may simulate only what it is allowed to.
    let keys = user_with_key(&iam, "auditor").await;
    let auditor = server.iam_of(&keys);
    let e = auditor
        .simulate_principal_policy()
        .policy_source_arn(ALICE)
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "AccessDenied".into(),
            "User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::111111111111:user/alice because no identity-based policy allows the iam:SimulatePrincipalPolicy action".into()
        )
    );
    allow_user(
        &iam,
        "auditor",
        "simulate",
        r#"{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111111111111:user/alice"}"#,
    )
    .await;
    let out = auditor
        .simulate_principal_policy()
        .policy_source_arn(ALICE)
        .action_names("s3:GetObject")
        .resource_arns("arn:aws:s3:::data/x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.evaluation_results()[0].eval_decision(),
        &PolicyEvaluationDecisionType::Allowed
    );
    let e = auditor
        .simulate_custom_policy()
        .policy_input_list(policy_doc(
            r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
        ))
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");
}

/// The AWS CLI answers the same question: `aws iam simulate-principal-policy`.
#[tokio::test(flavor = "multi_thread")]
async fn aws_cli_simulate_principal_policy() {
    let version = std::process::Command::new("aws").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "the AWS CLI is not installed (./test.sh installs it with pip)"
    );
    let server = Server::start();
    let iam = server.root_iam(A);
    setup(&iam).await;
    let out = std::process::Command::new("aws")
        .args([
            "iam",
            "simulate-principal-policy",
            "--policy-source-arn",
            ALICE,
            "--action-names",
            "s3:GetObject",
            "s3:DeleteObject",
            "--resource-arns",
            "arn:aws:s3:::data/a",
            "--output",
            "json",
            "--region",
            "us-east-1",
        ])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", A)
        .env("AWS_SECRET_ACCESS_KEY", "anything")
        .output()
        .expect("aws");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["EvaluationResults"].as_array().unwrap();
    assert_eq!(results[0]["EvalActionName"], "s3:GetObject");
    assert_eq!(results[0]["EvalDecision"], "allowed");
    assert_eq!(
        results[0]["MatchedStatements"][0]["SourcePolicyId"],
        "reads"
    );
    assert_eq!(results[1]["EvalDecision"], "explicitDeny");
    assert_eq!(
        results[1]["ResourceSpecificResults"][0]["EvalResourceName"],
        "arn:aws:s3:::data/a"
    );
}
