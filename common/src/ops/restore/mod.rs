//! Restore: recreates a snapshot's tree under a target directory.
//!
//! Every entry is created relative to an open directory descriptor (`openat`,
//! `mkdirat`, ... with `O_NOFOLLOW`), and names are checked, so a hostile
//! snapshot cannot write outside the target: `..`, `/` inside a name, absolute
//! names, duplicate names and a symlink standing where a directory should be are
//! all refused. A file whose data is damaged is reported and not created (a
//! file already at its name stays); the rest goes on.
//!
//! The walking thread creates directories, links and special files; regular
//! file contents are written by one worker per core, each with its own blob
//! reader. A directory's own metadata (mode, times) is applied when its last
//! entry is done, so writing into it does not move its mtime afterwards; only
//! the directories still in progress hold a descriptor open.
//!
//! A file is written under a temporary name in its directory and renamed
//! over its final name once whole, so an interrupted restore never leaves a
//! partial file under a name from the snapshot. An entry that already exists
//! is handled as [`Overwrite`] says; with [`RestoreOptions::delete`], entries
//! the snapshot does not have are removed, once a directory's own entries are
//! done, from the directories below the snapshot's backed-up paths (and the
//! `includes`) only, relative to descriptors and without following a symlink
//! or crossing into another filesystem.

mod delete;
mod write;

use crate::crypto::keyfile::RestoreKey;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Observer, Progress, WarningKind};
use crate::format::tree::{Node, NodeKind};
use crate::format::Snapshot;
use crate::repo::{BlobReader, Index, Repository};
use crate::Id;
use crossbeam_channel::{bounded, Receiver};
use delete::delete_extras;
use rustix::fs::{self as rfs, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use write::{
    finish_at, finish_fd, link_replacing, newer, open_target, replace, stat_at, write_file, Written,
};

/// What to do with an entry that already exists in the target.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Always replace it.
    Always,
    /// Replace it unless it already is the snapshot's entry: a regular file
    /// with the same size, mtime and content (hashed as the snapshot's chunk
    /// ids are), a symlink with the same target, a special file of the same
    /// kind and device; one that is kept gets the snapshot's owner, mode,
    /// extended attributes and times again.
    #[default]
    IfChanged,
    /// Replace it only when the snapshot's mtime is newer than its own.
    IfNewer,
    /// Never touch it.
    Never,
}

/// Where and what to restore.
#[derive(Debug, Default)]
pub struct RestoreOptions {
    /// Target directory (created if missing).
    pub target: PathBuf,
    /// Only these snapshot paths (and what is below them); all when empty.
    pub includes: Vec<PathBuf>,
    /// File-writing workers (0: one per core).
    pub threads: usize,
    /// Contents and names only, for a snapshot that may come from a
    /// compromised node: everything owned by the restoring user, no
    /// setuid/setgid/sticky bits, no `security.*`/`trusted.*` extended
    /// attributes, no device nodes or FIFOs, the target made 0700.
    pub untrusted: bool,
    /// What to do with entries that already exist.
    pub overwrite: Overwrite,
    /// Remove what the snapshot does not have from the restored directories
    /// (below the snapshot's paths and the `includes`).
    pub delete: bool,
}

/// What a restore did.
#[derive(Debug, Default, Clone)]
pub struct RestoreOutcome {
    /// Regular files restored.
    pub files: u64,
    /// Directories restored.
    pub dirs: u64,
    /// Other entries restored.
    pub others: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// Entries that could not be restored (damaged data, hostile names).
    pub errors: u64,
    /// Entries restored with a difference (owner, xattr, device...).
    pub warnings: u64,
    /// Existing entries left in place (`--overwrite`), directories aside.
    pub skipped: u64,
    /// Entries removed because the snapshot does not have them (`delete`).
    pub deleted: u64,
    /// Groups of small blobs decompressed, and how many distinct ones:
    /// equal when each was decoded once.
    pub group_decodes: (u64, u64),
}

/// Bytes of decompressed groups a restore's workers share.
const SHARED_GROUPS_BYTES: usize = 16 << 20;

