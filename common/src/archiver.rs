//! Backup: walks the sources, chunks and hashes on the walking thread, and
//! pipelines compression (one worker per core) and pack encryption + upload (one
//! packer thread) behind bounded queues, so both cores work and memory stays
//! bounded by the queue depth and pack size, not by file size or count.
//!
//! Write order: packs, then the index file, then the reference list, then the
//! snapshot. A run killed at any point leaves only unreferenced objects; the
//! next run finds the packs no index covers, reads their sealed headers and
//! reuses their chunks.

use crate::backend::Kind;
use crate::catalogue;
use crate::chunker;
use crate::crypto::SealKind;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Observer, Progress, WarningKind};
use crate::format::{BlobKind, IndexFile, IndexPack, Refs, Snapshot, Summary};
use crate::id::Id;
use crate::index::Index;
use crate::pack::{self, PackWriter};
use crate::repo::{now, Repository};
use crate::tree::{Node, NodeKind, Timestamp, Tree, Xattr};
use crossbeam_channel::{bounded, Receiver, Sender};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_bytes::ByteBuf;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to back up and how.
#[derive(Default)]
pub struct BackupOptions {
    /// Sources (files or directories).
    pub paths: Vec<PathBuf>,
    /// Exclude globs: with a `/` matched against the absolute path, else the name.
    pub excludes: Vec<String>,
    /// Stay on the filesystem of each source.
    pub one_file_system: bool,
    /// Tags for the snapshot.
    pub tags: Vec<String>,
    /// Back up a stream instead of paths: the reader and the file name.
    pub stdin: Option<(Box<dyn Read + Send>, String)>,
    /// Node-local state directory (catalogue); `None` disables incremental reuse.
    pub state_dir: Option<PathBuf>,
    /// Compression workers (0: one per core).
    pub threads: usize,
    /// Host name to record.
    pub hostname: String,
    /// Count the sources first so progress can show totals.
    pub estimate: bool,
}

/// What a finished backup produced.
#[derive(Debug)]
pub struct BackupOutcome {
    /// The new snapshot's id.
    pub id: Id,
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Some sources were unreadable and are missing from the snapshot.
    pub partial: bool,
}

/// Blobs smaller than this are compressed in groups: xz's per-stream set-up
/// costs more than compressing a small file, and shared context shrinks them.
const GROUP_BELOW: usize = 64 << 10;
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

