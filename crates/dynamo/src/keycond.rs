//! KeyConditionExpression of a Query: the partition key's value and an optional condition on
//! the sort key.

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
    pub fn matches(&self, v: &Value) -> bool {
        use std::cmp::Ordering::*;
        match self {
            SortCondition::Eq(x) => key_cmp(v, x) == Equal,
            SortCondition::Lt(x) => key_cmp(v, x) == Less,
            SortCondition::Le(x) => key_cmp(v, x) != Greater,
            SortCondition::Gt(x) => key_cmp(v, x) == Greater,
            SortCondition::Ge(x) => key_cmp(v, x) != Less,
            SortCondition::Between(a, b) => key_cmp(v, a) != Less && key_cmp(v, b) != Greater,
            SortCondition::BeginsWith(p) => match (v, p) {
                (Value::S(s), Value::S(p)) => s.starts_with(p.as_str()),
                (Value::B(s), Value::B(p)) => s.starts_with(p),
                _ => false,
            },
        }
    }
}

/// One `key op value` term of a key condition, before it is matched to the key schema.
struct Term<'a> {
    path: &'a Path,
    cond: SortCondition,
}

fn not_supported(op: &str) -> Error {
    Error::new(format!(
        "Invalid operator used in KeyConditionExpression: {op}"
    ))
}

/// The AND-ed terms of a key condition; any other connective is refused.
fn terms<'a>(c: &'a Cond, out: &mut Vec<Term<'a>>) -> Result<(), Error> {
    let unsupported = || Error::new("Query key condition not supported");
    match c {
        Cond::And(a, b) => {
            terms(a, out)?;
            terms(b, out)
        }
        Cond::Paren(a) => terms(a, out),
        Cond::Or(..) => Err(not_supported("OR")),
        Cond::Not(_) => Err(not_supported("NOT")),
        Cond::In(..) => Err(not_supported("IN")),
        Cond::Exists(_) => Err(not_supported("attribute_exists")),
        Cond::NotExists(_) => Err(not_supported("attribute_not_exists")),
        Cond::Type(..) => Err(not_supported("attribute_type")),
        Cond::Contains(..) => Err(not_supported("contains")),
        Cond::Cmp(CmpOp::Ne, ..) => Err(not_supported(CmpOp::Ne.symbol())),
        Cond::Cmp(op, a, b) => {
            // `:v < key` reads as `key > :v`.
            let (path, v, op) = match (a, b) {
                (Operand::Path(p), Operand::Value(v)) => (p, v, *op),
                (Operand::Value(v), Operand::Path(p)) => (p, v, flip(*op)),
                (Operand::Size(_), _) | (_, Operand::Size(_)) => return Err(not_supported("size")),
                _ => return Err(unsupported()),
            };
            let v = v.clone();
            let cond = match op {
                CmpOp::Eq => SortCondition::Eq(v),
                CmpOp::Lt => SortCondition::Lt(v),
                CmpOp::Le => SortCondition::Le(v),
                CmpOp::Gt => SortCondition::Gt(v),
                _ => SortCondition::Ge(v),
            };
            out.push(Term { path, cond });
            Ok(())
        }
        Cond::Between(Operand::Path(path), Operand::Value(lo), Operand::Value(hi)) => {
            out.push(Term {
                path,
                cond: SortCondition::Between(lo.clone(), hi.clone()),
            });
            Ok(())
        }
        Cond::BeginsWith(Operand::Path(path), Operand::Value(prefix)) => {
            out.push(Term {
                path,
                cond: SortCondition::BeginsWith(prefix.clone()),
            });
            Ok(())
        }
        _ => Err(unsupported()),
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

/// True when `v` is a scalar of the key's declared type ('S', 'N' or 'B').
fn typed(v: &Value, ty: char) -> bool {
    matches!(
        (v, ty),
        (Value::S(_), 'S') | (Value::N(_), 'N') | (Value::B(_), 'B')
    )
}

impl SortCondition {
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
        let mut found = Vec::new();
        terms(&parsed.cond, &mut found)?;
        if found.len() > 2 {
            return Err(Error::new(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        if found.iter().any(|t| t.path.0.len() > 1) {
            return Err(Error::new(
                "KeyConditionExpressions cannot have conditions on nested attributes",
            ));
        }
        if found.len() == 2 && found[0].path.top() == found[1].path.top() {
            return Err(Error::new(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        if found
            .iter()
            .any(|t| t.path.top() != hash.0 && range.is_none_or(|r| r.0 != t.path.top()))
        {
            let has_hash = found.iter().any(|t| t.path.top() == hash.0);
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
        for t in found {
            if t.path.top() == hash.0 {
                let SortCondition::Eq(v) = t.cond else {
                    return Err(Error::new("Query key condition not supported"));
                };
                if !typed(&v, hash.1) {
                    return Err(Error::new(MISMATCH));
                }
                partition = Some(v);
                continue;
            }
            let ty = range.map_or('S', |r| r.1);
            if let SortCondition::BeginsWith(v) = &t.cond {
                if ty == 'N' || !matches!(v, Value::S(_) | Value::B(_)) {
                    return Err(Error::new(format!("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}", if ty == 'N' { "N" } else { v.type_name() })));
                }
            }
            if t.cond.values().iter().any(|v| !typed(v, ty)) {
                return Err(Error::new(MISMATCH));
            }
            if let SortCondition::Between(lo, hi) = &t.cond {
                if key_cmp(lo, hi) == std::cmp::Ordering::Greater {
                    return Err(Error::new(format!("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: AttributeValue: {}, upper operand: AttributeValue: {}", describe(lo), describe(hi))));
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

const MISMATCH: &str =
    "One or more parameter values were invalid: Condition parameter type does not match schema type";
