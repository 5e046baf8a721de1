//! A drill of a snapshot of files: a random sample picked while every
//! directory listing is read (so a damaged or hostile listing anywhere is
//! found), restored through [`crate::ops::restore`] as an untrusted
//! snapshot, then every restored file read back and compared with the
//! snapshot's record.

use super::{DrillOptions, DrillReport, Sample};
use crate::crypto::keyfile::RestoreKey;
use crate::crypto::Keys;
use crate::error::{ErrorKind, Result};
use crate::format::{Node, NodeKind, Snapshot};
use crate::ops::restore::{name_ok, restore, same_chunks, Overwrite, RestoreOptions};
use crate::progress::{Observer, Progress, WarningKind};
use crate::repo::walk::Limits;
use crate::repo::{BlobReader, Index, Repository};
use crate::Id;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// What restoring some files costs, in bytes of work: the plaintext of the
/// payloads decoded (a group of small blobs decoded once for the files that
/// share it, as a restore does), the bytes written, and
/// [`super::FILE_COST_BYTES`] per file.
#[derive(Default)]
pub(super) struct Work {
    files: u64,
    bytes: u64,
    decoded: u64,
    /// The payloads decoded last: files of one group come one after another.
    recent: std::collections::VecDeque<(u32, u32)>,
}

impl Work {
    fn add(&mut self, node: &Node, index: &Index) {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(node.size);
        for id in &node.content {
            let Some((_, loc)) = index.get(id) else {
                continue;
            };
            let key = (loc.pack, loc.offset);
            if self.recent.contains(&key) {
                continue;
            }
            if self.recent.len() == 64 {
                self.recent.pop_front();
            }
            self.recent.push_back(key);
            self.decoded = self
                .decoded
                .saturating_add(u64::from(loc.group_length.max(loc.raw_length)));
        }
    }

    /// The total.
    pub(super) fn bytes(&self) -> u64 {
        self.bytes
            .saturating_add(self.decoded)
            .saturating_add(self.files.saturating_mul(super::FILE_COST_BYTES))
    }
}

/// Walks every listing of the snapshot and picks the sample of its regular
/// files; an unreadable listing or a hostile name is a failure. Also the
/// work a full restore of the snapshot's files would be.
pub(super) fn pick(
    reader: &mut BlobReader<'_>,
    index: &Index,
    (id, snap): (&Id, &Snapshot),
    sample: Sample,
    report: &mut DrillReport,
) -> Result<Vec<(PathBuf, Node)>> {
    let mut picker = crate::ops::sample::Picker::new(sample);
    let mut work = Work::default();
    let mut limits = Limits::for_snapshot(id, snap);
    let mut failures = Vec::new();
    let root = snap.tree;
    let walked = crate::repo::walk::deep(|| {
        walk(
            reader,
            &root,
            Path::new("/"),
            &mut limits,
            (&mut picker, &mut work, index),
            &mut failures,
        )
    });
    walked??;
    report.snapshot_work = work.bytes();
    let short = id.short();
    report.failures.extend(
        failures
            .into_iter()
            .map(|f| format!("snapshot {short}: {f}")),
    );
    Ok(picker.finish())
}