/// What the walker and the workers share.
struct Ctx<'o> {
    obs: &'o dyn Observer,
    /// `--overwrite`.
    overwrite: Overwrite,
    /// Chunk ids of an existing file are checked against the snapshot's.
    keys: &'o crate::crypto::Keys,
    /// Chunk lengths, for those checks.
    index: &'o Index,
    progress: &'o Progress,
    /// Owners are applied (root, and a trusted snapshot).
    root_owner: bool,
    /// `--untrusted`: what is dropped, counted by category.
    untrusted: Option<Mutex<BTreeMap<&'static str, u64>>>,
    out: Mutex<RestoreOutcome>,
    /// The first error that stops the whole restore.
    fatal: Mutex<Option<Error>>,
    /// User and group names resolved on this machine.
    names: Mutex<HashMap<(bool, String), Option<u32>>>,
    /// Bytes queued per worker, for balancing.
    queued: Vec<std::sync::atomic::AtomicU64>,
    /// Decoded groups, shared by the walker's and the workers' readers.
    groups: Arc<crate::repo::groups::Groups>,
}

/// A directory being filled: finalised when its last entry is done.
struct DirState {
    fd: OwnedFd,
    node: Option<Node>,
    path: PathBuf,
    pending: AtomicUsize,
    parent: Option<Arc<DirState>>,
    /// With `delete`, in a directory it applies to: the names its snapshot
    /// listing has; everything else in it is removed when it is done.
    keep: OnceLock<std::collections::HashSet<Vec<u8>>>,
}

struct FileJob {
    dir: Arc<DirState>,
    node: Node,
    path: PathBuf,
}

