//! The part of a repository the metadata key opens (§3.5): the config and
//! every sealed object (index files, snapshots, reference lists, forget
//! records). A [`super::Repository`] is a store plus the keys that write
//! packs; a reaper holds a store alone, so it can list, read and forget
//! snapshots and rewrite the index, and never read a tree or a file.

use super::marks::{FileMarks, Marks};
use super::{parse_name, ForgetRecords, Index, LoadedIndex};
use crate::backend::{Backend, Kind};
use crate::crypto::{MetadataKey, SealKind, Sealer};
use crate::error::{Error, ErrorKind, Result};
use crate::format::{
    from_cbor, max_pack_len, to_cbor, Config, Forget, IndexFile, Snapshot, FORMAT_VERSION,
    MAX_CONFIG, MAX_ENVELOPE, MAX_SEALED, OLDEST_VERSION,
};
use crate::id::Id;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// A backend, the repository's config, and the metadata key bound to it.
pub struct Store {
    backend: Box<dyn Backend>,
    sealer: Sealer,
    config: Config,
    /// The config object as stored (a copy moves it byte for byte).
    config_object: Vec<u8>,
}

impl Store {
    pub(super) fn new(
        backend: Box<dyn Backend>,
        sealer: Sealer,
        (config, config_object): (Config, Vec<u8>),
    ) -> Store {
        Store {
            backend,
            sealer,
            config,
            config_object,
        }
    }

