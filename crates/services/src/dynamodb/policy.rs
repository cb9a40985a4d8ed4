//! Resource-based policies on tables: PutResourcePolicy, GetResourcePolicy and
//! DeleteResourcePolicy. A table's policy is validated as a resource policy, carries a
//! RevisionId, and is what lets another account's principals reach the table by ARN.

use super::common::{arn_target, authorize, ddb_error, validation, CondKeys, DdbError};
use super::tables::{revision, update_table_def};
use super::Handler;
use crate::ctx::Ctx;
use crate::protocol::json::JsonInput;
use rolegate_core::PolicyDoc;
use rolegate_policy::PolicyKind;
use serde_json::{json, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("PutResourcePolicy", Handler::Value(put_resource_policy)),
    ("GetResourcePolicy", Handler::Value(get_resource_policy)),
    (
        "DeleteResourcePolicy",
        Handler::Value(delete_resource_policy),
    ),
];

/// DynamoDB's limit on a resource policy's size.
const MAX_POLICY: usize = 20 * 1024;

fn policy_not_found(arn: &str) -> DdbError {
    ddb_error(
        "PolicyNotFoundException",
        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
}

fn revision_mismatch(arn: &str) -> DdbError {
    ddb_error(
        "PolicyNotFoundException",
        format!(
            "Resource-based policy not found for the provided ResourceArn: Requested update would be performed on a resource policy that does not match the expected revision ID for resource {arn}"
        ),
    )
}

fn put_resource_policy(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = arn_target(ctx, input)?;
    let text = input.required_str("Policy")?;
    let expected = input.str("ExpectedRevisionId")?.map(str::to_owned);
    input.bool("ConfirmRemoveSelfResourceAccess")?;
    if text.len() > MAX_POLICY {
        return Err(validation(
            "Resource-based policy size exceeds the maximum allowed size of 20 KB",
        ));
    }
    let doc = PolicyDoc::new(text, PolicyKind::Resource)
        .map_err(|e| validation(format!("Invalid policy document: {}", e.message())))?;
    authorize(ctx, "PutResourcePolicy", &target, None, CondKeys::default())?;
    let now = ctx.now();
    let arn = target.arn.clone();
    let (rev, _) = update_table_def(ctx, &target, |t| {
        if let Some(e) = &expected {
            if t.policy_revision.as_deref() != Some(e.as_str()) {
                return Err(revision_mismatch(&arn));
            }
        }
        let rev = revision(now);
        t.policy = Some(doc);
        t.policy_revision = Some(rev.clone());
        Ok(rev)
    })?;
    Ok(json!({ "RevisionId": rev }))
}

fn get_resource_policy(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = arn_target(ctx, input)?;
    authorize(ctx, "GetResourcePolicy", &target, None, CondKeys::default())?;
    let table = target.existing()?;
    match (&table.policy, &table.policy_revision) {
        (Some(p), Some(r)) => Ok(json!({"Policy": p.text(), "RevisionId": r})),
        _ => Err(policy_not_found(&target.arn)),
    }
}

fn delete_resource_policy(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = arn_target(ctx, input)?;
    let expected = input.str("ExpectedRevisionId")?.map(str::to_owned);
    authorize(
        ctx,
        "DeleteResourcePolicy",
        &target,
        None,
        CondKeys::default(),
    )?;
    let now = ctx.now();
    let arn = target.arn.clone();
    let (rev, _) = update_table_def(ctx, &target, |t| {
        if t.policy.is_none() {
            return Err(policy_not_found(&arn));
        }
        if let Some(e) = &expected {
            if t.policy_revision.as_deref() != Some(e.as_str()) {
                return Err(revision_mismatch(&arn));
            }
        }
        t.policy = None;
        t.policy_revision = None;
        Ok(revision(now))
    })?;
    Ok(json!({ "RevisionId": rev }))
}
