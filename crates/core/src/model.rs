//! The IAM entities of one account, as stored (one sealed row per entity: see `crate::rows`).
//!
//! Maps are keyed by the lowercased name: IAM names are unique case-insensitively, while the
//! entity keeps its name as created.

use crate::doc::PolicyDoc;
pub use crate::shared::Shared;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// An account's entities of one kind, by key. A persistent map: cloning an account to change
/// it is O(1), a change copies only its path, and [`crate::rows`] diffs two versions by
/// skipping the subtrees they share, so a write costs what it changes, not the account's size.
pub type Map<V> = imbl::OrdMap<String, Shared<V>>;

/// Looks a name up by its [`Map`] key, its lowercase form. IAM names are ASCII and short:
/// lowercased on the stack, not into a new string on every lookup (a lookup or two per
/// request).
fn by_key<R>(name: &str, find: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 128];
    if let Some(b) = buf.get_mut(..name.len()).filter(|_| name.is_ascii()) {
        b.copy_from_slice(name.as_bytes());
        b.make_ascii_lowercase();
        if let Ok(key) = std::str::from_utf8(b) {
            return find(key);
        }
    }
    find(&name.to_lowercase())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsed {
    pub date: i64,
    pub service: String,
    pub region: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    pub status: KeyStatus,
    pub created: i64,
    #[serde(default)]
    pub last_used: Option<LastUsed>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies by name (names as given).
    #[serde(default)]
    pub inline: BTreeMap<String, PolicyDoc>,
    /// Attached managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached: Vec<String>,
    /// Names of the groups the user belongs to (as the groups spell them).
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    #[serde(default)]
    pub inline: BTreeMap<String, PolicyDoc>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub trust: PolicyDoc,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub inline: BTreeMap<String, PolicyDoc>,
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub last_used: Option<LastUsed>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`...
    pub id: String,
    pub doc: PolicyDoc,
    pub created: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub updated: i64,
    #[serde(default)]
    pub description: Option<String>,
    pub default_version: String,
    /// Newest last.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets (IAM never reuses version ids).
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn default_doc(&self) -> Option<&PolicyDoc> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| &v.doc)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    /// Role names (at most one, as on AWS).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

fn name_inline(inline: &mut BTreeMap<String, PolicyDoc>, kind: &str, entity: &str) {
    for (p, doc) in inline.iter_mut() {
        *doc = doc.clone().named(&inline_policy_label(kind, entity, p));
    }
}

impl User {
    /// A user with nothing attached, no keys and no tags; `path` starts and ends with `/`.
    pub fn new(account: &str, path: &str, name: &str, id: String, created: i64) -> User {
        User {
            name: name.to_owned(),
            path: path.to_owned(),
            id,
            arn: iam_arn(account, "user", path, name),
            created,
            tags: Vec::new(),
            inline: BTreeMap::new(),
            attached: Vec::new(),
            groups: Vec::new(),
            boundary: None,
            access_keys: Vec::new(),
        }
    }

    pub fn name_policies(&mut self) {
        name_inline(&mut self.inline, "user", &self.name);
    }
}

impl Role {
    /// A role with its trust policy only: no permissions, tags or boundary, sessions of up to
    /// an hour; `path` starts and ends with `/`.
    pub fn new(
        account: &str,
        path: &str,
        name: &str,
        id: String,
        trust: PolicyDoc,
        created: i64,
    ) -> Role {
        Role {
            name: name.to_owned(),
            path: path.to_owned(),
            id,
            arn: iam_arn(account, "role", path, name),
            created,
            trust,
            description: None,
            max_session_duration: 3600,
            tags: Vec::new(),
            inline: BTreeMap::new(),
            attached: Vec::new(),
            boundary: None,
            last_used: None,
        }
    }
}

impl Group {
    pub fn name_policies(&mut self) {
        name_inline(&mut self.inline, "group", &self.name);
    }
}

impl Role {
    pub fn name_policies(&mut self) {
        name_inline(&mut self.inline, "role", &self.name);
    }
}

impl ManagedPolicy {
    pub fn name_policies(&mut self) {
        for v in self.versions.iter_mut() {
            v.doc = v.doc.clone().named(&self.arn);
        }
    }
}

/// Applies `f` to every value of `map` in place (imbl maps have no `values_mut`). Each value
/// touched is copied out of the structure it shares, so use it only where all may change.
pub fn for_each_mut<V: Clone>(map: &mut Map<V>, mut f: impl FnMut(&mut V)) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        if let Some(v) = map.get_mut(&k) {
            f(v);
        }
    }
}

/// How explanations name an inline policy: `inline policy P of role R`.
pub fn inline_policy_label(kind: &str, entity: &str, policy: &str) -> String {
    format!("inline policy {policy} of {kind} {entity}")
}

// An empty imbl map still allocates a full root node (64 entries wide, ~2.6 KiB); accounts
// start from these shared empties, so the maps an account never uses cost a pointer, not a
// node (10,000 accounts: ~200 MiB less). The first insert copies the node as usual.
static EMPTY_USERS: LazyLock<Map<User>> = LazyLock::new(Map::new);
static EMPTY_GROUPS: LazyLock<Map<Group>> = LazyLock::new(Map::new);
static EMPTY_ROLES: LazyLock<Map<Role>> = LazyLock::new(Map::new);
static EMPTY_POLICIES: LazyLock<Map<ManagedPolicy>> = LazyLock::new(Map::new);
static EMPTY_PROFILES: LazyLock<Map<InstanceProfile>> = LazyLock::new(Map::new);
static EMPTY_KMS_KEYS: LazyLock<Map<crate::kms::KmsKey>> = LazyLock::new(Map::new);
static EMPTY_ALIASES: LazyLock<imbl::OrdMap<String, String>> = LazyLock::new(imbl::OrdMap::new);
static EMPTY_BUCKETS: LazyLock<Map<crate::s3::Bucket>> = LazyLock::new(Map::new);
static EMPTY_INSTANCES: LazyLock<Map<crate::ec2::Instance>> = LazyLock::new(Map::new);
static EMPTY_TABLES: LazyLock<Map<crate::dynamodb::Table>> = LazyLock::new(Map::new);

/// One AWS account and everything IAM holds for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub created: i64,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The root user's access keys.
    #[serde(default)]
    pub root_keys: Vec<AccessKey>,
    #[serde(default)]
    pub users: Map<User>,
    #[serde(default)]
    pub groups: Map<Group>,
    #[serde(default)]
    pub roles: Map<Role>,
    /// Customer managed policies, by lowercased name.
    #[serde(default)]
    pub policies: Map<ManagedPolicy>,
    #[serde(default)]
    pub instance_profiles: Map<InstanceProfile>,
    /// KMS keys, by key id.
    #[serde(default)]
    pub kms_keys: Map<crate::kms::KmsKey>,
    /// KMS aliases: alias ARN (`arn:aws:kms:<region>:<account>:alias/<name>`, aliases being
    /// regional) to the id of the key it points at.
    #[serde(default)]
    pub kms_aliases: imbl::OrdMap<String, String>,
    /// S3 buckets this account owns, by name (names are global: see `crate::s3`).
    #[serde(default)]
    pub buckets: Map<crate::s3::Bucket>,
    /// EC2 instances this account launched, by instance id (see `crate::ec2`).
    #[serde(default)]
    pub instances: Map<crate::ec2::Instance>,
    /// DynamoDB tables, by `<region>/<name>` (tables are regional: see `crate::dynamodb`).
    #[serde(default)]
    pub dynamodb_tables: Map<crate::dynamodb::Table>,
}

impl Account {
    pub fn new(id: &str, name: &str, created: i64) -> Account {
        Account {
            id: id.to_owned(),
            name: name.to_owned(),
            created,
            aliases: Vec::new(),
            root_keys: Vec::new(),
            users: EMPTY_USERS.clone(),
            groups: EMPTY_GROUPS.clone(),
            roles: EMPTY_ROLES.clone(),
            policies: EMPTY_POLICIES.clone(),
            instance_profiles: EMPTY_PROFILES.clone(),
            kms_keys: EMPTY_KMS_KEYS.clone(),
            kms_aliases: EMPTY_ALIASES.clone(),
            buckets: EMPTY_BUCKETS.clone(),
            instances: EMPTY_INSTANCES.clone(),
            dynamodb_tables: EMPTY_TABLES.clone(),
        }
    }

    /// Names every policy document for explanations (names are not stored: the store keeps
    /// only the text), as the IAM handlers name them when they are put.
    pub fn name_policies(&mut self) {
        for_each_mut(&mut self.users, User::name_policies);
        for_each_mut(&mut self.groups, Group::name_policies);
        for_each_mut(&mut self.roles, Role::name_policies);
        for_each_mut(&mut self.policies, ManagedPolicy::name_policies);
    }

    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.id)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        by_key(name, |k| self.users.get(k).map(|u| &**u))
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        by_key(name, |k| self.roles.get(k).map(|r| &**r))
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        by_key(name, |k| self.groups.get(k).map(|g| &**g))
    }

    /// A customer managed policy by ARN.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&ManagedPolicy> {
        let name = arn.rsplit('/').next()?;
        by_key(name, |k| self.policies.get(k))
            .map(|p| &**p)
            .filter(|p| p.arn == arn)
    }

    /// Every access key in the account with its owner (None: the root user).
    pub fn keys(&self) -> impl Iterator<Item = (&AccessKey, Option<&User>)> {
        self.root_keys.iter().map(|k| (k, None)).chain(
            self.users
                .values()
                .flat_map(|u| u.access_keys.iter().map(move |k| (k, Some(&**u)))),
        )
    }
}

/// `arn:aws:iam::<account>:<kind>/<path-without-leading-slash><name>`.
pub fn iam_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}
