//! Users: Create/Get/List/Update/Delete and their tags.

use super::common::{
    account, arn_in, authorize_listing, list_entity_tags, no_such_user, orphan_principal, page,
    rename_principal, tag_entity, tag_keys_param, tags_param, untag_entity, write_tags,
};
use super::Handler;
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::Shape;
use rolegate_core::clock::iso;
use rolegate_core::ids::unique_id;
use rolegate_core::model::{iam_arn, Account, Tag, User};
use std::collections::BTreeMap;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateUser", create_user),
    ("GetUser", get_user),
    ("ListUsers", list_users),
    ("UpdateUser", update_user),
    ("DeleteUser", delete_user),
    ("TagUser", tag_user),
    ("UntagUser", untag_user),
    ("ListUserTags", list_user_tags),
];

pub(crate) fn write_user(x: &mut Xml, u: &User) {
    x.elem("Path", &u.path)
        .elem("UserName", &u.name)
        .elem("UserId", &u.id)
        .elem("Arn", &u.arn)
        .elem("CreateDate", &iso(u.created));
}

/// GetUser and CreateUser also show the permissions boundary.
fn write_boundary(x: &mut Xml, u: &User) {
    if let Some(b) = &u.boundary {
        x.with("PermissionsBoundary", |x| {
            x.elem("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .elem("PermissionsBoundaryArn", b);
        });
    }
}

/// The user's ARN, or the one it would have at path `/`: authorization comes before the
/// existence check, so a denied caller learns nothing about what exists.
pub(crate) fn user_arn(ctx: &Ctx<'_>, name: &str) -> String {
    ctx.snap
        .account(ctx.account())
        .and_then(|a| a.user(name))
        .map(|u| u.arn.clone())
        .unwrap_or_else(|| iam_arn(ctx.account(), "user/", "", name))
}

fn user_name(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let name = ctx.params.required("UserName")?.to_owned();
    Shape::new().name("userName", &name, 64).check()?;
    Ok(name)
}

fn create_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    // Every shape violation is reported at once, as AWS does.
    let name = ctx.params.required("UserName")?.to_owned();
    let path = ctx.params.get("Path").unwrap_or("/").to_owned();
    Shape::new()
        .name("userName", &name, 64)
        .path("path", &path)
        .check()?;
    let tags = tags_param(ctx)?;
    let boundary = ctx.params.get("PermissionsBoundary").map(str::to_owned);
    let arn = arn_in(ctx, "user/", &path[1..], &name);
    ctx.authorize("iam:CreateUser", &arn, |c| {
        tag_keys(c, &tags);
        if let Some(b) = &boundary {
            c.insert("iam:PermissionsBoundary", b);
        }
    })?;
    if let Some(b) = &boundary {
        if ctx.snap.managed_policy(b).is_none() {
            return Err(ServiceError::no_such_entity(format!(
                "Scope ARN: {b} does not exist or is not attachable."
            )));
        }
    }
    let now = ctx.now();
    let user = ctx.state.catalog.update(ctx.account(), |a| {
        if a.user(&name).is_some() {
            return Err(ServiceError::already_exists(format!(
                "User with name {name} already exists."
            )));
        }
        if a.users.len() >= 5000 {
            return Err(ServiceError::limit_exceeded(
                "Cannot exceed quota for UsersPerAccount: 5000",
            ));
        }
        let user = User {
            name: name.clone(),
            path: path.clone(),
            id: unique_id("AIDA"),
            arn: arn.clone(),
            created: now,
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            inline: BTreeMap::new(),
            attached: Vec::new(),
            groups: Vec::new(),
            boundary,
            access_keys: Vec::new(),
        };
        a.users.insert(name.to_lowercase(), user.clone().into());
        Ok(user)
    })?;
    let mut x = Xml::new();
    x.with("User", |x| {
        write_user(x, &user);
        write_boundary(x, &user);
        if !user.tags.is_empty() {
            write_tags(x, "Tags", &user.tags);
        }
    });
    Ok(Some(x))
}

fn get_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let requested = ctx.params.get("UserName").map(str::to_owned);
    let name = match &requested {
        Some(n) => {
            Shape::new().name("userName", n, 64).check()?;
            Some(n.clone())
        }
        // Without a name, GetUser describes the caller.
        None => match &ctx.caller.kind {
            rolegate_core::CallerKind::User { name } => Some(name.clone()),
            rolegate_core::CallerKind::Root => None,
            _ => {
                return Err(ServiceError::validation(
                    "Must specify userName when calling with non-User credentials",
                ))
            }
        },
    };
    let Some(name) = name else {
        let arn = format!("arn:aws:iam::{}:root", ctx.account());
        ctx.authorize("iam:GetUser", &arn, |_| {})?;
        let a = account(ctx)?;
        let mut x = Xml::new();
        x.with("User", |x| {
            x.elem("Path", "/")
                .elem("UserId", &a.id)
                .elem("Arn", &a.root_arn())
                .elem("CreateDate", &iso(a.created));
        });
        return Ok(Some(x));
    };
    let arn = user_arn(ctx, &name);
    ctx.authorize("iam:GetUser", &arn, |_| {})?;
    let a = account(ctx)?;
    let u = a.user(&name).ok_or_else(|| no_such_user(&name))?;
    let mut x = Xml::new();
    x.with("User", |x| {
        write_user(x, u);
        write_boundary(x, u);
        if !u.tags.is_empty() {
            write_tags(x, "Tags", &u.tags);
        }
    });
    Ok(Some(x))
}

