//! DynamoDB (awsJson 1.0, `DynamoDB_20120810`): tables, items, queries and scans, batches,
//! transactions, resource policies and tags. One file per group of operations.
//!
//! Table definitions live in the account (so authorization sees them in the snapshot); items
//! live in the durable item store (`rolegate_core::dynamodb_items`). Every operation is
//! authorized on the table's ARN (or `.../index/<name>` for index reads) with the table's
//! resource policy, if any, and DynamoDB's condition keys.

mod batch;
mod common;
mod describe;
mod items;
mod keys;
mod policy;
mod query;
mod tables;
mod tags;
#[cfg(test)]
mod tests;
mod transact;

use crate::ctx::{Ctx, State};
use crate::dispatch::JsonResponse;
use crate::error::ServiceError;
use crate::protocol::json::{JsonInput, CONTENT_TYPE_1_0};
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::Caller;
use serde_json::{Map, Value};

pub(crate) use common::DdbError;

/// The `X-Amz-Target` prefix of DynamoDB operations.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810";

/// An operation's handler. Most answer a JSON value, serialized here; an operation that
/// answers stored items wholesale (GetItem, the most frequent read) writes its body itself,
/// so that the items need not be copied into a `Value` tree first.
#[derive(Clone, Copy)]
pub enum Handler {
    Value(fn(&mut Ctx<'_>, &JsonInput) -> Result<Value, DdbError>),
    Body(fn(&mut Ctx<'_>, &JsonInput) -> Result<String, DdbError>),
}

/// Every routed DynamoDB operation, group by group.
pub fn operations() -> impl Iterator<Item = (&'static str, Handler)> {
    [
        tables::OPS,
        items::OPS,
        query::OPS,
        batch::OPS,
        transact::OPS,
        policy::OPS,
        tags::OPS,
    ]
    .into_iter()
    .flatten()
    .copied()
}

pub fn find(operation: &str) -> Option<Handler> {
    operations()
        .find(|(name, _)| *name == operation)
        .map(|(_, h)| h)
}

/// The namespace DynamoDB puts before an error code in `__type`.
fn namespace(code: &str) -> &'static str {
    match code {
        "ValidationException" => "com.amazon.coral.validate#",
        "AccessDeniedException"
        | "SerializationException"
        | "UnknownOperationException"
        | "UnrecognizedClientException"
        | "MissingAuthenticationTokenException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "ExpiredTokenException"
        | "RequestEntityTooLarge" => "com.amazon.coral.service#",
        _ => "com.amazonaws.dynamodb.v20120810#",
    }
}

/// A shared error (the authorizer's, the protocol's) in DynamoDB's terms.
pub fn map_error(e: ServiceError) -> ServiceError {
    match e.code.as_str() {
        "AccessDenied" => ServiceError::new(400, "AccessDeniedException", e.message),
        "ValidationError" | "InvalidInput" | "MissingParameter" | "MalformedPolicyDocument" => {
            ServiceError::new(400, "ValidationException", e.message)
        }
        "ServiceFailure" => ServiceError::new(500, "InternalServerError", "Internal server error"),
        "NoSuchEntity" => ServiceError::new(400, "ResourceNotFoundException", e.message),
        _ => e,
    }
}

/// The awsJson 1.0 error body with DynamoDB's namespaced `__type` and any extra members
/// (`Item` of a failed condition, `CancellationReasons` of a cancelled transaction).
pub(crate) fn error_reply(e: &DdbError) -> JsonResponse {
    let base = map_error((*e.base).clone());
    let mut m = Map::new();
    m.insert(
        "__type".into(),
        Value::String(format!("{}{}", namespace(&base.code), base.code)),
    );
    // DynamoDB spells the member "message", except in these two ("Message").
    let key = if base.code == "AccessDeniedException" || base.code == "TransactionCanceledException"
    {
        "Message"
    } else {
        "message"
    };
    if !base.message.is_empty() {
        m.insert(key.into(), Value::String(base.message.clone()));
    }
    for (k, v) in e.extra.iter() {
        m.insert(k.clone(), v.clone());
    }
    JsonResponse {
        status: base.status,
        body: crate::protocol::json::body(&Value::Object(m)),
        content_type: CONTENT_TYPE_1_0,
    }
}

/// Runs one DynamoDB request by an authenticated caller.
pub fn handle(
    state: &State,
    caller: &Caller,
    facts: RequestFacts<'_>,
    target: Option<&str>,
    body: &[u8],
    request_id: &str,
) -> JsonResponse {
    let operation = target
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .and_then(|t| t.strip_prefix('.'));
    let Some(handler) = operation.and_then(find) else {
        return error_reply(&ServiceError::new(400, "UnknownOperationException", "").into());
    };
    let input = match JsonInput::parse(body) {
        Ok(i) => i,
        Err(e) => return error_reply(&e.into()),
    };
    let params = crate::protocol::Params::default();
    let mut ctx = Ctx::new(state, caller, facts, &params, request_id);
    let answer = match handler {
        Handler::Value(h) => h(&mut ctx, &input).map(|v| crate::protocol::json::body(&v)),
        Handler::Body(h) => h(&mut ctx, &input),
    };
    match answer {
        // A handler that answered without asking the authorizer is a bug: refuse to answer.
        Ok(_) if !ctx.was_authorized() => error_reply(&ServiceError::service_failure().into()),
        Ok(body) => JsonResponse {
            status: 200,
            body,
            content_type: CONTENT_TYPE_1_0,
        },
        Err(e) => error_reply(&e),
    }
}
