//! The JSON wire form of attribute values: decoding, validation with AWS's messages and
//! error codes, round trips, item sizes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use rolegate_dynamo::{
    item_from_json, item_size, item_to_json, value_from_json, value_from_json_in, value_to_json,
    ItemJson, Layer, Value,
};
use serde_json::json;

const INVALID: &str = "One or more parameter values were invalid: ";

#[test]
fn round_trips_every_type() {
    let cases = [
        ("string", json!({"S": "x"})),
        (
            "empty string allowed for non-key attributes",
            json!({"S": ""}),
        ),
        ("number", json!({"N": "1.5"})),
        ("binary", json!({"B": "AAEC"})),
        ("bool", json!({"BOOL": false})),
        ("null", json!({"NULL": true})),
        ("list", json!({"L": [{"S": "a"}, {"N": "1"}, {"L": []}]})),
        ("map", json!({"M": {"a": {"M": {"b": {"NULL": true}}}}})),
        ("empty map", json!({"M": {}})),
        ("string set keeps order", json!({"SS": ["b", "a"]})),
        ("number set", json!({"NS": ["1", "2.5"]})),
        ("binary set", json!({"BS": ["AA==", "AQ=="]})),
    ];
    for (rule, j) in cases {
        let v = value_from_json(&j).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(value_to_json(&v), j, "{rule}");
    }
}

#[test]
fn numbers_come_back_canonical() {
    let cases = [
        ("trailing zeros", json!({"N": "1.50"}), json!({"N": "1.5"})),
        ("exponent", json!({"N": "1E+2"}), json!({"N": "100"})),
        (
            "set members",
            json!({"NS": ["01", "2.0"]}),
            json!({"NS": ["1", "2"]}),
        ),
    ];
    for (rule, input, want) in cases {
        assert_eq!(
            value_to_json(&value_from_json(&input).unwrap()),
            want,
            "{rule}"
        );
    }
}

#[test]
fn validation_errors() {
    let cases = [
        ("empty value", json!({}), "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".to_owned()),
        ("only unknown member", json!({"X": "y"}), "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".to_owned()),
        ("null members do not count", json!({"S": null}), "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".to_owned()),
        ("two types", json!({"S": "a", "N": "1"}), "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes".to_owned()),
        ("NULL false", json!({"NULL": false}), format!("{INVALID}Null attribute value types must have the value of true")),
        ("empty string set", json!({"SS": []}), format!("{INVALID}An string set  may not be empty")),
        ("empty number set", json!({"NS": []}), format!("{INVALID}An number set  may not be empty")),
        ("empty binary set", json!({"BS": []}), format!("{INVALID}Binary sets should not be empty")),
        ("duplicate strings", json!({"SS": ["a", "a"]}), format!("{INVALID}Input collection [\"a\", \"a\"] contains duplicates.")),
        ("duplicate strings sorted up to the repeat, then the rest as sent", json!({"SS": ["b", "a", "b", "0"]}), format!("{INVALID}Input collection [\"a\", \"b\", \"b\", \"0\"] contains duplicates.")),
        ("duplicate binaries by bytes, no spaces", json!({"BS": ["/w==", "AA==", "AA=="]}), format!("{INVALID}Input collection [\"AA==\",\"/w==\",\"AA==\"]of type BS contains duplicates.")),
        ("duplicate numbers, numerically", json!({"NS": ["1", "1.0"]}), format!("{INVALID}Input collection contains duplicates.")),
        ("bad number, empty", json!({"N": ""}), "The parameter cannot be converted to a numeric value: ".to_owned()),
        ("exponent past a 32-bit integer", json!({"N": "1e2147483647"}), "Number overflow. Attempting to store a number with magnitude larger than supported range".to_owned()),
        ("number checked before the shape", json!({"S": "a", "N": "b"}), "The parameter cannot be converted to a numeric value: b".to_owned()),
        ("empty number checked before the shape", json!({"S": "", "N": ""}), "The parameter cannot be converted to a numeric value: ".to_owned()),
        ("number set checked before the shape", json!({"S": "a", "NS": ["1", "1"]}), format!("{INVALID}Input collection contains duplicates.")),
        ("negative number too precise", json!({"N": "-1.23456789012345678901234567890123456789"}), "Attempting to store more than 38 significant digits in a Number".to_owned()),
        ("negative number too small", json!({"N": "-1e-131"}), "Number underflow. Attempting to store a number with magnitude smaller than supported range".to_owned()),
        ("bad number", json!({"N": "b"}), "The parameter cannot be converted to a numeric value: b".to_owned()),
        ("bad number in set", json!({"NS": ["1", "x"]}), "The parameter cannot be converted to a numeric value: x".to_owned()),
        ("number too precise", json!({"N": "1234567890123456789012345678901234567890.5"}), "Attempting to store more than 38 significant digits in a Number".to_owned()),
        ("number too large", json!({"N": "1e200"}), "Number overflow. Attempting to store a number with magnitude larger than supported range".to_owned()),
        ("bad element deep in a list", json!({"L": [{"M": {"a": {}}}]}), "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".to_owned()),
    ];
    for (rule, j, want) in cases {
        let e = value_from_json(&j).unwrap_err();
        assert_eq!(e.message, want, "{rule}");
        assert_eq!(e.code, "ValidationException", "{rule}");
    }
}

