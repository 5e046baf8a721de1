//! `common`: Banana's repository format and everything that touches storage
//! or keys. The binaries (`bananactl`, `bananadm`, `bananaui`) are glue over
//! this crate; `docs/ARCHITECTURE.md` maps every module.
//!
//! Layers, each a folder, each importing only those before it:
//! [`format`] (bytes, no I/O) ← [`crypto`] ← [`backend`] ← [`repo`] ←
//! [`ops`] (backup, restore, check) ← [`plugins`] (what jobs read) ←
//! [`drill`] (restores checked with each plugin's tools). [`status`] (node ↔ tower) and [`vault`]
//! sit beside them. Every network client is behind a cargo feature
//! (`status-http`, `vault`), so the format and the engine build without one.
//!
//! ```
//! use common::backend::{Backend, LocalBackend};
//! use common::crypto::keyfile::KeyFile;
//! use common::repo::{RepoOptions, Repository};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let key = KeyFile::generate(&[]).unwrap();
//! let backend = LocalBackend::new(dir.path().join("repo"));
//! let repo = Repository::init(Box::new(backend), &key.backup_key(), &RepoOptions::default()).unwrap();
//! assert_eq!(repo.snapshots().unwrap().len(), 0);
//! ```
#![warn(missing_docs, unreachable_pub)]

pub mod backend;
#[cfg(any(
    feature = "status-http",
    feature = "vault",
    feature = "s3",
    feature = "swift"
))]
pub mod bounded;
pub mod control;
pub mod crypto;
pub mod drill;
pub mod format;
pub mod id;
pub mod ops;
pub mod plugins;
pub mod progress;
pub mod repo;
pub mod secret;
pub mod status;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod vault;

// What the tower shares with nodes lives in `proto`; these paths stay.
pub use id::Id;
pub use proto::{error, exit, fsutil, humanize, names};
pub use proto::{now, unix_now};
pub use proto::{Error, ErrorKind, Result};

/// Worker threads for a pipeline: `requested`, or one per core when 0.
pub fn worker_threads(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}
