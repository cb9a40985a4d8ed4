//! awsJson 1.0 / 1.1: a JSON object in (operation named by `X-Amz-Target`), a JSON object out,
//! and errors as `{"__type":"NotFoundException","message":"..."}` with the HTTP status.
//!
//! Blobs travel as base64 and timestamps as epoch seconds, as the SDKs expect.

use crate::error::ServiceError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const CONTENT_TYPE_1_0: &str = "application/x-amz-json-1.0";
pub const CONTENT_TYPE_1_1: &str = "application/x-amz-json-1.1";

/// The request body could not be read as the operation's input.
pub fn serialization(message: impl Into<String>) -> ServiceError {
    ServiceError::new(400, "SerializationException", message)
}

/// AWS's field name in validation messages: the member name with a lowercase first letter.
pub fn field_name(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `ValidationException` for a missing required member, as AWS words it.
pub fn missing(member: &str) -> ServiceError {
    ServiceError::new(
        400,
        "ValidationException",
        format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            field_name(member)
        ),
    )
}

/// Inputs with at most this many members are searched by name rather than by hash.
const SCAN_MEMBERS: usize = 16;

/// The decoded input of one request: a JSON object.
#[derive(Clone, Debug, Default)]
pub struct JsonInput {
    map: Map<String, Value>,
}

fn wrong_type(member: &str, expected: &str) -> ServiceError {
    serialization(format!("Expected {expected} for member {member}"))
}

impl JsonInput {
    /// Parses a request body; an empty body is an empty input.
    pub fn parse(body: &[u8]) -> Result<JsonInput, ServiceError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonInput::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => JsonInput::from_value(v),
            Err(_) => Err(serialization(
                "Start of structure or map found where not expected.",
            )),
        }
    }

    pub fn from_value(v: Value) -> Result<JsonInput, ServiceError> {
        match v {
            Value::Object(map) => Ok(JsonInput { map }),
            _ => Err(serialization(
                "Start of structure or map found where not expected.",
            )),
        }
    }

    /// The member's value, `None` when absent or null.
    pub fn get(&self, member: &str) -> Option<&Value> {
        // A scan: inputs have a handful of members, and the map's hash (SipHash) of every
        // looked-up name cost more than comparing the names.
        let v = if self.map.len() <= SCAN_MEMBERS {
            self.map.iter().find(|(k, _)| *k == member).map(|(_, v)| v)
        } else {
            self.map.get(member)
        };
        v.filter(|v| !v.is_null())
    }

    pub fn has(&self, member: &str) -> bool {
        self.get(member).is_some()
    }

    pub fn str(&self, member: &str) -> Result<Option<&str>, ServiceError> {
        match self.get(member) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(member, "a string")),
        }
    }

    pub fn required_str(&self, member: &str) -> Result<&str, ServiceError> {
        self.str(member)?.ok_or_else(|| missing(member))
    }

    pub fn int(&self, member: &str) -> Result<Option<i64>, ServiceError> {
        match self.get(member) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(member, "an integer")),
            Some(_) => Err(wrong_type(member, "an integer")),
        }
    }

    pub fn bool(&self, member: &str) -> Result<Option<bool>, ServiceError> {
        match self.get(member) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(member, "a boolean")),
        }
    }

    /// A blob member: base64 on the wire.
    pub fn blob(&self, member: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        match self.str(member)? {
            None => Ok(None),
            Some(s) => STANDARD.decode(s).map(Some).map_err(|_| {
                serialization(format!("Value for member {member} is not valid base64"))
            }),
        }
    }

    /// A map of strings (an encryption context); absent is empty.
    pub fn string_map(&self, member: &str) -> Result<BTreeMap<String, String>, ServiceError> {
        match self.get(member) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(wrong_type(member, "a map of strings")),
                })
                .collect(),
            Some(_) => Err(wrong_type(member, "a map of strings")),
        }
    }

    /// A list of strings; absent is empty.
    pub fn string_list(&self, member: &str) -> Result<Vec<String>, ServiceError> {
        match self.get(member) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(wrong_type(member, "a list of strings")),
                })
                .collect(),
            Some(_) => Err(wrong_type(member, "a list of strings")),
        }
    }

    /// A list of structures, each read as its own input; absent is empty.
    pub fn structs(&self, member: &str) -> Result<Vec<JsonInput>, ServiceError> {
        match self.get(member) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    JsonInput::from_value(v.clone())
                        .map_err(|_| wrong_type(member, "a list of structures"))
                })
                .collect(),
            Some(_) => Err(wrong_type(member, "a list of structures")),
        }
    }
}

/// Base64 for blob members of the output.
pub fn blob(bytes: &[u8]) -> Value {
    Value::String(STANDARD.encode(bytes))
}

/// A timestamp as awsJson writes it: epoch seconds.
pub fn timestamp(secs: i64) -> Value {
    Value::from(secs)
}

/// The awsJson error body.
pub fn error_body(e: &ServiceError) -> String {
    let mut m = Map::new();
    m.insert("__type".into(), Value::String(e.code.clone()));
    if !e.message.is_empty() {
        m.insert("message".into(), Value::String(e.message.clone()));
    }
    body(&Value::Object(m))
}

/// A JSON value as a response body. `serde_json::to_string` writes bytes straight into a
/// buffer; `Value`'s `Display` (`to_string()`) passes every token through the formatting
/// machinery, which showed in the profile of every awsJson response.
pub fn body(v: &Value) -> String {
    // A `Value` always serializes: its map keys are strings and its numbers finite.
    serde_json::to_string(v).unwrap_or_else(|_| String::from("{}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_errors() -> Result<(), ServiceError> {
        let i = JsonInput::parse(
            br#"{"KeyId":"k","Limit":5,"DryRun":true,"Plaintext":"aGk=","EncryptionContext":{"a":"b"},"TagKeys":["x"],"Tags":[{"TagKey":"k","TagValue":"v"}],"Marker":null}"#,
        )?;
        assert_eq!(i.required_str("KeyId")?, "k");
        assert_eq!(i.int("Limit")?, Some(5));
        assert_eq!(i.bool("DryRun")?, Some(true));
        assert_eq!(i.blob("Plaintext")?, Some(b"hi".to_vec()));
        assert_eq!(
            i.string_map("EncryptionContext")?
                .get("a")
                .map(String::as_str),
            Some("b")
        );
        assert_eq!(i.string_list("TagKeys")?, vec!["x".to_owned()]);
        assert_eq!(i.structs("Tags")?[0].str("TagValue")?, Some("v"));
        assert_eq!(i.str("Marker")?, None);
        assert_eq!(
            i.required_str("AliasName").err().map(|e| e.message),
            Some("1 validation error detected: Value null at 'aliasName' failed to satisfy constraint: Member must not be null".to_owned())
        );
        assert_eq!(
            i.str("Limit").err().map(|e| e.code),
            Some("SerializationException".to_owned())
        );
        assert!(JsonInput::parse(b"").is_ok());
        assert!(JsonInput::parse(b"[1]").is_err());
        assert!(JsonInput::parse(b"{nope").is_err());
        assert_eq!(
            error_body(&ServiceError::new(400, "NotFoundException", "gone")),
            r#"{"__type":"NotFoundException","message":"gone"}"#
        );
        assert_eq!(
            error_body(&ServiceError::new(400, "InvalidCiphertextException", "")),
            r#"{"__type":"InvalidCiphertextException"}"#
        );
        Ok(())
    }
}
