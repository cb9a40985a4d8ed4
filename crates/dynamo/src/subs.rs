//! ExpressionAttributeNames and ExpressionAttributeValues of one request: validated once,
//! shared by all the request's expressions, and tracked so unused entries can be refused as
//! DynamoDB does.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::{value_from_json_in, Error, Layer, Value};

#[derive(Debug, Clone, Default)]
pub struct Substitutions {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, Value>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

fn valid_key(k: &str, sigil: char) -> bool {
    let mut chars = k.chars();
    chars.next() == Some(sigil)
        && k.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Substitutions {
    pub fn new(
        names: Option<BTreeMap<String, String>>,
        values: Option<BTreeMap<String, Value>>,
    ) -> Result<Substitutions, Error> {
        if let Some(n) = &names {
            if n.is_empty() {
                return Err(Error::new("ExpressionAttributeNames must not be empty"));
            }
            if let Some(k) = n.keys().find(|k| !valid_key(k, '#')) {
                return Err(Error::new(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
            if let Some((k, _)) = n.iter().find(|(_, v)| v.is_empty()) {
                return Err(Error::new(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                )));
            }
        }
        if let Some(v) = &values {
            if v.is_empty() {
                return Err(Error::new("ExpressionAttributeValues must not be empty"));
            }
            if let Some(k) = v.keys().find(|k| !valid_key(k, ':')) {
                return Err(Error::new(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
        }
        Ok(Substitutions {
            names: names.unwrap_or_default(),
            values: values.unwrap_or_default(),
            ..Substitutions::default()
        })
    }

    /// Builds from the request's raw JSON members, decoding each value in the current
    /// validation layer (a bad value is reported as for any other value).
    pub fn from_json(names: Option<&Json>, values: Option<&Json>) -> Result<Substitutions, Error> {
        Substitutions::from_json_in(names, values, Layer::Current)
    }

    /// As `from_json`, in the given validation layer: the older layer wraps a bad value in
    /// "ExpressionAttributeValues contains invalid value: ... for key :v".
    pub fn from_json_in(
        names: Option<&Json>,
        values: Option<&Json>,
        layer: Layer,
    ) -> Result<Substitutions, Error> {
        let names = match names.filter(|n| !n.is_null()) {
            None => None,
            Some(Json::Object(m)) => Some(
                m.iter()
                    .map(|(k, v)| match v {
                        Json::String(s) => Ok((k.clone(), s.clone())),
                        _ => Err(Error::serialization(
                            "Unexpected value type in ExpressionAttributeNames",
                        )),
                    })
                    .collect::<Result<BTreeMap<_, _>, _>>()?,
            ),
            Some(_) => {
                return Err(Error::serialization(
                    "Unexpected value type in ExpressionAttributeNames",
                ))
            }
        };
        let values = match values.filter(|v| !v.is_null()) {
            None => None,
            Some(Json::Object(m)) => Some(
                m.iter()
                    .map(|(k, v)| {
                        value_from_json_in(v, layer).map(|v| (k.clone(), v)).map_err(|e| {
                            if e.code == "ValidationException" && layer == Layer::Older {
                                Error::new(format!(
                                    "ExpressionAttributeValues contains invalid value: {} for key {k}",
                                    e.message
                                ))
                            } else {
                                e
                            }
                        })
                    })
                    .collect::<Result<BTreeMap<_, _>, _>>()?,
            ),
            Some(_) => {
                return Err(Error::serialization(
                    "Unexpected value type in ExpressionAttributeValues",
                ))
            }
        };
        Substitutions::new(names, values)
    }

    /// Resolves `#name`, recording it as used.
    pub(crate) fn name(&mut self, key: &str) -> Result<String, Error> {
        match self.names.get(key) {
            Some(n) => {
                self.used_names.insert(key.to_owned());
                Ok(n.clone())
            }
            None => Err(Error::new(format!(
                "An expression attribute name used in the document path is not defined; attribute name: {key}"
            ))),
        }
    }

    /// Resolves `:value`, recording it as used.
    pub(crate) fn value(&mut self, key: &str) -> Result<Value, Error> {
        match self.values.get(key) {
            Some(v) => {
                self.used_values.insert(key.to_owned());
                Ok(v.clone())
            }
            None => Err(Error::new(format!(
                "An expression attribute value used in expression is not defined; attribute value: {key}"
            ))),
        }
    }

    /// Refuses the request when a substitution was given but no expression used it.
    pub fn check_all_used(&self) -> Result<(), Error> {
        let unused = |all: Vec<&String>, used: &BTreeSet<String>| -> Vec<String> {
            all.into_iter()
                .filter(|k| !used.contains(*k))
                .cloned()
                .collect()
        };
        let names = unused(self.names.keys().collect(), &self.used_names);
        if !names.is_empty() {
            return Err(Error::new(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.keys().collect(), &self.used_values);
        if !values.is_empty() {
            return Err(Error::new(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }
}
