//! The `fs` plugin: files and directories, read by the engine's walk
//! ([`FsSource`]).

use crate::error::{Error, Result};
use crate::ops::backup::{FsSource, Source};
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, RunEnv};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `fs` plugin's keys of a `[[job]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsTable {
    /// The paths to back up (absolute).
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Exclude globs (added to the config's top-level `exclude`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files of exclude globs.
    #[serde(default)]
    pub exclude_file: Vec<PathBuf>,
    /// Do not cross filesystem boundaries.
    #[serde(default)]
    pub one_file_system: bool,
}

/// An `fs` job, checked.
#[derive(Debug, Clone)]
pub struct FsJob {
    /// Paths.
    pub paths: Vec<PathBuf>,
    /// Exclude globs (the job's; the config's are added for a run).
    pub exclude: Vec<String>,
    /// Exclude files.
    pub exclude_file: Vec<PathBuf>,
    /// Stay on one filesystem.
    pub one_file_system: bool,
    /// The run fails once it has taken this long (at its next chunk or
    /// directory); none by default.
    pub timeout: Option<Duration>,
    /// The config's exclude globs, for a run.
    pub config_excludes: Vec<String>,
}

/// The `fs` plugin.
pub const ENTRY: Entry = Entry {
    name: "fs",
    keys: super::fields::<FsTable>,
    credentials: false,
    check,
};

fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: FsTable = super::table(job, rest)?;
    if t.paths.is_empty() {
        return Err(job.error("plugin 'fs' needs paths = [\"/etc\", ...]"));
    }
    if let Some(p) = t.paths.iter().find(|p| !p.is_absolute()) {
        return Err(job.error(format!("path '{}' is not absolute", p.display())));
    }
    Ok(Box::new(FsJob {
        paths: t.paths,
        exclude: t.exclude,
        exclude_file: t.exclude_file,
        one_file_system: t.one_file_system,
        timeout: job.timeout.map(Duration::from_secs),
        config_excludes: Vec::new(),
    }))
}

/// Reads exclude globs from a file, one per line (`#` comments).
pub fn read_exclude_file(p: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| Error::io(format!("exclude file {}", p.display()), e))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

impl JobPlugin for FsJob {
    fn name(&self) -> &str {
        "fs"
    }

    fn run_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin> {
        let mut s = self.clone();
        s.config_excludes = env.excludes.clone();
        Box::new(s)
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        let mut ex = self.config_excludes.clone();
        ex.extend(self.exclude.iter().cloned());
        for f in &self.exclude_file {
            ex.extend(read_exclude_file(f)?);
        }
        Ok(Box::new(FsSource::new(
            &self.paths,
            &ex,
            self.one_file_system,
        )?))
    }

    crate::plugin_plumbing!();
}
