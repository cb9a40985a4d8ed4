//! Every way SigV4 authentication can fail, with the text AWS gives for it.
//!
//! Each variant is one AWS condition. `Display` (and [`SigV4Error::message`]) is the text the
//! query services (STS, IAM) give; [`SigV4Error::message_for`], [`SigV4Error::code_for`] and
//! [`SigV4Error::status_for`] give the text, code and HTTP status of each protocol. Mapping an
//! error to a response body stays with the server; these helpers only keep the AWS facts in one
//! place.
//!
//! | Condition (variant) | Query (STS, IAM) | JSON (DynamoDB, KMS) | S3 (restXml) |
//! |---|---|---|---|
//! | `MissingAuthentication` | `MissingAuthenticationToken` 403 | `MissingAuthenticationTokenException` 403 | `AccessDenied` 403 |
//! | `BothAuthMechanisms` | `IncompleteSignature` 400 ¹ | `IncompleteSignatureException` 400 ¹ | `InvalidArgument` 400 |
//! | `UnsupportedAlgorithm` | `IncompleteSignature` 400 | `IncompleteSignatureException` 400 | `InvalidRequest` 400 (header) / `AuthorizationQueryParametersError` 400 (query) |
//! | `IncompleteSignature`, `MalformedCredential`, `MissingQueryParameters`, `HostNotSigned` | `IncompleteSignature` 400 | `IncompleteSignatureException` 400 | `AuthorizationHeaderMalformed` 400 / `AuthorizationQueryParametersError` 400 (`HostNotSigned`: `AccessDenied` 403) |
//! | `InvalidDate` | `IncompleteSignature` 400 | `IncompleteSignatureException` 400 | `AccessDenied` 403 (header) / `AuthorizationQueryParametersError` 400 (query) |
//! | `Scope*` (date, region, service, terminator) | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 | `AuthorizationHeaderMalformed` 400 / `AuthorizationQueryParametersError` 400 |
//! | `SignatureExpired`, `SignatureNotYetCurrent` | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 | `RequestTimeTooSkewed` 403 |
//! | `PresignedExpired` | `AccessDenied` 403 ¹ | `AccessDeniedException` 400 ¹ | `AccessDenied` 403 |
//! | `AuthorizationQueryParameters` (X-Amz-Expires) | `AuthorizationQueryParametersError` 400 | same | same |
//! | `HeadersNotSigned` | `SignatureDoesNotMatch` 403 ¹ | `InvalidSignatureException` 400 ¹ | `AccessDenied` 403 |
//! | `ContentSha256Missing` | `InvalidRequest` 400 | same | `InvalidRequest` 400 |
//! | `ContentSha256Invalid` | `InvalidArgument` 400 | same | `InvalidArgument` 400 |
//! | `ContentSha256Mismatch` | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 | `XAmzContentSHA256Mismatch` 400 |
//! | `SignatureDoesNotMatch`, `ChunkSignatureDoesNotMatch` | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 | `SignatureDoesNotMatch` 403 |
//! | `MalformedChunkedEncoding` | `InvalidRequest` 400 ¹ | same | `InvalidRequest` 400 ¹ |
//! | `IncompleteBody` | `IncompleteBody` 400 | same | `IncompleteBody` 400 |
//! | `PayloadHashRequired` (caller bug) | `InternalFailure` 500 | same | `InternalError` 500 |
//!
//! An unknown access key (`InvalidClientTokenId` / `UnrecognizedClientException` /
//! `InvalidAccessKeyId`) and an expired session token are decided by the caller, which owns
//! the key store. ¹ marks mappings no AWS observation pins down; they follow the nearest
//! documented condition and may be refined.

use crate::time::Timestamp;

/// The wire protocol whose error vocabulary to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// awsQuery and ec2Query services: STS, IAM, Organizations.
    Query,
    /// awsJson 1.0 / 1.1 services: DynamoDB, KMS.
    Json,
    /// restXml as S3 speaks it.
    S3,
}

