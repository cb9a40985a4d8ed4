//! The evaluation logic: one request against every kind of policy at once (spec section 1).
//!
//! Order: an explicit Deny anywhere; then every RCP level of the resource's account and every
//! SCP level of the principal's account must allow; then the resource-based policy, whose grant
//! may stand alone depending on whom it names; then identity policies, the permissions boundary
//! and session policies. Cross-account requests need both sides. Trust policies and KMS key
//! policies must allow in every case.

use crate::ast::Effect;
use crate::compile::{CompiledPolicy, Miss};
use crate::context::Context;
use crate::prepared::{ActionBuf, Prepared};
use crate::principal::{Grant, Principal, PrincipalKind};

/// One request to decide. `action` is `service:Action`; `resource` the ARN (or `*`).
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub principal: &'a Principal,
    pub action: &'a str,
    pub resource: &'a str,
    /// The account that owns the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
    pub context: &'a Context,
}

/// What kind of resource-based policy guards the resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResourcePolicyKind {
    /// S3 bucket policies, DynamoDB resource policies...: optional, and may grant alone.
    #[default]
    Standard,
    /// A role's trust policy: it must allow in every case.
    RoleTrust,
    /// A KMS key policy: it must allow in every case (naming the account enables IAM policies).
    KmsKey,
}

/// Every policy that applies to one request.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicySet<'a> {
    /// The principal's identity policies (user, its groups, or the role), inline and managed.
    pub identity: &'a [CompiledPolicy],
    pub boundary: Option<&'a CompiledPolicy>,
    /// The session policies passed at AssumeRole/GetFederationToken; empty when none.
    pub session: &'a [CompiledPolicy],
    pub resource: Option<&'a CompiledPolicy>,
    pub resource_kind: ResourcePolicyKind,
    /// SCPs of the principal's account, one list per level from the root to the account.
    /// Empty when the account is not in an organization (or is its management account).
    pub scps: &'a [Vec<CompiledPolicy>],
    /// RCPs of the resource's account, likewise.
    pub rcps: &'a [Vec<CompiledPolicy>],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionKind {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// The policy type that decided: the one that granted, denied, or failed to allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyType {
    Identity,
    Resource,
    RoleTrust,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl PolicyType {
    /// The words AWS uses in its messages ("no identity-based policy allows...").
    pub fn describe(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::RoleTrust => "role trust policy",
            PolicyType::Boundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
        }
    }
}

/// Where a statement sits: its policy type, organization level (SCP/RCP, else 0), the index of
/// the policy in its list, and the statement's index in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatementRef {
    pub policy_type: PolicyType,
    pub level: u16,
    pub policy: u16,
    pub statement: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub kind: DecisionKind,
    pub policy_type: PolicyType,
    /// The statement that allowed or explicitly denied; `None` for implicit denies.
    pub statement: Option<StatementRef>,
    /// For a cross-account allow, where `statement` is the resource side's grant: the
    /// identity-based statement that allowed on the principal's side (`None` for its root,
    /// which needs none, and for every other decision). Lets a decision log show both sides
    /// of the allow without explaining the request again.
    pub principal_statement: Option<StatementRef>,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.kind == DecisionKind::Allow
    }

    /// AWS's reason suffix: `because no identity-based policy allows the s3:GetObject action`,
    /// `with an explicit deny in a service control policy`; empty for Allow.
    pub fn reason(&self, action: &str) -> String {
        match self.kind {
            DecisionKind::Allow => String::new(),
            DecisionKind::ImplicitDeny => format!(
                "because no {} allows the {action} action",
                self.policy_type.describe()
            ),
            DecisionKind::ExplicitDeny => match self.policy_type {
                PolicyType::Identity => "with an explicit deny in an identity-based policy".into(),
                PolicyType::RoleTrust => "with an explicit deny in the role trust policy".into(),
                // Sic: AWS's documented text says "sessions policy".
                PolicyType::Session => "with an explicit deny in a sessions policy".into(),
                other => format!("with an explicit deny in a {}", other.describe()),
            },
        }
    }

    /// The whole AccessDenied message: `User: <arn> is not authorized to perform: <action> on
    /// resource: <resource> <reason>` (" on resource: ..." omitted when `resource` is None).
    pub fn message(&self, principal_arn: &str, action: &str, resource: Option<&str>) -> String {
        let mut m = format!("User: {principal_arn} is not authorized to perform: {action}");
        if let Some(r) = resource {
            m.push_str(" on resource: ");
            m.push_str(r);
        }
        let reason = self.reason(action);
        if !reason.is_empty() {
            m.push(' ');
            m.push_str(&reason);
        }
        m
    }
}

