//! The witness's evidence driven by signed events (issue 22): a piece of
//! evidence per job and repository, each notified, acknowledged only up to
//! when the ack was issued; `witness-lost` when a chain stops being
//! witnessed; old records of an upgraded tower still firing; and an event
//! refused with 400 leaving no trace.

use crate::harness::*;
use proto::status::{EventKind, NodeIdentity, RunResult};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const REPO_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const REPO_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A tower ticking every second, with a webhook receiver.
fn tower() -> (Tower, testkit::Receiver) {
    let hook = testkit::Receiver::start(0).unwrap();
    let t = Tower::start(&format!(
        "[alerts]\ninterval = \"1s\"\n\n[[notifier]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\ntimeout = \"120s\"\n",
        hook.port()
    ));
    (t, hook)
}

/// A signed node of the test tower.
struct Node<'a> {
    t: &'a Tower,
    name: &'static str,
    id: NodeIdentity,
}

impl<'a> Node<'a> {
    fn new(t: &'a Tower, name: &'static str) -> Node<'a> {
        Node {
            t,
            name,
            id: t.enrol(name),
        }
    }

    fn post(&self, e: &proto::status::Event) -> (u16, String) {
        self.t
            .post("/api/v1/status", &signed(&self.id, self.name, e))
    }

    fn send(&self, e: &proto::status::Event) {
        let (s, b) = self.post(e);
        assert_eq!(s, 200, "{b}");
    }

    /// A successful run of `job` that committed `snap` as `seq` in `repo`.
    fn report(&self, job: &str, repo: &str, seq: u64, prev_seq: Option<u64>, snap: &str) {
        self.send(&link(job, repo, seq, prev_seq, snap));
    }

    /// A `started` event of `job` listing the node's configured jobs.
    fn started(&self, job: &str, jobs: &[&str]) {
        let mut e = finished(job, RunResult::Success, 0);
        e.kind = EventKind::Started;
        e.result = None;
        e.ended_at = None;
        e.started_at = now();
        e.jobs = Some(jobs.iter().map(|j| (*j).to_owned()).collect());
        self.send(&e);
    }
}

fn link(
    job: &str,
    repo: &str,
    seq: u64,
    prev_seq: Option<u64>,
    snap: &str,
) -> proto::status::Event {
    let mut e = finished(job, RunResult::Success, 100);
    e.repository = Some(repo.to_owned());
    e.seq = Some(seq);
    e.prev_seq = prev_seq;
    e.snapshot = Some(snap.repeat(64 / snap.len().max(1)));
    e
}

/// The firing alerts as (rule, node, job).
fn firing(t: &Tower) -> Vec<(String, String, Option<String>)> {
    let a: bananaui::api::Alerts = t.exact("/api/v1/alerts");
    a.firing
        .into_iter()
        .map(|a| (a.rule, a.node, a.job))
        .collect()
}

fn fires(t: &Tower, rule: &str, node: &str, job: &str) -> bool {
    firing(t)
        .iter()
        .any(|(r, n, j)| r == rule && n == node && j.as_deref() == Some(job))
}

/// The webhook's messages for `rule` of `node`: (state, job, message).
fn messages(hook: &testkit::Receiver, node: &str, rule: &str) -> Vec<(String, String, String)> {
    hook.json()
        .iter()
        .filter(|m| m["alert"]["node"] == node && m["alert"]["rule"] == rule)
        .map(|m| {
            let s = |k: &str| m["alert"][k].as_str().unwrap_or("").to_owned();
            (s("state"), s("job"), s("message"))
        })
        .collect()
}

