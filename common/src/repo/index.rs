//! The in-memory index: chunk id → (pack, offset, length). Built from the sealed
//! index files (metadata key only, so a backup-only node can load it), and from
//! pack headers for packs an interrupted run uploaded but never indexed.
//!
//! Memory: 38 bytes per blob of a compression group (most blobs: every file
//! under 64 KiB), 58 for a blob compressed alone (a chunk of a large file).
//! Ids are kept whole: a truncated id would let two chunks share an entry.
//! - The ids, without their first two bytes, in a sorted vector (30 bytes),
//!   found through a table of where each 16-bit prefix starts (256 KiB,
//!   whatever the count) and a bisection of that bucket.
//! - Beside each, a 64-bit word (8 bytes): the blob's extent (28 bits), its
//!   offset in the group's plaintext (20 bits) and its length (16 bits).
//! - An extent (20 bytes) is one compressed payload in a pack: a group,
//!   shared by its blobs (about 700 for files of 700 bytes), or one blob.
//! - A blob that does not fit a word (never as this program writes groups:
//!   under 576 KiB, blobs under 64 KiB) is kept whole in a hash map.
//! - Blobs added since the last merge wait in a hash map (at most an eighth
//!   of the total, ~48 bytes each), merged into the vectors as it grows.

use crate::error::Result;
use crate::format::{BlobEntry, BlobKind, IndexPack};
use crate::id::Id;
use std::cmp::Ordering;
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
    /// Bytes 2..32 of each merged id, sorted by id, no id twice.
    keys: Vec<[u8; 30]>,
    /// Per key: extent, offset in the group and length ([`Word`]).
    words: Vec<u64>,
    /// Where each 16-bit id prefix starts in `keys` (65,537 entries, or
    /// none while `keys` is empty): a lookup bisects one bucket (ids are
    /// keyed hashes, so a few entries), not the whole vector.
    starts: Vec<u32>,
    /// Compressed payloads, by position (a word names one).
    extents: Vec<Extent>,
    /// Added since the last merge, as words; no id of `keys`.
    recent: HashMap<Id, u64>,
    /// Blobs whose location does not fit a word; no id of `keys` or `recent`.
    wide: HashMap<Id, Location>,
    packs: Vec<PackInfo>,
    pack_pos: HashMap<Id, u32>,
    /// Per pack position: condemned by retention, so a backup neither
    /// deduplicates against it nor names it (empty until [`Index::retire`]).
    retired: Vec<bool>,
}

/// One compressed payload of a pack: a group of small blobs, or one blob.
#[derive(Debug, Clone, Copy)]
struct Extent {
    pack: u32,
    offset: u32,
    length: u32,
    /// The group's plaintext length, or the lone blob's.
    span: u32,
    grouped: bool,
    kind: BlobKind,
}

/// A word's fields: extent position (high 28 bits), offset in the group's
/// plaintext (20 bits), blob length (low 16 bits; 0 for a lone blob).
const EXTENT_BITS: u32 = 28;
const INNER_BITS: u32 = 20;
const RAW_BITS: u32 = 16;

/// An id's first 16 bits, its bucket in [`Index::starts`].
fn prefix(id: &Id) -> usize {
    usize::from(u16::from_be_bytes([id.0[0], id.0[1]]))
}

/// The rest of an id, as stored in [`Index::keys`].
fn key(id: &Id) -> [u8; 30] {
    let mut k = [0u8; 30];
    k.copy_from_slice(&id.0[2..]);
    k
}

/// The id of bucket `b`'s stored key `k` (the inverse of [`prefix`] and
/// [`key`]).
fn whole(b: usize, k: &[u8; 30]) -> Id {
    let mut id = Id([0; 32]);
    id.0[..2].copy_from_slice(&(b as u16).to_be_bytes());
    id.0[2..].copy_from_slice(k);
    id
}

/// A stored key against the rest of an id: the first eight bytes as one
/// number (most buckets differ there), then the remainder.
fn key_cmp(k: &[u8; 30], rest: &[u8; 30]) -> Ordering {
    let head = |b: &[u8; 30]| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    head(k)
        .cmp(&head(rest))
        .then_with(|| k[8..].cmp(&rest[8..]))
}