fn walk(
    reader: &mut BlobReader<'_>,
    tree: &Id,
    at: &Path,
    limits: &mut Limits,
    (picker, work, index): (&mut crate::ops::sample::Picker, &mut Work, &Index),
    failures: &mut Vec<String>,
) -> Result<()> {
    limits.enter(tree)?;
    let listing = match reader.tree(tree) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::Damaged => {
            failures.push(format!(
                "directory {}: listing cannot be read: {}",
                shown(at),
                e.message()
            ));
            limits.leave();
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    for node in listing.nodes {
        limits.visit()?;
        if !name_ok(&node.name) {
            failures.push(format!(
                "directory {}: refusing entry with unsafe name {:?}",
                shown(at),
                String::from_utf8_lossy(&node.name)
            ));
            continue;
        }
        let path = at.join(OsStr::from_bytes(&node.name));
        match (node.kind, &node.subtree) {
            (NodeKind::File, _) => {
                work.add(&node, index);
                picker.offer(path, &node);
            }
            (NodeKind::Dir, Some(sub)) => walk(
                reader,
                sub,
                &path,
                limits,
                (&mut *picker, &mut *work, index),
                failures,
            )?,
            _ => {}
        }
    }
    limits.leave();
    Ok(())
}

fn shown(p: &Path) -> String {
    crate::humanize::printable(&p.to_string_lossy())
}

/// What the restore warned about, by path.
#[derive(Default)]
struct Collect(Mutex<Vec<(String, String)>>);

impl Observer for Collect {
    fn warn(&self, kind: WarningKind, path: &str, message: &str) {
        if kind == WarningKind::Restore {
            let mut w = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if w.len() < 10_000 {
                w.push((path.to_owned(), message.to_owned()));
            }
        }
    }
}

/// Restores the sample into `scratch/files` and checks each file.
#[allow(clippy::too_many_arguments)]
pub(super) fn restore_sample(
    repo: &Repository,
    index: &Index,
    key: &RestoreKey,
    (id, snap): (&Id, &Snapshot),
    picked: &[(PathBuf, Node)],
    scratch: &Path,
    opts: &DrillOptions,
    report: &mut DrillReport,
) -> Result<()> {
    if picked.is_empty() {
        match snap.summary.files {
            0 => report
                .notes
                .push(format!("snapshot {}: holds no regular file", id.short())),
            n => report.failures.push(format!(
                "snapshot {}: records {n} files, and its listings hold none",
                id.short()
            )),
        }
        return Ok(());
    }
    let mut work = Work::default();
    for (_, node) in picked {
        work.add(node, index);
    }
    report.sample_work = work.bytes();
    let target = scratch.join("files");
    let ropts = RestoreOptions {
        target: target.clone(),
        includes: picked.iter().map(|(p, _)| p.clone()).collect(),
        threads: opts.threads,
        untrusted: true,
        overwrite: Overwrite::Always,
        delete: false,
    };
    let warned = Collect::default();
    let started = Instant::now();
    let out = restore(
        repo,
        index,
        key,
        (id, snap),
        &ropts,
        &warned,
        &Progress::default(),
    )?;
    // The writers' own time: a small sample's restore is mostly starting
    // up, which a full restore pays once.
    let wall = started.elapsed().saturating_sub(out.tree_time);
    report.restore_time = match out.busy.is_zero() {
        true => wall,
        false => out.busy.min(wall),
    };
    let warned = warned.0.into_inner().unwrap_or_else(|e| e.into_inner());
    check_restored(&target, picked, (index, repo.keys()), &warned, report);
    Ok(())
}

/// Most failures a drill lists; the rest are counted.
const MAX_FAILURES: usize = 1000;

/// Checks each restored file of the sample; a failure names the file and
/// what the restore said about it (or about a directory above it).
fn check_restored(
    target: &Path,
    picked: &[(PathBuf, Node)],
    (index, keys): (&Index, &Keys),
    warned: &[(String, String)],
    report: &mut DrillReport,
) {
    let mut unlisted = 0u64;
    for (path, node) in picked {
        let why = match verify_file(target, path, node, index, keys) {
            Ok(()) => {
                report.files += 1;
                report.bytes = report.bytes.saturating_add(node.size);
                continue;
            }
            Err(why) => why,
        };
        if report.failures.len() >= MAX_FAILURES {
            unlisted += 1;
            continue;
        }
        let said = warned
            .iter()
            .filter(|(w, _)| path.starts_with(w.as_str()))
            .map(|(_, m)| m.as_str())
            .next_back()
            .map(|m| format!(" ({})", crate::humanize::printable(m)))
            .unwrap_or_default();
        report.failures.push(format!(
            "snapshot {}: file {}: {why}{said}",
            report.snapshot.short(),
            shown(path)
        ));
    }
    if unlisted > 0 {
        report
            .failures
            .push(format!("... and {unlisted} more damaged files"));
    }
}

/// Checks the restored copy of `path` against its record: a regular file
/// of the recorded size, mtime and permissions whose chunks have the
/// recorded keyed ids.
fn verify_file(
    target: &Path,
    path: &Path,
    node: &Node,
    index: &Index,
    keys: &Keys,
) -> std::result::Result<(), String> {
    let full = target.join(path.strip_prefix("/").unwrap_or(path));
    let md = std::fs::symlink_metadata(&full).map_err(|_| "not restored".to_owned())?;
    if !md.file_type().is_file() {
        return Err("restored as something other than a regular file".into());
    }
    if md.len() != node.size {
        return Err(format!(
            "restored with {} bytes, the snapshot records {}",
            md.len(),
            node.size
        ));
    }
    if (md.mtime(), md.mtime_nsec()) != (node.mtime.0, i64::from(node.mtime.1.min(999_999_999))) {
        return Err("restored with another modification time than recorded".into());
    }
    if md.mode() & 0o777 != node.mode & 0o777 {
        return Err(format!(
            "restored with permissions {:o}, the snapshot records {:o}",
            md.mode() & 0o777,
            node.mode & 0o777
        ));
    }
    // Ours, in a private directory: made readable to be read back.
    std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot read it back: {e}"))?;
    let mut file = std::fs::File::open(&full).map_err(|e| format!("cannot read it back: {e}"))?;
    same_chunks(&mut file, node, index, keys)
}
