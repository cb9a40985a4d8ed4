//! Validation per kind of policy, with IAM's `MalformedPolicyDocument` texts and precedence.
//!
//! The grammar itself is checked by `Policy::parse`; here are the rules that depend on where a
//! document is used (identity, resource, trust, SCP, RCP, session) and the checks IAM makes on
//! top of the grammar (legacy parsing, Sid uniqueness, vendors, ARN formats, principals).

use crate::ast::{ActionSpec, Policy, PrincipalSpec, Version};
use crate::error::PolicyError;
use crate::pattern::Pattern;
use crate::principal::PrincipalEntry;

/// Where a policy document is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed policy (CreatePolicy, CreatePolicyVersion).
    ManagedIdentity,
    /// An inline policy of a user, group or role.
    InlineIdentity,
    /// A resource-based policy (bucket policy, key policy, table policy).
    Resource,
    /// A role trust policy (AssumeRolePolicyDocument).
    Trust,
    Scp,
    Rcp,
    /// The Policy parameter of AssumeRole or GetFederationToken.
    Session,
}

impl PolicyKind {
    fn has_principal(self) -> bool {
        matches!(
            self,
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::Rcp
        )
    }
}

/// The STS actions a trust policy may name.
const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// The partition rolegate serves: IAM in one partition refuses ARNs of the others
/// (`Partition "aws" is not valid for resource ...` in aws-cn and GovCloud).
const PARTITIONS: [&str; 1] = ["aws"];

const IAM_PATHS: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

impl Policy {
    /// Parses and validates for `kind`: what IAM does with every document it is given.
    pub fn parse_for(src: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let policy = Policy::parse(src)?;
        validate(&policy, kind)?;
        Ok(policy)
    }

    /// Every `AWS` principal the document names, for the caller to check that they exist
    /// (IAM refuses a trust policy naming a user or role that does not).
    pub fn aws_principals(&self) -> Vec<&str> {
        self.statements
            .iter()
            .flat_map(|s| s.principal.iter().chain(s.not_principal.iter()))
            .flat_map(|p| match p {
                PrincipalSpec::Wildcard => Vec::new(),
                PrincipalSpec::Map(entries) => entries
                    .iter()
                    .filter(|(k, _)| k == "AWS")
                    .flat_map(|(_, v)| v.iter().map(String::as_str))
                    .collect(),
            })
            .collect()
    }
}

/// The size IAM counts against its quotas: "IAM does not count white space".
pub fn size_without_whitespace(src: &str) -> usize {
    src.chars().filter(|c| !c.is_whitespace()).count()
}

/// Applies the rules of `kind` to a parsed document.
pub fn validate(policy: &Policy, kind: PolicyKind) -> Result<(), PolicyError> {
    if kind == PolicyKind::ManagedIdentity && policy.version != Some(Version::V2012_10_17) {
        return Err(PolicyError::new(
            "Policy document must be version 2012-10-17 or greater.",
        ));
    }
    // IAM's legacy parser is case-sensitive where the grammar check is not.
    if policy
        .statements
        .iter()
        .any(|s| s.effect_text != "Allow" && s.effect_text != "Deny")
    {
        return Err(PolicyError::new("The policy failed legacy parsing"));
    }
    if !legacy_parse(policy) {
        return Err(PolicyError::new("The policy failed legacy parsing"));
    }
    check_kind(policy, kind)?;
    check_sids(policy, kind)?;
    for s in &policy.statements {
        if s.action.as_ref().is_none_or(|a| a.values().is_empty()) {
            return Err(PolicyError::new("Policy statement must contain actions."));
        }
    }
    if kind != PolicyKind::Trust {
        for s in &policy.statements {
            if s.resource.as_ref().is_none_or(|r| r.values().is_empty()) {
                return Err(PolicyError::new("Policy statement must contain resources."));
            }
        }
    }
    for s in &policy.statements {
        if let Some(r) = &s.resource {
            let mut values: Vec<&String> = r.values().iter().collect();
            // IAM reports the last resource in sort order first; follow it for the same text.
            values.sort_unstable_by(|a, b| b.cmp(a));
            for v in values {
                check_resource(v)?;
            }
        }
    }
    for s in &policy.statements {
        for a in s.action.iter().flat_map(ActionSpec::values) {
            check_action(a)?;
        }
    }
    if kind == PolicyKind::Trust {
        for s in &policy.statements {
            let trusted = match &s.action {
                Some(ActionSpec::Action(v)) => v.iter().all(|a| is_trust_action(a)),
                _ => false,
            };
            if !trusted {
                return Err(PolicyError::new(
                    "AssumeRole policy may only specify STS AssumeRole actions.",
                ));
            }
        }
    }
    if kind.has_principal() {
        for s in &policy.statements {
            for p in s.principal.iter().chain(s.not_principal.iter()) {
                check_principal(p)?;
            }
        }
    }
    Ok(())
}

