//! EC2's encoded authorization failure messages: the decision context of a denial (principal,
//! action, resource, condition keys), sealed so that only STS DecodeAuthorizationMessage, called
//! in the same account with `sts:DecodeAuthorizationMessage`, can read it back. The decoded
//! JSON has AWS's shape, member order included.

use rolegate_core::session::TokenSealer;
use rolegate_core::{Caller, CallerKind};
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

/// The decoded message, as DecodeAuthorizationMessage returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoded {
    pub allowed: bool,
    #[serde(rename = "explicitDeny")]
    pub explicit_deny: bool,
    #[serde(rename = "matchedStatements")]
    pub matched_statements: Items<serde_json::Value>,
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
) -> String {
    let name = match &caller.kind {
        CallerKind::User { name } => Some(name.clone()),
        _ => None,
    };
    let message = Decoded {
        allowed: false,
        explicit_deny,
        matched_statements: Items { items: Vec::new() },
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