/// Restores `snapshot` into `opts.target`.
pub fn restore(
    repo: &Repository,
    index: &Index,
    key: &RestoreKey,
    (id, snapshot): (&Id, &Snapshot),
    opts: &RestoreOptions,
    obs: &dyn Observer,
    progress: &Progress,
) -> Result<RestoreOutcome> {
    let groups = crate::repo::groups::Groups::new(SHARED_GROUPS_BYTES);
    let mut reader = BlobReader::new(repo, index, key)?.sharing(groups.clone());
    if opts.includes.is_empty() {
        let limit = snapshot.summary.files.saturating_add(snapshot.summary.dirs) + 4096;
        groups.expect(crate::repo::groups::reads(
            &mut reader,
            index,
            &snapshot.tree,
            limit,
        ));
    }
    let root = open_target(opts)?;
    let threads = crate::worker_threads(opts.threads);
    let ctx = Ctx {
        obs,
        overwrite: opts.overwrite,
        keys: repo.keys(),
        index,
        progress,
        root_owner: nix::unistd::geteuid().is_root() && !opts.untrusted,
        untrusted: opts.untrusted.then(|| Mutex::new(BTreeMap::new())),
        out: Mutex::new(RestoreOutcome::default()),
        fatal: Mutex::new(None),
        names: Mutex::new(HashMap::new()),
        queued: (0..threads)
            .map(|_| std::sync::atomic::AtomicU64::new(0))
            .collect(),
        groups,
    };
    let root = Arc::new(DirState {
        fd: root,
        node: None,
        path: PathBuf::from("/"),
        pending: AtomicUsize::new(1),
        parent: None,
        keep: OnceLock::new(),
    });
    // Deletion applies below the backed-up paths, never in the directories
    // above them (`/`, `/home` for a backup of `/home/me`).
    let delete_roots: Vec<PathBuf> = if opts.delete {
        snapshot
            .paths
            .iter()
            .map(|p| PathBuf::from(OsStr::from_bytes(p)))
            .filter(|p| p.is_absolute())
            .collect()
    } else {
        Vec::new()
    };
    let limits = crate::repo::walk::Limits::for_snapshot(id, snapshot);
    let walked = std::thread::scope(|s| {
        let mut jobs = Vec::with_capacity(threads);
        for lane in 0..threads {
            let (tx, rx) = bounded::<FileJob>(32);
            jobs.push(tx);
            let ctx = &ctx;
            s.spawn(move || worker(repo, index, key, rx, ctx, lane));
        }
        let mut w = Walker {
            index,
            reader: &mut reader,
            ctx: &ctx,
            includes: opts.includes.clone(),
            delete_roots,
            root: root.clone(),
            links: HashMap::new(),
            jobs,
            limits,
        };
        // Directories recurse: the walk gets a stack for MAX_DEPTH levels.
        let r = crate::repo::walk::deep(|| w.dir(&root, &snapshot.tree)).and_then(|r| r);
        drop(w);
        release(root, &ctx);
        r
        // Dropping the walker closed the queues; the scope joins the workers.
    });
    if let Some(e) = lock(&ctx.fatal).take() {
        return Err(e);
    }
    walked?;
    ctx.report_dropped(&opts.target);
    let mut out = lock(&ctx.out).clone();
    out.group_decodes = ctx.groups.counts();
    Ok(out)
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn worker(
    repo: &Repository,
    index: &Index,
    key: &RestoreKey,
    rx: Receiver<FileJob>,
    ctx: &Ctx<'_>,
    lane: usize,
) {
    let Ok(reader) = BlobReader::new(repo, index, key) else {
        return;
    };
    let mut reader = reader.sharing(ctx.groups.clone());
    for job in rx {
        if lock(&ctx.fatal).is_none() {
            match write_file(&mut reader, ctx, &job.dir.fd, &job.node, &job.path) {
                Ok(Written::Yes) => lock(&ctx.out).files += 1,
                Ok(Written::Kept) => lock(&ctx.out).skipped += 1,
                Err(e) => ctx.fail(&job.path, e),
            }
        }
        ctx.queued[lane].fetch_sub(job.node.size, Ordering::Relaxed);
        release(job.dir, ctx);
    }
}

/// Drops one hold on a directory; the last one applies its metadata.
fn release(dir: Arc<DirState>, ctx: &Ctx<'_>) {
    if dir.pending.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    // Its entries are all done (no temporary name of ours is left in it):
    // what the snapshot does not have goes, before its mtime is set.
    if let Some(keep) = dir.keep.get() {
        if lock(&ctx.fatal).is_none() {
            delete_extras(ctx, &dir.fd, keep, &dir.path);
        }
    }
    if let Some(node) = &dir.node {
        finish_fd(ctx, &dir.fd, node, &dir.path);
    }
    if let Some(parent) = dir.parent.clone() {
        drop(dir);
        release(parent, ctx);
    }
}

impl Ctx<'_> {
    /// In an untrusted restore, counts one dropped `what` and says so.
    fn drop_untrusted(&self, what: &'static str) -> bool {
        match &self.untrusted {
            Some(counts) => {
                *lock(counts).entry(what).or_default() += 1;
                true
            }
            None => false,
        }
    }

    /// Reports, once per category, what an untrusted restore dropped.
    fn report_dropped(&self, target: &Path) {
        let Some(counts) = &self.untrusted else {
            return;
        };
        for (what, n) in lock(counts).iter() {
            self.warn(
                target,
                format!("untrusted restore: {n} {what} not restored"),
            );
        }
    }

    fn error(&self, path: &Path, msg: impl std::fmt::Display) {
        lock(&self.out).errors += 1;
        self.obs.warn(
            WarningKind::Restore,
            &path.display().to_string(),
            &msg.to_string(),
        );
    }

    fn warn(&self, path: &Path, msg: impl std::fmt::Display) {
        lock(&self.out).warnings += 1;
        self.obs.warn(
            WarningKind::Restore,
            &path.display().to_string(),
            &msg.to_string(),
        );
    }

    /// An entry failed: fatal errors stop everything, others skip the entry.
    fn fail(&self, path: &Path, e: Error) {
        let nothing_yet = {
            let o = lock(&self.out);
            o.files == 0 && o.bytes == 0
        };
        // A wrong key fails on the first file; later, the same error means one
        // pack's age header is damaged: only that file is skipped.
        if is_fatal(&e) && (e.kind() != ErrorKind::WrongKey || nothing_yet) {
            let mut f = lock(&self.fatal);
            if f.is_none() {
                *f = Some(e);
            }
            return;
        }
        self.error(path, e);
    }
}

