//! Shared by the IMDS tests: raw HTTP to an instance's metadata service, the capability path
//! `rolegate exec --print-env` hands out, and an account with a role, a profile and instances.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::{binary, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

pub const ACCOUNT: &str = "222222222222";
pub const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub fn ec2(server: &Server) -> aws_sdk_ec2::Client {
    let creds = aws_sdk_ec2::config::Credentials::new(ACCOUNT, "anything", None, None, "test");
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(creds)
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

pub fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
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
pub fn print_env(
    server: &Server,
    instance: &str,
    data_dir: &std::path::Path,
) -> std::process::Output {
    Command::new(binary())
        .args(["exec", "--print-env", "--instance", instance, "--endpoint"])
        .arg(&server.endpoint)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap()
}

/// The path of the instance's metadata service, as `rolegate exec` hands it out (ends in `/`).
pub fn imds_path(server: &Server, instance: &str) -> String {
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
pub async fn role_and_profile(server: &Server, name: &str, policy: &str) -> (String, String) {
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

pub async fn launch(
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

pub fn token(port: u16, path: &str) -> String {
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

pub fn get(port: u16, path: &str, token: Option<&str>) -> Reply {
    match token {
        Some(t) => raw(port, "GET", path, &[("X-aws-ec2-metadata-token", t)]),
        None => raw(port, "GET", path, &[]),
    }
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Credentials from the instance's metadata service (IMDSv2 when `v2`).
pub fn credentials(port: u16, path: &str, role: &str, v2: bool) -> serde_json::Value {
    let t = v2.then(|| token(port, path));
    let r = get(
        port,
        &format!("{path}latest/meta-data/iam/security-credentials/{role}"),
        t.as_deref(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r.body)
}

pub fn sts_with(server: &Server, c: &serde_json::Value) -> aws_sdk_sts::Client {
    server.sts(
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["Token"].as_str(),
    )
}

pub fn iam_with(server: &Server, c: &serde_json::Value) -> aws_sdk_iam::Client {
    server.iam(
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["Token"].as_str(),
    )
}

pub const CALLER_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#;
