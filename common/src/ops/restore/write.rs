//! Writing one restored entry: file contents (sparse where the data is
//! zero), then owner, extended attributes, mode and times, always on an open
//! descriptor or relative to the parent's, never following a symlink.

use super::{lock, Ctx};
use crate::error::{Error, Result};
use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::repo::BlobReader;
use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, Timestamps, XattrFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::Ordering;

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

/// Removes a non-directory that stands where an entry goes.
pub(super) fn replace(parent: &OwnedFd, name: &OsStr) {
    let _ = rfs::unlinkat(parent, name, AtFlags::empty());
}

pub(super) fn write_file(
    reader: &mut BlobReader<'_>,
    ctx: &Ctx<'_>,
    parent: &OwnedFd,
    node: &Node,
    path: &Path,
) -> Result<()> {
    let name = OsStr::from_bytes(&node.name);
    let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mode = Mode::from_raw_mode(0o600);
    // Whatever stands there (a file, a symlink) is replaced, never followed.
    let fd = match rfs::openat(parent, name, flags, mode) {
        Err(Errno::EXIST) => {
            replace(parent, name);
            rfs::openat(parent, name, flags, mode)
        }
        r => r,
    }
    .map_err(|e| Error::io(format!("restore {}", path.display()), e.into()))?;
    let mut file = File::from(fd);
    if let Err(e) = write_content(reader, ctx, &mut file, node, path) {
        drop(file);
        let _ = rfs::unlinkat(parent, name, AtFlags::empty());
        return Err(e);
    }
    finish_fd(ctx, &OwnedFd::from(file), node, path);
    Ok(())
}

fn write_content(
    reader: &mut BlobReader<'_>,
    ctx: &Ctx<'_>,
    file: &mut File,
    node: &Node,
    path: &Path,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(format!("restore {}", path.display()), e);
    let mut pos = 0u64;
    // Whether the file so far ends in a hole (a seek, not a write).
    let mut hole = false;
    for id in &node.content {
        let data = reader.read(id)?;
        // Sparse: all-zero 4 KiB blocks stay holes; each run of other
        // blocks is one write.
        let mut run = 0;
        for (i, block) in data.chunks(4096).enumerate() {
            if block.iter().all(|&b| b == 0) {
                let start = i * 4096;
                if run < start {
                    file.write_all(&data[run..start]).map_err(io)?;
                }
                file.seek(SeekFrom::Current(block.len() as i64))
                    .map_err(io)?;
                run = start + block.len();
            }
        }
        if run < data.len() {
            file.write_all(&data[run..]).map_err(io)?;
            hole = false;
        } else if !data.is_empty() {
            hole = true;
        }
        pos += data.len() as u64;
        lock(&ctx.out).bytes += data.len() as u64;
        ctx.progress
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
    }
    if pos != node.size {
        ctx.warn(
            path,
            format!("restored {pos} bytes, the snapshot recorded {}", node.size),
        );
    }
    // A file that ends in a hole has its length set; otherwise writing set it.
    if hole {
        rfs::ftruncate(file.as_fd(), pos).map_err(|e| io(e.into()))?;
    }
    Ok(())
}

/// The permission bits to apply: without setuid, setgid and sticky in an
/// untrusted restore.
fn mode(ctx: &Ctx<'_>, node: &Node) -> u32 {
    let mode = node.mode & 0o7777;
    if mode & 0o7000 != 0 && ctx.drop_untrusted("setuid/setgid/sticky bits") {
        return mode & 0o777;
    }
    mode
}