fn name_ok(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/') && !name.contains(&0)
}

struct Walker<'r, 'a, 'c, 'o> {
    index: &'a Index,
    reader: &'r mut BlobReader<'a>,
    ctx: &'c Ctx<'o>,
    includes: Vec<PathBuf>,
    /// With `delete`: the snapshot's backed-up paths (empty without it).
    delete_roots: Vec<PathBuf>,
    /// The target directory.
    root: Arc<DirState>,
    /// (device, inode) at backup time → snapshot path of the first copy.
    links: HashMap<(u64, u64), PathBuf>,
    /// Depth, cycles and expansion.
    limits: crate::repo::walk::Limits,
    /// One queue per worker: files whose first chunk shares a compressed
    /// group go to the same worker, so each group is decompressed once.
    jobs: Vec<crossbeam_channel::Sender<FileJob>>,
}

impl Walker<'_, '_, '_, '_> {
    /// The worker for a file: a small file in a compressed group goes where the
    /// group's other files go (so the group is decompressed once); any other
    /// file to the worker with the fewest bytes queued.
    fn lane(&self, node: &Node) -> usize {
        let n = self.jobs.len();
        let grouped = node
            .content
            .first()
            .and_then(|id| self.index.get(id))
            .filter(|(_, l)| l.group_length > 0);
        match grouped {
            Some((p, l)) => (u64::from(p.id.0[0]) << 32 | u64::from(l.offset)) as usize % n,
            None => (0..n)
                .min_by_key(|&i| self.ctx.queued[i].load(Ordering::Relaxed))
                .unwrap_or(0),
        }
    }

    /// Whether `path` (a snapshot path) is wanted, and whether to descend into it.
    fn wanted(&self, path: &Path) -> (bool, bool) {
        if self.includes.is_empty() {
            return (true, true);
        }
        let inside = self.includes.iter().any(|i| path.starts_with(i));
        let above = self.includes.iter().any(|i| i.starts_with(path));
        (inside, inside || above)
    }

    /// Whether `delete` applies in the directory at `path` (a snapshot
    /// path): below a backed-up path and wholly selected.
    fn deletes_in(&self, path: &Path) -> bool {
        self.delete_roots.iter().any(|r| path.starts_with(r))
            && (self.includes.is_empty() || self.includes.iter().any(|i| path.starts_with(i)))
    }

    fn stopped(&self) -> bool {
        lock(&self.ctx.fatal).is_some()
    }

    fn dir(&mut self, dir: &Arc<DirState>, tree_id: &crate::Id) -> Result<()> {
        if let Err(e) = self.limits.enter(tree_id) {
            return self.stop(e);
        }
        let r = self.dir_entries(dir, tree_id);
        self.limits.leave();
        r
    }

    /// Stops the whole restore with `e` (a snapshot it refuses to walk).
    fn stop(&mut self, e: Error) -> Result<()> {
        let mut f = lock(&self.ctx.fatal);
        if f.is_none() {
            *f = Some(e);
        }
        Ok(())
    }

