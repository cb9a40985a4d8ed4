//! Query and Scan, on tables and secondary indexes: key conditions, filters, projections,
//! Select, Limit and the 1 MB page, ExclusiveStartKey/LastEvaluatedKey, ScanIndexForward and
//! parallel scan segments.

use super::common::{
    authorize, capacity_mode, check_enum, expression, item_member_in, read_units, refuse_legacy,
    substitutions, substitutions_in, table_ref, table_target, validation, with_consumed, CondKeys,
    DdbError,
};
use super::keys::{encode, key_of};
use super::Handler;
use crate::ctx::Ctx;
use crate::protocol::json::JsonInput;
use rolegate_core::dynamodb::{IndexProjection, KeySchema, SecondaryIndex, Table};
use rolegate_core::dynamodb_items::Visit;
use rolegate_dynamo::{
    item_size, item_to_json, key_bytes, Condition, Item, KeyCondition, Layer, Projection,
};
use serde_json::{json, Value};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("Query", Handler::Value(query)),
    ("Scan", Handler::Value(scan)),
];

/// A page stops after 1 MB of items read, as DynamoDB's do.
const PAGE_BYTES: usize = 1024 * 1024;

const SELECTS: &[&str] = &[
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
];

/// What a read covers: the table, or one of its indexes.
struct Source<'t> {
    table: &'t Table,
    index: Option<(&'t SecondaryIndex, bool)>,
}

impl Source<'_> {
    fn schema(&self) -> &KeySchema {
        match self.index {
            Some((i, _)) => &i.schema,
            None => &self.table.schema,
        }
    }

    /// The attributes of an item the index holds (all of them for the table).
    fn visible(&self, item: &Item) -> Item {
        let Some((i, _)) = self.index else {
            return item.clone();
        };
        let keep = |name: &str| {
            self.table.schema.names().contains(&name)
                || i.schema.names().contains(&name)
                || match &i.projection {
                    IndexProjection::All => true,
                    IndexProjection::KeysOnly => false,
                    IndexProjection::Include(n) => n.iter().any(|x| x == name),
                }
        };
        item.iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// LastEvaluatedKey: the table's key, plus the index's key when reading an index.
    fn last_key(&self, item: &Item) -> Item {
        let mut k = key_of(&self.table.schema, item);
        if let Some((i, _)) = self.index {
            k.extend(key_of(&i.schema, item));
        }
        k
    }

    /// The position of an ExclusiveStartKey: (partition bytes, sort position).
    fn position(&self, start: &Item) -> Result<(Vec<u8>, Vec<u8>), DdbError> {
        let bad = || {
            validation("The provided starting key is invalid: The provided key element does not match the schema")
        };
        let mut names: Vec<&str> = self.table.schema.names();
        names.extend(self.schema().names());
        names.sort_unstable();
        names.dedup();
        if start.len() != names.len() || names.iter().any(|n| !start.contains_key(*n)) {
            return Err(bad());
        }
        let (th, tr) = encode(&self.table.schema, start);
        Ok(match self.index {
            None => (th, tr),
            Some((i, _)) => {
                let (ih, mut pos) = encode(&i.schema, start);
                pos.extend_from_slice(&th);
                pos.extend_from_slice(&tr);
                (ih, pos)
            }
        })
    }
}

/// The members Query and Scan share, decoded and checked against the source.
struct Read {
    consistent: bool,
    capacity: Option<bool>,
    select: String,
    limit: Option<usize>,
    filter: Option<Condition>,
    projection: Option<Projection>,
    start: Option<Item>,
}

