//! Authentication: from a signed HTTP request to a [`Caller`], with AWS's errors.
//!
//! Development mode accepts a 12-digit access key id as the root user of that account
//! (created on first use) and `test` as the root of 000000000000, without checking the secret,
//! as LocalStack users expect. Every other key (IAM users', temporary ones) is always verified.

use rolegate_core::caller::KeyLookup;
use rolegate_core::{clock, Account, Caller, CatalogError};
use rolegate_services::{ServiceError, State};
use rolegate_sigv4::{
    parse, CredentialScope, Protocol, Request, SigV4Error, Timestamp, Verified, Verifier,
};
use std::sync::Arc;

pub(crate) fn sigv4_error(e: &SigV4Error, protocol: Protocol) -> ServiceError {
    ServiceError::new(
        e.status_for(protocol),
        e.code_for(protocol),
        e.message_for(protocol),
    )
}

fn invalid_token(protocol: Protocol) -> ServiceError {
    let (status, code) = match protocol {
        Protocol::Json => (400, "UnrecognizedClientException"),
        _ => (403, "InvalidClientTokenId"),
    };
    ServiceError::new(
        status,
        code,
        "The security token included in the request is invalid.",
    )
}

fn expired_token(protocol: Protocol) -> ServiceError {
    let (status, code) = match protocol {
        Protocol::Json => (400, "ExpiredTokenException"),
        _ => (403, "ExpiredToken"),
    };
    ServiceError::new(
        status,
        code,
        "The security token included in the request is expired",
    )
}

/// The development-mode root of a 12-digit key id (or `test`), if it is one.
pub(crate) fn dev_root(key: &str) -> Option<&str> {
    if key == "test" {
        return Some("000000000000");
    }
    (key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit())).then_some(key)
}

pub(crate) fn ensure_account(state: &State, id: &str) -> Result<(), ServiceError> {
    if state.catalog.snapshot().account(id).is_some() {
        return Ok(());
    }
    match state
        .catalog
        .create_account(Account::new(id, id, clock::now()))
    {
        Ok(_) | Err(CatalogError::AccountExists(_)) => Ok(()),
        Err(_) => Err(ServiceError::service_failure()),
    }
}

/// Notes a verified key's last use (service, region, time), as IAM reports it.
pub(crate) fn record_key_use(state: &State, verified: &Verified, now: i64) {
    let scope = verified.scope();
    state
        .catalog
        .record_key_use(verified.access_key_id(), &scope.service, &scope.region, now);
}

pub struct Authenticated {
    pub caller: Arc<Caller>,
    pub scope: CredentialScope,
}

/// Authenticates a request; errors carry the codes of `protocol` (awsQuery for IAM and STS,
/// awsJson for KMS).
pub fn authenticate(
    state: &State,
    verifier: &Verifier,
    req: &Request<'_>,
    now: i64,
    protocol: Protocol,
) -> Result<Authenticated, ServiceError> {
    let parsed = parse(req).map_err(|e| sigv4_error(&e, protocol))?;
    // IAM is a global service signed for us-east-1 only.
    if parsed.scope().service == "iam" {
        parsed
            .check_region(|r| r == "us-east-1", Some("us-east-1"))
            .map_err(|e| sigv4_error(&e, protocol))?;
    }
    let key = parsed.access_key_id();
    if state.dev_mode && parsed.security_token().is_none() {
        if let Some(account) = dev_root(key) {
            ensure_account(state, account)?;
            return Ok(Authenticated {
                caller: Arc::new(Caller::root(account, key)),
                scope: parsed.into_scope(),
            });
        }
    }
    let snap = state.catalog.snapshot();
    match Caller::lookup(&snap, &state.tokens, key, parsed.security_token(), now) {
        KeyLookup::Found { secret, caller } => {
            let verified = verifier
                .verify(parsed, req, &secret, Timestamp::from_unix(now))
                .map_err(|e| sigv4_error(&e, protocol))?;
            record_key_use(state, &verified, now);
            Ok(Authenticated {
                caller,
                scope: verified.into_scope(),
            })
        }
        KeyLookup::Expired => Err(expired_token(protocol)),
        KeyLookup::Unknown => Err(invalid_token(protocol)),
    }
}
