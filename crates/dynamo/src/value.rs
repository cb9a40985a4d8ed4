//! Attribute values and items, DynamoDB's item-size rules, and the ordering of key values
//! (with an order-preserving byte encoding so keys can live in ordered byte maps).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::Number;

/// One DynamoDB attribute value. Sets keep their elements in the order given; equality treats
/// them as sets.
#[derive(Debug, Clone)]
pub enum Value {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(Item),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

/// An item (or a map value): attribute name to value.
pub type Item = BTreeMap<String, Value>;

impl Value {
    /// The wire type key ("S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"), which is
    /// also how DynamoDB names the type in messages and in attribute_type().
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::S(_) => "S",
            Value::N(_) => "N",
            Value::B(_) => "B",
            Value::Bool(_) => "BOOL",
            Value::Null => "NULL",
            Value::L(_) => "L",
            Value::M(_) => "M",
            Value::Ss(_) => "SS",
            Value::Ns(_) => "NS",
            Value::Bs(_) => "BS",
        }
    }

    pub fn is_set(&self) -> bool {
        matches!(self, Value::Ss(_) | Value::Ns(_) | Value::Bs(_))
    }
}

fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::S(a), Value::S(b)) => a == b,
            (Value::N(a), Value::N(b)) => a == b,
            (Value::B(a), Value::B(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Null, Value::Null) => true,
            (Value::L(a), Value::L(b)) => a == b,
            (Value::M(a), Value::M(b)) => a == b,
            (Value::Ss(a), Value::Ss(b)) => same_set(a, b),
            (Value::Ns(a), Value::Ns(b)) => same_set(a, b),
            (Value::Bs(a), Value::Bs(b)) => same_set(a, b),
            _ => false,
        }
    }
}

impl Eq for Value {}

/// How many lists and maps nest inside each other in `v` (0 for a scalar or a set).
pub fn nesting_depth(v: &Value) -> usize {
    match v {
        Value::L(l) => 1 + l.iter().map(nesting_depth).max().unwrap_or(0),
        Value::M(m) => 1 + m.values().map(nesting_depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn number_size(n: &Number) -> usize {
    n.stored_size()
}

/// The size DynamoDB charges for a value (without its attribute name): strings and binaries
/// by length, numbers by significant digits (see `Number::stored_size`), BOOL/NULL one byte, sets the sum of their
/// elements, lists and maps three bytes plus one per element plus their contents.
pub fn value_size(v: &Value) -> usize {
    match v {
        Value::S(s) => s.len(),
        Value::N(n) => number_size(n),
        Value::B(b) => b.len(),
        Value::Bool(_) | Value::Null => 1,
        Value::L(l) => 3 + l.iter().map(|e| value_size(e) + 1).sum::<usize>(),
        Value::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| k.len() + value_size(e) + 1)
                .sum::<usize>()
        }
        Value::Ss(s) => s.iter().map(String::len).sum(),
        Value::Ns(s) => s.iter().map(number_size).sum(),
        Value::Bs(s) => s.iter().map(Vec::len).sum(),
    }
}

/// An item's size for the 400 KB limit: each attribute's name length plus its value's size.
pub fn item_size(i: &Item) -> usize {
    i.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn type_rank(v: &Value) -> u8 {
    match v {
        Value::S(_) => 1,
        Value::N(_) => 2,
        Value::B(_) => 3,
        _ => 4,
    }
}

/// Sort-key order: strings by UTF-8 bytes, numbers numerically, binaries by bytes. Values of
/// different types (never in one key) order by type; non-key types compare equal among
/// themselves after that.
pub fn key_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::S(x), Value::S(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::N(x), Value::N(y)) => x.cmp(y),
        (Value::B(x), Value::B(y)) => x.cmp(y),
        _ => type_rank(a).cmp(&type_rank(b)),
    }
}

/// Escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x01: keeps byte order and makes the
/// encoding prefix-free, so encoded keys can be concatenated (partition then sort).
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// An order-preserving, prefix-free byte encoding of an S, N or B key value: comparing two
/// encodings of same-typed values with memcmp gives `key_cmp`'s order. Other types (never
/// keys) encode by type tag only.
pub fn key_bytes(v: &Value) -> Vec<u8> {
    let mut out = vec![type_rank(v)];
    match v {
        Value::S(s) => push_escaped(&mut out, s.as_bytes()),
        Value::B(b) => push_escaped(&mut out, b),
        Value::N(n) => {
            // Sign class, then the leading digit's exponent (-130..=125 fits one byte after
            // adding 130), then digits 1..=10 ended by 0: a shorter digit string is a smaller
            // magnitude. Negatives invert every byte so larger magnitudes sort first.
            if n.is_zero() {
                out.push(1);
                return out;
            }
            let exp = (n.adjusted_exponent() + 130).clamp(0, 255) as u8;
            if n.is_negative() {
                out.push(0);
                out.push(255 - exp);
                out.extend(n.digits().iter().map(|d| 254 - d));
                out.push(255);
            } else {
                out.push(2);
                out.push(exp);
                out.extend(n.digits().iter().map(|d| d + 1));
                out.push(0);
            }
        }
        _ => {}
    }
    out
}
