//! Groups and their members: Create/Get/List/Update/Delete, Add/RemoveUserToGroup,
//! ListGroupsForUser.
//!
//! Membership is stored on the user (`user.groups`, the group names as the groups spell them),
//! which is where the authorizer looks for a user's group policies.

use super::common::{account, arn_in, no_such_group, no_such_user, page, path_param};
use super::users::{user_arn, write_user};
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{paginate, write_truncation, Shape};
use rolegate_core::clock::iso;
use rolegate_core::ids::unique_id;
use rolegate_core::model::{iam_arn, Group, User};
use std::collections::BTreeMap;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateGroup", create_group),
    ("GetGroup", get_group),
    ("ListGroups", list_groups),
    ("UpdateGroup", update_group),
    ("DeleteGroup", delete_group),
    ("AddUserToGroup", add_user_to_group),
    ("RemoveUserFromGroup", remove_user_from_group),
    ("ListGroupsForUser", list_groups_for_user),
];

const GROUPS_PER_ACCOUNT: usize = 300;
const GROUPS_PER_USER: usize = 10;

pub(crate) fn write_group(x: &mut Xml, g: &Group) {
    x.elem("Path", &g.path)
        .elem("GroupName", &g.name)
        .elem("GroupId", &g.id)
        .elem("Arn", &g.arn)
        .elem("CreateDate", &iso(g.created));
}

/// The group's ARN, or the one it would have at path `/` (authorization comes first).
pub(crate) fn group_arn(ctx: &Ctx<'_>, name: &str) -> String {
    ctx.snap
        .account(ctx.account())
        .and_then(|a| a.group(name))
        .map(|g| g.arn.clone())
        .unwrap_or_else(|| iam_arn(ctx.account(), "group/", "", name))
}

fn group_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("GroupName")?.to_owned();
    Shape::new().name("groupName", &name, 128).check()?;
    Ok(name)
}

/// `UserName` of the membership operations (`existingUserNameType`: up to 128).
fn member_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("UserName")?.to_owned();
    Shape::new().name("userName", &name, 128).check()?;
    Ok(name)
}

fn is_member(u: &User, group: &str) -> bool {
    u.groups.iter().any(|g| g.eq_ignore_ascii_case(group))
}

fn create_group(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = group_name(ctx)?;
    let path = path_param(ctx)?;
    let arn = arn_in(ctx, "group/", &path[1..], &name);
    ctx.authorize("iam:CreateGroup", &arn, |_| {})?;
    let now = ctx.now();
    let account_id = ctx.account().to_owned();
    let group = ctx.state.catalog.update(&account_id, |a| {
        if a.group(&name).is_some() {
            return Err(ServiceError::already_exists(format!(
                "Group with name {name} already exists."
            )));
        }
        if a.groups.len() >= GROUPS_PER_ACCOUNT {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for GroupsPerAccount: {GROUPS_PER_ACCOUNT}"
            )));
        }
        let group = Group {
            name: name.clone(),
            path: path.clone(),
            id: unique_id("AGPA"),
            arn: arn.clone(),
            created: now,
            inline: BTreeMap::new(),
            attached: Vec::new(),
        };
        a.groups.insert(name.to_lowercase(), group.clone().into());
        Ok(group)
    })?;
    let mut x = Xml::new();
    x.with("Group", |x| write_group(x, &group));
    Ok(Some(x))
}

fn get_group(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = group_name(ctx)?;
    let arn = group_arn(ctx, &name);
    ctx.authorize("iam:GetGroup", &arn, |_| {})?;
    let a = account(ctx)?;
    let g = a.group(&name).ok_or_else(|| no_such_group(&name))?;
    let mut users: Vec<&User> = a
        .users
        .values()
        .map(|u| &**u)
        .filter(|u| is_member(u, &g.name))
        .collect();
    users.sort_by_key(|u| u.name.to_lowercase());
    let (page, next) = paginate(&users, ctx.params.get("Marker"), ctx.params.get("MaxItems"))?;
    let mut x = Xml::new();
    x.with("Group", |x| write_group(x, g));
    x.members("Users", &page, |x, u| write_user(x, u));
    write_truncation(&mut x, &next);
    Ok(Some(x))
}