/// Which part of a credential scope is wrong, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeError {
    /// The scope date differs from the date of `X-Amz-Date` (or `Date`).
    Date {
        /// `YYYYMMDD` from the credential.
        scope_date: String,
        /// `YYYYMMDD` of the request time.
        request_date: String,
        /// The full request time as `YYYYMMDDTHHMMSSZ`.
        request_time: String,
    },
    /// The region is not one this endpoint serves.
    Region {
        /// The region in the credential.
        region: String,
        /// The region the endpoint expected, when there is exactly one.
        expected: Option<String>,
    },
    /// The service is not this endpoint's.
    Service {
        /// The service in the credential.
        service: String,
        /// The service the endpoint belongs to.
        expected: String,
    },
    /// The fifth element is not `aws4_request`.
    Terminator {
        /// What the credential had instead.
        terminator: String,
    },
}

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const S3_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const S3_SKEW: &str = "The difference between the request time and the current time is too large.";

/// A SigV4 authentication failure. See the module documentation for the AWS codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor presigned query parameters.
    #[error("The request must contain either a valid (registered) AWS access key ID or X.509 certificate.")]
    MissingAuthentication,

    /// An `Authorization` header and presigned query parameters together.
    #[error("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")]
    BothAuthMechanisms,

    /// An algorithm other than `AWS4-HMAC-SHA256` (SigV2, SigV4a...).
    #[error("Unsupported AWS 'algorithm': '{algorithm}'")]
    UnsupportedAlgorithm {
        /// The algorithm named by the request.
        algorithm: String,
        /// Whether it came from `X-Amz-Algorithm`.
        presigned: bool,
    },

    /// The `Authorization` header is malformed or lacks a part; `message` is AWS's full text.
    #[error("{message}")]
    IncompleteSignature {
        /// AWS's text, built when the header was parsed.
        message: String,
        /// Whether the request used query parameters.
        presigned: bool,
    },

    /// The credential is not `AKID/DATE/REGION/SERVICE/aws4_request`.
    #[error("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'")]
    MalformedCredential {
        /// The credential as received.
        credential: String,
        /// Whether it came from `X-Amz-Credential`.
        presigned: bool,
    },

    /// Presigned parameters are missing (in AWS's order of listing).
    #[error("{}", missing_query_parameters_message(.missing))]
    MissingQueryParameters {
        /// The names of the missing parameters.
        missing: Vec<&'static str>,
    },

    /// `X-Amz-Date` (or `Date`) does not parse.
    #[error("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601")]
    InvalidDate {
        /// The value as received.
        value: String,
        /// Whether it came from the query string.
        presigned: bool,
    },

    /// The credential scope does not fit the request or the endpoint.
    #[error("{}", scope_message(.kind))]
    Scope {
        /// What is wrong.
        kind: ScopeError,
        /// Whether the credential came from `X-Amz-Credential`.
        presigned: bool,
    },

    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned {
        /// Whether the request used query parameters.
        presigned: bool,
    },

    /// `x-amz-*` headers are present but not signed.
    #[error("There were headers present in the request which were not signed")]
    HeadersNotSigned {
        /// Lowercased names of the unsigned headers, sorted.
        headers: Vec<String>,
    },

    /// The request time is more than 15 minutes before now.
    #[error("Signature expired: {request_time} is now earlier than {earliest} ({now} - 15 min.)")]
    SignatureExpired {
        /// The time the request was signed for.
        request_time: Timestamp,
        /// The earliest time still accepted (now - 15 min).
        earliest: Timestamp,
        /// The server's time.
        now: Timestamp,
    },

    /// The request time is more than 15 minutes after now.
    #[error(
        "Signature not yet current: {request_time} is still later than {latest} ({now} + 15 min.)"
    )]
    SignatureNotYetCurrent {
        /// The time the request was signed for.
        request_time: Timestamp,
        /// The latest time still accepted (now + 15 min).
        latest: Timestamp,
        /// The server's time.
        now: Timestamp,
    },

    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired")]
    PresignedExpired {
        /// `X-Amz-Date`.
        request_time: Timestamp,
        /// `X-Amz-Expires`, seconds.
        expires: u64,
        /// The server's time.
        now: Timestamp,
    },

    /// `X-Amz-Expires` is not a number, negative, or a week or more.
    #[error("{message}")]
    AuthorizationQueryParameters {
        /// AWS's text.
        message: String,
    },

    /// S3 header auth without `x-amz-content-sha256`.
    #[error("Missing required header for this request: x-amz-content-sha256")]
    ContentSha256Missing,

    /// `x-amz-content-sha256` is neither a SHA-256 hex digest nor a known literal.
    #[error("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")]
    ContentSha256Invalid {
        /// The value as received.
        value: String,
    },

    /// The body's SHA-256 differs from the `x-amz-content-sha256` the client signed.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch {
        /// The header's value.
        declared: String,
        /// Hex SHA-256 of the body received.
        computed: String,
    },

    /// The caller passed [`crate::Payload::Deferred`] for a request whose payload hash is the
    /// body's hash: a bug in the caller, not in the request.
    #[error("The request body hash is required to verify this request.")]
    PayloadHashRequired,

    /// The signature differs from the one computed with the secret.
    #[error("{}", SIGNATURE_MISMATCH)]
    SignatureDoesNotMatch {
        /// The canonical request as this server computed it.
        canonical_request: String,
        /// The string to sign as this server computed it.
        string_to_sign: String,
        /// The signature the client sent.
        provided: String,
    },

    /// A chunk (or the trailer) of an aws-chunked body carries a wrong signature.
    #[error("{}", S3_SIGNATURE_MISMATCH)]
    ChunkSignatureDoesNotMatch {
        /// The string to sign of that chunk as this server computed it.
        string_to_sign: String,
        /// The signature the client sent.
        provided: String,
    },

    /// The aws-chunked framing is broken.
    #[error("The aws-chunked request body is malformed: {reason}")]
    MalformedChunkedEncoding {
        /// What was wrong, for logs.
        reason: String,
    },

    /// The body ended early, or its decoded length differs from `x-amz-decoded-content-length`.
    #[error(
        "You did not provide the number of bytes specified by the Content-Length HTTP header."
    )]
    IncompleteBody,
}

