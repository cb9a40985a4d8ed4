//! A policy document as IAM keeps it: the text exactly as submitted, compiled once.

use rolegate_policy::{CompiledPolicy, Policy, PolicyError, PolicyKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug)]
pub struct PolicyDoc {
    text: String,
    compiled: CompiledPolicy,
}

impl PolicyDoc {
    /// Parses and validates for `kind`, with IAM's MalformedPolicyDocument texts.
    pub fn new(text: &str, kind: PolicyKind) -> Result<PolicyDoc, PolicyError> {
        let policy = Policy::parse_for(text, kind)?;
        Ok(PolicyDoc {
            text: text.to_owned(),
            compiled: CompiledPolicy::new(&policy),
        })
    }

    /// A document already validated once (read back from the store).
    fn trusted(text: String) -> Result<PolicyDoc, PolicyError> {
        let policy = Policy::parse(&text)?;
        Ok(PolicyDoc {
            compiled: CompiledPolicy::new(&policy),
            text,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn compiled(&self) -> &CompiledPolicy {
        &self.compiled
    }

    pub fn policy(&self) -> &Policy {
        self.compiled.policy()
    }

    /// Names the compiled policy for explanations (its ARN or inline name).
    pub fn named(mut self, name: &str) -> PolicyDoc {
        self.compiled = self.compiled.with_name(name);
        self
    }
}

/// Equal when the stored text is: the name is derived from where the document sits, and only
/// the text is stored.
impl PartialEq for PolicyDoc {
    fn eq(&self, other: &PolicyDoc) -> bool {
        self.text == other.text
    }
}

impl Serialize for PolicyDoc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for PolicyDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PolicyDoc, D::Error> {
        let text = String::deserialize(d)?;
        PolicyDoc::trusted(text).map_err(serde::de::Error::custom)
    }
}
