//! `bananactl copy --to URL`: the repository's second copy, on a single
//! machine with a key file (a fleet's copies are the copier's, `bananadm
//! copy`). Objects move as stored, each checked against its name; nothing
//! at the destination is overwritten or deleted. `docs/copy.md`.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::ops::copy::{copy, state_file, CopyOptions, Outcome};
use common::status::EventKind;

/// Copy the repository's objects to a second location.
#[derive(Debug, Args)]
pub struct CopyCmd {
    /// The destination: a directory, s3://… or swift://… (a new or empty
    /// location, or an earlier copy of this repository).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The destination's storage credential (TOML, mode 0600, as for
    /// 'bananadm node add'); else the environment's. Not needed for a
    /// directory.
    #[arg(long, value_name = "FILE")]
    pub to_credentials: Option<std::path::PathBuf>,
    /// Copy only this job's snapshots (packs and index files are shared
    /// between jobs and copied whole).
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub job: Option<String>,
    /// List both ends and say what would be copied; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Objects copied at the same time (default: the config's
    /// upload_connections, else 4).
    #[arg(long, value_name = "N")]
    pub connections: Option<usize>,
    /// Limit writes to the destination to this many KiB/s (default: the
    /// config's limit_upload).
    #[arg(long, value_name = "KIB")]
    pub limit_upload: Option<u64>,
    /// Stop reporting the snapshots the source has lost (after you have
    /// looked at them): they are recorded as accepted.
    #[arg(long)]
    pub accept_lost: bool,
}

impl CopyCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        if let Some(j) = self
            .job
            .as_deref()
            .filter(|j| !common::names::valid_job_name(j))
        {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!(
                    "copy: '{}' is not a job name",
                    common::humanize::printable(j)
                ),
            )
            .hint("'bananactl jobs' lists the configured jobs")
            .into());
        }
        // What is copied is read from storage, never from the node's cache.
        s.storage_first
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let opened = super::open(s)?;
        let credentials = self
            .to_credentials
            .as_deref()
            .map(common::backend::StorageCredentials::from_file)
            .transpose()?;
        let dst = common::backend::open_with(
            &self.to,
            &common::backend::OpenOptions {
                credentials,
                insecure_storage: s.insecure_storage,
                ..Default::default()
            },
        )?;
        let source = opened.repo.backend().location();
        if dst.location() == source {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("copy: {source} is the repository itself"),
            )
            .hint("--to names another location: a new or empty one, or an earlier copy")
            .into());
        }
        let opts = CopyOptions {
            dry_run: self.dry_run,
            connections: self.connections.or(s.file.upload_connections).unwrap_or(4),
            limit: self.limit_upload.or(s.file.limit_upload).map(|k| k * 1024),
            state: Some(state_file(
                &s.state_dir.join("copies"),
                &source,
                &dst.location(),
            )),
            accept_lost: self.accept_lost,
            job: self.job.clone(),
        };
        let started = common::unix_now();
        let result = copy(&opened.repo, dst.as_ref(), &opts);
        if !self.dry_run {
            report(
                s,
                out,
                opened.collector.clone(),
                started,
                (&dst.location(), &result),
            );
        }
        let r = result?;
        for d in &r.damaged {
            out.warn("damaged", "copy", d);
        }
        let mut v = r.to_json();
        v["command"] = "copy".into();
        out.summary(v, &r.line());
        Ok(match r.outcome() {
            Outcome::Complete => Status::Ok,
            Outcome::SourceLost => Status::Partial,
            Outcome::Damaged => Status::Damaged,
        })
    }
}

/// Tells the tower (when the node reports to one) what the copy did.
fn report(
    s: &Settings,
    out: &Output,
    collector: Option<String>,
    started: i64,
    (destination, r): (&str, &common::Result<common::ops::copy::CopyReport>),
) {
    let Ok(node) = crate::report::node_name(s) else {
        return;
    };
    let Some(tower) = crate::report::Reporter::for_events(s, out, collector, &node) else {
        return;
    };
    let mut e = tower.event(EventKind::Copy);
    e.started_at = started;
    tower.send(match r {
        Ok(r) => r.event(e),
        Err(err) => common::ops::copy::failed_event(e, destination, &err.to_string()),
    });
}
