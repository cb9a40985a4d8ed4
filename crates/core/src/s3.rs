//! S3 buckets as their owning account holds them. Bucket names are global across accounts, as
//! on AWS: [`crate::catalog::Snapshot::find_bucket`] finds one through the snapshot's owner
//! index. Objects live on disk (`crate::objects`), not in the catalog.

use crate::doc::PolicyDoc;
use crate::model::Tag;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub created: i64,
    /// The region it was created in (`us-east-1` unless a LocationConstraint said otherwise).
    pub region: String,
    /// The bucket policy, validated as a resource policy.
    #[serde(default)]
    pub policy: Option<PolicyDoc>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
pub fn s3_arn(bucket: &str, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("arn:aws:s3:::{bucket}/{k}"),
        None => format!("arn:aws:s3:::{bucket}"),
    }
}

/// AWS's bucket naming rules (general purpose buckets): 3-63 characters of lowercase letters,
/// digits, dots and hyphens, beginning and ending with a letter or digit, no two adjacent
/// dots, not an IP address, none of the reserved prefixes and suffixes.
pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    let ok_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-';
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !b.iter().all(|&c| ok_char(c)) || !edge(b[0]) || !edge(b[b.len() - 1]) {
        return false;
    }
    if name.contains("..") || name.parse::<std::net::Ipv4Addr>().is_ok() {
        return false;
    }
    let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"];
    let reserved_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    !reserved_prefix.iter().any(|p| name.starts_with(p))
        && !reserved_suffix.iter().any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_aws_rules() {
        for ok in ["abc", "my.bucket-1", "list-prod-bkt-details-01", "a1b"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
