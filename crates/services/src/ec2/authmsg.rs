//! EC2's encoded authorization failure messages: the decision context of a denial (principal,
//! action, resource, condition keys), sealed so that only STS DecodeAuthorizationMessage, called
//! in the same account with `sts:DecodeAuthorizationMessage`, can read it back. The decoded
//! JSON has AWS's shape, member order included.

use crate::ctx::Ctx;
use rolegate_core::session::TokenSealer;
use rolegate_core::{Authorizer, Caller, CallerKind, ResourceGuard};
use rolegate_policy::{CompiledPolicy, Effect, PolicyType};
use serde::{Deserialize, Serialize};

const PURPOSE: &str = "ec2 authorization failure message v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Value {
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub key: String,
    pub values: Items<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalInfo {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arn: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionContext {
    pub principal: PrincipalInfo,
    pub action: String,
    pub resource: String,
    pub conditions: Items<Condition>,
}

/// A statement that decided the denial, in AWS's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedStatement {
    #[serde(rename = "statementId")]
    pub statement_id: String,
    pub effect: String,
    pub principals: Items<Value>,
    #[serde(rename = "principalGroups")]
    pub principal_groups: Items<Value>,
    pub actions: Items<Value>,
    pub resources: Items<Value>,
    pub conditions: Items<Condition>,
}

fn items(values: &[String]) -> Items<Value> {
    Items {
        items: values.iter().map(|v| Value { value: v.clone() }).collect(),
    }
}

/// The Deny statements that matched the request: `authorize` saw an explicit deny, and the
/// evaluation is replayed with the explainer (same policies, same context) to name them.
pub fn explicit_denies(
    ctx: &Ctx<'_>,
    action: &str,
    resource: &str,
    keys: &[(String, Vec<String>)],
) -> Vec<MatchedStatement> {
    let policies =
        Authorizer::caller_policies(&ctx.snap, ctx.caller, ctx.state.catalog.session_policies());
    let mut context = Authorizer::context(&ctx.snap, ctx.caller, &ctx.facts);
    super::insert_keys(&mut context, keys);
    let policy_of = |t: PolicyType, i: u16| -> Option<&CompiledPolicy> {
        match t {
            PolicyType::Identity => policies.identity.get(usize::from(i)),
            PolicyType::Session => policies.session.get(usize::from(i)),
            PolicyType::Boundary => policies.boundary.as_ref(),
            _ => None,
        }
    };
    Authorizer::explain(
        ctx.caller,
        &policies,
        action,
        resource,
        Some(ctx.caller.account.as_str()),
        ResourceGuard::None,
        &context,
    )
    .matched
    .into_iter()
    .filter(|m| m.effect == Effect::Deny)
    .filter_map(|m| {
        let st = policy_of(m.at.policy_type, m.at.policy)?
            .policy()
            .statements
            .get(m.at.statement as usize)?;
        let conditions = st
            .condition
            .iter()
            .flat_map(|block| &block.0)
            .flat_map(|entry| &entry.keys)
            .map(|(k, v)| Condition {
                key: k.clone(),
                values: items(v.as_slice()),
            })
            .collect();
        Some(MatchedStatement {
            statement_id: st.sid.clone().unwrap_or_default(),
            effect: "DENY".to_owned(),
            principals: items(&[ctx.caller.user_id()]),
            principal_groups: Items { items: Vec::new() },
            actions: items(st.action.as_ref().map(|a| a.values()).unwrap_or_default()),
            resources: items(st.resource.as_ref().map(|r| r.values()).unwrap_or_default()),
            conditions: Items { items: conditions },
        })
    })
    .collect()
}

/// The decoded message, as DecodeAuthorizationMessage returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoded {
    pub allowed: bool,
    #[serde(rename = "explicitDeny")]
    pub explicit_deny: bool,
    #[serde(rename = "matchedStatements")]
    pub matched_statements: Items<MatchedStatement>,
    pub failures: Items<serde_json::Value>,
    pub context: DecisionContext,
}

/// What is sealed: the message and the account it may be decoded in.
#[derive(Serialize, Deserialize)]
struct Sealed {
    account: String,
    message: Decoded,
}

/// The condition keys AWS derives from the resource ARN (`aws:Resource`, `aws:Account`...),
/// then the request's own keys.
fn conditions(resource: &str, keys: &[(String, Vec<String>)]) -> Vec<Condition> {
    let mut out = Vec::new();
    let mut push = |key: &str, values: Vec<String>| {
        out.push(Condition {
            key: key.to_owned(),
            values: Items {
                items: values.into_iter().map(|value| Value { value }).collect(),
            },
        })
    };
    for (k, v) in keys {
        push(k, v.clone());
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if let [_, _, service, region, account, rest] = parts.as_slice() {
        push("aws:Resource", vec![(*rest).to_owned()]);
        if !account.is_empty() {
            push("aws:Account", vec![(*account).to_owned()]);
        }
        if !region.is_empty() {
            push("aws:Region", vec![(*region).to_owned()]);
        }
        push("aws:Service", vec![(*service).to_owned()]);
        let kind = rest.split(['/', ':']).next().unwrap_or(rest);
        push("aws:Type", vec![kind.to_owned()]);
        push("aws:ARN", vec![resource.to_owned()]);
    }
    out
}

/// Seals the context of a denial of `action` on `resource` for `caller`.
pub fn encode(
    tokens: &TokenSealer,
    caller: &Caller,
    action: &str,
    resource: &str,
    keys: &[(String, Vec<String>)],
    explicit_deny: bool,
    matched: Vec<MatchedStatement>,
) -> String {
    let name = match &caller.kind {
        CallerKind::User { name } => Some(name.clone()),
        _ => None,
    };
    let message = Decoded {
        allowed: false,
        explicit_deny,
        matched_statements: Items { items: matched },
        failures: Items { items: Vec::new() },
        context: DecisionContext {
            principal: PrincipalInfo {
                id: caller.user_id(),
                name,
                arn: caller.arn().to_owned(),
            },
            action: action.to_owned(),
            resource: resource.to_owned(),
            conditions: Items {
                items: conditions(resource, keys),
            },
        },
    };
    let sealed = Sealed {
        account: caller.account.clone(),
        message,
    };
    let json = serde_json::to_vec(&sealed).unwrap_or_default();
    tokens.seal_message(PURPOSE, &json)
}

/// The decoded message, if `text` was sealed by [`encode`] for a caller of `account`.
pub fn decode(tokens: &TokenSealer, account: &str, text: &str) -> Option<Decoded> {
    let json = tokens.open_message(PURPOSE, text)?;
    let sealed: Sealed = serde_json::from_slice(&json).ok()?;
    (sealed.account == account).then_some(sealed.message)
}
