//! DynamoDB table definitions as their account holds them: key schema, attribute types,
//! billing, secondary indexes, tags and the resource policy. Tables are regional, so an
//! account keys them by `<region>/<name>`. Items are not here: they live in the item store
//! (`crate::dynamodb_items`), one row per item.

use crate::doc::PolicyDoc;
use crate::model::Tag;
use serde::{Deserialize, Serialize};

/// A key attribute: its name and scalar type (`'S'`, `'N'` or `'B'`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub ty: char,
}

/// A key schema: the partition (HASH) key and the optional sort (RANGE) key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttr,
    #[serde(default)]
    pub range: Option<KeyAttr>,
}

impl KeySchema {
    /// The key attribute names, partition key first.
    pub fn names(&self) -> Vec<&str> {
        let mut v = vec![self.hash.name.as_str()];
        if let Some(r) = &self.range {
            v.push(r.name.as_str());
        }
        v
    }
}

/// Which attributes an index holds besides the keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexProjection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

impl IndexProjection {
    pub fn type_name(&self) -> &'static str {
        match self {
            IndexProjection::All => "ALL",
            IndexProjection::KeysOnly => "KEYS_ONLY",
            IndexProjection::Include(_) => "INCLUDE",
        }
    }
}

/// Read and write capacity units of a provisioned table or index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
}

/// A global or local secondary index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondaryIndex {
    pub name: String,
    pub schema: KeySchema,
    pub projection: IndexProjection,
    /// Global indexes of a provisioned table have their own capacity.
    #[serde(default)]
    pub throughput: Option<Throughput>,
}

/// One DynamoDB table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub region: String,
    pub arn: String,
    /// A UUID, new for every table created (a re-created namesake is another table).
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    pub schema: KeySchema,
    /// AttributeDefinitions: every key attribute of the table and its indexes, with its type.
    pub attributes: Vec<KeyAttr>,
    /// `None`: on-demand (PAY_PER_REQUEST).
    #[serde(default)]
    pub throughput: Option<Throughput>,
    #[serde(default)]
    pub global_indexes: Vec<SecondaryIndex>,
    #[serde(default)]
    pub local_indexes: Vec<SecondaryIndex>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub policy: Option<PolicyDoc>,
    /// The resource policy's RevisionId (changes on every put).
    #[serde(default)]
    pub policy_revision: Option<String>,
    #[serde(default)]
    pub deletion_protection: bool,
}

impl Table {
    /// The owning account, from the ARN.
    pub fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }

    /// An index by name, global or local.
    pub fn index(&self, name: &str) -> Option<(&SecondaryIndex, bool)> {
        self.global_indexes
            .iter()
            .find(|i| i.name == name)
            .map(|i| (i, true))
            .or_else(|| {
                self.local_indexes
                    .iter()
                    .find(|i| i.name == name)
                    .map(|i| (i, false))
            })
    }

    /// Every index, global then local.
    pub fn indexes(&self) -> impl Iterator<Item = &SecondaryIndex> {
        self.global_indexes.iter().chain(self.local_indexes.iter())
    }
}

/// The account map key of a table.
pub fn table_key(region: &str, name: &str) -> String {
    format!("{region}/{name}")
}

/// `arn:aws:dynamodb:<region>:<account>:table/<name>`.
pub fn table_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
}

/// DynamoDB's table and index naming rule: 3-255 characters of `[a-zA-Z0-9_.-]`.
pub fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns() {
        assert!(valid_table_name("my-table_1.x"));
        assert!(!valid_table_name("ab"));
        assert!(!valid_table_name("a/b"));
        assert!(!valid_table_name(&"a".repeat(256)));
        assert_eq!(
            table_arn("us-east-1", "111111111111", "t"),
            "arn:aws:dynamodb:us-east-1:111111111111:table/t"
        );
    }
}
