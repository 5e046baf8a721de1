//! The `drill` plugin: a job that backs nothing up but drills the node's
//! other jobs under `bananactl run` (`docs/drills.md`): the latest snapshot
//! of each of its `jobs` (all by default) restored in part and verified.
//! Only a node whose key holds the restore half can drill itself; the
//! others are drilled from the admin side (`bananadm drill`).

use crate::error::{Error, ErrorKind, Result};
use crate::ops::backup::Source;
use crate::ops::sample::Sample;
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, RunEnv};
use serde::Deserialize;

/// The `drill` plugin's keys of a `[[job]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillTable {
    /// How much of a snapshot of files: `N%`, `N` files, or a size (default 1%).
    pub sample: Option<String>,
    /// Restore database streams into throwaway servers.
    #[serde(default)]
    pub deep: bool,
    /// The jobs to drill (default: every job with a snapshot).
    #[serde(default)]
    pub jobs: Vec<String>,
}

/// A `drill` job, checked.
#[derive(Debug, Clone)]
pub struct DrillJob {
    /// The sample.
    pub sample: Sample,
    /// `--deep`.
    pub deep: bool,
    /// The jobs drilled (empty: all).
    pub jobs: Vec<String>,
}

/// The `drill` plugin.
pub const ENTRY: Entry = Entry {
    name: "drill",
    keys: super::fields::<DrillTable>,
    credentials: false,
    check,
};

fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: DrillTable = super::table(job, rest)?;
    let sample = match &t.sample {
        Some(s) => s
            .parse::<Sample>()
            .map_err(|e| job.error_at("sample", e.message()))?,
        None => Sample::default(),
    };
    if let Some(j) = t.jobs.iter().find(|j| *j == job.name) {
        return Err(job.error_at("jobs", format!("a drill job cannot drill itself ('{j}')")));
    }
    Ok(Box::new(DrillJob {
        sample,
        deep: t.deep,
        jobs: t.jobs,
    }))
}

impl JobPlugin for DrillJob {
    fn name(&self) -> &str {
        "drill"
    }

    fn for_run(&self, _: &RunEnv) -> Box<dyn JobPlugin> {
        Box::new(self.clone())
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        Err(Error::new(
            ErrorKind::BadInput,
            "a drill job backs nothing up: 'bananactl run' drills with it",
        ))
    }

    fn drill(&self) -> Option<&DrillJob> {
        Some(self)
    }

    crate::plugin_plumbing!();
}
