//! `common`: Banana's repository format and everything that touches storage or keys.
//!
//! The binaries (`bananactl`, later `bananadm` and `bananaui`) are glue over this crate.
//! The on-disk format is specified in `docs/repository-format.md`; the module
//! [`format`] mirrors it section by section.
//!
//! ```
//! use common::backend::MemoryBackend;
//! use common::keys::KeyFile;
//! use common::repo::{Repository, RepoOptions};
//!
//! let key = KeyFile::generate(&[]).unwrap();
//! let backend = MemoryBackend::default();
//! let repo = Repository::init(Box::new(backend), &key.backup_key(), &RepoOptions::default()).unwrap();
//! assert_eq!(repo.snapshots().unwrap().len(), 0);
//! ```
#![warn(missing_docs)]

pub mod archiver;
pub mod backend;
pub mod catalogue;
pub mod checker;
pub mod chunker;
pub mod compress;
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod events;
pub mod format;
pub mod id;
pub mod index;
pub mod keys;
pub mod pack;
pub mod repo;
pub mod restorer;
pub mod status;
pub mod tree;
pub mod vault;

pub use error::{Error, ErrorKind, Result};
pub use id::Id;

/// Worker threads for a pipeline: `requested`, or one per core when 0.
pub fn worker_threads(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}
