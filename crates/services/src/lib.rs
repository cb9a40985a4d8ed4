//! The AWS services of rolegate and their wire protocols.
//!
//! A handler decodes its input, names the action, resource and condition keys it needs, asks
//! the one authorizer (through [`Ctx::authorize`]), then acts on the catalog. Handlers never
//! evaluate policies themselves, and the dispatcher refuses to answer for a handler that did
//! not pass the authorizer (see `dispatch`).

#[cfg(test)]
mod authorizer_coverage;
pub mod ctx;
pub mod dispatch;
pub mod dynamodb;
pub mod ec2;
pub mod error;
pub mod iam;
pub mod kms;
pub mod protocol;
pub mod s3;
pub mod sts;
#[cfg(test)]
pub mod testing;
pub mod validate;

pub use ctx::{Ctx, State};
pub use error::ServiceError;
