//! Encryption at rest of the Xero token set: AES-256-GCM under `SRM_XERO_TOKEN_KEY`, a fresh
//! random 96-bit nonce per encryption, stored as `nonce || ciphertext+tag`. The associated data
//! names what the blob is, so a blob cannot be moved to another column and still decrypt.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::config::{TokenKey, random_bytes};

const NONCE_LEN: usize = 12;

/// Why a blob did not decrypt (wrong key, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the stored Xero tokens cannot be decrypted with SRM_XERO_TOKEN_KEY (wrong key or damaged)"
)]
pub struct DecryptError;

/// Seals and opens blobs with the token key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([REDACTED])")
    }
}

impl Sealer {
    /// A sealer for `key`.
    pub fn new(key: &TokenKey) -> Self {
        Sealer {
            cipher: Aes256Gcm::new(key.bytes().into()),
        }
    }

    /// Encrypts `plain`, bound to `purpose`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<NONCE_LEN>();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: purpose.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any message of this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what [`Sealer::seal`] made for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| DecryptError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_blob_opens_with_the_same_key_and_purpose_only() {
        let sealer = Sealer::new(&TokenKey::new([7; 32]));
        let blob = sealer.seal("tokens", b"refresh-token-123");
        assert!(!blob.windows(7).any(|w| w == b"refresh"));
        assert_eq!(sealer.open("tokens", &blob).unwrap(), b"refresh-token-123");
        assert_eq!(sealer.open("other", &blob), Err(DecryptError));
        let other = Sealer::new(&TokenKey::new([8; 32]));
        assert_eq!(other.open("tokens", &blob), Err(DecryptError));
        assert_ne!(sealer.seal("tokens", b"x"), sealer.seal("tokens", b"x"));
    }
}
