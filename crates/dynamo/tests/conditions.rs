//! ConditionExpression / FilterExpression: every comparator and function, precedence,
//! parentheses, nested paths, type mismatches, and AWS's parse errors in AWS's order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{item, subs};
use rolegate_dynamo::{Condition, Item};
use serde_json::{json, Value as Json};

fn fixture() -> Item {
    item(json!({
        "id": {"S": "u1"},
        "age": {"N": "30"},
        "who": {"S": "Alice"},
        "score": {"N": "9.5"},
        "tags": {"SS": ["red", "blue"]},
        "nums": {"NS": ["1", "2"]},
        "bin": {"B": "AQID"},
        "bins": {"BS": ["AQ==", "Ag=="]},
        "flag": {"BOOL": true},
        "nothing": {"NULL": true},
        "lst": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"x": {"S": "y"}}}]},
        "doc": {"M": {"child": {"M": {"deep": {"N": "5"}}}, "s": {"S": "str"}}},
        "status": {"S": "active"},
        "blank": {"S": ""},
        "a-b": {"S": "dash"}
    }))
}

/// The values every case may use; names are given per case.
fn values() -> Json {
    json!({
        ":30": {"N": "30"}, ":31": {"N": "31.0"}, ":29": {"N": "29"}, ":s30": {"S": "30"},
        ":alice": {"S": "Alice"}, ":al": {"S": "Al"}, ":red": {"S": "red"}, ":green": {"S": "green"},
        ":one": {"N": "1"}, ":two": {"N": "2"}, ":five": {"N": "5"}, ":b1": {"B": "AQ=="},
        ":b12": {"B": "AQI="}, ":true": {"BOOL": true}, ":null": {"NULL": true},
        ":tS": {"S": "S"}, ":tN": {"S": "N"}, ":tSS": {"S": "SS"}, ":tM": {"S": "M"},
        ":tL": {"S": "L"}, ":tNULL": {"S": "NULL"}, ":tBOOL": {"S": "BOOL"}, ":tX": {"S": "X"},
        ":a": {"S": "a"}, ":y": {"S": "y"}, ":str": {"S": "str"}, ":blank": {"S": ""},
        ":lst": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"x": {"S": "y"}}}]},
        ":uni": {"S": "é𝄞"}, ":three": {"N": "3"}, ":b23": {"B": "AgM="}, ":b13": {"B": "AQM="},
        ":doc": {"M": {"x": {"S": "y"}}}, ":tagset": {"SS": ["blue", "red"]}
    })
}

fn eval(expr: &str, names: Json) -> Result<bool, String> {
    let mut s = subs(names, values());
    let c = Condition::parse(expr, &mut s).map_err(|e| e.message)?;
    c.eval(&fixture()).map_err(|e| e.message)
}

#[test]
fn comparisons() {
    let cases = [
        ("= number", "age = :30", true),
        ("= number numerically", "score = :31", false),
        ("= across types is false", "age = :s30", false),
        ("<> across types is true", "age <> :s30", true),
        ("<> equal", "age <> :30", false),
        ("< number", "age < :31", true),
        ("<= equal", "age <= :30", true),
        ("> number", "age > :29", true),
        (">= number", "age >= :31", false),
        ("< string by bytes", "who < :al", false),
        ("> string by bytes", "who > :al", true),
        ("< binary", "bin > :b1", true),
        ("< across types is false", "age < :s30", false),
        ("> across types is false", "age > :s30", false),
        ("absent attribute = is false", "absent = :30", false),
        ("absent attribute <> is true", "absent <> :30", true),
        ("absent attribute < is false", "absent < :30", false),
        (
            "two absent attributes are not equal",
            "absent <> nope",
            true,
        ),
        ("two absent attributes = is false", "absent = nope", false),
        ("bool equality", "flag = :true", true),
        ("null equality", "nothing = :null", true),
        ("lst equality", "lst = :lst", true),
        ("doc equality", "lst[2] = :doc", true),
        ("set equality ignores order", "tags = :tagset", true),
        ("path to path", "age >= score", true),
        ("parenthesized operand", "(age) = :30", true),
        ("parenthesized operands both sides", "(age) = (:30)", true),
        ("value on the left", ":30 = age", true),
        ("ordering a bool attribute is false", "flag < :al", false),
        ("blank string", "blank = :blank", true),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(eval(expr, Json::Null), Ok(want), "{rule}: {expr}");
    }
}

