//! The simulator's decisions: each action on each resource goes through the policy engine
//! (`rolegate_policy::explain`, the same evaluation the authorizer makes), and the explanation
//! becomes an `EvaluationResult`: the decision, the statements that decided with their place in
//! the policy text, the condition keys the request lacked, and the boundary and cross-account
//! details.

use crate::protocol::Xml;
use rolegate_policy::{
    evaluate, explain, CompiledPolicy, Context, Decision, DecisionKind, Effect, Explanation,
    Failure, PolicySet, PolicyType, Principal, Request, ResourcePolicyKind, StatementRef,
};

/// One policy of the simulation, with the name and kind the results report.
#[derive(Clone)]
pub(crate) struct Source {
    pub policy: CompiledPolicy,
    pub id: String,
    pub kind: &'static str,
}

impl Source {
    pub(crate) fn new(policy: CompiledPolicy, id: &str, kind: &'static str) -> Source {
        Source {
            policy,
            id: id.to_owned(),
            kind,
        }
    }
}

/// Everything one simulation decides with.
pub(crate) struct Scenario {
    pub identity: Vec<Source>,
    pub boundary: Option<Source>,
    pub resource_policy: Option<Source>,
    pub principal: Principal,
    pub context: Context,
    /// `ResourceOwner`'s account, which also owns the resource policy.
    pub owner: Option<String>,
}

/// Line and column (both from 1) of a statement's braces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: (u32, u32),
    pub end: (u32, u32),
}

#[derive(Clone, Debug)]
pub(crate) struct Matched {
    pub id: String,
    pub kind: &'static str,
    pub span: Option<Span>,
}

/// The decision for one resource.
#[derive(Clone, Debug)]
pub(crate) struct ResourceResult {
    pub resource: String,
    pub decision: &'static str,
    pub matched: Vec<Matched>,
    pub missing: Vec<String>,
    pub boundary_allowed: Option<bool>,
    pub details: Option<Vec<(&'static str, &'static str)>>,
}

/// One `EvaluationResult`.
#[derive(Clone, Debug)]
pub(crate) struct EvalResult {
    pub action: String,
    pub result: ResourceResult,
    /// `ResourceArns` was given: the result is repeated as its one resource-specific result.
    pub specific: bool,
}

