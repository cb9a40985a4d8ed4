//! UpdateExpression: SET (values, arithmetic, if_not_exists, list_append, nested paths, list
//! indexes), REMOVE (with list shifting), ADD, DELETE, and AWS's parse and apply errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{item, json as to_json, subs};
use rolegate_dynamo::{Item, Update};
use serde_json::{json, Value as Json};

fn fixture() -> Item {
    item(json!({
        "id": {"S": "k"},
        "n": {"N": "10"},
        "s": {"S": "str"},
        "lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
        "doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}, "arr": {"L": [{"N": "0"}]}}},
        "tags": {"SS": ["x", "y"]},
        "nums": {"NS": ["1", "2"]},
        "bins": {"BS": ["AQ=="]}
    }))
}

fn values() -> Json {
    json!({
        ":one": {"N": "1"}, ":half": {"N": "0.5"}, ":s": {"S": "v"}, ":t": {"BOOL": true},
        ":l": {"L": [{"S": "z"}]}, ":m": {"M": {"k": {"S": "v"}}},
        ":xs": {"SS": ["x"]}, ":zs": {"SS": ["z"]}, ":xys": {"SS": ["y", "x"]},
        ":ns": {"NS": ["2", "3"]}, ":bs": {"BS": ["Ag=="]}, ":b1": {"BS": ["AQ=="]},
        ":huge": {"N": "9.9999999999999999999999999999999999999E+125"},
        ":null": {"NULL": true}
    })
}

/// Applies `expr` to the fixture; returns the changed attributes (as wire JSON of just those
/// attributes, or null for removed ones) and the changed names.
fn apply(expr: &str, names: Json) -> Result<(Json, Vec<String>), String> {
    let mut s = subs(names, values());
    let u = Update::parse(expr, &mut s).map_err(|e| e.message)?;
    let before = fixture();
    let (after, changed) = u.apply(&before).map_err(|e| e.message)?;
    let all = to_json(&after);
    let mut out = serde_json::Map::new();
    for k in before.keys().chain(after.keys()) {
        if before.get(k) != after.get(k) {
            out.insert(k.clone(), all.get(k).cloned().unwrap_or(Json::Null));
        }
    }
    Ok((Json::Object(out), changed))
}

fn changes(expr: &str) -> Json {
    apply(expr, Json::Null)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .0
}

#[test]
fn set_actions() {
    let cases = [
        ("set new attribute", "SET a = :s", json!({"a": {"S": "v"}})),
        ("set replaces", "SET s = :one", json!({"s": {"N": "1"}})),
        (
            "set keyword any case",
            "set a = :s",
            json!({"a": {"S": "v"}}),
        ),
        (
            "copy another attribute",
            "SET a = s",
            json!({"a": {"S": "str"}}),
        ),
        ("increment", "SET n = n + :one", json!({"n": {"N": "11"}})),
        (
            "decrement exact decimal",
            "SET n = n - :half",
            json!({"n": {"N": "9.5"}}),
        ),
        (
            "value minus path",
            "SET n = :one - n",
            json!({"n": {"N": "-9"}}),
        ),
        (
            "if_not_exists present keeps",
            "SET n = if_not_exists(n, :one)",
            json!({}),
        ),
        (
            "if_not_exists absent sets",
            "SET c = if_not_exists(c, :one)",
            json!({"c": {"N": "1"}}),
        ),
        (
            "if_not_exists then add",
            "SET c = if_not_exists(c, :one) + :one",
            json!({"c": {"N": "2"}}),
        ),
        (
            "list_append after",
            "SET lst = list_append(lst, :l)",
            json!({"lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "z"}]}}),
        ),
        (
            "list_append before",
            "SET lst = list_append(:l, lst)",
            json!({"lst": {"L": [{"S": "z"}, {"S": "a"}, {"S": "b"}, {"S": "c"}]}}),
        ),
        (
            "list_append with if_not_exists",
            "SET q = list_append(if_not_exists(q, :l), :l)",
            json!({"q": {"L": [{"S": "z"}, {"S": "z"}]}}),
        ),
        (
            "nested map key",
            "SET doc.child.deep = :s",
            json!({"doc": {"M": {"child": {"M": {"deep": {"S": "v"}}}, "arr": {"L": [{"N": "0"}]}}}}),
        ),
        (
            "new nested map key",
            "SET doc.fresh = :one",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}, "arr": {"L": [{"N": "0"}]}, "fresh": {"N": "1"}}}}),
        ),
        (
            "list index replaces",
            "SET lst[1] = :s",
            json!({"lst": {"L": [{"S": "a"}, {"S": "v"}, {"S": "c"}]}}),
        ),
        (
            "list index past the end appends",
            "SET lst[10] = :s",
            json!({"lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "v"}]}}),
        ),
        (
            "appends in index order",
            "SET lst[84] = :s, lst[17] = :one, lst[50] = :t",
            json!({"lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"N": "1"}, {"BOOL": true}, {"S": "v"}]}}),
        ),
        (
            "set and remove use original indexes",
            "REMOVE lst[0] SET lst[2] = :s",
            json!({"lst": {"L": [{"S": "b"}, {"S": "v"}]}}),
        ),
        (
            "set and remove in either order",
            "SET lst[2] = :s REMOVE lst[0]",
            json!({"lst": {"L": [{"S": "b"}, {"S": "v"}]}}),
        ),
        (
            "remove the last element of a list leaves it empty",
            "REMOVE doc.arr[0]",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}, "arr": {"L": []}}}}),
        ),
        (
            "remove the only key leaves an empty map",
            "REMOVE doc.child.deep",
            json!({"doc": {"M": {"child": {"M": {}}, "arr": {"L": [{"N": "0"}]}}}}),
        ),
        (
            "list inside map",
            "SET doc.arr[0] = :one",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}, "arr": {"L": [{"N": "1"}]}}}}),
        ),
        (
            "several actions",
            "SET a = :s, b = :t",
            json!({"a": {"S": "v"}, "b": {"BOOL": true}}),
        ),
        (
            "right sides read the old item",
            "SET n = :one, m = n",
            json!({"n": {"N": "1"}, "m": {"N": "10"}}),
        ),
        (
            "set a map value",
            "SET a = :m",
            json!({"a": {"M": {"k": {"S": "v"}}}}),
        ),
        ("set null", "SET a = :null", json!({"a": {"NULL": true}})),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(changes(expr), want, "{rule}: {expr}");
    }
}

