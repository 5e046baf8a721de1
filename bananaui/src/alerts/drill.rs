//! The drill rules: `drill-failed` (a job's newest drill, or the node's
//! newest subset check, found damage) and `undrilled` (no drill verified a
//! job within `drill_after`).

use super::rules::Condition;
use crate::collector::store::{DrillRec, JobRec, NodeRec};
use crate::collector::view::CHECK;
use crate::config::Rules;
use proto::humanize::age;

/// `drill-failed` and `undrilled` for node `n` and its jobs `js` (only jobs
/// the node reported count: a drill never makes a job appear).
pub(super) fn drill_rules(
    n: &NodeRec,
    js: &[&JobRec],
    r: &Rules,
    now: i64,
    out: &mut Vec<Condition>,
) {
    let cond = |rule, job: &str, message| Condition {
        rule,
        node: n.name.clone(),
        job: Some(job.to_owned()),
        message,
        evidence: None,
    };
    for j in js {
        let d = n.drills.get(&j.job);
        if let Some(d) = d.filter(|d| !d.passed) {
            out.push(cond(
                "drill-failed",
                &j.job,
                failed(n, &j.job, "drill", d, now),
            ));
        }
        if let Some(m) = undrilled(n, j, d, r, now) {
            out.push(cond("undrilled", &j.job, m));
        }
    }
    if let Some(c) = n.last_check.as_ref().filter(|c| !c.passed) {
        out.push(cond(
            "drill-failed",
            CHECK,
            failed(n, CHECK, "subset check", c, now),
        ));
    }
}

/// `web-01/files: the drill by drill-1 2h 0m ago failed: ERROR`, the error
/// as the drill sent it (it names the snapshot and the file); without one,
/// the snapshot.
fn failed(n: &NodeRec, job: &str, what: &str, d: &DrillRec, now: i64) -> String {
    let by = if d.by == n.name {
        String::new()
    } else {
        format!(" by {}", d.by)
    };
    let why = match (&d.error, &d.snapshot) {
        (Some(e), _) => format!(": {e}"),
        (None, Some(s)) => format!(" (snapshot {})", s.chars().take(8).collect::<String>()),
        (None, None) => String::new(),
    };
    format!(
        "{}/{job}: the {what}{by} {} ago failed{why}",
        n.name,
        age(now - d.at)
    )
}

/// No passing drill of job `j` within `drill_after`: counted from the
/// newest passing drill, else from when the job, the node and (unless
/// `drill_required`) the node's first drill or check reached the tower.
/// Off for a node no drill reached yet, unless `drill_required`.
fn undrilled(n: &NodeRec, j: &JobRec, d: Option<&DrillRec>, r: &Rules, now: i64) -> Option<String> {
    let start = if r.drill_required {
        n.enrolled_at
    } else {
        n.drilled_since?
    };
    let verified = d.and_then(|d| d.verified_at);
    let since = verified.unwrap_or_else(|| start.max(n.enrolled_at).max(j.first_seen_at));
    if now - since <= r.drill_after.i() {
        return None;
    }
    let what = match verified {
        Some(t) => format!("last verified by a drill {} ago", age(now - t)),
        None => "never verified by a drill".to_owned(),
    };
    Some(format!(
        "{}/{}: {what} (expected within {})",
        n.name,
        j.job,
        age(r.drill_after.i())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secs;

    fn node(drills: &[(&str, i64, bool, Option<i64>)]) -> NodeRec {
        NodeRec {
            name: "n".into(),
            enrolled_at: 0,
            drills: drills
                .iter()
                .map(|&(job, at, passed, verified_at)| {
                    let d = DrillRec {
                        by: "d1".into(),
                        at,
                        received_at: at,
                        passed,
                        verified_at,
                        snapshot: Some("1f2e3d4c5b6a".into()),
                        facts: Default::default(),
                        error: (!passed).then(|| "file /etc/x: chunk does not match".into()),
                    };
                    (job.to_owned(), d)
                })
                .collect(),
            drilled_since: (!drills.is_empty()).then_some(10),
            ..NodeRec::default()
        }
    }

    fn rules(n: &NodeRec, jobs: &[&str], required: bool, now: i64) -> Vec<(String, String)> {
        let r = Rules {
            drill_after: Secs(100),
            drill_required: required,
            ..Rules::default()
        };
        let js: Vec<JobRec> = jobs.iter().map(|j| JobRec::new("n", j, "fs", 5)).collect();
        let refs: Vec<&JobRec> = js.iter().collect();
        let mut out = Vec::new();
        drill_rules(n, &refs, &r, now, &mut out);
        out.into_iter()
            .map(|c| (c.rule.to_owned(), c.message))
            .collect()
    }

    #[test]
    fn drill_failed_carries_the_error_and_undrilled_waits_for_a_first_drill() {
        // No drill at all: off unless required (then from enrolment/first sighting).
        assert!(rules(&node(&[]), &["files"], false, 1000).is_empty());
        let r = rules(&node(&[]), &["files"], true, 1000);
        assert_eq!(r[0].0, "undrilled");
        assert!(r[0].1.contains("never verified"), "{r:?}");
        assert!(rules(&node(&[]), &["files"], true, 100).is_empty());
        // A failed drill: drill-failed with the error; undrilled counts from
        // the first drill for a job never verified.
        let n = node(&[("files", 50, false, None)]);
        let r = rules(&n, &["files", "db"], false, 100);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            r[0].1,
            "n/files: the drill by d1 50s ago failed: file /etc/x: chunk does not match"
        );
        let r = rules(&n, &["files", "db"], false, 111);
        let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["drill-failed", "undrilled", "undrilled"]);
        // Verified recently: nothing; long ago: undrilled.
        let n = node(&[("files", 500, true, Some(500))]);
        assert!(rules(&n, &["files"], false, 600).is_empty());
        let r = rules(&n, &["files"], false, 601);
        assert!(
            r[0].1.contains("last verified by a drill 1m 41s ago"),
            "{r:?}"
        );
        // A drill of a job the node does not have counts nowhere.
        assert!(rules(&n, &[], false, 10_000).is_empty());
    }
}
