//! The per-request context handed to every handler, and the one door to the authorizer.

use crate::error::ServiceError;
use crate::protocol::Params;
use rolegate_core::authorizer::{CallerPolicies, RequestFacts};
use rolegate_core::decisions::{self, DecisionLog};
use rolegate_core::session::TokenSealer;
use rolegate_core::{Authorizer, Caller, Catalog, ResourceGuard, Snapshot};
use rolegate_policy::Context;
use std::sync::Arc;

/// Everything shared by all requests.
pub struct State {
    pub catalog: Catalog,
    pub tokens: TokenSealer,
    /// Development mode: 12-digit access keys are account roots, created on first use.
    pub dev_mode: bool,
    /// Where every authorization decision is written (`rolegate explain`), if anywhere.
    pub decisions: Option<DecisionLog>,
    /// DynamoDB items (table definitions are in the catalog).
    pub dynamodb: Arc<rolegate_core::dynamodb_items::ItemStore>,
}

pub struct Ctx<'a> {
    pub state: &'a State,
    pub snap: Arc<Snapshot>,
    pub caller: &'a Caller,
    pub facts: RequestFacts<'a>,
    pub params: &'a Params,
    pub request_id: &'a str,
    authorized: bool,
    policies: Option<CallerPolicies>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        state: &'a State,
        caller: &'a Caller,
        facts: RequestFacts<'a>,
        params: &'a Params,
        request_id: &'a str,
    ) -> Ctx<'a> {
        Ctx {
            state,
            snap: state.catalog.snapshot(),
            caller,
            facts,
            params,
            request_id,
            authorized: false,
            policies: None,
        }
    }

    /// The caller's account: where every IAM operation acts.
    pub fn account(&self) -> &str {
        &self.caller.account
    }

    pub fn now(&self) -> i64 {
        self.facts.now
    }

    /// Whether the request went through the authorizer (the dispatcher checks it).
    pub fn was_authorized(&self) -> bool {
        self.authorized
    }

    /// For the few operations AWS lets anyone call (GetCallerIdentity): recorded as decided.
    pub fn no_permission_required(&mut self) {
        self.authorized = true;
    }

    /// Authorizes an action on a resource of the caller's own account, with no resource policy.
    pub fn authorize(
        &mut self,
        action: &str,
        resource: &str,
        extra: impl FnOnce(&mut Context),
    ) -> Result<(), ServiceError> {
        let account = self.caller.account.clone();
        self.authorize_on(action, resource, Some(&account), ResourceGuard::None, extra)
    }

    /// Authorizes an action on any resource, with its account and resource policy.
    pub fn authorize_on(
        &mut self,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        guard: ResourceGuard<'_>,
        extra: impl FnOnce(&mut Context),
    ) -> Result<(), ServiceError> {
        self.authorized = true;
        if self.policies.is_none() {
            self.policies = Some(Authorizer::caller_policies(
                &self.snap,
                self.caller,
                self.state.catalog.session_policies(),
            ));
        }
        let mut context = Authorizer::context(&self.snap, self.caller, &self.facts);
        extra(&mut context);
        let policies = self
            .policies
            .as_ref()
            .ok_or_else(ServiceError::service_failure)?;
        let outcome = Authorizer::check(
            self.caller,
            policies,
            action,
            resource,
            resource_account,
            guard,
            &context,
        );
        if let Some(log) = &self.state.decisions {
            log.record(&decisions::build(
                self.request_id,
                self.facts.now,
                self.caller,
                policies,
                action,
                resource,
                resource_account,
                guard,
                &context,
                &outcome,
            ));
        }
        outcome
            .map(|_| ())
            .map_err(|denied| ServiceError::access_denied(denied.message))
    }

    /// Refreshes the snapshot after a write made by this request.
    pub fn refresh(&mut self) {
        self.snap = self.state.catalog.snapshot();
    }
}

/// `aws:RequestTag/<k>` for each tag and `aws:TagKeys` for the list, as tagging actions carry.
pub fn tag_keys(ctx: &mut Context, tags: &[(String, String)]) {
    for (k, v) in tags {
        ctx.insert(&format!("aws:RequestTag/{k}"), v);
    }
    if !tags.is_empty() {
        ctx.insert_multi("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect());
    }
}
