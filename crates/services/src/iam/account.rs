//! Account-wide IAM settings: the account alias, the account summary, and users' permissions
//! boundaries.

use super::common::{account, no_such_user, page};
use super::users::user_arn;
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::xml::escape;
use crate::protocol::Xml;
use crate::validate::Shape;
use rolegate_core::model::Account;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateAccountAlias", create_account_alias),
    ("DeleteAccountAlias", delete_account_alias),
    ("ListAccountAliases", list_account_aliases),
    ("GetAccountSummary", get_account_summary),
    ("PutUserPermissionsBoundary", put_user_permissions_boundary),
    (
        "DeleteUserPermissionsBoundary",
        delete_user_permissions_boundary,
    ),
];

const ALIAS_PATTERN: &str = "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$";

/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: lowercase letters, digits and single dashes,
/// neither first nor last.
fn alias_ok(alias: &str) -> bool {
    let b = alias.as_bytes();
    let allowed = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len())
        && b.iter().all(|&c| allowed(c) || c == b'-')
        && allowed(b[0])
        && allowed(b[b.len() - 1])
        && !alias.contains("--")
}

fn alias_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let alias = ctx.params.required("AccountAlias")?.to_owned();
    Shape::new()
        .length("accountAlias", &alias, 3, 63)
        .pattern("accountAlias", &alias, alias_ok(&alias), ALIAS_PATTERN)
        .check()?;
    Ok(alias)
}

/// Account-level operations have no resource type: IAM authorizes them on `*`.
const ANY: &str = "*";

fn create_account_alias(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let alias = alias_param(ctx)?;
    ctx.authorize("iam:CreateAccountAlias", ANY, |_| {})?;
    let mine = ctx.account().to_owned();
    // Aliases are unique across all accounts, so the check and the write happen in one
    // transaction over every account holding it and this one (known without reading the
    // others); an account holds one alias, which a new one replaces.
    let catalog = &ctx.state.catalog;
    catalog.update_matching(
        |id, aliases| id == mine || aliases.contains(&alias),
        |a| {
            if a.aliases.contains(&alias) {
                return Err(ServiceError::already_exists(format!(
                    "The account alias {alias} already exists."
                )));
            }
            if a.id != mine {
                return Ok(false);
            }
            a.aliases = vec![alias.clone()];
            Ok(true)
        },
    )?;
    Ok(None)
}

fn delete_account_alias(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let alias = alias_param(ctx)?;
    ctx.authorize("iam:DeleteAccountAlias", ANY, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        if !a.aliases.contains(&alias) {
            return Err(ServiceError::no_such_entity(format!(
                "The account alias {alias} cannot be found."
            )));
        }
        a.aliases.retain(|x| *x != alias);
        Ok(())
    })?;
    Ok(None)
}

fn list_account_aliases(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    ctx.authorize("iam:ListAccountAliases", ANY, |_| {})?;
    let a = account(ctx)?;
    page(ctx, "AccountAliases", &a.aliases, |x, alias| {
        let mut text = String::new();
        escape(alias, &mut text);
        x.raw(&text);
    })
}

/// The entries of GetAccountSummary: the account's counts, then IAM's default quotas (the
/// same numbers the other operation groups enforce).
fn summary(a: &Account) -> Vec<(&'static str, usize)> {
    let attachments = a.users.values().map(|u| u.attached.len()).sum::<usize>()
        + a.groups.values().map(|g| g.attached.len()).sum::<usize>()
        + a.roles.values().map(|r| r.attached.len()).sum::<usize>();
    vec![
        ("Users", a.users.len()),
        ("UsersQuota", 5000),
        ("Groups", a.groups.len()),
        ("GroupsQuota", 300),
        ("Roles", a.roles.len()),
        ("RolesQuota", 1000),
        ("Policies", a.policies.len()),
        ("PoliciesQuota", 1500),
        ("InstanceProfiles", a.instance_profiles.len()),
        ("InstanceProfilesQuota", 1000),
        // Each attachment of a managed policy puts its default version in use.
        ("PolicyVersionsInUse", attachments),
        ("PolicyVersionsInUseQuota", 10000),
        ("VersionsPerPolicyQuota", 5),
        ("PolicySizeQuota", 6144),
        ("UserPolicySizeQuota", 2048),
        ("GroupPolicySizeQuota", 5120),
        ("RolePolicySizeQuota", 10240),
        ("AssumeRolePolicySizeQuota", 2048),
        ("AttachedPoliciesPerUserQuota", 10),
        ("AttachedPoliciesPerGroupQuota", 10),
        ("AttachedPoliciesPerRoleQuota", 10),
        ("GroupsPerUserQuota", 10),
        ("AccessKeysPerUserQuota", 2),
        ("SigningCertificatesPerUserQuota", 2),
        (
            "AccountAccessKeysPresent",
            usize::from(!a.root_keys.is_empty()),
        ),
        // rolegate keeps no passwords, MFA devices, certificates or identity providers.
        ("AccountMFAEnabled", 0),
        ("AccountPasswordPresent", 0),
        ("AccountSigningCertificatesPresent", 0),
        ("MFADevices", 0),
        ("MFADevicesInUse", 0),
        ("ServerCertificates", 0),
        ("ServerCertificatesQuota", 20),
        ("Providers", 0),
        // Global endpoint STS tokens are version 1 unless the account opts into v2.
        ("GlobalEndpointTokenVersion", 1),
    ]
}