#[test]
fn older_layer_wording() {
    let cases = [
        (
            "duplicate strings as sent",
            json!({"SS": ["b", "a", "b"]}),
            format!("{INVALID}Input collection [b, a, b] contains duplicates."),
        ),
        (
            "duplicate binaries as sent",
            json!({"BS": ["/w==", "AA==", "AA=="]}),
            format!("{INVALID}Input collection [/w==, AA==, AA==]of type BS contains duplicates."),
        ),
        (
            "duplicate numbers, no prefix",
            json!({"NS": ["2", "1", "2"]}),
            "Input collection contains duplicates".to_owned(),
        ),
        (
            "empty number, no colon",
            json!({"N": ""}),
            "The parameter cannot be converted to a numeric value".to_owned(),
        ),
        (
            "bad number",
            json!({"N": "abc"}),
            "The parameter cannot be converted to a numeric value: abc".to_owned(),
        ),
    ];
    for (rule, j, want) in cases {
        assert_eq!(
            value_from_json_in(&j, Layer::Older).unwrap_err().message,
            want,
            "{rule}"
        );
    }
}

#[test]
fn wrong_json_types_are_serialization_errors() {
    let cases = [
        (
            "number for S",
            json!({"S": 1}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            "bool for N",
            json!({"N": true}),
            "TRUE_VALUE cannot be converted to String",
        ),
        (
            "string for BOOL",
            json!({"BOOL": "true"}),
            "VALUE_STRING cannot be converted to Boolean",
        ),
        (
            "object for L",
            json!({"L": {}}),
            "Start of structure or map found where not expected.",
        ),
        (
            "number in SS",
            json!({"SS": [1]}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            "not an object",
            json!("x"),
            "VALUE_STRING cannot be converted to AttributeValue",
        ),
    ];
    for (rule, j, want) in cases {
        let e = value_from_json(&j).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("SerializationException", want),
            "{rule}"
        );
    }
    let e = value_from_json(&json!({"B": "not base64!"})).unwrap_err();
    assert_eq!(e.code, "SerializationException", "invalid base64");
}

#[test]
fn nesting_limit() {
    // Counting the attribute as level 1, a value may sit at level 32 but not 33.
    let wrap = |levels: usize| {
        let mut v = json!({"S": "leaf"});
        for i in 0..levels {
            v = if i % 2 == 0 {
                json!({"M": {"n": v}})
            } else {
                json!({"L": [v]})
            };
        }
        v
    };
    assert!(
        value_from_json(&wrap(31)).is_ok(),
        "31 lists and maps around a value"
    );
    assert_eq!(
        value_from_json(&wrap(32)).unwrap_err().message,
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
        "32 are too many"
    );
    assert_eq!(
        rolegate_dynamo::nesting_depth(&value_from_json(&wrap(31)).unwrap()),
        31
    );
}

#[test]
fn number_sizes_as_measured_against_aws() {
    // Each figure is the byte cost DynamoDB charged for the literal in an item.
    let cases = [
        ("zero", "0", 1),
        ("one digit", "1", 2),
        ("two digits cost what one does", "12", 2),
        ("three digits", "123", 3),
        ("odd counts round up", "1234", 3),
        ("38 digits", "12345678901234567890123456789012345678", 20),
        ("leading zeros trimmed", "0042", 2),
        ("trailing zeros trimmed", "100", 2),
        ("interior zero counts", "1010", 3),
        ("fraction leading zeros trimmed", "0.0000001", 2),
        ("exponent not counted", "1E125", 2),
        ("negative exponent not counted", "1E-100", 2),
        ("digits either side of the point cost a byte more", "1.5", 3),
        ("same digits without the point", "15", 2),
        ("fraction trailing zeros trimmed", "1.200", 3),
        ("one and three", "1.234", 4),
        ("one and five", "3.14159", 5),
        ("six integer digits", "123456", 4),
        ("integer zeros count before a fraction", "100.5", 4),
        ("pure fraction", "0.15", 2),
        ("sign costs a byte", "-42", 3),
        ("negative zero is zero", "-0", 1),
    ];
    for (rule, literal, want) in cases {
        let v = value_from_json(&json!({"N": literal})).unwrap();
        assert_eq!(rolegate_dynamo::value_size(&v), want, "{rule}: {literal}");
    }
}

#[test]
fn set_equality_ignores_order() {
    let a = value_from_json(&json!({"SS": ["a", "b"]})).unwrap();
    let b = value_from_json(&json!({"SS": ["b", "a"]})).unwrap();
    let c = value_from_json(&json!({"SS": ["a"]})).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let n1 = value_from_json(&json!({"N": "1"})).unwrap();
    let n2 = value_from_json(&json!({"N": "1.00"})).unwrap();
    assert_eq!(n1, n2, "numbers compare numerically");
    assert_ne!(n1, Value::S("1".into()), "types differ");
}

#[test]
fn item_sizes() {
    // (rule, item, size): names count by UTF-8 length; values per DynamoDB's rules.
    let cases = [
        ("string", json!({"ab": {"S": "xyz"}}), 5),
        ("utf-8 bytes", json!({"é": {"S": "€"}}), 2 + 3),
        (
            "number: 1 byte per 2 digits + 1",
            json!({"n": {"N": "12345"}}),
            1 + 3 + 1,
        ),
        ("zero", json!({"n": {"N": "0"}}), 1 + 1),
        ("binary", json!({"b": {"B": "AAEC"}}), 1 + 3),
        (
            "bool and null",
            json!({"t": {"BOOL": true}, "u": {"NULL": true}}),
            2 + 2,
        ),
        (
            "list: 3 + 1 per element",
            json!({"l": {"L": [{"S": "ab"}, {"BOOL": true}]}}),
            1 + 3 + (2 + 1) + (1 + 1),
        ),
        (
            "map: 3 + name + value + 1",
            json!({"m": {"M": {"k": {"S": "v"}}}}),
            1 + 3 + (1 + 1 + 1),
        ),
        ("string set", json!({"s": {"SS": ["a", "bc"]}}), 1 + 3),
        ("number set", json!({"s": {"NS": ["1", "123"]}}), 1 + 2 + 3),
        (
            "negative number set member",
            json!({"s": {"NS": ["-1"]}}),
            1 + 3,
        ),
    ];
    for (rule, j, want) in cases {
        assert_eq!(item_size(&common::item(j)), want, "{rule}");
    }
}

#[test]
fn items_written_directly_match_their_json_values() {
    let item = item_from_json(&json!({
        "s": {"S": "a \"quoted\" \\ line\nbreak é"},
        "n": {"N": "-1.50e3"},
        "b": {"B": "AAEC/w=="},
        "t": {"BOOL": true},
        "z": {"NULL": true},
        "l": {"L": [{"S": "a"}, {"N": "1"}, {"L": []}, {"M": {"k": {"BS": ["AQ=="]}}}]},
        "m": {"M": {"a": {"M": {"b": {"NULL": true}}}, "empty": {"M": {}}}},
        "ss": {"SS": ["b", "a"]},
        "ns": {"NS": ["1", "2.5", "-0.001"]},
        "bs": {"BS": ["AQ==", "Ag=="]},
    }))
    .unwrap();
    let direct = serde_json::to_string(&ItemJson(&item)).unwrap();
    let through_value = serde_json::to_string(&item_to_json(&item)).unwrap();
    assert_eq!(direct, through_value);
    assert_eq!(
        serde_json::to_string(&ItemJson(&Default::default())).unwrap(),
        "{}"
    );
}
