//! The only module that touches ciphers: keyed chunk ids, sealed metadata objects
//! (XChaCha20-Poly1305 under a key derived from the chunk key) and age encryption
//! of pack bodies to the repository's recipients.
//!
//! Two keys are derived from the 32-byte chunk key with BLAKE3's `derive_key`:
//! the *id key* (keyed BLAKE3 over plaintext chunks) and the *metadata key*
//! (AEAD for config, index, snapshot, reference and pack-header objects). Storage
//! knows neither, so it can neither confirm a known plaintext nor forge metadata.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::io::{Read, Seek, Write};
use zeroize::Zeroizing;

const ID_KEY_CONTEXT: &str = "banana 2026-11-26 chunk id key v1";
const META_KEY_CONTEXT: &str = "banana 2026-11-26 metadata seal key v1";
const CDC_SEED_CONTEXT: &str = "banana 2026-11-26 chunker seed v1";

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
}

/// The keys derived from a chunk key, held for one run.
pub struct Keys {
    id_key: Zeroizing<[u8; 32]>,
    meta: XChaCha20Poly1305,
    cdc_seed: u64,
    scope: [u8; 32],
}

impl Keys {
    /// Derives the id key, the metadata key and the chunker seed from the chunk key.
    pub fn derive(chunk_key: &[u8; 32]) -> Keys {
        let id_key = Zeroizing::new(blake3::derive_key(ID_KEY_CONTEXT, chunk_key));
        let meta_key = Zeroizing::new(blake3::derive_key(META_KEY_CONTEXT, chunk_key));
        let seed = blake3::derive_key(CDC_SEED_CONTEXT, chunk_key);
        let mut seed8 = [0u8; 8];
        seed8.copy_from_slice(&seed[..8]);
        Keys {
            id_key,
            meta: XChaCha20Poly1305::new(meta_key.as_ref().into()),
            cdc_seed: u64::from_le_bytes(seed8),
            scope: [0; 32],
        }
    }

    /// Binds every later seal and open to one repository id, so storage cannot
    /// move an object between two repositories that share a key. The config
    /// object itself is sealed unbound (it carries the id).
    pub fn bind(mut self, repository: &Id) -> Keys {
        self.scope = repository.0;
        self
    }

    fn aad(&self, kind: SealKind) -> [u8; 36] {
        let mut aad = [0u8; 36];
        aad[..4].copy_from_slice(&[b'B', b'N', SEAL_VERSION, kind as u8]);
        aad[4..].copy_from_slice(&self.scope);
        aad
    }

    /// The keyed id of a plaintext chunk.
    pub fn chunk_id(&self, plaintext: &[u8]) -> Id {
        Id(*blake3::keyed_hash(&self.id_key, plaintext).as_bytes())
    }

    /// Seed of the chunker's gear table, so cut points depend on the key.
    pub fn cdc_seed(&self) -> u64 {
        self.cdc_seed
    }

    /// Seals `plain` as an object of `kind`: `version | kind | nonce | ciphertext+tag`.
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

/// Encrypts a stream to age recipients: every call makes a fresh file key.
pub fn age_writer<W: Write>(
    recipients: &[age::x25519::Recipient],
    out: W,
) -> Result<age::stream::StreamWriter<W>> {
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| Error::new(ErrorKind::Other, format!("age: cannot encrypt: {e}")))?;
    enc.wrap_output(out)
        .map_err(|e| Error::io("age encryption", e))
}

/// Opens an age stream with the given identities. The reader is seekable when
/// the input is, so a restore reads only the part of a pack it needs.
pub fn age_reader<R: Read + Seek>(
    identities: &[age::x25519::Identity],
    input: R,
    what: &str,
) -> Result<age::stream::StreamReader<R>> {
    let dec = age::Decryptor::new(input)
        .map_err(|e| Error::damaged(format!("{what}: not a valid age file: {e}")))?;
    dec.decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => Error::new(
                ErrorKind::WrongKey,
                format!("{what}: none of the identities in the key can decrypt it"),
            )
            .hint("use the key that was used at backup time, or a break-glass identity"),
            e => Error::damaged(format!("{what}: cannot decrypt: {e}")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chunk_ids_are_keyed() {
        let a = Keys::derive(&[1u8; 32]);
        let b = Keys::derive(&[2u8; 32]);
        assert_ne!(a.chunk_id(b"same"), b.chunk_id(b"same"));
        assert_eq!(a.chunk_id(b"same"), a.chunk_id(b"same"));
    }

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
