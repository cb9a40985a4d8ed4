//! CreateTags, DeleteTags and DescribeTags on instances (the one taggable resource rolegate
//! models), and EC2's tag rules shared with RunInstances' tag specifications.

use super::describe::{matches, page, page_size};
use super::{authorize, dry_run, error, instance_keys, own_instances, region, Handler, Keys};
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::ec2::{filters, list, tags};
use crate::protocol::Xml;
use rolegate_core::ec2::Instance;
use rolegate_core::Tag;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateTags", create_tags),
    ("DeleteTags", delete_tags),
    ("DescribeTags", describe_tags),
];

const MAX_TAGS: usize = 50;

/// EC2's tag rules: keys of 1 to 128 characters not starting with `aws:`, values up to 256.
pub(crate) fn validate_tags(tags: &[(String, String)]) -> Result<(), ServiceError> {
    for (k, v) in tags {
        if k.is_empty() {
            return Err(error("InvalidParameterValue", "Tag key cannot be empty."));
        }
        if k.chars().count() > 128 {
            return Err(error(
                "InvalidParameterValue",
                "Tag key exceeds the maximum length of 128 characters",
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(error(
                "InvalidParameterValue",
                "Tag keys starting with 'aws:' are reserved for internal use",
            ));
        }
        if v.chars().count() > 256 {
            return Err(error(
                "InvalidParameterValue",
                "Tag value exceeds the maximum length of 256 characters",
            ));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(error(
            "TagLimitExceeded",
            format!("The maximum number of tags ({MAX_TAGS}) for a resource has been exceeded."),
        ));
    }
    Ok(())
}

/// `aws:RequestTag/<k>` for each tag and `aws:TagKeys`.
pub(crate) fn tag_keys(tags: &[(String, String)]) -> Keys {
    let mut keys: Keys = tags
        .iter()
        .map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()]))
        .collect();
    if !tags.is_empty() {
        keys.push((
            "aws:TagKeys".into(),
            tags.iter().map(|(k, _)| k.clone()).collect(),
        ));
    }
    keys
}

/// The instances named by `ResourceId.N` (other resource kinds are not modelled).
fn resources(ctx: &Ctx<'_>) -> Result<Vec<Instance>, ServiceError> {
    let ids = list(ctx.params, "ResourceId");
    if ids.is_empty() {
        return Err(ServiceError::missing_parameter("ResourceId"));
    }
    if let Some(bad) = ids.iter().find(|id| !id.starts_with("i-")) {
        return Err(error("InvalidID", format!("The ID '{bad}' is not valid")));
    }
    own_instances(ctx, &ids)
}

fn create_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let targets = resources(ctx)?;
    let new: Vec<(String, String)> = tags(ctx.params, "Tag")
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect();
    if new.is_empty() {
        return Err(ServiceError::missing_parameter("Tag"));
    }
    validate_tags(&new)?;
    for i in &targets {
        let mut keys = instance_keys(i);
        keys.extend(tag_keys(&new));
        authorize(ctx, "ec2:CreateTags", &i.arn(), &keys)?;
    }
    dry_run(ctx)?;
    let ids: Vec<String> = targets.iter().map(|i| i.id.clone()).collect();
    super::write(ctx, |a| {
        for id in &ids {
            let i = a
                .instances
                .get_mut(id)
                .ok_or_else(|| super::instances_not_found(std::slice::from_ref(id)))?;
            for (k, v) in &new {
                match i.tags.iter_mut().find(|t| t.key == *k) {
                    Some(t) => t.value = v.clone(),
                    None => i.tags.push(Tag {
                        key: k.clone(),
                        value: v.clone(),
                    }),
                }
            }
            if i.tags.len() > MAX_TAGS {
                return Err(error(
                    "TagLimitExceeded",
                    format!(
                        "The maximum number of tags ({MAX_TAGS}) for a resource has been exceeded."
                    ),
                ));
            }
        }
        Ok(())
    })?;
    let mut x = Xml::new();
    x.elem("return", "true");
    Ok(Some(x))
}

fn delete_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let targets = resources(ctx)?;
    // A key alone deletes the tag whatever its value; a key with a value only on a match; no
    // tags at all deletes every tag.
    let wanted = tags(ctx.params, "Tag");
    for i in &targets {
        let mut keys = instance_keys(i);
        let named: Vec<String> = if wanted.is_empty() {
            i.tags.iter().map(|t| t.key.clone()).collect()
        } else {
            wanted.iter().map(|(k, _)| k.clone()).collect()
        };
        if !named.is_empty() {
            keys.push(("aws:TagKeys".into(), named));
        }
        authorize(ctx, "ec2:DeleteTags", &i.arn(), &keys)?;
    }
    dry_run(ctx)?;
    let ids: Vec<String> = targets.iter().map(|i| i.id.clone()).collect();
    super::write(ctx, |a| {
        for id in &ids {
            let i = a
                .instances
                .get_mut(id)
                .ok_or_else(|| super::instances_not_found(std::slice::from_ref(id)))?;
            if wanted.is_empty() {
                i.tags.clear();
            }
            for (k, v) in &wanted {
                i.tags
                    .retain(|t| !(t.key == *k && v.as_ref().is_none_or(|v| *v == t.value)));
            }
        }
        Ok(())
    })?;
    let mut x = Xml::new();
    x.elem("return", "true");
    Ok(Some(x))
}

fn describe_tags(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let filters = filters(ctx.params)?;
    if let Some(bad) = filters.iter().find(|f| {
        !matches!(
            f.name.as_str(),
            "key" | "value" | "resource-id" | "resource-type"
        ) && !f.name.starts_with("tag:")
    }) {
        return Err(error(
            "InvalidParameterValue",
            format!("The filter '{}' is invalid", bad.name),
        ));
    }
    let size = page_size(ctx.params, 5, 1000)?;
    let region = region(ctx);
    authorize(
        ctx,
        "ec2:DescribeTags",
        "*",
        &vec![("ec2:Region".into(), vec![region.clone()])],
    )?;
    dry_run(ctx)?;
    let mut all: Vec<(String, Tag, Vec<Tag>)> = Vec::new();
    if let Some(a) = ctx.snap.account(ctx.account()) {
        for i in a.instances.values().filter(|i| i.region == region) {
            for t in &i.tags {
                all.push((i.id.clone(), t.clone(), i.tags.clone()));
            }
        }
    }
    all.retain(|(id, t, siblings)| {
        filters.iter().all(|f| {
            let actual = match f.name.as_str() {
                "key" => vec![t.key.clone()],
                "value" => vec![t.value.clone()],
                "resource-id" => vec![id.clone()],
                "resource-type" => vec!["instance".to_owned()],
                name => {
                    let key = name.trim_start_matches("tag:");
                    siblings
                        .iter()
                        .filter(|s| s.key == key)
                        .map(|s| s.value.clone())
                        .collect()
                }
            };
            matches(f, &actual)
        })
    });
    all.sort_by(|a, b| (&a.0, &a.1.key).cmp(&(&b.0, &b.1.key)));
    let (items, next) = page(ctx.params, all, size, |(id, t, _)| {
        format!("{id}\u{0}{}", t.key)
    })?;
    let mut x = Xml::new();
    x.with("tagSet", |x| {
        for (id, t, _) in &items {
            x.with("item", |x| {
                x.elem("resourceId", id)
                    .elem("resourceType", "instance")
                    .elem("key", &t.key)
                    .elem("value", &t.value);
            });
        }
    });
    x.opt("nextToken", next.as_deref());
    Ok(Some(x))
}
