//! KeyConditionExpression of a Query: equality on the partition key and at most one condition
//! on the sort key. Parsed with the condition grammar, then checked in AWS's order: forbidden
//! operators anywhere, then each condition's shape, then one condition per key, then the key
//! schema (names and types).

use std::cmp::Ordering;

use crate::condition::{describe, CmpOp, Cond};
use crate::parser::Operand;
use crate::path::Path;
use crate::{key_cmp, Condition, Error, Substitutions, Value};

#[derive(Debug, Clone)]
pub struct KeyCondition {
    pub partition: Value,
    pub sort: Option<SortCondition>,
}

#[derive(Debug, Clone)]
pub enum SortCondition {
    Eq(Value),
    Lt(Value),
    Le(Value),
    Gt(Value),
    Ge(Value),
    Between(Value, Value),
    BeginsWith(Value),
}

impl SortCondition {
    /// True when the sort-key value `v` satisfies the condition (key order: S and B by bytes,
    /// N numerically).
    pub fn matches(&self, v: &Value) -> bool {
        match self {
            SortCondition::Eq(x) => key_cmp(v, x) == Ordering::Equal,
            SortCondition::Lt(x) => key_cmp(v, x) == Ordering::Less,
            SortCondition::Le(x) => key_cmp(v, x) != Ordering::Greater,
            SortCondition::Gt(x) => key_cmp(v, x) == Ordering::Greater,
            SortCondition::Ge(x) => key_cmp(v, x) != Ordering::Less,
            SortCondition::Between(a, b) => {
                key_cmp(v, a) != Ordering::Less && key_cmp(v, b) != Ordering::Greater
            }
            SortCondition::BeginsWith(p) => match (v, p) {
                (Value::S(s), Value::S(p)) => s.starts_with(p.as_str()),
                (Value::B(s), Value::B(p)) => s.starts_with(p),
                _ => false,
            },
        }
    }

    fn values(&self) -> Vec<&Value> {
        match self {
            SortCondition::Eq(v)
            | SortCondition::Lt(v)
            | SortCondition::Le(v)
            | SortCondition::Gt(v)
            | SortCondition::Ge(v)
            | SortCondition::BeginsWith(v) => vec![v],
            SortCondition::Between(a, b) => vec![a, b],
        }
    }
}

/// One `key op value` condition, before it is matched to the key schema.
struct Term<'a> {
    path: &'a Path,
    cond: SortCondition,
}

fn invalid_operator(op: &str) -> Error {
    Error::new(format!(
        "Invalid operator used in KeyConditionExpression: {op}"
    ))
}

/// Refuses, anywhere in the expression, what a key condition cannot use.
fn check_operators(c: &Cond) -> Result<(), Error> {
    match c {
        Cond::And(a, b) => {
            check_operators(a)?;
            check_operators(b)
        }
        Cond::Paren(a) => check_operators(a),
        Cond::Or(..) => Err(invalid_operator("OR")),
        Cond::Not(_) => Err(invalid_operator("NOT")),
        Cond::In(..) => Err(invalid_operator("IN")),
        Cond::Exists(_) => Err(invalid_operator("attribute_exists")),
        Cond::NotExists(_) => Err(invalid_operator("attribute_not_exists")),
        Cond::Type(..) => Err(invalid_operator("attribute_type")),
        Cond::Contains(..) => Err(invalid_operator("contains")),
        Cond::Cmp(CmpOp::Ne, ..) => Err(invalid_operator(CmpOp::Ne.symbol())),
        _ => Ok(()),
    }
}

