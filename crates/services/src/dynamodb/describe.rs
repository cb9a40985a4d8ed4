//! TableDescription as CreateTable, DescribeTable, UpdateTable and DeleteTable return it.

use super::common::table_ref;
use crate::ctx::Ctx;
use rolegate_core::dynamodb::{KeySchema, SecondaryIndex, Table, Throughput};
use serde_json::{json, Map, Value};

pub(crate) fn key_schema_json(s: &KeySchema) -> Value {
    let mut v = vec![json!({"AttributeName": s.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &s.range {
        v.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Value::Array(v)
}

fn throughput_json(t: Option<Throughput>) -> Value {
    let t = t.unwrap_or(Throughput { read: 0, write: 0 });
    json!({
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": t.read,
        "WriteCapacityUnits": t.write,
    })
}

fn projection_json(i: &SecondaryIndex) -> Value {
    let mut p = Map::new();
    p.insert(
        "ProjectionType".into(),
        Value::String(i.projection.type_name().into()),
    );
    if let rolegate_core::dynamodb::IndexProjection::Include(names) = &i.projection {
        p.insert("NonKeyAttributes".into(), json!(names));
    }
    Value::Object(p)
}

/// The description of a table; `status` is ACTIVE except in the answers to CreateTable
/// (CREATING) and DeleteTable (DELETING), as on AWS.
pub(crate) fn table_description(ctx: &Ctx<'_>, t: &Table, status: &str) -> Value {
    let (count, bytes) = ctx.state.dynamodb.stats(&table_ref(t));
    let on_demand = t.throughput.is_none();
    let mut d = json!({
        "TableName": t.name,
        "TableArn": t.arn,
        "TableId": t.id,
        "TableStatus": status,
        "CreationDateTime": t.created,
        "KeySchema": key_schema_json(&t.schema),
        "AttributeDefinitions": t.attributes.iter()
            .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.to_string()}))
            .collect::<Vec<_>>(),
        "ProvisionedThroughput": throughput_json(t.throughput),
        "TableSizeBytes": bytes,
        "ItemCount": count,
        "DeletionProtectionEnabled": t.deletion_protection,
    });
    let Value::Object(m) = &mut d else {
        return d;
    };
    if on_demand {
        m.insert(
            "BillingModeSummary".into(),
            json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": t.created}),
        );
    }
    let tref = table_ref(t);
    let index_json = |i: &SecondaryIndex, global: bool| {
        let (count, bytes) = ctx.state.dynamodb.index_stats(&tref, &i.name);
        let mut v = json!({
            "IndexName": i.name,
            "KeySchema": key_schema_json(&i.schema),
            "Projection": projection_json(i),
            "IndexSizeBytes": bytes,
            "ItemCount": count,
            "IndexArn": format!("{}/index/{}", t.arn, i.name),
        });
        if let (true, Value::Object(o)) = (global, &mut v) {
            o.insert("IndexStatus".into(), Value::String("ACTIVE".into()));
            o.insert(
                "ProvisionedThroughput".into(),
                throughput_json(i.throughput),
            );
        }
        v
    };
    if !t.global_indexes.is_empty() {
        m.insert(
            "GlobalSecondaryIndexes".into(),
            t.global_indexes
                .iter()
                .map(|i| index_json(i, true))
                .collect(),
        );
    }
    if !t.local_indexes.is_empty() {
        m.insert(
            "LocalSecondaryIndexes".into(),
            t.local_indexes
                .iter()
                .map(|i| index_json(i, false))
                .collect(),
        );
    }
    d
}
