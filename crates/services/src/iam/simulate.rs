//! The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and
//! GetContextKeysFor{Principal,Custom}Policy. This file reads the input and gathers the
//! policies (a principal's as the authorizer gathers them, with their names and kinds);
//! `simulate_eval` decides each action and resource with the policy engine and writes the
//! result.

use super::common::{no_such_group, no_such_role, no_such_user};
use super::simulate_eval::{evaluate_all, write_results, Scenario, Source};
use super::Handler;
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::Xml;
use crate::validate::{paginate, write_truncation, Shape};
use rolegate_core::model::Account;
use rolegate_core::{PolicyDoc, Snapshot};
use rolegate_policy::{Context, ContextValue, Policy, PolicyKind, Principal};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("SimulatePrincipalPolicy", simulate_principal_policy),
    ("SimulateCustomPolicy", simulate_custom_policy),
    ("GetContextKeysForPrincipalPolicy", context_keys_principal),
    ("GetContextKeysForCustomPolicy", context_keys_custom),
];

/// The entity a `PolicySourceArn` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entity {
    User(String),
    Group(String),
    Role(String),
}

fn invalid_entity(arn: &str) -> ServiceError {
    ServiceError::invalid_input(format!("Invalid Entity Arn: {arn}"))
}

/// Reads `arn:aws:iam::<account>:{user,group,role}/<path>/<name>`.
pub(crate) fn parse_entity_arn(arn: &str) -> Result<(String, Entity), ServiceError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(invalid_entity(arn));
    };
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if prefix != "arn" || partition != "aws" || service != "iam" || !region.is_empty() {
        return Err(invalid_entity(arn));
    }
    if !account_ok {
        return Err(invalid_entity(arn));
    }
    let (kind, rest) = resource
        .split_once('/')
        .ok_or_else(|| invalid_entity(arn))?;
    let name = rest.rsplit('/').next().unwrap_or(rest).to_owned();
    if name.is_empty() {
        return Err(invalid_entity(arn));
    }
    let entity = match kind {
        "user" => Entity::User(name),
        "group" => Entity::Group(name),
        "role" => Entity::Role(name),
        _ => return Err(invalid_entity(arn)),
    };
    Ok((account.to_owned(), entity))
}

/// A policy document from one of the input lists, with the same constraints as IAM's
/// `policyDocumentType`, then validated for `kind`.
fn input_doc(text: &str, field: &str, kind: PolicyKind) -> Result<PolicyDoc, ServiceError> {
    let ok = text
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'));
    Shape::new()
        .length(field, text, 1, 131_072)
        .pattern(
            field,
            text,
            ok || text.is_empty(),
            "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        )
        .check()?;
    Ok(PolicyDoc::new(text, kind)?)
}

/// `PolicyInputList.member.N` (or the boundary list) as sources named `<List>.<N>`.
fn input_list(ctx: &Ctx<'_>, list: &str, field: &str) -> Result<Vec<Source>, ServiceError> {
    ctx.params
        .list(list)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let id = format!("{list}.{}", i + 1);
            let doc = input_doc(
                text,
                &format!("{field}.{}.member", i + 1),
                PolicyKind::InlineIdentity,
            )?;
            Ok(Source::new(doc.compiled().clone(), &id, "IAM Policy"))
        })
        .collect()
}

fn managed_source(snap: &Snapshot, arn: &str) -> Option<Source> {
    let p = snap.managed_policy(arn)?;
    let doc = p.default_doc()?;
    let kind = if arn.starts_with("arn:aws:iam::aws:") {
        "aws-managed"
    } else {
        "user-managed"
    };
    Some(Source::new(doc.compiled().clone(), &p.name, kind))
}

fn push_entity(
    snap: &Snapshot,
    out: &mut Vec<Source>,
    inline: &std::collections::BTreeMap<String, PolicyDoc>,
    attached: &[String],
    kind: &'static str,
) {
    for (name, doc) in inline {
        out.push(Source::new(doc.compiled().clone(), name, kind));
    }
    out.extend(attached.iter().filter_map(|a| managed_source(snap, a)));
}

/// What the simulation of an entity starts from: its identity policies, its permissions
/// boundary, and the principal it acts as.
pub(crate) struct EntityPolicies {
    pub identity: Vec<Source>,
    pub boundary: Option<Source>,
    pub principal: Option<Principal>,
    /// The user's or role's tags: `aws:PrincipalTag/<k>` of its requests.
    pub tags: Vec<(String, String)>,
}

