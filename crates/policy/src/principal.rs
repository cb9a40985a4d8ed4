//! Principals: who makes a request, and the `Principal`/`NotPrincipal` entries that name them.

use crate::ast::PrincipalSpec;

/// What kind of identity signed the request (the `aws:PrincipalType` families).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The root user of an account.
    Root,
    User,
    /// A session of an IAM role (AssumeRole, instance profiles...).
    AssumedRole,
    /// A GetFederationToken session.
    FederatedUser,
    /// A session of a web-identity or SAML provider; `arn` holds the provider.
    WebIdentity,
    /// An AWS service acting as itself (`ec2.amazonaws.com` assuming an instance role).
    Service,
    Anonymous,
}

/// The identity of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The principal's account id; empty for services and anonymous callers.
    pub account: String,
    /// The identity ARN: the user, the session (`arn:aws:sts::A:assumed-role/R/s`), the root.
    pub arn: String,
    /// `aws:PrincipalArn`: the role ARN (with its path) for a role session, else `arn`.
    pub principal_arn: String,
    /// The IAM unique id: AIDA... for users, the role's AROA... for role sessions.
    pub unique_id: String,
    /// The user name, the session name, the federated user name or the service name.
    pub name: String,
    /// The S3 canonical user id of the principal's account, where one exists.
    pub canonical_id: Option<String>,
}

impl Principal {
    pub fn root(account: &str) -> Principal {
        let arn = format!("arn:aws:iam::{account}:root");
        Principal {
            kind: PrincipalKind::Root,
            account: account.to_owned(),
            principal_arn: arn.clone(),
            arn,
            unique_id: account.to_owned(),
            name: "root".to_owned(),
            canonical_id: None,
        }
    }

    pub fn user(account: &str, user_arn: &str, name: &str, unique_id: &str) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            account: account.to_owned(),
            arn: user_arn.to_owned(),
            principal_arn: user_arn.to_owned(),
            unique_id: unique_id.to_owned(),
            name: name.to_owned(),
            canonical_id: None,
        }
    }

    /// A session of `role_arn` (which keeps its path); the session ARN drops the path, as AWS does.
    pub fn assumed_role(role_arn: &str, role_id: &str, session_name: &str) -> Principal {
        let (account, role_name) = split_iam_arn(role_arn)
            .map(|(a, res)| (a, res.rsplit('/').next().unwrap_or(res)))
            .unwrap_or(("", ""));
        Principal {
            kind: PrincipalKind::AssumedRole,
            account: account.to_owned(),
            arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
            principal_arn: role_arn.to_owned(),
            unique_id: role_id.to_owned(),
            name: session_name.to_owned(),
            canonical_id: None,
        }
    }

    pub fn federated_user(account: &str, name: &str) -> Principal {
        let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
        Principal {
            kind: PrincipalKind::FederatedUser,
            account: account.to_owned(),
            principal_arn: arn.clone(),
            arn,
            unique_id: format!("{account}:{name}"),
            name: name.to_owned(),
            canonical_id: None,
        }
    }

    pub fn service(name: &str) -> Principal {
        Principal {
            kind: PrincipalKind::Service,
            account: String::new(),
            arn: name.to_owned(),
            principal_arn: name.to_owned(),
            unique_id: name.to_owned(),
            name: name.to_owned(),
            canonical_id: None,
        }
    }

    /// A web-identity or SAML session of `provider` (`accounts.google.com`, an oidc-provider ARN).
    pub fn web_identity(provider: &str, subject: &str) -> Principal {
        Principal {
            kind: PrincipalKind::WebIdentity,
            account: String::new(),
            arn: provider.to_owned(),
            principal_arn: provider.to_owned(),
            unique_id: subject.to_owned(),
            name: subject.to_owned(),
            canonical_id: None,
        }
    }

    pub fn anonymous() -> Principal {
        Principal {
            kind: PrincipalKind::Anonymous,
            account: String::new(),
            arn: "anonymous".to_owned(),
            principal_arn: String::new(),
            unique_id: "anonymous".to_owned(),
            name: String::new(),
            canonical_id: None,
        }
    }

    /// Reads a root, user, assumed-role session or federated-user ARN. Unique ids are made up
    /// from the name (tests and tools); the server builds principals from its catalog instead.
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let (account, resource) = split_iam_arn(arn)?;
        if arn.starts_with("arn:aws:iam::") {
            if resource == "root" {
                return Some(Principal::root(account));
            }
            let path_name = resource.strip_prefix("user/")?;
            let name = path_name.rsplit('/').next().unwrap_or(path_name);
            return Some(Principal::user(
                account,
                arn,
                name,
                &made_up_id("AIDA", name),
            ));
        }
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            let (role, session) = rest.split_once('/')?;
            let role_arn = format!("arn:aws:iam::{account}:role/{role}");
            return Some(Principal::assumed_role(
                &role_arn,
                &made_up_id("AROA", role),
                session,
            ));
        }
        let name = resource.strip_prefix("federated-user/")?;
        Some(Principal::federated_user(account, name))
    }

    /// For a role session: the role's ARN with its path.
    pub fn with_role_arn(mut self, role_arn: &str) -> Principal {
        self.principal_arn = role_arn.to_owned();
        self
    }

    pub fn with_unique_id(mut self, id: &str) -> Principal {
        self.unique_id = id.to_owned();
        self
    }

    /// The ARN AWS prints in `User: ... is not authorized` messages.
    pub fn display_arn(&self) -> &str {
        &self.arn
    }
}

