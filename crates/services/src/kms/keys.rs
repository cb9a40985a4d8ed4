//! Keys: CreateKey, DescribeKey, ListKeys, EnableKey/DisableKey, ScheduleKeyDeletion and
//! CancelKeyDeletion.

use super::common::{
    authorize_any, authorize_key, authorize_key_with, kms_error, live_keys, malformed_policy, page,
    pending_deletion, purge, resolve, tags_input, truncation, unsupported, update_key, validation,
    Reach, Target,
};
use super::Handler;
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::json::{timestamp, JsonInput};
use crate::validate::Shape;
use rolegate_core::kms::{
    default_key_policy, key_arn, new_key_id, KeyMaterial, KmsKey, KmsKeyState,
};
use rolegate_core::shared::Shared;
use rolegate_core::{PolicyDoc, Tag};
use rolegate_policy::PolicyKind;
use serde_json::{json, Map, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateKey", create_key),
    ("DescribeKey", describe_key),
    ("ListKeys", list_keys),
    ("EnableKey", enable_key),
    ("DisableKey", disable_key),
    ("ScheduleKeyDeletion", schedule_key_deletion),
    ("CancelKeyDeletion", cancel_key_deletion),
];

const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
];
const KEY_USAGES: &[&str] = &[
    "SIGN_VERIFY",
    "ENCRYPT_DECRYPT",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
];
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

/// `Member must satisfy enum value set: [...]`, as AWS words an unknown enum value.
pub(crate) fn check_enum(field: &str, value: &str, allowed: &[&str]) -> Result<(), ServiceError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    )))
}

/// KeyMetadata as DescribeKey and CreateKey return it.
pub(crate) fn metadata(k: &KmsKey) -> Value {
    let mut m = json!({
        "AWSAccountId": k.account(),
        "KeyId": k.id,
        "Arn": k.arn,
        "CreationDate": timestamp(k.created),
        "Enabled": k.state == KmsKeyState::Enabled,
        "Description": k.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": k.state.as_str(),
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": false,
    });
    if let (Some(d), Value::Object(o)) = (k.deletion_date, &mut m) {
        o.insert("DeletionDate".into(), timestamp(d));
    }
    m
}

/// The message KMS gives when a new key policy would lock the caller out.
pub(crate) const LOCKOUT: &str =
    "The new key policy will not allow you to update the key policy in the future.";

/// Parses a key policy; with `lockout_check`, also requires that it lets the caller make a
/// later PutKeyPolicy call (asked of the authorizer, as KMS does unless bypassed).
pub(crate) fn new_key_policy(
    ctx: &mut Ctx<'_>,
    target: &Target,
    text: &str,
    lockout_check: bool,
) -> Result<PolicyDoc, ServiceError> {
    Shape::new().length("policy", text, 1, 131_072).check()?;
    let doc =
        PolicyDoc::new(text, PolicyKind::Resource).map_err(|e| malformed_policy(e.message()))?;
    if lockout_check {
        authorize_key_with(ctx, "kms:PutKeyPolicy", target, doc.compiled(), |c| {
            c.insert("kms:BypassPolicyLockoutSafetyCheck", "false");
        })
        .map_err(|_| malformed_policy(LOCKOUT))?;
    }
    Ok(doc)
}

fn create_key(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let policy = input.str("Policy")?.map(str::to_owned);
    let description = input.str("Description")?.unwrap_or("").to_owned();
    let usage = input.str("KeyUsage")?.unwrap_or("ENCRYPT_DECRYPT");
    let spec = input.str("KeySpec")?;
    let cmk_spec = input.str("CustomerMasterKeySpec")?;
    let origin = input.str("Origin")?.unwrap_or("AWS_KMS");
    let multi_region = input.bool("MultiRegion")?.unwrap_or(false);
    let bypass = input
        .bool("BypassPolicyLockoutSafetyCheck")?
        .unwrap_or(false);
    let tags = tags_input(input, false)?;
    Shape::new()
        .length("description", &description, 0, 8192)
        .check()?;
    if spec.is_some() && cmk_spec.is_some() {
        return Err(validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        ));
    }
    let (spec_field, spec) = match (spec, cmk_spec) {
        (None, Some(s)) => ("customerMasterKeySpec", s),
        (s, _) => ("keySpec", s.unwrap_or("SYMMETRIC_DEFAULT")),
    };
    check_enum(spec_field, spec, KEY_SPECS)?;
    check_enum("keyUsage", usage, KEY_USAGES)?;
    check_enum("origin", origin, ORIGINS)?;
    let (spec, usage, origin) = (spec.to_owned(), usage.to_owned(), origin.to_owned());
    authorize_any(ctx, "kms:CreateKey", |c| {
        c.insert("kms:KeySpec", &spec);
        c.insert("kms:KeyUsage", &usage);
        c.insert("kms:KeyOrigin", &origin);
        c.insert(
            "kms:MultiRegion",
            if multi_region { "true" } else { "false" },
        );
        c.insert(
            "kms:BypassPolicyLockoutSafetyCheck",
            if bypass { "true" } else { "false" },
        );
        tag_keys(c, &tags);
    })?;
    if !tags.is_empty() {
        // Tags at creation need kms:TagResource too, from IAM policies.
        authorize_any(ctx, "kms:TagResource", |c| tag_keys(c, &tags))?;
    }
    if spec != "SYMMETRIC_DEFAULT" {
        return Err(unsupported(format!(
            "KeySpec {spec} is not supported: this endpoint creates SYMMETRIC_DEFAULT encryption keys only."
        )));
    }
    if usage != "ENCRYPT_DECRYPT" {
        return Err(validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec SYMMETRIC_DEFAULT"
        )));
    }
    if origin != "AWS_KMS" {
        return Err(unsupported(format!(
            "Origin {origin} is not supported: this endpoint creates AWS_KMS keys only."
        )));
    }
    if input.has("CustomKeyStoreId") || input.has("XksKeyId") {
        return Err(unsupported("Custom key stores are not supported."));
    }
    if multi_region {
        return Err(unsupported("Multi-Region keys are not supported."));
    }
    let account = ctx.account().to_owned();
    let id = new_key_id();
    let arn = key_arn(ctx.facts.region, &account, &id);
    let default_policy = PolicyDoc::new(&default_key_policy(&account), PolicyKind::Resource)
        .map_err(|_| ServiceError::service_failure())?;
    let mut key = KmsKey {
        id: id.clone(),
        arn,
        region: ctx.facts.region.to_owned(),
        created: ctx.now(),
        description,
        state: KmsKeyState::Enabled,
        deletion_date: None,
        policy: default_policy,
        tags: tags
            .iter()
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        material: KeyMaterial::random(),
    };
    if let Some(text) = &policy {
        let target = Target {
            key: Shared::new(key.clone()),
            alias: None,
        };
        key.policy = new_key_policy(ctx, &target, text, !bypass)?;
    }
    let now = ctx.now();
    let created = key.clone();
    ctx.state.catalog.update(&account, |a| {
        purge(a, now);
        a.kms_keys.insert(id, key.into());
        Ok::<_, ServiceError>(())
    })?;
    ctx.refresh();
    Ok(json!({ "KeyMetadata": metadata(&created) }))
}

