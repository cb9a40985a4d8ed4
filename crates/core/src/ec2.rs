//! EC2 instances as their account holds them. An instance is a record: nothing runs. Its state
//! machine, its instance profile association and its metadata options are what the EC2 API
//! changes and what the instance metadata service (IMDS) reads.
//!
//! Instance ids are global across accounts as on AWS;
//! [`crate::catalog::Snapshot::find_instance`] finds one through the snapshot's owner index.

use crate::model::Tag;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// EC2's instance states, with the codes DescribeInstances reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    /// The numeric code (the low byte of AWS's 16-bit code).
    pub fn code(self) -> u16 {
        match self {
            InstanceState::Pending => 0,
            InstanceState::Running => 16,
            InstanceState::ShuttingDown => 32,
            InstanceState::Terminated => 48,
            InstanceState::Stopping => 64,
            InstanceState::Stopped => 80,
        }
    }

    /// The name as the API spells it (`instance-state-name` filter values too).
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }
}

/// IMDSv2 enforcement (`HttpTokens`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpTokens {
    /// IMDSv1 and IMDSv2 both accepted.
    Optional,
    /// Only IMDSv2 (session token) requests accepted.
    Required,
}

impl HttpTokens {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpTokens::Optional => "optional",
            HttpTokens::Required => "required",
        }
    }
}

/// Whether the metadata service answers at all (`HttpEndpoint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpEndpoint {
    Enabled,
    Disabled,
}

impl HttpEndpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpEndpoint::Enabled => "enabled",
            HttpEndpoint::Disabled => "disabled",
        }
    }
}

/// An instance's metadata options (RunInstances MetadataOptions, ModifyInstanceMetadataOptions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataOptions {
    pub http_tokens: HttpTokens,
    pub http_endpoint: HttpEndpoint,
    /// `HttpPutResponseHopLimit`, 1..=64.
    pub hop_limit: u32,
    /// Instance tags readable in the metadata (`InstanceMetadataTags`).
    #[serde(default)]
    pub instance_metadata_tags: bool,
}

impl Default for MetadataOptions {
    /// AWS's defaults for an instance launched without MetadataOptions (and without an AMI
    /// that sets IMDSv2-only): both versions, endpoint on, hop limit 1.
    fn default() -> MetadataOptions {
        MetadataOptions {
            http_tokens: HttpTokens::Optional,
            http_endpoint: HttpEndpoint::Enabled,
            hop_limit: 1,
            instance_metadata_tags: false,
        }
    }
}

/// An instance profile associated with an instance. The role is resolved when the association
/// is made, as on AWS (a profile whose role changes later keeps serving, on AWS, the role it
/// holds at credential refresh; IMDS may re-resolve through `profile_arn`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAssociation {
    /// `iip-assoc-` + 17 hex.
    pub association_id: String,
    pub profile_arn: String,
    /// The profile's unique id (`AIPA...`).
    pub profile_id: String,
    /// The role in the profile when associated.
    pub role_name: String,
    /// When associated (epoch seconds): IMDS `iam/info` LastUpdated.
    #[serde(default)]
    pub associated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// `i-` + 17 hex digits.
    pub id: String,
    pub account: String,
    pub region: String,
    /// `<region>a`.
    pub availability_zone: String,
    pub image_id: String,
    pub instance_type: String,
    pub state: InstanceState,
    /// Why the state last changed, as DescribeInstances `stateTransitionReason` says it.
    #[serde(default)]
    pub state_reason: String,
    /// Epoch seconds: when it was launched (or last started).
    pub launch_time: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub iam_profile: Option<ProfileAssociation>,
    #[serde(default)]
    pub metadata: MetadataOptions,
    pub private_ip: String,
    /// `ip-10-x-y-z.ec2.internal` (us-east-1) or `ip-10-x-y-z.<region>.compute.internal`.
    pub private_dns: String,
    /// `r-` + 17 hex: the RunInstances call that launched it.
    pub reservation_id: String,
    #[serde(default)]
    pub key_name: Option<String>,
    /// The ClientToken of the launching call, for idempotency.
    #[serde(default)]
    pub client_token: Option<String>,
    /// Position in its reservation (AmiLaunchIndex).
    #[serde(default)]
    pub launch_index: u32,
    /// The MAC address of its primary network interface (IMDS `mac`).
    #[serde(default)]
    pub mac: String,
}

impl Instance {
    /// `arn:aws:ec2:<region>:<account>:instance/<id>`.
    pub fn arn(&self) -> String {
        instance_arn(&self.region, &self.account, &self.id)
    }

    /// The tag value for `key`, if the instance carries it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }
}

pub fn instance_arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:ec2:{region}:{account}:instance/{id}")
}

fn random_hex(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}

/// A fresh id: `<prefix>-` + 17 lowercase hex digits (`i`, `r`, `iip-assoc`).
pub fn resource_id(prefix: &str) -> String {
    format!("{prefix}-{}", random_hex(17))
}

/// Whether `id` has the shape of an instance id (`i-` + 8 or 17 hex digits).
pub fn well_formed_instance_id(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A private address in 10.0.0.0/8 and its DNS name in `region`.
pub fn private_address(region: &str) -> (String, String) {
    let mut rng = rand::thread_rng();
    let (b, c, d) = (
        rng.gen_range(0..=255u8),
        rng.gen_range(0..=255u8),
        rng.gen_range(4..=254u8),
    );
    let ip = format!("10.{b}.{c}.{d}");
    let host = format!("ip-10-{b}-{c}-{d}");
    let dns = if region == "us-east-1" {
        format!("{host}.ec2.internal")
    } else {
        format!("{host}.{region}.compute.internal")
    };
    (ip, dns)
}

/// A locally administered unicast MAC address, as EC2 gives network interfaces.
pub fn mac_address() -> String {
    let mut rng = rand::thread_rng();
    let b: [u8; 5] = rng.gen();
    format!(
        "0e:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[0], b[1], b[2], b[3], b[4]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_codes() {
        let id = resource_id("i");
        assert_eq!(id.len(), 19);
        assert!(well_formed_instance_id(&id));
        assert!(well_formed_instance_id("i-1234abcd"));
        assert!(!well_formed_instance_id("i-123"));
        assert!(!well_formed_instance_id("x-1234abcd"));
        assert!(!well_formed_instance_id("i-1234abcg"));
        assert!(resource_id("iip-assoc").starts_with("iip-assoc-"));
        assert_eq!(InstanceState::Stopped.code(), 80);
        assert_eq!(InstanceState::ShuttingDown.name(), "shutting-down");
        let (ip, dns) = private_address("eu-west-1");
        assert!(ip.starts_with("10."));
        assert!(dns.ends_with(".eu-west-1.compute.internal"));
        assert_eq!(mac_address().len(), 17);
    }
}