/// IAM's older parser, which still runs first: Date condition values must be dates, and a
/// resource must have its vendor and, once it uses `::`, all six parts.
fn legacy_parse(policy: &Policy) -> bool {
    for s in &policy.statements {
        for entry in s.condition.iter().flat_map(|c| c.0.iter()) {
            let is_date =
                crate::condition::Operator::parse(&entry.operator).is_some_and(|op| op.is_date());
            if is_date
                && entry
                    .keys
                    .iter()
                    .flat_map(|(_, v)| v.iter())
                    .any(|v| !legacy_date_ok(v))
            {
                return false;
            }
        }
    }
    // Once a resource has a format error, IAM reports that instead of legacy parsing.
    let resources = || {
        policy
            .statements
            .iter()
            .flat_map(|s| s.resource.iter().flat_map(|r| r.values()))
    };
    if resources().any(|r| check_resource(r).is_err()) {
        return true;
    }
    {
        for r in resources() {
            if r == "*" {
                continue;
            }
            let colons = r.matches(':').count();
            if colons < 5 && r.contains("::") {
                return false;
            }
            if r.split(':').nth(2).is_some_and(str::is_empty) {
                return false;
            }
        }
    }
    true
}

/// Python-style integer: optional sign, digits, surrounding spaces.
fn legacy_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// The legacy parser's idea of a date: epoch seconds, or an ISO 8601 prefix whose fields it
/// range-checks (it is more lenient than the evaluator: "01T" passes and matches nothing).
fn legacy_date_ok(value: &str) -> bool {
    let v = value.to_lowercase();
    if !v.contains('t') && !v.contains('-') {
        return legacy_int(&v).is_some_and(|n| n >= 0);
    }
    let (date, time) = v.split_once('t').unwrap_or((&v, ""));
    let negative = date.starts_with('-');
    let parts: Vec<&str> = date.trim_start_matches('-').split('-').collect();
    let in_range = |s: Option<&&str>, lo: i64, hi: i64| {
        s.is_none_or(|s| legacy_int(s).is_some_and(|n| (lo..=hi).contains(&n)))
    };
    let year = parts
        .first()
        .and_then(|y| legacy_int(y))
        .map(|y| if negative { -y } else { y });
    if !year.is_some_and(|y| (-292_275_054..=292_278_993).contains(&y))
        || !in_range(parts.get(1), 1, 12)
        || !in_range(parts.get(2), 1, 31)
        || parts.len() > 3
    {
        return false;
    }
    let t: Vec<&str> = time.split(':').collect();
    let hours = t.first().filter(|h| !h.is_empty());
    if !in_range(hours, 0, 23) || !in_range(t.get(1), 0, 59) {
        return false;
    }
    let Some(sec) = t.get(2) else {
        return true;
    };
    // Seconds, then an optional fraction, then `z` or a `+hh[:mm]` zone.
    let seconds_part = if let Some((before, after)) = sec.split_once('z') {
        if !after.is_empty() {
            return false;
        }
        before
    } else if let Some((before, zone)) = sec.split_once('+') {
        let (zh, zm) = match zone.split_once(':') {
            Some((h, m)) => (h, Some(m)),
            None => (zone, None),
        };
        let two =
            |x: &str, hi: i64| x.len() == 2 && legacy_int(x).is_some_and(|n| (0..=hi).contains(&n));
        if !two(zh, 23) || zm.is_some_and(|m| !two(m, 59)) {
            return false;
        }
        before
    } else {
        sec
    };
    let (whole, fraction) = match seconds_part.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (seconds_part, None),
    };
    legacy_int(whole).is_some_and(|n| (0..=59).contains(&n))
        && fraction.is_none_or(|f| legacy_int(f).is_some_and(|n| (0..=999_999_999).contains(&n)))
}

