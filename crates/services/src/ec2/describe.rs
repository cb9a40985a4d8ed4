//! DescribeInstances (instance ids, filters with EC2's `*`/`?` wildcards, MaxResults/NextToken
//! pagination, reservation grouping), DescribeRegions and DescribeAvailabilityZones, and the
//! paging every Describe operation shares.

use super::{authorize, dry_run, error, own_instances, region, render, Handler, Keys};
use crate::ctx::Ctx;
use crate::error::ServiceError;
use crate::protocol::ec2::{boolean, filters, integer, list, Filter};
use crate::protocol::{Params, Xml};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rolegate_core::ec2::Instance;

pub(crate) const OPS: &[(&str, Handler)] = &[
    ("DescribeInstances", describe_instances),
    ("DescribeRegions", describe_regions),
    ("DescribeAvailabilityZones", describe_availability_zones),
];

/// `MaxResults`, checked against the operation's bounds.
pub(crate) fn page_size(p: &Params, min: i64, max: i64) -> Result<Option<usize>, ServiceError> {
    match integer(p, "MaxResults")? {
        None => Ok(None),
        Some(n) if (min..=max).contains(&n) => Ok(Some(n as usize)),
        Some(n) => Err(error(
            "InvalidParameterValue",
            format!("Value ( {n} ) for parameter maxResults is invalid. Parameter must be between {min} and {max}."),
        )),
    }
}

/// One page of `items` (sorted by `key`, keys unique) after the request's `NextToken`, and
/// the token of the next page when more remain. The token is the last key shown, encoded.
pub(crate) fn page<T>(
    p: &Params,
    items: Vec<T>,
    size: Option<usize>,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let after = match p.get("NextToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    error(
                        "InvalidParameterValue",
                        format!("Invalid value '{t}' for nextToken"),
                    )
                })?,
        ),
    };
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|i| after.as_ref().is_none_or(|a| key(i) > *a))
        .collect();
    let Some(size) = size else {
        return Ok((rest, None));
    };
    if rest.len() <= size {
        return Ok((rest, None));
    }
    rest.truncate(size);
    let next = rest.last().map(|i| URL_SAFE_NO_PAD.encode(key(i)));
    Ok((rest, next))
}

/// EC2's filter wildcards: `*` any run of characters, `?` exactly one.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether `f` matches any of `actual`.
pub(crate) fn matches(f: &Filter, actual: &[String]) -> bool {
    f.values.iter().any(|v| actual.iter().any(|a| glob(v, a)))
}

/// DescribeInstances filters besides `tag:<key>`.
const INSTANCE_FILTERS: &[&str] = &[
    "instance-id",
    "instance-state-name",
    "instance-state-code",
    "instance-type",
    "image-id",
    "availability-zone",
    "reservation-id",
    "owner-id",
    "key-name",
    "launch-index",
    "private-ip-address",
    "private-dns-name",
    "iam-instance-profile.arn",
    "iam-instance-profile.id",
    "metadata-options.http-tokens",
    "metadata-options.http-endpoint",
    "tag-key",
    "tag-value",
];

/// The values an instance has for a DescribeInstances filter; `None` for unknown filters.
fn instance_values(i: &Instance, name: &str) -> Option<Vec<String>> {
    let one = |s: &str| Some(vec![s.to_owned()]);
    if let Some(key) = name.strip_prefix("tag:") {
        return Some(i.tag(key).map(str::to_owned).into_iter().collect());
    }
    match name {
        "instance-id" => one(&i.id),
        "instance-state-name" => one(i.state.name()),
        "instance-state-code" => one(&i.state.code().to_string()),
        "instance-type" => one(&i.instance_type),
        "image-id" => one(&i.image_id),
        "availability-zone" => one(&i.availability_zone),
        "reservation-id" => one(&i.reservation_id),
        "owner-id" => one(&i.account),
        "key-name" => Some(i.key_name.iter().cloned().collect()),
        "launch-index" => one(&i.launch_index.to_string()),
        "private-ip-address" => one(&i.private_ip),
        "private-dns-name" => one(&i.private_dns),
        "iam-instance-profile.arn" => Some(
            i.iam_profile
                .iter()
                .map(|p| p.profile_arn.clone())
                .collect(),
        ),
        "iam-instance-profile.id" => {
            Some(i.iam_profile.iter().map(|p| p.profile_id.clone()).collect())
        }
        "metadata-options.http-tokens" => one(i.metadata.http_tokens.as_str()),
        "metadata-options.http-endpoint" => one(i.metadata.http_endpoint.as_str()),
        "tag-key" => Some(i.tags.iter().map(|t| t.key.clone()).collect()),
        "tag-value" => Some(i.tags.iter().map(|t| t.value.clone()).collect()),
        _ => None,
    }
}

