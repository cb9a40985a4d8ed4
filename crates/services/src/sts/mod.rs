//! STS (awsQuery, version 2011-06-15).

mod assume_role;
mod decode;
mod identity;

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;

pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

pub type Handler = fn(&mut Ctx<'_>) -> Result<Option<Xml>, ServiceError>;

pub fn operations() -> impl Iterator<Item = (&'static str, Handler)> {
    [assume_role::OPS, identity::OPS, decode::OPS]
        .into_iter()
        .flatten()
        .copied()
}

pub fn find(action: &str) -> Option<Handler> {
    operations()
        .find(|(name, _)| *name == action)
        .map(|(_, h)| h)
}

/// Writes a `Credentials` element.
pub(crate) fn write_credentials(x: &mut Xml, key: &str, secret: &str, token: &str, expires: i64) {
    x.with("Credentials", |x| {
        x.elem("AccessKeyId", key)
            .elem("SecretAccessKey", secret)
            .elem("SessionToken", token)
            .elem("Expiration", &rolegate_core::clock::iso(expires));
    });
}
