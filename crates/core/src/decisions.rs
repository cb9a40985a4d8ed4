//! The decision log: one JSON line per authorization decision, allow and deny, in
//! `<data-dir>/decisions/decisions.log`, so that `rolegate explain REQUEST_ID` can say later why a
//! request was allowed or denied, and `rolegate log` can list them.
//!
//! Writing happens on a thread of its own: the request path only builds the record and hands it
//! over a bounded channel (a full channel drops the record and counts it rather than slow the
//! request down). The file rotates at a size bound, keeping a few previous files.

use crate::authorizer::{Authorization, Authorizer, CallerPolicies, ResourceGuard};
use crate::caller::Caller;
use crate::clock::iso;
use rolegate_policy::{Context, ContextValue, Decision, Explanation, Failure, PolicyType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

const FILE: &str = "decisions.log";
/// Records waiting for the writer before new ones are dropped.
const QUEUE: usize = 65_536;

/// A statement that decided (the allowing one, or an explicit deny).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementNote {
    pub policy_type: String,
    pub policy: String,
    pub statement: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: String,
}

/// A statement whose action matched but which did not apply, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissNote {
    #[serde(flatten)]
    pub statement: StatementNote,
    /// `resource`, `principal` or `condition`.
    pub failed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_values: Vec<String>,
    /// The request's values for the key; `None`: the request did not have the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_values: Option<Vec<String>>,
}

/// One authorization decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub request_id: String,
    pub time: String,
    pub principal: String,
    pub account: String,
    pub action: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_account: Option<String>,
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub decision: String,
    /// The policy type that decided (AWS's words: "identity-based policy"...).
    pub policy_type: String,
    /// AWS's AccessDenied message, for denials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The request context the policies were evaluated against.
    pub context: BTreeMap<String, Vec<String>>,
    /// The deciding statements: the allow, or the explicit denies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementNote>,
    /// For denials: the statements that came closest and what failed in each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub near_misses: Vec<MissNote>,
}

impl DecisionRecord {
    pub fn allowed(&self) -> bool {
        self.decision == "Allow"
    }
}

/// The request context as plain strings, for the record.
pub fn context_map(ctx: &Context) -> BTreeMap<String, Vec<String>> {
    ctx.iter()
        .map(|(k, v)| {
            let values = match v {
                ContextValue::Single(s) => vec![s.clone()],
                ContextValue::Multi(m) => m.clone(),
            };
            (k.to_owned(), values)
        })
        .collect()
}

/// A policy's name for a person: its name if it has one, else its type and what it guards.
pub fn policy_label(name: Option<&str>, policy_type: PolicyType, resource: &str) -> String {
    match (name, policy_type) {
        (Some(n), _) => n.to_owned(),
        (None, PolicyType::RoleTrust) => format!("trust policy of {resource}"),
        (None, PolicyType::Resource) => format!("resource policy of {resource}"),
        (None, t) => t.describe().to_owned(),
    }
}

/// The matched and near-miss statements of an explanation, as notes.
pub fn notes(e: &Explanation, resource: &str) -> (Vec<StatementNote>, Vec<MissNote>) {
    let note =
        |t: PolicyType, name: Option<&str>, at: u32, sid: &Option<String>, effect| StatementNote {
            policy_type: t.describe().to_owned(),
            policy: policy_label(name, t, resource),
            statement: at,
            sid: sid.clone(),
            effect: format!("{effect:?}"),
        };
    let matched = e
        .matched
        .iter()
        .map(|m| {
            note(
                m.at.policy_type,
                m.policy_name.as_deref(),
                m.at.statement,
                &m.sid,
                m.effect,
            )
        })
        .collect();
    let misses = e
        .near_misses
        .iter()
        .map(|n| {
            let statement = note(
                n.at.policy_type,
                n.policy_name.as_deref(),
                n.at.statement,
                &n.sid,
                n.effect,
            );
            match &n.failed {
                Failure::Resource => miss(statement, "resource"),
                Failure::Principal => miss(statement, "principal"),
                Failure::Condition {
                    operator,
                    key,
                    policy_values,
                    request_values,
                } => MissNote {
                    operator: Some(operator.clone()),
                    key: Some(key.clone()),
                    policy_values: policy_values.clone(),
                    request_values: request_values.clone(),
                    ..miss(statement, "condition")
                },
            }
        })
        .collect();
    (matched, misses)
}

