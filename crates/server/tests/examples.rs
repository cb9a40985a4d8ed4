//! The walkthroughs of examples/, each run from a fresh server with the unmodified AWS CLI, as
//! a newcomer runs them. Each script checks its own outputs and exits non-zero on a difference.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Server;
use std::path::Path;
use std::process::Command;

fn run_walkthrough(dir: &str) {
    // The AWS CLI must be there: the test command installs it; a missing CLI is a failure.
    let version = Command::new("aws").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "the AWS CLI is not installed (./test.sh installs it with pip)"
    );
    let server = Server::start();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
        .join("run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("ROLEGATE_BIN", common::binary())
        .env("ROLEGATE_DATA_DIR", server.dir.path())
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{dir} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn walkthrough_1_dynamodb_through_a_role() {
    run_walkthrough("01-dynamodb-through-a-role");
}

#[test]
fn walkthrough_2_trust_chicken_and_egg() {
    run_walkthrough("02-trust-chicken-and-egg");
}

#[test]
fn walkthrough_3_prod_and_acc() {
    run_walkthrough("03-prod-acc-s3");
}

#[test]
fn walkthrough_4_anne_and_the_external_id() {
    run_walkthrough("04-anne-external-id");
}

#[test]
fn walkthrough_5_ec2_to_another_account() {
    run_walkthrough("05-ec2-to-another-account");
}
