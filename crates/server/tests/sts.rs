//! STS over real HTTP with the AWS SDK for Rust: identities, AssumeRole on both sides,
//! external ids, session policies, chaining limits, and persistence across a hard restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{err_code, Server};

const TRUST_ACCOUNT_B_WITH_EXTERNAL_ID: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "XX9812DDF2V"}}
  }]
}"#;

const ANNE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","sts:AssumeRole"],"Resource":"*"}]}"#;

struct Anne {
    key: String,
    secret: String,
    policy_arn: String,
}

async fn setup_anne(server: &Server) -> Anne {
    let a = server.root_iam("111111111111");
    a.create_user().user_name("Anne").send().await.unwrap();
    let p = a
        .create_policy()
        .policy_name("anne-s3")
        .policy_document(ANNE_POLICY)
        .send()
        .await
        .unwrap();
    let policy_arn = p.policy().unwrap().arn().unwrap().to_owned();
    a.attach_user_policy()
        .user_name("Anne")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let k = a
        .create_access_key()
        .user_name("Anne")
        .send()
        .await
        .unwrap();
    let k = k.access_key().unwrap();
    let b = server.root_iam("222222222222");
    b.create_role()
        .role_name("cross-account-s3-access")
        .assume_role_policy_document(TRUST_ACCOUNT_B_WITH_EXTERNAL_ID)
        .send()
        .await
        .unwrap();
    Anne {
        key: k.access_key_id().to_owned(),
        secret: k.secret_access_key().to_owned(),
        policy_arn,
    }
}

const ROLE: &str = "arn:aws:iam::222222222222:role/cross-account-s3-access";

