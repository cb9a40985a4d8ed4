//! IAM permission checks through real credentials: policy variables, explicit denies,
//! permissions boundaries, tag conditions, role sessions, and what GetSessionToken
//! credentials may call. Each denial is checked against AWS's AccessDenied text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::Tag;
use common::{err_code, policy_doc, Server};

const A: &str = "111111111111";

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

/// AWS's AccessDenied for an action no identity-based policy allows.
fn no_identity_policy(user: &str, action: &str, resource: &str) -> (String, String) {
    err(
        "AccessDenied",
        &format!("User: arn:aws:iam::111111111111:user/{user} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_reads_itself_but_not_others() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let x = common::user_with_key(&iam, "x").await;
    iam.create_user().user_name("y").send().await.unwrap();
    common::allow_user(
        &iam,
        "x",
        "self",
        r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111111111111:user/${aws:username}"}"#,
    )
    .await;
    let as_x = server.iam_of(&x);

    let me = as_x.get_user().user_name("x").send().await.unwrap();
    assert_eq!(me.user().unwrap().arn(), "arn:aws:iam::111111111111:user/x");
    let me = as_x.get_user().send().await.unwrap();
    assert_eq!(me.user().unwrap().user_name(), "x");

    let e = as_x.get_user().user_name("y").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/x is not authorized to perform: iam:GetUser on resource: arn:aws:iam::111111111111:user/y because no identity-based policy allows the iam:GetUser action"
        )
    );
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 403);

    // A user that does not exist is denied the same way: nothing is revealed.
    let e = as_x
        .get_user()
        .user_name("nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy("x", "iam:GetUser", "arn:aws:iam::111111111111:user/nobody")
    );
    // Other actions on itself are not allowed either.
    let e = as_x
        .list_user_tags()
        .user_name("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy("x", "iam:ListUserTags", "arn:aws:iam::111111111111:user/x")
    );
    // The variable resolves for each caller: y with the same policy reads y.
    let y = common::new_key(&iam, "y").await;
    common::allow_user(
        &iam,
        "y",
        "self",
        r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111111111111:user/${aws:username}"}"#,
    )
    .await;
    let as_y = server.iam_of(&y);
    as_y.get_user().user_name("y").send().await.unwrap();
    let e = as_y.get_user().user_name("x").send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy("y", "iam:GetUser", "arn:aws:iam::111111111111:user/x")
    );
    // A user with no policy at all.
    let z = common::user_with_key(&iam, "z").await;
    let e = server.iam_of(&z).get_user().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy("z", "iam:GetUser", "arn:aws:iam::111111111111:user/z")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_deny_beats_an_allow() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "admin").await;
    iam.create_user().user_name("victim").send().await.unwrap();
    iam.attach_user_policy()
        .user_name("admin")
        .policy_arn("arn:aws:iam::aws:policy/IAMFullAccess")
        .send()
        .await
        .unwrap();
    common::allow_user(
        &iam,
        "admin",
        "guard",
        r#"{"Effect":"Deny","Action":["iam:DeleteUser","iam:CreateAccessKey"],"Resource":"arn:aws:iam::111111111111:user/victim"}"#,
    )
    .await;
    let admin = server.iam_of(&k);

    admin.get_user().user_name("victim").send().await.unwrap();
    admin
        .tag_user()
        .user_name("victim")
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap();
    for (action, e) in [
        (
            "iam:DeleteUser",
            err_code(
                &admin
                    .delete_user()
                    .user_name("victim")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "iam:CreateAccessKey",
            err_code(
                &admin
                    .create_access_key()
                    .user_name("victim")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
    ] {
        assert_eq!(
            e,
            err(
                "AccessDenied",
                &format!("User: arn:aws:iam::111111111111:user/admin is not authorized to perform: {action} on resource: arn:aws:iam::111111111111:user/victim with an explicit deny in an identity-based policy")
            )
        );
    }
    // Only that user is protected.
    admin.create_user().user_name("other").send().await.unwrap();
    admin.delete_user().user_name("other").send().await.unwrap();
    iam.get_user().user_name("victim").send().await.unwrap();
    assert!(iam
        .list_access_keys()
        .user_name("victim")
        .send()
        .await
        .unwrap()
        .access_key_metadata()
        .is_empty());

    // A deny in a managed policy, through a group, counts the same.
    let deny_all = iam
        .create_policy()
        .policy_name("deny-iam")
        .policy_document(policy_doc(
            r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    iam.create_group()
        .group_name("frozen")
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("frozen")
        .policy_arn(&deny_all)
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("frozen")
        .user_name("admin")
        .send()
        .await
        .unwrap();
    let e = admin.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/admin is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111111111111:user/ with an explicit deny in an identity-based policy"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permissions_boundary_limits_what_policies_allow() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let boundary = iam
        .create_policy()
        .policy_name("read-only-iam")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let k = common::user_with_key(&iam, "dev").await;
    iam.attach_user_policy()
        .user_name("dev")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let dev = server.iam_of(&k);
    // Before the boundary: an administrator.
    dev.create_group()
        .group_name("before")
        .send()
        .await
        .unwrap();

    iam.put_user_permissions_boundary()
        .user_name("dev")
        .permissions_boundary(&boundary)
        .send()
        .await
        .unwrap();
    dev.list_users().send().await.unwrap();
    dev.get_group().group_name("before").send().await.unwrap();
    let e = dev
        .create_group()
        .group_name("after")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/dev is not authorized to perform: iam:CreateGroup on resource: arn:aws:iam::111111111111:group/after because no permissions boundary allows the iam:CreateGroup action"
        )
    );
    // The boundary grants nothing by itself: without the identity policy, reads are denied
    // by the identity-based side.
    iam.detach_user_policy()
        .user_name("dev")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let e = dev.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy("dev", "iam:ListUsers", "arn:aws:iam::111111111111:user/")
    );
    // Removing the boundary restores the identity policy's reach.
    iam.attach_user_policy()
        .user_name("dev")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    iam.delete_user_permissions_boundary()
        .user_name("dev")
        .send()
        .await
        .unwrap();
    dev.create_group().group_name("after").send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_boundary_limits_its_sessions() {
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
        .role_name("bounded")
        .assume_role_policy_document(policy_doc(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/dev"},"Action":"sts:AssumeRole"}"#,
        ))
        .permissions_boundary("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("bounded")
        .policy_arn("arn:aws:iam::aws:policy/IAMFullAccess")
        .send()
        .await
        .unwrap();
    let out = server
        .sts_of(&k)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/bounded")
        .role_session_name("work")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let session = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    session.list_roles().send().await.unwrap();
    let e = session
        .create_user()
        .user_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:sts::111111111111:assumed-role/bounded/work is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111111111111:user/nope because no permissions boundary allows the iam:CreateUser action"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn role_sessions_have_the_role_permissions() {
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
        .role_name("lister")
        .assume_role_policy_document(policy_doc(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}"#,
        ))
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("lister")
        .policy_name("list")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let dev = server.iam_of(&k);
    // The user itself may not list users.
    let e = dev.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy("dev", "iam:ListUsers", "arn:aws:iam::111111111111:user/")
    );
    let out = server
        .sts_of(&k)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/lister")
        .role_session_name("listing")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let session = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let users = session.list_users().send().await.unwrap();
    assert_eq!(users.users()[0].user_name(), "dev");
    let e = session.list_roles().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:sts::111111111111:assumed-role/lister/listing is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111111111111:role/ because no identity-based policy allows the iam:ListRoles action"
        )
    );
    // A session policy narrows the session further.
    let out = server
        .sts_of(&k)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/lister")
        .role_session_name("narrow")
        .policy(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let narrow = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let e = narrow.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "User: arn:aws:sts::111111111111:assumed-role/lister/narrow is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111111111111:user/ because no session policy allows the iam:ListUsers action"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_conditions_on_create_user() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "creator").await;
    // CreateUser only with team=blue and no other tag key; TagUser under the same rule.
    common::allow_user(
        &iam,
        "creator",
        "tagged-only",
        r#"{"Effect":"Allow","Action":["iam:CreateUser","iam:TagUser"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}"#,
    )
    .await;
    let creator = server.iam_of(&k);

    let created = creator
        .create_user()
        .user_name("blue-1")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.user().unwrap().tags()[0].value(), "blue");

    let denied = |name: &str| {
        no_identity_policy(
            "creator",
            "iam:CreateUser",
            &format!("arn:aws:iam::111111111111:user/{name}"),
        )
    };
    // Another value.
    let e = creator
        .create_user()
        .user_name("red-1")
        .tags(tag("team", "red"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), denied("red-1"));
    // An extra tag key.
    let e = creator
        .create_user()
        .user_name("blue-2")
        .tags(tag("team", "blue"))
        .tags(tag("cost-center", "42"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), denied("blue-2"));
    // No tags: the condition key is absent, so StringEquals does not match.
    let e = creator
        .create_user()
        .user_name("untagged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), denied("untagged"));
    // Values compare case-sensitively.
    let e = creator
        .create_user()
        .user_name("blue-3")
        .tags(tag("team", "Blue"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), denied("blue-3"));

    // Nothing denied was created.
    let users = iam.list_users().send().await.unwrap();
    let names: Vec<&str> = users.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, ["blue-1", "creator"]);

    // TagUser follows the same rule.
    creator
        .tag_user()
        .user_name("blue-1")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    let e = creator
        .tag_user()
        .user_name("blue-1")
        .tags(tag("owner", "me"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy(
            "creator",
            "iam:TagUser",
            "arn:aws:iam::111111111111:user/blue-1"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_tag_conditions_on_roles() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for (name, team) in [("blue-role", "blue"), ("red-role", "red")] {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .tags(tag("team", team))
            .send()
            .await
            .unwrap();
    }
    let k = common::user_with_key(&iam, "blue-dev").await;
    iam.tag_user()
        .user_name("blue-dev")
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    // Roles of one's own team, by principal tag.
    common::allow_user(
        &iam,
        "blue-dev",
        "own-team",
        r#"{"Effect":"Allow","Action":["iam:GetRole","iam:UpdateRoleDescription"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}"#,
    )
    .await;
    let dev = server.iam_of(&k);
    dev.get_role().role_name("blue-role").send().await.unwrap();
    dev.update_role_description()
        .role_name("blue-role")
        .description("ours")
        .send()
        .await
        .unwrap();
    let e = dev
        .get_role()
        .role_name("red-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy(
            "blue-dev",
            "iam:GetRole",
            "arn:aws:iam::111111111111:role/red-role"
        )
    );
    // Retagging the role moves it out of reach.
    iam.tag_role()
        .role_name("blue-role")
        .tags(tag("team", "green"))
        .send()
        .await
        .unwrap();
    let e = dev
        .get_role()
        .role_name("blue-role")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "AccessDenied");
}