fn check_kind(policy: &Policy, kind: PolicyKind) -> Result<(), PolicyError> {
    for s in &policy.statements {
        let named = s.principal.is_some() || s.not_principal.is_some();
        if kind.has_principal() {
            if !named {
                return Err(PolicyError::new("Missing required field Principal"));
            }
        } else if named {
            return Err(PolicyError::new(
                "Policy document should not specify a principal.",
            ));
        }
        if kind == PolicyKind::Trust {
            if s.resource.is_some() {
                return Err(PolicyError::new("Has prohibited field Resource"));
            }
            if s.not_principal.is_some() {
                return Err(PolicyError::new("Has prohibited field NotPrincipal"));
            }
        }
    }
    Ok(())
}

fn check_sids(policy: &Policy, kind: PolicyKind) -> Result<(), PolicyError> {
    let iam = matches!(
        kind,
        PolicyKind::ManagedIdentity | PolicyKind::InlineIdentity | PolicyKind::Trust
    );
    let mut seen: Vec<&str> = Vec::new();
    for sid in policy.statements.iter().filter_map(|s| s.sid.as_deref()) {
        if iam && !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PolicyError::new(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
            ));
        }
        if !sid.is_empty() {
            if seen.contains(&sid) {
                return Err(PolicyError::new(
                    "Statement IDs (SID) in a single policy must be unique.",
                ));
            }
            seen.push(sid);
        }
    }
    Ok(())
}

fn check_action(action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    match (parts.next(), parts.next()) {
        (None, _) => Err(PolicyError::new(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        )),
        (Some(_), Some(_)) => Err(PolicyError::new(
            "Actions/Condition can contain only one colon.",
        )),
        (Some(_), None) => {
            if vendor.is_empty()
                || !vendor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                Err(PolicyError::new(format!("Vendor {vendor} is not valid")))
            } else {
                Ok(())
            }
        }
    }
}

fn is_trust_action(action: &str) -> bool {
    let Some((vendor, _)) = action.split_once(':') else {
        return false;
    };
    if !vendor.eq_ignore_ascii_case("sts") {
        return false;
    }
    let p = Pattern::new(action, true, false, true);
    let ctx = crate::context::Context::new();
    TRUST_ACTIONS
        .iter()
        .any(|a| p.matches(a, &ctx) == Some(true))
}

