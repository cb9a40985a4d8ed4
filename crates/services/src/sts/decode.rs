//! DecodeAuthorizationMessage: reads back the decision context sealed into an encoded
//! authorization failure message (EC2's `UnauthorizedOperation`), for a caller of the account
//! the denial happened in.

use super::Handler;
use crate::ctx::Ctx;
use crate::ec2::authmsg;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::Shape;

pub(crate) const OPS: &[(&str, Handler)] = &[("DecodeAuthorizationMessage", decode)];

fn invalid() -> ServiceError {
    ServiceError::new(
        400,
        "InvalidAuthorizationMessageException",
        "The error message provided is invalid.",
    )
}

fn decode(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let encoded = ctx.params.required("EncodedMessage")?.to_owned();
    Shape::new()
        .length("encodedMessage", &encoded, 1, 10_240)
        .check()?;
    ctx.authorize("sts:DecodeAuthorizationMessage", "*", |_| {})?;
    let decoded =
        authmsg::decode(&ctx.state.tokens, ctx.account(), &encoded).ok_or_else(invalid)?;
    let json = serde_json::to_string(&decoded).map_err(|_| ServiceError::service_failure())?;
    let mut x = Xml::new();
    x.elem("DecodedMessage", &json);
    Ok(Some(x))
}
