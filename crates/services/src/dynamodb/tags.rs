//! Tags: TagResource, UntagResource and ListTagsOfResource on a table ARN.

use super::common::{arn_target, authorize, validation, CondKeys, DdbError};
use super::tables::{tags_member, update_table_def};
use super::Handler;
use crate::ctx::Ctx;
use crate::protocol::json::{missing, JsonInput};
use serde_json::{json, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("TagResource", Handler::Value(tag_resource)),
    ("UntagResource", Handler::Value(untag_resource)),
    ("ListTagsOfResource", Handler::Value(list_tags_of_resource)),
];

/// DynamoDB's limit of tags per resource.
const MAX_TAGS: usize = 50;

fn tag_resource(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = arn_target(ctx, input)?;
    if !input.has("Tags") {
        return Err(missing("Tags").into());
    }
    let tags = tags_member(input)?;
    let pairs: Vec<(String, String)> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let keys = CondKeys {
        request_tags: pairs,
        ..CondKeys::default()
    };
    authorize(ctx, "TagResource", &target, None, keys)?;
    update_table_def(ctx, &target, |t| {
        for tag in tags {
            t.tags.retain(|x| x.key != tag.key);
            t.tags.push(tag);
        }
        if t.tags.len() > MAX_TAGS {
            return Err(validation(
                "One or more parameter values were invalid: The number of tags exceeds the limit of 50",
            ));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

fn untag_resource(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = arn_target(ctx, input)?;
    if !input.has("TagKeys") {
        return Err(missing("TagKeys").into());
    }
    let keys_to_remove = input.string_list("TagKeys")?;
    authorize(ctx, "UntagResource", &target, None, CondKeys::default())?;
    update_table_def(ctx, &target, |t| {
        t.tags.retain(|x| !keys_to_remove.contains(&x.key));
        Ok(())
    })?;
    Ok(json!({}))
}

fn list_tags_of_resource(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = arn_target(ctx, input)?;
    input.str("NextToken")?;
    authorize(
        ctx,
        "ListTagsOfResource",
        &target,
        None,
        CondKeys::default(),
    )?;
    let table = target.existing()?;
    let tags: Vec<Value> = table
        .tags
        .iter()
        .map(|t| json!({"Key": t.key, "Value": t.value}))
        .collect();
    Ok(json!({ "Tags": tags }))
}
