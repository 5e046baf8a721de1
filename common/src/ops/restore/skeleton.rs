//! Directories first: before any file, a restore creates every directory it
//! will fill, depth-first in one burst, as restic does.
//!
//! Why: on ext4 without a journal the inode allocator passes over free
//! inodes deleted in the last minutes (`recently_deleted()`, checked for
//! every candidate at every allocation). Right after an `rm -rf` of a tree
//! as large, directories made one at a time between their files land among
//! the inodes just freed, and every file allocation then scans them. Made
//! first, in a burst, they spread. Measured (bench/README.md, 200,000 small
//! files restored right after deleting as many, alternating runs): 17–98 s,
//! median 66 s, interleaved; 12–35 s, median 25 s, directories first
//! (restic: 16–18 s). On a fresh filesystem it costs one more read of the
//! directory listings.
//!
//! The pass is best-effort and silent: a name it refuses, a directory it
//! cannot make or open, or a limit it reaches ends that branch, and the
//! walk that follows does everything again with the same checks and reports
//! each problem once. It remembers which directories it made (device and
//! inode), so that the walk treats them as new, not as directories that were
//! already in the target.

use super::*;
use crate::repo::walk::Limits;
use std::os::fd::{AsFd, BorrowedFd};

/// (device, inode) of the directories the pass made.
pub(super) type Made = std::collections::HashSet<(u64, u64)>;

impl Walker<'_, '_, '_, '_> {
    /// The whole restore's walk: every directory first, then the walk that
    /// fills them.
    pub(super) fn all(
        &mut self,
        root: &Arc<DirState>,
        (id, snapshot): (&crate::Id, &Snapshot),
    ) -> Result<()> {
        self.skeleton(
            root.fd.as_fd(),
            &snapshot.tree,
            Limits::for_snapshot(id, snapshot),
        );
        self.dir(root, &snapshot.tree)
    }

    /// Makes the directories of the tree `root` under `fd` (the target).
    pub(super) fn skeleton(&mut self, fd: BorrowedFd<'_>, root: &crate::Id, mut limits: Limits) {
        let started = std::time::Instant::now();
        self.skeleton_dir(fd, Path::new("/"), root, &mut limits);
        self.tree_time += started.elapsed();
    }

    fn skeleton_dir(
        &mut self,
        fd: BorrowedFd<'_>,
        path: &Path,
        tree_id: &crate::Id,
        limits: &mut Limits,
    ) {
        if limits.enter(tree_id).is_err() {
            return;
        }
        if let Ok(tree) = self.reader.tree(tree_id) {
            let mut seen = std::collections::HashSet::new();
            for node in tree.nodes {
                if limits.visit().is_err() || self.stopped() {
                    break;
                }
                let name = node.name.as_slice();
                if node.kind != NodeKind::Dir || !name_ok(name) || !seen.insert(name.to_vec()) {
                    continue;
                }
                let child = path.join(OsStr::from_bytes(name));
                if !self.wanted(&child).1 {
                    continue;
                }
                if let Some(sub) = self.make(fd, OsStr::from_bytes(name)) {
                    if let Some(subtree) = node.subtree {
                        self.skeleton_dir(sub.as_fd(), &child, &subtree, limits);
                    }
                }
            }
        }
        limits.leave();
    }

    /// Makes `name` in `fd` (0700, as the walk would) and opens it without
    /// following a symlink; `None` when it cannot (the walk will say why).
    fn make(&mut self, fd: BorrowedFd<'_>, name: &OsStr) -> Option<OwnedFd> {
        let made = super::walker::make_dir(fd, name).ok()?;
        let sub = super::walker::open_dir(fd, name).ok()?;
        if made {
            if let Ok(st) = rfs::fstat(&sub) {
                self.made.insert((st.st_dev, st.st_ino));
            }
        }
        Some(sub)
    }
}
