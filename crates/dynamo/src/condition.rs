//! ConditionExpression and FilterExpression: the grammar (comparators, BETWEEN, IN, AND / OR /
//! NOT with parentheses, the functions) parsed once, then evaluated against items. Comparing
//! values of different types, or a missing attribute, is false rather than an error.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::cmp::Ordering;

use crate::lexer::Tok;
use crate::parser::{push_name, Kind, Mode, Operand, Parser};
use crate::path::Path;
use crate::{Error, Item, Number, Substitutions, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Cmp(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// A parenthesized condition (kept to spot redundant parentheses).
    Paren(Box<Cond>),
    Exists(Path),
    NotExists(Path),
    /// attribute_type(operand, :type): the operand is usually a path, but DynamoDB accepts a
    /// literal too.
    Type(Operand, Value),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    /// A function call already refused (unknown or misused); never evaluated because the
    /// parse reports the error.
    Invalid,
}

/// Most operands DynamoDB accepts in an IN, counting the one before it (so 99 in the list).
const MAX_IN: usize = 100;
const TYPES: [&str; 10] = ["B", "BOOL", "BS", "L", "M", "N", "NS", "NULL", "S", "SS"];

/// A parsed ConditionExpression or FilterExpression.
#[derive(Debug, Clone)]
pub struct Condition {
    pub(crate) cond: Cond,
}

impl Condition {
    pub fn parse(text: &str, subs: &mut Substitutions) -> Result<Condition, Error> {
        Condition::parse_as(text, subs, "ConditionExpression")
    }

    /// Parses with AWS's name for the expression in messages ("FilterExpression",
    /// "KeyConditionExpression"...).
    pub fn parse_as(
        text: &str,
        subs: &mut Substitutions,
        kind: &'static str,
    ) -> Result<Condition, Error> {
        let mut p = Parser::new(text, kind, Mode::Condition, subs)?;
        let cond = parse_or(&mut p)?;
        if has_redundant_parens(&cond) {
            p.defer(
                Kind::Parens,
                "The expression has redundant parentheses;".to_owned(),
            );
        }
        p.finish(|| None)?;
        Ok(Condition { cond })
    }

    pub fn eval(&self, item: &Item) -> Result<bool, Error> {
        Ok(eval(&self.cond, item))
    }

    /// Top-level attribute names the condition reads.
    pub fn attribute_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        cond_names(&self.cond, &mut out);
        out
    }
}

fn cond_names(c: &Cond, out: &mut Vec<String>) {
    match c {
        Cond::Cmp(_, a, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
            a.names(out);
            b.names(out);
        }
        Cond::Between(a, b, c) => {
            a.names(out);
            b.names(out);
            c.names(out);
        }
        Cond::In(a, list) => {
            a.names(out);
            list.iter().for_each(|o| o.names(out));
        }
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_names(a, out);
            cond_names(b, out);
        }
        Cond::Not(a) | Cond::Paren(a) => cond_names(a, out),
        Cond::Exists(p) | Cond::NotExists(p) => push_name(out, p.top()),
        Cond::Type(o, _) => o.names(out),
        Cond::Invalid => {}
    }
}

fn has_redundant_parens(c: &Cond) -> bool {
    match c {
        Cond::Paren(inner) => matches!(**inner, Cond::Paren(_)) || has_redundant_parens(inner),
        Cond::And(a, b) | Cond::Or(a, b) => has_redundant_parens(a) || has_redundant_parens(b),
        Cond::Not(a) => has_redundant_parens(a),
        _ => false,
    }
}

// Precedence, loosest first: OR, AND, NOT, then comparisons and functions.
pub(crate) fn parse_or(p: &mut Parser) -> Result<Cond, Error> {
    let mut c = parse_and(p)?;
    while p.eat_keyword("OR") {
        c = Cond::Or(Box::new(c), Box::new(parse_and(p)?));
    }
    Ok(c)
}

fn parse_and(p: &mut Parser) -> Result<Cond, Error> {
    let mut c = parse_not(p)?;
    while p.eat_keyword("AND") {
        c = Cond::And(Box::new(c), Box::new(parse_not(p)?));
    }
    Ok(c)
}

