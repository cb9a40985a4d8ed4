//! Who is calling: the identity behind an access key (long-term or sealed session).

use crate::catalog::Snapshot;
use crate::model::KeyStatus;
use crate::session::{InstanceCheck, Session, SessionKind, TokenSealer};
use rolegate_policy::Principal;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum CallerKind {
    Root,
    User { name: String },
    Session(Arc<Session>),
    Anonymous,
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account: String,
    pub kind: CallerKind,
    /// The principal as the policy engine sees it.
    pub principal: Principal,
    pub access_key_id: String,
}

/// The outcome of looking up the key of a request.
pub enum KeyLookup {
    Found {
        /// Shared with the key index for long-term keys (no copy per request).
        secret: Arc<str>,
        caller: Arc<Caller>,
    },
    /// No such key, a disabled key, or a token we did not seal.
    Unknown,
    /// A session token past its expiry.
    Expired,
}

impl Caller {
    pub fn root(account: &str, access_key_id: &str) -> Caller {
        Caller {
            account: account.to_owned(),
            kind: CallerKind::Root,
            principal: Principal::root(account),
            access_key_id: access_key_id.to_owned(),
        }
    }

    pub fn anonymous() -> Caller {
        Caller {
            account: String::new(),
            kind: CallerKind::Anonymous,
            principal: Principal::anonymous(),
            access_key_id: String::new(),
        }
    }

    /// The ARN AWS reports for this caller (GetCallerIdentity, AccessDenied messages).
    pub fn arn(&self) -> &str {
        &self.principal.arn
    }

    /// `aws:userid` / GetCallerIdentity's UserId.
    pub fn user_id(&self) -> String {
        match &self.kind {
            CallerKind::Root => self.account.clone(),
            CallerKind::User { .. } => self.principal.unique_id.clone(),
            CallerKind::Session(s) => match &s.kind {
                SessionKind::Role {
                    role_id,
                    session_name,
                    ..
                } => format!("{role_id}:{session_name}"),
                SessionKind::UserToken { .. } => self.principal.unique_id.clone(),
                SessionKind::Federated { name, .. } => format!("{}:{name}", self.account),
            },
            CallerKind::Anonymous => "anonymous".to_owned(),
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.kind {
            CallerKind::Session(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_root(&self) -> bool {
        match &self.kind {
            CallerKind::Root => true,
            CallerKind::Session(s) => matches!(s.kind, SessionKind::UserToken { user: None }),
            _ => false,
        }
    }

    /// Resolves an access key id (and session token, for temporary keys) to its caller.
    pub fn lookup(
        snap: &Snapshot,
        sealer: &TokenSealer,
        access_key_id: &str,
        token: Option<&str>,
        now: i64,
    ) -> KeyLookup {
        if let Some(token) = token {
            let Some(session) = sealer.open(token) else {
                return KeyLookup::Unknown;
            };
            if session.access_key_id != access_key_id {
                return KeyLookup::Unknown;
            }
            if session.expires <= now {
                return KeyLookup::Expired;
            }
            // Instance profile sessions end with their instance's run or association.
            match session.instance.as_ref().map(|i| i.check(snap)) {
                Some(InstanceCheck::Revoked) => return KeyLookup::Expired,
                Some(InstanceCheck::Unknown) => return KeyLookup::Unknown,
                Some(InstanceCheck::Valid) | None => {}
            }
            return match Caller::from_session(snap, session) {
                Some((secret, caller)) => KeyLookup::Found {
                    secret,
                    caller: Arc::new(caller),
                },
                None => KeyLookup::Unknown,
            };
        }
        let Some(entry) = snap.keys.get(access_key_id) else {
            return KeyLookup::Unknown;
        };
        if entry.status != KeyStatus::Active {
            return KeyLookup::Unknown;
        }
        if let Some(caller) = entry.caller.get() {
            return KeyLookup::Found {
                secret: entry.secret.clone(),
                caller: caller.clone(),
            };
        }
        let caller = match &entry.user {
            None => Caller::root(&entry.account, access_key_id),
            Some(name) => {
                let Some(user) = snap.account(&entry.account).and_then(|a| a.user(name)) else {
                    return KeyLookup::Unknown;
                };
                Caller {
                    account: entry.account.clone(),
                    kind: CallerKind::User {
                        name: user.name.clone(),
                    },
                    principal: Principal::user(&entry.account, &user.arn, &user.name, &user.id),
                    access_key_id: access_key_id.to_owned(),
                }
            }
        };
        KeyLookup::Found {
            secret: entry.secret.clone(),
            caller: entry.caller.get_or_init(|| Arc::new(caller)).clone(),
        }
    }

    fn from_session(snap: &Snapshot, s: Session) -> Option<(Arc<str>, Caller)> {
        let principal = match &s.kind {
            SessionKind::Role {
                role_arn,
                role_id,
                session_name,
                ..
            } => Principal::assumed_role(role_arn, role_id, session_name),
            SessionKind::UserToken { user: None } => Principal::root(&s.account),
            SessionKind::UserToken { user: Some(name) } => {
                let user = snap.account(&s.account)?.user(name)?;
                Principal::user(&s.account, &user.arn, &user.name, &user.id)
            }
            SessionKind::Federated { name, .. } => Principal::federated_user(&s.account, name),
        };
        let secret = Arc::from(s.secret.as_str());
        Some((
            secret,
            Caller {
                account: s.account.clone(),
                access_key_id: s.access_key_id.clone(),
                principal,
                kind: CallerKind::Session(Arc::new(s)),
            },
        ))
    }
}
