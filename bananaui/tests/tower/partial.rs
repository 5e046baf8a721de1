//! Issue 23, 11 (the tower's side): a `partial` run committed a snapshot, so
//! it counts as a success for `last_success_at` (its end) and the due time;
//! the API gives its warnings and first warning (in `error`), and the
//! `failed` alert says what was left out. `shrunk` still looks at full
//! successes only.

use crate::harness::*;
use proto::status::RunResult;

const WARNING: &str = "cannot read '/srv/www/locked': permission denied (skipped)";

#[test]
fn a_partial_run_counts_as_a_success_and_says_what_it_left_out() {
    let t = Tower::start("[alerts]\ninterval = \"1s\"\n");
    let id = t.enrol("part-01");
    let send = |e: &proto::status::Event| {
        let (s, b) = t.post("/api/v1/status", &signed(&id, "part-01", e));
        assert_eq!(s, 200, "{b}");
    };
    let start = now();
    let mut full = testkit::finished("files", RunResult::Success, 1000, start - 60);
    full.next_due_at = Some(start + 600);
    send(&full);
    let mut partial =
        testkit::finished("files", RunResult::Partial, 10, start - 10).with_error(WARNING);
    partial.warnings = 3;
    partial.next_due_at = Some(start + 86_400);
    send(&partial);

    let d: bananaui::api::Detail = t.exact("/api/v1/nodes/part-01");
    let j = &d.node.jobs[0];
    assert_eq!(j.last_result, Some(bananaui::api::Outcome::Partial));
    assert_eq!(j.last_success_at, Some(start - 10), "the partial run's end");
    assert_eq!(j.next_due_at, Some(start + 86_400), "its schedule counts");
    assert_eq!(j.warnings, Some(3));
    assert_eq!(j.error.as_deref(), Some(WARNING));
    assert_eq!(d.runs[0].warnings, 3);
    assert_eq!(d.runs[0].error.as_deref(), Some(WARNING));

    // The alert says it was partial, how many warnings, and the first.
    let message = || -> Option<String> {
        let a: bananaui::api::Alerts = t.exact("/api/v1/alerts");
        a.firing
            .into_iter()
            .find(|a| a.node == "part-01" && a.rule == "failed")
            .map(|a| a.message)
    };
    t.wait_for("the partial run's alert fires", || message().is_some());
    let m = message().unwrap();
    assert_eq!(
        m,
        format!("part-01/files: last run partial (3 warnings), first: {WARNING}")
    );

    // `shrunk` keeps the sizes of full successes only.
    let mut t = t;
    t.kill9();
    let job = t.store().job("part-01", "files").unwrap().unwrap();
    assert_eq!(job.recent_totals, [1000]);
    assert_eq!(job.last_success_at, Some(start - 10));
}
