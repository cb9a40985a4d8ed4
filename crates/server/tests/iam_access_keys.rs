//! Access keys over real HTTP with the AWS SDK for Rust: the two-key limit, Active/Inactive,
//! last use, a user managing its own keys without UserName, and the root user's keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::StatusType;
use common::{err_code, Server};

const A: &str = "111111111111";

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

fn is_key_id(id: &str) -> bool {
    id.len() == 20
        && id.starts_with("AKIA")
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_keys_per_user_with_status() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("alice").send().await.unwrap();

    let first = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let k1 = first.access_key().unwrap();
    assert_eq!(k1.user_name(), "alice");
    assert!(is_key_id(k1.access_key_id()), "{}", k1.access_key_id());
    assert_eq!(k1.secret_access_key().len(), 40);
    assert_eq!(k1.status(), &StatusType::Active);
    assert!(k1.create_date().is_some());
    let k1 = common::Keys {
        id: k1.access_key_id().to_owned(),
        secret: k1.secret_access_key().to_owned(),
    };
    // The name is found in any case; the answer spells it as the user does.
    let second = iam
        .create_access_key()
        .user_name("ALICE")
        .send()
        .await
        .unwrap();
    let k2 = second.access_key().unwrap();
    assert_eq!(k2.user_name(), "alice");
    assert_ne!(k2.access_key_id(), k1.id);
    assert_ne!(k2.secret_access_key(), k1.secret);

    let e = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2"
        )
    );

    // Listing: metadata only, in creation order.
    let listed = iam
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let ids: Vec<Option<&str>> = listed
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id())
        .collect();
    assert_eq!(ids, [Some(k1.id.as_str()), Some(k2.access_key_id())]);
    assert!(listed
        .access_key_metadata()
        .iter()
        .all(|k| k.user_name() == Some("alice") && k.status() == Some(&StatusType::Active)));
    assert!(!listed.is_truncated());
    let page = iam
        .list_access_keys()
        .user_name("alice")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.access_key_metadata().len(), 1);
    assert!(page.is_truncated());
    let rest = iam
        .list_access_keys()
        .user_name("alice")
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rest.access_key_metadata()[0].access_key_id(),
        Some(k2.access_key_id())
    );

    // The key works; made Inactive it no longer authenticates; made Active again it does.
    let sts = server.sts_of(&k1);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:user/alice"));
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(&k1.id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.access_key_metadata()[0].status(),
        Some(&StatusType::Inactive)
    );
    let e = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "InvalidClientTokenId",
            "The security token included in the request is invalid."
        )
    );
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(&k1.id)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    sts.get_caller_identity().send().await.unwrap();

    // Deleted, it is gone for good, and there is room for a new one.
    iam.delete_access_key()
        .user_name("alice")
        .access_key_id(&k1.id)
        .send()
        .await
        .unwrap();
    let e = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidClientTokenId");
    let e = iam
        .delete_access_key()
        .user_name("alice")
        .access_key_id(&k1.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("The Access Key with id {} cannot be found.", k1.id)
        )
    );
    let listed = iam
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1);
    iam.create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn errors() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("alice").send().await.unwrap();
    iam.create_user().user_name("bob").send().await.unwrap();
    let k = common::new_key(&iam, "alice").await;

    let e = iam
        .create_access_key()
        .user_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );
    let e = iam
        .list_access_keys()
        .user_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );

    // Another user's key is not found under this one.
    let e = iam
        .update_access_key()
        .user_name("bob")
        .access_key_id(&k.id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("The Access Key with id {} cannot be found.", k.id)
        )
    );
    let e = iam
        .delete_access_key()
        .user_name("bob")
        .access_key_id(&k.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "NoSuchEntity");

    // A status outside the enum.
    let e = iam
        .update_access_key()
        .user_name("alice")
        .access_key_id(&k.id)
        .status(StatusType::from("Off"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            "1 validation error detected: Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
        )
    );
    // Key ids are 16 to 128 word characters.
    let e = iam
        .delete_access_key()
        .user_name("alice")
        .access_key_id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            "1 validation error detected: Value 'short' at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16"
        )
    );
    let e = iam
        .get_access_key_last_used()
        .access_key_id("AKIA-NOT-A-WORD-ID!!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'AKIA-NOT-A-WORD-ID!!' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w]+"
        )
    );
    let e = iam
        .create_access_key()
        .user_name("bad name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ValidationError");

    // Nothing changed.
    let listed = iam
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let meta = listed.access_key_metadata();
    assert_eq!(meta.len(), 1);
    assert_eq!(meta[0].status(), Some(&StatusType::Active));
}

