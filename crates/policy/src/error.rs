//! The one error a policy document can earn: IAM's `MalformedPolicyDocument`, with AWS's text.

/// A document AWS would refuse, carrying the exact message IAM returns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    message: String,
}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PolicyError {
            message: message.into(),
        }
    }

    /// "Syntax errors in policy.": what IAM answers for anything that is not the grammar.
    pub(crate) fn syntax() -> Self {
        PolicyError::new("Syntax errors in policy.")
    }

    /// The AWS error code (the same for every policy kind).
    pub fn code(&self) -> &'static str {
        "MalformedPolicyDocument"
    }

    /// The message, exactly as AWS words it.
    pub fn message(&self) -> &str {
        &self.message
    }
}
