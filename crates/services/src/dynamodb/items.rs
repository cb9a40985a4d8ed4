//! Single items: PutItem, GetItem, UpdateItem and DeleteItem, with condition, update and
//! projection expressions, ReturnValues and ReturnValuesOnConditionCheckFailure.

use super::common::{
    authorize, capacity_mode, check_enum, condition_failed, consumed_json, expression, item_member,
    old_on_failure, read_units, refuse_legacy, substitutions, table_ref, table_target, validation,
    with_consumed, write_units, CondKeys, DdbError,
};
use super::keys::{check_item, check_key, check_update_targets, check_updated};
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::{missing, JsonInput};
use rolegate_core::dynamodb::Table;
use rolegate_core::dynamodb_items::Change;
use rolegate_dynamo::{item_size, item_to_json, Condition, Item, ItemJson, Projection, Update};
use serde_json::{json, Map, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("PutItem", Handler::Value(put_item)),
    ("GetItem", Handler::Body(get_item_body)),
    ("UpdateItem", Handler::Value(update_item)),
    ("DeleteItem", Handler::Value(delete_item)),
];

const RETURN_VALUES: &[&str] = &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];

/// The ReturnValues member, limited to what the operation takes.
pub(crate) fn return_values(input: &JsonInput, allowed: &[&str]) -> Result<String, DdbError> {
    let v = input.str("ReturnValues")?.unwrap_or("NONE");
    check_enum("returnValues", v, RETURN_VALUES)?;
    if !allowed.contains(&v) {
        return Err(validation("Return values set to invalid value"));
    }
    Ok(v.to_owned())
}

/// Evaluates a write's condition against the current item (absent: an empty item).
pub(crate) fn check_condition(
    cond: Option<&Condition>,
    old: Option<&Item>,
    old_on_failure: bool,
) -> Result<(), DdbError> {
    let Some(c) = cond else { return Ok(()) };
    let empty = Item::new();
    if c.eval(old.unwrap_or(&empty))? {
        return Ok(());
    }
    Err(condition_failed(old.filter(|_| old_on_failure)))
}

fn attributes(item: Option<&Item>) -> Value {
    match item {
        Some(i) if !i.is_empty() => json!({"Attributes": item_to_json(i)}),
        _ => json!({}),
    }
}

/// A write request's parsed condition, with the names it reads added to the condition keys.
fn condition(
    input: &JsonInput,
    subs: &mut rolegate_dynamo::Substitutions,
    keys: &mut CondKeys,
) -> Result<Option<Condition>, DdbError> {
    let Some(text) = expression(input, "ConditionExpression")? else {
        return Ok(None);
    };
    let c = Condition::parse(text, subs)?;
    keys.attributes(c.attribute_names());
    Ok(Some(c))
}

/// The key attribute values of a key or item as condition keys.
pub(crate) fn key_cond_keys(table: Option<&Table>, item: &Item, keys: &mut CondKeys) {
    let Some(t) = table else {
        return;
    };
    if let Some(v) = item.get(&t.schema.hash.name) {
        keys.leading_key(v);
    }
    keys.attributes(t.schema.names());
}

fn put_item(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    refuse_legacy(input, &["Expected", "ConditionalOperator"])?;
    let item = item_member(input, "Item")?.ok_or_else(|| DdbError::from(missing("Item")))?;
    let rv = return_values(input, &["NONE", "ALL_OLD"])?;
    let mut subs = substitutions(input)?;
    let mut keys = CondKeys::default();
    let cond = condition(input, &mut subs, &mut keys)?;
    subs.check_all_used()?;
    let old_fail = old_on_failure(input)?;
    let capacity = capacity_mode(input)?;
    key_cond_keys(target.table.as_deref(), &item, &mut keys);
    keys.attributes(item.keys());
    keys.return_values = Some(rv.clone());
    authorize(ctx, "PutItem", &target, None, keys)?;
    let table = target.existing()?;
    check_item(table, &item)?;
    let tref = table_ref(table);
    let key = tref.key_of(&item).ok_or_else(super::common::not_found)?;
    let size = item_size(&item);
    let old = ctx.state.dynamodb.write(|s| {
        let old = s.get(&tref, &key);
        check_condition(cond.as_ref(), old.as_deref(), old_fail)?;
        Ok::<_, DdbError>((vec![Change::Put(tref.clone(), item)], old))
    })?;
    let units = write_units(size.max(old.as_deref().map_or(0, item_size)));
    let out = if rv == "ALL_OLD" {
        attributes(old.as_deref())
    } else {
        json!({})
    };
    Ok(with_consumed(out, capacity, &table.name, units))
}

