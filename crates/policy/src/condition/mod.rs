//! Condition operators: names, compiled values and the AND/OR/NOR rules that combine them.
//!
//! "Multiple condition operators: logical AND. Multiple context keys in one operator: AND.
//! Multiple values for one key: OR. A negated operator with multiple values: NOR." Missing keys
//! make a condition false, except for negated operators (true), `...IfExists` (true), `Null`,
//! and the set operators (`ForAllValues` true, `ForAnyValue` false).

mod operator;
mod values;

pub(crate) use operator::{Family, Operator, SetOp};
pub(crate) use values::{parse_bool, parse_date, parse_number, Values};

use crate::ast::ConditionBlock;
use crate::context::{key_hash, Context, ContextValue, Typed};

/// One operator applied to one key with its values (a condition block is a list of these, ANDed).
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    pub(crate) operator: Option<Operator>,
    pub(crate) operator_text: Box<str>,
    /// The key as written, for explanations.
    pub(crate) key_text: Box<str>,
    pub(crate) key: Box<str>,
    key_hash: u64,
    pub(crate) values: Values,
}

pub(crate) fn compile_block(block: &ConditionBlock, variables: bool) -> Vec<Condition> {
    let mut out = Vec::new();
    for entry in &block.0 {
        let operator = Operator::parse(&entry.operator);
        for (key, vals) in &entry.keys {
            out.push(Condition {
                operator,
                operator_text: entry.operator.as_str().into(),
                key_text: key.as_str().into(),
                key_hash: key_hash(&key.to_lowercase()),
                key: key.to_lowercase().into_boxed_str(),
                values: match operator {
                    Some(op) => Values::compile(op.family, vals.as_slice(), variables),
                    None => Values::Unknown,
                },
            });
        }
    }
    out
}

impl Condition {
    pub(crate) fn evaluate(&self, ctx: &Context) -> bool {
        // An operator IAM does not know only passes validation with an empty block; it then
        // contributes no key, so this is unreachable for validated policies. Fail closed.
        let Some(op) = self.operator else {
            return false;
        };
        let found = ctx.get_hashed(self.key_hash, &self.key);
        if op.family == Family::Null {
            return self
                .values
                .null_matches(found.is_none_or(|(v, _)| is_empty(v)));
        }
        let Some((value, typed)) = found else {
            return match op.set {
                SetOp::ForAllValues => true,
                SetOp::ForAnyValue => false,
                SetOp::None => op.if_exists || op.negated,
            };
        };
        let mut request_values = value.values().iter().zip(typed);
        match op.set {
            // "true if every request value matches at least one policy value"; an empty set
            // (no value, or a lone empty string) is vacuously true.
            SetOp::ForAllValues => request_values
                .filter(|(v, _)| !v.is_empty())
                .all(|(v, t)| self.one(op, v, t, ctx)),
            SetOp::ForAnyValue => request_values
                .filter(|(v, _)| !v.is_empty())
                .any(|(v, t)| self.one(op, v, t, ctx)),
            // A plain operator on a multivalued key: true if any value satisfies it (a
            // single-valued key behaves as a one-element set).
            SetOp::None => request_values.any(|(v, t)| self.one(op, v, t, ctx)),
        }
    }

    /// One request value against all policy values: OR for positive operators, NOR for negated.
    fn one(&self, op: Operator, value: &str, typed: &Typed, ctx: &Context) -> bool {
        self.values.any_matches(op, value, typed, ctx) != op.negated
    }
}

fn is_empty(v: &ContextValue) -> bool {
    match v {
        ContextValue::Single(s) => s.is_empty(),
        ContextValue::Multi(items) => items.is_empty(),
    }
}
