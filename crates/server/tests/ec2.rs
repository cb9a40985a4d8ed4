//! EC2 over real HTTP with aws-sdk-ec2: every operation, filters and pagination (the SDK's own
//! paginator), the state machine, AWS's errors, iam:PassRole for instance profiles, an
//! UnauthorizedOperation decoded with aws-sdk-sts DecodeAuthorizationMessage, and persistence
//! across a hard restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_ec2::types::{
    Filter, HttpTokensState, IamInstanceProfileSpecification, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceStateName, InstanceType, ResourceType, Tag,
    TagSpecification,
};
use common::{err_code, Server};

const A: &str = "111111111111";
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn filter(name: &str, values: &[&str]) -> Filter {
    values
        .iter()
        .fold(Filter::builder().name(name), |b, v| b.values(*v))
        .build()
}

fn instance_tags(k: &str, v: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(ResourceType::Instance)
        .tags(tag(k, v))
        .build()
}

/// Role and instance profile `name` (the role trusting EC2) in account A.
async fn profile(iam: &aws_sdk_iam::Client, name: &str) -> String {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    let p = iam
        .create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(name)
        .send()
        .await
        .unwrap();
    p.instance_profile().unwrap().arn().to_owned()
}

/// A user of account A with `policy` inline, and its access key.
async fn user(iam: &aws_sdk_iam::Client, name: &str, policy: &str) -> (String, String) {
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy()
        .user_name(name)
        .policy_name("p")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let k = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let k = k.access_key().unwrap();
    (
        k.access_key_id().to_owned(),
        k.secret_access_key().to_owned(),
    )
}