#[test]
fn between_and_in() {
    let cases = [
        ("between inclusive low", "age BETWEEN :30 AND :31", true),
        ("between inclusive high", "age BETWEEN :29 AND :30", true),
        ("between outside", "age BETWEEN :one AND :two", false),
        ("between wrong type", "age BETWEEN :al AND :alice", false),
        ("between strings", "who BETWEEN :al AND :alice", true),
        (
            "between keyword lower case",
            "age between :29 and :31",
            true,
        ),
        ("in matches", "age IN (:29, :30)", true),
        ("in no match", "age IN (:29, :31)", false),
        ("in single", "who IN (:alice)", true),
        ("in across types", "age IN (:s30)", false),
        ("in absent attribute", "absent IN (:30)", false),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(eval(expr, Json::Null), Ok(want), "{rule}: {expr}");
    }
}

#[test]
fn functions() {
    let cases = [
        ("attribute_exists", "attribute_exists(age)", true),
        ("attribute_exists absent", "attribute_exists(absent)", false),
        (
            "attribute_exists nested",
            "attribute_exists(doc.child.deep)",
            true,
        ),
        (
            "attribute_exists lst index",
            "attribute_exists(lst[2].x)",
            true,
        ),
        (
            "attribute_exists index past end",
            "attribute_exists(lst[3])",
            false,
        ),
        (
            "attribute_exists through wrong type",
            "attribute_exists(age.x)",
            false,
        ),
        (
            "attribute_exists NULL value",
            "attribute_exists(nothing)",
            true,
        ),
        ("attribute_not_exists", "attribute_not_exists(absent)", true),
        (
            "attribute_not_exists present",
            "attribute_not_exists(id)",
            false,
        ),
        ("attribute_type S", "attribute_type(who, :tS)", true),
        ("attribute_type N", "attribute_type(age, :tN)", true),
        ("attribute_type SS", "attribute_type(tags, :tSS)", true),
        ("attribute_type M", "attribute_type(doc, :tM)", true),
        ("attribute_type L", "attribute_type(lst, :tL)", true),
        (
            "attribute_type NULL",
            "attribute_type(nothing, :tNULL)",
            true,
        ),
        ("attribute_type BOOL", "attribute_type(flag, :tBOOL)", true),
        ("attribute_type mismatch", "attribute_type(age, :tS)", false),
        (
            "attribute_type of a literal",
            "attribute_type(:30, :tN)",
            true,
        ),
        (
            "attribute_type absent",
            "attribute_type(absent, :tS)",
            false,
        ),
        ("begins_with string", "begins_with(who, :al)", true),
        ("begins_with no", "begins_with(who, :red)", false),
        ("begins_with binary", "begins_with(bin, :b12)", true),
        (
            "begins_with number attribute",
            "begins_with(age, :s30)",
            false,
        ),
        ("begins_with blank prefix", "begins_with(who, :blank)", true),
        ("contains substring", "contains(who, :al)", true),
        ("contains substring found", "contains(doc.s, :str)", true),
        ("contains binary substring", "contains(bin, :b23)", true),
        ("contains binary no", "contains(bin, :b13)", false),
        ("contains list holding a map", "contains(lst, :doc)", true),
        ("contains string set", "contains(tags, :red)", true),
        ("contains string set no", "contains(tags, :green)", false),
        ("contains number set", "contains(nums, :two)", true),
        ("contains binary set", "contains(bins, :b1)", true),
        ("contains lst element", "contains(lst, :a)", true),
        ("contains lst doc element", "contains(lst, :doc)", true),
        (
            "contains number set wrong type",
            "contains(nums, :s30)",
            false,
        ),
        ("contains on number", "contains(age, :30)", false),
        ("size string", "size(who) = :five", true),
        ("size set", "size(tags) = :two", true),
        ("size lst", "size(lst) > :two", true),
        ("size doc", "size(doc) = :two", true),
        ("size binary", "size(bin) BETWEEN :two AND :five", true),
        ("size of number is no value", "size(age) = :two", false),
        ("size absent", "size(absent) >= :one", false),
        ("size in IN", "size(tags) IN (:one, :two)", true),
        ("size of a string literal", "size(:al) = :two", true),
        ("size counts UTF-16 code units", "size(:uni) = :three", true),
        ("size of a list literal", "size(:lst) = size(lst)", true),
        (
            "function argument in parentheses",
            "attribute_exists((age))",
            true,
        ),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(eval(expr, Json::Null), Ok(want), "{rule}: {expr}");
    }
}

