//! Copies at the tower: a copier enrolled with `node add NAME --copier`
//! sends only `copy` reports, about any node; a node sends them only about
//! itself. The newest copy to each destination is in the API and in
//! `/metrics`; `copy-lag` fires per destination when a successful backup is
//! not copied within `copy_after`, and clears with a copy that listed the
//! source after it; `source-lost` is evidence: it survives later clean
//! copies and clears only with `bananaui alert ack NODE source-lost`.
//!
//! Every wait is bounded and none is a deadline: a clearing copy lists the
//! source ahead of the tower's clock (inside the 5 minute window any
//! envelope may be), so a tick that a loaded machine delays cannot see a
//! backup age past `copy_after` before it.

use crate::harness::*;
use bananaui::api::{Alert, Alerts, Copy, Detail, State};
use proto::status::{CopyFacts, Event, EventKind, NodeIdentity, RunResult};
use std::path::Path;
use std::process::Command;

const DEST: &str = "s3://copies.example.net/web-01";
const OTHER: &str = "swift://dr-site/web-01";
/// Client text a page or a terminal must show inert.
const HOSTILE: &str = "s3://x/<script>alert(1)</script>\u{202e}gnp";

fn alerts(t: &Tower, node: &str, rule: &str) -> Vec<Alert> {
    let a: Alerts = t.exact("/api/v1/alerts");
    a.firing
        .into_iter()
        .filter(|a| a.node == node && a.rule == rule)
        .collect()
}

fn firing(t: &Tower, node: &str, rule: &str) -> bool {
    !alerts(t, node, rule).is_empty()
}

/// A copy report of `target` to `dest` that listed the source `listed`
/// seconds from now (ahead of the tower's clock: it holds every backup
/// made so far), finding `lost` snapshots gone from the source.
pub fn copy(
    target: Option<&str>,
    dest: &str,
    result: RunResult,
    listed: i64,
    lost: &[&str],
) -> Event {
    let at = now();
    let run = hex::encode(rand::random::<[u8; 8]>());
    let mut e = Event::new(EventKind::Copy, &run, "", "copy", at - 3, at);
    e.ended_at = Some(at);
    e.target = target.map(str::to_owned);
    e.result = Some(result);
    e.copy = Some(CopyFacts {
        destination: dest.to_owned(),
        objects: 42,
        bytes: 7_340_032,
        snapshots: 2,
        listed_at: at + listed,
        newest: Some("5a6b7c8d".repeat(8)),
        newest_at: Some(at - 100),
        source_lost: lost.iter().map(|s| (*s).to_owned()).collect(),
    });
    if !lost.is_empty() {
        e.reason = Some("source-lost".into());
    }
    if result == RunResult::Failed {
        e.with_error("destination: 503 Slow Down")
    } else {
        e
    }
}

pub fn enrol_as(t: &Tower, name: &str, flag: &str) -> NodeIdentity {
    let id = NodeIdentity::generate();
    let code = t.code(name, &[flag]);
    let req = id.enrol_request(name, &code, now());
    let (s, b) = t.post("/api/v1/enrol", &serde_json::to_vec(&req).unwrap());
    assert_eq!(s, 201, "{b}");
    id
}

fn post(t: &Tower, id: &NodeIdentity, node: &str, e: &Event) -> (u16, String) {
    t.post("/api/v1/status", &signed(id, node, e))
}

fn ok(t: &Tower, id: &NodeIdentity, node: &str, e: &Event) {
    let (s, b) = post(t, id, node, e);
    assert_eq!(s, 200, "{b}");
}

fn copies(t: &Tower, node: &str) -> Vec<Copy> {
    let d: Detail = t.exact(&format!("/api/v1/nodes/{node}"));
    d.node.copies
}

