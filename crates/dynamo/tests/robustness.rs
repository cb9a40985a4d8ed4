//! No input may panic: random expressions built from the grammar's own tokens (and some
//! stray characters) are parsed as every expression kind, and whatever parses is evaluated
//! or applied against an item with every value type.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use proptest::prelude::*;
use rolegate_dynamo::{value_from_json, Condition, KeyCondition, Number, Projection, Update};
use serde_json::json;

const TOKENS: &[&str] = &[
    "a",
    "b",
    "l",
    "m",
    "s",
    "n",
    "#a",
    "#m",
    "#x",
    ":s",
    ":n",
    ":l",
    ":m",
    ":ss",
    ":ns",
    ":x",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "(",
    ")",
    "[",
    "]",
    "0",
    "1",
    "7",
    ",",
    ".",
    "+",
    "-",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "SET",
    "REMOVE",
    "ADD",
    "DELETE",
    "size",
    "contains",
    "begins_with",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "if_not_exists",
    "list_append",
    "status",
    "!",
    "\"",
    "é",
    " ",
];

fn fixture() -> rolegate_dynamo::Item {
    common::item(json!({
        "a": {"S": "x"}, "b": {"N": "1"}, "s": {"SS": ["p"]}, "n": {"NS": ["2"]},
        "l": {"L": [{"S": "e"}, {"L": [{"N": "3"}]}, {"M": {"k": {"BOOL": true}}}]},
        "m": {"M": {"a": {"M": {"b": {"NULL": true}}}, "l": {"L": []}}}
    }))
}

fn expression() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 0..24).prop_map(|t| t.join(" "))
}

fn subs() -> rolegate_dynamo::Substitutions {
    common::subs(
        json!({"#a": "a", "#m": "m"}),
        json!({":s": {"S": "x"}, ":n": {"N": "1"}, ":l": {"L": [{"N": "9"}]}, ":m": {"M": {}},
               ":ss": {"SS": ["q"]}, ":ns": {"NS": ["2", "5"]}}),
    )
}

fn path() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        proptest::sample::select(&[".a", ".b", ".l", ".m", ".#a", ".k"][..])
            .prop_map(str::to_owned),
        (0usize..4).prop_map(|i| format!("[{i}]")),
    ];
    (
        proptest::sample::select(&["a", "b", "l", "m", "s", "n", "#m", "zz"][..]),
        proptest::collection::vec(step, 0..4),
    )
        .prop_map(|(head, steps)| format!("{head}{}", steps.concat()))
}

fn value() -> impl Strategy<Value = String> {
    proptest::sample::select(&[":s", ":n", ":l", ":m", ":ss", ":ns"][..]).prop_map(str::to_owned)
}

fn operand() -> impl Strategy<Value = String> {
    prop_oneof![path(), value(), path().prop_map(|p| format!("size({p})"))]
}

/// Conditions that follow the grammar, so evaluation is exercised.
fn condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (
            operand(),
            proptest::sample::select(&["=", "<>", "<", "<=", ">", ">="][..]),
            operand()
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (operand(), operand(), operand()).prop_map(|(a, b, c)| format!("{a} BETWEEN {b} AND {c}")),
        (operand(), operand(), operand()).prop_map(|(a, b, c)| format!("{a} IN ({b}, {c})")),
        path().prop_map(|p| format!("attribute_exists({p})")),
        path().prop_map(|p| format!("attribute_not_exists({p})")),
        (path(), proptest::sample::select(&[":s", ":t"][..]))
            .prop_map(|(p, t)| format!("attribute_type({p}, {t})")),
        (path(), operand()).prop_map(|(p, o)| format!("begins_with({p}, {o})")),
        (path(), operand()).prop_map(|(p, o)| format!("contains({p}, {o})")),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) OR ({b})")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

/// Update expressions that follow the grammar, so application is exercised.
fn update() -> impl Strategy<Value = String> {
    let rhs = prop_oneof![
        path(),
        value(),
        (path(), value()).prop_map(|(p, v)| format!("{p} + {v}")),
        (path(), value()).prop_map(|(p, v)| format!("{p} - {v}")),
        (path(), value()).prop_map(|(p, v)| format!("if_not_exists({p}, {v})")),
        (operand(), value()).prop_map(|(a, v)| format!("list_append({a}, {v})")),
    ];
    prop_oneof![
        (path(), rhs).prop_map(|(p, r)| format!("SET {p} = {r}")),
        (path(), path()).prop_map(|(a, b)| format!("REMOVE {a}, {b}")),
        (path(), value()).prop_map(|(p, v)| format!("ADD {p} {v}")),
        (path(), value()).prop_map(|(p, v)| format!("DELETE {p} {v}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn grammatical_expressions_evaluate_without_panic(c in condition(), u in update(), p in proptest::collection::vec(path(), 1..4)) {
        let item = fixture();
        let mut s = common::subs(
            json!({"#a": "a", "#m": "m"}),
            json!({":s": {"S": "x"}, ":t": {"S": "N"}, ":n": {"N": "1"}, ":l": {"L": [{"N": "9"}]}, ":m": {"M": {}},
                   ":ss": {"SS": ["q"]}, ":ns": {"NS": ["2", "5"]}}),
        );
        if let Ok(c) = Condition::parse(&c, &mut s) {
            c.eval(&item).unwrap();
        }
        if let Ok(u) = Update::parse(&u, &mut s) {
            if let Ok((new, _)) = u.apply(&item) {
                // Whatever an update yields is still a valid item.
                let back = rolegate_dynamo::item_from_json(&rolegate_dynamo::item_to_json(&new)).unwrap();
                prop_assert_eq!(back, new);
            }
        }
        if let Ok(p) = Projection::parse(&p.join(", "), &mut s) {
            let _ = p.apply(&item);
        }
    }

    #[test]
    fn expressions_never_panic(text in expression()) {
        let item = fixture();
        if let Ok(c) = Condition::parse(&text, &mut subs()) {
            let _ = c.eval(&item);
            let _ = c.attribute_names();
        }
        if let Ok(u) = Update::parse(&text, &mut subs()) {
            let _ = u.apply(&item);
            let _ = u.attribute_names();
        }
        if let Ok(p) = Projection::parse(&text, &mut subs()) {
            let _ = p.apply(&item);
        }
        let _ = KeyCondition::parse(&text, &mut subs(), ("a", 'S'), Some(("b", 'N')));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = Condition::parse(&text, &mut subs());
        let _ = Update::parse(&text, &mut subs());
        let _ = Projection::parse(&text, &mut subs());
        let _ = Number::parse(&text);
    }

    #[test]
    fn arbitrary_wire_values_never_panic(s in "\\PC{0,12}", k in proptest::sample::select(&["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M", "X"][..])) {
        let _ = value_from_json(&json!({ k: s }));
        let _ = value_from_json(&json!({ k: [s.clone(), s] }));
    }
}
