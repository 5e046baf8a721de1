//! Drills at the tower (issue 26, item 5): a drill host enrolled with `node
//! add NAME --drill` sends only `drill` reports, about any node; a node sends
//! them only about itself. The newest drill of each job is in the API and in
//! `/metrics`; `drill-failed` fires with the drill's own error and resolves
//! with a passing drill; `undrilled` fires for a job no drill verified within
//! `drill_after`, and stays off for a node no drill reached unless
//! `drill_required`.
//!
//! Every wait is bounded and none is a deadline: passing drills are dated
//! ahead of the tower's clock (inside the 5 minute window any envelope may
//! be), so a tick that a loaded machine delays cannot see one age past
//! `drill_after`.

use crate::harness::*;
use bananaui::api::{Alert, Alerts, Detail, Job};
use proto::status::{DrillFacts, Event, EventKind, NodeIdentity, RunResult};

const DAMAGE: &str =
    "snapshot 1f2e3d4c: /srv/www/index.html: chunk 9ab1c2d3 does not match its hash";

fn alert(t: &Tower, node: &str, rule: &str, job: &str) -> Option<Alert> {
    let a: Alerts = t.exact("/api/v1/alerts");
    a.firing
        .into_iter()
        .find(|a| a.node == node && a.rule == rule && a.job.as_deref() == Some(job))
}

fn firing(t: &Tower, node: &str, rule: &str) -> bool {
    let a: Alerts = t.exact("/api/v1/alerts");
    a.firing.iter().any(|a| a.node == node && a.rule == rule)
}

/// A drill report of `job` (`""`: a subset check) naming `target`, dated
/// `ahead` seconds past now.
pub fn drill(job: &str, target: Option<&str>, passed: bool, ahead: i64) -> Event {
    let at = now() + ahead;
    let run = hex::encode(rand::random::<[u8; 8]>());
    let mut e = Event::new(EventKind::Drill, &run, job, "fs", at - 2, at);
    e.target = target.map(str::to_owned);
    e.snapshot = Some("1f2e3d4c".repeat(8));
    e.result = Some(if passed {
        RunResult::Success
    } else {
        RunResult::Failed
    });
    e.drill = Some(DrillFacts {
        mode: if job.is_empty() { "check" } else { "drill" }.into(),
        sample: Some("1%".into()),
        files: 120,
        bytes: 52_428_800,
        packs: 7,
        elapsed_ms: 1700,
        rate_bps: Some(31_457_280),
        rto_secs: Some(180),
        snapshot_bytes: 5_242_880_000,
        ..DrillFacts::default()
    });
    if passed {
        e
    } else {
        e.with_error(DAMAGE)
    }
}

pub fn enrol_drill_host(t: &Tower, name: &str) -> NodeIdentity {
    let id = NodeIdentity::generate();
    let code = t.code(name, &["--drill"]);
    let req = id.enrol_request(name, &code, now());
    let (s, b) = t.post("/api/v1/enrol", &serde_json::to_vec(&req).unwrap());
    assert_eq!(s, 201, "{b}");
    id
}

fn post(t: &Tower, id: &NodeIdentity, node: &str, e: &Event) -> (u16, String) {
    t.post("/api/v1/status", &signed(id, node, e))
}

fn job(t: &Tower, node: &str, job: &str) -> Job {
    let d: Detail = t.exact(&format!("/api/v1/nodes/{node}"));
    d.node.jobs.into_iter().find(|j| j.job == job).unwrap()
}

