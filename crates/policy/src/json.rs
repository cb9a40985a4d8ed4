//! A JSON reader for policy documents that keeps member order and refuses duplicate keys.
//!
//! `serde_json::Value` silently keeps the last of two equal keys; IAM rejects such documents,
//! and a policy that reads differently to two parsers is a security hole, so we read our own tree.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON value; scalars other than strings keep their JSON spelling (`true`, `12`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn parse(src: &str) -> Option<Json> {
        let mut de = serde_json::Deserializer::from_str(src);
        let value = Json::deserialize_from(&mut de).ok()?;
        de.end().ok()?;
        Some(value)
    }

    fn deserialize_from<'de, D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

struct Seed;

impl<'de> de::DeserializeSeed<'de> for Seed {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize_from(d)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom("duplicate key"));
            }
            let value = map.next_value_seed(Seed)?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn write_str(out: &mut String, s: &str) {
    // serde_json's string escaping cannot fail for a &str.
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(Json::parse(r#"{"a":1,"a":2}"#).is_none());
        assert!(Json::parse(r#"{"a":{"b":1,"b":1}}"#).is_none());
        assert!(Json::parse(r#"{"a":1,"b":2}"#).is_some());
    }

    #[test]
    fn trailing_garbage_is_refused() {
        assert!(Json::parse(r#"{"a":1} x"#).is_none());
    }

    #[test]
    fn scalars_keep_their_spelling() {
        assert_eq!(
            Json::parse(r#"[true, 12, "x", null]"#),
            Some(Json::Array(vec![
                Json::Bool(true),
                Json::Number("12".into()),
                Json::String("x".into()),
                Json::Null
            ]))
        );
    }
}
