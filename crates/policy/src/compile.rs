//! Compiled policies: every wildcard, value and variable parsed once, statements indexed by the
//! service prefix of their actions, so a decision touches only the statements that can apply.

use crate::arn::ArnPattern;
use crate::ast::{ActionSpec, Effect, Policy, ResourceSpec, Statement};
use crate::condition::{compile_block, Condition};
use crate::context::{key_hash, Context};
use crate::pattern::Pattern;
use crate::prepared::Prepared;
use crate::principal::Principal;
use crate::principal::{best_grant, not_principal_applies, Grant, PrincipalEntry};
use std::collections::HashMap;

/// The context of matches that need none (action patterns never hold variables).
static EMPTY: Context = Context::empty();
use std::sync::Arc;

/// A policy ready for evaluation. Cloning is cheap (shared).
#[derive(Clone, Debug)]
pub struct CompiledPolicy(Arc<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    name: Option<String>,
    policy: Policy,
    statements: Vec<CStatement>,
    /// Statements whose actions all name a service prefix, by lowercased service.
    by_service: Vec<ServiceIndex>,
    /// Statements that may apply to any service: `*` actions and NotAction.
    any_service: Vec<u32>,
}

/// The statements of one service: those naming an exact action (already known to match a
/// request for that action) and those with a wildcard pattern (still to be matched).
#[derive(Clone, Debug, Default)]
struct ServiceIndex {
    hash: u64,
    service: Box<str>,
    /// (hash of the action name, name, statements), sorted by hash.
    exact: Vec<(u64, Box<str>, Vec<u32>)>,
    patterned: Vec<u32>,
}

