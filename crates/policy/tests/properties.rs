//! Property tests of the evaluation logic over random (valid) policy sets and requests.
//!
//! Policies are drawn from a small vocabulary (actions and resources with wildcards and policy
//! variables, condition operators of every family, Allow/Deny, Action/NotAction,
//! Resource/NotResource, principals for resource-based policies) and written as JSON text, so
//! they go through `Policy::parse_for` like any submitted document. The properties:
//!
//! 1. adding a Deny statement anywhere never turns a deny into an allow;
//! 2. adding an Allow statement anywhere never turns an allow into a deny;
//! 3. shuffling statements, policies and organization levels never changes the decision kind;
//! 4. `Policy::parse(&p.to_json()) == p`;
//! 5. `explain(..).decision == evaluate(..)`.
//!
//! `PROPTEST_CASES` overrides the default of 256 cases per property.

use proptest::prelude::*;
use proptest::sample::Index;
use rolegate_policy::{
    evaluate, explain, CompiledPolicy, Context, Decision, DecisionKind, Policy, PolicyKind,
    PolicySet, Principal, Request, ResourcePolicyKind,
};
use serde_json::{json, Map, Value};

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";

// ------------------------------------------------------------------------------------------
// Vocabulary

const REQUEST_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "iam:CreateUser",
    "iam:GetUser",
    "ec2:RunInstances",
    "sts:AssumeRole",
];

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:*Object",
    "S3:getobject",
    "s3:ListBucket",
    "iam:*User",
    "iam:GetUser",
    "ec2:Run?nstances",
    "ec2:*",
    "sts:AssumeRole",
];

const REQUEST_RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket-a/home/alice/f.txt",
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-b/x",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/ops",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-123",
    "*",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-?",
    "arn:aws:s3:::*",
    "arn:aws:s3:::bucket-a/home/${aws:username}/*",
    "arn:aws:iam::111122223333:user/${aws:username}",
    "arn:aws:iam::*:role/ops",
    "arn:aws:ec2:*:*:instance/*",
];

/// (operator, key, values) from each operator family, negated and IfExists/set forms included.
const CONDITIONS: &[(&str, &str, &[&str])] = &[
    ("StringEquals", "aws:PrincipalTag/team", &["blue"]),
    ("StringEquals", "aws:PrincipalTag/team", &["red", "green"]),
    ("StringNotEquals", "aws:PrincipalTag/team", &["red"]),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", &["BLUE"]),
    ("StringLike", "s3:prefix", &["home/*"]),
    ("StringNotLikeIfExists", "s3:prefix", &["tmp/*"]),
    (
        "StringEquals",
        "aws:username",
        &["${aws:PrincipalTag/team}"],
    ),
    ("NumericLessThan", "s3:max-keys", &["100"]),
    ("NumericGreaterThanEquals", "s3:max-keys", &["50"]),
    ("NumericNotEquals", "aws:MultiFactorAuthAge", &["0"]),
    (
        "DateGreaterThan",
        "aws:CurrentTime",
        &["2020-01-01T00:00:00Z"],
    ),
    ("DateLessThan", "aws:CurrentTime", &["2021-06-01T00:00:00Z"]),
    ("Bool", "aws:SecureTransport", &["true"]),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"]),
    ("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
    (
        "NotIpAddress",
        "aws:SourceIp",
        &["10.0.0.0/8", "2001:db8::/32"],
    ),
    ("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*:role/ops*"]),
    (
        "ArnNotEquals",
        "aws:PrincipalArn",
        &["arn:aws:iam::111122223333:user/alice"],
    ),
    ("Null", "aws:TokenIssueTime", &["true"]),
    ("Null", "aws:PrincipalTag/team", &["false"]),
    ("ForAnyValue:StringEquals", "aws:TagKeys", &["team", "cost"]),
    ("ForAllValues:StringLike", "aws:TagKeys", &["t*", "c*"]),
    ("BinaryEquals", "x:blob", &["QmluYXJ5"]),
];

const RESOURCE_PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"*"}"#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/ops"}"#,
    r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/ops/s1"}"#,
    r#"{"AWS":["444455556666","arn:aws:sts::111122223333:federated-user/carol"]}"#,
    r#"{"Service":"ec2.amazonaws.com"}"#,
];

