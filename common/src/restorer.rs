//! Restore: recreates a snapshot's tree under a target directory.
//!
//! Every entry is created relative to an open directory descriptor (`openat`,
//! `mkdirat`, ... with `O_NOFOLLOW`), and names are checked, so a hostile
//! snapshot cannot write outside the target: `..`, `/` inside a name, absolute
//! names, and a symlink standing where a directory should be are all refused.
//! A file whose data is damaged is reported and removed; the rest goes on.

use crate::error::{Error, ErrorKind, Result};
use crate::events::{Observer, Progress, WarningKind};
use crate::format::Snapshot;
use crate::id::Id;
use crate::repo::BlobReader;
use crate::tree::{Node, NodeKind, Timestamp};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Timestamps, XattrFlags};
use rustix::io::Errno;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Where and what to restore.
#[derive(Debug, Default)]
pub struct RestoreOptions {
    /// Target directory (created if missing).
    pub target: PathBuf,
    /// Only these snapshot paths (and what is below them); all when empty.
    pub includes: Vec<PathBuf>,
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
}

/// Restores `snapshot` into `opts.target`.
pub fn restore(
    reader: &mut BlobReader<'_>,
    snapshot: &Snapshot,
    opts: &RestoreOptions,
    obs: &dyn Observer,
    progress: &Progress,
) -> Result<RestoreOutcome> {
    std::fs::create_dir_all(&opts.target)
        .map_err(|e| Error::io(format!("restore target {}", opts.target.display()), e))?;
    let root = rfs::open(
        &opts.target,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        Error::io(
            format!("restore target {}", opts.target.display()),
            e.into(),
        )
    })?;
    probe_writable(&root, &opts.target)?;
    let mut r = Restorer {
        reader,
        obs,
        progress,
        includes: opts.includes.clone(),
        target: opts.target.clone(),
        root_owner: nix::unistd::geteuid().is_root(),
        links: HashMap::new(),
        out: RestoreOutcome::default(),
    };
    let tree = snapshot.tree;
    r.dir(&root, &tree, Path::new("/"))?;
    Ok(r.out)
}

fn probe_writable(root: &OwnedFd, target: &Path) -> Result<()> {
    let name = format!(".banana-probe-{}", std::process::id());
    match rfs::openat(
        root,
        &name,
        OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    ) {
        Ok(_) => {
            let _ = rfs::unlinkat(root, &name, AtFlags::empty());
            Ok(())
        }
        Err(e) => Err(Error::io(
            format!("restore target {}", target.display()),
            e.into(),
        )),
    }
}

struct Restorer<'r, 'a> {
    reader: &'r mut BlobReader<'a>,
    obs: &'r dyn Observer,
    progress: &'r Progress,
    includes: Vec<PathBuf>,
    target: PathBuf,
    root_owner: bool,
    /// (device, inode) at backup time → path (relative to target) of the first copy.
    links: HashMap<(u64, u64), PathBuf>,
    out: RestoreOutcome,
}

fn name_ok(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/') && !name.contains(&0)
}

fn timestamps(n: &Node) -> Timestamps {
    let ts = |t: Timestamp| rustix::fs::Timespec {
        tv_sec: t.0,
        tv_nsec: i64::from(t.1.min(999_999_999)),
    };
    Timestamps {
        last_access: ts(n.atime),
        last_modification: ts(n.mtime),
    }
}

impl Restorer<'_, '_> {
    /// Whether `path` (a snapshot path) is wanted, and whether to descend into it.
    fn wanted(&self, path: &Path) -> (bool, bool) {
        if self.includes.is_empty() {
            return (true, true);
        }
        let inside = self.includes.iter().any(|i| path.starts_with(i));
        let above = self.includes.iter().any(|i| i.starts_with(path));
        (inside, inside || above)
    }

    fn error(&mut self, path: &Path, msg: impl std::fmt::Display) {
        self.out.errors += 1;
        self.obs.warn(
            WarningKind::Restore,
            &path.display().to_string(),
            &msg.to_string(),
        );
    }

    fn warn(&mut self, path: &Path, msg: impl std::fmt::Display) {
        self.out.warnings += 1;
        self.obs.warn(
            WarningKind::Restore,
            &path.display().to_string(),
            &msg.to_string(),
        );
    }