fn push_once(list: &mut Vec<u32>, i: u32) {
    if list.last() != Some(&i) {
        list.push(i);
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CStatement {
    pub(crate) effect: Effect,
    pub(crate) principal: PrincipalMatch,
    actions: ActionMatch,
    resources: ResourceMatch,
    pub(crate) conditions: Vec<Condition>,
}

#[derive(Clone, Debug)]
pub(crate) enum PrincipalMatch {
    /// Identity, boundary, session and SCP statements: the principal is implied.
    Implied,
    Principal(Vec<PrincipalEntry>),
    NotPrincipal(Vec<PrincipalEntry>),
}

#[derive(Clone, Debug)]
enum ActionMatch {
    Action(Vec<ActionPattern>),
    NotAction(Vec<ActionPattern>),
}

/// `service:name`, the service lowercased and exact (IAM refuses wildcards in it), the name a
/// case-insensitive glob; `service: None` is a pattern over the whole action (`*`).
#[derive(Clone, Debug)]
struct ActionPattern {
    service: Option<Box<str>>,
    name: Pattern,
}

#[derive(Clone, Debug)]
enum ResourceMatch {
    /// No Resource element (trust policies): the statement is about the one resource it guards.
    Implied,
    Resource(Vec<ArnPattern>),
    NotResource(Vec<ArnPattern>),
}

/// Why a statement whose action matched did not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Miss {
    Resource,
    Principal,
    /// The index of the first condition that was false.
    Condition(usize),
}

impl CompiledPolicy {
    pub fn new(policy: &Policy) -> CompiledPolicy {
        let variables = policy.variables_enabled();
        let statements: Vec<CStatement> = policy
            .statements
            .iter()
            .map(|s| compile_statement(s, variables))
            .collect();
        let mut by_service: HashMap<Box<str>, ServiceIndex> = HashMap::new();
        let mut any_service = Vec::new();
        for (i, st) in statements.iter().enumerate() {
            let i = i as u32;
            match &st.actions {
                ActionMatch::Action(pats) if pats.iter().all(|p| p.service.is_some()) => {
                    for p in pats {
                        let Some(svc) = &p.service else { continue };
                        let idx = by_service
                            .entry(svc.clone())
                            .or_insert_with(|| ServiceIndex {
                                hash: key_hash(svc),
                                service: svc.clone(),
                                ..ServiceIndex::default()
                            });
                        match p.name.literal() {
                            Some(name) => match idx.exact.iter_mut().find(|e| *e.1 == *name) {
                                Some(e) => push_once(&mut e.2, i),
                                None => idx.exact.push((key_hash(name), name.into(), vec![i])),
                            },
                            None => push_once(&mut idx.patterned, i),
                        }
                    }
                }
                _ => any_service.push(i),
            }
        }
        let mut by_service: Vec<ServiceIndex> = by_service.into_values().collect();
        by_service.sort_by(|a, b| a.service.cmp(&b.service));
        for idx in &mut by_service {
            idx.exact.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        }
        CompiledPolicy(Arc::new(Inner {
            name: None,
            policy: policy.clone(),
            statements,
            by_service,
            any_service,
        }))
    }

    /// Names the policy (its ARN, or `inline:user/alice/policy-name`) for explanations.
    pub fn with_name(self, name: impl Into<String>) -> CompiledPolicy {
        let mut inner = Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone());
        inner.name = Some(name.into());
        CompiledPolicy(Arc::new(inner))
    }

    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    pub fn policy(&self) -> &Policy {
        &self.0.policy
    }

    pub(crate) fn statement(&self, i: u32) -> Option<&CStatement> {
        self.0.statements.get(i as usize)
    }

    /// The statements that can apply to the request's action, in document order, each with
    /// whether its action is already known to match. Allocates nothing.
    pub(crate) fn candidates<'a>(&'a self, req: &Prepared<'_>) -> Candidates<'a> {
        // Policies name few services: a linear scan over hashes beats any search.
        let (exact, patterned): (&[u32], &[u32]) = match self
            .0
            .by_service
            .iter()
            .find(|idx| idx.hash == req.service_hash && *idx.service == *req.service)
        {
            Some(idx) => {
                // A service rarely has more than a handful of exact names in one policy.
                let exact = if idx.exact.len() <= 16 {
                    idx.exact
                        .iter()
                        .find(|e| e.0 == req.name_hash && *e.1 == *req.name)
                        .map_or(&[][..], |e| e.2.as_slice())
                } else {
                    match idx.exact.binary_search_by_key(&req.name_hash, |e| e.0) {
                        Ok(mut j) => {
                            // Equal hashes sit together: step back to the first, then match names.
                            while j > 0 && idx.exact[j - 1].0 == req.name_hash {
                                j -= 1;
                            }
                            idx.exact[j..]
                                .iter()
                                .take_while(|e| e.0 == req.name_hash)
                                .find(|e| *e.1 == *req.name)
                                .map_or(&[][..], |e| e.2.as_slice())
                        }
                        Err(_) => &[],
                    }
                };
                (exact, &idx.patterned)
            }
            None => (&[], &[]),
        };
        Candidates {
            exact,
            patterned,
            any: &self.0.any_service,
        }
    }
}

/// Merges three ascending index lists, each index once; an index from the exact list is
/// known to match the action.
pub(crate) struct Candidates<'a> {
    exact: &'a [u32],
    patterned: &'a [u32],
    any: &'a [u32],
}

impl Iterator for Candidates<'_> {
    type Item = (u32, bool);
    fn next(&mut self) -> Option<(u32, bool)> {
        let head = |l: &[u32]| l.first().copied().unwrap_or(u32::MAX);
        let next = head(self.exact)
            .min(head(self.patterned))
            .min(head(self.any));
        if next == u32::MAX {
            return None;
        }
        let known = head(self.exact) == next;
        for list in [&mut self.exact, &mut self.patterned, &mut self.any] {
            if list.first() == Some(&next) {
                *list = &list[1..];
            }
        }
        Some((next, known))
    }
}

