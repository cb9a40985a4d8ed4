//! Tables: CreateTable, DescribeTable, ListTables, UpdateTable and DeleteTable, with the key
//! schema, attribute definitions, billing and secondary index rules DynamoDB checks.

use super::common::{
    authorize, check_enum, in_use, table_ref, table_target, validation, CondKeys, DdbError, Target,
};
use super::describe::table_description;
use super::Handler;
use crate::ctx::Ctx;
use crate::protocol::json::{missing, JsonInput};
use rolegate_core::dynamodb::{
    table_key, valid_table_name, IndexProjection, KeyAttr, KeySchema, SecondaryIndex, Table,
    Throughput,
};
use rolegate_core::{PolicyDoc, Tag};
use rolegate_policy::PolicyKind;
use serde_json::{json, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("CreateTable", Handler::Value(create_table)),
    ("DescribeTable", Handler::Value(describe_table)),
    ("ListTables", Handler::Value(list_tables)),
    ("UpdateTable", Handler::Value(update_table)),
    ("DeleteTable", Handler::Value(delete_table)),
];

fn invalid(message: impl std::fmt::Display) -> DdbError {
    validation(format!(
        "One or more parameter values were invalid: {message}"
    ))
}

/// AttributeDefinitions.
fn attribute_definitions(input: &JsonInput) -> Result<Vec<KeyAttr>, DdbError> {
    let mut out = Vec::new();
    for d in input.structs("AttributeDefinitions")? {
        let name = d.required_str("AttributeName")?;
        let ty = d.required_str("AttributeType")?;
        check_enum(
            "attributeDefinitions.member.attributeType",
            ty,
            &["B", "N", "S"],
        )?;
        if out.iter().any(|a: &KeyAttr| a.name == name) {
            return Err(invalid(format!(
                "Duplicate AttributeName in AttributeDefinitions: {name}"
            )));
        }
        out.push(KeyAttr {
            name: name.to_owned(),
            ty: ty.chars().next().unwrap_or('S'),
        });
    }
    Ok(out)
}

