//! `bananactl backup`: files and directories, or a stream from stdin.

use crate::exit::Status;
pub use crate::jobs::{read_exclude_file, JobSecrets, Ran};
use crate::output::{bytes, Output};
use crate::settings::Settings;
use clap::Args;
use common::format::Codec;
use common::humanize::count;
use common::ops::backup::{backup, BackupOptions, FsSource, Source, StreamSource};
use common::progress::Progress;
use common::{Error, ErrorKind};
use serde_json::json;
use std::path::PathBuf;

/// Back up paths or stdin.
#[derive(Debug, Args)]
pub struct BackupCmd {
    /// Files and directories to back up (none with --job NAME alone: run
    /// the configured job NAME).
    #[arg(value_name = "PATH", required_unless_present_any = ["stdin", "job"])]
    pub paths: Vec<PathBuf>,
    /// Skip matching entries: a glob with '/' matches the absolute path, one
    /// without matches the name (e.g. '*.tmp', '/var/cache/**'); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Read exclude globs from a file, one per line ('#' comments); repeatable.
    #[arg(long, value_name = "FILE")]
    pub exclude_file: Vec<PathBuf>,
    /// Do not cross filesystem boundaries below each path.
    #[arg(short = 'x', long)]
    pub one_file_system: bool,
    /// Tag the snapshot; repeatable.
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Back up standard input as one file (see --stdin-name).
    #[arg(long, conflicts_with = "paths")]
    pub stdin: bool,
    /// File name for --stdin in the snapshot.
    #[arg(long, value_name = "NAME", default_value = "stdin", requires = "stdin")]
    pub stdin_name: String,
    /// With --stdin: fewer bytes than this make the run partial (exit 3,
    /// snapshot kept): an empty dump from a broken pipe is not a backup; 0
    /// accepts an empty stream (with a warning).
    #[arg(long, value_name = "BYTES", default_value_t = 1, requires = "stdin")]
    pub stdin_required_bytes: u64,
    /// Host name to record [default: the system's].
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// A configured job to run (alone), or the job name of an ad-hoc run
    /// of PATHs or --stdin [default: the config's 'job', or 'backup'].
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub job: Option<String>,
    /// Expected interval between runs of this job (e.g. 1d), so the tower can
    /// tell when it is overdue.
    #[arg(long, value_name = "DURATION", value_parser = common::humanize::parse_duration)]
    pub every: Option<u64>,
    /// Upload at most this many KiB per second (averaged over packs); also
    /// `limit_upload` in the config file.
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit_upload: Option<u64>,
    /// The codec for this run's new chunks: zstd[:1-19], xz[:0-9] or none
    /// [default: the repository's]. zstd in a format-1 repository warns:
    /// older bananactl cannot read those chunks.
    #[arg(long, value_name = "CODEC", value_parser = super::init::parse_codec)]
    pub compression: Option<common::format::Codec>,
}

pub use crate::report::hostname;

/// Builds a run's source from the node's job credentials.
pub type MakeSource<'a> =
    Box<dyn FnOnce(Option<&JobSecrets>) -> anyhow::Result<Box<dyn Source>> + 'a>;

/// One backup run of a job: what `backup` and `run` share.
pub struct Plan<'a> {
    /// The job's name.
    pub job: String,
    /// The plugin's name.
    pub plugin: &'a str,
    /// Builds the source from the node's job credentials in Vault (`None`:
    /// not a Vault node); errors here are reported as a failed run.
    pub source: MakeSource<'a>,
    /// Snapshot tags.
    pub tags: Vec<String>,
    /// `--host`.
    pub host: Option<String>,
    /// What the tower should expect of the job.
    pub expect: crate::report::Expect,
    /// `--compression`.
    pub compression: Option<Codec>,
    /// `--limit-upload`, KiB/s.
    pub limit_upload: Option<u64>,
    /// The run fails once it has taken this long.
    pub timeout: Option<std::time::Duration>,
}

