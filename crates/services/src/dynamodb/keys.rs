//! Keys and items checked against a table's key schema, with DynamoDB's messages: a `Key` must
//! be exactly the key attributes, an item must carry them with their declared types, index key
//! attributes must have their declared types, and items are at most 400 KB.

use super::common::{validation, DdbError};
use rolegate_core::dynamodb::{KeyAttr, KeySchema, Table};
use rolegate_core::dynamodb_items::KeyBytes;
use rolegate_dynamo::{item_size, key_bytes, Item, Value};

/// DynamoDB's item size limit.
pub(crate) const MAX_ITEM_SIZE: usize = 400 * 1024;

fn typed(v: &Value, ty: char) -> bool {
    matches!(
        (v, ty),
        (Value::S(_), 'S') | (Value::N(_), 'N') | (Value::B(_), 'B')
    )
}

fn empty(v: &Value) -> bool {
    matches!(v, Value::S(s) if s.is_empty()) || matches!(v, Value::B(b) if b.is_empty())
}

fn empty_key(name: &str) -> DdbError {
    validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
    ))
}

/// Checks a `Key` member against the schema; returns its encoded form.
pub(crate) fn check_key(schema: &KeySchema, key: &Item) -> Result<KeyBytes, DdbError> {
    let mismatch = || validation("The provided key element does not match the schema");
    let attrs: Vec<&KeyAttr> = std::iter::once(&schema.hash)
        .chain(schema.range.as_ref())
        .collect();
    if key.len() != attrs.len() {
        return Err(mismatch());
    }
    for a in &attrs {
        let v = key.get(&a.name).ok_or_else(mismatch)?;
        if !typed(v, a.ty) {
            return Err(mismatch());
        }
        if empty(v) {
            return Err(empty_key(&a.name));
        }
    }
    Ok(encode(schema, key))
}

/// The encoded key of an item already checked.
pub(crate) fn encode(schema: &KeySchema, item: &Item) -> KeyBytes {
    let h = item
        .get(&schema.hash.name)
        .map(key_bytes)
        .unwrap_or_default();
    let r = schema
        .range
        .as_ref()
        .and_then(|r| item.get(&r.name))
        .map(key_bytes)
        .unwrap_or_default();
    (h, r)
}

/// The key attributes of an item (what LastEvaluatedKey and KEYS_ONLY hold).
pub(crate) fn key_of(schema: &KeySchema, item: &Item) -> Item {
    schema
        .names()
        .into_iter()
        .filter_map(|n| item.get(n).map(|v| (n.to_owned(), v.clone())))
        .collect()
}

/// Checks an item an update produced: as [`check_item`], with UpdateItem's size message.
pub(crate) fn check_updated(table: &Table, item: &Item) -> Result<KeyBytes, DdbError> {
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    check_item(table, item)
}

/// Checks an item to be written: key attributes present with their types, index keys of the
/// right type and not empty, and the size limit.
pub(crate) fn check_item(table: &Table, item: &Item) -> Result<KeyBytes, DdbError> {
    for a in std::iter::once(&table.schema.hash).chain(table.schema.range.as_ref()) {
        let Some(v) = item.get(&a.name) else {
            return Err(validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                a.name
            )));
        };
        if !typed(v, a.ty) {
            return Err(validation(format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                a.name,
                a.ty,
                v.type_name()
            )));
        }
        if empty(v) {
            return Err(empty_key(&a.name));
        }
    }
    for index in table.indexes() {
        for a in std::iter::once(&index.schema.hash).chain(index.schema.range.as_ref()) {
            let Some(v) = item.get(&a.name) else { continue };
            if !typed(v, a.ty) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    a.name,
                    a.ty,
                    v.type_name(),
                    index.name
                )));
            }
            if empty(v) {
                return Err(validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {}",
                    index.name, a.name
                )));
            }
        }
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(encode(&table.schema, item))
}

/// An update must not touch a key attribute.
pub(crate) fn check_update_targets(table: &Table, targets: &[String]) -> Result<(), DdbError> {
    for n in table.schema.names() {
        if targets.iter().any(|t| t == n) {
            return Err(validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {n}. This attribute is part of the key"
            )));
        }
    }
    Ok(())
}