async fn ids_matching(ec2: &aws_sdk_ec2::Client, filters: Vec<Filter>) -> Vec<String> {
    let out = ec2
        .describe_instances()
        .set_filters(Some(filters))
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

async fn state_of(ec2: &aws_sdk_ec2::Client, id: &str) -> InstanceStateName {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    let i = &out.reservations()[0].instances()[0];
    i.state().unwrap().name().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_profiles_tags_and_restart() {
    let mut server = Server::start();
    let iam = server.root_iam(A);
    let ec2 = server.ec2("us-east-1", A, "anything", None);
    let web_arn = profile(&iam, "web").await;
    profile(&iam, "batch").await;

    // RunInstances: pending in the answer, running at once; profile, tags and metadata options.
    let run = ec2
        .run_instances()
        .image_id("ami-0abcdef1234567890")
        .instance_type(InstanceType::T3Micro)
        .min_count(2)
        .max_count(2)
        .key_name("deploy")
        .tag_specifications(instance_tags("Env", "prod"))
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("web")
                .build(),
        )
        .metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(HttpTokensState::Required)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(run.reservation_id().unwrap().starts_with("r-"));
    assert_eq!(run.owner_id(), Some(A));
    let web: Vec<String> = run
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    assert_eq!(web.len(), 2);
    let first = &run.instances()[0];
    assert_eq!(
        first.state().unwrap().name(),
        Some(&InstanceStateName::Pending)
    );
    assert_eq!(first.state().unwrap().code(), Some(0));
    assert_eq!(first.instance_type(), Some(&InstanceType::T3Micro));
    assert_eq!(
        first.iam_instance_profile().unwrap().arn(),
        Some(web_arn.as_str())
    );
    assert_eq!(
        first.placement().unwrap().availability_zone(),
        Some("us-east-1a")
    );
    assert_eq!(state_of(&ec2, &web[0]).await, InstanceStateName::Running);

    let plain = ec2
        .run_instances()
        .image_id("ami-12345678")
        .min_count(5)
        .max_count(5)
        .tag_specifications(instance_tags("Env", "dev"))
        .send()
        .await
        .unwrap();
    let dev: Vec<String> = plain
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();

    // Filters.
    let mut sorted_web = web.clone();
    sorted_web.sort();
    assert_eq!(
        ids_matching(&ec2, vec![filter("tag:Env", &["prod"])]).await,
        sorted_web
    );
    assert_eq!(
        ids_matching(&ec2, vec![filter("tag:Env", &["d*"])])
            .await
            .len(),
        5
    );
    assert_eq!(
        ids_matching(&ec2, vec![filter("iam-instance-profile.arn", &[&web_arn])]).await,
        sorted_web
    );
    assert_eq!(
        ids_matching(&ec2, vec![filter("tag-key", &["Env"])])
            .await
            .len(),
        7
    );

    // The SDK's paginator walks pages of 5 over the 7 instances.
    let pages: Vec<_> = ec2
        .describe_instances()
        .max_results(5)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 2);
    let mut seen: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().reservations().to_vec())
        .flat_map(|r| r.instances().to_vec())
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);

    // The state machine.
    let stop = ec2
        .stop_instances()
        .instance_ids(&dev[0])
        .send()
        .await
        .unwrap();
    let change = &stop.stopping_instances()[0];
    assert_eq!(
        change.current_state().unwrap().name(),
        Some(&InstanceStateName::Stopping)
    );
    assert_eq!(
        change.previous_state().unwrap().name(),
        Some(&InstanceStateName::Running)
    );
    assert_eq!(state_of(&ec2, &dev[0]).await, InstanceStateName::Stopped);
    let start = ec2
        .start_instances()
        .instance_ids(&dev[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        start.starting_instances()[0]
            .current_state()
            .unwrap()
            .name(),
        Some(&InstanceStateName::Pending)
    );
    let term = ec2
        .terminate_instances()
        .instance_ids(&dev[1])
        .send()
        .await
        .unwrap();
    assert_eq!(
        term.terminating_instances()[0]
            .current_state()
            .unwrap()
            .code(),
        Some(32)
    );
    assert_eq!(state_of(&ec2, &dev[1]).await, InstanceStateName::Terminated);
    let e = ec2
        .start_instances()
        .instance_ids(&dev[1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "IncorrectInstanceState".to_owned(),
            format!(
                "The instance '{}' is not in a state from which it can be started.",
                dev[1]
            )
        )
    );
    ec2.stop_instances()
        .instance_ids(&dev[2])
        .send()
        .await
        .unwrap();

    // Tags.
    ec2.create_tags()
        .resources(&dev[0])
        .tags(tag("Team", "blue"))
        .send()
        .await
        .unwrap();
    ec2.delete_tags()
        .resources(&dev[0])
        .tags(Tag::builder().key("Env").build())
        .send()
        .await
        .unwrap();
    let tags = ec2
        .describe_tags()
        .filters(filter("resource-id", &[&dev[0]]))
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = tags.tags().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, vec!["Team"]);

    // Associations: describe, replace, disassociate, associate.
    let assocs = ec2
        .describe_iam_instance_profile_associations()
        .filters(filter("instance-id", &[&web[0]]))
        .send()
        .await
        .unwrap();
    let a = &assocs.iam_instance_profile_associations()[0];
    assert_eq!(a.instance_id(), Some(web[0].as_str()));
    let replaced = ec2
        .replace_iam_instance_profile_association()
        .association_id(a.association_id().unwrap())
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("batch")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let new_assoc = replaced.iam_instance_profile_association().unwrap();
    assert!(new_assoc
        .iam_instance_profile()
        .unwrap()
        .arn()
        .unwrap()
        .ends_with("/batch"));
    ec2.disassociate_iam_instance_profile()
        .association_id(new_assoc.association_id().unwrap())
        .send()
        .await
        .unwrap();
    let e = ec2
        .disassociate_iam_instance_profile()
        .association_id(new_assoc.association_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidAssociationID.NotFound");
    ec2.associate_iam_instance_profile()
        .instance_id(&dev[0])
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .arn(&web_arn)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Metadata options.
    let m = ec2
        .modify_instance_metadata_options()
        .instance_id(&dev[0])
        .http_tokens(HttpTokensState::Required)
        .http_endpoint(InstanceMetadataEndpointState::Disabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        m.instance_metadata_options().unwrap().http_tokens(),
        Some(&HttpTokensState::Required)
    );

    // Regions and zones; instances are regional.
    let regions = ec2.describe_regions().send().await.unwrap();
    assert!(regions
        .regions()
        .iter()
        .any(|r| r.region_name() == Some("eu-west-1")));
    let eu = server.ec2("eu-west-1", A, "anything", None);
    let zones = eu.describe_availability_zones().send().await.unwrap();
    let names: Vec<&str> = zones
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name())
        .collect();
    assert_eq!(names, vec!["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    let e = eu
        .describe_instances()
        .instance_ids(&web[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "InvalidInstanceID.NotFound".to_owned(),
            format!("The instance ID '{}' does not exist", web[0])
        )
    );

    // Errors and DryRun.
    let e = ec2
        .terminate_instances()
        .instance_ids("i-nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidInstanceID.Malformed");
    let e = ec2
        .run_instances()
        .image_id("ami-12345678")
        .min_count(1)
        .max_count(1)
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "DryRunOperation".to_owned(),
            "Request would have succeeded, but DryRun flag is set.".to_owned()
        )
    );
    let bad = server.ec2("us-east-1", "AKIAIOSFODNN7EXAMPLE", "wrong", None);
    let e = bad.describe_instances().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "AuthFailure".to_owned(),
            "AWS was not able to validate the provided access credentials".to_owned()
        )
    );

    // Everything survives a hard restart.
    server.kill_and_restart();
    let ec2 = server.ec2("us-east-1", A, "anything", None);
    assert_eq!(state_of(&ec2, &dev[1]).await, InstanceStateName::Terminated);
    assert_eq!(state_of(&ec2, &dev[2]).await, InstanceStateName::Stopped);
    assert_eq!(state_of(&ec2, &web[1]).await, InstanceStateName::Running);
    let out = ec2
        .describe_instances()
        .instance_ids(&dev[0])
        .send()
        .await
        .unwrap();
    let i = &out.reservations()[0].instances()[0];
    assert_eq!(
        i.iam_instance_profile().unwrap().arn(),
        Some(web_arn.as_str())
    );
    assert_eq!(
        i.metadata_options().unwrap().http_endpoint(),
        Some(&InstanceMetadataEndpointState::Disabled)
    );
    assert_eq!(i.tags().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn pass_role_and_decoded_authorization_failures() {
    let server = Server::start();
    let iam = server.root_iam(A);
    profile(&iam, "web").await;
    let (key, secret) = user(
        &iam,
        "ops",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","sts:DecodeAuthorizationMessage"],"Resource":"*"}]}"#,
    )
    .await;
    let ec2 = server.ec2("us-east-1", &key, &secret, None);
    let sts = server.sts(&key, &secret, None);

    // Without iam:PassRole the launch with a profile is refused, with an encoded message.
    let e = ec2
        .run_instances()
        .image_id("ami-12345678")
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("web")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let (code, message) = err_code(&e);
    assert_eq!(code, "UnauthorizedOperation");
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    let prefix = "You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/ops is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111111111111:role/web because no identity-based policy allows the iam:PassRole action. Encoded authorization failure message: ";
    assert!(message.starts_with(prefix), "{message}");
    let blob = &message[prefix.len()..];

    let decoded = sts
        .decode_authorization_message()
        .encoded_message(blob)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(decoded.decoded_message().unwrap()).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["explicitDeny"], false);
    assert_eq!(v["matchedStatements"]["items"], serde_json::json!([]));
    assert_eq!(
        v["context"]["principal"]["arn"],
        "arn:aws:iam::111111111111:user/ops"
    );
    assert_eq!(v["context"]["action"], "iam:PassRole");
    assert_eq!(
        v["context"]["resource"],
        "arn:aws:iam::111111111111:role/web"
    );
    let conditions = v["context"]["conditions"]["items"].as_array().unwrap();
    assert!(conditions.iter().any(|c| c["key"] == "iam:PassedToService"
        && c["values"]["items"][0]["value"] == "ec2.amazonaws.com"));

    let e = sts
        .decode_authorization_message()
        .encoded_message("bm90LWEtbWVzc2FnZQ")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidAuthorizationMessageException");
    // Another account cannot read it.
    let e = server
        .root_sts("222222222222")
        .decode_authorization_message()
        .encoded_message(blob)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidAuthorizationMessageException");

    // Launching without a profile is fine; the ReadOnlyAccess managed policy may describe.
    ec2.run_instances()
        .image_id("ami-12345678")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("reader").send().await.unwrap();
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let k = iam
        .create_access_key()
        .user_name("reader")
        .send()
        .await
        .unwrap();
    let k = k.access_key().unwrap();
    let reader = server.ec2("us-east-1", k.access_key_id(), k.secret_access_key(), None);
    let out = reader.describe_instances().send().await.unwrap();
    assert_eq!(out.reservations().len(), 1);
    let e = reader
        .run_instances()
        .image_id("ami-12345678")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "UnauthorizedOperation");
}