fn read_members(
    input: &JsonInput,
    subs: &mut rolegate_dynamo::Substitutions,
    keys: &mut CondKeys,
    layer: Layer,
) -> Result<Read, DdbError> {
    let limit = match input.int("Limit")? {
        Some(n) if n < 1 => {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )))
        }
        Some(n) => Some(n as usize),
        None => None,
    };
    let projection = match expression(input, "ProjectionExpression")? {
        Some(p) => Some(Projection::parse(p, subs)?),
        None => None,
    };
    let filter = match expression(input, "FilterExpression")? {
        Some(f) => Some(Condition::parse_as(f, subs, "FilterExpression")?),
        None => None,
    };
    let select = match input.str("Select")? {
        Some(s) => {
            check_enum("select", s, SELECTS)?;
            s.to_owned()
        }
        None if projection.is_some() => "SPECIFIC_ATTRIBUTES".to_owned(),
        None if input.has("IndexName") => "ALL_PROJECTED_ATTRIBUTES".to_owned(),
        None => "ALL_ATTRIBUTES".to_owned(),
    };
    if projection.is_some() && select != "SPECIFIC_ATTRIBUTES" {
        return Err(validation(format!(
            "One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get {select}"
        )));
    }
    if projection.is_none() && select == "SPECIFIC_ATTRIBUTES" {
        return Err(validation(
            "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires ProjectionExpression",
        ));
    }
    if let Some(p) = &projection {
        keys.attributes(p.attribute_names());
    }
    if let Some(f) = &filter {
        keys.attributes(f.attribute_names());
    }
    keys.select = Some(select.clone());
    Ok(Read {
        consistent: input.bool("ConsistentRead")?.unwrap_or(false),
        capacity: capacity_mode(input)?,
        select,
        limit,
        filter,
        projection,
        start: item_member_in(input, "ExclusiveStartKey", layer)?,
    })
}

/// The table or index read, with Select and ConsistentRead checked against it.
fn source<'t>(
    table: &'t Table,
    index: Option<&str>,
    read: &Read,
    consistent: bool,
) -> Result<Source<'t>, DdbError> {
    let index = match index {
        Some(n) => Some(table.index(n).ok_or_else(|| {
            validation(format!("The table does not have the specified index: {n}"))
        })?),
        None => None,
    };
    match index {
        None if read.select == "ALL_PROJECTED_ATTRIBUTES" => Err(validation(
            "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported for the base table",
        )),
        Some((i, true)) if consistent => {
            let _ = i;
            Err(validation(
                "Consistent reads are not supported on global secondary indexes",
            ))
        }
        Some((i, true))
            if read.select == "ALL_ATTRIBUTES" && i.projection != IndexProjection::All =>
        {
            Err(validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                i.name
            )))
        }
        _ => Ok(Source { table, index }),
    }
}