/// `recent` is merged into `keys` once it holds this many blobs, or an
/// eighth of `keys` when that is more, up to [`MERGE_MAX`]: its table and
/// a merge's sorted copy are freed memory afterwards, which the allocator
/// may keep (10 MiB at most, against 43 MiB for an eighth of ten million).
const MERGE_AT: usize = 4096;
const MERGE_MAX: usize = 1 << 16;

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
        // This pack's groups, so their blobs share one extent.
        let mut groups: HashMap<(u32, u32, u32, u8), u32> = HashMap::new();
        for b in &pack.blobs {
            match self.find(&b.id) {
                Some(l) if !self.is_retired(l.pack) => continue,
                // A live copy replaces a condemned one.
                Some(_) => self.forget_blob(&b.id),
                None => {}
            }
            match self.word(pos, b, &mut groups) {
                Some(w) => {
                    self.recent.insert(b.id, w);
                }
                None => {
                    self.wide.insert(b.id, location(pos, b));
                }
            }
        }
        if self.recent.len() >= MERGE_AT.max(self.keys.len() / 8).min(MERGE_MAX) {
            self.merge();
        }
    }

    /// The word for blob `b` of pack `pos`, adding its extent; `None` when
    /// its location does not fit one.
    fn word(
        &mut self,
        pos: u32,
        b: &BlobEntry,
        groups: &mut HashMap<(u32, u32, u32, u8), u32>,
    ) -> Option<u64> {
        let grouped = b.group_length > 0;
        let fits = if grouped {
            b.inner < 1 << INNER_BITS && b.raw_length < 1 << RAW_BITS
        } else {
            b.inner == 0
        };
        if !fits {
            return None;
        }
        let next = self.extents.len() as u32;
        let extent = Extent {
            pack: pos,
            offset: b.offset,
            length: b.length,
            span: if grouped {
                b.group_length
            } else {
                b.raw_length
            },
            grouped,
            kind: b.kind,
        };
        let at = if grouped {
            *groups
                .entry((b.offset, b.length, b.group_length, u8::from(b.kind)))
                .or_insert(next)
        } else {
            next
        };
        if at == next {
            if next >= 1 << EXTENT_BITS {
                return None;
            }
            self.extents.push(extent);
        }
        let (inner, raw) = if grouped {
            (b.inner, b.raw_length)
        } else {
            (0, 0)
        };
        Some(
            u64::from(at) << (INNER_BITS + RAW_BITS)
                | u64::from(inner) << RAW_BITS
                | u64::from(raw),
        )
    }

    /// A word's location.
    fn location(&self, w: u64) -> Location {
        let e = self.extents[(w >> (INNER_BITS + RAW_BITS)) as usize];
        let (raw_length, inner, group_length) = if e.grouped {
            let inner = (w >> RAW_BITS) & ((1 << INNER_BITS) - 1);
            (w as u32 & ((1 << RAW_BITS) - 1), inner as u32, e.span)
        } else {
            (e.span, 0, 0)
        };
        Location {
            pack: e.pack,
            kind: e.kind,
            offset: e.offset,
            length: e.length,
            raw_length,
            inner,
            group_length,
        }
    }

    /// Moves `recent` into `keys`: sorted on its own, then merged in place
    /// from the back, bucket by bucket, so a merge costs the length of
    /// `keys`, not a sort.
    fn merge(&mut self) {
        let mut new: Vec<(Id, u64)> = self.recent.drain().collect();
        new.sort_unstable_by_key(|e| e.0);
        let old = self.keys.len();
        let old_starts = std::mem::take(&mut self.starts);
        let run = |b: usize| -> usize { old_starts.get(b).map_or(0, |&s| s as usize) };
        self.keys.reserve_exact(new.len());
        self.words.reserve_exact(new.len());
        self.keys.resize(old + new.len(), [0; 30]);
        self.words.resize(old + new.len(), 0);
        let (mut i, mut j, mut k) = (old, new.len(), self.keys.len());
        for b in (0..1usize << 16).rev() {
            let lo = run(b);
            loop {
                let newer = j > 0 && prefix(&new[j - 1].0) == b;
                let take_new =
                    newer && (i == lo || key_cmp(&self.keys[i - 1], &key(&new[j - 1].0)).is_lt());
                if take_new {
                    k -= 1;
                    self.keys[k] = key(&new[j - 1].0);
                    self.words[k] = new[j - 1].1;
                    j -= 1;
                } else if i > lo {
                    k -= 1;
                    self.keys[k] = self.keys[i - 1];
                    self.words[k] = self.words[i - 1];
                    i -= 1;
                } else {
                    break;
                }
            }
        }
        let mut starts = vec![0u32; (1 << 16) + 1];
        for b in 0..1usize << 16 {
            starts[b + 1] = (run(b + 1) - run(b)) as u32;
        }
        for (id, _) in &new {
            starts[prefix(id) + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        self.starts = starts;
        self.recent.shrink_to(MERGE_AT);
    }

    /// The bucket of `id` in `keys`.
    fn bucket(&self, id: &Id) -> std::ops::Range<usize> {
        let b = prefix(id);
        match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(&lo), Some(&hi)) => lo as usize..hi as usize,
            _ => 0..0,
        }
    }

    /// Position of `id` in `keys`: ids are keyed hashes, spread evenly, so
    /// the next 16 bits guess where in its bucket it is; the search gallops
    /// out from the guess and bisects what it brackets (a few neighbouring
    /// entries, not a bisection of scattered ones; a hostile index of
    /// uneven ids costs a logarithm, not a scan).
    fn position(&self, id: &Id) -> Option<usize> {
        let r = self.bucket(id);
        let base = r.start;
        let s = &self.keys[r];
        if s.is_empty() {
            return None;
        }
        let rest = key(id);
        let g = (usize::from(u16::from_be_bytes([rest[0], rest[1]])) * s.len()) >> 16;
        let (lo, hi) = match key_cmp(&s[g], &rest) {
            Ordering::Equal => return Some(base + g),
            Ordering::Less => {
                let (mut lo, mut step) = (g + 1, 1);
                loop {
                    let probe = g + step;
                    if probe >= s.len() {
                        break (lo, s.len());
                    }
                    if key_cmp(&s[probe], &rest).is_lt() {
                        lo = probe + 1;
                        step *= 2;
                    } else {
                        break (lo, probe + 1);
                    }
                }
            }
            Ordering::Greater => {
                let (mut hi, mut step) = (g, 1);
                loop {
                    if step > g {
                        break (0, hi);
                    }
                    let probe = g - step;
                    if key_cmp(&s[probe], &rest).is_gt() {
                        hi = probe;
                        step *= 2;
                    } else {
                        break (probe, hi);
                    }
                }
            }
        };
        s[lo..hi]
            .binary_search_by(|k| key_cmp(k, &rest))
            .ok()
            .map(|i| base + lo + i)
    }

    fn find(&self, id: &Id) -> Option<Location> {
        if let Some(i) = self.position(id) {
            return Some(self.location(self.words[i]));
        }
        if let Some(&w) = self.recent.get(id) {
            return Some(self.location(w));
        }
        self.wide.get(id).copied()
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
        Some((self.packs[loc.pack as usize], loc))
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
        if self.recent.remove(id).is_some() || self.wide.remove(id).is_some() {
            return;
        }
        if let Some(i) = self.position(id) {
            self.keys.remove(i);
            self.words.remove(i);
            for s in &mut self.starts[prefix(id) + 1..] {
                *s -= 1;
            }
        }
    }

    /// The blob's entry as in a pack header.
    pub fn entry(&self, id: &Id) -> Option<(PackInfo, BlobEntry)> {
        self.get(id).map(|(p, l)| (p, blob_entry(id, &l)))
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
        self.keys.len() + self.recent.len() + self.wide.len()
    }

    /// Whether there are no blobs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every blob id and location.
    pub fn iter(&self) -> impl Iterator<Item = (Id, Location)> + '_ {
        let merged = (0..self.starts.len().saturating_sub(1)).flat_map(move |b| {
            let r = self.starts[b] as usize..self.starts[b + 1] as usize;
            r.map(move |i| (whole(b, &self.keys[i]), self.location(self.words[i])))
        });
        merged
            .chain(self.recent.iter().map(|(id, &w)| (*id, self.location(w))))
            .chain(self.wide.iter().map(|(id, l)| (*id, *l)))
    }

    /// Every pack's entries, pack by pack in the order they were added,
    /// each pack's blobs in pack order (by offset, then place in the
    /// group), handed to `each` one pack at a time: what a run writes into
    /// its index files, without holding them all (an `IndexPack` costs 56
    /// bytes a blob).
    pub fn each_pack(&mut self, mut each: impl FnMut(IndexPack) -> Result<()>) -> Result<()> {
        self.merge();
        let order = |l: &Location| (l.pack, l.offset, l.inner);
        let mut by_pack: Vec<u32> = (0..self.keys.len() as u32).collect();
        by_pack.sort_unstable_by_key(|&i| order(&self.location(self.words[i as usize])));
        let mut wide: Vec<(Id, Location)> = self.wide.iter().map(|(k, l)| (*k, *l)).collect();
        wide.sort_unstable_by_key(|(_, l)| order(l));
        let (mut at, mut w) = (0, 0);
        for (pos, info) in self.packs.iter().enumerate() {
            let mut blobs = Vec::new();
            while let Some(&i) = by_pack.get(at) {
                let l = self.location(self.words[i as usize]);
                if l.pack as usize != pos {
                    break;
                }
                blobs.push(blob_entry(&self.id_at(i as usize), &l));
                at += 1;
            }
            while let Some((id, l)) = wide.get(w).filter(|(_, l)| l.pack as usize == pos) {
                blobs.push(blob_entry(id, l));
                w += 1;
            }
            blobs.sort_by_key(|b| (b.offset, b.inner));
            each(IndexPack {
                id: info.id,
                body_len: info.body_len,
                blobs,
            })?;
        }
        Ok(())
    }

    /// The id at `keys[i]`: its bucket is its first two bytes.
    fn id_at(&self, i: usize) -> Id {
        let b = self.starts.partition_point(|&s| s as usize <= i) - 1;
        whole(b, &self.keys[i])
    }

    /// Bytes the index holds in memory, about (for the benchmark).
    pub fn resident_estimate(&self) -> usize {
        self.keys.capacity() * 30
            + self.words.capacity() * 8
            + self.starts.capacity() * 4
            + self.extents.capacity() * std::mem::size_of::<Extent>()
            + self.recent.capacity() * 41
            + self.wide.capacity() * 61
    }
}

