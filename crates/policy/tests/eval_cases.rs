//! Table-driven evaluation corpus: every `tests/cases/eval/*.json` file holds cases written from
//! the AWS IAM User Guide (each names its rule in `rule`). The runner builds the principal, the
//! request context and the policy set of each case, calls `evaluate` and `explain`, and checks
//! the decision, the policy type that decided it and (when given) the exact `Decision::reason`.
//!
//! All failures are collected and reported together. `EVAL_CASES_FILTER=substring` runs only the
//! cases whose name or file contains the substring (and then skips the corpus-size check).
//!
//! Case format (see any file for examples):
//!
//! ```text
//! {"feature": "...", "cases": [ {
//!   "name", "rule", "principal": "arn" | "anonymous" | {"arn","role_arn","unique_id"} | {"service"},
//!   "action", "resource", "resource_account"?, "context"?: {key: "v" | ["v", ...]},
//!   "identity"?: [policy], "boundary"?: policy, "session"?: [policy], "resource_policy"?: policy,
//!   "resource_kind"?: "standard"|"role_trust"|"kms_key", "scps"?: [[policy]], "rcps"?: [[policy]],
//!   "expect": "allow"|"explicit_deny"|"implicit_deny", "decided_by"?, "reason"?, "known_bug"?,
//!   "note"? } ] }
//! ```
//! A policy is a JSON object or a JSON string holding the raw document text.

use rolegate_policy::{
    evaluate, explain, CompiledPolicy, Context, Decision, Policy, PolicySet, Principal, Request,
    ResourcePolicyKind,
};
use serde_json::{Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The corpus must never shrink below this without someone noticing.
const MIN_CASES: usize = 200;

const CASE_FIELDS: &[&str] = &[
    "name",
    "rule",
    "note",
    "principal",
    "action",
    "resource",
    "resource_account",
    "context",
    "identity",
    "boundary",
    "session",
    "resource_policy",
    "resource_kind",
    "scps",
    "rcps",
    "expect",
    "decided_by",
    "reason",
    "known_bug",
];

struct Case {
    file: String,
    name: String,
    body: Map<String, Value>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/eval")
}

fn load_cases() -> Vec<Case> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: not valid JSON: {e}"));
        let Some(list) = doc.get("cases").and_then(Value::as_array) else {
            panic!("{file}: no \"cases\" array");
        };
        assert!(
            doc.get("feature").and_then(Value::as_str).is_some(),
            "{file}: no \"feature\" string"
        );
        let mut names = std::collections::HashSet::new();
        for (i, case) in list.iter().enumerate() {
            let Some(body) = case.as_object() else {
                panic!("{file}: case #{i} is not an object");
            };
            let name = body
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{file}: case #{i} has no name"))
                .to_owned();
            assert!(
                names.insert(name.clone()),
                "{file}: duplicate case name {name:?}"
            );
            for key in body.keys() {
                assert!(
                    CASE_FIELDS.contains(&key.as_str()),
                    "{file}: case {name:?}: unknown field {key:?}"
                );
            }
            for required in ["rule", "principal", "action", "resource", "expect"] {
                assert!(
                    body.contains_key(required),
                    "{file}: case {name:?}: missing field {required:?}"
                );
            }
            cases.push(Case {
                file: file.clone(),
                name,
                body: body.clone(),
            });
        }
    }
    cases
}

fn str_field<'a>(case: &'a Case, key: &str) -> Option<&'a str> {
    case.body.get(key).map(|v| {
        v.as_str().unwrap_or_else(|| {
            panic!(
                "{}: case {:?}: {key} must be a string",
                case.file, case.name
            )
        })
    })
}

