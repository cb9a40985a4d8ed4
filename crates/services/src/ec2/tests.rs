//! EC2 through the ec2Query dispatcher: every operation and error, the state machine, filters
//! and pagination, instance profiles with iam:PassRole, UnauthorizedOperation with its encoded
//! message decoded by STS, DryRun, and condition keys.
#![allow(clippy::unwrap_used)]

use crate::dispatch::{query, QueryResponse, QueryService};
use crate::protocol::Params;
use crate::testing::{field, fields, Harness, NOW};
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::ec2::{find_instance, HttpTokens, InstanceState};
use rolegate_core::Caller;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn ec2(h: &Harness, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
    ec2_in(h, "us-east-1", caller, params)
}

fn ec2_in(h: &Harness, region: &str, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
    let params = Params::from_pairs(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
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

#[test]
fn run_describe_and_the_state_machine() {
    let h = Harness::new();
    let root = Harness::root(A);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "RunInstances"),
            ("ImageId", "ami-12345678"),
            ("InstanceType", "t3.micro"),
            ("MinCount", "2"),
            ("MaxCount", "3"),
            ("KeyName", "k"),
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Name"),
            ("TagSpecification.1.Tag.1.Value", "web"),
            ("MetadataOptions.HttpTokens", "required"),
            ("MetadataOptions.HttpPutResponseHopLimit", "2"),
        ],
    );
    ok(&r);
    assert!(r.body.starts_with("<?xml"));
    assert!(r.body.contains("<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>rid</requestId><reservationId>r-"));
    assert_eq!(field(&r.body, "ownerId"), Some(A));
    let ids: Vec<String> = fields(&r.body, "instanceId")
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(r
        .body
        .contains("<instanceState><code>0</code><name>pending</name></instanceState>"));
    assert_eq!(fields(&r.body, "amiLaunchIndex"), vec!["0", "1", "2"]);

    // Stored running, with everything the launch said.
    let snap = h.state.catalog.snapshot();
    let (acct, i) = find_instance(&snap, &ids[0]).unwrap();
    assert_eq!(acct.id, A);
    assert_eq!(i.state, InstanceState::Running);
    assert_eq!(i.metadata.http_tokens, HttpTokens::Required);
    assert_eq!(i.metadata.hop_limit, 2);
    assert_eq!(i.availability_zone, "us-east-1a");
    assert_eq!(i.tag("Name"), Some("web"));
    assert!(i.private_dns.ends_with(".ec2.internal"));

    let d = ec2(
        &h,
        &root,
        &[("Action", "DescribeInstances"), ("InstanceId.1", &ids[1])],
    );
    ok(&d);
    assert!(d
        .body
        .contains("<instanceState><code>16</code><name>running</name></instanceState>"));
    assert!(d
        .body
        .contains("<tagSet><item><key>Name</key><value>web</value></item></tagSet>"));
    assert!(d.body.contains("<httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint>"));
    assert_eq!(field(&d.body, "keyName"), Some("k"));

    // Stop: stopping reported, stopped stored; stopping again is a no-op.
    let s = ec2(
        &h,
        &root,
        &[("Action", "StopInstances"), ("InstanceId.1", &ids[0])],
    );
    ok(&s);
    assert!(s.body.contains(&format!("<instancesSet><item><instanceId>{}</instanceId><currentState><code>64</code><name>stopping</name></currentState><previousState><code>16</code><name>running</name></previousState></item></instancesSet>", ids[0])));
    let s = ec2(
        &h,
        &root,
        &[("Action", "StopInstances"), ("InstanceId.1", &ids[0])],
    );
    assert!(s.body.contains("<currentState><code>80</code><name>stopped</name></currentState><previousState><code>80</code><name>stopped</name>"));
    let d = ec2(
        &h,
        &root,
        &[("Action", "DescribeInstances"), ("InstanceId.1", &ids[0])],
    );
    assert!(d.body.contains("<name>stopped</name>"));
    assert!(field(&d.body, "reason")
        .unwrap()
        .starts_with("User initiated ("));
    // Start: pending reported, running stored.
    let s = ec2(
        &h,
        &root,
        &[("Action", "StartInstances"), ("InstanceId.1", &ids[0])],
    );
    assert!(s.body.contains("<currentState><code>0</code><name>pending</name></currentState><previousState><code>80</code><name>stopped</name>"));
    // Terminate two at once; terminated stays visible; a terminated instance cannot start.
    let t = ec2(
        &h,
        &root,
        &[
            ("Action", "TerminateInstances"),
            ("InstanceId.1", &ids[0]),
            ("InstanceId.2", &ids[1]),
        ],
    );
    ok(&t);
    assert_eq!(fields(&t.body, "currentState").len(), 2);
    assert!(t.body.contains("<currentState><code>32</code><name>shutting-down</name></currentState><previousState><code>16</code><name>running</name>"));
    let d = ec2(
        &h,
        &root,
        &[("Action", "DescribeInstances"), ("InstanceId.1", &ids[0])],
    );
    assert!(d.body.contains("<code>48</code><name>terminated</name>"));
    let s = ec2(
        &h,
        &root,
        &[("Action", "StartInstances"), ("InstanceId.1", &ids[0])],
    );
    err(&s, 400, "IncorrectInstanceState");
    assert_eq!(
        message(&s),
        format!(
            "The instance '{}' is not in a state from which it can be started.",
            ids[0]
        )
    );
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "StopInstances"), ("InstanceId.1", &ids[1])],
        ),
        400,
        "IncorrectInstanceState",
    );
    // A failed multi-instance call changes nothing.
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "StopInstances"),
                ("InstanceId.1", &ids[2]),
                ("InstanceId.2", &ids[1]),
            ],
        ),
        400,
        "IncorrectInstanceState",
    );
    let snap = h.state.catalog.snapshot();
    assert_eq!(
        find_instance(&snap, &ids[2]).unwrap().1.state,
        InstanceState::Running
    );
}

