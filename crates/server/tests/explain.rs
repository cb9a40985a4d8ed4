//! Request ids, the decision log, `rolegate explain` and `rolegate log`, with real clients.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_sts::operation::RequestId;
use common::{allow_user, policy_doc, user_with_key, Server};
use std::process::Command;

const A: &str = "111111111111";
const B: &str = "222222222222";

/// Runs `rolegate <args> --data-dir <server's>`; returns (success, stdout + stderr).
fn rolegate(server: &Server, args: &[&str]) -> (bool, String) {
    // The log is written by a background thread: give it a moment.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = Command::new(common::binary())
        .args(args)
        .arg("--data-dir")
        .arg(server.dir.path())
        .output()
        .expect("run rolegate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Anne in A may assume B's role, which trusts A with an external id.
async fn setup(server: &Server) -> (aws_sdk_sts::Client, String) {
    server
        .root_sts(A)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let role_arn = format!("arn:aws:iam::{B}:role/cross-account-s3-access");
    server
        .root_iam(B)
        .create_role()
        .role_name("cross-account-s3-access")
        .assume_role_policy_document(policy_doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"XX9812DDF2V"}}}}}}"#
        )))
        .send()
        .await
        .unwrap();
    let iam = server.root_iam(A);
    let keys = user_with_key(&iam, "Anne").await;
    allow_user(
        &iam,
        "Anne",
        "assume",
        &format!(r#"{{"Sid":"AssumeB","Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role_arn}"}}"#),
    )
    .await;
    (server.sts_of(&keys), role_arn)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denial_is_explained_by_its_request_id() {
    let server = Server::start();
    let (anne, role_arn) = setup(&server).await;
    let err = anne
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("sess")
        .send()
        .await
        .unwrap_err();
    let rid = err
        .request_id()
        .expect("the error carries the request id")
        .to_owned();
    assert_eq!(rid.len(), 36, "{rid}");

    let (ok, text) = rolegate(&server, &["explain", &rid]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("request {rid}: DENIED")), "{text}");
    assert!(
        text.contains("Why: no role trust policy allows sts:AssumeRole: the resource's side refused (account 222222222222)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("trust policy of {role_arn}: statement 0 requires sts:ExternalId StringEquals 'XX9812DDF2V'; the request had no sts:ExternalId")),
        "{text}"
    );
    // Both sides: the caller's own policy did allow.
    assert!(
        text.contains(
            "allowed by inline policy assume of user Anne: statement 0 (Sid \"AssumeB\")"
        ),
        "{text}"
    );
    // --last finds the same request.
    let (ok, last) = rolegate(&server, &["explain", "--last"]);
    assert!(ok);
    assert_eq!(last, text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cross_account_allow_shows_both_sides() {
    let server = Server::start();
    let (anne, role_arn) = setup(&server).await;
    let out = anne
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("sess")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap();
    let rid = out.request_id().unwrap().to_owned();
    let (ok, text) = rolegate(&server, &["explain", &rid]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("request {rid}: ALLOWED")), "{text}");
    assert!(
        text.contains(
            "Both accounts allowed: the caller's 111111111111 and the resource's 222222222222."
        ),
        "{text}"
    );
    assert!(
        text.contains("allowed by inline policy assume of user Anne: statement 0"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "allowed by trust policy of {role_arn}: statement 0"
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_side_denial_and_the_log_table() {
    let server = Server::start();
    let (_, role_arn) = setup(&server).await;
    // Bob has no policy at all: his own account refuses.
    let bob = user_with_key(&server.root_iam(A), "Bob").await;
    let err = server
        .sts_of(&bob)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("sess")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap_err();
    let rid = err.request_id().unwrap().to_owned();
    let (ok, text) = rolegate(&server, &["explain", "--last"]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("request {rid}: DENIED")), "{text}");
    assert!(
        text.contains("Why: no identity-based policy allows sts:AssumeRole: the caller's side refused (account 111111111111)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("no statement allows sts:AssumeRole on {role_arn}")),
        "{text}"
    );

    // The table: denials only, then by action and principal.
    let (ok, table) = rolegate(&server, &["log", "--denied"]);
    assert!(ok, "{table}");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{table}");
    assert!(
        rows[0].contains(&rid) && rows[0].contains("deny"),
        "{table}"
    );
    assert!(
        rows[0].contains("arn:aws:iam::111111111111:user/Bob"),
        "{table}"
    );
    let (_, all) = rolegate(&server, &["log", "-n", "1000"]);
    assert!(all.lines().count() > 5, "{all}");
    assert!(all.contains("ALLOW"), "{all}");
    let (_, roles) = rolegate(&server, &["log", "--action", "iam:CreateRole"]);
    assert_eq!(roles.lines().count(), 2, "{roles}");
    let (_, bobs) = rolegate(&server, &["log", "--principal", "user/Bob", "-n", "1000"]);
    assert!(
        bobs.lines().skip(1).all(|l| l.contains("user/Bob")),
        "{bobs}"
    );
    let (_, other) = rolegate(&server, &["log", "--account", "333333333333"]);
    assert_eq!(other.lines().count(), 1, "{other}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_request_ids_are_refused_clearly() {
    let server = Server::start();
    server
        .root_sts(A)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let (ok, text) = rolegate(
        &server,
        &["explain", "00000000-0000-0000-0000-000000000000"],
    );
    assert!(!ok);
    assert!(text.contains("is not in the decision log"), "{text}");
    let (ok, text) = rolegate(&server, &["explain", "--last"]);
    assert!(!ok);
    assert!(text.contains("no denied request in the log"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_deny_in_a_bucket_policy_names_its_statement() {
    let server = Server::start();
    let s3 = server.s3(A, "x", None, true);
    s3.create_bucket().bucket("explained").send().await.unwrap();
    s3.put_bucket_policy()
        .bucket("explained")
        .policy(policy_doc(
            r#"{"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::explained/secret/*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let err = s3
        .get_object()
        .bucket("explained")
        .key("secret/x")
        .send()
        .await
        .unwrap_err();
    let rid = aws_sdk_s3::operation::RequestId::request_id(&err)
        .unwrap()
        .to_owned();
    let (ok, text) = rolegate(&server, &["explain", &rid]);
    assert!(ok, "{text}");
    assert!(
        text.contains("Why: an explicit Deny in a resource-based policy"),
        "{text}"
    );
    assert!(
        text.contains("denied by bucket policy of explained: statement 0 (Sid \"NoSecrets\")"),
        "{text}"
    );
}

/// Policy names come back after a restart (the store keeps only the texts).
#[tokio::test(flavor = "multi_thread")]
async fn policies_keep_their_names_across_a_restart() {
    let mut server = Server::start();
    let (_, role_arn) = setup(&server).await;
    let anne = {
        let iam = server.root_iam(A);
        common::new_key(&iam, "Anne").await
    };
    server.kill_and_restart();
    let err = server
        .sts_of(&anne)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("sess")
        .send()
        .await
        .unwrap_err();
    let rid = err.request_id().unwrap().to_owned();
    let (ok, text) = rolegate(&server, &["explain", &rid]);
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "allowed by inline policy assume of user Anne: statement 0 (Sid \"AssumeB\")"
        ),
        "{text}"
    );
}
