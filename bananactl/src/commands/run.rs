//! `bananactl run`: what cron or the systemd timer calls every few minutes.
//! Runs the configured jobs that are due (see `crate::jobs::schedule`), at
//! most `concurrent_jobs` at once, each under its own lock; saves each
//! job's state when it ends. With nothing due it contacts nothing.

use crate::commands::backup::{execute, hostname, Plan};
use crate::exit::{code_for, Code, Failure, Status};
use crate::jobs::schedule::{due_at, Schedule, Timing};
use crate::jobs::state::{self, JobState};
use crate::jobs::{Job, Outcome};
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::{Error, ErrorKind};
use serde_json::json;

/// Run the jobs that are due.
#[derive(Debug, Args)]
pub struct RunCmd {
    /// Run now, due or not and whatever the backoff after failures: the
    /// JOBs named, or every configured job (after fixing a repository, say).
    #[arg(long)]
    pub now: bool,
    /// With --now: the jobs to run [default: every configured job].
    #[arg(value_name = "JOB", requires = "now", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub jobs: Vec<String>,
}

/// The order in which a run's exit code picks among its jobs' codes: the
/// first of these any job returned; other failures rank after `1`.
pub const PRECEDENCE: [u8; 8] = [13, 16, 15, 14, 12, 1, 3, 11];

fn rank(code: u8) -> usize {
    match PRECEDENCE.iter().position(|&c| c == code) {
        Some(i) if i <= 5 => i * 2,
        Some(i) => i * 2 + 1,
        None => 11, // after 1, before 3 and 11
    }
}

/// The schedule of `job` on this node, in local time.
pub fn timing(s: &Settings, job: &Job) -> Option<Timing<chrono::Local>> {
    let node = hostname(s, None);
    job.schedule
        .clone()
        .map(|sc| Timing::new(sc, &node, &job.name, job.jitter, chrono::Local))
}

/// What the tower should expect of `job`, run at `start`.
fn expect(s: &Settings, job: &Job, start: i64) -> crate::report::Expect {
    let t = timing(s, job);
    let next = t.as_ref().and_then(|t| t.next_run_after(start));
    let every = match (&job.schedule, &t, next) {
        (Some(Schedule::Every(p)), _, _) => Some(*p),
        (Some(Schedule::Cron(..)), Some(t), Some(n)) => {
            t.next_after(n).map(|m| (m - n).max(0) as u64)
        }
        _ => None,
    };
    crate::report::Expect {
        every,
        next_due: next,
        // A drill job reports drills, never a run of its own.
        jobs: Some(
            s.jobs()
                .iter()
                .filter(|j| j.plugin.drill().is_none())
                .map(|j| j.name.clone())
                .collect(),
        ),
    }
}

/// One run of a configured job under its lock, recorded in its state.
fn run_locked(
    s: &Settings,
    out: &Output,
    job: &Job,
    flags: Option<&super::backup::BackupCmd>,
) -> anyhow::Result<Status> {
    let start = common::unix_now();
    let mut st = JobState::load(&s.state_dir, &job.name, start);
    if st.settle_dead_run() {
        out.warn(
            "job",
            &job.name,
            "its previous run ended without recording a result (killed or crashed): counted as a failure",
        );
    }
    st.start(start);
    st.save(&s.state_dir)?;
    if let Some(d) = job.plugin.drill() {
        let (result, outcome) = super::drill::scheduled(s, out, d);
        st.finish(start, common::unix_now(), &outcome);
        if let Err(e) = st.save(&s.state_dir) {
            out.warn("job", &job.name, &format!("state not saved: {e:#}"));
        }
        return result;
    }
    let global = s.file.exclude.clone();
    let plan = Plan {
        job: job.name.clone(),
        plugin: job.plugin.name(),
        source: Box::new(move |secrets| {
            job.source(&crate::jobs::SourceCtx {
                excludes: &global,
                state_dir: &s.state_dir,
                plugin_path: &s.plugin_path(),
                secrets,
            })
        }),
        tags: job.tags.clone(),
        host: flags.and_then(|f| f.host.clone()),
        expect: expect(s, job, start),
        compression: flags.and_then(|f| f.compression),
        limit_upload: flags.and_then(|f| f.limit_upload),
        timeout: job.plugin.run_timeout(),
    };
    let result = execute(s, out, plan);
    let outcome = Outcome::of(&result);
    st.finish(start, common::unix_now(), &outcome);
    if let Err(e) = st.save(&s.state_dir) {
        out.warn("job", &job.name, &format!("state not saved: {e:#}"));
    }
    result.map(|r| r.status)
}

