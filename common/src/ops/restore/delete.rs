//! `--delete`: removing what the snapshot does not have from a restored
//! directory, relative to its descriptor, never following a symlink (a
//! symlink is removed itself) and never into another filesystem mounted below.
//! Without it, only the temporary files a killed restore left are swept.

use super::{lock, Ctx};
use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Removes every entry of `dir` (snapshot path `path`) whose name is not
/// in `keep`, directories with everything below them.
pub(super) fn delete_extras(ctx: &Ctx<'_>, dir: &OwnedFd, keep: &HashSet<Vec<u8>>, path: &Path) {
    let listed = rfs::fstat(dir).and_then(|st| Ok((st.st_dev, list(dir)?)));
    let (dev, names) = match listed {
        Ok(l) => l,
        Err(e) => {
            ctx.warn(
                path,
                format!("cannot list the directory to delete from: {e}"),
            );
            return;
        }
    };
    for name in names {
        if !keep.contains(name.as_bytes()) {
            remove(ctx, dir, dev, &name, &path.join(&name));
        }
    }
}

/// The process id in a restore's temporary name (`.banana-restore-PID-N`,
/// see `write.rs`), if `name` is one.
pub(super) fn temporary_pid(name: &[u8]) -> Option<u32> {
    let rest = name.strip_prefix(super::write::TEMP_PREFIX.as_bytes())?;
    let (pid, seq) = std::str::from_utf8(rest).ok()?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(seq))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Removes from a finished directory that was already in the target the
/// temporary files a killed restore left (`.banana-restore-PID-N` of a
/// process that is gone, not a name the snapshot has): a rerun then leaves
/// the tree as the snapshot has it. A directory is never removed, a live
/// restore's files are left alone.
pub(super) fn sweep_temporaries(
    ctx: &Ctx<'_>,
    dir: &OwnedFd,
    path: &Path,
    snapshot_has: Option<&HashSet<Vec<u8>>>,
) {
    let Ok(names) = list(dir) else {
        return;
    };
    let ours = std::process::id();
    for name in names {
        let bytes = name.as_bytes();
        let Some(pid) = temporary_pid(bytes) else {
            continue;
        };
        let alive = pid == ours || Path::new(&format!("/proc/{pid}")).exists();
        if alive || snapshot_has.is_some_and(|s| s.contains(bytes)) {
            continue;
        }
        match rfs::unlinkat(dir, name.as_os_str(), AtFlags::empty()) {
            Ok(()) => tracing::info!(
                "removed {}, left by an interrupted restore",
                path.join(&name).display()
            ),
            Err(Errno::NOENT | Errno::ISDIR | Errno::PERM) => {}
            Err(e) => ctx.warn(
                &path.join(&name),
                format!("cannot remove a temporary file an interrupted restore left: {e}"),
            ),
        }
    }
}

/// The names in a directory, without `.` and `..`.
fn list(dir: &OwnedFd) -> rustix::io::Result<Vec<OsString>> {
    let mut d = Dir::read_from(dir)?;
    let mut out = Vec::new();
    while let Some(e) = d.read() {
        let e = e?;
        let n = e.file_name().to_bytes();
        if n != b"." && n != b".." {
            out.push(OsStr::from_bytes(n).to_owned());
        }
    }
    Ok(out)
}

fn deleted(ctx: &Ctx<'_>, path: &Path) {
    lock(&ctx.out).deleted += 1;
    tracing::info!("deleted {} (not in the snapshot)", path.display());
}

fn cannot(ctx: &Ctx<'_>, path: &Path, e: Errno) {
    ctx.warn(path, format!("not deleted: {e}"));
}

/// Removes `name` in `parent` (on device `dev`); whether it is gone.
fn remove(ctx: &Ctx<'_>, parent: &OwnedFd, dev: u64, name: &OsStr, path: &Path) -> bool {
    let st = match rfs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::NOENT) => return true,
        Err(e) => {
            cannot(ctx, path, e);
            return false;
        }
    };
    if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
        return remove_tree(ctx, parent, dev, name, path);
    }
    match rfs::unlinkat(parent, name, AtFlags::empty()) {
        Ok(()) => {
            deleted(ctx, path);
            true
        }
        Err(Errno::NOENT) => true,
        Err(e) => {
            cannot(ctx, path, e);
            false
        }
    }
}

/// A directory being emptied.
struct Frame {
    fd: OwnedFd,
    name: OsString,
    path: PathBuf,
    /// Entries still to remove.
    pending: Vec<OsString>,
    /// Something below could not be removed: it stays.
    failed: bool,
}

/// Opens the directory `name` in `parent` without following a symlink, and
/// lists it, unless another filesystem is mounted there.
fn open_frame(
    ctx: &Ctx<'_>,
    parent: &OwnedFd,
    dev: u64,
    name: &OsStr,
    path: PathBuf,
) -> Option<Frame> {
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
    let opened = rfs::openat(parent, name, flags, Mode::empty())
        .and_then(|fd| Ok((rfs::fstat(&fd)?.st_dev, fd)));
    let (on, fd) = match opened {
        Ok(o) => o,
        Err(e) => {
            cannot(ctx, &path, e);
            return None;
        }
    };
    if on != dev {
        ctx.warn(&path, "not deleted: another filesystem is mounted there");
        return None;
    }
    match list(&fd) {
        Ok(pending) => Some(Frame {
            fd,
            name: name.to_owned(),
            path,
            pending,
            failed: false,
        }),
        Err(e) => {
            cannot(ctx, &path, e);
            None
        }
    }
}

/// Removes the directory `name` in `parent` and everything below it, depth
/// first without recursion; whether it is gone.
fn remove_tree(ctx: &Ctx<'_>, parent: &OwnedFd, dev: u64, name: &OsStr, path: &Path) -> bool {
    let Some(first) = open_frame(ctx, parent, dev, name, path.to_owned()) else {
        return false;
    };
    let mut stack = vec![first];
    loop {
        let Some(top) = stack.last_mut() else {
            return false;
        };
        if let Some(n) = top.pending.pop() {
            let p = top.path.join(&n);
            let sub = match rfs::statat(&top.fd, &n, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                    match open_frame(ctx, &top.fd, dev, &n, p) {
                        Some(f) => Some(f),
                        None => {
                            top.failed = true;
                            None
                        }
                    }
                }
                _ => {
                    if !remove(ctx, &top.fd, dev, &n, &p) {
                        top.failed = true;
                    }
                    None
                }
            };
            if let Some(f) = sub {
                stack.push(f);
            }
            continue;
        }
        // Emptied (or not): remove it from its parent.
        let Some(done) = stack.pop() else {
            return false;
        };
        let gone = !done.failed && {
            let pfd = stack.last().map_or(parent, |f| &f.fd);
            match rfs::unlinkat(pfd, &done.name, AtFlags::REMOVEDIR) {
                Ok(()) => {
                    deleted(ctx, &done.path);
                    true
                }
                Err(e) => {
                    cannot(ctx, &done.path, e);
                    false
                }
            }
        };
        match stack.last_mut() {
            Some(up) => up.failed |= !gone,
            None => return gone,
        }
    }
}
