//! ExpressionAttributeNames / ExpressionAttributeValues: validation, undefined and unused
//! entries, sharing across the expressions of one request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::subs;
use rolegate_dynamo::{Condition, Layer, Projection, Substitutions, Update};
use serde_json::{json, Value as Json};

fn from_json(names: Json, values: Json) -> Result<Substitutions, String> {
    Substitutions::from_json_in(Some(&names), Some(&values), Layer::Older).map_err(|e| e.message)
}

fn from_json_current(values: Json) -> Result<Substitutions, String> {
    Substitutions::from_json(None, Some(&values)).map_err(|e| e.message)
}

#[test]
fn current_layer_reports_bad_values_bare() {
    let cases = [
        ("empty set", json!({":v": {"SS": []}}), "One or more parameter values were invalid: An string set  may not be empty"),
        ("bad number", json!({":v": {"N": "x"}}), "The parameter cannot be converted to a numeric value: x"),
        ("duplicate numbers", json!({":v": {"NS": ["2", "1", "2"]}}), "One or more parameter values were invalid: Input collection contains duplicates."),
        ("duplicate strings", json!({":v": {"SS": ["b", "a", "b"]}}), "One or more parameter values were invalid: Input collection [\"a\", \"b\", \"b\"] contains duplicates."),
    ];
    for (rule, values, want) in cases {
        assert_eq!(
            from_json_current(values).map(|_| ()),
            Err(want.to_owned()),
            "{rule}"
        );
    }
}

/// The older layer (BatchWriteItem, transactions, Scan) wraps a bad value with its key.
#[test]
fn validation() {
    let cases = [
        ("empty names", json!({}), Json::Null, "ExpressionAttributeNames must not be empty"),
        ("empty values", Json::Null, json!({}), "ExpressionAttributeValues must not be empty"),
        ("name key without #", json!({"n": "x"}), Json::Null, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"n\""),
        ("name key only #", json!({"#": "x"}), Json::Null, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"#\""),
        ("empty attribute name", json!({"#n": ""}), Json::Null, "ExpressionAttributeNames contains invalid value: Empty attribute name for key #n"),
        ("value key without :", Json::Null, json!({"v": {"S": "x"}}), "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""),
        ("value key with dash", Json::Null, json!({":a-b": {"S": "x"}}), "ExpressionAttributeValues contains invalid key: Syntax error; key: \":a-b\""),
        ("empty set value", Json::Null, json!({":v": {"SS": []}}), "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v"),
        ("empty value", Json::Null, json!({":v": {}}), "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v"),
        ("two types", Json::Null, json!({":v": {"S": "a", "BOOL": true}}), "ExpressionAttributeValues contains invalid value: Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes for key :v"),
        ("bad number", Json::Null, json!({":v": {"N": "x"}}), "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: x for key :v"),
        ("duplicate numbers", Json::Null, json!({":v": {"NS": ["1", "1"]}}), "ExpressionAttributeValues contains invalid value: Input collection contains duplicates for key :v"),
    ];
    for (rule, names, values, want) in cases {
        assert_eq!(
            from_json(names, values).map(|_| ()),
            Err(want.to_owned()),
            "{rule}"
        );
    }
    let e = Substitutions::from_json(Some(&json!({"#n": 1})), None).unwrap_err();
    assert_eq!(e.code, "SerializationException", "non-string name");
}

#[test]
fn unused_entries_refused() {
    let cases = [
        (
            "unused value",
            "a = :a",
            Json::Null,
            json!({":a": {"S": "x"}, ":b": {"S": "y"}}),
            Err("Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"),
        ),
        (
            "unused names reported before unused values",
            "a = :a",
            json!({"#b": "b"}),
            json!({":a": {"S": "x"}, ":b": {"S": "y"}}),
            Err("Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"),
        ),
        (
            "unused values listed",
            "a = :a",
            Json::Null,
            json!({":a": {"S": "x"}, ":b": {"S": "y"}, ":c": {"S": "z"}}),
            Err(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :c}",
            ),
        ),
        (
            "unused name",
            "a = :a",
            json!({"#a": "a", "#b": "b"}),
            json!({":a": {"S": "x"}}),
            Err("Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"),
        ),
        (
            "all used",
            "#a = :a",
            json!({"#a": "a"}),
            json!({":a": {"S": "x"}}),
            Ok(()),
        ),
    ];
    for (rule, expr, names, values, want) in cases {
        let mut s = subs(names, values);
        Condition::parse(expr, &mut s).unwrap();
        assert_eq!(
            s.check_all_used().map_err(|e| e.message),
            want.map_err(str::to_owned),
            "{rule}"
        );
    }
}

#[test]
fn shared_by_all_expressions_of_a_request() {
    let mut s = subs(
        json!({"#p": "p", "#c": "c"}),
        json!({":v": {"N": "1"}, ":w": {"N": "2"}}),
    );
    Update::parse("SET #p = :v", &mut s).unwrap();
    assert!(s.check_all_used().is_err(), "#c and :w not used yet");
    Condition::parse("#c < :w", &mut s).unwrap();
    assert!(
        s.check_all_used().is_ok(),
        "used across update and condition"
    );
    Projection::parse("#p", &mut s).unwrap();
    assert!(s.check_all_used().is_ok(), "reuse is fine");
}

#[test]
fn no_substitutions_at_all() {
    let s = Substitutions::new(None, None).unwrap();
    assert!(s.check_all_used().is_ok());
}
