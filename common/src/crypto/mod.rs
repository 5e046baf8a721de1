//! Keys and ciphers. [`Keys`] derives from the 32-byte chunk key, with
//! BLAKE3's `derive_key`, the *id key* (keyed BLAKE3 over plaintext chunks),
//! the *metadata key* (XChaCha20-Poly1305 for config, index, snapshot,
//! reference and pack-header objects, see [`seal`]) and the chunker seed.
//! Storage knows none of them, so it can neither confirm a known plaintext
//! nor forge metadata. Pack bodies and key envelopes are age files
//! ([`age`], the only module that imports the age crate).
//!
//! - [`keyfile`]: the key file and the two halves a run needs
//!   ([`keyfile::BackupKey`] to write, [`keyfile::RestoreKey`] to read);
//! - [`envelope`]: signed break-glass key envelopes stored in the repository.

pub mod age;
pub mod envelope;
pub mod keyfile;
mod seal;

pub use keyfile::{load_identity_file, BackupKey, KeyFile, RestoreKey};
pub use seal::{SealKind, SEAL_VERSION};

use crate::id::Id;
use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::XChaCha20Poly1305;
use zeroize::Zeroizing;

const ID_KEY_CONTEXT: &str = "banana 2026-11-26 chunk id key v1";
const META_KEY_CONTEXT: &str = "banana 2026-11-26 metadata seal key v1";
const CDC_SEED_CONTEXT: &str = "banana 2026-11-26 chunker seed v1";

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

    /// The keyed id of a plaintext chunk.
    pub fn chunk_id(&self, plaintext: &[u8]) -> Id {
        Id(*blake3::keyed_hash(&self.id_key, plaintext).as_bytes())
    }

    /// Seed of the chunker's gear table, so cut points depend on the key.
    pub fn cdc_seed(&self) -> u64 {
        self.cdc_seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ids_are_keyed() {
        let a = Keys::derive(&[1u8; 32]);
        let b = Keys::derive(&[2u8; 32]);
        assert_ne!(a.chunk_id(b"same"), b.chunk_id(b"same"));
        assert_eq!(a.chunk_id(b"same"), a.chunk_id(b"same"));
    }
}
