//! Which roles' trust policies name an IAM principal, kept in the store beside the rows.
//!
//! Deleting or renaming a user or role rewrites its quoted ARN in every trust policy of every
//! account (IAM turns it into the principal's unique id). With accounts read on first use
//! (`crate::slot`), visiting every trust policy would read every account: seconds and gigabytes
//! with a million roles. This index answers "which accounts name this ARN" from a key range:
//! one row `<arn> <account>/<role key>` per quoted IAM ARN in a role's trust policy (ARNs hold
//! no spaces), written in the same transaction as the role rows, so it is exactly as durable
//! and as current as they are.

use crate::catalog::CatalogError;
use crate::load::Source;
use crate::model::Account;
use crate::rows::ENTITIES;
use rolegate_store::{Batch, Engine};
use std::collections::{BTreeSet, HashSet};

pub const TRUST_REFS: &str = "trust_refs";
/// Present once the index covers every role (written by the first start that builds it).
const COMPLETE: &str = "";

/// The quoted IAM ARNs of a trust policy, unquoted: what a rename would match.
pub(crate) fn refs(text: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("\"arn:aws:iam::") {
        let from = &rest[at + 1..];
        match from.find('"') {
            Some(end) => {
                let arn = &from[..end];
                if !arn.contains(' ') {
                    out.insert(arn);
                }
                rest = &from[end..];
            }
            None => break,
        }
    }
    out
}

fn key(arn: &str, account: &str, role: &str) -> String {
    format!("{arn} {account}/{role}")
}

/// The index rows that take `old`'s roles (None: a new account) to `new`'s.
pub(crate) fn diff(old: Option<&Account>, new: &Account, batch: &mut Batch) {
    let id = new.id.as_str();
    let put = |k: &str, text: &str, batch: &mut Batch| {
        for arn in refs(text) {
            batch.put(TRUST_REFS, key(arn, id, k), Vec::new());
        }
    };
    let Some(old) = old else {
        for (k, role) in new.roles.iter() {
            put(k, role.trust.text(), batch);
        }
        return;
    };
    if old.roles.ptr_eq(&new.roles) {
        return;
    }
    for item in old.roles.diff(&new.roles) {
        match item {
            imbl::ordmap::DiffItem::Add(k, role) => put(k, role.trust.text(), batch),
            imbl::ordmap::DiffItem::Remove(k, role) => {
                for arn in refs(role.trust.text()) {
                    batch.delete(TRUST_REFS, key(arn, id, k));
                }
            }
            imbl::ordmap::DiffItem::Update {
                old: (k, before),
                new: (_, after),
            } => {
                if before.trust.text() == after.trust.text() {
                    continue;
                }
                let (was, now) = (refs(before.trust.text()), refs(after.trust.text()));
                for arn in was.difference(&now) {
                    batch.delete(TRUST_REFS, key(arn, id, k));
                }
                for arn in now.difference(&was) {
                    batch.put(TRUST_REFS, key(arn, id, k), Vec::new());
                }
            }
        }
    }
}

/// The accounts with a role whose trust policy names `arn`, as committed.
pub(crate) fn accounts_naming(
    engine: &dyn Engine,
    arn: &str,
) -> Result<HashSet<String>, CatalogError> {
    let mut out = HashSet::new();
    // `!` sorts just after the space that ends the ARN.
    let (from, to) = (format!("{arn} "), format!("{arn}!"));
    engine.scan_range(TRUST_REFS, Some(&from), Some(&to), &mut |k, _| {
        if let Some(account) = k.get(from.len()..).and_then(|r| r.split('/').next()) {
            out.insert(account.to_owned());
        }
        true
    })?;
    Ok(out)
}

/// Builds the index once for a store written before it existed: reads every account (its
/// roles are needed), so the first start after the upgrade takes as long as reading them all
/// (22 s for a million roles, measured).
pub(crate) fn build_if_missing(source: &Source) -> Result<(), CatalogError> {
    let engine = &*source.engine;
    if engine.get(TRUST_REFS, COMPLETE)?.is_some() {
        return Ok(());
    }
    let mut ids = Vec::new();
    let mut last: Option<String> = None;
    engine.scan_each(ENTITIES, &mut |k, _| {
        if let Some((id, _)) = k.split_once('/') {
            if last.as_deref() != Some(id) {
                ids.push(id.to_owned());
                last = Some(id.to_owned());
            }
        }
        true
    })?;
    let mut batch = Batch::new();
    // A few hundred accounts at a time: only their index rows are kept, not the accounts.
    for chunk in ids.chunks(256) {
        for account in source.accounts(chunk)? {
            diff(None, &account, &mut batch);
        }
    }
    batch.put(TRUST_REFS, COMPLETE, Vec::new());
    engine.commit(batch)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::refs;

    #[test]
    fn quoted_iam_arns_are_found_wherever_they_are() {
        let text = r#"{"Statement":[{"Principal":{"AWS":["arn:aws:iam::111111111111:user/a/b","arn:aws:iam::222222222222:root"]},
            "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::333333333333:role/x"}}},
            {"Principal":{"Service":"ec2.amazonaws.com"},"Resource":"arn:aws:s3:::b"}]}"#;
        let found: Vec<&str> = refs(text).into_iter().collect();
        assert_eq!(
            found,
            vec![
                "arn:aws:iam::111111111111:user/a/b",
                "arn:aws:iam::222222222222:root",
                "arn:aws:iam::333333333333:role/x"
            ]
        );
        assert!(refs(r#"{"a":"arn:aws:iam::1:user/unterminated"#).is_empty());
        assert!(refs("").is_empty());
    }
}
