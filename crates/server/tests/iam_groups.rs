//! IAM groups over real HTTP with the AWS SDK for Rust: Create/Get/List/Update/Delete,
//! membership, group policies granting access to members, limits and delete conflicts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{err_code, policy_doc, Server};

const A: &str = "111111111111";

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

async fn group_members(iam: &aws_sdk_iam::Client, group: &str) -> Vec<String> {
    let out = iam.get_group().group_name(group).send().await.unwrap();
    out.users()
        .iter()
        .map(|u| u.user_name().to_owned())
        .collect()
}

async fn groups_of(iam: &aws_sdk_iam::Client, user: &str) -> Vec<String> {
    let out = iam
        .list_groups_for_user()
        .user_name(user)
        .send()
        .await
        .unwrap();
    out.groups()
        .iter()
        .map(|g| g.group_name().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_get_list_update_delete() {
    let mut server = Server::start();
    let iam = server.root_iam(A);

    let created = iam
        .create_group()
        .group_name("Admins")
        .path("/ops/")
        .send()
        .await
        .unwrap();
    let g = created.group().unwrap();
    assert_eq!(g.group_name(), "Admins");
    assert_eq!(g.path(), "/ops/");
    assert_eq!(g.arn(), "arn:aws:iam::111111111111:group/ops/Admins");
    assert!(g.group_id().starts_with("AGPA"), "{}", g.group_id());
    assert_eq!(g.group_id().len(), 21);

    let got = iam.get_group().group_name("admins").send().await.unwrap();
    let gg = got.group().unwrap();
    assert_eq!((gg.group_name(), gg.group_id()), ("Admins", g.group_id()));
    assert!(got.users().is_empty());
    assert!(!got.is_truncated());

    // Names are unique case-insensitively.
    let e = iam
        .create_group()
        .group_name("ADMINS")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "EntityAlreadyExists",
            "Group with name ADMINS already exists."
        )
    );

    for (name, path) in [("devs", "/eng/"), ("qa", "/eng/"), ("all", "/")] {
        iam.create_group()
            .group_name(name)
            .path(path)
            .send()
            .await
            .unwrap();
    }
    let names = |out: &aws_sdk_iam::operation::list_groups::ListGroupsOutput| {
        out.groups()
            .iter()
            .map(|g| g.group_name().to_owned())
            .collect::<Vec<_>>()
    };
    let all = iam.list_groups().send().await.unwrap();
    assert_eq!(names(&all), ["Admins", "all", "devs", "qa"]);
    let eng = iam.list_groups().path_prefix("/eng/").send().await.unwrap();
    assert_eq!(names(&eng), ["devs", "qa"]);
    let page = iam.list_groups().max_items(3).send().await.unwrap();
    assert_eq!(names(&page), ["Admins", "all", "devs"]);
    assert!(page.is_truncated());
    let rest = iam
        .list_groups()
        .max_items(3)
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["qa"]);
    assert!(!rest.is_truncated());

    // Rename and move.
    iam.update_group()
        .group_name("qa")
        .new_group_name("testers")
        .new_path("/quality/")
        .send()
        .await
        .unwrap();
    let e = iam.get_group().group_name("qa").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The group with name qa cannot be found.")
    );
    let t = iam.get_group().group_name("testers").send().await.unwrap();
    assert_eq!(
        t.group().unwrap().arn(),
        "arn:aws:iam::111111111111:group/quality/testers"
    );
    let e = iam
        .update_group()
        .group_name("testers")
        .new_group_name("Devs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "EntityAlreadyExists",
            "Group with name Devs already exists."
        )
    );

    server.kill_and_restart();
    let iam = server.root_iam(A);
    iam.delete_group()
        .group_name("testers")
        .send()
        .await
        .unwrap();
    let e = iam
        .delete_group()
        .group_name("testers")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The group with name testers cannot be found."
        )
    );
    let all = iam.list_groups().send().await.unwrap();
    assert_eq!(names(&all), ["Admins", "all", "devs"]);

    // Validation.
    let e = iam
        .create_group()
        .group_name("bad group")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            r"1 validation error detected: Value 'bad group' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        )
    );
    let long = "g".repeat(129);
    let e = iam
        .create_group()
        .group_name(&long)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "ValidationError",
            &format!("1 validation error detected: Value '{long}' at 'groupName' failed to satisfy constraint: Member must have length less than or equal to 128")
        )
    );
    // 128 is allowed for groups (users stop at 64).
    iam.create_group()
        .group_name("g".repeat(128))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn membership() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_group().group_name("devs").send().await.unwrap();
    iam.create_group().group_name("ops").send().await.unwrap();
    for u in ["carol", "alice", "bob"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }

    for u in ["carol", "alice"] {
        iam.add_user_to_group()
            .group_name("devs")
            .user_name(u)
            .send()
            .await
            .unwrap();
    }
    // Adding again changes nothing; names are found in any case.
    iam.add_user_to_group()
        .group_name("DEVS")
        .user_name("Alice")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("ops")
        .user_name("alice")
        .send()
        .await
        .unwrap();

    assert_eq!(group_members(&iam, "devs").await, ["alice", "carol"]);
    assert_eq!(group_members(&iam, "ops").await, ["alice"]);
    assert_eq!(groups_of(&iam, "alice").await, ["devs", "ops"]);
    assert!(groups_of(&iam, "bob").await.is_empty());
    let got = iam.get_group().group_name("devs").send().await.unwrap();
    assert_eq!(got.users()[0].arn(), "arn:aws:iam::111111111111:user/alice");
    // Members page like any list.
    let page = iam
        .get_group()
        .group_name("devs")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.users().len(), 1);
    assert!(page.is_truncated());

    // Errors: a missing group, a missing user, a user who is not a member.
    let e = iam
        .add_user_to_group()
        .group_name("nope")
        .user_name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The group with name nope cannot be found.")
    );
    let e = iam
        .add_user_to_group()
        .group_name("devs")
        .user_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );
    let e = iam
        .remove_user_from_group()
        .group_name("devs")
        .user_name("bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name bob cannot be found.")
    );
    let e = iam
        .list_groups_for_user()
        .user_name("ghost")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("NoSuchEntity", "The user with name ghost cannot be found.")
    );

    iam.remove_user_from_group()
        .group_name("devs")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(group_members(&iam, "devs").await, ["carol"]);
    assert_eq!(groups_of(&iam, "alice").await, ["ops"]);

    // A renamed group keeps its members.
    iam.update_group()
        .group_name("devs")
        .new_group_name("developers")
        .send()
        .await
        .unwrap();
    assert_eq!(group_members(&iam, "developers").await, ["carol"]);
    assert_eq!(groups_of(&iam, "carol").await, ["developers"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn at_most_ten_groups_per_user() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_user().user_name("joiner").send().await.unwrap();
    for i in 0..11 {
        iam.create_group()
            .group_name(format!("g{i:02}"))
            .send()
            .await
            .unwrap();
    }
    for i in 0..10 {
        iam.add_user_to_group()
            .group_name(format!("g{i:02}"))
            .user_name("joiner")
            .send()
            .await
            .unwrap();
    }
    let e = iam
        .add_user_to_group()
        .group_name("g10")
        .user_name("joiner")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
    );
    assert_eq!(groups_of(&iam, "joiner").await.len(), 10);
    assert!(group_members(&iam, "g10").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn group_policies_grant_access_to_members() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "member").await;
    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    let member = server.iam_of(&k);

    let denied = |action: &str, resource: &str| {
        err(
            "AccessDenied",
            &format!("User: arn:aws:iam::111111111111:user/member is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"),
        )
    };
    let e = member.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        denied("iam:ListUsers", "arn:aws:iam::111111111111:user/")
    );

    // An inline group policy, once the user is a member.
    iam.put_group_policy()
        .group_name("readers")
        .policy_name("list-users")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    assert!(member.list_users().send().await.is_err());
    iam.add_user_to_group()
        .group_name("readers")
        .user_name("member")
        .send()
        .await
        .unwrap();
    let users = member.list_users().send().await.unwrap();
    assert_eq!(users.users().len(), 1);

    // A managed policy attached to the group.
    let e = member.list_groups().send().await.unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");
    iam.attach_group_policy()
        .group_name("readers")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .unwrap();
    let groups = member.list_groups().send().await.unwrap();
    assert_eq!(groups.groups()[0].group_name(), "readers");
    // Read-only: no writes.
    let e = member
        .create_group()
        .group_name("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        denied("iam:CreateGroup", "arn:aws:iam::111111111111:group/mine")
    );

    // A Deny in a group policy beats an Allow anywhere.
    iam.put_group_policy()
        .group_name("readers")
        .policy_name("no-listing-users")
        .policy_document(policy_doc(
            r#"{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let e = member.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/member is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111111111111:user/ with an explicit deny in an identity-based policy"
        )
    );

    // Leaving the group takes its permissions away.
    iam.remove_user_from_group()
        .group_name("readers")
        .user_name("member")
        .send()
        .await
        .unwrap();
    let e = member.list_groups().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        denied("iam:ListGroups", "arn:aws:iam::111111111111:group/")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_conflicts() {
    let server = Server::start();
    let iam = server.root_iam(A);
    iam.create_group().group_name("busy").send().await.unwrap();
    iam.create_user().user_name("u").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("busy")
        .user_name("u")
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("busy")
        .policy_name("inline")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:GetGroup","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();

    let delete = || iam.delete_group().group_name("busy").send();
    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete entity, must remove users from group first."
        )
    );
    iam.remove_user_from_group()
        .group_name("busy")
        .user_name("u")
        .send()
        .await
        .unwrap();
    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete entity, must delete policies first."
        )
    );
    iam.delete_group_policy()
        .group_name("busy")
        .policy_name("inline")
        .send()
        .await
        .unwrap();
    let e = delete().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first."
        )
    );
    iam.detach_group_policy()
        .group_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    delete().await.unwrap();
    assert!(iam.list_groups().send().await.unwrap().groups().is_empty());
    assert!(groups_of(&iam, "u").await.is_empty());
}
