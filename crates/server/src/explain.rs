//! `rolegate explain` and `rolegate log`: the decision log of a data directory, read back for a
//! person. Both read the files only, so they work while the server runs.

use crate::open::StartError;
use rolegate_core::decisions::{read_all, DecisionRecord, MissNote, StatementNote};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

fn records(data_dir: &Path) -> Result<Vec<DecisionRecord>, StartError> {
    read_all(&data_dir.join("decisions")).map_err(|e| {
        StartError::DataDir(data_dir.display().to_string(), format!("decision log: {e}"))
    })
}

/// Prints why request `request_id` (or, with `last`, the newest denied request) was decided.
pub fn explain(data_dir: &Path, request_id: Option<&str>, last: bool) -> Result<(), StartError> {
    let all = records(data_dir)?;
    let wanted = match (request_id, last) {
        (Some(id), false) => id.to_owned(),
        (None, true) => match all.iter().rev().find(|r| !r.allowed()) {
            Some(r) => r.request_id.clone(),
            None => return Err(StartError::Usage("no denied request in the log".into())),
        },
        _ => {
            return Err(StartError::Usage(
                "give a request id or --last (the newest denial)".into(),
            ))
        }
    };
    let mine: Vec<&DecisionRecord> = all.iter().filter(|r| r.request_id == wanted).collect();
    if mine.is_empty() {
        return Err(StartError::Usage(format!(
            "request {wanted} is not in the decision log of {}",
            data_dir.display()
        )));
    }
    print!("{}", render(&mine));
    Ok(())
}

/// The explanation of one request's decisions (a request may need several: AssumeRole with
/// tags is also sts:TagSession).
pub fn render(records: &[&DecisionRecord]) -> String {
    let mut out = String::new();
    for r in records {
        let verdict = if r.allowed() { "ALLOWED" } else { "DENIED" };
        let _ = writeln!(out, "request {}: {verdict}", r.request_id);
        let _ = writeln!(out, "  {} on {}", r.action, r.resource);
        let _ = writeln!(
            out,
            "  by {} (account {}) at {}",
            r.principal, r.account, r.time
        );
        if let Some(m) = &r.message {
            let _ = writeln!(out, "  AWS said: {m}");
        }
        let cross = r.resource_account.as_deref().filter(|a| *a != r.account);
        match (r.allowed(), cross) {
            (true, Some(other)) => {
                let _ = writeln!(
                    out,
                    "  Both accounts allowed: the caller's {} and the resource's {other}.",
                    r.account
                );
            }
            (true, None) => {}
            (false, _) => {
                let side = if is_resource_side(&r.policy_type) {
                    format!(
                        "the resource's side refused (account {})",
                        r.resource_account.as_deref().unwrap_or(&r.account)
                    )
                } else {
                    format!("the caller's side refused (account {})", r.account)
                };
                let why = match r.decision.as_str() {
                    "ExplicitDeny" => format!("an explicit Deny in a {}", r.policy_type),
                    _ => format!("no {} allows {}", r.policy_type, r.action),
                };
                let _ = writeln!(out, "  Why: {why}: {side}.");
            }
        }
        let refused_by_resource = !r.allowed() && is_resource_side(&r.policy_type);
        let refused_by_caller = !r.allowed() && !refused_by_resource;
        section(
            &mut out,
            r,
            false,
            refused_by_caller,
            "Caller's side (identity-based policies, boundary, session)",
        );
        section(
            &mut out,
            r,
            true,
            refused_by_resource,
            "Resource's side (trust or resource policy)",
        );
        out.push('\n');
    }
    out
}

fn is_resource_side(policy_type: &str) -> bool {
    matches!(policy_type, "resource-based policy" | "role trust policy")
}

