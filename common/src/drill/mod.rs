//! Drills: proof that a snapshot restores (`bananactl drill`, `bananadm
//! drill`; `docs/drills.md`).
//!
//! A drill takes one snapshot and restores part of it into a private
//! scratch directory (a [`RunDir`]: 0700, removed afterwards, on a signal,
//! and by the next run after a crash):
//!
//! - a snapshot of files (`fs`, `command`, `stdin`): a random [`Sample`] of
//!   its regular files, through the restore everyone uses (as an untrusted
//!   snapshot: no owners, no setuid bits, no devices), then every restored
//!   file read back and checked against the snapshot: its size, mtime and
//!   permissions, and every chunk's keyed id ([`files`]);
//! - a database or plugin snapshot: every stream decoded whole (each blob
//!   authenticated) and checked by its own tool ([`streams`]), and with
//!   `deep`, restored into a throwaway server ([`deep`]).
//!
//! It measures the restore and estimates how long a full restore of the
//! snapshot would take at that rate ([`DrillReport::estimate`]). Failures
//! name the snapshot and the file or stream; a drill never writes outside
//! its scratch directory, and reads nothing it does not verify.

pub mod deep;
mod files;
mod proc;
mod streams;

pub use crate::ops::sample::Sample;

use crate::crypto::keyfile::RestoreKey;
use crate::error::Result;
use crate::format::{NodeKind, RunStatus, Snapshot};
use crate::plugins::RunDir;
use crate::repo::{BlobReader, Index, Repository};
use crate::Id;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What a drill does.
#[derive(Debug, Clone, Default)]
pub struct DrillOptions {
    /// How many of a file snapshot's files.
    pub sample: Sample,
    /// Restore database streams into throwaway servers.
    pub deep: bool,
    /// Where the scratch directory is made.
    pub scratch: PathBuf,
    /// Where external plugins are looked for (their `verify STREAM`).
    pub plugin_path: Vec<PathBuf>,
    /// Restore workers (0: one per core).
    pub threads: usize,
}

/// A database or plugin stream, checked.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StreamCheck {
    /// Its name in the snapshot (printable).
    pub stream: String,
    /// Bytes decoded.
    pub bytes: u64,
    /// What checked it (`pg_restore`, `dump trailer`, `etcdctl`, a plugin's
    /// `verify`), `None` when only its bytes were.
    pub tool: Option<String>,
    /// What the tool said, or why no tool checked it.
    pub detail: String,
}

/// What a drill found.
#[derive(Debug, Clone, Default)]
pub struct DrillReport {
    /// The snapshot drilled.
    pub snapshot: Id,
    /// Its job.
    pub job: String,
    /// Its plugin.
    pub plugin: String,
    /// Its time.
    pub time: i64,
    /// The sample as given (files snapshots), or `all streams`.
    pub sample: String,
    /// Files restored and verified (streams included).
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Streams decoded and checked.
    pub streams: Vec<StreamCheck>,
    /// Throwaway servers' smoke queries (`deep`), one line each.
    pub servers: Vec<String>,
    /// Time spent restoring what was verified (directory listings aside).
    pub restore_time: Duration,
    /// Time spent reading every directory listing of the snapshot.
    pub walk_time: Duration,
    /// The snapshot's files and bytes (its own summary).
    pub snapshot_files: u64,
    /// See `snapshot_files`.
    pub snapshot_bytes: u64,
    /// What a full restore of the snapshot's files would do, in bytes of
    /// work (payloads decoded, bytes written, a cost per file).
    pub snapshot_work: u64,
    /// The same for the sample restored.
    pub sample_work: u64,
    /// Files a restore writes at once (one per worker).
    pub workers: u64,
    /// What failed, one line each, naming the snapshot and the file or stream.
    pub failures: Vec<String>,
    /// What was not checked and why (a tool that is not installed).
    pub notes: Vec<String>,
}

/// Each file costs as much to restore as this many bytes of work (its
/// creation, metadata and rename): a weight of [`DrillReport::estimate`].
pub const FILE_COST_BYTES: u64 = 32 * 1024;

