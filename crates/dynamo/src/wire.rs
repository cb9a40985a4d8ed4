//! The JSON wire form of attribute values (`{"S":"x"}`, `{"N":"1"}`, `{"M":{..}}`...) and
//! DynamoDB's validation of it: exactly one type per value, numbers in range, sets non-empty
//! and without duplicates, NULL true.
//!
//! DynamoDB validates values in one of two layers depending on the operation, and they word a
//! bad number or a duplicate set member differently (captured against AWS in 2026):
//! [`Layer::Current`] for PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem and Query;
//! [`Layer::Older`] for BatchWriteItem, TransactWriteItems, TransactGetItems and Scan.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value as Json};

use crate::number::NOT_A_NUMBER;
use crate::{Error, Item, Number, Value};

const INVALID: &str = "One or more parameter values were invalid: ";

/// Which of DynamoDB's two value-validation layers an operation runs (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layer {
    #[default]
    Current,
    Older,
}
const TYPE_KEYS: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"];

/// The SerializationException AWS's JSON decoder gives for a member of the wrong JSON type.
fn wrong_json(found: &Json, expected: &str) -> Error {
    let what = match found {
        Json::Number(_) => "NUMBER_VALUE",
        Json::Bool(true) => "TRUE_VALUE",
        Json::Bool(false) => "FALSE_VALUE",
        Json::String(_) => "VALUE_STRING",
        Json::Array(_) => return Error::serialization("Start of list found where not expected"),
        Json::Object(_) => {
            return Error::serialization("Start of structure or map found where not expected.")
        }
        Json::Null => "NULL_VALUE",
    };
    Error::serialization(format!("{what} cannot be converted to {expected}"))
}

fn number(s: &str, layer: Layer) -> Result<Number, Error> {
    Number::parse(s).map_err(|e| {
        if e.message != NOT_A_NUMBER {
            e
        } else if s.is_empty() && layer == Layer::Older {
            // The older layer drops the colon when there is nothing to quote.
            Error::new("The parameter cannot be converted to a numeric value")
        } else {
            Error::new(format!(
                "The parameter cannot be converted to a numeric value: {s}"
            ))
        }
    })
}

fn binary(s: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(s)
        .map_err(|_| Error::serialization(format!("Invalid base64: \"{s}\"")))
}

fn strings(v: &Json) -> Result<Vec<&str>, Error> {
    let Json::Array(a) = v else {
        return Err(wrong_json(v, "List"));
    };
    a.iter()
        .map(|e| e.as_str().ok_or_else(|| wrong_json(e, "String")))
        .collect()
}

/// The first member of `members` equal to an earlier one, by index.
fn first_repeat<T: PartialEq>(members: &[T]) -> Option<usize> {
    (0..members.len()).find(|&i| members[..i].contains(&members[i]))
}

/// AWS's refusal of a string or binary set with a repeated member. The older layer lists the
/// members as sent; the current one quotes them, in byte order up to the first repeat, then
/// the repeat, then the rest as sent (binary sets without spaces).
fn duplicates(sent: &[&str], keys: &[Vec<u8>], repeat: usize, binary: bool, layer: Layer) -> Error {
    let suffix = if binary { "of type BS" } else { "" };
    let listed = match layer {
        Layer::Older => sent.join(", "),
        Layer::Current => {
            let mut before: Vec<usize> = (0..repeat).collect();
            before.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
            let shown = |i: usize| match binary {
                true => format!("\"{}\"", STANDARD.encode(&keys[i])),
                false => format!("\"{}\"", sent[i]),
            };
            before
                .into_iter()
                .chain(repeat..sent.len())
                .map(shown)
                .collect::<Vec<_>>()
                .join(if binary { "," } else { ", " })
        }
    };
    Error::new(format!(
        "{INVALID}Input collection [{listed}]{suffix} contains duplicates."
    ))
}

/// Deepest nesting DynamoDB stores: counting the attribute as level 1, nothing below level
/// 32 (so at most 31 lists or maps around a value).
const MAX_DEPTH: usize = 31;

pub(crate) const TOO_DEEP: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

