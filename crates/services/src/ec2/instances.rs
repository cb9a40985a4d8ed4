//! RunInstances, StartInstances, StopInstances, TerminateInstances and
//! ModifyInstanceMetadataOptions: the instance records and their state machine. Transitions
//! complete at once: the answer names the transitional state AWS reports (pending, stopping,
//! shutting-down) and the instance is already running, stopped or terminated.

use super::profiles::{pass_role, resolve_profile};
use super::tags::{tag_keys, validate_tags};
use super::{
    authorize, dry_run, error, instance_keys, own_instances, region, render, write, Handler, Keys,
};
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::ec2::{groups, integer, invalid_value, list};
use crate::protocol::{Params, Xml};
use rolegate_core::ec2::{
    mac_address, private_address, resource_id, HttpEndpoint, HttpTokens, Instance, InstanceState,
    MetadataOptions,
};
use rolegate_core::Tag;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("RunInstances", run_instances),
    ("StartInstances", start_instances),
    ("StopInstances", stop_instances),
    ("TerminateInstances", terminate_instances),
    ("ModifyInstanceMetadataOptions", modify_metadata_options),
];

/// Live (not terminated) instances one account may hold in one region.
const INSTANCE_LIMIT: usize = 64;

/// Resource types a RunInstances tag specification may name (tags on the others are accepted
/// as AWS does; rolegate models instances only, so only those are kept).
const LAUNCH_TAGGABLE: &[&str] = &[
    "instance",
    "volume",
    "network-interface",
    "spot-instances-request",
    "elastic-gpu",
];

fn well_formed_image_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn well_formed_instance_type(t: &str) -> bool {
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    t.split_once('.')
        .is_some_and(|(family, size)| ok(family) && ok(size))
        && t.len() <= 32
}

/// MetadataOptions members (RunInstances `MetadataOptions.X`, ModifyInstanceMetadataOptions
/// `X`) applied over `base`.
fn metadata_options(p: &Params, base: &MetadataOptions) -> Result<MetadataOptions, ServiceError> {
    let mut m = base.clone();
    match p.get("HttpTokens") {
        None => {}
        Some("optional") => m.http_tokens = HttpTokens::Optional,
        Some("required") => m.http_tokens = HttpTokens::Required,
        Some(v) => return Err(invalid_value(v, "HttpTokens")),
    }
    match p.get("HttpEndpoint") {
        None => {}
        Some("enabled") => m.http_endpoint = HttpEndpoint::Enabled,
        Some("disabled") => m.http_endpoint = HttpEndpoint::Disabled,
        Some(v) => return Err(invalid_value(v, "HttpEndpoint")),
    }
    match p.get("InstanceMetadataTags") {
        None => {}
        Some("enabled") => m.instance_metadata_tags = true,
        Some("disabled") => m.instance_metadata_tags = false,
        Some(v) => return Err(invalid_value(v, "InstanceMetadataTags")),
    }
    match integer(p, "HttpPutResponseHopLimit")? {
        None | Some(-1) => {}
        Some(n) if (1..=64).contains(&n) => m.hop_limit = n as u32,
        Some(n) => return Err(invalid_value(&n.to_string(), "HttpPutResponseHopLimit")),
    }
    Ok(m)
}

/// The instance tags of the `TagSpecification.N` list.
fn launch_tags(p: &Params) -> Result<Vec<(String, String)>, ServiceError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for spec in groups(p, "TagSpecification") {
        let kind = spec.get("ResourceType").unwrap_or("");
        if !LAUNCH_TAGGABLE.contains(&kind) {
            return Err(error(
                "InvalidParameterValue",
                format!("'{kind}' is not a valid taggable resource type for this operation."),
            ));
        }
        let tags: Vec<(String, String)> = crate::protocol::ec2::tags(&spec, "Tag")
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect();
        validate_tags(&tags)?;
        if kind == "instance" {
            for (k, v) in tags {
                out.retain(|(ok, _)| *ok != k);
                out.push((k, v));
            }
        }
    }
    Ok(out)
}