    fn dir(&mut self, fd: &OwnedFd, tree_id: &Id, path: &Path) -> Result<()> {
        let tree = match self.reader.tree(tree_id) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::Damaged => {
                self.error(path, format!("directory listing cannot be read: {e}"));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut seen = std::collections::HashSet::new();
        for node in &tree.nodes {
            let name = node.name.as_slice();
            let child = path.join(OsStr::from_bytes(name));
            if !name_ok(name) {
                self.error(
                    path,
                    format!(
                        "refusing entry with unsafe name {:?}",
                        String::from_utf8_lossy(name)
                    ),
                );
                continue;
            }
            if !seen.insert(name.to_vec()) {
                self.error(&child, "refusing duplicate entry in a directory listing");
                continue;
            }
            let (inside, descend) = self.wanted(&child);
            if !descend || (!inside && node.kind != NodeKind::Dir) {
                continue;
            }
            self.progress
                .files
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.obs.progress(self.progress);
            if let Err(e) = self.entry(fd, node, &child) {
                // A wrong key fails on the first file; later, the same error
                // means one pack's age header is damaged: skip that file only.
                let nothing_yet = self.out.files == 0 && self.out.bytes == 0;
                if is_fatal(&e) && (e.kind() != ErrorKind::WrongKey || nothing_yet) {
                    return Err(e);
                }
                self.error(&child, e);
            }
        }
        Ok(())
    }

    fn entry(&mut self, parent: &OwnedFd, node: &Node, path: &Path) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
        let io = |e: Errno| Error::io(format!("restore {}", path.display()), e.into());
        match node.kind {
            NodeKind::Dir => {
                match rfs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(io(e)),
                }
                let fd = rfs::openat(parent, name, OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                    .map_err(|e| match e {
                        Errno::LOOP | Errno::NOTDIR => Error::new(
                            ErrorKind::BadInput,
                            format!("refusing to restore into {}: it exists and is not a directory (a symlink?)", path.display()),
                        ),
                        e => io(e),
                    })?;
                self.out.dirs += 1;
                if let Some(sub) = &node.subtree {
                    self.dir(&fd, sub, path)?;
                }
                self.finish_fd(&fd, node, path);
            }
            NodeKind::File => self.file(parent, node, path)?,
            NodeKind::Symlink => {
                let target = node
                    .target
                    .as_deref()
                    .map(|t| OsStr::from_bytes(t))
                    .unwrap_or_default();
                self.replace(parent, name);
                rfs::symlinkat(target, parent, name).map_err(io)?;
                self.finish_at(parent, node, path);
                self.out.others += 1;
            }
            NodeKind::Fifo | NodeKind::Chardev | NodeKind::Blockdev => {
                let ft = match node.kind {
                    NodeKind::Fifo => FileType::Fifo,
                    NodeKind::Chardev => FileType::CharacterDevice,
                    _ => FileType::BlockDevice,
                };
                if ft != FileType::Fifo && !self.root_owner {
                    self.warn(
                        path,
                        "device node not recreated: restoring devices needs root",
                    );
                    return Ok(());
                }
                self.replace(parent, name);
                rfs::mknodat(parent, name, ft, Mode::from_raw_mode(0o600), node.rdev)
                    .map_err(io)?;
                self.finish_at(parent, node, path);
                self.out.others += 1;
            }
            NodeKind::Socket => {}
        }
        Ok(())
    }

    /// Removes a non-directory that stands where an entry goes.
    fn replace(&self, parent: &OwnedFd, name: &OsStr) {
        let _ = rfs::unlinkat(parent, name, AtFlags::empty());
    }

