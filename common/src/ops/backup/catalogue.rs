//! The node-local catalogue of the previous snapshot of a path set: for each
//! regular file its size, mtime, ctime, inode and device, and its chunk ids.
//! It owns the decision "this file is unchanged" ([`Session::unchanged`]): a
//! file whose stat matches, and whose chunks the repository still holds, is
//! reused without being read.
//!
//! It is written in the walk's order (depth-first, names sorted by bytes) and
//! read back by a merge join during the next walk, so memory stays constant
//! whatever the file count. Losing it costs time only: every id it yields is
//! checked against the repository's index before use.

use crate::error::{Error, Result};
use crate::format::tree::{Timestamp, Xattr};
use crate::fsutil::AtomicFile;
use crate::id::Id;
use crate::progress::{Observer, WarningKind};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::cmp::Ordering;
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Version 2: a fixed-size header (the snapshot id is rewritten in place at
/// commit; all zeros until then). A version-1 catalogue is ignored: the next
/// backup reads every file once.
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    repository: Id,
    snapshot: Id,
}

/// One regular file as last backed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Entry {
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
    /// Extended attributes as listed, sorted by name; `None` when they
    /// could not all be read (or from a catalogue older than this field):
    /// then they are listed again. Setting or removing one changes the
    /// ctime, so an unchanged file's are reused without a `listxattr`.
    #[serde(default)]
    pub xattrs: Option<Vec<Xattr>>,
}