#[tokio::test(flavor = "multi_thread")]
async fn last_used() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "alice").await;

    // Never used: N/A, no date.
    let out = iam
        .get_access_key_last_used()
        .access_key_id(&k.id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.user_name(), Some("alice"));
    let used = out.access_key_last_used().unwrap();
    assert_eq!(used.service_name(), "N/A");
    assert_eq!(used.region(), "N/A");
    assert!(used.last_used_date().is_none());

    // Used to call STS in us-east-1.
    server
        .sts_of(&k)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let out = iam
        .get_access_key_last_used()
        .access_key_id(&k.id)
        .send()
        .await
        .unwrap();
    let used = out.access_key_last_used().unwrap();
    assert_eq!(used.service_name(), "sts");
    assert_eq!(used.region(), "us-east-1");
    let when = used.last_used_date().unwrap().secs();
    let now = aws_sdk_iam::primitives::DateTime::from(std::time::SystemTime::now()).secs();
    assert!((0..300).contains(&(now - when)), "used {}s ago", now - when);

    // Then IAM.
    common::allow_user(
        &iam,
        "alice",
        "self",
        r#"{"Effect":"Allow","Action":["iam:GetUser","iam:GetAccessKeyLastUsed"],"Resource":"arn:aws:iam::111111111111:user/${aws:username}"}"#,
    )
    .await;
    let alice = server.iam_of(&k);
    alice.get_user().send().await.unwrap();
    let out = alice
        .get_access_key_last_used()
        .access_key_id(&k.id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.access_key_last_used().unwrap().service_name(), "iam");

    // An unknown key.
    let e = iam
        .get_access_key_last_used()
        .access_key_id("AKIAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."
        )
    );

    // Another user may not ask about alice's key (the owner is the resource).
    let bob = common::user_with_key(&iam, "bob").await;
    let e = server
        .iam_of(&bob)
        .get_access_key_last_used()
        .access_key_id(&k.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:GetAccessKeyLastUsed on resource: arn:aws:iam::111111111111:user/alice because no identity-based policy allows the iam:GetAccessKeyLastUsed action"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_manages_its_own_keys_without_user_name() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "alice").await;
    iam.create_user().user_name("bob").send().await.unwrap();
    // The AWS self-service pattern: access keys on one's own ARN only.
    common::allow_user(
        &iam,
        "alice",
        "own-keys",
        r#"{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey","iam:DeleteAccessKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"}"#,
    )
    .await;
    let alice = server.iam_of(&k);

    let created = alice.create_access_key().send().await.unwrap();
    let new = created.access_key().unwrap();
    assert_eq!(new.user_name(), "alice");
    assert!(is_key_id(new.access_key_id()));
    let new_id = new.access_key_id().to_owned();

    let listed = alice.list_access_keys().send().await.unwrap();
    let mut ids: Vec<&str> = listed
        .access_key_metadata()
        .iter()
        .filter_map(|m| m.access_key_id())
        .collect();
    ids.sort_unstable();
    let mut expected = [k.id.as_str(), new_id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(listed
        .access_key_metadata()
        .iter()
        .all(|m| m.user_name() == Some("alice")));

    alice
        .update_access_key()
        .access_key_id(&new_id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let e = alice.create_access_key().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2"
        )
    );
    alice
        .delete_access_key()
        .access_key_id(&new_id)
        .send()
        .await
        .unwrap();

    // Another user's keys are another resource.
    let e = alice
        .list_access_keys()
        .user_name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: iam:ListAccessKeys on resource: arn:aws:iam::111111111111:user/bob because no identity-based policy allows the iam:ListAccessKeys action"
        )
    );
    let e = alice
        .create_access_key()
        .user_name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");
    let bob_keys = iam
        .list_access_keys()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    assert!(bob_keys.access_key_metadata().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn session_credentials_must_name_the_user() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "alice").await;
    common::allow_user(
        &iam,
        "alice",
        "assume",
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
    )
    .await;
    iam.create_role()
        .role_name("keys-admin")
        .assume_role_policy_document(common::policy_doc(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}"#,
        ))
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("keys-admin")
        .policy_name("keys")
        .policy_document(common::policy_doc(
            r#"{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let session = server
        .sts_of(&k)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/keys-admin")
        .role_session_name("keys-session")
        .send()
        .await
        .unwrap();
    let c = session.credentials().unwrap();
    let as_role = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );

    let e = as_role.list_access_keys().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            "Must specify userName when calling with non-User credentials"
        )
    );
    let e = as_role.create_access_key().send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "ValidationError");
    // Naming the user works.
    let listed = as_role
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.access_key_metadata()[0].access_key_id(),
        Some(k.id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn root_keys() {
    let server = Server::start();
    let root = server.root_iam(A);
    iam_user_keys_are_not_root_keys(&root).await;

    let created = root.create_access_key().send().await.unwrap();
    let key = created.access_key().unwrap();
    assert!(is_key_id(key.access_key_id()));
    assert_eq!(key.secret_access_key().len(), 40);
    let root_key = common::Keys {
        id: key.access_key_id().to_owned(),
        secret: key.secret_access_key().to_owned(),
    };

    let listed = root.list_access_keys().send().await.unwrap();
    let ids: Vec<Option<&str>> = listed
        .access_key_metadata()
        .iter()
        .map(|m| m.access_key_id())
        .collect();
    assert_eq!(ids, [Some(root_key.id.as_str())]);

    // The key is the root user's, verified with its secret.
    let me = server
        .sts_of(&root_key)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:root"));
    assert_eq!(me.account(), Some(A));
    let wrong = server.sts(&root_key.id, &"x".repeat(40), None);
    let e = wrong.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "SignatureDoesNotMatch");
    let last = root
        .get_access_key_last_used()
        .access_key_id(&root_key.id)
        .send()
        .await
        .unwrap();
    assert_eq!(last.access_key_last_used().unwrap().service_name(), "sts");

    // The same two-key quota.
    root.create_access_key().send().await.unwrap();
    let e = root.create_access_key().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2"
        )
    );
    let summary = root.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary
            .summary_map()
            .unwrap()
            .get(&aws_sdk_iam::types::SummaryKeyType::AccountAccessKeysPresent),
        Some(&1)
    );

    // Deactivated, it no longer authenticates.
    root.update_access_key()
        .access_key_id(&root_key.id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let e = server
        .sts_of(&root_key)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "InvalidClientTokenId");
    root.delete_access_key()
        .access_key_id(&root_key.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        root.list_access_keys()
            .send()
            .await
            .unwrap()
            .access_key_metadata()
            .len(),
        1
    );
}

/// An IAM user's keys are not listed among the root user's.
async fn iam_user_keys_are_not_root_keys(root: &aws_sdk_iam::Client) {
    common::user_with_key(root, "someone").await;
    let listed = root.list_access_keys().send().await.unwrap();
    assert!(listed.access_key_metadata().is_empty());
}
