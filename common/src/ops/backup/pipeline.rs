//! The storage pipeline behind a walk: the walking thread chunks and hashes;
//! compression runs on one worker per core; one packer thread encrypts packs;
//! [`Upload::connections`] threads upload them (a remote backend's latency
//! overlaps), within an optional rate limit. Bounded queues between them keep
//! memory bounded by the queue depth and the pack size, not by file size or
//! count.
//!
//! Blobs smaller than [`GROUP_BELOW`] are compressed in groups: a codec's
//! per-stream set-up costs more than compressing a small file, and shared
//! context shrinks them.

use crate::backend::Kind;
use crate::error::{Error, ErrorKind, Result};
use crate::format::codec;
use crate::format::tree::{Node, Tree};
use crate::format::{BlobKind, IndexPack, MAX_INDEX_BLOBS};
use crate::id::Id;
use crate::ops::limit::{sleep_until, Limiter};
use crate::repo::pack::PackWriter;
use crate::repo::{Index, Repository};
use crossbeam_channel::{bounded, Receiver, Sender};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// Blobs smaller than this are compressed in groups.
pub(super) const GROUP_BELOW: usize = 64 << 10;
/// A group is sent to compression once it holds this much.
const GROUP_TARGET: usize = 512 << 10;

/// One payload to compress: a blob, or a group of small blobs of one kind.
struct Job {
    kind: BlobKind,
    blobs: Vec<(Id, u32)>,
    data: Vec<u8>,
}

struct Packed {
    kind: BlobKind,
    blobs: Vec<(Id, u32)>,
    payload: Vec<u8>,
}

/// What the walk hands blobs to: deduplicates against the index and what
/// this run already stored or queued, groups small blobs, and feeds the
/// pipeline.
pub(super) struct Sink<'a> {
    repo: &'a Repository,
    index: &'a Index,
    /// Blobs this run queued that are not in an uploaded pack yet (at most
    /// the pipeline's depth: open packs, queues, uploads).
    pending: HashSet<Id>,
    /// This run's uploaded packs, as compact as the index (38 bytes a
    /// grouped blob, where a set of ids and the packs' entries held to the
    /// commit cost 120: 250 MiB at a million files).
    fresh: Index,
    /// Uploaded packs' entries, from the uploaders, moved into `fresh`.
    uploaded: Receiver<IndexPack>,
    used: Used,
    jobs: Option<Sender<Job>>,
    groups: BTreeMap<u8, Job>,
    chunks_added: u64,
    bytes_added: u64,
    trees_added: u64,
}

impl Sink<'_> {
    /// The repository written to.
    pub(super) fn repo(&self) -> &Repository {
        self.repo
    }

    /// Whether a blob is stored already or queued by this run.
    pub(super) fn known(&self, id: &Id) -> bool {
        self.index.contains(id) || self.ours(id)
    }

    /// Whether this run stored or queued the blob.
    fn ours(&self, id: &Id) -> bool {
        self.pending.contains(id) || self.fresh.contains(id)
    }

    /// Moves uploaded packs' blobs from `pending` to `fresh`: into `fresh`
    /// first, so a blob is always in one of them.
    fn absorb(&mut self) {
        for p in self.uploaded.try_iter() {
            self.fresh.add_pack(&p);
            for b in &p.blobs {
                self.pending.remove(&b.id);
            }
        }
        // Its peak was a pipeline's depth; a table of that size stays.
        if self.pending.capacity() > 4 * self.pending.len().max(1 << 16) {
            self.pending.shrink_to_fit();
        }
    }

    /// Marks blobs as referenced by the snapshot (reused without storing).
    /// For a blob the index has, its pack is recorded; one this run queued
    /// needs nothing: its pack is new, and every new pack is referenced.
    pub(super) fn use_blobs(&mut self, ids: &[Id]) {
        for id in ids {
            if let Some((pack, _)) = self.index.get(id) {
                self.used.packs.insert(pack.id);
            } else if !self.ours(id) {
                self.used.unknown.get_or_insert(*id);
            }
        }
    }

    /// Stores a blob unless the repository or this run has it; it counts as used.
    pub(super) fn store(&mut self, id: Id, kind: BlobKind, data: Vec<u8>) -> Result<()> {
        if let Some((pack, _)) = self.index.get(&id) {
            self.used.packs.insert(pack.id);
            return Ok(());
        }
        self.absorb();
        if self.fresh.contains(&id) || !self.pending.insert(id) {
            return Ok(());
        }
        if kind == BlobKind::Data {
            self.chunks_added += 1;
            self.bytes_added += data.len() as u64;
        } else {
            self.trees_added += 1;
        }
        if data.len() >= GROUP_BELOW {
            return self.send(Job {
                kind,
                blobs: vec![(id, data.len() as u32)],
                data,
            });
        }
        let group = self.groups.entry(u8::from(kind)).or_insert_with(|| Job {
            kind,
            blobs: Vec::new(),
            data: Vec::new(),
        });
        group.blobs.push((id, data.len() as u32));
        group.data.extend_from_slice(&data);
        if group.data.len() >= GROUP_TARGET {
            if let Some(job) = self.groups.remove(&u8::from(kind)) {
                self.send(job)?;
            }
        }
        Ok(())
    }

    /// Stores a directory listing (sorted, names unique) and returns its id.
    pub(super) fn store_tree(&mut self, mut nodes: Vec<Node>) -> Result<Id> {
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        nodes.dedup_by(|a, b| a.name == b.name);
        let entries = nodes.len();
        let bytes = crate::format::to_cbor(&Tree { nodes });
        if bytes.len() as u64 > crate::format::MAX_BLOB {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "a directory of {entries} entries makes a listing of {} bytes, more than the format allows ({} bytes)",
                    bytes.len(),
                    crate::format::MAX_BLOB
                ),
            )
            .hint("split the directory, or exclude part of it"));
        }
        let id = self.repo.keys().chunk_id(&bytes);
        self.store(id, BlobKind::Tree, bytes)?;
        Ok(id)
    }

    /// Sends the unfinished groups; called once the walk is done.
    fn flush_groups(&mut self) -> Result<()> {
        for (_, job) in std::mem::take(&mut self.groups) {
            self.send(job)?;
        }
        Ok(())
    }

    fn send(&mut self, job: Job) -> Result<()> {
        let sent = self.jobs.as_ref().map(|j| j.send(job).is_ok());
        if sent == Some(true) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Io, "storage pipeline stopped"))
        }
    }
}

