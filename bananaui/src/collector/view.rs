//! What the tower shows: each job's and node's state, computed from the store
//! at a given time, worst first. Shared by the API, the metrics and the alert
//! rules, so the page, the TUI and the alerts always agree.

use super::store::{AlertRec, AlertState, CopyRec, DrillRec, JobRec, NodeRec, RunRec, WitnessRec};
use crate::api::{self, State};
use crate::config::Rules;
use proto::status::RunResult;
use std::collections::BTreeMap;

/// The job a node's subset check (a drill in mode `check`, which names
/// none) is shown under in alerts and metrics.
pub const CHECK: &str = "check";

/// The job a copy's `copy-lag` alerts and `source-lost` evidence are filed
/// under (a copy names no job).
pub const COPY: &str = "copy";

/// When a job is next due: what the node said (its schedule, jitter
/// included), else its last success (or first sighting) plus its interval.
pub fn next_due(j: &JobRec) -> Option<i64> {
    if let Some(due) = j.next_due_at {
        return Some(due);
    }
    let every = i64::try_from(j.every_secs?).ok()?;
    Some(
        j.last_success_at
            .unwrap_or(j.first_seen_at)
            .saturating_add(every),
    )
}

/// Whether a job is overdue at `now`.
pub fn overdue(j: &JobRec, rules: &Rules, now: i64) -> bool {
    next_due(j).is_some_and(|due| now > due.saturating_add(rules.grace.i()))
}

/// Whether a node is silent at `now`.
pub fn silent(n: &NodeRec, rules: &Rules, now: i64) -> bool {
    now - n.last_seen_at.unwrap_or(n.enrolled_at) > rules.silent_after.i()
}

/// A job's state.
pub fn job_state(n: &NodeRec, j: &JobRec, rules: &Rules, now: i64) -> State {
    let failed = j
        .last_run
        .as_ref()
        .is_some_and(|r| r.result != RunResult::Success);
    if failed {
        State::Failed
    } else if overdue(j, rules, now) {
        State::Late
    } else if silent(n, rules, now) {
        State::Silent
    } else if j.running.is_some() {
        State::Running
    } else if j.last_success_at.is_none() {
        State::Never
    } else {
        State::Ok
    }
}

/// A node's state: its worst job's, or `never`/`silent` without jobs.
pub fn node_state(n: &NodeRec, jobs: &[JobRec], rules: &Rules, now: i64) -> State {
    let worst = jobs.iter().map(|j| job_state(n, j, rules, now)).min();
    match worst {
        Some(s) => s,
        None if silent(n, rules, now) => State::Silent,
        None if n.reaper || n.drill_host || n.copier => State::Ok,
        None => State::Never,
    }
}

/// A job row as the API shows it.
pub fn job(n: &NodeRec, j: &JobRec, rules: &Rules, now: i64) -> api::Job {
    let last = j.last_run.as_ref();
    api::Job {
        job: j.job.clone(),
        state: job_state(n, j, rules, now),
        plugin: j.plugin.clone(),
        every_secs: j.every_secs,
        last_started_at: j.last_started_at,
        last_ended_at: last.map(|r| r.ended_at),
        last_result: last.map(|r| r.result.into()),
        last_success_at: j.last_success_at,
        duration_secs: last.map(|r| (r.ended_at - r.started_at).max(0)),
        files: last.map(|r| r.files),
        bytes_total: last.map(|r| r.bytes_total),
        bytes_stored: last.map(|r| r.bytes_stored),
        next_due_at: next_due(j),
        error: last.and_then(|r| r.error.clone()),
        warnings: last.map(|r| r.warnings),
        running: j.running.is_some(),
        repository: j.repository.clone(),
        seq: j.seq,
        last_drill: n.drills.get(&j.job).map(drill),
    }
}

/// A drill report as the API shows it.
pub fn drill(d: &DrillRec) -> api::Drill {
    api::Drill {
        by: d.by.clone(),
        at: d.at,
        received_at: d.received_at,
        passed: d.passed,
        verified_at: d.verified_at,
        snapshot: d.snapshot.clone(),
        facts: d.facts.clone(),
        error: d.error.clone(),
    }
}

/// Whether a job's runs are backups (a drill or copy job's are not): what
/// a copy must hold.
pub fn backs_up(j: &JobRec) -> bool {
    !matches!(j.plugin.as_str(), "drill" | "copy")
}

