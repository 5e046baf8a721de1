//! A repository: a backend plus the keys that open it. Loads the config, the
//! index and snapshots; stores and authenticates sealed objects. Blobs are
//! read through [`BlobReader`] (needs the restore half), packs are built and
//! parsed by [`pack`], and [`index`] is the in-memory map of every blob.

pub mod groups;
pub mod index;
pub mod marks;
pub mod pack;
mod reader;
mod store;
pub mod walk;

pub use index::{Index, LoadedIndex};
pub use marks::{FileMarks, Marks};
pub use reader::BlobReader;
pub use store::Store;
pub use walk::{deep, Limits};

use crate::backend::{Backend, Kind};
use crate::crypto::keyfile::BackupKey;
use crate::crypto::{Keys, MetadataKey, SealKind};
use crate::error::{Error, ErrorKind, Result};
use crate::format::chunker::ChunkerParams;
use crate::format::codec::Codec;
use crate::format::{to_cbor, Config, Forget, FORMAT_VERSION};
use crate::id::Id;

/// Parameters chosen at `init`.
#[derive(Debug, Clone)]
pub struct RepoOptions {
    /// Chunk size bounds.
    pub chunker: ChunkerParams,
    /// Target pack size in bytes.
    pub pack_size: u32,
    /// The default codec for new chunks.
    pub codec: Codec,
}

impl Default for RepoOptions {
    fn default() -> Self {
        RepoOptions {
            chunker: ChunkerParams::default(),
            pack_size: 16 << 20,
            codec: Codec::default(),
        }
    }
}

/// An opened repository: its [`Store`] (config and sealed objects, which
/// is all the metadata key opens) plus the chunk key's other keys and the
/// recipients, which writing packs needs. Everything of [`Store`] is
/// reached through it (`Deref`).
pub struct Repository {
    store: Store,
    keys: Keys,
    key: BackupKey,
}

impl std::ops::Deref for Repository {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl Repository {
    /// Creates a repository in an empty location.
    pub fn init(
        backend: Box<dyn Backend>,
        key: &BackupKey,
        opts: &RepoOptions,
    ) -> Result<Repository> {
        if !opts.chunker.is_valid() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("invalid chunker bounds {:?}", opts.chunker),
            ));
        }
        let keys = Keys::derive(&key.chunk_key);
        let config = Config {
            version: FORMAT_VERSION,
            id: Id(rand::random()),
            chunker: opts.chunker,
            pack_size: opts.pack_size.clamp(64 << 10, 1 << 30),
            compression: 0,
            created: crate::unix_now(),
            codec: Some(opts.codec.to_string()),
        };
        backend.create()?;
        let sealed = keys.seal(SealKind::Config, &to_cbor(&config))?;
        backend.write(Kind::Config, "config", &sealed)?;
        let keys = keys.bind(&config.id);
        Ok(Repository {
            store: Store::new(backend, keys.sealer().clone(), (config, sealed)),
            keys,
            key: key.clone(),
        })
    }

    /// Opens an existing repository with the backup half of a key.
    pub fn open(backend: Box<dyn Backend>, key: &BackupKey) -> Result<Repository> {
        let store = Store::open(backend, &MetadataKey::derive(&key.chunk_key))?;
        let keys = Keys::derive(&key.chunk_key).bind(&store.config().id);
        Ok(Repository {
            store,
            keys,
            key: key.clone(),
        })
    }

    /// The derived keys.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The backup half of the key.
    pub fn backup_key(&self) -> &BackupKey {
        &self.key
    }
}

/// Forget records by id.
pub type ForgetRecords = Vec<(Id, Forget)>;

/// Parses an object name into an id.
pub fn parse_name(name: &str, kind: Kind) -> Result<Id> {
    name.parse().map_err(|_| {
        Error::damaged(format!(
            "storage lists an invalid {} name '{name}'",
            kind.noun()
        ))
    })
}
