//! Temporary sessions, sealed into their own token.
//!
//! A session token is `base64url(key-id || AES-256-GCM(nonce, session))`: everything about the
//! session travels with it (account, role, name, expiry, secret, session policies, tags,
//! source identity, chain depth), so verifying one needs no lookup and any node holding the
//! key can do it. The key id byte lets keys and encodings change: id 2 seals the compact binary
//! encoding of `session/codec.rs`; tokens of id 1 (JSON inside, issued by earlier versions) still
//! open. The binary form makes a token less than half as long as the JSON one, which every
//! AssumeRole writes and every request signed with the session sends and opens.

mod codec;

use crate::crypto::{MasterKey, Sealer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// What kind of call created the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// AssumeRole (and instance profiles): a role session.
    Role {
        role_arn: String,
        role_name: String,
        role_id: String,
        session_name: String,
    },
    /// GetSessionToken: the user's (or root's) own permissions, temporarily.
    UserToken { user: Option<String> },
    /// GetFederationToken.
    Federated { name: String, user: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub account: String,
    pub kind: SessionKind,
    pub access_key_id: String,
    pub secret: String,
    pub issued: i64,
    pub expires: i64,
    /// The inline session policy text.
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub policy_arns: Vec<String>,
    /// Session tags (override the role's tags of the same key, case-insensitively).
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default)]
    pub source_identity: Option<String>,
    /// 0 when created from long-term credentials; +1 for each role-chaining step.
    #[serde(default)]
    pub chain_depth: u32,
    #[serde(default)]
    pub mfa: bool,
    /// Set for the role session an instance profile delivers through the instance metadata
    /// service: the instance it belongs to, checked at every authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<InstanceBinding>,
}

/// What ties an instance profile session to its instance. The token is self-contained, so the
/// instance's current record is compared with this at authentication: a session of an instance
/// that stopped (or restarted: a new launch time), terminated, or lost or changed its profile
/// association no longer authenticates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceBinding {
    pub instance_id: String,
    /// `arn:aws:ec2:<region>:<account>:instance/<id>`: the `ec2:SourceInstanceARN` key.
    pub instance_arn: String,
    /// The instance's account (the role may live there only, but keep it explicit).
    pub instance_account: String,
    pub association_id: String,
    /// The launch (or last start) time of the instance when the session was issued.
    pub launch_time: i64,
    /// `ec2:RoleDelivery`: "1.0" when delivered over IMDSv1, "2.0" over IMDSv2.
    pub role_delivery: String,
}

/// Whether an instance profile session may still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceCheck {
    Valid,
    /// The instance stopped, terminated, restarted or lost its profile: as if expired.
    Revoked,
    /// No such instance anywhere (never sealed by us for a real one).
    Unknown,
}

impl InstanceBinding {
    /// Compares the binding with the instance as the snapshot holds it now.
    pub fn check(&self, snap: &crate::catalog::Snapshot) -> InstanceCheck {
        use crate::ec2::InstanceState;
        // The binding names the instance's account: one lookup, not a scan of every account
        // on each request the session signs.
        let Some(instance) = snap
            .account(&self.instance_account)
            .and_then(|a| a.instances.get(&self.instance_id))
        else {
            return InstanceCheck::Unknown;
        };
        let associated = instance
            .iam_profile
            .as_ref()
            .is_some_and(|a| a.association_id == self.association_id);
        let running = matches!(
            instance.state,
            InstanceState::Running | InstanceState::Pending
        );
        if running && associated && instance.launch_time == self.launch_time {
            InstanceCheck::Valid
        } else {
            InstanceCheck::Revoked
        }
    }
}

/// Tokens sealed with the session key over the JSON encoding (read only).
const KEY_ID_JSON: u8 = 1;
/// Tokens sealed with the session key over the binary encoding (written).
const KEY_ID: u8 = 2;

/// Seals and opens session tokens.
#[derive(Clone)]
pub struct TokenSealer {
    sealer: Sealer,
    /// A key of its own for the other opaque blobs rolegate hands out and takes back (EC2's
    /// encoded authorization failure messages).
    messages: Sealer,
}

impl TokenSealer {
    pub fn new(master: &MasterKey) -> TokenSealer {
        TokenSealer {
            sealer: master.derive("rolegate session tokens v1"),
            messages: master.derive("rolegate opaque messages v1"),
        }
    }

