//! Instance profile credentials as a real role session (identity, `aws:userid`,
//! `ec2:SourceInstanceARN`, `ec2:RoleDelivery`, revocation with the instance, restart), and
//! `rolegate exec` feeding the default credential chains of aws-config and boto3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod imds_common;

use common::{binary, err_code, Server};
use imds_common::*;
use std::process::Command;
use std::time::Duration;

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
