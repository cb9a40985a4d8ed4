//! What every DynamoDB operation group shares: DynamoDB's errors, finding a table from a
//! TableName or ARN, authorizing against the table (its resource policy and condition keys),
//! and the table's view for the item store.

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::JsonInput;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rolegate_core::dynamodb::{table_arn, table_key, valid_table_name, Table};
use rolegate_core::dynamodb_items::{IndexSpec, ItemStoreError, TableId, TableRef};
use rolegate_core::shared::Shared;
use rolegate_core::ResourceGuard;
use rolegate_dynamo::{Item, Layer, Substitutions, Value};
use rolegate_policy::{Context, ResourcePolicyKind};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// A DynamoDB error: code, status and message, with the extra members some errors carry.
#[derive(Clone, Debug)]
pub struct DdbError {
    pub base: Box<ServiceError>,
    pub extra: Box<Map<String, Json>>,
}

impl From<ServiceError> for DdbError {
    fn from(base: ServiceError) -> DdbError {
        DdbError {
            base: Box::new(base),
            extra: Box::default(),
        }
    }
}

impl From<rolegate_dynamo::Error> for DdbError {
    fn from(e: rolegate_dynamo::Error) -> DdbError {
        ServiceError::new(400, e.code, e.message).into()
    }
}

impl From<ItemStoreError> for DdbError {
    fn from(e: ItemStoreError) -> DdbError {
        log_store_failure(&e.to_string());
        ServiceError::service_failure().into()
    }
}

impl From<rolegate_core::CatalogError> for DdbError {
    fn from(e: rolegate_core::CatalogError) -> DdbError {
        ServiceError::from(e).into()
    }
}

/// Store failures become a 500; the detail goes to stderr for the operator.
fn log_store_failure(msg: &str) {
    eprintln!("dynamodb: {msg}");
}

pub(crate) fn ddb_error(code: &str, message: impl Into<String>) -> DdbError {
    ServiceError::new(400, code, message).into()
}

pub(crate) fn validation(message: impl Into<String>) -> DdbError {
    ddb_error("ValidationException", message)
}

pub(crate) fn not_found() -> DdbError {
    ddb_error("ResourceNotFoundException", "Requested resource not found")
}

pub(crate) fn in_use(message: impl Into<String>) -> DdbError {
    ddb_error("ResourceInUseException", message)
}

/// `ConditionalCheckFailedException`, with the item when ReturnValuesOnConditionCheckFailure
/// asked for it.
pub(crate) fn condition_failed(item: Option<&Item>) -> DdbError {
    let mut e = ddb_error(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    );
    if let Some(i) = item {
        e.extra
            .insert("Item".into(), rolegate_dynamo::item_to_json(i));
    }
    e
}

/// AWS's "1 validation error detected" text for a member outside an enum.
pub(crate) fn check_enum(field: &str, value: &str, allowed: &[&str]) -> Result<(), DdbError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    )))
}

/// The table a request names, whether or not it exists.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub name: String,
    pub account: String,
    pub region: String,
    pub arn: String,
    /// Shared with the snapshot: a request reads the table's definition without copying it.
    pub table: Option<Shared<Table>>,
}

impl Target {
    /// The table, or DynamoDB's "Requested resource not found".
    pub fn existing(&self) -> Result<&Table, DdbError> {
        self.table.as_deref().ok_or_else(not_found)
    }
}

