//! Storage backends: one [`Backend`] trait, implemented by the local directory
//! (also NFS and Samba mounts) and, for unit tests of the format, memory.
//!
//! The contract every backend keeps:
//! - objects are immutable: `write` never replaces an existing object; writing a
//!   name that exists is a no-op that reports [`Written::AlreadyPresent`];
//! - a reader never sees a partial object under its final name;
//! - `list` returns complete objects only, with their sizes.

mod local;
pub use local::RangeReader;
mod memory;

pub use local::LocalBackend;
pub use memory::MemoryBackend;

use crate::error::Result;

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

/// A place to keep immutable, named objects.
pub trait Backend: Send + Sync {
    /// Where it is, for messages (never includes credentials).
    fn location(&self) -> String;
    /// Creates the empty layout; fails if a repository already exists there.
    fn create(&self) -> Result<()>;
    /// Names and sizes of all complete objects of a kind.
    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>>;
    /// The whole object.
    fn read(&self, kind: Kind, name: &str) -> Result<Vec<u8>>;
    /// `len` bytes from `offset`; shorter only at the end of the object.
    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>>;
    /// Stores an object under `name` unless one exists; never replaces.
    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written>;
    /// Deletes an object.
    fn remove(&self, kind: Kind, name: &str) -> Result<()>;
}

#[cfg(test)]
pub(crate) mod conformance {
    //! The suite every backend must pass.
    use super::*;
    use crate::error::ErrorKind;

    pub fn run(b: &dyn Backend) {
        b.create().unwrap();
        assert!(b.create().is_err(), "create twice must fail");
        assert!(b.list(Kind::Data).unwrap().is_empty());
        let name = "ab".repeat(32);
        assert_eq!(
            b.write(Kind::Data, &name, b"hello world").unwrap(),
            Written::New
        );
        assert_eq!(
            b.write(Kind::Data, &name, b"other").unwrap(),
            Written::AlreadyPresent
        );
        assert_eq!(b.read(Kind::Data, &name).unwrap(), b"hello world");
        assert_eq!(b.read_range(Kind::Data, &name, 6, 5).unwrap(), b"world");
        assert_eq!(b.read_range(Kind::Data, &name, 6, 50).unwrap(), b"world");
        assert_eq!(b.list(Kind::Data).unwrap(), vec![(name.clone(), 11)]);
        assert!(b.list(Kind::Index).unwrap().is_empty());
        let missing = b.read(Kind::Index, &name).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        b.write(Kind::Config, "config", b"c").unwrap();
        assert_eq!(
            b.list(Kind::Config).unwrap(),
            vec![("config".to_owned(), 1)]
        );
        b.remove(Kind::Data, &name).unwrap();
        assert!(b.list(Kind::Data).unwrap().is_empty());
    }
}