fn describe_key(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let t = resolve(ctx, input.required_str("KeyId")?, Reach::CrossAccount)?;
    authorize_key(ctx, "kms:DescribeKey", &t, |_| {})?;
    Ok(json!({ "KeyMetadata": metadata(&t.key) }))
}

fn list_keys(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    authorize_any(ctx, "kms:ListKeys", |_| {})?;
    let account = ctx
        .snap
        .account(ctx.account())
        .ok_or_else(ServiceError::service_failure)?
        .clone();
    let keys: Vec<(String, String)> = live_keys(&account, ctx.facts.region, ctx.now())
        .map(|k| (k.id.clone(), k.arn.clone()))
        .collect();
    let (items, next) = page(input, &keys, |(id, _)| id.clone(), 100)?;
    let mut out = Map::new();
    out.insert(
        "Keys".into(),
        items
            .iter()
            .map(|(id, arn)| json!({"KeyId": id, "KeyArn": arn}))
            .collect(),
    );
    truncation(&mut out, next);
    Ok(Value::Object(out))
}

fn set_enabled(ctx: &mut Ctx<'_>, input: &JsonInput, enable: bool) -> Result<Value, ServiceError> {
    let t = resolve(ctx, input.required_str("KeyId")?, Reach::OwnAccount)?;
    let action = if enable {
        "kms:EnableKey"
    } else {
        "kms:DisableKey"
    };
    authorize_key(ctx, action, &t, |_| {})?;
    update_key(ctx, &t.key, |k| {
        if k.state == KmsKeyState::PendingDeletion {
            return Err(pending_deletion(&k.arn));
        }
        k.state = if enable {
            KmsKeyState::Enabled
        } else {
            KmsKeyState::Disabled
        };
        Ok(())
    })?;
    Ok(json!({}))
}

fn enable_key(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    set_enabled(ctx, input, true)
}

fn disable_key(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    set_enabled(ctx, input, false)
}

fn schedule_key_deletion(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let key_id = input.required_str("KeyId")?;
    let window = input.int("PendingWindowInDays")?.unwrap_or(30);
    if !(7..=30).contains(&window) {
        return Err(validation(format!(
            "PendingWindowInDays should be between 7 and 30, but it is {window}"
        )));
    }
    let t = resolve(ctx, key_id, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:ScheduleKeyDeletion", &t, |c| {
        c.insert(
            "kms:ScheduleKeyDeletionPendingWindowInDays",
            &window.to_string(),
        );
    })?;
    let date = ctx.now() + window * 86_400;
    update_key(ctx, &t.key, |k| {
        if k.state == KmsKeyState::PendingDeletion {
            return Err(pending_deletion(&k.arn));
        }
        k.state = KmsKeyState::PendingDeletion;
        k.deletion_date = Some(date);
        Ok(())
    })?;
    Ok(json!({
        "KeyId": t.key.arn,
        "DeletionDate": timestamp(date),
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": window,
    }))
}

fn cancel_key_deletion(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let t = resolve(ctx, input.required_str("KeyId")?, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:CancelKeyDeletion", &t, |_| {})?;
    update_key(ctx, &t.key, |k| {
        if k.state != KmsKeyState::PendingDeletion {
            return Err(kms_error(
                "KMSInvalidStateException",
                format!("{} is not pending deletion.", k.arn),
            ));
        }
        // A key whose deletion is canceled comes back disabled, as on AWS.
        k.state = KmsKeyState::Disabled;
        k.deletion_date = None;
        Ok(())
    })?;
    Ok(json!({ "KeyId": t.key.arn }))
}
