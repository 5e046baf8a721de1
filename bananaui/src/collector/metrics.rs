//! `/metrics` in Prometheus text format: per job its last success, result,
//! duration, sizes, state and newest drill; per node and destination its
//! newest copy; nodes by state; firing alerts by rule; the collector's own
//! counters.

use super::routes::App;
use super::store::{AlertState, CopyRec, DrillRec, JobRec};
use super::view::{self, NodeView};
use crate::api::State;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

type Get = fn(&JobRec) -> Option<f64>;

/// The per-job gauges: name, help, value.
const PER_JOB: [(&str, &str, Get); 6] = [
    (
        "banana_job_last_success_timestamp_seconds",
        "End of the last successful run.",
        |j| j.last_success_at.map(|t| t as f64),
    ),
    (
        "banana_job_last_run_timestamp_seconds",
        "End of the last run.",
        |j| j.last_run.as_ref().map(|r| r.ended_at as f64),
    ),
    (
        "banana_job_last_run_success",
        "1 if the last run succeeded, 0 if it failed or was partial.",
        |j| {
            j.last_run
                .as_ref()
                .map(|r| f64::from(u8::from(r.result == proto::status::RunResult::Success)))
        },
    ),
    (
        "banana_job_last_run_duration_seconds",
        "Duration of the last run.",
        |j| {
            j.last_run
                .as_ref()
                .map(|r| (r.ended_at - r.started_at).max(0) as f64)
        },
    ),
    (
        "banana_job_last_run_bytes_total",
        "Logical size of the last run's snapshot.",
        |j| j.last_run.as_ref().map(|r| r.bytes_total as f64),
    ),
    (
        "banana_job_last_run_bytes_stored",
        "Bytes the last run wrote to storage.",
        |j| j.last_run.as_ref().map(|r| r.bytes_stored as f64),
    ),
];

type DrillGet = fn(&DrillRec) -> Option<f64>;

/// The per-drill gauges (per node and job; a node's subset check as job
/// `check`): name, help, value.
const PER_DRILL: [(&str, &str, DrillGet); 6] = [
    (
        "banana_drill_last_timestamp_seconds",
        "When the newest drill ran (the subset check as job \"check\").",
        |d| Some(d.at as f64),
    ),
    (
        "banana_drill_last_success_timestamp_seconds",
        "When the newest passing drill ran.",
        |d| d.verified_at.map(|t| t as f64),
    ),
    (
        "banana_drill_passed",
        "1 if the newest drill passed, 0 if it found damage.",
        |d| Some(f64::from(u8::from(d.passed))),
    ),
    (
        "banana_drill_verified_bytes",
        "Bytes the newest drill verified.",
        |d| Some(d.facts.bytes as f64),
    ),
    (
        "banana_drill_restore_rate_bytes_per_second",
        "Restore rate the newest drill measured.",
        |d| d.facts.rate_bps.map(|v| v as f64),
    ),
    (
        "banana_drill_rto_seconds",
        "How long a full restore of the drilled snapshot would take at that rate.",
        |d| d.facts.rto_secs.map(|v| v as f64),
    ),
];

/// A copy's gauge: the record, the node's newest backup and `now` give the value.
type CopyGet = fn(&CopyRec, Option<i64>, i64) -> Option<f64>;

/// The per-copy gauges (per node and destination): name, help, value.
const PER_COPY: [(&str, &str, CopyGet); 7] = [
    (
        "banana_copy_last_timestamp_seconds",
        "When the newest copy to the destination ran.",
        |c, _, _| Some(c.at as f64),
    ),
    (
        "banana_copy_last_success_timestamp_seconds",
        "When the newest successful copy (success or partial) ran.",
        |c, _, _| c.copied_at.map(|t| t as f64),
    ),
    (
        "banana_copy_listed_timestamp_seconds",
        "When the newest successful copy listed the source.",
        |c, _, _| c.listed_at.map(|t| t as f64),
    ),
    (
        "banana_copy_lag_seconds",
        "Age of the oldest successful backup not yet copied (0: all copied).",
        |c, newest, now| Some(view::copy_lag(c, newest, now) as f64),
    ),
    (
        "banana_copy_objects",
        "Objects the newest copy wrote.",
        |c, _, _| Some(c.objects as f64),
    ),
    (
        "banana_copy_bytes",
        "Bytes the newest copy wrote.",
        |c, _, _| Some(c.bytes as f64),
    ),
    (
        "banana_copy_source_lost",
        "Snapshots the newest copy found lost at the source.",
        |c, _, _| Some(c.source_lost.len() as f64),
    ),
];

