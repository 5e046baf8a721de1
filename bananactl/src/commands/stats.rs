//! `bananactl stats`: what the repository holds and what it costs, from
//! its metadata (the backup half of the key suffices; no pack is read).

use crate::exit::Status;
use crate::output::{bytes, Output};
use crate::settings::Settings;
use clap::Args;
use serde_json::json;

/// Show what the repository holds and what it costs.
#[derive(Debug, Args)]
pub struct StatsCmd {
    /// Count only this job's snapshots (the repository's sizes stay whole).
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub job: Option<String>,
}

impl StatsCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let opened = super::open(s)?;
        let st = common::ops::stats::stats(&opened.repo, self.job.as_deref())?;
        let jobs: serde_json::Map<String, serde_json::Value> = st
            .jobs
            .iter()
            .map(|(name, j)| {
                (
                    name.clone(),
                    json!({"snapshots": j.snapshots, "latest_bytes": j.latest_bytes, "latest_time": j.latest_time}),
                )
            })
            .collect();
        let kind = |b: &common::ops::stats::Bytes| json!({"blobs": b.blobs, "raw_bytes": b.raw, "stored_bytes": b.stored});
        let text = [
            format!(
                "snapshots        {} ({} job(s))",
                st.snapshots,
                st.jobs.len()
            ),
            format!("logical, latest  {} (the newest of each job)", bytes(st.logical_latest)),
            format!("logical, all     {} (every snapshot)", bytes(st.logical_all)),
            format!(
                "stored           {} in {} packs ({} each on average, {:.0} % filled by indexed chunks) and {} of metadata",
                bytes(st.stored_bytes),
                st.packs,
                bytes(st.pack_bytes.checked_div(st.packs).unwrap_or(0)),
                st.pack_fill() * 100.0,
                bytes(st.metadata_bytes)
            ),
            format!(
                "file contents    {} in {} chunks, stored as {}",
                bytes(st.data.raw),
                st.data.blobs,
                bytes(st.data.stored)
            ),
            format!(
                "trees            {} in {} chunks, stored as {}",
                bytes(st.trees.raw),
                st.trees.blobs,
                bytes(st.trees.stored)
            ),
            format!(
                "ratios           deduplication {:.2}x, compression {:.2}x",
                st.dedup_ratio(),
                st.compression_ratio()
            ),
        ]
        .join("\n");
        out.summary(
            json!({
                "command": "stats", "job": self.job, "snapshots": st.snapshots, "jobs": jobs,
                "logical_latest_bytes": st.logical_latest, "logical_all_bytes": st.logical_all,
                "stored_bytes": st.stored_bytes, "packs": st.packs, "pack_bytes": st.pack_bytes,
                "metadata_bytes": st.metadata_bytes, "data": kind(&st.data), "trees": kind(&st.trees),
                "dedup_ratio": st.dedup_ratio(), "compression_ratio": st.compression_ratio(),
                "pack_fill": st.pack_fill(),
            }),
            &text,
        );
        Ok(Status::Ok)
    }
}
