//! GetAccountAuthorizationDetails: every user, group, role and managed policy of the account
//! with the policies that apply to it, in one paginated answer.

use super::common::{account, write_tags};
use super::policies::{usage, write_attached, write_policy, write_version, Usage};
use super::roles::{encode_document, write_role_summary};
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{paginate, write_truncation};
use rolegate_core::clock::iso;
use rolegate_core::model::{Account, Group, InstanceProfile, ManagedPolicy, Role, User};
use rolegate_core::{PolicyDoc, Snapshot};
use std::collections::BTreeMap;

pub(crate) const OPS: &[(&str, Handler)] = &[(
    "GetAccountAuthorizationDetails",
    get_account_authorization_details,
)];

const ENTITY_TYPES: [&str; 5] = [
    "User",
    "Role",
    "Group",
    "LocalManagedPolicy",
    "AWSManagedPolicy",
];

/// One entry of the answer; pagination runs over all of them, users first.
#[derive(Clone, Copy)]
enum Detail<'a> {
    User(&'a User),
    Group(&'a Group),
    Role(&'a Role),
    Policy(&'a ManagedPolicy, Usage),
}

/// `Filter.member.N`, each one of the entity types; none means all.
fn filter_param(ctx: &Ctx<'_>) -> Result<Vec<String>, ServiceError> {
    let filter: Vec<String> = ctx
        .params
        .list("Filter")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if filter.iter().any(|f| !ENTITY_TYPES.contains(&f.as_str())) {
        return Err(ServiceError::validation(format!(
            "1 validation error detected: Value '[{}]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
            filter.join(", "),
            ENTITY_TYPES.join(", ")
        )));
    }
    Ok(filter)
}

fn write_inline(x: &mut Xml, name: &str, inline: &BTreeMap<String, PolicyDoc>) {
    let docs: Vec<(&String, &PolicyDoc)> = inline.iter().collect();
    x.members(name, &docs, |x, (n, d)| {
        x.elem("PolicyName", n)
            .elem("PolicyDocument", &encode_document(d.text()));
    });
}

fn write_boundary(x: &mut Xml, boundary: &Option<String>) {
    if let Some(b) = boundary {
        x.with("PermissionsBoundary", |x| {
            x.elem("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .elem("PermissionsBoundaryArn", b);
        });
    }
}

fn write_user(x: &mut Xml, snap: &Snapshot, u: &User) {
    x.elem("Path", &u.path)
        .elem("UserName", &u.name)
        .elem("UserId", &u.id)
        .elem("Arn", &u.arn)
        .elem("CreateDate", &iso(u.created));
    write_inline(x, "UserPolicyList", &u.inline);
    x.members("GroupList", &u.groups, |x, g| {
        let mut text = String::new();
        crate::protocol::xml::escape(g, &mut text);
        x.raw(&text);
    });
    write_attached(x, "AttachedManagedPolicies", snap, &u.attached);
    write_boundary(x, &u.boundary);
    write_tags(x, "Tags", &u.tags);
}

fn write_group(x: &mut Xml, snap: &Snapshot, g: &Group) {
    x.elem("Path", &g.path)
        .elem("GroupName", &g.name)
        .elem("GroupId", &g.id)
        .elem("Arn", &g.arn)
        .elem("CreateDate", &iso(g.created));
    write_inline(x, "GroupPolicyList", &g.inline);
    write_attached(x, "AttachedManagedPolicies", snap, &g.attached);
}

fn write_instance_profile(x: &mut Xml, a: &Account, p: &InstanceProfile) {
    x.elem("Path", &p.path)
        .elem("InstanceProfileName", &p.name)
        .elem("InstanceProfileId", &p.id)
        .elem("Arn", &p.arn)
        .elem("CreateDate", &iso(p.created));
    let roles: Vec<&Role> = p.roles.iter().filter_map(|r| a.role(r)).collect();
    x.members("Roles", &roles, |x, r| write_role_summary(x, r));
    if !p.tags.is_empty() {
        write_tags(x, "Tags", &p.tags);
    }
}

fn write_role(x: &mut Xml, snap: &Snapshot, a: &Account, r: &Role) {
    x.elem("Path", &r.path)
        .elem("RoleName", &r.name)
        .elem("RoleId", &r.id)
        .elem("Arn", &r.arn)
        .elem("CreateDate", &iso(r.created))
        .elem("AssumeRolePolicyDocument", &encode_document(r.trust.text()));
    let profiles: Vec<&InstanceProfile> = a
        .instance_profiles
        .values()
        .map(|v| &**v)
        .filter(|p| p.roles.iter().any(|n| n.eq_ignore_ascii_case(&r.name)))
        .collect();
    x.members("InstanceProfileList", &profiles, |x, p| {
        write_instance_profile(x, a, p)
    });
    write_inline(x, "RolePolicyList", &r.inline);
    write_attached(x, "AttachedManagedPolicies", snap, &r.attached);
    write_boundary(x, &r.boundary);
    write_tags(x, "Tags", &r.tags);
    x.with("RoleLastUsed", |x| {
        if let Some(u) = &r.last_used {
            x.elem("LastUsedDate", &iso(u.date))
                .elem("Region", &u.region);
        }
    });
}

fn write_managed(x: &mut Xml, p: &ManagedPolicy, u: Usage) {
    write_policy(x, p, u, false);
    let versions: Vec<_> = p.versions.iter().rev().collect();
    x.members("PolicyVersionList", &versions, |x, v| {
        write_version(x, p, v, true)
    });
}

fn by_name<T>(items: impl Iterator<Item = T>, name: impl Fn(&T) -> &str) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort_by_key(|i| name(i).to_lowercase());
    v
}

fn get_account_authorization_details(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let filter = filter_param(ctx)?;
    // The action has no resource-level permissions.
    ctx.authorize("iam:GetAccountAuthorizationDetails", "*", |_| {})?;
    let a = account(ctx)?;
    let wants = |t: &str| filter.is_empty() || filter.iter().any(|f| f == t);
    let mut details: Vec<Detail<'_>> = Vec::new();
    if wants("User") {
        details.extend(
            by_name(a.users.values().map(|v| &**v), |u| &u.name)
                .into_iter()
                .map(Detail::User),
        );
    }
    if wants("Group") {
        details.extend(
            by_name(a.groups.values().map(|v| &**v), |g| &g.name)
                .into_iter()
                .map(Detail::Group),
        );
    }
    if wants("Role") {
        details.extend(
            by_name(a.roles.values().map(|v| &**v), |r| &r.name)
                .into_iter()
                .map(Detail::Role),
        );
    }
    if wants("LocalManagedPolicy") {
        let local = by_name(a.policies.values(), |p| &p.name);
        details.extend(
            local
                .into_iter()
                .map(|p| Detail::Policy(p, usage(a, &p.arn))),
        );
    }
    if wants("AWSManagedPolicy") {
        // As on AWS, only the AWS managed policies the account uses.
        let aws = by_name(ctx.snap.aws_policies.values(), |p| &p.name);
        details.extend(aws.into_iter().filter_map(|p| {
            let u = usage(a, &p.arn);
            (u.attachments + u.boundaries > 0).then_some(Detail::Policy(p, u))
        }));
    }
    let (page, next) = paginate(
        &details,
        ctx.params.get("Marker"),
        ctx.params.get("MaxItems"),
    )?;
    let snap = &ctx.snap;
    let users: Vec<&User> = page
        .iter()
        .filter_map(|d| match d {
            Detail::User(u) => Some(*u),
            _ => None,
        })
        .collect();
    let groups: Vec<&Group> = page
        .iter()
        .filter_map(|d| match d {
            Detail::Group(g) => Some(*g),
            _ => None,
        })
        .collect();
    let roles: Vec<&Role> = page
        .iter()
        .filter_map(|d| match d {
            Detail::Role(r) => Some(*r),
            _ => None,
        })
        .collect();
    let policies: Vec<(&ManagedPolicy, Usage)> = page
        .iter()
        .filter_map(|d| match d {
            Detail::Policy(p, u) => Some((*p, *u)),
            _ => None,
        })
        .collect();
    let mut x = Xml::new();
    x.members("UserDetailList", &users, |x, u| write_user(x, snap, u));
    x.members("GroupDetailList", &groups, |x, g| write_group(x, snap, g));
    x.members("RoleDetailList", &roles, |x, r| write_role(x, snap, a, r));
    x.members("Policies", &policies, |x, (p, u)| write_managed(x, p, *u));
    write_truncation(&mut x, &next);
    Ok(Some(x))
}

#[cfg(test)]
mod tests {
    use crate::iam::policies::tests::{decode, entities, err, error, user_with, A, DOC, TRUST};
    use crate::testing::{field, fields, Harness};

    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    #[test]
    fn details_of_everything() {
        let h = Harness::new();
        let root = Harness::root(A);
        entities(&h, &root, "dev");
        let ok = |params: &[(&str, &str)]| {
            let r = h.iam(&root, params);
            assert_eq!(r.status, 200, "{}", r.body);
        };
        ok(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "p"),
            ("PolicyDocument", DOC),
        ]);
        let p = format!("arn:aws:iam::{A}:policy/p");
        ok(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", &p),
            ("PolicyDocument", DOC),
            ("SetAsDefault", "true"),
        ]);
        ok(&[
            ("Action", "AddUserToGroup"),
            ("UserName", "dev"),
            ("GroupName", "dev"),
        ]);
        ok(&[
            ("Action", "AttachUserPolicy"),
            ("UserName", "dev"),
            ("PolicyArn", ADMIN),
        ]);
        ok(&[
            ("Action", "AttachRolePolicy"),
            ("RoleName", "dev"),
            ("PolicyArn", &p),
        ]);
        ok(&[
            ("Action", "PutGroupPolicy"),
            ("GroupName", "dev"),
            ("PolicyName", "gp"),
            ("PolicyDocument", DOC),
        ]);
        ok(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "dev"),
            ("PolicyName", "up"),
            ("PolicyDocument", DOC),
        ]);
        ok(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", "dev"),
            ("PolicyName", "rp"),
            ("PolicyDocument", DOC),
        ]);

        let r = h.iam(&root, &[("Action", "GetAccountAuthorizationDetails")]);
        assert_eq!(r.status, 200, "{}", r.body);
        let users = field(&r.body, "UserDetailList").unwrap_or_default();
        assert_eq!(fields(users, "UserName"), vec!["dev"]);
        assert_eq!(
            fields(users, "PolicyName"),
            vec!["up", "AdministratorAccess"]
        );
        assert_eq!(
            field(users, "PolicyDocument").map(decode),
            Some(DOC.to_owned())
        );
        assert!(users.contains("<GroupList><member>dev</member></GroupList>"));
        let groups = field(&r.body, "GroupDetailList").unwrap_or_default();
        assert_eq!(fields(groups, "PolicyName"), vec!["gp"]);
        let roles = field(&r.body, "RoleDetailList").unwrap_or_default();
        assert_eq!(fields(roles, "RoleName"), vec!["dev"]);
        assert_eq!(
            field(roles, "AssumeRolePolicyDocument").map(decode),
            Some(TRUST.to_owned())
        );
        assert_eq!(fields(roles, "PolicyName"), vec!["rp", "p"]);
        // Customer managed policies, and only the AWS managed ones in use.
        let policies = field(&r.body, "Policies").unwrap_or_default();
        assert_eq!(
            fields(policies, "PolicyName"),
            vec!["p", "AdministratorAccess"]
        );
        assert_eq!(fields(policies, "VersionId"), vec!["v2", "v1", "v1"]);
        assert_eq!(
            fields(policies, "IsDefaultVersion"),
            vec!["true", "false", "true"]
        );
        assert_eq!(fields(policies, "AttachmentCount"), vec!["1", "1"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));

        let r = h.iam(
            &root,
            &[
                ("Action", "GetAccountAuthorizationDetails"),
                ("Filter.member.1", "Role"),
                ("Filter.member.2", "AWSManagedPolicy"),
            ],
        );
        assert_eq!(fields(&r.body, "UserName"), Vec::<&str>::new());
        assert_eq!(fields(&r.body, "RoleName"), vec!["dev"]);
        assert_eq!(
            fields(field(&r.body, "Policies").unwrap_or_default(), "PolicyName"),
            vec!["AdministratorAccess"]
        );

        // Pagination runs across the lists.
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![
                ("Action", "GetAccountAuthorizationDetails"),
                ("MaxItems", "2"),
            ];
            if let Some(m) = &marker {
                params.push(("Marker", m));
            }
            let r = h.iam(&root, &params);
            assert_eq!(r.status, 200, "{}", r.body);
            for list in [
                "UserDetailList",
                "GroupDetailList",
                "RoleDetailList",
                "Policies",
            ] {
                seen.push(fields(field(&r.body, list).unwrap_or_default(), "Arn").len());
            }
            marker = field(&r.body, "Marker").map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        assert_eq!(seen.iter().sum::<usize>(), 5);

        assert_eq!(
            error(&h.iam(&root, &[("Action", "GetAccountAuthorizationDetails"), ("Filter.member.1", "Users")])),
            err(400, "ValidationError", "1 validation error detected: Value '[Users]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]")
        );
    }

    #[test]
    fn access_denied() {
        let h = Harness::new();
        let bob = user_with(
            &h,
            "bob",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        );
        assert_eq!(
            error(&h.iam(&bob, &[("Action", "GetAccountAuthorizationDetails")])),
            err(403, "AccessDenied", &format!("User: arn:aws:iam::{A}:user/bob is not authorized to perform: iam:GetAccountAuthorizationDetails on resource: * because no identity-based policy allows the iam:GetAccountAuthorizationDetails action"))
        );
    }
}
