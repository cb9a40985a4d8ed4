//! GetCallerIdentity, GetSessionToken, GetAccessKeyInfo.

use super::{write_credentials, Handler};
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{int_param, Shape};
use rolegate_core::ids::{access_key_id, account_of_key, secret_access_key};
use rolegate_core::session::{Session, SessionKind};
use rolegate_core::CallerKind;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("GetCallerIdentity", get_caller_identity),
    ("GetSessionToken", get_session_token),
    ("GetAccessKeyInfo", get_access_key_info),
];

/// "No permissions are required to perform this operation" (an explicit Deny is ignored too).
fn get_caller_identity(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    ctx.no_permission_required();
    let mut x = Xml::new();
    x.elem("UserId", &ctx.caller.user_id())
        .elem("Account", &ctx.caller.account)
        .elem("Arn", ctx.caller.arn());
    Ok(Some(x))
}

fn get_session_token(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    ctx.no_permission_required();
    let user = match &ctx.caller.kind {
        CallerKind::Root => None,
        CallerKind::User { name } => Some(name.clone()),
        _ => {
            return Err(ServiceError::access_denied(
                "Cannot call GetSessionToken with session credentials",
            ))
        }
    };
    if ctx.params.get("SerialNumber").is_some() || ctx.params.get("TokenCode").is_some() {
        return Err(ServiceError::access_denied(
            "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.",
        ));
    }
    let requested = int_param("durationSeconds", ctx.params.get("DurationSeconds"))?;
    let duration = match (&user, requested) {
        (_, Some(d)) => {
            Shape::new()
                .range("durationSeconds", d, 900, 129_600)
                .check()?;
            // The root user's sessions are capped at one hour.
            if user.is_none() {
                d.min(3600)
            } else {
                d
            }
        }
        (None, None) => 3600,
        (Some(_), None) => 43_200,
    };
    let now = ctx.now();
    let session = Session {
        account: ctx.caller.account.clone(),
        kind: SessionKind::UserToken { user },
        access_key_id: access_key_id("ASIA", &ctx.caller.account),
        secret: secret_access_key(),
        issued: now,
        expires: now + duration,
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        chain_depth: 0,
        mfa: false,
        instance: None,
    };
    let token = ctx.state.tokens.seal(&session);
    let mut x = Xml::new();
    write_credentials(
        &mut x,
        &session.access_key_id,
        &session.secret,
        &token,
        session.expires,
    );
    Ok(Some(x))
}

fn get_access_key_info(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let key = ctx.params.required("AccessKeyId")?.to_owned();
    Shape::new()
        .length("accessKeyId", &key, 16, 128)
        .pattern(
            "accessKeyId",
            &key,
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "[\\w]*",
        )
        .check()?;
    ctx.authorize("sts:GetAccessKeyInfo", "*", |_| {})?;
    let account = ctx
        .snap
        .keys
        .get(&key)
        .map(|k| k.account.clone())
        .or_else(|| account_of_key(&key))
        .ok_or_else(|| ServiceError::validation("Invalid access key id"))?;
    let mut x = Xml::new();
    x.elem("Account", &account);
    Ok(Some(x))
}
