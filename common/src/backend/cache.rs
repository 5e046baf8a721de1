//! A node-local cache of a remote repository's metadata objects (index
//! files, snapshots, reference lists, forget records), so that a backup of
//! an unchanged tree costs a handful of requests instead of one per object
//! it already read last time.
//!
//! Safe because those objects are immutable and named by the BLAKE3 of their
//! bytes: an entry is used only when its bytes still hash to its name (and
//! are then authenticated by the reader like any object), and a damaged or
//! lost cache is refetched from storage. Listings always come from storage;
//! entries that storage no longer lists are dropped then, so the cache never
//! outgrows the repository. Packs are never cached.
//!
//! `check` reads with [`Cached::storage_first`]: every object from storage,
//! so damage in storage is never hidden behind a good cached copy; a cached
//! object that storage no longer holds, or holds differently, is named in a
//! warning.
//!
//! The cache lives in the node's state directory (0700, files 0600): it holds
//! sealed bytes only, exactly as storage does.

use super::{Backend, Kind, Presence, Written};
use crate::error::Result;
use crate::id::Id;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// `inner` with its metadata objects cached under `dir`.
pub struct Cached {
    inner: Box<dyn Backend>,
    dir: PathBuf,
    storage_first: bool,
}

fn cached_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Index | Kind::Snapshot | Kind::Refs | Kind::Forget
    )
}

impl Cached {
    /// Wraps `inner`; `dir` is made on first use.
    pub fn new(inner: Box<dyn Backend>, dir: &Path) -> Cached {
        Cached {
            inner,
            dir: dir.to_owned(),
            storage_first: false,
        }
    }

    /// Reads every object from storage, never from the cache (`check`);
    /// a cached copy storage lost or changed is named in a warning.
    pub fn storage_first(mut self) -> Cached {
        self.storage_first = true;
        self
    }

    /// Storage's answer for an object, compared with the cached copy.
    fn audited(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        let got = self.inner.read(kind, name, limit);
        let cached = self.get(kind, name, limit);
        let what = match (&got, &cached) {
            (Err(e), Some(_)) if e.kind() == crate::error::ErrorKind::NotFound => "no longer holds",
            (Ok(b), Some(c)) if b != c => "holds differently",
            _ => return got,
        };
        tracing::warn!(
            "{} {}: storage {what} what this node read and cached before (changed in storage since)",
            kind.noun(),
            name
        );
        got
    }

    fn path(&self, kind: Kind, name: &str) -> PathBuf {
        self.dir.join(kind.dir()).join(name)
    }