/// Who may send drills: 403 for a drill host's run report and for a node's
/// drill of another node, 422 for a drill host's report naming no node, an
/// unknown node or another drill host.
fn principals(t: &Tower, n1: &NodeIdentity, d1: &NodeIdentity) {
    let (s, b) = post(t, d1, "d1", &finished("files", RunResult::Success, 1));
    assert_eq!(s, 403, "a drill host may not report runs: {b}");
    assert!(b.contains("drill host"), "{b}");
    for target in [Some("ghost"), None, Some("d1")] {
        let (s, b) = post(t, d1, "d1", &drill("files", target, true, 0));
        assert_eq!(s, 422, "{target:?}: {b}");
    }
    let (s, b) = post(t, n1, "n1", &drill("files", Some("n2"), true, 0));
    assert_eq!(s, 403, "a node drills only itself: {b}");
    assert!(b.contains("--drill"), "{b}");
    // --reaper and --drill: one or the other.
    let out = std::process::Command::new(bananaui())
        .args(["node", "add", "x1", "--reaper", "--drill", "--data"])
        .arg(t.data())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_drill_host_drills_any_node_and_drill_failed_and_undrilled_fire_and_resolve() {
    let t = Tower::start(
        "[alerts]\ninterval = \"1s\"\ndrill_after = \"3s\"\nnever_after = \"1h\"\nsilent_after = \"1h\"\n",
    );
    let n1 = t.enrol("n1");
    let n2 = t.enrol("n2");
    let probe = Probe::new(&t);
    for (id, node, j) in [(&n1, "n1", "files"), (&n2, "n2", "etc")] {
        let (s, b) = post(&t, id, node, &finished(j, RunResult::Success, 10));
        assert_eq!(s, 200, "{b}");
    }
    let d1 = enrol_drill_host(&t, "d1");
    principals(&t, &n1, &d1);
    // No drill reached the tower yet: however long, no undrilled.
    std::thread::sleep(std::time::Duration::from_secs(4));
    probe.settle(&t, None);
    assert!(!firing(&t, "n1", "undrilled") && !firing(&t, "n2", "undrilled"));

    // The drill host finds damage in n1's files: drill-failed carries its
    // error; n1 is drilled from now on, and its never-verified job undrilled.
    let (s, b) = post(&t, &d1, "d1", &drill("files", Some("n1"), false, 0));
    assert_eq!(s, 200, "{b}");
    t.wait_for("drill-failed fires", || {
        alert(&t, "n1", "drill-failed", "files").is_some()
    });
    let a = alert(&t, "n1", "drill-failed", "files").unwrap();
    assert!(
        a.message.starts_with("n1/files: the drill by d1 ") && a.message.ends_with(DAMAGE),
        "{}",
        a.message
    );
    let d = job(&t, "n1", "files")
        .last_drill
        .expect("the drill is on the job");
    assert_eq!(
        (d.by.as_str(), d.passed, d.verified_at, d.error.as_deref()),
        ("d1", false, None, Some(DAMAGE))
    );
    assert_eq!(d.facts.files, 120);
    t.wait_for("undrilled fires", || {
        alert(&t, "n1", "undrilled", "files").is_some()
    });
    assert_eq!(
        t.metric("banana_drill_passed{node=\"n1\",job=\"files\"}"),
        0.0
    );

    // n1 drills itself and passes: both resolve.
    let pass = drill("files", None, true, 240);
    let (s, b) = post(&t, &n1, "n1", &pass);
    assert_eq!(s, 200, "{b}");
    t.wait_for("drill-failed and undrilled resolve", || {
        !firing(&t, "n1", "drill-failed") && !firing(&t, "n1", "undrilled")
    });
    let d = job(&t, "n1", "files").last_drill.unwrap();
    assert_eq!(
        (d.by.as_str(), d.passed, d.verified_at),
        ("n1", true, Some(pass.at))
    );
    let m = |name: &str| t.metric(&format!("{name}{{node=\"n1\",job=\"files\"}}"));
    assert_eq!(m("banana_drill_passed"), 1.0);
    assert_eq!(m("banana_drill_last_timestamp_seconds"), pass.at as f64);
    assert_eq!(
        m("banana_drill_last_success_timestamp_seconds"),
        pass.at as f64
    );
    assert_eq!(m("banana_drill_verified_bytes"), 52_428_800.0);
    assert_eq!(
        m("banana_drill_restore_rate_bytes_per_second"),
        31_457_280.0
    );
    assert_eq!(m("banana_drill_rto_seconds"), 180.0);

    // A failure dated before that pass, delivered late: kept out.
    let (s, _) = post(&t, &d1, "d1", &drill("files", Some("n1"), false, 0));
    assert_eq!(s, 200);
    probe.settle(&t, None);
    assert!(
        !firing(&t, "n1", "drill-failed"),
        "a late drill hides nothing"
    );
    assert!(job(&t, "n1", "files").last_drill.unwrap().passed);

    // The subset check: a node names itself, and it fires as job "check".
    let (s, b) = post(&t, &n1, "n1", &drill("", Some("n1"), false, 0));
    assert_eq!(s, 200, "{b}");
    t.wait_for("the check's drill-failed", || {
        alert(&t, "n1", "drill-failed", "check").is_some_and(|a| a.message.contains(DAMAGE))
    });
    let d: Detail = t.exact("/api/v1/nodes/n1");
    let c = d.node.last_check.expect("the check is on the node");
    assert_eq!(
        (c.passed, c.facts.mode.as_str(), c.facts.packs),
        (false, "check", 7)
    );
    let (s, _) = post(&t, &n1, "n1", &drill("", None, true, 250));
    assert_eq!(s, 200);
    t.wait_for("the check's drill-failed resolves", || {
        !firing(&t, "n1", "drill-failed")
    });

    // n2 was never drilled: no undrilled (drill_required is off). The drill
    // host has no jobs: ok, never `never`.
    probe.settle(&t, None);
    assert!(!firing(&t, "n2", "undrilled"));
    let h: Detail = t.exact("/api/v1/nodes/d1");
    assert!(h.node.drill_host && h.node.state == bananaui::api::State::Ok);
    assert!(!firing(&t, "d1", "never") && !firing(&t, "d1", "undrilled"));

    // The page shows VERIFIED.
    if let Some(dom) = crate::e2e::chromium_dom(&format!("{}/", t.url())) {
        assert!(dom.contains("<th>verified</th>"), "{dom}");
        assert!(dom.contains(r#"data-verified="passed""#), "{dom}");
    }
}

#[test]
fn drill_required_counts_undrilled_from_enrolment() {
    let t = Tower::start(
        "[alerts]\ninterval = \"1s\"\ndrill_after = \"3s\"\ndrill_required = true\nnever_after = \"1h\"\nsilent_after = \"1h\"\n",
    );
    let n3 = t.enrol("n3");
    let (s, b) = post(&t, &n3, "n3", &finished("db", RunResult::Success, 10));
    assert_eq!(s, 200, "{b}");
    t.wait_for("undrilled fires without any drill", || {
        alert(&t, "n3", "undrilled", "db").is_some_and(|a| a.message.contains("never verified"))
    });
    let (s, b) = post(&t, &n3, "n3", &drill("db", None, true, 240));
    assert_eq!(s, 200, "{b}");
    t.wait_for("undrilled resolves", || !firing(&t, "n3", "undrilled"));
}
