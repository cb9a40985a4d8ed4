//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
//!
//! An alias is regional and belongs to its account; changing one needs the permission on the
//! alias (IAM policies) and on each key involved (key policy).

use super::common::{
    aliases_of, authorize_any, authorize_key, caller_keys, kms_error, live_key, live_keys, page,
    purge, require_not_pending, resolve, truncation, validation, Reach, Target,
};
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::JsonInput;
use crate::validate::Shape;
use rolegate_core::kms::alias_arn;
use serde_json::{json, Map, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateAlias", create_alias),
    ("UpdateAlias", update_alias),
    ("DeleteAlias", delete_alias),
    ("ListAliases", list_aliases),
];

const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";

/// An alias name as KMS accepts it for a customer managed key.
fn check_alias_name(name: &str) -> Result<(), ServiceError> {
    let pattern_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c));
    Shape::new()
        .length("aliasName", name, 1, 256)
        .pattern("aliasName", name, pattern_ok, ALIAS_PATTERN)
        .check()?;
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.contains(':') {
        return Err(validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    // alias/aws/ is reserved for AWS managed keys.
    if name.starts_with("alias/aws/") {
        return Err(kms_error("NotAuthorizedException", ""));
    }
    Ok(())
}

/// The key an alias is created for or moved to: a key of the caller's account, not an alias.
fn target_key(ctx: &Ctx<'_>, input: &JsonInput) -> Result<Target, ServiceError> {
    let target = input.required_str("TargetKeyId")?;
    if target.starts_with("alias/") || target.contains(":alias/") {
        return Err(validation("Aliases must refer to keys. Not aliases"));
    }
    resolve(ctx, target, Reach::OwnAccount)
}

/// Authorizes an alias action on the alias itself (IAM policies only: aliases have no policy).
fn authorize_alias(ctx: &mut Ctx<'_>, action: &str, arn: &str) -> Result<(), ServiceError> {
    let caller_account = ctx.account().to_owned();
    ctx.authorize(action, arn, |c| caller_keys(c, &caller_account))
}

/// The key an existing alias points at (the alias is gone when its key is).
fn alias_target(ctx: &Ctx<'_>, arn: &str) -> Result<Target, ServiceError> {
    let now = ctx.now();
    ctx.snap
        .account(ctx.account())
        .and_then(|a| a.kms_aliases.get(arn))
        .and_then(|id| live_key(&ctx.snap, ctx.account(), ctx.facts.region, id, now))
        .map(|k| Target {
            key: k.clone(),
            alias: None,
        })
        .ok_or_else(|| super::common::alias_not_found(arn))
}

fn create_alias(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let name = input.required_str("AliasName")?;
    check_alias_name(name)?;
    let arn = alias_arn(ctx.facts.region, ctx.account(), name);
    let t = target_key(ctx, input)?;
    authorize_alias(ctx, "kms:CreateAlias", &arn)?;
    authorize_key(ctx, "kms:CreateAlias", &t, |_| {})?;
    require_not_pending(&t.key)?;
    let now = ctx.now();
    let account = ctx.account().to_owned();
    ctx.state.catalog.update(&account, |a| {
        purge(a, now);
        if a.kms_aliases.contains_key(&arn) {
            return Err(kms_error(
                "AlreadyExistsException",
                format!("An alias with the name {arn} already exists"),
            ));
        }
        if !a.kms_keys.contains_key(&t.key.id) {
            return Err(super::common::key_not_found(&t.key.arn));
        }
        a.kms_aliases.insert(arn.clone(), t.key.id.clone());
        Ok(())
    })?;
    ctx.refresh();
    Ok(json!({}))
}

fn update_alias(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let name = input.required_str("AliasName")?;
    check_alias_name(name)?;
    let arn = alias_arn(ctx.facts.region, ctx.account(), name);
    let new = target_key(ctx, input)?;
    let old = alias_target(ctx, &arn)?;
    authorize_alias(ctx, "kms:UpdateAlias", &arn)?;
    authorize_key(ctx, "kms:UpdateAlias", &old, |_| {})?;
    authorize_key(ctx, "kms:UpdateAlias", &new, |_| {})?;
    require_not_pending(&new.key)?;
    let now = ctx.now();
    let account = ctx.account().to_owned();
    ctx.state.catalog.update(&account, |a| {
        purge(a, now);
        if !a.kms_keys.contains_key(&new.key.id) {
            return Err(super::common::key_not_found(&new.key.arn));
        }
        match a.kms_aliases.get_mut(&arn) {
            Some(id) => {
                id.clone_from(&new.key.id);
                Ok(())
            }
            None => Err(super::common::alias_not_found(&arn)),
        }
    })?;
    ctx.refresh();
    Ok(json!({}))
}

fn delete_alias(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let name = input.required_str("AliasName")?;
    Shape::new().length("aliasName", name, 1, 256).check()?;
    if !name.starts_with("alias/") {
        return Err(validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    let arn = alias_arn(ctx.facts.region, ctx.account(), name);
    let t = alias_target(ctx, &arn)?;
    authorize_alias(ctx, "kms:DeleteAlias", &arn)?;
    authorize_key(ctx, "kms:DeleteAlias", &t, |_| {})?;
    let now = ctx.now();
    let account = ctx.account().to_owned();
    ctx.state.catalog.update(&account, |a| {
        purge(a, now);
        a.kms_aliases
            .remove(&arn)
            .map(|_| ())
            .ok_or_else(|| super::common::alias_not_found(&arn))
    })?;
    ctx.refresh();
    Ok(json!({}))
}

fn list_aliases(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let only = match input.str("KeyId")? {
        Some(k) => Some(resolve(ctx, k, Reach::OwnAccount)?.key.id.clone()),
        None => None,
    };
    authorize_any(ctx, "kms:ListAliases", |_| {})?;
    let account = ctx
        .snap
        .account(ctx.account())
        .ok_or_else(ServiceError::service_failure)?
        .clone();
    let region = ctx.facts.region;
    let mut entries: Vec<(String, String, String)> = Vec::new();
    for key in live_keys(&account, region, ctx.now()) {
        if only.as_ref().is_some_and(|id| *id != key.id) {
            continue;
        }
        for name in aliases_of(&ctx.snap, key) {
            let arn = alias_arn(region, &account.id, &name);
            entries.push((name, arn, key.id.clone()));
        }
    }
    entries.sort();
    let (items, next) = page(input, &entries, |(name, _, _)| name.clone(), 50)?;
    let mut out = Map::new();
    out.insert(
        "Aliases".into(),
        items
            .iter()
            .map(|(name, arn, id)| json!({"AliasName": name, "AliasArn": arn, "TargetKeyId": id}))
            .collect(),
    );
    truncation(&mut out, next);
    Ok(Value::Object(out))
}