/// `backup --job NAME`: runs the configured job NAME now, due or not.
pub fn run_one(
    s: &Settings,
    out: &Output,
    name: &str,
    flags: &super::backup::BackupCmd,
) -> anyhow::Result<Status> {
    let jobs = s.jobs();
    let job = jobs.iter().find(|j| j.name == name).ok_or_else(|| {
        Error::new(
            ErrorKind::BadInput,
            format!(
                "job '{}' is not configured in {}",
                common::humanize::printable(name),
                s.config_name()
            ),
        )
        .hint("add a [[job]] table, or give PATHs (or --stdin) for an ad-hoc run")
    })?;
    let _lock = state::lock(&s.state_dir, &job.name)?;
    run_locked(s, out, job, Some(flags))
}

/// `run --now`: the job's run under its lock (exit 11 when another holds it).
fn run_now(s: &Settings, out: &Output, job: &Job) -> anyhow::Result<Status> {
    let _lock = state::lock(&s.state_dir, &job.name)?;
    run_locked(s, out, job, None)
}

/// A due job's run, unless another `run` holds its lock or ran it meanwhile.
fn run_if_due(s: &Settings, out: &Output, job: &Job) -> Option<anyhow::Result<Status>> {
    let lock = match state::try_lock(&s.state_dir, &job.name) {
        Ok(Some(l)) => l,
        Ok(None) => return None,
        Err(e) => return Some(Err(e)),
    };
    let now = common::unix_now();
    let mut st = JobState::load(&s.state_dir, &job.name, now);
    st.settle_dead_run();
    let t = timing(s, job)?;
    if due_at(&t, &st.past()).is_none_or(|d| d > now) {
        return None;
    }
    let r = run_locked(s, out, job, None);
    drop(lock);
    Some(r)
}

impl RunCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let jobs = s.jobs();
        if jobs.is_empty() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{} has no [[job]] table: nothing to run", s.config_name()),
            )
            .hint("add jobs (see docs/jobs.md), or back up by hand with 'bananactl backup PATH'")
            .into());
        }
        // A killed agent's run directories may hold a job's credentials.
        common::plugins::sweep_dead_runs(&s.state_dir);
        let workers = s.file.concurrent_jobs.unwrap_or(2).clamp(1, 16);
        if self.now {
            let chosen = self.chosen(s, &jobs)?;
            let results = run_all(s, out, &jobs, chosen, workers, true)?;
            return conclude(out, results);
        }
        let due = due_now(s, &jobs, &[])?;
        if due.is_empty() {
            let now = common::unix_now();
            let next = jobs
                .iter()
                .filter_map(|j| {
                    let t = timing(s, j)?;
                    let at = due_at(&t, &JobState::load(&s.state_dir, &j.name, now).past())?;
                    Some((at, j.name.as_str()))
                })
                .min();
            let line = match next {
                Some((at, name)) => format!(
                    "nothing due; next: {} at {} ('bananactl run --now' runs jobs at once)",
                    common::humanize::printable(name),
                    common::humanize::rfc3339(at)
                ),
                None => {
                    "nothing due (no job has a schedule; 'bananactl run --now' runs them)".into()
                }
            };
            out.summary(json!({"command": "run", "ran": 0}), &line);
            return Ok(Status::Ok);
        }
        let results = run_all(s, out, &jobs, due, workers, false)?;
        conclude(out, results)
    }

    /// `--now`'s jobs: those named (each must be configured), else all.
    fn chosen<'j>(&self, s: &Settings, jobs: &'j [Job]) -> anyhow::Result<Vec<&'j Job>> {
        if self.jobs.is_empty() {
            return Ok(jobs.iter().collect());
        }
        let mut chosen: Vec<&Job> = Vec::new();
        for name in &self.jobs {
            let job = jobs.iter().find(|j| j.name == *name).ok_or_else(|| {
                let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
                Error::new(
                    ErrorKind::BadInput,
                    format!(
                        "run --now {}: no such job in {}",
                        common::humanize::printable(name),
                        s.config_name()
                    ),
                )
                .hint(format!("the configured jobs are: {}", names.join(", ")))
            })?;
            if !chosen.iter().any(|c| c.name == job.name) {
                chosen.push(job);
            }
        }
        Ok(chosen)
    }
}

