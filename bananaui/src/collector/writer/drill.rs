//! A `drill` report (a restore drill of a job, or a subset check of the
//! repository): the drilled node keeps the newest per job, and the newest
//! check, which the rules `drill-failed` and `undrilled` read.

use super::super::store::{DrillRec, NodeRec, Store, Writes};
use super::{Refuse, MAX_JOBS};
use proto::status::{Event, RunResult};

/// Stores `ev` (a verified `drill` event sent by `sender`) on the node it
/// drilled: the sender itself, or for a drill host the node it names.
pub(super) fn apply_drill(
    store: &Store,
    w: &mut Writes,
    sender: &NodeRec,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    let target = if sender.drill_host {
        ev.target.as_deref().unwrap_or_default()
    } else {
        sender.name.as_str()
    };
    let found = if target.is_empty() {
        None
    } else {
        w.node(store, target)?
    };
    let Some(mut t) = found.filter(|t| !t.reaper && !t.drill_host && !t.copier) else {
        let msg = if target.is_empty() {
            "a drill host's report names the node it drilled ('target')".to_owned()
        } else {
            format!("the drill report names '{target}', which is not a node enrolled at this tower")
        };
        return Err(Refuse(422, msg));
    };
    let Some(facts) = ev.drill.clone() else {
        return Err(Refuse(400, "a drill report carries its facts".into()));
    };
    let check = facts.mode == "check";
    let new = DrillRec {
        by: sender.name.clone(),
        at: ev.at,
        received_at: now,
        passed: ev.result == Some(RunResult::Success),
        verified_at: None,
        snapshot: ev.snapshot.clone(),
        facts,
        error: ev.error.clone(),
    };
    if check {
        t.last_check = Some(newest(t.last_check.take(), new));
    } else {
        if !t.drills.contains_key(&ev.job) && t.drills.len() >= MAX_JOBS {
            // Room first from the drills of jobs the node no longer has.
            let jobs: Vec<String> = w
                .jobs_of(store, target)?
                .into_iter()
                .map(|j| j.job)
                .collect();
            t.drills.retain(|job, _| jobs.contains(job));
            if t.drills.len() >= MAX_JOBS {
                return Err(Refuse(
                    400,
                    format!("node '{target}' already has drills of {MAX_JOBS} jobs"),
                ));
            }
        }
        let old = t.drills.remove(&ev.job);
        t.drills.insert(ev.job.clone(), newest(old, new));
    }
    t.drilled_since.get_or_insert(now);
    w.put_node(&t)?;
    Ok(())
}

/// The report to keep: the newer of the two (a report delivered late from
/// a spool never hides a newer one), with `verified_at` the newest passing
/// drill of either.
fn newest(old: Option<DrillRec>, new: DrillRec) -> DrillRec {
    let passed_at = new.passed.then_some(new.at);
    let Some(old) = old else {
        return DrillRec {
            verified_at: passed_at,
            ..new
        };
    };
    let verified_at = old.verified_at.max(passed_at);
    if old.at > new.at {
        DrillRec { verified_at, ..old }
    } else {
        DrillRec { verified_at, ..new }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drill(at: i64, passed: bool) -> DrillRec {
        DrillRec {
            by: "d1".into(),
            at,
            received_at: at,
            passed,
            verified_at: None,
            snapshot: None,
            facts: Default::default(),
            error: (!passed).then(|| "damaged".into()),
        }
    }

    #[test]
    fn the_newest_report_wins_and_verified_at_keeps_the_newest_pass() {
        let a = newest(None, drill(100, true));
        assert_eq!((a.at, a.verified_at), (100, Some(100)));
        // A later failure: shown, verified_at kept.
        let b = newest(Some(a), drill(200, false));
        assert_eq!((b.at, b.passed, b.verified_at), (200, false, Some(100)));
        // A late passing report older than the failure: still the failure,
        // but it raises verified_at.
        let c = newest(Some(b.clone()), drill(150, true));
        assert_eq!((c.at, c.passed, c.verified_at), (200, false, Some(150)));
        // A late report older than verified_at changes nothing.
        assert_eq!(newest(Some(c.clone()), drill(120, true)), c);
        // A later pass replaces it.
        let d = newest(Some(c), drill(300, true));
        assert_eq!((d.at, d.passed, d.verified_at), (300, true, Some(300)));
        // Never passed: none.
        assert_eq!(newest(None, drill(5, false)).verified_at, None);
    }
}