fn ui(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(bananaui())
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn only_a_copier_copies_other_nodes_and_a_node_only_itself() {
    let t = Tower::start("[alerts]\nnever_after = \"1h\"\nsilent_after = \"1h\"\n");
    let n1 = t.enrol("n1");
    t.enrol("n2");
    // The enrolment hint names the copier's command.
    let out = ui(&["node", "add", "c1", "--copier"], &t.data());
    assert!(out.status.success());
    let hint = String::from_utf8_lossy(&out.stderr);
    assert!(
        hint.contains(
            "on the copier: bananadm copier enroll --name c1 --collector URL --collector-code bnc-"
        ),
        "{hint}"
    );
    let c1 = enrol_as(&t, "c1", "--copier");
    let r1 = enrol_as(&t, "r1", "--reaper");
    let d1 = crate::drill::enrol_drill_host(&t, "d1");
    let c2 = enrol_as(&t, "c2", "--copier");
    // A copier writes no runs.
    let (s, b) = post(&t, &c1, "c1", &finished("files", RunResult::Success, 1));
    assert_eq!(s, 403, "{b}");
    assert!(b.contains("copier"), "{b}");
    // Its report names an enrolled node, not another principal.
    for target in [Some("ghost"), None, Some("c2"), Some("r1"), Some("d1")] {
        let (s, b) = post(
            &t,
            &c1,
            "c1",
            &copy(target, DEST, RunResult::Success, 0, &[]),
        );
        assert_eq!(s, 422, "{target:?}: {b}");
    }
    // A node copies itself only.
    let (s, b) = post(
        &t,
        &n1,
        "n1",
        &copy(Some("n2"), DEST, RunResult::Success, 0, &[]),
    );
    assert_eq!(s, 403, "{b}");
    assert!(b.contains("--copier"), "{b}");
    ok(&t, &n1, "n1", &copy(None, DEST, RunResult::Success, 0, &[]));
    ok(
        &t,
        &n1,
        "n1",
        &copy(Some("n1"), OTHER, RunResult::Success, 0, &[]),
    );
    // A reaper or a drill host does not copy.
    for (id, name) in [(&r1, "r1"), (&d1, "d1")] {
        let (s, b) = post(
            &t,
            id,
            name,
            &copy(Some("n1"), DEST, RunResult::Success, 0, &[]),
        );
        assert_eq!(s, 403, "{name}: {b}");
    }
    // A destination is bounded and has no control characters.
    let long = "s".repeat(513);
    for dest in [long.as_str(), "s3://x/\u{1b}[2J", ""] {
        let (s, b) = post(
            &t,
            &c1,
            "c1",
            &copy(Some("n1"), dest, RunResult::Success, 0, &[]),
        );
        assert_eq!(s, 422, "{b}");
    }
    // A copier has no jobs and no `never`; the copies are on n1, by sender.
    ok(
        &t,
        &c2,
        "c2",
        &copy(Some("n1"), DEST, RunResult::Success, 0, &[]),
    );
    let c: Detail = t.exact("/api/v1/nodes/c2");
    assert!(c.node.copier && c.node.jobs.is_empty() && c.node.state == State::Ok);
    assert!(c.node.copies.is_empty());
    let by: Vec<(String, String)> = copies(&t, "n1")
        .into_iter()
        .map(|c| (c.destination, c.by))
        .collect();
    assert_eq!(
        by,
        [
            (DEST.to_owned(), "c2".to_owned()),
            (OTHER.to_owned(), "n1".to_owned())
        ]
    );
    // One kind of principal per code.
    let out = ui(&["node", "add", "x1", "--copier", "--drill"], &t.data());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        t.metric("banana_collector_rejected_total{reason=\"wrong_principal\"}") >= 4.0,
        "the refusals are counted"
    );
}

