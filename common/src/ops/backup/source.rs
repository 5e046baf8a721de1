//! The seam between what a backup reads and how it is stored: a [`Source`]
//! walks something (a filesystem tree, a byte stream; later a database dump)
//! and writes its blobs and trees through a [`Run`]. The jobs issue owns the
//! plugin contract on top of it.

use super::catalogue;
use super::estimate::Totals;
use super::pipeline::Sink;
use super::walk::Names;
use crate::error::{Error, ErrorKind, Result};
use crate::format::chunker;
use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::format::{BlobKind, Summary};
use crate::id::Id;
use crate::progress::{Observer, Progress, WarningKind};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Something a backup reads.
pub trait Source: Send {
    /// The paths recorded in the snapshot (they also key the catalogue).
    fn paths(&self) -> Vec<Vec<u8>>;
    /// Starts counting what will be read, for progress totals.
    fn estimate(&self) -> Option<Totals> {
        None
    }
    /// Reads everything, storing it through `run`; returns the root tree.
    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id>;
}

/// Warnings, progress and the run's statistics.
pub(super) struct Ctx<'a> {
    pub obs: &'a dyn Observer,
    pub progress: &'a Progress,
    pub last_tick: Instant,
    pub estimate: Option<Totals>,
    pub summary: Summary,
    pub partial: bool,
    /// The first unreadable source's warning (`path: message`): why the run
    /// is partial, in one line.
    pub first_unreadable: Option<String>,
    pub failed: Option<String>,
    pub meta: std::collections::BTreeMap<String, String>,
    /// When the run must stop (the job's `timeout`), and the timeout.
    pub deadline: Option<(Instant, Duration)>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        obs: &'a dyn Observer,
        progress: &'a Progress,
        estimate: Option<Totals>,
    ) -> Ctx<'a> {
        Ctx {
            obs,
            progress,
            last_tick: Instant::now(),
            estimate,
            summary: Summary::default(),
            partial: false,
            first_unreadable: None,
            failed: None,
            meta: Default::default(),
            deadline: None,
        }
    }
}

/// What a [`Source`] writes through.
pub struct Run<'r, 'a, 'o> {
    pub(super) sink: &'r mut Sink<'a>,
    pub(super) catalogue: &'r mut catalogue::Session,
    pub(super) ctx: &'r mut Ctx<'o>,
    pub(super) names: Names,
}

