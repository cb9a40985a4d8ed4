//! EC2 (ec2Query, version 2016-11-15): instances as records with their state machine, instance
//! profile associations, tags, metadata options, regions and zones. Nothing executes: an
//! instance is what the API and the instance metadata service read and change.
//!
//! Every operation is authorized through [`authorize`], which turns a denial into EC2's
//! `UnauthorizedOperation` with an encoded authorization failure message (see `authmsg`), and
//! honours `DryRun` once authorization has passed.

pub mod authmsg;
mod describe;
mod instances;
mod profiles;
mod render;
mod tags;
#[cfg(test)]
mod tests;

use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::ec2::boolean;
use crate::protocol::Xml;
use rolegate_core::ec2::{well_formed_instance_id, Instance};

pub use crate::protocol::ec2::NAMESPACE;

pub type Handler = fn(&mut Ctx<'_>) -> Result<Option<Xml>, ServiceError>;

/// Condition keys of one authorization: (key, values).
pub(crate) type Keys = Vec<(String, Vec<String>)>;

pub fn operations() -> impl Iterator<Item = (&'static str, Handler)> {
    [instances::OPS, describe::OPS, profiles::OPS, tags::OPS]
        .into_iter()
        .flatten()
        .copied()
}

pub fn find(action: &str) -> Option<Handler> {
    operations()
        .find(|(name, _)| *name == action)
        .map(|(_, h)| h)
}

pub(crate) fn error(code: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::new(400, code, message)
}

/// Authorizes `action` on `resource` with `keys`; a denial is EC2's `UnauthorizedOperation`
/// carrying the sealed decision context.
pub(crate) fn authorize(
    ctx: &mut Ctx<'_>,
    action: &str,
    resource: &str,
    keys: &Keys,
) -> Result<(), ServiceError> {
    let result = ctx.authorize(action, resource, |c| insert_keys(c, keys));
    let Err(denied) = result else {
        return Ok(());
    };
    if denied.code != "AccessDenied" {
        return Err(denied);
    }
    let explicit = denied.message.contains("with an explicit deny");
    let matched = if explicit {
        authmsg::explicit_denies(ctx, action, resource, keys)
    } else {
        Vec::new()
    };
    let blob = authmsg::encode(
        &ctx.state.tokens,
        ctx.caller,
        action,
        resource,
        keys,
        explicit,
        matched,
    );
    Err(ServiceError::new(
        403,
        "UnauthorizedOperation",
        format!(
            "You are not authorized to perform this operation. {}. Encoded authorization failure message: {blob}",
            denied.message
        ),
    ))
}

/// Adds an authorization's condition keys to the request context (`aws:TagKeys` is the one
/// multivalued key among them).
pub(crate) fn insert_keys(c: &mut rolegate_policy::Context, keys: &[(String, Vec<String>)]) {
    for (k, v) in keys {
        if k == "aws:TagKeys" {
            c.insert_multi(k, v.clone());
        } else if let Some(first) = v.first() {
            c.insert(k, first);
        }
    }
}

/// After authorization: a DryRun request stops here, as AWS's does.
pub(crate) fn dry_run(ctx: &Ctx<'_>) -> Result<(), ServiceError> {
    if boolean(ctx.params, "DryRun")? {
        return Err(ServiceError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    Ok(())
}

/// The request's region (the credential scope's).
pub(crate) fn region(ctx: &Ctx<'_>) -> String {
    ctx.facts.region.to_owned()
}

/// `InvalidInstanceID.NotFound` for one or several ids.
pub(crate) fn instances_not_found(ids: &[String]) -> ServiceError {
    if ids.len() == 1 {
        error(
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{}' does not exist", ids[0]),
        )
    } else {
        error(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", ids.join(", ")),
        )
    }
}

pub(crate) fn malformed_instance_id(id: &str) -> ServiceError {
    error(
        "InvalidInstanceID.Malformed",
        format!("Invalid id: \"{id}\" (expecting \"i-...\")"),
    )
}

/// The caller's instances named by `ids` in the request's region, in the order given; ids
/// must be well-formed and all exist.
pub(crate) fn own_instances(ctx: &Ctx<'_>, ids: &[String]) -> Result<Vec<Instance>, ServiceError> {
    if let Some(bad) = ids.iter().find(|id| !well_formed_instance_id(id)) {
        return Err(malformed_instance_id(bad));
    }
    let region = region(ctx);
    let account = ctx.snap.account(ctx.account());
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match account
            .and_then(|a| a.instances.get(id))
            .filter(|i| i.region == region)
        {
            Some(i) => found.push((**i).clone()),
            None => missing.push(id.clone()),
        }
    }
    if !missing.is_empty() {
        missing.dedup();
        return Err(instances_not_found(&missing));
    }
    Ok(found)
}

/// The condition keys an existing instance carries as a resource.
pub(crate) fn instance_keys(i: &Instance) -> Keys {
    let mut keys: Keys = vec![
        ("ec2:Region".into(), vec![i.region.clone()]),
        (
            "ec2:AvailabilityZone".into(),
            vec![i.availability_zone.clone()],
        ),
        ("ec2:InstanceType".into(), vec![i.instance_type.clone()]),
        ("ec2:InstanceID".into(), vec![i.id.clone()]),
        ("ec2:Tenancy".into(), vec!["default".into()]),
        ("ec2:RootDeviceType".into(), vec!["ebs".into()]),
        (
            "ec2:MetadataHttpTokens".into(),
            vec![i.metadata.http_tokens.as_str().into()],
        ),
        (
            "ec2:MetadataHttpEndpoint".into(),
            vec![i.metadata.http_endpoint.as_str().into()],
        ),
        (
            "ec2:MetadataHttpPutResponseHopLimit".into(),
            vec![i.metadata.hop_limit.to_string()],
        ),
    ];
    if let Some(p) = &i.iam_profile {
        keys.push(("ec2:InstanceProfile".into(), vec![p.profile_arn.clone()]));
    }
    for t in &i.tags {
        keys.push((format!("aws:ResourceTag/{}", t.key), vec![t.value.clone()]));
        keys.push((format!("ec2:ResourceTag/{}", t.key), vec![t.value.clone()]));
    }
    keys
}

/// Applies `f` to the caller's account durably, then refreshes the request's snapshot.
pub(crate) fn write<T>(
    ctx: &mut Ctx<'_>,
    f: impl FnOnce(&mut rolegate_core::Account) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let account = ctx.account().to_owned();
    let out = ctx.state.catalog.update(&account, f)?;
    ctx.refresh();
    Ok(out)
}
