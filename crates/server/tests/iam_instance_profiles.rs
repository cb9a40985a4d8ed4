//! Instance profiles over real HTTP with the AWS SDK for Rust: Create/Get/List/Delete, the one
//! role a profile holds, ListInstanceProfilesForRole, tags, iam:PassRole and delete conflicts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::Tag;
use common::{decode_document, err_code, Server};

const A: &str = "111111111111";

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

async fn role(iam: &aws_sdk_iam::Client, name: &str) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn create_get_list_delete() {
    let mut server = Server::start();
    let iam = server.root_iam(A);

    let created = iam
        .create_instance_profile()
        .instance_profile_name("web")
        .path("/app/")
        .send()
        .await
        .unwrap();
    let p = created.instance_profile().unwrap();
    assert_eq!(p.instance_profile_name(), "web");
    assert_eq!(p.path(), "/app/");
    assert_eq!(
        p.arn(),
        "arn:aws:iam::111111111111:instance-profile/app/web"
    );
    assert!(
        p.instance_profile_id().starts_with("AIPA"),
        "{}",
        p.instance_profile_id()
    );
    assert_eq!(p.instance_profile_id().len(), 21);
    assert!(p.roles().is_empty());

    let got = iam
        .get_instance_profile()
        .instance_profile_name("WEB")
        .send()
        .await
        .unwrap();
    let g = got.instance_profile().unwrap();
    assert_eq!(
        (g.instance_profile_name(), g.instance_profile_id(), g.arn()),
        ("web", p.instance_profile_id(), p.arn())
    );

    // Unique case-insensitively.
    let e = iam
        .create_instance_profile()
        .instance_profile_name("Web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "EntityAlreadyExists",
            "Instance Profile Web already exists."
        )
    );

    for (name, path) in [("batch", "/jobs/"), ("api", "/app/"), ("plain", "/")] {
        iam.create_instance_profile()
            .instance_profile_name(name)
            .path(path)
            .send()
            .await
            .unwrap();
    }
    let names =
        |out: &aws_sdk_iam::operation::list_instance_profiles::ListInstanceProfilesOutput| {
            out.instance_profiles()
                .iter()
                .map(|p| p.instance_profile_name().to_owned())
                .collect::<Vec<_>>()
        };
    let all = iam.list_instance_profiles().send().await.unwrap();
    assert_eq!(names(&all), ["api", "batch", "plain", "web"]);
    let app = iam
        .list_instance_profiles()
        .path_prefix("/app/")
        .send()
        .await
        .unwrap();
    assert_eq!(names(&app), ["api", "web"]);
    let page = iam
        .list_instance_profiles()
        .max_items(3)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&page), ["api", "batch", "plain"]);
    assert!(page.is_truncated());
    let rest = iam
        .list_instance_profiles()
        .max_items(3)
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["web"]);
    assert!(!rest.is_truncated());

    server.kill_and_restart();
    let iam = server.root_iam(A);
    iam.delete_instance_profile()
        .instance_profile_name("web")
        .send()
        .await
        .unwrap();
    for e in [
        err_code(
            &iam.get_instance_profile()
                .instance_profile_name("web")
                .send()
                .await
                .unwrap_err(),
        ),
        err_code(
            &iam.delete_instance_profile()
                .instance_profile_name("web")
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(
            e,
            err("NoSuchEntity", "Instance Profile web cannot be found.")
        );
    }
    let all = iam.list_instance_profiles().send().await.unwrap();
    assert_eq!(names(&all), ["api", "batch", "plain"]);

    // Validation.
    let e = iam
        .create_instance_profile()
        .instance_profile_name("bad name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'bad name' at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        )
    );
    let e = iam
        .create_instance_profile()
        .instance_profile_name("x")
        .path("nopath")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ValidationError");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_role_per_profile() {
    let server = Server::start();
    let iam = server.root_iam(A);
    role(&iam, "app-role").await;
    role(&iam, "other-role").await;
    for p in ["app", "spare"] {
        iam.create_instance_profile()
            .instance_profile_name(p)
            .send()
            .await
            .unwrap();
    }

    iam.add_role_to_instance_profile()
        .instance_profile_name("app")
        .role_name("APP-ROLE")
        .send()
        .await
        .unwrap();
    let got = iam
        .get_instance_profile()
        .instance_profile_name("app")
        .send()
        .await
        .unwrap();
    let roles = got.instance_profile().unwrap().roles();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role_name(), "app-role");
    assert_eq!(roles[0].arn(), "arn:aws:iam::111111111111:role/app-role");
    assert!(roles[0].role_id().starts_with("AROA"));
    assert_eq!(
        decode_document(roles[0].assume_role_policy_document().unwrap()),
        EC2_TRUST
    );

    // A profile holds one role.
    let e = iam
        .add_role_to_instance_profile()
        .instance_profile_name("app")
        .role_name("other-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "LimitExceeded",
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
        )
    );
    // A role may be in several profiles.
    iam.add_role_to_instance_profile()
        .instance_profile_name("spare")
        .role_name("app-role")
        .send()
        .await
        .unwrap();
    let for_role = iam
        .list_instance_profiles_for_role()
        .role_name("app-role")
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = for_role
        .instance_profiles()
        .iter()
        .map(|p| p.instance_profile_name())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["app", "spare"]);
    assert!(for_role
        .instance_profiles()
        .iter()
        .all(|p| p.roles().len() == 1 && p.roles()[0].role_name() == "app-role"));
    let none = iam
        .list_instance_profiles_for_role()
        .role_name("other-role")
        .send()
        .await
        .unwrap();
    assert!(none.instance_profiles().is_empty());
    // Listings show the role too.
    let all = iam.list_instance_profiles().send().await.unwrap();
    assert!(all.instance_profiles().iter().all(|p| p.roles().len() == 1));

    // Errors: a missing role, a missing profile, a role not in the profile.
    let e = iam
        .add_role_to_instance_profile()
        .instance_profile_name("app")
        .role_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The role with name ghost cannot be found.")
    );
    let e = iam
        .add_role_to_instance_profile()
        .instance_profile_name("nope")
        .role_name("app-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "Instance Profile nope cannot be found.")
    );
    let e = iam
        .list_instance_profiles_for_role()
        .role_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The role with name ghost cannot be found.")
    );
    let e = iam
        .remove_role_from_instance_profile()
        .instance_profile_name("app")
        .role_name("other-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The role with name other-role cannot be found."
        )
    );

    // Delete conflicts both ways.
    let e = iam
        .delete_instance_profile()
        .instance_profile_name("app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete entity, must remove roles from instance profile first."
        )
    );
    let e = iam
        .delete_role()
        .role_name("app-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete entity, must remove roles from instance profile first."
        )
    );

    // Removing it makes room for another, and lets the profile go.
    iam.remove_role_from_instance_profile()
        .instance_profile_name("app")
        .role_name("app-role")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("app")
        .role_name("other-role")
        .send()
        .await
        .unwrap();
    iam.remove_role_from_instance_profile()
        .instance_profile_name("app")
        .role_name("other-role")
        .send()
        .await
        .unwrap();
    iam.delete_instance_profile()
        .instance_profile_name("app")
        .send()
        .await
        .unwrap();
    let for_role = iam
        .list_instance_profiles_for_role()
        .role_name("app-role")
        .send()
        .await
        .unwrap();
    assert_eq!(for_role.instance_profiles().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_role_needs_pass_role() {
    let server = Server::start();
    let iam = server.root_iam(A);
    role(&iam, "app-role").await;
    iam.create_instance_profile()
        .instance_profile_name("app")
        .send()
        .await
        .unwrap();
    let k = common::user_with_key(&iam, "ops").await;
    common::allow_user(
        &iam,
        "ops",
        "profiles",
        r#"{"Effect":"Allow","Action":["iam:AddRoleToInstanceProfile","iam:GetInstanceProfile"],"Resource":"*"}"#,
    )
    .await;
    let ops = server.iam_of(&k);
    let e = ops
        .add_role_to_instance_profile()
        .instance_profile_name("app")
        .role_name("app-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/ops is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111111111111:role/app-role because no identity-based policy allows the iam:PassRole action"
        )
    );
    common::allow_user(
        &iam,
        "ops",
        "pass",
        r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111111111111:role/app-role","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}"#,
    )
    .await;
    ops.add_role_to_instance_profile()
        .instance_profile_name("app")
        .role_name("app-role")
        .send()
        .await
        .unwrap();
    let got = ops
        .get_instance_profile()
        .instance_profile_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.instance_profile().unwrap().roles()[0].role_name(),
        "app-role"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tags() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let created = iam
        .create_instance_profile()
        .instance_profile_name("tagged")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = created
        .instance_profile()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(tags, [("team", "blue")]);

    iam.tag_instance_profile()
        .instance_profile_name("tagged")
        .tags(tag("env", "prod"))
        .tags(tag("team", "red"))
        .send()
        .await
        .unwrap();
    let got = iam
        .get_instance_profile()
        .instance_profile_name("tagged")
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(&str, &str)> = got
        .instance_profile()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, [("env", "prod"), ("team", "red")]);

    iam.untag_instance_profile()
        .instance_profile_name("tagged")
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_instance_profile_tags()
        .instance_profile_name("tagged")
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = listed.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("env", "prod")]);

    let e = iam
        .list_instance_profile_tags()
        .instance_profile_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "Instance Profile ghost cannot be found.")
    );
}
