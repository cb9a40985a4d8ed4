//! Instance profile associations: AssociateIamInstanceProfile, DisassociateIamInstanceProfile,
//! ReplaceIamInstanceProfileAssociation, DescribeIamInstanceProfileAssociations, and what
//! RunInstances shares with them (resolving a profile by name or ARN, `iam:PassRole` on its
//! role for `ec2.amazonaws.com`).

use super::describe::{page, page_size};
use super::instances::groups_of;
use super::{
    authorize, dry_run, error, instance_keys, own_instances, region, render, write, Handler,
};
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::ec2::{filters, list};
use crate::protocol::{Params, Xml};
use rolegate_core::ec2::{resource_id, Instance, InstanceState, ProfileAssociation};

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("AssociateIamInstanceProfile", associate),
    ("DisassociateIamInstanceProfile", disassociate),
    ("ReplaceIamInstanceProfileAssociation", replace),
    (
        "DescribeIamInstanceProfileAssociations",
        describe_associations,
    ),
];

/// An instance profile of the caller's account, with its role as it is now.
#[derive(Clone, Debug)]
pub(crate) struct ResolvedProfile {
    pub arn: String,
    pub id: String,
    /// Empty when the profile holds no role.
    pub role_name: String,
    pub role_arn: Option<String>,
}

impl ResolvedProfile {
    pub(crate) fn association(&self, now: i64) -> ProfileAssociation {
        ProfileAssociation {
            association_id: resource_id("iip-assoc"),
            profile_arn: self.arn.clone(),
            profile_id: self.id.clone(),
            role_name: self.role_name.clone(),
            associated_at: now,
        }
    }
}

/// `IamInstanceProfile.Arn` or `IamInstanceProfile.Name` (given as `spec`'s `Arn`/`Name`).
pub(crate) fn resolve_profile(
    ctx: &Ctx<'_>,
    spec: &Params,
) -> Result<ResolvedProfile, ServiceError> {
    let account = ctx.snap.account(ctx.account());
    let (profile, shown, param, what) = match (spec.get("Arn"), spec.get("Name")) {
        (Some(_), Some(_)) => {
            return Err(error(
                "InvalidParameterCombination",
                "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'",
            ))
        }
        (Some(arn), None) => {
            let name = arn.rsplit('/').next().unwrap_or("");
            let p = account
                .and_then(|a| a.instance_profiles.get(&name.to_lowercase()))
                .filter(|p| p.arn == arn);
            (p, arn, "iamInstanceProfile.arn", "ARN")
        }
        (None, Some(name)) => {
            let p = account.and_then(|a| a.instance_profiles.get(&name.to_lowercase()));
            (p, name, "iamInstanceProfile.name", "name")
        }
        (None, None) => return Err(ServiceError::missing_parameter("IamInstanceProfile")),
    };
    let Some(profile) = profile else {
        return Err(error(
            "InvalidParameterValue",
            format!("Value ({shown}) for parameter {param} is invalid. Invalid IAM Instance Profile {what}"),
        ));
    };
    let role_name = profile.roles.first().cloned().unwrap_or_default();
    let role_arn = account
        .and_then(|a| a.role(&role_name))
        .map(|r| r.arn.clone());
    Ok(ResolvedProfile {
        arn: profile.arn.clone(),
        id: profile.id.clone(),
        role_name: role_arn
            .as_ref()
            .map(|_| role_name.clone())
            .unwrap_or_default(),
        role_arn,
    })
}

/// `iam:PassRole` on the profile's role, passed to EC2 (nothing to pass without a role).
pub(crate) fn pass_role(ctx: &mut Ctx<'_>, profile: &ResolvedProfile) -> Result<(), ServiceError> {
    let Some(role_arn) = &profile.role_arn else {
        return Ok(());
    };
    authorize(
        ctx,
        "iam:PassRole",
        role_arn,
        &vec![(
            "iam:PassedToService".into(),
            vec!["ec2.amazonaws.com".into()],
        )],
    )
}

fn association_not_found(id: &str) -> ServiceError {
    error(
        "InvalidAssociationID.NotFound",
        format!("An association with ID '{id}' does not exist."),
    )
}

/// The caller's instance (in the request's region) holding association `id`.
fn by_association(ctx: &Ctx<'_>, id: &str) -> Result<Instance, ServiceError> {
    let region = region(ctx);
    ctx.snap
        .account(ctx.account())
        .and_then(|a| {
            a.instances.values().find(|i| {
                i.region == region
                    && i.iam_profile
                        .as_ref()
                        .is_some_and(|p| p.association_id == id)
            })
        })
        .map(|i| (**i).clone())
        .ok_or_else(|| association_not_found(id))
}

fn answer(instance_id: &str, a: &ProfileAssociation, state: &str) -> Option<Xml> {
    let mut x = Xml::new();
    x.with("iamInstanceProfileAssociation", |x| {
        render::association(x, instance_id, a, state)
    });
    Some(x)
}

