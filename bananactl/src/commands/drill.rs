//! `bananactl drill`: proof that backups restore. The latest snapshot of
//! each job that did not fail is restored in part (a sample of its files;
//! every database stream whole) into a private scratch directory and
//! checked; the tower hears each result (`drill` events). `docs/drills.md`.

use crate::exit::Status;
use crate::output::{bytes, Output};
use crate::settings::Settings;
use clap::Args;
use common::drill::{drill, latest_per_job, DrillOptions, DrillReport, Sample};
use common::status::EventKind;
use serde_json::json;

/// Restore a sample of each job's latest snapshot and verify it.
#[derive(Debug, Args)]
pub struct DrillCmd {
    /// Drill only this job.
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub job: Option<String>,
    /// How much of a snapshot of files: N% of its files, N files, or a size
    /// (e.g. 500M), picked at random; database streams are always whole.
    #[arg(long, value_name = "SAMPLE", default_value = "1%")]
    pub sample: String,
    /// Also restore database streams into throwaway servers (PostgreSQL,
    /// MariaDB, etcd) started in the scratch directory, and query them.
    #[arg(long)]
    pub deep: bool,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

impl DrillCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let sample: Sample = self.sample.parse()?;
        let jobs: Vec<String> = self.job.iter().cloned().collect();
        drill_jobs(s, out, &self.keys, &jobs, (sample, self.deep))
    }
}

/// A `drill` job's run under `bananactl run`, and its outcome as the job's
/// state records it.
pub fn scheduled(
    s: &Settings,
    out: &Output,
    job: &common::plugins::drill::DrillJob,
) -> (anyhow::Result<Status>, crate::jobs::Outcome) {
    let keys = super::ReadKeyOpts::default();
    let r = drill_jobs(s, out, &keys, &job.jobs, (job.sample, job.deep));
    let failed = |code: u8, error: String| crate::jobs::Outcome {
        result: "failed",
        code,
        error: Some(error.chars().take(500).collect()),
        snapshot: None,
    };
    let outcome = match &r {
        Ok(Status::Ok) => crate::jobs::Outcome {
            result: "ok",
            code: 0,
            error: None,
            snapshot: None,
        },
        Ok(st) => failed(
            *st as u8,
            "the drill found damage (see 'bananactl drill')".into(),
        ),
        Err(e) => failed(
            crate::exit::code_for(e).into(),
            common::humanize::printable(&format!("{e:#}")),
        ),
    };
    (r, outcome)
}

/// The newest snapshot that did not fail of each of `jobs` (of every job
/// when empty); a job named without one is exit 2.
fn chosen(
    all: &[(common::Id, common::format::Snapshot)],
    jobs: &[String],
) -> anyhow::Result<Vec<(common::Id, common::format::Snapshot)>> {
    let mut latest = latest_per_job(all, None);
    latest.retain(|(_, snap)| jobs.is_empty() || jobs.iter().any(|j| j == snap.job_name()));
    let missing = jobs
        .iter()
        .find(|j| !latest.iter().any(|(_, s)| s.job_name() == j.as_str()));
    if missing.is_some() || latest.is_empty() {
        let what = match missing {
            Some(j) => format!("job '{}' has", common::humanize::printable(j)),
            None => "the repository holds".into(),
        };
        return Err(common::Error::new(
            common::ErrorKind::NotFound,
            format!("drill: {what} no snapshot that did not fail"),
        )
        .hint("run a backup first; 'bananactl snapshots' lists what there is")
        .into());
    }
    Ok(latest)
}

/// Drills the latest snapshot of each of `jobs` (every job when empty).
fn drill_jobs(
    s: &Settings,
    out: &Output,
    keys: &super::ReadKeyOpts,
    jobs: &[String],
    (sample, deep): (Sample, bool),
) -> anyhow::Result<Status> {
    let opened = super::open_read(s, keys)?;
    if opened.restore.identities.is_empty() {
        return Err(common::Error::new(
            common::ErrorKind::NoIdentity,
            "drill: this node's key holds only the backup half: it cannot read its own backups, by design",
        )
        .hint("drill it from the admin side: 'bananadm drill NODE' on the drill host (docs/drills.md)")
        .into());
    }
    let repo = &opened.repo;
    let latest = chosen(&repo.snapshots()?, jobs)?;
    std::fs::create_dir_all(&s.state_dir)
        .map_err(|e| common::Error::io(format!("state directory {}", s.state_dir.display()), e))?;
    let opts = DrillOptions {
        sample,
        deep,
        scratch: s.state_dir.clone(),
        plugin_path: s.plugin_path(),
        threads: 0,
    };
    let loaded = repo.load_index()?;
    let node = crate::report::node_name(s)?;
    let tower = crate::report::Reporter::for_events(s, out, opened.collector.clone(), &node);
    let mut failed = 0;
    for (id, snap) in &latest {
        let started = common::unix_now();
        let r = drill(repo, &loaded.index, &opened.restore, (id, snap), &opts)?;
        print(out, &r);
        if !r.passed() {
            failed += 1;
        }
        if let Some(t) = &tower {
            let mut e = t.event(EventKind::Drill);
            e.started_at = started;
            t.send(r.event(e, deep));
        }
    }
    out.summary(
        json!({"command": "drill", "jobs": latest.len(), "failed": failed, "sample": sample.to_string(), "deep": deep}),
        &format!(
            "{} drilled: {}",
            common::humanize::count(latest.len() as u64, "job", "jobs"),
            match failed {
                0 => "all passed".to_owned(),
                n => format!("{n} FAILED"),
            }
        ),
    );
    Ok(if failed > 0 {
        Status::Damaged
    } else {
        Status::Ok
    })
}

/// One drill's report: JSON, or lines for humans (failures on stderr).
pub fn print(out: &Output, r: &DrillReport) {
    if out.json {
        out.json_line(&r.to_json());
        return;
    }
    for f in &r.failures {
        eprintln!("damaged: {f}");
    }
    for n in &r.notes {
        eprintln!("note: {n}");
    }
    if !out.quiet {
        for c in &r.streams {
            let tool = c.tool.as_deref().unwrap_or("-");
            println!(
                "  stream {} ({}): {tool}: {}",
                c.stream,
                bytes(c.bytes),
                c.detail
            );
        }
        for l in &r.servers {
            println!("  {l}");
        }
    }
    println!("{}", r.summary());
}