fn list_groups(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let prefix = ctx.params.get("PathPrefix").unwrap_or("/").to_owned();
    let ok = prefix.starts_with('/') && prefix.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    Shape::new()
        .length("pathPrefix", &prefix, 1, 512)
        .pattern(
            "pathPrefix",
            &prefix,
            prefix.is_empty() || ok,
            "\\u002F[\\u0021-\\u007F]*",
        )
        .check()?;
    let resource = format!("arn:aws:iam::{}:group{}", ctx.account(), prefix);
    ctx.authorize("iam:ListGroups", &resource, |_| {})?;
    let a = account(ctx)?;
    let mut groups: Vec<&Group> = a
        .groups
        .values()
        .map(|g| &**g)
        .filter(|g| g.path.starts_with(&prefix))
        .collect();
    groups.sort_by_key(|g| g.name.to_lowercase());
    page(ctx, "Groups", &groups, |x, g| write_group(x, g))
}

fn update_group(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = group_name(ctx)?;
    let new_name = ctx.params.get("NewGroupName").map(str::to_owned);
    let new_path = ctx.params.get("NewPath").map(str::to_owned);
    let mut shape = Shape::new();
    if let Some(n) = &new_name {
        shape.name("newGroupName", n, 128);
    }
    if let Some(p) = &new_path {
        shape.path("newPath", p);
    }
    shape.check()?;
    let arn = group_arn(ctx, &name);
    ctx.authorize("iam:UpdateGroup", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let mut group = a
            .groups
            .remove(&name.to_lowercase())
            .ok_or_else(|| no_such_group(&name))?;
        let old_name = group.name.clone();
        if let Some(n) = &new_name {
            if !n.eq_ignore_ascii_case(&old_name) && a.group(n).is_some() {
                return Err(ServiceError::already_exists(format!(
                    "Group with name {n} already exists."
                )));
            }
            group.name = n.clone();
        }
        if let Some(p) = &new_path {
            group.path = p.clone();
        }
        group.arn = iam_arn(&a.id, "group/", &group.path[1..], &group.name);
        // Members keep their membership under the new name.
        if group.name != old_name {
            let members: Vec<String> = a
                .users
                .iter()
                .filter(|(_, u)| u.groups.iter().any(|g| g.eq_ignore_ascii_case(&old_name)))
                .map(|(k, _)| k.clone())
                .collect();
            for k in &members {
                let Some(u) = a.users.get_mut(k) else {
                    continue;
                };
                for g in u.groups.iter_mut() {
                    if g.eq_ignore_ascii_case(&old_name) {
                        *g = group.name.clone();
                    }
                }
            }
        }
        a.groups.insert(group.name.to_lowercase(), group);
        Ok(())
    })?;
    Ok(None)
}

fn delete_group(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = group_name(ctx)?;
    let arn = group_arn(ctx, &name);
    ctx.authorize("iam:DeleteGroup", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let g = a.group(&name).ok_or_else(|| no_such_group(&name))?;
        if a.users.values().any(|u| is_member(u, &g.name)) {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        if !g.inline.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !g.attached.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        a.groups.remove(&name.to_lowercase());
        Ok(())
    })?;
    Ok(None)
}

fn add_user_to_group(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let group = group_name(ctx)?;
    let user = member_name(ctx)?;
    let arn = group_arn(ctx, &group);
    ctx.authorize("iam:AddUserToGroup", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let group_name = a
            .group(&group)
            .ok_or_else(|| no_such_group(&group))?
            .name
            .clone();
        let u = a
            .users
            .get_mut(&user.to_lowercase())
            .ok_or_else(|| no_such_user(&user))?;
        // Adding a member again changes nothing, as on IAM.
        if is_member(u, &group_name) {
            return Ok(());
        }
        if u.groups.len() >= GROUPS_PER_USER {
            return Err(ServiceError::limit_exceeded(format!(
                "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
            )));
        }
        u.groups.push(group_name);
        Ok(())
    })?;
    Ok(None)
}