#[test]
fn request_errors() {
    let h = Harness::new();
    let root = Harness::root(A);
    let ids = run(&h, &root, "1", &[]);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("InstanceId.1", "i-0123456789abcdef0"),
        ],
    );
    err(&r, 400, "InvalidInstanceID.NotFound");
    assert_eq!(
        message(&r),
        "The instance ID 'i-0123456789abcdef0' does not exist"
    );
    assert!(r
        .body
        .contains("<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"));
    assert!(r.body.contains("<RequestID>rid</RequestID>"));
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "StopInstances"),
            ("InstanceId.1", "i-0123456789abcdef0"),
            ("InstanceId.2", "i-0123456789abcdef1"),
        ],
    );
    assert_eq!(
        message(&r),
        "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"
    );
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "TerminateInstances"), ("InstanceId.1", "bogus")],
        ),
        400,
        "InvalidInstanceID.Malformed",
    );
    err(
        &ec2(&h, &root, &[("Action", "TerminateInstances")]),
        400,
        "MissingParameter",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
            ],
        ),
        400,
        "MissingParameter",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "img"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
            ],
        ),
        400,
        "InvalidAMIID.Malformed",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "0"),
                ("MaxCount", "1"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "2"),
                ("MaxCount", "1"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "x"),
                ("MaxCount", "1"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("InstanceType", "huge"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("MetadataOptions.HttpTokens", "sometimes"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "100"),
                ("MaxCount", "100"),
            ],
        ),
        400,
        "InstanceLimitExceeded",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("TagSpecification.1.ResourceType", "instance"),
                ("TagSpecification.1.Tag.1.Key", "aws:x"),
                ("TagSpecification.1.Tag.1.Value", "v"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("TagSpecification.1.ResourceType", "bucket"),
                ("TagSpecification.1.Tag.1.Key", "k"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("IamInstanceProfile.Name", "nope"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "ModifyInstanceMetadataOptions"),
                ("InstanceId", &ids[0]),
                ("HttpPutResponseHopLimit", "65"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "DescribeInstances"),
                ("Filter.1.Name", "colour"),
                ("Filter.1.Value.1", "x"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "DescribeInstances"), ("DryRun", "perhaps")],
        ),
        400,
        "InvalidParameterValue",
    );
    let r = ec2(&h, &root, &[("Action", "LaunchRocket")]);
    err(&r, 400, "InvalidAction");
    assert_eq!(
        field(&r.body, "Message"),
        Some("The action LaunchRocket is not valid for this web service.")
    );
    // Instances are regional.
    let r = ec2_in(
        &h,
        "eu-west-1",
        &root,
        &[("Action", "DescribeInstances"), ("InstanceId.1", &ids[0])],
    );
    err(&r, 400, "InvalidInstanceID.NotFound");
    let r = ec2_in(&h, "eu-west-1", &root, &[("Action", "DescribeInstances")]);
    ok(&r);
    assert!(r.body.contains("<reservationSet></reservationSet>"));
    // Another account sees none of them.
    err(
        &ec2(
            &h,
            &Harness::root(B),
            &[("Action", "TerminateInstances"), ("InstanceId.1", &ids[0])],
        ),
        400,
        "InvalidInstanceID.NotFound",
    );
    // ClientToken makes a launch idempotent.
    let a = run(&h, &root, "1", &[("ClientToken", "tok-1")]);
    let b = run(&h, &root, "1", &[("ClientToken", "tok-1")]);
    assert_eq!(a, b);
}

