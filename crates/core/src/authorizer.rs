//! The one authorizer: every request, IAM's and STS's own included, is decided here, by the
//! policy engine, with the policies the catalog holds for the caller and the resource.

use crate::caller::{Caller, CallerKind};
use crate::catalog::Snapshot;
use crate::clock::iso;
use crate::doc::PolicyDoc;
use crate::model::{Account, Tag};
use crate::session::SessionKind;
use rolegate_policy::{
    evaluate, CompiledPolicy, Context, Decision, Explanation, PolicyKind, PolicySet, PolicyType,
    Request, ResourcePolicyKind, StatementRef, StaticKey,
};

/// Facts about the request that become global condition keys.
#[derive(Clone, Copy, Debug)]
pub struct RequestFacts<'a> {
    pub source_ip: &'a str,
    pub secure_transport: bool,
    pub region: &'a str,
    pub now: i64,
}

/// The resource-based policy guarding a resource, if any.
#[derive(Clone, Copy, Debug)]
pub enum ResourceGuard<'a> {
    None,
    /// A resource whose policy must allow (a trust policy) but which does not exist.
    Absent(ResourcePolicyKind),
    Policy {
        policy: &'a CompiledPolicy,
        kind: ResourcePolicyKind,
    },
}

/// A denial: the decision and AWS's AccessDenied message.
#[derive(Clone, Debug)]
pub struct Authorization {
    pub decision: Decision,
    pub message: String,
}

/// The policies that apply to a caller, gathered from the snapshot.
#[derive(Default)]
pub struct CallerPolicies {
    pub identity: Vec<CompiledPolicy>,
    pub boundary: Option<CompiledPolicy>,
    pub session: Vec<CompiledPolicy>,
}

pub struct Authorizer;

/// Session policies compiled once: a session's token carries the policy text, and every request
/// of that session would otherwise parse it again. Keyed by the text itself; bounded.
#[derive(Default)]
pub struct SessionPolicyCache {
    compiled: parking_lot::Mutex<std::collections::HashMap<String, CompiledPolicy>>,
}

const SESSION_CACHE_MAX: usize = 4096;

impl SessionPolicyCache {
    fn get(&self, text: &str) -> Option<CompiledPolicy> {
        if let Some(c) = self.compiled.lock().get(text) {
            return Some(c.clone());
        }
        // Validated when AssumeRole accepted it; a token we sealed never carries a bad one.
        let compiled = PolicyDoc::new(text, PolicyKind::Session)
            .ok()?
            .compiled()
            .clone();
        let mut map = self.compiled.lock();
        if map.len() >= SESSION_CACHE_MAX {
            map.clear();
        }
        map.insert(text.to_owned(), compiled.clone());
        Some(compiled)
    }
}

fn push_entity(
    snap: &Snapshot,
    out: &mut Vec<CompiledPolicy>,
    inline: &std::collections::BTreeMap<String, PolicyDoc>,
    attached: &[String],
) {
    out.extend(inline.values().map(|d| d.compiled().clone()));
    for arn in attached {
        if let Some(doc) = snap.managed_policy(arn).and_then(|p| p.default_doc()) {
            out.push(doc.compiled().clone());
        }
    }
}

fn boundary(snap: &Snapshot, arn: &Option<String>) -> Option<CompiledPolicy> {
    arn.as_ref()
        .and_then(|a| snap.managed_policy(a))
        .and_then(|p| p.default_doc())
        .map(|d| d.compiled().clone())
}

fn user_policies(snap: &Snapshot, account: &Account, name: &str, out: &mut CallerPolicies) {
    let Some(user) = account.user(name) else {
        return;
    };
    push_entity(snap, &mut out.identity, &user.inline, &user.attached);
    for g in &user.groups {
        if let Some(group) = account.group(g) {
            push_entity(snap, &mut out.identity, &group.inline, &group.attached);
        }
    }
    out.boundary = boundary(snap, &user.boundary);
}

