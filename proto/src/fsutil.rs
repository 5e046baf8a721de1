//! Node-local files written safely, in one place: every key, credential,
//! catalogue, state record and spooled event goes through here.
//!
//! - A file is written under a temporary name in its own directory (mode
//!   0600, created exclusively), fsynced, then published under its final name
//!   and the directory fsynced: a crash leaves the old file or the new one,
//!   never a partial file under the final name.
//! - [`write_private`] replaces what was there (state that is rewritten);
//!   [`create_private`] never does (keys and identities are never overwritten).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A file being written under a temporary name; published by [`AtomicFile::commit`]
/// or [`AtomicFile::commit_new`], removed if dropped unpublished.
pub struct AtomicFile {
    file: Option<File>,
    tmp: PathBuf,
    dest: PathBuf,
}

fn tmp_name(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ))
}

impl AtomicFile {
    /// Starts a private (0600) file that will be published as `dest`.
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        let tmp = tmp_name(dest);
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        Ok(AtomicFile {
            file: Some(file),
            tmp,
            dest: dest.to_owned(),
        })
    }

    /// The open file (to seek and rewrite a header, say).
    pub fn file(&mut self) -> io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("file already published"))
    }

    fn sync(&mut self) -> io::Result<()> {
        let f = self.file()?;
        f.flush()?;
        f.sync_all()?;
        self.file = None;
        Ok(())
    }

    /// Publishes the file as its final name, replacing what was there.
    pub fn commit(mut self) -> io::Result<()> {
        self.sync()?;
        std::fs::rename(&self.tmp, &self.dest)?;
        fsync_parent(&self.dest)
    }

    /// Publishes the file as its final name only if nothing is there
    /// ([`io::ErrorKind::AlreadyExists`] otherwise).
    pub fn commit_new(mut self) -> io::Result<()> {
        self.sync()?;
        publish_noreplace(&self.tmp, &self.dest)?;
        fsync_parent(&self.dest)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Published files were renamed away; this removes only an unpublished one.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Moves `tmp` to `dest` unless `dest` exists: `renameat2(RENAME_NOREPLACE)`
/// where the filesystem supports it, else `link(2)` then unlink of `tmp`.
pub fn publish_noreplace(tmp: &Path, dest: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    match renameat_with(CWD, tmp, CWD, dest, RenameFlags::NOREPLACE) {
        Ok(()) => return Ok(()),
        Err(e) if e == rustix::io::Errno::EXIST => {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists))
        }
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
        Err(e) => return Err(e.into()),
    }
    std::fs::hard_link(tmp, dest)?;
    let _ = std::fs::remove_file(tmp);
    Ok(())
}

/// Writes `bytes` to `dest` atomically (mode 0600), replacing what was there.
pub fn write_private(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Writes `bytes` to `dest` (mode 0600) only if `dest` does not exist; fails
/// with [`io::ErrorKind::AlreadyExists`] otherwise. Never overwrites.
pub fn create_private(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    if dest.symlink_metadata().is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)?;
    f.commit_new()
}

/// Creates `dir` (and its parents) and makes it private (0700).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// fsyncs a directory, making a rename or link in it durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn fsync_parent(p: &Path) -> io::Result<()> {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => fsync_dir(d),
        _ => fsync_dir(Path::new(".")),
    }
}

/// A file holding a secret (a storage credential, a job's password or
/// defaults file, a TLS key) passes this check before it is used: owned by
/// root or the agent's user, and readable by its owner only (0600 or 0400).
/// `what` names it in the error.
pub fn check_private_file(path: &Path, what: &str) -> crate::error::Result<()> {
    use crate::error::{Error, ErrorKind};
    use std::os::unix::fs::MetadataExt;
    let named = format!("{what} {}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| Error::io(&named, e))?;
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != 0 && meta.uid() != me {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "{named} is owned by uid {}, not by root or the agent's user",
                meta.uid()
            ),
        )
        .hint(format!("chown root {}", path.display())));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "{named} can be read by other users (mode {:o})",
                meta.mode() & 0o777
            ),
        )
        .hint(format!("chmod 600 {}", path.display())));
    }
    Ok(())
}

/// Banana's data directory: `/var/lib/banana` for root, else
/// `$XDG_DATA_HOME/banana` (`~/.local/share/banana`).
pub fn data_dir() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/banana");
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("banana");
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".local/share/banana")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_never_replaces_and_write_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        create_private(&p, b"one").unwrap();
        let e = create_private(&p, b"two").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_private(&p, b"three").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temporary file is left behind, published or dropped.
        drop(AtomicFile::create(&dir.path().join("x")).unwrap());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("k")]);
    }
}