impl DrillReport {
    /// An empty report of `snap`: what it is and what it records.
    fn of((id, snap): (&Id, &Snapshot), opts: &DrillOptions) -> DrillReport {
        DrillReport {
            snapshot: *id,
            job: snap.job_name().to_owned(),
            plugin: snap.run.plugin.clone().unwrap_or_else(|| "fs".into()),
            time: snap.time.0,
            snapshot_files: snap.summary.files,
            snapshot_bytes: snap.summary.total_bytes,
            workers: crate::worker_threads(opts.threads) as u64,
            ..Default::default()
        }
    }

    /// It found nothing wrong.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Bytes restored per second.
    pub fn rate(&self) -> Option<u64> {
        let s = self.restore_time.as_secs_f64();
        (s > 0.0 && self.bytes > 0).then(|| (self.bytes as f64 / s) as u64)
    }

    /// How long a full restore of the snapshot would take at the rate
    /// measured: the listings read whole, plus the sample's restore time
    /// scaled by the snapshot's work over the sample's (`docs/drills.md`).
    /// A snapshot of streams is decoded whole: its time is the estimate.
    pub fn estimate(&self) -> Option<Duration> {
        if self.sample_work == 0 {
            return (self.bytes > 0).then_some(self.walk_time + self.restore_time);
        }
        // One file is written by one worker: a sample of fewer files than
        // workers ran on fewer cores than a full restore will.
        let lanes = |files: u64| self.workers.clamp(1, files.max(1)) as f64;
        let full = self.snapshot_work as f64 / lanes(self.snapshot_files);
        let scale = (full / (self.sample_work as f64 / lanes(self.files))).max(1.0);
        let secs = self.walk_time.as_secs_f64() + self.restore_time.as_secs_f64() * scale;
        Duration::try_from_secs_f64(secs).ok()
    }

    /// One line for humans.
    pub fn summary(&self) -> String {
        let verdict = match self.passed() {
            true => "passed".to_owned(),
            false => format!("FAILED ({} problem(s))", self.failures.len()),
        };
        let rto = self
            .estimate()
            .map(|d| {
                format!(
                    ", full restore ~{}",
                    crate::humanize::age(d.as_secs() as i64)
                )
            })
            .unwrap_or_default();
        format!(
            "drill of job '{}' snapshot {}: {verdict}: {} file(s), {} verified{}{}",
            crate::humanize::printable(&self.job),
            self.snapshot.short(),
            self.files,
            crate::humanize::bytes(self.bytes),
            self.rate()
                .map(|r| format!(" at {}/s", crate::humanize::bytes(r)))
                .unwrap_or_default(),
            rto
        )
    }

    /// `e` (a new `drill` event) with this drill's job, snapshot, result,
    /// first failure and facts.
    pub fn event(&self, mut e: proto::status::Event, deep: bool) -> proto::status::Event {
        e.job = self.job.clone();
        e.plugin = self.plugin.clone();
        e.ended_at = Some(crate::unix_now());
        e.snapshot = Some(self.snapshot.to_hex());
        e.files = self.files;
        e.bytes_total = self.snapshot_bytes;
        e.result = Some(match self.passed() {
            true => proto::status::RunResult::Success,
            false => proto::status::RunResult::Failed,
        });
        e.drill = Some(self.facts(deep));
        match self.failures.first() {
            Some(f) => e.with_error(f),
            None => e,
        }
    }