fn bad_name(field: &str, name: &str) -> DdbError {
    if name.len() < 3 {
        return validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to 3"
        ));
    }
    if name.len() > 255 {
        return validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to 255"
        ));
    }
    validation(format!(
        "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    ))
}

/// Finds the table named by `name`: a table name of the caller's account and region, or a
/// table ARN (another account's table is reachable this way, if its resource policy allows).
pub(crate) fn target(ctx: &Ctx<'_>, field: &str, name: &str) -> Result<Target, DdbError> {
    let region = ctx.facts.region.to_owned();
    let (account, table_name) = match name.strip_prefix("arn:") {
        Some(_) => {
            let parts: Vec<&str> = name.splitn(6, ':').collect();
            let [_, partition, "dynamodb", arn_region, account, resource] = parts[..] else {
                return Err(validation(format!(
                    "Invalid TableArn: Invalid ResourceArn provided as input {name}"
                )));
            };
            let Some(n) = resource.strip_prefix("table/").filter(|n| !n.contains('/')) else {
                return Err(validation(format!(
                    "Invalid TableArn: Invalid ResourceArn provided as input {name}"
                )));
            };
            if partition != "aws" || arn_region != region {
                return Err(not_found());
            }
            (account.to_owned(), n.to_owned())
        }
        None => (ctx.account().to_owned(), name.to_owned()),
    };
    if !valid_table_name(&table_name) {
        return Err(bad_name(field, &table_name));
    }
    let table = ctx
        .snap
        .account(&account)
        .and_then(|a| a.dynamodb_tables.get(&table_key(&region, &table_name)))
        .cloned();
    Ok(Target {
        arn: table_arn(&region, &account, &table_name),
        name: table_name,
        account,
        region,
        table,
    })
}

/// The `TableName` member, required.
pub(crate) fn table_target(ctx: &Ctx<'_>, input: &JsonInput) -> Result<Target, DdbError> {
    let name = input.required_str("TableName")?;
    target(ctx, "tableName", name)
}

/// A table's `ResourceArn` member (tagging, resource policies): a table ARN only.
pub(crate) fn arn_target(ctx: &Ctx<'_>, input: &JsonInput) -> Result<Target, DdbError> {
    let arn = input.required_str("ResourceArn")?;
    if !arn.starts_with("arn:") {
        return Err(validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        )));
    }
    target(ctx, "resourceArn", arn)
}

/// The condition keys of an item request.
#[derive(Default, Debug, Clone)]
pub(crate) struct CondKeys {
    /// dynamodb:LeadingKeys: the partition key values the request touches.
    pub leading: Vec<String>,
    /// dynamodb:Attributes: the top-level attribute names the request reads or writes.
    pub attributes: Vec<String>,
    pub select: Option<String>,
    pub return_values: Option<String>,
    /// aws:RequestTag/* and aws:TagKeys (TagResource).
    pub request_tags: Vec<(String, String)>,
}

impl CondKeys {
    pub fn attribute(&mut self, name: &str) {
        if !self.attributes.iter().any(|a| a == name) {
            self.attributes.push(name.to_owned());
        }
    }

    pub fn attributes<S: AsRef<str>>(&mut self, names: impl IntoIterator<Item = S>) {
        for n in names {
            self.attribute(n.as_ref());
        }
    }

    pub fn leading_key(&mut self, v: &Value) {
        let s = key_string(v);
        if !self.leading.contains(&s) {
            self.leading.push(s);
        }
    }

    fn apply(self, c: &mut Context) {
        if !self.leading.is_empty() {
            c.insert_multi("dynamodb:LeadingKeys", self.leading);
        }
        if !self.attributes.is_empty() {
            c.insert_multi("dynamodb:Attributes", self.attributes);
        }
        if let Some(s) = &self.select {
            c.insert("dynamodb:Select", s);
        }
        if let Some(r) = &self.return_values {
            c.insert("dynamodb:ReturnValues", r);
        }
        crate::ctx::tag_keys(c, &self.request_tags);
    }
}

/// A key value as a condition key sees it: the string, the number's text, or base64.
pub(crate) fn key_string(v: &Value) -> String {
    match v {
        Value::S(s) => s.clone(),
        Value::N(n) => n.to_string(),
        Value::B(b) => STANDARD.encode(b),
        other => other.type_name().to_owned(),
    }
}

/// Authorizes `dynamodb:<operation>` on the table (or one of its indexes) with the table's
/// resource policy and the request's condition keys.
pub(crate) fn authorize(
    ctx: &mut Ctx<'_>,
    operation: &str,
    target: &Target,
    index: Option<&str>,
    keys: CondKeys,
) -> Result<(), DdbError> {
    let resource = match index {
        Some(i) => Cow::Owned(format!("{}/index/{i}", target.arn)),
        None => Cow::Borrowed(target.arn.as_str()),
    };
    let table = target.table.as_deref();
    let guard = match table.and_then(|t| t.policy.as_ref()) {
        Some(doc) => ResourceGuard::Policy {
            policy: doc.compiled(),
            kind: ResourcePolicyKind::Standard,
        },
        None => ResourceGuard::None,
    };
    ctx.authorize_on(
        &format!("dynamodb:{operation}"),
        &resource,
        Some(&target.account),
        guard,
        |c| {
            for tag in table.iter().flat_map(|t| &t.tags) {
                c.insert(&format!("aws:ResourceTag/{}", tag.key), &tag.value);
            }
            keys.apply(c)
        },
    )?;
    Ok(())
}