// ------------------------------------------------------------------------------------------
// Policy specs

#[derive(Clone, Debug)]
struct StmtSpec {
    allow: bool,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Vec<&'static str>,
    /// Index into RESOURCE_PRINCIPALS; used only in resource-based policies.
    principal: usize,
    /// NotPrincipal instead of Principal (only ever with Deny).
    not_principal: bool,
    conditions: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Identity-like: identity, boundary, session policies, SCPs.
    Identity,
    /// Principal required: resource-based policies and RCPs.
    Resource,
}

fn stmt_json(s: &StmtSpec, place: Place) -> Value {
    let mut m = Map::new();
    m.insert(
        "Effect".into(),
        json!(if s.allow { "Allow" } else { "Deny" }),
    );
    let one_or_many = |v: &[&str]| {
        if v.len() == 1 {
            json!(v[0])
        } else {
            json!(v)
        }
    };
    m.insert(
        if s.not_action { "NotAction" } else { "Action" }.into(),
        one_or_many(&s.actions),
    );
    m.insert(
        if s.not_resource {
            "NotResource"
        } else {
            "Resource"
        }
        .into(),
        one_or_many(&s.resources),
    );
    if place == Place::Resource {
        let p: Value = serde_json::from_str(RESOURCE_PRINCIPALS[s.principal])
            .expect("principal vocabulary is JSON");
        let key = if s.not_principal && !s.allow {
            "NotPrincipal"
        } else {
            "Principal"
        };
        m.insert(key.into(), p);
    }
    if !s.conditions.is_empty() {
        let mut block = Map::new();
        for &i in &s.conditions {
            let (op, key, values) = CONDITIONS[i];
            let entry = block.entry(op).or_insert_with(|| json!({}));
            entry[key] = one_or_many(values);
        }
        m.insert("Condition".into(), Value::Object(block));
    }
    Value::Object(m)
}

fn policy_text(stmts: &[StmtSpec], place: Place) -> String {
    let statements: Vec<Value> = stmts.iter().map(|s| stmt_json(s, place)).collect();
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn parse_policy(stmts: &[StmtSpec], place: Place) -> Policy {
    let text = policy_text(stmts, place);
    let kind = match place {
        Place::Identity => PolicyKind::InlineIdentity,
        Place::Resource => PolicyKind::Resource,
    };
    match Policy::parse_for(&text, kind) {
        Ok(p) => p,
        Err(e) => panic!("generated policy rejected ({}): {text}", e.message()),
    }
}

fn stmt_strategy() -> impl Strategy<Value = StmtSpec> {
    (
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        0..RESOURCE_PRINCIPALS.len(),
        prop::bool::weighted(0.2),
        // Mostly zero or one condition: every condition halves the chance that a statement
        // applies, and properties about Allow need statements that do.
        prop_oneof![
            3 => Just(Vec::new()),
            2 => prop::collection::vec(0..CONDITIONS.len(), 1..2),
            1 => prop::collection::vec(0..CONDITIONS.len(), 2..4),
        ],
    )
        .prop_map(
            |(
                allow,
                not_action,
                actions,
                not_resource,
                resources,
                principal,
                not_principal,
                conditions,
            )| {
                StmtSpec {
                    allow,
                    not_action,
                    actions,
                    not_resource,
                    resources,
                    principal,
                    not_principal,
                    conditions,
                }
            },
        )
}

/// `{"Effect":"Allow","Action":"*","Resource":"*"}` (with `"Principal":"*"` where one is needed):
/// FullAWSAccess, as attached to every organization level by default.
fn allow_all() -> StmtSpec {
    StmtSpec {
        allow: true,
        not_action: false,
        actions: vec!["*"],
        not_resource: false,
        resources: vec!["*"],
        principal: 0,
        not_principal: false,
        conditions: Vec::new(),
    }
}

/// A policy of 1 to 3 random statements, which also holds an allow-all statement (at a random
/// position) with probability `full`, so that allows are common enough to be taken away.
fn policy_strategy_with(full: f64) -> impl Strategy<Value = Vec<StmtSpec>> {
    (
        prop::collection::vec(stmt_strategy(), 1..4),
        prop::bool::weighted(full),
        any::<usize>(),
    )
        .prop_map(|(mut stmts, full, pos)| {
            if full {
                let at = pos % (stmts.len() + 1);
                stmts.insert(at, allow_all());
            }
            stmts
        })
}

fn policy_strategy() -> impl Strategy<Value = Vec<StmtSpec>> {
    prop::collection::vec(stmt_strategy(), 1..4)
}

#[derive(Clone, Debug)]
struct SetSpec {
    identity: Vec<Vec<StmtSpec>>,
    boundary: Option<Vec<StmtSpec>>,
    session: Vec<Vec<StmtSpec>>,
    resource: Option<Vec<StmtSpec>>,
    resource_kind: ResourcePolicyKind,
    scps: Vec<Vec<Vec<StmtSpec>>>,
    rcps: Vec<Vec<Vec<StmtSpec>>>,
}

fn set_strategy() -> impl Strategy<Value = SetSpec> {
    (
        prop::collection::vec(policy_strategy_with(0.4), 0..3),
        prop::option::weighted(0.3, policy_strategy_with(0.6)),
        prop::collection::vec(policy_strategy_with(0.6), 0..2),
        prop::option::weighted(0.4, policy_strategy_with(0.3)),
        prop::sample::select(&[
            ResourcePolicyKind::Standard,
            ResourcePolicyKind::Standard,
            ResourcePolicyKind::Standard,
            ResourcePolicyKind::RoleTrust,
            ResourcePolicyKind::KmsKey,
        ][..]),
        prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec(prop::collection::vec(policy_strategy_with(0.8), 1..3), 1..3),
        ],
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec(prop::collection::vec(policy_strategy_with(0.85), 1..3), 1..3),
        ],
    )
        .prop_map(
            |(identity, boundary, session, resource, resource_kind, scps, rcps)| SetSpec {
                identity,
                boundary,
                session,
                resource,
                resource_kind,
                scps,
                rcps,
            },
        )
}

