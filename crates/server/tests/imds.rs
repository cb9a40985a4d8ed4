//! The instance metadata service over raw HTTP (IMDSv2 tokens, IMDSv1, paths, documents,
//! errors), the capability in its address, the instance credentials as a real role session
//! (identity, `ec2:SourceInstanceARN`, `ec2:RoleDelivery`, revocation with the instance), and
//! `rolegate exec` feeding the default credential chains of aws-config and boto3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{binary, err_code, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

const ACCOUNT: &str = "222222222222";
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn ec2(server: &Server) -> aws_sdk_ec2::Client {
    let creds = aws_sdk_ec2::config::Credentials::new(ACCOUNT, "anything", None, None, "test");
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(creds)
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 169.254.169.254\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    Reply {
        status: head.split(' ').nth(1).unwrap().parse().unwrap(),
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// `rolegate exec --print-env` for `instance` with the server's data directory.
fn print_env(server: &Server, instance: &str, data_dir: &std::path::Path) -> std::process::Output {
    Command::new(binary())
        .args(["exec", "--print-env", "--instance", instance, "--endpoint"])
        .arg(&server.endpoint)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap()
}

/// The path of the instance's metadata service, as `rolegate exec` hands it out (ends in `/`).
fn imds_path(server: &Server, instance: &str) -> String {
    let out = print_env(server, instance, server.dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = stdout
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_EC2_METADATA_SERVICE_ENDPOINT='"))
        .unwrap()
        .trim_end_matches('\'');
    let path = url.strip_prefix(&server.endpoint).unwrap().to_owned();
    assert!(path.starts_with(&format!("/_rolegate/imds/{instance}.")) && path.ends_with('/'));
    path
}

/// A role trusting EC2 with `policy` inline, in a profile of the same name.
async fn role_and_profile(server: &Server, name: &str, policy: &str) -> (String, String) {
    let iam = server.root_iam(ACCOUNT);
    let role = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(name)
        .policy_name("inline")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let profile = iam
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
    let p = profile.instance_profile().unwrap();
    let _ = role;
    (p.arn().to_owned(), p.instance_profile_id().to_owned())
}

async fn launch(
    ec2: &aws_sdk_ec2::Client,
    profile: Option<&str>,
    tokens: aws_sdk_ec2::types::HttpTokensState,
) -> String {
    use aws_sdk_ec2::types::{IamInstanceProfileSpecification, InstanceMetadataOptionsRequest};
    let mut req = ec2
        .run_instances()
        .image_id("ami-0abcdef1234567890")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(tokens)
                .build(),
        );
    if let Some(name) = profile {
        req = req.iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name(name)
                .build(),
        );
    }
    let out = req.send().await.unwrap();
    out.instances()[0].instance_id().unwrap().to_owned()
}

fn token(port: u16, path: &str) -> String {
    let r = raw(
        port,
        "PUT",
        &format!("{path}latest/api/token"),
        &[("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .head
        .contains("x-aws-ec2-metadata-token-ttl-seconds: 21600"));
    r.body
}

fn get(port: u16, path: &str, token: Option<&str>) -> Reply {
    match token {
        Some(t) => raw(port, "GET", path, &[("X-aws-ec2-metadata-token", t)]),
        None => raw(port, "GET", path, &[]),
    }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Credentials from the instance's metadata service (IMDSv2 when `v2`).
fn credentials(port: u16, path: &str, role: &str, v2: bool) -> serde_json::Value {
    let t = v2.then(|| token(port, path));
    let r = get(
        port,
        &format!("{path}latest/meta-data/iam/security-credentials/{role}"),
        t.as_deref(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r.body)
}

fn sts_with(server: &Server, c: &serde_json::Value) -> aws_sdk_sts::Client {
    server.sts(
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["Token"].as_str(),
    )
}

fn iam_with(server: &Server, c: &serde_json::Value) -> aws_sdk_iam::Client {
    server.iam(
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["Token"].as_str(),
    )
}

const CALLER_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#;

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
async fn instance_credentials_are_a_role_session_that_ends_with_the_instance() {
    use aws_sdk_ec2::types::HttpTokensState::Optional;
    let server = Server::start();
    let port = server.port;
    role_and_profile(&server, "AppRole", CALLER_ONLY).await;
    let ec2 = ec2(&server);
    let one = launch(&ec2, Some("AppRole"), Optional).await;
    let two = launch(&ec2, Some("AppRole"), Optional).await;
    // Only instance one may list users; nobody may list roles over IMDSv1-delivered credentials.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
            "Condition":{{"StringEquals":{{"ec2:SourceInstanceARN":"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{one}"}}}}}},
          {{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}},
          {{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*",
            "Condition":{{"NumericLessThan":{{"ec2:RoleDelivery":"2.0"}}}}}}]}}"#
    );
    server
        .root_iam(ACCOUNT)
        .put_role_policy()
        .role_name("AppRole")
        .policy_name("inline")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let role_id = server
        .root_iam(ACCOUNT)
        .get_role()
        .role_name("AppRole")
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .role_id;
    let p1 = imds_path(&server, &one);
    let p2 = imds_path(&server, &two);
    let c1 = credentials(port, &p1, "AppRole", true);
    let c2 = credentials(port, &p2, "AppRole", true);

    let me = sts_with(&server, &c1)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{one}").as_str())
    );
    assert_eq!(me.user_id(), Some(format!("{role_id}:{one}").as_str()));
    assert_eq!(me.account(), Some(ACCOUNT));

    iam_with(&server, &c1).list_users().send().await.unwrap();
    let e = iam_with(&server, &c2)
        .list_users()
        .send()
        .await
        .unwrap_err();
    let (code, msg) = err_code(&e);
    assert_eq!(code, "AccessDenied");
    assert!(
        msg.contains(&format!(
            "assumed-role/AppRole/{two} is not authorized to perform: iam:ListUsers"
        )),
        "{msg}"
    );
    // ec2:RoleDelivery: 2.0 over IMDSv2, 1.0 over IMDSv1.
    iam_with(&server, &c1).list_roles().send().await.unwrap();
    let v1 = credentials(port, &p1, "AppRole", false);
    assert_ne!(v1["AccessKeyId"], c1["AccessKeyId"]);
    let e = iam_with(&server, &v1)
        .list_roles()
        .send()
        .await
        .unwrap_err();
    assert!(
        err_code(&e).1.contains("with an explicit deny"),
        "{:?}",
        err_code(&e)
    );

    // Stopped: the metadata service is gone and the session no longer authenticates.
    ec2.stop_instances()
        .instance_ids(&one)
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(port, &format!("{p1}latest/meta-data/instance-id"), None).status,
        404
    );
    let e = sts_with(&server, &c1)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ExpiredToken");
    // Started again (a new run): the old session stays dead, new credentials work.
    std::thread::sleep(Duration::from_millis(1100));
    ec2.start_instances()
        .instance_ids(&one)
        .send()
        .await
        .unwrap();
    let e = sts_with(&server, &c1)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ExpiredToken");
    let fresh = credentials(port, &p1, "AppRole", true);
    assert_ne!(fresh["AccessKeyId"], c1["AccessKeyId"]);
    sts_with(&server, &fresh)
        .get_caller_identity()
        .send()
        .await
        .unwrap();

    // Profile disassociated: revoked, and iam/ disappears.
    let assoc = ec2
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .unwrap();
    let assoc_id = assoc
        .iam_instance_profile_associations()
        .iter()
        .find(|a| a.instance_id() == Some(one.as_str()))
        .and_then(|a| a.association_id())
        .unwrap()
        .to_owned();
    ec2.disassociate_iam_instance_profile()
        .association_id(assoc_id)
        .send()
        .await
        .unwrap();
    let e = sts_with(&server, &fresh)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ExpiredToken");
    assert_eq!(
        get(port, &format!("{p1}latest/meta-data/iam/info"), None).status,
        404
    );

    // Terminated: the same.
    sts_with(&server, &c2)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    ec2.terminate_instances()
        .instance_ids(&two)
        .send()
        .await
        .unwrap();
    let e = sts_with(&server, &c2)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ExpiredToken");
    assert_eq!(
        get(port, &format!("{p2}latest/meta-data/instance-id"), None).status,
        404
    );
}