#[test]
fn filters_and_pagination() {
    let h = Harness::new();
    let root = Harness::root(A);
    let prod = run(
        &h,
        &root,
        "3",
        &[
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Env"),
            ("TagSpecification.1.Tag.1.Value", "prod-eu"),
        ],
    );
    let dev = run(
        &h,
        &root,
        "4",
        &[
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Env"),
            ("TagSpecification.1.Tag.1.Value", "dev"),
        ],
    );
    let plain = run(&h, &root, "1", &[]);
    ok(&ec2(
        &h,
        &root,
        &[("Action", "StopInstances"), ("InstanceId.1", &dev[0])],
    ));
    let ids = |r: &QueryResponse| -> Vec<String> {
        let mut v: Vec<String> = fields(&r.body, "instanceId")
            .into_iter()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    let sorted = |v: &[String]| -> Vec<String> {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("Filter.1.Name", "tag:Env"),
            ("Filter.1.Value.1", "prod-*"),
        ],
    );
    assert_eq!(ids(&r), sorted(&prod));
    // Reservations group the instances of one launch.
    assert_eq!(fields(&r.body, "reservationId").len(), 1);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("Filter.1.Name", "tag-key"),
            ("Filter.1.Value.1", "Env"),
        ],
    );
    assert_eq!(ids(&r).len(), 7);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("Filter.1.Name", "instance-state-name"),
            ("Filter.1.Value.1", "stopped"),
        ],
    );
    assert_eq!(ids(&r), vec![dev[0].clone()]);
    // Values of one filter are ORed, filters are ANDed.
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("Filter.1.Name", "tag:Env"),
            ("Filter.1.Value.1", "dev"),
            ("Filter.1.Value.2", "prod-eu"),
            ("Filter.2.Name", "instance-state-name"),
            ("Filter.2.Value.1", "running"),
        ],
    );
    assert_eq!(ids(&r).len(), 6);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("Filter.1.Name", "instance-id"),
            ("Filter.1.Value.1", &plain[0]),
        ],
    );
    assert_eq!(ids(&r), plain);
    // Pages of 5 then 3, each instance once.
    let r = ec2(
        &h,
        &root,
        &[("Action", "DescribeInstances"), ("MaxResults", "5")],
    );
    let first = ids(&r);
    assert_eq!(first.len(), 5);
    let token = field(&r.body, "nextToken").unwrap().to_owned();
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("MaxResults", "5"),
            ("NextToken", &token),
        ],
    );
    let second = ids(&r);
    assert_eq!(second.len(), 3);
    assert!(field(&r.body, "nextToken").is_none());
    let mut all = [first, second].concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 8);
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "DescribeInstances"), ("MaxResults", "4")],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "DescribeInstances"),
                ("MaxResults", "5"),
                ("InstanceId.1", &plain[0]),
            ],
        ),
        400,
        "InvalidParameterCombination",
    );
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "DescribeInstances"), ("NextToken", "!!")],
        ),
        400,
        "InvalidParameterValue",
    );
}