/// Every policy slot of a set, for "add a statement to any policy".
#[derive(Clone, Copy, Debug)]
enum Slot {
    Identity(usize),
    NewIdentity,
    Boundary,
    Session(usize),
    Resource,
    Scp(usize, usize),
    Rcp(usize, usize),
}

impl SetSpec {
    fn slots(&self) -> Vec<Slot> {
        let mut out = vec![Slot::NewIdentity];
        out.extend((0..self.identity.len()).map(Slot::Identity));
        if self.boundary.is_some() {
            out.push(Slot::Boundary);
        }
        out.extend((0..self.session.len()).map(Slot::Session));
        if self.resource.is_some() {
            out.push(Slot::Resource);
        }
        for (l, level) in self.scps.iter().enumerate() {
            out.extend((0..level.len()).map(|i| Slot::Scp(l, i)));
        }
        for (l, level) in self.rcps.iter().enumerate() {
            out.extend((0..level.len()).map(|i| Slot::Rcp(l, i)));
        }
        out
    }

    /// A copy with `stmt` appended to the policy in `slot`, at statement position `pos`.
    fn with_statement(&self, slot: Slot, stmt: StmtSpec, pos: usize) -> SetSpec {
        let mut s = self.clone();
        let insert = |p: &mut Vec<StmtSpec>| {
            let at = pos % (p.len() + 1);
            p.insert(at, stmt.clone());
        };
        match slot {
            Slot::Identity(i) => insert(&mut s.identity[i]),
            Slot::NewIdentity => s.identity.push(vec![stmt.clone()]),
            Slot::Boundary => insert(s.boundary.as_mut().expect("slot exists")),
            Slot::Session(i) => insert(&mut s.session[i]),
            Slot::Resource => insert(s.resource.as_mut().expect("slot exists")),
            Slot::Scp(l, i) => insert(&mut s.scps[l][i]),
            Slot::Rcp(l, i) => insert(&mut s.rcps[l][i]),
        }
        s
    }

