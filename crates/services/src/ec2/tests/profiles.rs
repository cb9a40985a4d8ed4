//! Instance profile associations and iam:PassRole.

use super::*;

#[test]
fn instance_profile_associations() {
    let h = Harness::new();
    let root = Harness::root(A);
    let web = profile(&h, "web");
    let batch = profile(&h, "batch");
    let ids = run(&h, &root, "1", &[("IamInstanceProfile.Name", "web")]);
    let id = &ids[0];
    let snap = h.state.catalog.snapshot();
    let assoc = snap
        .find_instance(id)
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
        snap.find_instance(id)
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
    assert!(snap.find_instance(id).unwrap().1.iam_profile.is_none());
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
    let assoc = snap
        .find_instance(&ids[0])
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
