//! AssumeRole: both sides authorized in one decision (the caller's policies and the role's
//! trust policy), then a sealed session.

use super::{write_credentials, Handler};
use crate::ctx::{tag_keys, Ctx};
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{int_param, Shape};
use rolegate_core::ids::{access_key_id, secret_access_key};
use rolegate_core::session::{Session, SessionKind};
use rolegate_core::{PolicyDoc, ResourceGuard};
use rolegate_policy::{PolicyKind, ResourcePolicyKind};

pub(crate) const OPS: &[(&str, Handler)] = &[("AssumeRole", assume_role)];

fn name_chars(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || "+=,.@-".contains(c) || extra.contains(c))
}

/// `arn:aws:iam::<account>:role/<path><name>` → (account, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_name = resource.strip_prefix("role/")?;
    let name = path_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then_some((account, name))
}

struct Input {
    role_arn: String,
    session_name: String,
    duration: Option<i64>,
    policy: Option<String>,
    policy_arns: Vec<String>,
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
    external_id: Option<String>,
    source_identity: Option<String>,
}

fn read_input(ctx: &Ctx<'_>) -> Result<Input, ServiceError> {
    let p = ctx.params;
    let role_arn = p.required("RoleArn")?.to_owned();
    let session_name = p.required("RoleSessionName")?.to_owned();
    let duration = int_param("durationSeconds", p.get("DurationSeconds"))?;
    let policy = p.get("Policy").map(str::to_owned);
    let policy_arns: Vec<String> = p
        .structs("PolicyArns", &["arn"])
        .into_iter()
        .filter_map(|v| v.into_iter().next().flatten())
        .collect();
    let tags: Vec<(String, String)> = p
        .structs("Tags", &["Key", "Value"])
        .into_iter()
        .map(|t| {
            let mut it = t.into_iter();
            (
                it.next().flatten().unwrap_or_default(),
                it.next().flatten().unwrap_or_default(),
            )
        })
        .collect();
    let transitive: Vec<String> = p
        .list("TransitiveTagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let external_id = p.get("ExternalId").map(str::to_owned);
    let source_identity = p.get("SourceIdentity").map(str::to_owned);

    let mut shape = Shape::new();
    shape.length("roleArn", &role_arn, 20, 2048);
    shape
        .length("roleSessionName", &session_name, 2, 64)
        .pattern(
            "roleSessionName",
            &session_name,
            name_chars(&session_name, ""),
            "[\\w+=,.@-]*",
        );
    if let Some(d) = duration {
        shape.range("durationSeconds", d, 900, 43_200);
    }
    if let Some(e) = &external_id {
        shape.length("externalId", e, 2, 1224).pattern(
            "externalId",
            e,
            name_chars(e, ":/"),
            "[\\w+=,.@:\\/-]*",
        );
    }
    if let Some(s) = &source_identity {
        shape.length("sourceIdentity", s, 2, 64).pattern(
            "sourceIdentity",
            s,
            name_chars(s, ""),
            "[\\w+=,.@-]*",
        );
    }
    if let Some(pol) = &policy {
        shape.length("policy", pol, 1, 2048);
    }
    for (i, a) in policy_arns.iter().enumerate() {
        shape.length(&format!("policyArns.{}.member.arn", i + 1), a, 20, 2048);
    }
    if policy_arns.len() > 10 {
        shape.length("policyArns", &format!("{policy_arns:?}"), 0, 10);
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        shape.length(&format!("tags.{}.member.key", i + 1), k, 1, 128);
        shape.length(&format!("tags.{}.member.value", i + 1), v, 0, 256);
    }
    if tags.len() > 50 {
        shape.length("tags", &format!("{tags:?}"), 0, 50);
    }
    shape.check()?;
    if source_identity
        .as_deref()
        .is_some_and(|s| s.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(ServiceError::validation(
            "SourceIdentity cannot start with the prefix 'aws:'",
        ));
    }
    Ok(Input {
        role_arn,
        session_name,
        duration,
        policy,
        policy_arns,
        tags,
        transitive,
        external_id,
        source_identity,
    })
}

fn assume_role(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let input = read_input(ctx)?;
    if ctx.caller.is_root() {
        ctx.no_permission_required();
        return Err(ServiceError::access_denied(
            "Roles may not be assumed by root accounts.",
        ));
    }
    // rolegate has no MFA devices yet: no code can be valid, so say so instead of ignoring it.
    if ctx.params.get("SerialNumber").is_some() || ctx.params.get("TokenCode").is_some() {
        ctx.no_permission_required();
        return Err(ServiceError::access_denied(
            "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.",
        ));
    }
    let parent = ctx.caller.session().cloned();
    // Role chaining: transitive tags and the source identity come along and cannot change.
    let mut tags = input.tags.clone();
    let mut transitive = input.transitive.clone();
    if let Some(p) = &parent {
        for k in &p.transitive_tag_keys {
            if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                ctx.no_permission_required();
                return Err(ServiceError::invalid_input(format!(
                    "One or more session tags are already set as transitive tags by the calling session: {k}"
                )));
            }
            if let Some((tk, tv)) = p.tags.iter().find(|(t, _)| t.eq_ignore_ascii_case(k)) {
                tags.push((tk.clone(), tv.clone()));
                transitive.push(tk.clone());
            }
        }
    }
    for k in &input.transitive {
        if !input.tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
            ctx.no_permission_required();
            return Err(ServiceError::invalid_input(
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    let source_identity = match (
        parent.as_ref().and_then(|p| p.source_identity.clone()),
        &input.source_identity,
    ) {
        (Some(old), Some(new)) if old != *new => {
            ctx.no_permission_required();
            return Err(ServiceError::access_denied(
                "SourceIdentity specified in the request does not match the SourceIdentity of the calling session.",
            ));
        }
        (Some(old), _) => Some(old),
        (None, new) => new.clone(),
    };

    let snap = ctx.snap.clone();
    let target = parse_role_arn(&input.role_arn);
    let role = target
        .and_then(|(account, name)| snap.account(account).and_then(|a| a.role(name)))
        // The ARN must name the role exactly, path included.
        .filter(|r| r.arn == input.role_arn);
    let role_account = target.map(|(a, _)| a.to_owned());
    let guard = match role {
        Some(r) => ResourceGuard::Policy {
            policy: r.trust.compiled(),
            kind: ResourcePolicyKind::RoleTrust,
        },
        None => ResourceGuard::Absent(ResourcePolicyKind::RoleTrust),
    };
    let role_tags: Vec<(String, String)> = role
        .map(|r| {
            r.tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let keys = |c: &mut rolegate_policy::Context| {
        c.insert("sts:RoleSessionName", &input.session_name);
        if let Some(e) = &input.external_id {
            c.insert("sts:ExternalId", e);
        }
        if let Some(s) = &input.source_identity {
            c.insert("sts:SourceIdentity", s);
        }
        if let Some(a) = &role_account {
            c.insert("aws:ResourceAccount", a);
        }
        for (k, v) in &role_tags {
            c.insert(&format!("aws:ResourceTag/{k}"), v);
        }
        tag_keys(c, &input.tags);
        if !input.transitive.is_empty() {
            c.insert_multi("sts:TransitiveTagKeys", input.transitive.clone());
        }
    };
    ctx.authorize_on(
        "sts:AssumeRole",
        &input.role_arn,
        role_account.as_deref(),
        guard,
        keys,
    )?;
    if !input.tags.is_empty() {
        ctx.authorize_on(
            "sts:TagSession",
            &input.role_arn,
            role_account.as_deref(),
            guard,
            keys,
        )?;
    }
    if input.source_identity.is_some() {
        ctx.authorize_on(
            "sts:SetSourceIdentity",
            &input.role_arn,
            role_account.as_deref(),
            guard,
            keys,
        )?;
    }
    // The trust policy must have allowed, so the role exists.
    let role = role.ok_or_else(ServiceError::service_failure)?;

    let chained = parent.is_some();
    let duration = match input.duration {
        Some(d) if chained && d > 3600 => {
            return Err(ServiceError::validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ))
        }
        Some(d) if d > i64::from(role.max_session_duration) => {
            return Err(ServiceError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ))
        }
        Some(d) => d,
        None => 3600,
    };
    if let Some(text) = &input.policy {
        PolicyDoc::new(text, PolicyKind::Session)?;
    }
    let role_account = role_account.unwrap_or_default();
    for arn in &input.policy_arns {
        let in_role_account = arn.starts_with(&format!("arn:aws:iam::{role_account}:"))
            || arn.starts_with("arn:aws:iam::aws:");
        if !in_role_account || snap.managed_policy(arn).is_none() {
            return Err(ServiceError::invalid_input(format!(
                "Policy {arn} does not exist or is not attachable."
            )));
        }
    }
    // Session policies and tags share a packed budget; over 100% the request fails.
    let packed = (input.policy.as_ref().map_or(0, |p| p.len())
        + input.policy_arns.iter().map(String::len).sum::<usize>()
        + tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>())
        * 100
        / 2048;
    if packed > 100 {
        return Err(ServiceError::new(
            400,
            "PackedPolicyTooLarge",
            format!(
                "Packed size of session tags and policies consumes {packed}% of allotted space."
            ),
        ));
    }

    let now = ctx.now();
    let session = Session {
        account: role_account.clone(),
        kind: SessionKind::Role {
            role_arn: role.arn.clone(),
            role_name: role.name.clone(),
            role_id: role.id.clone(),
            session_name: input.session_name.clone(),
        },
        access_key_id: access_key_id("ASIA", &role_account),
        secret: secret_access_key(),
        issued: now,
        expires: now + duration,
        policy: input.policy.clone(),
        policy_arns: input.policy_arns.clone(),
        tags: tags.clone(),
        transitive_tag_keys: transitive,
        source_identity: source_identity.clone(),
        chain_depth: parent.map_or(0, |p| p.chain_depth + 1),
        mfa: false,
        instance: None,
    };
    let token = ctx.state.tokens.seal(&session);
    ctx.state
        .catalog
        .record_role_use(&role.id, ctx.facts.region, now);
    // Room for the credentials (the token is most of it) and the assumed role's names.
    let mut x = Xml::with_capacity(token.len() + 2 * role.arn.len() + 512);
    write_credentials(
        &mut x,
        &session.access_key_id,
        &session.secret,
        &token,
        session.expires,
    );
    x.with("AssumedRoleUser", |x| {
        x.elem_parts("AssumedRoleId", &[&role.id, ":", &input.session_name])
            .elem_parts(
                "Arn",
                &[
                    "arn:aws:sts::",
                    &role_account,
                    ":assumed-role/",
                    &role.name,
                    "/",
                    &input.session_name,
                ],
            );
    });
    if input.policy.is_some() || !input.policy_arns.is_empty() || !tags.is_empty() {
        x.elem("PackedPolicySize", &packed.to_string());
    }
    x.opt("SourceIdentity", source_identity.as_deref());
    Ok(Some(x))
}