#[test]
fn tags_operations() {
    let h = Harness::new();
    let root = Harness::root(A);
    let ids = run(&h, &root, "2", &[]);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "CreateTags"),
            ("ResourceId.1", &ids[0]),
            ("ResourceId.2", &ids[1]),
            ("Tag.1.Key", "Team"),
            ("Tag.1.Value", "blue"),
            ("Tag.2.Key", "Cost"),
            ("Tag.2.Value", "1"),
        ],
    );
    ok(&r);
    assert_eq!(field(&r.body, "return"), Some("true"));
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeTags"),
            ("Filter.1.Name", "resource-id"),
            ("Filter.1.Value.1", &ids[0]),
        ],
    );
    assert_eq!(fields(&r.body, "key"), vec!["Cost", "Team"]);
    assert_eq!(
        fields(&r.body, "resourceType"),
        vec!["instance", "instance"]
    );
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeTags"),
            ("Filter.1.Name", "key"),
            ("Filter.1.Value.1", "Team"),
        ],
    );
    assert_eq!(fields(&r.body, "resourceId").len(), 2);
    let r = ec2(
        &h,
        &root,
        &[("Action", "DescribeTags"), ("MaxResults", "5")],
    );
    assert_eq!(fields(&r.body, "key").len(), 4);
    assert!(field(&r.body, "nextToken").is_none());
    // Value-qualified delete only on a match; key-only delete whatever the value.
    ok(&ec2(
        &h,
        &root,
        &[
            ("Action", "DeleteTags"),
            ("ResourceId.1", &ids[0]),
            ("Tag.1.Key", "Team"),
            ("Tag.1.Value", "red"),
        ],
    ));
    ok(&ec2(
        &h,
        &root,
        &[
            ("Action", "DeleteTags"),
            ("ResourceId.1", &ids[0]),
            ("Tag.1.Key", "Cost"),
        ],
    ));
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeTags"),
            ("Filter.1.Name", "resource-id"),
            ("Filter.1.Value.1", &ids[0]),
        ],
    );
    assert_eq!(fields(&r.body, "key"), vec!["Team"]);
    // No tags named: all go.
    ok(&ec2(
        &h,
        &root,
        &[("Action", "DeleteTags"), ("ResourceId.1", &ids[1])],
    ));
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeTags"),
            ("Filter.1.Name", "resource-id"),
            ("Filter.1.Value.1", &ids[1]),
        ],
    );
    assert!(fields(&r.body, "key").is_empty());
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "CreateTags"),
                ("ResourceId.1", &ids[0]),
                ("Tag.1.Key", "aws:cloudformation"),
                ("Tag.1.Value", "x"),
            ],
        ),
        400,
        "InvalidParameterValue",
    );
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "CreateTags"), ("ResourceId.1", &ids[0])],
        ),
        400,
        "MissingParameter",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "CreateTags"),
                ("ResourceId.1", "i-0123456789abcdef0"),
                ("Tag.1.Key", "k"),
            ],
        ),
        400,
        "InvalidInstanceID.NotFound",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "CreateTags"),
                ("ResourceId.1", "vol-1234"),
                ("Tag.1.Key", "k"),
            ],
        ),
        400,
        "InvalidID",
    );
}