#[tokio::test(flavor = "multi_thread")]
async fn cross_account_assume_role_with_external_id() {
    let server = Server::start();
    let anne = setup_anne(&server).await;
    let sts = server.sts(&anne.key, &anne.secret, None);

    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:user/Anne"));
    assert_eq!(me.account(), Some("111111111111"));
    assert!(me.user_id().unwrap().starts_with("AIDA"));

    let ok = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("AWSCLI-Session")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap();
    let user = ok.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::222222222222:assumed-role/cross-account-s3-access/AWSCLI-Session"
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":AWSCLI-Session"));
    let c = ok.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    assert_eq!(c.access_key_id().len(), 20);
    assert_eq!(c.secret_access_key().len(), 40);

    // The session's own identity.
    let session = server.sts(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let who = session.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(user.arn()));
    assert_eq!(who.account(), Some("222222222222"));
    assert_eq!(who.user_id(), Some(user.assumed_role_id()));

    // Without the external id, and with a wrong one: the trust policy does not allow.
    let denied = format!(
        "User: arn:aws:iam::111111111111:user/Anne is not authorized to perform: sts:AssumeRole on resource: {ROLE} because no role trust policy allows the sts:AssumeRole action"
    );
    for ext in [None, Some("wrong-id")] {
        let e = sts
            .assume_role()
            .role_arn(ROLE)
            .role_session_name("AWSCLI-Session")
            .set_external_id(ext.map(str::to_owned))
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_code(&e), ("AccessDenied".to_owned(), denied.clone()));
    }

    // With Anne's policy detached, her own account refuses first.
    let a = server.root_iam("111111111111");
    a.detach_user_policy()
        .user_name("Anne")
        .policy_arn(&anne.policy_arn)
        .send()
        .await
        .unwrap();
    let e = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("AWSCLI-Session")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "AccessDenied".to_owned(),
            format!("User: arn:aws:iam::111111111111:user/Anne is not authorized to perform: sts:AssumeRole on resource: {ROLE} because no identity-based policy allows the sts:AssumeRole action")
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_rules() {
    let server = Server::start();
    let anne = setup_anne(&server).await;
    let sts = server.sts(&anne.key, &anne.secret, None);

    // Root users cannot assume roles.
    let e = server
        .root_sts("111111111111")
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("s1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "AccessDenied".to_owned(),
            "Roles may not be assumed by root accounts.".to_owned()
        )
    );

    // A role that does not exist is denied like one that does not trust the caller.
    let e = sts
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/missing")
        .role_session_name("s1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");

    // Duration above the role's maximum.
    let e = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("s1")
        .external_id("XX9812DDF2V")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "ValidationError".to_owned(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_owned()
        )
    );

    // Shape validation, AWS's text.
    let e = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("bad name!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "ValidationError".to_owned(),
            "1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*".to_owned()
        )
    );

    // Role chaining: a session may assume a role (if trusted) but not for more than an hour.
    let b = server.root_iam("222222222222");
    b.create_role()
        .role_name("next")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/cross-account-s3-access"},"Action":"sts:AssumeRole"}]}"#,
        )
        .max_session_duration(43200)
        .send()
        .await
        .unwrap();
    let first = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("first")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap();
    let c = first.credentials().unwrap();
    let session = server.sts(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let e = session
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/next")
        .role_session_name("second")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e).1,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    // The role session has no identity policy allowing sts:AssumeRole, but the trust policy
    // names the role itself in the same account: that grant stands alone.
    let second = session
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/next")
        .role_session_name("second")
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::222222222222:assumed-role/next/second"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_policies_limit_the_session() {
    let server = Server::start();
    let anne = setup_anne(&server).await;
    let b = server.root_iam("222222222222");
    b.put_role_policy()
        .role_name("cross-account-s3-access")
        .policy_name("iam-read")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:GetRole"],"Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let sts = server.sts(&anne.key, &anne.secret, None);
    let r = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("narrow")
        .external_id("XX9812DDF2V")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    // botocore's model still has PackedPolicySize; the Rust SDK marks it deprecated.
    #[allow(deprecated)]
    let packed = r.packed_policy_size();
    assert!(packed.is_some());
    let c = r.credentials().unwrap();
    let iam = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    iam.get_role()
        .role_name("cross-account-s3-access")
        .send()
        .await
        .unwrap();
    let e = iam.list_roles().send().await.unwrap_err();
    let (code, msg) = err_code(&e);
    assert_eq!(code, "AccessDenied");
    assert!(msg.starts_with("User: arn:aws:sts::222222222222:assumed-role/cross-account-s3-access/narrow is not authorized to perform: iam:ListRoles on resource: "), "{msg}");
    assert!(
        msg.ends_with(" because no session policy allows the iam:ListRoles action"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn state_survives_kill_9() {
    let mut server = Server::start();
    let anne = setup_anne(&server).await;
    server.kill_and_restart();
    // The user, its key (and secret), the policy and the role are all still there.
    let sts = server.sts(&anne.key, &anne.secret, None);
    let r = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("after-restart")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap();
    let c = r.credentials().unwrap();
    // Session tokens sealed before a restart stay valid after another one.
    server.kill_and_restart();
    let session = server.sts(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    session.get_caller_identity().send().await.unwrap();
    let b = server.root_iam("222222222222");
    let role = b
        .get_role()
        .role_name("cross-account-s3-access")
        .send()
        .await
        .unwrap();
    let doc = role.role().unwrap().assume_role_policy_document().unwrap();
    // IAM returns the document as it was sent (URL-encoded on the wire; the SDK hands it back encoded).
    let decoded = percent_decode(doc);
    assert_eq!(decoded, TRUST_ACCOUNT_B_WITH_EXTERNAL_ID);
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' && tail.len() >= 2 {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap_or("zz"), 16) {
                out.push(v);
                rest = &tail[2..];
                continue;
            }
        }
        out.push(b);
        rest = tail;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn mfa_codes_are_refused_clearly() {
    let server = Server::start();
    let anne = setup_anne(&server).await;
    let sts = server.sts(&anne.key, &anne.secret, None);
    let e = sts
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("mfa")
        .external_id("XX9812DDF2V")
        .serial_number("arn:aws:iam::111111111111:mfa/Anne")
        .token_code("123456")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "AccessDenied".to_owned(),
            "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.".to_owned()
        )
    );
}