/// Runs a backup.
pub fn backup(
    repo: &Repository,
    opts: BackupOptions,
    obs: &dyn Observer,
    progress: &Progress,
) -> Result<BackupOutcome> {
    let started = Instant::now();
    let time = now();
    let sources = prepare_sources(&opts)?;
    let excludes = Excludes::new(&opts.excludes)?;

    let loaded = repo.load_index()?;
    for p in &loaded.problems {
        obs.warn(
            WarningKind::Repository,
            repo.backend().location().as_str(),
            &format!("{p}; run 'bananactl check'"),
        );
    }
    let mut index = loaded.index;
    let mut recovered = Vec::new();
    for (id, size) in &loaded.unindexed {
        match pack::read_header(repo.backend(), id, *size, repo.keys()) {
            Ok(h) => {
                let p = IndexPack {
                    id: *id,
                    body_len: h.body_len,
                    blobs: h.blobs,
                };
                index.add_pack(&p);
                recovered.push(p);
            }
            Err(e) => obs.warn(
                WarningKind::Repository,
                &id.to_hex(),
                &format!("ignoring unreadable pack: {e}"),
            ),
        }
    }

    let path_bytes: Vec<Vec<u8>> = match &opts.stdin {
        Some((_, name)) => vec![format!("stdin:{name}").into_bytes()],
        None => sources
            .iter()
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .collect(),
    };
    let cat_path = opts
        .state_dir
        .as_ref()
        .map(|d| catalogue::path_for(d, &repo.config().id, &path_bytes));
    let cat_reader = cat_path
        .as_ref()
        .and_then(|p| catalogue::Reader::open(p, &repo.config().id));
    let parent = cat_reader.as_ref().and_then(|r| r.snapshot());
    let cat_writer = match &cat_path {
        Some(p) => match catalogue::Writer::create(p, &repo.config().id) {
            Ok(w) => Some(w),
            Err(e) => {
                obs.warn(
                    WarningKind::Repository,
                    &p.display().to_string(),
                    &format!("no incremental catalogue: {e}"),
                );
                None
            }
        },
        None => None,
    };

    let estimate = (opts.estimate && opts.stdin.is_none())
        .then(|| spawn_estimate(sources.clone(), excludes.clone(), opts.one_file_system));

    let threads = crate::worker_threads(opts.threads);
    let stored = Arc::new(AtomicU64::new(0));
    let (job_tx, job_rx) = bounded::<Job>(threads * 2);
    let (pack_tx, pack_rx) = bounded::<Packed>(threads * 2);
    let preset = repo.config().compression;
    let pack_result = std::thread::scope(|s| {
        for _ in 0..threads {
            let rx = job_rx.clone();
            let tx = pack_tx.clone();
            s.spawn(move || compress_worker(rx, tx, preset));
        }
        drop(job_rx);
        drop(pack_tx);
        let stored2 = stored.clone();
        let packer = s.spawn(move || packer(repo, pack_rx, &stored2));
        let mut w = Walker {
            repo,
            index: &index,
            pending: HashSet::new(),
            used: HashSet::new(),
            jobs: Some(job_tx),
            groups: BTreeMap::new(),
            excludes,
            one_fs: opts.one_file_system,
            cat_reader,
            cat_writer,
            hardlinks: HashMap::new(),
            names: Names::default(),
            summary: Summary::default(),
            obs,
            progress,
            last_tick: Instant::now(),
            partial: false,
            estimate,
        };
        let root = match opts.stdin {
            Some((reader, name)) => w.stdin_root(reader, &name),
            None => w.roots(&sources),
        };
        let root = root.and_then(|r| w.flush_groups().map(|_| r));
        w.jobs = None; // closes the pipeline
        let packed = packer
            .join()
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Other, "packer thread panicked")));
        (root, packed, w)
    });
    let (root, packed, w) = pack_result;
    // The packer's error (a full disk, say) is the cause of a walker error.
    let new_packs = packed?;
    let root = root?;
    let Walker {
        used,
        mut summary,
        cat_writer,
        partial,
        ..
    } = w;

    let mut all_new: Vec<IndexPack> = recovered;
    all_new.extend(new_packs);
    let mut indexes = Vec::new();
    if !all_new.is_empty() {
        indexes.push(repo.save(
            Kind::Index,
            SealKind::Index,
            &IndexFile {
                packs: all_new.clone(),
            },
        )?);
    }
    for p in &all_new {
        index.add_pack(p);
    }
    let mut packs = HashSet::new();
    for id in &used {
        let (p, _) = index.get(id).ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                format!("internal: blob {id} was not stored"),
            )
        })?;
        packs.insert(p.id);
    }
    let mut packs: Vec<Id> = packs.into_iter().collect();
    packs.sort();
    let refs = repo.save(Kind::Refs, SealKind::Refs, &Refs { packs })?;

    summary.bytes_stored = stored.load(Ordering::Relaxed);
    summary.duration_ms = started.elapsed().as_millis() as u64;
    let snapshot = Snapshot {
        time,
        hostname: opts.hostname,
        username: Names::default()
            .user(nix::unistd::geteuid().as_raw())
            .unwrap_or_default(),
        paths: path_bytes.into_iter().map(ByteBuf::from).collect(),
        tags: opts.tags,
        parent,
        tree: root,
        refs,
        indexes,
        summary,
        program: format!("bananactl {}", env!("CARGO_PKG_VERSION")),
    };
    let id = repo.save(Kind::Snapshot, SealKind::Snapshot, &snapshot)?;
    if let Some(dir) = &opts.state_dir {
        let published = record_last_snapshot(dir, &repo.config().id, &id)
            .and_then(|_| cat_writer.map_or(Ok(()), |w| w.commit(&id, &repo.config().id)));
        if let Err(e) = published {
            obs.warn(
                WarningKind::Repository,
                &dir.display().to_string(),
                &format!("local state not updated: {e}"),
            );
        }
    }
    Ok(BackupOutcome {
        id,
        snapshot,
        partial,
    })
}