#[test]
fn instance_profile_associations() {
    let h = Harness::new();
    let root = Harness::root(A);
    let web = profile(&h, "web");
    let batch = profile(&h, "batch");
    let ids = run(&h, &root, "1", &[("IamInstanceProfile.Name", "web")]);
    let id = &ids[0];
    let snap = h.state.catalog.snapshot();
    let assoc = find_instance(&snap, id)
        .unwrap()
        .1
        .iam_profile
        .clone()
        .unwrap();
    assert_eq!(assoc.role_name, "web");
    assert_eq!(assoc.profile_arn, web);
    assert!(assoc.association_id.starts_with("iip-assoc-"));
    assert!(assoc.profile_id.starts_with("AIPA"));
    let d = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeInstances"),
            ("Filter.1.Name", "iam-instance-profile.arn"),
            ("Filter.1.Value.1", &web),
        ],
    );
    assert!(d.body.contains(&format!(
        "<iamInstanceProfile><arn>{web}</arn><id>{}</id></iamInstanceProfile>",
        assoc.profile_id
    )));

    let r = ec2(
        &h,
        &root,
        &[("Action", "DescribeIamInstanceProfileAssociations")],
    );
    ok(&r);
    assert!(r.body.contains(&format!("<iamInstanceProfileAssociationSet><item><associationId>{}</associationId><instanceId>{id}</instanceId>", assoc.association_id)));
    assert_eq!(field(&r.body, "state"), Some("associated"));
    // One association per instance.
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "AssociateIamInstanceProfile"),
            ("InstanceId", id),
            ("IamInstanceProfile.Name", "batch"),
        ],
    );
    err(&r, 400, "IncorrectState");
    // Replace, by ARN.
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "ReplaceIamInstanceProfileAssociation"),
            ("AssociationId", &assoc.association_id),
            ("IamInstanceProfile.Arn", &batch),
        ],
    );
    ok(&r);
    assert_eq!(field(&r.body, "state"), Some("associating"));
    let new_id = field(&r.body, "associationId").unwrap().to_owned();
    assert_ne!(new_id, assoc.association_id);
    let snap = h.state.catalog.snapshot();
    assert_eq!(
        find_instance(&snap, id)
            .unwrap()
            .1
            .iam_profile
            .as_ref()
            .unwrap()
            .role_name,
        "batch"
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "DisassociateIamInstanceProfile"),
                ("AssociationId", &assoc.association_id),
            ],
        ),
        400,
        "InvalidAssociationID.NotFound",
    );
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DisassociateIamInstanceProfile"),
            ("AssociationId", &new_id),
        ],
    );
    ok(&r);
    assert_eq!(field(&r.body, "state"), Some("disassociating"));
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeIamInstanceProfileAssociations"),
            ("Filter.1.Name", "instance-id"),
            ("Filter.1.Value.1", id),
        ],
    );
    assert!(field(&r.body, "associationId").is_none());
    // Associate afresh by name.
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "AssociateIamInstanceProfile"),
            ("InstanceId", id),
            ("IamInstanceProfile.Name", "web"),
        ],
    );
    ok(&r);
    assert!(r.body.contains(&format!("<arn>{web}</arn>")));
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "DescribeIamInstanceProfileAssociations"),
                ("AssociationId.1", "iip-assoc-0123456789abcdef0"),
            ],
        ),
        400,
        "InvalidAssociationID.NotFound",
    );
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "AssociateIamInstanceProfile"),
                ("InstanceId", id),
                ("IamInstanceProfile.Name", "web"),
                ("IamInstanceProfile.Arn", &web),
            ],
        ),
        400,
        "InvalidParameterCombination",
    );
    // Termination ends the association.
    ok(&ec2(
        &h,
        &root,
        &[("Action", "TerminateInstances"), ("InstanceId.1", id)],
    ));
    let snap = h.state.catalog.snapshot();
    assert!(find_instance(&snap, id).unwrap().1.iam_profile.is_none());
}

#[test]
fn pass_role_is_required_for_profiles() {
    let h = Harness::new();
    profile(&h, "web");
    let ec2_only = user(
        &h,
        A,
        "ops",
        &allow(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"}"#),
    );
    let r = ec2(
        &h,
        &ec2_only,
        &[
            ("Action", "RunInstances"),
            ("ImageId", "ami-12345678"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("IamInstanceProfile.Name", "web"),
        ],
    );
    err(&r, 403, "UnauthorizedOperation");
    let m = field(&r.body, "Message").unwrap();
    assert!(m.starts_with("You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/ops is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111111111111:role/web because no identity-based policy allows the iam:PassRole action. Encoded authorization failure message: "), "{m}");
    // Nothing was launched.
    assert!(h
        .state
        .catalog
        .snapshot()
        .account(A)
        .unwrap()
        .instances
        .is_empty());
    // PassRole for another service does not do; for EC2 it does.
    let other = user(
        &h,
        A,
        "ops2",
        &allow(
            r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}"#,
        ),
    );
    err(
        &ec2(
            &h,
            &other,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("IamInstanceProfile.Name", "web"),
            ],
        ),
        403,
        "UnauthorizedOperation",
    );
    let good = user(
        &h,
        A,
        "ops3",
        &allow(
            r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111111111111:role/web","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}"#,
        ),
    );
    let ids = run(&h, &good, "1", &[("IamInstanceProfile.Name", "web")]);
    // Associating a profile needs it too.
    let snap = h.state.catalog.snapshot();
    let assoc = find_instance(&snap, &ids[0])
        .unwrap()
        .1
        .iam_profile
        .clone()
        .unwrap();
    ok(&ec2(
        &h,
        &good,
        &[
            ("Action", "DisassociateIamInstanceProfile"),
            ("AssociationId", &assoc.association_id),
        ],
    ));
    err(
        &ec2(
            &h,
            &ec2_only,
            &[
                ("Action", "AssociateIamInstanceProfile"),
                ("InstanceId", &ids[0]),
                ("IamInstanceProfile.Name", "web"),
            ],
        ),
        403,
        "UnauthorizedOperation",
    );
    ok(&ec2(
        &h,
        &good,
        &[
            ("Action", "AssociateIamInstanceProfile"),
            ("InstanceId", &ids[0]),
            ("IamInstanceProfile.Name", "web"),
        ],
    ));
}

