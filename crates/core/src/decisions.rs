//! The decision log: one JSON line per authorization decision, allow and deny, in
//! `<data-dir>/decisions/decisions.log`, so that `rolegate explain REQUEST_ID` can say later why a
//! request was allowed or denied, and `rolegate log` can list them.
//!
//! Writing happens on a thread of its own. The request path serializes a [`Decided`] (borrowed
//! from the request: nothing is copied) and appends the line to a bounded queue; a full queue
//! drops the record and counts it rather than slow the request down. The writer takes the whole
//! queue at once, writes it, then pauses briefly: under load the records of that pause wait for it
//! instead of each waking the writer (the hand-off with a futex wake-up per record, and the
//! writer thread woken that often, took about a quarter of the server's samples under a
//! cross-account AssumeRole load). An idle writer is woken by the first record. The file rotates at a size bound, keeping a few previous files.

use crate::authorizer::{Authorization, Authorizer, CallerPolicies, ResourceGuard};
use crate::caller::Caller;
use crate::clock::iso;
use parking_lot::{Condvar, Mutex};
use rolegate_policy::{
    Context, Decision, DecisionKind, Explanation, Failure, PolicyType, StatementRef,
};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const FILE: &str = "decisions.log";
/// Bytes of records waiting for the writer before new ones are dropped (some 60,000 records).
const QUEUE_BYTES: usize = 64 << 20;
/// Room reserved for one serialized record: most fit.
const LINE: usize = 1536;
/// How long the writer lets records gather after writing a batch: the longest a record waits
/// to be readable by `rolegate explain` under load, and what spares a wake-up per request.
const PAUSE: Duration = Duration::from_millis(10);

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
    /// The request context the policies were evaluated against; denials only. An allow is
    /// explained by the statement that allowed, and the context was most of its record (some
    /// 700 of 1,200 bytes for a cross-account AssumeRole; 40 MB/s of log at 35,000 requests
    /// per second, whose writing took 10-17 % of the server's CPU).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
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

/// A policy's name for a person: its name if it has one, else its type and what it guards.
pub fn policy_label(name: Option<&str>, policy_type: PolicyType, resource: &str) -> String {
    Label {
        name,
        policy_type,
        resource,
    }
    .to_string()
}

/// [`policy_label`], written where it goes (a decision record writes it without a copy).
struct Label<'a> {
    name: Option<&'a str>,
    policy_type: PolicyType,
    resource: &'a str,
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.name, self.policy_type) {
            (Some(n), _) => f.write_str(n),
            (None, PolicyType::RoleTrust) => write!(f, "trust policy of {}", self.resource),
            (None, PolicyType::Resource) => write!(f, "resource policy of {}", self.resource),
            (None, t) => f.write_str(t.describe()),
        }
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

/// The words the record uses for a decision kind.
fn kind_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "Allow",
        DecisionKind::ExplicitDeny => "ExplicitDeny",
        DecisionKind::ImplicitDeny => "ImplicitDeny",
    }
}

/// One decision as the request path hands it to the log: borrowed from the request, serialized
/// into one line at once (see [`DecisionLog::record`]).
#[derive(Debug)]
pub struct Decided<'a> {
    request_id: &'a str,
    now: i64,
    principal: &'a str,
    account: &'a str,
    action: &'a str,
    resource: &'a str,
    resource_account: Option<&'a str>,
    decision: DecisionKind,
    policy_type: PolicyType,
    message: Option<&'a str>,
    context: &'a Context,
    statements: Statements<'a>,
    near_misses: Vec<MissNote>,
}

/// The deciding statements of a record: for an allow (nearly every request) borrowed from the
/// policies and written without a copy; for a denial, the notes of its explanation.
#[derive(Debug)]
enum Statements<'a> {
    Allowed([Option<AllowNote<'a>>; 2]),
    Explained(Vec<StatementNote>),
}

impl Statements<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Statements::Allowed(notes) => notes.iter().all(Option::is_none),
            Statements::Explained(notes) => notes.is_empty(),
        }
    }
}

impl Serialize for Statements<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Statements::Allowed(notes) => s.collect_seq(notes.iter().flatten()),
            Statements::Explained(notes) => notes.serialize(s),
        }
    }
}

/// A [`StatementNote`] of an allowing statement, borrowed: written as one.
#[derive(Clone, Copy, Debug)]
struct AllowNote<'a> {
    policy_type: PolicyType,
    name: Option<&'a str>,
    statement: u32,
    sid: Option<&'a str>,
    resource: &'a str,
}