/// A principal's policies as `Authorizer::caller_policies` gathers them (a user's own, then
/// its groups'); a group's are its own only.
pub(crate) fn entity_policies(
    snap: &Snapshot,
    account: &Account,
    entity: &Entity,
) -> Result<EntityPolicies, ServiceError> {
    let mut identity = Vec::new();
    let mut tags = Vec::new();
    let (boundary, principal) = match entity {
        Entity::User(name) => {
            let user = account.user(name).ok_or_else(|| no_such_user(name))?;
            push_entity(snap, &mut identity, &user.inline, &user.attached, "user");
            for g in &user.groups {
                if let Some(group) = account.group(g) {
                    push_entity(snap, &mut identity, &group.inline, &group.attached, "group");
                }
            }
            let principal = Principal::user(&account.id, &user.arn, &user.name, &user.id);
            tags = user
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
            (user.boundary.clone(), Some(principal))
        }
        Entity::Group(name) => {
            let group = account.group(name).ok_or_else(|| no_such_group(name))?;
            push_entity(snap, &mut identity, &group.inline, &group.attached, "group");
            (None, None)
        }
        Entity::Role(name) => {
            let role = account.role(name).ok_or_else(|| no_such_role(name))?;
            push_entity(snap, &mut identity, &role.inline, &role.attached, "role");
            let principal = Principal::assumed_role(&role.arn, &role.id, &role.name);
            tags = role
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
            (role.boundary.clone(), Some(principal))
        }
    };
    Ok(EntityPolicies {
        identity,
        boundary: boundary.and_then(|arn| managed_source(snap, &arn)),
        principal,
        tags,
    })
}

/// `ContextEntries.member.N`: name, type and values, checked against the type.
pub(crate) fn context_entries(ctx: &Ctx<'_>) -> Result<Vec<(String, ContextValue)>, ServiceError> {
    const TYPES: [&str; 12] = [
        "string",
        "stringList",
        "numeric",
        "numericList",
        "boolean",
        "booleanList",
        "ip",
        "ipList",
        "binary",
        "binaryList",
        "date",
        "dateList",
    ];
    let prefix = "ContextEntries.member.";
    let mut indices: Vec<u32> = ctx
        .params
        .pairs()
        .filter_map(|(k, _)| k.strip_prefix(prefix)?.split('.').next()?.parse().ok())
        .collect();
    indices.sort_unstable();
    indices.dedup();
    let mut out = Vec::with_capacity(indices.len());
    for (n, i) in indices.iter().enumerate() {
        let base = format!("{prefix}{i}");
        let field = format!("contextEntries.{}.member", n + 1);
        let name = ctx.params.get(&format!("{base}.ContextKeyName"));
        let ty = ctx.params.get(&format!("{base}.ContextKeyType"));
        let values: Vec<String> = ctx
            .params
            .list(&format!("{base}.ContextKeyValues"))
            .into_iter()
            .map(str::to_owned)
            .collect();
        let (Some(name), Some(ty)) = (name, ty) else {
            return Err(ServiceError::invalid_input(format!(
                "Context entry {} must have a ContextKeyName and a ContextKeyType.",
                n + 1
            )));
        };
        let mut shape = Shape::new();
        shape.length(&format!("{field}.contextKeyName"), name, 5, 256);
        if !TYPES.contains(&ty) {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value '{ty}' at '{field}.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                TYPES.join(", ")
            )));
        }
        shape.check()?;
        let base_ty = ty.strip_suffix("List").unwrap_or(ty);
        for v in &values {
            if !value_fits(base_ty, v) {
                return Err(ServiceError::invalid_input(format!(
                    "Invalid value '{v}' for context key {name} of type {ty}."
                )));
            }
        }
        let value = if ty.ends_with("List") {
            ContextValue::Multi(values)
        } else {
            match <[String; 1]>::try_from(values) {
                Ok([v]) => ContextValue::Single(v),
                Err(_) => {
                    return Err(ServiceError::invalid_input(format!(
                        "Context key {name} of type {ty} takes exactly one value."
                    )))
                }
            }
        };
        out.push((name.to_owned(), value));
    }
    Ok(out)
}

/// Whether a value reads as its declared type (the operators would otherwise never match it).
fn value_fits(ty: &str, v: &str) -> bool {
    match ty {
        "numeric" => v.trim().parse::<f64>().is_ok(),
        "boolean" => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
        "ip" => {
            let addr = v.split('/').next().unwrap_or(v);
            addr.parse::<std::net::IpAddr>().is_ok()
        }
        "date" => !v.trim().is_empty(),
        _ => true,
    }
}

