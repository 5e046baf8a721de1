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
//! reader. The small files of one directory go to one worker (`lane`): a
//! file's creation holds its directory's lock, so workers sharing a
//! directory would take turns, while workers in two directories create at
//! once. Right after a large delete on ext4 without a journal, each
//! creation scans the inodes freed in the last minute under that lock;
//! measured there (200,000 files), 22–32 s with files spread over the
//! workers, 9–11 s by directory (bench/README.md).
//!
//! A directory's own metadata (mode, times) is applied when its last entry
//! is done, so writing into it does not move its mtime afterwards; only the
//! directories still in progress hold a descriptor open.
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
mod skeleton;
mod walker;
mod write;

use crate::crypto::keyfile::RestoreKey;
use crate::error::{Error, ErrorKind, Result};
use crate::format::tree::{Node, NodeKind};
use crate::format::Snapshot;
use crate::progress::{Observer, Progress, WarningKind};
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
pub(crate) use walker::name_ok;
use walker::Walker;
pub(crate) use write::same_chunks;
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
    /// Time the walk spent reading directory listings.
    pub tree_time: std::time::Duration,
    /// The longest time one file writer spent writing files (the restore's
    /// own work, without starting up, waiting for the walk or listings).
    pub busy: std::time::Duration,
}

/// Files queued per worker: enough for the walk to go on to the next
/// directory (for another worker) while one fills a directory of hundreds
/// of files; a few hundred kilobytes.
const QUEUE: usize = 1024;

/// A file this large goes to the worker with the fewest bytes queued rather
/// than to its directory's: its time is in its data, not its creation.
const LARGE_FILE: u64 = 1 << 20;

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
    /// The worker its small files go to, chosen at the first one.
    lane: OnceLock<usize>,
    /// It was in the target before this restore: a restore killed there
    /// may have left a temporary file in it, swept when it is done.
    existed: bool,
    /// Names in its snapshot listing that look like a temporary name (set
    /// only when there are any): never swept.
    temp_like: OnceLock<std::collections::HashSet<Vec<u8>>>,
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
    let (groups, mut reader) = shared_groups(repo, index, key, snapshot, opts)?;
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
        lane: OnceLock::new(),
        existed: true,
        temp_like: OnceLock::new(),
    });
    let delete_roots = delete_roots(snapshot, opts);
    let limits = crate::repo::walk::Limits::for_snapshot(id, snapshot);
    let walked = std::thread::scope(|s| {
        let mut jobs = Vec::with_capacity(threads);
        for lane in 0..threads {
            let (tx, rx) = bounded::<FileJob>(QUEUE);
            jobs.push(tx);
            let ctx = &ctx;
            s.spawn(move || worker(repo, index, key, rx, ctx, lane));
        }
        let mut w = Walker {
            reader: &mut reader,
            ctx: &ctx,
            includes: opts.includes.iter().cloned().collect(),
            tree_time: std::time::Duration::ZERO,
            delete_roots,
            root: root.clone(),
            links: HashMap::new(),
            jobs,
            limits,
            made: skeleton::Made::new(),
        };
        // Directories recurse: the walk gets a stack for MAX_DEPTH levels.
        let r = crate::repo::walk::deep(|| w.all(&root, (id, snapshot))).and_then(|r| r);
        lock(&ctx.out).tree_time = w.tree_time;
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

/// The groups of small blobs the workers share, and the walker's reader;
/// a whole restore learns first how often each group will be read.
fn shared_groups<'a>(
    repo: &'a Repository,
    index: &'a Index,
    key: &'a RestoreKey,
    snapshot: &Snapshot,
    opts: &RestoreOptions,
) -> Result<(Arc<crate::repo::groups::Groups>, BlobReader<'a>)> {
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
    Ok((groups, reader))
}

/// Where `delete` applies: below the backed-up paths, never in the
/// directories above them (`/`, `/home` for a backup of `/home/me`).
fn delete_roots(snapshot: &Snapshot, opts: &RestoreOptions) -> Vec<PathBuf> {
    if !opts.delete {
        return Vec::new();
    }
    snapshot
        .paths
        .iter()
        .map(|p| PathBuf::from(OsStr::from_bytes(p)))
        .filter(|p| p.is_absolute())
        .collect()
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
    let mut busy = std::time::Duration::ZERO;
    for job in rx {
        let started = std::time::Instant::now();
        if lock(&ctx.fatal).is_none() {
            match write_file(&mut reader, ctx, &job.dir.fd, &job.node, &job.path) {
                Ok(Written::Yes) => lock(&ctx.out).files += 1,
                Ok(Written::Kept) => lock(&ctx.out).skipped += 1,
                Err(e) => ctx.fail(&job.path, e),
            }
        }
        ctx.queued[lane].fetch_sub(job.node.size, Ordering::Relaxed);
        release(job.dir, ctx);
        busy += started.elapsed();
    }
    let mut out = lock(&ctx.out);
    out.busy = out.busy.max(busy);
}

/// Drops one hold on a directory; the last one applies its metadata.
fn release(dir: Arc<DirState>, ctx: &Ctx<'_>) {
    if dir.pending.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    // Its entries are all done (no temporary name of ours is left in it):
    // what the snapshot does not have goes, before its mtime is set.
    if lock(&ctx.fatal).is_none() {
        if let Some(keep) = dir.keep.get() {
            delete_extras(ctx, &dir.fd, keep, &dir.path);
        } else if dir.existed {
            delete::sweep_temporaries(ctx, &dir.fd, &dir.path, dir.temp_like.get());
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
