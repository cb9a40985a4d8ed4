//! Explanations: the decision, the statements that matched, and those that came closest.
//!
//! `explain` re-runs the same evaluation as `evaluate` with a recorder, so the two can never
//! disagree; it allocates, and is meant for denials and tools, not the request path.

use crate::ast::Effect;
use crate::compile::{CompiledPolicy, Miss};
use crate::evaluate::{decide, Decision, PolicySet, Request, StatementRef, Trace};
use std::fmt;

/// A statement that applied to the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementMatch {
    pub at: StatementRef,
    /// The policy's name (ARN or inline name) when the caller named it.
    pub policy_name: Option<String>,
    pub sid: Option<String>,
    pub effect: Effect,
}

/// Why a statement whose action matched the request did not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request's resource is not in the statement's Resource (or is in its NotResource).
    Resource,
    /// The statement's Principal does not name the caller.
    Principal,
    /// A condition was false: the operator, the key, the policy's values, and the request's
    /// values for that key (`None`: the key was not in the request).
    Condition {
        operator: String,
        key: String,
        policy_values: Vec<String>,
        request_values: Option<Vec<String>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearMiss {
    pub at: StatementRef,
    pub policy_name: Option<String>,
    pub sid: Option<String>,
    pub effect: Effect,
    pub failed: Failure,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub decision: Decision,
    pub matched: Vec<StatementMatch>,
    pub near_misses: Vec<NearMiss>,
}

struct Recorder<'r> {
    req: &'r Request<'r>,
    matched: Vec<StatementMatch>,
    near: Vec<NearMiss>,
}

fn sid_of(policy: &CompiledPolicy, at: StatementRef) -> (Option<String>, Effect) {
    policy
        .policy()
        .statements
        .get(at.statement as usize)
        .map_or((None, Effect::Allow), |s| (s.sid.clone(), s.effect))
}

impl Trace for Recorder<'_> {
    const ALL: bool = true;

    fn hit(&mut self, policy: &CompiledPolicy, at: StatementRef) {
        let (sid, effect) = sid_of(policy, at);
        self.matched.push(StatementMatch {
            at,
            policy_name: policy.name().map(str::to_owned),
            sid,
            effect,
        });
    }

    fn miss(&mut self, policy: &CompiledPolicy, at: StatementRef, why: Miss) {
        let (sid, effect) = sid_of(policy, at);
        let failed = match why {
            Miss::Resource => Failure::Resource,
            Miss::Principal => Failure::Principal,
            Miss::Condition(i) => {
                let Some(cond) = policy
                    .statement(at.statement)
                    .and_then(|s| s.conditions.get(i))
                else {
                    return;
                };
                let policy_values = policy
                    .policy()
                    .statements
                    .get(at.statement as usize)
                    .and_then(|s| s.condition.as_ref())
                    .and_then(|block| {
                        block
                            .0
                            .iter()
                            .filter(|e| *e.operator == *cond.operator_text)
                            .flat_map(|e| e.keys.iter())
                            .find(|(k, _)| **k == *cond.key_text)
                            .map(|(_, v)| v.as_slice().to_vec())
                    })
                    .unwrap_or_default();
                Failure::Condition {
                    operator: cond.operator_text.to_string(),
                    key: cond.key_text.to_string(),
                    policy_values,
                    request_values: self.req.context.get(&cond.key).map(|v| v.values().to_vec()),
                }
            }
        };
        self.near.push(NearMiss {
            at,
            policy_name: policy.name().map(str::to_owned),
            sid,
            effect,
            failed,
        });
    }
}

/// Decides `req` as [`crate::evaluate`] does and says why.
pub fn explain(req: &Request<'_>, set: &PolicySet<'_>) -> Explanation {
    let mut rec = Recorder {
        req,
        matched: Vec::new(),
        near: Vec::new(),
    };
    let decision = decide(req, set, &mut rec);
    Explanation {
        decision,
        matched: rec.matched,
        near_misses: rec.near,
    }
}

fn where_(
    f: &mut fmt::Formatter<'_>,
    at: StatementRef,
    name: &Option<String>,
    sid: &Option<String>,
) -> fmt::Result {
    write!(f, "{}", at.policy_type.describe())?;
    match name {
        Some(n) => write!(f, " {n}")?,
        None => write!(f, " #{}", at.policy)?,
    }
    match sid {
        Some(s) => write!(f, ", statement {s}"),
        None => write!(f, ", statement #{}", at.statement),
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "decision: {:?} ({})",
            self.decision.kind,
            self.decision.policy_type.describe()
        )?;
        for m in &self.matched {
            write!(f, "  matched {:?}: ", m.effect)?;
            where_(f, m.at, &m.policy_name, &m.sid)?;
            writeln!(f)?;
        }
        for n in &self.near_misses {
            write!(f, "  near miss {:?}: ", n.effect)?;
            where_(f, n.at, &n.policy_name, &n.sid)?;
            match &n.failed {
                Failure::Resource => writeln!(f, ": resource does not match")?,
                Failure::Principal => writeln!(f, ": principal not named")?,
                Failure::Condition {
                    operator,
                    key,
                    policy_values,
                    request_values,
                } => match request_values {
                    Some(v) => writeln!(
                        f,
                        ": condition {operator} {key} {policy_values:?} is false for request value {v:?}"
                    )?,
                    None => writeln!(
                        f,
                        ": condition {operator} {key} {policy_values:?} is false: key not in request"
                    )?,
                },
            }
        }
        Ok(())
    }
}
