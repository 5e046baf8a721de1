//! Local-directory backend, also how NFS and Samba mounts are used.
//!
//! A write goes to `tmp/` under a random name, is fsynced, then published with
//! `link(2)` — which, unlike `rename(2)`, fails instead of replacing an existing
//! object — and the directory is fsynced. A crash leaves at worst a file in
//! `tmp/`, never a partial object under a final name.

use super::{Backend, Kind, Written};
use crate::error::{Error, ErrorKind, Result};
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const CONFIG_NAME: &str = "config";

/// A repository in a local directory.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
}

impl LocalBackend {
    /// A backend rooted at `root` (which need not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalBackend { root: root.into() }
    }

    fn path(&self, kind: Kind, name: &str) -> Result<PathBuf> {
        valid_name(kind, name)?;
        Ok(match kind {
            Kind::Config => self.root.join(CONFIG_NAME),
            Kind::Data => self.root.join("data").join(&name[..2]).join(name),
            k => self.root.join(k.dir()).join(name),
        })
    }

    fn io(&self, what: &Path, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(ErrorKind::NotFound, format!("{} not found", what.display()))
        } else {
            Error::io(what.display(), e)
        }
    }
}

fn valid_name(kind: Kind, name: &str) -> Result<()> {
    let ok = match kind {
        Kind::Config => name == CONFIG_NAME,
        _ => {
            name.len() == 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::BadInput,
            format!("invalid {} name '{name}'", kind.noun()),
        ))
    }
}

fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn create(&self) -> Result<()> {
        if self.root.join(CONFIG_NAME).exists() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("a repository already exists at {}", self.root.display()),
            )
            .hint("use it as it is, or choose an empty directory"));
        }
        if fs::read_dir(&self.root).is_ok_and(|mut d| d.next().is_some()) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{} is not empty", self.root.display()),
            )
            .hint("a repository is created in an empty or new directory"));
        }
        let mut dirs = vec![self.root.join("tmp")];
        for k in [Kind::Index, Kind::Snapshot, Kind::Refs, Kind::Key] {
            dirs.push(self.root.join(k.dir()));
        }
        for i in 0..=255u8 {
            dirs.push(self.root.join("data").join(format!("{i:02x}")));
        }
        for d in &dirs {
            fs::create_dir_all(d).map_err(|e| self.io(d, e))?;
        }
        fsync_dir(&self.root).map_err(|e| self.io(&self.root, e))
    }

    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        if kind == Kind::Config {
            let p = self.root.join(CONFIG_NAME);
            match fs::metadata(&p) {
                Ok(m) => out.push((CONFIG_NAME.to_owned(), m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.io(&p, e)),
            }
            return Ok(out);
        }
        let base = self.root.join(kind.dir());
        let dirs = if kind == Kind::Data {
            let mut v = Vec::new();
            for e in fs::read_dir(&base).map_err(|e| self.io(&base, e))? {
                let e = e.map_err(|e| self.io(&base, e))?;
                v.push(e.path());
            }
            v
        } else {
            vec![base]
        };
        for d in dirs {
            let entries = match fs::read_dir(&d) {
                Ok(rd) => rd,
                // A kind added in a later version has no directory in older repositories.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && kind == Kind::Key => continue,
                Err(e) => return Err(self.io(&d, e)),
            };
            for e in entries {
                let e = e.map_err(|e| self.io(&d, e))?;
                let name = e.file_name().to_string_lossy().into_owned();
                if valid_name(kind, &name).is_err() {
                    continue;
                }
                let len = e.metadata().map_err(|err| self.io(&e.path(), err))?.len();
                out.push((name, len));
            }
        }
        out.sort();
        Ok(out)
    }

    fn read(&self, kind: Kind, name: &str) -> Result<Vec<u8>> {
        let p = self.path(kind, name)?;
        fs::read(&p).map_err(|e| self.io(&p, e))
    }

    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        let p = self.path(kind, name)?;
        let f = File::open(&p).map_err(|e| self.io(&p, e))?;
        let mut buf = vec![0u8; len as usize];
        let mut filled = 0;
        while filled < buf.len() {
            match f.read_at(&mut buf[filled..], offset + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io(&p, e)),
            }
        }
        buf.truncate(filled);
        Ok(buf)
    }

    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        let dest = self.path(kind, name)?;
        if dest.exists() {
            return Ok(Written::AlreadyPresent);
        }
        let tmp_dir = self.root.join("tmp");
        let tmp = tmp_dir.join(format!(
            ".{}-{}",
            name.get(..16).unwrap_or(name),
            rand::random::<u64>()
        ));
        let result = (|| {
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            drop(f);
            let outcome = match fs::hard_link(&tmp, &dest) {
                Ok(()) => Written::New,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Written::AlreadyPresent,
                Err(e) => return Err(e),
            };
            if let Some(parent) = dest.parent() {
                fsync_dir(parent)?;
            }
            Ok(outcome)
        })();
        let _ = fs::remove_file(&tmp);
        result.map_err(|e| self.io(&dest, e))
    }

    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        let p = self.path(kind, name)?;
        fs::remove_file(&p).map_err(|e| self.io(&p, e))?;
        if let Some(parent) = p.parent() {
            fsync_dir(parent).map_err(|e| self.io(parent, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        crate::testing::conformance(&LocalBackend::new(dir.path().join("repo")));
    }
}
