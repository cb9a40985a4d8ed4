//! Test support: start the real `rolegate` binary on a free port with a fresh data directory,
//! and make AWS SDK clients pointed at it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Option<Child>,
    /// Kept open so the server never writes to a closed pipe.
    _stdout: Option<std::process::ChildStdout>,
    pub port: u16,
    pub endpoint: String,
    pub dir: tempfile::TempDir,
    extra: Vec<String>,
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rolegate"))
}

/// A raw HTTP exchange (admin endpoints).
pub fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    Some((status, body))
}

impl Server {
    /// A development-mode server.
    pub fn start() -> Server {
        Server::start_args(&[])
    }

    pub fn start_args(extra: &[&str]) -> Server {
        Server::start_in(tempfile::tempdir().expect("tempdir"), extra)
    }

    /// A server over an existing data directory.
    pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let mut s = Server {
            child: None,
            _stdout: None,
            port: 0,
            endpoint: String::new(),
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        s.launch();
        s
    }

    /// Starts the binary on port 0 and reads the port it got from its banner: no race with
    /// other tests for a port picked in advance.
    fn launch(&mut self) {
        let mut child = Command::new(binary())
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(&self.extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rolegate");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = std::io::BufReader::new(stdout);
        let mut port = None;
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) > 0 {
            if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
                port = port.or_else(|| {
                    rest.split(|c: char| !c.is_ascii_digit())
                        .next()
                        .and_then(|p| p.parse::<u16>().ok())
                });
            }
            if line.trim() == "ready" {
                break;
            }
            line.clear();
        }
        self.child = Some(child);
        self._stdout = Some(reader.into_inner());
        self.port = port.expect("rolegate printed its address");
        self.endpoint = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some((200, _)) = http(self.port, "GET", "/_rolegate/health") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("rolegate did not become healthy");
    }

    /// Stops the process as a service manager does (SIGTERM) and returns how it exited, then
    /// starts it on the same data.
    pub fn stop_and_restart(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let pid = c.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = c.try_wait().expect("wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "rolegate did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        self.launch();
        status
    }

    /// Kills the process the hard way (no shutdown path), then starts it on the same data.
    pub fn kill_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.launch();
    }

    pub fn iam(&self, key: &str, secret: &str, token: Option<&str>) -> aws_sdk_iam::Client {
        let creds = aws_sdk_iam::config::Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        );
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    pub fn sts(&self, key: &str, secret: &str, token: Option<&str>) -> aws_sdk_sts::Client {
        let creds = aws_sdk_sts::config::Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        );
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// An aws-sdk-s3 client; `path_style` forces `http://host/bucket/key` addressing, otherwise
    /// the SDK uses virtual-hosted style (`bucket.localhost`, which resolves to loopback).
    pub fn s3(
        &self,
        key: &str,
        secret: &str,
        token: Option<&str>,
        path_style: bool,
    ) -> aws_sdk_s3::Client {
        let creds = aws_sdk_s3::config::Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        );
        let endpoint = if path_style {
            self.endpoint.clone()
        } else {
            format!("http://localhost:{}", self.port)
        };
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .force_path_style(path_style)
            .credentials_provider(creds)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub fn kms(&self, key: &str, secret: &str, token: Option<&str>) -> aws_sdk_kms::Client {
        let creds = aws_sdk_kms::config::Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        );
        let conf = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .build();
        aws_sdk_kms::Client::from_conf(conf)
    }

    pub fn ec2(
        &self,
        region: &str,
        key: &str,
        secret: &str,
        token: Option<&str>,
    ) -> aws_sdk_ec2::Client {
        let creds = aws_sdk_ec2::config::Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        );
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    pub fn dynamodb(
        &self,
        key: &str,
        secret: &str,
        token: Option<&str>,
    ) -> aws_sdk_dynamodb::Client {
        let creds = aws_sdk_dynamodb::config::Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        );
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }

    /// The development-mode root of `account` (12-digit key id, secret unchecked).
    pub fn root_iam(&self, account: &str) -> aws_sdk_iam::Client {
        self.iam(account, "anything", None)
    }

    pub fn root_sts(&self, account: &str) -> aws_sdk_sts::Client {
        self.sts(account, "anything", None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The AWS error code and message of an SDK error.
pub fn err_code<E, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(se) => (
            se.code().unwrap_or("").to_owned(),
            se.message().unwrap_or("").to_owned(),
        ),
        None => ("<no service error>".to_owned(), format!("{e:?}")),
    }
}

/// A policy document as IAM returns it (URL-encoded; the Rust SDK does not decode it, unlike
/// botocore, which un-quotes it), decoded to the text that was sent.
pub fn decode_document(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair =
            (bytes[i] == b'%').then(|| (bytes.get(i + 1).copied(), bytes.get(i + 2).copied()));
        match pair {
            Some((Some(h), Some(l))) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8 document")
}

/// A policy document of the given statements (comma-separated JSON objects).
pub fn policy_doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// An access key pair from a CreateAccessKey answer.
pub struct Keys {
    pub id: String,
    pub secret: String,
}

/// Creates user `name` (with `iam`, usually an account's root) and an access key for it.
pub async fn user_with_key(iam: &aws_sdk_iam::Client, name: &str) -> Keys {
    iam.create_user().user_name(name).send().await.unwrap();
    new_key(iam, name).await
}

/// A new access key for an existing user.
pub async fn new_key(iam: &aws_sdk_iam::Client, name: &str) -> Keys {
    let out = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let k = out.access_key().unwrap();
    Keys {
        id: k.access_key_id().to_owned(),
        secret: k.secret_access_key().to_owned(),
    }
}

/// Puts an inline policy of the given statements on a user.
pub async fn allow_user(iam: &aws_sdk_iam::Client, user: &str, policy: &str, statements: &str) {
    iam.put_user_policy()
        .user_name(user)
        .policy_name(policy)
        .policy_document(policy_doc(statements))
        .send()
        .await
        .unwrap();
}

impl Server {
    /// The IAM client of a key pair.
    pub fn iam_of(&self, k: &Keys) -> aws_sdk_iam::Client {
        self.iam(&k.id, &k.secret, None)
    }

    /// The STS client of a key pair.
    pub fn sts_of(&self, k: &Keys) -> aws_sdk_sts::Client {
        self.sts(&k.id, &k.secret, None)
    }
}