#[test]
fn remove_add_delete() {
    let cases = [
        ("remove attribute", "REMOVE s", json!({"s": null})),
        ("remove absent is no-op", "REMOVE nope", json!({})),
        (
            "remove several",
            "REMOVE s, n",
            json!({"s": null, "n": null}),
        ),
        (
            "remove nested",
            "REMOVE doc.child",
            json!({"doc": {"M": {"arr": {"L": [{"N": "0"}]}}}}),
        ),
        (
            "remove list element shifts",
            "REMOVE lst[0]",
            json!({"lst": {"L": [{"S": "b"}, {"S": "c"}]}}),
        ),
        (
            "remove two elements uses original indexes",
            "REMOVE lst[0], lst[2]",
            json!({"lst": {"L": [{"S": "b"}]}}),
        ),
        ("remove index past end is no-op", "REMOVE lst[7]", json!({})),
        ("add to number", "ADD n :one", json!({"n": {"N": "11"}})),
        ("add creates number", "ADD c :one", json!({"c": {"N": "1"}})),
        (
            "add set union",
            "ADD tags :zs",
            json!({"tags": {"SS": ["x", "y", "z"]}}),
        ),
        ("add set union no duplicates", "ADD tags :xs", json!({})),
        (
            "add number set",
            "ADD nums :ns",
            json!({"nums": {"NS": ["1", "2", "3"]}}),
        ),
        (
            "add binary set",
            "ADD bins :bs",
            json!({"bins": {"BS": ["AQ==", "Ag=="]}}),
        ),
        ("add creates set", "ADD c :zs", json!({"c": {"SS": ["z"]}})),
        (
            "add nested number",
            "ADD doc.child.deep :one",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "2"}}}, "arr": {"L": [{"N": "0"}]}}}}),
        ),
        (
            "delete from set",
            "DELETE tags :xs",
            json!({"tags": {"SS": ["y"]}}),
        ),
        (
            "delete last elements removes attribute",
            "DELETE tags :xys",
            json!({"tags": null}),
        ),
        ("delete absent elements", "DELETE tags :zs", json!({})),
        ("delete from absent attribute", "DELETE nope :zs", json!({})),
        (
            "delete from absent map key",
            "DELETE doc.nope :zs",
            json!({}),
        ),
        (
            "delete number set",
            "DELETE nums :ns",
            json!({"nums": {"NS": ["1"]}}),
        ),
        (
            "delete binary set empties",
            "DELETE bins :b1",
            json!({"bins": null}),
        ),
        (
            "all four clauses",
            "SET a = :s REMOVE s ADD n :one DELETE tags :xs",
            json!({"a": {"S": "v"}, "s": null, "n": {"N": "11"}, "tags": {"SS": ["y"]}}),
        ),
        (
            "clauses in any order",
            "delete tags :xs add n :one remove s",
            json!({"s": null, "n": {"N": "11"}, "tags": {"SS": ["y"]}}),
        ),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(changes(expr), want, "{rule}: {expr}");
    }
}

