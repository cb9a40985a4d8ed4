//! Account-wide IAM over real HTTP with the AWS SDK for Rust: account aliases,
//! GetAccountSummary counts, and GetAccountAuthorizationDetails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_iam::types::{EntityType, SummaryKeyType};
use common::{decode_document, err_code, policy_doc, Server};
use std::collections::HashMap;

const A: &str = "111111111111";
const B: &str = "222222222222";

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn err(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

async fn aliases(iam: &aws_sdk_iam::Client) -> Vec<String> {
    iam.list_account_aliases()
        .send()
        .await
        .unwrap()
        .account_aliases()
        .to_vec()
}

async fn summary(iam: &aws_sdk_iam::Client) -> HashMap<SummaryKeyType, i32> {
    iam.get_account_summary()
        .send()
        .await
        .unwrap()
        .summary_map()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn account_aliases() {
    let mut server = Server::start();
    let a = server.root_iam(A);
    let b = server.root_iam(B);

    assert!(aliases(&a).await.is_empty());
    a.create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&a).await, ["example-corp"]);
    let listed = a.list_account_aliases().send().await.unwrap();
    assert!(!listed.is_truncated());

    // Unique across all accounts.
    let e = b
        .create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "EntityAlreadyExists",
            "The account alias example-corp already exists."
        )
    );
    assert!(aliases(&b).await.is_empty());

    // An account has one alias: a new one replaces it, freeing the old.
    a.create_account_alias()
        .account_alias("example-corp-2")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&a).await, ["example-corp-2"]);
    b.create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(aliases(&b).await, ["example-corp"]);

    server.kill_and_restart();
    let a = server.root_iam(A);
    assert_eq!(aliases(&a).await, ["example-corp-2"]);

    let e = a
        .delete_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err_code(&e),
        err(
            "NoSuchEntity",
            "The account alias example-corp cannot be found."
        )
    );
    a.delete_account_alias()
        .account_alias("example-corp-2")
        .send()
        .await
        .unwrap();
    assert!(aliases(&a).await.is_empty());

    // The alias pattern: lowercase letters, digits and single inner dashes, 3 to 63.
    let pattern = "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$";
    for bad in [
        "Upper-Case",
        "-leading",
        "trailing-",
        "double--dash",
        "under_score",
    ] {
        let e = a
            .create_account_alias()
            .account_alias(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err_code(&e),
            err(
                "ValidationError",
                &format!("1 validation error detected: Value '{bad}' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}")
            ),
            "{bad}"
        );
    }
    let e = a
        .create_account_alias()
        .account_alias("ab")
        .send()
        .await
        .unwrap_err();
    let (code, message) = err_code(&e);
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains(
            "Value 'ab' at 'accountAlias' failed to satisfy constraint: Member must have length greater than or equal to 3"
        ),
        "{message}"
    );
    assert!(aliases(&a).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn account_summary_counts() {
    let server = Server::start();
    let iam = server.root_iam(A);

    let fresh = summary(&iam).await;
    for key in [
        SummaryKeyType::Users,
        SummaryKeyType::Groups,
        SummaryKeyType::Roles,
        SummaryKeyType::Policies,
        SummaryKeyType::InstanceProfiles,
        SummaryKeyType::PolicyVersionsInUse,
        SummaryKeyType::AccountAccessKeysPresent,
        SummaryKeyType::AccountMfaEnabled,
    ] {
        assert_eq!(fresh.get(&key), Some(&0), "{key:?}");
    }
    for (key, quota) in [
        (SummaryKeyType::UsersQuota, 5000),
        (SummaryKeyType::GroupsQuota, 300),
        (SummaryKeyType::RolesQuota, 1000),
        (SummaryKeyType::PoliciesQuota, 1500),
        (SummaryKeyType::InstanceProfilesQuota, 1000),
        (SummaryKeyType::VersionsPerPolicyQuota, 5),
        (SummaryKeyType::PolicySizeQuota, 6144),
        (SummaryKeyType::UserPolicySizeQuota, 2048),
        (SummaryKeyType::GroupPolicySizeQuota, 5120),
        (SummaryKeyType::RolePolicySizeQuota, 10240),
        (SummaryKeyType::AssumeRolePolicySizeQuota, 2048),
        (SummaryKeyType::AttachedPoliciesPerUserQuota, 10),
        (SummaryKeyType::AttachedPoliciesPerGroupQuota, 10),
        (SummaryKeyType::AttachedPoliciesPerRoleQuota, 10),
        (SummaryKeyType::GroupsPerUserQuota, 10),
        (SummaryKeyType::AccessKeysPerUserQuota, 2),
    ] {
        assert_eq!(fresh.get(&key), Some(&quota), "{key:?}");
    }
    // Every key the SDK received is one it knows.
    assert!(fresh
        .keys()
        .all(|k| SummaryKeyType::values().contains(&k.as_str())));

    for u in ["u1", "u2", "u3"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }
    iam.create_group().group_name("g").send().await.unwrap();
    for r in ["r1", "r2"] {
        iam.create_role()
            .role_name(r)
            .assume_role_policy_document(EC2_TRUST)
            .send()
            .await
            .unwrap();
    }
    let arn = iam
        .create_policy()
        .policy_name("p")
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}"#,
        ))
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    iam.create_instance_profile()
        .instance_profile_name("ip")
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("u1")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r1")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap();
    iam.create_access_key().send().await.unwrap();

    let now = summary(&iam).await;
    for (key, count) in [
        (SummaryKeyType::Users, 3),
        (SummaryKeyType::Groups, 1),
        (SummaryKeyType::Roles, 2),
        (SummaryKeyType::Policies, 1),
        (SummaryKeyType::InstanceProfiles, 1),
        (SummaryKeyType::PolicyVersionsInUse, 2),
        (SummaryKeyType::AccountAccessKeysPresent, 1),
    ] {
        assert_eq!(now.get(&key), Some(&count), "{key:?}");
    }

    // Each account counts its own.
    let other = summary(&server.root_iam(B)).await;
    assert_eq!(other.get(&SummaryKeyType::Users), Some(&0));

    iam.delete_user().user_name("u3").send().await.unwrap();
    assert_eq!(summary(&iam).await.get(&SummaryKeyType::Users), Some(&2));
}