fn remove_user_from_group(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let group = group_name(ctx)?;
    let user = member_name(ctx)?;
    let arn = group_arn(ctx, &group);
    ctx.authorize("iam:RemoveUserFromGroup", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        // IAM looks the user up first: with neither existing, the user is what it reports.
        if a.user(&user).is_none() {
            return Err(no_such_user(&user));
        }
        let group_name = a
            .group(&group)
            .ok_or_else(|| no_such_group(&group))?
            .name
            .clone();
        let u = a
            .users
            .get_mut(&user.to_lowercase())
            .ok_or_else(|| no_such_user(&user))?;
        if !is_member(u, &group_name) {
            return Err(no_such_user(&user));
        }
        u.groups.retain(|g| !g.eq_ignore_ascii_case(&group_name));
        Ok(())
    })?;
    Ok(None)
}

fn list_groups_for_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = member_name(ctx)?;
    let arn = user_arn(ctx, &name);
    ctx.authorize("iam:ListGroupsForUser", &arn, |_| {})?;
    let a = account(ctx)?;
    let u = a.user(&name).ok_or_else(|| no_such_user(&name))?;
    // In the order the user joined them.
    let groups: Vec<&Group> = u.groups.iter().filter_map(|g| a.group(g)).collect();
    page(ctx, "Groups", &groups, |x, g| write_group(x, g))
}

#[cfg(test)]
mod tests {
    use crate::dispatch::QueryResponse;
    use crate::testing::{field, fields, Harness};
    use rolegate_core::{CatalogError, PolicyDoc};
    use rolegate_policy::PolicyKind;

    const A: &str = "111111111111";

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

    fn policy(statement: &str) -> PolicyDoc {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        PolicyDoc::new(&text, PolicyKind::InlineIdentity).expect("policy")
    }