    /// A copy with every statement list, policy list and organization level shuffled.
    fn shuffled(&self, seed: u64) -> SetSpec {
        let mut rng = XorShift(seed | 1);
        let mut s = self.clone();
        let shuffle_policy = |p: &mut Vec<StmtSpec>, rng: &mut XorShift| rng.shuffle(p);
        for p in &mut s.identity {
            shuffle_policy(p, &mut rng);
        }
        rng.shuffle(&mut s.identity);
        if let Some(p) = &mut s.boundary {
            shuffle_policy(p, &mut rng);
        }
        for p in &mut s.session {
            shuffle_policy(p, &mut rng);
        }
        rng.shuffle(&mut s.session);
        if let Some(p) = &mut s.resource {
            shuffle_policy(p, &mut rng);
        }
        for levels in [&mut s.scps, &mut s.rcps] {
            for level in levels.iter_mut() {
                for p in level.iter_mut() {
                    shuffle_policy(p, &mut rng);
                }
                rng.shuffle(level);
            }
            rng.shuffle(levels);
        }
        s
    }

    fn compile(&self) -> CompiledSet {
        let id = |p: &Vec<StmtSpec>| CompiledPolicy::new(&parse_policy(p, Place::Identity));
        let res = |p: &Vec<StmtSpec>| CompiledPolicy::new(&parse_policy(p, Place::Resource));
        CompiledSet {
            identity: self.identity.iter().map(id).collect(),
            boundary: self.boundary.as_ref().map(id),
            session: self.session.iter().map(id).collect(),
            resource: self.resource.as_ref().map(res),
            resource_kind: self.resource_kind,
            scps: self
                .scps
                .iter()
                .map(|l| l.iter().map(id).collect())
                .collect(),
            rcps: self
                .rcps
                .iter()
                .map(|l| l.iter().map(res).collect())
                .collect(),
        }
    }
}

struct CompiledSet {
    identity: Vec<CompiledPolicy>,
    boundary: Option<CompiledPolicy>,
    session: Vec<CompiledPolicy>,
    resource: Option<CompiledPolicy>,
    resource_kind: ResourcePolicyKind,
    scps: Vec<Vec<CompiledPolicy>>,
    rcps: Vec<Vec<CompiledPolicy>>,
}

impl CompiledSet {
    fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            boundary: self.boundary.as_ref(),
            session: &self.session,
            resource: self.resource.as_ref(),
            resource_kind: self.resource_kind,
            scps: &self.scps,
            rcps: &self.rcps,
        }
    }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Requests

#[derive(Clone, Debug)]
struct ReqSpec {
    principal: usize,
    action: &'static str,
    resource: &'static str,
    resource_account: Option<&'static str>,
    /// Which optional context keys are present.
    keys: Vec<bool>,
    team: &'static str,
    max_keys: &'static str,
    time: &'static str,
    ip: &'static str,
    tag_keys: Vec<&'static str>,
}

fn principal(i: usize) -> Principal {
    let from = |arn: &str| Principal::from_arn(arn).expect("fixed principal ARN parses");
    match i {
        0 => from("arn:aws:iam::111122223333:user/alice"),
        1 => from("arn:aws:sts::111122223333:assumed-role/ops/s1"),
        2 => from("arn:aws:sts::111122223333:federated-user/carol"),
        3 => Principal::root(ACCOUNT),
        4 => from("arn:aws:iam::444455556666:user/mallory"),
        5 => Principal::anonymous(),
        _ => Principal::service("ec2.amazonaws.com"),
    }
}

fn req_strategy() -> impl Strategy<Value = ReqSpec> {
    (
        0usize..7,
        prop::sample::select(REQUEST_ACTIONS),
        prop::sample::select(REQUEST_RESOURCES),
        prop::sample::select(&[None, Some(ACCOUNT), Some(OTHER)][..]),
        prop::collection::vec(any::<bool>(), 8),
        prop::sample::select(&["blue", "red", "BLUE", "alice"][..]),
        prop::sample::select(&["10", "50", "100", "1e3", "abc"][..]),
        prop::sample::select(
            &[
                "2019-12-31T23:59:59Z",
                "2020-06-01T00:00:00Z",
                "2024-01-01T00:00:00Z",
                "1600000000",
            ][..],
        ),
        prop::sample::select(&["203.0.113.7", "10.1.2.3", "2001:db8::1", "198.51.100.1"][..]),
        prop::collection::vec(
            prop::sample::select(&["team", "cost", "owner", "Team"][..]),
            0..3,
        ),
    )
        .prop_map(
            |(
                principal,
                action,
                resource,
                resource_account,
                keys,
                team,
                max_keys,
                time,
                ip,
                tag_keys,
            )| ReqSpec {
                principal,
                action,
                resource,
                resource_account,
                keys,
                team,
                max_keys,
                time,
                ip,
                tag_keys,
            },
        )
}