#[test]
fn unauthorized_operation_decodes_through_sts() {
    let h = Harness::new();
    let nobody = user(&h, A, "nobody", "");
    let decoder = user(
        &h,
        A,
        "decoder",
        &allow(r#"{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}"#),
    );
    let r = ec2(
        &h,
        &nobody,
        &[
            ("Action", "RunInstances"),
            ("ImageId", "ami-12345678"),
            ("InstanceType", "t3.micro"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Team"),
            ("TagSpecification.1.Tag.1.Value", "red"),
        ],
    );
    err(&r, 403, "UnauthorizedOperation");
    let m = field(&r.body, "Message").unwrap();
    let prefix = "You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:111111111111:instance/* because no identity-based policy allows the ec2:RunInstances action. Encoded authorization failure message: ";
    assert!(m.starts_with(prefix), "{m}");
    let blob = &m[prefix.len()..];
    assert!(blob.len() > 100);

    let d = h.sts(
        &decoder,
        &[
            ("Action", "DecodeAuthorizationMessage"),
            ("EncodedMessage", blob),
        ],
    );
    assert_eq!(d.status, 200, "{}", d.body);
    let text = field(&d.body, "DecodedMessage")
        .unwrap()
        .replace("&quot;", "\"");
    assert!(text.starts_with(r#"{"allowed":false,"explicitDeny":false,"matchedStatements":{"items":[]},"failures":{"items":[]},"context":{"principal":{"id":"#), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["context"]["principal"]["arn"],
        "arn:aws:iam::111111111111:user/nobody"
    );
    assert_eq!(v["context"]["principal"]["name"], "nobody");
    assert!(v["context"]["principal"]["id"]
        .as_str()
        .unwrap()
        .starts_with("AIDA"));
    assert_eq!(v["context"]["action"], "ec2:RunInstances");
    assert_eq!(
        v["context"]["resource"],
        "arn:aws:ec2:us-east-1:111111111111:instance/*"
    );
    let conditions = v["context"]["conditions"]["items"].as_array().unwrap();
    let value_of = |k: &str| {
        conditions.iter().find(|c| c["key"] == k).map(|c| {
            c["values"]["items"][0]["value"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    };
    assert_eq!(value_of("ec2:Region").as_deref(), Some("us-east-1"));
    assert_eq!(value_of("ec2:InstanceType").as_deref(), Some("t3.micro"));
    assert_eq!(value_of("aws:RequestTag/Team").as_deref(), Some("red"));
    assert_eq!(value_of("aws:Resource").as_deref(), Some("instance/*"));
    assert_eq!(value_of("aws:Account").as_deref(), Some(A));

    // Decoding needs the permission, the caller's own account, and an untouched message.
    let d = h.sts(
        &nobody,
        &[
            ("Action", "DecodeAuthorizationMessage"),
            ("EncodedMessage", blob),
        ],
    );
    assert_eq!(
        (d.status, field(&d.body, "Code")),
        (403, Some("AccessDenied")),
        "{}",
        d.body
    );
    let d = h.sts(
        &Harness::root(B),
        &[
            ("Action", "DecodeAuthorizationMessage"),
            ("EncodedMessage", blob),
        ],
    );
    assert_eq!(
        (d.status, field(&d.body, "Code")),
        (400, Some("InvalidAuthorizationMessageException")),
        "{}",
        d.body
    );
    let mut tampered = blob.to_owned();
    tampered.replace_range(10..11, if &blob[10..11] == "A" { "B" } else { "A" });
    let d = h.sts(
        &decoder,
        &[
            ("Action", "DecodeAuthorizationMessage"),
            ("EncodedMessage", &tampered),
        ],
    );
    assert_eq!(
        (d.status, field(&d.body, "Code")),
        (400, Some("InvalidAuthorizationMessageException")),
        "{}",
        d.body
    );

    // An explicit deny says so in the decoded message.
    let denied = user(
        &h,
        A,
        "denied",
        &allow(
            r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}"#,
        ),
    );
    let ids = run(&h, &Harness::root(A), "1", &[]);
    let r = ec2(
        &h,
        &denied,
        &[("Action", "TerminateInstances"), ("InstanceId.1", &ids[0])],
    );
    err(&r, 403, "UnauthorizedOperation");
    let m = field(&r.body, "Message").unwrap();
    assert!(m.contains(&format!("on resource: arn:aws:ec2:us-east-1:111111111111:instance/{} with an explicit deny in an identity-based policy. Encoded", ids[0])), "{m}");
    let blob = m.rsplit(' ').next().unwrap();
    let d = h.sts(
        &decoder,
        &[
            ("Action", "DecodeAuthorizationMessage"),
            ("EncodedMessage", blob),
        ],
    );
    assert!(
        d.body.contains("&quot;explicitDeny&quot;:true"),
        "{}",
        d.body
    );
}

#[test]
fn dry_run_and_read_only_access() {
    let h = Harness::new();
    let root = Harness::root(A);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "RunInstances"),
            ("ImageId", "ami-12345678"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("DryRun", "true"),
        ],
    );
    err(&r, 412, "DryRunOperation");
    assert_eq!(
        field(&r.body, "Message"),
        Some("Request would have succeeded, but DryRun flag is set.")
    );
    assert!(h
        .state
        .catalog
        .snapshot()
        .account(A)
        .unwrap()
        .instances
        .is_empty());
    let nobody = user(&h, A, "nobody", "");
    err(
        &ec2(
            &h,
            &nobody,
            &[("Action", "DescribeInstances"), ("DryRun", "true")],
        ),
        403,
        "UnauthorizedOperation",
    );

    let ro = user(&h, A, "reader", "");
    ok(&h.iam(
        &root,
        &[
            ("Action", "AttachUserPolicy"),
            ("UserName", "reader"),
            ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ],
    ));
    let ro = h.user(A, &ro.principal.name);
    let ids = run(&h, &root, "1", &[]);
    ok(&ec2(&h, &ro, &[("Action", "DescribeInstances")]));
    ok(&ec2(
        &h,
        &ro,
        &[("Action", "DescribeIamInstanceProfileAssociations")],
    ));
    ok(&ec2(&h, &ro, &[("Action", "DescribeTags")]));
    ok(&ec2(&h, &ro, &[("Action", "DescribeRegions")]));
    err(
        &ec2(
            &h,
            &ro,
            &[("Action", "StopInstances"), ("InstanceId.1", &ids[0])],
        ),
        403,
        "UnauthorizedOperation",
    );
    err(
        &ec2(
            &h,
            &ro,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
            ],
        ),
        403,
        "UnauthorizedOperation",
    );
}

#[test]
fn condition_keys_reach_policies() {
    let h = Harness::new();
    let root = Harness::root(A);
    let dev = run(
        &h,
        &root,
        "1",
        &[
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Env"),
            ("TagSpecification.1.Tag.1.Value", "dev"),
        ],
    );
    let prod = run(
        &h,
        &root,
        "1",
        &[
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "Env"),
            ("TagSpecification.1.Tag.1.Value", "prod"),
        ],
    );
    let u = user(
        &h,
        A,
        "dev",
        &allow(
            r#"{"Effect":"Allow","Action":"ec2:StopInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"dev"}}},{"Effect":"Allow","Action":["ec2:RunInstances","ec2:CreateTags"],"Resource":"*","Condition":{"StringEquals":{"ec2:InstanceType":"t3.micro"}}},{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*::image/*"}"#,
        ),
    );
    ok(&ec2(
        &h,
        &u,
        &[("Action", "StopInstances"), ("InstanceId.1", &dev[0])],
    ));
    err(
        &ec2(
            &h,
            &u,
            &[("Action", "StopInstances"), ("InstanceId.1", &prod[0])],
        ),
        403,
        "UnauthorizedOperation",
    );
    // Both instances named: one denial refuses the whole call.
    err(
        &ec2(
            &h,
            &u,
            &[
                ("Action", "StopInstances"),
                ("InstanceId.1", &dev[0]),
                ("InstanceId.2", &prod[0]),
            ],
        ),
        403,
        "UnauthorizedOperation",
    );
    run(&h, &u, "1", &[]);
    err(
        &ec2(
            &h,
            &u,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-12345678"),
                ("InstanceType", "m5.large"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
            ],
        ),
        403,
        "UnauthorizedOperation",
    );
    // Tag-on-create asks for ec2:CreateTags with ec2:CreateAction.
    let no_tags = user(
        &h,
        A,
        "notags",
        &allow(r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}"#),
    );
    let r = ec2(
        &h,
        &no_tags,
        &[
            ("Action", "RunInstances"),
            ("ImageId", "ami-12345678"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "k"),
            ("TagSpecification.1.Tag.1.Value", "v"),
        ],
    );
    err(&r, 403, "UnauthorizedOperation");
    assert!(field(&r.body, "Message")
        .unwrap()
        .contains("ec2:CreateTags"));
    let tags_ok = user(
        &h,
        A,
        "tags",
        &allow(
            r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"},{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreateAction":"RunInstances"}}}"#,
        ),
    );
    run(
        &h,
        &tags_ok,
        "1",
        &[
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "k"),
            ("TagSpecification.1.Tag.1.Value", "v"),
        ],
    );
    err(
        &ec2(
            &h,
            &tags_ok,
            &[
                ("Action", "CreateTags"),
                ("ResourceId.1", &dev[0]),
                ("Tag.1.Key", "k"),
            ],
        ),
        403,
        "UnauthorizedOperation",
    );
}

