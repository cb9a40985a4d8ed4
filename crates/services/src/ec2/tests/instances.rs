//! RunInstances and the state machine (Start/Stop/Terminate), and request errors.

use super::*;

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
    let (acct, i) = snap.find_instance(&ids[0]).unwrap();
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
        snap.find_instance(&ids[2]).unwrap().1.state,
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
    err(
        &ec2(
            &h,
            &root,
            &[
                ("Action", "RunInstances"),
                ("ImageId", "ami-87654321"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("ClientToken", "tok-1"),
            ],
        ),
        400,
        "IdempotentParameterMismatch",
    );
}