impl Serialize for AllowNote<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut r = s.serialize_struct("StatementNote", 5)?;
        r.serialize_field("policy_type", self.policy_type.describe())?;
        let label = Label {
            name: self.name,
            policy_type: self.policy_type,
            resource: self.resource,
        };
        r.serialize_field("policy", &format_args!("{label}"))?;
        r.serialize_field("statement", &self.statement)?;
        if let Some(sid) = self.sid {
            r.serialize_field("sid", sid)?;
        }
        r.serialize_field("effect", "Allow")?;
        r.end()
    }
}

/// The context as the record's `{"key": ["value", ...]}` map.
struct ContextJson<'a>(&'a Context);

impl Serialize for ContextJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.0.iter() {
            map.serialize_entry(k, v.values())?;
        }
        map.end()
    }
}

/// Written with exactly the fields of [`DecisionRecord`], which reads it back.
impl Serialize for Decided<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut r = s.serialize_struct("DecisionRecord", 13)?;
        r.serialize_field("request_id", self.request_id)?;
        r.serialize_field("time", &iso(self.now))?;
        r.serialize_field("principal", self.principal)?;
        r.serialize_field("account", self.account)?;
        r.serialize_field("action", self.action)?;
        r.serialize_field("resource", self.resource)?;
        if let Some(a) = self.resource_account {
            r.serialize_field("resource_account", a)?;
        }
        r.serialize_field("decision", kind_name(self.decision))?;
        r.serialize_field("policy_type", self.policy_type.describe())?;
        if let Some(m) = self.message {
            r.serialize_field("message", m)?;
        }
        if self.decision != DecisionKind::Allow {
            r.serialize_field("context", &ContextJson(self.context))?;
        }
        if !self.statements.is_empty() {
            r.serialize_field("statements", &self.statements)?;
        }
        if !self.near_misses.is_empty() {
            r.serialize_field("near_misses", &self.near_misses)?;
        }
        r.end()
    }
}

/// The note of a statement that allowed, found by reference without explaining the request.
fn allow_note<'a>(
    policies: &'a CallerPolicies,
    guard: ResourceGuard<'a>,
    at: StatementRef,
    resource: &'a str,
) -> AllowNote<'a> {
    let policy = Authorizer::policy_of(policies, guard, at);
    AllowNote {
        policy_type: at.policy_type,
        name: policy.and_then(|p| p.name()),
        statement: at.statement,
        sid: policy
            .and_then(|p| p.policy().statements.get(at.statement as usize))
            .and_then(|s| s.sid.as_deref()),
        resource,
    }
}

/// The record of one decision the authorizer made (see [`Authorizer::check`]). Denials are
/// explained again with the same policies to find the near misses. Allows name their deciding
/// statements from the decision itself: one, or for a cross-account allow one on each side
/// (the caller's identity-based statement and the resource's), so that `rolegate explain`
/// shows both accounts' grants without the request path explaining every allow.
#[allow(clippy::too_many_arguments)]
pub fn build<'a>(
    request_id: &'a str,
    now: i64,
    caller: &'a Caller,
    policies: &'a CallerPolicies,
    action: &'a str,
    resource: &'a str,
    resource_account: Option<&'a str>,
    guard: ResourceGuard<'a>,
    ctx: &'a Context,
    outcome: &'a Result<Decision, Authorization>,
) -> Decided<'a> {
    let decision = match outcome {
        Ok(d) => *d,
        Err(a) => a.decision,
    };
    let (statements, near_misses) = match outcome {
        Ok(d) => {
            let note =
                |at: Option<StatementRef>| at.map(|at| allow_note(policies, guard, at, resource));
            (
                Statements::Allowed([note(d.principal_statement), note(d.statement)]),
                Vec::new(),
            )
        }
        Err(_) => {
            let e = Authorizer::explain(
                caller,
                policies,
                action,
                resource,
                resource_account,
                guard,
                ctx,
            );
            let (statements, misses) = notes(&e, resource);
            (Statements::Explained(statements), misses)
        }
    };
    Decided {
        request_id,
        now,
        principal: caller.arn(),
        account: &caller.account,
        action,
        resource,
        resource_account,
        decision: decision.kind,
        policy_type: decision.policy_type,
        message: outcome.as_ref().err().map(|a| a.message.as_str()),
        context: ctx,
        statements,
        near_misses,
    }
}

/// What the request path and the writer share.
struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Queue {
    /// Serialized records, one line each, waiting for the writer.
    lines: Vec<u8>,
    /// The writer is waiting for a record (not pausing between batches): wake it.
    idle: bool,
    /// Every handle is gone: write what is queued and stop.
    closed: bool,
}