/// GetItem's answer, written straight into the response body: the stored item is serialized
/// from the store's own value, with no `serde_json::Value` tree built and freed in between
/// (GetItem is the most frequent DynamoDB read).
fn get_item_body(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<String, DdbError> {
    let target = table_target(ctx, input)?;
    refuse_legacy(input, &["AttributesToGet"])?;
    let key = item_member(input, "Key")?.ok_or_else(|| DdbError::from(missing("Key")))?;
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = capacity_mode(input)?;
    let mut subs = substitutions(input)?;
    let projection = match expression(input, "ProjectionExpression")? {
        Some(p) => Some(Projection::parse(p, &mut subs)?),
        None => None,
    };
    subs.check_all_used()?;
    let mut keys = CondKeys::default();
    key_cond_keys(target.table.as_deref(), &key, &mut keys);
    keys.select = Some(
        if projection.is_some() {
            "SPECIFIC_ATTRIBUTES"
        } else {
            "ALL_ATTRIBUTES"
        }
        .into(),
    );
    if let Some(p) = &projection {
        keys.attributes(p.attribute_names());
    }
    authorize(ctx, "GetItem", &target, None, keys)?;
    let table = target.existing()?;
    let k = check_key(&table.schema, &key)?;
    let found = ctx.state.dynamodb.get(&table_ref(table), &k);
    let units = read_units(found.as_deref().map_or(0, item_size), consistent);
    // The members in the order `with_consumed` gives them: Item, then ConsumedCapacity.
    let mut body = Vec::with_capacity(256);
    body.push(b'{');
    let written = (|| {
        if let Some(i) = &found {
            body.extend_from_slice(b"\"Item\":");
            match &projection {
                Some(p) => serde_json::to_writer(&mut body, &ItemJson(&p.apply(i)))?,
                None => serde_json::to_writer(&mut body, &ItemJson(i))?,
            }
        }
        if let Some(indexes) = capacity {
            if found.is_some() {
                body.push(b',');
            }
            body.extend_from_slice(b"\"ConsumedCapacity\":");
            serde_json::to_writer(&mut body, &consumed_json(&table.name, units, indexes))?;
        }
        Ok::<_, serde_json::Error>(())
    })();
    body.push(b'}');
    match (written, String::from_utf8(body)) {
        (Ok(()), Ok(text)) => Ok(text),
        _ => Err(ServiceError::service_failure().into()),
    }
}

fn update_item(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    refuse_legacy(
        input,
        &["AttributeUpdates", "Expected", "ConditionalOperator"],
    )?;
    let key = item_member(input, "Key")?.ok_or_else(|| DdbError::from(missing("Key")))?;
    let rv = return_values(input, RETURN_VALUES)?;
    let mut subs = substitutions(input)?;
    let mut keys = CondKeys::default();
    let update = match expression(input, "UpdateExpression")? {
        Some(u) => Some(Update::parse(u, &mut subs)?),
        None => None,
    };
    let cond = condition(input, &mut subs, &mut keys)?;
    subs.check_all_used()?;
    let old_fail = old_on_failure(input)?;
    let capacity = capacity_mode(input)?;
    if let Some(u) = &update {
        keys.attributes(u.attribute_names());
    }
    key_cond_keys(target.table.as_deref(), &key, &mut keys);
    keys.return_values = Some(rv.clone());
    authorize(ctx, "UpdateItem", &target, None, keys)?;
    let table = target.existing()?;
    let k = check_key(&table.schema, &key)?;
    if let Some(u) = &update {
        check_update_targets(table, &u.target_names())?;
    }
    let tref = table_ref(table);
    let (old, new) = ctx.state.dynamodb.write(|s| {
        let old = s.get(&tref, &k);
        check_condition(cond.as_ref(), old.as_deref(), old_fail)?;
        let base: Item = match &old {
            Some(o) => (**o).clone(),
            None => key.clone(),
        };
        let new = match &update {
            Some(u) => u.apply_to(&base, old.is_some())?.0,
            None => base,
        };
        check_updated(table, &new)?;
        let change = Change::Put(tref.clone(), new.clone());
        Ok::<_, DdbError>((vec![change], (old, new)))
    })?;
    let old = old.map(|o| (*o).clone());
    let units = write_units(item_size(&new).max(old.as_ref().map_or(0, item_size)));
    let out = match rv.as_str() {
        "ALL_OLD" => attributes(old.as_ref()),
        "ALL_NEW" => attributes(Some(&new)),
        // Only the targeted (possibly nested) parts, as DynamoDB returns them.
        "UPDATED_OLD" => attributes(
            old.as_ref()
                .zip(update.as_ref())
                .map(|(o, u)| u.updated_parts(o))
                .as_ref(),
        ),
        "UPDATED_NEW" => attributes(update.as_ref().map(|u| u.updated_parts(&new)).as_ref()),
        _ => Value::Object(Map::new()),
    };
    Ok(with_consumed(out, capacity, &table.name, units))
}

fn delete_item(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    refuse_legacy(input, &["Expected", "ConditionalOperator"])?;
    let key = item_member(input, "Key")?.ok_or_else(|| DdbError::from(missing("Key")))?;
    let rv = return_values(input, &["NONE", "ALL_OLD"])?;
    let mut subs = substitutions(input)?;
    let mut keys = CondKeys::default();
    let cond = condition(input, &mut subs, &mut keys)?;
    subs.check_all_used()?;
    let old_fail = old_on_failure(input)?;
    let capacity = capacity_mode(input)?;
    key_cond_keys(target.table.as_deref(), &key, &mut keys);
    keys.return_values = Some(rv.clone());
    authorize(ctx, "DeleteItem", &target, None, keys)?;
    let table = target.existing()?;
    let k = check_key(&table.schema, &key)?;
    let tref = table_ref(table);
    let old = ctx.state.dynamodb.write(|s| {
        let old = s.get(&tref, &k);
        check_condition(cond.as_ref(), old.as_deref(), old_fail)?;
        let changes = match old {
            Some(_) => vec![Change::Delete(tref.clone(), k.clone())],
            None => Vec::new(),
        };
        Ok::<_, DdbError>((changes, old))
    })?;
    let units = write_units(old.as_deref().map_or(0, item_size));
    let out = if rv == "ALL_OLD" {
        attributes(old.as_deref())
    } else {
        json!({})
    };
    Ok(with_consumed(out, capacity, &table.name, units))
}