fn missing_query_parameters_message(missing: &[&'static str]) -> String {
    let mut s = String::new();
    for name in missing {
        s.push_str("AWS query-string parameters must include '");
        s.push_str(name);
        s.push_str("'. ");
    }
    s.push_str("Re-examine the query-string parameters.");
    s
}

fn scope_message(kind: &ScopeError) -> String {
    match kind {
        ScopeError::Date {
            scope_date,
            request_date,
            request_time,
        } => format!("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{request_time}'."),
        ScopeError::Region { region, .. } => {
            format!("Credential should be scoped to a valid region, not '{region}'. ")
        }
        ScopeError::Service { expected, .. } => {
            format!("Credential should be scoped to correct service: '{expected}'. ")
        }
        ScopeError::Terminator { terminator } => format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        ),
    }
}

fn s3_scope_message(kind: &ScopeError, presigned: bool) -> String {
    let lead = if presigned {
        "Error parsing the X-Amz-Credential parameter;"
    } else {
        "The authorization header is malformed;"
    };
    match kind {
        ScopeError::Date {
            scope_date,
            request_date,
            ..
        } => {
            if presigned {
                format!("Invalid credential date \"{scope_date}\". This date is not the same as X-Amz-Date: \"{request_date}\".")
            } else {
                format!("{lead} Invalid credential date. Date is not the same as X-Amz-Date.")
            }
        }
        ScopeError::Region { region, expected } => match expected {
            Some(e) => format!("{lead} the region '{region}' is wrong; expecting '{e}'"),
            None => format!("{lead} the region '{region}' is wrong"),
        },
        ScopeError::Service { service, expected } => format!(
            "{lead} incorrect service \"{service}\". This endpoint belongs to \"{expected}\"."
        ),
        ScopeError::Terminator { terminator } => format!(
            "{lead} incorrect terminal \"{terminator}\". This endpoint uses \"aws4_request\"."
        ),
    }
}

