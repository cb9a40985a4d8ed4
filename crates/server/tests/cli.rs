//! The unmodified AWS CLI against the real binary (the test command installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Server;
use std::process::Command;

fn run_script(name: &str) {
    let server = Server::start();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli")
        .join(name);
    let out = Command::new("bash")
        .arg(&script)
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn anne_cross_account_with_the_aws_cli() {
    // The AWS CLI must be there: the test command installs it; a missing CLI is a failure.
    let version = Command::new("aws").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "the AWS CLI is not installed (./test.sh installs it with pip)"
    );
    run_script("anne.sh");
}