/// Session tags need sts:TagSession in the trust policy (and the caller's policy); they become
/// aws:PrincipalTag/* of the session and transitive ones follow a role chain. A source identity
/// needs sts:SetSourceIdentity and cannot be changed down the chain.
#[tokio::test(flavor = "multi_thread")]
async fn session_tags_and_source_identity() {
    let server = Server::start();
    let a = server.root_iam("111111111111");
    a.create_user().user_name("tagger").send().await.unwrap();
    a.put_user_policy()
        .user_name("tagger")
        .policy_name("all-sts")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let k = a
        .create_access_key()
        .user_name("tagger")
        .send()
        .await
        .unwrap();
    let k = k.access_key().unwrap();
    let trust_assume_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/tagger"},"Action":"sts:AssumeRole"}]}"#;
    let trust_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/tagger"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}"#;
    a.create_role()
        .role_name("plain")
        .assume_role_policy_document(trust_assume_only)
        .send()
        .await
        .unwrap();
    a.create_role()
        .role_name("tagged")
        .assume_role_policy_document(trust_all)
        .send()
        .await
        .unwrap();
    // The role may read only roles whose team tag equals the session's.
    a.put_role_policy()
        .role_name("tagged")
        .policy_name("by-team")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}"#)
        .send()
        .await
        .unwrap();
    let sts = server.sts(k.access_key_id(), k.secret_access_key(), None);
    let tag = |k: &str, v: &str| {
        aws_sdk_sts::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };

    // Tags without sts:TagSession in the trust policy.
    let e = sts
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/plain")
        .role_session_name("s1")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        (
            "AccessDenied".to_owned(),
            "User: arn:aws:iam::111111111111:user/tagger is not authorized to perform: sts:TagSession on resource: arn:aws:iam::111111111111:role/plain because no role trust policy allows the sts:TagSession action".to_owned()
        )
    );

    // With it: the tag reaches aws:PrincipalTag.
    for (team, allowed) in [("blue", true), ("red", false)] {
        let r = sts
            .assume_role()
            .role_arn("arn:aws:iam::111111111111:role/tagged")
            .role_session_name("s1")
            .tags(tag("team", team))
            .source_identity("tagger-laptop")
            .send()
            .await
            .unwrap();
        assert_eq!(r.source_identity(), Some("tagger-laptop"));
        let c = r.credentials().unwrap();
        let iam = server.iam(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        );
        let got = iam.get_role().role_name("plain").send().await;
        assert_eq!(got.is_ok(), allowed, "team {team}");
    }

    // A source identity needs sts:SetSourceIdentity in the trust policy.
    let e = sts
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/plain")
        .role_session_name("s1")
        .source_identity("tagger-laptop")
        .send()
        .await
        .unwrap_err();
    assert!(
        err_code(&e).1.contains("sts:SetSourceIdentity"),
        "{:?}",
        err_code(&e)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn role_last_used_after_assume_role() {
    let server = Server::start();
    let anne = setup_anne(&server).await;
    let b = server.root_iam("222222222222");
    let before = b
        .get_role()
        .role_name("cross-account-s3-access")
        .send()
        .await
        .unwrap();
    assert!(before
        .role()
        .unwrap()
        .role_last_used()
        .is_none_or(|u| u.last_used_date().is_none()));
    server
        .sts(&anne.key, &anne.secret, None)
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("used")
        .external_id("XX9812DDF2V")
        .send()
        .await
        .unwrap();
    let after = b
        .get_role()
        .role_name("cross-account-s3-access")
        .send()
        .await
        .unwrap();
    let used = after.role().unwrap().role_last_used().unwrap();
    assert!(used.last_used_date().is_some());
    assert_eq!(used.region(), Some("us-east-1"));
}