/// `bananaui alert ack NODE RULE --data DATA`, as an operator types it.
fn ack_into(data: &Path, node: &str, rule: &str) {
    let out = Command::new(bananaui())
        .args(["alert", "ack", node, rule, "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits (bounded) until the clock has passed `t`.
fn past(t: i64) {
    for _ in 0..50 {
        if now() > t {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the clock did not pass {t}");
}

/// Acceptance (issue 22, 4): one node, two jobs on two repositories. A
/// rollback of job A, then one of job B while A's is unacknowledged: two
/// notifications, one naming each job; an ack issued before B's evidence
/// arrived (applied after) resolves A's and leaves B's firing.
#[test]
fn a_second_rollback_is_its_own_evidence_and_an_earlier_ack_leaves_it() {
    let (t, hook) = tower();
    let n = Node::new(&t, "two-01");
    n.report("a", REPO_A, 1, None, "a1");
    n.report("b", REPO_B, 2, None, "b2");
    n.report("a", REPO_A, 3, Some(1), "a3");
    n.report("b", REPO_B, 4, Some(2), "b4");
    // Job A goes back in repository A.
    n.report("a", REPO_A, 3, Some(1), "a9");
    t.wait_for("A's rollback is notified", || {
        messages(&hook, "two-01", "rollback").len() == 1
    });
    let first = messages(&hook, "two-01", "rollback");
    assert_eq!(first[0].0, "firing");
    assert_eq!(first[0].1, "a");
    // The operator acknowledges what they saw, before B's evidence exists
    // (the acknowledgement file the collector writes, made here and handed
    // over once B's arrived, as if the housekeeper were that late).
    let alerts: bananaui::api::Alerts = t.exact("/api/v1/alerts");
    assert_eq!(alerts.firing.len(), 1);
    past(alerts.firing[0].since);
    let scratch = tempfile::tempdir().unwrap();
    let ack = bananaui::collector::enrol::request_ack(scratch.path(), "two-01", "rollback", now())
        .unwrap();
    past(now());
    // Job B goes back in repository B while A is unacknowledged.
    n.report("b", REPO_B, 4, Some(2), "b9");
    t.wait_for("B's rollback is notified too", || {
        messages(&hook, "two-01", "rollback").len() == 2
    });
    let m = messages(&hook, "two-01", "rollback");
    assert_eq!((m[1].0.as_str(), m[1].1.as_str()), ("firing", "b"), "{m:?}");
    assert!(m[1].2.contains("two-01/b"), "{m:?}");
    assert!(fires(&t, "rollback", "two-01", "a") && fires(&t, "rollback", "two-01", "b"));
    assert_eq!(t.metric("banana_alerts_firing{rule=\"rollback\"}"), 2.0);
    // The earlier ack reaches the tower now.
    std::fs::create_dir_all(t.data().join("pending")).unwrap();
    std::fs::copy(&ack, t.data().join("pending/two-01.rollback.ack")).unwrap();
    t.wait_for("A's rollback resolves", || {
        messages(&hook, "two-01", "rollback").len() == 3
    });
    let m = messages(&hook, "two-01", "rollback");
    assert_eq!(
        (m[2].0.as_str(), m[2].1.as_str()),
        ("resolved", "a"),
        "{m:?}"
    );
    Probe::new(&t).settle(&t, Some(&hook));
    assert_eq!(
        firing(&t),
        [("rollback".into(), "two-01".into(), Some("b".into()))]
    );
    assert_eq!(messages(&hook, "two-01", "rollback").len(), 3);
    // A fresh ack covers B.
    ack_into(&t.data(), "two-01", "rollback");
    t.wait_for("B's rollback resolves", || firing(&t).is_empty());
}

/// Issue 22, 16: a job that reported its chain reports a snapshot without
/// one: `witness-lost`, until acknowledged.
#[test]
fn a_job_that_stops_reporting_its_chain_fires_witness_lost() {
    let (t, hook) = tower();
    let n = Node::new(&t, "quiet-01");
    n.report("files", REPO_A, 1, None, "f1");
    n.report("files", REPO_A, 2, Some(1), "f2");
    // A failed run without a snapshot carries no chain: nothing lost.
    n.send(&finished("files", RunResult::Failed, 0).with_error("disk"));
    let mut e = finished("files", RunResult::Success, 100);
    e.snapshot = Some("c".repeat(64));
    n.send(&e);
    t.wait_for("witness-lost fires", || {
        fires(&t, "witness-lost", "quiet-01", "files")
    });
    // Notified once the alert is stored: after the API shows it.
    t.wait_for("witness-lost is notified", || {
        !messages(&hook, "quiet-01", "witness-lost").is_empty()
    });
    let m = messages(&hook, "quiet-01", "witness-lost");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].2.contains("no longer reports"), "{m:?}");
    assert_eq!(t.metric("banana_alerts_firing{rule=\"witness-lost\"}"), 1.0);
    // A later run back on the chain does not clear it.
    n.report("files", REPO_A, 3, Some(2), "f3");
    Probe::new(&t).settle(&t, Some(&hook));
    assert!(fires(&t, "witness-lost", "quiet-01", "files"));
    ack_into(&t.data(), "quiet-01", "witness-lost");
    t.wait_for("witness-lost resolves", || firing(&t).is_empty());
    t.wait_for("the resolution is notified", || {
        messages(&hook, "quiet-01", "witness-lost").len() >= 2
    });
    assert_eq!(messages(&hook, "quiet-01", "witness-lost").len(), 2);
}

/// Issue 22, 16: the job that reported repository A is retired while a new
/// job name reports repository B: the chain moved where the tower does not
/// follow it. Adding a job on another repository beside a kept one is fine.
#[test]
fn a_chain_moved_to_a_new_job_and_repository_fires_witness_lost() {
    let (t, hook) = tower();
    let n = Node::new(&t, "moved-02");
    n.started("files", &["files"]);
    n.report("files", REPO_A, 1, None, "f1");
    n.report("files", REPO_A, 2, Some(1), "f2");
    // A second job on another repository, the first one kept: nothing.
    n.started("home", &["files", "home"]);
    n.report("home", REPO_B, 3, Some(2), "h3");
    let probe = Probe::new(&t);
    probe.settle(&t, Some(&hook));
    assert!(firing(&t).is_empty(), "{:?}", firing(&t));
    // Both jobs gone from the config (a run that started after theirs); a
    // new one reports repository B.
    past(now());
    n.started("files2", &["files2"]);
    n.report("files2", REPO_B, 4, Some(3), "g4");
    t.wait_for("witness-lost fires", || {
        fires(&t, "witness-lost", "moved-02", "files2")
    });
    t.wait_for("witness-lost is notified", || {
        !messages(&hook, "moved-02", "witness-lost").is_empty()
    });
    let m = messages(&hook, "moved-02", "witness-lost");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].2.contains("aaaaaaaa"),
        "names the lost repository: {m:?}"
    );
    // It does not fire again for the same lost chain.
    past(now());
    n.started("files3", &["files3"]);
    n.report("files3", REPO_B, 5, Some(4), "g5");
    probe.settle(&t, Some(&hook));
    assert_eq!(messages(&hook, "moved-02", "witness-lost").len(), 1);
    assert!(!firing(&t).iter().any(|(r, ..)| r == "rollback"));
}

/// A tower upgraded in place: evidence and its alert stored by the old
/// layout (one record per node and rule) keep firing without a new
/// notification, and an ack resolves them.
#[test]
fn evidence_from_before_the_upgrade_keeps_firing() {
    let (mut t, hook) = tower();
    let _n = Node::new(&t, "old-01");
    t.kill9();
    {
        let db = sled::open(t.data().join("db")).unwrap();
        let since = now() - 100;
        db.insert(
            b"w\0old-01\0rollback",
            serde_json::to_vec(&serde_json::json!({
                "rule": "rollback", "node": "old-01", "job": "files", "repository": REPO_A,
                "message": "old-01/files: went back", "since": since}))
            .unwrap(),
        )
        .unwrap();
        db.insert(
            b"a\0rollback\0old-01\0",
            serde_json::to_vec(&serde_json::json!({
                "rule": "rollback", "node": "old-01", "job": null, "state": "firing",
                "since": since, "resolved_at": null, "message": "old-01/files: went back",
                "notified_at": since}))
            .unwrap(),
        )
        .unwrap();
        db.flush().unwrap();
    }
    t.restart();
    // Ticks of the upgraded tower, their notifications sent.
    Probe::new(&t).settle(&t, Some(&hook));
    let f = firing(&t);
    assert_eq!(f, [("rollback".into(), "old-01".into(), None)], "{f:?}");
    assert!(messages(&hook, "old-01", "rollback").is_empty());
    ack_into(&t.data(), "old-01", "rollback");
    t.wait_for("the old evidence resolves", || firing(&t).is_empty());
    t.wait_for("the resolution is notified", || {
        !messages(&hook, "old-01", "rollback").is_empty()
    });
    let m = messages(&hook, "old-01", "rollback");
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, "resolved");
}

