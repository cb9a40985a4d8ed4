//! BatchGetItem and BatchWriteItem: many items of one or more tables in one call, each table
//! authorized with the batch action, its partition keys and attributes. Every request is
//! processed here (UnprocessedKeys/UnprocessedItems are always empty).

use super::common::{
    authorize, capacity_mode, consumed_json, expression, read_units, refuse_legacy, substitutions,
    table_ref, target, validation, write_units, CondKeys, DdbError,
};
use super::items::key_cond_keys;
use super::keys::{check_item, check_key};
use super::Handler;
use crate::ctx::Ctx;
use crate::protocol::json::{missing, serialization, JsonInput};
use rolegate_core::dynamodb_items::{Change, KeyBytes};
use rolegate_dynamo::{
    item_from_json, item_from_json_in, item_size, item_to_json, Item, Layer, Projection,
};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("BatchGetItem", Handler::Value(batch_get_item)),
    ("BatchWriteItem", Handler::Value(batch_write_item)),
];

const MAX_GET: usize = 100;
const MAX_WRITE: usize = 25;

/// The RequestItems map: table name (or ARN) → its request.
fn request_items(input: &JsonInput) -> Result<Vec<(String, Value)>, DdbError> {
    match input.get("RequestItems") {
        None => Err(missing("RequestItems").into()),
        Some(Value::Object(m)) if m.is_empty() => Err(validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )),
        Some(Value::Object(m)) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(_) => Err(serialization("Expected a map for member RequestItems").into()),
    }
}

fn duplicates() -> DdbError {
    validation("Provided list of item keys contains duplicates")
}