/// Decodes and validates one attribute value from its wire form (current layer).
pub fn value_from_json(v: &Json) -> Result<Value, Error> {
    decode(v, 0, Layer::Current)
}

/// Decodes and validates one attribute value in the given validation layer.
pub fn value_from_json_in(v: &Json, layer: Layer) -> Result<Value, Error> {
    decode(v, 0, layer)
}

fn decode(v: &Json, depth: usize, layer: Layer) -> Result<Value, Error> {
    let Json::Object(obj) = v else {
        return Err(wrong_json(v, "AttributeValue"));
    };
    if depth > MAX_DEPTH {
        return Err(Error::new(TOO_DEEP));
    }
    // AWS checks numbers before the value's shape: `{"S": "a", "N": "b"}` is refused for its
    // number, and a number set's duplicates are found numerically here.
    if let Some(Json::String(n)) = obj.get("N") {
        number(n, layer)?;
    }
    if let Some(Json::Array(members)) = obj.get("NS") {
        let mut seen: Vec<Number> = Vec::with_capacity(members.len());
        for m in members {
            if let Json::String(n) = m {
                let n = number(n, layer)?;
                if seen.contains(&n) {
                    return Err(Error::new(match layer {
                        Layer::Current => format!("{INVALID}Input collection contains duplicates."),
                        Layer::Older => "Input collection contains duplicates".to_owned(),
                    }));
                }
                seen.push(n);
            }
        }
    }
    // A member set to JSON null counts as absent, as in AWS's decoder; unknown members are
    // ignored by it too.
    let mut set = TYPE_KEYS
        .iter()
        .filter_map(|&k| obj.get(k).filter(|x| !x.is_null()).map(|x| (k, x)));
    let Some((kind, inner)) = set.next() else {
        return Err(Error::new(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ));
    };
    if set.next().is_some() {
        return Err(Error::new("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"));
    }
    Ok(match kind {
        "S" => Value::S(
            inner
                .as_str()
                .ok_or_else(|| wrong_json(inner, "String"))?
                .to_owned(),
        ),
        "N" => Value::N(number(
            inner.as_str().ok_or_else(|| wrong_json(inner, "String"))?,
            layer,
        )?),
        "B" => Value::B(binary(
            inner.as_str().ok_or_else(|| wrong_json(inner, "Blob"))?,
        )?),
        "BOOL" => Value::Bool(
            inner
                .as_bool()
                .ok_or_else(|| wrong_json(inner, "Boolean"))?,
        ),
        "NULL" => {
            if !inner
                .as_bool()
                .ok_or_else(|| wrong_json(inner, "Boolean"))?
            {
                return Err(Error::new(format!(
                    "{INVALID}Null attribute value types must have the value of true"
                )));
            }
            Value::Null
        }
        "L" => {
            let Json::Array(a) = inner else {
                return Err(wrong_json(inner, "List"));
            };
            Value::L(
                a.iter()
                    .map(|e| decode(e, depth + 1, layer))
                    .collect::<Result<_, _>>()?,
            )
        }
        "M" => {
            let Json::Object(m) = inner else {
                return Err(wrong_json(inner, "Map"));
            };
            Value::M(decode_map(m, depth + 1, layer)?)
        }
        "SS" => {
            let s = strings(inner)?;
            if s.is_empty() {
                return Err(Error::new(format!(
                    "{INVALID}An string set  may not be empty"
                )));
            }
            if let Some(repeat) = first_repeat(&s) {
                let keys: Vec<Vec<u8>> = s.iter().map(|m| m.as_bytes().to_vec()).collect();
                return Err(duplicates(&s, &keys, repeat, false, layer));
            }
            Value::Ss(s.into_iter().map(str::to_owned).collect())
        }
        "NS" => {
            let s = strings(inner)?;
            if s.is_empty() {
                return Err(Error::new(format!(
                    "{INVALID}An number set  may not be empty"
                )));
            }
            // Validity and duplicates were checked above.
            Value::Ns(
                s.iter()
                    .map(|x| number(x, layer))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
        _ => {
            let s = strings(inner)?;
            if s.is_empty() {
                return Err(Error::new(format!(
                    "{INVALID}Binary sets should not be empty"
                )));
            }
            let bs = s.iter().map(|x| binary(x)).collect::<Result<Vec<_>, _>>()?;
            if let Some(repeat) = first_repeat(&bs) {
                return Err(duplicates(&s, &bs, repeat, true, layer));
            }
            Value::Bs(bs)
        }
    })
}

fn decode_map(m: &Map<String, Json>, depth: usize, layer: Layer) -> Result<Item, Error> {
    m.iter()
        .map(|(k, v)| Ok((k.clone(), decode(v, depth, layer)?)))
        .collect()
}

/// Decodes an item (a JSON object of attribute name to wire value), current layer.
pub fn item_from_json(v: &Json) -> Result<Item, Error> {
    item_from_json_in(v, Layer::Current)
}

/// Decodes an item in the given validation layer.
pub fn item_from_json_in(v: &Json, layer: Layer) -> Result<Item, Error> {
    let Json::Object(m) = v else {
        return Err(wrong_json(v, "Map"));
    };
    decode_map(m, 0, layer)
}

pub fn value_to_json(v: &Value) -> Json {
    let (k, inner) = match v {
        Value::S(s) => ("S", Json::String(s.clone())),
        Value::N(n) => ("N", Json::String(n.to_string())),
        Value::B(b) => ("B", Json::String(STANDARD.encode(b))),
        Value::Bool(b) => ("BOOL", Json::Bool(*b)),
        Value::Null => ("NULL", Json::Bool(true)),
        Value::L(l) => ("L", Json::Array(l.iter().map(value_to_json).collect())),
        Value::M(m) => ("M", item_to_json(m)),
        Value::Ss(s) => ("SS", s.iter().map(|x| Json::String(x.clone())).collect()),
        Value::Ns(s) => (
            "NS",
            s.iter().map(|x| Json::String(x.to_string())).collect(),
        ),
        Value::Bs(s) => (
            "BS",
            s.iter().map(|x| Json::String(STANDARD.encode(x))).collect(),
        ),
    };
    let mut m = Map::new();
    m.insert(k.to_owned(), inner);
    Json::Object(m)
}

pub fn item_to_json(i: &Item) -> Json {
    Json::Object(
        i.iter()
            .map(|(k, v)| (k.clone(), value_to_json(v)))
            .collect(),
    )
}

/// An item in its wire form, written straight to a serializer: the JSON of [`item_to_json`]
/// without building a `serde_json::Value` tree first (a map, a key and a value per attribute),
/// for the answers that carry whole items.
pub struct ItemJson<'a>(pub &'a Item);

impl Serialize for ItemJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, &ValueJson(v))?;
        }
        m.end()
    }
}