/// The spans of a policy's statements, in order: the objects of its top-level `Statement`
/// member (an array of them or a single one). The text is valid JSON (it was parsed already).
pub(crate) fn statement_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let (mut line, mut col) = (1u32, 0u32);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut string = String::new();
    let mut last_key_at_1 = String::new();
    // The depth at which statement objects open (2 for a single object, 3 inside an array).
    let mut statement_depth: Option<usize> = None;
    let mut open: Option<(u32, u32)> = None;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            col = 0;
            if !in_string {
                continue;
            }
        } else {
            col += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
                string.push(c);
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else {
                string.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                string.clear();
            }
            ':' if depth == 1 => last_key_at_1 = std::mem::take(&mut string),
            '{' | '[' => {
                depth += 1;
                if depth == 2 && last_key_at_1 == "Statement" {
                    statement_depth = Some(if c == '[' { 3 } else { 2 });
                }
                if c == '{' && statement_depth == Some(depth) {
                    open = Some((line, col));
                }
            }
            '}' | ']' => {
                if c == '}' && statement_depth == Some(depth) {
                    if let Some(start) = open.take() {
                        spans.push(Span {
                            start,
                            end: (line, col),
                        });
                    }
                }
                if depth == 2 {
                    statement_depth = None;
                    last_key_at_1.clear();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    spans
}

fn decision_text(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "allowed",
        DecisionKind::ExplicitDeny => "explicitDeny",
        DecisionKind::ImplicitDeny => "implicitDeny",
    }
}

impl Scenario {
    fn source(&self, at: StatementRef) -> Option<&Source> {
        match at.policy_type {
            PolicyType::Identity => self.identity.get(at.policy as usize),
            PolicyType::Boundary => self.boundary.as_ref(),
            PolicyType::Resource => self.resource_policy.as_ref(),
            _ => None,
        }
    }

    fn decide(&self, set: &PolicySet<'_>, action: &str, resource: &str) -> (Explanation, bool) {
        let account = self.resource_account(resource);
        let req = Request {
            principal: &self.principal,
            action,
            resource,
            resource_account: account.as_deref(),
            context: &self.context,
        };
        let cross = account
            .as_deref()
            .is_some_and(|a| a != self.principal.account);
        (explain(&req, set), cross)
    }

    /// The account owning a resource: `ResourceOwner`, else the caller's own. AWS: "If the
    /// ResourceOwner parameter is not specified, then the owner of the resources and the
    /// resource policy defaults to the account of the identity provided in CallerArn" — the
    /// account field of the resource ARN does not count.
    fn resource_account(&self, _resource: &str) -> Option<String> {
        self.owner.clone()
    }

    /// The identity side alone (no resource policy, in the principal's account): the
    /// "IAM Policy" part of a cross-account decision.
    fn identity_only(&self, identity: &[CompiledPolicy], action: &str, resource: &str) -> Decision {
        let set = PolicySet {
            identity,
            boundary: self.boundary.as_ref().map(|b| &b.policy),
            ..PolicySet::default()
        };
        let req = Request {
            principal: &self.principal,
            action,
            resource,
            resource_account: None,
            context: &self.context,
        };
        evaluate(&req, &set)
    }
}

/// The condition keys, as the policy spells them, of the statements that applied or came
/// closest that the request does not carry.
fn missing_keys(s: &Scenario, e: &Explanation) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let considered = e.matched.iter().map(|m| m.at).chain(
        e.near_misses
            .iter()
            .filter(|n| matches!(n.failed, Failure::Condition { .. }))
            .map(|n| n.at),
    );
    for at in considered {
        let Some(src) = s.source(at) else {
            continue;
        };
        let Some(st) = src.policy.policy().statements.get(at.statement as usize) else {
            continue;
        };
        let Some(block) = &st.condition else {
            continue;
        };
        for entry in &block.0 {
            for (key, _) in &entry.keys {
                let known = s.context.get(key).is_some();
                if !known && !out.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                    out.push(key.clone());
                }
            }
        }
    }
    out
}

fn one(s: &Scenario, identity: &[CompiledPolicy], action: &str, resource: &str) -> ResourceResult {
    let set = PolicySet {
        identity,
        boundary: s.boundary.as_ref().map(|b| &b.policy),
        session: &[],
        resource: s.resource_policy.as_ref().map(|r| &r.policy),
        resource_kind: ResourcePolicyKind::Standard,
        scps: &[],
        rcps: &[],
    };
    let (e, cross) = s.decide(&set, action, resource);
    let kind = e.decision.kind;
    // The statements that decided: the denies of an explicit deny, the allows of an allow.
    let wanted = match kind {
        DecisionKind::Allow => Some(Effect::Allow),
        DecisionKind::ExplicitDeny => Some(Effect::Deny),
        DecisionKind::ImplicitDeny => None,
    };
    let matched = e
        .matched
        .iter()
        .filter(|m| Some(m.effect) == wanted)
        .filter_map(|m| {
            let src = s.source(m.at)?;
            let span = statement_spans(src.policy.policy().source())
                .get(m.at.statement as usize)
                .copied();
            Some(Matched {
                id: src.id.clone(),
                kind: src.kind,
                span,
            })
        })
        .collect();
    let boundary_allowed = s.boundary.as_ref().map(|_| {
        let at = |effect| {
            e.matched
                .iter()
                .any(|m| m.at.policy_type == PolicyType::Boundary && m.effect == effect)
        };
        at(Effect::Allow) && !at(Effect::Deny)
    });
    let details = cross.then(|| {
        let id = s.identity_only(identity, action, resource);
        let resource_side = e
            .matched
            .iter()
            .filter(|m| m.at.policy_type == PolicyType::Resource)
            .fold(DecisionKind::ImplicitDeny, |acc, m| match (acc, m.effect) {
                (DecisionKind::ExplicitDeny, _) | (_, Effect::Deny) => DecisionKind::ExplicitDeny,
                _ => DecisionKind::Allow,
            });
        vec![
            ("IAM Policy", decision_text(id.kind)),
            ("Resource Policy", decision_text(resource_side)),
        ]
    });
    ResourceResult {
        resource: resource.to_owned(),
        decision: decision_text(kind),
        matched,
        missing: missing_keys(s, &e),
        boundary_allowed,
        details,
    }
}

