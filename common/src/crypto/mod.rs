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
pub use seal::{SealKind, Sealer, SEAL_VERSION};

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use zeroize::Zeroizing;

const ID_KEY_CONTEXT: &str = "banana 2026-11-26 chunk id key v1";
const META_KEY_CONTEXT: &str = "banana 2026-11-26 metadata seal key v1";
const CDC_SEED_CONTEXT: &str = "banana 2026-11-26 chunker seed v1";

/// The metadata key alone (§3.1): opens and seals config, index files,
/// snapshots, reference lists, pack headers and forget records, and nothing
/// else: it derives neither blob ids nor any age identity. What a reaper
/// holds (`nodes/N/reaper` in Vault).
#[derive(Clone)]
pub struct MetadataKey(Zeroizing<[u8; 32]>);

impl MetadataKey {
    /// The metadata key of a chunk key.
    pub fn derive(chunk_key: &[u8; 32]) -> MetadataKey {
        MetadataKey(Zeroizing::new(blake3::derive_key(
            META_KEY_CONTEXT,
            chunk_key,
        )))
    }

    /// From 64 hex characters (as kept in Vault).
    pub fn from_hex(text: &str) -> Result<MetadataKey> {
        let bad = || {
            Error::new(ErrorKind::BadInput, "metadata_key is not 64 hex characters")
                .hint("write it again with 'bananadm node reaper NODE'")
        };
        let bytes = hex::decode(text.trim()).map_err(|_| bad())?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        Ok(MetadataKey(Zeroizing::new(arr)))
    }

    /// 64 hex characters (a secret: only for Vault).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for MetadataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetadataKey(<redacted>)")
    }
}

/// The keys derived from a chunk key, held for one run.
pub struct Keys {
    id_key: Zeroizing<[u8; 32]>,
    sealer: Sealer,
    cdc_seed: u64,
}

impl Keys {
    /// Derives the id key, the metadata key and the chunker seed from the chunk key.
    pub fn derive(chunk_key: &[u8; 32]) -> Keys {
        let id_key = Zeroizing::new(blake3::derive_key(ID_KEY_CONTEXT, chunk_key));
        let seed = blake3::derive_key(CDC_SEED_CONTEXT, chunk_key);
        let mut seed8 = [0u8; 8];
        seed8.copy_from_slice(&seed[..8]);
        Keys {
            id_key,
            sealer: Sealer::new(&MetadataKey::derive(chunk_key)),
            cdc_seed: u64::from_le_bytes(seed8),
        }
    }

    /// Binds every later seal and open to one repository id, so storage cannot
    /// move an object between two repositories that share a key. The config
    /// object itself is sealed unbound (it carries the id).
    pub fn bind(mut self, repository: &Id) -> Keys {
        self.sealer = self.sealer.bind(repository);
        self
    }

    /// The metadata half: seals and opens metadata objects.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// Seals `plain` as an object of `kind`.
    pub fn seal(&self, kind: SealKind, plain: &[u8]) -> Result<Vec<u8>> {
        self.sealer.seal(kind, plain)
    }

    /// Opens a sealed object, checking its kind and authenticity.
    pub fn open(&self, kind: SealKind, sealed: &[u8], what: &str) -> Result<Vec<u8>> {
        self.sealer.open(kind, sealed, what)
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
