//! What every KMS operation group shares: KMS's errors, finding a key from a KeyId (id, ARN,
//! alias name, alias ARN), authorizing against the key policy, key states, writes, pages, tags.

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::{missing, JsonInput};
use crate::validate::Shape;
use rolegate_core::kms::{alias_arn, key_arn, parse_uuid, KmsKey, KmsKeyState};
use rolegate_core::shared::Shared;
use rolegate_core::{Account, ResourceGuard, Snapshot, Tag};
use rolegate_policy::{CompiledPolicy, Context, ResourcePolicyKind};
use serde_json::{json, Value};

pub(crate) fn kms_error(code: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::new(400, code, message)
}

pub(crate) fn validation(message: impl Into<String>) -> ServiceError {
    kms_error("ValidationException", message)
}

pub(crate) fn not_found(message: impl Into<String>) -> ServiceError {
    kms_error("NotFoundException", message)
}

pub(crate) fn key_not_found(arn: &str) -> ServiceError {
    not_found(format!("Key '{arn}' does not exist"))
}

pub(crate) fn alias_not_found(alias_arn: &str) -> ServiceError {
    // AWS names the alias by its ARN here.
    not_found(format!("Alias {alias_arn} is not found."))
}

pub(crate) fn disabled(arn: &str) -> ServiceError {
    kms_error("DisabledException", format!("{arn} is disabled."))
}

pub(crate) fn pending_deletion(arn: &str) -> ServiceError {
    kms_error(
        "KMSInvalidStateException",
        format!("{arn} is pending deletion."),
    )
}

pub(crate) fn invalid_ciphertext() -> ServiceError {
    // AWS sends this one without a message.
    kms_error("InvalidCiphertextException", "")
}

pub(crate) fn malformed_policy(message: impl Into<String>) -> ServiceError {
    kms_error("MalformedPolicyDocumentException", message)
}

pub(crate) fn unsupported(message: impl Into<String>) -> ServiceError {
    kms_error("UnsupportedOperationException", message)
}

pub(crate) fn dry_run() -> ServiceError {
    ServiceError::new(
        412,
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// Whether a KeyId may name another account's key (by ARN), as the operation allows on AWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    OwnAccount,
    CrossAccount,
}

/// A key found from a KeyId, with the alias it was addressed by.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// Shared with the snapshot: every cryptographic request reads its key without copying
    /// the policy and material.
    pub key: Shared<KmsKey>,
    pub alias: Option<String>,
}

/// A key of `account` in `region` that still exists at `now`.
pub(crate) fn live_key<'s>(
    snap: &'s Snapshot,
    account: &str,
    region: &str,
    id: &str,
    now: i64,
) -> Option<&'s Shared<KmsKey>> {
    snap.account(account)?
        .kms_keys
        .get(id)
        .filter(|k| k.region == region && !k.is_deleted(now))
}

/// The live keys of an account in a region, in key id order.
pub(crate) fn live_keys<'s>(
    account: &'s Account,
    region: &'s str,
    now: i64,
) -> impl Iterator<Item = &'s KmsKey> + 's {
    account
        .kms_keys
        .values()
        .map(|k| &**k)
        .filter(move |k| k.region == region && !k.is_deleted(now))
}

/// Finds a key from a KeyId parameter: a key id, key ARN, alias name or alias ARN. Another
/// account's key is reachable only by ARN, and only where the operation allows it.
pub(crate) fn resolve(ctx: &Ctx<'_>, key_id: &str, reach: Reach) -> Result<Target, ServiceError> {
    Shape::new().length("keyId", key_id, 1, 2048).check()?;
    let region = ctx.facts.region;
    let me = ctx.account();
    let (account, resource) = match key_id.strip_prefix("arn:") {
        Some(_) => {
            let parts: Vec<&str> = key_id.splitn(6, ':').collect();
            let [_, _, service, arn_region, account, resource] = parts[..] else {
                return Err(kms_error(
                    "InvalidArnException",
                    format!("Invalid arn {key_id}"),
                ));
            };
            if service != "kms" || !(resource.starts_with("key/") || resource.starts_with("alias/"))
            {
                return Err(kms_error(
                    "InvalidArnException",
                    format!("Invalid arn {key_id}"),
                ));
            }
            let unreachable = arn_region != region || (account != me && reach == Reach::OwnAccount);
            if unreachable {
                return Err(if resource.starts_with("alias/") {
                    alias_not_found(key_id)
                } else {
                    key_not_found(key_id)
                });
            }
            (account, resource)
        }
        None => (me, key_id),
    };
    let now = ctx.now();
    let (id, alias) = match resource.strip_prefix("key/") {
        Some(id) => (id.to_lowercase(), None),
        None if resource.starts_with("alias/") => {
            let arn = alias_arn(region, account, resource);
            let id = ctx
                .snap
                .account(account)
                .and_then(|a| a.kms_aliases.get(&arn))
                .filter(|id| live_key(&ctx.snap, account, region, id, now).is_some())
                .ok_or_else(|| alias_not_found(&arn))?;
            (id.clone(), Some(resource.to_owned()))
        }
        None => (resource.to_lowercase(), None),
    };
    if parse_uuid(&id).is_none() {
        return Err(not_found(format!("Invalid keyId '{id}'")));
    }
    let key = live_key(&ctx.snap, account, region, &id, now)
        .ok_or_else(|| key_not_found(&key_arn(region, account, &id)))?;
    Ok(Target {
        key: key.clone(),
        alias,
    })
}

