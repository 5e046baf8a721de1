//! `bananactl snapshots`: list snapshots, oldest first (newest last).

use crate::exit::Status;
use crate::output::{bytes, Output};
use crate::settings::Settings;
use clap::Args;
use serde_json::json;

/// List snapshots.
#[derive(Debug, Args)]
pub struct SnapshotsCmd {
    /// Which snapshots.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Only the newest N snapshots of each host and job that did not fail.
    #[arg(long, value_name = "N")]
    pub latest: Option<usize>,
}

impl SnapshotsCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let opened = super::open(s)?;
        let repo = &opened.repo;
        let all = repo.snapshots()?;
        let mut shown = self.filter.apply(all.clone());
        if let Some(n) = self.latest {
            shown = super::select::latest(shown, n);
        }
        if !out.json && !out.quiet {
            println!(
                "{:<10} {:<21} {:<16} {:<12} {:>6} {:>8} {:>11} {:>11}  paths",
                "id", "time", "host", "job", "seq", "files", "size", "added"
            );
        }
        for (id, snap) in &shown {
            let paths: Vec<String> = snap.paths.iter().map(|p| super::show(p)).collect();
            let exact: Vec<String> = snap
                .paths
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let m = &snap.summary;
            if out.json {
                out.json_line(&json!({
                    "message_type": "snapshot", "id": id.to_hex(), "short_id": id.short(), "time": super::when(snap.time),
                    "unix_time": snap.time.0, "hostname": snap.hostname, "username": snap.username, "paths": exact,
                    "tags": snap.tags, "parent": snap.parent.map(|p| p.to_hex()), "seq": snap.seq,
                    "prev": snap.prev.map(|p| p.to_hex()), "files": m.files, "total_bytes": m.total_bytes,
                    "bytes_added": m.bytes_added, "bytes_stored": m.bytes_stored,
                    "job": snap.run.job, "plugin": snap.run.plugin, "status": snap.run.status.as_str(),
                    "error": snap.run.error, "meta": snap.run.meta,
                }));
            } else {
                let tags = if snap.tags.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", common::humanize::printable(&snap.tags.join(",")))
                };
                let failed = match snap.run.status {
                    common::format::RunStatus::Failed => " FAILED",
                    _ => "",
                };
                out.line(&format!(
                    "{:<10} {:<21} {:<16} {:<12} {:>6} {:>8} {:>11} {:>11}  {}{}{failed}",
                    id.short(),
                    super::when(snap.time),
                    common::humanize::printable(&snap.hostname),
                    common::humanize::printable(snap.run.job.as_deref().unwrap_or("-")),
                    snap.seq.map_or("-".to_owned(), |s| s.to_string()),
                    m.files,
                    bytes(m.total_bytes),
                    bytes(m.bytes_added),
                    paths.join(" "),
                    tags
                ));
            }
        }
        let gaps = super::warn_gaps(repo, &all, out)?;
        out.summary(
            json!({"command": "snapshots", "count": shown.len(), "gaps": gaps}),
            &format!(
                "{}{}",
                common::humanize::count(shown.len() as u64, "snapshot", "snapshots"),
                match gaps {
                    0 => String::new(),
                    n => format!(", {n} CHAIN GAPS (see above)"),
                }
            ),
        );
        Ok(Status::Ok)
    }
}
