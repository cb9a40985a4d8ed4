//! The IAM entities of one account, as stored (one row per account, sealed at rest).
//!
//! Maps are keyed by the lowercased name: IAM names are unique case-insensitively, while the
//! entity keeps its name as created.

use crate::doc::PolicyDoc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    pub status: KeyStatus,
    pub created: i64,
    #[serde(default)]
    pub last_used: Option<LastUsed>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`...
    pub id: String,
    pub doc: PolicyDoc,
    pub created: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
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

/// How explanations name an inline policy: `inline policy P of role R`.
pub fn inline_policy_label(kind: &str, entity: &str, policy: &str) -> String {
    format!("inline policy {policy} of {kind} {entity}")
}

/// One AWS account and everything IAM holds for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    pub users: BTreeMap<String, User>,
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// Customer managed policies, by lowercased name.
    #[serde(default)]
    pub policies: BTreeMap<String, ManagedPolicy>,
    #[serde(default)]
    pub instance_profiles: BTreeMap<String, InstanceProfile>,
    /// KMS keys, by key id.
    #[serde(default)]
    pub kms_keys: BTreeMap<String, crate::kms::KmsKey>,
    /// KMS aliases: alias ARN (`arn:aws:kms:<region>:<account>:alias/<name>`, aliases being
    /// regional) to the id of the key it points at.
    #[serde(default)]
    pub kms_aliases: BTreeMap<String, String>,
    /// S3 buckets this account owns, by name (names are global: see `crate::s3`).
    #[serde(default)]
    pub buckets: BTreeMap<String, crate::s3::Bucket>,
    /// EC2 instances this account launched, by instance id (see `crate::ec2`).
    #[serde(default)]
    pub instances: BTreeMap<String, crate::ec2::Instance>,
    /// DynamoDB tables, by `<region>/<name>` (tables are regional: see `crate::dynamodb`).
    #[serde(default)]
    pub dynamodb_tables: BTreeMap<String, crate::dynamodb::Table>,
}

impl Account {
    pub fn new(id: &str, name: &str, created: i64) -> Account {
        Account {
            id: id.to_owned(),
            name: name.to_owned(),
            created,
            aliases: Vec::new(),
            root_keys: Vec::new(),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            roles: BTreeMap::new(),
            policies: BTreeMap::new(),
            instance_profiles: BTreeMap::new(),
            kms_keys: BTreeMap::new(),
            kms_aliases: BTreeMap::new(),
            buckets: BTreeMap::new(),
            instances: BTreeMap::new(),
            dynamodb_tables: BTreeMap::new(),
        }
    }

    /// Names every policy document for explanations (names are not stored: the store keeps
    /// only the text), as the IAM handlers name them when they are put.
    pub fn name_policies(&mut self) {
        let name = |doc: &mut PolicyDoc, label: String| {
            *doc = doc.clone().named(&label);
        };
        for u in self.users.values_mut() {
            for (p, doc) in u.inline.iter_mut() {
                name(doc, inline_policy_label("user", &u.name, p));
            }
        }
        for g in self.groups.values_mut() {
            for (p, doc) in g.inline.iter_mut() {
                name(doc, inline_policy_label("group", &g.name, p));
            }
        }
        for r in self.roles.values_mut() {
            for (p, doc) in r.inline.iter_mut() {
                name(doc, inline_policy_label("role", &r.name, p));
            }
        }
        for m in self.policies.values_mut() {
            for v in m.versions.iter_mut() {
                name(&mut v.doc, m.arn.clone());
            }
        }
    }

    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.id)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(&name.to_lowercase())
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&name.to_lowercase())
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(&name.to_lowercase())
    }

    /// A customer managed policy by ARN.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&ManagedPolicy> {
        let name = arn.rsplit('/').next()?;
        self.policies
            .get(&name.to_lowercase())
            .filter(|p| p.arn == arn)
    }

    /// Every access key in the account with its owner (None: the root user).
    pub fn keys(&self) -> impl Iterator<Item = (&AccessKey, Option<&User>)> {
        self.root_keys.iter().map(|k| (k, None)).chain(
            self.users
                .values()
                .flat_map(|u| u.access_keys.iter().map(move |k| (k, Some(u)))),
        )
    }
}

/// `arn:aws:iam::<account>:<kind>/<path-without-leading-slash><name>`.
pub fn iam_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}