#[test]
fn copy_lag_fires_per_destination_and_clears_with_a_later_listing() {
    let t = Tower::start(
        "[alerts]\ninterval = \"1s\"\ncopy_after = \"3s\"\nnever_after = \"1h\"\nsilent_after = \"1h\"\n",
    );
    let n1 = t.enrol("n1");
    let n2 = t.enrol("n2");
    let c1 = enrol_as(&t, "c1", "--copier");
    let probe = Probe::new(&t);
    for (id, node) in [(&n1, "n1"), (&n2, "n2")] {
        ok(&t, id, node, &finished("files", RunResult::Success, 10));
    }
    // DEST listed the source before n1's backup; OTHER after it (ahead).
    let behind = copy(Some("n1"), DEST, RunResult::Success, -60, &[]);
    ok(&t, &c1, "c1", &behind);
    ok(
        &t,
        &c1,
        "c1",
        &copy(Some("n1"), OTHER, RunResult::Success, 240, &[]),
    );
    t.wait_for("copy-lag fires for DEST", || firing(&t, "n1", "copy-lag"));
    let a = alerts(&t, "n1", "copy-lag");
    assert_eq!(a.len(), 1, "OTHER holds the backup: {a:?}");
    assert_eq!(a[0].job.as_deref(), Some("copy"));
    assert!(
        a[0].message.starts_with("n1: backups since ")
            && a[0].message.contains(&format!(
                "are not copied to {DEST} (its last copy listed the source "
            )),
        "{}",
        a[0].message
    );
    let c = copies(&t, "n1");
    let (dest, other) = (&c[0], &c[1]);
    assert_eq!(dest.destination, DEST);
    let listed = behind.copy.as_ref().unwrap().listed_at;
    assert!(dest.lagging && dest.lag_secs > 3, "{dest:?}");
    assert_eq!(
        (
            dest.listed_at,
            dest.copied_at,
            dest.objects,
            dest.bytes,
            dest.snapshots
        ),
        (Some(listed), Some(behind.at), 42, 7_340_032, 2)
    );
    assert_eq!(dest.by, "c1");
    assert!(!other.lagging && other.lag_secs == 0, "{other:?}");
    let m = |name: &str, d: &str| t.metric(&format!("{name}{{node=\"n1\",destination=\"{d}\"}}"));
    assert!(m("banana_copy_lag_seconds", DEST) > 3.0);
    assert_eq!(m("banana_copy_lag_seconds", OTHER), 0.0);
    assert_eq!(
        m("banana_copy_listed_timestamp_seconds", DEST),
        listed as f64
    );
    assert_eq!(
        m("banana_copy_last_timestamp_seconds", DEST),
        behind.at as f64
    );
    assert_eq!(
        m("banana_copy_last_success_timestamp_seconds", DEST),
        behind.at as f64
    );
    assert_eq!(m("banana_copy_objects", DEST), 42.0);
    assert_eq!(m("banana_copy_bytes", DEST), 7_340_032.0);
    assert_eq!(m("banana_copy_source_lost", DEST), 0.0);
    assert_eq!(t.metric("banana_alerts_firing{rule=\"copy-lag\"}"), 1.0);

    // A failed copy lists nothing: still lagging. n2, which no copy
    // reached, never fires.
    ok(
        &t,
        &c1,
        "c1",
        &copy(Some("n1"), DEST, RunResult::Failed, 240, &[]),
    );
    probe.settle(&t, None);
    assert!(firing(&t, "n1", "copy-lag"));
    assert!(!firing(&t, "n2", "copy-lag"));
    let dest = copies(&t, "n1").remove(0);
    assert_eq!(
        (dest.result, dest.error.as_deref(), dest.listed_at),
        (
            bananaui::api::Outcome::Failed,
            Some("destination: 503 Slow Down"),
            Some(listed)
        )
    );
    // A copy that listed the source after the backup clears it.
    ok(
        &t,
        &c1,
        "c1",
        &copy(Some("n1"), DEST, RunResult::Success, 240, &[]),
    );
    t.wait_for("copy-lag clears", || !firing(&t, "n1", "copy-lag"));
    assert!(copies(&t, "n1")
        .iter()
        .all(|c| c.lag_secs == 0 && !c.lagging));
    // A new backup after that listing: the lag starts from it.
    ok(&t, &n1, "n1", &finished("files", RunResult::Success, 10));
    probe.settle(&t, None);
    assert!(!firing(&t, "n1", "copy-lag"), "listed ahead of it");

    // The page shows COPY.
    if let Some(dom) = crate::e2e::chromium_dom(&format!("{}/", t.url())) {
        assert!(dom.contains("<th>copy</th>"), "{dom}");
        assert!(dom.contains(r#"data-copy="ok""#), "{dom}");
    }
}

#[test]
fn copy_required_counts_from_enrolment() {
    let t = Tower::start(
        "[alerts]\ninterval = \"1s\"\ncopy_after = \"3s\"\ncopy_required = true\nnever_after = \"1h\"\nsilent_after = \"1h\"\n",
    );
    let n3 = t.enrol("n3");
    ok(&t, &n3, "n3", &finished("db", RunResult::Success, 10));
    t.wait_for("copy-lag fires without any copy", || {
        alerts(&t, "n3", "copy-lag")
            .iter()
            .any(|a| a.message.contains("no copy of its backups"))
    });
    // The node copies itself (key-file mode).
    ok(
        &t,
        &n3,
        "n3",
        &copy(None, DEST, RunResult::Success, 240, &[]),
    );
    t.wait_for("copy-lag resolves", || !firing(&t, "n3", "copy-lag"));
}

/// Waits (bounded) until the clock has passed `t`.
fn past(t: i64) {
    for _ in 0..50 {
        if now() > t {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the clock did not pass {t}");
}

#[test]
fn source_lost_is_evidence_until_acknowledged() {
    let t =
        Tower::start("[alerts]\ninterval = \"1s\"\nnever_after = \"1h\"\nsilent_after = \"1h\"\n");
    let n1 = t.enrol("n1");
    let c1 = enrol_as(&t, "c1", "--copier");
    let probe = Probe::new(&t);
    ok(&t, &n1, "n1", &finished("files", RunResult::Success, 10));
    let lost = ["1f2e3d4c".repeat(8), "9a8b7c6d".repeat(8)];
    let lost: Vec<&str> = lost.iter().map(String::as_str).collect();
    let partial = copy(Some("n1"), HOSTILE, RunResult::Partial, 240, &lost);
    ok(&t, &c1, "c1", &partial);
    t.wait_for("source-lost fires", || firing(&t, "n1", "source-lost"));
    let a = alerts(&t, "n1", "source-lost");
    assert_eq!(a.len(), 1);
    assert!(
        a[0].message.contains(&format!(
            "the copy by c1 to {HOSTILE} found 2 snapshot(s) gone from the source"
        )) && a[0].message.contains("1f2e3d4c, 9a8b7c6d"),
        "{}",
        a[0].message
    );
    // A partial copy is a successful one: no lag; the lost snapshots are on it.
    let c = copies(&t, "n1").remove(0);
    assert_eq!(
        (
            c.result,
            c.lag_secs,
            c.source_lost_held,
            c.source_lost.len()
        ),
        (bananaui::api::Outcome::Partial, 0, 1, 2)
    );
    assert_eq!(
        t.metric(&format!(
            "banana_copy_source_lost{{node=\"n1\",destination=\"{}\"}}",
            bananaui::collector::metrics::label(HOSTILE)
        )),
        2.0
    );
    // The same lost snapshots named again, then a clean copy: one piece,
    // still firing.
    ok(
        &t,
        &c1,
        "c1",
        &copy(Some("n1"), HOSTILE, RunResult::Partial, 240, &lost),
    );
    ok(
        &t,
        &c1,
        "c1",
        &copy(Some("n1"), HOSTILE, RunResult::Success, 240, &[]),
    );
    probe.settle(&t, None);
    assert_eq!(alerts(&t, "n1", "source-lost").len(), 1);
    assert_eq!(copies(&t, "n1")[0].source_lost_held, 1);
    // The operator acknowledges it, as for a rollback.
    past(partial.at + 1);
    let out = ui(&["alert", "ack", "n1", "source-lost"], &t.data());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 piece(s)"));
    t.wait_for("source-lost clears", || !firing(&t, "n1", "source-lost"));
    assert_eq!(copies(&t, "n1")[0].source_lost_held, 0);
    let out = ui(&["alert", "ack", "n1", "source-lost"], &t.data());
    assert_eq!(out.status.code(), Some(2), "nothing left to acknowledge");
}