#[test]
fn metadata_options_regions_and_zones() {
    let h = Harness::new();
    let root = Harness::root(A);
    let ids = run(&h, &root, "1", &[]);
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "ModifyInstanceMetadataOptions"),
            ("InstanceId", &ids[0]),
            ("HttpTokens", "required"),
            ("HttpEndpoint", "disabled"),
        ],
    );
    ok(&r);
    assert!(r.body.contains(&format!("<instanceId>{}</instanceId><instanceMetadataOptions><state>pending</state><httpTokens>required</httpTokens><httpPutResponseHopLimit>1</httpPutResponseHopLimit><httpEndpoint>disabled</httpEndpoint>", ids[0])));
    let snap = h.state.catalog.snapshot();
    let i = find_instance(&snap, &ids[0]).unwrap().1;
    assert_eq!(i.metadata.http_tokens, HttpTokens::Required);
    assert_eq!(i.metadata.http_endpoint.as_str(), "disabled");
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "ModifyInstanceMetadataOptions"),
                ("InstanceId", "i-0123456789abcdef0"),
                ("HttpTokens", "required"),
            ],
        ),
        400,
        "InvalidInstanceID.NotFound",
    );

    let r = ec2(&h, &root, &[("Action", "DescribeRegions")]);
    ok(&r);
    let regions = fields(&r.body, "regionName");
    assert!(regions.contains(&"us-east-1") && regions.contains(&"eu-west-1"));
    assert!(!regions.contains(&"af-south-1"));
    assert!(r.body.contains("<regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus>"));
    let r = ec2(
        &h,
        &root,
        &[("Action", "DescribeRegions"), ("AllRegions", "true")],
    );
    assert!(fields(&r.body, "regionName").contains(&"af-south-1"));
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeRegions"),
            ("Filter.1.Name", "region-name"),
            ("Filter.1.Value.1", "eu-*"),
        ],
    );
    assert!(fields(&r.body, "regionName")
        .iter()
        .all(|r| r.starts_with("eu-")));
    err(
        &ec2(
            &h,
            &root,
            &[("Action", "DescribeRegions"), ("RegionName.1", "mars-1")],
        ),
        400,
        "InvalidParameterValue",
    );
    let r = ec2_in(
        &h,
        "eu-west-1",
        &root,
        &[("Action", "DescribeAvailabilityZones")],
    );
    ok(&r);
    assert_eq!(
        fields(&r.body, "zoneName"),
        vec!["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    );
    assert_eq!(
        fields(&r.body, "zoneId"),
        vec!["euw1-az1", "euw1-az2", "euw1-az3"]
    );
    let r = ec2(
        &h,
        &root,
        &[
            ("Action", "DescribeAvailabilityZones"),
            ("ZoneName.1", "us-east-1b"),
        ],
    );
    assert_eq!(fields(&r.body, "zoneName"), vec!["us-east-1b"]);
}