fn batch_get_item(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let requests = request_items(input)?;
    let mut total = 0;
    let mut plans = Vec::new();
    for (name, req) in &requests {
        let t = target(ctx, "requestItems.member.key", name)?;
        let req = JsonInput::from_value(req.clone())?;
        refuse_legacy(&req, &["AttributesToGet"])?;
        let consistent = req.bool("ConsistentRead")?.unwrap_or(false);
        let keys: Vec<Item> = match req.get("Keys") {
            Some(Value::Array(a)) => a.iter().map(item_from_json).collect::<Result<_, _>>()?,
            _ => return Err(missing("Keys").into()),
        };
        total += keys.len();
        if total > MAX_GET {
            return Err(validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        let mut subs = substitutions(&req)?;
        let projection = match expression(&req, "ProjectionExpression")? {
            Some(p) => Some(Projection::parse(p, &mut subs)?),
            None => None,
        };
        subs.check_all_used()?;
        let mut ck = CondKeys::default();
        for k in &keys {
            key_cond_keys(t.table.as_deref(), k, &mut ck);
        }
        if let Some(p) = &projection {
            ck.attributes(p.attribute_names());
        }
        ck.select = Some(
            if projection.is_some() {
                "SPECIFIC_ATTRIBUTES"
            } else {
                "ALL_ATTRIBUTES"
            }
            .into(),
        );
        plans.push((name.clone(), t, keys, projection, ck, consistent));
    }
    for (_, t, _, _, ck, _) in &mut plans {
        authorize(ctx, "BatchGetItem", t, None, std::mem::take(ck))?;
    }
    let capacity = capacity_mode(input)?;
    let mut consumed = Vec::new();
    let mut responses = Map::new();
    for (name, t, keys, projection, _, consistent) in plans {
        let table = t.existing()?;
        let mut seen: HashSet<KeyBytes> = HashSet::new();
        let mut encoded = Vec::new();
        for k in &keys {
            let kb = check_key(&table.schema, k)?;
            if !seen.insert(kb.clone()) {
                return Err(duplicates());
            }
            encoded.push(kb);
        }
        let tref = table_ref(table);
        let items: Vec<_> = encoded
            .iter()
            .filter_map(|k| ctx.state.dynamodb.get(&tref, k))
            .collect();
        let units: f64 = items
            .iter()
            .map(|i| read_units(item_size(i), consistent))
            .sum();
        if let Some(indexes) = capacity {
            consumed.push(consumed_json(&table.name, units, indexes));
        }
        let found: Vec<Value> = items
            .into_iter()
            .map(|i| match &projection {
                Some(p) => item_to_json(&p.apply(&i)),
                None => item_to_json(&i),
            })
            .collect();
        responses.insert(name, Value::Array(found));
    }
    let mut out = json!({"Responses": responses, "UnprocessedKeys": {}});
    if capacity.is_some() {
        out["ConsumedCapacity"] = Value::Array(consumed);
    }
    Ok(out)
}

/// One write of a BatchWriteItem.
enum Write {
    Put(Item),
    Delete(Item),
}

fn batch_write_item(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let requests = request_items(input)?;
    let mut total = 0;
    let mut plans = Vec::new();
    for (name, req) in &requests {
        let t = target(ctx, "requestItems.member.key", name)?;
        let Value::Array(list) = req else {
            return Err(serialization("Expected a list of WriteRequest").into());
        };
        total += list.len();
        if total > MAX_WRITE || list.is_empty() {
            return Err(validation(format!(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_WRITE}, Member must have length greater than or equal to 1]"
            )));
        }
        let mut writes = Vec::new();
        let mut ck = CondKeys::default();
        for w in list {
            let w = JsonInput::from_value(w.clone())?;
            let write =
                match (w.get("PutRequest"), w.get("DeleteRequest")) {
                    (Some(p), None) => {
                        let p = JsonInput::from_value(p.clone())?;
                        let item = item_from_json_in(
                            p.get("Item").ok_or_else(|| missing("Item"))?,
                            Layer::Older,
                        )?;
                        ck.attributes(item.keys());
                        key_cond_keys(t.table.as_deref(), &item, &mut ck);
                        Write::Put(item)
                    }
                    (None, Some(d)) => {
                        let d = JsonInput::from_value(d.clone())?;
                        let key = item_from_json_in(
                            d.get("Key").ok_or_else(|| missing("Key"))?,
                            Layer::Older,
                        )?;
                        key_cond_keys(t.table.as_deref(), &key, &mut ck);
                        Write::Delete(key)
                    }
                    _ => return Err(validation(
                        "A WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                    )),
                };
            writes.push(write);
        }
        plans.push((t, writes, ck));
    }
    for (t, _, ck) in &mut plans {
        authorize(ctx, "BatchWriteItem", t, None, std::mem::take(ck))?;
    }
    let capacity = capacity_mode(input)?;
    let mut consumed = Vec::new();
    let mut changes = Vec::new();
    let mut seen: HashSet<(String, KeyBytes)> = HashSet::new();
    for (t, writes, _) in plans {
        let table = t.existing()?;
        let tref = table_ref(table);
        let mut units = 0.0;
        for w in writes {
            let (kb, change) = match w {
                Write::Put(item) => {
                    let kb = check_item(table, &item)?;
                    units += write_units(item_size(&item));
                    (kb, Change::Put(tref.clone(), item))
                }
                Write::Delete(key) => {
                    let kb = check_key(&table.schema, &key)?;
                    units += write_units(0);
                    (kb.clone(), Change::Delete(tref.clone(), kb))
                }
            };
            if !seen.insert((table.id.clone(), kb)) {
                return Err(duplicates());
            }
            changes.push(change);
        }
        if let Some(indexes) = capacity {
            consumed.push(consumed_json(&table.name, units, indexes));
        }
    }
    ctx.state
        .dynamodb
        .write(|_| Ok::<_, DdbError>((changes, ())))?;
    let mut out = json!({"UnprocessedItems": {}});
    if capacity.is_some() {
        out["ConsumedCapacity"] = Value::Array(consumed);
    }
    Ok(out)
}
