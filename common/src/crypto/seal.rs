//! Sealed metadata objects: `version | kind | nonce | ciphertext+tag`,
//! XChaCha20-Poly1305 under the metadata key, with the object kind and the
//! repository id bound in the associated data.

use super::MetadataKey;
use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// Format byte at the start of every sealed object.
pub const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// What a sealed object is; bound into the AEAD so storage cannot move an
/// object from one role to another (an old index presented as a snapshot, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SealKind {
    /// The repository config.
    Config = 1,
    /// An index file.
    Index = 2,
    /// A snapshot.
    Snapshot = 3,
    /// A per-snapshot reference list.
    Refs = 4,
    /// The header at the end of a pack.
    PackHeader = 5,
    /// A forget record (retention).
    Forget = 6,
}

/// Seals and opens metadata objects: the metadata key, bound to one
/// repository. All a reaper holds (it never decrypts a pack).
#[derive(Clone)]
pub struct Sealer {
    meta: XChaCha20Poly1305,
    scope: [u8; 32],
}

impl Sealer {
    /// A sealer for `key`, not yet bound to a repository.
    pub fn new(key: &MetadataKey) -> Sealer {
        Sealer {
            meta: XChaCha20Poly1305::new(key.bytes().into()),
            scope: [0; 32],
        }
    }

    /// Binds every later seal and open to one repository id.
    pub fn bind(mut self, repository: &Id) -> Sealer {
        self.scope = repository.0;
        self
    }

    fn aad(&self, kind: SealKind) -> [u8; 36] {
        let mut aad = [0u8; 36];
        aad[..4].copy_from_slice(&[b'B', b'N', SEAL_VERSION, kind as u8]);
        aad[4..].copy_from_slice(&self.scope);
        aad
    }

    /// Seals `plain` as an object of `kind`.
    pub fn seal(&self, kind: SealKind, plain: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = self.aad(kind);
        let ct = self
            .meta
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            // Only a plaintext beyond 256 GiB fails; never write a hollow object.
            .map_err(|_| Error::new(ErrorKind::Other, "metadata object too large to seal"))?;
        let mut out = Vec::with_capacity(2 + NONCE_LEN + ct.len());
        out.push(SEAL_VERSION);
        out.push(kind as u8);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a sealed object, checking its kind and authenticity.
    pub fn open(&self, kind: SealKind, sealed: &[u8], what: &str) -> Result<Vec<u8>> {
        if sealed.len() < 2 + NONCE_LEN + TAG_LEN {
            return Err(Error::damaged(format!(
                "{what} is truncated ({} bytes)",
                sealed.len()
            )));
        }
        if sealed[0] != SEAL_VERSION {
            return Err(Error::new(
                ErrorKind::Damaged,
                format!("{what} has unknown format version {}", sealed[0]),
            )
            .hint("upgrade bananactl, or check the object for damage"));
        }
        if sealed[1] != kind as u8 {
            return Err(Error::damaged(format!(
                "{what} is a sealed object of another kind ({}, expected {})",
                sealed[1], kind as u8
            )));
        }
        let aad = self.aad(kind);
        let nonce = XNonce::from_slice(&sealed[2..2 + NONCE_LEN]);
        self.meta
            .decrypt(nonce, Payload { msg: &sealed[2 + NONCE_LEN..], aad: &aad })
            .map_err(|_| {
                Error::damaged(format!(
                    "{what} failed authentication: it was modified, forged, or sealed with another key"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::super::Keys;

    #[test]
    fn sealed_kind_and_key_are_bound() {
        let k = Keys::derive(&[7u8; 32]);
        let s = k.seal(SealKind::Index, b"hello").unwrap();
        assert!(k.open(SealKind::Snapshot, &s, "x").is_err());
        assert!(Keys::derive(&[8u8; 32])
            .open(SealKind::Index, &s, "x")
            .is_err());
        let mut flipped = s.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(k.open(SealKind::Index, &flipped, "x").is_err());
        assert_eq!(k.open(SealKind::Index, &s, "x").unwrap(), b"hello");
    }

    proptest! {
        #[test]
        fn open_seal_round_trip(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let k = Keys::derive(&[3u8; 32]);
            prop_assert_eq!(k.open(SealKind::Refs, &k.seal(SealKind::Refs, &data).unwrap(), "x").unwrap(), data);
        }
    }
}