impl Authorizer {
    /// Everything that applies to `caller` besides resource policies.
    pub fn caller_policies(
        snap: &Snapshot,
        caller: &Caller,
        sessions: &SessionPolicyCache,
    ) -> CallerPolicies {
        let mut out = CallerPolicies::default();
        let Some(account) = snap.account(&caller.account) else {
            return out;
        };
        match &caller.kind {
            CallerKind::Root | CallerKind::Anonymous => {}
            CallerKind::User { name } => user_policies(snap, account, name, &mut out),
            CallerKind::Session(s) => {
                match &s.kind {
                    SessionKind::Role {
                        role_name, role_id, ..
                    } => {
                        // A session outlives nothing: a deleted (or re-created) role grants nothing.
                        if let Some(role) = account.role(role_name).filter(|r| r.id == *role_id) {
                            push_entity(snap, &mut out.identity, &role.inline, &role.attached);
                            out.boundary = boundary(snap, &role.boundary);
                        }
                    }
                    SessionKind::UserToken { user: Some(name) } => {
                        user_policies(snap, account, name, &mut out)
                    }
                    SessionKind::UserToken { user: None } => {}
                    SessionKind::Federated { user, .. } => {
                        user_policies(snap, account, user, &mut out);
                        out.boundary = None;
                    }
                }
                if let Some(compiled) = s.policy.as_deref().and_then(|t| sessions.get(t)) {
                    out.session.push(compiled);
                }
                for arn in &s.policy_arns {
                    if let Some(doc) = snap.managed_policy(arn).and_then(|p| p.default_doc()) {
                        out.session.push(doc.compiled().clone());
                    }
                }
            }
        }
        out
    }

