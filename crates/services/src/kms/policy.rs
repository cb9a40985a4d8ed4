//! Key policies: PutKeyPolicy, GetKeyPolicy, ListKeyPolicies. A key has one policy, `default`.

use super::common::{authorize_key, kms_error, not_found, resolve, update_key, Reach};
use super::keys::new_key_policy;
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::JsonInput;
use crate::validate::Shape;
use serde_json::{json, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("PutKeyPolicy", put_key_policy),
    ("GetKeyPolicy", get_key_policy),
    ("ListKeyPolicies", list_key_policies),
];

/// The `PolicyName` member (optional, `default` when absent), shape-checked.
fn policy_name(input: &JsonInput) -> Result<Option<String>, ServiceError> {
    let Some(name) = input.str("PolicyName")? else {
        return Ok(None);
    };
    let ok = name.chars().all(|c| c.is_alphanumeric() || c == '_');
    Shape::new()
        .length("policyName", name, 1, 128)
        .pattern("policyName", name, ok, "[\\w]+")
        .check()?;
    Ok(Some(name.to_owned()))
}

fn put_key_policy(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let key_id = input.required_str("KeyId")?;
    let text = input.required_str("Policy")?;
    let name = policy_name(input)?;
    let bypass = input
        .bool("BypassPolicyLockoutSafetyCheck")?
        .unwrap_or(false);
    let t = resolve(ctx, key_id, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:PutKeyPolicy", &t, |c| {
        c.insert(
            "kms:BypassPolicyLockoutSafetyCheck",
            if bypass { "true" } else { "false" },
        );
    })?;
    if name.as_deref().is_some_and(|n| n != "default") {
        return Err(kms_error(
            "UnsupportedOperationException",
            "Only the default key policy is supported. Specify \"default\" as the policy name.",
        ));
    }
    let doc = new_key_policy(ctx, &t, text, !bypass)?;
    update_key(ctx, &t.key, |k| {
        k.policy = doc;
        Ok(())
    })?;
    Ok(json!({}))
}

fn get_key_policy(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let key_id = input.required_str("KeyId")?;
    let name = policy_name(input)?;
    let t = resolve(ctx, key_id, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:GetKeyPolicy", &t, |_| {})?;
    if name.as_deref().is_some_and(|n| n != "default") {
        return Err(not_found("No such policy exists"));
    }
    Ok(json!({ "Policy": t.key.policy.text(), "PolicyName": "default" }))
}

fn list_key_policies(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let t = resolve(ctx, input.required_str("KeyId")?, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:ListKeyPolicies", &t, |_| {})?;
    super::common::page(input, &["default".to_owned()], String::clone, 100)?;
    Ok(json!({ "PolicyNames": ["default"], "Truncated": false }))
}