impl SigV4Error {
    /// The message the query services (STS, IAM) give; the same as `to_string()`.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The message for `protocol`. Only S3 words some conditions differently.
    pub fn message_for(&self, protocol: Protocol) -> String {
        if protocol != Protocol::S3 {
            return self.message();
        }
        match self {
            Self::MissingAuthentication => "Access Denied".to_owned(),
            Self::UnsupportedAlgorithm { presigned: false, .. } => {
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.".to_owned()
            }
            Self::UnsupportedAlgorithm { presigned: true, .. } => {
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".to_owned()
            }
            Self::MalformedCredential { presigned, .. } => {
                let lead = if *presigned {
                    "Error parsing the X-Amz-Credential parameter;"
                } else {
                    "The authorization header is malformed;"
                };
                format!("{lead} the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
            }
            Self::MissingQueryParameters { .. } => "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".to_owned(),
            Self::InvalidDate { presigned: false, .. } => {
                "AWS authentication requires a valid Date or x-amz-date header".to_owned()
            }
            Self::InvalidDate { presigned: true, .. } => {
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned()
            }
            Self::Scope { kind, presigned } => s3_scope_message(kind, *presigned),
            Self::HostNotSigned { .. } => {
                "There were headers present in the request which were not signed".to_owned()
            }
            Self::SignatureExpired { .. } | Self::SignatureNotYetCurrent { .. } => {
                S3_SKEW.to_owned()
            }
            Self::SignatureDoesNotMatch { .. } => S3_SIGNATURE_MISMATCH.to_owned(),
            _ => self.message(),
        }
    }

    /// The query-protocol message AWS gives for a bad signature, followed by the canonical
    /// request and string to sign it computed (STS and IAM append these so a client can
    /// find its mistake). Other variants return [`Self::message`].
    pub fn message_with_details(&self) -> String {
        match self {
            Self::SignatureDoesNotMatch {
                canonical_request,
                string_to_sign,
                ..
            } => format!("{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"),
            _ => self.message(),
        }
    }

    /// The AWS error code for `protocol`.
    pub fn code_for(&self, protocol: Protocol) -> &'static str {
        use Protocol::{Json, Query, S3};
        match (self, protocol) {
            (Self::MissingAuthentication, Query) => "MissingAuthenticationToken",
            (Self::MissingAuthentication, Json) => "MissingAuthenticationTokenException",
            (Self::MissingAuthentication, S3) => "AccessDenied",

            (Self::BothAuthMechanisms, S3) => "InvalidArgument",
            (
                Self::UnsupportedAlgorithm {
                    presigned: false, ..
                },
                S3,
            ) => "InvalidRequest",
            (
                Self::InvalidDate {
                    presigned: false, ..
                },
                S3,
            ) => "AccessDenied",
            (Self::HostNotSigned { .. }, S3) => "AccessDenied",
            (
                Self::UnsupportedAlgorithm {
                    presigned: true, ..
                }
                | Self::InvalidDate {
                    presigned: true, ..
                }
                | Self::IncompleteSignature {
                    presigned: true, ..
                }
                | Self::MalformedCredential {
                    presigned: true, ..
                }
                | Self::Scope {
                    presigned: true, ..
                }
                | Self::MissingQueryParameters { .. },
                S3,
            ) => "AuthorizationQueryParametersError",
            (
                Self::IncompleteSignature { .. }
                | Self::MalformedCredential { .. }
                | Self::Scope { .. },
                S3,
            ) => "AuthorizationHeaderMalformed",
            (
                Self::BothAuthMechanisms
                | Self::UnsupportedAlgorithm { .. }
                | Self::IncompleteSignature { .. }
                | Self::MalformedCredential { .. }
                | Self::MissingQueryParameters { .. }
                | Self::InvalidDate { .. }
                | Self::HostNotSigned { .. },
                Query,
            ) => "IncompleteSignature",
            (
                Self::BothAuthMechanisms
                | Self::UnsupportedAlgorithm { .. }
                | Self::IncompleteSignature { .. }
                | Self::MalformedCredential { .. }
                | Self::MissingQueryParameters { .. }
                | Self::InvalidDate { .. }
                | Self::HostNotSigned { .. },
                Json,
            ) => "IncompleteSignatureException",

            (Self::SignatureExpired { .. } | Self::SignatureNotYetCurrent { .. }, S3) => {
                "RequestTimeTooSkewed"
            }
            (Self::HeadersNotSigned { .. }, S3) => "AccessDenied",
            (Self::ContentSha256Mismatch { .. }, S3) => "XAmzContentSHA256Mismatch",
            (
                Self::Scope { .. }
                | Self::SignatureExpired { .. }
                | Self::SignatureNotYetCurrent { .. }
                | Self::HeadersNotSigned { .. }
                | Self::ContentSha256Mismatch { .. }
                | Self::SignatureDoesNotMatch { .. }
                | Self::ChunkSignatureDoesNotMatch { .. },
                Query | S3,
            ) => "SignatureDoesNotMatch",
            (
                Self::Scope { .. }
                | Self::SignatureExpired { .. }
                | Self::SignatureNotYetCurrent { .. }
                | Self::HeadersNotSigned { .. }
                | Self::ContentSha256Mismatch { .. }
                | Self::SignatureDoesNotMatch { .. }
                | Self::ChunkSignatureDoesNotMatch { .. },
                Json,
            ) => "InvalidSignatureException",

            (Self::PresignedExpired { .. }, Json) => "AccessDeniedException",
            (Self::PresignedExpired { .. }, _) => "AccessDenied",
            (Self::AuthorizationQueryParameters { .. }, _) => "AuthorizationQueryParametersError",
            (Self::ContentSha256Missing, _) => "InvalidRequest",
            (Self::ContentSha256Invalid { .. }, _) => "InvalidArgument",
            (Self::MalformedChunkedEncoding { .. }, _) => "InvalidRequest",
            (Self::IncompleteBody, _) => "IncompleteBody",
            (Self::PayloadHashRequired, S3) => "InternalError",
            (Self::PayloadHashRequired, _) => "InternalFailure",
        }
    }