/// A KeySchema member (of the table or of an index), resolved against the definitions.
fn key_schema(input: &JsonInput, field: &str, attrs: &[KeyAttr]) -> Result<KeySchema, DdbError> {
    if !input.has("KeySchema") {
        return Err(missing(field).into());
    }
    let elements = input.structs("KeySchema")?;
    if elements.is_empty() || elements.len() > 2 {
        let bound = if elements.is_empty() {
            "greater than or equal to 1"
        } else {
            "less than or equal to 2"
        };
        return Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length {bound}"
        )));
    }
    let mut parsed = Vec::new();
    for e in &elements {
        let name = e.required_str("AttributeName")?;
        let kind = e.required_str("KeyType")?;
        check_enum(&format!("{field}.member.keyType"), kind, &["HASH", "RANGE"])?;
        parsed.push((name.to_owned(), kind.to_owned()));
    }
    if parsed[0].1 != "HASH" {
        return Err(validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if parsed.len() == 2 && parsed[1].1 != "RANGE" {
        return Err(validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    if parsed.len() == 2 && parsed[0].0 == parsed[1].0 {
        return Err(validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    let resolve = |name: &str| -> Result<KeyAttr, DdbError> {
        attrs.iter().find(|a| a.name == name).cloned().ok_or_else(|| {
            let defined: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
            invalid(format!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{name}], AttributeDefinitions: [{}]",
                defined.join(", ")
            ))
        })
    };
    Ok(KeySchema {
        hash: resolve(&parsed[0].0)?,
        range: match parsed.get(1) {
            Some((n, _)) => Some(resolve(n)?),
            None => None,
        },
    })
}

/// A ProvisionedThroughput member.
fn throughput(input: &JsonInput) -> Result<Option<Throughput>, DdbError> {
    let Some(v) = input.get("ProvisionedThroughput") else {
        return Ok(None);
    };
    let t = JsonInput::from_value(v.clone())?;
    let read = t
        .int("ReadCapacityUnits")?
        .ok_or_else(|| DdbError::from(missing("ProvisionedThroughput.ReadCapacityUnits")))?;
    let write = t
        .int("WriteCapacityUnits")?
        .ok_or_else(|| DdbError::from(missing("ProvisionedThroughput.WriteCapacityUnits")))?;
    for (n, field) in [(read, "readCapacityUnits"), (write, "writeCapacityUnits")] {
        if n < 1 {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'provisionedThroughput.{field}' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
    }
    Ok(Some(Throughput { read, write }))
}

/// A Projection member of an index.
fn projection(input: &JsonInput, index: &str) -> Result<IndexProjection, DdbError> {
    let Some(v) = input.get("Projection") else {
        return Err(missing("Projection").into());
    };
    let p = JsonInput::from_value(v.clone())?;
    let kind = p.str("ProjectionType")?.unwrap_or("ALL");
    check_enum(
        "projection.projectionType",
        kind,
        &["ALL", "KEYS_ONLY", "INCLUDE"],
    )?;
    let non_key = p.string_list("NonKeyAttributes")?;
    match kind {
        "INCLUDE" if non_key.is_empty() => Err(invalid(format!(
            "NonKeyAttributes must not be empty when ProjectionType is INCLUDE for index: {index}"
        ))),
        "INCLUDE" => Ok(IndexProjection::Include(non_key)),
        _ if !non_key.is_empty() => Err(invalid(format!(
            "ProjectionType is {kind}, but NonKeyAttributes is specified"
        ))),
        "KEYS_ONLY" => Ok(IndexProjection::KeysOnly),
        _ => Ok(IndexProjection::All),
    }
}

/// One secondary index definition.
fn index(
    input: &JsonInput,
    attrs: &[KeyAttr],
    field: &str,
    provisioned: bool,
    global: bool,
) -> Result<SecondaryIndex, DdbError> {
    let name = input.required_str("IndexName")?;
    if !valid_table_name(name) {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{field}.member.indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
        )));
    }
    let schema = key_schema(input, &format!("{field}.member.keySchema"), attrs)?;
    let projection = projection(input, name)?;
    let tp = throughput(input)?;
    if global && provisioned && tp.is_none() {
        return Err(invalid(format!(
            "ProvisionedThroughput must be specified for index: {name}"
        )));
    }
    if global && !provisioned && tp.is_some() {
        return Err(invalid(format!(
            "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
        )));
    }
    Ok(SecondaryIndex {
        name: name.to_owned(),
        schema,
        projection,
        throughput: if global { tp } else { None },
    })
}

/// Every attribute definition must be a key of the table or an index, and vice versa.
fn check_definitions_used(t: &Table) -> Result<(), DdbError> {
    let mut used: Vec<&str> = t.schema.names();
    for i in t.indexes() {
        used.extend(i.schema.names());
    }
    used.sort_unstable();
    used.dedup();
    if used.len() != t.attributes.len() {
        return Err(invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    Ok(())
}

fn billing(input: &JsonInput) -> Result<Option<Throughput>, DdbError> {
    let mode = input.str("BillingMode")?.unwrap_or("PROVISIONED");
    check_enum("billingMode", mode, &["PROVISIONED", "PAY_PER_REQUEST"])?;
    let tp = throughput(input)?;
    match (mode, tp) {
        ("PROVISIONED", None) => Err(invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        ("PAY_PER_REQUEST", Some(_)) => Err(invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (_, tp) => Ok(tp),
    }
}

pub(crate) fn tags_member(input: &JsonInput) -> Result<Vec<Tag>, DdbError> {
    let mut out: Vec<Tag> = Vec::new();
    for t in input.structs("Tags")? {
        let key = t.required_str("Key")?;
        let value = t.required_str("Value")?;
        if key.is_empty() || key.len() > 128 || value.len() > 256 {
            return Err(validation(
                "One or more parameter values were invalid: Tag key or value length is out of range",
            ));
        }
        out.retain(|x| x.key != key);
        out.push(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(out)
}

fn create_table(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    if !input.has("AttributeDefinitions") {
        return Err(missing("AttributeDefinitions").into());
    }
    let attrs = attribute_definitions(input)?;
    let schema = key_schema(input, "keySchema", &attrs)?;
    let tp = billing(input)?;
    let provisioned = tp.is_some();
    let mut global = Vec::new();
    for g in input.structs("GlobalSecondaryIndexes")? {
        global.push(index(
            &g,
            &attrs,
            "globalSecondaryIndexes",
            provisioned,
            true,
        )?);
    }
    let mut local = Vec::new();
    for l in input.structs("LocalSecondaryIndexes")? {
        local.push(index(
            &l,
            &attrs,
            "localSecondaryIndexes",
            provisioned,
            false,
        )?);
    }
    let tags = tags_member(input)?;
    let policy = match input.str("ResourcePolicy")? {
        Some(text) => Some(
            PolicyDoc::new(text, PolicyKind::Resource)
                .map_err(|e| validation(format!("Invalid policy document: {}", e.message())))?,
        ),
        None => None,
    };
    authorize(ctx, "CreateTable", &target, None, CondKeys::default())?;
    if !tags.is_empty() {
        authorize(ctx, "TagResource", &target, None, CondKeys::default())?;
    }
    if policy.is_some() {
        authorize(ctx, "PutResourcePolicy", &target, None, CondKeys::default())?;
    }
    if target.account != ctx.account() {
        // Only reachable when another account's resource policy allows CreateTable on a table
        // that exists there: creating it again is refused as for any existing table.
        return Err(in_use(format!("Table already exists: {}", target.name)));
    }
    let mut names = std::collections::BTreeSet::new();
    for i in global.iter().chain(local.iter()) {
        if !names.insert(i.name.clone()) {
            return Err(invalid(format!("Duplicate index name: {}", i.name)));
        }
    }
    for l in &local {
        if schema.range.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        if l.schema.range.is_none() {
            return Err(invalid(format!(
                "Index KeySchema does not have a range key for index: {}",
                l.name
            )));
        }
        if l.schema.hash != schema.hash {
            return Err(invalid(format!(
                "Table KeySchema and Index KeySchema must have the same hash key for index: {}",
                l.name
            )));
        }
    }
    let table = Table {
        name: target.name.clone(),
        region: target.region.clone(),
        arn: target.arn.clone(),
        id: rolegate_core::kms::new_key_id(),
        created: ctx.now(),
        schema,
        attributes: attrs,
        throughput: tp,
        global_indexes: global,
        local_indexes: local,
        tags,
        policy_revision: policy.as_ref().map(|_| revision(ctx.now())),
        policy,
        deletion_protection: input.bool("DeletionProtectionEnabled")?.unwrap_or(false),
    };
    check_definitions_used(&table)?;
    let key = table_key(&table.region, &table.name);
    let stored = table.clone();
    ctx.state.catalog.update(&target.account, |a| {
        if a.dynamodb_tables.contains_key(&key) {
            return Err(in_use(format!("Table already exists: {}", stored.name)));
        }
        a.dynamodb_tables.insert(key.clone(), stored.into());
        Ok(())
    })?;
    ctx.refresh();
    Ok(json!({"TableDescription": table_description(ctx, &table, "CREATING")}))
}

/// A new RevisionId for a resource policy: a decimal timestamp-based token as AWS's look.
pub(crate) fn revision(now: i64) -> String {
    use rand::Rng;
    format!(
        "{}{:06}",
        now * 1000,
        rand::thread_rng().gen_range(0..1_000_000)
    )
}

fn describe_table(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    authorize(ctx, "DescribeTable", &target, None, CondKeys::default())?;
    let table = target.table.as_deref().ok_or_else(|| {
        super::common::ddb_error(
            "ResourceNotFoundException",
            format!(
                "Requested resource not found: Table: {} not found",
                target.name
            ),
        )
    })?;
    Ok(json!({"Table": table_description(ctx, table, "ACTIVE")}))
}

fn list_tables(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let limit = input.int("Limit")?.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        let bound = if limit < 1 {
            "greater than or equal to 1"
        } else {
            "less than or equal to 100"
        };
        return Err(validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {bound}"
        )));
    }
    let start = input.str("ExclusiveStartTableName")?.map(str::to_owned);
    ctx.authorize("dynamodb:ListTables", "*", |_| {})?;
    let region = ctx.facts.region;
    let names: Vec<String> = ctx
        .snap
        .account(ctx.account())
        .map(|a| {
            a.dynamodb_tables
                .values()
                .filter(|t| t.region == region)
                .map(|t| t.name.clone())
                .filter(|n| start.as_ref().is_none_or(|s| n > s))
                .collect()
        })
        .unwrap_or_default();
    let n = (limit as usize).min(names.len());
    let mut out = json!({"TableNames": names[..n]});
    if n < names.len() && n > 0 {
        if let Value::Object(m) = &mut out {
            m.insert("LastEvaluatedTableName".into(), json!(names[n - 1]));
        }
    }
    Ok(out)
}

fn delete_table(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    authorize(ctx, "DeleteTable", &target, None, CondKeys::default())?;
    let table = target.existing()?.clone();
    if table.deletion_protection {
        return Err(validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
        ));
    }
    let description = table_description(ctx, &table, "DELETING");
    let key = table_key(&table.region, &table.name);
    let id = table.id.clone();
    ctx.state
        .catalog
        .update(&target.account, |a| match a.dynamodb_tables.get(&key) {
            Some(t) if t.id == id => {
                a.dynamodb_tables.remove(&key);
                Ok(())
            }
            _ => Err(super::common::not_found()),
        })?;
    ctx.refresh();
    ctx.state.dynamodb.drop_table(&table_ref(&table))?;
    Ok(json!({"TableDescription": description}))
}

/// Applies a change to a table that still exists (the same table: same id).
pub(crate) fn update_table_def<T>(
    ctx: &mut Ctx<'_>,
    target: &Target,
    f: impl FnOnce(&mut Table) -> Result<T, DdbError>,
) -> Result<(T, Table), DdbError> {
    let table = target.existing()?;
    let key = table_key(&table.region, &table.name);
    let id = table.id.clone();
    let out = ctx.state.catalog.update(&target.account, |a| {
        let t = a
            .dynamodb_tables
            .get_mut(&key)
            .filter(|t| t.id == id)
            .ok_or_else(super::common::not_found)?;
        let out = f(t)?;
        Ok::<_, DdbError>((out, (**t).clone()))
    })?;
    ctx.refresh();
    Ok(out)
}

fn update_table(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    let new_attrs = attribute_definitions(input)?;
    let mode = input.str("BillingMode")?;
    if let Some(m) = mode {
        check_enum("billingMode", m, &["PROVISIONED", "PAY_PER_REQUEST"])?;
    }
    let tp = throughput(input)?;
    let protection = input.bool("DeletionProtectionEnabled")?;
    let updates = input.structs("GlobalSecondaryIndexUpdates")?;
    authorize(ctx, "UpdateTable", &target, None, CondKeys::default())?;
    let current = target.existing()?.clone();
    if mode.is_none() && tp.is_none() && protection.is_none() && updates.is_empty() {
        return Err(validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    let provisioned = match mode {
        Some("PAY_PER_REQUEST") => false,
        Some(_) => true,
        None => current.throughput.is_some(),
    };
    if provisioned && tp.is_none() && current.throughput.is_none() {
        return Err(invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        ));
    }
    if !provisioned && tp.is_some() {
        return Err(invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        ));
    }
    let mut attrs = current.attributes.clone();
    for a in new_attrs {
        match attrs.iter().find(|x| x.name == a.name) {
            Some(x) if x.ty != a.ty => {
                return Err(invalid(format!(
                    "Cannot change the type of existing attribute {}",
                    a.name
                )))
            }
            Some(_) => {}
            None => attrs.push(a),
        }
    }
    let mut next = current.clone();
    next.attributes = attrs.clone();
    next.throughput = if provisioned {
        tp.or(current.throughput)
    } else {
        None
    };
    if let Some(p) = protection {
        next.deletion_protection = p;
    }
    for u in &updates {
        if let Some(c) = u.get("Create") {
            let c = JsonInput::from_value(c.clone())?;
            let i = index(
                &c,
                &attrs,
                "globalSecondaryIndexUpdates.member.create",
                provisioned,
                true,
            )?;
            if next.index(&i.name).is_some() {
                return Err(invalid(format!("Index already exists: {}", i.name)));
            }
            next.global_indexes.push(i);
        } else if let Some(d) = u.get("Delete") {
            let d = JsonInput::from_value(d.clone())?;
            let name = d.required_str("IndexName")?;
            if !next.global_indexes.iter().any(|i| i.name == name) {
                return Err(super::common::ddb_error(
                    "ResourceNotFoundException",
                    format!("Requested resource not found: Index: {name} not found"),
                ));
            }
            next.global_indexes.retain(|i| i.name != name);
        } else if let Some(up) = u.get("Update") {
            let up = JsonInput::from_value(up.clone())?;
            let name = up.required_str("IndexName")?;
            let tp = throughput(&up)?;
            let i = next
                .global_indexes
                .iter_mut()
                .find(|i| i.name == name)
                .ok_or_else(|| {
                    super::common::ddb_error(
                        "ResourceNotFoundException",
                        format!("Requested resource not found: Index: {name} not found"),
                    )
                })?;
            i.throughput = tp;
        }
    }
    if !provisioned {
        for i in &mut next.global_indexes {
            i.throughput = None;
        }
    }
    // Definitions no key uses any more are dropped, as AWS does after an index deletion.
    let mut used: Vec<String> = next.schema.names().iter().map(|s| s.to_string()).collect();
    for i in next.indexes() {
        used.extend(i.schema.names().iter().map(|s| s.to_string()));
    }
    next.attributes.retain(|a| used.contains(&a.name));
    check_definitions_used(&next)?;
    let ((), table) = update_table_def(ctx, &target, |t| {
        *t = next;
        Ok(())
    })?;
    Ok(json!({"TableDescription": table_description(ctx, &table, "UPDATING")}))
}
