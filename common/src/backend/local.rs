//! Local-directory backend, also how NFS and Samba mounts are used.
//!
//! Storage is hostile: `bananactl` runs as root, and whoever controls the
//! filesystem (a compromised NFS/SMB server, anyone who can write the
//! directory) must not turn the repository into a way into the node. So the
//! location is resolved once (an administrator may point it at a symlink),
//! and everything below it is reached from an open directory descriptor with
//! `openat(O_NOFOLLOW | O_NONBLOCK)` and checked with `fstat`: a symlink,
//! FIFO, device or directory where an object, or one of `tmp/ data/XX/
//! index/ snapshots/ refs/ keys/`, should be is an error naming that path,
//! never followed and never waited on. Reads are capped by the caller's limit
//! (what the format allows for the kind) before anything is allocated.
//!
//! A write goes to `tmp/` under a random name, is fsynced, then published
//! without replacing an existing object: `renameat2(RENAME_NOREPLACE)` where
//! the filesystem has it, else `linkat`, else (filesystems with neither, such
//! as some FUSE SMB clients) `renameat` after an existence check: object names
//! hash their bytes, so that race can only replace identical bytes. `config`
//! is never published by a plain rename (it is created with `O_EXCL` instead).
//! The directory is then fsynced where the filesystem supports it. A crash
//! leaves at worst a file in `tmp/`, never a partial object under a final name.

use super::{Backend, Kind, Listed, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{valid_name, CONFIG_NAME};
/// The directories of a repository, below its root.
const DIRS: [&str; 6] = ["tmp", "index", "snapshots", "refs", "keys", "forgets"];

/// A repository in a local directory.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    location: PathBuf,
    root: Arc<Mutex<Option<Arc<OwnedFd>>>>,
}

fn errno_io(e: Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e.raw_os_error())
}