/// One result per action and resource, actions first, as AWS orders them.
pub(crate) fn evaluate_all(
    s: &Scenario,
    actions: &[String],
    resources: &[String],
    explicit: bool,
) -> Vec<EvalResult> {
    let identity: Vec<CompiledPolicy> = s.identity.iter().map(|p| p.policy.clone()).collect();
    let mut out = Vec::with_capacity(actions.len() * resources.len());
    for action in actions {
        for resource in resources {
            out.push(EvalResult {
                action: action.clone(),
                result: one(s, &identity, action, resource),
                specific: explicit,
            });
        }
    }
    out
}

fn write_matched(x: &mut Xml, list: &[Matched]) {
    x.members("MatchedStatements", list, |x, m| {
        x.elem("SourcePolicyId", &m.id)
            .elem("SourcePolicyType", m.kind);
        if let Some(span) = m.span {
            for (name, (line, col)) in [("StartPosition", span.start), ("EndPosition", span.end)] {
                x.with(name, |x| {
                    x.elem("Line", &line.to_string())
                        .elem("Column", &col.to_string());
                });
            }
        }
    });
}

fn write_strings(x: &mut Xml, name: &str, list: &[String]) {
    x.members(name, list, |x, v| {
        let mut text = String::new();
        crate::protocol::xml::escape(v, &mut text);
        x.raw(&text);
    });
}

fn write_details(x: &mut Xml, r: &ResourceResult) {
    if let Some(allowed) = r.boundary_allowed {
        x.with("PermissionsBoundaryDecisionDetail", |x| {
            x.elem(
                "AllowedByPermissionsBoundary",
                if allowed { "true" } else { "false" },
            );
        });
    }
    if let Some(details) = &r.details {
        x.with("EvalDecisionDetails", |x| {
            for (k, v) in details {
                x.with("entry", |x| {
                    x.elem("key", k).elem("value", v);
                });
            }
        });
    }
}

/// `<EvaluationResults>` for one page.
pub(crate) fn write_results(x: &mut Xml, results: &[EvalResult]) {
    x.members("EvaluationResults", results, |x, r| {
        let res = &r.result;
        x.elem("EvalActionName", &r.action)
            .elem("EvalResourceName", &res.resource)
            .elem("EvalDecision", res.decision);
        write_matched(x, &res.matched);
        // With explicit resources the missing keys are reported per resource instead.
        let missing: &[String] = if r.specific { &[] } else { &res.missing };
        write_strings(x, "MissingContextValues", missing);
        x.with("OrganizationsDecisionDetail", |x| {
            x.elem("AllowedByOrganizations", "true");
        });
        write_details(x, res);
        if r.specific {
            x.members(
                "ResourceSpecificResults",
                std::slice::from_ref(res),
                |x, rr| {
                    x.elem("EvalResourceName", &rr.resource)
                        .elem("EvalResourceDecision", rr.decision);
                    write_matched(x, &rr.matched);
                    write_strings(x, "MissingContextValues", &rr.missing);
                    write_details(x, rr);
                },
            );
        }
    });
}
