//! S3 over real HTTP, driven by the AWS CLI and boto3 (tests/s3/e2e.py; the test command
//! installs both): bucket and object operations, listings, checksums, conditional and ranged
//! reads, presigned URLs, anonymous access through a public bucket policy, the cross-account
//! bucket-policy rules, and persistence across a hard restart; multipart uploads
//! (tests/s3/multipart.py): `aws s3 cp` of a large file both ways, each call and its errors, and
//! an upload finished after a kill -9; object tags and the tag and header condition keys
//! (tests/s3/tagging.py), kept across a hard restart. boto3 rather than aws-sdk-s3 keeps build
//! time down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Server;
use std::path::Path;
use std::process::Command;

fn run(server: &Server, phase: &str, work: &Path) {
    run_script(server, "e2e.py", phase, work);
}

fn run_script(server: &Server, name: &str, phase: &str, work: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/s3")
        .join(name);
    let out = Command::new("python3")
        .arg(&script)
        .arg(phase)
        .arg(work)
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        // Nothing from the machine's own AWS configuration.
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} {phase} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

fn require_tools() {
    let tools = Command::new("python3")
        .args(["-c", "import boto3, shutil; assert shutil.which('aws')"])
        .output();
    assert!(
        tools.is_ok_and(|o| o.status.success()),
        "boto3 or the AWS CLI is not installed (./test.sh installs them with pip)"
    );
}

#[test]
fn s3_with_cli_and_boto3_across_accounts_and_restarts() {
    require_tools();
    let mut server = Server::start();
    let work = tempfile::tempdir().unwrap();
    run(&server, "main", work.path());
    server.kill_and_restart();
    run(&server, "after-restart", work.path());
}

#[test]
fn s3_multipart_uploads_with_cli_and_boto3_across_a_restart() {
    require_tools();
    let mut server = Server::start();
    let work = tempfile::tempdir().unwrap();
    run_script(&server, "multipart.py", "main", work.path());
    server.kill_and_restart();
    run_script(&server, "multipart.py", "after-restart", work.path());
}

#[test]
fn s3_object_tags_and_condition_keys_with_cli_and_boto3_across_a_restart() {
    require_tools();
    let mut server = Server::start();
    let work = tempfile::tempdir().unwrap();
    run_script(&server, "tagging.py", "main", work.path());
    server.kill_and_restart();
    run_script(&server, "tagging.py", "after-restart", work.path());
}