fn conjuncts<'a>(c: &'a Cond, out: &mut Vec<&'a Cond>) {
    match c {
        Cond::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        Cond::Paren(a) => conjuncts(a, out),
        other => out.push(other),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// Checks one condition's operands in order, as AWS does, and builds its term.
fn term(c: &Cond) -> Result<Term<'_>, Error> {
    let (operands, function): (Vec<&Operand>, Option<&str>) = match c {
        Cond::Cmp(_, a, b) => (vec![a, b], None),
        Cond::Between(a, lo, hi) => (vec![a, lo, hi], Some("BETWEEN")),
        Cond::BeginsWith(a, b) => (vec![a, b], Some("begins_with")),
        _ => return Err(Error::new("Query key condition not supported")),
    };
    let mut key: Option<(usize, &Path)> = None;
    let mut values = Vec::new();
    for (i, op) in operands.iter().enumerate() {
        match op {
            Operand::Path(p) => {
                if key.is_some() {
                    return Err(Error::new("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"));
                }
                if p.0.len() > 1 {
                    return Err(Error::new(
                        "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes",
                    ));
                }
                key = Some((i, p));
            }
            Operand::Value(v) => {
                if let (0, Some(f)) = (i, function) {
                    return Err(Error::new(format!("Invalid condition in KeyConditionExpression: {f} operator must have the key attribute as its first operand")));
                }
                values.push(v.clone());
            }
            _ => {
                return Err(Error::new(
                    "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations",
                ))
            }
        }
    }
    let Some((position, path)) = key else {
        return Err(Error::new(
            "Invalid condition in KeyConditionExpression: No key attribute specified",
        ));
    };
    let mut values = values.into_iter();
    let mut next = || values.next().unwrap_or(Value::Null);
    let cond = match c {
        Cond::Cmp(op, ..) => {
            // `:v < key` reads as `key > :v`.
            let op = if position == 0 { *op } else { flip(*op) };
            let v = next();
            match op {
                CmpOp::Eq => SortCondition::Eq(v),
                CmpOp::Lt => SortCondition::Lt(v),
                CmpOp::Le => SortCondition::Le(v),
                CmpOp::Gt => SortCondition::Gt(v),
                _ => SortCondition::Ge(v),
            }
        }
        Cond::Between(..) => {
            let lo = next();
            SortCondition::Between(lo, next())
        }
        _ => SortCondition::BeginsWith(next()),
    };
    Ok(Term { path, cond })
}

/// True when `v` is a scalar of the key's declared type ('S', 'N' or 'B').
fn typed(v: &Value, ty: char) -> bool {
    matches!(
        (v, ty),
        (Value::S(_), 'S') | (Value::N(_), 'N') | (Value::B(_), 'B')
    )
}

const MISMATCH: &str = "One or more parameter values were invalid: Condition parameter type does not match schema type";

impl KeyCondition {
    /// Parses a Query's KeyConditionExpression against the key schema of the table or index
    /// queried: `hash`/`range` are the key attribute names with their types ('S'|'N'|'B').
    pub fn parse(
        text: &str,
        subs: &mut Substitutions,
        hash: (&str, char),
        range: Option<(&str, char)>,
    ) -> Result<KeyCondition, Error> {
        let parsed = Condition::parse_as(text, subs, "KeyConditionExpression")?;
        check_operators(&parsed.cond)?;
        let mut leaves = Vec::new();
        conjuncts(&parsed.cond, &mut leaves);
        let terms = leaves
            .into_iter()
            .map(term)
            .collect::<Result<Vec<_>, _>>()?;
        for (i, t) in terms.iter().enumerate() {
            if terms[..i].iter().any(|u| u.path.top() == t.path.top()) {
                return Err(Error::new(
                    "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
                ));
            }
        }
        let key_count = 1 + usize::from(range.is_some());
        if terms.len() > key_count {
            return Err(Error::new(format!(
                "The number of query conditions ({}) exceeds the number of key attributes defined in the schema ({key_count})",
                terms.len()
            )));
        }
        let is_key = |name: &str| name == hash.0 || range.is_some_and(|r| r.0 == name);
        if terms.iter().any(|t| !is_key(t.path.top())) {
            let has_hash = terms.iter().any(|t| t.path.top() == hash.0);
            let missing = if has_hash {
                range.map_or(hash.0, |r| r.0)
            } else {
                hash.0
            };
            return Err(Error::new(format!(
                "Query condition missed key schema element: {missing}"
            )));
        }
        let mut partition = None;
        let mut sort = None;
        for t in terms {
            if t.path.top() == hash.0 {
                let SortCondition::Eq(v) = t.cond else {
                    return Err(Error::new("Query key condition not supported"));
                };
                if !typed(&v, hash.1) {
                    return Err(Error::new(MISMATCH));
                }
                let empty = match &v {
                    Value::S(s) if s.is_empty() => Some("string"),
                    Value::B(b) if b.is_empty() => Some("binary"),
                    _ => None,
                };
                if let Some(kind) = empty {
                    return Err(Error::new(format!("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}", hash.0)));
                }
                partition = Some(v);
                continue;
            }
            let ty = range.map_or('S', |r| r.1);
            if t.cond.values().iter().any(|v| !typed(v, ty)) {
                return Err(Error::new(MISMATCH));
            }
            if let (SortCondition::BeginsWith(_), 'N') = (&t.cond, ty) {
                return Err(Error::new(MISMATCH));
            }
            if let SortCondition::Between(lo, hi) = &t.cond {
                if key_cmp(lo, hi) == Ordering::Greater {
                    return Err(Error::new(format!("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}", describe(lo), describe(hi))));
                }
            }
            sort = Some(t.cond);
        }
        let Some(partition) = partition else {
            return Err(Error::new(format!(
                "Query condition missed key schema element: {}",
                hash.0
            )));
        };
        Ok(KeyCondition { partition, sort })
    }
}
