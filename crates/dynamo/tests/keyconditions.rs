//! KeyConditionExpression: partition equality plus at most one sort-key condition, matched
//! against the key schema, with AWS's refusals; SortCondition matching.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::subs;
use rolegate_dynamo::{value_from_json, KeyCondition, SortCondition, Value};
use serde_json::{json, Value as Json};

fn values() -> Json {
    json!({
        ":p": {"S": "user"}, ":n": {"N": "5"}, ":lo": {"N": "1"}, ":hi": {"N": "9"},
        ":pre": {"S": "ab"}, ":s": {"S": "x"}, ":b": {"B": "AQ=="}, ":ty": {"S": "S"}, ":t": {"BOOL": true}, ":f": {"BOOL": false}, ":e": {"S": ""}
    })
}

fn v(j: Json) -> Value {
    value_from_json(&j).unwrap()
}

fn parse(expr: &str, range: Option<(&str, char)>) -> Result<KeyCondition, String> {
    let mut s = subs(json!({"#pk": "pk", "#sk": "sk"}), values());
    let k = KeyCondition::parse(expr, &mut s, ("pk", 'S'), range).map_err(|e| e.message)?;
    Ok(k)
}

fn sort_of(expr: &str, ty: char) -> Option<String> {
    let k = parse(expr, Some(("sk", ty))).unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert_eq!(
        k.partition,
        Value::S("user".into()),
        "{expr}: partition value"
    );
    k.sort.map(|s| format!("{s:?}"))
}

#[test]
fn accepted_forms() {
    let cases = [
        ("partition only", "pk = :p", 'N', None),
        ("partition only, range table", "#pk = :p", 'N', None),
        (
            "equality",
            "pk = :p AND sk = :n",
            'N',
            Some("Eq(N(Number(5)))"),
        ),
        (
            "less than",
            "pk = :p AND sk < :n",
            'N',
            Some("Lt(N(Number(5)))"),
        ),
        (
            "less or equal",
            "pk = :p AND sk <= :n",
            'N',
            Some("Le(N(Number(5)))"),
        ),
        (
            "greater than",
            "pk = :p AND sk > :n",
            'N',
            Some("Gt(N(Number(5)))"),
        ),
        (
            "greater or equal",
            "pk = :p AND sk >= :n",
            'N',
            Some("Ge(N(Number(5)))"),
        ),
        (
            "value first flips",
            "pk = :p AND :n < sk",
            'N',
            Some("Gt(N(Number(5)))"),
        ),
        (
            "between",
            "pk = :p AND sk BETWEEN :lo AND :hi",
            'N',
            Some("Between(N(Number(1)), N(Number(9)))"),
        ),
        (
            "begins_with",
            "pk = :p AND begins_with(sk, :pre)",
            'S',
            Some("BeginsWith(S(\"ab\"))"),
        ),
        (
            "sort first",
            "sk = :n AND pk = :p",
            'N',
            Some("Eq(N(Number(5)))"),
        ),
        (
            "parentheses",
            "(pk = :p) AND (#sk > :n)",
            'N',
            Some("Gt(N(Number(5)))"),
        ),
        (
            "keywords any case",
            "pk = :p and sk between :lo and :hi",
            'N',
            Some("Between(N(Number(1)), N(Number(9)))"),
        ),
    ];
    for (rule, expr, ty, want) in cases {
        assert_eq!(sort_of(expr, ty).as_deref(), want, "{rule}: {expr}");
    }
}

