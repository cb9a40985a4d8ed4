//! IAM users over real HTTP with the AWS SDK for Rust: Create/Get/List/Update/Delete, tags,
//! Marker/MaxItems pagination, paths and path prefixes, case-insensitive names, permissions
//! boundaries, validation errors and delete conflicts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::Tag;
use common::{err_code, policy_doc, Server};

const A: &str = "111111111111";

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn create_get_update_delete() {
    let mut server = Server::start();
    let iam = server.root_iam(A);

    let created = iam
        .create_user()
        .user_name("alice")
        .path("/engineering/")
        .send()
        .await
        .unwrap();
    let u = created.user().unwrap();
    assert_eq!(u.user_name(), "alice");
    assert_eq!(u.path(), "/engineering/");
    assert_eq!(u.arn(), "arn:aws:iam::111111111111:user/engineering/alice");
    assert!(u.user_id().starts_with("AIDA"), "{}", u.user_id());
    assert_eq!(u.user_id().len(), 21);
    assert!(u.user_id()[4..]
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    let age = aws_sdk_iam::primitives::DateTime::from(std::time::SystemTime::now()).secs()
        - u.create_date().secs();
    assert!((0..300).contains(&age), "created {age}s ago");
    assert!(u.tags().is_empty());
    assert!(u.permissions_boundary().is_none());

    let got = iam.get_user().user_name("alice").send().await.unwrap();
    let g = got.user().unwrap();
    assert_eq!(
        (g.user_name(), g.user_id(), g.arn(), g.path()),
        (u.user_name(), u.user_id(), u.arn(), u.path())
    );
    assert_eq!(g.create_date(), u.create_date());

    // Unique ids are unique.
    let bob = iam.create_user().user_name("bob").send().await.unwrap();
    let bob = bob.user().unwrap();
    assert_ne!(bob.user_id(), u.user_id());
    assert_eq!(bob.path(), "/");
    assert_eq!(bob.arn(), "arn:aws:iam::111111111111:user/bob");

    // Rename and move: the ARN follows, the id stays, the old name is gone.
    iam.update_user()
        .user_name("alice")
        .new_user_name("alice2")
        .new_path("/ops/")
        .send()
        .await
        .unwrap();
    let e = iam.get_user().user_name("alice").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name alice cannot be found.")
    );
    let moved = iam.get_user().user_name("alice2").send().await.unwrap();
    let m = moved.user().unwrap();
    assert_eq!(m.arn(), "arn:aws:iam::111111111111:user/ops/alice2");
    assert_eq!(m.path(), "/ops/");
    assert_eq!(m.user_id(), u.user_id());

    // State survives a hard restart.
    server.kill_and_restart();
    let iam = server.root_iam(A);
    let after = iam.get_user().user_name("alice2").send().await.unwrap();
    assert_eq!(after.user().unwrap().user_id(), u.user_id());

    iam.delete_user().user_name("alice2").send().await.unwrap();
    let e = iam.get_user().user_name("alice2").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name alice2 cannot be found.")
    );
    let e = iam
        .delete_user()
        .user_name("alice2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name alice2 cannot be found.")
    );
    let e = iam
        .update_user()
        .user_name("ghost")
        .new_path("/x/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );

    // Accounts are separate: the same name in another account is another user.
    let b = server.root_iam("222222222222");
    let e = b.get_user().user_name("bob").send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "NoSuchEntity");
    let b_bob = b.create_user().user_name("bob").send().await.unwrap();
    assert_eq!(
        b_bob.user().unwrap().arn(),
        "arn:aws:iam::222222222222:user/bob"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_user_without_a_name_describes_the_caller() {
    let server = Server::start();
    let iam = server.root_iam(A);

    // The root user: its ARN, and the account id as its id.
    let me = iam.get_user().send().await.unwrap();
    let me = me.user().unwrap();
    assert_eq!(me.arn(), "arn:aws:iam::111111111111:root");
    assert_eq!(me.user_id(), A);

    // An IAM user allowed to read itself.
    let k = common::user_with_key(&iam, "carol").await;
    common::allow_user(
        &iam,
        "carol",
        "self",
        r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111111111111:user/${aws:username}"}"#,
    )
    .await;
    let carol = server.iam_of(&k);
    let me = carol.get_user().send().await.unwrap();
    let me = me.user().unwrap();
    assert_eq!(me.user_name(), "carol");
    assert_eq!(me.arn(), "arn:aws:iam::111111111111:user/carol");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_unique_case_insensitively() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("Bob").send().await.unwrap();

    let e = iam.create_user().user_name("bob").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err("EntityAlreadyExists", "User with name bob already exists.")
    );
    let e = iam
        .create_user()
        .user_name("BOB")
        .path("/elsewhere/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("EntityAlreadyExists", "User with name BOB already exists.")
    );

    // Any spelling finds the user, which keeps its own.
    let got = iam.get_user().user_name("bOb").send().await.unwrap();
    assert_eq!(got.user().unwrap().user_name(), "Bob");
    assert_eq!(
        got.user().unwrap().arn(),
        "arn:aws:iam::111111111111:user/Bob"
    );

    // Renaming onto another user's name (in any case) is refused; changing one's own case is not.
    iam.create_user().user_name("dave").send().await.unwrap();
    let e = iam
        .update_user()
        .user_name("dave")
        .new_user_name("BOB")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("EntityAlreadyExists", "User with name BOB already exists.")
    );
    iam.update_user()
        .user_name("bob")
        .new_user_name("BOB")
        .send()
        .await
        .unwrap();
    let got = iam.get_user().user_name("bob").send().await.unwrap();
    assert_eq!(got.user().unwrap().user_name(), "BOB");
    let all = iam.list_users().send().await.unwrap();
    let names: Vec<&str> = all.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, ["BOB", "dave"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let pattern = r"Member must satisfy regular expression pattern: [\w+=,.@-]+";

    let e = iam
        .create_user()
        .user_name("bad name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: {pattern}")
        )
    );
    let long = "a".repeat(65);
    let e = iam.create_user().user_name(&long).send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value '{long}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64")
        )
    );
    // 64 characters and every allowed punctuation are fine.
    let max = format!("{}+=,.@_-", "a".repeat(57));
    assert_eq!(max.len(), 64);
    iam.create_user().user_name(&max).send().await.unwrap();

    let e = iam
        .create_user()
        .user_name("ok")
        .path("noslash")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'noslash' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
        )
    );
    let e = iam.get_user().user_name("").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            "1 validation error detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    );
    let e = iam
        .update_user()
        .user_name("ok")
        .new_user_name("new/name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value 'new/name' at 'newUserName' failed to satisfy constraint: {pattern}")
        )
    );

    for (max_items, constraint) in [
        (0, "Member must have value greater than or equal to 1"),
        (1001, "Member must have value less than or equal to 1000"),
    ] {
        let e = iam
            .list_users()
            .max_items(max_items)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err(
                "ValidationError",
                &format!("1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy constraint: {constraint}")
            )
        );
    }

    // Nothing invalid was created.
    let all = iam.list_users().send().await.unwrap();
    let names: Vec<&str> = all.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, [max.as_str()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn all_violations_are_reported_together() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let e = iam
        .create_user()
        .user_name("bad name")
        .path("/no-trailing-slash")
        .send()
        .await
        .unwrap_err();
    let (code, message) = err_code(&e);
    assert_eq!(code, "ValidationError");
    assert!(
        message.starts_with("2 validation errors detected: Value 'bad name' at 'userName'"),
        "{message}"
    );
    assert!(
        message.contains("; Value '/no-trailing-slash' at 'path' failed to satisfy constraint"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_with_marker_and_max_items() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let mut expected: Vec<String> = (0..7).map(|i| format!("user-{i}")).collect();
    // Created out of order: listings are alphabetical.
    for name in expected.iter().rev() {
        iam.create_user().user_name(name).send().await.unwrap();
    }
    expected.sort();

    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = iam
            .list_users()
            .max_items(3)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.users().len() <= 3);
        seen.extend(page.users().iter().map(|u| u.user_name().to_owned()));
        if page.is_truncated() {
            assert!(page.marker().is_some_and(|m| !m.is_empty()));
            marker = page.marker().map(str::to_owned);
        } else {
            assert_eq!(page.marker(), None);
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);

    // Without MaxItems, everything fits in one page (the default is 100).
    let all = iam.list_users().send().await.unwrap();
    assert!(!all.is_truncated());
    assert_eq!(all.users().len(), 7);

    // The SDK's paginator follows the markers.
    let names: Vec<String> = iam
        .list_users()
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_name().to_owned())
        .collect();
    assert_eq!(names, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_and_path_prefixes() {
    let server = Server::start();
    let iam = server.root_iam(A);
    for (name, path) in [
        ("root-level", "/"),
        ("dev1", "/division_abc/subdivision_xyz/"),
        ("dev2", "/division_abc/subdivision_xyz/product_1234/"),
        ("sales1", "/division_abc/sales/"),
        ("other", "/division_def/"),
    ] {
        let u = iam
            .create_user()
            .user_name(name)
            .path(path)
            .send()
            .await
            .unwrap();
        assert_eq!(
            u.user().unwrap().arn(),
            format!("arn:aws:iam::111111111111:user{path}{name}")
        );
    }
    let list = |prefix: Option<&'static str>| {
        let iam = iam.clone();
        async move {
            let out = iam
                .list_users()
                .set_path_prefix(prefix.map(str::to_owned))
                .send()
                .await
                .unwrap();
            out.users()
                .iter()
                .map(|u| u.user_name().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(None).await,
        ["dev1", "dev2", "other", "root-level", "sales1"]
    );
    assert_eq!(
        list(Some("/")).await,
        ["dev1", "dev2", "other", "root-level", "sales1"]
    );
    assert_eq!(
        list(Some("/division_abc/")).await,
        ["dev1", "dev2", "sales1"]
    );
    assert_eq!(
        list(Some("/division_abc/subdivision_xyz/")).await,
        ["dev1", "dev2"]
    );
    assert_eq!(
        list(Some("/division_abc/subdivision_xyz/product_1234/")).await,
        ["dev2"]
    );
    assert!(list(Some("/nothing/")).await.is_empty());

    // Moving a user moves it between prefixes.
    iam.update_user()
        .user_name("other")
        .new_path("/division_abc/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        list(Some("/division_abc/")).await,
        ["dev1", "dev2", "other", "sales1"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tags() {
    let server = Server::start();
    let iam = server.root_iam(A);

    let created = iam
        .create_user()
        .user_name("tagged")
        .tags(tag("team", "blue"))
        .tags(tag("cost-center", "42"))
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = created
        .user()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(tags, [("team", "blue"), ("cost-center", "42")]);
    let got = iam.get_user().user_name("tagged").send().await.unwrap();
    assert_eq!(got.user().unwrap().tags().len(), 2);

    // TagUser adds and replaces; UntagUser removes; ListUserTags lists.
    iam.tag_user()
        .user_name("tagged")
        .tags(tag("team", "red"))
        .tags(tag("env", ""))
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_user_tags()
        .user_name("tagged")
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = listed
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("cost-center".to_owned(), "42".to_owned()),
            ("env".to_owned(), String::new()),
            ("team".to_owned(), "red".to_owned()),
        ]
    );
    assert!(!listed.is_truncated());
    iam.untag_user()
        .user_name("tagged")
        .tag_keys("cost-center")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    let listed = iam
        .list_user_tags()
        .user_name("tagged")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<&str> = listed.tags().iter().map(|t| t.key()).collect();
    keys.sort();
    assert_eq!(keys, ["env", "team"]);

    // Paging through tags.
    let page = iam
        .list_user_tags()
        .user_name("tagged")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.tags().len(), 1);
    assert!(page.is_truncated());

    // Tags of a user that does not exist.
    for e in [
        iam.tag_user()
            .user_name("ghost")
            .tags(tag("a", "b"))
            .send()
            .await
            .map(|_| ())
            .unwrap_err()
            .into_service_error()
            .meta()
            .clone(),
        iam.list_user_tags()
            .user_name("ghost")
            .send()
            .await
            .map(|_| ())
            .unwrap_err()
            .into_service_error()
            .meta()
            .clone(),
    ] {
        assert_eq!(e.code(), Some("NoSuchEntity"));
        assert_eq!(
            e.message(),
            Some("The user with name ghost cannot be found.")
        );
    }

    // Validation: duplicate keys (case-insensitively), lengths, at most 50 tags.
    let e = iam
        .create_user()
        .user_name("dup")
        .tags(tag("Team", "a"))
        .tags(tag("team", "b"))
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
    let long_value = "v".repeat(257);
    let e = iam
        .tag_user()
        .user_name("tagged")
        .tags(tag("k", &long_value))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value '{long_value}' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
        )
    );
    let long_key = "k".repeat(129);
    let e = iam
        .tag_user()
        .user_name("tagged")
        .tags(tag(&long_key, "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value '{long_key}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128")
        )
    );
    let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let e = iam
        .create_user()
        .user_name("many")
        .set_tags(Some(many.clone()))
        .send()
        .await
        .unwrap_err();
    let (code, message) = err_code(&e);
    assert_eq!(code, "ValidationError");
    assert!(
        message.starts_with("1 validation error detected: Value '")
            && message.ends_with(
                "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
            ),
        "{message}"
    );
    // 50 are fine; one more through TagUser exceeds the quota.
    iam.create_user()
        .user_name("many")
        .set_tags(Some(many[..50].to_vec()))
        .send()
        .await
        .unwrap();
    let e = iam
        .tag_user()
        .user_name("many")
        .tags(tag("one-more", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "LimitExceeded");
    // Replacing an existing tag's value is not one more.
    iam.tag_user()
        .user_name("many")
        .tags(tag("k0", "new"))
        .send()
        .await
        .unwrap();
    let listed = iam.list_user_tags().user_name("many").send().await.unwrap();
    assert_eq!(listed.tags().len(), 50);
    assert!(listed
        .tags()
        .iter()
        .any(|t| t.key() == "k0" && t.value() == "new"));
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_conflicts() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("busy").send().await.unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    let policy = iam
        .create_policy()
        .policy_name("p")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let policy_arn = policy.policy().unwrap().arn().unwrap().to_owned();

    let key = common::new_key(&iam, "busy").await;
    common::allow_user(
        &iam,
        "busy",
        "inline",
        r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}"#,
    )
    .await;
    iam.attach_user_policy()
        .user_name("busy")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("g")
        .user_name("busy")
        .send()
        .await
        .unwrap();

    let delete = || iam.delete_user().user_name("busy").send();
    let conflict = |m: &str| err("DeleteConflict", m);

    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must delete access keys first.")
    );
    iam.delete_access_key()
        .user_name("busy")
        .access_key_id(&key.id)
        .send()
        .await
        .unwrap();

    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must delete policies first.")
    );
    iam.delete_user_policy()
        .user_name("busy")
        .policy_name("inline")
        .send()
        .await
        .unwrap();

    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must detach all policies first.")
    );
    iam.detach_user_policy()
        .user_name("busy")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();

    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        conflict("Cannot delete entity, must remove users from group first.")
    );
    iam.remove_user_from_group()
        .group_name("g")
        .user_name("busy")
        .send()
        .await
        .unwrap();

    // Each refusal left the user whole; now it goes.
    iam.get_user().user_name("busy").send().await.unwrap();
    delete().await.unwrap();
    assert!(iam.list_users().send().await.unwrap().users().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn permissions_boundaries() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let boundary = iam
        .create_policy()
        .policy_name("boundary")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let boundary_arn = boundary.policy().unwrap().arn().unwrap().to_owned();

    // At creation, and with Put; an AWS managed policy is a boundary too.
    iam.create_user()
        .user_name("bounded")
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("later").send().await.unwrap();
    iam.put_user_permissions_boundary()
        .user_name("later")
        .permissions_boundary("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let boundary_of = |user: &'static str| {
        let iam = iam.clone();
        async move {
            let d = iam
                .get_account_authorization_details()
                .filter(aws_sdk_iam::types::EntityType::User)
                .send()
                .await
                .unwrap();
            d.user_detail_list()
                .iter()
                .find(|u| u.user_name() == Some(user))
                .unwrap()
                .permissions_boundary()
                .map(|b| {
                    assert_eq!(
                        b.permissions_boundary_type().map(|t| t.as_str()),
                        Some("PermissionsBoundaryPolicy")
                    );
                    b.permissions_boundary_arn().unwrap().to_owned()
                })
        }
    };
    assert_eq!(boundary_of("bounded").await, Some(boundary_arn.clone()));
    assert_eq!(
        boundary_of("later").await.as_deref(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    // The policy counts its use as a boundary, and lists who uses it so.
    let p = iam
        .get_policy()
        .policy_arn(&boundary_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.policy().unwrap().permissions_boundary_usage_count(),
        Some(1)
    );
    assert_eq!(p.policy().unwrap().attachment_count(), Some(0));
    let users = iam
        .list_entities_for_policy()
        .policy_arn(&boundary_arn)
        .policy_usage_filter(aws_sdk_iam::types::PolicyUsageType::PermissionsBoundary)
        .send()
        .await
        .unwrap();
    let names: Vec<Option<&str>> = users.policy_users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, [Some("bounded")]);

    iam.delete_user_permissions_boundary()
        .user_name("later")
        .send()
        .await
        .unwrap();
    assert_eq!(boundary_of("later").await, None);

    // A boundary that does not exist.
    let missing = "arn:aws:iam::111111111111:policy/nope";
    let e = iam
        .put_user_permissions_boundary()
        .user_name("later")
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
        .create_user()
        .user_name("never")
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
    assert_eq!(
        err_code(&iam.get_user().user_name("never").send().await.unwrap_err()).0,
        "NoSuchEntity"
    );
    let e = iam
        .put_user_permissions_boundary()
        .user_name("ghost")
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_user_shows_the_permissions_boundary() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let created = iam
        .create_user()
        .user_name("bounded")
        .permissions_boundary("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let b = created.user().unwrap().permissions_boundary().unwrap();
    assert_eq!(
        b.permissions_boundary_arn(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(
        b.permissions_boundary_type().map(|t| t.as_str()),
        Some("PermissionsBoundaryPolicy")
    );
    let got = iam.get_user().user_name("bounded").send().await.unwrap();
    assert_eq!(
        got.user()
            .unwrap()
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    iam.delete_user_permissions_boundary()
        .user_name("bounded")
        .send()
        .await
        .unwrap();
    let got = iam.get_user().user_name("bounded").send().await.unwrap();
    assert!(got.user().unwrap().permissions_boundary().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_user_keeps_its_keys_and_policies() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "old-name").await;
    // (At a path, ${aws:username} alone no longer names the user's ARN.)
    common::allow_user(
        &iam,
        "old-name",
        "self",
        r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111111111111:user/*/${aws:username}"}"#,
    )
    .await;
    iam.update_user()
        .user_name("old-name")
        .new_user_name("new-name")
        .new_path("/moved/")
        .send()
        .await
        .unwrap();
    let me = server
        .sts_of(&k)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:iam::111111111111:user/moved/new-name")
    );
    let got = server.iam_of(&k).get_user().send().await.unwrap();
    assert_eq!(got.user().unwrap().user_name(), "new-name");
    let keys = iam
        .list_access_keys()
        .user_name("new-name")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.access_key_metadata()[0].access_key_id(),
        Some(k.id.as_str())
    );
    let policies = iam
        .list_user_policies()
        .user_name("new-name")
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names(), ["self"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_policies_follow_a_renamed_user() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "dev").await;
    common::allow_user(
        &iam,
        "dev",
        "assume",
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
    )
    .await;
    iam.create_role()
        .role_name("target")
        .assume_role_policy_document(policy_doc(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/dev"},"Action":"sts:AssumeRole"}"#,
        ))
        .send()
        .await
        .unwrap();
    iam.update_user()
        .user_name("dev")
        .new_user_name("developer")
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name("target").send().await.unwrap();
    let text = common::decode_document(got.role().unwrap().assume_role_policy_document().unwrap());
    assert!(
        text.contains("arn:aws:iam::111111111111:user/developer"),
        "{text}"
    );
    server
        .sts_of(&k)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/target")
        .role_session_name("renamed")
        .send()
        .await
        .unwrap();
    // A new user under the old name is not the principal.
    let namesake = common::user_with_key(&iam, "dev").await;
    common::allow_user(
        &iam,
        "dev",
        "assume",
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
    )
    .await;
    let e = server
        .sts_of(&namesake)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/target")
        .role_session_name("namesake")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_validates_the_path_prefix() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let e = iam
        .list_users()
        .path_prefix("noslash")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'noslash' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*"
        )
    );
}