/// The jobs due now, soonest first, leaving out `busy` (running here);
/// a job's first sighting is remembered.
fn due_now<'j>(s: &Settings, jobs: &'j [Job], busy: &[&str]) -> anyhow::Result<Vec<&'j Job>> {
    let now = common::unix_now();
    let mut due: Vec<(i64, &Job)> = Vec::new();
    for job in jobs.iter().filter(|j| !busy.contains(&j.name.as_str())) {
        let Some(t) = timing(s, job) else { continue };
        let st = JobState::load(&s.state_dir, &job.name, now);
        if !JobState::exists(&s.state_dir, &job.name) {
            st.create(&s.state_dir)?; // remembers when it was first seen
        }
        match due_at(&t, &st.past()) {
            Some(at) if at <= now => due.push((at, job)),
            _ => {}
        }
    }
    due.sort_by_key(|(at, _)| *at);
    Ok(due.into_iter().map(|(_, j)| j).collect())
}

/// How often a run with jobs still going looks for jobs that fell due.
const RESCAN: std::time::Duration = std::time::Duration::from_secs(5);

type Results = Vec<(String, anyhow::Result<Status>)>;

/// Runs `due` with at most `workers` at once. While jobs are still going
/// it keeps looking for jobs that fall due, so one long job never holds
/// up the others (under a systemd timer no second run starts meanwhile).
fn run_all(
    s: &Settings,
    out: &Output,
    jobs: &[Job],
    due: Vec<&Job>,
    workers: usize,
    now: bool,
) -> anyhow::Result<Results> {
    let mut pending: std::collections::VecDeque<&Job> = due.into();
    let mut active: Vec<&str> = Vec::new();
    let mut results = Vec::new();
    std::thread::scope(|sc| -> anyhow::Result<()> {
        let (done, finished) =
            std::sync::mpsc::channel::<(String, Option<anyhow::Result<Status>>)>();
        loop {
            while active.len() < workers {
                let Some(job) = pending.pop_front() else {
                    break;
                };
                active.push(&job.name);
                let done = done.clone();
                sc.spawn(move || {
                    // A panicking job must still report, or the run waits for ever.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        if now {
                            Some(run_now(s, out, job))
                        } else {
                            run_if_due(s, out, job)
                        }
                    }))
                    .unwrap_or_else(|_| {
                        Some(Err(anyhow::anyhow!("internal error: the job panicked")))
                    });
                    let _ = done.send((job.name.clone(), r));
                });
            }
            if active.is_empty() {
                return Ok(());
            }
            if let Ok((name, r)) = finished.recv_timeout(RESCAN) {
                active.retain(|a| *a != name);
                if let Some(r) = r {
                    results.push((name, r));
                }
            }
            // `--now` runs what it was given, nothing that falls due.
            if !active.is_empty() && !now {
                let mut busy = active.clone();
                busy.extend(pending.iter().map(|j| j.name.as_str()));
                pending.extend(due_now(s, jobs, &busy)?);
            }
        }
    })?;
    Ok(results)
}

/// The run's summary and exit: the first of [`PRECEDENCE`] any job
/// returned; every failed job's error was printed on its own line.
fn conclude(
    out: &Output,
    results: Vec<(String, anyhow::Result<Status>)>,
) -> anyhow::Result<Status> {
    let ran = results.len();
    // A job retried within this run is judged by its last attempt.
    let mut last: Vec<(String, anyhow::Result<Status>)> = Vec::new();
    for (name, r) in results {
        last.retain(|(n, _)| *n != name);
        last.push((name, r));
    }
    let results = last;
    let mut worst: Option<(usize, u8, String)> = None;
    let mut partial = false;
    let mut failed = 0;
    for (name, r) in results {
        match r {
            Ok(Status::Partial) => partial = true,
            Ok(_) => {}
            Err(e) => {
                failed += 1;
                let code = u8::from(code_for(&e));
                let named = format!("{e:#}").contains(&format!("job '{name}'"));
                let e = if named {
                    e
                } else {
                    e.context(format!("job '{name}'"))
                };
                out.error(&e, code);
                let rank = rank(code);
                if worst.as_ref().is_none_or(|w| rank < w.0) {
                    worst = Some((rank, code, name));
                }
            }
        }
    }
    out.summary(
        json!({"command": "run", "ran": ran, "failed": failed, "partial": partial}),
        &format!(
            "{} run, {failed} failed",
            common::humanize::count(ran as u64, "job", "jobs")
        ),
    );
    match worst {
        Some((_, code, name)) => Err(Failure::new(
            Code::from_u8(code),
            format!("{failed} job(s) failed; exit code {code} from job '{name}'"),
        )
        .into()),
        None if partial => Ok(Status::Partial),
        None => Ok(Status::Ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_follows_the_documented_precedence() {
        let mut codes = vec![11, 3, 17, 1, 12, 14, 15, 16, 13];
        codes.sort_by_key(|c| rank(*c));
        assert_eq!(codes, [13, 16, 15, 14, 12, 1, 17, 3, 11]);
    }
}
