//! The reaper at the tower (issue 25, acceptance 6): a principal enrolled
//! with `node add NAME --reaper` sends only `prune` reports and a node never
//! does; `unpruned` fires for a node no reaper pruned within `prune_after`
//! (only once a reaper is enrolled) and resolves with a report; `prune-held`
//! fires while the last report held something back.
//!
//! Every wait is bounded and none is a deadline: the reports are dated ahead
//! of the tower's clock (inside the 5 minute window any envelope may be), so
//! a tick that a loaded machine delays cannot see one age past `prune_after`.

use crate::harness::*;
use proto::status::{Event, EventKind, NodeIdentity, RunResult};

fn firing(t: &Tower, node: &str, rule: &str) -> bool {
    let a: bananaui::api::Alerts = t.exact("/api/v1/alerts");
    a.firing.iter().any(|a| a.node == node && a.rule == rule)
}

/// A `prune` report of `target`, dated `ahead` seconds past now.
fn report(target: &str, held: &[&str], freed: u64, ahead: i64) -> Event {
    let at = now() + ahead;
    let mut e = Event::new(
        EventKind::Prune,
        &hex::encode(rand::random::<[u8; 8]>()),
        "prune",
        "reaper",
        at,
        at,
    );
    e.target = Some(target.to_owned());
    e.repository = Some("ab".repeat(32));
    e.forgotten = Some(vec![3, 4, 5]);
    e.freed_bytes = Some(freed);
    e.held = Some(held.iter().map(|h| (*h).to_owned()).collect());
    e
}

fn enrol_reaper(t: &Tower, name: &str) -> NodeIdentity {
    let id = NodeIdentity::generate();
    let code = t.code(name, &["--reaper"]);
    let req = id.enrol_request(name, &code, now());
    let (s, b) = t.post("/api/v1/enrol", &serde_json::to_vec(&req).unwrap());
    assert_eq!(s, 201, "{b}");
    id
}

#[test]
fn only_a_reaper_reports_prunes_and_unpruned_and_prune_held_fire_and_resolve() {
    let t = Tower::start(
        "[alerts]\ninterval = \"1s\"\nprune_after = \"3s\"\nnever_after = \"1h\"\nsilent_after = \"1h\"\n",
    );
    let node = t.enrol("web-01");
    let probe = Probe::new(&t);
    let ok = finished("files", RunResult::Success, 10);
    assert_eq!(
        t.post("/api/v1/status", &signed(&node, "web-01", &ok)).0,
        200
    );
    // No reaper yet: however long unpruned, nothing fires.
    std::thread::sleep(std::time::Duration::from_secs(4));
    probe.settle(&t, None);
    assert!(!firing(&t, "web-01", "unpruned"), "no reaper, no unpruned");

    let reaper = enrol_reaper(&t, "reaper-1");
    // A node's prune report and a reaper's run report: refused, 403.
    let (s, b) = t.post(
        "/api/v1/status",
        &signed(&node, "web-01", &report("web-01", &[], 1, 0)),
    );
    assert_eq!(s, 403, "a node may not report prunes: {b}");
    assert!(b.contains("--reaper"), "{b}");
    let (s, b) = t.post("/api/v1/status", &signed(&reaper, "reaper-1", &ok));
    assert_eq!(s, 403, "a reaper may not report runs: {b}");
    // Names a node this tower does not know, or a reaper: refused for good.
    for target in ["ghost", "reaper-1"] {
        let (s, b) = t.post(
            "/api/v1/status",
            &signed(&reaper, "reaper-1", &report(target, &[], 1, 0)),
        );
        assert_eq!(s, 422, "{target}: {b}");
    }

    // prune_after since the reaper enrolled: unpruned fires (for the
    // node, not the reaper, which has no repository).
    t.wait_for("unpruned fires", || firing(&t, "web-01", "unpruned"));
    assert!(!firing(&t, "reaper-1", "unpruned") && !firing(&t, "reaper-1", "never"));

    let held = "snapshot 1f2e3d4c: its date is 3h from its claim (skew); kept";
    let (s, b) = t.post(
        "/api/v1/status",
        &signed(&reaper, "reaper-1", &report("web-01", &[held], 4096, 240)),
    );
    assert_eq!(s, 200, "{b}");
    t.wait_for("unpruned resolves, prune-held fires", || {
        !firing(&t, "web-01", "unpruned") && firing(&t, "web-01", "prune-held")
    });
    let d: bananaui::api::Detail = t.exact("/api/v1/nodes/web-01");
    let p = d.node.last_prune.expect("the report is on the node");
    assert_eq!(
        (p.reaper.as_str(), p.forgotten, p.freed_bytes, p.held),
        ("reaper-1", vec![3, 4, 5], 4096, vec![held.to_owned()])
    );
    assert_eq!(
        t.metric("banana_node_prune_freed_bytes{node=\"web-01\"}"),
        4096.0
    );
    assert_eq!(t.metric("banana_node_prune_held{node=\"web-01\"}"), 1.0);
    let r: bananaui::api::Detail = t.exact("/api/v1/nodes/reaper-1");
    assert!(r.node.reaper && r.node.state == bananaui::api::State::Ok);

    // An older report delivered late changes nothing; a newer clean one
    // resolves prune-held.
    let (s, _) = t.post(
        "/api/v1/status",
        &signed(&reaper, "reaper-1", &report("web-01", &[], 1, 0)),
    );
    assert_eq!(s, 200);
    probe.settle(&t, None);
    assert!(
        firing(&t, "web-01", "prune-held"),
        "an older report hides nothing"
    );
    let (s, _) = t.post(
        "/api/v1/status",
        &signed(&reaper, "reaper-1", &report("web-01", &[], 0, 280)),
    );
    assert_eq!(s, 200);
    t.wait_for("prune-held resolves", || {
        !firing(&t, "web-01", "prune-held")
    });
    assert!(!firing(&t, "web-01", "unpruned"));
}