/// Where an object lives: its directory below the root, and its name.
fn place(kind: Kind, name: &str) -> Result<(String, String)> {
    let path = super::object_path(kind, name)?;
    Ok(match path.rsplit_once('/') {
        Some((dir, name)) => (dir.to_owned(), name.to_owned()),
        None => (String::new(), path),
    })
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

impl LocalBackend {
    /// A backend at `location` (which need not exist yet).
    pub fn new(location: impl Into<PathBuf>) -> Self {
        LocalBackend {
            location: location.into(),
            root: Arc::new(Mutex::new(None)),
        }
    }

    /// An error about `rel` (a path below the root), naming it in full.
    fn hostile(&self, rel: &str, what: &str) -> Error {
        Error::new(
            ErrorKind::Io,
            format!(
                "repository {}: {rel} {what}; refusing to use it",
                self.location.display()
            ),
        )
        .hint("storage must hold only Banana's directories and regular files: inspect and repair the repository directory")
    }

    fn io(&self, rel: &str, e: Errno) -> Error {
        let path = self.location.join(rel);
        match e {
            Errno::NOENT => {
                Error::new(ErrorKind::NotFound, format!("{} not found", path.display()))
            }
            Errno::LOOP | Errno::NOTDIR => self.hostile(rel, self.what_is(rel)),
            e => Error::io(path.display(), errno_io(e)),
        }
    }

    /// What stands at `rel`, for an error that names it.
    fn what_is(&self, rel: &str) -> &'static str {
        let Ok(root) = self.root() else {
            return "is not what it should be";
        };
        let target = if rel.is_empty() { "." } else { rel };
        match rfs::statat(&*root, target, AtFlags::SYMLINK_NOFOLLOW)
            .map(|st| FileType::from_raw_mode(st.st_mode))
        {
            Ok(FileType::Symlink) => "is a symbolic link",
            Ok(FileType::Fifo) => "is a FIFO",
            Ok(FileType::CharacterDevice | FileType::BlockDevice) => "is a device",
            Ok(FileType::Socket) => "is a socket",
            Ok(FileType::RegularFile) => "is a regular file where a directory should be",
            Ok(FileType::Directory) => "is a directory where a file should be",
            _ => "is not what it should be",
        }
    }

    /// The root directory, opened once (following the location's own symlinks).
    fn root(&self) -> Result<Arc<OwnedFd>> {
        let mut cached = self.root.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fd) = cached.as_ref() {
            return Ok(fd.clone());
        }
        let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
        let fd = rfs::open(&self.location, flags, Mode::empty()).map_err(|e| match e {
            Errno::NOENT => Error::new(
                ErrorKind::NotFound,
                format!("{} not found", self.location.display()),
            ),
            Errno::NOTDIR => Error::new(
                ErrorKind::BadInput,
                format!(
                    "repository location {} is not a directory",
                    self.location.display()
                ),
            ),
            e => Error::io(self.location.display(), errno_io(e)),
        })?;
        let fd = Arc::new(fd);
        *cached = Some(fd.clone());
        Ok(fd)
    }

    /// A directory below the root (`data/ab`), each component opened without
    /// following a symlink.
    fn dir(&self, rel: &str) -> Result<OwnedFd> {
        let root = self.root()?;
        let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
        let mut fd = rfs::openat(&*root, ".", flags, Mode::empty()).map_err(|e| self.io("", e))?;
        let mut done = String::new();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            done = join(&done, part);
            fd = rfs::openat(&fd, part, flags | OFlags::NONBLOCK, Mode::empty())
                .map_err(|e| self.io(&done, e))?;
        }
        Ok(fd)
    }

    /// Makes the directory `rel` (0700) unless it exists, through its
    /// parent's own descriptor ([`Self::dir`]): a symlink planted for a
    /// parent (`data` -> elsewhere) is refused, never followed.
    fn mkdir(&self, rel: &str) -> Result<()> {
        let (parent, last) = rel.rsplit_once('/').unwrap_or(("", rel));
        let pfd = self.dir(parent)?;
        match rfs::mkdirat(&pfd, last, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => Ok(()),
            Err(e) => Err(self.io(rel, e)),
        }
    }

    /// Opens an object for reading: a regular file or an error naming it.
    fn open(&self, kind: Kind, name: &str) -> Result<(File, u64, String)> {
        let (dir, name) = place(kind, name)?;
        let rel = join(&dir, &name);
        let dfd = self.dir(&dir)?;
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd =
            rfs::openat(&dfd, name.as_str(), flags, Mode::empty()).map_err(|e| self.io(&rel, e))?;
        let st = rfs::fstat(&fd).map_err(|e| self.io(&rel, e))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(self.hostile(&rel, "is not a regular file (a FIFO, device or directory)"));
        }
        Ok((File::from(fd), st.st_size as u64, rel))
    }

    /// Publishes `tmp` (in `tmp/`) as `name` in `dir` unless it exists.
    fn publish(
        &self,
        tmp_dir: &OwnedFd,
        tmp: &str,
        dir: &OwnedFd,
        name: &str,
        content_addressed: bool,
    ) -> std::result::Result<Written, Errno> {
        match rfs::renameat_with(tmp_dir, tmp, dir, name, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(Written::New),
            Err(Errno::EXIST) => return Ok(Written::AlreadyPresent),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {}
            Err(e) => return Err(e),
        }
        match rfs::linkat(tmp_dir, tmp, dir, name, AtFlags::empty()) {
            Ok(()) => return Ok(Written::New),
            Err(Errno::EXIST) => return Ok(Written::AlreadyPresent),
            Err(Errno::PERM | Errno::NOTSUP | Errno::NOSYS | Errno::MLINK) if content_addressed => {
            }
            Err(e) => return Err(e),
        }
        // Neither: a plain rename after an existence check. The name hashes
        // the bytes, so a racing writer can only put the same bytes there.
        match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Ok(Written::AlreadyPresent),
            Err(Errno::NOENT) => rfs::renameat(tmp_dir, tmp, dir, name).map(|_| Written::New),
            Err(e) => Err(e),
        }
    }

    /// `config` on a filesystem without hard links or `RENAME_NOREPLACE`:
    /// created with `O_EXCL`, never by replacing.
    fn create_exclusive(&self, dir: &OwnedFd, name: &str, data: &[u8]) -> std::io::Result<Written> {
        let flags =
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rfs::openat(dir, name, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            Err(Errno::EXIST) => return Ok(Written::AlreadyPresent),
            Err(e) => return Err(errno_io(e)),
        };
        let mut f = File::from(fd);
        f.write_all(data)?;
        f.sync_all()?;
        Ok(Written::New)
    }
}

