//! Signing-key derivation, a small cache of derived keys, and HMAC helpers.
//!
//! Deriving a signing key costs four HMACs; a busy key signs thousands of requests a day with
//! the same (date, region, service), so the verifier keeps recent keys. The cache is keyed by
//! the secret and the scope, never by the access key id alone, so a secret that changes under
//! the same id (or a caller passing the wrong one) can never hit a stale entry.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    #[allow(clippy::expect_used)]
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A derived SigV4 signing key (`kSigning`). Its `Debug` output is redacted.
///
/// It also holds the HMAC state with the key already absorbed (the inner and outer pad
/// blocks), so that each signature costs two SHA-256 compressions fewer: a cached key signs
/// every request of its caller for the day.
#[derive(Clone)]
pub struct SigningKey {
    bytes: [u8; 32],
    mac: Hmac<Sha256>,
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for SigningKey {}

impl SigningKey {
    /// Derives `kSigning` for a secret and a scope (date `YYYYMMDD`, region, service).
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let mut k_secret = Vec::with_capacity(secret.len() + 4);
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret.as_bytes());
        let k_date = hmac_sha256(&k_secret, date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        SigningKey::from_bytes(hmac_sha256(&k_service, b"aws4_request"))
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        #[allow(clippy::expect_used)]
        let mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&bytes).expect("HMAC accepts keys of any length");
        SigningKey { bytes, mac }
    }

    /// A fresh HMAC under this key, to feed a string to sign into piece by piece.
    pub(crate) fn mac(&self) -> Hmac<Sha256> {
        self.mac.clone()
    }

    /// Lowercase hex HMAC-SHA256 of `string_to_sign`: a signature.
    pub fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = self.mac();
        mac.update(string_to_sign.as_bytes());
        crate::canonical::hex_lower(&mac.finalize().into_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

type Entries = HashMap<Box<[u8]>, SigningKey, foldhash::fast::RandomState>;

/// A bounded, thread-safe cache of signing keys.
pub struct SigningKeyCache {
    entries: Mutex<Entries>,
    capacity: usize,
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        SigningKeyCache {
            entries: Mutex::new(HashMap::default()),
            capacity: capacity.max(1),
        }
    }

    /// The signing key for (secret, date, region, service), derived once and then reused.
    pub fn get(&self, secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
        let mut stack = [0u8; 160];
        let id = cache_id(&mut stack, secret, date, region, service);
        if let Some(k) = self.lock().get(&*id) {
            return k.clone();
        }
        // Derive outside the lock: two threads may both derive, which is harmless.
        let key = SigningKey::derive(secret, date, region, service);
        let mut map = self.lock();
        if map.len() >= self.capacity {
            // Any victim will do: entries are cheap to re-derive, and old dates die out.
            if let Some(victim) = map.keys().next().cloned() {
                map.remove(&victim);
            }
        }
        map.insert(id.into(), key.clone());
        key
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the map inconsistent (every update is a
        // single insert or remove), so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        SigningKeyCache::new(1024)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// The cache's key: the secret and the scope, each prefixed with its length so that no two
/// tuples share an encoding. The secret itself is the key, compared in full on a hit, so a
/// secret that changes under the same access key id never meets a stale entry. (A SHA-256 of
/// these used to be the key: two compressions per request, more than the lookup itself.)
/// Written into `stack` when it fits, as it does for every AWS secret and scope.
fn cache_id<'b>(
    stack: &'b mut [u8],
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> std::borrow::Cow<'b, [u8]> {
    let parts = [secret, date, region, service];
    let len: usize = parts.iter().map(|p| p.len() + 8).sum();
    let mut heap = Vec::new();
    let buf: &mut [u8] = match stack.get_mut(..len) {
        Some(b) => b,
        None => {
            heap.resize(len, 0);
            &mut heap
        }
    };
    let mut at = 0;
    for part in parts {
        buf[at..at + 8].copy_from_slice(&(part.len() as u64).to_be_bytes());
        buf[at + 8..at + 8 + part.len()].copy_from_slice(part.as_bytes());
        at += 8 + part.len();
    }
    if heap.is_empty() {
        std::borrow::Cow::Borrowed(&stack[..len])
    } else {
        std::borrow::Cow::Owned(heap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_key() {
        // AWS's documented example: the signing key for this scope, in hex.
        let k = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(k.bytes),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(format!("{k:?}"), "SigningKey(..)");
    }

    #[test]
    fn cache_reuses_and_bounds() {
        let c = SigningKeyCache::new(2);
        let a = c.get("s", "20150830", "us-east-1", "iam");
        assert_eq!(a, c.get("s", "20150830", "us-east-1", "iam"));
        assert_eq!(c.len(), 1);
        let b = c.get("other", "20150830", "us-east-1", "iam");
        assert_ne!(a, b);
        c.get("s", "20150831", "us-east-1", "iam");
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn cache_keys_are_the_whole_tuple() {
        let c = SigningKeyCache::new(8);
        // The same bytes split differently are different keys.
        let a = c.get("ab", "20150830", "us-east-1", "iam");
        let b = c.get("a", "b20150830", "us-east-1", "iam");
        assert_ne!(a, b);
        // A secret too long for the stack buffer is keyed (and found again) all the same.
        let long = "k".repeat(400);
        let l = c.get(&long, "20150830", "us-east-1", "iam");
        assert_eq!(l, SigningKey::derive(&long, "20150830", "us-east-1", "iam"));
        assert_eq!(l, c.get(&long, "20150830", "us-east-1", "iam"));
        assert_eq!(c.len(), 3);
    }
}