    /// The HTTP status for `protocol`.
    pub fn status_for(&self, protocol: Protocol) -> u16 {
        match self.code_for(protocol) {
            "InternalError" | "InternalFailure" => 500,
            "MissingAuthenticationToken"
            | "MissingAuthenticationTokenException"
            | "AccessDenied"
            | "SignatureDoesNotMatch"
            | "RequestTimeTooSkewed" => 403,
            _ => 400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_texts_are_aws_texts() {
        let e = SigV4Error::SignatureExpired {
            request_time: Timestamp::parse_amz("20200706T195306Z")
                .unwrap_or(Timestamp::from_unix(0)),
            earliest: Timestamp::parse_amz("20200707T071347Z").unwrap_or(Timestamp::from_unix(0)),
            now: Timestamp::parse_amz("20200707T072847Z").unwrap_or(Timestamp::from_unix(0)),
        };
        assert_eq!(
            e.message(),
            "Signature expired: 20200706T195306Z is now earlier than 20200707T071347Z (20200707T072847Z - 15 min.)"
        );
        assert_eq!(e.code_for(Protocol::Query), "SignatureDoesNotMatch");
        assert_eq!(e.code_for(Protocol::Json), "InvalidSignatureException");
        assert_eq!(e.code_for(Protocol::S3), "RequestTimeTooSkewed");
        assert_eq!(e.status_for(Protocol::S3), 403);
        assert_eq!(e.status_for(Protocol::Json), 400);
    }

    #[test]
    fn missing_query_parameters_lists_each() {
        let e = SigV4Error::MissingQueryParameters {
            missing: vec!["X-Amz-Credential", "X-Amz-Date"],
        };
        assert_eq!(e.message(), "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.");
        assert_eq!(
            e.code_for(Protocol::S3),
            "AuthorizationQueryParametersError"
        );
    }
}