fn miss(statement: StatementNote, failed: &str) -> MissNote {
    MissNote {
        statement,
        failed: failed.to_owned(),
        operator: None,
        key: None,
        policy_values: Vec::new(),
        request_values: None,
    }
}

/// The record of one decision the authorizer made (see [`Authorizer::check`]). Denials are
/// explained again with the same policies to find the near misses; allows name their statement.
#[allow(clippy::too_many_arguments)]
pub fn build(
    request_id: &str,
    now: i64,
    caller: &Caller,
    policies: &CallerPolicies,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    guard: ResourceGuard<'_>,
    ctx: &Context,
    outcome: &Result<Decision, Authorization>,
) -> DecisionRecord {
    let decision = match outcome {
        Ok(d) => *d,
        Err(a) => a.decision,
    };
    // A denial, and an allow that crossed accounts (both sides had to allow), are explained in
    // full; a same-account allow names its one deciding statement, keeping the common path cheap.
    let cross_account = resource_account.is_some_and(|a| a != caller.account);
    let (statements, near_misses) = match outcome {
        Ok(d) if !cross_account => {
            let statements = d
                .statement
                .map(|at| StatementNote {
                    policy_type: at.policy_type.describe().to_owned(),
                    policy: policy_label(
                        Authorizer::policy_name(policies, guard, at),
                        at.policy_type,
                        resource,
                    ),
                    statement: at.statement,
                    sid: None,
                    effect: "Allow".to_owned(),
                })
                .into_iter()
                .collect();
            (statements, Vec::new())
        }
        _ => {
            let e = Authorizer::explain(
                caller,
                policies,
                action,
                resource,
                resource_account,
                guard,
                ctx,
            );
            notes(&e, resource)
        }
    };
    DecisionRecord {
        request_id: request_id.to_owned(),
        time: iso(now),
        principal: caller.arn().to_owned(),
        account: caller.account.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: resource_account.map(str::to_owned),
        decision: format!("{:?}", decision.kind),
        policy_type: decision.policy_type.describe().to_owned(),
        message: outcome.as_ref().err().map(|a| a.message.clone()),
        context: context_map(ctx),
        statements,
        near_misses,
    }
}

/// Where decisions go: a writer thread appending to the log file.
#[derive(Clone)]
pub struct DecisionLog {
    tx: SyncSender<DecisionRecord>,
    dropped: Arc<AtomicU64>,
}