fn made_up_id(prefix: &str, name: &str) -> String {
    let mut id = String::from(prefix);
    id.extend(
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase()),
    );
    while id.len() < 21 {
        id.push('X');
    }
    id.truncate(21);
    id
}

/// `arn:aws:iam::A:res` or `arn:aws:sts::A:res` → (A, res).
fn split_iam_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (arn_lit, _partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn_lit != "arn" || !matches!(service, "iam" | "sts") || !region.is_empty() {
        return None;
    }
    Some((account, resource))
}

/// How strongly a resource-policy statement names the principal (spec 1.2): an account grant
/// only delegates to the account, a role grant is limited by boundaries and session policies,
/// a direct grant (user, session, federated user, `*`, service) stands alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    Account,
    Role,
    Direct,
}

/// One compiled entry of a `Principal` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    Everyone,
    Account(Box<str>),
    User(Box<str>),
    Role(Box<str>),
    Session(Box<str>),
    FederatedUser(Box<str>),
    UniqueId(Box<str>),
    Service(Box<str>),
    Federated(Box<str>),
    CanonicalUser(Box<str>),
    /// Something IAM would refuse to save; it names no one.
    Invalid,
}

pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// IAM unique ids: a four-letter prefix (AIDA, AROA...) then upper-case letters and digits.
pub(crate) fn is_unique_id(s: &str) -> bool {
    s.len() >= 16
        && s.len() <= 128
        && s.starts_with('A')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl PrincipalEntry {
    pub(crate) fn compile_aws(value: &str) -> PrincipalEntry {
        if value == "*" {
            return PrincipalEntry::Everyone;
        }
        if is_account_id(value) {
            return PrincipalEntry::Account(value.into());
        }
        if is_unique_id(value) {
            return PrincipalEntry::UniqueId(value.into());
        }
        let Some(rest) = value.strip_prefix("arn:") else {
            return PrincipalEntry::Invalid;
        };
        let mut parts = rest.splitn(5, ':');
        let (Some(_partition), Some(service), Some(region), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return PrincipalEntry::Invalid;
        };
        // "You cannot use a wildcard to match part of a principal name or ARN."
        if !region.is_empty() || !is_account_id(account) || resource.contains('*') {
            return PrincipalEntry::Invalid;
        }
        match service {
            "iam" if resource == "root" => PrincipalEntry::Account(account.into()),
            "iam" if resource.starts_with("user/") => PrincipalEntry::User(value.into()),
            "iam" if resource.starts_with("role/") => PrincipalEntry::Role(value.into()),
            "sts"
                if resource.starts_with("assumed-role/") && resource.matches('/').count() == 2 =>
            {
                PrincipalEntry::Session(value.into())
            }
            "sts" if resource.starts_with("federated-user/") => {
                PrincipalEntry::FederatedUser(value.into())
            }
            _ => PrincipalEntry::Invalid,
        }
    }

    pub(crate) fn compile_spec(spec: &PrincipalSpec) -> Vec<PrincipalEntry> {
        match spec {
            PrincipalSpec::Wildcard => vec![PrincipalEntry::Everyone],
            PrincipalSpec::Map(entries) => entries
                .iter()
                .flat_map(|(kind, values)| {
                    values.iter().map(move |v| match kind.as_str() {
                        "AWS" => PrincipalEntry::compile_aws(v),
                        "Service" => PrincipalEntry::Service(v.as_str().into()),
                        "Federated" => PrincipalEntry::Federated(v.as_str().into()),
                        "CanonicalUser" => PrincipalEntry::CanonicalUser(v.as_str().into()),
                        _ => PrincipalEntry::Invalid,
                    })
                })
                .collect(),
        }
    }

    /// Whether this entry names `p`, and how strongly.
    pub(crate) fn grant(&self, p: &Principal) -> Option<Grant> {
        use PrincipalKind as K;
        let has_account = matches!(
            p.kind,
            K::Root | K::User | K::AssumedRole | K::FederatedUser
        );
        match self {
            PrincipalEntry::Everyone => Some(Grant::Direct),
            PrincipalEntry::Account(a) if has_account && **a == *p.account => Some(Grant::Account),
            PrincipalEntry::User(arn) if p.kind == K::User && **arn == *p.arn => {
                Some(Grant::Direct)
            }
            PrincipalEntry::Role(arn) if p.kind == K::AssumedRole && **arn == *p.principal_arn => {
                Some(Grant::Role)
            }
            PrincipalEntry::Session(arn) if p.kind == K::AssumedRole && **arn == *p.arn => {
                Some(Grant::Direct)
            }
            PrincipalEntry::FederatedUser(arn) if p.kind == K::FederatedUser && **arn == *p.arn => {
                Some(Grant::Direct)
            }
            PrincipalEntry::UniqueId(id) if **id == *p.unique_id => match p.kind {
                K::User => Some(Grant::Direct),
                K::AssumedRole => Some(Grant::Role),
                _ => None,
            },
            PrincipalEntry::Service(name)
                if p.kind == K::Service && name.eq_ignore_ascii_case(&p.name) =>
            {
                Some(Grant::Direct)
            }
            PrincipalEntry::Federated(provider)
                if p.kind == K::WebIdentity && **provider == *p.arn =>
            {
                Some(Grant::Direct)
            }
            PrincipalEntry::CanonicalUser(id) if p.canonical_id.as_deref() == Some(&**id) => {
                Some(Grant::Account)
            }
            _ => None,
        }
    }
}

/// The strongest grant any entry gives `p`.
pub(crate) fn best_grant(entries: &[PrincipalEntry], p: &Principal) -> Option<Grant> {
    entries.iter().filter_map(|e| e.grant(p)).max()
}

/// `NotPrincipal`: the statement applies unless every layer of the caller's identity is listed
/// (its account, then its user or role and session). This is why AWS asks to list the account
/// ARN beside a user excluded from a Deny: otherwise the account layer is not excluded.
pub(crate) fn not_principal_applies(entries: &[PrincipalEntry], p: &Principal) -> bool {
    use PrincipalKind as K;
    let listed = |want: Grant| entries.iter().any(|e| e.grant(p) == Some(want));
    let everyone = entries.contains(&PrincipalEntry::Everyone);
    if everyone {
        return false;
    }
    let all_listed = match p.kind {
        K::Root => listed(Grant::Account),
        K::User | K::FederatedUser => listed(Grant::Account) && listed(Grant::Direct),
        K::AssumedRole => {
            listed(Grant::Account)
                && listed(Grant::Role)
                && entries
                    .iter()
                    .any(|e| matches!(e, PrincipalEntry::Session(arn) if **arn == *p.arn))
        }
        K::Service | K::WebIdentity => listed(Grant::Direct),
        K::Anonymous => false,
    };
    !all_listed
}