    /// The report as JSON (`message_type: drill`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "message_type": "drill", "job": self.job, "plugin": self.plugin,
            "snapshot_id": self.snapshot.to_hex(), "snapshot_time": crate::humanize::rfc3339(self.time),
            "sample": self.sample, "passed": self.passed(), "files": self.files, "bytes": self.bytes,
            "streams": self.streams, "servers": self.servers,
            "restore_seconds": self.restore_time.as_secs_f64(), "walk_seconds": self.walk_time.as_secs_f64(),
            "rate_bytes_per_second": self.rate(),
            "rto_estimate_seconds": self.estimate().map(|d| d.as_secs_f64()),
            "snapshot_files": self.snapshot_files, "snapshot_bytes": self.snapshot_bytes,
            "snapshot_work": self.snapshot_work, "sample_work": self.sample_work,
            "failures": self.failures, "notes": self.notes,
        })
    }

    /// The event facts the tower keeps.
    pub fn facts(&self, deep: bool) -> proto::status::DrillFacts {
        proto::status::DrillFacts {
            mode: "drill".into(),
            sample: Some(self.sample.clone()),
            deep,
            files: self.files,
            bytes: self.bytes,
            packs: 0,
            streams: self.streams.len() as u64,
            elapsed_ms: self.restore_time.as_millis() as u64,
            rate_bps: self.rate(),
            rto_secs: self.estimate().map(|d| d.as_secs().max(1)),
            snapshot_bytes: self.snapshot_bytes,
        }
    }
}

/// The newest snapshot of each job (of `job` alone if given) that did not
/// fail, by job name.
pub fn latest_per_job(all: &[(Id, Snapshot)], job: Option<&str>) -> Vec<(Id, Snapshot)> {
    let mut newest: std::collections::BTreeMap<&str, &(Id, Snapshot)> = Default::default();
    for e in all {
        let s = &e.1;
        if s.run.status == RunStatus::Failed || job.is_some_and(|j| j != s.job_name()) {
            continue;
        }
        let slot = newest.entry(s.job_name()).or_insert(e);
        if s.time > slot.1.time {
            *slot = e;
        }
    }
    newest.into_values().cloned().collect()
}

/// Plugins whose snapshots hold files (sampled); the others hold streams
/// (decoded whole).
fn holds_files(plugin: &str) -> bool {
    matches!(plugin, "fs" | "command" | "stdin")
}

/// Drills `snapshot`. Damage that stops the drill (a listing nested
/// without end, a root that does not open) is a failed report, not an error.
pub fn drill(
    repo: &Repository,
    index: &Index,
    key: &RestoreKey,
    (id, snap): (&Id, &Snapshot),
    opts: &DrillOptions,
) -> Result<DrillReport> {
    match drill_one(repo, index, key, (id, snap), opts) {
        Err(e) if e.kind() == crate::ErrorKind::Damaged => Ok(DrillReport {
            sample: opts.sample.to_string(),
            failures: vec![format!("snapshot {}: {}", id.short(), e.message())],
            ..DrillReport::of((id, snap), opts)
        }),
        r => r,
    }
}

fn drill_one(
    repo: &Repository,
    index: &Index,
    key: &RestoreKey,
    (id, snap): (&Id, &Snapshot),
    opts: &DrillOptions,
) -> Result<DrillReport> {
    let scratch = RunDir::new(&opts.scratch)?;
    let mut report = DrillReport::of((id, snap), opts);
    let plugin = report.plugin.clone();
    let mut reader = BlobReader::new(repo, index, key)?;
    if holds_files(&plugin) {
        report.sample = opts.sample.to_string();
        let started = Instant::now();
        let picked = files::pick(&mut reader, index, (id, snap), opts.sample, &mut report)?;
        report.walk_time = started.elapsed();
        files::restore_sample(
            repo,
            index,
            key,
            (id, snap),
            &picked,
            scratch.path(),
            opts,
            &mut report,
        )?;
    } else {
        report.sample = "all streams".into();
        let tree = reader.tree(&snap.tree)?;
        let nodes: Vec<_> = tree
            .nodes
            .into_iter()
            .filter(|n| n.kind == NodeKind::File)
            .collect();
        if nodes.is_empty() {
            report.failures.push(format!(
                "snapshot {}: a '{plugin}' snapshot without a stream",
                id.short()
            ));
        }
        let decoded = streams::check(&mut reader, &nodes, scratch.path(), opts, &mut report)?;
        if opts.deep {
            deep::restore(&decoded, scratch.path(), &mut report);
        }
    }
    Ok(report)
}