impl BackupCmd {
    /// The expected interval of this job: the flag, else the config file's.
    fn every(&self, s: &Settings) -> anyhow::Result<Option<u64>> {
        Ok(match (self.every, &s.file.every) {
            (Some(e), _) => Some(e),
            (None, Some(e)) => Some(common::humanize::parse_duration(e).map_err(|m| {
                common::Error::new(
                    common::ErrorKind::BadInput,
                    format!("config file: every: {m}"),
                )
            })?),
            (None, None) => None,
        })
    }

    /// Runs it: a configured job (`--job NAME` alone), or paths or stdin.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        if self.paths.is_empty() && !self.stdin {
            let name = self.job.as_deref().unwrap_or_default();
            if !self.tag.is_empty()
                || !self.exclude.is_empty()
                || !self.exclude_file.is_empty()
                || self.one_file_system
                || self.every.is_some()
            {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!(
                        "backup --job {}: a configured job takes its tags, excludes and schedule from its [[job]] table",
                        common::humanize::printable(name)
                    ),
                )
                .hint("change the job's [[job]] table; for an ad-hoc run give PATHs and another --job name")
                .into());
            }
            return super::run::run_one(s, out, name, self);
        }
        let mut excludes = s.file.exclude.clone();
        excludes.extend(self.exclude.iter().cloned());
        for f in &self.exclude_file {
            excludes.extend(read_exclude_file(f)?);
        }
        let job = self
            .job
            .clone()
            .or_else(|| s.file.job.name.clone())
            .unwrap_or_else(|| "backup".into());
        if s.jobs().iter().any(|j| j.name == job) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "backup --job {}: a configured job takes its paths from its [[job]] table in {}",
                    common::humanize::printable(&job),
                    s.config_name()
                ),
            )
            .hint("run it with --job alone, or give another --job name for an ad-hoc run")
            .into());
        }
        let _lock = crate::jobs::state::lock_adhoc(&s.state_dir, &s.repo, &job)?;
        let plan = Plan {
            job,
            plugin: if self.stdin { "stdin" } else { "fs" },
            source: Box::new(move |_| -> anyhow::Result<Box<dyn Source>> {
                Ok(if self.stdin {
                    Box::new(
                        StreamSource::new(Box::new(std::io::stdin()), &self.stdin_name)?
                            .required(self.stdin_required_bytes),
                    )
                } else {
                    Box::new(FsSource::new(&self.paths, &excludes, self.one_file_system)?)
                })
            }),
            tags: self.tag.clone(),
            host: self.host.clone(),
            expect: crate::report::Expect {
                every: self.every(s)?,
                ..Default::default()
            },
            compression: self.compression,
            limit_upload: self.limit_upload,
            timeout: None,
        };
        execute(s, out, plan).map(|r| r.status)
    }
}

/// The run's status reporter (after its `started` event), if a tower is set.
fn reporter(
    s: &Settings,
    out: &Output,
    opened: &super::Opened,
    plan: &Plan<'_>,
) -> anyhow::Result<Option<crate::report::Reporter>> {
    let node = crate::report::node_name_or(s, plan.host.as_ref())?;
    let collector = opened.collector.clone();
    let reporter = crate::report::Reporter::start(
        s,
        out,
        collector,
        &node,
        &plan.job,
        plan.plugin,
        plan.expect.clone(),
    );
    if let Some(r) = &reporter {
        r.started();
    }
    Ok(reporter)
}