/// The delegation pattern of the IAM User Guide: a user may set only one given boundary.
async fn delegate(server: &Server) -> aws_sdk_iam::Client {
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "delegate").await;
    common::allow_user(
        &iam,
        "delegate",
        "delegation",
        &format!(
            r#"{{"Effect":"Allow","Action":["iam:CreateUser","iam:PutUserPermissionsBoundary"],"Resource":"*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{BOUNDARY}"}}}}}}"#
        ),
    )
    .await;
    server.iam_of(&k)
}

const BOUNDARY: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";

#[tokio::test(flavor = "multi_thread")]
async fn putting_only_a_given_boundary() {
    let server = Server::start();
    let delegate = delegate(&server).await;
    let iam = server.root_iam(A);
    iam.create_user().user_name("intern").send().await.unwrap();
    delegate
        .put_user_permissions_boundary()
        .user_name("intern")
        .permissions_boundary(BOUNDARY)
        .send()
        .await
        .unwrap();
    let e = delegate
        .put_user_permissions_boundary()
        .user_name("intern")
        .permissions_boundary("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy(
            "delegate",
            "iam:PutUserPermissionsBoundary",
            "arn:aws:iam::111111111111:user/intern"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_users_only_with_a_given_boundary() {
    let server = Server::start();
    let delegate = delegate(&server).await;
    delegate
        .create_user()
        .user_name("bounded")
        .permissions_boundary(BOUNDARY)
        .send()
        .await
        .unwrap();
    let e = delegate
        .create_user()
        .user_name("unbounded")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        no_identity_policy(
            "delegate",
            "iam:CreateUser",
            "arn:aws:iam::111111111111:user/unbounded"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_token_credentials() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "alice").await;
    iam.attach_user_policy()
        .user_name("alice")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    // Alice's own keys reach IAM.
    server.iam_of(&k).list_users().send().await.unwrap();

    let token = server.sts_of(&k).get_session_token().send().await.unwrap();
    let c = token.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    let sts = server.sts(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:user/alice"));
    assert_eq!(me.account(), Some(A));

    // Without MFA, IAM refuses them outright.
    let as_token = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    for e in [
        err_code(&as_token.list_users().send().await.unwrap_err()),
        err_code(&as_token.get_user().send().await.unwrap_err()),
    ] {
        assert_eq!(e.0, "InvalidClientTokenId");
    }
    // Other STS calls are refused too.
    let e = sts.get_session_token().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_token_refusal_text() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let k = common::user_with_key(&iam, "alice").await;
    let token = server.sts_of(&k).get_session_token().send().await.unwrap();
    let c = token.credentials().unwrap();
    let as_token = server.iam(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let e = as_token.list_users().send().await.unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "InvalidClientTokenId",
            "The security token included in the request is invalid."
        )
    );
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
}