/// The names of the aliases pointing at a key.
pub(crate) fn aliases_of(snap: &Snapshot, key: &KmsKey) -> Vec<String> {
    let Some(account) = snap.account(key.account()) else {
        return Vec::new();
    };
    account
        .kms_aliases
        .iter()
        .filter(|(_, id)| **id == key.id)
        .filter_map(|(arn, _)| arn.split_once(":alias/").map(|(_, n)| format!("alias/{n}")))
        .collect()
}

/// The condition keys every KMS request carries.
pub(crate) fn caller_keys(c: &mut Context, caller_account: &str) {
    c.insert("kms:CallerAccount", caller_account);
}

/// The condition keys of a request on a key.
fn key_keys(c: &mut Context, key: &KmsKey, alias: Option<&str>, aliases: &[String]) {
    c.insert("kms:KeySpec", "SYMMETRIC_DEFAULT");
    c.insert("kms:KeyUsage", "ENCRYPT_DECRYPT");
    c.insert("kms:KeyOrigin", "AWS_KMS");
    c.insert("kms:MultiRegion", "false");
    if let Some(a) = alias {
        c.insert("kms:RequestAlias", a);
    }
    if !aliases.is_empty() {
        c.insert_multi("kms:ResourceAliases", aliases.to_vec());
    }
    for t in &key.tags {
        c.insert(&format!("aws:ResourceTag/{}", t.key), &t.value);
    }
}