    /// The principal's tags: a user's tags, or a role's tags overlaid by session tags.
    pub fn principal_tags(snap: &Snapshot, caller: &Caller) -> Vec<(String, String)> {
        let Some(account) = snap.account(&caller.account) else {
            return Vec::new();
        };
        let from = |tags: &[Tag]| -> Vec<(String, String)> {
            tags.iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect()
        };
        match &caller.kind {
            CallerKind::User { name } => account
                .user(name)
                .map(|u| from(&u.tags))
                .unwrap_or_default(),
            CallerKind::Session(s) => {
                let mut tags = match &s.kind {
                    SessionKind::Role { role_name, .. } => account
                        .role(role_name)
                        .map(|r| from(&r.tags))
                        .unwrap_or_default(),
                    SessionKind::UserToken { user: Some(name) } => account
                        .user(name)
                        .map(|u| from(&u.tags))
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                for (k, v) in &s.tags {
                    tags.retain(|(tk, _)| !tk.eq_ignore_ascii_case(k));
                    tags.push((k.clone(), v.clone()));
                }
                tags
            }
            _ => Vec::new(),
        }
    }

    /// The global condition keys of a request by `caller`.
    pub fn context(snap: &Snapshot, caller: &Caller, facts: &RequestFacts<'_>) -> Context {
        // Key literals in lowercase, as the context stores them: set without a copy.
        let mut ctx = Context::for_principal(&caller.principal);
        ctx.insert_key(const { StaticKey::new("aws:currenttime") }, &iso(facts.now));
        ctx.insert_key(
            const { StaticKey::new("aws:epochtime") },
            &facts.now.to_string(),
        );
        ctx.insert_key(
            const { StaticKey::new("aws:securetransport") },
            if facts.secure_transport {
                "true"
            } else {
                "false"
            },
        );
        ctx.insert_key(const { StaticKey::new("aws:viaawsservice") }, "false");
        if !facts.source_ip.is_empty() {
            ctx.insert_key(const { StaticKey::new("aws:sourceip") }, facts.source_ip);
        }
        if !facts.region.is_empty() {
            ctx.insert_key(
                const { StaticKey::new("aws:requestedregion") },
                facts.region,
            );
        }
        for (k, v) in Authorizer::principal_tags(snap, caller) {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), &v);
        }
        if let Some(s) = caller.session() {
            ctx.insert_key(
                const { StaticKey::new("aws:tokenissuetime") },
                &iso(s.issued),
            );
            ctx.insert_key(
                const { StaticKey::new("aws:multifactorauthpresent") },
                if s.mfa { "true" } else { "false" },
            );
            if let Some(si) = &s.source_identity {
                ctx.insert_key(const { StaticKey::new("aws:sourceidentity") }, si);
            }
            if !s.transitive_tag_keys.is_empty() {
                ctx.insert_multi("sts:TransitiveTagKeys", s.transitive_tag_keys.clone());
            }
            // An instance profile session: the keys AWS adds to every request it signs.
            if let Some(i) = &s.instance {
                ctx.insert_key(
                    const { StaticKey::new("ec2:sourceinstancearn") },
                    &i.instance_arn,
                );
                ctx.insert_key(
                    const { StaticKey::new("ec2:roledelivery") },
                    &i.role_delivery,
                );
            }
        }
        ctx
    }

    /// Decides one action. `Err` carries AWS's AccessDenied message.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        caller: &Caller,
        policies: &CallerPolicies,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        guard: ResourceGuard<'_>,
        ctx: &Context,
    ) -> Result<Decision, Authorization> {
        let set = policy_set(policies, guard);
        let req = Request {
            principal: &caller.principal,
            action,
            resource,
            resource_account,
            context: ctx,
        };
        let decision = evaluate(&req, &set);
        if decision.is_allowed() {
            Ok(decision)
        } else {
            Err(Authorization {
                decision,
                message: decision.message(caller.arn(), action, Some(resource)),
            })
        }
    }

    /// The same decision as [`Authorizer::check`], with the statements that matched and those
    /// that came closest: for the decision log, off the allow path.
    #[allow(clippy::too_many_arguments)]
    pub fn explain(
        caller: &Caller,
        policies: &CallerPolicies,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        guard: ResourceGuard<'_>,
        ctx: &Context,
    ) -> Explanation {
        let req = Request {
            principal: &caller.principal,
            action,
            resource,
            resource_account,
            context: ctx,
        };
        rolegate_policy::explain(&req, &policy_set(policies, guard))
    }

    /// The name of the policy holding a statement the engine pointed at.
    pub fn policy_name<'p>(
        policies: &'p CallerPolicies,
        guard: ResourceGuard<'p>,
        at: StatementRef,
    ) -> Option<&'p str> {
        Authorizer::policy_of(policies, guard, at)?.name()
    }

    /// The policy holding a statement the engine pointed at.
    pub fn policy_of<'p>(
        policies: &'p CallerPolicies,
        guard: ResourceGuard<'p>,
        at: StatementRef,
    ) -> Option<&'p CompiledPolicy> {
        let i = at.policy as usize;
        match at.policy_type {
            PolicyType::Identity => policies.identity.get(i),
            PolicyType::Boundary => policies.boundary.as_ref(),
            PolicyType::Session => policies.session.get(i),
            PolicyType::Resource | PolicyType::RoleTrust => match guard {
                ResourceGuard::Policy { policy, .. } => Some(policy),
                _ => None,
            },
            PolicyType::Scp | PolicyType::Rcp => None,
        }
    }
}

fn policy_set<'p>(policies: &'p CallerPolicies, guard: ResourceGuard<'p>) -> PolicySet<'p> {
    let (resource, resource_kind) = match guard {
        ResourceGuard::None => (None, ResourcePolicyKind::Standard),
        ResourceGuard::Absent(kind) => (None, kind),
        ResourceGuard::Policy { policy, kind } => (Some(policy), kind),
    };
    PolicySet {
        identity: &policies.identity,
        boundary: policies.boundary.as_ref(),
        session: &policies.session,
        resource,
        resource_kind,
        scps: &[],
        rcps: &[],
    }
}
