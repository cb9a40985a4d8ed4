//! What the IAM operation groups share: ARNs, lookups with AWS's not-found texts, tags, paths.

use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{paginate, write_truncation, Shape};
use rolegate_core::model::{iam_arn, Account, Tag};
use rolegate_core::{CatalogError, PolicyDoc};
use rolegate_policy::{Context, PolicyKind};
use std::collections::BTreeMap;

pub(crate) fn no_such_user(name: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("The user with name {name} cannot be found."))
}

pub(crate) fn no_such_role(name: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("The role with name {name} cannot be found."))
}

pub(crate) fn no_such_group(name: &str) -> ServiceError {
    ServiceError::no_such_entity(format!("The group with name {name} cannot be found."))
}

/// The ARN an entity would have in the caller's account (for authorizing its creation).
pub(crate) fn arn_in(ctx: &Ctx<'_>, kind: &str, path: &str, name: &str) -> String {
    iam_arn(ctx.account(), kind, path, name)
}

/// The caller's account as of the current snapshot.
pub(crate) fn account<'s>(ctx: &'s Ctx<'_>) -> Result<&'s Account, ServiceError> {
    ctx.snap
        .account(ctx.account())
        .map(|a| a.as_ref())
        .ok_or_else(|| ServiceError::from(CatalogError::NoSuchAccount(ctx.account().to_owned())))
}

/// `Path` parameter, defaulting to `/`, validated.
pub(crate) fn path_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let path = ctx.params.get("Path").unwrap_or("/").to_owned();
    Shape::new().path("path", &path).check()?;
    Ok(path)
}

/// `Tags.member.N.Key/Value`, validated as IAM does (at most 50, key 1-128, value 0-256).
pub(crate) fn tags_param(ctx: &Ctx<'_>) -> Result<Vec<(String, String)>, ServiceError> {
    let raw = ctx.params.structs("Tags", &["Key", "Value"]);
    let mut shape = Shape::new();
    let mut tags = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let key = t.first().cloned().flatten().unwrap_or_default();
        let value = t.get(1).cloned().flatten().unwrap_or_default();
        shape.length(&format!("tags.{}.member.key", i + 1), &key, 1, 128);
        shape.length(&format!("tags.{}.member.value", i + 1), &value, 0, 256);
        tags.push((key, value));
    }
    if tags.len() > 50 {
        shape.length("tags", &format!("{tags:?}"), 0, 50);
    }
    shape.check()?;
    let mut seen: Vec<String> = Vec::new();
    for (k, _) in &tags {
        let lower = k.to_lowercase();
        if seen.contains(&lower) {
            return Err(ServiceError::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        seen.push(lower);
    }
    Ok(tags)
}

/// Adds or replaces tags (keys compare case-insensitively), keeping at most 50.
pub(crate) fn merge_tags(
    existing: &mut Vec<Tag>,
    new: &[(String, String)],
) -> Result<(), ServiceError> {
    for (k, v) in new {
        match existing.iter_mut().find(|t| t.key.eq_ignore_ascii_case(k)) {
            Some(t) => t.value = v.clone(),
            None => existing.push(Tag {
                key: k.clone(),
                value: v.clone(),
            }),
        }
    }
    if existing.len() > 50 {
        return Err(ServiceError::limit_exceeded(
            "The number of tags has reached the maximum limit.",
        ));
    }
    Ok(())
}

pub(crate) fn write_tags(x: &mut Xml, name: &str, tags: &[Tag]) {
    x.members(name, tags, write_tag);
}

fn write_tag(x: &mut Xml, t: &Tag) {
    x.elem("Key", &t.key).elem("Value", &t.value);
}

/// The tags of an existing resource as `aws:ResourceTag/<k>` and `iam:ResourceTag/<k>`.
pub(crate) fn resource_tags(c: &mut Context, tags: &[(String, String)]) {
    for (k, v) in tags {
        c.insert(&format!("aws:ResourceTag/{k}"), v);
        c.insert(&format!("iam:ResourceTag/{k}"), v);
    }
}

/// `PathPrefix`: `/` by default, `\u002F[\u0021-\u007F]*`, 1-512.
pub(crate) fn path_prefix_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let prefix = ctx.params.get("PathPrefix").unwrap_or("/").to_owned();
    let ok = prefix.starts_with('/')
        && prefix[1..]
            .chars()
            .all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    Shape::new()
        .length("pathPrefix", &prefix, 1, 512)
        .pattern("pathPrefix", &prefix, ok, "\\u002F[\\u0021-\\u007F]*")
        .check()?;
    Ok(prefix)
}