#[test]
fn logic_and_precedence() {
    // T = age = :30 (true), F = age = :29 (false)
    let cases = [
        ("and", "age = :30 AND who = :alice", true),
        ("and false", "age = :30 AND age = :29", false),
        ("or", "age = :29 OR who = :alice", true),
        ("not", "NOT age = :29", true),
        (
            "not binds tighter than and",
            "NOT age = :29 AND age = :30",
            true,
        ),
        (
            "and binds tighter than or: F AND F OR T",
            "age = :29 AND age = :29 OR age = :30",
            true,
        ),
        (
            "and binds tighter than or: T OR F AND F",
            "age = :30 OR age = :29 AND age = :29",
            true,
        ),
        (
            "parentheses override: (T OR F) AND F",
            "(age = :30 OR age = :29) AND age = :29",
            false,
        ),
        ("not of parentheses", "NOT (age = :30 OR age = :29)", false),
        ("not of not needs parentheses", "NOT (NOT age = :30)", true),
        (
            "keywords any case",
            "age = :30 and not who = :al Or age = :29",
            true,
        ),
        (
            "nested parentheses with operators",
            "((age = :30) AND (who = :alice))",
            true,
        ),
        (
            "functions with logic",
            "attribute_exists(id) AND NOT contains(tags, :green)",
            true,
        ),
    ];
    for (rule, expr, want) in cases {
        assert_eq!(eval(expr, Json::Null), Ok(want), "{rule}: {expr}");
    }
}

#[test]
fn names_and_paths() {
    let cases = [
        (
            "reserved word through a name",
            "#s = :a",
            json!({"#s": "status"}),
            false,
        ),
        ("who with a dash", "#d = :a", json!({"#d": "a-b"}), false),
        (
            "who in a nested path",
            "#m.#i.deep = :five",
            json!({"#m": "doc", "#i": "child"}),
            true,
        ),
        (
            "who with a dot is one attribute",
            "attribute_exists(#x)",
            json!({"#x": "doc.s"}),
            false,
        ),
        (
            "lst index then doc key",
            "lst[2].#x = :y",
            json!({"#x": "x"}),
            true,
        ),
    ];
    for (rule, expr, names, want) in cases {
        assert_eq!(eval(expr, names), Ok(want), "{rule}: {expr}");
    }
}

const CE: &str = "Invalid ConditionExpression: ";

