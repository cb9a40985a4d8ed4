//! KMS (awsJson 1.1, `TrentService`): symmetric encryption keys, their aliases, key policies and
//! tags, and the cryptographic operations. One file per group of operations.
//!
//! Every operation on a key is authorized with the key policy as the resource policy of kind
//! `KmsKey`: the key policy must allow, so IAM policies count only where it names the account
//! (the default key policy does), and another account's principal needs both the key policy and
//! its own identity policy.

mod aliases;
mod common;
mod crypto;
mod keys;
mod policy;
mod tags;
#[cfg(test)]
mod tests;

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::json::JsonInput;
use serde_json::Value;

/// The `X-Amz-Target` prefix of KMS operations.
pub const TARGET_PREFIX: &str = "TrentService";

/// A handler returns the operation's output object.
pub type Handler = fn(&mut Ctx<'_>, &JsonInput) -> Result<Value, ServiceError>;

/// Every routed KMS operation, group by group.
pub fn operations() -> impl Iterator<Item = (&'static str, Handler)> {
    [keys::OPS, aliases::OPS, crypto::OPS, policy::OPS, tags::OPS]
        .into_iter()
        .flatten()
        .copied()
}

pub fn find(operation: &str) -> Option<Handler> {
    operations()
        .find(|(name, _)| *name == operation)
        .map(|(_, h)| h)
}

/// Errors in KMS's terms: the authorizer's `AccessDenied` is KMS's `AccessDeniedException`
/// (HTTP 400), shape errors are `ValidationException`, internal ones `KMSInternalException`.
pub fn map_error(e: ServiceError) -> ServiceError {
    match e.code.as_str() {
        "AccessDenied" => ServiceError::new(400, "AccessDeniedException", e.message),
        "ValidationError" | "InvalidInput" | "MissingParameter" => {
            ServiceError::new(400, "ValidationException", e.message)
        }
        "ServiceFailure" => ServiceError::new(
            500,
            "KMSInternalException",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        "MalformedPolicyDocument" => {
            ServiceError::new(400, "MalformedPolicyDocumentException", e.message)
        }
        "NoSuchEntity" => ServiceError::new(400, "NotFoundException", e.message),
        _ => e,
    }
}