#[tokio::test(flavor = "multi_thread")]
async fn account_authorization_details() {
    let server = Server::start();
    let iam = server.root_iam(A);
    let inline = policy_doc(r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}"#);

    iam.create_user()
        .user_name("alice")
        .path("/people/")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("blue")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("bob").send().await.unwrap();
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("inline-a")
        .policy_document(&inline)
        .send()
        .await
        .unwrap();
    iam.create_group().group_name("devs").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("devs")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("devs")
        .policy_name("inline-g")
        .policy_document(&inline)
        .send()
        .await
        .unwrap();
    let local = iam
        .create_policy()
        .policy_name("local")
        .policy_document(&inline)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    iam.create_policy_version()
        .policy_arn(&local)
        .policy_document(policy_doc(
            r#"{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}"#,
        ))
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("alice")
        .policy_arn(&local)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("devs")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("worker")
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("worker")
        .policy_name("inline-r")
        .policy_document(&inline)
        .send()
        .await
        .unwrap();
    iam.put_role_permissions_boundary()
        .role_name("worker")
        .permissions_boundary(&local)
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name("worker-profile")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("worker-profile")
        .role_name("worker")
        .send()
        .await
        .unwrap();

    let d = iam
        .get_account_authorization_details()
        .send()
        .await
        .unwrap();
    assert!(!d.is_truncated());

    // Users.
    let users: Vec<Option<&str>> = d.user_detail_list().iter().map(|u| u.user_name()).collect();
    assert_eq!(users, [Some("alice"), Some("bob")]);
    let alice = &d.user_detail_list()[0];
    assert_eq!(alice.path(), Some("/people/"));
    assert_eq!(
        alice.arn(),
        Some("arn:aws:iam::111111111111:user/people/alice")
    );
    assert!(alice.user_id().is_some_and(|id| id.starts_with("AIDA")));
    assert_eq!(alice.group_list(), ["devs"]);
    let policies = alice.user_policy_list();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].policy_name(), Some("inline-a"));
    assert_eq!(
        decode_document(policies[0].policy_document().unwrap()),
        inline
    );
    let attached: Vec<Option<&str>> = alice
        .attached_managed_policies()
        .iter()
        .map(|p| p.policy_arn())
        .collect();
    assert_eq!(attached, [Some(local.as_str())]);
    assert_eq!(alice.tags().len(), 1);
    assert!(d.user_detail_list()[1].user_policy_list().is_empty());

    // Groups.
    let groups = d.group_detail_list();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_name(), Some("devs"));
    assert_eq!(
        groups[0].group_policy_list()[0].policy_name(),
        Some("inline-g")
    );
    assert_eq!(
        groups[0].attached_managed_policies()[0].policy_arn(),
        Some("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    );

    // Roles, with their trust policy, profiles and boundary.
    let roles = d.role_detail_list();
    assert_eq!(roles.len(), 1);
    let worker = &roles[0];
    assert_eq!(worker.role_name(), Some("worker"));
    assert_eq!(
        decode_document(worker.assume_role_policy_document().unwrap()),
        EC2_TRUST
    );
    assert_eq!(worker.role_policy_list()[0].policy_name(), Some("inline-r"));
    let profiles: Vec<&str> = worker
        .instance_profile_list()
        .iter()
        .map(|p| p.instance_profile_name())
        .collect();
    assert_eq!(profiles, ["worker-profile"]);
    assert_eq!(
        worker
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some(local.as_str())
    );

    // Managed policies: the account's own and the AWS managed ones it uses, with every version.
    let names: Vec<Option<&str>> = d.policies().iter().map(|p| p.policy_name()).collect();
    assert_eq!(names, [Some("local"), Some("IAMReadOnlyAccess")]);
    let p = &d.policies()[0];
    assert_eq!(p.default_version_id(), Some("v2"));
    assert_eq!(p.attachment_count(), Some(1));
    assert_eq!(p.permissions_boundary_usage_count(), Some(1));
    let versions: Vec<(Option<&str>, bool)> = p
        .policy_version_list()
        .iter()
        .map(|v| (v.version_id(), v.is_default_version()))
        .collect();
    assert_eq!(versions, [(Some("v2"), true), (Some("v1"), false)]);
    assert_eq!(
        decode_document(p.policy_version_list()[1].document().unwrap()),
        inline
    );
    assert_eq!(d.policies()[1].attachment_count(), Some(1));

    // Filters.
    let only = |filters: &'static [EntityType]| {
        let iam = iam.clone();
        async move {
            let mut req = iam.get_account_authorization_details();
            for f in filters {
                req = req.filter(f.clone());
            }
            req.send().await.unwrap()
        }
    };
    let d = only(&[EntityType::User]).await;
    assert_eq!(d.user_detail_list().len(), 2);
    assert!(d.group_detail_list().is_empty() && d.role_detail_list().is_empty());
    assert!(d.policies().is_empty());
    let d = only(&[EntityType::Role, EntityType::LocalManagedPolicy]).await;
    assert!(d.user_detail_list().is_empty() && d.group_detail_list().is_empty());
    assert_eq!(d.role_detail_list().len(), 1);
    let names: Vec<Option<&str>> = d.policies().iter().map(|p| p.policy_name()).collect();
    assert_eq!(names, [Some("local")]);
    let d = only(&[EntityType::AwsManagedPolicy]).await;
    let names: Vec<Option<&str>> = d.policies().iter().map(|p| p.policy_name()).collect();
    assert_eq!(names, [Some("IAMReadOnlyAccess")]);

    // Pagination across the kinds of entry.
    let mut seen = 0;
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .get_account_authorization_details()
            .max_items(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        let n = page.user_detail_list().len()
            + page.group_detail_list().len()
            + page.role_detail_list().len()
            + page.policies().len();
        assert!(n <= 2);
        seen += n;
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    // 2 users, 1 group, 1 role, 2 policies.
    assert_eq!(seen, 6);

    let e = iam
        .get_account_authorization_details()
        .filter(EntityType::from("Nonsense"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err_code(&e).0, "ValidationError");
}