fn parse_not(p: &mut Parser) -> Result<Cond, Error> {
    // NOT applies to one comparison, function or parenthesized group: `NOT NOT x` is a
    // syntax error in DynamoDB's grammar.
    if p.eat_keyword("NOT") {
        return Ok(Cond::Not(Box::new(parse_primary(p)?)));
    }
    parse_primary(p)
}

fn parse_primary(p: &mut Parser) -> Result<Cond, Error> {
    if !p.at_punct("(") {
        return leaf(p);
    }
    // `(` opens a group `(a = :v)` or a parenthesized operand `(a) = :v`: try the group,
    // then the operand, and report the syntax error of whichever read further.
    let mark = p.mark();
    let group = (|| {
        p.enter()?;
        p.advance();
        let inner = parse_or(p)?;
        p.expect_punct(")")?;
        p.leave();
        Ok(Cond::Paren(Box::new(inner)))
    })();
    let group_err = match group {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    let group_at = p.failed_at();
    p.rewind(mark);
    match leaf(p) {
        Ok(c) => Ok(c),
        Err(e) if p.failed_at() > group_at => Err(e),
        Err(_) => Err(group_err),
    }
}

/// One comparison or function condition, closing its per-condition errors.
fn leaf(p: &mut Parser) -> Result<Cond, Error> {
    let c = parse_comparison(p)?;
    p.end_leaf();
    Ok(c)
}

fn comparator(p: &Parser) -> Option<CmpOp> {
    match p.peek() {
        Some(Tok::Punct("=")) => Some(CmpOp::Eq),
        Some(Tok::Punct("<>")) => Some(CmpOp::Ne),
        Some(Tok::Punct("<")) => Some(CmpOp::Lt),
        Some(Tok::Punct("<=")) => Some(CmpOp::Le),
        Some(Tok::Punct(">")) => Some(CmpOp::Gt),
        Some(Tok::Punct(">=")) => Some(CmpOp::Ge),
        _ => None,
    }
}

/// A comparison, BETWEEN, IN, or a function standing as a condition.
fn parse_comparison(p: &mut Parser) -> Result<Cond, Error> {
    let left = if p.at_call().is_some() {
        let (name, args) = p.call()?;
        let continues = comparator(p).is_some() || p.at_keyword("BETWEEN") || p.at_keyword("IN");
        if !continues {
            return Ok(function_condition(p, &name, args));
        }
        p.value_function(&name, args)
    } else {
        p.operand()?
    };
    if let Some(op) = comparator(p) {
        p.advance();
        let right = p.operand()?;
        p.check_distinct(op.symbol(), &left, &right);
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            check_ordered(p, op.symbol(), &[&left, &right]);
        }
        return Ok(Cond::Cmp(op, left, right));
    }
    if p.eat_keyword("BETWEEN") {
        let low = p.operand()?;
        if !p.eat_keyword("AND") {
            return Err(p.syntax_error());
        }
        let high = p.operand()?;
        check_ordered(p, "BETWEEN", &[&left, &low, &high]);
        if let (Operand::Value(l), Operand::Value(h)) = (&low, &high) {
            let bounds = format!(
                "lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                describe(l),
                describe(h)
            );
            if l.type_name() != h.type_name() {
                p.defer(Kind::Misc, format!("The BETWEEN operator requires same data type for lower and upper bounds; {bounds}"));
            } else if compare(l, h) == Some(Ordering::Greater) {
                p.defer(Kind::Misc, format!("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {bounds}"));
            }
        }
        return Ok(Cond::Between(left, low, high));
    }
    if p.eat_keyword("IN") {
        p.expect_punct("(")?;
        let mut list = vec![p.operand()?];
        while p.eat_punct(",") {
            list.push(p.operand()?);
        }
        p.expect_punct(")")?;
        if list.len() + 1 > MAX_IN {
            p.defer(
                Kind::Misc,
                format!(
                    "The IN operator is provided with too many operands; number of operands: {}",
                    list.len() + 1
                ),
            );
        }
        return Ok(Cond::In(left, list));
    }
    Err(p.syntax_error())
}

