//! What the IAM operation groups share: ARNs, lookups with AWS's not-found texts, tags, paths.

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::Shape;
use rolegate_core::model::{iam_arn, Account, Tag};
use rolegate_core::{CatalogError, PolicyDoc};
use rolegate_policy::PolicyKind;

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
pub(crate) fn merge_tags(existing: &mut Vec<Tag>, new: &[(String, String)]) -> Result<(), ServiceError> {
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
    x.members(name, tags, |x, t| {
        x.elem("Key", &t.key).elem("Value", &t.value);
    });
}

/// Deleting a user or role turns its ARN in every trust policy into its unique id, as IAM
/// does: the policy no longer matches a re-created namesake, and shows why.
pub fn orphan_principal(ctx: &Ctx<'_>, arn: &str, unique_id: &str) -> Result<(), ServiceError> {
    let quoted = format!("\"{arn}\"");
    let replacement = format!("\"{unique_id}\"");
    ctx.state.catalog.update_all(|account| {
        let mut changed = false;
        for role in account.roles.values_mut() {
            if role.trust.text().contains(&quoted) {
                let text = role.trust.text().replace(&quoted, &replacement);
                if let Ok(doc) = PolicyDoc::new(&text, PolicyKind::Trust) {
                    role.trust = doc;
                    changed = true;
                }
            }
        }
        Ok::<_, ServiceError>(changed)
    })
}
