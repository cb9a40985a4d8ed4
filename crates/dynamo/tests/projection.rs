//! ProjectionExpression: top-level and nested paths, list elements compacted in index order,
//! missing parts skipped, overlap and syntax errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{item, json as to_json, subs};
use rolegate_dynamo::{Item, Projection};
use serde_json::{json, Value as Json};

fn fixture() -> Item {
    item(json!({
        "id": {"S": "k"},
        "n": {"N": "1"},
        "lst": {"L": [{"S": "a"}, {"M": {"x": {"S": "y"}, "z": {"N": "2"}}}, {"S": "c"}]},
        "doc": {"M": {"child": {"M": {"deep": {"N": "1"}, "other": {"S": "o"}}}, "s": {"S": "s"}}},
        "status": {"S": "on"}
    }))
}

fn project(expr: &str, names: Json) -> Result<Json, String> {
    let mut s = subs(names, Json::Null);
    let p = Projection::parse(expr, &mut s).map_err(|e| e.message)?;
    Ok(to_json(&p.apply(&fixture())))
}

#[test]
fn projections() {
    let cases = [
        ("one attribute", "id", json!({"id": {"S": "k"}})),
        (
            "several attributes",
            "id, n",
            json!({"id": {"S": "k"}, "n": {"N": "1"}}),
        ),
        (
            "absent attribute skipped",
            "id, nope",
            json!({"id": {"S": "k"}}),
        ),
        (
            "nested map key",
            "doc.child.deep",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}}}}),
        ),
        (
            "two keys of one map merge",
            "doc.child.deep, doc.s",
            json!({"doc": {"M": {"child": {"M": {"deep": {"N": "1"}}}, "s": {"S": "s"}}}}),
        ),
        (
            "list element",
            "lst[2]",
            json!({"lst": {"L": [{"S": "c"}]}}),
        ),
        (
            "list elements compacted in index order",
            "lst[2], lst[0]",
            json!({"lst": {"L": [{"S": "a"}, {"S": "c"}]}}),
        ),
        (
            "key inside list element",
            "lst[1].x",
            json!({"lst": {"L": [{"M": {"x": {"S": "y"}}}]}}),
        ),
        ("index past the end skipped", "lst[9]", json!({})),
        ("index on a map skipped", "doc[0]", json!({})),
        ("key on a string skipped", "id.x", json!({})),
        ("missing nested key skipped", "doc.nope", json!({})),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(project(expr, Json::Null), Ok(want), "{rule}: {expr}");
    }
    assert_eq!(
        project(
            "#s, #d.#c",
            json!({"#s": "status", "#d": "doc", "#c": "child"})
        ),
        Ok(
            json!({"status": {"S": "on"}, "doc": {"M": {"child": {"M": {"deep": {"N": "1"}, "other": {"S": "o"}}}}}})
        ),
        "names substitute reserved words and nested keys"
    );
}

const PE: &str = "Invalid ProjectionExpression: ";

#[test]
fn errors() {
    let cases: Vec<(&str, &str, String)> = vec![
        ("empty", "", format!("{PE}The expression can not be empty;")),
        ("trailing comma", "a,", format!("{PE}Syntax error; token: \"<EOF>\", near: \",\"")),
        ("space separated", "a b", format!("{PE}Syntax error; token: \"b\", near: \"a b\"")),
        ("unknown characters", "!!!", format!("{PE}Syntax error; token: \"!\", near: \"!!\"")),
        ("reserved word", "id, status", format!("{PE}Attribute name is a reserved keyword; reserved keyword: status")),
        ("undefined name", "#x", format!("{PE}An expression attribute name used in the document path is not defined; attribute name: #x")),
        ("same path twice", "id, id", format!("{PE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [id], path two: [id]")),
        ("path inside another", "doc, doc.s", format!("{PE}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [doc], path two: [doc, s]")),
        ("list and map step", "doc.s, doc[1]", format!("{PE}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [doc, s], path two: [doc, [1]]")),
        ("value in projection", ":v", format!("{PE}Syntax error; token: \":v\", near: \":v\"")),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(project(expr, Json::Null), Err(want), "{rule}: {expr}");
    }
}

#[test]
fn path_nesting_limit() {
    let ok = format!("a{}", ".b".repeat(31));
    assert_eq!(project(&ok, Json::Null), Ok(json!({})), "32 levels");
    let deep = format!("a{}", ".b".repeat(32));
    assert_eq!(
        project(&deep, Json::Null),
        Err(format!(
            "{PE}The document path has too many nesting levels; nesting levels: 33"
        )),
        "33 levels"
    );
    let overlap_cases = [
        "a, a",
        "a.b, a.b",
        "a[1], a[1]",
        "a, a.b",
        "a.b, a",
        "a.b, a.b[2]",
        "a, a.b[2].c",
        "a.b.d.e, a.b",
    ];
    for expr in overlap_cases {
        let e = project(expr, Json::Null).unwrap_err();
        assert!(e.contains("overlap"), "{expr}: {e}");
    }
    for expr in [
        "a, b",
        "a.b, a.c",
        "a.b.d, a.b.e",
        "a[1], a[2]",
        "a.b, a.c[2]",
    ] {
        assert!(project(expr, Json::Null).is_ok(), "{expr} does not overlap");
    }
    for expr in ["a.b, a[1]", "a[1], a.b", "a.b[1], a.b.c", "a.b.c, a.b[1]"] {
        let e = project(expr, Json::Null).unwrap_err();
        assert!(e.contains("conflict"), "{expr}: {e}");
    }
}

#[test]
fn attribute_names() {
    let mut s = subs(Json::Null, Json::Null);
    let p = Projection::parse("doc.s, id, doc.child", &mut s).unwrap();
    assert_eq!(p.attribute_names(), vec!["doc", "id"]);
}
