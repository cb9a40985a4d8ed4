//! The IAM policy language as AWS implements it: parse, validate, compile, evaluate, explain.
//!
//! Pure and synchronous: no I/O, no async and no clock. Everything a decision depends on (the
//! principal, the action, the resource, the condition keys, the request time) comes in with the
//! [`Request`]. The flow is:
//!
//! 1. [`Policy::parse`] keeps the document exactly as submitted and builds its syntax tree;
//! 2. [`validate`] applies the rules of one [`PolicyKind`] with AWS's `MalformedPolicyDocument` texts;
//! 3. [`CompiledPolicy::new`] pre-parses wildcards, values and variables and indexes statements by
//!    service, once per policy version;
//! 4. [`evaluate`] decides one request against a [`PolicySet`] without allocating;
//! 5. [`explain`] (only when someone asks why) re-runs the decision and records the statements
//!    that matched, or the ones that came closest and the condition that failed.

mod arn;
mod ast;
mod compile;
mod condition;
mod context;
mod error;
mod evaluate;
mod explain;
mod json;
mod pattern;
mod prepared;
mod principal;
mod validate;

pub use arn::arn_like;
pub use ast::{
    ActionSpec, ConditionBlock, ConditionEntry, Effect, OneOrMany, Policy, PrincipalSpec,
    ResourceSpec, Statement, Version,
};
pub use compile::CompiledPolicy;
pub use context::{Context, ContextValue, StaticKey};
pub use error::PolicyError;
pub use evaluate::{
    evaluate, Decision, DecisionKind, PolicySet, PolicyType, Request, ResourcePolicyKind,
    StatementRef,
};
pub use explain::{explain, Explanation, Failure, NearMiss, StatementMatch};
pub use principal::{Principal, PrincipalKind};
pub use validate::{size_without_whitespace, validate, PolicyKind};