/// fsync of a directory; filesystems that cannot (some FUSE and SMB
/// clients) say so with EINVAL or ENOTSUP, which is not an error here.
fn fsync_dir(fd: &OwnedFd) -> std::result::Result<(), Errno> {
    match rfs::fsync(fd) {
        Ok(()) | Err(Errno::INVAL | Errno::NOTSUP | Errno::ROFS) => Ok(()),
        Err(e) => Err(e),
    }
}

impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.location.display().to_string()
    }

    fn presence(&self) -> Result<Presence> {
        let root = match self.root() {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Presence::Missing),
            Err(e) => return Err(e),
        };
        let mut dir = rfs::Dir::read_from(&*root).map_err(|e| self.io("", e))?;
        let mut any = false;
        for entry in dir.by_ref() {
            let entry = entry.map_err(|e| self.io("", e))?;
            let n = entry.file_name().to_bytes();
            if n == b"." || n == b".." {
                continue;
            }
            if n == CONFIG_NAME.as_bytes() {
                return Ok(Presence::Repository);
            }
            any = true;
        }
        Ok(if any {
            Presence::Other
        } else {
            Presence::Empty
        })
    }

    fn creatable(&self) -> Result<()> {
        let loc = &self.location;
        let presence = self.presence()?;
        let parent = loc.parent().filter(|p| !p.as_os_str().is_empty());
        if presence == Presence::Missing && parent.is_some_and(|p| !p.is_dir()) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("the parent directory of {} does not exist", loc.display()),
            )
            .hint(
                "Banana never creates a missing mount point or parent: create or mount it first",
            ));
        }
        super::creatable(presence, &self.location())
    }

    fn create(&self) -> Result<()> {
        let loc = &self.location;
        self.creatable()?;
        match rfs::mkdir(loc, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(Errno::NOENT) => return Err(Error::new(
                ErrorKind::BadInput,
                format!("the parent directory of {} does not exist", loc.display()),
            )
            .hint(
                "Banana never creates a missing mount point or parent: create or mount it first",
            )),
            Err(e) => return Err(Error::io(loc.display(), errno_io(e))),
        }
        super::creatable(self.presence()?, &self.location())?;
        let root = self.root()?;
        let mut dirs: Vec<String> = DIRS.iter().map(|d| (*d).to_owned()).collect();
        dirs.push("data".to_owned());
        dirs.extend((0..=255u8).map(|i| format!("data/{i:02x}")));
        for d in &dirs {
            self.mkdir(d)?;
        }
        fsync_dir(&root).map_err(|e| self.io("", e))
    }

    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        Ok(self
            .list_dated(kind)?
            .into_iter()
            .map(|l| (l.name, l.size))
            .collect())
    }

    /// Dated by mtime, which whoever can write the directory can set:
    /// retention documents directories as unprotected against a node.
    fn list_dated(&self, kind: Kind) -> Result<Vec<Listed>> {
        if kind == Kind::Config {
            return match self.open(Kind::Config, CONFIG_NAME) {
                Ok((_, len, _)) => Ok(vec![Listed {
                    name: CONFIG_NAME.to_owned(),
                    size: len,
                    written: None,
                }]),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            };
        }
        let dirs: Vec<String> = if kind == Kind::Data {
            (0..=255u8).map(|i| format!("data/{i:02x}")).collect()
        } else {
            vec![kind.dir().to_owned()]
        };
        let mut out = Vec::new();
        for d in dirs {
            let fd = match self.dir(&d) {
                Ok(fd) => fd,
                // A kind added in a later version has no directory in older
                // repositories; a data/XX directory is made on first use.
                Err(e)
                    if e.kind() == ErrorKind::NotFound
                        && matches!(kind, Kind::Key | Kind::Data | Kind::Forget) =>
                {
                    continue
                }
                Err(e) => return Err(e),
            };
            self.list_dir(kind, &d, &fd, &mut out)?;
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        let (f, len, rel) = self.open(kind, name)?;
        if len > limit {
            return Err(Error::damaged(format!(
                "repository {}: {rel} is {len} bytes, more than a {} may be ({limit})",
                self.location.display(),
                kind.noun()
            )));
        }
        let mut buf = vec![0u8; len as usize];
        let n = read_at_full(&f, &mut buf, 0)
            .map_err(|e| Error::io(self.location.join(&rel).display(), e))?;
        if n != buf.len() {
            return Err(Error::damaged(format!(
                "repository {}: {rel} changed while it was read",
                self.location.display()
            )));
        }
        Ok(buf)
    }

    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        let (f, size, rel) = self.open(kind, name)?;
        let len = len.min(size.saturating_sub(offset));
        let mut buf = vec![0u8; len as usize];
        let n = read_at_full(&f, &mut buf, offset)
            .map_err(|e| Error::io(self.location.join(&rel).display(), e))?;
        buf.truncate(n);
        Ok(buf)
    }

    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        let (dir, name) = place(kind, name)?;
        let rel = join(&dir, &name);
        let dfd = match self.dir(&dir) {
            Err(e)
                if e.kind() == ErrorKind::NotFound && matches!(kind, Kind::Data | Kind::Forget) =>
            {
                self.mkdir(&dir)?;
                self.dir(&dir)?
            }
            r => r?,
        };
        match rfs::statat(&dfd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => return Ok(Written::AlreadyPresent),
            Err(Errno::NOENT) => {}
            Err(e) => return Err(self.io(&rel, e)),
        }
        let tdir = self.dir("tmp")?;
        let tmp = format!(
            ".{}-{:016x}",
            name.get(..16).unwrap_or(&name),
            rand::random::<u64>()
        );
        let written = self.write_tmp(&tdir, &tmp, data).and_then(|()| {
            match self.publish(&tdir, &tmp, &dfd, &name, kind != Kind::Config) {
                Ok(w) => Ok(w),
                Err(Errno::PERM | Errno::NOTSUP | Errno::NOSYS | Errno::MLINK)
                    if kind == Kind::Config =>
                {
                    self.create_exclusive(&dfd, &name, data)
                        .map_err(|e| Error::io(self.location.join(&rel).display(), e))
                }
                Err(e) => Err(self.io(&rel, e)),
            }
        });
        let _ = rfs::unlinkat(&tdir, tmp.as_str(), AtFlags::empty());
        let written = written?;
        fsync_dir(&dfd).map_err(|e| self.io(&dir, e))?;
        Ok(written)
    }

    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        let (dir, name) = place(kind, name)?;
        let rel = join(&dir, &name);
        let dfd = self.dir(&dir)?;
        rfs::unlinkat(&dfd, name.as_str(), AtFlags::empty()).map_err(|e| self.io(&rel, e))?;
        fsync_dir(&dfd).map_err(|e| self.io(&dir, e))
    }
}