fn invalid_filter(name: &str) -> ServiceError {
    error(
        "InvalidParameterValue",
        format!("The filter '{name}' is invalid"),
    )
}

fn region_keys(region: &str) -> Keys {
    vec![("ec2:Region".into(), vec![region.to_owned()])]
}

fn describe_instances(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let ids = list(ctx.params, "InstanceId");
    let filters = filters(ctx.params)?;
    if let Some(bad) = filters
        .iter()
        .find(|f| !f.name.starts_with("tag:") && !INSTANCE_FILTERS.contains(&f.name.as_str()))
    {
        return Err(invalid_filter(&bad.name));
    }
    let size = page_size(ctx.params, 5, 1000)?;
    if size.is_some() && !ids.is_empty() {
        return Err(error(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    let region = region(ctx);
    authorize(ctx, "ec2:DescribeInstances", "*", &region_keys(&region))?;
    dry_run(ctx)?;
    let mut found: Vec<Instance> = if ids.is_empty() {
        ctx.snap
            .account(ctx.account())
            .map(|a| {
                a.instances
                    .values()
                    .filter(|i| i.region == region)
                    .map(|i| (**i).clone())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        own_instances(ctx, &ids)?
    };
    found.retain(|i| {
        filters
            .iter()
            .all(|f| matches(f, &instance_values(i, &f.name).unwrap_or_default()))
    });
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found.dedup_by(|a, b| a.id == b.id);
    let (items, next) = page(ctx.params, found, size, |i| i.id.clone())?;
    // Reservations in order of first appearance, each with its instances of this page.
    let mut reservations: Vec<(String, Vec<&Instance>)> = Vec::new();
    for i in &items {
        match reservations
            .iter_mut()
            .find(|(r, _)| *r == i.reservation_id)
        {
            Some((_, list)) => list.push(i),
            None => reservations.push((i.reservation_id.clone(), vec![i])),
        }
    }
    let owner = ctx.account().to_owned();
    let mut x = Xml::new();
    x.with("reservationSet", |x| {
        for (r, instances) in &reservations {
            x.with("item", |x| render::reservation(x, r, &owner, instances));
        }
    });
    x.opt("nextToken", next.as_deref());
    Ok(Some(x))
}

/// Regions enabled in every account, then those an account must opt in to.
const REGIONS: &[&str] = &[
    "ap-south-1",
    "eu-north-1",
    "eu-west-3",
    "eu-west-2",
    "eu-west-1",
    "ap-northeast-3",
    "ap-northeast-2",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];
const OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-west-1",
    "eu-south-1",
    "eu-south-2",
    "eu-central-2",
    "il-central-1",
    "me-south-1",
    "me-central-1",
];

fn describe_regions(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let names = list(ctx.params, "RegionName");
    let all = boolean(ctx.params, "AllRegions")?;
    let filters = filters(ctx.params)?;
    if let Some(bad) = filters.iter().find(|f| {
        !matches!(
            f.name.as_str(),
            "region-name" | "endpoint" | "opt-in-status"
        )
    }) {
        return Err(invalid_filter(&bad.name));
    }
    let region = region(ctx);
    authorize(ctx, "ec2:DescribeRegions", "*", &region_keys(&region))?;
    dry_run(ctx)?;
    let mut regions: Vec<(&str, &str)> = REGIONS
        .iter()
        .map(|r| (*r, "opt-in-not-required"))
        .collect();
    if all || !names.is_empty() {
        regions.extend(OPT_IN_REGIONS.iter().map(|r| (*r, "not-opted-in")));
    }
    if let Some(bad) = names.iter().find(|n| !regions.iter().any(|(r, _)| r == n)) {
        return Err(error(
            "InvalidParameterValue",
            format!("Invalid region: {bad}"),
        ));
    }
    let mut x = Xml::new();
    x.with("regionInfo", |x| {
        for (name, opt_in) in &regions {
            let endpoint = format!("ec2.{name}.amazonaws.com");
            let keep = (names.is_empty() || names.iter().any(|n| n == name))
                && filters.iter().all(|f| {
                    let v = match f.name.as_str() {
                        "region-name" => name.to_string(),
                        "endpoint" => endpoint.clone(),
                        _ => opt_in.to_string(),
                    };
                    matches(f, &[v])
                });
            if keep {
                x.with("item", |x| {
                    x.elem("regionName", name)
                        .elem("regionEndpoint", &endpoint)
                        .elem("optInStatus", opt_in);
                });
            }
        }
    });
    Ok(Some(x))
}

/// AWS's short region code in zone ids: `us-east-1` → `use1`, `ap-northeast-2` → `apne2`.
fn region_code(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let mut out = String::new();
    for (n, part) in parts.iter().enumerate() {
        if n == 0 || n + 1 == parts.len() {
            out.push_str(part);
            continue;
        }
        let short = match *part {
            "northeast" => "ne",
            "southeast" => "se",
            "northwest" => "nw",
            "southwest" => "sw",
            other => {
                // Any text may arrive as a credential scope's region: no byte slicing.
                out.extend(other.chars().next());
                continue;
            }
        };
        out.push_str(short);
    }
    out
}

fn describe_availability_zones(ctx: &mut Ctx<'_>) -> Result<Option<Xml>, ServiceError> {
    let names = list(ctx.params, "ZoneName");
    let zone_ids = list(ctx.params, "ZoneId");
    let filters = filters(ctx.params)?;
    if let Some(bad) = filters.iter().find(|f| {
        !matches!(
            f.name.as_str(),
            "zone-name" | "zone-id" | "state" | "region-name" | "zone-type" | "opt-in-status"
        )
    }) {
        return Err(invalid_filter(&bad.name));
    }
    let region = region(ctx);
    authorize(
        ctx,
        "ec2:DescribeAvailabilityZones",
        "*",
        &region_keys(&region),
    )?;
    dry_run(ctx)?;
    let count = if region == "us-east-1" { 6 } else { 3 };
    let code = region_code(&region);
    let zones: Vec<(String, String)> = (0..count)
        .map(|n| {
            (
                format!("{region}{}", char::from(b'a' + n as u8)),
                format!("{code}-az{}", n + 1),
            )
        })
        .collect();
    if let Some(bad) = names.iter().find(|n| !zones.iter().any(|(z, _)| z == *n)) {
        return Err(error(
            "InvalidParameterValue",
            format!("The zone '{bad}' does not exist."),
        ));
    }
    if let Some(bad) = zone_ids
        .iter()
        .find(|n| !zones.iter().any(|(_, z)| z == *n))
    {
        return Err(error(
            "InvalidParameterValue",
            format!("The zone ID '{bad}' does not exist."),
        ));
    }
    let mut x = Xml::new();
    x.with("availabilityZoneInfo", |x| {
        for (name, id) in &zones {
            let keep = (names.is_empty() || names.contains(name))
                && (zone_ids.is_empty() || zone_ids.contains(id))
                && filters.iter().all(|f| {
                    let v = match f.name.as_str() {
                        "zone-name" => name.clone(),
                        "zone-id" => id.clone(),
                        "state" => "available".into(),
                        "region-name" => region.clone(),
                        "zone-type" => "availability-zone".into(),
                        _ => "opt-in-not-required".into(),
                    };
                    matches(f, &[v])
                });
            if keep {
                x.with("item", |x| {
                    x.elem("optInStatus", "opt-in-not-required")
                        .raw("<messageSet/>")
                        .elem("regionName", &region)
                        .elem("zoneName", name)
                        .elem("zoneId", id)
                        .elem("groupName", &region)
                        .elem("networkBorderGroup", &region)
                        .elem("zoneType", "availability-zone")
                        .elem("zoneState", "available");
                });
            }
        }
    });
    Ok(Some(x))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn wildcards_and_region_codes() {
        assert!(glob("web-*", "web-1"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(!glob("web", "web-1"));
        assert!(glob("*-prod-*", "eu-prod-7"));
        assert_eq!(region_code("us-east-1"), "use1");
        assert_eq!(region_code("ap-northeast-2"), "apne2");
        assert_eq!(region_code("eu-central-1"), "euc1");
        assert_eq!(region_code("xx-éast-1"), "xxé1");
    }
}