/// The inputs both simulations share.
fn scenario_inputs(ctx: &Ctx<'_>) -> Result<(Vec<String>, Vec<String>, bool), ServiceError> {
    let actions: Vec<String> = ctx
        .params
        .list("ActionNames")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if actions.is_empty() {
        return Err(ServiceError::missing_parameter("ActionNames"));
    }
    let mut shape = Shape::new();
    for (i, a) in actions.iter().enumerate() {
        shape.length(&format!("actionNames.{}.member", i + 1), a, 3, 128);
    }
    let resources: Vec<String> = ctx
        .params
        .list("ResourceArns")
        .into_iter()
        .map(str::to_owned)
        .collect();
    for (i, r) in resources.iter().enumerate() {
        shape.length(&format!("resourceArns.{}.member", i + 1), r, 1, 2048);
    }
    for (p, f) in [
        ("ResourceOwner", "resourceOwner"),
        ("CallerArn", "callerArn"),
    ] {
        if let Some(v) = ctx.params.get(p) {
            shape.length(f, v, 1, 2048);
        }
    }
    if let Some(v) = ctx.params.get("ResourceHandlingOption") {
        shape.length("resourceHandlingOption", v, 1, 64);
    }
    shape.check()?;
    let explicit = !resources.is_empty();
    let resources = if explicit {
        resources
    } else {
        vec!["*".to_owned()]
    };
    Ok((actions, resources, explicit))
}

/// The simulated caller named by `CallerArn`: an IAM user only. One of the catalog's users
/// keeps its unique id.
fn caller_principal(snap: &Snapshot, arn: &str) -> Result<Principal, ServiceError> {
    let (account, entity) = parse_entity_arn(arn)?;
    let Entity::User(name) = entity else {
        return Err(invalid_entity(arn));
    };
    match snap.account(&account).and_then(|a| a.user(&name)) {
        Some(u) if u.arn == arn => Ok(Principal::user(&account, &u.arn, &u.name, &u.id)),
        _ => Principal::from_arn(arn).ok_or_else(|| invalid_entity(arn)),
    }
}

/// The tags of a catalog user (none for a user the catalog does not hold).
fn user_tags(snap: &Snapshot, p: &Principal) -> Vec<(String, String)> {
    snap.account(&p.account)
        .and_then(|a| a.user(&p.name))
        .filter(|u| u.arn == p.arn)
        .map(|u| {
            u.tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// `ResourceOwner`: `arn:aws:iam::<account>:root` (or a bare account id).
fn owner_account(arn: &str) -> Result<String, ServiceError> {
    let account = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.strip_suffix(":root"))
        .unwrap_or(arn);
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(account.to_owned())
    } else {
        Err(ServiceError::invalid_input(format!(
            "Invalid ResourceOwner Arn: {arn}"
        )))
    }
}

/// Runs a simulation once the identity side is known, and writes one page of results.
fn simulate(
    ctx: &Ctx<'_>,
    mut identity: Vec<Source>,
    entity_boundary: Option<Source>,
    source_principal: Option<Principal>,
    source_tags: &[(String, String)],
) -> Result<Option<Xml>, ServiceError> {
    let (actions, resources, explicit) = scenario_inputs(ctx)?;
    identity.extend(input_list(ctx, "PolicyInputList", "policyInputList")?);
    let boundaries = input_list(
        ctx,
        "PermissionsBoundaryPolicyInputList",
        "permissionsBoundaryPolicyInputList",
    )?;
    if boundaries.len() > 1 {
        return Err(ServiceError::invalid_input(
            "PermissionsBoundaryPolicyInputList takes at most one policy.",
        ));
    }
    // A boundary given as input replaces the entity's own.
    let boundary = boundaries.into_iter().next().or(entity_boundary);
    let resource_policy = match ctx.params.get("ResourcePolicy") {
        Some(text) => {
            let doc = input_doc(text, "resourcePolicy", PolicyKind::Resource)?;
            Some(Source::new(
                doc.compiled().clone(),
                "ResourcePolicy",
                "resource",
            ))
        }
        None => None,
    };
    // The source's tags go with the source as caller; a CallerArn user brings its own.
    let (caller, tags) = match ctx.params.get("CallerArn") {
        Some(arn) => {
            let p = caller_principal(&ctx.snap, arn)?;
            let tags = user_tags(&ctx.snap, &p);
            (Some(p), tags)
        }
        None => (source_principal, source_tags.to_vec()),
    };
    if resource_policy.is_some() && caller.is_none() {
        return Err(ServiceError::invalid_input(
            "CallerArn is required when a ResourcePolicy is given and PolicySourceArn is not a user.",
        ));
    }
    let entries = context_entries(ctx)?;
    let owner = ctx
        .params
        .get("ResourceOwner")
        .map(owner_account)
        .transpose()?;
    // Without a named caller the request still needs someone to decide for: an IAM user of
    // the requester's account, with no principal keys in the context.
    let caller_named = caller.is_some();
    let (principal, mut context) = match caller {
        Some(p) => {
            let c = Context::for_principal(&p);
            (p, c)
        }
        None => {
            let account = ctx.account();
            let arn = format!("arn:aws:iam::{account}:user/SimulatedUser");
            (
                Principal::user(account, &arn, "SimulatedUser", "AIDASIMULATEDUSER000"),
                Context::new(),
            )
        }
    };
    if caller_named {
        for (k, v) in &tags {
            context.insert(&format!("aws:PrincipalTag/{k}"), v);
        }
    }
    for (k, v) in entries {
        context.set(&k, v);
    }
    let scenario = Scenario {
        identity,
        boundary,
        resource_policy,
        principal,
        context,
        owner,
    };
    let results = evaluate_all(&scenario, &actions, &resources, explicit);
    let (page, next) = paginate(
        &results,
        ctx.params.get("Marker"),
        ctx.params.get("MaxItems"),
    )?;
    let mut x = Xml::new();
    write_results(&mut x, &page);
    write_truncation(&mut x, &next);
    Ok(Some(x))
}

fn source_arn_param(ctx: &Ctx<'_>) -> Result<String, ServiceError> {
    let arn = ctx.params.required("PolicySourceArn")?.to_owned();
    Shape::new()
        .length("policySourceArn", &arn, 20, 2048)
        .check()?;
    Ok(arn)
}

/// The entity's policies in the caller's account (another account's entities are not the
/// caller's to simulate: they are not found).
fn principal_side(ctx: &Ctx<'_>, arn: &str) -> Result<EntityPolicies, ServiceError> {
    let (account_id, entity) = parse_entity_arn(arn)?;
    let not_found = || match &entity {
        Entity::User(n) => no_such_user(n),
        Entity::Group(n) => no_such_group(n),
        Entity::Role(n) => no_such_role(n),
    };
    if account_id != ctx.account() {
        return Err(not_found());
    }
    let account = ctx.snap.account(&account_id).ok_or_else(not_found)?;
    entity_policies(&ctx.snap, account, &entity)
}

fn simulate_principal_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = source_arn_param(ctx)?;
    scenario_inputs(ctx)?;
    ctx.authorize("iam:SimulatePrincipalPolicy", &arn, |_| {})?;
    let side = principal_side(ctx, &arn)?;
    simulate(
        ctx,
        side.identity,
        side.boundary,
        side.principal,
        &side.tags,
    )
}

