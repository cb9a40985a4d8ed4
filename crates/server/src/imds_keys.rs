//! The two secrets of the instance metadata service, both derived from the data directory's
//! master key:
//!
//! - the endpoint capability. IMDS has no signature: on AWS only the instance can reach
//!   169.254.169.254. Here every instance's metadata is served under
//!   `/_rolegate/imds/<instance-id>.<tag>/`, where the tag authenticates the instance id
//!   (AES-GCM with an empty message, i.e. GMAC, under a purpose-derived key), so knowing or
//!   guessing an instance id gives nothing; `rolegate exec` computes one from the master key.
//! - IMDSv2 session tokens: sealed (instance id, launch time, expiry), so a token works for one
//!   instance, for one run of it, and for its TTL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rolegate_core::crypto::{MasterKey, Sealer};
use serde::{Deserialize, Serialize};

/// The path prefix every instance's metadata service lives under.
pub(crate) const IMDS_PREFIX: &str = "/_rolegate/imds/";

const CAPABILITY_AAD: &str = "rolegate imds endpoint:";
const TOKEN_AAD: &[u8] = b"rolegate imds token";

#[derive(Clone)]
pub(crate) struct ImdsKeys {
    endpoints: Sealer,
    tokens: Sealer,
}

#[derive(Serialize, Deserialize)]
struct TokenBody {
    /// Instance id.
    i: String,
    /// The instance's launch time when the token was issued.
    l: i64,
    /// Expiry (epoch seconds).
    e: i64,
}

impl ImdsKeys {
    pub(crate) fn new(master: &MasterKey) -> ImdsKeys {
        ImdsKeys {
            endpoints: master.derive("rolegate imds endpoint v1"),
            tokens: master.derive("rolegate imds tokens v1"),
        }
    }

    /// `<instance-id>.<tag>`: the path segment that names an instance to its metadata service.
    pub(crate) fn capability(&self, instance_id: &str) -> String {
        let aad = format!("{CAPABILITY_AAD}{instance_id}");
        let tag = self.endpoints.seal(b"", aad.as_bytes());
        format!("{instance_id}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The instance id a capability names, if we made it.
    pub(crate) fn open_capability(&self, capability: &str) -> Option<String> {
        let (id, tag) = capability.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let aad = format!("{CAPABILITY_AAD}{id}");
        let plain = self.endpoints.open(&tag, aad.as_bytes()).ok()?;
        plain.is_empty().then(|| id.to_owned())
    }

    /// An IMDSv2 session token for one run of an instance.
    pub(crate) fn token(&self, instance_id: &str, launch_time: i64, expires: i64) -> String {
        let body = TokenBody {
            i: instance_id.to_owned(),
            l: launch_time,
            e: expires,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(self.tokens.seal(&json, TOKEN_AAD))
    }

    /// The seconds a token has left, if it is valid for this run of this instance.
    pub(crate) fn check_token(
        &self,
        token: &str,
        instance_id: &str,
        launch_time: i64,
        now: i64,
    ) -> Option<i64> {
        let sealed = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        let json = self.tokens.open(&sealed, TOKEN_AAD).ok()?;
        let body: TokenBody = serde_json::from_slice(&json).ok()?;
        (body.i == instance_id && body.l == launch_time && body.e > now).then_some(body.e - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_name_one_instance_and_cannot_be_forged() {
        let keys = ImdsKeys::new(&MasterKey::random());
        let cap = keys.capability("i-0123456789abcdef0");
        assert!(cap.starts_with("i-0123456789abcdef0."));
        assert_eq!(
            keys.open_capability(&cap).as_deref(),
            Some("i-0123456789abcdef0")
        );
        // The tag of one instance does not name another.
        let (_, tag) = cap.split_once('.').unwrap_or_default();
        assert_eq!(
            keys.open_capability(&format!("i-0123456789abcdef1.{tag}")),
            None
        );
        // Another data directory's key, a bare id, garbage: nothing.
        let other = ImdsKeys::new(&MasterKey::random());
        assert_eq!(other.open_capability(&cap), None);
        assert_eq!(keys.open_capability("i-0123456789abcdef0"), None);
        assert_eq!(keys.open_capability("i-0123456789abcdef0.AAAA"), None);
        assert_eq!(keys.open_capability(".."), None);
    }

    #[test]
    fn tokens_are_bound_to_instance_run_and_time() {
        let keys = ImdsKeys::new(&MasterKey::random());
        let t = keys.token("i-1", 100, 1_000);
        assert_eq!(keys.check_token(&t, "i-1", 100, 400), Some(600));
        assert_eq!(keys.check_token(&t, "i-2", 100, 400), None);
        assert_eq!(keys.check_token(&t, "i-1", 200, 400), None);
        assert_eq!(keys.check_token(&t, "i-1", 100, 1_000), None);
        assert_eq!(keys.check_token("garbage", "i-1", 100, 400), None);
        let other = ImdsKeys::new(&MasterKey::random());
        assert_eq!(other.check_token(&t, "i-1", 100, 400), None);
    }
}