/// A blob's location from its pack-header entry.
fn location(pack: u32, b: &BlobEntry) -> Location {
    Location {
        pack,
        kind: b.kind,
        offset: b.offset,
        length: b.length,
        raw_length: b.raw_length,
        inner: b.inner,
        group_length: b.group_length,
    }
}

/// A pack-header entry from a blob's location.
fn blob_entry(id: &Id, l: &Location) -> BlobEntry {
    BlobEntry {
        id: *id,
        kind: l.kind,
        offset: l.offset,
        length: l.length,
        raw_length: l.raw_length,
        inner: l.inner,
        group_length: l.group_length,
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
    fn first_location_wins_across_merges() {
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
        let mut all: Vec<Id> = index.iter().map(|(k, _)| k).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), index.len());
    }

    /// A pack of `n` groups of `per` blobs, then `lone` blobs compressed
    /// alone, then blobs whose location does not fit a word.
    fn mixed(n: u8, first: u32, groups: u32, per: u32, lone: u32) -> IndexPack {
        let mut blobs = Vec::new();
        let mut i = first;
        for g in 0..groups {
            for b in 0..per {
                blobs.push(BlobEntry {
                    id: bid(i),
                    kind: if g % 2 == 0 {
                        BlobKind::Data
                    } else {
                        BlobKind::Tree
                    },
                    offset: g * 1000,
                    length: 900,
                    raw_length: 100 + b,
                    inner: b * 700,
                    group_length: per * 700,
                });
                i += 1;
            }
        }
        for l in 0..lone {
            blobs.push(BlobEntry {
                id: bid(i),
                kind: BlobKind::Data,
                offset: 1 << 30 | l,
                length: 3 << 20,
                raw_length: 4 << 20,
                inner: 0,
                group_length: 0,
            });
            i += 1;
        }
        // Not as this program writes them, but a valid header: kept whole.
        for (inner, raw, group) in [(1 << 20, 5, 2 << 20), (7, 1 << 16, 1 << 17), (9, 3, 0)] {
            blobs.push(BlobEntry {
                id: bid(i),
                kind: BlobKind::Data,
                offset: 77,
                length: 88,
                raw_length: raw,
                inner,
                group_length: group,
            });
            i += 1;
        }
        IndexPack {
            id: Id([n; 32]),
            body_len: 1 << 31,
            blobs,
        }
    }

    #[test]
    fn every_location_comes_back_exactly_grouped_alone_or_wide() {
        let mut index = Index::default();
        let packs: Vec<IndexPack> = (0..40u8)
            .map(|p| mixed(p + 1, u32::from(p) * 1000, 6, 150, 50))
            .collect();
        for p in &packs {
            index.add_pack(p);
        }
        let total: usize = packs.iter().map(|p| p.blobs.len()).sum();
        assert_eq!(index.len(), total);
        assert!(index.keys.len() > total / 2, "merged: {}", index.keys.len());
        assert_eq!(index.wide.len(), 3 * 40);
        for p in &packs {
            for b in &p.blobs {
                let (info, e) = index.entry(&b.id).unwrap();
                assert_eq!(&e, b);
                assert_eq!(info.id, p.id);
            }
        }
        let mut seen: Vec<(Id, Location)> = index.iter().collect();
        assert_eq!(seen.len(), total);
        seen.sort_by_key(|e| e.0);
        seen.dedup_by_key(|e| e.0);
        assert_eq!(seen.len(), total);
        for (id, loc) in seen {
            assert_eq!(index.get(&id).unwrap().1, loc);
        }
        assert!(!index.contains(&bid(40 * 1000 + 5000)));
    }

    #[test]
    fn a_blob_of_a_retired_pack_is_stored_again_with_its_new_location() {
        let mut index = Index::default();
        for p in 0..3u8 {
            index.add_pack(&mixed(p + 1, u32::from(p) * 1000, 4, 200, 10));
        }
        let old = bid(1005);
        assert_eq!(index.get(&old).unwrap().0.id, Id([2; 32]));
        index.retire(&[Id([2; 32])].into_iter().collect());
        assert!(!index.contains(&old), "hidden once condemned");
        // Pack 9 holds the same blobs again.
        index.add_pack(&mixed(9, 1000, 4, 200, 10));
        let (info, _) = index.get(&old).unwrap();
        assert_eq!(info.id, Id([9; 32]));
        assert_eq!(index.len(), 3 * (800 + 10 + 3));
        assert!(index.contains(&bid(5)) && index.contains(&bid(2005)));
    }

    #[test]
    fn a_grouped_blob_costs_under_forty_bytes() {
        let mut index = Index::default();
        // Blobs in groups of 700, as files of about 700 bytes are.
        let add = |index: &mut Index, from: u32, to: u32| {
            for p in from..to {
                index.add_pack(&mixed(p as u8 + 1, p * 20_000, 14, 700, 0));
            }
            index.merge();
            (index.len(), index.resident_estimate())
        };
        let (n1, b1) = add(&mut index, 0, 10);
        let (n2, b2) = add(&mut index, 10, 20);
        // What each blob adds, past the fixed prefix table and hash map.
        let per_blob = (b2 - b1) as f64 / (n2 - n1) as f64;
        assert!(per_blob < 40.0, "{per_blob:.1} bytes per blob");
        assert_eq!(index.keys.len() + index.wide.len(), index.len());
    }
}
