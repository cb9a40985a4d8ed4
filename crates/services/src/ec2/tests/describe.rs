//! DescribeInstances filters and pagination, tags, metadata options, regions and zones.

use super::*;

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
    let i = snap.find_instance(&ids[0]).unwrap().1;
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
