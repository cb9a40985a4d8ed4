//! The body of the `parse_validate_evaluate` fuzz target, shared with the regression test
//! (`tests/fuzz_regressions.rs` includes this file by path), so a saved crashing input replays
//! through exactly the same calls.
//!
//! Input: `policy text [0x00 action "\n" resource ["\n" key "=" value[","value...]]...]`.
//! The part before the first NUL byte is the policy document (invalid UTF-8 is replaced, so any
//! bytes make some text). The optional part after it derives one extra request: its action, its
//! resource and extra condition keys (a value with commas becomes a multivalued key).
//!
//! Every step must hold for every input, and a violation panics (a fuzzing crash):
//! - `Policy::parse` never panics; an accepted document keeps its source byte for byte, prints to
//!   a document that reads back equal, and prints the same text again;
//! - `validate` never panics for any kind, and `parse_for` is exactly `parse` + `validate`;
//! - `CompiledPolicy::new` never panics (on any parsed policy, valid or not);
//! - `evaluate` never panics in any position of the policy set (identity, boundary, session,
//!   resource of each kind, SCP, RCP) and `explain(..).decision == evaluate(..)`.

use rolegate_policy::{
    evaluate, explain, validate, CompiledPolicy, Context, Policy, PolicyKind, PolicySet, Principal,
    Request, ResourcePolicyKind,
};

pub const KINDS: [PolicyKind; 7] = [
    PolicyKind::ManagedIdentity,
    PolicyKind::InlineIdentity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Scp,
    PolicyKind::Rcp,
    PolicyKind::Session,
];

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

/// The fixed requests: (action, resource).
const REQUESTS: [(&str, &str); 4] = [
    (
        "s3:GetObject",
        "arn:aws:s3:::example-bucket/home/alice/photo.jpg",
    ),
    ("iam:CreateUser", "arn:aws:iam::111122223333:user/bob"),
    ("sts:AssumeRole", "arn:aws:iam::111122223333:role/ops"),
    ("ec2:RunInstances", "*"),
];

fn principals() -> Vec<Principal> {
    let mut out = Vec::new();
    for arn in [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/ops/session1",
        "arn:aws:sts::111122223333:federated-user/carol",
        "arn:aws:iam::444455556666:user/mallory",
    ] {
        if let Some(p) = Principal::from_arn(arn) {
            out.push(p);
        }
    }
    out.push(Principal::root(ACCOUNT));
    out.push(Principal::anonymous());
    out.push(Principal::service("ec2.amazonaws.com"));
    out
}

fn base_context(p: &Principal) -> Context {
    let mut ctx = Context::for_principal(p);
    ctx.insert("aws:SourceIp", "203.0.113.9");
    ctx.insert("aws:CurrentTime", "2024-05-01T12:00:00Z");
    ctx.insert("aws:EpochTime", "1714564800");
    ctx.insert("aws:SecureTransport", "true");
    ctx.insert("aws:PrincipalTag/team", "blue");
    ctx.insert("s3:prefix", "home/alice/");
    ctx.insert("s3:max-keys", "10");
    ctx.insert("aws:MultiFactorAuthAge", "300");
    ctx.insert_multi("aws:TagKeys", vec!["team".into(), "cost".into()]);
    ctx
}

/// A request derived from the input: action, resource, extra condition keys.
pub type Derived = (String, String, Vec<(String, Vec<String>)>);

/// Splits the input into the policy text and the optional derived request.
pub fn split(data: &[u8]) -> (String, Option<Derived>) {
    let (policy, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let policy = String::from_utf8_lossy(policy).into_owned();
    let request = rest.map(|rest| {
        let text = String::from_utf8_lossy(rest);
        let mut lines = text.split('\n');
        let action = lines.next().unwrap_or_default().to_owned();
        let resource = lines.next().unwrap_or_default().to_owned();
        let keys = lines
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.split(',').map(str::to_owned).collect()))
            .collect();
        (action, resource, keys)
    });
    (policy, request)
}

fn check_decisions(req: &Request<'_>, set: &PolicySet<'_>) {
    let d = evaluate(req, set);
    let e = explain(req, set);
    assert_eq!(
        e.decision, d,
        "explain().decision differs from evaluate() for {} {} on {}",
        req.principal.arn, req.action, req.resource
    );
    // The AccessDenied texts must be printable for every decision.
    let _ = d.reason(req.action);
    let _ = d.message(req.principal.display_arn(), req.action, Some(req.resource));
}

