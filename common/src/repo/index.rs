//! The in-memory index: chunk id → (pack, offset, length). Built from the sealed
//! index files (metadata key only, so a backup-only node can load it), and from
//! pack headers for packs an interrupted run uploaded but never indexed.

use crate::format::{BlobEntry, BlobKind, IndexPack};
use crate::id::Id;
use std::collections::HashMap;

/// The index as loaded at the start of a run.
pub struct LoadedIndex {
    /// Every blob known.
    pub index: Index,
    /// Names of the index files read.
    pub files: Vec<Id>,
    /// Packs in storage that no index file covers (an interrupted run's uploads), with sizes.
    pub unindexed: Vec<(Id, u64)>,
    /// Index files that failed to load, and packs indexed but gone from storage.
    pub problems: Vec<String>,
    /// Sizes of every pack in storage.
    pub pack_sizes: HashMap<Id, u64>,
}

/// Where a blob lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Position of the pack in [`Index::packs`].
    pub pack: u32,
    /// Data or tree.
    pub kind: BlobKind,
    /// Offset of the payload in the pack body's plaintext.
    pub offset: u32,
    /// Payload length.
    pub length: u32,
    /// Plaintext length.
    pub raw_length: u32,
    /// Offset in the group's plaintext (grouped blobs).
    pub inner: u32,
    /// Group plaintext length, 0 when not grouped.
    pub group_length: u32,
}

/// A pack known to the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackInfo {
    /// Object name.
    pub id: Id,
    /// Length of its age body.
    pub body_len: u64,
}

/// All blobs the repository holds.
#[derive(Debug, Default)]
pub struct Index {
    blobs: HashMap<Id, Location>,
    packs: Vec<PackInfo>,
    pack_pos: HashMap<Id, u32>,
}

impl Index {
    /// Adds a pack's entries; a blob already known keeps its first location.
    pub fn add_pack(&mut self, pack: &IndexPack) {
        if self.pack_pos.contains_key(&pack.id) {
            return;
        }
        let pos = self.packs.len() as u32;
        self.packs.push(PackInfo {
            id: pack.id,
            body_len: pack.body_len,
        });
        self.pack_pos.insert(pack.id, pos);
        for b in &pack.blobs {
            self.blobs.entry(b.id).or_insert(Location {
                pack: pos,
                kind: b.kind,
                offset: b.offset,
                length: b.length,
                raw_length: b.raw_length,
                inner: b.inner,
                group_length: b.group_length,
            });
        }
    }

    /// Whether the blob is stored.
    pub fn contains(&self, id: &Id) -> bool {
        self.blobs.contains_key(id)
    }

    /// The blob's location and its pack.
    pub fn get(&self, id: &Id) -> Option<(PackInfo, Location)> {
        let loc = self.blobs.get(id)?;
        Some((self.packs[loc.pack as usize], *loc))
    }

    /// The blob's entry as in a pack header.
    pub fn entry(&self, id: &Id) -> Option<(PackInfo, BlobEntry)> {
        self.get(id).map(|(p, l)| {
            let e = BlobEntry {
                id: *id,
                kind: l.kind,
                offset: l.offset,
                length: l.length,
                raw_length: l.raw_length,
                inner: l.inner,
                group_length: l.group_length,
            };
            (p, e)
        })
    }

    /// Whether a pack is covered.
    pub fn has_pack(&self, id: &Id) -> bool {
        self.pack_pos.contains_key(id)
    }

    /// All packs.
    pub fn packs(&self) -> &[PackInfo] {
        &self.packs
    }

    /// Number of blobs.
    pub fn len(&self) -> usize {
        self.blobs.len()
    }

    /// Whether there are no blobs.
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// Every blob id and location.
    pub fn iter(&self) -> impl Iterator<Item = (&Id, &Location)> {
        self.blobs.iter()
    }
}
