//! The instance metadata service over raw HTTP: IMDSv2 tokens and IMDSv1, paths and documents,
//! errors, required tokens and a disabled endpoint, instance tags, and the capability in its
//! address that cannot be guessed or forged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod imds_common;

use common::Server;
use imds_common::*;

#[tokio::test(flavor = "multi_thread")]
async fn imdsv2_tokens_paths_and_documents() {
    use aws_sdk_ec2::types::HttpTokensState::Optional;
    let server = Server::start();
    let port = server.port;
    let (profile_arn, profile_id) = role_and_profile(&server, "AppRole", CALLER_ONLY).await;
    let ec2 = ec2(&server);
    let id = launch(&ec2, Some("AppRole"), Optional).await;
    let bare = launch(&ec2, None, Optional).await;
    let p = imds_path(&server, &id);

    // Token requests: the TTL header is required and bounded; no proxies; PUT only.
    let t = token(port, &p);
    let put = |ttl: Option<&str>| {
        let headers: Vec<(&str, &str)> = ttl
            .map(|v| vec![("X-aws-ec2-metadata-token-ttl-seconds", v)])
            .unwrap_or_default();
        raw(port, "PUT", &format!("{p}latest/api/token"), &headers).status
    };
    assert_eq!(put(None), 400);
    assert_eq!(put(Some("0")), 400);
    assert_eq!(put(Some("21601")), 400);
    assert_eq!(put(Some("ten")), 400);
    assert_eq!(put(Some("1")), 200);
    let proxied = raw(
        port,
        "PUT",
        &format!("{p}latest/api/token"),
        &[
            ("X-aws-ec2-metadata-token-ttl-seconds", "60"),
            ("X-Forwarded-For", "10.0.0.1"),
        ],
    );
    assert_eq!(proxied.status, 403);
    assert_eq!(get(port, &format!("{p}latest/api/token"), None).status, 405);

    let text = |path: &str| {
        let r = get(port, &format!("{p}latest/{path}"), Some(&t));
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.head.contains("x-aws-ec2-metadata-token-ttl-seconds: "));
        r.body
    };
    let listing = text("meta-data/");
    for entry in [
        "ami-id",
        "iam/",
        "instance-id",
        "instance-type",
        "placement/",
    ] {
        assert!(listing.lines().any(|l| l == entry), "{entry} in {listing}");
    }
    assert_eq!(text("meta-data"), listing);
    assert_eq!(text("meta-data/instance-id"), id);
    assert_eq!(text("meta-data/ami-id"), "ami-0abcdef1234567890");
    assert_eq!(text("meta-data/instance-type"), "t3.micro");
    assert_eq!(text("meta-data/placement/region"), "us-east-1");
    assert_eq!(text("meta-data/placement/availability-zone"), "us-east-1a");
    assert!(text("meta-data/local-ipv4").starts_with("10."));

    let info = json(&text("meta-data/iam/info"));
    assert_eq!(info["Code"], "Success");
    assert_eq!(info["InstanceProfileArn"], profile_arn.as_str());
    assert_eq!(info["InstanceProfileId"], profile_id.as_str());
    assert!(info["LastUpdated"].as_str().unwrap().ends_with('Z'));
    assert_eq!(text("meta-data/iam/security-credentials/"), "AppRole");
    assert_eq!(
        get(
            port,
            &format!("{p}latest/meta-data/iam/security-credentials/Other"),
            Some(&t)
        )
        .status,
        404
    );

    let creds = json(&text("meta-data/iam/security-credentials/AppRole"));
    assert_eq!(creds["Code"], "Success");
    assert_eq!(creds["Type"], "AWS-HMAC");
    assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(creds["SecretAccessKey"].as_str().unwrap().len(), 40);
    assert!(!creds["Token"].as_str().unwrap().is_empty());
    let (updated, expires) = (
        creds["LastUpdated"].as_str().unwrap(),
        creds["Expiration"].as_str().unwrap(),
    );
    assert!(updated.ends_with('Z') && expires.ends_with('Z') && expires > updated);
    // Served again unchanged until they near expiry.
    assert_eq!(
        json(&text("meta-data/iam/security-credentials/AppRole")),
        creds
    );

    let doc = json(&text("dynamic/instance-identity/document"));
    assert_eq!(doc["accountId"], ACCOUNT);
    assert_eq!(doc["instanceId"], id.as_str());
    assert_eq!(doc["imageId"], "ami-0abcdef1234567890");
    assert_eq!(doc["instanceType"], "t3.micro");
    assert_eq!(doc["region"], "us-east-1");
    assert_eq!(doc["availabilityZone"], "us-east-1a");
    assert_eq!(doc["architecture"], "x86_64");
    assert_eq!(doc["version"], "2017-09-30");
    assert!(doc["privateIp"].as_str().unwrap().starts_with("10."));
    assert!(doc["pendingTime"].as_str().unwrap().ends_with('Z'));

    // IMDSv1 is answered (tokens optional), but a bad token never is.
    assert_eq!(
        get(port, &format!("{p}latest/meta-data/instance-id"), None).body,
        id
    );
    assert_eq!(
        get(
            port,
            &format!("{p}latest/meta-data/instance-id"),
            Some("bogus")
        )
        .status,
        401
    );
    for missing in [
        "meta-data/nope",
        "user-data",
        "meta-data/iam/security-credentials/AppRole/x",
    ] {
        assert_eq!(
            get(port, &format!("{p}latest/{missing}"), Some(&t)).status,
            404,
            "{missing}"
        );
    }
    assert_eq!(
        get(port, &format!("{p}2009-04-04/meta-data/"), Some(&t)).status,
        404
    );

    // An instance without a profile has no iam/ at all; a token of another instance is refused.
    let q = imds_path(&server, &bare);
    let other = get(port, &format!("{q}latest/meta-data/"), None).body;
    assert!(!other.contains("iam/"), "{other}");
    assert_eq!(
        get(port, &format!("{q}latest/meta-data/iam/info"), None).status,
        404
    );
    assert_eq!(
        get(
            port,
            &format!("{q}latest/meta-data/iam/security-credentials/"),
            None
        )
        .status,
        404
    );
    assert_eq!(
        get(port, &format!("{q}latest/meta-data/instance-id"), Some(&t)).status,
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn required_tokens_and_disabled_endpoint() {
    use aws_sdk_ec2::types::{HttpTokensState, InstanceMetadataEndpointState};
    let server = Server::start();
    let port = server.port;
    role_and_profile(&server, "AppRole", CALLER_ONLY).await;
    let ec2 = ec2(&server);
    let id = launch(&ec2, Some("AppRole"), HttpTokensState::Required).await;
    let p = imds_path(&server, &id);
    let path = format!("{p}latest/meta-data/iam/security-credentials/AppRole");
    assert_eq!(get(port, &path, None).status, 401);
    let t = token(port, &p);
    assert_eq!(get(port, &path, Some(&t)).status, 200);

    ec2.modify_instance_metadata_options()
        .instance_id(&id)
        .http_endpoint(InstanceMetadataEndpointState::Disabled)
        .send()
        .await
        .unwrap();
    assert_eq!(get(port, &path, Some(&t)).status, 403);
    let put = raw(
        port,
        "PUT",
        &format!("{p}latest/api/token"),
        &[("X-aws-ec2-metadata-token-ttl-seconds", "60")],
    );
    assert_eq!(put.status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_capability_cannot_be_guessed_or_forged() {
    use aws_sdk_ec2::types::HttpTokensState::Optional;
    let server = Server::start();
    let port = server.port;
    role_and_profile(&server, "AppRole", CALLER_ONLY).await;
    let ec2 = ec2(&server);
    let a = launch(&ec2, Some("AppRole"), Optional).await;
    let b = launch(&ec2, Some("AppRole"), Optional).await;
    let pa = imds_path(&server, &a);
    let tag_a = pa
        .trim_end_matches('/')
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    let creds = |prefix: &str| {
        get(
            port,
            &format!("{prefix}latest/meta-data/iam/security-credentials/AppRole"),
            None,
        )
        .status
    };
    assert_eq!(creds(&pa), 200);
    // The bare instance id, another instance's tag, a flipped tag: nothing.
    assert_eq!(creds(&format!("/_rolegate/imds/{a}/")), 404);
    assert_eq!(creds(&format!("/_rolegate/imds/{b}.{tag_a}/")), 404);
    let mut flipped = tag_a.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert_eq!(creds(&format!("/_rolegate/imds/{a}.{flipped}/")), 404);
    assert_eq!(creds(&format!("/_rolegate/imds/{a}.{tag_a}x/")), 404);
    // A key from another data directory names nothing on this server.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("master.key"), [7u8; 32]).unwrap();
    let out = print_env(&server, &a, elsewhere.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no running instance"));
    // And exec will not invent a key for a data directory that has none.
    let empty = tempfile::tempdir().unwrap();
    let out = print_env(&server, &a, empty.path());
    assert!(!out.status.success());
    assert!(!empty.path().join("master.key").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_tags_only_when_allowed_in_metadata() {
    use aws_sdk_ec2::types::{HttpTokensState, InstanceMetadataTagsState, Tag};
    let server = Server::start();
    let port = server.port;
    let ec2 = ec2(&server);
    let id = launch(&ec2, None, HttpTokensState::Optional).await;
    ec2.create_tags()
        .resources(&id)
        .tags(Tag::builder().key("Name").value("web").build())
        .tags(Tag::builder().key("Team").value("blue").build())
        .send()
        .await
        .unwrap();
    let p = imds_path(&server, &id);
    let at = |path: &str| get(port, &format!("{p}latest/meta-data/{path}"), None);
    assert!(!at("").body.lines().any(|l| l == "tags/"));
    assert_eq!(at("tags/instance").status, 404);
    ec2.modify_instance_metadata_options()
        .instance_id(&id)
        .instance_metadata_tags(InstanceMetadataTagsState::Enabled)
        .send()
        .await
        .unwrap();
    assert!(at("").body.lines().any(|l| l == "tags/"));
    assert_eq!(at("tags/").body, "instance");
    let keys = at("tags/instance").body;
    let mut keys: Vec<&str> = keys.lines().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["Name", "Team"]);
    assert_eq!(at("tags/instance/Name").body, "web");
    assert_eq!(at("tags/instance/Owner").status, 404);
}
