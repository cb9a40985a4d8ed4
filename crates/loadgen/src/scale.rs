//! The scale fixture (issue 7): many accounts, each holding many roles with a trust policy, an
//! inline policy and an attached customer managed policy, written straight into a data
//! directory through rolegate's own catalog (the same rows, sealing and master key as the
//! server), because creating a million roles over HTTP would take longer than the measurement.
//!
//! Every document is distinct (account ids, role numbers and external ids differ), so nothing
//! is shared by accident between the roles that a real organisation would not share.

use rolegate_core::crypto::MasterKey;
use rolegate_core::ids::unique_id;
use rolegate_core::{iam_arn, Account, Catalog, ManagedPolicy, PolicyDoc, PolicyVersion, Role};
use rolegate_policy::PolicyKind;
use rolegate_store::RedbEngine;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Seeded account `n` is `SCALE_BASE + n * SCALE_STRIDE`: spread over the id space as AWS's
/// (random-looking) account ids are, rather than 10,000 neighbours.
pub const SCALE_BASE: u64 = 100_000_000_000;
const SCALE_STRIDE: u64 = 89_000_017;
/// Customer managed policies per seeded account (each role attaches one of them).
const MANAGED_PER_ACCOUNT: usize = 10;
/// Accounts per store transaction while seeding.
const ACCOUNTS_PER_COMMIT: usize = 250;

pub fn account_id(n: usize) -> String {
    format!("{:012}", SCALE_BASE + n as u64 * SCALE_STRIDE)
}

fn doc(text: &str, kind: PolicyKind) -> Result<PolicyDoc, String> {
    PolicyDoc::new(text, kind).map_err(|e| format!("seed policy: {e:?}"))
}

fn managed(account: &str, i: usize, now: i64) -> Result<ManagedPolicy, String> {
    let name = format!("scale-managed-{i}");
    let text = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": format!("arn:aws:dynamodb:us-east-1:{account}:table/scale-{i}-*")}]})
    .to_string();
    Ok(ManagedPolicy {
        arn: iam_arn(account, "policy/", "", &name),
        name,
        path: "/".to_owned(),
        id: unique_id("ANPA"),
        created: now,
        updated: now,
        description: None,
        default_version: "v1".to_owned(),
        versions: vec![PolicyVersion {
            id: "v1".to_owned(),
            doc: doc(&text, PolicyKind::ManagedIdentity)?,
            created: now,
        }],
        next_version: 2,
        tags: Vec::new(),
    })
}

fn role(account: &str, n: usize, i: usize, accounts: usize, now: i64) -> Result<Role, String> {
    let name = format!("scale-role-{i}");
    // Trusted: the next account's root, with an external id of its own.
    let trusted = account_id((n + 1) % accounts.max(1));
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{trusted}:root")},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": format!("ext-{account}-{i}")}}}]})
    .to_string();
    let inline = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": format!("arn:aws:s3:::scale-{account}-{i}/*")}]})
    .to_string();
    let mut role = Role {
        arn: iam_arn(account, "role/", "", &name),
        name,
        path: "/".to_owned(),
        id: unique_id("AROA"),
        created: now,
        trust: doc(&trust, PolicyKind::Trust)?,
        description: None,
        max_session_duration: 3600,
        tags: Vec::new(),
        inline: BTreeMap::from([("data".to_owned(), doc(&inline, PolicyKind::InlineIdentity)?)]),
        attached: vec![iam_arn(
            account,
            "policy/",
            "",
            &format!("scale-managed-{}", i % MANAGED_PER_ACCOUNT),
        )],
        boundary: None,
        last_used: None,
    };
    role.name_policies();
    Ok(role)
}

fn account(n: usize, accounts: usize, roles: usize, now: i64) -> Result<Account, String> {
    let id = account_id(n);
    let mut a = Account::new(&id, &format!("scale-{n}"), now);
    for i in 0..MANAGED_PER_ACCOUNT {
        let mut p = managed(&id, i, now)?;
        p.name_policies();
        a.policies.insert(p.name.to_lowercase(), p.into());
    }
    for i in 0..roles {
        let r = role(&id, n, i, accounts, now)?;
        a.roles.insert(r.name.to_lowercase(), r.into());
    }
    Ok(a)
}

/// Writes `accounts` accounts of `roles` roles each into the data directory `dir` (which
/// must not hold them yet), as `rolegate serve --data-dir dir` will read them.
pub fn seed(dir: &Path, accounts: usize, roles: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let master = MasterKey::load_or_create(&dir.join("master.key")).map_err(|e| e.to_string())?;
    let engine = RedbEngine::open(&dir.join("state.redb")).map_err(|e| e.to_string())?;
    let catalog = Catalog::open(Arc::new(engine), &master).map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut n = 0;
    while n < accounts {
        let end = (n + ACCOUNTS_PER_COMMIT).min(accounts);
        let batch = (n..end)
            .map(|k| account(k, accounts, roles, now))
            .collect::<Result<Vec<_>, _>>()?;
        catalog.create_accounts(batch).map_err(|e| e.to_string())?;
        n = end;
    }
    Ok(())
}