/// Observes statements during evaluation; the fast path uses [`NoTrace`], `explain` records.
pub(crate) trait Trace {
    /// When false, evaluation may stop at the first explicit deny.
    const ALL: bool;
    fn hit(&mut self, _policy: &CompiledPolicy, _at: StatementRef) {}
    fn miss(&mut self, _policy: &CompiledPolicy, _at: StatementRef, _why: Miss) {}
}

pub(crate) struct NoTrace;

impl Trace for NoTrace {
    const ALL: bool = false;
}

/// What one policy says about the request.
#[derive(Default)]
struct Scan {
    deny: Option<StatementRef>,
    allow: Option<(StatementRef, Grant)>,
}

fn scan<T: Trace>(
    policy: &CompiledPolicy,
    req: &Request<'_>,
    prep: &Prepared<'_>,
    policy_type: PolicyType,
    level: usize,
    index: usize,
    trace: &mut T,
) -> Scan {
    let mut out = Scan::default();
    for (i, known) in policy.candidates(prep) {
        let Some(st) = policy.statement(i) else {
            continue;
        };
        if !known && !st.matches_action(prep) {
            continue;
        }
        let at = StatementRef {
            policy_type,
            level: level as u16,
            policy: index as u16,
            statement: i,
        };
        if !st.matches_resource(prep, req.context) {
            trace.miss(policy, at, Miss::Resource);
            continue;
        }
        let Some(grant) = st.grant(req.principal) else {
            trace.miss(policy, at, Miss::Principal);
            continue;
        };
        if let Some(c) = st.failed_condition(req.context) {
            trace.miss(policy, at, Miss::Condition(c));
            continue;
        }
        trace.hit(policy, at);
        match st.effect {
            Effect::Deny => {
                out.deny.get_or_insert(at);
                if !T::ALL {
                    return out;
                }
            }
            Effect::Allow => {
                if out.allow.is_none_or(|(_, g)| grant > g) {
                    out.allow = Some((at, grant));
                }
            }
        }
    }
    out
}

/// The combined verdict of a list of policies of one type.
#[derive(Default)]
struct Side {
    deny: Option<StatementRef>,
    allow: Option<(StatementRef, Grant)>,
}

impl Side {
    fn absorb(&mut self, s: Scan) {
        if self.deny.is_none() {
            self.deny = s.deny;
        }
        if let Some((at, g)) = s.allow {
            if self.allow.is_none_or(|(_, best)| g > best) {
                self.allow = Some((at, g));
            }
        }
    }
}

fn scan_all<T: Trace>(
    policies: &[CompiledPolicy],
    req: &Request<'_>,
    prep: &Prepared<'_>,
    policy_type: PolicyType,
    level: usize,
    trace: &mut T,
) -> Side {
    let mut side = Side::default();
    for (i, p) in policies.iter().enumerate() {
        side.absorb(scan(p, req, prep, policy_type, level, i, trace));
        if side.deny.is_some() && !T::ALL {
            break;
        }
    }
    side
}

/// Every level must allow; returns (first deny, all levels allow).
fn scan_levels<T: Trace>(
    levels: &[Vec<CompiledPolicy>],
    req: &Request<'_>,
    prep: &Prepared<'_>,
    policy_type: PolicyType,
    trace: &mut T,
) -> (Option<StatementRef>, bool) {
    let mut deny = None;
    let mut all_allow = true;
    for (lvl, policies) in levels.iter().enumerate() {
        let side = scan_all(policies, req, prep, policy_type, lvl, trace);
        deny = deny.or(side.deny);
        all_allow &= side.allow.is_some();
        if deny.is_some() && !T::ALL {
            break;
        }
    }
    (deny, all_allow)
}

