//! A job's node-local state (`STATE_DIR/jobs/<hash>.json`, written
//! atomically after each run) and its lock (`<hash>.lock`, `flock`: a run
//! that crashed or was killed never leaves it held). Losing the state costs
//! an early run, never data.

use super::schedule::Past;
use anyhow::Context;
use common::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

/// What the node remembers of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobState {
    /// The job's name.
    pub name: String,
    /// When `run` first saw it (Unix seconds).
    pub first_seen: i64,
    /// The last attempt's start and end.
    #[serde(default)]
    pub last_start: Option<i64>,
    /// End of the last attempt.
    #[serde(default)]
    pub last_end: Option<i64>,
    /// `ok`, `partial`, `failed` or `killed` (a run that died without a word).
    #[serde(default)]
    pub last_result: Option<String>,
    /// The last attempt's one-line error.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Its exit code.
    #[serde(default)]
    pub last_code: Option<u8>,
    /// Start of the last successful (or partial) run: what schedules count from.
    #[serde(default)]
    pub last_success: Option<i64>,
    /// Its end: `last_success_at`, as the tower has it (a partial run counts
    /// as a success: its snapshot was committed; docs/jobs.md).
    #[serde(default)]
    pub last_success_end: Option<i64>,
    /// The last snapshot the job saved (hex).
    #[serde(default)]
    pub last_snapshot: Option<String>,
    /// Failures since the last success.
    #[serde(default)]
    pub failures: u32,
    /// Set while a run goes; found set by the next run, it means that run died.
    #[serde(default)]
    pub running_since: Option<i64>,
}

/// The files of a job: `(state, lock)`.
fn files(state_dir: &Path, job: &str) -> (PathBuf, PathBuf) {
    let tag = &blake3::hash(job.as_bytes()).to_hex()[..16];
    let dir = state_dir.join("jobs");
    (
        dir.join(format!("{tag}.json")),
        dir.join(format!("{tag}.lock")),
    )
}

impl JobState {
    /// Reads the state of `job`, or a fresh one first seen `now` (a damaged
    /// file is a fresh start: the worst case is an early run).
    pub fn load(state_dir: &Path, job: &str, now: i64) -> JobState {
        let (path, _) = files(state_dir, job);
        std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<JobState>(&b).ok())
            .filter(|s| s.name == job)
            .unwrap_or_else(|| JobState {
                name: job.to_owned(),
                first_seen: now,
                ..JobState::default()
            })
    }

    /// Whether a state file exists for `job`.
    pub fn exists(state_dir: &Path, job: &str) -> bool {
        files(state_dir, job).0.exists()
    }

    /// Writes it atomically (temporary file, fsync, rename).
    pub fn save(&self, state_dir: &Path) -> anyhow::Result<()> {
        let (path, _) = files(state_dir, &self.name);
        if let Some(dir) = path.parent() {
            common::fsutil::private_dir(dir)
                .with_context(|| format!("state directory {}", dir.display()))?;
        }
        let bytes = serde_json::to_vec_pretty(self)?;
        common::fsutil::write_private(&path, &bytes)
            .with_context(|| format!("job state {}", path.display()))
    }

    /// Writes it only if no state exists yet (a concurrent run's is kept).
    pub fn create(&self, state_dir: &Path) -> anyhow::Result<()> {
        let (path, _) = files(state_dir, &self.name);
        if let Some(dir) = path.parent() {
            common::fsutil::private_dir(dir)
                .with_context(|| format!("state directory {}", dir.display()))?;
        }
        let bytes = serde_json::to_vec_pretty(self)?;
        match common::fsutil::create_private(&path, &bytes) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                Err(e).with_context(|| format!("job state {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// What the schedule needs.
    pub fn past(&self) -> Past {
        Past {
            first_seen: self.first_seen,
            last_attempt: self.last_start.map(|s| (s, self.last_end.unwrap_or(s))),
            failures: self.failures,
        }
    }

    /// Records the start of a run.
    pub fn start(&mut self, now: i64) {
        self.running_since = Some(now);
    }

    /// A run that died (killed, crashed) without recording its end: a
    /// failure, so the job is retried with backoff.
    pub fn settle_dead_run(&mut self) -> bool {
        match self.running_since.take() {
            Some(s) => {
                self.last_start = Some(s);
                self.last_end = Some(s);
                self.last_result = Some("killed".into());
                self.last_error = Some(
                    "the previous run ended without recording a result (killed or crashed)".into(),
                );
                self.last_code = None;
                self.failures = self.failures.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// Records the end of a run that started at `start`.
    pub fn finish(&mut self, start: i64, end: i64, outcome: &super::Outcome) {
        self.running_since = None;
        self.last_start = Some(start);
        self.last_end = Some(end);
        self.last_result = Some(outcome.result.into());
        self.last_error = outcome.error.clone();
        self.last_code = Some(outcome.code);
        if outcome.snapshot.is_some() {
            self.last_snapshot = outcome.snapshot.clone();
        }
        if outcome.result == "failed" {
            self.failures = self.failures.saturating_add(1);
        } else {
            self.failures = 0;
            self.last_success = Some(start);
            self.last_success_end = Some(end);
        }
    }
}

/// Holds a job's lock until dropped (also when the process dies: `flock`).
pub struct Lock(#[allow(dead_code)] std::fs::File);

/// Takes the lock of `job`: `Ok(None)` when another run holds it.
pub fn try_lock(state_dir: &Path, job: &str) -> anyhow::Result<Option<Lock>> {
    let (_, path) = files(state_dir, job);
    if let Some(dir) = path.parent() {
        common::fsutil::private_dir(dir)
            .with_context(|| format!("state directory {}", dir.display()))?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("lock file {}", path.display()))?;
    match rustix::fs::flock(
        f.as_fd(),
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    ) {
        Ok(()) => Ok(Some(Lock(f))),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(anyhow::Error::from(std::io::Error::from(e)))
            .with_context(|| format!("lock file {}", path.display())),
    }
}

/// Takes the lock of `job` or fails at once (exit 11): a job never runs
/// twice at a time on a node; different jobs run concurrently and
/// serialise only their commits.
pub fn lock(state_dir: &Path, job: &str) -> anyhow::Result<Lock> {
    lock_key(state_dir, job, job)
}

/// The lock of an ad-hoc run (`backup PATH… [--job NAME]`): per job name and
/// repository location, so ad-hoc runs of one name to two repositories run
/// side by side, as they always did.
pub fn lock_adhoc(state_dir: &Path, location: &str, job: &str) -> anyhow::Result<Lock> {
    lock_key(state_dir, &format!("adhoc\0{location}\0{job}"), job)
}

fn lock_key(state_dir: &Path, key: &str, job: &str) -> anyhow::Result<Lock> {
    match try_lock(state_dir, key)? {
        Some(l) => Ok(l),
        None => Err(Error::new(
            ErrorKind::Locked,
            format!(
                "job '{}' is already running on this node",
                common::humanize::printable(job)
            ),
        )
        .hint(format!(
            "wait for it to finish (lock: {})",
            files(state_dir, key).1.display()
        ))
        .into()),
    }
}