/// Owner, xattrs, mode and times on an open file or directory.
pub(super) fn finish_fd(ctx: &Ctx<'_>, fd: &OwnedFd, node: &Node, path: &Path) {
    if ctx.root_owner {
        let (uid, gid) = ctx.owner(node);
        if let Err(e) = rfs::fchown(fd, Some(uid), Some(gid)) {
            ctx.warn(path, format!("cannot set owner: {e}"));
        }
    }
    for x in &node.xattrs {
        let privileged = x.name.starts_with(b"security.") || x.name.starts_with(b"trusted.");
        if privileged && ctx.drop_untrusted("security.*/trusted.* extended attributes") {
            continue;
        }
        if let Err(e) = rfs::fsetxattr(
            fd,
            OsStr::from_bytes(&x.name),
            &x.value,
            XattrFlags::empty(),
        ) {
            ctx.warn(
                path,
                format!(
                    "cannot set extended attribute {}: {e}",
                    String::from_utf8_lossy(&x.name)
                ),
            );
        }
    }
    if let Err(e) = rfs::fchmod(fd, Mode::from_raw_mode(mode(ctx, node))) {
        ctx.warn(path, format!("cannot set mode: {e}"));
    }
    if let Err(e) = rfs::futimens(fd, &timestamps(node)) {
        ctx.warn(path, format!("cannot set times: {e}"));
    }
}

/// Owner, mode and times of a symlink or device node, without following it.
pub(super) fn finish_at(ctx: &Ctx<'_>, parent: &OwnedFd, node: &Node, path: &Path) {
    let name = OsStr::from_bytes(&node.name);
    if ctx.root_owner {
        let (uid, gid) = ctx.owner(node);
        if let Err(e) = rfs::chownat(
            parent,
            name,
            Some(uid),
            Some(gid),
            AtFlags::SYMLINK_NOFOLLOW,
        ) {
            ctx.warn(path, format!("cannot set owner: {e}"));
        }
    }
    if node.kind != NodeKind::Symlink {
        if let Err(e) = rfs::chmodat(
            parent,
            name,
            Mode::from_raw_mode(mode(ctx, node)),
            AtFlags::empty(),
        ) {
            ctx.warn(path, format!("cannot set mode: {e}"));
        }
    }
    if let Err(e) = rfs::utimensat(parent, name, &timestamps(node), AtFlags::SYMLINK_NOFOLLOW) {
        ctx.warn(path, format!("cannot set times: {e}"));
    }
}

impl Ctx<'_> {
    /// Numeric ids; a name that exists on this machine wins over the number.
    fn owner(&self, node: &Node) -> (rfs::Uid, rfs::Gid) {
        let mut names = lock(&self.names);
        let mut look = |group: bool, name: &Option<String>| -> Option<u32> {
            let name = name.as_ref()?;
            *names.entry((group, name.clone())).or_insert_with(|| {
                if group {
                    nix::unistd::Group::from_name(name)
                        .ok()
                        .flatten()
                        .map(|g| g.gid.as_raw())
                } else {
                    nix::unistd::User::from_name(name)
                        .ok()
                        .flatten()
                        .map(|u| u.uid.as_raw())
                }
            })
        };
        let uid = look(false, &node.user).unwrap_or(node.uid);
        let gid = look(true, &node.group).unwrap_or(node.gid);
        (rfs::Uid::from_raw(uid), rfs::Gid::from_raw(gid))
    }
}

/// Creates (0700 for an untrusted restore) and opens the target directory,
/// and checks that it can be written.
pub(super) fn open_target(opts: &super::RestoreOptions) -> Result<OwnedFd> {
    let what = || format!("restore target {}", opts.target.display());
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    if opts.untrusted {
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    }
    builder
        .create(&opts.target)
        .map_err(|e| Error::io(what(), e))?;
    let root = rfs::open(
        &opts.target,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(what(), e.into()))?;
    if opts.untrusted {
        rfs::fchmod(&root, Mode::from_raw_mode(0o700)).map_err(|e| Error::io(what(), e.into()))?;
    }
    probe_writable(&root, &opts.target)?;
    Ok(root)
}

fn probe_writable(root: &OwnedFd, target: &Path) -> Result<()> {
    let name = format!(".banana-probe-{}", std::process::id());
    let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC;
    match rfs::openat(root, &name, flags, Mode::from_raw_mode(0o600)) {
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