fn build_principal(case: &Case) -> Principal {
    let spec = &case.body["principal"];
    let ctx = || format!("{}: case {:?}", case.file, case.name);
    let from_arn = |arn: &str| {
        Principal::from_arn(arn)
            .unwrap_or_else(|| panic!("{}: Principal::from_arn rejected {arn:?}", ctx()))
    };
    match spec {
        Value::String(s) if s == "anonymous" => Principal::anonymous(),
        Value::String(arn) => from_arn(arn),
        Value::Object(obj) => {
            for key in obj.keys() {
                assert!(
                    ["arn", "role_arn", "unique_id", "service"].contains(&key.as_str()),
                    "{}: unknown principal field {key:?}",
                    ctx()
                );
            }
            if let Some(service) = obj.get("service").and_then(Value::as_str) {
                return Principal::service(service);
            }
            let arn = obj.get("arn").and_then(Value::as_str).unwrap_or_else(|| {
                panic!("{}: principal object needs \"arn\" or \"service\"", ctx())
            });
            let mut p = from_arn(arn);
            if let Some(role_arn) = obj.get("role_arn").and_then(Value::as_str) {
                p = p.with_role_arn(role_arn);
            }
            if let Some(id) = obj.get("unique_id").and_then(Value::as_str) {
                p = p.with_unique_id(id);
            }
            p
        }
        other => panic!("{}: bad principal {other}", ctx()),
    }
}

fn build_context(case: &Case, principal: &Principal) -> Context {
    let mut ctx = Context::for_principal(principal);
    let Some(entries) = case.body.get("context") else {
        return ctx;
    };
    let entries = entries.as_object().unwrap_or_else(|| {
        panic!(
            "{}: case {:?}: context must be an object",
            case.file, case.name
        )
    });
    for (key, value) in entries {
        match value {
            Value::String(s) => ctx.insert(key, s),
            Value::Bool(_) | Value::Number(_) => ctx.insert(key, &value.to_string()),
            Value::Array(items) => {
                let values = items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                ctx.insert_multi(key, values);
            }
            other => panic!(
                "{}: case {:?}: context value of {key} must be a string or an array, not {other}",
                case.file, case.name
            ),
        }
    }
    ctx
}

fn compile(case: &Case, what: &str, policy: &Value) -> CompiledPolicy {
    let text = match policy {
        Value::String(s) => s.clone(),
        Value::Object(_) => policy.to_string(),
        other => panic!(
            "{}: case {:?}: {what} must be a policy object or string, not {other}",
            case.file, case.name
        ),
    };
    match Policy::parse(&text) {
        Ok(parsed) => CompiledPolicy::new(&parsed),
        Err(e) => panic!(
            "{}: case {:?}: the {what} policy does not parse ({e}):\n{text}",
            case.file, case.name
        ),
    }
}

fn compile_list(case: &Case, key: &str) -> Vec<CompiledPolicy> {
    match case.body.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(|p| compile(case, key, p)).collect(),
        Some(_) => panic!(
            "{}: case {:?}: {key} must be an array of policies",
            case.file, case.name
        ),
    }
}

fn compile_levels(case: &Case, key: &str) -> Vec<Vec<CompiledPolicy>> {
    match case.body.get(key) {
        None => Vec::new(),
        Some(Value::Array(levels)) => levels
            .iter()
            .map(|level| match level {
                Value::Array(items) => items.iter().map(|p| compile(case, key, p)).collect(),
                _ => panic!(
                    "{}: case {:?}: {key} must be an array of levels, each an array of policies",
                    case.file, case.name
                ),
            })
            .collect(),
        Some(_) => panic!(
            "{}: case {:?}: {key} must be an array of levels",
            case.file, case.name
        ),
    }
}

