//! The node-local catalogue of the previous snapshot of a path set: for each
//! regular file its size, mtime, ctime, inode and device, and its chunk ids. A
//! file whose stat matches is reused without being read.
//!
//! It is written in the walk's order (depth-first, names sorted by bytes) and
//! read back by a merge join during the next walk, so memory stays constant
//! whatever the file count. Losing it costs time only: every id it yields is
//! checked against the repository's index before use.

use crate::error::{Error, Result};
use crate::id::Id;
use crate::tree::Timestamp;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::cmp::Ordering;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    repository: Id,
    snapshot: Option<Id>,
}

/// One regular file as last backed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Absolute path bytes.
    pub path: ByteBuf,
    /// Size.
    pub size: u64,
    /// mtime.
    pub mtime: Timestamp,
    /// ctime.
    pub ctime: Timestamp,
    /// Inode.
    pub inode: u64,
    /// Device.
    pub device: u64,
    /// Chunk ids.
    pub content: Vec<Id>,
}

/// The catalogue file for a repository and a set of backup paths.
pub fn path_for(state_dir: &Path, repo: &Id, paths: &[Vec<u8>]) -> PathBuf {
    let mut sorted = paths.to_vec();
    sorted.sort();
    let mut h = blake3::Hasher::new();
    for p in &sorted {
        h.update(p);
        h.update(&[0]);
    }
    let set = hex::encode(&h.finalize().as_bytes()[..8]);
    state_dir
        .join(repo.to_hex())
        .join(format!("catalogue-{set}"))
}

fn path_cmp(a: &[u8], b: &[u8]) -> Ordering {
    Path::new(OsStr::from_bytes(a)).cmp(Path::new(OsStr::from_bytes(b)))
}

/// The catalogue names every backed-up path: readable by its owner only.
fn private_file(p: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(p)
}

/// Reads a catalogue in walk order.
pub struct Reader {
    input: BufReader<File>,
    next: Option<Entry>,
    snapshot: Option<Id>,
}

impl Reader {
    /// Opens the catalogue if it exists and belongs to `repo`; `None` otherwise.
    pub fn open(path: &Path, repo: &Id) -> Option<Reader> {
        let mut input = BufReader::new(File::open(path).ok()?);
        let header: Header = ciborium::from_reader(&mut input).ok()?;
        if header.version != VERSION || header.repository != *repo {
            return None;
        }
        let mut r = Reader {
            input,
            next: None,
            snapshot: header.snapshot,
        };
        r.advance();
        Some(r)
    }

    /// The snapshot this catalogue describes.
    pub fn snapshot(&self) -> Option<Id> {
        self.snapshot
    }

    fn advance(&mut self) {
        let more = self
            .input
            .fill_buf()
            .map(|b| !b.is_empty())
            .unwrap_or(false);
        self.next = if more {
            ciborium::from_reader(&mut self.input).ok()
        } else {
            None
        };
    }

    /// The entry for `path`, if any; paths must be asked in walk order.
    pub fn lookup(&mut self, path: &[u8]) -> Option<Entry> {
        while let Some(e) = &self.next {
            match path_cmp(&e.path, path) {
                Ordering::Less => self.advance(),
                Ordering::Equal => {
                    let found = self.next.take();
                    self.advance();
                    return found;
                }
                Ordering::Greater => return None,
            }
        }
        None
    }
}

/// Writes a new catalogue next to its final name; `commit` publishes it.
pub struct Writer {
    out: BufWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
}

impl Writer {
    /// Starts a catalogue for `repo`.
    pub fn create(dest: &Path, repo: &Id) -> Result<Writer> {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("state directory {}", dir.display()), e))?;
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let tmp = dest.with_extension(format!("tmp{}", std::process::id()));
        let file =
            private_file(&tmp).map_err(|e| Error::io(format!("catalogue {}", tmp.display()), e))?;
        let mut w = Writer {
            out: BufWriter::new(file),
            tmp,
            dest: dest.to_owned(),
        };
        w.write(&Header {
            version: VERSION,
            repository: *repo,
            snapshot: None,
        })?;
        Ok(w)
    }

    fn write<T: Serialize>(&mut self, v: &T) -> Result<()> {
        ciborium::into_writer(v, &mut self.out).map_err(|e| {
            Error::new(
                crate::ErrorKind::Io,
                format!("catalogue {}: {e}", self.tmp.display()),
            )
        })
    }

    /// Appends a file (in walk order).
    pub fn add(&mut self, e: &Entry) -> Result<()> {
        self.write(e)
    }

    /// Publishes the catalogue for `snapshot`. The header is rewritten by
    /// writing a fresh file: entries are copied after the new header.
    pub fn commit(mut self, snapshot: &Id, repo: &Id) -> Result<()> {
        let err = |e: std::io::Error, p: &Path| Error::io(format!("catalogue {}", p.display()), e);
        self.out.flush().map_err(|e| err(e, &self.tmp))?;
        drop(self.out);
        let final_tmp = self
            .dest
            .with_extension(format!("new{}", std::process::id()));
        {
            let mut input = BufReader::new(File::open(&self.tmp).map_err(|e| err(e, &self.tmp))?);
            let _: Header = ciborium::from_reader(&mut input)
                .map_err(|e| Error::new(crate::ErrorKind::Io, format!("catalogue: {e}")))?;
            let mut out = BufWriter::new(private_file(&final_tmp).map_err(|e| err(e, &final_tmp))?);
            ciborium::into_writer(
                &Header {
                    version: VERSION,
                    repository: *repo,
                    snapshot: Some(*snapshot),
                },
                &mut out,
            )
            .map_err(|e| Error::new(crate::ErrorKind::Io, format!("catalogue: {e}")))?;
            std::io::copy(&mut input, &mut out).map_err(|e| err(e, &final_tmp))?;
            let f = out
                .into_inner()
                .map_err(|e| err(e.into_error(), &final_tmp))?;
            f.sync_all().map_err(|e| err(e, &final_tmp))?;
        }
        let _ = std::fs::remove_file(&self.tmp);
        std::fs::rename(&final_tmp, &self.dest).map_err(|e| err(e, &self.dest))
    }

    /// Drops the unfinished catalogue.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(p: &str) -> Entry {
        Entry {
            path: ByteBuf::from(p.as_bytes().to_vec()),
            size: 1,
            mtime: Timestamp(1, 2),
            ctime: Timestamp(3, 4),
            inode: 5,
            device: 6,
            content: vec![Id([1; 32])],
        }
    }

    #[test]
    fn merge_join_in_walk_order() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Id([9; 32]);
        let dest = dir.path().join("cat");
        let mut w = Writer::create(&dest, &repo).unwrap();
        // Walk order: "a" subtree before "a.txt".
        for p in ["/r/a/b", "/r/a/c", "/r/a.txt", "/r/z"] {
            w.add(&entry(p)).unwrap();
        }
        w.commit(&Id([2; 32]), &repo).unwrap();
        let mut r = Reader::open(&dest, &repo).unwrap();
        assert_eq!(r.snapshot(), Some(Id([2; 32])));
        assert!(r.lookup(b"/r/a/a").is_none());
        assert_eq!(r.lookup(b"/r/a/c").unwrap(), entry("/r/a/c"));
        assert!(r.lookup(b"/r/a.b").is_none());
        assert_eq!(r.lookup(b"/r/a.txt").unwrap(), entry("/r/a.txt"));
        assert_eq!(r.lookup(b"/r/z").unwrap(), entry("/r/z"));
        assert!(
            Reader::open(&dest, &Id([8; 32])).is_none(),
            "other repository"
        );
    }
}