/// Run by `exec` (the test binary re-invoked): aws-config's default chain, nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn helper_default_chain_caller_identity() {
    let Ok(out) = std::env::var("ROLEGATE_IMDS_HELPER_OUT") else {
        return; // only meaningful inside `rolegate exec`
    };
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let region = conf.region().map(|r| r.to_string()).unwrap_or_default();
    let sts = aws_sdk_sts::Client::new(&conf);
    let me = sts.get_caller_identity().send().await.unwrap();
    std::fs::write(out, format!("{region} {}", me.arn().unwrap())).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_feeds_the_default_credential_chains_of_aws_config_and_boto3() {
    use aws_sdk_ec2::types::HttpTokensState::Required;
    let server = Server::start();
    role_and_profile(&server, "AppRole", CALLER_ONLY).await;
    let ec2 = ec2(&server);
    let id = launch(&ec2, Some("AppRole"), Required).await;
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{id}");
    let exec = || {
        let mut c = Command::new(binary());
        c.args([
            "exec",
            "--instance",
            &id,
            "--endpoint",
            &server.endpoint,
            "--data-dir",
        ])
        .arg(server.dir.path())
        .arg("--")
        // Credentials of the caller's own must not leak in (nor win).
        .env("AWS_ACCESS_KEY_ID", "111111111111")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_PROFILE", "nope")
        .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    };

    // The Rust SDK (aws-config, IMDSv2 with a path prefix): this test binary, re-invoked.
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("arn");
    let out = exec()
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "helper_default_chain_caller_identity",
            "--test-threads",
            "1",
        ])
        .env("ROLEGATE_IMDS_HELPER_OUT", &out_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        format!("us-east-1 {arn}")
    );

    // botocore (boto3): IMDSFetcher with the same endpoint.
    let out = exec()
        .args([
            "python3",
            "-c",
            "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), arn);

    // The environment a process on the instance sees, and the exit status passed through.
    let out = exec().args(["sh", "-c", "env; exit 7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let env = String::from_utf8_lossy(&out.stdout);
    for gone in [
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "AWS_PROFILE=",
        "AWS_EC2_METADATA_DISABLED=",
    ] {
        assert!(!env.lines().any(|l| l.starts_with(gone)), "{gone} in {env}");
    }
    for set in [
        "AWS_REGION=us-east-1".to_owned(),
        "AWS_DEFAULT_REGION=us-east-1".to_owned(),
        format!("AWS_ENDPOINT_URL={}", server.endpoint),
        "AWS_CONFIG_FILE=/dev/null".to_owned(),
        "AWS_SHARED_CREDENTIALS_FILE=/dev/null".to_owned(),
    ] {
        assert!(env.lines().any(|l| l == set), "{set} not in {env}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoints_and_credentials_survive_a_restart() {
    use aws_sdk_ec2::types::HttpTokensState::Optional;
    let mut server = Server::start();
    role_and_profile(&server, "AppRole", CALLER_ONLY).await;
    let id = launch(&ec2(&server), Some("AppRole"), Optional).await;
    let p = imds_path(&server, &id);
    let before = credentials(server.port, &p, "AppRole", true);
    server.kill_and_restart();
    // The capability and the sealed session need nothing but the data directory's key.
    let after = credentials(server.port, &p, "AppRole", true);
    let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/{id}");
    for c in [&before, &after] {
        let me = sts_with(&server, c)
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        assert_eq!(me.arn(), Some(arn.as_str()));
    }
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
