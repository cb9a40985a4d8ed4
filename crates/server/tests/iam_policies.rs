//! Managed and inline policies over real HTTP with the AWS SDK for Rust: versions and the
//! five-version limit, attachment, ListEntitiesForPolicy, AWS managed policies with their real
//! documents, inline policies of users, groups and roles with their size quotas, documents
//! returned URL-encoded exactly as sent, and IAM's MalformedPolicyDocument texts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::{EntityType, PolicyScopeType};
use common::{decode_document, err_code, policy_doc, Server};

const A: &str = "111111111111";

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

fn allow(action: &str) -> String {
    policy_doc(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"*"}}"#
    ))
}

/// A valid identity policy of exactly `size` characters, whitespace not counted, plus `spaces`
/// spaces that IAM does not count.
fn sized(size: usize, spaces: usize) -> String {
    let make = |n: usize| {
        format!(
            r#"{{"Version":"2012-10-17",{}"Statement":[{{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{{"StringEquals":{{"aws:UserAgent":"{}"}}}}}}]}}"#,
            " ".repeat(spaces),
            "x".repeat(n)
        )
    };
    let base = make(0).len() - spaces;
    assert!(size >= base);
    make(size - base)
}

async fn create_policy(iam: &aws_sdk_iam::Client, name: &str, doc: &str) -> String {
    iam.create_policy()
        .policy_name(name)
        .policy_document(doc)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_policy_lifecycle() {
    let mut server = Server::start();
    let iam = server.root_iam(A);
    let doc = allow("iam:GetUser");

    let created = iam
        .create_policy()
        .policy_name("read-users")
        .path("/team/")
        .description("Lets a member read users")
        .policy_document(&doc)
        .send()
        .await
        .unwrap();
    let p = created.policy().unwrap();
    let arn = p.arn().unwrap().to_owned();
    assert_eq!(arn, "arn:aws:iam::111111111111:policy/team/read-users");
    assert_eq!(p.policy_name(), Some("read-users"));
    assert_eq!(p.path(), Some("/team/"));
    let id = p.policy_id().unwrap().to_owned();
    assert!(id.starts_with("ANPA"), "{id}");
    assert_eq!(id.len(), 21);
    assert_eq!(p.default_version_id(), Some("v1"));
    assert_eq!(p.attachment_count(), Some(0));
    assert_eq!(p.permissions_boundary_usage_count(), Some(0));
    assert!(p.is_attachable());
    assert!(p.create_date().is_some() && p.update_date().is_some());

    let got = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    let g = got.policy().unwrap();
    assert_eq!(g.policy_id(), Some(id.as_str()));
    assert_eq!(g.description(), Some("Lets a member read users"));
    let v1 = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let v1 = v1.policy_version().unwrap();
    assert_eq!(decode_document(v1.document().unwrap()), doc);
    assert!(v1.is_default_version());

    // Names are unique within the account, whatever the path or case.
    let e = iam
        .create_policy()
        .policy_name("READ-USERS")
        .path("/other/")
        .policy_document(&doc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "EntityAlreadyExists",
            "A policy called READ-USERS already exists. Duplicate names are not allowed."
        )
    );

    // Local listing, by path prefix and page.
    create_policy(&iam, "another", &allow("iam:ListUsers")).await;
    let local = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    let names: Vec<Option<&str>> = local.policies().iter().map(|p| p.policy_name()).collect();
    assert_eq!(names, [Some("another"), Some("read-users")]);
    let team = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .path_prefix("/team/")
        .send()
        .await
        .unwrap();
    assert_eq!(team.policies().len(), 1);
    assert_eq!(team.policies()[0].arn(), Some(arn.as_str()));
    let page = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(page.is_truncated());
    assert_eq!(page.policies()[0].policy_name(), Some("another"));

    server.kill_and_restart();
    let iam = server.root_iam(A);
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    let e = iam.get_policy().policy_arn(&arn).send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", &format!("Policy {arn} was not found."))
    );
    let e = iam
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", &format!("Policy {arn} was not found."))
    );

    // Validation of names, paths and ARNs.
    let e = iam
        .create_policy()
        .policy_name("bad name")
        .policy_document(&doc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        )
    );
    let e = iam
        .create_policy()
        .policy_name("p")
        .path("/has space/")
        .policy_document(&doc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value '/has space/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/"
        )
    );
    let e = iam
        .get_policy()
        .policy_arn("not-an-arn-at-all-really")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("InvalidInput", "ARN not-an-arn-at-all-really is not valid.")
    );
    let e = iam
        .get_policy()
        .policy_arn("arn:short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            "1 validation error detected: Value 'arn:short' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn versions() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let arn = create_policy(&iam, "versioned", &allow("iam:GetUser")).await;

    for (i, action) in [
        "iam:ListUsers",
        "iam:ListGroups",
        "iam:ListRoles",
        "iam:ListPolicies",
    ]
    .into_iter()
    .enumerate()
    {
        let out = iam
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(allow(action))
            .set_as_default(i == 1)
            .send()
            .await
            .unwrap();
        let v = out.policy_version().unwrap();
        assert_eq!(v.version_id(), Some(format!("v{}", i + 2).as_str()));
        assert_eq!(v.is_default_version(), i == 1);
        assert_eq!(v.document(), None);
    }
    // A sixth is one too many.
    let e = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(allow("iam:ListAccountAliases"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
        )
    );

    // Listed newest first, v3 the default.
    let listed = iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let versions: Vec<(Option<&str>, bool)> = listed
        .versions()
        .iter()
        .map(|v| (v.version_id(), v.is_default_version()))
        .collect();
    assert_eq!(
        versions,
        [
            (Some("v5"), false),
            (Some("v4"), false),
            (Some("v3"), true),
            (Some("v2"), false),
            (Some("v1"), false),
        ]
    );
    let p = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(p.policy().unwrap().default_version_id(), Some("v3"));
    let v3 = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        decode_document(v3.policy_version().unwrap().document().unwrap()),
        allow("iam:ListGroups")
    );

    // The default version cannot be deleted; others can, and ids are not reused.
    let e = iam
        .delete_policy_version()
        .policy_arn(&arn)
        .version_id("v3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete the default version of a policy."
        )
    );
    iam.delete_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let e = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("Policy {arn} version v1 does not exist or is not attachable.")
        )
    );
    let v6 = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(allow("iam:ListAccountAliases"))
        .send()
        .await
        .unwrap();
    assert_eq!(v6.policy_version().unwrap().version_id(), Some("v6"));

    // SetDefaultPolicyVersion.
    iam.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v6")
        .send()
        .await
        .unwrap();
    let p = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(p.policy().unwrap().default_version_id(), Some("v6"));
    let e = iam
        .set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v9")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("Policy {arn} version v9 does not exist or is not attachable.")
        )
    );
    let e = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("version1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'version1' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"
        )
    );

    // A policy with several versions must lose them before it goes.
    let e = iam
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
        )
    );
    for v in ["v2", "v3", "v4", "v5"] {
        iam.delete_policy_version()
            .policy_arn(&arn)
            .version_id(v)
            .send()
            .await
            .unwrap();
    }
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_version_is_what_applies() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "reader").await;
    let arn = create_policy(&iam, "switch", &allow("iam:ListUsers")).await;
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let reader = server.iam_of(&k);
    reader.list_users().send().await.unwrap();
    assert!(reader.list_groups().send().await.is_err());

    iam.create_policy_version()
        .policy_arn(&arn)
        .policy_document(allow("iam:ListGroups"))
        .send()
        .await
        .unwrap();
    // Not yet the default: nothing changes.
    reader.list_users().send().await.unwrap();
    assert!(reader.list_groups().send().await.is_err());
    iam.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .unwrap();
    reader.list_groups().send().await.unwrap();
    let e = reader.list_users().send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_detach_and_entities() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let arn = create_policy(&iam, "shared", &allow("iam:GetUser")).await;
    iam.create_user()
        .user_name("u1")
        .path("/people/")
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("u2").send().await.unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();

    for u in ["u1", "u2"] {
        iam.attach_user_policy()
            .user_name(u)
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
    }
    // Attaching again changes nothing.
    iam.attach_user_policy()
        .user_name("u1")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("g")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r")
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .unwrap();

    let p = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(p.policy().unwrap().attachment_count(), Some(4));

    let attached = iam
        .list_attached_user_policies()
        .user_name("u1")
        .send()
        .await
        .unwrap();
    let pairs: Vec<(Option<&str>, Option<&str>)> = attached
        .attached_policies()
        .iter()
        .map(|a| (a.policy_name(), a.policy_arn()))
        .collect();
    assert_eq!(pairs, [(Some("shared"), Some(arn.as_str()))]);
    let attached = iam
        .list_attached_group_policies()
        .group_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    let attached = iam
        .list_attached_role_policies()
        .role_name("r")
        .send()
        .await
        .unwrap();
    let names: Vec<Option<&str>> = attached
        .attached_policies()
        .iter()
        .map(|a| a.policy_name())
        .collect();
    assert_eq!(names, [Some("shared"), Some("AmazonS3ReadOnlyAccess")]);

    // Who uses it, filtered by entity type and path.
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let users: Vec<Option<&str>> = entities
        .policy_users()
        .iter()
        .map(|u| u.user_name())
        .collect();
    assert_eq!(users, [Some("u1"), Some("u2")]);
    assert!(entities.policy_users()[0]
        .user_id()
        .is_some_and(|id| id.starts_with("AIDA")));
    let groups: Vec<Option<&str>> = entities
        .policy_groups()
        .iter()
        .map(|g| g.group_name())
        .collect();
    assert_eq!(groups, [Some("g")]);
    let roles: Vec<Option<&str>> = entities
        .policy_roles()
        .iter()
        .map(|r| r.role_name())
        .collect();
    assert_eq!(roles, [Some("r")]);
    assert!(entities.policy_roles()[0]
        .role_id()
        .is_some_and(|id| id.starts_with("AROA")));
    let only_roles = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .entity_filter(EntityType::Role)
        .send()
        .await
        .unwrap();
    assert!(only_roles.policy_users().is_empty() && only_roles.policy_groups().is_empty());
    assert_eq!(only_roles.policy_roles().len(), 1);
    let people = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .path_prefix("/people/")
        .send()
        .await
        .unwrap();
    let users: Vec<Option<&str>> = people
        .policy_users()
        .iter()
        .map(|u| u.user_name())
        .collect();
    assert_eq!(users, [Some("u1")]);
    assert!(people.policy_roles().is_empty());
    // AWS managed policies list this account's users of them.
    let s3 = iam
        .list_entities_for_policy()
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    assert_eq!(s3.policy_roles().len(), 1);
    assert!(s3.policy_users().is_empty());

    // Attached policies cannot be deleted.
    let e = iam
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete a policy attached to entities."
        )
    );

    // Errors of attach and detach.
    let missing = "arn:aws:iam::111111111111:policy/missing";
    let e = iam
        .attach_user_policy()
        .user_name("u2")
        .policy_arn(missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("Policy {missing} does not exist or is not attachable.")
        )
    );
    let e = iam
        .attach_user_policy()
        .user_name("ghost")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );
    let e = iam
        .attach_role_policy()
        .role_name("ghost")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The role with name ghost cannot be found.")
    );
    let e = iam
        .detach_group_policy()
        .group_name("g")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found."
        )
    );
    let e = iam
        .attach_user_policy()
        .user_name("u2")
        .policy_arn("policy/shared-but-no-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("InvalidInput", "ARN policy/shared-but-no-arn is not valid.")
    );
    // Another account's customer managed policy is not attachable here.
    let b = server.root_iam("222222222222");
    b.create_user().user_name("u").send().await.unwrap();
    let e = b
        .attach_user_policy()
        .user_name("u")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("Policy {arn} does not exist or is not attachable.")
        )
    );

    // Detach everywhere, then delete.
    for u in ["u1", "u2"] {
        iam.detach_user_policy()
            .user_name(u)
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
    }
    iam.detach_group_policy()
        .group_name("g")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.detach_role_policy()
        .role_name("r")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let e = iam
        .detach_role_policy()
        .role_name("r")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", &format!("Policy {arn} was not found."))
    );
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(entities.policy_users().is_empty());
    assert!(entities.policy_groups().is_empty());
    assert!(entities.policy_roles().is_empty());
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn at_most_ten_attached_policies() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("u").send().await.unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    let mut arns = Vec::new();
    for i in 0..11 {
        arns.push(create_policy(&iam, &format!("p{i:02}"), &allow("iam:GetUser")).await);
    }
    for arn in &arns[..10] {
        iam.attach_user_policy()
            .user_name("u")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
        iam.attach_role_policy()
            .role_name("r")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let e = iam
        .attach_user_policy()
        .user_name("u")
        .policy_arn(&arns[10])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for PoliciesPerUser: 10"
        )
    );
    let e = iam
        .attach_role_policy()
        .role_name("r")
        .policy_arn(&arns[10])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for PoliciesPerRole: 10"
        )
    );
    // Paging through the attached policies.
    let page = iam
        .list_attached_user_policies()
        .user_name("u")
        .max_items(4)
        .send()
        .await
        .unwrap();
    assert_eq!(page.attached_policies().len(), 4);
    assert!(page.is_truncated());
    let all = iam
        .list_attached_user_policies()
        .user_name("u")
        .max_items(4)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_managed_policies() {
    let server = Server::start();
    let iam = server.root_iam(A);

    let listed = iam
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().filter_map(|p| p.policy_name()).collect();
    for required in [
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
        "IAMFullAccess",
        "IAMReadOnlyAccess",
        "AmazonS3FullAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonEC2FullAccess",
        "AmazonEC2ReadOnlyAccess",
    ] {
        assert!(
            names.contains(&required),
            "{required} missing from {names:?}"
        );
        let arn = format!("arn:aws:iam::aws:policy/{required}");
        let p = iam.get_policy().policy_arn(&arn).send().await.unwrap();
        let p = p.policy().unwrap();
        assert_eq!(p.arn(), Some(arn.as_str()));
        assert_eq!(p.path(), Some("/"));
        assert!(p.policy_id().is_some_and(|id| id.starts_with("ANPA")));
        assert!(p.is_attachable());
        let version = p.default_version_id().unwrap().to_owned();
        let v = iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(&version)
            .send()
            .await
            .unwrap();
        let v = v.policy_version().unwrap();
        assert!(v.is_default_version());
        let doc: serde_json::Value =
            serde_json::from_str(&decode_document(v.document().unwrap())).unwrap();
        assert_eq!(doc["Version"], "2012-10-17", "{required}");
    }
    // None of them is the account's own.
    let local = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(local.policies().is_empty());

    // Their real documents.
    let admin = iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let admin = admin.policy().unwrap();
    assert_eq!(admin.policy_id(), Some("ANPAIWMBCKSKIEE64ZLYK"));
    assert_eq!(
        admin.description(),
        Some("Provides full access to AWS services and resources.")
    );
    let v = iam
        .get_policy_version()
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .version_id(admin.default_version_id().unwrap())
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&decode_document(
        v.policy_version().unwrap().document().unwrap(),
    ))
    .unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})
    );
    let ro = iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let v = iam
        .get_policy_version()
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .version_id(ro.policy().unwrap().default_version_id().unwrap())
        .send()
        .await
        .unwrap();
    let text = decode_document(v.policy_version().unwrap().document().unwrap());
    for action in [
        "\"iam:Get*\"",
        "\"iam:List*\"",
        "\"s3:Get*\"",
        "\"ec2:Describe*\"",
    ] {
        assert!(text.contains(action), "ReadOnlyAccess lacks {action}");
    }

    // Attached, it grants what it says: reads, not writes.
    let k = common::user_with_key(&iam, "auditor").await;
    iam.attach_user_policy()
        .user_name("auditor")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let auditor = server.iam_of(&k);
    auditor.list_users().send().await.unwrap();
    auditor
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let e = auditor
        .create_user()
        .user_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111111111111:user/nope because no identity-based policy allows the iam:CreateUser action"
        )
    );
    let p = iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    assert_eq!(p.policy().unwrap().attachment_count(), Some(1));
    let attached = iam
        .list_policies()
        .only_attached(true)
        .send()
        .await
        .unwrap();
    let names: Vec<Option<&str>> = attached
        .policies()
        .iter()
        .map(|p| p.policy_name())
        .collect();
    assert_eq!(names, [Some("ReadOnlyAccess")]);

    // They are AWS's: an account cannot change or delete them.
    assert!(iam
        .create_policy_version()
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .policy_document(allow("iam:GetUser"))
        .send()
        .await
        .is_err());
    assert!(iam
        .delete_policy()
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3FullAccess")
        .send()
        .await
        .is_err());
    let e = iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/NoSuchManagedPolicy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/NoSuchManagedPolicy was not found."
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inline_policies_of_users_groups_and_roles() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("Alice").send().await.unwrap();
    iam.create_group().group_name("Devs").send().await.unwrap();
    iam.create_role()
        .role_name("Worker")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    // Whitespace, newlines, characters that need escaping in XML and in URLs, and Latin-1.
    let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"iam:GetUser\",\n      \"Resource\": \"*\",\n      \"Condition\": {\"StringLike\": {\"aws:UserAgent\": \"a+b & <c> %20 / 'q' caf\u{e9}\"}}\n    }\n  ]\n}";

    iam.put_user_policy()
        .user_name("alice")
        .policy_name("first")
        .policy_document(doc)
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("Alice")
        .policy_name("second")
        .policy_document(allow("iam:ListUsers"))
        .send()
        .await
        .unwrap();
    let got = iam
        .get_user_policy()
        .user_name("ALICE")
        .policy_name("first")
        .send()
        .await
        .unwrap();
    assert_eq!(got.user_name(), "Alice");
    assert_eq!(got.policy_name(), "first");
    assert!(got.policy_document().starts_with("%7B%0A"));
    assert_eq!(decode_document(got.policy_document()), doc);
    let names = iam
        .list_user_policies()
        .user_name("Alice")
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["first", "second"]);

    iam.put_group_policy()
        .group_name("devs")
        .policy_name("g")
        .policy_document(doc)
        .send()
        .await
        .unwrap();
    let got = iam
        .get_group_policy()
        .group_name("devs")
        .policy_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(got.group_name(), "Devs");
    assert_eq!(decode_document(got.policy_document()), doc);
    assert_eq!(
        iam.list_group_policies()
            .group_name("Devs")
            .send()
            .await
            .unwrap()
            .policy_names(),
        ["g"]
    );

    iam.put_role_policy()
        .role_name("worker")
        .policy_name("r")
        .policy_document(doc)
        .send()
        .await
        .unwrap();
    let got = iam
        .get_role_policy()
        .role_name("worker")
        .policy_name("r")
        .send()
        .await
        .unwrap();
    assert_eq!(got.role_name(), "Worker");
    assert_eq!(decode_document(got.policy_document()), doc);

    // Putting again replaces.
    iam.put_role_policy()
        .role_name("Worker")
        .policy_name("r")
        .policy_document(allow("s3:GetObject"))
        .send()
        .await
        .unwrap();
    let got = iam
        .get_role_policy()
        .role_name("Worker")
        .policy_name("r")
        .send()
        .await
        .unwrap();
    assert_eq!(
        decode_document(got.policy_document()),
        allow("s3:GetObject")
    );
    assert_eq!(
        iam.list_role_policies()
            .role_name("Worker")
            .send()
            .await
            .unwrap()
            .policy_names(),
        ["r"]
    );

    // Not found: the policy, and the entity.
    let e = iam
        .get_user_policy()
        .user_name("Alice")
        .policy_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The user policy with name nope cannot be found."
        )
    );
    let e = iam
        .get_group_policy()
        .group_name("Devs")
        .policy_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The group policy with name nope cannot be found."
        )
    );
    let e = iam
        .delete_role_policy()
        .role_name("Worker")
        .policy_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The role policy with name nope cannot be found."
        )
    );
    let e = iam
        .put_user_policy()
        .user_name("ghost")
        .policy_name("p")
        .policy_document(doc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );
    let e = iam
        .list_group_policies()
        .group_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The group with name ghost cannot be found.")
    );
    let e = iam
        .put_role_policy()
        .role_name("ghost")
        .policy_name("p")
        .policy_document(doc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The role with name ghost cannot be found.")
    );
    // Inline policy names: no slashes, stars, question marks, backslashes or spaces.
    let e = iam
        .put_user_policy()
        .user_name("Alice")
        .policy_name("a/b")
        .policy_document(doc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ValidationError");

    // Deleting.
    iam.delete_user_policy()
        .user_name("Alice")
        .policy_name("first")
        .send()
        .await
        .unwrap();
    assert_eq!(
        iam.list_user_policies()
            .user_name("Alice")
            .send()
            .await
            .unwrap()
            .policy_names(),
        ["second"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inline_size_quotas() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("u").send().await.unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();

    // User: 2048 characters in all, whitespace not counted.
    iam.put_user_policy()
        .user_name("u")
        .policy_name("big")
        .policy_document(sized(1500, 3000))
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("u")
        .policy_name("rest")
        .policy_document(sized(548, 0))
        .send()
        .await
        .unwrap();
    let e = iam
        .put_user_policy()
        .user_name("u")
        .policy_name("one-more")
        .policy_document(sized(200, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Maximum policy size of 2048 bytes exceeded for user u"
        )
    );
    // Replacing a policy counts it once; growing it past the quota does not fit.
    iam.put_user_policy()
        .user_name("u")
        .policy_name("rest")
        .policy_document(sized(548, 10))
        .send()
        .await
        .unwrap();
    let e = iam
        .put_user_policy()
        .user_name("u")
        .policy_name("rest")
        .policy_document(sized(549, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "LimitExceeded");

    // Group: 5120.
    iam.put_group_policy()
        .group_name("g")
        .policy_name("all")
        .policy_document(sized(5120, 100))
        .send()
        .await
        .unwrap();
    let e = iam
        .put_group_policy()
        .group_name("g")
        .policy_name("more")
        .policy_document(sized(200, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Maximum policy size of 5120 bytes exceeded for group g"
        )
    );

    // Role: 10240.
    iam.put_role_policy()
        .role_name("r")
        .policy_name("a")
        .policy_document(sized(6000, 0))
        .send()
        .await
        .unwrap();
    let e = iam
        .put_role_policy()
        .role_name("r")
        .policy_name("b")
        .policy_document(sized(4241, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Maximum policy size of 10240 bytes exceeded for role r"
        )
    );
    iam.put_role_policy()
        .role_name("r")
        .policy_name("b")
        .policy_document(sized(4240, 0))
        .send()
        .await
        .unwrap();

    // Managed policies: 6144 per version.
    create_policy(&iam, "at-quota", &sized(6144, 500)).await;
    let e = iam
        .create_policy()
        .policy_name("over")
        .policy_document(sized(6145, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    );
    let e = iam
        .create_policy_version()
        .policy_arn("arn:aws:iam::111111111111:policy/at-quota")
        .policy_document(sized(6145, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_policy_documents() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("u").send().await.unwrap();
    let cases = [
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"iam:GetUser","Resource":"*"}]}"#,
            "Policy document should not specify a principal.",
        ),
        ("this is not json", "Syntax errors in policy."),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            "Policy statement must contain actions.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser"}]}"#,
            "Policy statement must contain resources.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"bucket"}]}"#,
            r#"Resource bucket must be in ARN format or "*"."#,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetUser","Resource":"*"}]}"#,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111111111111:users/Bob"}]}"#,
            r#"IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"has-dash","Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
    ];
    for (doc, message) in cases {
        let expected = err("MalformedPolicyDocument", message);
        let e = iam
            .create_policy()
            .policy_name("p")
            .policy_document(doc)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_code(&e), expected, "CreatePolicy {doc}");
        let e = iam
            .put_user_policy()
            .user_name("u")
            .policy_name("p")
            .policy_document(doc)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err_code(&e), expected, "PutUserPolicy {doc}");
    }
    // A managed policy needs the current version of the policy language.
    let e = iam
        .create_policy()
        .policy_name("p")
        .policy_document(
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "MalformedPolicyDocument",
            "Policy document must be version 2012-10-17 or greater."
        )
    );
    // Nothing was stored.
    let local = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(local.policies().is_empty());
    let inline = iam
        .list_user_policies()
        .user_name("u")
        .send()
        .await
        .unwrap();
    assert!(inline.policy_names().is_empty());
}
