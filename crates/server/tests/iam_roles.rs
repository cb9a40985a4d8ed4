//! IAM roles over real HTTP with the AWS SDK for Rust: Create/Get/List/Update/Delete, trust
//! policies (principals that must exist, the size quota, a deleted principal turned into its
//! unique id), tags, permissions boundaries, validation and delete conflicts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::Tag;
use common::{decode_document, err_code, policy_doc, Server};

const A: &str = "111111111111";
const B: &str = "222222222222";

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn trust_aws(principal: &str) -> String {
    policy_doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}"#
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn create_get_list_update_delete() {
    let mut server = Server::start();
    let iam = server.root_iam(A);
    // Sent with its whitespace: returned exactly so.
    let trust = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"Service\": \"ec2.amazonaws.com\"},\n    \"Action\": \"sts:AssumeRole\"\n  }]\n}";

    let created = iam
        .create_role()
        .role_name("web")
        .path("/app/")
        .description("The web tier & its friends")
        .max_session_duration(7200)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let r = created.role().unwrap();
    assert_eq!(r.role_name(), "web");
    assert_eq!(r.path(), "/app/");
    assert_eq!(r.arn(), "arn:aws:iam::111111111111:role/app/web");
    assert!(r.role_id().starts_with("AROA"), "{}", r.role_id());
    assert_eq!(r.role_id().len(), 21);
    assert_eq!(r.description(), Some("The web tier & its friends"));
    assert_eq!(r.max_session_duration(), Some(7200));
    let encoded = r.assume_role_policy_document().unwrap();
    assert!(encoded.starts_with("%7B"), "{encoded}");
    assert_eq!(decode_document(encoded), trust);

    let got = iam.get_role().role_name("WEB").send().await.unwrap();
    let g = got.role().unwrap();
    assert_eq!(
        (g.role_name(), g.role_id(), g.arn()),
        ("web", r.role_id(), r.arn())
    );
    assert_eq!(
        decode_document(g.assume_role_policy_document().unwrap()),
        trust
    );
    assert_eq!(g.max_session_duration(), Some(7200));
    assert!(g.permissions_boundary().is_none());
    assert!(g.tags().is_empty());

    // Defaults: path /, one hour, no description.
    let plain = iam
        .create_role()
        .role_name("plain")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    let p = plain.role().unwrap();
    assert_eq!(p.path(), "/");
    assert_eq!(p.arn(), "arn:aws:iam::111111111111:role/plain");
    assert_eq!(p.max_session_duration(), Some(3600));
    assert_eq!(p.description(), None);

    // Listing, by path and by page.
    iam.create_role()
        .role_name("worker")
        .path("/app/")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    let names = |out: &aws_sdk_iam::operation::list_roles::ListRolesOutput| {
        out.roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect::<Vec<_>>()
    };
    let all = iam.list_roles().send().await.unwrap();
    assert_eq!(names(&all), ["plain", "web", "worker"]);
    let listed_web = &all.roles()[1];
    assert_eq!(
        decode_document(listed_web.assume_role_policy_document().unwrap()),
        trust
    );
    assert_eq!(listed_web.description(), Some("The web tier & its friends"));
    let app = iam.list_roles().path_prefix("/app/").send().await.unwrap();
    assert_eq!(names(&app), ["web", "worker"]);
    let page = iam.list_roles().max_items(2).send().await.unwrap();
    assert_eq!(names(&page), ["plain", "web"]);
    assert!(page.is_truncated());
    let rest = iam
        .list_roles()
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["worker"]);

    // UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy.
    iam.update_role()
        .role_name("web")
        .description("Web")
        .max_session_duration(43200)
        .send()
        .await
        .unwrap();
    let described = iam
        .update_role_description()
        .role_name("plain")
        .description("Plain role")
        .send()
        .await
        .unwrap();
    assert_eq!(described.role().unwrap().description(), Some("Plain role"));
    assert_eq!(described.role().unwrap().role_name(), "plain");
    let new_trust = trust_aws("arn:aws:iam::111111111111:root");
    iam.update_assume_role_policy()
        .role_name("web")
        .policy_document(&new_trust)
        .send()
        .await
        .unwrap();

    server.kill_and_restart();
    let iam = server.root_iam(A);
    let got = iam.get_role().role_name("web").send().await.unwrap();
    let g = got.role().unwrap();
    assert_eq!(g.description(), Some("Web"));
    assert_eq!(g.max_session_duration(), Some(43200));
    assert_eq!(
        decode_document(g.assume_role_policy_document().unwrap()),
        new_trust
    );
    let got = iam.get_role().role_name("plain").send().await.unwrap();
    assert_eq!(got.role().unwrap().description(), Some("Plain role"));

    // Names are unique case-insensitively; a missing role is named in the error.
    let e = iam
        .create_role()
        .role_name("Web")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("EntityAlreadyExists", "Role with name Web already exists.")
    );
    iam.delete_role().role_name("web").send().await.unwrap();
    for e in [
        err_code(&iam.get_role().role_name("web").send().await.unwrap_err()),
        err_code(&iam.delete_role().role_name("web").send().await.unwrap_err()),
        err_code(
            &iam.update_role()
                .role_name("web")
                .description("x")
                .send()
                .await
                .unwrap_err(),
        ),
        err_code(
            &iam.update_assume_role_policy()
                .role_name("web")
                .policy_document(EC2_TRUST)
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(
            e,
            err("NoSuchEntity", "The role with name web cannot be found.")
        );
    }
    assert_eq!(
        names(&iam.list_roles().send().await.unwrap()),
        ["plain", "worker"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let create = |name: &str| {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(EC2_TRUST)
    };

    let e = create("bad name").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        )
    );
    let long = "r".repeat(65);
    let e = create(&long).send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value '{long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64")
        )
    );
    for (value, constraint) in [
        (3599, "Member must have value greater than or equal to 3600"),
        (43201, "Member must have value less than or equal to 43200"),
    ] {
        let e = create("r")
            .max_session_duration(value)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err(
                "ValidationError",
                &format!("1 validation error detected: Value '{value}' at 'maxSessionDuration' failed to satisfy constraint: {constraint}")
            )
        );
    }
    let long_description = "d".repeat(1001);
    let e = create("r")
        .description(&long_description)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value '{long_description}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
        )
    );
    let e = create("r").path("app").send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "ValidationError");

    // Trust policy grammar, with IAM's texts.
    let cases = [
        ("not json", "Syntax errors in policy."),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
            "Missing required field Principal",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
            "Has prohibited field Resource",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject"}]}"#,
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/x/*"},"Action":"sts:AssumeRole"}]}"#,
            r#"Invalid principal in policy: "AWS":"arn:aws:sts::111111111111:assumed-role/x/*""#,
        ),
    ];
    for (doc, message) in cases {
        let e = iam
            .create_role()
            .role_name("r")
            .assume_role_policy_document(doc)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err("MalformedPolicyDocument", message),
            "{doc}"
        );
    }
    assert!(iam.list_roles().send().await.unwrap().roles().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_policy_principals_must_exist() {
    let server = Server::start();
    let iam = server.root_iam(A);
    // Account B exists once its root has been seen.
    server.root_iam(B).list_roles().send().await.unwrap();
    iam.create_user().user_name("dev").send().await.unwrap();
    iam.create_role()
        .role_name("existing")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();

    for missing in [
        "arn:aws:iam::111111111111:user/nobody",
        "arn:aws:iam::111111111111:role/NonExistent",
        "arn:aws:iam::222222222222:user/dev",
        "arn:aws:iam::999999999999:root",
    ] {
        let e = iam
            .create_role()
            .role_name("r")
            .assume_role_policy_document(trust_aws(missing))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err(
                "MalformedPolicyDocument",
                &format!(r#"Invalid principal in policy: "AWS":"{missing}""#)
            )
        );
        let e = iam
            .update_assume_role_policy()
            .role_name("existing")
            .policy_document(trust_aws(missing))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err(
                "MalformedPolicyDocument",
                &format!(r#"Invalid principal in policy: "AWS":"{missing}""#)
            )
        );
    }
    // The trust policy was left as it was.
    let got = iam.get_role().role_name("existing").send().await.unwrap();
    assert_eq!(
        decode_document(got.role().unwrap().assume_role_policy_document().unwrap()),
        EC2_TRUST
    );

    // Principals that exist: users, roles, account roots (by ARN or id), services, "*".
    for (i, present) in [
        "arn:aws:iam::111111111111:user/dev",
        "arn:aws:iam::111111111111:role/existing",
        "arn:aws:iam::222222222222:root",
        "222222222222",
        "*",
    ]
    .into_iter()
    .enumerate()
    {
        iam.create_role()
            .role_name(format!("ok{i}"))
            .assume_role_policy_document(trust_aws(present))
            .send()
            .await
            .unwrap();
    }
    // The user part of a principal ARN is case-sensitive.
    let e = iam
        .create_role()
        .role_name("r")
        .assume_role_policy_document(trust_aws("arn:aws:iam::111111111111:user/DEV"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "MalformedPolicyDocument",
            r#"Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:user/DEV""#
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_policy_size_quota() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let with_external_id = |id: &str, indent: usize| {
        let pad = " ".repeat(indent);
        format!(
            "{{{pad}\"Version\":{pad}\"2012-10-17\",{pad}\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"ec2.amazonaws.com\"}},\"Action\":\"sts:AssumeRole\",\"Condition\":{{\"StringEquals\":{{\"sts:ExternalId\":\"{id}\"}}}}}}]}}"
        )
    };
    let base = with_external_id("", 0).len();
    // Exactly 2048 characters, then with 3000 spaces that do not count.
    let at_quota = with_external_id(&"x".repeat(2048 - base), 0);
    assert_eq!(at_quota.len(), 2048);
    iam.create_role()
        .role_name("at-quota")
        .assume_role_policy_document(&at_quota)
        .send()
        .await
        .unwrap();
    let padded = with_external_id(&"x".repeat(2048 - base), 1000);
    iam.create_role()
        .role_name("padded")
        .assume_role_policy_document(&padded)
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name("padded").send().await.unwrap();
    assert_eq!(
        decode_document(got.role().unwrap().assume_role_policy_document().unwrap()),
        padded
    );

    let over = with_external_id(&"x".repeat(2049 - base), 0);
    let e = iam
        .create_role()
        .role_name("over")
        .assume_role_policy_document(&over)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for ACLSizePerRole: 2048"
        )
    );
    let e = iam
        .update_assume_role_policy()
        .role_name("at-quota")
        .policy_document(&over)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for ACLSizePerRole: 2048"
        )
    );
    let summary = iam.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary
            .summary_map()
            .unwrap()
            .get(&aws_sdk_iam::types::SummaryKeyType::AssumeRolePolicySizeQuota),
        Some(&2048)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tags() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let created = iam
        .create_role()
        .role_name("tagged")
        .assume_role_policy_document(EC2_TRUST)
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = created
        .role()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(tags, [("team", "blue")]);

    iam.tag_role()
        .role_name("tagged")
        .tags(tag("team", "red"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name("tagged").send().await.unwrap();
    let mut tags: Vec<(&str, &str)> = got
        .role()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, [("env", "prod"), ("team", "red")]);

    iam.untag_role()
        .role_name("tagged")
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_role_tags()
        .role_name("tagged")
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = listed.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("env", "prod")]);
    assert!(!listed.is_truncated());

    let e = iam
        .tag_role()
        .role_name("ghost")
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The role with name ghost cannot be found.")
    );
    let e = iam
        .tag_role()
        .role_name("tagged")
        .tags(tag("Env", "a"))
        .tags(tag("env", "b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    );
    let e = iam
        .untag_role()
        .role_name("tagged")
        .tag_keys("")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            "1 validation error detected: Value '' at 'tagKeys.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn permissions_boundaries() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let boundary = iam
        .create_policy()
        .policy_name("role-boundary")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let boundary_arn = boundary.policy().unwrap().arn().unwrap().to_owned();

    let created = iam
        .create_role()
        .role_name("bounded")
        .assume_role_policy_document(EC2_TRUST)
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap();
    let b = created.role().unwrap().permissions_boundary().unwrap();
    assert_eq!(b.permissions_boundary_arn(), Some(boundary_arn.as_str()));
    assert_eq!(
        b.permissions_boundary_type().map(|t| t.as_str()),
        Some("PermissionsBoundaryPolicy")
    );

    iam.create_role()
        .role_name("later")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_permissions_boundary()
        .role_name("later")
        .permissions_boundary("arn:aws:iam::aws:policy/PowerUserAccess")
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name("later").send().await.unwrap();
    assert_eq!(
        got.role()
            .unwrap()
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    // Replaced by another.
    iam.put_role_permissions_boundary()
        .role_name("later")
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap();
    let p = iam
        .get_policy()
        .policy_arn(&boundary_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.policy().unwrap().permissions_boundary_usage_count(),
        Some(2)
    );
    // A policy in use as a boundary cannot be deleted.
    let e = iam
        .delete_policy()
        .policy_arn(&boundary_arn)
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

    iam.delete_role_permissions_boundary()
        .role_name("later")
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name("later").send().await.unwrap();
    assert!(got.role().unwrap().permissions_boundary().is_none());

    let missing = "arn:aws:iam::111111111111:policy/missing";
    let e = iam
        .put_role_permissions_boundary()
        .role_name("later")
        .permissions_boundary(missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("Scope ARN: {missing} does not exist or is not attachable.")
        )
    );
    let e = iam
        .create_role()
        .role_name("never")
        .assume_role_policy_document(EC2_TRUST)
        .permissions_boundary(missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            &format!("Scope ARN: {missing} does not exist or is not attachable.")
        )
    );
    let e = iam
        .put_role_permissions_boundary()
        .role_name("ghost")
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The role with name ghost cannot be found.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_conflicts() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_role()
        .role_name("busy")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("busy")
        .policy_name("inline")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name("busy-profile")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("busy-profile")
        .role_name("busy")
        .send()
        .await
        .unwrap();

    let delete = || iam.delete_role().role_name("busy").send();
    let conflict = |m: &str| err("DeleteConflict", m);
    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must delete policies first.")
    );
    iam.delete_role_policy()
        .role_name("busy")
        .policy_name("inline")
        .send()
        .await
        .unwrap();
    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must detach all policies first.")
    );
    iam.detach_role_policy()
        .role_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must remove roles from instance profile first.")
    );
    iam.remove_role_from_instance_profile()
        .instance_profile_name("busy-profile")
        .role_name("busy")
        .send()
        .await
        .unwrap();
    delete().await.unwrap();
    assert!(iam.list_roles().send().await.unwrap().roles().is_empty());
}

/// Sets up user `name` in account A with a key and the right to assume any role.
async fn assumer(server: &Server, name: &str) -> common::Keys {
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, name).await;
    common::allow_user(
        &iam,
        name,
        "assume",
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
    )
    .await;
    k
}

/// Deletes an IAM user with everything `assumer` gave it.
async fn delete_assumer(iam: &aws_sdk_iam::Client, name: &str, key: &common::Keys) {
    iam.delete_access_key()
        .user_name(name)
        .access_key_id(&key.id)
        .send()
        .await
        .unwrap();
    iam.delete_user_policy()
        .user_name(name)
        .policy_name("assume")
        .send()
        .await
        .unwrap();
    iam.delete_user().user_name(name).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_principal_becomes_its_unique_id() {
    let mut server = Server::start();
    let a = server.root_iam(A);
    let b = server.root_iam(B);
    let dev = assumer(&server, "dev").await;
    let dev_id = a
        .get_user()
        .user_name("dev")
        .send()
        .await
        .unwrap()
        .user()
        .unwrap()
        .user_id()
        .to_owned();
    let dev_arn = "arn:aws:iam::111111111111:user/dev";
    // A role in the same account and one in account B trust dev by ARN.
    let trust = trust_aws(dev_arn);
    a.create_role()
        .role_name("same-account")
        .assume_role_policy_document(&trust)
        .send()
        .await
        .unwrap();
    b.create_role()
        .role_name("cross-account")
        .assume_role_policy_document(&trust)
        .send()
        .await
        .unwrap();
    let roles = [
        (
            &a,
            "same-account",
            "arn:aws:iam::111111111111:role/same-account",
        ),
        (
            &b,
            "cross-account",
            "arn:aws:iam::222222222222:role/cross-account",
        ),
    ];
    for (_, _, arn) in roles {
        server
            .sts_of(&dev)
            .assume_role()
            .role_arn(arn)
            .role_session_name("before")
            .send()
            .await
            .unwrap();
    }

    // After a restart account B is not read until used: the rewrite finds its role through
    // the store's index of trust policy principals.
    assert!(server.stop_and_restart().success());
    let (a, b) = (server.root_iam(A), server.root_iam(B));
    let roles = [(&a, roles[0].1, roles[0].2), (&b, roles[1].1, roles[1].2)];
    delete_assumer(&a, "dev", &dev).await;
    for (iam, name, _) in roles {
        let got = iam.get_role().role_name(name).send().await.unwrap();
        let text = decode_document(got.role().unwrap().assume_role_policy_document().unwrap());
        assert_eq!(text, trust_aws(&dev_id), "{name}");
        assert!(!text.contains(dev_arn));
    }

    // A new user of the same name is another principal: the trust policy does not allow it.
    let namesake = assumer(&server, "dev").await;
    let new_id = a
        .get_user()
        .user_name("dev")
        .send()
        .await
        .unwrap()
        .user()
        .unwrap()
        .user_id()
        .to_owned();
    assert_ne!(new_id, dev_id);
    for (_, _, arn) in roles {
        let e = server
            .sts_of(&namesake)
            .assume_role()
            .role_arn(arn)
            .role_session_name("after")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err(
                "AccessDenied",
                &format!("User: {dev_arn} is not authorized to perform: sts:AssumeRole on resource: {arn} because no role trust policy allows the sts:AssumeRole action")
            )
        );
    }
    // Naming it again (edited by its owner) restores access.
    a.update_assume_role_policy()
        .role_name("same-account")
        .policy_document(&trust)
        .send()
        .await
        .unwrap();
    server
        .sts_of(&namesake)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/same-account")
        .role_session_name("again")
        .send()
        .await
        .unwrap();
    // A policy that still holds the old id is saved as it is.
    b.update_assume_role_policy()
        .role_name("cross-account")
        .policy_document(trust_aws(&dev_id))
        .send()
        .await
        .unwrap();
}

/// Assumes role `hop` as the user, then role `target` from that session.
async fn chain(
    server: &Server,
    k: &common::Keys,
) -> Result<
    aws_sdk_sts::operation::assume_role::AssumeRoleOutput,
    aws_sdk_sts::error::SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>,
> {
    let hop = server
        .sts_of(k)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/hop")
        .role_session_name("hop")
        .send()
        .await
        .unwrap();
    let c = hop.credentials().unwrap();
    server
        .sts(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token()),
        )
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/target")
        .role_session_name("target")
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_role_principal_becomes_its_unique_id() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = assumer(&server, "dev").await;
    let trust_dev = trust_aws("arn:aws:iam::111111111111:user/dev");
    let first = iam
        .create_role()
        .role_name("hop")
        .assume_role_policy_document(&trust_dev)
        .send()
        .await
        .unwrap();
    let hop_id = first.role().unwrap().role_id().to_owned();
    iam.put_role_policy()
        .role_name("hop")
        .policy_name("assume")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let hop_arn = "arn:aws:iam::111111111111:role/hop";
    iam.create_role()
        .role_name("target")
        .assume_role_policy_document(trust_aws(hop_arn))
        .send()
        .await
        .unwrap();

    chain(&server, &k).await.unwrap();

    iam.delete_role_policy()
        .role_name("hop")
        .policy_name("assume")
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name("hop").send().await.unwrap();
    let got = iam.get_role().role_name("target").send().await.unwrap();
    assert_eq!(
        decode_document(got.role().unwrap().assume_role_policy_document().unwrap()),
        trust_aws(&hop_id)
    );

    // Re-created under the same name: a new id, and no access through the old trust policy.
    let second = iam
        .create_role()
        .role_name("hop")
        .assume_role_policy_document(&trust_dev)
        .send()
        .await
        .unwrap();
    assert_ne!(second.role().unwrap().role_id(), hop_id);
    iam.put_role_policy()
        .role_name("hop")
        .policy_name("assume")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let e = chain(&server, &k).await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:sts::111111111111:assumed-role/hop/hop is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/target because no role trust policy allows the sts:AssumeRole action"
        )
    );
}
