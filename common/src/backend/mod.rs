//! Storage backends: one [`Backend`] trait, implemented by the local directory
//! (also NFS and Samba mounts); [`open`] picks one from a location. Later
//! backends (S3, Swift) and wrappers (retry, fault injection) live here too;
//! an in-memory backend and the conformance suite every backend must pass are
//! in [`crate::testing`].
//!
//! The contract every backend keeps:
//! - objects are immutable: `write` never replaces an existing object; writing a
//!   name that exists is a no-op that reports [`Written::AlreadyPresent`];
//! - a reader never sees a partial object under its final name;
//! - `list` returns complete objects only, with their sizes.

mod local;
mod range;

pub use local::LocalBackend;
pub use range::RangeReader;

use crate::error::{Error, ErrorKind, Result};

/// The kinds of stored objects; each lives in its own namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The single repository config object.
    Config,
    /// Packs of chunks (file contents and trees).
    Data,
    /// Index files.
    Index,
    /// Snapshots.
    Snapshot,
    /// Per-snapshot reference lists.
    Refs,
    /// Signed break-glass key envelopes.
    Key,
    /// Forget records written by retention.
    Forget,
}

impl Kind {
    /// Every kind, in the order `check` walks them.
    pub const ALL: [Kind; 5] = [
        Kind::Config,
        Kind::Data,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
    ];

    /// Directory name of the kind in path-based backends.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Config => "",
            Kind::Data => "data",
            Kind::Index => "index",
            Kind::Snapshot => "snapshots",
            Kind::Refs => "refs",
            Kind::Key => "keys",
            Kind::Forget => "forgets",
        }
    }

    /// Human name, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Config => "config",
            Kind::Data => "pack",
            Kind::Index => "index",
            Kind::Snapshot => "snapshot",
            Kind::Refs => "reference list",
            Kind::Key => "key envelope",
            Kind::Forget => "forget record",
        }
    }
}

/// Outcome of a write-once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The object was stored.
    New,
    /// An object with that name was already there and was left untouched.
    AlreadyPresent,
}

/// What a location holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Nothing there: the directory, bucket or prefix does not exist.
    Missing,
    /// An empty place.
    Empty,
    /// A repository (its config is there).
    Repository,
    /// Something that is not a repository.
    Other,
}

/// A place to keep immutable, named objects.
pub trait Backend: Send + Sync {
    /// Where it is, for messages (never includes credentials).
    fn location(&self) -> String;
    /// What is at the location; an error only when it cannot be told (a
    /// listing error is never "missing").
    fn presence(&self) -> Result<Presence>;
    /// Creates the empty layout; fails if a repository already exists there.
    /// Never creates the location's missing parents.
    fn create(&self) -> Result<()>;
    /// Names and sizes of all complete objects of a kind.
    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>>;
    /// The whole object; one larger than `limit` (what the format allows for
    /// the kind) is damage, refused before anything is allocated.
    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>>;
    /// `len` bytes from `offset`; shorter only at the end of the object.
    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>>;
    /// Stores an object under `name` unless one exists; never replaces.
    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written>;
    /// Deletes an object.
    fn remove(&self, kind: Kind, name: &str) -> Result<()>;
}

/// The backend for a repository location: a directory path or `file://`
/// URL. A URL never carries a secret, so the location can be shown as is.
pub fn open(location: &str) -> Result<Box<dyn Backend>> {
    let loc = location.strip_prefix("file://").unwrap_or(location);
    if let Some((scheme, _)) = loc.split_once("://") {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!("repository location '{location}': scheme '{scheme}' is not supported by this version"),
        )
        .hint("use a directory path (local disk, NFS or Samba mount)"));
    }
    if loc.is_empty() {
        return Err(Error::new(ErrorKind::BadInput, "no repository location")
            .hint("pass --repo, or set the node's storage with 'bananadm node add --storage'"));
    }
    // Absolute, so the node's state names one place whatever the working
    // directory (symlinks are the administrator's and stay as written).
    let path = std::path::Path::new(loc);
    let path = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("current directory", e))?
            .join(path)
    };
    Ok(Box::new(LocalBackend::new(path)))
}
