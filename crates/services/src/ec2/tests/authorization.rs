//! UnauthorizedOperation and DecodeAuthorizationMessage, DryRun, ReadOnlyAccess, condition
//! keys.

use super::*;

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
            r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"NoKill","Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"us-east-1"}}}"#,
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
    let text = field(&d.body, "DecodedMessage")
        .unwrap()
        .replace("&quot;", "\"");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["explicitDeny"], true);
    // The statement that denied, as AWS names it.
    let id = denied.user_id();
    assert_eq!(
        v["matchedStatements"]["items"],
        serde_json::json!([{
            "statementId": "NoKill",
            "effect": "DENY",
            "principals": {"items": [{"value": id}]},
            "principalGroups": {"items": []},
            "actions": {"items": [{"value": "ec2:TerminateInstances"}]},
            "resources": {"items": [{"value": "*"}]},
            "conditions": {"items": [{"key": "ec2:Region", "values": {"items": [{"value": "us-east-1"}]}}]}
        }])
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