fn get_account_summary(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    ctx.authorize("iam:GetAccountSummary", ANY, |_| {})?;
    let entries = summary(account(ctx)?);
    let mut x = Xml::new();
    x.with("SummaryMap", |x| {
        for (key, value) in &entries {
            x.with("entry", |x| {
                x.elem("key", key).elem("value", &value.to_string());
            });
        }
    });
    Ok(Some(x))
}

fn boundary_user_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("UserName")?.to_owned();
    Shape::new().name("userName", &name, 64).check()?;
    Ok(name)
}

fn put_user_permissions_boundary(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = boundary_user_name(ctx)?;
    let boundary = ctx.params.required("PermissionsBoundary")?.to_owned();
    Shape::new()
        .length("permissionsBoundary", &boundary, 20, 2048)
        .check()?;
    if !boundary.starts_with("arn:") {
        return Err(ServiceError::invalid_input(format!(
            "ARN {boundary} is not valid."
        )));
    }
    let arn = user_arn(ctx, &name);
    ctx.authorize("iam:PutUserPermissionsBoundary", &arn, |c| {
        c.insert("iam:PermissionsBoundary", &boundary)
    })?;
    account(ctx)?
        .user(&name)
        .ok_or_else(|| no_such_user(&name))?;
    // A boundary is an AWS managed policy or a customer managed one of this same account.
    let policy_account = boundary
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split(':').next());
    let attachable = matches!(policy_account, Some(acct) if acct == "aws" || acct == ctx.account())
        && ctx.snap.managed_policy(&boundary).is_some();
    if !attachable {
        return Err(ServiceError::no_such_entity(format!(
            "Scope ARN: {boundary} does not exist or is not attachable."
        )));
    }
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let u = a
            .users
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_user(&name))?;
        u.boundary = Some(boundary.clone());
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