fn family(m: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(m, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The metrics page.
pub fn render(app: &App) -> anyhow::Result<String> {
    let now = proto::unix_now();
    let fleet = app.fleet()?;
    let mut m = String::new();
    jobs(&mut m, &fleet, app, now);
    drills(&mut m, &fleet);
    copies(&mut m, &fleet, now);
    nodes(&mut m, &fleet);
    alerts(&mut m, app)?;
    collector(&mut m, app);
    Ok(m)
}

fn jobs(m: &mut String, fleet: &[NodeView], app: &App, now: i64) {
    for (name, help, get) in PER_JOB {
        family(m, name, "gauge", help);
        for n in fleet {
            for j in &n.jobs {
                if let Some(v) = get(j) {
                    let _ = writeln!(
                        m,
                        "{name}{{node=\"{}\",job=\"{}\"}} {v}",
                        label(&n.node.name),
                        label(&j.job)
                    );
                }
            }
        }
    }
    family(
        m,
        "banana_job_state",
        "gauge",
        "1 for the job's current state.",
    );
    for n in fleet {
        for j in &n.jobs {
            let s = view::job_state(&n.node, j, &app.cfg.alerts, now);
            let _ = writeln!(
                m,
                "banana_job_state{{node=\"{}\",job=\"{}\",state=\"{}\"}} 1",
                label(&n.node.name),
                label(&j.job),
                s.name()
            );
        }
    }
}

/// The newest drill of each job a node reported, and its subset check.
fn drills(m: &mut String, fleet: &[NodeView]) {
    let mut drilled: Vec<(String, String, &DrillRec)> = Vec::new();
    for n in fleet {
        let node = label(&n.node.name);
        for j in &n.jobs {
            if let Some(d) = n.node.drills.get(&j.job) {
                drilled.push((node.clone(), label(&j.job), d));
            }
        }
        if let Some(c) = &n.node.last_check {
            drilled.push((node, view::CHECK.to_owned(), c));
        }
    }
    for (name, help, get) in PER_DRILL {
        family(m, name, "gauge", help);
        for (node, job, d) in &drilled {
            if let Some(v) = get(d) {
                let _ = writeln!(m, "{name}{{node=\"{node}\",job=\"{job}\"}} {v}");
            }
        }
    }
}

/// The newest copy of each node to each destination.
fn copies(m: &mut String, fleet: &[NodeView], now: i64) {
    let copied: Vec<(String, Option<i64>, &CopyRec)> = fleet
        .iter()
        .flat_map(|n| {
            let node = label(&n.node.name);
            let newest = view::newest_backup(&n.jobs);
            n.node.copies.iter().map(move |c| (node.clone(), newest, c))
        })
        .collect();
    for (name, help, get) in PER_COPY {
        family(m, name, "gauge", help);
        for (node, newest, c) in &copied {
            if let Some(v) = get(c, *newest, now) {
                let _ = writeln!(
                    m,
                    "{name}{{node=\"{node}\",destination=\"{}\"}} {v}",
                    label(&c.destination)
                );
            }
        }
    }
}

fn nodes(m: &mut String, fleet: &[NodeView]) {
    family(m, "banana_nodes", "gauge", "Enrolled nodes by state.");
    let mut counts: BTreeMap<&str, u64> = State::ALL.iter().map(|s| (s.name(), 0)).collect();
    for n in fleet {
        *counts.entry(n.state.name()).or_default() += 1;
    }
    for (s, c) in counts {
        let _ = writeln!(m, "banana_nodes{{state=\"{s}\"}} {c}");
    }
    family(
        m,
        "banana_node_refused_events",
        "gauge",
        "Status events the tower refused that a node keeps aside.",
    );
    for n in fleet {
        if let Some(r) = n.node.refused_events {
            let _ = writeln!(
                m,
                "banana_node_refused_events{{node=\"{}\"}} {r}",
                label(&n.node.name)
            );
        }
    }
    prunes(m, fleet);
}

/// The newest prune a reaper reported per node.
fn prunes(m: &mut String, fleet: &[NodeView]) {
    let pruned: Vec<(String, &crate::collector::store::PruneRec)> = fleet
        .iter()
        .filter_map(|n| Some((label(&n.node.name), n.node.last_prune.as_ref()?)))
        .collect();
    family(
        m,
        "banana_node_last_prune_timestamp_seconds",
        "gauge",
        "When a reaper last pruned the node's repository without error (Unix seconds).",
    );
    for (node, p) in &pruned {
        if let Some(t) = p.pruned_at {
            let _ = writeln!(
                m,
                "banana_node_last_prune_timestamp_seconds{{node=\"{node}\"}} {t}"
            );
        }
    }
    family(
        m,
        "banana_node_prune_freed_bytes",
        "gauge",
        "Bytes of packs the node's last prune deleted.",
    );
    for (node, p) in &pruned {
        let _ = writeln!(
            m,
            "banana_node_prune_freed_bytes{{node=\"{node}\"}} {}",
            p.freed_bytes
        );
    }
    family(
        m,
        "banana_node_prune_held",
        "gauge",
        "Items the node's last prune held back.",
    );
    for (node, p) in &pruned {
        let _ = writeln!(
            m,
            "banana_node_prune_held{{node=\"{node}\"}} {}",
            p.held.len()
        );
    }
}

fn alerts(m: &mut String, app: &App) -> anyhow::Result<()> {
    family(m, "banana_alerts_firing", "gauge", "Firing alerts by rule.");
    let mut by_rule: BTreeMap<String, u64> = [
        "overdue",
        "failed",
        "silent",
        "shrunk",
        "never",
        "rollback",
        "repository-changed",
        "witness-lost",
        "unpruned",
        "prune-held",
        "drill-failed",
        "undrilled",
        "copy-lag",
        "source-lost",
    ]
    .iter()
    .map(|r| ((*r).to_owned(), 0))
    .collect();
    for a in app.store.alerts()? {
        if a.state == AlertState::Firing {
            *by_rule.entry(a.rule).or_default() += 1;
        }
    }
    for (r, c) in by_rule {
        let _ = writeln!(m, "banana_alerts_firing{{rule=\"{}\"}} {c}", label(&r));
    }
    Ok(())
}

fn collector(m: &mut String, app: &App) {
    let st = &app.writer.stats;
    for (name, help, v) in [
        (
            "banana_collector_ingested_total",
            "Events stored.",
            &st.stored,
        ),
        (
            "banana_collector_duplicates_total",
            "Events received again (already stored).",
            &st.duplicates,
        ),
        (
            "banana_collector_commits_total",
            "Group commits to disk.",
            &st.commits,
        ),
    ] {
        family(m, name, "counter", help);
        let _ = writeln!(m, "{name} {}", v.load(Ordering::Relaxed));
    }
    family(
        m,
        "banana_collector_rejected_total",
        "counter",
        "Requests refused, by reason.",
    );
    let rejected = app.rejected.lock().map(|r| r.clone()).unwrap_or_default();
    for (reason, c) in rejected {
        let _ = writeln!(
            m,
            "banana_collector_rejected_total{{reason=\"{reason}\"}} {c}"
        );
    }
    let _ = writeln!(
        m,
        "banana_collector_rejected_total{{reason=\"writer\"}} {}",
        st.refused_statuses.load(Ordering::Relaxed) + st.refused_enrolments.load(Ordering::Relaxed)
    );
    family(
        m,
        "banana_collector_open_connections",
        "gauge",
        "Connections open now.",
    );
    let _ = writeln!(
        m,
        "banana_collector_open_connections {}",
        app.gauges.open.load(Ordering::Relaxed)
    );
    family(
        m,
        "banana_collector_start_time_seconds",
        "gauge",
        "When the collector started.",
    );
    let _ = writeln!(m, "banana_collector_start_time_seconds {}", app.started_at);
}

/// A Prometheus label value: backslash, quote and newline escaped.
pub fn label(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}
