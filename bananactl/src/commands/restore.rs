//! `bananactl restore`: a snapshot (or parts of it) into a directory.

use crate::exit::Status;
use crate::output::{bytes, Output};
use crate::settings::Settings;
use clap::Args;
use common::ops::restore::{restore, Overwrite, RestoreOptions};
use common::progress::Progress;
use serde_json::json;
use std::path::PathBuf;

/// Restore a snapshot.
#[derive(Debug, Args)]
pub struct RestoreCmd {
    /// Snapshot: full id, unique prefix, or 'latest'.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::snapshots))]
    pub snapshot: String,
    /// Directory to restore into (created if missing); nothing is written outside it.
    #[arg(long, value_name = "DIR", required_unless_present = "to_server")]
    pub target: Option<PathBuf>,
    /// Restore a database job's snapshot into the job's configured server,
    /// or through an external plugin's 'restore' (needs --job NAME),
    /// instead of a directory.
    #[arg(long, requires = "job", conflicts_with_all = ["target", "include", "untrusted"])]
    pub to_server: bool,
    /// With --to-server: restore under this database name (a snapshot of
    /// one database).
    #[arg(long, value_name = "NAME", requires = "to_server")]
    pub database: Option<String>,
    /// With --to-server: the client defaults file to restore with (one
    /// whose user may create and write) [default: the job's].
    #[arg(long, value_name = "PATH", requires = "to_server")]
    pub defaults_file: Option<PathBuf>,
    /// With --to-server: also restore the account streams (the 'mysql'
    /// database: users and grants; PostgreSQL's globals.sql: roles), which
    /// are skipped otherwise: a forged snapshot would bring back accounts.
    #[arg(long, requires = "to_server")]
    pub accounts: bool,
    /// An etcd job's snapshot: the member name the new data directory
    /// (--target) is made for.
    #[arg(long, value_name = "NAME", default_value = "default", requires = "job")]
    pub etcd_name: String,
    /// An etcd job's snapshot: that member's peer URL.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://localhost:2380",
        requires = "job"
    )]
    pub etcd_peer_url: String,
    /// Restore only this snapshot path and what is below it; repeatable.
    #[arg(long, value_name = "PATH")]
    pub include: Vec<PathBuf>,
    /// Contents and names only, for a snapshot that may come from a
    /// compromised node (forensics): everything owned by you, no
    /// setuid/setgid/sticky bits, no security.*/trusted.* extended
    /// attributes, no device nodes or FIFOs, the target made 0700.
    #[arg(long)]
    pub untrusted: bool,
    /// What to do with an entry that already exists in the target
    /// [default: if-changed].
    #[arg(long, value_enum, value_name = "WHEN", conflicts_with = "to_server")]
    pub overwrite: Option<OverwriteArg>,
    /// Remove from the target what the snapshot does not have, in the
    /// directories restored below the snapshot's paths (and --include) only;
    /// a symlink is removed, never followed, and another filesystem mounted
    /// there is left alone.
    #[arg(long, conflicts_with = "to_server")]
    pub delete: bool,
    /// Which snapshots 'latest' chooses among.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

/// `--overwrite`: what to do with an entry that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OverwriteArg {
    /// Replace it.
    Always,
    /// Keep it when its size, mtime and content already match the snapshot
    /// (symlinks: target; so an interrupted restore resumes), else replace it.
    IfChanged,
    /// Replace it only when the snapshot's mtime is newer than its own.
    IfNewer,
    /// Leave it as it is.
    Never,
}

impl From<OverwriteArg> for Overwrite {
    fn from(a: OverwriteArg) -> Overwrite {
        match a {
            OverwriteArg::Always => Overwrite::Always,
            OverwriteArg::IfChanged => Overwrite::IfChanged,
            OverwriteArg::IfNewer => Overwrite::IfNewer,
            OverwriteArg::Never => Overwrite::Never,
        }
    }
}

impl RestoreCmd {
    /// The configured etcd job `--job` names, if it is one.
    fn etcd_job(&self, s: &Settings) -> Option<crate::jobs::Job> {
        let name = self.filter.job.as_deref()?;
        s.jobs()
            .into_iter()
            .find(|j| j.name == name && j.plugin.restores_to_data_dir())
    }

    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let Some(target) = &self.target else {
            return super::to_server::run(s, out, self);
        };
        if let Some(job) = self.etcd_job(s) {
            if self.overwrite.is_some() || self.delete {
                return Err(common::Error::new(
                    common::ErrorKind::BadInput,
                    format!(
                        "restore --job {}: an etcd job's snapshot is restored into a new data directory, so --overwrite and --delete do not apply",
                        common::humanize::printable(&job.name)
                    ),
                )
                .hint("drop --overwrite and --delete, and give a --target that does not exist")
                .into());
            }
            return super::to_server::etcd(s, out, self, &job, target);
        }
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore_key) = (&opened.repo, &opened.restore);
        let (id, snap) = self.filter.resolve(repo, &self.snapshot, Some(out))?;
        let loaded = repo.load_index()?;
        let includes = super::includes_in_snapshot(
            repo,
            &loaded.index,
            restore_key,
            &snap.tree,
            &self.include,
        )?;
        let opts = RestoreOptions {
            target: target.clone(),
            includes,
            threads: 0,
            untrusted: self.untrusted,
            overwrite: self.overwrite.map(Overwrite::from).unwrap_or_default(),
            delete: self.delete,
        };
        let obs = out.observer("restore");
        let progress = Progress::default();
        progress.total_bytes.store(
            snap.summary.total_bytes,
            std::sync::atomic::Ordering::Relaxed,
        );
        progress.total_known.store(
            u64::from(self.include.is_empty()),
            std::sync::atomic::Ordering::Relaxed,
        );
        let result = restore(
            repo,
            &loaded.index,
            restore_key,
            (&id, &snap),
            &opts,
            &obs,
            &progress,
        );
        obs.finish();
        let r = result?;
        print_summary(out, &id, target, &r, self.delete);
        Ok(if r.errors > 0 {
            Status::Damaged
        } else {
            Status::Ok
        })
    }
}

/// The restore's summary: one line, or JSON.
fn print_summary(
    out: &Output,
    id: &common::Id,
    target: &std::path::Path,
    r: &common::ops::restore::RestoreOutcome,
    delete: bool,
) {
    use common::humanize::count;
    out.summary(
        json!({
            "command": "restore", "snapshot_id": id.to_hex(), "target": target, "files": r.files,
            "dirs": r.dirs, "others": r.others, "bytes": r.bytes, "errors": r.errors, "warnings": r.warnings,
            "group_decodes": r.group_decodes.0, "groups": r.group_decodes.1,
            "skipped": r.skipped, "deleted": r.deleted,
        }),
        &format!(
            "restored snapshot {} to {}: {}, {}, {}{}{}{}",
            id.short(),
            target.display(),
            count(r.files, "file", "files"),
            count(r.dirs, "dir", "dirs"),
            bytes(r.bytes),
            match r.skipped {
                0 => String::new(),
                n => format!(", {} skipped", count(n, "existing entry", "existing entries")),
            },
            if delete { format!(", {} deleted", r.deleted) } else { String::new() },
            if r.errors > 0 { format!(", {} NOT RESTORED (see above)", count(r.errors, "ENTRY", "ENTRIES")) } else { String::new() }
        ),
    );
}