/// The packs of the index a snapshot references. Kept per pack, not per
/// blob: a million reused blobs cost a few thousand entries, not 66 MiB.
#[derive(Default)]
pub(super) struct Used {
    /// Packs holding a blob the snapshot references.
    pub packs: HashSet<Id>,
    /// The first blob referenced that neither the index nor this run has
    /// (an internal error: the commit refuses it).
    pub unknown: Option<Id>,
}

/// What the pipeline produced.
pub(super) struct Done {
    /// The walk's result (the root tree).
    pub root: Result<Id>,
    /// Packs written, for the index file.
    pub packs: Result<Index>,
    /// Bytes of packs written to storage.
    pub stored: u64,
    /// The packs the snapshot references, besides this run's new ones.
    pub used: Used,
    /// Data chunks, their bytes, and tree blobs new to the repository.
    pub added: (u64, u64, u64),
}

/// How packs go up.
#[derive(Debug, Clone, Copy)]
pub(super) struct Upload {
    /// Packs uploaded at the same time (at least 1).
    pub connections: usize,
    /// Bytes per second, averaged over packs.
    pub limit: Option<u64>,
}

/// Uploads finished packs until the queue closes, handing each one's
/// entries to `done`; the first error stops it.
fn uploader(
    repo: &Repository,
    rx: Receiver<crate::repo::pack::FinishedPack>,
    limit: Option<&Limiter>,
    stored: &AtomicU64,
    done: Sender<IndexPack>,
) -> Result<()> {
    for p in rx {
        let until = limit.map(|l| l.reserve(p.bytes.len()));
        repo.backend().write(Kind::Data, &p.id.to_hex(), &p.bytes)?;
        if let Some(t) = until {
            sleep_until(t);
        }
        stored.fetch_add(p.bytes.len() as u64, Ordering::Relaxed);
        // The sink outlives the uploaders: a send cannot fail.
        let _ = done.send(IndexPack {
            id: p.id,
            body_len: p.header.body_len,
            blobs: p.header.blobs,
        });
    }
    Ok(())
}