/// Decides `req` against `set`. Allocates nothing unless a policy uses a variable in a pattern
/// longer than 16 tokens.
pub fn evaluate(req: &Request<'_>, set: &PolicySet<'_>) -> Decision {
    decide(req, set, &mut NoTrace)
}

fn verdict(
    kind: DecisionKind,
    policy_type: PolicyType,
    statement: Option<StatementRef>,
) -> Decision {
    Decision {
        kind,
        policy_type,
        statement,
        principal_statement: None,
    }
}

pub(crate) fn decide<T: Trace>(req: &Request<'_>, set: &PolicySet<'_>, trace: &mut T) -> Decision {
    use DecisionKind::{Allow, ExplicitDeny, ImplicitDeny};
    let mut buf = ActionBuf::new();
    let prepared = Prepared::new(req.action, req.resource, &mut buf);
    let prep = &prepared;
    let p = req.principal;
    let has_account = matches!(
        p.kind,
        PrincipalKind::Root
            | PrincipalKind::User
            | PrincipalKind::AssumedRole
            | PrincipalKind::FederatedUser
    );
    let is_session = matches!(
        p.kind,
        PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
    );
    let resource_type = match set.resource_kind {
        ResourcePolicyKind::RoleTrust => PolicyType::RoleTrust,
        _ => PolicyType::Resource,
    };

    // Every policy is read before deciding, so an explicit deny anywhere wins; the first found
    // in this order is the one reported (AWS names only one policy type).
    let mut first_deny: Option<StatementRef> = None;
    macro_rules! stop_on_deny {
        ($d:expr) => {
            if first_deny.is_none() {
                first_deny = $d;
            }
            if first_deny.is_some() && !T::ALL {
                let at = first_deny;
                return verdict(
                    ExplicitDeny,
                    at.map_or(PolicyType::Identity, |s| s.policy_type),
                    at,
                );
            }
        };
    }
    let (scp_deny, scp_allow) = if has_account {
        scan_levels(set.scps, req, prep, PolicyType::Scp, trace)
    } else {
        (None, true)
    };
    stop_on_deny!(scp_deny);
    let (rcp_deny, rcp_allow) = if p.kind != PrincipalKind::Service {
        scan_levels(set.rcps, req, prep, PolicyType::Rcp, trace)
    } else {
        (None, true)
    };
    stop_on_deny!(rcp_deny);
    let resource = match set.resource {
        Some(policy) => {
            let s = scan(policy, req, prep, resource_type, 0, 0, trace);
            Side {
                deny: s.deny,
                allow: s.allow,
            }
        }
        None => Side::default(),
    };
    stop_on_deny!(resource.deny);
    let (identity, boundary, session) = if has_account {
        let identity = scan_all(set.identity, req, prep, PolicyType::Identity, 0, trace);
        stop_on_deny!(identity.deny);
        let boundary = set
            .boundary
            .map(|b| scan(b, req, prep, PolicyType::Boundary, 0, 0, trace));
        stop_on_deny!(boundary.as_ref().and_then(|b| b.deny));
        let session = if is_session {
            scan_all(set.session, req, prep, PolicyType::Session, 0, trace)
        } else {
            Side::default()
        };
        stop_on_deny!(session.deny);
        (identity, boundary, session)
    } else {
        (Side::default(), None, Side::default())
    };
    if let Some(at) = first_deny {
        return verdict(ExplicitDeny, at.policy_type, Some(at));
    }

    if !rcp_allow {
        return verdict(ImplicitDeny, PolicyType::Rcp, None);
    }
    if !scp_allow {
        return verdict(ImplicitDeny, PolicyType::Scp, None);
    }
    let granted_by_resource = resource.allow;
    if !has_account {
        // Services, web identities and anonymous callers have no identity side.
        return match granted_by_resource {
            Some((at, _)) => verdict(Allow, resource_type, Some(at)),
            None => verdict(ImplicitDeny, resource_type, None),
        };
    }

    // The root user holds every permission of its own account: no identity policy needed.
    let identity_allow = if p.kind == PrincipalKind::Root {
        Some(None)
    } else {
        identity.allow.map(|(at, _)| Some(at))
    };
    let boundary_ok = boundary.as_ref().is_none_or(|b| b.allow.is_some());
    let session_ok = match p.kind {
        PrincipalKind::AssumedRole => set.session.is_empty() || session.allow.is_some(),
        // A federated user's permissions are only what its session policy passes.
        PrincipalKind::FederatedUser => session.allow.is_some(),
        _ => true,
    };
    let limits = || -> Result<(), Decision> {
        if !boundary_ok {
            return Err(verdict(ImplicitDeny, PolicyType::Boundary, None));
        }
        if !session_ok {
            return Err(verdict(ImplicitDeny, PolicyType::Session, None));
        }
        Ok(())
    };

    let principal_side = || -> Result<Option<StatementRef>, Decision> {
        let Some(at) = identity_allow else {
            return Err(verdict(ImplicitDeny, PolicyType::Identity, None));
        };
        limits()?;
        Ok(at)
    };
    let cross_account = req.resource_account.is_some_and(|a| a != p.account);
    if cross_account {
        // Both accounts must allow: the principal's side, then the resource policy.
        let principal_statement = match principal_side() {
            Ok(at) => at,
            Err(d) => return d,
        };
        return match granted_by_resource {
            Some((at, _)) => Decision {
                principal_statement,
                ..verdict(Allow, resource_type, Some(at))
            },
            None => verdict(ImplicitDeny, resource_type, None),
        };
    }

    let must_allow = set.resource_kind != ResourcePolicyKind::Standard;
    match granted_by_resource {
        None if must_allow => verdict(ImplicitDeny, resource_type, None),
        Some((at, Grant::Direct)) => verdict(Allow, resource_type, Some(at)),
        Some((at, Grant::Role)) => match limits() {
            Ok(()) => verdict(Allow, resource_type, Some(at)),
            Err(d) => d,
        },
        // An account grant delegates to the account: its identity policies must allow.
        _ => match principal_side() {
            Ok(Some(at)) => verdict(Allow, PolicyType::Identity, Some(at)),
            Ok(None) => match granted_by_resource {
                Some((at, _)) => verdict(Allow, resource_type, Some(at)),
                None => verdict(Allow, PolicyType::Identity, None),
            },
            Err(d) => d,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ast::Policy;

    fn compiled(text: &str) -> CompiledPolicy {
        CompiledPolicy::new(&Policy::parse(text).unwrap())
    }

    /// A cross-account allow names both sides' statements; other decisions only one.
    #[test]
    fn a_cross_account_allow_names_the_principal_side_statement() {
        let identity = [compiled(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"s3:PutObject","Resource":"*"},
                {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
        )];
        let trust = compiled(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"},
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#,
        );
        let principal = Principal::user(
            "111111111111",
            "arn:aws:iam::111111111111:user/anne",
            "anne",
            "AIDAANNE",
        );
        let context = Context::new();
        let set = PolicySet {
            identity: &identity,
            resource: Some(&trust),
            resource_kind: ResourcePolicyKind::RoleTrust,
            ..PolicySet::default()
        };
        let req = |account| Request {
            principal: &principal,
            action: "sts:AssumeRole",
            resource: "arn:aws:iam::222222222222:role/r",
            resource_account: Some(account),
            context: &context,
        };
        let at = |policy_type, statement| StatementRef {
            policy_type,
            level: 0,
            policy: 0,
            statement,
        };
        let cross = evaluate(&req("222222222222"), &set);
        assert!(cross.is_allowed());
        assert_eq!(cross.statement, Some(at(PolicyType::RoleTrust, 1)));
        assert_eq!(cross.principal_statement, Some(at(PolicyType::Identity, 1)));
        let same = evaluate(&req("111111111111"), &set);
        assert!(same.is_allowed());
        assert_eq!(same.principal_statement, None);
        // Without the caller's grant the cross-account request is denied, naming neither.
        let denied = evaluate(
            &req("222222222222"),
            &PolicySet {
                identity: &[],
                ..set
            },
        );
        assert!(!denied.is_allowed());
        assert_eq!(denied.principal_statement, None);
    }
}
