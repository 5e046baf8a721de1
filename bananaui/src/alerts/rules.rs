//! The alert rules (overdue, failed, silent, shrunk, never, the reaper's
//! unpruned and prune-held, the drills' drill-failed and undrilled
//! (`drill.rs`), the copies' copy-lag (`copy.rs`), and the witness's
//! rollback, repository-changed and witness-lost and a copy's source-lost,
//! which hold until acknowledged, an alert per piece of evidence) over the
//! store, and the transitions between what held and what
//! holds now: one notification per transition, plus an optional repeat.

use crate::collector::store::{AlertRec, AlertState, JobRec, NodeRec, WitnessRec, WITNESS_RULES};
use crate::collector::view;
use crate::config::{Config, Rules};
use proto::humanize::age;
use proto::status::RunResult;
use std::collections::HashMap;

/// A condition that holds now: rule, node, job, message.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Rule name.
    pub rule: &'static str,
    /// Node.
    pub node: String,
    /// Job, for job rules.
    pub job: Option<String>,
    /// Human text.
    pub message: String,
    /// The piece of evidence behind a witness rule: each is its own alert.
    pub evidence: Option<String>,
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Every condition that holds at `now`.
pub fn evaluate(
    nodes: &[NodeRec],
    jobs: &[JobRec],
    evidence: &[WitnessRec],
    cfg: &Config,
    now: i64,
) -> Vec<Condition> {
    let r = &cfg.alerts;
    // Evidence holds until acknowledged, whatever the node reports since:
    // an alert per piece, named by its job (a record of an older tower keeps
    // the alert it had, without a job).
    let mut out: Vec<Condition> = evidence
        .iter()
        .filter_map(|w| {
            Some(Condition {
                rule: WITNESS_RULES.iter().find(|r| **r == w.rule)?,
                node: w.node.clone(),
                job: w.id.as_ref().map(|_| w.job.clone()),
                message: w.message.clone(),
                evidence: w.evidence(),
            })
        })
        .collect();
    let mut by_node: HashMap<&str, Vec<&JobRec>> = HashMap::new();
    for j in jobs {
        by_node.entry(j.node.as_str()).or_default().push(j);
    }
    // `unpruned` counts from when the first reaper enrolled: a fleet
    // without one is not alerted.
    let reapers_since = nodes
        .iter()
        .filter(|n| n.reaper)
        .map(|n| n.enrolled_at)
        .min();
    for n in nodes {
        let js = by_node
            .get(n.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        // Reapers, drill hosts and copiers have no jobs: only `silent` applies.
        if n.reaper || n.drill_host || n.copier {
            if view::silent(n, r, now) {
                out.push(silent(n, now));
            }
            continue;
        }
        if let Some(since) = reapers_since {
            prune_rules(n, since, r, now, &mut out);
        }
        node_rules(n, js, r, now, &mut out);
        for j in js {
            job_rules(n, j, r, now, &mut out);
        }
        super::drill::drill_rules(n, js, r, now, &mut out);
        super::copy::copy_rules(n, js, r, now, &mut out);
    }
    out
}

fn silent(n: &NodeRec, now: i64) -> Condition {
    Condition {
        rule: "silent",
        node: n.name.clone(),
        job: None,
        message: match n.last_seen_at {
            Some(t) => format!("nothing heard from {} for {}", n.name, age(now - t)),
            None => format!(
                "nothing ever heard from {} (enrolled {} ago)",
                n.name,
                age(now - n.enrolled_at)
            ),
        },
        evidence: None,
    }
}

/// `unpruned` (no successful prune for `prune_after`, counted from the
/// later of the node's and the first reaper's enrolment) and `prune-held`
/// (the last prune held something back).
fn prune_rules(n: &NodeRec, reapers_since: i64, r: &Rules, now: i64, out: &mut Vec<Condition>) {
    let cond = |rule, message| Condition {
        rule,
        node: n.name.clone(),
        job: None,
        message,
        evidence: None,
    };
    let last = n.last_prune.as_ref();
    let since = last
        .and_then(|p| p.pruned_at)
        .unwrap_or_else(|| n.enrolled_at.max(reapers_since));
    if now - since > r.prune_after.i() {
        let what = match last.and_then(|p| p.pruned_at) {
            Some(t) => format!("last pruned {} ago", age(now - t)),
            None => "never pruned".to_owned(),
        };
        let failed = last
            .and_then(|p| p.error.as_deref())
            .map(|e| format!("; the last attempt failed: {e}"))
            .unwrap_or_default();
        out.push(cond(
            "unpruned",
            format!(
                "{}: {what} (expected within {}){failed}",
                n.name,
                age(r.prune_after.i())
            ),
        ));
    }
    if let Some(p) = last.filter(|p| !p.held.is_empty()) {
        out.push(cond(
            "prune-held",
            format!(
                "{}: the prune by {} {} ago held back {} item(s), first: {}",
                n.name,
                p.reaper,
                age(now - p.at),
                p.held.len(),
                p.held[0]
            ),
        ));
    }
}

/// `silent` and `never`.
fn node_rules(n: &NodeRec, js: &[&JobRec], r: &Rules, now: i64, out: &mut Vec<Condition>) {
    if view::silent(n, r, now) {
        out.push(silent(n, now));
    }
    if js.iter().all(|j| j.last_success_at.is_none()) && now - n.enrolled_at > r.never_after.i() {
        out.push(Condition {
            rule: "never",
            node: n.name.clone(),
            job: None,
            message: format!(
                "{} enrolled {} ago and never backed up successfully",
                n.name,
                age(now - n.enrolled_at)
            ),
            evidence: None,
        });
    }
}

/// `overdue`, `failed` and `shrunk`.
fn job_rules(n: &NodeRec, j: &JobRec, r: &Rules, now: i64, out: &mut Vec<Condition>) {
    let cond = |rule, message| Condition {
        rule,
        node: n.name.clone(),
        job: Some(j.job.clone()),
        message,
        evidence: None,
    };
    if view::overdue(j, r, now) {
        let since = match j.last_success_at {
            Some(t) => format!("last success {} ago", age(now - t)),
            None => "no success yet".to_owned(),
        };
        let every = age(i64::try_from(j.every_secs.unwrap_or(0)).unwrap_or(i64::MAX));
        out.push(cond(
            "overdue",
            format!("{}/{}: {since}, expected every {every}", n.name, j.job),
        ));
    }
    if let Some(last) = j
        .last_run
        .as_ref()
        .filter(|l| l.result != RunResult::Success)
    {
        // A partial run's error is its first warning (the agent sends it).
        let (what, err) = match (last.result, last.warnings) {
            (RunResult::Partial, 0) => ("partial".to_owned(), ": "),
            (RunResult::Partial, 1) => ("partial (1 warning)".to_owned(), ", first: "),
            (RunResult::Partial, w) => (format!("partial ({w} warnings)"), ", first: "),
            _ => ("failed".to_owned(), ": "),
        };
        let err = last
            .error
            .as_deref()
            .map(|e| format!("{err}{e}"))
            .unwrap_or_default();
        out.push(cond(
            "failed",
            format!("{}/{}: last run {what}{err}", n.name, j.job),
        ));
    }
    if let Some((last, k, m)) = shrunk(j, r) {
        out.push(cond(
            "shrunk",
            format!(
                "{}/{}: last snapshot {last} bytes, median of the {k} before {m} bytes",
                n.name, j.job
            ),
        ));
    }
}

/// A successful last run smaller than `shrink_ratio` of the median of the
/// ones before it: (its size, how many made the median, the median).
fn shrunk(j: &JobRec, r: &Rules) -> Option<(u64, usize, u64)> {
    let t = &j.recent_totals;
    let prev = t.len().saturating_sub(1);
    let k = r.shrink_runs.min(prev);
    let last_ok = j
        .last_run
        .as_ref()
        .is_some_and(|l| l.result == RunResult::Success);
    if !last_ok || k < 3 {
        return None;
    }
    let mut window: Vec<u64> = t[prev - k..prev].to_vec();
    let m = median(&mut window);
    let last = t[prev];
    (m >= r.shrink_min_bytes && (last as f64) < r.shrink_ratio * m as f64).then_some((last, k, m))
}

/// Compares what holds now with the stored alerts: new firing alerts,
/// resolutions, and firing alerts due a repeat. Returns the records to store
/// and the notifications to send.
pub fn transitions(
    stored: &[AlertRec],
    now_holding: Vec<Condition>,
    repeat: Option<i64>,
    now: i64,
) -> (Vec<AlertRec>, Vec<AlertRec>) {
    let mut by_key: HashMap<Vec<u8>, &AlertRec> = stored.iter().map(|a| (a.key(), a)).collect();
    let mut writes = Vec::new();
    let mut notify = Vec::new();
    for c in now_holding {
        let fresh = AlertRec {
            rule: c.rule.to_owned(),
            node: c.node,
            job: c.job,
            state: AlertState::Firing,
            since: now,
            resolved_at: None,
            message: c.message,
            notified_at: Some(now),
            evidence: c.evidence,
        };
        match by_key.remove(&fresh.key()) {
            Some(old) if old.state == AlertState::Firing => {
                // The message keeps its wording from when it fired (ages in
                // it would otherwise rewrite every firing alert every tick).
                let due = repeat.is_some_and(|r| old.notified_at.is_none_or(|t| now - t >= r));
                if due {
                    let mut a = old.clone();
                    a.notified_at = Some(now);
                    notify.push(a.clone());
                    writes.push(a);
                }
            }
            _ => {
                notify.push(fresh.clone());
                writes.push(fresh);
            }
        }
    }
    for old in by_key.into_values() {
        if old.state == AlertState::Firing {
            let mut a = old.clone();
            a.state = AlertState::Resolved;
            a.resolved_at = Some(now);
            a.notified_at = Some(now);
            notify.push(a.clone());
            writes.push(a);
        }
    }
    (writes, notify)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(rule: &'static str) -> Condition {
        Condition {
            rule,
            node: "n".into(),
            job: Some("j".into()),
            message: "m".into(),
            evidence: None,
        }
    }

    #[test]
    fn one_notification_per_transition_and_repeats_when_asked() {
        let (w, n) = transitions(&[], vec![cond("failed")], None, 100);
        assert_eq!((w.len(), n.len()), (1, 1));
        assert_eq!(n[0].state, AlertState::Firing);
        // Still holding: nothing new.
        let (w2, n2) = transitions(&w, vec![cond("failed")], None, 200);
        assert!(w2.is_empty() && n2.is_empty());
        // With a repeat of 50 s it is sent again.
        let (_, n3) = transitions(&w, vec![cond("failed")], Some(50), 200);
        assert_eq!(n3.len(), 1);
        // Gone: one resolve, then silence.
        let (w4, n4) = transitions(&w, vec![], None, 300);
        assert_eq!(n4.len(), 1);
        assert_eq!(n4[0].state, AlertState::Resolved);
        assert_eq!(n4[0].since, 100);
        let (w5, n5) = transitions(&w4, vec![], None, 400);
        assert!(w5.is_empty() && n5.is_empty());
        // Fires again later: a new firing.
        let (_, n6) = transitions(&w4, vec![cond("failed")], None, 500);
        assert_eq!(n6[0].state, AlertState::Firing);
        assert_eq!(n6[0].since, 500);
    }

    #[test]
    fn shrunk_needs_a_collapse_against_the_median() {
        let cfg = Config::default();
        let node = NodeRec {
            name: "n".into(),
            public_key: String::new(),
            enrolled_at: 0,
            last_seen_at: Some(100),
            agent: None,
            refused_events: None,
            reaper: false,
            last_prune: None,
            ..Default::default()
        };
        let mut job = JobRec {
            first_seen_at: 0,
            last_run: Some(crate::collector::store::RunRec {
                agent: String::new(),
                ..crate::collector::store::RunRec::sample("j", "r", 0, 100, RunResult::Success)
            }),
            last_success_at: Some(100),
            recent_totals: vec![10 << 20, 11 << 20, 9 << 20, 6 << 20],
            runs_kept: 4,
            ..JobRec::new("n", "j", "fs", 100)
        };
        let rules = |c: &[Condition]| c.iter().map(|c| c.rule).collect::<Vec<_>>();
        assert!(rules(&evaluate(
            std::slice::from_ref(&node),
            std::slice::from_ref(&job),
            &[],
            &cfg,
            200
        ))
        .is_empty());
        job.recent_totals.push(2 << 20);
        assert_eq!(
            rules(&evaluate(&[node], &[job], &[], &cfg, 200)),
            vec!["shrunk"]
        );
    }
}