/// Remembers the newest snapshot this node wrote, to detect a rollback by storage.
fn record_last_snapshot(state_dir: &Path, repo: &Id, snap: &Id) -> Result<()> {
    let dir = state_dir.join(repo.to_hex());
    let tmp = dir.join("last-snapshot.tmp");
    let err = |e| Error::io(format!("state {}", dir.display()), e);
    fs::create_dir_all(&dir).map_err(err)?;
    let mut f = File::create(&tmp).map_err(err)?;
    std::io::Write::write_all(&mut f, format!("{snap}\n").as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    fs::rename(&tmp, dir.join("last-snapshot")).map_err(err)?;
    File::open(&dir).and_then(|d| d.sync_all()).map_err(err)
}

/// The newest snapshot this node recorded for `repo`, if any.
pub fn last_snapshot(state_dir: &Path, repo: &Id) -> Option<Id> {
    fs::read_to_string(state_dir.join(repo.to_hex()).join("last-snapshot"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn compress_worker(rx: Receiver<Job>, tx: Sender<Packed>, preset: u32) {
    for job in rx {
        let payload = crate::compress::compress(&job.data, preset);
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

fn packer(repo: &Repository, rx: Receiver<Packed>, stored: &AtomicU64) -> Result<Vec<IndexPack>> {
    let recipients = &repo.backup_key().recipients;
    let target = u64::from(repo.config().pack_size);
    let mut open: BTreeMap<u8, PackWriter> = BTreeMap::new();
    let mut done = Vec::new();
    let flush = |w: PackWriter, done: &mut Vec<IndexPack>| -> Result<()> {
        let p = w.finish(repo.keys())?;
        repo.backend().write(Kind::Data, &p.id.to_hex(), &p.bytes)?;
        stored.fetch_add(p.bytes.len() as u64, Ordering::Relaxed);
        done.push(IndexPack {
            id: p.id,
            body_len: p.header.body_len,
            blobs: p.header.blobs,
        });
        Ok(())
    };
    for item in rx {
        let key = u8::from(item.kind);
        let w = match open.entry(key) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(PackWriter::new(recipients)?),
        };
        w.add_group(item.kind, &item.blobs, &item.payload)?;
        if w.len() >= target {
            if let Some(full) = open.remove(&key) {
                flush(full, &mut done)?;
            }
        }
    }
    for (_, w) in open {
        if !w.is_empty() {
            flush(w, &mut done)?;
        }
    }
    Ok(done)
}

/// Absolute, normalised sources with nested ones dropped; each must exist.
fn prepare_sources(opts: &BackupOptions) -> Result<Vec<PathBuf>> {
    if opts.stdin.is_some() {
        if !opts.paths.is_empty() {
            return Err(Error::new(ErrorKind::BadInput, "--stdin takes no paths"));
        }
        return Ok(Vec::new());
    }
    if opts.paths.is_empty() {
        return Err(
            Error::new(ErrorKind::BadInput, "nothing to back up").hint("name at least one path")
        );
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io("current directory", e))?;
    let mut out: Vec<PathBuf> = Vec::new();
    for p in &opts.paths {
        let abs = normalise(&cwd.join(p));
        fs::symlink_metadata(&abs).map_err(|e| {
            let what = format!("source '{}'", p.display());
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::new(ErrorKind::BadInput, format!("{what} does not exist"))
                    .hint("check the path")
            } else {
                Error::io(what, e)
            }
        })?;
        out.push(abs);
    }
    out.sort();
    out.dedup();
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    Ok(out)
}

fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Exclude patterns.
#[derive(Clone)]
struct Excludes {
    full: GlobSet,
    name: GlobSet,
}

impl Excludes {
    fn new(patterns: &[String]) -> Result<Excludes> {
        let mut full = GlobSetBuilder::new();
        let mut name = GlobSetBuilder::new();
        for p in patterns {
            let glob = globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .or_else(|_| Glob::new(p))
                .map_err(|e| {
                    Error::new(ErrorKind::BadInput, format!("exclude pattern '{p}': {e}"))
                })?;
            if p.contains('/') {
                full.add(glob);
            } else {
                name.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| Error::new(ErrorKind::BadInput, e.to_string()))
        };
        Ok(Excludes {
            full: build(full)?,
            name: build(name)?,
        })
    }

    fn excluded(&self, path: &Path) -> bool {
        self.full.is_match(path) || path.file_name().is_some_and(|n| self.name.is_match(n))
    }
}

/// Counts entries and bytes on a detached thread (it only reads; a backup never
/// waits for it) and streams running totals to the walker.
fn spawn_estimate(sources: Vec<PathBuf>, ex: Excludes, one_fs: bool) -> Receiver<(u64, u64, bool)> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        let mut stack: Vec<(PathBuf, Option<u64>)> =
            sources.into_iter().map(|s| (s, None)).collect();
        let (mut files, mut bytes) = (0u64, 0u64);
        while let Some((p, dev)) = stack.pop() {
            let Ok(m) = fs::symlink_metadata(&p) else {
                continue;
            };
            let dev = dev.unwrap_or(m.dev());
            files += 1;
            if m.is_file() {
                bytes += m.len();
            }
            if m.is_dir() && (!one_fs || m.dev() == dev) {
                for e in fs::read_dir(&p).into_iter().flatten().flatten() {
                    let c = e.path();
                    if !ex.excluded(&c) {
                        stack.push((c, Some(dev)));
                    }
                }
            }
            if files % 4096 == 0 && tx.send((files, bytes, false)).is_err() {
                return;
            }
        }
        let _ = tx.send((files, bytes, true));
    });
    rx
}

/// uid/gid → name, cached.
#[derive(Default)]
struct Names {
    users: HashMap<u32, Option<String>>,
    groups: HashMap<u32, Option<String>>,
}

impl Names {
    fn user(&mut self, uid: u32) -> Option<String> {
        self.users
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .clone()
    }

    fn group(&mut self, gid: u32) -> Option<String> {
        self.groups
            .entry(gid)
            .or_insert_with(|| {
                nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
                    .ok()
                    .flatten()
                    .map(|g| g.name)
            })
            .clone()
    }
}

struct Walker<'a> {
    repo: &'a Repository,
    index: &'a Index,
    pending: HashSet<Id>,
    used: HashSet<Id>,
    jobs: Option<Sender<Job>>,
    groups: BTreeMap<u8, Job>,
    excludes: Excludes,
    one_fs: bool,
    cat_reader: Option<catalogue::Reader>,
    cat_writer: Option<catalogue::Writer>,
    hardlinks: HashMap<(u64, u64), Vec<Id>>,
    names: Names,
    summary: Summary,
    obs: &'a dyn Observer,
    progress: &'a Progress,
    last_tick: Instant,
    partial: bool,
    estimate: Option<Receiver<(u64, u64, bool)>>,
}