#[test]
fn refusals() {
    const MISMATCH: &str = "One or more parameter values were invalid: Condition parameter type does not match schema type";
    let range = Some(("sk", 'N'));
    let cases = [
        ("or", "pk = :p OR sk = :n", range, "Invalid operator used in KeyConditionExpression: OR".to_owned()),
        ("not", "NOT pk = :p", range, "Invalid operator used in KeyConditionExpression: NOT".to_owned()),
        ("in", "pk IN (:p)", range, "Invalid operator used in KeyConditionExpression: IN".to_owned()),
        ("not equal", "pk <> :p", range, "Invalid operator used in KeyConditionExpression: <>".to_owned()),
        ("attribute_exists", "pk = :p AND attribute_exists(sk)", range, "Invalid operator used in KeyConditionExpression: attribute_exists".to_owned()),
        ("contains", "pk = :p AND contains(sk, :n)", range, "Invalid operator used in KeyConditionExpression: contains".to_owned()),
        ("no partition", "sk = :n", range, "Query condition missed key schema element: pk".to_owned()),
        ("partition not equality", "pk > :p", range, "Query key condition not supported".to_owned()),
        ("partition begins_with", "begins_with(pk, :p)", range, "Query key condition not supported".to_owned()),
        ("non-key attribute", "pk = :p AND extra = :n", range, "Query condition missed key schema element: sk".to_owned()),
        ("non-key attribute without partition", "extra = :n", range, "Query condition missed key schema element: pk".to_owned()),
        ("sort condition on a hash-only table", "pk = :p AND sk = :n", None, "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)".to_owned()),
        ("two conditions on the partition", "pk = :p AND pk = :p", range, "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key".to_owned()),
        ("two conditions on the sort key", "pk = :p AND sk > :lo AND sk < :hi", range, "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key".to_owned()),
        ("three conditions", "pk = :p AND sk > :lo AND extra < :hi", range, "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)".to_owned()),
        ("repeated key outranks count", "sk > :lo AND sk < :hi AND pk = :p", range, "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key".to_owned()),
        ("nested attribute", "pk.x = :p", range, "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes".to_owned()),
        ("nested index", "pk[0] = :p", range, "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes".to_owned()),
        ("size is a nested operation", "size(pk) = :n", range, "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations".to_owned()),
        ("size as the bound", "pk = :p AND sk BETWEEN size(a) AND :hi", range, "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations".to_owned()),
        ("ordering with a boolean", "pk = :p AND sk < :t", range, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL".to_owned()),
        ("ordering written value first", "pk = :p AND :t >= sk", range, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL".to_owned()),
        ("between booleans", "pk = :p AND sk BETWEEN :f AND :t", range, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL".to_owned()),
        ("empty partition value", "pk = :e", range, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk".to_owned()),
        ("equality with a boolean fails the schema", "pk = :p AND sk = :t", range, MISMATCH.to_owned()),
        ("two names in one condition", "pk = sk", range, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition".to_owned()),
        ("begins_with on two names", "pk = :p AND begins_with(sk, pk)", range, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition".to_owned()),
        ("no key attribute", ":p = :p", range, "Invalid condition in KeyConditionExpression: No key attribute specified".to_owned()),
        ("value first in between", "pk = :p AND :lo BETWEEN sk AND :hi", range, "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand".to_owned()),
        ("value first in begins_with", "pk = :p AND begins_with(:pre, sk)", range, "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand".to_owned()),
        ("operators checked before shapes", "size(pk) = :n OR pk = :p", range, "Invalid operator used in KeyConditionExpression: OR".to_owned()),
        ("attribute_type is not a key operator", "attribute_type(pk, :ty)", range, "Invalid operator used in KeyConditionExpression: attribute_type".to_owned()),
        ("attribute_type parse errors come first", "attribute_type(pk, :s)", range, "Invalid KeyConditionExpression: Invalid attribute type name found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}".to_owned()),
        ("partition wrong type", "pk = :n", range, MISMATCH.to_owned()),
        ("sort wrong type", "pk = :p AND sk = :s", range, MISMATCH.to_owned()),
        ("between wrong type", "pk = :p AND sk BETWEEN :pre AND :s", range, MISMATCH.to_owned()),
        ("begins_with on a number key", "pk = :p AND begins_with(sk, :s)", range, MISMATCH.to_owned()),
        ("begins_with a number", "pk = :p AND begins_with(sk, :n)", range, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N".to_owned()),
        ("between different types", "pk = :p AND sk BETWEEN :lo AND :s", range, "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}".to_owned()),
        ("between reversed", "pk = :p AND sk BETWEEN :hi AND :lo", range, "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}".to_owned()),
        ("syntax", "pk = :p AND", range, "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"".to_owned()),
        ("undefined value", "pk = :zz", range, "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz".to_owned()),
        ("reserved word", "pk = :p AND size = :n", range, "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: size".to_owned()),
    ];
    for (rule, expr, range, want) in cases {
        assert_eq!(parse(expr, range).map(|_| ()), Err(want), "{rule}: {expr}");
    }
}

#[test]
fn sort_condition_matching() {
    let n = |s: &str| v(json!({"N": s}));
    let s = |x: &str| Value::S(x.into());
    let cases = [
        ("eq numeric", SortCondition::Eq(n("5")), n("5.0"), true),
        ("lt", SortCondition::Lt(n("5")), n("4.9"), true),
        ("lt equal", SortCondition::Lt(n("5")), n("5"), false),
        ("le equal", SortCondition::Le(n("5")), n("5"), true),
        ("gt", SortCondition::Gt(n("5")), n("10"), true),
        ("ge", SortCondition::Ge(n("5")), n("4"), false),
        (
            "between inclusive",
            SortCondition::Between(n("1"), n("5")),
            n("5"),
            true,
        ),
        (
            "between outside",
            SortCondition::Between(n("1"), n("5")),
            n("6"),
            false,
        ),
        (
            "string order by bytes",
            SortCondition::Lt(s("a")),
            s("B"),
            true,
        ),
        (
            "begins_with",
            SortCondition::BeginsWith(s("ab")),
            s("abc"),
            true,
        ),
        (
            "begins_with no",
            SortCondition::BeginsWith(s("ab")),
            s("ba"),
            false,
        ),
        (
            "begins_with binary",
            SortCondition::BeginsWith(Value::B(vec![1])),
            Value::B(vec![1, 2]),
            true,
        ),
    ];
    for (rule, cond, value, want) in cases {
        assert_eq!(cond.matches(&value), want, "{rule}");
    }
}