/// `TagKeys.member.N` as given (UntagUser takes them so, unchecked).
pub(crate) fn tag_keys_list(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.params
        .list("TagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `TagKeys.member.N`: at most 50 keys of 1 to 128 characters.
pub(crate) fn tag_keys_param(ctx: &Ctx<'_>) -> Result<Vec<String>, ServiceError> {
    let keys = tag_keys_list(ctx);
    let mut shape = Shape::new();
    for (i, k) in keys.iter().enumerate() {
        shape.length(&format!("tagKeys.{}.member", i + 1), k, 1, 128);
    }
    if keys.len() > 50 {
        shape.length("tagKeys", &format!("{keys:?}"), 0, 50);
    }
    shape.check()?;
    Ok(keys)
}

/// One page of `items` (by the request's `Marker` and `MaxItems`) as the members of `name`,
/// then `IsTruncated` and the next `Marker`.
pub(crate) fn page<T: Clone>(
    ctx: &Ctx<'_>,
    name: &str,
    items: &[T],
    write: impl FnMut(&mut Xml, &T),
) -> Result<Option<Xml>, ServiceError> {
    let (page, next) = paginate(items, ctx.params.get("Marker"), ctx.params.get("MaxItems"))?;
    let mut x = Xml::new();
    x.members(name, &page, write);
    write_truncation(&mut x, &next);
    Ok(Some(x))
}

/// The `PathPrefix` of a listing (ListUsers, ListRoles, ListInstanceProfiles), once `action`
/// is authorized on it: AWS names the listing's resource by the prefix alone
/// (`arn:aws:iam::A:role/`, with `kind` `role`).
pub(crate) fn authorize_listing(
    ctx: &mut Ctx<'_>,
    action: &str,
    kind: &str,
) -> Result<String, ServiceError> {
    let prefix = path_prefix_param(ctx)?;
    let resource = format!("arn:aws:iam::{}:{kind}{prefix}", ctx.account());
    ctx.authorize(action, &resource, |_| {})?;
    Ok(prefix)
}

// The Tag<Entity>, Untag<Entity> and List<Entity>Tags operations of users, roles, instance
// profiles and managed policies. Each takes the entity's ARN (or the one it would have, so a
// denied caller learns nothing of what exists) and the tags authorization sees on it
// (`aws:ResourceTag/<k>`), authorizes `action`, and only then looks the entity up.

/// Tag<Entity>: `tags` (from [`tags_param`], `aws:RequestTag/<k>` and `aws:TagKeys`) are added
/// to the entity's, replacing values of keys it has.
pub(crate) fn tag_entity(
    ctx: &mut Ctx<'_>,
    action: &str,
    arn: &str,
    existing: &[(String, String)],
    tags: &[(String, String)],
    entity_tags: impl FnOnce(&mut Account) -> Result<&mut Vec<Tag>, ServiceError>,
) -> Result<Option<Xml>, ServiceError> {
    ctx.authorize(action, arn, |c| {
        resource_tags(c, existing);
        tag_keys(c, tags);
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state
        .catalog
        .update(&account_id, |a| merge_tags(entity_tags(a)?, tags))?;
    Ok(None)
}

/// Untag<Entity>: the entity's tags with any of `keys` (`aws:TagKeys`, compared
/// case-insensitively) go.
pub(crate) fn untag_entity(
    ctx: &mut Ctx<'_>,
    action: &str,
    arn: &str,
    existing: &[(String, String)],
    keys: &[String],
    entity_tags: impl FnOnce(&mut Account) -> Result<&mut Vec<Tag>, ServiceError>,
) -> Result<Option<Xml>, ServiceError> {
    ctx.authorize(action, arn, |c| {
        resource_tags(c, existing);
        if !keys.is_empty() {
            c.insert_multi("aws:TagKeys", keys.to_vec());
        }
    })?;
    let account_id = ctx.account().to_owned();
    ctx.state.catalog.update(&account_id, |a| {
        entity_tags(a)?.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok::<_, ServiceError>(())
    })?;
    Ok(None)
}

/// List<Entity>Tags: a page of the entity's tags.
pub(crate) fn list_entity_tags<'r>(
    ctx: &mut Ctx<'r>,
    action: &str,
    arn: &str,
    existing: &[(String, String)],
    entity_tags: impl for<'c> FnOnce(&'c Ctx<'r>) -> Result<&'c [Tag], ServiceError>,
) -> Result<Option<Xml>, ServiceError> {
    ctx.authorize(action, arn, |c| resource_tags(c, existing))?;
    let tags = entity_tags(ctx)?;
    page(ctx, "Tags", tags, write_tag)
}

/// Deleting a user or role turns its ARN in every trust policy into its unique id, as IAM
/// does: the policy no longer matches a re-created namesake, and shows why.
pub fn orphan_principal(ctx: &Ctx<'_>, arn: &str, unique_id: &str) -> Result<(), ServiceError> {
    rename_principal(ctx, arn, unique_id)
}

/// Rewrites a principal (a quoted ARN) in every trust policy of every account (the accounts
/// that may name it: `Catalog::update_trusting`).
pub(crate) fn rename_principal(ctx: &Ctx<'_>, arn: &str, to: &str) -> Result<(), ServiceError> {
    let quoted = format!("\"{arn}\"");
    let replacement = format!("\"{to}\"");
    ctx.state.catalog.update_trusting(arn, |account| {
        let mut changed = false;
        // Only the roles that name it are copied and rewritten: the others stay shared.
        let naming: Vec<String> = account
            .roles
            .iter()
            .filter(|(_, r)| r.trust.text().contains(&quoted))
            .map(|(k, _)| k.clone())
            .collect();
        for key in naming {
            let Some(role) = account.roles.get_mut(&key) else {
                continue;
            };
            let text = role.trust.text().replace(&quoted, &replacement);
            if let Ok(doc) = PolicyDoc::new(&text, PolicyKind::Trust) {
                role.trust = doc;
                changed = true;
            }
        }
        Ok::<_, ServiceError>(changed)
    })
}

/// An enum parameter, checked against its values with AWS's ValidationError text.
pub(crate) fn enum_param(
    ctx: &Ctx<'_>,
    name: &str,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, ServiceError> {
    match ctx.params.get(name) {
        Some(v) if !allowed.contains(&v) => Err(ServiceError::validation(format!(
            "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ))),
        v => Ok(v.map(str::to_owned)),
    }
}

/// A required policy document parameter (`policyDocumentType`: 1-131072 characters of
/// `[\u0009\u000A\u000D\u0020-\u00FF]`), as submitted.
pub(crate) fn document_param(
    ctx: &Ctx<'_>,
    name: &str,
    field: &str,
) -> Result<String, ServiceError> {
    let text = ctx.params.required(name)?.to_owned();
    let ok = text
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'));
    Shape::new()
        .length(field, &text, 1, 131_072)
        .pattern(
            field,
            &text,
            ok || text.is_empty(),
            "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        )
        .check()?;
    Ok(text)
}

/// The entities that hold identity policies (inline and attached): users, groups and roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    User,
    Group,
    Role,
}

impl Holder {
    /// As action names spell it: `iam:Attach<User>Policy`.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Holder::User => "User",
            Holder::Group => "Group",
            Holder::Role => "Role",
        }
    }

    /// `user`, `group`, `role`: as error texts spell it.
    pub(crate) fn lower(self) -> &'static str {
        match self {
            Holder::User => "user",
            Holder::Group => "group",
            Holder::Role => "role",
        }
    }

    /// The `UserName`/`GroupName`/`RoleName` parameter, validated. User names are 1-64, except
    /// where the API takes an `existingUserNameType` (inline policy operations: 1-128).
    pub(crate) fn name_param(self, ctx: &Ctx<'_>, existing: bool) -> Result<String, ServiceError> {
        let (param, max) = match self {
            Holder::User => ("UserName", if existing { 128 } else { 64 }),
            Holder::Group => ("GroupName", 128),
            Holder::Role => ("RoleName", 64),
        };
        let name = ctx.params.required(param)?.to_owned();
        let field = format!("{}Name", self.lower());
        Shape::new().name(&field, &name, max).check()?;
        Ok(name)
    }

    pub(crate) fn not_found(self, name: &str) -> ServiceError {
        match self {
            Holder::User => no_such_user(name),
            Holder::Group => no_such_group(name),
            Holder::Role => no_such_role(name),
        }
    }

    /// What authorization needs of the entity a request names; for one that does not exist,
    /// the ARN it would have at path `/`, so a denied caller learns nothing of what exists.
    pub(crate) fn target(self, ctx: &Ctx<'_>, name: &str) -> HolderTarget {
        let a = ctx.snap.account(ctx.account());
        let target = |arn: &str, tags: &[Tag], boundary: &Option<String>| HolderTarget {
            arn: arn.to_owned(),
            tags: tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
            boundary: boundary.clone(),
        };
        let found = match self {
            Holder::User => a
                .and_then(|a| a.user(name))
                .map(|u| target(&u.arn, &u.tags, &u.boundary)),
            Holder::Group => a
                .and_then(|a| a.group(name))
                .map(|g| target(&g.arn, &[], &None)),
            Holder::Role => a
                .and_then(|a| a.role(name))
                .map(|r| target(&r.arn, &r.tags, &r.boundary)),
        };
        found.unwrap_or_else(|| {
            let arn = iam_arn(ctx.account(), &format!("{}/", self.lower()), "", name);
            target(&arn, &[], &None)
        })
    }

    /// The entity's inline policies and attached policy ARNs.
    pub(crate) fn policies<'a>(
        self,
        a: &'a Account,
        name: &str,
    ) -> Option<(&'a BTreeMap<String, PolicyDoc>, &'a Vec<String>)> {
        match self {
            Holder::User => a.user(name).map(|u| (&u.inline, &u.attached)),
            Holder::Group => a.group(name).map(|g| (&g.inline, &g.attached)),
            Holder::Role => a.role(name).map(|r| (&r.inline, &r.attached)),
        }
    }

    /// The same, for a change. Service-linked roles are AWS's to change, not the account's.
    pub(crate) fn policies_mut<'a>(
        self,
        a: &'a mut Account,
        name: &str,
    ) -> Result<(&'a mut BTreeMap<String, PolicyDoc>, &'a mut Vec<String>), ServiceError> {
        let key = name.to_lowercase();
        match self {
            Holder::User => a.users.get_mut(&key).map(|u| {
                let u = &mut **u;
                (&mut u.inline, &mut u.attached)
            }),
            Holder::Group => a.groups.get_mut(&key).map(|g| {
                let g = &mut **g;
                (&mut g.inline, &mut g.attached)
            }),
            Holder::Role => match a.roles.get_mut(&key) {
                Some(r) if r.path.starts_with("/aws-service-role/") => {
                    return Err(ServiceError::new(
                        400,
                        "UnmodifiableEntity",
                        format!("Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS", r.name),
                    ))
                }
                r => r.map(|r| {
                    let r = &mut **r;
                    (&mut r.inline, &mut r.attached)
                }),
            },
        }
        .ok_or_else(|| self.not_found(name))
    }
}

/// A user, group or role as authorization sees it.
pub(crate) struct HolderTarget {
    pub arn: String,
    pub tags: Vec<(String, String)>,
    /// Its permissions boundary: `iam:PermissionsBoundary` in the request context.
    pub boundary: Option<String>,
}

impl HolderTarget {
    /// `aws:ResourceTag/<k>` and `iam:ResourceTag/<k>` for its tags, and, for the actions
    /// that carry it, `iam:PermissionsBoundary` when it has one.
    pub(crate) fn describe(&self, c: &mut rolegate_policy::Context, boundary_key: bool) {
        for (k, v) in &self.tags {
            c.insert(&format!("aws:ResourceTag/{k}"), v);
            c.insert(&format!("iam:ResourceTag/{k}"), v);
        }
        if let Some(b) = self.boundary.as_ref().filter(|_| boundary_key) {
            c.insert("iam:PermissionsBoundary", b);
        }
    }
}
