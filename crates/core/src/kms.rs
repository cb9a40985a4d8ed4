//! KMS keys as an account holds them, and the cryptography behind them.
//!
//! Each key owns a random 256-bit secret, stored in the account row (which the catalog seals at
//! rest with the master key). Ciphertext blobs are self-describing, so Decrypt needs no KeyId:
//!
//! ```text
//! version (1) | account id (12 ASCII digits) | key id (16 bytes of the UUID) | nonce (12) | AES-256-GCM ciphertext and tag
//! ```
//!
//! The header and the canonical encryption context are the authenticated data: a blob moved to
//! another key, a changed header, a flipped bit or another encryption context all fail to open.

use crate::doc::PolicyDoc;
use crate::model::Tag;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

const BLOB_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 12 + 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The states rolegate models (AWS also has Creating, PendingImport... for other key kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KmsKeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KmsKeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KmsKeyState::Enabled => "Enabled",
            KmsKeyState::Disabled => "Disabled",
            KmsKeyState::PendingDeletion => "PendingDeletion",
        }
    }
}

/// A key's secret: never printed, serialized as base64 inside the sealed account row.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial([u8; 32]);

impl KeyMaterial {
    pub fn random() -> KeyMaterial {
        let mut k = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut k);
        KeyMaterial(k)
    }
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(..)")
    }
}

impl Serialize for KeyMaterial {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for KeyMaterial {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyMaterial, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("key material is not 32 bytes"))?;
        Ok(KeyMaterial(key))
    }
}

/// One customer managed symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KmsKey {
    /// The key id: a UUID.
    pub id: String,
    pub arn: String,
    pub region: String,
    pub created: i64,
    #[serde(default)]
    pub description: String,
    pub state: KmsKeyState,
    /// When a key pending deletion is deleted.
    #[serde(default)]
    pub deletion_date: Option<i64>,
    /// The key policy (its only policy, named `default`).
    pub policy: PolicyDoc,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub material: KeyMaterial,
}

/// Why a blob did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the ciphertext is invalid for this key and encryption context")]
pub struct InvalidCiphertext;

/// The key a ciphertext blob names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobKey {
    pub account: String,
    pub key_id: String,
}

/// `arn:aws:kms:<region>:<account>:key/<id>`.
pub fn key_arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{id}")
}

/// `arn:aws:kms:<region>:<account>:alias/<name>` (`name` given with its `alias/` prefix).
pub fn alias_arn(region: &str, account: &str, alias_name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{alias_name}")
}

/// The key policy KMS gives a key created without one: the account root, which "enables IAM
/// policies". Formatted as AWS returns it from GetKeyPolicy.
pub fn default_key_policy(account: &str) -> String {
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#
    )
}

/// A random (version 4) UUID, as KMS key ids are.
pub fn new_key_id() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    crate::ids::uuid_text(&b)
}

