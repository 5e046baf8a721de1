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
            let schedule = job
                .schedule
                .as_ref()
                .map_or("by hand".to_owned(), |sc| sc.describe());
            let t = |v: Option<i64>| v.map(common::humanize::rfc3339);
            if out.json {
                out.json_line(&json!({
                    "message_type": "job", "job": job.name, "plugin": job.plugin.name(),
                    "schedule": schedule, "last_result": st.last_result, "last_error": st.last_error,
                    "last_code": st.last_code, "last_started_at": st.last_start, "last_ended_at": st.last_end,
                    "last_success_at": st.last_success, "last_snapshot": st.last_snapshot,
                    "failures": st.failures, "running": running,
                    "next_due_at": next, "next_due": t(next), "due": next.is_some_and(|d| d <= now),
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
                    t(st.last_success).unwrap_or_else(|| "-".into()),
                ));
                if let Some(e) = &st.last_error {
                    out.line(&format!("  last error: {e}"));
                }
            }
        }
        out.summary(
            json!({"command": "jobs", "count": jobs.len()}),
            &format!("{} jobs configured in {}", jobs.len(), s.config_name()),
        );
        Ok(Status::Ok)
    }
}