impl ReqSpec {
    fn context(&self, p: &Principal) -> Context {
        let mut ctx = Context::for_principal(p);
        let on = |i: usize| self.keys.get(i).copied().unwrap_or(false);
        if on(0) {
            ctx.insert("aws:PrincipalTag/team", self.team);
        }
        if on(1) {
            ctx.insert("s3:prefix", if on(7) { "home/alice/" } else { "tmp/x" });
        }
        if on(2) {
            ctx.insert("s3:max-keys", self.max_keys);
        }
        ctx.insert("aws:CurrentTime", self.time);
        if on(3) {
            ctx.insert("aws:SecureTransport", if on(7) { "true" } else { "false" });
        }
        if on(4) {
            ctx.insert("aws:SourceIp", self.ip);
        }
        if on(5) {
            ctx.insert_multi(
                "aws:TagKeys",
                self.tag_keys.iter().map(|s| s.to_string()).collect(),
            );
        }
        if on(6) {
            ctx.insert("aws:TokenIssueTime", "2024-01-01T00:00:00Z");
            ctx.insert(
                "aws:MultiFactorAuthPresent",
                if on(7) { "true" } else { "false" },
            );
            ctx.insert("aws:MultiFactorAuthAge", "0");
        }
        ctx
    }
}

fn decide(set: &CompiledSet, r: &ReqSpec) -> Decision {
    let p = principal(r.principal);
    let ctx = r.context(&p);
    let req = Request {
        principal: &p,
        action: r.action,
        resource: r.resource,
        resource_account: r.resource_account,
        context: &ctx,
    };
    let d = evaluate(&req, &set.set());
    let e = explain(&req, &set.set()).decision;
    assert_eq!(e, d, "explain().decision differs from evaluate()");
    d
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn describe(spec: &SetSpec) -> String {
    let text = |p: &Vec<StmtSpec>, place| policy_text(p, place);
    let mut out = String::new();
    for p in &spec.identity {
        out += &format!("\n  identity: {}", text(p, Place::Identity));
    }
    if let Some(p) = &spec.boundary {
        out += &format!("\n  boundary: {}", text(p, Place::Identity));
    }
    for p in &spec.session {
        out += &format!("\n  session: {}", text(p, Place::Identity));
    }
    if let Some(p) = &spec.resource {
        out += &format!(
            "\n  resource ({:?}): {}",
            spec.resource_kind,
            text(p, Place::Resource)
        );
    }
    for (l, level) in spec.scps.iter().enumerate() {
        for p in level {
            out += &format!("\n  scp[{l}]: {}", text(p, Place::Identity));
        }
    }
    for (l, level) in spec.rcps.iter().enumerate() {
        for p in level {
            out += &format!("\n  rcp[{l}]: {}", text(p, Place::Resource));
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// Property 1: an added Deny statement can only take permissions away.
    #[test]
    fn adding_a_deny_never_grants(
        spec in set_strategy(),
        reqs in prop::collection::vec(req_strategy(), 1..4),
        mut extra in stmt_strategy(),
        slot in any::<Index>(),
        pos in any::<usize>(),
    ) {
        extra.allow = false;
        let slots = spec.slots();
        let slot = slots[slot.index(slots.len())];
        let more = spec.with_statement(slot, extra, pos);
        let (before_set, after_set) = (spec.compile(), more.compile());
        for r in &reqs {
            let before = decide(&before_set, r);
            let after = decide(&after_set, r);
            prop_assert!(
                before.is_allowed() || !after.is_allowed(),
                "a Deny added to {slot:?} turned {before:?} into {after:?}\nrequest: {r:?}\nbefore:{}\nafter:{}",
                describe(&spec), describe(&more)
            );
            prop_assert!(
                before.kind != DecisionKind::ExplicitDeny || after.kind == DecisionKind::ExplicitDeny,
                "a Deny added to {slot:?} lifted an explicit deny: {before:?} -> {after:?}\nrequest: {r:?}\nbefore:{}",
                describe(&spec)
            );
        }
    }

    /// Property 2: an added Allow statement can only add permissions.
    #[test]
    fn adding_an_allow_never_denies(
        spec in set_strategy(),
        reqs in prop::collection::vec(req_strategy(), 1..4),
        mut extra in stmt_strategy(),
        slot in any::<Index>(),
        pos in any::<usize>(),
    ) {
        extra.allow = true;
        let slots = spec.slots();
        let slot = slots[slot.index(slots.len())];
        let more = spec.with_statement(slot, extra, pos);
        let (before_set, after_set) = (spec.compile(), more.compile());
        for r in &reqs {
            let before = decide(&before_set, r);
            let after = decide(&after_set, r);
            prop_assert!(
                !before.is_allowed() || after.is_allowed(),
                "an Allow added to {slot:?} turned {before:?} into {after:?}\nrequest: {r:?}\nbefore:{}\nafter:{}",
                describe(&spec), describe(&more)
            );
            prop_assert!(
                before.kind == DecisionKind::ExplicitDeny || after.kind != DecisionKind::ExplicitDeny,
                "an Allow added to {slot:?} created an explicit deny: {before:?} -> {after:?}\nrequest: {r:?}\nbefore:{}",
                describe(&spec)
            );
        }
    }

    /// Property 3: order is irrelevant: statements, policies in a list, organization levels.
    #[test]
    fn order_never_matters(
        spec in set_strategy(),
        reqs in prop::collection::vec(req_strategy(), 1..4),
        seed in any::<u64>(),
    ) {
        let shuffled = spec.shuffled(seed);
        let (a, b) = (spec.compile(), shuffled.compile());
        for r in &reqs {
            let x = decide(&a, r);
            let y = decide(&b, r);
            prop_assert_eq!(
                x.kind, y.kind,
                "shuffling changed the decision\nrequest: {:?}\noriginal:{}\nshuffled:{}",
                r, describe(&spec), describe(&shuffled)
            );
        }
    }

    /// Property 4: the canonical print reads back to the same policy, for both placements.
    #[test]
    fn print_then_parse_is_identity(stmts in policy_strategy(), resource in any::<bool>()) {
        let place = if resource { Place::Resource } else { Place::Identity };
        let p = parse_policy(&stmts, place);
        let printed = p.to_json();
        let again = Policy::parse(&printed);
        prop_assert!(again.is_ok(), "print does not parse: {}", printed);
        let again = again.expect("checked above");
        prop_assert!(again == p, "parse(to_json(p)) != p\nsource: {}\nprinted: {}", p.source(), printed);
        prop_assert_eq!(again.to_json(), printed);
    }

    /// Property 5: explain agrees with evaluate (checked inside `decide` for every request of
    /// every other property too; here on its own, over more requests per set).
    #[test]
    fn explain_agrees_with_evaluate(
        spec in set_strategy(),
        reqs in prop::collection::vec(req_strategy(), 1..8),
    ) {
        let set = spec.compile();
        for r in &reqs {
            decide(&set, r);
        }
    }
}

/// Guards the properties against being vacuous: the generators must reach every outcome, from
/// more than one policy type, often enough (a fixed seed keeps this deterministic).
#[test]
fn generators_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    use std::collections::BTreeMap;

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    // Keyed by Debug text: the decision enums are not Hash/Ord.
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let total = 400;
    for _ in 0..total {
        let spec = set_strategy()
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        let req = req_strategy()
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        let d = decide(&spec.compile(), &req);
        *kinds.entry(format!("{:?}", d.kind)).or_default() += 1;
        *types
            .entry(format!("{:?}/{:?}", d.kind, d.policy_type))
            .or_default() += 1;
    }
    eprintln!("outcomes over {total} random sets: {kinds:?}");
    eprintln!("by policy type: {types:?}");
    for k in [
        DecisionKind::Allow,
        DecisionKind::ExplicitDeny,
        DecisionKind::ImplicitDeny,
    ] {
        let n = kinds.get(&format!("{k:?}")).copied().unwrap_or(0);
        assert!(n * 20 >= total, "{k:?} reached only {n} times in {total}");
    }
    assert!(
        types.len() >= 6,
        "too few (decision, policy type) pairs reached: {types:?}"
    );
}