/// Ordering comparisons and BETWEEN only order strings, numbers and binaries: a literal of
/// another type is refused when the expression is parsed.
fn check_ordered(p: &mut Parser, op: &str, operands: &[&Operand]) {
    let bad = operands
        .iter()
        .filter_map(|o| o.static_type())
        .find(|t| !matches!(*t, "S" | "N" | "B"));
    if let Some(t) = bad {
        p.defer(Kind::Misc, format!("Incorrect operand type for operator or function; operator or function: {op}, operand type: {t}"));
    }
}

/// AWS's rendering of a literal in messages: `{N:5}`, `{S:abc}`, `{B:AQ==}`.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::S(s) => format!("{{S:{s}}}"),
        Value::N(n) => format!("{{N:{n}}}"),
        Value::B(b) => format!("{{B:{}}}", STANDARD.encode(b)),
        Value::Bool(b) => format!("{{BOOL:{b}}}"),
        Value::Null => "{NULL:true}".to_owned(),
        other => format!("{{{}:...}}", other.type_name()),
    }
}

/// A function that is itself a condition (attribute_exists, begins_with...).
fn function_condition(p: &mut Parser, name: &str, mut args: Vec<Operand>) -> Cond {
    let path_arg = |p: &mut Parser, op: Operand| match op {
        Operand::Path(path) => Some(path),
        _ => {
            p.defer(
                Kind::Misc,
                format!(
                    "Operator or function requires a document path; operator or function: {name}"
                ),
            );
            None
        }
    };
    match name {
        "attribute_exists" | "attribute_not_exists" => {
            if !p.check_arity(name, &args, 1) {
                return Cond::Invalid;
            }
            match path_arg(p, args.swap_remove(0)) {
                Some(path) if name == "attribute_exists" => Cond::Exists(path),
                Some(path) => Cond::NotExists(path),
                None => Cond::Invalid,
            }
        }
        "attribute_type" => {
            if !p.check_arity(name, &args, 2) {
                return Cond::Invalid;
            }
            p.check_distinct(name, &args[0], &args[1]);
            let ty = args.pop();
            let subject = args.pop();
            match (subject, ty) {
                (Some(subject), Some(Operand::Value(Value::S(t)))) => {
                    if !TYPES.contains(&t.as_str()) {
                        p.defer(Kind::Misc, format!("Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"));
                    }
                    Cond::Type(subject, Value::S(t))
                }
                (_, Some(op)) => {
                    // A path where the type name belongs: AWS lists every type it could hold.
                    let t = op.static_type().unwrap_or("{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}");
                    if t != "S" {
                        p.defer(Kind::Misc, format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {t}"));
                    }
                    Cond::Invalid
                }
                _ => Cond::Invalid,
            }
        }
        "begins_with" | "contains" => {
            if !p.check_arity(name, &args, 2) {
                return Cond::Invalid;
            }
            let b = args.pop().unwrap_or(Operand::Value(Value::Null));
            let a = args.pop().unwrap_or(Operand::Value(Value::Null));
            p.check_distinct(name, &a, &b);
            if name == "begins_with" {
                for op in [&a, &b] {
                    if let Some(t) = op.static_type().filter(|t| !matches!(*t, "S" | "B")) {
                        p.defer(Kind::Misc, format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {t}"));
                    }
                }
                Cond::BeginsWith(a, b)
            } else {
                Cond::Contains(a, b)
            }
        }
        // A value-returning function cannot stand as a condition; unknown names were
        // recorded by `call`.
        "size" | "if_not_exists" | "list_append" => {
            p.misused(name);
            Cond::Invalid
        }
        _ => Cond::Invalid,
    }
}

/// size(): UTF-16 code units of a string (what DynamoDB counts: "é𝄞" is 3), bytes of a
/// binary, elements of a set, list or map.
pub(crate) fn size_of(v: &Value) -> Option<Number> {
    let n = match v {
        Value::S(s) => s.encode_utf16().count(),
        Value::B(b) => b.len(),
        Value::Ss(s) => s.len(),
        Value::Ns(s) => s.len(),
        Value::Bs(s) => s.len(),
        Value::L(l) => l.len(),
        Value::M(m) => m.len(),
        _ => return None,
    };
    Some(Number::from(i64::try_from(n).unwrap_or(i64::MAX)))
}

pub(crate) fn resolve<'a>(op: &'a Operand, item: &'a Item) -> Option<Cow<'a, Value>> {
    match op {
        Operand::Path(p) => p.get(item).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(o) => size_of(&*resolve(o, item)?).map(|n| Cow::Owned(Value::N(n))),
        // Update-only operands never reach a condition.
        _ => None,
    }
}

/// Order of two scalars of the same type (S by bytes, N numerically, B by bytes).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::S(x), Value::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::N(x), Value::N(y)) => Some(x.cmp(y)),
        (Value::B(x), Value::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn eval(c: &Cond, item: &Item) -> bool {
    match c {
        Cond::Cmp(op, a, b) => {
            let (a, b) = (resolve(a, item), resolve(b, item));
            match op {
                CmpOp::Eq => matches!((a, b), (Some(a), Some(b)) if a == b),
                CmpOp::Ne => !matches!((a, b), (Some(a), Some(b)) if a == b),
                _ => {
                    let (Some(a), Some(b)) = (a, b) else {
                        return false;
                    };
                    match compare(&a, &b) {
                        Some(o) => match op {
                            CmpOp::Lt => o == Ordering::Less,
                            CmpOp::Le => o != Ordering::Greater,
                            CmpOp::Gt => o == Ordering::Greater,
                            _ => o != Ordering::Less,
                        },
                        None => false,
                    }
                }
            }
        }
        Cond::Between(a, lo, hi) => {
            let (Some(a), Some(lo), Some(hi)) =
                (resolve(a, item), resolve(lo, item), resolve(hi, item))
            else {
                return false;
            };
            compare(&a, &lo).is_some_and(|o| o != Ordering::Less)
                && compare(&a, &hi).is_some_and(|o| o != Ordering::Greater)
        }
        Cond::In(a, list) => {
            let Some(a) = resolve(a, item) else {
                return false;
            };
            list.iter()
                .any(|o| resolve(o, item).is_some_and(|v| *v == *a))
        }
        Cond::And(a, b) => eval(a, item) && eval(b, item),
        Cond::Or(a, b) => eval(a, item) || eval(b, item),
        Cond::Not(a) => !eval(a, item),
        Cond::Paren(a) => eval(a, item),
        Cond::Exists(p) => p.get(item).is_some(),
        Cond::NotExists(p) => p.get(item).is_none(),
        Cond::Type(o, t) => match (resolve(o, item), t) {
            (Some(v), Value::S(t)) => v.type_name() == t,
            _ => false,
        },
        Cond::BeginsWith(a, b) => match (resolve(a, item), resolve(b, item)) {
            (Some(a), Some(b)) => match (&*a, &*b) {
                (Value::S(s), Value::S(p)) => s.starts_with(p.as_str()),
                (Value::B(s), Value::B(p)) => s.starts_with(p),
                _ => false,
            },
            _ => false,
        },
        Cond::Contains(a, b) => match (resolve(a, item), resolve(b, item)) {
            (Some(a), Some(b)) => contains(&a, &b),
            _ => false,
        },
        Cond::Invalid => false,
    }
}

fn contains(hay: &Value, needle: &Value) -> bool {
    match (hay, needle) {
        (Value::S(s), Value::S(n)) => s.contains(n.as_str()),
        // Undocumented but DynamoDB's behaviour: a binary contains a byte substring.
        (Value::B(b), Value::B(n)) => n.is_empty() || b.windows(n.len()).any(|w| w == n),
        (Value::Ss(s), Value::S(n)) => s.contains(n),
        (Value::Ns(s), Value::N(n)) => s.contains(n),
        (Value::Bs(s), Value::B(n)) => s.contains(n),
        (Value::L(l), n) => l.contains(n),
        _ => false,
    }
}
