//! The instance metadata tree: what each path under `latest/` answers for one instance, as
//! the EC2 instance metadata service lays it out (directories list their entries, one per
//! line, sub-directories with a trailing `/`).

use rolegate_core::clock::iso;
use rolegate_core::ec2::{Instance, ProfileAssociation};
use rolegate_core::model::{Account, InstanceProfile, Role};

/// What a path resolves to.
#[derive(Debug)]
pub(crate) enum Reply<'a> {
    Text(String),
    /// `iam/security-credentials/<role>`: issued by the caller, which holds the cache.
    Credentials {
        association: &'a ProfileAssociation,
        role: &'a Role,
    },
}

/// One instance as its metadata service sees it.
pub(crate) struct View<'a> {
    pub(crate) account: &'a Account,
    pub(crate) instance: &'a Instance,
}

/// The instance's profile association and the profile, if it still exists as associated.
fn profile<'a>(v: &View<'a>) -> Option<(&'a ProfileAssociation, &'a InstanceProfile)> {
    let assoc = v.instance.iam_profile.as_ref()?;
    let name = assoc.profile_arn.rsplit('/').next()?;
    let profile = v
        .account
        .instance_profiles
        .get(&name.to_lowercase())
        .filter(|p| p.id == assoc.profile_id)?;
    Some((assoc, profile))
}

/// The role the profile holds now (AWS serves the profile's current role).
fn role<'a>(v: &View<'a>) -> Option<(&'a ProfileAssociation, &'a Role)> {
    let (assoc, profile) = profile(v)?;
    let role = v.account.role(profile.roles.first()?)?;
    Some((assoc, role))
}

/// AWS's IMDS JSON: two-space indent and ` : ` between key and value.
pub(crate) fn aws_json(fields: &[(&str, Option<&str>)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let value = v.map_or_else(
                || "null".to_owned(),
                |s| serde_json::Value::from(s).to_string(),
            );
            format!("  \"{k}\" : {value}")
        })
        .collect();
    format!("{{\n{}\n}}", body.join(",\n"))
}

/// Graviton families (`t4g`, `m6gd`, `c7gn`...) and `a1` are arm64; the rest x86_64.
fn architecture(instance_type: &str) -> &'static str {
    let family = instance_type.split('.').next().unwrap_or("");
    let after_generation = family
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .trim_start_matches(|c: char| c.is_ascii_digit());
    if family == "a1" || after_generation.starts_with('g') {
        "arm64"
    } else {
        "x86_64"
    }
}

fn identity_document(v: &View<'_>) -> String {
    let i = v.instance;
    let launch = iso(i.launch_time);
    aws_json(&[
        ("accountId", Some(&v.account.id)),
        ("architecture", Some(architecture(&i.instance_type))),
        ("availabilityZone", Some(&i.availability_zone)),
        ("billingProducts", None),
        ("devpayProductCodes", None),
        ("marketplaceProductCodes", None),
        ("imageId", Some(&i.image_id)),
        ("instanceId", Some(&i.id)),
        ("instanceType", Some(&i.instance_type)),
        ("kernelId", None),
        ("pendingTime", Some(&launch)),
        ("privateIp", Some(&i.private_ip)),
        ("ramdiskId", None),
        ("region", Some(&i.region)),
        ("version", Some("2017-09-30")),
    ])
}

fn lines(entries: &[&str]) -> String {
    entries.join("\n")
}

/// Resolves a path below `latest/` (no leading `/`; a trailing `/` is optional, as on AWS).
pub(crate) fn resolve<'a>(v: &View<'a>, path: &str) -> Option<Reply<'a>> {
    let i = v.instance;
    let path = path.trim_end_matches('/');
    let text = |s: &str| Some(Reply::Text(s.to_owned()));
    match path {
        "" => text("dynamic\nmeta-data"),
        "dynamic" => text("instance-identity/"),
        "dynamic/instance-identity" => text("document"),
        "dynamic/instance-identity/document" => Some(Reply::Text(identity_document(v))),
        "meta-data" => {
            let mut entries = vec![
                "ami-id",
                "ami-launch-index",
                "hostname",
                "instance-id",
                "instance-type",
                "local-hostname",
                "local-ipv4",
                "mac",
                "placement/",
                "reservation-id",
            ];
            if profile(v).is_some() {
                entries.insert(3, "iam/");
            }
            if i.metadata.instance_metadata_tags {
                entries.push("tags/");
            }
            Some(Reply::Text(lines(&entries)))
        }
        "meta-data/ami-id" => text(&i.image_id),
        "meta-data/ami-launch-index" => text(&i.launch_index.to_string()),
        "meta-data/hostname" | "meta-data/local-hostname" => text(&i.private_dns),
        "meta-data/instance-id" => text(&i.id),
        "meta-data/instance-type" => text(&i.instance_type),
        "meta-data/local-ipv4" => text(&i.private_ip),
        "meta-data/mac" => text(&i.mac),
        "meta-data/reservation-id" => text(&i.reservation_id),
        "meta-data/placement" => text("availability-zone\nregion"),
        "meta-data/placement/availability-zone" => text(&i.availability_zone),
        "meta-data/placement/region" => text(&i.region),
        "meta-data/iam" => profile(v).and_then(|_| text("info\nsecurity-credentials/")),
        "meta-data/iam/info" => {
            let (assoc, profile) = profile(v)?;
            Some(Reply::Text(aws_json(&[
                ("Code", Some("Success")),
                ("LastUpdated", Some(&iso(assoc.associated_at))),
                ("InstanceProfileArn", Some(&profile.arn)),
                ("InstanceProfileId", Some(&profile.id)),
            ])))
        }
        "meta-data/iam/security-credentials" => role(v).map(|(_, r)| Reply::Text(r.name.clone())),
        "meta-data/tags" if i.metadata.instance_metadata_tags => text("instance"),
        "meta-data/tags/instance" if i.metadata.instance_metadata_tags => {
            let keys: Vec<&str> = i.tags.iter().map(|t| t.key.as_str()).collect();
            Some(Reply::Text(lines(&keys)))
        }
        _ => {
            if let Some(name) = path.strip_prefix("meta-data/iam/security-credentials/") {
                let (association, role) = role(v)?;
                return (role.name == name).then_some(Reply::Credentials { association, role });
            }
            if let Some(key) = path.strip_prefix("meta-data/tags/instance/") {
                if i.metadata.instance_metadata_tags {
                    return i.tag(key).map(|t| Reply::Text(t.to_owned()));
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_and_json_layout() {
        assert_eq!(architecture("t3.micro"), "x86_64");
        assert_eq!(architecture("t4g.nano"), "arm64");
        assert_eq!(architecture("m6gd.large"), "arm64");
        assert_eq!(architecture("c7gn.xlarge"), "arm64");
        assert_eq!(architecture("a1.medium"), "arm64");
        assert_eq!(architecture("g5.xlarge"), "x86_64");
        assert_eq!(
            aws_json(&[("Code", Some("Success")), ("kernelId", None)]),
            "{\n  \"Code\" : \"Success\",\n  \"kernelId\" : null\n}"
        );
    }
}
