//! KeyConditionExpression of a Query: the partition key's value and an optional condition on
//! the sort key.

use crate::{key_cmp, Error, Substitutions, Value};

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

impl KeyCondition {
    pub fn parse(
        _text: &str,
        _subs: &mut Substitutions,
        _hash: (&str, char),
        _range: Option<(&str, char)>,
    ) -> Result<KeyCondition, Error> {
        Err(Error::new("KeyConditionExpression is not implemented yet"))
    }
}