/// Issue 22, 15: an event the writer refuses with 400 after looking at it
/// commits nothing: no run, no node update, no evidence.
#[test]
fn an_event_refused_with_400_leaves_no_trace() {
    let (mut t, _hook) = tower();
    let n = Node::new(&t, "bad-01");
    n.report("files", REPO_A, 1, None, "f1");
    let before: bananaui::api::Detail = t.exact("/api/v1/nodes/bad-01");
    let mut e = link("files", "not hex", 2, Some(1), "f2");
    e.agent = "hostile 6.6.6".into();
    e.refused = Some(7);
    let (s, b) = n.post(&e);
    assert_eq!(s, 400, "{b}");
    let after: bananaui::api::Detail = t.exact("/api/v1/nodes/bad-01");
    assert_eq!(after.runs.len(), 1, "{:?}", after.runs);
    assert_eq!(after.node.agent, before.node.agent);
    assert_eq!(after.node.refused_events, None);
    assert_eq!(after.node.last_seen_at, before.node.last_seen_at);
    assert_eq!(after.node.jobs, before.node.jobs);
    t.kill9();
    let store = t.store();
    assert_eq!(store.runs("bad-01", "files", 10).unwrap().len(), 1);
    assert!(store.witnesses().unwrap().is_empty());
}
