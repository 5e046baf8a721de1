//! `bananactl check`: verify the repository.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::humanize::count;
use common::ops::check::{check, CheckOptions};
use common::progress::Progress;
use serde_json::json;

/// Verify the repository.
#[derive(Debug, Args)]
pub struct CheckCmd {
    /// Also download, decrypt and verify every pack and chunk (needs the identity).
    #[arg(long)]
    pub read_data: bool,
    /// Read and verify only some packs: K/M (the K-th of M groups by name:
    /// M runs cover every pack once), N% or a size (e.g. 500M), at random.
    #[arg(long, value_name = "SUBSET", conflicts_with = "read_data")]
    pub read_data_subset: Option<String>,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

impl CheckCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        // Damage in storage must not hide behind the node's cached copies.
        s.storage_first
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let subset: Option<common::ops::check::Subset> = self
            .read_data_subset
            .as_deref()
            .map(str::parse)
            .transpose()?;
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore) = (&opened.repo, &opened.restore);
        let opts = CheckOptions {
            read_data: self.read_data,
            subset,
            state_dir: Some(s.state_dir.clone()),
        };
        let obs = out.observer("check");
        let progress = Progress::default();
        let result = check(repo, restore, &opts, &obs, &progress);
        obs.finish();
        let r = result?;
        for p in &r.problems {
            print_problem(out, p);
        }
        if !r.trees_walked {
            out.notice(
                "note: trees were not checked: this key holds only the backup half (no identity)",
            );
        }
        if let Some(sub) = subset {
            report_subset(s, out, opened.collector.clone(), &r, sub);
        }
        let line = self.line(&r, subset);
        out.summary(
            json!({
                "command": "check", "problems": r.problems.len(), "snapshots": r.snapshots, "packs": r.packs,
                "unindexed_packs": r.unindexed_packs, "unreferenced_packs": r.unreferenced_packs,
                "blobs_verified": r.blobs_verified, "trees_checked": r.trees_checked, "read_data": self.read_data,
                "read_data_subset": subset.map(|s| s.to_string()),
                "packs_read": r.packs_read, "bytes_read": r.bytes_read,
                "chain_gaps": r.gaps, "forget_records": r.forget_records,
            }),
            &line,
        );
        Ok(if r.problems.is_empty() {
            Status::Ok
        } else {
            Status::Damaged
        })
    }
}

impl CheckCmd {
    /// The summary line.
    fn line(
        &self,
        r: &common::ops::check::CheckReport,
        subset: Option<common::ops::check::Subset>,
    ) -> String {
        if r.problems.is_empty() {
            format!(
                "no problems found: {}, {}{}{}",
                count(r.snapshots, "snapshot", "snapshots"),
                count(r.packs, "pack", "packs"),
                match (self.read_data, subset) {
                    (true, _) =>
                        format!(", {} verified", count(r.blobs_verified, "chunk", "chunks")),
                    (false, Some(sub)) => format!(
                        ", {} of {} read ({sub}: {}), {} verified",
                        r.packs_read,
                        count(r.packs, "pack", "packs"),
                        common::humanize::bytes(r.bytes_read),
                        count(r.blobs_verified, "chunk", "chunks")
                    ),
                    (false, None) => String::new(),
                },
                if r.unindexed_packs > 0 {
                    format!(
                        " ({} from an interrupted backup, reused by the next one)",
                        count(r.unindexed_packs, "pack", "packs")
                    )
                } else {
                    String::new()
                }
            )
        } else {
            format!(
                "{} found{}",
                count(
                    r.problems.len() as u64,
                    "damaged or missing object",
                    "damaged or missing objects"
                ),
                match subset {
                    Some(sub) => format!(
                        " ({} of {} read ({sub}))",
                        r.packs_read,
                        count(r.packs, "pack", "packs")
                    ),
                    None => String::new(),
                }
            )
        }
    }
}

/// Tells the tower (when the node reports to one) what a subset check read
/// and found: a `drill` event of mode `check`.
fn report_subset(
    s: &Settings,
    out: &Output,
    collector: Option<String>,
    r: &common::ops::check::CheckReport,
    sub: common::ops::check::Subset,
) {
    let Ok(node) = crate::report::node_name(s) else {
        return;
    };
    let Some(tower) = crate::report::Reporter::for_events(s, out, collector, &node) else {
        return;
    };
    let mut e = tower.event(common::status::EventKind::Drill);
    e.ended_at = Some(common::unix_now());
    e.result = Some(match r.problems.is_empty() {
        true => common::status::RunResult::Success,
        false => common::status::RunResult::Failed,
    });
    e.drill = Some(common::status::DrillFacts {
        mode: "check".into(),
        sample: Some(sub.to_string()),
        packs: r.packs_read,
        bytes: r.bytes_read,
        ..Default::default()
    });
    if let Some(p) = r.problems.first() {
        e = e.with_error(&format!(
            "check --read-data-subset {sub}: {}: {}",
            p.object, p.message
        ));
    }
    tower.send(e);
}

/// A problem: JSON, or a line on stderr and one per affected file and snapshot.
fn print_problem(out: &Output, p: &common::ops::check::Problem) {
    if out.json {
        let affected: Vec<_> = p
            .affected
            .iter()
            .map(|(f, s)| json!({"path": f, "snapshot": s}))
            .collect();
        out.json_line(
            &json!({"message_type": "problem", "object": p.object, "message": p.message,
                              "files": p.files, "affected": affected}),
        );
    } else {
        let show = common::humanize::printable;
        eprintln!("damaged: {}: {}", show(&p.object), show(&p.message));
        for (f, snap) in &p.affected {
            eprintln!("  affects {} in snapshot {snap}", show(f));
        }
    }
}