/// Closes the queue when the last [`DecisionLog`] handle goes.
struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.queue.lock().closed = true;
        self.0.wake.notify_one();
    }
}

/// Where decisions go: a writer thread appending to the log file.
#[derive(Clone)]
pub struct DecisionLog {
    handle: Arc<Handle>,
}

impl DecisionLog {
    /// Opens (creating) `<dir>/decisions.log`; files rotate past `max_bytes`, keeping `keep`
    /// previous ones (`decisions.log.1` the newest of them).
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> io::Result<DecisionLog> {
        fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            dropped: AtomicU64::new(0),
        });
        let writer = Writer {
            path,
            out: BufWriter::new(file),
            size,
            max_bytes,
            keep,
        };
        let theirs = shared.clone();
        std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || writer.run(&theirs))?;
        Ok(DecisionLog {
            handle: Arc::new(Handle(shared)),
        })
    }

    /// Queues one record. It is serialized here, on the request's thread, and its bytes copied
    /// into the queue: the writer thread then frees no memory the request path allocated
    /// (freeing another thread's blocks contends on the allocator's locks).
    pub fn record(&self, record: &Decided<'_>) {
        let shared = &self.handle.0;
        let mut line = Vec::with_capacity(LINE);
        if serde_json::to_writer(&mut line, record).is_err() {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        line.push(b'\n');
        let mut q = shared.queue.lock();
        if q.lines.len() + line.len() > QUEUE_BYTES {
            drop(q);
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        q.lines.extend_from_slice(&line);
        let wake = std::mem::take(&mut q.idle);
        drop(q);
        if wake {
            shared.wake.notify_one();
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.handle.0.dropped.load(Ordering::Relaxed)
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
    fn run(mut self, shared: &Shared) {
        let mut batch = Vec::new();
        loop {
            let closed = {
                let mut q = shared.queue.lock();
                while q.lines.is_empty() && !q.closed {
                    q.idle = true;
                    shared.wake.wait(&mut q);
                }
                q.idle = false;
                // Swap buffers: the request path keeps appending to an allocated one.
                std::mem::swap(&mut q.lines, &mut batch);
                q.closed && batch.is_empty()
            };
            if closed {
                return;
            }
            if let Err(e) = self.write_batch(&batch) {
                tracing::warn!("decision log: {e}");
            }
            batch.clear();
            // Flush once per batch: the lines are readable by `rolegate explain` at once.
            if let Err(e) = self.out.flush() {
                tracing::warn!("decision log: {e}");
            }
            std::thread::sleep(PAUSE);
        }
    }

    /// Appends whole lines: in one write when they fit in the current file, else line by line
    /// so that rotation falls between records.
    fn write_batch(&mut self, lines: &[u8]) -> io::Result<()> {
        let len = lines.len() as u64;
        if self.size + len <= self.max_bytes {
            self.out.write_all(lines)?;
            self.size += len;
            return Ok(());
        }
        for line in lines.split_inclusive(|&b| b == b'\n') {
            self.write(line)?;
        }
        Ok(())
    }

    /// Appends one line (a record and its newline), rotating first if it would not fit.
    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate()?;
        }
        self.out.write_all(line)?;
        self.size += len;
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

    /// The [`Decided`] that `record(id, decision)` reads back as.
    fn decided(id: &str, decision: DecisionKind) -> Decided<'_> {
        Decided {
            request_id: id,
            now: NOON,
            principal: "arn:aws:iam::111111111111:user/Anne",
            account: "111111111111",
            action: "sts:AssumeRole",
            resource: "arn:aws:iam::222222222222:role/r",
            resource_account: Some("222222222222"),
            decision,
            policy_type: PolicyType::RoleTrust,
            message: None,
            context: &EMPTY,
            statements: Statements::Explained(Vec::new()),
            near_misses: Vec::new(),
        }
    }

    static EMPTY: Context = Context::new();

    /// 2026-11-28T12:00:00Z.
    const NOON: i64 = 1_795_867_200;

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
        log.record(&decided("a", DecisionKind::Allow));
        log.record(&decided("b", DecisionKind::ImplicitDeny));
        let all = wait_for(dir.path(), 2);
        assert_eq!(all[0], record("a", "Allow"));
        assert_eq!(all[1].request_id, "b");
        assert!(!all[1].allowed());
    }

    #[test]
    fn rotation_bounds_the_size_and_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let one = serde_json::to_vec(&decided("r000", DecisionKind::Allow))
            .unwrap()
            .len() as u64
            + 1;
        // Room for 3 records per file, 2 previous files kept: at most 9 records survive.
        let log = DecisionLog::open(dir.path(), one * 3, 2).unwrap();
        for i in 0..20 {
            log.record(&decided(&format!("r{i:03}"), DecisionKind::Allow));
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

    /// Allow notes are borrowed and written by hand: they read back as the notes
    /// `policy_label` and an explanation would have made.
    #[test]
    fn allow_notes_read_back_as_statement_notes() {
        let resource = "arn:aws:iam::222222222222:role/r\"q";
        let allow = |policy_type, name, sid| AllowNote {
            policy_type,
            name,
            statement: 4,
            sid,
            resource,
        };
        let cases = [
            allow(
                PolicyType::Identity,
                Some("inline policy p of user \"A\""),
                Some("S"),
            ),
            allow(PolicyType::RoleTrust, None, None),
            allow(PolicyType::Resource, None, Some("R")),
            allow(PolicyType::Session, None, None),
        ];
        for (a, b) in [(0, 1), (2, 3)] {
            let d = Decided {
                statements: Statements::Allowed([Some(cases[a]), Some(cases[b])]),
                ..decided("allow", DecisionKind::Allow)
            };
            let back: DecisionRecord =
                serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
            let want: Vec<StatementNote> = [cases[a], cases[b]]
                .iter()
                .map(|n| StatementNote {
                    policy_type: n.policy_type.describe().to_owned(),
                    policy: policy_label(n.name, n.policy_type, resource),
                    statement: 4,
                    sid: n.sid.map(str::to_owned),
                    effect: "Allow".to_owned(),
                })
                .collect();
            assert_eq!(back.statements, want);
        }
        let none = Decided {
            statements: Statements::Allowed([None, None]),
            ..decided("allow", DecisionKind::Allow)
        };
        let line = serde_json::to_string(&none).unwrap();
        assert!(!line.contains("statements"), "{line}");
    }

    #[test]
    fn everything_decided_reads_back() {
        let mut context = Context::new();
        context.insert("aws:PrincipalArn", "arn:aws:iam::111111111111:user/Anne");
        context.insert("sts:ExternalId", "X\"1");
        context.insert_multi("aws:TagKeys", vec!["a".into(), "b".into()]);
        context.insert_multi("aws:CalledVia", Vec::new());
        let note = StatementNote {
            policy_type: "identity-based policy".into(),
            policy: "inline policy p of user Anne".into(),
            statement: 2,
            sid: Some("S".into()),
            effect: "Allow".into(),
        };
        let miss = MissNote {
            statement: note.clone(),
            failed: "condition".into(),
            operator: Some("StringEquals".into()),
            key: Some("sts:ExternalId".into()),
            policy_values: vec!["Y".into()],
            request_values: Some(vec!["X\"1".into()]),
        };
        let d = Decided {
            message: Some("User: ... is not authorized"),
            context: &context,
            statements: Statements::Explained(vec![note.clone()]),
            near_misses: vec![miss.clone()],
            ..decided("full", DecisionKind::ExplicitDeny)
        };
        let mut expected = record("full", "ExplicitDeny");
        expected.message = Some("User: ... is not authorized".into());
        expected.statements = vec![note];
        expected.near_misses = vec![miss];
        expected.context = [
            (
                "aws:principalarn",
                vec!["arn:aws:iam::111111111111:user/Anne"],
            ),
            ("sts:externalid", vec!["X\"1"]),
            ("aws:tagkeys", vec!["a", "b"]),
            ("aws:calledvia", vec![]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
        let line = serde_json::to_string(&d).unwrap();
        let back: DecisionRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back, expected);
        // No resource account, no message: the optional fields are left out, as before.
        // An allow leaves its context out.
        let bare = Decided {
            resource_account: None,
            context: &context,
            ..decided("bare", DecisionKind::Allow)
        };
        let line = serde_json::to_string(&bare).unwrap();
        assert!(
            !line.contains("resource_account")
                && !line.contains("message")
                && !line.contains("context"),
            "{line}"
        );
        let back: DecisionRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back.resource_account, None);
        assert!(back.allowed());
    }

    #[test]
    fn records_queued_before_the_last_handle_goes_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::open(dir.path(), 1 << 20, 2).unwrap();
        let other = log.clone();
        for i in 0..100 {
            log.record(&decided(&format!("r{i:03}"), DecisionKind::Allow));
        }
        drop(log);
        other.record(&decided("last", DecisionKind::Allow));
        drop(other);
        let all = wait_for(dir.path(), 101);
        assert_eq!(all.len(), 101);
        assert_eq!(all[100].request_id, "last");
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