impl LocalBackend {
    /// Lists the objects of one directory; an entry with an object's name that
    /// is not a regular file is an error naming it.
    fn list_dir(&self, kind: Kind, rel: &str, fd: &OwnedFd, out: &mut Vec<Listed>) -> Result<()> {
        let mut dir = rfs::Dir::read_from(fd).map_err(|e| self.io(rel, e))?;
        for entry in dir.by_ref() {
            let entry = entry.map_err(|e| self.io(rel, e))?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if valid_name(kind, name).is_err() {
                continue;
            }
            let path = join(rel, name);
            let st =
                rfs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| self.io(&path, e))?;
            if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                return Err(self.hostile(
                    &path,
                    "is not a regular file (a symlink, FIFO, device or directory)",
                ));
            }
            out.push(Listed {
                name: name.to_owned(),
                size: st.st_size as u64,
                written: Some(st.st_mtime),
            });
        }
        Ok(())
    }

    /// Writes `data` to `tmp/NAME` (mode 0600, new) and fsyncs it.
    fn write_tmp(&self, tdir: &OwnedFd, tmp: &str, data: &[u8]) -> Result<()> {
        let flags =
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let rel = join("tmp", tmp);
        let fd = rfs::openat(tdir, tmp, flags, Mode::from_raw_mode(0o600))
            .map_err(|e| self.io(&rel, e))?;
        let mut f = File::from(fd);
        f.write_all(data)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(self.location.join(&rel).display(), e))
    }
}