#[test]
fn errors() {
    let cases: Vec<(&str, &str, Json, String)> = vec![
        ("blank", "", Json::Null, format!("{CE}The expression can not be empty;")),
        ("blank", "   ", Json::Null, format!("{CE}The expression can not be empty;")),
        ("dangling AND", "age = :30 AND", Json::Null, format!("{CE}Syntax error; token: \"<EOF>\", near: \"AND\"")),
        ("double comparator", "age = = :30", Json::Null, format!("{CE}Syntax error; token: \"=\", near: \"= = :30\"")),
        ("absent operator", "age :30", Json::Null, format!("{CE}Syntax error; token: \":30\", near: \"age :30\"")),
        ("unknown character", "age == :30", Json::Null, format!("{CE}Syntax error; token: \"=\", near: \"== :30\"")),
        ("bang", "age != :30", Json::Null, format!("{CE}Syntax error; token: \"!\", near: \"age !=\"")),
        ("unclosed parenthesis", "(age = :30", Json::Null, format!("{CE}Syntax error; token: \"<EOF>\", near: \":30\"")),
        ("between without AND", "age BETWEEN :29 OR :31", Json::Null, format!("{CE}Syntax error; token: \"OR\", near: \":29 OR :31\"")),
        ("dash in bare name", "a-b = :a", Json::Null, format!("{CE}Syntax error; token: \"-\", near: \"a-b\"")),
        ("bad lst index", "lst[x] = :a", Json::Null, format!("{CE}Syntax error; token: \"x\", near: \"[x]\"")),
        ("reserved word", "status = :a", Json::Null, format!("{CE}Attribute name is a reserved keyword; reserved keyword: status")),
        ("reserved word nested", "doc.size = :a", Json::Null, format!("{CE}Attribute name is a reserved keyword; reserved keyword: size")),
        ("reserved outranks undefined value", "status = :nope", Json::Null, format!("{CE}Attribute name is a reserved keyword; reserved keyword: status")),
        ("syntax outranks reserved", "status = = :a", Json::Null, format!("{CE}Syntax error; token: \"=\", near: \"= = :a\"")),
        ("unknown function", "foo(age)", Json::Null, format!("{CE}Invalid function name; function: foo")),
        ("undefined name", "#n = :a", Json::Null, format!("{CE}An expression attribute name used in the document path is not defined; attribute name: #n")),
        ("undefined value", "age = :nope", Json::Null, format!("{CE}An expression attribute value used in expression is not defined; attribute value: :nope")),
        ("undefined name outranks undefined value", "#n = :nope", Json::Null, format!("{CE}An expression attribute name used in the document path is not defined; attribute name: #n")),
        ("function needs a path", "attribute_exists(:a)", Json::Null, format!("{CE}Operator or function requires a document path; operator or function: attribute_exists")),
        ("wrong arity", "begins_with(who)", Json::Null, format!("{CE}Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1")),
        ("begins_with number operand", "begins_with(who, :30)", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")),
        ("attribute_type bad type", "attribute_type(age, :tX)", Json::Null, format!("{CE}Invalid attribute type name found; type: X, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}")),
        ("attribute_type number operand", "attribute_type(age, :30)", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N")),
        ("size as a condition", "size(who)", Json::Null, format!("{CE}The function is not allowed to be used this way in an expression; function: size")),
        ("condition function as operand", "age = attribute_exists(age)", Json::Null, format!("{CE}The function is not allowed to be used this way in an expression; function: attribute_exists")),
        ("update function in a condition", "if_not_exists(age, :30)", Json::Null, format!("{CE}The function is not allowed to be used this way in an expression; function: if_not_exists")),
        ("between bounds of different types", "age BETWEEN :29 AND :al", Json::Null, format!("{CE}The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {{N:29}}, upper bound operand: AttributeValue: {{S:Al}}")),
        ("attribute_type with a path", "attribute_type(age, who)", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}}")),
        ("function as a comparison operand", "attribute_not_exists(age) > :30", Json::Null, format!("{CE}The function is not allowed to be used this way in an expression; function: attribute_not_exists")),
        ("ordering a boolean literal", "flag < :true", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: <, operand type: BOOL")),
        ("ordering a list literal", ":lst >= age", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: >=, operand type: L")),
        ("between null bounds", "age BETWEEN :null AND :null", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: NULL")),
        ("same path twice", "age = age", Json::Null, format!("{CE}The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [age]")),
        ("same path twice in a function", "contains(doc.s, doc.s)", Json::Null, format!("{CE}The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [doc, s]")),
        ("size of a number literal", "size(:30) = :one", Json::Null, format!("{CE}Incorrect operand type for operator or function; operator or function: size, operand type: N")),
        ("double not", "NOT NOT age = :30", Json::Null, format!("{CE}Syntax error; token: \"NOT\", near: \"NOT NOT age\"")),
        ("keyword as a name", "age = and", Json::Null, format!("{CE}Syntax error; token: \"and\", near: \"= and\"")),
        ("keyword as a path step", "doc.in = :a", Json::Null, format!("{CE}Syntax error; token: \"in\", near: \".in =\"")),
        ("name starting with a digit", "1a = :a", Json::Null, format!("{CE}Syntax error; token: \"1a\", near: \"1a =\"")),
        ("function names are case-sensitive", "ATTRIBUTE_EXISTS(age)", Json::Null, format!("{CE}Invalid function name; function: ATTRIBUTE_EXISTS")),
        ("unknown function outranks reserved word", "status = :a AND foo(age)", Json::Null, format!("{CE}Invalid function name; function: foo")),
        ("redundant parentheses outrank unknown function", "((age = :30)) AND foo(age)", Json::Null, format!("{CE}The expression has redundant parentheses;")),
        ("misuse outranks reserved word", "status = :a AND size(age)", Json::Null, format!("{CE}The function is not allowed to be used this way in an expression; function: size")),
        ("undefined value and name: first one wins", ":nope = #n", Json::Null, format!("{CE}An expression attribute value used in expression is not defined; attribute value: :nope")),
        ("the first condition with an error decides", "begins_with(age) AND #n = :a", Json::Null, format!("{CE}Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1")),
        ("redundant parentheses around an operand", "age = ((:30))", Json::Null, format!("{CE}The expression has redundant parentheses;")),
        ("unclosed operand parenthesis", "(age = :30", Json::Null, format!("{CE}Syntax error; token: \"<EOF>\", near: \":30\"")),
        ("redundant parentheses", "((age = :30))", Json::Null, format!("{CE}The expression has redundant parentheses;")),
        ("between bounds reversed", "age BETWEEN :31 AND :29", Json::Null, format!("{CE}The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{N:31}}, upper bound operand: AttributeValue: {{N:29}}")),
    ];
    for (rule, expr, names, want) in cases {
        assert_eq!(eval(expr, names), Err(want), "{rule}: {expr}");
    }
}

#[test]
fn in_operand_limit() {
    // 100 operands in all, the one before IN included.
    let list = vec![":one"; 99].join(", ");
    assert_eq!(
        eval(&format!("age IN ({list})"), Json::Null),
        Ok(false),
        "99 in the list are allowed"
    );
    let list = vec![":one"; 100].join(", ");
    assert_eq!(
        eval(&format!("age IN ({list})"), Json::Null),
        Err(format!(
            "{CE}The IN operator is provided with too many operands; number of operands: 101"
        )),
        "100 in the list are refused"
    );
}

#[test]
fn attribute_names_are_top_level_and_deduplicated() {
    let mut s = subs(json!({"#s": "status"}), values());
    let c = Condition::parse(
        "#s = :a AND doc.child.deep > :one OR size(tags) = :two AND #s <> :y",
        &mut s,
    )
    .unwrap();
    assert_eq!(c.attribute_names(), vec!["status", "doc", "tags"]);
}

#[test]
fn filter_expression_messages_name_the_filter() {
    let mut s = subs(Json::Null, values());
    let e = Condition::parse_as("age =", &mut s, "FilterExpression").unwrap_err();
    assert_eq!(
        e.message,
        "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"=\""
    );
}

/// The error text for `expr` as a FilterExpression with the given substitutions.
fn filter_error(expr: &str, names: Json, values: Json) -> String {
    let names = (!names.is_null()).then_some(&names);
    let values = (!values.is_null()).then_some(&values);
    let mut s = rolegate_dynamo::Substitutions::from_json(names, values).unwrap();
    Condition::parse_as(expr, &mut s, "FilterExpression")
        .map(|_| ())
        .unwrap_err()
        .message
}

const FE: &str = "Invalid FilterExpression: ";

#[test]
fn syntax_errors_of_all_shapes() {
    let cases = [
        "things are not gonna be ok",
        "a > 4",
        "attribute_exists(Pictures-RearView)",
        "attribute_exists(\"Pictures.RearView\")",
        "attribute_exists(Pictures..RearView)",
        "attribute_exists(Pi#ctures.RearView)",
        "attribute_exists(asdf[a])",
        "a in b, c",
        "a > between",
        "a in b",
        "a in (b,c,)",
        "(a)between(b.(c.d))and(c)",
        "(a)between(b.c.d)and((c)",
        "#$.b > a",
        "a > :things.stuff",
        "b[:a] > a",
        "b[#_] > a",
        "ü > a",
        "(a)between(b.c[4.5].#d)and(:a)",
        "size(a).b > a",
        "(size(a)).b > a",
        "size(a)[0] > a",
        "(size(a))[0] > a",
    ];
    for expr in cases {
        let e = filter_error(expr, Json::Null, Json::Null);
        assert!(e.starts_with(&format!("{FE}Syntax error; ")), "{expr}: {e}");
    }
}

#[test]
fn aws_error_precedence() {
    let n = || json!({"#a": "a"});
    let cases: Vec<(&str, &str, Json, Json, String)> = vec![
        ("redundant operand parentheses", "a=a and a > ((views))", Json::Null, Json::Null, format!("{FE}The expression has redundant parentheses;")),
        ("redundant parentheses in arguments", "a > whatever((:things), ((a)))", Json::Null, Json::Null, format!("{FE}The expression has redundant parentheses;")),
        ("redundant nested group", "a=a AND ((a=a AND (a=a AND a=a)))", Json::Null, Json::Null, format!("{FE}The expression has redundant parentheses;")),
        ("unknown function", "a=a and whatever((:things)) > a", Json::Null, Json::Null, format!("{FE}Invalid function name; function: whatever")),
        ("function names are case-sensitive", "attRIbute_exIsts((views), #a)", Json::Null, Json::Null, format!("{FE}Invalid function name; function: attRIbute_exIsts")),
        ("misuse outranks reserved and undefined", "a=a and attribute_exists((views), (#a)) > b", Json::Null, Json::Null, format!("{FE}The function is not allowed to be used this way in an expression; function: attribute_exists")),
        ("function inside size", "size(contains(a, b)) > a", Json::Null, Json::Null, format!("{FE}The function is not allowed to be used this way in an expression; function: contains")),
        ("function as a BETWEEN bound", "a between b and attribute_exists(things)", Json::Null, Json::Null, format!("{FE}The function is not allowed to be used this way in an expression; function: attribute_exists")),
        ("function in an IN list", "a in (b, attribute_exists(things))", Json::Null, Json::Null, format!("{FE}The function is not allowed to be used this way in an expression; function: attribute_exists")),
        ("reserved outranks undefined and arity", "attribute_exists(views, #a)", Json::Null, Json::Null, format!("{FE}Attribute name is a reserved keyword; reserved keyword: views")),
        ("reserved in any case", ":a < abOrT", Json::Null, Json::Null, format!("{FE}Attribute name is a reserved keyword; reserved keyword: abOrT")),
        ("undefined name in a BETWEEN", "(a)between(b.c[45].#d)and(:a)", Json::Null, Json::Null, format!("{FE}An expression attribute name used in the document path is not defined; attribute name: #d")),
        ("undefined outranks arity", "begins_with(Pictures.#RearView)", Json::Null, Json::Null, format!("{FE}An expression attribute name used in the document path is not defined; attribute name: #RearView")),
        ("undefined value first", "begins_with(:hello, #a, #b)", Json::Null, Json::Null, format!("{FE}An expression attribute value used in expression is not defined; attribute value: :hello")),
        ("arity of size", "size(things, a) > b", Json::Null, Json::Null, format!("{FE}Incorrect number of operands for operator or function; operator or function: size, number of operands: 2")),
        ("arity of begins_with", "begins_with(things, size(a), b)", Json::Null, Json::Null, format!("{FE}Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3")),
        ("size is a number for attribute_type", "attribute_type(a, size(a)) and a=a and a=:a", Json::Null, Json::Null, format!("{FE}Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N")),
        ("size is a number for begins_with", "begins_with(a, size(a)) and a=:a", Json::Null, Json::Null, format!("{FE}Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")),
        ("begins_with literal first", "begins_with(:a, a)", Json::Null, json!({":a": {"BOOL": true}}), format!("{FE}Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL")),
        ("size of size", "size(size(a)) > :a", Json::Null, json!({":a": {"N": "1"}}), format!("{FE}Incorrect operand type for operator or function; operator or function: size, operand type: N")),
        ("size of a number literal", "attribute_not_exists(size(:a))", Json::Null, json!({":a": {"N": "1"}}), format!("{FE}Incorrect operand type for operator or function; operator or function: size, operand type: N")),
        ("size of NULL", "size(:a) > a", Json::Null, json!({":a": {"NULL": true}}), format!("{FE}Incorrect operand type for operator or function; operator or function: size, operand type: NULL")),
        ("size is not a path", "attribute_not_exists(size(:a))", Json::Null, json!({":a": {"S": "1"}}), format!("{FE}Operator or function requires a document path; operator or function: attribute_not_exists")),
        ("value is not a path", "attribute_exists(:a) and a=a", Json::Null, json!({":a": {"S": "1"}}), format!("{FE}Operator or function requires a document path; operator or function: attribute_exists")),
        ("attribute_type name", "attribute_type(a, :a)", Json::Null, json!({":a": {"S": "1"}}), format!("{FE}Invalid attribute type name found; type: 1, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}")),
        ("distinct in the first condition wins", "a = a AND #a = b AND :views > a", n(), Json::Null, format!("{FE}The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]")),
        ("distinct through a name", "#a <> a", n(), Json::Null, format!("{FE}The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [a]")),
        ("distinct in groups", "((a=a) OR (a=a))", n(), Json::Null, format!("{FE}The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]")),
        ("distinct nested path", "contains(ab.bc[1].a, ab.bc[1].#a)", n(), Json::Null, format!("{FE}The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [ab, bc, [1], a]")),
        ("distinct in attribute_type", "attribute_type(ab.bc[1].#a, ab.bc[1].a)", n(), Json::Null, format!("{FE}The first operand must be distinct from the remaining operands for this operator or function; operator: attribute_type, first operand: [ab, bc, [1], a]")),
        ("distinct in begins_with", "begins_with(ab.bc[1].a, ab.bc[1].#a)", n(), Json::Null, format!("{FE}The first operand must be distinct from the remaining operands for this operator or function; operator: begins_with, first operand: [ab, bc, [1], a]")),
    ];
    for (rule, expr, names, values, want) in cases {
        assert_eq!(filter_error(expr, names, values), want, "{rule}: {expr}");
    }
}

#[test]
fn size_and_nesting_limits() {
    let long = format!("age = :30 OR {}", vec!["age = :30"; 500].join(" OR "));
    assert!(long.len() > 4096);
    assert_eq!(
        eval(&long, Json::Null),
        Err(format!(
            "{CE}Expression size has exceeded the maximum allowed size; expression size: {}",
            long.len()
        )),
        "longer than 4 KB"
    );
    let fits = vec!["age = :30"; 300].join(" OR ");
    assert!(fits.len() <= 4096);
    assert_eq!(eval(&fits, Json::Null), Ok(true), "4 KB is fine");
    // Deep nesting is refused without exhausting the stack, whatever the shape.
    for expr in [
        "(".repeat(4000),
        format!("{}age = :30{}", "(".repeat(2000), ")".repeat(2000)),
        format!("size({}age{}) = :30", "(".repeat(2000), ")".repeat(2000)),
        format!("{}age{} = :30", "(".repeat(2000), ")".repeat(2000)),
    ] {
        let e = eval(&expr, Json::Null).unwrap_err();
        assert!(e.starts_with(&format!("{CE}Syntax error;")), "{e}");
    }
    // Ordinary nesting still works.
    let nested = format!("{}age = :30{}", "(".repeat(20), ")".repeat(20));
    assert_eq!(
        eval(&nested, Json::Null),
        Err(format!("{CE}The expression has redundant parentheses;"))
    );
}
