//! The walking thread of a restore: creates directories, links and special
//! files relative to open descriptors, checks every name, and hands regular
//! files to the workers.

use super::*;
use std::os::fd::AsFd;

pub(crate) fn name_ok(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/') && !name.contains(&0)
}

/// Makes directory `name` in `parent`, 0700 until its metadata is set:
/// whether it was made (false: it exists).
pub(super) fn make_dir(parent: impl AsFd, name: &OsStr) -> std::result::Result<bool, Errno> {
    match rfs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Opens directory `name` in `parent`, never through a symlink.
pub(super) fn open_dir(parent: impl AsFd, name: &OsStr) -> std::result::Result<OwnedFd, Errno> {
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
    rfs::openat(parent, name, flags, Mode::empty())
}

pub(super) struct Walker<'r, 'a, 'c, 'o> {
    pub(super) reader: &'r mut BlobReader<'a>,
    pub(super) ctx: &'c Ctx<'o>,
    /// `includes`, as a set: a drill restores thousands of sampled files.
    pub(super) includes: std::collections::BTreeSet<PathBuf>,
    /// With `delete`: the snapshot's backed-up paths (empty without it).
    pub(super) delete_roots: Vec<PathBuf>,
    /// The target directory.
    pub(super) root: Arc<DirState>,
    /// (device, inode) at backup time → snapshot path of the first copy.
    pub(super) links: HashMap<(u64, u64), PathBuf>,
    /// Depth, cycles and expansion.
    pub(super) limits: crate::repo::walk::Limits,
    /// One queue per worker: files whose first chunk shares a compressed
    /// group go to the same worker, so each group is decompressed once.
    pub(super) jobs: Vec<crossbeam_channel::Sender<FileJob>>,
    /// Time spent reading directory listings (a drill's estimate of a
    /// full restore scales the rest).
    pub(super) tree_time: std::time::Duration,
    /// The directories this restore made before the walk (skeleton.rs).
    pub(super) made: super::skeleton::Made,
}

impl Walker<'_, '_, '_, '_> {
    /// The worker for a file. A small one goes to its directory's worker:
    /// creating a file holds its directory's lock (and on a used ext4 that
    /// is a scan of the inodes freed in the last minute), so two workers in
    /// one directory wait for each other, while two in two directories run
    /// at once. A directory gets the worker with the fewest bytes queued
    /// when its first file comes, as does a large file, whose time is in
    /// its data.
    fn lane(&self, dir: &DirState, node: &Node) -> usize {
        let least = || {
            (0..self.jobs.len())
                .min_by_key(|&i| self.ctx.queued[i].load(Ordering::Relaxed))
                .unwrap_or(0)
        };
        if node.size >= LARGE_FILE {
            return least();
        }
        *dir.lane.get_or_init(least)
    }

    /// Queues `job` for worker `lane`. When that queue is full and another
    /// worker has nothing left (a directory of many files), the job goes to
    /// that one instead; otherwise the walk waits for `lane`: sending it
    /// elsewhere would put two workers in one directory.
    fn send(&self, lane: usize, job: FileJob) {
        // Counted before a worker can take it: a worker subtracts what it
        // finishes.
        let size = job.node.size;
        self.ctx.queued[lane].fetch_add(size, Ordering::Relaxed);
        let job = match self.jobs[lane].try_send(job) {
            Ok(()) => return,
            Err(crossbeam_channel::TrySendError::Full(job)) => job,
            Err(crossbeam_channel::TrySendError::Disconnected(job)) => {
                return release(job.dir, self.ctx)
            }
        };
        let to = (0..self.jobs.len())
            .find(|&i| self.jobs[i].is_empty())
            .unwrap_or(lane);
        if to != lane {
            self.ctx.queued[to].fetch_add(size, Ordering::Relaxed);
            self.ctx.queued[lane].fetch_sub(size, Ordering::Relaxed);
        }
        if let Err(crossbeam_channel::SendError(job)) = self.jobs[to].send(job) {
            release(job.dir, self.ctx);
        }
    }

    /// Whether `path` (a snapshot path) is wanted, and whether to descend into it.
    pub(super) fn wanted(&self, path: &Path) -> (bool, bool) {
        if self.includes.is_empty() {
            return (true, true);
        }
        // Set lookups: an ancestor (or the path) is included, or an
        // include lies below it (the paths below one sort right after it).
        let inside = path.ancestors().any(|a| self.includes.contains(a));
        let above = self
            .includes
            .range(path.to_path_buf()..)
            .next()
            .is_some_and(|i| i.starts_with(path));
        (inside, inside || above)
    }

    /// Whether `delete` applies in the directory at `path` (a snapshot
    /// path): below a backed-up path and wholly selected.
    fn deletes_in(&self, path: &Path) -> bool {
        self.delete_roots.iter().any(|r| path.starts_with(r))
            && (self.includes.is_empty() || self.includes.iter().any(|i| path.starts_with(i)))
    }

    pub(super) fn stopped(&self) -> bool {
        lock(&self.ctx.fatal).is_some()
    }

    pub(super) fn dir(&mut self, dir: &Arc<DirState>, tree_id: &crate::Id) -> Result<()> {
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
        let started = std::time::Instant::now();
        let read = self.reader.tree(tree_id);
        self.tree_time += started.elapsed();
        let tree = match read {
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
        let temp_like: std::collections::HashSet<Vec<u8>> = tree
            .nodes
            .iter()
            .filter(|n| super::delete::temporary_pid(&n.name).is_some())
            .map(|n| n.name.to_vec())
            .collect();
        if !temp_like.is_empty() {
            let _ = dir.temp_like.set(temp_like);
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
        match node.kind {
            NodeKind::Dir => self.dir_entry(parent, node, path)?,
            NodeKind::File if node.links <= 1 => {
                parent.pending.fetch_add(1, Ordering::AcqRel);
                let lane = self.lane(parent, &node);
                let job = FileJob {
                    dir: parent.clone(),
                    node,
                    path,
                };
                self.send(lane, job);
            }
            NodeKind::File => self.hard_linked(parent, &node, &path)?,
            NodeKind::Symlink => self.symlink(&parent.fd, &node, &path)?,
            NodeKind::Fifo | NodeKind::Chardev | NodeKind::Blockdev => {
                self.special(&parent.fd, &node, &path)?
            }
            NodeKind::Socket => {}
        }
        Ok(())
    }

    /// An existing entry the snapshot's is `same` as (or that `--overwrite`
    /// keeps): left in place, given the snapshot's metadata with
    /// `if-changed`, and counted as skipped.
    fn kept(
        &self,
        pfd: &OwnedFd,
        st: &rfs::Stat,
        node: &Node,
        path: &Path,
        same: impl FnOnce() -> bool,
    ) -> bool {
        if !self.ctx.keeps(st, node, same) {
            return false;
        }
        if self.ctx.overwrite == Overwrite::IfChanged {
            finish_at(self.ctx, pfd, node, path);
        }
        lock(&self.ctx.out).skipped += 1;
        true
    }

    /// A symlink, unless one with the same target is there and kept.
    fn symlink(&mut self, pfd: &OwnedFd, node: &Node, path: &Path) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
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
            if self.kept(pfd, &st, node, path, same) {
                return Ok(());
            }
        }
        replace(pfd, name);
        rfs::symlinkat(target, pfd, name)
            .map_err(|e| Error::io(format!("restore {}", path.display()), e.into()))?;
        finish_at(self.ctx, pfd, node, path);
        lock(&self.ctx.out).others += 1;
        Ok(())
    }

    /// A FIFO or device node (devices only as root, neither when untrusted).
    fn special(&mut self, pfd: &OwnedFd, node: &Node, path: &Path) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
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
                path,
                "device node not recreated: restoring devices needs root",
            );
            return Ok(());
        }
        if let Some(st) = stat_at(pfd, name) {
            let same = || {
                FileType::from_raw_mode(st.st_mode) == ft
                    && (ft == FileType::Fifo || write::rdev(&st) == node.rdev)
            };
            if self.kept(pfd, &st, node, path, same) {
                return Ok(());
            }
        }
        replace(pfd, name);
        rfs::mknodat(pfd, name, ft, Mode::from_raw_mode(0o600), node.rdev)
            .map_err(|e| Error::io(format!("restore {}", path.display()), e.into()))?;
        finish_at(self.ctx, pfd, node, path);
        lock(&self.ctx.out).others += 1;
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
        let existed = !make_dir(pfd, name).map_err(io)?;
        let fd = open_dir(pfd, name).map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => Error::new(
                ErrorKind::BadInput,
                format!(
                    "refusing to restore into {}: it exists and is not a directory (a symlink?)",
                    path.display()
                ),
            ),
            e => io(e),
        })?;
        // Made by this restore's first pass: new, not already in the target.
        let existed =
            existed && !rfs::fstat(&fd).is_ok_and(|st| self.made.contains(&(st.st_dev, st.st_ino)));
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
            lane: OnceLock::new(),
            existed,
            temp_like: OnceLock::new(),
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
