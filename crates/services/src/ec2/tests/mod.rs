//! EC2 through the ec2Query dispatcher: every operation and error, the state machine, filters
//! and pagination, instance profiles with iam:PassRole, UnauthorizedOperation with its encoded
//! message decoded by STS, DryRun, and condition keys. Shared helpers here, one file per
//! group of operations.
#![allow(clippy::unwrap_used)]

mod authorization;
mod describe;
mod instances;
mod profiles;
mod robustness;

use crate::dispatch::{query, QueryResponse, QueryService};
use crate::protocol::Params;
use crate::testing::{field, fields, Harness, NOW};
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::ec2::{HttpTokens, InstanceState};
use rolegate_core::Caller;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn ec2(h: &Harness, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
    ec2_in(h, "us-east-1", caller, params)
}

fn ec2_in(h: &Harness, region: &str, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
    let params = Params::from_pairs(params.iter().copied());
    let facts = RequestFacts {
        source_ip: "127.0.0.1",
        secure_transport: false,
        region,
        now: NOW,
    };
    query(&h.state, QueryService::Ec2, caller, facts, &params, "rid")
}

fn ok(r: &QueryResponse) {
    assert_eq!(r.status, 200, "{}", r.body);
}

fn err(r: &QueryResponse, status: u16, code: &str) {
    assert_eq!(
        (r.status, field(&r.body, "Code").unwrap_or("")),
        (status, code),
        "{}",
        r.body
    );
}

/// The error message, XML entities decoded.
fn message(r: &QueryResponse) -> String {
    field(&r.body, "Message")
        .unwrap_or("")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn user(h: &Harness, account: &str, name: &str, policy: &str) -> Caller {
    let root = Harness::root(account);
    ok(&h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)]));
    if !policy.is_empty() {
        ok(&h.iam(
            &root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", name),
                ("PolicyName", "p"),
                ("PolicyDocument", policy),
            ],
        ));
    }
    h.user(account, name)
}

fn allow(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// Runs `count` instances as `caller`; returns their ids.
fn run(h: &Harness, caller: &Caller, count: &str, extra: &[(&str, &str)]) -> Vec<String> {
    let mut p = vec![
        ("Action", "RunInstances"),
        ("ImageId", "ami-0abcdef1234567890"),
        ("InstanceType", "t3.micro"),
        ("MinCount", count),
        ("MaxCount", count),
    ];
    p.extend_from_slice(extra);
    let r = ec2(h, caller, &p);
    ok(&r);
    fields(&r.body, "instanceId")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Role `name` trusting EC2, in instance profile `name`, in account A.
fn profile(h: &Harness, name: &str) -> String {
    let root = Harness::root(A);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    ok(&h.iam(
        &root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", trust),
        ],
    ));
    let r = h.iam(
        &root,
        &[
            ("Action", "CreateInstanceProfile"),
            ("InstanceProfileName", name),
        ],
    );
    ok(&r);
    ok(&h.iam(
        &root,
        &[
            ("Action", "AddRoleToInstanceProfile"),
            ("InstanceProfileName", name),
            ("RoleName", name),
        ],
    ));
    field(&r.body, "Arn").unwrap().to_owned()
}