fn list_users(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let prefix = authorize_listing(ctx, "iam:ListUsers", "user")?;
    let a = account(ctx)?;
    // Keyed by lowercased name: already in IAM's order.
    let users: Vec<&User> = a
        .users
        .values()
        .map(|v| &**v)
        .filter(|u| u.path.starts_with(&prefix))
        .collect();
    page(ctx, "Users", &users, |x, u| write_user(x, u))
}

fn update_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = user_name(ctx)?;
    let new_name = ctx.params.get("NewUserName").map(str::to_owned);
    let new_path = ctx.params.get("NewPath").map(str::to_owned);
    let mut shape = Shape::new();
    if let Some(n) = &new_name {
        shape.name("newUserName", n, 64);
    }
    if let Some(p) = &new_path {
        shape.path("newPath", p);
    }
    shape.check()?;
    let arn = user_arn(ctx, &name);
    ctx.authorize("iam:UpdateUser", &arn, |_| {})?;
    let account_id = ctx.account().to_owned();
    let (old_arn, new_arn) = ctx.state.catalog.update(&account_id, |a| {
        let mut user = a
            .users
            .remove(&name.to_lowercase())
            .ok_or_else(|| no_such_user(&name))?;
        let old_arn = user.arn.clone();
        if let Some(n) = &new_name {
            if !n.eq_ignore_ascii_case(&name) && a.user(n).is_some() {
                return Err(ServiceError::already_exists(format!(
                    "User with name {n} already exists."
                )));
            }
            user.name = n.clone();
        }
        if let Some(p) = &new_path {
            user.path = p.clone();
        }
        user.arn = iam_arn(&a.id, "user/", &user.path[1..], &user.name);
        let new_arn = user.arn.clone();
        a.users.insert(user.name.to_lowercase(), user);
        Ok((old_arn, new_arn))
    })?;
    // IAM keeps principals by unique id: trust policies follow the user to its new name, and
    // a new user taking the old name is not trusted.
    if old_arn != new_arn {
        rename_principal(ctx, &old_arn, &new_arn)?;
    }
    Ok(None)
}

fn delete_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = user_name(ctx)?;
    let arn = user_arn(ctx, &name);
    ctx.authorize("iam:DeleteUser", &arn, |_| {})?;
    let id = account(ctx)?
        .user(&name)
        .ok_or_else(|| no_such_user(&name))?
        .id
        .clone();
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        let u = a.user(&name).ok_or_else(|| no_such_user(&name))?;
        if !u.access_keys.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must delete access keys first.",
            ));
        }
        if !u.inline.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !u.attached.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        if !u.groups.is_empty() {
            return Err(ServiceError::delete_conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        a.users.remove(&name.to_lowercase());
        Ok(())
    })?;
    orphan_principal(ctx, &arn, &id)?;
    Ok(None)
}

/// The user's current tags, for `aws:ResourceTag/*` (empty when it does not exist).
fn current_tags(ctx: &Ctx<'_>, name: &str) -> Vec<(String, String)> {
    ctx.snap
        .account(ctx.account())
        .and_then(|a| a.user(name))
        .map(|u| {
            u.tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn tag_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = user_name(ctx)?;
    let tags = tags_param(ctx)?;
    let arn = user_arn(ctx, &name);
    let existing = current_tags(ctx, &name);
    tag_entity(ctx, "iam:TagUser", &arn, &existing, &tags, |a| {
        user_tags_mut(a, &name)
    })
}

fn untag_user(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = user_name(ctx)?;
    let keys = tag_keys_param(ctx)?;
    let arn = user_arn(ctx, &name);
    let existing = current_tags(ctx, &name);
    untag_entity(ctx, "iam:UntagUser", &arn, &existing, &keys, |a| {
        user_tags_mut(a, &name)
    })
}

fn list_user_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let name = user_name(ctx)?;
    let arn = user_arn(ctx, &name);
    let existing = current_tags(ctx, &name);
    list_entity_tags(ctx, "iam:ListUserTags", &arn, &existing, |ctx| {
        let u = account(ctx)?
            .user(&name)
            .ok_or_else(|| no_such_user(&name))?;
        Ok(&u.tags)
    })
}

fn user_tags_mut<'a>(a: &'a mut Account, name: &str) -> Result<&'a mut Vec<Tag>, ServiceError> {
    a.users
        .get_mut(&name.to_lowercase())
        .map(|u| &mut u.tags)
        .ok_or_else(|| no_such_user(name))
}