    #[test]
    fn create_get_list() {
        let h = setup();
        let root = Harness::root(A);
        let r = h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "Admins")]);
        ok(&r);
        assert_eq!(field(&r.body, "GroupName"), Some("Admins"));
        assert_eq!(field(&r.body, "Path"), Some("/"));
        assert_eq!(
            field(&r.body, "Arn"),
            Some("arn:aws:iam::111111111111:group/Admins")
        );
        let id = field(&r.body, "GroupId").expect("id").to_owned();
        assert!(id.starts_with("AGPA") && id.len() == 21);
        let r = h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "admins")]);
        expect_error(
            &r,
            409,
            "EntityAlreadyExists",
            "Group with name admins already exists.",
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateGroup"),
                ("GroupName", "Ops"),
                ("Path", "/team/ops/"),
            ],
        );
        ok(&r);
        assert_eq!(
            field(&r.body, "Arn"),
            Some("arn:aws:iam::111111111111:group/team/ops/Ops")
        );
        let r = h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "a b")]);
        expect_error(
            &r,
            400,
            "ValidationError",
            "1 validation error detected: Value 'a b' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "CreateGroup"),
                ("GroupName", "x"),
                ("Path", "bad"),
            ],
        );
        assert_eq!(field(&r.body, "Code"), Some("ValidationError"));

        let r = h.iam(&root, &[("Action", "GetGroup"), ("GroupName", "ADMINS")]);
        ok(&r);
        assert_eq!(field(&r.body, "GroupId"), Some(id.as_str()));
        assert_eq!(field(&r.body, "Users"), Some(""));
        assert_eq!(field(&r.body, "IsTruncated"), Some("false"));
        let r = h.iam(&root, &[("Action", "GetGroup"), ("GroupName", "nope")]);
        expect_error(
            &r,
            404,
            "NoSuchEntity",
            "The group with name nope cannot be found.",
        );

        let r = h.iam(&root, &[("Action", "ListGroups")]);
        ok(&r);
        assert_eq!(fields(&r.body, "GroupName"), vec!["Admins", "Ops"]);
        let r = h.iam(&root, &[("Action", "ListGroups"), ("PathPrefix", "/team/")]);
        assert_eq!(fields(&r.body, "GroupName"), vec!["Ops"]);
        let r = h.iam(&root, &[("Action", "ListGroups"), ("MaxItems", "1")]);
        assert_eq!(fields(&r.body, "GroupName"), vec!["Admins"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("true"));
        let marker = field(&r.body, "Marker").expect("marker").to_owned();
        let r = h.iam(&root, &[("Action", "ListGroups"), ("Marker", &marker)]);
        assert_eq!(fields(&r.body, "GroupName"), vec!["Ops"]);
        let r = h.iam(&root, &[("Action", "ListGroups"), ("PathPrefix", "team")]);
        assert_eq!(field(&r.body, "Code"), Some("ValidationError"));
    }

    #[test]
    fn membership() {
        let h = setup();
        let root = Harness::root(A);
        ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "Admins")]));
        ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "Ops")]));
        let add = |g: &str, u: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "AddUserToGroup"),
                    ("GroupName", g),
                    ("UserName", u),
                ],
            )
        };
        ok(&add("admins", "bob"));
        ok(&add("Admins", "alice"));
        // Adding again changes nothing.
        ok(&add("Admins", "alice"));
        ok(&add("Ops", "alice"));
        expect_error(
            &add("Admins", "ghost"),
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        );
        expect_error(
            &add("Nope", "alice"),
            404,
            "NoSuchEntity",
            "The group with name Nope cannot be found.",
        );

        let r = h.iam(&root, &[("Action", "GetGroup"), ("GroupName", "Admins")]);
        ok(&r);
        assert_eq!(fields(&r.body, "UserName"), vec!["alice", "bob"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "GetGroup"),
                ("GroupName", "Admins"),
                ("MaxItems", "1"),
            ],
        );
        assert_eq!(fields(&r.body, "UserName"), vec!["alice"]);
        assert_eq!(field(&r.body, "IsTruncated"), Some("true"));

        let r = h.iam(
            &root,
            &[("Action", "ListGroupsForUser"), ("UserName", "alice")],
        );
        ok(&r);
        assert_eq!(fields(&r.body, "GroupName"), vec!["Admins", "Ops"]);
        let r = h.iam(
            &root,
            &[("Action", "ListGroupsForUser"), ("UserName", "ghost")],
        );
        expect_error(
            &r,
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        );

        let remove = |g: &str, u: &str| {
            h.iam(
                &root,
                &[
                    ("Action", "RemoveUserFromGroup"),
                    ("GroupName", g),
                    ("UserName", u),
                ],
            )
        };
        ok(&remove("Ops", "alice"));
        expect_error(
            &remove("Ops", "alice"),
            404,
            "NoSuchEntity",
            "The user with name alice cannot be found.",
        );
        // With neither existing, IAM reports the user.
        expect_error(
            &remove("nope", "any-user"),
            404,
            "NoSuchEntity",
            "The user with name any-user cannot be found.",
        );
        expect_error(
            &remove("nope", "alice"),
            404,
            "NoSuchEntity",
            "The group with name nope cannot be found.",
        );
        let r = h.iam(
            &root,
            &[("Action", "ListGroupsForUser"), ("UserName", "alice")],
        );
        assert_eq!(fields(&r.body, "GroupName"), vec!["Admins"]);
        // A member cannot be deleted; removed, it can.
        let r = h.iam(&root, &[("Action", "DeleteUser"), ("UserName", "bob")]);
        assert_eq!(field(&r.body, "Code"), Some("DeleteConflict"));
        ok(&remove("Admins", "bob"));
        ok(&h.iam(&root, &[("Action", "DeleteUser"), ("UserName", "bob")]));
    }

    #[test]
    fn at_most_ten_groups_per_user() {
        let h = setup();
        let root = Harness::root(A);
        for i in 0..11 {
            let g = format!("g{i}");
            ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", &g)]));
            let r = h.iam(
                &root,
                &[
                    ("Action", "AddUserToGroup"),
                    ("GroupName", &g),
                    ("UserName", "alice"),
                ],
            );
            if i < 10 {
                ok(&r);
            } else {
                expect_error(
                    &r,
                    409,
                    "LimitExceeded",
                    "Cannot exceed quota for GroupsPerUser: 10",
                );
            }
        }
        let r = h.iam(
            &root,
            &[("Action", "ListGroupsForUser"), ("UserName", "alice")],
        );
        assert_eq!(fields(&r.body, "GroupName").len(), 10);
    }

    #[test]
    fn update_renames_and_moves_keeping_members() {
        let h = setup();
        let root = Harness::root(A);
        ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "Admins")]));
        ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "Ops")]));
        ok(&h.iam(
            &root,
            &[
                ("Action", "AddUserToGroup"),
                ("GroupName", "Admins"),
                ("UserName", "alice"),
            ],
        ));
        let r = h.iam(&root, &[("Action", "GetGroup"), ("GroupName", "Admins")]);
        let id = field(&r.body, "GroupId").expect("id").to_owned();

        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateGroup"),
                ("GroupName", "Admins"),
                ("NewGroupName", "ops"),
            ],
        );
        expect_error(
            &r,
            409,
            "EntityAlreadyExists",
            "Group with name ops already exists.",
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateGroup"),
                ("GroupName", "Admins"),
                ("NewGroupName", "Root"),
                ("NewPath", "/x/"),
            ],
        );
        ok(&r);
        let r = h.iam(&root, &[("Action", "GetGroup"), ("GroupName", "Admins")]);
        expect_error(
            &r,
            404,
            "NoSuchEntity",
            "The group with name Admins cannot be found.",
        );
        let r = h.iam(&root, &[("Action", "GetGroup"), ("GroupName", "Root")]);
        ok(&r);
        assert_eq!(field(&r.body, "GroupId"), Some(id.as_str()));
        assert_eq!(field(&r.body, "Path"), Some("/x/"));
        assert_eq!(
            field(&r.body, "Arn"),
            Some("arn:aws:iam::111111111111:group/x/Root")
        );
        assert_eq!(fields(&r.body, "UserName"), vec!["alice"]);
        let r = h.iam(
            &root,
            &[("Action", "ListGroupsForUser"), ("UserName", "alice")],
        );
        assert_eq!(fields(&r.body, "GroupName"), vec!["Root"]);
        // A change of case only is a rename too.
        ok(&h.iam(
            &root,
            &[
                ("Action", "UpdateGroup"),
                ("GroupName", "Root"),
                ("NewGroupName", "ROOT"),
            ],
        ));
        let r = h.iam(
            &root,
            &[("Action", "ListGroupsForUser"), ("UserName", "alice")],
        );
        assert_eq!(fields(&r.body, "GroupName"), vec!["ROOT"]);
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateGroup"),
                ("GroupName", "nonexisting"),
                ("NewGroupName", "n"),
            ],
        );
        expect_error(
            &r,
            404,
            "NoSuchEntity",
            "The group with name nonexisting cannot be found.",
        );
        let r = h.iam(
            &root,
            &[
                ("Action", "UpdateGroup"),
                ("GroupName", "ROOT"),
                ("NewPath", "nope"),
            ],
        );
        assert_eq!(field(&r.body, "Code"), Some("ValidationError"));
    }

    #[test]
    fn delete_conflicts() {
        let h = setup();
        let root = Harness::root(A);
        ok(&h.iam(&root, &[("Action", "CreateGroup"), ("GroupName", "G")]));
        ok(&h.iam(
            &root,
            &[
                ("Action", "AddUserToGroup"),
                ("GroupName", "G"),
                ("UserName", "alice"),
            ],
        ));
        let delete = [("Action", "DeleteGroup"), ("GroupName", "G")];
        expect_error(
            &h.iam(&root, &delete),
            409,
            "DeleteConflict",
            "Cannot delete entity, must remove users from group first.",
        );
        ok(&h.iam(
            &root,
            &[
                ("Action", "RemoveUserFromGroup"),
                ("GroupName", "G"),
                ("UserName", "alice"),
            ],
        ));
        let doc = policy(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}"#);
        h.state
            .catalog
            .update(A, |a| {
                let g = a.groups.get_mut("g").expect("group");
                g.inline.insert("p".into(), doc);
                g.attached
                    .push("arn:aws:iam::aws:policy/ReadOnlyAccess".into());
                Ok::<_, CatalogError>(())
            })
            .expect("policies");
        expect_error(
            &h.iam(&root, &delete),
            409,
            "DeleteConflict",
            "Cannot delete entity, must delete policies first.",
        );
        h.state
            .catalog
            .update(A, |a| {
                a.groups.get_mut("g").expect("group").inline.clear();
                Ok::<_, CatalogError>(())
            })
            .expect("inline");
        expect_error(
            &h.iam(&root, &delete),
            409,
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
        );
        h.state
            .catalog
            .update(A, |a| {
                a.groups.get_mut("g").expect("group").attached.clear();
                Ok::<_, CatalogError>(())
            })
            .expect("attached");
        ok(&h.iam(&root, &delete));
        expect_error(
            &h.iam(&root, &delete),
            404,
            "NoSuchEntity",
            "The group with name G cannot be found.",
        );
    }

    #[test]
    fn permissions_come_from_policies_and_membership() {
        let h = setup();
        let root = Harness::root(A);
        let bob = h.user(A, "bob");
        let r = h.iam(&bob, &[("Action", "CreateGroup"), ("GroupName", "G")]);
        expect_error(
            &r,
            403,
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:CreateGroup on resource: arn:aws:iam::111111111111:group/G because no identity-based policy allows the iam:CreateGroup action",
        );
        ok(&h.iam(
            &root,
            &[("Action", "CreateGroup"), ("GroupName", "Readers")],
        ));
        // Denied before existence is revealed: a missing group reads like an existing one.
        let r = h.iam(&bob, &[("Action", "GetGroup"), ("GroupName", "Missing")]);
        expect_error(
            &r,
            403,
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:GetGroup on resource: arn:aws:iam::111111111111:group/Missing because no identity-based policy allows the iam:GetGroup action",
        );
        // The group's policy applies to bob once he joins it.
        let doc = policy(
            r#"{"Effect":"Allow","Action":["iam:GetGroup","iam:ListGroups"],"Resource":"*"}"#,
        );
        h.state
            .catalog
            .update(A, |a| {
                a.groups
                    .get_mut("readers")
                    .expect("group")
                    .inline
                    .insert("read".into(), doc);
                Ok::<_, CatalogError>(())
            })
            .expect("policy");
        assert_eq!(h.iam(&bob, &[("Action", "ListGroups")]).status, 403);
        ok(&h.iam(
            &root,
            &[
                ("Action", "AddUserToGroup"),
                ("GroupName", "Readers"),
                ("UserName", "bob"),
            ],
        ));
        ok(&h.iam(&bob, &[("Action", "ListGroups")]));
        ok(&h.iam(&bob, &[("Action", "GetGroup"), ("GroupName", "Readers")]));
        let r = h.iam(
            &bob,
            &[
                ("Action", "AddUserToGroup"),
                ("GroupName", "Readers"),
                ("UserName", "alice"),
            ],
        );
        expect_error(
            &r,
            403,
            "AccessDenied",
            "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:AddUserToGroup on resource: arn:aws:iam::111111111111:group/Readers because no identity-based policy allows the iam:AddUserToGroup action",
        );
        let r = h.iam(
            &bob,
            &[("Action", "ListGroupsForUser"), ("UserName", "alice")],
        );
        assert_eq!(r.status, 403);
        ok(&h.iam(
            &root,
            &[
                ("Action", "RemoveUserFromGroup"),
                ("GroupName", "Readers"),
                ("UserName", "bob"),
            ],
        ));
        assert_eq!(h.iam(&bob, &[("Action", "ListGroups")]).status, 403);
    }
}
