//! The condition keys of one request.
//!
//! Key names are case-insensitive in AWS (tag keys inside key names too), so keys are stored
//! lowercased once here and compiled policies look them up already lowercased: no per-request
//! case folding.

use crate::principal::{Principal, PrincipalKind};

/// The value of one key: single-valued keys have exactly one value; multivalued keys
/// (`aws:TagKeys`, `aws:CalledVia`...) may have any number, zero included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(v) => std::slice::from_ref(v),
            ContextValue::Multi(v) => v,
        }
    }
}

/// The request context: sorted by lowercased key for binary search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(String, ContextValue)>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// The keys every signed request carries about its principal: aws:PrincipalArn,
    /// aws:PrincipalAccount, aws:PrincipalType, aws:userid and (IAM users only) aws:username.
    pub fn for_principal(p: &Principal) -> Context {
        let mut ctx = Context::new();
        let kind = match p.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Anonymous => "Anonymous",
            PrincipalKind::Service => "Service",
            PrincipalKind::WebIdentity => "WebIdentityUser",
        };
        ctx.insert("aws:PrincipalType", kind);
        // "Present in the request context for all signed API requests."
        if p.kind != PrincipalKind::Anonymous {
            let service = p.kind == PrincipalKind::Service;
            ctx.insert(
                "aws:PrincipalIsAWSService",
                if service { "true" } else { "false" },
            );
            if service {
                ctx.insert("aws:PrincipalServiceName", &p.name);
            }
        }
        match p.kind {
            PrincipalKind::Anonymous => {
                ctx.insert("aws:PrincipalAccount", "anonymous");
                ctx.insert("aws:userid", "anonymous");
            }
            PrincipalKind::Service | PrincipalKind::WebIdentity => {}
            _ => {
                ctx.insert("aws:PrincipalArn", &p.principal_arn);
                ctx.insert("aws:PrincipalAccount", &p.account);
                let userid = match p.kind {
                    PrincipalKind::Root => p.account.clone(),
                    PrincipalKind::AssumedRole => format!("{}:{}", p.unique_id, p.name),
                    PrincipalKind::FederatedUser => format!("{}:{}", p.account, p.name),
                    _ => p.unique_id.clone(),
                };
                ctx.insert("aws:userid", &userid);
                if p.kind == PrincipalKind::User {
                    ctx.insert("aws:username", &p.name);
                }
            }
        }
        ctx
    }

    /// Sets a single-valued key (replacing any value it had).
    pub fn insert(&mut self, key: &str, value: &str) {
        self.set(key, ContextValue::Single(value.to_owned()));
    }

    /// Sets a multivalued key; an empty list is a key present with no value.
    pub fn insert_multi(&mut self, key: &str, values: Vec<String>) {
        self.set(key, ContextValue::Multi(values));
    }

    pub fn set(&mut self, key: &str, value: ContextValue) {
        let key = key.to_lowercase();
        match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) {
        let key = key.to_lowercase();
        if let Ok(i) = self.entries.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            self.entries.remove(i);
        }
    }

    /// Looks a key up by any case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.chars().any(|c| c.is_uppercase()) {
            self.get_lower(&key.to_lowercase())
        } else {
            self.get_lower(key)
        }
    }

    /// Looks up a key that is already lowercased (compiled policies hold them so).
    pub(crate) fn get_lower(&self, key: &str) -> Option<&ContextValue> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// The value of a single-valued key, for policy variables (a multivalued key is not one).
    pub(crate) fn single(&self, key_lower: &str) -> Option<&str> {
        match self.get_lower(key_lower)? {
            ContextValue::Single(v) => Some(v),
            ContextValue::Multi(_) => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}