fn run_instances(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let p = ctx.params;
    let image = p.required("ImageId")?.to_owned();
    if !well_formed_image_id(&image) {
        return Err(error(
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{image}\" (expecting \"ami-...\")"),
        ));
    }
    let instance_type = p.get("InstanceType").unwrap_or("m1.small").to_owned();
    if !well_formed_instance_type(&instance_type) {
        return Err(error(
            "InvalidParameterValue",
            format!("Invalid value '{instance_type}' for InstanceType."),
        ));
    }
    let min = integer(p, "MinCount")?.ok_or_else(|| ServiceError::missing_parameter("MinCount"))?;
    let max = integer(p, "MaxCount")?.ok_or_else(|| ServiceError::missing_parameter("MaxCount"))?;
    if min < 1 {
        return Err(error(
            "InvalidParameterValue",
            format!("Invalid value '{min}' for minCount. Requested instance count must be greater than zero."),
        ));
    }
    if max < min {
        return Err(error(
            "InvalidParameterValue",
            format!("Invalid value '{max}' for maxCount. Requested maximum instance count must be greater than or equal to requested minimum instance count."),
        ));
    }
    let tags = launch_tags(p)?;
    let metadata = metadata_options(
        &groups_of(p, "MetadataOptions"),
        &MetadataOptions::default(),
    )?;
    let key_name = p.get("KeyName").map(str::to_owned);
    let client_token = p.get("ClientToken").map(str::to_owned);
    if client_token.as_ref().is_some_and(|t| t.len() > 64) {
        return Err(error(
            "InvalidParameterValue",
            "The client token must be 64 characters or fewer.",
        ));
    }
    let profile_spec = groups_of(p, "IamInstanceProfile");
    let profile = if profile_spec.is_empty() {
        None
    } else {
        Some(resolve_profile(ctx, &profile_spec)?)
    };
    let region = region(ctx);
    let account = ctx.account().to_owned();

    // Authorization: the instance (with the launch's own keys), the image, tag-on-create, and
    // passing the profile's role to EC2.
    let instance_resource = format!("arn:aws:ec2:{region}:{account}:instance/*");
    let mut keys: Keys = vec![
        ("ec2:Region".into(), vec![region.clone()]),
        ("ec2:AvailabilityZone".into(), vec![format!("{region}a")]),
        ("ec2:InstanceType".into(), vec![instance_type.clone()]),
        ("ec2:Tenancy".into(), vec!["default".into()]),
        ("ec2:RootDeviceType".into(), vec!["ebs".into()]),
        (
            "ec2:MetadataHttpTokens".into(),
            vec![metadata.http_tokens.as_str().into()],
        ),
        (
            "ec2:MetadataHttpEndpoint".into(),
            vec![metadata.http_endpoint.as_str().into()],
        ),
        (
            "ec2:MetadataHttpPutResponseHopLimit".into(),
            vec![metadata.hop_limit.to_string()],
        ),
    ];
    if let Some(pr) = &profile {
        keys.push(("ec2:InstanceProfile".into(), vec![pr.arn.clone()]));
    }
    keys.extend(tag_keys(&tags));
    authorize(ctx, "ec2:RunInstances", &instance_resource, &keys)?;
    let image_resource = format!("arn:aws:ec2:{region}::image/{image}");
    authorize(
        ctx,
        "ec2:RunInstances",
        &image_resource,
        &vec![("ec2:Region".into(), vec![region.clone()])],
    )?;
    if !tags.is_empty() {
        let mut create: Keys = vec![
            ("ec2:Region".into(), vec![region.clone()]),
            ("ec2:CreateAction".into(), vec!["RunInstances".into()]),
        ];
        create.extend(tag_keys(&tags));
        authorize(ctx, "ec2:CreateTags", &instance_resource, &create)?;
    }
    if let Some(pr) = &profile {
        pass_role(ctx, pr)?;
    }
    dry_run(ctx)?;

    let now = ctx.now();
    let launched: Vec<Instance> = write(ctx, |a| {
        if let Some(token) = &client_token {
            let earlier: Vec<Instance> = a
                .instances
                .values()
                .filter(|i| i.region == region && i.client_token.as_ref() == Some(token))
                .map(|i| (**i).clone())
                .collect();
            if let Some(first) = earlier.first() {
                // The same token with other arguments is refused, as on AWS.
                let n = earlier.len() as i64;
                if first.image_id != image
                    || first.instance_type != instance_type
                    || n < min
                    || n > max
                {
                    return Err(error(
                        "IdempotentParameterMismatch",
                        "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
                    ));
                }
                return Ok(earlier);
            }
        }
        let live = a
            .instances
            .values()
            .filter(|i| i.region == region && i.state != InstanceState::Terminated)
            .count();
        let room = INSTANCE_LIMIT.saturating_sub(live) as i64;
        if room < min {
            return Err(error(
                "InstanceLimitExceeded",
                format!("You have requested more instances ({min}) than your current instance limit of {INSTANCE_LIMIT} allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."),
            ));
        }
        let count = max.min(room);
        let reservation = resource_id("r");
        let mut out = Vec::new();
        for index in 0..count {
            let (private_ip, private_dns) = private_address(&region);
            let mut id = resource_id("i");
            while a.instances.contains_key(&id) {
                id = resource_id("i");
            }
            let instance = Instance {
                id: id.clone(),
                account: a.id.clone(),
                region: region.clone(),
                availability_zone: format!("{region}a"),
                image_id: image.clone(),
                instance_type: instance_type.clone(),
                state: InstanceState::Running,
                state_reason: String::new(),
                launch_time: now,
                tags: tags
                    .iter()
                    .map(|(k, v)| Tag {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
                iam_profile: profile.as_ref().map(|pr| pr.association(now)),
                metadata: metadata.clone(),
                private_ip,
                private_dns,
                reservation_id: reservation.clone(),
                key_name: key_name.clone(),
                client_token: client_token.clone(),
                launch_index: index as u32,
                mac: mac_address(),
            };
            a.instances.insert(id, instance.clone().into());
            out.push(instance);
        }
        Ok(out)
    })?;
    // The answer shows the launch as AWS reports it: pending.
    let shown: Vec<Instance> = launched
        .into_iter()
        .map(|mut i| {
            if i.state == InstanceState::Running {
                i.state = InstanceState::Pending;
            }
            i
        })
        .collect();
    let refs: Vec<&Instance> = shown.iter().collect();
    let reservation_id = refs
        .first()
        .map(|i| i.reservation_id.clone())
        .unwrap_or_default();
    let mut x = Xml::new();
    render::reservation(&mut x, &reservation_id, &account, &refs);
    Ok(Some(x))
}

/// The nested `prefix.X` members of a structure parameter, as their own parameter list.
pub(crate) fn groups_of(p: &Params, prefix: &str) -> Params {
    let dotted = format!("{prefix}.");
    Params::from_pairs(
        p.pairs()
            .filter_map(|(k, v)| Some((k.strip_prefix(&dotted)?, v))),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transition {
    Start,
    Stop,
    Terminate,
}

impl Transition {
    fn action(self) -> &'static str {
        match self {
            Transition::Start => "ec2:StartInstances",
            Transition::Stop => "ec2:StopInstances",
            Transition::Terminate => "ec2:TerminateInstances",
        }
    }

    /// (state reported, state stored) from `from`, or the IncorrectInstanceState error.
    fn apply(
        self,
        id: &str,
        from: InstanceState,
    ) -> Result<(InstanceState, InstanceState), ServiceError> {
        use InstanceState::*;
        let incorrect = |verb: &str| {
            error(
                "IncorrectInstanceState",
                format!("The instance '{id}' is not in a state from which it can be {verb}."),
            )
        };
        match (self, from) {
            (Transition::Start, Running | Pending) => Ok((from, Running)),
            (Transition::Start, Stopped | Stopping) => Ok((Pending, Running)),
            (Transition::Start, _) => Err(incorrect("started")),
            (Transition::Stop, Running | Pending | Stopping) => Ok((Stopping, Stopped)),
            (Transition::Stop, Stopped) => Ok((Stopped, Stopped)),
            (Transition::Stop, _) => Err(incorrect("stopped")),
            (Transition::Terminate, Terminated) => Ok((Terminated, Terminated)),
            (Transition::Terminate, _) => Ok((ShuttingDown, Terminated)),
        }
    }
}

fn user_initiated(now: i64) -> String {
    let t = rolegate_core::clock::iso(now);
    // "User initiated (2024-05-01 12:00:00 GMT)", from the RFC 3339 text.
    format!(
        "User initiated ({} GMT)",
        t.trim_end_matches('Z').replacen('T', " ", 1)
    )
}

fn transition(ctx: &mut Ctx<'_>, t: Transition) -> Result<Option<Xml>, ServiceError> {
    let ids = list(ctx.params, "InstanceId");
    if ids.is_empty() {
        return Err(ServiceError::missing_parameter("InstanceId"));
    }
    let instances = own_instances(ctx, &ids)?;
    for i in &instances {
        authorize(ctx, t.action(), &i.arn(), &instance_keys(i))?;
    }
    for i in &instances {
        t.apply(&i.id, i.state)?;
    }
    dry_run(ctx)?;
    let now = ctx.now();
    let changes = write(ctx, |a| {
        let mut out = Vec::new();
        for id in &ids {
            let i = a
                .instances
                .get_mut(id)
                .ok_or_else(|| super::instances_not_found(std::slice::from_ref(id)))?;
            let previous = i.state;
            let (reported, stored) = t.apply(id, previous)?;
            if stored != previous {
                i.state = stored;
                match stored {
                    InstanceState::Running => {
                        i.launch_time = now;
                        i.state_reason = String::new();
                    }
                    InstanceState::Terminated => {
                        i.state_reason = user_initiated(now);
                        // A terminated instance keeps no profile association.
                        i.iam_profile = None;
                    }
                    _ => i.state_reason = user_initiated(now),
                }
            }
            out.push((id.clone(), previous, reported));
        }
        Ok(out)
    })?;
    let mut x = Xml::new();
    // Start, Stop and Terminate all answer in an `instancesSet`.
    x.with("instancesSet", |x| {
        for (id, previous, reported) in &changes {
            render::state_change(x, id, *previous, *reported);
        }
    });
    Ok(Some(x))
}

fn start_instances(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    transition(ctx, Transition::Start)
}

fn stop_instances(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    transition(ctx, Transition::Stop)
}

fn terminate_instances(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    transition(ctx, Transition::Terminate)
}

fn modify_metadata_options(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let id = ctx.params.required("InstanceId")?.to_owned();
    let instance = own_instances(ctx, std::slice::from_ref(&id))?.remove(0);
    let options = metadata_options(ctx.params, &instance.metadata)?;
    authorize(
        ctx,
        "ec2:ModifyInstanceMetadataOptions",
        &instance.arn(),
        &instance_keys(&instance),
    )?;
    if instance.state == InstanceState::Terminated {
        return Err(error(
            "IncorrectInstanceState",
            format!("The instance '{id}' is not in a valid state for this operation."),
        ));
    }
    dry_run(ctx)?;
    let applied = options.clone();
    write(ctx, |a| {
        let i = a
            .instances
            .get_mut(&id)
            .ok_or_else(|| super::instances_not_found(std::slice::from_ref(&id)))?;
        i.metadata = applied;
        Ok(())
    })?;
    let mut x = Xml::new();
    x.elem("instanceId", &id)
        .with("instanceMetadataOptions", |x| {
            x.elem("state", "pending")
                .elem("httpTokens", options.http_tokens.as_str())
                .elem("httpPutResponseHopLimit", &options.hop_limit.to_string())
                .elem("httpEndpoint", options.http_endpoint.as_str())
                .elem("httpProtocolIpv6", "disabled")
                .elem(
                    "instanceMetadataTags",
                    if options.instance_metadata_tags {
                        "enabled"
                    } else {
                        "disabled"
                    },
                );
        });
    Ok(Some(x))
}
