//! A policy document as IAM keeps it: the text exactly as submitted, compiled on first use.
//!
//! Documents are validated when they are put, and read back from the store as text only:
//! compiling is deferred to the first evaluation, so start-up does not parse every policy of
//! every account (a million roles are two million documents), and documents never evaluated
//! never cost their compiled form's memory. A document is shared (`Arc`) by every version of
//! the catalog that holds it.

use rolegate_policy::{CompiledPolicy, Policy, PolicyError, PolicyKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Debug)]
pub struct PolicyDoc(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    text: Box<str>,
    /// Its ARN or inline name, for explanations.
    name: Option<Box<str>>,
    compiled: OnceLock<CompiledPolicy>,
}

/// What a stored document that no longer parses compiles to: it denies everything. Stored text
/// was validated when put and rows are authenticated, so this is only reachable if a later
/// parser refuses what an earlier one accepted; failing closed is then the only safe answer.
const UNREADABLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"UnreadableStoredPolicy","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// [`UNREADABLE`], compiled: a constant of ours that a test parses, so it cannot fail.
#[allow(clippy::expect_used)]
fn fail_closed() -> CompiledPolicy {
    CompiledPolicy::new(&Policy::parse(UNREADABLE).expect("UNREADABLE parses"))
}

impl PolicyDoc {
    /// Parses and validates for `kind`, with IAM's MalformedPolicyDocument texts.
    pub fn new(text: &str, kind: PolicyKind) -> Result<PolicyDoc, PolicyError> {
        let policy = Policy::parse_for(text, kind)?;
        let compiled = OnceLock::new();
        let _ = compiled.set(CompiledPolicy::new(&policy));
        Ok(PolicyDoc(Arc::new(Inner {
            text: text.into(),
            name: None,
            compiled,
        })))
    }

    /// A document already validated once (read back from the store): compiled when first used.
    fn trusted(text: String) -> PolicyDoc {
        PolicyDoc(Arc::new(Inner {
            text: text.into_boxed_str(),
            name: None,
            compiled: OnceLock::new(),
        }))
    }

    pub fn text(&self) -> &str {
        &self.0.text
    }

    pub fn compiled(&self) -> &CompiledPolicy {
        self.0.compiled.get_or_init(|| {
            let compiled = match Policy::parse(&self.0.text) {
                Ok(p) => CompiledPolicy::new(&p),
                Err(e) => {
                    tracing::error!(error = ?e, "a stored policy no longer parses; it now denies everything");
                    fail_closed()
                }
            };
            match &self.0.name {
                Some(n) => compiled.with_name(&**n),
                None => compiled,
            }
        })
    }

    pub fn policy(&self) -> &Policy {
        self.compiled().policy()
    }

    /// Names the document for explanations (its ARN or inline name).
    pub fn named(self, name: &str) -> PolicyDoc {
        if self.0.name.as_deref() == Some(name) {
            return self;
        }
        let compiled = OnceLock::new();
        if let Some(c) = self.0.compiled.get() {
            let _ = compiled.set(c.clone().with_name(name));
        }
        PolicyDoc(Arc::new(Inner {
            text: self.0.text.clone(),
            name: Some(name.into()),
            compiled,
        }))
    }
}

/// Equal when the stored text is: the name is derived from where the document sits, and only
/// the text is stored.
impl PartialEq for PolicyDoc {
    fn eq(&self, other: &PolicyDoc) -> bool {
        self.0.text == other.0.text
    }
}

impl Serialize for PolicyDoc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.text)
    }
}

impl<'de> Deserialize<'de> for PolicyDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PolicyDoc, D::Error> {
        String::deserialize(d).map(PolicyDoc::trusted)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_compiles_on_first_use_with_its_name() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let json = serde_json::to_string(text).unwrap();
        let doc: PolicyDoc = serde_json::from_str(&json).unwrap();
        let doc = doc.named("inline policy p of role r");
        assert!(doc.0.compiled.get().is_none(), "not compiled by loading");
        assert_eq!(doc.compiled().name(), Some("inline policy p of role r"));
        assert_eq!(doc.policy().statements.len(), 1);
        assert_eq!(serde_json::to_string(&doc).unwrap(), json);
    }

    #[test]
    fn a_stored_text_that_no_longer_parses_denies_everything() {
        let doc: PolicyDoc = serde_json::from_str(r#""{\"Statement\": 7}""#).unwrap();
        let st = &doc.policy().statements;
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].sid.as_deref(), Some("UnreadableStoredPolicy"));
    }
}