fn associate(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let id = ctx.params.required("InstanceId")?.to_owned();
    let spec = groups_of(ctx.params, "IamInstanceProfile");
    if spec.is_empty() {
        return Err(ServiceError::missing_parameter("IamInstanceProfile"));
    }
    let instance = own_instances(ctx, std::slice::from_ref(&id))?.remove(0);
    let profile = resolve_profile(ctx, &spec)?;
    let mut keys = instance_keys(&instance);
    keys.push(("ec2:NewInstanceProfile".into(), vec![profile.arn.clone()]));
    authorize(
        ctx,
        "ec2:AssociateIamInstanceProfile",
        &instance.arn(),
        &keys,
    )?;
    pass_role(ctx, &profile)?;
    if instance.iam_profile.is_some() {
        return Err(error(
            "IncorrectState",
            format!("There is an existing association for instance {id}"),
        ));
    }
    if !matches!(
        instance.state,
        InstanceState::Running
            | InstanceState::Pending
            | InstanceState::Stopped
            | InstanceState::Stopping
    ) {
        return Err(error(
            "IncorrectInstanceState",
            format!("The instance '{id}' is not in a valid state for this operation."),
        ));
    }
    dry_run(ctx)?;
    let association = profile.association(ctx.now());
    let stored = association.clone();
    write(ctx, |a| {
        let i = a
            .instances
            .get_mut(&id)
            .ok_or_else(|| super::instances_not_found(std::slice::from_ref(&id)))?;
        if i.iam_profile.is_some() {
            return Err(error(
                "IncorrectState",
                format!("There is an existing association for instance {id}"),
            ));
        }
        i.iam_profile = Some(stored);
        Ok(())
    })?;
    Ok(answer(&id, &association, "associating"))
}

fn disassociate(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let assoc_id = ctx.params.required("AssociationId")?.to_owned();
    let instance = by_association(ctx, &assoc_id)?;
    authorize(
        ctx,
        "ec2:DisassociateIamInstanceProfile",
        &instance.arn(),
        &instance_keys(&instance),
    )?;
    dry_run(ctx)?;
    let id = instance.id.clone();
    let removed = write(ctx, |a| {
        let i = a
            .instances
            .get_mut(&id)
            .filter(|i| {
                i.iam_profile
                    .as_ref()
                    .is_some_and(|p| p.association_id == assoc_id)
            })
            .ok_or_else(|| association_not_found(&assoc_id))?;
        i.iam_profile
            .take()
            .ok_or_else(|| association_not_found(&assoc_id))
    })?;
    Ok(answer(&id, &removed, "disassociating"))
}

fn replace(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let assoc_id = ctx.params.required("AssociationId")?.to_owned();
    let spec = groups_of(ctx.params, "IamInstanceProfile");
    if spec.is_empty() {
        return Err(ServiceError::missing_parameter("IamInstanceProfile"));
    }
    let instance = by_association(ctx, &assoc_id)?;
    let profile = resolve_profile(ctx, &spec)?;
    let mut keys = instance_keys(&instance);
    keys.push(("ec2:NewInstanceProfile".into(), vec![profile.arn.clone()]));
    authorize(
        ctx,
        "ec2:ReplaceIamInstanceProfileAssociation",
        &instance.arn(),
        &keys,
    )?;
    pass_role(ctx, &profile)?;
    dry_run(ctx)?;
    let association = profile.association(ctx.now());
    let stored = association.clone();
    let id = instance.id.clone();
    write(ctx, |a| {
        let i = a
            .instances
            .get_mut(&id)
            .filter(|i| {
                i.iam_profile
                    .as_ref()
                    .is_some_and(|p| p.association_id == assoc_id)
            })
            .ok_or_else(|| association_not_found(&assoc_id))?;
        i.iam_profile = Some(stored);
        Ok(())
    })?;
    Ok(answer(&id, &association, "associating"))
}

fn describe_associations(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let ids = list(ctx.params, "AssociationId");
    let filters = filters(ctx.params)?;
    for f in &filters {
        if f.name != "instance-id" && f.name != "state" {
            return Err(error(
                "InvalidParameterValue",
                format!("The filter '{}' is invalid", f.name),
            ));
        }
    }
    let size = page_size(ctx.params, 5, 1000)?;
    if size.is_some() && !ids.is_empty() {
        return Err(error(
            "InvalidParameterCombination",
            "The parameter AssociationIds cannot be used with the parameter MaxResults",
        ));
    }
    let region = region(ctx);
    authorize(
        ctx,
        "ec2:DescribeIamInstanceProfileAssociations",
        "*",
        &vec![("ec2:Region".into(), vec![region.clone()])],
    )?;
    dry_run(ctx)?;
    let mut all: Vec<(String, ProfileAssociation)> = ctx
        .snap
        .account(ctx.account())
        .map(|a| {
            a.instances
                .values()
                .filter(|i| i.region == region)
                .filter_map(|i| Some((i.id.clone(), i.iam_profile.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    if let Some(missing) = ids
        .iter()
        .find(|id| !all.iter().any(|(_, a)| a.association_id == **id))
    {
        return Err(association_not_found(missing));
    }
    all.retain(|(instance, a)| {
        (ids.is_empty() || ids.contains(&a.association_id))
            && filters.iter().all(|f| match f.name.as_str() {
                "instance-id" => f.values.iter().any(|v| v == instance),
                _ => f.values.iter().any(|v| v == "associated"),
            })
    });
    all.sort_by(|a, b| a.1.association_id.cmp(&b.1.association_id));
    let (items, next) = page(ctx.params, all, size, |(_, a)| a.association_id.clone())?;
    let mut x = Xml::new();
    x.with("iamInstanceProfileAssociationSet", |x| {
        for (instance, a) in &items {
            x.with("item", |x| {
                render::association(x, instance, a, "associated")
            });
        }
    });
    x.opt("nextToken", next.as_deref());
    Ok(Some(x))
}
