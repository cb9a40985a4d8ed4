//! Key tags: TagResource, UntagResource, ListResourceTags.

use super::common::{
    authorize_key, merge_tags, page, require_not_pending, resolve, tag_json, tags_input,
    truncation, update_key, Reach,
};
use super::Handler;
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::json::{missing, JsonInput};
use serde_json::{json, Map, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("TagResource", tag_resource),
    ("UntagResource", untag_resource),
    ("ListResourceTags", list_resource_tags),
];

fn tag_resource(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let key_id = input.required_str("KeyId")?;
    let tags = tags_input(input, true)?;
    let t = resolve(ctx, key_id, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:TagResource", &t, |c| tag_keys(c, &tags))?;
    require_not_pending(&t.key)?;
    update_key(ctx, &t.key, |k| merge_tags(&mut k.tags, &tags))?;
    Ok(json!({}))
}

fn untag_resource(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let key_id = input.required_str("KeyId")?;
    if !input.has("TagKeys") {
        return Err(missing("TagKeys"));
    }
    let keys = input.string_list("TagKeys")?;
    let t = resolve(ctx, key_id, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:UntagResource", &t, |c| {
        if !keys.is_empty() {
            c.insert_multi("aws:TagKeys", keys.clone());
        }
    })?;
    require_not_pending(&t.key)?;
    update_key(ctx, &t.key, |k| {
        k.tags.retain(|tag| !keys.contains(&tag.key));
        Ok(())
    })?;
    Ok(json!({}))
}

fn list_resource_tags(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, ServiceError> {
    let t = resolve(ctx, input.required_str("KeyId")?, Reach::OwnAccount)?;
    authorize_key(ctx, "kms:ListResourceTags", &t, |_| {})?;
    let mut tags = t.key.tags.clone();
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    let (items, next) = page(input, &tags, |tag| tag.key.clone(), 50)?;
    let mut out = Map::new();
    out.insert("Tags".into(), items.iter().map(tag_json).collect());
    truncation(&mut out, next);
    Ok(Value::Object(out))
}