/// Runs `walk` on this thread with the compression workers, the packer and
/// the uploaders behind it; returns when every pack is uploaded (or the
/// pipeline failed).
pub(super) fn run<'a>(
    repo: &'a Repository,
    index: &'a Index,
    (threads, codec): (usize, codec::Codec),
    upload: Upload,
    walk: impl FnOnce(&mut Sink<'a>) -> Result<Id>,
) -> Done {
    let stored = AtomicU64::new(0);
    let (job_tx, job_rx) = bounded::<Job>(threads * 2);
    let (pack_tx, pack_rx) = bounded::<Packed>(threads * 2);
    let connections = upload.connections.max(1);
    // A rendezvous: a finished pack waits in the packer, not in a queue, so
    // packs in memory are the open ones, one finished and one per upload.
    let (up_tx, up_rx) = bounded::<crate::repo::pack::FinishedPack>(0);
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<IndexPack>();
    let limiter = upload.limit.map(Limiter::new);
    let (root, packs, sink) = std::thread::scope(|s| {
        for _ in 0..threads {
            let rx = job_rx.clone();
            let tx = pack_tx.clone();
            s.spawn(move || compress_worker(rx, tx, codec));
        }
        drop(job_rx);
        drop(pack_tx);
        let stored = &stored;
        let limiter = limiter.as_ref();
        let uploaders: Vec<_> = (0..connections)
            .map(|_| {
                let rx = up_rx.clone();
                let done = done_tx.clone();
                s.spawn(move || uploader(repo, rx, limiter, stored, done))
            })
            .collect();
        drop(up_rx);
        drop(done_tx);
        let packer = s.spawn(move || packer(repo, pack_rx, up_tx));
        let mut sink = Sink {
            repo,
            index,
            pending: HashSet::new(),
            fresh: Index::default(),
            uploaded: done_rx,
            used: Used::default(),
            jobs: Some(job_tx),
            groups: BTreeMap::new(),
            chunks_added: 0,
            bytes_added: 0,
            trees_added: 0,
        };
        let root = walk(&mut sink).and_then(|r| sink.flush_groups().map(|_| r));
        sink.jobs = None; // closes the pipeline
        let failed = joined(packer, uploaders);
        sink.absorb();
        let packs = match failed {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut sink.fresh)),
        };
        (root, packs, sink)
    });
    Done {
        root,
        packs,
        stored: stored.load(Ordering::Relaxed),
        added: (sink.chunks_added, sink.bytes_added, sink.trees_added),
        used: sink.used,
    }
}

/// Waits for the packer and the uploaders; the first error. An uploader's
/// (the storage) is the cause of the packer's "stopped": it comes first,
/// the packer's only without one.
fn joined(
    packer: std::thread::ScopedJoinHandle<'_, Result<()>>,
    uploaders: Vec<std::thread::ScopedJoinHandle<'_, Result<()>>>,
) -> Option<Error> {
    let packed = packer
        .join()
        .unwrap_or_else(|_| Err(Error::new(ErrorKind::Other, "packer thread panicked")));
    let mut failed = None;
    for u in uploaders {
        match u.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failed = failed.or(Some(e)),
            Err(_) => {
                failed = failed.or(Some(Error::new(ErrorKind::Other, "upload thread panicked")))
            }
        }
    }
    failed.or(packed.err())
}

fn compress_worker(rx: Receiver<Job>, tx: Sender<Packed>, codec: codec::Codec) {
    for job in rx {
        let payload = codec::compress(&job.data, codec);
        let packed = Packed {
            kind: job.kind,
            blobs: job.blobs,
            payload,
        };
        if tx.send(packed).is_err() {
            return;
        }
    }
}

/// Fills packs (one open pack per blob kind) and hands each full one to the
/// uploaders. A pack is full at the repository's pack size, or at
/// [`MAX_INDEX_BLOBS`] blobs (a group may go past it): one pack's entries
/// are what an index file holds at most, and what a run loading the index
/// decodes at once (a 30 MiB pack of files of 100 bytes held 300,000
/// blobs, 33 MiB decoded).
fn packer(
    repo: &Repository,
    rx: Receiver<Packed>,
    up: Sender<crate::repo::pack::FinishedPack>,
) -> Result<()> {
    let recipients = &repo.backup_key().recipients;
    let target = u64::from(repo.config().pack_size);
    let mut open: BTreeMap<u8, PackWriter> = BTreeMap::new();
    let flush = |w: PackWriter| -> Result<()> {
        let p = w.finish(repo.keys(), repo.config().version >= 2)?;
        up.send(p)
            .map_err(|_| Error::new(ErrorKind::Io, "storage pipeline stopped"))
    };
    for item in rx {
        let key = u8::from(item.kind);
        let w = match open.entry(key) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(PackWriter::new(recipients)?),
        };
        w.add_group(item.kind, &item.blobs, &item.payload)?;
        if w.len() >= target || w.blob_count() >= MAX_INDEX_BLOBS {
            if let Some(full) = open.remove(&key) {
                flush(full)?;
            }
        }
    }
    for (_, w) in open {
        if !w.is_empty() {
            flush(w)?;
        }
    }
    Ok(())
}