fn simulate_custom_policy(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    if ctx.params.list("PolicyInputList").is_empty() {
        return Err(ServiceError::missing_parameter("PolicyInputList"));
    }
    scenario_inputs(ctx)?;
    ctx.authorize("iam:SimulateCustomPolicy", "*", |_| {})?;
    simulate(ctx, Vec::new(), None, None, &[])
}

/// Every condition key the policies use, once each (compared without case), in order of
/// appearance.
pub(crate) fn condition_keys<'a>(policies: impl Iterator<Item = &'a Policy>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for p in policies {
        for st in &p.statements {
            let Some(block) = &st.condition else {
                continue;
            };
            for entry in &block.0 {
                for (k, _) in &entry.keys {
                    if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
                        keys.push(k.clone());
                    }
                }
            }
        }
    }
    keys
}

fn write_keys(keys: &[String]) -> Option<Xml> {
    let mut x = Xml::new();
    x.members("ContextKeyNames", keys, |x, k| {
        let mut text = String::new();
        crate::protocol::xml::escape(k, &mut text);
        x.raw(&text);
    });
    Some(x)
}

fn context_keys_principal(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let arn = source_arn_param(ctx)?;
    ctx.authorize("iam:GetContextKeysForPrincipalPolicy", &arn, |_| {})?;
    let side = principal_side(ctx, &arn)?;
    let inputs = input_list(ctx, "PolicyInputList", "policyInputList")?;
    let keys = condition_keys(
        side.identity
            .iter()
            .chain(inputs.iter())
            .map(|s| s.policy.policy()),
    );
    Ok(write_keys(&keys))
}

fn context_keys_custom(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    if ctx.params.list("PolicyInputList").is_empty() {
        return Err(ServiceError::missing_parameter("PolicyInputList"));
    }
    ctx.authorize("iam:GetContextKeysForCustomPolicy", "*", |_| {})?;
    let inputs = input_list(ctx, "PolicyInputList", "policyInputList")?;
    let keys = condition_keys(inputs.iter().map(|s| s.policy.policy()));
    Ok(write_keys(&keys))
}
