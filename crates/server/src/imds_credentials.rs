//! The role credentials an instance's metadata service hands out: a real STS role session of
//! the instance profile's role (session name = instance id, so `aws:userid` is
//! `ROLEID:INSTANCEID`), sealed like an AssumeRole session and bound to the instance (see
//! `rolegate_core::session::InstanceBinding`).
//!
//! As on AWS, the same credentials are served until they near their expiry, then replaced by
//! new ones well before the old ones expire, so a client refreshing at any point always gets
//! credentials with plenty of life left. The cache is per process: after a restart new
//! credentials are issued, and the old ones keep working until they expire.

use parking_lot::Mutex;
use rolegate_core::ec2::Instance;
use rolegate_core::ids::{access_key_id, secret_access_key};
use rolegate_core::model::Role;
use rolegate_core::session::{InstanceBinding, Session, SessionKind, TokenSealer};
use std::collections::HashMap;

/// How long instance credentials live (AWS issues about six hours).
pub(crate) const LIFETIME: i64 = 6 * 3600;
/// Replace credentials that have less than this left (AWS rotates well before expiry).
pub(crate) const REFRESH_BEFORE: i64 = 3600;
/// Bounds the cache (one entry per instance and delivery version).
const MAX_ENTRIES: usize = 65_536;

/// Credentials as the metadata service serves them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Issued {
    pub(crate) access_key_id: String,
    pub(crate) secret: String,
    pub(crate) token: String,
    pub(crate) issued: i64,
    pub(crate) expires: i64,
    binding: InstanceBinding,
    role_id: String,
}

#[derive(Default)]
pub(crate) struct CredentialCache {
    issued: Mutex<HashMap<(String, bool), Issued>>,
}

impl CredentialCache {
    /// The current credentials of `instance` for `role`, issuing new ones when there are none
    /// that still fit (another run, another association, another role, too close to expiry).
    pub(crate) fn get(
        &self,
        tokens: &TokenSealer,
        instance: &Instance,
        association_id: &str,
        role: &Role,
        v2: bool,
        now: i64,
    ) -> Issued {
        let binding = InstanceBinding {
            instance_id: instance.id.clone(),
            instance_arn: instance.arn(),
            instance_account: instance.account.clone(),
            association_id: association_id.to_owned(),
            launch_time: instance.launch_time,
            role_delivery: if v2 { "2.0" } else { "1.0" }.to_owned(),
        };
        let key = (instance.id.clone(), v2);
        let mut map = self.issued.lock();
        if let Some(current) = map.get(&key) {
            if current.binding == binding
                && current.role_id == role.id
                && current.expires - now >= REFRESH_BEFORE
                && current.issued <= now
            {
                return current.clone();
            }
        }
        let session = Session {
            account: instance.account.clone(),
            kind: SessionKind::Role {
                role_arn: role.arn.clone(),
                role_name: role.name.clone(),
                role_id: role.id.clone(),
                session_name: instance.id.clone(),
            },
            access_key_id: access_key_id("ASIA", &instance.account),
            secret: secret_access_key(),
            issued: now,
            expires: now + LIFETIME,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            chain_depth: 0,
            mfa: false,
            instance: Some(binding.clone()),
        };
        let issued = Issued {
            token: tokens.seal(&session),
            access_key_id: session.access_key_id,
            secret: session.secret,
            issued: now,
            expires: session.expires,
            binding,
            role_id: role.id.clone(),
        };
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, issued.clone());
        issued
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rolegate_core::crypto::MasterKey;
    use rolegate_core::ec2::{InstanceState, MetadataOptions};
    use rolegate_core::PolicyDoc;
    use rolegate_policy::PolicyKind;

    fn role(id: &str) -> Role {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        Role {
            name: "AppRole".into(),
            path: "/".into(),
            id: id.into(),
            arn: "arn:aws:iam::222222222222:role/AppRole".into(),
            created: 0,
            trust: PolicyDoc::new(trust, PolicyKind::Trust).unwrap(),
            description: None,
            max_session_duration: 3600,
            tags: vec![],
            inline: Default::default(),
            attached: vec![],
            boundary: None,
            last_used: None,
        }
    }

    fn instance() -> Instance {
        Instance {
            id: "i-0123456789abcdef0".into(),
            account: "222222222222".into(),
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            image_id: "ami-12345678".into(),
            instance_type: "t3.micro".into(),
            state: InstanceState::Running,
            state_reason: String::new(),
            launch_time: 1_000,
            tags: vec![],
            iam_profile: None,
            metadata: MetadataOptions::default(),
            private_ip: "10.0.0.5".into(),
            private_dns: "ip-10-0-0-5.ec2.internal".into(),
            reservation_id: "r-0123456789abcdef0".into(),
            key_name: None,
            client_token: None,
            launch_index: 0,
            mac: "0e:00:00:00:00:01".into(),
        }
    }

    #[test]
    fn credentials_are_reused_then_rotated_well_before_expiry() {
        let sealer = TokenSealer::new(&MasterKey::random());
        let cache = CredentialCache::default();
        let (i, r) = (instance(), role("AROAEXAMPLE"));
        let first = cache.get(&sealer, &i, "iip-assoc-1", &r, true, 10_000);
        assert_eq!(first.expires, 10_000 + LIFETIME);
        let session = sealer.open(&first.token).unwrap();
        assert_eq!(session.instance.as_ref().unwrap().role_delivery, "2.0");
        assert!(
            matches!(session.kind, SessionKind::Role { ref session_name, .. } if session_name == &i.id)
        );
        // The same credentials while they have more than REFRESH_BEFORE left...
        let later = 10_000 + LIFETIME - REFRESH_BEFORE;
        assert_eq!(
            cache.get(&sealer, &i, "iip-assoc-1", &r, true, later),
            first
        );
        // ...new ones after, long before the old ones expire.
        let next = cache.get(&sealer, &i, "iip-assoc-1", &r, true, later + 1);
        assert_ne!(next.access_key_id, first.access_key_id);
        assert!(later + 1 < first.expires);
        assert_eq!(next.expires, later + 1 + LIFETIME);
        // IMDSv1 delivery, another association, another role, another run: other credentials.
        let v1 = cache.get(&sealer, &i, "iip-assoc-1", &r, false, later + 2);
        assert_ne!(v1.access_key_id, next.access_key_id);
        assert_eq!(
            sealer
                .open(&v1.token)
                .unwrap()
                .instance
                .unwrap()
                .role_delivery,
            "1.0"
        );
        let other = cache.get(&sealer, &i, "iip-assoc-2", &r, true, later + 3);
        assert_ne!(other.access_key_id, next.access_key_id);
        let recreated = cache.get(
            &sealer,
            &i,
            "iip-assoc-2",
            &role("AROAOTHER"),
            true,
            later + 4,
        );
        assert_ne!(recreated.access_key_id, other.access_key_id);
        let mut restarted = instance();
        restarted.launch_time = 2_000;
        let run2 = cache.get(
            &sealer,
            &restarted,
            "iip-assoc-2",
            &role("AROAOTHER"),
            true,
            later + 5,
        );
        assert_ne!(run2.access_key_id, recreated.access_key_id);
    }
}
