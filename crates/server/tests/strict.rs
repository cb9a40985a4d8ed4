//! Strict mode: no implicit accounts; `rolegate account create` prints a root key pair that is
//! verified like any other; development-only endpoints are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{binary, err_code, http, Server};
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn strict_mode_accounts_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(binary())
        .args([
            "account",
            "create",
            "--id",
            "333333333333",
            "--name",
            "prod",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let (key, secret) = (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"));
    assert!(key.starts_with("AKIA") && key.len() == 20);

    // The same id twice is refused and changes nothing.
    let again = Command::new(binary())
        .args(["account", "create", "--id", "333333333333", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success());

    let server = Server::start_in(dir, &["--strict"]);
    let me = server
        .sts(&key, &secret, None)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::333333333333:root"));

    // The root's secret is checked.
    let e = server
        .sts(&key, "not-the-secret", None)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "SignatureDoesNotMatch");

    // No implicit accounts from 12-digit keys.
    let e = server
        .root_sts("111111111111")
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidClientTokenId");

    // No reset.
    assert_eq!(
        http(server.port, "POST", "/_rolegate/reset").map(|r| r.0),
        Some(403)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn development_reset_erases_everything() {
    let server = Server::start();
    let iam = server.root_iam("111111111111");
    iam.create_user().user_name("u1").send().await.unwrap();
    assert_eq!(
        http(server.port, "POST", "/_rolegate/reset").map(|r| r.0),
        Some(200)
    );
    let e = iam.get_user().user_name("u1").send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "NoSuchEntity");
}
