//! `bananactl stats`: what a repository holds and what it costs, from its
//! metadata alone (the backup half of the key suffices: no pack is read).
//! Logical sizes come from the snapshots' summaries; stored sizes from the
//! listing; blob sizes from the index (a group of small blobs stored as one
//! payload is counted once).

use crate::backend::Kind;
use crate::error::Result;
use crate::format::BlobKind;
use crate::repo::Store;
use std::collections::{BTreeMap, HashSet};

/// One job's snapshots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobStats {
    /// How many.
    pub snapshots: u64,
    /// The newest non-failed one's logical size (sum of file sizes).
    pub latest_bytes: u64,
    /// Its time (Unix seconds).
    pub latest_time: Option<i64>,
}

/// Plaintext and stored bytes of one kind of blob.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bytes {
    /// Blobs.
    pub blobs: u64,
    /// Their plaintext.
    pub raw: u64,
    /// Their stored payloads (compressed, before the pack's encryption).
    pub stored: u64,
}

/// What `stats` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Snapshots counted (of `--job`, or all).
    pub snapshots: u64,
    /// Per job.
    pub jobs: BTreeMap<String, JobStats>,
    /// Logical size of the newest snapshot of each job, summed.
    pub logical_latest: u64,
    /// Logical size of every snapshot, summed (what a copy of each would take).
    pub logical_all: u64,
    /// Every object in storage, summed.
    pub stored_bytes: u64,
    /// Packs in storage.
    pub packs: u64,
    /// Their bytes.
    pub pack_bytes: u64,
    /// File contents.
    pub data: Bytes,
    /// Directory trees.
    pub trees: Bytes,
    /// Everything but packs: config, index, snapshots, reference lists,
    /// forget records, key envelopes.
    pub metadata_bytes: u64,
}

impl Stats {
    /// Logical bytes of all snapshots per plaintext byte of file contents stored.
    pub fn dedup_ratio(&self) -> f64 {
        ratio(self.logical_all, self.data.raw)
    }
    /// Plaintext per stored byte of blobs.
    pub fn compression_ratio(&self) -> f64 {
        ratio(
            self.data.raw + self.trees.raw,
            self.data.stored + self.trees.stored,
        )
    }
    /// The share of pack bytes that indexed blobs fill (the rest: headers,
    /// encryption, blobs no index lists).
    pub fn pack_fill(&self) -> f64 {
        ratio(self.data.stored + self.trees.stored, self.pack_bytes)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The stats of the repository in `store`, its snapshots of `job` if given.
pub fn stats(store: &Store, job: Option<&str>) -> Result<Stats> {
    let mut s = Stats::default();
    let be = store.backend();
    for kind in [
        Kind::Config,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
        Kind::Key,
        Kind::Forget,
    ] {
        s.metadata_bytes += be.list(kind)?.iter().map(|(_, n)| n).sum::<u64>();
    }
    let packs = be.list(Kind::Data)?;
    s.packs = packs.len() as u64;
    s.pack_bytes = packs.iter().map(|(_, n)| n).sum();
    s.stored_bytes = s.pack_bytes + s.metadata_bytes;
    let loaded = store.load_index()?;
    let mut payloads = HashSet::new();
    for (_, l) in loaded.index.iter() {
        let b = match l.kind {
            BlobKind::Data => &mut s.data,
            BlobKind::Tree => &mut s.trees,
        };
        b.blobs += 1;
        b.raw += u64::from(l.raw_length);
        // A group's payload is shared by its blobs: counted once.
        if payloads.insert((l.pack, l.offset)) {
            b.stored += u64::from(l.length);
        }
    }
    for (_, snap) in store.snapshots()? {
        let name = snap.job_name().to_owned();
        if job.is_some_and(|j| j != name) {
            continue;
        }
        s.snapshots += 1;
        s.logical_all += snap.summary.total_bytes;
        let j = s.jobs.entry(name).or_default();
        j.snapshots += 1;
        let usable = snap.run.status != crate::format::RunStatus::Failed;
        if usable && j.latest_time.is_none_or(|t| snap.time.0 >= t) {
            j.latest_time = Some(snap.time.0);
            j.latest_bytes = snap.summary.total_bytes;
        }
    }
    s.logical_latest = s.jobs.values().map(|j| j.latest_bytes).sum();
    Ok(s)
}
