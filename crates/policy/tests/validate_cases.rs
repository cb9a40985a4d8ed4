//! Table-driven validation corpus: every `tests/cases/validate/*.json` file holds documents and
//! the `MalformedPolicyDocument` text IAM answers for them (or `null` when IAM accepts them).
//! Each case names the documentation or spec line it checks in `rule`.
//!
//! For every case the runner calls `Policy::parse_for(text, kind)` and compares the outcome with
//! `error`. It also checks that `parse_for` agrees with `parse` followed by `validate`, that every
//! error carries the `MalformedPolicyDocument` code and displays its message, and, for accepted
//! documents, that `source()` is the submitted text byte for byte and that the canonical print
//! reads back to the same policy (which still validates under the same kind).
//!
//! All failures are collected and reported together. `VALIDATE_CASES_FILTER=substring` runs only
//! the cases whose name or file contains the substring (and then skips the corpus-size check).
//!
//! Case format:
//!
//! ```text
//! {"feature": "...", "cases": [ {
//!   "name": "...", "rule": "...",
//!   "kind": "managed" | "inline" | "resource" | "trust" | "scp" | "rcp" | "session",
//!   "policy": {JSON object} | "raw document text",
//!   "error": "exact message" | null,
//!   "known_bug"?: "why the engine differs from AWS (reported, not failed)",
//!   "note"?: "..." } ] }
//! ```
//!
//! A `policy` given as a JSON object is printed compactly with its members in file order (the
//! runner keeps key order, so documents that depend on member order can be written as objects);
//! a `policy` given as a string is submitted verbatim (for text that is not one JSON object,
//! duplicate keys, odd whitespace...).

use rolegate_policy::{validate, Policy, PolicyKind};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The corpus must never shrink below this without someone noticing.
const MIN_CASES: usize = 60;

const CASE_FIELDS: &[&str] = &[
    "name",
    "rule",
    "kind",
    "policy",
    "error",
    "known_bug",
    "note",
];

/// A JSON value that keeps object members in file order (serde_json's `Value` sorts them).
#[derive(Clone, Debug)]
enum Node {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == key) {
                // A case file with a duplicate key would silently lose one of them.
                return Err(de::Error::custom(format!(
                    "duplicate key {key:?} in a case file (write such documents as raw strings)"
                )));
            }
            let value = map.next_value::<Node>()?;
            members.push((key, value));
        }
        Ok(Node::Object(members))
    }
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// Compact JSON text, members in their original order.
    fn print(&self, out: &mut String) {
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Number(n) => out.push_str(n),
            Node::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.print(out);
                }
                out.push(']');
            }
            Node::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    v.print(out);
                }
                out.push('}');
            }
        }
    }
}

struct Case {
    file: String,
    name: String,
    rule: String,
    kind: PolicyKind,
    text: String,
    error: Option<String>,
    known_bug: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/validate")
}

fn parse_kind(s: &str) -> Option<PolicyKind> {
    Some(match s {
        "managed" => PolicyKind::ManagedIdentity,
        "inline" => PolicyKind::InlineIdentity,
        "resource" => PolicyKind::Resource,
        "trust" => PolicyKind::Trust,
        "scp" => PolicyKind::Scp,
        "rcp" => PolicyKind::Rcp,
        "session" => PolicyKind::Session,
        _ => return None,
    })
}

/// Loads every case; format problems in the corpus itself are returned as failures.
fn load_cases(failures: &mut Vec<String>) -> Vec<Case> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let root: Node = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{file}: not valid JSON: {e}"));
                continue;
            }
        };
        if root.get("feature").and_then(Node::as_str).is_none() {
            failures.push(format!("{file}: missing \"feature\""));
        }
        let Some(Node::Array(items)) = root.get("cases") else {
            failures.push(format!("{file}: missing \"cases\" array"));
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Node::Object(members) = item else {
                failures.push(format!("{file}: case #{i} is not an object"));
                continue;
            };
            let name = item
                .get("name")
                .and_then(Node::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{i}"));
            let label = format!("{file}::{name}");
            for (k, _) in members {
                if !CASE_FIELDS.contains(&k.as_str()) {
                    failures.push(format!("{label}: unknown field {k:?}"));
                }
            }
            if !seen.insert(label.clone()) {
                failures.push(format!("{label}: duplicate case name"));
            }
            let rule = item.get("rule").and_then(Node::as_str).unwrap_or_default();
            if rule.trim().is_empty() {
                failures.push(format!("{label}: missing \"rule\""));
            }
            let Some(kind) = item.get("kind").and_then(Node::as_str).and_then(parse_kind) else {
                failures.push(format!("{label}: missing or unknown \"kind\""));
                continue;
            };
            let text = match item.get("policy") {
                Some(Node::String(raw)) => raw.clone(),
                Some(obj @ Node::Object(_)) => {
                    let mut out = String::new();
                    obj.print(&mut out);
                    out
                }
                _ => {
                    failures.push(format!("{label}: \"policy\" must be an object or a string"));
                    continue;
                }
            };
            let error = match item.get("error") {
                Some(Node::Null) => None,
                Some(Node::String(s)) => Some(s.clone()),
                _ => {
                    failures.push(format!("{label}: \"error\" must be a string or null"));
                    continue;
                }
            };
            let known_bug = item
                .get("known_bug")
                .and_then(Node::as_str)
                .map(str::to_owned);
            cases.push(Case {
                file: file.clone(),
                name,
                rule: rule.to_owned(),
                kind,
                text,
                error,
                known_bug,
            });
        }
    }
    cases
}

