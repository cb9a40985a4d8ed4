//! No input panics or half-applies: odd values for every parameter of every operation get an
//! EC2 error (or a harmless answer) and leave the account as it was.

use super::*;

#[test]
fn odd_input_is_refused_cleanly() {
    let h = Harness::new();
    let root = Harness::root(A);
    let ids = run(&h, &root, "1", &[]);
    let before = format!(
        "{:?}",
        h.state.catalog.snapshot().account(A).unwrap().instances
    );
    let odd = [
        "",
        " ",
        "é",
        "i-",
        "i-ZZZZZZZZ",
        "-1",
        "99999999999999999999",
        "true",
        "\u{0}",
        "*",
        "ami-",
        "iip-assoc-",
        "Ü*?*?*",
    ];
    let names = [
        "InstanceId",
        "InstanceId.1",
        "InstanceId.x",
        "ResourceId.1",
        "AssociationId",
        "AssociationId.1",
        "ImageId",
        "MinCount",
        "MaxCount",
        "MaxResults",
        "NextToken",
        "DryRun",
        "HttpTokens",
        "HttpEndpoint",
        "HttpPutResponseHopLimit",
        "Filter.1.Name",
        "Filter.1.Value.1",
        "Filter.x.Value",
        "Tag.1.Key",
        "Tag.1.Value",
        "RegionName.1",
        "ZoneName.1",
        "ZoneId.1",
        "AllRegions",
        "IamInstanceProfile.Name",
        "IamInstanceProfile.Arn",
        "TagSpecification.1.ResourceType",
        "TagSpecification.1.Tag.1.Key",
        "MetadataOptions.HttpPutResponseHopLimit",
        "ClientToken",
    ];
    for (op, _) in crate::ec2::operations() {
        // Mutating calls must not succeed with odd values, so they run with DryRun off and
        // are checked against the state below; describes may answer.
        for name in names {
            for value in odd {
                let r = ec2(&h, &root, &[("Action", op), (name, value)]);
                assert!(
                    r.status == 200 || (400..500).contains(&r.status),
                    "{op} {name}={value:?}: {} {}",
                    r.status,
                    r.body
                );
                assert!(r.body.starts_with("<?xml"), "{op}: {}", r.body);
            }
        }
    }
    let after = format!(
        "{:?}",
        h.state.catalog.snapshot().account(A).unwrap().instances
    );
    assert_eq!(before, after);
    assert_eq!(
        h.state
            .catalog
            .snapshot()
            .account(A)
            .unwrap()
            .instances
            .len(),
        ids.len()
    );
}
