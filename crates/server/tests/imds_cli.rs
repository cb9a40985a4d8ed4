//! The instance-profile story with the unmodified AWS CLI under `rolegate exec`
//! (tests/cli/instance_story.sh), run like the other CLI scripts (tests/cli.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{binary, Server};
use std::process::Command;

/// Account 222222222222's instance (role AssumeRoleInA, allowed sts:AssumeRole on RoleForB)
/// gets its identity from the metadata service, assumes RoleForB of 111111111111 (ReadOnlyAccess)
/// and describes that account's instances; an instance whose role lacks the permission is
/// refused with the identity-based reason.
#[test]
fn instance_profile_story_with_the_aws_cli() {
    let version = Command::new("aws").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "the AWS CLI is not installed (./test.sh installs it with pip)"
    );
    let server = Server::start();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/instance_story.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("ROLEGATE_BIN", binary())
        .env("ROLEGATE_DATA_DIR", server.dir.path())
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "instance_story.sh failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("instance story: ok"), "{stdout}");
}