/// `kms:EncryptionContext:<key>` for each pair, `kms:EncryptionContextKeys`, and the algorithm.
pub(crate) fn crypto_keys(c: &mut Context, context: &std::collections::BTreeMap<String, String>) {
    for (k, v) in context {
        c.insert(&format!("kms:EncryptionContext:{k}"), v);
    }
    if !context.is_empty() {
        c.insert_multi(
            "kms:EncryptionContextKeys",
            context.keys().cloned().collect(),
        );
    }
    c.insert("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
}

/// Authorizes an action on a key, with its key policy as the resource policy that must allow.
pub(crate) fn authorize_key(
    ctx: &mut Ctx<'_>,
    action: &str,
    target: &Target,
    extra: impl FnOnce(&mut Context),
) -> Result<(), ServiceError> {
    authorize_key_with(ctx, action, target, target.key.policy.compiled(), extra)
}

/// As [`authorize_key`], with another key policy: PutKeyPolicy's lockout check asks whether a
/// new policy would still let the caller change it.
pub(crate) fn authorize_key_with(
    ctx: &mut Ctx<'_>,
    action: &str,
    target: &Target,
    policy: &CompiledPolicy,
    extra: impl FnOnce(&mut Context),
) -> Result<(), ServiceError> {
    let caller_account = ctx.account().to_owned();
    let aliases = aliases_of(&ctx.snap, &target.key);
    let key = &target.key;
    ctx.authorize_on(
        action,
        &key.arn,
        Some(key.account()),
        ResourceGuard::Policy {
            policy,
            kind: ResourcePolicyKind::KmsKey,
        },
        |c| {
            caller_keys(c, &caller_account);
            key_keys(c, key, target.alias.as_deref(), &aliases);
            extra(c);
        },
    )
}

/// Authorizes an action that names no key (CreateKey, ListKeys, ListAliases): resource `*`,
/// decided by IAM policies alone.
pub(crate) fn authorize_any(
    ctx: &mut Ctx<'_>,
    action: &str,
    extra: impl FnOnce(&mut Context),
) -> Result<(), ServiceError> {
    let caller_account = ctx.account().to_owned();
    ctx.authorize(action, "*", |c| {
        caller_keys(c, &caller_account);
        extra(c);
    })
}

/// Cryptographic operations need an enabled key.
pub(crate) fn require_enabled(key: &KmsKey) -> Result<(), ServiceError> {
    match key.state {
        KmsKeyState::Enabled => Ok(()),
        KmsKeyState::Disabled => Err(disabled(&key.arn)),
        KmsKeyState::PendingDeletion => Err(pending_deletion(&key.arn)),
    }
}

/// Most management operations refuse a key pending deletion.
pub(crate) fn require_not_pending(key: &KmsKey) -> Result<(), ServiceError> {
    match key.state {
        KmsKeyState::PendingDeletion => Err(pending_deletion(&key.arn)),
        _ => Ok(()),
    }
}

/// Drops the keys whose deletion date has passed, and their aliases.
pub(crate) fn purge(a: &mut Account, now: i64) {
    let gone: Vec<String> = a
        .kms_keys
        .values()
        .filter(|k| k.is_deleted(now))
        .map(|k| k.id.clone())
        .collect();
    if gone.is_empty() {
        return;
    }
    for id in &gone {
        a.kms_keys.remove(id);
    }
    let dangling: Vec<String> = a
        .kms_aliases
        .iter()
        .filter(|(_, id)| gone.contains(*id))
        .map(|(arn, _)| arn.clone())
        .collect();
    for arn in dangling {
        a.kms_aliases.remove(&arn);
    }
}

/// Changes one key durably; fails with NotFound if it went away meanwhile.
pub(crate) fn update_key<T>(
    ctx: &mut Ctx<'_>,
    key: &KmsKey,
    f: impl FnOnce(&mut KmsKey) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let now = ctx.now();
    let (account, id, arn) = (key.account().to_owned(), key.id.clone(), key.arn.clone());
    let out = ctx.state.catalog.update(&account, |a| {
        purge(a, now);
        let k = a.kms_keys.get_mut(&id).ok_or_else(|| key_not_found(&arn))?;
        f(k)
    })?;
    ctx.refresh();
    Ok(out)
}

/// `Limit` and `Marker` over items in order of `sort_key`; markers are the last key returned.
pub(crate) fn page<T: Clone>(
    input: &JsonInput,
    items: &[T],
    sort_key: impl Fn(&T) -> String,
    default_limit: i64,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let limit = input.int("Limit")?.unwrap_or(default_limit);
    let mut shape = Shape::new();
    shape.range("limit", limit, 1, 1000);
    if let Some(m) = input.str("Marker")? {
        shape.length("marker", m, 1, 1024);
    }
    shape.check()?;
    let marker = input.str("Marker")?;
    let rest: Vec<&T> = items
        .iter()
        .filter(|i| marker.is_none_or(|m| sort_key(i).as_str() > m))
        .collect();
    let n = (limit as usize).min(rest.len());
    let next = (n < rest.len()).then(|| sort_key(rest[n - 1]));
    Ok((rest[..n].iter().map(|i| (*i).clone()).collect(), next))
}

/// Adds `Truncated` (always) and `NextMarker` (when truncated) to a list output.
pub(crate) fn truncation(out: &mut serde_json::Map<String, Value>, next: Option<String>) {
    out.insert("Truncated".into(), Value::Bool(next.is_some()));
    if let Some(m) = next {
        out.insert("NextMarker".into(), Value::String(m));
    }
}

/// The `Tags` member: `[{"TagKey":..,"TagValue":..}]`, checked as KMS checks them.
pub(crate) fn tags_input(
    input: &JsonInput,
    required: bool,
) -> Result<Vec<(String, String)>, ServiceError> {
    if required && !input.has("Tags") {
        return Err(missing("Tags"));
    }
    let mut tags = Vec::new();
    let mut shape = Shape::new();
    for (i, t) in input.structs("Tags")?.iter().enumerate() {
        let key = t.required_str("TagKey")?;
        let value = t.required_str("TagValue")?;
        shape
            .length(&format!("tags.{}.member.tagKey", i + 1), key, 1, 128)
            .length(&format!("tags.{}.member.tagValue", i + 1), value, 0, 256);
        tags.push((key.to_owned(), value.to_owned()));
    }
    shape.check()?;
    if tags
        .iter()
        .any(|(k, _)| k.to_lowercase().starts_with("aws:"))
    {
        return Err(kms_error(
            "TagException",
            "Tags beginning with aws: are reserved",
        ));
    }
    Ok(tags)
}

/// Sets tags, replacing the values of keys already there (KMS tag keys are case-sensitive).
pub(crate) fn merge_tags(
    into: &mut Vec<Tag>,
    tags: &[(String, String)],
) -> Result<(), ServiceError> {
    for (k, v) in tags {
        match into.iter_mut().find(|t| t.key == *k) {
            Some(t) => t.value = v.clone(),
            None => into.push(Tag {
                key: k.clone(),
                value: v.clone(),
            }),
        }
    }
    if into.len() > 50 {
        return Err(kms_error(
            "LimitExceededException",
            "Cannot exceed quota for tags per key: 50",
        ));
    }
    Ok(())
}

pub(crate) fn tag_json(t: &Tag) -> Value {
    json!({"TagKey": t.key, "TagValue": t.value})
}

/// The optional `DryRun` member.
pub(crate) fn dry_run_requested(input: &JsonInput) -> Result<bool, ServiceError> {
    Ok(input.bool("DryRun")?.unwrap_or(false))
}
