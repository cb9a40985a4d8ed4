//! The master key and authenticated encryption (AES-256-GCM) for everything sealed: account
//! rows at rest (they hold secret keys) and session tokens.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// A 256-bit key, with purpose-specific subkeys derived from it.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("master key file: {0}")]
    Io(#[from] std::io::Error),
    #[error("master key file {0} is not 32 bytes")]
    BadKeyFile(String),
    #[error("sealed data is corrupt or was sealed under another key")]
    Open,
}

impl MasterKey {
    /// Reads the key file, or creates it (mode 0600) with a fresh random key.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, CryptoError> {
        if path.exists() {
            let bytes = std::fs::read(path)?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| CryptoError::BadKeyFile(path.display().to_string()))?;
            return Ok(MasterKey { key });
        }
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path)?;
        f.write_all(&key)?;
        f.sync_all()?;
        Ok(MasterKey { key })
    }

    /// A key for tests and tools that need no persistence.
    pub fn random() -> MasterKey {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        MasterKey { key }
    }

    /// A subkey for one purpose, so one use of the master key never meets another's.
    pub fn derive(&self, purpose: &str) -> Sealer {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(purpose.as_bytes());
        let k: [u8; 32] = h.finalize().into();
        Sealer {
            cipher: Aes256Gcm::new(&k.into()),
        }
    }
}

/// Seals and opens blobs: nonce (12 bytes) followed by ciphertext and tag.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                aes_gcm::aead::Payload {
                    msg: plaintext,
                    aad,
                },
            )
            // AES-GCM encryption only fails for inputs beyond 64 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 12 + 16 {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = sealed.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                aes_gcm::aead::Payload { msg: ct, aad },
            )
            .map_err(|_| CryptoError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let k = MasterKey::random().derive("test");
        let s = k.seal(b"secret", b"aad");
        assert_eq!(k.open(&s, b"aad").ok(), Some(b"secret".to_vec()));
        assert!(k.open(&s, b"other").is_err());
        let mut t = s.clone();
        if let Some(b) = t.last_mut() {
            *b ^= 1;
        }
        assert!(k.open(&t, b"aad").is_err());
        assert!(MasterKey::random().derive("test").open(&s, b"aad").is_err());
    }

    #[test]
    fn key_file_is_created_then_reused() -> Result<(), CryptoError> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("master.key");
        let a = MasterKey::load_or_create(&p)?;
        let b = MasterKey::load_or_create(&p)?;
        assert_eq!(a.key, b.key);
        Ok(())
    }
}