struct ValueJson<'a>(&'a Value);

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        match self.0 {
            Value::S(v) => m.serialize_entry("S", v)?,
            Value::N(n) => m.serialize_entry("N", &NumberJson(n))?,
            Value::B(b) => m.serialize_entry("B", &STANDARD.encode(b))?,
            Value::Bool(b) => m.serialize_entry("BOOL", b)?,
            Value::Null => m.serialize_entry("NULL", &true)?,
            Value::L(l) => m.serialize_entry("L", &ListJson(l))?,
            Value::M(i) => m.serialize_entry("M", &ItemJson(i))?,
            Value::Ss(v) => m.serialize_entry("SS", v)?,
            Value::Ns(v) => m.serialize_entry("NS", &NumbersJson(v))?,
            Value::Bs(v) => m.serialize_entry("BS", &BlobsJson(v))?,
        }
        m.end()
    }
}

/// A number as the string DynamoDB sends it.
struct NumberJson<'a>(&'a Number);

impl Serialize for NumberJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

struct ListJson<'a>(&'a [Value]);

impl Serialize for ListJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ValueJson))
    }
}

struct NumbersJson<'a>(&'a [Number]);

impl Serialize for NumbersJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(NumberJson))
    }
}

struct BlobsJson<'a>(&'a [Vec<u8>]);

impl Serialize for BlobsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|b| STANDARD.encode(b)))
    }
}