    /// Seals `plain` for `purpose` (bound as authenticated data) into base64url text.
    pub fn seal_message(&self, purpose: &str, plain: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.messages.seal(plain, purpose.as_bytes()))
    }

    /// `None` for anything not sealed by [`TokenSealer::seal_message`] for `purpose`.
    pub fn open_message(&self, purpose: &str, text: &str) -> Option<Vec<u8>> {
        let blob = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        self.messages.open(&blob, purpose.as_bytes()).ok()
    }

    pub fn seal(&self, s: &Session) -> String {
        let plain = codec::encode(s);
        let mut blob = vec![KEY_ID];
        blob.extend(self.sealer.seal(&plain, &[KEY_ID]));
        URL_SAFE_NO_PAD.encode(blob)
    }

    /// `None` for anything not sealed by us (tampered, truncated, another key).
    pub fn open(&self, token: &str) -> Option<Session> {
        let blob = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        let (&id, sealed) = blob.split_first()?;
        match id {
            KEY_ID => codec::decode(&self.sealer.open(sealed, &[id]).ok()?),
            KEY_ID_JSON => serde_json::from_slice(&self.sealer.open(sealed, &[id]).ok()?).ok(),
            _ => None,
        }
    }

    /// A token as versions before the binary encoding sealed it (JSON inside, key id 1).
    #[cfg(test)]
    fn seal_json(&self, s: &Session) -> String {
        let json = serde_json::to_vec(s).unwrap_or_default();
        let mut blob = vec![KEY_ID_JSON];
        blob.extend(self.sealer.seal(&json, &[KEY_ID_JSON]));
        URL_SAFE_NO_PAD.encode(blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            account: "111111111111".into(),
            kind: SessionKind::Role {
                role_arn: "arn:aws:iam::111111111111:role/r".into(),
                role_name: "r".into(),
                role_id: "AROAEXAMPLE".into(),
                session_name: "s".into(),
            },
            access_key_id: "ASIAEXAMPLE".into(),
            secret: "secret".into(),
            issued: 1,
            expires: 2,
            policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            source_identity: None,
            chain_depth: 0,
            mfa: false,
            instance: None,
        }
    }

    #[test]
    fn tokens_round_trip_and_resist_tampering() {
        let key = MasterKey::random();
        let t = TokenSealer::new(&key);
        let token = t.seal(&session());
        assert_eq!(t.open(&token), Some(session()));
        let mut chars: Vec<char> = token.chars().collect();
        let mid = chars.len() / 2;
        chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
        assert_eq!(t.open(&chars.into_iter().collect::<String>()), None);
        assert_eq!(TokenSealer::new(&MasterKey::random()).open(&token), None);
        assert_eq!(t.open("not a token"), None);
    }

    /// Tokens issued before the binary encoding still open, and read the same session.
    #[test]
    fn json_tokens_of_earlier_versions_still_open() {
        let t = TokenSealer::new(&MasterKey::random());
        let mut s = session();
        s.policy = Some(r#"{"Version":"2012-10-17"}"#.into());
        s.tags = vec![("team".into(), "red".into())];
        let old = t.seal_json(&s);
        assert_eq!(t.open(&old), Some(s.clone()));
        let new = t.seal(&s);
        assert!(new.len() < old.len(), "{} vs {}", new.len(), old.len());
        assert_eq!(t.open(&new), Some(s));
    }

    fn instance(id: &str, state: crate::ec2::InstanceState, assoc: &str) -> crate::ec2::Instance {
        crate::ec2::Instance {
            id: id.into(),
            account: "222222222222".into(),
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            image_id: "ami-12345678".into(),
            instance_type: "t3.micro".into(),
            state,
            state_reason: String::new(),
            launch_time: 100,
            tags: vec![],
            iam_profile: (!assoc.is_empty()).then(|| crate::ec2::ProfileAssociation {
                association_id: assoc.into(),
                profile_arn: "arn:aws:iam::222222222222:instance-profile/p".into(),
                profile_id: "AIPAEXAMPLE".into(),
                role_name: "r".into(),
                associated_at: 100,
            }),
            metadata: Default::default(),
            private_ip: "10.0.0.1".into(),
            private_dns: "ip-10-0-0-1.ec2.internal".into(),
            reservation_id: "r-1".into(),
            key_name: None,
            client_token: None,
            launch_index: 0,
            mac: String::new(),
        }
    }

    #[test]
    fn instance_sessions_end_with_the_instance_run_and_association(
    ) -> Result<(), crate::CatalogError> {
        use crate::ec2::InstanceState::{Running, Stopped, Terminated};
        use crate::{Account, Catalog};
        let dir = tempfile::tempdir().map_err(crate::crypto::CryptoError::from)?;
        let engine = rolegate_store::RedbEngine::open(&dir.path().join("db"))?;
        let catalog = Catalog::open(std::sync::Arc::new(engine), &MasterKey::random())?;
        let mut account = Account::new("222222222222", "b", 0);
        for i in [
            instance("i-run", Running, "iip-assoc-1"),
            instance("i-stopped", Stopped, "iip-assoc-1"),
            instance("i-gone", Terminated, "iip-assoc-1"),
            instance("i-bare", Running, ""),
        ] {
            account.instances.insert(i.id.clone(), i.into());
        }
        catalog.create_account(account)?;
        let snap = catalog.snapshot();
        let binding = |id: &str, account: &str, assoc: &str, launch: i64| InstanceBinding {
            instance_id: id.into(),
            instance_arn: format!("arn:aws:ec2:us-east-1:{account}:instance/{id}"),
            instance_account: account.into(),
            association_id: assoc.into(),
            launch_time: launch,
            role_delivery: "2.0".into(),
        };
        let a = "222222222222";
        assert_eq!(
            binding("i-run", a, "iip-assoc-1", 100).check(&snap),
            InstanceCheck::Valid
        );
        // Another run, another association, no association, not running: revoked.
        assert_eq!(
            binding("i-run", a, "iip-assoc-1", 200).check(&snap),
            InstanceCheck::Revoked
        );
        assert_eq!(
            binding("i-run", a, "iip-assoc-2", 100).check(&snap),
            InstanceCheck::Revoked
        );
        assert_eq!(
            binding("i-bare", a, "iip-assoc-1", 100).check(&snap),
            InstanceCheck::Revoked
        );
        assert_eq!(
            binding("i-stopped", a, "iip-assoc-1", 100).check(&snap),
            InstanceCheck::Revoked
        );
        assert_eq!(
            binding("i-gone", a, "iip-assoc-1", 100).check(&snap),
            InstanceCheck::Revoked
        );
        // No such instance, or not in the account the session names.
        assert_eq!(
            binding("i-none", a, "iip-assoc-1", 100).check(&snap),
            InstanceCheck::Unknown
        );
        assert_eq!(
            binding("i-run", "111111111111", "iip-assoc-1", 100).check(&snap),
            InstanceCheck::Unknown
        );
        Ok(())
    }
}
