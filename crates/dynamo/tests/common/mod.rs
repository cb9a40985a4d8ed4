//! Helpers shared by the table-driven tests: items and substitutions from compact JSON.
#![allow(dead_code)]

use std::collections::BTreeMap;

use rolegate_dynamo::{item_from_json, item_to_json, Item, Substitutions};
use serde_json::Value as Json;

/// An item from its wire JSON (`{"a": {"N": "1"}}`).
pub fn item(j: Json) -> Item {
    item_from_json(&j).unwrap()
}

pub fn json(i: &Item) -> Json {
    item_to_json(i)
}

/// Substitutions from `{"#n": "name"}` and `{":v": {"S": "x"}}` (either may be JSON null).
pub fn subs(names: Json, values: Json) -> Substitutions {
    Substitutions::from_json(Some(&names), Some(&values)).unwrap()
}

pub fn names(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}