/// The item store's view of a table.
pub(crate) fn table_ref(t: &Table) -> TableRef {
    TableRef {
        id: TableId {
            account: t.account().to_owned(),
            region: t.region.clone(),
            id: t.id.clone(),
        },
        hash: t.schema.hash.name.clone(),
        range: t.schema.range.as_ref().map(|r| r.name.clone()),
        indexes: t
            .indexes()
            .map(|i| IndexSpec {
                name: i.name.clone(),
                hash: i.schema.hash.name.clone(),
                range: i.schema.range.as_ref().map(|r| r.name.clone()),
            })
            .collect(),
    }
}

/// ExpressionAttributeNames/Values of a request (or of one transaction item).
pub(crate) fn substitutions(input: &JsonInput) -> Result<Substitutions, DdbError> {
    substitutions_in(input, Layer::Current)
}

/// As [`substitutions`], with the value-validation layer the operation uses on AWS (the older
/// one for BatchWriteItem, TransactWriteItems, TransactGetItems and Scan).
pub(crate) fn substitutions_in(input: &JsonInput, layer: Layer) -> Result<Substitutions, DdbError> {
    Ok(Substitutions::from_json_in(
        input.get("ExpressionAttributeNames"),
        input.get("ExpressionAttributeValues"),
        layer,
    )?)
}

/// An optional expression member: non-empty when given, as DynamoDB requires.
pub(crate) fn expression<'a>(
    input: &'a JsonInput,
    member: &str,
) -> Result<Option<&'a str>, DdbError> {
    match input.str(member)? {
        Some("") => Err(validation(format!(
            "Invalid {member}: The expression can not be empty;"
        ))),
        other => Ok(other),
    }
}

/// Members of the legacy (pre-expression) API, which this endpoint does not take.
pub(crate) fn refuse_legacy(input: &JsonInput, members: &[&str]) -> Result<(), DdbError> {
    match members.iter().find(|m| input.has(m)) {
        Some(m) => Err(validation(format!(
            "The legacy parameter {m} is not supported by this endpoint; use the expression parameters instead"
        ))),
        None => Ok(()),
    }
}

/// An optional map member decoded as an item (Key, Item, ExclusiveStartKey).
pub(crate) fn item_member(input: &JsonInput, member: &str) -> Result<Option<Item>, DdbError> {
    item_member_in(input, member, Layer::Current)
}

/// As [`item_member`], in the given value-validation layer.
pub(crate) fn item_member_in(
    input: &JsonInput,
    member: &str,
    layer: Layer,
) -> Result<Option<Item>, DdbError> {
    match input.get(member) {
        None => Ok(None),
        Some(v) => Ok(Some(rolegate_dynamo::item_from_json_in(v, layer)?)),
    }
}

/// ReturnValuesOnConditionCheckFailure: whether the old item comes back with the failure.
pub(crate) fn old_on_failure(input: &JsonInput) -> Result<bool, DdbError> {
    let v = input
        .str("ReturnValuesOnConditionCheckFailure")?
        .unwrap_or("NONE");
    check_enum(
        "returnValuesOnConditionCheckFailure",
        v,
        &["ALL_OLD", "NONE"],
    )?;
    Ok(v == "ALL_OLD")
}

/// ReturnConsumedCapacity: whether (and how) the output reports the capacity consumed.
pub(crate) fn capacity_mode(input: &JsonInput) -> Result<Option<bool>, DdbError> {
    let v = input.str("ReturnConsumedCapacity")?.unwrap_or("NONE");
    check_enum("returnConsumedCapacity", v, &["INDEXES", "TOTAL", "NONE"])?;
    Ok(match v {
        "INDEXES" => Some(true),
        "TOTAL" => Some(false),
        _ => None,
    })
}

/// Read capacity units for `bytes` read: 4 KB units, half for eventually consistent reads.
pub(crate) fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write capacity units for an item of `bytes`: 1 KB units.
pub(crate) fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// One ConsumedCapacity entry, as DynamoDB reports it.
pub(crate) fn consumed_json(table: &str, units: f64, indexes: bool) -> Json {
    let mut c = serde_json::json!({"TableName": table, "CapacityUnits": units});
    if let (true, Json::Object(m)) = (indexes, &mut c) {
        m.insert("Table".into(), serde_json::json!({"CapacityUnits": units}));
    }
    c
}

/// Adds `ConsumedCapacity` to a single-table output when the request asked for it.
pub(crate) fn with_consumed(mut out: Json, mode: Option<bool>, table: &str, units: f64) -> Json {
    if let (Some(indexes), Json::Object(m)) = (mode, &mut out) {
        m.insert(
            "ConsumedCapacity".into(),
            consumed_json(table, units, indexes),
        );
    }
    out
}
