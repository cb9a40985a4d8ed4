//! KMS over real HTTP, driven by boto3 (tests/kms/e2e.py; the test command installs boto3):
//! every operation, AWS's errors, the key-policy rules across accounts, and persistence of keys
//! and ciphertexts across a hard restart. boto3 rather than aws-sdk-kms keeps build time down.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Server;
use std::path::Path;
use std::process::Command;

fn run(server: &Server, phase: &str, state_file: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kms/e2e.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(phase)
        .arg(state_file)
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        // Nothing from the machine's own AWS configuration.
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "e2e.py {phase} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn kms_with_boto3_across_accounts_and_restarts() {
    let boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .output();
    assert!(
        boto3.is_ok_and(|o| o.status.success()),
        "boto3 is not installed (./test.sh installs it with pip)"
    );
    let mut server = Server::start();
    let work = tempfile::tempdir().unwrap();
    let state_file = work.path().join("state.json");
    run(&server, "main", &state_file);
    server.kill_and_restart();
    run(&server, "after-restart", &state_file);
}
