//! IAM (awsQuery, version 2010-05-08): one file per group of operations.

mod access_keys;
mod account;
mod authorization_details;
mod common;
mod groups;
mod inline;
mod instance_profiles;
mod policies;
mod roles;
mod simulate;
mod simulate_eval;
#[cfg(test)]
mod simulate_tests;
mod users;

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;

pub use common::orphan_principal;

pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// A handler returns its `<ActionResult>` content, or `None` for actions without a result.
pub type Handler = fn(&mut Ctx<'_>) -> Result<Option<Xml>, ServiceError>;

/// Every routed IAM operation, group by group.
pub fn operations() -> impl Iterator<Item = (&'static str, Handler)> {
    [
        users::OPS,
        access_keys::OPS,
        groups::OPS,
        account::OPS,
        roles::OPS,
        instance_profiles::OPS,
        policies::OPS,
        inline::OPS,
        authorization_details::OPS,
        simulate::OPS,
    ]
    .into_iter()
    .flatten()
    .copied()
}

pub fn find(action: &str) -> Option<Handler> {
    operations()
        .find(|(name, _)| *name == action)
        .map(|(_, h)| h)
}