    fn dir_entries(&mut self, dir: &Arc<DirState>, tree_id: &crate::Id) -> Result<()> {
        let tree = match self.reader.tree(tree_id) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::Damaged => {
                self.ctx
                    .error(&dir.path, format!("directory listing cannot be read: {e}"));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if self.deletes_in(&dir.path) {
            let _ = dir
                .keep
                .set(tree.nodes.iter().map(|n| n.name.to_vec()).collect());
        }
        let mut seen = std::collections::HashSet::new();
        for node in tree.nodes {
            if self.stopped() {
                return Ok(());
            }
            if let Err(e) = self.limits.visit() {
                return self.stop(e);
            }
            let name = node.name.as_slice();
            let child = dir.path.join(OsStr::from_bytes(name));
            if !name_ok(name) {
                let shown = String::from_utf8_lossy(name).into_owned();
                self.ctx.error(
                    &dir.path,
                    format!("refusing entry with unsafe name {shown:?}"),
                );
                continue;
            }
            if !seen.insert(name.to_vec()) {
                self.ctx
                    .error(&child, "refusing duplicate entry in a directory listing");
                continue;
            }
            let (inside, descend) = self.wanted(&child);
            if !descend || (!inside && node.kind != NodeKind::Dir) {
                continue;
            }
            self.ctx.progress.files.fetch_add(1, Ordering::Relaxed);
            self.ctx.obs.progress(self.ctx.progress);
            if let Err(e) = self.entry(dir, node, child.clone()) {
                self.ctx.fail(&child, e);
            }
        }
        Ok(())
    }

    fn entry(&mut self, parent: &Arc<DirState>, node: Node, path: PathBuf) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
        let io = |e: Errno| Error::io(format!("restore {}", path.display()), e.into());
        let pfd = &parent.fd;
        match node.kind {
            NodeKind::Dir => self.dir_entry(parent, node, path)?,
            NodeKind::File if node.links <= 1 => {
                parent.pending.fetch_add(1, Ordering::AcqRel);
                let lane = self.lane(&node);
                self.ctx.queued[lane].fetch_add(node.size, Ordering::Relaxed);
                let job = FileJob {
                    dir: parent.clone(),
                    node,
                    path,
                };
                if let Err(crossbeam_channel::SendError(job)) = self.jobs[lane].send(job) {
                    release(job.dir, self.ctx);
                }
            }
            NodeKind::File => self.hard_linked(parent, &node, &path)?,
            NodeKind::Symlink => {
                let target = node
                    .target
                    .as_deref()
                    .map(|t| OsStr::from_bytes(t))
                    .unwrap_or_default();
                if let Some(st) = stat_at(pfd, name) {
                    let same = || {
                        FileType::from_raw_mode(st.st_mode) == FileType::Symlink
                            && rfs::readlinkat(pfd, name, Vec::new())
                                .is_ok_and(|t| t.as_bytes() == target.as_bytes())
                    };
                    if self.ctx.keeps(&st, &node, same) {
                        if self.ctx.overwrite == Overwrite::IfChanged {
                            finish_at(self.ctx, pfd, &node, &path);
                        }
                        lock(&self.ctx.out).skipped += 1;
                        return Ok(());
                    }
                }
                replace(pfd, name);
                rfs::symlinkat(target, pfd, name).map_err(io)?;
                finish_at(self.ctx, pfd, &node, &path);
                lock(&self.ctx.out).others += 1;
            }
            NodeKind::Fifo | NodeKind::Chardev | NodeKind::Blockdev => {
                let ft = match node.kind {
                    NodeKind::Fifo => FileType::Fifo,
                    NodeKind::Chardev => FileType::CharacterDevice,
                    _ => FileType::BlockDevice,
                };
                if self.ctx.drop_untrusted(if ft == FileType::Fifo {
                    "FIFOs"
                } else {
                    "device nodes"
                }) {
                    return Ok(());
                }
                if ft != FileType::Fifo && !self.ctx.root_owner {
                    self.ctx.warn(
                        &path,
                        "device node not recreated: restoring devices needs root",
                    );
                    return Ok(());
                }
                if let Some(st) = stat_at(pfd, name) {
                    let same = || {
                        FileType::from_raw_mode(st.st_mode) == ft
                            && (ft == FileType::Fifo || write::rdev(&st) == node.rdev)
                    };
                    if self.ctx.keeps(&st, &node, same) {
                        if self.ctx.overwrite == Overwrite::IfChanged {
                            finish_at(self.ctx, pfd, &node, &path);
                        }
                        lock(&self.ctx.out).skipped += 1;
                        return Ok(());
                    }
                }
                replace(pfd, name);
                rfs::mknodat(pfd, name, ft, Mode::from_raw_mode(0o600), node.rdev).map_err(io)?;
                finish_at(self.ctx, pfd, &node, &path);
                lock(&self.ctx.out).others += 1;
            }
            NodeKind::Socket => {}
        }
        Ok(())
    }