impl DecisionLog {
    /// Opens (creating) `<dir>/decisions.log`; files rotate past `max_bytes`, keeping `keep`
    /// previous ones (`decisions.log.1` the newest of them).
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> io::Result<DecisionLog> {
        fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        let (tx, rx) = sync_channel(QUEUE);
        let writer = Writer {
            path,
            out: BufWriter::new(file),
            size,
            max_bytes,
            keep,
        };
        std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || writer.run(rx))?;
        Ok(DecisionLog {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn record(&self, record: DecisionRecord) {
        if let Err(TrySendError::Full(_)) = self.tx.try_send(record) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

struct Writer {
    path: PathBuf,
    out: BufWriter<File>,
    size: u64,
    max_bytes: u64,
    keep: usize,
}

impl Writer {
    fn run(mut self, rx: Receiver<DecisionRecord>) {
        while let Ok(first) = rx.recv() {
            // Write what is queued, then flush once: the line is readable by `rolegate explain`
            // as soon as the burst is written.
            let mut next = Some(first);
            while let Some(record) = next {
                if let Err(e) = self.write(&record) {
                    tracing::warn!("decision log: {e}");
                }
                next = rx.try_recv().ok();
            }
            if let Err(e) = self.out.flush() {
                tracing::warn!("decision log: {e}");
            }
        }
    }

    fn write(&mut self, record: &DecisionRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        if self.size > 0 && self.size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.out.write_all(&line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.out.flush()?;
        for i in (1..self.keep).rev() {
            let from = rotated(&self.path, i);
            if from.exists() {
                fs::rename(&from, rotated(&self.path, i + 1))?;
            }
        }
        if self.keep > 0 {
            fs::rename(&self.path, rotated(&self.path, 1))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&self.path)?;
        self.out = BufWriter::new(file);
        self.size = 0;
        Ok(())
    }
}

fn rotated(path: &Path, i: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{i}"));
    PathBuf::from(name)
}

/// Every record in the log directory, oldest first (rotated files, then the current one).
/// Lines that do not parse (a torn last line after a crash) are skipped.
pub fn read_all(dir: &Path) -> io::Result<Vec<DecisionRecord>> {
    let path = dir.join(FILE);
    let mut files: Vec<PathBuf> = (1..100)
        .map(|i| rotated(&path, i))
        .take_while(|p| p.exists())
        .collect();
    files.reverse();
    files.push(path);
    let mut out = Vec::new();
    for f in files {
        let file = match File::open(&f) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            if let Ok(r) = serde_json::from_str::<DecisionRecord>(&line?) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(id: &str, decision: &str) -> DecisionRecord {
        DecisionRecord {
            request_id: id.into(),
            time: "2026-11-28T12:00:00Z".into(),
            principal: "arn:aws:iam::111111111111:user/Anne".into(),
            account: "111111111111".into(),
            action: "sts:AssumeRole".into(),
            resource: "arn:aws:iam::222222222222:role/r".into(),
            resource_account: Some("222222222222".into()),
            decision: decision.into(),
            policy_type: "role trust policy".into(),
            message: None,
            context: BTreeMap::new(),
            statements: Vec::new(),
            near_misses: Vec::new(),
        }
    }

    fn wait_for(dir: &Path, n: usize) -> Vec<DecisionRecord> {
        for _ in 0..500 {
            let all = read_all(dir).unwrap();
            if all.len() >= n {
                return all;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("records not written");
    }

    #[test]
    fn records_round_trip_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(dir.path(), 1 << 20, 2).unwrap();
        log.record(record("a", "Allow"));
        log.record(record("b", "ImplicitDeny"));
        let all = wait_for(dir.path(), 2);
        assert_eq!(all[0], record("a", "Allow"));
        assert_eq!(all[1].request_id, "b");
        assert!(!all[1].allowed());
    }

    #[test]
    fn rotation_bounds_the_size_and_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let one = serde_json::to_vec(&record("r000", "Allow")).unwrap().len() as u64 + 1;
        // Room for 3 records per file, 2 previous files kept: at most 9 records survive.
        let log = DecisionLog::open(dir.path(), one * 3, 2).unwrap();
        for i in 0..20 {
            log.record(record(&format!("r{i:03}"), "Allow"));
        }
        let mut all = wait_for(dir.path(), 1);
        for _ in 0..200 {
            all = read_all(dir.path()).unwrap();
            if all.last().is_some_and(|r| r.request_id == "r019") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(all.len() <= 9, "{} records kept", all.len());
        let ids: Vec<_> = all.iter().map(|r| r.request_id.as_str()).collect();
        assert_eq!(ids.last(), Some(&"r019"));
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "oldest first across rotated files");
        assert!(!dir.path().join("decisions.log.3").exists());
    }

    #[test]
    fn a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut line = serde_json::to_string(&record("ok", "Allow")).unwrap();
        line.push_str("\n{\"request_id\":\"torn");
        fs::write(dir.path().join(FILE), line).unwrap();
        let all = read_all(dir.path()).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].request_id, "ok");
    }
}