/// The end of the node's newest successful backup (success or partial),
/// over its jobs that back up.
pub fn newest_backup<'a>(jobs: impl IntoIterator<Item = &'a JobRec>) -> Option<i64> {
    jobs.into_iter()
        .filter(|j| backs_up(j))
        .filter_map(|j| j.last_success_at)
        .max()
}

/// How far a destination is behind at `now`: 0 when its newest successful
/// copy listed the source after the node's newest successful backup
/// (`newest`), else the age of the oldest successful backup that ended
/// after that listing (the newest, when the tower knows no older one).
pub fn copy_lag(c: &CopyRec, newest: Option<i64>, now: i64) -> i64 {
    let Some(newest) = newest else {
        return 0;
    };
    if c.listed_at.is_some_and(|l| l >= newest) {
        return 0;
    }
    let since = c
        .uncopied_since
        .filter(|&u| c.listed_at.is_none_or(|l| u > l))
        .map_or(newest, |u| u.min(newest));
    now.saturating_sub(since).max(0)
}

/// A copy report as the API shows it: `held` pieces of `source-lost`
/// evidence wait for an acknowledgement.
pub fn copy(c: &CopyRec, newest: Option<i64>, held: u64, rules: &Rules, now: i64) -> api::Copy {
    let lag = copy_lag(c, newest, now);
    api::Copy {
        by: c.by.clone(),
        destination: c.destination.clone(),
        at: c.at,
        received_at: c.received_at,
        result: c.result.into(),
        error: c.error.clone(),
        objects: c.objects,
        bytes: c.bytes,
        snapshots: c.snapshots,
        newest: c.newest.clone(),
        newest_at: c.newest_at,
        source_lost: c.source_lost.clone(),
        copied_at: c.copied_at,
        listed_at: c.listed_at,
        lag_secs: lag,
        lagging: lag > rules.copy_after.i(),
        source_lost_held: held,
    }
}

/// Unacknowledged `source-lost` evidence by node, then destination.
pub fn lost_held(evidence: &[WitnessRec]) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for w in evidence.iter().filter(|w| w.rule == "source-lost") {
        *out.entry(w.node.clone())
            .or_default()
            .entry(w.repository.clone())
            .or_default() += 1;
    }
    out
}

/// A run as the API shows it.
pub fn run(r: &RunRec) -> api::Run {
    api::Run {
        job: r.job.clone(),
        run: r.run.clone(),
        started_at: r.started_at,
        ended_at: r.ended_at,
        duration_secs: (r.ended_at - r.started_at).max(0),
        result: r.result.into(),
        snapshot: r.snapshot.clone(),
        files: r.files,
        bytes_read: r.bytes_read,
        bytes_added: r.bytes_added,
        bytes_stored: r.bytes_stored,
        bytes_total: r.bytes_total,
        warnings: r.warnings,
        error: r.error.clone(),
        agent: r.agent.clone(),
        received_at: r.received_at,
        storage_requests: r.storage_requests,
    }
}

/// An alert as the API shows it.
pub fn alert(a: &AlertRec) -> api::Alert {
    api::Alert {
        rule: a.rule.clone(),
        node: a.node.clone(),
        job: a.job.clone(),
        state: match a.state {
            AlertState::Firing => api::AlertState::Firing,
            AlertState::Resolved => api::AlertState::Resolved,
        },
        since: a.since,
        resolved_at: a.resolved_at,
        message: a.message.clone(),
    }
}

/// A node with its jobs, as the API lists it.
pub struct NodeView {
    /// The node.
    pub node: NodeRec,
    /// Its jobs.
    pub jobs: Vec<JobRec>,
    /// Its state.
    pub state: State,
    /// Unacknowledged `source-lost` evidence about it, by destination.
    pub lost_held: BTreeMap<String, u64>,
}

impl NodeView {
    /// The node and its job rows (worst job first) as the API shows them.
    pub fn api(&self, rules: &Rules, now: i64) -> api::Node {
        let mut jobs: Vec<api::Job> = self
            .jobs
            .iter()
            .map(|j| job(&self.node, j, rules, now))
            .collect();
        jobs.sort_by(|a, b| a.state.cmp(&b.state).then_with(|| a.job.cmp(&b.job)));
        api::Node {
            name: self.node.name.clone(),
            state: self.state,
            enrolled_at: self.node.enrolled_at,
            last_seen_at: self.node.last_seen_at,
            agent: self.node.agent.clone(),
            refused_events: self.node.refused_events,
            reaper: self.node.reaper,
            last_prune: self.node.last_prune.as_ref().map(|p| api::Prune {
                reaper: p.reaper.clone(),
                at: p.at,
                received_at: p.received_at,
                pruned_at: p.pruned_at,
                repository: p.repository.clone(),
                forgotten: p.forgotten.clone(),
                freed_bytes: p.freed_bytes,
                held: p.held.clone(),
                error: p.error.clone(),
            }),
            drill_host: self.node.drill_host,
            last_check: self.node.last_check.as_ref().map(drill),
            copier: self.node.copier,
            copies: self.copies(rules, now),
            jobs,
        }
    }