/// The statements of one side. `refused`: this side decided the denial, so say so even when
/// none of its statements came near.
fn section(out: &mut String, r: &DecisionRecord, resource_side: bool, refused: bool, title: &str) {
    let on_side = |t: &str| is_resource_side(t) == resource_side;
    let matched: Vec<&StatementNote> = r
        .statements
        .iter()
        .filter(|s| on_side(&s.policy_type))
        .collect();
    let misses: Vec<&MissNote> = r
        .near_misses
        .iter()
        .filter(|m| on_side(&m.statement.policy_type))
        .collect();
    if matched.is_empty() && misses.is_empty() {
        if refused {
            let _ = writeln!(out, "  {title}:");
            let _ = writeln!(
                out,
                "    no statement allows {} on {} (no policy of this side mentions the action for this resource)",
                r.action, r.resource
            );
        }
        return;
    }
    let _ = writeln!(out, "  {title}:");
    for s in matched {
        let verb = if s.effect == "Deny" {
            "denied by"
        } else {
            "allowed by"
        };
        let _ = writeln!(out, "    {verb} {}: {}", s.policy, statement(s));
    }
    for m in misses {
        let _ = writeln!(out, "    {}", miss(m, r));
    }
}

fn statement(s: &StatementNote) -> String {
    match &s.sid {
        Some(sid) => format!("statement {} (Sid \"{sid}\")", s.statement),
        None => format!("statement {}", s.statement),
    }
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// One near miss in words: "trust policy of R: statement 0 requires sts:ExternalId
/// StringEquals 'X'; the request had no sts:ExternalId".
fn miss(m: &MissNote, r: &DecisionRecord) -> String {
    let s = &m.statement;
    let head = format!("{}: {}", s.policy, statement(s));
    let effect = if s.effect == "Deny" {
        "would deny"
    } else {
        "would allow"
    };
    match m.failed.as_str() {
        "condition" => {
            let key = m.key.as_deref().unwrap_or("?");
            let had = match &m.request_values {
                None => format!("the request had no {key}"),
                Some(v) => format!("the request had {key} = {}", quoted(v)),
            };
            format!(
                "{head} requires {key} {} {}; {had}",
                m.operator.as_deref().unwrap_or("?"),
                quoted(&m.policy_values)
            )
        }
        "resource" => format!(
            "{head} {effect} {} but does not cover the resource {}",
            r.action, r.resource
        ),
        "principal" => format!(
            "{head} {effect} {} but its Principal does not name {}",
            r.action, r.principal
        ),
        other => format!("{head}: {other} did not match"),
    }
}

/// Which decisions `rolegate log` shows.
#[derive(Default)]
pub struct LogFilter {
    pub account: Option<String>,
    pub principal: Option<String>,
    pub action: Option<String>,
    pub denied: bool,
}

impl LogFilter {
    fn keeps(&self, r: &DecisionRecord) -> bool {
        self.account
            .as_deref()
            .is_none_or(|a| r.account == a || r.resource_account.as_deref() == Some(a))
            && self
                .principal
                .as_deref()
                .is_none_or(|p| r.principal.contains(p))
            && self
                .action
                .as_deref()
                .is_none_or(|a| r.action.eq_ignore_ascii_case(a))
            && (!self.denied || !r.allowed())
    }
}

fn row(r: &DecisionRecord) -> String {
    let verdict = match r.decision.as_str() {
        "Allow" => "ALLOW",
        "ExplicitDeny" => "DENY!",
        _ => "deny",
    };
    format!(
        "{}  {verdict:<5}  {:<36}  {:<28}  {}  {}",
        r.time, r.request_id, r.action, r.principal, r.resource
    )
}

/// Prints the newest `limit` decisions that pass `filter`, then with `follow` waits for more.
pub fn log(
    data_dir: &Path,
    filter: &LogFilter,
    limit: usize,
    follow: bool,
) -> Result<(), StartError> {
    let all = records(data_dir)?;
    let kept: Vec<&DecisionRecord> = all.iter().filter(|r| filter.keeps(r)).collect();
    println!(
        "{:<25} {:<6} {:<36}  {:<28}  PRINCIPAL  RESOURCE",
        "TIME", "RESULT", "REQUEST ID", "ACTION"
    );
    for r in &kept[kept.len().saturating_sub(limit)..] {
        println!("{}", row(r));
    }
    if !follow {
        return Ok(());
    }
    // Rotation makes counting lines unreliable: remember what was shown by request id + action.
    let mut seen: std::collections::HashSet<(String, String, String)> = all
        .iter()
        .map(|r| (r.request_id.clone(), r.action.clone(), r.time.clone()))
        .collect();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        for r in records(data_dir)? {
            let id = (r.request_id.clone(), r.action.clone(), r.time.clone());
            if seen.insert(id) && filter.keeps(&r) {
                println!("{}", row(&r));
            }
        }
    }
}