/// A directory on the way to a source: real metadata, only the listed children.
#[derive(Default)]
struct Virtual {
    children: BTreeMap<Vec<u8>, Virtual>,
    source: bool,
}

fn ts(sec: i64, nsec: i64) -> Timestamp {
    Timestamp(sec, nsec.clamp(0, 999_999_999) as u32)
}

impl Walker<'_> {
    fn store(&mut self, id: Id, kind: BlobKind, data: Vec<u8>) -> Result<()> {
        self.used.insert(id);
        if self.index.contains(&id) || !self.pending.insert(id) {
            return Ok(());
        }
        if kind == BlobKind::Data {
            self.summary.chunks_added += 1;
            self.summary.bytes_added += data.len() as u64;
        } else {
            self.summary.trees_added += 1;
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

    fn store_tree(&mut self, mut nodes: Vec<Node>) -> Result<Id> {
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        nodes.dedup_by(|a, b| a.name == b.name);
        let bytes = crate::format::to_cbor(&Tree { nodes });
        let id = self.repo.keys().chunk_id(&bytes);
        self.store(id, BlobKind::Tree, bytes)?;
        Ok(id)
    }

    fn tick(&mut self) {
        if self.last_tick.elapsed() >= Duration::from_millis(200) {
            self.last_tick = Instant::now();
            for (files, bytes, done) in self.estimate.iter().flat_map(|rx| rx.try_iter()) {
                self.progress.total_files.store(files, Ordering::Relaxed);
                self.progress.total_bytes.store(bytes, Ordering::Relaxed);
                self.progress
                    .total_known
                    .store(u64::from(done), Ordering::Relaxed);
            }
            self.obs.progress(self.progress);
        }
    }

    fn warn(&mut self, kind: WarningKind, path: &Path, msg: String) {
        self.summary.warnings += 1;
        if kind == WarningKind::Unreadable {
            self.partial = true;
        }
        self.obs.warn(kind, &path.display().to_string(), &msg);
    }

    fn roots(&mut self, sources: &[PathBuf]) -> Result<Id> {
        let mut top = Virtual::default();
        for s in sources {
            let mut v = &mut top;
            for c in s.components() {
                if let Component::Normal(n) = c {
                    v = v.children.entry(n.as_bytes().to_vec()).or_default();
                }
            }
            v.source = true;
        }
        if top.source {
            // The source is "/" itself.
            let m = fs::symlink_metadata("/").map_err(|e| Error::io("/", e))?;
            return self.dir_tree(Path::new("/"), m.dev());
        }
        self.virtual_tree(Path::new("/"), &top)
    }

    fn virtual_tree(&mut self, path: &Path, v: &Virtual) -> Result<Id> {
        let mut nodes = Vec::new();
        for (name, child) in &v.children {
            let p = path.join(OsStr::from_bytes(name));
            let meta = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    self.warn(WarningKind::Unreadable, &p, format!("cannot stat: {e}"));
                    continue;
                }
            };
            if child.source {
                if let Some(n) = self.entry(&p, name, &meta, meta.dev())? {
                    nodes.push(n);
                }
            } else {
                let mut node = self.node(&p, name, &meta, NodeKind::Dir);
                node.subtree = Some(self.virtual_tree(&p, child)?);
                self.summary.dirs += 1;
                nodes.push(node);
            }
        }
        self.store_tree(nodes)
    }

    fn stdin_root(&mut self, reader: Box<dyn Read + Send>, name: &str) -> Result<Id> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("--stdin-name '{name}' is not a file name"),
            ));
        }
        let params = self.repo.config().chunker;
        let seed = self.repo.keys().cdc_seed();
        let mut content = Vec::new();
        let mut size = 0u64;
        for chunk in chunker::chunks(reader, u64::MAX, params, seed) {
            let chunk = chunk.map_err(|e| Error::io("standard input", e))?;
            size += chunk.len() as u64;
            self.summary.bytes_read += chunk.len() as u64;
            Progress::add(&self.progress.bytes, chunk.len() as u64);
            let id = self.repo.keys().chunk_id(&chunk);
            self.store(id, BlobKind::Data, chunk)?;
            content.push(id);
            self.tick();
        }
        let (sec, nsec) = now();
        let uid = nix::unistd::geteuid().as_raw();
        let gid = nix::unistd::getegid().as_raw();
        let mut node = Node::new(name.as_bytes(), NodeKind::File);
        node.mode = 0o600;
        node.uid = uid;
        node.gid = gid;
        node.user = self.names.user(uid);
        node.group = self.names.group(gid);
        node.mtime = Timestamp(sec, nsec);
        node.atime = node.mtime;
        node.ctime = node.mtime;
        node.size = size;
        node.content = content;
        self.summary.files = 1;
        self.summary.total_bytes = size;
        self.store_tree(vec![node])
    }

    fn node(&mut self, path: &Path, name: &[u8], m: &Metadata, kind: NodeKind) -> Node {
        let mut n = Node::new(name, kind);
        n.mode = m.mode() & 0o7777;
        n.uid = m.uid();
        n.gid = m.gid();
        n.user = self.names.user(m.uid());
        n.group = self.names.group(m.gid());
        n.mtime = ts(m.mtime(), m.mtime_nsec());
        n.atime = ts(m.atime(), m.atime_nsec());
        n.ctime = ts(m.ctime(), m.ctime_nsec());
        n.inode = m.ino();
        n.device = m.dev();
        n.links = m.nlink();
        match xattr::list(path) {
            Ok(names) => {
                for xn in names {
                    if let Ok(Some(value)) = xattr::get(path, &xn) {
                        n.xattrs.push(Xattr {
                            name: ByteBuf::from(xn.as_bytes().to_vec()),
                            value: ByteBuf::from(value),
                        });
                    }
                }
                n.xattrs.sort_by(|a, b| a.name.cmp(&b.name));
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => {}
            Err(e) => self.warn(
                WarningKind::Unreadable,
                path,
                format!("cannot list extended attributes: {e}"),
            ),
        }
        n
    }

    /// One entry below a source (or a source itself); `None` when skipped.
    fn entry(
        &mut self,
        path: &Path,
        name: &[u8],
        m: &Metadata,
        root_dev: u64,
    ) -> Result<Option<Node>> {
        self.tick();
        Progress::add(&self.progress.files, 1);
        let ft = m.file_type();
        let node = if ft.is_dir() {
            let mut n = self.node(path, name, m, NodeKind::Dir);
            self.summary.dirs += 1;
            n.subtree = Some(if self.one_fs && m.dev() != root_dev {
                self.store_tree(Vec::new())?
            } else {
                self.dir_tree(path, root_dev)?
            });
            n
        } else if ft.is_file() {
            match self.file(path, name, m)? {
                Some(n) => n,
                None => return Ok(None),
            }
        } else if ft.is_symlink() {
            let target = match fs::read_link(path) {
                Ok(t) => t,
                Err(e) => {
                    self.warn(
                        WarningKind::Unreadable,
                        path,
                        format!("cannot read symlink: {e}"),
                    );
                    return Ok(None);
                }
            };
            let mut n = self.node(path, name, m, NodeKind::Symlink);
            n.target = Some(ByteBuf::from(target.as_os_str().as_bytes().to_vec()));
            self.summary.others += 1;
            n
        } else {
            let kind = if ft.is_fifo() {
                NodeKind::Fifo
            } else if ft.is_char_device() {
                NodeKind::Chardev
            } else if ft.is_block_device() {
                NodeKind::Blockdev
            } else {
                NodeKind::Socket
            };
            let mut n = self.node(path, name, m, kind);
            n.rdev = m.rdev();
            self.summary.others += 1;
            n
        };
        Ok(Some(node))
    }

    fn dir_tree(&mut self, path: &Path, root_dev: u64) -> Result<Id> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        match fs::read_dir(path) {
            Ok(rd) => {
                for e in rd {
                    match e {
                        Ok(e) => names.push(e.file_name().as_bytes().to_vec()),
                        Err(err) => {
                            self.warn(
                                WarningKind::Unreadable,
                                path,
                                format!("cannot list directory: {err}"),
                            );
                            break;
                        }
                    }
                }
            }
            Err(e) => self.warn(
                WarningKind::Unreadable,
                path,
                format!("cannot list directory: {e}"),
            ),
        }
        names.sort();
        let mut nodes = Vec::with_capacity(names.len());
        for name in names {
            let p = path.join(OsStr::from_bytes(&name));
            if self.excludes.excluded(&p) {
                continue;
            }
            let m = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // vanished
                Err(e) => {
                    self.warn(WarningKind::Unreadable, &p, format!("cannot stat: {e}"));
                    continue;
                }
            };
            if let Some(n) = self.entry(&p, &name, &m, root_dev)? {
                nodes.push(n);
            }
        }
        self.store_tree(nodes)
    }

    fn file(&mut self, path: &Path, name: &[u8], m: &Metadata) -> Result<Option<Node>> {
        let mut node = self.node(path, name, m, NodeKind::File);
        node.size = m.len();
        let key = (m.dev(), m.ino());
        let path_bytes = path.as_os_str().as_bytes();
        let cached = self.cat_reader.as_mut().and_then(|r| r.lookup(path_bytes));
        let content = if let Some(c) = (m.nlink() > 1)
            .then(|| self.hardlinks.get(&key).cloned())
            .flatten()
        {
            self.summary.files_unchanged += 1;
            c
        } else if let Some(c) = cached.filter(|e| {
            e.size == m.len()
                && e.mtime == node.mtime
                && e.ctime == node.ctime
                && e.inode == m.ino()
                && e.device == m.dev()
                && e.content
                    .iter()
                    .all(|id| self.index.contains(id) || self.pending.contains(id))
        }) {
            self.summary.files_unchanged += 1;
            Progress::add(&self.progress.bytes, m.len());
            c.content
        } else {
            match self.read_file(path, m)? {
                Some(c) => c,
                None => return Ok(None),
            }
        };
        for id in &content {
            self.used.insert(*id);
        }
        if m.nlink() > 1 {
            self.hardlinks.insert(key, content.clone());
        }
        if let Some(w) = self.cat_writer.as_mut() {
            let entry = catalogue::Entry {
                path: ByteBuf::from(path_bytes.to_vec()),
                size: m.len(),
                mtime: node.mtime,
                ctime: node.ctime,
                inode: m.ino(),
                device: m.dev(),
                content: content.clone(),
            };
            if w.add(&entry).is_err() {
                if let Some(w) = self.cat_writer.take() {
                    w.abandon();
                }
            }
        }
        self.summary.files += 1;
        self.summary.total_bytes += m.len();
        node.content = content;
        Ok(Some(node))
    }

    fn read_file(&mut self, path: &Path, m: &Metadata) -> Result<Option<Vec<Id>>> {
        let file = File::options()
            .read(true)
            .custom_flags(libc::O_NOATIME | libc::O_NOFOLLOW)
            .open(path)
            .or_else(|_| {
                File::options()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(path)
            });
        let file = match file {
            Ok(f) => f,
            Err(e) => {
                self.warn(WarningKind::Unreadable, path, format!("cannot open: {e}"));
                return Ok(None);
            }
        };
        let params = self.repo.config().chunker;
        let seed = self.repo.keys().cdc_seed();
        let mut content = Vec::new();
        for chunk in chunker::chunks(&file, m.len(), params, seed) {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    self.warn(WarningKind::Unreadable, path, format!("read error: {e}"));
                    return Ok(None);
                }
            };
            self.summary.bytes_read += chunk.len() as u64;
            Progress::add(&self.progress.bytes, chunk.len() as u64);
            let id = self.repo.keys().chunk_id(&chunk);
            self.store(id, BlobKind::Data, chunk)?;
            content.push(id);
            self.tick();
        }
        if let Ok(after) = file.metadata() {
            if after.len() != m.len()
                || after.mtime() != m.mtime()
                || after.mtime_nsec() != m.mtime_nsec()
                || after.ctime() != m.ctime()
                || after.ctime_nsec() != m.ctime_nsec()
            {
                self.warn(
                    WarningKind::Changed,
                    path,
                    "file changed while it was read; the snapshot holds what was read".into(),
                );
            }
        }
        Ok(Some(content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_and_nesting() {
        assert_eq!(normalise(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::create_dir_all(a.join("b")).unwrap();
        let opts = BackupOptions {
            paths: vec![a.join("b"), a.clone()],
            ..Default::default()
        };
        assert_eq!(prepare_sources(&opts).unwrap(), vec![a]);
        let missing = BackupOptions {
            paths: vec![dir.path().join("nope")],
            ..Default::default()
        };
        assert!(prepare_sources(&missing)
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
    }

    #[test]
    fn excludes_by_name_and_path() {
        let ex = Excludes::new(&["*.tmp".into(), "/var/cache/**".into()]).unwrap();
        assert!(ex.excluded(Path::new("/home/x/a.tmp")));
        assert!(ex.excluded(Path::new("/var/cache/apt/x")));
        assert!(!ex.excluded(Path::new("/var/lib/x")));
    }
}