/// FNV-1a: the stable hash that assigns partitions to parallel scan segments.
fn segment_of(partition: &[u8], total: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in partition {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % total
}

/// Reads items in order, filtering and projecting, until Limit or the page size.
fn run(
    ctx: &Ctx<'_>,
    src: &Source<'_>,
    read: &Read,
    which: Visit<'_>,
    keep: impl Fn(&[u8], &Item) -> bool,
) -> Result<Value, DdbError> {
    let mut items = Vec::new();
    let (mut count, mut scanned, mut bytes) = (0usize, 0usize, 0usize);
    let mut last: Option<Item> = None;
    let mut failure: Option<DdbError> = None;
    let tref = table_ref(src.table);
    let index = src.index.map(|(i, _)| i.name.as_str());
    ctx.state.dynamodb.visit(&tref, index, which, |h, _, item| {
        if !keep(h, item) {
            return true;
        }
        scanned += 1;
        bytes += item_size(item);
        let visible = src.visible(item);
        let passes = match &read.filter {
            Some(f) => match f.eval(&visible) {
                Ok(b) => b,
                Err(e) => {
                    failure = Some(e.into());
                    return false;
                }
            },
            None => true,
        };
        if passes {
            count += 1;
            if read.select != "COUNT" {
                let out = match (&read.projection, read.select.as_str()) {
                    (Some(p), _) => p.apply(&visible),
                    (None, "ALL_ATTRIBUTES") => (**item).clone(),
                    _ => visible,
                };
                items.push(item_to_json(&out));
            }
        }
        if read.limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES {
            last = Some(src.last_key(item));
            return false;
        }
        true
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let units = read_units(bytes, read.consistent);
    let mut out = json!({"Count": count, "ScannedCount": scanned});
    if let Value::Object(m) = &mut out {
        if read.select != "COUNT" {
            m.insert("Items".into(), Value::Array(items));
        }
        if let Some(k) = last {
            m.insert("LastEvaluatedKey".into(), item_to_json(&k));
        }
    }
    Ok(with_consumed(out, read.capacity, &src.table.name, units))
}

fn query(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    refuse_legacy(
        input,
        &[
            "KeyConditions",
            "QueryFilter",
            "AttributesToGet",
            "ConditionalOperator",
        ],
    )?;
    let index = input.str("IndexName")?;
    let Some(kce) = expression(input, "KeyConditionExpression")? else {
        return Err(validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    let forward = input.bool("ScanIndexForward")?.unwrap_or(true);
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    let mut subs = substitutions(input)?;
    let mut keys = CondKeys::default();
    let read = read_members(input, &mut subs, &mut keys, Layer::Current)?;
    // The key condition needs the schema; a missing table is reported after authorization.
    let parsed = match &target.table {
        Some(t) => {
            let src = source(t, index, &read, consistent)?;
            let s = src.schema();
            let kc = KeyCondition::parse(
                kce,
                &mut subs,
                (&s.hash.name, s.hash.ty),
                s.range.as_ref().map(|r| (r.name.as_str(), r.ty)),
            )?;
            subs.check_all_used()?;
            keys.leading_key(&kc.partition);
            keys.attributes(t.schema.names());
            keys.attributes(s.names());
            Some(kc)
        }
        None => None,
    };
    authorize(ctx, "Query", &target, index, keys)?;
    let (table, kc) = match (&target.table, parsed) {
        (Some(t), Some(kc)) => (t, kc),
        _ => return Err(super::common::not_found()),
    };
    let src = source(table, index, &read, consistent)?;
    let hash = key_bytes(&kc.partition);
    let start = match &read.start {
        Some(s) => {
            let (h, pos) = src.position(s)?;
            if h != hash {
                return Err(validation(
                    "The provided starting key is invalid: The provided key element does not match the schema",
                ));
            }
            Some(pos)
        }
        None => None,
    };
    let range_name = src.schema().range.as_ref().map(|r| r.name.clone());
    let which = Visit::Partition {
        hash: &hash,
        after: start.as_deref(),
        forward,
    };
    run(ctx, &src, &read, which, |_, item| {
        match (&kc.sort, &range_name) {
            (Some(sc), Some(r)) => item.get(r).is_some_and(|v| sc.matches(v)),
            _ => true,
        }
    })
}

fn scan(ctx: &mut Ctx<'_>, input: &JsonInput) -> Result<Value, DdbError> {
    let target = table_target(ctx, input)?;
    refuse_legacy(
        input,
        &["ScanFilter", "AttributesToGet", "ConditionalOperator"],
    )?;
    let index = input.str("IndexName")?;
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    let segment = input.int("Segment")?;
    let total = input.int("TotalSegments")?;
    let (segment, total) = match (segment, total) {
        (None, None) => (0, 1),
        (Some(_), None) => {
            return Err(validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ))
        }
        (None, Some(_)) => {
            return Err(validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ))
        }
        (Some(s), Some(t)) => {
            if !(1..=1_000_000).contains(&t) {
                return Err(validation(format!(
                    "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000"
                )));
            }
            if s < 0 || s >= t {
                return Err(validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            (s as u64, t as u64)
        }
    };
    let mut subs = substitutions_in(input, Layer::Older)?;
    let mut keys = CondKeys::default();
    let read = read_members(input, &mut subs, &mut keys, Layer::Older)?;
    subs.check_all_used()?;
    authorize(ctx, "Scan", &target, index, keys)?;
    let table = target.existing()?;
    let src = source(table, index, &read, consistent)?;
    let start = match &read.start {
        Some(s) => Some(src.position(s)?),
        None => None,
    };
    let which = Visit::All {
        after: start.as_ref().map(|(h, p)| (h.as_slice(), p.as_slice())),
    };
    run(ctx, &src, &read, which, |h, _| {
        total == 1 || segment_of(h, total) == segment
    })
}
