//! The condition keys of one request.
//!
//! Key names are case-insensitive in AWS (tag keys inside key names too), so keys are stored
//! lowercased once here and compiled policies look them up already lowercased: no per-request
//! case folding.

use crate::principal::{Principal, PrincipalKind};
use std::borrow::Cow;
use std::sync::OnceLock;

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

/// A request value read as the typed operators read it, once, the first time one asks (a
/// decision may test the same key in many statements).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Typed {
    pub(crate) date: Option<i64>,
    pub(crate) number: Option<f64>,
    pub(crate) ip: Option<std::net::IpAddr>,
    pub(crate) boolean: Option<bool>,
}

impl Typed {
    fn of(v: &str) -> Typed {
        Typed {
            date: crate::condition::parse_date(v),
            number: crate::condition::parse_number(v),
            ip: v.trim().parse().ok(),
            boolean: crate::condition::parse_bool(v),
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a of a lowercased key: a lookup compares these integers, and then one string.
/// A `const fn`, so that [`StaticKey`]s are hashed when compiled.
pub(crate) const fn key_hash(key_lower: &str) -> u64 {
    let b = key_lower.as_bytes();
    let mut hash = FNV_OFFSET;
    let mut i = 0;
    while i < b.len() {
        hash = (hash ^ b[i] as u64).wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// A key name written in the code, lowercased and hashed when compiled: the global keys are
/// set on every request, and hashing them there showed in profiles.
#[derive(Clone, Copy, Debug)]
pub struct StaticKey {
    name: &'static str,
    hash: u64,
}

impl StaticKey {
    /// Fails to compile (in a `const`) for a name that is not lowercase ASCII.
    pub const fn new(name: &'static str) -> StaticKey {
        let b = name.as_bytes();
        let mut i = 0;
        while i < b.len() {
            assert!(
                b[i].is_ascii() && !b[i].is_ascii_uppercase(),
                "a static key is lowercase ASCII"
            );
            i += 1;
        }
        StaticKey {
            name,
            hash: key_hash(name),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// Lowercased; borrowed when the key was a lowercase literal ([`Context::insert_key`]).
    key: Cow<'static, str>,
    value: ContextValue,
    typed: TypedValues,
}

/// The typed readings of an entry's values. A single value (most keys) is read the first time
/// a condition asks for it, inline: most keys of a request are never compared by a typed
/// operator, and parsing every value as a date, a number, an address and a boolean when it
/// was set was most of the cost of building a context. Multiple values are read when set, so
/// that evaluation never allocates. (Reading them lazily too, behind a `OnceLock`, saved the
/// DynamoDB item requests a little but cost the policy benchmark 1-2 % of its instructions
/// per decision: measured, not kept.)
#[derive(Clone, Debug, PartialEq)]
enum TypedValues {
    One(OnceLock<Typed>),
    Many(Vec<Typed>),
}

impl TypedValues {
    fn of(value: &ContextValue) -> TypedValues {
        match value {
            ContextValue::Single(_) => TypedValues::One(OnceLock::new()),
            ContextValue::Multi(vs) => TypedValues::Many(vs.iter().map(|v| Typed::of(v)).collect()),
        }
    }

    fn get<'a>(&'a self, value: &ContextValue) -> &'a [Typed] {
        match (self, value) {
            (TypedValues::One(cell), ContextValue::Single(v)) => {
                std::slice::from_ref(cell.get_or_init(|| Typed::of(v)))
            }
            (TypedValues::Many(ts), ContextValue::Multi(_)) => ts,
            // `of` pairs One with Single and Many with Multi; nothing else builds either.
            _ => &[],
        }
    }
}

/// Key names as stored: lowercased, with ASCII (every AWS key name) folded byte by byte.
fn lower(key: &str) -> String {
    if key.is_ascii() {
        key.to_ascii_lowercase()
    } else {
        key.to_lowercase()
    }
}

/// Entries a request context starts with room for: the global keys plus a service's own.
const TYPICAL_KEYS: usize = 24;

/// The request context. Entries stay in the order they were set, with their keys' hashes in a
/// parallel list: a lookup scans those contiguous integers, and compares a name only on a
/// hash match. (Entries used to be kept sorted for binary search: every insertion into the
/// middle moved the entries after it, each over a hundred bytes, on every request.)
#[derive(Clone, Debug, Default)]
pub struct Context {
    hashes: Vec<u64>,
    entries: Vec<Entry>,
}

/// The same keys with the same values, whatever the order they were set in.
impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.entries.len() == other.entries.len()
            && self.hashes.iter().zip(&self.entries).all(|(&h, e)| {
                other
                    .find(h, &e.key)
                    .is_some_and(|i| other.entries[i].value == e.value)
            })
    }
}

impl Context {
    pub const fn new() -> Context {
        Context {
            hashes: Vec::new(),
            entries: Vec::new(),
        }
    }

    pub(crate) const fn empty() -> Context {
        Context::new()
    }

    /// The keys every signed request carries about its principal: aws:PrincipalArn,
    /// aws:PrincipalAccount, aws:PrincipalType, aws:userid and (IAM users only) aws:username.
    pub fn for_principal(p: &Principal) -> Context {
        // Key literals are lowercase, as stored, so that none is copied.
        let mut ctx = Context {
            hashes: Vec::with_capacity(TYPICAL_KEYS),
            entries: Vec::with_capacity(TYPICAL_KEYS),
        };
        let kind = match p.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Anonymous => "Anonymous",
            PrincipalKind::Service => "Service",
            PrincipalKind::WebIdentity => "WebIdentityUser",
        };
        ctx.insert_key(const { StaticKey::new("aws:principaltype") }, kind);
        // "Present in the request context for all signed API requests."
        if p.kind != PrincipalKind::Anonymous {
            let service = p.kind == PrincipalKind::Service;
            ctx.insert_key(
                const { StaticKey::new("aws:principalisawsservice") },
                if service { "true" } else { "false" },
            );
            if service {
                ctx.insert_key(
                    const { StaticKey::new("aws:principalservicename") },
                    &p.name,
                );
            }
        }
        match p.kind {
            PrincipalKind::Anonymous => {
                ctx.insert_key(
                    const { StaticKey::new("aws:principalaccount") },
                    "anonymous",
                );
                ctx.insert_key(const { StaticKey::new("aws:userid") }, "anonymous");
            }
            PrincipalKind::Service | PrincipalKind::WebIdentity => {}
            _ => {
                ctx.insert_key(
                    const { StaticKey::new("aws:principalarn") },
                    &p.principal_arn,
                );
                ctx.insert_key(const { StaticKey::new("aws:principalaccount") }, &p.account);
                let userid = match p.kind {
                    PrincipalKind::Root => p.account.clone(),
                    PrincipalKind::AssumedRole => format!("{}:{}", p.unique_id, p.name),
                    PrincipalKind::FederatedUser => format!("{}:{}", p.account, p.name),
                    _ => p.unique_id.clone(),
                };
                ctx.insert_key(const { StaticKey::new("aws:userid") }, &userid);
                if p.kind == PrincipalKind::User {
                    ctx.insert_key(const { StaticKey::new("aws:username") }, &p.name);
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

    /// Sets a single-valued key named in the code ([`StaticKey`]): neither copied nor hashed.
    pub fn insert_key(&mut self, key: StaticKey, value: &str) {
        self.put_hashed(
            key.hash,
            Cow::Borrowed(key.name),
            ContextValue::Single(value.to_owned()),
        );
    }

    pub fn set(&mut self, key: &str, value: ContextValue) {
        self.put(Cow::Owned(lower(key)), value);
    }

    fn put(&mut self, key: Cow<'static, str>, value: ContextValue) {
        self.put_hashed(key_hash(&key), key, value);
    }

    fn put_hashed(&mut self, hash: u64, key: Cow<'static, str>, value: ContextValue) {
        let typed = TypedValues::of(&value);
        let entry = Entry { key, value, typed };
        match self.find(hash, &entry.key) {
            Some(i) => self.entries[i] = entry,
            None => {
                self.hashes.push(hash);
                self.entries.push(entry);
            }
        }
    }

    pub fn remove(&mut self, key: &str) {
        let key = lower(key);
        if let Some(i) = self.find(key_hash(&key), &key) {
            self.hashes.remove(i);
            self.entries.remove(i);
        }
    }

    /// The position of a lowercased key with its hash.
    fn find(&self, hash: u64, key: &str) -> Option<usize> {
        self.hashes
            .iter()
            .enumerate()
            .filter(|(_, h)| **h == hash)
            .map(|(i, _)| i)
            .find(|&i| self.entries[i].key == key)
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
        self.get_typed(key).map(|(v, _)| v)
    }

    /// A value with its typed readings (one per value).
    pub(crate) fn get_typed(&self, key: &str) -> Option<(&ContextValue, &[Typed])> {
        self.get_hashed(key_hash(key), key)
    }

    /// As `get_typed`, with the key's hash computed beforehand (compiled conditions keep it).
    pub(crate) fn get_hashed(&self, hash: u64, key: &str) -> Option<(&ContextValue, &[Typed])> {
        let e = &self.entries[self.find(hash, key)?];
        Some((&e.value, e.typed.get(&e.value)))
    }

    /// The value of a single-valued key, for policy variables (a multivalued key is not one).
    pub(crate) fn single_hashed(&self, hash: u64, key_lower: &str) -> Option<&str> {
        match self.get_hashed(hash, key_lower)?.0 {
            ContextValue::Single(v) => Some(v),
            ContextValue::Multi(_) => None,
        }
    }

    /// Every key (lowercased) and value, in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|e| (e.key.as_ref(), &e.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_replaced_removed_and_order_free() {
        let mut a = Context::new();
        a.insert("aws:SourceIp", "10.0.0.1");
        a.insert("aws:PrincipalTag/Team", "red");
        a.insert_multi("aws:TagKeys", vec!["x".into(), "y".into()]);
        a.insert("AWS:SOURCEIP", "10.0.0.2");
        assert_eq!(
            a.get("aws:sourceip"),
            Some(&ContextValue::Single("10.0.0.2".into()))
        );
        assert_eq!(a.iter().count(), 3);
        let typed = a.get_typed("aws:sourceip").map(|(_, t)| t[0].ip);
        assert_eq!(typed, Some("10.0.0.2".parse().ok()));
        assert_eq!(a.get_typed("aws:tagkeys").map(|(_, t)| t.len()), Some(2));

        let mut b = Context::new();
        b.insert_multi("aws:tagkeys", vec!["x".into(), "y".into()]);
        b.insert("aws:sourceip", "10.0.0.2");
        b.insert("aws:principaltag/team", "red");
        assert_eq!(a, b, "the order keys were set in does not matter");
        b.insert("aws:principaltag/team", "blue");
        assert_ne!(a, b);

        a.remove("Aws:PrincipalTag/TEAM");
        assert_eq!(a.get("aws:principaltag/team"), None);
        assert_eq!(a.iter().count(), 2);
        assert!(a.get("aws:tagkeys").is_some());
        assert_ne!(a, b);
    }

    #[test]
    fn static_keys_are_the_same_keys() {
        let mut a = Context::new();
        a.insert_key(const { StaticKey::new("aws:sourceip") }, "10.0.0.1");
        a.insert_key(const { StaticKey::new("aws:requestedregion") }, "eu-west-1");
        let mut b = Context::new();
        b.insert("AWS:SourceIp", "10.0.0.1");
        b.insert("aws:RequestedRegion", "eu-west-1");
        assert_eq!(a, b, "a key hashed when compiled is the same key");
        assert!(a.get("aws:requestedregion").is_some());
        a.insert("aws:SOURCEIP", "10.0.0.9");
        assert_eq!(a.iter().count(), 2);
        assert_eq!(
            a.get("aws:sourceip"),
            Some(&ContextValue::Single("10.0.0.9".into()))
        );
    }
}
