//! Ingest as one unit per event (issue 22): an event refused with 400
//! leaves no trace.

use crate::harness::*;
use common::status::{NodeIdentity, RunResult};

const REPO_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

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

    fn post(&self, e: &common::status::Event) -> (u16, String) {
        self.t.post("/api/v1/status", &seal(&self.id, self.name, e))
    }

    fn send(&self, e: &common::status::Event) {
        let (s, b) = self.post(e);
        assert_eq!(s, 200, "{b}");
    }

    /// A successful run of `job` that committed `snap` as `seq` in `repo`.
    fn report(&self, job: &str, repo: &str, seq: u64, prev_seq: Option<u64>, snap: &str) {
        self.send(&link(job, repo, seq, prev_seq, snap));
    }
}

fn link(
    job: &str,
    repo: &str,
    seq: u64,
    prev_seq: Option<u64>,
    snap: &str,
) -> common::status::Event {
    let mut e = finished(job, RunResult::Success, 100);
    e.repository = Some(repo.to_owned());
    e.seq = Some(seq);
    e.prev_seq = prev_seq;
    e.snapshot = Some(snap.repeat(64 / snap.len().max(1)));
    e
}

/// Issue 22, 15: an event the writer refuses with 400 after looking at it
/// commits nothing: no run, no node update, no evidence.
#[test]
fn an_event_refused_with_400_leaves_no_trace() {
    let mut t = Tower::start("");
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