#[test]
fn changed_names() {
    let (_, names) = apply("SET a = n, doc.x = :s REMOVE s ADD n :one", Json::Null).unwrap();
    assert_eq!(names, vec!["a", "doc", "s", "n"]);
    let mut s = subs(json!({"#x": "x"}), values());
    let u = Update::parse("SET #x = if_not_exists(n, :one) + lst[0]", &mut s).unwrap();
    assert_eq!(u.target_names(), vec!["x"]);
    assert_eq!(u.attribute_names(), vec!["x", "n", "lst"]);
}

const UE: &str = "Invalid UpdateExpression: ";

#[test]
fn parse_errors() {
    let cases: Vec<(&str, &str, Json, String)> = vec![
        ("empty", "", Json::Null, format!("{UE}The expression can not be empty;")),
        ("clause without action", "SET", Json::Null, format!("{UE}Syntax error; token: \"<EOF>\", near: \"SET\"")),
        ("no clause", "a = :s", Json::Null, format!("{UE}Syntax error; token: \"a\", near: \"a =\"")),
        ("missing value", "SET a =", Json::Null, format!("{UE}Syntax error; token: \"<EOF>\", near: \"=\"")),
        ("missing right operand", "SET n = n +", Json::Null, format!("{UE}Syntax error; token: \"<EOF>\", near: \"+\"")),
        ("two arithmetic operators", "SET n = n + :one + :one", Json::Null, format!("{UE}Syntax error; token: \"+\", near: \":one + :one\"")),
        ("division", "SET n = n / :one", Json::Null, format!("{UE}Syntax error; token: \"/\", near: \"n / :one\"")),
        ("trailing comma", "REMOVE a,", Json::Null, format!("{UE}Syntax error; token: \"<EOF>\", near: \",\"")),
        ("add needs a value", "ADD n m", Json::Null, format!("{UE}Syntax error; token: \"m\", near: \"n m\"")),
        ("repeated section", "SET a = :s SET b = :s", Json::Null, format!("{UE}The \"SET\" section can only be used once in an update expression;")),
        ("repeated section any case", "ADD n :one add c :one", Json::Null, format!("{UE}The \"ADD\" section can only be used once in an update expression;")),
        ("reserved word", "SET size = :s", Json::Null, format!("{UE}Attribute name is a reserved keyword; reserved keyword: size")),
        ("reserved outranks repeated section", "SET a = :s SET status = :s", Json::Null, format!("{UE}Attribute name is a reserved keyword; reserved keyword: status")),
        ("unknown function", "SET a = foo(b)", Json::Null, format!("{UE}Invalid function name; function: foo")),
        ("undefined name", "SET #a = :s", Json::Null, format!("{UE}An expression attribute name used in the document path is not defined; attribute name: #a")),
        ("undefined value", "SET a = :nope", Json::Null, format!("{UE}An expression attribute value used in expression is not defined; attribute value: :nope")),
        ("overlap same path", "SET a = :s REMOVE a", Json::Null, format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]")),
        ("overlap nested", "SET doc = :m, doc.child.deep = :one", Json::Null, format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [doc], path two: [doc, child, deep]")),
        ("overlap list element", "SET lst[0] = :s, lst[0].x = :s", Json::Null, format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [lst, [0]], path two: [lst, [0], x]")),
        ("conflict map vs list", "SET doc.a = :s, doc[0] = :s", Json::Null, format!("{UE}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [doc, a], path two: [doc, [0]]")),
        ("overlap of nested indexes", "SET a[1][1] = :s, a[1] = :one", Json::Null, format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [1], [1]], path two: [a, [1]]")),
        ("conflict deeper down", "SET a.b.c = :s, a.b[2] = :one", Json::Null, format!("{UE}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b, c], path two: [a, b, [2]]")),
        ("unknown clause", "HELLO b = :s", Json::Null, format!("{UE}Syntax error; token: \"HELLO\", near: \"HELLO b\"")),
        ("overlap through names", "SET #a = :s ADD a :one", json!({"#a": "a"}), format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]")),
        ("add string", "ADD n :s", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND")),
        ("add map", "ADD n :m", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND")),
        ("delete number", "DELETE tags :one", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND")),
        ("arithmetic on string literal", "SET n = n + :s", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator or function: +, operand type: S")),
        ("list_append with string literal", "SET lst = list_append(lst, :s)", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator or function: list_append, operand type: S")),
        ("if_not_exists needs a path", "SET a = if_not_exists(:s, :s)", Json::Null, format!("{UE}Operator or function requires a document path; operator or function: if_not_exists")),
        ("if_not_exists arity", "SET a = if_not_exists(a)", Json::Null, format!("{UE}Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1")),
        ("clause keyword as a value", "SET a = set", Json::Null, format!("{UE}Syntax error; token: \"set\", near: \"= set\"")),
        ("clause keyword as a path", "REMOVE add", Json::Null, format!("{UE}Syntax error; token: \"add\", near: \"REMOVE add\"")),
        ("reserved word before a syntax error is still a syntax error", "add abort b", Json::Null, format!("{UE}Syntax error; token: \"b\", near: \"abort b\"")),
        ("value as a path", "SET :s = a", Json::Null, format!("{UE}Syntax error; token: \":s\", near: \"SET :s =\"")),
        ("number literal", "SET lst[1] = 1", Json::Null, format!("{UE}Syntax error; token: \"1\", near: \"= 1\"")),
        ("parenthesized value", "SET a = (n)", Json::Null, format!("{UE}Syntax error; token: \"(\", near: \"= (n\"")),
        ("unknown function outranks repeated section", "SET a = if_not_exist(:s) SET b = :s", Json::Null, format!("{UE}Invalid function name; function: if_not_exist")),
        ("ADD type outranks function errors", "SET b = list_append(:s, lst), c = if_not_exists(n) ADD doc.x :s", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND")),
        ("overlap outranks ADD type", "SET n = :one ADD n :s", Json::Null, format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]")),
        ("overlap before conflict", "SET doc[1] = :s, doc.b = :s, lst[1].a = :s, lst = :s", Json::Null, format!("{UE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [lst, [1], a], path two: [lst]")),
        ("nested if_not_exists needs a path", "SET a = if_not_exists(if_not_exists(a, :s), :s)", Json::Null, format!("{UE}Operator or function requires a document path; operator or function: if_not_exists")),
        ("arithmetic type names the first bad literal", "SET a = :s + :t", Json::Null, format!("{UE}Incorrect operand type for operator or function; operator or function: +, operand type: S")),
        ("list_append arity", "SET a = list_append(lst)", Json::Null, format!("{UE}Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1")),
        ("condition function in update", "SET a = size(s)", Json::Null, format!("{UE}The function is not allowed to be used this way in an expression; function: size")),
    ];
    for (rule, expr, names, want) in cases {
        assert_eq!(apply(expr, names).map(|_| ()), Err(want), "{rule}: {expr}");
    }
}

#[test]
fn apply_errors() {
    const MISSING: &str =
        "The provided expression refers to an attribute that does not exist in the item";
    const BAD_TYPE: &str = "An operand in the update expression has an incorrect data type";
    const BAD_PATH: &str =
        "The document path provided in the update expression is invalid for update";
    let cases = [
        ("copy absent attribute", "SET a = nope", MISSING),
        ("increment absent attribute", "SET n = nope + :one", MISSING),
        (
            "arithmetic on a string attribute",
            "SET n = s + :one",
            BAD_TYPE,
        ),
        (
            "list_append on a string attribute",
            "SET lst = list_append(s, :l)",
            BAD_TYPE,
        ),
        ("set under an absent map", "SET nope.x = :s", BAD_PATH),
        ("set a key under a string", "SET s.x = :s", BAD_PATH),
        ("set an index on a map", "SET doc[0] = :s", BAD_PATH),
        ("remove under an absent map", "REMOVE nope.x", BAD_PATH),
        ("add number to a string", "ADD s :one", BAD_TYPE),
        ("add string set to a number set", "ADD nums :zs", BAD_TYPE),
        ("delete from a number", "DELETE n :xs", BAD_TYPE),
        ("delete under an absent map", "DELETE nope.x :xs", BAD_PATH),
        ("delete under a string", "DELETE s.x :xs", BAD_PATH),
        ("delete an index of a map", "DELETE doc[0] :xs", BAD_PATH),
        ("add under a string", "ADD s.x :one", BAD_PATH),
        ("add a name under a list", "ADD lst.x :one", BAD_PATH),
        ("remove an index of a map", "REMOVE doc[0]", BAD_PATH),
        ("set a name under a list", "SET lst.x = :s", BAD_PATH),
        ("delete wrong set type", "DELETE tags :ns", BAD_TYPE),
        (
            "add overflows",
            "ADD n :huge",
            "Attempting to store more than 38 significant digits in a Number",
        ),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(
            apply(expr, Json::Null).map(|_| ()),
            Err(want.to_owned()),
            "{rule}: {expr}"
        );
    }
    // Overflow in magnitude, not digits.
    let mut s = subs(Json::Null, values());
    let u = Update::parse("SET n = :huge + :huge", &mut s).unwrap();
    assert_eq!(
        u.apply(&fixture()).unwrap_err().message,
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
}

#[test]
fn updates_cannot_nest_too_deep() {
    let mut deep = json!({"S": "leaf"});
    for _ in 0..30 {
        deep = json!({"M": {"n": deep}});
    }
    let mut s = subs(Json::Null, json!({":deep": deep}));
    let u = Update::parse("SET a = :deep, doc.child.x = :deep", &mut s).unwrap();
    assert_eq!(
        u.apply(&fixture()).unwrap_err().message,
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
        "doc.child.x puts 30 more levels under two"
    );
    let mut s = subs(Json::Null, json!({":deep": deep}));
    let u = Update::parse("SET a = :deep", &mut s).unwrap();
    assert!(
        u.apply(&fixture()).is_ok(),
        "30 maps at the top are within the limit"
    );
}

#[test]
fn remove_under_an_absent_attribute_of_a_new_item_is_ignored() {
    let key = item(json!({"id": {"S": "k"}}));
    let mut s = subs(Json::Null, values());
    let u = Update::parse("REMOVE x.y, z[0] SET a = :s", &mut s).unwrap();
    assert_eq!(
        u.apply(&key).unwrap_err().message,
        "The document path provided in the update expression is invalid for update",
        "refused when the item exists"
    );
    let (new, _) = u.apply_to(&key, false).unwrap();
    assert_eq!(
        to_json(&new),
        json!({"id": {"S": "k"}, "a": {"S": "v"}}),
        "ignored when it does not"
    );
    let mut s = subs(Json::Null, values());
    let u = Update::parse("SET x.y = :s", &mut s).unwrap();
    assert!(
        u.apply_to(&key, false).is_err(),
        "SET under an absent attribute is still refused"
    );
}

#[test]
fn updated_parts_for_return_values() {
    // (expression, UPDATED_OLD, UPDATED_NEW) on the fixture.
    let cases = [
        (
            "SET doc.child.deep = :s",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}}}}),
            json!({"doc": {"M": {"child": {"M": {"deep": {"S": "v"}}}}}}),
        ),
        (
            "SET lst[1] = :s, n = :one",
            json!({"lst": {"L": [{"S": "b"}]}, "n": {"N": "10"}}),
            json!({"lst": {"L": [{"S": "v"}]}, "n": {"N": "1"}}),
        ),
        (
            "SET doc.fresh = :one",
            json!({}),
            json!({"doc": {"M": {"fresh": {"N": "1"}}}}),
        ),
        ("SET lst[100] = :one", json!({}), json!({})),
        (
            "REMOVE lst[1], lst[7]",
            json!({"lst": {"L": [{"S": "b"}]}}),
            json!({"lst": {"L": [{"S": "c"}]}}),
        ),
        (
            "ADD n :one DELETE tags :xs",
            json!({"n": {"N": "10"}, "tags": {"SS": ["x", "y"]}}),
            json!({"n": {"N": "11"}, "tags": {"SS": ["y"]}}),
        ),
    ];
    for (expr, old, new) in cases {
        let mut s = subs(Json::Null, values());
        let u = Update::parse(expr, &mut s).unwrap();
        let before = fixture();
        let (after, _) = u.apply(&before).unwrap();
        assert_eq!(
            to_json(&u.updated_parts(&before)),
            old,
            "{expr}: UPDATED_OLD"
        );
        assert_eq!(
            to_json(&u.updated_parts(&after)),
            new,
            "{expr}: UPDATED_NEW"
        );
    }
}

#[test]
fn apply_leaves_the_original_untouched() {
    let mut s = subs(Json::Null, values());
    let u = Update::parse("REMOVE s SET n = n + :one", &mut s).unwrap();
    let before = fixture();
    let _ = u.apply(&before).unwrap();
    assert_eq!(before, fixture());
}
