//! Test support: a state over a temporary store, callers, and calls by parameter list.
//! Used by the unit tests of every operation group.

use crate::ctx::State;
use crate::dispatch::{query, QueryResponse, QueryService};
use crate::protocol::Params;
use rolegate_core::authorizer::RequestFacts;
use rolegate_core::crypto::MasterKey;
use rolegate_core::session::TokenSealer;
use rolegate_core::{Account, Caller, Catalog};
use rolegate_store::RedbEngine;
use std::sync::Arc;

pub struct Harness {
    pub state: State,
    _dir: tempfile::TempDir,
}

pub const NOW: i64 = 1_790_000_000;

impl Harness {
    /// A fresh state with accounts 111111111111 and 222222222222.
    pub fn new() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let master = MasterKey::random();
        let engine: Arc<dyn rolegate_store::Engine> =
            Arc::new(RedbEngine::open(&dir.path().join("db")).expect("store"));
        let catalog = Catalog::open(engine.clone(), &master).expect("catalog");
        let dynamodb =
            Arc::new(rolegate_core::dynamodb_items::ItemStore::open(engine).expect("item store"));
        for id in ["111111111111", "222222222222"] {
            catalog
                .create_account(Account::new(id, id, NOW))
                .expect("account");
        }
        Harness {
            state: State {
                catalog,
                tokens: TokenSealer::new(&master),
                dev_mode: true,
                decisions: None,
                dynamodb,
            },
            _dir: dir,
        }
    }

    pub fn root(account: &str) -> Caller {
        Caller::root(account, account)
    }

    /// An IAM user of the current snapshot as a caller.
    pub fn user(&self, account: &str, name: &str) -> Caller {
        let snap = self.state.catalog.snapshot();
        let u = snap
            .account(account)
            .and_then(|a| a.user(name))
            .expect("user exists");
        Caller {
            account: account.to_owned(),
            kind: rolegate_core::CallerKind::User {
                name: u.name.clone(),
            },
            principal: rolegate_policy::Principal::user(account, &u.arn, &u.name, &u.id),
            access_key_id: "AKIATEST".to_owned(),
        }
    }

    pub fn call(
        &self,
        service: QueryService,
        caller: &Caller,
        params: &[(&str, &str)],
    ) -> QueryResponse {
        let params = Params::from_pairs(params.iter().copied());
        let facts = RequestFacts {
            source_ip: "127.0.0.1",
            secure_transport: false,
            region: "us-east-1",
            now: NOW,
        };
        query(
            &self.state,
            service,
            caller,
            facts,
            &params,
            "test-request-id",
        )
    }

    pub fn iam(&self, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
        self.call(QueryService::Iam, caller, params)
    }

    pub fn sts(&self, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
        self.call(QueryService::Sts, caller, params)
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

/// The text of the first `<name>` element of an XML body.
pub fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(&body[start..end])
}

/// Every `<name>` text in order.
pub fn fields<'a>(body: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(s) = rest.find(&open) {
        let after = &rest[s + open.len()..];
        let Some(e) = after.find(&close) else { break };
        out.push(&after[..e]);
        rest = &after[e + close.len()..];
    }
    out
}

/// An awsJson answer with its body parsed.
#[derive(Debug)]
pub struct JsonReply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl JsonReply {
    /// The error code (`__type`), empty on success.
    pub fn code(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["message"]
            .as_str()
            .or_else(|| self.body["Message"].as_str())
            .unwrap_or("")
    }

    /// A string member of the output.
    pub fn str(&self, member: &str) -> &str {
        self.body[member].as_str().unwrap_or("")
    }
}

impl Harness {
    /// A KMS call (`TrentService.<operation>`) in us-east-1.
    pub fn kms(&self, caller: &Caller, operation: &str, input: serde_json::Value) -> JsonReply {
        self.kms_in("us-east-1", caller, operation, input)
    }

    pub fn kms_in(
        &self,
        region: &str,
        caller: &Caller,
        operation: &str,
        input: serde_json::Value,
    ) -> JsonReply {
        self.kms_at(region, NOW, caller, operation, input)
    }

    /// A KMS call at another time (key deletion dates).
    pub fn kms_at(
        &self,
        region: &str,
        now: i64,
        caller: &Caller,
        operation: &str,
        input: serde_json::Value,
    ) -> JsonReply {
        let facts = RequestFacts {
            source_ip: "127.0.0.1",
            secure_transport: false,
            region,
            now,
        };
        let r = crate::dispatch::json(
            &self.state,
            crate::dispatch::JsonService::Kms,
            caller,
            facts,
            Some(&format!("TrentService.{operation}")),
            input.to_string().as_bytes(),
            "test-request-id",
        );
        JsonReply {
            status: r.status,
            body: serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
        }
    }
}

impl Harness {
    /// A DynamoDB call (`DynamoDB_20120810.<operation>`) in us-east-1.
    pub fn dynamodb(
        &self,
        caller: &Caller,
        operation: &str,
        input: serde_json::Value,
    ) -> JsonReply {
        let facts = RequestFacts {
            source_ip: "127.0.0.1",
            secure_transport: false,
            region: "us-east-1",
            now: NOW,
        };
        let r = crate::dispatch::json(
            &self.state,
            crate::dispatch::JsonService::DynamoDb,
            caller,
            facts,
            Some(&format!("DynamoDB_20120810.{operation}")),
            input.to_string().as_bytes(),
            "test-request-id",
        );
        JsonReply {
            status: r.status,
            body: serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
        }
    }
}
