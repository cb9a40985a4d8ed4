//! The scale fixture (issue 7): many accounts, each holding many roles with a trust policy, an
//! inline policy and an attached customer managed policy, written straight into a data
//! directory through rolegate's own catalog (the same rows, sealing and master key as the
//! server), because creating a million roles over HTTP would take longer than the measurement.
//!
//! Every document is distinct (account ids, role numbers and external ids differ), so nothing
//! is shared by accident between the roles that a real organisation would not share.

use crate::conn::Conn;
use crate::template::{Clock, Creds, HostHeader, Template};
use rolegate_core::crypto::MasterKey;
use rolegate_core::ids::unique_id;
use rolegate_core::{
    iam_arn, AccessKey, Account, Catalog, KeyStatus, ManagedPolicy, PolicyDoc, PolicyVersion, Role,
    User,
};
use rolegate_policy::PolicyKind;
use rolegate_store::RedbEngine;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let mut role = Role::new(
        account,
        "/",
        &name,
        unique_id("AROA"),
        doc(&trust, PolicyKind::Trust)?,
        now,
    );
    role.inline = BTreeMap::from([("data".to_owned(), doc(&inline, PolicyKind::InlineIdentity)?)]);
    role.attached = vec![iam_arn(
        account,
        "policy/",
        "",
        &format!("scale-managed-{}", i % MANAGED_PER_ACCOUNT),
    )];
    role.name_policies();
    Ok(role)
}

/// The user of each seeded account that assumes roles of the other accounts (root may not).
const CALLER: &str = "scale-caller";

/// The access keys of the seeded accounts' callers: ids from the account number, secrets
/// derived from the data directory's master key (as secret as the directory itself), so that a
/// reused directory needs nothing else to be driven.
#[derive(Clone)]
pub struct CallerKeys(Arc<[u8]>);

impl CallerKeys {
    pub fn load(dir: &Path) -> Result<CallerKeys, String> {
        let path = dir.join("master.key");
        let master = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(CallerKeys(master.into()))
    }

    /// Account `n`'s caller key: (access key id, secret).
    pub fn key(&self, n: usize) -> (String, String) {
        let id = format!("AKIASCALE{n:011}");
        let mut h = Sha256::new();
        h.update(&self.0);
        h.update(id.as_bytes());
        let secret = hex::encode(h.finalize());
        (id, secret[..40].to_owned())
    }
}

fn caller(account: &str, key: (String, String), now: i64) -> Result<User, String> {
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/scale-role-*"}]})
    .to_string();
    let mut user = User::new(account, "/", CALLER, unique_id("AIDA"), now);
    user.inline = BTreeMap::from([(
        "assume".to_owned(),
        doc(&policy, PolicyKind::InlineIdentity)?,
    )]);
    user.access_keys.push(AccessKey {
        id: key.0,
        secret: key.1,
        status: KeyStatus::Active,
        created: now,
        last_used: None,
    });
    user.name_policies();
    Ok(user)
}

fn account(
    n: usize,
    accounts: usize,
    roles: usize,
    keys: &CallerKeys,
    now: i64,
) -> Result<Account, String> {
    let id = account_id(n);
    let mut a = Account::new(&id, &format!("scale-{n}"), now);
    a.users
        .insert(CALLER.to_owned(), caller(&id, keys.key(n), now)?.into());
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
    let keys = CallerKeys::load(dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut n = 0;
    while n < accounts {
        let end = (n + ACCOUNTS_PER_COMMIT).min(accounts);
        let batch = (n..end)
            .map(|k| account(k, accounts, roles, &keys, now))
            .collect::<Result<Vec<_>, _>>()?;
        catalog.create_accounts(batch).map_err(|e| e.to_string())?;
        n = end;
    }
    Ok(())
}

/// What using every seeded account once cost: one cross-account AssumeRole per account.
pub struct Touch {
    pub requests: usize,
    pub wall: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// Assumes, for every seeded account `n`, one of its roles from the account that role trusts
/// (`n + 1`, as its caller user, with the role's external id), from `connections`
/// connections at once. The server reads accounts on first use, so the first pass measures
/// that read on the request path and leaves every account in memory; any refusal is an error.
pub async fn touch_every_account(
    addr: SocketAddr,
    keys: &CallerKeys,
    accounts: usize,
    roles: usize,
    connections: usize,
) -> Result<Touch, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections.max(1) {
        let next = next.clone();
        let keys = keys.clone();
        tasks.spawn(async move {
            let mut conn = Conn::new(addr);
            let host = HostHeader::new(&addr.to_string())?;
            let mut clock = Clock::default();
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= accounts {
                    return Ok::<_, String>(latencies);
                }
                let owner = account_id(n);
                let (key, secret) = keys.key((n + 1) % accounts);
                let caller = Creds::new(&key, &secret);
                let i = n % roles.max(1);
                let form = format!(
                    "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A{owner}%3Arole%2Fscale-role-{i}&RoleSessionName=touch&ExternalId=ext-{owner}-{i}"
                );
                let req = Template::query("sts", &form, &caller)?.build(&host, &mut clock, 0)?;
                let sent = Instant::now();
                let reply = conn.send(req, false).await?;
                if reply.status != 200 {
                    return Err(format!(
                        "AssumeRole of scale-role-{i} in {owner}: HTTP {}: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    ));
                }
                latencies.push(sent.elapsed());
            }
        });
    }
    let mut all = Vec::with_capacity(accounts);
    while let Some(done) = tasks.join_next().await {
        all.append(&mut done.map_err(|e| e.to_string())??);
    }
    let wall = began.elapsed();
    all.sort_unstable();
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(Touch {
        requests: all.len(),
        wall,
        p50: at(0.5),
        p99: at(0.99),
        max: all.last().copied().unwrap_or_default(),
    })
}

/// How long IAM DeleteUser takes in seeded account 0 (as its development-mode root): deleting
/// a user rewrites its ARN in every trust policy that names it, in every account, which must
/// not mean reading every account (the server finds them in an index instead).
pub async fn delete_user_time(addr: SocketAddr) -> Result<Duration, String> {
    let mut conn = Conn::new(addr);
    let host = HostHeader::new(&addr.to_string())?;
    let mut clock = Clock::default();
    let root = Creds::new(&account_id(0), "development-root");
    let mut call = |form: &str| Template::query("iam", form, &root)?.build(&host, &mut clock, 0);
    let name = "scale-deleted";
    let create = call(&format!(
        "Action=CreateUser&Version=2010-05-08&UserName={name}"
    ))?;
    let delete = call(&format!(
        "Action=DeleteUser&Version=2010-05-08&UserName={name}"
    ))?;
    let reply = conn.send(create, false).await?;
    if reply.status != 200 {
        return Err(format!("CreateUser: HTTP {}", reply.status));
    }
    let began = Instant::now();
    let reply = conn.send(delete, false).await?;
    let took = began.elapsed();
    if reply.status != 200 {
        return Err(format!(
            "DeleteUser: HTTP {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        ));
    }
    Ok(took)
}