/// Runs one case; returns the list of problems found (empty when the engine agrees with AWS).
fn check(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let outcome = Policy::parse_for(&case.text, case.kind);

    // parse_for must be exactly parse + validate.
    let two_step = Policy::parse(&case.text).and_then(|p| validate(&p, case.kind).map(|()| p));
    match (&outcome, &two_step) {
        (Ok(a), Ok(b)) if a == b => {}
        (Err(a), Err(b)) if a == b => {}
        _ => problems.push(format!(
            "parse_for disagrees with parse+validate: {:?} vs {:?}",
            outcome
                .as_ref()
                .map(|_| "Ok")
                .map_err(|e| e.message().to_owned()),
            two_step
                .as_ref()
                .map(|_| "Ok")
                .map_err(|e| e.message().to_owned()),
        )),
    }

    match (&outcome, &case.error) {
        (Err(err), Some(expected)) => {
            if err.message() != expected {
                problems.push(format!(
                    "expected error {expected:?}, got {:?}",
                    err.message()
                ));
            }
            if err.to_string() != err.message() {
                problems.push(format!(
                    "Display {:?} differs from message() {:?}",
                    err.to_string(),
                    err.message()
                ));
            }
            if err.code() != "MalformedPolicyDocument" {
                problems.push(format!(
                    "code {:?}, expected MalformedPolicyDocument",
                    err.code()
                ));
            }
        }
        (Err(err), None) => problems.push(format!(
            "expected the document to be accepted, got {:?}",
            err.message()
        )),
        (Ok(_), Some(expected)) => problems.push(format!(
            "expected error {expected:?}, the document was accepted"
        )),
        (Ok(policy), None) => {
            if policy.source() != case.text {
                problems.push("source() is not the submitted text byte for byte".to_owned());
            }
            let printed = policy.to_json();
            match Policy::parse(&printed) {
                Ok(again) => {
                    if &again != policy {
                        problems.push(format!(
                            "parse(to_json(p)) != p; printed: {printed}\n        original: {policy:?}\n        reparsed: {again:?}"
                        ));
                    }
                    if again.source() != printed {
                        problems.push("source() of the reparsed print is not the print".to_owned());
                    }
                    if let Err(e) = validate(&again, case.kind) {
                        problems.push(format!(
                            "the canonical print no longer validates: {:?}; printed: {printed}",
                            e.message()
                        ));
                    }
                    // Printing is canonical: a second round gives the same text.
                    if again.to_json() != printed {
                        problems.push("to_json is not stable across a round trip".to_owned());
                    }
                }
                Err(e) => problems.push(format!(
                    "the canonical print does not parse: {:?}; printed: {printed}",
                    e.message()
                )),
            }
        }
    }
    problems
}

#[test]
fn validation_corpus() {
    let mut failures = Vec::new();
    let cases = load_cases(&mut failures);
    let filter = std::env::var("VALIDATE_CASES_FILTER").ok();
    let mut ran = 0usize;
    let mut known = Vec::new();
    let mut fixed = Vec::new();
    for case in &cases {
        let label = format!("{}::{}", case.file, case.name);
        if let Some(f) = &filter {
            if !label.contains(f.as_str()) {
                continue;
            }
        }
        ran += 1;
        let problems = match catch_unwind(AssertUnwindSafe(|| check(case))) {
            Ok(p) => p,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                vec![format!("PANIC: {msg}")]
            }
        };
        match (&case.known_bug, problems.is_empty()) {
            (Some(why), false) => {
                known.push(format!("{label}: {why}\n    {}", problems.join("\n    ")))
            }
            (Some(_), true) => fixed.push(label),
            (None, false) => failures.push(format!(
                "{label}\n    rule: {}\n    kind: {:?}\n    policy: {}\n    {}",
                case.rule,
                case.kind,
                case.text,
                problems.join("\n    ")
            )),
            (None, true) => {}
        }
    }
    if !known.is_empty() {
        eprintln!(
            "{} known engine bug(s), reported but not failed:",
            known.len()
        );
        for k in &known {
            eprintln!("  - {k}");
        }
    }
    if !fixed.is_empty() {
        eprintln!("cases marked known_bug that now pass (remove the marker): {fixed:?}");
    }
    if filter.is_none() && cases.len() < MIN_CASES {
        failures.push(format!(
            "only {} validation cases loaded from {}; expected at least {MIN_CASES}",
            cases.len(),
            corpus_dir().display()
        ));
    }
    eprintln!(
        "validation corpus: {ran} case(s) run, {} loaded",
        cases.len()
    );
    if !failures.is_empty() {
        panic!(
            "{} validation case failure(s):\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