/// Action names compare case-insensitively: patterns are lowercased here, requests once per
/// decision (`Prepared`), and both then compare as plain text.
fn compile_action(text: &str) -> ActionPattern {
    let lower = text.to_lowercase();
    match lower.split_once(':') {
        Some((svc, name)) if !svc.contains(['*', '?']) => ActionPattern {
            service: Some(svc.into()),
            name: Pattern::new(name, true, false, false),
        },
        _ => ActionPattern {
            service: None,
            name: Pattern::new(&lower, true, false, false),
        },
    }
}

fn compile_statement(s: &Statement, variables: bool) -> CStatement {
    let actions = match &s.action {
        Some(ActionSpec::Action(v)) => {
            ActionMatch::Action(v.iter().map(|a| compile_action(a)).collect())
        }
        Some(ActionSpec::NotAction(v)) => {
            ActionMatch::NotAction(v.iter().map(|a| compile_action(a)).collect())
        }
        // Validation refuses a statement without actions; compiled anyway, it matches nothing.
        None => ActionMatch::Action(Vec::new()),
    };
    let resources = match &s.resource {
        Some(ResourceSpec::Resource(v)) => {
            ResourceMatch::Resource(v.iter().map(|r| ArnPattern::new(r, variables)).collect())
        }
        Some(ResourceSpec::NotResource(v)) => {
            ResourceMatch::NotResource(v.iter().map(|r| ArnPattern::new(r, variables)).collect())
        }
        None => ResourceMatch::Implied,
    };
    let principal = match (&s.principal, &s.not_principal) {
        (Some(p), _) => PrincipalMatch::Principal(PrincipalEntry::compile_spec(p)),
        (None, Some(p)) => PrincipalMatch::NotPrincipal(PrincipalEntry::compile_spec(p)),
        (None, None) => PrincipalMatch::Implied,
    };
    CStatement {
        effect: s.effect,
        principal,
        actions,
        resources,
        conditions: s
            .condition
            .as_ref()
            .map(|c| compile_block(c, variables))
            .unwrap_or_default(),
    }
}

impl CStatement {
    pub(crate) fn matches_action(&self, req: &Prepared<'_>) -> bool {
        let hit = |pats: &[ActionPattern]| pats.iter().any(|p| p.matches(req));
        match &self.actions {
            ActionMatch::Action(p) => hit(p),
            ActionMatch::NotAction(p) => !hit(p),
        }
    }

    pub(crate) fn matches_resource(&self, req: &Prepared<'_>, ctx: &Context) -> bool {
        let hit = |pats: &[ArnPattern]| {
            pats.iter().any(|p| {
                p.matches_prepared(req.resource, req.resource_parts.as_ref(), ctx) == Some(true)
            })
        };
        match &self.resources {
            ResourceMatch::Implied => true,
            ResourceMatch::Resource(p) => hit(p),
            ResourceMatch::NotResource(p) => !hit(p),
        }
    }

    /// How the statement names the caller: `None` when it does not apply to them.
    pub(crate) fn grant(&self, p: &Principal) -> Option<Grant> {
        match &self.principal {
            PrincipalMatch::Implied => Some(Grant::Direct),
            PrincipalMatch::Principal(entries) => best_grant(entries, p),
            // A NotPrincipal statement names everyone it does not exclude, directly.
            PrincipalMatch::NotPrincipal(entries) => {
                not_principal_applies(entries, p).then_some(Grant::Direct)
            }
        }
    }

    /// The first condition that is false, if any.
    pub(crate) fn failed_condition(&self, ctx: &Context) -> Option<usize> {
        self.conditions.iter().position(|c| !c.evaluate(ctx))
    }
}

impl ActionPattern {
    fn matches(&self, req: &Prepared<'_>) -> bool {
        // Action patterns never hold variables, so no context is consulted.
        let ctx = &EMPTY;
        match (&self.service, req.split) {
            (None, _) => self.name.matches(req.action, ctx) == Some(true),
            (Some(svc), Some((s, name))) => {
                **svc == *s && self.name.matches(name, ctx) == Some(true)
            }
            (Some(_), None) => false,
        }
    }
}
