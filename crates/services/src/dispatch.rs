//! From decoded awsQuery parameters to the response: route, enforce that the authorizer was
//! consulted, and wrap the result or error in the protocol's envelope.

use crate::ctx::{Ctx, State};
use crate::error::ServiceError;
use crate::protocol::xml::{error, response};
use crate::protocol::Params;
use crate::{dynamodb, ec2, iam, kms, sts};
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::session::SessionKind;
use rolegate_core::Caller;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryService {
    Iam,
    Sts,
    /// ec2Query: awsQuery's input with EC2's list style and XML envelopes.
    Ec2,
}

impl QueryService {
    pub fn namespace(self) -> &'static str {
        match self {
            QueryService::Iam => iam::NAMESPACE,
            QueryService::Sts => sts::NAMESPACE,
            QueryService::Ec2 => ec2::NAMESPACE,
        }
    }
}

/// An HTTP answer: status and XML body.
pub struct QueryResponse {
    pub status: u16,
    pub body: String,
}

pub fn error_response(service: QueryService, e: &ServiceError, request_id: &str) -> QueryResponse {
    if service == QueryService::Ec2 {
        let e = crate::protocol::ec2::map_error(e);
        return QueryResponse {
            status: e.status,
            body: crate::protocol::ec2::error(&e, request_id),
        };
    }
    QueryResponse {
        status: e.status,
        body: error(service.namespace(), e, request_id),
    }
}

/// GetSessionToken credentials may call only AssumeRole and GetCallerIdentity in STS, and
/// nothing in IAM unless MFA was used.
fn session_token_limits(
    caller: &Caller,
    service: QueryService,
    action: &str,
) -> Result<(), ServiceError> {
    let Some(s) = caller.session() else {
        return Ok(());
    };
    if !matches!(s.kind, SessionKind::UserToken { .. }) {
        return Ok(());
    }
    match service {
        QueryService::Iam if !s.mfa => Err(ServiceError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )),
        QueryService::Sts if !matches!(action, "AssumeRole" | "GetCallerIdentity") => Err(
            ServiceError::access_denied(format!("Cannot call {action} with session credentials")),
        ),
        _ => Ok(()),
    }
}

/// Runs one awsQuery request by an authenticated caller.
pub fn query(
    state: &State,
    service: QueryService,
    caller: &Caller,
    facts: RequestFacts<'_>,
    params: &Params,
    request_id: &str,
) -> QueryResponse {
    let Some(action) = params.action() else {
        return error_response(
            service,
            &ServiceError::missing_parameter("Action"),
            request_id,
        );
    };
    let handler = match service {
        QueryService::Iam => iam::find(action),
        QueryService::Sts => sts::find(action),
        QueryService::Ec2 => ec2::find(action),
    };
    let Some(handler) = handler else {
        let e = match service {
            QueryService::Iam => ServiceError::invalid_action(action),
            QueryService::Sts => ServiceError::new(
                400,
                "InvalidAction",
                format!("Could not find operation {action} for version 2011-06-15"),
            ),
            QueryService::Ec2 => ServiceError::new(
                400,
                "InvalidAction",
                format!("The action {action} is not valid for this web service."),
            ),
        };
        return error_response(service, &e, request_id);
    };
    if let Err(e) = session_token_limits(caller, service, action) {
        return error_response(service, &e, request_id);
    }
    let mut ctx = Ctx::new(state, caller, facts, params, request_id);
    match handler(&mut ctx) {
        // A handler that answered without asking the authorizer is a bug: refuse to answer.
        Ok(_) if !ctx.was_authorized() => {
            error_response(service, &ServiceError::service_failure(), request_id)
        }
        Ok(result) if service == QueryService::Ec2 => QueryResponse {
            status: 200,
            body: crate::protocol::ec2::response(action, result.as_ref(), request_id),
        },
        Ok(result) => QueryResponse {
            status: 200,
            body: response(action, service.namespace(), result.as_ref(), request_id),
        },
        Err(e) => error_response(service, &e, request_id),
    }
}

/// The awsJson services, routed by the `X-Amz-Target` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonService {
    Kms,
    DynamoDb,
}

impl JsonService {
    /// The `X-Amz-Target` prefix before `.Operation`.
    pub fn target_prefix(self) -> &'static str {
        match self {
            JsonService::Kms => kms::TARGET_PREFIX,
            JsonService::DynamoDb => dynamodb::TARGET_PREFIX,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            JsonService::Kms => crate::protocol::json::CONTENT_TYPE_1_1,
            JsonService::DynamoDb => crate::protocol::json::CONTENT_TYPE_1_0,
        }
    }
}

/// An awsJson answer: status, JSON body and its content type.
pub struct JsonResponse {
    pub status: u16,
    pub body: String,
    pub content_type: &'static str,
}

/// An error in the service's own terms (KMS says AccessDeniedException, with status 400).
pub fn json_error_response(service: JsonService, e: &ServiceError) -> JsonResponse {
    let e = match service {
        JsonService::Kms => kms::map_error(e.clone()),
        JsonService::DynamoDb => return dynamodb::error_reply(&e.clone().into()),
    };
    JsonResponse {
        status: e.status,
        body: crate::protocol::json::error_body(&e),
        content_type: service.content_type(),
    }
}

/// Runs one awsJson request by an authenticated caller. `target` is the `X-Amz-Target` header.
pub fn json(
    state: &State,
    service: JsonService,
    caller: &Caller,
    facts: RequestFacts<'_>,
    target: Option<&str>,
    body: &[u8],
    request_id: &str,
) -> JsonResponse {
    let operation = target
        .and_then(|t| t.strip_prefix(service.target_prefix()))
        .and_then(|t| t.strip_prefix('.'));
    let handler = match service {
        JsonService::Kms => operation.and_then(kms::find),
        // DynamoDB errors carry extra members (Item, CancellationReasons): its own dispatcher.
        JsonService::DynamoDb => {
            return dynamodb::handle(state, caller, facts, target, body, request_id)
        }
    };
    let Some(handler) = handler else {
        let e = ServiceError::new(400, "UnknownOperationException", "");
        return json_error_response(service, &e);
    };
    let input = match crate::protocol::json::JsonInput::parse(body) {
        Ok(i) => i,
        Err(e) => return json_error_response(service, &e),
    };
    let params = Params::default();
    let mut ctx = Ctx::new(state, caller, facts, &params, request_id);
    match handler(&mut ctx, &input) {
        // A handler that answered without asking the authorizer is a bug: refuse to answer.
        Ok(_) if !ctx.was_authorized() => {
            json_error_response(service, &ServiceError::service_failure())
        }
        Ok(result) => JsonResponse {
            status: 200,
            body: crate::protocol::json::body(&result),
            content_type: service.content_type(),
        },
        Err(e) => json_error_response(service, &e),
    }
}