impl Run<'_, '_, '_> {
    /// Stores a directory listing and returns its id.
    pub fn store_tree(&mut self, nodes: Vec<Node>) -> Result<Id> {
        self.check_deadline()?;
        self.sink.store_tree(nodes)
    }

    /// Fails the run once its timeout has passed (checked at every chunk
    /// and directory; a read blocked in the kernel is not interrupted).
    pub fn check_deadline(&self) -> Result<()> {
        match self.ctx.deadline {
            Some((at, limit)) if Instant::now() >= at => Err(Error::new(
                ErrorKind::Other,
                format!(
                    "the job timed out after {} (its timeout); nothing was committed",
                    crate::humanize::age(limit.as_secs() as i64)
                ),
            )
            .hint("raise the job's timeout, or exclude what makes it slow")),
            _ => Ok(()),
        }
    }

    /// The run's statistics so far.
    pub fn summary(&mut self) -> &mut Summary {
        &mut self.ctx.summary
    }

    /// Chunks `reader`, storing every chunk; the outer error stops the run
    /// (storage failed), the inner one is the reader's.
    pub fn chunks(
        &mut self,
        reader: impl Read,
        size_hint: u64,
    ) -> Result<std::io::Result<Vec<Id>>> {
        let params = self.sink.repo().config().chunker;
        let seed = self.sink.repo().keys().cdc_seed();
        let mut content = Vec::new();
        for chunk in chunker::chunks(reader, size_hint, params, seed) {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            self.ctx.summary.bytes_read += chunk.len() as u64;
            Progress::add(&self.ctx.progress.bytes, chunk.len() as u64);
            self.check_deadline()?;
            let id = self.sink.repo().keys().chunk_id(&chunk);
            self.sink.store(id, BlobKind::Data, chunk)?;
            content.push(id);
            self.tick();
        }
        Ok(Ok(content))
    }

    /// Reports progress every 200 ms, with the estimate's totals.
    pub fn tick(&mut self) {
        let c = &mut *self.ctx;
        if c.last_tick.elapsed() < Duration::from_millis(200) {
            return;
        }
        c.last_tick = Instant::now();
        for (files, bytes, done) in c.estimate.iter().flat_map(|rx| rx.try_iter()) {
            c.progress.total_files.store(files, Ordering::Relaxed);
            c.progress.total_bytes.store(bytes, Ordering::Relaxed);
            c.progress
                .total_known
                .store(u64::from(done), Ordering::Relaxed);
        }
        c.obs.progress(c.progress);
    }

    /// A warning about `path`; an unreadable source makes the run partial.
    pub fn warn(&mut self, kind: WarningKind, path: &Path, msg: String) {
        self.ctx.summary.warnings += 1;
        if kind == WarningKind::Unreadable {
            self.ctx.partial = true;
            if self.ctx.first_unreadable.is_none() {
                self.ctx.first_unreadable = Some(format!("{}: {msg}", path.display()));
            }
        }
        self.ctx.obs.warn(kind, &path.display().to_string(), &msg);
    }

    /// The source failed after storing what it read (a command that exited
    /// non-zero, was killed or timed out): the snapshot is saved with
    /// status `failed`, and the run reports `msg`.
    pub fn fail(&mut self, msg: String) {
        self.ctx.failed = Some(msg);
    }

    /// The names that can be passed safely ([`crate::names::unsafe_name`],
    /// and `more`, a plugin's own rule); each other one is left out with a
    /// warning naming it, which makes the run `partial`, and recorded in
    /// the snapshot's `skipped`.
    pub fn usable(
        &mut self,
        what: &str,
        names: Vec<String>,
        more: &dyn Fn(&str) -> Option<&'static str>,
    ) -> Vec<String> {
        let mut kept = Vec::new();
        let mut skipped = Vec::new();
        for name in names {
            match crate::names::unsafe_name(&name).or_else(|| more(&name)) {
                None => kept.push(name),
                Some(why) => {
                    let shown = crate::humanize::printable(&name);
                    self.warn(
                        WarningKind::Unreadable,
                        Path::new(&shown),
                        format!("{what} '{shown}' not backed up: its name cannot be passed safely ({why})"),
                    );
                    skipped.push(shown);
                }
            }
        }
        if !skipped.is_empty() {
            self.meta("skipped", skipped.join(" "));
        }
        kept
    }

    /// Records `key = value` in the snapshot's run metadata.
    pub fn meta(&mut self, key: &str, value: String) {
        self.ctx.meta.insert(key.to_owned(), value);
    }

    /// A file node owned by the running user, timestamped now.
    pub fn own_file(&mut self, name: &[u8], mode: u32) -> Node {
        let (sec, nsec) = crate::now();
        let uid = nix::unistd::geteuid().as_raw();
        let gid = nix::unistd::getegid().as_raw();
        let mut node = Node::new(name, NodeKind::File);
        node.mode = mode;
        node.uid = uid;
        node.gid = gid;
        node.user = self.names.user(uid);
        node.group = self.names.group(gid);
        node.mtime = Timestamp(sec, nsec);
        node.atime = node.mtime;
        node.ctime = node.mtime;
        node
    }
}

/// A byte stream stored as one file (`backup --stdin`).
pub struct StreamSource {
    reader: Box<dyn Read + Send>,
    name: String,
    required: u64,
}

impl StreamSource {
    /// A stream stored under the file name `name`.
    pub fn new(reader: Box<dyn Read + Send>, name: &str) -> Result<StreamSource> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("--stdin-name '{name}' is not a file name"),
            ));
        }
        Ok(StreamSource {
            reader,
            name: name.to_owned(),
            required: 0,
        })
    }

    /// A stream shorter than `bytes` makes the run partial (`--stdin-required-bytes`):
    /// an empty dump from a broken producer is not a good backup.
    pub fn required(mut self, bytes: u64) -> StreamSource {
        self.required = bytes;
        self
    }
}

impl Source for StreamSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        vec![format!("stdin:{}", self.name).into_bytes()]
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        let content = run
            .chunks(self.reader, u64::MAX)?
            .map_err(|e| Error::io("standard input", e))?;
        let size = run.summary().bytes_read;
        if size < self.required {
            run.warn(
                WarningKind::Unreadable,
                Path::new("stdin"),
                format!(
                    "standard input gave {size} bytes, fewer than --stdin-required-bytes {}: is what feeds it broken?",
                    self.required
                ),
            );
        } else if size == 0 {
            run.warn(
                WarningKind::Empty,
                Path::new("stdin"),
                "standard input was empty: the snapshot holds an empty file".into(),
            );
        }
        let mut node = run.own_file(self.name.as_bytes(), 0o600);
        node.size = size;
        node.content = content;
        run.summary().files = 1;
        run.summary().total_bytes = size;
        run.store_tree(vec![node])
    }
}