/// `ExplicitDeny` -> `explicit_deny`, `RoleTrust` -> `role_trust`: the case files' spelling.
fn snake(debug: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn describe(d: &Decision, action: &str) -> String {
    format!(
        "{} by {} ({:?})",
        snake(&format!("{:?}", d.kind)),
        snake(&format!("{:?}", d.policy_type)),
        d.reason(action)
    )
}

/// Runs one case; returns the list of mismatches (empty when it passes).
fn run_case(case: &Case) -> Vec<String> {
    let principal = build_principal(case);
    let context = build_context(case, &principal);
    let action = str_field(case, "action").unwrap_or_default();
    let resource = str_field(case, "resource").unwrap_or_default();
    let resource_account = str_field(case, "resource_account");

    let identity = compile_list(case, "identity");
    let session = compile_list(case, "session");
    let boundary = case
        .body
        .get("boundary")
        .map(|p| compile(case, "boundary", p));
    let resource_policy = case
        .body
        .get("resource_policy")
        .map(|p| compile(case, "resource_policy", p));
    let resource_kind = match str_field(case, "resource_kind").unwrap_or("standard") {
        "standard" => ResourcePolicyKind::Standard,
        "role_trust" => ResourcePolicyKind::RoleTrust,
        "kms_key" => ResourcePolicyKind::KmsKey,
        other => panic!(
            "{}: case {:?}: unknown resource_kind {other:?}",
            case.file, case.name
        ),
    };
    let scps = compile_levels(case, "scps");
    let rcps = compile_levels(case, "rcps");

    let request = Request {
        principal: &principal,
        action,
        resource,
        resource_account,
        context: &context,
    };
    let set = PolicySet {
        identity: &identity,
        boundary: boundary.as_ref(),
        session: &session,
        resource: resource_policy.as_ref(),
        resource_kind,
        scps: &scps,
        rcps: &rcps,
    };

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let decision = evaluate(&request, &set);
        let explanation = explain(&request, &set);
        (decision, explanation)
    }));
    let (decision, explanation) = match outcome {
        Ok(pair) => pair,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            return vec![format!("the engine panicked: {msg}")];
        }
    };

    let mut problems = Vec::new();
    let got_kind = snake(&format!("{:?}", decision.kind));
    let got_type = snake(&format!("{:?}", decision.policy_type));
    let got_reason = decision.reason(action);
    let expect = str_field(case, "expect").unwrap_or_default();
    assert!(
        ["allow", "explicit_deny", "implicit_deny"].contains(&expect),
        "{}: case {:?}: unknown expect {expect:?}",
        case.file,
        case.name
    );
    if got_kind != expect {
        problems.push(format!(
            "expected {expect}, got {}",
            describe(&decision, action)
        ));
    }
    if let Some(by) = str_field(case, "decided_by") {
        if got_type != by {
            problems.push(format!(
                "expected decided_by {by}, got {}",
                describe(&decision, action)
            ));
        }
    }
    if let Some(reason) = str_field(case, "reason") {
        if got_reason != reason {
            problems.push(format!("expected reason {reason:?}, got {got_reason:?}"));
        }
    }
    if decision.is_allowed() != (got_kind == "allow") {
        problems.push(format!(
            "is_allowed() is {} for a {got_kind} decision",
            decision.is_allowed()
        ));
    }
    if got_kind == "allow" && !got_reason.is_empty() {
        problems.push(format!("an Allow has a non-empty reason {got_reason:?}"));
    }
    if got_kind != "allow" && got_reason.is_empty() {
        problems.push("a deny has an empty reason".to_owned());
    }
    let explained = format!("{:?}", explanation.decision);
    let evaluated = format!("{decision:?}");
    if explained != evaluated {
        problems.push(format!(
            "explain() decided {explained} but evaluate() decided {evaluated}"
        ));
    }
    problems
}

#[test]
fn eval_cases() {
    let all = load_cases();
    let filter = std::env::var("EVAL_CASES_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    if filter.is_none() {
        assert!(
            all.len() >= MIN_CASES,
            "only {} evaluation cases were loaded from {} (expected at least {MIN_CASES})",
            all.len(),
            corpus_dir().display()
        );
    }
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut fixed = Vec::new();
    let mut ran = 0;
    for case in &all {
        if let Some(f) = &filter {
            if !case.name.contains(f.as_str()) && !case.file.contains(f.as_str()) {
                continue;
            }
        }
        ran += 1;
        let problems = run_case(case);
        let known_bug = str_field(case, "known_bug");
        let line = format!("{} / {}: {}", case.file, case.name, problems.join("; "));
        match (problems.is_empty(), known_bug) {
            (true, None) => {}
            (true, Some(_)) => fixed.push(format!("{} / {}", case.file, case.name)),
            (false, Some(bug)) => known.push(format!("{line}\n      known bug: {bug}")),
            (false, None) => failures.push(line),
        }
    }
    println!("{ran} evaluation cases run from {}", corpus_dir().display());
    if !known.is_empty() {
        println!("{} known engine bugs (not failing the test):", known.len());
        for k in &known {
            println!("  {k}");
        }
    }
    if !fixed.is_empty() {
        println!(
            "{} cases marked known_bug now pass; remove the marker:",
            fixed.len()
        );
        for f in &fixed {
            println!("  {f}");
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {ran} evaluation cases failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
}
