//! `bananactl jobs`: the configured jobs, their schedules, last results and
//! next due times, from the config and the node's state (no storage, no
//! Vault: it contacts nothing).

use crate::exit::Status;
use crate::jobs::schedule::due_at;
use crate::jobs::state::{self, JobState};
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use serde_json::json;

/// List the configured jobs.
#[derive(Debug, Args)]
pub struct JobsCmd {}

impl JobsCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let jobs = s.jobs();
        let now = common::unix_now();
        if !out.json && !out.quiet && !jobs.is_empty() {
            println!(
                "{:<16} {:<8} {:<22} {:<8} {:<21} {:<21} next due",
                "job", "plugin", "schedule", "last", "last run", "last success"
            );
        }
        for job in &jobs {
            // Never seen by `run`: as if first seen now (nothing is written).
            let mut st = JobState::load(&s.state_dir, &job.name, now);
            // A run marked as going whose lock is free has died: show it as
            // the next run will record it.
            let running = st.running_since.is_some()
                && matches!(state::try_lock(&s.state_dir, &job.name), Ok(None));
            if !running {
                st.settle_dead_run();
            }
            let timing = super::run::timing(s, job);
            let next = timing.as_ref().and_then(|t| due_at(t, &st.past()));
            let why = timing
                .as_ref()
                .map(|t| crate::jobs::schedule::why_due(t, &st.past()));
            let schedule = job
                .schedule
                .as_ref()
                .map_or("by hand".to_owned(), |sc| sc.describe());
            let t = |v: Option<i64>| v.map(common::humanize::rfc3339);
            // When the last success ended (older state kept its start only).
            let success_at = st.last_success_end.or(st.last_success);
            if out.json {
                out.json_line(&json!({
                    "message_type": "job", "job": job.name, "plugin": job.plugin.name(),
                    "schedule": schedule, "last_result": st.last_result, "last_error": st.last_error,
                    "last_code": st.last_code, "last_started_at": t(st.last_start), "last_ended_at": t(st.last_end),
                    "last_success_at": t(success_at), "last_snapshot": st.last_snapshot,
                    "failures": st.failures, "running": running,
                    "next_due_at": t(next), "next_due": t(next), "next_due_why": why,
                    "due": next.is_some_and(|d| d <= now),
                }));
            } else {
                let when = match next {
                    Some(d) if d <= now => "now".to_owned(),
                    Some(d) => format!(
                        "{} ({})",
                        common::humanize::rfc3339(d),
                        common::humanize::ago(Some(d), now)
                    ),
                    None => "-".to_owned(),
                };
                out.line(&format!(
                    "{:<16} {:<8} {:<22} {:<8} {:<21} {:<21} {when}",
                    job.name,
                    job.plugin.name(),
                    schedule,
                    st.last_result.as_deref().unwrap_or("never"),
                    t(st.last_start).unwrap_or_else(|| "-".into()),
                    t(success_at).unwrap_or_else(|| "-".into()),
                ));
                explain(out, next, why.as_deref(), &st);
            }
        }
        out.summary(
            json!({"command": "jobs", "count": jobs.len()}),
            &format!(
                "{} configured in {}",
                common::humanize::count(jobs.len() as u64, "job", "jobs"),
                s.config_name()
            ),
        );
        Ok(Status::Ok)
    }
}

/// The lines under a job: why its next time is what it is, and its last
/// error or why its last run was partial.
fn explain(out: &Output, next: Option<i64>, why: Option<&str>, st: &JobState) {
    if let (Some(d), Some(why)) = (next, why) {
        let local = chrono::TimeZone::timestamp_opt(&chrono::Local, d, 0)
            .single()
            .map(|l| l.format("%Y-%m-%d %H:%M %Z").to_string())
            .unwrap_or_default();
        out.line(&format!("  next {local} ({why})"));
    }
    if let Some(e) = &st.last_error {
        let what = if st.last_result.as_deref() == Some("partial") {
            "partial because"
        } else {
            "last error"
        };
        out.line(&format!("  {what}: {e}"));
    }
}
