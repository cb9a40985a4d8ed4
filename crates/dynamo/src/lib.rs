//! DynamoDB's data model and expression languages, pure (no I/O, no clock): attribute values and
//! their wire form, exact 38-digit numbers, item sizes, key ordering, and the condition, update,
//! projection and key-condition expressions with their substitutions. Every error is one that
//! DynamoDB reports as a ValidationException, with AWS's message text.

mod condition;
mod keycond;
mod lexer;
mod number;
mod operand;
mod parser;
mod path;
mod projection;
mod reserved;
mod subs;
mod update;
mod value;
mod wire;

pub use condition::Condition;
pub use keycond::{KeyCondition, SortCondition};
pub use number::Number;
pub use path::{Path, PathElement};
pub use projection::Projection;
pub use subs::Substitutions;
pub use update::Update;
pub use value::{item_size, key_bytes, key_cmp, nesting_depth, value_size, Item, Value};
pub use wire::{
    item_from_json, item_from_json_in, item_to_json, value_from_json, value_from_json_in,
    value_to_json, ItemJson, Layer,
};

/// A request DynamoDB refuses (HTTP 400). `code` is the AWS error code: "ValidationException"
/// for everything except a wire value of the wrong JSON type (`{"S": 1}`), which AWS reports
/// as "SerializationException". `message` carries AWS's own text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: &'static str,
    pub message: String,
}

impl Error {
    /// A ValidationException.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            code: "ValidationException",
            message: message.into(),
        }
    }

    pub fn serialization(message: impl Into<String>) -> Error {
        Error {
            code: "SerializationException",
            message: message.into(),
        }
    }
}