/// Runs one backup under the caller's job lock: opens the repository,
/// reports to the tower, reads the source, commits. A source that failed
/// after reading (a command exiting non-zero) saves its snapshot marked
/// `failed` and returns an error.
pub fn execute(s: &Settings, out: &Output, plan: Plan<'_>) -> anyhow::Result<Ran> {
    super::ensure_embedded(s, out)?;
    let opened = super::open_with(s, super::Create::FirstUse(out))?;
    let repo = &opened.repo;
    if let (Some(c @ common::format::Codec::Zstd(_)), 1) = (plan.compression, repo.config().version)
    {
        out.warn(
            "codec",
            &repo.backend().location(),
            &format!("{c} in a format-1 repository: bananactl releases before zstd cannot read this run's new chunks (they report them as damage)"),
        );
    }
    let mut reporter = reporter(s, out, &opened, &plan)?;
    let obs = out.observer("backup");
    let progress = Progress::default();
    let repo_hex = repo.config().id.to_hex();
    let mut committed = |done: &common::ops::backup::BackupOutcome| {
        if let Some(r) = &reporter {
            r.committed(&repo_hex, done, repo.backend().requests());
        }
    };
    let opts = |source| BackupOptions {
        tags: plan.tags.clone(),
        state_dir: Some(s.state_dir.clone()),
        hostname: hostname(s, plan.host.as_ref()),
        estimate: out.shows_progress(),
        uploads: s.file.upload_connections.unwrap_or(0),
        limit_upload: plan
            .limit_upload
            .or(s.file.limit_upload)
            .map(|k| k.saturating_mul(1024)),
        codec: plan.compression,
        job: Some(plan.job.clone()),
        plugin: Some(plan.plugin.to_owned()),
        timeout: plan.timeout,
        ..BackupOptions::new(source)
    };
    let secrets = opened.session.as_ref().map(|_| &opened.job_secrets);
    let result = (plan.source)(secrets).and_then(|source| {
        backup(repo, opts(source), &obs, &progress, &mut committed).map_err(anyhow::Error::from)
    });
    obs.finish();
    if let Some(r) = &mut reporter {
        r.finished(result.as_ref().err());
    }
    let done = result?;
    print_summary(out, &plan.job, &done, repo.backend().requests());
    if let Some(why) = &done.failed {
        return Err(Error::new(
            ErrorKind::Other,
            format!(
                "job '{}' failed: {why} (what it read is kept in snapshot {}, marked failed)",
                common::humanize::printable(&plan.job),
                done.id.short()
            ),
        )
        .into());
    }
    Ok(Ran {
        status: if done.partial || done.link.rollback.is_some() {
            Status::Partial
        } else {
            Status::Ok
        },
        snapshot: done.id,
        why: done
            .link
            .rollback
            .clone()
            .or_else(|| done.partial_because.clone()),
    })
}

/// The run's summary: one line, or the JSON summary.
fn print_summary(
    out: &Output,
    job: &str,
    done: &common::ops::backup::BackupOutcome,
    requests: u64,
) {
    let m = &done.snapshot.summary;
    let reason = if done.failed.is_some() {
        Some("failed")
    } else if done.link.rollback.is_some() {
        Some("rollback")
    } else if done.partial {
        Some("unreadable")
    } else {
        None
    };
    out.summary(
        json!({
            "command": "backup", "snapshot_id": done.id.to_hex(), "partial": done.partial,
            "files": m.files, "dirs": m.dirs, "others": m.others, "total_bytes": m.total_bytes,
            "bytes_read": m.bytes_read, "bytes_added": m.bytes_added, "bytes_stored": m.bytes_stored,
            "chunks_added": m.chunks_added, "trees_added": m.trees_added, "files_unchanged": m.files_unchanged,
            "warnings": m.warnings, "duration_ms": m.duration_ms, "seq": done.link.seq,
            "prev": done.link.prev.map(|p| p.to_hex()), "reason": reason,
            "storage_requests": requests, "codec": done.codec.to_string(), "job": job,
            "status": done.snapshot.run.status.as_str(),
        }),
        &format!(
            "snapshot {} saved{}: {}, {} in total, {} read, {} new, {} stored ({}) in {:.1}s{}",
            done.id.short(),
            match reason {
                Some("rollback") => " BUT STORAGE LOST AN EARLIER SNAPSHOT (rollback, see above)",
                Some("failed") => " MARKED FAILED",
                Some(_) => " WITHOUT SOME UNREADABLE SOURCES",
                None => "",
            },
            count(m.files, "file", "files"),
            bytes(m.total_bytes),
            bytes(m.bytes_read),
            bytes(m.bytes_added),
            bytes(m.bytes_stored),
            done.codec,
            m.duration_ms as f64 / 1000.0,
            if m.warnings > 0 { format!(", {}", count(m.warnings, "warning", "warnings")) } else { String::new() },
        ),
    );
}