/// Reads until `buf` is full or the end of the file; returns the bytes read.
fn read_at_full(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        crate::testing::conformance(&LocalBackend::new(dir.path().join("repo")));
        let many = LocalBackend::new(dir.path().join("many"));
        many.create().unwrap();
        crate::testing::conformance_many(&many, 10_000);
    }

    #[test]
    fn a_data_directory_swapped_for_a_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let be = LocalBackend::new(dir.path().join("repo"));
        be.create().unwrap();
        // The step a write takes for a missing data/XX, after the symlink
        // was planted (what a race between the check and mkdir would see).
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let data = dir.path().join("repo/data");
        std::fs::rename(&data, dir.path().join("data.real")).unwrap();
        std::os::unix::fs::symlink(&outside, &data).unwrap();
        let e = be.mkdir("data/ab").unwrap_err();
        assert!(e.to_string().contains("data"), "{e}");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
        let w = be.write(Kind::Data, &"ab".repeat(32), b"pack");
        assert!(w.is_err());
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[test]
    fn symlinks_fifos_and_oversized_objects_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("repo"));
        b.create().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        // tmp/ replaced by a symlink: a write refuses, the outside stays empty.
        let tmp = dir.path().join("repo/tmp");
        std::fs::remove_dir(&tmp).unwrap();
        std::os::unix::fs::symlink(&outside, &tmp).unwrap();
        let e = b.write(Kind::Index, &"ab".repeat(32), b"x").unwrap_err();
        assert!(e.to_string().contains("tmp is a symbolic link"), "{e}");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
        // A FIFO named like an index file: listing names it, at once.
        let fifo = dir.path().join("repo/index").join("cd".repeat(32));
        rustix::fs::mknodat(
            rfs::CWD,
            &fifo,
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let e = b.list(Kind::Index).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("index/{}", "cd".repeat(32))),
            "{e}"
        );
        let e = b.read(Kind::Index, &"cd".repeat(32), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        std::fs::remove_file(&fifo).unwrap();
        // An object larger than the kind allows is damage, not an allocation.
        let big = dir.path().join("repo/index").join("ef".repeat(32));
        File::create(&big).unwrap().set_len(1 << 40).unwrap();
        let e = b.read(Kind::Index, &"ef".repeat(32), 1 << 20).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Damaged, "{e}");
    }

    #[test]
    fn a_missing_parent_is_never_created() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("mnt/backup/repo"));
        let e = b.create().unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(!dir.path().join("mnt").exists());
        assert_eq!(b.presence().unwrap(), Presence::Missing);
    }
}