/// The 16 bytes of a UUID in its 8-4-4-4-12 form (either case), or `None`.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s.as_bytes();
    if s.len() != 36 || [8, 13, 18, 23].iter().any(|&i| s[i] != b'-') {
        return None;
    }
    let mut digits = s.iter().filter(|&&c| c != b'-');
    let mut out = [0u8; 16];
    for byte in &mut out {
        let hi = hex_value(*digits.next()?)?;
        let lo = hex_value(*digits.next()?)?;
        *byte = hi << 4 | lo;
    }
    // Exactly 32 digits: a stray '-' elsewhere would leave one short or one over.
    digits.next().is_none().then_some(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The encryption context as authenticated data: pairs sorted by key, each string length-prefixed
/// so that no two contexts share an encoding.
fn canonical_context(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in context {
        for s in [k, v] {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}

/// Reads the key named by a blob; `None` when it is not one of ours.
pub fn blob_key(blob: &[u8]) -> Option<BlobKey> {
    if blob.len() < HEADER_LEN + NONCE_LEN + TAG_LEN || blob[0] != BLOB_VERSION {
        return None;
    }
    let account = std::str::from_utf8(&blob[1..13]).ok()?;
    if !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: [u8; 16] = blob[13..HEADER_LEN].try_into().ok()?;
    Some(BlobKey {
        account: account.to_owned(),
        key_id: crate::ids::uuid_text(&id),
    })
}

impl KmsKey {
    /// Whether the key is gone: its deletion date has passed.
    pub fn is_deleted(&self, now: i64) -> bool {
        self.state == KmsKeyState::PendingDeletion && self.deletion_date.is_some_and(|d| d <= now)
    }

    /// The account that owns the key (from its ARN).
    pub fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }

    fn header(&self) -> Option<[u8; HEADER_LEN]> {
        let account = self.account().as_bytes();
        if account.len() != 12 {
            return None;
        }
        let id = parse_uuid(&self.id)?;
        let mut h = [0u8; HEADER_LEN];
        h[0] = BLOB_VERSION;
        h[1..13].copy_from_slice(account);
        h[13..].copy_from_slice(&id);
        Some(h)
    }

    fn aad(header: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
        let mut aad = header.to_vec();
        aad.extend_from_slice(&canonical_context(context));
        aad
    }

    /// Encrypts under this key, binding the encryption context.
    pub fn encrypt(&self, plaintext: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
        // The id and ARN are ours; a header that cannot be made is a corrupt row.
        let Some(header) = self.header() else {
            return Vec::new();
        };
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(&self.material.0.into());
        let aad = KmsKey::aad(&header, context);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // AES-GCM encryption only fails for inputs beyond 64 GiB (KMS takes 4 KiB).
            .unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ct.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a blob made by [`KmsKey::encrypt`] with the same key and context.
    pub fn decrypt(
        &self,
        blob: &[u8],
        context: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, InvalidCiphertext> {
        let header = self.header().ok_or(InvalidCiphertext)?;
        if blob.len() < HEADER_LEN + NONCE_LEN + TAG_LEN || blob[..HEADER_LEN] != header {
            return Err(InvalidCiphertext);
        }
        let (nonce, ct) = blob[HEADER_LEN..].split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(&self.material.0.into());
        let aad = KmsKey::aad(&header, context);
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| InvalidCiphertext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_policy::PolicyKind;

    fn key(account: &str) -> KmsKey {
        let id = new_key_id();
        KmsKey {
            arn: key_arn("us-east-1", account, &id),
            id,
            region: "us-east-1".into(),
            created: 0,
            description: String::new(),
            state: KmsKeyState::Enabled,
            deletion_date: None,
            policy: PolicyDoc::new(&default_key_policy(account), PolicyKind::Resource)
                .unwrap_or_else(|e| panic!("default policy: {}", e.message())),
            tags: Vec::new(),
            material: KeyMaterial::random(),
        }
    }

    fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn uuids_round_trip() {
        let id = new_key_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_eq!(parse_uuid(&id).map(|b| crate::ids::uuid_text(&b)), Some(id));
        assert!(parse_uuid("not-a-uuid").is_none());
        assert!(parse_uuid("1234abcd-12ab-34cd-56ef-1234567890aX").is_none());
        assert_eq!(
            parse_uuid("1234ABCD-12ab-34cd-56EF-1234567890ab").map(|b| crate::ids::uuid_text(&b)),
            Some("1234abcd-12ab-34cd-56ef-1234567890ab".to_owned())
        );
        for bad in [
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "1234abcd-12ab-34cd-56ef-1234567890abc",
            "1234abcd012ab-34cd-56ef-1234567890ab",
            "1234abc--12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890-b",
            "1234abcd-12ab-34cd-56ef-1234567890+b",
        ] {
            assert!(parse_uuid(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn blobs_name_their_key_and_bind_the_context() {
        let k = key("111111111111");
        let c = ctx(&[("purpose", "test"), ("dept", "it")]);
        let blob = k.encrypt(b"secret", &c);
        assert_eq!(
            blob_key(&blob),
            Some(BlobKey {
                account: "111111111111".into(),
                key_id: k.id.clone()
            })
        );
        assert_eq!(k.decrypt(&blob, &c), Ok(b"secret".to_vec()));
        // Another context, a missing one, another key, a flipped bit: all invalid.
        assert_eq!(
            k.decrypt(&blob, &ctx(&[("purpose", "test")])),
            Err(InvalidCiphertext)
        );
        assert_eq!(k.decrypt(&blob, &BTreeMap::new()), Err(InvalidCiphertext));
        assert_eq!(
            key("111111111111").decrypt(&blob, &c),
            Err(InvalidCiphertext)
        );
        for i in [0, 5, 20, HEADER_LEN + 3, blob.len() - 1] {
            let mut t = blob.clone();
            t[i] ^= 1;
            assert_eq!(k.decrypt(&t, &c), Err(InvalidCiphertext), "byte {i}");
        }
        // Pairs cannot be re-split: {"ab":"c"} is not {"a":"bc"}.
        let b2 = k.encrypt(b"x", &ctx(&[("ab", "c")]));
        assert_eq!(k.decrypt(&b2, &ctx(&[("a", "bc")])), Err(InvalidCiphertext));
        assert!(blob_key(b"short").is_none());
    }

    #[test]
    fn material_is_base64_in_rows_and_never_printed() {
        let k = key("111111111111");
        let json = serde_json::to_string(&k).unwrap_or_default();
        let back: KmsKey = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.material, k.material);
        assert!(!format!("{k:?}").contains(&STANDARD.encode(k.material.0)));
        assert!(!k.is_deleted(0));
    }
}