/// The catalogue file for a repository and a set of backup paths.
pub(super) fn path_for(state_dir: &Path, repo: &Id, paths: &[Vec<u8>]) -> PathBuf {
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

/// Reads a catalogue in walk order.
pub(super) struct Reader {
    input: BufReader<File>,
    next: Option<Entry>,
    snapshot: Option<Id>,
}

impl Reader {
    /// Opens the catalogue if it exists and belongs to `repo`; `None` otherwise.
    pub(super) fn open(path: &Path, repo: &Id) -> Option<Reader> {
        let mut input = BufReader::new(File::open(path).ok()?);
        let header: Header = ciborium::from_reader(&mut input).ok()?;
        if header.version != VERSION || header.repository != *repo {
            return None;
        }
        let mut r = Reader {
            input,
            next: None,
            snapshot: (header.snapshot != Id::default()).then_some(header.snapshot),
        };
        r.advance();
        Some(r)
    }

    /// The snapshot this catalogue describes.
    pub(super) fn snapshot(&self) -> Option<Id> {
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
    pub(super) fn lookup(&mut self, path: &[u8]) -> Option<Entry> {
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
pub(super) struct Writer {
    out: BufWriter<AtomicFile>,
    dest: PathBuf,
}

impl Writer {
    /// Starts a catalogue for `repo`.
    pub(super) fn create(dest: &Path, repo: &Id) -> Result<Writer> {
        if let Some(dir) = dest.parent() {
            crate::fsutil::private_dir(dir)
                .map_err(|e| Error::io(format!("state directory {}", dir.display()), e))?;
        }
        let file = AtomicFile::create(dest)
            .map_err(|e| Error::io(format!("catalogue {}", dest.display()), e))?;
        let mut w = Writer {
            out: BufWriter::new(file),
            dest: dest.to_owned(),
        };
        w.write(&Header {
            version: VERSION,
            repository: *repo,
            snapshot: Id::default(),
        })?;
        Ok(w)
    }

    fn write<T: Serialize>(&mut self, v: &T) -> Result<()> {
        ciborium::into_writer(v, &mut self.out).map_err(|e| {
            Error::new(
                crate::ErrorKind::Io,
                format!("catalogue {}: {e}", self.dest.display()),
            )
        })
    }

    /// Appends a file (in walk order).
    pub(super) fn add(&mut self, e: &Entry) -> Result<()> {
        self.write(e)
    }

    /// Publishes the catalogue for `snapshot`: the header (same size) is
    /// rewritten in place, then the file is fsynced and renamed.
    pub(super) fn commit(self, snapshot: &Id, repo: &Id) -> Result<()> {
        let dest = self.dest.clone();
        let err = |e: std::io::Error| Error::io(format!("catalogue {}", dest.display()), e);
        let mut file = self.out.into_inner().map_err(|e| err(e.into_error()))?;
        let header = crate::format::to_cbor(&Header {
            version: VERSION,
            repository: *repo,
            snapshot: *snapshot,
        });
        let f = file.file().map_err(err)?;
        f.seek(SeekFrom::Start(0)).map_err(err)?;
        f.write_all(&header).map_err(err)?;
        file.commit().map_err(err)
    }
}

/// The catalogue of one run: the previous one read by merge join, the next
/// one written as the walk goes. Either may be missing (first run, no state
/// directory, a write error): that costs time, never data.
pub(super) struct Session {
    reader: Option<Reader>,
    writer: Option<Writer>,
}

impl Session {
    /// Opens the catalogue of `paths` in `repo` under `state_dir`.
    pub(super) fn open(
        state_dir: Option<&Path>,
        repo: &Id,
        paths: &[Vec<u8>],
        obs: &dyn Observer,
    ) -> Session {
        let Some(dir) = state_dir else {
            return Session {
                reader: None,
                writer: None,
            };
        };
        let p = path_for(dir, repo, paths);
        let reader = Reader::open(&p, repo);
        let writer = match Writer::create(&p, repo) {
            Ok(w) => Some(w),
            Err(e) => {
                obs.warn(
                    WarningKind::Repository,
                    &p.display().to_string(),
                    &format!("no incremental catalogue: {e}"),
                );
                None
            }
        };
        Session { reader, writer }
    }

    /// The snapshot the previous catalogue describes: the new one's parent.
    pub(super) fn parent(&self) -> Option<Id> {
        self.reader.as_ref().and_then(Reader::snapshot)
    }

    /// Whether a previous catalogue is there (else every file is read).
    pub(super) fn has_previous(&self) -> bool {
        self.reader.is_some()
    }

    /// The previous entry of `path` if the file is unchanged since: same
    /// size, mtime, ctime, inode and device, and every chunk `known` to the
    /// repository (or queued by this run). Paths come in walk order.
    pub(super) fn unchanged(
        &mut self,
        path: &[u8],
        m: &Metadata,
        known: impl Fn(&Id) -> bool,
    ) -> Option<Entry> {
        let e = self.reader.as_mut()?.lookup(path)?;
        let same = e.size == m.len()
            && e.mtime == ts(m.mtime(), m.mtime_nsec())
            && e.ctime == ts(m.ctime(), m.ctime_nsec())
            && e.inode == m.ino()
            && e.device == m.dev()
            && e.content.iter().all(known);
        same.then_some(e)
    }

    /// Records a file for the next run; a write error drops the catalogue.
    pub(super) fn record(&mut self, entry: &Entry) {
        if self.writer.as_mut().is_some_and(|w| w.add(entry).is_err()) {
            self.writer = None;
        }
    }

    /// Publishes the new catalogue for `snapshot`.
    pub(super) fn commit(self, snapshot: &Id, repo: &Id) -> Result<()> {
        self.writer.map_or(Ok(()), |w| w.commit(snapshot, repo))
    }
}

/// A stat time as stored.
pub(super) fn ts(sec: i64, nsec: i64) -> Timestamp {
    Timestamp(sec, nsec.clamp(0, 999_999_999) as u32)
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
            xattrs: Some(vec![Xattr {
                name: ByteBuf::from(b"user.a".to_vec()),
                value: ByteBuf::from(p.as_bytes().to_vec()),
            }]),
        }
    }

    #[test]
    fn an_entry_written_before_xattrs_were_kept_has_them_listed_again() {
        #[derive(Serialize)]
        struct Before {
            path: ByteBuf,
            size: u64,
            mtime: Timestamp,
            ctime: Timestamp,
            inode: u64,
            device: u64,
            content: Vec<Id>,
        }
        let e = entry("/r/a");
        let old = crate::format::to_cbor(&Before {
            path: e.path.clone(),
            size: e.size,
            mtime: e.mtime,
            ctime: e.ctime,
            inode: e.inode,
            device: e.device,
            content: e.content.clone(),
        });
        let read: Entry = ciborium::from_reader(&old[..]).unwrap();
        assert_eq!(read.xattrs, None, "unknown, not none");
        assert_eq!(read.content, e.content);
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
