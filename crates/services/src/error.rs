//! Service errors: an AWS error code, HTTP status and message, mapped once per protocol.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// `Sender` (the caller's fault) or `Receiver` (ours), as awsQuery reports it.
    pub sender: bool,
}

impl ServiceError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code: code.to_owned(),
            message: message.into(),
            status,
            sender: status < 500,
        }
    }
    pub fn access_denied(message: impl Into<String>) -> ServiceError {
        ServiceError::new(403, "AccessDenied", message)
    }
    pub fn no_such_entity(message: impl Into<String>) -> ServiceError {
        ServiceError::new(404, "NoSuchEntity", message)
    }
    pub fn already_exists(message: impl Into<String>) -> ServiceError {
        ServiceError::new(409, "EntityAlreadyExists", message)
    }
    pub fn limit_exceeded(message: impl Into<String>) -> ServiceError {
        ServiceError::new(409, "LimitExceeded", message)
    }
    pub fn delete_conflict(message: impl Into<String>) -> ServiceError {
        ServiceError::new(409, "DeleteConflict", message)
    }
    pub fn invalid_input(message: impl Into<String>) -> ServiceError {
        ServiceError::new(400, "InvalidInput", message)
    }
    pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
        ServiceError::new(400, "MalformedPolicyDocument", message)
    }
    /// awsQuery shape violations: `ValidationError` with AWS's "N validation error(s)
    /// detected: ..." text.
    pub fn validation(message: impl Into<String>) -> ServiceError {
        ServiceError::new(400, "ValidationError", message)
    }
    pub fn missing_parameter(name: &str) -> ServiceError {
        ServiceError::new(
            400,
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }
    pub fn invalid_action(action: &str) -> ServiceError {
        ServiceError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version 2010-05-08"),
        )
    }
    pub fn service_failure() -> ServiceError {
        ServiceError::new(
            500,
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

impl From<rolegate_core::CatalogError> for ServiceError {
    fn from(e: rolegate_core::CatalogError) -> ServiceError {
        match e {
            rolegate_core::CatalogError::NoSuchAccount(a) => {
                ServiceError::no_such_entity(format!("The account {a} does not exist."))
            }
            _ => ServiceError::service_failure(),
        }
    }
}

impl From<rolegate_policy::PolicyError> for ServiceError {
    fn from(e: rolegate_policy::PolicyError) -> ServiceError {
        ServiceError::malformed_policy(e.message())
    }
}
