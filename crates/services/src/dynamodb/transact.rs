//! TransactWriteItems and TransactGetItems: all-or-nothing writes (with condition checks)
//! and consistent reads across tables. Each item is authorized with its own action
//! (dynamodb:PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem), as AWS does.
//! A failed condition cancels the whole transaction with one reason per item.

use super::common::{
    authorize, capacity_mode, consumed_json, ddb_error, expression, item_member_in, old_on_failure,
    read_units, substitutions_in, table_ref, table_target, validation, write_units, CondKeys,
    DdbError, Target,
};
use super::items::{check_condition, key_cond_keys};
use super::keys::{check_item, check_key, check_update_targets, check_updated};
use super::Handler;
use crate::ctx::Ctx;
use crate::protocol::json::{missing, JsonInput};
use rolegate_core::dynamodb_items::{Change, KeyBytes, Working};
use rolegate_dynamo::{item_size, item_to_json, Condition, Item, Layer, Projection, Update};
use serde_json::{json, Value};
use std::collections::HashSet;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("TransactWriteItems", Handler::Value(transact_write_items)),
    ("TransactGetItems", Handler::Value(transact_get_items)),
];

const MAX_ITEMS: usize = 100;

enum Kind {
    Check,
    Put(Item),
    Delete,
    Update(Option<Update>),
}

/// One write of the transaction, parsed and checked.
struct Op {
    kind: Kind,
    target: Target,
    key: KeyBytes,
    key_item: Item,
    cond: Option<Condition>,
    old_on_failure: bool,
}

fn transact_items(input: &JsonInput) -> Result<Vec<JsonInput>, DdbError> {
    if !input.has("TransactItems") {
        return Err(missing("TransactItems").into());
    }
    let items = input.structs("TransactItems")?;
    if items.is_empty() || items.len() > MAX_ITEMS {
        let bound = if items.is_empty() {
            "greater than or equal to 1"
        } else {
            "less than or equal to 100"
        };
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {bound}"
        )));
    }
    Ok(items)
}