    fn file(&mut self, parent: &OwnedFd, node: &Node, path: &Path) -> Result<()> {
        let name = OsStr::from_bytes(&node.name);
        let io = |e: Errno| Error::io(format!("restore {}", path.display()), e.into());
        let key = (node.device, node.inode);
        if node.links > 1 {
            if let Some(first) = self.links.get(&key) {
                let first_abs = self.target.join(first.strip_prefix("/").unwrap_or(first));
                self.replace(parent, name);
                let cwd = rfs::CWD;
                if rfs::linkat(cwd, &first_abs, parent, name, AtFlags::empty()).is_ok() {
                    self.out.files += 1;
                    return Ok(());
                }
            }
        }
        self.replace(parent, name);
        let fd = rfs::openat(
            parent,
            name,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(io)?;
        let mut file = File::from(fd);
        if let Err(e) = self.write_content(&mut file, node, path) {
            drop(file);
            let _ = rfs::unlinkat(parent, name, AtFlags::empty());
            return Err(e);
        }
        let fd = OwnedFd::from(file);
        self.finish_fd(&fd, node, path);
        if node.links > 1 {
            self.links.insert(key, path.to_owned());
        }
        self.out.files += 1;
        Ok(())
    }

    fn write_content(&mut self, file: &mut File, node: &Node, path: &Path) -> Result<()> {
        let io = |e: std::io::Error| Error::io(format!("restore {}", path.display()), e);
        let mut pos = 0u64;
        for id in &node.content {
            let data = self.reader.read(id)?;
            // Sparse: leave all-zero 4 KiB blocks as holes.
            for block in data.chunks(4096) {
                if block.iter().all(|&b| b == 0) {
                    file.seek(SeekFrom::Current(block.len() as i64))
                        .map_err(io)?;
                } else {
                    file.write_all(block).map_err(io)?;
                }
            }
            pos += data.len() as u64;
            self.out.bytes += data.len() as u64;
            self.progress
                .bytes
                .fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
        if pos != node.size {
            self.warn(
                path,
                format!("restored {pos} bytes, the snapshot recorded {}", node.size),
            );
        }
        rfs::ftruncate(file.as_fd(), pos).map_err(|e| io(e.into()))
    }

    /// Owner, mode, xattrs and times on an open file or directory.
    fn finish_fd(&mut self, fd: &OwnedFd, node: &Node, path: &Path) {
        if self.root_owner {
            let (uid, gid) = self.owner(node);
            if let Err(e) = rfs::fchown(fd, Some(uid), Some(gid)) {
                self.warn(path, format!("cannot set owner: {e}"));
            }
        }
        for x in &node.xattrs {
            if let Err(e) = rfs::fsetxattr(
                fd,
                OsStr::from_bytes(&x.name),
                &x.value,
                XattrFlags::empty(),
            ) {
                self.warn(
                    path,
                    format!(
                        "cannot set extended attribute {}: {e}",
                        String::from_utf8_lossy(&x.name)
                    ),
                );
            }
        }
        if let Err(e) = rfs::fchmod(fd, Mode::from_raw_mode(node.mode & 0o7777)) {
            self.warn(path, format!("cannot set mode: {e}"));
        }
        if let Err(e) = rfs::futimens(fd, &timestamps(node)) {
            self.warn(path, format!("cannot set times: {e}"));
        }
    }

    /// Owner and times of a symlink or device node, without following it.
    fn finish_at(&mut self, parent: &OwnedFd, node: &Node, path: &Path) {
        let name = OsStr::from_bytes(&node.name);
        if self.root_owner {
            let (uid, gid) = self.owner(node);
            if let Err(e) = rfs::chownat(
                parent,
                name,
                Some(uid),
                Some(gid),
                AtFlags::SYMLINK_NOFOLLOW,
            ) {
                self.warn(path, format!("cannot set owner: {e}"));
            }
        }
        if node.kind != NodeKind::Symlink {
            if let Err(e) = rfs::chmodat(
                parent,
                name,
                Mode::from_raw_mode(node.mode & 0o7777),
                AtFlags::empty(),
            ) {
                self.warn(path, format!("cannot set mode: {e}"));
            }
        }
        if let Err(e) = rfs::utimensat(parent, name, &timestamps(node), AtFlags::SYMLINK_NOFOLLOW) {
            self.warn(path, format!("cannot set times: {e}"));
        }
    }

    /// Numeric ids; a name that exists on this machine wins over the number.
    fn owner(&self, node: &Node) -> (rfs::Uid, rfs::Gid) {
        let uid = node
            .user
            .as_deref()
            .and_then(|u| nix::unistd::User::from_name(u).ok().flatten())
            .map(|u| u.uid.as_raw())
            .unwrap_or(node.uid);
        let gid = node
            .group
            .as_deref()
            .and_then(|g| nix::unistd::Group::from_name(g).ok().flatten())
            .map(|g| g.gid.as_raw())
            .unwrap_or(node.gid);
        (rfs::Uid::from_raw(uid), rfs::Gid::from_raw(gid))
    }
}

/// Errors that stop the whole restore rather than one entry: the target itself
/// is unusable (full disk, read-only) or the key cannot decrypt.
fn is_fatal(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::NoIdentity | ErrorKind::WrongKey)
        || e.to_string().contains("No space left")
        || e.to_string().contains("Read-only file system")
}