    /// Opens the repository at `backend` with its metadata key: reads and
    /// authenticates the config.
    pub fn open(backend: Box<dyn Backend>, key: &MetadataKey) -> Result<Store> {
        let raw = backend
            .read(Kind::Config, "config", MAX_CONFIG)
            .map_err(|e| {
                if e.kind() == ErrorKind::NotFound {
                    Error::new(
                        ErrorKind::RepoNotFound,
                        format!("no repository at {}", backend.location()),
                    )
                    .hint("check --repo, or create one with 'bananactl init'")
                } else {
                    e
                }
            })?;
        let sealer = Sealer::new(key);
        let plain = sealer.open(SealKind::Config, &raw, "config").map_err(|_| {
            Error::new(
                ErrorKind::WrongKey,
                format!(
                    "the key does not open the repository at {}",
                    backend.location()
                ),
            )
            .hint("use the key file this repository was created with")
        })?;
        let config: Config = from_cbor(&plain, "config")?;
        if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&config.version) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "repository format version {} is not supported (this reads {OLDEST_VERSION} to {FORMAT_VERSION})",
                    config.version
                ),
            )
            .hint("upgrade bananactl"));
        }
        if !config.chunker.is_valid() {
            return Err(Error::damaged("config holds invalid chunker bounds"));
        }
        config.codec()?;
        let sealer = sealer.bind(&config.id);
        Ok(Store::new(backend, sealer, (config, raw)))
    }

    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The config object as stored, authenticated when the store was
    /// opened: a copy moves it byte for byte (its name is fixed, so the key
    /// is what checks it).
    pub fn config_object(&self) -> &[u8] {
        &self.config_object
    }

    /// The metadata key, bound to this repository.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The largest object of `kind` the format allows in this repository.
    pub fn limit(&self, kind: Kind) -> u64 {
        match kind {
            Kind::Config => MAX_CONFIG,
            Kind::Data => max_pack_len(self.config.pack_size),
            Kind::Index | Kind::Snapshot | Kind::Refs | Kind::Forget => MAX_SEALED,
            Kind::Key => MAX_ENVELOPE,
        }
    }

    /// The sealed plaintext of metadata: a zstd frame of its CBOR in a
    /// version-2 repository, the CBOR itself in version 1 (§3.5).
    pub fn metadata(&self, cbor: &[u8]) -> Vec<u8> {
        if self.config.version >= 2 {
            crate::format::codec::pack_metadata(cbor)
        } else {
            cbor.to_vec()
        }
    }

    /// Reads a whole object, capped at what the format allows for its kind.
    pub fn read(&self, kind: Kind, name: &str) -> Result<Vec<u8>> {
        self.backend.read(kind, name, self.limit(kind))
    }

    /// Seals `value`: its name (the hash of the bytes) and the bytes, for
    /// a writer that records the name before it writes.
    pub fn seal_object<T: Serialize>(&self, seal: SealKind, value: &T) -> Result<(Id, Vec<u8>)> {
        let bytes = self.sealer.seal(seal, &self.metadata(&to_cbor(value)))?;
        Ok((Id::of_object(&bytes), bytes))
    }

    /// Seals `value` and stores it under its content hash.
    pub fn save<T: Serialize>(&self, kind: Kind, seal: SealKind, value: &T) -> Result<Id> {
        let (id, bytes) = self.seal_object(seal, value)?;
        self.backend.write(kind, &id.to_hex(), &bytes)?;
        Ok(id)
    }

    /// Loads a sealed object, checking its name and authenticity.
    pub fn load<T: DeserializeOwned>(&self, kind: Kind, seal: SealKind, id: &Id) -> Result<T> {
        let what = format!("{} {id}", kind.noun());
        let bytes = self.read(kind, &id.to_hex()).map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                Error::damaged(format!("{what} is missing from storage"))
            } else {
                e
            }
        })?;
        let bytes = if Id::of_object(&bytes) == *id {
            bytes
        } else if self.backend.recover(kind, &id.to_hex(), self.limit(kind))? {
            // Overwritten in storage; an older version holds the original.
            let again = self.read(kind, &id.to_hex())?;
            if Id::of_object(&again) != *id {
                return Err(Error::damaged(format!(
                    "{what}: content does not match its name"
                )));
            }
            again
        } else {
            return Err(Error::damaged(format!(
                "{what}: content does not match its name"
            )));
        };
        self.open_bytes(kind, seal, id, &bytes)
    }

    /// Opens a sealed object's bytes read elsewhere (whose name the caller
    /// checked): authenticity, then the CBOR.
    pub fn open_bytes<T: DeserializeOwned>(
        &self,
        kind: Kind,
        seal: SealKind,
        id: &Id,
        bytes: &[u8],
    ) -> Result<T> {
        let what = format!("{} {id}", kind.noun());
        from_cbor(&self.sealer.open(seal, bytes, &what)?, &what)
    }

    /// Reads every index file (§5): the blobs of every pack they cover,
    /// condemned ones included (readable until the reaper deletes them), and
    /// which packs are condemned and which files are superseded.
    ///
    /// Damage does not stop it: a damaged index file is skipped (its packs then
    /// count as unindexed), and an indexed pack missing from storage is left
    /// out, so a backup never deduplicates against data that is gone.
    /// A backup also [`Index::retire`]s the condemned packs.
    pub fn load_index(&self) -> Result<LoadedIndex> {
        let mut pack_sizes = HashMap::new();
        for (name, size) in self.backend.list(Kind::Data)? {
            pack_sizes.insert(parse_name(&name, Kind::Data)?, size);
        }
        let mut index = Index::default();
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let mut missing = Vec::new();
        // Per file: its packs, what it supersedes and condemns (small lists).
        let mut marks = HashMap::new();
        for (name, _) in self.backend.list(Kind::Index)? {
            let id = parse_name(&name, Kind::Index)?;
            match self.load::<IndexFile>(Kind::Index, SealKind::Index, &id) {
                Ok(file) => {
                    for p in &file.packs {
                        if pack_sizes.contains_key(&p.id) {
                            index.add_pack(p);
                        } else {
                            missing.push((id, p.id));
                        }
                    }
                    marks.insert(id, FileMarks::of(&file));
                    files.push(id);
                }
                Err(e) if e.kind() == ErrorKind::Damaged => problems.push(e.to_string()),
                Err(e) => return Err(e),
            }
        }
        let file_marks = marks;
        let marks = Marks::of(&file_marks);
        for (file, pack) in missing {
            // A sweep removes a pack from the live index before deleting it.
            if !marks.superseded.contains(&file) && !marks.condemned.contains(&pack) {
                problems.push(format!("pack {pack} is indexed but missing from storage"));
            }
        }
        let mut unindexed: Vec<(Id, u64)> = pack_sizes
            .iter()
            .filter(|(id, _)| !index.has_pack(id) && !marks.condemned.contains(id))
            .map(|(id, s)| (*id, *s))
            .collect();
        unindexed.sort();
        Ok(LoadedIndex {
            index,
            files,
            unindexed,
            problems,
            pack_sizes,
            superseded: marks.superseded,
            condemned: marks.condemned,
            file_marks,
        })
    }

    /// All snapshots, oldest first. A damaged snapshot is skipped with a
    /// logged warning (`check` reports it), so the others stay usable.
    pub fn snapshots(&self) -> Result<Vec<(Id, Snapshot)>> {
        let mut out = Vec::new();
        for (name, _) in self.backend.list(Kind::Snapshot)? {
            let id = parse_name(&name, Kind::Snapshot)?;
            match self.load::<Snapshot>(Kind::Snapshot, SealKind::Snapshot, &id) {
                Ok(snap) => out.push((id, snap)),
                Err(e) if e.kind() == ErrorKind::Damaged => {
                    tracing::warn!("skipping snapshot {}: {e}", id.short())
                }
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| a.1.time.cmp(&b.1.time).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    /// Every forget record (§7.1), and the problems of those that could not
    /// be read: a damaged record explains nothing, so the gaps it would have
    /// explained show.
    pub fn forgets(&self) -> Result<(ForgetRecords, Vec<String>)> {
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        for (name, _) in self.backend.list(Kind::Forget)? {
            let id = parse_name(&name, Kind::Forget)?;
            match self.load::<Forget>(Kind::Forget, SealKind::Forget, &id) {
                Ok(f) => out.push((id, f)),
                Err(e) if e.kind() == ErrorKind::Damaged => problems.push(e.to_string()),
                Err(e) => return Err(e),
            }
        }
        Ok((out, problems))
    }

    /// Resolves `latest`, a full id or a unique prefix.
    pub fn resolve(&self, spec: &str) -> Result<(Id, Snapshot)> {
        self.resolve_in(self.snapshots()?, spec)
    }

    /// Resolves `spec` among `all` (this repository's snapshots, oldest
    /// first): `latest` is the newest that did not fail.
    pub fn resolve_in(&self, all: Vec<(Id, Snapshot)>, spec: &str) -> Result<(Id, Snapshot)> {
        if spec == "latest" {
            // A failed run's snapshot is kept for inspection, never chosen.
            return all
                .into_iter()
                .rfind(|(_, s)| s.run.status != crate::format::RunStatus::Failed)
                .ok_or_else(|| {
                Error::new(
                    ErrorKind::BadInput,
                    format!(
                        "repository {} has no successful snapshot yet (of those selected)",
                        self.backend.location()
                    ),
                )
                .hint("run 'bananactl backup' first, or check the --job/--host/--tag/--path filters")
            });
        }
        let spec_l = spec.to_ascii_lowercase();
        let mut hits: Vec<_> = all
            .into_iter()
            .filter(|(id, _)| id.to_hex().starts_with(&spec_l))
            .collect();
        match hits.len() {
            1 if !spec.is_empty() => Ok(hits.remove(0)),
            0 | 1 => Err(
                Error::new(ErrorKind::BadInput, format!("no snapshot matches '{spec}'"))
                    .hint("list them with 'bananactl snapshots'"),
            ),
            n => Err(Error::new(
                ErrorKind::BadInput,
                format!("'{spec}' matches {n} snapshots"),
            )
            .hint("give more characters of the id")),
        }
    }
}