/// The single member of a transaction item (`Put`, `Update`...).
fn only_member<'a>(item: &JsonInput, names: &[&'a str]) -> Result<(&'a str, JsonInput), DdbError> {
    let present: Vec<&&str> = names.iter().filter(|n| item.has(n)).collect();
    match present[..] {
        [n] => {
            let v = item.get(n).cloned().unwrap_or(Value::Null);
            Ok((*n, JsonInput::from_value(v)?))
        }
        _ => Err(validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

fn parse_op(ctx: &mut Ctx<'_>, which: &str, m: &JsonInput) -> Result<(Op, &'static str), DdbError> {
    let target = table_target(ctx, m)?;
    let mut subs = substitutions_in(m, Layer::Older)?;
    let mut keys = CondKeys::default();
    let cond = match expression(m, "ConditionExpression")? {
        Some(c) => {
            let c = Condition::parse(c, &mut subs)?;
            keys.attributes(c.attribute_names());
            Some(c)
        }
        None => None,
    };
    let (kind, key_item, action) = match which {
        "Put" => {
            let item = item_member_in(m, "Item", Layer::Older)?
                .ok_or_else(|| DdbError::from(missing("Item")))?;
            keys.attributes(item.keys());
            (Kind::Put(item.clone()), item, "PutItem")
        }
        other => {
            let key = item_member_in(m, "Key", Layer::Older)?
                .ok_or_else(|| DdbError::from(missing("Key")))?;
            match other {
                "ConditionCheck" => {
                    if cond.is_none() {
                        return Err(missing("ConditionExpression").into());
                    }
                    (Kind::Check, key, "ConditionCheckItem")
                }
                "Delete" => (Kind::Delete, key, "DeleteItem"),
                _ => {
                    let u = match expression(m, "UpdateExpression")? {
                        Some(u) => Some(Update::parse(u, &mut subs)?),
                        None => None,
                    };
                    if let Some(u) = &u {
                        keys.attributes(u.attribute_names());
                    }
                    (Kind::Update(u), key, "UpdateItem")
                }
            }
        }
    };
    subs.check_all_used()?;
    let old_on_failure = old_on_failure(m)?;
    key_cond_keys(target.table.as_deref(), &key_item, &mut keys);
    authorize(ctx, action, &target, None, keys)?;
    let op = Op {
        kind,
        target,
        key: (Vec::new(), Vec::new()),
        key_item,
        cond,
        old_on_failure,
    };
    Ok((op, action))
}

/// Decides one item's change on the working items (queued writes included): its
/// cancellation reason or change.
fn decide(s: &Working<'_>, op: &Op) -> Result<Option<Change>, DdbError> {
    let Some(table) = op.target.table.as_deref() else {
        return Err(super::common::not_found());
    };
    let tref = table_ref(table);
    let old = s.get(&tref, &op.key);
    check_condition(op.cond.as_ref(), old.as_deref(), op.old_on_failure)?;
    Ok(match &op.kind {
        Kind::Check => None,
        Kind::Put(item) => Some(Change::Put(tref, item.clone())),
        Kind::Delete => old.map(|_| Change::Delete(tref, op.key.clone())),
        Kind::Update(u) => {
            let exists = old.is_some();
            let base = old
                .map(|o| (*o).clone())
                .unwrap_or_else(|| op.key_item.clone());
            let new = match u {
                Some(u) => u.apply_to(&base, exists)?.0,
                None => base,
            };
            check_updated(table, &new)?;
            Some(Change::Put(tref, new))
        }
    })
}

/// A cancellation reason as DynamoDB reports it.
fn reason(e: Option<&DdbError>) -> Value {
    match e {
        None => json!({"Code": "None"}),
        Some(e) => {
            let code = match e.base.code.as_str() {
                "ConditionalCheckFailedException" => "ConditionalCheckFailed",
                "ValidationException" => "ValidationError",
                other => other,
            };
            let mut r = json!({"Code": code, "Message": e.base.message});
            if let (Some(i), Value::Object(m)) = (e.extra.get("Item"), &mut r) {
                m.insert("Item".into(), i.clone());
            }
            r
        }
    }
}

fn transact_write_items(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let items = transact_items(input)?;
    let capacity = capacity_mode(input)?;
    if let Some(t) = input.str("ClientRequestToken")? {
        if t.is_empty() || t.len() > 36 {
            return Err(validation(
                "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36",
            ));
        }
    }
    let mut ops = Vec::new();
    for item in &items {
        let (which, m) = only_member(item, &["ConditionCheck", "Put", "Delete", "Update"])?;
        ops.push(parse_op(ctx, which, &m)?.0);
    }
    let mut seen = HashSet::new();
    for op in &mut ops {
        let table = op.target.existing()?;
        op.key = match &op.kind {
            Kind::Put(item) => check_item(table, item)?,
            _ => check_key(&table.schema, &op.key_item)?,
        };
        if let Kind::Update(Some(u)) = &op.kind {
            check_update_targets(table, &u.target_names())?;
        }
        if !seen.insert((table.id.clone(), op.key.clone())) {
            return Err(validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
    }
    ctx.state.dynamodb.write(|s| {
        let results: Vec<Result<Option<Change>, DdbError>> =
            ops.iter().map(|op| decide(s, op)).collect();
        if results.iter().all(Result::is_ok) {
            let changes = results.into_iter().filter_map(|r| r.ok().flatten()).collect();
            return Ok((changes, ()));
        }
        let reasons: Vec<Value> = results.iter().map(|r| reason(r.as_ref().err())).collect();
        let codes: Vec<&str> = reasons
            .iter()
            .map(|r| r["Code"].as_str().unwrap_or("None"))
            .collect();
        let mut e = ddb_error(
            "TransactionCanceledException",
            format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
        );
        e.extra
            .insert("CancellationReasons".into(), Value::Array(reasons));
        Err(e)
    })?;
    // Transactional writes cost two write units per KB.
    let mut units: Vec<(String, f64)> = Vec::new();
    for op in &ops {
        let size = match &op.kind {
            Kind::Put(item) => item_size(item),
            _ => 0,
        };
        add_units(&mut units, &op.target.name, 2.0 * write_units(size));
    }
    consumed_output(json!({}), capacity, units)
}

fn add_units(units: &mut Vec<(String, f64)>, table: &str, n: f64) {
    match units.iter_mut().find(|(t, _)| t == table) {
        Some((_, u)) => *u += n,
        None => units.push((table.to_owned(), n)),
    }
}

/// Adds the per-table `ConsumedCapacity` list when the request asked for it.
fn consumed_output(
    mut out: Value,
    capacity: Option<bool>,
    units: Vec<(String, f64)>,
) -> Result<Value, DdbError> {
    if let Some(indexes) = capacity {
        out["ConsumedCapacity"] = units
            .iter()
            .map(|(t, u)| consumed_json(t, *u, indexes))
            .collect();
    }
    Ok(out)
}

fn transact_get_items(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let items = transact_items(input)?;
    let capacity = capacity_mode(input)?;
    let mut units = Vec::new();
    let mut gets = Vec::new();
    for item in &items {
        let (_, m) = only_member(item, &["Get"])?;
        let target = table_target(ctx, &m)?;
        let key = item_member_in(&m, "Key", Layer::Older)?
            .ok_or_else(|| DdbError::from(missing("Key")))?;
        let mut subs = substitutions_in(&m, Layer::Older)?;
        let projection = match expression(&m, "ProjectionExpression")? {
            Some(p) => Some(Projection::parse(p, &mut subs)?),
            None => None,
        };
        subs.check_all_used()?;
        let mut keys = CondKeys::default();
        key_cond_keys(target.table.as_deref(), &key, &mut keys);
        if let Some(p) = &projection {
            keys.attributes(p.attribute_names());
        }
        authorize(ctx, "GetItem", &target, None, keys)?;
        gets.push((target, key, projection));
    }
    let mut responses = Vec::new();
    for (target, key, projection) in &gets {
        let table = target.existing()?;
        let k = check_key(&table.schema, key)?;
        let found = ctx.state.dynamodb.get(&table_ref(table), &k);
        let size = found.as_deref().map_or(0, item_size);
        add_units(&mut units, &table.name, 2.0 * read_units(size, true));
        responses.push(match found {
            Some(i) => {
                let out = match projection {
                    Some(p) => p.apply(&i),
                    None => (*i).clone(),
                };
                json!({"Item": item_to_json(&out)})
            }
            None => json!({}),
        });
    }
    consumed_output(json!({ "Responses": responses }), capacity, units)
}