/// Runs one policy (compiled) in every position of a policy set against one request.
fn evaluate_everywhere(c: &CompiledPolicy, allow_all: &CompiledPolicy, req: &Request<'_>) {
    let alone = std::slice::from_ref(c);
    let all = std::slice::from_ref(allow_all);
    let levels = vec![vec![c.clone()]];
    let sets = [
        PolicySet {
            identity: alone,
            ..Default::default()
        },
        PolicySet {
            identity: all,
            boundary: Some(c),
            ..Default::default()
        },
        PolicySet {
            identity: all,
            session: alone,
            ..Default::default()
        },
        PolicySet {
            resource: Some(c),
            ..Default::default()
        },
        PolicySet {
            identity: all,
            resource: Some(c),
            ..Default::default()
        },
        PolicySet {
            identity: all,
            resource: Some(c),
            resource_kind: ResourcePolicyKind::RoleTrust,
            ..Default::default()
        },
        PolicySet {
            resource: Some(c),
            resource_kind: ResourcePolicyKind::KmsKey,
            ..Default::default()
        },
        PolicySet {
            identity: all,
            scps: &levels,
            ..Default::default()
        },
        PolicySet {
            identity: all,
            rcps: &levels,
            ..Default::default()
        },
    ];
    for set in &sets {
        check_decisions(req, set);
    }
}

pub fn run(data: &[u8]) {
    let (text, derived) = split(data);

    let parsed = Policy::parse(&text);
    for kind in KINDS {
        let one = Policy::parse_for(&text, kind);
        let two = match &parsed {
            Ok(p) => validate(p, kind).map(|()| p.clone()),
            Err(e) => Err(e.clone()),
        };
        match (&one, &two) {
            (Ok(a), Ok(b)) => assert!(
                a == b,
                "parse_for and parse+validate give different policies"
            ),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "parse_for and parse+validate disagree ({kind:?})")
            }
            _ => panic!(
                "parse_for and parse+validate disagree ({kind:?}): {:?} vs {:?}",
                one.as_ref().err(),
                two.as_ref().err()
            ),
        }
        if let Err(e) = &one {
            assert_eq!(e.code(), "MalformedPolicyDocument");
            assert!(!e.message().is_empty());
        }
    }
    let Ok(policy) = parsed else {
        return;
    };

    assert_eq!(policy.source(), text, "source() is not the submitted text");
    let printed = policy.to_json();
    let again = match Policy::parse(&printed) {
        Ok(p) => p,
        Err(e) => panic!(
            "the canonical print does not parse ({}): {printed}",
            e.message()
        ),
    };
    assert!(again == policy, "parse(to_json(p)) != p: {printed}");
    assert_eq!(again.to_json(), printed, "to_json is not stable");
    for kind in KINDS {
        assert_eq!(
            validate(&again, kind).map_err(|e| e.message().to_owned()),
            validate(&policy, kind).map_err(|e| e.message().to_owned()),
            "validate({kind:?}) differs between a policy and its canonical print: {printed}"
        );
    }

    let compiled = CompiledPolicy::new(&policy);
    let allow_all = match Policy::parse(ALLOW_ALL) {
        Ok(p) => CompiledPolicy::new(&p),
        Err(e) => panic!("fixed allow-all policy rejected: {}", e.message()),
    };

    let principals = principals();
    for (i, p) in principals.iter().enumerate() {
        let ctx = base_context(p);
        // Every principal against two fixed requests, rotating, so each input stays fast.
        for j in 0..2 {
            let (action, resource) = REQUESTS[(i + j) % REQUESTS.len()];
            for resource_account in [None, Some(OTHER_ACCOUNT)] {
                let req = Request {
                    principal: p,
                    action,
                    resource,
                    resource_account,
                    context: &ctx,
                };
                evaluate_everywhere(&compiled, &allow_all, &req);
            }
        }
    }

    if let Some((action, resource, keys)) = derived {
        for p in principals.iter().take(2) {
            let mut ctx = base_context(p);
            for (k, v) in &keys {
                if v.len() == 1 {
                    ctx.insert(k, &v[0]);
                } else {
                    ctx.insert_multi(k, v.clone());
                }
            }
            let req = Request {
                principal: p,
                action: &action,
                resource: &resource,
                resource_account: Some(ACCOUNT),
                context: &ctx,
            };
            evaluate_everywhere(&compiled, &allow_all, &req);
        }
    }
}