    /// The node's copies, by destination.
    fn copies(&self, rules: &Rules, now: i64) -> Vec<api::Copy> {
        let newest = newest_backup(&self.jobs);
        let mut out: Vec<api::Copy> = self
            .node
            .copies
            .iter()
            .map(|c| {
                let held = self.lost_held.get(&c.destination).copied().unwrap_or(0);
                copy(c, newest, held, rules, now)
            })
            .collect();
        out.sort_by(|a, b| a.destination.cmp(&b.destination));
        out
    }
}

/// Every node with its jobs and state, worst first (then by name), and
/// the `source-lost` evidence about it.
pub fn fleet(
    nodes: Vec<NodeRec>,
    jobs: Vec<JobRec>,
    evidence: &[WitnessRec],
    rules: &Rules,
    now: i64,
) -> Vec<NodeView> {
    let mut by_node: std::collections::HashMap<String, Vec<JobRec>> =
        std::collections::HashMap::new();
    for j in jobs {
        by_node.entry(j.node.clone()).or_default().push(j);
    }
    let mut lost = lost_held(evidence);
    let mut out: Vec<NodeView> = nodes
        .into_iter()
        .map(|n| {
            let jobs = by_node.remove(&n.name).unwrap_or_default();
            let state = node_state(&n, &jobs, rules, now);
            NodeView {
                lost_held: lost.remove(&n.name).unwrap_or_default(),
                node: n,
                jobs,
                state,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.state
            .cmp(&b.state)
            .then_with(|| a.node.name.cmp(&b.node.name))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeRec {
        NodeRec {
            name: "n".into(),
            public_key: String::new(),
            enrolled_at: 0,
            last_seen_at: Some(1000),
            agent: None,
            refused_events: None,
            reaper: false,
            last_prune: None,
            ..Default::default()
        }
    }
    fn job() -> JobRec {
        JobRec {
            every_secs: Some(100),
            first_seen_at: 900,
            ..JobRec::new("n", "j", "fs", 1000)
        }
    }
    fn run(result: RunResult) -> RunRec {
        RunRec {
            files: 1,
            ..RunRec::sample("j", "r", 990, 1000, result)
        }
    }

    #[test]
    fn states_follow_the_rules_worst_first() {
        let rules = Rules {
            grace: crate::config::Secs(10),
            silent_after: crate::config::Secs(500),
            ..Rules::default()
        };
        let n = node();
        let mut j = job();
        assert_eq!(job_state(&n, &j, &rules, 1000), State::Never);
        // Due at first sighting + 100, late after the grace.
        assert_eq!(job_state(&n, &j, &rules, 1010), State::Never);
        assert_eq!(job_state(&n, &j, &rules, 1011), State::Late);
        j.last_success_at = Some(1000);
        j.last_run = Some(run(RunResult::Success));
        assert_eq!(job_state(&n, &j, &rules, 1050), State::Ok);
        j.running = Some("r2".into());
        assert_eq!(job_state(&n, &j, &rules, 1050), State::Running);
        j.last_run = Some(run(RunResult::Partial));
        assert_eq!(job_state(&n, &j, &rules, 1050), State::Failed);
        j.last_run = Some(run(RunResult::Success));
        j.running = None;
        // The node's own due time wins over the interval: late only after
        // it plus the grace, not before.
        j.next_due_at = Some(1300);
        assert_eq!(job_state(&n, &j, &rules, 1310), State::Ok);
        assert_eq!(job_state(&n, &j, &rules, 1311), State::Late);
        j.next_due_at = None;
        j.every_secs = None;
        assert_eq!(job_state(&n, &j, &rules, 1501), State::Silent);
        assert_eq!(node_state(&n, &[], &rules, 1000), State::Never);
        let mut order = State::ALL.to_vec();
        order.sort();
        assert_eq!(order, State::ALL.to_vec());
    }
}