fn delete_user_permissions_boundary(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = boundary_user_name(ctx)?;
    let arn = user_arn(ctx, &name);
    // The key names the boundary being removed, so a policy can protect a given boundary.
    let current = ctx
        .snap
        .account(ctx.account())
        .and_then(|a| a.user(&name))
        .and_then(|u| u.boundary.clone());
    ctx.authorize("iam:DeleteUserPermissionsBoundary", &arn, |c| {
        if let Some(b) = &current {
            c.insert("iam:PermissionsBoundary", b);
        }
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let u = a
            .users
            .get_mut(&name.to_lowercase())
            .ok_or_else(|| no_such_user(&name))?;
        u.boundary = None;
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::alias_ok;
    use crate::dispatch::QueryResponse;
    use crate::testing::{field, fields, Harness};
    use rolegate_core::{CatalogError, PolicyDoc};
    use rolegate_policy::PolicyKind;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn setup() -> Harness {
        let h = Harness::new();
        let root = Harness::root(A);
        for name in ["alice", "bob"] {
            let r = h.iam(&root, &[("Action", "CreateUser"), ("UserName", name)]);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        h
    }

    fn ok(r: &QueryResponse) {
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Asserts an error response's status, code and (unescaped) message.
    fn expect_error(r: &QueryResponse, status: u16, code: &str, message: &str) {
        let got = field(&r.body, "Message").map(|m| m.replace("&apos;", "'").replace("&amp;", "&"));
        assert_eq!(
            (r.status, field(&r.body, "Code"), got.as_deref()),
            (status, Some(code), Some(message)),
            "{}",
            r.body
        );
    }

    fn grant(h: &Harness, user: &str, statement: &str) {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        let doc = PolicyDoc::new(&text, PolicyKind::InlineIdentity).expect("policy");
        h.state
            .catalog
            .update(A, |a| {
                a.users
                    .get_mut(user)
                    .expect("user")
                    .inline
                    .insert("p".into(), doc);
                Ok::<_, CatalogError>(())
            })
            .expect("grant");
    }

    #[test]
    fn alias_pattern() {
        for good in [
            "abc",
            "my-company-prod",
            "a1b",
            "123456789012",
            &"a".repeat(63),
        ] {
            assert!(alias_ok(good), "{good}");
        }
        for bad in [
            "",
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "Abc",
            "a_b",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!alias_ok(bad), "{bad}");
        }
    }

    #[test]
    fn aliases_are_one_per_account_and_unique_across_accounts() {
        let h = setup();
        let root = Harness::root(A);
        let other = Harness::root(B);
        let list = |caller| {
            let r = h.iam(caller, &[("Action", "ListAccountAliases")]);
            ok(&r);
            assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
            fields(&r.body, "member")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert!(list(&root).is_empty());
        ok(&h.iam(
            &root,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "acme-prod"),
            ],
        ));
        assert_eq!(list(&root), vec!["acme-prod"]);
        // A new alias replaces the old one.
        ok(&h.iam(
            &root,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "acme-main"),
            ],
        ));
        assert_eq!(list(&root), vec!["acme-main"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "acme-main"),
            ],
        );
        expect_error(
            &r,
            409,
            "EntityAlreadyExists",
            "The account alias acme-main already exists.",
        );
        let r = h.iam(
            &other,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "acme-main"),
            ],
        );
        expect_error(
            &r,
            409,
            "EntityAlreadyExists",
            "The account alias acme-main already exists.",
        );
        assert!(list(&other).is_empty());
        // The replaced alias is free again.
        ok(&h.iam(
            &other,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "acme-prod"),
            ],
        ));
        assert_eq!(list(&other), vec!["acme-prod"]);

        let r = h.iam(
            &root,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "Bad--Alias"),
            ],
        );
        expect_error(
            &r,
            400,
            "ValidationError",
            "1 validation error detected: Value 'Bad--Alias' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
        );
        let r = h.iam(
            &root,
            &[("Action", "CreateAccountAlias"), ("AccountAlias", "ab")],
        );
        assert!(field(&r.body, "Message")
            .is_some_and(|m| m.starts_with("2 validation errors detected: ")));
        let r = h.iam(&root, &[("Action", "CreateAccountAlias")]);
        assert_eq!(field(&r.body, "Code"), Some("MissingParameter"));
        assert_eq!(list(&root), vec!["acme-main"]);

        let r = h.iam(
            &root,
            &[
                ("Action", "DeleteAccountAlias"),
                ("AccountAlias", "acme-prod"),
            ],
        );
        expect_error(
            &r,
            404,
            "NoSuchEntity",
            "The account alias acme-prod cannot be found.",
        );
        ok(&h.iam(
            &root,
            &[
                ("Action", "DeleteAccountAlias"),
                ("AccountAlias", "acme-main"),
            ],
        ));
        assert!(list(&root).is_empty());
        ok(&h.iam(
            &root,
            &[
                ("Action", "CreateAccountAlias"),
                ("AccountAlias", "acme-main"),
            ],
        ));
    }

    #[test]
    fn account_level_actions_are_authorized_on_any_resource() {
        let h = setup();
        let bob = h.user(A, "bob");
        let r = h.iam(
            &bob,
            &[("Action", "CreateAccountAlias"), ("AccountAlias", "bobs")],
        );
        expect_error(
            &r,
            403,
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:CreateAccountAlias on resource: * because no identity-based policy allows the iam:CreateAccountAlias action",
        );
        for action in ["ListAccountAliases", "GetAccountSummary"] {
            assert_eq!(h.iam(&bob, &[("Action", action)]).status, 403, "{action}");
        }
        let r = h.iam(
            &bob,
            &[("Action", "DeleteAccountAlias"), ("AccountAlias", "bobs")],
        );
        assert_eq!(r.status, 403);
        grant(
            &h,
            "bob",
            r#"{"Effect":"Allow","Action":["iam:*AccountAlias*","iam:GetAccountSummary"],"Resource":"*"}"#,
        );
        ok(&h.iam(
            &bob,
            &[("Action", "CreateAccountAlias"), ("AccountAlias", "bobs")],
        ));
        ok(&h.iam(&bob, &[("Action", "ListAccountAliases")]));
        ok(&h.iam(&bob, &[("Action", "GetAccountSummary")]));
    }

    #[test]
    fn summary_counts_what_the_account_holds() {
        let h = setup();
        let root = Harness::root(A);
        let entry = |body: &str, key: &str| -> Option<String> {
            let open = format!("<entry><key>{key}</key><value>");
            let start = body.find(&open)? + open.len();
            let end = body[start..].find("</value>")? + start;
            Some(body[start..end].to_owned())
        };
        let r = h.iam(&root, &[("Action", "GetAccountSummary")]);
        ok(&r);
        assert!(r
            .body
            .contains("<GetAccountSummaryResult><SummaryMap><entry><key>"));
        assert_eq!(entry(&r.body, "Users").as_deref(), Some("2"));
        assert_eq!(entry(&r.body, "Groups").as_deref(), Some("0"));
        assert_eq!(
            entry(&r.body, "AccountAccessKeysPresent").as_deref(),
            Some("0")
        );
        for (key, quota) in [
            ("UsersQuota", "5000"),
            ("GroupsQuota", "300"),
            ("RolesQuota", "1000"),
            ("PoliciesQuota", "1500"),
            ("AccessKeysPerUserQuota", "2"),
            ("GroupsPerUserQuota", "10"),
            ("AttachedPoliciesPerUserQuota", "10"),
            ("PolicySizeQuota", "6144"),
            ("UserPolicySizeQuota", "2048"),
            ("GroupPolicySizeQuota", "5120"),
            ("RolePolicySizeQuota", "10240"),
            ("AssumeRolePolicySizeQuota", "2048"),
            ("VersionsPerPolicyQuota", "5"),
            ("InstanceProfilesQuota", "1000"),
        ] {
            assert_eq!(entry(&r.body, key).as_deref(), Some(quota), "{key}");
        }
        ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "G")]));
        ok(&h.iam(&root, &[("Action", "CreateAccessKey")]));
        h.state
            .catalog
            .update(A, |a| {
                let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned();
                a.users
                    .get_mut("alice")
                    .expect("user")
                    .attached
                    .push(arn.clone());
                a.groups.get_mut("g").expect("group").attached.push(arn);
                Ok::<_, CatalogError>(())
            })
            .expect("attach");
        let r = h.iam(&root, &[("Action", "GetAccountSummary")]);
        assert_eq!(entry(&r.body, "Groups").as_deref(), Some("1"));
        assert_eq!(
            entry(&r.body, "AccountAccessKeysPresent").as_deref(),
            Some("1")
        );
        assert_eq!(entry(&r.body, "PolicyVersionsInUse").as_deref(), Some("2"));
        // Another account's summary is its own.
        let r = h.iam(&Harness::root(B), &[("Action", "GetAccountSummary")]);
        assert_eq!(entry(&r.body, "Users").as_deref(), Some("0"));
    }

    #[test]
    fn permissions_boundaries() {
        let h = setup();
        let root = Harness::root(A);
        let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        let boundary = |h: &Harness| {
            h.state
                .catalog
                .snapshot()
                .account(A)
                .and_then(|a| a.user("alice").and_then(|u| u.boundary.clone()))
        };
        let put = |caller, user: &str, arn: &str| {
            h.iam(
                caller,
                &[
                    ("Action", "PutUserPermissionsBoundary"),
                    ("UserName", user),
                    ("PermissionsBoundary", arn),
                ],
            )
        };
        ok(&put(&root, "alice", read_only));
        assert_eq!(boundary(&h).as_deref(), Some(read_only));
        let missing = "arn:aws:iam::aws:policy/NoSuchPolicy";
        expect_error(
            &put(&root, "alice", missing),
            404,
            "NoSuchEntity",
            "Scope ARN: arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
        );
        // Another account's customer managed policy is not attachable here.
        expect_error(
            &put(&root, "alice", "arn:aws:iam::222222222222:policy/p"),
            404,
            "NoSuchEntity",
            "Scope ARN: arn:aws:iam::222222222222:policy/p does not exist or is not attachable.",
        );
        expect_error(
            &put(&root, "ghost", read_only),
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        );
        expect_error(
            &put(&root, "alice", "not-an-arn-at-all-xyz"),
            400,
            "InvalidInput",
            "ARN not-an-arn-at-all-xyz is not valid.",
        );
        assert_eq!(
            field(&put(&root, "alice", "short").body, "Code"),
            Some("ValidationError")
        );
        assert_eq!(boundary(&h).as_deref(), Some(read_only));

        let delete = |caller, user: &str| {
            h.iam(
                caller,
                &[
                    ("Action", "DeleteUserPermissionsBoundary"),
                    ("UserName", user),
                ],
            )
        };
        ok(&delete(&root, "alice"));
        assert_eq!(boundary(&h), None);
        expect_error(
            &delete(&root, "ghost"),
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        );

        // iam:PermissionsBoundary lets a policy say which boundaries may be set or removed.
        grant(
            &h,
            "bob",
            &format!(
                r#"{{"Effect":"Allow","Action":["iam:PutUserPermissionsBoundary","iam:DeleteUserPermissionsBoundary"],"Resource":"*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{read_only}"}}}}}}"#
            ),
        );
        let bob = h.user(A, "bob");
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        expect_error(
            &put(&bob, "alice", admin),
            403,
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:PutUserPermissionsBoundary on resource: arn:aws:iam::111111111111:user/alice because no identity-based policy allows the iam:PutUserPermissionsBoundary action",
        );
        ok(&put(&bob, "alice", read_only));
        ok(&delete(&bob, "alice"));
        ok(&put(&root, "alice", admin));
        assert_eq!(delete(&bob, "alice").status, 403);
        assert_eq!(boundary(&h).as_deref(), Some(admin));
    }
}
