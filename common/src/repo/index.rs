//! The in-memory index: chunk id → (pack, offset, length). Built from the sealed
//! index files (metadata key only, so a backup-only node can load it), and from
//! pack headers for packs an interrupted run uploaded but never indexed.
//!
//! Memory: 60 bytes per blob (a 32-byte id and a 28-byte [`Location`]) in a
//! sorted vector, found through a table of where each 16-bit id prefix
//! starts (256 KiB, whatever the count) and a bisection of that bucket;
//! plus blobs added since the last merge in a hash map (at most an eighth of
//! the total, ~100 bytes each) that is merged into the vector as it grows.

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
    /// Index files a present one supersedes (§5; their packs are in it).
    pub superseded: std::collections::HashSet<Id>,
    /// Packs the reaper condemned (§5): readable, never deduplicated against.
    pub condemned: std::collections::HashSet<Id>,
    /// Every index file read, without its blobs (for the commit check).
    pub file_marks: HashMap<Id, super::FileMarks>,
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
    /// Sorted by id, no id twice.
    sorted: Vec<(Id, Location)>,
    /// Where each 16-bit id prefix starts in `sorted` (65,537 entries, or
    /// none while `sorted` is empty): a lookup bisects one bucket (ids are
    /// keyed hashes, so a few entries), not the whole vector.
    starts: Vec<u32>,
    /// Added since the last merge; no id of `sorted`.
    recent: HashMap<Id, Location>,
    packs: Vec<PackInfo>,
    pack_pos: HashMap<Id, u32>,
    /// Per pack position: condemned by retention, so a backup neither
    /// deduplicates against it nor names it (empty until [`Index::retire`]).
    retired: Vec<bool>,
}

/// An id's first 16 bits, its bucket in [`Index::starts`].
fn prefix(id: &Id) -> usize {
    usize::from(u16::from_be_bytes([id.0[0], id.0[1]]))
}

/// `recent` is merged into `sorted` once it holds this many blobs, or an
/// eighth of `sorted` when that is more.
const MERGE_AT: usize = 4096;

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
            match self.find(&b.id) {
                Some(l) if !self.is_retired(l.pack) => continue,
                // A live copy replaces a condemned one.
                Some(_) => self.forget_blob(&b.id),
                None => {}
            }
            self.recent.insert(
                b.id,
                Location {
                    pack: pos,
                    kind: b.kind,
                    offset: b.offset,
                    length: b.length,
                    raw_length: b.raw_length,
                    inner: b.inner,
                    group_length: b.group_length,
                },
            );
        }
        if self.recent.len() >= MERGE_AT.max(self.sorted.len() / 8) {
            self.merge();
        }
    }

    /// Moves `recent` into `sorted`: sorted on its own, then merged in place
    /// from the back, so a merge costs the length of `sorted`, not a sort.
    fn merge(&mut self) {
        let mut new: Vec<(Id, Location)> = self.recent.drain().collect();
        new.sort_unstable_by_key(|e| e.0);
        let old = self.sorted.len();
        self.sorted.reserve_exact(new.len());
        self.sorted.extend_from_slice(&new);
        let (mut i, mut j, mut k) = (old, new.len(), self.sorted.len());
        while j > 0 {
            k -= 1;
            if i > 0 && self.sorted[i - 1].0 > new[j - 1].0 {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = new[j - 1];
                j -= 1;
            }
        }
        self.recent.shrink_to(MERGE_AT);
        let mut starts = vec![0u32; (1 << 16) + 1];
        for (id, _) in &self.sorted {
            starts[prefix(id) + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        self.starts = starts;
    }

    fn find(&self, id: &Id) -> Option<&Location> {
        let b = prefix(id);
        if let (Some(&lo), Some(&hi)) = (self.starts.get(b), self.starts.get(b + 1)) {
            let bucket = &self.sorted[lo as usize..hi as usize];
            if let Ok(i) = bucket.binary_search_by(|(k, _)| k.cmp(id)) {
                return Some(&bucket[i].1);
            }
        }
        self.recent.get(id)
    }

    /// Whether the blob is stored (in a pack not retired).
    pub fn contains(&self, id: &Id) -> bool {
        self.get(id).is_some()
    }

    /// The blob's location and its pack (not a retired one).
    pub fn get(&self, id: &Id) -> Option<(PackInfo, Location)> {
        let loc = self.find(id)?;
        if self.is_retired(loc.pack) {
            return None;
        }
        Some((self.packs[loc.pack as usize], *loc))
    }

    /// Hides the blobs of `packs` (condemned by retention, §5) from
    /// [`Index::get`]: a backup must neither deduplicate against nor name a
    /// pack the reaper will delete. A blob stored again later gets the new
    /// location.
    pub fn retire(&mut self, packs: &std::collections::HashSet<Id>) {
        self.retired.resize(self.packs.len(), false);
        for p in packs {
            if let Some(&pos) = self.pack_pos.get(p) {
                self.retired[pos as usize] = true;
            }
        }
    }

    fn is_retired(&self, pack: u32) -> bool {
        self.retired.get(pack as usize).copied().unwrap_or(false)
    }

    /// Removes a blob whose pack is retired, so it can be added again.
    fn forget_blob(&mut self, id: &Id) {
        if self.recent.remove(id).is_some() {
            return;
        }
        let b = prefix(id);
        if let (Some(&lo), Some(&hi)) = (self.starts.get(b), self.starts.get(b + 1)) {
            let bucket = &self.sorted[lo as usize..hi as usize];
            if let Ok(i) = bucket.binary_search_by(|(k, _)| k.cmp(id)) {
                self.sorted.remove(lo as usize + i);
                for s in &mut self.starts[b + 1..] {
                    *s -= 1;
                }
            }
        }
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
        self.sorted.len() + self.recent.len()
    }

    /// Whether there are no blobs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every blob id and location.
    pub fn iter(&self) -> impl Iterator<Item = (&Id, &Location)> {
        self.sorted
            .iter()
            .map(|(k, v)| (k, v))
            .chain(self.recent.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blob `i`'s id: scrambled, so merges interleave.
    fn bid(i: u32) -> Id {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
        Id(id)
    }

    fn pack(n: u8, ids: impl Iterator<Item = u32>) -> IndexPack {
        IndexPack {
            id: Id([n; 32]),
            body_len: 100,
            blobs: ids
                .map(|i| BlobEntry {
                    id: bid(i),
                    kind: BlobKind::Data,
                    offset: i,
                    length: 1,
                    raw_length: u32::from(n),
                    inner: 0,
                    group_length: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn sixty_bytes_a_blob_first_location_wins_across_merges() {
        assert!(std::mem::size_of::<(Id, Location)>() <= 64);
        let mut index = Index::default();
        // 20 packs of 1,000 blobs, each overlapping the previous by half.
        for p in 0..20u8 {
            let start = u32::from(p) * 500;
            index.add_pack(&pack(p + 1, start..start + 1000));
        }
        assert_eq!(index.len(), 19 * 500 + 1000);
        assert_eq!(index.iter().count(), index.len());
        for i in 0..10_500u32 {
            let (p, loc) = index.get(&bid(i)).unwrap();
            // The first pack that held it: pack p holds [500p, 500p + 1000).
            assert_eq!(loc.raw_length, (i / 500).max(1), "blob {i}");
            assert_eq!(p.id, Id([loc.raw_length as u8; 32]));
        }
        assert!(!index.contains(&bid(10_500)));
        let mut all: Vec<Id> = index.iter().map(|(k, _)| *k).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), index.len());
    }
}