    /// A directory: created 0700 (or reused if one is there), opened without
    /// following a symlink, filled, then given its metadata when its last
    /// entry is done (an existing one keeps its own with `--overwrite never`,
    /// and with `if-newer` unless the snapshot's is newer).
    fn dir_entry(&mut self, parent: &Arc<DirState>, node: Node, path: PathBuf) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
        let io = |e: Errno| Error::io(format!("restore {}", path.display()), e.into());
        let pfd = &parent.fd;
        let existed = match rfs::mkdirat(pfd, name, Mode::from_raw_mode(0o700)) {
            Ok(()) => false,
            Err(Errno::EXIST) => true,
            Err(e) => return Err(io(e)),
        };
        let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
        let fd = rfs::openat(pfd, name, flags, Mode::empty()).map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => Error::new(
                ErrorKind::BadInput,
                format!(
                    "refusing to restore into {}: it exists and is not a directory (a symlink?)",
                    path.display()
                ),
            ),
            e => io(e),
        })?;
        let metadata = !existed
            || match self.ctx.overwrite {
                Overwrite::Never => false,
                Overwrite::IfNewer => rfs::fstat(&fd).is_ok_and(|st| newer(&node, &st)),
                Overwrite::Always | Overwrite::IfChanged => true,
            };
        lock(&self.ctx.out).dirs += 1;
        parent.pending.fetch_add(1, Ordering::AcqRel);
        let sub = node.subtree;
        let state = Arc::new(DirState {
            fd,
            node: metadata.then_some(node),
            path,
            pending: AtomicUsize::new(1),
            parent: Some(parent.clone()),
            keep: OnceLock::new(),
        });
        let r = match sub {
            Some(sub) => self.dir(&state, &sub),
            None => Ok(()),
        };
        release(state, self.ctx);
        r?;
        Ok(())
    }

    /// Files with several names: the first is written here, later ones linked to it.
    /// A later name that exists is kept when it already is a link to the
    /// first (and with `never`, or `if-newer` unless the snapshot's is newer).
    fn hard_linked(&mut self, parent: &Arc<DirState>, node: &Node, path: &Path) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
        let key = (node.device, node.inode);
        if let Some(first) = self.links.get(&key) {
            // Relative to directory fds, never through a symlink swapped in.
            if let Some((dfd, first_name)) = open_parent_beneath(&self.root.fd, first) {
                if let Some(st) = stat_at(&parent.fd, name) {
                    let linked = stat_at(&dfd, &first_name)
                        .is_some_and(|f| f.st_dev == st.st_dev && f.st_ino == st.st_ino);
                    if linked || self.ctx.keeps(&st, node, || false) {
                        lock(&self.ctx.out).skipped += 1;
                        return Ok(());
                    }
                }
                if link_replacing(&dfd, &first_name, &parent.fd, name).is_ok() {
                    lock(&self.ctx.out).files += 1;
                    return Ok(());
                }
            }
        }
        match write_file(self.reader, self.ctx, &parent.fd, node, path)? {
            Written::Yes => lock(&self.ctx.out).files += 1,
            Written::Kept => lock(&self.ctx.out).skipped += 1,
        }
        self.links.insert(key, path.to_owned());
        Ok(())
    }
}

/// Errors that stop the whole restore rather than one entry: the target itself
/// is unusable (full disk, read-only) or the key cannot decrypt.
fn is_fatal(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::NoIdentity | ErrorKind::WrongKey)
        || e.message().contains("No space left")
        || e.message().contains("Read-only file system")
}

/// The directory holding `path` (a snapshot path), opened from the target's
/// fd one component at a time without following symlinks, and the name in it.
fn open_parent_beneath(root: &OwnedFd, path: &Path) -> Option<(OwnedFd, std::ffi::OsString)> {
    let mut parts: Vec<&OsStr> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let name = parts.pop()?.to_owned();
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
    let mut fd = rfs::openat(root, ".", flags, Mode::empty()).ok()?;
    for p in parts {
        fd = rfs::openat(&fd, p, flags, Mode::empty()).ok()?;
    }
    Some((fd, name))
}