fn check_resource(resource: &str) -> Result<(), PolicyError> {
    if resource == "*" {
        return Ok(());
    }
    let Some((_arn, rest)) = resource.split_once(':') else {
        return Err(PolicyError::new(format!(
            "Resource {resource} must be in ARN format or \"*\"."
        )));
    };
    // A partition not followed by a colon ("arn:aws") names no vendor.
    let (partition, rest, had_colon) = match rest.split_once(':') {
        Some((p, r)) => (p, r, true),
        None => (rest, "", false),
    };
    if !PARTITIONS.contains(&partition) {
        let parts: Vec<&str> = rest.split(':').collect();
        // Missing components print as `*`, present ones (even empty) as written.
        let part = |i: usize| match parts.get(i) {
            Some(p) if !(i == 0 && p.is_empty() && parts.len() == 1) => (*p).to_owned(),
            _ => "*".to_owned(),
        };
        let tail = if parts.len() > 3 {
            parts[3..].join(":")
        } else {
            "*".to_owned()
        };
        return Err(PolicyError::new(format!(
            "Partition \"{partition}\" is not valid for resource \"arn:{partition}:{}:{}:{}:{tail}\".",
            part(0),
            part(1),
            part(2)
        )));
    }
    if !had_colon {
        return Err(PolicyError::new(
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ));
    }
    let (service, rest) = rest.split_once(':').unwrap_or((rest, ""));
    let (region, rest) = rest.split_once(':').unwrap_or((rest, ""));
    match service {
        "iam" if !region.is_empty() => {
            return Err(PolicyError::new(format!(
                "IAM resource {resource} cannot contain region information."
            )))
        }
        "s3" if !region.is_empty() => {
            return Err(PolicyError::new(format!(
                "Resource {resource} can not contain region information."
            )))
        }
        _ => {}
    }
    if service == "iam" {
        let path = rest.split_once(':').map_or("", |(_, p)| p);
        if path != "*" && path != "root" && !IAM_PATHS.iter().any(|p| path.starts_with(p)) {
            return Err(PolicyError::new(format!(
                "IAM resource path must either be \"*\" or start with {}.",
                IAM_PATHS.join(", ")
            )));
        }
    }
    Ok(())
}

fn check_principal(p: &PrincipalSpec) -> Result<(), PolicyError> {
    let PrincipalSpec::Map(entries) = p else {
        return Ok(());
    };
    for (kind, values) in entries {
        for v in values.iter() {
            let ok = match kind.as_str() {
                "AWS" => PrincipalEntry::compile_aws(v) != PrincipalEntry::Invalid,
                "Service" => is_service_principal(v),
                _ => !v.is_empty(),
            };
            if !ok {
                return Err(PolicyError::new(format!(
                    "Invalid principal in policy: \"{kind}\":\"{v}\""
                )));
            }
        }
    }
    Ok(())
}

/// `ec2.amazonaws.com`, `states.us-east-1.amazonaws.com`, `ec2.amazonaws.com.cn`, or `*`.
fn is_service_principal(v: &str) -> bool {
    v == "*"
        || (v.contains('.')
            && !v.starts_with('.')
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: PolicyKind, doc: &str) -> Result<(), String> {
        Policy::parse_for(doc, kind)
            .map(|_| ())
            .map_err(|e| e.message().to_owned())
    }

    #[test]
    fn iam_path_and_region_rules() {
        let doc = |r: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"iam:GetUser","Resource":"{r}"}}}}"#
            )
        };
        assert!(check(
            PolicyKind::ManagedIdentity,
            &doc("arn:aws:iam::111111111111:user/*")
        )
        .is_ok());
        assert!(check(
            PolicyKind::ManagedIdentity,
            &doc("arn:aws:iam::111111111111:root")
        )
        .is_ok());
        assert_eq!(
            check(PolicyKind::ManagedIdentity, &doc("arn:aws:iam:us-east-1:111111111111:user/x")),
            Err("IAM resource arn:aws:iam:us-east-1:111111111111:user/x cannot contain region information.".into())
        );
        assert!(check(
            PolicyKind::ManagedIdentity,
            &doc("arn:aws:iam::111111111111:bogus/x")
        )
        .is_err_and(|e| e.starts_with("IAM resource path must either be")));
        assert_eq!(
            check(PolicyKind::ManagedIdentity, &doc("bucket")),
            Err("Resource bucket must be in ARN format or \"*\".".into())
        );
        assert_eq!(
            check(PolicyKind::ManagedIdentity, &doc("arn:foo:s3:::b")),
            Err("Partition \"foo\" is not valid for resource \"arn:foo:s3:::b\".".into())
        );
    }

    #[test]
    fn trust_actions() {
        assert!(is_trust_action("sts:AssumeRole"));
        assert!(is_trust_action("STS:assumerole"));
        assert!(is_trust_action("sts:*"));
        assert!(is_trust_action("sts:AssumeRole*"));
        assert!(!is_trust_action("sts:GetCallerIdentity"));
        assert!(!is_trust_action("s3:GetObject"));
        assert!(!is_trust_action("*"));
    }
}