    fn get(&self, kind: Kind, name: &str, limit: u64) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(kind, name)).ok()?;
        let good = bytes.len() as u64 <= limit && Id::of_object(&bytes).to_hex() == name;
        if !good {
            let _ = std::fs::remove_file(self.path(kind, name));
        }
        good.then_some(bytes)
    }

    fn put(&self, kind: Kind, name: &str, bytes: &[u8]) {
        if Id::of_object(bytes).to_hex() != name {
            return;
        }
        let dir = self.dir.join(kind.dir());
        let stored = crate::fsutil::private_dir(&self.dir)
            .and_then(|()| crate::fsutil::private_dir(&dir))
            .and_then(|()| crate::fsutil::write_private(&dir.join(name), bytes));
        if let Err(e) = stored {
            tracing::debug!("cache {}: {e}", dir.display());
        }
    }

    /// Drops entries of `kind` that storage no longer lists.
    fn prune(&self, kind: Kind, listed: &[(String, u64)]) {
        let Ok(entries) = std::fs::read_dir(self.dir.join(kind.dir())) else {
            return;
        };
        let keep: HashSet<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
        for e in entries.flatten() {
            let name = e.file_name();
            if !keep.contains(name.to_string_lossy().as_ref()) {
                if self.storage_first {
                    tracing::warn!(
                        "{} {}: storage no longer lists what this node read and cached before (removed in storage since)",
                        kind.noun(),
                        name.to_string_lossy()
                    );
                }
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

impl Backend for Cached {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn presence(&self) -> Result<Presence> {
        self.inner.presence()
    }
    fn creatable(&self) -> Result<()> {
        self.inner.creatable()
    }
    fn create(&self) -> Result<()> {
        self.inner.create()
    }
    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        let listed = self.inner.list(kind)?;
        if cached_kind(kind) {
            self.prune(kind, &listed);
        }
        Ok(listed)
    }
    fn list_dated(&self, kind: Kind) -> Result<Vec<super::Listed>> {
        self.inner.list_dated(kind)
    }
    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        if !cached_kind(kind) {
            return self.inner.read(kind, name, limit);
        }
        super::valid_name(kind, name)?;
        if self.storage_first {
            return self.audited(kind, name, limit);
        }
        if let Some(b) = self.get(kind, name, limit) {
            return Ok(b);
        }
        let b = self.inner.read(kind, name, limit)?;
        self.put(kind, name, &b);
        Ok(b)
    }
    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.inner.read_range(kind, name, offset, len)
    }
    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        let w = self.inner.write(kind, name, data)?;
        if cached_kind(kind) && w == Written::New {
            self.put(kind, name, data);
        }
        Ok(w)
    }
    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        if cached_kind(kind) {
            let _ = std::fs::remove_file(self.path(kind, name));
        }
        self.inner.remove(kind, name)
    }
    fn abort_stale_uploads(&self, before: i64) -> Result<u64> {
        self.inner.abort_stale_uploads(before)
    }
    fn purge_archive(&self, objects: &[(Kind, String)]) -> Result<u64> {
        self.inner.purge_archive(objects)
    }
    fn purge_deleted(&self, now: i64) -> Result<super::Purged> {
        self.inner.purge_deleted(now)
    }
    fn requests(&self) -> u64 {
        self.inner.requests()
    }
    fn recover(&self, kind: Kind, name: &str, limit: u64) -> Result<bool> {
        let _ = std::fs::remove_file(self.path(kind, name));
        self.inner.recover(kind, name, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryBackend;

    #[test]
    fn entries_are_used_only_while_they_hash_to_their_name_and_storage_lists_them() {
        let dir = tempfile::tempdir().unwrap();
        let mem = MemoryBackend::default();
        mem.create().unwrap();
        let c = Cached::new(Box::new(mem.clone()), dir.path());
        let bytes = b"sealed index bytes".to_vec();
        let name = Id::of_object(&bytes).to_hex();
        c.write(Kind::Index, &name, &bytes).unwrap();
        let cached = dir.path().join("index").join(&name);
        assert_eq!(std::fs::read(&cached).unwrap(), bytes);
        // Served from the cache even when storage has lost it...
        mem.remove(Kind::Index, &name).unwrap();
        assert_eq!(c.read(Kind::Index, &name, 100).unwrap(), bytes);
        // ...until a listing shows it is gone.
        assert!(c.list(Kind::Index).unwrap().is_empty());
        assert!(!cached.exists());
        // A damaged entry is dropped and refetched.
        mem.write(Kind::Index, &name, &bytes).unwrap();
        std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
        std::fs::write(&cached, b"tampered").unwrap();
        assert_eq!(c.read(Kind::Index, &name, 100).unwrap(), bytes);
        assert_eq!(std::fs::read(&cached).unwrap(), bytes);
        // Over the reader's limit: never served from the cache.
        assert!(c.read(Kind::Index, &name, 5).is_err());
        // Packs are not cached.
        let pack = "ab".repeat(32);
        c.write(Kind::Data, &pack, b"p").unwrap();
        assert!(!dir.path().join("data").exists());
    }

    /// Issue 22, item 5: `check` reads storage, never a good cached copy.
    #[test]
    fn storage_first_sees_what_storage_holds_whatever_the_cache_has() {
        let dir = tempfile::tempdir().unwrap();
        let mem = MemoryBackend::default();
        mem.create().unwrap();
        let c = Cached::new(Box::new(mem.clone()), dir.path());
        let bytes = b"sealed snapshot bytes".to_vec();
        let name = Id::of_object(&bytes).to_hex();
        c.write(Kind::Snapshot, &name, &bytes).unwrap();
        // Storage's copy changes (one byte flipped): the cache hides it...
        mem.remove(Kind::Snapshot, &name).unwrap();
        let mut flipped = bytes.clone();
        flipped[3] ^= 1;
        mem.write(Kind::Snapshot, &name, &flipped).unwrap();
        assert_eq!(c.read(Kind::Snapshot, &name, 100).unwrap(), bytes);
        // ...but not from a check.
        let audit = Cached::new(Box::new(mem.clone()), dir.path()).storage_first();
        assert_eq!(audit.read(Kind::Snapshot, &name, 100).unwrap(), flipped);
        // Gone from storage: gone for the check too.
        mem.remove(Kind::Snapshot, &name).unwrap();
        let e = audit.read(Kind::Snapshot, &name, 100).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::NotFound);
    }
}
